"""What the readers of measuring programs share (chapters 08 and 09, stdlib only).

A measuring program prints one line per measurement (``channel=queue size=100 ...`` in
``helpers.ipc_speed``, ``io consumers=4 ...`` in ``helpers.throughput``); each reader names its
line's regular expression and its row type, and this module finds the lines and computes rates.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["read_lines", "rate"]

Row = TypeVar("Row")


def read_lines(run_or_lines: Any, line: re.Pattern[str], row: Callable[[re.Match[str]], Row],
               missing: Exception, stream: str | None = None) -> list[Row]:
    """``row(match)`` for each line of a run (a ``RunResult``, read from ``stream`` or all its
    output, or an iterable of text lines) that ``line`` matches once stripped, in order;
    raises ``missing`` when no line matches."""
    lines: Iterable[str]
    lines = run_or_lines.lines(stream=stream) if hasattr(run_or_lines, "lines") else run_or_lines
    rows = [row(m) for m in (line.match(str(text).strip()) for text in lines) if m]
    if not rows:
        raise missing
    return rows


def rate(count: int, seconds: float) -> float:
    """``count`` per second (infinite when no time was measured)."""
    return count / seconds if seconds > 0 else float("inf")
