"""Importable worker functions for ``Process(target=...)`` demos run inside the notebook kernel.

Functions defined in a notebook cell cannot reach a child under spawn or forkserver (the child
re-imports them by module and name), so in-kernel demos use these. Children's prints do not
reach the notebook reliably, so every worker reports through a Queue or its exit code::

    import multiprocessing as mp
    from helpers.run.workers import report_ids
    q = mp.Queue(); p = mp.Process(target=report_ids, args=(q,)); p.start(); print(q.get()); p.join()
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__ = ["report_ids", "sleep_then_report", "count_up", "append_to_list", "crash",
           "spin_forever", "spawn_child_then_sleep", "square", "add_to_shared"]


def _name() -> str:
    import multiprocessing

    return multiprocessing.current_process().name


def report_ids(queue: Any) -> None:
    """Put ``{"name", "pid", "ppid"}`` of this process on ``queue``."""
    queue.put({"name": _name(), "pid": os.getpid(), "ppid": os.getppid()})


def sleep_then_report(seconds: float, queue: Any) -> None:
    """Sleep ``seconds``, then put ``(name, seconds, time.monotonic())`` on ``queue``."""
    time.sleep(seconds)
    queue.put((_name(), seconds, time.monotonic()))


def count_up(n: int, queue: Any) -> None:
    """Put 0, 1, ..., n-1 on ``queue``, each as ``(name, i)``."""
    name = _name()
    for i in range(n):
        queue.put((name, i))


def append_to_list(values: list[int], queue: Any | None = None) -> None:
    """Append 99 to ``values`` in the child; the parent's list stays unchanged.

    With ``queue``, the child also puts its own view of the list on it, to compare.
    """
    values.append(99)
    if queue is not None:
        queue.put(list(values))


def crash(code: int = 1) -> None:
    """End the process with exit code ``code`` (``sys.exit``; the parent sees ``p.exitcode``)."""
    sys.exit(code)


def spin_forever(sleep: float = 0.05) -> None:
    """Never return on its own: the parent must terminate() or kill() it (or it is a daemon)."""
    while True:
        time.sleep(sleep)


def spawn_child_then_sleep(seconds: float, queue: Any | None = None) -> None:
    """Start a child of our own (which sleeps ``seconds``), report its pid, then sleep too.

    In a daemon process this raises AssertionError: daemonic processes may not have children.
    """
    import multiprocessing

    child = multiprocessing.Process(target=time.sleep, args=(seconds,), name="grandchild")
    child.start()
    if queue is not None:
        queue.put({"name": _name(), "pid": os.getpid(), "child_pid": child.pid})
    time.sleep(seconds)
    child.join()


def square(x: int) -> int:
    """``x * x``, for Pool.map demos."""
    return x * x


def add_to_shared(counter: Any, times: int, lock: Any | None = None) -> None:
    """Add 1 to ``counter.value`` ``times`` times; with ``lock``, each add holds the lock.

    Without a lock, read-modify-write steps of different processes interleave (lost updates).
    """
    for _ in range(times):
        if lock is None:
            value = counter.value
            counter.value = value + 1
        else:
            with lock:
                counter.value += 1
