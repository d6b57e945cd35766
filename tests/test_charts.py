"""helpers.trace.charts: figures render with Agg and carry the expected lanes, labels and bars."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from helpers.trace.charts import compare_runs, plot_timeline
from helpers.events import EventKind
from helpers.run.launcher import RunResult
from helpers.trace.model import Event, Trace

K = EventKind


def ev(t: float, pid: int, name: str, kind: EventKind, obj: str = "", detail: str = "") -> Event:
    return Event(t, pid, name, kind, obj, detail)


@pytest.fixture
def trace() -> Trace:
    return Trace([
        ev(0.0, 1, "MainProcess", K.BOOT, "main"),
        ev(0.1, 1, "MainProcess", K.START_BEGIN, "Process-1"),
        ev(0.2, 1, "MainProcess", K.START_END, "Process-1", "pid=2 daemon=1"),
        ev(0.15, 2, "Process-1", K.BOOT, "fork"),
        ev(0.25, 2, "Process-1", K.PROC_BEGIN, "Process-1", "parent=1 daemon=1"),
        ev(0.3, 2, "Process-1", K.LOCK_ACQUIRE, "L", "type=Lock ok=1 waited=0"),
        ev(0.3, 2, "Process-1", K.PUT, "Q", "ok=1 waited=0"),
        ev(0.4, 2, "Process-1", K.LOCK_RELEASE, "L", "type=Lock"),
        ev(0.5, 1, "MainProcess", K.GET, "Q", "ok=1 waited=0"),
        ev(0.5, 1, "MainProcess", K.SLEEP_BEGIN, "", "s=0.3"),
        ev(0.8, 1, "MainProcess", K.SLEEP_END),
        ev(0.8, 1, "MainProcess", K.TERMINATE, "2"),
        ev(0.8, 1, "MainProcess", K.JOIN_BEGIN, "2"),
        ev(0.85, 1, "MainProcess", K.JOIN_END, "2", "code=-15"),
        ev(0.9, 1, "MainProcess", K.EXIT, "", "code=0"),
    ])


def run_of(trace: Trace | None, duration: float) -> RunResult:
    """A RunResult as the launcher returns it, holding ``trace``."""
    return RunResult(args=["python", "-u", "demo.py"], returncode=0, duration=duration, trace=trace)


def _legend_texts(ax: matplotlib.axes.Axes) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_timeline_has_one_lane_per_process_and_a_queue_axes(trace: Trace) -> None:
    fig = plot_timeline(trace, title="demo")
    assert isinstance(fig, Figure)
    ax, qax = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["MainProcess (pid 1)",
                                                            "Process-1 (pid 2)"]
    assert ax.get_title(loc="left") == "demo"
    legend = _legend_texts(ax)
    for label in ("running", "booting", "starting child", "sleeping", "waiting (join)",
                  "holding Lock 1", "process start", "process exit", "join returned",
                  "terminate / kill"):
        assert label in legend
    assert "waiting (lock)" not in legend  # only states that occur
    texts = [t.get_text() for t in ax.texts]
    assert "exit -15" in texts and "exit 0" in texts
    assert qax.get_xlabel() == "time (s)" and qax.get_ylabel() == "items in queue"
    assert _legend_texts(qax) == ["Queue 1"]
    (line,) = qax.get_lines()
    assert max(line.get_ydata()) == 1
    fig.canvas.draw()  # renders with the default (Agg) canvas


def test_timeline_accepts_a_run_result_and_draws_on_a_given_ax(trace: Trace) -> None:
    outer = Figure(figsize=(8, 4))
    ax = outer.add_subplot()
    fig = plot_timeline(run_of(trace, 0.9), ax=ax)
    assert fig is outer
    assert len(ax.get_yticklabels()) == 2
    assert any(a.get_ylabel() == "items in queue" for a in fig.axes)
    fig.canvas.draw()


def test_timeline_without_queue_has_a_single_axes() -> None:
    t = Trace([ev(0.0, 1, "MainProcess", K.BOOT, "main"),
               ev(0.1, 1, "MainProcess", K.SLEEP_BEGIN, "", "s=1"),
               ev(1.1, 1, "MainProcess", K.SLEEP_END)])
    fig = plot_timeline(t)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_xlabel() == "time (s)"
    assert fig.axes[0].get_title(loc="left") == "Process timeline"


def test_timeline_title_mentions_dropped_events() -> None:
    t = Trace([ev(0.0, 1, "MainProcess", K.BOOT, "main"),
               ev(0.1, 1, "MainProcess", K.DROPPED, "", "n=3000")])
    assert "3000 events not recorded" in plot_timeline(t).axes[0].get_title(loc="left")


def test_timeline_rejects_a_result_without_trace() -> None:
    with pytest.raises(TypeError, match="trace=True"):
        plot_timeline(run_of(None, 1.0))


def test_compare_runs_writes_values_on_bars(trace: Trace) -> None:
    fig = compare_runs({"serial": 2.0, "concurrent": run_of(trace, 1.05), "trace": trace})
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["serial", "concurrent", "trace"]
    assert [round(p.get_height(), 2) for p in ax.patches] == [2.0, 1.05, 0.9]
    assert [t.get_text() for t in ax.texts] == ["2.00 s", "1.05 s", "0.90 s"]
    assert ax.get_ylabel() == "total time (s)"
    fig.canvas.draw()


def test_compare_runs_rejects_bad_values() -> None:
    with pytest.raises(TypeError):
        compare_runs({"x": "slow"})
    with pytest.raises(ValueError):
        compare_runs({})


def test_charts_leave_pyplot_alone(trace: Trace, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_timeline(trace).savefig(tmp_path / "t.png")
    compare_runs({"a": 1.0}).savefig(tmp_path / "c.png")
    assert plt.get_fignums() == before
    assert (tmp_path / "t.png").stat().st_size > 1000
