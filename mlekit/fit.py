"""``fit(family, data)``: the one entry point that turns data into an :class:`MLEResult`.

Methods
-------
``"auto"`` (default)
    The closed form where the family has one; otherwise the family's best
    numerical route: a 1-D profile-likelihood Newton for ``Gamma``,
    ``Weibull`` and ``NegativeBinomial``; Newton-Raphson on sufficient
    statistics for ``Beta``; Newton-Raphson on the data for ``StudentT`` and
    ``CustomFamily``.
``"closed-form"``
    Only the closed form (``ValueError`` if the family has none).
``"newton"``, ``"gradient"``, ``"scipy"``
    The generic optimizers of :mod:`mlekit.optimize` (Newton-Raphson,
    gradient ascent, ``scipy.optimize.minimize``), run in an unconstrained
    parameterization: ``log`` for a parameter on ``(lo, inf)``, ``logit`` for
    one on a bounded interval, the identity on the real line. Estimates,
    standard errors and covariance are reported in the family's own
    parameters (at the maximum the score vanishes, so the observed
    information in the family's parameters is the delta-method transform of
    the one in the working parameters).

When ``converged`` is True (never a wrong answer that looks right)
----------------------------------------------------------------------
A numerical fit is ``converged`` only if its optimizer converged by the
scale-free test of :mod:`mlekit.optimize` **and**, checked again at the
estimate in the family's own parameters: every parameter is finite and inside
its domain, a positive one (a scale, rate, shape or mean) within
``[1e-150, 1e150]`` where float64 can square it; the log-likelihood, score and
Hessian are finite; the Hessian is negative definite; the Newton decrement
:math:`g^\top(-H)^{-1}g` is at most 1e-6 (the estimate is within 1e-3 standard
errors of the maximum); the covariance has finite, positive variances; and no
positive parameter is undetermined (its log-likelihood still not falling when it
is multiplied or divided by e: a supremum at infinity, as for a t with
``df -> infinity``). Otherwise ``converged`` is False and ``message`` says which
check failed. Data without an MLE (all values equal; a negative binomial without
overdispersion) raise ``ValueError`` for every method. Closed forms whose
estimate or covariance leaves float64's range raise ``ValueError`` that says to
rescale. NumPy's floating-point warnings never escape ``fit``; a Python float
overflow becomes a ``ValueError``. The data are read and checked once, at the
door (floats as float64); nothing below reads them again.

Standard errors: closed forms use the **expected** information at the
estimate (finite on the boundary, e.g. ``p = 0``); numerical fits use the
**observed** information (minus the analytic, or for ``CustomFamily``
finite-difference, Hessian) at the estimate. ``MLEResult.information`` says
which.

Priors (MAP estimation): ``fit(family, data, prior=prior)`` hands the whole
job to ``prior.fit_map(family, data, **options)`` (see :mod:`mlekit.priors`).
Any object with a callable ``fit_map(family, data, **options) -> MLEResult``
can be a prior; ``options`` holds the keyword arguments the caller gave
explicitly (``method``, ``start``, ``tol``, ``max_iter``, ``scipy_method``).
A callable log-prior or a dict of frozen scipy.stats distributions per
parameter becomes a :class:`mlekit.priors.LogPrior` (a numerical MAP for any
family with a differentiable likelihood).

Fixed parameters, weights, censoring
------------------------------------
- **Fixed parameters**: fix any parameter in the family's constructor,
  ``fit(Gamma(shape=2.0), x)`` (R ``fitdist(fix.arg=)``, scipy ``f0``/``floc``);
  the result's ``params``, ``se``, ``cov`` and AIC/BIC cover the free
  parameters, ``result.family`` carries the fixed ones. See
  :mod:`mlekit.families`.
- **Frequency weights**: ``fit(family, values, weights=counts)`` is exactly the
  fit to ``np.repeat(values, counts)`` (``result.weights``; ``n`` is the sum of
  the counts). No case weights.
- **Censored data**: ``fit(family, scipy.stats.CensoredData(...))`` for left,
  right and interval censoring in the continuous families
  (``result.censoring``); see :mod:`mlekit.censored`.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import replace

import numpy as np

from . import optimize as _opt
from ._validation import BIG, RESCALE, SMALL, as_data, data_digest, float_errors, inverse_pd
from .families import CustomFamily, Family
from .results import MLEResult

__all__ = ["fit"]

_METHODS = ("auto", "closed-form", "newton", "gradient", "scipy")
_UNSET = object()


def fit(
    family: Family,
    data,
    *,
    method: str = "auto",
    start: dict | None = None,
    prior=None,
    tol=_UNSET,
    max_iter=_UNSET,
    scipy_method: str = "BFGS",
    weights=None,
) -> MLEResult:
    """Maximum-likelihood fit of ``family`` to ``data``.

    The methods, the checks behind ``converged`` and where the standard errors come from
    are described in the docstring of the module ``mlekit.fit`` (which this function
    shadows): ``help(mlekit.fitting)``.

    Parameters
    ----------
    family : Family
        A family instance, e.g. ``Bernoulli()``, ``Normal(sigma2=4.0)``,
        ``Gamma()`` or a :class:`~mlekit.families.CustomFamily`.
    data : array_like or scipy.stats.CensoredData
        One-dimensional observations in the family's support; or censored
        observations (left, right, interval) as a ``scipy.stats.CensoredData``,
        for the continuous families (see :mod:`mlekit.censored`;
        ``result.censoring`` counts each kind).
    method : {"auto", "closed-form", "newton", "gradient", "scipy"}
        See the module docstring (``help(mlekit.fitting)``).
    start : dict, optional
        Starting values ``{name: value}`` for numerical methods (required
        for a ``CustomFamily``); default: the family's moment-type start.
        With ``method="auto"``, giving ``start`` asks for a numerical fit
        (Newton-Raphson from there, even where a closed form exists); for a
        family without a closed form, ``tol``/``max_iter`` also switch from
        its specialized route to generic Newton-Raphson.
    prior : callable, dict or object with ``fit_map``, optional
        MAP estimation instead of MLE. A callable ``logprior(params) -> float``
        (the log prior density of a dict of the free parameters) or a dict
        ``{name: frozen scipy.stats distribution}`` (independent priors) is
        wrapped in :class:`mlekit.priors.LogPrior` (a numerical MAP for any
        family); a conjugate prior (``BetaPrior``, ``GammaPrior``,
        ``DirichletPrior``) gives the MAP in closed form. Either way the call is
        delegated to ``prior.fit_map(family, data, **options)``.
    tol : float, optional
        Convergence tolerance of the optimizer (see :mod:`mlekit.optimize`).
    max_iter : int, optional
        Iteration limit of the optimizer.
    scipy_method : str
        The ``scipy.optimize.minimize`` method for ``method="scipy"``.
    weights : array_like, optional
        **Frequency weights**: one non-negative integer count per data value (a
        frequency table: values in ``data``, how often each occurred in
        ``weights``; R ``fitdist(weights=)``, statsmodels ``freq_weights``). The fit
        is exactly the fit to ``np.repeat(data, weights)``, and is computed that
        way: estimates, log-likelihood, standard errors and ``n`` (the sum of the
        weights) are those of the repeated data, and ``result.weights`` records the
        counts. Memory grows with the sum of the weights (at most 1e8 is accepted).
        Case (importance) weights, non-integer weights, are not supported: their
        standard errors need a sandwich estimator, and a fit that silently treated
        them as counts would report wrong ones.

    Returns
    -------
    MLEResult
        Estimates, standard errors, covariance, log-likelihood, AIC/BIC, an
        honest convergence flag and message, and for numerical fits the
        optimizer's ``trace`` (iterates in the family's parameters).

    Notes
    -----
    Equivalents elsewhere: ``scipy.stats.<dist>.fit`` (estimates only),
    ``scipy.stats.fit``, statsmodels ``GenericLikelihoodModel(...).fit()``,
    R ``MASS::fitdistr``, ``stats4::mle``.

    Raises
    ------
    ValueError
        For bad data (empty, NaN/inf, outside the support), an unknown
        method, bad starting values, a prior without ``fit_map``, bad weights
        (not one per data value, negative, non-finite, not whole numbers, all 0),
        or data for which no MLE exists (e.g. a Normal variance from identical
        values).
    """
    censored = _is_censored(data)
    if censored and weights is not None:
        raise ValueError(
            "fit: weights with censored data are not supported; repeat the observations in the CensoredData instead."
        )
    if censored and prior is not None:
        raise ValueError("fit: a prior with censored data is not supported (MAP is for fully observed data).")
    if weights is not None:
        arr = as_data(data, getattr(family, "name", "fit"))
        counts = frequency_weights(arr, weights)
        result = fit(
            family, np.repeat(arr, counts), method=method, start=start, prior=prior, tol=tol,
            max_iter=max_iter, scipy_method=scipy_method,
        )
        return replace(result, weights=counts) if isinstance(result, MLEResult) else result
    if prior is not None:
        fit_map = getattr(prior, "fit_map", None)
        if not callable(fit_map) and (isinstance(prior, dict) or callable(prior)):
            from .priors import LogPrior

            prior = LogPrior(prior)
            fit_map = prior.fit_map
        if not callable(fit_map):
            raise ValueError(
                f"fit: prior must be a log-prior callable logprior(params) -> float, a dict of frozen "
                f"scipy.stats distributions per parameter, or an object with a method "
                f"fit_map(family, data, **options) (see mlekit.priors), got {prior!r}."
            )
        options = {}
        if method != "auto":
            options["method"] = method
        if start is not None:
            options["start"] = start
        if tol is not _UNSET:
            options["tol"] = tol
        if max_iter is not _UNSET:
            options["max_iter"] = max_iter
        if scipy_method != "BFGS":
            options["scipy_method"] = scipy_method
        return fit_map(family, data, **options)
    if not isinstance(family, Family):
        raise ValueError(f"fit: family must be an mlekit family such as mlekit.Bernoulli(), got {family!r}.")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"fit: unknown method {method!r}; choose one of {', '.join(_METHODS)}.")
    opts = _optimizer_options(tol, max_iter)
    if start is not None and not isinstance(start, dict):
        raise ValueError(f"fit: start must be a dict {{name: value}}, got {start!r}.")
    if censored:
        from .censored import fit_censored

        if method == "scipy":
            opts["scipy_method"] = scipy_method
        return fit_censored(family, data, method=method, start=start, options=opts)

    if method == "closed-form" and not family.has_closed_form:
        raise ValueError(f"fit: {family.name} has no closed-form MLE; use method='auto' or 'newton'.")
    # The data are read and checked once, here: as_data gives a 1-D array (floats as
    # float64), the family's own check (inside _closed_form_fit / _auto_route, or
    # check_data's) its support; everything below receives that array and trusts it.
    # NumPy's floating-point warnings are off from here on: every result is checked for
    # inf, NaN, over- and underflow before it is returned (and a Python float overflow
    # becomes a ValueError that says so).
    with float_errors("fit", f"fitting {family.name}"):
        arr = as_data(data, family.name)
        if method in ("auto", "closed-form") and family.has_closed_form and start is None:
            x, params, loglik = family._closed_form_fit(arr)
            return _closed_form_result(family, x, params, loglik)
        if method == "auto" and start is None and not opts:
            x, route = family._auto_route(arr)
            if route is not None:
                params, trace, objective = route
                if params is not None:
                    return _numerical_result(family, x, params, trace, objective, "auto")
                return _generic(family, x, "newton", None, {}, objective, label="auto")
        else:
            x = family._check_support(arr)
        if method == "auto":
            return _generic(family, x, "newton", start, opts, None, label="auto")
        return _generic(family, x, method, start, opts, None, scipy_method=scipy_method)


def _optimizer_options(tol=_UNSET, max_iter=_UNSET, owner: str = "fit") -> dict:
    """``tol`` and ``max_iter`` checked, as the keyword arguments of the optimizers (only those given)."""
    opts = {}
    if tol is not _UNSET:
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (0 < tol < 1):
            raise ValueError(f"{owner}: tol must be a number in (0, 1), got {tol!r}.")
        opts["tol"] = float(tol)
    if max_iter is not _UNSET:
        if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
            raise ValueError(f"{owner}: max_iter must be a positive integer, got {max_iter!r}.")
        opts["max_iter"] = int(max_iter)
    return opts


def _is_censored(data) -> bool:
    """A ``scipy.stats.CensoredData`` (recognized without importing scipy.stats)."""
    t = type(data)
    return t.__name__ == "CensoredData" and t.__module__.startswith("scipy.stats")


#: the largest sum of frequency weights accepted (the data are repeated: 8e8 bytes as float64)
MAX_TOTAL_WEIGHT = 10**8


def frequency_weights(arr: np.ndarray, weights, owner: str = "fit") -> np.ndarray:
    """Check frequency weights against the data ``arr``: one non-negative whole number per value.

    Returns the weights as ``int64``; raises ``ValueError`` naming ``weights`` and
    the first bad entry otherwise (wrong length or shape, not numbers, booleans,
    NaN or infinite, negative, not whole, all zero, or a sum above
    :data:`MAX_TOTAL_WEIGHT`).
    """
    try:
        w = np.asarray(weights)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{owner}: weights could not be read as an array of counts ({exc}).") from None
    if w.dtype == np.bool_:
        raise ValueError(f"{owner}: weights must be integer counts, got booleans (use weights.astype(int) for 0/1 counts).")
    if w.dtype == object or not np.issubdtype(w.dtype, np.number) or np.issubdtype(w.dtype, np.complexfloating):
        raise ValueError(f"{owner}: weights must be real numbers (integer counts), got an array of dtype {w.dtype}.")
    if w.ndim != 1 or w.size != arr.size:
        raise ValueError(
            f"{owner}: weights must hold one count per data value ({arr.size} of them, one-dimensional), "
            f"got shape {w.shape}."
        )
    if w.dtype.kind == "f":
        bad = ~np.isfinite(w)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{owner}: weights must be finite, but index {i} holds {w[i].item()!r}.")
        bad = w != np.round(w)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{owner}: weights are frequency weights (whole-number counts), but index {i} holds {w[i].item()!r}; "
                "case weights are not supported."
            )
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"{owner}: weights must be >= 0 (counts), but index {i} holds {w[i].item()!r}.")
    total = float(np.sum(w, dtype=float))
    if total == 0:
        raise ValueError(f"{owner}: weights are all 0: no observation is left to fit.")
    if total > MAX_TOTAL_WEIGHT:
        raise ValueError(
            f"{owner}: weights sum to {total:.6g}, above the {MAX_TOTAL_WEIGHT:.0e} observations a weighted fit "
            "(which repeats each value its weight times) accepts."
        )
    return w.astype(np.int64)


def _positive_params_in_range(family: Family, params: dict) -> str:
    """"" when every positive parameter (a scale, rate, shape, mean on (0, inf)) lies in
    [SMALL, BIG] (or is 0, a boundary estimate); else the first offender, in words."""
    for spec in family.params:
        if spec.size is None and spec.lower == 0 and spec.upper == np.inf:
            v = params[spec.name]
            if v != 0 and not (SMALL <= v <= BIG):
                return f"{spec.name} = {v:.3g} is outside [{SMALL:g}, {BIG:g}], where its variance over- or underflows float64"
    return ""


# ----------------------------------------------------------- closed forms
def _closed_form_result(family: Family, x: np.ndarray, params: dict, loglik: float) -> MLEResult:
    n = x.size
    name = family.name
    finite = all(np.all(np.isfinite(v)) for v in params.values())
    problem = "" if finite else f"the estimate {params!r} is not finite"
    problem = problem or _positive_params_in_range(family, params)
    if not problem and not np.isfinite(loglik):
        problem = f"the log-likelihood at the estimate is {loglik}"
    if problem:
        raise ValueError(f"fit: {name}: {problem}: the data are of a magnitude float64 cannot handle here; {RESCALE}.")
    boundary = family.boundary(**params)
    cov, cov_names, information = family._closed_form_cov(x, params)
    d = np.diag(cov)
    edge = set(boundary)
    ok = np.isfinite(cov).all() and all(d[i] >= np.finfo(float).tiny for i, c in enumerate(cov_names) if c not in edge)
    if not ok:
        raise ValueError(
            f"fit: {name}: the covariance of the estimate {params!r} leaves the range of float64 "
            f"(diagonal {d}); the data are of a magnitude float64 cannot handle here: {RESCALE}."
        )
    se = _se_by_param(family, params, cov)
    converged = True
    if boundary:
        message = (
            f"closed-form MLE; {', '.join(boundary)} on the boundary of the parameter space "
            "(Wald intervals are degenerate there)"
        )
    else:
        message = "closed-form MLE"
    return MLEResult(
        family=family,
        params=params,
        se=se,
        cov=cov,
        cov_names=cov_names,
        loglik=float(loglik),
        n=n,
        converged=converged,
        message=message,
        method="closed-form",
        iterations=0,
        boundary=boundary,
        information=information,
        data_id=data_digest(x),
    )


def _se_by_param(family: Family, params: dict, cov: np.ndarray) -> dict:
    """Square roots of the covariance diagonal, shaped like ``params``."""
    with np.errstate(invalid="ignore"):
        d = np.diag(cov)
        sd = np.where(np.isnan(d), np.nan, np.sqrt(np.clip(d, 0.0, None)))
    out, i = {}, 0
    for name, value in params.items():
        size = np.size(value)
        out[name] = float(sd[i]) if np.ndim(value) == 0 else sd[i : i + size].copy()
        i += size
    return out


# --------------------------------------------------------- numerical fits
def _transforms(family: Family):
    """Per parameter: (to_theta, dtheta/deta, d2theta/deta2, to_eta) for the unconstrained coordinate."""
    return [_transform(s.lower, s.upper) for s in family.params]


@functools.lru_cache(maxsize=64)
def _transform(lo, hi):
    """The transform of a parameter on ``(lo, hi)``; cached (building the closures anew
    for every fit cost ~10 us, measured)."""
    if np.isfinite(lo) and np.isfinite(hi):
        w = hi - lo

        def f(e, lo=lo, w=w):
            return lo + w * _expit(e)

        def d1(e, w=w):
            q = _expit(e)
            return w * q * (1 - q)

        def d2(e, w=w):
            q = _expit(e)
            return w * q * (1 - q) * (1 - 2 * q)

        def inv(t, lo=lo, w=w):
            q = (t - lo) / w
            return np.log(q) - np.log1p(-q)

    elif np.isfinite(lo):

        def f(e, lo=lo):
            return lo + np.exp(e)

        def d1(e):
            return np.exp(e)

        d2 = d1

        def inv(t, lo=lo):
            return np.log(t - lo)

    elif np.isfinite(hi):

        def f(e, hi=hi):
            return hi - np.exp(e)

        def d1(e):
            return -np.exp(e)

        d2 = d1

        def inv(t, hi=hi):
            return np.log(hi - t)

    else:

        def f(e):
            return e

        def d1(e):
            return 1.0

        def d2(e):
            return 0.0

        def inv(t):
            return t

    return f, d1, d2, inv


def _expit(e):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-e))


def _generic(family, x, method, start, opts, objective, *, label=None, scipy_method="BFGS", mle_must_exist=True):
    name = family.name
    if not family.differentiable:
        raise ValueError(
            f"fit: method {method!r} needs a differentiable log-likelihood, but {name}'s is not "
            "differentiable at its maximum (see its docstring); use method='closed-form'."
        )
    if any(s.size is not None for s in family.params):
        raise ValueError(
            f"fit: the numerical methods work on scalar parameters; {name} has a vector parameter. "
            "Use method='closed-form'."
        )
    names = family.param_names
    if mle_must_exist:  # a MAP fit (mlekit.priors.LogPrior) may exist where the MLE does not
        family._check_mle_exists(x)
    if start is None:
        p0 = family._start(x)
        try:
            p0 = family.check_params(p0, interior=True, where="fit", moderate=True)
        except ValueError as exc:
            raise ValueError(
                f"fit: the default starting values for {name} ({p0!r}) follow the data's magnitude and are "
                f"unusable: {exc}"
            ) from None
    else:
        p0 = family.check_params(start, interior=True, where="fit(start=...)", moderate=True)
    p0 = {k: float(v) for k, v in p0.items()}
    lf, sf, hf = objective if objective is not None else family._objective(x)
    tr = _transforms(family)

    specs = family.params
    # Newton asks for L, then S, then H at the same point (S after accepting a step, H
    # at the start of the next iteration): the last point's parameters, Jacobian and
    # score are kept (measured on Beta: ~1/3 of the cost of a Hessian evaluation).
    last = {"key": None}

    def at(eta):
        key = eta.tobytes()
        if last["key"] != key:
            last.clear()
            last.update(key=key, p={nm: float(t[0](e)) for nm, t, e in zip(names, tr, eta)})
        return last

    def L(eta):
        p = at(eta)["p"]
        if not all(s.contains(p[s.name], interior=True) for s in specs):
            return -np.inf
        try:
            return lf(p)
        except ValueError:
            return -np.inf

    def score_parts(eta):
        c = at(eta)
        if "score" not in c:
            c["j"] = np.array([t[1](e) for t, e in zip(tr, eta)])
            c["score"] = sf(c["p"])
        return c

    def S(eta):
        c = score_parts(eta)
        return c["score"] * c["j"]

    def H(eta):
        c = score_parts(eta)
        j = c["j"]
        j2 = np.array([t[2](e) for t, e in zip(tr, eta)])
        return j[:, None] * hf(c["p"]) * j[None, :] + np.diag(c["score"] * j2)

    eta0 = np.array([float(t[3](p0[nm])) for nm, t in zip(names, tr)])
    l0 = L(eta0)
    if not np.isfinite(l0):
        if isinstance(family, CustomFamily):
            lp = family._logpdf(x, p0)
            bad = np.flatnonzero(~np.isfinite(lp))
            if bad.size:
                i = int(bad[0])
                raise ValueError(
                    f"fit: {name}'s log-density is {lp[i]} at data index {i} (value {x[i]!r}) for the start "
                    f"{p0!r}: is that value outside the model's support, or the start poor?"
                )
        raise ValueError(f"fit: the log-likelihood of {name} at the start {p0!r} is not finite; choose another start.")
    custom_derivatives = isinstance(family, CustomFamily) and (
        family._user_score is not None or family._user_hessian is not None
    )
    if custom_derivatives:
        family._check_derivatives(x, p0, "at the start")
    with np.errstate(all="ignore"):
        if method == "newton":
            trace = _opt.newton_raphson(L, S, H, eta0, **opts)
        elif method == "gradient":
            trace = _opt.gradient_ascent(L, S, eta0, hessian=H, **opts)
        else:
            trace = _opt.scipy_minimize(L, S, eta0, hessian=H, method=scipy_method, **opts)
    # one call per parameter on its column (not one per iterate and parameter); same values
    iterates = np.empty_like(trace.iterates)
    for i, t in enumerate(tr):
        iterates[:, i] = t[0](trace.iterates[:, i])
    trace = replace(trace, iterates=iterates)
    params = dict(zip(names, map(float, iterates[-1])))
    if custom_derivatives and all(s.contains(params[s.name], interior=True) for s in specs):
        family._check_derivatives(x, params, "at the estimate")
    return _numerical_result(family, x, params, trace, (lf, sf, hf), label or method)


def _flat_direction(family, lf, params, loglik, cov) -> str:
    """"" unless a positive parameter's estimate is not determined: its standard error on
    the log scale exceeds 1/2 and the log-likelihood does not fall when the parameter is
    multiplied or divided by e (the others held fixed).

    This is how a supremum at infinity (a t with df -> infinity, a negative binomial
    with size -> infinity) or at 0 shows up: the likelihood there is so flat that the
    curvature shrinks with the gradient, the Newton decrement becomes small, and every
    local test passes, at a point that is no maximum at all.
    """
    noise = 64 * np.finfo(float).eps * max(1.0, abs(loglik))
    for i, spec in enumerate(family.params):
        if not (spec.size is None and spec.lower == 0 and spec.upper == np.inf):
            continue
        v = params[spec.name]
        if not np.sqrt(cov[i, i]) > 0.5 * v:
            continue
        for factor in (np.e, 1 / np.e):
            q = dict(params)
            q[spec.name] = v * factor
            with np.errstate(all="ignore"):
                try:
                    other = float(lf(q))
                except (ArithmeticError, ValueError):
                    continue
            if other >= loglik - noise:
                way = "infinity" if factor > 1 else "0"
                return (
                    f"the log-likelihood does not fall when {spec.name} = {v:.4g} is multiplied by "
                    f"{factor:.3g} (its standard error on the log scale is {np.sqrt(cov[i, i]) / v:.3g}): the estimate "
                    f"is not determined, and the likelihood may be largest as {spec.name} -> {way}"
                )
    return ""


def _numerical_result(family, x, params, trace, objective, method) -> MLEResult:
    """The result of a numerical fit, after the last check at the estimate.

    ``converged`` is True only if the optimizer converged **and**, at the estimate, in
    the family's own parameters: every parameter is finite and interior (positive ones
    within [1e-150, 1e150]), the log-likelihood is finite, the analytic score and
    Hessian are finite, the Hessian is negative definite and the Newton decrement
    :math:`g^\top(-H)^{-1}g` is at most 1e-6 (the estimate is within 1e-3 standard
    errors of the maximum; see :mod:`mlekit.optimize`), and the covariance (the
    inverse observed information) is finite with positive variances.
    """
    lf, sf, hf = objective
    n = x.size
    k = family.n_free
    finite_params = all(np.isfinite(v) for v in params.values())
    inside = finite_params and all(s.contains(params[s.name], interior=True) for s in family.params)
    out_of_range = _positive_params_in_range(family, params) if inside else ""
    loglik = -np.inf
    cov = np.full((k, k), np.nan)
    problem = ""
    if not inside:
        problem = "the estimate is not finite or not inside the parameter space"
    elif out_of_range:
        problem = f"{out_of_range}; {RESCALE}"
    else:
        with np.errstate(all="ignore"):
            try:
                loglik = float(lf(params))
                g = np.asarray(sf(params), dtype=float).reshape(k)
                Hm = np.asarray(hf(params), dtype=float).reshape(k, k)
            except (ArithmeticError, ValueError):
                loglik, g, Hm = -np.inf, np.full(k, np.nan), np.full((k, k), np.nan)
        if not np.isfinite(loglik):
            problem = f"the log-likelihood at the estimate is {loglik}"
        else:
            chk = _opt._check_maximum(g, Hm)
            if not chk.negative_definite:
                problem = f"at the estimate {chk.reason}"
            else:
                with np.errstate(all="ignore"):
                    try:
                        cov = inverse_pd(-Hm)
                    except np.linalg.LinAlgError:
                        cov = np.full((k, k), np.nan)
                    var_ok = bool(np.isfinite(cov).all() and np.all(np.diag(cov) >= np.finfo(float).tiny))
                if not var_ok:
                    cov = np.full((k, k), np.nan)
                    problem = "the covariance (inverse observed information) at the estimate leaves the range of float64"
                elif not chk.ok:
                    problem = f"at the estimate {chk.reason}"
        if not problem and np.isfinite(cov).all():
            problem = _flat_direction(family, lf, params, loglik, cov)
    converged = bool(trace.converged and not problem)
    boundary = family.boundary(**params) if inside else ()
    if converged:
        message = trace.message
    elif not trace.converged:
        reason = problem.removeprefix("at the estimate ")
        message = trace.message + (f"; {problem}" if problem and reason not in trace.message else "")
    else:
        message = f"not converged: the optimizer stopped ({trace.message}), but {problem}"
    if not converged and finite_params:
        message += family._diagnose(params)
    if not converged:
        cov = np.full((k, k), np.nan)  # no standard errors for an estimate that is not one
    se = _se_by_param(family, params, cov)
    return MLEResult(
        family=family,
        params=params,
        se=se,
        cov=cov,
        cov_names=family.coord_names,
        loglik=float(loglik),
        n=n,
        converged=converged,
        message=message,
        method=method if method != "auto" else f"auto ({trace.method})",
        iterations=trace.iterations,
        boundary=boundary,
        information="observed",
        trace=trace,
        data_id=data_digest(x),
    )
