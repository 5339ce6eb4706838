"""Tests of mlekit.priors: conjugate MAP estimates, their curvature SEs and posteriors.

References: closed-form posterior modes written out below; scipy.stats (beta, gamma,
dirichlet) log-densities maximized / differentiated numerically; sklearn's CategoricalNB
for additive smoothing.
"""

import inspect

import numpy as np
import pytest
from scipy import optimize, stats
from sklearn.naive_bayes import CategoricalNB

import mlekit
from mlekit.priors import BetaPrior, DirichletPrior, GammaPrior

SEED = 20261129


def _second_derivative(f, x, h=1e-4):
    return (f(x + h) - 2 * f(x) + f(x - h)) / h**2


# ---------------------------------------------------------------------- Beta
@pytest.mark.parametrize("a, b", [(2.0, 2.0), (5.0, 1.5), (0.5, 3.0)])
def test_beta_map_bernoulli_closed_form_and_scipy_mode(a, b):
    x = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0, 1])
    s, n = x.sum(), x.size
    res = BetaPrior(a, b).fit_map(mlekit.Bernoulli(), x)
    # closed-form posterior mode (s + a - 1) / (n + a + b - 2)
    assert res.params["p"] == pytest.approx((s + a - 1) / (n + a + b - 2), rel=1e-12)
    # independent: maximize scipy.stats.beta(a + s, b + n - s).logpdf
    post = stats.beta(a + s, b + n - s)
    best = optimize.minimize_scalar(lambda p: -post.logpdf(p), bounds=(1e-9, 1 - 1e-9), method="bounded",
                                    options={"xatol": 1e-12})
    assert res.params["p"] == pytest.approx(best.x, abs=1e-7)
    # se from the curvature of the log-posterior (finite differences of scipy's logpdf)
    curv = -_second_derivative(post.logpdf, res.params["p"])
    assert res.se["p"] == pytest.approx(1 / np.sqrt(curv), rel=1e-5)
    # loglik is the log-likelihood at the MAP, not the log-posterior
    assert res.loglik == pytest.approx(stats.bernoulli(res.params["p"]).logpmf(x).sum(), rel=1e-12)
    assert res.method == f"MAP (Beta({a:g}, {b:g}) prior)"
    assert res.converged and res.boundary == ()
    assert BetaPrior(a, b).posterior(mlekit.Bernoulli(), x).params == pytest.approx({"a": a + s, "b": b + n - s})


def test_beta_map_binomial_counts_trials():
    x = np.array([3, 7, 5, 6])  # successes out of 10 trials each: s = 21 of N = 40
    res = BetaPrior(3, 4).fit_map(mlekit.Binomial(n=10), x)
    assert res.params["p"] == pytest.approx((21 + 3 - 1) / (40 + 3 + 4 - 2), rel=1e-12)
    post = BetaPrior(3, 4).posterior(mlekit.Binomial(n=10), x)
    assert post.params == pytest.approx({"a": 24, "b": 23})
    assert post.mean == pytest.approx(stats.beta(24, 23).mean())
    assert post.dist().mean() == pytest.approx(24 / 47)


def test_uniform_beta_prior_gives_the_mle():
    x = np.array([0, 1, 1, 0, 1, 1, 1])
    assert BetaPrior(1, 1).fit_map(mlekit.Bernoulli(), x).params["p"] == pytest.approx(mlekit.fit(mlekit.Bernoulli(), x).params["p"])


def test_beta_map_on_the_boundary_is_reported_honestly():
    # a = 0.5 and no successes: posterior Beta(0.5, b + n) has density -> infinity at p = 0: the mode is 0.
    res = BetaPrior(0.5, 2).fit_map(mlekit.Bernoulli(), np.zeros(6, dtype=int))
    assert res.params["p"] == 0.0
    assert res.boundary == ("p",)
    assert np.isnan(res.se["p"]) and "edge" in res.message and "nan" in res.message
    # mirror: b < 1 and only successes -> mode 1
    res1 = BetaPrior(2, 0.3).fit_map(mlekit.Binomial(n=3), np.full(4, 3))
    assert res1.params["p"] == 1.0 and res1.boundary == ("p",)


# ----------------------------------------------------------------- Dirichlet
def test_dirichlet_map_closed_form_and_additive_smoothing_vs_sklearn():
    x = np.array([0, 0, 1, 2, 2, 2, 0, 1, 0, 2, 2])
    k, lam = 4, 1.0  # category 3 never observed
    c = np.bincount(x, minlength=k)
    res = DirichletPrior(1 + lam).fit_map(mlekit.Categorical(k), x)
    # closed form (c + alpha - 1) / (N + sum(alpha) - k) = (c + lam) / (N + k lam)
    assert res.params["theta"] == pytest.approx((c + lam) / (x.size + k * lam), rel=1e-12)
    # sklearn's CategoricalNB smooths with pseudocount alpha: (c + alpha) / (N + k alpha)
    nb = CategoricalNB(alpha=lam, min_categories=k).fit(x.reshape(-1, 1), np.zeros(x.size, dtype=int))
    assert res.params["theta"] == pytest.approx(np.exp(nb.feature_log_prob_[0][0]), rel=1e-10)
    assert res.method == "MAP (Dirichlet(2) prior)"
    assert res.cov_names == ("theta[0]", "theta[1]", "theta[2]", "theta[3]")


def test_dirichlet_map_curvature_vs_numerical_hessian_of_scipy_logpdf():
    x = np.array([0, 1, 1, 2, 2, 2, 2])
    alpha = np.array([2.0, 3.0, 1.5])
    res = DirichletPrior(alpha).fit_map(mlekit.Categorical(3), x)
    A = alpha + np.bincount(x, minlength=3)
    theta = res.params["theta"]
    assert theta == pytest.approx((A - 1) / (A - 1).sum(), rel=1e-12)

    def logpost(free):  # free coordinates theta[0], theta[1]
        return stats.dirichlet(A).logpdf(np.append(free, 1 - free.sum()))

    h = 1e-4
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (logpost(theta[:2] + ei + ej) - logpost(theta[:2] + ei - ej)
                       - logpost(theta[:2] - ei + ej) + logpost(theta[:2] - ei - ej)) / (4 * h * h)
    cov_free = np.linalg.inv(-H)
    assert res.cov[:2, :2] == pytest.approx(cov_free, rel=1e-5)
    # the last entry's variance: Var(1 - t0 - t1)
    assert res.cov[2, 2] == pytest.approx(cov_free.sum(), rel=1e-5)


def test_dirichlet_map_edge_and_bad_alpha():
    res = DirichletPrior(0.5).fit_map(mlekit.Categorical(3), [0, 0, 1])
    # A = (2.5, 1.5, 0.5): theta2 -> 0, the rest proportional to A - 1 = (1.5, 0.5)
    assert res.params["theta"] == pytest.approx([0.75, 0.25, 0.0])
    assert res.boundary == ("theta[2]",) and np.all(np.isnan(res.se["theta"]))
    with pytest.raises(ValueError, match="k=3"):
        DirichletPrior([1.0, 2.0]).fit_map(mlekit.Categorical(3), [0, 1])
    with pytest.raises(ValueError, match="positive"):
        DirichletPrior([1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match="positive"):
        DirichletPrior(np.nan)
    # one observation, alpha = 0.2: A = (1.2, 0.2, 0.2): all mass on the observed category
    one = DirichletPrior(0.2).fit_map(mlekit.Categorical(3), [0])
    assert one.params["theta"] == pytest.approx([1.0, 0.0, 0.0])
    assert one.boundary == ("theta[1]", "theta[2]")


# --------------------------------------------------------------------- Gamma
def test_gamma_map_poisson_and_exponential_closed_forms():
    rng = np.random.default_rng(SEED)
    x = rng.poisson(3.0, size=25)
    a, b = 2.5, 0.5
    res = GammaPrior(a, b).fit_map(mlekit.Poisson(), x)
    A, B = a + x.sum(), b + x.size
    assert res.params["lam"] == pytest.approx((A - 1) / B, rel=1e-12)
    post = stats.gamma(A, scale=1 / B)
    best = optimize.minimize_scalar(lambda t: -post.logpdf(t), bounds=(1e-6, 20), method="bounded", options={"xatol": 1e-12})
    assert res.params["lam"] == pytest.approx(best.x, abs=1e-6)
    assert res.se["lam"] == pytest.approx(1 / np.sqrt(-_second_derivative(post.logpdf, res.params["lam"])), rel=1e-5)
    assert res.loglik == pytest.approx(stats.poisson(res.params["lam"]).logpmf(x).sum(), rel=1e-12)

    w = rng.exponential(0.5, size=12)
    res_e = GammaPrior(a, b).fit_map(mlekit.Exponential(), w)
    assert res_e.params["rate"] == pytest.approx((a + w.size - 1) / (b + w.sum()), rel=1e-12)
    assert GammaPrior(a, b).posterior(mlekit.Exponential(), w).params == pytest.approx({"shape": a + 12, "rate": b + w.sum()})


def test_gamma_map_on_the_edge_for_zero_counts():
    res = GammaPrior(0.5, 1.0).fit_map(mlekit.Poisson(), [0, 0, 0])
    assert res.params["lam"] == 0.0 and res.boundary == ("lam",) and np.isnan(res.se["lam"])


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make", [lambda: BetaPrior(0, 1), lambda: BetaPrior(1, -2), lambda: BetaPrior(True, 1),
                                  lambda: BetaPrior("a", 1), lambda: GammaPrior(np.inf, 1), lambda: GammaPrior(1, 0)])
def test_invalid_hyperparameters(make):
    with pytest.raises(ValueError, match="positive"):
        make()


def test_prior_that_does_not_fit_the_family():
    with pytest.raises(ValueError, match="BetaPrior"):
        GammaPrior(2, 1).fit_map(mlekit.Bernoulli(), [0, 1])
    with pytest.raises(ValueError, match="GammaPrior"):
        BetaPrior(2, 2).fit_map(mlekit.Poisson(), [0, 1])
    with pytest.raises(ValueError, match="DirichletPrior"):
        BetaPrior(2, 2).posterior(mlekit.Categorical(3), [0, 1])
    with pytest.raises(ValueError, match="not to Normal"):
        BetaPrior(2, 2).fit_map(mlekit.Normal(), [0.1, 0.2])
    with pytest.raises(ValueError, match="mlekit family"):
        BetaPrior(2, 2).fit_map("Bernoulli", [0, 1])
    with pytest.raises(ValueError, match="must be <= 1"):
        BetaPrior(2, 2).fit_map(mlekit.Bernoulli(), [0, 2])


@pytest.mark.skipif("prior" not in inspect.signature(mlekit.fit).parameters,
                    reason="mlekit.fit(..., prior=...) delegation not available yet")
def test_fit_with_prior_delegates_to_fit_map():
    x = np.array([1, 0, 1, 1, 0, 1])
    via_fit = mlekit.fit(mlekit.Bernoulli(), x, prior=BetaPrior(2, 3))
    direct = BetaPrior(2, 3).fit_map(mlekit.Bernoulli(), x)
    assert via_fit.params["p"] == pytest.approx((4 + 2 - 1) / (6 + 2 + 3 - 2))
    assert via_fit.params == pytest.approx(direct.params) and via_fit.method == direct.method


def test_fit_map_options_forwarded_by_fit():
    x = [1, 0, 1]
    assert BetaPrior(2, 2).fit_map(mlekit.Bernoulli(), x, method="closed-form").params["p"] == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="method='newton'"):
        BetaPrior(2, 2).fit_map(mlekit.Bernoulli(), x, method="newton")
    with pytest.raises(ValueError, match="tol"):
        GammaPrior(2, 2).fit_map(mlekit.Poisson(), x, tol=1e-3)


def test_map_fit_is_titled_as_map_not_maximum_likelihood():
    # A MAP estimate is not a maximum-likelihood estimate; the tables must not say it is.
    import mlekit
    from mlekit.priors import BetaPrior

    result = BetaPrior(2.0, 2.0).fit_map(mlekit.Bernoulli(), [0, 1, 1, 1])
    assert result.summary().startswith("MAP fit")
    assert "<caption>MAP fit</caption>" in result._repr_html_()
    assert mlekit.fit(mlekit.Bernoulli(), [0, 1, 1, 1]).summary().startswith("Maximum-likelihood fit")
