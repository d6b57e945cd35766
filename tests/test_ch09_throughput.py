"""helpers.throughput: measurement lines -> rows, rates printed in sanitizable form, speed-up, chart.

The parsing and formatting are checked on hand-written lines; one real measuring program (a
consumer pool over a queue, timed inside the program) runs under every start method and its
lines are read back. No timing assertion: only that every measurement came back, positive.
"""
from __future__ import annotations

import configparser
import re
import textwrap
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from helpers.run.launcher import run_script
from helpers.throughput import (Measurement, MeasurementError, format_rates, measurements,
                                plot_throughput, speedup)

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

LINES = ["io consumers=1 items=16 time=0.640", "io consumers=8 items=16 time=0.080",
         "something else", "cpu consumers=1 items=16 time=0.640", "cpu consumers=8 items=16 time=0.320"]


def test_measurements_reads_only_the_measurement_lines() -> None:
    rows = measurements(LINES)
    assert rows[0] == Measurement("io", 1, 16, 0.64)
    assert [m.rate for m in rows] == [25.0, 200.0, 25.0, 50.0]
    with pytest.raises(MeasurementError):
        measurements(["no numbers here"])


def test_speedup_divides_rates_and_names_a_missing_measurement() -> None:
    rows = measurements(LINES)
    assert speedup(rows, "io", 8) == pytest.approx(8.0)
    assert speedup(rows, "cpu", 8) == pytest.approx(2.0)
    with pytest.raises(MeasurementError, match="4 consumers"):
        speedup(rows, "io", 4)


def test_format_rates_prints_numbers_that_sanitize_cfg_rewrites() -> None:
    text = format_rates(measurements(LINES))
    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).with_name("sanitize.cfg"), encoding="utf-8")
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    assert text.splitlines()[:2] == ["io   1 consumer   <T> s  <RATE> items/s",
                                     "io   8 consumers  <T> s  <RATE> items/s"]
    assert not re.search(r"\d", text.replace("1 consumer", "").replace("8 consumers", ""))


def test_plot_throughput_draws_one_line_per_kind_and_the_cores() -> None:
    fig = plot_throughput(measurements(LINES), cores=2)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["I/O-bound items", "CPU-bound items", "CPU cores (2)"]
    assert list(ax.get_lines()[0].get_ydata()) == [25.0, 200.0]


PROGRAM = """
import time
from multiprocessing import Process, Queue


def consumer(q):
    while q.get() is not None:
        time.sleep(0.01)


if __name__ == "__main__":
    for n in (1, 2):
        q = Queue()
        workers = [Process(target=consumer, args=(q,)) for _ in range(n)]
        for w in workers:
            w.start()
        t0 = time.perf_counter()
        for _ in range(4):
            q.put("io")
        for _ in workers:
            q.put(None)
        for w in workers:
            w.join()
        print(f"io consumers={n} items=4 time={time.perf_counter() - t0:.3f}")
"""


def test_measurements_from_a_real_run(tmp_path: Path, start_method: str) -> None:
    path = tmp_path / "measure.py"
    path.write_text(textwrap.dedent(PROGRAM), encoding="utf-8")
    run = run_script(path, start_method=start_method, trace=False, echo=False, timeout=30, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = measurements(run)
    assert [(m.kind, m.consumers, m.items) for m in rows] == [("io", 1, 4), ("io", 2, 4)]
    assert all(m.seconds > 0 for m in rows)
