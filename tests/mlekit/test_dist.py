"""``MLEResult.dist()``: the fitted model as a frozen scipy distribution, for EVERY family.

The families are discovered from ``mlekit.families`` (a new family is included
automatically and fails here until it has a scipy counterpart), each also with every
one of its parameters fixed in the constructor where the constructor accepts that
(``Normal(sigma2=...)`` today; every family once fixed parameters are general). The
reference is the family's own ``logpdf``: scipy's ``logpdf``/``logpmf`` must equal it at
many points (draws from the fit and a quantile grid), and a discrete ``cdf`` must equal
the running sum of the family's own probabilities (which pins the support's origin,
e.g. ``Geometric`` counting failures where ``scipy.stats.geom`` counts trials).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from scipy import stats

import mlekit

from .conftest import NEEDS
from .conftest import family_classes as discovered_families


def _truth(fam):
    """The middle of each parameter's typical range (a Dirichlet-like vector for Categorical)."""
    out = {}
    for spec in fam.params:
        lo, hi = spec.typical
        if spec.size is None:
            out[spec.name] = 0.5 * (lo + hi)
        else:
            w = np.arange(1.0, spec.size + 1)
            out[spec.name] = w / w.sum()
    return out


def _try(cls, kwargs):
    try:
        return cls(**kwargs)
    except (TypeError, ValueError):
        return None  # this constructor does not (yet) take that parameter as fixed


def all_cases():
    cases = []
    for cls in discovered_families():
        base = NEEDS.get(cls.__name__, {})
        fam = cls(**base)
        cases.append(fam)
        # every scalar parameter fixed in turn, where the constructor accepts it
        for spec in fam.params:
            if spec.size is None and len(fam.params) > 1:
                fixed = _try(cls, {**base, spec.name: _truth(fam)[spec.name]})
                if fixed is not None:
                    cases.append(fixed)
    return cases


CASES = all_cases()


def test_cases_include_every_family_and_a_fixed_parameter():
    names = {type(f).__name__ for f in CASES}
    assert names == {c.__name__ for c in discovered_families()}
    assert len(names) >= 15
    # Normal(sigma2=...) and Normal(mu=...) at least (more once every family takes fixed values)
    assert sum(isinstance(f, mlekit.Normal) and bool(f._fixed()) for f in CASES) >= 2


def _fit(fam, seed=1):
    truth = {k: v for k, v in _truth(fam).items() if k in fam.param_names}
    x = fam.sample(400, rng=seed, **truth)
    r = mlekit.fit(fam, x)
    assert r.converged, r.message
    return r, x


@pytest.mark.parametrize("fam", CASES, ids=repr)
def test_dist_logpdf_equals_the_familys_at_many_points(fam):
    r, x = _fit(fam)
    d = r.dist()
    rng = np.random.default_rng(7)
    points = np.concatenate([x, np.asarray(d.rvs(size=300, random_state=rng), dtype=float)])
    qs = d.ppf(np.linspace(0.001, 0.999, 101))
    points = np.concatenate([points, qs[np.isfinite(qs)]])
    if fam.discrete:  # every value of the support up to the draws' maximum and the 0.999 quantile
        points = np.arange(0.0, np.max(points) + 1)
        got = d.logpmf(points)
    else:
        points = np.unique(points)
        got = d.logpdf(points)
    # points outside the family's support (a Uniform's quantiles stay inside; draws may not
    # for a fit whose support is narrower than the truth's): keep those the family accepts
    try:
        want = fam.logpdf(points, **r.params)
    except ValueError:
        keep = np.array([_in_support(fam, v, r.params) for v in points])
        points, got = points[keep], got[keep]
        want = fam.logpdf(points, **r.params)
    assert points.size >= (50 if not fam.discrete else 2)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def _in_support(fam, v, params):
    try:
        fam.logpdf([v], **params)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("fam", [f for f in CASES if f.discrete], ids=repr)
def test_discrete_cdf_is_the_running_sum_of_the_familys_probabilities(fam):
    r, x = _fit(fam, seed=2)
    d = r.dist()
    top = int(max(x.max(), d.ppf(0.999)))
    ks = np.arange(0, top + 1)
    pmf = np.exp(fam.logpdf(ks, **r.params))
    np.testing.assert_allclose(d.cdf(ks), np.cumsum(pmf), rtol=1e-9, atol=1e-12)
    assert d.cdf(-1) == 0.0  # nothing below 0 (Geometric counts failures, not trials)


@pytest.mark.parametrize("fam", [f for f in CASES if not f.discrete], ids=repr)
def test_continuous_cdf_integrates_the_familys_density(fam):
    # the cdf between two quantiles equals the integral of the family's own density
    from scipy import integrate

    r, _ = _fit(fam, seed=3)
    d = r.dist()
    a, b = d.ppf([0.1, 0.8])
    area, _ = integrate.quad(lambda t: float(np.exp(fam.logpdf([t], **r.params))[0]), a, b, epsabs=1e-12)
    assert area == pytest.approx(0.7, rel=1e-7)
    assert d.cdf(b) - d.cdf(a) == pytest.approx(0.7, rel=1e-9)


def test_dist_moments_and_draws_of_a_poisson_and_a_fixed_variance_normal():
    # Poisson(lam-hat) has mean lam-hat = the sample mean (closed form)
    r = mlekit.fit(mlekit.Poisson(), [2, 4, 3, 5])
    assert r.dist().mean() == pytest.approx(3.5, rel=1e-15)
    # Normal(sigma2=4): the fitted distribution has variance 4 (the fixed one), mean x-bar
    x = np.array([0.5, 1.5, 2.0, 4.0])
    r = mlekit.fit(mlekit.Normal(sigma2=4.0), x)
    d = r.dist()
    assert d.var() == pytest.approx(4.0, rel=1e-15) and d.mean() == pytest.approx(x.mean(), rel=1e-15)
    # rvs honours a seeded Generator: the same draws twice
    np.testing.assert_array_equal(d.rvs(5, random_state=np.random.default_rng(3)), d.rvs(5, random_state=np.random.default_rng(3)))
    assert d.ppf(0.975) == pytest.approx(stats.norm.ppf(0.975, x.mean(), 2.0), rel=1e-14)


def test_categorical_dist_has_pmf_cdf_ppf_rvs():
    x = np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3])
    d = mlekit.fit(mlekit.Categorical(k=4), x).dist()
    np.testing.assert_allclose(d.pmf([0, 1, 2, 3]), [0.1, 0.2, 0.3, 0.4], rtol=1e-15)
    np.testing.assert_allclose(d.cdf([0, 1, 2, 3]), [0.1, 0.3, 0.6, 1.0], rtol=1e-14)
    assert d.ppf(0.5) == 2
    draws = d.rvs(size=1000, random_state=np.random.default_rng(0))
    assert set(np.unique(draws)) <= {0, 1, 2, 3}


def test_custom_family_has_no_scipy_counterpart_clear_error():
    fam = mlekit.CustomFamily(lambda x, m: stats.norm.logpdf(x, m, 1.0), ["m"], name="my normal")
    r = mlekit.fit(fam, [0.1, 0.5, -0.3, 1.2], start={"m": 0.0})
    with pytest.raises(ValueError, match="no scipy.stats counterpart"):
        r.dist()


def test_a_subclass_of_a_family_is_not_mapped_to_its_parents_distribution():
    class Shifted(mlekit.Poisson):  # a user's subclass may change the density: fail closed
        pass

    r = mlekit.fit(Shifted(), [1, 2, 3])
    with pytest.raises(ValueError, match="no scipy.stats counterpart"):
        r.dist()


def test_dist_takes_no_arguments():
    assert list(inspect.signature(mlekit.MLEResult.dist).parameters) == ["self"]
