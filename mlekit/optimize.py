r"""Numerical maximizers of a log-likelihood: pure functions that return a trace.

What to use when
----------------
- :func:`newton_raphson`: you have the score and the Hessian (every mlekit
  family does). Quadratic convergence near the maximum; a handful of
  iterations. Where the Hessian is not negative definite the step falls back
  to **Levenberg-Marquardt damping**: ``-H + lambda * I`` with ``lambda``
  raised until it is positive definite, which turns the step towards a
  (scaled) gradient step. Every step is then halved until the
  log-likelihood increases.
- :func:`gradient_ascent`: only the score. Slow (linear convergence) but
  simple; the book uses it to show why Newton is worth the Hessian. Step
  sizes come from a backtracking (Armijo) line search.
- :func:`scipy_minimize`: hand the problem to ``scipy.optimize.minimize``
  (BFGS by default) and record the path through its callback.

None of them prints. Each returns an :class:`OptimizeTrace` holding every
iterate, the log-likelihood and gradient norm there, the step sizes, and an
honest ``converged`` flag with a message saying why it stopped.

Convergence test (all three): scale-free
-----------------------------------------
A gradient is small or large only relative to the curvature: a score of
1e3 is nothing when the information is 1e12, and everything when it is 1.
So the tests are stated in **standard errors**, through the Newton decrement

.. math::
    \lambda^2 = g^\top(-H)^{-1}g ,

the squared length of the remaining Newton step measured in the metric of
the information :math:`-H` (twice the log-likelihood gain the quadratic
model still predicts). It does not change when a parameter is rescaled or
the data are shifted, and it is not swamped by a huge log-likelihood.

- :func:`newton_raphson` stops when :math:`\lambda^2 \le` ``tol`` at a point
  where :math:`-H` is positive definite, and takes that last (tiny) step.
- :func:`gradient_ascent` and :func:`scipy_minimize` stop when their own rule
  fires (a small step or gradient, or scipy's success), and count it as
  convergence only if the same decrement test holds, with the Hessian given
  or taken by finite differences of the score.

Before ``converged=True`` every optimizer makes a **last check** at the
estimate: the score and Hessian are finite, :math:`-H` is positive definite
(a strict local maximum, not a saddle or a ridge) and
:math:`\lambda^2 \le 10^{-6}` (the estimate is within 1e-3 standard errors
of the maximum, so every score component is at most 1e-3 times the square
root of its information). A run that hits ``max_iter``, stalls away from a
maximum, or whose log-likelihood or iterate stops being finite reports
``converged=False`` and says why; a run along which the log-likelihood keeps
rising while the iterate runs off says that the objective looks unbounded.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["OptimizeTrace", "gradient_ascent", "newton_raphson", "scipy_minimize"]

#: Newton decrement at which every optimizer's last check accepts an estimate
#: (within 1e-3 standard errors of the maximum).
FINAL_DECREMENT = 1e-6


@dataclass(frozen=True)
class OptimizeTrace:
    """The path of a maximizer.

    Attributes
    ----------
    iterates : ndarray, shape (iterations + 1, d)
        Every point visited, the start first and the final estimate last.
    loglik : ndarray, shape (iterations + 1,)
        The log-likelihood at each iterate.
    grad_norm : ndarray, shape (iterations + 1,)
        Euclidean norm of the score at each iterate.
    step_sizes : ndarray, shape (iterations,)
        The accepted step length multiplier of each iteration (Newton: the
        halving factor 1, 1/2, ...; gradient ascent: the line-search step;
        scipy: the distance between successive iterates).
    converged : bool
        True only if the convergence test and the last check (see the module
        docstring) passed at a finite point.
    message : str
        Why the run stopped.
    iterations : int
        Number of iterations taken.
    method : str
        ``"newton"``, ``"gradient"`` or ``"scipy:<name>"``.
    """

    iterates: np.ndarray
    loglik: np.ndarray
    grad_norm: np.ndarray
    step_sizes: np.ndarray
    converged: bool
    message: str
    iterations: int
    method: str

    @property
    def x(self) -> np.ndarray:
        """The final iterate (the estimate)."""
        return self.iterates[-1].copy()


# ----------------------------------------------------------------- checks
def _check_inputs(owner, funcs, x0, tol, max_iter):
    for name, f in funcs.items():
        if not callable(f):
            raise ValueError(f"{owner}: {name} must be a callable, got {f!r}.")
    try:
        with np.errstate(all="ignore"):
            x = np.array(x0, dtype=float).reshape(-1) if np.ndim(x0) <= 1 else None
    except (TypeError, ValueError, OverflowError):
        x = None
    if x is None or x.size == 0:
        raise ValueError(f"{owner}: x0 must be a non-empty 1-D vector of numbers, got {x0!r}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{owner}: x0 must be finite, got {x0!r}.")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (tol > 0 and math.isfinite(tol)):
        raise ValueError(f"{owner}: tol must be a positive finite number, got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"{owner}: max_iter must be a positive integer, got {max_iter!r}.")
    return x


def _eval_l(loglik, x) -> float:
    """The log-likelihood at ``x``, with NaN (and any floating error) mapped to -inf."""
    with np.errstate(all="ignore"):
        try:
            v = float(loglik(x))
        except (ValueError, ArithmeticError):
            return -np.inf
    return v if not math.isnan(v) else -np.inf


def _eval_vec(f, x, d, owner, name):
    """``score(x)`` as a (d,) or ``hessian(x)`` as a (d, d) array; a floating error gives NaN."""
    with np.errstate(all="ignore"):
        try:
            g = np.asarray(f(x), dtype=float)
        except ArithmeticError:
            g = np.full((d, d) if name == "hessian" else (d,), np.nan)
    if g.size != d * d and name == "hessian" or (name == "score" and g.size != d):
        raise ValueError(f"{owner}: {name} returned shape {g.shape} for a {d}-vector x.")
    return g.reshape((d, d) if name == "hessian" else (d,))


def _small(g, l, tol) -> bool:
    """The old, scale-bound screen ``max|g| <= tol (1 + |l|)``: used only to decide when to
    run the scale-free check, never as the convergence test itself."""
    # on Python floats: np.all/np.max over a 2-vector cost ~10 us per call (measured)
    gl = g.tolist()
    return bool(all(map(math.isfinite, gl)) and max(map(abs, gl)) <= tol * (1.0 + abs(l)))


_EPS = float(np.finfo(float).eps)


def _norm(g) -> float:
    # what np.linalg.norm computes for a real vector (sqrt of g.dot(g)), without its
    # argument handling: the same value, ~3x cheaper on a short vector (measured)
    with np.errstate(all="ignore"):
        return math.sqrt(g.dot(g)) if np.isfinite(g).all() else math.nan


def _noise(l: float) -> float:
    """Rounding noise of a log-likelihood value: what a comparison of two values cannot resolve."""
    return 64 * _EPS * (1.0 + abs(l))


def _trace(xs, ls, gs, steps, converged, message, method):
    return OptimizeTrace(
        iterates=np.array(xs),
        loglik=np.array(ls, dtype=float),
        grad_norm=np.array(gs, dtype=float),
        step_sizes=np.array(steps, dtype=float),
        converged=bool(converged),
        message=message,
        iterations=len(steps),
        method=method,
    )


def _start(owner, loglik, score, x, tol):
    l0 = _eval_l(loglik, x)
    if not np.isfinite(l0):
        raise ValueError(f"{owner}: the log-likelihood at the start x0 = {x.tolist()} is not finite ({l0}); choose another start.")
    g0 = _eval_vec(score, x, x.size, owner, "score")
    if not np.isfinite(g0).all():
        raise ValueError(f"{owner}: the score at the start x0 = {x.tolist()} is not finite; choose another start.")
    return l0, g0


# ------------------------------------------------- the scale-free test
@dataclass(frozen=True)
class _MaxCheck:
    """The last check at an estimate: is it a strict local maximum, and how far (in standard errors)?"""

    ok: bool  # negative definite and decrement <= the threshold asked for
    negative_definite: bool
    decrement: float  # lambda^2 = g'(-H)^{-1} g (nan when -H is not positive definite)
    z: np.ndarray  # |g_i| / sqrt(-H_ii): each score component in standard deviations
    reason: str  # why not, in words ("" when ok)


def _check_maximum(g, H, threshold: float = FINAL_DECREMENT) -> _MaxCheck:
    r"""Is the point with score ``g`` and Hessian ``H`` a strict local maximum within
    ``sqrt(threshold)`` standard errors of the maximizer?

    The information ``A = -H`` is first scaled to unit diagonal
    (:math:`D^{-1/2} A D^{-1/2}`, ``z = D^{-1/2} g``), which makes the test
    independent of the parameters' units and keeps a Hessian of 1e300 or 1e-300
    from over- or underflowing; then a Cholesky factor gives
    :math:`\lambda^2 = z^\top (D^{-1/2}AD^{-1/2})^{-1} z = g^\top A^{-1} g`.
    A scaled matrix whose Cholesky pivots fall below 1e-6 (reciprocal
    condition ~1e-12) counts as singular: a flat direction, where the
    estimate is not determined.
    """
    g = np.asarray(g, dtype=float).reshape(-1)
    d = g.size
    nan_z = np.full(d, np.nan)
    with np.errstate(all="ignore"):
        H = np.asarray(H, dtype=float).reshape(d, d)
        if not (np.isfinite(g).all() and np.isfinite(H).all()):
            return _MaxCheck(False, False, math.nan, nan_z, "the score or the Hessian is not finite there")
        A = -0.5 * (H + H.T)
        diag = np.diag(A).copy()
        if not np.all(diag > 0):
            return _MaxCheck(False, False, math.nan, nan_z,
                             "the Hessian is not negative definite there (a saddle, a ridge or a direction "
                             "in which the log-likelihood keeps rising)")
        s = 1.0 / np.sqrt(diag)
        z = g * s
        As = A * s[:, None] * s[None, :]
        try:
            c = np.linalg.cholesky(As)
        except np.linalg.LinAlgError:
            c = None
        if c is None or not np.isfinite(c).all() or np.min(np.diag(c)) < 1e-6:
            return _MaxCheck(False, False, math.nan, np.abs(z),
                             "the Hessian is not negative definite there, or singular (a saddle, or a flat "
                             "direction along which the parameters are not determined)")
        y = np.linalg.solve(c, z)
        lam2 = float(y @ y)
    ok = bool(math.isfinite(lam2) and lam2 <= threshold)
    reason = "" if ok else f"the score there is {math.sqrt(lam2):.3g} standard errors from zero (Newton decrement)"
    return _MaxCheck(ok, True, lam2, np.abs(z), reason)


def _fd_hessian(score, x, d, owner):
    """Central differences of the score, with a step per coordinate from the point's own scale.

    Two step sizes are used and compared; where they disagree by more than 10% the
    second derivatives are not resolved and the result is None (the caller then cannot
    certify a maximum and says so).
    """
    out = []
    for base in (_EPS ** (1 / 3), 8 * _EPS ** (1 / 3)):
        H = np.empty((d, d))
        for i in range(d):
            h = base * max(abs(x[i]), 1.0)
            up, dn = x.copy(), x.copy()
            up[i] += h
            dn[i] -= h
            H[:, i] = (_eval_vec(score, up, d, owner, "score") - _eval_vec(score, dn, d, owner, "score")) / (up[i] - dn[i])
        out.append(0.5 * (H + H.T))
    H1, H2 = out
    with np.errstate(all="ignore"):
        if not (np.isfinite(H1).all() and np.isfinite(H2).all()):
            return None
        scale = np.sqrt(np.abs(np.outer(np.diag(H2), np.diag(H2)))) + 1e-300
        if np.max(np.abs(H1 - H2) / scale) > 0.1:
            return None
    return H1


def _verify(hessian, score, x, g, d, owner, threshold):
    """The last check at ``x`` with the Hessian given, or by finite differences of the score."""
    H = _eval_vec(hessian, x, d, owner, "hessian") if hessian is not None else _fd_hessian(score, x, d, owner)
    if H is None:
        return _MaxCheck(False, False, math.nan, np.full(d, np.nan),
                         "its Hessian could not be resolved by finite differences of the score")
    return _check_maximum(g, H, threshold)


def _runaway_note(xs, ls) -> str:
    """For a run that did not converge: does it look like an unbounded objective?"""
    if len(xs) < 3:
        return ""
    x0, xl = np.asarray(xs[0], dtype=float), np.asarray(xs[-1], dtype=float)
    with np.errstate(all="ignore"):
        far = (not np.isfinite(xl).all()) or float(np.max(np.abs(xl - x0))) > 1e3 * (1.0 + float(np.max(np.abs(x0))))
        rising = bool(np.all(np.diff(np.asarray(ls[-3:], dtype=float)) > 0))
    if far and rising:
        return (
            "; the log-likelihood kept rising while the iterate ran far from the start "
            f"(max |x| = {float(np.max(np.abs(xl))):.3g}): the objective looks unbounded above (no maximum)"
        )
    return ""


def _newton_direction(g, H):
    """``(delta, lambda2, damping)``: the (damped) Newton step solving ``(-H + damping D) delta = g``.

    ``-H`` is scaled to unit diagonal first (see :func:`_check_maximum`); where it is
    positive definite ``damping`` is 0 and ``lambda2`` the Newton decrement, otherwise
    ``damping`` (relative to the diagonal, so in the same units) starts at 1e-3 and
    grows tenfold until the matrix is positive definite (Levenberg-Marquardt) and
    ``lambda2`` is NaN. Returns None if no finite step exists.
    """
    d = g.size
    with np.errstate(all="ignore"):
        A = -0.5 * (H + H.T)
        diag = np.abs(np.diag(A))
        pos = diag[diag > 0]
        diag = np.where(diag > 0, diag, pos.min() if pos.size else 1.0)
        s = 1.0 / np.sqrt(diag)
        As = A * s[:, None] * s[None, :]
        z = g * s
        lam = 0.0
        eye = np.eye(d)
        while True:
            try:
                c = np.linalg.cholesky(As + lam * eye)
                if np.isfinite(c).all():
                    break
            except np.linalg.LinAlgError:
                pass
            lam = 1e-3 if lam == 0 else lam * 10
            if lam > 1e30:
                return None
        y = np.linalg.solve(c, z)
        w = np.linalg.solve(c.T, y)
        delta = s * w
        if not np.isfinite(delta).all():
            return None
    return delta, (float(y @ y) if lam == 0 else math.nan), lam


def newton_raphson(
    loglik: Callable,
    score: Callable,
    hessian: Callable,
    x0,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    max_halvings: int = 60,
    noise=None,
) -> OptimizeTrace:
    r"""Maximize ``loglik`` by Newton-Raphson with step halving and damping.

    Parameters
    ----------
    loglik, score, hessian : callable
        ``loglik(x) -> float``, ``score(x) -> (d,)``, ``hessian(x) -> (d, d)``.
    x0 : array_like, shape (d,)
        Finite starting point with a finite log-likelihood.
    tol : float
        Converged when the Newton decrement :math:`\lambda^2 = g^\top(-H)^{-1}g`
        is at most ``tol`` at a point where :math:`-H` is positive definite
        (the remaining step is then :math:`\sqrt{\text{tol}}` standard errors
        or less, and is taken).
    max_iter : int
        Iteration limit (reaching it gives ``converged=False``).
    max_halvings : int
        Step halvings tried before giving up on an iteration.
    noise : float or callable, optional
        The rounding error of a log-likelihood value (a number, or a function of
        ``x``): a step that lowers the log-likelihood by less than this is not
        treated as a decrease. Default ``64 * eps * (1 + |loglik|)``; pass the
        magnitude of the terms the log-likelihood is summed from when they are much
        larger than the result (a difference of large terms).

    Returns
    -------
    OptimizeTrace

    Notes
    -----
    The step solves :math:`(-H + \lambda D)\,\delta = g` with :math:`D` the
    diagonal of :math:`-H` (absolute values) and :math:`\lambda = 0` when
    :math:`-H` is positive definite (a Cholesky factorization succeeds);
    otherwise :math:`\lambda` starts at :math:`10^{-3}` and is multiplied by 10
    until it is (Levenberg-Marquardt damping; for large :math:`\lambda` the step
    is a scaled gradient step). Then :math:`x + t\delta` with
    :math:`t = 1, 1/2, 1/4, \dots` until the log-likelihood does not decrease.
    Convergence and the last check: see the module docstring.

    Equivalents: R ``maxLik::maxNR``; statsmodels ``fit(method="newton")``.
    """
    owner = "newton_raphson"
    x = _check_inputs(owner, {"loglik": loglik, "score": score, "hessian": hessian}, x0, tol, max_iter)
    if noise is not None and not callable(noise):
        if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not (noise >= 0 and math.isfinite(noise)):
            raise ValueError(f"{owner}: noise must be a number >= 0 or a callable of x, got {noise!r}.")
    d = x.size
    l, g = _start(owner, loglik, score, x, tol)
    xs, ls, gs, steps = [x.copy()], [l], [_norm(g)], []
    damped = 0

    def slack(x_, l_):
        if noise is None:
            return _noise(l_)
        with np.errstate(all="ignore"):
            v = float(noise(x_)) if callable(noise) else float(noise)
        return max(v, _noise(l_)) if math.isfinite(v) else _noise(l_)

    def done(converged, message):
        if not converged:
            message += _runaway_note(xs, ls)
        elif damped:
            message += f" ({damped} damped step(s) where the Hessian was not negative definite)"
        return _trace(xs, ls, gs, steps, converged, message, "newton")

    prev = math.nan  # the decrement before the last full Newton step
    gain = math.inf  # what the last step added to the log-likelihood
    for _ in range(max_iter):
        H = _eval_vec(hessian, x, d, owner, "hessian")
        if not np.isfinite(H).all():
            return done(False, f"stopped: the Hessian is not finite at x = {x.tolist()}")
        found = _newton_direction(g, H)
        if found is None:
            return done(False, f"stopped: no finite Newton step at x = {x.tolist()}")
        delta, lam2, damping = found
        damped += damping > 0
        noise_l = slack(x, l)
        if damping == 0 and lam2 <= FINAL_DECREMENT and lam2 > 0.25 * prev and gain <= 4 * noise_l:
            # A full Newton step did not shrink the decrement (near a maximum it squares it)
            # and gained nothing the log-likelihood can resolve: what is left is rounding
            # noise in the score. The estimate is within sqrt(FINAL_DECREMENT) = 1e-3
            # standard errors; more steps would only wander. (A step that still gains is
            # no noise: along a likelihood that rises for ever, Newton's decrement also
            # stops shrinking, and there the run must go on and say so.)
            return done(
                True,
                f"converged: the Newton decrement ({lam2:.2g}) stopped shrinking at the rounding noise of the "
                f"score, within {math.sqrt(lam2):.2g} standard errors of the maximum, after {len(steps)} iteration(s)",
            )
        if damping == 0 and lam2 <= tol:
            # The remaining step is at most sqrt(tol) standard errors: take it unless it
            # visibly lowers l (it cannot, up to rounding), and stop.
            # (A step below 1e-10 standard errors changes nothing worth an iteration.)
            x_new = x + delta
            l_new = _eval_l(loglik, x_new) if lam2 > 1e-20 else -np.inf
            if np.isfinite(x_new).all() and l_new >= l - noise_l:
                g_new = _eval_vec(score, x_new, d, owner, "score")
                if np.isfinite(g_new).all():
                    x, l, g = x_new, l_new, g_new
                    xs.append(x.copy()), ls.append(l), gs.append(_norm(g)), steps.append(1.0)
            return done(
                True,
                f"converged: Newton decrement {lam2:.2g} <= tol (the estimate is within "
                f"{math.sqrt(max(lam2, 0.0)):.2g} standard errors of the maximum) after {len(steps)} iteration(s)",
            )
        t = 1.0
        for _h in range(max_halvings + 1):
            x_new = x + t * delta
            l_new = _eval_l(loglik, x_new)
            if np.isfinite(x_new).all() and np.isfinite(l_new) and (l_new >= l or (damping == 0 and l_new >= l - noise_l)):
                break
            t *= 0.5
        else:
            chk = _check_maximum(g, H)
            if chk.ok:
                return done(
                    True,
                    "converged: no step increases the log-likelihood at machine precision, and the estimate is "
                    f"within {math.sqrt(chk.decrement):.2g} standard errors of the maximum",
                )
            return done(False, f"stopped: step halving failed to increase the log-likelihood, and {chk.reason}")
        prev = lam2 if (damping == 0 and t == 1.0) else math.nan
        gain = l_new - l
        x, l = x_new, l_new
        g = _eval_vec(score, x, d, owner, "score")
        xs.append(x.copy()), ls.append(l), gs.append(_norm(g)), steps.append(t)
        if not np.isfinite(g).all():
            return done(False, f"stopped: the score is not finite at x = {x.tolist()}")
    chk = _verify(hessian, score, x, g, d, owner, tol)
    if chk.ok:
        return done(True, f"converged after {len(steps)} iteration(s) (Newton decrement {chk.decrement:.2g})")
    return done(False, f"not converged: reached max_iter = {max_iter}; {chk.reason}")


# ---------------------------------------------------------------- gradient
def gradient_ascent(
    loglik: Callable,
    score: Callable,
    x0,
    *,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    step: float = 1.0,
    shrink: float = 0.5,
    armijo: float = 1e-4,
    hessian: Callable | None = None,
) -> OptimizeTrace:
    r"""Maximize ``loglik`` by gradient ascent with a backtracking line search.

    Parameters
    ----------
    loglik, score : callable
        ``loglik(x) -> float`` and ``score(x) -> (d,)``.
    x0 : array_like, shape (d,)
        Finite starting point.
    tol : float
        Converged when the Newton decrement :math:`g^\top(-H)^{-1}g` is at most
        ``tol`` (the estimate is within :math:`\sqrt{\text{tol}}` standard errors
        of the maximum; module docstring). The test runs where the steps or the
        score become small, with ``hessian`` or finite differences of ``score``.
    max_iter : int
        Iteration limit (reaching it gives ``converged=False``).
    step : float
        First trial step length; later iterations start from twice the last
        accepted step.
    shrink : float
        Factor in (0, 1) applied to the step until the Armijo condition holds.
    armijo : float
        Sufficient-increase constant :math:`c` in
        :math:`\ell(x + t g) \ge \ell(x) + c\,t\,\lVert g\rVert^2`.
    hessian : callable, optional
        ``hessian(x) -> (d, d)``, used only by the convergence test (default:
        central differences of ``score``).

    Returns
    -------
    OptimizeTrace

    Notes
    -----
    :math:`x_{k+1} = x_k + t_k\,\nabla\ell(x_k)`, with :math:`t_k` found by
    backtracking (Nocedal & Wright, Algorithm 3.1). Below the rounding
    resolution of the log-likelihood a step is also accepted when the
    directional derivative at the new point still points forward
    (:math:`g(x_{k+1})^\top g(x_k) > 0`, which on a concave path proves an
    increase).
    """
    owner = "gradient_ascent"
    funcs = {"loglik": loglik, "score": score}
    if hessian is not None:
        funcs["hessian"] = hessian
    x = _check_inputs(owner, funcs, x0, tol, max_iter)
    for name, v, lo, hi in (("step", step, 0, np.inf), ("shrink", shrink, 0, 1), ("armijo", armijo, 0, 1)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (lo < v < hi):
            raise ValueError(f"{owner}: {name} must be a number in ({lo}, {hi}), got {v!r}.")
    d = x.size
    l, g = _start(owner, loglik, score, x, tol)
    xs, ls, gs, steps = [x.copy()], [l], [_norm(g)], []
    t = float(step)
    next_check, wait = 0, 1  # run the (costly) decrement test again after `wait` more iterations

    def done(converged, message):
        if not converged:
            message += _runaway_note(xs, ls)
        return _trace(xs, ls, gs, steps, converged, message, "gradient")

    moved = math.inf
    for it in range(max_iter):
        if it >= next_check and (_small(g, l, tol) or moved <= tol * (1.0 + _norm(x))):
            chk = _verify(hessian, score, x, g, d, owner, tol)
            if chk.ok:
                return done(True, f"converged: Newton decrement {chk.decrement:.2g} <= tol after {len(steps)} iteration(s)")
            next_check, wait = it + wait, 2 * wait
        gg = float(g @ g)
        t_first = t
        with np.errstate(all="ignore"):
            while True:
                x_new = x + t * g
                l_new = _eval_l(loglik, x_new)
                if np.isfinite(l_new) and np.isfinite(x_new).all():
                    need = armijo * t * gg
                    if need > _noise(l):
                        if l_new >= l + need:
                            g_new = None
                            break
                    elif l_new >= l - _noise(l):
                        # The gain Armijo asks for is below what l can resolve (rounding would
                        # pass or fail it at random): ask the score instead.
                        g_new = _eval_vec(score, x_new, d, owner, "score")
                        if np.isfinite(g_new).all() and float(g_new @ g) > 0:
                            break
                t *= shrink
                if t * math.sqrt(gg) <= 1e-15 * (1.0 + _norm(x)):
                    # no step makes progress at machine precision: accept the point if it is a
                    # maximum up to the last check's 1e-3 standard errors (rounding noise)
                    chk = _verify(hessian, score, x, g, d, owner, max(tol, FINAL_DECREMENT))
                    if chk.ok:
                        return done(True, "converged: no step increases the log-likelihood at machine precision, "
                                          f"and the estimate is within {math.sqrt(chk.decrement):.2g} standard errors "
                                          "of the maximum")
                    return done(False, f"stopped: the line search failed, and {chk.reason}")
        moved = t * math.sqrt(gg)
        x, l = x_new, l_new
        g = g_new if g_new is not None else _eval_vec(score, x, d, owner, "score")
        xs.append(x.copy()), ls.append(l), gs.append(_norm(g)), steps.append(t)
        if not np.isfinite(g).all():
            return done(False, f"stopped: the score is not finite at x = {x.tolist()}")
        if t == t_first:  # the first trial was accepted: try a longer step next time
            t = min(2.0 * t, 1e12)
    chk = _verify(hessian, score, x, g, d, owner, tol)
    if chk.ok:
        return done(True, f"converged after {len(steps)} iteration(s) (Newton decrement {chk.decrement:.2g})")
    return done(False, f"not converged: reached max_iter = {max_iter}; {chk.reason}")


# ------------------------------------------------------------------- scipy
def scipy_minimize(
    loglik: Callable,
    score: Callable,
    x0,
    *,
    hessian: Callable | None = None,
    method: str = "BFGS",
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> OptimizeTrace:
    r"""Maximize ``loglik`` with ``scipy.optimize.minimize`` on ``-loglik``.

    Parameters
    ----------
    loglik, score : callable
        ``loglik(x) -> float`` and ``score(x) -> (d,)`` (passed as ``jac``).
    x0 : array_like, shape (d,)
        Finite starting point.
    hessian : callable, optional
        Passed (negated) as ``hess`` to methods that use it (``"Newton-CG"``,
        ``"trust-exact"``, ...), and used by the convergence test.
    method : str
        Any ``scipy.optimize.minimize`` method name; default ``"BFGS"``.
    tol : float
        Converged when the Newton decrement :math:`g^\top(-H)^{-1}g` at scipy's
        answer is at most ``tol`` (module docstring), with ``hessian`` or
        finite differences of ``score``. scipy's own ``gtol`` (BFGS, CG) is set
        from the curvature, ``sqrt(tol)/10`` standard deviations of each score
        component; where scipy stops short of the test it is restarted from its
        answer (at most twice).
    max_iter : int
        scipy's ``maxiter``.

    Returns
    -------
    OptimizeTrace
        ``converged`` is True when the test above passes at a finite
        log-likelihood, whatever scipy's own ``success`` says (its message is
        quoted in ``message``).
    """
    from scipy import optimize

    owner = "scipy_minimize"
    funcs = {"loglik": loglik, "score": score}
    if hessian is not None:
        funcs["hessian"] = hessian
    x = _check_inputs(owner, funcs, x0, tol, max_iter)
    if not isinstance(method, str):
        raise ValueError(f"{owner}: method must be a scipy.optimize.minimize method name, got {method!r}.")
    d = x.size
    l0, g0 = _start(owner, loglik, score, x, tol)
    xs = [x.copy()]

    def f(z):
        v = _eval_l(loglik, z)
        return -v if np.isfinite(v) else np.inf

    def jac(z):
        return -_eval_vec(score, z, d, owner, "score")

    def cb(xk, *args):
        xs.append(np.array(xk, dtype=float).copy())

    kwargs = {}
    uses_jac = method.lower() not in ("nelder-mead", "powell", "cobyla", "cobyqa")
    if uses_jac:
        kwargs["jac"] = jac
    if hessian is not None and method.lower() in ("newton-cg", "trust-ncg", "trust-exact", "trust-krylov", "dogleg", "trust-constr"):
        kwargs["hess"] = lambda z: -_eval_vec(hessian, z, d, owner, "hessian")

    def gtol_at(z, gz):
        H = _eval_vec(hessian, z, d, owner, "hessian") if hessian is not None else _fd_hessian(score, z, d, owner)
        with np.errstate(all="ignore"):
            curv = np.abs(np.diag(H)) if H is not None else np.full(d, np.nan)
            pos = curv[np.isfinite(curv) & (curv > 0)]
        # a gradient of sqrt(tol)/10 standard deviations of the flattest coordinate
        return 0.1 * math.sqrt(tol) * float(np.sqrt(pos.min())) if pos.size else None

    start, gz, res, chk = x, g0, None, None
    l_start, l_end = l0, l0
    for _round in range(3):
        l_start = l_end
        options = {"maxiter": int(max_iter)}
        if method.lower() in ("bfgs", "cg"):
            gt = gtol_at(start, gz)
            if gt is not None and gt > 0:
                options["gtol"] = gt
        try:
            with np.errstate(all="ignore"):
                res = optimize.minimize(f, start, method=method, callback=cb, options=options, **kwargs)
        except ValueError as exc:
            raise ValueError(
                f"{owner}: scipy.optimize.minimize refused the problem: {exc}. If the optimizer stepped outside "
                "the parameter space, optimize on an unconstrained scale (e.g. log of a positive parameter), "
                "as mlekit.fit does internally."
            ) from None
        xf = np.asarray(res.x, dtype=float)
        if not np.array_equal(xs[-1], xf):
            xs.append(xf.copy())
        lf = l_end = _eval_l(loglik, xf)
        if not (np.isfinite(lf) and np.isfinite(xf).all()):
            chk = None
            break
        gz = _eval_vec(score, xf, d, owner, "score")
        chk = _verify(hessian, score, xf, gz, d, owner, tol)
        if chk.ok or not chk.negative_definite or np.array_equal(xf, start):
            break
        start = xf  # scipy stopped short of the test at a point that looks like a maximum: go on from there
    ls = [_eval_l(loglik, z) for z in xs]
    gvecs = [_eval_vec(score, z, d, owner, "score") for z in xs]
    gs = [_norm(gv) for gv in gvecs]
    with np.errstate(all="ignore"):  # a run towards infinity may overflow the norm: inf, reported as such
        steps = [float(np.linalg.norm(b - a)) for a, b in zip(xs[:-1], xs[1:])]
    tr = lambda conv, msg: _trace(xs, ls, gs, steps, conv, msg + ("" if conv else _runaway_note(xs, ls)), f"scipy:{method}")  # noqa: E731
    if chk is None:
        return tr(False, f"not converged: the log-likelihood or estimate is not finite (scipy {method}: {res.message})")
    if chk.ok:
        return tr(True, f"converged: scipy {method}: {res.message} (Newton decrement {chk.decrement:.2g} <= tol)")
    if chk.negative_definite and chk.decrement <= FINAL_DECREMENT and l_end - l_start <= 4 * _noise(l_end):
        # the last restart gained nothing the log-likelihood can resolve: the rest is
        # rounding noise in the score
        return tr(True, f"converged: scipy {method}: {res.message} (the estimate is within "
                        f"{math.sqrt(chk.decrement):.2g} standard errors of the maximum, the rounding noise of the score)")
    return tr(False, f"not converged: scipy {method}: {res.message}; {chk.reason}")
