"""Look at real processes the way the OS sees them: a process-table entry and the process tree.

    describe_process(pid)  ──psutil──> ProcessCard (pid, ppid, name, status, memory, cpu times,
                                        threads, open files, cmdline)   card.format() -> text
    build_tree(pid)        ──psutil──> TreeNode: the chain of ancestors from the root (PID 1 on
                                        Linux and macOS) down to ``pid``, then its descendants
    format_tree(pid)  -> str           an indented tree, one ``name (pid N) status`` per line
    plot_tree(pid, ax) -> Figure       the same tree as boxes and lines (matplotlib Figure API)

Everything defaults to the calling process (in a notebook: the kernel). The text forms print
pids as ``pid N`` and memory as ``x MiB`` so notebook outputs can be sanitised (see
tests/sanitize.cfg). Works wherever psutil does (Linux, macOS, Windows); fields the OS does not
let us read are ``None`` and print as ``n/a``.

Workers never import this module (it imports psutil).
"""
from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import psutil

if TYPE_CHECKING:  # matplotlib is imported only when a tree is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ProcessCard",
    "ProcessGoneError",
    "TreeNode",
    "build_tree",
    "describe_process",
    "format_tree",
    "plot_tree",
]

_MIB = 1024 * 1024
_T = TypeVar("_T")


class ProcessGoneError(ProcessLookupError):
    """The process does not exist (any more)."""


@dataclass(frozen=True)
class ProcessCard:
    """A few fields of one process-table entry (PCB), read through psutil."""

    pid: int
    ppid: int | None
    name: str
    status: str  # psutil's status: "running", "sleeping", "zombie", ...
    cmdline: tuple[str, ...] | None
    rss: int | None  # resident memory, bytes
    vms: int | None  # virtual memory, bytes
    cpu_user: float | None  # seconds of CPU time in user mode
    cpu_system: float | None  # seconds of CPU time in kernel mode
    num_threads: int | None
    open_files: tuple[str, ...] | None  # paths of the regular files it has open
    create_time: float  # seconds since the epoch

    def format(self, now: float | None = None) -> str:
        """The card as aligned text lines (pids as ``pid N``, memory in MiB, times in s)."""
        age = (time.time() if now is None else now) - self.create_time
        rows = [
            ("parent", f"pid {self.ppid}" if self.ppid is not None else "n/a"),
            ("status", self.status),
            ("memory", _memory(self.rss, self.vms)),
            ("cpu time", _cpu(self.cpu_user, self.cpu_system)),
            ("threads", _or_na(self.num_threads)),
            ("open files", _files(self.open_files)),
            ("cmdline", _cmdline(self.cmdline)),
            ("started", f"{max(age, 0.0):.2f} s ago"),
        ]
        lines = [f"process pid {self.pid} ({self.name})"]
        lines += [f"  {label + ':':<12}{value}" for label, value in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


@dataclass
class TreeNode:
    """One process in a tree: its pid, name, status and the children shown under it."""

    pid: int
    name: str
    status: str
    children: list[TreeNode] = field(default_factory=list)
    target: bool = False  # the process the tree was built for

    def walk(self) -> Iterator[TreeNode]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def _read(getter: Callable[[], _T]) -> _T | None:
    # a field the OS refuses (AccessDenied) or that a zombie no longer has: show n/a, go on
    try:
        return getter()
    except (psutil.AccessDenied, psutil.ZombieProcess):
        return None


def _process(pid: int | None) -> psutil.Process:
    try:
        return psutil.Process(os.getpid() if pid is None else pid)
    except psutil.NoSuchProcess:
        raise ProcessGoneError(
            f"没有 pid 为 {pid} 的进程（process）：它可能已经结束并被回收了。"
        ) from None


def describe_process(pid: int | None = None) -> ProcessCard:
    """Read the process-table fields of process ``pid`` (default: this process).

    Raises ProcessGoneError if there is no such process.
    """
    proc = _process(pid)
    try:
        with proc.oneshot():  # read /proc/<pid>/* once for all fields
            memory = _read(proc.memory_info)
            cpu = _read(proc.cpu_times)
            files = _read(proc.open_files)
            cmdline = _read(proc.cmdline)
            return ProcessCard(
                pid=proc.pid,
                ppid=_read(proc.ppid),
                name=_read(proc.name) or "?",
                status=str(_read(proc.status) or "?"),
                cmdline=tuple(cmdline) if cmdline is not None else None,
                rss=memory.rss if memory is not None else None,
                vms=memory.vms if memory is not None else None,
                cpu_user=cpu.user if cpu is not None else None,
                cpu_system=cpu.system if cpu is not None else None,
                num_threads=_read(proc.num_threads),
                open_files=tuple(sorted(f.path for f in files)) if files is not None else None,
                create_time=proc.create_time(),
            )
    except psutil.NoSuchProcess:
        raise ProcessGoneError(
            f"pid {proc.pid} 的进程在读取它的信息时结束了：再试一次，或换一个还活着的进程。"
        ) from None


def _node(proc: psutil.Process, target: bool = False) -> TreeNode:
    return TreeNode(
        pid=proc.pid,
        name=_read(proc.name) or "?",
        status=str(_read(proc.status) or "?"),
        target=target,
    )


def _descendants(proc: psutil.Process, node: TreeNode) -> None:
    for child in sorted(_read(proc.children) or [], key=lambda p: p.pid):
        try:
            child_node = _node(child)
        except psutil.NoSuchProcess:  # ended while we looked: leave it out
            continue
        node.children.append(child_node)
        _descendants(child, child_node)


def build_tree(pid: int | None = None, ancestors: bool = True, children: bool = True) -> TreeNode:
    """The process tree around ``pid`` (default: this process), as data.

    With ``ancestors`` the root is the topmost ancestor psutil can see (PID 1 on Linux) and
    each ancestor has exactly one child shown, the next one on the way down (its other
    children are left out). With ``children`` every descendant of ``pid`` is included,
    ordered by pid. Raises ProcessGoneError if there is no such process.
    """
    proc = _process(pid)
    try:
        node = _node(proc, target=True)
        if children:
            _descendants(proc, node)
        root = node
        if ancestors:
            for parent in _read(proc.parents) or []:
                try:
                    above = _node(parent)
                except psutil.NoSuchProcess:
                    break
                above.children.append(root)
                root = above
    except psutil.NoSuchProcess:
        raise ProcessGoneError(f"pid {proc.pid} 的进程在读取进程树时结束了。") from None
    return root


def _label(node: TreeNode) -> str:
    mark = ""
    if node.target:
        mark = "  <- this process" if node.pid == os.getpid() else "  <- the process asked for"
    return f"{node.name} (pid {node.pid}) {node.status}{mark}"


def format_tree(pid: int | None = None, ancestors: bool = True, children: bool = True) -> str:
    """The tree of :func:`build_tree` as indented text, one ``name (pid N) status`` per line."""
    root = build_tree(pid, ancestors=ancestors, children=children)
    lines = [_label(root)]

    def below(node: TreeNode, prefix: str) -> None:
        for index, child in enumerate(node.children):
            last = index == len(node.children) - 1
            lines.append(prefix + ("└── " if last else "├── ") + _label(child))
            below(child, prefix + ("    " if last else "│   "))

    below(root, "")
    return "\n".join(lines)


def _layout(root: TreeNode) -> dict[int, tuple[float, int]]:
    # leaves take consecutive x slots; a parent sits above the middle of its children
    places: dict[int, tuple[float, int]] = {}
    next_slot = [0.0]

    def place(node: TreeNode, depth: int) -> float:
        if not node.children:
            x = next_slot[0]
            next_slot[0] += 1.0
        else:
            xs = [place(child, depth + 1) for child in node.children]
            x = (xs[0] + xs[-1]) / 2
        places[id(node)] = (x, depth)
        return x

    place(root, 0)
    return places


def _elide_ancestors(root: TreeNode, keep: int) -> TreeNode:
    # keep the root (PID 1) and the `keep` nearest ancestors; one "... N more" box between
    chain = [root]
    while not chain[-1].target and len(chain[-1].children) == 1:
        chain.append(chain[-1].children[0])
    if not chain[-1].target:
        return root
    middle = chain[1:-1 - keep] if keep > 0 else chain[1:-1]
    if len(middle) < 2:
        return root
    gap = TreeNode(pid=-1, name=f"... {len(middle)} more", status="", children=[chain[len(middle) + 1]])
    return TreeNode(root.pid, root.name, root.status, [gap], root.target)


_STATUS_COLOURS = {"running": "#f4d35e", "sleeping": "#dce6f2"}


def plot_tree(
    pid: int | None = None,
    ancestors: bool = True,
    children: bool = True,
    ax: Axes | None = None,
    tree: TreeNode | None = None,
    max_ancestors: int = 3,
) -> Figure:
    """Draw the process tree (root at the top) on ``ax`` (else a new Figure) and return the Figure.

    ``tree`` draws a tree built earlier (e.g. by :func:`build_tree`) instead of reading the
    processes again. Between the root and the ``max_ancestors`` nearest ancestors, a long
    chain is drawn as one "... N more" box (``format_tree`` prints all of them). The figure
    size does not depend on the tree, so the chart's text form is the same on every machine.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    root = tree if tree is not None else build_tree(pid, ancestors=ancestors, children=children)
    root = _elide_ancestors(root, max_ancestors)
    if ax is None:
        ax = Figure(figsize=(9.0, 4.5)).subplots()
    places = _layout(root)
    nodes = list(root.walk())
    depth = max(d for _x, d in places.values())
    width = max(x for x, _d in places.values())
    fontsize = 8 if len(nodes) <= 14 else 6.5
    for node in nodes:
        x, d = places[id(node)]
        for child in node.children:
            cx, cd = places[id(child)]
            ax.plot([x, cx], [-d, -cd], color="#888888", linewidth=1.2, zorder=1,
                    linestyle=":" if node.pid < 0 or child.pid < 0 else "-")
    for node in nodes:
        x, d = places[id(node)]
        if node.pid < 0:
            ax.text(x, -d, node.name, ha="center", va="center", fontsize=fontsize, zorder=2,
                    style="italic", color="#555555")
            continue
        colour = "#4c9f70" if node.target else _STATUS_COLOURS.get(node.status, "#eeeeee")
        name = node.name if len(node.name) <= 16 else node.name[:15] + "…"
        ax.text(x, -d, f"{name}\npid {node.pid}", ha="center", va="center", fontsize=fontsize,
                zorder=2, bbox={"boxstyle": "round,pad=0.3", "facecolor": colour,
                                "edgecolor": "#555555"})
    ax.set_xlim(-0.8, width + 0.8)
    ax.set_ylim(-depth - 0.5, 0.5)
    ax.set_axis_off()
    ax.legend(
        handles=[Patch(facecolor="#4c9f70", edgecolor="#555555", label="the process asked for"),
                 Patch(facecolor=_STATUS_COLOURS["running"], edgecolor="#555555",
                       label="running / ready"),
                 Patch(facecolor=_STATUS_COLOURS["sleeping"], edgecolor="#555555",
                       label="sleeping (blocked)")],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
    )
    ax.set_title("Process tree: parent above, children below", fontsize=10)
    return ax.figure


def _or_na(value: object) -> str:
    return "n/a" if value is None else str(value)


def _memory(rss: int | None, vms: int | None) -> str:
    if rss is None or vms is None:
        return "n/a"
    return f"{rss / _MIB:.1f} MiB resident, {vms / _MIB:.1f} MiB virtual"


def _cpu(user: float | None, system: float | None) -> str:
    if user is None or system is None:
        return "n/a"
    return f"{user:.2f} s user, {system:.2f} s system"


def _files(paths: tuple[str, ...] | None) -> str:
    if paths is None:
        return "n/a"
    return ", ".join(paths) if paths else "(none)"


def _cmdline(argv: tuple[str, ...] | None, limit: int = 90) -> str:
    if argv is None:
        return "n/a"
    if not argv:
        return "(empty)"
    # the interpreter's full path differs from machine to machine: show its file name only
    text = " ".join(shlex.join([Path(argv[0]).name, *argv[1:]]).split())  # one line
    return text if len(text) <= limit else text[: limit - 3] + "..."
