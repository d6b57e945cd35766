"""A simulator widget never shows what it asks for before the student has answered.

The process-run widget asks for the Total Time: before the answer, neither the chart (title,
x-axis, labels) nor the tick slider or Play control may give it away, at any tick the student
steps to before the run ends. After the answer the whole run is shown; changing a setting hides
it again. Its cell labels fit their cells (no clipped "io_d").
"""
from __future__ import annotations

from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from helpers.sim.process_run_widget import process_run_widget
from helpers.sim.scheduler import job_stats
from helpers.sim.scheduler_widget import scheduler_widget

PROGRAMS = ["c2,i,c1:c3", "c7,i,c1,i:c3", "c3", "i"]  # lecture 03's examples and small cases


def quiet(*_args: Any, **_kwargs: Any) -> None:
    """A display function that shows nothing (the widget is driven from the test)."""


def chart_texts(widget: Any) -> tuple[list[str], Any]:
    figure = widget.chart.figure()
    ax = figure.axes[0]
    texts = [ax.get_title(), ax.get_xlabel()]
    texts += [t.get_text() for t in ax.texts]
    texts += [t.get_text() for t in ax.get_xticklabels()]
    return texts, ax


def gives_away(total: int, widget: Any) -> list[str]:
    """Everything in the widget that reveals ``total`` right now."""
    found = []
    texts, ax = chart_texts(widget)
    for text in texts:
        if f"of {total}" in text or f"total {total}" in text or "total" in text.lower():
            found.append(f"chart text {text!r}")
    if abs(ax.get_xlim()[1] - (total + 0.5)) < 1e-9:
        found.append(f"x-axis ends at {ax.get_xlim()[1]}")
    if str(total) in [t.get_text() for t in ax.get_xticklabels()][-1:]:
        found.append("the last x tick label is the total")
    if widget.tick.max == total:
        found.append(f"tick slider max {widget.tick.max}")
    if widget.play.max == total:
        found.append(f"Play max {widget.play.max}")
    if widget.predict.answer.layout.display != "none" or widget.predict.answer.value:
        found.append("the answer box")
    return found


@pytest.mark.parametrize("programs", PROGRAMS)
def test_process_run_widget_shows_no_total_before_the_answer(programs: str) -> None:
    widget = process_run_widget(programs, io_length=3, display=quiet)
    total = widget.trace.total_time
    # The student steps through the run: before it ends, nothing tells how long it takes.
    for tick in range(0, total):
        widget.tick.value = tick
        assert gives_away(total, widget) == [], f"{programs} at tick {tick}"
    widget.tick.value = 0
    widget.predict.prediction.value = str(total + 3)
    widget.predict.submit()
    assert widget.predict.revealed and widget.predict.correct is False
    texts, ax = chart_texts(widget)
    assert f"total {total} ticks" in texts[0]  # the answer, now that it was asked for
    assert widget.tick.max == widget.play.max == total == widget.tick.value
    assert ax.get_xlim()[1] == pytest.approx(total + 0.5)


def test_a_new_setting_hides_the_answer_again() -> None:
    widget = process_run_widget("c2,i,c1:c3", io_length=3, display=quiet)
    widget.predict.prediction.value = "8"
    widget.predict.submit()
    widget.io_length.value = 5
    total = widget.trace.total_time
    assert not widget.predict.revealed
    assert gives_away(total, widget) == []


def test_cell_labels_fit_their_cells() -> None:
    widget = process_run_widget("c2,i,c1:c3", io_length=3, tick=None, display=quiet)
    figure = widget.chart.figure()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = figure.axes[0]
    labels = [t for t in ax.texts if t.get_text()]
    assert labels, "the chart labels the io and io_done cells"
    assert all("io_d" != t.get_text() for t in labels)
    for text in labels:
        x = text.get_position()[0]
        left, right = (ax.transData.transform((x + dx, 0))[0] for dx in (-0.5, 0.5))
        box = text.get_window_extent(renderer)
        assert box.x0 >= left - 0.5 and box.x1 <= right + 0.5, (text.get_text(), box, left, right)


def test_scheduler_widget_shows_no_average_before_the_answer() -> None:
    widget = scheduler_widget(display=quiet)
    average = job_stats(widget.trace).average_turnaround
    texts, _ax = chart_texts(widget)
    assert not any(f"{average:.2f}" in t or "turnaround" in t for t in texts), texts
    assert not widget.predict.revealed
