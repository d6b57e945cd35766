"""Process-state simulator, compatible with OSTEP's ``process-run.py`` (same flags, same table).

One CPU, several processes, a clock that ticks from 1. Each tick::

    1. I/O completions (in pid order): the process leaves BLOCKED and becomes READY, and
       may take the CPU at once, depending on the I/O-done policy (-I) and the switch policy (-S)
    2. the RUNNING process, if any, executes one instruction: cpu | io | io_done
    3. after an ``io`` the process is BLOCKED for L ticks (-L); after its last instruction it
       is DONE; in both cases (``io`` only under SWITCH_ON_IO) the next READY process, searched
       round-robin from the next pid upwards, gets the CPU

Data first, then text and pictures::

    programs = parse_programs("c7,i,c1,i:c3")       # or random_programs("4:100,1:0", seed=0)
    trace = simulate(programs, io_length=5)           # -> ProcessRunTrace (a Tick per tick)
    print(format_trace(trace)); print(format_stats(trace))
    helpers.sim.process_run_chart.plot_process_run(trace)

Command line (the OSTEP homework workflow: predict first, then check with ``-c``)::

    python -m helpers.sim.process_run -l 4:100,1:0          # programs and policies, predict
    python -m helpers.sim.process_run -l 4:100,1:0 -c -p    # the trace and the statistics
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from helpers.sim._cli import print_answer, simulator_parser

__all__ = [
    "Instruction",
    "IoDonePolicy",
    "ProcessRunTrace",
    "Program",
    "ProgramFormatError",
    "RunStats",
    "State",
    "SwitchPolicy",
    "Tick",
    "describe_programs",
    "format_stats",
    "format_trace",
    "main",
    "parse_programs",
    "random_programs",
    "simulate",
    "stats",
]


class ProgramFormatError(ValueError):
    """A program description or a simulation parameter that cannot be used."""


class State(Enum):
    """The states of a process in this simulator."""

    READY = "READY"
    RUNNING = "RUNNING"
    BLOCKED = "BLOCKED"
    DONE = "DONE"


class Instruction(Enum):
    """What a process does in one tick on the CPU."""

    CPU = "cpu"
    IO = "io"
    IO_DONE = "io_done"  # implicit after every io: the CPU tick that handles the completion


class SwitchPolicy(Enum):
    """When the CPU moves to another process (OSTEP ``-S``)."""

    SWITCH_ON_IO = "SWITCH_ON_IO"  # when the running process issues an I/O or ends
    SWITCH_ON_END = "SWITCH_ON_END"  # only when it ends; the CPU idles during its I/O


class IoDonePolicy(Enum):
    """What a process whose I/O completed does (OSTEP ``-I``)."""

    IO_RUN_LATER = "IO_RUN_LATER"  # becomes READY and waits its turn
    IO_RUN_IMMEDIATE = "IO_RUN_IMMEDIATE"  # takes the CPU at once, preempting the running one


@dataclass(frozen=True)
class Program:
    """The instructions one process executes (``io_done`` included after each ``io``)."""

    instructions: tuple[Instruction, ...]

    @classmethod
    def of(cls, cpu_or_io: Sequence[Instruction]) -> Program:
        """Build a program from cpu/io instructions, adding the implicit ``io_done``s."""
        expanded: list[Instruction] = []
        for instruction in cpu_or_io:
            if instruction is Instruction.IO_DONE:
                raise ProgramFormatError("io_done 由模拟器在每个 io 之后自动加入，不要手写。")
            expanded.append(instruction)
            if instruction is Instruction.IO:
                expanded.append(Instruction.IO_DONE)
        if not expanded:
            raise ProgramFormatError("程序（program）不能为空：每个进程至少要有一条指令。")
        return cls(tuple(expanded))

    def compact(self) -> str:
        """The ``-P`` spelling of this program, e.g. ``c7,i,c1,i``."""
        parts: list[str] = []
        run = 0
        for instruction in self.instructions:
            if instruction is Instruction.CPU:
                run += 1
                continue
            if run:
                parts.append(f"c{run}")
                run = 0
            if instruction is Instruction.IO:
                parts.append("i")
        if run:
            parts.append(f"c{run}")
        return ",".join(parts)


@dataclass(frozen=True)
class Tick:
    """What happened in one tick: every process's state and who ran what."""

    time: int
    states: tuple[State, ...]
    running: int | None  # pid that executed an instruction this tick
    instruction: Instruction | None
    ios_in_flight: int  # I/Os in progress during the tick (issued earlier, completing later)
    completions: tuple[int, ...]  # pids whose I/O completed at the start of the tick

    @property
    def cpu_busy(self) -> bool:
        """True when an instruction ran in this tick."""
        return self.instruction is not None

    def cell(self, pid: int) -> str:
        """The table cell of process ``pid``: ``RUN:<instruction>`` or its state."""
        if pid == self.running and self.instruction is not None:
            return f"RUN:{self.instruction.value}"
        return self.states[pid].value


@dataclass(frozen=True)
class ProcessRunTrace:
    """A whole run: its inputs and one :class:`Tick` per tick."""

    programs: tuple[Program, ...]
    io_length: int | tuple[int, ...]
    switch: SwitchPolicy
    io_done: IoDonePolicy
    ticks: tuple[Tick, ...]

    @property
    def total_time(self) -> int:
        """Number of ticks until every process is DONE."""
        return len(self.ticks)


@dataclass(frozen=True)
class RunStats:
    """OSTEP's ``-p`` statistics."""

    total: int
    cpu_busy: int
    io_busy: int

    @property
    def cpu_percent(self) -> float:
        """CPU busy ticks as a percentage of the total time."""
        return 100.0 * self.cpu_busy / self.total if self.total else 0.0

    @property
    def io_percent(self) -> float:
        """Ticks with at least one I/O in flight, as a percentage of the total time."""
        return 100.0 * self.io_busy / self.total if self.total else 0.0


def _parse_one(text: str, index: int) -> Program:
    if not text.strip():
        raise ProgramFormatError(f"进程 {index} 的程序不能为空：每个进程至少要有一条指令，例如 c1。")
    instructions: list[Instruction] = []
    for item in text.split(","):
        item = item.strip()
        if item == "i":
            instructions.append(Instruction.IO)
        elif item.startswith("c") and item[1:].isdigit():
            instructions.extend([Instruction.CPU] * int(item[1:]))
        else:
            raise ProgramFormatError(
                f"进程 {index} 的程序 {text!r} 里有看不懂的指令 {item!r}："
                "用 cN 表示 N 条 CPU 指令，i 表示一次 I/O，逗号分隔，例如 c7,i,c1,i。"
            )
    return Program.of(instructions)


def parse_programs(text: str) -> list[Program]:
    """Parse OSTEP's ``-P`` syntax: ``c7,i,c1,i:c3`` = two processes, ``:`` between them."""
    if not text.strip():
        raise ProgramFormatError("没有给出程序：例如 -P c7,i:c3（冒号分隔各个进程）。")
    return [_parse_one(part, i) for i, part in enumerate(text.split(":"))]


def random_programs(spec: str, seed: int = 0) -> list[Program]:
    """Draw programs as OSTEP's ``-l X:Y,...`` does (X instructions, each CPU with chance Y%).

    ``random.seed(seed, version=1)`` then one ``random.random()`` per instruction, in process
    order; an instruction is CPU when the draw is below Y/100, else an I/O.
    """
    rng = random.Random()
    rng.seed(seed, version=1)
    programs: list[Program] = []
    for index, part in enumerate(spec.split(",")):
        fields = part.split(":")
        try:
            if len(fields) != 2:
                raise ValueError(part)
            count, chance = int(fields[0]), float(fields[1]) / 100.0
        except ValueError:
            raise ProgramFormatError(
                f"进程 {index} 的描述 {part!r} 应该是 X:Y（X 条指令，每条是 CPU 指令的概率为 Y%），"
                "例如 -l 5:100,5:0。"
            ) from None
        if count < 1 or not 0.0 <= chance <= 1.0:
            raise ProgramFormatError(
                f"进程 {index} 的描述 {part!r}：X 至少为 1，Y 在 0 到 100 之间。"
            )
        drawn = [
            Instruction.CPU if rng.random() < chance else Instruction.IO for _ in range(count)
        ]
        programs.append(Program.of(drawn))
    return programs


def simulate(
    programs: Sequence[Program] | str,
    io_length: int | Sequence[int] = 5,
    switch: SwitchPolicy | str = SwitchPolicy.SWITCH_ON_IO,
    io_done: IoDonePolicy | str = IoDonePolicy.IO_RUN_LATER,
) -> ProcessRunTrace:
    """Run the programs tick by tick and return the whole trace.

    ``programs`` may be Program objects or a ``-P`` string. Process 0 starts RUNNING, the
    others READY. ``io_length`` is OSTEP's ``-L`` (ticks an I/O keeps a process BLOCKED), or
    one length per process (an extension: e.g. a slow disk and a fast one). Policies accept
    their enum or its name (``"SWITCH_ON_END"``).
    """
    progs = tuple(parse_programs(programs) if isinstance(programs, str) else programs)
    if not progs:
        raise ProgramFormatError("至少需要一个进程。")
    lengths = _io_lengths(io_length, len(progs))
    switch_policy = _policy(SwitchPolicy, switch)
    done_policy = _policy(IoDonePolicy, io_done)

    n = len(progs)
    code = [deque(p.instructions) for p in progs]
    states = [State.READY] * n
    states[0] = State.RUNNING
    current = 0
    finish_times: list[list[int]] = [[] for _ in range(n)]

    def choose_next() -> None:
        # round-robin: next pid upwards, wrapping around; keep `current` if none is READY
        nonlocal current
        for step in range(1, n + 1):
            pid = (current + step) % n
            if states[pid] is State.READY:
                current = pid
                states[pid] = State.RUNNING
                return

    ticks: list[Tick] = []
    time = 0
    while any(s is not State.DONE for s in states):
        time += 1
        completed: list[int] = []
        for pid in range(n):
            if time not in finish_times[pid]:
                continue
            finish_times[pid].remove(time)
            completed.append(pid)
            states[pid] = State.READY
            if switch_policy is SwitchPolicy.SWITCH_ON_END:
                take_cpu = True  # it kept the CPU while waiting; the CPU was idle
            elif done_policy is IoDonePolicy.IO_RUN_IMMEDIATE:
                take_cpu = True
            else:  # IO_RUN_LATER: only if nothing else can run
                take_cpu = not any(
                    states[o] in (State.READY, State.RUNNING) for o in range(n) if o != pid
                )
            if take_cpu:
                if current != pid and states[current] is State.RUNNING:
                    states[current] = State.READY
                current = pid
                states[pid] = State.RUNNING

        instruction: Instruction | None = None
        if states[current] is State.RUNNING and code[current]:
            instruction = code[current].popleft()
        in_flight = sum(1 for times in finish_times for t in times if t > time)
        ticks.append(
            Tick(
                time=time,
                states=tuple(states),
                running=current if instruction is not None else None,
                instruction=instruction,
                ios_in_flight=in_flight,
                completions=tuple(completed),
            )
        )
        if instruction is Instruction.IO:
            states[current] = State.BLOCKED
            finish_times[current].append(time + lengths[current] + 1)
            if switch_policy is SwitchPolicy.SWITCH_ON_IO:
                choose_next()
        if states[current] is State.RUNNING and not code[current]:
            states[current] = State.DONE
            choose_next()
    stored = io_length if isinstance(io_length, int) else tuple(lengths)
    return ProcessRunTrace(progs, stored, switch_policy, done_policy, tuple(ticks))


def _io_lengths(io_length: int | Sequence[int], n: int) -> list[int]:
    values = [io_length] * n if isinstance(io_length, int) else list(io_length)
    if len(values) != n or any(
        isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values
    ):
        raise ProgramFormatError(
            f"I/O 时长（io_length）必须是不小于 0 的整数，或每个进程一个这样的整数，"
            f"而不是 {io_length!r}。"
        )
    return values


def _policy(kind: type[SwitchPolicy] | type[IoDonePolicy], value: object) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        names = " 或 ".join(member.value for member in kind)
        raise ProgramFormatError(f"策略 {value!r} 无效：应为 {names}。") from None


def stats(trace: ProcessRunTrace) -> RunStats:
    """Total time, CPU-busy ticks and IO-busy ticks (at least one I/O in flight)."""
    return RunStats(
        total=trace.total_time,
        cpu_busy=sum(1 for t in trace.ticks if t.cpu_busy),
        io_busy=sum(1 for t in trace.ticks if t.ios_in_flight > 0),
    )


def format_trace(trace: ProcessRunTrace) -> str:
    """The ``-c`` table: a row per tick, a column per process, then CPU and IOs (``*`` = I/O done)."""
    n = len(trace.programs)
    header = "Time" + "".join("%14s" % f"PID:{pid:2d}" for pid in range(n))
    lines = [header + "%14s" % "CPU" + "%14s" % "IOs"]
    for tick in trace.ticks:
        row = f"{tick.time:3d}" + ("*" if tick.completions else " ")
        row += "".join("%14s" % tick.cell(pid) for pid in range(n))
        row += "%14s" % (1 if tick.cpu_busy else " ")
        row += "%14s" % tick.ios_in_flight if tick.ios_in_flight else "%10s" % " "
        lines.append(row)
    return "\n".join(lines)


def format_stats(trace: ProcessRunTrace) -> str:
    """The ``-p`` statistics, three lines as OSTEP prints them."""
    s = stats(trace)
    return "\n".join(
        [
            f"Stats: Total Time {s.total}",
            f"Stats: CPU Busy {s.cpu_busy} ({s.cpu_percent:.2f}%)",
            f"Stats: IO Busy  {s.io_busy} ({s.io_percent:.2f}%)",
        ]
    )


_PREDICT_TEXT = (
    "预测：每个时钟周期（tick）里每个进程处于什么状态？一共要多少个周期？CPU 和 I/O 各忙多少个周期？\n"
    "想好以后，加上 -c（答案）和 -p（统计）再运行一次，对照检查。"
)

_SWITCH_TEXT = {
    SwitchPolicy.SWITCH_ON_IO: "当前进程发起 I/O 或结束时，切换到下一个就绪（READY）进程",
    SwitchPolicy.SWITCH_ON_END: "只有当前进程结束时才切换；它等 I/O 时 CPU 空闲",
}
_IO_DONE_TEXT = {
    IoDonePolicy.IO_RUN_LATER: "I/O 完成的进程变为就绪，轮到它时再运行",
    IoDonePolicy.IO_RUN_IMMEDIATE: "I/O 完成的进程立即抢占 CPU 运行",
}


def describe_programs(
    programs: Sequence[Program],
    io_length: int | Sequence[int] = 5,
    switch: SwitchPolicy | str = SwitchPolicy.SWITCH_ON_IO,
    io_done: IoDonePolicy | str = IoDonePolicy.IO_RUN_LATER,
) -> str:
    """The text shown without ``-c``: the programs, the policies and what to predict."""
    switch_policy = _policy(SwitchPolicy, switch)
    done_policy = _policy(IoDonePolicy, io_done)
    lines = ["Processes and their instructions (io_done follows every io):"]
    for pid, program in enumerate(programs):
        lines.append(f"  Process {pid}: " + " ".join(i.value for i in program.instructions))
    lines += [
        "",
        "Policies:",
        f"  -S {switch_policy.value}: {_SWITCH_TEXT[switch_policy]}",
        f"  -I {done_policy.value}: {_IO_DONE_TEXT[done_policy]}",
        (
            f"  -L {io_length}: 每次 I/O 阻塞（BLOCKED）{io_length} 个时钟周期"
            if isinstance(io_length, int)
            else f"  I/O 时长（按进程）: {', '.join(map(str, io_length))} 个时钟周期"
        ),
    ]
    return "\n".join(lines)



def _parser() -> argparse.ArgumentParser:
    parser = simulator_parser("process_run",
                              "Process-state simulator (compatible with OSTEP process-run.py).",
                              seed_help="random seed for -l")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "-l", "--processlist", default="",
        help="X:Y,... one process per item: X instructions, Y%% chance each is CPU",
    )
    source.add_argument(
        "-P", "--program", default="",
        help="explicit programs, e.g. c7,i,c1,i:c3 (cN = N CPU instructions, i = one I/O)",
    )
    parser.add_argument("-L", "--iolength", type=int, default=5, help="ticks an I/O takes")
    parser.add_argument(
        "-S", "--switch", default="SWITCH_ON_IO",
        choices=[p.value for p in SwitchPolicy], help="when to switch processes",
    )
    parser.add_argument(
        "-I", "--iodone", default="IO_RUN_LATER",
        choices=[p.value for p in IoDonePolicy], help="what a process does when its I/O ends",
    )
    parser.add_argument(
        "-p", "--printstats", action="store_true", help="with -c: print statistics at the end"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; bad arguments exit with code 2 and a message, no traceback."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.processlist and not args.program:
        parser.error("请用 -l（例如 -l 5:100,5:0）或 -P（例如 -P c7,i:c3）给出进程的程序。")
    if args.iolength < 0:
        parser.error(f"-L 必须不小于 0，而不是 {args.iolength}。")
    try:
        programs = (
            parse_programs(args.program)
            if args.program
            else random_programs(args.processlist, args.seed)
        )
        trace = simulate(programs, args.iolength, args.switch, args.iodone)
    except ProgramFormatError as err:
        parser.error(str(err))
    if not args.solve:
        print(describe_programs(programs, args.iolength, args.switch, args.iodone))
        print()
        print(_PREDICT_TEXT)
        return 0
    return print_answer(format_trace(trace), format_stats(trace) if args.printstats else None)


if __name__ == "__main__":
    sys.exit(main())
