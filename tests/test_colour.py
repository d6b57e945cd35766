"""Colour never reaches a program's captured output, the checks or the explanations.

Python 3.13 colours tracebacks when FORCE_COLOR is set, even into a pipe, and Jupyter kernels set
FORCE_COLOR=1 (ipykernel's init_environment). These tests force colour on every interpreter: they
set the kernel's variables, and one program writes the escape codes itself, exactly as 3.13 does.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.grading import checks
from helpers.run import launcher
from helpers.run.launcher import run_script

# What Python 3.13 writes for an uncaught error when colour is on (captured from 3.13.0).
pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

COLOURED_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File \"<string>\", line 1, in <module>\n'
    "\x1b[1;35mAttributeError\x1b[0m: \x1b[35mCan't get attribute 'work' on "
    "<module '__main__' (built-in)>\x1b[0m\n"
)


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source)
    return path


def test_escape_codes_are_removed_from_stdout_and_stderr(tmp_path: Path) -> None:
    script = _write(tmp_path, "paint.py", (
        "import sys\n"
        "print('\\x1b[32mgreen\\x1b[0m plain \\x1b]0;title\\x07done')\n"
        f"sys.stderr.write({COLOURED_TRACEBACK!r})\n"
        "sys.exit(1)\n"))
    result = run_script(script, echo=False, timeout=20)
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    assert result.stdout == "green plain done\n"
    assert "AttributeError: Can't get attribute 'work' on <module '__main__' (built-in)>" in result.stderr


def test_explanations_and_checks_read_a_coloured_traceback(tmp_path: Path) -> None:
    script = _write(tmp_path, "fails.py", f"import sys\nsys.stderr.write({COLOURED_TRACEBACK!r})\nsys.exit(1)\n")
    result = run_script(script, echo=False, timeout=20)
    titles = [hint.title for hint in result.hints]
    assert titles, "the explanation for a target defined in a notebook cell was not found"
    tail = checks._stderr_tail(result)
    assert tail.strip().splitlines()[-1].strip().startswith("AttributeError: Can't get attribute 'work'")
    with pytest.raises(launcher.ProgramError) as raised:
        result.check_returncode()
    assert "\x1b" not in str(raised.value)


def test_programs_run_without_colour_in_a_kernel_environment(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR"):
        monkeypatch.setenv(name, "1")  # what a Jupyter kernel exports
    script = _write(tmp_path, "boom.py", (
        "import os\n"
        "print(os.environ.get('PYTHON_COLORS'), os.environ.get('FORCE_COLOR'))\n"
        "1 / 0\n"))
    result = run_script(script, echo=False, timeout=20)
    assert result.stdout == "0 None\n"
    assert "\x1b" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "ZeroDivisionError: division by zero"


def test_a_caller_may_still_ask_for_colour(tmp_path: Path) -> None:
    script = _write(tmp_path, "env.py", "import os\nprint(os.environ.get('PYTHON_COLORS'))\n")
    result = run_script(script, echo=False, timeout=20, env={"PYTHON_COLORS": "1"})
    assert result.stdout == "1\n"


@pytest.mark.parametrize("text, plain", [
    ("\x1b[1;35mValueError\x1b[0m: x", "ValueError: x"),
    ("\x1b]0;window title\x07after", "after"),
    ("\x1b[2K\x1b[1Gprogress 50%", "progress 50%"),
    ("no escapes [1;35m here", "no escapes [1;35m here"),
])
def test_strip_ansi(text: str, plain: str) -> None:
    assert launcher._strip_ansi(text) == plain
