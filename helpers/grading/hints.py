"""Likely causes of a failed check, per task: the typical mistakes of tests/submissions/.

When a test cell fails, ``helpers.failures`` shows the check's Chinese message and then, if a
row below matches, "这一题常见的错误：…". A row matches when the failed cell runs ``program``
(``run_task("<program>", …)`` in its source), the check that failed is ``check`` (the
``helpers.grading`` function that raised, e.g. ``expect_ratio``; ``run_task`` for a run that
timed out or crashed; ``assert`` for the cell's own ``assert``) and ``when`` (a regular
expression, optional) is found in the message.

Each row names the sample submissions that make the mistake (``tests/submissions/<ch>/<name>.py``,
their ``# about:`` line); ``tests/test_student_failures.py`` runs each of them against the source
notebook (visible and hidden tests) and checks that the hint is shown. Where a test cell's own
message already names the likely cause (ch04 task 1's hidden concurrency check, ch05 task 3's
serial round) no row is needed. A new chapter adds its rows here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskHint:
    program: str  # the task's program, as passed to run_task
    check: str  # the failing helpers.grading function, "run_task" or "assert"
    text: str  # the likely cause and what to do, in Chinese
    samples: tuple[str, ...]  # the sample submissions with this mistake: ("ch05/serial_joins",)
    when: str = ""  # a regex the message must contain (empty: any message)


HINTS: tuple[TaskHint, ...] = (
    TaskHint("ch04_task2.py", "run_task",
             "直接调用了 run()：run() 在当前进程（主进程）里执行，不会创建新进程，之后的 join() 就会"
             "抛出 AssertionError。要调用 start()，由它在新进程里调用 run()。",
             ("ch04/getppid_and_run",), when="出错退出"),
    TaskHint("ch05_task1.py", "expect_ratio",
             "把 p.join() 写在了启动子进程的循环里：每启动一个就等它结束，进程只能一个接一个地运行。"
             "先用一个循环 start() 所有进程，再用另一个循环逐个 join()。",
             ("ch05/serial_joins",)),
    TaskHint("ch05_task1.py", "run_task",
             "工作进程永远不结束（例如 while True 循环），主进程的 join() 就会一直等下去。"
             "让每个工作进程睡完 seconds 秒就返回。",
             ("ch05/hang",), when="没有结束"),
    TaskHint("ch05_task3.py", "expect_ratio",
             "并发那一轮也是“启动一个、join 一个”。并发一轮要先 start() 全部进程，再 join() 全部。",
             ("ch05/serial_joins",)),
    TaskHint("ch05_task4.py", "expect_equal",
             "用了 kill()：它发送 SIGKILL，退出码是 -9。这里要用 terminate()，它发送 SIGTERM，"
             "退出码是 -signal.SIGTERM（Linux/macOS 上是 -15）。",
             ("ch05/early_exitcode",), when="SIGTERM"),
    TaskHint("ch05_task5.py", "expect_equal",
             "在 join() 之前读了 exitcode：子进程还没结束时 exitcode 是 None。先 join()，再读 exitcode。",
             ("ch05/early_exitcode",), when="None"),
    TaskHint("ch06_task1.py", "run_task",
             "心跳进程没有成为守护进程：要么忘了 daemon=True，要么在 start() 之后才设置（那会抛出 "
             "AssertionError，设置没有生效）。它的无限循环让程序永远结束不了：在 start() 之前设置 "
             "daemon=True。",
             ("ch06/hang", "ch06/daemon_after_start"), when="没有结束"),
    TaskHint("ch06_task3.py", "expect_lines",
             "守护进程不能再创建子进程：monitor 里的 start() 会抛出 AssertionError"
             "（daemonic processes are not allowed to have children）。用 try/except AssertionError "
             "捕获它，并打印拒绝消息。",
             ("ch06/child_in_daemon",)),
    TaskHint("ch06_task3.py", "run_task",
             "守护进程不能再创建子进程：monitor 里的 start() 会抛出 AssertionError"
             "（daemonic processes are not allowed to have children）。用 try/except AssertionError "
             "捕获它，并打印拒绝消息。",
             ("ch06/child_in_daemon",), when="出错"),
)

_RUN_TASK = re.compile(r"""run_task\(\s*["']([^"']+)["']""")


def programs_in(source: str) -> list[str]:
    """The task programs a test cell runs (``run_task("name.py", …)``)."""
    return _RUN_TASK.findall(source)


def hint_for(cell_source: str, check: str, message: str) -> str | None:
    """The likely cause for a failed ``check`` in the test cell ``cell_source``, or ``None``."""
    programs = set(programs_in(cell_source))
    for hint in HINTS:
        if hint.program in programs and hint.check == check and re.search(hint.when, message):
            return hint.text
    return None
