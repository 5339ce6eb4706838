"""Tests of mlekit.fit: methods, traces, standard errors, priors, custom models, bad input."""

import numpy as np
import pytest
from scipy import stats

import mlekit
from mlekit.optimize import OptimizeTrace

SEED = 20261129

SMOOTH = [
    (mlekit.Bernoulli(), {"p": 0.3}),
    (mlekit.Binomial(n=8), {"p": 0.6}),
    (mlekit.Poisson(), {"lam": 2.5}),
    (mlekit.Normal(), {"mu": 1.0, "sigma2": 2.0}),
    (mlekit.Normal(sigma2=2.0), {"mu": 1.0}),
    (mlekit.Exponential(), {"rate": 2.0}),
    (mlekit.Gamma(), {"shape": 2.5, "rate": 1.5}),
    (mlekit.Weibull(), {"shape": 1.7, "scale": 2.0}),
    (mlekit.Beta(), {"shape1": 2.0, "shape2": 5.0}),
    (mlekit.NegativeBinomial(), {"size": 3.0, "mu": 4.0}),
    (mlekit.StudentT(), {"mu": 1.0, "sigma": 2.0, "df": 5.0}),
    (mlekit.LogNormal(), {"meanlog": 0.5, "sdlog": 0.7}),
    (mlekit.Geometric(), {"prob": 0.3}),
]


@pytest.mark.parametrize("fam,truth", SMOOTH, ids=[repr(f) for f, _ in SMOOTH])
def test_every_method_reaches_the_same_maximum(fam, truth):
    x = fam.sample(500, rng=SEED, **truth)
    ref = mlekit.fit(fam, x)
    assert ref.converged, ref.message
    for method in ("newton", "gradient", "scipy"):
        r = mlekit.fit(fam, x, method=method)
        assert r.converged, (method, r.message)
        assert r.loglik == pytest.approx(ref.loglik, rel=1e-10, abs=1e-9)
        for name in fam.param_names:
            assert r.params[name] == pytest.approx(ref.params[name], rel=1e-5)
            assert r.se[name] == pytest.approx(ref.se[name], rel=2e-3)  # observed vs expected information
        assert r.information == "observed" and r.method == method
        assert isinstance(r.trace, OptimizeTrace) and r.iterations == r.trace.iterations
        # the trace is in the family's own parameters and ends at the estimate
        np.testing.assert_allclose(r.trace.iterates[-1], [r.params[n] for n in fam.param_names])
        assert r.trace.loglik[-1] == pytest.approx(r.loglik, rel=1e-12)


def test_closed_form_reports_expected_information_and_no_trace():
    r = mlekit.fit(mlekit.Poisson(), [1, 2, 3, 4])
    assert r.method == "closed-form" and r.information == "expected" and r.trace is None
    assert r.se["lam"] == pytest.approx(np.sqrt(2.5 / 4))  # se = sqrt(lam / n), lam = 2.5


def test_numerical_standard_errors_are_observed_information():
    # Gamma: -H = n [[psi1(a), -1/b], [-1/b, a/b^2]] (does not depend on the data), so the SEs are
    # sqrt(diag(inverse)) of that matrix at the estimate, written out here.
    from scipy.special import polygamma

    x = mlekit.Gamma().sample(400, rng=SEED, shape=2.0, rate=3.0)
    r = mlekit.fit(mlekit.Gamma(), x)
    a, b, n = r.params["shape"], r.params["rate"], x.size
    info = n * np.array([[polygamma(1, a), -1 / b], [-1 / b, a / b**2]])
    cov = np.linalg.inv(info)
    np.testing.assert_allclose(r.cov, cov, rtol=1e-8)
    assert r.se["shape"] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-8)
    # reference estimate: scipy.stats.gamma.fit with floc=0 (same likelihood)
    a_sp, _, scale_sp = stats.gamma.fit(x, floc=0)
    assert a == pytest.approx(a_sp, rel=1e-4) and b == pytest.approx(1 / scale_sp, rel=1e-4)


def test_iteration_limit_gives_converged_false():
    x = mlekit.Gamma().sample(200, rng=SEED, shape=2.0, rate=3.0)
    r = mlekit.fit(mlekit.Gamma(), x, method="gradient", max_iter=2)
    assert not r.converged and "max_iter" in r.message


def test_start_values_are_used_and_checked():
    x = mlekit.Weibull().sample(300, rng=SEED, shape=2.0, scale=1.0)
    r = mlekit.fit(mlekit.Weibull(), x, method="newton", start={"shape": 0.5, "scale": 3.0})
    np.testing.assert_allclose(r.trace.iterates[0], [0.5, 3.0])
    assert r.converged
    with pytest.raises(ValueError, match="unknown parameter"):
        mlekit.fit(mlekit.Weibull(), x, start={"k": 1.0, "scale": 1.0})
    with pytest.raises(ValueError, match="shape must lie in"):
        mlekit.fit(mlekit.Weibull(), x, start={"shape": -1.0, "scale": 1.0})
    with pytest.raises(ValueError, match="start must be a dict"):
        mlekit.fit(mlekit.Weibull(), x, start=[1.0, 1.0])


@pytest.mark.parametrize("kwargs,pattern", [
    ({"method": "bfgs"}, "unknown method"),
    ({"method": "closed-form"}, "no closed-form"),
    ({"tol": 0}, "tol"),
    ({"max_iter": -1}, "max_iter"),
])
def test_bad_fit_options(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        mlekit.fit(mlekit.Gamma(), [1.0, 2.0, 3.0], **kwargs)


def test_fit_refuses_non_families_and_non_smooth_numerical_fits():
    with pytest.raises(ValueError, match="mlekit family"):
        mlekit.fit(stats.norm, [1.0, 2.0])
    for fam in (mlekit.Uniform(), mlekit.Laplace()):
        with pytest.raises(ValueError, match="not differentiable"):
            mlekit.fit(fam, [1.0, 2.0, 4.0], method="newton")
    with pytest.raises(ValueError, match="vector parameter"):
        mlekit.fit(mlekit.Categorical(k=3), [0, 1, 2, 2], method="newton")


# ------------------------------------------------------------------ priors
class _RecordingPrior:
    def __init__(self):
        self.calls = []

    def fit_map(self, family, data, **options):
        self.calls.append((family, data, options))
        return "the prior's result"


def test_prior_is_delegated_to_fit_map():
    prior = _RecordingPrior()
    fam = mlekit.Bernoulli()
    assert mlekit.fit(fam, [0, 1, 1], prior=prior) == "the prior's result"
    assert prior.calls == [(fam, [0, 1, 1], {})]
    mlekit.fit(fam, [0, 1], prior=prior, method="newton", start={"p": 0.5})
    assert prior.calls[-1][2] == {"method": "newton", "start": {"p": 0.5}}


def test_prior_without_fit_map_is_a_valueerror():
    with pytest.raises(ValueError, match="fit_map"):
        mlekit.fit(mlekit.Bernoulli(), [0, 1], prior=3.0)
    # a dict is a prior per parameter (mlekit.priors.LogPrior): its values must be distributions
    with pytest.raises(ValueError, match="frozen continuous scipy.stats distribution"):
        mlekit.fit(mlekit.Bernoulli(), [0, 1], prior={"a": 1, "b": 1})


def test_real_beta_prior_map_through_fit():
    # Beta(a, b) prior on a Bernoulli p: posterior Beta(a + s, b + n - s), MAP (a + s - 1)/(a + b + n - 2).
    prior = mlekit.priors.BetaPrior(2.0, 2.0)
    r = mlekit.fit(mlekit.Bernoulli(), [1, 1, 1, 0], prior=prior)
    assert r.params["p"] == pytest.approx((2 + 3 - 1) / (2 + 2 + 4 - 2))


# ------------------------------------------------------------ custom models
def _gamma_custom(score=None):
    return mlekit.CustomFamily(
        lambda x, a, b: stats.gamma.logpdf(x, a, scale=1 / b),
        ("a", "b"),
        domains={"a": (0, np.inf), "b": (0, np.inf)},
        score=score,
        name="MyGamma",
    )


def test_custom_family_matches_the_builtin_gamma():
    x = mlekit.Gamma().sample(400, rng=SEED, shape=2.0, rate=3.0)
    ref = mlekit.fit(mlekit.Gamma(), x)
    r = mlekit.fit(_gamma_custom(), x, start={"a": 1.0, "b": 1.0})
    assert r.converged, r.message
    assert r.params["a"] == pytest.approx(ref.params["shape"], rel=1e-6)
    assert r.params["b"] == pytest.approx(ref.params["rate"], rel=1e-6)
    assert r.se["a"] == pytest.approx(ref.se["shape"], rel=1e-4)  # finite-difference Hessian
    assert r.se["b"] == pytest.approx(ref.se["rate"], rel=1e-4)
    assert r.loglik == pytest.approx(ref.loglik, rel=1e-12)
    assert r.information == "observed"


def test_custom_family_with_user_score():
    from scipy.special import digamma

    def score(x, a, b):  # d/da, d/db of a log b - lgamma(a) + (a-1) log x - b x
        return np.column_stack([np.log(b) - digamma(a) + np.log(x), a / b - x])

    x = mlekit.Gamma().sample(400, rng=SEED, shape=2.0, rate=3.0)
    ref = mlekit.fit(mlekit.Gamma(), x)
    fam = _gamma_custom(score)
    np.testing.assert_allclose(fam.score(x, a=2.0, b=3.0), mlekit.Gamma().score(x, shape=2.0, rate=3.0), rtol=1e-10)
    r = mlekit.fit(fam, x, start={"a": 1.0, "b": 1.0}, method="gradient")
    assert r.params["a"] == pytest.approx(ref.params["shape"], rel=1e-5)
    assert r.se["a"] == pytest.approx(ref.se["shape"], rel=1e-5)


def test_custom_family_errors():
    fam = _gamma_custom()
    with pytest.raises(ValueError, match="start"):
        mlekit.fit(fam, [1.0, 2.0])
    with pytest.raises(ValueError, match="index 1"):
        mlekit.fit(fam, [1.0, -2.0, 3.0], start={"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="NaN"):
        mlekit.fit(fam, [1.0, np.nan], start={"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="logpdf must be a callable"):
        mlekit.CustomFamily("not a function", ("a",))
    with pytest.raises(ValueError, match="distinct"):
        mlekit.CustomFamily(lambda x, a: x, ("a", "a"))
    with pytest.raises(ValueError, match="unknown parameter"):
        mlekit.CustomFamily(lambda x, a: x, ("a",), domains={"b": (0, 1)})
    with pytest.raises(ValueError, match="Fisher"):
        fam.fisher_information(a=1.0, b=1.0)


def test_student_t_on_normal_data_says_df_diverges():
    # Normal data: the t likelihood increases towards df -> infinity, so there is no finite MLE.
    x = np.random.default_rng(SEED).normal(size=400)
    r = mlekit.fit(mlekit.StudentT(), x)
    if not r.converged:  # (a sample may also show mild heavy tails and converge at a large df)
        assert "df is growing without bound" in r.message
    assert r.loglik >= mlekit.StudentT().loglik(x, mu=0.0, sigma=1.0, df=1e6) - 1e-9


def test_gamma_with_a_huge_shape_converges():
    # log(a) - digamma(a) is evaluated by its asymptotic series, so the profile equation keeps its digits.
    x = np.random.default_rng(SEED).gamma(1e4, 1.0, 1000)
    r = mlekit.fit(mlekit.Gamma(), x)
    assert r.converged, r.message
    a_sp, _, scale_sp = stats.gamma.fit(x, floc=0)  # scipy's own MLE, same likelihood
    assert r.loglik >= stats.gamma.logpdf(x, a_sp, scale=scale_sp).sum() - 1e-9 * abs(r.loglik)
