"""The 1 − pⁿ model, its simulation, hands-on / batch / multiprogrammed runs and their charts.

No test here starts a process; the simulations are pure Python and each takes well under a second.
"""
from __future__ import annotations

import math
import random
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers.sim.multiprog import (  # noqa: E402
    Job,
    JobState,
    MultiprogInputError,
    Phase,
    PhaseKind,
    RunMode,
    SimModel,
    UnreachableUtilisationError,
    format_comparison,
    format_trace,
    make_jobs,
    min_processes,
    run_batch,
    run_hands_on,
    run_multiprogrammed,
    simulate,
    simulate_utilisation,
    utilisation,
)
from helpers.sim.multiprog_chart import (  # noqa: E402
    plot_runs,
    plot_simulation_vs_formula,
    plot_trace,
    plot_utilisation_curves,
)

# The hand-worked example. A = CPU 2, I/O 3, CPU 1;  B = CPU 1, I/O 2, CPU 2.
# Batch (one job at a time, CPU idle during I/O):
#   A: CPU 0-2, I/O 2-5, CPU 5-6;  B: waits 0-6, CPU 6-7, I/O 7-9, CPU 9-11.
#   total 11, CPU busy 2+1+1+2 = 6, idle 11-6 = 5 (ticks 2-5 and 7-9), utilisation 6/11.
# Multiprogrammed (one CPU, FIFO ready queue, own I/O device per job):
#   0-2 A on CPU, B waits; 2-3 B on CPU, A in I/O 2-5; B in I/O 3-5, CPU idle 3-5;
#   at 5 both are ready, A first (list order): A CPU 5-6, B waits, B CPU 6-8.
#   total 8, busy 6, idle 2, utilisation 6/8; batch / multi = 11 / 8 = 1.375.
# Hands-on with setup 2: (2 + 6) + (2 + 5) = 15 ticks, idle 5 + 2 + 2 = 9.
EXAMPLE = [[("cpu", 2), ("io", 3), ("cpu", 1)], [("cpu", 1), ("io", 2), ("cpu", 2)]]


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


# ---------------------------------------------------------------- formula

@pytest.mark.parametrize(("p", "n", "expected"), [
    (0.5, 3, 0.875), (0.8, 1, 0.2), (0.2, 2, 0.96), (0.8, 4, 0.5904), (0.0, 1, 1.0), (1.0, 7, 0.0),
])
def test_utilisation_is_one_minus_p_to_the_n(p: float, n: int, expected: float) -> None:
    assert utilisation(p, n) == pytest.approx(expected)


def test_utilisation_accepts_numpy_numbers() -> None:
    assert utilisation(np.float64(0.5), np.int64(2)) == pytest.approx(0.75)


@pytest.mark.parametrize("p", [-0.1, 1.1, math.nan, "0.5", None, True])
def test_utilisation_rejects_bad_p(p: object) -> None:
    with pytest.raises(ValueError, match="p="):
        utilisation(p, 2)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -1, 2.5, 3.0, True, "3"])
def test_utilisation_rejects_bad_n(n: object) -> None:
    with pytest.raises(MultiprogInputError, match="n="):
        utilisation(0.5, n)  # type: ignore[arg-type]


@pytest.mark.parametrize(("p", "target", "expected"), [
    (0.5, 0.875, 3),   # exactly on the boundary: 1 − 0.5³ = 0.875
    (0.5, 0.876, 4),
    (0.8, 0.9, 11),    # 1 − 0.8¹⁰ = 0.893, 1 − 0.8¹¹ = 0.914
    (0.5, 0.5, 1),
    (0.0, 1.0, 1),     # never waits: one process keeps the CPU busy
    (1.0, 0.0, 1),     # asking for nothing is always reached
])
def test_min_processes_known_values(p: float, target: float, expected: int) -> None:
    assert min_processes(p, target) == expected


def test_min_processes_is_the_smallest_n() -> None:
    rng = random.Random(7)
    for _ in range(300):
        p, target = rng.uniform(0.01, 0.99), rng.uniform(0.01, 0.999)
        n = min_processes(p, target)
        assert utilisation(p, n) >= target
        assert n == 1 or utilisation(p, n - 1) < target


@pytest.mark.parametrize(("p", "target"), [(1.0, 0.5), (0.5, 1.0), (0.99, 1.0)])
def test_min_processes_unreachable_target_raises(p: float, target: float) -> None:
    with pytest.raises(UnreachableUtilisationError) as info:
        min_processes(p, target)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("target", [-0.1, 1.5, math.nan])
def test_min_processes_rejects_bad_target(target: float) -> None:
    with pytest.raises(MultiprogInputError, match="target"):
        min_processes(0.5, target)


# ---------------------------------------------------------------- simulation

def test_simulation_is_deterministic_per_seed() -> None:
    for model in SimModel:
        a = simulate(0.5, 4, 2_000, seed=3, model=model)
        b = simulate(0.5, 4, 2_000, seed=3, model=model)
        c = simulate(0.5, 4, 2_000, seed=4, model=model)
        assert a == b
        assert a.cpu_busy != c.cpu_busy


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("n", [1, 3, 5])
def test_independent_jobs_converge_to_formula(p: float, n: int) -> None:
    trace = simulate(p, n, 40_000, seed=1, model=SimModel.INDEPENDENT)
    assert trace.utilisation == pytest.approx(utilisation(p, n), abs=0.02)
    assert trace.io_share == pytest.approx(p, abs=0.02)
    assert simulate_utilisation(p, n, 40_000, seed=1) == trace.utilisation


def test_one_job_is_the_same_with_or_without_a_shared_cpu() -> None:
    indep = simulate(0.5, 1, 5_000, seed=2, model=SimModel.INDEPENDENT)
    single = simulate(0.5, 1, 5_000, seed=2, model=SimModel.SINGLE_CPU)
    assert indep.cpu_busy == single.cpu_busy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_cpu_is_below_formula_with_measured_io_share(seed: int) -> None:
    # One CPU: ready jobs queue, so they are neither computing nor in I/O. The measured I/O share
    # p̂ falls well below the nominal 0.5, and the jobs are no longer independent: the CPU
    # idles more often than 1 − p̂³ predicts.
    trace = simulate(0.5, 3, 20_000, seed=seed, model=SimModel.SINGLE_CPU)
    assert trace.io_share < 0.4
    assert trace.utilisation < trace.formula_measured - 0.005
    # Measured against the nominal p (a job's I/O share when it runs alone) the same run is
    # above 1 − p³ = 0.875: fewer jobs sit in I/O at once because some are in the ready queue.
    assert trace.utilisation > trace.formula + 0.03


def test_single_cpu_never_runs_two_jobs_at_once() -> None:
    trace = simulate(0.3, 4, 3_000, seed=5, model=SimModel.SINGLE_CPU)
    # busy exactly when not every job is in I/O (a ready job is always picked up)
    assert all(busy == (io < 4) for busy, io in zip(trace.cpu_busy, trace.io_counts))


@pytest.mark.parametrize("kwargs", [
    {"ticks": 0}, {"ticks": 1.5}, {"n": 0}, {"p": 2.0}, {"switch_rate": 0.0},
    {"switch_rate": 1.5}, {"model": "single"},
])
def test_simulate_rejects_bad_input(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"p": 0.5, "n": 2, "ticks": 100, **kwargs}
    with pytest.raises(MultiprogInputError):
        simulate(**args)  # type: ignore[arg-type]


# ---------------------------------------------------------------- hands-on, batch, multiprogrammed

def test_batch_hand_worked_example() -> None:
    batch = run_batch(EXAMPLE)
    assert batch.mode is RunMode.BATCH
    assert (batch.total_time, batch.cpu_busy, batch.cpu_idle) == (11, 6, 5)
    assert batch.utilisation == pytest.approx(6 / 11)
    assert batch.finish == (6, 11)
    assert "".join(c or "." for c in batch.cpu) == "AA...AB..BB"
    assert [row[1] for row in batch.states][:6] == [JobState.WAITING] * 6


def test_multiprogrammed_hand_worked_example() -> None:
    multi = run_multiprogrammed(EXAMPLE)
    assert (multi.total_time, multi.cpu_busy, multi.cpu_idle) == (8, 6, 2)
    assert multi.finish == (6, 8)
    assert "".join(c or "." for c in multi.cpu) == "AAB..ABB"
    a = [row[0] for row in multi.states]
    b = [row[1] for row in multi.states]
    R, I, W, D = JobState.RUNNING, JobState.IO, JobState.WAITING, JobState.DONE
    assert a == [R, R, I, I, I, R, D, D]
    assert b == [W, W, R, I, I, W, R, R]


def test_hands_on_adds_setup_with_idle_cpu() -> None:
    hands_on = run_hands_on(EXAMPLE, setup_time=2)
    assert (hands_on.total_time, hands_on.cpu_busy, hands_on.cpu_idle) == (15, 6, 9)
    assert [row[0] for row in hands_on.states][:2] == [JobState.SETUP] * 2
    assert run_hands_on(EXAMPLE, setup_time=0).states == run_batch(EXAMPLE).states


def test_format_comparison_table() -> None:
    text = format_comparison(run_batch(EXAMPLE), run_multiprogrammed(EXAMPLE))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["run", "total", "time"]
    assert lines[2].split()[:5] == ["batch", "11", "6", "5", "54.5%"]
    assert lines[3].split()[:5] == ["multiprogrammed", "8", "6", "2", "75.0%"]
    assert "1.38x as fast as batch" in text


def test_format_trace_has_a_row_per_tick() -> None:
    text = format_trace(run_multiprogrammed(EXAMPLE))
    lines = text.splitlines()
    assert lines[0].split() == ["tick", "A", "B", "CPU"]
    assert len(lines) == 1 + 8 + 1
    assert lines[4].split() == ["3", "I/O", "I/O", "idle"]
    assert "total 8 ticks" in lines[-1]


def test_job_starting_with_io_and_back_to_back_cpu_phases() -> None:
    jobs = [[("io", 2), ("cpu", 1)], [("cpu", 1), ("cpu", 2)]]
    multi = run_multiprogrammed(jobs)
    # B keeps the CPU for 3 ticks (no preemption); A's I/O ends at 2, it waits until 3.
    assert "".join(c or "." for c in multi.cpu) == "BBBA"
    assert [row[0] for row in multi.states] == [JobState.IO, JobState.IO, JobState.WAITING,
                                                JobState.RUNNING]


def test_random_jobs_multiprogramming_never_loses() -> None:
    rng = random.Random(11)
    for _ in range(40):
        jobs = [[(rng.choice(["cpu", "io"]), rng.randint(1, 5)) for _ in range(rng.randint(1, 5))]
                for _ in range(rng.randint(1, 4))]
        made = make_jobs(jobs)
        batch, multi = run_batch(made), run_multiprogrammed(made)
        assert multi.total_time <= batch.total_time
        for trace in (batch, multi, run_hands_on(made, 1)):
            assert trace.cpu_busy == sum(job.cpu_time for job in made)
            for j, job in enumerate(made):
                col = [row[j] for row in trace.states]
                assert col.count(JobState.RUNNING) == job.cpu_time
                assert col.count(JobState.IO) == job.io_time
                last = max(t for t, s in enumerate(col) if s is not JobState.DONE)
                assert trace.finish[j] == last + 1


@pytest.mark.parametrize("jobs", [
    [], [[]], [[("disk", 2)]], [[("cpu", 0)]], [[("cpu", -1)]], [["cpu"]], [[("cpu", 2.5)]],
])
def test_bad_jobs_raise(jobs: list) -> None:
    with pytest.raises(MultiprogInputError):
        run_batch(jobs)


def test_jobs_as_objects_and_phase_enums() -> None:
    job = Job("X", (Phase(PhaseKind.CPU, 2), Phase(PhaseKind.IO, 1)))
    (made,) = make_jobs([job])
    assert made is job
    assert make_jobs([[(PhaseKind.CPU, 1)]])[0].name == "A"
    with pytest.raises(MultiprogInputError):
        make_jobs([job, job])
    with pytest.raises(MultiprogInputError):
        run_hands_on(EXAMPLE, setup_time=-1)


# ---------------------------------------------------------------- charts

def test_utilisation_curves_one_line_per_p() -> None:
    ax = plot_utilisation_curves().axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["20% I/O wait", "50% I/O wait", "80% I/O wait"]
    half = ax.get_lines()[1]
    assert list(half.get_xdata()) == list(range(11))
    assert half.get_ydata()[3] == pytest.approx(0.875)
    assert "degree of multiprogramming" in ax.get_xlabel()
    assert ax.get_ylabel() == "CPU utilisation"


def test_utilisation_curves_mark_a_chosen_point() -> None:
    _fig, ax = plt.subplots()
    assert plot_utilisation_curves(mark=(0.65, 4), ax=ax) is ax.figure
    labels = [line.get_label() for line in ax.get_lines()]
    assert "65% I/O wait (chosen)" in labels and "chosen point" in labels
    notes = [t.get_text() for t in ax.texts]
    assert any("82.1%" in t for t in notes)
    ax2 = plot_utilisation_curves(mark=(0.5, 3)).axes[0]
    assert "50% I/O wait (chosen)" not in [line.get_label() for line in ax2.get_lines()]
    with pytest.raises(ValueError):
        plot_utilisation_curves(ps=())


def test_simulation_vs_formula_chart_series() -> None:
    ax = plot_simulation_vs_formula(0.5, n_max=4, ticks=4_000, seed=0).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"formula 1 − pⁿ, p = 0.50", "simulated: independent jobs",
                          "simulated: one CPU + ready queue",
                          "1 − p̂ⁿ, p̂ = measured I/O share (one CPU)"}
    formula = lines["formula 1 − pⁿ, p = 0.50"].get_ydata()
    indep = lines["simulated: independent jobs"].get_ydata()
    assert np.allclose(formula, [0.5, 0.75, 0.875, 0.9375])
    assert np.allclose(indep, formula, atol=0.04)
    assert len([t for t in ax.texts if t.get_text().startswith("p̂=")]) == 4


def _collection_labels(ax: plt.Axes) -> set[str]:
    return {c.get_label() for c in ax.collections}


def test_trace_chart_lanes_and_labels() -> None:
    ax = plot_trace(run_multiprogrammed(EXAMPLE)).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CPU", "job A", "job B"]
    assert {"CPU:busy", "CPU:idle", "A:cpu", "A:io", "B:cpu", "B:io", "B:waiting"} \
        <= _collection_labels(ax)
    assert "A:waiting" not in _collection_labels(ax)
    assert ax.get_title(loc="left") == "multiprogrammed: 8 ticks, CPU utilisation 75%"
    assert any(t.get_text() == "total 8 ticks" for t in ax.texts)
    # CPU row: the names of the jobs that ran, in order
    assert [t.get_text() for t in ax.texts if t.get_text() in "AB"] == ["A", "B", "A", "B"]


def test_runs_chart_has_one_panel_per_run_on_one_time_axis() -> None:
    runs = run_hands_on(EXAMPLE, 2), run_batch(EXAMPLE), run_multiprogrammed(EXAMPLE)
    fig = plot_runs(*runs)
    assert isinstance(fig, Figure)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t.split(":")[0] for t in titles] == ["hands-on", "batch", "multiprogrammed"]
    assert [t.split()[1] for t in titles] == ["15", "11", "8"]
    assert len({ax.get_xlim() for ax in fig.axes}) == 1
    assert "A:setup" in _collection_labels(fig.axes[0])
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == \
        ["CPU", "I/O", "waiting", "setup (CPU idle)", "CPU idle"]


def test_runs_chart_on_given_axes() -> None:
    fig, axes = plt.subplots(2, 1)
    assert plot_runs(run_batch(EXAMPLE), run_multiprogrammed(EXAMPLE), axes=list(axes)) is fig
    with pytest.raises(MultiprogInputError):
        plot_runs(run_batch(EXAMPLE), axes=list(axes))


def test_model_modules_do_not_import_matplotlib_or_ipywidgets() -> None:
    import subprocess
    import sys

    code = ("import sys, helpers.sim.multiprog, helpers.sim.process_run, helpers.sim.scheduler; "
            "heavy = {'matplotlib', 'ipywidgets', 'IPython'} & set(sys.modules); "
            "assert not heavy, heavy; "
            "import helpers.sim.multiprog_chart as c; assert callable(c.plot_runs)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
