"""Results like statsmodels': ``nobs``, ``df_model``, ``llf``, ``cov_table()`` on every result
type; ``profile_intervals`` (R ``confint(profile(fit))``); ``compare_models`` over every
result type that has a log-likelihood.

References: statsmodels ``Logit`` (llf, nobs, df_model, aic, bic, cov_params) and
scikit-learn ``GaussianMixture`` (aic, bic) fitted to the same data; the one-parameter
``profile_interval`` (itself checked against brute force in test_inference.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.mixture import GaussianMixture

import mlekit

from .conftest import base_families


def every_family():
    return base_families() + [mlekit.Normal(sigma2=2.0)]


def _truth(fam):
    out = {}
    for spec in fam.params:
        lo, hi = spec.typical
        out[spec.name] = 0.5 * (lo + hi) if spec.size is None else np.full(spec.size, 1.0 / spec.size)
    return out


def _fit(fam, n=200, seed=0):
    x = fam.sample(n, rng=seed, **_truth(fam))
    return mlekit.fit(fam, x), x


FAMILIES = every_family()


@pytest.mark.parametrize("fam", FAMILIES, ids=repr)
def test_statsmodels_names_and_labelled_covariance_for_every_family(fam):
    r, x = _fit(fam)
    assert r.nobs == x.size == r.n
    assert r.llf == r.loglik
    assert r.df_model == fam.n_free == r.n_params
    assert r.aic == pytest.approx(2 * r.df_model - 2 * r.llf, rel=1e-15)
    table = r.cov_table()
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == list(r.cov_names) == list(table.columns)
    np.testing.assert_array_equal(table.to_numpy(), r.cov)
    assert isinstance(r.cov, np.ndarray)  # the ndarray stays, for compatibility


def _infert():
    df = mlekit.datasets.load_infert()
    return df, df["case"]


def test_logistic_result_matches_statsmodels_logit():
    df, y = _infert()
    cols = ["age", "parity", "induced", "spontaneous"]
    ours = mlekit.logistic_regression(df[cols], y)
    theirs = sm.Logit(y, sm.add_constant(df[cols])).fit(disp=0)
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-10)
    assert ours.nobs == theirs.nobs == len(df)
    # statsmodels' df_model leaves the constant out; ours counts every estimated coefficient
    assert ours.df_model == theirs.df_model + theirs.k_constant == len(cols) + 1
    assert ours.aic == pytest.approx(theirs.aic, rel=1e-10)
    assert ours.bic == pytest.approx(theirs.bic, rel=1e-10)
    table = ours.cov_table()
    want = theirs.cov_params().rename(index={"const": "intercept"}, columns={"const": "intercept"})
    assert list(table.index) == list(want.index)
    np.testing.assert_allclose(table.to_numpy(), want.to_numpy(), rtol=1e-6)


def test_mixture_result_names_and_no_covariance():
    x = mlekit.datasets.load_old_faithful()["waiting"].to_numpy(dtype=float)
    mix = mlekit.gaussian_mixture(x, 2, rng=0)
    assert mix.nobs == x.size and mix.llf == mix.loglik and mix.df_model == 5  # 1 weight, 2 means, 2 variances
    with pytest.raises(ValueError, match="no covariance"):
        mix.cov_table()


# ------------------------------------------------------------ profile_intervals
@pytest.mark.parametrize("fam", FAMILIES, ids=repr)
def test_profile_intervals_equal_the_one_parameter_calls(fam):
    r, x = _fit(fam, n=150, seed=4)
    one = {}
    try:
        for name in fam.param_names:
            one[name] = mlekit.profile_interval(fam, x, name, level=0.9, result=r)
    except ValueError as exc:  # Categorical (a vector parameter), Uniform (irregular): both refuse alike
        with pytest.raises(ValueError) as info:
            mlekit.profile_intervals(fam, x, level=0.9, result=r)
        assert str(info.value).split(":", 1)[1] == str(exc).split(":", 1)[1]
        return
    alls = mlekit.profile_intervals(fam, x, level=0.9, result=r)
    assert list(alls) == list(fam.param_names)
    for name, pi in one.items():
        assert (alls[name].lower, alls[name].upper) == (pi.lower, pi.upper)
        assert alls[name].level == 0.9 and alls[name].estimate == r.params[name]
    # without result=: one fit inside, same intervals
    again = mlekit.profile_intervals(fam, x, level=0.9)
    for name, pi in one.items():
        assert again[name].lower == pytest.approx(pi.lower, rel=1e-8)
        assert again[name].upper == pytest.approx(pi.upper, rel=1e-8)


def test_profile_intervals_normal_mu_is_the_closed_form():
    # Normal with both free: l_p(mu) = -n/2 log(s2(mu)) + c, s2(mu) = s2_hat + (mu - xbar)^2, so the
    # interval is xbar +- sqrt(s2_hat (exp(q/n) - 1)) with q = chi2_1(level)
    from scipy import stats

    x = np.random.default_rng(3).normal(2.0, 1.5, 40)
    iv = mlekit.profile_intervals(mlekit.Normal(), x)
    half = np.sqrt(x.var() * np.expm1(stats.chi2.ppf(0.95, 1) / x.size))
    assert iv["mu"].lower == pytest.approx(x.mean() - half, rel=1e-9)
    assert iv["mu"].upper == pytest.approx(x.mean() + half, rel=1e-9)


def test_profile_intervals_bad_input():
    with pytest.raises(ValueError, match="level"):
        mlekit.profile_intervals(mlekit.Poisson(), [1, 2, 3], level=1.5)
    with pytest.raises(ValueError, match="family"):
        mlekit.profile_intervals("Poisson", [1, 2, 3])
    r = mlekit.fit(mlekit.Poisson(), [1, 2, 3])
    with pytest.raises(ValueError, match="other data"):
        mlekit.profile_intervals(mlekit.Poisson(), [1, 2, 4], result=r)


# ------------------------------------------------------------ compare_models
def test_compare_models_takes_logistic_results_and_matches_statsmodels():
    df, y = _infert()
    small, big = ["age", "parity"], ["age", "parity", "induced", "spontaneous"]
    table = mlekit.compare_models({"small": mlekit.logistic_regression(df[small], y),
                                   "big": mlekit.logistic_regression(df[big], y)})
    for name, cols in (("small", small), ("big", big)):
        sm_fit = sm.Logit(y, sm.add_constant(df[cols])).fit(disp=0)
        assert table.loc[name, "aic"] == pytest.approx(sm_fit.aic, rel=1e-10)
        assert table.loc[name, "bic"] == pytest.approx(sm_fit.bic, rel=1e-10)
        assert table.loc[name, "loglik"] == pytest.approx(sm_fit.llf, rel=1e-10)
    # a Bernoulli fit to the same y is the intercept-only logistic model (same data, comparable)
    bern = mlekit.fit(mlekit.Bernoulli(), y.to_numpy())
    null = sm.Logit(y, np.ones((len(y), 1))).fit(disp=0)
    t2 = mlekit.compare_models([bern, mlekit.logistic_regression(df[big], y)])
    assert t2.loc["Bernoulli()", "aic"] == pytest.approx(null.aic, rel=1e-10)
    assert "logistic regression (intercept, age, parity, induced, spontaneous)" in t2.index


def test_compare_models_takes_mixtures_and_matches_sklearn():
    x = mlekit.datasets.load_old_faithful()["waiting"].to_numpy(dtype=float)
    mix = mlekit.gaussian_mixture(x, 2, rng=0)
    norm = mlekit.fit(mlekit.Normal(), x)
    table = mlekit.compare_models([norm, mix])
    sk = GaussianMixture(2, reg_covar=0.0, tol=1e-12, max_iter=2000, random_state=0, n_init=5).fit(x[:, None])
    # sklearn's aic(X) = -2 score(X) n + 2 k, k = 5 for two 1-D components
    assert table.loc["Gaussian mixture (k=2, dimension 1)", "aic"] == pytest.approx(sk.aic(x[:, None]), rel=1e-6)
    assert table.loc["Gaussian mixture (k=2, dimension 1)", "bic"] == pytest.approx(sk.bic(x[:, None]), rel=1e-6)
    assert table.loc["Normal()", "aic"] == pytest.approx(norm.aic, rel=1e-15)
    assert table.index[0].startswith("Gaussian mixture")  # the bimodal waiting times favour the mixture


def test_compare_models_keeps_the_same_data_check_for_every_result_type():
    df, y = _infert()
    a = mlekit.logistic_regression(df[["age"]], y)
    y2 = y.copy()
    y2.iloc[0] = 1 - y2.iloc[0]
    b = mlekit.logistic_regression(df[["age"]], y2)
    with pytest.raises(ValueError, match="different data"):
        mlekit.compare_models([a, b], names=["a", "b"])
    x = mlekit.datasets.load_old_faithful()["waiting"].to_numpy(dtype=float)
    mix = mlekit.gaussian_mixture(x, 2, rng=0)
    other = mlekit.fit(mlekit.Normal(), x[::-1].copy())
    with pytest.raises(ValueError, match="different data"):
        mlekit.compare_models([mix, other])
    with pytest.raises(ValueError, match="different numbers"):
        mlekit.compare_models([mix, mlekit.fit(mlekit.Normal(), x[:-1])])


def test_compare_models_refuses_penalized_and_separated_logistic_fits():
    df, y = _infert()
    pen = mlekit.logistic_regression(df[["age"]], y, l2=1.0)
    with pytest.raises(ValueError, match="penalized"):
        mlekit.compare_models([pen])
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    sep = mlekit.logistic_regression(X, [0, 0, 1, 1])
    assert not sep.converged
    with pytest.raises(ValueError, match="did not converge"):
        mlekit.compare_models([sep])
    with pytest.raises(ValueError, match="not an MLEResult"):
        mlekit.compare_models([mlekit.fit(mlekit.Poisson(), [1, 2]), "a fit"])
    # nor an MLEResult that did not converge: its log-likelihood is not the maximum AIC needs
    x = np.random.default_rng(0).normal(1.0, 2.0, 40)
    unconverged = mlekit.fit(mlekit.Normal(), x, method="gradient", max_iter=2)
    assert not unconverged.converged
    with pytest.raises(ValueError, match="did not converge"):
        mlekit.compare_models([unconverged, mlekit.fit(mlekit.Normal(sigma2=4.0), x)])
