"""How much does run_script cost over a plain subprocess.run of the same trivial script?

    .venv/bin/python benchmarks/bench_launch.py            # 20 runs each, prints medians and ratio
    .venv/bin/python benchmarks/bench_launch.py --runs 40 --importtime

Both are measured in the same process, interleaved (plain, launcher, plain, ...) so that load
from other work on the machine hits both alike. Target: ratio <= 1.2.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from helpers.run.launcher import _BOOT_DIR, run_script  # noqa: E402

TRIVIAL = "print('hello')\n"


def time_plain(script: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(script)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def time_launcher(script: Path) -> float:
    t0 = time.perf_counter()
    result = run_script(script, trace=True, echo=False, timeout=30)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0 or result.lines() != ["hello"]:
        raise RuntimeError(f"launcher run failed: {result.summary()} {result.stderr}")
    return elapsed


def bootstrap_importtime(script: Path) -> str:
    """The top-level imports the bootstrap adds (python -X importtime, cumulative µs)."""
    import os

    env = dict(os.environ, PYTHONPATH=f"{_BOOT_DIR}{os.pathsep}{REPO}",
               COURSE_RUN_ID="bench", COURSE_START_METHOD="fork",
               COURSE_TRACE_DIR=tempfile.mkdtemp(prefix="course-bench-"))
    proc = subprocess.run([sys.executable, "-X", "importtime", str(script)], env=env,
                          capture_output=True, text=True, check=True)
    rows = [line for line in proc.stderr.splitlines()
            if any(name in line for name in ("sitecustomize", "helpers.", "typing", "threading"))]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--importtime", action="store_true",
                        help="also show what the bootstrap imports and how long it takes")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="course-bench-") as folder:
        script = Path(folder) / "trivial.py"
        script.write_text(TRIVIAL)
        time_plain(script)  # warm the file cache and the bytecode caches
        time_launcher(script)
        plain, launched = [], []
        for _ in range(options.runs):
            plain.append(time_plain(script))
            launched.append(time_launcher(script))
        p, l = statistics.median(plain), statistics.median(launched)
        print(f"subprocess.run : median {p * 1000:.1f} ms over {options.runs} runs")
        print(f"run_script     : median {l * 1000:.1f} ms over {options.runs} runs "
              f"(trace on, echo off)")
        print(f"ratio          : {l / p:.2f}x (target <= 1.20x)")
        if options.importtime:
            print(bootstrap_importtime(script))


if __name__ == "__main__":
    main()
