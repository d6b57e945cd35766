"""helpers.sim.scheduler: OSTEP scheduler.py vectors (CLI and API), policies and statistics."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.sim.scheduler import (
    Policy,
    ScheduleError,
    Slice,
    format_job_list,
    format_stats,
    format_trace,
    job_stats,
    parse_lengths,
    random_lengths,
    schedule,
)

ROOT = Path(__file__).resolve().parents[1]
VECTORS = json.loads((Path(__file__).parent / "data" / "ostep_vectors.json").read_text())["scheduler"]


# shared fixtures (tests/conftest.py): a hard per-test timeout, and no process may outlive its test
pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpers.sim.scheduler", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def from_execution_trace(text: str) -> list[str]:
    return text[text.index("Execution trace:"):].split()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: " ".join(v["args"]))
def test_cli_matches_ostep_vector(vector: dict) -> None:
    done = run_cli(*vector["args"], "-c")
    assert done.returncode == vector["returncode"], done.stderr
    assert from_execution_trace(done.stdout) == from_execution_trace(vector["stdout"])
    assert done.stdout == vector["stdout"], "the job list before the trace matches too"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: " ".join(v["args"]))
def test_api_matches_ostep_vector(vector: dict) -> None:
    opts = dict(zip(vector["args"][::2], vector["args"][1::2]))
    trace = schedule(parse_lengths(opts["-l"]), opts["-p"], int(opts.get("-q", "1")))
    text = format_trace(trace) + "\n\n" + format_stats(trace)
    assert text.split() == from_execution_trace(vector["stdout"])


def test_without_c_shows_the_job_list_and_asks_to_predict() -> None:
    done = run_cli("-p", "SJF", "-l", "3,1")
    assert done.returncode == 0
    assert "Job 1 ( length = 1.0 )" in done.stdout and "预测" in done.stdout
    assert "Execution trace" not in done.stdout


def test_random_jobs_are_drawn_like_ostep() -> None:
    rng = random.Random()
    rng.seed(5, version=1)
    expected = [int(20 * rng.random()) + 1 for _ in range(4)]
    assert random_lengths(4, 20, seed=5) == expected
    done = run_cli("-s", "5", "-j", "4", "-m", "20")
    assert "ARG seed 5" in done.stdout
    assert f"Job 3 ( length = {expected[3]} )" in done.stdout


def test_fifo_runs_jobs_in_order_to_completion() -> None:
    trace = schedule([3, 1, 2], Policy.FIFO)
    assert trace.slices == (Slice(0, 0, 3, True), Slice(1, 3, 4, True), Slice(2, 4, 6, True))
    assert job_stats(trace).average_turnaround == pytest.approx((3 + 4 + 6) / 3)


def test_sjf_runs_shortest_first_and_ties_keep_job_order() -> None:
    trace = schedule([4, 2, 4, 2], "SJF")
    assert [s.job for s in trace.slices] == [1, 3, 0, 2]
    stats = job_stats(trace)
    assert [j.job for j in stats.jobs] == [1, 3, 0, 2], "reported in the order the jobs ran"
    assert stats.of(0).response == 4 and stats.of(2).turnaround == 12


def test_rr_gives_each_job_a_quantum_and_requeues_the_rest() -> None:
    trace = schedule([3, 1], "RR", quantum=1)
    assert [(s.job, s.start, s.end, s.done) for s in trace.slices] == [
        (0, 0, 1, False), (1, 1, 2, True), (0, 2, 3, False), (0, 3, 4, True),
    ]
    stats = job_stats(trace)
    assert (stats.of(0).response, stats.of(0).turnaround, stats.of(0).wait) == (0, 4, 1)
    assert (stats.of(1).response, stats.of(1).turnaround, stats.of(1).wait) == (1, 2, 1)


def test_rr_quantum_longer_than_every_job_is_fifo() -> None:
    rr = schedule([5, 3, 8], "RR", quantum=10)
    fifo = schedule([5, 3, 8], "FIFO")
    assert [(s.job, s.start, s.end) for s in rr.slices] == [(s.job, s.start, s.end) for s in fifo.slices]


def test_rr_has_better_response_but_worse_turnaround_than_sjf() -> None:
    rr, sjf = job_stats(schedule([10, 10, 10], "RR")), job_stats(schedule([10, 10, 10], "SJF"))
    assert rr.average_response < sjf.average_response
    assert rr.average_turnaround > sjf.average_turnaround


def test_wait_is_turnaround_minus_length_when_all_arrive_at_zero() -> None:
    trace = schedule([7, 2, 5, 1], "RR", quantum=2)
    for j in job_stats(trace).jobs:
        assert j.wait == pytest.approx(j.turnaround - trace.jobs[j.job].length)


def test_formatters_follow_ostep_layout() -> None:
    trace = schedule([2.0, 1.0], "SJF")
    assert format_job_list(trace.jobs).splitlines()[1] == "  Job 0 ( length = 2.0 )"
    assert format_trace(trace).splitlines()[1] == "  [ time   0 ] Run job 1 for 1.00 secs ( DONE at 1.00 )"
    assert format_stats(trace).splitlines()[-1] == "  Average -- Response: 0.50  Turnaround 2.00  Wait 0.50"


@pytest.mark.parametrize(
    ("lengths", "policy", "quantum"),
    [([], "FIFO", 1), ([1, 0], "FIFO", 1), ([1, -2], "RR", 1), ([1], "LIFO", 1), ([1], "RR", 0)],
)
def test_bad_api_input_raises_schedule_error(lengths: list[float], policy: str, quantum: int) -> None:
    with pytest.raises(ScheduleError):
        schedule(lengths, policy, quantum)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-l", "1,x"], "-l 10,15,20"),
        (["-l", "1,0"], "正数"),
        (["-p", "LIFO"], "invalid choice"),
        (["-q", "0", "-p", "RR", "-l", "1"], "quantum"),
        (["-j", "0"], "-j"),
        (["-q", "two"], "invalid int"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(args: list[str], message: str) -> None:
    done = run_cli(*args, "-c")
    assert done.returncode == 2
    assert "error:" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


# --- chart and widget (no browser: a RecordingDisplay stands in for IPython's display) ---

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.sim.scheduler_chart import plot_job_lengths, plot_schedule  # noqa: E402
from helpers.sim.scheduler_widget import scheduler_widget  # noqa: E402
from helpers.widgets import RecordingDisplay  # noqa: E402


@pytest.fixture
def no_show(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("library code must not call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


def test_plot_schedule_draws_slices_and_marks_response_and_turnaround(no_show: None) -> None:
    trace = schedule([5, 3, 8], "RR", quantum=2)
    ax = plot_schedule(trace).axes[0]
    # per job: one pale "in system" bar; plus one block per slice
    assert len(ax.collections) == 3 + len(trace.slices)
    texts = [t.get_text() for t in ax.texts]
    assert "R=0  T=12" in texts and "R=2  T=9" in texts and "R=4  T=16" in texts
    assert "turnaround 12.33" in ax.get_title()
    assert ax.get_xlim()[1] >= 16


def test_plot_job_lengths_shows_only_the_jobs(no_show: None) -> None:
    ax = plot_job_lengths([300, 100, 200], policy="SJF").axes[0]
    assert len(ax.collections) == 3
    assert "SJF" in ax.get_title()


def test_scheduler_widget_hides_the_schedule_until_a_prediction() -> None:
    shown = RecordingDisplay()
    w = scheduler_widget("100,200,300", display=shown)
    assert w.chart.params["revealed"] is False and w.predict.answer.value == ""
    assert shown.shown[0]._repr_mimebundle_()["text/plain"] == "[scheduler: -p FIFO -l 100,200,300]"
    w.predict.button.click()
    assert not w.predict.revealed and len(shown.images()) == 1
    w.predict.prediction.value = "333.33"
    w.predict.button.click()
    assert w.predict.correct is True
    assert "Average -- Response: 133.33  Turnaround 333.33" in w.predict.answer.value
    assert w.chart.params["revealed"] is True
    images = shown.images()
    assert len(images) == 2 and images[0] != images[1], "the Gantt chart replaces the job list"
    plt.close("all")


def test_scheduler_widget_controls_reschedule_and_hide_the_answer() -> None:
    shown = RecordingDisplay()
    w = scheduler_widget([5, 3, 8], display=shown)
    assert w.quantum.disabled
    w.policy.value = "RR"
    assert not w.quantum.disabled
    w.quantum.value = 2
    assert job_stats(w.trace).average_turnaround == pytest.approx(37 / 3)
    w.predict.prediction.value = "12.33"
    w.predict.button.click()
    assert w.predict.correct is True
    w.lengths.value = "1,2"
    assert not w.predict.revealed and w.chart.params["revealed"] is False
    assert [j.length for j in w.trace.jobs] == [1.0, 2.0]


def test_scheduler_widget_reports_bad_lengths_and_keeps_the_last_schedule() -> None:
    shown = RecordingDisplay()
    w = scheduler_widget("4,2", display=shown)
    before = w.trace
    w.lengths.value = "4,x"
    assert "-l 10,15,20" in w.status.value
    assert w.trace is before and len(shown.images()) == 1
    w.lengths.value = "4,1"
    assert w.status.value == "" and len(shown.images()) == 2
