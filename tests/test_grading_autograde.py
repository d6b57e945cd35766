"""``course.py autograde`` against honest and adversarial submissions (issue 11).

For ch04 (program and value tasks), ch01 (functions the checks call) and ch00 (functions the checks
compare with the process they ran in), a temporary course gets
honest sample submissions and every cheat in tests/adversarial/<assignment>/, honest students
sorted before, between and after the cheats, and the command grades them all (parallel jobs,
every start method). Asserted:

- every submission gets exactly its ``# expected:`` points (honest and cheats alike);
- source/, nbgrader_config.py and every submitted folder are byte-identical afterwards,
  nothing in helpers/ was written by a submission (it is the shared working tree, so it is
  checked for the cheats' marker and for files of a sandbox user rather than by digest), and the gradebook is too except for the rows grading writes (students,
  submissions, their notebooks, grades and comments — compared as a dump of the other tables);
- no process any submission started is left (no process of a sandbox user, none carrying a
  grading tag) and no inherited pipe is held (the command's captured output ends when it does);
- graded notebooks and feedback are small whatever is printed;
- feedback never contains hidden test source;
- a missing folder, an unknown assignment and a notebook that is not JSON give one clear line.
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from course_tools import ROOT, build_submission, course_with_submissions, parse_submission, sample_submissions

ADVERSARIAL = ROOT / "tests" / "adversarial"
GRADING_ROWS = {"student", "submitted_assignment", "submitted_notebook", "grade", "comment"}
MAX_NOTEBOOK = 2 << 20
MAX_FEEDBACK = 3 << 20


def header(path: Path, key: str) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(rf"^# {key}: (.*)$", line)
        if m:
            return m.group(1).strip()
        if line.startswith("# %%"):
            break
    return None


def tree_digest(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def gradebook_dump(db: Path) -> dict[str, list]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {t: sorted(map(repr, con.execute(f'select * from "{t}"'))) for t in tables if t not in GRADING_ROWS}
    finally:
        con.close()


def grading_processes(run_id: str, workdir: Path) -> list[str]:
    """Processes of this test's grading run: its run id in their environment, or a sandbox
    user's process whose folder is in this test's temporary folder (other runs may be going)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "uids", "cmdline"]):
        try:
            mine = proc.environ().get("COURSE_AUTOGRADE_RUN") == run_id
            if not mine and 60000 <= proc.info["uids"].real < 61000:
                mine = str(workdir) in proc.cwd()
            if mine:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:80]}")
        except (psutil.Error, OSError):
            continue
    return found


def autograde(course: Path, *args: str, timeout: float = 1500, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.grading.autograde", *args, "--course", str(course)],
                          cwd=course, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def adversarial_course(tmp_path_factory: pytest.TempPathFactory, assignment: str,
                       placed: dict[str, str], broken: bool = False):
    """A course with the honest samples ``placed`` (student id -> sample case) and every cheat in
    tests/adversarial/<assignment>/, graded by the command; returns what the tests compare."""
    honest = {s.case: s for s in sample_submissions(assignment)}
    reference = honest["reference"]
    course = course_with_submissions(tmp_path_factory.mktemp("adversarial") / "course", assignment, [])
    release_nb = course / "release" / assignment / f"{assignment}.ipynb"
    expected: dict[str, float] = {}
    for student, case in placed.items():
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        nbformat.write(build_submission(release_nb, honest[case].answers), target / release_nb.name)
        expected[student] = honest[case].expected
    for path in sorted((ADVERSARIAL / assignment).glob("cheat_*.py")):
        cheat = parse_submission(path, assignment)
        answers = dict(cheat.answers)
        if header(path, "start") == "reference":
            answers = {**reference.answers, **answers}
        nb = build_submission(release_nb, answers)
        if header(path, "mutate") == "edit_tests":
            kept = []
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("grade"):
                    if meta.get("grade_id") == f"{assignment}_task2_test":
                        continue
                    cell.source = "pass"
                    meta["points"] = 100
                kept.append(cell)
            nb.cells = kept
        student = "k_" + path.stem
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        nbformat.write(nb, target / release_nb.name)
        expected[student] = cheat.expected
    if broken:  # a faulty folder: not JSON
        folder = course / "submitted" / "n_not_json" / assignment
        folder.mkdir(parents=True)
        (folder / release_nb.name).write_text("{ this is not json", encoding="utf-8")
        expected["n_not_json"] = 0.0

    from helpers.grading.autograde import ensure_assignment, plan_notebook

    ensure_assignment(course, assignment, [plan_notebook(course / "source" / assignment / release_nb.name)])
    before = {
        "source": tree_digest(course / "source"),
        "config": hashlib.sha256((course / "nbgrader_config.py").read_bytes()).hexdigest(),
        "submitted": tree_digest(course / "submitted"),
        "gradebook": gradebook_dump(course / "gradebook.db"),
    }
    run_id = "test-" + uuid.uuid4().hex
    workdir = tmp_path_factory.mktemp("grading-tmp")
    done = autograde(course, assignment, "--jobs", "4", "--cell-timeout", "25",
                     env={"COURSE_AUTOGRADE_RUN": run_id, "TMPDIR": str(workdir)})
    after_processes = grading_processes(run_id, workdir)
    return course, assignment, expected, before, done, after_processes


# honest students before, between and after the cheats (k_cheat_*; student ids sort that way)
HONEST = {
    "ch04": {"a_honest_reference": "reference", "m_honest_mistake": "getppid_and_run",
             "z_honest_blank": "blank", "zz_honest_reference": "reference"},
    "ch01": {"a_honest_reference": "reference", "m_honest_blank": "blank", "z_honest_reference": "reference"},
    # process tasks: the checks compare with a process the trusted runner starts
    "ch00": {"a_honest_reference": "reference", "m_honest_mistake": "swapped_ids", "z_honest_reference": "reference"},
}


@pytest.fixture(scope="module", params=sorted(HONEST))
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    return adversarial_course(tmp_path_factory, request.param, HONEST[request.param], broken=request.param == "ch04")


def test_command_succeeds_and_names_problems(graded) -> None:
    course, assignment, expected, before, done, _ = graded
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    summary = {line.split()[0]: line for line in done.stdout.splitlines() if line.split() and line.split()[0] in expected}
    assert set(summary) == set(expected), done.stdout[-3000:]
    if assignment == "ch04":
        assert "not a notebook" in summary["n_not_json"]
        assert "kernel died in task 3" in summary["k_cheat_kill_kernel"]
        assert "cell timeout in task 3" in summary["k_cheat_ignore_sigint"]
    if assignment == "ch00":
        assert "kernel died in task 1" in summary["k_cheat_kill_checker"]


def test_every_submission_gets_exactly_its_points(graded) -> None:
    from nbgrader.api import Gradebook

    course, assignment, expected, *_ = graded
    wrong = []
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for student, points in expected.items():
            score = gb.find_submission(assignment, student).score
            if abs(score - points) > 1e-6:
                wrong.append(f"{student}: {score} (expected {points})")
    assert not wrong, "\n".join(wrong)
    rows = (course / "grades" / assignment / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(expected) + 1
    assert (course / "grades" / assignment / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_course_files_are_untouched(graded) -> None:
    course, assignment, expected, before, *_ = graded
    assert tree_digest(course / "source") == before["source"]
    # helpers/ is the shared working tree other work may edit during the run: no file in it may
    # have been written by a submission (the cheats write "# pwned"), or be owned by a sandbox user
    for path in (ROOT / "helpers").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert b"# pwned" not in path.read_bytes(), path
            assert not 60000 <= path.stat().st_uid < 61000, path
    assert hashlib.sha256((course / "nbgrader_config.py").read_bytes()).hexdigest() == before["config"]
    assert tree_digest(course / "submitted") == before["submitted"]
    assert gradebook_dump(course / "gradebook.db") == before["gradebook"]


def test_nothing_is_left_running(graded) -> None:
    *_, after_processes = graded
    # subprocess.run returned, so no process held the captured stdout/stderr pipes open
    assert after_processes == []


def test_graded_notebooks_and_feedback_are_small_and_hide_hidden_tests(graded) -> None:
    course, assignment, expected, *_ = graded
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    hidden_lines = set()
    for cell in source.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S):
            hidden_lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 25}
    assert hidden_lines
    for student in expected:
        if student == "n_not_json":
            continue
        nb = course / "autograded" / student / assignment / f"{assignment}.ipynb"
        html = course / "feedback" / student / assignment / f"{assignment}.html"
        assert nb.stat().st_size < MAX_NOTEBOOK, f"{student}: graded notebook {nb.stat().st_size} bytes"
        assert html.stat().st_size < MAX_FEEDBACK, f"{student}: feedback {html.stat().st_size} bytes"
        import html as html_lib

        text = html_lib.unescape(re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8")))
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, f"{student}: feedback shows hidden test source: {leaked[:2]}"


def test_ta_mistakes_get_one_clear_line(tmp_path: Path) -> None:
    assignment = "ch04"
    course = course_with_submissions(tmp_path / "course", assignment, [])
    done = autograde(course, assignment)
    assert done.returncode == 1 and "no submitted/ folder" in done.stderr and "Traceback" not in done.stderr
    done = autograde(course, "ch99")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "unknown assignment 'ch99'" in done.stderr
    done = autograde(course, assignment, "--student", "nobody", "--quiet")
    assert "nobody: no folder submitted/nobody/ch04/" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("assignment", [a for a in sorted(p.name for p in (ROOT / "tests" / "submissions").iterdir()
                                                            if p.is_dir())])
def test_command_gives_every_sample_its_points(assignment: str, tmp_path: Path) -> None:
    """Every assignment's sample submissions (tests/submissions/chNN/) get their expected points
    from the command too (one start method here; test_autograde grades them under each)."""
    from nbgrader.api import Gradebook

    samples = sample_submissions(assignment)
    course = course_with_submissions(tmp_path / "course", assignment, samples)
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    done = autograde(course, assignment, "--start-methods", method, "--quiet")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wrong = []
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sample in samples:
            score = gb.find_submission(assignment, sample.student).score
            if abs(score - sample.expected) > 1e-6:
                wrong.append(f"{sample.case}: {score} (expected {sample.expected})")
    assert not wrong, f"{assignment}:\n" + "\n".join(wrong) + "\n" + done.stdout[-2000:]


def test_a_submission_has_a_wall_clock_budget(tmp_path: Path) -> None:
    """A submission whose first program hangs runs out of its budget: what is left gets 0 with a
    note, the graded notebook and the feedback are still written, the command goes on."""
    from nbgrader.api import Gradebook

    hang = next(s for s in sample_submissions("ch04") if s.case == "hang")
    course = course_with_submissions(tmp_path / "course", "ch04", [hang])
    done = autograde(course, "ch04", "--start-methods", "fork", "--budget", "6", "--cell-timeout", "30")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "time budget used up in task" in done.stdout, done.stdout[-2000:]
    graded = course / "autograded" / hang.student / "ch04" / "ch04.ipynb"
    feedback = course / "feedback" / hang.student / "ch04" / "ch04.html"
    assert "总评分时间" in graded.read_text(encoding="utf-8") and feedback.exists()
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        assert gb.find_submission("ch04", hang.student).score < hang.expected


def test_parallel_jobs_give_the_same_grades_as_one_job(tmp_path: Path) -> None:
    samples = sample_submissions("ch01")
    tables = []
    for jobs in ("1", "8"):
        course = course_with_submissions(tmp_path / f"course-{jobs}", "ch01", samples)
        done = autograde(course, "ch01", "--jobs", jobs, "--quiet")
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        tables.append((course / "grades" / "ch01" / "grades.csv").read_text(encoding="utf-8"))
    assert tables[0] == tables[1]
    assert len(tables[0].splitlines()) == len(samples) + 1


def test_without_the_sandbox_grading_runs_and_says_what_is_missing(tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    samples = sample_submissions("ch01")
    course = course_with_submissions(tmp_path / "course", "ch01", samples)
    done = autograde(course, "ch01", "--no-sandbox", "--quiet")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "MISSING PROTECTION: sandbox switched off" in done.stdout
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sample in samples:
            assert gb.find_submission("ch01", sample.student).score == sample.expected, sample.case
