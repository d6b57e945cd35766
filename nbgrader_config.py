"""nbgrader configuration for the course 并发编程（一） (course id ``concurrency-1``).

Folders (relative to this file, which is the course root):
  source/<assignment>/       instructor versions with solutions and hidden tests
  release/<assignment>/      student versions made by ``nbgrader generate_assignment``
  submitted/<student>/<assignment>/   what TAs collect (kept out of git)
  autograded/<student>/<assignment>/  what ``nbgrader autograde`` writes (kept out of git)
  feedback/<student>/<assignment>/    what ``nbgrader generate_feedback`` writes (kept out of git)
"""
import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "concurrency-1"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Gradebook next to the course, kept out of git (.gitignore).
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")
# Worker programs written by the %%program magic are part of a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".programs"]

# Every cell gets at most this many seconds when validating or autograding; a hanging cell is
# interrupted and grading goes on with the next cell (interrupt_on_timeout is nbgrader's default).
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
# Kernels are stopped at once after grading: a graceful shutdown stalled 3.3 s on ~8% of them.
c.Execute.shutdown_kernel = "immediate"

# Plain `nbgrader autograde` / `generate_feedback` (the TA command `course.py autograde` does not
# use them, see docs/grading.md): no false "checksum has changed" warning for untouched test
# cells (nbgrader#1961), and feedback without hidden test source or tracebacks quoting it.
try:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, OverwriteKernelspec

    from helpers.grading.nbgrader_plugins import HideHiddenTests, QuietOverwriteCells

    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, QuietOverwriteCells,
                                          CheckCellMetadata]
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
except ImportError:  # nbgrader_config.py read without the course environment
    pass

# What students see where a solution was removed.
c.ClearSolutions.code_stub = {
    "python": "# 在这里写你的代码\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "在这里写你的答案"
