"""The gradebook in PostgreSQL, set up exactly as ``autograder/README.md`` says (issue 15, item 1).

Starts a throw-away PostgreSQL server (unix socket only, in a temporary folder,
password authentication as on a real server) and follows the README's steps:
the role and the database made with the two documented ``psql`` commands, the
password in a password file (``~/.pgpass`` on a real machine; here the file that
``PGPASSFILE`` names, so that the tests do not write into root's home), the URL in
``nbgrader_config.py`` with the driver and without the password. Then
``nbgrader generate_assignment`` fills it, the hardened grader grades three
submissions into it with two workers, and the scores are read back through
nbgrader's API. Also checked: without the password file the same command fails
with the error the README's troubleshooting names, and a connection service file
(``pg_service.conf``) works too. Skips, saying why, when PostgreSQL or its driver
is not available.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

from autograder.course import Options, grade

from .conftest import ASSIGNMENT, FULL, POINTS, REPO, honest_notebook, require_root, set_solution, submit, venv_env

DATABASE, ROLE = "mle_course", "grader"


@pytest.fixture
def postgres(tmp_path):
    """A running server: ``(socket folder, password file, run-as-postgres helper)``."""
    require_root()
    pytest.importorskip("psycopg2", reason="no PostgreSQL driver (psycopg2) installed")
    bindir = next((c for c in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
                   if (c / "initdb").exists()), None)
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
        return subprocess.run([str(bindir / cmd[0]) if (bindir / cmd[0]).exists() else cmd[0], *cmd[1:]],
                              user=user.pw_uid, group=user.pw_gid, capture_output=True, text=True, timeout=120, **kw)

    try:
        # As on a Debian server: the postgres user by peer authentication, everyone else by password.
        proc = as_postgres("initdb", "-D", data, "-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256")
        if proc.returncode != 0:
            pytest.skip(f"initdb failed: {proc.stderr[-500:]}")
        with open(os.path.join(data, "pg_hba.conf"), "w") as fh:
            fh.write("local all postgres peer\nlocal all all scram-sha-256\n")
        proc = as_postgres("pg_ctl", "-D", data, "-w", "-l", os.path.join(base, "log"), "-o",
                           f"-k {sock} -c listen_addresses=''", "start")
        if proc.returncode != 0:
            pytest.skip(f"PostgreSQL did not start: {proc.stderr[-500:]}")
        yield sock, tmp_path / "pgpass", lambda *cmd: as_postgres(*cmd)
    finally:
        as_postgres("pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _psql(as_postgres, sock: str, sql: str):
    """``sudo -u postgres psql -c SQL`` (with ``-h``: the test server's socket is not the default one)."""
    proc = as_postgres("psql", "-h", sock, "-v", "ON_ERROR_STOP=1", "-c", sql)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
def test_grading_into_postgresql_as_documented(postgres, tmp_path, monkeypatch):
    sock, pgpass, as_postgres = postgres
    password = secrets.token_urlsafe(24)
    # README step 2: the role and the database.
    _psql(as_postgres, sock, f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'")
    _psql(as_postgres, sock, f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
    # README step 4: the URL, with the driver and without the password, in nbgrader_config.py.
    url = f"postgresql+psycopg2://{ROLE}@/{DATABASE}?host={sock}"
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    config = (REPO / "exercises" / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.CourseDirectory.db_url = {url!r}\n")
    shutil.copytree(REPO / "exercises" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    assert password not in (course / "nbgrader_config.py").read_text()
    nbgrader = [str(Path(sys.executable).with_name("nbgrader")), "generate_assignment", ASSIGNMENT, "--force"]

    # Without the password file: the error the README's troubleshooting explains, and nothing generated.
    env = {k: v for k, v in venv_env().items() if not k.startswith("PG")}
    env["PGPASSFILE"] = str(tmp_path / "no-such-file")
    proc = subprocess.run(nbgrader, cwd=course, capture_output=True, text=True, timeout=300, env=env)
    assert "fe_sendauth: no password supplied" in proc.stdout + proc.stderr, proc.stderr[-2000:]
    assert not (course / "release" / ASSIGNMENT).exists()

    # README step 3: the password in the password file, readable by its owner only (libpq ignores it otherwise).
    pgpass.write_text(f"{sock}:5432:{DATABASE}:{ROLE}:{password}\n")
    pgpass.chmod(0o600)
    env["PGPASSFILE"] = str(pgpass)
    proc = subprocess.run(nbgrader, cwd=course, capture_output=True, text=True, timeout=300, env=env)
    assert (course / "release" / ASSIGNMENT).exists(), proc.stderr[-2000:]
    assert not (course / "gradebook.db").exists()  # the gradebook really is in PostgreSQL

    monkeypatch.setenv("PGPASSFILE", str(pgpass))  # the grader runs in this process
    for student, wrong in (("ann", False), ("ben", True), ("cat", False)):
        nb = honest_notebook(course)
        if wrong:
            set_solution(nb, "c_mle_answer", "def mle(x):\n    return 0.5\n")
        submit(course, student, nb)
    rows = grade(str(course), ASSIGNMENT, Options(workers=2, progress=False))
    assert {r["student"]: r["score"] for r in rows} == {"ann": FULL, "ben": FULL - 3, "cat": FULL}

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(url) as gb:
            sub = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ben")
            scores = {g.name: g.auto_score for g in sub.grades if g.name in POINTS}
    assert scores == {g: (0.0 if g in ("c_mle_values", "c_mle_edges") else float(p)) for g, p in POINTS.items()}

    # The README's other way: a connection service file, the URL naming only the service.
    service = tmp_path / "pg_service.conf"
    service.write_text(f"[{DATABASE}]\nhost={sock}\nport=5432\ndbname={DATABASE}\nuser={ROLE}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(service))
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"postgresql+psycopg2:///?service={DATABASE}")
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select current_user, current_database()")).one() == (ROLE, DATABASE)
    finally:
        engine.dispose()
