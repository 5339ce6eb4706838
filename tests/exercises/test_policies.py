"""Every assignment's reference-use policy, checked against an emulation of the hardened grader's guard.

For each assignment (discovered from ``exercises/source/``), the notebook runs in
this process (``run_in_process``) with the student's functions guarded as the
policy says (``PolicyGuard``: a graded call that runs a forbidden target fails
with ``ReferenceUsed``):

- the reference solution reaches no target and passes every test cell;
- each ``REFERENCE_USE`` submission passes every test cell without the guard (what
  plain nbgrader gives it), and with the guard loses exactly its ``lost`` cells,
  reaching a target that contains its ``calls``;
- each documented mistake (``VARIANTS``) loses, with the guard, its ``hardened_lost``
  if it declares one and its ``lost`` otherwise: the per-cell scores the hardened
  grader must give (the lead's end-to-end test asserts them through ``python -m
  autograder grade``).
"""

from __future__ import annotations

import nbformat
import pytest

from .conftest import COURSE, PolicyGuard, fill, load_variants, run_in_process

ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def _source(assignment):
    return nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def _failed(nb) -> set:
    """Test cells that get zero: an error, or anything written to stderr (as nbgrader decides)."""
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")
            and any(o.output_type == "error" or o.get("name") == "stderr" for o in c.outputs)}


def _run(assignment, answers, tmp_path, *, guarded: bool, student="student", typed=None):
    """Run a submission in process; ``student`` is the id it is graded as, ``typed`` its STUDENT_ID."""
    source = _source(assignment)
    nb = fill(source, source, answers, use_reference=True, student_id=typed or student)
    guard = PolicyGuard(source.metadata["autograder"]["forbidden"]) if guarded else None
    ran = run_in_process(nb, student_id=student, workdir=tmp_path, on_test=guard.run_test if guard else None)
    return _failed(ran), guard


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_reaches_no_forbidden_target(assignment, tmp_path):
    failed, guard = _run(assignment, None, tmp_path, guarded=True, student="reference")
    assert guard.reached == {}, guard.reached
    assert failed == set()


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_use_is_caught(assignment, tmp_path):
    module = load_variants(assignment)
    uses = getattr(module, "REFERENCE_USE", {})
    assert uses, f"{assignment}: no REFERENCE_USE submission"
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in _source(assignment).cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    policy_functions = set(_source(assignment).metadata["autograder"]["forbidden"])
    covered = set()
    problems = []
    for name, spec in uses.items():
        failed, _ = _run(assignment, spec["answers"], tmp_path, guarded=False)
        if failed:
            problems.append(f"{name}: without the guard (plain nbgrader) it fails {sorted(failed)}")
        failed, guard = _run(assignment, spec["answers"], tmp_path, guarded=True)
        if failed != set(spec["lost"]):
            problems.append(f"{name}: with the guard it fails {sorted(failed)}, documented {sorted(spec['lost'])}")
        if any(points[k] != v for k, v in spec["lost"].items()):
            problems.append(f"{name}: the points in lost disagree with the notebook")
        reached = {t for ts in guard.reached.values() for t in ts}
        if not any(spec["calls"] in t for t in reached):
            problems.append(f"{name}: reached {sorted(reached)}, none contains {spec['calls']!r}")
        covered |= set(guard.reached)
    assert not problems, "\n".join(problems)
    assert covered, f"{assignment}: no REFERENCE_USE submission reaches a target"
    assert covered <= policy_functions


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_documented_mistakes_under_the_guard(assignment, tmp_path):
    module = load_variants(assignment)
    problems = []
    for name, spec in module.VARIANTS.items():
        expected = set(spec.get("hardened_lost", spec["lost"]))
        student = name.replace("_", "-")
        failed, guard = _run(assignment, spec["answers"], tmp_path, guarded=True, student=student,
                             typed=spec.get("student_id", student))
        if failed != expected:
            problems.append(f"{name}: fails {sorted(failed)} under the guard, expected {sorted(expected)} "
                            f"(reached {guard.reached})")
        if "hardened_lost" in spec and set(spec["hardened_lost"]) == set(spec["lost"]):
            problems.append(f"{name}: hardened_lost is the same as lost; leave it out")
    assert not problems, "\n".join(problems)
