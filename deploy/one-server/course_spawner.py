"""CourseSpawner: each user's server as their own Unix user, inside per-user limits.

For a server without systemd (e.g. a container), where ``systemdspawner`` cannot run, or a
systemd host where the hub should manage the groups itself. It is JupyterHub's
``LocalProcessSpawner`` (the server runs as the user's Unix account) plus:

* cgroups, whichever the host has (``cgroup_root``, default ``/sys/fs/cgroup``):

  - **v2** (unified; ``stat -fc %T /sys/fs/cgroup`` says ``cgroup2fs``, modern systemd hosts):
    one group ``<cgroup_root>/<cgroup_parent>/<user>/`` in a subtree the hub owns (it makes
    ``<cgroup_parent>`` and enables ``memory pids cpu`` in its ``cgroup.subtree_control``; the
    parent holds no process itself, as v2 requires): ``memory.max`` = ``mem_limit``,
    ``memory.swap.max`` = 0 (swap does not stretch it), ``pids.max`` = ``tasks_limit``,
    ``cpu.max`` = ``cpu_limit`` cores;
  - **v1**: ``<cgroup_root>/{memory,pids,cpu}/<cgroup_parent>/<user>/`` when those hierarchies
    are writable: ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes``) =
    ``mem_limit``, ``pids.max`` = ``tasks_limit``, CPU quota = ``cpu_limit`` cores.

  The server joins them before it starts (in the child, before it drops to the user), so every
  kernel, program and terminal of the user is inside. A runaway program meets the limit: the
  kernel's OOM killer ends the biggest process of *that group* only, and ``fork()`` fails with
  EAGAIN past ``pids.max``. Other users and the hub are not affected.
* without a memory and a pids cgroup the server is **not started** (one log line says why),
  unless the instructor opted into ``rlimits_only`` (``CLASS_HUB_LIMITS=rlimits-only``): then
  only the rlimits below hold, and a warning says so at each start.
* rlimits in every process of the server: processes of the user (``RLIMIT_NPROC``, per Unix
  user), open files, file size, no core dumps; the address space (``RLIMIT_AS``) only when the
  memory cgroup is missing.
* on stop, every process still in the user's groups is killed (a kernel or a daemonised
  program that outlived the server) and the groups are removed.

On a host with systemd ``systemdspawner.SystemdSpawner`` is the alternative
(``jupyterhub_config.py`` picks it when ``/run/systemd/system`` exists and the package is
installed): the same limits as systemd unit properties.
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
REQUIRED = ("memory", "pids")
CPU_PERIOD_US = 100_000
OPT_OUT = "set CLASS_HUB_LIMITS=rlimits-only (CourseSpawner.rlimits_only) to run with rlimits only"


class NoCgroupLimits(RuntimeError):
    """The memory or pids cgroup cannot be used, and rlimits-only was not chosen."""


def cgroup_v1_available(root: str = "/sys/fs/cgroup", controllers=CONTROLLERS) -> dict[str, bool]:
    """Which cgroup v1 controllers exist and may be written here."""
    found = {}
    for name in controllers:
        path = Path(root) / name
        found[name] = (path / "cgroup.procs").is_file() and os.access(path, os.W_OK)
    return found


def cgroup_version(root: str = "/sys/fs/cgroup") -> int | None:
    """2 for the unified hierarchy (its root has ``cgroup.controllers``), 1 for v1 hierarchies
    (``<root>/memory`` or ``<root>/pids``), None for neither."""
    base = Path(root)
    if (base / "cgroup.controllers").is_file():
        return 2
    if any((base / name / "cgroup.procs").is_file() for name in CONTROLLERS):
        return 1
    return None


def _controllers(path: Path) -> set[str]:
    try:
        return {word.lstrip("+") for word in path.read_text().split()}
    except OSError:
        return set()


def cgroup_v2_prepare_parent(root: str, parent: str, controllers=CONTROLLERS) -> tuple[Path, set[str]]:
    """Make ``<root>/<parent>`` and enable ``controllers`` for its children; the controllers the
    children get. Each level from the root down must pass a controller on (its
    ``cgroup.subtree_control``); a level that cannot is left as it is and the controller is
    missing."""
    base = Path(root)
    available = _controllers(base / "cgroup.controllers") & set(controllers)
    parent_dir = base / parent
    chain = [base, *[base / Path(*Path(parent).parts[:i + 1]) for i in range(len(Path(parent).parts))]]
    for level in chain:
        level.mkdir(exist_ok=True)
        control = level / "cgroup.subtree_control"
        wanted = available - _controllers(control)
        if wanted and os.access(level, os.W_OK):
            try:
                control.write_text(" ".join(f"+{name}" for name in sorted(wanted)))
            except OSError:  # e.g. a process inside this level (v2's no-internal-process rule)
                pass
        available &= _controllers(control)
    return parent_dir, available


def write_v2_limits(group: Path, controllers: set[str], mem_limit: int | None, tasks_limit: int | None,
                    cpu_limit: float | None) -> None:
    """The limits of one user's v2 group (the group exists, its parent passes ``controllers``)."""
    if "memory" in controllers and mem_limit:
        (group / "memory.max").write_text(str(int(mem_limit)))
        swap = group / "memory.swap.max"
        if swap.exists():
            try:
                swap.write_text("0")
            except OSError:  # no swap accounting
                pass
    if "pids" in controllers and tasks_limit:
        (group / "pids.max").write_text(str(int(tasks_limit)))
    if "cpu" in controllers and cpu_limit:
        (group / "cpu.max").write_text(f"{int(cpu_limit * CPU_PERIOD_US)} {CPU_PERIOD_US}")


class CourseSpawner(LocalProcessSpawner):
    cgroup_root = Unicode("/sys/fs/cgroup", help="where cgroups are mounted (v2, or the v1 hierarchies)"
                          ).tag(config=True)
    cgroup_parent = Unicode("jupyterhub-course", help="parent group of the per-user groups (v2: a path "
                            "below cgroup_root that the hub may manage, e.g. course-hub)").tag(config=True)
    tasks_limit = Integer(256, help="processes and threads of one user's server at most (pids.max, RLIMIT_NPROC)"
                          ).tag(config=True)
    open_files_limit = Integer(4096, help="RLIMIT_NOFILE").tag(config=True)
    file_size_limit = Integer(1 << 30, help="RLIMIT_FSIZE in bytes: largest file a user can write").tag(config=True)
    rlimits_only = Bool(False, help="start servers also when the memory or pids cgroup cannot be used "
                        "(rlimits only: no per-user memory limit, RLIMIT_AS instead). Off: such a server "
                        "is refused").tag(config=True)

    # ------------------------------------------------------------------ cgroups
    def cgroup_dirs(self) -> dict[str, Path]:
        """The user's group per controller (v2: the same folder for each)."""
        version = cgroup_version(self.cgroup_root)
        if version == 2:
            parent = Path(self.cgroup_root) / self.cgroup_parent
            group = parent / self.user.name
            return {name: group for name in sorted(_controllers(parent / "cgroup.subtree_control") & set(CONTROLLERS))}
        if version == 1:
            available = cgroup_v1_available(self.cgroup_root)
            return {name: Path(self.cgroup_root) / name / self.cgroup_parent / self.user.name
                    for name, ok in available.items() if ok}
        return {}

    def _refuse_or_warn(self, why: str) -> None:
        if not self.rlimits_only:
            message = f"not starting {self.user.name}'s server: no cgroup limits ({why}); {OPT_OUT}"
            self.log.error(message)
            raise NoCgroupLimits(message)
        self.log.warning("%s: rlimits only, no cgroup limits (%s)", self.user.name, why)

    def make_cgroups(self) -> dict[str, Path]:
        version = cgroup_version(self.cgroup_root)
        if version == 2:
            try:
                cgroup_v2_prepare_parent(self.cgroup_root, self.cgroup_parent)
            except OSError as exc:
                self._refuse_or_warn(f"cgroup v2 {Path(self.cgroup_root) / self.cgroup_parent}: {exc}")
                return {}
        dirs = self.cgroup_dirs()
        missing = [c for c in REQUIRED if c not in dirs]
        if missing:
            where = (f"cgroup v2 controllers {'/'.join(missing)} not delegated to "
                     f"{Path(self.cgroup_root) / self.cgroup_parent}" if version == 2 else
                     f"cgroup v1 {'/'.join(missing)} not writable under {self.cgroup_root}" if version == 1 else
                     f"no cgroup file system at {self.cgroup_root}")
            self._refuse_or_warn(where)  # raises unless rlimits-only: then what there is, is used
        if version == 2 and dirs:
            group = next(iter(dirs.values()))
            group.mkdir(exist_ok=True)
            write_v2_limits(group, set(dirs), self.mem_limit, self.tasks_limit, self.cpu_limit)
            return dirs
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
                (path / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(int(self.cpu_limit * CPU_PERIOD_US)))
        return dirs

    def cgroup_groups(self) -> list[Path]:
        """The user's group folders that exist (v2: one)."""
        return sorted({path for path in self.cgroup_dirs().values() if path.is_dir()})

    def processes_in_cgroups(self) -> set[int]:
        pids: set[int] = set()
        for path in self.cgroup_groups():
            try:
                pids.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return pids

    def remove_cgroups(self) -> None:
        for path in self.cgroup_groups():
            try:
                path.rmdir()
            except OSError:
                pass

    async def kill_cgroup_processes(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        for path in self.cgroup_groups():  # v2 (Linux 5.14+): the kernel kills the whole group at once
            kill = path / "cgroup.kill"
            if kill.exists():
                try:
                    kill.write_text("1")
                except OSError:
                    pass
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
    def preexec_plan(self) -> tuple[list[str], list[tuple[int, int]]]:
        """The ``cgroup.procs`` files the server joins and the rlimits it sets, before it starts."""
        dirs = {controller: path for controller, path in self.cgroup_dirs().items() if path.is_dir()}
        procs_files = sorted({str(path / "cgroup.procs") for path in dirs.values()})
        has_memory_cgroup = "memory" in dirs
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
        return procs_files, limits

    def make_preexec_fn(self, name):
        drop_to_user = set_user_setuid(name)
        procs_files, limits = self.preexec_plan()

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
