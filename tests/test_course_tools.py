"""The sample-submission format used by the autograde round trip."""
from __future__ import annotations

from pathlib import Path

import pytest

from course_tools import SubmissionFormatError, parse_submission


def test_submission_cells_and_header_are_parsed(tmp_path: Path) -> None:
    sample = tmp_path / "mistake.py"
    sample.write_text("# expected: 2.5\n# about: why\n# %% t1\nx = 1\n\n# %% t2\ny = 2\n", encoding="utf-8")
    parsed = parse_submission(sample, "chXX")
    assert (parsed.expected, parsed.about, parsed.case) == (2.5, "why", "mistake")
    assert parsed.answers == {"t1": "x = 1", "t2": "y = 2"}


def test_base_sample_supplies_the_cells_not_named(tmp_path: Path) -> None:
    (tmp_path / "reference.py").write_text("# expected: 4\n# %% t1\nright_1\n# %% t2\nright_2\n", encoding="utf-8")
    (tmp_path / "typo.py").write_text("# expected: 2\n# base: reference\n# %% t2\nwrong_2\n", encoding="utf-8")
    assert parse_submission(tmp_path / "typo.py", "chXX").answers == {"t1": "right_1", "t2": "wrong_2"}


def test_missing_expected_points_or_base_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# %% t1\nx\n", encoding="utf-8")
    with pytest.raises(SubmissionFormatError, match="expected"):
        parse_submission(tmp_path / "a.py", "chXX")
    (tmp_path / "b.py").write_text("# expected: 1\n# base: nope\n", encoding="utf-8")
    with pytest.raises(SubmissionFormatError, match="base: nope"):
        parse_submission(tmp_path / "b.py", "chXX")
