"""Every assignment through the hardened grader (``python -m autograder grade``), as instructors run it.

Discovered from ``exercises/source/`` (a new assignment is included automatically).
For each one, in a temporary course made by ``nbgrader generate_assignment``:

- the command exits 0 (canary passed, nothing ungradable, no grader error);
- the reference solution gets every autograded point, the untouched release none;
- every documented mistake of ``tests/exercises/submissions/<assignment>.py`` loses
  exactly its documented test cells (``hardened_lost`` where the hardened grader
  rightly differs from plain nbgrader, else ``lost``: the README's score table);
- the assignment declares a reference-use policy, and every ``REFERENCE_USE``
  submission (one that calls the reference instead of deriving) loses exactly the
  tests that call that function, with the report naming what it reached.

Per-student data (ps02, ps03) is generated in the sandbox from the id the student
typed, and checked by the trusted tests against the id of the submission.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "exercises" / "source"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

_spec = importlib.util.spec_from_file_location("exercise_helpers", REPO / "tests" / "exercises" / "conftest.py")
_helpers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _helpers  # dataclasses look their module up while it executes
_spec.loader.exec_module(_helpers)


def _points(nb) -> dict:
    """{grade_id: points} of the autograded test cells (code, graded, not a solution)."""
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"]) for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")}


def _students(assignment: str, variants) -> dict:
    """student id -> (notebook maker, expected lost cells or None for 'all', expected report substring)."""
    out = {"reference": (lambda r, s: _helpers.fill(r, s, None, use_reference=True, student_id="reference"),
                         {}, None),
           "release": (lambda r, s: _helpers.fill(r, s, None, use_reference=False), None, None)}
    for name, v in variants.VARIANTS.items():
        student = name.replace("_", "-")
        out[student] = (lambda r, s, v=v, student=student: _helpers.fill(
            r, s, v["answers"], use_reference=True, student_id=v.get("student_id", student)),
            v.get("hardened_lost", v["lost"]), None)
    for name, v in getattr(variants, "REFERENCE_USE", {}).items():
        student = "refuse-" + name.replace("_", "-")
        out[student] = (lambda r, s, v=v, student=student: _helpers.fill(
            r, s, v["answers"], use_reference=True, student_id=student), v["lost"], v["calls"])
    return out


@pytest.fixture(scope="session")
def hardened_runs(tmp_path_factory):
    cache = {}

    def get(assignment: str):
        if assignment in cache:
            return cache[assignment]
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        root = tmp_path_factory.mktemp(f"hardened-{assignment}") / "course"
        (root / "source").mkdir(parents=True)
        shutil.copy(REPO / "exercises" / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(SOURCE / assignment, root / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment",
                               assignment, "--force"], cwd=root, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        variants = _helpers.load_variants(assignment)
        release_nb = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        source_nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        students = _students(assignment, variants)
        for student, (make, _, _) in students.items():
            dest = root / "submitted" / student / assignment
            dest.mkdir(parents=True)
            nbformat.write(make(release_nb, source_nb), dest / f"{assignment}.ipynb")
            (dest / "timestamp.txt").write_text("2026-12-01 09:00:00.000000 UTC")
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course", str(root),
                               "--no-progress"], cwd=root, env=env, capture_output=True, text=True, timeout=1200)
        scores = _gradebook_scores(root, assignment, list(students))
        with open(root / "autograder_report.csv", newline="") as fh:
            report = {r["student"]: r for r in csv.DictReader(fh)} if proc.returncode != 2 else {}
        cache[assignment] = {"proc": proc, "scores": scores, "report": report, "students": students,
                             "points": _points(source_nb), "source": source_nb, "root": root}
        return cache[assignment]

    return get


def _gradebook_scores(root: Path, assignment: str, students: list) -> dict:
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for student in students:
                try:
                    sub = gb.find_submission_notebook(assignment, assignment, student)
                except MissingEntry:
                    continue
                out[student] = {g.name: g.auto_score for g in sub.grades}
    return out


def _explain(run) -> str:
    return f"exit {run['proc'].returncode}\nstdout:\n{run['proc'].stdout[-4000:]}\nstderr:\n{run['proc'].stderr[-4000:]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_exits_zero(hardened_runs, assignment):
    run = hardened_runs(assignment)
    assert run["proc"].returncode == 0, _explain(run)
    assert "0 could not be graded" in run["proc"].stdout
    assert "canary: the reference solution got full marks" in run["proc"].stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_full_blank_zero(hardened_runs, assignment):
    run = hardened_runs(assignment)
    points = run["points"]
    assert {g: run["scores"]["reference"][g] for g in points} == points, _explain(run)
    assert {g: run["scores"]["release"][g] for g in points} == {g: 0.0 for g in points}, _explain(run)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_documented_mistakes_exact_scores(hardened_runs, assignment):
    run = hardened_runs(assignment)
    points, checked = run["points"], 0
    for student, (_, lost, calls) in run["students"].items():
        if lost is None or student == "reference" or calls is not None:
            continue
        expected = {g: (p - lost.get(g, 0.0)) for g, p in points.items()}
        got = {g: run["scores"][student][g] for g in points}
        assert got == expected, (student, run["report"].get(student, {}).get("notes"))
        assert run["report"][student]["status"] == "graded"
        checked += 1
    assert checked >= 1, f"{assignment} documents no mistake"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_use_is_caught(hardened_runs, assignment):
    run = hardened_runs(assignment)
    policy = run["source"].metadata.get("autograder", {}).get("forbidden")
    assert policy, f"{assignment} declares no reference-use policy (metadata.autograder.forbidden)"
    cheats = {s: v for s, v in run["students"].items() if v[2] is not None}
    assert cheats, f"{assignment} has no REFERENCE_USE submission in tests/exercises/submissions"
    for student, (_, lost, calls) in cheats.items():
        expected = {g: (p - lost.get(g, 0.0)) for g, p in run["points"].items()}
        got = {g: run["scores"][student][g] for g in run["points"]}
        notes = run["report"][student]["notes"]
        assert got == expected, (student, notes)
        assert "reaches the reference" in notes and calls in notes, (student, notes)
