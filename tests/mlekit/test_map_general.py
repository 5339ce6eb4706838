"""MAP with any log-prior: ``fit(family, x, prior=callable or {name: frozen dist})`` (issue 16, row 4).

References: the conjugate closed forms (BetaPrior, GammaPrior: the general route must give
the same MAP to 1e-6), posterior modes derived by hand (Normal mean with a Normal prior,
Normal variance with an inverse-gamma prior, including data where no MLE exists), and
an independent maximization of scipy's log-densities (Nelder-Mead) for a Gamma with
priors on both parameters.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

import mlekit


@pytest.mark.parametrize("a, b", [(2.0, 2.0), (3.0, 1.5), (0.8, 4.0), (10.0, 10.0)])
@pytest.mark.parametrize("family", [mlekit.Bernoulli(), mlekit.Binomial(n=5)], ids=repr)
def test_beta_prior_fast_path_equals_the_general_route(family, a, b):
    x = family.sample(60, rng=np.random.default_rng(3), p=0.3)
    fast = mlekit.fit(family, x, prior=mlekit.BetaPrior(a, b))
    dist = mlekit.fit(family, x, prior={"p": stats.beta(a, b)})
    call = mlekit.fit(family, x, prior=lambda p: stats.beta.logpdf(p["p"], a, b))
    for general in (dist, call):
        assert general.converged, general.message
        assert general.params["p"] == pytest.approx(fast.params["p"], rel=1e-6)
        # the curvature of the log-posterior: finite-difference Hessian of the prior, to ~1e-5
        assert general.se["p"] == pytest.approx(fast.se["p"], rel=1e-4)
        assert general.loglik == pytest.approx(fast.loglik, rel=1e-9)  # the log-likelihood, not the posterior
        assert general.method.startswith("MAP") and general.n == fast.n


@pytest.mark.parametrize("shape, rate", [(2.0, 1.0), (5.0, 0.5), (1.5, 3.0)])
@pytest.mark.parametrize("family, draw", [(mlekit.Poisson(), dict(lam=3.0)), (mlekit.Exponential(), dict(rate=0.7))], ids=["Poisson", "Exponential"])
def test_gamma_prior_fast_path_equals_the_general_route(family, draw, shape, rate):
    x = family.sample(40, rng=np.random.default_rng(4), **draw)
    (name,) = family.param_names
    fast = mlekit.fit(family, x, prior=mlekit.GammaPrior(shape, rate))
    general = mlekit.fit(family, x, prior={name: stats.gamma(shape, scale=1 / rate)})
    assert general.converged
    assert general.params[name] == pytest.approx(fast.params[name], rel=1e-6)
    assert general.se[name] == pytest.approx(fast.se[name], rel=1e-4)


def test_dirichlet_prior_has_no_general_route():
    with pytest.raises(ValueError, match="vector parameter.*DirichletPrior"):
        mlekit.fit(mlekit.Categorical(k=3), [0, 1, 2, 2], prior=lambda p: 0.0)


def test_normal_mean_with_a_normal_prior():
    rng = np.random.default_rng(8)
    s2, m0, t2 = 4.0, 1.0, 0.5
    x = rng.normal(3.0, 2.0, size=25)
    r = mlekit.fit(mlekit.Normal(sigma2=s2), x, prior={"mu": stats.norm(m0, np.sqrt(t2))})
    # conjugate by hand: precision-weighted mean, posterior variance 1 / (1/t2 + n/s2)
    prec = 1 / t2 + x.size / s2
    assert r.params["mu"] == pytest.approx((m0 / t2 + x.sum() / s2) / prec, rel=1e-8)
    assert r.se["mu"] == pytest.approx(1 / np.sqrt(prec), rel=1e-5)


@pytest.mark.parametrize("data", [np.zeros(5), np.array([0.3, -1.2, 2.0, 0.7])], ids=["all-zero", "spread"])
def test_normal_variance_with_an_inverse_gamma_prior(data):
    a, b = 3.0, 2.0
    # posterior of sigma2 around the known mean 0: (sigma2)^-(n/2 + a + 1) exp(-(SS/2 + b)/sigma2),
    # mode (SS/2 + b) / (n/2 + a + 1); with all data 0 the MLE does not exist but the MAP does
    r = mlekit.fit(mlekit.Normal(mu=0.0), data, prior={"sigma2": stats.invgamma(a, scale=b)})
    mode = (np.sum(data**2) / 2 + b) / (data.size / 2 + a + 1)
    assert r.converged and r.params["sigma2"] == pytest.approx(mode, rel=1e-8)


def test_gamma_with_priors_on_both_parameters_against_an_independent_maximization():
    y = np.random.default_rng(2).gamma(2.0, 1.0, size=50)
    priors = {"shape": stats.gamma(2, scale=2), "rate": stats.expon(scale=5)}
    r = mlekit.fit(mlekit.Gamma(), y, prior=priors)

    def neg(u):
        a, b = np.exp(u)
        return -(np.sum(stats.gamma.logpdf(y, a, scale=1 / b)) + priors["shape"].logpdf(a) + priors["rate"].logpdf(b))

    ref = optimize.minimize(neg, [0.0, 0.0], method="Nelder-Mead", options=dict(xatol=1e-11, fatol=1e-13, maxiter=10_000))
    assert r.converged
    np.testing.assert_allclose([r.params["shape"], r.params["rate"]], np.exp(ref.x), rtol=1e-6)
    # the same prior as a callable
    c = mlekit.fit(mlekit.Gamma(), y, prior=lambda p: priors["shape"].logpdf(p["shape"]) + priors["rate"].logpdf(p["rate"]))
    assert c.params["shape"] == pytest.approx(r.params["shape"], rel=1e-8)
    # a fixed family takes a prior on its free parameters only
    f = mlekit.fit(mlekit.Gamma(shape=2.0), y, prior={"rate": stats.expon(scale=5)})
    # d/db [n a log b - b S - b/5] = 0: b = n a / (S + 1/5)
    assert f.params["rate"] == pytest.approx(y.size * 2.0 / (y.sum() + 0.2), rel=1e-8)


def test_flat_prior_gives_the_mle_in_every_family(every_family, typical_params):
    fam = every_family
    if not fam.differentiable or any(s.size is not None for s in fam.params):
        with pytest.raises(ValueError, match="differentiable|vector"):
            mlekit.fit(fam, fam.sample(30, rng=np.random.default_rng(1), **typical_params(fam)), prior=lambda p: 0.0)
        return
    x = fam.sample(200, rng=np.random.default_rng(1), **typical_params(fam))
    mle = mlekit.fit(fam, x)
    flat = mlekit.fit(fam, x, prior=lambda p: 0.0)
    assert flat.converged == mle.converged
    for k in mle.params:
        assert flat.params[k] == pytest.approx(mle.params[k], rel=1e-6, abs=1e-10), k
    assert flat.loglik == pytest.approx(mle.loglik, rel=1e-10)


def test_weights_with_a_general_prior():
    x = np.array([0.5, 1.0, 2.0])
    w = np.array([2, 3, 1])
    prior = {"rate": stats.gamma(2.0, scale=1.0)}
    a = mlekit.fit(mlekit.Exponential(), x, weights=w, prior=prior)
    b = mlekit.fit(mlekit.Exponential(), np.repeat(x, w), prior=prior)
    assert a.params == b.params and a.n == 6


def test_bad_priors_are_a_clear_error():
    x = np.array([0.5, 1.0, 2.0, 3.0])
    gamma = mlekit.Gamma()
    with pytest.raises(ValueError, match="no prior given for rate"):
        mlekit.fit(gamma, x, prior={"shape": stats.gamma(2)})
    with pytest.raises(ValueError, match="mu.*does not estimate"):
        mlekit.fit(gamma, x, prior={"shape": stats.gamma(2), "rate": stats.gamma(2), "mu": stats.norm()})
    with pytest.raises(ValueError, match="shape.*fixed"):
        mlekit.fit(mlekit.Gamma(shape=2.0), x, prior={"shape": stats.gamma(2), "rate": stats.gamma(2)})
    with pytest.raises(ValueError, match="frozen continuous scipy.stats"):
        mlekit.fit(gamma, x, prior={"shape": 2.0, "rate": stats.gamma(2)})
    # a prior with no density at the start
    with pytest.raises(ValueError, match="no density at the start"):
        mlekit.fit(gamma, x, prior={"shape": stats.uniform(100, 1), "rate": stats.gamma(2)})
    with pytest.raises(ValueError, match="no density at the start"):
        mlekit.fit(gamma, x, prior=lambda p: -np.inf)
    with pytest.raises(ValueError, match="finite number or -inf"):
        mlekit.fit(gamma, x, prior=lambda p: np.nan)
    with pytest.raises(ValueError, match="one real number"):
        mlekit.fit(gamma, x, prior=lambda p: "high")
    with pytest.raises(ValueError, match="one real number"):
        mlekit.fit(gamma, x, prior=lambda p: np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="raised KeyError"):
        mlekit.fit(gamma, x, prior=lambda p: p["nonsense"])
    with pytest.raises(ValueError, match="no closed-form MAP"):
        mlekit.fit(gamma, x, prior=lambda p: 0.0, method="closed-form")
    with pytest.raises(ValueError, match="tol"):
        mlekit.fit(gamma, x, prior=lambda p: 0.0, tol=5)
    with pytest.raises(ValueError, match="not differentiable"):
        mlekit.fit(mlekit.Laplace(), x, prior=lambda p: 0.0)
    with pytest.raises(ValueError, match="prior must be"):
        mlekit.fit(gamma, x, prior=3.0)
    with pytest.raises(ValueError, match="empty"):
        mlekit.LogPrior({})


def test_general_map_methods_and_start():
    y = np.random.default_rng(6).gamma(3.0, 0.5, size=80)
    prior = {"shape": stats.gamma(2, scale=2), "rate": stats.gamma(2, scale=2)}
    ref = mlekit.fit(mlekit.Gamma(), y, prior=prior)
    for method in ("newton", "scipy", "gradient"):
        r = mlekit.fit(mlekit.Gamma(), y, prior=prior, method=method, start={"shape": 1.0, "rate": 1.0}, max_iter=5000)
        assert r.converged, (method, r.message)
        for k in r.params:
            assert r.params[k] == pytest.approx(ref.params[k], rel=1e-5)
    assert "MAP" in ref.summary()
