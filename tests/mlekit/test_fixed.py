"""Fixed parameters in every multi-parameter family (issue 16, row 1).

Every family of ``mlekit.families`` with two or more scalar parameters is discovered
automatically, and every proper subset of its parameters is fixed in turn. The
references are scipy: ``dist.fit(x, f0=..., floc=..., fscale=...)`` where scipy can
express the restriction, and in every case a direct maximization of the sum of
scipy's ``logpdf`` over the free parameters (``scipy.optimize.minimize``,
Nelder-Mead with tight tolerances), with standard errors from the full family's
observed information restricted to the free block.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize, stats

import mlekit
from mlekit import families as fams

# scipy's log-density of each family in mlekit's parameters (the reference of every check)
SCIPY_LOGPDF = {
    "Normal": lambda x, mu, sigma2: stats.norm.logpdf(x, mu, np.sqrt(sigma2)),
    "Gamma": lambda x, shape, rate: stats.gamma.logpdf(x, shape, scale=1 / rate),
    "Weibull": lambda x, shape, scale: stats.weibull_min.logpdf(x, shape, scale=scale),
    "Beta": lambda x, shape1, shape2: stats.beta.logpdf(x, shape1, shape2),
    "NegativeBinomial": lambda x, size, mu: stats.nbinom.logpmf(x, size, size / (size + mu)),
    "StudentT": lambda x, mu, sigma, df: stats.t.logpdf(x, df, mu, sigma),
    "LogNormal": lambda x, meanlog, sdlog: stats.lognorm.logpdf(x, sdlog, scale=np.exp(meanlog)),
    "Uniform": lambda x, a, b: stats.uniform.logpdf(x, a, b - a),
    "Laplace": lambda x, mu, b: stats.laplace.logpdf(x, mu, b),
}

# the true values the data are drawn from (and the values fixed)
TRUE = {
    "Normal": dict(mu=1.0, sigma2=2.0),
    "Gamma": dict(shape=2.5, rate=1.5),
    "Weibull": dict(shape=1.7, scale=2.0),
    "Beta": dict(shape1=2.0, shape2=5.0),
    "NegativeBinomial": dict(size=2.0, mu=4.0),
    "StudentT": dict(mu=0.5, sigma=1.5, df=4.0),
    "LogNormal": dict(meanlog=0.3, sdlog=0.8),
    "Uniform": dict(a=-1.0, b=3.0),
    "Laplace": dict(mu=0.5, b=1.2),
}


def multi_parameter_families():
    """The classes in mlekit.families.__all__ whose no-argument instance has two or more scalar parameters."""
    out = []
    for cls in (getattr(fams, name) for name in fams.__all__):
        if cls in (mlekit.Family, mlekit.Param, mlekit.CustomFamily):
            continue
        try:
            specs = cls().params
        except (TypeError, ValueError):
            continue  # needs constructor data (Binomial(n=), Categorical(k=)): one parameter anyway
        if len(specs) >= 2 and all(s.size is None for s in specs):
            out.append(cls)
    return out


FAMILIES = multi_parameter_families()


def cases():
    out = []
    for cls in FAMILIES:
        names = cls().param_names
        for r in range(1, len(names)):
            for fixed in itertools.combinations(names, r):
                out.append((cls, fixed))
    return out


CASES = cases()
IDS = [f"{cls.__name__}({','.join(fixed)})" for cls, fixed in CASES]


def test_every_multi_parameter_family_has_a_reference():
    assert {c.__name__ for c in FAMILIES} == set(SCIPY_LOGPDF) == set(TRUE)


def _data(cls, n=400, seed=0):
    return cls().sample(n, rng=np.random.default_rng(seed), **TRUE[cls.__name__])


def _reference_mle(cls, x, fixed: dict) -> dict:
    """Maximize the sum of scipy's logpdf over the free parameters (log scale for positive ones)."""
    full_fam = cls()
    free = [s for s in full_fam.params if s.name not in fixed]
    logpdf = SCIPY_LOGPDF[cls.__name__]
    fit = mlekit.fit(full_fam, x)  # the full MLE: a start near the restricted one

    def unpack(u):
        p = dict(fixed)
        for spec, v in zip(free, u):
            p[spec.name] = float(np.exp(v)) if spec.lower == 0 else float(v)
        return p

    def neg(u):
        with np.errstate(all="ignore"):
            v = -float(np.sum(logpdf(x, **unpack(u))))
        return v if np.isfinite(v) else 1e300

    u0 = [np.log(fit.params[s.name]) if s.lower == 0 else fit.params[s.name] for s in free]
    best = None
    for _ in range(3):  # restart Nelder-Mead from its own answer until it stops moving
        res = optimize.minimize(neg, u0, method="Nelder-Mead", options=dict(xatol=1e-11, fatol=1e-13, maxiter=20_000))
        u0 = res.x
        if best is not None and abs(best - res.fun) < 1e-12:
            break
        best = res.fun
    return {k: v for k, v in unpack(res.x).items() if k not in fixed}


def _scipy_fit(name, x, fixed):
    """scipy's own ``fit`` with the f-arguments, where scipy can state the restriction; else None."""
    if name == "Gamma":
        if "shape" in fixed:
            return {"rate": 1 / stats.gamma.fit(x, f0=fixed["shape"], floc=0)[2]}
        return {"shape": stats.gamma.fit(x, fscale=1 / fixed["rate"], floc=0)[0]}
    if name == "Weibull":
        if "shape" in fixed:
            return {"scale": stats.weibull_min.fit(x, f0=fixed["shape"], floc=0)[2]}
        return {"shape": stats.weibull_min.fit(x, fscale=fixed["scale"], floc=0)[0]}
    if name == "Beta":
        if "shape1" in fixed:
            return {"shape2": stats.beta.fit(x, f0=fixed["shape1"], floc=0, fscale=1)[1]}
        return {"shape1": stats.beta.fit(x, f1=fixed["shape2"], floc=0, fscale=1)[0]}
    if name == "LogNormal":
        if "meanlog" in fixed:
            return {"sdlog": stats.lognorm.fit(x, floc=0, fscale=np.exp(fixed["meanlog"]))[0]}
        return {"meanlog": np.log(stats.lognorm.fit(x, f0=fixed["sdlog"], floc=0)[2])}
    if name == "Normal":
        if "mu" in fixed:
            return {"sigma2": stats.norm.fit(x, floc=fixed["mu"])[1] ** 2}
        return {"mu": stats.norm.fit(x, fscale=np.sqrt(fixed["sigma2"]))[0]}
    if name == "Laplace":
        if "mu" in fixed:
            return {"b": stats.laplace.fit(x, floc=fixed["mu"])[1]}
        return {"mu": stats.laplace.fit(x, fscale=fixed["b"])[0]}
    if name == "Uniform" and "a" in fixed:
        loc, scale = stats.uniform.fit(x, floc=fixed["a"])
        return {"b": loc + scale}
    if name == "StudentT":
        kw = {}
        if "df" in fixed:
            kw["f0"] = fixed["df"]
        if "mu" in fixed:
            kw["floc"] = fixed["mu"]
        if "sigma" in fixed:
            kw["fscale"] = fixed["sigma"]
        df, loc, scale = stats.t.fit(x, **kw)
        return {k: v for k, v in dict(df=df, mu=loc, sigma=scale).items() if k not in fixed}
    return None  # NegativeBinomial (scipy's discrete families have no fit with fixed arguments), Uniform(b=)


@pytest.mark.parametrize("cls, fixed_names", CASES, ids=IDS)
def test_fit_with_fixed_parameters_matches_scipy(cls, fixed_names):
    name = cls.__name__
    fixed = {k: TRUE[name][k] for k in fixed_names}
    fam = cls(**fixed)
    x = _data(cls)
    res = mlekit.fit(fam, x)
    assert res.converged, res.message
    free = [k for k in cls().param_names if k not in fixed]
    # params hold the free parameters only; the family carries the fixed ones
    assert list(res.params) == free
    assert res.family._fixed() == fixed
    assert res.n_params == len(free)
    assert res.aic == pytest.approx(2 * len(free) - 2 * res.loglik, rel=1e-15)
    # the log-likelihood is scipy's at the estimate
    full = {**fixed, **res.params}
    assert res.loglik == pytest.approx(float(np.sum(SCIPY_LOGPDF[name](x, **full))), rel=1e-11)
    if name == "Uniform":
        # not a calculus maximum: the estimate is the sample extreme on the free side
        ref = {"b": float(x.max())} if "a" in fixed else {"a": float(x.min())}
    elif name == "Laplace" and "b" in fixed:
        ref = {"mu": float(np.median(x))}  # any median maximizes; np.median's is the midpoint
    else:
        ref = _reference_mle(cls, x, fixed)
    for k in free:
        assert res.params[k] == pytest.approx(ref[k], rel=2e-6, abs=1e-9), k
    sp = _scipy_fit(name, x, fixed)
    if sp is not None:
        # scipy's fit: its closed forms to ~1e-12; where it falls back to its generic optimizer
        # (optimize.fmin, xtol 1e-4) only to ~1e-5 (Weibull, Beta) or ~1e-3 (StudentT)
        rel = {"StudentT": 2e-3, "Weibull": 1e-4, "Beta": 1e-4, "Gamma": 1e-4}.get(name, 1e-9)
        for k in free:
            assert res.params[k] == pytest.approx(sp[k], rel=rel), (k, sp)
        # and ours is never below scipy's at its own answer
        assert res.loglik >= float(np.sum(SCIPY_LOGPDF[name](x, **{**fixed, **sp}))) - 1e-9


@pytest.mark.parametrize("cls, fixed_names", CASES, ids=IDS)
def test_standard_errors_with_fixed_parameters(cls, fixed_names):
    name = cls.__name__
    fixed = {k: TRUE[name][k] for k in fixed_names}
    x = _data(cls)
    res = mlekit.fit(cls(**fixed), x)
    free = list(res.params)
    n = x.size
    if name == "Uniform":
        # the free end is a sample extreme: (b - a) times a Beta(n, 1) (or 1 - it), variance
        # (b - a)^2 n / ((n + 1)^2 (n + 2)), at the estimate
        full = {**fixed, **res.params}
        expect = (full["b"] - full["a"]) * np.sqrt(n / ((n + 1) ** 2 * (n + 2)))
        assert res.se[free[0]] == pytest.approx(expect, rel=1e-12)
        return
    if name == "Laplace":
        # expected information 1/b^2 for mu and for b (the observed one is 0 for mu)
        b = {**fixed, **res.params}["b"]
        assert res.se[free[0]] == pytest.approx(b / np.sqrt(n), rel=1e-12)
        return
    # the inverse of the free block of the full model's observed information at the estimate
    full_fam = cls()
    H = full_fam.hessian(x, **{**fixed, **res.params})
    idx = [full_fam.param_names.index(k) for k in free]
    cov = np.linalg.inv(-H[np.ix_(idx, idx)])
    np.testing.assert_allclose(res.cov, cov, rtol=1e-6)
    for i, k in enumerate(free):
        assert res.se[k] == pytest.approx(np.sqrt(cov[i, i]), rel=1e-6)
    # the public inference function agrees
    se = mlekit.standard_errors(cls(**fixed), x, res.params)
    for k in free:
        assert se[k] == pytest.approx(res.se[k], rel=1e-6)


@pytest.mark.parametrize("cls, fixed_names", CASES, ids=IDS)
def test_fixed_family_methods_equal_the_full_family_at_the_fixed_values(cls, fixed_names):
    name = cls.__name__
    fixed = {k: TRUE[name][k] for k in fixed_names}
    fam, full_fam = cls(**fixed), cls()
    x = _data(cls, n=50, seed=3)
    free = {k: v * 1.1 for k, v in TRUE[name].items() if k not in fixed}
    if name == "Uniform":
        free = {k: TRUE[name][k] + (0.5 if k == "b" else -0.5) for k in free}
    full = {**fixed, **free}
    np.testing.assert_allclose(fam.logpdf(x, **free), SCIPY_LOGPDF[name](x, **full), rtol=1e-12, atol=1e-12)
    assert fam.loglik(x, **free) == pytest.approx(full_fam.loglik(x, **full), rel=1e-13)
    assert repr(fam) == f"{name}({', '.join(f'{k}={v!r}' for k, v in fixed.items())})"
    draws = fam.sample(20, rng=np.random.default_rng(5), **free)
    np.testing.assert_array_equal(draws, full_fam.sample(20, rng=np.random.default_rng(5), **full))
    if full_fam.differentiable:
        idx = [full_fam.param_names.index(k) for k in free]
        np.testing.assert_allclose(fam.score(x, **free), full_fam.score(x, **full)[idx], rtol=1e-12)
        H = full_fam.hessian(x, **full)
        np.testing.assert_allclose(fam.hessian(x, **free), H[np.ix_(idx, idx)], rtol=1e-12)
        info = full_fam.fisher_information(**full)
        np.testing.assert_allclose(fam.fisher_information(**free), info[np.ix_(idx, idx)], rtol=1e-12)
    # giving a fixed parameter to a method is refused, naming it
    with pytest.raises(ValueError, match=f"({'|'.join(fixed_names)}) is fixed"):
        fam.loglik(x, **full)


@pytest.mark.parametrize("cls", FAMILIES, ids=[c.__name__ for c in FAMILIES])
def test_fixed_value_outside_the_parameter_space_is_a_clear_error(cls):
    full_fam = cls()
    for spec in full_fam.params:
        bad = [np.nan, np.inf, "1"]
        if np.isfinite(spec.lower):
            bad += [spec.lower, spec.lower - 1.0]
        for v in bad:
            with pytest.raises(ValueError, match=spec.name):
                cls(**{spec.name: v})
    with pytest.raises(ValueError, match="unknown parameter"):
        cls(nonsense=1.0)
    with pytest.raises(ValueError, match="nothing to estimate"):
        cls(**TRUE[cls.__name__])


def test_closed_forms_for_the_remaining_parameter():
    rng = np.random.default_rng(11)
    x = rng.gamma(3.0, 0.5, size=500)
    # Gamma, shape a known: the rate score n a / b - sum x = 0, so b = a / mean(x)
    r = mlekit.fit(mlekit.Gamma(shape=2.0), x)
    assert r.method == "closed-form" and r.params["rate"] == pytest.approx(2.0 / x.mean(), rel=1e-14)
    # its variance 1 / (n a / b^2) = b^2 / (n a)
    assert r.se["rate"] == pytest.approx(r.params["rate"] / np.sqrt(x.size * 2.0), rel=1e-12)
    # Weibull, shape k known: scale^k = mean(x^k)
    r = mlekit.fit(mlekit.Weibull(shape=1.5), x)
    assert r.method == "closed-form" and r.params["scale"] == pytest.approx(np.mean(x**1.5) ** (1 / 1.5), rel=1e-13)
    # NegativeBinomial, size known: mu = mean(x)
    y = rng.negative_binomial(3, 0.4, size=300)
    r = mlekit.fit(mlekit.NegativeBinomial(size=3.0), y)
    assert r.method == "closed-form" and r.params["mu"] == pytest.approx(y.mean(), rel=1e-14)
    # LogNormal, meanlog known: sdlog^2 = mean((log x - meanlog)^2)
    r = mlekit.fit(mlekit.LogNormal(meanlog=0.0), x)
    assert r.params["sdlog"] == pytest.approx(np.sqrt(np.mean(np.log(x) ** 2)), rel=1e-13)
    # Gamma(rate=) has no closed form: a numerical fit
    assert mlekit.fit(mlekit.Gamma(rate=2.0), x).method.startswith("auto")
    with pytest.raises(ValueError, match="no closed-form"):
        mlekit.fit(mlekit.Gamma(rate=2.0), x, method="closed-form")


def test_numerical_methods_honour_fixed_parameters():
    x = _data(mlekit.StudentT)
    fam = mlekit.StudentT(df=4.0)
    ref = mlekit.fit(fam, x)
    for method in ("newton", "scipy"):
        r = mlekit.fit(fam, x, method=method)
        assert r.converged and list(r.params) == ["mu", "sigma"]
        for k in r.params:
            assert r.params[k] == pytest.approx(ref.params[k], rel=1e-6)
    r = mlekit.fit(mlekit.Gamma(shape=2.5), _data(mlekit.Gamma), method="newton", start={"rate": 1.0})
    assert r.converged and r.params["rate"] == pytest.approx(2.5 / _data(mlekit.Gamma).mean(), rel=1e-8)


def test_likelihood_ratio_test_gamma_shape_1_is_the_exponential():
    x = _data(mlekit.Gamma)
    null = mlekit.fit(mlekit.Gamma(shape=1.0), x)
    alt = mlekit.fit(mlekit.Gamma(), x)
    # Gamma(shape = 1) is Exponential(rate): the same MLE rate = 1/mean and log-likelihood
    expo = mlekit.fit(mlekit.Exponential(), x)
    assert null.params["rate"] == pytest.approx(expo.params["rate"], rel=1e-14)
    assert null.loglik == pytest.approx(expo.loglik, rel=1e-13)
    lrt = mlekit.likelihood_ratio_test(null, alt)
    assert lrt.df == 1
    assert lrt.statistic == pytest.approx(2 * (alt.loglik - expo.loglik), rel=1e-12)
    assert lrt.pvalue == pytest.approx(stats.chi2.sf(lrt.statistic, 1), rel=1e-12)
    # a null that fixes a parameter at another value than the alternative does is not nested in it
    t = _data(mlekit.StudentT)
    with pytest.raises(ValueError, match="not nested"):
        mlekit.likelihood_ratio_test(
            mlekit.fit(mlekit.StudentT(mu=0.5, df=4.0), t), mlekit.fit(mlekit.StudentT(df=5.0), t)
        )


@pytest.mark.parametrize("cls, fixed_names", [c for c in CASES if len(c[0]().param_names) - len(c[1]) == 1 and c[0]().differentiable],
                         ids=[i for c, i in zip(CASES, IDS) if len(c[0]().param_names) - len(c[1]) == 1 and c[0]().differentiable])
def test_profile_interval_of_the_one_free_parameter(cls, fixed_names):
    name = cls.__name__
    fixed = {k: TRUE[name][k] for k in fixed_names}
    x = _data(cls)
    res = mlekit.fit(cls(**fixed), x)
    (free,) = res.params
    pi = mlekit.profile_interval(cls(**fixed), x, free)
    cut = stats.chi2.ppf(0.95, 1) / 2
    # at each bound scipy's log-likelihood is the maximum minus chi2_1(0.95)/2
    for bound in (pi.lower, pi.upper):
        ll = float(np.sum(SCIPY_LOGPDF[name](x, **{**fixed, free: bound})))
        assert ll == pytest.approx(res.loglik - cut, abs=1e-6)
    assert pi.lower < res.params[free] < pi.upper


def test_score_test_with_a_fixed_null_fit():
    x = _data(mlekit.Weibull)
    null = mlekit.fit(mlekit.Weibull(shape=1.0), x)
    st = mlekit.score_test(mlekit.Weibull(), x, null)
    assert st.df == 1 and np.isfinite(st.statistic)


@pytest.mark.parametrize("fixed", ["a", "b"])
def test_uniform_with_one_end_fixed_exact_interval_covers(fixed):
    # (max x - a)/(b - a) is the largest of n uniforms (P(. <= u) = u^n): the exact 90% interval
    # for b is [max x, a + (max x - a) 0.1^(-1/n)]; over 4000 seeded data sets its coverage must be
    # 0.90 within 4 binomial standard errors (0.019)
    a, b, n, level, reps = -1.0, 3.0, 12, 0.90, 4000
    rng = np.random.default_rng(17)
    fam = mlekit.Uniform(**{fixed: a if fixed == "a" else b})
    free = "b" if fixed == "a" else "a"
    truth = b if free == "b" else a
    hits = 0
    for _ in range(reps):
        x = rng.uniform(a, b, size=n)
        lo, hi = mlekit.fit(fam, x).conf_int(level)[free]
        hits += lo <= truth <= hi
    assert abs(hits / reps - level) < 4 * np.sqrt(level * (1 - level) / reps)
    # and the bound itself, written out
    x = rng.uniform(a, b, size=n)
    ci = mlekit.fit(fam, x).conf_int(level)[free]
    if free == "b":
        assert ci == pytest.approx((x.max(), a + (x.max() - a) * (1 - level) ** (-1 / n)), rel=1e-14)
    else:
        assert ci == pytest.approx((b - (b - x.min()) * (1 - level) ** (-1 / n), x.min()), rel=1e-14)


def test_inference_functions_on_a_fixed_family_by_hand():
    # Gamma with the shape a known: score of the rate U(b) = n a / b - S, information n a / b^2
    x = _data(mlekit.Gamma)
    a, n, S = 2.5, x.size, float(x.sum())
    fam = mlekit.Gamma(shape=a)
    r = mlekit.fit(fam, x)
    b0 = 1.4
    st = mlekit.score_test(fam, x, {"rate": b0})
    assert st.statistic == pytest.approx((n * a / b0 - S) ** 2 / (n * a / b0**2), rel=1e-12)
    assert st.df == 1
    b = r.params["rate"]
    wt = mlekit.wald_test(r, {"rate": b0})
    assert wt.statistic == pytest.approx((b - b0) ** 2 * n * a / b**2, rel=1e-10)
    # the sandwich: sum of squared per-observation scores (a/b - x_i)^2 over the information squared
    sw = mlekit.sandwich_covariance(fam, x, r.params)
    assert sw[0, 0] == pytest.approx(np.sum((a / b - x) ** 2) / (n * a / b**2) ** 2, rel=1e-10)
    table = mlekit.compare_models([r, mlekit.fit(mlekit.Gamma(), x)])
    assert list(table["n_params"]) == [1, 2]


def test_fixed_families_pickle_and_copy():
    import copy
    import pickle

    for fam in (mlekit.Gamma(shape=2.0), mlekit.StudentT(mu=0.0, df=3.0), mlekit.Uniform(a=0.0)):
        for clone in (pickle.loads(pickle.dumps(fam)), copy.deepcopy(fam)):
            assert repr(clone) == repr(fam) and clone.param_names == fam.param_names
            x = np.array([0.5, 1.0, 2.0])
            p = {k: 1.5 if k != "b" else 3.0 for k in fam.param_names}
            assert clone.loglik(x, **p) == fam.loglik(x, **p)
