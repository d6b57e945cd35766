"""The chart rule: every chart function draws with the Figure API (no pyplot state) and returns
a Figure, drawing on the Axes it is given when there is one."""
from __future__ import annotations

import ast
import os
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers.events import EventKind  # noqa: E402
from helpers.ipc_speed import plot_speeds, speeds  # noqa: E402
from helpers.osview.history import plot_os_timeline  # noqa: E402
from helpers.osview.proctree import TreeNode, plot_tree  # noqa: E402
from helpers.sim.multiprog import run_batch, run_multiprogrammed  # noqa: E402
from helpers.sim.multiprog_chart import (  # noqa: E402
    plot_runs,
    plot_simulation_vs_formula,
    plot_trace,
    plot_utilisation_curves,
)
from helpers.sim.process_run import simulate  # noqa: E402
from helpers.sim.process_run_chart import plot_process_run  # noqa: E402
from helpers.sim.scheduler import schedule  # noqa: E402
from helpers.sim.scheduler_chart import plot_job_lengths, plot_schedule  # noqa: E402
from helpers.throughput import measurements, plot_throughput  # noqa: E402
from helpers.trace.charts import compare_runs, plot_timeline  # noqa: E402
from helpers.trace.model import Event, Trace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

JOBS = ((("cpu", 2), ("io", 3), ("cpu", 1)), (("cpu", 1), ("io", 2), ("cpu", 2)))
K = EventKind
TRACE = Trace([  # a main process and one child that put on a queue: lanes and a queue-depth axes
    Event(0.0, 1, "MainProcess", K.BOOT, "main", ""),
    Event(0.1, 1, "MainProcess", K.START_END, "Process-1", "pid=2 daemon=0"),
    Event(0.15, 2, "Process-1", K.PROC_BEGIN, "Process-1", "parent=1 daemon=0"),
    Event(0.2, 2, "Process-1", K.PUT, "Q", "ok=1 waited=0"),
    Event(0.3, 2, "Process-1", K.PROC_END, "Process-1", "code=0"),
    Event(0.35, 1, "MainProcess", K.GET, "Q", "ok=1 waited=0"),
    Event(0.4, 1, "MainProcess", K.EXIT, "", "code=0"),
])
THROUGHPUT = ["io consumers=1 items=8 time=0.8", "io consumers=2 items=8 time=0.4",
              "cpu consumers=1 items=8 time=0.5", "cpu consumers=2 items=8 time=0.3"]
TREE = TreeNode(pid=1, name="init", status="sleeping",
                children=[TreeNode(pid=os.getpid(), name="me", status="running", target=True)])

CHARTS: dict[str, Callable[..., Figure]] = {
    "plot_process_run": lambda **kw: plot_process_run(simulate("c3,i:c2"), **kw),
    "plot_schedule": lambda **kw: plot_schedule(schedule([5, 3], "RR", quantum=2), **kw),
    "plot_job_lengths": lambda **kw: plot_job_lengths([3, 1], **kw),
    "plot_utilisation_curves": lambda **kw: plot_utilisation_curves(**kw),
    "plot_simulation_vs_formula": lambda **kw: plot_simulation_vs_formula(0.5, n_max=2,
                                                                           ticks=200, **kw),
    "plot_trace": lambda **kw: plot_trace(run_batch(JOBS), **kw),
    "plot_runs": lambda **kw: plot_runs(run_batch(JOBS), run_multiprogrammed(JOBS),
                                        **({"axes": list(kw["ax"].figure.subplots(2, 1))}
                                           if "ax" in kw else {})),
    "plot_os_timeline": lambda **kw: plot_os_timeline(**kw),
    "plot_tree": lambda **kw: plot_tree(tree=TREE, **kw),
    "plot_speeds": lambda **kw: plot_speeds(speeds(["channel=pipe size=100 messages=10 seconds=0.01"]), **kw),
    "plot_timeline": lambda **kw: plot_timeline(TRACE, **kw),
    "compare_runs": lambda **kw: compare_runs({"one": 0.4, "two": TRACE}, **kw),
    "plot_throughput": lambda **kw: plot_throughput(measurements(THROUGHPUT), cores=2, **kw),
}


@pytest.fixture(autouse=True)
def no_pyplot_figures() -> None:
    plt.close("all")


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_returns_a_figure_and_leaves_pyplot_alone(name: str) -> None:
    fig = CHARTS[name]()
    assert isinstance(fig, Figure) and fig.axes
    assert plt.get_fignums() == [], f"{name} created a pyplot figure"
    fig.savefig(os.devnull, format="png")  # renders without a pyplot canvas


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_draws_on_the_given_axes(name: str) -> None:
    given = Figure()
    ax = given.add_subplot()
    assert CHARTS[name](ax=ax) is given
    assert plt.get_fignums() == []


def chart_functions() -> set[str]:
    """Every public module-level function in helpers/ that is annotated to return a Figure."""
    names = set()
    for path in (ROOT / "helpers").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
                    and node.returns is not None and ast.unparse(node.returns).endswith("Figure")):
                names.add(node.name)
    return names


def test_every_chart_function_is_checked() -> None:
    missing = sorted(chart_functions() - set(CHARTS))
    assert not missing, f"add these chart functions to CHARTS: {missing}"
