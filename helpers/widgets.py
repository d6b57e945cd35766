"""Widget building blocks that work live in JupyterLab and headless (nbval, nbconvert, nbgrader).

How a chart moves::

    ipywidgets controls ──observe("value")──> LiveChart.redraw(name=new_value)
                                                 │ draw(ax, **params) on a fresh Figure
                                                 │ Figure -> PNG bytes -> IPython Image
                                                 └─> DisplayHandle.update(image)

The chart is a plain ``image/png`` display output created with
``IPython.display.display(image, display_id=True)``. In JupyterLab the controls redraw it in
place through its display handle. Without a live front end (nbval, ``jupyter nbconvert
--execute``, ``nbgrader autograde``) nobody moves a control, and the first PNG simply stays in
the cell's output, so a notebook keeps a meaningful static picture.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot), rendered once and dropped, so
they are never displayed twice and never pile up in pyplot's figure registry.

Pieces:

* :class:`LiveChart` — one redrawable chart.
* :func:`controls_for` — ipywidgets from short specs (``(0, 10)`` → slider, ``["a", "b"]`` →
  dropdown, ``True`` → checkbox, ``"text"`` → text box).
* :func:`interactive_chart` — controls plus a LiveChart, wired together.
* :class:`PredictThenReveal` — a prediction box and a "检查" button; the answer stays hidden
  until the student has written a prediction.
* :func:`check_number` — a ready-made ``check`` for numeric predictions.
* :class:`WidgetView` — shows a widget with a short, stable ``text/plain`` (what nbval compares
  and what a static export shows) instead of the long ``VBox(children=...)`` repr.
* :class:`RecordingDisplay` — a stand-in for ``IPython.display.display`` so tests (and other
  headless code) can see every image shown and every update.
"""
from __future__ import annotations

import html
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import ipywidgets as widgets
from IPython.display import Image
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "DisplayFunction",
    "DisplayHandleLike",
    "LABEL_STYLE",
    "Fixed",
    "InteractiveChart",
    "LiveChart",
    "PredictThenReveal",
    "RecordingDisplay",
    "SimulatorView",
    "WidgetView",
    "check_number",
    "controls_for",
    "figure_to_image",
    "interactive_chart",
    "show",
]


LABEL_STYLE = {"description_width": "initial"}
"""ipywidgets style that shows a control's whole description (Chinese labels are long)."""


class DisplayHandleLike(Protocol):
    """What :class:`LiveChart` needs from a display handle (``IPython.display.DisplayHandle``)."""

    def update(self, obj: Any, **kwargs: Any) -> None:
        """Replace the displayed object."""


class DisplayFunction(Protocol):
    """``IPython.display.display`` or a stand-in such as :class:`RecordingDisplay`."""

    def __call__(self, obj: Any, *, display_id: bool | str | None = None) -> Any:
        """Show ``obj``; with ``display_id=True`` return a handle that can update it."""


def _ipython_display(obj: Any, *, display_id: bool | str | None = None) -> Any:
    from IPython.display import display

    return display(obj, display_id=display_id)


def show(obj: Any, display: DisplayFunction | None = None) -> None:
    """Display ``obj`` with ``display`` (tests pass a :class:`RecordingDisplay`), else IPython's."""
    (display or _ipython_display)(obj)


def figure_to_image(fig: Figure, *, dpi: int | None = None) -> Image:
    """Render ``fig`` to a PNG :class:`IPython.display.Image` and close it.

    Closing matters for figures made with pyplot: otherwise the inline backend shows them a
    second time at the end of the cell and they stay in memory.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi if dpi is not None else fig.dpi)
    import matplotlib.pyplot as plt  # only to drop the figure from pyplot's registry, if there

    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")


class LiveChart:
    """A chart that is a normal PNG display output and can be redrawn in place.

    ``draw(ax, **params)`` draws on the Axes it is given (or on an array of Axes when
    ``subplots`` is not ``(1, 1)``). ``initial`` are the first parameters; :meth:`redraw`
    changes some of them and updates the displayed image.

        chart = LiveChart(draw_curve, n=3)
        chart.show()          # displays the first PNG, returns the DisplayHandle
        chart.redraw(n=5)     # the same output now shows the new picture
    """

    def __init__(
        self,
        draw: Callable[..., Any],
        *,
        figsize: tuple[float, float] = (8.0, 3.0),
        dpi: int = 100,
        subplots: tuple[int, int] = (1, 1),
        display: DisplayFunction | None = None,
        **initial: Any,
    ) -> None:
        self.draw = draw
        self.figsize = figsize
        self.dpi = dpi
        self.subplots = subplots
        self.params: dict[str, Any] = dict(initial)
        self.handle: Any = None
        self.renders = 0
        self.last_image: Image | None = None
        self._display: DisplayFunction = display if display is not None else _ipython_display

    def figure(self, **params: Any) -> Figure:
        """Build a new Figure drawn with the current parameters updated by ``params``."""
        merged = {**self.params, **params}
        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        nrows, ncols = self.subplots
        axes: Axes | Any
        if (nrows, ncols) == (1, 1):
            axes = fig.add_subplot()
        else:
            axes = fig.subplots(nrows, ncols, squeeze=False)
        self.draw(axes, **merged)
        fig.tight_layout()
        return fig

    def render(self) -> Image:
        """Draw the current parameters into a PNG image (does not display it)."""
        image = figure_to_image(self.figure())
        self.renders += 1
        self.last_image = image
        return image

    def show(self) -> Any:
        """Display the chart as a new output and return its display handle."""
        self.handle = self._display(self.render(), display_id=True)
        return self.handle

    def redraw(self, **params: Any) -> None:
        """Change some parameters and update the displayed image (shows it if not shown yet)."""
        self.params.update(params)
        if self.handle is None:
            self.show()
            return
        self.handle.update(self.render())

    def _repr_png_(self) -> bytes:
        return self.render().data


@dataclass(frozen=True)
class WidgetView:
    """Display ``widget`` live, with ``text`` as its plain-text form.

    A front end renders the widget; headless tools (nbval, nbconvert) see only ``text``, which
    stays the same across ipywidgets versions, unlike the widget's own repr.
    """

    widget: widgets.Widget
    text: str

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        return {**bundle, "text/plain": self.text}


@dataclass(frozen=True)
class Fixed:
    """A parameter for :func:`interactive_chart` that is passed as is, without a control."""

    value: Any


def _control_for(name: str, spec: Any) -> widgets.Widget:
    label = name.replace("_", " ")
    style = LABEL_STYLE
    if isinstance(spec, widgets.Widget):
        return spec
    if isinstance(spec, bool):
        return widgets.Checkbox(value=spec, description=label)
    if isinstance(spec, str):
        return widgets.Text(value=spec, description=label, continuous_update=False, style=style)
    if isinstance(spec, list) and spec:
        return widgets.Dropdown(options=spec, value=spec[0], description=label, style=style)
    if isinstance(spec, tuple) and len(spec) in (2, 3) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec
    ):
        lo, hi = spec[0], spec[1]
        if all(isinstance(v, int) for v in spec):
            step = spec[2] if len(spec) == 3 else 1
            return widgets.IntSlider(
                value=lo, min=lo, max=hi, step=step, description=label,
                continuous_update=False, style=style,
            )
        step_f = float(spec[2]) if len(spec) == 3 else (float(hi) - float(lo)) / 100.0
        return widgets.FloatSlider(
            value=float(lo), min=float(lo), max=float(hi), step=step_f, description=label,
            continuous_update=False, style=style,
        )
    raise TypeError(
        f"参数 {name!r} 的控件说明 {spec!r} 无法识别：请给出一个 ipywidgets 控件、"
        "(最小值, 最大值[, 步长]) 元组、选项列表、True/False 或字符串。"
    )


def controls_for(**specs: Any) -> dict[str, widgets.Widget]:
    """Build one ipywidgets control per keyword, from a short spec.

    ``(lo, hi)`` / ``(lo, hi, step)`` → IntSlider or FloatSlider starting at ``lo``;
    a non-empty list → Dropdown starting at the first option; a bool → Checkbox;
    a str → Text; a widget → used as is. Sliders and text boxes report only when released
    (``continuous_update=False``) so each change costs one redraw.
    """
    return {name: _control_for(name, spec) for name, spec in specs.items()}


@dataclass
class InteractiveChart:
    """What :func:`interactive_chart` returns: the chart, its controls and the control box."""

    chart: LiveChart
    controls: dict[str, widgets.Widget]
    box: widgets.Box


def interactive_chart(
    draw: Callable[..., Any],
    *,
    figsize: tuple[float, float] = (8.0, 3.0),
    subplots: tuple[int, int] = (1, 1),
    display: DisplayFunction | None = None,
    **controls: Any,
) -> InteractiveChart:
    """Display controls and a :class:`LiveChart` that redraws whenever a control changes.

    Each keyword is a parameter of ``draw(ax, **params)``: a control spec as in
    :func:`controls_for`, or ``Fixed(value)`` for a constant.

        interactive_chart(draw_utilisation, n=(1, 10), p=(0.0, 1.0, 0.05), title=Fixed("1 - p^n"))
    """
    fixed = {name: spec.value for name, spec in controls.items() if isinstance(spec, Fixed)}
    built = controls_for(**{n: s for n, s in controls.items() if not isinstance(s, Fixed)})
    initial = {**fixed, **{name: w.value for name, w in built.items()}}
    chart = LiveChart(draw, figsize=figsize, subplots=subplots, display=display, **initial)

    def on_change(name: str) -> Callable[[Mapping[str, Any]], None]:
        def handler(change: Mapping[str, Any]) -> None:
            chart.redraw(**{name: change["new"]})

        return handler

    for name, control in built.items():
        control.observe(on_change(name), names="value")
    box = widgets.VBox(list(built.values()))
    show = display if display is not None else _ipython_display
    show(WidgetView(box, "[controls: " + ", ".join(built) + "]"))
    chart.show()
    return InteractiveChart(chart=chart, controls=built, box=box)


def check_number(
    expected: float | Callable[[], float], *, tolerance: float = 0.0
) -> Callable[[str], bool]:
    """A ``check`` for :class:`PredictThenReveal`: is the prediction this number (± tolerance)?

    ``expected`` may be a callable, evaluated at check time, so the answer can follow the
    current settings of a widget. A prediction that is not a number raises ValueError, which
    PredictThenReveal shows as a hint instead of revealing the answer.
    """

    def check(prediction: str) -> bool:
        text = prediction.strip().rstrip("%").replace("，", ".").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"请输入一个数字（例如 12 或 12.5），而不是 {prediction!r}。") from None
        target = expected() if callable(expected) else expected
        return abs(value - float(target)) <= tolerance + 1e-9

    return check


class PredictThenReveal:
    """Ask for a prediction, then say whether it was right and reveal the answer.

    ``check(prediction) -> bool`` judges the stripped text the student typed (raise ValueError
    for a prediction it cannot read: the message is shown and nothing is revealed).
    ``reveal() -> str`` returns the answer as plain text (shown in a monospaced block), computed
    only when it is revealed. ``on_reveal`` is called after each reveal (e.g. to redraw a chart
    with the solution). :meth:`reset` hides the answer again (call it when the settings change).
    """

    HINT_EMPTY = "请先在框里写下你的预测，再点“检查”。"
    RIGHT = "✔ 预测正确！"
    WRONG = "✘ 和实际结果不一样。对照下面的答案，找出你的推理在哪一步走岔了。"

    def __init__(
        self,
        question: str,
        check: Callable[[str], bool],
        reveal: Callable[[], str],
        *,
        placeholder: str = "你的预测",
        on_reveal: Callable[[], None] | None = None,
    ) -> None:
        self.check = check
        self.reveal = reveal
        self.on_reveal = on_reveal
        self.question = widgets.HTML(value=question)
        self.prediction = widgets.Text(value="", placeholder=placeholder)
        self.button = widgets.Button(description="检查", button_style="primary")
        self.feedback = widgets.HTML(value="")
        self.answer = widgets.HTML(value="", layout=widgets.Layout(display="none"))
        self.answer_text: str | None = None
        self.correct: bool | None = None
        self.button.on_click(lambda _button: self.submit())
        self.box = widgets.VBox(
            [self.question, widgets.HBox([self.prediction, self.button]), self.feedback, self.answer]
        )

    @property
    def revealed(self) -> bool:
        """True once the answer is shown."""
        return self.answer_text is not None

    def submit(self) -> None:
        """What the "检查" button does: judge the prediction, then reveal the answer."""
        text = self.prediction.value.strip()
        if not text:
            self.feedback.value = self.HINT_EMPTY
            return
        try:
            self.correct = bool(self.check(text))
        except ValueError as err:
            self.feedback.value = html.escape(str(err))
            return
        self.feedback.value = self.RIGHT if self.correct else self.WRONG
        self.answer_text = self.reveal()
        self.answer.value = f"<pre>{html.escape(self.answer_text)}</pre>"
        self.answer.layout.display = None
        if self.on_reveal is not None:
            self.on_reveal()

    def reset(self) -> None:
        """Hide the answer and clear the prediction and the feedback."""
        self.prediction.value = ""
        self.feedback.value = ""
        self.answer.value = ""
        self.answer.layout.display = "none"
        self.answer_text = None
        self.correct = None

    def show(self, display: DisplayFunction | None = None) -> None:
        """Display the question, the input, the button and the (hidden) answer."""
        (display if display is not None else _ipython_display)(self.view())

    def view(self) -> WidgetView:
        """The box with a short plain-text form: the question, without HTML tags."""
        question = re.sub(r"<[^>]+>", "", self.question.value)
        return WidgetView(self.box, f"[predict, then check] {html.unescape(question)}")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.view()._repr_mimebundle_(**kwargs)


@dataclass
class _RecordedHandle:
    recorder: RecordingDisplay
    index: int

    def update(self, obj: Any, **kwargs: Any) -> None:
        self.recorder.updates.append((self.index, obj))
        self.recorder.log.append(obj)


class SimulatorView(ABC):
    """A simulator widget: controls (``box``, with a one-line text form for static exports), a
    :class:`LiveChart` (``chart``) and a :class:`PredictThenReveal` (``predict``), shown in
    that order. Subclasses build the three and say what the controls are set to."""

    box: widgets.Box
    chart: LiveChart
    predict: PredictThenReveal

    @abstractmethod
    def _controls_text(self) -> str:
        """What the controls are set to, in one line (a view without it cannot be made)."""

    def show(self, display: DisplayFunction | None = None) -> None:
        """Display the controls, the chart and the prediction box."""
        show(WidgetView(self.box, self._controls_text()), display)
        self.chart.show()
        show(self.predict.view(), display)


@dataclass
class RecordingDisplay:
    """A fake ``display`` that records what would have been shown (for tests, headless code).

    ``shown`` lists every displayed object in order; ``updates`` lists ``(index into shown,
    new object)`` for every handle update; ``log`` has both in the order they happened;
    :meth:`current` is what an output shows now.
    """

    shown: list[Any] = field(default_factory=list)
    updates: list[tuple[int, Any]] = field(default_factory=list)
    log: list[Any] = field(default_factory=list)

    def __call__(self, obj: Any, *, display_id: bool | str | None = None) -> _RecordedHandle | None:
        self.shown.append(obj)
        self.log.append(obj)
        return _RecordedHandle(self, len(self.shown) - 1) if display_id else None

    def current(self, index: int) -> Any:
        """The object output ``index`` shows now (after all updates)."""
        latest = self.shown[index]
        for i, obj in self.updates:
            if i == index:
                latest = obj
        return latest

    def images(self) -> list[bytes]:
        """PNG bytes of every image shown or updated, in the order they appeared."""
        return [obj.data for obj in self.log if isinstance(obj, Image)]
