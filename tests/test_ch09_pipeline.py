"""Chapter 09 helpers: the pipeline checks (helpers.grading.pipeline) and the explanations of
producer-consumer hangs and errors (helpers.explain), on real programs under every start method.

A clean pipeline passes every check; a lost, a duplicated item, a consumer that ends on a
timeout, producers that send the sentinels and too few sentinels each fail with a Chinese message
that names what happened. A hang (too few sentinels, a missing task_done) is stopped by the
launcher and explained with the counts from the trace; nothing outlives a test.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helpers.explain import explain, explain_hang
from helpers.grading.checks import TaskCheckFailed
from helpers.grading.pipeline import (consumed, expect_clean_end, expect_each_once, expect_sentinels,
                                      queue_counts)
from helpers.run.launcher import OutputLine, RunResult, run_script
from tests.conftest import pid_exists_running

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

PIPELINE = """
import sys
import time
from multiprocessing import Process, Queue, current_process

MODE = sys.argv[1]


def producer(q, p):
    for k in range(1, 4):
        q.put(f"p{p}-{k}")
    if MODE == "dup" and p == 1:
        q.put("p1-1")               # one item twice
    if MODE == "producer-sentinels":
        q.put(None)


def consumer(q):
    import queue
    while True:
        try:
            item = q.get(timeout=0.3) if MODE == "timeout" else q.get()
        except queue.Empty:
            return
        if item is None:
            return
        if MODE == "lose" and item == "p2-3":
            continue                # one item dropped without a word
        print(f"{current_process().name} got {item}")


if __name__ == "__main__":
    q = Queue()
    producers = [Process(target=producer, args=(q, p), name=f"producer-{p}") for p in (1, 2)]
    consumers = [Process(target=consumer, args=(q,), name=f"consumer-{c}") for c in (1, 2)]
    for proc in producers + consumers:
        proc.start()
    for proc in producers:
        proc.join()
    if MODE not in ("timeout", "producer-sentinels"):
        for _ in range(1 if MODE == "few" else len(consumers)):
            q.put(None)
    for proc in consumers:
        proc.join()
    print("main: done")
"""
ITEMS = [f"p{p}-{k}" for p in (1, 2) for k in (1, 2, 3)]

JOINABLE = """
import sys
from multiprocessing import JoinableQueue, Process

MODE = sys.argv[1]


def consumer(q):
    while True:
        job = q.get()
        print(f"done {job}")
        if job != "job-2":          # job-2 never gets its task_done()
            q.task_done()


if __name__ == "__main__":
    q = JoinableQueue()
    Process(target=consumer, args=(q,), name="consumer", daemon=True).start()
    for j in (1, 2, 3):
        q.put(f"job-{j}")
    q.join()
    print("main: all jobs done")
"""


TWICE = """
from multiprocessing import JoinableQueue, Process


def consumer(q):
    q.get()
    q.task_done()
    q.task_done()                   # one too many: ValueError


if __name__ == "__main__":
    q = JoinableQueue()
    worker = Process(target=consumer, args=(q,), name="consumer")
    worker.start()
    q.put("job-1")
    worker.join()
"""


def run(tmp_path: Path, source: str, mode: str, start_method: str, timeout: float = 10) -> RunResult:
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    result = run_script(path, mode, start_method=start_method, timeout=timeout, echo=False, cwd=tmp_path)
    for pid in result.exitcodes:
        assert not pid_exists_running(pid), f"pid {pid} still running after the run"
    return result


def test_a_clean_pipeline_passes_every_check(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PIPELINE, "ok", start_method)
    who = expect_each_once(result, ITEMS)
    assert sorted(who) == sorted(ITEMS) and set(who.values()) <= {"consumer-1", "consumer-2"}
    expect_clean_end(result)
    assert expect_sentinels(result, consumers=2, items=6, producers={"producer-1", "producer-2"}) == 2
    (counts,) = queue_counts(result)
    assert (counts.puts, counts.gets, counts.empty_errors) == (8, 8, 0)
    assert counts.puts_by["MainProcess"] == 2 and counts.label == "Queue 1"


def test_a_lost_item_is_named(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PIPELINE, "lose", start_method)
    with pytest.raises(TaskCheckFailed, match=r"丢了 1 个条目.*p2-3"):
        expect_each_once(result, ITEMS)


def test_a_duplicated_item_is_named(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PIPELINE, "dup", start_method)
    with pytest.raises(TaskCheckFailed, match=r"有 1 个条目被处理了不止一次：p1-1"):
        expect_each_once(result, ITEMS)


def test_a_consumer_ending_on_a_timeout_does_not_end_cleanly(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PIPELINE, "timeout", start_method)
    expect_each_once(result, ITEMS)   # every item arrived this time: only by luck
    with pytest.raises(TaskCheckFailed, match=r"2 次 get\(\) 因为超时抛出了 queue.Empty"):
        expect_clean_end(result)


def test_sentinels_sent_by_the_producers_are_found(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PIPELINE, "producer-sentinels", start_method)
    expect_each_once(result, ITEMS)
    with pytest.raises(TaskCheckFailed, match="生产者一共 put 了 8 次"):
        expect_sentinels(result, consumers=2, items=6, producers={"producer-1", "producer-2"})


def test_too_few_sentinels_hang_is_stopped_and_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PIPELINE, "few", start_method, timeout=3)
    assert result.timed_out
    hints = explain_hang(result.trace)
    sentinel = [h for h in hints if h.title.startswith("哨兵值不够")]
    assert len(sentinel) == 1, [h.title for h in hints]
    assert "1 个消费者在 Queue 1 的 get() 上永远等下去" in sentinel[0].title
    assert "只发了 1 个哨兵值，却有 2 个消费者" in sentinel[0].explanation_zh
    with pytest.raises(TaskCheckFailed, match="发了 1 个哨兵值"):
        expect_sentinels(result, consumers=2, items=6)


def test_missing_task_done_hang_is_explained_with_counts(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, JOINABLE, "missing", start_method, timeout=3)
    assert result.timed_out
    titles = [h.title for h in explain_hang(result.trace)]
    assert "task_done() 少调用了 1 次：Queue 1 的 join() 永远等下去" in titles, titles
    assert not any(t.startswith("哨兵值不够") for t in titles), titles  # daemons + join need no sentinel


def test_task_done_called_too_often_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, TWICE, "twice", start_method)
    assert "task_done() called too many times" in result.stderr
    assert [h.title for h in explain(result.stderr)] == ["task_done() 调用得比取出的任务还多"]


def test_consumed_uses_the_printing_process_when_the_pattern_names_no_one() -> None:
    lines = [OutputLine(0.0, 7, "consumer-2", "stdout", "item 5"),
             OutputLine(0.1, 1, "MainProcess", "stdout", "main: done")]
    result = RunResult(args=["python"], returncode=0, output=lines)
    assert consumed(result, r"^item (?P<item>\d+)$") == [("consumer-2", "5")]
