"""``fit(family, data)``: the one entry point that turns data into an :class:`MLEResult`."""

from __future__ import annotations

import numpy as np

from .families import Family
from .results import MLEResult

__all__ = ["fit"]

_METHODS = ("auto", "closed-form")


def fit(family: Family, data, *, method: str = "auto") -> MLEResult:
    """Maximum-likelihood fit of ``family`` to ``data``.

    Parameters
    ----------
    family : Family
        A family instance, e.g. ``Bernoulli()`` or ``Normal(sigma2=4.0)``.
    data : array_like
        One-dimensional observations in the family's support.
    method : {"auto", "closed-form"}
        ``"auto"`` uses the closed-form MLE where the family has one.

    Returns
    -------
    MLEResult
        Estimates, standard errors from the expected information at the
        estimate, Wald intervals, log-likelihood, AIC/BIC and a convergence flag.

    Notes
    -----
    Equivalents elsewhere: ``scipy.stats.<dist>.fit`` (estimates only),
    statsmodels ``GenericLikelihoodModel(...).fit()``, R ``MASS::fitdistr``.

    Raises
    ------
    ValueError
        For bad data (empty, NaN/inf, outside the support), an unknown method,
        or data for which no MLE exists (e.g. a Normal variance from identical values).
    """
    if not isinstance(family, Family):
        raise ValueError(f"fit: family must be an mlekit family such as mlekit.Bernoulli(), got {family!r}.")
    if method not in _METHODS:
        raise ValueError(f"fit: unknown method {method!r}; choose one of {', '.join(_METHODS)}.")
    if not family.has_closed_form:
        raise ValueError(f"fit: {family.name} has no closed-form MLE and no numerical method is available for it.")
    x = family.check_data(data)
    params = family._mle(x)
    return _closed_form_result(family, x, params)


def _closed_form_result(family: Family, x: np.ndarray, params: dict) -> MLEResult:
    n = x.size
    loglik = float(family._loglik(x, params))
    boundary = family.boundary(**params)
    cov, cov_names = family.inverse_information(n, **params)
    se = _se_by_param(family, params, cov)
    converged = bool(np.isfinite(loglik))
    if not converged:
        message = "the log-likelihood at the closed-form estimate is not finite"
    elif boundary:
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
        loglik=loglik,
        n=n,
        converged=converged,
        message=message,
        method="closed-form",
        iterations=0,
        boundary=boundary,
        information="expected",
    )


def _se_by_param(family: Family, params: dict, cov: np.ndarray) -> dict:
    """Square roots of the covariance diagonal, shaped like ``params``."""
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    out, i = {}, 0
    for name, value in params.items():
        size = np.size(value)
        out[name] = float(sd[i]) if np.ndim(value) == 0 else sd[i : i + size].copy()
        i += size
    return out
