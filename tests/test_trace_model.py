"""helpers.trace.model on hand-made event lists and files: intervals, holds, queue depth, loading."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.events import EventKind, State
from helpers.trace.model import Event, Interval, Trace, TraceError

K = EventKind
MAIN, CHILD = 100, 200


def ev(t: float, pid: int, kind: EventKind, obj: str = "", detail: str = "") -> Event:
    return Event(t, pid, "MainProcess" if pid == MAIN else "Worker", kind, obj, detail)


@pytest.fixture
def trace() -> Trace:
    """Main starts a worker, waits for a lock the worker holds, gets from a queue, joins it."""
    return Trace([
        ev(0.0, MAIN, K.BOOT, "main", "ppid=1"),
        ev(0.1, MAIN, K.START_BEGIN, "Worker", "daemon=0"),
        ev(0.2, MAIN, K.START_END, "Worker", f"pid={CHILD} daemon=0"),
        ev(0.15, CHILD, K.BOOT, "fork", "ppid=100"),
        ev(0.25, CHILD, K.PROC_BEGIN, "Worker", "parent=100 daemon=0"),
        ev(0.3, CHILD, K.LOCK_ACQUIRE, "L", "type=Lock ok=1 waited=0"),
        ev(0.3, CHILD, K.SLEEP_BEGIN, "", "s=0.5"),
        ev(0.35, MAIN, K.LOCK_WAIT, "L", "type=Lock timeout=None"),
        ev(0.8, CHILD, K.SLEEP_END),
        ev(0.8, CHILD, K.LOCK_RELEASE, "L", "type=Lock"),
        ev(0.8, MAIN, K.LOCK_ACQUIRE, "L", "type=Lock ok=1 waited=1"),
        ev(0.9, MAIN, K.LOCK_RELEASE, "L", "type=Lock"),
        ev(0.9, CHILD, K.PUT, "Q", "ok=1 waited=0"),
        ev(0.95, CHILD, K.PUT, "Q", "ok=1 waited=0"),
        ev(1.0, MAIN, K.GET, "Q", "ok=1 waited=0"),
        ev(1.05, MAIN, K.GET_WAIT, "Q", "timeout=0.1"),
        ev(1.1, MAIN, K.GET, "Q", "ok=1 waited=1"),
        ev(1.2, MAIN, K.GET, "Q", "ok=0 waited=0 block=0 err=Empty"),
        ev(1.2, MAIN, K.JOIN_BEGIN, str(CHILD), "timeout=None implicit=0"),
        ev(1.3, CHILD, K.PROC_END, "Worker", "code=0"),
        ev(1.35, MAIN, K.JOIN_END, str(CHILD), "code=0 implicit=0"),
        ev(1.4, MAIN, K.EXIT, "", "code=0"),
    ])


def states(trace: Trace, pid: int) -> list[tuple[State, float, float]]:
    return [(iv.state, round(iv.t0, 3), round(iv.t1, 3)) for iv in trace.intervals(pid)]


def test_intervals_of_the_parent_follow_its_waits(trace: Trace) -> None:
    assert states(trace, MAIN) == [
        (State.RUNNING, 0.0, 0.1),
        (State.STARTING, 0.1, 0.2),
        (State.RUNNING, 0.2, 0.35),
        (State.LOCK_WAIT, 0.35, 0.8),
        (State.RUNNING, 0.8, 1.05),
        (State.QUEUE_WAIT, 1.05, 1.1),
        (State.RUNNING, 1.1, 1.2),
        (State.JOIN_WAIT, 1.2, 1.35),
        (State.RUNNING, 1.35, 1.4),
    ]


def test_intervals_of_the_child_start_with_booting(trace: Trace) -> None:
    assert states(trace, CHILD) == [
        (State.BOOTING, 0.15, 0.25),
        (State.RUNNING, 0.25, 0.3),
        (State.SLEEPING, 0.3, 0.8),
        (State.RUNNING, 0.8, 1.3),
    ]
    waits = [iv for iv in trace.intervals(MAIN) if iv.state is State.JOIN_WAIT]
    assert waits[0].obj == str(CHILD)


def test_lock_holds_and_labels(trace: Trace) -> None:
    assert trace.lock_holds() == [Interval(CHILD, State.HOLDING_LOCK, 0.3, 0.8, "L"),
                                  Interval(MAIN, State.HOLDING_LOCK, 0.8, 0.9, "L")]
    assert trace.label("L") == "Lock 1" and trace.label("Q") == "Queue 1"
    assert trace.queues == ["Q"]


def test_queue_depth_counts_successful_puts_minus_gets(trace: Trace) -> None:
    assert trace.queue_depth() == [(0.0, 0), (0.9, 1), (0.95, 2), (1.0, 1), (1.1, 0)]
    assert trace.queue_depth("other") == [(0.0, 0)]


def test_processes_and_exitcodes(trace: Trace) -> None:
    main, child = trace.processes
    assert (main.name, main.pid, main.start, main.end, main.exitcode) == \
        ("MainProcess", MAIN, 0.0, 1.4, 0)
    assert (child.name, child.ppid, child.start, child.end, child.daemon) == \
        ("Worker", MAIN, 0.15, 1.3, False)
    assert child.label == f"Worker (pid {CHILD})"
    assert trace.exitcodes() == {MAIN: 0, CHILD: 0}
    assert trace.duration == 1.4


def test_parent_observation_wins_for_a_terminated_child() -> None:
    t = Trace([
        ev(0.0, MAIN, K.BOOT, "main"),
        ev(0.1, MAIN, K.START_END, "Worker", f"pid={CHILD} daemon=1"),
        ev(0.2, CHILD, K.BOOT, "spawn"),
        ev(0.3, CHILD, K.PROC_BEGIN, "Worker", "parent=100 daemon=1"),
        ev(0.3, CHILD, K.LOCK_ACQUIRE, "L", "type=Lock ok=1 waited=0"),
        ev(0.4, MAIN, K.TERMINATE, str(CHILD)),
        ev(0.4, MAIN, K.JOIN_BEGIN, str(CHILD), "timeout=None"),
        ev(0.45, MAIN, K.JOIN_END, str(CHILD), "code=-15"),
    ])
    child = t.process(CHILD)
    assert (child.exitcode, child.end, child.daemon) == (-15, 0.45, True)
    # the lock was still held when the process was killed
    assert t.lock_holds() == [Interval(CHILD, State.HOLDING_LOCK, 0.3, 0.45, "L")]


def test_child_killed_before_it_booted_is_still_listed() -> None:
    t = Trace([
        ev(0.0, MAIN, K.BOOT, "main"),
        ev(0.1, MAIN, K.START_END, "Slow", f"pid={CHILD} daemon=0"),
        ev(0.2, MAIN, K.KILL, str(CHILD)),
        ev(0.2, MAIN, K.JOIN_BEGIN, str(CHILD)),
        ev(0.25, MAIN, K.JOIN_END, str(CHILD), "code=-9"),
    ])
    assert t.exitcodes() == {MAIN: None, CHILD: -9}
    assert [iv.state for iv in t.intervals(CHILD)] == [State.BOOTING]


def test_recursive_rlock_hold_is_one_interval() -> None:
    t = Trace([
        ev(0.0, MAIN, K.BOOT, "main"),
        ev(0.1, MAIN, K.LOCK_ACQUIRE, "R", "type=RLock ok=1 waited=0"),
        ev(0.2, MAIN, K.LOCK_ACQUIRE, "R", "type=RLock ok=1 waited=0"),
        ev(0.3, MAIN, K.LOCK_RELEASE, "R", "type=RLock"),
        ev(0.4, MAIN, K.LOCK_RELEASE, "R", "type=RLock"),
        ev(0.5, MAIN, K.LOCK_ACQUIRE, "R", "type=RLock ok=0 waited=0 block=0"),
    ])
    assert t.lock_holds() == [Interval(MAIN, State.HOLDING_LOCK, 0.1, 0.4, "R")]
    assert t.label("R") == "RLock 1"


def test_summary_uses_sanitizable_formats(trace: Trace) -> None:
    text = trace.summary()
    assert text.splitlines()[1].startswith("MainProcess ")
    assert f"(pid {CHILD})" in text and "0.150 s → 1.300 s" in text
    assert "dropped" not in text


def test_load_tolerates_truncated_and_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "events-10.log").write_bytes(
        b"1000000000\tboot\tmain\tppid=1\n"
        b"garbage line\n"
        b"1100000000\tnot_a_kind\t\t\n"
        b"1500000000\tsleep_begin\t\ts=1\n"
        b"2500000000\tsleep_end\t\t\n"
        b"2600000000\tsleep_beg")                     # killed mid-write
    (tmp_path / "events-11.log").write_bytes(
        b"1200000000\tboot\tfork\tppid=10\n"
        b"1300000000\tproc_begin\tProcess-1\tparent=10 daemon=0\n"
        b"1400000000\tdropped\t\tn=1000\n")
    (tmp_path / "events-12.log").write_bytes(b"1050000000\tboot\tresource_tracker\tppid=10\n")
    (tmp_path / "notes.txt").write_text("ignored")
    t = Trace.load(tmp_path)
    assert [(e.t, e.pid, e.name, e.kind) for e in t.events] == [
        (0.0, 10, "MainProcess", K.BOOT),
        (0.2, 11, "Process-1", K.BOOT),
        (0.3, 11, "Process-1", K.PROC_BEGIN),
        (0.4, 11, "Process-1", K.DROPPED),
        (0.5, 10, "MainProcess", K.SLEEP_BEGIN),
        (1.5, 10, "MainProcess", K.SLEEP_END),
    ]
    assert t.helper_pids == {12}
    assert t.dropped == {11: 1000}
    assert "dropped events (limit per process reached): 1000" in t.summary()


def test_load_reads_a_bounded_amount(tmp_path: Path) -> None:
    line = b"1000000000\tsleep_end\t\t\n"
    (tmp_path / "events-5.log").write_bytes(line * 10_000)
    t = Trace.load(tmp_path, max_bytes_per_file=len(line) * 100 + 3)
    assert len(t.events) == 100


def test_load_missing_directory_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError):
        Trace.load(tmp_path / "nope")
    assert issubclass(TraceError, OSError)
    assert Trace.load(tmp_path).events == []


def test_event_get_parses_detail() -> None:
    e = ev(0.0, MAIN, K.JOIN_END, "5", "code=-15 implicit=1")
    assert e.get("code") == "-15" and e.get("implicit") == "1" and e.get("x", "d") == "d"
