"""Fixtures for the JupyterHub tests: real Unix users, the course's hub, and a full clean-up.

They need root (``useradd``, a hub that starts servers as other users, cgroups); as another
user the tests are skipped with that reason, except on CI (``$CI`` set), where they fail. npm must be on PATH (configurable-http-proxy).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubctl import (  # noqa: E402  (this folder is not a package)
    CGROUP_ROOT,
    CLASS_COURSE_ID,
    DEPLOY,
    ClassHub,
    VENV,
    Hub,
    UnixUsers,
    open_path_for_others,
    restore_modes,
)



def need_root() -> None:
    """Skip without root or useradd on a teacher's machine; fail on CI ($CI set), where the hub
    tests must run (the same rule as the browser tests' Chromium)."""
    reason = None
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        reason = "needs root: the test makes Unix users and a hub that starts servers as them"
    elif not sys.platform.startswith("linux") or shutil.which("useradd") is None:
        reason = "needs Linux with useradd"
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the hub tests: {reason}")
    pytest.skip(reason)


@pytest.fixture
def class_hub(request: pytest.FixtureRequest) -> Iterator[ClassHub]:
    """An instructor, a TA, two students, the exchange, the instructor's course folder and a running
    hub (deploy/one-server/jupyterhub_config.py). Everything is removed afterwards, also when
    the test fails: servers, hub, proxy, every process of the test's users, the users, their
    group, the exchange, the cgroups. ``@pytest.mark.hub_env({...})`` adds hub settings."""
    need_root()
    marker = request.node.get_closest_marker("hub_env")
    extra_env = dict(marker.args[0]) if marker else {}
    users = UnixUsers()
    workdir = Path(tempfile.mkdtemp(prefix="course-hub-"))
    os.chmod(workdir, 0o755)  # the exchange inside must be reachable by the users
    # The users' servers run the course's .venv and the Python it was made with (e.g. a pyenv
    # build under /root): both must be reachable by them.
    opened = []
    for path in {VENV.resolve(), Path(sys.base_prefix).resolve(), Path(os.path.realpath(sys.executable)).parent}:
        opened += open_path_for_others(path)
    cgroup_parent = f"course-hub-test-{users.prefix}"
    graders_group = f"{users.prefix}-graders"
    hub = None
    try:
        instructor = users.add("instr")
        grader = users.add("ta")
        students = [users.add("s1"), users.add("s2")]
        roster = {"instructors": [instructor], "graders": [grader], "students": students}
        roster_file = workdir / "roster.json"
        roster_file.write_text(json.dumps(roster), encoding="utf-8")
        exchange = workdir / "exchange"
        users.adopt_group(graders_group)
        subprocess.run([sys.executable, str(DEPLOY / "setup_course.py"), "--roster", str(roster_file),
                        "--exchange", str(exchange), "--course-id", CLASS_COURSE_ID,
                        "--graders-group", graders_group], check=True, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
        hub = Hub(workdir / "hub", roster, exchange,
                  extra_env={"CLASS_HUB_CGROUP_PARENT": cgroup_parent, "CLASS_STUDENT_MEM": "1G",
                             "CLASS_GRADER_MEM": "4G", **extra_env})
        hub.start()
        yield ClassHub(hub, users, instructor, grader, students, exchange, workdir, cgroup_parent, graders_group)
    finally:
        if hub is not None:
            hub.stop()
        users.remove()
        restore_modes(opened[::-1])
        shutil.rmtree(workdir, ignore_errors=True)
        for controller in ("memory", "pids", "cpu", ""):  # "": cgroup v2, one tree
            parent = CGROUP_ROOT / controller / cgroup_parent
            if parent.is_dir():
                for child in parent.iterdir():
                    if child.is_dir():
                        try:
                            child.rmdir()
                        except OSError:
                            pass
                try:
                    parent.rmdir()
                except OSError:
                    pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hub_env(env): extra environment for the test hub")

