"""Charts of the process-state simulator (English labels, Figure API).

    plot_process_run(trace, ax, upto_tick)   a lane per process coloured by state per tick,
                                             plus a CPU-busy row and an IO-busy row

Each function draws on ``ax`` when given (a new Figure otherwise; no pyplot) and returns
the Figure.
"""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from helpers.sim._plot import LANE_HEIGHT as _HEIGHT
from helpers.sim._plot import lane_style, new_ax
from helpers.sim.process_run import Instruction, ProcessRunTrace, State, stats

__all__ = ["STATE_COLOURS", "plot_process_run"]

STATE_COLOURS: dict[State, str] = {
    State.RUNNING: "#4c9f70",
    State.READY: "#f4d35e",
    State.BLOCKED: "#d1495b",
    State.DONE: "#e6e6e6",
}
CPU_COLOUR = "#555555"
IO_COLOUR = "#8e6fbf"
# Two short lines fit in a one-tick cell (a clipped "io_d" did not say what it was).
_INSTRUCTION_LABELS = {Instruction.CPU: "", Instruction.IO: "io", Instruction.IO_DONE: "io\ndone"}


def plot_process_run(
    trace: ProcessRunTrace, ax: Axes | None = None, upto_tick: int | None = None,
    span: int | None = None, hide_total: bool = False,
) -> Figure:
    """Draw a process-run trace: a lane per process, a cell per tick coloured by state.

    ``upto_tick`` draws only ticks 1..upto_tick (the x range stays the same, so stepping
    through a run does not rescale the picture); ``None`` draws everything. A triangle marks
    the tick at whose start a process's I/O completed. The x range ends at ``span`` (default:
    the run's total time). ``hide_total`` (a widget that asks for the total, with ``span`` an
    upper bound) names only the current tick in the title: no "of N", no statistics.
    """
    n = len(trace.programs)
    total = trace.total_time
    span = total if span is None else max(span, 1)
    shown = total if upto_tick is None else max(0, min(upto_tick, total))
    ax = new_ax(ax, (max(6.0, 0.28 * span + 2.5), 1.2 + 0.45 * (n + 2)))
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
                    ax.text(tick.time, pid, text, ha="center", va="center", fontsize=6,
                            linespacing=0.9)
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
    at = None if upto_tick is None else max(0, upto_tick)
    if at is not None and 0 < at < (span if hide_total else total):
        ax.axvline(at + 0.5, color="black", linewidth=1.0, linestyle="--")

    ax.set_xlim(0.5, span + 0.5)
    ax.set_ylim(io_row + 0.6, -0.8)
    ax.set_yticks(range(n + 2), [f"PID {pid}" for pid in range(n)] + ["CPU busy", "IO busy"])
    step = 1 if span <= 30 else 5
    ax.set_xticks(range(step if step > 1 else 1, span + 1, step))
    ax.set_xlabel("tick")
    lane_style(ax)

    length = trace.io_length if isinstance(trace.io_length, int) else "/".join(map(str, trace.io_length))
    title = f"process-run: {trace.switch.value}, {trace.io_done.value}, L={length}"
    if hide_total:
        title += f"\ntick {at if at is not None else shown}"
    elif shown == total:
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
    return ax.figure
