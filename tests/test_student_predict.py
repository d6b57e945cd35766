"""helpers.predict: a "predict, then run" cell says in Chinese how far off the guess was."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.predict import compare_guess, describe_answer, describe_guess, seconds_in
from helpers.run.launcher import RunResult, run_code

ROOT = Path(__file__).resolve().parents[1]


def test_no_guess_yet_gets_a_reminder_naming_the_variable() -> None:
    result = describe_guess(None, 0.97, what="并发 join 的总时间", variable="guess_concurrent")
    assert result.guess is None and result.error is None
    assert "guess_concurrent" in result.text and "None" in result.text and "0.97 s" in result.text


@pytest.mark.parametrize(("guess", "actual", "words"), [
    (1.0, 0.97, ["高估了 0.03 s", "差 3%", "很准"]),
    (0.5, 1.84, ["低估了 1.34 s", "差 73%", "差得比较多"]),
    (2.2, 1.84, ["高估了 0.36 s", "差 20%", "接近了"]),
    (1.84, 1.84, ["完全猜中"]),
])
def test_a_guess_is_compared_in_chinese(guess: float, actual: float, words: list[str]) -> None:
    text = describe_guess(guess, actual, what="串行", unit="s").text
    for word in words:
        assert word in text, text


def test_ticks_and_a_guess_that_is_not_a_number() -> None:
    ticks = describe_guess(10, 8, what="总周期数", unit="个周期", digits=0)
    assert ticks.text == "总周期数：你预测 10 个周期，实际 8 个周期，高估了 2 个周期（差 25%）。接近了。"
    assert ticks.error == 2 and ticks.relative_error == pytest.approx(0.25)
    words = describe_guess("大约一秒", 0.97, what="并发")
    assert words.guess is None and "应该是一个数" in words.text and "'大约一秒'" in words.text
    assert "应该是一个数" in describe_guess(True, 1.0, what="x").text
    assert describe_guess(1, 0, what="x", digits=0, unit="").relative_error == float("inf")


def test_compare_guess_prints_the_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert compare_guess(0.9, 0.97, what="并发") is None  # nothing extra shown as the cell's value
    assert capsys.readouterr().out == describe_guess(0.9, 0.97, what="并发").text + "\n"


def test_seconds_in_reads_what_a_real_program_reported() -> None:
    run = run_code('print("main: all joined after 0.42 s")\nprint("other 9 s")', timeout=30)
    assert isinstance(run, RunResult)
    assert seconds_in(run, "main: all joined after") == 0.42
    assert seconds_in(run, "main: all joined after", name="MainProcess") == 0.42
    with pytest.raises(ValueError, match="no output line"):
        seconds_in(run, "nothing like this")


def test_sentences_survive_the_nbval_sanitizer() -> None:
    """The varying seconds must be rewritten by tests/sanitize.cfg ("0.97 s" -> "<T> s")."""
    cfg = (ROOT / "tests" / "sanitize.cfg").read_text(encoding="utf-8")
    pattern = re.search(r"\[seconds\]\nregex: (.+)\nreplace: (.+)", cfg)
    assert pattern
    regex, replace = pattern.group(1), pattern.group(2)
    committed = re.sub(regex, replace, describe_guess(None, 0.97, what="并发", variable="g").text)
    assert "<T> s" in committed and not re.search(r"\d", committed), committed
    guessed = re.sub(regex, replace, describe_guess(1.0, 0.97, what="并发").text)
    assert guessed.count("<T> s") == 3, guessed


# A guess cell as a lecture hands it out: the value still unanswered (None, an empty string, a list
# of None). A guess given as a non-empty template text ("写下你的预测……", numbered lines) is a
# free-form note for the discussion that follows, not a value a program can compare.
UNANSWERED_GUESS = re.compile(
    r"""^(\w*(?:guess|my_|prediction)\w*)\s*=\s*"""
    r"""(None|""|''|\[\s*None(?:\s*,\s*None)*\s*\]|\[\s*None\s*\]\s*\*\s*\d+)\s*(?:#.*)?$""",
    re.M,
)


def test_every_numeric_guess_in_the_lectures_is_compared() -> None:
    """A lecture cell (chapters 00-09) that asks for a guess (``x = None  # ...``, ``x = ""``,
    ``x = [None, None]``) has a later cell that passes that variable to compare_guess (how far
    off) or compare_answer (right or wrong)."""
    missing, found = [], []
    for path in sorted((ROOT / "notebooks").glob("0[0-9]-*.ipynb")):
        cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        sources = ["".join(c["source"]) for c in cells]
        for i, source in enumerate(sources):
            for name, _ in UNANSWERED_GUESS.findall(source):
                found.append(f"{path.name}: {name}")
                later = "\n".join(sources[i + 1:])
                if not re.search(rf"compare_(?:guess|answer)\(\s*{name}\b", later):
                    missing.append(f"{path.name}: {name}")
    assert len(found) >= 10, found  # the rule still finds the lectures' guesses
    assert not missing, f"guesses never compared with the result: {missing}"


@pytest.mark.parametrize("line", [
    "my_count = None  # 写一个整数", 'my_prediction = ""', "my_prediction = ''",
    "my_exitcodes = [None, None, None]  # a, b, c", "guess_codes = [None] * 5",
])
def test_the_guard_recognises_every_unanswered_guess(line: str) -> None:
    assert UNANSWERED_GUESS.search(line), line


def test_an_unanswered_guess_gets_the_reminder_whatever_its_shape() -> None:
    for guess in (None, "", "  ", [None, None], (None,)):
        text = describe_answer(guess, [0, 3], what="退出码", variable="my_codes").text
        assert "你还没有写下预测" in text and "my_codes" in text and "不一样" not in text, text
        assert "你还没有写下预测" in describe_guess(guess, 5, what="计数", unit="", digits=0).text
    partial = describe_answer([0, None], [0, 3], what="退出码").text
    assert "不一样" in partial and "猜对了 1 个" in partial and "第 2 个" in partial, partial


def test_a_result_that_varies_is_marked_as_the_sanitizer_expects() -> None:
    cfg = (ROOT / "tests" / "sanitize.cfg").read_text(encoding="utf-8")
    pattern = re.search(r"\[varies\]\nregex: (.+)\nreplace: (.+)", cfg)
    assert pattern
    texts = [describe_guess(None, 5, what="计数", unit="", digits=0, variable="my_count", varies=True).text,
             describe_guess(None, 7, what="计数", unit="", digits=0, variable="my_count", varies=True).text]
    assert "5 (varies)" in texts[0]
    assert len({re.sub(pattern.group(1), pattern.group(2), text) for text in texts}) == 1, texts
    guessed = describe_guess(20, 5, what="计数", unit="", digits=0, varies=True).text
    assert "你预测 20，实际 5 (varies)，高估了 15 (varies)" in guessed, guessed


def test_an_answer_is_right_or_wrong() -> None:
    assert "猜对了" in describe_answer(1, 1, what="退出码").text
    wrong = describe_answer(["main", "child-a"], ["main"], what="visits").text
    assert "不一样" in wrong and "['main', 'child-a']" in wrong and "['main']" in wrong
    reminder = describe_answer(None, 1, what="退出码", variable="guess_child_exitcode").text
    assert "guess_child_exitcode" in reminder and "None" in reminder
