"""The gradebook in PostgreSQL (how a course that outgrows one machine runs it).

Starts a throw-away PostgreSQL server (unix socket only, in a temporary folder),
generates ps01 into it with nbgrader, grades three submissions in parallel and
reads the scores back. Skips, saying why, when PostgreSQL or its driver is not
available.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.course import Options, grade

from .conftest import (ASSIGNMENT, FULL, POINTS, REPO, honest_notebook, require_root, set_solution, submit,
                       venv_env)


@pytest.fixture
def postgres():
    require_root()
    pytest.importorskip("psycopg2", reason="no PostgreSQL driver (psycopg2) installed")
    bindir = None
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            bindir = candidate
            break
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no 'postgres' user to run the server as")
    base = tempfile.mkdtemp(prefix="ag-pg-")  # the server cannot run as root nor reach pytest's 0700 tmp
    os.chown(base, user.pw_uid, user.pw_gid)
    data, sock = os.path.join(base, "data"), base

    def as_postgres(*cmd, **kw):
        return subprocess.run(cmd, user=user.pw_uid, group=user.pw_gid, capture_output=True, text=True,
                              timeout=120, **kw)

    try:
        proc = as_postgres(str(bindir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust")
        if proc.returncode != 0:
            pytest.skip(f"initdb failed: {proc.stderr[-500:]}")
        proc = as_postgres(str(bindir / "pg_ctl"), "-D", data, "-w", "-l", os.path.join(base, "log"), "-o",
                           f"-k {sock} -c listen_addresses=''", "start")
        if proc.returncode != 0:
            pytest.skip(f"PostgreSQL did not start: {proc.stderr[-500:]}")
        yield f"postgresql+psycopg2://postgres@/postgres?host={sock}"
    finally:
        as_postgres(str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_grading_into_postgresql(postgres, tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    config = (REPO / "exercises" / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    shutil.copytree(REPO / "exercises" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    proc = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", ASSIGNMENT,
                           "--force"], cwd=course, capture_output=True, text=True, timeout=300, env=venv_env())
    assert (course / "release" / ASSIGNMENT).exists(), proc.stderr[-2000:]
    assert not (course / "gradebook.db").exists()  # the gradebook really is in PostgreSQL
    for student, wrong in (("ann", False), ("ben", True), ("cat", False)):
        nb = honest_notebook(course)
        if wrong:
            set_solution(nb, "c_mle_answer", "def mle(x):\n    return 0.5\n")
        submit(course, student, nb)
    rows = grade(str(course), ASSIGNMENT, Options(workers=2, progress=False))
    assert {r["student"]: r["score"] for r in rows} == {"ann": FULL, "ben": FULL - 3, "cat": FULL}

    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(postgres) as gb:
            sub = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ben")
            scores = {g.name: g.auto_score for g in sub.grades if g.name in POINTS}
    assert scores == {g: (0.0 if g in ("c_mle_values", "c_mle_edges") else float(p)) for g, p in POINTS.items()}
