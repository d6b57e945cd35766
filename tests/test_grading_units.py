"""Parts of ``course.py autograde`` on their own: the output cap, how tasks are classified, the
test cells of source/, and the sandbox on this machine (helpers/grading/)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from course_tools import ROOT, assignments
from helpers.grading.autograde import plan_notebook
from helpers.grading.feedback import HIDDEN, HIDDEN_NOTE
from helpers.grading.runner import MAX_LINE, MAX_OUTPUT, CappedWriter
from helpers.grading.sandbox import Sandbox

# checks that return a value: a test cell must not end with a bare call of one of them
# (nbgrader would show `Out[n]: [...]` in the feedback, and take a number as partial credit)
RETURNS_VALUE = {"run_task", "expect_lines", "expect_children", "child_processes", "printed", "show_output",
                 "main_pid"}


def test_output_is_capped_whatever_is_printed() -> None:
    out = CappedWriter()
    for _ in range(100):
        out.write("x" * (1 << 20) + "\n")
    text = out.text()
    assert len(text) < MAX_OUTPUT + 200
    assert max(len(line) for line in text.splitlines()) <= MAX_LINE + 2
    assert "已截去" in text


def test_short_output_is_kept_as_is() -> None:
    out = CappedWriter()
    out.write("a\nb")
    out.write("c\n")
    assert out.text() == "a\nbc\n"


@pytest.mark.parametrize("assignment", assignments())
def test_every_task_is_classified(assignment: str) -> None:
    for path in sorted((ROOT / "source" / assignment).glob("*.ipynb")):
        plan = plan_notebook(path)
        assert plan.tasks, f"{path.name}: no test cell with points"
        for task in plan.tasks:
            assert task.solutions, f"{path.name}: test cell {task.grade_id} has no solution cell above it"
            # no course task is a "function" task (its checks would run beside the student's code)
            assert task.kind in ("program", "value", "call", "process"), (path.name, task.grade_id, task.kind)
            if task.kind in ("call", "process"):
                assert task.defs
            if task.kind == "program":
                assert set(task.programs) == set(task.solutions)
            if task.kind == "value":
                assert task.names


def test_chapter_4_tasks() -> None:
    plan = plan_notebook(ROOT / "source" / "ch04" / "ch04.ipynb")
    assert [t.kind for t in plan.tasks] == ["program", "program", "value", "program"]
    assert plan.tasks[2].names == ["predicted"]
    assert plan.tasks[0].programs == {"ch04_task1": "ch04_task1.py"}


def test_chapter_1_functions_are_called_across_the_boundary() -> None:
    plan = plan_notebook(ROOT / "source" / "ch01" / "ch01.ipynb")
    assert [t.kind for t in plan.tasks] == ["call", "call", "call", "value"]
    assert plan.tasks[0].defs == ["batch_run"]


def test_process_tasks_and_the_new_value_forms() -> None:
    kinds = {ch: [t.kind for t in plan_notebook(ROOT / "source" / ch / f"{ch}.ipynb").tasks]
             for ch in ("ch00", "ch03", "ch08", "ch09")}
    assert kinds == {"ch00": ["process"] * 3, "ch03": ["call", "value", "call", "value", "process"],
                     "ch08": ["program"] * 4 + ["value"], "ch09": ["program"] * 3 + ["value"]}
    from helpers.grading.autograde import _literal_names

    assert _literal_names("import queue\nerr = queue.Empty\nt = 60 * 0.1 / 4\nn = -2\n") == ["err", "t", "n"]
    assert _literal_names("t = f(2)\n") is None
    assert _literal_names("t = x * 2\n") is None  # arithmetic on a name is not a constant


def test_a_literal_value_answer_is_read_without_running_it() -> None:
    from helpers.grading.autograde import Task, _answer_literals

    task = Task(1, "t_test", 1.0, ["t"], kind="value", names=["predicted"])
    assert _answer_literals(task, {"t": "# my guess\npredicted = {'a': [1, 2]}\npredicted = {'a': 3}\n"}) == \
        {"predicted": "{'a': 3}"}
    for answer in ["predicted = f()", "print(1)\npredicted = 1", "x = 1", "predicted = 60 * 0.1", "predicted = (",
                   "import os\npredicted = 1", "predicted = '" + "x" * 300_000 + "'"]:
        assert _answer_literals(task, {"t": answer}) is None, answer  # these run in the sandbox


def test_only_standard_exception_classes_cross_as_classes() -> None:
    import queue

    from helpers.grading.runner import stdlib_exception

    assert stdlib_exception(queue.Empty.__module__, "Empty") is queue.Empty
    assert stdlib_exception("builtins", "EOFError") is EOFError
    for module, qualname in [("os", "system"), ("helpers.grading.runner", "Proxy"), ("builtins", "object"),
                             ("notamodule", "X"), ("builtins", "__import__")]:
        with pytest.raises(TypeError):
            stdlib_exception(module, qualname)


def test_separate_process_is_this_process_in_a_students_kernel() -> None:
    from helpers.grading.isolate import separate_process

    with separate_process() as proc:
        assert (proc.pid, proc.ppid) == (os.getpid(), os.getppid())


def test_values_cross_the_boundary_as_plain_data_only() -> None:
    from helpers.grading.runner import decode, encode
    from helpers.sim.process_run import State

    value = {"a": [1, 2.5, (State.READY, None)], "b": {1, 2}, 3: frozenset({"x"}), "c": b"\x00"}
    assert decode(encode(value)) == value

    class Anything(dict):
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError):
        encode(Anything())
    with pytest.raises(TypeError):
        encode(lambda: 1)
    with pytest.raises(TypeError):  # only the course's enums are rebuilt
        decode({"enum": ["os", "SomeEnum", "X"]})


@pytest.mark.parametrize("assignment", assignments())
def test_test_cells_end_without_a_bare_value(assignment: str) -> None:
    for path in sorted((ROOT / "source" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            last = ast.parse(cell.source).body[-1]
            if isinstance(last, ast.Expr):
                call = last.value
                assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                    call.func.id not in RETURNS_VALUE, \
                    f"{path.name} {meta['grade_id']}: ends with a bare value ({ast.unparse(last)[:60]}); assign it (`_ = ...`)"


def test_feedback_hides_hidden_tests() -> None:
    source = "visible()\n### BEGIN HIDDEN TESTS\nsecret_check()\n### END HIDDEN TESTS"
    assert HIDDEN.sub(HIDDEN_NOTE, source) == "visible()\n" + HIDDEN_NOTE


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox.detect(ROOT)


def sandboxed(box: Sandbox, code: str, tmp_path: Path, env: dict[str, str] | None = None,
              timeout: float = 60) -> tuple[int, str]:
    box.prepare_scratch(tmp_path, 0)
    os.chmod(tmp_path, 0o777)
    proc = box.start([sys.executable, "-I", "-c", code], tmp_path, 0, extra_env=env, stdin=subprocess.DEVNULL)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        box.kill(proc)
    return proc.returncode, out.decode() + err.decode()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the grading sandbox is Linux only")
def test_sandbox_hides_the_course_and_the_network(box: Sandbox, tmp_path: Path) -> None:
    if not box.bwrap:
        pytest.skip("bubblewrap cannot run here: " + "; ".join(box.missing))
    code = f"""
import os, socket
print("source", os.path.exists({str(ROOT / 'source')!r}), "gradebook", os.path.exists({str(ROOT / 'gradebook.db')!r}))
print("helpers", os.path.exists({str(ROOT / 'helpers' / '__init__.py')!r}))
try:
    open({str(ROOT / 'helpers' / 'grading' / 'pwned.txt')!r}, "w")
    print("helpers writable")
except OSError:
    print("helpers read-only")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    print("network yes")
except OSError:
    print("network no")
print("uid", os.getuid(), "pid", os.getpid())
import multiprocessing
multiprocessing.Lock()  # needs a writable /dev/shm
print("lock ok")
"""
    code_rc, out = sandboxed(box, code, tmp_path)
    assert code_rc == 0, out
    assert "source False gradebook False" in out
    assert "helpers True" in out and "helpers read-only" in out
    assert "network no" in out
    if box.as_user:
        assert "uid 60000" in out
    assert "pid 1 " not in out
    assert "lock ok" in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the grading sandbox is Linux only")
def test_killing_the_sandbox_kills_a_double_forked_daemon(box: Sandbox, tmp_path: Path) -> None:
    import psutil

    run_id = "unit-" + uuid.uuid4().hex
    code = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
time.sleep(0.5)
print("forked", flush=True)
time.sleep(600)  # the sandbox stays up until the test kills it
"""
    box.prepare_scratch(tmp_path, 0)
    tag = "course-autograde-" + uuid.uuid4().hex
    os.environ["COURSE_AUTOGRADE_RUN"] = run_id
    try:
        proc = box.start([sys.executable, "-I", "-c", code], tmp_path, 0, tag=tag, stdin=subprocess.DEVNULL)
    finally:
        del os.environ["COURSE_AUTOGRADE_RUN"]
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert b"forked" in line

    def daemons() -> list[int]:
        found = []
        for p in psutil.process_iter(["pid"]):
            try:
                if p.environ().get("COURSE_AUTOGRADE_RUN") == run_id and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p.pid)
            except psutil.Error:
                continue
        return found

    assert daemons(), "the daemon should be running before the sandbox is killed"
    assert box.kill(proc, tag) == []
    assert daemons() == []


def test_course_program_runs_are_recorded_once_and_replayed(box: Sandbox, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """ch04 task 3's hidden test runs the course's ch04_task3.py under each start method: the
    command records those runs once (a trusted session with the source's answers) and every
    student's trusted session replays them; a replayed run starts no process."""
    import base64
    import pickle

    from helpers.grading.autograde import Grader
    from helpers.run import launcher

    grader = Grader(ROOT, "ch04", box, ["forkserver"], 30, 120)
    try:
        runs = grader.course_runs(grader.plans[0], "forkserver", 0)
        assert grader.course_runs(grader.plans[0], "forkserver", 0) is runs  # once per command
    finally:
        grader.close()
    recorded = [pickle.loads(base64.b64decode(v)) for v in runs.values()]
    assert sorted(r.start_method for r in recorded) == ["fork", "forkserver", "spawn"]
    assert all("counter=" in r.stdout for r in recorded)

    program = tmp_path / "p.py"
    program.write_text("import os\nprint(os.getpid())\n")
    monkeypatch.setattr(launcher, "RUN_CACHE", {})
    monkeypatch.setattr(launcher, "RUN_CACHE_RECORD", True)
    first = launcher.run_script(program, echo=False, cwd=tmp_path)
    monkeypatch.setattr(launcher, "RUN_CACHE_RECORD", False)
    again = launcher.run_script(program, echo=False, cwd=tmp_path)
    assert again.stdout == first.stdout == f"{first.pid}\n"  # the same run, not a new process
    program.write_text("import os\nprint('changed', os.getpid())\n")  # other text: a real run
    assert launcher.run_script(program, echo=False, cwd=tmp_path).stdout.startswith("changed")
