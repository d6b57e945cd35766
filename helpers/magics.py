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
import os
import pickle
import shlex
from pathlib import Path
from typing import Any

from helpers.explain import explain, format_hints
from helpers.run.launcher import PROGRAMS_DIR, RunResult, run_script, write_program

__all__ = ["register", "program", "run_program", "last_result", "parse_run_args"]

last_result: RunResult | None = None
DEFAULT_NAME = "program.py"
# Exception types whose classic multiprocessing messages explain() knows.
EXPLAINED_TYPES: tuple[type[BaseException], ...] = (
    AttributeError, pickle.PicklingError, RuntimeError, NotImplementedError, TypeError,
    AssertionError, ValueError)


class MagicUsageError(ValueError):
    """Bad arguments on a %%program / %%run_program line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise MagicUsageError(f"%%run_program 参数有误：{message}\n{self.format_usage()}")


def _run_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%%run_program", add_help=False)
    parser.add_argument("name", nargs="?", default=DEFAULT_NAME)
    parser.add_argument("--start-method", dest="start_method", default=None)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--chart", action="store_true")
    parser.add_argument("--no-trace", dest="trace", action="store_false")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--result", default="_run")
    return parser


def parse_run_args(line: str) -> tuple[argparse.Namespace, list[str]]:
    """Split a %%run_program line into options and the program's own arguments (after ``--``)."""
    words = shlex.split(line)
    program_args: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, program_args = words[:cut], words[cut + 1:]
    options = _run_parser().parse_args(words)
    if not options.result.isidentifier():
        raise MagicUsageError(f"--result 需要一个合法的变量名，而不是 {options.result!r}")
    options.name = _with_suffix(options.name)
    return options, program_args


def _with_suffix(name: str) -> str:
    return name if Path(name).suffix else name + ".py"


def program(line: str, cell: str) -> Path:
    """``%%program NAME [--quiet]``: write the cell to ``.programs/NAME``; print where."""
    words = shlex.split(line)
    quiet = "--quiet" in words
    names = [w for w in words if w != "--quiet"]
    if len(names) != 1 or names[0].startswith("-"):
        raise MagicUsageError("用法 (usage)：%%program NAME [--quiet]，例如 %%program tickets.py")
    path = write_program(_with_suffix(names[0]), cell, os.getcwd())
    if not quiet:
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
        print("没有记录 (trace)，画不出时间线：去掉 --no-trace 再运行。")
        return
    from helpers.trace.charts import plot_timeline

    figure = plot_timeline(result)
    from IPython.display import display

    display(figure)
    import matplotlib.pyplot as plt

    plt.close(figure)


def _explaining_handler(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                        tb_offset: int | None = None) -> None:
    """IPython custom exception handler: the normal traceback, then any Chinese hints."""
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    hints = explain(value)
    if hints:
        print(format_hints(hints))


def register(ipython: Any) -> None:
    """Register %%program, %%run_program and the explaining exception handler in ``ipython``."""

    def program_magic(line: str, cell: str) -> None:
        program(line, cell)

    def run_program_magic(line: str, cell: str) -> None:
        run_program(line, cell, ipython.user_ns)

    program_magic.__doc__ = program.__doc__
    run_program_magic.__doc__ = run_program.__doc__
    ipython.register_magic_function(program_magic, magic_kind="cell", magic_name="program")
    ipython.register_magic_function(run_program_magic, magic_kind="cell",
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

