"""A student's function in a process of its own, for checks that compare pids.

Some tasks ask about "the process that runs this function": its pid, its parent, the children
it starts (ch00 tasks 1-3, ch03 task 5). Their test cells say which process they mean::

    with separate_process() as proc:
        ids = my_ids()
        assert ids[0] == proc.pid and ids[1] == proc.ppid

In the student's kernel (and under plain nbgrader) ``separate_process()`` is this process: the
function runs right here and ``proc.pid == os.getpid()``.

When ``course.py autograde`` grades, the test cell runs in the trusted runner, where no student
code has run. That runner configures this module (``configure``); then ``separate_process()``
starts a new runner as its own child, which replays the setup cells and the student's answers,
and the student's function names are proxies that call the function over there. Arguments and
results cross as plain data (``helpers.grading.runner.encode``), so what the function returns
is data and the checks that judge it run where the student's code cannot reach them. The child
is stopped (and reaped) when the ``with`` block ends.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

MAX_REPLY = 2_000_000  # characters of one reply line from the child runner
STOP_WAIT = 5.0        # seconds the child gets to end after its stdin closes


@dataclass(frozen=True)
class ProcessView:
    """The process a ``separate_process()`` block's functions run in."""

    pid: int
    ppid: int


_plan: dict | None = None        # set in the trusted runner: {"steps": [source, ...], "names": [...]}
_current: "_ChildRunner | None" = None


def configure(steps: list[str], names: list[str]) -> None:
    """Trusted runner only: the cells a child replays, and the student's function names."""
    global _plan
    _plan = {"steps": list(steps), "names": list(names)}


@contextmanager
def separate_process() -> Iterator[ProcessView]:
    """The student's functions called inside this block run in one process, described by the
    value it yields (``pid``, ``ppid``). See the module docstring."""
    global _current
    if _plan is None:
        yield ProcessView(os.getpid(), os.getppid())
        return
    if _current is not None:
        raise RuntimeError("separate_process() blocks cannot be nested")
    child = _ChildRunner(_plan["steps"])
    _current = child
    try:
        yield ProcessView(child.pid, os.getpid())
    finally:
        _current = None
        child.stop()


class StudentFunction:
    """Stands for the student's function ``name`` in the trusted runner: calls go to the child
    runner of the enclosing ``separate_process()`` block."""

    def __init__(self, name: str) -> None:
        self.name = self.__name__ = name

    def __call__(self, *args, **kwargs):
        if _current is None:
            raise RuntimeError(f"评分时 {self.name}() 只能在 `with separate_process():` 里调用")
        return _current.call(self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.name}>"


class _ChildRunner:
    def __init__(self, steps: list[str]) -> None:
        from helpers.grading import runner

        self._runner = runner
        self.proc = subprocess.Popen(
            [sys.executable, "-I", runner.__file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=os.getcwd(), encoding="utf-8", start_new_session=False)
        self.pid = self.proc.pid
        self._read()  # {"ready": true}
        for k, source in enumerate(steps):
            self._write({"id": f"replay:{k}", "source": source, "quiet": True})
            self._read()

    def _write(self, payload: dict) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(payload) + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise RuntimeError("运行你的函数的进程提前结束了（例如调用了 os._exit 或被杀死）") from None

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline(MAX_REPLY)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise RuntimeError("运行你的函数的进程提前结束了（例如调用了 os._exit 或被杀死），或者没有正常回答")
        return reply

    def call(self, name: str, args: tuple, kwargs: dict):
        runner = self._runner
        try:
            request = {"id": "call", "call": {"name": name, "args": runner.encode(list(args)),
                                              "kwargs": runner.encode(dict(kwargs))}}
        except TypeError as exc:
            raise TypeError(f"评分时 {name}() 的参数无法传给你的代码：{exc}") from None
        self._write(request)
        answer = self._read().get("answer")
        if isinstance(answer, dict) and "return" in answer:
            try:
                return runner.decode(answer["return"])
            except (TypeError, ValueError, KeyError, AttributeError, ImportError) as exc:
                raise TypeError(f"{name}() 的返回值必须是普通数据：{exc}") from None
        raised = answer.get("raise") if isinstance(answer, dict) else None
        if isinstance(raised, list) and len(raised) == 2 and all(isinstance(x, str) for x in raised):
            raise runner.raised(*raised)
        raise RuntimeError(f"没有得到 {name}() 的结果")

    def stop(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
