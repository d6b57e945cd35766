"""The sample-submission format used by the autograde round trip, and the parallel nbgrader jobs."""
from __future__ import annotations

from pathlib import Path

import pytest

import os
import subprocess
import sys

import psutil

from course_tools import (
    SubmissionFormatError, job_pool, new_grading_tag, parse_submission, processes_with_tag, job_count,
)


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


def test_job_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_TEST_JOBS", "3")
    assert job_count() == 3
    monkeypatch.delenv("COURSE_TEST_JOBS")
    assert 1 <= job_count() <= 4
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("COURSE_TEST_JOBS", bad)
        with pytest.raises(ValueError, match="COURSE_TEST_JOBS must be a whole number"):
            job_count()


def test_job_pool_kills_what_its_jobs_left_behind() -> None:
    """A job that leaves a tagged process running: leaving the pool kills it."""
    tag = new_grading_tag()
    env = {**os.environ, "COURSE_GRADING_TAG": tag}

    def job(tags: list[str]) -> int:
        tags.append(tag)
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env).pid

    with job_pool("t") as (pool, tags):
        pid = pool.submit(job, tags).result(timeout=10)
        assert processes_with_tag(tag) == [pid]
    assert processes_with_tag(tag) == []
    assert not psutil.pid_exists(pid)  # killed and reaped (psutil.wait_procs reaps our children)
