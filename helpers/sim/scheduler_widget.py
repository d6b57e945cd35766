"""The scheduler as a widget, built on ``helpers.widgets``.

    scheduler_widget(lengths="100,200,300")
        policy dropdown, quantum slider, job lengths text ──> schedule() again, answer hidden
        PredictThenReveal: average turnaround? ──> trace, statistics, and the Gantt chart

The returned ``helpers.widgets.SimulatorView`` holds the controls, so tests can drive it.
"""
from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from matplotlib.axes import Axes

from helpers.sim.scheduler import (
    Policy,
    ScheduleError,
    ScheduleTrace,
    format_stats,
    format_trace,
    job_stats,
    parse_lengths,
    schedule,
)
from helpers.sim.scheduler_chart import plot_job_lengths, plot_schedule
from helpers.widgets import (LABEL_STYLE, DisplayFunction, LiveChart, PredictThenReveal,
                             SimulatorView, check_number)

__all__ = ["SchedulerWidget", "scheduler_widget"]

def _draw_schedule(ax: Axes, trace: ScheduleTrace, revealed: bool) -> None:
    if revealed:
        plot_schedule(trace, ax=ax)
    else:
        plot_job_lengths(trace.jobs, ax=ax, policy=trace.policy.value)


class SchedulerWidget(SimulatorView):
    """The scheduler as a widget (see :func:`scheduler_widget`)."""

    def __init__(
        self,
        lengths: str | list[float],
        policy: Policy | str,
        quantum: int,
        display: DisplayFunction | None,
    ) -> None:
        text = lengths if isinstance(lengths, str) else ",".join(f"{x:g}" for x in lengths)
        self.trace = schedule(parse_lengths(text), policy, quantum)
        self.lengths = widgets.Text(
            value=text, description="作业长度 (-l)", continuous_update=False, style=LABEL_STYLE
        )
        self.policy = widgets.Dropdown(
            options=[p.value for p in Policy], value=self.trace.policy.value,
            description="策略 (-p)", style=LABEL_STYLE,
        )
        self.quantum = widgets.IntSlider(
            value=quantum, min=1, max=max(20, quantum), description="时间片 (-q)",
            continuous_update=False, style=LABEL_STYLE, disabled=self.trace.policy is not Policy.RR,
        )
        self.status = widgets.HTML("")
        n = len(self.trace.jobs)
        self.chart = LiveChart(
            _draw_schedule, figsize=(8.0, 1.6 + 0.5 * n), display=display,
            trace=self.trace, revealed=False,
        )
        self.predict = PredictThenReveal(
            "先预测，再检查：平均周转时间（average turnaround）是多少？（保留两位小数即可）",
            check_number(lambda: job_stats(self.trace).average_turnaround, tolerance=0.01),
            lambda: format_trace(self.trace) + "\n\n" + format_stats(self.trace),
            placeholder="例如 12.33",
            on_reveal=lambda: self.chart.redraw(revealed=True),
        )
        for control in (self.lengths, self.policy, self.quantum):
            control.observe(self._settings_changed, names="value")
        self.controls: dict[str, widgets.Widget] = {
            "lengths": self.lengths, "policy": self.policy, "quantum": self.quantum,
        }
        self.box = widgets.VBox(
            [widgets.HBox([self.policy, self.quantum]), self.lengths, self.status]
        )

    def _controls_text(self) -> str:
        quantum = f" -q {self.quantum.value}" if self.policy.value == Policy.RR.value else ""
        return f"[scheduler: -p {self.policy.value} -l {self.lengths.value}{quantum}]"

    def _settings_changed(self, _change: Any) -> None:
        self.quantum.disabled = self.policy.value != Policy.RR.value
        try:
            trace = schedule(parse_lengths(self.lengths.value), self.policy.value, self.quantum.value)
        except ScheduleError as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            return
        self.status.value = ""
        self.trace = trace
        self.predict.reset()
        self.chart.redraw(trace=trace, revealed=False)



def scheduler_widget(
    lengths: str | list[float] = "100,200,300",
    policy: Policy | str = Policy.FIFO,
    quantum: int = 1,
    display: DisplayFunction | None = None,
) -> SchedulerWidget:
    """Display the scheduler: policy, quantum and job lengths; predict the average turnaround.

    Until the prediction is checked the chart shows only the job list; after it, the Gantt
    chart of the schedule with response and turnaround marked.
    """
    widget = SchedulerWidget(lengths, policy, quantum, display)
    widget.show(display)
    return widget
