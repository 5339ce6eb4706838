"""Grading on a Dask cluster (``--cluster``, autograder/cluster.py), on this machine.

A real ``dask scheduler`` and two ``dask worker`` processes (with their nannies, as root, one
thread each) grade a class of 44 submissions of two assignments: 24 of ps01_bernoulli and 20 of
ps05_recipe_exponential (no per-student data), each the reference solution, the blank release or
one of the documented mistakes of ``tests/exercises/submissions/<assignment>.py``, whose lost test
cells are known. In the middle of the ps01 run, while a student's code runs in a sandbox of one
worker, that worker's process is killed (SIGKILL); its nanny starts a new one. Checked: every
per-cell score in the gradebook, one report row per notebook (nobody lost, nobody recorded twice),
the killed worker's orphaned runner and sandbox gone afterwards, and that a student's code cannot
connect to the scheduler that this process reaches.

The same code path on one machine (``--cluster local``: a LocalCluster) grades five students
through the command.

Refusals, each before anything is written (the course's files are compared byte for byte): an
unreachable scheduler and an address that is none (exit 2); a cluster whose workers run another
mlekit, run as a plain user, or lack CAP_SYS_ADMIN (exit 2, the message naming each worker's
problem and the differing versions); the same workers joining a run that is under way (each shuts
itself down instead of taking tasks); a scheduler without workers (and the next run removes the
runners a dead run left on the cluster). The only worker dying with no other to take over: the
rest of the class is recorded ungradable, not 0.

What only a real cluster can show (other machines, a network between them, SLURM or Kubernetes)
is not tested here; see autograder/README.md, "Grading on a cluster".
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO, make_python, needs_namespaces, require_root, tree_digest, venv_env

pytestmark = needs_namespaces

ASSIGNMENTS = {"ps01_bernoulli": 24, "ps05_recipe_exponential": 20}
DASK = str(Path(sys.executable).with_name("dask"))

_spec = importlib.util.spec_from_file_location("exercise_helpers_cluster", REPO / "tests" / "exercises" / "conftest.py")
_helpers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _helpers  # dataclasses look their module up while it executes
_spec.loader.exec_module(_helpers)


def _points(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"]) for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")}


class Processes:
    """The scheduler and workers this module starts (each in a session of its own), stopped by id."""

    def __init__(self, folder: Path):
        self.folder, self.procs = folder, {}

    def start(self, name: str, command: list, *, env=None, cwd=None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=cwd or self.folder, env=env or venv_env())
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]

    def scheduler(self, name: str) -> str:
        """Start ``dask scheduler`` on a free port of 127.0.0.1; its address."""
        path = self.folder / f"{name}.json"
        self.start(name, [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                          "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(path)])
        deadline = time.monotonic() + 120
        while not path.exists() or not path.read_text().strip():
            assert time.monotonic() < deadline, self.log(name)
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written in one go; be sure it is complete
        import json

        return json.loads(path.read_text())["address"]

    def worker(self, name: str, address: str, prefix=(), python=None, env=None, local=None,
               nanny=True) -> subprocess.Popen:
        command = list(prefix) + ([str(python), "-m", "distributed.cli.dask_worker"] if python else [DASK, "worker"])
        command += [address, "--nthreads", "1", "--no-dashboard", "--name", name]
        if local is not None:
            command += ["--local-directory", str(local)]
        if not nanny:
            command.append("--no-nanny")
        return self.start(name, command, env=env, cwd=local)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def _client(address: str):
    from distributed import Client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Client(address, timeout=30, set_as_default=False)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """ps01 and ps05 generated by nbgrader; the class submitted; {assignment: {student: {cell: points}}}."""
    require_root()
    root = tmp_path_factory.mktemp("cluster") / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(REPO / "exercises" / "nbgrader_config.py", root)
    for assignment in ASSIGNMENTS:
        shutil.copytree(REPO / "exercises" / "source" / assignment, root / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for assignment in ASSIGNMENTS:  # one after the other: both write the one gradebook
        proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", assignment,
                               "--force"], cwd=root, env=venv_env(), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {}
    for assignment, size in ASSIGNMENTS.items():
        release = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        source = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        points = _points(source)
        variants = _helpers.load_variants(assignment)
        kinds = [("reference", None, {}), ("release", None, None)] + [
            (name, v, v.get("hardened_lost", v["lost"])) for name, v in variants.VARIANTS.items()]
        expected[assignment] = {}
        for i in range(size):
            name, variant, lost = kinds[i % len(kinds)]
            student = f"s{i:02d}"
            if name == "release":
                nb = _helpers.fill(release, source, None, use_reference=False)
                want = {g: 0.0 for g in points}
            else:
                nb = _helpers.fill(release, source, variant["answers"] if variant else None, use_reference=True,
                                   student_id=student)
                want = {g: p - lost.get(g, 0.0) for g, p in points.items()}
            dest = root / "submitted" / student / assignment
            dest.mkdir(parents=True)
            nbformat.write(nb, dest / f"{assignment}.ipynb")
            (dest / "timestamp.txt").write_text("2026-12-04 09:00:00.000000 UTC")
            expected[assignment][student] = want
    return root, expected


def _gradebook(root: Path, assignment: str) -> dict:
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for student in gb.students:
                try:
                    sub = gb.find_submission_notebook(assignment, assignment, student.id)
                except MissingEntry:
                    continue
                out[student.id] = {g.name: g.auto_score for g in sub.grades}
    return out


def _report(root: Path, assignment: str) -> list[dict]:
    with open(root / "autograder_report.csv", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["assignment"] == assignment]


def _check_class(root: Path, assignment: str, expected: dict, rows) -> None:
    """Every per-cell score; one row per student in the run's rows and in the report."""
    keys = [(r["student"], r["notebook"]) for r in rows]
    assert len(keys) == len(set(keys)), "a notebook was recorded twice"
    assert sorted(r["student"] for r in rows) == sorted(expected), "a student was lost or added"
    bad = {r["student"]: r["reason"] for r in rows if r["status"] != "graded"}
    assert not bad, bad
    scores = _gradebook(root, assignment)
    for student, want in expected.items():
        assert {g: scores[student][g] for g in want} == want, (assignment, student)
    report = _report(root, assignment)
    assert sorted(r["student"] for r in report) == sorted(expected)
    for r in report:
        assert r["status"] == "graded" and float(r["score"]) == sum(expected[r["student"]].values()), r


def _graded_count(root: Path, assignment: str) -> int:
    return len(list((root / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")))


def _kill_mid_run(nanny: subprocess.Popen, root: Path, assignment: str, total: int, state: dict) -> None:
    """SIGKILL the worker process under ``nanny`` once a few notebooks are recorded and a student's
    code runs in one of its sandboxes (a task in flight); remember what it left behind."""
    import psutil

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not state.get("stop"):
        done = _graded_count(root, assignment)
        if done >= 3:
            for worker in psutil.Process(nanny.pid).children():
                try:
                    below = worker.children(recursive=True)
                    if any(p.uids().real != 0 for p in below):  # a sandbox's student process
                        state["left"], state["pid"] = below, worker.pid
                        state["recorded_at_kill"] = done
                        worker.kill()
                        return
                except psutil.NoSuchProcess:
                    continue
        time.sleep(0.02)


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    procs = Processes(tmp_path_factory.mktemp("dask"))
    yield procs
    procs.stop_all()


def test_class_graded_exactly_once_with_a_worker_killed(course, processes):
    from autograder.course import Options, grade

    root, expected = course
    address = processes.scheduler("scheduler")
    nannies = [processes.worker(f"w{i}", address) for i in (1, 2)]
    # a student who tries to reach the scheduler from the sandbox (this process reaches it below)
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    path = root / "submitted" / "s00" / "ps01_bernoulli" / "ps01_bernoulli.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import socket\ntry:\n    socket.create_connection(({host!r}, {port}), timeout=5)\n    print('REACHED')\n"
        "except OSError as exc:\n    print('BLOCKED', type(exc).__name__)\n"))
    nbformat.write(nb, path)
    client = _client(address)
    try:
        client.wait_for_workers(2, timeout=180)
        state: dict = {}
        killer = threading.Thread(target=_kill_mid_run, args=(nannies[0], root, "ps01_bernoulli",
                                                              ASSIGNMENTS["ps01_bernoulli"], state))
        killer.start()
        try:
            rows = grade(str(root), "ps01_bernoulli", Options(cluster=address, progress=False))
        finally:
            state["stop"] = True
            killer.join()
        assert "recorded_at_kill" in state, "the worker was not killed during the run"
        assert state["recorded_at_kill"] < ASSIGNMENTS["ps01_bernoulli"]
        _check_class(root, "ps01_bernoulli", expected["ps01_bernoulli"], rows)
        graded = nbformat.read(root / "autograded" / "s00" / "ps01_bernoulli" / "ps01_bernoulli.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "BLOCKED" in printed and "REACHED" not in printed, printed[-500:]

        client.wait_for_workers(2, timeout=180)  # the nanny's new worker
        rows = grade(str(root), "ps05_recipe_exponential", Options(cluster=address, progress=False))
        _check_class(root, "ps05_recipe_exponential", expected["ps05_recipe_exponential"], rows)

        # the killed worker's private data folder was removed by a worker started after it
        assert not list(Path(tempfile.gettempdir()).glob(f"autograder-data-{state['pid']}-*"))
        # the killed worker's runner finished its notebook into a closed pipe and ended, and took its
        # zygote and sandbox with it
        deadline = time.monotonic() + 120
        while any(p.is_running() and p.status() != "zombie" for p in state["left"]):
            assert time.monotonic() < deadline, [p.cmdline() for p in state["left"] if p.is_running()]
            time.sleep(0.2)
    finally:
        client.close()
        processes.stop_all()


def test_local_cluster_through_the_command(course, tmp_path):
    """``--cluster local``: the same executor on a LocalCluster of two processes, from the command; the
    assignment's data files reach the sandboxes by content (written on the worker, removed after)."""
    root, expected = course
    copy = tmp_path / "course"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("autograded", "autograder_report.csv"))
    assignment = "ps05_recipe_exponential"
    students = sorted(expected[assignment])[:5]  # the reference, the blank release and the three mistakes
    # an instructor's data file, and a student who prints it from the sandbox's working folder
    secret = f"lifetimes measured on {time.time_ns()}"
    (copy / "source" / assignment / "data").mkdir()
    (copy / "source" / assignment / "data" / "lifetimes.txt").write_text(secret)
    path = copy / "submitted" / students[0] / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(open('data/lifetimes.txt').read())"))
    nbformat.write(nb, path)
    data_dirs = set(Path(tempfile.gettempdir()).glob("autograder-data-*"))
    command = [sys.executable, "-m", "autograder", "grade", assignment, "--course", str(copy), "--no-progress",
               "--cluster", "local", "--workers", "2"] + [a for s in students for a in ("--student", s)]
    proc = subprocess.run(command, cwd=copy, env=venv_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "graded 5 notebook(s) of 5 student(s); 0 could not be graded" in proc.stdout
    scores = _gradebook(copy, assignment)
    for student in students:
        want = expected[assignment][student]
        assert {g: scores[student][g] for g in want} == want, student
    graded = nbformat.read(copy / "autograded" / students[0] / assignment / f"{assignment}.ipynb", as_version=4)
    printed = [o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any(secret in text for text in printed), printed[-3:]
    assert set(Path(tempfile.gettempdir()).glob("autograder-data-*")) <= data_dirs, "a worker's data folder was left"


def _grade_command(root: Path, address: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "grade", "ps01_bernoulli", "--course", str(root),
                           "--no-progress", "--cluster", address], cwd=root, env=venv_env(), capture_output=True,
                          text=True, timeout=600)


def test_unreachable_scheduler_is_refused(course, tmp_path):
    root, _ = course
    copy = tmp_path / "course"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("autograded", "autograder_report.csv"))
    before = tree_digest(copy)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t0 = time.monotonic()
    proc = _grade_command(copy, f"tcp://127.0.0.1:{port}")
    assert proc.returncode == 2, proc.stderr
    assert f"the Dask scheduler at tcp://127.0.0.1:{port} cannot be reached" in proc.stderr
    assert "Nothing was graded" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - t0 < 60
    proc = _grade_command(copy, "scheduler.example")
    assert proc.returncode == 2 and "is not a scheduler address" in proc.stderr, proc.stderr
    assert tree_digest(copy) == before


def test_bad_workers_are_refused_before_grading(course, processes, tmp_path):
    """Workers with another mlekit, without root, without CAP_SYS_ADMIN: named, nothing written; when
    they join a run under way they leave; a scheduler without workers is refused too."""
    from autograder import cluster
    from autograder.course import CourseError, Options, grade

    root, _ = course
    copy = tmp_path / "course"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("autograded", "autograder_report.csv"))
    before = tree_digest(copy)
    # a worker whose mlekit is another build (same version number, other code)
    home = tmp_path / "home"
    other = make_python(home, mlekit="copy")
    init = home / "pkgs" / "mlekit" / "__init__.py"
    init.write_text(init.read_text() + "\n# another build of mlekit\n")
    theirs = subprocess.run([str(other), "-c", "from autograder.cluster import environment as e; "
                                               "print(e()['mlekit'])"],
                            cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    mine = cluster.environment()["mlekit"]
    assert theirs != mine
    # a plain user's worker needs folders it can write
    scratch = Path(tempfile.mkdtemp(prefix="autograder-test-nobody-"))
    os.chmod(scratch, 0o777)
    try:
        address = processes.scheduler("bad-scheduler")
        workers = {
            "other-mlekit": processes.worker("other-mlekit", address, python=other, env=venv_env()),
            # (without a nanny: a plain user's nanny cannot start multiprocessing's resource tracker here)
            # (it may read the environment however private the clone's folder is: a non-root uid with
            # CAP_DAC_READ_SEARCH, so the test needs no ACL on the instructor's folders)
            "nobody": processes.worker("nobody", address, local=scratch, nanny=False,
                                       prefix=["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                                               "--inh-caps", "+dac_read_search",
                                               "--ambient-caps", "+dac_read_search"],
                                       env={**venv_env(), "HOME": str(scratch)}),
            "no-sys-admin": processes.worker("no-sys-admin", address,
                                             prefix=["setpriv", "--bounding-set", "-sys_admin", "--inh-caps",
                                                     "-sys_admin"]),
        }
        client = _client(address)
        try:
            try:
                client.wait_for_workers(3, timeout=180)
            except TimeoutError:
                pytest.fail("\n".join(processes.log(n) for n in workers))
            names = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
            proc = _grade_command(copy, address)
            assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
            err = proc.stderr
            assert f"refusing to grade on the Dask cluster at {address}" in err and "Traceback" not in err, err
            lines = {name: "\n".join(l for l in err.splitlines() if names[name] in l) for name in workers}
            assert f"mlekit {mine} here, {theirs} on the worker" in lines["other-mlekit"], err
            assert "runs as uid 65534, not root" in lines["nobody"], err
            assert "refuses the sandbox's namespaces" in lines["no-sys-admin"], err
            assert tree_digest(copy) == before, "something was written"

            # the same workers joining a run under way: each one shuts itself down (with its nanny)
            stale = cluster.PLUGIN_PREFIX + "Client-of-a-run-that-died"
            client.register_plugin(cluster.GraderPlugin([], cluster.environment()), name=stale)
            deadline = time.monotonic() + 120
            while any(p.poll() is None for p in workers.values()):
                assert time.monotonic() < deadline, "\n".join(processes.log(n) for n in workers)
                time.sleep(0.2)
            events = [e for _, e in client.get_events(cluster.EVENT_TOPIC)]
            assert sorted(e["worker"] for e in events) == sorted(names.values())
            # no worker at all; and the next run removes the plugin left by a run whose client is gone
            old = cluster.WORKER_WAIT
            cluster.WORKER_WAIT = 2.0
            try:
                with pytest.raises(CourseError, match="has no worker"):
                    grade(str(copy), "ps01_bernoulli", Options(cluster=address, progress=False))
            finally:
                cluster.WORKER_WAIT = old
            assert tree_digest(copy) == before
            left = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))
            assert stale not in left, left
        finally:
            client.close()
    finally:
        processes.stop_all()
        shutil.rmtree(scratch, ignore_errors=True)


def test_a_cluster_left_without_workers_is_ungradable_not_zero(course, processes, tmp_path, monkeypatch):
    """The only worker dies mid-run and none comes back: the notebooks graded before keep their exact
    scores, every other one is recorded ungradable (no score, flagged), each exactly once, and the run
    ends instead of waiting for a worker forever."""
    from autograder import cluster
    from autograder.course import Options, grade

    root, expected = course
    copy = tmp_path / "course"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("autograded", "autograder_report.csv"))
    monkeypatch.setattr(cluster, "NO_WORKER_TIMEOUT", 3.0)
    try:
        address = processes.scheduler("lonely-scheduler")
        worker = processes.worker("lonely", address, nanny=False)
        client = _client(address)
        try:
            client.wait_for_workers(1, timeout=180)
        finally:
            client.close()
        state: dict = {}

        def kill_when_busy():
            import psutil

            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and not state.get("stop"):
                if _graded_count(copy, "ps01_bernoulli") >= 1:
                    try:
                        if any(p.uids().real != 0 for p in psutil.Process(worker.pid).children(recursive=True)):
                            state["recorded_at_kill"] = _graded_count(copy, "ps01_bernoulli")
                            os.kill(worker.pid, signal.SIGKILL)
                            return
                    except psutil.NoSuchProcess:
                        return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        try:
            rows = grade(str(copy), "ps01_bernoulli", Options(cluster=address, progress=False, canary=False))
        finally:
            state["stop"] = True
            killer.join()
        assert "recorded_at_kill" in state, "the worker was not killed during the run"
        want = expected["ps01_bernoulli"]
        keys = [r["student"] for r in rows]
        assert sorted(keys) == sorted(want), "a student was lost or recorded twice"
        graded = [r for r in rows if r["status"] == "graded"]
        lost = [r for r in rows if r["status"] != "graded"]
        assert len(graded) >= state["recorded_at_kill"] and lost, (len(graded), state)
        scores = _gradebook(copy, "ps01_bernoulli")
        for r in graded:
            assert {g: scores[r["student"]][g] for g in want[r["student"]]} == want[r["student"]], r
        for r in lost:
            assert r["status"] == "ungradable" and "no worker" in r["reason"] and r["score"] == "", r
            assert all(v is None for v in scores[r["student"]].values()), r
    finally:
        processes.stop_all()
