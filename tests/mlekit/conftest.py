"""``every_family``: a test argument that runs the test once per mlekit family.

Every concrete ``Family`` subclass of :mod:`mlekit.families` is discovered (a new family
is included automatically), with constructor arguments where it needs them, and with
each of its scalar parameters fixed in turn (``Gamma(shape=2.5)``, ...), so that tests of
``fit`` options cover the fixed families too.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlekit
from mlekit import families as fams

# constructor arguments for the families that need them
_CONSTRUCT = {"Binomial": dict(n=7), "Categorical": dict(k=4)}


def _typical(spec):
    lo, hi = spec.typical
    return 0.5 * (lo + hi)


def every_family():
    """Instances of every family (and of every multi-parameter family with one parameter fixed)."""
    out = []
    for name, obj in vars(fams).items():
        if not (isinstance(obj, type) and issubclass(obj, mlekit.Family)) or obj is mlekit.Family:
            continue
        if name.startswith("_") or obj is mlekit.CustomFamily:
            continue
        fam = obj(**_CONSTRUCT.get(name, {}))
        out.append(fam)
        scalars = [s for s in fam.params if s.size is None]
        if len(fam.params) >= 2 and len(scalars) == len(fam.params):
            out += [obj(**{s.name: _typical(s)}) for s in scalars]
    return out


def _typical_params(fam) -> dict:
    return {s.name: (np.full(s.size, 1.0 / s.size) if s.size else _typical(s)) for s in fam.params}


@pytest.fixture
def typical_params():
    """``typical_params(family)``: a value inside each free parameter's typical range
    (a uniform probability vector for ``Categorical``)."""
    return _typical_params


def pytest_generate_tests(metafunc):
    if "every_family" in metafunc.fixturenames:
        fams_ = every_family()
        metafunc.parametrize("every_family", fams_, ids=[repr(f) for f in fams_])
