"""Timing charts of traced runs (matplotlib, object API only: no pyplot, no global state).

    result = run_script("demo.py", trace=True)      # or a helpers.trace.model.Trace
    plot_timeline(result)                            # Gantt chart: one lane per process
    compare_runs({"serial": r1, "concurrent": r2})   # total time of several runs, side by side

Both return a ``matplotlib.figure.Figure`` (a notebook shows it as the cell's value) and draw
on ``ax`` when one is given.
"""
from __future__ import annotations

from typing import Any, Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from helpers.events import EventKind, State
from helpers.run.launcher import RunResult
from helpers.trace.model import Trace

__all__ = ["plot_timeline", "compare_runs", "STATE_COLORS"]

STATE_COLORS: dict[State, str] = {
    State.RUNNING: "#4c9f70",
    State.BOOTING: "#c7e9c0",
    State.STARTING: "#9ecae1",
    State.SLEEPING: "#d9d9d9",
    State.JOIN_WAIT: "#f4a259",
    State.LOCK_WAIT: "#d1495b",
    State.QUEUE_WAIT: "#8e6fbf",
    State.PIPE_WAIT: "#c994c7",
}
_LOCK_COLORS = ["#333333", "#8c510a", "#01665e", "#762a83"]
_QUEUE_COLORS = ["#8e6fbf", "#1f78b4", "#e08214", "#35978f"]
_BAR_HEIGHT = 0.6
MAX_MESSAGE_MARKERS = 400  # more put/get/send/recv ticks than this only clutter the lanes
_ADDS = (EventKind.PUT, EventKind.SEND)
_TAKES = (EventKind.GET, EventKind.RECV)


def _trace_of(run_or_trace: RunResult | Trace) -> Trace:
    if isinstance(run_or_trace, Trace):
        return run_or_trace
    if isinstance(run_or_trace, RunResult) and run_or_trace.trace is not None:
        return run_or_trace.trace
    raise TypeError("plot_timeline 需要一个 Trace 或带 .trace 的运行结果（RunResult）；"
                    "请用 run_script(..., trace=True) 运行程序。")


def plot_timeline(run_or_trace: RunResult | Trace, ax: Axes | None = None, title: str | None = None,
                  queue_depth: bool = True) -> Figure:
    """Draw a Gantt chart of a traced run: what every process did over time.

    One lane per process (``name (pid N)``), coloured by state; markers for start, exit (with
    exit code), join returns and terminate/kill; a thin bar under a lane while that process
    holds a lock; small ticks where a process put/sent (▲) or got/received (▼) a message
    (up to ``MAX_MESSAGE_MARKERS``); and, when a queue or a ``Pipe`` was used and
    ``queue_depth`` is true, the items in each of them over time in a second axes beneath
    (``Trace.queue_depth``).
    """
    trace = _trace_of(run_or_trace)
    procs = sorted(trace.processes, key=lambda p: (p.role != "main", p.start, p.pid))
    depth_queues = trace.queues + trace.pipes if queue_depth else []
    if ax is None:
        height = 1.4 + 0.55 * max(len(procs), 1) + (1.6 if depth_queues else 0)
        fig = Figure(figsize=(10, height), layout="constrained")
        if depth_queues:
            ax, qax = fig.subplots(2, 1, sharex=True, height_ratios=[max(len(procs), 2), 1.6])
        else:
            ax, qax = fig.add_subplot(), None
    else:
        fig = ax.get_figure()
        qax = None
        if depth_queues:
            from mpl_toolkits.axes_grid1 import make_axes_locatable

            qax = make_axes_locatable(ax).append_axes("bottom", size="35%", pad=0.5, sharex=ax)
    lane = {p.pid: i for i, p in enumerate(procs)}

    by_state: dict[tuple[int, State], list[tuple[float, float]]] = {}
    for iv in trace.intervals():
        if iv.pid in lane:
            by_state.setdefault((iv.pid, iv.state), []).append((iv.t0, iv.duration))
    for (pid, state), spans in by_state.items():
        ax.broken_barh(spans, (lane[pid] - _BAR_HEIGHT / 2, _BAR_HEIGHT),
                       facecolors=STATE_COLORS.get(state, "#999999"), linewidth=0)

    lock_handles = _draw_lock_holds(ax, trace, lane)
    marker_handles = _draw_markers(ax, trace, procs, lane) + _draw_messages(ax, trace, lane)

    ax.set_yticks(range(len(procs)), [p.label for p in procs])
    ax.set_ylim(len(procs) - 0.4, -0.6)
    span = max(trace.duration, 1e-3)
    ax.set_xlim(left=-0.01 * span, right=span * 1.1)  # room for the "exit N" labels
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    heading = title or "Process timeline"
    dropped = sum(trace.dropped.values())
    if dropped:
        heading += f"  ({dropped} events not recorded: limit reached)"
    ax.set_title(heading, loc="left", fontsize=11)

    used_states = [s for s in STATE_COLORS if any(k[1] is s for k in by_state)]
    handles: list[Any] = [Patch(color=STATE_COLORS[s], label=s.value) for s in used_states]
    handles += lock_handles + marker_handles
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=8)

    if qax is not None:
        for i, q in enumerate(depth_queues):
            points = trace.queue_depth(q) + [(trace.duration, trace.queue_depth(q)[-1][1])]
            qax.step([t for t, _ in points], [d for _, d in points], where="post",
                     color=_QUEUE_COLORS[i % len(_QUEUE_COLORS)], label=trace.label(q))
        qax.set_ylabel("items in queue" if not trace.pipes or not queue_depth
                       else "items in queue / pipe")
        qax.set_ylim(bottom=0)
        qax.yaxis.get_major_locator().set_params(integer=True)
        qax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
        qax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        for side in ("top", "right"):
            qax.spines[side].set_visible(False)
        qax.set_xlabel("time (s)")
        ax.tick_params(labelbottom=False)
    else:
        ax.set_xlabel("time (s)")
    return fig


def _draw_lock_holds(ax: Axes, trace: Trace, lane: dict[int, int]) -> list[Any]:
    handles: list[Any] = []
    colors: dict[str, str] = {}
    for iv in trace.lock_holds():
        if iv.pid not in lane:
            continue
        if iv.obj not in colors:
            colors[iv.obj] = _LOCK_COLORS[len(colors) % len(_LOCK_COLORS)]
            handles.append(Patch(facecolor="white", edgecolor=colors[iv.obj], hatch="////",
                                 label=f"holding {trace.label(iv.obj)}"))
        y = lane[iv.pid] + _BAR_HEIGHT / 2 + 0.02
        ax.broken_barh([(iv.t0, max(iv.duration, trace.duration * 1e-3))], (y, 0.12),
                       facecolors="white", edgecolors=colors[iv.obj], hatch="////",
                       linewidth=0.6)
    return handles


def _draw_markers(ax: Axes, trace: Trace, procs: list[Any], lane: dict[int, int]) -> list[Any]:
    for p in procs:
        y = lane[p.pid]
        ax.plot([p.start], [y], marker=">", color="black", markersize=6, linestyle="none")
        if p.end is not None and p.exitcode is None and p.end == trace.stopped_at:
            ax.annotate("stopped", (p.end, y), xytext=(4, 5), textcoords="offset points",
                        fontsize=8, color="#b2182b")
        elif p.end is not None:
            ax.plot([p.end], [y], marker="s", color="black", markersize=5, linestyle="none")
            if p.exitcode is not None:
                ax.annotate(f"exit {p.exitcode}", (p.end, y), xytext=(4, 5),
                            textcoords="offset points", fontsize=8,
                            color="#b2182b" if p.exitcode else "black")
    joins = [(e.t, lane[e.pid]) for e in trace.events
             if e.kind is EventKind.JOIN_END and e.pid in lane]
    if joins:
        ax.plot([t for t, _ in joins], [y for _, y in joins], marker="D", color="#f4a259",
                markeredgecolor="black", markersize=5, linestyle="none")
    kills = [(e.t, lane[e.pid]) for e in trace.events
             if e.kind in (EventKind.TERMINATE, EventKind.KILL) and e.pid in lane]
    if kills:
        ax.plot([t for t, _ in kills], [y for _, y in kills], marker="X", color="#b2182b",
                markersize=8, linestyle="none")
    handles: list[Any] = [
        Line2D([], [], marker=">", color="black", linestyle="none", label="process start"),
        Line2D([], [], marker="s", color="black", linestyle="none", label="process exit"),
    ]
    if joins:
        handles.append(Line2D([], [], marker="D", color="#f4a259", markeredgecolor="black",
                              linestyle="none", label="join returned"))
    if kills:
        handles.append(Line2D([], [], marker="X", color="#b2182b", linestyle="none",
                              label="terminate / kill"))
    return handles


def _draw_messages(ax: Axes, trace: Trace, lane: dict[int, int]) -> list[Any]:
    """Ticks above a lane where its process put/sent (▲) or got/received (▼) a message."""
    moves = [e for e in trace.events
             if (e.kind in _ADDS or e.kind in _TAKES) and e.get("ok") == "1" and e.pid in lane]
    if not moves or len(moves) > MAX_MESSAGE_MARKERS:
        return []
    handles: list[Any] = []
    for kinds, marker, label in ((_ADDS, "^", "put / send"), (_TAKES, "v", "get / recv")):
        pts = [(e.t, lane[e.pid] - _BAR_HEIGHT / 2 - 0.08) for e in moves if e.kind in kinds]
        if pts:
            ax.plot([t for t, _ in pts], [y for _, y in pts], marker=marker, color="#542788",
                    markersize=4, linestyle="none")
            handles.append(Line2D([], [], marker=marker, color="#542788", linestyle="none",
                                  label=label))
    return handles


def _duration_of(value: RunResult | Trace | float) -> float:
    if isinstance(value, (RunResult, Trace)):
        return value.duration
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError("compare_runs 的每个值应为 RunResult、Trace 或秒数（float），"
                    f"收到的是 {type(value).__name__}。")


def compare_runs(runs: Mapping[str, RunResult | Trace | float], ax: Axes | None = None,
                 title: str | None = None, expected: Mapping[str, float] | None = None,
                 expected_label: str = "formula") -> Figure:
    """Bar chart of the total time of several runs (RunResult, Trace or seconds), labelled.

    ``expected`` (run name -> seconds, e.g. from a formula) is drawn as a dashed line with a
    marker on each of those bars, so a prediction and the measurement can be compared. Bars get
    one colour each while there are colours enough; more bars than that share one colour
    (a colour that came back would pair two unrelated runs).
    """
    if not runs:
        raise ValueError("compare_runs 至少需要一个运行结果。")
    names = list(runs)
    values = [_duration_of(runs[n]) for n in names]
    unknown = [n for n in (expected or {}) if n not in runs]
    if unknown:
        raise ValueError(f"expected 里的 {', '.join(map(repr, unknown))} 不是 runs 里的运行名称。")
    if ax is None:
        fig = Figure(figsize=(1.6 + 1.5 * len(names), 3.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()
    if len(names) <= len(_QUEUE_COLORS):
        colors = _QUEUE_COLORS[:len(names)]
    else:
        colors = [_QUEUE_COLORS[1]] * len(names)
    bars = ax.bar(names, values, color=colors, width=0.6, label="measured" if expected else None)
    ax.bar_label(bars, labels=[f"{v:.2f} s" for v in values], padding=3, fontsize=9)
    top = max(values + [1e-3])
    if expected:
        xs = [names.index(n) for n in expected]
        ys = [float(expected[n]) for n in expected]
        ax.plot(xs, ys, color="#333333", linestyle="--", marker="D", markersize=5,
                label=expected_label)
        ax.legend(loc="upper left", frameon=False, fontsize=9)
        top = max([top, *ys])
    ax.set_ylabel("total time (s)")
    ax.set_ylim(0, top * 1.18)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or "Total time per run", loc="left", fontsize=11)
    return fig
