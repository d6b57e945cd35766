"""The multiprogramming widgets: moving a control redraws the chart, predictions reveal answers.

No browser: controls are set from code and a RecordingDisplay stands in for IPython's display.
"""
from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from IPython.display import Image  # noqa: E402

from helpers.sim.multiprog_widget import (  # noqa: E402
    predict_speedup,
    predict_utilisation,
    simulation_widget,
    utilisation_widget,
)
from helpers.widgets import RecordingDisplay  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _static_chart(display: RecordingDisplay) -> Image:
    """Headless, the chart is a plain PNG output (what nbval / nbgrader keep)."""
    images = [obj for obj in display.shown if isinstance(obj, Image)]
    assert len(images) == 1
    assert images[0].data.startswith(PNG_MAGIC)
    return images[0]


def test_utilisation_widget_redraws_when_a_slider_moves() -> None:
    display = RecordingDisplay()
    w = utilisation_widget(p=0.5, n=3, display=display)
    first = _static_chart(display)
    assert w.readout.value == "CPU utilisation = 1 − 0.50^3 = 87.5%"
    assert w.chart.renders == 1

    w.controls["n"].value = 5
    assert w.chart.params == {"p": 0.5, "n": 5}
    assert w.readout.value == "CPU utilisation = 1 − 0.50^5 = 96.9%"
    assert len(display.updates) == 1
    index = display.shown.index(first)
    assert display.current(index).data != first.data

    w.controls["p"].value = 0.8
    assert w.chart.renders == 3
    assert "1 − 0.80^5 = 67.2%" in w.readout.value
    # the redrawn figure marks the chosen point
    fig = w.chart.figure()
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "chosen point" in labels
    assert any("67.2%" in t.get_text() for t in fig.axes[0].texts)


def test_simulation_widget_redraws_for_new_p_ticks_and_seed() -> None:
    display = RecordingDisplay()
    w = simulation_widget(p=0.5, ticks=1_000, seed=0, n_max=3, display=display)
    _static_chart(display)
    w.controls["p"].value = 0.8
    w.controls["seed"].value = 9
    assert w.chart.params == {"p": 0.8, "ticks": 1_000, "seed": 9}
    assert len(display.updates) == 2
    assert "seed 9" in w.readout.value
    title = w.chart.figure().axes[0].get_title()
    assert title == "Simulation vs formula (p = 0.80, 1000 ticks, seed 9)"


def test_predict_utilisation_hides_then_reveals_the_answer() -> None:
    display = RecordingDisplay()
    w = predict_utilisation(p=0.6, n=3, display=display)
    _static_chart(display)
    assert w.chart.params["mark"] is None
    assert not w.question.revealed

    w.question.prediction.value = ""
    w.question.submit()
    assert not w.question.revealed  # no prediction, no answer

    w.question.prediction.value = "78"
    w.question.submit()
    assert w.question.correct is True
    assert "78.4%" in (w.question.answer_text or "")
    assert w.chart.params["mark"] == (0.6, 3)
    assert len(display.updates) == 1


def test_predict_utilisation_wrong_guess_still_reveals() -> None:
    w = predict_utilisation(p=0.5, n=2, display=RecordingDisplay())
    w.question.prediction.value = "50"
    w.question.submit()
    assert w.question.correct is False
    assert "75.0%" in (w.question.answer_text or "")


def test_predict_speedup_reveals_the_multiprogrammed_run() -> None:
    display = RecordingDisplay()
    w = predict_speedup(display=display)
    _static_chart(display)
    before = w.chart.figure()
    assert before.axes[1].get_title(loc="left").startswith("multiprogrammed: ?")
    assert "27 个 tick" in w.question.question.value

    w.question.prediction.value = "1.8"
    w.question.submit()
    assert w.question.correct is True
    assert "1.80x as fast as batch" in (w.question.answer_text or "")
    after = w.chart.figure()
    assert after.axes[1].get_title(loc="left") == "multiprogrammed: 15 ticks, CPU utilisation 100%"
    assert len(display.updates) == 1


def test_predict_speedup_with_own_jobs() -> None:
    jobs = [[("cpu", 2), ("io", 3), ("cpu", 1)], [("cpu", 1), ("io", 2), ("cpu", 2)]]
    w = predict_speedup(jobs, display=RecordingDisplay())
    w.question.prediction.value = "1.4"  # 11 / 8 = 1.375, within ±0.05 of 1.38
    w.question.submit()
    assert w.question.correct is True
    w.question.reset()
    w.question.prediction.value = "2"
    w.question.submit()
    assert w.question.correct is False
