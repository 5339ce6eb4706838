"""Frequency weights: ``fit(family, data, weights=counts)`` (issue 16, row 2).

The contract is exact equality with the fit to ``np.repeat(data, counts)`` (estimates,
log-likelihood, standard errors, covariance, ``n``, convergence), checked for every
family (``every_family`` from conftest.py: all of them, and each multi-parameter one with
a parameter fixed); the weighted estimates themselves are checked against derivations
(the weighted mean and variance, the grouped Poisson MLE) and scipy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mlekit

def _fit_or_error(fam, x, **kw):
    try:
        return mlekit.fit(fam, x, **kw)
    except ValueError as exc:
        return str(exc)


def test_weights_equal_the_repeated_data_in_every_family(every_family, typical_params):
    fam = every_family
    rng = np.random.default_rng(7)
    draws = fam.sample(60, rng=rng, **typical_params(fam))
    values, _ = np.unique(draws, return_counts=True)
    counts = rng.integers(0, 5, size=values.size)
    counts[0] = max(counts[0], 1)
    weighted = _fit_or_error(fam, values, weights=counts)
    repeated = _fit_or_error(fam, np.repeat(values, counts))
    if isinstance(repeated, str):  # no MLE for these data: the same error either way
        assert weighted == repeated
        return
    assert weighted.n == repeated.n == counts.sum()
    np.testing.assert_array_equal(weighted.weights, counts)
    assert repeated.weights is None
    assert weighted.loglik == repeated.loglik
    assert weighted.converged == repeated.converged
    assert weighted.method == repeated.method
    for k in repeated.params:
        np.testing.assert_array_equal(weighted.params[k], repeated.params[k])
        np.testing.assert_array_equal(weighted.se[k], repeated.se[k])
    np.testing.assert_array_equal(weighted.cov, repeated.cov)
    assert weighted.aic == repeated.aic and weighted.bic == repeated.bic
    # the same data as far as the likelihood-ratio test and compare_models can tell
    assert weighted.data_id == repeated.data_id


def test_horse_kicks_frequency_table():
    # Bortkiewicz's table (chapter 06): deaths per corps-year and how many corps-years had them
    deaths = np.array([0, 1, 2, 3, 4])
    freq = np.array([109, 65, 22, 3, 1])
    r = mlekit.fit(mlekit.Poisson(), deaths, weights=freq)
    # derivation: the grouped log-likelihood sum_j n_j log p(j; lam) is maximized at the weighted mean
    lam = np.sum(deaths * freq) / np.sum(freq)
    assert r.params["lam"] == pytest.approx(lam, rel=1e-15)
    assert r.loglik == pytest.approx(np.sum(freq * stats.poisson.logpmf(deaths, lam)), rel=1e-13)
    assert r.se["lam"] == pytest.approx(np.sqrt(lam / freq.sum()), rel=1e-13)  # 1 / sqrt(N / lam)
    assert r.n == 200


def test_weighted_normal_is_the_weighted_mean_and_variance():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, size=50)
    w = rng.integers(1, 6, size=50)
    r = mlekit.fit(mlekit.Normal(), x, weights=w)
    mu = np.average(x, weights=w)
    assert r.params["mu"] == pytest.approx(mu, rel=1e-13)
    assert r.params["sigma2"] == pytest.approx(np.average((x - mu) ** 2, weights=w), rel=1e-12)
    # weighted Gamma against scipy's fit of the repeated data
    g = rng.gamma(2.0, 1.5, size=40)
    wg = rng.integers(1, 4, size=40)
    rg = mlekit.fit(mlekit.Gamma(), g, weights=wg)
    a, _, scale = stats.gamma.fit(np.repeat(g, wg), floc=0)
    assert rg.params["shape"] == pytest.approx(a, rel=1e-6)
    assert rg.params["rate"] == pytest.approx(1 / scale, rel=1e-6)


def test_weights_with_a_prior_and_with_methods():
    x = np.array([0, 1])
    w = np.array([3, 7])
    r = mlekit.fit(mlekit.Bernoulli(), x, weights=w, prior=mlekit.BetaPrior(2.0, 2.0))
    # Beta(2 + 7, 2 + 3) posterior: mode (9 - 1) / (9 + 5 - 2)
    assert r.params["p"] == pytest.approx(8 / 12, rel=1e-14)
    assert r.n == 10 and list(r.weights) == [3, 7]
    g = np.array([0.5, 1.0, 2.0, 3.5])
    wg = np.array([2, 1, 3, 1])
    for method in ("newton", "scipy"):
        a = mlekit.fit(mlekit.Gamma(), g, weights=wg, method=method)
        b = mlekit.fit(mlekit.Gamma(), np.repeat(g, wg), method=method)
        assert a.params == b.params and a.se == b.se


@pytest.mark.parametrize(
    "weights, match",
    [
        ([1, 2], "one count per data value"),
        ([[1, 2, 3]], "one count per data value"),
        ([1, -1, 2], "index 1 holds -1"),
        ([1.0, np.nan, 2.0], "finite, but index 1"),
        ([1.0, np.inf, 2.0], "finite, but index 1"),
        ([1.0, 2.5, 2.0], "whole-number counts.*index 1"),
        ([0, 0, 0], "all 0"),
        ([True, False, True], "booleans"),
        (["a", "b", "c"], "real numbers"),
        ([1 + 1j, 1, 1], "real numbers"),
        ([10**8, 10**8, 1], "above"),
    ],
)
def test_bad_weights_are_a_clear_error(weights, match):
    with pytest.raises(ValueError, match=match) as info:
        mlekit.fit(mlekit.Poisson(), [0, 1, 2], weights=weights)
    assert "fit: weights" in str(info.value)


def test_zero_weight_drops_the_observation():
    # a value with weight 0 is not in the repeated data, so it may even lie outside the support
    r = mlekit.fit(mlekit.Poisson(), [1, 2, -5], weights=[1, 3, 0])
    assert r.params["lam"] == pytest.approx(7 / 4) and r.n == 4


def test_weights_with_a_custom_family():
    fam = mlekit.CustomFamily(
        lambda x, m, s: stats.norm.logpdf(x, m, s), ["m", "s"], domains={"s": (0.0, np.inf)}, name="custom normal"
    )
    x = np.array([-1.0, 0.5, 2.0, 3.0])
    w = np.array([2, 1, 4, 1])
    a = mlekit.fit(fam, x, weights=w, start={"m": 0.0, "s": 1.0})
    b = mlekit.fit(fam, np.repeat(x, w), start={"m": 0.0, "s": 1.0})
    assert a.converged and a.params == b.params and a.se == b.se and a.n == 8
    assert a.params["m"] == pytest.approx(np.average(x, weights=w), rel=1e-6)
