"""A throw-away copy of the real ps01_bernoulli course, generated with nbgrader, in tmp.

Submissions start from the released notebook with the instructor's solutions
pasted into the solution cells (an honest, fully correct student: 9 of the 9
autograded points; the written answer is graded by hand). Adversarial variants
edit that notebook.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ps01_bernoulli"
SOURCE = REPO / "exercises" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _autograded_points() -> dict:
    """{grade_id: points} of ps01's autograded test cells, read from the source notebook's metadata
    (today a_loglik_values 2, a_loglik_edges 1, b_score_values 2, b_score_derivative 1,
    c_mle_values 2, c_mle_edges 1: 9 points; the written answer is graded by hand)."""
    if not SOURCE.exists():
        return {}
    cells = json.loads(SOURCE.read_text())["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"]["points"]) for c in cells
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution")}


POINTS = _autograded_points()
FULL = sum(POINTS.values())


def _namespaces() -> bool:
    try:
        from autograder.sandbox import namespaces_available

        return namespaces_available()
    except Exception:  # noqa: BLE001
        return False


# Whether this machine lets the grader build its namespaces (root with CAP_SYS_ADMIN); inside an
# unprivileged container it does not, and the tests of namespace mode are skipped with that reason.
NAMESPACES = _namespaces()
needs_namespaces = pytest.mark.skipif(not NAMESPACES, reason="the kernel refuses namespaces here (an unprivileged "
                                      "container?); the fallback is tested in test_fallback.py")


def venv_env() -> dict:
    """nbgrader runs `alembic` from the PATH when it creates a gradebook: put the venv first."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def require_root():
    if os.geteuid() != 0:
        pytest.skip("the autograder sandbox starts processes as another user: run the tests as root")


@pytest.fixture(scope="session")
def generated_course(tmp_path_factory) -> Path:
    """source/ + release/ + gradebook.db of ps01, made by `nbgrader generate_assignment`."""
    require_root()
    src = REPO / "exercises" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if not src.exists():
        pytest.skip(f"{src} does not exist yet")
    course = tmp_path_factory.mktemp("course-template")
    shutil.copy(REPO / "exercises" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(src, course / "source" / ASSIGNMENT / src.name)
    proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", ASSIGNMENT,
                           "--force"], cwd=course, capture_output=True, text=True, timeout=300, env=venv_env())
    if not (course / "release" / ASSIGNMENT / src.name).exists():
        raise AssertionError(f"nbgrader generate_assignment failed:\n{proc.stderr[-3000:]}")
    return course


def copy_course(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest


def honest_notebook(course: Path) -> dict:
    release = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    source = json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release)
    for cell in nb["cells"] + source["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = solutions[gid]
    return nb


def cell_index(nb: dict, grade_id: str) -> int:
    for i, cell in enumerate(nb["cells"]):
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def set_solution(nb: dict, grade_id: str, code: str) -> dict:
    nb["cells"][cell_index(nb, grade_id)]["source"] = code
    return nb


def add_cell(nb: dict, after_grade_id: str | None, code: str) -> dict:
    i = cell_index(nb, after_grade_id) + 1 if after_grade_id else 0
    nb["cells"].insert(i, {"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
                           "execution_count": None, "id": f"extra-{len(nb['cells'])}"})
    return nb


def submit(course: Path, student: str, nb: dict | bytes, extra_files: dict | None = None) -> Path:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    path.write_bytes(nb if isinstance(nb, bytes) else json.dumps(nb, indent=1).encode())
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    for rel, text in (extra_files or {}).items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return path


def tree_digest(folder: Path) -> dict:
    """sha256 of every file under ``folder`` (to prove submissions are untouched)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def gradebook_scores(course: Path) -> dict:
    """{student: {grade_id: auto_score}} read back through nbgrader's API."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for student in gb.students:
                sub = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student.id)
                out[student.id] = {g.name: g.auto_score for g in sub.grades}
                out[student.id]["__flagged__"] = sub.flagged
    return out


def source_cells_snapshot(course: Path) -> dict:
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            nb = gb.find_notebook(ASSIGNMENT, ASSIGNMENT)
            return {c.name: (c.source, c.checksum, c.locked) for c in nb.source_cells}


@pytest.fixture(scope="session")
def private_repository():
    """This repository's secrets, private as the grader asks before grading without namespaces.

    Without a mount namespace the sandbox sees the host's files as any user does, and the
    repository holds the exercises' sources and history; the grader refuses to start until they
    are private (``chmod 700``). The repository's ``conftest.py`` makes them private for the whole
    session (in the controlling process, restored at the end); this fixture checks that it did.
    """
    paths = [REPO / ".git", REPO / "exercises"]
    readable = [str(p) for p in paths if p.exists() and not p.is_symlink() and p.stat().st_mode & 0o077]
    assert not readable, f"expected private for the session (see conftest.py): {readable}"
    return [str(p) for p in paths if p.exists()]


MAIN_SITE = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))


def make_python(home: Path, *, mlekit: str = "editable", symlink: bool = False) -> Path:
    """A venv at ``home/.cache/venv`` over this environment's packages; returns its python.

    mlekit: "editable" (this repository's, through the main environment's editable finder),
    "copy" (a plain copy of the package, as a non-editable install leaves it), "none".
    """
    venv = home / ".cache" / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    entries = []
    if mlekit == "copy":
        shutil.copytree(REPO / "mlekit", home / "pkgs" / "mlekit", ignore=shutil.ignore_patterns("__pycache__"))
        entries.append(str(home / "pkgs"))
    if mlekit in ("copy", "none"):
        # the autograder itself, without the editable finder that would bring this repository's mlekit
        shutil.copytree(REPO / "autograder", home / "grader" / "autograder",
                        ignore=shutil.ignore_patterns("__pycache__"))
        entries.append(str(home / "grader"))
        entries.append(MAIN_SITE)  # a plain path entry: its .pth files (the editable finder) are not run
        (site / "course-env.pth").write_text("\n".join(entries) + "\n")
    else:
        (site / "course-env.pth").write_text(MAIN_SITE + "\n")
        # the main environment's .pth files (mlekit's editable finder) run as they would there
        for pth in Path(MAIN_SITE).glob("*.pth"):
            shutil.copy(pth, site / pth.name)
    python = venv / "bin" / "python"
    if symlink:
        link = home.parent / "venv-link"
        link.symlink_to(venv)
        python = link / "bin" / "python"
    return python
