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
NEEDS = {"Binomial": dict(n=7), "Categorical": dict(k=4)}


def family_classes() -> list:
    """Every concrete public ``Family`` subclass of :mod:`mlekit.families` (not ``CustomFamily``)."""
    return [obj for name, obj in vars(fams).items()
            if isinstance(obj, type) and issubclass(obj, mlekit.Family) and obj is not mlekit.Family
            and not name.startswith("_") and obj is not mlekit.CustomFamily]


def base_families() -> list:
    """One instance of every family, with the constructor arguments it needs and nothing fixed."""
    return [cls(**NEEDS.get(cls.__name__, {})) for cls in family_classes()]


def _typical(spec):
    lo, hi = spec.typical
    return 0.5 * (lo + hi)


def every_family():
    """Instances of every family (and of every multi-parameter family with one parameter fixed)."""
    out = []
    for fam in base_families():
        out.append(fam)
        scalars = [s for s in fam.params if s.size is None]
        if len(fam.params) >= 2 and len(scalars) == len(fam.params):
            out += [type(fam)(**{s.name: _typical(s)}) for s in scalars]
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
