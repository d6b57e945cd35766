"""helpers.trace.recorder: real processes under fork, spawn and forkserver record what they did."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers.events import EventKind
from helpers.trace.model import Trace

REPO = Path(__file__).resolve().parents[1]
METHODS = ["fork", "spawn", "forkserver"]
RUN_TIMEOUT = 60


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_traced(tmp_path: Path, code: str, *args: str, env: dict[str, str] | None = None,
               ) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``code`` as a script with tracing on (our own bootstrap), in its own session.

    Asserts that nothing of the run's process group is left afterwards (and kills it if so).
    """
    boot = tmp_path / "boot"
    boot.mkdir(exist_ok=True)
    (boot / "sitecustomize.py").write_text(
        "import helpers.trace.recorder\nhelpers.trace.recorder.install_from_env()\n")
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(code))
    trace_dir = tmp_path / "trace"
    trace_dir.mkdir(exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    full_env.update(PYTHONPATH=f"{boot}{os.pathsep}{REPO}", COURSE_TRACE_DIR=str(trace_dir))
    full_env.update(env or {})
    proc = subprocess.Popen([sys.executable, str(script), *args], cwd=tmp_path, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
        deadline = time.monotonic() + 5
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        leftover = _group_alive(proc.pid)
        if leftover:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not leftover, "processes of the traced run were left behind"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), trace_dir


EVERYTHING = """
import multiprocessing as mp, queue, sys, time

def sleeper(s):
    time.sleep(s)

def exits_with(code):
    sys.exit(code)

def locker(lock, rlock, sem, q, jq, started):
    started.set()
    with lock:
        time.sleep(0.05)
        if not lock.acquire(False):   # a Lock is not recursive: already held
            print("nonblocking failed")
    with rlock:
        with rlock:
            pass
    with sem:
        pass
    q.put("from child")
    item = jq.get(timeout=10)
    jq.task_done()

if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    lock, rlock, sem = mp.Lock(), mp.RLock(), mp.Semaphore(2)
    q, small, jq = mp.Queue(), mp.Queue(maxsize=1), mp.JoinableQueue()
    jq.put("job")
    started = mp.Event()   # its own internal locks must not show up as the program's locks
    lock.acquire()
    child = mp.Process(target=locker, args=(lock, rlock, sem, q, jq, started), name="Locker")
    child.start()
    started.wait(10)
    time.sleep(0.1)
    lock.release()
    print("got", q.get(timeout=10))
    jq.join()
    child.join(timeout=10)
    print("timed acquire", lock.acquire(timeout=0.01))
    lock.release()
    small.put_nowait(1)
    try:
        small.put(2, timeout=0.05)
    except queue.Full:
        print("full")
    print("nowait", small.get_nowait())
    try:
        small.get(timeout=0.05)
    except queue.Empty:
        print("empty")
    d = mp.Process(target=sleeper, args=(30,), daemon=True, name="Daemon")
    k = mp.Process(target=sleeper, args=(30,), name="Killed")
    e = mp.Process(target=exits_with, args=(3,), name="Three")
    for p in (d, k, e):
        p.start()
    time.sleep(0.2)
    d.terminate()
    k.kill()
    for p in (d, k, e):
        p.join(timeout=10)
    print("codes", d.exitcode, k.exitcode, e.exitcode)
    import threading
    here, there = mp.Pipe()
    threading.Timer(0.05, there.send, ("late",)).start()   # recv waits for it
    print("pipe", here.recv())
    there.close()
    try:
        here.recv()
    except EOFError:
        print("pipe closed")
    with open("db.json", "w") as f:   # file_write (chapter 07)
        f.write("{}")
    with open("db.json") as f:        # file_read
        f.read()
"""


@pytest.mark.parametrize("method", METHODS)
def test_every_event_kind_is_recorded(tmp_path: Path, method: str) -> None:
    result, trace_dir = run_traced(tmp_path, EVERYTHING, method)
    assert result.returncode == 0, result.stderr
    assert "got from child" in result.stdout
    assert "nonblocking failed" in result.stdout
    assert "timed acquire True" in result.stdout
    assert "full" in result.stdout and "empty" in result.stdout and "nowait 1" in result.stdout
    assert "codes -15 -9 3" in result.stdout

    trace = Trace.load(trace_dir)
    kinds = {e.kind for e in trace.events}
    missing = set(EventKind) - kinds - {EventKind.DROPPED, EventKind.STOPPED}  # STOPPED: the launcher
    assert not missing, f"never recorded: {sorted(k.value for k in missing)}"

    names = {p.name: p for p in trace.processes}
    assert set(names) == {"MainProcess", "Locker", "Daemon", "Killed", "Three"}
    assert names["Daemon"].daemon and not names["Killed"].daemon
    codes = {p.name: p.exitcode for p in trace.processes}
    assert codes == {"MainProcess": 0, "Locker": 0, "Daemon": -15, "Killed": -9, "Three": 3}

    locker = names["Locker"].pid
    main = names["MainProcess"].pid
    ev = [e for e in trace.events if e.pid == locker]
    # the child waited for the lock the parent held, then got it after a real wait
    acq = [e for e in ev if e.kind is EventKind.LOCK_ACQUIRE and e.get("type") == "Lock"]
    assert acq[0].get("waited") == "1" and acq[0].get("ok") == "1"
    assert any(e.get("block") == "0" and e.get("ok") == "0" for e in acq)
    assert any(e.kind is EventKind.LOCK_ACQUIRE and e.get("type") == "RLock" for e in ev)
    assert any(e.kind is EventKind.LOCK_ACQUIRE and e.get("type") == "Semaphore" for e in ev)
    # the main process's timed get that ran out is recorded as a failed get after a wait
    gets = [e for e in trace.events if e.pid == main and e.kind is EventKind.GET]
    assert any(e.get("err") == "Empty" and e.get("waited") == "1" for e in gets)
    puts = [e for e in trace.events if e.pid == main and e.kind is EventKind.PUT]
    assert any(e.get("err") == "Full" and e.get("waited") == "1" for e in puts)
    assert any(e.get("block") == "0" and e.get("ok") == "1" for e in puts)  # put_nowait
    # plumbing locks inside queues are not reported as the program's locks
    lock_types = {e.get("type") for e in trace.events if e.kind is EventKind.LOCK_ACQUIRE}
    assert lock_types == {"Lock", "RLock", "Semaphore"}
    lock_ids = {e.obj for e in trace.events if e.kind is EventKind.LOCK_ACQUIRE}
    assert len(lock_ids) == 3, "one id per lock, the same in every process"
    # the lock held by the parent shows up as a wait in the child
    assert any(iv.state.name == "LOCK_WAIT" and iv.duration > 0.03
               for iv in trace.intervals(locker))
    # terminate/kill are recorded in the parent against the child's pid
    targets = {e.obj for e in trace.events if e.kind in (EventKind.TERMINATE, EventKind.KILL)}
    assert targets == {str(names["Daemon"].pid), str(names["Killed"].pid)}


@pytest.mark.parametrize("method", METHODS)
def test_child_begins_after_parent_starts_it(tmp_path: Path, method: str) -> None:
    code = """
    import multiprocessing as mp, sys, time
    def work():
        time.sleep(0.05)
    if __name__ == "__main__":
        mp.set_start_method(sys.argv[1])
        ps = [mp.Process(target=work, name=f"W{i}") for i in range(3)]
        for p in ps:
            p.start()
        for p in ps:
            p.join(timeout=20)
    """
    result, trace_dir = run_traced(tmp_path, code, method)
    assert result.returncode == 0, result.stderr
    trace = Trace.load(trace_dir)
    starts = {e.obj: e.t for e in trace.events if e.kind is EventKind.START_BEGIN}
    begins = {e.obj: e.t for e in trace.events if e.kind is EventKind.PROC_BEGIN}
    ends = {e.obj: e.t for e in trace.events if e.kind is EventKind.PROC_END}
    assert set(starts) == set(begins) == set(ends) == {"W0", "W1", "W2"}
    for name in starts:
        assert starts[name] < begins[name] < ends[name]
        assert ends[name] - begins[name] >= 0.045  # the 50 ms sleep is inside
    join_ends = {e.obj: e.t for e in trace.events if e.kind is EventKind.JOIN_END}
    for p in trace.processes:
        if p.name != "MainProcess":
            assert join_ends[str(p.pid)] >= p.end
            assert p.ppid == trace.processes[0].pid  # the logical parent, also under forkserver
    times = [e.t for e in trace.events]
    assert times == sorted(times)


def test_program_without_multiprocessing_does_not_import_it(tmp_path: Path) -> None:
    code = """
    import sys, time
    time.sleep(0.01)
    print("mp imported:", "multiprocessing" in sys.modules)
    """
    result, trace_dir = run_traced(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert "mp imported: False" in result.stdout
    trace = Trace.load(trace_dir)
    assert [e.kind for e in trace.events] == [EventKind.BOOT, EventKind.SLEEP_BEGIN,
                                              EventKind.SLEEP_END, EventKind.EXIT]
    assert trace.exitcodes() == {trace.processes[0].pid: 0}


def test_bound_caps_events_and_reports_drops(tmp_path: Path) -> None:
    code = """
    import multiprocessing as mp
    if __name__ == "__main__":
        lock = mp.Lock()
        for _ in range(50_000):   # 100 000 events: acquire + release
            lock.acquire()
            lock.release()
    """
    result, trace_dir = run_traced(tmp_path, code, env={"COURSE_TRACE_MAX_EVENTS": "20000"})
    assert result.returncode == 0, result.stderr
    files = list(trace_dir.glob("events-*.log"))
    main_file = max(files, key=lambda f: f.stat().st_size)
    lines = main_file.read_text().splitlines()
    ordinary = [ln for ln in lines if "\tdropped\t" not in ln]
    assert len(ordinary) <= 20_000 + 1  # the bound, plus the exit event that is always written
    assert main_file.stat().st_size < 2_000_000
    trace = Trace.load(trace_dir)
    pid = int(main_file.stem.split("-")[1])
    # boot + the first 19 999 lock events kept, the other 80 001 counted; exit always written
    assert trace.dropped[pid] == 100_000 + 1 - 20_000
    assert trace.events[-1].kind is EventKind.EXIT and trace.exitcodes()[pid] == 0
    assert "dropped events" in trace.summary()


def test_exceptions_timeouts_and_exit_codes_are_unchanged(tmp_path: Path) -> None:
    code = """
    import multiprocessing as mp, queue, sys
    if __name__ == "__main__":
        q = mp.Queue(maxsize=1)
        assert q.put(1) is None
        assert q.get() == 1
        lock = mp.Lock()
        assert lock.acquire() is True
        assert lock.acquire(timeout=0.01) is False
        assert lock.acquire(block=False) is False
        lock.release()
        try:
            lock.release()
        except ValueError:
            print("ValueError kept")
        q.close()
        try:
            q.put(1)
        except ValueError:
            print("closed kept")
        sys.exit(7)
    """
    result, trace_dir = run_traced(tmp_path, code)
    assert result.returncode == 7, result.stderr
    assert "ValueError kept" in result.stdout and "closed kept" in result.stdout
    trace = Trace.load(trace_dir)
    assert list(trace.exitcodes().values()) == [7]


def test_unhandled_exception_in_main_is_exit_code_1(tmp_path: Path) -> None:
    result, trace_dir = run_traced(tmp_path, "raise RuntimeError('boom')\n")
    assert result.returncode == 1
    assert "RuntimeError: boom" in result.stderr
    assert list(Trace.load(trace_dir).exitcodes().values()) == [1]


def test_unusable_trace_dir_disables_tracing_silently(tmp_path: Path) -> None:
    code = """
    import multiprocessing as mp, time
    if __name__ == "__main__":
        time.sleep(0.01)
        with mp.Lock():
            print("ran")
    """
    result, _ = run_traced(tmp_path, code, env={"COURSE_TRACE_DIR": str(tmp_path / "missing")})
    assert result.returncode == 0
    assert result.stdout == "ran\n" and result.stderr == ""


def test_os_fork_child_writes_its_own_file(tmp_path: Path) -> None:
    code = """
    import os, time
    pid = os.fork()
    if pid == 0:
        time.sleep(0.01)
        os._exit(0)
    os.waitpid(pid, 0)
    print(pid)
    """
    result, trace_dir = run_traced(tmp_path, code)
    assert result.returncode == 0, result.stderr
    child = int(result.stdout)
    trace = Trace.load(trace_dir)
    child_kinds = [e.kind for e in trace.events if e.pid == child]
    assert child_kinds == [EventKind.BOOT, EventKind.SLEEP_BEGIN, EventKind.SLEEP_END]
    parent_kinds = [e.kind for e in trace.events if e.pid != child]
    assert EventKind.SLEEP_BEGIN not in parent_kinds


@pytest.mark.parametrize("method", METHODS)
def test_daemon_is_terminated_when_main_ends(tmp_path: Path, method: str) -> None:
    code = """
    import multiprocessing as mp, sys, time
    def forever():
        time.sleep(30)
    if __name__ == "__main__":
        mp.set_start_method(sys.argv[1])
        mp.Process(target=forever, daemon=True, name="D").start()
        time.sleep(0.3)
    """
    result, trace_dir = run_traced(tmp_path, code, method)
    assert result.returncode == 0, result.stderr
    trace = Trace.load(trace_dir)
    d = next(p for p in trace.processes if p.name == "D")
    assert d.daemon and d.exitcode == -signal.SIGTERM
    implicit = [e for e in trace.events if e.kind is EventKind.JOIN_END and e.obj == str(d.pid)]
    assert implicit and implicit[0].get("implicit") == "1"


@pytest.mark.parametrize("method", METHODS)
def test_run_script_end_to_end(tmp_path: Path, method: str) -> None:
    """Through the real launcher and bootstrap (helpers/run/_boot/sitecustomize.py)."""
    from helpers.run.launcher import run_script

    (tmp_path / "pc.py").write_text(textwrap.dedent("""
    import multiprocessing as mp, time
    def producer(q):
        for i in range(3):
            q.put(i)
            time.sleep(0.02)
        q.put(None)
    def consumer(q, lock):
        while (item := q.get()) is not None:
            with lock:
                print("got", item)
    if __name__ == "__main__":
        q, lock = mp.Queue(), mp.Lock()
        ps = [mp.Process(target=producer, args=(q,)), mp.Process(target=consumer, args=(q, lock))]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
    """))
    result = run_script("pc.py", start_method=method, cwd=tmp_path, timeout=RUN_TIMEOUT,
                        echo=False, show_hints=False)
    assert result.returncode == 0 and not result.timed_out, result.stderr
    assert not result.leftovers
    trace = result.trace
    assert isinstance(trace, Trace)
    assert sorted(p.name for p in trace.processes) == ["MainProcess", "Process-1", "Process-2"]
    assert set(trace.exitcodes().values()) == {0}
    depth = trace.queue_depth()
    assert depth[-1][1] == 0 and max(d for _, d in depth) >= 1
    assert sum(1 for e in trace.events if e.kind is EventKind.PUT and e.get("ok") == "1") == 4
    assert len(trace.lock_holds()) == 3


@pytest.mark.parametrize("method", METHODS)
def test_exit_status_learnt_without_join_is_recorded(tmp_path: Path, method: str) -> None:
    # multiprocessing reaps children it never joins (is_alive(), active_children(), the daemon
    # clean-up at exit); the trace must still know their exit code.
    code = """
    import multiprocessing as mp, os, sys, time
    def exits_with(code):
        sys.exit(code)
    if __name__ == "__main__":
        mp.set_start_method(sys.argv[1])
        p = mp.Process(target=exits_with, args=(5,), name="C")
        p.start()
        while p.is_alive():
            time.sleep(0.02)
        sys.stdout.flush()
        os._exit(0)  # no join, not even the implicit one at exit
    """
    result, trace_dir = run_traced(tmp_path, code, method)
    assert result.returncode == 0, result.stderr
    trace = Trace.load(trace_dir)
    child = next(p for p in trace.processes if p.name == "C")
    assert child.exitcode == 5
    assert [e for e in trace.events if e.kind is EventKind.REAPED and e.obj == str(child.pid)]
    assert not [e for e in trace.events if e.kind is EventKind.JOIN_END and e.obj == str(child.pid)]


def test_an_interrupted_wait_is_recorded_with_its_exception(tmp_path: Path) -> None:
    # Ctrl-C while the main process waits for a lock, then in join(): the end event of each
    # wait names the exception, and the exception reaches the program unchanged.
    code = """
    import multiprocessing as mp, signal, threading, time
    def interrupt_main_soon():
        threading.Timer(0.2, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT)).start()
    def sleeper():
        time.sleep(30)
    if __name__ == "__main__":
        mp.set_start_method("fork")
        lock = mp.Lock()
        lock.acquire()
        interrupt_main_soon()
        try:
            lock.acquire()
        except KeyboardInterrupt:
            print("acquire interrupted")
        p = mp.Process(target=sleeper, name="Sleeper")
        p.start()
        interrupt_main_soon()
        try:
            p.join()
        except KeyboardInterrupt:
            print("join interrupted")
        p.kill()
        p.join()
        print("code", p.exitcode)
    """
    result, trace_dir = run_traced(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["acquire interrupted", "join interrupted", "code -9"]
    trace = Trace.load(trace_dir)
    main = next(p.pid for p in trace.processes if p.name == "MainProcess")
    ev = [e for e in trace.events if e.pid == main]
    acquires = [e for e in ev if e.kind is EventKind.LOCK_ACQUIRE]
    assert [(e.get("ok"), e.get("waited"), e.get("err")) for e in acquires] == [
        ("1", "0", None), ("0", "1", "KeyboardInterrupt")]
    assert any(e.kind is EventKind.LOCK_WAIT for e in ev)
    joins = [e for e in ev if e.kind is EventKind.JOIN_END]
    assert [(e.get("code"), e.get("err"), e.get("implicit")) for e in joins] == [
        ("none", "KeyboardInterrupt", None), ("-9", None, "0")]
