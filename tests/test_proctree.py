"""helpers.osview.proctree: process-table cards and process trees of real processes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import psutil  # noqa: E402
import pytest  # noqa: E402

from helpers.osview.proctree import (  # noqa: E402
    ProcessCard,
    ProcessGoneError,
    TreeNode,
    build_tree,
    describe_process,
    format_tree,
    plot_tree,
)

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

# A child that opens a file, says so, then sleeps until we kill it.
SLEEPER = (
    "import sys, time\n"
    "f = open(sys.argv[1], 'w')\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def _start_sleeper(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", SLEEPER, str(path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def sleepers(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    procs = [_start_sleeper(tmp_path / f"notes{i}.txt") for i in range(2)]
    try:
        yield procs
    finally:
        _stop(procs)


def test_card_of_this_process_matches_os() -> None:
    card = describe_process()
    assert isinstance(card, ProcessCard)
    assert card.pid == os.getpid()
    assert card.ppid == os.getppid()
    assert card.status == "running"  # we are on the CPU while reading our own entry
    assert card.rss is not None and card.rss > 1024 * 1024
    assert card.vms is not None and card.vms >= card.rss
    assert card.cpu_user is not None and card.cpu_user > 0
    assert card.num_threads is not None and card.num_threads >= 1
    assert card.cmdline is not None and "python" in Path(card.cmdline[0]).name


def test_card_of_sleeping_child_shows_its_file_and_status(sleepers: list[subprocess.Popen[str]],
                                                          tmp_path: Path) -> None:
    card = describe_process(sleepers[0].pid)
    assert card.pid == sleepers[0].pid
    assert card.ppid == os.getpid()
    assert card.status == "sleeping"
    assert card.open_files == (str(tmp_path / "notes0.txt"),)
    assert card.cmdline is not None and card.cmdline[1] == "-c"


def test_card_format_is_sanitisable(sleepers: list[subprocess.Popen[str]]) -> None:
    text = describe_process(sleepers[0].pid).format()
    lines = text.splitlines()
    assert lines[0] == f"process pid {sleepers[0].pid} ({psutil.Process(sleepers[0].pid).name()})"
    assert f"  parent:     pid {os.getpid()}" in lines
    assert "  status:     sleeping" in lines
    assert re.search(r"^  memory:     \d+\.\d MiB resident, \d+\.\d MiB virtual$", text, re.M)
    assert re.search(r"^  cpu time:   \d+\.\d\d s user, \d+\.\d\d s system$", text, re.M)
    assert re.search(r"^  started:    \d+\.\d\d s ago$", text, re.M)
    # the interpreter path differs between machines: only its file name is printed
    cmd = next(line for line in lines if line.startswith("  cmdline:"))
    assert cmd.startswith(f"  cmdline:    {Path(sys.executable).name} -c ")
    assert str(Path(sys.executable).parent) not in cmd


def test_card_fields_the_os_refuses_print_as_na() -> None:
    card = ProcessCard(pid=7, ppid=None, name="x", status="zombie", cmdline=None, rss=None,
                       vms=None, cpu_user=None, cpu_system=None, num_threads=None,
                       open_files=None, create_time=100.0)
    text = card.format(now=101.5)
    assert "  parent:     n/a" in text
    assert "  memory:     n/a" in text
    assert "  open files: n/a" in text
    assert "  started:    1.50 s ago" in text


def test_describe_missing_process_raises_lookup_error() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=10)
    with pytest.raises(ProcessLookupError):
        describe_process(proc.pid)
    with pytest.raises(ProcessGoneError):
        format_tree(proc.pid)


def test_tree_chain_reaches_root_and_lists_children(sleepers: list[subprocess.Popen[str]]) -> None:
    root = build_tree()
    chain = [root]
    while not chain[-1].target:
        assert len(chain[-1].children) == 1, "an ancestor shows only the next one on the way down"
        chain.append(chain[-1].children[0])
    me = chain[-1]
    assert me.pid == os.getpid()
    assert [p.pid for p in chain[:-1]] == [p.pid for p in reversed(psutil.Process().parents())]
    assert root.pid == 1 or sys.platform == "win32"
    child_pids = [c.pid for c in me.children]
    assert child_pids == sorted(child_pids)
    assert {p.pid for p in sleepers} <= set(child_pids)


def test_format_tree_without_ancestors_is_this_process_and_children(
        sleepers: list[subprocess.Popen[str]]) -> None:
    text = format_tree(ancestors=False)
    lines = text.splitlines()
    name = psutil.Process().name()
    assert lines[0] == f"{name} (pid {os.getpid()}) running  <- this process"
    child = psutil.Process(sleepers[0].pid).name()
    assert f"── {child} (pid {sleepers[0].pid}) sleeping" in text
    assert lines[-1].startswith("└── ")


def test_format_tree_nests_grandchildren() -> None:
    code = ("import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
            "print(p.pid, flush=True)\n"
            "p.wait()\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        grandchild = int(parent.stdout.readline())
        text = format_tree(parent.pid, ancestors=False)
        lines = text.splitlines()
        assert lines[0].endswith("<- the process asked for") and f"(pid {parent.pid})" in lines[0]
        assert lines[1].startswith("└── ") and f"(pid {grandchild})" in lines[1]
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        _stop([parent])


def test_children_only_tree_has_no_ancestors() -> None:
    root = build_tree(ancestors=False, children=False)
    assert root.pid == os.getpid() and root.target and root.children == []


def test_plot_tree_draws_one_box_per_process(sleepers: list[subprocess.Popen[str]]) -> None:
    tree = build_tree(ancestors=False)
    ax = plot_tree(tree=tree).axes[0]
    try:
        boxes = [t.get_text() for t in ax.texts]
        assert len(boxes) == len(list(tree.walk()))
        assert any(f"pid {sleepers[1].pid}" in b for b in boxes)
        assert len(ax.lines) == len(boxes) - 1  # a tree: one edge fewer than nodes
        w, h = ax.figure.get_size_inches()
        assert (w, h) == (9.0, 4.5)
    finally:
        plt.close(ax.figure)


def _chain(length: int) -> TreeNode:
    """A hand-made chain pid 1 -> 2 -> ... -> length (the target) with two children."""
    target = TreeNode(pid=length, name="me", status="running", target=True,
                      children=[TreeNode(100, "kid", "sleeping"), TreeNode(101, "kid", "sleeping")])
    node = target
    for pid in range(length - 1, 0, -1):
        node = TreeNode(pid=pid, name=f"p{pid}", status="sleeping", children=[node])
    return node


def test_plot_tree_elides_the_middle_of_a_long_ancestor_chain() -> None:
    ax = plot_tree(tree=_chain(9), max_ancestors=3).axes[0]
    try:
        texts = [t.get_text() for t in ax.texts]
        # root, "... 4 more", the 3 nearest ancestors (6, 7, 8), the target, its 2 children
        assert texts[0] == "p1\npid 1"
        assert "... 4 more" in texts
        shown = sorted(int(t.split("pid ")[1]) for t in texts if "pid " in t)
        assert shown == [1, 6, 7, 8, 9, 100, 101]
    finally:
        plt.close(ax.figure)


def test_plot_tree_keeps_a_short_chain_whole() -> None:
    ax = plot_tree(tree=_chain(4), max_ancestors=3).axes[0]
    try:
        assert not any("more" in t.get_text() for t in ax.texts)
        assert len(ax.texts) == 6
    finally:
        plt.close(ax.figure)


def test_plot_tree_on_given_axes_returns_its_figure() -> None:
    fig, ax = plt.subplots()
    try:
        assert plot_tree(ancestors=False, ax=ax) is fig
    finally:
        plt.close(fig)
