"""The students' self-check cells (``grading.check``), in every assignment (issue 15, item 13).

The notebook is saved where the kernel runs (as in Jupyter) and run in this
process: with the reference solution every self-check reports all its test cells
passed; with each documented mistake, the self-check of every part whose visible
check fails prints that check's whole message, hint included, which ``nbgrader
validate`` would cut at about 90 characters.
"""

from __future__ import annotations

import nbformat
import pytest

from mlekit import grading

from .conftest import COURSE, fill, load_variants, run_in_process

ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def _run_saved(assignment, answers, tmp_path, student, typed):
    source = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    nb = fill(source, source, answers, use_reference=True, student_id=typed)
    nbformat.write(nb, tmp_path / f"{assignment}.ipynb")  # the saved notebook the self-check reads
    ran = run_in_process(nb, student_id=student, workdir=tmp_path)
    checks, tests = {}, {}
    for cell in ran.cells:
        if cell.cell_type != "code":
            continue
        if "grading.check(" in cell.source:
            part = cell.source.split(f'grading.check("{assignment}.ipynb", "', 1)[1].split('"')[0]
            checks[part] = "".join(o.text for o in cell.outputs if o.output_type == "stream")
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            tests[meta["grade_id"]] = cell
    return checks, tests


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_self_checks_pass_for_the_reference(assignment, tmp_path):
    checks, tests = _run_saved(assignment, None, tmp_path, "reference", "reference")
    assert set(checks) == {g.split("_")[0] for g in tests}
    for part, printed in checks.items():
        n = sum(g.startswith(f"{part}_") for g in tests)
        assert f"{n} of {n} passed" in printed, printed


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_self_check_prints_the_whole_message_of_a_visible_failure(assignment, tmp_path):
    shown = 0
    for name, spec in load_variants(assignment).VARIANTS.items():
        student = name.replace("_", "-")
        checks, tests = _run_saved(assignment, spec["answers"], tmp_path, student, spec.get("student_id", student))
        for grade_id, cell in tests.items():
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if not errors or cell.metadata["autograder"]["failed_in_hidden_test"]:
                continue
            message = errors[-1].evalue
            printed = checks[grade_id.split("_")[0]]
            assert f"FAILED {grade_id}" in printed, printed
            assert message.replace("\n", "\n    ") in printed, f"{name}: {message!r} not printed in full:\n{printed}"
            shown += 1
    assert shown, f"{assignment}: no documented mistake fails a visible check"


def test_self_check_outside_jupyter_and_while_grading(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    grading.check("ps01_bernoulli.ipynb", "a", namespace={})
    assert "cannot read ps01_bernoulli.ipynb" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    grading.check("ps01_bernoulli.ipynb", "a", namespace={})
    assert "skipped while grading" in capsys.readouterr().out
