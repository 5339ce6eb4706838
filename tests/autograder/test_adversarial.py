"""Adversarial submissions against the real ps01_bernoulli, graded in one parallel run.

Each submission below is an attack of one class (see autograder/README.md) on
top of an otherwise honest notebook, usually with one function deliberately
wrong so that a successful attack would *raise* the score. Each asserts the
exact per-test-cell grade an honest grader gives (read back from the nbgrader
gradebook), and, for the whole run, that no submitted file changed, the
gradebook's assignment cells did not change, no student process survived, and
nothing was written outside the sandbox.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import pytest

from autograder.course import Options, export, grade
from autograder.sandbox import Limits, Sandbox, SandboxConfig, Zygote, exposed_trees

from .conftest import (ASSIGNMENT, FULL, NAMESPACES, POINTS, needs_namespaces, add_cell, cell_index, copy_course, gradebook_scores,
                       honest_notebook, set_solution, source_cells_snapshot, submit, tree_digest)

MLE_TESTS = {"c_mle_values", "c_mle_edges"}
SCORE_TESTS = {"b_score_values", "b_score_derivative"}
WRONG_MLE = "\ndef mle(x):\n    return 0.5\n"
WRONG_SCORE = "\ndef score(p, x):\n    return 0.0\n"
MARKER = f"agmarker{os.getpid()}"


def append(nb, grade_id, code):
    cell = nb["cells"][cell_index(nb, grade_id)]
    cell["source"] = cell["source"] + "\n" + code
    return nb


# name -> (build(nb, course) -> nb | (nb, extra files) | bytes, failing test cells or "ungradable")
CASES = {}


def case(name, failing):
    def register(build):
        CASES[name] = (build, failing)
        return build
    return register


# ---- honest baselines and a real zero
case("honest", set())(lambda nb, c: nb)
case("honest-uses-mlekit-otherwise", set())(lambda nb, c: add_cell(
    nb, "c_mle_answer", "import mlekit\nsim = mlekit.Bernoulli().sample(20, rng=1, p=0.3)\nprint(mle(sim))"))
case("wrong-mle", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", WRONG_MLE))
case("unanswered", set(POINTS))(lambda nb, c: json.loads((c / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()))

# ---- class 1: monkeypatching the checks
case("c1-isclose", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", WRONG_MLE + (
    "np.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n")))
case("c1-grading", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", WRONG_MLE + (
    "import mlekit.grading as g\nfor _n in dir(g):\n    if _n.startswith('check'):\n"
    "        setattr(g, _n, lambda *a, **k: None)\n")))
case("c1-reference", SCORE_TESTS)(lambda nb, c: append(nb, "b_score_answer", WRONG_SCORE + (
    "import mlekit, scipy.stats\nmlekit.Bernoulli.score = lambda self, x, **p: np.array([0.0])\n"
    "mlekit.families.Family.loglik = lambda self, x, **p: 0.0\n"
    "scipy.stats.bernoulli.logpmf = lambda *a, **k: 0.0\n")))

# ---- class 2: changing how later cells run
case("c2-custom-exc", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", WRONG_MLE + (
    "get_ipython().set_custom_exc((BaseException,), lambda shell, et, ev, tb, tb_offset=None: None)\n")))
case("c2-input-transformer", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", WRONG_MLE + (
    "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n")))
case("c2-ast-and-traceback", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", WRONG_MLE + (
    "import ast, sys\nclass _Empty(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
    "        return ast.Module(body=[ast.Pass()], type_ignores=[])\n"
    "ip = get_ipython()\nip.ast_transformers.append(_Empty())\nip.showtraceback = lambda *a, **k: None\n"
    "sys.excepthook = lambda *a: None\n")))

# ---- class 3: the reference instead of a derivation
case("c3-direct", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "import mlekit\ndef mle(x):\n    return mlekit.Bernoulli().mle(x)['p']\n")))
case("c3-dunder-import", SCORE_TESTS)(lambda nb, c: append(nb, "b_score_answer", (
    "def score(p, x):\n    return float(__import__('mlekit').Bernoulli().score(x, p=p)[0])\n")))
case("c3-importlib-alias", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "import importlib\n_f = getattr(importlib.import_module('mlekit.fit'), 'fit')\n"
    "_B = importlib.import_module('mlekit').Bernoulli\n"
    "def mle(x):\n    return _f(_B(), x).params['p']\n")))

# ---- class 4: shadowing modules next to the notebook (files that would win the import in nbgrader)
SHADOW_NUMPY = "def isclose(*a, **k):\n    return True\ndef allclose(*a, **k):\n    return True\n"
SHADOW_GRADING = "def __getattr__(name):\n    return lambda *a, **k: None\n"
case("c4-numpy-file", MLE_TESTS)(lambda nb, c: (append(nb, "c_mle_answer", WRONG_MLE),
                                                {"numpy.py": SHADOW_NUMPY}))
case("c4-mlekit-folder", MLE_TESTS)(lambda nb, c: (append(nb, "c_mle_answer", WRONG_MLE),
                                                   {"mlekit/__init__.py": "", "mlekit/grading.py": SHADOW_GRADING}))
case("c4-scipy-folder", SCORE_TESTS)(lambda nb, c: (append(nb, "b_score_answer", WRONG_SCORE),
                                                    {"scipy/__init__.py": SHADOW_GRADING,
                                                     "sitecustomize.py": "import builtins\nbuiltins.AssertionError = Exception\n"}))

# ---- class 5: killing or stalling the kernel (one bad function costs only its own tests)
case("c5-infinite-loop", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "def mle(x):\n    while True:\n        pass\n")))
case("c5-swallow-interrupt", SCORE_TESTS)(lambda nb, c: append(nb, "b_score_answer", (
    "import time\ndef score(p, x):\n    while True:\n        try:\n            time.sleep(0.5)\n"
    "        except BaseException:\n            pass\n")))
case("c5-os-exit", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "import os\ndef mle(x):\n    os._exit(0)\n")))
case("c5-sigkill-and-sys-exit", MLE_TESTS | SCORE_TESTS)(lambda nb, c: append(append(
    nb, "c_mle_answer", "import os, signal\ndef mle(x):\n    os.kill(os.getpid(), signal.SIGKILL)\n"),
    "b_score_answer", "import sys\ndef score(p, x):\n    sys.exit(0)\n"))
case("c5-memory", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "def mle(x):\n    hog = []\n    while True:\n        hog.append(bytearray(10**8))\n")))
case("c5-top-level-stall-and-exit", set())(lambda nb, c: add_cell(add_cell(
    nb, "c_mle_answer", "while True:\n    pass\n"), "b_score_answer", "import os\nos._exit(3)\n"))

# ---- class 6: tampering with the notebook
def _edit_test(nb, c):
    nb["cells"][cell_index(nb, "c_mle_values")]["source"] = "pass"
    nb["cells"][cell_index(nb, "c_mle_edges")]["source"] = "pass"
    return append(nb, "c_mle_answer", WRONG_MLE)


def _delete_tests(nb, c):
    nb = append(nb, "b_score_answer", WRONG_SCORE)
    del nb["cells"][cell_index(nb, "b_score_values")]
    del nb["cells"][cell_index(nb, "b_score_derivative")]
    return nb


def _flip_flags(nb, c):
    for gid in ("c_mle_values", "c_mle_edges"):
        md = nb["cells"][cell_index(nb, gid)]["metadata"]["nbgrader"]
        md.update(grade=False, solution=True, locked=False, points=0)
        nb["cells"][cell_index(nb, gid)]["source"] = "# no test here"
    md = nb["cells"][cell_index(nb, "c_mle_answer")]["metadata"]["nbgrader"]
    md.update(grade=True, points=100)
    return append(nb, "c_mle_answer", WRONG_MLE)


def _duplicate(nb, c):
    i = cell_index(nb, "a_loglik_values")
    copy_cell = json.loads(json.dumps(nb["cells"][i]))
    copy_cell["source"] = "pass"
    nb["cells"].insert(0, copy_cell)  # a fake, passing copy first
    nb["cells"].append(json.loads(json.dumps(nb["cells"][i + 1])))
    return append(nb, "a_loglik_answer", "\ndef log_likelihood(p, x):\n    return 0.0\n")


def _retype(nb, c):
    for gid in ("c_mle_values", "c_mle_edges"):
        cell = nb["cells"][cell_index(nb, gid)]
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return append(nb, "c_mle_answer", WRONG_MLE)


case("c6-edited-tests", MLE_TESTS)(_edit_test)
case("c6-deleted-tests", SCORE_TESTS)(_delete_tests)
case("c6-flipped-flags", MLE_TESTS)(_flip_flags)
# wrong log_likelihood: (a) fails, and so does the derivative check of the (correct) score against it
case("c6-duplicated", {"a_loglik_values", "a_loglik_edges", "b_score_derivative"})(_duplicate)
case("c6-cell-types", MLE_TESTS)(_retype)
case("c6-truncated-json", "ungradable")(lambda nb, c: json.dumps(nb).encode()[:5000])
case("c6-not-a-notebook", "ungradable")(lambda nb, c: b'{"cells": "none", "nbformat": 4}')

# ---- class 7: reaching outside
def _read_secrets(nb, c):
    paths = [c / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", c / "gradebook.db",
             c / "submitted" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", c / "nbgrader_config.py"]
    code = "import os\nfor p in %r:\n    try:\n        open(p, 'rb').read(10)\n        print('READ_OK', p)\n" \
           "    except OSError as e:\n        print('READ_BLOCKED', type(e).__name__)\n" % [str(p) for p in paths]
    return add_cell(nb, "c_mle_answer", code)


def _background(nb, c):
    gb = str(c / "gradebook.db")
    daemon = ("import os, time\nos.setsid()\nwhile True:\n    time.sleep(0.1)\n    try:\n"
              f"        open({gb!r}, 'ab').write(b'x')\n    except Exception:\n        pass\n")
    code = (f"import subprocess, sys, os\nsubprocess.Popen([sys.executable, '-c', {daemon!r}, {MARKER!r}], "
            "start_new_session=True)\nif os.fork() == 0:\n    os.setsid()\n"
            f"    os.execv('/bin/sleep', ['/bin/sleep', '300', {MARKER!r}])\n")
    return add_cell(nb, "c_mle_answer", code)


def _write_outside(nb, c):
    targets = [f"/tmp/{MARKER}-escape", str(c / "escape.txt"), str(c / "submitted" / "honest" / "escape.txt"),
               f"/var/tmp/{MARKER}-escape", f"/dev/shm/{MARKER}-escape"]
    code = "for p in %r:\n    try:\n        open(p, 'w').write('x')\n        print('WROTE', p)\n" \
           "    except OSError as e:\n        print('BLOCKED', type(e).__name__)\n" % targets
    return add_cell(nb, "c_mle_answer", code)


case("c7-read-secrets", set())(_read_secrets)
case("c7-background", set())(_background)
case("c7-write-outside", set())(_write_outside)

# ---- class 8: flooding
case("c8-long-line", set())(lambda nb, c: add_cell(nb, "c_mle_answer", "print('x' * 10_000_000)"))
case("c8-many-lines", set())(lambda nb, c: add_cell(nb, "c_mle_answer", "for i in range(100_000):\n    print(i)"))
case("c8-in-calls", set())(lambda nb, c: append(nb, "c_mle_answer", (
    "_honest_mle = mle\ndef mle(x):\n    print('y' * 1_000_000)\n    return _honest_mle(x)\n")))

# ---- grading cannot be told from a local run by the environment
# NBGRADER_EXECUTION=autograde is set, as nbgrader sets it in its kernel; nothing else tells grading apart
case("env-sniffing", set())(lambda nb, c: append(nb, "c_mle_answer", (
    "import os, re\n_honest_mle = mle\ndef mle(x):\n"
    "    if any(re.search('PYTEST|MLEKIT|JPY|JUPYTER|AUTOGRAD', k, re.I) for k in os.environ):\n"
    "        return 0.5\n    return _honest_mle(x)\n")))


# ======================================================================== round two (issue #12)
HONEST_MLE = ("def mle(x):\n    x = np.asarray(x, dtype=float)\n"
              "    if x.size == 0 or not np.all((x == 0) | (x == 1)):\n        raise ValueError('mle: bad x')\n"
              "    return float(np.mean(x))\n")
# An "only if the attack worked" mle: honest when `leaked()` is True, else wrong. A closed hole costs the
# two mle test cells, so a grade with full marks would prove the attack succeeded.
def _if_leaked(check: str) -> str:
    return (f"import os, time\n{check}\n_honest_src = {HONEST_MLE!r}\n_ns = {{}}\nexec(_honest_src, globals(), _ns)\n"
            "def mle(x, _h=_ns['mle']):\n    return _h(x) if leaked() else 0.5\n")


def _link_submission(target_of):
    """A submission whose notebook is a symbolic link to ``target_of(course)``."""
    def build(nb, c):
        return ("link", target_of(c))
    return build


# ---- class 1: the submitted file is a link to someone else's notebook or the instructor's
case("c12-link-to-source", "ungradable")(_link_submission(
    lambda c: c / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
case("c12-link-to-other", "ungradable")(_link_submission(
    lambda c: c / "submitted" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
case("c12-link-folder", "ungradable")(lambda nb, c: ("dirlink", c / "submitted" / "honest"))

# ---- class 2: one student leaving the answer for another (IPC, /dev/shm, abstract sockets, /tmp)
LEAK = f"leak{os.getpid()}"
_SHM = ("import ctypes\n_libc = ctypes.CDLL(None, use_errno=True)\n"
        "_libc.shmget.restype = ctypes.c_int\n")
case("c12-ipc-a-writer", set())(lambda nb, c: add_cell(nb, "c_mle_answer", (
    _SHM + "import os, socket, time\n"
    "_libc.shmget(0x4711, 4096, 0o1666)\n"
    f"for d in ('/dev/shm', '/tmp', '/var/tmp', '/run/lock'):\n"
    f"    try:\n        open(d + '/{LEAK}', 'w').write('mle = mean')\n    except OSError:\n        pass\n"
    f"_s = socket.socket(socket.AF_UNIX)\n_s.bind('\\0{LEAK}')\n_s.listen()\n"
    "time.sleep(4)\n")))
case("c12-ipc-b-reader", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", _if_leaked(
    _SHM + "import socket\n"
    "def leaked():\n"
    f"    if any(os.path.exists(d + '/{LEAK}') for d in ('/dev/shm', '/tmp', '/var/tmp', '/run/lock')):\n"
    "        return True\n"
    "    if _libc.shmget(0x4711, 0, 0) >= 0:\n        return True\n"
    "    try:\n        s = socket.socket(socket.AF_UNIX)\n"
    f"        s.connect('\\0{LEAK}')\n        return True\n"
    "    except OSError:\n        return False\n"
    "for _ in range(40):\n    if leaked():\n        break\n    time.sleep(0.1)\n")))

# ---- class 3: the instructor's environment (the `graded` fixture sets these while grading)
INSTRUCTOR_SECRETS = {"PGPASSWORD": f"pg-{MARKER}", "AWS_SECRET_ACCESS_KEY": f"aws-{MARKER}",
                      "HF_TOKEN": f"hf-{MARKER}"}
case("c12-env-secrets", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", _if_leaked(
    f"def leaked():\n    return any('{MARKER}' in v for v in os.environ.values())\n")))

# ---- class 4: course and repository secrets (config, history, the exercises' sources)
def _secrets(nb, c):
    paths = [c / "nbgrader_config.py", c / "gradebook.db", REPO / ".git" / "HEAD",
             REPO / "exercises" / "nbgrader_config.py", REPO / "exercises" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
             REPO / "exercises" / "authoring" / f"{ASSIGNMENT}.py"]
    check = ("def leaked():\n    for p in %r:\n        try:\n            open(p, 'rb').read(1)\n"
             "            return True\n        except OSError:\n            pass\n    return False\n") % [str(p) for p in paths]
    return append(nb, "c_mle_answer", _if_leaked(check))


case("c12-course-secrets", MLE_TESTS)(_secrets)
# the nbgrader exchange (configured by the `graded` fixture under the course, inbound writable by all)
case("c12-exchange", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", _if_leaked(
    "def leaked():\n    try:\n"
    f"        open({str(c / 'exchange' / 'inbound' / 'victim+ps01_bernoulli+2026-12-01')!r}, 'w').write('x')\n"
    "        return True\n    except OSError:\n        return False\n")))

# ---- class 5: limits for the sandbox as a whole (the fixture's sandbox memory is 1024 MB)
case("c12-fork-memory", set())(lambda nb, c: add_cell(nb, "c_mle_answer", (
    "import os, time\nr, w = os.pipe()\nos.set_blocking(r, False)\nkids = set()\n"
    "for i in range(5):\n    pid = os.fork()\n    if pid == 0:\n        try:\n"
    "            b = bytearray(300 * 2**20)\n            b[::4096] = b'x' * len(b[::4096])\n"
    "            os.write(w, f'{os.getpid()},'.encode())\n            time.sleep(60)\n"
    "        finally:\n            os._exit(0)\n    kids.add(pid)\n"
    "done, dead, buf = set(), set(), b''\ndeadline = time.time() + 8\n"
    "while time.time() < deadline and len(done | dead) < len(kids):\n    time.sleep(0.2)\n"
    "    try:\n        buf += os.read(r, 4096)\n    except BlockingIOError:\n        pass\n"
    "    done = {int(p) for p in buf.decode().split(',') if p}\n"
    "    for k in kids - dead:\n        if os.waitpid(k, os.WNOHANG)[0]:\n            dead.add(k)\n"
    "print(f'HELD {len(done - dead)} (of {len(kids)} children, {len(dead)} killed)')\n")))
case("c12-disk", set())(lambda nb, c: add_cell(nb, "c_mle_answer", (
    "written = 0\nfor path in ('/tmp/fill', '/dev/shm/fill', 'fill'):\n"
    "    try:\n        with open(path, 'wb') as fh:\n            for _ in range(200):\n"
    "                fh.write(b'x' * 2**20)\n                written += 1\n"
    "    except OSError:\n        pass\nprint(f'WROTE_MB {written}')\n")))
case("c12-fork-bomb", set())(lambda nb, c: add_cell(nb, "c_mle_answer", (
    "import os, time\nn = 0\nfor i in range(500):\n    try:\n        pid = os.fork()\n"
    "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
    "    n += 1\nprint(f'FORKED {n}')\n")))

# ---- class 7: malformed submissions do not stop the run (every other student is still graded)
case("c12-bad-timestamp", set())(lambda nb, c: (nb, {"timestamp.txt": "yesterday-ish, around noon"}))


def _surrogate(nb, c):
    raw = json.dumps(nb, indent=1)
    return raw.replace('"cells": [', '"cells": [{"cell_type": "markdown", "metadata": {}, "source": "\\ud800 lone"},', 1).encode()


case("c12-lone-surrogate", set())(_surrogate)
case("c12-odd-cell-type", set())(lambda nb, c: (nb.update(cells=nb["cells"] + [
    {"cell_type": "weird", "metadata": {}, "source": "??"}]), nb)[1])

# ---- class 8: replies the trusted side must not choke on
case("c12-deep-reply", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "def mle(x):\n    v = 0.5\n    for _ in range(10000):\n        v = [v]\n    return v\n")))
case("c12-forged-frame", MLE_TESTS)(lambda nb, c: append(nb, "c_mle_answer", (
    "import os, struct\n_honest = mle\n"
    "def mle(x):\n    body = ('[' * 200000 + ']' * 200000).encode()\n"
    "    for fd in range(3, 64):\n        try:\n            os.write(fd, struct.pack('>Q', len(body)) + body)\n"
    "        except OSError:\n            pass\n    return _honest(x)\n")))

# ---- class 9: stopping every process of its own uid (the clean-up must not hang)
case("c12-stop-everything", set())(lambda nb, c: add_cell(nb, "c_mle_answer", (
    "import os, signal\nif os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(60)\n"
    "os.kill(-1, signal.SIGSTOP)\n")))

# ---- class 10: routes to the reference that a list of names would miss
ROUTES = {
    "c12-route-other-family": "import mlekit\ndef mle(x):\n    return float(mlekit.Binomial(n=1).mle(x)['p'])\n",
    "c12-route-private-hook": ("import mlekit\ndef mle(x):\n"
                               "    return float(mlekit.Bernoulli()._closed_form_fit(np.asarray(x, float))[1]['p'])\n"),
    "c12-route-methodcaller": ("import operator, mlekit\n_get = operator.methodcaller('mle', None)\n"
                               "def mle(x):\n    return float(operator.methodcaller('mle', x)(mlekit.Bernoulli())['p'])\n"),
    "c12-route-categorical": ("import mlekit\ndef mle(x):\n"
                              "    return float(mlekit.Categorical(k=2).mle(np.asarray(x, int))['theta'][1])\n"),
    "c12-route-subclass-partial": ("import functools, mlekit\nclass _B(mlekit.Bernoulli):\n    pass\n"
                                   "_f = functools.partial(_B().mle)\ndef mle(x):\n    return float(_f(x)['p'])\n"),
}
for _name, _code in ROUTES.items():
    case(_name, MLE_TESTS)(lambda nb, c, _code=_code: append(nb, "c_mle_answer", _code))
case("c12-route-scipy", {"a_loglik_values", "a_loglik_edges", "b_score_derivative"})(lambda nb, c: append(
    nb, "a_loglik_answer", "import scipy.stats\ndef log_likelihood(p, x):\n"
                           "    return float(np.sum(scipy.stats.bernoulli.logpmf(x, p)))\n"))


# What the fallback (no namespaces: a container without CAP_SYS_ADMIN) cannot guarantee, measured in
# tests/autograder/test_fallback.py: students graded at the same time share the host's IPC, network and
# world-writable folders, so this pair's grade depends on timing there.
FALLBACK_UNISOLATED = {"c12-ipc-b-reader"}


@pytest.fixture(scope="module", params=["namespaces", "fallback"])
def graded(request, generated_course, tmp_path_factory):
    mode = request.param
    if mode == "namespaces" and not NAMESPACES:
        pytest.skip("the kernel refuses namespaces here (an unprivileged container?)")
    if mode == "fallback":
        request.getfixturevalue("private_repository")
    course = copy_course(generated_course, tmp_path_factory.mktemp("adv") / "course")
    if mode == "namespaces":  # with a writable exchange the fallback refuses to start (test_fallback.py)
        exchange = course / "exchange" / "inbound"
        exchange.mkdir(parents=True)
        os.chmod(exchange, 0o777)
        with open(course / "nbgrader_config.py", "a") as fh:
            fh.write(f"\nc.Exchange.root = {str(course / 'exchange')!r}\n")
    links = []
    for name, (build, _) in CASES.items():
        built = build(honest_notebook(course), course)
        if isinstance(built, tuple) and built[0] in ("link", "dirlink"):
            links.append((name, built))
            continue
        nb, extra = built if isinstance(built, tuple) else (built, None)
        submit(course, name, nb, extra)
    for name, (kind, target) in links:
        if kind == "link":
            folder = course / "submitted" / name / ASSIGNMENT
            folder.mkdir(parents=True)
            (folder / f"{ASSIGNMENT}.ipynb").symlink_to(target)
        else:
            (course / "submitted" / name).symlink_to(target)
    before_files = tree_digest(course / "submitted")
    before_cells = source_cells_snapshot(course)
    saved_env = {k: os.environ.get(k) for k in INSTRUCTOR_SECRETS}
    os.environ.update(INSTRUCTOR_SECRETS)
    t0 = time.monotonic()
    try:
        rows = grade(str(course), ASSIGNMENT, Options(workers=2, call_timeout=3.0, cell_timeout=10.0, budget=150,
                                                      progress=False, namespaces=(mode == "namespaces"),
                                                      # the fallback as under Docker's defaults: no cgroup
                                                      limits={"memory_mb": 1024, "cgroup": mode == "namespaces"}))
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    elapsed = time.monotonic() - t0
    print(f"\ngraded {len(rows)} adversarial submissions in {elapsed:.1f} s")
    time.sleep(1.0)  # anything left running would now write to the gradebook
    gb_digest = tree_digest(course)["gradebook.db"]
    time.sleep(1.0)
    return {"mode": mode, "course": course, "rows": {r["student"]: r for r in rows}, "before_files": before_files,
            "before_cells": before_cells, "elapsed": elapsed, "gb_digest": gb_digest}


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_grade(graded, name):
    _, failing = CASES[name]
    if graded["mode"] == "fallback" and name in FALLBACK_UNISOLATED:
        pytest.skip("not isolated without namespaces; measured in test_fallback.py")
    row = graded["rows"][name]
    scores = gradebook_scores(graded["course"])[name]
    if failing == "ungradable":
        assert row["status"] == "ungradable", row
        assert ("invalid notebook" in row["reason"]) or ("symbolic link" in row["reason"]), row
        assert all(scores[g] is None for g in POINTS)  # not a zero: needs a human
        assert scores["__flagged__"]
        return
    assert row["status"] == "graded", row
    expected = {g: (0.0 if g in failing else float(p)) for g, p in POINTS.items()}
    assert {g: scores[g] for g in POINTS} == expected, row["notes"]
    assert row["score"] == FULL - sum(POINTS[g] for g in failing)


def test_submissions_and_gradebook_intact(graded):
    course = graded["course"]
    assert tree_digest(course / "submitted") == graded["before_files"]
    assert source_cells_snapshot(course) == graded["before_cells"]
    assert tree_digest(course)["gradebook.db"] == graded["gb_digest"]  # nothing writes after grading


def test_no_process_survives(graded):
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            assert MARKER.encode() not in cmdline, f"process {pid} outlived grading: {cmdline!r}"


def _outputs(course, student):
    nb = json.loads((course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    def text(value):
        return "".join(value) if isinstance(value, list) else (value or "")

    return "".join(text(o.get("text")) + text(o.get("evalue")) for c in nb["cells"] for o in c.get("outputs", []))


def test_reading_and_writing_outside_blocked(graded):
    course = graded["course"]
    text = _outputs(course, "c7-read-secrets")
    assert text.count("READ_BLOCKED") == 4 and "READ_OK" not in text
    text = _outputs(course, "c7-write-outside")
    assert "WROTE" not in text.replace(f"WROTE /tmp/{MARKER}", "").replace(f"WROTE /var/tmp/{MARKER}", "") \
        .replace(f"WROTE /dev/shm/{MARKER}", "")  # private, throw-away tmpfs inside the sandbox only
    for p in (f"/tmp/{MARKER}-escape", f"/var/tmp/{MARKER}-escape", f"/dev/shm/{MARKER}-escape",
              course / "escape.txt", course / "submitted" / "honest" / "escape.txt"):
        assert not os.path.exists(p), p


def test_flooding_is_capped(graded):
    course = graded["course"]
    for student in ("c8-long-line", "c8-many-lines", "c8-in-calls"):
        path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert path.stat().st_size < 100_000, (student, path.stat().st_size)
    assert "output truncated" in _outputs(course, "c8-long-line")
    assert "output truncated" in _outputs(course, "c8-many-lines")


def _number(text, label):
    import re

    match = re.search(rf"{label} (\d+)", text)
    assert match, text[-2000:]
    return int(match.group(1))


def test_limits_hold_for_the_sandbox_as_a_whole(graded):
    course = graded["course"]
    # five children of 300 MB each against a 1024 MB sandbox: the kernel keeps the total under the limit
    # (the fallback without a cgroup bounds each process only: measured in test_fallback.py)
    if graded["mode"] == "namespaces":
        assert _number(_outputs(course, "c12-fork-memory"), "HELD") * 300 <= 1024
    # /tmp and /dev/shm are 64 MB tmpfs, every file at most 16 MB (RLIMIT_FSIZE)
    assert _number(_outputs(course, "c12-disk"), "WROTE_MB") <= 3 * 16
    assert _number(_outputs(course, "c12-fork-bomb"), "FORKED") < 64


def test_isolation_column_says_what_was_in_force(graded):
    isolation = {r["isolation"] for r in graded["rows"].values() if r["status"] == "graded"}
    if graded["mode"] == "namespaces":
        assert len(isolation) == 1 and "namespaces(mount,pid,net,ipc,uts)" in isolation.pop()
    else:
        assert isolation == {"uid+rlimits"}


def test_malformed_submissions_do_not_stop_the_run(graded):
    rows = graded["rows"]
    assert "timestamp.txt ignored" in rows["c12-bad-timestamp"]["notes"]
    assert rows["c12-lone-surrogate"]["status"] == rows["c12-odd-cell-type"]["status"] == "graded"


def test_every_route_to_the_reference_is_named(graded):
    rows = graded["rows"]
    for name in list(ROUTES) + ["c12-route-scipy"]:
        assert "reaches the reference" in rows[name]["notes"], (name, rows[name]["notes"])
    assert "scipy.stats._discrete_distns:bernoulli_gen" in rows["c12-route-scipy"]["notes"]


def test_reasons_are_reported(graded):
    rows = graded["rows"]
    assert "flag 'grade' was changed" in rows["c6-flipped-flags"]["notes"]
    assert "appears more than once" in rows["c6-duplicated"]["notes"]
    assert "missing from the submission" in rows["c6-deleted-tests"]["notes"]
    assert "was edited" in rows["c6-edited-tests"]["notes"]
    assert "reaches the reference mlekit.families" in rows["c3-direct"]["notes"]
    assert "dynamic import of mlekit" in rows["c3-importlib-alias"]["notes"]
    assert "did not finish within 3 s" in rows["c5-infinite-loop"]["notes"]
    assert rows["honest"]["notes"] == ""


def test_export_tells_ungradable_from_zero(graded, tmp_path):
    out = tmp_path / "grades.csv"
    export(str(graded["course"]), str(out))
    with open(out, newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert rows["unanswered"]["status"] == "graded" and float(rows["unanswered"]["score"]) == 0.0
    assert rows["c6-truncated-json"]["status"] == "ungradable"
    assert rows["c6-truncated-json"]["score"] == ""
    assert "invalid notebook" in rows["c6-truncated-json"]["reason"]
    assert float(rows["honest"]["score"]) == FULL  # the written answer awaits manual grading


def test_feedback_hides_hidden_tests(graded):
    from autograder.feedback import generate

    course = graded["course"]
    source = (course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "seed=404" in source  # a hidden test's argument (c_mle_values)
    paths = generate(str(course), ASSIGNMENT)
    ungradable = sum(failing == "ungradable" for _, failing in CASES.values())
    assert len(paths) == len(CASES) - ungradable  # an ungradable notebook has no autograded notebook
    for path in paths:
        html = Path(path).read_text()
        assert "HIDDEN TESTS" not in html and "seed=404" not in html, path
    html = Path(next(p for p in paths if "/wrong-mle/" in p)).read_text()
    assert "a hidden test failed" in html or "AssertionError" in html


REPO = Path(__file__).resolve().parents[2]


@needs_namespaces
def test_sandbox_file_system_is_an_allow_list():
    """Only the system, the interpreter and mlekit are there; the repository's secrets are not."""
    sb = Sandbox(SandboxConfig(uid=1_999_000 + os.getpid() % 999, limits=Limits()))
    sb.start()
    try:
        probe = (
            "import os, sys\n"
            "print(sorted(os.listdir('/')))\n"
            "print(sorted(os.listdir('/tmp')))\n"
            f"for p in {[str(REPO / '.git'), str(REPO / 'exercises' / 'nbgrader_config.py'), str(REPO / 'autograder'), '/run', '/root/.bash_history', '/etc/shadow']!r}:\n"
            "    print(p, os.path.exists(p))\n"
            "import mlekit, numpy, scipy.stats\n"
            "print('imports ok', mlekit.Bernoulli().mle([0, 1])['p'])\n")
        answer = sb.request({"op": "run", "code": probe}, 30)
    finally:
        sb.kill()
        Zygote.stop_all()
    assert answer.get("error") is None, answer
    lines = answer["stdout"].splitlines()
    tops = set(eval(lines[0]))
    system = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "sbin", "proc", "tmp", "usr", "var"}
    needed = {p.split("/")[1] for p in exposed_trees()}
    assert tops <= system | needed, tops - system - needed
    assert eval(lines[1]) == ["work"]
    for line in lines[2:8]:
        assert line.endswith(" False"), line
    assert lines[8] == "imports ok 0.5"


@needs_namespaces
def test_sandbox_environment_is_an_allow_list(monkeypatch):
    """The instructor's secrets and the grader's variables never reach the student's code."""
    secrets = {"MLEKIT_STUDENT_ID": "someone", "MLEKIT_BOOK_BUILD_STATUS": "/tmp/status",
               "PGPASSWORD": "hunter2", "AWS_SECRET_ACCESS_KEY": "abc", "GITHUB_TOKEN": "ghp_x",
               "PYTHONPATH": str(REPO), "JUPYTERHUB_API_TOKEN": "jhub-token-4711"}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    sb = Sandbox(SandboxConfig(uid=1_998_000 + os.getpid() % 999, limits=Limits(),
                               env={"NBGRADER_EXECUTION": "autograde"}))
    sb.start()
    try:
        answer = sb.request({"op": "run", "code": "import os\nprint(dict(os.environ))"}, 20)
    finally:
        sb.kill()
        Zygote.stop_all()
    env = eval(answer["stdout"])
    assert "PATH" in env and env["HOME"] == "/tmp/work"
    assert env["NBGRADER_EXECUTION"] == "autograde"  # as in nbgrader's kernel
    for key, value in secrets.items():
        assert key not in env, key
        assert key == "PYTHONPATH" or value not in str(env), key
