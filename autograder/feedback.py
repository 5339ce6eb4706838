"""Feedback for students that names their mistake and does not reveal hidden tests.

An autograded notebook holds each test cell with its hidden tests, and a
failing check's message quotes the case it failed on (its data, the expected
value). Shown as is, as nbgrader's ``generate_feedback`` does by default, it
hands every hidden test, fixed seeds included, to the student. ``sanitize``
makes the copy a student may see:

- each test cell shows its *released* text (hidden-test blocks removed, as
  nbgrader's ``ClearHiddenTests`` removes them from the release), and its error
  as the message alone (a traceback quotes the lines around the failing one,
  hidden ones included);
- when the failing line was inside a hidden block, its error becomes
  "a hidden test failed", followed by the check's **hint**: the function, the
  case by its label and the recognised misconception, written to quote no
  input (``mlekit.grading.CheckFailed.hint``); what the student's functions
  printed while hidden tests called them is dropped;
- a student's own error is shown once (the copy IPython printed into the
  cell's output is removed) and absolute paths of the grading machine are
  elided (``<python>/numpy/...``, ``.../name.py``).

Where the facts come from: the hardened grader (``python -m autograder
grade``) records them in the test cell's metadata
(``metadata.autograder.failed_in_hidden_test`` and ``.hint``); for a notebook
autograded by plain ``nbgrader autograde`` they are read from the error itself
(the cell line in the traceback, and the last line of a ``CheckFailed``
message, ``"Hint: ..."``). A failure whose line cannot be found in a cell that
has hidden tests counts as hidden.

The same function serves both feedback commands: ``python -m autograder
feedback`` (``generate``) and nbgrader's own ``nbgrader generate_feedback``,
through the preprocessor :class:`HideHiddenTests` that
``exercises/nbgrader_config.py`` installs. :class:`ReleasedOverwriteCells` is
nbgrader's ``OverwriteCells`` without its false alarm on every test cell with
hidden tests (nbgrader stores the checksum of the source cell, hidden tests
included, and compares the released cell with it: jupyter/nbgrader#1961).
"""

from __future__ import annotations

import copy
import os
import re
import sys

from nbformat import from_dict
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells

HIDDEN = "a hidden test failed"
HINT_PREFIX = "Hint: "  # mlekit.grading.HINT_PREFIX: the last line of a CheckFailed message
MAX_HINT = 500

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell|Input) In ?\[\d*\],? (?:line |in <cell line: )(\d+)")
_PATH = re.compile(r"(?<![\w.~<])/(?:[^\s\"'():,\x1b\[\]]+/)+[^\s\"'():,\x1b\[\]]+")
_IPY_TRACEBACK = re.compile(r"-{20,}\n\S+\s+Traceback \(most recent call last\)\n")
_MACHINERY = ("/IPython/", "/autograder/", "/nbclient/", "/ipykernel/")


# ------------------------------------------------------------------ paths
def _prefixes() -> list[str]:
    out = set()
    for root in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        out.add(os.path.join(root, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}") + "/")
    return sorted(out, key=len, reverse=True)


def elide_paths(text: str) -> str:
    """Absolute paths of the grading machine, shortened: ``<python>/numpy/...`` for installed
    packages and the standard library, ``.../name.py`` for anything else."""

    def short(match):
        path = match.group(0)
        for marker in ("/site-packages/", "/dist-packages/"):
            if marker in path:
                return "<python>/" + path.split(marker, 1)[1]
        for prefix in _prefixes():
            if path.startswith(prefix):
                return "<python>/" + path[len(prefix):]
        return ".../" + path.rsplit("/", 1)[1]

    pieces = re.split(f"({_ANSI.pattern})", text)  # colour codes stay; the text between them is elided
    return "".join(p if i % 2 else _PATH.sub(short, p) for i, p in enumerate(pieces))


# ------------------------------------------------------------- test cells
def _hidden_lines(source: str) -> set[int]:
    """1-based numbers of the lines of hidden blocks, markers included: the rule of
    ``autograder.runner.hidden_lines``, written again here so that nbgrader's feedback command
    does not import the sandbox machinery (a second or more of imports) to read a notebook."""
    out, inside = set(), False
    for i, line in enumerate(source.split("\n"), start=1):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        if inside:
            out.add(i)
        if "END HIDDEN TESTS" in line:
            inside = False
    return out


def _failure(cell, meta: dict) -> tuple[bool, str | None]:
    """(did the test cell fail inside a hidden block?, the check's hint or None)."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if "failed_in_hidden_test" in meta:  # recorded by the hardened grader
        hint = meta.get("hint")
        return bool(meta["failed_in_hidden_test"]), hint if isinstance(hint, str) else None
    if not errors:
        return False, None
    error = errors[-1]
    hidden = _hidden_lines(cell.source)
    if not hidden:
        return False, None
    lines = [int(m.group(1)) for m in _CELL_LINE.finditer(_ANSI.sub("", "\n".join(error.get("traceback", []))))]
    in_hidden = not lines or lines[0] in hidden  # the first frame is the cell itself; unknown: hidden
    hint = None
    evalue = str(error.get("evalue", ""))
    if error.get("ename") == "CheckFailed" and f"\n{HINT_PREFIX}" in evalue:
        hint = evalue.rsplit(f"\n{HINT_PREFIX}", 1)[1]
    return in_hidden, hint


def _hidden_error(ename: str, hint: str | None) -> dict:
    hint = " ".join(hint.split())[:MAX_HINT] if hint else None
    text = f"{HIDDEN}. {HINT_PREFIX}{hint}" if hint else f"{HIDDEN} ({ename})"
    return from_dict({"output_type": "error", "ename": ename, "evalue": text, "traceback": [f"{ename}: {text}"]})


def _released(source: str, config=None) -> str:
    cell = from_dict({"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None})
    ClearHiddenTests(config=config)._remove_hidden_test_region(cell)
    return cell.source.strip()


# ------------------------------------------------------------ other cells
def _tidy(cell) -> None:
    """A cell's outputs with the student's traceback shown once and paths elided."""
    outputs = cell.get("outputs", [])
    errors = [o for o in outputs if o.get("output_type") == "error"]
    for o in outputs:
        if o.get("output_type") == "stream":
            text = o.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            for error in errors:  # IPython printed the traceback the error output holds
                text = _drop_printed_traceback(text, error)
            o["text"] = elide_paths(text)
        elif o.get("output_type") == "error":
            o["evalue"] = elide_paths(str(o.get("evalue", "")))
            o["traceback"] = [elide_paths(line) for line in _student_frames(o.get("traceback", []))]
    cell["outputs"] = [o for o in outputs if not (o.get("output_type") == "stream" and not o.get("text"))]


def _drop_printed_traceback(text: str, error) -> str:
    start = _IPY_TRACEBACK.search(text)
    if start is None:
        return text
    last = f"{error.get('ename', '')}: {error.get('evalue', '')}".rstrip()
    end = text.find(last, start.end())
    end = len(text) if end < 0 else end + len(last)
    return text[: start.start()] + text[end:].lstrip("\n")


def _student_frames(traceback: list) -> list:
    """A ``traceback.format_exception`` list without the grading machinery's frames."""
    out = []
    for entry in traceback:
        plain = _ANSI.sub("", str(entry))
        if plain.lstrip().startswith("File ") and any(m in plain.split("\n", 1)[0] for m in _MACHINERY):
            continue
        out.append(entry)
    return out


# ---------------------------------------------------------------- notebook
def sanitize(nb, *, score_lines: bool = True, config=None):
    """A copy of an autograded notebook fit to show to its student (see the module docstring).

    ``score_lines``: start each test cell with ``# score: x / y`` (nbgrader's own feedback
    template shows the scores itself, so its preprocessor passes False).
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.metadata.pop("autograder", {}) or {}
        if cell.cell_type != "code":
            continue
        if utils.is_grade(cell) and not utils.is_solution(cell):
            score, max_score = utils.determine_grade(cell)
            hidden, hint = _failure(cell, meta)
            cell.source = _released(cell.source, config)
            if hidden:
                errors = [o for o in cell.outputs if o.get("output_type") == "error"]
                ename = str(errors[-1].get("ename", "Error")) if errors else "Error"
                # What the student's functions printed while hidden tests called them may quote the inputs.
                kept = [o for o in cell.outputs if o.get("output_type") not in ("error", "stream")]
                cell.outputs = [*kept, _hidden_error(ename, hint)]
            else:
                # A traceback shows the lines around the failing one, hidden ones included: the message alone.
                for o in cell.outputs:
                    if o.get("output_type") == "error":
                        o["traceback"] = [f"{o.get('ename', 'Error')}: {o.get('evalue', '')}"]
                _tidy(cell)
            if score_lines:
                cell.source = f"# score: {score:g} / {max_score:g}\n" + cell.source
        else:
            _tidy(cell)
    nb.metadata.pop("autograder", None)
    return nb


class HideHiddenTests(NbGraderPreprocessor):
    """nbgrader feedback preprocessor: :func:`sanitize` before nbgrader renders the HTML.

    Installed by ``exercises/nbgrader_config.py`` (``c.GenerateFeedback.preprocessors``), so
    that ``nbgrader generate_feedback`` never shows hidden tests.
    """

    def preprocess(self, nb, resources):
        return sanitize(nb, score_lines=False, config=self.config), resources


class ReleasedOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, quiet about a locked cell that is exactly as released.

    nbgrader's gradebook keeps each test cell's checksum computed *before* its hidden tests
    are removed, so every unmodified test cell with hidden tests is reported as changed
    ("Attribute 'checksum' ... has changed!", jupyter/nbgrader#1961). This compares the
    submitted cell with the released version of the source cell instead; a cell that differs
    from it is still reported, and every locked cell is still restored from the gradebook.
    """

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and new == self._released_checksum(name):
            return
        super().report_change(name, attr, old, new)

    def _released_checksum(self, grade_id: str) -> str | None:
        try:
            src = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None
        meta = {"grade_id": grade_id, "locked": src.locked, "grade": False, "solution": False}
        try:
            meta["points"] = self.gradebook.find_graded_cell(grade_id, self.notebook_id, self.assignment_id).max_score
            meta["grade"] = True
        except MissingEntry:
            pass
        try:
            self.gradebook.find_solution_cell(grade_id, self.notebook_id, self.assignment_id)
            meta["solution"] = True
        except MissingEntry:
            pass
        cell = from_dict({"cell_type": src.cell_type, "source": src.source, "metadata": {"nbgrader": meta}})
        if src.cell_type == "code":
            cell.update(outputs=[], execution_count=None)
        ClearHiddenTests(config=self.config)._remove_hidden_test_region(cell)
        return utils.compute_checksum(cell)


def generate(course: str, assignment: str) -> list[str]:
    """``python -m autograder feedback``: one HTML file per autograded notebook, sanitized."""
    import nbformat
    from nbconvert import HTMLExporter

    from .course import load_coursedir

    coursedir = load_coursedir(course)
    root = os.path.join(coursedir.root, coursedir.autograded_directory)
    exporter = HTMLExporter()
    written = []
    for student in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        folder = os.path.join(root, student, assignment)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".ipynb"):
                continue
            nb = sanitize(nbformat.read(os.path.join(folder, name), as_version=4))
            html, _ = exporter.from_notebook_node(nb)
            out = os.path.join(coursedir.root, coursedir.feedback_directory, student, assignment)
            os.makedirs(out, exist_ok=True)
            path = os.path.join(out, name[:-6] + ".html")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(html)
            written.append(path)
    return written
