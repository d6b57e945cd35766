"""Drive a real JupyterHub (deploy/one-server/jupyterhub_config.py) on localhost from a test.

* ``ensure_proxy()``: configurable-http-proxy from npm, installed once into ``.venv/hub-proxy/``
  (``npm install --prefix``; ignored by git with the rest of ``.venv``).
* ``UnixUsers``: real accounts made with ``useradd`` and removed with ``userdel --remove``;
  every process they still run is killed first.
* ``Hub``: the hub started with the course's config, its REST API (admin service token),
  each user's server spawned through it and reached through the proxy with the user's token:
  the Jupyter contents API, nbgrader's Assignments endpoints, and terminals for commands.

Nothing sleeps for a fixed time: every wait polls a condition with a deadline.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "one-server"
VENV = Path(sys.prefix)
PROXY_DIR = VENV / "hub-proxy"
PROXY_VERSION = "configurable-http-proxy@>=4.6 <6"
CLASS_COURSE_ID = "concurrency-1"
CGROUP_ROOT = Path("/sys/fs/cgroup")


class HubError(RuntimeError):
    """The hub or a user's server did not do what the test asked."""


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll ``condition`` until it returns something true; its value, or HubError after ``timeout``.
    Connection errors count as "not yet"; a HubError raised by ``condition`` ends the wait at once."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except (requests.RequestException, OSError) as exc:  # not up yet; a HubError ends the wait
            last_error = exc
        if time.monotonic() > deadline:
            raise HubError(f"timed out after {timeout:g} s waiting for {what}" +
                           (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_proxy() -> Path:
    """The configurable-http-proxy executable, installed from npm when missing."""
    exe = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if exe.exists():
        return exe
    npm = shutil.which("npm")
    if npm is None:
        raise HubError("npm is needed to install configurable-http-proxy (JupyterHub's proxy): "
                       "install Node.js 18+ with npm (Debian: apt-get install nodejs npm)")
    PROXY_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--prefix", str(PROXY_DIR), "--no-audit", "--no-fund", PROXY_VERSION],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not exe.exists():
        raise HubError(f"npm install configurable-http-proxy failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return exe


# ---------------------------------------------------------------------------- Unix accounts
class UnixUsers:
    """Accounts and groups this test made; ``remove()`` kills their processes and deletes them."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix or "hub" + uuid.uuid4().hex[:6]
        self.users: list[str] = []
        self.groups: list[str] = []

    def name(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    def add(self, role: str) -> str:
        name = self.name(role)
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True,
                       capture_output=True, stdin=subprocess.DEVNULL)
        self.users.append(name)
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
        return name

    def adopt_group(self, name: str) -> None:
        """A group made by the code under test, to delete with the users."""
        self.groups.append(name)

    def uids(self) -> set[int]:
        found = set()
        for name in self.users:
            try:
                found.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        return found

    def processes(self) -> list[psutil.Process]:
        uids = self.uids()
        found = []
        for proc in psutil.process_iter(["uids"]):
            try:
                if proc.info["uids"] and proc.info["uids"].real in uids:
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def kill_processes(self) -> list[str]:
        """SIGKILL every process of these users; what was still running."""
        left = self.processes()
        described = []
        for proc in left:
            try:
                described.append(f"pid {proc.pid} {' '.join(proc.cmdline())[:100]}")
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(left, timeout=5)
        return described

    def remove(self) -> None:
        self.kill_processes()
        for name in self.users:
            subprocess.run(["userdel", "--remove", name], capture_output=True, stdin=subprocess.DEVNULL)
        for name in self.groups:
            subprocess.run(["groupdel", name], capture_output=True, stdin=subprocess.DEVNULL)
        self.users.clear()
        self.groups.clear()


def open_path_for_others(path: Path) -> list[tuple[Path, int]]:
    """Let other users traverse every folder above ``path`` (o+x); returns the old modes.

    The users' servers run the course's ``.venv``; a clone under e.g. ``/root`` (0700) would
    hide it from them. ``restore_modes`` puts the modes back.
    """
    changed = []
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode & 0o7777
        if not mode & 0o001:
            changed.append((folder, mode))
            os.chmod(folder, mode | 0o001)
    return changed


def restore_modes(changed: list[tuple[Path, int]]) -> None:
    for folder, mode in changed:
        os.chmod(folder, mode)


# ---------------------------------------------------------------------------- the hub
class Hub:
    """JupyterHub with the course's one-server config, on free localhost ports."""

    def __init__(self, state_dir: Path, roster: dict[str, list[str]], exchange: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.exchange = exchange
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / "roster.json").write_text(json.dumps(roster), encoding="utf-8")
        self.env = dict(os.environ)
        self.env.update({
            "PATH": f"{VENV / 'bin'}{os.pathsep}{self.env.get('PATH', '')}",
            "CLASS_HUB_STATE_DIR": str(state_dir),
            "CLASS_ROSTER": str(state_dir / "roster.json"),
            "CLASS_HUB_URL": self.url,
            "CLASS_HUB_INTERNAL_URL": f"http://127.0.0.1:{free_port()}",
            "CLASS_HUB_PROXY_API_URL": f"http://127.0.0.1:{free_port()}",
            "CLASS_HUB_PROXY": str(ensure_proxy()),
            "CLASS_HUB_ADMIN_TOKEN": self.token,
            "CLASS_HUB_VENV": str(VENV),
            "CLASS_EXCHANGE_ROOT": str(exchange),
            "CLASS_HUB_SPAWNER": "course",
            "CLASS_HUB_LIMITS": "cgroups",  # the default: a missing memory/pids cgroup fails the spawn
        })
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.log_path = state_dir / "jupyterhub.log"
        self.user_tokens: dict[str, str] = {}

    # ------------------------------------------------------------------ life
    def start(self, timeout: float = 90) -> None:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(VENV / "bin" / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")],
            cwd=self.state_dir, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()

        def up() -> bool:
            if self.proc.poll() is not None:
                raise HubError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log_tail()}")
            return self.api("GET", "/").ok

        wait_for(up, timeout, "the hub's API")

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> list[str]:
        """Stop every server, then the hub (SIGTERM, then SIGKILL); kill whatever it left. Returns
        descriptions of processes that had to be killed after the hub was gone."""
        if self.proc is None:
            return []
        tree = []
        try:
            tree = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            pass
        if self.proc.poll() is None:
            try:
                for name in list(self.user_tokens):
                    self.api("DELETE", f"/users/{name}/server", timeout=30)
                wait_for(lambda: all(not self.user_model(n)["servers"] for n in self.user_tokens), 60,
                         "every server to stop")
            except (HubError, requests.RequestException):
                pass
            try:
                tree = psutil.Process(self.proc.pid).children(recursive=True)
            except psutil.Error:
                pass
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        left = []
        for proc in tree:
            try:
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"pid {proc.pid} {' '.join(proc.cmdline())[:100]}")
                    proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(tree, timeout=5)
        self.proc = None
        return left

    # ------------------------------------------------------------------ REST API
    def api(self, method: str, path: str, token: str | None = None, timeout: float = 30, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {token or self.token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=timeout, **kwargs)

    def user_model(self, name: str) -> dict:
        response = self.api("GET", f"/users/{name}")
        response.raise_for_status()
        return response.json()

    def spawn(self, name: str, timeout: float = 120) -> str:
        """Start ``name``'s server through the hub; returns the user's API token."""
        if name not in self.user_tokens:
            made = self.api("POST", f"/users/{name}/tokens", json={"note": "hub e2e test", "expires_in": 3600})
            if not made.ok:
                raise HubError(f"token for {name}: {made.status_code} {made.text}")
            self.user_tokens[name] = made.json()["token"]
        started = self.api("POST", f"/users/{name}/server")
        if started.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"spawn {name}: {started.status_code} {started.text}\n{self.log_tail()}")

        def ready() -> bool:
            model = self.user_model(name)
            server = model["servers"].get("")
            if server is None and model.get("pending") is None:
                raise HubError(f"{name}'s server stopped while starting:\n{self.log_tail()}")
            return bool(server and server.get("ready"))

        wait_for(ready, timeout, f"{name}'s server")
        return self.user_tokens[name]

    def server(self, name: str) -> UserServer:
        return UserServer(self, name, self.user_tokens[name])


class UserServer:
    """One user's Jupyter server, reached through the hub's proxy with the user's token."""

    def __init__(self, hub: Hub, name: str, token: str) -> None:
        self.hub, self.name, self.token = hub, name, token
        self.kernel_id: str | None = None
        self.base = f"{hub.url}/user/{name}"

    def request(self, method: str, path: str, timeout: float = 120, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, self.base + path, headers=headers, timeout=timeout, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.request(method, path, **kwargs)
        if not response.ok:
            raise HubError(f"{self.name}: {method} {path} -> {response.status_code} {response.text[:2000]}")
        return response

    # contents API
    def get_notebook(self, path: str) -> dict:
        return self.ok("GET", f"/api/contents/{path}", params={"content": "1"}).json()["content"]

    def put_notebook(self, path: str, nb: dict) -> None:
        self.ok("PUT", f"/api/contents/{path}", json={"type": "notebook", "format": "json", "content": nb})

    def exists(self, path: str) -> bool:
        return self.request("GET", f"/api/contents/{path}", params={"content": "0"}).ok

    # nbgrader's Assignments tab
    def assignments(self, course_id: str) -> list[dict]:
        data = self.ok("GET", "/assignments", params={"course_id": course_id}).json()
        if not data.get("success"):
            raise HubError(f"{self.name}: assignment list failed: {data}")
        return data["value"]

    def assignment_action(self, action: str, course_id: str, assignment_id: str) -> dict:
        data = self.ok("POST", f"/assignments/{action}",
                       data={"course_id": course_id, "assignment_id": assignment_id}).json()
        if not data.get("success"):
            raise HubError(f"{self.name}: {action} {assignment_id} failed: {data}")
        return data

    # terminals: run a shell command as the user, inside their server
    def run(self, command: str, timeout: float = 300) -> tuple[int, str]:
        """Run ``command`` in a new terminal of this server; (exit code, output)."""
        import websocket

        name = self.ok("POST", "/api/terminals").json()["name"]
        ws_url = self.base.replace("http://", "ws://", 1) + f"/terminals/websocket/{name}"
        marker = "__course_done_" + uuid.uuid4().hex[:8]
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=timeout)
        output = []
        deadline = time.monotonic() + timeout
        try:
            # The exit code goes to the output as <marker>=<code>; the marker is split in the
            # command itself, so the terminal's echo of the command never matches it.
            half = len(marker) // 2
            ws.send(json.dumps(["stdin", f"{command}; echo \"{marker[:half]}\"\"{marker[half:]}=$?\"\r"]))
            while True:
                ws.settimeout(max(1.0, deadline - time.monotonic()))
                try:
                    message = json.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    message = None
                if message and message[0] == "stdout":
                    output.append(message[1])
                    text = "".join(output)
                    if f"{marker}=" in text:
                        tail = text.split(f"{marker}=", 1)[1]
                        digits = "".join(ch for ch in tail.split("\n", 1)[0] if ch.isdigit())
                        if digits and "\n" in tail:
                            return int(digits), text.split(f"{marker}=", 1)[0]
                elif message and message[0] == "disconnect":
                    raise HubError(f"{self.name}: terminal closed:\n{''.join(output)[-3000:]}")
                if time.monotonic() > deadline:
                    raise HubError(f"{self.name}: {command!r} did not finish in {timeout:g} s:\n"
                                   f"{''.join(output)[-3000:]}")
        finally:
            ws.close()
            self.request("DELETE", f"/api/terminals/{name}")


@dataclass
class ClassHub:
    """A running hub for one course, with the accounts and folders the test made."""
    hub: Hub
    users: UnixUsers
    instructor: str
    grader: str
    students: list[str]
    exchange: Path
    workdir: Path
    cgroup_parent: str
    graders_group: str
    leftovers: list[str] = field(default_factory=list)

    def course_exchange(self) -> Path:
        return self.exchange / CLASS_COURSE_ID

    def cgroup(self, controller: str, user: str) -> Path:
        return CGROUP_ROOT / controller / self.cgroup_parent / user


def run_notebook_in_kernel(server: UserServer, path: str, timeout: float = 300) -> list[str]:
    """Run every code cell of the notebook at ``path`` (in the user's server) in a kernel of
    that server, as a student pressing Run All does; the kernel stays running. Returns the
    errors (``ename: evalue``) of cells that failed; the kernel's id is ``server.kernel_id``."""
    import websocket

    nb = server.get_notebook(path)
    session = server.ok("POST", "/api/sessions", json={"path": path, "type": "notebook", "name": path,
                                                       "kernel": {"name": "python3"}}).json()
    kernel_id = session["kernel"]["id"]
    server.kernel_id = kernel_id
    ws_url = server.base.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels"
    ws = websocket.create_connection(ws_url, header=[f"Authorization: token {server.token}"], timeout=timeout)
    session_id = uuid.uuid4().hex
    errors: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        for cell in nb["cells"]:
            if cell["cell_type"] != "code" or not cell["source"].strip():
                continue
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": server.name,
                           "session": session_id, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": cell["source"], "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": False},
            }))
            while True:
                ws.settimeout(max(1.0, deadline - time.monotonic()))
                try:
                    message = json.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    raise HubError(f"{server.name}: {path} did not finish in {timeout:g} s") from None
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "error":
                    errors.append(f"{message['content']['ename']}: {message['content']['evalue']}")
                if message["msg_type"] == "execute_reply":
                    break
    finally:
        ws.close()
    return errors


def cgroup_memory(group: Path) -> dict[str, int]:
    """A memory cgroup's usage now, its peak, and the resident (rss) part of its memory.stat."""
    stat = dict(line.split() for line in (group / "memory.stat").read_text().splitlines())
    return {"usage": int((group / "memory.usage_in_bytes").read_text()),
            "peak": int((group / "memory.max_usage_in_bytes").read_text()),
            "rss": int(stat.get("total_rss", stat.get("rss", 0))),
            "cache": int(stat.get("total_cache", stat.get("cache", 0)))}


def processes_memory(pids: list[int]) -> dict[str, int]:
    """Summed RSS and USS (memory that only these processes use) of ``pids``."""
    rss = uss = 0
    for pid in pids:
        try:
            info = psutil.Process(pid).memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        uss += info.uss
    return {"rss": rss, "uss": uss}
