"""Race and deadlock checks for lock programs (chapter 07 test cells), read from the trace.

A race in a program that updates a file is graded from what the processes did, not from the
numbers it printed, so the grade does not depend on how the scheduler happened to run it::

    run = run_task("ch07_task1.py")                                  helpers.grading.checks
    updates(run.trace, "tickets.json")
        file_read / file_write events (helpers.trace.recorder records open())
            -> per process: a write and the last read of the same file before it = one update
               (read -> check -> write); reads not followed by a write are queries
    expect_locked_updates(run, "tickets.json")
        every update lies inside ONE hold of a lock (Trace.lock_holds(): acquire .. release of
        that process) and all updates of the file hold the SAME lock (same id in every process)
            -> no lock, a lock around the write only, a module-level lock under spawn /
               forkserver (one lock per process) fail in every run, whatever the interleaving
    expect_no_lock_order_cycle(run)
        lock A held while acquiring B in one process, B held while acquiring A in another
            -> a possible deadlock, found also in the runs where the timing was kind
    expect_outside_locks(run, seconds=0.2)
        the time.sleep(0.2) standing for slow work runs outside every lock hold

Every check raises ``TaskCheckFailed`` (an ``AssertionError``) with a Chinese message that says
what went wrong and what to do, like the checks in ``helpers.grading.checks``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from helpers.events import EventKind
from helpers.grading.checks import TaskCheckFailed, show_output
from helpers.run.launcher import RunResult
from helpers.trace.model import Interval, Trace

__all__ = ["Update", "updates", "locks_around", "expect_locked_updates", "lock_order_edges",
           "expect_no_lock_order_cycle", "expect_outside_locks"]


@dataclass(frozen=True)
class Update:
    """One read -> check -> write of a file by one process: when it read and when it wrote."""

    pid: int
    name: str
    path: str
    read_t: float | None  # None: the process wrote without reading the file first
    write_t: float


def _same_file(path: str, filename: str) -> bool:
    return path == filename or os.path.basename(path) == os.path.basename(filename)


def updates(trace: Trace, filename: str) -> list[Update]:
    """Every write of ``filename`` (a name or path) with the last read of it by the same process
    before that write and after its previous write. A process's first write of a file it never
    read (creating the database) has ``read_t=None``."""
    names = {p.pid: p.name for p in trace.processes}
    last_read: dict[int, float | None] = {}
    found: list[Update] = []
    for e in trace.events:
        if e.kind not in (EventKind.FILE_READ, EventKind.FILE_WRITE) or not _same_file(e.obj, filename):
            continue
        if e.kind is EventKind.FILE_READ:
            last_read[e.pid] = e.t
        else:
            found.append(Update(e.pid, names.get(e.pid, "?"), e.obj, last_read.pop(e.pid, None), e.t))
    return found


def _holds_by_pid(trace: Trace) -> dict[int, list[Interval]]:
    holds: dict[int, list[Interval]] = {}
    for iv in trace.lock_holds():
        holds.setdefault(iv.pid, []).append(iv)
    return holds


def locks_around(trace: Trace, pid: int, t0: float, t1: float) -> set[str]:
    """Ids of the locks that process ``pid`` held, in one hold each, from ``t0`` to ``t1``."""
    return {iv.obj for iv in _holds_by_pid(trace).get(pid, []) if iv.t0 <= t0 and t1 <= iv.t1}


def expect_locked_updates(run: RunResult, filename: str, *, at_least: int = 1) -> set[str]:
    """Every read -> write of ``filename`` by a process happened inside one hold of one lock,
    the same lock in every process. Returns the ids of the locks that cover every update.

    Writes without a read before them (the main process creating the file) are not updates.
    """
    trace = run.trace
    if trace is None:
        raise TaskCheckFailed("这次运行没有记录轨迹（trace），无法检查锁。")
    base = os.path.basename(filename)
    found = [u for u in updates(trace, filename) if u.read_t is not None]
    if len(found) < at_least:
        raise TaskCheckFailed(
            f"应该至少有 {at_least} 次“先读 {base}、再写 {base}”的更新，实际只看到 {len(found)} 次。"
            f"用题目给的 load()/save()（或 open()）读写 {base}，文件名不要改。" + show_output(run))
    holds = _holds_by_pid(trace)
    common: set[str] | None = None
    for u in found:
        assert u.read_t is not None
        mine = holds.get(u.pid, [])
        around = {iv.obj for iv in mine if iv.t0 <= u.read_t and u.write_t <= iv.t1}
        if not around:
            write_only = any(iv.t0 <= u.write_t <= iv.t1 for iv in mine)
            who = f"{u.name} (pid {u.pid})"
            if write_only:
                raise TaskCheckFailed(
                    f"{who} 读 {base} 时还没有拿到锁，写的时候才拿：锁只保护了“写”。"
                    "在它读完、写之前，别的进程可以读到同样的旧数据，两个进程都以为还有余量。"
                    f"把“读 {base} → 检查 → 写 {base}”整个放进同一个 with lock: 代码块（临界区）。"
                    + show_output(run))
            raise TaskCheckFailed(
                f"{who} 读 {base}、再写 {base} 的整个过程中没有拿着锁：这是竞争条件（race condition），"
                "别的进程可以在中间读到同样的旧数据，更新就会丢失或者超卖。"
                f"用一把 multiprocessing.Lock 把“读 {base} → 检查 → 写 {base}”整个包起来（with lock:）。"
                + show_output(run))
        common = around if common is None else common & around
        if not common:
            raise TaskCheckFailed(
                f"每个进程都在锁里更新 {base}，但用的不是同一把锁（轨迹里有 "
                f"{len({iv.obj for ivs in holds.values() for iv in ivs})} 把不同的锁）："
                "一把锁只有在所有进程都用它时才能互斥。常见原因：锁建在模块顶层（lock = Lock()），"
                "在 spawn/forkserver 下每个子进程导入主模块时都会再建一把新锁。"
                "在 if __name__ == \"__main__\": 里创建一把锁，通过 Process(args=(lock, ...)) 传给每个子进程。"
                + show_output(run))
    assert common is not None
    return common


def lock_order_edges(trace: Trace) -> dict[tuple[str, str], int]:
    """(A, B) -> a pid that asked for lock B while holding lock A (from the acquire events)."""
    edges: dict[tuple[str, str], int] = {}
    held: dict[int, list[str]] = {}
    for e in trace.events:
        stack = held.setdefault(e.pid, [])
        if e.kind in (EventKind.LOCK_WAIT, EventKind.LOCK_ACQUIRE):
            if e.kind is EventKind.LOCK_ACQUIRE and e.get("waited") == "1":
                pass  # its lock_wait already recorded the request
            else:
                for a in stack:
                    if a != e.obj:
                        edges.setdefault((a, e.obj), e.pid)
            if e.kind is EventKind.LOCK_ACQUIRE and e.get("ok") == "1":
                stack.append(e.obj)
        elif e.kind is EventKind.LOCK_RELEASE and e.obj in stack:
            stack.reverse()
            stack.remove(e.obj)  # the last acquire of that lock
            stack.reverse()
    return edges


def expect_no_lock_order_cycle(run: RunResult) -> None:
    """No two processes took two locks in opposite orders (a deadlock waiting to happen)."""
    trace = run.trace
    if trace is None:
        raise TaskCheckFailed("这次运行没有记录轨迹（trace），无法检查锁的顺序。")
    edges = lock_order_edges(trace)
    names = {p.pid: p.name for p in trace.processes}
    for (a, b), pid in sorted(edges.items()):
        other = edges.get((b, a))
        if other is not None and a < b:
            la, lb = trace.label(a), trace.label(b)
            raise TaskCheckFailed(
                f"可能死锁（deadlock）：{names.get(pid, '?')} 拿着 {la} 去要 {lb}，"
                f"{names.get(other, '?')} 却拿着 {lb} 去要 {la}。两个进程按相反的顺序加锁，"
                "只要时机不巧，就会各自拿着一把、永远等对方的那把（这次运行即使碰巧没卡住也一样）。"
                "让所有进程按同一个全局顺序加锁（例如总是先 lock_a 再 lock_b）。" + show_output(run))


def expect_outside_locks(run: RunResult, seconds: float, what: str = "") -> None:
    """Every ``time.sleep(seconds)`` of the program ran while its process held no lock."""
    trace = run.trace
    if trace is None:
        raise TaskCheckFailed("这次运行没有记录轨迹（trace），无法检查锁。")
    holds = _holds_by_pid(trace)
    label = what or f"time.sleep({seconds:g})"
    for e in trace.events:
        if e.kind is not EventKind.SLEEP_BEGIN:
            continue
        try:
            s = float(e.get("s") or "nan")
        except ValueError:
            continue
        if abs(s - seconds) > 1e-9:
            continue
        if any(iv.t0 <= e.t <= iv.t1 for iv in holds.get(e.pid, [])):
            raise TaskCheckFailed(
                f"{label} 是在拿着锁的时候做的：这段时间别的进程只能排队等锁，程序被串行化了。"
                "临界区（critical section）只应包含读—改—写共享数据的那几行；把不碰共享数据的慢操作移到 with lock: 外面。"
                + show_output(run))
