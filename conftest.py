"""Repository-wide pytest hooks.

``./tasks test`` runs pytest on two workers (pytest-xdist, ``--dist loadgroup``).
Tests that share expensive state must land on the same worker, so they are
grouped here (the chapters run under nbval in a separate, single-process pytest
run: nbval's cells report node ids that xdist's grouping cannot see):

- the exercise pipeline: one nbgrader run per assignment is shared by that
  assignment's tests;
- the adversarial autograder suite: one grading run shared by the module;
- the browser tests: one Chromium and one server.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def _group(item) -> str | None:
    path = Path(str(item.path))
    parts = path.parts
    if "browser" in parts and "tests" in parts:
        return "browser"
    if path.name == "test_adversarial.py":
        return "autograder-adversarial"
    callspec = getattr(item, "callspec", None)
    if "exercises" in parts and callspec is not None and "assignment" in callspec.params:
        return f"exercise:{callspec.params['assignment']}"
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
