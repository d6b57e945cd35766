"""The course's JupyterLab in student mode: only the student's workspace ``work/`` is writable.

``python3 course.py lab`` serves the whole course folder with this contents manager
(``--ServerApp.contents_manager_class=helpers.studentlab.StudentContentsManager``):

* files under ``work/`` (the student's own copies of the assignments, ignored by git) are
  read and written as usual;
* every other file — the lecture notebooks in ``notebooks/``, ``release/``, the docs — is served
  read-only: a student can open a lecture and run every cell, but Lab never saves it, so
  ``git pull`` of a course update never conflicts with a student's change and always brings the
  fixed lecture. To keep an experiment, "File → Save Notebook As…" into ``work/``.
* a save, rename or delete outside ``work/`` answers with a Chinese explanation (HTTP 403), not
  a traceback;
* the instructor's folders (``source/`` with the solutions, ``release/``, graded work) are not
  listed in the file browser.

Runs in the Jupyter server, never in a kernel or a worker process. ``course.py lab --instructor``
does not use it.
"""
from __future__ import annotations

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets import Unicode, default

WORKSPACE = "work"
# Instructor folders a student does not need to see (still reachable by their path).
HIDDEN_FOR_STUDENTS = ["source", "release", "autograded", "submitted", "feedback", "gradebook.db",
                       "*.egg-info", "test-artifacts", ".programs"]

READ_ONLY_MESSAGE = (
    "“{path}” 是课程自带的文件，在学生模式下只读：你可以运行它的单元格，但不能保存改动"
    "（这样 git pull 更新课程时不会冲突）。想保留改动，请用“文件 → 另存为”（File → Save As）"
    "把它存到 {workspace}/ 文件夹里，你的作业也都在那里。"
)


def inside(path: str, workspace: str = WORKSPACE) -> bool:
    """Is the API path ``path`` (relative to the course folder) the workspace or inside it?"""
    path = path.strip("/")
    return path == workspace or path.startswith(workspace + "/")


class StudentContentsManager(AsyncLargeFileManager):
    """Jupyter's file manager with everything outside ``workspace`` read-only."""

    workspace = Unicode(WORKSPACE, config=True,
                        help="The student's folder, relative to root_dir: the only writable place.")

    @default("hide_globs")
    def _hide_globs_default(self) -> list[str]:
        return [*AsyncLargeFileManager.hide_globs.make_dynamic_default(), *HIDDEN_FOR_STUDENTS]

    @default("preferred_dir")
    def _preferred_dir_default(self) -> str:
        return self.workspace

    def _refuse(self, path: str) -> None:
        if not inside(path, self.workspace):
            raise web.HTTPError(403, READ_ONLY_MESSAGE.format(path=path.strip("/"),
                                                              workspace=self.workspace))

    def is_writable(self, path: str) -> bool:
        return inside(path, self.workspace) and super().is_writable(path)

    async def save(self, model: dict, path: str = "") -> dict:
        self._refuse(path)
        return await super().save(model, path)

    async def delete_file(self, path: str) -> None:
        self._refuse(path)
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        self._refuse(old_path)
        self._refuse(new_path)
        await super().rename_file(old_path, new_path)
