"""``python3 course.py autograde chNN [--jobs N] [--student ID ...]``: grade a whole class.

Design (threat model and what is out of scope: docs/grading.md)::

    source/chNN/*.ipynb (trusted)      submitted/<id>/chNN/*.ipynb (untrusted, only read as JSON)
        │ tasks: solution cells → test cell (points, hidden tests)        │ solution cells by grade id
        ▼                                                                  ▼
    plan per submission ─────────────────────────────────────────────────────────────────────
      untrusted session (sandbox): setup + the student's non-program cells; reports the values
          of value tasks as repr text (parsed here with ast.literal_eval: plain data only) and
          runs the test cells of function tasks (the checks call the student's functions)
      trusted session per start method (sandbox, fresh): setup + the test cells from source/,
          values injected as literals, programs written here from the %%program cells' text;
          student code runs only as the programs the checks launch (separate processes)
      a kernel that dies or hangs (also ignoring SIGINT) costs only the step it was in: the
      session is killed (every process in its PID namespace) and restarted for the next task
    ─────────────────────────────────────────────────────────────────────────────────────────
    main thread: gradebook rows (nbgrader's Gradebook API), autograded/<id>/chNN/*.ipynb,
                 feedback/<id>/chNN/*.html (no hidden test source), grades/chNN/grades.csv,
                 grades/chNN/scores.png, a summary per student

The command never regenerates or deletes release/: a missing gradebook entry is made by
``nbgrader generate_assignment`` in a temporary copy of the course that writes to this gradebook.
"""
from __future__ import annotations

import argparse
import ast
import copy
import csv
import json
import os
import queue
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from helpers.grading.feedback import feedback_html
from helpers.grading.runner import MAX_VALUE, PROGRAM_LINE, program_name, stdlib_exception

from helpers.grading.sandbox import Sandbox

RUNNER = Path(__file__).resolve().with_name("runner.py")
CELL_TIMEOUT = 30.0          # seconds per cell (nbgrader_config.py's Execute.timeout)
BUDGET = 300.0               # wall-clock seconds per submission
START_METHODS = ("fork", "spawn", "forkserver")
# Program tasks are graded under one start method unless the TA asks for more: forkserver (the
# default on Linux from Python 3.14), which like spawn (macOS, Windows) starts children without
# the parent's memory, so the classic mistakes (state set up only in the main block, a lock
# created at module level) fail; tests whose lesson is another method name it themselves
# (run_task(..., start_method="fork"), e.g. ch04 tasks 3-4, ch08 task 2). `--start-methods all`
# grades under every method this OS has: about 2-3x the CPU (see benchmarks/bench_grading.py).
DEFAULT_START_METHODS = ("forkserver", "spawn")  # the first one this OS has
SOLUTION_MARK = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.M)


class GradingError(RuntimeError):
    """A TA mistake (unknown assignment, no submissions ...): one clear line, no traceback."""


# ============================================================================ the assignment
@dataclass
class Task:
    index: int
    grade_id: str                  # the test cell
    points: float
    solutions: list[str]           # grade ids of its solution cells
    kind: str = "function"         # program | value | call | process | function
    names: list[str] = field(default_factory=list)      # value tasks: the names the student assigns
    programs: dict[str, str] = field(default_factory=dict)  # solution grade id -> program file name
    defs: list[str] = field(default_factory=list)  # call and process tasks: the functions the student defines


@dataclass
class NotebookPlan:
    name: str                      # ch04.ipynb
    source: dict                   # the source notebook (nbformat node)
    tasks: list[Task]
    context: list[str]             # grade ids of locked code cells that are neither tests nor solutions

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tasks)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _strip_marks(source: str) -> str:
    return SOLUTION_MARK.sub("", source)


def _statements(source: str) -> list[ast.stmt] | None:
    """The top-level statements of a solution cell (its solution marks removed); None if it
    does not parse."""
    try:
        return ast.parse(_strip_marks(source)).body
    except SyntaxError:
        return None


def _is_constant(node: ast.expr) -> bool:
    """A literal, arithmetic on numbers (``60 * 0.1 / 4``), or a dotted name (``queue.Empty``:
    the grader asks for the student's value, which must then be plain data or a standard
    exception class)."""
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, RecursionError):
        pass
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div,
                                                           ast.FloorDiv, ast.Mod, ast.Pow)):
        return _is_constant(node.left) and _is_constant(node.right) and not _is_name(node.left) \
            and not _is_name(node.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_constant(node.operand) and not _is_name(node.operand)
    return _is_name(node)


def _is_name(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _literal_names(source: str) -> list[str] | None:
    """Names assigned by a solution that is only ``name = <constant>`` statements (after imports),
    else None."""
    body = _statements(source)
    if body is None:
        return None
    names = []
    for node in body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            targets = [t.id for t in node.targets]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets = [node.target.id]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        else:
            return None
        if not _is_constant(node.value):
            return None
        names += [n for n in targets if n not in names]
    return names or None


def plan_notebook(path: Path) -> NotebookPlan:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    tasks: list[Task] = []
    pending: list[str] = []
    context: list[str] = []
    for cell in nb.cells:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if meta.get("solution") and cell.cell_type == "code":
            pending.append(gid)
        elif meta.get("grade") and cell.cell_type == "code":
            tasks.append(Task(len(tasks) + 1, gid, float(meta.get("points") or 0), pending))
            pending = []
        elif cell.cell_type == "code":
            context.append(gid)
    by_id = {_meta(c).get("grade_id"): c for c in nb.cells}
    for task in tasks:
        sources = [by_id[g].source for g in task.solutions]
        first_lines = [s.lstrip().splitlines()[0] if s.strip() else "" for s in sources]
        if sources and all(PROGRAM_LINE.match(line) for line in first_lines):
            task.kind = "program"
            task.programs = {g: program_name(PROGRAM_LINE.match(line).group(1))
                             for g, line in zip(task.solutions, first_lines)}
        else:
            names = [_literal_names(s) for s in sources]
            if sources and all(n for n in names):
                task.kind = "value"
                task.names = [x for n in names for x in n]
            else:
                defs = [d for s in sources for d in (_function_names(s) or [])]
                only_defs = bool(defs) and all(_function_names(s) is not None for s in sources)
                test_source = by_id[task.grade_id].source
                if only_defs and ISOLATE_CALL in test_source:
                    task.kind = "process"
                    task.defs = defs
                elif only_defs and _computes_only(test_source):
                    task.kind = "call"
                    task.defs = defs
    return NotebookPlan(path.name, nb, tasks, context)


# A test cell that says `with separate_process() as proc:` compares the function's answer with the
# process it ran in (helpers.grading.isolate): the trusted runner starts that process.
ISOLATE_CALL = "separate_process("

# A test cell that uses one of these looks at processes (pids, children, signals, time): the
# student's function must run in the same process as the checks, so it stays a function task.
PROCESS_NAMES = {"os", "psutil", "subprocess", "signal", "sys", "time", "multiprocessing", "threading",
                 "run_task", "helpers"}


def _function_names(source: str) -> list[str] | None:
    """The functions a solution cell defines at top level, if it is only imports and defs."""
    body = _statements(source)
    if body is None:
        return None
    names = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif not isinstance(node, (ast.Import, ast.ImportFrom, ast.Expr)):
            return None
    return names


def _computes_only(test_source: str) -> bool:
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return False
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return not (used & PROCESS_NAMES)


# ============================================================================ one session
@dataclass
class Step:
    id: str
    source: str
    state: bool = False            # replayed when the session restarts (setup, solutions)
    inject: dict[str, str] = field(default_factory=dict)
    snapshot: list[str] = field(default_factory=list)
    proxies: list[str] = field(default_factory=list)
    call: dict | None = None
    isolate: dict | None = None
    runs: dict | None = None


@dataclass
class StepResult:
    ok: bool
    ename: str = ""
    evalue: str = ""
    output: str = ""
    values: dict = field(default_factory=dict)
    problem: str = ""              # kernel died / hung / time budget (Chinese + English)
    seconds: float = 0.0
    runs: dict = field(default_factory=dict)  # recorded program runs (course-run warm-up)


class Session:
    """Runs steps in runner processes in the sandbox; a dead or hung runner costs one step."""

    def __init__(self, box: Sandbox, slot: int, workdir: Path, make_scratch, trusted: bool,
                 env: dict[str, str], deadline: float, cell_timeout: float) -> None:
        self.box, self.slot, self.workdir = box, slot, workdir
        self.make_scratch, self.trusted, self.env = make_scratch, trusted, env
        self.deadline, self.cell_timeout = deadline, cell_timeout
        self.proc: subprocess.Popen | None = None
        self.tag = ""
        self.cgroup: str | None = None
        self.buffer = b""
        self.leftovers: list[int] = []
        self.restarts = 0
        self.replay: list[Step] = []
        self.call_handler = None          # trusted sessions: forwards a proxy's call, returns the answer
        self.lock = threading.Lock()
        self.calls = 0

    # -- process handling
    def _start(self) -> bool:
        scratch = self.make_scratch()
        # trusted sessions: the programs are the grader's, read-only to everything in the sandbox
        readonly = sorted((scratch / ".programs").glob("*")) if self.trusted else []
        self.box.prepare_scratch(scratch, self.slot, readonly=readonly)
        self.tag = "course-autograde-" + uuid.uuid4().hex
        self.cgroup = self.box.new_cgroup()
        argv = [sys.executable, "-I", str(RUNNER)] + (["--trusted"] if self.trusted else [])
        self.proc = self.box.start(argv, scratch, self.slot, tag=self.tag, extra_env=self.env,
                                   cgroup=self.cgroup, readonly=readonly)
        self.buffer = b""
        reply = self._read(min(60.0, max(1.0, self.deadline - time.monotonic())))
        return isinstance(reply, dict) and reply.get("ready") is True

    def _stop(self) -> None:
        if self.proc is not None or self.tag:
            self.leftovers += self.box.kill(self.proc, self.tag, self.cgroup)
        self.proc, self.tag, self.cgroup = None, "", None

    def _read(self, timeout: float):
        """One JSON reply, or "dead" (EOF) or "hung" (timeout)."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = end - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return "hung"
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return "dead"
                self.buffer += chunk
                if len(self.buffer) > 8 << 20:
                    return "dead"
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return "dead"

    def _write(self, payload: dict) -> bool:
        try:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(payload) + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, AssertionError):
            return False

    def _send(self, step: Step, quiet: bool = False):
        payload = {"id": step.id, "source": step.source, "inject": step.inject,
                   "snapshot": step.snapshot, "quiet": quiet, "proxies": step.proxies}
        if step.call is not None:
            payload["call"] = step.call
        if step.isolate is not None:
            payload["isolate"] = step.isolate
        if step.runs is not None:
            payload["runs"] = step.runs
        if not self._write(payload):
            return "dead"
        end = min(time.monotonic() + self.cell_timeout, self.deadline)
        while True:
            reply = self._read(max(0.0, end - time.monotonic()))
            if isinstance(reply, dict) and "call" in reply and self.call_handler is not None:
                answer = self.call_handler(reply["call"])
                if not self._write(answer):
                    return "dead"
                continue
            return reply

    def call(self, call: dict) -> dict:
        """Untrusted session kept open: call one of the student's functions (data in, data out)."""
        with self.lock:
            self.calls += 1
            if self.proc is None and not self._start_with(self.replay):
                self._stop()
                return {"raise": ["RuntimeError", "评分用的进程没能启动，没能调用你的函数"]}
            reply = self._send(Step(f"call:{self.calls}", "", call=call))
            if isinstance(reply, dict) and isinstance(reply.get("answer"), dict):
                return reply["answer"]
            self._stop()
            what = "超过了时间限制（timeout）" if reply == "hung" else "让运行它的进程退出了（kernel died）"
            return {"raise": ["RuntimeError", f"调用 {call.get('name')}() 时你的代码{what}"]}

    # -- the steps
    def run(self, steps: list[Step], keep_open: bool = False) -> dict[str, StepResult]:
        results: dict[str, StepResult] = {}
        replay = self.replay
        i = 0
        finished = False
        try:
            while i < len(steps):
                if time.monotonic() >= self.deadline:
                    for step in steps[i:]:
                        results[step.id] = StepResult(False, problem="budget")
                    break
                if self.proc is None:
                    if not self._start_with(replay):
                        results[steps[i].id] = StepResult(False, problem="no-start")
                        self._stop()
                        i += 1
                        continue
                step = steps[i]
                t0 = time.monotonic()
                reply = self._send(step)
                seconds = time.monotonic() - t0
                if isinstance(reply, dict) and reply.get("id") == step.id:
                    results[step.id] = StepResult(bool(reply.get("ok")), str(reply.get("ename", "")),
                                                  str(reply.get("evalue", "")), str(reply.get("output", "")),
                                                  reply.get("values") or {}, "", seconds,
                                                  reply.get("runs") if isinstance(reply.get("runs"), dict) else {})
                    if step.state:
                        replay.append(step)
                else:
                    problem = "hung" if reply == "hung" else "dead"
                    if problem == "hung" and time.monotonic() >= self.deadline - 0.05:
                        problem = "budget"
                    results[step.id] = StepResult(False, problem=problem, seconds=seconds)
                    self._stop()
                    self.restarts += 1
                i += 1
            finished = True
        finally:
            if not (keep_open and finished):
                self._close()
        return results

    def _close(self) -> None:
        """End of the steps: let the runner exit by itself (its CPU time is then accounted to
        the grader, and it reaps what it started), then kill whatever is left."""
        if self.proc is not None and self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def _start_with(self, replay: list[Step]) -> bool:
        if not self._start():
            return False
        for step in replay:
            reply = self._send(step, quiet=True)
            if not isinstance(reply, dict):
                return False
        return True


# ============================================================================ one submission
PROBLEM_TEXT = {
    "dead": "运行这个单元格的进程退出了（kernel died，例如 os._exit、被杀死或内存用尽），这个任务记 0 分；其他任务照常评分。",
    "hung": "这个单元格超过了时间限制（{timeout:.0f} 秒，cell timeout），被强制结束，这个任务记 0 分；其他任务照常评分。",
    "budget": "这份作业的总评分时间（{budget:.0f} 秒）用完了，这个单元格没有运行，记 0 分。",
    "no-start": "评分用的进程没能启动（grading kernel did not start），这个单元格没有运行。",
    "not-program": ("这个任务的答案单元格必须只是一个 `%%program {name}` 单元格：第一行是 `%%program {name}`，"
                    "下面是完整的程序。评分时只看这个程序，所以这个任务记 0 分。"),
    "not-literal": ("评分时 `{name}` 必须是普通数据（数字、字符串、列表、字典、集合、元组、True/False/None 组成的值）"
                    "或标准库里的异常类（例如 `ValueError`、`queue.Empty`），而不是函数、对象或别的东西；请直接把值写出来。"),
    "missing-value": "评分时找不到变量 `{name}`：答案单元格运行后没有定义它（或运行时出错了）。",
}
PROBLEM_SHORT = {"dead": "kernel died", "hung": "cell timeout", "budget": "time budget used up",
                 "no-start": "kernel did not start", "not-program": "answer is not a %%program cell",
                 "not-literal": "value is not plain data", "missing-value": "value missing"}


@dataclass
class TaskGrade:
    task: Task
    score: float
    messages: list[str] = field(default_factory=list)     # Chinese, shown to the student
    problems: list[str] = field(default_factory=list)     # short English, for the TA summary
    output: str = ""


@dataclass
class SubmissionResult:
    student: str
    notebooks: dict[str, list[TaskGrade]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    graded_nbs: dict[str, dict] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    leftovers: list[int] = field(default_factory=list)
    seconds: float = 0.0
    timestamp: str | None = None

    @property
    def score(self) -> float:
        return sum(g.score for grades in self.notebooks.values() for g in grades)


class Grader:
    def __init__(self, course: Path, assignment: str, box: Sandbox, start_methods: list[str],
                 cell_timeout: float = CELL_TIMEOUT, budget: float = BUDGET) -> None:
        self.course, self.assignment, self.box = course, assignment, box
        self.start_methods = start_methods
        self.cell_timeout, self.budget = cell_timeout, budget
        self.plans = [plan_notebook(p) for p in sorted((course / "source" / assignment).glob("*.ipynb"))]
        self.work = Path(tempfile.mkdtemp(prefix=f"course-autograde-{assignment}-"))
        self._course_runs: dict[tuple[str, str], dict[str, str]] = {}
        self._runs_lock = threading.Lock()
        os.chmod(self.work, 0o711)

    def close(self) -> None:
        _rmtree(self.work)

    def course_runs(self, plan: NotebookPlan, method: str, slot: int) -> dict[str, str]:
        """The runs of the course's own programs in value tasks' tests (e.g. ch04 task 3 runs
        ch04_task3.py under each start method), recorded once per notebook and start method in
        a trusted session that gets the source's answers and no student code; the students'
        trusted sessions replay them instead of running the same programs again. Empty (no
        replay, every run is real) when that session fails."""
        key = (plan.name, method)
        with self._runs_lock:
            if key in self._course_runs:
                return self._course_runs[key]
            cells = {_meta(c).get("grade_id"): c for c in plan.source.cells}
            steps = [Step(f"ctx:{gid}", cells[gid].source, state=True) for gid in plan.context]
            for task in plan.tasks:
                values = _answer_literals(task, {g: cells[g].source for g in task.solutions}) \
                    if task.kind == "value" else None
                if values is not None:
                    steps.append(Step(f"test:{task.grade_id}", cells[task.grade_id].source, inject=values,
                                      runs={"record": True, "cache": {}}))
            recorded: dict[str, str] = {}
            if len(steps) > len(plan.context):
                home = self.work / f"course-runs-{uuid.uuid4().hex[:8]}"
                home.mkdir()
                programs = _context_programs(plan)

                def scratch() -> Path:
                    folder = home / "scratch"
                    (folder / ".programs").mkdir(parents=True, exist_ok=True)
                    for name, text in programs.items():
                        (folder / ".programs" / name).write_text(text, encoding="utf-8")
                    return folder

                env = {"COURSE_START_METHOD": method} if method else {}
                deadline = time.monotonic() + self.budget
                session = Session(self.box, slot, home, scratch, True, env, deadline, self.cell_timeout)
                try:
                    for r in session.run(steps).values():
                        if r.ok and not r.problem:
                            recorded.update({k: v for k, v in r.runs.items() if isinstance(v, str)})
                finally:
                    _rmtree(home)
            self._course_runs[key] = recorded
            return recorded

    # ------------------------------------------------------------------ one student
    def grade(self, student: str, slot: int) -> SubmissionResult:
        import nbformat

        t0 = time.monotonic()
        result = SubmissionResult(student)
        folder = self.course / "submitted" / student / self.assignment
        stamp = folder / "timestamp.txt"
        if stamp.is_file():
            result.timestamp = stamp.read_text(encoding="utf-8", errors="replace").strip()[:64] or None
        deadline = time.monotonic() + self.budget
        home = self.work / f"{student}-{uuid.uuid4().hex[:6]}"
        home.mkdir()
        try:
            for plan in self.plans:
                path = folder / plan.name
                try:
                    submitted = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
                except FileNotFoundError:
                    result.problems.append(f"{plan.name} missing in submitted/{student}/{self.assignment}/")
                    submitted = None
                except Exception as exc:
                    result.problems.append(f"{plan.name} is not a notebook ({type(exc).__name__}: "
                                           f"{str(exc).splitlines()[0][:120] if str(exc) else ''})")
                    submitted = None
                answers = {}
                if submitted is not None:
                    for cell in submitted.get("cells", []):
                        meta = _meta(cell)
                        if meta.get("solution") and meta.get("grade_id") and isinstance(cell.get("source"), str):
                            answers.setdefault(meta["grade_id"], cell["source"])
                grades, nb = self._grade_notebook(plan, answers, submitted is not None, folder, home, slot,
                                                  deadline, result)
                result.notebooks[plan.name] = grades
                result.graded_nbs[plan.name] = nb
                result.feedback[plan.name] = feedback_html(nb, grades, plan, self.assignment, student)
        finally:
            _rmtree(home)
        result.seconds = time.monotonic() - t0
        return result

    def _grade_notebook(self, plan: NotebookPlan, answers: dict[str, str], present: bool, folder: Path,
                        home: Path, slot: int, deadline: float, result: SubmissionResult):
        source_cells = {_meta(c).get("grade_id"): c for c in plan.source.cells}
        grades = {t.grade_id: TaskGrade(t, t.points) for t in plan.tasks}
        outputs: dict[str, str] = {}
        if not present:
            for g in grades.values():
                g.score = 0.0
            return list(grades.values()), self._graded_notebook(plan, answers, grades, outputs)

        # --- runs of the course's own programs, recorded once per grading command (before any
        # student code of this job's sandbox user runs, so nothing of a student can touch them)
        course_cache = (self.course_runs(plan, self.start_methods[0] if self.start_methods else "", slot)
                        if any(t.kind == "value" for t in plan.tasks) else {})

        # --- the programs, from the text of the %%program cells (the course's own from its
        # locked cells too: a trusted session gets them all in a folder it cannot write, so a
        # program run for one task cannot rewrite the program a later test runs)
        programs: dict[str, str] = _context_programs(plan)
        for task in plan.tasks:
            if task.kind != "program":
                continue
            for gid, name in task.programs.items():
                text = answers.get(gid, "")
                lines = text.lstrip("\n").split("\n", 1)
                match = PROGRAM_LINE.match(lines[0].strip()) if lines else None
                if match and program_name(match.group(1)) == name and len(lines) == 2:
                    programs[name] = textwrap.dedent(lines[1])
                    outputs[gid] = f"已写入 .programs/{name}（{len(lines[1].splitlines())} 行）\n"
                else:
                    g = grades[task.grade_id]
                    g.score = 0.0
                    g.messages.append(PROBLEM_TEXT["not-program"].format(name=name))
                    g.problems.append(PROBLEM_SHORT["not-program"])

        # --- untrusted session: the student's other cells (values, functions)
        # a value task whose answer is only `name = <literal>` lines needs no session: its values
        # are read from the text (most answers; saves starting a sandbox per submission)
        direct = {t.grade_id: v for t in plan.tasks if t.kind == "value"
                  for v in [_answer_literals(t, answers)] if v is not None}
        needs_untrusted = [t for t in plan.tasks if t.kind in ("value", "function", "call", "process")
                           and t.grade_id not in direct]
        calls = [t for t in plan.tasks if t.kind == "call"]
        session = None
        untrusted: dict[str, StepResult] = {}
        if needs_untrusted:
            steps: list[Step] = []
            task_of_solution = {g: t for t in plan.tasks for g in t.solutions}
            for cell in plan.source.cells:
                meta = _meta(cell)
                gid = meta.get("grade_id")
                if cell.cell_type != "code":
                    continue
                task = task_of_solution.get(gid)
                if gid in plan.context:
                    steps.append(Step(f"ctx:{gid}", cell.source, state=True))
                elif task is not None and task.kind != "program":  # value, function, call, process
                    last = gid == task.solutions[-1]
                    steps.append(Step(f"sol:{gid}", answers.get(gid, ""), state=True,
                                      snapshot=task.names if (task.kind == "value" and last) else []))
                elif meta.get("grade") and gid in grades and grades[gid].task.kind == "function":
                    steps.append(Step(f"test:{gid}", cell.source))
            scratch_root = home / "student"

            def student_scratch() -> Path:
                if not scratch_root.exists():
                    shutil.copytree(folder, scratch_root, symlinks=False,
                                    ignore=shutil.ignore_patterns("*.ipynb", ".programs", "feedback"),
                                    ignore_dangling_symlinks=True)
                (scratch_root / ".programs").mkdir(exist_ok=True)
                for name, text in programs.items():
                    (scratch_root / ".programs" / name).write_text(text, encoding="utf-8")
                return scratch_root

            env = {"COURSE_START_METHOD": self.start_methods[0]} if self.start_methods else {}
            session = Session(self.box, slot, home, student_scratch, False, env, deadline, self.cell_timeout)
            untrusted = session.run(steps, keep_open=bool(calls))
            for gid in list(answers) + list(plan.context):
                r = untrusted.get(f"sol:{gid}")
                if r is not None:
                    outputs[gid] = _output_text(r)

        # --- values for value tasks, as plain data
        injects: dict[str, dict[str, str]] = {}
        for task in plan.tasks:
            if task.kind != "value":
                continue
            if task.grade_id in direct:
                injects[task.grade_id] = direct[task.grade_id]
                continue
            snap = untrusted.get(f"sol:{task.solutions[-1]}")
            g = grades[task.grade_id]
            values = {}
            for name in task.names:
                text = (snap.values.get(name) if snap else None)
                if snap is not None and snap.problem:
                    break
                if text is None:
                    g.messages.append(PROBLEM_TEXT["missing-value"].format(name=name))
                    g.problems.append(PROBLEM_SHORT["missing-value"])
                    break
                try:
                    if isinstance(text, dict):
                        stdlib_exception(*text["class"])
                    else:
                        ast.literal_eval(text)
                except Exception:
                    g.messages.append(PROBLEM_TEXT["not-literal"].format(name=name))
                    g.problems.append(PROBLEM_SHORT["not-literal"])
                    break
                values[name] = text
            else:
                injects[task.grade_id] = values
                continue
            g.score = 0.0
            if snap is not None and snap.problem:
                g.messages.append(_problem_message(snap.problem, self))
                g.problems.append(PROBLEM_SHORT[snap.problem] + " (answer cell)")

        # --- trusted sessions: checks from source/, one per start method
        trusted_tasks = [t for t in plan.tasks if t.kind in ("program", "value", "call", "process")
                         and grades[t.grade_id].score > 0
                         and (t.kind != "value" or t.grade_id in injects)]
        proxies = [name for t in calls for name in t.defs]
        isolates = {t.grade_id: {"steps": _replay_before(plan, answers, t), "names": t.defs}
                    for t in trusted_tasks if t.kind == "process"}
        per_method: dict[str, dict[str, StepResult]] = {}
        if trusted_tasks:
            def trusted_run(method: str, first: bool) -> dict[str, StepResult]:
                steps = [Step(f"ctx:{gid}", source_cells[gid].source, state=True) for gid in plan.context]
                if first and proxies:
                    steps.append(Step("proxies", "", state=True, proxies=proxies))
                for task in trusted_tasks:
                    if task.kind in ("value", "call", "process") and not first:
                        continue
                    runs = {"record": False, "cache": course_cache} if task.kind == "value" else None
                    steps.append(Step(f"test:{task.grade_id}", source_cells[task.grade_id].source,
                                      inject=injects.get(task.grade_id, {}),
                                      isolate=isolates.get(task.grade_id), runs=runs))
                counter = [0]

                def fresh_scratch() -> Path:
                    counter[0] += 1
                    scratch = home / f"trusted-{method}-{counter[0]}"
                    (scratch / ".programs").mkdir(parents=True)
                    for name, text in programs.items():
                        (scratch / ".programs" / name).write_text(text, encoding="utf-8")
                    return scratch

                env = {"COURSE_START_METHOD": method} if method else {}
                trusted = Session(self.box, slot, home, fresh_scratch, True, env, deadline, self.cell_timeout)
                if first and session is not None:
                    trusted.call_handler = session.call
                out = trusted.run(steps)
                result.leftovers.extend(trusted.leftovers)
                return out

            methods = self.start_methods or [""]
            if len(methods) == 1:
                per_method[methods[0]] = trusted_run(methods[0], True)
            else:
                with ThreadPoolExecutor(len(methods)) as pool:
                    futures = {m: pool.submit(trusted_run, m, i == 0) for i, m in enumerate(methods)}
                    per_method = {m: f.result() for m, f in futures.items()}
        if session is not None:
            session._close()
            result.leftovers += session.leftovers

        # --- scores
        for task in plan.tasks:
            g = grades[task.grade_id]
            if g.score == 0.0 and g.messages:
                continue
            if task.kind == "function":
                runs = {"": untrusted.get(f"test:{task.grade_id}")}
            else:
                runs = {m: r.get(f"test:{task.grade_id}") for m, r in per_method.items()
                        if f"test:{task.grade_id}" in r}
            failed = False
            texts = []
            for method, r in runs.items():
                label = f"[{method}] " if len(runs) > 1 and method else ""
                if r is None:
                    failed = True
                    texts.append(f"{label}这个测试没有运行（前面的单元格出了问题）。")
                    continue
                if r.output.strip():
                    texts.append(label + r.output.rstrip())
                if r.problem:
                    failed = True
                    g.problems.append(PROBLEM_SHORT[r.problem] + (f" under {method}" if label else ""))
                    texts.append(label + _problem_message(r.problem, self))
                elif not r.ok:
                    failed = True
                    texts.append(f"{label}{r.ename}: {r.evalue}".rstrip(": "))
                    g.problems.append(f"failed{' under ' + method if label else ''}")
            if failed:
                g.score = 0.0
                passed = [m for m, r in runs.items() if r is not None and r.ok and not r.problem]
                if passed and len(runs) > 1:
                    texts.append(f"这个任务在 {', '.join(passed)} 下通过了，但评分要求它在每种启动方式"
                                 f"（start method）下都正确，所以记 0 分。")
            g.output = "\n".join(texts)
        # problems of answer cells (dead/hung), for the summary
        for task in plan.tasks:
            for gid in task.solutions:
                r = untrusted.get(f"sol:{gid}")
                if r is not None and r.problem and r.problem != "budget":
                    g = grades[task.grade_id]
                    text = PROBLEM_SHORT[r.problem] + " (answer cell)"
                    if text not in g.problems:
                        g.problems.append(text)
                        g.messages.append(_problem_message(r.problem, self))
        return list(grades.values()), self._graded_notebook(plan, answers, grades, outputs)

    def _graded_notebook(self, plan: NotebookPlan, answers: dict[str, str], grades: dict[str, TaskGrade],
                         outputs: dict[str, str]) -> dict:
        import nbformat
        from nbgrader.utils import compute_checksum

        nb = copy.deepcopy(plan.source)
        for cell in nb.cells:
            meta = _meta(cell)
            gid = meta.get("grade_id")
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            if meta.get("solution"):
                cell.source = answers.get(gid, cell.source if False else "")
                if gid not in answers:
                    cell.source = "# （这个答案单元格在提交的笔记本里找不到）"
            if cell.cell_type == "code" and gid in outputs and outputs[gid]:
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=outputs[gid]))
            if gid in grades:
                g = grades[gid]
                text = g.output
                if g.messages:
                    text = "\n".join(g.messages) + ("\n" + text if text else "")
                if g.score < g.task.points:
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename="评分（grading）", evalue=f"{g.score:g} / {g.task.points:g} 分",
                        traceback=[text or "测试没有通过。"]))
                elif text:
                    cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
            if meta:
                meta["checksum"] = compute_checksum(cell)
        return nb


def _context_programs(plan: NotebookPlan) -> dict[str, str]:
    """The course's own programs: the locked %%program cells of the source notebook."""
    cells = {_meta(c).get("grade_id"): c for c in plan.source.cells}
    programs: dict[str, str] = {}
    for gid in plan.context:
        lines = cells[gid].source.lstrip("\n").split("\n", 1)
        match = PROGRAM_LINE.match(lines[0].strip()) if lines else None
        if match and len(lines) == 2:
            programs[program_name(match.group(1))] = textwrap.dedent(lines[1])
    return programs


def _rmtree(path: Path) -> None:
    """Remove a grading folder, also its read-only program folders."""
    for folder, _, _ in os.walk(path):
        try:
            os.chmod(folder, 0o700)
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def _answer_literals(task: Task, answers: dict[str, str]) -> dict[str, str] | None:
    """A value task's values read from the answer text, when its answer cells are only
    ``name = <literal>`` statements (plain data, nothing to run) assigning every name; else None."""
    values: dict[str, str] = {}
    for gid in task.solutions:
        body = _statements(answers.get(gid, ""))
        if body is None:
            return None
        for node in body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                return None
            try:
                ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            values[node.targets[0].id] = ast.unparse(node.value)
    if set(task.names) - set(values) or sum(map(len, values.values())) > MAX_VALUE:
        return None
    return {name: values[name] for name in task.names}


def _replay_before(plan: NotebookPlan, answers: dict[str, str], task: Task) -> list[str]:
    """What a process task's child runner replays: the setup cells and the student's
    non-program answers, in notebook order, up to and including this task's answers."""
    program_cells = {g for t in plan.tasks if t.kind == "program" for g in t.solutions}
    sources = []
    for cell in plan.source.cells:
        gid = _meta(cell).get("grade_id")
        if cell.cell_type != "code":
            continue
        if gid in plan.context:
            sources.append(cell.source)
        elif gid in answers and gid not in program_cells and _meta(cell).get("solution"):
            sources.append(answers[gid])
        if gid == task.grade_id:
            break
    return sources


def _output_text(r: StepResult) -> str:
    text = r.output
    if r.problem:
        text += ("\n" if text else "") + {"dead": "[进程退出了（kernel died）]", "hung": "[超时（timeout）]",
                                          "budget": "[没有运行（time budget）]",
                                          "no-start": "[没有运行]"}.get(r.problem, "")
    elif not r.ok and r.ename:
        text += ("\n" if text else "") + f"{r.ename}: {r.evalue}"
    return text


def _problem_message(problem: str, grader: Grader) -> str:
    return PROBLEM_TEXT[problem].format(timeout=grader.cell_timeout, budget=grader.budget)


# ============================================================================ gradebook
def gradebook_url(course: Path) -> str:
    return "sqlite:///" + str(course / "gradebook.db")


def ensure_assignment(course: Path, assignment: str, plans: list[NotebookPlan]) -> str | None:
    """Put the assignment in the gradebook if it is not there (never touches release/).

    Returns a one-line warning when the gradebook's copy differs from source/ and cannot be
    updated (it has submissions), else None.
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(course)) as gb:
        try:
            stored = gb.find_assignment(assignment)
        except MissingEntry:
            stored = None
        if stored is not None:
            have = {(nb.name + ".ipynb", c.name, float(c.max_score)) for nb in stored.notebooks for c in nb.grade_cells}
            want = {(p.name, t.grade_id, t.points) for p in plans for t in plan_tasks(p)}
            if have == want:
                return None
            if stored.submissions:
                return (f"the gradebook's copy of {assignment} differs from source/{assignment} (test cells or "
                        f"points) and has submissions; grading uses source/ — max scores in the gradebook may be stale")
    with tempfile.TemporaryDirectory(prefix="course-gradebook-") as tmp:
        tmp_course = Path(tmp)
        shutil.copy(course / "nbgrader_config.py", tmp_course / "nbgrader_config.py")
        shutil.copytree(course / "source" / assignment, tmp_course / "source" / assignment,
                        ignore=shutil.ignore_patterns(".programs", "__pycache__", ".ipynb_checkpoints"))
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
               f"--CourseDirectory.root={tmp_course}", f"--CourseDirectory.db_url={gradebook_url(course)}"]
        env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
        done = subprocess.run(cmd, cwd=tmp_course, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
        if done.returncode != 0:
            last = [l for l in (done.stdout + done.stderr).splitlines() if l.strip()][-1:] or ["?"]
            raise GradingError(f"could not add {assignment} to the gradebook: {last[0]}")
    return None


def plan_tasks(plan: NotebookPlan) -> list[Task]:
    return plan.tasks


def record(course: Path, assignment: str, result: SubmissionResult) -> None:
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(course)) as gb:
        gb.update_or_create_student(result.student)
        kwargs = {"timestamp": result.timestamp} if result.timestamp else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                gb.find_submission(assignment, result.student)
                exists = True
            except MissingEntry:
                exists = False
            try:
                if exists:
                    gb.update_or_create_submission(assignment, result.student, **kwargs)
                else:
                    gb.add_submission(assignment, result.student, **kwargs)
            except ValueError:  # a timestamp nbgrader cannot parse
                if not exists:
                    gb.add_submission(assignment, result.student)
        for nb_name, grades in result.notebooks.items():
            for g in grades:
                grade = gb.find_grade(g.task.grade_id, Path(nb_name).stem, assignment, result.student)
                grade.auto_score = g.score
                grade.needs_manual_grade = False
        gb.db.commit()


# ============================================================================ the command
def write_outputs(course: Path, assignment: str, result: SubmissionResult) -> None:
    import nbformat

    for folder_name, files in (("autograded", result.graded_nbs), ("feedback", result.feedback)):
        target = course / folder_name / result.student / assignment
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for nb_name, content in files.items():
            if folder_name == "autograded":
                nbformat.write(nbformat.from_dict(content), target / nb_name)
            else:
                (target / (Path(nb_name).stem + ".html")).write_text(content, encoding="utf-8")
        if folder_name == "autograded" and result.timestamp:
            (target / "timestamp.txt").write_text(result.timestamp, encoding="utf-8")


def default_jobs() -> int:
    """Submissions graded at once: grading mostly waits (programs sleep, checks wait for
    timeouts), so four per core, at most 16."""
    return max(2, min(16, 4 * (os.cpu_count() or 1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course.py autograde", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--student", nargs="+", default=None, help="grade only these students")
    parser.add_argument("--jobs", type=int, default=None, help=f"submissions at once (default {default_jobs()})")
    parser.add_argument("--start-methods", default=None,
                        help="comma-separated from fork,spawn,forkserver, or 'all' (every one this OS has); "
                             "default: forkserver (spawn where there is none)")
    parser.add_argument("--course", default=None, help="course root (default: the folder of nbgrader_config.py)")
    parser.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT)
    parser.add_argument("--budget", type=float, default=BUDGET, help="wall-clock seconds per submission")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without bubblewrap (the TA is warned)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except GradingError as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 1


def find_course(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise GradingError(f"no course here: no nbgrader_config.py with a source/ folder in {start} or above")


def run(args) -> int:
    import multiprocessing

    course = Path(args.course).resolve() if args.course else find_course(Path.cwd().resolve())
    assignment = args.assignment
    sources = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    if assignment not in sources:
        raise GradingError(f"unknown assignment {assignment!r}; assignments in source/: {', '.join(sources)}")
    if not list((course / "source" / assignment).glob("*.ipynb")):
        raise GradingError(f"source/{assignment}/ has no notebook")
    submitted = course / "submitted"
    problems_before: list[str] = []
    if args.student:
        students = []
        for s in args.student:
            if (submitted / s / assignment).is_dir():
                students.append(s)
            else:
                problems_before.append(f"{s}: no folder submitted/{s}/{assignment}/ — not graded")
    else:
        if not submitted.is_dir():
            raise GradingError(f"no submitted/ folder in {course}: put each student's work in "
                               f"submitted/<student-id>/{assignment}/ first")
        students = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())
        if not students:
            raise GradingError(f"nobody has submitted {assignment}: no folder submitted/<student-id>/{assignment}/")
    for line in problems_before:
        print(line, file=sys.stderr)
    if args.start_methods and args.start_methods.strip() == "all":
        methods = [m for m in START_METHODS if m in multiprocessing.get_all_start_methods()]
    elif args.start_methods:
        methods = [m.strip() for m in args.start_methods.split(",") if m.strip()]
        bad = [m for m in methods if m not in START_METHODS]
        if bad:
            raise GradingError(f"unknown start method {bad[0]!r}; choose from {', '.join(START_METHODS)}")
    else:
        methods = [next(m for m in DEFAULT_START_METHODS if m in multiprocessing.get_all_start_methods())]
    jobs = args.jobs or default_jobs()
    if jobs < 1:
        raise GradingError("--jobs must be at least 1")

    box = Sandbox.detect(course, use_sandbox=not args.no_sandbox)
    grader = Grader(course, assignment, box, methods, args.cell_timeout, args.budget)
    warning = ensure_assignment(course, assignment, grader.plans)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Grading {assignment}: {len(students)} submission(s), {jobs} at a time, start methods "
          f"{', '.join(methods)} for program tasks", flush=True)
    print(f"Sandbox: {box.describe()}", flush=True)
    for plan in grader.plans:
        for task in plan.tasks:
            if task.kind == "function":
                print(f"  NOTE: {plan.name} task {task.index} is checked beside the student's code (its test cell "
                      "neither only computes nor uses separate_process()): in-process cheats can earn its points; "
                      "see docs/grading.md", flush=True)
    for missing in box.missing:
        print(f"  MISSING PROTECTION: {missing}", flush=True)

    slots: queue.Queue[int] = queue.Queue()
    for i in range(jobs):
        slots.put(i)

    def job(student: str) -> SubmissionResult:
        slot = slots.get()
        try:
            return grader.grade(student, slot)
        finally:
            slots.put(slot)

    results: dict[str, SubmissionResult] = {}
    t0 = time.monotonic()
    try:
        with ThreadPoolExecutor(jobs, thread_name_prefix="grade") as pool:
            futures = {pool.submit(job, s): s for s in students}
            for done, future in enumerate(as_completed(futures), 1):
                student = futures[future]
                try:
                    res = future.result()
                except Exception as exc:  # a bug in the grader itself: say so, go on
                    res = SubmissionResult(student, problems=[f"grader error: {type(exc).__name__}: {exc}"])
                results[student] = res
                if res.notebooks:
                    record(course, assignment, res)
                    write_outputs(course, assignment, res)
                if not args.quiet:
                    bar = "#" * (20 * done // len(students))
                    print(f"[{bar:<20}] {done}/{len(students)}  {student}: {res.score:g} / "
                          f"{sum(p.max_score for p in grader.plans):g}  ({res.seconds:.1f} s)", flush=True)
    finally:
        grader.close()
    wall = time.monotonic() - t0
    summary(course, assignment, grader, [results[s] for s in students], wall, jobs)
    return 0


def task_columns(grader: Grader) -> list[tuple[str, Task]]:
    multi = len(grader.plans) > 1
    return [((f"{Path(p.name).stem}:" if multi else "") + f"task{t.index}", t) for p in grader.plans for t in p.tasks]


def summary(course: Path, assignment: str, grader: Grader, results: list[SubmissionResult], wall: float,
            jobs: int) -> None:
    columns = task_columns(grader)
    max_score = sum(p.max_score for p in grader.plans)
    out_dir = course / "grades" / assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    head = ["student_id", "assignment", *[c for c, _ in columns], "score", "max_score", "problems"]
    rows: dict[str, list[str]] = {}
    previous = out_dir / "grades.csv"
    if previous.exists():  # a run for some students (--student) keeps the others' rows
        with open(previous, newline="", encoding="utf-8") as fh:
            old = list(csv.reader(fh))
        if old and old[0] == head:
            rows = {row[0]: row for row in old[1:] if row}
    for res in results:
        row = [res.student, assignment]
        by_task = {g.task.grade_id: g for grades in res.notebooks.values() for g in grades}
        row += [f"{by_task[t.grade_id].score:g}" if t.grade_id in by_task else "0" for _, t in columns]
        row += [f"{res.score:g}", f"{max_score:g}", "; ".join(problem_list(res))]
        rows[res.student] = row
    with open(previous, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        for student in sorted(rows):
            writer.writerow(rows[student])
    histogram(out_dir / "scores.png", [float(row[-3]) for row in rows.values()], max_score, assignment)
    print()
    print(f"{'student':<16}" + "".join(f"{c:>8}" for c, _ in columns) + f"{'total':>9}  problems")
    for res in results:
        by_task = {g.task.grade_id: g for grades in res.notebooks.values() for g in grades}
        cells = "".join(f"{(by_task[t.grade_id].score if t.grade_id in by_task else 0):>8g}" for _, t in columns)
        print(f"{res.student:<16}{cells}{res.score:>9g}  {'; '.join(problem_list(res))}")
    scores = [r.score for r in results]
    mean = sum(scores) / len(scores) if scores else 0.0
    print(f"\n{len(results)} graded in {wall:.1f} s ({wall / max(1, len(results)):.2f} s per submission, {jobs} jobs); "
          f"mean {mean:.2f} / {max_score:g}")
    print(f"Wrote autograded/<student>/{assignment}/, feedback/<student>/{assignment}/, gradebook.db, "
          f"grades/{assignment}/grades.csv and grades/{assignment}/scores.png")
    leftovers = sorted({p for r in results for p in r.leftovers})
    if leftovers:
        print(f"warning: processes that could not be killed: {leftovers}")


def problem_list(res: SubmissionResult) -> list[str]:
    items = list(res.problems)
    for grades in res.notebooks.values():
        for g in grades:
            for p in g.problems:
                if p.startswith("failed"):
                    continue
                where = ""
                if p.endswith(" (answer cell)"):
                    p, where = p[:-len(" (answer cell)")], " (answer cell)"
                items.append(f"{p} in task {g.task.index}{where}")
    return items


def histogram(path: Path, scores: list[float], max_score: float, assignment: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    top = max(max_score, max(scores, default=0))
    bins = [x - 0.5 for x in range(int(top) + 2)]
    ax.hist(scores, bins=bins, color="#4c72b0", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: {len(scores)} submissions, max {max_score:g}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
