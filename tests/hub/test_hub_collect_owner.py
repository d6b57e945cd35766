"""course_exchange.OwnerCheckedCollect (deploy/one-server/course_exchange.py): an inbound folder
named for a student but owned by another account is skipped, before the latest submission is
picked, with one log line. Fast, no root: the uids are faked (the end-to-end test in
test_hub_e2e.py does it with real accounts)."""
from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "one-server"
_spec = importlib.util.spec_from_file_location("course_exchange_under_test", DEPLOY / "course_exchange.py")
course_exchange = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_exchange)

ME = os.getuid()


@pytest.fixture
def accounts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Two fake students: 'alice' owns the files this test makes, 'bob' is another uid."""
    uids = {"alice": ME, "bob": ME + 4242}

    def getpwnam(name: str):
        if name not in uids:
            raise KeyError(name)
        return SimpleNamespace(pw_name=name, pw_uid=uids[name])

    def getpwuid(uid: int):
        for name, known in uids.items():
            if known == uid:
                return SimpleNamespace(pw_name=name, pw_uid=uid)
        raise KeyError(uid)

    monkeypatch.setattr(course_exchange, "pwd", SimpleNamespace(getpwnam=getpwnam, getpwuid=getpwuid))
    return uids


def test_owner_problem(tmp_path: Path, accounts: dict[str, int]) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    assert course_exchange.submission_owner_problem(str(folder), "alice") is None
    problem = course_exchange.submission_owner_problem(str(folder), "bob")
    assert problem == f"it is owned by uid {ME} (alice), not by bob (uid {ME + 4242})"
    assert "no Unix account" in course_exchange.submission_owner_problem(str(folder), "mallory")


def test_collect_skips_a_folder_made_in_another_students_name(tmp_path: Path, accounts: dict[str, int],
                                                              caplog: pytest.LogCaptureFixture,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from nbgrader.api import MissingEntry
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import collect as nbgrader_collect

    course = tmp_path / "course"

    class NoDueDate:  # the gradebook: ch04 has no due date
        def __init__(self, *args) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def find_assignment(self, name: str):
            raise MissingEntry()

    monkeypatch.setattr(nbgrader_collect, "Gradebook", NoDueDate)  # nbgrader's init_src reads it
    inbound = tmp_path / "exchange" / "c1" / "inbound"
    inbound.mkdir(parents=True)
    # alice's own submission, and a later one that alice made in bob's name (she owns both);
    # bob's real submission would be owned by bob's uid (faked: a folder whose uid we report as bob's)
    own = inbound / "alice+ch04+2026-12-01 10:00:00.000000 UTC+aaaa"
    spoof = inbound / "bob+ch04+2026-12-01 11:00:00.000000 UTC+bbbb"
    real = inbound / "bob+ch04+2026-12-01 09:00:00.000000 UTC+cccc"
    for folder in (own, spoof, real):
        folder.mkdir()
    original_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        st = original_lstat(path, *args, **kwargs)
        if os.fspath(path) == str(real):
            return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, accounts["bob"], st.st_gid,
                                   st.st_size, int(st.st_atime), int(st.st_mtime), int(st.st_ctime)))
        return st

    coursedir = CourseDirectory(root=str(course), course_id="c1", assignment_id="ch04")
    collect = course_exchange.OwnerCheckedCollect(coursedir=coursedir, root=str(tmp_path / "exchange"))
    collect.log = logging.getLogger("test-collect")
    monkeypatch.setattr(course_exchange.os, "lstat", lstat)
    with caplog.at_level(logging.ERROR, logger="test-collect"):
        collect.init_src()
    chosen = {r["username"]: r["filename"] for r in collect.src_records}
    assert chosen == {"alice": own.name, "bob": real.name}  # the later spoof neither counts nor hides bob's
    lines = [r.getMessage() for r in caplog.records if r.name == "test-collect"]
    assert lines == [f"Not collecting {spoof} as bob's submission: it is owned by uid {ME} (alice), "
                     f"not by bob (uid {ME + 4242})"]
