"""Grading program tasks in nbgrader test cells (``checks``)."""
