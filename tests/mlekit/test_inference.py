"""Tests of mlekit.inference: information, SEs, LR/profile intervals, LR test, AIC/BIC, delta method.

Reference values are derived in the comments (closed forms) or come from scipy.stats /
statsmodels; none is copied from mlekit's own output.
"""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, special, stats

import mlekit
from mlekit.inference import (
    compare_models,
    delta_method,
    expected_information,
    likelihood_ratio_test,
    observed_information,
    profile_interval,
    profile_loglik,
    standard_errors,
    wald_interval,
)

SEED = 20261129
C95 = stats.chi2.ppf(0.95, 1) / 2  # 1.9207...: the 95% drop in log-likelihood


# ------------------------------------------------------------- information
def test_observed_and_expected_information_poisson_hand_formulas():
    # Poisson: -d2 ell/d lam2 = S / lam^2 (observed), n / lam (expected), any lam.
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    S, n, lam = x.sum(), x.size, 2.5
    assert observed_information(mlekit.Poisson(), x, {"lam": lam})[0, 0] == pytest.approx(S / lam**2, rel=1e-12)
    assert expected_information(mlekit.Poisson(), n, {"lam": lam})[0, 0] == pytest.approx(n / lam, rel=1e-12)


def test_standard_errors_normal_match_statsmodels_and_closed_form():
    rng = np.random.default_rng(SEED)
    y = rng.normal(3.0, 2.0, size=200)
    res = mlekit.fit(mlekit.Normal(), y)
    obs = standard_errors(mlekit.Normal(), y, res, kind="observed")
    exp_ = standard_errors(mlekit.Normal(), y, res, kind="expected")
    s2 = y.var()  # MLE divides by n
    # closed form at the MLE: se(mu) = sqrt(s2/n), se(sigma2) = sqrt(2 s2^2 / n); observed = expected there
    for se in (obs, exp_):
        assert se["mu"] == pytest.approx(np.sqrt(s2 / y.size), rel=1e-10)
        assert se["sigma2"] == pytest.approx(np.sqrt(2 * s2**2 / y.size), rel=1e-10)
    # statsmodels OLS on a constant: bse uses SSR/(n-1); rescale to the MLE's n
    ols = sm.OLS(y, np.ones((y.size, 1))).fit()
    assert obs["mu"] == pytest.approx(ols.bse[0] * np.sqrt((y.size - 1) / y.size), rel=1e-10)


def test_standard_errors_refuse_non_maximum_and_bad_kind():
    y = np.array([1.0, 2.0, 4.0, 7.0])
    # at sigma2 far above the spread, d2/dsigma2^2 = n/(2s^4) - SS/s^6 > 0: not a maximum
    with pytest.raises(ValueError, match="not positive definite"):
        standard_errors(mlekit.Normal(), y, {"mu": 3.5, "sigma2": 1000.0})
    with pytest.raises(ValueError, match="kind"):
        standard_errors(mlekit.Normal(), y, {"mu": 3.5, "sigma2": 1.0}, kind="sandwich")
    with pytest.raises(ValueError, match="params"):
        standard_errors(mlekit.Normal(), y, [3.5, 1.0])
    with pytest.raises(ValueError, match="positive integer"):
        expected_information(mlekit.Poisson(), 0, {"lam": 1.0})


def test_wald_interval_matches_result_conf_int():
    res = mlekit.fit(mlekit.Poisson(), [2, 3, 1, 4, 0, 2])
    lo, hi = wald_interval(res.params["lam"], res.se["lam"], level=0.9)
    assert (lo, hi) == pytest.approx(res.conf_int(0.9)["lam"], rel=1e-12)
    with pytest.raises(ValueError, match="level"):
        wald_interval(1.0, 0.1, level=1.0)
    with pytest.raises(ValueError, match="se"):
        wald_interval(1.0, -0.1)


# ------------------------------------------------- likelihood-ratio intervals
@pytest.mark.parametrize("n", [1, 10, 50])
def test_lr_interval_bernoulli_all_zeros_closed_form(n):
    # ell(p) = n log(1 - p), max 0 at p = 0; ell = -C95  <=>  p = 1 - exp(-C95 / n).
    ci = profile_interval(mlekit.Bernoulli(), np.zeros(n, dtype=int))
    assert ci.lower == 0.0 and "lower" in ci.boundary
    assert ci.upper == pytest.approx(1 - np.exp(-C95 / n), rel=1e-9)
    wald = mlekit.fit(mlekit.Bernoulli(), np.zeros(n, dtype=int)).conf_int()["p"]
    assert wald == (0.0, 0.0)  # the degenerate Wald interval the LR interval replaces


def test_lr_interval_bernoulli_all_ones_mirror():
    ci = profile_interval(mlekit.Bernoulli(), np.ones(8, dtype=int))
    assert ci.upper == 1.0 and ci.lower == pytest.approx(np.exp(-C95 / 8), rel=1e-9)


def test_lr_interval_binomial_interior_vs_direct_root_finding():
    # Binomial(n=12), s successes of N trials: ell(p) = s log p + (N-s) log(1-p) (+const).
    # The interval ends solve ell(p_hat) - ell(p) = C95 on each side; solved here independently.
    x = np.array([3, 5, 4, 7, 2])
    s, N = x.sum(), x.size * 12
    ph = s / N

    def drop(p):
        return special.xlogy(s, ph) + special.xlog1py(N - s, -ph) - s * np.log(p) - (N - s) * np.log1p(-p) - C95

    lo = optimize.brentq(drop, 1e-12, ph, xtol=1e-14)
    hi = optimize.brentq(drop, ph, 1 - 1e-12, xtol=1e-14)
    ci = profile_interval(mlekit.Binomial(n=12), x)
    assert (ci.lower, ci.upper) == pytest.approx((lo, hi), abs=1e-9)
    assert ci.estimate == pytest.approx(ph) and ci.boundary == ()
    assert ci.lower < ph < ci.upper


def test_lr_interval_poisson_all_zeros_and_level():
    # ell(lam) = -n lam for all-zero counts: upper end n lam = chi2_1(level)/2.
    ci = profile_interval(mlekit.Poisson(), np.zeros(5, dtype=int), level=0.99)
    assert ci.lower == 0.0
    assert ci.upper == pytest.approx(stats.chi2.ppf(0.99, 1) / 2 / 5, rel=1e-9)


@pytest.mark.parametrize("which", ["exponential", "normal_sigma2"])
def test_lr_interval_via_lambert_w(which):
    # Both drops have the form m (t - 1 - log t) = C95 with t a ratio to the MLE:
    #   Exponential rate:  ell = n log r - r S, t = r / r_hat, m = n;
    #   Normal sigma2 (mu profiled out at xbar): t = s2_hat / sigma2, m = n / 2.
    # Solutions t = -W_k(-exp(-1 - C95/m)) for branches k = 0 (t < 1) and k = -1 (t > 1).
    rng = np.random.default_rng(SEED)
    if which == "exponential":
        x = rng.exponential(2.0, size=25)
        m, est = x.size, 1 / x.mean()
        ci = profile_interval(mlekit.Exponential(), x)
    else:
        x = rng.normal(1.0, 3.0, size=25)
        m, est = x.size / 2, x.var()
        ci = profile_interval(mlekit.Normal(), x, "sigma2")
    z = -np.exp(-1 - C95 / m)
    t_small, t_big = (-special.lambertw(z, k).real for k in (0, -1))
    if which == "exponential":
        expected = (est * t_small, est * t_big)
    else:
        expected = (est / t_big, est / t_small)
    assert (ci.lower, ci.upper) == pytest.approx(expected, rel=1e-8)


def test_profile_interval_normal_mu_closed_form():
    # Profile of mu: sigma2_hat(mu) = s2 + (xbar - mu)^2, ell_p(mu) = -n/2 log(2 pi sigma2_hat(mu)) - n/2.
    # Drop = n/2 log(1 + (xbar-mu)^2/s2) = C95  <=>  mu = xbar +- sqrt(s2 (exp(2 C95/n) - 1)).
    rng = np.random.default_rng(SEED)
    y = rng.normal(10.0, 4.0, size=40)
    n, xbar, s2 = y.size, y.mean(), y.var()
    half = np.sqrt(s2 * np.expm1(2 * C95 / n))
    ci = profile_interval(mlekit.Normal(), y, "mu")
    assert (ci.lower, ci.upper) == pytest.approx((xbar - half, xbar + half), rel=1e-9)
    grid = np.linspace(xbar - 3, xbar + 3, 7)
    expected = -n / 2 * np.log(2 * np.pi * (s2 + (xbar - grid) ** 2)) - n / 2
    assert profile_loglik(mlekit.Normal(), y, "mu", grid) == pytest.approx(expected, rel=1e-10)


def test_lr_interval_known_variance_equals_wald():
    # Normal mean with known variance: the log-likelihood is exactly quadratic, so LR = Wald = xbar +- z sigma/sqrt(n).
    y = np.array([4.1, 5.3, 3.8, 6.0, 5.5, 4.9])
    ci = profile_interval(mlekit.Normal(sigma2=2.0), y)
    z = stats.norm.ppf(0.975)
    assert (ci.lower, ci.upper) == pytest.approx((y.mean() - z * np.sqrt(2 / 6), y.mean() + z * np.sqrt(2 / 6)), rel=1e-10)


def test_profile_interval_bad_input():
    y = np.array([1.0, 2.0, 3.5])
    with pytest.raises(ValueError, match="param="):
        profile_interval(mlekit.Normal(), y)
    with pytest.raises(ValueError, match="no parameter 'nu'"):
        profile_interval(mlekit.Normal(), y, "nu")
    with pytest.raises(ValueError, match="level"):
        profile_interval(mlekit.Normal(), y, "mu", level=95)
    with pytest.raises(ValueError, match="vector"):
        profile_interval(mlekit.Categorical(3), [0, 1, 2, 2], "theta")
    with pytest.raises(ValueError, match="n=3 observations"):
        profile_interval(mlekit.Poisson(), [1, 2], result=mlekit.fit(mlekit.Poisson(), [1, 2, 3]))
    with pytest.raises(ValueError, match="mlekit family"):
        profile_interval("Poisson", [1, 2])
    with pytest.raises(ValueError, match="values"):
        profile_loglik(mlekit.Poisson(), [1, 2])
    for not_a_name in ([], ["mu"], {"mu": 1}):  # a list was a TypeError (unhashable), found by test_extremes
        with pytest.raises(ValueError, match="one parameter's name"):
            profile_loglik(mlekit.Normal(), y, not_a_name, [1.0])
        with pytest.raises(ValueError, match="one parameter's name"):
            profile_interval(mlekit.Normal(), y, not_a_name)


def test_coverage_wald_and_lr_exponential_simulation_vs_exact():
    # Exponential(rate=2), n=5, 500 seeded replications. Exact coverages from S = sum(x) ~ Gamma(n, rate):
    #   Wald covers iff n(1 - z/sqrt n)/rate <= S <= n(1 + z/sqrt n)/rate, since rate_hat = n/S, se = rate_hat/sqrt n;
    #   LR covers iff t_small <= rate S / n <= t_big (the Lambert-W ratios of test_lr_interval_via_lambert_w).
    # The simulated coverages must be within 3.5 Monte-Carlo SEs (sqrt(c(1-c)/reps) ~ 0.01) of the exact ones.
    # Exact values here: Wald 0.956 but lopsided (misses almost all on one side), LR 0.946, near-balanced.
    rate, n, reps = 2.0, 5, 500
    z = stats.norm.ppf(0.975)
    G = stats.gamma(n, scale=1 / rate)
    w_lo, w_hi = n * (1 - z / np.sqrt(n)) / rate, n * (1 + z / np.sqrt(n)) / rate
    exact_wald = G.cdf(w_hi) - G.cdf(max(w_lo, 0.0))
    exact_wald_miss_low = G.sf(w_hi)  # S too large -> rate_hat too small -> interval below the rate
    t_small, t_big = (-special.lambertw(-np.exp(-1 - C95 / n), k).real for k in (0, -1))
    exact_lr = G.cdf(n * t_big / rate) - G.cdf(n * t_small / rate)

    rng = np.random.default_rng(SEED)
    fam = mlekit.Exponential()
    lr_hits = wald_hits = wald_low = 0
    for _ in range(reps):
        x = fam.sample(n, rng=rng, rate=rate)
        res = mlekit.fit(fam, x)
        lo, hi = profile_interval(fam, x, result=res)
        lr_hits += lo <= rate <= hi
        wlo, whi = res.conf_int()["rate"]
        wald_hits += wlo <= rate <= whi
        wald_low += whi < rate
    for sim, exact in ((lr_hits / reps, exact_lr), (wald_hits / reps, exact_wald), (wald_low / reps, exact_wald_miss_low)):
        assert abs(sim - exact) < 3.5 * np.sqrt(exact * (1 - exact) / reps), (sim, exact)


# -------------------------------------------------------------------- LR test
def test_likelihood_ratio_test_normal_known_variance_vs_free_scipy_reference():
    rng = np.random.default_rng(SEED)
    y = rng.normal(0.5, 1.5, size=60)
    null = mlekit.fit(mlekit.Normal(sigma2=4.0), y)
    alt = mlekit.fit(mlekit.Normal(), y)
    # reference: log-likelihoods from scipy.stats.norm at the closed-form MLEs
    l0 = stats.norm(y.mean(), 2.0).logpdf(y).sum()
    l1 = stats.norm(y.mean(), y.std()).logpdf(y).sum()
    stat, df, p = likelihood_ratio_test(null, alt)
    assert stat == pytest.approx(2 * (l1 - l0), rel=1e-10)
    assert df == 1
    assert p == pytest.approx(stats.chi2.sf(2 * (l1 - l0), 1), rel=1e-10)


def test_likelihood_ratio_test_known_mean_closed_form():
    # Null Normal(mu=0): sigma2_0 = mean(y^2); alt Normal(): sigma2_1 = var(y).
    # 2 (l1 - l0) = n log(sigma2_0 / sigma2_1) (the -n/2 terms cancel).
    y = np.array([0.8, 1.9, -0.4, 2.2, 1.1, 0.3, 1.7, 2.9])
    stat, df, p = likelihood_ratio_test(mlekit.fit(mlekit.Normal(mu=0.0), y), mlekit.fit(mlekit.Normal(), y))
    expected = y.size * np.log(np.mean(y**2) / y.var())
    assert stat == pytest.approx(expected, rel=1e-10)
    assert (df, p) == (1, pytest.approx(stats.chi2.sf(expected, 1), rel=1e-10))


def test_likelihood_ratio_test_sanity_checks():
    y = np.array([1.0, 2.5, 0.3, 4.1, 2.2])
    small = mlekit.fit(mlekit.Normal(sigma2=1.0), y)
    big = mlekit.fit(mlekit.Normal(), y)
    with pytest.raises(ValueError, match="fewer free parameters"):
        likelihood_ratio_test(big, small)
    with pytest.raises(ValueError, match="different numbers of observations"):
        likelihood_ratio_test(mlekit.fit(mlekit.Normal(sigma2=1.0), y[:4]), big)
    with pytest.raises(ValueError, match="MLEResult"):
        likelihood_ratio_test(small, {"loglik": 0})
    # a fit to other data (same n): refused as such (issue 13, W5)
    with pytest.raises(ValueError, match="different data"):
        likelihood_ratio_test(small, mlekit.fit(mlekit.Normal(), y * 100))
    # a "larger" model whose log-likelihood is lower: not nested / not maximized
    from dataclasses import replace

    with pytest.raises(ValueError, match="not nested"):
        likelihood_ratio_test(small, replace(big, loglik=small.loglik - 10.0))
    with pytest.raises(ValueError, match="df"):
        likelihood_ratio_test(small, big, df=0)


# ------------------------------------------------------------------- AIC/BIC
def test_compare_models_against_statsmodels_and_hand_formula():
    x = np.array([0, 1, 2, 2, 3, 1, 0, 4, 2, 1])
    pois = mlekit.fit(mlekit.Poisson(), x)
    norm = mlekit.fit(mlekit.Normal(), x)
    table = compare_models({"poisson": pois, "normal": norm})
    glm = sm.GLM(x, np.ones((x.size, 1)), family=sm.families.Poisson()).fit()
    assert table.loc["poisson", "aic"] == pytest.approx(glm.aic, rel=1e-10)  # statsmodels GLM: -2 llf + 2k
    # hand: Normal has k = 2, AIC = 4 - 2 ell, BIC = 2 log n - 2 ell
    l_norm = stats.norm(x.mean(), x.std()).logpdf(x).sum()
    assert table.loc["normal", "aic"] == pytest.approx(4 - 2 * l_norm, rel=1e-10)
    assert table.loc["normal", "bic"] == pytest.approx(2 * np.log(x.size) - 2 * l_norm, rel=1e-10)
    assert list(table.index) == sorted(table.index, key=lambda k: table.loc[k, "aic"])
    assert table["delta_aic"].min() == 0.0
    assert table["aic_weight"].sum() == pytest.approx(1.0)
    w = np.exp(-table["delta_aic"] / 2)
    assert table["aic_weight"].to_numpy() == pytest.approx((w / w.sum()).to_numpy())


def test_compare_models_bad_input():
    a = mlekit.fit(mlekit.Poisson(), [1, 2, 3])
    b = mlekit.fit(mlekit.Poisson(), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="different numbers"):
        compare_models([a, b])
    with pytest.raises(ValueError, match="distinct"):
        compare_models([a, a])
    with pytest.raises(ValueError, match="not an MLEResult"):
        compare_models([a, 3.0])


# ------------------------------------------------------------- delta method
def test_delta_method_log_odds_vs_statsmodels_logit():
    # Intercept-only logistic regression estimates the log-odds; statsmodels' bse is 1/sqrt(n p (1-p)),
    # the delta-method se of log(p/(1-p)) since d/dp log-odds = 1/(p(1-p)).
    y = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1])
    res = mlekit.fit(mlekit.Bernoulli(), y)
    d = delta_method(res, lambda p: np.log(p["p"] / (1 - p["p"])))
    logit = sm.Logit(y.astype(float), np.ones((y.size, 1))).fit(disp=0)
    assert d.estimate == pytest.approx(logit.params[0], rel=1e-7)  # invariance: g(p_hat) is the MLE of the log-odds
    assert d.se == pytest.approx(logit.bse[0], rel=1e-6)
    z = stats.norm.ppf(0.975)
    assert d.conf_int() == pytest.approx((d.estimate - z * d.se, d.estimate + z * d.se))


def test_delta_method_exponential_mean_invariance_and_analytic_grad():
    rng = np.random.default_rng(SEED)
    x = rng.exponential(3.0, size=50)
    res = mlekit.fit(mlekit.Exponential(), x)
    d_num = delta_method(res, lambda p: 1 / p["rate"])
    d_an = delta_method(res, lambda p: 1 / p["rate"], grad=lambda p: [-1 / p["rate"] ** 2])
    # hand: se(1/rate) = se(rate) / rate^2 = (rate/sqrt n)/rate^2 = xbar / sqrt(n)
    assert d_an.se == pytest.approx(x.mean() / np.sqrt(x.size), rel=1e-12)
    assert d_num.se == pytest.approx(d_an.se, rel=1e-7)
    # invariance: maximizing the log-likelihood written in the mean m = 1/rate gives g(rate_hat)
    best = optimize.minimize_scalar(lambda m: -stats.expon(scale=m).logpdf(x).sum(), bounds=(0.1, 20), method="bounded",
                                    options={"xatol": 1e-10})
    assert d_num.estimate == pytest.approx(best.x, rel=1e-7)
    assert d_num.estimate == pytest.approx(x.mean(), rel=1e-12)


def test_delta_method_categorical_difference_multinomial_variance():
    # g = theta0 - theta1; Var = (t0 + t1 - (t0 - t1)^2) / N from Cov = (diag t - t t^T)/N.
    x = np.array([0, 0, 1, 2, 0, 1, 2, 2, 2, 0, 1, 0])
    res = mlekit.fit(mlekit.Categorical(3), x)
    t = np.bincount(x, minlength=3) / x.size
    d = delta_method(res, lambda p: p["theta"][0] - p["theta"][1])
    assert d.estimate == pytest.approx(t[0] - t[1])
    assert d.se == pytest.approx(np.sqrt((t[0] + t[1] - (t[0] - t[1]) ** 2) / x.size), rel=1e-7)


def test_delta_method_at_boundary_uses_one_sided_differences():
    # p_hat = 0: se(p) = 0 from p(1-p)/n, so any smooth g has se 0; g must not be evaluated at p < 0.
    res = mlekit.fit(mlekit.Bernoulli(), [0, 0, 0])
    d = delta_method(res, lambda p: np.sqrt(p["p"] + 1.0) if p["p"] >= 0 else np.nan)
    assert d.gradient[0] == pytest.approx(0.5, rel=1e-6)
    assert d.se == 0.0


def test_delta_method_bad_input():
    res = mlekit.fit(mlekit.Poisson(), [1, 2, 3])
    with pytest.raises(ValueError, match="function"):
        delta_method(res, 3.0)
    with pytest.raises(ValueError, match="one number"):
        delta_method(res, lambda p: [p["lam"], p["lam"]])
    with pytest.raises(ValueError, match="grad"):
        delta_method(res, lambda p: p["lam"], grad=[1.0, 2.0])
    with pytest.raises(ValueError, match="KeyError"):
        delta_method(res, lambda p: p["rate"])
    with pytest.raises(ValueError, match="not finite"):
        delta_method(res, lambda p: np.inf)
    with pytest.raises(ValueError, match="MLEResult"):
        delta_method({"lam": 2.0}, lambda p: p["lam"])


def test_profile_interval_gamma_shape_vs_independent_profile():
    # Gamma(shape a, rate b): for fixed a the rate is maximized at b = a / xbar (rate score = n a/b - S = 0),
    # so ell_p(a) = sum scipy.stats.gamma(a, scale=xbar/a).logpdf(x). Roots of ell_hat - ell_p = C95 by brentq.
    if not hasattr(mlekit, "Gamma"):
        pytest.skip("mlekit.Gamma not available")
    x = np.random.default_rng(SEED).gamma(2.5, 1 / 1.5, size=40)
    xbar = x.mean()

    def ell_p(a):
        return stats.gamma(a, scale=xbar / a).logpdf(x).sum()

    a_hat = optimize.minimize_scalar(lambda a: -ell_p(a), bounds=(0.05, 50), method="bounded", options={"xatol": 1e-12}).x
    top = ell_p(a_hat)
    lo = optimize.brentq(lambda a: top - ell_p(a) - C95, 1e-3, a_hat, xtol=1e-13)
    hi = optimize.brentq(lambda a: top - ell_p(a) - C95, a_hat, 100.0, xtol=1e-13)
    ci = profile_interval(mlekit.Gamma(), x, "shape")
    assert ci.estimate == pytest.approx(a_hat, rel=1e-6)
    assert (ci.lower, ci.upper) == pytest.approx((lo, hi), rel=1e-7)
    grid = np.array([1.5, 2.0, 3.5])
    assert profile_loglik(mlekit.Gamma(), x, "shape", grid) == pytest.approx([ell_p(a) for a in grid], rel=1e-10)


def test_profile_interval_gamma_rate_endpoints_by_independent_maximization():
    # No closed form for the rate's profile: maximize over the shape with scipy's bounded Brent on
    # scipy.stats.gamma log-densities, and check the drop at both reported ends equals C95.
    if not hasattr(mlekit, "Gamma"):
        pytest.skip("mlekit.Gamma not available")
    x = np.random.default_rng(SEED + 2).gamma(4.0, 1 / 2.0, size=30)

    def ell_p(b):
        res = optimize.minimize_scalar(lambda a: -stats.gamma(a, scale=1 / b).logpdf(x).sum(), bounds=(0.01, 100),
                                       method="bounded", options={"xatol": 1e-12})
        return -res.fun

    fit = mlekit.fit(mlekit.Gamma(), x)
    ci = profile_interval(mlekit.Gamma(), x, "rate", result=fit)
    assert ci.lower < fit.params["rate"] < ci.upper
    for end in (ci.lower, ci.upper):
        assert fit.loglik - ell_p(end) == pytest.approx(C95, abs=1e-6)


class _UniformUpper(mlekit.Family):
    """Uniform(0, theta): a non-regular family whose likelihood collapses to 0 below max(x)."""

    name = "UniformUpper"
    params = (mlekit.Param("theta", 0.0, np.inf, typical=(0.5, 5.0)),)

    def _check_support(self, arr):
        return arr.astype(float)

    def _logpdf(self, x, p):
        return np.where(x <= p["theta"], -np.log(p["theta"]), -np.inf)

    def _score(self, x, p):
        return -x.size / p["theta"]

    def _hessian(self, x, p):
        return x.size / p["theta"] ** 2

    def _fisher(self, p):
        return 1.0 / p["theta"] ** 2

    def _mle(self, x):
        return {"theta": float(x.max())}


def test_profile_interval_when_the_likelihood_collapses_at_the_mle():
    # ell(theta) = -n log theta for theta >= m = max(x), -inf below. The interval is [m, m exp(C95/n)]:
    # the lower end is where the likelihood drops to 0 (found by bisection), the upper end solves n log(theta/m) = C95.
    x = np.array([0.4, 2.2, 1.3, 0.9, 1.8, 0.2])
    ci = profile_interval(_UniformUpper(), x)
    assert ci.lower == pytest.approx(2.2, rel=1e-12)
    assert ci.upper == pytest.approx(2.2 * np.exp(C95 / x.size), rel=1e-9)


def test_profile_interval_refuses_a_non_regular_nuisance():
    if not hasattr(mlekit, "Uniform"):
        pytest.skip("mlekit.Uniform not available")
    with pytest.raises(ValueError, match="regular likelihood"):
        profile_interval(mlekit.Uniform(), np.array([0.3, 1.2, 2.5, 0.9, 1.7]), "a")
