"""A student's server that runs away is stopped by its limits; the others do not notice.

The one-server hub (deploy/one-server/, CourseSpawner: cgroup v1 memory/pids/cpu + rlimits) with
small student limits. In one student's own server (a terminal, as that Unix user): a program
that allocates far beyond the memory limit is killed by the OOM killer of *that student's*
group, and a fork bomb stops at the process limit and holds it. Meanwhile the other student
starts programs and allocates memory as usual, and both servers and the hub keep answering.
"""
from __future__ import annotations

import json
import pwd
import time
from pathlib import Path

import pytest
import websocket

from hubctl import ClassHub, wait_for  # noqa: E402  (this folder is not a package)

STUDENT_MEM = 512 * 2**20
STUDENT_TASKS = 96

pytestmark = [pytest.mark.usefixtures("no_leftover_processes", "hard_timeout"), pytest.mark.hard_timeout(600),
              pytest.mark.hub_env({"CLASS_STUDENT_MEM": "512M", "CLASS_STUDENT_TASKS": str(STUDENT_TASKS),
                                   "CLASS_STUDENT_CPU": "0.5"})]

MEMORY_HOG = "import sys; chunks = [bytearray(64 * 2**20) for _ in range(64)]; print('allocated', 2**32)"

FORK_BOMB = """
import os, signal, sys, time
from pathlib import Path
release = Path(sys.argv[1])
children = []
try:
    while len(children) < 5000:
        pid = os.fork()
        if pid == 0:
            signal.pause()
            os._exit(0)
        children.append(pid)
except OSError as exc:
    print(f'fork failed after {len(children)} children: errno {exc.errno}', flush=True)
Path(str(release) + '.full').write_text(str(len(children)))
while not release.exists():  # hold every process until the test says so
    time.sleep(0.05)
for pid in children:
    os.kill(pid, signal.SIGKILL)
for pid in children:
    os.waitpid(pid, 0)
print('released', flush=True)
"""


def cgroup_value(path: Path) -> str:
    return path.read_text().strip()


def oom_kills(memory_group: Path) -> int:
    for line in (memory_group / "memory.oom_control").read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            return int(value)
    return int(cgroup_value(memory_group / "memory.failcnt")) and 1


def test_runaway_server_is_stopped_by_its_limits(class_hub: ClassHub) -> None:
    hub, (runaway, other) = class_hub.hub, class_hub.students
    hub.spawn(runaway)
    hub.spawn(other)
    bad, good = hub.server(runaway), hub.server(other)

    # The limits are in place for the student's server.
    memory_group = class_hub.cgroup("memory", runaway)
    pids_group = class_hub.cgroup("pids", runaway)
    assert int(cgroup_value(memory_group / "memory.limit_in_bytes")) == STUDENT_MEM
    assert int(cgroup_value(pids_group / "pids.max")) == STUDENT_TASKS
    cpu_group = class_hub.cgroup("cpu", runaway)
    if cpu_group.exists():
        assert int(cgroup_value(cpu_group / "cpu.cfs_quota_us")) == 50_000
    assert int(cgroup_value(memory_group / "cgroup.procs").split()[0]) > 0

    # ------------------------------------------------------------------ memory
    code, out = bad.run(f'python3 -c "{MEMORY_HOG}"', timeout=120)
    assert code == 137, f"the memory hog was not killed (exit code {code}):\n{out}"  # 128 + SIGKILL
    assert f"allocated {2**32}" not in out
    assert oom_kills(memory_group) >= 1
    print(f"memory hog killed; peak {int(cgroup_value(memory_group / 'memory.max_usage_in_bytes')) / 2**20:.0f} MiB "
          f"of {STUDENT_MEM / 2**20:.0f} MiB")
    assert int(cgroup_value(memory_group / "memory.max_usage_in_bytes")) <= STUDENT_MEM
    # the runaway's own server survives its program, and so does everyone else
    assert bad.request("GET", "/api/status").ok
    code, out = good.run("python3 -c \"b = bytearray(256 * 2**20); print('ok', len(b))\"")
    assert code == 0 and f"ok {256 * 2**20}" in out, out

    # ------------------------------------------------------------------ processes
    home = Path(pwd.getpwnam(runaway).pw_dir)
    release = home / "release-fork-bomb"
    (home / "fork_bomb.py").write_text(FORK_BOMB, encoding="utf-8")
    terminal = bad.ok("POST", "/api/terminals").json()["name"]
    try:
        ws_url = bad.base.replace("http://", "ws://", 1) + f"/terminals/websocket/{terminal}"
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {bad.token}"], timeout=60)
        try:
            ws.send(json.dumps(["stdin", f"python3 ~/fork_bomb.py {release} > ~/fork_bomb.out 2>&1\r"]))
            full = Path(str(release) + ".full")
            held = int(wait_for(lambda: full.exists() and full.read_text(), 120, "the fork bomb to hit the limit"))
            assert 0 < held < STUDENT_TASKS
            print(f"fork bomb held {held} children at pids.max {STUDENT_TASKS}")
            assert int(cgroup_value(pids_group / "pids.current")) >= held
            # While the runaway holds every process it may have, the other student works normally
            # and the hub answers.
            started = time.monotonic()
            code, out = good.run("for i in 1 2 3 4 5 6 7 8; do python3 -c 'import os; print(os.getpid())' & done; "
                                 "wait; echo all-started")
            assert code == 0 and "all-started" in out, out
            assert time.monotonic() - started < 60
            assert hub.api("GET", f"/users/{other}").ok
            assert good.request("GET", "/api/status").ok
            # the runaway's own server cannot even start a terminal process, but still answers
            assert bad.request("GET", "/api/status").ok
            release.write_text("go")
            wait_for(lambda: "released" in (home / "fork_bomb.out").read_text(), 60, "the fork bomb to end")
            assert "fork failed after" in (home / "fork_bomb.out").read_text()
        finally:
            ws.close()
    finally:
        release.touch()
        bad.request("DELETE", f"/api/terminals/{terminal}")
    # once the bomb is gone the student can work again
    code, out = bad.run("python3 -c 'print(6 * 7)'")
    assert code == 0 and "42" in out, out

    left = hub.stop()
    assert left == [], f"processes outlived the hub: {left}"
    assert class_hub.users.processes() == []
