"""The autograde round trip: sample submissions get exactly their expected points.

For each assignment and each start method it is graded under, a temporary copy of the course is
made, the assignment is generated, every sample submission in tests/submissions/<assignment>/ is
built from the released notebook and put in submitted/<student>/<assignment>/, `nbgrader
autograde` grades them all, and the scores in the gradebook must equal the expected points.
No process started while grading may outlive it. The cases are graded in parallel jobs
(``COURSE_AUTOGRADE_JOBS``, default: cores + 2, at most 4), each in its own temporary course.
"""
from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_tools import (
    SUBMISSIONS,
    assignments,
    build_submission,
    kill_processes,
    make_course_copy,
    nbgrader,
    new_grading_tag,
    processes_with_tag,
    sample_submissions,
    start_methods_for,
)

CASES = [(a, m) for a in assignments() for m in start_methods_for(a)]

# Grading waits a lot (kernel start-up, cell timeouts of the hanging samples), so the cases run
# as parallel jobs, each in its own temporary course with its own gradebook. The default keeps a
# 2-core machine busy without starving the timing checks inside the graded tasks (those compare
# generous ratios of sleeps, so they hold on a loaded machine).


def _jobs() -> int:
    value = os.environ.get("COURSE_AUTOGRADE_JOBS", "").strip()
    if not value:
        return min(4, (os.cpu_count() or 1) + 2)
    if not value.isdigit() or int(value) < 1:
        raise pytest.UsageError(f"COURSE_AUTOGRADE_JOBS must be a whole number >= 1, not {value!r}")
    return int(value)


JOBS = _jobs()


@dataclass
class Graded:
    """What grading one assignment under one start method produced."""
    returncode: int
    log: str
    leftovers: list[int]
    wrong: list[str]


def grade(assignment: str, start_method: str, workdir: Path, tags: list[str]) -> Graded:
    """Generate the assignment in a temporary course, submit every sample, autograde, compare."""
    from nbgrader.api import Gradebook

    course = make_course_copy(workdir / "course", [assignment])
    done = nbgrader(["generate_assignment", assignment, "--force"], cwd=course)
    if done.returncode != 0:
        return Graded(done.returncode, done.stdout + done.stderr, [], [])

    samples = sample_submissions(assignment)
    for sample in samples:
        target = course / "submitted" / sample.student / assignment
        target.mkdir(parents=True)
        for nb_path in (course / "release" / assignment).glob("*.ipynb"):
            nbformat.write(build_submission(nb_path, sample.answers), target / nb_path.name)

    tag = new_grading_tag()
    tags.append(tag)
    env = {"COURSE_START_METHOD": start_method, "COURSE_GRADING_TAG": tag}
    try:
        done = nbgrader(["autograde", assignment, "--force"], cwd=course, env=env, timeout=1200)
        leftovers = processes_with_tag(tag)
    finally:
        kill_processes(processes_with_tag(tag))
    if done.returncode != 0:
        return Graded(done.returncode, done.stdout[-4000:] + done.stderr[-4000:], leftovers, [])

    wrong = []
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sample in samples:
            sub = gb.find_submission(assignment, sample.student)
            if abs(sub.score - sample.expected) > 1e-6:
                detail = ", ".join(
                    f"{g.name}={g.score}/{g.max_score}" for nb in sub.notebooks for g in nb.grades
                )
                wrong.append(f"{sample.case}: got {sub.score}, expected {sample.expected} ({detail})")
    return Graded(0, "", leftovers, wrong)


@pytest.fixture(scope="module")
def grading_jobs(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Future[Graded]]]:
    """Start grading every selected case at once (``JOBS`` at a time); tests wait for their own."""
    selected = [item.callspec.params for item in request.session.items
                if getattr(item, "originalname", "") == "test_autograde_gives_expected_points"
                and hasattr(item, "callspec")]
    wanted = [(p["assignment"], p["start_method"]) for p in selected]
    # the slowest (several start methods, hanging samples) first, so the jobs finish together
    wanted.sort(key=lambda case: -len(start_methods_for(case[0])))
    tags: list[str] = []

    def kill_all() -> None:
        for tag in list(tags):
            kill_processes(processes_with_tag(tag))

    atexit.register(kill_all)  # also on Ctrl+C, when fixtures may not be torn down
    pool = ThreadPoolExecutor(max_workers=JOBS, thread_name_prefix="autograde")
    jobs = {case: pool.submit(grade, *case, tmp_path_factory.mktemp(f"grade-{case[0]}-{case[1]}"), tags)
            for case in wanted}
    try:
        yield jobs
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_all()
        pool.shutdown(wait=True)
        atexit.unregister(kill_all)


def test_every_assignment_has_sample_submissions() -> None:
    for name in assignments():
        cases = {s.case for s in sample_submissions(name)}
        assert {"reference", "blank"} <= cases, f"tests/submissions/{name} needs reference.py and blank.py"
        assert len(cases) >= 4, f"tests/submissions/{name} needs at least two submissions with typical mistakes"


@pytest.mark.parametrize(("assignment", "start_method"), CASES)
def test_autograde_gives_expected_points(assignment: str, start_method: str,
                                         grading_jobs: dict[tuple[str, str], Future[Graded]]) -> None:
    graded = grading_jobs[(assignment, start_method)].result(timeout=1800)
    assert graded.returncode == 0, graded.log
    assert graded.leftovers == [], f"grading {assignment} left processes running: {graded.leftovers}"
    assert not graded.wrong, f"{assignment} under {start_method}:\n" + "\n".join(graded.wrong)


def test_submission_files_name_existing_assignments() -> None:
    for folder in SUBMISSIONS.iterdir():
        if folder.is_dir():
            assert folder.name in assignments(), f"tests/submissions/{folder.name} has no source assignment"
