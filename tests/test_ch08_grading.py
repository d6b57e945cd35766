"""helpers.grading.messages on real programs under every start method, and helpers.ipc_speed
(parsing, the printed table and ratios that sanitize.cfg rewrites, the chart)."""
from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from helpers.grading.checks import TaskCheckFailed
from helpers.grading.messages import (expect_drained_before_join, expect_messages,
                                      expect_updates_under_lock, traffic)
from helpers.ipc_speed import (Speed, SpeedLineError, format_ratios, format_speeds, plot_speeds,
                               speed_ratio, speeds)
from helpers.run.launcher import RunResult, run_code

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")
ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, source: str, method: str) -> RunResult:
    return run_code(source, cwd=tmp_path, start_method=method, echo=False, timeout=20)


RESULTS_BACK = """
    from multiprocessing import Process, Queue

    def square(n, q):
        q.put((n, n * n))

    if __name__ == "__main__":
        q = Queue()
        ws = [Process(target=square, args=(n, q), name=f"worker-{{n}}") for n in range(1, 4)]
        for w in ws:
            w.start()
        {first}
        {second}
        print(sorted(got))
"""
GET = "got = [q.get() for _ in ws]"
JOIN = "[w.join() for w in ws]"


def test_messages_are_counted_per_process(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, RESULTS_BACK.format(first=GET, second=JOIN), start_method)
    assert result.lines(stream="stdout") == ["[(1, 1), (2, 4), (3, 9)]"]
    expect_messages(result, "worker", puts=1, gets=0)
    expect_messages(result, "MainProcess", gets=3, puts=0)
    expect_drained_before_join(result)
    rows = {t.name: t for t in traffic(result)}
    assert rows["MainProcess"].gets == 3 and rows["worker-2"].puts == 1
    with pytest.raises(TaskCheckFailed, match="应该成功调用 2 次 get"):
        expect_messages(result, "MainProcess", gets=2)
    with pytest.raises(TaskCheckFailed, match="没有找到名为 'nobody'"):
        expect_messages(result, "nobody", puts=1)


def test_joining_before_getting_is_caught_even_when_it_does_not_hang(tmp_path: Path,
                                                                      start_method: str) -> None:
    result = run(tmp_path, RESULTS_BACK.format(first=JOIN, second=GET), start_method)
    assert not result.timed_out  # small items fit in the pipe: this run got lucky
    with pytest.raises(TaskCheckFailed, match="取完队列里的数据之前就 join"):
        expect_drained_before_join(result)


COUNTER = """
    from multiprocessing import Process, Value

    def add(counter):
        for _ in range(200):
            {body}

    if __name__ == "__main__":
        counter = Value("i", 0)
        ps = [Process(target=add, args=(counter,), name=f"adder-{{k}}") for k in range(2)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        print(counter.value)
"""


def test_update_under_the_values_lock_passes(tmp_path: Path, start_method: str) -> None:
    body = "with counter.get_lock():\n                counter.value += 1"
    result = run(tmp_path, COUNTER.format(body=body), start_method)
    assert result.lines(stream="stdout") == ["400"]
    expect_updates_under_lock(result, "adder", at_least=200)


def test_update_without_the_lock_fails_in_every_run(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, COUNTER.format(body="counter.value += 1"), start_method)
    assert result.returncode == 0  # the count may well be right: the check does not rely on it
    with pytest.raises(TaskCheckFailed, match="没有在锁里完成"):
        expect_updates_under_lock(result, "adder")


LINES = ["channel=queue size=100 messages=2000 seconds=0.043",
         "channel=pipe size=100 messages=2000 seconds=0.032",
         "channel=shm size=1000000 messages=40 seconds=0.011",
         "every message arrived complete: True"]


def _sanitize(text: str) -> str:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "tests" / "sanitize.cfg", encoding="utf-8")
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    return text


def test_speed_lines_are_parsed_and_printed_in_sanitised_forms() -> None:
    rows = speeds(LINES)
    assert rows[0] == Speed("queue", 100, 2000, 0.043)
    assert round(rows[2].megabytes_per_second) == round(40 / 0.011)
    text = format_speeds(rows)
    assert text.splitlines()[0] == "Queue         ·  100 B × 2000  · 0.043 s · 46512 msg/s · 4.7 MB/s"
    other = format_speeds([Speed(r.channel, r.size, r.messages, r.seconds * 7.3) for r in rows])
    assert _sanitize(text) == _sanitize(other)  # only the measured numbers differ
    with pytest.raises(SpeedLineError):
        speeds(["nothing measured"])


# the committed run of lecture 08 (cell "speed_run = ..."): Queue and Pipe swap places between runs
ALL_SIX = ["channel=queue size=100 messages=2000 seconds=0.044", "channel=pipe size=100 messages=2000 seconds=0.039",
           "channel=shm size=100 messages=2000 seconds=0.012", "channel=queue size=1000000 messages=40 seconds=0.071",
           "channel=pipe size=1000000 messages=40 seconds=0.324", "channel=shm size=1000000 messages=40 seconds=0.013"]


def test_ratios_say_how_many_times_shared_memory_was_as_fast_in_sanitised_form() -> None:
    rows = speeds(ALL_SIX)
    assert speed_ratio(rows, 1_000_000, "shm", "pipe") == pytest.approx(0.324 / 0.013)
    assert speed_ratio(rows, 1_000_000, "pipe", "queue") < 1  # "times as fast" below 1: the slower one
    text = format_ratios(rows)
    assert text.splitlines() == ["100 B messages: shared memory 3.7× Queue, 3.2× Pipe",
                                 "1 MB messages: shared memory 5.5× Queue, 24.9× Pipe"]
    slower_shm = [Speed(r.channel, r.size, r.messages, r.seconds * (40 if r.channel == "shm" else 1)) for r in rows]
    assert "0.1× Queue" in format_ratios(slower_shm)
    assert _sanitize(text) == _sanitize(format_ratios(slower_shm)) == (
        "100 B messages: shared memory <N>× Queue, <N>× Pipe\n1 MB messages: shared memory <N>× Queue, <N>× Pipe")
    assert format_ratios(speeds(LINES)) == ""  # no size measured with shared memory and another channel
    with pytest.raises(SpeedLineError, match="1000000-byte"):
        speed_ratio(speeds(LINES), 1_000_000, "shm", "queue")


def test_speed_chart_has_one_bar_per_measurement() -> None:
    fig = plot_speeds(speeds(LINES))
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.patches) == 3 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Queue", "Pipe", "shared memory"]
    given = Figure()
    assert plot_speeds(speeds(LINES), ax=given.add_subplot()) is given
