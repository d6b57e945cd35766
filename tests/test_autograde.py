"""The autograde round trip: sample submissions get exactly their expected points.

For each assignment and each start method it is graded under, a temporary copy of the course is
made, the assignment is generated, every sample submission in tests/submissions/<assignment>/ is
built from the released notebook and put in submitted/<student>/<assignment>/, `nbgrader
autograde` grades them all, and the scores in the gradebook must equal the expected points.
No process started while grading may outlive it.
"""
from __future__ import annotations

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


def test_every_assignment_has_sample_submissions() -> None:
    for name in assignments():
        cases = {s.case for s in sample_submissions(name)}
        assert {"reference", "blank"} <= cases, f"tests/submissions/{name} needs reference.py and blank.py"
        assert len(cases) >= 4, f"tests/submissions/{name} needs at least two submissions with typical mistakes"


@pytest.mark.parametrize(("assignment", "start_method"), CASES)
def test_autograde_gives_expected_points(assignment: str, start_method: str, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    course = make_course_copy(tmp_path / "course", [assignment])
    done = nbgrader(["generate_assignment", assignment, "--force"], cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr

    samples = sample_submissions(assignment)
    for sample in samples:
        target = course / "submitted" / sample.student / assignment
        target.mkdir(parents=True)
        for nb_path in (course / "release" / assignment).glob("*.ipynb"):
            nbformat.write(build_submission(nb_path, sample.answers), target / nb_path.name)

    tag = new_grading_tag()
    env = {"COURSE_START_METHOD": start_method, "COURSE_GRADING_TAG": tag}
    try:
        done = nbgrader(["autograde", assignment, "--force"], cwd=course, env=env, timeout=1200)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        leftovers = processes_with_tag(tag)
    finally:
        kill_processes(processes_with_tag(tag))
    assert leftovers == [], f"grading {assignment} left processes running: {leftovers}"

    wrong = []
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sample in samples:
            sub = gb.find_submission(assignment, sample.student)
            if abs(sub.score - sample.expected) > 1e-6:
                detail = ", ".join(
                    f"{g.name}={g.score}/{g.max_score}" for nb in sub.notebooks for g in nb.grades
                )
                wrong.append(f"{sample.case}: got {sub.score}, expected {sample.expected} ({detail})")
    assert not wrong, f"{assignment} under {start_method}:\n" + "\n".join(wrong)


def test_submission_files_name_existing_assignments() -> None:
    for folder in SUBMISSIONS.iterdir():
        if folder.is_dir():
            assert folder.name in assignments(), f"tests/submissions/{folder.name} has no source assignment"
