#!/usr/bin/env python3
"""Collect, grade and return one assignment on the course hub (an instructor or TA runs it).

    python3 /path/to/course/deploy/one-server/course_grade.py ch04 [--course ~/concurrency-1]

in a terminal of their own JupyterHub server. Three steps, each the course's usual command:

1. ``nbgrader collect chNN``: the latest submission of every student from the exchange into
   ``<course>/submitted/<student>/chNN/``;
2. the TA grading command, ``course.py autograde chNN`` (``helpers/grading/autograde.py``:
   sandboxed, parallel; feedback without hidden tests; ``grades/chNN/grades.csv``), run with
   the hub's course environment (``CLASS_PYTHON``) so no second environment is built;
3. ``nbgrader release_feedback chNN``: each student's feedback into their private folder of
   the exchange (``course_exchange.PrivateReleaseFeedback``); students fetch it from the
   Assignments tab.

Extra arguments go to the grading command (e.g. ``--jobs 8``, ``--student s001``).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def step(title: str, cmd: list[str], cwd: Path) -> None:
    print(f"== {title}: {' '.join(cmd)}", flush=True)
    done = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise SystemExit(f"course_grade.py: {title} failed (exit code {done.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="collect, grade and release feedback for one assignment")
    parser.add_argument("assignment")
    parser.add_argument("--course", default=None,
                        help="the instructor's course folder (default: ~/$CLASS_COURSE_ID)")
    args, extra = parser.parse_known_args(argv)
    course = Path(args.course or Path.home() / os.environ.get("CLASS_COURSE_ID", "concurrency-1")).expanduser()
    python = os.environ.get("CLASS_PYTHON", sys.executable)
    nbgrader = [python, "-m", "nbgrader"]
    step("collect", [*nbgrader, "collect", args.assignment, "--update"], course)
    step("grade", [python, "-m", "helpers.grading.autograde", args.assignment, "--course", str(course), *extra],
         course)
    step("release feedback", [*nbgrader, "release_feedback", args.assignment], course)
    print(f"== done: grades in {course / 'grades' / args.assignment / 'grades.csv'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
