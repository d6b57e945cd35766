"""Where a submission's code runs while it is graded: a bubblewrap sandbox, a user, limits.

    Sandbox.detect(course_root)        what this machine offers (checked by really starting one)
    box.start(argv, scratch, slot)     Popen of argv inside it: the scratch folder is the only
                                       writable place; stdin/stdout are pipes to the grader
    box.kill(proc)                     every process the sandbox started is gone afterwards

Protections, each used when available (``box.missing`` names those that are not, so the TA is
told; grading runs either way):

- **bubblewrap** (``bwrap``, Debian package ``bubblewrap``): new PID, network, IPC and UTS
  namespaces (no network; killing the sandbox kills every process in it, also those that
  double-forked into a new session); a read-only view of the system, the Python installation,
  the course environment (``.venv``) and ``helpers/``; the course root itself (``source/``,
  ``submitted/``, ``gradebook.db``, ``feedback/``, ``nbgrader_config.py`` ...) is not there at
  all; ``/tmp`` and ``$HOME`` are empty; the scratch copy is the only writable folder.
- **an unprivileged user** when the grader runs as root: uid ``60000 + job slot`` (one per
  parallel job, so one submission cannot signal or trace another's processes).
- **rlimits** in every process: processes per user (as that user), address space, file size,
  CPU seconds, open files, no core files.
- **cgroup v1 pids/memory** when ``/sys/fs/cgroup/{pids,memory}`` is writable: at most
  ``MAX_TASKS`` processes and ``MEMORY_LIMIT`` bytes for the whole submission.

Without bubblewrap, leftover processes are found by the ``COURSE_GRADING_TAG`` each grading
process carries in its environment (a program can remove it: the TA is told that this
protection is weaker).
"""
from __future__ import annotations

import os
try:
    import resource
except ImportError:  # Windows
    resource = None
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from helpers import settings

SANDBOX_UID_BASE = 60000
MAX_PROCESSES = 512          # RLIMIT_NPROC for the sandbox user (per job slot)
MAX_TASKS = 512              # cgroup pids.max per submission
ADDRESS_SPACE = 4 << 30      # RLIMIT_AS per process
MEMORY_LIMIT = 2 << 30       # cgroup memory per submission
MAX_FILE = 64 << 20          # RLIMIT_FSIZE: largest file a submission may write
CPU_SECONDS = 300            # RLIMIT_CPU per process
MAX_FILES = 1024             # RLIMIT_NOFILE
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "course-grading"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _rlimits(as_user: bool) -> None:
    if resource is None:
        return

    def set_limit(kind: int, value: int) -> None:
        try:
            soft, hard = resource.getrlimit(kind)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass

    set_limit(resource.RLIMIT_AS, ADDRESS_SPACE)
    set_limit(resource.RLIMIT_FSIZE, MAX_FILE)
    set_limit(resource.RLIMIT_CPU, CPU_SECONDS)
    set_limit(resource.RLIMIT_NOFILE, MAX_FILES)
    set_limit(resource.RLIMIT_CORE, 0)
    if as_user:
        set_limit(resource.RLIMIT_NPROC, MAX_PROCESSES)


def _helpers_dir() -> Path:
    """Where the ``helpers`` package really is (the editable install may point anywhere)."""
    return Path(__file__).resolve().parents[1]


def _readonly_paths(course_root: Path) -> list[Path]:
    """What the sandbox may read: system folders, the Python installation, .venv, helpers/."""
    paths = [Path(p) for p in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")]
    paths += [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent]
    paths += [_helpers_dir()]
    for entry in sys.path:
        if entry and os.path.isabs(entry) and Path(entry).exists():
            paths.append(Path(entry))
    wanted = []
    for path in paths:
        if not path.exists():
            continue
        # never the course root itself (source/, submitted/, gradebook.db ...), only .venv and helpers
        resolved = path.resolve() if not path.is_symlink() or path.parent == Path("/") else path
        if course_root in (path, resolved) or (course_root in path.parents and not (
                (course_root / ".venv") in [path, *path.parents] or _helpers_dir() in [path, *path.parents])):
            continue
        if path not in wanted:
            wanted.append(path)
    # a folder inside another one already bound is covered
    return [p for p in wanted if not any(q != p and q in p.parents and not p.is_symlink() for q in wanted)]


@dataclass
class Sandbox:
    course_root: Path
    bwrap: str | None = None
    as_user: bool = False
    cgroups: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ detection
    @classmethod
    def detect(cls, course_root: Path, use_sandbox: bool = True) -> "Sandbox":
        box = cls(course_root.resolve())
        if not sys.platform.startswith("linux"):
            box.missing.append(f"no sandbox on {sys.platform} (bubblewrap is Linux only): student code can read "
                               "and write what the grader can, and use the network")
            return box
        if not use_sandbox:
            box.missing.append("sandbox switched off (--no-sandbox): student code can read and write what the "
                               "grader can, and use the network")
            return box
        box.as_user = _is_root()
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            box.missing.append("bubblewrap (bwrap) is not installed: student code can read source/, other "
                               "submissions and the gradebook, write outside its folder and use the network "
                               "(Debian/Ubuntu: apt-get install bubblewrap)")
        else:
            box.bwrap = bwrap
            problem = box._try_bwrap()
            if problem:
                box.bwrap = None
                box.missing.append(f"bubblewrap cannot create namespaces here ({problem}): student code is not "
                                   "isolated from the course files and the network")
        if not box.as_user:
            box.missing.append("grading does not run as root, so student code runs as your own user "
                               "(no separate user; rlimits still apply)")
        box.cgroups = box._try_cgroups()
        if not box.cgroups:
            box.missing.append("no writable cgroup (pids/memory): a submission's process count and memory are "
                               "limited per process (rlimits) only")
        return box

    def _try_bwrap(self) -> str | None:
        scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"course-sandbox-probe-{uuid.uuid4().hex[:8]}"
        scratch.mkdir(mode=0o700)
        try:
            if self.as_user:
                os.chown(scratch, SANDBOX_UID_BASE, SANDBOX_UID_BASE)
            proc = self.start([sys.executable, "-I", "-c", "import os; print(os.getpid())"], scratch, 0,
                              stdin=subprocess.DEVNULL)
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill(proc)
                return "a test sandbox did not start within 30 s"
            if proc.returncode != 0 or out.strip() != b"2":
                return (err.decode(errors="replace").strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            return None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _try_cgroups(self) -> list[str]:
        usable = []
        for controller in ("pids", "memory"):
            base = CGROUP_ROOT / controller
            if not (base / "cgroup.procs").exists():
                continue
            try:
                (base / CGROUP_NAME).mkdir(exist_ok=True)
                probe = base / CGROUP_NAME / f"probe-{os.getpid()}"
                probe.mkdir(exist_ok=True)
                probe.rmdir()
                usable.append(controller)
            except OSError:
                continue
        return usable

    def describe(self) -> str:
        parts = []
        parts.append("bubblewrap (no network, PID namespace, read-only system, course folder hidden)"
                     if self.bwrap else "no bubblewrap")
        if self.as_user:
            parts.append(f"unprivileged user (uid {SANDBOX_UID_BASE}+job)")
        parts.append("rlimits")
        if self.cgroups:
            parts.append("cgroup " + "+".join(self.cgroups))
        return ", ".join(parts)

    # ------------------------------------------------------------------ running
    def uid(self, slot: int) -> int | None:
        return SANDBOX_UID_BASE + slot if self.as_user else None

    def prepare_scratch(self, scratch: Path, slot: int, readonly: list[Path] = ()) -> None:
        """Give the sandbox user the scratch folder (and everything in it) except the files
        ``readonly``: they stay the grader's and read-only, and their folders sticky (others'
        files there cannot be removed or renamed); bwrap also mounts each one read-only."""
        keep = {Path(p) for p in readonly}
        for path in keep:
            os.chmod(path, 0o444)
        uid = self.uid(slot)
        if uid is None:
            return
        sticky = {p.parent for p in keep}
        for folder, dirs, files in os.walk(scratch):
            if Path(folder) in sticky:
                os.chmod(folder, 0o1777)
            else:
                os.chown(folder, uid, uid)
            for name in files:
                if Path(folder, name) not in keep:
                    os.chown(os.path.join(folder, name), uid, uid)

    def command(self, argv: list[str], scratch: Path, slot: int = 0, readonly: list[Path] = ()) -> list[str]:
        uid = self.uid(slot)
        if not self.bwrap:
            return argv
        cmd = [self.bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--hostname", "grading", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",
               "--perms", "1777", "--tmpfs", "/tmp",
               "--tmpfs", "/run", "--perms", "1777", "--tmpfs", "/var/tmp"]
        binds = [(p, "--ro-bind") for p in _readonly_paths(self.course_root)] + [(scratch, "--bind")] \
            + [(Path(p), "--ro-bind") for p in readonly if Path(p).exists()]
        made: set[Path] = {Path("/"), Path("/tmp"), Path("/run"), Path("/var/tmp"), Path("/proc"), Path("/dev")}
        bound = {p for p, _ in binds}
        for path, how in binds:
            for parent in reversed(path.parents):
                if parent in made or parent in bound or any(b in parent.parents for b in bound):
                    continue
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
            cmd += [how, str(path), str(path)]
        home = "/tmp/home"
        cmd += ["--perms", "0777", "--dir", home, "--chdir", str(scratch),
                "--setenv", "HOME", home, "--setenv", "TMPDIR", "/tmp",
                "--setenv", "MPLCONFIGDIR", "/tmp/mpl", "--setenv", "IPYTHONDIR", "/tmp/ipython",
                "--"]
        if uid is not None:
            # bwrap runs as root (it must read the Python installation under a private /root);
            # the sandboxed program runs as the unprivileged user, without capabilities
            cmd += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                    "--clear-groups", "--"]
        return cmd + argv

    def env(self, tag: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "COURSE_START_METHOD")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.setdefault("LANG", "C.UTF-8")
        env["PYTHONIOENCODING"] = "utf-8"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["MPLBACKEND"] = "Agg"
        env[settings.GRADING_TAG.name] = tag
        run = settings.AUTOGRADE_RUN.get()
        if run:  # set by the tests to find what one run left
            env[settings.AUTOGRADE_RUN.name] = run
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        env.update(extra or {})
        return env

    def start(self, argv: list[str], scratch: Path, slot: int, *, tag: str | None = None,
              extra_env: dict[str, str] | None = None, stdin=subprocess.PIPE, cgroup: str | None = None,
              readonly: list[Path] = ()) -> subprocess.Popen:
        uid = self.uid(slot)
        as_user = uid is not None
        cgroup_dirs = [CGROUP_ROOT / c / CGROUP_NAME / cgroup for c in self.cgroups] if cgroup else []

        def preexec() -> None:
            for folder in cgroup_dirs:
                try:
                    (folder / "cgroup.procs").write_text(str(os.getpid()))
                except OSError:
                    pass
            _rlimits(as_user)

        env = self.env(tag or "none", extra_env)
        if not self.bwrap:
            env["HOME"] = str(scratch)
            env["MPLCONFIGDIR"] = str(scratch / ".mpl")
            env["IPYTHONDIR"] = str(scratch / ".ipython")
        kwargs = {}
        if as_user and not self.bwrap:
            kwargs = {"user": uid, "group": uid, "extra_groups": []}
        return subprocess.Popen(self.command(argv, scratch, slot, readonly), cwd=scratch, env=env, stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=preexec, **kwargs)

    def new_cgroup(self) -> str | None:
        if not self.cgroups:
            return None
        name = uuid.uuid4().hex[:12]
        for controller in self.cgroups:
            folder = CGROUP_ROOT / controller / CGROUP_NAME / name
            try:
                folder.mkdir()
                if controller == "pids":
                    (folder / "pids.max").write_text(str(MAX_TASKS))
                else:
                    (folder / "memory.limit_in_bytes").write_text(str(MEMORY_LIMIT))
            except OSError:
                pass
        return name

    def kill(self, proc: subprocess.Popen | None, tag: str | None = None, cgroup: str | None = None) -> list[int]:
        """Kill the sandbox and everything it started; returns pids that could not be killed."""
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.kill()
            except ProcessLookupError:
                pass
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    if stream:
                        stream.close()
                except OSError:
                    pass
        survivors: list[int] = []
        if cgroup:
            survivors = self._kill_cgroup(cgroup)
        if tag:
            survivors = sorted(set(survivors) | set(kill_tagged(tag)))
        return survivors

    def _kill_cgroup(self, name: str) -> list[int]:
        left: list[int] = []
        for controller in self.cgroups:
            folder = CGROUP_ROOT / controller / CGROUP_NAME / name
            for _ in range(50):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    pids = []
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.02)
            else:
                left.extend(pids)
            try:
                folder.rmdir()
            except OSError:
                pass
        return left


def processes_with_tag(tag: str) -> list[int]:
    """Live processes whose environment has COURSE_GRADING_TAG=tag (the fallback without bwrap)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get(settings.GRADING_TAG.name) == tag and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def kill_pids(pids: list[int], timeout: float = 2) -> None:
    """SIGKILL these processes and wait up to ``timeout`` s for them to be gone."""
    procs = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            p.kill()
            procs.append(p)
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=timeout)


def kill_tagged(tag: str) -> list[int]:
    """Kill every live process tagged ``tag`` (a few rounds, for ones started meanwhile); the
    pids still alive afterwards."""
    for _ in range(5):
        pids = processes_with_tag(tag)
        if not pids:
            return []
        kill_pids(pids)
    return processes_with_tag(tag)
