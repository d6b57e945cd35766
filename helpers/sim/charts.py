"""Charts for the process-state simulator and the scheduler (English labels, never plt.show()).

    plot_process_run(trace, ax, upto_tick)   a lane per process coloured by state per tick,
                                             plus a CPU-busy row and an IO-busy row
    plot_schedule(trace, ax)                 Gantt chart of the job slices, with response
                                             (first run) and turnaround (completion) marked
    plot_job_lengths(jobs, ax)               the job list only (what to predict from)

Each function draws on ``ax`` when given (a new pyplot figure otherwise) and returns the Axes.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from helpers.sim.process_run import Instruction, ProcessRunTrace, State, stats
from helpers.sim.scheduler import Job, Policy, ScheduleTrace, job_stats

__all__ = ["STATE_COLOURS", "plot_job_lengths", "plot_process_run", "plot_schedule"]

STATE_COLOURS: dict[State, str] = {
    State.RUNNING: "#4c9f70",
    State.READY: "#f4d35e",
    State.BLOCKED: "#d1495b",
    State.DONE: "#e6e6e6",
}
CPU_COLOUR = "#555555"
IO_COLOUR = "#8e6fbf"
_JOB_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_INSTRUCTION_LABELS = {Instruction.CPU: "", Instruction.IO: "io", Instruction.IO_DONE: "io_d"}
_HEIGHT = 0.7


def _new_ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _fig, new = plt.subplots(figsize=figsize)
    return new


def plot_process_run(
    trace: ProcessRunTrace, ax: Axes | None = None, upto_tick: int | None = None
) -> Axes:
    """Draw a process-run trace: a lane per process, a cell per tick coloured by state.

    ``upto_tick`` draws only ticks 1..upto_tick (the x range stays the whole run, so stepping
    through a run does not rescale the picture); ``None`` draws everything. A triangle marks
    the tick at whose start a process's I/O completed.
    """
    n = len(trace.programs)
    total = trace.total_time
    shown = total if upto_tick is None else max(0, min(upto_tick, total))
    ax = _new_ax(ax, (max(6.0, 0.28 * total + 2.5), 1.2 + 0.45 * (n + 2)))
    cpu_row, io_row = n, n + 1
    label_cells = total <= 40
    for tick in trace.ticks[:shown]:
        x = tick.time - 0.5
        for pid in range(n):
            state = tick.states[pid]
            colour = STATE_COLOURS[State.RUNNING] if pid == tick.running else STATE_COLOURS[state]
            ax.broken_barh([(x, 1.0)], (pid - _HEIGHT / 2, _HEIGHT), facecolors=colour,
                           edgecolor="white", linewidth=0.8)
            if label_cells and pid == tick.running and tick.instruction is not None:
                text = _INSTRUCTION_LABELS[tick.instruction]
                if text:
                    ax.text(tick.time, pid, text, ha="center", va="center", fontsize=6.5)
        for pid in tick.completions:
            ax.plot(tick.time, pid - _HEIGHT / 2 - 0.08, marker="v", color="black",
                    markersize=5, linestyle="none")
        if tick.cpu_busy:
            ax.broken_barh([(x, 1.0)], (cpu_row - _HEIGHT / 2, _HEIGHT), facecolors=CPU_COLOUR,
                           edgecolor="white", linewidth=0.8)
        if tick.ios_in_flight:
            ax.broken_barh([(x, 1.0)], (io_row - _HEIGHT / 2, _HEIGHT), facecolors=IO_COLOUR,
                           edgecolor="white", linewidth=0.8)
            if tick.ios_in_flight > 1:
                ax.text(tick.time, io_row, str(tick.ios_in_flight), ha="center", va="center",
                        fontsize=7, color="white")
    if upto_tick is not None and 0 < shown < total:
        ax.axvline(shown + 0.5, color="black", linewidth=1.0, linestyle="--")

    ax.set_xlim(0.5, total + 0.5)
    ax.set_ylim(io_row + 0.6, -0.8)
    ax.set_yticks(range(n + 2), [f"PID {pid}" for pid in range(n)] + ["CPU busy", "IO busy"])
    step = 1 if total <= 30 else 5
    ax.set_xticks(range(step if step > 1 else 1, total + 1, step))
    ax.set_xlabel("tick")
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.tick_params(axis="y", length=0)

    length = trace.io_length if isinstance(trace.io_length, int) else "/".join(map(str, trace.io_length))
    title = f"process-run: {trace.switch.value}, {trace.io_done.value}, L={length}"
    if shown == total:
        s = stats(trace)
        title += (f"\ntotal {s.total} ticks, CPU busy {s.cpu_busy} ({s.cpu_percent:.0f}%),"
                  f" IO busy {s.io_busy} ({s.io_percent:.0f}%)")
    else:
        title += f"\ntick {shown} of {total}"
    ax.set_title(title, fontsize=10)
    handles = [Patch(facecolor=STATE_COLOURS[s], label=s.value) for s in State]
    handles += [
        Patch(facecolor=CPU_COLOUR, label="CPU busy"),
        Patch(facecolor=IO_COLOUR, label="I/O in flight"),
        Line2D([], [], marker="v", color="black", linestyle="none", label="I/O completed"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    return ax


def plot_schedule(trace: ScheduleTrace, ax: Axes | None = None) -> Axes:
    """Gantt chart of a schedule: a lane per job, its slices, response and turnaround marked.

    A pale bar shows the time a job is in the system (0 → completion); coloured blocks are
    the slices it runs; a triangle marks its first run (response) and a diamond its completion
    (turnaround). A dashed line marks the average turnaround.
    """
    n = len(trace.jobs)
    ax = _new_ax(ax, (8.0, 1.4 + 0.5 * n))
    st = job_stats(trace)
    total = trace.total_time
    label_slices = len(trace.slices) <= 40
    for job in trace.jobs:
        js = st.of(job.id)
        colour = _JOB_COLOURS[job.id % len(_JOB_COLOURS)]
        ax.broken_barh([(0, js.turnaround)], (job.id - 0.15, 0.3), facecolors="#eeeeee",
                       edgecolor="#bbbbbb", linewidth=0.6)
        ax.plot(js.response, job.id - _HEIGHT / 2 - 0.05, marker="v", color="black",
                markersize=6, linestyle="none")
        ax.plot(js.turnaround, job.id, marker="D", color="black", markersize=5,
                linestyle="none")
        ax.annotate(f"R={js.response:g}  T={js.turnaround:g}", (js.turnaround, job.id),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
        for piece in (p for p in trace.slices if p.job == job.id):
            ax.broken_barh([(piece.start, piece.duration)], (job.id - _HEIGHT / 2, _HEIGHT),
                           facecolors=colour, edgecolor="white", linewidth=0.8)
            if label_slices and piece.duration >= total / 25:
                ax.text(piece.start + piece.duration / 2, job.id, f"{piece.duration:g}",
                        ha="center", va="center", fontsize=7, color="white")
    ax.axvline(st.average_turnaround, color="black", linestyle="--", linewidth=0.9)
    ax.set_xlim(-total * 0.02, total * 1.18)
    ax.set_ylim(n - 0.4, -0.8)
    ax.set_yticks(range(n), [f"job {job.id} ({job.length:g})" for job in trace.jobs])
    ax.set_xlabel("time")
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.tick_params(axis="y", length=0)
    title = trace.policy.value + (f", quantum {trace.quantum:g}" if trace.policy is Policy.RR else "")
    title += (f"\naverage response {st.average_response:.2f}, turnaround "
              f"{st.average_turnaround:.2f}, wait {st.average_wait:.2f}")
    ax.set_title(title, fontsize=10)
    handles = [
        Patch(facecolor=_JOB_COLOURS[0], label="running"),
        Patch(facecolor="#eeeeee", edgecolor="#bbbbbb", label="in system (ready)"),
        Line2D([], [], marker="v", color="black", linestyle="none", label="first run (response)"),
        Line2D([], [], marker="D", color="black", linestyle="none", label="done (turnaround)"),
        Line2D([], [], color="black", linestyle="--", label="average turnaround"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    return ax


def plot_job_lengths(jobs: Sequence[Job] | Sequence[float], ax: Axes | None = None,
                     policy: str = "") -> Axes:
    """The job list only: a bar per job as long as its run time (nothing scheduled yet)."""
    job_list = [j if isinstance(j, Job) else Job(i, float(j)) for i, j in enumerate(jobs)]
    ax = _new_ax(ax, (8.0, 1.4 + 0.5 * len(job_list)))
    for job in job_list:
        ax.broken_barh([(0, job.length)], (job.id - _HEIGHT / 2, _HEIGHT),
                       facecolors=_JOB_COLOURS[job.id % len(_JOB_COLOURS)], alpha=0.35)
        ax.text(job.length, job.id, f"  {job.length:g}", va="center", fontsize=8)
    longest = max((j.length for j in job_list), default=1.0)
    ax.set_xlim(0, longest * 1.15)
    ax.set_ylim(len(job_list) - 0.4, -0.8)
    ax.set_yticks(range(len(job_list)), [f"job {j.id}" for j in job_list])
    ax.set_xlabel("run time")
    ax.tick_params(axis="y", length=0)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    heading = f"{policy}: " if policy else ""
    ax.set_title(f"{heading}jobs, all arriving at time 0 (predict, then check)", fontsize=10)
    return ax
