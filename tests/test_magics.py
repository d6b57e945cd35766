"""%%program / %%run_program and the explaining exception handler, in a real IPython shell."""
from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from IPython.core.interactiveshell import InteractiveShell

import helpers.magics as magics
from helpers.run.launcher import RunResult

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.chdir(tmp_path)
    shell = InteractiveShell.instance()
    magics.register(shell)
    yield shell
    shell.set_custom_exc((), None)
    InteractiveShell.clear_instance()  # leave no singleton for other tests' shells


def test_program_writes_cell_and_says_where(ip: InteractiveShell, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell_magic("program", "hello", "print('hi')\nprint('there')\n")
    assert (tmp_path / ".programs" / "hello.py").read_text() == "print('hi')\nprint('there')\n"
    assert capsys.readouterr().out == "已写入 .programs/hello.py（2 行）\n"
    ip.run_cell_magic("program", "quiet.py --quiet", "x = 1\n")
    assert (tmp_path / ".programs" / "quiet.py").exists()
    assert capsys.readouterr().out == ""


def test_run_program_runs_with_options_and_stores_result(
        ip: InteractiveShell, capsys: pytest.CaptureFixture[str], start_method: str) -> None:
    cell = ("import multiprocessing as mp, sys\n"
            "def f(): print('child')\n"
            "if __name__ == '__main__':\n"
            "    p = mp.Process(target=f); p.start(); p.join(timeout=20)\n"
            "    print('args', sys.argv[1:], mp.get_start_method())\n")
    ip.run_cell_magic("run_program", f"demo.py --start-method {start_method} --timeout 20 "
                      f"--result res -- a 'b c'", cell)
    out = capsys.readouterr().out.splitlines()
    result = ip.user_ns["res"]
    assert isinstance(result, RunResult) and magics.last_result is result
    assert f"[Process-1 pid {result.output[0].pid}] child" in out
    assert f"[MainProcess pid {result.pid}] args ['a', 'b c'] {start_method}" in out
    assert out[-1] == result.summary() and out[-1].startswith("exit 0 · 2 processes · ")


def test_run_program_quiet_default_name_and_hints(ip: InteractiveShell, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cell = ("import multiprocessing as mp\n"
            "def f(): pass\n"
            "if __name__ == '__main__':\n"
            "    p = mp.Process(target=f); p.start(); p.join(); p.start()\n")
    ip.run_cell_magic("run_program", "--quiet --no-trace", cell)
    out = capsys.readouterr().out
    assert (tmp_path / ".programs" / "program.py").exists()
    result = ip.user_ns["_run"]
    assert result.returncode == 1 and result.trace is None
    assert "[MainProcess" not in out  # quiet: no live output
    lines = out.splitlines()
    assert lines[0] == result.summary()
    assert "提示（hint）：同一个 Process 对象 start() 了两次" in lines


def test_run_program_chart_displays_timeline(ip: InteractiveShell,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    drawn: list[Any] = []

    def plot_timeline(result: RunResult) -> Any:
        drawn.append(result)
        return Figure()  # like the real one: the Figure API, no pyplot (tests/test_chart_rule.py)

    monkeypatch.setitem(sys.modules, "helpers.trace.charts",
                        types.SimpleNamespace(plot_timeline=plot_timeline))
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    ip.run_cell_magic("run_program", "c.py --quiet --chart", "print(1)\n")
    assert drawn == [ip.user_ns["_run"]]
    assert len(shown) == 1 and isinstance(shown[0], Figure)


def test_bad_magic_arguments_raise_usage_error(ip: InteractiveShell) -> None:
    with pytest.raises(magics.MagicUsageError, match="--timeout"):
        magics.parse_run_args("x.py --timeout soon")
    with pytest.raises(magics.MagicUsageError, match="--result"):
        magics.parse_run_args("x.py --result 1abc")
    with pytest.raises(magics.MagicUsageError):
        magics.program("", "print(1)")
    options, args = magics.parse_run_args("t --chart -- -x --timeout 3")
    assert (options.name, options.chart, args) == ("t.py", True, ["-x", "--timeout", "3"])


def test_magics_have_argparse_help(ip: InteractiveShell) -> None:
    """Declared with magic_arguments: `%%run_program?` shows the usage and every option."""
    run_help = ip.find_cell_magic("run_program").__doc__
    assert run_help.startswith("usage: %%run_program")
    for option in ("--start-method", "--timeout", "--chart", "--no-trace", "--quiet", "--result"):
        assert option in run_help
    program_help = ip.find_cell_magic("program").__doc__
    assert program_help.startswith("usage: %%program") and "--quiet" in program_help


def test_program_refuses_abbreviated_and_unknown_options(ip: InteractiveShell) -> None:
    for line in ("--q x.py", "x.py --bogus", "", "a.py b.py"):
        with pytest.raises(magics.MagicUsageError, match="%%program NAME"):
            ip.run_cell_magic("program", line, "print(1)\n")


def test_exception_handler_adds_chinese_hint(ip: InteractiveShell,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("raise AssertionError('daemonic processes are not allowed to have children')")
    out = capsys.readouterr().out
    assert "AssertionError" in out  # the normal traceback is still there
    assert "提示（hint）：守护进程（daemon）不能再创建子进程" in out
    ip.run_cell("raise AttributeError('plain attribute problem')")
    out = capsys.readouterr().out
    assert "plain attribute problem" in out and "提示" not in out


def test_pickling_a_thread_lock_in_kernel_gets_a_hint(ip: InteractiveShell,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("import pickle, threading\npickle.dumps(threading.Lock())")
    out = capsys.readouterr().out
    assert "cannot pickle '_thread.lock' object" in out
    assert "提示（hint）：把线程用的锁或队列交给了进程" in out


def test_import_helpers_lets_a_kernel_show_plain_figures_as_png() -> None:
    """Charts are pyplot-free Figures; after `import helpers` a kernel renders them as images."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import helpers\nfrom matplotlib.figure import Figure\nfig = Figure()\nfig.subplots().plot([1, 2])\nfig"
    )]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    data = nb.cells[0].outputs[0]["data"]
    assert data["image/png"], "the figure should be rendered as a PNG"
