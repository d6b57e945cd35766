"""Multiprogramming: the CPU-utilisation model 1 − pⁿ, a simulation of it, and batch vs
multiprogrammed runs of the same jobs.

Three pieces, all plain data (plots: ``helpers.sim.multiprog_chart``; widgets:
``helpers.sim.multiprog_widget``)::

    utilisation(p, n)            the formula                  -> float
    simulate(p, n, ticks, seed)  n jobs tick by tick          -> UtilisationTrace
    run_hands_on / run_batch / run_multiprogrammed(jobs)      -> MultiprogTrace
    format_comparison(*traces)   a text table                 -> str

The model (Tanenbaum, *Modern Operating Systems*, 4th ed., §2.1.7 "Modeling Multiprogramming",
Fig. 2-6): a process spends a fraction p of its time waiting for I/O; with n processes in
memory the CPU is idle only when all n wait at once, which has probability pⁿ *if the processes
are independent*. So utilisation = 1 − pⁿ. Tanenbaum points out the flaw himself: with one CPU
only one process runs; the others that want the CPU wait in the ready queue, so processes are
not independent. :class:`SimModel` simulates both worlds with the same jobs.
"""
from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from numbers import Integral, Real

__all__ = [
    "MultiprogInputError", "UnreachableUtilisationError",
    "utilisation", "min_processes",
    "SimModel", "UtilisationTrace", "simulate", "simulate_utilisation",
    "PhaseKind", "Phase", "Job", "JobState", "RunMode", "MultiprogTrace",
    "make_jobs", "run_hands_on", "run_batch", "run_multiprogrammed",
    "format_comparison", "format_trace",
]


class MultiprogInputError(ValueError):
    """An argument of the multiprogramming model or simulator is out of range."""


class UnreachableUtilisationError(ValueError):
    """No number of processes reaches the requested CPU utilisation."""


def _check_p(p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, Real) or math.isnan(p) or not 0 <= p <= 1:
        raise MultiprogInputError(
            f"p 是进程等待 I/O 的时间比例（I/O wait fraction），必须是 0 到 1 之间的数，收到 p={p!r}")
    return float(p)


def _check_count(value: int, name: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise MultiprogInputError(f"{name} 是{what}，必须是 ≥ 1 的整数，收到 {name}={value!r}")
    return int(value)


# ---------------------------------------------------------------- the formula

def utilisation(p: float, n: int) -> float:
    """CPU utilisation with n processes in memory that each wait for I/O a fraction p of the time.

    ``1 - p**n`` (Tanenbaum, Modern Operating Systems, §2.1.7). Assumes the n processes are
    independent: the chance that all of them wait for I/O at the same moment is pⁿ. This ignores
    that with one CPU a process that is ready must queue for it (see :class:`SimModel`).

    >>> round(utilisation(0.8, 1), 4), round(utilisation(0.8, 4), 4)
    (0.2, 0.5904)

    Raises MultiprogInputError (a ValueError) unless 0 ≤ p ≤ 1 and n is an integer ≥ 1.
    """
    return 1.0 - _check_p(p) ** _check_count(n, "n", "内存中的进程数（degree of multiprogramming）")


def min_processes(p: float, target: float) -> int:
    """Smallest degree of multiprogramming n with ``utilisation(p, n) >= target``.

    Raises UnreachableUtilisationError (a ValueError) when no n gets there: p = 1 (processes
    never use the CPU) with target > 0, or target = 1 with p > 0 (1 − pⁿ is always below 1).
    """
    p = _check_p(p)
    if isinstance(target, bool) or not isinstance(target, Real) or math.isnan(target) \
            or not 0 <= target <= 1:
        raise MultiprogInputError(f"target 是目标 CPU 利用率（utilisation），必须在 0 到 1 之间，收到 {target!r}")
    if target <= 1 - p:
        return 1
    if p == 1 or target == 1:
        raise UnreachableUtilisationError(
            f"p={p} 时 1 − pⁿ 永远达不到 {target}：" +
            ("进程从不使用 CPU (p = 1)。" if p == 1 else "只要 p > 0，总有全部进程同时等待 I/O 的可能。"))
    n = max(1, math.ceil(math.log1p(-target) / math.log(p)))
    # log() rounds: step to the exact smallest n by checking the formula itself.
    while n > 1 and 1 - p ** (n - 1) >= target:
        n -= 1
    while 1 - p ** n < target:
        n += 1
    return n


# ---------------------------------------------------------------- the simulation

class SimModel(Enum):
    """How the simulated jobs share the machine.

    Each job alternates CPU bursts and I/O waits: every tick a job in a CPU burst ends it with
    probability a (then waits for I/O), a job in I/O finishes with probability b (then wants the
    CPU). a = s·p and b = s·(1 − p), so a job that runs alone waits for I/O a fraction
    a / (a + b) = p of the time (geometric burst lengths, mean 1/a and 1/b ticks).
    """

    INDEPENDENT = "independent"
    """Every job that wants the CPU computes (as if each had its own CPU): the jobs are
    independent, the CPU counts as busy when at least one job computes; matches 1 − pⁿ."""
    SINGLE_CPU = "single CPU"
    """One CPU and a FIFO ready queue: only the job on the CPU makes progress, the others wait
    (ready, neither computing nor in I/O), so their next I/O is delayed. Two effects, both
    visible in :class:`UtilisationTrace`: the measured I/O share p̂ falls below the nominal p
    (ready time counts as "not in I/O"), so utilisation ends up *above* 1 − pⁿ; and the jobs are
    no longer independent, so utilisation is *below* 1 − p̂ⁿ computed from the measured share."""


@dataclass(frozen=True)
class UtilisationTrace:
    """One simulated run: per tick, whether the CPU was busy and how many jobs were in I/O."""

    p: float
    n: int
    model: SimModel
    seed: int
    switch_rate: float
    cpu_busy: tuple[bool, ...]
    io_counts: tuple[int, ...]

    @property
    def ticks(self) -> int:
        return len(self.cpu_busy)

    @property
    def utilisation(self) -> float:
        """Fraction of ticks with the CPU busy."""
        return sum(self.cpu_busy) / self.ticks

    @property
    def io_share(self) -> float:
        """Measured fraction of the time a job spent in I/O (averaged over the jobs)."""
        return sum(self.io_counts) / (self.ticks * self.n)

    @property
    def formula(self) -> float:
        """1 − pⁿ with the nominal p (a job's I/O share when it runs alone)."""
        return utilisation(self.p, self.n)

    @property
    def formula_measured(self) -> float:
        """1 − p̂ⁿ with the I/O share p̂ measured in this run."""
        return utilisation(self.io_share, self.n)


def simulate(p: float, n: int, ticks: int = 10_000, seed: int = 0,
             model: SimModel = SimModel.INDEPENDENT, switch_rate: float = 0.5) -> UtilisationTrace:
    """Simulate n jobs for ``ticks`` ticks (seeded, deterministic) and record the CPU.

    Each job alone waits for I/O a fraction p of the time (see :class:`SimModel`); switch_rate
    s = a + b (0 < s ≤ 1) sets how long bursts are. Jobs start in their long-run mix: each in
    I/O with probability p.
    """
    p = _check_p(p)
    n = _check_count(n, "n", "作业数（number of jobs）")
    ticks = _check_count(ticks, "ticks", "模拟的时钟周期数（ticks）")
    if not isinstance(model, SimModel):
        raise MultiprogInputError(f"model 必须是 SimModel 的成员，收到 {model!r}")
    if isinstance(switch_rate, bool) or not isinstance(switch_rate, Real) \
            or not 0 < switch_rate <= 1:
        raise MultiprogInputError(f"switch_rate 必须在 (0, 1] 之间，收到 {switch_rate!r}")
    rng = random.Random(seed)
    end_burst, end_io = switch_rate * p, switch_rate * (1 - p)
    in_io = [rng.random() < p for _ in range(n)]
    ready: deque[int] = deque(j for j in range(n) if not in_io[j])
    running: int | None = None
    busy: list[bool] = []
    io_counts: list[int] = []
    for _ in range(ticks):
        if model is SimModel.INDEPENDENT:
            computing = [j for j in range(n) if not in_io[j]]
        else:
            if running is None and ready:
                running = ready.popleft()
            computing = [] if running is None else [running]
        busy.append(bool(computing))
        io_counts.append(sum(in_io))
        waiting = [j for j in range(n) if in_io[j]]  # decide before anyone starts I/O this tick
        for j in computing:
            if rng.random() < end_burst:
                in_io[j] = True
                if j == running:
                    running = None
        for j in waiting:
            if rng.random() < end_io:
                in_io[j] = False
                if model is SimModel.SINGLE_CPU:
                    ready.append(j)
    return UtilisationTrace(p, n, model, seed, float(switch_rate), tuple(busy), tuple(io_counts))


def simulate_utilisation(p: float, n: int, ticks: int = 10_000, seed: int = 0,
                         model: SimModel = SimModel.INDEPENDENT) -> float:
    """Measured CPU utilisation of :func:`simulate` (same arguments)."""
    return simulate(p, n, ticks, seed, model).utilisation


# ---------------------------------------------------------------- hands-on, batch, multiprogrammed

class PhaseKind(Enum):
    """What a job does in one phase."""

    CPU = "cpu"
    IO = "io"


@dataclass(frozen=True)
class Phase:
    """A CPU burst or an I/O wait of ``length`` ticks."""

    kind: PhaseKind
    length: int

    def __post_init__(self) -> None:
        _check_count(self.length, "length", "阶段的长度（phase length, ticks）")


@dataclass(frozen=True)
class Job:
    """A named job: its phases in order, e.g. CPU 3, I/O 5, CPU 2."""

    name: str
    phases: tuple[Phase, ...]

    @property
    def cpu_time(self) -> int:
        return sum(ph.length for ph in self.phases if ph.kind is PhaseKind.CPU)

    @property
    def io_time(self) -> int:
        return sum(ph.length for ph in self.phases if ph.kind is PhaseKind.IO)


PhaseLike = Phase | tuple[str | PhaseKind, int]
JobLike = Job | Sequence[PhaseLike]


def _phase(item: PhaseLike) -> Phase:
    if isinstance(item, Phase):
        return item
    try:
        kind, length = item
        return Phase(kind if isinstance(kind, PhaseKind) else PhaseKind(str(kind).lower()), length)
    except (TypeError, ValueError) as err:
        if isinstance(err, MultiprogInputError):
            raise
        raise MultiprogInputError(
            f"每个阶段写成 (\"cpu\", 时长) 或 (\"io\", 时长)，收到 {item!r}") from err


def make_jobs(jobs: Iterable[JobLike]) -> tuple[Job, ...]:
    """Turn ``[[("cpu", 3), ("io", 5)], ...]`` (or Job objects) into Jobs named A, B, C, ..."""
    made = []
    for i, job in enumerate(jobs):
        if not isinstance(job, Job):
            job = Job(chr(ord("A") + i) if i < 26 else f"J{i}", tuple(_phase(ph) for ph in job))
        if not job.phases:
            raise MultiprogInputError(f"作业 {job.name} 没有任何阶段（phase）")
        made.append(job)
    if not made:
        raise MultiprogInputError("至少需要一个作业（job）")
    if len({j.name for j in made}) != len(made):
        raise MultiprogInputError("作业名（job name）必须互不相同")
    return tuple(made)


class JobState(Enum):
    """What a job does during one tick."""

    SETUP = "setup"      # hands-on: the programmer sets the machine up, the CPU idles
    RUNNING = "cpu"      # on the CPU
    IO = "io"            # waiting for its I/O device
    WAITING = "waiting"  # wants the machine/CPU but another job has it
    DONE = "done"


class RunMode(Enum):
    """How the machine runs the jobs."""

    HANDS_ON = "hands-on"
    BATCH = "batch"
    MULTIPROGRAMMED = "multiprogrammed"


@dataclass(frozen=True)
class MultiprogTrace:
    """One run of some jobs: ``states[t][j]`` is job j's state during tick t."""

    mode: RunMode
    jobs: tuple[Job, ...]
    states: tuple[tuple[JobState, ...], ...]
    setup_time: int = 0
    finish: tuple[int, ...] = field(default=())

    @property
    def total_time(self) -> int:
        return len(self.states)

    @property
    def cpu(self) -> tuple[str | None, ...]:
        """Per tick, the name of the job on the CPU (None: idle)."""
        return tuple(next((self.jobs[j].name for j, s in enumerate(row) if s is JobState.RUNNING),
                          None) for row in self.states)

    @property
    def cpu_busy(self) -> int:
        return sum(name is not None for name in self.cpu)

    @property
    def cpu_idle(self) -> int:
        return self.total_time - self.cpu_busy

    @property
    def utilisation(self) -> float:
        return self.cpu_busy / self.total_time

    @property
    def mean_turnaround(self) -> float:
        """Mean time from submission (tick 0) to the end of each job."""
        return sum(self.finish) / len(self.finish)

    def segments(self, job: int) -> list[tuple[int, int, JobState]]:
        """Job j's timeline as (start, length, state) runs, without the DONE tail."""
        runs: list[tuple[int, int, JobState]] = []
        for t, row in enumerate(self.states):
            s = row[job]
            if runs and runs[-1][2] is s and runs[-1][0] + runs[-1][1] == t:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1, s)
            elif s is not JobState.DONE:
                runs.append((t, 1, s))
        return runs


def _one_at_a_time(jobs: tuple[Job, ...], mode: RunMode, setup_time: int) -> MultiprogTrace:
    states: list[tuple[JobState, ...]] = []
    finish = [0] * len(jobs)
    for j, job in enumerate(jobs):
        own = [JobState.SETUP] * setup_time
        for ph in job.phases:
            own += [JobState.RUNNING if ph.kind is PhaseKind.CPU else JobState.IO] * ph.length
        for s in own:
            states.append(tuple(JobState.DONE if k < j else s if k == j else JobState.WAITING
                                for k in range(len(jobs))))
        finish[j] = len(states)
    return MultiprogTrace(mode, jobs, tuple(states), setup_time, tuple(finish))


def run_hands_on(jobs: Iterable[JobLike], setup_time: int) -> MultiprogTrace:
    """Open-shop use: each programmer books the machine, spends ``setup_time`` ticks at the
    console (loading cards/tapes; the CPU idles), then runs the job's phases back to back."""
    if isinstance(setup_time, bool) or not isinstance(setup_time, Integral) or setup_time < 0:
        raise MultiprogInputError(f"setup_time 必须是 ≥ 0 的整数，收到 {setup_time!r}")
    return _one_at_a_time(make_jobs(jobs), RunMode.HANDS_ON, int(setup_time))


def run_batch(jobs: Iterable[JobLike]) -> MultiprogTrace:
    """Batch: the jobs run one after another in list order; while a job waits for I/O the CPU
    idles (no setup time: the operator loaded the batch in advance)."""
    return _one_at_a_time(make_jobs(jobs), RunMode.BATCH, 0)


def run_multiprogrammed(jobs: Iterable[JobLike]) -> MultiprogTrace:
    """Multiprogrammed: all jobs in memory from tick 0, one CPU, a FIFO ready queue.

    A job keeps the CPU until its CPU phase ends (no preemption), then starts its I/O at once:
    every job has its own I/O device, so I/O never waits. A job whose I/O ends joins the back of
    the ready queue; jobs that become ready at the same tick join in list order.
    """
    jobs = make_jobs(jobs)
    phase = [0] * len(jobs)
    left = [job.phases[0].length for job in jobs]
    ready: deque[int] = deque(j for j, job in enumerate(jobs)
                              if job.phases[0].kind is PhaseKind.CPU)
    running: int | None = None
    finish = [0] * len(jobs)
    states: list[tuple[JobState, ...]] = []
    while not all(finish):
        if running is None and ready:
            running = ready.popleft()
        row = []
        for j, job in enumerate(jobs):
            if finish[j]:
                row.append(JobState.DONE)
            elif job.phases[phase[j]].kind is PhaseKind.IO:
                row.append(JobState.IO)
            else:
                row.append(JobState.RUNNING if j == running else JobState.WAITING)
        states.append(tuple(row))
        t_end = len(states)
        for j, job in enumerate(jobs):  # the tick passes: the running job and every I/O progress
            if finish[j] or (row[j] is not JobState.RUNNING and row[j] is not JobState.IO):
                continue
            left[j] -= 1
            if left[j]:
                continue
            if j == running:
                running = None
            phase[j] += 1
            if phase[j] == len(job.phases):
                finish[j] = t_end
                continue
            left[j] = job.phases[phase[j]].length
            if job.phases[phase[j]].kind is PhaseKind.CPU:
                if row[j] is JobState.RUNNING:
                    running = j  # CPU phase right after a CPU phase: keeps the CPU
                else:
                    ready.append(j)
    return MultiprogTrace(RunMode.MULTIPROGRAMMED, jobs, tuple(states), 0, tuple(finish))


# ---------------------------------------------------------------- text output

def format_comparison(*traces: MultiprogTrace) -> str:
    """A table comparing runs of the same jobs (e.g. batch, multiprogrammed), plus speed-ups
    relative to the first run."""
    if not traces:
        raise MultiprogInputError("至少需要一次运行（trace）")
    head = f"{'run':<16}{'total time':>11}{'CPU busy':>10}{'CPU idle':>10}{'utilisation':>13}" \
           f"{'mean turnaround':>17}"
    lines = [head, "-" * len(head)]
    for tr in traces:
        lines.append(f"{tr.mode.value:<16}{tr.total_time:>11}{tr.cpu_busy:>10}{tr.cpu_idle:>10}"
                     f"{tr.utilisation:>12.1%} {tr.mean_turnaround:>16.1f}")
    lines.append("(times in ticks)")
    first = traces[0]
    for tr in traces[1:]:
        lines.append(f"{tr.mode.value} finishes all jobs {first.total_time / tr.total_time:.2f}x "
                     f"as fast as {first.mode.value}")
    return "\n".join(lines)


_SYMBOL = {JobState.SETUP: "setup", JobState.RUNNING: "CPU", JobState.IO: "I/O",
           JobState.WAITING: "wait", JobState.DONE: "done"}


def format_trace(trace: MultiprogTrace) -> str:
    """A tick-by-tick table: one row per tick, one column per job, plus the CPU column."""
    names = [job.name for job in trace.jobs]
    width = max(6, *(len(n) + 1 for n in names))
    lines = [f"{'tick':>4}  " + "".join(f"{n:<{width}}" for n in names) + "CPU"]
    for t, (row, on_cpu) in enumerate(zip(trace.states, trace.cpu)):
        cells = "".join(f"{_SYMBOL[s]:<{width}}" for s in row)
        lines.append(f"{t:>4}  {cells}{on_cpu or 'idle'}")
    lines.append(f"{trace.mode.value}: total {trace.total_time} ticks, CPU busy {trace.cpu_busy}, "
                 f"idle {trace.cpu_idle}, utilisation {trace.utilisation:.1%}")
    return "\n".join(lines)
