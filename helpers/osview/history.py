"""A short, checked history of operating systems: the data and one timeline chart.

    GENERATIONS       the five hardware generations (Tanenbaum & Bos, *Modern Operating
                      Systems*, 4th ed., §1.2), as :class:`Generation` records
    EVENTS            dated milestones (:class:`Milestone`: year, name, kind, one-line note)
    UNIX_LINEAGE      CTSS → MULTICS → UNIX → POSIX → MINIX → Linux, by milestone name
    events(kind)      the milestones, optionally of one kind, sorted by year
    format_timeline() a plain-text table (what a notebook prints)
    plot_os_timeline(ax=None) -> Figure    the chart (draws on ``ax`` if given)

Sources for the years (checked, not copied from the course seed): Tanenbaum & Bos (2015) §1.2;
multicians.org (CTSS first demonstrated on an IBM 709 in November 1961; Multics begun 1964 at
MIT, GE and Bell Labs joined 1965, Bell Labs left 1969, last site shut down 2000); Ritchie &
Thompson, "The UNIX Time-Sharing System" (CACM 1974); IEEE Std 1003.1-1988; Torvalds' 1991
posts to comp.os.minix; heise online (Jan 2025) for today's Linux source size; Apple's names:
the 1984 Macintosh ran "System" ("Mac OS" on the System 7.5.1 boot screen in 1996, the official
name from Mac OS 7.6, January 1997); the 2007 iPhone's OS got the name "iPhone OS" with the SDK in
March 2008 and became iOS in June 2010.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = [
    "HistoryError", "Kind", "Milestone", "Generation",
    "GENERATIONS", "EVENTS", "UNIX_LINEAGE", "LINUX_SOURCE_LINES",
    "events", "milestone", "format_timeline", "plot_os_timeline",
]


class HistoryError(LookupError):
    """A milestone name or kind that the timeline does not know."""


class Kind(Enum):
    """What a milestone is."""

    MACHINE = "machine"
    OS = "operating system"
    STANDARD = "standard"


@dataclass(frozen=True)
class Milestone:
    """One dated milestone: the year it first ran / shipped / was published."""

    year: int
    name: str
    kind: Kind
    note: str


@dataclass(frozen=True)
class Generation:
    """A hardware generation and how people used the machines of that time."""

    number: int
    start: int
    end: int | None  # None: still going on
    hardware: str
    usage: str

    @property
    def label(self) -> str:
        end = "now" if self.end is None else str(self.end)
        return f"{self.number}. {self.hardware} ({self.start}–{end})"


GENERATIONS: tuple[Generation, ...] = (
    Generation(1, 1945, 1955, "vacuum tubes", "hands-on: plugboards, later punched cards; no OS"),
    Generation(2, 1955, 1965, "transistors", "batch systems on mainframes (FMS, IBSYS)"),
    Generation(3, 1965, 1980, "integrated circuits",
               "multiprogramming, SPOOLing, time-sharing (OS/360, MULTICS, UNIX)"),
    Generation(4, 1980, None, "personal computers", "one user, GUIs (MS-DOS, Mac OS, Windows, Linux)"),
    Generation(5, 1990, None, "mobile computers", "smartphones (Symbian, iOS, Android)"),
)

EVENTS: tuple[Milestone, ...] = (
    Milestone(1941, "Z3", Kind.MACHINE, "Konrad Zuse, Berlin: programmable, built from relays"),
    Milestone(1944, "Colossus", Kind.MACHINE, "Bletchley Park: vacuum tubes, code breaking"),
    Milestone(1945, "ENIAC", Kind.MACHINE,
              "Mauchly and Eckert, U. Pennsylvania: 17,468 tubes, set up by plugging cables"),
    Milestone(1956, "GM-NAA I/O", Kind.OS,
              "General Motors + North American Aviation, IBM 704: an early batch monitor"),
    Milestone(1959, "IBM 1401", Kind.MACHINE, "character machine: cards to tape, tape to printer"),
    Milestone(1961, "CTSS", Kind.OS,
              "MIT, Corbató: time-sharing, first shown on an IBM 709, later on a 7094"),
    Milestone(1962, "IBM 7094", Kind.MACHINE, "word machine for science: ran batches under FMS/IBSYS"),
    Milestone(1964, "System/360", Kind.MACHINE,
              "IBM: one compatible family of machines, from small to large"),
    Milestone(1964, "MULTICS", Kind.OS,
              "MIT (+GE, Bell Labs from 1965): a computing utility; ran until 2000"),
    Milestone(1966, "OS/360", Kind.OS, "multiprogramming (MFT, MVT) and SPOOLing on System/360"),
    Milestone(1969, "UNIX", Kind.OS, "Thompson and Ritchie, Bell Labs, on a PDP-7"),
    Milestone(1973, "UNIX in C", Kind.OS, "4th Edition: the kernel rewritten in C, easy to port"),
    Milestone(1981, "MS-DOS", Kind.OS, "shipped with the IBM PC as PC DOS"),
    Milestone(1984, "Mac System 1", Kind.OS,
              "Apple Macintosh: a GUI for everyone; named Mac OS in 1996-97"),
    Milestone(1987, "MINIX", Kind.OS, "Tanenbaum: a small UNIX-like system for teaching, with source"),
    Milestone(1988, "POSIX", Kind.STANDARD, "IEEE Std 1003.1-1988: one system-call interface for UNIXes"),
    Milestone(1991, "Linux", Kind.OS, "Torvalds, Helsinki: a new kernel, developed on MINIX"),
    Milestone(1993, "Windows NT", Kind.OS, "Microsoft's new kernel; Windows today descends from it"),
    Milestone(2007, "iPhone", Kind.MACHINE, "Apple's phone; its OS was named iPhone OS in 2008, iOS in 2010"),
    Milestone(2008, "Android", Kind.OS, "Google: a phone OS on the Linux kernel"),
)

UNIX_LINEAGE: tuple[str, ...] = ("CTSS", "MULTICS", "UNIX", "POSIX", "MINIX", "Linux")

LINUX_SOURCE_LINES: dict[str, int] = {
    # Lines in the kernel source tree, counting code, comments, documentation and blank lines.
    "0.01 (1991)": 10_000,            # about 10 thousand
    "6.13 (Jan 2025)": 39_819_522,    # heise online, Jan 2025
    "6.14-rc1 (Jan 2025)": 40_063_856,
}

_KIND_STYLE: dict[Kind, tuple[str, str]] = {
    Kind.MACHINE: ("#7f7f7f", "s"),
    Kind.OS: ("#1f77b4", "o"),
    Kind.STANDARD: ("#d62728", "D"),
}
_GEN_COLOURS = ("#fde0c5", "#d9ead3", "#cfe2f3", "#ead1dc", "#fff2cc")


def events(kind: Kind | None = None) -> list[Milestone]:
    """The milestones sorted by year (stable), all of them or only those of ``kind``."""
    if kind is not None and not isinstance(kind, Kind):
        raise HistoryError(f"kind 必须是 Kind 的成员（例如 Kind.OS），收到 {kind!r}")
    return sorted((e for e in EVENTS if kind is None or e.kind is kind), key=lambda e: e.year)


def milestone(name: str) -> Milestone:
    """The milestone called ``name`` (exact, case-insensitive)."""
    for e in EVENTS:
        if e.name.lower() == str(name).lower():
            return e
    known = ", ".join(e.name for e in EVENTS)
    raise HistoryError(f"时间线里没有 {name!r}；已有：{known}")


def format_timeline(kind: Kind | None = None) -> str:
    """The milestones as a text table: year, name, kind, note."""
    rows = events(kind)
    width = max(len(e.name) for e in rows)
    lines = [f"{'year':<6}{'name':<{width + 2}}{'kind':<18}note"]
    lines += [f"{e.year:<6}{e.name:<{width + 2}}{e.kind.value:<18}{e.note}" for e in rows]
    return "\n".join(lines)


def _levels(rows: list[Milestone]) -> list[float]:
    """Stem heights that keep neighbouring labels apart: alternate above/below the axis and
    cycle through three heights on each side."""
    pattern = (1.0, -1.0, 2.0, -2.0, 3.0, -3.0)
    return [pattern[i % len(pattern)] for i in range(len(rows))]


def plot_os_timeline(ax: Axes | None = None) -> Figure:
    """Draw the milestones on a time axis over the five generations (shaded bands); the UNIX
    lineage is printed in bold. Draws on ``ax`` when given; returns the figure."""
    if ax is None:  # the Figure API, no pyplot: the notebook shows the returned Figure
        ax = Figure(figsize=(12.0, 6.0), layout="constrained").subplots()
    fig = ax.figure
    rows = events()
    levels = _levels(rows)
    lo, hi = 1938, 2012
    top, bottom, mobile = 5.0, -4.1, -4.6
    for i, gen in enumerate(GENERATIONS):
        end = hi if gen.end is None else gen.end
        if gen.number == 5:  # overlaps the 4th in time: a thin band under it
            ax.fill_between([gen.start, end], mobile, bottom, color=_GEN_COLOURS[i], zorder=0,
                            linewidth=0)
            ax.text(gen.start + 1, (mobile + bottom) / 2, gen.label, ha="left", va="center",
                    fontsize=9, color="#444444", style="italic")
            continue
        ax.fill_between([gen.start, end], bottom, top, color=_GEN_COLOURS[i], zorder=0,
                        linewidth=0)
        years = f"{gen.start}–{'now' if gen.end is None else gen.end}"
        ax.text((gen.start + end) / 2, top - 0.1, f"{gen.number}. {gen.hardware}\n{years}",
                ha="center", va="top", fontsize=9, color="#444444", style="italic")
    ax.axhline(0, color="black", linewidth=1, zorder=1)
    for e, level in zip(rows, levels):
        colour, marker = _KIND_STYLE[e.kind]
        ax.vlines(e.year, 0, level, color=colour, linewidth=1, zorder=2)
        ax.plot([e.year], [0], marker=marker, color=colour, markersize=6, zorder=3)
        ax.annotate(f"{e.name}\n{e.year}", (e.year, level), xytext=(0, 3 if level > 0 else -3),
                    textcoords="offset points", ha="center", va="bottom" if level > 0 else "top",
                    fontsize=9, color=colour,
                    fontweight="bold" if e.name in UNIX_LINEAGE else "normal", zorder=4)
    handles = [Line2D([], [], color=c, marker=m, linestyle="none", label=k.value)
               for k, (c, m) in _KIND_STYLE.items()]
    handles.append(Line2D([], [], linestyle="none", label="bold: CTSS → … → Linux lineage"))
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_xlim(lo, hi)
    ax.set_ylim(mobile, top)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("year")
    ax.set_title("Operating systems and the machines they ran on, 1941–2008")
    return fig
