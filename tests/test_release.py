"""release/ is exactly what `nbgrader generate_assignment` makes from source/ today."""
from __future__ import annotations

from pathlib import Path

import pytest

from course_tools import RELEASE, SOURCE, assignments, comparable_cells, make_course_copy, nbgrader

# Only an instructor's change of source/ (or a hand-edited release/) makes these fail; students
# work in work/ (course.py lab copies release/ there), which this test never reads.
FIX = ("the instructor regenerates it: python3 course.py release (students: do not run it; "
       "your answers are in work/, and a git pull of the course brings the fixed release/)")


def test_every_source_assignment_is_released() -> None:
    released = sorted(p.name for p in RELEASE.iterdir() if p.is_dir())
    assert released == assignments(), "release/ and source/ name different assignments; " + FIX


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = make_course_copy(tmp_path_factory.mktemp("course"), assignments())
    for name in assignments():
        done = nbgrader(["generate_assignment", name, "--force"], cwd=course)
        assert done.returncode == 0, done.stdout + done.stderr
    return course / "release"


@pytest.mark.parametrize("assignment", assignments())
def test_release_matches_generate_assignment(assignment: str, fresh_release: Path) -> None:
    fresh = sorted(p.name for p in (fresh_release / assignment).rglob("*") if p.is_file())
    committed = sorted(p.name for p in (RELEASE / assignment).rglob("*") if p.is_file())
    assert committed == fresh, f"files differ in release/{assignment}; " + FIX
    for nb in (fresh_release / assignment).glob("*.ipynb"):
        assert comparable_cells(RELEASE / assignment / nb.name) == comparable_cells(nb), (
            f"release/{assignment}/{nb.name} is out of date; " + FIX
        )


@pytest.mark.parametrize("assignment", assignments())
def test_released_notebooks_have_no_solutions_or_hidden_tests(assignment: str) -> None:
    for nb in (RELEASE / assignment).glob("*.ipynb"):
        text = nb.read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{nb} still contains {marker}"
        assert "在这里写你的代码" in text, f"{nb} has no student stub"
    assert (SOURCE / assignment).is_dir()
