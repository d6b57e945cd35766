"""The process-state simulator as a widget, built on ``helpers.widgets``.

    process_run_widget(programs="c7,i,c1,i:c3")
        -S / -I dropdowns, an L slider ──> simulate() again ──> LiveChart redraw, answer hidden
        tick slider <─link─> Play         ──> LiveChart redraw up to that tick
        PredictThenReveal: total time?    ──> the -c table and the -p statistics

The returned ``helpers.widgets.SimulatorView`` holds the controls, so tests can drive it.
"""
from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from matplotlib.axes import Axes

from helpers.sim.process_run import (
    Instruction,
    IoDonePolicy,
    ProcessRunTrace,
    Program,
    SwitchPolicy,
    format_stats,
    format_trace,
    parse_programs,
    simulate,
)
from helpers.sim.process_run_chart import plot_process_run
from helpers.widgets import (LABEL_STYLE, DisplayFunction, LiveChart, PredictThenReveal,
                             SimulatorView, check_number)

__all__ = ["ProcessRunWidget", "process_run_widget"]

def _draw_process_run(ax: Axes, trace: ProcessRunTrace, upto_tick: int | None,
                      span: int | None = None, hide_total: bool = False) -> None:
    plot_process_run(trace, ax=ax, upto_tick=upto_tick, span=span, hide_total=hide_total)


def hidden_span(trace: ProcessRunTrace) -> int:
    """How far the chart and the tick slider reach while the total time is the question.

    An upper bound of the total, with a margin: every tick either executes an instruction or
    waits for an I/O, so the total is at most (instructions + I/O ticks) of all processes. The
    margin keeps a one-process run (where the bound is exact) from giving its answer away.
    """
    lengths = trace.io_length if isinstance(trace.io_length, (tuple, list)) else None
    bound = 0
    for pid, program in enumerate(trace.programs):
        length = lengths[pid] if lengths is not None else trace.io_length
        ios = sum(1 for i in program.instructions if i is Instruction.IO)
        bound += len(program.instructions) + ios * (int(length) + 1)
    bound += max(3, bound // 4)
    return -(-bound // 5) * 5  # round up to a multiple of 5


def _programs_html(programs: tuple[Program, ...]) -> str:
    rows = "\n".join(
        f"Process {pid}: " + " ".join(i.value for i in p.instructions)
        for pid, p in enumerate(programs)
    )
    return f"<b>程序（programs）</b>，io 之后总跟着一条 io_done：<pre>{html.escape(rows)}</pre>"


class ProcessRunWidget(SimulatorView):
    """The process-state simulator as a widget (see :func:`process_run_widget`)."""

    def __init__(
        self,
        programs: str | list[Program],
        io_length: int,
        switch: SwitchPolicy | str,
        io_done: IoDonePolicy | str,
        tick: int | None,
        display: DisplayFunction | None,
    ) -> None:
        self._quiet = False
        self.programs = tuple(parse_programs(programs) if isinstance(programs, str) else programs)
        self.trace = simulate(self.programs, io_length, switch, io_done)
        total = self.trace.total_time
        # The question is the total time: until it is answered, nothing shows it (tick=None:
        # the caller shows the whole run from the start).
        self.hidden = tick is not None
        reach = hidden_span(self.trace) if self.hidden else total
        start = total if tick is None else max(0, min(tick, reach))
        self.switch = widgets.Dropdown(
            options=[p.value for p in SwitchPolicy], value=self.trace.switch.value,
            description="-S 切换策略", style=LABEL_STYLE,
        )
        self.io_done = widgets.Dropdown(
            options=[p.value for p in IoDonePolicy], value=self.trace.io_done.value,
            description="-I I/O 完成后", style=LABEL_STYLE,
        )
        self.io_length = widgets.IntSlider(
            value=io_length, min=0, max=max(10, io_length), description="-L I/O 时长",
            continuous_update=False, style=LABEL_STYLE,
        )
        self.tick = widgets.IntSlider(
            value=start, min=0, max=reach, description="tick", continuous_update=False,
            style=LABEL_STYLE,
        )
        self.play = widgets.Play(value=start, min=0, max=reach, interval=600, description="Play")
        widgets.link((self.play, "value"), (self.tick, "value"))
        width = max(6.0, 0.28 * reach + 2.5)
        self.chart = LiveChart(
            _draw_process_run, figsize=(width, 1.2 + 0.45 * (len(self.programs) + 2)),
            display=display, trace=self.trace, upto_tick=start, span=reach,
            hide_total=self.hidden,
        )
        self.predict = PredictThenReveal(
            "先预测，再检查：这次运行一共需要多少个时钟周期（Total Time）？",
            check_number(lambda: self.trace.total_time),
            lambda: format_trace(self.trace) + "\n\n" + format_stats(self.trace),
            placeholder="例如 12",
            on_reveal=self._show_whole_run,
        )
        for control in (self.switch, self.io_done, self.io_length):
            control.observe(self._settings_changed, names="value")
        self.tick.observe(self._tick_changed, names="value")
        self.controls: dict[str, widgets.Widget] = {
            "switch": self.switch, "io_done": self.io_done, "io_length": self.io_length,
            "tick": self.tick, "play": self.play,
        }
        self.box = widgets.VBox([
            widgets.HTML(_programs_html(self.programs)),
            widgets.HBox([self.switch, self.io_done]),
            self.io_length,
            widgets.HBox([self.play, self.tick]),
        ])

    def _controls_text(self) -> str:
        return (f"[process-run: -P {':'.join(p.compact() for p in self.programs)}"
                f" -S {self.switch.value} -I {self.io_done.value} -L {self.io_length.value}]")

    def _settings_changed(self, _change: Any) -> None:
        self.trace = simulate(
            self.programs, self.io_length.value, self.switch.value, self.io_done.value
        )
        self.predict.reset()
        self.hidden = True  # a new run: its total is the question again
        reach = hidden_span(self.trace)
        self._quiet = True  # one redraw below, not one per slider attribute
        try:
            self.tick.value = 0  # from the start: predict the new run, then step through it
            self.tick.max = self.play.max = reach
        finally:
            self._quiet = False
        self.chart.redraw(trace=self.trace, upto_tick=self.tick.value, span=reach, hide_total=True)

    def _tick_changed(self, change: Any) -> None:
        if not self._quiet:
            self.chart.redraw(upto_tick=change["new"])

    def _show_whole_run(self) -> None:
        total = self.trace.total_time
        if not self.hidden and self.tick.value == total:
            return  # already the whole run
        self.hidden = False
        self._quiet = True
        try:
            self.tick.max = self.play.max = max(total, self.tick.value)
            self.tick.value = total
            self.tick.max = self.play.max = total
        finally:
            self._quiet = False
        self.chart.redraw(upto_tick=total, span=total, hide_total=False)



def process_run_widget(
    programs: str | list[Program] = "c7,i,c1,i:c3",
    io_length: int = 5,
    switch: SwitchPolicy | str = SwitchPolicy.SWITCH_ON_IO,
    io_done: IoDonePolicy | str = IoDonePolicy.IO_RUN_LATER,
    tick: int | None = 0,
    display: DisplayFunction | None = None,
) -> ProcessRunWidget:
    """Display the process-state simulator: policies, I/O length, a tick stepper, a prediction.

    ``programs`` uses the ``-P`` syntax (or Program objects). The chart starts at ``tick``
    (0: nothing has run yet, so the student predicts first; ``None``: the whole run).
    """
    widget = ProcessRunWidget(programs, io_length, switch, io_done, tick, display)
    widget.show(display)
    return widget
