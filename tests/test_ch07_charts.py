"""Chapter 07's Amdahl chart: compare_runs with the formula's line beside the measured bars, and
bar colours that never pair two runs by repeating."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers.trace.charts import compare_runs  # noqa: E402

SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
MEASURED = {f"{p:.0%} in the lock": 0.12 + (1 - p) * 0.3 + 4 * p * 0.3 for p in SHARES}
FORMULA = {f"{p:.0%} in the lock": (1 - p) * 0.3 + 4 * p * 0.3 for p in SHARES}


def bar_colours(fig: Figure) -> list[str]:
    (ax,) = fig.axes
    return [to_hex(bar.get_facecolor()) for bar in ax.patches]


def test_the_formula_is_drawn_beside_the_measured_bars() -> None:
    fig = compare_runs(MEASURED, expected=FORMULA, title="Amdahl")
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4]
    assert [round(y, 3) for y in line.get_ydata()] == [0.3, 0.525, 0.75, 0.975, 1.2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["formula", "measured"]
    assert ax.get_ylim()[1] >= max(MEASURED.values())
    fig.canvas.draw()


def test_expected_draws_on_the_given_axes() -> None:
    host = Figure()
    ax = host.add_subplot()
    assert compare_runs({"a": 0.4, "b": 0.6}, ax=ax, expected={"b": 0.5}, expected_label="T(p)") is host
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [1] and line.get_label() == "T(p)"


def test_five_bars_share_one_colour_four_get_four() -> None:
    assert len(set(bar_colours(compare_runs(MEASURED)))) == 1
    four = dict(list(MEASURED.items())[:4])
    assert len(set(bar_colours(compare_runs(four)))) == 4


def test_expected_for_an_unknown_run_is_rejected() -> None:
    with pytest.raises(ValueError, match="不是 runs 里的运行名称"):
        compare_runs({"a": 1.0}, expected={"b": 1.0})


def test_no_legend_without_expected() -> None:
    (ax,) = compare_runs({"a": 1.0, "b": 2.0}).axes
    assert ax.get_legend() is None and ax.get_lines() == []
