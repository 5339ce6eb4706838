"""Every assignment through the instructor's nbgrader pipeline, graded end to end.

For each assignment (one nbgrader run per assignment, shared by its tests):
the reference solution gets every autograded point (and full marks once the
written answers are graded by hand), the untouched release notebook gets zero,
and each documented mistake in ``tests/exercises/submissions/<assignment>.py``
loses exactly the test cells it should, with feedback naming the mistake and
showing no hidden test (the course's ``nbgrader_config.py`` makes nbgrader's own
``generate_feedback`` sanitize, see ``autograder/feedback.py``). The release
notebook holds no solution and no hidden test; autograding the unmodified test
cells raises no checksum warning.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from autograder.feedback import sanitize

from .conftest import assert_student_copy_is_safe, hidden_source_lines, visible_part

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "exercises" / "source"
ASSIGNMENTS = sorted(p.stem for p in (HERE / "submissions").glob("ps*.py"))


def _module(assignment):
    """``submissions/<assignment>.py`` executed from source (no __pycache__ in the repository)."""
    path = HERE / "submissions" / f"{assignment}.py"
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def _variants(assignment):
    return list(_module(assignment).VARIANTS)



def _points(nb) -> dict:
    return {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def _source(assignment):
    return nbformat.read(SOURCE / assignment / f"{assignment}.ipynb", as_version=4)


def _feedback_text(html_text: str) -> str:
    text = re.sub(r"<[^>]+>", "", html_text)
    return html.unescape(text)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_are_a_round_total(assignment):
    points = _points(_source(assignment))
    total = sum(points.values())
    assert total % 5 == 0, f"{assignment}: points sum to {total}, not a round total"
    written = [c for c in _source(assignment).cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    assert written, f"{assignment} has no written (manually graded) question"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_and_no_hidden_test(assignment, graded_runs):
    run, _ = graded_runs(assignment)
    release = run.release.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in release, f"{marker} left in the release notebook"
    source = _source(assignment)
    # Distinctive lines of the solutions and hidden tests: those that appear nowhere
    # else in the source notebook (e.g. not the def line, which the student keeps).
    outside, secret = [], []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        inside = False
        for line in cell.source.splitlines():
            s = line.strip()
            if s in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                inside = True
                continue
            if s in ("### END SOLUTION", "### END HIDDEN TESTS"):
                inside = False
                continue
            if cell.cell_type == "markdown" and meta.get("solution"):
                secret.append(s)  # a written model answer is secret as a whole
            elif inside:
                secret.append(s)
            else:
                outside.append(s)
    distinctive = {s for s in secret if len(s) >= 12 and s not in outside}
    assert len(distinctive) >= 5, "the check below would be vacuous"
    release_nb = nbformat.read(run.release, as_version=4)
    release_lines = {line.strip() for c in release_nb.cells for line in c.source.splitlines()}
    leaked = sorted(distinctive & release_lines)
    assert not leaked, f"solution or hidden-test lines in the release: {leaked[:3]}"
    stubs = [c for c in release_nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks(assignment, graded_runs):
    from nbgrader.api import Gradebook

    run, variants = graded_runs(assignment)
    points = _points(_source(assignment))
    ref = run.students["reference"]
    assert ref.errors == {}, ref.errors
    auto = {k: v for k, v in ref.cells.items() if k not in variants.MANUAL}
    assert auto == {k: points[k] for k in auto}
    assert ref.score == variants.AUTO_POINTS
    assert ref.max_score == sum(points.values())
    # The instructor grades the written answers by hand: full marks.
    with Gradebook(f"sqlite:///{run.root / 'gradebook.db'}", "mle-course") as gb:
        for grade_id, pts in variants.MANUAL.items():
            grade = gb.find_grade(grade_id, assignment, assignment, "reference")
            grade.manual_score = pts
        gb.db.commit()
        assert gb.find_submission(assignment, "reference").score == ref.max_score


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_gets_zero(assignment, graded_runs):
    run, _ = graded_runs(assignment)
    release = run.students["release"]
    assert release.score == 0
    assert set(release.cells.values()) == {0.0}
    assert all("NotImplementedError" in e or "not written yet" in e or "STUDENT_ID" in e for e in release.errors.values())


CASES = [(a, v) for a in ASSIGNMENTS for v in _variants(a)]


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "variant"), CASES, ids=[f"{a}-{v}" for a, v in CASES])
def test_documented_mistake_gets_documented_score(assignment, variant, graded_runs):
    run, variants = graded_runs(assignment)
    spec = variants.VARIANTS[variant]
    student = run.students[variant.replace("_", "-")]
    points = _points(_source(assignment))
    lost = spec["lost"]
    expected_cells = {k: (0.0 if k in lost else points[k]) for k in points if k not in variants.MANUAL}
    got_cells = {k: v for k, v in student.cells.items() if k not in variants.MANUAL}
    assert got_cells == expected_cells, student.errors
    assert all(points[k] == v for k, v in lost.items()), "the submission file's points disagree with the notebook"
    assert student.score == variants.AUTO_POINTS - sum(lost.values())
    assert set(student.errors) == set(lost), student.errors
    for grade_id, message in spec["messages"].items():
        assert message in student.errors[grade_id], student.errors[grade_id]  # the autograded notebook
    # What the student's feedback shows (the configured preprocessor's sanitize): the message, no hidden test.
    assert_student_copy_is_safe(student.autograded_nb, sanitize(student.autograded_nb, score_lines=False),
                                spec["messages"], f"{assignment}/{variant}")
    if student.feedback_html is not None:  # generated for one mistake per assignment (see conftest)
        feedback = _feedback_text(student.feedback_html)
        for message in spec["messages"].values():
            assert message in feedback, f"{message!r} not in the feedback HTML"
        total = variants.AUTO_POINTS + sum(variants.MANUAL.values())
        score = variants.AUTO_POINTS - sum(lost.values())
        assert f"{assignment} (Score: {float(score)} / {float(total)})" in feedback


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_html_for_reference_and_a_mistake(assignment, graded_runs):
    """nbgrader's feedback HTML: the reference's shows its full autograded score and no
    failed test cell; one documented mistake per assignment (its message checked above) has one too."""
    run, variants = graded_runs(assignment)
    first_with_message = next(name for name, v in variants.VARIANTS.items() if v.get("messages"))
    chosen = {"reference", first_with_message.replace("_", "-")}
    assert {s for s, g in run.students.items() if g.feedback_html is not None} == chosen
    feedback = _feedback_text(run.students["reference"].feedback_html)
    total = variants.AUTO_POINTS + sum(variants.MANUAL.values())
    assert f"{assignment} (Score: {float(variants.AUTO_POINTS)} / {float(total)})" in feedback
    assert "Test cell (Score: 0.0" not in feedback
    # nbgrader's own generate_feedback, configured by the course, shows no hidden test.
    visible = {line.strip() for c in _source(assignment).cells for line in visible_part(c.source).splitlines()}
    hidden = [line for c in _source(assignment).cells if c.cell_type == "code"
              for line in hidden_source_lines(c.source) if line not in visible]
    assert hidden
    for student in chosen:
        text = _feedback_text(run.students[student].feedback_html)
        assert "HIDDEN TESTS" not in text
        shown = {line.strip() for line in text.splitlines()}
        assert not [line for line in hidden if line in shown], student


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde_reports_no_checksum_change_for_unmodified_cells(assignment, graded_runs):
    """Every submission keeps the released test cells, so nbgrader must not report them as changed
    (it did for every test cell with hidden tests: jupyter/nbgrader#1961, issue 15 item 8)."""
    run, _ = graded_runs(assignment)
    assert "Overwriting files with master versions" in run.autograde_log  # the log was captured
    assert "has changed" not in run.autograde_log, [l for l in run.autograde_log.splitlines() if "has changed" in l][:3]


README = HERE.parents[1] / "exercises" / "README.md"


@pytest.mark.parametrize(("assignment", "variant"), CASES, ids=[f"{a}-{v}" for a, v in CASES])
def test_readme_documents_the_partial_score(assignment, variant):
    module = _module(assignment)
    text = README.read_text()
    section = text.split(f"**{assignment}**", 1)[1].split("\n\n**", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| `{variant}`")]
    assert len(rows) == 1, f"exercises/README.md has no row for {assignment} / {variant}"
    documented = float(rows[0].split("|")[2])
    assert documented == module.AUTO_POINTS - sum(module.VARIANTS[variant]["lost"].values())
    points = f"| `{assignment}` |"
    summary = [line for line in text.splitlines() if line.startswith(points)]
    assert summary and summary[0].rstrip(" |").endswith(f"{module.AUTO_POINTS} + {sum(module.MANUAL.values())}")
