"""Generic checks for producer -> queue -> consumer programs (chapter 09 test cells).

A pipeline task passes when every item is consumed exactly once and the program ends by
itself, for a reason and not by luck. The checks read what ``run_task`` returns::

    run = run_task("ch09_task1.py", "3", "2", "5", "0.01")      helpers.grading.checks
    expect_each_once(run, expected_items, pattern=r"^(?P<who>\\S+) got (?P<item>\\S+)$")
            printed lines  -> which consumer got which item -> lost / duplicated / unknown items
    expect_clean_end(run)
            trace events   -> a get() that ended with queue.Empty (stopped by a timeout, i.e. by
                              luck), a process still waiting in get()/join(), leftovers killed
    queue_counts(run)      -> per queue: puts, gets, task_done calls, and who put how many
    expect_sentinels(run, consumers=3, items=10)
            puts on the queue minus the items = the sentinels sent; one per consumer

Every check raises ``TaskCheckFailed`` (an ``AssertionError``) with a Chinese message that
says what went wrong and what to do, like the checks in ``helpers.grading.checks``.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from helpers.events import EventKind
from helpers.grading.checks import Child, TaskCheckFailed, child_processes, printed, show_output
from helpers.run.launcher import RunResult

__all__ = ["CONSUMED", "QueueCounts", "consumed", "expect_each_once", "expect_clean_end",
           "queue_counts", "expect_sentinels", "consumers_of"]

CONSUMED = r"^(?P<who>\S+) got (?P<item>\S+)$"
"""Default pattern of a consumer's line: ``consumer-1 got p2-3``."""

_SHOWN = 6  # items listed in a message at most


def consumed(result: RunResult, pattern: str = CONSUMED, *,
             process: str | None = None) -> list[tuple[str, str]]:
    """``(who, item)`` for every output line matching ``pattern`` (named groups ``item``, ``who``).

    ``who`` defaults to the name of the process that printed the line when the pattern has no
    ``who`` group.
    """
    regex = re.compile(pattern)
    out: list[tuple[str, str]] = []
    for line in printed(result, process=process):
        match = regex.search(line.text)
        if match:
            groups = match.groupdict()
            item = groups.get("item") or match.group(0)
            out.append((groups.get("who") or line.name, item))
    return out


def _listing(values: Iterable[str]) -> str:
    values = sorted(values, key=_natural)
    shown = ", ".join(values[:_SHOWN])
    return shown + (f" ……（共 {len(values)} 个）" if len(values) > _SHOWN else "")


def _natural(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def expect_each_once(result: RunResult, expected: Iterable[str], pattern: str = CONSUMED, *,
                     process: str | None = None, what: str = "条目") -> dict[str, str]:
    """Every item of ``expected`` was consumed exactly once, and nothing else was.

    Returns item -> the consumer that consumed it. The message names the lost, duplicated and
    unknown items (at most a few of each) and the likely cause.
    """
    want = list(expected)
    got = consumed(result, pattern, process=process)
    counts = Counter(item for _, item in got)
    lost = [i for i in want if counts[i] == 0]
    twice = [i for i, n in counts.items() if n > 1]
    unknown = [i for i in counts if i not in set(want)]
    problems = []
    if lost:
        problems.append(
            f"丢了 {len(lost)} 个{what}（没有任何消费者处理）：{_listing(lost)}。常见原因：哨兵值（sentinel）"
            "在生产者做完之前就放进了队列，或者消费者用 empty()/get(timeout=...) 判断“结束”，"
            "队列暂时空了就提前退出。先 join 所有生产者，再放哨兵。")
    if twice:
        problems.append(
            f"有 {len(twice)} 个{what}被处理了不止一次：{_listing(twice)}。"
            "每个条目只能 put 一次；几个生产者要生产不同的条目。")
    if unknown:
        problems.append(f"处理了题目里没有的{what}：{_listing(unknown)}。检查条目的名字和打印格式。")
    if problems:
        raise TaskCheckFailed("\n".join(problems) + show_output(result))
    return {item: who for who, item in got}


@dataclass
class QueueCounts:
    """What happened on one queue: successful puts and gets, task_done calls, puts per process."""

    queue: str
    label: str
    puts: int = 0
    gets: int = 0
    task_done: int = 0
    empty_errors: int = 0                      # get() that raised queue.Empty (a timeout ran out)
    puts_by: Counter[str] = field(default_factory=Counter)
    gets_by: Counter[str] = field(default_factory=Counter)


def queue_counts(result: RunResult) -> list[QueueCounts]:
    """Per queue of the run (in order of first use), counted from the trace events."""
    trace = result.trace
    if trace is None:
        return []
    counts: dict[str, QueueCounts] = {}
    for e in trace.events:
        if e.kind not in (EventKind.PUT, EventKind.GET, EventKind.TASK_DONE):
            continue
        qc = counts.get(e.obj)
        if qc is None:
            qc = counts[e.obj] = QueueCounts(e.obj, trace.label(e.obj))
        ok = e.get("ok") == "1"
        if e.kind is EventKind.PUT and ok:
            qc.puts += 1
            qc.puts_by[e.name] += 1
        elif e.kind is EventKind.GET and ok:
            qc.gets += 1
            qc.gets_by[e.name] += 1
        elif e.kind is EventKind.GET and e.get("err") == "Empty":
            qc.empty_errors += 1
        elif e.kind is EventKind.TASK_DONE:
            qc.task_done += 1
    return list(counts.values())


def expect_clean_end(result: RunResult) -> None:
    """The program ended by itself, for a reason: no get() stopped by queue.Empty, nothing left.

    ``run_task`` has already failed a run that timed out. A consumer that quits when
    ``get(timeout=...)`` raises ``queue.Empty`` ends only because the producers happened to be
    fast enough: with a slower producer it loses items, so it fails here in every run.
    """
    for qc in queue_counts(result):
        if qc.empty_errors:
            raise TaskCheckFailed(
                f"{qc.label} 上有 {qc.empty_errors} 次 get() 因为超时抛出了 queue.Empty："
                "消费者靠“等一会儿没有数据就退出”来结束，这只是碰巧——生产者慢一点，条目就丢了。"
                "让消费者用 q.get()（不设超时）一直等，读到哨兵值（None）再退出。" + show_output(result))
    left = result.leftovers
    if left:
        raise TaskCheckFailed(
            f"主程序结束时还有 {len(left)} 个进程在运行（启动器把它们杀掉了）：程序没有自己干净地结束。"
            "每个非守护进程都要能结束，并在主程序里 join 它。" + show_output(result))


def expect_sentinels(result: RunResult, consumers: int, items: int, *,
                     producers: Iterable[str] = ()) -> int:
    """One sentinel per consumer: puts on the busiest queue minus ``items`` == ``consumers``.

    With ``producers`` (process names), those processes must have put only items (the sentinels
    come after every producer has finished, from the main process). Returns the sentinel count.
    """
    queues = queue_counts(result)
    if not queues:
        raise TaskCheckFailed("程序没有用到任何队列（Queue）：生产者和消费者之间要通过队列传递条目。")
    qc = max(queues, key=lambda q: q.puts)
    sent = qc.puts - items
    if sent != consumers:
        raise TaskCheckFailed(
            f"{qc.label} 上一共 put 了 {qc.puts} 次，其中 {items} 个是条目，所以发了 {sent} 个哨兵值；"
            f"但有 {consumers} 个消费者：每个消费者读到一个哨兵就退出，所以要正好发 {consumers} 个。"
            + show_output(result))
    names = set(producers)
    if names:
        by_producers = sum(n for who, n in qc.puts_by.items() if who in names)
        if by_producers != items:
            raise TaskCheckFailed(
                f"生产者一共 put 了 {by_producers} 次，应该正好是 {items} 个条目：哨兵值不要由生产者发送"
                "（一个生产者做完时，别的生产者可能还在生产），而是由主程序在 join 所有生产者之后发送。")
    return sent


def consumers_of(result: RunResult, prefix: str = "consumer") -> list[Child]:
    """The child processes whose name starts with ``prefix`` (``helpers.grading.checks.Child``)."""
    return [c for c in child_processes(result) if c.name.startswith(prefix)]
