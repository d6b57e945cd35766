"""In-process event recording for every worker process (stdlib only, cheap to import).

Data flow::

    kernel: helpers.run.launcher.run_script(trace=True)
        sets COURSE_TRACE_DIR=<dir> and starts ``python -u x.py``
    every process (main, spawn / forkserver / fork children, helper processes):
        helpers/run/_boot/sitecustomize.py -> install_from_env()
            time.sleep                        patched now (it is already loaded)
            multiprocessing.process           patched right after it is imported (sys.meta_path)
            multiprocessing.synchronize       "
            multiprocessing.queues            "
            multiprocessing.connection        "   (Pipe, Connection.send / recv)
        each recorded action -> one os.write of one line to <dir>/events-<pid>.log (O_APPEND)
        os.fork() child -> os.register_at_fork hook re-opens events-<newpid>.log
    kernel: helpers.trace.model.Trace.load(<dir>) reads and merges every file.

Line format (tab separated, one line per event)::

    <t_ns>\\t<kind>\\t<obj>\\t<detail>\\n

``t_ns`` is ``time.perf_counter_ns()``. On Linux it reads ``CLOCK_MONOTONIC``, on macOS
``mach_absolute_time()`` and on Windows ``QueryPerformanceCounter()``; all three are system-wide
clocks, so values taken in different processes of one machine are comparable, and the
resolution is well under a microsecond (``time.monotonic()`` was only ~15 ms on Windows before
Python 3.13). ``kind`` is one of the ``helpers.events.Code`` values, ``obj`` names the
object acted on (a lock or queue id, a process name or pid) and ``detail`` is ``key=value``
pairs separated by spaces.

Tracing never changes what the program does: wrappers return what the originals return and
let every exception through; a failure inside the tracer switches tracing off in that process.
"""
from __future__ import annotations

import os
import sys
import time

from helpers.events import HELPER_ROLES, Code
from helpers.settings import TRACE_DIR, TRACE_MAX_EVENTS

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds to import, in every process: annotations only
    from typing import Any, Callable

__all__ = ["install_from_env", "install", "is_active", "emit", "DEFAULT_MAX_EVENTS"]

DEFAULT_MAX_EVENTS = int(TRACE_MAX_EVENTS.default or 0)
DROP_REPORT_EVERY = 1_000
# Callers whose time.sleep calls are plumbing, not the student's program.
_INTERNAL_PREFIXES = ("multiprocessing", "threading", "concurrent", "selectors", "subprocess",
                      "asyncio", "helpers.run.childio", "helpers.run.launcher",
                      "helpers.trace.recorder")
# The event codes (plain str: the hot path formats them into every line).
_BOOT = Code.BOOT
_DROPPED = Code.DROPPED
_EXIT = Code.EXIT
_GET = Code.GET
_GET_WAIT = Code.GET_WAIT
_JOIN_BEGIN = Code.JOIN_BEGIN
_JOIN_END = Code.JOIN_END
_KILL = Code.KILL
_LOCK_ACQUIRE = Code.LOCK_ACQUIRE
_LOCK_RELEASE = Code.LOCK_RELEASE
_LOCK_WAIT = Code.LOCK_WAIT
_PROC_BEGIN = Code.PROC_BEGIN
_PROC_END = Code.PROC_END
_PUT = Code.PUT
_PUT_WAIT = Code.PUT_WAIT
_QJOIN_BEGIN = Code.QJOIN_BEGIN
_QJOIN_END = Code.QJOIN_END
_REAPED = Code.REAPED
_SLEEP_BEGIN = Code.SLEEP_BEGIN
_SLEEP_END = Code.SLEEP_END
_START_BEGIN = Code.START_BEGIN
_START_END = Code.START_END
_TASK_DONE = Code.TASK_DONE
_TERMINATE = Code.TERMINATE
_PIPE = Code.PIPE
_SEND = Code.SEND
_RECV = Code.RECV
_RECV_WAIT = Code.RECV_WAIT
_FILE_READ = Code.FILE_READ
_FILE_WRITE = Code.FILE_WRITE

_clock = time.perf_counter_ns
_write = os.write
_orig_sleep = time.sleep

# Per-process state (module globals: the hot path reads them without attribute lookups).
_on = False
_fd = -1
_pid = 0
_dir = ""
_max = DEFAULT_MAX_EVENTS
_count = 0
_dropped = 0
_installed_pid = 0
_exit_code: Any = None
_patched: set[str] = set()


# --------------------------------------------------------------------------- writing

def emit(kind: str, obj: object = "", detail: str = "", force: bool = False) -> None:
    """Append one event line to this process's event file (no-op when tracing is off).

    Past the per-process bound events are only counted, except ``force``d ones (process end).
    """
    global _count, _dropped
    if not _on:
        return
    try:
        if _count >= _max and not force:
            _dropped += 1
            if _dropped % DROP_REPORT_EVERY == 0:
                _write(_fd, f"{_clock()}\t{_DROPPED}\t\tn={_dropped}\n".encode())
            return
        _count += 1
        _write(_fd, f"{_clock()}\t{kind}\t{obj}\t{detail}\n".encode())
    except Exception:  # noqa: BLE001 - a tracer must never break the program
        _disable()


def _flush_dropped() -> None:
    if _on and _dropped and _dropped % DROP_REPORT_EVERY:
        try:
            _write(_fd, f"{_clock()}\t{_DROPPED}\t\tn={_dropped}\n".encode())
        except Exception:  # noqa: BLE001
            _disable()


def _disable() -> None:
    global _on
    _on = False


def _clean(text: object, limit: int = 120) -> str:
    """Make a user-supplied string safe for the line format (no tabs, no newlines)."""
    s = str(text)
    if "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return s[:limit]


def _recorded_call(begin: str, obj: object, detail: str, end: str,
                   ended: Callable[[Any, str], str], call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)`` between two events: ``begin`` with ``detail`` before it, ``end`` after it
    however it ends, with ``ended(result, err)`` (``err``: the exception's class name, or ""
    when it returned; ``ended`` only formats, it never raises). Returns what ``call`` returns
    and lets its exceptions through: the wrapped waits (join, a blocking acquire/put/get) use it.
    """
    emit(begin, obj, detail)
    try:
        result = call(*args)
    except BaseException as exc:
        emit(end, obj, ended(None, type(exc).__name__))
        raise
    emit(end, obj, ended(result, ""))
    return result


def _open_for_this_pid() -> None:
    global _fd, _pid, _count, _dropped
    _pid = os.getpid()
    _count = 0
    _dropped = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    _fd = os.open(os.path.join(_dir, f"events-{_pid}.log"), flags, 0o644)


def is_active() -> bool:
    """Whether this process is recording events now."""
    return _on and _pid == os.getpid()


# --------------------------------------------------------------------------- install

def install_from_env() -> bool:
    """Start recording if ``COURSE_TRACE_DIR`` is set; return whether tracing is on.

    Idempotent: a second call in the same process does nothing. ``COURSE_TRACE_MAX_EVENTS``
    bounds the events written per process (default 20 000); later events are counted as
    dropped and reported in ``dropped`` lines.
    """
    directory = TRACE_DIR.get()
    if not directory:
        return False
    return install(directory, max_events=TRACE_MAX_EVENTS.get_int())


def install(directory: str, max_events: int = DEFAULT_MAX_EVENTS) -> bool:
    """Start recording into ``directory`` (see ``install_from_env``); never raises."""
    global _on, _dir, _max, _installed_pid
    if _installed_pid == os.getpid():
        return _on
    try:
        _dir = directory
        _max = max(0, max_events)
        _open_for_this_pid()
        _installed_pid = _pid
        _on = True
        role = _role()
        emit(_BOOT, role, f"ppid={os.getppid()} argv0={_clean(os.path.basename(sys.argv[0] if sys.argv else ''), 60).replace(' ', '_')}")
        if role == "main":
            import atexit

            atexit.register(_at_exit)
            _wrap_sys_exit()
        os.register_at_fork(after_in_child=_after_fork_in_child)
        time.sleep = _traced_sleep
        _patch_open()
        _install_import_hook()
    except Exception:  # noqa: BLE001
        _disable()
    return _on


def _role() -> str:
    argv = getattr(sys, "orig_argv", sys.argv)
    joined = " ".join(argv[-3:])
    if "--multiprocessing-fork" in argv or "spawn_main" in joined:
        return "spawn"
    for role in HELPER_ROLES:  # "-c from multiprocessing.<role> import main; ..."
        if f"multiprocessing.{role}" in joined:
            return role
    return "main"


def _after_fork_in_child() -> None:
    global _installed_pid
    if not _on:
        return
    try:
        if _fd >= 0:
            os.close(_fd)
        _open_for_this_pid()
        _installed_pid = _pid
        emit(_BOOT, "fork", f"ppid={os.getppid()}")
    except Exception:  # noqa: BLE001
        _disable()


def _wrap_sys_exit() -> None:
    orig_exit = sys.exit

    def exit(*args: Any) -> Any:  # noqa: A001 - same name as the original
        global _exit_code
        _exit_code = args[0] if args else None
        return orig_exit(*args)

    exit.__doc__ = orig_exit.__doc__
    sys.exit = exit


def _normalise_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def _at_exit() -> None:
    if not _on or _pid != os.getpid():
        return
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if isinstance(exc, SystemExit):
        code = _normalise_code(exc.code)
    elif isinstance(exc, KeyboardInterrupt):
        code = -2
    elif exc is not None:
        code = 1
    else:
        code = _normalise_code(_exit_code)
    _flush_dropped()
    emit(_EXIT, "", f"code={code}", force=True)


# --------------------------------------------------------------------------- files

# Callers whose open() calls are plumbing (source lines for tracebacks, imports, the helpers).
_FILE_INTERNAL = _INTERNAL_PREFIXES + ("linecache", "tokenize", "importlib", "encodings", "site")
_orig_open = open


def _traced_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    """open() that records which file the program opened for reading or writing (chapter 07).

    One event per successful open of a path (not of a file descriptor): ``file_read`` for modes
    without w/a/x/+, else ``file_write``; obj is the absolute path. A race check reads the
    read-then-write pairs of one file from these events (helpers/grading/locks.py).
    """
    f = _orig_open(file, mode, *args, **kwargs)
    if _on and not isinstance(file, int):
        try:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith(_FILE_INTERNAL):
                kind = _FILE_WRITE if any(c in mode for c in "wax+") else _FILE_READ
                emit(kind, _clean(os.path.abspath(os.fspath(file)), 300), f"mode={mode}")
        except Exception:  # noqa: BLE001 - a tracer must never break the program
            pass
    return f


_orig_replace = os.replace


def _traced_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
    """os.replace() that records a ``file_write`` of ``dst`` (mode=replace): saving a file
    atomically (write a temporary file, then replace) is a write of ``dst`` for a reader."""
    _orig_replace(src, dst, *args, **kwargs)
    if _on and not isinstance(dst, int):
        try:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith(_FILE_INTERNAL):
                emit(_FILE_WRITE, _clean(os.path.abspath(os.fspath(dst)), 300), "mode=replace")
        except Exception:  # noqa: BLE001 - a tracer must never break the program
            pass


def _patch_open() -> None:
    """builtins.open and io.open (pathlib's Path.open calls io.open) record file opens;
    os.replace records the file it replaces."""
    import builtins
    import io

    _traced_open.__doc__ = _orig_open.__doc__
    _traced_open.__wrapped__ = _orig_open  # type: ignore[attr-defined]
    builtins.open = io.open = _traced_open
    _traced_replace.__doc__ = _orig_replace.__doc__
    _traced_replace.__wrapped__ = _orig_replace  # type: ignore[attr-defined]
    os.replace = _traced_replace


# --------------------------------------------------------------------------- time.sleep

def _traced_sleep(*args: Any) -> None:
    if not _on:
        return _orig_sleep(*args)
    try:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        internal = caller.startswith(_INTERNAL_PREFIXES)
    except Exception:  # noqa: BLE001
        internal = True
    if internal:
        return _orig_sleep(*args)
    emit(_SLEEP_BEGIN, "", f"s={args[0] if args else ''}")
    try:
        return _orig_sleep(*args)
    finally:
        emit(_SLEEP_END)


# --------------------------------------------------------------------------- lazy patching

class _PatchingLoader:
    """Wraps the real loader: runs the module, then patches it. Delegates everything else."""

    def __init__(self, loader: Any, patch: Callable[[Any], None]) -> None:
        self._loader = loader
        self._patch = patch

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        module.__loader__ = self._loader
        try:
            self._patch(module)
        except Exception:  # noqa: BLE001
            _disable()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _PatchFinder:
    """A sys.meta_path finder that only reacts to the multiprocessing modules we patch."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        patch = _PATCHES.get(fullname)
        if patch is None or fullname in _patched:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(spec.loader, patch)
        return spec


def _install_import_hook() -> None:
    if not any(isinstance(f, _PatchFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchFinder())
    for name, patch in _PATCHES.items():  # already imported before install: patch now
        module = sys.modules.get(name)
        if module is not None and name not in _patched:
            patch(module)


# --------------------------------------------------------------------------- multiprocessing.process

def _pid_of(proc: Any) -> Any:
    popen = getattr(proc, "_popen", None)
    return getattr(popen, "pid", "")


def _code_of(proc: Any) -> str:
    popen = getattr(proc, "_popen", None)
    code = getattr(popen, "returncode", None)
    return "none" if code is None else str(code)


def _patch_process(module: Any) -> None:
    _patched.add(module.__name__)
    cls = module.BaseProcess
    orig_start, orig_join = cls.start, cls.join
    orig_terminate, orig_kill, orig_bootstrap = cls.terminate, cls.kill, cls._bootstrap

    def start(self: Any) -> None:
        if not _on:
            return orig_start(self)
        name = _clean(getattr(self, "_name", "?"))
        emit(_START_BEGIN, name, f"daemon={int(bool(self._config.get('daemon')))}")
        result = orig_start(self)
        emit(_START_END, name, f"pid={_pid_of(self)} daemon={int(bool(self._config.get('daemon')))}")
        return result

    def join(self: Any, timeout: Any = None) -> None:
        if not _on:
            return orig_join(self, timeout)
        pid = _pid_of(self)
        implicit = 0
        try:
            implicit = int(sys._getframe(1).f_code.co_name == "_exit_function")
        except Exception:  # noqa: BLE001
            pass

        def ended(_: Any, err: str) -> str:
            return f"code={_code_of(self)} " + (f"err={err}" if err else f"implicit={implicit}")

        return _recorded_call(_JOIN_BEGIN, pid, f"timeout={timeout} implicit={implicit}",
                              _JOIN_END, ended, orig_join, self, timeout)

    def terminate(self: Any) -> None:
        if _on:
            emit(_TERMINATE, _pid_of(self))
        return orig_terminate(self)

    def kill(self: Any) -> None:
        if _on:
            emit(_KILL, _pid_of(self))
        return orig_kill(self)

    def _bootstrap(self: Any, *args: Any, **kwargs: Any) -> int:
        if not _on:
            return orig_bootstrap(self, *args, **kwargs)
        name = _clean(getattr(self, "_name", "?"))
        emit(_PROC_BEGIN, name, f"parent={getattr(self, '_parent_pid', '')} "
                                 f"daemon={int(bool(self._config.get('daemon')))}")
        code = orig_bootstrap(self, *args, **kwargs)
        # Python 3.13 runs multiprocessing's exit work (terminate daemon children, join the other
        # children, wait for queue feeder threads) from an atexit handler after _bootstrap returns;
        # 3.12 and earlier run it inside _bootstrap. Run it here on 3.13+ (the handler is then a
        # no-op), so that PROC_END marks the end of that work on every version.
        util = sys.modules.get("multiprocessing.util")
        if util is not None and getattr(util, "_exiting", True) is False:
            util._exit_function()
        _flush_dropped()
        emit(_PROC_END, name, f"code={code}", force=True)
        return code

    for fn, orig in ((start, orig_start), (join, orig_join), (terminate, orig_terminate),
                     (kill, orig_kill), (_bootstrap, orig_bootstrap)):
        fn.__doc__ = orig.__doc__
        fn.__wrapped__ = orig  # type: ignore[attr-defined]
    cls.start, cls.join, cls.terminate, cls.kill = start, join, terminate, kill
    cls._bootstrap = _bootstrap


# --------------------------------------------------------------------------- locks

def _sem_id(semlock: Any) -> str:
    """A lock's identity shared by all processes: its POSIX name, or the sem_t address (fork)."""
    name = getattr(semlock, "name", None)
    if name:
        return str(name)
    return f"sem@{semlock.handle:x}"


def _make_traced(lock: Any) -> None:
    sl = lock._semlock
    raw_acquire, raw_release = sl.acquire, sl.release
    obj = _sem_id(sl)
    typ = type(lock).__name__

    def acquire(block: bool = True, timeout: Any = None) -> bool:
        if not _on:
            return raw_acquire(block, timeout)
        if not block:
            ok = raw_acquire(False)
            emit(_LOCK_ACQUIRE, obj, f"type={typ} ok={int(ok)} waited=0 block=0")
            return ok
        if raw_acquire(False):
            emit(_LOCK_ACQUIRE, obj, f"type={typ} ok=1 waited=0")
            return True

        def acquired(ok: bool, err: str) -> str:  # the slow path only: the caller waits anyway
            if err:
                return f"type={typ} ok=0 waited=1 err={err}"
            return f"type={typ} ok={int(ok)} waited=1 timeout={timeout}"

        return _recorded_call(_LOCK_WAIT, obj, f"type={typ} timeout={timeout}", _LOCK_ACQUIRE,
                              acquired, raw_acquire, True, timeout)

    def release() -> None:
        result = raw_release()
        if _on:
            emit(_LOCK_RELEASE, obj, f"type={typ}")
        return result

    lock.acquire = acquire
    lock.release = release


def _untrace(*locks: Any) -> None:
    """Plumbing locks inside queues/conditions: restore the raw, untraced methods."""
    for lock in locks:
        sl = getattr(lock, "_semlock", None)
        if sl is not None:
            lock.acquire = sl.acquire
            lock.release = sl.release


def _patch_synchronize(module: Any) -> None:
    _patched.add(module.__name__)
    semlock = module.SemLock
    orig_make = semlock._make_methods

    def _make_methods(self: Any) -> None:
        orig_make(self)
        if _on:
            try:
                _make_traced(self)
            except Exception:  # noqa: BLE001
                orig_make(self)

    def __enter__(self: Any) -> bool:
        return self.acquire()

    def __exit__(self: Any, *args: Any) -> None:
        return self.release()

    semlock._make_methods = _make_methods
    semlock.__enter__ = __enter__
    semlock.__exit__ = __exit__

    def untrace_condition(cond: Any) -> None:
        _untrace(cond._sleeping_count, cond._woken_count, cond._wait_semaphore)

    _after(module.Condition, "__init__", untrace_condition)
    _after(module.Condition, "__setstate__", untrace_condition)

    def untrace_event(ev: Any) -> None:
        _untrace(ev._flag, ev._cond._lock)
        untrace_condition(ev._cond)

    _after(module.Event, "__init__", untrace_event)
    if "__setstate__" not in module.Event.__dict__:
        def _event_setstate(self: Any, state: Any) -> None:
            self.__dict__.update(state)
        module.Event.__setstate__ = _event_setstate
    _after(module.Event, "__setstate__", untrace_event)

    def untrace_barrier(barrier: Any) -> None:  # a start line, like an Event: not a lock to show
        _untrace(barrier._cond._lock)
        untrace_condition(barrier._cond)

    _after(module.Barrier, "__setstate__", untrace_barrier)  # __init__ calls __setstate__ too


def _after(cls: Any, method: str, hook: Callable[[Any], None]) -> None:
    """Run ``hook(self)`` after ``cls.method``; hook failures are swallowed."""
    orig = cls.__dict__[method]

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = orig(self, *args, **kwargs)
        try:
            hook(self)
        except Exception:  # noqa: BLE001
            pass
        return result

    _replace(cls, method, wrapper, orig)


def _replace(cls: Any, name: str, fn: Callable[..., Any], orig: Callable[..., Any]) -> None:
    """Put the wrapper ``fn`` of ``orig`` in its place as ``cls.name`` (with its docstring)."""
    fn.__doc__ = orig.__doc__
    fn.__wrapped__ = orig  # type: ignore[attr-defined]
    setattr(cls, name, fn)


# --------------------------------------------------------------------------- queues

def _queue_id(q: Any) -> str:
    qid = q.__dict__.get("_course_qid")
    if qid is None:
        try:
            qid = "q:" + _sem_id(q._rlock._semlock)
        except Exception:  # noqa: BLE001
            qid = f"q@{id(q):x}"
        q._course_qid = qid  # not pickled: Queue.__getstate__ lists its fields explicitly
    return qid


def _patch_queues(module: Any) -> None:
    _patched.add(module.__name__)
    full, empty = module.Full, module.Empty

    def untrace_queue(q: Any) -> None:
        _untrace(q._rlock, q._wlock, q._sem)

    def untrace_joinable(q: Any) -> None:
        untrace_queue(q)
        _untrace(q._unfinished_tasks)
        cond = q._cond
        _untrace(cond._lock, cond._sleeping_count, cond._woken_count, cond._wait_semaphore)

    def untrace_simple(q: Any) -> None:
        _untrace(q._rlock, q._wlock)

    for cls, hook in ((module.Queue, untrace_queue), (module.JoinableQueue, untrace_joinable),
                      (module.SimpleQueue, untrace_simple)):
        for method in ("__init__", "__setstate__"):
            if method in cls.__dict__:
                _after(cls, method, hook)

    for cls in (module.Queue, module.JoinableQueue):
        _wrap_put(cls, full)
    _wrap_get(module.Queue, empty)

    jq = module.JoinableQueue
    orig_task_done, orig_qjoin = jq.task_done, jq.join

    def task_done(self: Any) -> None:
        result = orig_task_done(self)
        if _on:
            emit(_TASK_DONE, _queue_id(self))
        return result

    def join(self: Any) -> None:
        if not _on:
            return orig_qjoin(self)
        qid = _queue_id(self)
        emit(_QJOIN_BEGIN, qid)
        try:
            return orig_qjoin(self)
        finally:
            emit(_QJOIN_END, qid)

    jq.task_done, jq.join = task_done, join

    sq = module.SimpleQueue
    orig_sput, orig_sget = sq.put, sq.get

    def simple_put(self: Any, obj: Any) -> None:
        result = orig_sput(self, obj)
        if _on:
            emit(_PUT, _queue_id(self), "ok=1 waited=0")
        return result

    def simple_get(self: Any) -> Any:
        if not _on:
            return orig_sget(self)
        return _recorded_call(_GET_WAIT, _queue_id(self), "timeout=None", _GET, _waited, orig_sget, self)

    sq.put, sq.get = simple_put, simple_get


def _waited(_: Any, err: str) -> str:
    """The end detail of a queue call that had to wait."""
    return f"ok=0 waited=1 err={err}" if err else "ok=1 waited=1"


def _try_first(orig: Callable[..., Any], kind: str, wait: str, would_block: type, err: str,
               self: Any, args: tuple[Any, ...], block: bool, timeout: Any) -> Any:
    """``orig(self, *args, block, timeout)`` (Queue.put or Queue.get), tried without blocking
    first: one event when it does not have to wait (the usual case), else the slow path."""
    qid = _queue_id(self)
    try:
        result = orig(self, *args, False)
    except would_block:
        if not block:
            emit(kind, qid, f"ok=0 waited=0 block=0 err={err}")
            raise
    except BaseException as exc:
        emit(kind, qid, f"ok=0 waited=0 err={type(exc).__name__}")
        raise
    else:
        emit(kind, qid, f"ok=1 waited=0 block={int(bool(block))}")
        return result
    return _recorded_call(wait, qid, f"timeout={timeout}", kind, _waited, orig, self, *args, block, timeout)


def _wrap_put(cls: Any, full: type) -> None:
    orig_put = cls.__dict__["put"]

    def put(self: Any, obj: Any, block: bool = True, timeout: Any = None) -> None:
        if not _on:
            return orig_put(self, obj, block, timeout)
        return _try_first(orig_put, _PUT, _PUT_WAIT, full, "Full", self, (obj,), block, timeout)

    _replace(cls, "put", put, orig_put)


def _wrap_get(cls: Any, empty: type) -> None:
    orig_get = cls.__dict__["get"]

    def get(self: Any, block: bool = True, timeout: Any = None) -> Any:
        if not _on:
            return orig_get(self, block, timeout)
        return _try_first(orig_get, _GET, _GET_WAIT, empty, "Empty", self, (), block, timeout)

    _replace(cls, "get", get, orig_get)


# --------------------------------------------------------------------------- reaping

def _patch_popen(module: Any) -> None:
    """Record a child's exit status when its parent first learns it, join or not.

    At exit, multiprocessing terminates daemonic children and may reap one that already died
    without joining it (``process._cleanup`` polls); without this its exit code would be unknown.
    """
    _patched.add(module.__name__)
    cls = module.Popen
    orig_poll = cls.__dict__.get("poll")
    if orig_poll is None:
        return

    def poll(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _on or getattr(self, "returncode", None) is not None:
            return orig_poll(self, *args, **kwargs)
        code = orig_poll(self, *args, **kwargs)
        if code is not None:
            emit(_REAPED, getattr(self, "pid", ""), f"code={code}", force=True)
        return code

    _replace(cls, "poll", poll, orig_poll)


# --------------------------------------------------------------------------- pipes

def _end_id(conn: Any) -> str:
    """A pipe end's identity shared by every process holding it: the inode behind its fd.

    Both ends of ``Pipe(duplex=False)`` (an ``os.pipe``) share one inode; the two sockets of a
    duplex ``Pipe()`` have one each, and the ``pipe`` event names the other one (``other=``).
    Cached on the Connection (it keeps its fd for life; fork copies the cache with it).
    """
    end = conn.__dict__.get("_course_end")
    if end is None:
        try:
            end = f"p:{os.fstat(conn.fileno()).st_ino}"
        except Exception:  # noqa: BLE001 - closed, or a Windows handle
            end = f"p@{id(conn):x}"
        conn._course_end = end
    return end


def _internal_caller(depth: int = 2) -> bool:
    """True when multiprocessing itself (a Manager, the fork server) uses the connection."""
    try:
        frame = sys._getframe(depth)
        name = frame.f_globals.get("__name__", "")
        if name == "multiprocessing.context" and frame.f_back is not None:  # mp.Pipe -> connection.Pipe
            name = frame.f_back.f_globals.get("__name__", "")
        return name.startswith("multiprocessing")
    except Exception:  # noqa: BLE001
        return True


def _readable_now(conn: Any) -> bool:
    """Whether recv() would return at once (data or end of file), without waiting.

    A poll object cached on the connection costs ~0.6 µs a call; ``Connection.poll(0)`` builds
    a selector each time (~5 µs, measured on the 2-core development machine).
    """
    poller = conn.__dict__.get("_course_poll")
    if poller is None:
        try:
            import select

            poller = select.poll()
            poller.register(conn.fileno(), select.POLLIN)
        except Exception:  # noqa: BLE001 - no poll() on Windows
            poller = False
        conn._course_poll = poller
    if poller is False:
        return bool(conn._poll(0))
    return bool(poller.poll(0))


def _patch_connection(module: Any) -> None:
    """Pipe() creation, Connection.send and Connection.recv called by the program.

    Queues use ``send_bytes``/``recv_bytes`` on their pipe and are recorded as put/get instead;
    calls from inside multiprocessing (managers, listeners) are not recorded.
    """
    _patched.add(module.__name__)
    orig_pipe = module.Pipe
    dumps = module._ForkingPickler.dumps
    loads = module._ForkingPickler.loads
    cls = module._ConnectionBase
    orig_send, orig_recv = cls.send, cls.recv

    def Pipe(duplex: bool = True) -> Any:  # noqa: N802 - the original's name
        c1, c2 = orig_pipe(duplex)
        if _on and not _internal_caller():
            a, b = _end_id(c1), _end_id(c2)
            emit(_PIPE, a, f"other={b} duplex={int(bool(duplex))}")
        return c1, c2

    def send(self: Any, obj: Any) -> None:
        if not _on or _internal_caller():
            return orig_send(self, obj)
        end = _end_id(self)
        try:
            self._check_closed()
            self._check_writable()
            buf = dumps(obj)
            self._send_bytes(buf)
        except BaseException as exc:
            emit(_SEND, end, f"ok=0 err={type(exc).__name__}")
            raise
        emit(_SEND, end, f"ok=1 bytes={len(buf)}")

    def recv(self: Any) -> Any:
        if not _on or _internal_caller():
            return orig_recv(self)
        end = _end_id(self)
        waited = 0
        try:
            self._check_closed()
            self._check_readable()
            if not _readable_now(self):  # nothing there yet: recv will wait
                waited = 1
                emit(_RECV_WAIT, end)
            buf = self._recv_bytes()
        except BaseException as exc:
            emit(_RECV, end, f"ok=0 waited={waited} err={type(exc).__name__}")
            raise
        emit(_RECV, end, f"ok=1 waited={waited} bytes={buf.getbuffer().nbytes}")
        return loads(buf.getbuffer())

    for fn, orig in ((Pipe, orig_pipe), (send, orig_send), (recv, orig_recv)):
        fn.__doc__ = orig.__doc__
        fn.__wrapped__ = orig  # type: ignore[attr-defined]
    module.Pipe = Pipe
    cls.send, cls.recv = send, recv


_PATCHES: dict[str, Callable[[Any], None]] = {
    "multiprocessing.popen_fork": _patch_popen,
    "multiprocessing.popen_forkserver": _patch_popen,
    "multiprocessing.process": _patch_process,
    "multiprocessing.synchronize": _patch_synchronize,
    "multiprocessing.queues": _patch_queues,
    "multiprocessing.connection": _patch_connection,
}
