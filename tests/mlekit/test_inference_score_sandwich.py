"""Tests of the second-edition block of mlekit.inference: score contributions, the sandwich
covariance, the Wald / score test trio, score (Wilson) and Clopper-Pearson intervals.

Every reference comes from outside mlekit: statsmodels (GLM / OLS with ``cov_type="HC0"``,
``proportions_ztest``, ``proportion_confint``, ``stats.rates``), scipy (``ttest_1samp``,
finite differences of ``scipy.stats`` log-densities), or a closed form derived in the comment.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats import rates as sm_rates  # (its test_poisson would be collected by pytest)

import mlekit
from mlekit.inference import (
    clopper_pearson_interval,
    sandwich_covariance,
    score_contributions,
    score_interval,
    score_test,
    wald_test,
)

SEED = 20261129

# The families' registry (scipy log-densities, sane parameters) lives in test_families.py;
# pytest runs with --import-mode=importlib, so load it by path.
_spec = importlib.util.spec_from_file_location("_families_registry", Path(__file__).with_name("test_families.py"))
_registry = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _registry  # dataclasses look their module up there
_spec.loader.exec_module(_registry)
REGISTRY, IDS = _registry.REGISTRY, _registry.IDS


def _bernoulli(s, n):
    return np.r_[np.ones(s, dtype=int), np.zeros(n - s, dtype=int)]


# ------------------------------------------------------------ score contributions
@pytest.mark.parametrize("entry", REGISTRY, ids=IDS)
def test_score_contributions_are_the_derivatives_of_each_log_density(entry):
    # Row i must be d/d theta of scipy's log f(x_i; theta) (central differences, over the
    # free coordinates), and the rows must add up to the family's score.
    fam = entry.make()
    x = fam.sample(60, rng=SEED, **entry.truth)
    try:
        total = fam.score(x, **entry.truth)
    except ValueError:  # no score (Uniform: the support moves with the parameters)
        with pytest.raises(ValueError):
            score_contributions(fam, x, entry.truth)
        return
    rows = score_contributions(fam, x, entry.truth)
    assert rows.shape == (x.size, fam.n_free)
    np.testing.assert_allclose(rows.sum(axis=0), total, rtol=1e-9, atol=1e-9 * np.abs(total).max())
    v0 = fam.to_vector(entry.truth)
    for j in range(fam.n_free):
        h = 1e-6 * max(1.0, abs(v0[j]))
        up, down = v0.copy(), v0.copy()
        up[j] += h
        down[j] -= h
        fd = (entry.scipy_logpdf(x, _full(fam, up)) - entry.scipy_logpdf(x, _full(fam, down))) / (2 * h)
        np.testing.assert_allclose(rows[:, j], fd, rtol=1e-5, atol=1e-6)


def _full(fam, vec):
    """Parameter dict from free coordinates (Categorical: the last probability completes the sum)."""
    if isinstance(fam, mlekit.Categorical):
        return {"theta": np.r_[vec, 1 - vec.sum()]}
    return fam.from_vector(vec)


# ------------------------------------------------------------ sandwich covariance
def test_sandwich_poisson_discoveries_matches_statsmodels_glm_hc0():
    # statsmodels fits log(lambda) = b0; its HC0 covariance is the same sandwich on the log scale.
    # At the MLE the score is zero, so the sandwich transforms exactly: se(lambda) = lambda * se(b0).
    y = mlekit.datasets.load_discoveries()["discoveries"].to_numpy()
    res = mlekit.fit(mlekit.Poisson(), y)
    cov = sandwich_covariance(mlekit.Poisson(), y, res)
    glm = sm.GLM(y, np.ones(y.size), family=sm.families.Poisson()).fit(cov_type="HC0")
    assert np.sqrt(cov[0, 0]) == pytest.approx(res.params["lam"] * glm.bse[0], rel=1e-8)
    # closed form: J = S/lam^2, B = sum (x_i/lam - 1)^2, so Var = sum (x_i - xbar)^2 / N^2
    assert cov[0, 0] == pytest.approx(np.sum((y - y.mean()) ** 2) / y.size**2, rel=1e-12)
    # over-dispersed: the robust variance exceeds the model's lam/N
    assert cov[0, 0] > 1.5 * res.cov[0, 0]


def test_sandwich_normal_closed_form_and_statsmodels_ols_hc0():
    # s_mu = (x-mu)/s2, s_s2 = ((x-mu)^2 - s2)/(2 s2^2), J = diag(N/s2, N/(2 s2^2)) at the MLE, so
    # Var(mu) = sum d^2/N^2, Var(s2) = sum (d^2 - s2)^2/N^2, Cov = sum d^3/N^2 with d = x - xbar.
    x = stats.gamma.rvs(2.0, size=150, random_state=np.random.default_rng(SEED))  # skewed: the third moment matters
    res = mlekit.fit(mlekit.Normal(), x)
    cov = sandwich_covariance(mlekit.Normal(), x, res)
    d, n, s2 = x - x.mean(), x.size, x.var()
    expected = np.array([[np.sum(d**2), np.sum(d**3)], [np.sum(d**3), np.sum((d**2 - s2) ** 2)]]) / n**2
    np.testing.assert_allclose(cov, expected, rtol=1e-10)
    ols = sm.OLS(x, np.ones((n, 1))).fit(cov_type="HC0")
    assert np.sqrt(cov[0, 0]) == pytest.approx(ols.bse[0], rel=1e-10)


@pytest.mark.parametrize("entry", [e for e in REGISTRY if e.make().differentiable], ids=lambda e: e.id)
def test_sandwich_agrees_with_the_model_covariance_when_the_model_is_right(entry):
    # Information equality: E[s s'] = -E[H] under the model, so J^-1 B J^-1 ~ J^-1 for large N.
    # With N = 4000 the sample B has a relative error of order sqrt(kurtosis of s / N), a few percent.
    fam = entry.make()
    x = fam.sample(4000, rng=SEED, **entry.truth)
    res = mlekit.fit(fam, x)
    robust = sandwich_covariance(fam, x, res)
    model = np.linalg.inv(fam.observed_information(x, **res.params))
    np.testing.assert_allclose(np.sqrt(np.diag(robust)), np.sqrt(np.diag(model)), rtol=0.1)


def test_sandwich_bad_input():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    with pytest.raises(ValueError, match="not positive definite"):
        sandwich_covariance(mlekit.Normal(), x, {"mu": 3.5, "sigma2": 1000.0})
    with pytest.raises(ValueError, match="family"):
        sandwich_covariance("Normal", x, {"mu": 3.5, "sigma2": 1.0})
    with pytest.raises(ValueError, match="boundary"):
        sandwich_covariance(mlekit.Bernoulli(), [0, 0, 1], {"p": 0.0})


# ------------------------------------------------------------ Wald and score tests
@pytest.mark.parametrize("s,n,p0", [(3, 30, 0.2), (12, 40, 0.5), (70, 100, 0.6), (1, 10, 0.05)])
def test_wald_and_score_tests_bernoulli_match_statsmodels_ztests(s, n, p0):
    x = _bernoulli(s, n)
    res = mlekit.fit(mlekit.Bernoulli(), x)
    # proportions_ztest: the variance at p_hat is the Wald test, at p0 (prop_var=p0) the score test
    z_wald, _ = proportions_ztest(s, n, value=p0)
    z_score, p_score = proportions_ztest(s, n, value=p0, prop_var=p0)
    w = wald_test(res, {"p": p0})
    sc = score_test(mlekit.Bernoulli(), x, {"p": p0})
    assert w.statistic == pytest.approx(z_wald**2, rel=1e-10) and w.df == 1
    assert sc.statistic == pytest.approx(z_score**2, rel=1e-10) and sc.df == 1
    assert sc.pvalue == pytest.approx(p_score, rel=1e-8)
    # closed form of the score statistic (Pearson's chi-square of prop.test without correction)
    assert sc.statistic == pytest.approx((s - n * p0) ** 2 / (n * p0 * (1 - p0)), rel=1e-12)


def test_score_test_poisson_matches_statsmodels_rates():
    y = mlekit.datasets.load_discoveries()["discoveries"].to_numpy()
    for lam0 in (2.5, 3.1, 4.0):
        ref = sm_rates.test_poisson(int(y.sum()), y.size, lam0, method="score")
        sc = score_test(mlekit.Poisson(), y, {"lam": lam0})
        assert sc.statistic == pytest.approx(ref.statistic**2, rel=1e-10)
        assert sc.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
        # the observed information at lam0 is S/lam0^2 instead of N/lam0
        obs = score_test(mlekit.Poisson(), y, {"lam": lam0}, information="observed")
        assert obs.statistic == pytest.approx((y.sum() - y.size * lam0) ** 2 / y.sum(), rel=1e-12)


def test_trio_normal_mean_with_free_variance_vs_student_t():
    # H0: mu = mu0 with sigma2 a nuisance. With d = xbar - mu0 and t from scipy's one-sample t test:
    # Wald N d^2/s2_hat = N t^2/(N-1); LR N log(1 + t^2/(N-1)); score N d^2/(s2_hat + d^2) = N t^2/(N-1+t^2),
    # so W >= LR >= S (a classic inequality for this test).
    speed = mlekit.datasets.load_michelson_morley()["Speed"].to_numpy(dtype=float)
    n = speed.size
    full = mlekit.fit(mlekit.Normal(), speed)
    for mu0 in (734.5, 800.0, 852.0):
        t = stats.ttest_1samp(speed, mu0).statistic
        null = mlekit.fit(mlekit.Normal(mu=mu0), speed)
        w = wald_test(full, {"mu": mu0})
        lr = mlekit.likelihood_ratio_test(null, full)
        sc = score_test(mlekit.Normal(), speed, null)
        assert sc.df == 1 and w.df == 1
        assert w.statistic == pytest.approx(n * t**2 / (n - 1), rel=1e-9)
        assert lr.statistic == pytest.approx(n * np.log1p(t**2 / (n - 1)), rel=1e-9)
        assert sc.statistic == pytest.approx(n * t**2 / (n - 1 + t**2), rel=1e-9)
        assert w.statistic >= lr.statistic >= sc.statistic


def test_wald_test_two_parameters_is_the_sum_for_a_diagonal_covariance():
    x = mlekit.Normal().sample(200, rng=SEED, mu=1.0, sigma2=2.0)
    res = mlekit.fit(mlekit.Normal(), x)
    null = {"mu": 0.9, "sigma2": 2.2}
    z = [(res.params[k] - v) / res.se[k] for k, v in null.items()]
    w = wald_test(res, null)
    assert w.df == 2 and w.statistic == pytest.approx(z[0] ** 2 + z[1] ** 2, rel=1e-10)
    assert w.pvalue == pytest.approx(stats.chi2.sf(w.statistic, 2), rel=1e-12)


def test_tests_bad_input():
    x = _bernoulli(3, 10)
    res = mlekit.fit(mlekit.Bernoulli(), x)
    with pytest.raises(ValueError, match="not a scalar parameter"):
        wald_test(res, {"q": 0.5})
    with pytest.raises(ValueError, match="non-empty dict"):
        wald_test(res, {})
    with pytest.raises(ValueError, match="MLEResult"):
        wald_test("fit", {"p": 0.5})
    with pytest.raises(ValueError, match="boundary"):
        wald_test(mlekit.fit(mlekit.Bernoulli(), np.zeros(5, dtype=int)), {"p": 0.5})
    with pytest.raises(ValueError, match="boundary"):  # the score is not defined at p0 = 0
        score_test(mlekit.Bernoulli(), x, {"p": 0.0})
    with pytest.raises(ValueError, match="every parameter"):
        score_test(mlekit.Normal(), [1.0, 2.0, 3.0], {"mu": 0.0})
    with pytest.raises(ValueError, match="restricted"):
        score_test(mlekit.Normal(), x.astype(float), res)
    with pytest.raises(ValueError, match="information"):
        score_test(mlekit.Bernoulli(), x, {"p": 0.5}, information="sandwich")
    with pytest.raises(ValueError, match="df"):
        score_test(mlekit.Bernoulli(), x, {"p": 0.5}, df=2)


# ------------------------------------------------------------ score (Wilson) intervals
@pytest.mark.parametrize("n", [1, 5, 30, 101])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_score_interval_bernoulli_is_wilson_for_every_count(n, level):
    for s in range(n + 1):
        lo, hi = score_interval(mlekit.Bernoulli(), _bernoulli(s, n), level=level)
        ref = proportion_confint(s, n, alpha=1 - level, method="wilson")
        np.testing.assert_allclose((lo, hi), ref, rtol=1e-9, atol=1e-12)


def test_score_interval_poisson_exponential_and_known_variance_normal():
    y = mlekit.datasets.load_discoveries()["discoveries"].to_numpy()
    np.testing.assert_allclose(tuple(score_interval(mlekit.Poisson(), y)),
                               sm_rates.confint_poisson(int(y.sum()), y.size, method="score"), rtol=1e-9)
    # all zeros: the statistic is N*lam, so the interval is [0, chi2_{1,0.95} / N]
    z = score_interval(mlekit.Poisson(), np.zeros(20, dtype=int))
    assert z.lower == 0.0 and z.boundary == ("lower",)
    assert z.upper == pytest.approx(stats.chi2.ppf(0.95, 1) / 20, rel=1e-10)
    # Exponential: (N - lam S)^2 / N <= q gives lam = (N -+ sqrt(q N)) / S
    w = mlekit.Exponential().sample(25, rng=SEED, rate=2.0)
    q, n, S = stats.chi2.ppf(0.95, 1), w.size, w.sum()
    np.testing.assert_allclose(tuple(score_interval(mlekit.Exponential(), w)),
                               ((n - np.sqrt(q * n)) / S, (n + np.sqrt(q * n)) / S), rtol=1e-9)
    # known variance: the score statistic is z^2 exactly, so the interval is the Wald interval
    known = mlekit.Normal(sigma2=4.0)
    v = known.sample(12, rng=SEED, mu=1.0)
    np.testing.assert_allclose(tuple(score_interval(known, v)), mlekit.fit(known, v).conf_int()["mu"], rtol=1e-9)


def test_score_interval_bad_input():
    with pytest.raises(ValueError, match="one scalar parameter"):
        score_interval(mlekit.Normal(), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="not 'q'"):
        score_interval(mlekit.Bernoulli(), [0, 1], "q")
    with pytest.raises(ValueError, match="level"):
        score_interval(mlekit.Bernoulli(), [0, 1], level=1.5)


# ------------------------------------------------------------ Clopper-Pearson
@pytest.mark.parametrize("n", [1, 7, 30, 250])
def test_clopper_pearson_matches_statsmodels_for_every_count(n):
    for level in (0.9, 0.95):
        for s in range(n + 1):
            ref = proportion_confint(s, n, alpha=1 - level, method="beta")
            np.testing.assert_allclose(clopper_pearson_interval(s, n, level=level), ref, rtol=1e-10, atol=1e-14)


def test_clopper_pearson_closed_forms_and_guaranteed_coverage():
    # S = 0: the upper end solves (1 - p)^N = alpha/2; R: binom.test(0, 30)$conf.int gives 0 0.1157033
    assert clopper_pearson_interval(0, 30) == pytest.approx((0.0, 1 - 0.025 ** (1 / 30)), rel=1e-12)
    assert clopper_pearson_interval(0, 30)[1] == pytest.approx(0.1157033, abs=5e-8)
    assert clopper_pearson_interval(30, 30) == pytest.approx((0.025 ** (1 / 30), 1.0), rel=1e-12)
    # exact coverage, summed over the binomial distribution, is at least the level for every p
    n = 30
    ends = np.array([clopper_pearson_interval(s, n) for s in range(n + 1)])
    for p in np.linspace(0.001, 0.999, 199):
        covered = (ends[:, 0] <= p) & (p <= ends[:, 1])
        assert stats.binom.pmf(np.arange(n + 1), n, p)[covered].sum() >= 0.95 - 1e-12


def test_clopper_pearson_bad_input():
    for s, n in ((-1, 10), (11, 10), (2.5, 10), (True, 10)):
        with pytest.raises(ValueError, match="successes"):
            clopper_pearson_interval(s, n)
    with pytest.raises(ValueError, match="trials"):
        clopper_pearson_interval(0, 0)
    with pytest.raises(ValueError, match="level"):
        clopper_pearson_interval(1, 10, level=95)
