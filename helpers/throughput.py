"""Throughput measured from real runs: read the measurements a program printed, print, chart.

A measuring program prints one line per measurement (chapter 09's ``throughput.py``)::

    io consumers=4 items=16 time=0.167          <- kind, number of consumers, items, seconds

and the notebook turns those lines into a table and a chart::

    run = helpers.run_script("throughput.py", trace=False, echo=False)
    rows = measurements(run)                 # [Measurement(kind, consumers, items, seconds), ...]
    print(format_rates(rows))                # times as "0.17 s", rates as "96.0 items/s"
    plot_throughput(rows)                    # -> Figure: items/s against consumers, one line per kind

Times and rates are printed in the forms ``tests/sanitize.cfg`` rewrites (``<T> s``,
``<RATE> items/s``), so a notebook that prints them stays comparable under nbval.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers import measuring

__all__ = ["Measurement", "MeasurementError", "measurements", "format_rates", "speedup", "plot_throughput"]

LINE = re.compile(r"^(?P<kind>[\w-]+) consumers=(?P<n>\d+) items=(?P<items>\d+) time=(?P<t>\d+(?:\.\d+)?)$")
_COLORS = {"io": "#1f78b4", "cpu": "#d1495b"}
_LABELS = {"io": "I/O-bound items", "cpu": "CPU-bound items"}


class MeasurementError(ValueError):
    """The run printed no measurement lines, or ones in another form."""


@dataclass(frozen=True)
class Measurement:
    """``items`` items of ``kind`` went through ``consumers`` consumers in ``seconds``."""

    kind: str
    consumers: int
    items: int
    seconds: float

    @property
    def rate(self) -> float:
        """Items per second."""
        return measuring.rate(self.items, self.seconds)


def measurements(run_or_lines: Any) -> list[Measurement]:
    """The measurement lines of a run (``RunResult`` or an iterable of strings), in order."""
    return measuring.read_lines(
        run_or_lines, LINE, lambda m: Measurement(m["kind"], int(m["n"]), int(m["items"]), float(m["t"])),
        MeasurementError("no line like 'io consumers=4 items=16 time=0.167' in the output"),
        stream="stdout")


def format_rates(rows: Iterable[Measurement]) -> str:
    """One line per measurement: kind, consumers, time (``0.17 s``) and rate (``96.0 items/s``)."""
    return "\n".join(f"{m.kind:<4} {m.consumers} consumer{'s' if m.consumers != 1 else ' '}  "
                     f"{m.seconds:.2f} s  {m.rate:.1f} items/s" for m in rows)


def speedup(rows: Sequence[Measurement], kind: str, consumers: int, base: int = 1) -> float:
    """Rate with ``consumers`` consumers divided by the rate with ``base`` consumers."""
    rate = {m.consumers: m.rate for m in rows if m.kind == kind}
    if consumers not in rate or base not in rate:
        raise MeasurementError(f"no {kind!r} measurement with {base} and {consumers} consumers")
    return rate[consumers] / rate[base]


def plot_throughput(rows: Sequence[Measurement], ax: Axes | None = None, cores: int | None = None,
                    title: str | None = None) -> Figure:
    """Items per second against the number of consumers, one line per kind of item.

    ``cores`` draws a vertical line at the number of CPU cores (more consumers than cores
    cannot compute at the same time).
    """
    if ax is None:
        fig = Figure(figsize=(7, 3.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    kinds = list(dict.fromkeys(m.kind for m in rows))
    for kind in kinds:
        pts = sorted((m.consumers, m.rate) for m in rows if m.kind == kind)
        ax.plot([n for n, _ in pts], [r for _, r in pts], marker="o", label=_LABELS.get(kind, kind),
                color=_COLORS.get(kind))
    if cores:
        ax.axvline(cores, color="#888888", linestyle="--", linewidth=1, label=f"CPU cores ({cores})")
    counts = sorted({m.consumers for m in rows})
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.set_xlabel("consumers")
    ax.set_ylabel("throughput (items/s)")
    ax.set_ylim(bottom=0)
    ax.grid(color="#e5e5e5", linewidth=0.8)
    ax.legend(loc="upper left", frameon=False)
    ax.set_title(title or "Throughput against the number of consumers")
    return fig
