"""Throughput of Queue, Pipe and shared memory, measured by a real program (chapter 08).

The measuring program (the lecture's ``ipc_speed.py``) prints one line per measurement::

    channel=queue size=100 messages=2000 seconds=0.0345

and the notebook turns them into a table and a chart::

    run = helpers.run_script("ipc_speed.py", trace=False, echo=False)
    rows = speeds(run)                # [Speed(channel, size, messages, seconds), ...]
    print(format_speeds(rows))        # "... · 0.03 s · 57971 msg/s · 5.8 MB/s" per row
    print(format_ratios(rows))        # "1 MB messages: shared memory 5.4× Queue, 24.7× Pipe"
    plot_speeds(rows)                 # -> Figure: messages/s per channel, small vs large

Times, message rates, byte rates and ratios are printed as ``<x> s``, ``<x> msg/s``, ``<x> MB/s``
and ``<x>×``,
the forms ``tests/sanitize.cfg`` rewrites, and never padded, so a notebook that prints them
stays comparable under nbval while the committed output keeps the real numbers.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers import measuring

__all__ = ["Speed", "SpeedLineError", "speeds", "format_speeds", "speed_ratio", "format_ratios",
           "plot_speeds", "CHANNELS"]

LINE = re.compile(r"^channel=(?P<channel>[\w-]+) size=(?P<size>\d+) messages=(?P<n>\d+) "
                  r"seconds=(?P<s>\d+(?:\.\d+)?(?:e-?\d+)?)$")
CHANNELS = {"queue": "Queue", "pipe": "Pipe", "shm": "shared memory"}
_COLORS = {"queue": "#8e6fbf", "pipe": "#1f78b4", "shm": "#e08214"}


class SpeedLineError(ValueError):
    """The measuring program printed no measurement line (it failed or printed something else)."""


@dataclass(frozen=True)
class Speed:
    """``messages`` messages of ``size`` bytes each went through ``channel`` in ``seconds``."""

    channel: str
    size: int
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Messages per second."""
        return measuring.rate(self.messages, self.seconds)

    @property
    def megabytes_per_second(self) -> float:
        """Payload megabytes (10**6 bytes) per second."""
        return self.per_second * self.size / 1e6

    @property
    def label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


def speeds(run_or_lines: Any) -> list[Speed]:
    """The measurement lines of a run (a RunResult, or an iterable of text lines)."""
    return measuring.read_lines(
        run_or_lines, LINE, lambda m: Speed(m["channel"], int(m["size"]), int(m["n"]), float(m["s"])),
        SpeedLineError("测量程序没有打印任何 `channel=... size=... messages=... seconds=...` 行："
                       "先看看它的输出和错误信息。"))


def _size_text(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000} MB"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000} kB"
    return f"{size} B"


def format_speeds(rows: Sequence[Speed]) -> str:
    """One line per measurement: channel, message size, count, time, msg/s, MB/s (unpadded numbers)."""
    width = max(len(r.label) for r in rows)
    out = []
    for r in rows:
        out.append(f"{r.label:<{width}} · {_size_text(r.size):>6} × {r.messages:<5} · "
                   f"{r.seconds:.3f} s · {r.per_second:.0f} msg/s · {r.megabytes_per_second:.1f} MB/s")
    return "\n".join(out)


def speed_ratio(rows: Sequence[Speed], size: int, channel: str, other: str) -> float:
    """How many times as many messages of ``size`` bytes per second ``channel`` carried as
    ``other`` (below 1 when ``channel`` was the slower one)."""
    rate = {r.channel: r.per_second for r in rows if r.size == size}
    if channel not in rate or other not in rate:
        raise SpeedLineError(f"no measurement of {channel!r} and {other!r} with {size}-byte messages")
    return rate[channel] / rate[other]


def format_ratios(rows: Sequence[Speed], channel: str = "shm") -> str:
    """One line per message size: how many times ``channel`` (shared memory) was as fast as each
    other channel measured with that size, e.g. ``1 MB messages: shared memory 5.4× Queue, 24.7× Pipe``."""
    out = []
    for size in sorted({r.size for r in rows if r.channel == channel}):
        others = [c for c in CHANNELS if c != channel and any(r.channel == c and r.size == size for r in rows)]
        if others:
            ratios = ", ".join(f"{speed_ratio(rows, size, channel, o):.1f}× {CHANNELS[o]}" for o in others)
            out.append(f"{_size_text(size)} messages: {CHANNELS.get(channel, channel)} {ratios}")
    return "\n".join(out)


def plot_speeds(rows: Sequence[Speed], ax: Axes | None = None, title: str | None = None) -> Figure:
    """Grouped bars: messages per second (log scale) for each message size and channel,
    each bar labelled with its MB/s."""
    if ax is None:
        fig = Figure(figsize=(8, 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()
    sizes = sorted({r.size for r in rows})
    channels = [c for c in CHANNELS if any(r.channel == c for r in rows)]
    channels += sorted({r.channel for r in rows} - set(channels))
    width = 0.8 / max(len(channels), 1)
    for i, ch in enumerate(channels):
        xs, ys, labels = [], [], []
        for j, size in enumerate(sizes):
            found = [r for r in rows if r.channel == ch and r.size == size]
            if found:
                xs.append(j + (i - (len(channels) - 1) / 2) * width)
                ys.append(found[0].per_second)
                labels.append(f"{found[0].megabytes_per_second:.0f} MB/s"
                              if found[0].megabytes_per_second >= 10
                              else f"{found[0].megabytes_per_second:.1f} MB/s")
        bars = ax.bar(xs, ys, width=width * 0.95, color=_COLORS.get(ch, "#999999"),
                      label=CHANNELS.get(ch, ch))
        ax.bar_label(bars, labels=labels, padding=2, fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(sizes)), [f"{_size_text(s)} messages" for s in sizes])
    ax.set_ylabel("messages per second (log)")
    ax.set_ylim(top=ax.get_ylim()[1] * 3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper right", frameon=False, fontsize=9)
    ax.set_title(title or "Messages per second (bar labels: payload MB/s)", loc="left", fontsize=11)
    return fig
