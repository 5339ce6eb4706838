"""Grade a whole class: parallel trusted workers, one gradebook writer, fail closed.

``grade(course, assignment, options)``:

1. **prepares** everything before a student is graded, and stops with a
   one-paragraph :class:`CourseError` (nothing written) when the course cannot
   be graded: no such assignment or gradebook entry (``generate_assignment`` was
   not run), a gradebook that cannot be opened, a reference-use policy naming
   something that does not exist, a sandbox that would expose the course;
2. reads every submission **safely**: ``submitted/<student>/<assignment>/`` and
   the notebooks in it must be real folders and regular files (never followed
   through a symbolic link), a notebook that is missing from a submission that
   has others is graded 0 (as nbgrader does), an empty submission folder is
   skipped (as nbgrader does), ``CourseDirectory.student_id_exclude`` is honoured;
3. runs the **canary** (unless ``options.canary`` is False): the assignment's
   own reference solution and its blank release, graded in exactly the sandbox
   set-up the class gets; unless the reference gets every autograded point and
   the blank none, nobody is graded (:class:`CanaryFailed`, with the failing cells);
4. grades every notebook in a worker process (:mod:`autograder.runner`); a
   notebook whose grading failed because of the grader (not the student's code)
   is graded again once from scratch, and otherwise recorded as
   ``ungradable: grader error (...)``, never as a score;
5. records each result in this process only (the single gradebook writer,
   through nbgrader's API, so ``nbgrader export`` and formgrader see the grades);
   a notebook that cannot be recorded is ``ungradable`` with its reason and every
   other student is still recorded; writes ``<course>/autograder_report.csv``.
"""

from __future__ import annotations

import base64
import csv
import datetime
import json
import os
import queue
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import codec, fallback
from .notebook import InvalidNotebook, instructor_imports, parse_submission, read_regular, reference_cells
from .policies import policy_for
from .sandbox import SANDBOX_GID, exposed_trees, namespaces_available, pick_uids

REPORT = "autograder_report.csv"
REPORT_FIELDS = ["assignment", "student", "notebook", "status", "reason", "score", "max_score", "notes", "isolation"]
CANARY_STUDENT = "autograder-canary"
MAX_DATA_BYTES = 200 * 1024 * 1024
MAX_COPIED_FILE = 20 * 1024 * 1024


class CourseError(Exception):
    """The course cannot be graded as it is; the message says what to run. Nothing was written.

    ``paths`` lists the files or folders the message asks to change, when there are any.
    """

    def __init__(self, message: str, paths=()):
        super().__init__(message)
        self.paths = list(paths)


class CanaryFailed(Exception):
    """The reference solution or the blank release did not get the expected grade: nobody was graded."""


@dataclass
class Options:
    workers: int = 2
    call_timeout: float = 10.0
    cell_timeout: float = 30.0
    budget: float = 240.0
    limits: dict = field(default_factory=dict)
    students: list | None = None
    progress: bool = True
    canary: bool = True
    retries: int = 1
    namespaces: bool | None = None  # None: use them when the kernel allows (tests force the fallback)


class Rows(list):
    """The report rows, plus what the run met on the way (for the command's summary)."""

    retried: list
    skipped: list
    canary_seconds: float
    isolation: str
    granted: list


def load_coursedir(course: str):
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course = os.path.abspath(course)
    if not os.path.isdir(course):
        raise CourseError(f"no course folder {course}: give the folder that holds nbgrader_config.py and "
                          "source/ (e.g. --course exercises)")
    cfg = Config()
    path = os.path.join(course, "nbgrader_config.py")
    if os.path.exists(path):
        try:
            cfg = PyFileConfigLoader("nbgrader_config.py", path=course).load_config()
        except Exception as exc:  # noqa: BLE001 - the instructor's file: say which and why
            raise CourseError(f"{path} could not be read ({type(exc).__name__}: {exc}); fix it and run "
                              "again") from None
    coursedir = CourseDirectory(config=cfg)
    if not cfg.get("CourseDirectory", {}).get("root"):
        coursedir.root = course
    if not cfg.get("CourseDirectory", {}).get("db_url"):
        coursedir.db_url = "sqlite:///" + os.path.join(course, "gradebook.db")
    coursedir._autograder_exchange = cfg.get("Exchange", {}).get("root") or "/usr/local/share/nbgrader/exchange"
    return coursedir


def _gradebook(coursedir):
    """nbgrader's Gradebook, opened with a clear message if it cannot be."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    # nbgrader runs the `alembic` command from PATH when it makes a gradebook: this environment's
    here = os.path.dirname(sys.executable)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")
    url = coursedir.db_url
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        raise CourseError(f"there is no gradebook at {url[len('sqlite:///'):]}: run `nbgrader generate_assignment "
                          "ASSIGNMENT` from the course folder first (it creates the gradebook and records the "
                          "assignment's tests)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            return Gradebook(url, coursedir.course_id)
    except FileNotFoundError as exc:
        raise CourseError(f"nbgrader could not run {exc.filename!r} to open the gradebook: run the grader with "
                          "the course environment's Python (e.g. .venv/bin/python -m autograder ...), whose "
                          "bin/ holds alembic") from None
    except Exception as exc:  # noqa: BLE001 - any database failure: say so, never a traceback
        raise CourseError(f"the gradebook {_safe_url(url)} could not be opened ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}). Check the database is running and that "
                          "its password is in ~/.pgpass (not in nbgrader_config.py); see autograder/README.md") from None


def _safe_url(url: str) -> str:
    """A database URL with any password removed (it goes into messages)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


# -------------------------------------------------------------------- reading submissions safely

def _open_dir(name: str, dir_fd: int | None = None) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)


def _read_timestamp(afd: int):
    """(datetime or None, note or None) from timestamp.txt, never raising."""
    from nbgrader.utils import parse_utc

    try:
        text = read_regular("timestamp.txt", limit=1000, dir_fd=afd).decode("utf-8", "replace").strip()
    except FileNotFoundError:
        return None, None
    except (OSError, InvalidNotebook) as exc:
        return None, f"timestamp.txt ignored ({exc})"
    if not text:
        return None, None
    try:
        return parse_utc(text), None
    except (ValueError, OverflowError, TypeError) as exc:
        return None, f"timestamp.txt ignored: {text[:60]!r} is not a time ({exc})"


def _submissions(coursedir, assignment: str, notebooks: list[str], only: list | None):
    """Yield (student, {notebook: dict | InvalidNotebook | None}, timestamp, notes); skipped students as
    (student, None, None, [why])."""
    root = os.path.join(coursedir.root, coursedir.submitted_directory)
    if not os.path.isdir(root):
        return
    exclude = {s for s in coursedir.student_id_exclude.split(",") if s}
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        student = entry.name
        if (only is not None and student not in only) or student.startswith("."):
            continue
        if student in exclude:
            yield student, None, None, ["excluded by CourseDirectory.student_id_exclude"]
            continue
        try:
            sfd = _open_dir(entry.path)
        except OSError as exc:
            if os.path.islink(entry.path):
                yield student, {nb: InvalidNotebook("the submission folder is a symbolic link") for nb in notebooks}, \
                    None, []
            elif not entry.is_dir(follow_symlinks=False):
                continue
            else:
                yield student, {nb: InvalidNotebook(f"unreadable submission folder ({exc.strerror})")
                                for nb in notebooks}, None, []
            continue
        try:
            try:
                afd = _open_dir(assignment, sfd)
            except FileNotFoundError:
                continue  # did not submit this assignment
            except OSError as exc:
                reason = "the assignment folder is a symbolic link" if os.path.islink(
                    os.path.join(entry.path, assignment)) else f"unreadable assignment folder ({exc.strerror})"
                yield student, {nb: InvalidNotebook(reason) for nb in notebooks}, None, []
                continue
            try:
                found = {}
                for nb in notebooks:
                    try:
                        found[nb] = parse_submission(read_regular(nb + ".ipynb", dir_fd=afd))
                    except FileNotFoundError:
                        found[nb] = None
                    except InvalidNotebook as exc:
                        found[nb] = exc
                    except OSError as exc:
                        found[nb] = InvalidNotebook(f"unreadable notebook ({exc.strerror})")
                timestamp, note = _read_timestamp(afd)
            finally:
                os.close(afd)
        finally:
            os.close(sfd)
        if all(v is None for v in found.values()):
            yield student, None, None, ["no notebook of the assignment in the submission folder"]
            continue
        yield student, found, timestamp, [note] if note else []


# -------------------------------------------------------------------- preparing a run

@dataclass
class Plan:
    coursedir: object
    root: str
    assignment: str
    notebooks: list
    refs: dict
    imports: dict
    policy: dict
    common: dict           # what every job of this assignment carries
    grants: object = None  # fallback ACL grants, restored at the end
    tmpdir: str | None = None


def _data_files(coursedir, assignment: str) -> list[tuple[str, str]]:
    """The assignment's own non-notebook files (from source/, as nbgrader copies them), never the student's."""
    from nbgrader import utils

    source = os.path.join(coursedir.root, coursedir.source_directory, assignment)
    out, total = [], 0
    for path in sorted(utils.find_all_files(source, list(coursedir.ignore) + ["*.ipynb"])):
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            continue
        total += st.st_size
        if total > MAX_DATA_BYTES:
            raise CourseError(f"the files of {source} add up to more than {MAX_DATA_BYTES >> 20} MB; the sandbox "
                              "copies them for every submission: keep large data out of the assignment folder")
        out.append((path, os.path.relpath(path, source)))
    return out


def _isolation(coursedir, options: Options, needed: list[str], hide: list[str]):
    """(namespaces?, grants) for this machine; CourseError if the fallback would expose the course."""
    use_ns = namespaces_available() if options.namespaces is None else options.namespaces
    if use_ns:
        return True, None
    try:
        grants = fallback.grant_traverse(needed, SANDBOX_GID)
    except OSError as exc:
        folders = " ".join(fallback.private_ancestors(needed))
        raise CourseError(
            "this kernel refuses the sandbox's namespaces (a container without CAP_SYS_ADMIN?), so the students' "
            f"code runs as a plain user, which cannot reach the Python environment under {folders}, and the "
            f"grader could not add a traverse-only ACL there ({exc.strerror}). Either grade with namespaces (see "
            f"autograder/README.md, 'Containers'), install Python outside private folders, or run `chmod o+x "
            f"{folders}`") from None
    exchange = coursedir._autograder_exchange
    # hidden tests live in the history of the repository that holds the course (and mlekit, when it is
    # installed from that repository); the interpreter's own checkout (pyenv's) is nobody's secret
    interpreter = tuple(os.path.realpath(p).rstrip("/") + "/" for p in {sys.prefix, sys.base_prefix})
    packages = [p for p in needed if not (os.path.realpath(p) + "/").startswith(interpreter)]
    repositories = fallback.git_dirs_of([coursedir.root] + packages)
    secrets = hide + repositories + fallback.courses_in(repositories, skip=needed)
    exposed = fallback.secrets_exposed(secrets, SANDBOX_GID)
    if exposed:
        grants.restore()
        commands = "; ".join(f"chmod 700 {p}" if os.path.isdir(p) else f"chmod 600 {p}" for p in exposed)
        raise CourseError(
            "refusing to run students' code: this kernel refuses the sandbox's namespaces (a container without "
            "CAP_SYS_ADMIN?), so the students' code would run as a plain user that can read "
            f"{', '.join(exposed)}. Make them private for the grading ({commands}) or grade with namespaces "
            "(see autograder/README.md, 'Containers')", exposed)
    for sub in ("", "inbound"):  # students submit there; a sandbox must not plant files for others
        path = os.path.join(exchange, sub)
        if os.path.isdir(path) and os.stat(path).st_mode & 0o002:
            grants.restore()
            raise CourseError(
                f"refusing to run students' code: this kernel refuses the sandbox's namespaces, and the nbgrader "
                f"exchange {path} is writable by every user, so a student's code could plant a submission for "
                "someone else. Grade on a machine (or in a container) that does not hold the exchange, or grade "
                "with namespaces (see autograder/README.md, 'Containers')", [path])
    return False, grants


def prepare(course: str, assignment: str, options: Options) -> Plan:
    from nbgrader.api import MissingEntry

    coursedir = load_coursedir(course)
    coursedir.assignment_id = assignment
    root = coursedir.root
    source_dir = os.path.join(root, coursedir.source_directory, assignment)
    if not os.path.isdir(source_dir):
        known = sorted(os.listdir(os.path.join(root, coursedir.source_directory))) if os.path.isdir(
            os.path.join(root, coursedir.source_directory)) else []
        raise CourseError(f"no assignment {assignment!r} in {os.path.join(root, coursedir.source_directory)}"
                          + (f" (there are: {', '.join(known)})" if known else ""))
    notebooks = sorted(f[:-6] for f in os.listdir(source_dir) if f.endswith(".ipynb"))
    if not notebooks:
        raise CourseError(f"{source_dir} holds no notebook")
    refs, imports = {}, {}
    gb = _gradebook(coursedir)
    try:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"the gradebook has no assignment {assignment!r}: run `nbgrader generate_assignment "
                              f"{assignment}` from the course folder ({root}) first") from None
        for nb in notebooks:
            with open(os.path.join(source_dir, nb + ".ipynb"), encoding="utf-8") as fh:
                src = json.load(fh)
            try:
                refs[nb] = reference_cells(gb, nb, assignment, src)
            except MissingEntry:
                raise CourseError(f"the gradebook does not know {nb}.ipynb of {assignment}: run `nbgrader "
                                  f"generate_assignment {assignment} --force` from {root}") from None
            imports[nb] = instructor_imports(src)
    finally:
        gb.close()
    policy = policy_for(assignment, source_dir)
    if policy["forbidden"]:
        from ._guard import PolicyError, check

        try:
            check(policy["forbidden"])
        except PolicyError as exc:
            raise CourseError(f"the reference-use policy of {assignment} names something this environment does not "
                              f"have: {exc}. Fix metadata.autograder.forbidden in its source notebook") from None
    hide = [os.path.join(root, d) for d in (coursedir.source_directory, coursedir.release_directory,
                                            coursedir.submitted_directory, coursedir.autograded_directory,
                                            coursedir.feedback_directory)]
    hide += [root, os.path.join(root, "nbgrader_config.py"), os.path.join(os.getcwd(), "nbgrader_config.py"),
             coursedir._autograder_exchange]
    if coursedir.db_url.startswith("sqlite:///"):
        hide.append(coursedir.db_url[len("sqlite:///"):])
    hide = [os.path.realpath(p) for p in dict.fromkeys(hide) if os.path.lexists(p)]
    data = _data_files(coursedir, assignment)
    use_ns, grants = _isolation(coursedir, options, exposed_trees(),
                                [h for h in hide if h != os.path.realpath(os.path.join(os.getcwd(),
                                                                                       "nbgrader_config.py"))])
    common = {"assignment": assignment, "forbidden": policy["forbidden"],
              "reference_names": policy["reference_names"], "hide": hide, "namespaces": use_ns,
              "data_files": data, "sandbox_env": {"NBGRADER_EXECUTION": "autograde"},
              "call_timeout": options.call_timeout, "cell_timeout": options.cell_timeout,
              "budget": options.budget, "limits": options.limits}
    return Plan(coursedir, root, assignment, notebooks, refs, imports, policy, common, grants)


def _preload(course: str, assignment: str) -> list[str]:
    """The modules an assignment's notebooks import (solutions included) and its policy names: what the
    sandboxes' zygote imports once. Best effort: a course that cannot be read fails later, clearly."""
    import ast

    try:
        coursedir = load_coursedir(course)
        source = os.path.join(coursedir.root, coursedir.source_directory, assignment)
        names = [f for f in os.listdir(source) if f.endswith(".ipynb")]
    except (CourseError, OSError):
        return []
    modules: list[str] = []
    for name in sorted(names):
        try:
            with open(os.path.join(source, name), encoding="utf-8") as fh:
                nb = json.load(fh)
        except (OSError, ValueError):
            continue
        for target in (t for ts in (nb.get("metadata", {}).get("autograder", {}).get("forbidden") or {}).values()
                       for t in ts):
            modules.append(target.partition(":")[0].removesuffix(".*"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            text = "".join(cell["source"]) if isinstance(cell.get("source"), list) else str(cell.get("source", ""))
            try:
                tree = ast.parse("\n".join(l for l in text.splitlines() if not l.lstrip().startswith(("%", "!"))))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules += [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.append(node.module)
                    modules += [f"{node.module}.{a.name}" for a in node.names]
    return list(dict.fromkeys(m for m in modules if m))


def _estimate_jobs(course: str, assignment: str, options: Options) -> int:
    """How many notebooks the run will grade, roughly (canary included): the workers to start at once."""
    try:
        coursedir = load_coursedir(course)
        root = os.path.join(coursedir.root, coursedir.submitted_directory)
        students = [s for s in os.listdir(root) if os.path.isdir(os.path.join(root, s, assignment))]
        notebooks = len([f for f in os.listdir(os.path.join(coursedir.root, coursedir.source_directory, assignment))
                         if f.endswith(".ipynb")])
    except (CourseError, OSError):
        return options.workers
    if options.students is not None:
        students = [s for s in students if s in options.students]
    return len(students) * notebooks + (2 * notebooks if options.canary else 0)


def _job(plan: Plan, student: str, nb: str, submission: dict) -> dict:
    return dict(plan.common, student=student, notebook=nb, submission=submission, refs=plan.refs[nb],
                imports=plan.imports[nb], attempt=1)


# -------------------------------------------------------------------- workers

class Worker:
    """A trusted worker process, restarted (and its sandbox uid cleaned) when it fails."""

    def __init__(self, uid: int, preload=()):
        self.uid, self.proc, self.preload = uid, None, list(preload)

    def _start(self):
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.runner", str(job_r), str(res_w)],
                                     pass_fds=(job_r, res_w), stdin=subprocess.DEVNULL, env=dict(os.environ))
        os.close(job_r)
        os.close(res_w)
        self.job_w, self.res_r = job_w, res_r
        # start the zygote's imports now, not at the first job
        codec.write_message(self.job_w, {"op": "warm", "preload": self.preload})

    def warm(self):
        """Start the worker (and its zygote) ahead of the first job."""
        if os.geteuid() == 0 and (self.proc is None or self.proc.poll() is not None):
            self._start()

    def grade(self, job: dict, timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            codec.write_message(self.job_w, job)
            return codec.read_message(self.res_r, time.monotonic() + timeout)
        except (TimeoutError, EOFError, OSError, ValueError) as exc:
            self.stop()
            return {"student": job["student"], "assignment": job["assignment"], "notebook": job["notebook"],
                    "status": "retry", "reason": f"grader error (worker failed: {type(exc).__name__}: {exc})",
                    "notes": [], "cells": None, "isolation": None, "files": []}

    def stop(self):
        from .sandbox import kill_uid

        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            for fd in (self.job_w, self.res_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
        if os.geteuid() == 0:
            kill_uid(self.uid)


class Pool:
    """``options.workers`` trusted workers, kept for the canary and the class (one zygote start each).

    The workers that the expected number of jobs will use are started at once, with the modules
    their zygotes should import (``preload``), so that those imports overlap with the parent's
    preparation; the others start at their first job.
    """

    def __init__(self, options: Options, *, preload=(), jobs: int | None = None):
        self.options = options
        self.workers = [Worker(uid, preload) for uid in pick_uids(max(1, options.workers))]
        for worker in self.workers[: len(self.workers) if jobs is None else jobs]:
            worker.warm()

    def close(self):
        for worker in self.workers:
            worker.stop()

    def run(self, jobs: list[dict], on_result, *, label="grading") -> list:
        """Grade ``jobs``; ``on_result(job, result)`` runs in this thread as results arrive. A result
        with ``status == "retry"`` (a grader failure) is graded again, up to ``options.retries`` times,
        then becomes ``ungradable``. Returns the (job, reason) pairs that were retried."""
        todo: queue.Queue = queue.Queue()
        for job in jobs:
            todo.put(job)
        done: queue.Queue = queue.Queue()
        budget = self.options.budget + 120

        def work(worker):
            while True:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                done.put((job, worker.grade(dict(job, uid=worker.uid), budget)))

        busy = self.workers[: max(1, min(len(self.workers), len(jobs)))]
        threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in busy]
        for t in threads:
            t.start()
        bar = _progress(len(jobs), self.options.progress, label)
        retried, remaining = [], len(jobs)
        try:
            while remaining:
                job, result = done.get()
                if result.get("status") == "retry":
                    if job["attempt"] <= self.options.retries:
                        retried.append((job, result.get("reason", "")))
                        todo.put(dict(job, attempt=job["attempt"] + 1))
                        if not any(t.is_alive() for t in threads):  # every thread ended meanwhile
                            t = threading.Thread(target=work, args=(busy[0],), daemon=True)
                            threads.append(t)
                            t.start()
                        continue
                    result = dict(result, status="ungradable")
                on_result(job, result)
                remaining -= 1
                bar.update(1)
        finally:
            bar.close()
            for t in threads:
                t.join()
        return retried


def _progress(total: int, enabled: bool, label: str):
    try:
        from tqdm import tqdm  # optional: a nicer bar when installed
    except ImportError:
        tqdm = None
    if enabled and tqdm is not None:
        return tqdm(total=total, unit="nb", desc=label)

    class Simple:
        def __init__(self):
            self.n, self.t0 = 0, time.monotonic()

        def update(self, k=1):
            self.n += k
            if enabled:
                rate = self.n / max(time.monotonic() - self.t0, 1e-9)
                sys.stderr.write(f"\r{label} {self.n}/{total} [{rate:.1f} nb/s]")
                sys.stderr.flush()

        def close(self):
            if enabled:
                sys.stderr.write("\n")

    return Simple()


# -------------------------------------------------------------------- the canary

def _points(cells, refs) -> tuple[float, float, list[str]]:
    """(score, max, failing test cells with their error) of graded cells."""
    from nbformat import from_dict
    from nbgrader import utils

    score = total = 0.0
    failing = []
    for cell in cells:
        cell = from_dict(cell)
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            got, max_points = utils.determine_grade(cell)
            score += got or 0.0
            total += max_points or 0.0
            if (got or 0.0) < (max_points or 0.0):
                err = next((f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                            if o.get("output_type") == "error"), "no error output")
                failing.append(f"{cell.metadata.nbgrader.grade_id} ({got or 0:g}/{max_points:g}): {err[:300]}")
    return score, total, failing


def _canary_notebooks(plan: Plan, nb: str) -> tuple[dict, dict]:
    """(reference, blank) of one notebook: the source as written (with the source notebook's
    ``metadata.autograder.canary_replace`` substitutions) and the release (or the source without solutions)."""
    root, cd = plan.root, plan.coursedir
    with open(os.path.join(root, cd.source_directory, plan.assignment, nb + ".ipynb"), encoding="utf-8") as fh:
        source = json.load(fh)
    replace = source.get("metadata", {}).get("autograder", {}).get("canary_replace", [])
    reference = json.loads(json.dumps(source))
    for cell in reference["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for old, new in replace:
            text = text.replace(old, new.replace("{student_id}", CANARY_STUDENT))
        cell["source"] = text
    release = os.path.join(root, cd.release_directory, plan.assignment, nb + ".ipynb")
    if os.path.exists(release):
        with open(release, encoding="utf-8") as fh:
            blank = json.load(fh)
    else:
        blank = json.loads(json.dumps(source))
        for cell in blank["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
                cell["source"] = "raise NotImplementedError()"
    return reference, blank


def canary(plan: Plan, pool: Pool) -> float:
    """Grade the reference and the blank release in the class's set-up; raise CanaryFailed unless the
    reference gets every autograded point and the blank none. Returns the seconds it took."""
    t0 = time.monotonic()
    jobs = []
    for nb in plan.notebooks:
        reference, blank = _canary_notebooks(plan, nb)
        jobs.append(dict(_job(plan, CANARY_STUDENT, nb, reference), canary="reference"))
        jobs.append(dict(_job(plan, CANARY_STUDENT, nb, blank), canary="blank"))
    problems = []

    def check(job, result):
        what = f"{job['canary']} solution of {job['notebook']}.ipynb"
        if result.get("status") != "graded":
            problems.append(f"the {what} could not be graded: {result.get('reason')}")
            return
        score, total, failing = _points(result["cells"], plan.refs[job["notebook"]])
        if job["canary"] == "reference" and score < total:
            problems.append(f"the {what} got {score:g} of {total:g} points; failing cells:\n    "
                            + "\n    ".join(failing))
        if job["canary"] == "blank" and score > 0:
            problems.append(f"the blank release of {job['notebook']}.ipynb got {score:g} points (expected 0)")

    pool.run(jobs, check, label="canary")
    if problems:
        raise CanaryFailed(
            f"the canary failed, so nobody was graded: {plan.assignment}'s own reference solution and blank "
            "release, graded in the sandbox the class would get, did not get full marks and zero.\n  "
            + "\n  ".join(problems)
            + "\nFix the assignment or the grading machine (the errors above say which), or skip this check "
              "with --no-canary if you know why it fails.")
    return time.monotonic() - t0


# -------------------------------------------------------------------- the whole run

def grade(course: str, assignment: str, options: Options | None = None) -> Rows:
    """Grade every submission of ``assignment``; return one report row per notebook."""
    opts = options or Options()
    pool = Pool(opts, preload=_preload(course, assignment),
                jobs=_estimate_jobs(course, assignment, opts))
    try:
        plan = prepare(course, assignment, opts)
        try:
            return _grade(plan, opts, pool)
        finally:
            if plan.grants is not None:
                plan.grants.restore()
    finally:
        pool.close()


def _grade(plan: Plan, opts: Options, pool: Pool) -> Rows:
    rows = Rows()
    rows.retried, rows.skipped, rows.canary_seconds = [], [], 0.0
    rows.granted = plan.grants.paths if plan.grants is not None else []
    jobs, direct = [], []  # direct: recorded without a sandbox (invalid, missing notebooks)
    timestamps, sub_notes = {}, {}
    for student, found, timestamp, notes in _submissions(plan.coursedir, plan.assignment, plan.notebooks,
                                                         opts.students):
        if found is None:
            rows.skipped.append((student, notes[0]))
            continue
        timestamps[student], sub_notes[student] = timestamp, notes
        for nb, submission in found.items():
            if isinstance(submission, dict):
                jobs.append(_job(plan, student, nb, submission))
            else:
                direct.append((student, nb, submission))
    if not jobs and not direct:
        _write_report(plan.root, rows)
        return rows
    if opts.canary:
        rows.canary_seconds = canary(plan, pool)
    writer = _Writer(plan, timestamps, sub_notes)
    try:
        for student, nb, problem in direct:
            rows.append(writer.record(dict(plan.common, student=student, notebook=nb, refs=plan.refs[nb]),
                                      {"status": "missing" if problem is None else "ungradable",
                                       "reason": "" if problem is None else str(problem), "notes": []}))
        rows.retried = pool.run(jobs, lambda job, result: rows.append(writer.record(job, result)))
    finally:
        writer.close()
    rows.isolation = next((r["isolation"] for r in rows if r.get("isolation")), "")
    _write_report(plan.root, rows)
    return rows


class _Writer:
    """The single gradebook writer; a notebook it cannot record is ``ungradable``, the others go on."""

    def __init__(self, plan: Plan, timestamps: dict, notes: dict):
        self.plan, self.timestamps, self.notes = plan, timestamps, notes
        self.gb = _gradebook(plan.coursedir)

    def close(self):
        self.gb.close()

    def record(self, job: dict, result: dict) -> dict:
        import warnings

        from sqlalchemy.exc import SAWarning

        try:
            with warnings.catch_warnings():
                # nbgrader 0.9.6's own Gradebook code triggers SQLAlchemy 2.x autoflush warnings
                warnings.simplefilter("ignore", SAWarning)
                return _record(self.plan, self.gb, job, result, self.timestamps.get(job["student"]),
                               self.notes.get(job["student"], []))
        except Exception as exc:  # noqa: BLE001 - this notebook only; every other student is still recorded
            self.gb.db.rollback()
            row = {"assignment": job["assignment"], "student": job["student"], "notebook": job["notebook"],
                   "status": "ungradable", "reason": f"could not be recorded ({type(exc).__name__}: {exc})"[:500],
                   "score": "", "max_score": sum(r["points"] for r in job["refs"] if r["grade"]),
                   "notes": "", "isolation": result.get("isolation") or ""}
            try:
                sub = self.gb.find_submission_notebook(job["notebook"], job["assignment"], job["student"])
                for grade in sub.grades:
                    grade.auto_score, grade.needs_manual_grade = None, True
                sub.flagged = True
                self.gb.db.commit()
            except Exception:  # noqa: BLE001
                self.gb.db.rollback()
            return row


def _safe_relpath(rel: str) -> str | None:
    rel = os.path.normpath(rel)
    if os.path.isabs(rel) or rel.startswith("..") or rel in (".", "") or "\x00" in rel:
        return None
    return rel


def _write_file(dest_dir: str, rel: str, data: bytes) -> None:
    """Write one file under ``dest_dir`` without following any link the student could have placed."""
    rel = _safe_relpath(rel)
    if rel is None:
        return
    path = os.path.join(dest_dir, rel)
    parent = os.path.dirname(path)
    if os.path.realpath(parent) != os.path.normpath(parent) or not parent.startswith(dest_dir):
        return
    os.makedirs(parent, exist_ok=True)
    if os.path.lexists(path):
        if os.path.islink(path) or not os.path.isfile(path):
            return
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _copy_submitted_files(src_dir: str, dest_dir: str, skip: set) -> None:
    """The student's other submitted files into autograded/ (as nbgrader does), links never followed."""
    count = 0
    for folder, dirs, files in os.walk(src_dir, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), src_dir)
            if rel in skip or count >= 200:
                continue
            try:
                data = read_regular(os.path.join(folder, name), limit=MAX_COPIED_FILE)
            except (OSError, InvalidNotebook):
                continue
            _write_file(dest_dir, rel, data)
            count += 1


def _record(plan: Plan, gb, job: dict, result: dict, timestamp, submission_notes: list) -> dict:
    import nbformat
    from nbgrader import utils

    student, assignment, nb = job["student"], job["assignment"], job["notebook"]
    root, cd = plan.root, plan.coursedir
    gb.update_or_create_student(student)
    if timestamp:
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    else:
        gb.update_or_create_submission(assignment, student)
    max_score = sum(ref["points"] for ref in job["refs"] if ref["grade"])
    score = 0.0
    status, reason = result.get("status", "ungradable"), result.get("reason", "")
    notes = list(submission_notes) + list(result.get("notes", []))
    sub = gb.find_submission_notebook(nb, assignment, student)
    outdir = os.path.join(root, cd.autograded_directory, student, assignment)
    if status == "graded" and result.get("cells") is not None:
        cells = result["cells"]
        for i, cell in enumerate(cells):
            cell.setdefault("id", f"cell-{i}")
        notebook = nbformat.from_dict({"cells": cells, "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "autograder": {"notes": notes, "isolation": result.get("isolation")}},
            "nbformat": 4, "nbformat_minor": 5})
        # what nbgrader's SaveAutoGrades does, on the one open gradebook session
        for cell in notebook.cells:
            if utils.is_grade(cell):
                grade = gb.find_grade(cell.metadata.nbgrader.grade_id, nb, assignment, student)
                auto_score, _ = utils.determine_grade(cell)
                grade.auto_score = auto_score
                grade.needs_manual_grade = (grade.manual_score is not None) or (auto_score is None)
                if cell.cell_type == "code" and not utils.is_solution(cell):
                    score += auto_score or 0.0
            if utils.is_solution(cell) or utils.is_task(cell):
                comment = gb.find_comment(cell.metadata.nbgrader.grade_id, nb, assignment, student)
                unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
                comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None
        os.makedirs(outdir, exist_ok=True)
        submitted = os.path.join(root, cd.submitted_directory, student, assignment)
        _copy_submitted_files(submitted, outdir, {f"{n}.ipynb" for n in plan.notebooks})
        for path, rel in job.get("data_files", []):  # the instructor's versions win, as in nbgrader
            try:
                _write_file(outdir, rel, read_regular(path, limit=MAX_DATA_BYTES))
            except (OSError, InvalidNotebook):
                pass
        data_names = {rel for _, rel in job.get("data_files", [])}
        for rel, b64 in result.get("files", []):  # what the notebook wrote while it ran
            if rel not in data_names and rel != f"{nb}.ipynb" and rel != "timestamp.txt":
                try:
                    _write_file(outdir, rel, base64.b64decode(b64, validate=True))
                except (ValueError, OSError):
                    pass
        _write_file(outdir, f"{nb}.ipynb", json.dumps(notebook, indent=1).encode("utf-8"))
        flagged = any(n.startswith(("cell", "test cell", "read-only cell")) or "reference" in n or "guard" in n
                      or "watch" in n or "refused" in n for n in notes)
    elif status == "missing":
        # as nbgrader: a notebook missing from a submission is graded zero, not left for a human
        status, flagged = "graded", False
        notes.append(f"{nb}.ipynb is missing from the submission: graded 0")
        for grade in sub.grades:
            grade.auto_score = 0.0
            grade.needs_manual_grade = False
    else:
        status, flagged = "ungradable", True
        for grade in sub.grades:
            grade.auto_score = None
            grade.needs_manual_grade = True
    sub.flagged = bool(flagged)
    gb.db.commit()
    return {"assignment": assignment, "student": student, "notebook": nb, "status": status, "reason": reason,
            "score": score if status == "graded" else "", "max_score": max_score,
            "notes": " | ".join(notes)[:4000], "isolation": result.get("isolation") or ""}


def _write_report(root: str, rows: list[dict]) -> None:
    path = os.path.join(root, REPORT)
    keep = []
    keys = {(r["assignment"], r["student"], r["notebook"]) for r in rows}
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as fh:
            keep = [r for r in csv.DictReader(fh) if (r["assignment"], r["student"], r["notebook"]) not in keys]
    with open(path + ".tmp", "w", newline="", encoding="utf-8", errors="replace") as fh:
        writer = csv.DictWriter(fh, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        for row in sorted(keep + list(rows), key=lambda r: (r["assignment"], r["student"], r["notebook"])):
            writer.writerow({k: row.get(k, "") for k in REPORT_FIELDS})
    os.replace(path + ".tmp", path)


def export(course: str, out: str | None = None) -> list[dict]:
    """nbgrader's per-student scores plus ``status`` and ``reason`` from the report."""
    coursedir = load_coursedir(course)
    out = out or os.path.join(coursedir.root, "grades.csv")
    report = {}
    path = os.path.join(coursedir.root, REPORT)
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                key = (r["assignment"], r["student"])
                if key not in report or r["status"] == "ungradable":
                    report[key] = r
    rows = []
    gb = _gradebook(coursedir)
    try:
        for assignment in gb.assignments:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except Exception:  # noqa: BLE001 - MissingEntry: no submission
                    sub = None
                rep = report.get((assignment.name, student.id))
                if sub is None:
                    status, score = "missing", 0.0
                elif rep is not None and rep["status"] == "ungradable":
                    status, score = "ungradable", ""
                else:
                    status, score = "graded", sub.score
                rows.append({"assignment": assignment.name, "student_id": student.id,
                             "score": score, "max_score": assignment.max_score, "status": status,
                             "reason": rep["reason"] if rep is not None and status == "ungradable" else "",
                             "needs_manual_grade": bool(sub.needs_manual_grade) if sub is not None else False})
    finally:
        gb.close()
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["assignment"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
