"""Find and kill every process a program started, however it tried to get away.

``ProcessTree(root, run_id)`` follows the session-leader process ``root`` that the launcher
started: ``poll()`` (every 50 ms while the program runs) remembers its descendants, so orphans
re-parented to init are still known; ``kill_all()`` adds the members of root's session and every
process whose environment carries ``COURSE_RUN_ID=run_id`` (double-forked daemons that left the
session), freezes them (SIGSTOP, so nobody reacts to a sibling's death), sends SIGTERM, waits a
short grace, SIGKILLs what is left and waits until all are gone.

Linux reads /proc directly (cheap enough to poll); other systems use psutil. Roots that this
process did not start as a new session leader are refused (``UnsafeProcessTreeError``).
"""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

from helpers.events import HELPER_MARKERS
from helpers.settings import RUN_ID

__all__ = ["ProcessTree", "UnsafeProcessTreeError"]

_LINUX = sys.platform.startswith("linux")
_SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)
_SIGSTOP = getattr(signal, "SIGSTOP", None)
_SIGCONT = getattr(signal, "SIGCONT", None)


@dataclass(frozen=True)
class _ProcInfo:
    pid: int
    ppid: int
    sid: int  # session id (0 where the OS has none)
    start: float  # start time; with pid it identifies a process even if the pid is reused


def _scan() -> dict[int, _ProcInfo]:
    """Every process on the machine: pid -> (ppid, session, start time)."""
    table: dict[int, _ProcInfo] = {}
    if _LINUX:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                info = _stat(int(entry))
                if info is not None:
                    table[info.pid] = info
        return table
    import psutil

    for proc in psutil.process_iter(["ppid", "create_time"]):
        pid = proc.pid
        try:
            sid = os.getsid(pid) if hasattr(os, "getsid") else 0
        except OSError:
            continue
        table[pid] = _ProcInfo(pid, proc.info["ppid"] or 0, sid, proc.info["create_time"] or 0.0)
    return table


def _stat(pid: int) -> _ProcInfo | None:
    """Linux: one process from /proc/<pid>/stat; None if gone or a zombie."""
    try:  # os.open/os.read: a third of the cost of open() for these tiny files
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            raw = os.read(fd, 1024)
        finally:
            os.close(fd)
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2:].split(b" ", 20)
    if fields[0] in (b"Z", b"X"):
        return None
    return _ProcInfo(pid, int(fields[1]), int(fields[3]), float(fields[19]))


def _alive(pid: int, start: float) -> bool:
    """True while the process still runs (a zombie has finished: only its parent can reap it)."""
    if _LINUX:
        info = _stat(pid)
        return info is not None and info.start == start
    import psutil

    try:
        proc = psutil.Process(pid)
        return proc.create_time() == start and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _read_proc_file(pid: int, name: str) -> bytes:
    if _LINUX:
        try:
            fd = os.open(f"/proc/{pid}/{name}", os.O_RDONLY)
        except OSError:
            return b""
        chunks = []
        try:
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
        except OSError:
            pass
        finally:
            os.close(fd)
        return b"".join(chunks)
    import psutil

    try:
        proc = psutil.Process(pid)
        if name == "cmdline":
            return "\0".join(proc.cmdline()).encode()
        return "\0".join(f"{k}={v}" for k, v in proc.environ().items()).encode() + b"\0"
    except psutil.Error:
        return b""


class UnsafeProcessTreeError(ValueError):
    """ProcessTree was given a root that is not a fresh session leader started by us."""


class ProcessTree:
    """Every process a run started: descendants, session members and COURSE_RUN_ID holders.

    poll() while the program runs remembers descendants, so orphans re-parented to init are
    still known; kill_all() adds the session and an environment scan (double-forked daemons
    that left the session), then SIGTERM, a short grace, SIGKILL, and waits for them.

    ``root`` must be a child of this process that leads its own session (what run_script
    starts); anything else is refused, because "kill root's whole tree" on, say, pid 1 would
    mean every process on the machine. This process and its ancestors are never targeted.
    """

    def __init__(self, root: int, run_id: str) -> None:
        _check_root(root)
        self.root = root
        self._protected = _ancestors_and_self()
        self.run_id = run_id
        self.known: dict[int, float] = {}  # pid -> start time, descendants ever seen
        self._helpers: set[int] = set()
        self._not_helpers: set[int] = set()
        self._marked: set[int] = set()
        self._cmdlines: dict[int, bytes] = {}  # last command line read per pid
        self._ppid: dict[int, int] = {}
        self._root_start: float | None = None
        info = _stat(root) if _LINUX else None
        if info is not None:
            self._root_start = info.start

    def poll(self) -> None:
        """Scan the process table once and remember every new member of the run."""
        self._absorb(_scan())

    def seen_pids(self) -> set[int]:
        """Every descendant seen so far (not the main process)."""
        return set(self.known)

    def helper_pids(self) -> set[int]:
        """The multiprocessing helper processes (fork server, resource tracker) among them."""
        return set(self._helpers)

    def kill_all(self, grace: float = 0.0) -> list[int]:
        """Kill and wait for every process of the run; return the pids that had to be killed.

        ``grace``: seconds the processes get to end by themselves first (after a normal exit
        the fork server and resource tracker leave on their own, a moment after main).
        """
        table = _scan()
        self._absorb(table)
        self._absorb_environ(table)
        deadline = time.monotonic() + grace
        while grace and self._alive_members() and time.monotonic() < deadline:
            time.sleep(0.01)
        killed: set[int] = set()
        for sig, wait in ((signal.SIGTERM, 0.5), (_SIGKILL, 2.0), (_SIGKILL, 2.0)):
            targets = self._alive_members()
            if not targets and not self._group_alive():
                break
            # Freeze everyone first, so no process reacts to another's death (a join returning,
            # a fork server reporting failure) or forks a new child while we are killing.
            for pid, start in targets:
                self._signal(pid, start, _SIGSTOP)
            self._signal_group(_SIGSTOP)
            for pid, start in targets:
                self._signal(pid, start, sig)
            self._signal_group(sig)
            for pid, start in targets:
                self._signal(pid, start, _SIGCONT)
            self._signal_group(_SIGCONT)
            killed.update(pid for pid, _ in targets)
            deadline = time.monotonic() + wait
            while self._alive_members() and time.monotonic() < deadline:
                time.sleep(0.01)
            self._absorb(_scan())  # children forked while we were killing
        self._classify(killed)
        return sorted(killed - self._helpers)

    # --- internals -------------------------------------------------------------------------
    def _members(self) -> dict[int, float]:
        members = dict(self.known)
        if self._root_start is not None or not _LINUX:
            members[self.root] = self._root_start if self._root_start is not None else -1.0
        return members

    def _alive_members(self) -> list[tuple[int, float]]:
        out = []
        for pid, start in self._members().items():
            if pid in self._protected:
                continue
            if pid == self.root and not _LINUX:
                if _alive_any(pid):
                    out.append((pid, start))
            elif _alive(pid, start):
                out.append((pid, start))
        return out

    def _absorb(self, table: dict[int, _ProcInfo]) -> None:
        parents = {pid for pid, start in self._members().items()
                   if pid in table and (start < 0 or table[pid].start == start)}
        children: dict[int, list[int]] = {}
        for info in table.values():
            children.setdefault(info.ppid, []).append(info.pid)
        if sys.platform != "win32":  # same session = ours, even after its parent died
            parents.update(info.pid for info in table.values() if info.sid == self.root)
        stack = list(parents)
        while stack:
            pid = stack.pop()
            if pid in self._protected:
                continue
            if pid != self.root and pid not in self.known and pid in table:
                self.known[pid] = table[pid].start
                self._ppid[pid] = table[pid].ppid
            for child in children.get(pid, ()):
                if child not in self.known and child != self.root:
                    stack.append(child)
        self._classify(set(self.known))

    def _absorb_environ(self, table: dict[int, _ProcInfo]) -> None:
        marker = f"{RUN_ID.name}={self.run_id}\0".encode()
        skip = {self.root, *self.known, *self._protected}
        found = {}
        born_after = self._root_start if self._root_start is not None else float("-inf")
        for pid, info in table.items():
            if info.start < born_after:  # older than the run: cannot be one of ours
                continue
            if pid not in skip and marker in _read_proc_file(pid, "environ"):
                found[pid] = info.start
        if found:
            self.known.update(found)
            self._absorb(table)

    def _classify(self, pids: set[int]) -> None:
        # The fork server and resource tracker are exec'd with "-c from multiprocessing.<x> ...";
        # children forked *by* the fork server inherit that command line but are real workers
        # (for good). Any other decision is made again at every poll from the current command
        # line, because a poll can catch a process between fork and exec, when its command line
        # is still its parent's: a worker's subprocess then looks like a fork server (marker
        # inherited), and a fork server like its parent (no marker yet). A command line equal to
        # the parent's is such a copy and never makes a helper.
        todo = sorted(pids - self._not_helpers)
        for pid in todo:
            cmdline = _read_proc_file(pid, "cmdline")
            if cmdline:  # empty: gone (or a zombie); keep the last one read
                self._cmdlines[pid] = cmdline
        for pid in todo:
            if self._ppid.get(pid) in self._marked:
                self._not_helpers.add(pid)
                self._helpers.discard(pid)
                continue
            cmdline = self._cmdlines.get(pid, b"")
            copied = cmdline == self._cmdlines.get(self._ppid.get(pid, -1))
            if not copied and any(marker in cmdline for marker in HELPER_MARKERS):
                self._marked.add(pid)
                self._helpers.add(pid)
            else:
                self._marked.discard(pid)
                self._helpers.discard(pid)

    def _signal(self, pid: int, start: float, sig: int | None) -> None:
        if sig is None or pid in self._protected:
            return
        if pid != self.root and not _alive(pid, start):
            return  # gone, or the pid now belongs to someone else
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _signal_group(self, sig: int | None) -> None:
        if sig is not None and hasattr(os, "killpg"):
            try:
                os.killpg(self.root, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def _group_alive(self) -> bool:
        if not hasattr(os, "killpg"):
            return False
        try:
            os.killpg(self.root, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True


def _check_root(root: int) -> None:
    if root <= 1 or root == os.getpid():
        raise UnsafeProcessTreeError(f"refusing to manage the tree of pid {root}")
    if _LINUX:
        info = _stat(root)
        if info is not None and (info.ppid != os.getpid() or info.sid != root):
            raise UnsafeProcessTreeError(
                f"pid {root} is not a session leader started by this process")


def _ancestors_and_self() -> set[int]:
    protected = {0, 1, os.getpid()}
    if _LINUX:
        pid = os.getpid()
        while pid > 1:
            info = _stat(pid)
            if info is None:
                break
            pid = info.ppid
            protected.add(pid)
        return protected
    import psutil

    try:
        protected.update(p.pid for p in psutil.Process().parents())
    except psutil.Error:
        pass
    return protected


def _alive_any(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
