"""How fast does ``course.py autograde`` grade a class, against plain sequential nbgrader?

    .venv/bin/python benchmarks/bench_grading.py            # 20 ch04 submissions
    .venv/bin/python benchmarks/bench_grading.py --count 40 --assignment ch05

The submissions are the sample submissions of the assignment (reference, blank and the typical
mistakes in tests/submissions/chNN/), repeated to ``--count``. In the same run, each in a fresh
temporary course with the same submissions:

* baseline: ``nbgrader autograde chNN`` (one process, one student after the other, the grader's
  default start method);
* the command as a TA runs it (program tasks under forkserver, plus the start methods that
  single tests name), in the sandbox, as parallel jobs;
* the command with ``--start-methods all`` (program tasks under fork, spawn and forkserver);
* the command as a TA runs it on a whole class (``--class-sample``, default 200 students): with
  20 submissions the command's fixed cost (~5 s: start-up, the course-run warm-up, the
  histogram) and the last slow submission (a program stopped after its 10 s timeout) weigh on
  every submission; a class spreads them as a real one does. The projection comes from this
  run: its wall time x 7 assignments (seconds per submission x 1400).

Targets (issue 11): >= 2x faster than the baseline on 2 cores, and a projected <= 20 min for
200 students x 7 assignments (the same projection for the 20-submission runs is printed too).
The machine's speed varies from day to day (the same baseline has measured 4.7-5.9 s per
submission), so compare the ratios, and read the minutes with the baseline of the same run.
"""
from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from course_tools import course_with_submissions, nbgrader_tagged, sample_submissions  # noqa: E402

CLASS = 200 * 7


def make_course(tmp: Path, assignment: str, count: int) -> Path:
    samples = sample_submissions(assignment)
    chosen = []
    for i in range(count):
        sample = samples[i % len(samples)]
        copy = type(sample)(sample.assignment, f"s{i:03d}_{sample.case}", sample.expected, sample.about,
                            dict(sample.answers))
        chosen.append(copy)
    return course_with_submissions(tmp, assignment, chosen)


def scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}


class CpuMeter:
    """CPU seconds of this process and everything it starts: a cgroup v1 ``cpuacct`` group when
    one can be made (counts sandboxed and killed processes too), else the reaped children's
    rusage (misses processes killed before their parent reaped them)."""

    ROOT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self) -> None:
        self.group: Path | None = None
        try:
            group = self.ROOT / f"bench-grading-{os.getpid()}"
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
            self.group = group
        except OSError:
            self.group = None
        self.how = "cgroup cpuacct" if self.group else "rusage of reaped children (a lower bound)"

    def seconds(self) -> float:
        if self.group is not None:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def close(self) -> None:
        if self.group is not None:
            try:
                (self.ROOT / "cgroup.procs").write_text(str(os.getpid()))
                self.group.rmdir()
            except OSError:
                pass


METER: CpuMeter | None = None


def children_cpu() -> float:
    return METER.seconds() if METER else 0.0


CPU: list[float] = []   # CPU seconds of each run (this process's children)


def run_baseline(course: Path, assignment: str) -> float:
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    done, _ = nbgrader_tagged(["autograde", assignment, "--force"], cwd=course, timeout=3600)
    seconds = time.perf_counter() - t0
    CPU.append(children_cpu() - cpu0)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed:\n{done.stderr[-2000:]}")
    return seconds


def run_command(course: Path, assignment: str, *extra: str) -> float:
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "helpers.grading.autograde", assignment, "--quiet",
                           "--course", str(course), *extra], cwd=course, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=3600)
    seconds = time.perf_counter() - t0
    CPU.append(children_cpu() - cpu0)
    if done.returncode != 0:
        raise SystemExit(f"course.py autograde failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="ch04")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--class-sample", type=int, default=200, help="students of the projection run")
    args = parser.parse_args()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    global METER
    # SIGTERM (e.g. from timeout) unwinds like Ctrl+C: the baseline's tagged nbgrader processes are
    # killed (course_tools.nbgrader_tagged), the command's subprocess too, and the cgroup is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    METER = CpuMeter()
    try:
        measure(args, jobs)
    finally:
        METER.close()


def measure(args: argparse.Namespace, jobs: list[str]) -> None:
    print(f"{args.count} {args.assignment} submissions (samples repeated), {os.cpu_count()} cores")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base_course = make_course(Path(tmp) / "baseline", args.assignment, args.count)
        baseline = run_baseline(base_course, args.assignment)
        expected = scores(base_course, args.assignment)
        rows.append(("nbgrader autograde (sequential, one start method)", baseline))
        default_course = make_course(Path(tmp) / "default", args.assignment, args.count)
        default = run_command(default_course, args.assignment, *jobs)
        rows.append(("course.py autograde (default: forkserver)", default))
        same = scores(default_course, args.assignment) == expected
        all_course = make_course(Path(tmp) / "all", args.assignment, args.count)
        every = run_command(all_course, args.assignment, "--start-methods", "all", *jobs)
        rows.append(("course.py autograde --start-methods all", every))
        class_course = make_course(Path(tmp) / "class", args.assignment, args.class_sample)
        sample = run_command(class_course, args.assignment, *jobs)
    cores = os.cpu_count() or 1
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine slows every run)")
    print(f"{'run':<52}{'total s':>9}{'s/submission':>14}{'vs baseline':>13}{'200x7 projected':>17}"
          f"{'CPU s/subm.':>13}")
    for (name, seconds), cpu in zip(rows, CPU[:len(rows)]):
        per = seconds / args.count
        print(f"{name:<52}{seconds:>9.1f}{per:>14.2f}{baseline / seconds:>12.2f}x{per * CLASS / 60:>13.1f} min"
              f"{cpu / args.count:>13.2f}")
    print(f"CPU measured with {METER.how}; CPU-bound floor on {cores} idle cores = 200x7 x CPU s/submission / "
          f"{cores}: command {CPU[1] / args.count * CLASS / cores / 60:.1f} min, "
          f"all start methods {CPU[2] / args.count * CLASS / cores / 60:.1f} min, "
          f"baseline {CPU[0] / args.count * CLASS / cores / 60:.1f} min")
    per = sample / args.class_sample
    print(f"class sample: {args.class_sample} submissions in {sample:.1f} s = {per:.2f} s per submission, "
          f"CPU {CPU[-1] / args.class_sample:.2f} s; projected for 200 x 7: {per * CLASS / 60:.1f} min")
    print(f"same points as the baseline: {'yes' if same else 'NO'}")
    print("targets: >= 2x the baseline; <= 20 min projected for 200 students x 7 assignments")


if __name__ == "__main__":
    main()
