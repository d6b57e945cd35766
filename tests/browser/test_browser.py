"""The course as a student sees it: JupyterLab in a real (headless) Chromium.

Each test opens a notebook of a private JupyterLab server (``conftest.lab``, serving a copy of
notebooks/ and release/) and checks what only a browser shows:

* a ``%%run_program`` cell prints its children's lines while the cell is still running, and the
  timing chart of that run is a rendered image;
* moving a simulator widget's slider redraws its chart;
* a released assignment has nbgrader's Validate button, and validating shows the results dialog;
* the student's side (served as ``course.py lab`` serves it, student mode): the lab has no Jupyter
  news question and no nbgrader instructor panel; a student opens an assignment from the
  workspace ``work/``, answers wrong (a sample submission's mistake), and reads the whole Chinese
  message in the test cell and in the Validate dialog (under the message's Chinese heading);
* a course update: the student edits and saves an answer in the lab of their own clone, the
  teacher pushes a new commit, the student runs ``git pull`` and ``course.py lab``'s workspace
  preparation, and the reopened notebook still has the answer (the new chapter and the lecture
  fix arrive too).

Screenshots of every step go to test-artifacts/browser/ (``FAILED-<step>.png`` when a step fails).
The cells to use are found in the notebooks' own JSON, so the test follows the lectures as
they change instead of hard-coding cell numbers.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from course_tools import LECTURE_FIX, RELEASE_FIX, course_clones, git, push_course_update  # tests/ is on sys.path (rootdir conftest)
from helpers.failures import LEAD
from labserver import Lab, copy_course, course_module, ours, start_lab, stop_lab  # this folder is on sys.path (see conftest.py)

pytestmark = pytest.mark.usefixtures("hard_timeout")

# Lectures whose chapters are about starting and joining processes come first.
LIVE_NOTEBOOK_ORDER = ("05-", "04-", "06-", "03-", "02-", "00-")
WIDGET_NOTEBOOK_ORDER = ("03-", "02-", "01-")
ASSIGNMENT = "work/ch00/ch00.ipynb"  # the student's copy, made by course.py's prepare_workspace
# A student's wrong answer: the sample submission whose mistake is join() inside the start loop.
WRONG_SAMPLE = ("ch05", "serial_joins", "ch05_task1")
ROOT = Path(__file__).resolve().parents[2]

CHILD_MARKER = re.compile(r"^\[(?!MainProcess )([^\]\s]+) pid \d+\]", re.M)
WIDGET_CALL = re.compile(r"^(?:\w+\s*=\s*)?\w+_widget\(", re.M)  # [w = ]x_widget(...)
RUN_ALL_TIMEOUT_MS = 150_000
KERNEL_TIMEOUT_MS = 60_000
VALIDATE_TIMEOUT_MS = 120_000

# In-page recorder: every change of one cell (prompt text, output text) with its time, so that
# "a line appeared while the cell was running" is judged from what the page showed, not from how
# often Python happened to poll.
RECORD_CELL_JS = """
(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const log = [];
  const t0 = performance.now();
  const snap = () => {
    const prompt = cell.querySelector('.jp-InputPrompt').textContent.trim();
    const out = Array.from(cell.querySelectorAll('.jp-OutputArea-output'))
      .map((e) => e.textContent).join('');
    const last = log[log.length - 1];
    if (!last || last.prompt !== prompt || last.out !== out) {
      log.push({t: (performance.now() - t0) / 1000, prompt: prompt, out: out});
    }
  };
  new MutationObserver(snap).observe(cell, {subtree: true, childList: true, characterData: true});
  snap();
  window.__courseCellLog = log;
}
"""
# The watched cell still runs ([*]) and shows lines of two or more child processes, or it has
# finished (then the recorded log tells what happened).
LIVE_OR_DONE_JS = """
(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const prompt = cell.querySelector('.jp-InputPrompt').textContent.trim();
  const started = window.__courseCellLog.some((s) => s.prompt === '[*]:');
  if (!started) return false;  // the prompt before Run All reached this cell does not count
  if (/^\\[\\d+\\]:$/.test(prompt)) return true;
  if (prompt !== '[*]:') return false;
  const out = Array.from(cell.querySelectorAll('.jp-OutputArea-output'))
    .map((e) => e.textContent).join('');
  const children = new Set();
  for (const m of out.matchAll(/^\\[(?!MainProcess )([^\\]\\s]+) pid \\d+\\]/gm)) children.add(m[1]);
  return children.size >= 2;
}
"""
# Run All finished: no code cell waits or runs any more. (After an error, Run All stops and the
# cells it did not reach lose their [*]; the test then names the cell that failed.)
RUN_ALL_DONE_JS = """
() => !Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
  .some((e) => e.textContent.trim() === '[*]:')
"""


@dataclass(frozen=True)
class LiveCase:
    """A lecture cell that runs several child processes, and the cell that draws its chart."""

    notebook: str  # path relative to the course copy
    run_cell: int
    chart_cell: int


@dataclass(frozen=True)
class WidgetCase:
    """A lecture cell that shows a simulator widget."""

    notebook: str
    cell: int


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _stored_text(cell: dict[str, Any]) -> str:
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        parts.append("".join(text) if isinstance(text, list) else str(text))
    return "".join(parts)


def _ordered(root: Path, order: tuple[str, ...]) -> list[Path]:
    lectures = sorted((root / "notebooks").glob("*.ipynb"))
    rank = {prefix: i for i, prefix in enumerate(order)}
    chosen = [p for p in lectures if p.name[:3] in rank]
    return sorted(chosen, key=lambda p: rank[p.name[:3]])


def find_live_case(root: Path) -> LiveCase:
    """The first lecture cell ``%%run_program`` (not ``--quiet``) whose stored output shows two or
    more child processes, with a timing chart of that run (``--chart``, or a later
    ``plot_timeline(<its --result name>)`` cell)."""
    for path in _ordered(root, LIVE_NOTEBOOK_ORDER):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            source = _source(cell)
            first = source.splitlines()[0] if source else ""
            if cell["cell_type"] != "code" or not first.startswith("%%run_program"):
                continue
            if "--quiet" in first or len(set(CHILD_MARKER.findall(_stored_text(cell)))) < 2:
                continue
            if "--chart" in first:
                return LiveCase(str(path.relative_to(root)), i, i)
            result = re.search(r"--result[ =](\w+)", first)
            if result is None:
                continue
            drawing = re.compile(rf"plot_timeline\(\s*{result.group(1)}\b")
            for j in range(i + 1, len(cells)):
                if cells[j]["cell_type"] == "code" and drawing.search(_source(cells[j])):
                    return LiveCase(str(path.relative_to(root)), i, j)
    raise LookupError("no lecture has a %%run_program cell with 2+ children and a timing chart")


def find_widget_case(root: Path) -> WidgetCase:
    """The first lecture cell that calls a ``*_widget(...)`` simulator widget."""
    for path in _ordered(root, WIDGET_NOTEBOOK_ORDER):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code" and WIDGET_CALL.search(_source(cell)):
                return WidgetCase(str(path.relative_to(root)), i)
    raise LookupError("no lecture has a cell that shows a *_widget(...)")


@contextmanager
def step(page: Any, artifacts: Path, name: str) -> Iterator[None]:
    """Screenshot ``name.png`` after the step, or ``FAILED-name.png`` if it raised."""
    try:
        yield
    except BaseException:
        # Best effort: a dead page cannot be photographed, and the step's own error matters more.
        with suppress(PlaywrightError):
            page.screenshot(path=str(artifacts / f"FAILED-{name}.png"), full_page=False)
        raise
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=False)


def open_notebook(page: Any, lab: Lab, path: str) -> None:
    """Open ``path`` in JupyterLab; wait until every cell is in the page and the kernel is idle."""
    cells = len(json.loads((lab.root / path).read_text(encoding="utf-8"))["cells"])
    page.goto(lab.page_url(path, workspace=f"test-{secrets.token_hex(4)}"))
    # Lab renders a long notebook in batches; with windowingMode "none" all cells end up in the DOM.
    page.wait_for_function(
        "(n) => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n", arg=cells,
        timeout=KERNEL_TIMEOUT_MS, polling=200,
    )
    # The kernel is ready when the server says so and the page has connected to it.
    deadline = time.monotonic() + KERNEL_TIMEOUT_MS / 1000
    while lab.kernel_state(path) != "idle":
        if time.monotonic() > deadline:
            raise TimeoutError(f"the kernel of {path} was not idle within {KERNEL_TIMEOUT_MS} ms")
        page.wait_for_timeout(200)  # yields to Playwright's event loop while the server starts it
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        state="attached", timeout=KERNEL_TIMEOUT_MS
    )
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$")).first.wait_for(
        timeout=KERNEL_TIMEOUT_MS
    )


def menu_command(page: Any, menu: str, command: str) -> None:
    """Click ``menu`` in the menu bar, then the item bound to JupyterLab ``command``."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(rf"^{menu}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').first.click()


def cell_at(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def select_cell(page: Any, index: int) -> None:
    """Make cell ``index`` the active cell (command mode), as a click on its prompt does."""
    cell = cell_at(page, index)
    cell.locator(".jp-InputPrompt").click()
    page.wait_for_function(
        "(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i].classList.contains('jp-mod-active')",
        arg=index,
    )


def image_sources(cell: Any) -> list[str]:
    return list(cell.locator(".jp-OutputArea-output img").evaluate_all("els => els.map(e => e.src)"))


def wait_image_rendered(page: Any, cell: Any, timeout: float = 30_000) -> dict[str, Any]:
    """Wait until the cell's output has a loaded PNG image; return its size and source kind."""
    image = cell.locator(".jp-OutputArea-output img").last
    image.wait_for(state="attached", timeout=timeout)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(), timeout=timeout)
    return dict(image.evaluate(
        "(img) => ({width: img.naturalWidth, height: img.naturalHeight, src: img.src.slice(0, 22)})"
    ))


def live_evidence(log: list[dict[str, Any]]) -> tuple[list[str], float] | None:
    """From the recorded snapshots of one cell: the child markers visible at a moment when the
    cell was still running and more output was still to come, and how long before the cell
    finished that was. ``None`` if no such moment had two or more children."""
    done = next((s["t"] for s in log if re.fullmatch(r"\[\d+\]:", s["prompt"])), None)
    final = log[-1]["out"] if log else ""
    for snap in log:
        if snap["prompt"] != "[*]:" or snap["out"] == final:
            continue
        children = sorted(set(CHILD_MARKER.findall(snap["out"])))
        if len(children) >= 2 and done is not None:
            return children, done - snap["t"]
    return None


@pytest.mark.hard_timeout(240)
def test_run_program_output_is_live_and_timing_chart_renders(
    lab: Lab, page: Any, artifacts: Path
) -> None:
    case = find_live_case(lab.root)
    started = time.monotonic()
    with step(page, artifacts, "1-open-lecture"):
        open_notebook(page, lab, case.notebook)
    run_cell = cell_at(page, case.run_cell)
    with step(page, artifacts, "2-output-while-running"):
        menu_command(page, "Edit", "editmenu:clear-all")
        page.wait_for_function("() => !document.querySelector('.jp-Notebook .jp-OutputArea-output img')")
        page.evaluate(RECORD_CELL_JS, case.run_cell)
        menu_command(page, "Run", "runmenu:run-all")
        # Poll the page while the cell shows [*]: stop at two child lines, or when it finished.
        page.wait_for_function(
            LIVE_OR_DONE_JS, arg=case.run_cell, timeout=RUN_ALL_TIMEOUT_MS, polling=50
        )
        run_cell.scroll_into_view_if_needed()
    with step(page, artifacts, "3-run-all-finished"):
        page.wait_for_function(RUN_ALL_DONE_JS, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
        code_cells = page.locator(".jp-Notebook .jp-CodeCell")
        prompts = code_cells.locator(".jp-InputPrompt").all_inner_texts()
        numbered = [bool(re.fullmatch(r"\[\d+\]:", p.strip())) for p in prompts]
        if not all(numbered):
            failed = max(numbered.index(False) - 1, 0)  # the last cell Run All got through
            pytest.fail(
                f"Run All stopped in {case.notebook}: {numbered.count(False)} code cells did not "
                f"run; output of code cell {failed}:\n"
                + code_cells.nth(failed).locator(".jp-OutputArea").inner_text()[-1500:]
            )
        run_cell.scroll_into_view_if_needed()
        # Judge from every change the page showed (recorded in the page, not polled from here).
        log = page.evaluate("() => window.__courseCellLog")
        evidence = live_evidence(log)
        final = log[-1]["out"] if log else ""
        assert evidence is not None, (
            "no moment with 2+ child lines while the cell still ran and more output was to come; "
            f"the cell changed {len(log)} times, final output:\n{final}"
        )
        children, lead = evidence
        assert lead > 0.0
    with step(page, artifacts, "4-timing-chart"):
        chart_cell = cell_at(page, case.chart_cell)
        chart_cell.scroll_into_view_if_needed()
        image = wait_image_rendered(page, chart_cell)
        assert image["width"] > 0 and image["src"].startswith("data:image/png"), image
    print(f"{case.notebook}: children seen live {children}, {lead:.2f} s before the cell "
          f"finished; chart {image['width']}x{image['height']}; {time.monotonic() - started:.1f} s")


@pytest.mark.hard_timeout(180)
def test_simulator_widget_redraws_its_chart(lab: Lab, page: Any, artifacts: Path) -> None:
    case = find_widget_case(lab.root)
    with step(page, artifacts, "5-open-widget-lecture"):
        open_notebook(page, lab, case.notebook)
    cell = cell_at(page, case.cell)
    with step(page, artifacts, "6-show-widget"):
        select_cell(page, case.cell)
        menu_command(page, "Run", "notebook:run-all-above")
        menu_command(page, "Run", "notebook:run-cell")
        slider = cell.locator(".widget-slider")
        slider.first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT_MS)
        wait_image_rendered(page, cell)
        before = image_sources(cell)
        assert before, "the widget cell shows no chart image"
    with step(page, artifacts, "7-move-slider"):
        # The tick stepper if the widget has one (its chart always changes), else the first slider.
        tick = slider.filter(has=page.locator(".widget-label", has_text=re.compile(r"^tick$")))
        target = tick.first if tick.count() else slider.first
        target.scroll_into_view_if_needed()
        handle = target.locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(
            "([i, before]) => { const imgs = document.querySelectorAll('.jp-Notebook .jp-Cell')[i]"
            ".querySelectorAll('.jp-OutputArea-output img');"
            " const now = Array.from(imgs).map((e) => e.src);"
            " return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before); }",
            arg=[case.cell, before], timeout=30_000,
        )
        after = wait_image_rendered(page, cell)
        assert after["width"] > 0
        assert image_sources(cell) != before


@pytest.mark.hard_timeout(200)
def test_released_assignment_has_validate_button(lab: Lab, page: Any, artifacts: Path) -> None:
    with step(page, artifacts, "8-open-assignment"):
        open_notebook(page, lab, ASSIGNMENT)
        button = page.locator(".jp-NotebookPanel-toolbar .validate-button")
        button.wait_for(state="visible")
        assert button.inner_text().strip() == "Validate"
    with step(page, artifacts, "9-validate"):
        button.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(state="visible", timeout=VALIDATE_TIMEOUT_MS)
        title = dialog.locator(".jp-Dialog-header").inner_text().strip()
        body = dialog.locator(".jp-Dialog-body").inner_text()
        assert title == "Validation Results", f"{title}: {body[:500]}"
        # The released stubs raise NotImplementedError, so validation must report failures.
        assert "NotImplementedError" in body or "failed" in body.lower(), body[:500]
    dialog.locator(".jp-Dialog-footer button").last.click()
    dialog.wait_for(state="detached")


# The judgement of "live" itself, on recorded snapshots (no browser needed).

def _snap(t: float, prompt: str, *lines: str) -> dict[str, Any]:
    return {"t": t, "prompt": prompt, "out": "".join(f"{line}\n" for line in lines)}


def test_live_evidence_accepts_child_lines_shown_before_the_cell_ends() -> None:
    a, b, c = "[Process-1 pid 11] a", "[Process-2 pid 12] b", "[MainProcess pid 10] done"
    log = [_snap(0.0, "[ ]:"), _snap(0.1, "[*]:"), _snap(0.4, "[*]:", a),
           _snap(0.7, "[*]:", a, b), _snap(1.0, "[*]:", a, b, c), _snap(1.1, "[7]:", a, b, c)]
    children, lead = live_evidence(log)  # type: ignore[misc]
    assert children == ["Process-1", "Process-2"]
    assert lead == pytest.approx(0.4)


def test_live_evidence_rejects_output_that_arrives_all_at_once() -> None:
    # What a buffered launcher would show: everything in one update just before the cell ends.
    lines = ("[Process-1 pid 11] a", "[Process-2 pid 12] b", "[MainProcess pid 10] done")
    log = [_snap(0.0, "[ ]:"), _snap(0.1, "[*]:"), _snap(1.0, "[*]:", *lines),
           _snap(1.1, "[7]:", *lines)]
    assert live_evidence(log) is None


def test_live_evidence_ignores_the_main_process_and_unfinished_runs() -> None:
    main = ("[MainProcess pid 10] one", "[MainProcess pid 10] two")
    log = [_snap(0.1, "[*]:"), _snap(0.5, "[*]:", *main), _snap(0.9, "[*]:", *main, "x"),
           _snap(1.0, "[3]:", *main, "x")]
    assert live_evidence(log) is None  # only the main process printed
    a, b = "[Process-1 pid 11] a", "[Process-2 pid 12] b"
    never_done = [_snap(0.1, "[*]:", a, b), _snap(0.2, "[*]:", a, b, "more")]
    assert live_evidence(never_done) is None


def test_lectures_have_what_the_browser_test_needs() -> None:
    root = Path(__file__).resolve().parents[2]
    live = find_live_case(root)
    cells = json.loads((root / live.notebook).read_text(encoding="utf-8"))["cells"]
    assert _source(cells[live.run_cell]).startswith("%%run_program")
    assert "plot_timeline" in _source(cells[live.chart_cell]) or live.chart_cell == live.run_cell
    widget = find_widget_case(root)
    cells = json.loads((root / widget.notebook).read_text(encoding="utf-8"))["cells"]
    assert WIDGET_CALL.search(_source(cells[widget.cell]))
    assert (root / "release" / Path(ASSIGNMENT).relative_to("work")).is_file()
    assignment, _, task = WRONG_SAMPLE
    assert task in wrong_answer()
    cells = json.loads((root / "release" / assignment / f"{assignment}.ipynb").read_text("utf-8"))["cells"]
    assert task_cells(cells, task)


# --- the student's side -----------------------------------------------------------------------

def wrong_answer() -> str:
    """The answer of ``WRONG_SAMPLE``'s task, from tests/submissions (its ``# %% <task>`` part)."""
    assignment, sample, task = WRONG_SAMPLE
    text = (ROOT / "tests" / "submissions" / assignment / f"{sample}.py").read_text(encoding="utf-8")
    parts = re.split(r"^# %% (\S+)\n", text, flags=re.M)
    answers = dict(zip(parts[1::2], parts[2::2]))
    return answers[task].rstrip("\n")


def task_cells(cells: list[dict[str, Any]], task: str) -> tuple[int, int]:
    """(index of the solution cell ``task``, index of its test cell: the next graded cell)."""
    ids = [c.get("metadata", {}).get("nbgrader", {}) for c in cells]
    answer = next(i for i, m in enumerate(ids) if m.get("grade_id") == task and m.get("solution"))
    test = next(i for i in range(answer + 1, len(cells)) if ids[i].get("grade"))
    return answer, test


# Every element of the subtree that is wider than what it shows (text cut at the right edge).
OVERFLOW_JS = """
(root) => Array.from(root.querySelectorAll('*')).concat([root])
  .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'
                 || e.getBoundingClientRect().right > root.getBoundingClientRect().right + 1)
  .map((e) => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '>' + e.clientWidth)
"""
# In the Validate dialog: the <pre> elements showing a failed check's message (they start with
# helpers.failures.LEAD) that do not fit.
MESSAGE_FITS_JS = """
([body, lead]) => {
  const box = body.getBoundingClientRect();
  const pres = Array.from(body.querySelectorAll('pre')).filter((e) => e.textContent.includes(lead));
  if (pres.length === 0) return ['no message in the dialog'];
  return pres.filter((e) => e.scrollWidth > e.clientWidth + 1
                            || e.getBoundingClientRect().right > box.left + body.clientWidth + 1)
    .map((e) => 'PRE ' + e.scrollWidth + '>' + e.clientWidth + ' right ' + e.getBoundingClientRect().right);
}
"""
CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if CJK.search(line)]


@pytest.mark.hard_timeout(120)
def test_student_lab_has_no_news_question_and_no_instructor_panels(
    lab: Lab, page: Any, artifacts: Path
) -> None:
    with step(page, artifacts, "10-student-lab"):
        open_notebook(page, lab, ASSIGNMENT)
        settings = lab.api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        # course-lab/settings/overrides.json changes the defaults (the schema), not user settings.
        defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}  # type: ignore[index]
        assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults
        config = page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")
        assert "@jupyter/nbgrader:create-assignment" in config["disabledExtensions"], config
        # What the student sees: no news toast, no Create Assignment panel, no Nbgrader menu,
        # Validate on the assignment, the file browser in the workspace.
        assert page.locator(".Toastify__toast, .jp-toast-message").filter(
            has_text=re.compile("news|新闻", re.I)).count() == 0
        assert page.locator('[title*="Create Assignment"], [data-id*="create-assignment"]').count() == 0
        assert page.get_by_text("Create Assignment").count() == 0
        assert page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader").count() == 0
        assert page.locator(".jp-NotebookPanel-toolbar .validate-button").is_visible()
        crumbs = page.locator(".jp-BreadCrumbs").first.inner_text()
        assert "work" in crumbs and "ch00" in crumbs, crumbs
        # Outside the workspace everything is read-only: a lecture opened here is never saved.
        lecture = sorted((lab.root / "notebooks").glob("00-*.ipynb"))[0].name
        model = lab.api(f"/api/contents/notebooks/{lecture}?content=0")
        assert model["writable"] is False  # type: ignore[index]


@pytest.mark.hard_timeout(300)
def test_student_answers_wrong_and_reads_the_whole_chinese_message(
    lab: Lab, page: Any, artifacts: Path
) -> None:
    assignment, _, task = WRONG_SAMPLE
    path = f"work/{assignment}/{assignment}.ipynb"
    cells = json.loads((lab.root / path).read_text(encoding="utf-8"))["cells"]
    answer_index, test_index = task_cells(cells, task)
    with step(page, artifacts, "11-open-assignment-from-workspace"):
        open_notebook(page, lab, path)
    with step(page, artifacts, "12-wrong-answer"):
        select_cell(page, answer_index)
        page.keyboard.press("Enter")  # edit mode
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(wrong_answer())  # typed as a paste: no auto-indent
        page.keyboard.press("Escape")
        editor = cell_at(page, answer_index).locator(".cm-content")
        assert "p.join()" in editor.inner_text()
        select_cell(page, test_index)
        menu_command(page, "Run", "notebook:run-all-above")
        menu_command(page, "Run", "notebook:run-cell")
        test_cell = cell_at(page, test_index)
        error = test_cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        error.last.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT_MS)
        page.wait_for_function(RUN_ALL_DONE_JS, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
        test_cell.scroll_into_view_if_needed()
        shown = test_cell.locator(".jp-OutputArea").inner_text()
        message = chinese_lines(error.last.inner_text())
        assert message, f"no Chinese message in the test cell:\n{shown[-1500:]}"
        first = error.last.inner_text().strip().splitlines()[0]
        assert first == LEAD, f"the message must come first, under its Chinese heading: {first!r}"
        assert "helpers/grading" not in shown and "Traceback" not in shown, shown[-1500:]
        assert "join" in " ".join(message), f"no hint about join() inside the start loop: {message}"
        cut = test_cell.locator(".jp-OutputArea").evaluate(OVERFLOW_JS)
        assert not cut, f"the message is cut off in the cell: {cut}"
    with step(page, artifacts, "13-validate-dialog"):
        page.locator(".jp-NotebookPanel-toolbar .validate-button").click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(state="visible", timeout=VALIDATE_TIMEOUT_MS)
        body = dialog.locator(".jp-Dialog-body")
        text = body.inner_text()
        # Validate runs the program again: its measured numbers differ, the words must not.
        numbers = re.compile(r"\d+(?:\.\d+)?")
        missing = [line for line in message if numbers.sub("N", line) not in numbers.sub("N", text)]
        assert not missing, f"lines of the message missing in the Validate dialog: {missing}\n{text[:3000]}"
        # nbgrader frames each failed cell with English words of its own ("Validation Results",
        # "The following cell failed:"); the course's part, the error of each failed cell,
        # opens with a Chinese heading line.
        errors = body.locator("pre").evaluate_all(
            "els => els.map(e => e.innerText).filter((t, i) => i % 2 === 1)")
        assert errors, f"no failed cell in the Validate dialog:\n{text[:3000]}"
        mine = [e for e in errors if message[1][:12] in e]
        assert mine and mine[0].strip().splitlines()[0] == LEAD, errors
        # Each <pre> that shows the message must fit: nothing scrolled away inside it, and its
        # right edge inside the dialog's visible area (the test cell's source, shown above
        # it by nbgrader, may be wider: that is the student's own code, not the message).
        cut = page.evaluate(MESSAGE_FITS_JS, [body.element_handle(), LEAD])
        assert cut == [], f"the Validate dialog cuts the message off: {cut}"
        assert "helpers/grading" not in text, text[:3000]
        # Photograph the task's part of the dialog.
        body.get_by_text(message[0][:20]).first.scroll_into_view_if_needed()
    with step(page, artifacts, "14-validate-dialog-closed"):
        dialog.locator(".jp-Dialog-footer button").last.click()
        dialog.wait_for(state="detached")


@pytest.mark.hard_timeout(150)
def test_instructor_mode_has_create_assignment_and_formgrader(
    browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    """``course.py lab --instructor``: the same course with nbgrader's instructor tools."""
    root = copy_course(tmp_path / "course")
    server = start_lab(root, secrets.token_hex(8), instructor=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page = context.new_page()
        with step(page, artifacts, "15-instructor-lab"):
            open_notebook(page, server, ASSIGNMENT)
            menu = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader")
            menu.wait_for(state="visible")
            menu.click()
            page.get_by_text("Formgrader").first.wait_for(state="visible")
            page.keyboard.press("Escape")
            config = page.evaluate(
                "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")
            assert "@jupyter/nbgrader:create-assignment" not in config.get("disabledExtensions", [])
            panel = page.locator('.lm-TabBar-tab[title*="Create Assignment"], .lm-TabBar-tab[data-id*="create"]')
            assert panel.count() >= 1, "no Create Assignment panel in instructor mode"
            model = server.api("/api/contents/release?content=0")
            assert model["writable"] is True  # type: ignore[index]
    finally:
        context.close()
        stop_lab(server)
        left = ours(root, server.marker)
        assert not left, f"processes of the instructor lab survived: {left}"


# --- a course update (a new commit upstream, git pull) keeps the student's answers -------------

EDITED_ANSWER = "# 我自己写的答案：更新课程以后它必须还在\nmy_answer = 42"


def _answer_index(root: Path, path: str) -> int:
    cells = json.loads((root / path).read_text(encoding="utf-8"))["cells"]
    return next(i for i, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _saved_answer(root: Path, path: str) -> str:
    """The first answer cell's source as saved on disk ("" while the server is writing the file)."""
    try:
        cells = json.loads((root / path).read_text(encoding="utf-8"))["cells"]
    except json.JSONDecodeError:
        return ""
    return _source(next(c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.hard_timeout(300)
def test_git_pull_of_a_course_update_keeps_the_answer_edited_in_the_lab(
    page: Any, artifacts: Path, tmp_path: Path
) -> None:
    """The student clones the course, runs ``course.py lab`` (its workspace preparation and its
    server), edits and saves an answer in JupyterLab, closes the lab; the teacher pushes a
    course update; the student runs ``git pull`` and ``course.py lab`` again and finds the
    answer as it was, the new chapter in ``work/`` and the fixed lecture."""
    course = course_module()
    student, instructor = course_clones(ROOT, tmp_path)
    # The test server keeps its runtime, settings and log in <root>/.lab (not part of the course).
    with (student / ".git" / "info" / "exclude").open("a", encoding="utf-8") as exclude:
        exclude.write("/.lab/\n")
    path = ASSIGNMENT
    course.prepare_workspace(student)
    answer_index = _answer_index(student, path)

    server = start_lab(student, secrets.token_hex(8))
    try:
        with step(page, artifacts, "16-student-edits-and-saves-an-answer"):
            open_notebook(page, server, path)
            select_cell(page, answer_index)
            page.keyboard.press("Enter")
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(EDITED_ANSWER)
            page.keyboard.press("Escape")
            menu_command(page, "File", "docmanager:save")
            deadline = time.monotonic() + 20
            while _saved_answer(student, path) != EDITED_ANSWER:
                assert time.monotonic() < deadline, f"not saved: {_saved_answer(student, path)!r}"
                page.wait_for_timeout(200)
            cell_at(page, answer_index).scroll_into_view_if_needed()
    finally:
        stop_lab(server)
    assert not ours(student, server.marker)
    assert git(student, "status", "--porcelain") == "", "the workspace must be ignored by git"

    push_course_update(instructor)
    git(student, "pull", "--quiet", "--ff-only")
    copied = course.prepare_workspace(student)  # what `course.py lab` does before it starts
    assert copied == [student / "work" / "ch99" / "ch99.ipynb"], copied
    assert _saved_answer(student, path) == EDITED_ANSWER
    assert RELEASE_FIX not in (student / path).read_text(encoding="utf-8")  # never overwritten

    server = start_lab(student, secrets.token_hex(8))
    try:
        with step(page, artifacts, "17-after-git-pull-the-answer-is-still-there"):
            open_notebook(page, server, path)
            editor = cell_at(page, answer_index).locator(".cm-content")
            editor.scroll_into_view_if_needed()
            shown = editor.inner_text()
            assert "我自己写的答案" in shown and "my_answer = 42" in shown, shown
            listing = server.api("/api/contents/work")
            names = {item["name"] for item in listing["content"]}  # type: ignore[index]
            assert {"ch00", "ch99"} <= names, names
        with step(page, artifacts, "18-after-git-pull-the-lecture-has-the-fix"):
            lecture = sorted((student / "notebooks").glob("00-*.ipynb"))[0].name
            open_notebook(page, server, f"notebooks/{lecture}")
            fix = page.locator(".jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown").get_by_text(LECTURE_FIX)
            fix.scroll_into_view_if_needed()
            assert fix.is_visible()
    finally:
        stop_lab(server)
        left = ours(student, server.marker)
        assert not left, f"processes of the student's lab survived: {left}"
