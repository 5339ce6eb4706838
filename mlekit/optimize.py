"""Numerical maximizers of a log-likelihood: pure functions that return a trace.

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

Convergence test (all three): the largest absolute score component is at most
``tol * (1 + |loglik|)``, i.e. a gradient small relative to the size of the
log-likelihood (which grows with the number of observations). Newton also
stops when its decrement :math:`g^\top(-H)^{-1}g/2` (the predicted gain) is
below the floating-point resolution of the log-likelihood, where rounding
noise in the score would otherwise keep it from passing the gradient test. A run that hits
``max_iter``, or whose log-likelihood or iterate stops being finite, reports
``converged=False`` and says so.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["OptimizeTrace", "gradient_ascent", "newton_raphson", "scipy_minimize"]


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
        True only if the convergence test passed at a finite point.
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
        x = np.array(x0, dtype=float).reshape(-1) if np.ndim(x0) <= 1 else None
    except (TypeError, ValueError):
        x = None
    if x is None or x.size == 0:
        raise ValueError(f"{owner}: x0 must be a non-empty 1-D vector of numbers, got {x0!r}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{owner}: x0 must be finite, got {x0!r}.")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (tol > 0 and np.isfinite(tol)):
        raise ValueError(f"{owner}: tol must be a positive finite number, got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"{owner}: max_iter must be a positive integer, got {max_iter!r}.")
    return x


def _eval_l(loglik, x) -> float:
    """The log-likelihood at ``x``, with NaN (and any floating error) mapped to -inf."""
    with np.errstate(all="ignore"):
        try:
            v = float(loglik(x))
        except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError):
            return -np.inf
    return v if not np.isnan(v) else -np.inf


def _eval_vec(f, x, d, owner, name):
    with np.errstate(all="ignore"):
        g = np.asarray(f(x), dtype=float)
    if g.size != d * d and name == "hessian" or (name == "score" and g.size != d):
        raise ValueError(f"{owner}: {name} returned shape {g.shape} for a {d}-vector x.")
    return g.reshape((d, d) if name == "hessian" else (d,))


def _small(g, l, tol) -> bool:
    # on Python floats: np.all/np.max over a 2-vector cost ~10 us per call (measured)
    gl = g.tolist()
    return bool(all(map(math.isfinite, gl)) and max(map(abs, gl)) <= tol * (1.0 + abs(l)))


_EPS = float(np.finfo(float).eps)


def _norm(g) -> float:
    # what np.linalg.norm computes for a real vector (sqrt of g.dot(g)), without its
    # argument handling: the same value, ~3x cheaper on a short vector (measured)
    return math.sqrt(g.dot(g))


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


# ------------------------------------------------------------------ newton
def newton_raphson(
    loglik: Callable,
    score: Callable,
    hessian: Callable,
    x0,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    max_halvings: int = 60,
) -> OptimizeTrace:
    r"""Maximize ``loglik`` by Newton-Raphson with step halving and damping.

    Parameters
    ----------
    loglik, score, hessian : callable
        ``loglik(x) -> float``, ``score(x) -> (d,)``, ``hessian(x) -> (d, d)``.
    x0 : array_like, shape (d,)
        Finite starting point with a finite log-likelihood.
    tol : float
        Converged when ``max|score| <= tol * (1 + |loglik|)``.
    max_iter : int
        Iteration limit (reaching it gives ``converged=False``).
    max_halvings : int
        Step halvings tried before giving up on an iteration.

    Returns
    -------
    OptimizeTrace

    Notes
    -----
    The step solves :math:`(-H + \lambda I)\,\delta = g` with :math:`\lambda = 0`
    when :math:`-H` is positive definite (a Cholesky factorization succeeds);
    otherwise :math:`\lambda` starts at :math:`10^{-3}\max(1, \max_i |H_{ii}|)` and is
    multiplied by 10 until it is (Levenberg-Marquardt damping; for large
    :math:`\lambda` the step is the gradient step :math:`g/\lambda`). Then
    :math:`x + t\delta` with :math:`t = 1, 1/2, 1/4, \dots` until the
    log-likelihood increases.

    Equivalents: R ``maxLik::maxNR``; statsmodels ``fit(method="newton")``.
    """
    owner = "newton_raphson"
    x = _check_inputs(owner, {"loglik": loglik, "score": score, "hessian": hessian}, x0, tol, max_iter)
    d = x.size
    l, g = _start(owner, loglik, score, x, tol)
    xs, ls, gs, steps = [x.copy()], [l], [_norm(g)], []
    damped = 0
    for _ in range(max_iter):
        if _small(g, l, tol):
            note = f" ({damped} damped step(s) where the Hessian was not negative definite)" if damped else ""
            return _trace(xs, ls, gs, steps, True, f"converged: max|score| <= tol*(1+|loglik|) after {len(steps)} iteration(s){note}", "newton")
        H = _eval_vec(hessian, x, d, owner, "hessian")
        if not np.isfinite(H).all():
            return _trace(xs, ls, gs, steps, False, f"stopped: the Hessian is not finite at x = {x.tolist()}", "newton")
        A = -0.5 * (H + H.T)
        lam = 0.0
        while True:
            try:
                c = np.linalg.cholesky(A + lam * np.eye(d))
                break
            except np.linalg.LinAlgError:
                lam = 1e-3 * max(1.0, float(np.max(np.abs(np.diag(H))))) if lam == 0 else lam * 10
                if not np.isfinite(lam):  # pragma: no cover - a finite matrix always damps
                    return _trace(xs, ls, gs, steps, False, "stopped: could not damp the Hessian", "newton")
        damped += lam > 0
        delta = np.linalg.solve(c.T, np.linalg.solve(c, g))
        t = 1.0
        # Below the floating-point resolution of the log-likelihood a
        # comparison says nothing: there, a step whose predicted increase
        # g.delta/2 is that small is accepted unless it visibly decreases l.
        noise = 64 * _EPS * (1.0 + abs(l))
        tiny = 0.5 * float(g @ delta) <= noise
        if tiny and lam == 0:
            # Newton decrement test: the quadratic model predicts a gain below
            # what floating point can resolve in l, so the maximum is reached
            # (the remaining step is ~1e-5 standard errors or less). Take it if
            # it does not visibly lower l, and stop.
            x_new = x + delta
            l_new = _eval_l(loglik, x_new)
            if np.isfinite(x_new).all() and l_new >= l - noise:
                g_new = _eval_vec(score, x_new, d, owner, "score")
                if np.isfinite(g_new).all():
                    x, l, g = x_new, max(l_new, l), g_new
                    xs.append(x.copy()), ls.append(l), gs.append(_norm(g)), steps.append(1.0)
            note = f"; {damped} damped step(s) where the Hessian was not negative definite" if damped else ""
            return _trace(
                xs, ls, gs, steps, True,
                f"converged: Newton decrement below the floating-point resolution of the log-likelihood "
                f"after {len(steps)} iteration(s) (max|score| = {np.max(np.abs(g)):.3g}{note})",
                "newton",
            )
        for _h in range(max_halvings + 1):
            x_new = x + t * delta
            l_new = _eval_l(loglik, x_new)
            if np.isfinite(x_new).all() and (l_new >= l or (tiny and l_new >= l - noise)):
                break
            t *= 0.5
        else:
            ok = _small(g, l, np.sqrt(tol))
            msg = (
                "converged: no step increases the log-likelihood at machine precision "
                f"(max|score| = {np.max(np.abs(g)):.3g})"
                if ok
                else f"stopped: step halving failed to increase the log-likelihood (max|score| = {np.max(np.abs(g)):.3g})"
            )
            return _trace(xs, ls, gs, steps, ok, msg, "newton")
        x, l = x_new, l_new
        g = _eval_vec(score, x, d, owner, "score")
        xs.append(x.copy()), ls.append(l), gs.append(_norm(g)), steps.append(t)
        if not np.isfinite(g).all():
            return _trace(xs, ls, gs, steps, False, f"stopped: the score is not finite at x = {x.tolist()}", "newton")
    if _small(g, l, tol):
        return _trace(xs, ls, gs, steps, True, f"converged after {len(steps)} iteration(s)", "newton")
    return _trace(xs, ls, gs, steps, False, f"not converged: reached max_iter = {max_iter} (max|score| = {np.max(np.abs(g)):.3g})", "newton")


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
) -> OptimizeTrace:
    r"""Maximize ``loglik`` by gradient ascent with a backtracking line search.

    Parameters
    ----------
    loglik, score : callable
        ``loglik(x) -> float`` and ``score(x) -> (d,)``.
    x0 : array_like, shape (d,)
        Finite starting point.
    tol : float
        Converged when ``max|score| <= tol * (1 + |loglik|)``.
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

    Returns
    -------
    OptimizeTrace

    Notes
    -----
    :math:`x_{k+1} = x_k + t_k\,\nabla\ell(x_k)`, with :math:`t_k` found by
    backtracking (Nocedal & Wright, Algorithm 3.1).
    """
    owner = "gradient_ascent"
    x = _check_inputs(owner, {"loglik": loglik, "score": score}, x0, tol, max_iter)
    for name, v, lo, hi in (("step", step, 0, np.inf), ("shrink", shrink, 0, 1), ("armijo", armijo, 0, 1)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (lo < v < hi):
            raise ValueError(f"{owner}: {name} must be a number in ({lo}, {hi}), got {v!r}.")
    d = x.size
    l, g = _start(owner, loglik, score, x, tol)
    xs, ls, gs, steps = [x.copy()], [l], [_norm(g)], []
    t = float(step)
    for _ in range(max_iter):
        if _small(g, l, tol):
            return _trace(xs, ls, gs, steps, True, f"converged: max|score| <= tol*(1+|loglik|) after {len(steps)} iteration(s)", "gradient")
        gg = float(g @ g)
        while True:
            x_new = x + t * g
            l_new = _eval_l(loglik, x_new)
            if np.isfinite(l_new) and l_new >= l + armijo * t * gg:
                break
            t *= shrink
            if t * np.sqrt(gg) <= 1e-15 * (1.0 + np.linalg.norm(x)):
                ok = _small(g, l, np.sqrt(tol))
                msg = (
                    "converged: no step increases the log-likelihood at machine precision "
                    f"(max|score| = {np.max(np.abs(g)):.3g})"
                    if ok
                    else f"stopped: line search failed (max|score| = {np.max(np.abs(g)):.3g})"
                )
                return _trace(xs, ls, gs, steps, ok, msg, "gradient")
        x, l = x_new, l_new
        g = _eval_vec(score, x, d, owner, "score")
        xs.append(x.copy()), ls.append(l), gs.append(_norm(g)), steps.append(t)
        if not np.all(np.isfinite(g)):
            return _trace(xs, ls, gs, steps, False, f"stopped: the score is not finite at x = {x.tolist()}", "gradient")
        t = min(2.0 * t, 1e12)
    if _small(g, l, tol):
        return _trace(xs, ls, gs, steps, True, f"converged after {len(steps)} iteration(s)", "gradient")
    return _trace(xs, ls, gs, steps, False, f"not converged: reached max_iter = {max_iter} (max|score| = {np.max(np.abs(g)):.3g})", "gradient")


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
    """Maximize ``loglik`` with ``scipy.optimize.minimize`` on ``-loglik``.

    Parameters
    ----------
    loglik, score : callable
        ``loglik(x) -> float`` and ``score(x) -> (d,)`` (passed as ``jac``).
    x0 : array_like, shape (d,)
        Finite starting point.
    hessian : callable, optional
        Passed (negated) as ``hess`` to methods that use it (``"Newton-CG"``,
        ``"trust-exact"``, ...).
    method : str
        Any ``scipy.optimize.minimize`` method name; default ``"BFGS"``.
    tol : float
        Same test as the other optimizers; scipy's own ``gtol`` is set to
        ``tol * (1 + |loglik(x0)|)``.
    max_iter : int
        scipy's ``maxiter``.

    Returns
    -------
    OptimizeTrace
        ``converged`` is True when scipy reports success **and** the final
        point passes the gradient test (or scipy succeeded with a
        derivative-free method) at a finite log-likelihood.
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
    options = {"maxiter": int(max_iter)}
    if method.lower() in ("bfgs", "cg"):
        options["gtol"] = tol * (1 + abs(l0))
    try:
        with np.errstate(all="ignore"):
            res = optimize.minimize(f, x, method=method, callback=cb, options=options, **kwargs)
    except ValueError as exc:
        raise ValueError(
            f"{owner}: scipy.optimize.minimize refused the problem: {exc}. If the optimizer stepped outside "
            "the parameter space, optimize on an unconstrained scale (e.g. log of a positive parameter), "
            "as mlekit.fit does internally."
        ) from None
    xf = np.asarray(res.x, dtype=float)
    if not np.array_equal(xs[-1], xf):
        xs.append(xf.copy())
    ls = [_eval_l(loglik, z) for z in xs]
    gvecs = [_eval_vec(score, z, d, owner, "score") for z in xs]
    gs = [float(np.linalg.norm(gv)) for gv in gvecs]
    steps = [float(np.linalg.norm(b - a)) for a, b in zip(xs[:-1], xs[1:])]
    finite = np.isfinite(ls[-1]) and np.all(np.isfinite(xf))
    # scipy's BFGS stops with status 2 ("precision loss") at an optimum it cannot
    # improve in floating point; a small gradient there is convergence too.
    small = _small(gvecs[-1], ls[-1], tol) or (
        _small(gvecs[-1], ls[-1], np.sqrt(tol)) and (bool(res.success) or getattr(res, "status", None) == 2)
    )
    converged = bool(finite and (small or (res.success and not uses_jac)))
    if converged:
        msg = f"converged: scipy {method}: {res.message}"
    elif not finite:
        msg = f"not converged: the log-likelihood or estimate is not finite (scipy {method}: {res.message})"
    else:
        msg = f"not converged: scipy {method}: {res.message} (max|score| = {np.max(np.abs(gvecs[-1])):.3g})"
    return _trace(xs, ls, gs, steps, converged, msg, f"scipy:{method}")
