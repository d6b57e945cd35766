"""Every ``COURSE_*`` environment variable of the course, in one table (stdlib only, cheap).

The launcher, the bootstrap, the recorder and the start-method resolution read them through
this module (``settings.TRACE_DIR.get()``); worker processes import it at start-up, so it must
not import anything heavy. ``course.py`` and the
test tools (``tests/``) run without the helpers package and read their own variables directly;
they are listed here so that one table names them all. ``python -m helpers.settings`` prints it.
"""
from __future__ import annotations

import os

__all__ = ["Setting", "ALL", "RUN_ID", "START_METHOD", "TRACE_DIR", "TRACE_MAX_EVENTS",
           "STDLIB_FIRST", "TEST_JOBS", "GRADING_TAG", "AUTOGRADE_RUN", "TEST_TOKEN", "CHROMIUM", "BROWSER_RUN",
           "table"]


class Setting:
    """One environment variable: its name, what it means, its default and who reads it."""

    __slots__ = ("name", "meaning", "default", "read_by", "choices")

    def __init__(self, name: str, meaning: str, default: str | None, read_by: str,
                 choices: tuple[str, ...] = ()) -> None:
        self.name, self.meaning, self.default, self.read_by = name, meaning, default, read_by
        self.choices = choices  # the values that mean something, when there is a fixed set

    def get(self) -> str | None:
        """The variable's value, or the default when it is unset or empty."""
        return os.environ.get(self.name) or self.default

    def get_int(self) -> int:
        """The value as an int; the default when unset, empty or not a whole number."""
        try:
            return int(os.environ.get(self.name) or "")
        except ValueError:
            return int(self.default or 0)

    def __repr__(self) -> str:
        return f"Setting({self.name}={self.get()!r})"


RUN_ID = Setting(
    "COURSE_RUN_ID",
    "set by the launcher for each run; its presence turns the bootstrap on in every process "
    "of the program, and it finds processes that left the session (cleanup)",
    None, "helpers/run/launcher.py (sets), helpers/run/_boot/sitecustomize.py, "
    "helpers/run/killtree.py")
START_METHOD = Setting(
    "COURSE_START_METHOD",
    "fork / spawn / forkserver: the default multiprocessing start method of course programs and "
    "graded tasks (the grader sets it to grade under each method); unset: the platform default",
    None, "helpers/run/startmethods.py, helpers/run/launcher.py (sets it for the program), "
    "helpers/run/_boot/sitecustomize.py",
    choices=("fork", "spawn", "forkserver"))
TRACE_DIR = Setting(
    "COURSE_TRACE_DIR",
    "set by the launcher when tracing: the folder where every process writes events-<pid>.log",
    None, "helpers/run/launcher.py (sets), helpers/run/_boot/sitecustomize.py, "
    "helpers/trace/recorder.py")
TRACE_MAX_EVENTS = Setting(
    "COURSE_TRACE_MAX_EVENTS",
    "events recorded per process at most; later ones are only counted (dropped lines)",
    "20000", "helpers/trace/recorder.py")
STDLIB_FIRST = Setting(
    "COURSE_STDLIB_FIRST",
    "set by the launcher in the trusted grading runner: every process of a program imports "
    "standard-library modules from the standard library only, never from a file planted beside "
    "the program or in its working folder (a multiprocessing.py shadowing the real one)",
    None, "helpers/run/launcher.py (sets), helpers/run/_boot/sitecustomize.py")
TEST_JOBS = Setting(
    "COURSE_TEST_JOBS",
    "how many nbgrader validate/autograde runs the tests start at a time (default cores + 2, "
    "at most 4)",
    None, "tests/course_tools.py")
GRADING_TAG = Setting(
    "COURSE_GRADING_TAG",
    "set by the tests on each nbgrader run, to find processes it left behind",
    None, "tests/course_tools.py (sets and reads)")
TEST_TOKEN = Setting(
    "COURSE_TEST_TOKEN",
    "set by the test session, to find processes any test left behind",
    None, "tests/conftest.py (sets and reads)")
CHROMIUM = Setting(
    "COURSE_CHROMIUM",
    "path of the Chromium/Chrome the browser test drives (default: chromium on PATH)",
    None, "course.py, tests/browser/labserver.py, tests/browser/conftest.py")
AUTOGRADE_RUN = Setting(
    "COURSE_AUTOGRADE_RUN",
    "set by the tests on a sandboxed autograde run, to find every process it left behind",
    None, "tests/test_grading_autograde.py, tests/test_grading_units.py (set and read), "
    "helpers/grading/sandbox.py (passes it into the sandbox)")
BROWSER_RUN = Setting(
    "COURSE_BROWSER_RUN",
    "set by the browser test on its JupyterLab server, to stop every process of it at the end",
    None, "tests/browser/labserver.py (sets and reads)")

ALL: tuple[Setting, ...] = (RUN_ID, START_METHOD, TRACE_DIR, TRACE_MAX_EVENTS, STDLIB_FIRST, TEST_JOBS,
                            GRADING_TAG, AUTOGRADE_RUN, TEST_TOKEN, CHROMIUM, BROWSER_RUN)


def table() -> str:
    """The variables as a Markdown table (docs/architecture.md shows the same)."""
    rows = ["| variable | meaning | default | read by |", "| --- | --- | --- | --- |"]
    rows += [f"| `{s.name}` | {s.meaning} | {s.default or '—'} | {s.read_by} |" for s in ALL]
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
