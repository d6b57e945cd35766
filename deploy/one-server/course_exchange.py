"""nbgrader's file-system exchange with private submissions and private feedback.

nbgrader's default exchange makes every submission world-readable (its name has a random part,
so it is hidden, not protected) and puts every student's feedback in one folder, readable by
anyone who knows the file name. On a shared server this course wants more: a student can read
neither another student's submission nor another student's feedback, even knowing the path.

The exchange folders are laid out by ``setup_course.py`` (run as root, once per course)::

    <exchange>/                        1777 root      (nbgrader's default)
      concurrency-1/                   0755 instructor:<graders group>
        outbound/                      2755           released assignments, readable by all
        inbound/                       3773           setgid: every submission gets the graders group;
                                                      sticky, no read for others: nobody lists or
                                                      deletes another's submission
        feedback/                      3773           one folder per student, made by the student
          <student>/                   0770 <student>:<graders group>

* ``PrivateSubmit``: the submission (files 0640, folders 0750, its top 0770) belongs to the
  student and the graders group (inherited from the setgid ``inbound``); others get nothing.
  It also makes the student's own feedback folder ``feedback/<student>/`` (0770).
* ``PrivateReleaseFeedback`` (run by an instructor or TA in the graders group): writes each
  student's feedback into ``feedback/<student>/`` (file 0644 inside a 0770 folder owned by the
  student: the student and the graders read it, nobody else can enter the folder). It refuses a
  folder that is not owned by that student's Unix account or that others can enter. It reads
  ``timestamp.txt`` / ``submission_secret.txt`` from ``feedback/<id>/<assignment>/`` or, where
  the course's grading command did not write them, from ``submitted/<id>/<assignment>/``.
* ``PrivateFetchFeedback``: the student's fetch looks in ``feedback/<student>/``.
* ``OwnerCheckedCollect``: ``inbound`` lets every student make folders, and nbgrader's collect
  takes the student from the folder's name (``<student>+<assignment>+<time>+<random>``), only
  warning when another account owns it. This collect skips such a folder (one log line), before
  it picks each student's latest submission, so a folder made in another student's name can
  neither be graded as theirs nor hide their real submission.

Select them in nbgrader_config.py (``deploy/one-server/jupyter/nbgrader_config.py`` does)::

    c.ExchangeFactory.submit = "course_exchange.PrivateSubmit"
    c.ExchangeFactory.release_feedback = "course_exchange.PrivateReleaseFeedback"
    c.ExchangeFactory.fetch_feedback = "course_exchange.PrivateFetchFeedback"
    c.ExchangeFactory.collect = "course_exchange.OwnerCheckedCollect"
"""
from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import get_username, ignore_patterns, notebook_hash

FEEDBACK = "feedback"
STUDENT_FOLDER_MODE = 0o770


def student_feedback_dir(root: str, course_id: str, student_id: str) -> str:
    return os.path.join(root, course_id, FEEDBACK, student_id)


def private_folder_problem(path: str, student_id: str) -> str | None:
    """Why ``path`` may not hold ``student_id``'s feedback, or None if it may."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{path} does not exist (the student has not submitted)"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a folder"
    try:
        uid = pwd.getpwnam(student_id).pw_uid
    except KeyError:
        return f"no Unix account {student_id!r}"
    if st.st_uid != uid:
        return f"{path} is owned by uid {st.st_uid}, not by {student_id} (uid {uid})"
    if st.st_mode & 0o007:
        return f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def submission_owner_problem(path: str, student_id: str) -> str | None:
    """Why the inbound folder ``path``, named for ``student_id``, is not that student's, or None."""
    try:
        owner_uid = os.lstat(path).st_uid
    except OSError as exc:
        return f"cannot stat it ({exc.strerror})"
    try:
        student_uid = pwd.getpwnam(student_id).pw_uid
    except KeyError:
        return f"there is no Unix account {student_id!r}"
    if owner_uid != student_uid:
        try:
            owner = pwd.getpwuid(owner_uid).pw_name
        except KeyError:
            owner = "?"
        return f"it is owned by uid {owner_uid} ({owner}), not by {student_id} (uid {student_uid})"
    return None


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect, skipping inbound folders not owned by the student they are named for.

    nbgrader's ``init_src`` sorts each student's folders (``_sort_by_timestamp``) and takes the
    newest (before the due date, if asked); only the student's own folders are sorted here, so a
    newer folder in their name made by someone else cannot hide the real submission. A student
    with no folder of their own at all is dropped after nbgrader has chosen."""

    def _problem(self, record: dict) -> str | None:
        path = os.path.join(self.inbound_path, record["filename"])
        problem = submission_owner_problem(path, record["username"])
        if problem:
            self.log.error("Not collecting %s as %s's submission: %s", path, record["username"], problem)
        return problem

    def _sort_by_timestamp(self, records: list[dict]) -> list[dict]:
        own = [r for r in records if self._problem(r) is None]
        return super()._sort_by_timestamp(own or records)

    def init_src(self) -> None:
        super().init_src()
        self.src_records = [r for r in self.src_records
                            if submission_owner_problem(os.path.join(self.inbound_path, r["filename"]),
                                                        r["username"]) is None]


class PrivateSubmit(ExchangeSubmit):
    """Submit so that only the student and the graders group can read the submission."""

    def do_copy(self, src: str, dest: str, log=None) -> None:
        """nbgrader's copy without copying modes: ``shutil.copytree`` would chmod each new
        folder to its source's mode, dropping the setgid bit that gives the files written into
        it later (timestamp.txt, submission_secret.txt) the graders group."""
        size = self.get_size(src)
        if size > 1000 * self.coursedir.max_dir_size:
            raise RuntimeError(f"Directory size is too big. Size is {size}, "
                               f"maximum size is {1000 * self.coursedir.max_dir_size}")
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)

        def copy_folder(source: str, target: str) -> None:
            os.mkdir(target)  # inherits the group (and setgid) of its parent
            names = os.listdir(source)
            skipped = ignore(source, names)
            for name in names:
                if name in skipped:
                    continue
                from_path, to_path = os.path.join(source, name), os.path.join(target, name)
                if os.path.isdir(from_path) and not os.path.islink(from_path):
                    copy_folder(from_path, to_path)
                elif os.path.isfile(from_path):
                    shutil.copyfile(from_path, to_path)

        copy_folder(src, dest)

    def copy_files(self) -> None:
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        self.set_perms(dest, fileperms=0o640, dirperms=0o750)
        os.chmod(dest, 0o770)  # graders may delete what they collected
        student_id = self.coursedir.student_id if self.coursedir.student_id != "*" else get_username()
        mine = student_feedback_dir(self.root, self.coursedir.course_id, student_id)
        if not os.path.isdir(mine):
            try:
                os.mkdir(mine, STUDENT_FOLDER_MODE)
            except FileExistsError:
                pass
            except OSError as exc:
                self.log.warning("Could not make the feedback folder %s: %s", mine, exc)
        if os.path.isdir(mine) and os.lstat(mine).st_uid == os.getuid():
            os.chmod(mine, STUDENT_FOLDER_MODE)
        problem = private_folder_problem(mine, student_id) if os.path.isdir(mine) else None
        if problem:
            self.log.warning("Your feedback folder is not private: %s; tell your instructor.", problem)


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """Release each student's feedback into their own folder of the exchange."""

    def init_dest(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.outbound_feedback_path = os.path.join(self.course_path, FEEDBACK)
        self.dest_path = self.outbound_feedback_path
        if not os.path.isdir(self.dest_path):
            self.fail(f"{self.dest_path} is missing: run deploy/one-server/setup_course.py first")

    def _submission_file(self, student_id: str, name: str, feedback_dir: str) -> str | None:
        for folder in (feedback_dir,
                       self.coursedir.format_path(self.coursedir.submitted_directory, student_id,
                                                  self.coursedir.assignment_id)):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as fh:
                    return fh.read().strip()
        return None

    def copy_files(self) -> None:
        excluded = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        regexp = re.escape(os.path.sep).join([
            self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student_id>.*)",
                                       self.coursedir.assignment_id, escape=True),
            "(?P<notebook_id>.*).html",
        ])
        released = 0
        for html_file in sorted(glob.glob(os.path.join(self.src_path, "*.html"))):
            match = re.match(regexp, html_file)
            if match is None:
                self.log.error("Could not match %r with %r", html_file, regexp)
                continue
            student_id, notebook_id = match.group("student_id"), match.group("notebook_id")
            if student_id in excluded:
                continue
            feedback_dir = os.path.dirname(html_file)
            secret = self._submission_file(student_id, "submission_secret.txt", feedback_dir)
            if not secret:
                self.log.error("No submission_secret.txt for %s (was the submission collected?)", student_id)
                continue
            target_dir = student_feedback_dir(self.root, self.coursedir.course_id, student_id)
            problem = private_folder_problem(target_dir, student_id)
            if problem:
                self.log.error("Not releasing feedback for %s: %s", student_id, problem)
                continue
            checksum = notebook_hash(secret=secret, notebook_id=notebook_id)
            tmp = os.path.join(target_dir, f"{checksum}-tmp.html")
            shutil.copyfile(html_file, tmp)
            os.chmod(tmp, 0o644)  # readable inside a folder only the student (and graders) may enter
            os.replace(tmp, os.path.join(target_dir, f"{checksum}.html"))
            released += 1
            self.log.info("Released feedback for student %r on %s/%s/%s", student_id,
                          self.coursedir.course_id, self.coursedir.assignment_id, notebook_id)
        self.log.info("Released %d feedback file(s)", released)


class PrivateFetchFeedback(ExchangeFetchFeedback):
    """Fetch feedback from the student's own folder of the exchange."""

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        student_id = self.coursedir.student_id if self.coursedir.student_id != "*" else get_username()
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.outbound_path = self.src_path = student_feedback_dir(self.root, self.coursedir.course_id, student_id)
        self.cache_path = os.path.join(self.cache, self.coursedir.course_id)
        self.feedback_files = []
        if not os.path.isdir(self.src_path):
            self.log.warning("No feedback yet: %s does not exist", self.src_path)
            return
        assignment_id = self.coursedir.assignment_id or "*"
        # The student's cached copies of their submissions: <cache>/<course>/<student>+<assignment>+<time>
        for submission in sorted(glob.glob(os.path.join(self.cache_path, f"*+{assignment_id}+*"))):
            _, submitted_assignment, timestamp = os.path.basename(submission).split("+")[:3]
            secret_path = os.path.join(submission, "submission_secret.txt")
            if not os.path.isfile(secret_path):
                continue
            with open(secret_path, encoding="utf-8") as fh:
                secret = fh.read()
            for notebook in sorted(glob.glob(os.path.join(submission, "*.ipynb"))):
                notebook_id = os.path.splitext(os.path.basename(notebook))[0]
                path = os.path.join(self.src_path, f"{notebook_hash(secret=secret, notebook_id=notebook_id)}.html")
                if os.path.exists(path):
                    self.feedback_files.append((notebook_id, timestamp, path))
                    self.log.info("Found feedback for %s/%s/%s submitted at %s", self.coursedir.course_id,
                                  submitted_assignment, notebook_id, timestamp)
                else:
                    self.log.warning("No feedback yet for %s/%s/%s submitted at %s", self.coursedir.course_id,
                                     submitted_assignment, notebook_id, timestamp)
