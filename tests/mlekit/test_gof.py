"""Goodness of fit (``mlekit.gof`` / ``result.gof``) against scipy.stats, for EVERY family.

References:
- the statistics: ``scipy.stats.kstest``, ``scipy.stats.cramervonmises`` and
  ``scipy.stats.goodness_of_fit`` (its Anderson-Darling, with every parameter given as
  known so that scipy evaluates exactly our fitted distribution) on ``result.dist()``;
  ``scipy.stats.anderson(x, "expon")``, whose scale estimate is the MLE;
- the bootstrap p-values: ``scipy.stats.goodness_of_fit`` with the parameters estimated
  (it refits on each replicate, as we do) for families whose scipy fit is the MLE,
  within Monte-Carlo error;
- the chi-square of discrete families: ``scipy.stats.chisquare`` on our cells.
R is not installed here; no R value is claimed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mlekit

from .conftest import base_families


def every_family():
    return base_families() + [mlekit.Normal(sigma2=2.0), mlekit.Normal(mu=0.0)]


def _truth(fam):
    out = {}
    for spec in fam.params:
        lo, hi = spec.typical
        out[spec.name] = 0.5 * (lo + hi) if spec.size is None else np.arange(1.0, spec.size + 1) / np.sum(np.arange(1.0, spec.size + 1))
    return out


def _fit(fam, n=120, seed=0):
    x = fam.sample(n, rng=seed, **_truth(fam))
    return mlekit.fit(fam, x), x


FAMILIES = every_family()
CONTINUOUS = [f for f in FAMILIES if not f.discrete]
DISCRETE = [f for f in FAMILIES if f.discrete]


def _scipy_known(d):
    """known_params for scipy.stats.goodness_of_fit: every parameter of the frozen d."""
    shapes = [s.strip() for s in (d.dist.shapes or "").split(",") if s.strip()]
    known = dict(zip(shapes, d.args))
    known.update(d.kwds)
    known.setdefault("loc", 0.0)
    known.setdefault("scale", 1.0)
    return known


@pytest.mark.parametrize("fam", CONTINUOUS, ids=repr)
def test_continuous_statistics_equal_scipys_on_the_fitted_distribution(fam):
    r, x = _fit(fam)
    g = mlekit.gof(r, x, n_boot=0)
    d = r.dist()
    assert g.pvalues == {}
    assert g.statistics["ks"] == pytest.approx(stats.kstest(x, d.cdf).statistic, rel=1e-12, abs=1e-15)
    assert g.statistics["cvm"] == pytest.approx(stats.cramervonmises(x, d.cdf).statistic, rel=1e-10)
    if isinstance(fam, mlekit.Uniform):  # the MLE puts x_min, x_max on the support's edge: F = 0 and 1
        assert "ad" not in g.statistics and "Anderson-Darling left out" in g.note
        return
    ref = stats.goodness_of_fit(d.dist, x, known_params=_scipy_known(d), statistic="ad", n_mc_samples=1, rng=0)
    assert g.statistics["ad"] == pytest.approx(ref.statistic, rel=1e-9)


def test_anderson_darling_equals_scipy_anderson_for_the_exponential():
    x = mlekit.Exponential().sample(80, rng=5, rate=0.7)
    r = mlekit.fit(mlekit.Exponential(), x)
    assert r.gof(x, n_boot=0).statistics["ad"] == pytest.approx(stats.anderson(x, "expon", method="interpolate").statistic, rel=1e-10)


# scipy family, its fixed parameters: scipy's fit is then the MLE, as ours. (Not Normal:
# goodness_of_fit estimates norm's scale with ddof=1, as its docstring says, so its statistic
# is that of another distribution; the statistics test above covers Normal with known parameters.)
BOOT_REFS = [
    (mlekit.LogNormal(), stats.lognorm, {"loc": 0.0}),
    (mlekit.Exponential(), stats.expon, {"loc": 0.0}),
    (mlekit.Gamma(), stats.gamma, {"loc": 0.0}),
]


@pytest.mark.parametrize("fam,scipy_dist,known", BOOT_REFS, ids=lambda v: repr(v) if isinstance(v, mlekit.Family) else "")
def test_bootstrap_pvalues_agree_with_scipy_goodness_of_fit(fam, scipy_dist, known):
    # data a little off the family (a lognormal with sdlog 0.5), so that the p-values are neither 0 nor 1
    x = np.random.default_rng(11).lognormal(0.5, 0.5, 60)
    r = mlekit.fit(fam, x)
    ours = r.gof(x, n_boot=999, rng=1)
    for key, name in (("ks", "ks"), ("cvm", "cvm"), ("ad", "ad")):
        ref = stats.goodness_of_fit(scipy_dist, x, known_params=known or None, statistic=name, n_mc_samples=999, rng=2)
        assert ours.statistics[key] == pytest.approx(ref.statistic, rel=1e-6)
        # two independent Monte-Carlo estimates of one p-value: sd <= sqrt(2 * 0.25 / 1000) = 0.022
        assert ours.pvalues[key] == pytest.approx(ref.pvalue, abs=0.07), (key, ours.pvalues[key], ref.pvalue)
    assert ours.n_failed == 0


@pytest.mark.parametrize("fam", DISCRETE, ids=repr)
def test_discrete_chi_square_equals_scipy_chisquare_on_the_cells(fam):
    r, x = _fit(fam, n=300, seed=3)
    lo, hi = r.dist().support()
    if hi - lo + 1 <= r.n_params + 1:  # Bernoulli, Categorical: the fit reproduces the frequencies
        with pytest.raises(ValueError, match="saturated"):
            mlekit.gof(r, x, n_boot=0)
        return
    g = mlekit.gof(r, x, n_boot=0)
    assert set(g.statistics) == {"chi2"}
    assert g.observed.sum() == x.size
    assert g.expected.sum() == pytest.approx(x.size, rel=1e-9)  # the cells cover the whole support
    assert np.all(g.expected >= 5.0)
    # every observation lies in exactly one cell, and the cells count them right
    lo = np.array([c[0] for c in g.cells])
    hi = np.array([c[1] for c in g.cells])
    counted = [(x >= a) & (x <= b) for a, b in zip(lo, hi)]
    np.testing.assert_array_equal(np.sum(counted, axis=0), 1)
    np.testing.assert_array_equal([c.sum() for c in counted], g.observed)
    ref = stats.chisquare(g.observed, g.expected, ddof=r.n_params)
    assert g.statistics["chi2"] == pytest.approx(ref.statistic, rel=1e-12)
    assert g.chi2_df == len(g.cells) - 1 - r.n_params > 0
    assert g.chi2_pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_poisson_chi_square_cells_by_hand():
    # 40 counts from the (hand-made) table below; lam-hat = mean = 1.5
    x = np.repeat([0, 1, 2, 3, 4], [10, 12, 9, 6, 3])
    r = mlekit.fit(mlekit.Poisson(), x)
    g = r.gof(x, n_boot=0)
    lam = x.mean()
    p = stats.poisson.pmf(np.arange(4), lam)
    # expected 40 p_k: 8.93, 13.39, 10.04, 5.02 and the tail 40 P(X >= 4) = 2.62 < 5, merged into {3, 4, ...}
    exp = np.array([40 * p[0], 40 * p[1], 40 * p[2], 40 * stats.poisson.sf(2, lam)])
    obs = np.array([10, 12, 9, 9])
    assert g.cells == ((0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, np.inf))
    np.testing.assert_allclose(g.expected, exp, rtol=1e-12)
    np.testing.assert_array_equal(g.observed, obs)
    assert g.statistics["chi2"] == pytest.approx(np.sum((obs - exp) ** 2 / exp), rel=1e-12)
    assert g.chi2_df == 2


def test_the_bootstrap_is_seeded_and_tells_right_from_wrong():
    x = mlekit.Gamma().sample(150, rng=8, shape=3.0, rate=2.0)
    right = mlekit.fit(mlekit.Gamma(), x)
    a, b = right.gof(x, n_boot=199, rng=4), right.gof(x, n_boot=199, rng=4)
    assert a.pvalues == b.pvalues and a.statistics == b.statistics
    assert right.gof(x, n_boot=199, rng=5).pvalues != a.pvalues  # another seed, other replicates
    assert min(a.pvalues.values()) > 0.05
    wrong = mlekit.fit(mlekit.Exponential(), x)  # shape 3 is far from the exponential's 1
    w = wrong.gof(x, n_boot=199, rng=4)
    assert max(w.pvalues.values()) == pytest.approx(1 / 200)  # no replicate reaches the observed statistic


def test_gof_refuses_what_it_cannot_test():
    x = mlekit.Poisson().sample(50, rng=1, lam=2.0)
    r = mlekit.fit(mlekit.Poisson(), x)
    with pytest.raises(ValueError, match="MLEResult"):
        mlekit.gof("fit", x)
    with pytest.raises(ValueError, match="data are not those"):
        r.gof(x[::-1].copy() + np.r_[1, np.zeros(49, dtype=int)])
    with pytest.raises(ValueError, match="n_boot"):
        r.gof(x, n_boot=-1)
    with pytest.raises(ValueError, match="n_boot"):
        r.gof(x, n_boot=2.5)
    with pytest.raises(ValueError, match="rng"):
        r.gof(x, rng="seed")
    custom = mlekit.CustomFamily(lambda x, m: stats.norm.logpdf(x, m, 1.0), ["m"])
    rc = mlekit.fit(custom, [0.1, 0.4, -0.2], start={"m": 0.0})
    with pytest.raises(ValueError, match="no scipy.stats counterpart"):
        rc.gof([0.1, 0.4, -0.2])
    rmap = mlekit.fit(mlekit.Poisson(), x, prior=mlekit.GammaPrior(2.0, 1.0))
    with pytest.raises(ValueError, match="MAP"):
        rmap.gof(x)
    # weighted or censored fits (fields of the fit when it has them) are refused, not mis-tested
    for attr in ("weights", "censoring"):
        r2 = mlekit.fit(mlekit.Poisson(), x)
        object.__setattr__(r2, attr, np.ones(x.size))
        with pytest.raises(ValueError, match="weights" if attr == "weights" else "censored"):
            r2.gof(x)


def test_gof_refuses_a_fit_that_did_not_converge():
    x = np.random.default_rng(0).standard_t(3, 30)
    r = mlekit.fit(mlekit.StudentT(), x, method="gradient", max_iter=2)
    assert not r.converged
    with pytest.raises(ValueError, match="did not converge"):
        r.gof(x)


def test_summary_names_every_statistic():
    x = mlekit.Normal().sample(40, rng=2, mu=0.0, sigma2=1.0)
    text = mlekit.fit(mlekit.Normal(), x).gof(x, n_boot=19, rng=0).summary()
    for name in ("Kolmogorov-Smirnov", "Cramér-von Mises", "Anderson-Darling", "19 bootstrap"):
        assert name in text


# ------------------------------------------------------------ gof_table (R gofstat of several fits)
def test_gof_table_is_each_fits_gof_and_compare_models_criteria():
    x = mlekit.Gamma().sample(100, rng=1, shape=2.0, rate=1.0)
    fits = {name: mlekit.fit(fam, x) for name, fam in (("gamma", mlekit.Gamma()), ("weibull", mlekit.Weibull()),
                                                        ("lognormal", mlekit.LogNormal()))}
    table = mlekit.gof_table(fits, x, n_boot=49, rng=3)
    crit = mlekit.compare_models(fits)
    assert list(table.index) == list(crit.index)  # ordered by AIC
    np.testing.assert_allclose(table["aic"], crit["aic"], rtol=1e-15)
    np.testing.assert_allclose(table["bic"], crit["bic"], rtol=1e-15)
    for name, r in fits.items():
        g = r.gof(x, n_boot=0)
        for key in ("ks", "cvm", "ad"):
            assert table.loc[name, key] == g.statistics[key]
        assert 1 / 50 <= table.loc[name, "ks_pvalue"] <= 1
    again = mlekit.gof_table(fits, x, n_boot=49, rng=3)
    assert again.equals(table)  # seeded


def test_gof_table_discrete_and_its_refusals():
    y = mlekit.NegativeBinomial().sample(300, rng=4, size=3.0, mu=4.0)
    t = mlekit.gof_table([mlekit.fit(mlekit.Poisson(), y), mlekit.fit(mlekit.NegativeBinomial(), y)], y)
    assert list(t.columns) == ["chi2", "chi2_df", "aic", "bic", "note"]
    assert t.index[0] == "NegativeBinomial()"  # the overdispersed counts favour it
    assert t.loc["Poisson()", "chi2"] == mlekit.fit(mlekit.Poisson(), y).gof(y, n_boot=0).statistics["chi2"]
    y1 = y + 1  # positive counts, which a Gamma can also be fitted to: same data, other kind of family
    with pytest.raises(ValueError, match="mix discrete and continuous"):
        mlekit.gof_table([mlekit.fit(mlekit.Poisson(), y1), mlekit.fit(mlekit.Gamma(), y1)], y1)
    with pytest.raises(ValueError, match="not an MLEResult"):
        mlekit.gof_table([mlekit.fit(mlekit.Poisson(), y), "fit"], y)
    with pytest.raises(ValueError, match="different"):
        mlekit.gof_table([mlekit.fit(mlekit.Poisson(), y), mlekit.fit(mlekit.Poisson(), y[:-1])], y)
