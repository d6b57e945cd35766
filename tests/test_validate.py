"""`nbgrader validate` passes every source notebook and fails every released one.

A released notebook with its stubs (`raise NotImplementedError()`) must fail: that proves the
tests test something. The source notebook (with solutions and hidden tests) must pass.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course_tools import RELEASE, ROOT, SOURCE, assignments, nbgrader, notebooks_of


def validate(nb: Path, workdir: Path) -> str:
    """Validate a copy of nb (programs the notebook writes land in workdir, not in the repo)."""
    shutil.copy(ROOT / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copy(nb, workdir / nb.name)
    done = nbgrader(["validate", nb.name], cwd=workdir, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


SOURCE_NOTEBOOKS = [nb for a in assignments() for nb in notebooks_of(a, SOURCE)]
RELEASED_NOTEBOOKS = [nb for a in assignments() for nb in notebooks_of(a, RELEASE)]


@pytest.mark.parametrize("nb", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_source_notebook_passes_validate(nb: Path, tmp_path: Path) -> None:
    out = validate(nb, tmp_path)
    assert "Success! Your notebook passes all the tests." in out, out


@pytest.mark.parametrize("nb", RELEASED_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_released_notebook_fails_validate(nb: Path, tmp_path: Path) -> None:
    out = validate(nb, tmp_path)
    assert "VALIDATION FAILED" in out, out
    assert "NotImplementedError" in out, out
