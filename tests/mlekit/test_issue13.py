"""Every reproducer of issue 13 ("never a wrong answer with converged=True, at any scale"),
one test case each: a correct answer (against an outside reference), a clear ValueError, or an
honest converged=False. The references say where they come from.
"""

from __future__ import annotations

import math
import re
import time
import warnings

import numpy as np
import pytest
from scipy import optimize as sopt
from scipy import special, stats

import mlekit
from mlekit import optimize as opt
from mlekit import plotting

RNG_SEED = 0  # the reproducers use rng = np.random.default_rng(0)


def rng():
    return np.random.default_rng(RNG_SEED)


def quiet(fn):
    """Call with every warning an error (the suite's setting, repeated for clarity)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


def refuses(fn, pattern):
    with pytest.raises(ValueError, match=pattern):
        quiet(fn)


# ------------------------------------------------ wrong answers reported as converged
X1 = np.r_[rng().normal(5, 1, 30), 1e12]


@pytest.mark.parametrize("method", ["auto", "newton", "gradient", "scipy"])
def test_w1_a_huge_loglik_no_longer_hides_a_far_maximum(method):
    # Normal(sigma2=1): the MLE of mu is the sample mean, 3.2e10 (written out: X1.mean()); the
    # issue saw mu = 4.87 "converged" after 0 iterations.
    r = quiet(lambda: mlekit.fit(mlekit.Normal(sigma2=1.0), X1, method=method))
    assert r.converged, r.message
    se = 1 / math.sqrt(X1.size)
    assert abs(r.params["mu"] - X1.mean()) <= 1e-3 * se + 1e-16 * abs(X1.mean()) * X1.size
    assert r.iterations >= (0 if method == "auto" else 1)


def test_w2_an_unbounded_objective_is_reported_as_such():
    tr = quiet(lambda: opt.scipy_minimize(lambda t: float(t[0]), lambda t: np.array([1.0]), np.array([0.0])))
    assert not tr.converged
    assert "unbounded" in tr.message or "not negative definite" in tr.message


def test_w3_a_log_density_that_returns_the_sum_is_refused():
    fam = mlekit.CustomFamily(lambda x, mu: float(np.sum(stats.norm.logpdf(x, mu))), ["mu"])
    refuses(lambda: mlekit.fit(fam, rng().normal(0, 1, 50), start={"mu": 0.0}), "one value per observation")


W4_BULK = (rng().normal(0, 1, 150), np.random.default_rng(1).normal(5, 1, 100))


@pytest.mark.parametrize("outlier", [200.0, 1e4, 1e12])
def test_w4_mixture_with_an_outlier_matches_sklearn_at_the_same_floor(outlier):
    from sklearn.mixture import GaussianMixture

    x = np.r_[W4_BULK[0], W4_BULK[1], outlier]
    r = quiet(lambda: mlekit.gaussian_mixture(x, 2, rng=0))
    # one component sits on the outlier at the variance floor: a degenerate "maximum", said so
    assert not r.converged and "collapsed" in r.message
    # sklearn with the same floor (reg_covar = min_variance * var(x), added to every variance),
    # five k-means starts, run to tol=1e-10: the same log-likelihood
    g = GaussianMixture(2, reg_covar=r.min_variance * x.var(), tol=1e-10, max_iter=1000, random_state=0, n_init=5)
    g.fit(x[:, None])
    assert r.loglik >= g.score(x[:, None]) * x.size - 1e-6 * abs(r.loglik)
    # never two identical components at the overall mean (the issue's -6598)
    assert abs(np.diff(r.params["means"])[0]) > 1.0


def test_w4_mixture_without_outlier_is_a_proper_fit():
    from sklearn.mixture import GaussianMixture

    x = np.r_[W4_BULK[0], W4_BULK[1]]
    r = quiet(lambda: mlekit.gaussian_mixture(x, 2, rng=0))
    g = GaussianMixture(2, tol=1e-10, max_iter=1000, random_state=0, n_init=5, reg_covar=0.0).fit(x[:, None])
    assert r.converged and r.loglik == pytest.approx(g.score(x[:, None]) * x.size, rel=1e-8)


def test_mixture_init_with_identical_means_does_not_stop_at_the_saddle():
    x = np.r_[W4_BULK[0], W4_BULK[1]]
    best = mlekit.gaussian_mixture(x, 2, rng=0)
    r = quiet(lambda: mlekit.gaussian_mixture(x, 2, init={"means": [2.0, 2.0]}))
    # identical components stay identical under EM: split apart, EM reaches the maximum
    assert r.converged and "split" in r.message
    assert r.loglik == pytest.approx(best.loglik, rel=1e-9)
    np.testing.assert_allclose(r.params["means"], best.params["means"], rtol=1e-5)


def test_w5_likelihood_ratio_test_refuses_fits_to_different_data():
    g = rng()
    xp, xn = g.poisson(3, 40), g.normal(0, 1, 40)
    refuses(lambda: mlekit.likelihood_ratio_test(mlekit.fit(mlekit.Poisson(), xp), mlekit.fit(mlekit.Normal(), xn)),
            "different data")


def test_w5_likelihood_ratio_test_refuses_non_nested_families():
    x = rng().poisson(3, 40)
    refuses(lambda: mlekit.likelihood_ratio_test(mlekit.fit(mlekit.Poisson(), x), mlekit.fit(mlekit.Normal(), x)),
            "not nested")


def test_w5_poisson_in_negative_binomial_gets_the_boundary_p_value():
    x = rng().negative_binomial(5, 0.5, 100)
    null, alt = mlekit.fit(mlekit.Poisson(), x), mlekit.fit(mlekit.NegativeBinomial(), x)
    t = quiet(lambda: mlekit.likelihood_ratio_test(null, alt))
    stat = 2 * (alt.loglik - null.loglik)
    # Self & Liang (1987): 50:50 mixture of chi2(0) and chi2(1) => half the chi2(1) tail
    assert t.pvalue == pytest.approx(0.5 * stats.chi2.sf(stat, 1), rel=1e-12)
    assert "boundary" in t.note


@pytest.mark.parametrize("score", [lambda x, a: [x - a + 1], lambda x, a: 2 * (x - a)], ids=["shifted", "doubled"])
def test_w6_a_wrong_user_score_is_refused(score):
    fam = mlekit.CustomFamily(lambda x, a: stats.norm.logpdf(x, a), ["a"], score=score)
    refuses(lambda: mlekit.fit(fam, rng().gamma(9.5, 1, 200), start={"a": 5.0}), "does not match")


def _nb_loglik_reference(x, r, mu):
    """sum log NB(x; size r, mean mu) with Gamma(x + r)/Gamma(x + 1) from scipy's Pochhammer
    symbol poch(x + 1, r - 1) (accurate at x = 1e12, where scipy.stats.nbinom's difference of two
    log-gammas near 2.6e13 is not)."""
    x = np.asarray(x, dtype=float)
    return math.fsum(np.log(special.poch(x + 1, r - 1)) - special.gammaln(r) - r * np.log1p(mu / r) - x * np.log1p(r / mu))


@pytest.mark.parametrize("seed", range(6))
def test_w7_negative_binomial_with_a_count_of_1e12(seed):
    g = np.random.default_rng(seed)
    x = np.r_[g.negative_binomial(2, 0.3, 100), 10**12]
    r = quiet(lambda: mlekit.fit(mlekit.NegativeBinomial(), x))
    assert r.converged, r.message
    assert r.loglik == pytest.approx(_nb_loglik_reference(x, r.params["size"], r.params["mu"]), rel=1e-12)
    # scipy.stats.nbinom agrees to its own rounding (~0.004 at x = 1e12)
    sp = stats.nbinom.logpmf(x, r.params["size"], r.params["size"] / (r.params["size"] + r.params["mu"])).sum()
    assert r.loglik == pytest.approx(sp, abs=0.01)
    # the maximum of the accurate reference, by Nelder-Mead in (log size, log mu)
    res = sopt.minimize(lambda e: -_nb_loglik_reference(x, math.exp(e[0]), math.exp(e[1])),
                        [math.log(r.params["size"]) + 0.1, math.log(r.params["mu"]) - 0.1],
                        method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 4000})
    assert r.loglik >= -res.fun - 1e-9
    assert r.params["size"] == pytest.approx(math.exp(res.x[0]), rel=1e-5)


def test_w8_weibull_across_400_orders_of_magnitude():
    kind, r = "ok", None
    try:
        r = quiet(lambda: mlekit.fit(mlekit.Weibull(), [2e298, 9e-111, 0.05]))
    except ValueError as exc:
        kind = str(exc)
    assert kind != "ok" or (not r.converged and r.message)


def test_w9_beta_on_data_at_1e_minus_310():
    x = rng().beta(2, 3, 50) * 1e-310
    try:
        r = quiet(lambda: mlekit.fit(mlekit.Beta(), x))
    except ValueError as exc:
        assert str(exc)
        return
    assert not r.converged and r.message


# ------------------------------------------------------- errors from deep inside
POSITIVE_STARTS = [
    (mlekit.Poisson(), [1, 2, 3], "lam"), (mlekit.Exponential(), [1.0, 2.0], "rate"),
    (mlekit.Gamma(), [1.0, 2.0, 4.0], "shape"), (mlekit.Weibull(), [1.0, 2.0, 4.0], "scale"),
    (mlekit.Beta(), [0.2, 0.5, 0.7], "shape1"), (mlekit.NegativeBinomial(), [0, 1, 5, 9], "size"),
    (mlekit.StudentT(), [0.1, 1.0, -2.0, 3.0], "sigma"), (mlekit.LogNormal(), [1.0, 2.0, 4.0], "sdlog"),
    (mlekit.Normal(), [1.0, 2.0, 4.0], "sigma2"), (mlekit.Laplace(), [1.0, 2.0, 4.0], "b"),
]


NUMERICAL_STARTS = [c for c in POSITIVE_STARTS if c[0].differentiable]  # Laplace: closed form only


@pytest.mark.parametrize("fam,x,name", NUMERICAL_STARTS, ids=[repr(f) for f, _, _ in NUMERICAL_STARTS])
@pytest.mark.parametrize("value", [1e-300, 1e300])
def test_starts_of_extreme_magnitude_are_refused_by_name(fam, x, name, value):
    start = {s.name: float(np.mean(s.typical)) for s in fam.params}
    start[name] = value
    refuses(lambda: mlekit.fit(fam, x, method="newton", start=start), rf"{name} = 1e[+-]300")


@pytest.mark.parametrize("fam,x,name", POSITIVE_STARTS, ids=[repr(f) for f, _, _ in POSITIVE_STARTS])
@pytest.mark.parametrize("what", ["score", "hessian", "fisher_information", "inverse_information"])
def test_derivatives_at_parameters_of_extreme_magnitude_are_refused(fam, x, name, what):
    p = {s.name: float(np.mean(s.typical)) for s in fam.params}
    p[name] = 1e300
    call = {
        "score": lambda: fam.score(x, **p),
        "hessian": lambda: fam.hessian(x, **p),
        "fisher_information": lambda: fam.fisher_information(**p),
        "inverse_information": lambda: fam.inverse_information(10, **p),
    }[what]
    refuses(call, "float64|not differentiable|does not exist")


@pytest.mark.parametrize("fam,x", [
    (mlekit.Normal(), np.array([1.0, 2, 4]) * 1e150),
    (mlekit.Exponential(), np.array([1.0, 2, 4]) * 1e-300),
    (mlekit.Uniform(), np.array([1.0, 2, 4]) * 1e300),
    (mlekit.Uniform(), np.array([1.0, 2, 4]) * 1e-300),
    (mlekit.Laplace(), np.array([1.0, 2, 4]) * 1e300),
    (mlekit.Laplace(), np.array([1.0, 2, 4]) * 1e-300),
    (mlekit.StudentT(), rng().normal(size=20) * 1e300),
    (mlekit.StudentT(), rng().normal(size=20) * 1e-300),
    (mlekit.Normal(), np.array([1.0, 2, 4]) * 1e-300),
], ids=lambda v: repr(v) if isinstance(v, mlekit.Family) else "")
def test_data_whose_magnitude_float64_cannot_handle_get_a_valueerror_that_says_rescale(fam, x):
    refuses(lambda: mlekit.fit(fam, x), "rescale")


@pytest.mark.parametrize("fam", [mlekit.Gamma(), mlekit.Weibull()], ids=repr)
@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_scale_families_at_1e300_are_refused_or_honestly_not_converged(fam, scale):
    x = np.array([1.0, 2.0, 4.0, 3.0]) * scale
    try:
        r = quiet(lambda: mlekit.fit(fam, x))
    except ValueError as exc:
        assert "rescale" in str(exc) or "float64" in str(exc)
        return
    assert not r.converged and "1e-150" in r.message  # the rate/scale left float64's squaring range


def test_gamma_prior_of_extreme_magnitude_gives_the_written_out_answer():
    # posterior Gamma(A, B) with A = 1e300 + 6, B = 1e300 + 3: mode (A-1)/B, se sqrt(A-1)/B
    r = quiet(lambda: mlekit.GammaPrior(1e300, 1e300).fit_map(mlekit.Poisson(), [1, 2, 3]))
    A, B = 1e300 + 6, 1e300 + 3
    assert r.params["lam"] == pytest.approx((A - 1) / B, rel=1e-15)
    assert r.se["lam"] == pytest.approx(math.sqrt(A - 1) / B, rel=1e-12)


FIT = mlekit.fit(mlekit.Normal(), rng().normal(size=30))


@pytest.mark.parametrize("call,pattern", [
    (lambda: mlekit.Poisson().inverse_information(None, lam=1.0), "positive integer"),
    (lambda: mlekit.compare_models(None), "sequence of MLEResults"),
    (lambda: mlekit.wald_interval(np.array([1.0, 2.0]), np.array([1.0, 1.0])), "single number"),
    (lambda: mlekit.Poisson().sample(3, rng="abc", lam=1.0), "rng must be"),
    (lambda: mlekit.gaussian_mixture(rng().normal(size=40), 2, rng="a"), "rng must be"),
    (lambda: plotting.plot_loglik_surface(mlekit.Normal(), rng().normal(size=30), num=1), "num must be"),
    (lambda: mlekit.Poisson().to_vector({}), "missing parameter"),
    (lambda: plotting.plot_fit(FIT, rng().normal(size=30), ax=3), "ax must be"),
    (lambda: mlekit.StudentT().inverse_information(10, mu=0.0, sigma=1.0, df=1e300), "df = 1e\\+300"),
    (lambda: plotting.plot_loglik(mlekit.Poisson(), [1, 2, 3], num=10**7), "num must be"),
    (lambda: plotting.plot_fit(FIT, rng().normal(size=30), bins=0), "bins must be"),
    (lambda: mlekit.profile_loglik(mlekit.Normal(), rng().normal(size=30), "mu", [1e300]), "mu = 1e\\+300"),
    (lambda: mlekit.fit(mlekit.Beta(), [0.3]), "does not exist"),
    (lambda: mlekit.fit(mlekit.StudentT(), np.ones(10)), "does not exist"),
], ids=["inverse_information(None)", "compare_models(None)", "wald arrays", "sample rng", "mixture rng",
        "surface num=1", "to_vector({})", "plot_fit ax=3", "StudentT inverse at 1e300", "plot_loglik num=1e7",
        "bins=0", "profile at 1e300", "Beta n=1", "StudentT constant"])
def test_listed_errors_are_valueerrors_with_a_clear_message(call, pattern):
    t0 = time.perf_counter()
    refuses(call, pattern)
    assert time.perf_counter() - t0 < 20  # plot_loglik(num=10**7) ran for minutes


def test_negative_binomial_information_no_longer_hangs():
    nb = mlekit.NegativeBinomial()
    t0 = time.perf_counter()
    refuses(lambda: nb.fisher_information(size=2.0, mu=1e300), "mu = 1e\\+300")  # beyond float64's squares
    # mu = 1e150 (in range): the large-mean limit psi1(size) - 1/size, and a finite mu-mu entry
    info = quiet(lambda: nb.fisher_information(size=2.0, mu=1e150))
    assert info[0, 0] == pytest.approx(special.polygamma(1, 2.0) - 0.5, rel=1e-12)
    # size = 1e-3, mu = 1e6 asked for 215 GiB: now bounded; the information about size grows with
    # the mean towards its limit psi1(r) - 1/r
    r = 1e-3
    vals = [quiet(lambda m=m: nb.fisher_information(size=r, mu=m))[0, 0] for m in (1e4, 1e6, 1e8)]
    assert 0 < vals[0] < vals[1] < vals[2] < special.polygamma(1, r) - 1 / r
    assert time.perf_counter() - t0 < 10


def _nb_information_reference(r, mu, upper):
    """Var of the size score by exact summation in 50-digit decimal arithmetic (the score is
    sum_{j<x} 1/(r+j) + log q + (mu - x)/(r + mu), summed term by term)."""
    from decimal import Decimal as D, getcontext

    getcontext().prec = 50
    r_, mu_ = D(repr(r)), D(repr(mu))
    q = r_ / (r_ + mu_)
    lq = q.ln()
    p, H, s0, s1, s2 = (r_ * lq).exp(), D(0), D(0), D(0), D(0)
    for x in range(upper + 1):
        s = H + lq + (mu_ - x) / (r_ + mu_)
        s0, s1, s2 = s0 + p, s1 + p * s, s2 + p * s * s
        H += 1 / (r_ + x)
        p = p * (x + r_) / (x + 1) * (1 - q)
    m = s1 / s0
    return float(s2 / s0 - m * m)


@pytest.mark.parametrize("r,mu,upper", [(2.0, 1.0, 300), (0.5, 3.0, 2000), (1e6, 1.0, 80), (1e3, 1.0, 100),
                                        (15.0, 12.0, 800), (0.5, 200.0, 20000)])
def test_negative_binomial_information_is_accurate(r, mu, upper):
    got = mlekit.NegativeBinomial().fisher_information(size=r, mu=mu)[0, 0]
    assert got == pytest.approx(_nb_information_reference(r, mu, upper), rel=1e-11)


@pytest.mark.parametrize("fam", [mlekit.Normal(), mlekit.LogNormal(), mlekit.StudentT()], ids=repr)
@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_log_densities_at_1e300_are_correct_or_refused(fam, scale):
    p = {s.name: float(np.mean(s.typical)) for s in fam.params}
    x = np.abs(rng().normal(size=10)) * scale + (0 if scale < 1 else 0)
    for what in ("logpdf", "loglik"):
        try:
            v = quiet(lambda: getattr(fam, what)(x, **p))
        except ValueError as exc:
            assert "float64" in str(exc)
            continue
        ref = {
            "Normal": lambda: stats.norm.logpdf(x, p["mu"], math.sqrt(p["sigma2"])),
            "LogNormal": lambda: -np.log(x) - np.log(p["sdlog"]) - 0.5 * np.log(2 * np.pi) - (np.log(x) - p["meanlog"]) ** 2 / (2 * p["sdlog"] ** 2),
            "StudentT": lambda: stats.t.logpdf(x, p["df"], p["mu"], p["sigma"]),
        }[type(fam).__name__]()
        ref = ref if what == "logpdf" else math.fsum(ref)
        np.testing.assert_allclose(v, ref, rtol=1e-12)


def test_logistic_regression_at_extreme_scales_names_the_magnitude():
    g = rng()
    X = g.normal(size=(100, 3))
    y = (X[:, 0] + g.normal(size=100) > 0).astype(int)
    for scale in (1e300, 1e-300):
        with pytest.raises(ValueError) as err:
            quiet(lambda: mlekit.logistic_regression(X * scale, y))
        msg = str(err.value)
        assert "magnitude" in msg and "all zeros" not in msg and "linearly dependent" not in msg


def test_mixture_on_tiny_data_is_not_called_constant():
    with pytest.raises(ValueError) as err:
        quiet(lambda: mlekit.gaussian_mixture(rng().normal(size=50) * 1e-300, 2, rng=0))
    assert "constant" not in str(err.value) and "rescale" in str(err.value)


def test_student_t_on_float32_data_equals_the_float64_fit():
    x32 = (1e4 + rng().normal(0, 1, 100000)).astype(np.float32)
    r32 = quiet(lambda: mlekit.fit(mlekit.StudentT(), x32))
    r64 = mlekit.fit(mlekit.StudentT(), x32.astype(np.float64))
    assert r32.converged and r64.converged
    for k in r64.params:
        assert r32.params[k] == pytest.approx(r64.params[k], rel=1e-12)


def test_small_samples_converge_although_the_loglik_is_a_difference_of_larger_terms():
    # n = 3: the Gamma log-likelihood (~ -1) is a difference of terms ~100 times larger, so a
    # rounding threshold of 64 eps |l| is too small; the decrement test does not depend on it
    for x in ([1.0, 1.1, 1.3], [0.5, 0.9, 2.0], [3.0, 3.001, 3.002]):
        r = quiet(lambda: mlekit.fit(mlekit.Gamma(), x, method="newton"))
        assert r.converged, r.message
        # the shape equation log(a) - psi(a) = log(mean) - mean(log x), solved by scipy's brentq, with
        # the right-hand side as -mean(log1p((x - mean)/mean)) (no cancellation for nearly equal x)
        m = math.fsum(x) / len(x)
        c = -math.fsum(np.log1p((np.asarray(x) - m) / m)) / len(x)
        def log_minus_digamma(a):  # log a - psi(a); for large a its series 1/(2a) + 1/(12a^2) - 1/(120a^4) + ...
            if a < 20:
                return math.log(a) - special.digamma(a)
            return 1 / (2 * a) + 1 / (12 * a**2) - 1 / (120 * a**4) + 1 / (252 * a**6)

        a = sopt.brentq(lambda a: log_minus_digamma(a) - c, 1e-3, 1e12, xtol=1e-14, rtol=1e-14)
        assert r.params["shape"] == pytest.approx(a, rel=1e-7)


def test_every_message_of_a_non_converged_fit_says_why():
    for fam, x in ((mlekit.StudentT(), np.r_[np.ones(8), 2.0, 3.0]), (mlekit.NegativeBinomial(), [0, 1, 2, 1, 0, 3, 1])):
        try:
            r = quiet(lambda: mlekit.fit(fam, x, method="newton", start={s.name: float(np.mean(s.typical)) for s in fam.params}))
        except ValueError as exc:
            assert re.search("does not exist|overdispersed", str(exc))
            continue
        assert not r.converged and len(r.message) > 20


# ------------------------------------------------------ the data are checked once
def _every_family():
    import mlekit.families as F

    out = []
    for name in dir(F):
        obj = getattr(F, name)
        if isinstance(obj, type) and issubclass(obj, mlekit.Family) and obj not in (mlekit.Family, mlekit.CustomFamily) \
                and not name.startswith("_"):
            out.append(obj(**{"Binomial": {"n": 7}, "Categorical": {"k": 4}}.get(name, {})))
    return out


@pytest.mark.parametrize("fam", _every_family(), ids=repr)
def test_fit_reads_and_checks_the_data_once(fam, monkeypatch):
    import sys

    calls = {"as_data": 0, "check_data": 0, "support": 0}
    fit_module = sys.modules["mlekit.fit"]
    real_as_data = fit_module.as_data
    real_support = type(fam)._check_support

    def counting_as_data(*a, **k):
        calls["as_data"] += 1
        return real_as_data(*a, **k)

    def counting_check_data(self, x):
        calls["check_data"] += 1
        raise AssertionError("check_data called on the fit path")

    def counting_support(self, arr):
        calls["support"] += 1
        return real_support(self, arr)

    monkeypatch.setattr(fit_module, "as_data", counting_as_data)
    monkeypatch.setattr(mlekit.Family, "check_data", counting_check_data)
    monkeypatch.setattr(type(fam), "_check_support", counting_support)
    p = {s.name: (np.full(s.size, 1.0 / s.size) if s.size else float(np.mean(s.typical))) for s in fam.params}
    if isinstance(fam, mlekit.Uniform):
        p = {"a": -1.0, "b": 2.0}
    x = fam.sample(200, rng=3, **p)
    methods = ["auto"] + (["newton"] if fam.differentiable and not any(s.size for s in fam.params) else [])
    for method in methods:
        calls.update(as_data=0, check_data=0, support=0)
        r = mlekit.fit(fam, x, method=method)
        assert r.n == 200
        assert calls["as_data"] == 1 and calls["check_data"] == 0 and calls["support"] <= 1, (method, calls)
