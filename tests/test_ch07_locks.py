"""Chapter 07 helpers under fork, spawn and forkserver: file events in the trace, the race and
lock-order checks of helpers.grading.locks, and the lock explanations of helpers.explain."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helpers.events import EventKind
from helpers.explain import explain
from helpers.grading.checks import TaskCheckFailed
from helpers.grading.locks import (expect_locked_updates, expect_no_lock_order_cycle,
                                   expect_outside_locks, lock_order_edges, updates)
from helpers.run.launcher import RunResult, run_script

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

IO = """
import json, os, sys, time
from multiprocessing import Event, Lock, Process

DB = "db.json"

def load(path):
    with open(path) as f:
        return json.load(f)

def save(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)
"""

# Three buyers of two tickets; {buy} is the body of buy(name, lock).
TICKETS = IO + """
MODULE_LOCK
def buy(name, lock):
BUY

if __name__ == "__main__":
    save(DB, {"tickets": 2})
    lock = Lock()
    ps = [Process(target=buy, args=(f"b{i}", lock), name=f"b{i}") for i in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("left", load(DB)["tickets"])
"""
LOCKED = """
    with lock:
        data = load(DB)
        time.sleep(0.02)
        if data["tickets"] > 0:
            data["tickets"] -= 1
            save(DB, data)
"""
NO_LOCK = """
    data = load(DB)
    time.sleep(0.02)
    if data["tickets"] > 0:
        data["tickets"] -= 1
        save(DB, data)
"""
WRITE_ONLY = """
    data = load(DB)
    time.sleep(0.02)
    if data["tickets"] > 0:
        data["tickets"] -= 1
        with lock:
            save(DB, data)
"""
MODULE_LOCK = """
    with module_lock:
        data = load(DB)
        time.sleep(0.02)
        if data["tickets"] > 0:
            data["tickets"] -= 1
            save(DB, data)
"""


def run(tmp_path: Path, code: str, method: str, timeout: float = 20) -> RunResult:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(code))
    return run_script(script, start_method=method, cwd=tmp_path, timeout=timeout, echo=False)


def tickets(buy: str, module_lock: bool = False) -> str:
    body = textwrap.indent(textwrap.dedent(buy).strip("\n"), "    ")
    return (TICKETS.replace("BUY", body)
            .replace("MODULE_LOCK", "module_lock = Lock()\n" if module_lock else ""))


def test_file_reads_and_writes_are_recorded(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, tickets(LOCKED), start_method)
    assert result.returncode == 0, result.stderr
    db = str(tmp_path / "db.json")
    events = [e for e in result.trace.events
              if e.kind in (EventKind.FILE_READ, EventKind.FILE_WRITE) and e.obj == db]
    main = result.pid
    # main creates the database with os.replace, each buyer reads it, two of them replace it
    assert events[0].kind is EventKind.FILE_WRITE and events[0].pid == main
    assert events[0].get("mode") == "replace"
    buyers = {e.pid for e in events if e.pid != main and e.kind is EventKind.FILE_READ}
    assert len(buyers) == 3
    writes = [e for e in events if e.pid != main and e.kind is EventKind.FILE_WRITE]
    assert len(writes) == 2
    # the temporary files are other paths, written with open(..., "w")
    tmp_writes = [e for e in result.trace.events if e.kind is EventKind.FILE_WRITE
                  and e.obj.endswith(".tmp")]
    assert tmp_writes and all(e.get("mode") == "w" for e in tmp_writes)
    assert [u.read_t is None for u in updates(result.trace, "db.json")] == [True, False, False]


def test_a_locked_read_check_write_passes(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, tickets(LOCKED), start_method)
    assert result.lines(name="MainProcess") == ["left 0"]
    locks = expect_locked_updates(result, "db.json", at_least=2)
    assert len(locks) == 1


@pytest.mark.parametrize(("buy", "message"), [
    (NO_LOCK, "没有拿着锁"),
    (WRITE_ONLY, "锁只保护了“写”"),
], ids=["no_lock", "write_only"])
def test_a_race_fails_whatever_the_interleaving(tmp_path: Path, start_method: str, buy: str,
                                                message: str) -> None:
    result = run(tmp_path, tickets(buy), start_method)
    with pytest.raises(TaskCheckFailed, match=message):
        expect_locked_updates(result, "db.json")


def test_a_module_level_lock_is_one_lock_only_under_fork(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, tickets(MODULE_LOCK, module_lock=True), start_method)
    if start_method == "fork":
        assert len(expect_locked_updates(result, "db.json")) == 1
    else:
        with pytest.raises(TaskCheckFailed, match="不是同一把锁"):
            expect_locked_updates(result, "db.json")


MODULE_LOCK_HINT = "各用各的锁"


def module_lock_hints(result: RunResult) -> list:
    return [h for h in result.hints if MODULE_LOCK_HINT in h.title]


def test_a_module_level_lock_is_explained_under_spawn_and_forkserver(tmp_path: Path,
                                                                      start_method: str) -> None:
    result = run(tmp_path, tickets(MODULE_LOCK, module_lock=True), start_method)
    assert result.returncode == 0, result.stderr
    hints = module_lock_hints(result)
    if start_method == "fork":  # the children inherit the parent's lock: one lock, correct
        assert hints == [], [h.title for h in result.hints]
        return
    assert len(hints) == 1, [h.title for h in result.hints]
    hint = hints[0]
    assert hint.title == "3 个子进程各用各的锁：Lock 没有被共享，互斥不起作用"
    assert f"这次运行用 {start_method} 启动子进程" in hint.explanation_zh
    assert all(f"b{i} (pid " in hint.explanation_zh for i in range(3))
    assert "锁建在模块顶层（lock = Lock()）" in hint.explanation_zh
    assert "导入主模块" in hint.explanation_zh
    assert "if __name__ == \"__main__\":" in hint.fix_zh and "Process(args=(lock, ...))" in hint.fix_zh


def test_a_lock_passed_as_an_argument_gets_no_module_lock_hint(tmp_path: Path,
                                                              start_method: str) -> None:
    result = run(tmp_path, tickets(LOCKED), start_method)
    assert result.returncode == 0, result.stderr
    assert module_lock_hints(result) == [], [h.title for h in result.hints]


def test_too_few_updates_are_reported(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, tickets(LOCKED), start_method)
    with pytest.raises(TaskCheckFailed, match="至少有 3 次"):
        expect_locked_updates(result, "db.json", at_least=3)


TWO_LOCKS = """
import time
from multiprocessing import Lock, Process

def take(name, first, second):
    with first:
        time.sleep(0.01)
        with second:
            print(name, "both")

if __name__ == "__main__":
    a, b = Lock(), Lock()
    alice = Process(target=take, args=("alice", a, b), name="alice")
    bob = Process(target=take, args=("bob", {bob_first}, {bob_second}), name="bob")
    alice.start()
    alice.join()      # one after the other: this run cannot hang
    bob.start()
    bob.join()
"""


def test_opposite_lock_orders_fail_even_when_the_run_did_not_hang(tmp_path: Path,
                                                                  start_method: str) -> None:
    result = run(tmp_path, TWO_LOCKS.format(bob_first="b", bob_second="a"), start_method)
    assert result.returncode == 0 and not result.timed_out
    assert len(lock_order_edges(result.trace)) == 2
    with pytest.raises(TaskCheckFailed, match="可能死锁"):
        expect_no_lock_order_cycle(result)


def test_one_lock_order_passes(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, TWO_LOCKS.format(bob_first="a", bob_second="b"), start_method)
    assert result.returncode == 0
    assert len(lock_order_edges(result.trace)) == 1
    expect_no_lock_order_cycle(result)


WORK = """
import time
from multiprocessing import Lock, Process

def work(lock):
    {body}

if __name__ == "__main__":
    lock = Lock()
    ps = [Process(target=work, args=(lock,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
"""


def test_slow_work_inside_the_lock_is_found(tmp_path: Path, start_method: str) -> None:
    inside = run(tmp_path, WORK.format(body="with lock:\n        time.sleep(0.05)"), start_method)
    with pytest.raises(TaskCheckFailed, match="拿着锁的时候"):
        expect_outside_locks(inside, 0.05)
    outside = run(tmp_path, WORK.format(body="time.sleep(0.05)\n    with lock:\n        pass"),
                  start_method)
    expect_outside_locks(outside, 0.05)


DEADLOCK = """
import time
from multiprocessing import Event, Lock, Process

def take(name, first, second, mine, theirs):
    with first:
        mine.set()
        theirs.wait(10)   # both hold their first lock before either asks for the second
        with second:
            print(name, "both")

if __name__ == "__main__":
    a, b, ea, eb = Lock(), Lock(), Event(), Event()
    alice = Process(target=take, args=("alice", a, b, ea, eb), name="alice")
    bob = Process(target=take, args=("bob", b, a, eb, ea), name="bob")
    alice.start()
    bob.start()
    alice.join()
    bob.join()
"""


def test_a_deadlock_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, DEADLOCK, start_method, timeout=3)
    assert result.timed_out
    titles = [h.title for h in result.hints]
    assert any(t.startswith("死锁（deadlock）：alice") and "bob" in t for t in titles), titles


NEVER_RELEASED = """
from multiprocessing import Lock, Process

def grab(lock):
    lock.acquire()

if __name__ == "__main__":
    lock = Lock()
    first = Process(target=grab, args=(lock,), name="first")
    first.start()
    first.join()
    second = Process(target=grab, args=(lock,), name="second")
    second.start()
    second.join()
"""


def test_a_lock_held_by_a_finished_process_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, NEVER_RELEASED, start_method, timeout=3)
    assert result.timed_out
    hint = next(h for h in result.hints if "已经结束的进程" in h.title)
    assert "second" in hint.explanation_zh and "first" in hint.explanation_zh


REACQUIRED = """
from multiprocessing import Lock, Process

def twice(lock):
    lock.acquire()
    lock.acquire()  # a Lock is not re-entrant: this waits for itself

if __name__ == "__main__":
    lock = Lock()
    worker = Process(target=twice, args=(lock,), name="worker")
    worker.start()
    worker.join()
"""


def test_reacquiring_a_lock_you_hold_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, REACQUIRED, start_method, timeout=3)
    assert result.timed_out
    hint = next(h for h in result.hints if "自己已经拿着" in h.title)
    assert hint.title.startswith("worker (pid ")
    assert "RLock" in hint.fix_zh and "不可重入" in hint.explanation_zh


def test_release_of_an_unlocked_lock_is_explained() -> None:
    from multiprocessing import Lock

    with pytest.raises(ValueError) as info:
        Lock().release()
    assert [h.title for h in explain(info.value)] == ["release() 了一把没有被锁住的锁"]


def test_a_lock_missing_in_a_spawn_child_is_explained(tmp_path: Path, start_method: str) -> None:
    code = """
    from multiprocessing import Lock, Process

    def task():
        with lock:
            print("got it")

    if __name__ == "__main__":
        lock = Lock()
        p = Process(target=task)
        p.start()
        p.join()
    """
    result = run(tmp_path, code, start_method)
    if start_method == "fork":  # the child is a copy of the parent, lock included
        assert result.lines() == ["got it"]
    else:
        assert "NameError: name 'lock' is not defined" in result.stderr
        assert any("锁要作为参数传给子进程" in h.title for h in result.hints)


BARRIER = """
from multiprocessing import Barrier, Lock, Process

def buyer(start, lock):
    start.wait()        # a start line for everybody, the main process too
    with lock:
        pass

if __name__ == "__main__":
    start, lock = Barrier(3), Lock()
    ps = [Process(target=buyer, args=(start, lock)) for _ in range(2)]
    for p in ps:
        p.start()
    start.wait()
    for p in ps:
        p.join()
"""


def test_a_barrier_is_not_shown_as_a_lock(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, BARRIER, start_method)
    assert result.returncode == 0, result.stderr
    lock_events = [e for e in result.trace.events
                   if e.kind in (EventKind.LOCK_WAIT, EventKind.LOCK_ACQUIRE, EventKind.LOCK_RELEASE)]
    assert {e.get("type") for e in lock_events} == {"Lock"}, "the barrier's own RLock is plumbing"
    assert len({e.obj for e in lock_events}) == 1
    assert len(result.trace.lock_holds()) == 2
