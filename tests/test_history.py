"""helpers.osview.history: the OS timeline data and its chart."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from helpers.osview.history import (
    EVENTS,
    GENERATIONS,
    LINUX_SOURCE_LINES,
    UNIX_LINEAGE,
    HistoryError,
    Kind,
    events,
    format_timeline,
    milestone,
    plot_os_timeline,
)


def test_unix_lineage_years_are_the_checked_ones() -> None:
    years = {name: milestone(name).year for name in UNIX_LINEAGE}
    # POSIX (1988) is a standard that came a year after MINIX (1987): the lineage is one of
    # ideas, not strictly of dates.
    assert years == {"CTSS": 1961, "MULTICS": 1964, "UNIX": 1969, "POSIX": 1988, "MINIX": 1987,
                     "Linux": 1991}


def test_lineage_names_all_exist_and_posix_is_a_standard() -> None:
    for name in UNIX_LINEAGE:
        assert milestone(name).name == name
    assert milestone("posix").kind is Kind.STANDARD
    assert milestone("IBM 7094").kind is Kind.MACHINE


def test_seed_mistakes_are_not_in_the_data() -> None:
    names = {e.name for e in EVENTS}
    assert "CTTS" not in names and "CTSS" in names
    notes = " ".join(e.note for e in EVENTS)
    assert "Mauchley" not in notes and "Mauchly" in notes
    assert "709" in milestone("CTSS").note  # first shown on a 709, not on a 7094


def test_generations_are_contiguous_up_to_the_fourth() -> None:
    first_four = GENERATIONS[:4]
    assert [g.number for g in GENERATIONS] == [1, 2, 3, 4, 5]
    for before, after in zip(first_four, first_four[1:]):
        assert before.end == after.start
    assert GENERATIONS[0].start == 1945 and GENERATIONS[3].end is None
    assert GENERATIONS[2].label == "3. integrated circuits (1965–1980)"


def test_events_sorted_and_filtered_by_kind() -> None:
    every = events()
    assert [e.year for e in every] == sorted(e.year for e in every)
    assert len(every) == len(EVENTS)
    machines = events(Kind.MACHINE)
    assert machines and all(e.kind is Kind.MACHINE for e in machines)


def test_unknown_name_and_bad_kind_raise_lookup_errors() -> None:
    with pytest.raises(LookupError, match="CTTS"):
        milestone("CTTS")
    with pytest.raises(HistoryError):
        events("os")  # type: ignore[arg-type]


def test_format_timeline_has_one_row_per_event() -> None:
    text = format_timeline()
    lines = text.splitlines()
    assert lines[0].startswith("year")
    assert len(lines) == len(EVENTS) + 1
    assert any(line.startswith("1991  Linux") for line in lines)
    assert len(format_timeline(Kind.STANDARD).splitlines()) == 2


def test_linux_source_size_is_year_qualified_and_grew() -> None:
    sizes = list(LINUX_SOURCE_LINES.values())
    assert sizes == sorted(sizes)
    assert all("(" in key and ")" in key for key in LINUX_SOURCE_LINES)
    assert sizes[-1] > 40_000_000


def test_plot_returns_figure_with_every_label() -> None:
    fig = plot_os_timeline()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    for e in EVENTS:
        assert f"{e.name}\n{e.year}" in texts
    assert ax.get_xlabel() == "year"
    fig.canvas.draw()  # renders without errors


def test_plot_draws_on_a_given_ax() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_os_timeline(ax=ax) is fig
    assert len(fig.axes) == 1


@pytest.fixture(autouse=True)
def _close_figures() -> object:
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
