"""docs/architecture.md names every module of helpers/, once, and names no module that is gone."""
from __future__ import annotations

import fnmatch
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def modules() -> set[str]:
    """Every helpers/**/*.py; a subpackage's __init__.py is only a docstring (the doc says so)."""
    found = {p.relative_to(ROOT).as_posix() for p in (ROOT / "helpers").rglob("*.py")
             if "__pycache__" not in p.parts}
    return {m for m in found if m == "helpers/__init__.py" or not m.endswith("/__init__.py")}


def tree_entries() -> list[str]:
    """The paths the ``helpers/`` tree at the top names (``process_run*.py`` stays a pattern)."""
    block = re.search(r"^```\nhelpers/\n(.*?)^```", DOC, re.S | re.M)
    assert block, "docs/architecture.md starts with a helpers/ tree in a ``` block"
    folders: list[str] = []  # the open folder at each depth
    entries = []
    for line in block.group(1).splitlines():
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0 and indent >= 2, f"tree line not indented by 2s: {line!r}"
        name = line.split()[0]
        depth = indent // 2 - 1
        del folders[depth:]
        path = "/".join(["helpers", *folders, name.rstrip("/")])
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
        else:
            entries.append(path)
    return entries


def table_modules() -> list[str]:
    """The modules named in the first column of "Modules and what they promise".

    ``helpers/sim/process_run.py`, `_chart.py`, `_widget.py`` names three files.
    """
    section = DOC.split("## Modules and what they promise", 1)[1].split("\n## ", 1)[0]
    named = []
    for row in section.splitlines():
        if not row.startswith("| `helpers/"):
            continue
        first = row.split(" | ", 1)[0].lstrip("| ")
        paths = re.findall(r"`([^`]+\.py)`", first)
        base = paths[0]
        named.append(base)
        named.extend(base[:-3] + suffix for suffix in paths[1:])
    return named


def test_the_tree_names_every_module_and_only_modules_that_exist() -> None:
    entries = tree_entries()
    files = modules()
    unknown = [e for e in entries if not fnmatch.filter(files, e)]
    assert not unknown, f"docs/architecture.md's tree names modules that do not exist: {unknown}"
    missing = sorted(f for f in files if not any(fnmatch.fnmatch(f, e) for e in entries))
    assert not missing, f"add these to the helpers/ tree in docs/architecture.md: {missing}"
    twice = [e for e, n in Counter(entries).items() if n > 1]
    assert not twice, f"named twice in the tree: {twice}"


def test_the_module_table_has_one_row_per_module() -> None:
    named = table_modules()
    files = modules()
    assert not set(named) - files, f"rows for modules that do not exist: {sorted(set(named) - files)}"
    assert not files - set(named), f"add a row to the module table for: {sorted(files - set(named))}"
    twice = [m for m, n in Counter(named).items() if n > 1]
    assert not twice, f"more than one row for: {twice}"


def test_every_helpers_path_the_doc_mentions_exists() -> None:
    mentioned = set(re.findall(r"\bhelpers/[\w/]+\.py\b", DOC))
    gone = sorted(m for m in mentioned if not (ROOT / m).is_file())
    assert not gone, f"docs/architecture.md names files that do not exist: {gone}"
