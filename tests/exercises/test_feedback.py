"""What students see in their feedback: the named mistake, never a hidden test (issue 15, items 6 and 11).

Every documented mistake of every assignment runs in this process as the hardened
grader's runner runs it (``run_in_process``: the same cells, and for a failing
test cell the metadata the runner stores, ``failed_in_hidden_test`` and the
check's ``hint``); ``autograder.feedback.sanitize`` then makes the student's copy.
Each documented message must be in it, also when it failed inside a hidden test,
and nothing of a hidden test may be: no hidden line, no hidden case's data.
The same is checked on plain ``nbgrader autograde`` output in test_pipeline.py.
Unit tests below cover the traceback shown once, the paths elided and the
reading of nbgrader's own tracebacks.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.feedback import HIDDEN, elide_paths, sanitize

from .conftest import COURSE, assert_student_copy_is_safe, cell_text, fill, load_variants, run_in_process

ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_names_every_documented_mistake(assignment, tmp_path):
    source = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    variants = load_variants(assignment).VARIANTS
    hidden_failures = 0
    for name, spec in variants.items():
        student = name.replace("_", "-")
        nb = fill(source, source, spec["answers"], use_reference=True, student_id=spec.get("student_id", student))
        graded = run_in_process(nb, student_id=student, workdir=tmp_path)
        hidden_failures += sum(bool(c.metadata.get("autograder", {}).get("failed_in_hidden_test")) for c in graded.cells)
        for cell in graded.cells:  # the runner's contract: a failing check's hint is stored, capped, with the flag
            info = cell.metadata.get("autograder")
            if info is not None and any(o.output_type == "error" and o.ename == "CheckFailed" for o in cell.outputs):
                assert isinstance(info.get("hint"), str) and 0 < len(info["hint"]) <= 500
        assert_student_copy_is_safe(graded, sanitize(graded), spec["messages"], f"{assignment}/{name}")
    assert hidden_failures, f"{assignment}: no documented mistake fails a hidden test, so this test would prove little"


# ------------------------------------------------------------------ units
def _test_cell(source, outputs, **autograder):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "a_values", "locked": True, "points": 2,
                                 "schema_version": 3, "solution": False}
    if autograder:
        cell.metadata["autograder"] = autograder
    return cell


SOURCE = "visible_check()\n### BEGIN HIDDEN TESTS\nhidden_check(seed=4242)\n### END HIDDEN TESTS"
MESSAGE = ("log_likelihood: expected -12.5, got 3.1, on random data set 3 of 30 (p=0.31, x=[0, 1, 1]).\n"
           "Hint: log_likelihood gives a wrong value on the case \"random data set 3 of 30\": did you forget the log?")


def _error(ename, evalue, traceback):
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback)


def test_hidden_failure_shows_the_hint_not_the_case_hardened_metadata():
    cell = _test_cell(SOURCE, [new_output("stream", name="stdout", text="printed by the student: x=[0, 1, 1]\n"),
                               _error("CheckFailed", MESSAGE, [f"CheckFailed: {MESSAGE}"])],
                      failed_in_hidden_test=True, hint=MESSAGE.split("Hint: ")[1])
    out = cell_text(sanitize(new_notebook(cells=[cell])).cells[0])
    assert "did you forget the log?" in out and "random data set 3 of 30" in out and HIDDEN in out
    assert "seed=4242" not in out and "x=[0, 1, 1]" not in out and "-12.5" not in out
    assert out.startswith("# score: 0 / 2")


def test_hidden_failure_read_from_an_nbgrader_traceback():
    tb = ["\x1b[31m-------\x1b[39m", "\x1b[31mCheckFailed\x1b[39m   Traceback (most recent call last)",
          "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[7]\x1b[39m\x1b[32m, line 3\x1b[39m\n----> 3 hidden_check(seed=4242)",
          "\x1b[36mFile \x1b[39m\x1b[32m/home/ta/course/.venv/lib/python3.11/site-packages/mlekit/grading.py:540\x1b[39m, in check_values"]
    cell = _test_cell(SOURCE, [_error("CheckFailed", MESSAGE, tb)])
    out = cell_text(sanitize(new_notebook(cells=[cell]), score_lines=False).cells[0])
    assert "did you forget the log?" in out and "seed=4242" not in out and "-12.5" not in out
    # The same error at line 1 (the visible check) is shown in full, as its message: the traceback would
    # quote the lines around line 1, hidden ones included, and the grading machine's paths.
    tb[2] = tb[2].replace("line 3", "line 1")
    cell = _test_cell(SOURCE, [_error("CheckFailed", MESSAGE, tb)])
    out = cell_text(sanitize(new_notebook(cells=[cell]), score_lines=False).cells[0])
    assert "-12.5" in out and "did you forget the log?" in out
    assert "/home/ta" not in out and "seed=4242" not in out and "Traceback" not in out
    # No line to be found in a cell with hidden tests: treated as hidden (fail closed).
    cell = _test_cell(SOURCE, [_error("CheckFailed", MESSAGE, ["CheckFailed: ..."])])
    assert "-12.5" not in cell_text(sanitize(new_notebook(cells=[cell])).cells[0])


def test_another_error_in_a_hidden_test_says_only_its_type():
    cell = _test_cell(SOURCE, [_error("ValueError", "bad x=[0, 1, 1] at seed 4242", ["ValueError: ..."])],
                      failed_in_hidden_test=True)
    out = cell_text(sanitize(new_notebook(cells=[cell])).cells[0])
    assert f"{HIDDEN} (ValueError)" in out and "4242" not in out


def test_student_traceback_shown_once_without_the_machines_paths():
    printed = ("---------------------------------------------------------------------------\n"
               "NameError                                 Traceback (most recent call last)\n"
               "Cell In[4], line 2\n      1 x = 1\n----> 2 y = undefined_name\n\n"
               "NameError: name 'undefined_name' is not defined\n")
    traceback = ["Traceback (most recent call last):\n",
                 '  File "/root/.cache/venv/lib/python3.11/site-packages/IPython/core/interactiveshell.py", line 3577, '
                 "in run_code\n    exec(code_obj, self.user_global_ns, self.user_ns)\n",
                 '  File "/tmp/ipykernel_17/1234.py", line 2, in <module>\n    y = undefined_name\n',
                 "NameError: name 'undefined_name' is not defined\n"]
    cell = new_code_cell("x = 1\ny = undefined_name", outputs=[
        new_output("stream", name="stdout", text="before\n" + printed + "after\n"),
        _error("NameError", "name 'undefined_name' is not defined", traceback)])
    out = cell_text(sanitize(new_notebook(cells=[cell])).cells[0])
    assert out.count("name 'undefined_name' is not defined") == 2  # evalue and the traceback's last line
    assert "Traceback (most recent call last)" in out and out.count("Traceback") == 1
    assert "before" in out and "after" in out
    assert "/root/" not in out and "interactiveshell" not in out and ".../1234.py" in out


def test_elide_paths():
    import sys

    stdlib = f"{sys.base_prefix}/lib/python{sys.version_info.major}.{sys.version_info.minor}/json/decoder.py"
    assert elide_paths(f'File "{stdlib}", line 3') == 'File "<python>/json/decoder.py", line 3'
    assert elide_paths("/srv/venv/lib/python3.11/site-packages/numpy/_core/fromnumeric.py:86") == \
        "<python>/numpy/_core/fromnumeric.py:86"
    assert elide_paths("see /home/ta/course/exercises/source/ps01/ps01.ipynb") == "see .../ps01.ipynb"
    assert elide_paths("1/2 and x/y and a ratio 3/4") == "1/2 and x/y and a ratio 3/4"
