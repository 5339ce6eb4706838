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
