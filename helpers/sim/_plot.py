"""What the simulators' charts share: a new Axes when none is given, the lane style of a
Gantt chart. (Their widgets share ``helpers.widgets.SimulatorView`` and ``show``.)

The chart rule (every chart of the course): draw with the Figure API, never pyplot, so no
figure lingers in pyplot's registry or is shown twice; draw on the ``ax`` given, else on a new
``Figure``; return the Figure. A notebook shows a returned Figure as a PNG (``import helpers``
registers the formatter, see ``helpers.magics.register``)."""
from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

LANE_HEIGHT = 0.7


def new_ax(ax: Axes | None, figsize: tuple[float, float], **figure_kw: Any) -> Axes:
    """``ax`` itself, or the Axes of a new ``Figure`` of ``figsize`` inches (no pyplot)."""
    if ax is not None:
        return ax
    return Figure(figsize=figsize, **figure_kw).subplots()


def lane_style(ax: Axes) -> None:
    """Gantt lanes: no frame on the top, right and left, no y tick marks."""
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.tick_params(axis="y", length=0)

