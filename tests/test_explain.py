"""explain(): the classic failures, produced by real programs (so the real CPython messages are
matched), plus explain_hang() on the trace of a program that hangs."""
from __future__ import annotations

import multiprocessing as mp
import pickle
import threading
from pathlib import Path

import pytest

from helpers.explain import Hint, explain, explain_hang, explain_trace, format_hints
from helpers.run.launcher import RunResult, run_code

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def run(tmp_path: Path, source: str, method: str = "spawn", timeout: float = 20) -> RunResult:
    return run_code(source, cwd=tmp_path, start_method=method, echo=False, timeout=timeout)


def titles(hints: list[Hint]) -> list[str]:
    return [h.title for h in hints]


def test_function_only_defined_under_main_guard(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp
        if __name__ == "__main__":
            def task():          # a notebook cell's function is just as invisible to the child
                print("hi")
            p = mp.Process(target=task); p.start(); p.join(timeout=20)
    """)
    assert "Can't get attribute 'task'" in result.stderr
    assert titles(result.hints) == ["子进程找不到在 notebook 里定义的函数"]
    kernel_text = "AttributeError: Can't get attribute 'task' on <module '__main__' (built-in)>"
    assert titles(explain(kernel_text)) == ["子进程找不到在 notebook 里定义的函数"]


def test_local_function_cannot_be_pickled(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp
        def main():
            def inner():
                pass
            mp.Process(target=inner).start()
        if __name__ == "__main__":
            main()
    """)
    assert result.returncode == 1
    assert titles(result.hints) == ["目标函数无法被序列化（pickle）"]


def test_daemon_with_children(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp, time
        def parent():
            mp.Process(target=time.sleep, args=(0.1,)).start()
        if __name__ == "__main__":
            p = mp.Process(target=parent, daemon=True); p.start(); p.join(timeout=20)
    """, method="fork")
    assert titles(result.hints) == ["守护进程（daemon）不能再创建子进程"]


def test_lock_passed_through_a_queue(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp
        if __name__ == "__main__":
            with mp.Pool(1) as pool:
                pool.apply(print, (mp.Lock(),))
    """)
    assert "through inheritance" in result.stderr
    assert titles(result.hints) == ["锁（Lock）或队列（Queue）传递的方式不对"]


def test_thread_lock_given_to_a_process(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp, threading
        def f(lock):
            pass
        if __name__ == "__main__":
            mp.Process(target=f, args=(threading.Lock(),)).start()
    """)
    assert titles(result.hints) == ["把线程用的锁或队列交给了进程"]
    with pytest.raises(TypeError) as info:
        pickle.dumps(threading.Lock())
    assert titles(explain(info.value)) == ["把线程用的锁或队列交给了进程"]


def test_missing_main_guard_under_spawn(tmp_path: Path) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp
        def f():
            pass
        p = mp.Process(target=f)
        p.start()
        p.join(timeout=20)
    """, timeout=20)
    assert "bootstrapping phase" in result.stderr
    assert "缺少 if __name__ == \"__main__\": 保护" in titles(result.hints)


def test_start_twice_and_join_unstarted_in_kernel() -> None:
    p = mp.get_context("fork").Process(target=int)
    with pytest.raises(AssertionError) as join_error:
        p.join()
    assert titles(explain(join_error.value)) == ["join() 了一个还没有 start() 的进程"]
    p.start()
    p.join(timeout=20)
    with pytest.raises(AssertionError) as twice:
        p.start()
    assert titles(explain(twice.value)) == ["同一个 Process 对象 start() 了两次"]


def test_qsize_on_macos_text() -> None:
    macos = ('  File "/usr/lib/python3.12/multiprocessing/queues.py", line 126, in qsize\n'
             "    return self._maxsize - self._sem._semlock._get_value()\n"
             "NotImplementedError\n")
    assert titles(explain(macos)) == ["macOS 上不支持 Queue.qsize()"]
    assert explain("NotImplementedError: write me") == []


def test_unrelated_errors_get_no_hint() -> None:
    assert explain(ValueError("x")) == [] and explain(None) == [] and explain("") == []


def test_hang_is_explained_from_the_trace(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp
        def consumer(q):
            q.get()                      # nobody ever puts anything
        if __name__ == "__main__":
            q = mp.Queue()
            p = mp.Process(target=consumer, args=(q,), name="consumer")
            p.start()
            p.join()
    """, method=start_method, timeout=3)
    assert result.timed_out
    if result.trace is None:
        pytest.fail("the tracer did not record this run")
    hang = titles(explain_hang(result.trace))
    assert any(t.startswith("程序卡住了：consumer (pid ") and t.endswith("停在 get()") for t in hang)
    assert any(t.startswith("程序卡住了：MainProcess (pid ") and t.endswith("停在 join()")
               for t in hang)
    assert titles(result.hints) == hang
    text = format_hints(result.hints)
    assert "还在等待进程 consumer (pid " in text and "一直是空的" in text


def test_every_wait_kind_gets_a_hang_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wait from helpers.events.WAITS without its own Chinese text still gets a generic hint;
    starting a child and sleeping end by themselves and never count as hanging."""
    import helpers.explain as explain_module
    from helpers.events import WAITS, EventKind
    from helpers.trace.model import Event, Trace

    K = EventKind
    trace = Trace([
        Event(0.0, 10, "MainProcess", K.BOOT, "main", "ppid=1"),
        Event(0.1, 10, "MainProcess", K.SLEEP_BEGIN, "", "s=5"),
        Event(0.2, 11, "Process-1", K.PROC_BEGIN, "Process-1", "parent=10 daemon=0"),
        Event(0.3, 11, "Process-1", K.LOCK_WAIT, "sem-x", "type=Lock timeout=None"),
    ])
    monkeypatch.delitem(explain_module._STUCK, K.LOCK_WAIT)
    hints = explain_hang(trace)
    assert len(hints) == 1, "sleeping is not a hang"
    assert hints[0].title == "程序卡住了：Process-1 (pid 11) 停在 lock_wait"
    assert "waiting (lock)" in hints[0].explanation_zh and "Lock 1" in hints[0].explanation_zh
    assert K.LOCK_WAIT in WAITS and K.LOCK_WAIT not in explain_module._ENDS_BY_ITSELF


def test_helpers_explain_is_the_module_before_and_after_the_launcher_imports_it() -> None:
    import subprocess
    import sys

    code = ("import helpers\n"
            "first = helpers.explain\n"
            "import helpers.run.launcher\n"
            "assert helpers.explain is first, 'helpers.explain changed when the launcher loaded'\n"
            "hints = helpers.explain.explain(\"Can't get attribute 'f' on <module '__main__'>\")\n"
            "assert hints and hints[0].title, hints\n"
            "assert 'explain' in dir(helpers) and 'explain' in helpers.__all__\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _children_with_own_locks(boot: str, typ: str = "Lock", n: int = 2, ppid: int = 10):
    """A made-up trace: a main process (pid 10), maybe a fork server (pid 9), and ``n`` children
    that each acquire and release a lock id of their own."""
    from helpers.events import EventKind
    from helpers.trace.model import Event, Trace

    K = EventKind
    events = [Event(0.0, 10, "MainProcess", K.BOOT, "main", "ppid=1")]
    if ppid == 9:
        events.append(Event(0.01, 9, "ForkServer", K.BOOT, "forkserver", "ppid=10"))
    for i in range(n):
        pid, t = 20 + i, 0.1 * (i + 1)
        events += [Event(t, pid, f"w{i}", K.BOOT, boot, f"ppid={ppid}"),
                   Event(t + 0.01, pid, f"w{i}", K.PROC_BEGIN, f"w{i}", "parent=10 daemon=0"),
                   Event(t + 0.02, pid, f"w{i}", K.LOCK_ACQUIRE, f"/mp-{i}", f"type={typ} ok=1 waited=0"),
                   Event(t + 0.03, pid, f"w{i}", K.LOCK_RELEASE, f"/mp-{i}", f"type={typ}")]
    return Trace(events)


def test_one_lock_per_spawned_child_is_explained_from_the_trace() -> None:
    hints = explain_trace(_children_with_own_locks("spawn"))
    assert titles(hints) == ["2 个子进程各用各的锁：Lock 没有被共享，互斥不起作用"]
    assert "这次运行用 spawn 启动子进程：w0 (pid 20)、w1 (pid 21)" in hints[0].explanation_zh
    forkserver = explain_trace(_children_with_own_locks("fork", ppid=9))
    assert "这次运行用 forkserver 启动子进程" in forkserver[0].explanation_zh


@pytest.mark.parametrize(("boot", "typ", "n"), [
    ("fork", "Lock", 3),         # forked by the main process: a copy, not a new import
    ("spawn", "Lock", 1),        # one child alone: nobody to exclude
    ("spawn", "Semaphore", 3),   # a semaphore per process is a normal design
], ids=["fork", "one_child", "semaphores"])
def test_no_module_lock_hint_without_two_spawned_children_with_own_locks(boot: str, typ: str,
                                                                          n: int) -> None:
    assert explain_trace(_children_with_own_locks(boot, typ, n)) == []
