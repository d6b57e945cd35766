"""CourseSpawner: each user's server as their own Unix user, inside per-user limits.

For a server without systemd (e.g. a container), where ``systemdspawner`` cannot run. It is
JupyterHub's ``LocalProcessSpawner`` (the server runs as the user's Unix account) plus:

* cgroup v1 groups ``/sys/fs/cgroup/{memory,pids,cpu}/<cgroup_parent>/<user>/`` when those
  hierarchies are writable: ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes``, so
  swap does not stretch it) = ``mem_limit``, ``pids.max`` = ``tasks_limit``, CPU quota =
  ``cpu_limit`` cores. The server joins them before it starts (in the child, before it drops to
  the user), so every kernel, program and terminal of the user is inside. A runaway program
  meets the limit: the kernel's OOM killer ends the biggest process of *that group* only, and
  ``fork()`` fails with EAGAIN past ``pids.max``. Other users and the hub are not affected.
* rlimits in every process of the server (also where cgroups are missing): processes of the
  user (``RLIMIT_NPROC``, per Unix user), open files, file size, no core dumps; the address
  space (``RLIMIT_AS``) only when the memory cgroup is missing.
* on stop, every process still in the user's groups is killed (a kernel or a daemonised
  program that outlived the server) and the groups are removed.

On a host with systemd prefer ``systemdspawner.SystemdSpawner`` (``jupyterhub_config.py`` picks
it when ``/run/systemd/system`` exists and the package is installed): the same limits as
systemd unit properties.
"""
from __future__ import annotations

import asyncio
import os
import resource
import signal
import time
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Integer, Unicode

CONTROLLERS = ("memory", "pids", "cpu")


def cgroup_v1_available(root: str = "/sys/fs/cgroup", controllers=CONTROLLERS) -> dict[str, bool]:
    """Which cgroup v1 controllers exist and may be written here."""
    found = {}
    for name in controllers:
        path = Path(root) / name
        found[name] = (path / "cgroup.procs").is_file() and os.access(path, os.W_OK)
    return found


class CourseSpawner(LocalProcessSpawner):
    cgroup_root = Unicode("/sys/fs/cgroup", help="where the cgroup v1 hierarchies are mounted").tag(config=True)
    cgroup_parent = Unicode("jupyterhub-course", help="parent group of the per-user groups").tag(config=True)
    tasks_limit = Integer(256, help="processes and threads of one user's server at most (pids.max, RLIMIT_NPROC)"
                          ).tag(config=True)
    open_files_limit = Integer(4096, help="RLIMIT_NOFILE").tag(config=True)
    file_size_limit = Integer(1 << 30, help="RLIMIT_FSIZE in bytes: largest file a user can write").tag(config=True)
    require_cgroups = Bool(False, help="refuse to start a server when the memory or pids cgroup is missing"
                           ).tag(config=True)

    # ------------------------------------------------------------------ cgroups
    def cgroup_dirs(self) -> dict[str, Path]:
        available = cgroup_v1_available(self.cgroup_root)
        return {name: Path(self.cgroup_root) / name / self.cgroup_parent / self.user.name
                for name, ok in available.items() if ok}

    def make_cgroups(self) -> dict[str, Path]:
        dirs = self.cgroup_dirs()
        missing = [c for c in ("memory", "pids") if c not in dirs]
        if missing:
            message = f"cgroup v1 {'/'.join(missing)} not writable under {self.cgroup_root}; rlimits only"
            if self.require_cgroups:
                raise RuntimeError(message)
            self.log.warning("%s: %s", self.user.name, message)
        for name, path in dirs.items():
            path.mkdir(parents=True, exist_ok=True)
            if name == "memory" and self.mem_limit:
                (path / "memory.limit_in_bytes").write_text(str(self.mem_limit))
                memsw = path / "memory.memsw.limit_in_bytes"
                if memsw.exists():
                    try:
                        memsw.write_text(str(self.mem_limit))
                    except OSError:  # swap accounting off
                        pass
            elif name == "pids" and self.tasks_limit:
                (path / "pids.max").write_text(str(self.tasks_limit))
            elif name == "cpu" and self.cpu_limit:
                period = 100_000
                (path / "cpu.cfs_period_us").write_text(str(period))
                (path / "cpu.cfs_quota_us").write_text(str(int(self.cpu_limit * period)))
        return dirs

    def processes_in_cgroups(self) -> set[int]:
        pids: set[int] = set()
        for path in self.cgroup_dirs().values():
            try:
                pids.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return pids

    def remove_cgroups(self) -> None:
        for path in self.cgroup_dirs().values():
            try:
                path.rmdir()
            except OSError:
                pass

    async def kill_cgroup_processes(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            pids = self.processes_in_cgroups()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                self.log.error("%s: processes %s survived SIGKILL", self.user.name, sorted(pids))
                return
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ the process
    def make_preexec_fn(self, name):
        drop_to_user = set_user_setuid(name)
        procs_files = [str(path / "cgroup.procs") for path in self.cgroup_dirs().values()]
        has_memory_cgroup = any("/memory/" in p for p in procs_files)
        limits = [
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NOFILE, self.open_files_limit),
            (resource.RLIMIT_FSIZE, self.file_size_limit),
        ]
        if self.tasks_limit:
            limits.append((resource.RLIMIT_NPROC, self.tasks_limit))
        if self.mem_limit and not has_memory_cgroup:
            # Address space, not resident memory: generous, since Python reserves much more than it uses.
            limits.append((resource.RLIMIT_AS, 4 * int(self.mem_limit)))

        def preexec() -> None:
            for procs in procs_files:  # still root here: join the user's groups
                with open(procs, "w") as fh:
                    fh.write(str(os.getpid()))
            for which, value in limits:
                resource.setrlimit(which, (value, value))
            drop_to_user()

        return preexec

    async def start(self):
        self.make_cgroups()
        return await super().start()

    async def stop(self, now=False):
        try:
            await super().stop(now=now)
        finally:
            await self.kill_cgroup_processes()
            self.remove_cgroups()
