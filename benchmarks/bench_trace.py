"""Cost of tracing: the same Lock, Queue and Pipe workload untraced vs traced, in fresh processes.

    .venv/bin/python benchmarks/bench_trace.py [--ops 50000]

Each variant runs in its own interpreter (tracing patches the process it is installed in).
The traced run raises COURSE_TRACE_MAX_EVENTS above the number of events so that every event
is really written; a third run keeps the default bound to show the cost once events are only
counted. Prints the per-event cost in µs and the traced/untraced ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPS = 7  # each workload runs this many times in a row; the best time counts

WORKLOAD = r"""
import json, multiprocessing as mp, sys, time
ops, reps = int(sys.argv[1]), int(sys.argv[2])
if __name__ == "__main__":
    import helpers.trace.recorder as recorder
    recorder.install_from_env()
    lock, q = mp.Lock(), mp.Queue()
    reader, writer = mp.Pipe(duplex=False)
    best_lock = best_queue = best_pipe = float("inf")
    for _ in range(reps):  # best of several: the queue's feeder thread makes single runs noisy
        t0 = time.perf_counter()
        for _ in range(ops):
            lock.acquire()
            lock.release()
        best_lock = min(best_lock, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(0, ops, 100):   # batches: measure put/get, not the feeder hand-off
            for j in range(100):
                q.put(j)
            for j in range(100):
                q.get()
        best_queue = min(best_queue, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(0, ops, 100):   # batches of 100 small messages fit in the pipe's buffer
            for j in range(100):
                writer.send(j)
            for j in range(100):
                reader.recv()
        best_pipe = min(best_pipe, time.perf_counter() - t0)
    print(json.dumps({"lock": best_lock, "queue": best_queue, "pipe": best_pipe,
                      "traced": recorder.is_active()}))
"""


def run(ops: int, trace_dir: str | None, max_events: int | None) -> dict[str, float]:
    """Run the workload in a fresh interpreter; return its best timings in seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    env["PYTHONPATH"] = str(REPO)
    if trace_dir is not None:
        env["COURSE_TRACE_DIR"] = trace_dir
    if max_events is not None:
        env["COURSE_TRACE_MAX_EVENTS"] = str(max_events)
    out = subprocess.run([sys.executable, "-c", WORKLOAD, str(ops), str(REPS)], env=env, check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=50_000)
    ops = parser.parse_args().ops
    events = 2 * ops  # acquire + release, or put + get, per operation
    with tempfile.TemporaryDirectory() as d1, tempfile.TemporaryDirectory() as d2:
        base = run(ops, None, None)
        full = run(ops, d1, 3 * REPS * events + 100)  # room for every event of the workloads
        capped = run(ops, d2, None)
        written = sum(1 for f in Path(d1).glob("events-*.log") for _ in open(f, "rb"))
    assert not base["traced"] and full["traced"] and capped["traced"]
    if written < 3 * REPS * events:  # the "traced" column must not include dropped events
        raise SystemExit(f"only {written} of {3 * REPS * events} events were written: raise the bound")
    print(f"{ops} operations each = {events} events per workload; {written} lines written")
    print(f"{'workload':<8} {'untraced':>10} {'traced':>10} {'per event':>11} {'ratio':>6}"
          f" {'capped/event':>13}")
    for key in ("lock", "queue", "pipe"):
        per_event = (full[key] - base[key]) / events * 1e6
        capped_event = (capped[key] - base[key]) / events * 1e6
        print(f"{key:<8} {base[key]:>8.3f} s {full[key]:>8.3f} s {per_event:>8.2f} µs "
              f"{full[key] / base[key]:>5.1f}x {capped_event:>10.2f} µs")


if __name__ == "__main__":
    main()
