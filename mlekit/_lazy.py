"""Import heavy SciPy submodules on first use.

``import mlekit`` runs in every graded notebook and every chapter, so its cost
is paid hundreds of times per test run and per class: ``scipy.stats`` and
``scipy.optimize`` alone take about 1 s to import, while most uses (a Bernoulli
log-likelihood, a closed-form fit) never touch them. Modules import them as
``from ._lazy import stats`` and use ``stats.norm`` as usual; the real import
happens at the first attribute access.
"""

from __future__ import annotations

import importlib


class _LazyModule:
    def __init__(self, name: str):
        self._name = name
        self._module = None

    def _load(self):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr):
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not yet imported"
        return f"<lazy module {self._name!r} ({state})>"


stats = _LazyModule("scipy.stats")
optimize = _LazyModule("scipy.optimize")
linalg = _LazyModule("scipy.linalg")
