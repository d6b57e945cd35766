"""Chapter 07 grades races deterministically: each racy sample answer fails its task in EVERY
grading run under every start method, and the reference passes every run.

A "grading run" here is what nbgrader does for one task: the setup cell and the task's test
cell of source/ch07/ch07.ipynb (hidden tests included) executed against the sample's program,
with COURSE_START_METHOD set as the grader sets it. The suite repeats each case RUNS = 2 times
per start method to stay quick; the issue's 20 runs per start method are measured with

    .venv/bin/python tests/test_ch07_race_grading.py 20

which prints a table (the numbers are in the chapter's closing note / the report).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course_tools import ALL_START_METHODS, SOURCE, SUBMISSIONS, parse_submission  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

RUNS = 2  # per start method in the suite; the closing note measures 20
NOTEBOOK = SOURCE / "ch07" / "ch07.ipynb"
# (sample, task) -> must the task's test cell pass?
RACY = [("no_lock", "ch07_task1"), ("lock_write_only", "ch07_task1"),
        ("module_lock", "ch07_task1"), ("module_lock", "ch07_task2")]
REFERENCE = [("reference", "ch07_task1"), ("reference", "ch07_task2"), ("reference", "ch07_task3")]
DEADLOCK = [("deadlock", "ch07_task3")]


def _cells() -> dict[str, str]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if "nbgrader" in c.metadata}


@contextmanager
def _in_dir(path: Path, method: str) -> Iterator[None]:
    old_cwd, old_method = Path.cwd(), os.environ.get("COURSE_START_METHOD")
    os.chdir(path)
    os.environ["COURSE_START_METHOD"] = method
    try:
        yield
    finally:
        os.chdir(old_cwd)
        if old_method is None:
            os.environ.pop("COURSE_START_METHOD", None)
        else:
            os.environ["COURSE_START_METHOD"] = old_method


def grade_once(sample: str, task: str, method: str) -> str | None:
    """Run the task's setup + test cell against the sample's program under ``method``.

    Returns None when the task passes, else the first line of the failure message.
    """
    cells = _cells()
    answer = parse_submission(SUBMISSIONS / "ch07" / f"{sample}.py", "ch07").answers[task]
    first, _, program = answer.partition("\n")
    name = first.split()[1]  # "%%program ch07_task1.py"
    with tempfile.TemporaryDirectory(prefix="ch07-grade-") as tmp:
        (Path(tmp) / ".programs").mkdir()
        (Path(tmp) / ".programs" / name).write_text(program + "\n", encoding="utf-8")
        namespace: dict[str, object] = {}
        with _in_dir(Path(tmp), method):
            exec(compile(cells["ch07_setup"], "ch07_setup", "exec"), namespace)  # noqa: S102
            try:
                exec(compile(cells[f"{task}_test"], f"{task}_test", "exec"), namespace)  # noqa: S102
            except AssertionError as err:
                return (str(err).strip().splitlines() or ["AssertionError"])[0]
    return None


@pytest.mark.hard_timeout(240)
@pytest.mark.parametrize(("sample", "task"), RACY, ids=[f"{s}-{t}" for s, t in RACY])
def test_a_racy_answer_fails_every_grading_run(sample: str, task: str, start_method: str) -> None:
    failures = [grade_once(sample, task, start_method) for _ in range(RUNS)]
    assert all(failures), f"{sample} passed {task} under {start_method} in a run: {failures}"


@pytest.mark.hard_timeout(240)
@pytest.mark.parametrize(("sample", "task"), REFERENCE, ids=[f"{s}-{t}" for s, t in REFERENCE])
def test_the_reference_passes_every_grading_run(sample: str, task: str, start_method: str) -> None:
    failures = [grade_once(sample, task, start_method) for _ in range(RUNS)]
    assert not any(failures), f"{sample} failed {task} under {start_method}: {failures}"


def main(runs: int) -> None:
    """Print, per case and start method, how many of ``runs`` grading runs failed the task."""
    print(f"{'sample':16} {'task':11} {'method':10} failed/runs  seconds/run")
    for sample, task in RACY + DEADLOCK + REFERENCE:
        for method in ALL_START_METHODS:
            t0 = time.perf_counter()
            failed = sum(grade_once(sample, task, method) is not None for _ in range(runs))
            per_run = (time.perf_counter() - t0) / runs
            print(f"{sample:16} {task:11} {method:10} {failed:>3}/{runs:<7} {per_run:6.2f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
