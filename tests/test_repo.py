"""The repository's shape and setup: layout, dependency lists, the two commands, CI, .gitignore."""
from __future__ import annotations

import importlib.util
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_course_module():
    spec = importlib.util.spec_from_file_location("course_cli", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_top_level_layout() -> None:
    for folder in ("notebooks", "source", "release", "autograded", "helpers", "tests"):
        assert (ROOT / folder).is_dir(), folder
    for name in ("environment.yml", "nbgrader_config.py", "README.md", "pyproject.toml", ".ci/run", "course.py"):
        assert (ROOT / name).is_file(), name


def _pyproject_dependencies() -> dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
    deps = re.findall(r'"([^"]+)"', block)
    return {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower(): d[len(re.match(r"[A-Za-z0-9_.-]+", d).group(0)):] for d in deps}


def _conda_dependencies() -> dict[str, str]:
    deps = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if m and m.group(1) not in ("python", "pip"):
            deps[m.group(1).lower()] = m.group(2).strip()
    return deps


def test_environment_yml_and_pyproject_name_the_same_packages() -> None:
    assert _pyproject_dependencies() == _conda_dependencies()


def test_required_packages_are_dependencies() -> None:
    deps = _pyproject_dependencies()
    for name in ("jupyterlab", "nbgrader", "matplotlib", "ipywidgets", "pytest", "nbval", "psutil"):
        assert name in deps, name


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert "python3 course.py lab" in commands and "python3 course.py test" in commands
    ci = (ROOT / ".ci" / "run").read_text()
    run_lines = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")
                 and not line.startswith(("set ", "cd "))]
    assert run_lines == ["exec python3 course.py test"]


@pytest.mark.parametrize("path", [
    ".venv/bin/python", "submitted/s1/ch00/ch00.ipynb", "feedback/s1/ch00/ch00.html", "gradebook.db",
    "autograded/s1/ch00/ch00.ipynb", "notebooks/.programs/demo.py", "test-artifacts/shot.png", "grades.csv",
])
def test_generated_output_is_ignored_by_git(path: str) -> None:
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
    assert done.returncode == 0, f"{path} should be ignored by .gitignore"


def test_autograded_readme_is_kept() -> None:
    done = subprocess.run(["git", "check-ignore", "-q", "autograded/README.md"], cwd=ROOT)
    assert done.returncode == 1


def _fake_venv(course, monkeypatch: pytest.MonkeyPatch, root: Path, version: str, home: Path) -> Path:
    """A venv folder with a python file and a pyvenv.cfg naming ``version`` and ``home``."""
    fake_venv = root / "venv"
    python = fake_venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    python.parent.mkdir(parents=True)
    python.write_text("")
    (fake_venv / "pyvenv.cfg").write_text(f"home = {home}\ninclude-system-site-packages = false\nversion = {version}\n")
    monkeypatch.setattr(course, "VENV", fake_venv)
    monkeypatch.setattr(course, "STAMP", fake_venv / ".course-installed")
    return fake_venv


def _this_home() -> Path:
    return Path(sys.base_prefix) / ("" if sys.platform == "win32" else "bin")


def test_second_run_does_not_reinstall(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    course = load_course_module()
    _fake_venv(course, monkeypatch, tmp_path, platform.python_version(), _this_home())
    calls: list[list[str]] = []
    monkeypatch.setattr(course, "run", lambda cmd, **kw: calls.append([str(c) for c in cmd]))
    course.ensure_environment()  # no stamp yet: installs
    assert any("install" in c for c in calls[-1])
    calls.clear()
    course.ensure_environment()  # stamp matches: nothing to do
    assert calls == []


@pytest.mark.parametrize("version, home", [
    ("3.9.0", None),                       # another version
    (None, Path("/opt/other-python/bin")),  # same version, another installation
])
def test_venv_made_by_another_python_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str], version, home) -> None:
    course = load_course_module()
    fake_venv = _fake_venv(course, monkeypatch, tmp_path, version or platform.python_version(),
                           home or _this_home())
    created: list[Path] = []

    def create(path: Path) -> None:  # what venv would make, without running pip
        created.append(path)
        _fake_venv(course, monkeypatch, tmp_path / "unused", platform.python_version(), _this_home())
        shutil.copytree(tmp_path / "unused" / "venv", path)

    monkeypatch.setattr(course, "create_venv", create)
    monkeypatch.setattr(course, "VENV", fake_venv)
    monkeypatch.setattr(course, "STAMP", fake_venv / ".course-installed")
    calls: list[list[str]] = []
    monkeypatch.setattr(course, "run", lambda cmd, **kw: calls.append([str(c) for c in cmd]))
    course.ensure_environment()
    out = capsys.readouterr().out
    assert created == [fake_venv]
    assert f"rebuilding it for Python {platform.python_version()}" in out
    assert any("install" in c for c in calls[-1])
    assert course.venv_fits_this_python(fake_venv)


def test_venv_without_pyvenv_cfg_does_not_fit(tmp_path: Path) -> None:
    course = load_course_module()
    assert not course.venv_fits_this_python(tmp_path)
    assert course.venv_made_by(tmp_path) is None


def test_unknown_command_and_unknown_assignment_give_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    course = load_course_module()
    assert course.main(["bogus"]) == 2
    assert "Unknown or missing command" in capsys.readouterr().out
    assert course.main(["release", "ch99"]) == 1
    assert "no assignment source/ch99" in capsys.readouterr().err
    assert course.main(["outputs", "99"]) == 1
    assert "no lecture notebook starts with '99'" in capsys.readouterr().err


def test_outputs_command_picks_lectures_by_chapter_number() -> None:
    course = load_course_module()
    names = [nb.name for nb in course.lecture_notebooks(["03", "ch05"])]
    assert names == ["03-process-lifecycle.ipynb", "05-join-and-process-lifecycle.ipynb"]
    assert len(course.lecture_notebooks([])) == len(list((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")))


def test_nbgrader_config() -> None:
    from traitlets.config import Config

    cfg = Config()
    namespace = {"get_config": lambda: cfg, "__file__": str(ROOT / "nbgrader_config.py")}
    exec((ROOT / "nbgrader_config.py").read_text(), namespace)
    cd = cfg.CourseDirectory
    assert cd.course_id == "concurrency-1"
    assert (cd.source_directory, cd.release_directory, cd.autograded_directory) == ("source", "release", "autograded")
    assert (cd.submitted_directory, cd.feedback_directory) == ("submitted", "feedback")
    assert cd.db_url.endswith("gradebook.db")
    assert cfg.Execute.timeout == 30
    assert "在这里写你的代码" in cfg.ClearSolutions.code_stub["python"]
    assert "raise NotImplementedError()" in cfg.ClearSolutions.code_stub["python"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the apt-get step is for Debian/Ubuntu")
def test_test_command_installs_npm_with_apt_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI runs on a clean machine: the hub tests' proxy comes from npm, so the test command
    installs Node.js and npm with apt-get (as root) when npm is missing, like bubblewrap."""
    course = load_course_module()
    calls: list[list[str]] = []
    monkeypatch.setattr(course, "run", lambda cmd, **kw: calls.append([str(c) for c in cmd]))
    monkeypatch.setattr(course.shutil, "which", lambda name: None if name == "npm" else f"/usr/bin/{name}")
    monkeypatch.setattr(course.os, "geteuid", lambda: 0)
    course.ensure_npm()
    assert calls == [["apt-get", "install", "-y", "-q", "--no-install-recommends", "nodejs", "npm"]]
    calls.clear()
    monkeypatch.setattr(course.os, "geteuid", lambda: 1000)  # not root: nothing to install
    course.ensure_npm()
    assert calls == []
