"""How much memory a student's server needs: the number behind docs/hosting.md's sizing table.

A student's server on the one-server hub, with the production student limit (2G, from
deploy/one-server/jupyterhub_config.py): idle, then with lectures 04 and 09 (09 is the heaviest:
producers and consumers, throughput charts) run cell by cell in kernels of that server, the
kernels left running as a student leaves them. The lectures must run without an error and
without meeting the limit (no OOM kill); the measured numbers are printed (``-s``) for the
table.
"""
from __future__ import annotations

import json

import pytest

from hubctl import ROOT, ClassHub, cgroup_memory, processes_memory, run_notebook_in_kernel  # noqa: E402

pytestmark = [pytest.mark.usefixtures("no_leftover_processes", "hard_timeout"), pytest.mark.hard_timeout(600),
              pytest.mark.hub_env({"CLASS_STUDENT_MEM": "2G"})]

LECTURES = ["04-creating-processes.ipynb", "09-producer-consumer.ipynb"]
MiB = 2**20


def mib(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v / MiB:.0f} MiB" for k, v in values.items())


def test_student_server_memory_after_lectures(class_hub: ClassHub) -> None:
    hub, student = class_hub.hub, class_hub.students[0]
    hub.spawn(student)
    server = hub.server(student)
    group = class_hub.cgroup("memory", student)
    limit = int((group / "memory.limit_in_bytes").read_text())
    assert limit == 2 * 1024 * MiB

    def pids() -> list[int]:
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]

    idle = {**cgroup_memory(group), **{f"procs_{k}": v for k, v in processes_memory(pids()).items()}}
    print(f"\nidle server: {mib(idle)}")

    server.ok("PUT", "/api/contents/lectures", json={"type": "directory"})
    measured = {"idle": idle}
    for lecture in LECTURES:
        nb = json.loads((ROOT / "notebooks" / lecture).read_text(encoding="utf-8"))
        server.put_notebook(f"lectures/{lecture}", nb)
        errors = run_notebook_in_kernel(server, f"lectures/{lecture}", timeout=240)
        assert errors == [], f"{lecture} failed in the student's server: {errors}"
        after = {**cgroup_memory(group), **{f"procs_{k}": v for k, v in processes_memory(pids()).items()}}
        measured[lecture] = after
        print(f"after {lecture} (kernels kept): {mib(after)}")

    kernels = server.ok("GET", "/api/kernels").json()
    assert len(kernels) == len(LECTURES) and all(k["execution_state"] != "dead" for k in kernels), kernels
    oom = dict(line.split() for line in (group / "memory.oom_control").read_text().splitlines())
    assert int(oom.get("oom_kill", 0)) == 0, "a lecture met the student memory limit"
    assert measured[LECTURES[-1]]["peak"] < limit
