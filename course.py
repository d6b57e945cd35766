#!/usr/bin/env python3
"""The course's two commands, for any machine with Python 3.10+ (Linux, macOS, Windows).

    python3 course.py lab     # make the environment if needed, open the course in JupyterLab
                              # (--instructor: with nbgrader's Create Assignment and Formgrader)
    python3 course.py test    # make the environment if needed, run every test

Instructors also have ``python3 course.py release [chNN ...]`` (regenerate release/ from source/)
and ``python3 course.py outputs [NN ...]`` (re-execute lecture notebooks, committing fresh outputs).
TAs have ``python3 course.py autograde chNN [--jobs N] [--student ID ...]`` (grade a whole class in a
sandbox, in parallel; see docs/grading.md).

Both create a virtual environment in ``.venv/`` on first use and install the course into it
(``pip install -e .``). A later run reinstalls only when ``pyproject.toml`` changed; a ``.venv`` made
by another interpreter (another version or installation) is rebuilt for the one running this file.
Only the standard library is used here, so this file runs before anything is installed.
"""
from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".course-installed"
MIN_PYTHON = (3, 10)


class SetupError(RuntimeError):
    """A setup step failed; the message says what to do."""


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_env(**extra: str) -> dict[str, str]:
    """The environment for tools run from the venv (nbgrader calls `alembic` by name)."""
    env = dict(os.environ, **extra)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    return env


# The course's packages come from pip; the course itself (helpers/) is on sys.path through one
# line in a .pth file of the venv: no copy, so edits apply at once, as with "pip install -e".
# pip's editable install would add an import finder instead, which every Python process of the
# course (the kernel, each program and each of its children) spends ~11 ms importing at start-up:
# a tenth of the CPU time of grading (benchmarks/bench_grading.py).
PTH_FILE = "concurrency-course.pth"
OLD_EDITABLE = "__editable__*concurrency_course_helpers*"


def course_requirements() -> list[str]:
    """The packages listed in pyproject.toml (environment.yml lists the same: tests/test_repo.py)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
    return re.findall(r'"([^"]+)"', block.group(1)) if block else []


def venv_site_packages(venv_dir: Path) -> Path:
    schemes = sysconfig.get_scheme_names()
    scheme = "venv" if "venv" in schemes else ("nt" if os.name == "nt" else "posix_prefix")
    return Path(sysconfig.get_path("purelib", scheme, vars={"base": str(venv_dir), "platbase": str(venv_dir)}))


def install_course(python: Path) -> None:
    run([python, "-m", "pip", "install", "--quiet", *course_requirements()])
    site = venv_site_packages(VENV)
    if list(site.glob(OLD_EDITABLE)):  # a venv from before: drop its import finder
        run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "concurrency-course-helpers"])
    site.mkdir(parents=True, exist_ok=True)
    (site / PTH_FILE).write_text(str(ROOT) + "\n", encoding="utf-8")


def wanted_stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(sys.version.encode())
    digest.update(PTH_FILE.encode())
    return digest.hexdigest()


def this_python() -> str:
    """How this interpreter is named in messages: version and where it is installed."""
    return f"Python {platform.python_version()} ({sys.base_prefix})"


def venv_made_by(venv_dir: Path) -> tuple[str, Path] | None:
    """(version, home) of the interpreter that made ``venv_dir``, from its pyvenv.cfg (None if unreadable)."""
    try:
        lines = (venv_dir / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    keys = dict(line.split("=", 1) for line in lines if "=" in line)
    keys = {k.strip(): v.strip() for k, v in keys.items()}
    if "version" not in keys or "home" not in keys:
        return None
    return keys["version"], Path(keys["home"])


def venv_fits_this_python(venv_dir: Path) -> bool:
    """A venv is reused only by the interpreter that made it: same version, same installation.

    ``home`` in pyvenv.cfg is the folder of the base interpreter (``<prefix>/bin`` on POSIX, the
    prefix itself on Windows), so it must be this interpreter's ``sys.base_prefix`` or inside it.
    """
    made_by = venv_made_by(venv_dir)
    if made_by is None:
        return False
    version, home = made_by
    if version != platform.python_version():
        return False
    prefix = Path(sys.base_prefix).resolve()
    home = home.resolve()
    return home == prefix or prefix in home.parents


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], **kwargs)
    if result.returncode != 0:
        raise SetupError(f"command failed with exit code {result.returncode}: {' '.join(map(str, cmd))}")


def create_venv(path: Path) -> None:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)


def ensure_environment() -> Path:
    """Create .venv and install the course into it, unless that is already up to date."""
    if sys.version_info < MIN_PYTHON:
        raise SetupError(
            f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+ is needed, this is {sys.version.split()[0]}. "
            "Install a newer Python from python.org and run this command with it."
        )
    python = venv_python()
    if python.exists() and not venv_fits_this_python(VENV):
        made_by = venv_made_by(VENV)
        was = f"Python {made_by[0]} ({made_by[1]})" if made_by else "another Python"
        print(f"The course environment {VENV} was made by {was}; rebuilding it for {this_python()} ...",
              flush=True)
        shutil.rmtree(VENV)
    if not python.exists():
        print(f"Creating the course environment in {VENV} for {this_python()} ...", flush=True)
        try:
            create_venv(VENV)
        except Exception as exc:  # ensurepip missing on some Linux distributions
            raise SetupError(
                f"could not create a virtual environment ({exc}). On Debian/Ubuntu run "
                "'sudo apt-get install python3-venv', then try again."
            ) from exc
    if not STAMP.exists() or STAMP.read_text().strip() != wanted_stamp():
        print("Installing the course and its packages (first run takes a few minutes) ...", flush=True)
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        install_course(python)
        STAMP.write_text(wanted_stamp())
    # Worker processes import part of helpers at start-up; cached bytecode keeps that cheap even
    # where PYTHONDONTWRITEBYTECODE is set (Python still reads .pyc files it may not write).
    try:
        subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "helpers")], stdout=subprocess.DEVNULL)
    except OSError:  # only an optimisation: the course works without cached bytecode
        pass
    return python


def ensure_browser() -> None:
    """The browser test drives the system's Chromium; install it on CI (Debian, as root)."""
    if os.environ.get("COURSE_CHROMIUM") or any(shutil.which(n) for n in ("chromium", "chromium-browser")):
        return
    can_apt = os.name == "posix" and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if can_apt:
        print("Installing Chromium for the browser test (apt-get) ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium", "fonts-noto-cjk"],
            env=env, stdout=subprocess.DEVNULL)
    else:
        print(
            "Note: Chromium was not found, so the browser test (tests/browser) cannot run.\n"
            "  Debian/Ubuntu: sudo apt-get install chromium    macOS: brew install --cask chromium\n"
            "  or point COURSE_CHROMIUM at any Chromium/Chrome executable.",
            flush=True,
        )


def apt_install(packages: list[str], what: str) -> bool:
    """Install Debian packages when this is root on a system with apt-get; False otherwise."""
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    print(f"Installing {what} (apt-get) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    try:
        run(command, env=env, stdout=subprocess.DEVNULL)
    except SetupError:  # an old package list: refresh it once
        run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        run(command, env=env, stdout=subprocess.DEVNULL)
    return True


def ensure_bubblewrap() -> None:
    """Grading runs student code in a bubblewrap sandbox on Linux; install it on Debian as root."""
    if not sys.platform.startswith("linux") or shutil.which("bwrap"):
        return
    if not apt_install(["bubblewrap"], "bubblewrap for the grading sandbox"):
        print("Note: bubblewrap (bwrap) was not found, so grading cannot sandbox student code.\n"
              "  Debian/Ubuntu: sudo apt-get install bubblewrap    Fedora: sudo dnf install bubblewrap",
              flush=True)


def ensure_npm() -> None:
    """The JupyterHub tests (tests/hub/, root only) install JupyterHub's proxy with npm."""
    if not sys.platform.startswith("linux") or shutil.which("npm") or not hasattr(os, "geteuid") \
            or os.geteuid() != 0:
        return
    if not apt_install(["nodejs", "npm"], "Node.js and npm for the JupyterHub tests' proxy"):
        print("Note: npm was not found; the JupyterHub tests need it (Debian/Ubuntu: apt-get install nodejs npm)",
              flush=True)


def cmd_autograde(extra: list[str]) -> int:
    """TAs: grade every submitted/<id>/chNN/ safely and in parallel (helpers/grading/autograde.py)."""
    python = ensure_environment()
    ensure_bubblewrap()
    return subprocess.call([str(python), "-m", "helpers.grading.autograde", *extra, "--course", str(ROOT)],
                           cwd=ROOT, env=venv_env(), stdin=subprocess.DEVNULL)


WORKSPACE = "work"  # the student's own folder in the course folder; git ignores it
LAB_CONFIG = ROOT / "course-lab"  # the course's JupyterLab configuration (see its README.md)
KERNEL_CONFIG = """\
# Written by course.py: every IPython kernel of the course environment (JupyterLab, nbval,
# nbgrader validate/autograde, course.py outputs) loads the course's helpers at start, so the
# cell magics %%program and %%run_program work before any cell has run.
c.InteractiveShellApp.extensions = ["helpers"]
"""
# Never copied into a workspace (editor and Python leftovers in release/).
NOT_COPIED = {".ipynb_checkpoints", "__pycache__", ".programs"}


def install_kernel_config(venv_dir: Path = VENV) -> Path:
    """Make every IPython kernel of the venv load the helpers extension (``%%program`` etc.).

    IPython reads ``<sys.prefix>/etc/ipython/ipython_kernel_config.py`` for every kernel started
    with this environment's Python, whoever starts it (Lab, nbval, nbgrader, nbconvert).
    """
    path = venv_dir / "etc" / "ipython" / "ipython_kernel_config.py"
    if not path.is_file() or path.read_text(encoding="utf-8") != KERNEL_CONFIG:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(KERNEL_CONFIG, encoding="utf-8")
    return path


def prepare_workspace(root: Path = ROOT) -> list[Path]:
    """Copy each released assignment into the student's ``work/`` folder; return what was copied.

    Only files that are missing are copied (the first run copies everything, a later one the
    chapters and files released since); an existing file is never opened for writing, so nothing
    a student wrote can be overwritten. Delete or rename your copy to get a fresh one.
    """
    release, work = root / "release", root / WORKSPACE
    work.mkdir(exist_ok=True)
    copied = []
    assignments = sorted(p for p in release.iterdir() if p.is_dir()) if release.is_dir() else []
    for assignment in assignments:
        for src in sorted(assignment.rglob("*")):
            relative = src.relative_to(release)
            if not src.is_file() or NOT_COPIED.intersection(relative.parts):
                continue
            dest = work / relative
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with src.open("rb") as fin, dest.open("xb") as fout:  # "x": never overwrite
                    shutil.copyfileobj(fin, fout)
            except FileExistsError:
                continue
            shutil.copystat(src, dest)
            copied.append(dest)
    return copied


def lab_arguments(root: Path = ROOT, *, instructor: bool = False) -> tuple[list[str], dict[str, str]]:
    """What ``course.py lab`` adds to ``python -m jupyter lab``, and to the environment.

    Student mode (default): only ``work/`` is writable, the file browser opens there, no nbgrader
    instructor panels (course-lab/student/). Both modes: no Jupyter news question, and
    ``--allow-root`` when running as root (e.g. in a container), which Jupyter refuses otherwise.
    """
    args = [f"--ServerApp.root_dir={root}", f"--LabApp.app_settings_dir={LAB_CONFIG / 'settings'}"]
    env: dict[str, str] = {}
    if not instructor:
        config_path = [str(LAB_CONFIG / "student"), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])]
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(config_path)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return args, env


def cmd_lab(extra: list[str]) -> int:
    """Students: open the course (``--instructor``: with nbgrader's Create Assignment and Formgrader)."""
    instructor = "--instructor" in extra
    extra = [a for a in extra if a != "--instructor"]
    python = ensure_environment()
    install_kernel_config()
    if instructor:
        print("Instructor mode: every file is writable; nbgrader's Create Assignment and Formgrader are on.")
    else:
        copied = prepare_workspace()
        if copied:
            print(f"你的作业副本已放进 {WORKSPACE}/（git 不跟踪这个文件夹，更新课程不会覆盖它）：")
            for path in copied:
                print(f"  {path.relative_to(ROOT)}")
        print(f"你的作业都在 {ROOT / WORKSPACE} 里；讲义 notebooks/ 只读（可以运行，改动请“另存为”到 {WORKSPACE}/）。")
    print(f"Opening the course in JupyterLab with {this_python()} (stop it with Ctrl+C) ...", flush=True)
    lab_args, lab_env = lab_arguments(instructor=instructor)
    args = [str(python), "-m", "jupyter", "lab", *lab_args, *extra]
    try:
        return subprocess.call(args, cwd=ROOT, env=venv_env(**lab_env))
    except KeyboardInterrupt:
        return 0


def cmd_test(extra: list[str]) -> int:
    python = ensure_environment()
    install_kernel_config()
    print(f"Testing with {this_python()} in {VENV}", flush=True)
    ensure_browser()
    ensure_bubblewrap()
    ensure_npm()
    env = venv_env()
    code = subprocess.call([str(python), "-m", "pytest", *extra], cwd=ROOT, env=env)
    return code


def cmd_release(extra: list[str]) -> int:
    """Instructors: regenerate release/ from source/ (all assignments, or the ones named)."""
    python = ensure_environment()
    names = extra or sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
    for name in names:
        if not (ROOT / "source" / name).is_dir():
            raise SetupError(f"no assignment source/{name}; assignments are: {', '.join(sorted(p.name for p in (ROOT / 'source').iterdir() if p.is_dir()))}")
        run([python, "-m", "nbgrader", "generate_assignment", name, "--force"], cwd=ROOT, env=venv_env(),
            stdin=subprocess.DEVNULL)
    return 0


def lecture_notebooks(prefixes: list[str]) -> list[Path]:
    """The lecture notebooks whose names start with one of ``prefixes`` (all when empty)."""
    lectures = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    if not prefixes:
        return lectures
    chosen = []
    for prefix in prefixes:
        prefix = prefix.removeprefix("ch").removeprefix("notebooks/")
        found = [nb for nb in lectures if nb.name.startswith(prefix)]
        if not found:
            raise SetupError(f"no lecture notebook starts with {prefix!r}; lectures are: "
                             + ", ".join(nb.name for nb in lectures))
        chosen.extend(nb for nb in found if nb not in chosen)
    return chosen


def cmd_outputs(extra: list[str]) -> int:
    """Instructors: re-execute lecture notebooks in place in the course environment, so that the
    committed outputs are the ones nbval compares against (run the tests afterwards)."""
    notebooks = lecture_notebooks(extra)
    python = ensure_environment()
    install_kernel_config()
    for notebook in notebooks:
        run([python, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
             "--ExecutePreprocessor.timeout=120", str(notebook)],
            cwd=notebook.parent, env=venv_env(), stdin=subprocess.DEVNULL)
    return 0


COMMANDS = {"lab": cmd_lab, "test": cmd_test, "release": cmd_release, "outputs": cmd_outputs,
            "autograde": cmd_autograde}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        print("Unknown or missing command. Use one of: " + ", ".join(COMMANDS))
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except SetupError as exc:
        print(f"course.py: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
