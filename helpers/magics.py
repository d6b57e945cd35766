"""Cell magics that turn a notebook cell into a real program, and friendly tracebacks.

    %%program tickets.py            writes the cell to .programs/tickets.py
    %%run_program tickets.py --start-method spawn --timeout 10 --chart -- 3
                                    writes it and runs it (live output, summary, hints, chart)

``import helpers`` registers them in IPython (``register``); the last result is kept in
``helpers.magics.last_result`` and in the notebook as ``_run`` (or ``--result NAME``).
``register`` also adds an exception handler that shows the usual traceback plus a Chinese hint
for classic multiprocessing mistakes (see helpers.explain).
"""
from __future__ import annotations

import argparse
import functools
import os
import pickle
import shlex
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, kwds, magic_arguments

from helpers.explain import explain, format_hints
from helpers.run.launcher import PROGRAMS_DIR, RunResult, run_script, write_program

__all__ = ["register", "program", "run_program", "last_result", "parse_run_args",
           "program_magic", "run_program_magic", "MagicUsageError"]

last_result: RunResult | None = None
DEFAULT_NAME = "program.py"
# Exception types whose classic multiprocessing messages explain() knows.
EXPLAINED_TYPES: tuple[type[BaseException], ...] = (
    AttributeError, pickle.PicklingError, RuntimeError, NotImplementedError, TypeError,
    AssertionError, ValueError)


class MagicUsageError(ValueError):
    """Bad arguments on a %%program / %%run_program line."""


_PROGRAM_USAGE = "用法（usage）：%%program NAME [--quiet]，例如 %%program tickets.py"


@magic_arguments("%%program")
@kwds(formatter_class=argparse.HelpFormatter)
@argument("name", help="file name, e.g. tickets.py (.py is added when missing)")
@argument("--quiet", action="store_true", help="do not print where the program was written")
def program_magic(line: str, cell: str) -> None:
    """Write the cell to .programs/NAME (a program that %%run_program, run_script or a
    graded task runs later)."""
    program(line, cell)


program_magic.parser.allow_abbrev = False  # "--q" is not "--quiet" (IPython's parser takes no such argument)


@magic_arguments("%%run_program")
@kwds(formatter_class=argparse.HelpFormatter)
@argument("name", nargs="?", default=DEFAULT_NAME,
          help=f"file name in .programs/ (default {DEFAULT_NAME}); .py is added when missing")
@argument("--start-method", dest="start_method", default=None,
          help="fork, spawn or forkserver (default: $COURSE_START_METHOD, else the platform's)")
@argument("--timeout", type=float, default=30.0,
          help="seconds before the program is stopped (default 30)")
@argument("--chart", action="store_true", help="draw the timing chart of the run")
@argument("--no-trace", dest="trace", action="store_false",
          help="do not record events (no chart, no hang hints)")
@argument("--quiet", action="store_true", help="do not echo the program's output live")
@argument("--result", default="_run",
          help="notebook variable that receives the RunResult (default _run)")
def run_program_magic(line: str, cell: str) -> None:
    """Write the cell to .programs/NAME and run it as a real program: live output of every
    process, a summary, hints, optionally a timing chart. Arguments after -- go to the
    program."""
    run_program(line, cell)


def _parse(magic: Any, words: list[str]) -> argparse.Namespace:
    """Parse ``words`` with the magic's parser; argparse errors raise UsageError."""
    parser: argparse.ArgumentParser = magic.parser
    return parser.parse_args(words)


def parse_run_args(line: str) -> tuple[argparse.Namespace, list[str]]:
    """Split a %%run_program line into options and the program's own arguments (after ``--``)."""
    words = shlex.split(line)
    program_args: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, program_args = words[:cut], words[cut + 1:]
    try:
        options = _parse(run_program_magic, words)
    except UsageError as err:
        usage = run_program_magic.parser.format_usage()
        raise MagicUsageError(f"%%run_program 参数有误：{err}\n{usage}") from None
    if not options.result.isidentifier():
        raise MagicUsageError(f"--result 需要一个合法的变量名，而不是 {options.result!r}")
    options.name = _with_suffix(options.name)
    return options, program_args


def _with_suffix(name: str) -> str:
    return name if Path(name).suffix else name + ".py"


def program(line: str, cell: str) -> Path:
    """``%%program NAME [--quiet]``: write the cell to ``.programs/NAME``; print where."""
    try:
        options = _parse(program_magic, shlex.split(line))
    except UsageError:
        raise MagicUsageError(_PROGRAM_USAGE) from None
    if options.name.startswith("-"):
        raise MagicUsageError(_PROGRAM_USAGE)
    path = write_program(_with_suffix(options.name), cell, os.getcwd())
    if not options.quiet:
        print(f"已写入 {PROGRAMS_DIR}/{path.name}（{len(cell.splitlines())} 行）")
    return path


def run_program(line: str, cell: str, user_ns: dict[str, Any] | None = None) -> RunResult:
    """``%%run_program [NAME] [options] [-- args]``: write the cell and run it as a program."""
    global last_result
    options, program_args = parse_run_args(line)
    path = write_program(options.name, cell, os.getcwd())
    result = run_script(path, *program_args, start_method=options.start_method,
                        timeout=options.timeout, trace=options.trace, echo=not options.quiet,
                        show_hints=False)
    last_result = result
    if user_ns is not None:
        user_ns[options.result] = result
    print(result.summary())
    if result.hints:
        print(format_hints(result.hints))
    if options.chart:
        _show_chart(result)
    return result


def _show_chart(result: RunResult) -> None:
    if result.trace is None:
        print("没有记录（trace），画不出时间线：去掉 --no-trace 再运行。")
        return
    from helpers.trace.charts import plot_timeline

    figure = plot_timeline(result)
    from IPython.display import display

    display(figure)  # a Figure of the Figure API: pyplot never held it, nothing to close


def _explaining_handler(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                        tb_offset: int | None = None) -> None:
    """IPython custom exception handler: the normal traceback, then any Chinese hints."""
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    hints = explain(value)
    if hints:
        print(format_hints(hints))


def register(ipython: Any) -> None:
    """Register %%program, %%run_program and the explaining exception handler in ``ipython``.

    Both magics are declared with IPython's ``magic_arguments``, so ``%%run_program?`` shows
    their options.
    """

    def run_program_cell(line: str, cell: str) -> None:
        run_program(line, cell, ipython.user_ns)

    functools.update_wrapper(run_program_cell, run_program_magic)  # the help text, the parser
    ipython.register_magic_function(program_magic, magic_kind="cell", magic_name="program")
    ipython.register_magic_function(run_program_cell, magic_kind="cell",
                                    magic_name="run_program")
    ipython.set_custom_exc(EXPLAINED_TYPES, _explaining_handler)
    # The course's charts are plain matplotlib Figures (no pyplot, so none pile up). Teach the
    # kernel to show a returned Figure as a PNG without importing matplotlib now (by name).
    png = ipython.display_formatter.formatters["image/png"]
    png.for_type_by_name("matplotlib.figure", "Figure", _figure_png)


def _figure_png(figure: Any) -> bytes:
    """A Figure as PNG bytes, trimmed like the inline backend does."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=figure.dpi)
    return buffer.getvalue()

