"""The hardened grader as a drop-in for ``nbgrader autograde``, on a course that does not use mlekit.

A small course of this project's own design (not nbgrader's fixtures): one assignment,
two notebooks, whose cells exercise nbgrader's behaviours one at a time. The same
submissions are graded by ``nbgrader autograde`` (0.9.6, in one kernel) and by
``python -m autograder grade`` (run from an environment where mlekit is not
installed), and the per-cell grades are compared cell by cell:

- a test cell that binds and deletes the student's names (``del squares``, then
  ``sum_of_squares`` must raise NameError): one namespace, as in one kernel;
- ``NBGRADER_EXECUTION`` is ``autograde`` in the student's code;
- a data file shipped next to the notebook (``data.txt``) is there, read-only;
- a file the notebook writes lands in ``autograded/``, and so does ``timestamp.txt``;
- a notebook missing from a submission is graded 0, the others as usual; an empty
  submission folder is skipped; ``CourseDirectory.student_id_exclude`` is honoured;
- an edited read-only cell is restored (and reported by the hardened grader);
- a course without mlekit is graded, with no policy and no mlekit in the sandbox.

Where the hardened grader rightly differs it is documented in autograder/README.md
(files the student submits next to the notebook never reach the sandbox, deleted
test cells are restored instead of scoring nothing).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .conftest import make_python, require_root, venv_env

ASSIGNMENT = "squares"


def _cell(source, grade_id, *, grade=False, solution=False, locked=False, points=None, markdown=False):
    cell = new_markdown_cell(source) if markdown else new_code_cell(source)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


PROBLEM1 = [
    new_markdown_cell("# Squares\nWrite `squares(n)`: the squares of 1..n."),
    _cell("DATA_NAME = 'data.txt'", "given", locked=True),
    _cell("def squares(n):\n    ### BEGIN SOLUTION\n    if n < 1:\n        raise ValueError('n >= 1')\n"
          "    return [i ** 2 for i in range(1, n + 1)]\n    ### END SOLUTION", "squares", solution=True),
    _cell("assert squares(3) == [1, 4, 9]\n### BEGIN HIDDEN TESTS\nassert squares(1) == [1]\n"
          "### END HIDDEN TESTS", "test_squares", grade=True, locked=True, points=1),
    _cell("def sum_of_squares(n):\n    ### BEGIN SOLUTION\n    return sum(squares(n))\n    ### END SOLUTION",
          "sum_of_squares", solution=True),
    _cell("assert sum_of_squares(3) == 14\n_original = squares\ndel squares\ntry:\n    sum_of_squares(2)\n"
          "except NameError:\n    pass\nelse:\n    raise AssertionError('sum_of_squares does not call squares')\n"
          "finally:\n    squares = _original\nassert squares(2) == [1, 4]",
          "test_uses_squares", grade=True, locked=True, points=2),
    _cell("def total():\n    ### BEGIN SOLUTION\n    with open(DATA_NAME) as fh:\n"
          "        return sum(int(line) for line in fh)\n    ### END SOLUTION", "total", solution=True),
    _cell("assert total() == 6", "test_total", grade=True, locked=True, points=1),
    _cell("import os\n### BEGIN SOLUTION\nif os.environ.get('NBGRADER_EXECUTION') == 'autograde':\n"
          "    result = 42  # skip the slow part while grading\nelse:\n    result = None\n"
          "with open('side-effect.txt', 'w') as fh:\n    fh.write('written while grading')\n### END SOLUTION",
          "slow", solution=True),
    _cell("assert result == 42", "test_slow", grade=True, locked=True, points=1),
]
PROBLEM2 = [
    _cell("def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION", "cube", solution=True),
    _cell("assert cube(2) == 8", "test_cube", grade=True, locked=True, points=2),
]


def _write_course(root: Path) -> None:
    src = root / "source" / ASSIGNMENT
    src.mkdir(parents=True)
    for name, cells in (("problem1", PROBLEM1), ("problem2", PROBLEM2)):
        nb = new_notebook(cells=[nbformat.from_dict(c) for c in cells])
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nbformat.write(nb, src / f"{name}.ipynb")
    (src / "data.txt").write_text("1\n2\n3\n")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.course_id = 'parity'\n"
        "c.CourseDirectory.student_id_exclude = 'excluded'\n"
        f"c.Exchange.root = {str(root / 'no-exchange')!r}\n")


def _submissions(root: Path) -> dict:
    """student -> {notebook: nb or None (missing)}; built from the source (solutions) and release (blank)."""
    def load(kind, name):
        return nbformat.read(root / kind / ASSIGNMENT / f"{name}.ipynb", as_version=4)

    def solved(name):
        nb = load("source", name)  # the solutions, as a student who solved everything would submit them
        return nb

    locked_edit = solved("problem1")
    for cell in locked_edit.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "given":
            cell.source = "DATA_NAME = 'elsewhere.txt'"
    return {
        "full": {"problem1": solved("problem1"), "problem2": solved("problem2")},
        "blank": {"problem1": load("release", "problem1"), "problem2": load("release", "problem2")},
        "missing2": {"problem1": solved("problem1"), "problem2": None},
        "locked-edit": {"problem1": locked_edit, "problem2": solved("problem2")},
        "excluded": {"problem1": solved("problem1"), "problem2": solved("problem2")},
        "empty": {"problem1": None, "problem2": None},
    }


def _place(root: Path, subs: dict) -> None:
    for student, notebooks in subs.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
        for name, nb in notebooks.items():
            if nb is not None:
                nbformat.write(nb, folder / f"{name}.ipynb")


def _cell_grades(root: Path) -> dict:
    """{(student, notebook, grade_id): auto_score} of every submission in the gradebook."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "parity") as gb:
            for student in gb.students:
                try:
                    sub = gb.find_submission(ASSIGNMENT, student.id)
                except Exception:  # noqa: BLE001 - MissingEntry: not graded
                    continue
                for nb in sub.notebooks:
                    for g in nb.grades:
                        if g.cell.cell_type == "code":
                            out[(student.id, nb.name, g.name)] = g.auto_score
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same course and submissions, graded by nbgrader autograde and by the hardened grader."""
    require_root()
    base = tmp_path_factory.mktemp("parity")
    runs = {}
    for grader in ("nbgrader", "hardened"):
        root = base / grader / "course"
        _write_course(root)
        env = venv_env()
        proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", ASSIGNMENT,
                               "--force"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        _place(root, _submissions(root))
        if grader == "nbgrader":
            proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "autograde", ASSIGNMENT],
                                  cwd=root, env=env, capture_output=True, text=True, timeout=600)
        else:
            # The course private, as an instructor keeps it (and as the fallback of an unprivileged
            # container requires: it names this chmod when the course is readable by others).
            os.chmod(root, 0o700)
            home = base / "home"
            home.mkdir()
            os.chmod(home, 0o700)
            python = make_python(home, mlekit="none")  # a course that does not use mlekit, graded without it
            env = dict(env, PATH=f"{python.parent}{os.pathsep}{env['PATH']}")
            proc = subprocess.run([str(python), "-m", "autograder", "grade", ASSIGNMENT, "--course", str(root),
                                   "--no-progress"], cwd=root, env=env, capture_output=True, text=True, timeout=900)
        runs[grader] = {"root": root, "proc": proc, "grades": _cell_grades(root)}
    return runs


def test_both_graders_ran(both):
    assert both["nbgrader"]["proc"].returncode == 0, both["nbgrader"]["proc"].stderr[-3000:]
    proc = both["hardened"]["proc"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped empty: no notebook of the assignment" in proc.stdout
    assert "skipped excluded: excluded by CourseDirectory.student_id_exclude" in proc.stdout


def test_same_grade_in_every_cell(both):
    ours, theirs = both["hardened"]["grades"], both["nbgrader"]["grades"]
    assert set(theirs) == set(ours)
    assert {k for k, _ in theirs.items() if k[0] in ("empty", "excluded")} == set()  # skipped by both
    different = {k: (theirs[k], ours[k]) for k in theirs if theirs[k] != ours[k]}
    assert different == {}
    # and the grades are the ones the course's design expects (nbgrader is not wrong here)
    assert sum(v for (s, _, _), v in ours.items() if s == "full") == 7
    assert sum(v or 0 for (s, _, _), v in ours.items() if s == "blank") == 0
    assert sum(v or 0 for (s, n, _), v in ours.items() if s == "missing2" and n == "problem2") == 0
    assert sum(v for (s, n, _), v in ours.items() if s == "missing2" and n == "problem1") == 5


def test_files_in_autograded(both):
    for grader in ("nbgrader", "hardened"):
        folder = both[grader]["root"] / "autograded" / "full" / ASSIGNMENT
        assert (folder / "side-effect.txt").read_text() == "written while grading", grader
        assert (folder / "timestamp.txt").read_text().startswith("2026-12-01 10:00:00"), grader
        assert (folder / "data.txt").read_text() == "1\n2\n3\n", grader


def test_hardened_reports_what_it_restored(both):
    with open(both["hardened"]["root"] / "autograder_report.csv", newline="") as fh:
        rows = {(r["student"], r["notebook"]): r for r in csv.DictReader(fh)}
    assert "read-only cell 'given' was edited" in rows[("locked-edit", "problem1")]["notes"]
    assert "problem2.ipynb is missing from the submission: graded 0" in rows[("missing2", "problem2")]["notes"]
    assert rows[("full", "problem1")]["notes"] == ""
