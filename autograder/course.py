"""Grade a whole class: parallel trusted workers, one gradebook writer.

``grade(course, assignment, workers=2)`` finds every
``submitted/<student>/<assignment>/<notebook>.ipynb``, grades each in a worker
process (:mod:`autograder.runner`, which drives one sandbox), and, in this
process only, writes the autograded notebook and the scores into the nbgrader
gradebook (through nbgrader's own ``SaveAutoGrades``, so ``nbgrader export``
and formgrader see them as usual). SQLite has one writer by construction.

A submission that cannot be graded (invalid JSON, a grader failure, a worker
that had to be killed) gets ``needs_manual_grade`` on every grade cell and a
flagged notebook in the gradebook, and ``status = ungradable`` with the reason
in ``<course>/autograder_report.csv``; :func:`export` joins that report to the
gradebook's scores, so "could not be graded, and why" is a column, not a 0.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from . import codec
from .notebook import instructor_imports, reference_cells
from .policies import policy_for
from .sandbox import exposed_paths, kill_uid, namespaces_available, processes_of_uid

REPORT = "autograder_report.csv"
REPORT_FIELDS = ["assignment", "student", "notebook", "status", "reason", "score", "max_score", "notes", "isolation"]


@dataclass
class Options:
    workers: int = 2
    call_timeout: float = 10.0
    cell_timeout: float = 30.0
    budget: float = 240.0
    limits: dict = field(default_factory=dict)
    students: list | None = None
    progress: bool = True


def load_coursedir(course: str):
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course = os.path.abspath(course)
    cfg = Config()
    path = os.path.join(course, "nbgrader_config.py")
    if os.path.exists(path):
        cfg = PyFileConfigLoader("nbgrader_config.py", path=course).load_config()
    coursedir = CourseDirectory(config=cfg)
    if not cfg.get("CourseDirectory", {}).get("root"):
        coursedir.root = course
    if not cfg.get("CourseDirectory", {}).get("db_url"):
        coursedir.db_url = "sqlite:///" + os.path.join(course, "gradebook.db")
    return coursedir


def _pick_uids(n: int) -> list[int]:
    """Dedicated uids no process uses now (a random block, so parallel graders do not collide)."""
    rng = random.Random(os.getpid() ^ time.time_ns())
    uids: list[int] = []
    while len(uids) < n:
        uid = rng.randrange(200_000, 2_000_000)
        if uid not in uids and not processes_of_uid(uid):
            uids.append(uid)
    return uids


class Worker:
    """A trusted worker process, restarted (and its sandbox uid cleaned) when it fails."""

    def __init__(self, uid: int):
        self.uid, self.proc = uid, None

    def _start(self):
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        env = dict(os.environ)
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.runner", str(job_r), str(res_w)],
                                     pass_fds=(job_r, res_w), stdin=subprocess.DEVNULL, env=env)
        os.close(job_r)
        os.close(res_w)
        self.job_w, self.res_r = job_w, res_r

    def grade(self, job: dict, timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            codec.write_message(self.job_w, job)
            return codec.read_message(self.res_r, time.monotonic() + timeout)
        except (TimeoutError, EOFError, OSError, ValueError) as exc:
            self.stop()
            return {"student": job["student"], "assignment": job["assignment"], "notebook": job["notebook"],
                    "status": "ungradable", "reason": f"grader worker failed ({type(exc).__name__}: {exc})",
                    "notes": [], "cells": None, "isolation": None}

    def stop(self):
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


def _progress(total: int, enabled: bool):
    try:
        from tqdm import tqdm  # optional: a nicer bar when installed
    except ImportError:
        tqdm = None
    if enabled and tqdm is not None:
        return tqdm(total=total, unit="nb", desc="grading")

    class Simple:
        def __init__(self):
            self.n, self.t0 = 0, time.monotonic()

        def update(self, k=1):
            self.n += k
            if enabled:
                rate = self.n / max(time.monotonic() - self.t0, 1e-9)
                sys.stderr.write(f"\rgrading {self.n}/{total} [{rate:.1f} nb/s]")
                sys.stderr.flush()

        def close(self):
            if enabled:
                sys.stderr.write("\n")

    return Simple()


def grade(course: str, assignment: str, options: Options | None = None) -> list[dict]:
    """Grade every submission of ``assignment``; return one report row per notebook."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    opts = options or Options()
    coursedir = load_coursedir(course)
    coursedir.assignment_id = assignment
    root = coursedir.root
    source_dir = os.path.join(root, coursedir.source_directory, assignment)
    submitted_root = os.path.join(root, coursedir.submitted_directory)
    notebooks = sorted(f[:-6] for f in os.listdir(source_dir) if f.endswith(".ipynb"))
    refs, imports = {}, {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.find_assignment(assignment)  # raises MissingEntry: run nbgrader generate_assignment first
        for nb in notebooks:
            with open(os.path.join(source_dir, nb + ".ipynb"), encoding="utf-8") as fh:
                src = json.load(fh)
            refs[nb] = reference_cells(gb, nb, assignment, src)
            imports[nb] = instructor_imports(src)
    policy = policy_for(assignment, source_dir)
    students = sorted(
        s for s in os.listdir(submitted_root)
        if os.path.isdir(os.path.join(submitted_root, s, assignment)) and (opts.students is None or s in opts.students)
    ) if os.path.isdir(submitted_root) else []

    hide = [os.path.join(root, d) for d in (coursedir.source_directory, coursedir.submitted_directory,
                                            coursedir.autograded_directory, coursedir.feedback_directory)]
    if coursedir.db_url.startswith("sqlite:///"):
        hide.append(coursedir.db_url[len("sqlite:///"):])
    use_ns = namespaces_available()
    if not use_ns:
        exposed = exposed_paths(hide)
        if exposed:
            raise RuntimeError(
                "refusing to run students' code: this kernel does not allow mount namespaces, and other "
                f"users can read {', '.join(exposed)}; make the course private (chmod 700) or grade on a "
                "machine that allows namespaces")
    jobs = []
    for student in students:
        for nb in notebooks:
            jobs.append({"student": student, "assignment": assignment, "notebook": nb,
                         "path": os.path.join(submitted_root, student, assignment, nb + ".ipynb"),
                         "refs": refs[nb], "imports": imports[nb], "forbidden": policy["forbidden"],
                         "reference_names": policy["reference_names"], "hide": hide, "namespaces": use_ns,
                         "call_timeout": opts.call_timeout, "cell_timeout": opts.cell_timeout,
                         "budget": opts.budget, "limits": opts.limits})
    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    done: queue.Queue = queue.Queue()
    uids = _pick_uids(max(1, opts.workers))

    def work(uid):
        worker = Worker(uid)
        try:
            while True:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                job = dict(job, uid=uid)
                done.put((job, worker.grade(job, opts.budget + 60)))
        finally:
            worker.stop()

    threads = [threading.Thread(target=work, args=(uid,), daemon=True) for uid in uids]
    for t in threads:
        t.start()
    rows = []
    bar = _progress(len(jobs), opts.progress)
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            for _ in range(len(jobs)):
                job, result = done.get()
                rows.append(_record(coursedir, gb, job, result))
                bar.update(1)
    finally:
        bar.close()
        for t in threads:
            t.join()
    _write_report(root, rows)
    return rows


def _record(coursedir, gb, job, result) -> dict:
    """The single writer: autograded notebook, gradebook, report row."""
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader 0.9.6's own Gradebook code triggers SQLAlchemy 2.x autoflush warnings
        warnings.simplefilter("ignore", SAWarning)
        return _record_unchecked(coursedir, gb, job, result)


def _record_unchecked(coursedir, gb, job, result) -> dict:
    import nbformat
    from nbgrader import utils

    student, assignment, nb = job["student"], job["assignment"], job["notebook"]
    root = coursedir.root
    submitted = os.path.join(root, coursedir.submitted_directory, student, assignment)
    timestamp = coursedir.get_existing_timestamp(submitted)
    gb.update_or_create_student(student)
    if timestamp:
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    else:
        gb.update_or_create_submission(assignment, student)
    max_score = sum(ref["points"] for ref in job["refs"] if ref["grade"])
    score = 0.0
    status, reason = result.get("status", "ungradable"), result.get("reason", "")
    sub = gb.find_submission_notebook(nb, assignment, student)
    if status == "graded" and result.get("cells") is not None:
        cells = result["cells"]
        for i, cell in enumerate(cells):
            cell.setdefault("id", f"cell-{i}")
        notebook = nbformat.from_dict({"cells": cells, "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "autograder": {"notes": result.get("notes", []), "isolation": result.get("isolation")}},
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
        outdir = os.path.join(root, coursedir.autograded_directory, student, assignment)
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, nb + ".ipynb"), "w", encoding="utf-8") as fh:
            json.dump(notebook, fh, indent=1)
        flagged = any(n.startswith(("cell", "test cell")) or "reference" in n or "guard" in n
                      for n in result.get("notes", []))
    else:
        status, flagged = "ungradable", True
        for grade in sub.grades:
            grade.auto_score = None
            grade.needs_manual_grade = True
    sub.flagged = bool(flagged)
    gb.db.commit()
    return {"assignment": assignment, "student": student, "notebook": nb, "status": status, "reason": reason,
            "score": score if status == "graded" else "", "max_score": max_score,
            "notes": " | ".join(result.get("notes", []))[:4000], "isolation": result.get("isolation") or ""}


def _write_report(root: str, rows: list[dict]) -> None:
    path = os.path.join(root, REPORT)
    keep = []
    keys = {(r["assignment"], r["student"], r["notebook"]) for r in rows}
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as fh:
            keep = [r for r in csv.DictReader(fh) if (r["assignment"], r["student"], r["notebook"]) not in keys]
    with open(path + ".tmp", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        for row in sorted(keep + rows, key=lambda r: (r["assignment"], r["student"], r["notebook"])):
            writer.writerow({k: row.get(k, "") for k in REPORT_FIELDS})
    os.replace(path + ".tmp", path)


def export(course: str, out: str) -> list[dict]:
    """nbgrader's per-student scores plus ``status`` and ``reason`` from the report."""
    from nbgrader.api import Gradebook

    coursedir = load_coursedir(course)
    report = {}
    path = os.path.join(coursedir.root, REPORT)
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                key = (r["assignment"], r["student"])
                if key not in report or r["status"] == "ungradable":
                    report[key] = r
    rows = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
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
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["assignment"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
