"""nbgrader preprocessors the course configures in nbgrader_config.py (plain ``nbgrader`` commands).

``QuietOverwriteCells`` replaces nbgrader's ``OverwriteCells`` in ``nbgrader autograde``: the
same checks, but no "Attribute 'checksum' for cell ... has changed!" warning when the submitted
test cell is exactly the released one (nbgrader#1961: the gradebook keeps the checksum of the
cell *with* its hidden tests, the released notebook the one without them, so every test cell
with hidden tests warned for every student). A test cell that really was edited still warns.

``HideHiddenTests`` is added to ``nbgrader generate_feedback``: the hidden test region of every
test cell becomes a one-line note, and an error's traceback (which quotes the failing hidden
line) is cut to its last line, the check's message.
"""
from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells

from helpers.grading.feedback import HIDDEN, HIDDEN_NOTE

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def released_form(source: str) -> str:
    """A test cell's source as the students got it (hidden test regions removed)."""
    lines = [line for line in HIDDEN.sub("", source).splitlines()]
    return "\n".join(lines).strip()


class QuietOverwriteCells(OverwriteCells):
    """OverwriteCells without the false checksum warning of nbgrader#1961."""

    def preprocess_cell(self, cell, resources, cell_index):
        self._submitted_source = cell.get("source", "")
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name, attr, old, new):
        if attr == "checksum":
            try:
                source_cell = self.gradebook.find_source_cell(name, self.notebook_id, self.assignment_id)
            except Exception:
                source_cell = None
            if source_cell is not None and released_form(source_cell.source) == self._submitted_source.strip():
                self.log.debug("cell %s is the released version (hidden tests restored)", name)
                return
        super().report_change(name, attr, old, new)


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden test source: regions replaced by a note, tracebacks cut."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            cell.source = HIDDEN.sub(HIDDEN_NOTE, cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = f"{output.get('ename', '')}: {output.get('evalue', '')}".rstrip(": ")
                    output["traceback"] = [message]
        return cell, resources
