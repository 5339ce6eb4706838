r"""Checks of the MLE recipe: is the score right, is the estimate a maximum, is it on the edge?

What to use when
----------------
- You derived a score by hand: :func:`check_score` compares it with central
  finite differences of the log-likelihood. Works on an mlekit family
  (``check_score(Poisson(), x, {"lam": 2.0})``) or on a pair of plain functions
  ``loglik(theta, x)``, ``score(theta, x)`` (what the exercises do with a
  student's code). Check at a point *away from* the MLE: there every score,
  right or wrong by a constant factor, is close to 0.
- You derived a Hessian: :func:`check_hessian` (finite differences of the score).
- You found a stationary point: :func:`is_local_max` reports the eigenvalues of
  the Hessian (all negative = a strict local maximum) and the score's size.
- The estimate may sit on the edge of the parameter space (``p = 0``, a
  variance near 0): :func:`boundary_flags`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .families import Family
from .results import MLEResult

__all__ = [
    "ScoreCheck",
    "check_score",
    "check_hessian",
    "LocalMaxCheck",
    "is_local_max",
    "boundary_flags",
]

_H = np.cbrt(np.finfo(float).eps)  # ~6e-6: optimal relative step for central differences


@dataclass(frozen=True)
class ScoreCheck:
    """Analytic derivative vs central finite differences.

    Attributes
    ----------
    analytic, numerical : ndarray
        The two derivatives (same shape).
    max_abs_error : float
        ``max |analytic - numerical|``.
    max_rel_error : float
        ``max |analytic - numerical| / scale`` where ``scale`` is
        ``max(|numerical|, |loglik| / max(1, |theta|), 1)`` per entry: the size of
        the derivative that round-off in the log-likelihood could fake.
    ok : bool
        ``max_rel_error <= rtol``.
    rtol : float
    step : ndarray
        Finite-difference steps used per coordinate.
    """

    analytic: np.ndarray
    numerical: np.ndarray
    max_abs_error: float
    max_rel_error: float
    ok: bool
    rtol: float
    step: np.ndarray

    def __bool__(self) -> bool:
        return self.ok


def _as_theta(theta, owner):
    try:
        arr = np.asarray(theta, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: theta must be a number or a vector of numbers, got {theta!r}.") from None
    if arr.ndim > 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: theta must be a finite number or 1-D vector of numbers, got {theta!r}.")
    return arr


class _Problem:
    """A log-likelihood and (optionally) score/Hessian as functions of a flat coordinate vector."""

    def __init__(self, model, x, params, score, hessian, owner):
        self.owner = owner
        if isinstance(model, Family):
            fam = model
            if isinstance(params, MLEResult):
                params = params.params
            if not isinstance(params, dict):
                raise ValueError(f"{owner}: with a family, params must be a dict such as {{'lam': 2.0}}, got {params!r}.")
            self.x = fam.check_data(x)
            p = fam.check_params(dict(params), where=owner)
            self.theta = fam.to_vector(p)
            self.scalar = False
            self.names = fam.coord_names
            self._ll = lambda v: fam.loglik(self.x, **fam.from_vector(v))
            self._score = score or (lambda v: fam.score(self.x, **fam.from_vector(v)))
            self._hess = hessian or (lambda v: fam.hessian(self.x, **fam.from_vector(v)))
            self.limits = self._family_limits(fam)
        elif callable(model):
            self.x = x
            arr = _as_theta(params, owner)
            self.scalar = arr.ndim == 0
            self.theta = np.atleast_1d(arr).copy()
            self.names = tuple(f"theta[{i}]" for i in range(self.theta.size)) if not self.scalar else ("theta",)
            unwrap = (lambda v: float(v[0])) if self.scalar else (lambda v: v.copy())
            self._ll = lambda v: model(unwrap(v), x)
            self._score = None if score is None else (lambda v: score(unwrap(v), x))
            self._hess = None if hessian is None else (lambda v: hessian(unwrap(v), x))
            self.limits = [(-np.inf, np.inf)] * self.theta.size
        else:
            raise ValueError(f"{owner}: the first argument must be an mlekit family or a function loglik(theta, x), got {model!r}.")

    @staticmethod
    def _family_limits(fam):
        lims = []
        for s in fam.params:
            lims += [(s.lower, s.upper)] * (s.size or 1)
        if len(lims) != fam.n_free:  # Categorical: k entries, k - 1 free coordinates
            lims = lims[: fam.n_free]
        return lims

    def loglik(self, v) -> float:
        try:
            with np.errstate(all="ignore"):  # nan/inf are reported below, by name
                val = self._ll(v)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"{self.owner}: loglik raised {type(exc).__name__}: {exc}") from exc
        arr = np.asarray(val, dtype=float)
        if arr.size != 1:
            raise ValueError(f"{self.owner}: loglik must return one number, got shape {arr.shape}.")
        out = float(arr.reshape(()))
        if not np.isfinite(out):
            raise ValueError(f"{self.owner}: loglik is not finite ({out!r}) at theta = {v}.")
        return out

    def _vector(self, fn, v, what, shape):
        try:
            with np.errstate(all="ignore"):  # nan/inf are reported below, by name
                val = fn(v)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"{self.owner}: {what} raised {type(exc).__name__}: {exc}") from exc
        arr = np.asarray(val, dtype=float)
        if arr.size != int(np.prod(shape)):
            raise ValueError(f"{self.owner}: {what} must return {int(np.prod(shape))} number(s) for theta of size {self.theta.size}, got shape {arr.shape}.")
        arr = arr.reshape(shape)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{self.owner}: {what} is not finite at theta = {v}: {arr}.")
        return arr

    def score(self, v):
        if self._score is None:
            raise ValueError(f"{self.owner}: a score function is required, score=score(theta, x).")
        return self._vector(self._score, v, "score", (self.theta.size,))

    def hessian(self, v):
        return self._vector(self._hess, v, "hessian", (self.theta.size, self.theta.size))

    def steps(self):
        h = _H * np.maximum(1.0, np.abs(self.theta))
        for i, (lo, hi) in enumerate(self.limits):  # stay inside the domain
            room = min(self.theta[i] - lo, hi - self.theta[i])
            if room <= 0:
                raise ValueError(
                    f"{self.owner}: {self.names[i]} = {self.theta[i]!r} is on the edge of its domain; "
                    "derivatives are not defined there. Check at an interior point."
                )
            h[i] = min(h[i], room / 2)
        return h

    def fd_gradient(self, fn, h):
        out = []
        for i in range(self.theta.size):
            up, dn = self.theta.copy(), self.theta.copy()
            up[i] += h[i]
            dn[i] -= h[i]
            out.append((fn(up) - fn(dn)) / (2 * h[i]))
        return np.array(out)


def _compare(analytic, numerical, scale, rtol, h):
    err = np.abs(analytic - numerical)
    scale = np.maximum(np.maximum(np.abs(numerical), scale), 1.0)
    rel = err / scale
    return ScoreCheck(
        analytic=analytic,
        numerical=numerical,
        max_abs_error=float(err.max()),
        max_rel_error=float(rel.max()),
        ok=bool(rel.max() <= rtol),
        rtol=rtol,
        step=h,
    )


def check_score(model, x, params, *, score=None, rtol: float = 1e-5) -> ScoreCheck:
    r"""Compare an analytic score with central finite differences of the log-likelihood.

    Parameters
    ----------
    model : Family or callable
        An mlekit family, or a function ``loglik(theta, x) -> float``.
    x : array_like
        The data (passed through unchanged to plain functions).
    params : dict or MLEResult (family) / float or 1-D array (plain function)
        The point at which to compare; choose one away from the MLE.
    score : callable, optional
        ``score(theta, x)`` for a plain ``loglik``; for a family, overrides
        ``family.score`` (a function of the coordinate vector).
    rtol : float
        Tolerance on ``max_rel_error``.

    Returns
    -------
    ScoreCheck
        Truthy when the two agree.

    Notes
    -----
    :math:`\partial_i \ell \approx [\ell(\theta + h_i e_i) - \ell(\theta - h_i e_i)]/(2h_i)`
    with :math:`h_i = \epsilon^{1/3}\max(1, |\theta_i|)`, truncation error
    :math:`O(h^2)` and round-off :math:`O(\epsilon|\ell|/h)`; both are far
    below ``rtol = 1e-5`` of the scale used, while a wrong factor or sign is not.
    scipy: ``scipy.optimize.check_grad``; R: ``numDeriv::grad``.
    """
    owner = "check_score"
    if not (isinstance(rtol, (int, float)) and rtol > 0):
        raise ValueError(f"{owner}: rtol must be a positive number, got {rtol!r}.")
    if score is not None and not callable(score):
        raise ValueError(f"{owner}: score must be a function score(theta, x), got {score!r}.")
    prob = _Problem(model, x, params, score, None, owner)
    h = prob.steps()
    ell = prob.loglik(prob.theta)
    numerical = prob.fd_gradient(prob.loglik, h)
    analytic = prob.score(prob.theta)
    scale = abs(ell) / np.maximum(1.0, np.abs(prob.theta))
    return _compare(analytic, numerical, scale, rtol, h)


def check_hessian(model, x, params, *, score=None, hessian=None, rtol: float = 1e-5) -> ScoreCheck:
    r"""Compare an analytic Hessian with central finite differences of the analytic score.

    Same conventions as :func:`check_score`; a plain-function model needs both
    ``score(theta, x)`` and ``hessian(theta, x)``. The comparison scale of row
    ``i`` is the size of the score divided by ``max(1, |theta|)``.
    """
    owner = "check_hessian"
    if not (isinstance(rtol, (int, float)) and rtol > 0):
        raise ValueError(f"{owner}: rtol must be a positive number, got {rtol!r}.")
    prob = _Problem(model, x, params, score, hessian, owner)
    if prob._hess is None:
        raise ValueError(f"{owner}: a hessian function is required, hessian=hessian(theta, x).")
    h = prob.steps()
    cols = []
    for i in range(prob.theta.size):
        up, dn = prob.theta.copy(), prob.theta.copy()
        up[i] += h[i]
        dn[i] -= h[i]
        cols.append((prob.score(up) - prob.score(dn)) / (2 * h[i]))
    numerical = np.array(cols).T
    analytic = prob.hessian(prob.theta)
    g = prob.score(prob.theta)
    scale = (np.abs(prob.loglik(prob.theta)) + np.max(np.abs(g))) / np.maximum(1.0, np.abs(prob.theta)) ** 2
    return _compare(analytic, numerical, np.full(analytic.shape, float(np.max(scale))), rtol, h)


@dataclass(frozen=True)
class LocalMaxCheck:
    """Is a point a strict local maximum of the log-likelihood?

    Attributes
    ----------
    eigenvalues : ndarray
        Of the Hessian, ascending. All negative means negative definite.
    negative_definite : bool
    score_norm : float
        Euclidean norm of the score (0 at a stationary point); ``nan`` when no
        score is available.
    stationary : bool
        every score component within ``gtol`` standard deviations (see :func:`is_local_max`).
    ok : bool
        ``negative_definite and stationary``.
    message : str
    """

    eigenvalues: np.ndarray
    negative_definite: bool
    score_norm: float
    stationary: bool
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok


def is_local_max(model, x, params, *, score=None, hessian=None, gtol: float = 1e-3) -> LocalMaxCheck:
    r"""Check that ``params`` is a strict local maximum: score ~ 0, Hessian negative definite.

    Parameters
    ----------
    model : Family or callable
        An mlekit family, or ``loglik(theta, x)``.
    x : array_like
    params : dict or MLEResult (family) / float or 1-D array (plain function)
    score, hessian : callable, optional
        For plain functions: ``score(theta, x)``, ``hessian(theta, x)``. Without
        ``hessian``, it is taken by finite differences of ``score`` (or, without
        ``score``, second differences of ``loglik``).
    gtol : float
        Stationarity tolerance in standard deviations of the score: stationary
        when every :math:`|g_i| \le \text{gtol}\,\sqrt{|H_{ii}|}` (the curvature
        sets the scale, so the test means the same for any units of the
        parameters and any size of the log-likelihood; a coordinate with
        :math:`H_{ii} = 0` falls back to :math:`\max(1, |\ell|)`). The default
        1e-3 asks for a point within about a thousandth of a standard error of
        a maximum, what ``mlekit.fit`` checks before ``converged=True``.

    Notes
    -----
    Second-order sufficient condition: :math:`\nabla\ell = 0` and
    :math:`\nabla^2\ell \prec 0` (all eigenvalues negative). A zero eigenvalue
    (a flat direction) is reported as *not* negative definite: the maximum is not
    strict there, e.g. unidentified parameters. R: ``eigen(optimHess(...))``.
    """
    owner = "is_local_max"
    if isinstance(gtol, bool) or not isinstance(gtol, (int, float)) or not (gtol > 0 and np.isfinite(gtol)):
        raise ValueError(f"{owner}: gtol must be a positive number, got {gtol!r}.")
    prob = _Problem(model, x, params, score, hessian, owner)
    ell = prob.loglik(prob.theta)
    h = prob.steps()
    if prob._hess is not None:
        H = prob.hessian(prob.theta)
    elif prob._score is not None:
        cols = []
        for i in range(prob.theta.size):
            up, dn = prob.theta.copy(), prob.theta.copy()
            up[i] += h[i]
            dn[i] -= h[i]
            cols.append((prob.score(up) - prob.score(dn)) / (2 * h[i]))
        H = np.array(cols).T
    else:
        # second differences: optimal relative step ~ eps^(1/4), kept inside the domain
        room = np.array([min(t - lo, hi - t) for t, (lo, hi) in zip(prob.theta, prob.limits)])
        h2 = np.minimum(np.finfo(float).eps ** 0.25 * np.maximum(1.0, np.abs(prob.theta)), room / 2)
        k = prob.theta.size
        H = np.empty((k, k))
        for i in range(k):
            for j in range(i, k):
                def shifted(si, sj):
                    v = prob.theta.copy()
                    v[i] += si * h2[i]
                    v[j] += sj * h2[j]
                    return prob.loglik(v)

                H[i, j] = H[j, i] = (shifted(1, 1) - shifted(1, -1) - shifted(-1, 1) + shifted(-1, -1)) / (4 * h2[i] * h2[j])
    H = 0.5 * (H + H.T)
    eig = np.linalg.eigvalsh(H)
    scale = np.max(np.abs(eig)) if eig.size else 1.0
    negdef = bool(np.all(eig < -1e-10 * max(scale, 1e-300)))
    if prob._score is not None:
        g = prob.score(prob.theta)
        gnorm = float(np.linalg.norm(g))
    else:
        g = prob.fd_gradient(prob.loglik, h)
        gnorm = float(np.linalg.norm(g))
    with np.errstate(all="ignore"):
        curv = np.sqrt(np.abs(np.diag(H)))
        scale = np.where(curv > 0, curv, max(1.0, abs(ell)))
        zmax = float(np.max(np.abs(g) / scale))
    stationary = bool(zmax <= gtol)
    parts = [
        "Hessian negative definite" if negdef else f"Hessian NOT negative definite (eigenvalues {np.array2string(eig, precision=4)})",
        "score ~ 0" if stationary else f"score NOT ~ 0 (norm {gnorm:.3g}, {zmax:.3g} standard deviations)",
    ]
    ok = negdef and stationary
    return LocalMaxCheck(
        eigenvalues=eig,
        negative_definite=negdef,
        score_norm=gnorm,
        stationary=stationary,
        ok=ok,
        message=("strict local maximum: " if ok else "not a strict local maximum: ") + "; ".join(parts),
    )


def boundary_flags(family_or_result, params=None, *, rtol: float = 1e-8) -> dict:
    """Where each estimate sits relative to the edges of its domain.

    Parameters
    ----------
    family_or_result : Family or MLEResult
    params : dict, optional
        Needed with a family.
    rtol : float
        "Near" means within ``rtol * max(1, |edge|)`` of a finite edge.

    Returns
    -------
    dict
        ``{name: status}`` per scalar (``theta[j]`` for vectors) with status one of
        ``"interior"``, ``"on lower edge"``, ``"on upper edge"``,
        ``"near lower edge"``, ``"near upper edge"``. On or near an edge, Wald
        standard errors and intervals are unreliable; use
        :func:`mlekit.inference.profile_interval`.
    """
    owner = "boundary_flags"
    if isinstance(family_or_result, MLEResult):
        fam, p = family_or_result.family, family_or_result.params
    elif isinstance(family_or_result, Family):
        if not isinstance(params, dict):
            raise ValueError(f"{owner}: with a family, pass params as a dict, got {params!r}.")
        fam = family_or_result
        p = fam.check_params(dict(params), where=owner)
    else:
        raise ValueError(f"{owner}: expected an mlekit family or MLEResult, got {family_or_result!r}.")
    if not (isinstance(rtol, (int, float)) and rtol >= 0):
        raise ValueError(f"{owner}: rtol must be a number >= 0, got {rtol!r}.")
    out = {}
    for spec in fam.params:
        vals = np.atleast_1d(np.asarray(p[spec.name], dtype=float))
        for j, v in enumerate(vals):
            label = spec.name if spec.size is None else f"{spec.name}[{j}]"
            status = "interior"
            for edge, which in ((spec.lower, "lower"), (spec.upper, "upper")):
                if not np.isfinite(edge):
                    continue
                if v == edge:
                    status = f"on {which} edge"
                elif abs(v - edge) <= rtol * max(1.0, abs(edge)):
                    status = f"near {which} edge"
            out[label] = status
    return out
