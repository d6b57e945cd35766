"""Widgets for the multiprogramming model, built on ``helpers.widgets``.

    ipywidgets sliders ──observe──> LiveChart.redraw(...) ──> the PNG output is replaced
                       └─────────> readout (HTML) is rewritten

Each function displays its controls and a :class:`helpers.widgets.LiveChart` and returns the
pieces, so tests (and curious students) can move a control from code. Run headless (nbval,
nbgrader) the first PNG stays in the cell: a static chart.

    utilisation_widget()     p and n sliders over the 1 − pⁿ curves, the chosen point marked
    simulation_widget()      p, ticks, seed → simulation vs formula
    predict_utilisation()    "what utilisation for p = …, n = …?", then the answer on the chart
    predict_speedup()        "how many times faster is multiprogrammed than batch?"
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from helpers.sim.multiprog import (
    JobLike,
    MultiprogTrace,
    format_comparison,
    make_jobs,
    run_batch,
    run_multiprogrammed,
    utilisation,
)
from helpers.sim.multiprog_chart import (
    add_state_legend,
    plot_runs,
    plot_simulation_vs_formula,
    plot_trace,
    plot_utilisation_curves,
)
from helpers.widgets import (
    DisplayFunction,
    LiveChart,
    PredictThenReveal,
    check_number,
    controls_for,
    show,
)

__all__ = ["ChartWidget", "PredictionWidget", "DEFAULT_JOBS", "utilisation_widget",
           "simulation_widget", "predict_utilisation", "predict_speedup", "utilisation_readout"]

DEFAULT_JOBS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("cpu", 3), ("io", 5), ("cpu", 2)),
    (("cpu", 2), ("io", 4), ("cpu", 3)),
    (("cpu", 4), ("io", 3), ("cpu", 1)),
)


@dataclass
class ChartWidget:
    """Controls, a live chart and a text readout, wired together."""

    chart: LiveChart
    controls: dict[str, widgets.Widget]
    readout: widgets.HTML
    box: widgets.VBox


@dataclass
class PredictionWidget:
    """A predict-then-reveal question with the chart it explains."""

    question: PredictThenReveal
    chart: LiveChart


def utilisation_readout(p: float, n: int) -> str:
    """``1 − 0.50^3 = 87.5%``: the formula with the numbers filled in."""
    return f"CPU utilisation = 1 − {p:.2f}^{n} = {utilisation(p, n):.1%}"


def _wire(chart: LiveChart, controls: dict[str, widgets.Widget], readout: widgets.HTML,
          text: Any) -> None:
    def handler(name: str) -> Any:
        def on_change(change: dict[str, Any]) -> None:
            chart.redraw(**{name: change["new"]})
            readout.value = html.escape(text(**chart.params))

        return on_change

    for name, control in controls.items():
        control.observe(handler(name), names="value")


def utilisation_widget(p: float = 0.5, n: int = 3, ps: Iterable[float] = (0.2, 0.5, 0.8),
                       n_max: int = 10, display: DisplayFunction | None = None) -> ChartWidget:
    """Sliders for p (I/O wait fraction) and n over the classic 1 − pⁿ curves; the chosen
    point is marked on the chart and its value written below the sliders."""
    ps = tuple(ps)
    utilisation(p, n)
    controls = controls_for(p=(0.0, 1.0, 0.05), n=(1, n_max))
    controls["p"].value, controls["n"].value = p, n
    controls["p"].description = "p (I/O wait)"

    def draw(ax: Any, p: float, n: int) -> None:
        plot_utilisation_curves(ps, n_max, ax=ax, mark=(p, n))

    chart = LiveChart(draw, figsize=(7.5, 4.2), display=display, p=p, n=n)
    readout = widgets.HTML(value=html.escape(utilisation_readout(p, n)))
    _wire(chart, controls, readout, lambda p, n: utilisation_readout(p, n))
    box = widgets.VBox([*controls.values(), readout])
    show(box, display)
    chart.show()
    return ChartWidget(chart, controls, readout, box)


def _simulation_text(p: float, ticks: int, seed: int, n_max: int) -> str:
    return (f"p = {p:.2f}: each job alone waits for I/O {p:.0%} of the time; "
            f"{ticks} ticks, seed {seed}, n = 1 … {n_max}")


def simulation_widget(p: float = 0.8, ticks: int = 10_000, seed: int = 0, n_max: int = 8,
                      display: DisplayFunction | None = None) -> ChartWidget:
    """p, ticks and seed controls over :func:`plot_simulation_vs_formula` (formula, independent
    jobs, one CPU with a ready queue, and 1 − p̂ⁿ with the measured I/O share)."""
    utilisation(p, n_max)
    controls = controls_for(p=(0.05, 0.95, 0.05), ticks=(1_000, 20_000, 1_000))
    controls["seed"] = widgets.BoundedIntText(value=seed, min=0, max=10**6, description="seed")
    controls["p"].value, controls["ticks"].value = p, ticks
    controls["p"].description = "p (I/O wait)"

    def draw(ax: Any, p: float, ticks: int, seed: int) -> None:
        plot_simulation_vs_formula(p, n_max, ticks, seed, ax=ax)

    chart = LiveChart(draw, figsize=(7.5, 4.2), display=display, p=p, ticks=ticks, seed=seed)
    readout = widgets.HTML(value=html.escape(_simulation_text(p, ticks, seed, n_max)))
    _wire(chart, controls, readout, lambda p, ticks, seed: _simulation_text(p, ticks, seed, n_max))
    box = widgets.VBox([*controls.values(), readout])
    show(box, display)
    chart.show()
    return ChartWidget(chart, controls, readout, box)


def predict_utilisation(p: float = 0.6, n: int = 3, ps: Iterable[float] = (0.2, 0.5, 0.8),
                        display: DisplayFunction | None = None) -> PredictionWidget:
    """Ask for 1 − pⁿ as a percentage (±1 point); the chart shows the curves and marks the
    answer only after the reveal."""
    ps = tuple(ps)
    value = utilisation(p, n)
    chart = LiveChart(lambda ax, mark: plot_utilisation_curves(ps, max(10, n), ax=ax, mark=mark),
                      figsize=(7.5, 4.2), display=display, mark=None)
    question = PredictThenReveal(
        f"内存中有 n = {n} 个进程（process），每个进程有 {p:.0%} 的时间在等待 I/O。"
        "按模型 1 − pⁿ，CPU 利用率（CPU utilisation）是多少？请填百分数，例如 75。",
        check_number(round(value * 100, 1), tolerance=1.0),
        lambda: f"{utilisation_readout(p, n)}\n"
                f"(all {n} processes wait for I/O at once with probability "
                f"{p:.2f}^{n} = {p ** n:.3f})",
        placeholder="CPU 利用率 (%)",
        on_reveal=lambda: chart.redraw(mark=(p, n)),
    )
    question.show(display)
    chart.show()
    return PredictionWidget(question, chart)


def predict_speedup(jobs: Iterable[JobLike] = DEFAULT_JOBS,
                    display: DisplayFunction | None = None) -> PredictionWidget:
    """Show the batch run of some jobs, ask how many times faster the multiprogrammed run of
    the same jobs finishes (±0.05), then draw both runs and the comparison table."""
    made = make_jobs(jobs)
    batch, multi = run_batch(made), run_multiprogrammed(made)
    ratio = batch.total_time / multi.total_time

    def draw(axes: Any, revealed: bool) -> None:
        if revealed:
            plot_runs(batch, multi, axes=[axes[0, 0], axes[1, 0]])
            return
        plot_trace(batch, ax=axes[0, 0], t_max=batch.total_time)
        add_state_legend(axes[0, 0], [batch, multi])
        _placeholder(axes[1, 0], multi, axes[0, 0].get_xlim())

    chart = LiveChart(draw, figsize=(9.0, 5.5), subplots=(2, 1), display=display, revealed=False)
    listing = "; ".join(f"{job.name}: " + ", ".join(f"{ph.kind.value} {ph.length}"
                                                      for ph in job.phases) for job in made)
    question = PredictThenReveal(
        f"作业（job）{html.escape(listing)}（单位：tick）。上图是批处理（batch）的运行，"
        f"一共 {batch.total_time} 个 tick。多道程序（multiprogramming）下同样的作业共用一个 CPU"
        "（先来先服务的就绪队列（ready queue）），I/O 各用各的设备。"
        "多道比批处理快多少倍（批处理总时间 ÷ 多道总时间，保留两位小数）？",
        check_number(round(ratio, 2), tolerance=0.05),
        lambda: format_comparison(batch, multi),
        placeholder="倍数，例如 1.25",
        on_reveal=lambda: chart.redraw(revealed=True),
    )
    chart.show()
    question.show(display)
    return PredictionWidget(question, chart)


def _placeholder(ax: Any, trace: MultiprogTrace, xlim: tuple[float, float]) -> None:
    """The multiprogrammed panel before the reveal: empty lanes and a question mark."""
    ax.set_xlim(*xlim)
    ax.set_yticks(range(len(trace.jobs) + 1), ["CPU"] + [f"job {j.name}" for j in trace.jobs])
    ax.set_ylim(len(trace.jobs) + 0.5, -1.0)
    ax.set_title("multiprogrammed: ? ticks (predict first)", loc="left", fontsize=10)
    ax.text(0.5, 0.5, "?", transform=ax.transAxes, ha="center", va="center", fontsize=40,
            color="#999999")
    ax.set_xlabel("time (ticks)")
