"""Shared tools for the tests that check the course itself: assignments, nbgrader, submissions.

Sample submissions live in ``tests/submissions/<assignment>/<case>.py``. Each file is the
answer a (fictional) student gave, written as the cells they filled in::

    # expected: 7
    # about: joins inside the start loop, so the concurrency check fails
    # %% ch04_task1
    <the code the student wrote in the solution cell with grade id ch04_task1>
    # %% ch04_task2
    ...

A submission notebook is built from the released notebook with those solution cells replaced,
so the samples stay valid when the released text around them changes. Cells not named keep the
released stub (``raise NotImplementedError()``): a file with no cells is a blank submission.
A header line ``# base: reference`` starts from another sample's answers, so a file with one
typical mistake names only the cells that differ from the reference.
``tests/submissions/<assignment>/grading.json`` may list the start methods to grade under.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.grading.sandbox import kill_pids, processes_with_tag

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
SUBMISSIONS = ROOT / "tests" / "submissions"
BIN = Path(sys.executable).parent
ALL_START_METHODS = ("fork", "spawn", "forkserver")


class SubmissionFormatError(ValueError):
    """A sample submission file does not follow the format in this module's docstring."""


def assignments() -> list[str]:
    """Names of the nbgrader assignments in source/, sorted (ch00, ch01, ...)."""
    return sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and list(p.glob("*.ipynb")))


def notebooks_of(assignment: str, base: Path = SOURCE) -> list[Path]:
    return sorted((base / assignment).glob("*.ipynb"))


@dataclass
class SampleSubmission:
    assignment: str
    case: str
    expected: float
    about: str
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def student(self) -> str:
        # nbgrader student ids: keep them simple and unique per assignment
        return re.sub(r"[^A-Za-z0-9_]", "_", self.case)


def parse_submission(path: Path, assignment: str) -> SampleSubmission:
    header: dict[str, str] = {}
    answers: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        marker = re.match(r"^# %% (\S+)\s*$", raw)
        if marker:
            if current is not None:
                answers[current] = "\n".join(lines).strip("\n")
            current, lines = marker.group(1), []
        elif current is None:
            meta = re.match(r"^# (\w+): (.*)$", raw)
            if meta:
                header[meta.group(1)] = meta.group(2).strip()
        else:
            lines.append(raw)
    if current is not None:
        answers[current] = "\n".join(lines).strip("\n")
    if "expected" not in header:
        raise SubmissionFormatError(f"{path}: missing '# expected: <points>' header line")
    if "base" in header:
        base_path = path.with_name(header["base"] + ".py")
        if not base_path.is_file() or base_path == path:
            raise SubmissionFormatError(f"{path}: '# base: {header['base']}' names no other sample in {path.parent}")
        answers = {**parse_submission(base_path, assignment).answers, **answers}
    return SampleSubmission(assignment, path.stem, float(header["expected"]), header.get("about", ""), answers)


def sample_submissions(assignment: str) -> list[SampleSubmission]:
    folder = SUBMISSIONS / assignment
    return [parse_submission(p, assignment) for p in sorted(folder.glob("*.py"))]


def start_methods_for(assignment: str) -> tuple[str, ...]:
    cfg = SUBMISSIONS / assignment / "grading.json"
    if cfg.exists():
        methods = json.loads(cfg.read_text())["start_methods"]
        return tuple(m for m in methods if m in ALL_START_METHODS)
    return ("fork",) if sys.platform.startswith("linux") else ("spawn",)


def build_submission(release_nb: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with the named solution cells filled in."""
    nb = nbformat.read(release_nb, as_version=4)
    solution_ids = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            solution_ids.add(meta.get("grade_id"))
            if meta.get("grade_id") in answers:
                cell.source = answers[meta["grade_id"]]
    unknown = set(answers) - solution_ids
    if unknown:
        raise SubmissionFormatError(
            f"{release_nb.name}: no solution cell with grade id {sorted(unknown)}; "
            f"solution cells are {sorted(solution_ids)}"
        )
    return nb


# Kernels that nbgrader starts here talk over Unix sockets on Linux: with TCP, jupyter_client
# picks free ports, closes them and hands them to the kernel, so two kernels started at the same
# moment by parallel jobs can get the same port ("Kernel died before replying to kernel_info",
# jupyter_client#154; seen once in ~1000 parallel nbgrader runs on 3.10). The socket files get a
# folder of their own per nbgrader run (one run starts its kernels one after the other).
def nbgrader(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PATH"] = str(BIN) + os.pathsep + full_env.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        transport = []
        if sys.platform.startswith("linux") and args[:1] in (["autograde"], ["validate"]):
            transport = ["--KernelManager.transport=ipc", f"--KernelManager.ip={sockets}/k"]
        return subprocess.run(
            [str(BIN / "nbgrader"), *args, *transport], cwd=cwd, env=full_env, capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )


def make_course_copy(dest: Path, assignment_names: list[str]) -> Path:
    """A throw-away course directory with the config and the given source assignments."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    for name in assignment_names:
        shutil.copytree(SOURCE / name, dest / "source" / name, ignore=shutil.ignore_patterns(".programs", "__pycache__", ".ipynb_checkpoints"))
    return dest


class NbgraderError(RuntimeError):
    """An nbgrader step that must succeed (e.g. generate_assignment) failed; the message has its log."""


def course_with_submissions(dest: Path, assignment: str, samples: list[SampleSubmission]) -> Path:
    """A temporary course in ``dest`` with ``assignment`` generated and every sample submitted
    (``submitted/<student>/<assignment>/``), ready for ``nbgrader autograde``."""
    course = make_course_copy(dest, [assignment])
    done = nbgrader(["generate_assignment", assignment, "--force"], cwd=course)
    if done.returncode != 0:
        raise NbgraderError(f"generate_assignment {assignment} failed:\n{done.stdout}{done.stderr}")
    for sample in samples:
        target = course / "submitted" / sample.student / assignment
        target.mkdir(parents=True)
        for nb_path in (course / "release" / assignment).glob("*.ipynb"):
            nbformat.write(build_submission(nb_path, sample.answers), target / nb_path.name)
    return course


def comparable_cells(nb_path: Path) -> list[dict]:
    """Cells reduced to what a student sees and nbgrader checks (metadata noise removed)."""
    nb = nbformat.read(nb_path, as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        cells.append({
            "cell_type": cell.cell_type,
            "source": cell.source,
            "nbgrader": {k: meta.get(k) for k in ("grade", "grade_id", "locked", "points", "solution", "task") if k in meta},
        })
    return cells


def new_grading_tag() -> str:
    return "course-grading-" + uuid.uuid4().hex


def kill_processes(pids: list[int]) -> None:
    """SIGKILL ``pids`` and wait for them (up to 5 s)."""
    kill_pids(pids, timeout=5)


def nbgrader_tagged(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600,
                    tags: list[str] | None = None) -> tuple[subprocess.CompletedProcess, list[int]]:
    """Run nbgrader with a fresh ``COURSE_GRADING_TAG`` that every process it starts inherits.

    Returns its result and the pids of tagged processes still running when it ended; those are
    killed before returning. The tag is appended to ``tags`` (see :func:`job_pool`) first, so a
    run cut short is cleaned up too.
    """
    tag = new_grading_tag()
    if tags is not None:
        tags.append(tag)
    try:
        done = nbgrader(args, cwd=cwd, env={**(env or {}), "COURSE_GRADING_TAG": tag}, timeout=timeout)
        leftovers = processes_with_tag(tag)
    finally:
        kill_processes(processes_with_tag(tag))
    return done, leftovers


# --------------------------------------------------------------------------- parallel nbgrader jobs
# nbgrader runs (validate, autograde) mostly wait: kernel start-up, worker programs that sleep,
# the cell timeouts of hanging samples. Tests that run many of them start them all as parallel
# jobs and then each waits for its own result; every job works in its own temporary folder.

def job_count() -> int:
    """How many nbgrader runs at a time: ``$COURSE_TEST_JOBS``, default cores + 2 (at most 4).

    The graded tasks compare generous ratios of sleeps, never absolute times, so they hold on a
    machine kept this busy (checked with 5 jobs on 2 cores).
    """
    value = os.environ.get("COURSE_TEST_JOBS", "").strip()
    if not value:
        return min(4, (os.cpu_count() or 1) + 2)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"COURSE_TEST_JOBS must be a whole number >= 1, not {value!r}")
    return int(value)


def selected_params(items: list, test_name: str) -> list[dict]:
    """The parameters of the selected (``-k``, node ids) items of the test function ``test_name``."""
    return [item.callspec.params for item in items
            if getattr(item, "originalname", "") == test_name and hasattr(item, "callspec")]


@contextmanager
def job_pool(name: str) -> Iterator[tuple[ThreadPoolExecutor, list[str]]]:
    """A thread pool for nbgrader runs and a list that the jobs add their grading tags to.

    On leaving (also on Ctrl+C, through atexit, and on SIGTERM, e.g. from ``timeout``, which
    would skip atexit: it becomes a SystemExit here) queued jobs are cancelled and every process
    that carries one of the tags is killed, so no kernel or worker program outlives the tests.
    """
    tags: list[str] = []

    def kill_all() -> None:
        for tag in list(tags):
            kill_processes(processes_with_tag(tag))

    def on_sigterm(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    atexit.register(kill_all)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if in_main else None
    pool = ThreadPoolExecutor(max_workers=job_count(), thread_name_prefix=name)
    try:
        yield pool, tags
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_all()
        pool.shutdown(wait=True)
        atexit.unregister(kill_all)
        if in_main:
            signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- a course update (git)
# The student's side promises that `git pull` of a course update keeps their answers (tests/
# test_student_workspace.py without a browser, tests/browser/test_browser.py through JupyterLab).
LECTURE_FIX = "勘误：讲义的一处修正。"
RELEASE_FIX = "作业说明的修正。"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its output; the test fails with git's own words."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)} in {cwd}:\n{done.stdout}{done.stderr}"
    return done.stdout


def course_clones(repo: Path, tmp: Path) -> tuple[Path, Path]:
    """A bare upstream made from ``repo``'s last commit, and the student's and the instructor's
    clones of it (in that order)."""
    upstream, student, instructor = tmp / "upstream.git", tmp / "student", tmp / "instructor"
    git(tmp, "clone", "--quiet", "--bare", str(repo), str(upstream))
    for clone in (student, instructor):
        git(tmp, "clone", "--quiet", str(upstream), str(clone))
        git(clone, "config", "user.email", "someone@example.org")
        git(clone, "config", "user.name", "someone")
    return student, instructor


def push_course_update(instructor: Path) -> Path:
    """The teacher's update, pushed upstream: a fix to lecture 00 (``LECTURE_FIX``), a fix to
    ch00's released notebook (``RELEASE_FIX``) and a new chapter ch99. Returns the lecture."""
    lecture = sorted((instructor / "notebooks").glob("00-*.ipynb"))[0]
    released = instructor / "release" / "ch00" / "ch00.ipynb"
    for path, text in ((lecture, LECTURE_FIX), (released, RELEASE_FIX)):
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(text))
        nbformat.write(nb, path)
    new_chapter = instructor / "release" / "ch99" / "ch99.ipynb"
    new_chapter.parent.mkdir()
    shutil.copy2(released, new_chapter)
    git(instructor, "add", "notebooks", "release")
    git(instructor, "commit", "--quiet", "-m", "course update: lecture fix, ch00 fix, new chapter ch99")
    git(instructor, "push", "--quiet", "origin", "HEAD")
    return lecture
