"""Fast unit tests of the autograder's pure parts: codec, notebook rebuild, static scan."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from autograder import codec
from autograder.notebook import InvalidNotebook, load_submission, reconcile, strip_hidden
from autograder.static import scan


def test_codec_round_trip_plain_data():
    value = {"p": 0.25, "n": 3, "ok": True, "none": None, "xs": [1, 2.5, "a"], "t": (1, (2, 3)),
             "arr": np.arange(6, dtype=np.int32).reshape(2, 3), "f": np.float64(np.nan), "z": 1 + 2j,
             "big": 2**70}
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    assert back["t"] == (1, (2, 3)) and back["xs"] == [1, 2.5, "a"] and back["big"] == 2**70
    assert back["arr"].dtype == np.int32 and np.array_equal(back["arr"], value["arr"])
    assert isinstance(back["f"], np.float64) and np.isnan(back["f"])
    assert back["z"] == 1 + 2j


@pytest.mark.parametrize("value", [np.array(["a"], dtype=object), object(), {1: 2}, np.array(["s"])])
def test_codec_refuses_objects(value):
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_codec_never_unpickles():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    import base64

    forged = {"__ndarray__": base64.b64encode(buf.getvalue()).decode()}
    with pytest.raises(ValueError):  # numpy refuses: allow_pickle=False
        codec.decode(forged)
    with pytest.raises(codec.CodecError):
        codec.decode({"__class__": "os.system"})


def test_strip_hidden():
    src = "a = 1\n### BEGIN HIDDEN TESTS\nsecret = 2\n### END HIDDEN TESTS\nb = 3\n"
    assert strip_hidden(src) == "a = 1\nb = 3"


def _ref(gid, **kw):
    base = {"grade_id": gid, "cell_type": "code", "source": f"# {gid}", "checksum": None, "locked": False,
            "grade": False, "solution": False, "task": False, "points": 0.0}
    base.update(kw)
    return base


def _sub(gid, source, **flags):
    return {"cell_type": "code", "source": source, "metadata": {"nbgrader": dict(grade_id=gid, **flags)}}


REFS = [_ref("ans", solution=True, source="raise NotImplementedError"),
        _ref("test", grade=True, locked=True, points=2.0, source="assert f(1) == 2\n### BEGIN HIDDEN TESTS\n"
             "assert f(2) == 3\n### END HIDDEN TESTS")]


def test_reconcile_restores_tests_and_reports():
    sub = {"cells": [
        _sub("test", "pass", grade=False, solution=True),            # flipped flags, edited, moved first
        _sub("ans", "def f(x):\n    return x + 1", solution=True),
        {"cell_type": "code", "source": "print(f(1))", "metadata": {}},
        _sub("ans", "def f(x):\n    return 0", solution=True),       # duplicate
    ]}
    cells, issues = reconcile(sub, REFS)
    kinds = [(c["metadata"]["autograder"]["kind"], c["source"]) for c in cells]
    # as nbgrader's DeduplicateIds: the last copy of "ans" is graded, the earlier one runs as the student's
    # own cell where it stood (after the known cell before it: here the moved test); the test is restored
    assert kinds == [("solution", "def f(x):\n    return 0"), ("test", REFS[1]["source"]),
                     ("student", "def f(x):\n    return x + 1"), ("student", "print(f(1))")]
    text = " ".join(issues)
    assert "flag 'grade' was changed" in text and "appears more than once" in text and "was edited" in text


def test_reconcile_restores_missing_cells():
    cells, issues = reconcile({"cells": []}, REFS)
    assert [c["source"] for c in cells] == [REFS[0]["source"], REFS[1]["source"]]
    assert sum("missing" in i for i in issues) == 2


def test_released_test_text_is_not_an_edit():
    released = strip_hidden(REFS[1]["source"])
    _, issues = reconcile({"cells": [_sub("ans", "x", solution=True), _sub("test", released, grade=True)]}, REFS)
    assert issues == []


@pytest.mark.parametrize("content, reason", [(b'{"cells": [', "not valid JSON"), (b"\xff\xfe", "not valid JSON"),
                                             (b'{"cells": 3}', "no list of cells"), (b"[]", "no list of cells")])
def test_invalid_notebooks(tmp_path, content, reason):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidNotebook, match=reason):
        load_submission(str(path))
    assert path.read_bytes() == content


@pytest.mark.parametrize("code, finding", [
    ("from mlekit.fit import fit as f", "imports mlekit's reference fit"),
    ("import importlib\nm = importlib.import_module('mlekit')", "dynamic import of mlekit"),
    ("m = __import__('mlekit')", "dynamic import of mlekit"),
    ("g = getattr(fam, 'mle')", "getattr with the reference name"),
    ("h = mle.__closure__[0].cell_contents", "introspection"),
    ("get_ipython().set_custom_exc((Exception,), h)", "IPython hook"),
    ("import os\nos._exit(0)", "process control: os._exit"),
])
def test_static_scan_findings(code, finding):
    assert any(finding in f for f in scan(code, {"mle", "fit", "loglik"}))


def test_static_scan_clean_code():
    assert scan("import numpy as np\ndef mle(x):\n    return float(np.mean(x))\n", {"mle", "fit"}) == []


def _other_user_can(path, uid=1_234_567):
    """What a process of another uid in the sandbox group can do with ``path``: 'read' or 'none'."""
    import os
    import subprocess

    from autograder.sandbox import SANDBOX_GID

    command = ["/bin/ls", str(path)] if os.path.isdir(path) else ["/bin/cat", str(path)]
    proc = subprocess.run(command, capture_output=True, user=uid, group=SANDBOX_GID, extra_groups=[],
                          timeout=60, cwd="/")
    return "read" if proc.returncode == 0 else "none"


def test_fallback_grants_traverse_only_and_restores(tmp_path):
    """A private folder (0700) on the way to the interpreter becomes traversable by the sandbox group
    (not listable, not readable beyond what others may read), and is exactly as before afterwards."""
    import os

    from autograder import fallback
    from autograder.sandbox import SANDBOX_GID

    if os.geteuid() != 0:
        pytest.skip("needs root (ACLs on root's folders, a process of another uid)")
    home = tmp_path / "home"
    (home / "venv" / "lib").mkdir(parents=True)
    (home / "venv" / "lib" / "site.py").write_text("x = 1\n")
    (home / "secret.txt").write_text("hunter2")
    os.chmod(home, 0o700)
    os.chmod(home / "secret.txt", 0o600)
    before = {p: (os.stat(p).st_mode, os.listxattr(p)) for p in (tmp_path, home)}
    assert _other_user_can(home / "venv" / "lib" / "site.py") == "none"
    grants = fallback.grant_traverse([str(home / "venv")], SANDBOX_GID)
    try:
        assert str(home) in grants.paths
        assert _other_user_can(home / "venv" / "lib" / "site.py") == "read"   # the interpreter: reachable
        assert _other_user_can(home) == "none"                                 # the home: not listable
        assert _other_user_can(home / "secret.txt") == "none"                  # private files stay private
        assert fallback.secrets_exposed([str(home / "secret.txt")], SANDBOX_GID) == []
        (home / "course").mkdir(mode=0o755)
        os.chmod(home / "course", 0o755)
        assert fallback.secrets_exposed([str(home / "course")], SANDBOX_GID) == [str(home / "course")]
    finally:
        grants.restore()
    assert {p: (os.stat(p).st_mode, os.listxattr(p)) for p in (tmp_path, home)} == before
    assert _other_user_can(home / "venv" / "lib" / "site.py") == "none"


def test_fallback_git_dirs_found_upwards(tmp_path):
    from autograder import fallback

    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "exercises" / "source").mkdir(parents=True)
    assert fallback.git_dirs_of([str(tmp_path / "repo" / "exercises" / "source"), str(tmp_path)]) == [
        str(tmp_path / "repo" / ".git")]


# ---------------------------------------------------------------- bad input: one paragraph, nothing written
def _course(tmp_path, *, config="c = get_config()\n"):
    course = tmp_path / "course"
    (course / "source" / "ps99").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(config)
    return course


@pytest.mark.parametrize("setup, message", [
    ("no-folder", "no course folder"),
    ("no-assignment", "no assignment 'ps98'.*there are: ps99"),
    ("no-gradebook", "run `nbgrader generate_assignment"),
    ("broken-config", "could not be read"),
    ("corrupt-gradebook", "could not be opened"),
])
def test_bad_courses_get_one_paragraph(tmp_path, setup, message):
    """What an instructor gets wrong first: a clear CourseError (exit 2 from the command), no traceback,
    nothing written (no report, no gradebook created)."""
    from autograder.course import CourseError, Options, grade

    course = _course(tmp_path, config="c = get_config()\nc.Oops(\n" if setup == "broken-config"
                     else "c = get_config()\n")
    (course / "source" / "ps99" / "ps99.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                                       "nbformat_minor": 5}))
    if setup == "no-folder":
        course = tmp_path / "nowhere"
    if setup == "corrupt-gradebook":
        (course / "gradebook.db").write_bytes(b"this is not a database" * 100)
    assignment = "ps98" if setup == "no-assignment" else "ps99"
    before = sorted(p.name for p in course.iterdir()) if course.exists() else None
    with pytest.raises(CourseError, match=message) as info:
        grade(str(course), assignment, Options(progress=False))
    assert "Traceback" not in str(info.value) and "\n" not in str(info.value)
    after = sorted(p.name for p in course.iterdir()) if course.exists() else None
    assert after == before


def test_the_command_exits_2_on_a_bad_course(tmp_path, capsys):
    from autograder.__main__ import main

    assert main(["grade", "ps99", "--course", str(tmp_path / "nowhere"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograder: no course folder") and "Traceback" not in err


def test_policy_check_without_imports():
    """The grading command checks a policy statically (no import of the modules it names)."""
    from autograder._guard import PolicyError, check

    check({"mle": ["mlekit.families", "mlekit.*", "scipy.stats._discrete_distns:bernoulli_gen",
                   "scipy.stats._distn_infrastructure:rv_continuous.fit"]})
    for bad, why in [({"mle": ["mlekit.fitting"]}, "no module 'mlekit.fitting'"),
                     ({"mle": ["scipy.stats._discrete_distns:bernoulli_genx"]}, "defines no bernoulli_genx"),
                     ({"mle": ["nosuchpackage.*"]}, "no module 'nosuchpackage'"),
                     ({"mle": "mlekit"}, "list of targets"), ({"mle": [""]}, "non-empty string")]:
        with pytest.raises(PolicyError, match=why):
            check(bad)


def test_lockout_catches_every_route_and_refuses_escapes():
    """In a plain process (not a sandbox): any code of a target run during an armed call is named,
    and switching the watch off is refused."""
    import subprocess
    import sys

    code = r'''
import functools, operator, sys, numpy as np
sys.path.insert(0, "autograder")
import _guard, mlekit
lock = _guard.Lockout({"mle": ["mlekit.families"], "other": ["scipy.stats._discrete_distns:bernoulli_gen"]})
import scipy.stats
x = np.array([1., 0., 1.])
routes = {
    "public": lambda: mlekit.Bernoulli().mle(x),
    "hook": lambda: mlekit.Bernoulli()._closed_form_fit(x),
    "other family": lambda: mlekit.Binomial(n=1).mle(x),
    "methodcaller": lambda: operator.methodcaller("mle", x)(mlekit.Bernoulli()),
    "partial": functools.partial(mlekit.Categorical(k=2).mle, x.astype(int)),
    "honest": lambda: float(np.mean(x)),
}
for name, fn in routes.items():
    lock.begin("mle")
    fn()
    used, refused, tampered = lock.end("mle")
    print(name, used, tampered)
lock.begin("other")
scipy.stats.bernoulli.logpmf(x, 0.5)
print("scipy", lock.end("other")[0])
lock.begin("mle")
for escape in (lambda: sys.setprofile(None), lambda: __import__("os").fork(), lambda: __import__("gc").get_objects()):
    try:
        escape()
        print("ESCAPED")
    except RuntimeError as e:
        print("refused:", e)
print("end", lock.end("mle"))
'''
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    lines = dict(line.split(" ", 1) for line in out.splitlines() if not line.startswith(("refused", "end")))
    for route in ("public", "hook", "methodcaller", "partial"):
        assert lines[route] == "['mlekit.families'] False", (route, out)
    assert lines["other"] == "family ['mlekit.families'] False"
    assert lines["honest"] == "[] False"
    assert lines["scipy"] == "['scipy.stats._discrete_distns:bernoulli_gen']"
    assert out.count("refused:") == 3 and "ESCAPED" not in out, out
