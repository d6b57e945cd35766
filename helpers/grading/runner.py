"""The process that executes notebook cells while grading (started by helpers.grading.autograde).

Run as ``python -I runner.py`` inside the sandbox, one instance per kernel the grader needs::

    grader (autograde.py)                      runner (this file, in the sandbox)
    ---------------------                      ----------------------------------
    writes one step per line on stdin  ──────> runs it in an IPython shell (no Jupyter kernel:
                                                no ZeroMQ, no kernel manager, starts in ~0.3 s)
    reads one result per line          <────── {"id", "ok", "ename", "evalue", "output", "values"}
    (a dup of fd 1 taken at start; fd 1 and 2 then point at /dev/null, so nothing the cells or
     their programs write to the inherited descriptors can be mistaken for a result)

A step is ``{"id", "source"}`` (run a cell), plus ``"inject": {name: literal}`` (bind names to
values first, from ``ast.literal_eval`` — plain data only — or ``{"class": [module, qualname]}``
for a standard library exception class), ``"snapshot": [names]`` (report the
``repr`` of these names after the cell), ``"quiet": true`` (do not report output),
``"isolate": {"steps", "names"}`` (trusted runner only: the student's functions ``names`` become
proxies into a child runner that replays ``steps``, see helpers.grading.isolate), ``"runs":
{"record", "cache"}`` (trusted runner only: record the program runs of this step, or answer them
from the cache; see helpers.run.launcher.RUN_CACHE). The runner
never shows a traceback (it could quote a hidden test's source): a failed cell reports only the
exception's type and message. A trailing bare expression is never displayed, so a test cell
cannot turn into partial credit by ending with a number. Output is capped per step (total
characters and characters per line), whatever the cell prints.

``--trusted`` (the clean kernel that runs the checks) also makes the process non-dumpable, so the
student programs it launches (same user) cannot ptrace it or read its memory or environment.

Standard library plus IPython only (the trusted runner does without IPython: PlainShell);
nothing here trusts what the cells do.
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import sys

MAX_OUTPUT = 20_000      # characters of output kept per step
MAX_LINE = 2_000         # characters kept of one output line
MAX_VALUE = 200_000      # characters of a snapshot value's repr


class CappedWriter(io.TextIOBase):
    """A text stream that keeps at most MAX_OUTPUT characters, each line cut at MAX_LINE."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.kept = 0
        self.line = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            text = str(text)
        n = len(text)
        for piece in text.splitlines(keepends=True):
            if self.kept >= MAX_OUTPUT:
                self.dropped += len(piece)
                continue
            room = min(MAX_LINE - self.line, MAX_OUTPUT - self.kept)
            body = piece[:-1] if piece.endswith("\n") else piece
            if len(body) > room:
                self.dropped += len(body) - max(room, 0)
                body = body[:max(room, 0)]
                if self.line + len(body) >= MAX_LINE and not self.parts[-1:] == ["…"]:
                    body += " …"
            out = body + ("\n" if piece.endswith("\n") else "")
            self.parts.append(out)
            self.kept += len(out)
            self.line = 0 if piece.endswith("\n") else self.line + len(body)
        return n

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[输出太长，已截去 {self.dropped} 个字符（output truncated）]\n"
        return out


def make_non_dumpable() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # not Linux: nothing to do
        pass


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.showtraceback = lambda *args, **kwargs: None
    # no custom exception handlers either (helpers.failures quotes the failing source line,
    # which may be a hidden test's): a failed cell reports its exception's type and message only
    shell.set_custom_exc = lambda *args, **kwargs: None
    shell.showsyntaxerror = lambda *args, **kwargs: None
    shell.showindentationerror = lambda *args, **kwargs: None
    return shell


# A %%program cell's first line; the grader reads program cells with the same rule.
PROGRAM_LINE = re.compile(r"^%%program\s+(\S+?)(\s+--quiet)?\s*$")


def program_name(name: str) -> str:
    """The file a %%program NAME cell writes (.py added when NAME has no suffix)."""
    return name if os.path.splitext(name)[1] else name + ".py"


class CellResult:
    """What PlainShell.run_cell returns (the two fields of IPython's ExecutionResult used here)."""

    def __init__(self) -> None:
        self.error_before_exec: BaseException | None = None
        self.error_in_exec: BaseException | None = None


class PlainShell:
    """The trusted runner's shell: the course's setup and test cells are plain Python, run with
    exec() in one namespace (a trailing expression is not displayed); a locked ``%%program NAME``
    cell only names a program the grader has already written, read-only. Starting IPython would
    cost every submission ~0.1 s of CPU for features these cells do not use."""

    def __init__(self) -> None:
        import builtins

        self.user_ns: dict = {"__name__": "__main__", "__builtins__": builtins}

    def run_cell(self, source: str, silent: bool = True, store_history: bool = False) -> CellResult:
        result = CellResult()
        first, _, body = source.lstrip("\n").partition("\n")
        match = PROGRAM_LINE.match(first.strip())
        try:
            if match:
                from helpers.run.launcher import write_program

                write_program(program_name(match.group(1)), body, os.getcwd())  # identical to the grader's file: no write
                return result
            code = compile(source, "<cell>", "exec")
        except BaseException as exc:  # SyntaxError, or a program that differs from the grader's
            result.error_before_exec = exc
            return result
        try:
            exec(code, self.user_ns)
        except BaseException as exc:  # also SystemExit: reported, the runner goes on
            result.error_in_exec = exc
        return result


def error_of(result) -> tuple[str, str] | None:
    exc = result.error_before_exec or result.error_in_exec
    if exc is None:
        return None
    try:
        message = str(exc)
    except Exception:
        message = "<message not printable>"
    name = type(exc).__name__ if isinstance(type(exc).__name__, str) else "Error"
    return name[:200], message[:MAX_OUTPUT]


def stdlib_exception(module: str, qualname: str) -> type:
    """The exception class ``module.qualname`` of the standard library (e.g. ``_queue.Empty``,
    which ``queue.Empty`` is), looked up only in modules already imported: a value task may
    answer with one (ch08 task 5). Anything else raises TypeError."""
    if not (isinstance(module, str) and isinstance(qualname, str)):
        raise TypeError("not a class name")
    if module != "builtins" and module.split(".")[0] not in getattr(sys, "stdlib_module_names", ()):
        raise TypeError(f"{module} is not a standard library module")
    owner = sys.modules.get(module)
    for part in qualname.split("."):
        owner = getattr(owner, part, None)
    if not (isinstance(owner, type) and issubclass(owner, BaseException)):
        raise TypeError(f"{module}.{qualname} is not a standard exception class")
    return owner


def snapshot(shell, names: list[str]) -> dict[str, str | dict | None]:
    """What the value-task names hold: ``repr`` text (parsed by the grader as a literal), or
    ``{"class": [module, qualname]}`` for a class."""
    values: dict[str, str | dict | None] = {}
    for name in names:
        if name not in shell.user_ns:
            values[name] = None
            continue
        value = shell.user_ns[name]
        if isinstance(value, type):
            module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
            if isinstance(module, str) and isinstance(qualname, str):
                values[name] = {"class": [module[:200], qualname[:200]]}
                continue
        try:
            text = repr(shell.user_ns[name])
        except BaseException:
            text = "<repr failed>"
        values[name] = text if isinstance(text, str) and len(text) <= MAX_VALUE else "<too large>"
    return values


# ---------------------------------------------------------------- calls across the boundary
# Function tasks whose checks only compute (no pids, no processes): the trusted runner binds the
# student's function names to proxies; a call travels as data to the untrusted runner, which
# calls the real function and sends the result back as data. Only plain values cross: None,
# bool, int, float, str, bytes, list, tuple, set, frozenset, dict, and members of enums defined
# in the course's helpers package (e.g. helpers.sim.process_run.State).
MAX_DEPTH = 100


def encode(value, depth: int = 0):
    import enum

    if depth > MAX_DEPTH:
        raise TypeError("nested too deeply")
    kind = type(value)
    if isinstance(value, enum.Enum):
        return {"enum": [kind.__module__, kind.__qualname__, value.name]}
    if value is None or kind in (bool, int, str):
        return {"v": value}
    if kind is float:
        return {"f": repr(value)}
    if kind is bytes:
        return {"bytes": value.hex()}
    if kind in (list, tuple, set, frozenset):
        return {kind.__name__: [encode(x, depth + 1) for x in value]}
    if kind is dict:
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    raise TypeError(f"{kind.__name__} is not plain data")


def decode(data, depth: int = 0):
    import importlib

    if depth > MAX_DEPTH or not isinstance(data, dict) or len(data) != 1:
        raise TypeError("not an encoded value")
    (tag, body), = data.items()
    if tag == "v":
        if body is None or type(body) in (bool, int, str):
            return body
        raise TypeError("bad plain value")
    if tag == "f":
        return float(body)
    if tag == "bytes":
        return bytes.fromhex(body)
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [decode(x, depth + 1) for x in body]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {decode(k, depth + 1): decode(v, depth + 1) for k, v in body}
    if tag == "enum":
        module, qualname, name = body
        if not (module == "helpers" or module.startswith("helpers.")):
            raise TypeError(f"enum {module}.{qualname} is not one of the course's")
        owner = importlib.import_module(module)
        for part in qualname.split("."):
            owner = getattr(owner, part)
        return owner[name]
    raise TypeError(f"unknown tag {tag!r}")


def raised(ename: str, evalue: str) -> BaseException:
    """The exception a proxy raises for one the student's function raised (builtin types only)."""
    import builtins

    kind = getattr(builtins, ename, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(evalue)
        except Exception:
            pass
    return RuntimeError(f"{ename}: {evalue}")


class Proxy:
    """Stands for the student's function ``name`` in the trusted runner."""

    def __init__(self, name: str, proto, commands) -> None:
        self.name, self.proto, self.commands = name, proto, commands
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        try:
            request = {"call": {"name": self.name, "args": encode(list(args)),
                                "kwargs": encode(dict(kwargs))}}
        except TypeError as exc:
            raise TypeError(f"评分时 {self.name}() 的参数无法传给你的代码：{exc}") from None
        self.proto.write(json.dumps(request) + "\n")
        answer = json.loads(self.commands.readline() or "{}")
        if "return" in answer:
            return decode(answer["return"])
        ename, evalue = answer.get("raise") or ["RuntimeError", "没有得到结果"]
        raise raised(ename, evalue)

    def __repr__(self) -> str:
        return f"<function {self.name}>"


def call_student(shell, call: dict):
    """Untrusted runner: call the student's function with decoded arguments; encode the result."""
    function = shell.user_ns.get(call["name"])
    if not callable(function):
        return {"raise": ["NameError", f"name '{call['name']}' is not defined"]}
    try:
        result = function(*decode(call["args"]), **decode(call["kwargs"]))
    except BaseException as exc:  # also SystemExit: reported, the runner goes on
        return {"raise": [type(exc).__name__, str(exc)[:MAX_OUTPUT]]}
    try:
        return {"return": encode(result)}
    except TypeError as exc:
        return {"raise": ["TypeError", f"{call['name']}() 的返回值必须是普通数据（数字、字符串、列表、元组、"
                                        f"字典、集合……）：{exc}"]}


def main() -> None:
    trusted = "--trusted" in sys.argv
    if trusted:
        make_non_dumpable()
        try:  # every program the checks run starts from a folder made for that run
            from helpers.run import launcher

            launcher.PLANTED_FILE_GUARD = True
        except ImportError:
            pass
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull, encoding="utf-8")
    shell = PlainShell() if trusted else make_shell()
    proto.write(json.dumps({"ready": True}) + "\n")
    real_out, real_err = sys.stdout, sys.stderr
    while True:
        line = commands.readline()
        if not line:
            break
        step = json.loads(line)
        for name, literal in (step.get("inject") or {}).items():
            try:
                if isinstance(literal, dict):
                    shell.user_ns[name] = stdlib_exception(*literal["class"])
                else:
                    shell.user_ns[name] = ast.literal_eval(literal)
            except (TypeError, ValueError, KeyError, SyntaxError, MemoryError, RecursionError):
                pass  # the grader checked it; a name left unbound fails its test
        for name in step.get("proxies") or []:
            shell.user_ns[name] = Proxy(name, proto, commands)
        if trusted and step.get("isolate"):
            # a check that compares pids: the student's functions run in a child runner that
            # helpers.grading.isolate.separate_process() starts (cells replayed there, not here)
            from helpers.grading import isolate

            isolate.configure(step["isolate"]["steps"], step["isolate"]["names"])
            for name in step["isolate"]["names"]:
                shell.user_ns[name] = isolate.StudentFunction(name)
        runs = step.get("runs") if trusted else None
        if runs is not None:  # course programs' runs: record them, or replay the recorded ones
            import base64

            from helpers.run import launcher

            launcher.RUN_CACHE = {k: base64.b64decode(v) for k, v in (runs.get("cache") or {}).items()}
            launcher.RUN_CACHE_RECORD = bool(runs.get("record"))
        capture = CappedWriter()
        sys.stdout = sys.stderr = capture
        answer = None
        try:
            if step.get("call"):
                answer = call_student(shell, step["call"])
                failed = None
            else:
                result = shell.run_cell(step["source"], silent=True, store_history=False)
                failed = error_of(result)
        except BaseException as exc:  # a cell that escapes IPython's own handling
            failed = (type(exc).__name__, str(exc)[:MAX_OUTPUT])
        finally:
            sys.stdout, sys.stderr = real_out, real_err
        if answer is not None:
            proto.write(json.dumps({"id": step["id"], "ok": True, "answer": answer}, ensure_ascii=False) + "\n")
            continue
        reply = {"id": step["id"], "ok": failed is None}
        if failed:
            reply["ename"], reply["evalue"] = failed
        if not step.get("quiet"):
            reply["output"] = capture.text()
        if step.get("snapshot"):
            reply["values"] = snapshot(shell, step["snapshot"])
        if runs is not None:
            if launcher.RUN_CACHE_RECORD and failed is None:
                reply["runs"] = {k: base64.b64encode(v).decode() for k, v in launcher.RUN_CACHE.items()}
            launcher.RUN_CACHE, launcher.RUN_CACHE_RECORD = None, False
        proto.write(json.dumps(reply, ensure_ascii=False) + "\n")
    proto.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
