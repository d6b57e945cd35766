"""Framed, line-whole stdout/stderr for every process of a course program (stdlib only).

Child side (``install()``, run by ``helpers/run/_boot/sitecustomize.py`` in every process)::

    print("hi")  ->  FramedWriter  --one os.write per frame-->  fd 1 (pipe to the launcher)
                     frame = MARKER b"<pid> <len(name)> <len(payload)>\\n" name payload

A frame carries whole lines (a line longer than a pipe's atomic write size is split over
several frames; the reader joins them per pid). The process name is looked up when the line is
written, and only if ``multiprocessing`` was already imported, so the bootstrap stays cheap.

Launcher side (``FrameParser``): feed it the bytes read from a pipe, get back
``(pid, name, text)`` for every whole line. Bytes outside frames (C code, ``os.write``) are
attributed to the main program's pid.
"""
from __future__ import annotations

import _thread
import io
import os
import sys

MARKER = b"\x00\x1bCIO:"
# Writes of at most PIPE_BUF bytes to a pipe are atomic (POSIX); 512 is the POSIX minimum.
PIPE_BUF = 4096 if sys.platform.startswith("linux") else 512
_MAX_HEADER = 64
_MAX_PENDING = 1 << 16  # flush a line that never ends once it gets this long
ENCODING = "utf-8"


def _process_name() -> str:
    mp = sys.modules.get("multiprocessing.process")
    if mp is None:
        return "MainProcess"
    try:
        return str(mp.current_process().name)
    except AttributeError:  # multiprocessing half-imported
        return "MainProcess"


def encode_frames(pid: int, name: str, payload: bytes) -> list[bytes]:
    """Split ``payload`` into frames of at most PIPE_BUF bytes each."""
    name_b = name.encode(ENCODING, "backslashreplace")[:200]
    frames = []
    start = 0
    while True:
        header = b"%d %d " % (pid, len(name_b))
        room = PIPE_BUF - len(MARKER) - len(header) - len(name_b) - 12
        chunk = payload[start:start + room]
        frames.append(MARKER + header + b"%d\n" % len(chunk) + name_b + chunk)
        start += room
        if start >= len(payload):
            return frames


class _BinaryView:
    """``sys.stdout.buffer`` stand-in: bytes written here travel as frames too."""

    def __init__(self, owner: FramedWriter) -> None:
        self._owner = owner

    def write(self, data: bytes) -> int:
        self._owner._write_bytes(bytes(data))
        return len(data)

    def flush(self) -> None:
        self._owner.flush()

    def fileno(self) -> int:
        return self._owner.fileno()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class FramedWriter(io.TextIOBase):
    """A text stream that sends whole lines, framed with pid and process name, to one fd."""

    def __init__(self, fd: int, original: object) -> None:
        super().__init__()
        self._fd = fd
        self._original = original
        self._pending = ""
        self._lock = _thread.RLock()
        self._buffer = _BinaryView(self)

    # --- what code expects from sys.stdout ---------------------------------------------------
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return ENCODING

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "backslashreplace"

    @property
    def buffer(self) -> _BinaryView:  # type: ignore[override]
        return self._buffer

    @property
    def line_buffering(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return getattr(self._original, "name", f"<fd {self._fd}>")

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            self._pending += text
            cut = self._pending.rfind("\n") + 1
            if cut == 0 and len(self._pending) < _MAX_PENDING:
                return len(text)
            if cut == 0:
                cut = len(self._pending)
            whole, self._pending = self._pending[:cut], self._pending[cut:]
            self._emit(whole.encode(ENCODING, "backslashreplace"))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                text, self._pending = self._pending, ""
                self._emit(text.encode(ENCODING, "backslashreplace"))

    def close(self) -> None:
        # Never close the real fd: other code (and our children) still share it.
        self.flush()

    @property
    def closed(self) -> bool:  # type: ignore[override]
        return False

    # --- internals ------------------------------------------------------------------------------
    def _write_bytes(self, data: bytes) -> None:
        with self._lock:
            self.flush()
            self._emit(data)

    def _emit(self, payload: bytes) -> None:
        if not payload:
            return
        for frame in encode_frames(os.getpid(), _process_name(), payload):
            view = memoryview(frame)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]

    def _before_fork(self) -> None:
        self.flush()

    def _after_fork_in_child(self) -> None:
        # Another thread may have held the lock or left text at fork time: start clean.
        self._lock = _thread.RLock()
        self._pending = ""


_installed = False


def install() -> None:
    """Replace sys.stdout and sys.stderr with framed writers (idempotent, stdlib only)."""
    global _installed
    if _installed:
        return
    for attr in ("stdout", "stderr"):
        stream = getattr(sys, attr)
        if stream is None or isinstance(stream, FramedWriter):
            continue
        try:
            fd = stream.fileno()
            stream.flush()
        except (OSError, ValueError, AttributeError):
            continue
        writer = FramedWriter(fd, stream)
        setattr(sys, attr, writer)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=writer._before_fork,
                                after_in_child=writer._after_fork_in_child)
    _installed = True


class FrameParser:
    """Turn the bytes read from one pipe back into ``(pid, name, text)`` whole lines."""

    def __init__(self, default_pid: int, default_name: str = "MainProcess") -> None:
        self.default_pid = default_pid
        self.default_name = default_name
        self._buf = b""
        self._partial: dict[object, bytearray] = {}
        self._names: dict[int, str] = {}

    def feed(self, data: bytes) -> list[tuple[int, str, str]]:
        """Add bytes read from the pipe; return the lines they completed."""
        self._buf += data
        out: list[tuple[int, str, str]] = []
        while self._buf:
            idx = self._buf.find(MARKER)
            if idx < 0:
                keep = self._marker_prefix_len(self._buf)
                raw, self._buf = self._buf[:len(self._buf) - keep], self._buf[len(self._buf) - keep:]
                self._add(None, raw, out)
                break
            if idx > 0:
                self._add(None, self._buf[:idx], out)
                self._buf = self._buf[idx:]
            end = self._buf.find(b"\n", len(MARKER), len(MARKER) + _MAX_HEADER)
            if end < 0:
                if len(self._buf) >= len(MARKER) + _MAX_HEADER:  # not a frame after all
                    self._add(None, self._buf[:len(MARKER)], out)
                    self._buf = self._buf[len(MARKER):]
                    continue
                break  # header not complete yet
            try:
                pid_s, nlen_s, plen_s = self._buf[len(MARKER):end].split(b" ")
                pid, nlen, plen = int(pid_s), int(nlen_s), int(plen_s)
            except ValueError:
                self._add(None, self._buf[:len(MARKER)], out)
                self._buf = self._buf[len(MARKER):]
                continue
            total = end + 1 + nlen + plen
            if len(self._buf) < total:
                break  # frame not complete yet
            name = self._buf[end + 1:end + 1 + nlen].decode(ENCODING, "replace")
            self._names[pid] = name
            self._add(pid, self._buf[end + 1 + nlen:total], out)
            self._buf = self._buf[total:]
        return out

    def close(self) -> list[tuple[int, str, str]]:
        """End of stream: return every unfinished line."""
        out: list[tuple[int, str, str]] = []
        if self._buf:
            self._add(None, self._buf, out)
            self._buf = b""
        for key, part in list(self._partial.items()):
            if part:
                out.append(self._line(key, bytes(part)))
        self._partial.clear()
        return out

    def _add(self, key: int | None, data: bytes, out: list[tuple[int, str, str]]) -> None:
        if not data:
            return
        part = self._partial.setdefault(key, bytearray())
        part += data
        if b"\n" not in data:
            return
        *lines, rest = bytes(part).split(b"\n")
        part[:] = rest
        out.extend(self._line(key, line) for line in lines)

    def _line(self, key: object, raw: bytes) -> tuple[int, str, str]:
        text = raw.decode(ENCODING, "replace").rstrip("\r")
        if key is None:
            return (self.default_pid, self.default_name, text)
        pid = int(key)  # type: ignore[call-overload]
        return (pid, self._names.get(pid, self.default_name), text)

    @staticmethod
    def _marker_prefix_len(buf: bytes) -> int:
        for n in range(min(len(MARKER) - 1, len(buf)), 0, -1):
            if buf.endswith(MARKER[:n]):
                return n
        return 0
