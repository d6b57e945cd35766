"""CPU scheduler simulator, compatible with OSTEP's ``scheduler.py`` (FIFO, SJF, RR).

All jobs arrive at time 0 and only use the CPU. A policy orders the work::

    FIFO  jobs in the order given, each to completion
    SJF   shortest job first (ties keep the given order), each to completion
    RR    a queue: the head runs for one quantum; a job with time left goes to the back

Per job: response = first time it runs, turnaround = completion time, wait = time spent
READY (turnaround − length). Data first, then text and pictures::

    trace = schedule([5, 3, 8], "RR", quantum=2)    # -> ScheduleTrace (slices: job, start, end)
    print(format_trace(trace)); print(format_stats(trace))
    job_stats(trace).average_turnaround
    helpers.sim.scheduler_chart.plot_schedule(trace)

Command line (predict first, then check with ``-c``)::

    python -m helpers.sim.scheduler -p SJF -l 300,100,200
    python -m helpers.sim.scheduler -p RR -l 5,3,8 -q 2 -c
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from helpers.sim._cli import print_answer, simulator_parser

__all__ = [
    "Job",
    "JobStats",
    "Policy",
    "ScheduleError",
    "ScheduleStats",
    "ScheduleTrace",
    "Slice",
    "format_job_list",
    "format_stats",
    "format_trace",
    "job_stats",
    "main",
    "parse_lengths",
    "random_lengths",
    "schedule",
]

_PREDICT_TEXT = (
    "预测：每个作业（job）的响应时间（response）、周转时间（turnaround）和等待时间（wait）各是多少？\n"
    "想好以后，用同样的参数加上 -c 再运行一次，对照答案；换 -s 或 -l 可以出新题。"
)


class ScheduleError(ValueError):
    """Job lengths, a policy or a quantum that cannot be used."""


class Policy(Enum):
    """Scheduling policies (OSTEP ``-p``)."""

    FIFO = "FIFO"
    SJF = "SJF"
    RR = "RR"


@dataclass(frozen=True)
class Job:
    """A job: its number and how long it needs the CPU."""

    id: int
    length: float


@dataclass(frozen=True)
class Slice:
    """The CPU runs ``job`` from ``start`` to ``end``; ``done`` when the job finishes then."""

    job: int
    start: float
    end: float
    done: bool

    @property
    def duration(self) -> float:
        """How long this slice runs."""
        return self.end - self.start


@dataclass(frozen=True)
class ScheduleTrace:
    """A whole schedule: the jobs, the policy, the quantum and the slices in time order."""

    jobs: tuple[Job, ...]
    policy: Policy
    quantum: float
    slices: tuple[Slice, ...]

    @property
    def total_time(self) -> float:
        """When the last job finishes."""
        return self.slices[-1].end if self.slices else 0.0


@dataclass(frozen=True)
class JobStats:
    """Response, turnaround and wait time of one job (all jobs arrive at 0)."""

    job: int
    response: float
    turnaround: float
    wait: float


@dataclass(frozen=True)
class ScheduleStats:
    """Per-job statistics (in OSTEP's report order) and their averages."""

    jobs: tuple[JobStats, ...]

    def _mean(self, attr: str) -> float:
        return sum(getattr(j, attr) for j in self.jobs) / len(self.jobs)

    @property
    def average_response(self) -> float:
        """Mean response time."""
        return self._mean("response")

    @property
    def average_turnaround(self) -> float:
        """Mean turnaround time."""
        return self._mean("turnaround")

    @property
    def average_wait(self) -> float:
        """Mean wait time."""
        return self._mean("wait")

    def of(self, job: int) -> JobStats:
        """The statistics of job number ``job``."""
        return next(j for j in self.jobs if j.job == job)


def parse_lengths(text: str) -> list[float]:
    """Parse ``-l``: comma-separated run times, e.g. ``"100,200,300"``."""
    try:
        lengths = [float(part) for part in text.split(",")]
    except ValueError:
        raise ScheduleError(
            f"作业长度列表 {text!r} 无法识别：请用逗号分隔的正数，例如 -l 10,15,20。"
        ) from None
    return lengths


def random_lengths(jobs: int = 3, maxlen: int = 10, seed: int = 0) -> list[int]:
    """Draw job lengths as OSTEP does: ``int(maxlen * random.random()) + 1`` per job."""
    if jobs < 1 or maxlen < 1:
        raise ScheduleError(f"作业数 (-j) 和最大长度 (-m) 都至少为 1，而不是 {jobs} 和 {maxlen}。")
    rng = random.Random()
    rng.seed(seed, version=1)
    return [int(maxlen * rng.random()) + 1 for _ in range(jobs)]


def schedule(
    lengths: Sequence[float], policy: Policy | str = Policy.FIFO, quantum: float = 1
) -> ScheduleTrace:
    """Schedule jobs of the given lengths (all arriving at 0) and return the slices."""
    try:
        pol = policy if isinstance(policy, Policy) else Policy(policy)
    except ValueError:
        raise ScheduleError(f"调度策略 {policy!r} 无效：应为 FIFO、SJF 或 RR。") from None
    if not lengths:
        raise ScheduleError("至少需要一个作业（job）。")
    if any(isinstance(x, bool) or not isinstance(x, (int, float)) or x <= 0 for x in lengths):
        raise ScheduleError(f"作业长度必须都是正数，而不是 {list(lengths)!r}。")
    if isinstance(quantum, bool) or not isinstance(quantum, (int, float)) or quantum <= 0:
        raise ScheduleError(f"时间片（quantum）必须是正数，而不是 {quantum!r}。")
    jobs = tuple(Job(i, x) for i, x in enumerate(lengths))
    slices: list[Slice] = []
    now: float = 0
    if pol is Policy.RR:
        queue = deque((job.id, float(job.length)) for job in jobs)
        while queue:
            job_id, left = queue.popleft()
            ran = min(left, quantum)
            done = left <= quantum
            slices.append(Slice(job_id, now, now + ran, done))
            now += ran
            if not done:
                queue.append((job_id, left - ran))
    else:
        order = sorted(jobs, key=lambda j: j.length) if pol is Policy.SJF else list(jobs)
        for job in order:  # sorted() is stable: equal lengths keep their job order
            slices.append(Slice(job.id, now, now + job.length, True))
            now += job.length
    return ScheduleTrace(jobs, pol, quantum, tuple(slices))


def job_stats(trace: ScheduleTrace) -> ScheduleStats:
    """Response, turnaround and wait per job, and averages.

    The order follows OSTEP's report: the order in which FIFO/SJF ran the jobs, job number
    order for RR.
    """
    first: dict[int, float] = {}
    end: dict[int, float] = {}
    for piece in trace.slices:
        first.setdefault(piece.job, piece.start)
        if piece.done:
            end[piece.job] = piece.end
    if trace.policy is Policy.RR:
        order = [job.id for job in trace.jobs]
    else:
        order = [piece.job for piece in trace.slices]
    lengths = {job.id: job.length for job in trace.jobs}
    return ScheduleStats(
        tuple(JobStats(j, first[j], end[j], end[j] - lengths[j]) for j in order)
    )


def format_job_list(jobs: Sequence[Job]) -> str:
    """The job list as OSTEP prints it before the solution."""
    lines = ["Here is the job list, with the run time of each job: "]
    lines += [f"  Job {job.id} ( length = {job.length} )" for job in jobs]
    return "\n".join(lines)


def format_trace(trace: ScheduleTrace) -> str:
    """The ``Execution trace:`` block."""
    lines = ["Execution trace:"]
    for piece in trace.slices:
        if trace.policy is Policy.RR:
            text = "  [ time %3d ] Run job %3d for %.2f secs" % (piece.start, piece.job, piece.duration)
        else:
            text = "  [ time %3d ] Run job %d for %.2f secs" % (piece.start, piece.job, piece.duration)
        if piece.done:
            text += " ( DONE at %.2f )" % piece.end
        lines.append(text)
    return "\n".join(lines)


def format_stats(trace: ScheduleTrace) -> str:
    """The ``Final statistics:`` block: a line per job, then the averages."""
    s = job_stats(trace)
    lines = ["Final statistics:"]
    lines += [
        "  Job %3d -- Response: %3.2f  Turnaround %3.2f  Wait %3.2f"
        % (j.job, j.response, j.turnaround, j.wait)
        for j in s.jobs
    ]
    lines.append("")
    lines.append(
        "  Average -- Response: %3.2f  Turnaround %3.2f  Wait %3.2f"
        % (s.average_response, s.average_turnaround, s.average_wait)
    )
    return "\n".join(lines)



def _parser() -> argparse.ArgumentParser:
    parser = simulator_parser("scheduler",
                              "CPU scheduler simulator (compatible with OSTEP scheduler.py).",
                              seed_help="random seed")
    parser.add_argument("-j", "--jobs", type=int, default=3, help="number of random jobs")
    parser.add_argument("-l", "--jlist", default="", help="job lengths, e.g. 10,15,20")
    parser.add_argument("-m", "--maxlen", type=int, default=10, help="max length of a random job")
    parser.add_argument(
        "-p", "--policy", default="FIFO", choices=[p.value for p in Policy], help="policy"
    )
    parser.add_argument("-q", "--quantum", type=int, default=1, help="time slice for RR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; bad arguments exit with code 2 and a message, no traceback."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.jlist:
            lengths: Sequence[float] = parse_lengths(args.jlist)
        else:
            lengths = random_lengths(args.jobs, args.maxlen, args.seed)
        trace = schedule(lengths, args.policy, args.quantum)
    except ScheduleError as err:
        parser.error(str(err))
    print("ARG policy", args.policy)
    if args.jlist:
        print("ARG jlist", args.jlist)
    else:
        print("ARG jobs", args.jobs)
        print("ARG maxlen", args.maxlen)
        print("ARG seed", args.seed)
    print()
    print(format_job_list(trace.jobs))
    print("\n")
    if not args.solve:
        print(_PREDICT_TEXT)
        print()
        return 0
    print("** Solutions **\n")
    return print_answer(format_trace(trace), format_stats(trace))


if __name__ == "__main__":
    sys.exit(main())
