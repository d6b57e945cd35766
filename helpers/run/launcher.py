"""Run a student's multiprocessing program as a real script, watch every process, clean up.

    from helpers import run_script
    result = run_script("tickets.py", start_method="spawn", timeout=10)
    print(result.summary())            # exit 0 · 3 processes · 2.03 s

Data flow::

    kernel (this module)                          the program's processes
    --------------------                          -----------------------
    run_script ── Popen(new session) ──────────>  python -u x.py    (env: PYTHONPATH=helpers/_boot:…,
       │                                            │                COURSE_RUN_ID, COURSE_START_METHOD,
       │                                            │                COURSE_TRACE_DIR)
       │                                            ├─ sitecustomize: childio frames each line with pid+name,
       │                                            │  start method becomes the default context, tracer on
       │                                            └─ Process.start() ─> children (same env, same bootstrap)
       │   reader thread x2 <── stdout / stderr pipes (frames, one os.write each) ──┘
       │        └─ FrameParser ─> OutputLine ─> queue.Queue
       │   main thread: prints "[name pid N] text" live, polls the process tree every 50 ms,
       │                enforces the timeout, turns KeyboardInterrupt (Stop button) into a result
       │   finally: ProcessTree.kill_all() — every descendant, the session, COURSE_RUN_ID holders
       │   Trace.load(COURSE_TRACE_DIR) <── events-<pid>.log files written by helpers.trace.recorder
       └─> RunResult(returncode, output, exitcodes, timed_out, interrupted, duration, leftovers,
                     trace, hints)
"""
from __future__ import annotations

import hashlib
import os
import pickle
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from helpers import settings
from helpers.events import EventKind
from helpers.explain import Hint, explain, explain_hang, explain_trace, format_hints
from helpers.run import startmethods
from helpers.run.childio import FrameParser
from helpers.run.killtree import ProcessTree
from helpers.trace.model import Trace

__all__ = ["run_script", "run_code", "RunResult", "OutputLine", "ProgramError",
           "ProgramNotFoundError", "PROGRAMS_DIR", "find_program", "write_program"]

PROGRAMS_DIR = ".programs"
POLL_INTERVAL = 0.05
# The first snapshot waits a little: a process tree that ends sooner is still found at the
# end (same session, or COURSE_RUN_ID in its environment), and trivial runs stay cheap.
FIRST_POLL = 0.1
_BOOT_DIR = Path(__file__).resolve().parent / "_boot"
_HELPERS_DIR = Path(__file__).resolve().parent.parent
_REPO_ROOT = _HELPERS_DIR.parent


@dataclass(frozen=True)
class OutputLine:
    """One whole line a process of the program printed."""

    t: float  # seconds since the program started
    pid: int
    name: str  # multiprocessing process name, "MainProcess" for the main program
    stream: str  # "stdout" or "stderr"
    text: str

    def format(self) -> str:
        """``[name pid N] text`` (stderr lines: ``[name pid N stderr] text``)."""
        tag = f"{self.name} pid {self.pid}" + (" stderr" if self.stream == "stderr" else "")
        return f"[{tag}] {self.text}"


class ProgramNotFoundError(FileNotFoundError):
    """The script to run does not exist (neither in .programs/ nor in cwd)."""


class ProgramError(subprocess.CalledProcessError):
    """A program run that failed: non-zero exit, timeout or interruption."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.returncode, result.args, result.stdout, result.stderr)
        self.result = result

    _HEADS = {
        "timed out": "程序 {name} 超时（timeout）：运行 {r.duration:.2f} s 后被终止。",
        "interrupted": "程序 {name} 被中断（interrupted），运行了 {r.duration:.2f} s。",
        "exit": "程序 {name} 运行失败：退出码（exit code）{r.returncode}。",
    }

    def __str__(self) -> str:
        r = self.result
        name = Path(r.args[2]).name if len(r.args) > 2 else "program"
        head = self._HEADS[r.ending].format(name=name, r=r)
        tail = [line.format() for line in r.output if line.stream == "stderr"][-8:]
        parts = [head] + (["最后的错误输出："] + tail if tail else [])
        parts += [f"提示：{h.title}" for h in r.hints]
        return "\n".join(parts)


@dataclass
class RunResult:
    """What happened when a program ran; shaped like subprocess.CompletedProcess."""

    args: list[str]
    returncode: int
    output: list[OutputLine] = field(default_factory=list)
    duration: float = 0.0
    timed_out: bool = False
    interrupted: bool = False
    leftovers: list[int] = field(default_factory=list)
    exitcodes: dict[int, int | None] = field(default_factory=dict)
    processes: int = 1
    pid: int = 0
    start_method: str = ""
    trace: Trace | None = None
    hints: list[Hint] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        """Everything printed on stdout by every process, without the ``[name pid N]`` tags."""
        return "".join(line.text + "\n" for line in self.output if line.stream == "stdout")

    @property
    def stderr(self) -> str:
        """Everything printed on stderr by every process, without tags."""
        return "".join(line.text + "\n" for line in self.output if line.stream == "stderr")

    def lines(self, name: str | None = None, stream: str | None = None) -> list[str]:
        """Texts of the output lines, optionally only those of one process name / stream."""
        return [line.text for line in self.output
                if (name is None or line.name == name) and (stream is None or line.stream == stream)]

    @property
    def ending(self) -> str:
        """How the run ended: ``"timed out"``, ``"interrupted"`` or ``"exit"`` (by itself)."""
        return "timed out" if self.timed_out else "interrupted" if self.interrupted else "exit"

    def summary(self) -> str:
        """One line, e.g. ``exit 0 · 3 processes · 2.03 s``."""
        code = f"exit {self.returncode}"
        parts = [code if self.ending == "exit" else f"{self.ending} ({code})",
                 _plural(self.processes, "process"), f"{self.duration:.2f} s"]
        if self.leftovers:
            parts.append(f"killed {_plural(len(self.leftovers), 'leftover process')}")
        return " · ".join(parts)

    def check_returncode(self) -> None:
        """Raise ProgramError if the program failed, timed out or was interrupted."""
        if self.returncode != 0 or self.timed_out or self.interrupted:
            raise ProgramError(self)

    def __repr__(self) -> str:
        return f"RunResult({self.summary()})"


def _plural(n: int, noun: str) -> str:
    """``1 process``, ``3 processes``."""
    return f"{n} {noun}{'es' if n != 1 else ''}"


def run_script(path: str | os.PathLike[str], *args: object, start_method: str | None = None,
               cwd: str | os.PathLike[str] | None = None, timeout: float | None = 30.0,
               trace: bool = True, echo: bool = True, env: dict[str, str] | None = None,
               raise_on_interrupt: bool = False, show_hints: bool = True) -> RunResult:
    """Run ``python -u path args`` as a real program and return a RunResult.

        result = run_script("demo.py", start_method="spawn", timeout=10)
        print(result.summary())
        result.check_returncode()

    The program runs in a new session with ``start_method`` as its default multiprocessing
    context (see helpers.run.startmethods.resolve). With ``echo`` its output and its children's
    appear live as ``[name pid N] text``. Whatever happens (normal exit, error, timeout, the
    Stop button), every process it started is killed and reaped before this returns. ``path``
    is found by ``find_program`` (a bare name: ``cwd/.programs/`` first, then ``cwd``). With
    ``echo`` and ``show_hints``, hints (see helpers.explain) are printed after the output. The
    Stop button (KeyboardInterrupt) gives a result with ``interrupted=True`` unless
    ``raise_on_interrupt``.
    """
    method = startmethods.resolve(start_method)
    _precompile_bootstrap()
    workdir = Path(cwd) if cwd is not None else Path.cwd()
    script = find_program(path, workdir)
    cache_key = None
    if RUN_CACHE is not None:
        cache_key = _run_key(script, args, method, timeout, trace, env)
        if not RUN_CACHE_RECORD and cache_key in RUN_CACHE:
            return pickle.loads(RUN_CACHE[cache_key])
    private = _private_copy(script) if PLANTED_FILE_GUARD else None
    run_id = uuid.uuid4().hex
    trace_dir = tempfile.mkdtemp(prefix="course-trace-") if trace else None
    cmd = [sys.executable, "-u", str(private or script), *map(str, args)]
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=workdir, env=_child_env(env, run_id, method, trace_dir),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **_session_kwargs())
    except BaseException:
        if trace_dir:
            shutil.rmtree(trace_dir, ignore_errors=True)
        if private:
            shutil.rmtree(private.parent, ignore_errors=True)
        raise
    try:
        run = _Run(proc, t0, echo, run_id)
    except BaseException:  # could not even start watching it: do not leave it running
        proc.kill()
        proc.wait()
        raise
    timed_out = interrupted = False
    try:
        try:
            timed_out = run.wait(timeout)
        except KeyboardInterrupt:
            interrupted = True
    finally:
        if (timed_out or interrupted) and trace_dir:
            _mark_stopped(trace_dir, proc.pid, "timeout" if timed_out else "interrupt")
        try:
            leftovers = run.finish(grace=0.0 if (timed_out or interrupted) else 0.3)
        except KeyboardInterrupt:  # Stop pressed twice: finish the cleanup anyway, fast
            interrupted = True
            leftovers = run.finish(grace=0.0)
        finally:
            if private:
                shutil.rmtree(private.parent, ignore_errors=True)
    result = RunResult(args=cmd, returncode=proc.returncode if proc.returncode is not None else -9,
                       output=run.output, duration=time.monotonic() - t0, timed_out=timed_out,
                       interrupted=interrupted, leftovers=leftovers, pid=proc.pid,
                       start_method=method)
    result.trace = _load_trace(trace_dir)
    result.exitcodes, result.processes = _exitcodes_and_count(result, run.tree)
    result.hints = explain(result.stderr)
    if timed_out and result.trace is not None:
        result.hints += explain_hang(result.trace)
    if result.trace is not None:
        result.hints += explain_trace(result.trace)
    if echo and show_hints and result.hints:
        print(format_hints(result.hints), flush=True)
    if interrupted and raise_on_interrupt:
        raise KeyboardInterrupt
    if cache_key is not None and RUN_CACHE_RECORD and RUN_CACHE is not None:
        RUN_CACHE[cache_key] = pickle.dumps(result)
    return result


# Set by the trusted grading runner (helpers/grading/runner.py --trusted), against files an
# earlier (student) program planted for a later test's program: each program runs from a copy in
# a folder made for that run, and COURSE_STDLIB_FIRST makes every process of it import standard-
# library modules from the standard library only (a multiprocessing.py in the working folder
# would otherwise shadow the real one in spawn children and the fork server, started with -c).
PLANTED_FILE_GUARD = False


# Runs of the course's own programs, shared by every submission of one grading command: the
# trusted runner of a value task's test (whose programs are the course's, e.g. ch04 task 3 runs
# ch04_task3.py under each start method to check the prediction) records them once in a session
# without student code, and the sessions of the students replay them (helpers/grading/runner.py,
# "runs" steps). Key: program name and text, arguments, start method, timeout, trace, env.
RUN_CACHE: dict[str, bytes] | None = None
RUN_CACHE_RECORD = False


def _run_key(script: Path, args: tuple, method: str, timeout: float | None, trace: bool,
             env: dict[str, str] | None) -> str:
    digest = hashlib.sha256()
    for part in (script.name, script.read_bytes(), repr([str(a) for a in args]), method, repr(timeout),
                 repr(trace), repr(sorted((env or {}).items()))):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _private_copy(script: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="course-program-"))
    target = folder / script.name
    shutil.copyfile(script, target)
    return target


def run_code(source: str, *args: object, name: str = "program.py", **kwargs: Any) -> RunResult:
    """Write ``source`` to ``.programs/<name>`` under ``cwd`` and run it with run_script.

        result = run_code("print('hi')", timeout=5)
    """
    workdir = Path(kwargs.get("cwd") or Path.cwd())
    target = write_program(name, source, workdir)
    return run_script(target, *args, **kwargs)


def write_program(name: str, source: str, cwd: str | os.PathLike[str] | None = None) -> Path:
    """Write a program to ``<cwd>/.programs/<name>`` (creating the folder); return its path."""
    if not name or Path(name).name != name:
        raise ValueError(f"程序名（program name）只能是文件名，不能带目录：{name!r}")
    folder = Path(cwd if cwd is not None else Path.cwd()) / PROGRAMS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    text = textwrap.dedent(source)
    try:  # already there (e.g. written read-only by the grader): nothing to write
        if target.read_text(encoding="utf-8").rstrip("\n") == text.rstrip("\n"):
            return target
    except (OSError, UnicodeDecodeError):
        pass
    target.write_text(text, encoding="utf-8")
    return target


# ----------------------------------------------------------------------------- internals

def find_program(path: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None) -> Path:
    """The one rule for which file a program name means (the launcher and the graders use it).

    A bare name (``"tickets.py"``) is what a ``%%program`` cell wrote: ``<cwd>/.programs/NAME``,
    else ``<cwd>/NAME``. A path with a folder in it, or an absolute one, is taken as it is
    (relative to ``cwd``). Raises ProgramNotFoundError (a FileNotFoundError) when there is none.
    """
    given = Path(path)
    workdir = Path(cwd) if cwd is not None else Path.cwd()
    candidates = [workdir / given]
    if not given.is_absolute() and len(given.parts) == 1:
        candidates.insert(0, workdir / PROGRAMS_DIR / given)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ProgramNotFoundError(
        f"找不到程序文件 {str(given)!r}（在 {workdir / PROGRAMS_DIR} 和 {workdir} 中都没有）。"
        "先用 %%program 写入它，或检查文件名。")


_BOOTSTRAP_FILES = (_BOOT_DIR / "sitecustomize.py", _HELPERS_DIR / "settings.py",
                    _HELPERS_DIR / "events.py", _HELPERS_DIR / "run" / "childio.py",
                    _HELPERS_DIR / "trace" / "recorder.py")
_precompiled = False


def _precompile_bootstrap() -> None:
    """Write .pyc files for what every program process loads at start-up.

    With PYTHONDONTWRITEBYTECODE set (common in containers and CI) Python would recompile
    them in every process, which costs more than the rest of the bootstrap together.
    Python still *reads* .pyc files then, and checks them against the source's mtime.
    """
    global _precompiled
    if _precompiled:
        return
    import importlib.util
    import py_compile

    for source in _BOOTSTRAP_FILES:
        if not source.exists():
            continue
        cached = Path(importlib.util.cache_from_source(str(source)))
        try:
            if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
                py_compile.compile(str(source), cfile=str(cached), doraise=True)
        except (OSError, py_compile.PyCompileError):
            continue  # read-only install: programs just compile it themselves
    _precompiled = True


# Jupyter kernels export FORCE_COLOR=1 and CLICOLOR_FORCE=1 (ipykernel's init_environment) and
# Python 3.13 colours tracebacks when FORCE_COLOR is set, even into a pipe. A program's output is
# data here (parsed by the checks and the explanations, compared by nbval), so programs run
# without colour unless the caller's ``env`` asks for it; any escape codes that still arrive are
# removed by _strip_ansi. Colour belongs to the display (stderr lines are shown in red).
_NO_COLOUR = {"PYTHON_COLORS": "0", "NO_COLOR": "1"}
_FORCING_COLOUR = ("FORCE_COLOR", "CLICOLOR_FORCE")
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def _strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences (colours, cursor moves, titles)."""
    return _ANSI_ESCAPE.sub("", text) if "\x1b" in text else text


def _child_env(extra: dict[str, str] | None, run_id: str, method: str,
               trace_dir: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for name in _FORCING_COLOUR:
        env.pop(name, None)
    env.update(_NO_COLOUR)
    env.update(extra or {})
    paths = [str(_BOOT_DIR), str(_REPO_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env[settings.RUN_ID.name] = run_id
    env[settings.START_METHOD.name] = method
    if trace_dir:
        env[settings.TRACE_DIR.name] = trace_dir
    else:
        env.pop(settings.TRACE_DIR.name, None)
    if PLANTED_FILE_GUARD:
        env[settings.STDLIB_FIRST.name] = "1"
    return env


def _session_kwargs() -> dict[str, Any]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


class _Run:
    """The running program: its reader threads, its output queue and its process tree."""

    _EOF = object()
    _EXITED = object()

    def __init__(self, proc: subprocess.Popen[bytes], t0: float, echo: bool, run_id: str) -> None:
        self.proc, self.t0, self.echo = proc, t0, echo
        self.output: list[OutputLine] = []
        self.tree = ProcessTree(proc.pid, run_id)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._eofs = 0
        self._readers = [
            threading.Thread(target=self._read, args=(stream, name), daemon=True,
                             name=f"course-reader-{name}")
            for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))]
        # A waiter thread wakes the main loop the moment the main process exits, even while
        # a leftover child still holds the output pipes open.
        self._waiter = threading.Thread(target=self._wait_exit, daemon=True,
                                        name="course-waiter")
        for thread in (*self._readers, self._waiter):
            thread.start()

    def _wait_exit(self) -> None:
        try:
            self.proc.wait()
        finally:
            self._queue.put(self._EXITED)

    def _read(self, stream: Any, name: str) -> None:
        parser = FrameParser(self.proc.pid)
        fd = stream.fileno()
        put = self._queue.put
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            lines = parser.feed(data) if data else parser.close()
            now = time.monotonic() - self.t0
            for pid, pname, text in lines:
                put(OutputLine(now, pid, pname, name, _strip_ansi(text)))
            if not data:
                put(self._EOF)
                return

    def wait(self, timeout: float | None) -> bool:
        """Show output until the main process exits; True if the timeout struck first."""
        deadline = None if timeout is None else self.t0 + timeout
        next_poll = self.t0 + FIRST_POLL
        while self.proc.poll() is None:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return True
            if now >= next_poll:
                self.tree.poll()
                next_poll = now + POLL_INTERVAL
            wait_for = min(next_poll - now, (deadline - now) if deadline else POLL_INTERVAL)
            self._drain(max(wait_for, 0.001))
        return False

    def _drain(self, block: float | None) -> None:
        """Take queued lines (waiting up to ``block`` s for the first) and print them."""
        items = []
        try:
            items.append(self._queue.get(timeout=block) if block else self._queue.get_nowait())
            while True:
                items.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        lines = [item for item in items if isinstance(item, OutputLine)]
        self.output.extend(lines)
        if self.echo and lines:
            _echo(lines)
        self._eofs += sum(item is self._EOF for item in items)

    def finish(self, grace: float) -> list[int]:
        """Kill and reap every process of the run, collect the rest of the output."""
        leftovers = self.tree.kill_all(grace)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent already
            self.proc.kill()
            self.proc.wait(timeout=5)
        deadline = time.monotonic() + 3.0
        while self._eofs < len(self._readers) and time.monotonic() < deadline:
            self._drain(0.05)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return leftovers


def _echo(lines: Sequence[OutputLine]) -> None:
    """Print lines into the cell, grouped by stream so each group is one write."""
    group: list[str] = []
    current = lines[0].stream
    for line in [*lines, None]:
        if line is None or line.stream != current:
            target = sys.stderr if current == "stderr" else sys.stdout
            target.write("".join(group))
            target.flush()
            if line is None:
                return
            group, current = [], line.stream
        group.append(line.format() + "\n")


def _mark_stopped(trace_dir: str, pid: int, why: str) -> None:
    """Record, on the tracer's clock, the moment the launcher stopped the run (before killing it).

    Without it a process stuck in a wait would seem to end at its last event; with it the chart
    shows the wait lasting until the run was stopped. Appended to the main process's own file.
    """
    path = os.path.join(trace_dir, f"events-{pid}.log")
    if not os.path.exists(path):
        return
    try:
        with open(path, "ab") as fh:  # O_APPEND: one whole line, like the recorder's writes
            fh.write(f"{time.perf_counter_ns()}\t{EventKind.STOPPED.value}\t\twhy={why}\n".encode())
    except OSError:
        pass


def _load_trace(trace_dir: str | None) -> Trace | None:
    if trace_dir is None:
        return None
    try:
        try:
            return Trace.load(trace_dir)
        except (OSError, ValueError):
            return None
    finally:
        # Deleting files costs milliseconds on some file systems: do it off the critical path.
        threading.Thread(target=shutil.rmtree, args=(trace_dir,), kwargs={"ignore_errors": True},
                         daemon=True, name="course-trace-cleanup").start()


def _exitcodes_and_count(result: RunResult, tree: ProcessTree) -> tuple[dict[int, int | None], int]:
    """Exit code of every process of the run (trace + launcher) and how many processes ran."""
    infos = result.trace.processes if result.trace is not None else []
    # A helper process is known by its command line (the tree) or by its own boot event (the
    # trace). Either alone can miss it: the tree may only have seen it between fork and exec,
    # when it still shows its parent's command line; the trace misses helpers that died early.
    helpers = tree.helper_pids() | (result.trace.helper_pids if result.trace is not None else set())
    codes: dict[int, int | None] = {i.pid: i.exitcode for i in infos if i.pid not in helpers}
    codes[result.pid] = result.returncode
    pids = set(codes) | {line.pid for line in result.output} | tree.seen_pids()
    return codes, max(len(pids - helpers), 1)

