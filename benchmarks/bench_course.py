"""How long do the lectures take to execute, and the reference solutions to autograde?

    .venv/bin/python benchmarks/bench_course.py                 # every lecture and assignment
    .venv/bin/python benchmarks/bench_course.py --only 04 ch04  # some of them
    .venv/bin/python benchmarks/bench_course.py --start-method spawn

Budgets (issues #5, #6): a lecture executes in <= 30 s, a reference solution autogrades in
<= 20 s on a 2-core machine. Each number is printed with a ratio against a baseline measured in
the same run, so that a slow or loaded machine shows up as such:

* lectures: executing a one-cell notebook (kernel start-up and shutdown, nothing else);
* autograde: grading the blank sample submission of the same assignment (nbgrader's own cost:
  kernel, database, the tests failing at once).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from course import lecture_notebooks  # noqa: E402  (course.py at the repo root)
from course_tools import (  # noqa: E402  (tests/ is not a package)
    assignments, course_with_submissions, nbgrader_tagged, sample_submissions,
)

LECTURE_BUDGET = 30.0
AUTOGRADE_BUDGET = 20.0


def time_notebook(nb: nbformat.NotebookNode, cwd: Path) -> float:
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return time.perf_counter() - t0


def bench_lectures(prefixes: list[str]) -> list[tuple[str, float, float]]:
    empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    baseline = time_notebook(empty, REPO / "notebooks")
    rows = []
    for path in lecture_notebooks(prefixes):
        seconds = time_notebook(nbformat.read(path, as_version=4), path.parent)
        rows.append((path.name, seconds, baseline))
    return rows


def autograde_one(assignment: str, case: str, method: str) -> float:
    """Seconds that `nbgrader autograde` takes for one sample submission, in a temporary course."""
    sample = next(s for s in sample_submissions(assignment) if s.case == case)
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        course = course_with_submissions(Path(tmp) / "course", assignment, [sample])
        t0 = time.perf_counter()
        done, _ = nbgrader_tagged(["autograde", assignment, "--force"], cwd=course,
                                  env={"COURSE_START_METHOD": method})
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
        return seconds


def bench_autograde(names: list[str], method: str) -> list[tuple[str, float, float]]:
    rows = []
    for assignment in assignments():
        if names and assignment not in names:
            continue
        blank = autograde_one(assignment, "blank", method)
        reference = autograde_one(assignment, "reference", method)
        rows.append((assignment, reference, blank))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=[],
                        help="lecture prefixes (03) and/or assignment names (ch03); default: all")
    parser.add_argument("--start-method", default="fork" if sys.platform.startswith("linux") else "spawn")
    args = parser.parse_args()
    lectures = [p for p in args.only if not p.startswith("ch")]
    graded = [p for p in args.only if p.startswith("ch")]
    over = 0
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if lectures or not graded:
        print(f"\nlecture (budget {LECTURE_BUDGET:.0f} s)            seconds   x baseline (one-cell notebook)")
        for name, seconds, baseline in bench_lectures(lectures):
            flag = "" if seconds <= LECTURE_BUDGET else "  OVER BUDGET"
            over += bool(flag)
            print(f"  {name:38s} {seconds:6.1f}   {seconds / baseline:5.1f}x  (baseline {baseline:.1f} s){flag}")
    if graded or not lectures:
        print(f"\nautograde reference, {args.start_method} (budget {AUTOGRADE_BUDGET:.0f} s)  seconds   x baseline (blank submission)")
        for name, seconds, baseline in bench_autograde(graded, args.start_method):
            flag = "" if seconds <= AUTOGRADE_BUDGET else "  OVER BUDGET"
            over += bool(flag)
            print(f"  {name:38s} {seconds:6.1f}   {seconds / baseline:5.1f}x  (baseline {baseline:.1f} s){flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
