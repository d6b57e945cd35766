"""One vocabulary across the course: every lecture's 术语表 takes its rows from docs/glossary.md,
and the variants the glossary rules out appear in no lecture or assignment prose.

Generic over files: a new lecture notebooks/NN-*.ipynb or assignment source/chNN/*.ipynb is checked
as soon as it exists. Half-width "中文 (English)" is also looked for in their code cells (messages,
comments) and in the string literals of helpers/, whose messages end up in notebook outputs.
"""
from __future__ import annotations

import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
ASSIGNMENTS = sorted((ROOT / "source").glob("ch[0-9][0-9]/*.ipynb"))
PROSE_NOTEBOOKS = LECTURES + ASSIGNMENTS

# Variants ruled out by the glossary ("不再使用的说法"): variant -> the term to use instead.
BANNED = {
    "时序图": "时间线图（timing chart）",
    "时间图": "时间线图（timing chart）",
    "横道": "泳道（lane）",
    "收尸": "回收（reap）",
    "收割者": "收养者（subreaper）",
    "时间上的复用": "时间复用（time multiplexing）",
    "空间上的复用": "空间复用（space multiplexing）",
    "内核（Jupyter）": "Jupyter 内核（Jupyter kernel）",
    "进程标识符": "进程号（process ID, PID）",
}
# The same, as patterns: a bare 内核 that means the notebook's kernel (glossary rule 3).
BANNED_PATTERNS = {
    re.compile(r"(?<!Jupyter )(?<!操作系统)内核本身"): "Jupyter 内核本身（or 操作系统内核本身）",
}
# A Chinese character (optionally closing bold or a closing quote) followed by a half-width "(" that
# opens an English term: the glossary writes English terms in full-width （）.
HALF_WIDTH_PAREN = re.compile(r"[\u4e00-\u9fff](?:\*\*|”|」)? ?\((?=[A-Za-z])")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


@dataclass(frozen=True)
class Term:
    chinese: str
    english: str
    chapter: str  # "3", or "7–9" for the reserved rows

    def __str__(self) -> str:
        return f"{self.chinese} | {self.english}"


def _norm(text: str) -> str:
    return " ".join(text.replace("\\|", "|").split())


def _table_rows(lines: list[str]) -> list[list[str]]:
    """The body rows of the first markdown table in ``lines`` (header and separator dropped)."""
    rows: list[list[str]] = []
    started = False
    for line in lines:
        if line.lstrip().startswith("|"):
            cells = [_norm(c) for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            started = True
            rows.append(cells)
        elif started:
            break
    return [r for r in rows[2:] if any(r)] if len(rows) >= 2 else []


def glossary_terms() -> list[Term]:
    """Every row of every ``| 中文术语 | English | ...`` table in docs/glossary.md."""
    lines = GLOSSARY.read_text(encoding="utf-8").splitlines()
    terms = []
    for i, line in enumerate(lines):
        if re.match(r"\|\s*中文术语\s*\|\s*English\s*\|", line):
            terms += [Term(r[0], r[1], r[3] if len(r) > 3 else "") for r in _table_rows(lines[i:])]
    return terms


@dataclass(frozen=True)
class ChapterRow:
    notebook: Path
    cell: int
    chinese: str
    english: str

    def where(self) -> str:
        return f"{self.notebook.relative_to(ROOT)} cell {self.cell}"


def chapter_glossary(notebook: Path) -> list[ChapterRow]:
    """The rows of the table under the notebook's ``## 术语表`` heading."""
    nb = nbformat.read(notebook, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if re.match(r"#+\s*术语表", line):
                body = []
                for rest in lines[i + 1:]:
                    if rest.startswith("#"):
                        break
                    body.append(rest)
                return [ChapterRow(notebook, index, r[0], r[1]) for r in _table_rows(body) if len(r) >= 2]
    return []


def _chapter_number(notebook: Path) -> str:
    return str(int(notebook.name[:2]))


def _prose_cells(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            yield index, CODE.sub("", cell.source)


def _banned_in(text: str) -> list[tuple[str, str]]:
    """(variant found, the term to use instead) for every banned variant in ``text``."""
    found = [(variant, use) for variant, use in BANNED.items() if variant in text]
    return found + [(m.group(0), use) for pattern, use in BANNED_PATTERNS.items()
                    for m in pattern.finditer(text)]


def _half_width(text: str) -> list[str]:
    """Snippets around every half-width "(" that opens an English term after Chinese text."""
    prose = CODE.sub("", text)
    return [prose[max(0, m.start() - 8):m.end() + 16].replace("\n", " ")
            for m in HALF_WIDTH_PAREN.finditer(prose)]


def _string_literals(path: Path):
    """(line, text) of every string literal (and f-string part) in a Python file."""
    kinds = {tokenize.STRING}
    if sys.version_info >= (3, 12):
        kinds.add(tokenize.FSTRING_MIDDLE)
    with path.open(encoding="utf-8") as f:
        for token in tokenize.generate_tokens(f.readline):
            if token.type in kinds:
                yield token.start[0], token.string


HELPERS = sorted(p for p in (ROOT / "helpers").rglob("*.py") if "__pycache__" not in p.parts)


def test_glossary_has_terms_and_one_name_per_concept() -> None:
    terms = glossary_terms()
    assert len(terms) > 50, f"docs/glossary.md: expected the course's term tables, found {len(terms)} rows"
    by_chinese: dict[str, set[str]] = {}
    by_english: dict[str, set[str]] = {}
    for term in terms:
        assert term.chinese and term.english, f"docs/glossary.md: row {term} has an empty term"
        by_chinese.setdefault(term.chinese, set()).add(term.english)
        by_english.setdefault(term.english, set()).add(term.chinese)
    problems = [f"中文 {c!r} has several English terms: {sorted(e)}" for c, e in by_chinese.items() if len(e) > 1]
    problems += [f"English {e!r} has several Chinese terms: {sorted(c)}" for e, c in by_english.items() if len(c) > 1]
    assert not problems, "docs/glossary.md: one term per concept:\n" + "\n".join(problems)


def test_glossary_terms_use_no_banned_variant() -> None:
    for term in glossary_terms():
        for variant, use in _banned_in(term.chinese):
            raise AssertionError(f"docs/glossary.md: row {term} uses {variant!r}; use {use}")


def test_every_lecture_has_a_glossary_section() -> None:
    missing = [str(nb.relative_to(ROOT)) for nb in LECTURES if not chapter_glossary(nb)]
    assert not missing, f"these lectures have no '## 术语表' table (at the end, rows from docs/glossary.md): {missing}"


@pytest.mark.parametrize("notebook", LECTURES, ids=lambda p: p.name)
def test_chapter_glossary_rows_come_from_the_course_glossary(notebook: Path) -> None:
    terms = glossary_terms()
    pairs = {(t.chinese, t.english) for t in terms}
    problems = []
    for row in chapter_glossary(notebook):
        if (row.chinese, row.english) in pairs:
            continue
        same_english = [str(t) for t in terms if t.english == row.english]
        same_chinese = [str(t) for t in terms if t.chinese == row.chinese]
        hint = (f"the glossary has {same_english + same_chinese}" if same_english or same_chinese
                else "add it to this chapter's section of docs/glossary.md")
        problems.append(f"{row.where()}: 术语表 row '{row.chinese} | {row.english}' is not in docs/glossary.md; {hint}")
    assert not problems, "\n".join(problems)


def test_glossary_chapter_is_the_first_lecture_listing_the_term() -> None:
    first: dict[tuple[str, str], str] = {}
    for notebook in LECTURES:
        for row in chapter_glossary(notebook):
            first.setdefault((row.chinese, row.english), _chapter_number(notebook))
    problems = []
    for term in glossary_terms():
        if not term.chapter.isdigit():
            continue  # reserved rows for chapters still being written
        listed = first.get((term.chinese, term.english))
        if listed is None:
            problems.append(f"{term} (章 {term.chapter}) is in no lecture's 术语表")
        elif listed != term.chapter:
            problems.append(f"{term} says 章 {term.chapter}, but chapter {listed}'s 术语表 is the first to list it")
    assert not problems, "docs/glossary.md:\n" + "\n".join(problems)


@pytest.mark.parametrize("notebook", PROSE_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_uses_no_banned_variant(notebook: Path) -> None:
    problems = []
    for index, text in _prose_cells(notebook):
        for variant, use in _banned_in(text):
            problems.append(f"{notebook.relative_to(ROOT)} cell {index}: {variant!r} -> use {use}")
        for snippet in _half_width(text):
            problems.append(f"{notebook.relative_to(ROOT)} cell {index}: half-width '(' after Chinese in "
                            f"{snippet!r} -> write the English term in full-width （）")
    assert not problems, "see docs/glossary.md (写法约定):\n" + "\n".join(problems)


@pytest.mark.parametrize("notebook", PROSE_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_cells_write_english_terms_in_full_width_parentheses(notebook: Path) -> None:
    # Chinese only stands in a code cell's strings and comments: test messages, printed lines.
    nb = nbformat.read(notebook, as_version=4)
    problems = [f"{notebook.relative_to(ROOT)} cell {index}: half-width '(' after Chinese in {snippet!r}"
                for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
                for snippet in _half_width(cell.source)]
    assert not problems, ("write the English term in full-width （） (docs/glossary.md, 写法约定 2); "
                          "code stays in backticks, e.g. 元组 `(pid, ppid)`:\n" + "\n".join(problems))


def test_helpers_messages_write_english_terms_in_full_width_parentheses() -> None:
    # What helpers print (hints, errors, widget texts) lands in the lectures' outputs.
    problems = [f"{path.relative_to(ROOT)}:{line}: {snippet!r}" for path in HELPERS
                for line, text in _string_literals(path) for snippet in _half_width(text)]
    assert not problems, ("half-width '(' after Chinese in helpers/ strings: write the English term "
                          "in full-width （） (docs/glossary.md, 写法约定 2):\n" + "\n".join(problems))


def test_banned_variant_check_finds_a_variant() -> None:
    # The checks above must be able to fail: run their patterns on a known-bad sentence.
    text = CODE.sub("", "画出**时序图** (timing chart)，`f (x)` 不算")
    assert [v for v, _ in _banned_in(text)] == ["时序图"]
    assert len(HALF_WIDTH_PAREN.findall(text)) == 1
    assert [v for v, _ in _banned_in("在笔记本里就是内核本身；Jupyter 内核本身；操作系统内核本身")] == ["内核本身"]
    assert len(_half_width('assert ok, "应该是元组 `(pid, ppid)`，调度 (dispatch) 后"  # 注释 (comment)')) == 2


def test_string_literal_check_finds_a_half_width_message(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('# 注释 (comment) is not a string\nMSG = f"超时 (timeout)：{1}"\n', encoding="utf-8")
    found = [(line, snippet) for line, text in _string_literals(module) for snippet in _half_width(text)]
    assert len(found) == 1 and found[0][0] == 2 and "超时 (timeout)" in found[0][1]
