"""Tests of mlekit.gaussian_mixture against scikit-learn's GaussianMixture and scipy.stats densities."""

import warnings

import numpy as np
import pytest
from scipy import special, stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

import mlekit
from mlekit.models import MixtureResult
from mlekit.models.mixture import _logsumexp


@pytest.fixture(scope="module")
def faithful():
    return mlekit.datasets.load_old_faithful()[["eruptions", "waiting"]].to_numpy()


def _start(X, rows):
    """A start every implementation can take: means at given rows, equal weights, sample covariance."""
    k = len(rows)
    return {
        "means": X[rows],
        "weights": np.full(k, 1.0 / k),
        "covariances": np.repeat(np.cov(X.T, bias=True)[None], k, axis=0),
    }


def _sklearn_from(X, start, **kwargs):
    g = GaussianMixture(
        len(start["weights"]),
        covariance_type="full",
        weights_init=start["weights"],
        means_init=start["means"],
        precisions_init=np.linalg.inv(start["covariances"]),
        **kwargs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fixed-step runs stop on max_iter by design
        g.fit(X)
    order = np.argsort(g.means_[:, 0])
    return g, g.weights_[order], g.means_[order], g.covariances_[order]


# ---------------------------------------------------------------- against scikit-learn
@pytest.mark.parametrize("steps", [1, 5, 10])
def test_same_start_same_steps_as_sklearn(faithful, steps):
    # Reference: sklearn GaussianMixture from the same weights/means/precisions, exactly `steps`
    # EM iterations (tol=0) and reg_covar=0 (sklearn otherwise adds 1e-6 to every covariance
    # diagonal, which perturbs the path): the same algorithm, so the same numbers.
    start = _start(faithful, [0, 1])
    fit = mlekit.gaussian_mixture(faithful, 2, init=start, max_iter=steps, tol=1e-300)
    g, w, mu, cov = _sklearn_from(faithful, start, max_iter=steps, tol=0.0, reg_covar=0.0)
    assert fit.iterations == g.n_iter_ == steps
    np.testing.assert_allclose(fit.params["weights"], w, rtol=1e-9)
    np.testing.assert_allclose(fit.params["means"], mu, rtol=1e-9)
    np.testing.assert_allclose(fit.params["covariances"], cov, rtol=1e-8)
    assert fit.loglik == pytest.approx(g.score(faithful) * len(faithful), rel=1e-12)


def test_converged_fit_at_least_as_good_as_sklearn(faithful):
    # Reference: sklearn from the same start, run to its tol=1e-10 (per-observation change),
    # and with its defaults (tol=1e-3). Both implementations stop on the same criterion, so
    # ours may trail sklearn's one extra M-step by at most ~tol * n.
    start = _start(faithful, [0, 1])
    fit = mlekit.gaussian_mixture(faithful, 2, init=start)
    assert isinstance(fit, MixtureResult) and fit.converged
    g, w, mu, cov = _sklearn_from(faithful, start, tol=1e-10, max_iter=1000)
    g_default, *_ = _sklearn_from(faithful, start)
    n = len(faithful)
    assert fit.loglik >= g.score(faithful) * n - 1e-10 * n
    assert fit.loglik >= g_default.score(faithful) * n
    np.testing.assert_allclose(fit.params["means"], mu, rtol=1e-5)
    np.testing.assert_allclose(fit.params["weights"], w, rtol=1e-5)
    # the classic answer: short eruptions ~2.04 min / 54.5 min wait, long ~4.29 / 80.0 (weights .356/.644)
    np.testing.assert_allclose(fit.params["means"], [[2.036, 54.48], [4.290, 79.97]], atol=5e-3)
    np.testing.assert_allclose(fit.params["weights"], [0.3559, 0.6441], atol=5e-4)


def test_random_starts_find_the_sklearn_optimum_1d(faithful):
    # 1-D eruptions, k = 2. Reference: sklearn GaussianMixture(2, n_init=5, tol=1e-10), k-means starts.
    x = faithful[:, 0]
    fit = mlekit.gaussian_mixture(x, 2, rng=0)
    g = GaussianMixture(2, n_init=5, tol=1e-10, max_iter=1000, random_state=0).fit(x[:, None])
    order = np.argsort(g.means_[:, 0])
    assert fit.params["means"].shape == (2,) and fit.params["covariances"].shape == (2,)
    np.testing.assert_allclose(fit.params["means"], g.means_[order, 0], rtol=1e-4)
    np.testing.assert_allclose(fit.params["covariances"], g.covariances_[order, 0, 0], rtol=1e-3)
    assert fit.loglik >= g.score(x[:, None]) * len(x) - 1e-10 * len(x)
    assert fit.n_params == 5
    assert fit.aic == pytest.approx(2 * 5 - 2 * fit.loglik)
    assert fit.bic == pytest.approx(5 * np.log(272) - 2 * fit.loglik)
    assert fit.aic == pytest.approx(g.aic(x[:, None]), abs=1e-6)


def test_responsibilities_predict_logpdf(faithful):
    fit = mlekit.gaussian_mixture(faithful, 2, rng=1)
    w, mu, cov = fit.params["weights"], fit.params["means"], fit.params["covariances"]
    # reference densities from scipy.stats.multivariate_normal, combined by hand
    comp = np.column_stack([w[j] * stats.multivariate_normal(mu[j], cov[j]).pdf(faithful) for j in range(2)])
    np.testing.assert_allclose(fit.logpdf(faithful), np.log(comp.sum(axis=1)), rtol=1e-10)
    assert fit.logpdf(faithful).sum() == pytest.approx(fit.loglik, rel=1e-12)
    resp = fit.responsibilities(faithful)
    np.testing.assert_allclose(resp, comp / comp.sum(axis=1, keepdims=True), atol=1e-10)
    np.testing.assert_array_equal(fit.predict(faithful), resp.argmax(axis=1))
    with pytest.raises(ValueError, match="fitted in 2"):
        fit.predict(faithful[:, 0])


def test_logsumexp_helper_is_scipys():
    rng = np.random.default_rng(0)
    a = rng.normal(scale=500, size=(3, 50))
    a[1, :5] = -np.inf
    np.testing.assert_allclose(_logsumexp(a), special.logsumexp(a, axis=0), rtol=1e-14)


# ---------------------------------------------------------------- EM properties
@pytest.mark.parametrize("seed, n, d, k", [(0, 300, 1, 3), (1, 400, 2, 3), (2, 500, 3, 4)])
def test_loglik_trace_never_decreases(seed, n, d, k):
    # Overlapping components make EM crawl, the situation where a bug in an M-step shows.
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=1.5, size=(k, d))
    x = centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    fit = mlekit.gaussian_mixture(x[:, 0] if d == 1 else x, k, rng=seed, n_init=3, max_iter=300)
    tr = fit.trace.loglik
    assert len(tr) == fit.iterations + 1 and tr[-1] == fit.loglik
    # EM ascends: allowed slack is floating-point rounding of a sum of n terms only
    assert np.all(np.diff(tr) >= -1e-10 * abs(tr[-1]))
    assert tr[-1] > tr[0]


def test_deterministic_given_seed(faithful):
    a = mlekit.gaussian_mixture(faithful, 2, rng=42)
    b = mlekit.gaussian_mixture(faithful, 2, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.params["means"], b.params["means"])
    assert a.loglik == b.loglik


# ---------------------------------------------------------------- collapse guard
def test_collapsed_start_is_discarded_even_with_higher_likelihood():
    # A component started on one observation with (almost) zero variance: without a guard the
    # likelihood goes to +infinity there. With a tiny floor its likelihood beats the honest fit,
    # yet the honest fit is returned and the collapse is reported.
    rng = np.random.default_rng(5)
    x = rng.normal(size=60)
    starts = [{"means": [x[0], 0.0], "covariances": [1e-14, 1.0]}, {"means": [-1.0, 1.0]}]
    fit = mlekit.gaussian_mixture(x, 2, init=starts, min_variance=1e-12)
    bad, good = fit.trace.starts
    assert bad.collapsed and "variance floor" in bad.reason
    assert not good.collapsed
    assert bad.loglik > good.loglik  # the degenerate spike "wins" on likelihood ...
    assert fit.trace.best == 1 and fit.loglik == good.loglik  # ... and is still not chosen
    assert fit.converged and "1 collapsed start(s) discarded" in fit.message
    assert np.isfinite(fit.loglik)


def test_variance_floor_bounds_the_likelihood_and_all_collapsed_is_not_converged():
    # Five identical values far from a normal sample: any component on them collapses.
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(size=100), np.full(5, 8.0)]
    fit = mlekit.gaussian_mixture(x, 2, init={"means": [0.0, 8.0], "covariances": [1.0, 1e-30]}, min_variance=1e-6)
    assert np.isfinite(fit.loglik)
    # the variance sits exactly on the floor: min_variance * var(x)
    assert fit.params["covariances"][1] == pytest.approx(1e-6 * x.var(), rel=1e-9)
    assert not fit.converged and "collapsed" in fit.message
    assert np.all(np.diff(fit.trace.loglik) >= -1e-10 * abs(fit.loglik))


def test_random_starts_are_replaced_when_they_collapse():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(size=100), np.full(5, 8.0)]
    fit = mlekit.gaussian_mixture(x, 3, rng=0, n_init=2)
    n_coll = sum(s.collapsed for s in fit.trace.starts)
    assert n_coll >= 1
    assert len(fit.trace.starts) == 2 + min(n_coll, 2)  # one replacement per collapse, at most n_init
    if all(s.collapsed for s in fit.trace.starts):
        assert not fit.converged


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "x, k, kwargs, match",
    [
        ([1.0, np.nan, 3.0], 1, {}, "NaN or infinite"),
        ([1.0, 1.0, 2.0], 3, {}, "only 2 distinct"),
        ([1.0, 2.0, 3.0], 0, {}, "k must be a positive integer"),
        ([2.0, 2.0, 2.0], 1, {}, "constant"),
        ([1.0, 2.0, 3.0], 1, {"min_variance": 1.5}, "min_variance"),
        ([1.0, 2.0, 3.0], 1, {"min_variance": 0.0}, "min_variance"),
        ([1.0, 2.0, 3.0], 1, {"n_init": 0}, "n_init"),
        ([1.0, 2.0, 3.0], 2, {"init": {"means": [1.0]}}, "means must have shape"),
        ([1.0, 2.0, 3.0], 2, {"init": {"means": [1.0, 3.0], "weights": [0.5, 0.6]}}, "summing to 1"),
        ([1.0, 2.0, 3.0], 2, {"init": {"means": [1.0, 3.0], "covariances": [1.0, -1.0]}}, "positive definite"),
        ([1.0, 2.0, 3.0], 2, {"init": {"mean": [1.0, 3.0]}}, "unknown key"),
        ([["a"], ["b"]], 1, {}, "must hold numbers"),
    ],
)
def test_bad_input(x, k, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mlekit.gaussian_mixture(x, k, **kwargs)


def test_summary_and_html(faithful):
    fit = mlekit.gaussian_mixture(faithful, 2, rng=0)
    text = fit.summary()
    assert "log-likelihood" in text and "covariance" in text and str(fit) == text
    assert "<table>" in fit._repr_html_()


def test_one_component_is_the_normal_mle(faithful):
    # k = 1: the MLE is the sample mean and the biased (1/n) sample covariance (closed form).
    fit = mlekit.gaussian_mixture(faithful, 1, rng=0)
    np.testing.assert_allclose(fit.params["means"][0], faithful.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(fit.params["covariances"][0], np.cov(faithful.T, bias=True), rtol=1e-10)
    ref = stats.multivariate_normal(faithful.mean(axis=0), np.cov(faithful.T, bias=True)).logpdf(faithful).sum()
    assert fit.loglik == pytest.approx(ref, rel=1e-12)
    # 1-D: same as mlekit.fit(Normal()) (closed form)
    x = faithful[:, 1]
    one = mlekit.gaussian_mixture(x, 1, rng=0)
    normal = mlekit.fit(mlekit.Normal(), x)
    assert one.params["means"][0] == pytest.approx(normal.params["mu"], rel=1e-12)
    assert one.params["covariances"][0] == pytest.approx(normal.params["sigma2"], rel=1e-10)
    assert one.loglik == pytest.approx(normal.loglik, rel=1e-12)


def test_three_dimensional_same_steps_as_sklearn():
    # d = 3 exercises the Cholesky path; reference sklearn with reg_covar=0 from the same start.
    rng = np.random.default_rng(11)
    centers = np.array([[0.0, 0, 0], [3, 1, 0], [0, 3, 2]])
    X = centers[rng.integers(3, size=600)] + rng.normal(size=(600, 3)) @ np.diag([1.0, 0.5, 2.0])
    start = _start(X, [0, 1, 2])
    fit = mlekit.gaussian_mixture(X, 3, init=start, max_iter=15, tol=1e-300)
    g, w, mu, cov = _sklearn_from(X, start, max_iter=15, tol=0.0, reg_covar=0.0)
    assert fit.iterations == 15
    np.testing.assert_allclose(fit.params["means"], mu, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.params["covariances"], cov, rtol=1e-7, atol=1e-10)
    assert fit.loglik == pytest.approx(g.score(X) * len(X), rel=1e-12)
