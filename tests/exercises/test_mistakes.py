"""Every documented mistake of ``mlekit.grading``, on every visible and hidden case of every assignment.

The reference notebook of each assignment (discovered from ``exercises/source/``)
runs in this process with ``mlekit.grading``'s checks recorded: which function,
which cases, which reference, which known mistakes, visible or hidden. Each
check is then replayed with simulated students, one per known mistake, who
return on every case exactly what that mistaken formula gives (``nan`` where it
gives no number). A check must

- name that mistake and no other in its hint, whenever it fails (two mistakes,
  or a mistake and the right answer, that coincide on the case the message is
  about would name the wrong one: issue 15, item 10);
- and, for every mistake some hidden check recognises, a visible check of the
  same function must recognise it too (otherwise a student with that mistake
  passes every visible check and ``nbgrader validate`` says "Success!").

Also: a student who hard-codes the visible check's answer is told so by the
hidden check; the derivative checks name a score of the wrong sign; the known
mistakes of ``check_close`` differ from each other and from the right value;
and no hidden case's label (shown to students in hints) quotes its data.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mlekit import grading

from .conftest import COURSE, reference_notebook, run_in_process, visible_part

ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def _recorded_checks(assignment: str, tmp_path: Path) -> list[dict]:
    """Every check the reference notebook's test cells make, with ``cell`` and ``hidden`` added."""
    checks: list[dict] = []

    def on_test(cell, ns, filename):
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        with grading._recording() as visible:
            exec(compile(visible_part(cell.source), f"<visible {grade_id}>", "exec"), dict(ns))
        with grading._recording() as every:  # in a copy: a later cell's `reference` must not replace this one's
            exec(compile(cell.source, f"<test {grade_id}>", "exec"), dict(ns))
        assert [c["name"] for c in every[: len(visible)]] == [c["name"] for c in visible], grade_id
        for k, spec in enumerate(every):
            checks.append({**spec, "cell": grade_id, "hidden": k >= len(visible)})
        return None

    nb = run_in_process(reference_notebook(assignment), student_id="reference", workdir=tmp_path, on_test=on_test)
    failed = [c.metadata.get("nbgrader", {}).get("grade_id", i) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
    assert not failed, f"the reference solution fails in process: {failed}"
    return checks


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    cache: dict = {}

    def get(assignment):
        if assignment not in cache:
            cache[assignment] = _recorded_checks(assignment, tmp_path_factory.mktemp(assignment))
        return cache[assignment]

    return get


def _same_args(a, b) -> bool:
    try:
        if isinstance(a, (np.ndarray, list, tuple)) or isinstance(b, (np.ndarray, list, tuple)):
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))
        return a == b
    except (TypeError, ValueError):
        return False


def _simulated(spec: dict, mistake: grading.Mistake):
    """A student making ``mistake`` on every case of ``spec`` (nan where it gives no number)."""

    def student(*args):
        for c in spec["cases"]:
            if all(_same_args(a, b) for a, b in zip(args, grading._args(c, spec["signature"]))):
                expected = np.asarray(spec["reference"](c), dtype=float).ravel()
                pred = grading._quiet(mistake.predict, c, expected)
                pred = None if pred is None else grading._as_floats(pred)
                return np.full(expected.shape, np.nan) if pred is None else pred
        raise AssertionError("the simulated student was called on a case it does not know")

    return student


def _replay(spec: dict, student) -> str | None:
    """The hint of the check replayed with ``student``; None when it passes."""
    try:
        grading.check_values(student, spec["reference"], spec["cases"], name=spec["name"],
                             signature=spec["signature"], rtol=spec["rtol"], atol=spec["atol"],
                             mistakes=spec["mistakes"])
    except grading.CheckFailed as exc:
        return exc.hint
    return None


def _messages(spec: dict) -> list[str]:
    return list(dict.fromkeys(m.message for m in spec["mistakes"]))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_mistake_is_named_where_it_is_detected(assignment, recorded):
    checks = [c for c in recorded(assignment) if c["kind"] == "values" and c["mistakes"]]
    assert checks, f"{assignment}: no check with known mistakes"
    problems, detected = [], {}  # detected[(function, message)] = {"visible": bool, "hidden": bool}
    for spec in checks:
        where = f"{spec['cell']} ({'hidden' if spec['hidden'] else 'visible'}) {spec['name']}"
        messages = _messages(spec)
        for mistake in {m.message: m for m in spec["mistakes"]}.values():
            hint = _replay(spec, _simulated(spec, mistake))
            if hint is None:
                continue  # this check cannot see the mistake (it coincides with the truth on every case)
            seen = detected.setdefault((spec["name"], mistake.message), {"visible": False, "hidden": False})
            others = [m for m in messages if m != mistake.message and m in hint]
            if not any(m in hint for m in messages) and "returned nan" in hint:
                continue  # the mistaken formula gives no number on that case, and no case of this check
                # tells: the hint says what happened (nan) and names no mistake, which is honest
            if mistake.message not in hint or others:
                problems.append(f"{where}: a student who makes the mistake {mistake.message!r} is told {hint!r}")
            else:
                seen["hidden" if spec["hidden"] else "visible"] = True
    for (function, message), seen in sorted(detected.items()):
        if seen["hidden"] and not seen["visible"]:
            problems.append(f"{function}: {message!r} is named by a hidden check but by no visible check")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_mistake_computes(assignment, recorded):
    """A mistake's ``predict`` returns a number, or None where the mistaken formula gives none; it never
    raises (``mlekit.grading`` would swallow the error and the mistake would never be named)."""
    import warnings

    problems = []
    for spec in [c for c in recorded(assignment) if c["kind"] == "values"]:
        for mistake in spec["mistakes"]:
            numbers = 0
            for c in spec["cases"]:
                expected = np.asarray(spec["reference"](c), dtype=float).ravel()
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        pred = mistake.predict(c, expected)
                except Exception as exc:  # noqa: BLE001 - reported
                    problems.append(f"{spec['cell']} {mistake.message!r} on {c.label!r}: {type(exc).__name__}: {exc}")
                    break
                numbers += pred is not None and grading._as_floats(pred) is not None
            else:
                if not numbers:
                    problems.append(f"{spec['cell']} {mistake.message!r}: no number on any case")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hard_coded_visible_answer_is_named(assignment, recorded):
    checks = [c for c in recorded(assignment) if c["kind"] == "values"]
    problems, tried = [], 0
    for visible in [c for c in checks if not c["hidden"]]:
        answer = np.asarray(visible["reference"](visible["cases"][0]), dtype=float).ravel()
        for spec in [c for c in checks if c["hidden"] and c["name"] == visible["name"]]:
            tried += 1
            hint = _replay(spec, lambda *args, answer=answer: answer.copy())
            if hint is None or grading._CONSTANT not in hint:
                problems.append(f"{spec['cell']} {spec['name']}: hard-coding {answer} is told {hint!r}")
    assert tried, f"{assignment}: no function has both a visible and a hidden value check"
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_score_of_the_wrong_sign_is_named(assignment, recorded):
    problems = []
    for spec in [c for c in recorded(assignment) if c["kind"] == "derivative"]:
        student = spec["student"]

        def negated(*args, student=student):
            return -np.asarray(student(*args), dtype=float)

        try:
            grading.check_score_is_derivative(negated, spec["loglik"], spec["cases"], wrt=spec["wrt"],
                                              signature=spec["signature"], name=spec["name"],
                                              loglik_name=spec["loglik_name"], rtol=spec["rtol"])
        except grading.CheckFailed as exc:
            if "wrong sign" not in exc.hint:
                problems.append(f"{spec['cell']}: {exc.hint!r}")
        else:
            problems.append(f"{spec['cell']}: the score of the wrong sign passes")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_known_values_of_check_close_differ(assignment, recorded):
    problems = []
    for spec in [c for c in recorded(assignment) if c["kind"] == "close" and c["mistakes"]]:
        values = {"the right value": spec["expected"], **spec["mistakes"]}
        named = list(values.items())
        for i, (a, va) in enumerate(named):
            for b, vb in named[i + 1:]:
                va_, vb_ = (np.asarray(v, dtype=float).ravel() for v in (va, vb))
                if va_.shape == vb_.shape and grading._close(va_, vb_, max(spec["rtol"], 1e-6), spec["atol"]):
                    problems.append(f"{spec['cell']} {spec['name']}: {a!r} and {b!r} coincide")
    assert not problems, "\n".join(problems)


_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?|(?<![\w.])-?\d+e-?\d+")


def _quotes_its_data(label: str, values) -> bool:
    """Does ``label`` contain a number with a decimal point or exponent that equals, to the
    precision it is written with, one of ``values``?"""
    flat = []
    for v in values:
        try:
            flat.extend(np.asarray(v, dtype=float).ravel()[:1000].tolist())
        except (TypeError, ValueError):
            continue
    for token in _NUMBER.findall(label):
        number = float(token)
        mantissa, _, exponent = token.partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        step = 10.0 ** (int(exponent or 0) - decimals)  # the last written digit
        if any(np.isfinite(v) and abs(v - number) <= step / 2 * (1 + 1e-9) for v in flat):
            return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_case_labels_quote_no_data(assignment, recorded):
    """Hints name the case by its label, also on hidden cases: a label describes, it does not quote."""
    problems = []
    for spec in [c for c in recorded(assignment) if c["hidden"]]:
        if spec["kind"] in ("values", "derivative"):
            for c in spec["cases"]:
                if _quotes_its_data(c.label, [c.x, *c.params.values()]):
                    problems.append(f"{spec['cell']}: {c.label!r}")
        elif spec["kind"] == "raises":
            for label, args in spec["bad_inputs"]:
                if _quotes_its_data(label, args):
                    problems.append(f"{spec['cell']}: {label!r}")
    assert not problems, "\n".join(problems)


def test_label_rule_catches_a_quoted_value():
    assert _quotes_its_data("lam = 12.34", [12.3401])
    assert _quotes_its_data("rate 1e-4", [1e-4])
    assert not _quotes_its_data("all zeros at p = 0", [0.0])
    assert not _quotes_its_data("random data set 3 of 30", [3.0, 30.0])
    assert not _quotes_its_data("large linear predictors (|eta| up to 900)", [900.0])
