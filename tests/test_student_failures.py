"""Failure messages that teach: the Chinese message first and whole, a likely cause per task.

In a real course kernel (which loads the ``helpers`` extension at start) and through a real
``nbgrader validate`` of a sample submission's mistake.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import failures
from helpers.failures import LEAD, WIDTH, display_width, failure_lines, wrap, wrap_line
from helpers.grading.hints import HINTS, hint_for, programs_in

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from course_tools import build_submission, parse_submission  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CJK = re.compile(r"[\u4e00-\u9fff]")
JOIN_HINT = next(h.text for h in HINTS if h.program == "ch05_task1.py" and h.check == "expect_ratio")


def squash(text: str) -> str:
    """``text`` without whitespace (a line break at a space drops that space)."""
    return re.sub(r"\s+", "", text)


def unwrap(lines: list[str]) -> str:
    """The text before wrapping: continuation lines joined back onto their line."""
    text = ""
    for line in lines:
        if line.startswith(failures.INDENT):
            rest = line[len(failures.INDENT):]
            glue = " " if text and not CJK.match(text[-1]) and not CJK.match(rest[:1]) else ""
            text += glue + rest
        else:
            text += ("\n" if text else "") + line
    return text


@pytest.mark.parametrize("text", [
    "报告的总时间 / 各子进程运行时间之和（并发时应明显小于 1）：比值应不超过 0.7，实际是 1.01（2.43 s / 2.41 s）。",
    "short",
    "x" * 200,
    "程序的输出（最后几行）：\n  [Process-1 pid 123] worker 0 done with a rather long english tail " * 3,
])
def test_wrapping_keeps_every_character_and_fits_the_width(text: str) -> None:
    lines = wrap(text)
    assert all(display_width(line) <= WIDTH for line in lines), lines
    assert unwrap(lines).replace(" ", "") == text.rstrip().replace(" ", "")


def test_a_chinese_character_counts_two_columns() -> None:
    assert display_width("进程 pid") == 8
    pieces = wrap_line("进" * 50, width=20)  # 10 characters, then 4 columns of indent + 8
    assert [display_width(p) for p in pieces] == [20] * 6 and pieces[1] == failures.INDENT + "进" * 8


def test_the_message_comes_first_then_the_cause_then_the_line() -> None:
    lines = failure_lines("比值应不超过 0.7，实际是 1.01。", hint="把 join 写在了循环里。",
                          where="出错的一行：单元格第 6 行  expect_ratio(a, b, 0.7, '…')", colour=False)
    assert lines == [LEAD, "比值应不超过 0.7，实际是 1.01。", "这一题常见的错误：把 join 写在了循环里。",
                     "出错的一行：单元格第 6 行  expect_ratio(a, b, 0.7, '…')"]


def test_every_hint_names_a_real_sample_task_and_check() -> None:
    grading = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "helpers" / "grading").glob("*.py"))
    check_names = set(re.findall(r"^def (expect_\w+)\(", grading, re.M)) | {"run_task", "assert"}
    for hint in HINTS:
        assert hint.samples, hint
        for named in hint.samples:
            chapter, sample = named.split("/")
            about = (ROOT / "tests" / "submissions" / chapter / f"{sample}.py").read_text(encoding="utf-8")
            assert "# about:" in about, hint
        cells = json.loads((ROOT / "source" / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))["cells"]
        sources = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert hint.program in programs_in(sources), hint
        assert hint.checks and set(hint.checks) <= check_names, hint
        assert CJK.search(hint.text), hint


def test_hint_lookup() -> None:
    cell = 'run = run_task("ch05_task1.py", "3", "0.8")\nexpect_ratio(...)'
    assert hint_for(cell, "expect_ratio", "比值应不超过 0.7") == JOIN_HINT
    assert hint_for(cell, "expect_equal", "比值") is None
    assert hint_for('run_task("other.py")', "expect_ratio", "x") is None
    # a row for several checks (the lost update shows in the count, or only in the trace)
    cell = 'run4 = run_task("ch08_task4.py", timeout=8)'
    lost = hint_for(cell, "expect_lines", "应该正好有 1 行`counter: 8000`，实际有 0 行。\n  counter: 4176")
    assert lost and lost == hint_for(cell, "expect_updates_under_lock", "adder-0 没有在锁里完成“读出、加一、写回”")
    assert hint_for(cell, "expect_lines", "应该正好有 1 行`counter: 8000`，实际有 0 行。") is None


def _run_cells(sources: list[str], tmp_path: Path) -> list[nbformat.NotebookNode]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=60,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb.cells


def _error(cell: nbformat.NotebookNode) -> list[str]:
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors, cell.outputs
    return [ANSI.sub("", line) for line in "\n".join(errors[0].traceback).splitlines()]


def test_a_fresh_kernel_shows_a_failed_check_message_first_whole_and_with_its_cause(tmp_path: Path) -> None:
    """No setup cell for the magics (the kernel loads helpers), a failing program task check,
    a Chinese assert in the cell, and an ordinary error that keeps IPython's traceback."""
    message = "报告的总时间 / 各子进程运行时间之和（并发时应明显小于 1）"
    long_assert = "串行一轮至少要各时间之和 1.0 s，你报告的是 0.5 s：是不是没有在下一个 start 之前 join？" * 2
    cells = _run_cells([
        '%%program ch05_task1.py\nprint("all done in 2.43 s")',
        "from helpers.grading.checks import expect_ratio, run_task\n"
        'run = run_task("ch05_task1.py", "3", "0.8")\n'
        f'expect_ratio(2.43, 2.41, 0.7, "{message}")',
        f'x = 1\nassert x == 2, "{long_assert}"',
        "1 / 0",
    ], tmp_path)
    shown = _error(cells[1])
    assert shown[0] == LEAD and shown[1].startswith(message[:10]), shown
    assert all(display_width(line) <= WIDTH for line in shown), shown
    assert "helpers/grading" not in "\n".join(shown) and "Traceback" not in "\n".join(shown)
    text = unwrap(shown)
    assert squash(f"{message}：比值应不超过 0.7，实际是 1.01（2.43 s / 2.41 s）。") in squash(text), text
    assert squash("这一题常见的错误：" + JOIN_HINT) in squash(text), text
    assert "单元格第 3 行" in text
    shown = _error(cells[2])
    assert shown[0] == LEAD and shown[1].startswith("串行一轮") and squash(long_assert) in squash(unwrap(shown)), shown
    plain = "\n".join(_error(cells[3]))
    assert "ZeroDivisionError" in plain and "Traceback" in plain


def _validate(notebook: nbformat.NotebookNode, tmp_path: Path) -> str:
    nbformat.write(notebook, tmp_path / "submission.ipynb")
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", "submission.ipynb"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL)
    return done.stdout + done.stderr


@pytest.mark.hard_timeout(300)
def test_nbgrader_validate_shows_the_whole_message_and_the_join_hint(tmp_path: Path) -> None:
    """ch05 task 1 answered with join() inside the start loop (tests/submissions/ch05/serial_joins)."""
    sample = parse_submission(ROOT / "tests" / "submissions" / "ch05" / "serial_joins.py", "ch05")
    answers = {k: v for k, v in sample.answers.items() if k == "ch05_task1"}
    notebook = build_submission(ROOT / "release" / "ch05" / "ch05.ipynb", answers)
    report = _validate(notebook, tmp_path)
    section = report.split("The error was:")[1].split("=" * 20)[0]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    # nbgrader's own words around it are English; the message's first line is a Chinese heading.
    assert lines and lines[0] == LEAD, report[-3000:]
    assert not any(line.endswith("...") for line in lines), f"nbgrader cut a line:\n{section}"
    text = unwrap(lines)
    assert squash("比值应不超过 0.85") in squash(text) and squash(JOIN_HINT) in squash(text), section
    assert "helpers/grading" not in section, section


def test_install_chains_to_the_explaining_handler_and_stays_one_link(
        capsys: pytest.CaptureFixture[str]) -> None:
    """helpers.magics' handler (Chinese hints for classic errors) still runs for everything that
    is not a course check, however often the extension is loaded."""
    from IPython.testing.globalipapp import get_ipython

    from helpers import load_ipython_extension

    ip = get_ipython()
    for _ in range(3):
        load_ipython_extension(ip)
    ip.run_cell("raise AssertionError('daemonic processes are not allowed to have children')")
    out = capsys.readouterr().out
    assert "Traceback" in out and "守护进程" in out  # the normal traceback and the magics' hint
    ip.run_cell("assert 1 == 2, '比值应不超过 0.7，实际是 1.01。'")
    out = ANSI.sub("", capsys.readouterr().out)
    assert out.lstrip().startswith(LEAD + "\n比值应不超过 0.7") and out.count("没通过") == 1, out


def test_running_a_test_cell_before_the_setup_cell_is_explained_in_chinese(tmp_path: Path) -> None:
    cells = _run_cells(['run = run_task("ch05_task1.py", "3", "0.8")', "my_ids()", "x = 1"], tmp_path)
    shown = _error(cells[0])
    assert shown[0].startswith("还不能运行：run_task 还没有定义：它是作业第一个代码单元格导入的检查函数"), shown
    assert "NameError: name 'run_task' is not defined" in shown and "Traceback" not in "\n".join(shown)
    shown = _error(cells[1])
    assert shown[0].startswith("还不能运行：my_ids 还没有定义：先运行定义它的单元格"), shown
    assert all(display_width(line) <= WIDTH for line in shown)
    assert not [o for o in cells[2].outputs if o.output_type == "error"]


def test_a_check_failure_renders_the_same_without_the_extension(tmp_path: Path) -> None:
    """A kernel without the course's kernel config (another environment): IPython honours
    TaskCheckFailed._render_traceback_, so the message still comes first, without helper source."""
    cells = _run_cells([
        "get_ipython().set_custom_exc((), None)  # as if the extension were not loaded",
        "from helpers.grading.checks import expect_equal\n"
        'expect_equal(3, 2, "子进程个数")',
    ], tmp_path)
    shown = _error(cells[1])
    assert shown[:2] == [LEAD, "子进程个数应该是 2，实际是 3。"], shown
    assert "helpers/grading" not in "\n".join(shown) and "Traceback" not in "\n".join(shown)


def _graded_errors(sample: str, tmp_path: Path) -> str:
    """Every error output (ANSI stripped) of the sample submission run against the source
    notebook, i.e. with the hidden tests, as autograde runs it."""
    chapter, name = sample.split("/")
    parsed = parse_submission(ROOT / "tests" / "submissions" / chapter / f"{name}.py", chapter)
    notebook = build_submission(ROOT / "source" / chapter / f"{chapter}.ipynb", parsed.answers)
    client = NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=40,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    return "\n".join(ANSI.sub("", "\n".join(o.traceback)) for o in errors)


@pytest.mark.hard_timeout(240)
@pytest.mark.parametrize("sample", sorted({s for h in HINTS for s in h.samples}))
def test_each_hint_is_shown_for_its_sample_mistake(sample: str, tmp_path: Path) -> None:
    """The sample submission that makes the mistake gets the hint (and the hint comes after
    the message, inside the width)."""
    shown = squash(_graded_errors(sample, tmp_path))
    for hint in (h for h in HINTS if sample in h.samples):
        assert squash("这一题常见的错误：" + hint.text) in shown, f"{hint.program} {hint.check}: {shown[:3000]}"


# Sample mistakes (tests/submissions/ch04-ch09: each task a sample answers, its ``# %% <task>``
# part) whose failing check's own message names the likely cause, so that no hint row is needed:
# words of that message (any one of them, compared without whitespace, as the message is wrapped).
CAUSE_IN_MESSAGE: dict[str, tuple[str, ...]] = {
    "ch04/hang ch04_task1": ("停在 join()",),
    "ch04/join_in_loop ch04_task1": ("是不是把 join() 写在了启动的循环里",),
    "ch04/shared_memory_no_guard ch04_task4": ('缺少 if __name__ == "__main__": 保护',),
    "ch05/early_exitcode ch05_task2": ("串行时每个任务要等前一个结束",),
    "ch06/child_in_daemon ch06_task4": ("worker 不是守护进程：主程序退出前会等它做完",),
    "ch06/daemon_after_start ch06_task4": ("helper 是守护进程：主程序的代码一结束它就被终止",),
    "ch06/joins_daemon ch06_task2": ("logger 是守护进程，主程序结束时应该被切断",),
    "ch07/api_guesses ch07_task4": ("Lock 不可重入（non-recursive）",),
    "ch07/deadlock ch07_task3": ("死锁（deadlock）", "相反的顺序"),  # a lucky run: the lock-order check
    "ch07/lock_too_wide ch07_task2": ("time.sleep(0.2) 是在拿着锁的时候做的",),
    "ch07/module_lock ch07_task1": ("用的不是同一把锁",),
    "ch07/module_lock ch07_task2": ("time.sleep(0.2) 是在拿着锁的时候做的",),
    "ch07/never_released ch07_task1": ("被一个已经结束的进程拿着，永远不会被释放",),
    "ch08/join_before_get ch08_task3": ("先 join() 了还没取完数据的队列",),
    "ch08/no_lock_seed_facts ch08_task5": ("抛出 queue.Full",),
    "ch09/get_timeout ch09_task1": ("get() 因为超时抛出了 queue.Empty",),
    "ch09/missing_task_done ch09_task2": ("task_done() 少调用了",),
    "ch09/producer_sentinels ch09_task3": ("哨兵值不要由生产者发送",),
    "ch09/producer_sentinels ch09_task4": ("I/O 密集条目应该比 CPU 密集条目做得快：等待可以同时进行",),
    "ch09/sentinels_too_early ch09_task1": ("哨兵值（sentinel）在生产者做完之前就放进了队列",),
    "ch09/too_few_sentinels ch09_task1": ("哨兵值不够",),
}


def sample_mistakes() -> list[str]:
    """``"<chapter>/<sample> <task>"`` for each task a sample submission of ch04-ch09 answers
    (the reference and the blank notebook left out)."""
    found = []
    for path in sorted((ROOT / "tests" / "submissions").glob("ch0[4-9]/*.py")):
        if path.stem in ("reference", "blank"):
            continue
        for task in re.findall(r"^# %% (\S+)", path.read_text(encoding="utf-8"), re.M):
            found.append(f"{path.parent.name}/{path.stem} {task}")
    return found


def test_every_sample_mistake_gets_a_hint_or_a_message_naming_the_cause() -> None:
    mistakes = sample_mistakes()
    hinted = {f"{sample} {hint.program.removesuffix('.py')}" for hint in HINTS for sample in hint.samples}
    missing = [m for m in mistakes if m not in hinted and m not in CAUSE_IN_MESSAGE]
    assert not missing, f"sample mistakes with neither a hint row (helpers/grading/hints.py) nor a message naming the cause: {missing}"
    stale = sorted(set(CAUSE_IN_MESSAGE) - set(mistakes))
    assert not stale, f"CAUSE_IN_MESSAGE names mistakes no sample makes: {stale}"
    assert len(mistakes) >= 30, mistakes


@pytest.mark.hard_timeout(240)
@pytest.mark.parametrize("sample", sorted({key.split()[0] for key in CAUSE_IN_MESSAGE}))
def test_each_message_that_names_the_cause_is_shown_for_its_sample(sample: str, tmp_path: Path) -> None:
    shown = squash(_graded_errors(sample, tmp_path))
    for key, words in CAUSE_IN_MESSAGE.items():
        if key.split()[0] == sample:
            assert any(squash(w) in shown for w in words), f"{key}: none of {words} in\n{shown[:3000]}"
