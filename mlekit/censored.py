r"""Maximum likelihood for censored data: ``fit(family, scipy.stats.CensoredData(...))``.

An observation may be known exactly (*uncensored*), only to lie below a value
(*left-censored*, e.g. under a detection limit), above a value (*right-censored*,
e.g. a unit still working when the study ended) or between two values
(*interval-censored*, e.g. a failure found at an inspection). The input type is
scipy's :class:`scipy.stats.CensoredData` (the field's standard container, also
accepted by ``scipy.stats.<dist>.fit``)::

    from scipy.stats import CensoredData
    # still_running: a boolean mask of the right-censored times
    data = CensoredData.right_censored(times, still_running)
    data = CensoredData(uncensored=x, left=below, right=above,
                        interval=[[a, b], ...])
    result = mlekit.fit(mlekit.Weibull(), data)

Each kind of observation contributes its probability to the log-likelihood
(R ``fitdistrplus::fitdistcens``; scipy ``rv_continuous.fit`` with
``CensoredData``):

.. math::
    \ell(\theta) = \sum_{\text{exact}} \log f(x_i) + \sum_{\text{left}} \log F(x_i)
    + \sum_{\text{right}} \log S(x_i) + \sum_{\text{interval}} \log\big(F(b_i) - F(a_i)\big),

with :math:`F` the cdf and :math:`S = 1 - F` the survival function (scipy's
``logcdf``/``logsf``; an interval's probability as a difference of cdfs below the
median and of survival functions above it, where the cdfs round to 1).

The maximum is found by the generic Newton-Raphson of :func:`mlekit.fit` (log /
logit working parameters), with the score and Hessian by finite differences of
the log-likelihood (as for a :class:`~mlekit.families.CustomFamily`, whose
machinery this uses): the standard errors are from this numerical observed
information. ``converged`` means what it means for every numerical fit (see
:mod:`mlekit.fit`). Fixed parameters (``Gamma(shape=2.0)``) are honoured.

Supported: the continuous families with a differentiable likelihood, ``Normal``,
``Exponential``, ``Gamma``, ``Weibull``, ``Beta``, ``StudentT``, ``LogNormal``.
``Uniform`` and ``Laplace`` (not differentiable), discrete families and a
``CustomFamily`` (no cdf) are refused with a ``ValueError``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import _frozen
from ._lazy import stats
from ._validation import data_digest
from .families import CustomFamily, Family
from .results import MLEResult

__all__ = ["censored_loglik", "SUPPORTED"]


def _supported() -> tuple[str, ...]:
    """mlekit's continuous families with a differentiable likelihood and a scipy counterpart."""
    from . import families

    out = []
    for name in _frozen._SCIPY:
        cls = getattr(families, name, None)
        if cls is not None and not cls.discrete and cls.differentiable:
            out.append(name)
    return tuple(out)


#: the families whose censored likelihood ``fit`` maximizes (their cdf from mlekit._frozen's scipy table)
SUPPORTED = _supported()


def _check_family(family, owner: str) -> None:
    if not isinstance(family, Family):
        raise ValueError(f"{owner}: family must be an mlekit family such as mlekit.Weibull(), got {family!r}.")
    name = type(family).__name__
    if isinstance(family, CustomFamily) or type(family).__module__ != "mlekit.families":
        raise ValueError(
            f"{owner}: censored data need the family's cdf, which {family!r} does not have; "
            f"censored fits support {', '.join(SUPPORTED)}."
        )
    if family.discrete:
        raise ValueError(
            f"{owner}: {family!r} is discrete; censored fits support the continuous families {', '.join(SUPPORTED)}."
        )
    if name not in SUPPORTED:
        why = " (its likelihood is not differentiable)" if not family.differentiable else ""
        raise ValueError(f"{owner}: censored data are not supported for {family!r}{why}; supported: {', '.join(SUPPORTED)}.")


def _parts(data, owner: str):
    """The four kinds of observation of a ``CensoredData``, as float arrays."""
    try:
        u, left, right, interval = data._uncensored, data._left, data._right, data._interval
    except AttributeError:  # pragma: no cover - scipy changed the container's layout
        raise ValueError(
            f"{owner}: cannot read this scipy.stats.CensoredData (its layout differs from scipy 1.17's)."
        ) from None
    interval = np.asarray(interval, dtype=float).reshape(-1, 2)
    parts = tuple(np.asarray(a, dtype=float).reshape(-1) for a in (u, left, right)) + (interval[:, 0], interval[:, 1])
    if sum(p.size for p in parts[:4]) == 0:
        raise ValueError(f"{owner}: the censored data hold no observation.")
    return parts


def _terms(family: Family, parts, p: dict) -> np.ndarray:
    """Per-observation log-likelihood contributions (exact, left, right, interval, in that order)."""
    dist = _frozen.frozen(family, p, "fit")
    u, left, right, a, b = parts
    with np.errstate(all="ignore"):
        out = [dist.logpdf(u), dist.logcdf(left), dist.logsf(right)]
        if a.size:
            # log(F(b) - F(a)) from the cdfs in the lower half, from the survival functions in
            # the upper half (where both cdfs round to 1 and their difference to 0)
            lo_a, lo_b = dist.logcdf(a), dist.logcdf(b)
            hi_a, hi_b = dist.logsf(a), dist.logsf(b)
            by_cdf = lo_b + np.log1p(-np.exp(lo_a - lo_b))
            by_sf = hi_a + np.log1p(-np.exp(hi_b - hi_a))
            out.append(np.where(lo_a < np.log(0.5), by_cdf, by_sf))
    return np.concatenate(out)


def censored_loglik(family: Family, data, **params) -> float:
    r"""The censored-data log-likelihood of ``family`` at ``params`` (the free parameters).

    Parameters
    ----------
    family : Family
        One of the supported continuous families (see the module docstring).
    data : scipy.stats.CensoredData
        The observations.
    **params : float
        The family's (free) parameters.

    Returns
    -------
    float
        :math:`\sum\log f + \sum\log F + \sum\log S + \sum\log(F(b)-F(a))`.
    """
    owner = "censored_loglik"
    _check_family(family, owner)
    if not isinstance(data, stats.CensoredData):
        raise ValueError(f"{owner}: data must be a scipy.stats.CensoredData, got {type(data).__name__}.")
    p = family.check_params(params, where=owner)
    return float(np.sum(_terms(family, _parts(data, owner), p)))


def _start(family: Family, parts, owner: str) -> dict:
    """The MLE of the family on the data with every censored value taken at face value
    (an interval at its midpoint, a left or right bound at the bound): near the answer
    when little is censored, and inside the support when the values are."""
    u, left, right, a, b = parts
    pseudo = np.concatenate([u, left, right, 0.5 * (a + b)])
    try:
        inside = family.check_data(pseudo)
    except ValueError:
        keep = []
        for v in pseudo:
            try:
                family.check_data([v])
                keep.append(v)
            except ValueError:
                pass
        inside = np.array(keep)
    from .fit import fit

    try:
        naive = fit(family, inside)
        start = naive.params
    except ValueError as exc:
        raise ValueError(
            f"{owner}: could not find starting values for the censored fit of {family!r} from the data taken at "
            f"face value ({exc}); give start={{...}}."
        ) from None
    if not all(s.contains(start[s.name], interior=True) for s in family.params):
        raise ValueError(f"{owner}: the starting values {start!r} are not inside the parameter space; give start={{...}}.")
    return start


def fit_censored(family: Family, data, *, method: str, start, options: dict) -> MLEResult:
    """``mlekit.fit`` for a ``scipy.stats.CensoredData``: see the module docstring."""
    from .fit import fit

    owner = "fit"
    _check_family(family, owner)
    if method == "closed-form":
        raise ValueError(f"{owner}: censored data have no closed-form MLE; use method='auto' or 'newton'.")
    parts = _parts(data, owner)
    if parts[0].size:
        try:
            family.check_data(parts[0])  # the exact values must lie in the support
        except ValueError as exc:
            raise ValueError(f"{owner}: an uncensored observation lies outside {family!r}'s support: {exc}") from None
    p0 = start if start is not None else _start(family, parts, owner)
    kinds = ("uncensored", "left", "right", "interval")
    sizes = [parts[0].size, parts[1].size, parts[2].size, parts[3].size]
    labels = np.repeat(np.arange(4), sizes)
    values = np.concatenate(parts[:4])
    p0 = family.check_params(dict(p0), interior=True, where="fit(start=...)")
    at_start = _terms(family, parts, p0)
    bad = ~np.isfinite(at_start)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = kinds[labels[i]]
        j = i - sum(sizes[:3])
        shown = float(values[i]) if labels[i] != 3 else (float(parts[3][j]), float(parts[4][j]))
        raise ValueError(
            f"{owner}: the {what} observation {shown!r} has probability 0 (log-likelihood {at_start[i]}) under "
            f"{family!r} at the start {p0!r}: it lies outside the family's support (e.g. a left-censoring bound "
            "at or below 0 for a positive family), or give another start."
        )

    def logpdf(x, **p):
        return _terms(family, parts, p)

    model = CustomFamily(
        logpdf,
        family.param_names,
        domains={s.name: (s.lower, s.upper) for s in family.params},
        name=f"{family!r} (censored data)",
    )
    res = fit(model, np.arange(values.size, dtype=float), method="newton" if method == "auto" else method,
              start=p0, **options)
    digest = data_digest(np.concatenate([*parts, np.array(sizes, dtype=float)]))
    return replace(
        res,
        family=family,
        method=f"censored likelihood, {res.method} (finite-difference derivatives)",
        data_id=digest,
        censoring=dict(zip(kinds, sizes)),
    )
