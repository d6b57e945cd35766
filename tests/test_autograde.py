"""The autograde round trip: sample submissions get exactly their expected points.

For each assignment and each start method it is graded under, a temporary copy of the course is
made, the assignment is generated, every sample submission in tests/submissions/<assignment>/ is
built from the released notebook and put in submitted/<student>/<assignment>/, `nbgrader
autograde` grades them all, and the scores in the gradebook must equal the expected points.
No process started while grading may outlive it. The cases are graded in parallel jobs
(``COURSE_TEST_JOBS``, see :func:`course_tools.job_count`), each in its own temporary course.
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_tools import (
    SUBMISSIONS,
    assignments,
    course_with_submissions,
    job_pool,
    nbgrader_tagged,
    sample_submissions,
    selected_params,
    start_methods_for,
)

CASES = [(a, m) for a in assignments() for m in start_methods_for(a)]


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

    samples = sample_submissions(assignment)
    course = course_with_submissions(workdir / "course", assignment, samples)
    done, leftovers = nbgrader_tagged(["autograde", assignment, "--force"], cwd=course,
                                      env={"COURSE_START_METHOD": start_method}, timeout=1200, tags=tags)
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
    """Start grading every selected case at once (parallel jobs); tests wait for their own."""
    wanted = [(p["assignment"], p["start_method"])
              for p in selected_params(request.session.items, "test_autograde_gives_expected_points")]
    # the slowest (several start methods, hanging samples) first, so the jobs finish together
    wanted.sort(key=lambda case: -len(start_methods_for(case[0])))
    with job_pool("autograde") as (pool, tags):
        yield {case: pool.submit(grade, *case, tmp_path_factory.mktemp(f"grade-{case[0]}-{case[1]}"), tags)
               for case in wanted}


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
