"""helpers.grading.checks: the grading helpers that chapter 04-06 test cells use.

The assertion helpers are checked on hand-made results; run_task is checked on real programs
run through the launcher (missing file, stub, crash, hang, a crashing child, a good program),
under the start method the grader uses and under spawn. Nothing may outlive a test.
"""
from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import psutil
import pytest

from helpers.events import EventKind
from helpers.grading import checks as checking
from helpers.grading.checks import TaskCheckFailed
from helpers.run.launcher import OutputLine, RunResult
from helpers.trace.model import Event, Trace

METHODS = ["fork", "spawn", "forkserver"]


def fake(*texts: tuple[int, str, str], pid: int = 100, exitcodes: dict[int, int | None] | None = None,
         trace: Trace | None = None) -> RunResult:
    """A RunResult as the launcher would return it, with these stdout lines."""
    return RunResult(args=["python", "-u", "prog.py"], returncode=0, pid=pid,
                     output=[OutputLine(0.0, p, name, "stdout", text) for p, name, text in texts],
                     exitcodes=exitcodes or {}, trace=trace)


@pytest.fixture()
def no_leftovers() -> Any:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE]
    for p in left:
        p.kill()
    assert left == [], f"processes left behind: {left}"


def write(tmp_path: Path, name: str, source: str) -> None:
    folder = tmp_path / checking.PROGRAMS_DIR
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")


# --------------------------------------------------------------- assertion helpers (no processes)

def test_expect_lines_returns_matches_and_counts_exactly() -> None:
    run = fake((1, "Process-1", "child pid=1"), (2, "Process-2", "child pid=2"), (100, "MainProcess", "done"))
    found = checking.expect_lines(run, r"child pid=(\d+)", count=2)
    assert [m.group(1) for _, m in found] == ["1", "2"]
    assert [line.pid for line, _ in found] == [1, 2]
    with pytest.raises(TaskCheckFailed, match="正好有 3 行"):
        checking.expect_lines(run, r"child pid=(\d+)", count=3)


def test_expect_lines_message_quotes_the_output() -> None:
    run = fake((100, "MainProcess", "hello"))
    with pytest.raises(TaskCheckFailed) as info:
        checking.expect_lines(run, r"bye", what="告别的行")
    assert "告别的行" in str(info.value) and "[MainProcess pid 100] hello" in str(info.value)


def test_expect_lines_filters_by_process_name() -> None:
    run = fake((1, "Process-1", "x=1"), (100, "MainProcess", "x=0"))
    found = checking.expect_lines(run, r"x=(\d)", count=1, process="MainProcess")
    assert found[0][1].group(1) == "0"


def test_expect_order_passes_and_fails() -> None:
    run = fake((1, "Process-1", "work"), (100, "MainProcess", "all done"))
    checking.expect_order(run, "work", "all done")
    with pytest.raises(TaskCheckFailed, match="顺序不对"):
        checking.expect_order(run, "all done", "work")
    with pytest.raises(TaskCheckFailed, match="没有找到"):
        checking.expect_order(run, "missing", "work")


def test_expect_distinct_names_repeated_values() -> None:
    checking.expect_distinct([1, 2, 3], "pid ")
    with pytest.raises(TaskCheckFailed, match="7"):
        checking.expect_distinct([7, 7, 3], "pid ")


def test_expect_ratio_uses_a_bound_not_an_exact_value() -> None:
    checking.expect_ratio(1.0, 3.0, 0.7, "并发/串行")
    with pytest.raises(TaskCheckFailed, match="0.90"):
        checking.expect_ratio(2.7, 3.0, 0.7, "并发/串行")


def test_child_processes_leaves_out_main_and_helpers() -> None:
    K = EventKind
    trace = Trace([
        Event(0.0, 100, "MainProcess", K.BOOT, "main", "ppid=1"),
        Event(0.1, 7, "forkserver", K.BOOT, "forkserver", "ppid=100"),
        Event(0.2, 100, "MainProcess", K.START_END, "Process-1", "pid=8 daemon=0"),
        Event(0.3, 100, "MainProcess", K.START_END, "Process-2", "pid=9 daemon=0"),
        Event(0.25, 8, "Process-1", K.PROC_BEGIN, "Process-1", "parent=100 daemon=0"),
        Event(0.35, 9, "Process-2", K.PROC_BEGIN, "Process-2", "parent=100 daemon=0"),
        Event(0.4, 8, "Process-1", K.PROC_END, "Process-1", "code=0"),
        Event(0.5, 9, "Process-2", K.PROC_END, "Process-2", "code=3"),
        Event(0.6, 100, "MainProcess", K.EXIT, "", "code=0"),
    ])
    run = fake(pid=100, exitcodes={100: 0, 8: 0, 9: 3}, trace=trace)
    kids = checking.child_processes(run)
    assert [(k.pid, k.name, k.ppid, k.exitcode) for k in kids] == [(8, "Process-1", 100, 0),
                                                                   (9, "Process-2", 100, 3)]
    checking.expect_children(run, 2, exitcodes=[3, 0])
    with pytest.raises(TaskCheckFailed, match="启动 3 个子进程"):
        checking.expect_children(run, 3)


def test_child_processes_without_a_trace_come_from_the_exit_codes() -> None:
    run = fake(pid=100, exitcodes={100: 0, 12: 0, 11: 1})
    assert [(k.pid, k.exitcode) for k in checking.child_processes(run)] == [(11, 1), (12, 0)]


def test_find_program_says_run_the_cell_first(tmp_path: Path) -> None:
    with pytest.raises(TaskCheckFailed, match="先运行上面写程序的单元格"):
        checking.find_program("nothing.py", tmp_path)


def test_find_program_is_the_launchers_rule(tmp_path: Path) -> None:
    """A bare name: what %%program wrote (.programs/NAME) comes first, then NAME in cwd."""
    from helpers.run.launcher import find_program

    (tmp_path / "both.py").write_text("print('cwd')\n")
    (tmp_path / "only_here.py").write_text("print('cwd')\n")
    write(tmp_path, "both.py", "print('programs')\n")
    for name, where in (("both.py", tmp_path / ".programs"), ("only_here.py", tmp_path)):
        assert checking.find_program(name, tmp_path) == find_program(name, tmp_path) \
            == (where / name).resolve()


# --------------------------------------------------------------- run_task on real programs

@pytest.mark.parametrize("method", METHODS)
def test_run_task_returns_the_run_of_a_good_program(tmp_path: Path, method: str, no_leftovers: None) -> None:
    write(tmp_path, "good.py", """
        import os
        from multiprocessing import Process, parent_process

        def work(i):
            # os.getppid() would name the fork server under forkserver: ask multiprocessing
            print(f"child {i} pid={os.getpid()} ppid={parent_process().pid}")

        if __name__ == "__main__":
            ps = [Process(target=work, args=(i,)) for i in range(2)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
            print("all done")
    """)
    run = checking.run_task("good.py", start_method=method, cwd=tmp_path, timeout=20)
    found = checking.expect_lines(run, r"child \d pid=(\d+) ppid=(\d+)", count=2)
    for line, match in found:
        assert int(match.group(1)) == line.pid
        assert int(match.group(2)) == checking.main_pid(run)
    checking.expect_order(run, "child", "all done")
    assert len(checking.child_processes(run)) == 2


def test_run_task_reports_the_stub(tmp_path: Path, no_leftovers: None) -> None:
    write(tmp_path, "stub.py", "# 在这里写你的代码\nraise NotImplementedError()\n")
    with pytest.raises(TaskCheckFailed, match="你还没有完成这个任务"):
        checking.run_task("stub.py", cwd=tmp_path)


def test_run_task_reports_a_crash_with_stderr(tmp_path: Path, no_leftovers: None) -> None:
    write(tmp_path, "crash.py", "print('before')\nraise ValueError('boom')\n")
    with pytest.raises(TaskCheckFailed) as info:
        checking.run_task("crash.py", cwd=tmp_path)
    text = str(info.value)
    assert "退出码 1" in text and "ValueError: boom" in text and "before" in text


def test_run_task_reports_a_hang_and_kills_it(tmp_path: Path, no_leftovers: None) -> None:
    write(tmp_path, "hang.py", """
        import time
        from multiprocessing import Process

        def forever():
            while True:
                time.sleep(0.1)

        if __name__ == "__main__":
            p = Process(target=forever)
            p.start()
            print("waiting")
            p.join()
    """)
    with pytest.raises(TaskCheckFailed, match="程序在 2 秒内没有结束：") as info:
        checking.run_task("hang.py", cwd=tmp_path, timeout=2)
    assert "waiting" in str(info.value)


def test_run_task_catches_the_missing_main_guard_under_spawn(tmp_path: Path, no_leftovers: None) -> None:
    write(tmp_path, "noguard.py", """
        from multiprocessing import Process

        def work():
            print("working")

        p = Process(target=work)
        p.start()
        p.join()
        print("main done")
    """)
    with pytest.raises(TaskCheckFailed, match="子进程出错"):
        checking.run_task("noguard.py", start_method="spawn", cwd=tmp_path, timeout=20)


def test_run_task_accepts_failing_children_when_asked(tmp_path: Path, no_leftovers: None) -> None:
    write(tmp_path, "exit3.py", """
        import sys
        from multiprocessing import Process

        if __name__ == "__main__":
            p = Process(target=sys.exit, args=(3,))
            p.start()
            p.join()
            print(f"exitcode {p.exitcode}")
    """)
    with pytest.raises(TaskCheckFailed, match="退出码 3"):
        checking.run_task("exit3.py", cwd=tmp_path, timeout=20)
    run = checking.run_task("exit3.py", cwd=tmp_path, timeout=20, children_ok=False)
    checking.expect_lines(run, r"^exitcode 3$", count=1)
    assert [k.exitcode for k in checking.child_processes(run)] == [3]


def test_run_task_uses_the_grader_start_method(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               no_leftovers: None) -> None:
    write(tmp_path, "method.py", """
        import multiprocessing as mp
        if __name__ == "__main__":
            print("method", mp.get_start_method())
    """)
    monkeypatch.setenv("COURSE_START_METHOD", "spawn")
    run = checking.run_task("method.py", cwd=tmp_path)
    checking.expect_lines(run, r"^method spawn$", count=1)
    assert os.environ["COURSE_START_METHOD"] == "spawn"
