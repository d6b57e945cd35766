"""Nothing a program starts outlives run_script: normal exit, timeout, Stop button, errors,
grandchildren, and double-forked daemons that left the session."""
from __future__ import annotations

import _thread
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import helpers.run.killtree as killtree
import helpers.run.launcher as launcher
from helpers.run.launcher import run_script
from tests.conftest import pid_exists_running

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


@pytest.fixture
def stop_button() -> object:
    """The notebook's Stop button: an interrupt of the main thread after a delay.

    ``_thread.interrupt_main()`` does nothing while SIGINT's Python handler is SIG_IGN or SIG_DFL
    (a library loaded by an earlier test in the same pytest process may leave it so: seen in full
    runs on Python 3.10). A Jupyter kernel runs cells with the default handler, so the test runs
    with it too, and restores whatever was there.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timers: list[threading.Timer] = []

    def press(after: float) -> None:
        timer = threading.Timer(after, _thread.interrupt_main)
        timers.append(timer)
        timer.start()

    yield press
    for timer in timers:
        timer.cancel()
    signal.signal(signal.SIGINT, previous)
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="uses os.fork / os.setsid")


def write(tmp_path: Path, name: str, source: str) -> None:
    (tmp_path / name).write_text(textwrap.dedent(source), encoding="utf-8")


def pids_printed(result: launcher.RunResult, prefix: str) -> list[int]:
    return [int(t.split()[-1]) for t in result.lines() if t.startswith(prefix)]


SLEEPING_TREE = """
    import multiprocessing as mp
    import os, subprocess, sys, time

    def child():
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print("grandchild", grandchild.pid, flush=True)
        time.sleep(120)

    if __name__ == "__main__":
        p = mp.Process(target=child)
        p.start()
        print("child", p.pid, flush=True)
        p.join()
"""


def test_timeout_kills_children_and_grandchildren(tmp_path: Path, start_method: str) -> None:
    write(tmp_path, "tree.py", SLEEPING_TREE)
    t0 = time.monotonic()
    result = run_script("tree.py", cwd=tmp_path, start_method=start_method, timeout=3.0,
                        echo=False)
    assert result.timed_out and not result.interrupted
    assert time.monotonic() - t0 < 10
    assert 3.0 <= result.duration < 10
    child, grandchild = pids_printed(result, "child")[0], pids_printed(result, "grandchild")[0]
    assert {result.pid, child, grandchild} <= set(result.leftovers)
    assert not any(pid_exists_running(pid) for pid in (result.pid, child, grandchild))
    assert result.summary().startswith("timed out")


def test_normal_exit_kills_sleeping_grandchild(tmp_path: Path) -> None:
    write(tmp_path, "orphan.py", """
        import subprocess, sys
        g = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print("grandchild", g.pid)
    """)
    result = run_script("orphan.py", cwd=tmp_path, echo=False, timeout=20)
    assert result.returncode == 0 and not result.timed_out
    grandchild = pids_printed(result, "grandchild")[0]
    assert result.leftovers == [grandchild]
    assert not pid_exists_running(grandchild)
    assert "killed 1 leftover process" in result.summary()


def test_keyboard_interrupt_returns_interrupted_result(tmp_path: Path, start_method: str,
                                                      stop_button) -> None:
    write(tmp_path, "tree.py", SLEEPING_TREE)
    stop_button(2.0)
    result = run_script("tree.py", cwd=tmp_path, start_method=start_method, timeout=30, echo=False)
    assert result.interrupted and not result.timed_out
    assert result.duration < 10
    pids = pids_printed(result, "child") + pids_printed(result, "grandchild") + [result.pid]
    assert len(pids) == 3
    assert not any(pid_exists_running(pid) for pid in pids)


def test_keyboard_interrupt_can_be_reraised(tmp_path: Path, stop_button) -> None:
    write(tmp_path, "sleep.py", "import time\nprint('start', flush=True)\ntime.sleep(120)\n")
    stop_button(1.0)
    with pytest.raises(KeyboardInterrupt):
        run_script("sleep.py", cwd=tmp_path, timeout=30, echo=False, raise_on_interrupt=True)


def test_error_in_program_still_kills_its_processes(tmp_path: Path) -> None:
    write(tmp_path, "err.py", """
        import subprocess, sys
        g = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print("grandchild", g.pid, flush=True)
        raise RuntimeError("main failed")
    """)
    result = run_script("err.py", cwd=tmp_path, echo=False, timeout=20)
    assert result.returncode == 1
    assert result.lines(stream="stderr")[-1] == "RuntimeError: main failed"
    grandchild = pids_printed(result, "grandchild")[0]
    assert grandchild in result.leftovers and not pid_exists_running(grandchild)


def test_error_in_launcher_still_kills_everything(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "tree.py", SLEEPING_TREE)

    def broken_echo(lines: object) -> None:
        raise OSError("display went away")

    monkeypatch.setattr(launcher, "_echo", broken_echo)
    with pytest.raises(OSError, match="display went away"):
        run_script("tree.py", cwd=tmp_path, timeout=30, echo=True)
    # no_leftover_processes checks that the child and grandchild are gone


@posix_only
def test_double_forked_setsid_daemon_is_found_and_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    write(tmp_path, "daemon.py", f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()                      # leave the launcher's session and process group
            if os.fork() == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)     # a real daemon lets go of the output pipes
                with open({str(pidfile)!r}, "w") as fh:
                    fh.write(str(os.getpid()))
                time.sleep(120)
                os._exit(0)
            os._exit(0)
        os.wait()
        while not os.path.exists({str(pidfile)!r}):
            time.sleep(0.001)
        print("main done")
    """)
    result = run_script("daemon.py", cwd=tmp_path, echo=False, timeout=20)
    assert result.lines() == ["main done"]
    daemon = int(pidfile.read_text())
    assert os.getsid(daemon) != result.pid or not pid_exists_running(daemon)
    assert daemon in result.leftovers
    assert not pid_exists_running(daemon)


def test_multiprocessing_helpers_are_not_reported_as_leftovers(tmp_path: Path) -> None:
    write(tmp_path, "fs.py", """
        import multiprocessing as mp
        def f(q):
            q.put(1)
        if __name__ == "__main__":
            q = mp.Queue()
            p = mp.Process(target=f, args=(q,))
            p.start(); print(q.get(timeout=20)); p.join(timeout=20)
    """)
    result = run_script("fs.py", cwd=tmp_path, start_method="forkserver", echo=False)
    assert result.returncode == 0 and result.leftovers == []
    assert result.processes == 2


def test_helper_seen_only_before_exec_is_still_not_counted(tmp_path: Path) -> None:
    """The tree may see the fork server only between fork and exec (its command line is then
    the parent's); its own boot event in the trace still marks it as a helper (a CI run counted
    "4 processes" for a 3-process forkserver program this way)."""
    from helpers.trace.model import Trace

    (tmp_path / "events-10.log").write_bytes(b"1000000000\tboot\tmain\tppid=1\n")
    (tmp_path / "events-11.log").write_bytes(b"1100000000\tboot\tforkserver\tppid=10\n")
    (tmp_path / "events-12.log").write_bytes(b"1200000000\tboot\tfork\tppid=11\n")

    class TreeThatMissedTheHelper:
        def helper_pids(self) -> set[int]:
            return set()

        def seen_pids(self) -> set[int]:
            return {10, 11, 12}

    result = launcher.RunResult(args=[], returncode=0, pid=10, trace=Trace.load(tmp_path))
    codes, count = launcher._exitcodes_and_count(result, TreeThatMissedTheHelper())
    assert (count, sorted(codes)) == (2, [10, 12])


def test_process_tree_refuses_roots_it_did_not_start() -> None:
    import subprocess

    for root in (1, os.getpid(), os.getppid()):
        with pytest.raises(killtree.UnsafeProcessTreeError):
            killtree.ProcessTree(root, "x")
    plain_child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        if sys.platform.startswith("linux"):  # same session as us: killing "its session" = ours
            with pytest.raises(killtree.UnsafeProcessTreeError):
                killtree.ProcessTree(plain_child.pid, "x")
    finally:
        plain_child.kill()
        plain_child.wait(timeout=10)


def test_a_process_caught_between_fork_and_exec_is_classified_by_its_later_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A poll can catch a process between fork and exec, when its command line is still its
    parent's. A forkserver worker's subprocess then carries the fork server's marker (3.12 CI
    run: a grandchild classified as a helper for good and left out of the leftovers), and a
    fork server carries its parent's plain command line. Neither decision may stick."""
    main, server, worker, grandchild = 100, 101, 102, 103
    server_cmd = b"python\0-c\0from multiprocessing.forkserver import main; main(5, 6)\0"
    cmdlines = {
        main: b"python\0prog.py\0",
        server: b"python\0prog.py\0",  # forked by main, not yet exec'd
        worker: server_cmd,  # forked by the fork server: its command line, but a worker
        grandchild: server_cmd,  # forked by the worker, not yet exec'd
    }
    monkeypatch.setattr(killtree, "_read_proc_file", lambda pid, name: cmdlines.get(pid, b""))
    monkeypatch.setattr(killtree, "_check_root", lambda root: None)
    monkeypatch.setattr(killtree, "_stat", lambda pid: None)
    tree = killtree.ProcessTree(main, "run")
    tree._ppid.update({server: main, worker: server, grandchild: worker})

    tree._classify({server})
    assert tree.helper_pids() == set()  # not yet: it still looks like main
    cmdlines[server] = server_cmd
    tree._classify({server, worker, grandchild})
    assert tree.helper_pids() == {server}  # the worker and its pre-exec child are not helpers
    cmdlines[grandchild] = b"sleep\x0030\0"
    tree._classify({server, worker, grandchild})
    assert tree.helper_pids() == {server}
    del cmdlines[server]  # the fork server has gone: it stays a helper
    tree._classify({server, worker, grandchild})
    assert tree.helper_pids() == {server}
