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
values first, from ``ast.literal_eval`` — plain data only), ``"snapshot": [names]`` (report the
``repr`` of these names after the cell), ``"quiet": true`` (do not report output). The runner
never shows a traceback (it could quote a hidden test's source): a failed cell reports only the
exception's type and message. A trailing bare expression is never displayed, so a test cell
cannot turn into partial credit by ending with a number. Output is capped per step (total
characters and characters per line), whatever the cell prints.

``--trusted`` (the clean kernel that runs the checks) also makes the process non-dumpable, so the
student programs it launches (same user) cannot ptrace it or read its memory or environment.

Standard library plus IPython only; nothing here trusts what the cells do.
"""
from __future__ import annotations

import ast
import io
import json
import os
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
            out += f"\n[输出太长，已截去 {self.dropped} 个字符 (output truncated)]\n"
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


def snapshot(shell, names: list[str]) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for name in names:
        if name not in shell.user_ns:
            values[name] = None
            continue
        try:
            text = repr(shell.user_ns[name])
        except BaseException:
            text = "<repr failed>"
        values[name] = text if isinstance(text, str) and len(text) <= MAX_VALUE else "<too large>"
    return values


def main() -> None:
    trusted = "--trusted" in sys.argv
    if trusted:
        make_non_dumpable()
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull, encoding="utf-8")
    shell = make_shell()
    proto.write(json.dumps({"ready": True}) + "\n")
    real_out, real_err = sys.stdout, sys.stderr
    for line in commands:
        step = json.loads(line)
        for name, literal in (step.get("inject") or {}).items():
            shell.user_ns[name] = ast.literal_eval(literal)
        capture = CappedWriter()
        sys.stdout = sys.stderr = capture
        try:
            result = shell.run_cell(step["source"], silent=True, store_history=False)
            failed = error_of(result)
        except BaseException as exc:  # a cell that escapes IPython's own handling
            failed = (type(exc).__name__, str(exc)[:MAX_OUTPUT])
        finally:
            sys.stdout, sys.stderr = real_out, real_err
        reply = {"id": step["id"], "ok": failed is None}
        if failed:
            reply["ename"], reply["evalue"] = failed
        if not step.get("quiet"):
            reply["output"] = capture.text()
        if step.get("snapshot"):
            reply["values"] = snapshot(shell, step["snapshot"])
        proto.write(json.dumps(reply, ensure_ascii=False) + "\n")
    proto.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
