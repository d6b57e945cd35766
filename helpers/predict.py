"""Close the loop of a "predict, then run" moment: compare the student's guess with the result.

A lecture asks for a guess in a cell (``guess_serial = None  # your guess in seconds``), runs
the program, and then says in Chinese how far off the guess was::

    from helpers.predict import compare_guess, seconds_in
    compare_guess(guess_serial, seconds_in(serial_run, "main: all joined after"),
                  what="串行 join 的总时间")

prints for example ``串行 join 的总时间：你预测 1.00 s，实际 1.84 s，低估了 0.84 s（差 46%）。差得比较多：…``.
For an answer that is right or wrong (an exit code, the list a program printed) use
``compare_answer(guess, actual, what=...)``.
A guess left unanswered (``None``, ``""``, a list of ``None``) gets a reminder instead (that is what the committed outputs show, so
nbval compares a stable text: seconds are printed as ``N.NN s``, which tests/sanitize.cfg rewrites).

Stdlib only; reads a RunResult only through ``result.lines()``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Real

TYPE_CHECKING = False
if TYPE_CHECKING:
    from helpers.run.launcher import RunResult

CLOSE = 0.10  # within 10 % of the result: "很准"
NEAR = 0.30  # within 30 %: "接近"
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*s\b")


@dataclass(frozen=True)
class GuessResult:
    """A guess next to the actual value; ``text`` is the Chinese sentence printed for it."""

    what: str
    guess: float | None
    actual: float
    unit: str
    text: str

    @property
    def error(self) -> float | None:
        """guess − actual (positive: overestimated), ``None`` without a guess."""
        return None if self.guess is None else self.guess - self.actual

    @property
    def relative_error(self) -> float | None:
        """|guess − actual| / |actual| (``inf`` when actual is 0 and the guess is not)."""
        if self.guess is None:
            return None
        if self.actual == 0:
            return 0.0 if self.guess == 0 else math.inf
        return abs(self.guess - self.actual) / abs(self.actual)


def _fmt(value: float, unit: str, digits: int, varies: bool = False) -> str:
    number = f"{value:.{digits}f}" if digits else f"{round(value):d}"
    if varies:  # the lectures' mark for a value that changes from run to run (tests/sanitize.cfg)
        number += " (varies)"
    return f"{number} {unit}" if unit else number


def unanswered(guess: object) -> bool:
    """The guess cell was run as given: ``None``, an empty string, or a list/tuple of ``None``."""
    if guess is None or (isinstance(guess, str) and not guess.strip()):
        return True
    return isinstance(guess, (list, tuple)) and len(guess) > 0 and all(g is None for g in guess)


def _reminder(what: str, shown_actual: str, guess: object, variable: str) -> str:
    name = f" {variable} " if variable else ""
    return (f"{what}：实际是 {shown_actual}。你还没有写下预测（变量{name}仍是 {guess!r}）——"
            "先把猜测写进上面的单元格再运行，对照才有意义。")


def describe_guess(guess: object, actual: float, *, what: str, unit: str = "s", digits: int = 2,
                   variable: str = "", varies: bool = False) -> GuessResult:
    """The Chinese comparison of ``guess`` with ``actual`` (see the module docstring).

    ``unit`` is printed after numbers ("s", "个周期", "" for none), ``digits`` decimals;
    ``variable`` names the guess's variable in the reminder when it is still unanswered;
    ``varies``: the result changes from run to run, so ``actual`` and the difference are marked
    ``(varies)`` as the lectures mark such numbers.
    """
    shown_actual = _fmt(actual, unit, digits, varies)
    if unanswered(guess):
        text = _reminder(what, shown_actual, guess, variable)
        return GuessResult(what, None, float(actual), unit, text)
    if isinstance(guess, bool) or not isinstance(guess, Real) or not math.isfinite(float(guess)):
        example = _fmt(1, unit, 1 if digits else 0)
        text = (f"{what}：预测应该是一个数，例如 {example}；你写的是 {guess!r}。"
                f"改成一个数再运行这个单元格（实际是 {shown_actual}）。")
        return GuessResult(what, None, float(actual), unit, text)
    result = GuessResult(what, float(guess), float(actual), unit, "")
    error, relative = result.error, result.relative_error
    assert error is not None and relative is not None
    if error == 0 or (digits and abs(error) < 0.5 * 10 ** -digits):
        text = f"{what}：你预测 {_fmt(float(guess), unit, digits)}，实际 {shown_actual}——完全猜中！"
        return GuessResult(what, float(guess), float(actual), unit, text)
    direction = "高估" if error > 0 else "低估"
    share = "" if math.isinf(relative) else f"（差 {relative:.0%}）"
    if relative <= CLOSE:
        verdict = "很准！"
    elif relative <= NEAR:
        verdict = "接近了。"
    else:
        verdict = "差得比较多：对照上面的输出和解释，想想哪一步和你想的不一样。"
    text = (f"{what}：你预测 {_fmt(float(guess), unit, digits)}，实际 {shown_actual}，"
            f"{direction}了 {_fmt(abs(error), unit, digits, varies)}{share}。{verdict}")
    return GuessResult(what, float(guess), float(actual), unit, text)


def compare_guess(guess: object, actual: float, *, what: str, unit: str = "s", digits: int = 2,
                  variable: str = "", varies: bool = False) -> None:
    """Print how far ``guess`` is from ``actual`` (in Chinese); ``describe_guess`` returns it."""
    print(describe_guess(guess, actual, what=what, unit=unit, digits=digits, variable=variable,
                         varies=varies).text)


def describe_answer(guess: object, actual: object, *, what: str, variable: str = "") -> GuessResult:
    """Like :func:`describe_guess` for an answer that is right or wrong rather than near or far
    (an exit code, the list a program printed): "猜对了" or both values side by side."""
    if unanswered(guess):
        text = _reminder(what, repr(actual), guess, variable)
    elif guess == actual:
        text = f"{what}：你预测 {guess!r}，实际也是 {actual!r}——猜对了！"
    else:
        right = ""
        if isinstance(guess, (list, tuple)) and isinstance(actual, (list, tuple)) and len(guess) == len(actual):
            hits = sum(g == a for g, a in zip(guess, actual))
            wrong = "、".join(str(i + 1) for i, (g, a) in enumerate(zip(guess, actual)) if g != a)
            right = f"{len(actual)} 个里猜对了 {hits} 个，第 {wrong} 个不对。"
        text = (f"{what}：你预测 {guess!r}，实际是 {actual!r}——不一样。{right}"
                "对照上面的输出和解释，想想哪一步和你想的不一样。")
    return GuessResult(what, None, math.nan, "", text)


def compare_answer(guess: object, actual: object, *, what: str, variable: str = "") -> None:
    """Print whether ``guess`` was right (in Chinese); :func:`describe_answer` returns it."""
    print(describe_answer(guess, actual, what=what, variable=variable).text)


def seconds_in(result: RunResult, prefix: str, name: str | None = None) -> float:
    """The seconds a program reported on its last output line starting with ``prefix``
    (e.g. ``"main: all joined after 0.97 s"`` -> 0.97); ``name`` limits it to one process."""
    for line in reversed(result.lines(name=name)):
        if line.startswith(prefix):
            found = _SECONDS.search(line, len(prefix))
            if found:
                return float(found.group(1))
    raise ValueError(f"no output line starts with {prefix!r} and reports seconds like '0.97 s'")
