"""Checks for message-passing tasks (chapter 08): who put, got, sent and received how many
messages, whether a queue was drained before its writers were joined, whether a shared value was
updated under its lock.

They read the run's trace (``helpers.trace.model.Trace``), so they count what the program really
did, under every start method, instead of trusting what it printed::

    run = run_task("ch08_task1.py")                 # helpers.grading.checks
    expect_messages(run, "worker", puts=1)          # every process named worker* put exactly 1
    expect_messages(run, "MainProcess", gets=4)
    expect_drained_before_join(run)                 # main got every item before joining a writer
    expect_updates_under_lock(run, "adder", at_least=1)

Each check raises ``TaskCheckFailed`` with a Chinese message that ends with the program's output.
"""
from __future__ import annotations

from dataclasses import dataclass

from helpers.events import EventKind
from helpers.grading.checks import TaskCheckFailed, show_output
from helpers.run.launcher import RunResult
from helpers.trace.model import Trace

__all__ = ["Traffic", "traffic", "expect_messages", "expect_drained_before_join", "expect_updates_under_lock"]

_COUNTED = {EventKind.PUT: "puts", EventKind.GET: "gets", EventKind.SEND: "sends",
            EventKind.RECV: "recvs"}
_ZH = {"puts": "put()", "gets": "get()", "sends": "send()", "recvs": "recv()"}


@dataclass(frozen=True)
class Traffic:
    """Successful message operations of one process (failed ones, e.g. queue.Empty, not counted)."""

    pid: int
    name: str
    puts: int = 0
    gets: int = 0
    sends: int = 0
    recvs: int = 0


def _trace(result: RunResult) -> Trace:
    """The run's trace. ``run_task`` always records one; None means the check was given a run
    started without ``trace=True`` (a mistake in the test cell, not in the student's program)."""
    if result.trace is None:
        raise RuntimeError("this check reads the run's trace: run the program with run_task()")
    return result.trace


def traffic(result: RunResult) -> list[Traffic]:
    """Per program process (helpers left out), how many messages it put, got, sent, received."""
    trace = _trace(result)
    counts: dict[int, dict[str, int]] = {p.pid: {} for p in trace.processes if not p.helper}
    for e in trace.events:
        key = _COUNTED.get(e.kind)
        if key and e.pid in counts and e.get("ok") == "1":
            counts[e.pid][key] = counts[e.pid].get(key, 0) + 1
    names = {p.pid: p.name for p in trace.processes}
    return [Traffic(pid, names[pid], **c) for pid, c in counts.items()]


def _matching(result: RunResult, process: str) -> list[Traffic]:
    """Processes named ``process`` exactly, or starting with it (``worker`` -> worker-1, ...)."""
    rows = traffic(result)
    exact = [t for t in rows if t.name == process]
    return exact or [t for t in rows if t.name.startswith(process)]


def expect_messages(result: RunResult, process: str, *, puts: int | None = None, gets: int | None = None,
                    sends: int | None = None, recvs: int | None = None) -> None:
    """Every process named ``process`` (or ``process``-prefixed) did exactly these many ops.

    ``None`` leaves a count unchecked. Raises TaskCheckFailed when no such process exists.
    Returns nothing: a number as a test cell's last value would be read by nbgrader as points.
    """
    rows = _matching(result, process)
    if not rows:
        raise TaskCheckFailed(f"没有找到名为 {process!r} 的进程：创建 Process 时写上 name=...。"
                              + show_output(result))
    wanted = {"puts": puts, "gets": gets, "sends": sends, "recvs": recvs}
    for row in rows:
        for key, n in wanted.items():
            if n is not None and getattr(row, key) != n:
                raise TaskCheckFailed(
                    f"{row.name} 应该成功调用 {n} 次 {_ZH[key]}，实际是 {getattr(row, key)} 次。"
                    "每个结果都要正好经过队列（或管道）一次：不多（重复），不少（丢失）。"
                    + show_output(result))


def expect_drained_before_join(result: RunResult, process: str = "MainProcess") -> None:
    """``process`` got its last item before it began to join any child that put items.

    The deadlock from the Python docs' programming guidelines: a child that put items on a
    queue cannot end before they are read, so joining it first can hang. A program that got
    lucky (small items) is still caught here.
    """
    trace = _trace(result)
    pids = [p.pid for p in trace.processes if p.name == process]
    if not pids:
        raise TaskCheckFailed(f"没有找到进程 {process}。" + show_output(result))
    me = pids[0]
    writers = {str(e.pid) for e in trace.events if e.kind is EventKind.PUT and e.get("ok") == "1"
               and e.pid != me}
    last_get = max((e.t for e in trace.events
                    if e.pid == me and e.kind is EventKind.GET and e.get("ok") == "1"), default=None)
    for e in trace.events:
        if (e.pid == me and e.kind is EventKind.JOIN_BEGIN and e.obj in writers
                and e.get("implicit") != "1" and (last_get is None or e.t < last_get)):
            name = next((p.name for p in trace.processes if str(p.pid) == e.obj), e.obj)
            raise TaskCheckFailed(
                f"{process} 在取完队列里的数据之前就 join() 了往队列里放数据的 {name}。"
                "放过数据的进程要等数据被读走才能结束；数据一大，先 join 就会永远等下去。"
                "先 get() 取完全部结果，再 join()。" + show_output(result))


def expect_updates_under_lock(result: RunResult, process: str, *, at_least: int = 1) -> None:
    """Every process named ``process`` (or prefixed) read and wrote a shared value inside one
    hold of a lock at least ``at_least`` times.

    A synchronized ``Value`` takes its own lock for each read and each write of ``.value``; a
    hold that contains two or more such acquisitions (``with counter.get_lock():
    counter.value += 1``) is a read-modify-write under the lock. ``counter.value += 1`` alone
    takes the lock twice, separately, and counts 0. A lost update may not happen in a given
    run; a missing lock is visible in every run.
    """
    trace = _trace(result)
    procs = [p for p in trace.processes if p.name == process] or \
        [p for p in trace.processes if p.name.startswith(process) and not p.helper]
    if not procs:
        raise TaskCheckFailed(f"没有找到名为 {process!r} 的进程：创建 Process 时写上 name=...。"
                              + show_output(result))
    for p in procs:
        depth: dict[str, int] = {}
        inner: dict[str, int] = {}
        good = 0
        for e in trace.events:
            if e.pid != p.pid:
                continue
            if e.kind is EventKind.LOCK_ACQUIRE and e.get("ok") == "1":
                if depth.get(e.obj, 0) == 0:
                    inner[e.obj] = 0
                else:
                    inner[e.obj] += 1
                depth[e.obj] = depth.get(e.obj, 0) + 1
            elif e.kind is EventKind.LOCK_RELEASE and depth.get(e.obj, 0) > 0:
                depth[e.obj] -= 1
                if depth[e.obj] == 0 and inner.get(e.obj, 0) >= 2:
                    good += 1
        if good < at_least:
            raise TaskCheckFailed(
                f"{p.name} 没有在锁里完成“读出、加一、写回”：几个进程同时做这三步，有时会丢掉别人的更新。"
                "这一次结果也许碰巧是对的，但不加锁就不能保证；"
                "用 with counter.get_lock(): 把 counter.value += 1 包起来。" + show_output(result))
