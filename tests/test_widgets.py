"""helpers.widgets: charts redraw through their display handle; answers stay hidden until predicted."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
from IPython.display import Image
from matplotlib.axes import Axes

from helpers.widgets import (
    Fixed,
    LiveChart,
    PredictThenReveal,
    RecordingDisplay,
    WidgetView,
    check_number,
    controls_for,
    interactive_chart,
)

pytestmark = pytest.mark.usefixtures("hard_timeout")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def draw_line(ax: Axes, slope: float = 1.0, label: str = "y") -> None:
    ax.plot([0, 1], [0, slope], label=label)
    ax.set_ylim(-10, 10)


def test_live_chart_show_displays_a_png_with_a_handle() -> None:
    shown = RecordingDisplay()
    chart = LiveChart(draw_line, display=shown, slope=1.0)
    handle = chart.show()
    assert handle is not None
    assert len(shown.shown) == 1
    image = shown.shown[0]
    assert isinstance(image, Image)
    assert image.data.startswith(PNG_MAGIC)


def test_redraw_updates_the_same_output_with_a_different_image() -> None:
    shown = RecordingDisplay()
    chart = LiveChart(draw_line, display=shown, slope=1.0)
    chart.show()
    chart.redraw(slope=-5.0)
    assert len(shown.shown) == 1, "redraw must update the output, not add a new one"
    assert len(shown.updates) == 1
    first, second = shown.images()
    assert first != second
    assert chart.params["slope"] == -5.0


def test_redraw_before_show_shows_the_chart() -> None:
    shown = RecordingDisplay()
    chart = LiveChart(draw_line, display=shown)
    chart.redraw(slope=2.0)
    assert len(shown.shown) == 1 and not shown.updates


def test_rendering_leaves_no_pyplot_figure_open() -> None:
    plt.close("all")
    chart = LiveChart(draw_line, display=RecordingDisplay())
    chart.show()
    for slope in (1.0, 2.0, 3.0):
        chart.redraw(slope=slope)
    assert plt.get_fignums() == []


def test_subplots_pass_an_array_of_axes() -> None:
    seen: list[Any] = []

    def draw(axes: Any) -> None:
        seen.append(axes.shape)
        for ax in axes.flat:
            ax.plot([0, 1], [1, 0])

    LiveChart(draw, subplots=(1, 2), display=RecordingDisplay()).show()
    assert seen == [(1, 2)]


def test_live_chart_updates_the_same_display_id_in_ipython() -> None:
    """With IPython's real display machinery: one PNG output, then an update of the same id."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import DisplayHandle
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    try:
        with capture_output() as captured:
            chart = LiveChart(draw_line, slope=1.0)
            handle = chart.show()
            chart.redraw(slope=3.0)
    finally:
        InteractiveShell.clear_instance()  # leave no singleton for other tests' shells
    assert isinstance(handle, DisplayHandle)
    first, second = captured.outputs
    assert "image/png" in first.data and "image/png" in second.data
    assert not first.update and second.update
    assert first.transient["display_id"] == second.transient["display_id"] == handle.display_id
    assert first.data["image/png"] != second.data["image/png"]


def test_controls_for_builds_widgets_from_short_specs() -> None:
    controls = controls_for(n=(1, 10), p=(0.0, 1.0, 0.1), policy=["FIFO", "RR"], on=True, jobs="1,2")
    assert isinstance(controls["n"], widgets.IntSlider) and controls["n"].max == 10
    assert isinstance(controls["p"], widgets.FloatSlider) and controls["p"].step == pytest.approx(0.1)
    assert isinstance(controls["policy"], widgets.Dropdown) and controls["policy"].value == "FIFO"
    assert isinstance(controls["on"], widgets.Checkbox)
    assert isinstance(controls["jobs"], widgets.Text)


def test_controls_for_rejects_an_unknown_spec_with_a_clear_message() -> None:
    with pytest.raises(TypeError, match="无法识别"):
        controls_for(n=object())


def test_interactive_chart_redraws_when_a_control_changes() -> None:
    shown = RecordingDisplay()
    chart = interactive_chart(
        draw_line, display=shown, slope=(-5, 5), label=Fixed("fixed label")
    )
    assert isinstance(shown.shown[0], WidgetView) and isinstance(shown.shown[0].widget, widgets.VBox)
    assert shown.shown[0]._repr_mimebundle_()["text/plain"] == "[controls: slope]"
    assert chart.chart.params == {"slope": -5, "label": "fixed label"}
    chart.controls["slope"].value = 4
    assert chart.chart.params["slope"] == 4
    images = shown.images()
    assert len(images) == 2 and images[0] != images[1]
    assert shown.current(1).data == images[1]


def test_predict_then_reveal_hides_the_answer_until_a_prediction() -> None:
    revealed: list[str] = []
    box = PredictThenReveal(
        "一共要多少个时钟周期？", check_number(11), lambda: revealed.append("x") or "Total Time 11"
    )
    assert box.answer.value == "" and not box.revealed
    box.button.click()  # no prediction yet
    assert box.answer.value == ""
    assert "预测" in box.feedback.value
    assert revealed == [], "the answer must not even be computed before a prediction"


def test_predict_then_reveal_says_right_and_reveals() -> None:
    box = PredictThenReveal("多少？", check_number(11), lambda: "Stats: Total Time 11")
    box.prediction.value = " 11 "
    box.button.click()
    assert box.correct is True
    assert "正确" in box.feedback.value
    assert "Total Time 11" in box.answer.value
    assert box.answer.layout.display is None


def test_predict_then_reveal_says_wrong_and_still_reveals() -> None:
    calls: list[int] = []
    box = PredictThenReveal(
        "多少？", check_number(11), lambda: "Total Time 11", on_reveal=lambda: calls.append(1)
    )
    box.prediction.value = "9"
    box.button.click()
    assert box.correct is False
    assert "不一样" in box.feedback.value
    assert "Total Time 11" in box.answer.value
    assert calls == [1]


def test_unreadable_prediction_gets_a_hint_and_no_answer() -> None:
    box = PredictThenReveal("多少？", check_number(11), lambda: "Total Time 11")
    box.prediction.value = "eleven"
    box.button.click()
    assert "数字" in box.feedback.value
    assert box.answer.value == "" and not box.revealed


def test_reset_hides_the_answer_again() -> None:
    box = PredictThenReveal("多少？", check_number(11), lambda: "Total Time 11")
    box.prediction.value = "11"
    box.button.click()
    box.reset()
    assert box.answer.value == "" and box.prediction.value == "" and not box.revealed


def test_check_number_follows_a_callable_and_a_tolerance() -> None:
    target = {"v": 12.33}
    check = check_number(lambda: target["v"], tolerance=0.01)
    assert check("12.33") and check("12.34") and not check("12.4")
    target["v"] = 7.0
    assert check("7")


def test_widget_view_has_a_short_stable_plain_text() -> None:
    box = PredictThenReveal("<b>一共</b>要多少个周期？", check_number(1), lambda: "1")
    bundle = box._repr_mimebundle_()
    assert bundle["text/plain"] == "[predict, then check] 一共要多少个周期？"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    shown = RecordingDisplay()
    box.show(display=shown)
    assert shown.shown[0].widget is box.box
