"""Write an nbgrader source notebook from a short Python description.

The notebooks in ``exercises/source/`` are the source of truth that nbgrader
reads; instructors may edit them in Jupyter with the "Create Assignment"
toolbar. The ``psNN_*.py`` scripts next to this file are how they were first
written (cell text in plain Python strings, easy to review in a diff);
re-running one (``python exercises/authoring/ps01_bernoulli.py``) rewrites its
notebook, so edit one place or the other, not both.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SOURCE = Path(__file__).resolve().parent.parent / "source"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def md(text: str):
    """Instructions (plain markdown, editable)."""
    return new_markdown_cell(_src(text))


def code(text: str):
    """A plain code cell ("try it" cells, imports)."""
    return new_code_cell(_src(text))


def readonly(grade_id: str, text: str, *, markdown: bool = True):
    """A read-only cell (nbgrader puts its source back when autograding)."""
    cell = (new_markdown_cell if markdown else new_code_cell)(_src(text))
    cell.metadata.update(_meta(grade_id, grade=False, solution=False, locked=True))
    return cell


def solution(grade_id: str, text: str):
    """An autograded answer cell: the code between BEGIN/END SOLUTION is replaced by a stub."""
    cell = new_code_cell(_src(text))
    cell.metadata.update(_meta(grade_id, grade=False, solution=True, locked=False))
    return cell


def tests(grade_id: str, points: float, text: str):
    """An autograder test cell worth ``points``; hidden tests between BEGIN/END HIDDEN TESTS."""
    cell = new_code_cell(_src(text))
    cell.metadata.update(_meta(grade_id, grade=True, solution=False, locked=True, points=points))
    return cell


def written(grade_id: str, points: float, model_answer: str):
    """A manually graded answer (markdown); the model answer is replaced by "YOUR ANSWER HERE"."""
    cell = new_markdown_cell(_src(model_answer))
    cell.metadata.update(_meta(grade_id, grade=True, solution=True, locked=False, points=points))
    return cell


def write(assignment: str, cells: list) -> Path:
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    for i, cell in enumerate(nb.cells):  # stable ids keep diffs small
        cell["id"] = f"{assignment}-{i:02d}"
    path = SOURCE / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path
