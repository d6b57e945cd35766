"""The chart rule: every chart function draws with the Figure API (no pyplot state) and returns
a Figure, drawing on the Axes it is given when there is one."""
from __future__ import annotations

import os
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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

JOBS = ((("cpu", 2), ("io", 3), ("cpu", 1)), (("cpu", 1), ("io", 2), ("cpu", 2)))
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
