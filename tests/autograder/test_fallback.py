"""Grading where the kernel refuses namespaces: Docker's defaults, CI container jobs.

Simulated faithfully on this machine: the grader runs as root with ``CAP_SYS_ADMIN``
dropped from its bounding set (``setpriv``), so ``unshare`` fails as under Docker's
default seccomp profile, in a mount namespace where the cgroup file systems are
read-only (as Docker mounts them). Checked here:

- every assignment (discovered from ``exercises/source/``): the canary passes, the
  reference gets full marks, the blank release zero, the command exits 0, and the
  report's isolation column says what was in force (``uid+rlimits``: no namespaces,
  no cgroup);
- the fallback's own conditions: it refuses (exit 2, nothing graded) while the course,
  the repository's history or another course it could reach are readable, naming the
  exact ``chmod`` to run; it refuses an nbgrader exchange that every user can write;
  it restores every ACL it added;
- what it cannot guarantee, measured (and stated in autograder/README.md): two students
  graded at the same time can pass data through the host's IPC and shared folders, and
  without a cgroup the memory of a sandbox is bounded per process only.

The adversarial suite runs in this mode too (``test_adversarial.py``, ``fallback``).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import NAMESPACES, REPO, require_root, venv_env

SOURCE = REPO / "exercises" / "source"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

# Docker's defaults on this machine: cgroup file systems read-only, CAP_SYS_ADMIN gone (no namespaces).
# Inside a real unprivileged container (where this simulation cannot be set up) the grader runs as it is.
_SIMULATE = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               "for m in $(awk '$3 ~ /^cgroup/ {print $2}' /proc/self/mounts); do "
               "mount -o remount,ro,bind \"$m\" || exit 97; done; "
               "exec setpriv --bounding-set -sys_admin --inh-caps -sys_admin \"$@\"", "sh"]
DOCKER_LIKE = _SIMULATE if NAMESPACES else []


def _fill(release, source, student_id):
    import importlib.util

    spec = importlib.util.spec_from_file_location("exercise_helpers_fb", REPO / "tests" / "exercises" / "conftest.py")
    helpers = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = helpers
    spec.loader.exec_module(helpers)
    return helpers.fill(release, source, None, use_reference=student_id is not None, student_id=student_id)


@pytest.fixture(scope="module")
def fallback_course(tmp_path_factory, private_repository):
    """One course (in a private folder) with every assignment generated and two students each."""
    require_root()
    root = tmp_path_factory.mktemp("fallback") / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(REPO / "exercises" / "nbgrader_config.py", root)
    for assignment in ASSIGNMENTS:
        shutil.copytree(SOURCE / assignment, root / "source" / assignment)
        proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", assignment,
                               "--force"], cwd=root, env=venv_env(), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        release = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        source = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        for student, sid in (("reference", "reference"), ("blank", None)):
            dest = root / "submitted" / student / assignment
            dest.mkdir(parents=True)
            nbformat.write(_fill(release, source, sid), dest / f"{assignment}.ipynb")
    return root


def _grade(course: Path, assignment: str, *extra, prefix=DOCKER_LIKE):
    env = dict(venv_env())
    return subprocess.run([*prefix, sys.executable, "-m", "autograder", "grade", assignment, "--course", str(course),
                           "--no-progress", *extra], capture_output=True, text=True, timeout=900, env=env,
                          cwd=str(course.parent))


def _report(course: Path, assignment: str) -> dict:
    with open(course / "autograder_report.csv", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh) if r["assignment"] == assignment}


def _scores(course: Path, assignment: str, student: str) -> dict:
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            out = {}
            for nb in gb.find_assignment(assignment).notebooks:
                sub = gb.find_submission_notebook(nb.name, assignment, student)
                out.update({g.name: (g.auto_score, g.max_score) for g in sub.grades
                            if g.cell.cell_type == "code"})
            return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_without_namespaces(fallback_course, assignment):
    proc = _grade(fallback_course, assignment)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "canary: the reference solution got full marks" in proc.stdout
    rows = _report(fallback_course, assignment)
    isolation = {r["isolation"] for r in rows.values()}
    assert len(isolation) == 1 and "namespaces" not in isolation.pop(), rows
    if NAMESPACES:  # the simulation: read-only cgroup file systems, as Docker mounts them
        assert {r["isolation"] for r in rows.values()} == {"uid+rlimits"}, rows
    reference, blank = _scores(fallback_course, assignment, "reference"), _scores(fallback_course, assignment, "blank")
    assert all(got == most for got, most in reference.values()), reference
    assert all(got == 0 for got, _ in blank.values()), blank


def test_acls_are_restored(fallback_course):
    """The traverse-only ACL entries the fallback adds on private folders are gone after a run."""
    from autograder import fallback
    from autograder.sandbox import SANDBOX_GID, exposed_trees

    folders = fallback.private_ancestors(exposed_trees())
    if not folders:
        pytest.skip("the environment lies in no private folder here: the fallback grants nothing")

    def held_now():
        """Live runs registered per folder, read without the registry's own clean-up (which would
        put back what a run left behind and so hide it)."""
        try:
            with open(os.path.join(fallback._state_dir(), "acl.json")) as fh:
                state = json.load(fh)
        except (OSError, ValueError):
            return {}
        return {folder: [p for p in entry["pids"] if fallback._alive(p)] for folder, entry in state.items()}

    held_before = held_now()
    modes = {f: os.stat(f).st_mode for f in folders}
    proc = _grade(fallback_course, ASSIGNMENTS[0])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "could traverse (not list or read)" in proc.stdout and "restored" in proc.stdout, proc.stdout
    # Other grading runs (other tests, on the other worker) may hold the same grants at the same
    # time, through the registry: a folder may keep the sandbox group's entry only while a live
    # run other than this one is registered for it.
    granted = {}
    for folder in folders:
        try:
            entries = fallback._parse_acl(os.getxattr(folder, fallback.ACL_XATTR))
        except OSError:
            entries = []
        granted[folder] = any(t == fallback.ACL_GROUP and i == SANDBOX_GID for t, _, i in entries)
    held = held_now()
    for folder in folders:
        assert not granted[folder] or held.get(folder), f"{folder}: the sandbox group's entry outlived every run"
        if not held.get(folder) and not held_before.get(folder):
            assert os.stat(folder).st_mode == modes[folder], f"{folder}: mode not restored"


def test_refuses_while_secrets_are_readable(fallback_course):
    """A course readable by other users (or a repository's history, or another course it could reach):
    nothing is graded, the message names the exact chmod, exit 2."""
    import tempfile

    outer = Path(tempfile.mkdtemp(prefix="ag-open-"))
    try:
        os.chmod(outer, 0o755)  # a world-traversable folder, as a shared /srv or /home
        course = outer / "course"
        shutil.copytree(fallback_course, course)
        os.chmod(course, 0o755)
        before = (course / "gradebook.db").read_bytes()
        proc = _grade(course, "ps01_bernoulli")
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"chmod 700 {course}" in proc.stderr and "refusing to run students' code" in proc.stderr
        assert (course / "gradebook.db").read_bytes() == before  # nothing written
    finally:
        shutil.rmtree(outer)


def test_refuses_an_exchange_everyone_can_write(fallback_course, tmp_path):
    """Students write their submissions into the exchange; without namespaces a sandbox could plant one
    for somebody else there, so the fallback refuses while it is writable by every user."""
    course = tmp_path / "course"
    shutil.copytree(fallback_course, course)
    exchange = tmp_path / "exchange"
    (exchange / "inbound").mkdir(parents=True)
    os.chmod(exchange / "inbound", 0o733)  # as nbgrader makes it: every student may write
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    before = {p: p.read_bytes() for p in (course / "gradebook.db", course / "autograder_report.csv") if p.exists()}
    proc = _grade(course, "ps01_bernoulli")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "exchange" in proc.stderr and "plant a submission" in proc.stderr
    assert {p: p.read_bytes() for p in before} == before  # nothing written


def test_what_the_fallback_cannot_isolate(fallback_course):
    """Measured, not assumed: without namespaces, two students graded at the same time share the
    host's IPC and folders (the reader sees the writer's planted data), and without a cgroup a
    sandbox's children together hold more memory than its limit. Namespace mode blocks both
    (test_adversarial.py, namespaces)."""
    from . import test_adversarial as adv
    from .conftest import ASSIGNMENT, FULL, honest_notebook, submit

    course = fallback_course
    shutil.rmtree(course / "submitted")
    builds = {"c12-ipc-a-writer": adv.ipc_writer(window=25), "c12-ipc-b-reader": adv.ipc_reader(window=25),
              "c12-fork-memory": adv.CASES["c12-fork-memory"][0]}  # wide windows: the two overlap under load
    for name, build in builds.items():
        submit(course, name, build(honest_notebook(course), course))
    proc = _grade(course, ASSIGNMENT, "--no-canary", "--workers", "3", "--memory-mb", "1024",
                  "--cell-timeout", "60")  # all three at once
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _report(course, ASSIGNMENT)
    # the reader got the honest answer (every autograded point): it saw what the writer left in /dev/shm,
    # System V IPC or an abstract socket
    assert float(rows["c12-ipc-b-reader"]["score"]) == FULL, rows
    if NAMESPACES:  # the simulation has no writable cgroup; a real container may have one
        held = int(adv._number(adv._outputs(course, "c12-fork-memory"), "HELD"))
        assert held * 300 > 1024, f"without a cgroup, {held} children of 300 MB each held their memory"
