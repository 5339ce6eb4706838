"""Censored data: ``fit(family, scipy.stats.CensoredData(...))`` (issue 16, row 3).

References: scipy's own ``dist.fit(CensoredData)`` on five simulated data sets (right,
left, interval and mixed censoring), a maximization of the censored log-likelihood
written out here independently (scipy's logpdf/logcdf/logsf and a plain
``log(cdf(b) - cdf(a))``, Nelder-Mead with tight tolerances), and the closed form of the
exponential with right censoring (rate = events / total time, se = rate / sqrt(events)).
R is not installed here, so no R ``fitdistcens`` numbers are claimed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

import mlekit
from mlekit import censored

CD = stats.CensoredData


def _independent_loglik(dist, args, kw, data_parts):
    u, left, right, a, b = data_parts
    return (
        np.sum(dist.logpdf(u, *args, **kw))
        + np.sum(dist.logcdf(left, *args, **kw))
        + np.sum(dist.logsf(right, *args, **kw))
        + np.sum(np.log(dist.cdf(b, *args, **kw) - dist.cdf(a, *args, **kw)))
    )


def _reference(dist, to_args, u0, parts):
    """Maximize the censored log-likelihood written out above (Nelder-Mead, restarted)."""

    def neg(u):
        args, kw = to_args(u)
        with np.errstate(all="ignore"):
            v = -_independent_loglik(dist, args, kw, parts)
        return v if np.isfinite(v) else 1e300

    best = None
    for _ in range(4):
        res = optimize.minimize(neg, u0, method="Nelder-Mead", options=dict(xatol=1e-11, fatol=1e-13, maxiter=20_000))
        u0 = res.x
        if best is not None and abs(best - res.fun) < 1e-12:
            break
        best = res.fun
    return res.x, -res.fun


def _parts(cd):
    iv = cd._interval.reshape(-1, 2)
    return cd._uncensored, cd._left, cd._right, iv[:, 0], iv[:, 1]


# (name, family, CensoredData, scipy dist, scipy fit kwargs, mlekit params from scipy's (shape..., loc, scale),
#  working vector -> scipy args, mlekit params -> working vector)
def _datasets():
    rng = np.random.default_rng(2024)
    out = []
    # 1. lifetimes, right-censored at the end of the study (t = 2.5)
    t = 2.0 * rng.weibull(1.5, size=200)
    out.append((
        "weibull-right", mlekit.Weibull(), CD.right_censored(np.minimum(t, 2.5), t > 2.5), stats.weibull_min,
        dict(floc=0), lambda f: {"shape": f[0], "scale": f[2]},
        lambda u: ((np.exp(u[0]),), dict(scale=np.exp(u[1]))), lambda p: [np.log(p["shape"]), np.log(p["scale"])],
    ))
    # 2. concentrations under a detection limit (left-censored at 0.5)
    x = rng.normal(1.0, 0.8, size=150)
    out.append((
        "normal-left", mlekit.Normal(), CD.left_censored(np.maximum(x, 0.5), x < 0.5), stats.norm,
        {}, lambda f: {"mu": f[0], "sigma2": f[1] ** 2},
        lambda u: ((), dict(loc=u[0], scale=np.exp(u[1]))), lambda p: [p["mu"], 0.5 * np.log(p["sigma2"])],
    ))
    # 3. sizes known only to the bin of width 0.5 they fall in (interval-censored), a few exact
    y = rng.lognormal(0.2, 0.6, size=180)
    lo = np.floor(y / 0.5) * 0.5
    iv = np.column_stack([lo[20:], lo[20:] + 0.5])
    iv[iv[:, 0] == 0, 0] = 1e-12  # a bin starting at 0: the lognormal puts no mass there
    out.append((
        "lognormal-interval", mlekit.LogNormal(), CD(uncensored=y[:20], interval=iv), stats.lognorm,
        dict(floc=0), lambda f: {"meanlog": np.log(f[2]), "sdlog": f[0]},
        lambda u: ((np.exp(u[1]),), dict(scale=np.exp(u[0]))), lambda p: [p["meanlog"], np.log(p["sdlog"])],
    ))
    # 4. every kind at once: exact, left, right and interval
    g = rng.gamma(2.5, 1 / 1.2, size=240)
    out.append((
        "gamma-mixed", mlekit.Gamma(),
        CD(uncensored=g[:120], left=np.maximum(g[120:150], 0.8), right=np.minimum(g[150:190], 3.0),
           interval=np.column_stack([0.5 * g[190:], 1.5 * g[190:]])),
        stats.gamma, dict(floc=0), lambda f: {"shape": f[0], "rate": 1 / f[2]},
        lambda u: ((np.exp(u[0]),), dict(scale=np.exp(-u[1]))), lambda p: [np.log(p["shape"]), np.log(p["rate"])],
    ))
    # 5. proportions, right-censored at 0.6
    z = rng.beta(2.0, 3.0, size=200)
    out.append((
        "beta-right", mlekit.Beta(), CD.right_censored(np.minimum(z, 0.6), z > 0.6), stats.beta,
        dict(floc=0, fscale=1), lambda f: {"shape1": f[0], "shape2": f[1]},
        lambda u: ((np.exp(u[0]), np.exp(u[1])), {}), lambda p: [np.log(p["shape1"]), np.log(p["shape2"])],
    ))
    return out


DATASETS = _datasets()


@pytest.mark.parametrize("case", DATASETS, ids=[c[0] for c in DATASETS])
def test_censored_fit_matches_scipy_and_an_independent_maximization(case):
    name, fam, cd, dist, kw, from_scipy, to_args, to_u = case
    r = mlekit.fit(fam, cd)
    assert r.converged, r.message
    assert r.n == len(cd)
    assert sum(r.censoring.values()) == len(cd) and r.censoring["uncensored"] == cd._uncensored.size
    parts = _parts(cd)
    # the log-likelihood is the independent one at the estimate
    args, kws = to_args(to_u(r.params))
    assert r.loglik == pytest.approx(_independent_loglik(dist, args, kws, parts), rel=1e-10)
    # the independent maximization
    u_ref, ll_ref = _reference(dist, to_args, to_u(r.params), parts)
    assert r.loglik == pytest.approx(ll_ref, abs=1e-8)
    np.testing.assert_allclose(to_u(r.params), u_ref, rtol=1e-5, atol=1e-6)
    # scipy's own censored fit (its generic optimizer: agreement to ~1e-3) never beats ours
    sp = from_scipy(dist.fit(cd, **kw))
    for k, v in sp.items():
        assert r.params[k] == pytest.approx(v, rel=2e-3), (k, sp)
    args, kws = to_args(to_u(sp))
    assert r.loglik >= _independent_loglik(dist, args, kws, parts) - 1e-9


def test_exponential_right_censoring_closed_form():
    rng = np.random.default_rng(5)
    t = rng.exponential(2.0, size=300)
    c = rng.uniform(1.0, 6.0, size=300)  # each unit's own censoring time
    obs = np.minimum(t, c)
    r = mlekit.fit(mlekit.Exponential(), CD.right_censored(obs, t > c))
    # l(rate) = d log(rate) - rate T: rate = d / T, observed information d / rate^2
    d, total = int(np.sum(t <= c)), float(np.sum(obs))
    assert r.params["rate"] == pytest.approx(d / total, rel=1e-8)
    assert r.se["rate"] == pytest.approx((d / total) / np.sqrt(d), rel=1e-5)
    assert r.loglik == pytest.approx(d * np.log(d / total) - d, rel=1e-10)


def test_fixed_parameters_with_censoring():
    name, fam, cd, *_ = DATASETS[0]
    r = mlekit.fit(mlekit.Weibull(shape=1.5), cd)
    _, _, scale = stats.weibull_min.fit(cd, f0=1.5, floc=0)
    assert list(r.params) == ["scale"] and r.converged
    assert r.params["scale"] == pytest.approx(scale, rel=1e-4)
    # likelihood-ratio test of the fixed shape inside the full model, on the same censored data
    lrt = mlekit.likelihood_ratio_test(r, mlekit.fit(mlekit.Weibull(), cd))
    assert lrt.df == 1 and lrt.statistic >= 0
    # a censored fit and a fit to other (uncensored) data are not comparable
    other = mlekit.fit(mlekit.Weibull(), np.linspace(0.1, 3.0, len(cd)))
    with pytest.raises(ValueError, match="different"):
        mlekit.likelihood_ratio_test(r, other)


def test_supported_families():
    # every continuous family with a differentiable likelihood (the cdf from mlekit._frozen, whose
    # table tests/mlekit/test_dist.py checks against each family's logpdf)
    assert set(censored.SUPPORTED) == {"Normal", "Exponential", "Gamma", "Weibull", "Beta", "StudentT", "LogNormal"}


def test_every_family_censored_or_refused(every_family, typical_params):
    fam = every_family
    name = type(fam).__name__
    x = fam.sample(300, rng=np.random.default_rng(9), **typical_params(fam))
    if name not in censored.SUPPORTED:
        with pytest.raises(ValueError, match="censored"):
            mlekit.fit(fam, CD(uncensored=np.asarray(x, dtype=float)))
        return
    # with nothing censored the censored route is the ordinary MLE
    plain = mlekit.fit(fam, x)
    r = mlekit.fit(fam, CD(uncensored=x))
    assert r.converged
    for k in plain.params:
        assert r.params[k] == pytest.approx(plain.params[k], rel=1e-6), k
        assert r.se[k] == pytest.approx(plain.se[k], rel=1e-3), k
    assert r.loglik == pytest.approx(plain.loglik, rel=1e-10, abs=1e-9)
    # right-censoring the top fifth still converges, and the fit sees the censoring
    cut = np.quantile(x, 0.8)
    rc = mlekit.fit(fam, CD.right_censored(np.minimum(x, cut), x > cut))
    assert rc.converged and rc.censoring["right"] == int(np.sum(x > cut))
    assert rc.loglik == pytest.approx(censored.censored_loglik(fam, CD.right_censored(np.minimum(x, cut), x > cut), **rc.params))


def test_bad_censored_input_is_a_clear_error():
    gamma = mlekit.Gamma()
    with pytest.raises(ValueError, match="left observation 0.0 has probability 0"):
        mlekit.fit(gamma, CD(uncensored=[1.0, 2.0, 3.0], left=[0.0]))
    with pytest.raises(ValueError, match="support"):
        mlekit.fit(gamma, CD(uncensored=[-1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="interval"):
        CD(interval=[[2.0, 1.0]])  # reversed bounds: scipy's own check
    cd = CD.right_censored([1.0, 2.0, 3.0], [False, False, True])
    with pytest.raises(ValueError, match="discrete"):
        mlekit.fit(mlekit.Poisson(), cd)
    with pytest.raises(ValueError, match="not differentiable"):
        mlekit.fit(mlekit.Laplace(), cd)
    custom = mlekit.CustomFamily(lambda x, m: -0.5 * (x - m) ** 2, ["m"])
    with pytest.raises(ValueError, match="cdf"):
        mlekit.fit(custom, cd, start={"m": 0.0})
    with pytest.raises(ValueError, match="weights"):
        mlekit.fit(gamma, cd, weights=[1, 1, 1])
    with pytest.raises(ValueError, match="prior"):
        mlekit.fit(mlekit.Exponential(), cd, prior=mlekit.GammaPrior(1.0, 1.0))
    with pytest.raises(ValueError, match="closed-form"):
        mlekit.fit(gamma, cd, method="closed-form")
    with pytest.raises(ValueError, match="unknown method"):
        mlekit.fit(gamma, cd, method="magic")
    with pytest.raises(ValueError, match="CensoredData"):
        censored.censored_loglik(gamma, [1.0, 2.0], shape=1.0, rate=1.0)


def test_censored_methods_and_start():
    name, fam, cd, *_ = DATASETS[0]
    ref = mlekit.fit(fam, cd)
    for method in ("newton", "scipy"):
        r = mlekit.fit(fam, cd, method=method, start={"shape": 1.0, "scale": 1.0})
        assert r.converged
        for k in r.params:
            assert r.params[k] == pytest.approx(ref.params[k], rel=1e-5)
