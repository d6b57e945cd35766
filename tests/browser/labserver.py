"""A private JupyterLab server on a copy of the course, for the browser test (see conftest.py).

How the pieces fit::

    pytest ── Popen (new session) ──> python -m jupyter lab --port P --IdentityProvider.token T
       │                               root_dir = <tmp>/course   (a COPY of notebooks/ + release/,
       │                               with the student workspace work/ made by course.py)
       │                               the arguments and environment of `course.py lab` (student
       │                               mode unless instructor=True: course-lab/ config, --allow-root as root)
       │                               runtime, settings, workspaces: under <tmp>/course/.lab/
       │                                   └── kernels (their own sessions) ── %%run_program workers
       │
       └── playwright (sync) ── launches the SYSTEM chromium (shutil.which / $COURSE_CHROMIUM)
                                  └── http://127.0.0.1:P/lab/tree/...?token=T

Running cells in the browser writes outputs and programs into the copy, never into the repo.
On teardown: kernels are shut down through the REST API, the server gets SIGTERM, then its
whole process group SIGKILL; anything still carrying this run's marker (an environment variable
every process of the server inherits) or naming the copy in its command line is killed, and the
fixture fails if something survived even that.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import psutil

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
RUN_MARKER = "COURSE_BROWSER_RUN"  # every process of our server inherits it
SERVER_START_TIMEOUT = 60.0  # s, first start imports nbgrader's extensions (slow on a busy CI box)
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HELP = (
    "浏览器测试 (browser test) 需要 Chromium：Playwright 驱动的是系统里装好的浏览器，不会自己下载。\n"
    "  Debian/Ubuntu: sudo apt-get install chromium\n"
    "  macOS:         brew install --cask chromium\n"
    "  或者把环境变量 COURSE_CHROMIUM 设为任一 Chromium/Chrome 可执行文件的路径。\n"
    "（在 Debian 上以 root 身份运行 python3 course.py test 时会自动安装。）"
)
# Lab settings for a predictable page: every cell in the DOM (no virtual scrolling). The news
# and update toasts are NOT turned off here: course.py's own configuration must do that.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class ServerStartError(RuntimeError):
    """JupyterLab did not come up; the message carries the end of its log."""


class LeftoverProcessError(AssertionError):
    """Processes of the test server survived its shutdown."""


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server serving a copy of the course."""

    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path  # the copy the server serves
    marker: str  # value of RUN_MARKER in the environment of every process it starts
    process: subprocess.Popen[bytes]
    log: Path

    def page_url(self, path: str, workspace: str | None = None) -> str:
        """The URL that opens ``path`` (relative to the copy) in JupyterLab, logged in.

        With ``workspace``, Lab starts from that empty workspace (``reset``) instead of restoring
        the tabs an earlier page left open, so the page shows this one notebook only.
        """
        if workspace is None:
            return f"{self.url}/lab/tree/{path}?token={self.token}"
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}&reset"

    def api(self, path: str, method: str = "GET") -> object:
        """Call the server's REST API; returns the decoded JSON (``None`` for an empty body)."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernel_state(self, path: str) -> str | None:
        """The execution state the server reports for the kernel of notebook ``path``, if any."""
        sessions = self.api("/api/sessions")
        for session in sessions if isinstance(sessions, list) else []:
            if session.get("path") == path and session.get("kernel"):
                return str(session["kernel"].get("execution_state"))
        return None


def chromium_executable() -> str | None:
    """The system Chromium: $COURSE_CHROMIUM, else ``chromium`` / ``chromium-browser`` on PATH."""
    configured = os.environ.get("COURSE_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A port nobody listens on right now (bind port 0 and let the OS choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def course_module() -> ModuleType:
    """The repo's course.py as a module (stdlib only; importing it runs no command)."""
    spec = importlib.util.spec_from_file_location("course_for_browser_test", ROOT / "course.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_course(dest: Path) -> Path:
    """Copy what a student opens (lectures, released assignments, nbgrader config) to ``dest``
    and make the student workspace there as ``course.py lab`` does."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".programs")
    for folder in ("notebooks", "release"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    shutil.copy2(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    course_module().prepare_workspace(dest)
    return dest


def _write_settings(settings_dir: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_lab(root: Path, marker: str, *, instructor: bool = False) -> Lab:
    """Start ``python -m jupyter lab`` from this environment on a free port serving ``root``,
    configured as ``course.py lab`` (``--instructor`` when ``instructor``) configures it."""
    lab_dir = root / ".lab"
    for sub in ("runtime", "settings", "workspaces", "config", "data"):
        (lab_dir / sub).mkdir(parents=True, exist_ok=True)
    _write_settings(lab_dir / "settings")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update({
        RUN_MARKER: marker,
        # Kernel connection files (and so kernel command lines) live in the copy; the student's
        # own ~/.jupyter config and lab state stay out of the test.
        "JUPYTER_RUNTIME_DIR": str(lab_dir / "runtime"),
        "JUPYTER_CONFIG_DIR": str(lab_dir / "config"),
        "JUPYTER_DATA_DIR": str(lab_dir / "data"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    })
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    course_args, course_env = course_module().lab_arguments(root, instructor=instructor)
    env.update(course_env)
    log = lab_dir / "server.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        *course_args,
        f"--LabApp.user_settings_dir={lab_dir / 'settings'}",
        f"--LabApp.workspaces_dir={lab_dir / 'workspaces'}",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, marker=marker,
              process=process, log=log)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise ServerStartError(
                f"JupyterLab exited with code {process.returncode} while starting:\n{_tail(log)}"
            )
        try:
            lab.api("/api/status")
            return lab
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        if time.monotonic() > deadline:
            stop_lab(lab)
            raise ServerStartError(
                f"JupyterLab did not answer /api/status within {SERVER_START_TIMEOUT:.0f} s:\n"
                f"{_tail(log)}"
            )
        time.sleep(0.2)


def ours(root: Path, marker: str) -> list[psutil.Process]:
    """Running processes that belong to this test server: the marker or the copy's path."""
    found = []
    me = os.getpid()
    root_text = str(root)
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if root_text in " ".join(proc.cmdline()) or proc.environ().get(RUN_MARKER) == marker:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def stop_lab(lab: Lab) -> list[str]:
    """Stop the server and everything it started; return descriptions of the processes that
    were still running after the server's own shutdown and had to be killed by force."""
    try:  # the polite way first: the server ends its kernels and their worker programs
        kernels = lab.api("/api/kernels")
        for kernel in kernels if isinstance(kernels, list) else []:
            lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        pass
    if lab.process.poll() is None:
        lab.process.terminate()  # SIGTERM: the server shuts down what is left and exits
        try:
            lab.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    if hasattr(os, "killpg"):
        try:  # start_new_session=True, so the group id is the server's pid
            os.killpg(lab.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    else:
        lab.process.kill()
    try:
        lab.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    # Kernels run in sessions of their own (and Windows has no process groups): find the rest.
    forced = []
    stragglers = ours(lab.root, lab.marker)
    for proc in stragglers:
        try:
            forced.append(f"pid {proc.pid} {' '.join(proc.cmdline())[:150]}")
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(stragglers, timeout=5)
    return forced
