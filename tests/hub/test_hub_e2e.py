"""A class on the course's JupyterHub, end to end, on this machine.

An instructor and two students (real Unix users), the hub from deploy/one-server/ on free
localhost ports. Through the hub only — its REST API with tokens, each user's own server
(nbgrader's Assignments endpoints, the contents API, a terminal): the instructor releases ch04,
each student fetches it, answers (one right, one with a typical mistake) and submits; the
instructor collects, grades with the course's command and releases feedback; each student
fetches their own feedback. A folder one student makes in the other's name in the exchange's
inbound is not collected. A student can read neither the other's submission nor their
feedback. Everything is stopped and removed afterwards (tests/hub/conftest.py).
"""
from __future__ import annotations

import csv
import importlib.util
import io
import os
import pwd
import shlex
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import pytest

from course_tools import SUBMISSIONS, parse_submission  # noqa: E402
from hubctl import CLASS_COURSE_ID, DEPLOY, ClassHub, UserServer  # noqa: E402  (this folder is not a package)

pytestmark = [pytest.mark.usefixtures("no_leftover_processes", "hard_timeout"), pytest.mark.hard_timeout(900)]

ASSIGNMENT = "ch04"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"


def answer(nb: dict, answers: dict[str, str]) -> dict:
    """The fetched notebook with the student's answers in its solution cells."""
    filled = set()
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell["source"] = answers[meta["grade_id"]]
            filled.add(meta["grade_id"])
    assert filled == set(answers), f"solution cells not found: {set(answers) - filled}"
    return nb


def test_a_class_on_the_hub(class_hub: ClassHub) -> None:
    hub, instructor, (right, wrong) = class_hub.hub, class_hub.instructor, class_hub.students
    samples = {right: parse_submission(SUBMISSIONS / ASSIGNMENT / "reference.py", ASSIGNMENT),
               wrong: parse_submission(SUBMISSIONS / ASSIGNMENT / "join_in_loop.py", ASSIGNMENT)}
    assert samples[right].expected != samples[wrong].expected
    started = time.monotonic()

    # The hub knows the course's groups (nbgrader's Formgrader access) from the roster.
    groups = {g["name"]: g["users"] for g in hub.api("GET", "/groups").json()}
    assert sorted(groups[f"formgrade-{CLASS_COURSE_ID}"]) == sorted([instructor, class_hub.grader])
    assert sorted(groups[f"nbgrader-{CLASS_COURSE_ID}"]) == sorted([right, wrong])

    # The idle culler runs as a hub-managed service.
    services = hub.api("GET", "/services").json()
    assert "idle-culler" in services, services
    culler = [p for p in psutil.Process(hub.proc.pid).children(recursive=True)
              if "jupyterhub_idle_culler" in " ".join(p.cmdline())]
    assert len(culler) == 1

    # ------------------------------------------------------------------ instructor releases ch04
    hub.spawn(instructor)
    teacher = hub.server(instructor)
    code, out = teacher.run(f"cd ~/{CLASS_COURSE_ID} && nbgrader release_assignment {ASSIGNMENT}", timeout=120)
    assert code == 0, out
    # The formgrader is on in an instructor's server (CLASS_ROLE=grader), and the course's
    # graders (the JupyterHub group formgrade-<course>) may open it with their own token.
    assert teacher.request("GET", "/formgrader/").status_code == 200
    ta_token = hub.api("POST", f"/users/{class_hub.grader}/tokens", json={"note": "ta"}).json()["token"]
    as_ta = UserServer(hub, instructor, ta_token).request("GET", "/formgrader/")
    assert as_ta.status_code == 200 and f"/user/{instructor}/formgrader/" in as_ta.url, (as_ta.url, as_ta.history)

    # ------------------------------------------------------------------ students fetch, answer, submit
    for student in (right, wrong):
        hub.spawn(student)
        server = hub.server(student)
        assert server.request("GET", "/formgrader/").status_code == 404  # no Formgrader for students
        # ...and a student's token does not open the instructor's server
        as_student = UserServer(hub, instructor, server.token).request("GET", "/formgrader/", allow_redirects=False)
        assert as_student.status_code == 403
        listed = server.assignments(CLASS_COURSE_ID)
        assert [(a["assignment_id"], a["status"]) for a in listed] == [(ASSIGNMENT, "released")]
        server.assignment_action("fetch", CLASS_COURSE_ID, ASSIGNMENT)
        nb = server.get_notebook(NOTEBOOK)
        server.put_notebook(NOTEBOOK, answer(nb, samples[student].answers))
        server.assignment_action("submit", CLASS_COURSE_ID, ASSIGNMENT)
        statuses = {a["status"] for a in server.assignments(CLASS_COURSE_ID) if a["assignment_id"] == ASSIGNMENT}
        assert "submitted" in statuses, statuses

    # ------------------------------------------------------------------ nobody reads another's submission
    inbound = class_hub.course_exchange() / "inbound"
    submissions = {student: [p for p in inbound.iterdir() if p.name.startswith(f"{student}+{ASSIGNMENT}+")]
                   for student in (right, wrong)}
    assert all(len(found) == 1 for found in submissions.values()), submissions
    right_nb = submissions[right][0] / f"{ASSIGNMENT}.ipynb"
    assert right_nb.is_file()
    other = hub.server(wrong)
    code, out = other.run(f"ls {shlex.quote(str(inbound))}")
    assert code != 0 and "Permission denied" in out, out
    code, out = other.run(f"cat {shlex.quote(str(right_nb))} > /dev/null")  # even knowing the exact path
    assert code != 0 and "Permission denied" in out, out
    code, out = other.run(f"ls ~{right}")
    assert code != 0 and "Permission denied" in out, out
    # ...but the submitter can, and the graders group can.
    code, out = hub.server(right).run(f"test -r {shlex.quote(str(right_nb))}")
    assert code == 0, out

    # ------------------------------------------------------------------ a submission in another's name is not collected
    # inbound lets every student make folders, and nbgrader takes the student from the name: the
    # wrong student makes one named for the right one, newer than the real one, with their answers.
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    spoof = inbound / f"{right}+{ASSIGNMENT}+{later}+spoofed"
    code, out = other.run(f"cp -r {shlex.quote(str(submissions[wrong][0]))} {shlex.quote(str(spoof))}")
    assert code == 0 and spoof.is_dir() and spoof.stat().st_uid == pwd.getpwnam(wrong).pw_uid, out
    real_timestamp = submissions[right][0].name.split("+")[2]

    # ------------------------------------------------------------------ instructor collects, grades, releases feedback
    code, out = teacher.run(f"$CLASS_PYTHON {DEPLOY / 'course_grade.py'} {ASSIGNMENT} --jobs 2", timeout=600)
    assert code == 0, out
    assert "== done" in out, out
    print("\n" + next(line.strip() for line in out.splitlines() if " graded in " in line))
    # the folder made in the right student's name was skipped, with one line saying why...
    skipped = [line for line in out.splitlines() if "Not collecting" in line]
    assert len(skipped) == 1 and spoof.name in skipped[0], out[-6000:]
    assert f"as {right}'s submission: it is owned by uid {pwd.getpwnam(wrong).pw_uid} ({wrong})" in skipped[0]
    # ...and the right student's real submission was collected (and graded, below)
    collected = teacher.ok("GET", f"/api/contents/{CLASS_COURSE_ID}/submitted/{right}/{ASSIGNMENT}/timestamp.txt",
                           params={"content": "1", "type": "file", "format": "text"}).json()["content"]
    assert collected.strip() == real_timestamp, (collected, real_timestamp)
    grades_csv = teacher.ok("GET", f"/api/contents/{CLASS_COURSE_ID}/grades/{ASSIGNMENT}/grades.csv",
                            params={"content": "1", "type": "file", "format": "text"}).json()["content"]
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(grades_csv))}
    assert sorted(rows) == sorted([right, wrong]), grades_csv
    for student in (right, wrong):
        assert float(rows[student]["score"]) == samples[student].expected, (rows[student], out[-6000:])

    # ------------------------------------------------------------------ each student fetches their own feedback
    feedback_root = class_hub.course_exchange() / "feedback"
    for student in (right, wrong):
        server = hub.server(student)
        server.assignment_action("fetch_feedback", CLASS_COURSE_ID, ASSIGNMENT)
        folder = server.ok("GET", f"/api/contents/{ASSIGNMENT}/feedback").json()["content"]
        assert len(folder) == 1, folder  # one submission, one timestamp folder
        html = server.ok("GET", f"/api/contents/{folder[0]['path']}/{ASSIGNMENT}.html",
                         params={"content": "1", "type": "file", "format": "text"}).json()["content"]
        assert student in html
        assert f"总分 {samples[student].expected:g} /" in html, html[:2000]
        other_student = wrong if student == right else right
        assert other_student not in html
    released = {student: list((feedback_root / student).glob("*.html")) for student in (right, wrong)}
    assert all(len(files) == 1 for files in released.values()), released
    # the other's feedback, even knowing its exact path
    code, out = other.run(f"cat {shlex.quote(str(released[right][0]))} > /dev/null")
    assert code != 0 and "Permission denied" in out, out
    code, out = other.run(f"ls {shlex.quote(str(feedback_root))}")
    assert code != 0 and "Permission denied" in out, out
    code, out = hub.server(right).run(f"cat {shlex.quote(str(released[wrong][0]))} > /dev/null")
    assert code != 0 and "Permission denied" in out, out
    print(f"class on the hub: {time.monotonic() - started:.1f} s from first spawn to feedback")

    # ------------------------------------------------------------------ everything stops
    left = hub.stop()
    assert left == [], f"processes outlived the hub: {left}"
    assert class_hub.users.processes() == [], "processes of the test users outlived the hub"
    for student in (right, wrong, instructor):
        for controller in ("memory", "pids"):
            assert not class_hub.cgroup(controller, student).exists()


def test_a_student_cannot_take_over_anothers_feedback_folder(class_hub: ClassHub) -> None:
    """Feedback goes only into a folder that the student's own account made and keeps closed:
    a folder another student made first (to read the feedback) or one left open is refused."""
    spec = importlib.util.spec_from_file_location("course_exchange", DEPLOY / "course_exchange.py")
    course_exchange = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course_exchange)
    private_folder_problem = course_exchange.private_folder_problem
    student_feedback_dir = course_exchange.student_feedback_dir

    victim, squatter = class_hub.students
    folder = Path(student_feedback_dir(str(class_hub.exchange), CLASS_COURSE_ID, victim))

    def as_user(user: str, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)

    # The shared feedback folder lets students make their own folder, but not list the others.
    assert as_user(squatter, "ls", str(folder.parent)).returncode != 0
    assert as_user(squatter, "mkdir", "-m", "0777", str(folder)).returncode == 0
    problem = private_folder_problem(str(folder), victim)
    assert problem and f"not by {victim}" in problem
    # ...nor can the squatter's folder be removed by the victim; the instructor clears it
    assert as_user(victim, "rmdir", str(folder)).returncode != 0
    os.rmdir(folder)
    assert as_user(victim, "mkdir", "-m", "0777", str(folder)).returncode == 0
    problem = private_folder_problem(str(folder), victim)
    assert problem and "open to other users" in problem
    os.chmod(folder, 0o770)
    assert private_folder_problem(str(folder), victim) is None
    assert folder.stat().st_uid == pwd.getpwnam(victim).pw_uid
    assert as_user(squatter, "ls", str(folder)).returncode != 0
