r"""Goodness of fit: does the fitted family describe the data? R's ``fitdistrplus::gofstat``.

What to use when
----------------
- **A continuous family**: :func:`gof` gives the Kolmogorov-Smirnov,
  Cramér-von Mises and Anderson-Darling statistics of the fitted cdf; the
  Anderson-Darling one weighs the tails most, Kolmogorov-Smirnov the middle.
- **A discrete family**: :func:`gof` gives Pearson's chi-square over cells of
  the support merged until each expects at least 5 observations (R gofstat's
  chi-square for discrete fits).
- **Which of several families**: :func:`gof_table` (R ``gofstat(list(f1, f2))``:
  every fit's statistics and its AIC and BIC in one table), or
  :func:`mlekit.compare_models` for AIC/BIC alone (any result type).

The textbook p-values of these statistics assume a distribution known in
advance; with estimated parameters they are far too large (Lilliefors). Here
the p-values come from a **parametric bootstrap**: ``n_boot`` data sets drawn
from the fitted model, the model refitted to each, the statistic recomputed
(as ``scipy.stats.goodness_of_fit`` does). The cost is ``n_boot`` draws and
refits: a fraction of a second for a closed-form family, seconds for a
numerical one at the default 999; the function prints nothing (no progress-bar
library is a dependency of mlekit), and ``n_boot=0`` gives the statistics alone.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ._frozen import frozen
from ._lazy import stats
from ._validation import as_rng, data_digest
from .results import MLEResult

__all__ = ["gof", "gof_table", "GofResult"]

_NAMES = {
    "ks": "Kolmogorov-Smirnov",
    "cvm": "Cramér-von Mises",
    "ad": "Anderson-Darling",
    "chi2": "chi-square",
}


@dataclass(frozen=True)
class GofResult:
    """Goodness-of-fit statistics of a fit and their parametric-bootstrap p-values.

    Attributes
    ----------
    statistics : dict
        ``{"ks", "cvm", "ad"}`` for a continuous family, ``{"chi2"}`` for a
        discrete one: name -> value.
    pvalues : dict
        Same keys: the share of bootstrap replicates (refitted) whose statistic
        is at least the observed one, :math:`(1 + \\#\\{T_b \\ge T\\}) / (1 + B)`.
        Empty when ``n_boot = 0``.
    n_boot : int
        Replicates requested.
    n_failed : int
        Replicates whose refit raised or did not converge (left out of the p-values).
    cells : tuple of (float, float) or None
        Discrete families: each chi-square cell as an inclusive range of values
        (``inf`` for the upper tail).
    observed, expected : ndarray or None
        Discrete families: observed and expected counts per cell.
    chi2_df : int or None
        Cells minus 1 minus the free parameters: the degrees of freedom of the
        asymptotic chi-square p-value ``chi2_pvalue`` (R gofstat's
        ``chisqpvalue``), reported for reference; prefer ``pvalues["chi2"]``.
    chi2_pvalue : float or None
        ``None`` for a continuous family.
    note : str
        Anything the numbers need said (a statistic left out and why).
    """

    statistics: dict
    pvalues: dict
    n_boot: int
    n_failed: int
    cells: tuple | None = None
    observed: np.ndarray | None = field(default=None, repr=False)
    expected: np.ndarray | None = field(default=None, repr=False)
    chi2_df: int | None = None
    chi2_pvalue: float | None = None
    note: str = ""

    def summary(self) -> str:
        """A plain-text table: statistic, value, bootstrap p-value."""
        lines = [f"Goodness of fit ({self.n_boot} bootstrap replicates, refitted; {self.n_failed} failed)"]
        for key, value in self.statistics.items():
            p = self.pvalues.get(key)
            ptxt = "not computed (n_boot=0)" if p is None else f"{p:.4g}"
            lines.append(f"  {_NAMES[key]:<20} {value:>12.6g}   p-value {ptxt}")
        if self.chi2_pvalue is not None:
            lines.append(f"  asymptotic chi-square p-value {self.chi2_pvalue:.4g} on {self.chi2_df} df ({len(self.cells)} cells)")
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# ------------------------------------------------------------------ statistics
def _edf_statistics(dist, x: np.ndarray) -> dict:
    """KS, CvM and AD of the sorted sample against the frozen continuous ``dist``.

    With :math:`u_i = F(x_{(i)})`: :math:`D = \\max_i \\max(i/n - u_i, u_i - (i-1)/n)`,
    :math:`W^2 = \\frac{1}{12n} + \\sum_i (u_i - \\frac{2i-1}{2n})^2`,
    :math:`A^2 = -n - \\frac1n\\sum_i (2i-1)\\,[\\log u_i + \\log(1-u_{n+1-i})]`
    (D'Agostino & Stephens 1986; R ``fitdistrplus::gofstat``), the logs from
    ``logcdf``/``logsf`` so that far tails keep their digits.
    """
    xs = np.sort(x)
    n = xs.size
    i = np.arange(1, n + 1)
    u = dist.cdf(xs)
    ks = float(np.max(np.maximum(i / n - u, u - (i - 1) / n)))
    cvm = float(1.0 / (12 * n) + np.sum((u - (2 * i - 1) / (2 * n)) ** 2))
    with np.errstate(divide="ignore"):
        logs = dist.logcdf(xs) + dist.logsf(xs[::-1])
    ad = float(-n - np.sum((2 * i - 1) * logs) / n) if np.all(np.isfinite(logs)) else np.inf
    return {"ks": ks, "cvm": cvm, "ad": ad}


def _chi2_cells(dist, x: np.ndarray, *, min_expected: float = 5.0):
    """Cells of consecutive support values, merged from the left until each expects at
    least ``min_expected`` observations; a short remainder joins the last cell, and the
    last cell takes the upper tail of an unbounded support. Returns
    ``(cells, observed, expected)``, cells as inclusive ``(first, last)`` values."""
    n = x.size
    lo, hi = dist.support()
    lo = int(lo)
    bounded = bool(np.isfinite(hi))
    top = int(hi) if bounded else int(max(np.max(x), dist.ppf(1 - 1e-9)))
    values = np.arange(lo, top + 1)
    expected = n * dist.pmf(values)
    if not bounded:
        expected[-1] += n * dist.sf(top)  # the last value stands for [top, inf)
    observed = np.bincount(x.astype(np.intp) - lo, minlength=values.size)
    cells, obs, exp = [], [], []
    start, o, e = 0, 0, 0.0
    for j in range(values.size):
        o += int(observed[j])
        e += float(expected[j])
        if e >= min_expected:
            cells.append([int(values[start]), int(values[j])])
            obs.append(o)
            exp.append(e)
            start, o, e = j + 1, 0, 0.0
    if start < values.size:  # a remainder expecting fewer than min_expected
        if cells:
            cells[-1][1] = int(values[-1])
            obs[-1] += o
            exp[-1] += e
        else:
            cells.append([int(values[start]), int(values[-1])])
            obs.append(o)
            exp.append(e)
    out = [(float(a), float(b)) for a, b in cells]
    if not bounded:
        out[-1] = (out[-1][0], np.inf)
    return tuple(out), np.array(obs, dtype=float), np.array(exp)


def _statistics(family, params, x):
    dist = frozen(family, params, "gof")
    if family.discrete:
        cells, obs, exp = _chi2_cells(dist, x)
        if len(cells) < 2:
            return {"chi2": np.nan}, (cells, obs, exp)
        return {"chi2": float(np.sum((obs - exp) ** 2 / exp))}, (cells, obs, exp)
    return _edf_statistics(dist, x), None


# ----------------------------------------------------------------------- gof
def gof(result: MLEResult, data, *, n_boot: int = 999, rng=None) -> GofResult:
    r"""Goodness-of-fit statistics of a fit with parametric-bootstrap p-values.

    Parameters
    ----------
    result : MLEResult
        A converged maximum-likelihood fit of one of mlekit's families (from
        :func:`mlekit.fit`).
    data : array_like
        The data ``result`` was fitted to (checked against its fingerprint).
    n_boot : int, default 999
        Bootstrap replicates for the p-values (0: statistics only).
    rng : numpy.random.Generator, int or None
        Seed or generator of the replicates.

    Returns
    -------
    GofResult
        ``statistics`` and ``pvalues`` by name (``"ks"``, ``"cvm"``, ``"ad"``
        for continuous families, ``"chi2"`` for discrete ones).

    Raises
    ------
    ValueError
        For a result that is not a converged MLE (a MAP fit, a fit that did
        not converge), a weighted or censored fit, a ``CustomFamily`` (no cdf),
        a saturated discrete fit (no more cells than parameters + 1, e.g.
        ``Bernoulli``: nothing left to test),
        data other than those fitted, or a bad ``n_boot``/``rng``; when more
        than half of the bootstrap refits fail.

    Notes
    -----
    Each replicate draws ``n`` observations from the fitted model
    (``family.sample`` at the estimate), refits by ``mlekit.fit`` and
    recomputes the statistic against *its own* fit, so the p-value accounts
    for the estimation (Stute, Manteiga & Quindimil 1993). The statistics
    equal ``scipy.stats.kstest``, ``scipy.stats.cramervonmises`` and
    ``scipy.stats.goodness_of_fit`` on ``result.dist()``; R:
    ``fitdistrplus::gofstat(fit)`` (statistics only, no p-values for
    estimated parameters).
    """
    owner = "gof"
    if not isinstance(result, MLEResult):
        raise ValueError(f"{owner}: result must be an MLEResult from mlekit.fit, got {type(result).__name__}.")
    if getattr(result, "weights", None) is not None:
        raise ValueError(
            f"{owner}: the fit used weights; these statistics and their bootstrap are for unweighted samples "
            "(for frequency weights, fit and test the repeated data, np.repeat(values, counts))."
        )
    if getattr(result, "censoring", None) is not None:
        raise ValueError(
            f"{owner}: the fit used censored data; the empirical cdf of censored observations is not that of the "
            "sample, so these statistics do not apply."
        )
    if result.method.startswith("MAP"):
        raise ValueError(f"{owner}: result is a MAP fit; the bootstrap refits by maximum likelihood (fit without prior).")
    if not result.converged:
        raise ValueError(f"{owner}: the fit did not converge ({result.message}); test a converged fit.")
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (numbers.Integral, np.integer)) or n_boot < 0:
        raise ValueError(f"{owner}: n_boot must be a non-negative integer (0: no p-values), got {n_boot!r}.")
    n_boot = int(n_boot)
    gen = as_rng(rng, owner)
    family = result.family
    frozen(family, result.params, owner)  # refuses a family without a cdf before any work
    x = family.check_data(data)
    if x.ndim != 1 or x.size != result.n or (result.data_id is not None and data_digest(x) != result.data_id):
        raise ValueError(f"{owner}: data are not those result was fitted to (n = {result.n}); pass the fitted data.")
    observed, extra = _statistics(family, result.params, x)
    if extra is not None and len(extra[0]) - 1 - result.n_params <= 0:
        raise ValueError(
            f"{owner}: {family!r} has {result.n_params} free parameter(s) for {len(extra[0])} cells of counts: the fit "
            "is saturated (it reproduces the observed frequencies, chi-square 0 up to rounding), so no goodness-of-fit "
            "test exists; compare it with other models (compare_models) instead."
        )
    note = ""
    if "chi2" in observed and not np.isfinite(observed["chi2"]):
        raise ValueError(
            f"{owner}: the fitted {family!r} puts fewer than 5 expected observations in every cell but one; "
            "the chi-square needs at least two cells (more data)."
        )
    if "ad" in observed and not np.isfinite(observed["ad"]):
        del observed["ad"]
        note = (
            "Anderson-Darling left out: the fitted cdf is 0 or 1 at an observation (the estimate puts a data "
            "value on the edge of the support, as Uniform's MLE does), where its log weights are infinite"
        )
    from .fit import fit

    exceed = dict.fromkeys(observed, 0)
    failed = 0
    for _ in range(n_boot):
        xb = family.sample(x.size, rng=gen, **result.params)
        try:
            rb = fit(family, xb)
            ok = rb.converged
        except ValueError:  # e.g. all draws equal: no MLE for that replicate
            ok = False
        if not ok:
            failed += 1
            continue
        tb, _ = _statistics(family, rb.params, xb)
        for key, t in observed.items():
            # ties within rounding count as "at least as extreme" (as scipy's monte_carlo_test)
            if not tb[key] < t - 1e-12 * abs(t):  # nan (too few cells) and inf count as extreme: conservative
                exceed[key] += 1
    if n_boot and failed > n_boot // 2:
        raise ValueError(
            f"{owner}: {failed} of {n_boot} bootstrap refits failed (no MLE or no convergence on data drawn from "
            "the fit); the bootstrap p-value would rest on a biased remainder."
        )
    used = n_boot - failed
    pvalues = {key: (1 + c) / (1 + used) for key, c in exceed.items()} if n_boot else {}
    if failed:
        note = (note + "; " if note else "") + f"{failed} replicate refit(s) failed and were left out"
    kwargs = {}
    if extra is not None:
        cells, obs, exp = extra
        df = len(cells) - 1 - result.n_params
        kwargs = dict(
            cells=cells,
            observed=obs,
            expected=exp,
            chi2_df=int(df),
            chi2_pvalue=float(stats.chi2.sf(observed["chi2"], df)),
        )
    return GofResult(statistics=observed, pvalues=pvalues, n_boot=n_boot, n_failed=failed, note=note, **kwargs)


def gof_table(results, data, *, names=None, n_boot: int = 0, rng=None):
    r"""Goodness-of-fit statistics and AIC/BIC of several fits to the same data: R's ``gofstat(list(...))``.

    Parameters
    ----------
    results : sequence of MLEResult, or dict name -> MLEResult
        Fits of mlekit families to ``data``, all continuous or all discrete.
    data : array_like
        The data every fit was made to.
    names : sequence of str, optional
        Row labels (default: ``repr`` of each family).
    n_boot : int, default 0
        Bootstrap replicates per fit for the p-values (0: statistics only).
    rng : numpy.random.Generator, int or None
        Seed of the replicates; each fit gets its own stream (``Generator.spawn``).

    Returns
    -------
    pandas.DataFrame
        One row per fit, in the order of :func:`mlekit.compare_models` (by
        AIC): the statistics (``ks``, ``cvm``, ``ad``; or ``chi2`` and
        ``chi2_df``), their bootstrap p-values (``ks_pvalue``, ... when
        ``n_boot > 0``), ``aic``, ``bic`` and ``note`` (why a statistic is
        missing, e.g. Anderson-Darling for ``Uniform``).

    Raises
    ------
    ValueError
        As :func:`gof` and :func:`mlekit.compare_models` (fits to different
        data, repeated names), and for a mix of discrete and continuous fits,
        whose statistics are not comparable.
    """
    import pandas as pd

    from .inference import _model_label, compare_models

    owner = "gof_table"
    if isinstance(results, dict):
        if names is not None:
            raise ValueError(f"{owner}: give names either as dict keys or as names=, not both.")
        names, results = [str(k) for k in results], list(results.values())
    elif isinstance(results, (str, bytes)) or not hasattr(results, "__iter__"):
        raise ValueError(f"{owner}: results must be a sequence of MLEResults or a dict name -> MLEResult, got {results!r}.")
    else:
        results = list(results)
    for i, r in enumerate(results):
        if not isinstance(r, MLEResult):
            raise ValueError(f"{owner}: entry {i} is not an MLEResult from mlekit.fit: {r!r}.")
    if names is None:
        names = [_model_label(r) for r in results]
    criteria = compare_models(results, names=names)  # same data, distinct names, finite log-likelihoods
    kinds = {bool(r.family.discrete) for r in results}
    if len(kinds) > 1:
        raise ValueError(f"{owner}: the fits mix discrete and continuous families; their statistics are not comparable.")
    streams = as_rng(rng, owner).spawn(len(results))
    rows = {}
    for name, r, gen in zip(criteria.index, (results[list(map(str, names)).index(n)] for n in criteria.index), streams):
        g = gof(r, data, n_boot=n_boot, rng=gen)
        row = dict(g.statistics)
        if g.chi2_df is not None:
            row["chi2_df"] = g.chi2_df
        row.update({f"{k}_pvalue": v for k, v in g.pvalues.items()})
        row.update(aic=criteria.loc[name, "aic"], bic=criteria.loc[name, "bic"], note=g.note)
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    order = ["ks", "cvm", "ad", "chi2", "chi2_df", "ks_pvalue", "cvm_pvalue", "ad_pvalue", "chi2_pvalue"]
    out = out[[c for c in order if c in out.columns] + ["aic", "bic", "note"]]
    out.index.name = "model"
    return out
