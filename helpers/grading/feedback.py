"""The feedback page of a graded notebook: nbconvert's classic HTML, without hidden test source.

``course.py autograde`` writes one page per submitted notebook, in the grading command's own
process (a class of 200 makes 200 pages per assignment, one after the other under a lock). A
plain ``HTMLExporter`` spends ~0.5 s of CPU per page on this course's notebooks: most of it
sanitising and highlighting cells that are the same on every page (the lecture text and the
locked cells from ``source/``), and a BeautifulSoup pass that only adds ``alt`` text to images
and ``tabindex`` to JupyterLab-template cells. ``FeedbackExporter`` gives the same page:

* the per-cell filters whose result depends only on their input (``clean_html``, code
  highlighting, markdown without attachments) remember their results for the command's
  lifetime, so a cell shared by every submission is rendered once;
* the BeautifulSoup pass runs only when it can change something: with the classic template,
  an ``<img>`` without alt text (its ``tabindex`` selectors match only the lab template).

``tests/test_feedback_page.py`` checks the page equals ``HTMLExporter``'s (after the same parse)
and ``benchmarks/bench_grading.py`` measures what it saves.
"""
from __future__ import annotations

import copy
import json
import re
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .autograde import NotebookPlan, TaskGrade

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
HIDDEN_NOTE = "# （这里还有隐藏测试（hidden tests）：评分时运行，内容不显示）\n"
TEMPLATE = "classic"
MEMO_LIMIT = 20_000          # remembered filter results per filter (a class's pages share most cells)
MEMO_MAX_CHARS = 100_000     # longer inputs are not remembered (only one student's cell is that long)


def feedback_notebook(nb: dict, grades: list[TaskGrade], plan: NotebookPlan, assignment: str,
                      student: str) -> dict:
    """The graded notebook as its student sees it: a score table on top, hidden tests replaced by a note."""
    import nbformat

    fb = copy.deepcopy(nb)
    for cell in fb.cells:
        if cell.cell_type == "code" and (cell.get("metadata", {}).get("nbgrader") or {}).get("grade"):
            cell.source = HIDDEN.sub(HIDDEN_NOTE, cell.source)
    total = sum(g.score for g in grades)
    rows = ["| 任务（task）| 得分（points）| 说明 |", "| --- | --- | --- |"]
    for g in grades:
        note = "；".join(m.split("。")[0] for m in g.messages) or ("通过" if g.score == g.task.points else "测试没有通过，见下面该任务的测试单元格")
        rows.append(f"| {g.task.index} | {g.score:g} / {g.task.points:g} | {note} |")
    head = (f"# 评分反馈（feedback）：{assignment} · {student}\n\n**总分 {total:g} / {plan.max_score:g}**\n\n"
            + "\n".join(rows) + "\n\n隐藏测试（hidden tests）的代码不显示；没有通过的检查会写出原因。")
    fb.cells.insert(0, nbformat.v4.new_markdown_cell(head))
    return fb


def _remembered(fn, key_of):
    """``fn`` with its results kept per key (None: not remembered), at most MEMO_LIMIT of them."""
    memo: dict[Any, Any] = {}

    def call(*args, **kwargs):
        key = key_of(*args, **kwargs)
        if key is None:
            return fn(*args, **kwargs)
        try:
            return memo[key]
        except KeyError:
            value = fn(*args, **kwargs)
            if len(memo) < MEMO_LIMIT:
                memo[key] = value
            return value

    if hasattr(fn, "jinja_pass_arg"):  # jinja2's pass_context marker (markdown2html reads the cell)
        call.jinja_pass_arg = fn.jinja_pass_arg
    return call


def _key_plain(source, *args, **kwargs):
    if len(str(source)) > MEMO_MAX_CHARS:
        return None
    return (source if isinstance(source, str) else repr(source), args, json.dumps(kwargs, sort_keys=True, default=repr))


def _key_markdown(context, source):
    """markdown2html reads the cell's attachments and the notebook's path from the context."""
    cell = context.get("cell", {}) or {}
    if cell.get("attachments") or len(source) > MEMO_MAX_CHARS:
        return None
    path = ((context.get("resources", {}) or {}).get("metadata", {}) or {}).get("path", "")
    return (source, path)


_lock = threading.Lock()
_exporter = None


def _make_exporter():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML

    class FeedbackExporter(HTMLExporter):
        """HTMLExporter whose per-cell filters remember their results (see the module docstring)."""

        def default_filters(self):
            for name, fn in super().default_filters():
                if name == "clean_html":
                    fn = _remembered(fn, _key_plain)
                elif name == "markdown2html":
                    fn = _remembered(fn, _key_markdown)
                yield name, fn

        _lexer: object = ()  # the lexer of the registered highlight_code filter (() = none yet)

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            if lexer != self._lexer:
                self._lexer = lexer
                highlight = Highlight2HTML(pygments_lexer=lexer, parent=self)
                self.register_filter("highlight_code", _remembered(highlight, _key_plain))
            # HTMLExporter.from_notebook_node, with its BeautifulSoup pass only for an <img>
            resources = self._init_resources(resources)
            from nbconvert.exporters.html import WidgetsDataTypeFilter

            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            if "<img" in html:
                from bs4 import BeautifulSoup

                soup = BeautifulSoup(html, features="html.parser")
                for elem in soup.select("img:not([alt])"):
                    elem.attrs["alt"] = "No description has been provided for this image"
                html = str(soup)
            return html, resources

    return FeedbackExporter(template_name=TEMPLATE)


def feedback_html(nb: dict, grades: list[TaskGrade], plan: NotebookPlan, assignment: str, student: str) -> str:
    """The feedback page (HTML) of one graded notebook."""
    global _exporter

    fb = feedback_notebook(nb, grades, plan, assignment, student)
    with _lock:
        if _exporter is None:
            _exporter = _make_exporter()
        body, _ = _exporter.from_notebook_node(fb)
    return body
