"""Tests of mlekit.optimize: the three maximizers on problems with known maxima.

Reference maxima are derived in the comments (no mlekit output is used as a reference).
"""

import numpy as np
import pytest

from mlekit.optimize import OptimizeTrace, gradient_ascent, newton_raphson, scipy_minimize

# A concave quadratic l(x) = -1/2 (x - c)' A (x - c): the maximum is x = c, l = 0.
A = np.array([[3.0, 1.0], [1.0, 2.0]])
C = np.array([1.0, -2.0])


def quad_l(x):
    d = x - C
    return -0.5 * d @ A @ d


def quad_s(x):
    return -A @ (x - C)


def quad_h(x):
    return -A


# l(x) = -(x^2 - 1)^2: maxima at x = +-1 (l = 0); the Hessian -(12 x^2 - 4) is POSITIVE for |x| < 1/sqrt(3).
def w_l(x):
    return -((x[0] ** 2 - 1) ** 2)


def w_s(x):
    return np.array([-4 * x[0] * (x[0] ** 2 - 1)])


def w_h(x):
    return np.array([[-(12 * x[0] ** 2 - 4)]])


def _check_trace(tr: OptimizeTrace, d):
    k = tr.iterations
    assert tr.iterates.shape == (k + 1, d)
    assert tr.loglik.shape == (k + 1,) and tr.grad_norm.shape == (k + 1,) and tr.step_sizes.shape == (k,)
    assert np.all(np.diff(tr.loglik) >= -1e-12)  # never goes down


def test_newton_solves_a_quadratic_in_one_step():
    tr = newton_raphson(quad_l, quad_s, quad_h, [10.0, 10.0])
    _check_trace(tr, 2)
    assert tr.converged and tr.iterations == 1
    np.testing.assert_allclose(tr.x, C, atol=1e-12)
    assert "converged" in tr.message


def test_gradient_ascent_and_scipy_reach_the_quadratic_maximum():
    for tr in (gradient_ascent(quad_l, quad_s, [10.0, 10.0]), scipy_minimize(quad_l, quad_s, [10.0, 10.0])):
        _check_trace(tr, 2) if tr.method == "gradient" else None
        assert tr.converged, tr.message
        np.testing.assert_allclose(tr.x, C, atol=1e-6)
    tr = scipy_minimize(quad_l, quad_s, [3.0, 3.0], hessian=quad_h, method="trust-exact")
    assert tr.converged and tr.method == "scipy:trust-exact"
    np.testing.assert_allclose(tr.x, C, atol=1e-8)


def test_newton_damps_where_the_hessian_is_not_negative_definite():
    # Start at x = 0.1, where the Hessian is +3.88: a plain Newton step would head for the minimum at 0.
    tr = newton_raphson(w_l, w_s, w_h, [0.1])
    assert tr.converged and "damped" in tr.message
    assert tr.x[0] == pytest.approx(1.0, abs=1e-8)
    _check_trace(tr, 1)


def test_iteration_limit_is_reported_honestly():
    tr = gradient_ascent(quad_l, quad_s, [100.0, -100.0], max_iter=2)
    assert not tr.converged and "max_iter" in tr.message and tr.iterations == 2


def test_unbounded_likelihood_is_not_converged():
    # l(x) = x grows without bound: no maximum, so no convergence (and no hang).
    tr = newton_raphson(lambda x: x[0], lambda x: np.array([1.0]), lambda x: np.array([[0.0]]), [0.0], max_iter=20)
    assert not tr.converged


def test_non_finite_region_is_avoided_by_step_halving():
    # l(x) = log x - x on x > 0 (nan for x <= 0): maximum at x = 1; the first Newton step from 3 lands at -3.
    tr = newton_raphson(
        lambda x: np.log(x[0]) - x[0] if x[0] > 0 else np.nan,
        lambda x: np.array([1 / x[0] - 1]),
        lambda x: np.array([[-1 / x[0] ** 2]]),
        [3.0],
    )
    assert tr.converged and tr.x[0] == pytest.approx(1.0, abs=1e-9)
    assert np.any(tr.step_sizes < 1)


def test_optimizers_never_print(capsys):
    newton_raphson(quad_l, quad_s, quad_h, [1.0, 1.0])
    gradient_ascent(quad_l, quad_s, [1.0, 1.0])
    scipy_minimize(quad_l, quad_s, [1.0, 1.0])
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


@pytest.mark.parametrize("kwargs,pattern", [
    ({"x0": []}, "x0"),
    ({"x0": [np.nan, 1.0]}, "finite"),
    ({"x0": [[1.0, 2.0], [3.0, 4.0]]}, "1-D"),
    ({"tol": 0.0}, "tol"),
    ({"tol": -1e-3}, "tol"),
    ({"max_iter": 0}, "max_iter"),
    ({"max_iter": 2.5}, "max_iter"),
])
def test_bad_arguments_raise_valueerror(kwargs, pattern):
    args = {"x0": [1.0, 1.0], **kwargs}
    for call in (
        lambda: newton_raphson(quad_l, quad_s, quad_h, **args),
        lambda: gradient_ascent(quad_l, quad_s, **args),
        lambda: scipy_minimize(quad_l, quad_s, **args),
    ):
        with pytest.raises(ValueError, match=pattern):
            call()


def test_non_callables_and_bad_starts_raise_valueerror():
    with pytest.raises(ValueError, match="loglik must be a callable"):
        newton_raphson(3.0, quad_s, quad_h, [1.0, 1.0])
    with pytest.raises(ValueError, match="not finite"):
        newton_raphson(lambda x: -np.inf, quad_s, quad_h, [1.0, 1.0])
    with pytest.raises(ValueError, match="shrink"):
        gradient_ascent(quad_l, quad_s, [1.0, 1.0], shrink=1.5)
    with pytest.raises(ValueError, match="score returned shape"):
        newton_raphson(quad_l, lambda x: np.zeros(3), quad_h, [1.0, 1.0])
