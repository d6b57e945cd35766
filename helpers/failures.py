"""A failed check in a notebook shows the Chinese message first and whole, never helper source.

``%load_ext helpers`` (every course kernel loads it at start, see course.py) installs
:func:`install`: an IPython custom exception handler for ``AssertionError``. When the error is
a grading check's (``TaskCheckFailed`` from ``helpers.grading``) or an ``assert`` with a Chinese
message in a cell, the cell shows instead of a traceback::

    测试没通过，原因：
    报告的总时间 / 各子进程运行时间之和（并发时应明显小于 1）：比值应不超过
        0.7，实际是 1.01（2.43 s / 2.41 s）。
    这一题常见的错误：把 p.join() 写在了启动子进程的循环里……   (helpers/grading/hints.py)
    出错的一行：单元格第 6 行  expect_ratio(reported_seconds(run, "all done in"), …

The first line, :data:`LEAD`, is a Chinese heading of its own: nbgrader's Validate dialog frames
the error with English words of its own ("Validation Results", "The following cell failed:",
hard-coded in its Lab extension), so the part the course controls starts by saying in Chinese
what happened. Every line is at most :data:`WIDTH` display columns (a Chinese character counts two), so
nbgrader's Validate (which cuts lines at 90 characters on the command line and shows them in a
``<pre>`` in JupyterLab's dialog) shows the whole message. Any other exception gets IPython's
usual traceback. nbgrader's Validate and autograde read the same ``traceback`` field of the
cell's error output, so they show the same lines.
"""
from __future__ import annotations

import linecache
import re
import traceback
import unicodedata
from types import TracebackType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WIDTH = 72  # display columns per line (a CJK character is two)
INDENT = "    "  # continuation lines of one message line
LEAD = "测试没通过，原因："  # the first line of every failed check (the Validate dialog's Chinese heading)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace font (East Asian wide/full-width characters: 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _breakable_after(ch: str) -> bool:
    return ch == " " or bool(_CJK.match(ch))


def wrap_line(line: str, width: int = WIDTH, indent: str = INDENT) -> list[str]:
    """Split one line into pieces of at most ``width`` columns; later pieces start with
    ``indent``. Breaks after a space or a Chinese character, never inside an ASCII word unless
    the word alone is too long."""
    pieces: list[str] = []
    prefix = ""
    rest = line.rstrip()
    while display_width(prefix + rest) > width:
        room = width - display_width(prefix)
        cut, used, last_break = 0, 0, 0
        for i, ch in enumerate(rest):
            used += display_width(ch)
            if used > room:
                break
            cut = i + 1
            if _breakable_after(ch):
                last_break = i + 1
        if last_break > 0 and cut < len(rest):
            cut = last_break
        cut = max(cut, 1)
        pieces.append((prefix + rest[:cut]).rstrip())
        rest = rest[cut:].lstrip(" ")
        prefix = indent
    pieces.append(prefix + rest)
    return pieces


def wrap(text: str, width: int = WIDTH) -> list[str]:
    """Every line of ``text`` wrapped to ``width`` columns (see :func:`wrap_line`)."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines.extend(wrap_line(line, width))
    return lines


def _shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns with an ellipsis (for a code line, not for messages)."""
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        used += display_width(ch)
        if used > width - 1:
            break
        out += ch
    return out + "…"


def _is_cell_file(filename: str) -> bool:
    # ipykernel names cells /tmp/ipykernel_<pid>/<hash>.py; plain IPython <ipython-input-…>.
    return "ipykernel_" in filename or filename.startswith("<ipython-input") or filename.startswith("<cell")


def _is_check_error(value: BaseException) -> bool:
    return any(cls.__name__ == "TaskCheckFailed" or cls.__module__.startswith("helpers.grading")
               for cls in type(value).__mro__ if cls is not AssertionError and cls is not Exception)


def check_name(tb: TracebackType | None) -> str:
    """The grading function that raised (e.g. ``expect_ratio``): the outermost helpers.grading
    frame below the cell; ``"assert"`` when the cell's own ``assert`` failed."""
    frames = traceback.extract_tb(tb)
    cell_seen = False
    for frame in frames:
        if _is_cell_file(frame.filename):
            cell_seen = True
            continue
        if cell_seen and "/helpers/grading/" in frame.filename.replace("\\", "/"):
            return frame.name
    return "assert"


def failure_lines(message: str, *, hint: str | None = None, where: str | None = None,
                  width: int = WIDTH, colour: bool = True, lead: str | None = LEAD,
                  prefix: str = "") -> list[str]:
    """The lines shown for a failed check: the ``lead`` line (red), the message (wrapped; its
    first line starts with ``prefix``, red when there is no lead), then the likely cause and the
    failing line of the cell."""
    first, *rest = wrap(prefix + message.strip(), width)
    red = (lambda s: _BOLD + _RED + s + _RESET) if colour else (lambda s: s)
    lines = [red(lead), first, *rest] if lead else [red(first), *rest]
    if hint:
        lines.extend(wrap("这一题常见的错误：" + hint.strip(), width))
    if where:
        lines.append(_shorten(where, width))
    return lines


def describe(value: BaseException, tb: TracebackType | None) -> list[str] | None:
    """The lines for ``value`` if it is a course check failure (else ``None``)."""
    message = str(value)
    frames = traceback.extract_tb(tb)
    cells = [f for f in frames if _is_cell_file(f.filename)]
    raised_in_cell = bool(frames) and _is_cell_file(frames[-1].filename)
    ours = _is_check_error(value) or (raised_in_cell and bool(_CJK.search(message)))
    if not ours or not message.strip():
        return None
    where = hint = None
    if cells:
        frame = cells[-1]
        code = (frame.line or "").strip()
        where = f"出错的一行：单元格第 {frame.lineno} 行  {code}"
        from helpers.grading.hints import hint_for

        source = "".join(linecache.getlines(frame.filename))
        hint = hint_for(source, check_name(tb), message)
    return failure_lines(message, hint=hint, where=where)


def describe_name_error(value: NameError, tb: TracebackType | None) -> list[str] | None:
    """A name used in a cell before the cell that defines it ran (a test cell run before the
    assignment's setup cell, the usual setup mistake): what to run first, in Chinese."""
    frames = traceback.extract_tb(tb)
    if not frames or not _is_cell_file(frames[-1].filename):
        return None
    name = getattr(value, "name", None) or (re.findall(r"'(\w+)'", str(value)) or [""])[0]
    if not name:
        return None
    from helpers.grading import checks

    if name in dir(checks) and not name.startswith("_"):
        text = (f"{name} 还没有定义：它是作业第一个代码单元格导入的检查函数。先运行那个单元格"
                "（或用菜单 Run → Run All Above 运行上面所有单元格），再运行这个单元格。")
    else:
        text = (f"{name} 还没有定义：先运行定义它的单元格（通常在上面；菜单 Run → Run All Above "
                f"运行上面所有单元格）。如果 {name} 是你自己起的名字，也检查一下拼写。")
    frame = frames[-1]
    where = f"出错的一行：单元格第 {frame.lineno} 行  {(frame.line or '').strip()}"
    return [*failure_lines(text, lead=None, prefix="还不能运行："), f"NameError: {value}", _shorten(where, WIDTH)]


def install(shell: Any) -> None:
    """Show failed course checks (AssertionError) the course's way in this IPython shell, and
    explain a name used before the cell defining it ran (NameError).

    Chains to the custom exception handler already installed (``helpers.magics`` adds Chinese
    hints to classic errors): every exception that is not a course check goes there, or to
    IPython's usual traceback. Installing twice keeps one link in the chain.
    """
    state = getattr(shell, "_course_failures", None)
    if state is not None and shell.CustomTB is state[2]:
        previous_types, previous = state[0], state[1]
    else:
        previous_types, previous = tuple(shell.custom_exceptions), shell.CustomTB

    def handler(shell: Any, etype: type[BaseException], value: BaseException,
                tb: TracebackType | None, tb_offset: int | None = None) -> list[str]:
        if isinstance(value, AssertionError):
            lines = describe(value, tb)
        elif isinstance(value, NameError):
            lines = describe_name_error(value, tb)
        else:
            lines = None
        if lines is not None:
            shell._showtraceback(etype, value, lines)
            return lines
        if previous_types and isinstance(value, previous_types):
            return previous(etype, value, tb, tb_offset=tb_offset) or []
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return []

    types = tuple(dict.fromkeys((*previous_types, AssertionError, NameError)))
    shell.set_custom_exc(types, handler)
    shell._course_failures = (previous_types, previous, shell.CustomTB)
