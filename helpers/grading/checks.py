"""Grading helpers for program-based tasks (chapters 04-06 test cells).

A task is a whole program the student writes in a ``%%program chNN_taskK.py`` solution cell.
The test cell runs it as a real process through the launcher and checks what happened::

    solution cell   %%program ch04_task1.py        -> writes .programs/ch04_task1.py
    test cell       run = run_task("ch04_task1.py")                (grader's start method)
                    run = run_task("ch04_task1.py", start_method="spawn")   (portability)
                        helpers.run.launcher.run_script(...)  -> RunResult (output lines, exit codes,
                                                            timed_out, trace, hints)
                    expect_lines(run, r"child pid=(\\d+)", count=3)   -> AssertionError in Chinese

Every check raises ``TaskCheckFailed`` (an ``AssertionError``), so nbgrader counts the test as
failed, and its message says in Chinese what was expected and shows what the program printed.
``run_task`` never leaves a process behind: the launcher kills the whole tree (also on timeout).

This is a thin layer over ``helpers.run.launcher.RunResult``: which file a name means is the
launcher's ``find_program``, the start method is the one the run resolved
(``RunResult.start_method``), output lines print with ``OutputLine.format`` and hints with
``Hint.format``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.events import is_helper_role
from helpers.run.launcher import (PROGRAMS_DIR, OutputLine, ProgramNotFoundError, RunResult,
                                  run_script)
from helpers.run.launcher import find_program as _find_program

__all__ = [
    "TaskCheckFailed",
    "find_program",
    "run_task",
    "printed",
    "main_pid",
    "expect_lines",
    "expect_order",
    "expect_distinct",
    "expect_equal",
    "Child",
    "child_processes",
    "expect_children",
    "expect_ratio",
    "show_output",
    "PROGRAMS_DIR",
]

DEFAULT_TIMEOUT = 10.0
_TAIL = 12  # lines of output quoted in a failure message
_EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


class TaskCheckFailed(AssertionError):
    """A graded check failed; the message (Chinese) says what was expected and what happened."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback, also in a kernel that did not load the
        helpers extension: the message first and whole, the task's likely cause, the failing
        cell line (``helpers.failures``; never this module's source)."""
        from helpers.failures import describe, failure_lines

        return describe(self, self.__traceback__) or failure_lines(str(self))


def find_program(name: str, cwd: str | Path | None = None) -> Path:
    """The file a ``%%program NAME`` cell wrote (the launcher's rule: ``.programs/NAME``, then
    ``NAME``, under ``cwd``).

    Raises TaskCheckFailed when neither exists (the student did not run the program cell).
    """
    try:
        return _find_program(name, cwd)
    except ProgramNotFoundError:
        raise TaskCheckFailed(
            f"找不到程序文件 {name}。先运行上面写程序的单元格（以 %%program {name} 开头的那个），"
            "再运行这个测试单元格。"
        ) from None


def run_task(
    name: str,
    *args: str,
    timeout: float = DEFAULT_TIMEOUT,
    start_method: str | None = None,
    expect_exit: int | None = 0,
    children_ok: bool = True,
    echo: bool = False,
    cwd: str | Path | None = None,
) -> RunResult:
    """Run the student's program ``name`` through the launcher and return its ``RunResult``.

    ``start_method=None`` uses the grader's method (``$COURSE_START_METHOD``, else the platform
    default); pass ``"spawn"`` where portability is the skill being graded. Raises
    TaskCheckFailed (Chinese message) when the program file is missing, still contains the
    stub, did not finish within ``timeout`` seconds, exited with a code other than
    ``expect_exit`` (``None``: any code is fine) or, with ``children_ok``, when a child process
    ended with a non-zero exit code or an uncaught exception.
    """
    path = find_program(name, cwd)
    workdir = Path.cwd() if cwd is None else Path(cwd)
    result = run_script(path, *args, start_method=start_method, timeout=timeout,
                        trace=True, echo=echo, cwd=workdir)
    method = result.start_method
    if "NotImplementedError" in result.stderr:
        raise TaskCheckFailed(
            f"你还没有完成这个任务：{name} 里还是 raise NotImplementedError()。"
            "把它换成你的程序，运行那个单元格，再运行测试。"
        )
    if result.timed_out:
        raise TaskCheckFailed(
            f"程序在 {timeout:g} 秒内没有结束：已被强制结束（启动方式 {method}）。"
            "常见原因：某个进程在等一个永远不会发生的事件（join 一个不结束的进程、"
            "get 一个空队列、acquire 一个没人释放的锁），或死循环。"
            + _hints_text(result) + show_output(result)
        )
    if result.interrupted:
        raise TaskCheckFailed(f"程序 {name} 被中断了（Stop 按钮或 KeyboardInterrupt），没有运行完。")
    code = result.returncode
    if expect_exit is not None and code != expect_exit:
        raise TaskCheckFailed(
            f"程序 {name} 出错退出（退出码 {code}，应为 {expect_exit}；启动方式 {method}）。"
            + _hints_text(result) + _stderr_tail(result) + show_output(result)
        )
    if children_ok:
        _check_children(result, name, method)
    return result


def _check_children(result: RunResult, name: str, method: str) -> None:
    bad = [p for p in child_processes(result) if p.exitcode not in (0, None)]
    crashed = "Traceback (most recent call last)" in result.stderr
    if bad or crashed:
        who = "、".join(f"{p.name}（退出码 {p.exitcode}）" for p in bad) or "某个子进程"
        raise TaskCheckFailed(
            f"程序 {name} 在启动方式 {method} 下有子进程出错：{who}。"
            + _hints_text(result) + _stderr_tail(result) + show_output(result)
        )


def printed(result: RunResult, *, process: str | None = None,
            stream: str = "stdout") -> list[OutputLine]:
    """Output lines (``OutputLine``: t, pid, name, stream, text) of the run, in arrival order.

    ``process`` keeps only lines printed by processes with that name (e.g. ``"MainProcess"``).
    """
    return [ln for ln in result.output
            if ln.stream == stream and (process is None or ln.name == process)]


def main_pid(result: RunResult) -> int:
    """Pid of the program's main process (the one the launcher started)."""
    return result.pid


def show_output(result: RunResult, tail: int = _TAIL) -> str:
    """The last ``tail`` output lines as ``[name pid N] text``, for failure messages."""
    lines = printed(result)
    if not lines:
        return "\n程序没有向标准输出打印任何内容。"
    shown = lines[-tail:]
    more = f"（只显示最后 {tail} 行，共 {len(lines)} 行）" if len(lines) > tail else ""
    body = "\n".join("  " + ln.format() for ln in shown)
    return f"\n程序的输出{more}：\n{body}"


def _stderr_tail(result: RunResult, tail: int = 8) -> str:
    """The error lines worth quoting: the last exception line and what follows it, else the tail."""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    if not lines:
        return ""
    starts = [i for i, ln in enumerate(lines) if _EXCEPTION_LINE.match(ln)]
    shown = lines[starts[-1]:starts[-1] + 4] if starts else lines[-tail:]
    return "\n错误输出（节选）：\n" + "\n".join("  " + ln for ln in shown)


def _hints_text(result: RunResult) -> str:
    """The launcher's hints (helpers.explain), one block each: title, reason, fix."""
    return "".join("\n" + hint.format() for hint in result.hints)


def expect_lines(
    result: RunResult,
    pattern: str,
    count: int | None = None,
    *,
    at_least: int | None = None,
    process: str | None = None,
    what: str | None = None,
) -> list[tuple[OutputLine, re.Match[str]]]:
    """Output lines whose text matches ``pattern`` (``re.search``), with their matches.

    ``count``: exactly that many; ``at_least``: at least that many; neither: at least one.
    ``process`` restricts to lines printed by processes with that name. ``what`` describes the
    lines in Chinese for the message (default: the pattern).
    """
    regex = re.compile(pattern)
    found = []
    for line in printed(result, process=process):
        match = regex.search(line.text)
        if match:
            found.append((line, match))
    label = what or f"匹配 {pattern!r} 的行"
    where = f"（由 {process} 打印）" if process else ""
    if count is not None and len(found) != count:
        raise TaskCheckFailed(f"应该正好有 {count} 行{label}{where}，实际有 {len(found)} 行。" + show_output(result))
    minimum = 1 if count is None and at_least is None else (at_least or 0)
    if len(found) < minimum:
        raise TaskCheckFailed(f"应该至少有 {minimum} 行{label}{where}，实际有 {len(found)} 行。" + show_output(result))
    return found


def expect_order(result: RunResult, first: str, then: str, *, what: str | None = None) -> None:
    """Every line matching ``first`` comes before every line matching ``then`` (both must appear)."""
    lines = printed(result)
    firsts = [i for i, ln in enumerate(lines) if re.search(first, ln.text)]
    thens = [i for i, ln in enumerate(lines) if re.search(then, ln.text)]
    label = what or f"匹配 {first!r} 的行应该都在匹配 {then!r} 的行之前"
    if not firsts or not thens:
        missing = first if not firsts else then
        raise TaskCheckFailed(f"{label}，但没有找到匹配 {missing!r} 的行。" + show_output(result))
    if max(firsts) > min(thens):
        raise TaskCheckFailed(f"顺序不对：{label}。" + show_output(result))


def expect_distinct(values: Iterable[object], what: str) -> None:
    """All ``values`` differ (e.g. the pids of the workers)."""
    seen = list(values)
    repeated = sorted({str(v) for v in seen if seen.count(v) > 1})
    if repeated:
        raise TaskCheckFailed(f"{what}应该各不相同，但这些值出现了不止一次：{', '.join(repeated)}。")


def expect_equal(actual: object, expected: object, what: str) -> None:
    """``actual == expected``; the message names ``what`` was compared."""
    if actual != expected:
        raise TaskCheckFailed(f"{what}应该是 {expected!r}，实际是 {actual!r}。")


@dataclass(frozen=True)
class Child:
    """A process the program started: its pid, multiprocessing name, parent pid and exit code."""

    pid: int
    name: str
    ppid: int | None
    exitcode: int | None


def child_processes(result: RunResult) -> list[Child]:
    """Every process the program started (from the trace and the launcher's exit codes).

    The main process and multiprocessing's own helper processes (forkserver, resource tracker)
    are left out. Ordered by start time when the trace has it, else by pid.
    """
    listed = result.trace.processes if result.trace is not None else []
    infos = {p.pid: p for p in listed if not p.helper}
    kids: list[tuple[float, int, Child]] = []
    for pid in set(infos) | set(result.exitcodes):
        info = infos.get(pid)
        name = info.name if info is not None else ""
        if pid == result.pid or is_helper_role(name) or name == "MainProcess":
            continue
        code = result.exitcodes.get(pid, info.exitcode if info is not None else None)
        start = info.start if info is not None else float("inf")
        kids.append((start, pid, Child(pid, name, info.ppid if info is not None else None, code)))
    return [kid for _, _, kid in sorted(kids, key=lambda k: (k[0], k[1]))]


def expect_children(result: RunResult, count: int, *, exitcodes: Sequence[int] | None = None) -> list[Child]:
    """Exactly ``count`` child processes ran; with ``exitcodes``, their codes sorted must match."""
    kids = child_processes(result)
    if len(kids) != count:
        raise TaskCheckFailed(f"程序应该启动 {count} 个子进程，实际启动了 {len(kids)} 个。" + show_output(result))
    if exitcodes is not None:
        got = sorted(int(p.exitcode) if p.exitcode is not None else -999 for p in kids)
        want = sorted(exitcodes)
        if got != want:
            raise TaskCheckFailed(f"子进程的退出码（排序后）应该是 {want}，实际是 {got}。" + show_output(result))
    return kids


def expect_ratio(part: float, whole: float, at_most: float, what: str) -> None:
    """``part <= at_most * whole`` (e.g. concurrent time ≤ 0.7 × serial time)."""
    if whole <= 0 or part > at_most * whole:
        ratio = part / whole if whole > 0 else float("inf")
        raise TaskCheckFailed(
            f"{what}：比值应不超过 {at_most:g}，实际是 {ratio:.2f}（{part:.2f} s / {whole:.2f} s）。"
        )
