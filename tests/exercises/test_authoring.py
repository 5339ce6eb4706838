"""The authoring scripts and the source notebooks agree; every notebook declares its policy.

- each ``exercises/authoring/psNN_*.py`` rewrites its notebook byte for byte (``--check``),
  so the script and the notebook cannot drift apart silently (issue 15, item 9);
- every source notebook (discovered from ``exercises/source/``) declares a reference-use
  policy naming exactly the functions its solution cells define, every target of which
  exists, and has a self-check cell for every part with test cells;
- ``nbbuild.py new`` scaffolds an assignment whose reference gets every visible and hidden
  check right and whose script passes its own ``--check``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import COURSE, fill, run_in_process

AUTHORING = COURSE / "authoring"
SCRIPTS = sorted(p.stem for p in AUTHORING.glob("ps*.py"))
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("assignment", SCRIPTS)
def test_script_rewrites_its_notebook_byte_for_byte(assignment):
    assert (COURSE / "source" / assignment / f"{assignment}.ipynb").exists(), f"{assignment}.py has no notebook"
    proc = _run(AUTHORING / f"{assignment}.py", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_notices_an_edited_notebook(tmp_path):
    """``--check`` fails when the notebook was edited (e.g. in Jupyter) and the script was not."""
    assignment = SCRIPTS[0]
    copy = tmp_path / assignment
    copy.mkdir()
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    nb.cells[0].source += "\nAn edit made in Jupyter."
    nbformat.write(nb, copy / f"{assignment}.ipynb")
    proc = _run(AUTHORING / f"{assignment}.py", "--check", "--source", tmp_path)
    assert proc.returncode == 1 and "differs" in proc.stderr


def _solution_functions(nb) -> set:
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            names |= {n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)}
    return names


def _target_exists(target: str) -> bool:
    module, _, qualname = target.partition(":")
    if module.endswith(".*"):
        spec = importlib.util.find_spec(module[:-2])
        return spec is not None and spec.submodule_search_locations is not None
    obj = importlib.import_module(module)
    for part in qualname.split(".") if qualname else []:
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return True


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_declares_its_policy(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    forbidden = nb.metadata.get("autograder", {}).get("forbidden")
    assert isinstance(forbidden, dict) and forbidden, f"{assignment}: no metadata.autograder.forbidden"
    assert set(forbidden) == _solution_functions(nb), "the policy must name every function the student writes"
    for fn, targets in forbidden.items():
        assert {"mlekit.families", "mlekit.fit"} <= set(targets), f"{fn}: mlekit is the reference of every function"
        missing = [t for t in targets if not _target_exists(t)]
        assert not missing, f"{fn}: targets that do not exist (renamed in a new scipy?): {missing}"
    intro = nb.cells[0].source
    assert "*Rules.*" in intro and "`mlekit`" in intro, "the introduction must say what the functions may not use"


def test_every_mlekit_module_is_forbidden_or_deliberately_allowed():
    """A new mlekit module is either in the policies' ``MLEKIT`` list or in ``MLEKIT_ALLOWED`` with
    a reason: a module that fits something (a new ``mlekit.gof``, ``mlekit.censored``) left off
    both lists would be a way to call the reference in every assignment."""
    import pkgutil

    import mlekit

    spec = importlib.util.spec_from_file_location("nbbuild", AUTHORING / "nbbuild.py")
    nbbuild = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nbbuild)
    modules = {"mlekit"} | {m.name for m in pkgutil.walk_packages(mlekit.__path__, "mlekit.")}

    def forbidden(name):
        return any(name == t or (t.endswith(".*") and (name == t[:-2] or name.startswith(t[:-1])))
                   for t in nbbuild.MLEKIT)

    unlisted = sorted(m for m in modules if not forbidden(m) and m not in nbbuild.MLEKIT_ALLOWED)
    assert not unlisted, f"mlekit modules in no policy list (add to MLEKIT or MLEKIT_ALLOWED): {unlisted}"
    stale = sorted(set(nbbuild.MLEKIT_ALLOWED) - modules)
    assert not stale, f"MLEKIT_ALLOWED names modules that no longer exist: {stale}"
    both = sorted(m for m in nbbuild.MLEKIT_ALLOWED if forbidden(m))
    assert not both, f"both forbidden and allowed: {both}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_part_has_a_self_check(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    parts = {c.metadata["nbgrader"]["grade_id"].split("_")[0] for c in nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    checked = {c.source.split(f'grading.check("{assignment}.ipynb", "', 1)[1].split('"')[0]
               for c in nb.cells if c.cell_type == "code" and "grading.check(" in c.source}
    assert parts == checked
    assert any("from mlekit import grading" in c.source for c in nb.cells if c.cell_type == "code")


def test_new_assignment_from_the_template(tmp_path):
    """``nbbuild.py new`` writes a script that builds a valid assignment whose reference passes."""
    authoring = tmp_path / "authoring"
    source = tmp_path / "source"
    authoring.mkdir()
    (authoring / "nbbuild.py").write_text((AUTHORING / "nbbuild.py").read_text())
    (authoring / "_template.py").write_text((AUTHORING / "_template.py").read_text())
    proc = _run(authoring / "nbbuild.py", "new", "ps99_geometric", "Problem set 99: the Geometric", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    script = authoring / "ps99_geometric.py"
    assert "ps99_geometric" in script.read_text() and "@ASSIGNMENT@" not in script.read_text()
    assert _run(script, "--source", source).returncode == 0
    assert _run(script, "--check", "--source", source).returncode == 0
    again = _run(authoring / "nbbuild.py", "new", "ps99_geometric", "again", cwd=tmp_path)
    assert again.returncode != 0 and "exists already" in again.stderr
    bad = _run(authoring / "nbbuild.py", "new", "Week 1", "x", cwd=tmp_path)
    assert bad.returncode != 0 and "psNN_topic" in bad.stderr

    nb = nbformat.read(source / "ps99_geometric" / "ps99_geometric.ipynb", as_version=4)
    assert set(nb.metadata["autograder"]["forbidden"]) == {"log_likelihood", "mle"}
    ran = run_in_process(fill(nb, nb, None, use_reference=True), student_id="reference", workdir=tmp_path)
    failed = [c.metadata["nbgrader"]["grade_id"] for c in ran.cells if c.cell_type == "code"
              and c.metadata.get("nbgrader", {}).get("grade") and any(o.output_type == "error" for o in c.outputs)]
    assert failed == []
    graded = [c for c in ran.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert len(graded) == 3


def test_a_policy_must_name_every_function():
    sys.path.insert(0, str(AUTHORING))
    try:
        nbbuild = importlib.import_module("nbbuild")
    finally:
        sys.path.remove(str(AUTHORING))
    cells = [nbbuild.solution("a_answer", "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"),
             nbbuild.selfcheck("ps98_x", "a"), nbbuild.tests("a_values", 1, "assert f(1) == 1\n")]
    with pytest.raises(ValueError, match="define"):
        nbbuild.build("ps98_x", cells, forbidden={})
    with pytest.raises(ValueError, match="no selfcheck"):
        nbbuild.build("ps98_x", cells[:1] + cells[2:], forbidden=nbbuild.policy(["f"]))
    assert nbbuild.build("ps98_x", cells, forbidden=nbbuild.policy(["f"])).metadata["autograder"]["forbidden"]["f"]
