"""Tests of mlekit.diagnostics: score/Hessian checks, local-maximum check, boundary flags.

A check that cannot fail is worthless, so every "ok" test has a twin in which a
deliberately wrong derivative (typical student mistakes) must be flagged.
"""

import numpy as np
import pytest

import mlekit
from mlekit.diagnostics import boundary_flags, check_hessian, check_score, is_local_max

SEED = 20261129

rng = np.random.default_rng(SEED)
CASES = [
    (mlekit.Bernoulli(), rng.integers(0, 2, size=30), {"p": 0.3}),
    (mlekit.Binomial(n=8), rng.integers(0, 9, size=20), {"p": 0.6}),
    (mlekit.Categorical(4), rng.integers(0, 4, size=40), {"theta": [0.1, 0.2, 0.3, 0.4]}),
    (mlekit.Poisson(), rng.poisson(4.0, size=30), {"lam": 2.5}),
    (mlekit.Normal(), rng.normal(2.0, 3.0, size=30), {"mu": 0.5, "sigma2": 4.0}),
    (mlekit.Normal(sigma2=2.0), rng.normal(2.0, 3.0, size=30), {"mu": -1.0}),
    (mlekit.Exponential(), rng.exponential(2.0, size=30), {"rate": 1.3}),
]


@pytest.mark.parametrize("fam, x, params", CASES, ids=[repr(c[0]) for c in CASES])
def test_family_scores_and_hessians_pass(fam, x, params):
    sc = check_score(fam, x, params)
    assert sc.ok and sc.max_rel_error < 1e-7, sc
    assert sc.analytic == pytest.approx(fam.score(x, **params))
    hc = check_hessian(fam, x, params)
    assert hc.ok and hc.max_rel_error < 1e-6, hc


@pytest.mark.parametrize("fam, x, params", CASES, ids=[repr(c[0]) for c in CASES])
def test_wrong_scores_are_flagged(fam, x, params):
    def true(v):
        return fam.score(x, **fam.from_vector(v))

    for wrong in (lambda v: 2 * true(v), lambda v: -true(v), lambda v: true(v) + 1.0):
        assert not check_score(fam, x, params, score=wrong).ok


def test_plain_functions_student_style():
    # Poisson written out: ell = S log(lam) - n lam (constant dropped), score = S/lam - n.
    x = np.array([2, 4, 3, 0, 1, 5, 2])

    def loglik(lam, x):
        return np.sum(x) * np.log(lam) - len(x) * lam

    def score(lam, x):
        return np.sum(x) / lam - len(x)

    def score_forgot_n(lam, x):  # a classic slip
        return np.sum(x) / lam

    good = check_score(loglik, x, 1.5, score=score)
    assert good.ok and good.analytic == pytest.approx([17 / 1.5 - 7])
    bad = check_score(loglik, x, 1.5, score=score_forgot_n)
    assert not bad.ok and bad.max_abs_error == pytest.approx(7.0, rel=1e-6)


def test_plain_functions_vector_theta():
    # Normal in (mu, log sigma): ell = -n log s - SS/(2 s^2), s = exp(eta).
    y = np.array([1.2, 0.4, 2.2, 1.9, 0.8])

    def loglik(t, y):
        mu, eta = t
        return -len(y) * eta - np.sum((y - mu) ** 2) / (2 * np.exp(2 * eta))

    def score(t, y):
        mu, eta = t
        s2 = np.exp(2 * eta)
        return np.array([np.sum(y - mu) / s2, -len(y) + np.sum((y - mu) ** 2) / s2])

    def hessian(t, y):
        mu, eta = t
        s2 = np.exp(2 * eta)
        return np.array([[-len(y) / s2, -2 * np.sum(y - mu) / s2], [-2 * np.sum(y - mu) / s2, -2 * np.sum((y - mu) ** 2) / s2]])

    assert check_score(loglik, y, [0.5, 0.1], score=score).ok
    assert check_hessian(loglik, y, [0.5, 0.1], score=score, hessian=hessian).ok
    wrong_h = lambda t, y: hessian(t, y) * np.array([[1, 1], [1, 0.5]])  # noqa: E731
    assert not check_hessian(loglik, y, [0.5, 0.1], score=score, hessian=wrong_h).ok
    # at the MLE (mu = ybar, s2 = mean((y - ybar)^2)): a strict maximum, eigenvalues of diag(-n/s2, -2n)
    mle = [y.mean(), 0.5 * np.log(y.var())]
    chk = is_local_max(loglik, y, mle, score=score, hessian=hessian)
    assert chk.ok and chk.eigenvalues == pytest.approx(sorted([-len(y) / y.var(), -2 * len(y)]))
    # the same from finite differences only (no score, no Hessian)
    chk_fd = is_local_max(loglik, y, mle)
    assert chk_fd.ok and chk_fd.eigenvalues == pytest.approx(chk.eigenvalues, rel=1e-4)


def test_is_local_max_for_family_fits_and_failures():
    y = CASES[4][1]
    fam = mlekit.Normal()
    res = mlekit.fit(fam, y)
    chk = is_local_max(fam, y, res)
    # Hessian at the Normal MLE is diag(-n/s2, -n/(2 s2^2)) (hand derivation: the cross term vanishes at xbar)
    n, s2 = y.size, y.var()
    assert chk.ok and chk.eigenvalues == pytest.approx(sorted([-n / s2, -n / (2 * s2**2)]), rel=1e-10)
    # away from the MLE: not stationary
    off = is_local_max(fam, y, {"mu": res.params["mu"] + 1.0, "sigma2": res.params["sigma2"]})
    assert not off.stationary and not off.ok and "score NOT" in off.message
    # a saddle of a plain function: ell = -a^2 + b^2 has eigenvalues -2, 2
    saddle = is_local_max(lambda t, x: -t[0] ** 2 + t[1] ** 2, None, [0.0, 0.0])
    assert saddle.stationary and not saddle.negative_definite
    assert saddle.eigenvalues == pytest.approx([-2.0, 2.0], rel=1e-5)
    # a flat direction (unidentified parameter) is not a strict maximum
    flat = is_local_max(lambda t, x: -(t[0] + t[1]) ** 2, None, [0.0, 0.0])
    assert not flat.negative_definite


def test_boundary_flags():
    assert boundary_flags(mlekit.fit(mlekit.Bernoulli(), [0, 0, 0])) == {"p": "on lower edge"}
    assert boundary_flags(mlekit.fit(mlekit.Bernoulli(), [1, 1])) == {"p": "on upper edge"}
    assert boundary_flags(mlekit.Normal(), {"mu": 0.0, "sigma2": 1e-12}) == {"mu": "interior", "sigma2": "near lower edge"}
    cat = boundary_flags(mlekit.fit(mlekit.Categorical(3), [0, 0, 1]))
    assert cat == {"theta[0]": "interior", "theta[1]": "interior", "theta[2]": "on lower edge"}
    assert boundary_flags(mlekit.fit(mlekit.Poisson(), [1, 2])) == {"lam": "interior"}


def test_bad_input():
    x = [1, 2, 3]
    with pytest.raises(ValueError, match="function loglik"):
        check_score(42, x, 1.0)
    with pytest.raises(ValueError, match="score function is required"):
        check_score(lambda t, x: -t**2, x, 1.0)
    with pytest.raises(ValueError, match="not finite"):
        check_score(lambda t, x: np.log(t - 5), x, 1.0, score=lambda t, x: 1 / (t - 5))
    with pytest.raises(ValueError, match="1-D"):
        check_score(lambda t, x: 0.0, x, [[1.0]], score=lambda t, x: 0.0)
    with pytest.raises(ValueError, match="must return 2"):
        check_score(lambda t, x: -t @ t, x, [1.0, 2.0], score=lambda t, x: 1.0)
    with pytest.raises(ValueError, match="ZeroDivisionError"):
        check_score(lambda t, x: 1 / 0, x, 1.0, score=lambda t, x: 0.0)
    with pytest.raises(ValueError, match="edge"):
        check_score(mlekit.Bernoulli(), [0, 1], {"p": 0.0})
    with pytest.raises(ValueError, match="dict"):
        check_score(mlekit.Poisson(), x, 2.0)
    with pytest.raises(ValueError, match="lam must lie"):
        check_score(mlekit.Poisson(), x, {"lam": -1.0})
    with pytest.raises(ValueError, match="rtol"):
        check_score(mlekit.Poisson(), x, {"lam": 1.0}, rtol=0)
    with pytest.raises(ValueError, match="hessian function is required"):
        check_hessian(lambda t, x: -t**2, x, 1.0, score=lambda t, x: -2 * t)
    with pytest.raises(ValueError, match="family or MLEResult"):
        boundary_flags("Bernoulli")
