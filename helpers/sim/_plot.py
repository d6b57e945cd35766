"""What the simulators' charts and widgets share: a new Axes when none is given, the lane
style of a Gantt chart, and showing a widget (the given display function, else IPython's)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

if TYPE_CHECKING:  # the charts must not import ipywidgets
    from helpers.widgets import DisplayFunction

LANE_HEIGHT = 0.7


def new_ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    _fig, new = plt.subplots(figsize=figsize)
    return new


def lane_style(ax: Axes) -> None:
    """Gantt lanes: no frame on the top, right and left, no y tick marks."""
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    ax.tick_params(axis="y", length=0)


def show(display: DisplayFunction | None, obj: Any) -> None:
    """Display ``obj`` with ``display`` (tests pass a recorder), else IPython's display."""
    if display is not None:
        display(obj)
        return
    from IPython.display import display as ipython_display

    ipython_display(obj)
