"""Charts of the scheduler (English labels, Figure API).

    plot_schedule(trace, ax)                 Gantt chart of the job slices, with response
                                             (first run) and turnaround (completion) marked
    plot_job_lengths(jobs, ax)               the job list only (what to predict from)

Each function draws on ``ax`` when given (a new Figure otherwise; no pyplot) and returns
the Figure.
"""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from helpers.sim._plot import LANE_HEIGHT as _HEIGHT
from helpers.sim._plot import lane_style, new_ax
from helpers.sim.scheduler import Job, Policy, ScheduleTrace, job_stats

__all__ = ["plot_job_lengths", "plot_schedule"]

_JOB_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def plot_schedule(trace: ScheduleTrace, ax: Axes | None = None) -> Figure:
    """Gantt chart of a schedule: a lane per job, its slices, response and turnaround marked.

    A pale bar shows the time a job is in the system (0 → completion); coloured blocks are
    the slices it runs; a triangle marks its first run (response) and a diamond its completion
    (turnaround). A dashed line marks the average turnaround.
    """
    n = len(trace.jobs)
    ax = new_ax(ax, (8.0, 1.4 + 0.5 * n))
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
    lane_style(ax)
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
    return ax.figure


def plot_job_lengths(jobs: Sequence[Job] | Sequence[float], ax: Axes | None = None,
                     policy: str = "") -> Figure:
    """The job list only: a bar per job as long as its run time (nothing scheduled yet)."""
    job_list = [j if isinstance(j, Job) else Job(i, float(j)) for i, j in enumerate(jobs)]
    ax = new_ax(ax, (8.0, 1.4 + 0.5 * len(job_list)))
    for job in job_list:
        ax.broken_barh([(0, job.length)], (job.id - _HEIGHT / 2, _HEIGHT),
                       facecolors=_JOB_COLOURS[job.id % len(_JOB_COLOURS)], alpha=0.35)
        ax.text(job.length, job.id, f"  {job.length:g}", va="center", fontsize=8)
    longest = max((j.length for j in job_list), default=1.0)
    ax.set_xlim(0, longest * 1.15)
    ax.set_ylim(len(job_list) - 0.4, -0.8)
    ax.set_yticks(range(len(job_list)), [f"job {j.id}" for j in job_list])
    ax.set_xlabel("run time")
    lane_style(ax)
    heading = f"{policy}: " if policy else ""
    ax.set_title(f"{heading}jobs, all arriving at time 0 (predict, then check)", fontsize=10)
    return ax.figure
