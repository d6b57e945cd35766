"""`nbgrader validate` passes every source notebook and fails every released one.

A released notebook with its stubs (`raise NotImplementedError()`) must fail: that proves the
tests test something. The source notebook (with solutions and hidden tests) must pass. The
validations run as parallel jobs (``COURSE_TEST_JOBS``), each on a copy in its own folder, and
none may leave a process behind.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_tools import (
    RELEASE, ROOT, SOURCE, assignments, job_pool, nbgrader_tagged, notebooks_of, selected_params,
)

SOURCE_NOTEBOOKS = [nb for a in assignments() for nb in notebooks_of(a, SOURCE)]
RELEASED_NOTEBOOKS = [nb for a in assignments() for nb in notebooks_of(a, RELEASE)]


@dataclass
class Validated:
    returncode: int
    output: str
    leftovers: list[int]


def validate(nb: Path, workdir: Path, tags: list[str]) -> Validated:
    """Validate a copy of nb (programs the notebook writes land in workdir, not in the repo)."""
    shutil.copy(ROOT / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copy(nb, workdir / nb.name)
    done, leftovers = nbgrader_tagged(["validate", nb.name], cwd=workdir, timeout=300, tags=tags)
    return Validated(done.returncode, done.stdout + done.stderr, leftovers)


@pytest.fixture(scope="module")
def validations(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, Future[Validated]]]:
    """Start validating every selected notebook at once; each test waits for its own."""
    items = request.session.items
    wanted = [p["nb"] for p in selected_params(items, "test_source_notebook_passes_validate")]
    wanted += [p["nb"] for p in selected_params(items, "test_released_notebook_fails_validate")]
    with job_pool("validate") as (pool, tags):
        yield {nb: pool.submit(validate, nb, tmp_path_factory.mktemp(f"validate-{nb.parent.parent.name}"), tags)
               for nb in wanted}


def _result(validations: dict[Path, Future[Validated]], nb: Path) -> str:
    done = validations[nb].result(timeout=900)
    assert done.returncode == 0, done.output
    assert done.leftovers == [], f"validating {nb} left processes running: {done.leftovers}"
    return done.output


@pytest.mark.parametrize("nb", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_source_notebook_passes_validate(nb: Path, validations: dict[Path, Future[Validated]]) -> None:
    out = _result(validations, nb)
    assert "Success! Your notebook passes all the tests." in out, out


@pytest.mark.parametrize("nb", RELEASED_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_released_notebook_fails_validate(nb: Path, validations: dict[Path, Future[Validated]]) -> None:
    out = _result(validations, nb)
    assert "VALIDATION FAILED" in out, out
    assert "NotImplementedError" in out, out
