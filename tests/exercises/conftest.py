"""Shared machinery of the exercise tests: run the nbgrader pipeline in a temporary course.

``pipeline(assignment, submissions)`` copies ``exercises/nbgrader_config.py``
and ``exercises/source/<assignment>/`` into a fresh temporary course root,
runs ``generate_assignment`` through nbgrader's Python API, writes one
submission per student into ``submitted/<student>/<assignment>/`` (which is
what ``nbgrader collect`` does), autogrades them all in one nbgrader run,
generates feedback, and returns per-student scores read back from the
gradebook. Nothing is written into the repository.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "exercises"
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


@dataclass
class Graded:
    """What the pipeline produced for one student."""

    score: float
    max_score: float
    cells: dict  # grade_id -> score (None when it waits for manual grading)
    errors: dict  # grade_id -> text of the error output of a test cell
    autograded: Path
    feedback_html: str | None  # None: no feedback generated for this student (see ``feedback_for``)
    autograded_nb: object = None  # the autograded notebook, as nbgrader wrote it


@dataclass
class Run:
    root: Path
    release: Path
    students: dict = field(default_factory=dict)
    autograde_log: str = ""  # what nbgrader autograde logged


def load_variants(assignment: str):
    """The submissions of ``tests/exercises/submissions/<assignment>.py``, as a namespace.

    Executed from source (not imported) so that no ``__pycache__`` is written
    into the repository.
    """
    path = SUBMISSIONS / f"{assignment}.py"
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


SOLUTION_RE = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n|^[ \t]*### END SOLUTION[ \t]*\n?", re.M)


def strip_markers(source: str) -> str:
    return SOLUTION_RE.sub("", source).rstrip() + "\n"


def fill(release_nb, source_nb, answers: dict | None, *, use_reference: bool, student_id: str | None = None):
    """A student's notebook: the release notebook with answer cells filled in.

    ``use_reference``: answer cells get the instructor's solution (markers
    removed) unless ``answers`` overrides them; otherwise they keep the stubs
    unless overridden. ``STUDENT_ID = ""`` lines get ``student_id``.
    """
    nb = copy.deepcopy(release_nb)
    ref = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells if "nbgrader" in c.metadata}
    answers = answers or {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if student_id is not None and cell.cell_type == "code" and 'STUDENT_ID = ""' in cell.source:
            cell.source = cell.source.replace('STUDENT_ID = ""', f'STUDENT_ID = "{student_id}"')
        if not meta.get("solution"):
            continue
        gid = meta["grade_id"]
        if gid in answers:
            cell.source = answers[gid]
        elif use_reference:
            cell.source = strip_markers(ref[gid]) if cell.cell_type == "code" else ref[gid]
    return nb


HIDDEN_RE = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def visible_part(source: str) -> str:
    """A test cell as released: its hidden-test block removed."""
    return HIDDEN_RE.sub("", source)


def reference_notebook(assignment: str, student_id: str = "reference"):
    """The source notebook with the instructor's solutions in place (markers removed) and
    ``STUDENT_ID`` typed in: what a student who gets everything right submits, hidden tests included."""
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return fill(nb, nb, None, use_reference=True, student_id=student_id)


class ReferenceUsed(Exception):
    """Raised by :class:`PolicyGuard` (the hardened grader's sandbox raises its own)."""


class PolicyGuard:
    """An emulation, for tests, of the hardened grader's reference-use guard.

    ``policy`` is a notebook's ``metadata.autograder.forbidden``. While a function named in it
    runs (a graded call, made from a test cell), every Python function that starts is matched
    against the function's targets: ``"pkg.module"`` (code defined in that file), ``"pkg.*"``
    (in that package's folder), ``"pkg.module:Qual"`` (code in that file whose qualified name
    is ``Qual`` or starts with ``Qual.``). A call that runs a target fails with
    :class:`ReferenceUsed` naming it; ``reached`` collects every target reached.
    """

    def __init__(self, policy: dict):
        import importlib.util

        self.rules: dict = {}
        self.reached: dict = {}
        for fn, targets in policy.items():
            rules = []
            for target in targets:
                module, _, qualname = target.partition(":")
                if module.endswith(".*"):
                    spec = importlib.util.find_spec(module[:-2])
                    rules.append((target, tuple(p + os.sep for p in spec.submodule_search_locations), None))
                else:
                    rules.append((target, importlib.util.find_spec(module).origin, qualname or None))
            self.rules[fn] = rules

    def wrap(self, name: str, fn):
        rules = self.rules[name]

        def guarded(*args, **kwargs):
            hit: set = set()

            def profile(frame, event, arg):
                if event != "call":
                    return
                code = frame.f_code
                for target, where, qualname in rules:
                    if isinstance(where, tuple):
                        if code.co_filename.startswith(where):
                            hit.add(target)
                    elif code.co_filename == where and (
                            qualname is None or code.co_qualname == qualname or code.co_qualname.startswith(qualname + ".")):
                        hit.add(target)

            old = sys.getprofile()
            sys.setprofile(profile)
            try:
                result = fn(*args, **kwargs)
            finally:
                sys.setprofile(old)
            if hit:
                self.reached.setdefault(name, set()).update(hit)
                raise ReferenceUsed(f"{name} calls the reference implementation {', '.join(sorted(hit))} instead of deriving it")
            return result

        return guarded

    def run_test(self, cell, ns, filename):
        """An ``on_test`` for :func:`run_in_process`: the test cell, with the student's functions guarded."""
        guarded = dict(ns)
        for name in self.rules:
            if callable(ns.get(name)):
                guarded[name] = self.wrap(name, ns[name])
        try:
            exec(compile(cell.source, filename, "exec"), guarded)
        except Exception as exc:  # the test failed
            return exc
        return None


def _warning_to_stderr(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def run_in_process(nb, *, student_id: str, workdir: Path, on_test=None) -> list:
    """Run a notebook's code cells in order in this process, in one namespace, as the hardened
    grader's runner does with test cells: returns the cells with outputs, and for a failing
    test cell the metadata the runner stores (``metadata.autograder.failed_in_hidden_test``
    and, for an exception with a string ``hint``, ``metadata.autograder.hint``).

    ``on_test(cell, namespace, filename)``, if given, runs each test cell instead (e.g. to record
    its checks, compiling it under ``filename``); it returns the exception the cell raised, or None.
    """
    import contextlib
    import io
    import traceback

    from autograder.runner import hidden_lines

    nb = copy.deepcopy(nb)
    ns: dict = {"__name__": "__main__"}
    old_cwd, old_id = os.getcwd(), os.environ.get("MLEKIT_STUDENT_ID")
    os.chdir(workdir)
    os.environ["MLEKIT_STUDENT_ID"] = student_id
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            is_test = meta.get("grade") and not meta.get("solution")
            filename = f"<cell {i}>"
            out, err = io.StringIO(), io.StringIO()
            exc = None
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
                warnings.simplefilter("always")  # as in a kernel: printed to stderr (not errors, as under pytest)
                warnings.showwarning = _warning_to_stderr
                try:
                    if is_test and on_test is not None:
                        exc = on_test(cell, ns, filename)
                    else:
                        exec(compile(cell.source, filename, "exec"), ns)
                except Exception as caught:  # the cell failed, as a kernel would report it
                    exc = caught
            outputs = []
            if out.getvalue():
                outputs.append(nbformat.v4.new_output("stream", name="stdout", text=out.getvalue()))
            if err.getvalue():  # nbgrader gives a test cell zero for anything written to stderr
                outputs.append(nbformat.v4.new_output("stream", name="stderr", text=err.getvalue()))
            if exc is not None:
                outputs.append(nbformat.v4.new_output("error", ename=type(exc).__name__, evalue=str(exc),
                                                      traceback=[f"{type(exc).__name__}: {exc}"]))
                if is_test:
                    frames = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
                    failed_line = frames[-1] if frames else None
                    hidden = failed_line is None or failed_line in hidden_lines(cell.source)  # the runner's rule
                    info = {"failed_in_hidden_test": hidden}
                    if isinstance(getattr(exc, "hint", None), str):
                        info["hint"] = exc.hint[:500]
                    cell.metadata["autograder"] = info
            cell.outputs = outputs
    finally:
        os.chdir(old_cwd)
        if old_id is None:
            os.environ.pop("MLEKIT_STUDENT_ID", None)
        else:
            os.environ["MLEKIT_STUDENT_ID"] = old_id
    return nb


def cell_text(cell) -> str:
    """Everything a student sees of a code cell: source and outputs."""
    parts = [cell.source]
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type == "error":
            parts += [o.ename, o.evalue, *o.traceback]
        else:
            parts += [str(v) for v in o.get("data", {}).values()]
    return "\n".join(parts)


def hidden_source_lines(source: str) -> list[str]:
    """The distinctive lines of a cell's hidden block (those not also in its visible part)."""
    visible = {line.strip() for line in visible_part(source).splitlines()}
    hidden = source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0] if "### BEGIN HIDDEN TESTS" in source else ""
    return [s for s in (line.strip() for line in hidden.splitlines()) if len(s) > 10 and s not in visible]


def assert_student_copy_is_safe(graded, student_copy, messages: dict, where: str) -> None:
    """``student_copy`` (sanitized ``graded``) shows each message of its failed cells and nothing hidden."""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in student_copy.cells if "nbgrader" in c.metadata}
    for original in graded.cells:
        meta = original.metadata.get("nbgrader", {})
        if original.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        student_cell = by_id[meta["grade_id"]]
        shown = cell_text(student_cell)
        outputs = cell_text(nbformat.from_dict({**student_cell, "source": ""}))  # in an output, not the test's code
        shown_lines = {line.strip() for line in shown.splitlines()}
        for line in hidden_source_lines(original.source):
            assert line not in shown_lines, f"{where} {meta['grade_id']}: hidden line shown: {line!r}"
        errors = [o for o in original.outputs if o.output_type == "error"]
        if errors and "CheckFailed" == errors[-1].ename and original.metadata.get("autograder", {}).get("failed_in_hidden_test"):
            detail = errors[-1].evalue.split("\n")[0]
            assert detail not in shown, f"{where} {meta['grade_id']}: the hidden case's message is shown: {detail!r}"
            assert "a hidden test failed" in shown
        if meta["grade_id"] in messages:
            assert messages[meta["grade_id"]] in outputs, (
                f"{where} {meta['grade_id']}: {messages[meta['grade_id']]!r} not in the feedback:\n{outputs[-800:]}")


def _error_text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}")
        elif o.output_type == "stream" and o.name == "stderr":
            out.append(o.text)
    return "\n".join(out)


def kernel_start_race(result: dict) -> bool:
    """Did grading fail only because a kernel died at start-up over a taken TCP port?

    jupyter_client picks free ports for a new kernel and the kernel binds them a
    moment later; another process can take one in between (jupyter/jupyter_client#154)
    and the kernel dies before running a cell. ``./tasks test`` starts many kernels
    at once (book build, nbval, nbgrader), so this happens now and then: a fault of
    the machine, not of the submission, and the pipeline grades again, once.
    """
    text = result.get("error", "") + result.get("log", "")
    return "Address already in use" in text and "Kernel died before replying to kernel_info" in text


def run_pipeline(tmp: Path, assignment: str, submissions: dict, *, feedback: bool = True,
                 feedback_for: set | None = None) -> Run:
    """Generate, 'collect' (write submitted/), autograde and give feedback; read the gradebook.

    ``submissions`` maps a student id to a function ``(release_nb, source_nb) -> notebook``.
    ``feedback_for``: the students whose feedback HTML is generated (all when None). The HTML
    export costs about a second per student and renders the autograded notebook's outputs,
    which the tests read for every student anyway.
    """
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = tmp / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(COURSE / "source" / assignment, root / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    assert config.CourseDirectory.root == str(root), "the config must place the course root next to itself"
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)

    result = api.generate_assignment(assignment)
    assert result["success"], result.get("error", "") + result.get("log", "")
    release = root / "release" / assignment / f"{assignment}.ipynb"
    release_nb = nbformat.read(release, as_version=4)
    source_nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)

    for student, make in submissions.items():
        dest = root / "submitted" / student / assignment
        dest.mkdir(parents=True)
        nbformat.write(make(release_nb, source_nb), dest / f"{assignment}.ipynb")
        (dest / "timestamp.txt").write_text("2026-11-29 06:00:00.000000 UTC")

    result = api.autograde(assignment, "*")  # one nbgrader run for every submission
    if not result["success"] and kernel_start_race(result):
        result = api.autograde(assignment, "*", force=True)  # once: see kernel_start_race
    assert result["success"], result.get("error", "") + result.get("log", "")
    autograde_log = result.get("log", "")
    if feedback:
        excluded = sorted(set(submissions) - set(feedback_for)) if feedback_for is not None else []
        coursedir.student_id_exclude = ",".join(excluded)
        try:
            result = api.generate_feedback(assignment, "*")
        finally:
            coursedir.student_id_exclude = ""
        assert result["success"], result.get("error", "") + result.get("log", "")

    run = Run(root=root, release=release, autograde_log=autograde_log)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student in submissions:
            sub = gb.find_submission(assignment, student)
            nb_sub = sub.notebooks[0]
            cells = {g.name: g.score if not (g.needs_manual_grade) else None for g in nb_sub.grades}
            graded_nb_path = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            graded_nb = nbformat.read(graded_nb_path, as_version=4)
            errors = {
                c.metadata["nbgrader"]["grade_id"]: _error_text(c)
                for c in graded_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
            }
            html_path = root / "feedback" / student / assignment / f"{assignment}.html"
            run.students[student] = Graded(
                score=float(sub.score),
                max_score=float(sub.max_score),
                cells=cells,
                errors={k: v for k, v in errors.items() if v},
                autograded=graded_nb_path,
                feedback_html=html_path.read_text() if html_path.exists() else None,
                autograded_nb=graded_nb,
            )
    return run


def feedback_students(variants) -> set:
    """``reference`` and the first documented mistake that names a message: the students
    whose nbgrader feedback HTML the pipeline generates and the tests read."""
    with_message = [name for name, v in variants.VARIANTS.items() if v.get("messages")]
    assert with_message, "every assignment documents at least one mistake with a feedback message"
    return {"reference", with_message[0].replace("_", "-")}


@pytest.fixture(scope="session")
def _alembic_head_once():
    """Ask nbgrader's ``alembic heads`` subprocess once per test process.

    nbgrader stamps every new gradebook with the schema version it gets from a fresh
    ``alembic heads`` subprocess (about 2 s: it imports nbgrader). The answer is a
    constant of the installed nbgrader, and each assignment's pipeline run makes a
    new gradebook, so the tests reuse the first answer; the gradebooks are the same.
    """
    import functools

    import nbgrader.api

    original = nbgrader.api.get_alembic_version
    nbgrader.api.get_alembic_version = functools.cache(original)
    yield
    nbgrader.api.get_alembic_version = original


@pytest.fixture(scope="session")
def graded_runs(tmp_path_factory, _alembic_head_once):
    """``get(assignment)``: the pipeline run of an assignment, made once per session.

    Submissions: ``reference`` (the instructor's solution), ``release`` (the
    untouched release notebook) and one student per documented mistake.
    Feedback HTML is generated for ``reference`` and the first documented mistake
    with a message (``feedback_students``); every other mistake's message is
    checked in its autograded notebook, the text that feedback renders.
    """
    cache = {}

    def get(assignment: str):
        if assignment not in cache:
            variants = load_variants(assignment)
            subs = {
                "reference": lambda r, s: fill(r, s, None, use_reference=True, student_id="reference"),
                "release": lambda r, s: fill(r, s, None, use_reference=False),
            }
            for name, v in variants.VARIANTS.items():
                student = name.replace("_", "-")
                subs[student] = (
                    lambda r, s, v=v, student=student: fill(
                        r, s, v["answers"], use_reference=True, student_id=v.get("student_id", student)
                    )
                )
            feedback_for = feedback_students(variants)
            tmp = tmp_path_factory.mktemp(assignment)
            old_cwd, old_path = os.getcwd(), os.environ.get("PATH", "")
            os.chdir(tmp)  # nbgrader writes its log file in the working directory
            # nbgrader runs the `alembic` command of its environment (as if the venv were activated).
            os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])
            try:
                with warnings.catch_warnings():
                    # nbgrader 0.9.6's gradebook code triggers this SQLAlchemy warning on every
                    # autograde; it is nbgrader's, harmless, and not what these tests are about.
                    from sqlalchemy.exc import SAWarning

                    warnings.filterwarnings("ignore", category=SAWarning)
                    cache[assignment] = (run_pipeline(tmp, assignment, subs, feedback_for=feedback_for), variants)
            finally:
                os.chdir(old_cwd)
                os.environ["PATH"] = old_path
        return cache[assignment]

    return get
