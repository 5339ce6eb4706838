"""Feedback for students that does not reveal hidden tests.

nbgrader's own ``generate_feedback`` shows the autograded notebook, hidden
tests included. Here each test cell shows its *released* text (hidden blocks
removed) and, when the failing line was inside a hidden block, only
"a hidden test failed" instead of the message (which may quote hidden inputs).
The student's outputs are the capped ones kept at grading time; what the
student's functions printed while the tests called them is never shown.
"""

from __future__ import annotations

import copy
import os

from .course import load_coursedir
from .notebook import strip_hidden


def sanitize(nb):
    """A copy of an autograded notebook fit to show to its student."""
    from nbgrader import utils

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.metadata.pop("autograder", {})
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.source = strip_hidden(cell.source)
            score, max_score = utils.determine_grade(cell)
            if meta.get("failed_in_hidden_test"):
                cell.outputs = [o for o in cell.outputs if o.output_type != "error"] + [{
                    "output_type": "error", "ename": "AssertionError",
                    "evalue": "a hidden test failed", "traceback": ["AssertionError: a hidden test failed"]}]
                from nbformat import from_dict

                cell.outputs = [from_dict(o) for o in cell.outputs]
            cell.source = f"# score: {score:g} / {max_score:g}\n" + cell.source
    nb.metadata.pop("autograder", None)
    return nb


def generate(course: str, assignment: str) -> list[str]:
    import nbformat
    from nbconvert import HTMLExporter

    coursedir = load_coursedir(course)
    root = os.path.join(coursedir.root, coursedir.autograded_directory)
    exporter = HTMLExporter()
    written = []
    for student in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        folder = os.path.join(root, student, assignment)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".ipynb"):
                continue
            nb = sanitize(nbformat.read(os.path.join(folder, name), as_version=4))
            html, _ = exporter.from_notebook_node(nb)
            out = os.path.join(coursedir.root, coursedir.feedback_directory, student, assignment)
            os.makedirs(out, exist_ok=True)
            path = os.path.join(out, name[:-6] + ".html")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(html)
            written.append(path)
    return written
