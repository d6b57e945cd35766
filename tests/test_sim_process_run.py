"""helpers.sim.process_run: OSTEP process-run.py vectors (CLI and API), rules and edge cases."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.sim.process_run import (
    Instruction,
    IoDonePolicy,
    Program,
    ProgramFormatError,
    State,
    SwitchPolicy,
    format_stats,
    format_trace,
    parse_programs,
    random_programs,
    simulate,
    stats,
)

ROOT = Path(__file__).resolve().parents[1]
VECTORS = json.loads((Path(__file__).parent / "data" / "ostep_vectors.json").read_text())["process_run"]
R, B, D = State.READY, State.BLOCKED, State.DONE


# shared fixtures (tests/conftest.py): a hard per-test timeout, and no process may outlive its test
pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpers.sim.process_run", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def api_output(args: list[str]) -> str:
    """Translate the OSTEP flags of a vector into API calls, then format like -c -p."""
    opts = dict(zip(args[::2], args[1::2]))
    if "-P" in opts:
        programs = parse_programs(opts["-P"])
    else:
        programs = random_programs(opts["-l"], int(opts.get("-s", "0")))
    trace = simulate(
        programs,
        io_length=int(opts.get("-L", "5")),
        switch=opts.get("-S", "SWITCH_ON_IO"),
        io_done=opts.get("-I", "IO_RUN_LATER"),
    )
    return format_trace(trace) + "\n\n" + format_stats(trace) + "\n"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: " ".join(v["args"]))
def test_cli_matches_ostep_vector(vector: dict) -> None:
    done = run_cli(*vector["args"], "-c", "-p")
    assert done.returncode == vector["returncode"], done.stderr
    assert done.stdout.split() == vector["stdout"].split()
    assert done.stdout == vector["stdout"], "even the white space matches OSTEP"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: " ".join(v["args"]))
def test_api_matches_ostep_vector(vector: dict) -> None:
    assert api_output(vector["args"]).split() == vector["stdout"].split()


def test_without_c_lists_programs_and_policies_and_asks_to_predict() -> None:
    done = run_cli("-P", "c2,i:c1", "-S", "SWITCH_ON_END", "-I", "IO_RUN_IMMEDIATE", "-L", "3")
    assert done.returncode == 0
    assert "Process 0: cpu cpu io io_done" in done.stdout
    assert "Process 1: cpu" in done.stdout
    assert "SWITCH_ON_END" in done.stdout and "IO_RUN_IMMEDIATE" in done.stdout
    assert "-L 3" in done.stdout and "预测" in done.stdout
    assert "Time" not in done.stdout and "Stats" not in done.stdout


def test_c_without_p_prints_only_the_table() -> None:
    done = run_cli("-P", "c1", "-c")
    assert done.stdout.split() == "Time PID: 0 CPU IOs 1 RUN:cpu 1".split()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-P", "c7,x"], "'x'"),
        (["-P", "c2::c1"], "不能为空"),
        (["-l", "3"], "X:Y"),
        (["-l", "0:50"], "X 至少为 1"),
        (["-l", "2:150"], "0 到 100"),
        (["-L", "-1", "-P", "c1"], "-L"),
        (["-S", "SWITCH_SOMETIMES", "-P", "c1"], "SWITCH_ON_IO"),
        (["-I", "LATER", "-P", "c1"], "IO_RUN_LATER"),
        ([], "-l"),
        (["-l", "1:0", "-P", "c1"], "not allowed"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(args: list[str], message: str) -> None:
    done = run_cli(*args, "-c")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "error:" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_parse_programs_adds_io_done_after_each_io() -> None:
    first, second = parse_programs("c2,i,c1:i")
    cpu, io, io_done = Instruction.CPU, Instruction.IO, Instruction.IO_DONE
    assert first.instructions == (cpu, cpu, io, io_done, cpu)
    assert second.instructions == (io, io_done)
    assert first.compact() == "c2,i,c1"


def test_random_programs_draw_like_ostep() -> None:
    rng = random.Random()
    rng.seed(7, version=1)
    draws = [rng.random() for _ in range(10)]
    expected = [Instruction.CPU if d < 0.5 else Instruction.IO for d in draws]
    programs = random_programs("4:50,6:50", seed=7)
    got = [i for p in programs for i in p.instructions if i is not Instruction.IO_DONE]
    assert got == expected
    assert random_programs("4:50,6:50", seed=7) == programs
    assert random_programs("4:50,6:50", seed=8) != programs


def states_of(trace, pid: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [tick.cell(pid) for tick in trace.ticks]


def test_time_starts_at_1_and_process_0_runs_first() -> None:
    trace = simulate("c1:c1:c1")
    assert [t.time for t in trace.ticks] == [1, 2, 3]
    assert trace.ticks[0].states == (State.RUNNING, R, R)
    assert [t.running for t in trace.ticks] == [0, 1, 2]


def test_io_length_zero_completes_at_the_next_tick() -> None:
    trace = simulate("i:c2", io_length=0)
    assert states_of(trace, 0) == ["RUN:io", "READY", "READY", "RUN:io_done"]
    assert states_of(trace, 1) == ["READY", "RUN:cpu", "RUN:cpu", "DONE"]
    assert [t.completions for t in trace.ticks] == [(), (0,), (), ()]
    assert stats(trace).io_busy == 0 and stats(trace).total == 4


def test_a_process_that_only_does_io_leaves_the_cpu_idle() -> None:
    trace = simulate("i,i", io_length=2)
    assert states_of(trace, 0) == [
        "RUN:io", "BLOCKED", "BLOCKED", "RUN:io_done", "RUN:io", "BLOCKED", "BLOCKED", "RUN:io_done",
    ]
    s = stats(trace)
    assert (s.total, s.cpu_busy, s.io_busy) == (8, 4, 4)
    assert format_stats(trace).splitlines()[1] == "Stats: CPU Busy 4 (50.00%)"


def test_ios_column_counts_ios_in_flight_during_the_tick() -> None:
    trace = simulate("i:i:c9", io_length=3)
    # P0 issues at 1 (in flight 2..4), P1 issues at 2 (in flight 3..5)
    assert [t.ios_in_flight for t in trace.ticks][:6] == [0, 1, 2, 2, 1, 0]


def test_switch_on_end_keeps_the_cpu_during_its_own_io() -> None:
    trace = simulate("c1,i,c1:c2", io_length=2, switch=SwitchPolicy.SWITCH_ON_END)
    assert states_of(trace, 0) == [
        "RUN:cpu", "RUN:io", "BLOCKED", "BLOCKED", "RUN:io_done", "RUN:cpu", "DONE", "DONE",
    ]
    assert states_of(trace, 1) == ["READY"] * 6 + ["RUN:cpu", "RUN:cpu"]
    assert [t.cpu_busy for t in trace.ticks[2:4]] == [False, False]


def test_io_run_immediate_preempts_the_running_process() -> None:
    trace = simulate("i:c5", io_length=2, io_done=IoDonePolicy.IO_RUN_IMMEDIATE)
    assert states_of(trace, 0) == ["RUN:io", "BLOCKED", "BLOCKED", "RUN:io_done", "DONE", "DONE", "DONE"]
    assert states_of(trace, 1) == ["READY", "RUN:cpu", "RUN:cpu", "READY", "RUN:cpu", "RUN:cpu", "RUN:cpu"]


def test_io_run_later_waits_while_another_process_runs() -> None:
    trace = simulate("i:c5", io_length=2, io_done="IO_RUN_LATER")
    assert states_of(trace, 0) == ["RUN:io", "BLOCKED", "BLOCKED", "READY", "READY", "READY", "RUN:io_done"]
    assert trace.ticks[3].completions == (0,)


def test_io_run_later_runs_at_once_when_nothing_else_can() -> None:
    trace = simulate("i:i", io_length=1)
    # P0 done at 3, P1 (issued at 2) done at 4; the CPU is idle both times
    assert states_of(trace, 0) == ["RUN:io", "BLOCKED", "RUN:io_done", "DONE"]
    assert states_of(trace, 1) == ["READY", "RUN:io", "BLOCKED", "RUN:io_done"]


def test_next_process_is_chosen_round_robin_with_wrap_around() -> None:
    trace = simulate("c1,i:c1:c1", io_length=1)
    # P0 blocks at 2 -> P1; P1 ends -> P2; P2 ends at 4 -> search wraps to P0
    assert [t.running for t in trace.ticks] == [0, 0, 1, 2, 0]


def test_several_completions_in_one_tick_are_handled_in_pid_order() -> None:
    # per-process I/O lengths make two I/Os end in the same tick: P0 (issued 1, L=5) and
    # P1 (issued 2, L=4) both complete at the start of tick 7, while the CPU is idle
    later = simulate("i:i", io_length=[5, 4])
    assert later.ticks[6].completions == (0, 1)
    assert later.ticks[6].cell(0) == "RUN:io_done" and later.ticks[6].cell(1) == "READY"
    now = simulate("i:i", io_length=[5, 4], io_done=IoDonePolicy.IO_RUN_IMMEDIATE)
    assert now.ticks[6].cell(0) == "READY" and now.ticks[6].cell(1) == "RUN:io_done"
    assert "  7*" in format_trace(now).splitlines()[7]


def test_bad_api_input_raises_a_value_error() -> None:
    with pytest.raises(ProgramFormatError):
        simulate("c1", io_length=-1)
    with pytest.raises(ProgramFormatError):
        simulate("c1:c1", io_length=[1])
    with pytest.raises(ValueError, match="SWITCH_ON_IO"):
        simulate("c1", switch="SOMETIMES")
    with pytest.raises(ProgramFormatError):
        Program.of([])
    with pytest.raises(ProgramFormatError):
        simulate([])


def test_a_finished_process_stays_done_and_every_instruction_runs_once() -> None:
    trace = simulate(random_programs("6:40,6:60,6:20", seed=3), io_length=3)
    rows = [tick.states for tick in trace.ticks]
    for pid in range(3):
        done_at = next((i for i, st in enumerate(rows) if st[pid] is D), len(rows))
        assert all(st[pid] is D for st in rows[done_at:])
    assert trace.ticks[-1].cpu_busy, "the run ends with the last instruction"
    ran = sum(1 for t in trace.ticks if t.cpu_busy)
    assert ran == sum(len(p.instructions) for p in trace.programs)


# --- chart and widget (no browser: a RecordingDisplay stands in for IPython's display) ---

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import Image  # noqa: E402

from helpers.sim.process_run_chart import STATE_COLOURS, plot_process_run  # noqa: E402
from helpers.sim.process_run_widget import hidden_span, process_run_widget  # noqa: E402
from helpers.widgets import RecordingDisplay  # noqa: E402


@pytest.fixture
def no_show(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("library code must not call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


def test_plot_process_run_draws_a_cell_per_process_and_tick(no_show: None) -> None:
    trace = simulate("c7,i,c1,i:c3")
    ax = plot_process_run(trace).axes[0]
    s = stats(trace)
    assert len(ax.collections) == 2 * trace.total_time + s.cpu_busy + s.io_busy
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"READY", "RUNNING", "BLOCKED", "DONE", "CPU busy"} <= set(labels)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PID 0", "PID 1", "CPU busy", "IO busy"]
    assert "total 22 ticks" in ax.get_title()
    blocked = matplotlib.colors.to_rgba(STATE_COLOURS[State.BLOCKED])
    colours = [tuple(c.get_facecolor()[0]) for c in ax.collections]
    assert colours.count(blocked) == 10, "P0 is BLOCKED for 2 x 5 ticks"


def test_plot_process_run_upto_tick_draws_only_the_first_ticks(no_show: None) -> None:
    trace = simulate("c7,i,c1,i:c3")
    fig, (a, b) = plt.subplots(2)
    plot_process_run(trace, ax=a, upto_tick=3)
    plot_process_run(trace, ax=b, upto_tick=0)
    assert len(a.collections) == 3 * 2 + 3  # two lanes and the CPU row for ticks 1..3
    assert len(b.collections) == 0
    assert "tick 3 of 22" in a.get_title()
    assert a.get_xlim() == b.get_xlim() == (0.5, 22.5), "stepping must not rescale the chart"


def test_process_run_widget_shows_controls_chart_and_hidden_answer() -> None:
    shown = RecordingDisplay()
    w = process_run_widget("c7,i,c1,i:c3", display=shown)
    assert len(shown.shown) == 3 and isinstance(shown.shown[1], Image)
    assert shown.shown[0]._repr_mimebundle_()["text/plain"] == (
        "[process-run: -P c7,i,c1,i:c3 -S SWITCH_ON_IO -I IO_RUN_LATER -L 5]"
    ), "a short, stable plain text for nbval and static exports"
    assert w.tick.value == 0 and w.tick.max == w.play.max == hidden_span(w.trace) > 22  # not the answer
    assert w.predict.answer.value == ""
    plt.close("all")


def test_process_run_widget_policy_change_resimulates_and_redraws() -> None:
    shown = RecordingDisplay()
    w = process_run_widget("c7,i,c1,i:c3", tick=None, display=shown)
    w.predict.prediction.value = "22"
    w.predict.button.click()
    assert w.predict.revealed
    w.switch.value = "SWITCH_ON_END"
    assert w.trace.total_time == 25  # P0 keeps the CPU through both I/Os, then P1's 3 ticks
    assert w.tick.max == w.play.max == hidden_span(w.trace) > 25, "the slider does not tell the total"
    assert w.tick.value == 0 and not w.predict.revealed, "new settings hide the old answer"
    images = shown.images()
    assert len(images) == 2 and images[0] != images[1]
    w.io_length.value = 0
    assert w.trace.total_time == 15 and w.tick.value == 0
    assert len(shown.images()) == 3


def test_process_run_widget_steps_with_the_slider_and_play() -> None:
    shown = RecordingDisplay()
    w = process_run_widget("c2,i:c3", io_length=2, display=shown)
    w.tick.value = 2
    assert w.chart.params["upto_tick"] == 2
    w.play.value = 4  # Play drives the tick slider (linked)
    assert w.tick.value == 4 and w.chart.params["upto_tick"] == 4
    images = shown.images()
    assert len(images) == 3 and len(set(images)) == 3
    assert len(shown.shown) == 3, "redraws update the chart output in place"


def test_process_run_widget_reveals_only_after_a_prediction() -> None:
    w = process_run_widget("c7,i,c1,i:c3", display=RecordingDisplay())
    w.predict.button.click()
    assert w.predict.answer.value == "" and w.tick.value == 0
    w.predict.prediction.value = "20"
    w.predict.button.click()
    assert w.predict.correct is False
    assert "Stats: Total Time 22" in w.predict.answer.value
    assert "RUN:io_done" in w.predict.answer.value
    assert w.tick.value == 22, "revealing also shows the whole run on the chart"
