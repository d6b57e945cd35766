"""CourseSpawner's cgroups (deploy/one-server/course_spawner.py) against a fake cgroup root: the
v2 (unified) files it writes, v1 still, and the refusal when no cgroup limits can be applied.
Fast, no root: the fake root is a temporary folder laid out like /sys/fs/cgroup (the kernel's
own files are made by the test; what the spawner writes is read back)."""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "one-server"
sys.path.insert(0, str(DEPLOY))
import course_spawner  # noqa: E402
from course_spawner import CourseSpawner, NoCgroupLimits, cgroup_version  # noqa: E402

MIB = 2**20


def fake_v2(root: Path, controllers: str = "cpuset cpu io memory hugetlb pids rdma misc") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    (root / "cgroup.procs").write_text("1\n")
    return root


def fake_v1(root: Path, controllers=("memory", "pids", "cpu")) -> Path:
    for name in controllers:
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "cgroup.procs").write_text("1\n")
    return root


def spawner(root: Path, name: str = "s1", **traits) -> CourseSpawner:
    user = SimpleNamespace(name=name, url=f"/user/{name}/", escaped_name=name)
    spawner = CourseSpawner(user=user, cgroup_root=str(root), cgroup_parent="course-hub",
                            mem_limit="512M", cpu_limit=0.5, **traits)
    spawner.tasks_limit = 96
    return spawner


def test_version_is_detected(tmp_path: Path) -> None:
    assert cgroup_version(str(fake_v2(tmp_path / "v2"))) == 2
    assert cgroup_version(str(fake_v1(tmp_path / "v1"))) == 1
    (tmp_path / "none").mkdir()
    assert cgroup_version(str(tmp_path / "none")) is None


def test_v2_limits_are_written_in_the_delegated_subtree(tmp_path: Path) -> None:
    root = fake_v2(tmp_path / "cgroup")
    s = spawner(root)
    dirs = s.make_cgroups()
    group = root / "course-hub" / "s1"
    assert dirs == {"cpu": group, "memory": group, "pids": group}
    # the controllers are passed down from the root to the hub's subtree (it holds no process)
    for level in (root, root / "course-hub"):
        assert set((level / "cgroup.subtree_control").read_text().split()) == {"+cpu", "+memory", "+pids"}
    assert (group / "memory.max").read_text() == str(512 * MIB)
    assert (group / "pids.max").read_text() == "96"
    assert (group / "cpu.max").read_text() == "50000 100000"
    # the server joins the group before it drops to the user: its cgroup.procs, once
    procs_files, limits = s.preexec_plan()
    assert procs_files == [str(group / "cgroup.procs")]
    assert not any(which == course_spawner.resource.RLIMIT_AS for which, _ in limits)  # memory.max holds it


def test_v2_swap_is_closed_when_the_kernel_offers_it(tmp_path: Path) -> None:
    root = fake_v2(tmp_path / "cgroup")
    group = root / "course-hub" / "s1"
    group.mkdir(parents=True)
    (group / "memory.swap.max").write_text("max\n")  # the kernel makes it with the group
    spawner(root).make_cgroups()
    assert (group / "memory.swap.max").read_text() == "0"


def test_v2_stop_kills_and_removes_the_group(tmp_path: Path) -> None:
    root = fake_v2(tmp_path / "cgroup")
    s = spawner(root)
    s.make_cgroups()
    group = root / "course-hub" / "s1"
    (group / "cgroup.kill").write_text("0")
    (group / "cgroup.procs").write_text("")
    asyncio.run(s.kill_cgroup_processes(timeout=0.5))
    assert (group / "cgroup.kill").read_text() == "1"
    for child in group.iterdir():  # the kernel's files vanish with the group; here the test removes them
        child.unlink()
    s.remove_cgroups()
    assert not group.exists() and (root / "course-hub").is_dir()


def test_v1_still_works(tmp_path: Path) -> None:
    root = fake_v1(tmp_path / "cgroup")
    dirs = spawner(root).make_cgroups()
    assert set(dirs) == {"memory", "pids", "cpu"}
    assert (root / "memory" / "course-hub" / "s1" / "memory.limit_in_bytes").read_text() == str(512 * MIB)
    assert (root / "pids" / "course-hub" / "s1" / "pids.max").read_text() == "96"
    assert (root / "cpu" / "course-hub" / "s1" / "cpu.cfs_quota_us").read_text() == "50000"


@pytest.mark.parametrize("layout", ["none", "v2 without memory", "v1 without pids"])
def test_no_cgroup_limits_refuses_the_server(tmp_path: Path, layout: str, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "cgroup"
    if layout == "none":
        root.mkdir()
    elif layout == "v2 without memory":
        fake_v2(root, controllers="cpu io pids")
    else:
        fake_v1(root, controllers=("memory", "cpu"))
    s = spawner(root)
    s.log = logging.getLogger("test-course-spawner")
    with caplog.at_level(logging.ERROR, logger="test-course-spawner"):
        with pytest.raises(NoCgroupLimits, match="not starting s1's server: no cgroup limits"):
            asyncio.run(s.start())
    lines = [r.getMessage() for r in caplog.records if r.name == "test-course-spawner"]
    assert len(lines) == 1 and "\n" not in lines[0] and "CLASS_HUB_LIMITS=rlimits-only" in lines[0], lines
    assert not s.pid  # nothing was started


def test_rlimits_only_is_an_explicit_choice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "cgroup"
    root.mkdir()
    s = spawner(root, rlimits_only=True)
    s.log = logging.getLogger("test-course-spawner")
    with caplog.at_level(logging.WARNING, logger="test-course-spawner"):
        assert s.make_cgroups() == {}
    assert any("rlimits only" in r.getMessage() for r in caplog.records)
    # without a memory cgroup the address space is limited instead
    procs_files, limits = s.preexec_plan()
    assert procs_files == []
    assert (course_spawner.resource.RLIMIT_AS, 4 * 512 * MIB) in limits
    assert CourseSpawner().rlimits_only is False  # the production default refuses
