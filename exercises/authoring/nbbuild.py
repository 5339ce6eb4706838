"""Write an nbgrader source notebook from a short Python description.

The notebooks in ``exercises/source/`` are what nbgrader reads; the
``psNN_*.py`` scripts next to this file write them (cell text in plain Python
strings, easy to review in a diff). Run a script from the repository root:

    .venv/bin/python exercises/authoring/ps01_bernoulli.py           # rewrites the notebook
    .venv/bin/python exercises/authoring/ps01_bernoulli.py --check   # exit 1 if the notebook differs

and start a new assignment from the template:

    .venv/bin/python exercises/authoring/nbbuild.py new ps11_weibull "Problem set 11: the Weibull"

A script is the source of truth of its notebook: ``tests/exercises/test_authoring.py``
checks that each script rewrites its notebook byte for byte, so an edit made
in Jupyter only fails the tests until it is made in the script too
(``exercises/README.md``, *Writing an assignment*).

Every notebook declares its **reference-use policy**: for each function the
student writes, what the function may not run while it is graded (the hardened
grader, ``python -m autograder grade``, fails such a call with ``ReferenceUsed``).
It is stored as ``metadata["autograder"]["forbidden"]``; :func:`policy` builds
it, :func:`write` checks it names exactly the functions the solution cells define.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "source"

# ------------------------------------------------------------------ policies
#: mlekit's estimation machinery: the functions a student writes re-derive what these compute.
MLEKIT = (
    "mlekit.families", "mlekit.fit", "mlekit.optimize", "mlekit.inference", "mlekit.priors", "mlekit.censored",
    "mlekit.models.*",
)
#: The mlekit modules a student's function may run, and why. Every module of mlekit is in
#: MLEKIT or here (``tests/exercises/test_authoring.py`` checks), so a new module that
#: estimates something cannot open a way around every policy unnoticed.
MLEKIT_ALLOWED = {
    "mlekit": "the package's __init__: lazy re-exports, whose targets the policy names",
    "mlekit._lazy": "the lazy-import machinery",
    "mlekit._validation": "input checks and sums the student's own code would write (np.mean, np.sum)",
    "mlekit._special": "special-function differences (log-gamma ratios); no likelihood is maximized",
    "mlekit.datasets": "the course's data sets, loaded by the assignments",
    "mlekit.grading": "the assignments' own helpers (student_data, check)",
    "mlekit.diagnostics": "checks of a score or Hessian the student wrote; no estimate",
    "mlekit.plotting": "figures",
    "mlekit.results": "the result containers; no estimate",
    "mlekit._frozen": "the scipy.stats distribution of a family at given parameters (result.dist()); no estimate",
    "mlekit.goodness": "goodness-of-fit statistics of a given fit (its bootstrap refits call mlekit.fit, which MLEKIT "
    "forbids); no assignment asks for KS / Cramér-von Mises / Anderson-Darling statistics, which gof(n_boot=0) "
    "computes without fitting: move it to MLEKIT when one does",
}
#: Fitting packages that do a whole estimation for you.
PEERS = ("statsmodels.*", "sklearn.*")
#: scipy.stats' generic fitting routines (every continuous distribution's ``.fit``, ``scipy.stats.fit``).
SCIPY_FIT = ("scipy.stats._distn_infrastructure:rv_continuous.fit", "scipy.stats._fit:fit")
#: scipy's optimizers (for functions that implement an optimizer themselves).
SCIPY_OPTIMIZE = ("scipy.optimize.*",)


def scipy_distribution(*names: str) -> tuple[str, ...]:
    """The classes behind scipy.stats distributions, e.g. ``scipy_distribution("norm")`` ->
    ``("scipy.stats._continuous_distns:norm_gen",)``: every method of the distribution
    (``logpdf``, ``pmf``, ``fit``, ``mean``, ...) runs code defined in that class."""
    from scipy import stats

    out = []
    for name in names:
        cls = type(getattr(stats, name))
        out.append(f"{cls.__module__}:{cls.__qualname__}")
    return tuple(out)


def policy(functions, *, distributions=(), optimize: bool = False) -> dict:
    """``{function: targets}``: while graded, each function the student writes may not run
    mlekit's estimation machinery (:data:`MLEKIT`), statsmodels, scikit-learn, scipy.stats' fitting routines, the scipy.stats
    ``distributions`` named (e.g. ``("bernoulli", "binom")``) and, with ``optimize``,
    scipy.optimize. :func:`rules` says the same in words, for the notebook's introduction.

    A target is ``"pkg.module"`` (every function defined in that file), ``"pkg.*"`` (every
    module of a package), ``"pkg.module:Class"`` (every function defined in the class body) or
    ``"pkg.module:Class.method"`` / ``"pkg.module:function"``.
    """
    extra = scipy_distribution(*distributions) + (SCIPY_OPTIMIZE if optimize else ())
    targets = sorted(set(MLEKIT + PEERS + SCIPY_FIT + extra))
    return {fn: list(targets) for fn in functions}


def rules(*, distributions=(), optimize: bool = False, allowed: str = "") -> str:
    """The *Rules* paragraph of a notebook's introduction: exactly what :func:`policy` forbids,
    in words (same arguments), plus ``allowed``, a sentence naming what the student will want."""
    banned = [f"`scipy.stats.{d}`" for d in distributions] + (["`scipy.optimize`"] if optimize else [])
    listed = banned[0] if len(banned) == 1 else ", ".join(banned[:-1]) + " and " + banned[-1] if banned else ""
    return (
        f"*Rules.* Inside the functions you write, use `numpy` and `scipy`{' except ' + listed if listed else ''}; "
        "no `.fit` of a `scipy.stats` distribution (nor `scipy.stats.fit`); no statsmodels or scikit-learn; and "
        "nothing of `mlekit`'s families, `fit`, optimizers, inference, priors or models: they would do the work "
        "for you. The grader can check this: a function that runs any of these "
        "while it is graded loses the points of every test that calls it. "
        + (allowed + " " if allowed else "")
        + "Outside your functions (the \"try it\" cells) use anything, `mlekit` included, to check your answers. "
        "Each function must **return** its answer (not print it). Run *Kernel → Restart & Run All* before you submit."
    )


# --------------------------------------------------------------------- cells
def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def md(*parts: str):
    """Instructions (plain markdown, editable); several parts become paragraphs."""
    return new_markdown_cell("\n\n".join(_src(p) for p in parts))


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
    """An autograder test cell worth ``points``; hidden tests between BEGIN/END HIDDEN TESTS.

    ``grade_id`` starts with the part's letter and an underscore (``"b_score_values"``):
    that is how the part's self-check (:func:`selfcheck`) finds it.
    """
    cell = new_code_cell(_src(text))
    cell.metadata.update(_meta(grade_id, grade=True, solution=False, locked=True, points=points))
    return cell


def written(grade_id: str, points: float, model_answer: str):
    """A manually graded answer (markdown); the model answer is replaced by "YOUR ANSWER HERE"."""
    cell = new_markdown_cell(_src(model_answer))
    cell.metadata.update(_meta(grade_id, grade=True, solution=True, locked=False, points=points))
    return cell


def selfcheck(assignment: str, part: str):
    """A plain code cell that runs the visible checks of part ``part`` and prints every message
    in full (``mlekit.grading.check``); put it after the part's answer, before its test cells.
    It needs ``from mlekit import grading`` in the notebook's imports."""
    return code(
        f"""
        # Self-check of ({part}): runs the visible checks of ({part}) below and prints what they say in full.
        grading.check("{assignment}.ipynb", "{part}")
        """
    )


# --------------------------------------------------------------------- write
#: The provided cell of an assignment with per-student data, where the student types their id.
STUDENT_ID_CELL = 'STUDENT_ID = ""'

def _defined_functions(cells) -> set:
    """Top-level functions defined in the solution cells (what the student writes)."""
    names = set()
    for cell in cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(node.name)
    return names


def build(assignment: str, cells: list, *, forbidden: dict):
    """The notebook of ``assignment``, checked: the policy names exactly the functions the
    solution cells define, every test cell belongs to a part that has a self-check cell."""
    defined = _defined_functions(cells)
    if set(forbidden) != defined:
        raise ValueError(
            f"{assignment}: the reference-use policy names {sorted(forbidden)} but the solution cells "
            f"define {sorted(defined)}; give every function the student writes a policy (nbbuild.policy)"
        )
    for fn, targets in forbidden.items():
        if not targets or not all(isinstance(t, str) and re.fullmatch(r"[\w.]+(\.\*|:[\w.]+)?", t) for t in targets):
            raise ValueError(f"{assignment}: the policy of {fn} is not a list of targets: {targets!r}")
    checked = {m.group(1) for c in cells if c.cell_type == "code"
               for m in [re.search(r'grading\.check\("[^"]+", "(\w+)"\)', c.source)] if m}
    parts = {c.metadata["nbgrader"]["grade_id"].split("_")[0] for c in cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    if parts - checked:
        raise ValueError(f"{assignment}: part(s) {sorted(parts - checked)} have test cells but no selfcheck() cell")
    autograder = {"forbidden": {fn: list(t) for fn, t in sorted(forbidden.items())}}
    if any(c.cell_type == "code" and STUDENT_ID_CELL in c.source for c in cells):
        # The hardened grader's canary grades the reference as a synthetic student: it types that id.
        autograder["canary_replace"] = [[STUDENT_ID_CELL, 'STUDENT_ID = "{student_id}"']]
    nb = new_notebook(
        cells=cells,
        metadata={
            "autograder": autograder,
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    for i, cell in enumerate(nb.cells):  # stable ids keep diffs small
        cell["id"] = f"{assignment}-{i:02d}"
    nbformat.validate(nb)
    return nb


def _text(nb) -> str:
    """The notebook's file content, as ``nbformat.write`` writes it."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write(assignment: str, cells: list, *, forbidden: dict, source: Path = SOURCE) -> Path:
    """Write ``source/<assignment>/<assignment>.ipynb`` (see :func:`build`)."""
    nb = build(assignment, cells, forbidden=forbidden)
    path = Path(source) / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_text(nb), encoding="utf-8")
    return path


def main(assignment: str, cells: list, *, forbidden: dict, argv=None) -> int:
    """What an authoring script runs: write the notebook, or (``--check``) compare with it."""
    parser = argparse.ArgumentParser(description=f"Write the source notebook of {assignment}.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the notebook on disk differs from what this script writes")
    parser.add_argument("--source", type=Path, default=SOURCE, help="the course's source/ folder")
    args = parser.parse_args(argv)
    path = args.source / assignment / f"{assignment}.ipynb"
    if args.check:
        expected = _text(build(assignment, cells, forbidden=forbidden))
        actual = path.read_text(encoding="utf-8") if path.exists() else None
        if actual != expected:
            print(f"{path} differs from what {assignment}.py writes: edit the script, then run it "
                  "(or copy the notebook's change into the script)", file=sys.stderr)
            return 1
        print(f"{path}: up to date")
        return 0
    print(write(assignment, cells, forbidden=forbidden, source=args.source))
    return 0


# ------------------------------------------------------------------ template
TEMPLATE = HERE / "_template.py"


def new(assignment: str, title: str, *, authoring: Path = HERE) -> Path:
    """Start ``authoring/<assignment>.py`` from the template (one function, visible and hidden
    tests, a written question, a policy); refuses to overwrite."""
    if not re.fullmatch(r"ps\d\d_[a-z0-9_]+", assignment):
        raise ValueError(f"assignment ids look like ps11_weibull (psNN_topic, lower case), not {assignment!r}")
    path = Path(authoring) / f"{assignment}.py"
    if path.exists():
        raise ValueError(f"{path} exists already")
    text = TEMPLATE.read_text(encoding="utf-8")
    path.write_text(text.replace("@ASSIGNMENT@", assignment).replace("@TITLE@", title), encoding="utf-8")
    return path


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description="nbbuild: start a new assignment from the template.")
    sub = cli.add_subparsers(dest="command", required=True)
    n = sub.add_parser("new", help="write authoring/<assignment>.py from the template")
    n.add_argument("assignment", help="psNN_topic, e.g. ps11_weibull")
    n.add_argument("title", help='e.g. "Problem set 11: the Weibull"')
    opts = cli.parse_args()
    try:
        created = new(opts.assignment, opts.title)
    except ValueError as exc:
        sys.exit(f"nbbuild new: {exc}")
    print(f"wrote {created}; edit it, then run: .venv/bin/python {created.relative_to(Path.cwd()) if created.is_relative_to(Path.cwd()) else created}")
