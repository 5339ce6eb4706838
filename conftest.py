"""Repository-wide pytest hooks.

``./tasks test`` runs pytest on two workers (pytest-xdist, ``--dist loadgroup``).
Tests that share expensive state must land on the same worker, so they are
grouped here:

- a chapter under nbval: its cells run in order in one kernel;
- the exercise pipeline: one nbgrader run per assignment is shared by that
  assignment's tests;
- the adversarial autograder suite: one grading run shared by the module;
- the cluster tests: one course of two assignments shared by the module;
- the browser tests: one Chromium and one server.

The groups are read from the test ids by a scheduler made here
(``pytest_xdist_make_scheduler``), not from ``xdist_group`` marks: with
pytest 9, xdist 3.8's worker writes the group into ``item._nodeid``, an
attribute pytest no longer reads, so marks never reached the scheduler and
every test of a group could run on either worker (each worker then repeated
the group's nbgrader or grading run). The scheduler also hands out the
longest work first, so that no long group starts last while the other worker
sits idle.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Work units in the order they are handed out. The book builds beside pytest for the
# first minute or two (./tasks test) and starts a Jupyter kernel per chapter; kernels
# started at the same time race for TCP ports (jupyter/jupyter_client#154), so the
# kernel-free work comes first (the autograder runs student code in its own sandboxes,
# not in kernels), then the kernel-heavy exercise pipelines and nbval, and the browser
# tests, which need the built book. Wall seconds on an otherwise idle 2-core machine.
_FIRST = (
    "autograder-adversarial",  # ~40 s grading run + ~10 s feedback test
    "autograder-cluster",  # ~60-100 s: a Dask scheduler and workers, 49 notebooks graded, refusals
    "tests/autograder/test_postgres.py::",  # ~10-25 s: PostgreSQL, three gradings
    "tests/autograder/test_scale.py::",  # ~20 s: 56 submissions on two sandboxes
    "hardened:",  # the hardened grader on every assignment: ~10-15 s per assignment
    "tests/mlekit/",  # ~350 small tests, ~25 s in all
    "exercise:",  # nbgrader, a kernel per submission: ~15-25 s per assignment
    "browser",  # ~120 page checks, ~50 s
    "chapters/",  # nbval, ~3-5 s per chapter
)

_ASSIGNMENT = re.compile(r"\[(ps\d\d_[a-z0-9_]+)(?:-[^\]]*)?\]$")


def group_of(nodeid: str) -> str | None:
    """The work unit a test id belongs to, or None for a test that shares nothing."""
    nodeid = nodeid.split("@", 1)[0]  # in case xdist ever appends its own group again
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path  # nbval: every cell of a notebook runs in order in one kernel
    if path.startswith("tests/browser/"):
        return "browser"
    if path in ("tests/autograder/test_adversarial.py", "tests/autograder/test_fallback.py"):
        return "autograder-adversarial"  # one worker: both grade in the fallback mode (kept together as measured)
    if path == "tests/autograder/test_cluster.py":
        return "autograder-cluster"  # one course (two assignments generated) shared by the module
    if path.startswith("tests/exercises/"):
        match = _ASSIGNMENT.search(nodeid)
        if match:
            return f"exercise:{match.group(1)}"
    if path == "tests/autograder/test_assignments.py":
        match = _ASSIGNMENT.search(nodeid)
        if match:
            return f"hardened:{match.group(1)}"
    return None


def _rank(nodeid: str) -> int:
    unit = group_of(nodeid) or nodeid
    for i, prefix in enumerate(_FIRST):
        if unit.startswith(prefix):
            return i
    return len(_FIRST)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SharedStateScheduling(LoadGroupScheduling):
        """``loadgroup`` with the groups above, longest work handed out first."""

        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or nodeid

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_ordered", False):
                # Reorder the work units (not the collections: the workers are sent
                # indexes into their own collection order). Stable: within a rank the
                # units keep xdist's order.
                units = sorted(self.workqueue.items(), key=lambda unit: _rank(unit[0]))
                self.workqueue.clear()
                self.workqueue.update(units)
                self._ordered = True
            super()._assign_work_unit(node)

    return SharedStateScheduling(config, log)


# ----------------------------------------------------------------- the repository made private
# Without namespaces (an unprivileged container, and the fallback tests that simulate one) the
# grader refuses to start while the repository holding mlekit and the course is readable by other
# users: its history and exercises/ hold hidden tests. The tests then do what the grader asks an
# instructor to do, for the whole session and once, in the controlling process (never in a
# worker: two workers saving and restoring the modes would race), and put the modes back at the
# end. Only as root (the grading tests need root and skip otherwise).
_REPO = Path(__file__).resolve().parent
PRIVATE_FOR_THE_FALLBACK = (_REPO / ".git", _REPO / "exercises")
_saved_modes: dict = {}


def pytest_configure(config):
    if hasattr(config, "workerinput") or os.geteuid() != 0:
        return
    for path in PRIVATE_FOR_THE_FALLBACK:
        if path.exists() and not path.is_symlink():
            _saved_modes[path] = path.stat().st_mode & 0o7777
            os.chmod(path, 0o700)


def pytest_unconfigure(config):
    for path, mode in _saved_modes.items():
        os.chmod(path, mode)
    _saved_modes.clear()
