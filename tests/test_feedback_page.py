"""The feedback page of ``course.py autograde`` is nbconvert's classic page, made faster.

``helpers.grading.feedback.FeedbackExporter`` remembers per-cell filter results and skips the
BeautifulSoup pass when it cannot change anything; the page must stay what ``HTMLExporter``
makes (compared after the same parse, since that pass re-serialises the HTML), including on the
second page that reuses remembered cells, and for a page with an image.
"""
from __future__ import annotations

import copy

import nbformat
import pytest
from bs4 import BeautifulSoup

from course_tools import SOURCE
from helpers.grading import feedback

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def plain_page(nb) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name=feedback.TEMPLATE).from_notebook_node(copy.deepcopy(nb))
    return body


def fast_page(exporter, nb) -> str:
    body, _ = exporter.from_notebook_node(copy.deepcopy(nb))
    return body


def normalised(html: str) -> str:
    return str(BeautifulSoup(html, features="html.parser"))


def notebook(with_image: bool = False):
    nb = nbformat.read(SOURCE / "ch04" / "ch04.ipynb", as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="worker 0 start <b>&amp;</b>\n"),
                    nbformat.v4.new_output("error", ename="AssertionError", evalue="检查没有通过",
                                           traceback=["\x1b[31mAssertionError\x1b[0m: 检查没有通过"])]
    if with_image:
        png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        code.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": png}))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 评分反馈\n\n| a | b |\n| --- | --- |\n| 1 | <script>x</script> |"))
    return nb


def test_the_page_is_htmlexporters_page_first_and_second_time() -> None:
    exporter = feedback._make_exporter()
    nb = notebook()
    expected = normalised(plain_page(nb))
    first = fast_page(exporter, nb)
    assert normalised(first) == expected
    # a second student's page: the shared cells come from memory, their own cell is new
    other = copy.deepcopy(nb)
    answer = next(c for c in other.cells if (c.metadata.get("nbgrader") or {}).get("solution"))
    answer.source = "%%program ch04_task1.py\nprint('<script>other student</script>')\n"
    assert normalised(fast_page(exporter, other)) == normalised(plain_page(other))
    assert normalised(fast_page(exporter, nb)) == expected
    page = fast_page(exporter, other)
    assert "&lt;script&gt;other student" in page and "<script>other" not in page  # student code, escaped


def test_a_page_with_an_image_still_gets_alt_text() -> None:
    exporter = feedback._make_exporter()
    nb = notebook(with_image=True)
    page = fast_page(exporter, nb)
    assert 'alt="No description has been provided for this image"' in page
    assert normalised(page) == normalised(plain_page(nb))


def test_remembered_filters_keep_at_most_the_limit(monkeypatch) -> None:
    calls = []

    def double(x):
        calls.append(x)
        return x * 2

    monkeypatch.setattr(feedback, "MEMO_LIMIT", 2)
    fn = feedback._remembered(double, feedback._key_plain)
    assert [fn("a"), fn("a"), fn("b"), fn("c"), fn("c")] == ["aa", "aa", "bb", "cc", "cc"]
    assert calls == ["a", "b", "c", "c"]   # "c" arrived after the limit: computed each time


def test_a_very_long_cell_is_not_remembered(monkeypatch) -> None:
    calls = []

    def same(x):
        calls.append(x)
        return x

    monkeypatch.setattr(feedback, "MEMO_MAX_CHARS", 3)
    fn = feedback._remembered(same, feedback._key_plain)
    assert [fn("abcd"), fn("abcd"), fn("abc"), fn("abc")] == ["abcd", "abcd", "abc", "abc"]
    assert calls == ["abcd", "abcd", "abc"]   # a huge student cell is not kept in memory
