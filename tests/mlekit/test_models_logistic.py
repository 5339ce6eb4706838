"""Tests of mlekit.logistic_regression against statsmodels, scikit-learn and hand-made separations."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

import mlekit
from mlekit.models import LogisticResult

PREDICTORS = ["age", "parity", "induced", "spontaneous"]


@pytest.fixture(scope="module")
def infert():
    return mlekit.datasets.load_infert()


@pytest.fixture(scope="module")
def infert_fit(infert):
    return mlekit.logistic_regression(infert[PREDICTORS], infert["case"])


@pytest.fixture(scope="module")
def infert_sm(infert):
    return sm.Logit(infert["case"], sm.add_constant(infert[PREDICTORS])).fit(disp=0)


# ---------------------------------------------------------------- reference values
def test_infert_matches_statsmodels(infert_fit, infert_sm):
    # Reference: statsmodels Logit(case, add_constant(X)).fit(), computed live.
    fit, ref = infert_fit, infert_sm
    assert isinstance(fit, LogisticResult)
    assert fit.converged and "converged" in fit.message
    assert fit.cov_names == ("intercept", *PREDICTORS)
    np.testing.assert_allclose(fit.coef, ref.params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose([fit.se[k] for k in fit.cov_names], ref.bse.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(fit.cov, ref.cov_params().to_numpy(), rtol=1e-7, atol=1e-12)
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-9)
    assert fit.aic == pytest.approx(ref.aic, abs=1e-8)
    assert fit.bic == pytest.approx(ref.bic, abs=1e-8)
    assert fit.n == 248 and fit.n_params == 5
    np.testing.assert_allclose(list(fit.zvalues.values()), ref.tvalues.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(list(fit.pvalues.values()), ref.pvalues.to_numpy(), rtol=1e-6)
    ci = fit.conf_int(0.9)
    ref_ci = ref.conf_int(alpha=0.1).to_numpy()
    np.testing.assert_allclose([ci[k] for k in fit.cov_names], ref_ci, rtol=1e-7)


def test_infert_hard_coded_values(infert_fit):
    # statsmodels 0.15.0 Logit(...).fit() on R's datasets::infert, printed to full precision
    # on 2026-11-29; R 4.x glm(case ~ age + parity + induced + spontaneous, family = binomial,
    # data = infert) prints the same coefficients (-2.85239, 0.05318, -0.70883, 1.18966, 1.92534)
    # and residual deviance 260.94 (= -2 * loglik).
    coef = [-2.85239037, 0.05318099, -0.70883006, 1.18965621, 1.92533824]
    se = [1.00428291, 0.0301415, 0.18091393, 0.28987525, 0.2986307]
    np.testing.assert_allclose(infert_fit.coef, coef, atol=5e-9)
    np.testing.assert_allclose(list(infert_fit.se.values()), se, atol=5e-9)
    assert infert_fit.loglik == pytest.approx(-130.4716837435592, abs=1e-9)
    assert -2 * infert_fit.loglik == pytest.approx(260.94, abs=0.005)


def test_trace_is_increasing_and_ends_at_a_stationary_point(infert_fit):
    tr = infert_fit.trace
    assert tr.iterates.shape == (infert_fit.iterations + 1, 5)
    np.testing.assert_array_equal(tr.iterates[-1], infert_fit.coef)
    assert np.all(np.diff(tr.loglik) >= -1e-12 * abs(tr.loglik[-1]))
    assert tr.loglik[-1] == infert_fit.loglik
    assert tr.grad_norm[-1] < 1e-8 * tr.grad_norm[0]
    assert tr.step_halvings.shape == tr.loglik.shape


def test_array_input_names_and_no_intercept(infert, infert_sm):
    X = infert[PREDICTORS].to_numpy()
    fit = mlekit.logistic_regression(X, infert["case"].to_numpy())
    assert fit.cov_names == ("intercept", "x1", "x2", "x3", "x4")
    np.testing.assert_allclose(fit.coef, infert_sm.params.to_numpy(), atol=1e-8)
    # Without an intercept: reference statsmodels Logit(y, X) (no add_constant), live.
    fit0 = mlekit.logistic_regression(infert[PREDICTORS], infert["case"], intercept=False)
    ref0 = sm.Logit(infert["case"], infert[PREDICTORS]).fit(disp=0)
    assert fit0.cov_names == tuple(PREDICTORS)
    np.testing.assert_allclose(fit0.coef, ref0.params.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(list(fit0.se.values()), ref0.bse.to_numpy(), rtol=1e-7)
    assert fit0.loglik == pytest.approx(ref0.llf, abs=1e-9)


def test_single_predictor_as_series(infert):
    fit = mlekit.logistic_regression(infert["spontaneous"], infert["case"])
    ref = sm.Logit(infert["case"], sm.add_constant(infert[["spontaneous"]])).fit(disp=0)  # reference, live
    assert fit.cov_names == ("intercept", "spontaneous")
    np.testing.assert_allclose(fit.coef, ref.params.to_numpy(), atol=1e-8)


def test_predict_proba_matches_statsmodels(infert, infert_fit, infert_sm):
    new = infert[PREDICTORS].iloc[:20]
    np.testing.assert_allclose(
        infert_fit.predict_proba(new), infert_sm.predict(sm.add_constant(new, has_constant="add")), rtol=1e-8
    )
    # columns are matched by name, so their order does not matter
    np.testing.assert_allclose(infert_fit.predict_proba(new[PREDICTORS[::-1]]), infert_fit.predict_proba(new))
    with pytest.raises(ValueError, match="lacks the column"):
        infert_fit.predict_proba(new[PREDICTORS[:2]])
    with pytest.raises(ValueError, match="do not include the intercept"):
        infert_fit.predict_proba(np.ones((3, 5)))


def test_l2_is_sklearn_ridge_with_C_equal_1_over_l2(infert):
    # Reference: scikit-learn LogisticRegression(C=1/l2) (L2 penalty 1/2 ||w||^2, intercept not
    # penalized), solved to tol=1e-12.
    X, y = infert[PREDICTORS].to_numpy(), infert["case"].to_numpy()
    fit = mlekit.logistic_regression(X, y, l2=2.0)
    ref = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(fit.coef, np.r_[ref.intercept_, ref.coef_[0]], atol=1e-7)
    assert fit.l2 == 2.0 and fit.converged
    slopes = fit.coef[1:]
    assert fit.penalized_loglik == pytest.approx(fit.loglik - 1.0 * np.sum(slopes**2))
    # the penalized fit has a lower likelihood than the MLE, and smaller slopes
    mle = mlekit.logistic_regression(X, y)
    assert fit.loglik < mle.loglik
    assert np.sum(slopes**2) < np.sum(mle.coef[1:] ** 2)


def test_large_linear_predictor_is_stable_and_warning_free():
    # |x'beta| up to ~200: exp would overflow in a naive log(1 + exp(eta)); warnings are errors here.
    rng = np.random.default_rng(7)
    x = rng.normal(scale=40.0, size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-np.clip(x, -700, 700)))).astype(int)
    fit = mlekit.logistic_regression(x, y)
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0)  # reference, live
    assert fit.converged and fit.separation is None
    np.testing.assert_allclose(fit.coef, ref.params, atol=1e-8)
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-8)


def test_not_converged_is_honest(infert):
    fit = mlekit.logistic_regression(infert[PREDICTORS], infert["case"], max_iter=1)
    assert not fit.converged
    assert "max_iter=1" in fit.message and "standard errors are not reported" in fit.message
    assert all(np.isnan(v) for v in fit.se.values())


def test_summary_and_html(infert_fit):
    text = infert_fit.summary()
    assert "spontaneous" in text and "P>|z|" in text and "-130.472" in text
    assert str(infert_fit) == text
    html = infert_fit._repr_html_()
    assert "<table>" in html and "spontaneous" in html and "P&gt;|z|" in html
    with pytest.raises(ValueError, match="level"):
        infert_fit.conf_int(1.5)


# ---------------------------------------------------------------- separation
def test_complete_separation_is_reported_not_run_off():
    # x <= 3 -> 0, x >= 4 -> 1: any d = (-3.5 c, c), c > 0, separates strictly.
    x = np.array([1.0, 2, 3, 4, 5, 6])
    y = np.array([0, 0, 0, 1, 1, 1])
    fit = mlekit.logistic_regression(x, y)
    assert not fit.converged
    assert fit.separation is not None and fit.separation.kind == "complete"
    assert fit.separation.n_separated == 6 and fit.separation.n_tied == 0
    assert set(fit.separation.variables) == {"intercept", "x1"}
    assert "complete separation" in fit.message and "x1" in fit.message
    assert all(np.isnan(v) for v in fit.se.values())
    d = fit.separation.direction
    assert np.all((2 * y - 1) * (d[0] + d[1] * x) > 0)
    assert fit.iterations < 25  # stopped on the symptoms, did not spin to max_iter


def test_quasi_complete_separation_names_the_variable():
    # Every observation with g = 1 has y = 1; with g = 0 both outcomes occur: quasi-complete
    # separation along the coefficient of g alone (d = e_g: s_i g_i >= 0, = 0 whenever g_i = 0).
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=n)
    g = (rng.random(n) < 0.2).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(float)
    y[g == 1] = 1
    df = pd.DataFrame({"x": x, "g": g})
    fit = mlekit.logistic_regression(df, y)
    assert not fit.converged
    assert fit.separation.kind == "quasi-complete"
    assert fit.separation.variables == ("g",)
    assert fit.separation.n_separated == int(g.sum())
    assert fit.separation.n_tied == n - int(g.sum())
    assert "quasi-complete separation" in fit.message and "g" in fit.message
    # the ridge penalty restores a finite (MAP) estimate
    ridge = mlekit.logistic_regression(df, y, l2=1.0)
    assert ridge.converged and ridge.separation is None and np.isfinite(ridge.coef).all()


def test_quasi_complete_separation_with_a_tie():
    # x = 3 has one 0 and one 1; below all 0, above all 1 (quasi-complete, 2 tied observations).
    x = np.array([1.0, 2, 3, 3, 4, 5])
    y = np.array([0, 0, 0, 1, 1, 1])
    fit = mlekit.logistic_regression(x, y)
    assert fit.separation.kind == "quasi-complete" and fit.separation.n_tied == 2
    assert not fit.converged


def test_overlap_is_not_called_separation():
    # one "wrong" observation on each side: the MLE exists (statsmodels reference, live)
    x = np.array([1.0, 2, 3, 4, 5, 6, 2.5, 4.5])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    fit = mlekit.logistic_regression(x, y)
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    assert fit.converged and fit.separation is None
    np.testing.assert_allclose(fit.coef, ref.params, atol=1e-8)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.ones((5, 2)), [0, 1, 0, 1], "5 rows but y has 4"),
        (np.arange(4.0), [0, 1, 2, 1], r"0/1, but y\[2\] = 2.0"),
        (np.arange(4.0), [0, 1, np.nan, 1], "0/1"),
        (np.arange(4.0), [1, 1, 1, 1], "only one class"),
        (np.array([1.0, np.nan, 3, 4]), [0, 1, 0, 1], r"NaN or infinite.*row 1, column 'x1'"),
        (np.c_[np.arange(6.0), np.full(6, 2.0)], [0, 1, 0, 1, 1, 0], "'x2' is constant.*duplicates the intercept"),
        (np.c_[np.arange(6.0), np.zeros(6)], [0, 1, 0, 1, 1, 0], "'x2' is all zeros"),
        (np.c_[np.arange(6.0), 2 * np.arange(6.0) + 1], [0, 1, 0, 1, 1, 0], "linearly dependent"),
        (np.array([["a"], ["b"]]), [0, 1], "must hold numbers"),
        (np.ones((2, 2, 2)), [0, 1], "two-dimensional"),
    ],
)
def test_bad_input_raises_clear_value_error(X, y, match):
    with pytest.raises(ValueError, match=match):
        mlekit.logistic_regression(X, y)


def test_rank_deficiency_names_the_columns():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50), "c": rng.normal(size=50)})
    df["d"] = df["a"] - df["b"]
    y = (rng.random(50) < 0.5).astype(int)
    with pytest.raises(ValueError, match="'a', 'b', 'd' are linearly dependent"):
        mlekit.logistic_regression(df, y)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"l2": -1.0}, "l2"), ({"tol": 0.0}, "tol"), ({"max_iter": 0}, "max_iter"), ({"intercept": "yes"}, "intercept")],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mlekit.logistic_regression(np.arange(4.0), [0, 1, 0, 1], **kwargs)


def test_non_numeric_dataframe_column(infert):
    with pytest.raises(ValueError, match="'education' are not numeric"):
        mlekit.logistic_regression(infert[["age", "education"]], infert["case"])
