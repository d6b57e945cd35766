"""helpers.settings: one declared table of every COURSE_* environment variable."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import settings

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\bCOURSE_[A-Z][A-Z0-9_]*\b")


def _mentions() -> dict[str, set[str]]:
    """COURSE_* names used in the code and docs of the repo -> where."""
    found: dict[str, set[str]] = {}
    paths = [ROOT / "course.py", ROOT / "nbgrader_config.py", ROOT / "README.md"]
    for folder in ("helpers", "tests", "benchmarks", "docs", "notebooks", "source", ".ci"):
        if (ROOT / folder).is_dir():
            paths += [p for p in (ROOT / folder).rglob("*")
                      if p.suffix in {".py", ".ipynb", ".md", ".cfg", ""} and p.is_file()]
    for path in paths:
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_course_variable_in_the_repo_is_declared() -> None:
    declared = {s.name for s in settings.ALL}
    missing = {name: sorted(where) for name, where in _mentions().items() if name not in declared}
    assert not missing, f"declare these in helpers/settings.py (and docs/architecture.md): {missing}"


def test_every_declared_variable_is_documented_in_the_architecture_notes() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert [s.name for s in settings.ALL if f"`{s.name}`" not in doc] == []


def test_get_reads_the_environment_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_TRACE_MAX_EVENTS", raising=False)
    assert settings.TRACE_MAX_EVENTS.get() == "20000"
    assert settings.TRACE_MAX_EVENTS.get_int() == 20_000
    monkeypatch.setenv("COURSE_TRACE_MAX_EVENTS", "5")
    assert settings.TRACE_MAX_EVENTS.get_int() == 5
    monkeypatch.setenv("COURSE_TRACE_MAX_EVENTS", "lots")
    assert settings.TRACE_MAX_EVENTS.get_int() == 20_000
    monkeypatch.setenv("COURSE_START_METHOD", "")
    assert settings.START_METHOD.get() is None  # empty counts as unset


def test_settings_module_is_stdlib_only_and_prints_its_table() -> None:
    code = ("import sys, runpy; runpy.run_module('helpers.settings', run_name='__main__'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'matplotlib', 'IPython', 'ipywidgets', 'psutil'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    table, heavy = done.stdout.rstrip("\n").rsplit("\n", 1)
    assert heavy == "[]"
    assert table.splitlines()[0] == "| variable | meaning | default | read by |"
    assert all(f"`{s.name}`" in table for s in settings.ALL)
