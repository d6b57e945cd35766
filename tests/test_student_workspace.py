"""The student's side of the course folder: work that is never lost.

* ``course.py lab`` copies each released assignment into ``work/`` (ignored by git) and never
  overwrites a file there;
* a course update (a new commit upstream, ``git pull``) brings new chapters and lecture fixes
  without conflicts and keeps a student's edited answers;
* in student mode JupyterLab writes only inside ``work/`` (``helpers.studentlab``), so a lecture a
  student ran cannot block ``git pull``.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from course_tools import LECTURE_FIX, course_clones, git, push_course_update

ROOT = Path(__file__).resolve().parents[1]
GIT = shutil.which("git")


def load_course() -> ModuleType:
    """course.py (the file in this checkout) as a module, without running a command."""
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course = load_course()


def answer(path: Path, text: str) -> None:
    """Write ``text`` into the first solution cell of the notebook at ``path`` (as a student would)."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = text
    nbformat.write(nb, path)


def first_answer(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))


# --- prepare_workspace ------------------------------------------------------------------------

def make_release(root: Path) -> None:
    for name, files in {"ch01": {"ch01.ipynb": "one", "data/input.txt": "x"},
                        "ch02": {"ch02.ipynb": "two"}}.items():
        for rel, text in files.items():
            path = root / "release" / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    junk = root / "release" / "ch01" / ".ipynb_checkpoints" / "ch01-checkpoint.ipynb"
    junk.parent.mkdir()
    junk.write_text("junk", encoding="utf-8")


def test_first_run_copies_every_released_file(tmp_path: Path) -> None:
    make_release(tmp_path)
    copied = course.prepare_workspace(tmp_path)
    work = tmp_path / "work"
    assert sorted(p.relative_to(work).as_posix() for p in copied) == [
        "ch01/ch01.ipynb", "ch01/data/input.txt", "ch02/ch02.ipynb"]
    assert (work / "ch01" / "ch01.ipynb").read_text(encoding="utf-8") == "one"
    assert not (work / "ch01" / ".ipynb_checkpoints").exists()


def test_later_runs_copy_only_what_is_new_and_never_touch_existing_files(tmp_path: Path) -> None:
    make_release(tmp_path)
    course.prepare_workspace(tmp_path)
    work = tmp_path / "work"
    mine = work / "ch01" / "ch01.ipynb"
    mine.write_text("my answers", encoding="utf-8")
    before = mine.stat().st_mtime_ns
    (work / "ch02" / "ch02.ipynb").unlink()  # a student who wants a fresh copy deletes theirs
    (tmp_path / "release" / "ch01" / "ch01.ipynb").write_text("fixed by the instructor", encoding="utf-8")
    (tmp_path / "release" / "ch03").mkdir()
    (tmp_path / "release" / "ch03" / "ch03.ipynb").write_text("three", encoding="utf-8")

    copied = course.prepare_workspace(tmp_path)

    assert sorted(p.relative_to(work).as_posix() for p in copied) == ["ch02/ch02.ipynb", "ch03/ch03.ipynb"]
    assert mine.read_text(encoding="utf-8") == "my answers"
    assert mine.stat().st_mtime_ns == before
    assert course.prepare_workspace(tmp_path) == []


def test_the_real_release_is_copied_with_the_same_content(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "release", tmp_path / "release",
                    ignore=shutil.ignore_patterns(*course.NOT_COPIED))
    course.prepare_workspace(tmp_path)
    for released in sorted((ROOT / "release").glob("ch*/*.ipynb")):
        copy = tmp_path / "work" / released.relative_to(ROOT / "release")
        assert copy.read_bytes() == released.read_bytes(), copy


# --- a course update with git pull --------------------------------------------------------------

@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_git_pull_of_a_course_update_keeps_the_students_answers(tmp_path: Path) -> None:
    """Upstream = this repository's last commit. A student clones it, opens the lab (workspace
    copied), answers ch00 and runs a lecture; the instructor fixes that lecture and ch00's
    released notebook and releases a new chapter; the student pulls."""
    student, instructor = course_clones(ROOT, tmp_path)

    student_course = course.prepare_workspace(student)
    mine = student / "work" / "ch00" / "ch00.ipynb"
    assert mine in student_course
    answer(mine, "my_answer = 42  # 我的答案")
    assert git(student, "status", "--porcelain") == "", "the workspace must be ignored by git"

    lecture = push_course_update(instructor)

    git(student, "pull", "--quiet", "--ff-only")
    copied = course.prepare_workspace(student)

    assert first_answer(mine) == "my_answer = 42  # 我的答案"
    assert copied == [student / "work" / "ch99" / "ch99.ipynb"]
    student_lecture = student / "notebooks" / lecture.name
    assert LECTURE_FIX in student_lecture.read_text(encoding="utf-8")
    assert git(student, "status", "--porcelain") == ""


def test_gitignore_ignores_the_workspace() -> None:
    if GIT is None:
        pytest.skip("git is not installed")
    done = subprocess.run([GIT, "check-ignore", "-q", "work/ch05/ch05.ipynb"], cwd=ROOT)
    assert done.returncode == 0, ".gitignore must ignore work/ (the student workspace)"


# --- student mode: only work/ is writable -------------------------------------------------------

def test_student_mode_writes_only_in_the_workspace(tmp_path: Path) -> None:
    from tornado.web import HTTPError

    from helpers.studentlab import StudentContentsManager

    (tmp_path / "work" / "ch01").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    lecture = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(lecture, tmp_path / "notebooks" / "01-x.ipynb")
    (tmp_path / "source").mkdir()
    manager = StudentContentsManager(root_dir=str(tmp_path))

    async def scenario() -> None:
        model = await manager.get("notebooks/01-x.ipynb")
        assert model["writable"] is False
        with pytest.raises(HTTPError) as refused:
            await manager.save(model, "notebooks/01-x.ipynb")
        assert refused.value.status_code == 403
        assert "只读" in refused.value.log_message and "work/" in refused.value.log_message
        with pytest.raises(HTTPError):
            await manager.delete_file("notebooks/01-x.ipynb")
        with pytest.raises(HTTPError):
            await manager.rename_file("notebooks/01-x.ipynb", "work/01-x.ipynb")
        saved = await manager.save({**model, "writable": True}, "work/01-x.ipynb")
        assert saved["writable"] is True
        assert (await manager.get("work"))["writable"] is True
        listing = [item["name"] for item in (await manager.get(""))["content"]]
        assert "work" in listing and "notebooks" in listing and "source" not in listing

    asyncio.run(scenario())
    assert nbformat.read(tmp_path / "notebooks" / "01-x.ipynb", as_version=4).cells[0].source == "print(1)"
    assert manager.preferred_dir == "work"


def test_lab_arguments_student_and_instructor_modes() -> None:
    args, env = course.lab_arguments(ROOT)
    assert f"--ServerApp.root_dir={ROOT}" in args
    assert any(a.startswith("--LabApp.app_settings_dir=") for a in args)
    student_dir = Path(env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0])
    server = json.loads((student_dir / "jupyter_server_config.json").read_text(encoding="utf-8"))
    assert server["ServerApp"]["contents_manager_class"] == "helpers.studentlab.StudentContentsManager"
    page = json.loads((student_dir / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert page["disabledExtensions"]["@jupyter/nbgrader:create-assignment"] is True
    args_i, env_i = course.lab_arguments(ROOT, instructor=True)
    assert "JUPYTER_CONFIG_PATH" not in env_i
    root_user = hasattr(os, "geteuid") and os.geteuid() == 0
    assert ("--allow-root" in args) == root_user == ("--allow-root" in args_i)
    overrides = json.loads((course.LAB_CONFIG / "settings" / "overrides.json").read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


# --- how to hand in, as the student guide and chapter 00 say it ----------------------------------

def _student_texts() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme[readme.index("## 给同学们"):]
    end = guide.find("\n## ", 1)
    guide = guide if end < 0 else guide[:end]
    lecture = nbformat.read(ROOT / "notebooks" / "00-getting-started.ipynb", as_version=4)
    handing_in = "".join(c.source for c in lecture.cells
                         if c.cell_type == "markdown" and "怎样交" in c.source)
    return {"README 学生指南": guide, "00-getting-started": handing_in}


@pytest.mark.parametrize("where", ["README 学生指南", "00-getting-started"])
def test_the_student_is_told_how_to_hand_in_on_a_hub_and_without_one(where: str) -> None:
    """A hosted class hands in through nbgrader's Assignments tab (deploy/); a student on their
    own machine hands in the notebook file. Neither text may say the course has no exchange."""
    text = _student_texts()[where]
    assert text, f"{where}: no text about handing in"
    assert "JupyterHub" in text and "Assignments" in text and "Submit" in text and "Fetch" in text, text
    assert "work/chNN/chNN.ipynb" in text, text
    assert "没有 nbgrader 的交换目录" not in text, text
