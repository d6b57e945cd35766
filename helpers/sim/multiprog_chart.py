"""Charts for the multiprogramming model (``helpers.sim.multiprog``).

Every function draws on the Axes it is given (a new Figure when ``ax``/``axes`` is None; no
pyplot) and returns the Figure.

    plot_utilisation_curves(ps, n_max, ax, mark)     1 − pⁿ against n, one curve per p
    plot_simulation_vs_formula(p, n_max, ticks, seed, ax)
                                                      formula vs independent vs single-CPU jobs
    plot_trace(trace, ax)                             one run: a lane per job, plus the CPU row
    plot_runs(*traces, axes)                          several runs of the same jobs, stacked
"""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from helpers.sim._plot import new_ax
from helpers.sim.multiprog import (
    JobState,
    MultiprogInputError,
    MultiprogTrace,
    SimModel,
    simulate,
    utilisation,
)

__all__ = ["COLOURS", "add_state_legend", "plot_utilisation_curves", "plot_simulation_vs_formula",
           "plot_trace", "plot_runs"]

COLOURS: dict[JobState, str] = {
    JobState.RUNNING: "#1f77b4",
    JobState.IO: "#ff7f0e",
    JobState.WAITING: "#d9d9d9",
    JobState.SETUP: "#9467bd",
}
STATE_LABELS: dict[JobState, str] = {
    JobState.RUNNING: "CPU", JobState.IO: "I/O", JobState.WAITING: "waiting",
    JobState.SETUP: "setup (CPU idle)",
}
IDLE_COLOUR = "#d62728"
_CURVE_COLOURS = ("#2ca02c", "#1f77b4", "#d62728", "#9467bd", "#8c564b", "#e377c2")


_FIGSIZE = (7.0, 4.0)


def _as_percent(ax: Axes) -> None:
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.grid(True, alpha=0.3)


def plot_utilisation_curves(ps: Sequence[float] = (0.2, 0.5, 0.8), n_max: int = 10,
                            ax: Axes | None = None,
                            mark: tuple[float, int] | None = None) -> Figure:
    """CPU utilisation 1 − pⁿ against the degree of multiprogramming n, one curve per p
    (the classic figure, Tanenbaum MOS §2.1.7). The curves start at n = 0 (no process: the
    CPU idles). ``mark=(p, n)`` marks that point and writes its value; if p is not one of
    ``ps`` its curve is added dashed."""
    if not ps:
        raise MultiprogInputError("ps 至少要有一个 I/O 等待比例")
    utilisation(ps[0], n_max)  # validates n_max (and the first p)
    ax = new_ax(ax, _FIGSIZE)
    ns = list(range(0, n_max + 1))
    for i, p in enumerate(ps):
        utilisation(p, 1)
        ax.plot(ns, [1 - p ** n for n in ns], marker="o", markersize=3,
                color=_CURVE_COLOURS[i % len(_CURVE_COLOURS)], label=f"{p:.0%} I/O wait")
    if mark is not None:
        mp, mn = mark
        value = utilisation(mp, mn)
        if all(abs(mp - p) > 1e-9 for p in ps):
            ax.plot(ns, [1 - mp ** n for n in ns], linestyle="--", color="black", linewidth=1,
                    label=f"{mp:.0%} I/O wait (chosen)")
        ax.plot([mn], [value], marker="o", markersize=10, markerfacecolor="none",
                markeredgecolor="black", markeredgewidth=2, linestyle="none", label="chosen point")
        right_half = mn > 0.6 * n_max  # keep the label inside the axes
        ax.annotate(f"p = {mp:.2f}, n = {mn}\nutilisation = {value:.1%}", (mn, value),
                    xytext=(-12 if right_half else 12, -32), textcoords="offset points",
                    ha="right" if right_half else "left", fontsize=9,
                    bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9})
    ax.set_xlim(0, n_max)
    ax.set_xticks(ns)
    _as_percent(ax)
    ax.set_xlabel("degree of multiprogramming n (processes in memory)")
    ax.set_ylabel("CPU utilisation")
    ax.set_title("CPU utilisation = 1 − pⁿ")
    ax.legend(loc="lower right", fontsize=9)
    return ax.figure


def plot_simulation_vs_formula(p: float, n_max: int = 8, ticks: int = 10_000, seed: int = 0,
                               ax: Axes | None = None) -> Figure:
    """For n = 1 … n_max: the formula 1 − pⁿ, a simulation of independent jobs (lands on it),
    a simulation with one CPU and a ready queue, and 1 − p̂ⁿ with the I/O share p̂ measured in
    that single-CPU run (the single CPU lands below it: the jobs are not independent)."""
    utilisation(p, n_max)
    ax = new_ax(ax, _FIGSIZE)
    ns = list(range(1, n_max + 1))
    indep = [simulate(p, n, ticks, seed, SimModel.INDEPENDENT) for n in ns]
    single = [simulate(p, n, ticks, seed, SimModel.SINGLE_CPU) for n in ns]
    ax.plot(ns, [utilisation(p, n) for n in ns], color="black", linewidth=2,
            label=f"formula 1 − pⁿ, p = {p:.2f}")
    ax.plot(ns, [t.utilisation for t in indep], linestyle="none", marker="o", color="#2ca02c",
            label="simulated: independent jobs")
    ax.plot(ns, [t.utilisation for t in single], linestyle="none", marker="s", color="#d62728",
            label="simulated: one CPU + ready queue")
    ax.plot(ns, [t.formula_measured for t in single], linestyle="--", color="#d62728",
            linewidth=1, label="1 − p̂ⁿ, p̂ = measured I/O share (one CPU)")
    for n, tr in zip(ns, single):
        ax.annotate(f"p̂={tr.io_share:.2f}", (n, tr.utilisation), xytext=(0, -16),
                    textcoords="offset points", ha="center", fontsize=7, color="#d62728",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                          "alpha": 0.8})
    ax.set_xticks(ns)
    _as_percent(ax)
    ax.set_xlabel("number of jobs n")
    ax.set_ylabel("CPU utilisation")
    ax.set_title(f"Simulation vs formula (p = {p:.2f}, {ticks} ticks, seed {seed})")
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure


def plot_trace(trace: MultiprogTrace, ax: Axes | None = None, t_max: int | None = None) -> Figure:
    """One run as a timeline: the CPU row on top (which job runs, or idle), then a lane per
    job coloured by CPU / I/O / waiting (/ setup). The total time is marked."""
    ax = new_ax(ax, (9.0, 1.0 + 0.5 * (len(trace.jobs) + 1)))
    lanes = ["CPU"] + [f"job {job.name}" for job in trace.jobs]
    height = 0.7
    # CPU row: y = 0; jobs below it.
    runs: list[tuple[int, int, str | None]] = []
    for t, name in enumerate(trace.cpu):
        if runs and runs[-1][2] == name:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1, name)
        else:
            runs.append((t, 1, name))
    busy = [(s, w) for s, w, name in runs if name is not None]
    idle = [(s, w) for s, w, name in runs if name is None]
    ax.broken_barh(busy, (-height / 2, height), facecolors=COLOURS[JobState.RUNNING],
                   edgecolors="white", label="CPU:busy")
    ax.broken_barh(idle, (-height / 2, height), facecolors="white", edgecolors=IDLE_COLOUR,
                   hatch="///", linewidth=0.8, label="CPU:idle")
    for s, w, name in runs:
        if name is not None:
            ax.text(s + w / 2, 0, name, ha="center", va="center", color="white", fontsize=9,
                    fontweight="bold")
    for j, job in enumerate(trace.jobs):
        by_state: dict[JobState, list[tuple[int, int]]] = {}
        for s, w, state in trace.segments(j):
            by_state.setdefault(state, []).append((s, w))
        for state, bars in by_state.items():
            ax.broken_barh(bars, (j + 1 - height / 2, height), facecolors=COLOURS[state],
                           edgecolors="white", label=f"{job.name}:{state.value}")
    total = trace.total_time
    ax.axvline(total, color="black", linestyle="--", linewidth=1)
    ax.annotate(f"total {total} ticks", (total, -0.5), xytext=(4, 2), textcoords="offset points",
                fontsize=9, va="bottom")
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.5, -0.5 - 0.5)
    longest = t_max if t_max is not None else total
    ax.set_xlim(0, longest + max(4.0, 0.14 * longest))  # room for the "total" label
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("time (ticks)")
    ax.set_title(f"{trace.mode.value}: {total} ticks, CPU utilisation {trace.utilisation:.0%}",
                 loc="left", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax.figure


def add_state_legend(ax: Axes, traces: Sequence[MultiprogTrace]) -> Axes:
    """One legend row above ``ax`` for the states (and CPU idle) that occur in ``traces``."""
    present = {s for tr in traces for row in tr.states for s in row}
    handles = [Patch(facecolor=COLOURS[s], label=STATE_LABELS[s]) for s in COLOURS if s in present]
    if any(tr.cpu_idle for tr in traces):
        handles.append(Patch(facecolor="white", edgecolor=IDLE_COLOUR, hatch="///",
                             label="CPU idle"))
    ax.legend(handles=handles, loc="lower right", fontsize=8, ncol=len(handles),
              bbox_to_anchor=(1.0, 1.12), frameon=False)
    return ax


def plot_runs(*traces: MultiprogTrace, axes: Sequence[Axes] | None = None) -> Figure:
    """Runs of the same jobs (e.g. ``plot_runs(batch, multi)`` or hands-on, batch, multi), one
    panel each on a shared time axis, with one legend. Returns the figure."""
    if not traces:
        raise MultiprogInputError("至少需要一次运行（trace）")
    made_here = axes is None
    if axes is None:
        rows = len(traces[0].jobs) + 1
        fig = Figure(figsize=(9.0, len(traces) * (0.9 + 0.45 * rows) + 0.6))
        made = fig.subplots(len(traces), 1, sharex=True, squeeze=False)
        axes = list(made[:, 0])
    elif len(axes) != len(traces):
        raise MultiprogInputError(f"axes 需要 {len(traces)} 个，收到 {len(axes)} 个")
    t_max = max(tr.total_time for tr in traces)
    for tr, ax in zip(traces, axes):
        plot_trace(tr, ax=ax, t_max=t_max)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    add_state_legend(axes[0], traces)
    fig = axes[0].figure
    if made_here:
        fig.tight_layout()
    return fig
