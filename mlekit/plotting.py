"""Figures of the course: log-likelihood curves and surfaces, optimizer paths, fits vs data.

Every function takes ``ax=None`` (a new figure is made when omitted), returns
the ``matplotlib.axes.Axes`` it drew on, and sets a title, axis labels and a
legend. matplotlib is imported only when a function is called, so
``import mlekit`` stays light.

What to use when
----------------
- :func:`plot_loglik`: the log-likelihood (or profile log-likelihood) of one
  parameter, with the MLE and a likelihood-ratio or Wald interval marked.
- :func:`plot_loglik_surface`: contours of a two-parameter log-likelihood with
  an optimizer's path (an ``(T, 2)`` array or a trace with ``iterates``).
- :func:`plot_fit`: the fitted density (or pmf) over a histogram of the data;
  a mixture's density and components; a logistic regression's calibration.
- :func:`qq_plot`: sample quantiles against the fitted model's quantiles.
"""

from __future__ import annotations

import numbers

import numpy as np
from ._lazy import stats

from .families import Bernoulli, Binomial, Categorical, CustomFamily, Family
from .results import MLEResult

__all__ = ["plot_loglik", "plot_loglik_surface", "plot_fit", "qq_plot"]


def _axes(ax, owner: str = "plotting"):
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise ValueError(f"{owner}: ax must be a matplotlib Axes (e.g. from plt.subplots()) or None, got {ax!r}.")
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _check_count(value, owner: str, name: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi]: enough points to draw a line, not so many that drawing takes minutes."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{owner}: {name} must be an integer from {lo} to {hi}, got {value!r}.")
    return int(value)


def _finite_values(values, owner: str, name: str, *, increasing: bool = False, at_least: int = 1) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1 or arr.size < at_least or not np.isfinite(arr).all():
        raise ValueError(f"{owner}: {name} must be a 1-D array of at least {at_least} finite numbers, got {values!r}.")
    if increasing and not np.all(np.diff(arr) > 0):
        raise ValueError(f"{owner}: {name} must be strictly increasing, got {values!r}.")
    return arr


_HIST_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")


def _result_for(family, x, result, owner):
    from .fit import fit

    if result is None:
        return fit(family, x)
    if not isinstance(result, MLEResult):
        raise ValueError(f"{owner}: result must be an MLEResult, got {result!r}.")
    return result


def plot_loglik(
    family: Family,
    data,
    param: str | None = None,
    *,
    result: MLEResult | None = None,
    interval: str | None = "lr",
    level: float = 0.95,
    grid=None,
    num: int = 201,
    ax=None,
):
    r"""Plot the (profile) log-likelihood of one parameter, marking the MLE and an interval.

    Parameters
    ----------
    family : Family
    data : array_like
    param : str, optional
        Required for multi-parameter families; the others are maximized out
        (profile log-likelihood).
    result : MLEResult, optional
        A fit of ``family`` to ``data``.
    interval : {"lr", "wald", None}
        Which interval to mark: likelihood-ratio (with the cutoff line
        :math:`\ell(\hat\theta) - \chi^2_1(\text{level})/2`) or Wald.
    level : float
    grid : array_like, optional
        Parameter values to plot; default spans the LR interval generously,
        within the parameter's domain.
    num : int
        Number of grid points when ``grid`` is None.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Line 0 is the curve (label ``"log-likelihood"`` or ``"profile log-likelihood"``);
        the MLE is a marker labelled ``"MLE"``.
    """
    from .inference import _check_family, _only_param, profile_interval, profile_loglik

    owner = "plot_loglik"
    family = _check_family(family, owner)
    if interval not in ("lr", "wald", None):
        raise ValueError(f"{owner}: interval must be 'lr', 'wald' or None, got {interval!r}.")
    num = _check_count(num, owner, "num", 2, 5001)  # each point of a profile is a maximization
    if grid is not None:
        grid = _finite_values(grid, owner, "grid", at_least=2)
        if grid.size > 5001:
            raise ValueError(f"{owner}: grid has {grid.size} points; at most 5001 (each is a profile maximization).")
    if ax is not None:
        _axes(ax, owner)
    x = family.check_data(data)
    param = _only_param(family, param, owner)
    result = _result_for(family, x, result, owner)
    if param not in result.params or np.ndim(result.params[param]) != 0:
        raise ValueError(f"{owner}: {param!r} is not a scalar parameter of {family!r}.")
    est = float(result.params[param])
    lr = profile_interval(family, x, param, level=level, result=result)
    spec = {s.name: s for s in family.params}[param]
    if grid is None:
        width = max(lr.upper - lr.lower, 1e-12)
        lo, hi = lr.lower - 0.6 * width, lr.upper + 0.6 * width
        span = spec.upper - spec.lower
        pad = 1e-6 * (span if np.isfinite(span) else max(1.0, abs(est)))
        # stay inside the domain; include a closed edge only when the interval reaches it
        if np.isfinite(spec.lower):
            lo = spec.lower if ("lower" in lr.boundary and not spec.lower_open) else max(lo, spec.lower + pad)
        if np.isfinite(spec.upper):
            hi = spec.upper if ("upper" in lr.boundary and not spec.upper_open) else min(hi, spec.upper - pad)
        grid = np.linspace(lo, hi, num)
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or not np.isfinite(grid).all():
        raise ValueError(f"{owner}: grid must be a 1-D array of at least 2 finite values, got shape {grid.shape}.")
    ell = profile_loglik(family, x, param, grid, result=result)
    ax = _axes(ax, owner)
    multi = len(family.param_names) > 1
    label = "profile log-likelihood" if multi else "log-likelihood"
    ax.plot(grid, ell, color="C0", label=label)
    ax.plot([est], [result.loglik], "o", color="C3", label="MLE", zorder=3)
    pct = f"{100 * level:g}%"
    if interval == "lr":
        cut = lr.loglik - lr.cutoff
        ax.axhline(cut, color="0.5", linestyle=":", label=r"cutoff $\ell(\hat\theta) - \chi^2_1/2$")
        ax.axvspan(lr.lower, lr.upper, color="C1", alpha=0.15, label=f"{pct} likelihood-ratio interval")
    elif interval == "wald":
        lo, hi = result.conf_int(level)[param]
        ax.axvspan(lo, hi, color="C2", alpha=0.15, label=f"{pct} Wald interval")
    finite = ell[np.isfinite(ell)]
    if finite.size:
        bottom = max(finite.min(), result.loglik - 4 * lr.cutoff)
        span = max(result.loglik - bottom, 1e-9 * max(1.0, abs(result.loglik)))  # never an empty range
        ax.set_ylim(bottom - 0.05 * span, result.loglik + 0.1 * span)
    ax.set_xlabel(param)
    ax.set_ylabel(label)
    ax.set_title(f"{label.capitalize()} of {param}: {family!r}, n = {x.size}")
    ax.legend(loc="best")
    return ax


def plot_loglik_surface(
    family: Family,
    data,
    *,
    params=None,
    ranges=None,
    path=None,
    result: MLEResult | None = None,
    num: int = 81,
    levels: int = 20,
    ax=None,
):
    """Contours of a two-parameter log-likelihood, with the MLE and an optional optimizer path.

    Parameters
    ----------
    family : Family
        With exactly two free scalar parameters (e.g. ``Normal()``), or give ``params``.
    data : array_like
    params : tuple of two str, optional
        Default: ``family.param_names``.
    ranges : ((lo, hi), (lo, hi)), optional
        Axis ranges; default: the MLE plus/minus 4 standard errors, inside the domain.
    path : ndarray of shape (T, 2) or object with ``iterates``, optional
        Optimizer iterates in the order of ``params`` (e.g. an ``OptimizeTrace``).
    result : MLEResult, optional
    num : int
        Grid points per axis.
    levels : int or array_like
        Number of contour levels (spaced quadratically below the maximum, so
        that the region near the MLE is detailed) or the levels themselves.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections`` holds the contour set; the MLE is a line labelled
        ``"MLE"`` (for a ``result`` that did not converge, a cross labelled
        ``"last iterate (the fit did not converge)"``) and the path one labelled
        ``"optimizer path"``.
    """
    owner = "plot_loglik_surface"
    if not isinstance(family, Family):
        raise ValueError(f"{owner}: family must be an mlekit family, got {family!r}.")
    num = _check_count(num, owner, "num", 2, 401)  # num**2 log-likelihoods
    if np.ndim(levels) == 0:
        levels = _check_count(levels, owner, "levels", 1, 1000)
    else:
        levels = _finite_values(levels, owner, "levels", increasing=True)
    if ax is not None:
        _axes(ax, owner)
    if params is not None and (isinstance(params, (str, bytes)) or not hasattr(params, "__iter__")):
        raise ValueError(f"{owner}: params must be two parameter names, e.g. ('mu', 'sigma2'), got {params!r}.")
    names = tuple(params) if params is not None else family.param_names
    if len(names) != 2 or set(names) != set(family.param_names) or any(s.size is not None for s in family.params):
        raise ValueError(
            f"{owner}: needs a family with exactly two scalar parameters to put on the axes; "
            f"{family!r} has {', '.join(family.param_names)}."
        )
    x = family.check_data(data)
    result = _result_for(family, x, result, owner)
    specs = {s.name: s for s in family.params}
    if ranges is None:
        ranges = []
        for n_ in names:
            est, se = float(result.params[n_]), float(result.se[n_])
            half = 4 * se if se > 0 else max(1.0, abs(est))
            lo, hi = est - half, est + half
            s = specs[n_]
            if np.isfinite(s.lower):
                lo = max(lo, s.lower + 1e-3 * (est - s.lower if est > s.lower else 1.0))
            if np.isfinite(s.upper):
                hi = min(hi, s.upper - 1e-3 * (s.upper - est if est < s.upper else 1.0))
            ranges.append((lo, hi))
    try:
        ranges = np.asarray(ranges, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: ranges must be ((lo, hi), (lo, hi)) with finite lo < hi, got {ranges!r}.") from None
    if ranges.shape != (2, 2) or not np.isfinite(ranges).all() or not np.all(ranges[:, 0] < ranges[:, 1]):
        raise ValueError(f"{owner}: ranges must be ((lo, hi), (lo, hi)) with lo < hi, got {ranges.tolist()}.")
    for n_, (lo, hi) in zip(names, ranges):
        if not (specs[n_].contains(lo) and specs[n_].contains(hi)):
            raise ValueError(f"{owner}: range [{lo:g}, {hi:g}] of {n_} leaves its domain {specs[n_].describe()}.")
    g0 = np.linspace(*ranges[0], num)
    g1 = np.linspace(*ranges[1], num)

    def ell(a, b):  # on the data checked above; a point the model cannot evaluate is left blank
        try:
            q = family.check_params({names[0]: a, names[1]: b}, where=owner)
            return family._loglik_checked(x, q, owner)
        except ValueError:
            return np.nan

    Z = np.array([[ell(a, b) for a in g0] for b in g1])
    Z[~np.isfinite(Z)] = np.nan
    if not np.isfinite(Z).any():
        raise ValueError(f"{owner}: the log-likelihood is not finite anywhere on the grid {ranges.tolist()}.")
    Z = np.ma.masked_invalid(Z)
    ax = _axes(ax, owner)
    if np.ndim(levels) == 0:  # quadratically spaced drops below the maximum: detail near the MLE
        top = max(float(Z.max()), float(result.loglik))
        drop = max(top - float(Z.min()), 1e-9 * max(1.0, abs(top)))
        levels = np.sort(top - np.linspace(0.0, np.sqrt(drop), int(levels) + 1)[1:] ** 2)
        levels = np.unique(levels)
        if levels.size < 2:
            levels = np.array([top - drop, top])
    cs = ax.contour(g0, g1, Z, levels=levels, cmap="viridis")
    ax.clabel(cs, inline=True, fontsize=7, fmt="%.4g")
    if result.converged:
        ax.plot([result.params[names[0]]], [result.params[names[1]]], "*", color="C3", markersize=12, label="MLE", zorder=4)
    else:  # not an MLE: say so instead of drawing the star
        ax.plot([result.params[names[0]]], [result.params[names[1]]], "X", color="C3", markersize=10,
                label="last iterate (the fit did not converge)", zorder=4)
    if path is not None:
        pts = getattr(path, "iterates", path)
        pts = np.asarray(pts, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 1:
            raise ValueError(f"{owner}: path must be an array of shape (T, 2) (or a trace with such iterates), got shape {pts.shape}.")
        ax.plot(pts[:, 0], pts[:, 1], "o-", color="C1", markersize=3, label="optimizer path", zorder=3)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"Log-likelihood contours: {family!r}, n = {x.size}")
    ax.legend(loc="best")
    return ax


def plot_fit(result, data, *, bins="auto", ax=None):
    """The fitted model over the data.

    - an :class:`~mlekit.MLEResult`: the fitted density over a density
      histogram (continuous), or the fitted pmf over observed frequencies (discrete);
    - a one-dimensional :class:`~mlekit.models.mixture.MixtureResult`: the
      mixture density and its weighted components over a density histogram;
    - a :class:`~mlekit.models.logistic.LogisticResult` (``data = (X, y)``): a
      calibration plot, the observed share of ``y = 1`` against the mean fitted
      probability in groups of observations sorted by fitted probability (the
      groups of the Hosmer-Lemeshow test).

    Parameters
    ----------
    result : MLEResult, MixtureResult or LogisticResult
        A fit; its parameters define the curve.
    data : array_like, or (X, y) for a logistic regression
        The observations (the same the model was fitted to).
    bins : int, sequence or str
        Passed to ``numpy.histogram`` for continuous data; for a logistic
        regression, the number of groups (``"auto"``: 10, fewer for small n).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The fitted curve (continuous) or pmf markers (discrete) is the line
        labelled ``"fitted ..."``; the data are bars labelled ``"data"``
        (mixtures add lines ``"component 1"``, ...; the calibration plot has the
        points ``"observed share"`` and the line ``"y = x"``).
    """
    from .models.logistic import LogisticResult
    from .models.mixture import MixtureResult

    owner = "plot_fit"
    if not isinstance(result, (MLEResult, MixtureResult, LogisticResult)):
        raise ValueError(
            f"{owner}: result must be an MLEResult from mlekit.fit (or a mixture or logistic-regression result), "
            f"got {result!r}."
        )
    if isinstance(bins, str):
        if bins not in _HIST_RULES:
            raise ValueError(f"{owner}: bins must be an integer, a sequence of edges or one of {', '.join(_HIST_RULES)}; got {bins!r}.")
    elif np.ndim(bins) == 0:
        bins = _check_count(bins, owner, "bins", 1, 10_000)
    else:
        bins = _finite_values(bins, owner, "bins", increasing=True, at_least=2)
    if ax is not None:
        _axes(ax, owner)
    if isinstance(result, LogisticResult):
        return _calibration(result, data, bins, ax, owner)
    if isinstance(result, MixtureResult):
        return _mixture_fit(result, data, bins, ax, owner)
    fam = result.family
    x = fam.check_data(data)
    if fam.discrete:
        if isinstance(fam, Categorical):
            support = np.arange(fam.k)
        else:
            hi = int(x.max())
            if isinstance(fam, (Bernoulli, Binomial)):
                hi = 1 if isinstance(fam, Bernoulli) else fam.n
            if hi > 10_000:
                raise ValueError(
                    f"{owner}: the counts reach {hi}; a bar per count from 0 would be {hi + 1} bars. "
                    "Plot a histogram of the counts instead (or a fit of their logarithm)."
                )
            support = np.arange(0, hi + 1)
        ax = _axes(ax, owner)
        freq = np.bincount(x.astype(np.intp), minlength=support.size)[: support.size] / x.size
        pmf = np.exp(fam._logdensity(support, fam.check_params(dict(result.params), where=owner), owner))
        ax.bar(support, freq, width=0.8, color="C0", alpha=0.5, label="data (relative frequency)")
        ax.plot(support, pmf, "o", color="C3", label="fitted pmf")
        ax.vlines(support, 0, pmf, color="C3", linewidth=1)
        ax.set_ylabel("probability")
    else:
        ax, grid = _histogram(x, bins, ax, owner)
        p = fam.check_params(dict(result.params), where=owner)
        dens_fit = np.full(grid.size, np.nan)
        for i, g in enumerate(grid):  # the fitted density where the model has one (e.g. none below 0)
            try:
                dens_fit[i] = np.exp(fam._logdensity(fam._check_support(np.array([g])), p, owner)[0])
            except ValueError:
                pass
        keep = np.isfinite(dens_fit)
        ax.plot(grid[keep], dens_fit[keep], color="C3", label="fitted density")
        ax.set_ylabel("density")
    ax.set_xlabel("x")
    ax.set_title(f"Fitted {fam!r} vs data, n = {x.size}")
    ax.legend(loc="best")
    return ax


def _histogram(x, bins, ax, owner):
    """A density histogram of x on ax; returns (ax, a grid of 400 points spanning it)."""
    with np.errstate(all="ignore"):
        try:
            counts, edges = np.histogram(x, bins=bins)
        except (ValueError, MemoryError) as exc:
            raise ValueError(f"{owner}: numpy.histogram cannot bin these data with bins={bins!r} ({exc}).") from None
        dens = counts / (x.size * np.diff(edges))
    if not np.isfinite(dens).all() or not np.isfinite(edges).all():
        raise ValueError(f"{owner}: the histogram of these data is not finite in float64 (data of extreme magnitude).")
    ax = _axes(ax, owner)
    ax.bar(edges[:-1], dens, width=np.diff(edges), align="edge", color="C0", alpha=0.5, label="data (histogram)")
    pad = 0.05 * (edges[-1] - edges[0])
    return ax, np.linspace(edges[0] - pad, edges[-1] + pad, 400)


def _check_fitted_data(result, arr, owner):
    from ._validation import data_digest

    if arr.shape[0] != result.n or (result.data_id is not None and data_digest(arr.ravel()) != result.data_id):
        raise ValueError(f"{owner}: data are not those the model was fitted to (n = {result.n}); pass the fitted data.")


def _mixture_fit(result, data, bins, ax, owner):
    from ._validation import as_data

    if result.dim != 1:
        raise ValueError(f"{owner}: draws one-dimensional mixtures; this one has dimension {result.dim}.")
    x = as_data(data, owner, name="data")
    if x.ndim != 1:
        raise ValueError(f"{owner}: data must be one-dimensional for a one-dimensional mixture, got shape {x.shape}.")
    x = x.astype(float, copy=False)
    _check_fitted_data(result, x, owner)
    ax, grid = _histogram(x, bins, ax, owner)
    ax.plot(grid, np.exp(result.logpdf(grid)), color="C3", label="fitted mixture density")
    w, mu, var = (np.asarray(result.params[k], dtype=float) for k in ("weights", "means", "covariances"))
    for j in range(result.k):
        comp = w[j] * np.exp(-0.5 * (grid - mu[j]) ** 2 / var[j]) / np.sqrt(2 * np.pi * var[j])
        ax.plot(grid, comp, linestyle="--", color=f"C{(j + 4) % 10}", label=f"component {j + 1}")
    ax.set_ylabel("density")
    ax.set_xlabel("x")
    ax.set_title(f"Fitted Gaussian mixture (k = {result.k}) vs data, n = {x.size}")
    ax.legend(loc="best")
    return ax


def _calibration(result, data, bins, ax, owner):
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError(f"{owner}: for a logistic regression, data must be the pair (X, y) it was fitted to.")
    X, y = data
    prob = result.predict_proba(X)
    try:
        yy = np.asarray(getattr(y, "to_numpy", lambda: y)(), dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: y must be 0/1 numbers.") from None
    if yy.shape != prob.shape or not np.isin(yy, (0.0, 1.0)).all():
        raise ValueError(f"{owner}: y must be {prob.size} outcomes coded 0/1 (one per row of X), got shape {yy.shape}.")
    _check_fitted_data(result, yy, owner)
    if isinstance(bins, str):
        groups = min(10, max(2, yy.size // 10))
    elif np.ndim(bins) == 0:
        groups = int(bins)
    else:
        raise ValueError(f"{owner}: for a logistic regression, bins is the number of groups (an integer or 'auto').")
    if not 2 <= groups <= yy.size:
        raise ValueError(f"{owner}: {groups} groups for {yy.size} observations; use 2 to {yy.size}.")
    order = np.argsort(prob, kind="stable")
    parts = np.array_split(order, groups)
    mean_p = np.array([prob[g].mean() for g in parts])
    share = np.array([yy[g].mean() for g in parts])
    ax = _axes(ax, owner)
    ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", label="y = x")
    ax.plot(mean_p, share, "o", color="C3", label="observed share")
    ax.set_xlabel("mean fitted probability in the group")
    ax.set_ylabel("share of y = 1 in the group")
    ax.set_title(f"Logistic regression: observed vs fitted, {groups} groups of ~{yy.size // groups}")
    ax.legend(loc="best")
    return ax


def qq_plot(result: MLEResult, data, *, dist=None, ax=None):
    """Quantile-quantile plot: sorted data against the fitted model's quantiles.

    The theoretical quantiles are at plotting positions :math:`(i - 0.5)/n`
    (as ``scipy.stats.probplot`` with a fitted distribution, R ``qqplot``).

    Parameters
    ----------
    result : MLEResult
        A fit; ``result.dist()`` gives the quantiles.
    data : array_like
        The observations.
    dist : scipy.stats frozen distribution, optional
        For a ``CustomFamily`` (which mlekit cannot turn into a distribution):
        the fitted model as a scipy distribution, e.g.
        ``scipy.stats.gamma(a, scale=1 / rate)`` at the estimates. It is
        checked against the family: its log-density must equal
        ``family.logpdf`` at every observation (relative 1e-8), else
        ``ValueError``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Line 0: points (theoretical, sorted data) labelled ``"data"``; line 1:
        the identity line labelled ``"y = x"``.
    """
    from ._frozen import frozen

    owner = "qq_plot"
    if not isinstance(result, MLEResult):
        raise ValueError(f"{owner}: result must be an MLEResult from mlekit.fit, got {result!r}.")
    if ax is not None:
        _axes(ax, owner)
    fam = result.family
    if isinstance(fam, Categorical):
        raise ValueError(f"{owner}: no quantile function for {fam!r}: its categories are labels, not ordered values.")
    x = np.sort(fam.check_data(data).astype(float))
    if dist is None:
        if isinstance(fam, CustomFamily):
            raise ValueError(
                f"{owner}: no quantile function known for {fam!r}; pass the fitted model as dist=, a scipy.stats "
                "frozen distribution at the estimates (it is checked against your logpdf)."
            )
        dist = frozen(fam, result.params, owner)
    else:
        _check_dist_is_the_fit(dist, fam, result.params, x, owner)
    probs = (np.arange(1, x.size + 1) - 0.5) / x.size
    with np.errstate(all="ignore"):
        q = np.asarray(dist.ppf(probs), dtype=float)
    if not np.isfinite(q).all():
        raise ValueError(f"{owner}: the fitted model's quantiles are not finite in float64 at these parameters.")
    ax = _axes(ax, owner)
    ax.plot(q, x, "o", color="C0", markersize=4, label="data")
    lo, hi = min(q.min(), x.min()), max(q.max(), x.max())
    ax.plot([lo, hi], [lo, hi], color="C3", linestyle="--", label="y = x")
    ax.set_xlabel(f"quantiles of fitted {fam!r}")
    ax.set_ylabel("sample quantiles")
    ax.set_title(f"QQ plot: {fam!r}, n = {x.size}")
    ax.legend(loc="best")
    return ax


def _check_dist_is_the_fit(dist, fam, params, x, owner):
    """Refuse a user's distribution whose log-density differs from the family's at the data."""
    method = getattr(dist, "logpmf" if fam.discrete else "logpdf", None)
    if not (callable(method) and callable(getattr(dist, "ppf", None))):
        raise ValueError(f"{owner}: dist must be a scipy.stats frozen distribution (with logpdf and ppf), got {dist!r}.")
    with np.errstate(all="ignore"):
        try:
            theirs = np.asarray(method(x), dtype=float)
        except Exception as exc:  # a user's object: any failure is a bad argument
            raise ValueError(f"{owner}: dist.logpdf failed on the data ({exc}).") from None
    ours = fam.logpdf(x, **params)
    if theirs.shape != ours.shape or not np.allclose(theirs, ours, rtol=1e-8, atol=1e-10):
        worst = int(np.nanargmax(np.abs(theirs - ours))) if theirs.shape == ours.shape else 0
        raise ValueError(
            f"{owner}: dist is not the fitted model: its log-density at x = {x[worst]!r} is "
            f"{np.ravel(theirs)[worst]!r}, the family's at the estimates {ours[worst]!r}."
        )
