"""Grade on a Dask distributed cluster: the same jobs, graded on other machines (or this one).

``python -m autograder grade ASSIGNMENT --course exercises --cluster tcp://scheduler:8786`` grades
every notebook on the workers of a running Dask scheduler; ``--cluster local`` starts a
:class:`distributed.LocalCluster` of ``--workers`` processes on this machine first. Deployment
(SSH, SLURM/PBS, Kubernetes) is in ``autograder/README.md``, "Grading on a cluster".

:class:`ClusterPool` is an executor with the interface of :class:`autograder.course.Pool`
(``run(jobs, on_result, label=...) -> retried`` and ``close()``), so that everything else of a
run is the same as on one machine: this process prepares the course, reads every submission and
the gradebook's test cells, runs the canary, and stays the **single gradebook writer**, recording
each result as it arrives (:func:`distributed.as_completed`), with the same report, progress bar
and exit status. What it sends to a worker is the job, self-contained (the parsed notebook, the
test cells, the policy, timeouts and limits), plus the assignment's data files by content (a worker
needs no shared folder): a worker writes them once per run into a private folder (0700, root) and
gives the sandboxes those copies.

On each worker, :class:`GraderPlugin` (a Dask ``WorkerPlugin``) keeps the per-worker state: one
trusted runner process (:class:`autograder.course.Worker`, the same as a local worker: its own
dedicated sandbox uid and a zygote that imported the assignment's modules once) per worker
thread. A task takes a free runner, grades the notebook there, and gives the runner back; the
test cells run in that runner process, never in the Dask worker itself.

Before any student is graded, the cluster is checked and refused, with a message naming what
differs, when the scheduler cannot be reached, has no worker, or a worker runs another version of
Python, mlekit, the autograder, nbgrader, numpy, scipy, IPython, dask or distributed than this
process, is not root, or cannot build the sandbox's namespaces (a worker cannot use the
fallback: its privacy conditions are about the course's folders on the grading machine, which
only this process can check). A worker that joins later and fails the same check shuts itself
down (and says why in its log) instead of taking tasks it cannot grade.

Why ``--workers`` alone keeps :class:`autograder.course.Pool` (not a LocalCluster) as the default:
on one machine it is faster for the same work. Measured with ``benchmarks/bench_autograder.py
--executors --students 40 --repeats 3`` (the command, 40 submissions of ps01, 2 workers, in turn,
load average 10.8-18 on 2 cores): median 60.1 s wall and 17.7 CPU s for the pool, 76.7 s and 26.8
CPU s for ``--cluster local`` (ratios 1.28 and 1.51); again at load 4.6-6.6, 10.4 s and 17.6 CPU s
against 12.9 s and 21.5 CPU s (1.23, 1.22). The runners and sandboxes are the same; the extra 4-9
CPU s per invocation are the scheduler, nanny and worker processes importing and running
``distributed``, which one machine does not need (the pool already restarts a failed worker and
re-grades its notebook).

Fault tolerance is Dask's: the tasks of a worker that dies (killed, out of memory, its machine
gone) go to another worker. This process records a notebook only from a completed task, once
(a task whose worker died has no result, so it cannot be recorded twice nor as a 0); a task that
killed three workers in turn (Dask's ``KilledWorker``) or a result of status ``retry`` is graded
again from scratch ``options.retries`` times and otherwise recorded as ungradable, as on one machine.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import platform
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from distributed.diagnostics.plugin import WorkerPlugin

from .course import MAX_DATA_BYTES, CourseError, Options, Worker, _progress, _safe_relpath, _write_file
from .notebook import InvalidNotebook, read_regular
from .sandbox import pick_uids

CONNECT_TIMEOUT = 10.0     # s to reach the scheduler
WORKER_WAIT = 60.0         # s to wait for a first worker
NO_WORKER_TIMEOUT = 300.0  # s without any worker during a run before the rest is abandoned (ungradable)
PLUGIN_PREFIX = "autograder-"
EVENT_TOPIC = "autograder"
DATA_PREFIX = "autograder-data-"  # + the worker's pid: a private folder of the assignment's data files
# what a worker must share with this process, as "name": (package to hash or None, distribution or None)
COMPARED = {"python": (None, None), "mlekit": ("mlekit", "mlekit"), "autograder": ("autograder", None),
            "nbgrader": (None, "nbgrader"), "numpy": (None, "numpy"), "scipy": (None, "scipy"),
            "IPython": (None, "ipython"), "dask": (None, "dask"), "distributed": (None, "distributed")}


# -------------------------------------------------------------------- what a machine runs

def _source_digest(package: str) -> str | None:
    """sha256 (12 hex digits) of a package's files (names and contents; no caches), or None if absent.

    mlekit's version number does not change with its code (an editable install of another
    checkout says 0.1.0 too) and the autograder has none: the code itself is compared.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    digest = hashlib.sha256()
    for base in sorted(spec.submodule_search_locations):
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                    continue
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, base).encode("utf-8", "surrogateescape") + b"\0")
                with open(path, "rb") as fh:
                    digest.update(hashlib.sha256(fh.read()).digest())
    return digest.hexdigest()[:12]


def environment() -> dict[str, str]:
    """The versions a grading machine must share with the parent, as printable strings."""
    out = {}
    for name, (package, dist) in COMPARED.items():
        if name == "python":
            out[name] = platform.python_version()
            continue
        version = None
        if dist is not None:
            try:
                version = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                version = None
        if package is not None:
            source = _source_digest(package)
            version = "absent" if source is None else (f"{version} (source {source})" if version
                                                       else f"source {source}")
        out[name] = version or "absent"
    return out


_NAMESPACES: dict = {}


def _namespaces() -> tuple[bool, str]:
    """(can this machine build the sandbox's namespaces, why not); asked in a fresh process (not a fork
    of the threaded Dask worker), once per worker process."""
    if "answer" not in _NAMESPACES:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", "from autograder.sandbox import namespaces_available as n\n"
                                       "raise SystemExit(0 if n() else 3)"],
                cwd="/", capture_output=True, text=True, timeout=60)
            answer = (proc.returncode == 0, "" if proc.returncode in (0, 3) else
                      f"the check failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            answer = (False, f"the check failed: {exc}")
        _NAMESPACES["answer"] = answer
    return _NAMESPACES["answer"]


def worker_facts(dask_worker=None) -> dict:
    """What the parent checks of a worker (run there through ``Client.run``)."""
    facts = {"versions": environment(), "uid": os.geteuid(), "host": socket.gethostname(),
             "nthreads": dask_worker.state.nthreads if dask_worker is not None else None}
    facts["namespaces"], facts["namespaces_detail"] = _namespaces() if facts["uid"] == 0 else (False, "")
    return facts


def problems_of(expected: dict, facts) -> list[str]:
    """Why a worker cannot grade for a parent whose ``environment()`` is ``expected`` (empty: it can)."""
    if isinstance(facts, BaseException):
        return [f"it did not answer the check ({type(facts).__name__}: {facts})"]
    out = []
    theirs = facts.get("versions", {})
    differ = [f"{name} {expected[name]} here, {theirs.get(name, 'absent')} on the worker"
              for name in expected if theirs.get(name, "absent") != expected[name]]
    if differ:
        out.append("another environment: " + "; ".join(differ) + ". Install the same pinned environment "
                   "(requirements.txt, constraints.txt and this checkout's mlekit and autograder) on it")
    if facts.get("uid") != 0:
        out.append(f"it runs as uid {facts.get('uid')}, not root: the sandbox starts the students' code as "
                   "other users; start `dask worker` as root (in a VM or container that holds nothing else)")
    elif not facts.get("namespaces"):
        out.append("its kernel refuses the sandbox's namespaces (mount, PID, network, IPC, UTS; a container "
                   "without CAP_SYS_ADMIN?"
                   + (f" {facts['namespaces_detail']}" if facts.get("namespaces_detail") else "")
                   + "): a worker grades only with namespaces; run it with CAP_SYS_ADMIN (a privileged pod, "
                   "or `docker run --cap-add SYS_ADMIN --security-opt seccomp=unconfined`)")
    return out


# -------------------------------------------------------------------- the worker side

class GraderPlugin(WorkerPlugin):
    """Per-worker state: one trusted runner (pre-imported zygote, dedicated uid) per worker thread,
    and the data files of the runs, written once into a private folder."""

    def __init__(self, preload, expected: dict):
        self.preload, self.expected = list(preload), dict(expected)
        self.refused: list[str] = []
        self.runners: queue.SimpleQueue | None = None
        self.all_runners: list = []
        self.root: str | None = None
        self.data_dirs: dict[str, str] = {}
        self.lock = None  # made on the worker (the plugin is pickled to get there)

    def setup(self, worker):
        self.lock = threading.Lock()
        self.refused = problems_of(self.expected, worker_facts(worker))
        if self.refused:
            # joined after the parent's check: leave, rather than take tasks it cannot grade
            message = f"autograder: this worker cannot grade ({'; '.join(self.refused)}); closing it"
            logging.getLogger("distributed.worker").error(message)
            worker.log_event(EVENT_TOPIC, {"worker": worker.address, "refused": self.refused})
            worker.loop.add_callback(worker.close, nanny=True, reason="autograder: refused")
            return
        _remove_data_of_dead_workers()
        self.root = tempfile.mkdtemp(prefix=f"{DATA_PREFIX}{os.getpid()}-")  # 0700, owned by root
        self.runners = queue.SimpleQueue()
        for uid in pick_uids(max(1, worker.state.nthreads)):
            runner = Worker(uid, self.preload)
            runner.warm()  # the runner and its zygote start importing now
            self.all_runners.append(runner)
            self.runners.put(runner)

    def teardown(self, worker):
        for runner in self.all_runners:
            runner.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def _data_files(self, data) -> list[list[str]]:
        """[[path on this worker, relative name]] of the run's data files, written once per content."""
        if not data:
            return []
        names = [(_safe_relpath(rel), rel) for rel, _ in data["files"]]
        with self.lock:
            folder = self.data_dirs.get(data["digest"])
            if folder is None:
                folder = os.path.join(self.root, data["digest"])
                os.mkdir(folder, 0o700)
                for rel, content in data["files"]:
                    _write_file(folder, rel, content)
                self.data_dirs[data["digest"]] = folder
        return [[os.path.join(folder, safe), rel] for safe, rel in names if safe is not None]

    def grade(self, job: dict, data) -> dict:
        runner = self.runners.get()
        try:
            job = dict(job, data_files=self._data_files(data), uid=runner.uid)
            return runner.grade(job, float(job.get("budget", 240.0)) + 120)
        finally:
            self.runners.put(runner)


def _remove_data_of_dead_workers() -> None:
    """The private data folders of worker processes that were killed (their teardown never ran)."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), DATA_PREFIX + "*-*")):
        pid = os.path.basename(path)[len(DATA_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}") and os.stat(path).st_uid == os.geteuid():
            shutil.rmtree(path, ignore_errors=True)


def _retry(job: dict, reason: str) -> dict:
    return {"student": job.get("student"), "assignment": job.get("assignment"), "notebook": job.get("notebook"),
            "status": "retry", "reason": f"grader error ({reason})", "notes": [], "cells": None, "isolation": None,
            "files": []}


def grade_on_worker(plugin_name: str, job: dict, data) -> dict:
    """The Dask task: grade one notebook with this worker's runners."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if not isinstance(plugin, GraderPlugin) or plugin.runners is None:
        why = "; ".join(plugin.refused) if isinstance(plugin, GraderPlugin) else "no grader set up"
        return _retry(job, f"worker {worker.address} cannot grade: {why}")
    return plugin.grade(job, data)


def _stale_plugins(dask_scheduler=None) -> list[str]:
    """Grader plugins left by runs whose client is gone (a parent killed mid-run): their runners idle."""
    live = set(dask_scheduler.clients)
    return [name for name in dask_scheduler.worker_plugins
            if name.startswith(PLUGIN_PREFIX) and name[len(PLUGIN_PREFIX):] not in live]


# -------------------------------------------------------------------- the parent side

def _reachable(address: str) -> None:
    """Fail fast and clearly when nothing listens at a tcp address (Dask itself retries for its timeout)."""
    rest = address.split("://", 1)[1] if "://" in address else address
    if "://" in address and not address.startswith("tcp://"):
        return  # tls://, ucx://: left to Dask's own connection
    host, _, port = rest.rpartition(":")
    try:
        port_number = int(port)
    except ValueError:
        raise CourseError(f"--cluster {address!r} is not a scheduler address: give tcp://HOST:PORT (the "
                          "address `dask scheduler` prints, port 8786 by default) or 'local'") from None
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", port_number), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise CourseError(f"the Dask scheduler at {address} cannot be reached ({exc.strerror or exc}). Start it "
                          "with `dask scheduler` on the scheduler machine and the workers with `dask worker "
                          f"{address}` (see autograder/README.md, 'Grading on a cluster'), or check the address, "
                          "the port and the firewall. Nothing was graded") from None


class ClusterPool:
    """The executor of a Dask cluster (``options.cluster``: a scheduler address, or ``"local"``)."""

    def __init__(self, options: Options, *, preload=(), jobs: int | None = None):
        if options.namespaces is False:
            raise CourseError("--cluster grades only in sandboxes with namespaces (the fallback's checks are "
                              "about this machine's folders, not the workers'): grade on this machine instead")
        import distributed

        self.options, self.cluster, self.client, self.name = options, None, None, None
        self.refused_late: list = []
        address = options.cluster
        try:
            if address == "local":
                # one process per worker, one thread each, as root like this process
                self.cluster = distributed.LocalCluster(
                    n_workers=max(1, options.workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=":0", silence_logs=logging.ERROR)  # its HTTP server on a free port
                address = self.cluster.scheduler_address
            else:
                _reachable(address)
            try:
                self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise CourseError(f"could not connect to the Dask scheduler at {address} ({type(exc).__name__}: "
                                  f"{exc}). Nothing was graded") from None
            self._check(address, preload)
        except BaseException:
            self.close()
            raise

    def _check(self, address: str, preload) -> None:
        client = self.client
        for stale in client.run_on_scheduler(_stale_plugins):
            client.unregister_worker_plugin(stale)
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise CourseError(f"the Dask scheduler at {address} has no worker (waited {WORKER_WAIT:g} s): start "
                              f"them with `dask worker {address}` as root on the grading machines (see "
                              "autograder/README.md, 'Grading on a cluster'). Nothing was graded") from None
        from distributed.versions import get_versions

        mine, own = environment(), get_versions()["packages"]
        scheduler = client.get_versions()["scheduler"]["packages"]
        problems = [f"the scheduler runs {name} {scheduler.get(name)}, this process {own.get(name)}"
                    for name in ("python", "dask", "distributed") if scheduler.get(name) != own.get(name)]
        facts = client.run(worker_facts, on_error="return")
        for worker, found in sorted(facts.items()):
            for problem in problems_of(mine, found):
                host = f" ({found['host']})" if isinstance(found, dict) else ""
                problems.append(f"worker {worker}{host}: {problem}")
        if problems:
            raise CourseError(f"refusing to grade on the Dask cluster at {address}:\n  " + "\n  ".join(problems)
                              + "\nFix or stop those machines and run again. Nothing was graded")
        client.subscribe_topic(EVENT_TOPIC, lambda event: self.refused_late.append(event[1]))
        self.name = PLUGIN_PREFIX + client.id
        client.register_plugin(GraderPlugin(preload, mine), name=self.name)

    def close(self) -> None:
        if self.client is not None:
            try:
                if self.name is not None and self.client.status == "running":
                    self.client.unregister_worker_plugin(self.name)  # stops the runners, removes the data
            except Exception:  # noqa: BLE001 - a worker or the scheduler already gone
                pass
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def _data(self, jobs: list[dict]):
        """The data files of these jobs (one assignment: the same for all), by content, as one task that
        every grading task depends on (sent to the scheduler once, fetched once per worker)."""
        files = sorted({tuple(f) for job in jobs for f in job.get("data_files", [])}, key=lambda f: f[1])
        if not files:
            return None
        try:
            contents = [[rel, read_regular(path, limit=MAX_DATA_BYTES)] for path, rel in files]
        except (OSError, InvalidNotebook) as exc:
            raise CourseError(f"the assignment's data files could not be read to send them to the workers "
                              f"({exc}): check {os.path.dirname(files[0][0])}") from None
        digest = hashlib.sha256()
        for rel, content in contents:
            digest.update(rel.encode() + b"\0" + hashlib.sha256(content).digest())
        blob = {"digest": digest.hexdigest()[:16], "files": contents}
        import dask

        # a task rather than scattered data: if every worker holding it dies, the scheduler recomputes
        # it (scattered data would be lost); the assignment's files are capped at MAX_DATA_BYTES
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": f"{MAX_DATA_BYTES * 2}B"}):
            return self.client.submit(_identity, blob, key=f"autograder-data-{uuid.uuid4().hex}", pure=False)

    def run(self, jobs: list[dict], on_result, *, label="grading") -> list:
        """Grade ``jobs`` on the cluster; ``on_result(job, result)`` runs in this thread as results
        arrive. A result of status ``retry`` (a grader failure) or a task Dask gave up on is graded
        again, up to ``options.retries`` times, then becomes ``ungradable``. Returns the (job, reason)
        pairs that were retried."""
        from distributed import as_completed

        if not jobs:
            return []
        data = self._data(jobs)
        pending: dict = {}  # task key -> (future, job), until its result is recorded
        done = as_completed(loop=self.client.loop)
        abandoned: list[str] = []

        def submit(job) -> str | None:
            """Send one job; None, or why it could not be sent (the scheduler is gone)."""
            worker_job = {k: v for k, v in job.items() if k != "data_files"}
            key = f"autograder-{label}-{job['student']}-{job['notebook']}-{job['attempt']}-{uuid.uuid4().hex[:8]}"
            try:
                future = self.client.submit(grade_on_worker, self.name, worker_job, data, key=key, pure=False)
            except Exception as exc:  # noqa: BLE001 - a closed client, a lost scheduler
                return f"could not be sent to the Dask scheduler: {type(exc).__name__}: {exc}"
            pending[future.key] = (future, job)
            done.add(future)
            return None

        stop = threading.Event()
        watchdog = threading.Thread(target=self._watch, args=(pending, stop, abandoned), daemon=True)
        bar = _progress(len(jobs), self.options.progress, label)
        retried = []

        def record(job, result):
            on_result(job, result)
            bar.update(1)

        try:
            for job in jobs:
                why = submit(job)
                if why is not None:
                    record(job, dict(_retry(job, why), status="ungradable"))
            watchdog.start()
            for future in done:
                future, job = pending.pop(future.key, (None, None))
                if job is None:
                    continue  # never recorded twice
                result = self._result(future, job, abandoned)
                future.release()
                if result.get("status") == "retry":
                    if job["attempt"] <= self.options.retries:
                        retried.append((job, result.get("reason", "")))
                        why = submit(dict(job, attempt=job["attempt"] + 1))
                        if why is None:
                            continue
                        result = _retry(job, why)
                    result = dict(result, status="ungradable")
                record(job, result)
        finally:
            stop.set()
            bar.close()
            try:
                if pending:
                    self.client.cancel([f for f, _ in pending.values()])
                if data is not None:
                    data.release()
            except Exception:  # noqa: BLE001 - the scheduler is gone: nothing to cancel there
                pass
        for event in self.refused_late:
            sys.stderr.write(f"autograder: worker {event.get('worker')} joined during the run and was refused: "
                             f"{'; '.join(event.get('refused', []))}\n")
        self.refused_late.clear()
        return retried

    def _result(self, future, job: dict, abandoned: list) -> dict:
        """The task's result dict, or a grader failure (never a score) when there is none."""
        if future.status == "finished":
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - the result could not be fetched (its worker died since)
                return _retry(job, f"the result was lost: {type(exc).__name__}: {exc}")
            if (not isinstance(result, dict) or result.get("status") not in ("graded", "retry", "ungradable")
                    or any(result.get(k) != job[k] for k in ("student", "assignment", "notebook"))):
                return _retry(job, "a worker returned a result that is not this notebook's")
            return result
        if future.status == "error":
            exc = future.exception()
            return _retry(job, f"the Dask task failed: {type(exc).__name__}: {str(exc)[:300]}")
        if abandoned:
            return dict(_retry(job, abandoned[0]), status="ungradable")
        if self.client.status != "running":
            return dict(_retry(job, "the connection to the Dask scheduler was lost"), status="ungradable")
        return _retry(job, f"the Dask task ended as {future.status!r}")

    def _watch(self, pending: dict, stop: threading.Event, abandoned: list) -> None:
        """Abandon the rest of the run (ungradable, not a score) when the cluster has had no worker for
        ``NO_WORKER_TIMEOUT`` seconds; Dask itself would wait for one forever."""
        since = None
        while not stop.wait(2.0):
            try:
                workers = len(self.client.scheduler_info()["workers"])
            except Exception:  # noqa: BLE001 - the scheduler is unreachable: no worker either
                workers = 0
            if workers:
                since = None
                continue
            since = since or time.monotonic()
            if time.monotonic() - since > NO_WORKER_TIMEOUT:
                abandoned.append(f"the Dask cluster had no worker for {NO_WORKER_TIMEOUT:g} s")
                try:
                    self.client.cancel([f for f, _ in list(pending.values())])
                except Exception:  # noqa: BLE001
                    pass
                return


def _identity(value):
    return value
