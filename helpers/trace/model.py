"""Kernel side of tracing: read the event files a traced run left behind and derive what each
process was doing when.

    <dir>/events-<pid>.log  (written by helpers.trace.recorder in every process, one line per event)
        -> Trace.load(<dir>)  -> .events      every Event, ordered by (time, pid)
                              -> .processes   ProcessInfo per program process (helpers hidden)
                              -> .intervals() State per process over time (for Gantt charts)
                              -> .lock_holds(), .queue_depth(), .exitcodes(), .summary()
                              -> .queues, .pipes   ids of the queues and pipes used, ``label(id)``

Times are float seconds since the run's first event. The tracer's clock is
``time.perf_counter_ns()``, which is system-wide, so times from different processes compare.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from helpers.events import END_KINDS, KINDS, WAITS, EventKind, State, is_helper_role

__all__ = ["Event", "ProcessInfo", "Interval", "Trace", "TraceError"]

MAX_BYTES_PER_FILE = 8 * 1024 * 1024


class TraceError(OSError):
    """The trace directory cannot be read (missing, not a directory)."""


@dataclass(frozen=True)
class Event:
    """One recorded action. ``t`` is seconds since the run's first event."""

    t: float
    pid: int
    name: str
    kind: EventKind
    obj: str = ""
    detail: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        """Value of ``key`` in ``detail`` (``"code=0 daemon=1"``), or ``default``."""
        for part in self.detail.split():
            k, sep, v = part.partition("=")
            if sep and k == key:
                return v
        return default


@dataclass(frozen=True)
class ProcessInfo:
    """One process of the run. ``end`` and ``exitcode`` are ``None`` when never observed."""

    pid: int
    ppid: int | None
    name: str
    daemon: bool
    start: float
    end: float | None
    exitcode: int | None
    role: str = "main"

    @property
    def helper(self) -> bool:
        """True for multiprocessing's own helper processes (forkserver, resource tracker)."""
        return is_helper_role(self.role)

    @property
    def label(self) -> str:
        return f"{self.name} (pid {self.pid})"


@dataclass(frozen=True)
class Interval:
    """Process ``pid`` was in ``state`` from ``t0`` to ``t1`` (``obj``: what it waited for/held)."""

    pid: int
    state: State
    t0: float
    t1: float
    obj: str = ""

    @property
    def duration(self) -> float:
        return self.t1 - self.t0


_QUEUE_KINDS = frozenset({EventKind.PUT, EventKind.PUT_WAIT, EventKind.GET, EventKind.GET_WAIT,
                          EventKind.TASK_DONE, EventKind.QJOIN_BEGIN, EventKind.QJOIN_END})
_PIPE_KINDS = frozenset({EventKind.PIPE, EventKind.SEND, EventKind.RECV, EventKind.RECV_WAIT})
_ENDS_NEEDING_WAITED = frozenset(w.end for w in WAITS.values() if w.end_needs_waited)
# A process's name from its role when multiprocessing did not name it; a helper process
# (events.HELPER_ROLES) is named by its role.
_DEFAULT_NAMES = {"main": "MainProcess", "fork": "fork child", "spawn": "spawn child"}


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _natural_key(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


class Trace:
    """All events of one run and what can be derived from them (see the module docstring)."""

    def __init__(self, events: Iterable[Event]) -> None:
        ordered = sorted(events, key=lambda e: (e.t, e.pid))
        # a duplex Pipe's two ends have one id each: name the pipe by its first end everywhere
        alias = {e.get("other") or "": e.obj for e in ordered
                 if e.kind is EventKind.PIPE and e.get("other") not in (None, e.obj)}
        if alias:
            ordered = [replace(e, obj=alias[e.obj]) if e.obj in alias and e.kind in _PIPE_KINDS
                       else e for e in ordered]
        roles: dict[int, str] = {}
        for e in ordered:
            if e.kind is EventKind.BOOT and e.pid not in roles:
                roles[e.pid] = e.obj or "main"
        self._roles = roles
        helpers = {pid for pid, role in roles.items() if is_helper_role(role)}
        self.events: list[Event] = [e for e in ordered if e.pid not in helpers]
        self.dropped: dict[int, int] = {}
        for e in self.events:
            if e.kind is EventKind.DROPPED:
                n = _int_or_none(e.get("n")) or 0
                self.dropped[e.pid] = max(n, self.dropped.get(e.pid, 0))
        self._by_pid: dict[int, list[Event]] = {}
        for e in self.events:
            self._by_pid.setdefault(e.pid, []).append(e)
        stops = [e.t for e in self.events if e.kind is EventKind.STOPPED]
        self.stopped_at: float | None = max(stops) if stops else None
        """When the launcher stopped the run (timeout, Stop button); None if it ended by itself."""
        self._observed: dict[str, Event] = {}
        self._daemon_started: set[str] = set()
        self._created: dict[str, float] = {}  # child pid -> when Process.start() returned
        for e in self.events:
            if e.kind in (EventKind.JOIN_END, EventKind.REAPED) and _int_or_none(e.get("code")) is not None:
                self._observed.setdefault(e.obj, e)
            elif e.kind is EventKind.START_END:
                self._created.setdefault(e.get("pid") or "", e.t)
                if e.get("daemon") == "1":
                    self._daemon_started.add(e.get("pid") or "")
        all_infos = [self._process_info(pid, evs, roles.get(pid, "main"))
                     for pid, evs in self._by_pid.items()]
        # children killed before they could write anything: known from the parent's events
        for e in self.events:
            child = _int_or_none(e.get("pid")) if e.kind is EventKind.START_END else None
            if child is not None and child not in self._by_pid and child not in helpers:
                seen = self._observed.get(str(child))
                all_infos.append(ProcessInfo(
                    child, e.pid, e.obj, e.get("daemon") == "1", e.t,
                    seen.t if seen is not None else None,
                    _int_or_none(seen.get("code")) if seen is not None else None, "child"))
        self.processes: list[ProcessInfo] = sorted(all_infos, key=lambda p: (p.start, p.pid))
        self.helper_pids: frozenset[int] = frozenset(helpers)
        self._labels = self._make_labels()

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, directory: str | os.PathLike[str],
             max_bytes_per_file: int = MAX_BYTES_PER_FILE) -> "Trace":
        """Read every ``events-<pid>.log`` in ``directory``.

        Tolerates a truncated last line (a process killed mid-write) and malformed lines, and
        reads at most ``max_bytes_per_file`` bytes of each file.
        """
        if not os.path.isdir(directory):
            raise TraceError(f"trace directory not found: {directory}")
        raw: list[tuple[int, int, str, str, str]] = []
        for entry in sorted(os.listdir(directory)):
            m = re.fullmatch(r"events-(\d+)\.log", entry)
            if m is None:
                continue
            pid = int(m.group(1))
            with open(os.path.join(directory, entry), "rb") as fh:
                data = fh.read(max_bytes_per_file)
            raw.extend((t, pid, kind, obj, detail) for t, kind, obj, detail in _parse(data))
        if not raw:
            return cls([])
        t0 = min(r[0] for r in raw)
        names = _names(raw)
        return cls(Event((t - t0) / 1e9, pid, names.get(pid, f"pid {pid}"), KINDS[kind], obj,
                         detail) for t, pid, kind, obj, detail in raw)

    # ------------------------------------------------------------------ derived data

    def _process_info(self, pid: int, evs: list[Event], role: str) -> ProcessInfo:
        ppid = daemon = exitcode = end = None
        for e in evs:
            if e.kind is EventKind.BOOT and ppid is None:
                ppid = _int_or_none(e.get("ppid"))
            elif e.kind is EventKind.PROC_BEGIN:
                ppid = _int_or_none(e.get("parent")) or ppid
                daemon = e.get("daemon") == "1"
            elif e.kind in (EventKind.PROC_END, EventKind.EXIT) and end is None:
                end = e.t
                exitcode = _int_or_none(e.get("code"))
        observed = self._observed.get(str(pid))
        if observed is not None:  # the parent saw the real OS exit status (-15 after terminate)
            exitcode = _int_or_none(observed.get("code"))
            if end is None:
                end = observed.t
        if daemon is None:
            daemon = str(pid) in self._daemon_started
        if end is None and evs:  # never seen to end: alive until the run was stopped, if it was
            end = max(evs[-1].t, self.stopped_at or 0.0)
        name = evs[0].name if evs else f"pid {pid}"
        start = evs[0].t if evs else 0.0
        # a spawned child exists (booting) before its interpreter can write its first event
        start = min(start, self._created.get(str(pid), start))
        return ProcessInfo(pid, ppid, name, bool(daemon), start, end, exitcode, role)

    def _make_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        counters: dict[str, int] = {}
        for e in self.events:
            if not e.obj or e.obj in labels:
                continue
            if e.kind in (EventKind.LOCK_WAIT, EventKind.LOCK_ACQUIRE, EventKind.LOCK_RELEASE):
                base = e.get("type", "Lock") or "Lock"
            elif e.kind in _QUEUE_KINDS:
                base = "Queue"
            elif e.kind in _PIPE_KINDS:
                base = "Pipe"
            else:
                continue
            counters[base] = counters.get(base, 0) + 1
            labels[e.obj] = f"{base} {counters[base]}"
        return labels

    def label(self, obj: str) -> str:
        """A readable name for a lock, queue or pipe id: ``Lock 1``, ``Queue 1``, ``Pipe 1``."""
        return self._labels.get(obj, obj)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last event."""
        return self.events[-1].t if self.events else 0.0

    @property
    def queues(self) -> list[str]:
        """Queue ids in order of first use."""
        return [obj for obj, label in self._labels.items() if label.startswith("Queue ")]

    @property
    def pipes(self) -> list[str]:
        """Pipe ids (``multiprocessing.Pipe()`` used by the program) in order of first use."""
        return [obj for obj, label in self._labels.items() if label.startswith("Pipe ")]

    def process(self, pid: int) -> ProcessInfo:
        """The ProcessInfo of ``pid`` (KeyError if that pid is not in the trace)."""
        for p in self.processes:
            if p.pid == pid:
                return p
        raise KeyError(pid)

    def exitcodes(self) -> dict[int, int | None]:
        """Exit code per pid (negative: killed by that signal; None: never observed)."""
        return {p.pid: p.exitcode for p in self.processes}

    def intervals(self, pid: int | None = None) -> list[Interval]:
        """What each process (or only ``pid``) was doing, as back-to-back intervals."""
        out: list[Interval] = []
        for info in self.processes:
            if pid is None or info.pid == pid:
                out.extend(self._intervals_of(info))
        return out

    def _intervals_of(self, info: ProcessInfo) -> Iterator[Interval]:
        evs = self._by_pid.get(info.pid, [])
        end = info.end if info.end is not None else info.start
        booting = info.role == "child" or any(e.kind is EventKind.PROC_BEGIN for e in evs)
        base = State.BOOTING if booting else State.RUNNING
        stack: list[tuple[State, EventKind, str]] = []
        cur_state, cur_obj, cur_t0 = base, "", info.start
        for e in evs:
            if e.t > end:
                break
            if e.kind is EventKind.PROC_BEGIN:
                base = State.RUNNING
            elif e.kind in WAITS:
                wait = WAITS[e.kind]
                stack.append((wait.state, wait.end, e.obj))
            elif e.kind in END_KINDS:
                if e.kind in _ENDS_NEEDING_WAITED and e.get("waited") != "1":
                    continue
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i][1] is e.kind and (stack[i][2] == e.obj or not e.obj):
                        del stack[i]
                        break
                else:
                    continue
            else:
                continue
            new_state, new_obj = (stack[-1][0], stack[-1][2]) if stack else (base, "")
            if (new_state, new_obj) != (cur_state, cur_obj):
                if e.t > cur_t0:
                    yield Interval(info.pid, cur_state, cur_t0, e.t, cur_obj)
                cur_state, cur_obj, cur_t0 = new_state, new_obj, e.t
        if end > cur_t0:
            yield Interval(info.pid, cur_state, cur_t0, end, cur_obj)

    def lock_holds(self) -> list[Interval]:
        """When each process held each lock (outermost acquire to matching release)."""
        holds: list[Interval] = []
        ends = {p.pid: p.end for p in self.processes}
        depth: dict[tuple[int, str], tuple[int, float]] = {}
        for e in self.events:
            key = (e.pid, e.obj)
            if e.kind is EventKind.LOCK_ACQUIRE and e.get("ok") == "1":
                n, t0 = depth.get(key, (0, e.t))
                depth[key] = (n + 1, t0)
            elif e.kind is EventKind.LOCK_RELEASE and key in depth:
                n, t0 = depth.pop(key)
                if n > 1:
                    depth[key] = (n - 1, t0)
                else:
                    holds.append(Interval(e.pid, State.HOLDING_LOCK, t0, e.t, e.obj))
        for (pid, obj), (_, t0) in depth.items():  # still held when the process ended
            end = ends.get(pid)
            holds.append(Interval(pid, State.HOLDING_LOCK, t0, end if end is not None else t0, obj))
        return sorted(holds, key=lambda iv: (iv.t0, iv.pid))

    def queue_depth(self, queue: str | None = None) -> list[tuple[float, int]]:
        """Items in the queue over time (successful puts minus gets), as (t, depth) steps.

        ``queue`` is a queue id (see ``queues``) or a pipe id (see ``pipes``: messages sent and
        not yet received, both directions); ``None`` adds up all queues of the run. A get can be
        recorded a moment before the put it took (the putter writes its event after the feeder
        thread has already sent the item), so the depth shown never goes below 0.
        """
        points: list[tuple[float, int]] = [(0.0, 0)]
        depth = 0
        adds, takes = (EventKind.PUT, EventKind.SEND), (EventKind.GET, EventKind.RECV)
        for e in self.events:
            if queue is None:
                if e.kind not in (EventKind.PUT, EventKind.GET):
                    continue
            elif e.obj != queue:
                continue
            if (e.kind in adds or e.kind in takes) and e.get("ok") == "1":
                depth += 1 if e.kind in adds else -1
                points.append((e.t, max(depth, 0)))
        return points

    def summary(self) -> str:
        """A text table of the processes; varying values print as ``pid <n>`` and ``<x> s``."""
        rows = sorted(self.processes,
                      key=lambda p: (p.role != "main", _natural_key(p.name), p.pid))
        width = max([len(p.name) for p in rows] + [12])
        lines = [f"{'process':<{width}}  daemon  exit code  start → end"]
        for p in rows:
            code = "?" if p.exitcode is None else str(p.exitcode)
            end = "?" if p.end is None else f"{p.end:.3f} s"
            lines.append(f"{p.name:<{width}}  {'yes' if p.daemon else 'no':<6}  {code:<9}  "
                         f"{p.start:.3f} s → {end}  (pid {p.pid})")
        dropped = sum(self.dropped.values())
        if dropped:
            lines.append(f"dropped events (limit per process reached): {dropped}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<Trace {len(self.processes)} processes, {len(self.events)} events, "
                f"{self.duration:.3f} s>")


def _parse(data: bytes) -> Iterator[tuple[int, str, str, str]]:
    """Lines ``t_ns\\tkind\\tobj\\tdetail``; skips a cut-off last line and malformed lines."""
    end = data.rfind(b"\n")
    if end < 0:
        return
    for line in data[:end].split(b"\n"):
        parts = line.decode("utf-8", "replace").split("\t")
        if len(parts) != 4 or parts[1] not in KINDS:
            continue
        try:
            t = int(parts[0])
        except ValueError:
            continue
        yield t, parts[1], parts[2], parts[3]


def _names(raw: list[tuple[int, int, str, str, str]]) -> dict[int, str]:
    """Process name per pid: the multiprocessing name if known, else one from its role."""
    names: dict[int, str] = {}
    for _, pid, kind, obj, detail in sorted(raw):
        if kind == EventKind.PROC_BEGIN.value:
            names[pid] = obj
        elif kind == EventKind.START_END.value:
            m = re.search(r"\bpid=(\d+)", detail)
            if m:
                names.setdefault(int(m.group(1)), obj)
    for _, pid, kind, obj, _ in raw:
        if kind == EventKind.BOOT.value:
            names.setdefault(pid, _DEFAULT_NAMES.get(obj, obj))
    return names
