"""helpers.run.workers run as Process targets under every start method (in this process, like a kernel)."""
from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest

from helpers.run import workers

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def run(ctx: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
    p = ctx.Process(target=target, args=args, **kwargs)
    p.start()
    return p


def test_report_ids(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    q = ctx.Queue()
    p = run(ctx, workers.report_ids, q, name="reporter")
    info = q.get(timeout=20)
    p.join(timeout=20)
    assert (info["name"], info["pid"]) == ("reporter", p.pid)
    if start_method == "forkserver":  # the OS parent is the fork server, not us
        assert info["ppid"] not in (p.pid, mp.current_process().pid)
    else:
        assert info["ppid"] == mp.current_process().pid
    assert p.exitcode == 0


def test_sleep_then_report_and_count_up(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    q = ctx.Queue()
    p1 = run(ctx, workers.sleep_then_report, 0.1, q, name="sleeper")
    p2 = run(ctx, workers.count_up, 3, q, name="counter")
    got = [q.get(timeout=20) for _ in range(4)]
    for p in (p1, p2):
        p.join(timeout=20)
    assert [g for g in got if g[0] == "counter"] == [("counter", 0), ("counter", 1), ("counter", 2)]
    sleeper = [g for g in got if g[0] == "sleeper"]
    assert len(sleeper) == 1 and sleeper[0][1] == 0.1


def test_append_to_list_shows_memory_is_not_shared(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    q = ctx.Queue()
    values = [1, 2]
    p = run(ctx, workers.append_to_list, values, q)
    assert q.get(timeout=20) == [1, 2, 99]
    p.join(timeout=20)
    assert values == [1, 2]


def test_crash_exit_code_and_spin_forever_terminate(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    p = run(ctx, workers.crash, 7)
    p.join(timeout=20)
    assert p.exitcode == 7
    spinner = run(ctx, workers.spin_forever)
    spinner.join(timeout=0.3)
    assert spinner.is_alive()
    spinner.terminate()
    spinner.join(timeout=20)
    assert spinner.exitcode == -15


def test_spawn_child_then_sleep_reports_its_child(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    q = ctx.Queue()
    p = run(ctx, workers.spawn_child_then_sleep, 0.2, q, name="parent")
    info = q.get(timeout=20)
    p.join(timeout=20)
    assert info["name"] == "parent" and info["pid"] == p.pid and info["child_pid"] > 0
    assert p.exitcode == 0


def test_daemon_cannot_have_children(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    p = run(ctx, workers.spawn_child_then_sleep, 0.2, daemon=True)
    p.join(timeout=20)
    assert p.exitcode == 1  # AssertionError: daemonic processes are not allowed to have children


def test_square_in_pool_and_add_to_shared_with_lock(start_method: str) -> None:
    ctx = mp.get_context(start_method)
    with ctx.Pool(2) as pool:
        assert pool.map(workers.square, range(5)) == [0, 1, 4, 9, 16]
    counter, lock = ctx.Value("i", 0), ctx.Lock()
    procs = [run(ctx, workers.add_to_shared, counter, 200, lock) for _ in range(2)]
    for p in procs:
        p.join(timeout=20)
    assert counter.value == 400
