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
message already names the likely cause no row is needed: ch04 task 1's hidden concurrency check,
ch05 task 3's serial round; in ch07–ch09 the lock checks (``expect_outside_locks``, a lock per
process in ``expect_locked_updates``, ``expect_no_lock_order_cycle``), the quiz asserts, the
explained hangs of ``run_task`` (deadlock, a lock never released, join before get, task_done()
missing, too few sentinels) and the queue checks (``expect_clean_end``, ``expect_each_once``,
``expect_sentinels``). A row whose mistake fails one of several checks, depending on the run
(a lost update that may not happen), lists them all in ``check``; rows that share a text share
a constant. A new chapter adds its rows here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskHint:
    program: str  # the task's program, as passed to run_task
    check: str | tuple[str, ...]  # the failing helpers.grading function(s), "run_task" or "assert"
    text: str  # the likely cause and what to do, in Chinese
    samples: tuple[str, ...]  # the sample submissions with this mistake: ("ch05/serial_joins",)
    when: str = ""  # a regex the message must contain (empty: any message)

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks this row is for (``check`` as a tuple)."""
        return (self.check,) if isinstance(self.check, str) else self.check


_CHILD_IN_DAEMON = (
    "守护进程不能再创建子进程：monitor 里的 start() 会抛出 AssertionError"
    "（daemonic processes are not allowed to have children）。用 try/except AssertionError "
    "捕获它，并打印拒绝消息。")

HINTS: tuple[TaskHint, ...] = (
    TaskHint("ch04_task2.py", "run_task",
             "直接调用了 run()：run() 在当前进程（主进程）里执行，不会创建新进程，之后的 join() 就会"
             "抛出 AssertionError。要调用 start()，由它在新进程里调用 run()。",
             ("ch04/getppid_and_run",), when="出错退出"),
    TaskHint("ch04_task1.py", "expect_equal",
             "用了 os.getppid()：在 forkserver 启动方式下，子进程是 fork server 创建的，getppid() "
             "给出的是 fork server 的 pid，不是你的主程序。用 multiprocessing.parent_process().pid："
             "三种启动方式下它都是创建这个进程的主程序。",
             ("ch04/getppid_and_run",), when=r"parent"),
    # ch04 task 3: the hidden test compares each predicted counter with the run under each method
    TaskHint("ch04_task3.py", "expect_equal",
             "spawn 和 forkserver 的子进程不复制父进程的内存：它们重新导入主模块，"
             "if __name__ == \"__main__\": 里的 counter = 100 不会执行，子进程看到的是模块顶层的"
             " counter = 0。只有 fork 复制调用 start() 那一刻父进程的内存。",
             ("ch04/fork_everywhere",), when=r"(spawn|forkserver) 下 “(first|second):"),
    TaskHint("ch04_task3.py", "expect_equal",
             "子进程改的是它自己那一份内存（fork 复制的副本，或 spawn/forkserver 重新导入的模块），"
             "父进程的 counter 不会跟着变：MainProcess 那一行只包含主进程自己的 bump(1)，"
             "之后启动的子进程也看不到前一个子进程的改动。",
             ("ch04/shared_memory_no_guard",), when=r"下 “MainProcess:"),
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
    # expect_lines: the refusal line is missing; run_task: the uncaught AssertionError ends the run
    TaskHint("ch06_task3.py", "expect_lines", _CHILD_IN_DAEMON, ("ch06/child_in_daemon",)),
    TaskHint("ch06_task3.py", "run_task", _CHILD_IN_DAEMON, ("ch06/child_in_daemon",), when="出错"),
    # ch07: oversold, or (a lucky run) the read -> check -> write seen outside the lock's hold
    TaskHint("ch07_task1.py", ("expect_lines", "expect_locked_updates"),
             "超卖：“读票数 → 检查还有没有票 → 写回”这三步没有整个放在同一次加锁里（没有加锁，"
             "或只锁住了写回）。几个买家会读到同一个旧票数，都以为还有票。在主程序里创建一把 "
             "Lock，用 Process(args=(..., lock)) 传给每个买家，把读、检查、写三步都放进同一个 "
             "with lock: 代码块（临界区）。",
             ("ch07/no_lock", "ch07/lock_write_only"),
             when=r"3 行`got a ticket`，实际有 ([4-9]|\d\d)|没有拿着锁|锁只保护了“写”"),
    # ch08
    TaskHint("ch08_task1.py", "expect_lines",
             "results 是空的：每个子进程有自己的地址空间（address space），往全局字典里写只改了"
             "它自己的那一份，主进程的字典不变。让每个工作进程用 q.put((n, n * n)) 把结果放进队列，"
             "主进程 get() 4 次拼成字典，然后再 join()。",
             ("ch08/global_results",), when=r"results: \{\}"),
    TaskHint("ch08_task2.py", "run_task",
             "ponger 没有关闭主程序的那个连接端（connection）：fork 出来的子进程继承了它的一份副本，"
             "只要还有一份开着，主程序 close() 之后 ponger 的 recv() 也等不到 EOFError。在 ponger "
             "开始接收之前，先 other_end.close()（传进来的主程序那一端），就像主程序 close() "
             "子进程那一端一样。",
             ("ch08/no_close_in_child",), when=r"停在 recv\(\)"),
    # the lost update may not happen in a run; the missing lock shows in every run
    TaskHint("ch08_task4.py", ("expect_lines", "expect_updates_under_lock"),
             "counter.value += 1 没有加锁：它是“读出、加一、写回”三步，Value 自带的锁只分别保护"
             "读和写，两步之间别的进程会插进来，更新就丢了（丢失更新，lost update），结果少于 8000。"
             "写成 with counter.get_lock(): counter.value += 1。",
             ("ch08/no_lock_seed_facts",), when=r"`counter: 8000`[\s\S]*counter: \d|没有在锁里完成"),
)

_RUN_TASK = re.compile(r"""run_task\(\s*["']([^"']+)["']""")


def programs_in(source: str) -> list[str]:
    """The task programs a test cell runs (``run_task("name.py", …)``)."""
    return _RUN_TASK.findall(source)


def hint_for(cell_source: str, check: str, message: str) -> str | None:
    """The likely cause for a failed ``check`` in the test cell ``cell_source``, or ``None``."""
    programs = set(programs_in(cell_source))
    for hint in HINTS:
        if hint.program in programs and check in hint.checks and re.search(hint.when, message):
            return hint.text
    return None
