"""The one result object every fit returns."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
from ._lazy import stats

__all__ = ["MLEResult"]


def _check_level(level, owner: str) -> float:
    import numbers

    if isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"{owner}: level must be a number strictly between 0 and 1, got {level!r}.")
    return float(level)


class InformationCriteria:
    """AIC, BIC and statsmodels' names, from ``loglik``, ``n`` and ``n_params``, for every result class.

    Shared by :class:`MLEResult`, :class:`~mlekit.models.logistic.LogisticResult`
    and :class:`~mlekit.models.mixture.MixtureResult`. statsmodels:
    ``aic``/``bic``/``llf``/``nobs``; scikit-learn: ``aic(x)``/``bic(x)``.
    """

    @property
    def llf(self) -> float:
        """The log-likelihood at the estimate: statsmodels' name for ``loglik``."""
        return self.loglik

    @property
    def nobs(self) -> int:
        """Number of observations: statsmodels' name for ``n``."""
        return self.n

    @property
    def df_model(self) -> int:
        """Number of free (estimated) parameters, the ``k`` of AIC and BIC: ``n_params``.

        R: ``attr(logLik(fit), "df")``. statsmodels' regression results leave the
        constant out of their ``df_model`` (a logistic regression with an
        intercept and ``p`` slopes has ``df_model = p`` there, ``p + 1`` here);
        their ``aic``/``bic`` count it, as ours do.
        """
        return self.n_params

    def cov_table(self):
        """The covariance of the estimates as a ``pandas.DataFrame`` labelled by parameter.

        Rows and columns are ``cov_names`` (``"theta[0]"``, ... for a vector
        parameter); the values are those of the ndarray ``cov``. statsmodels:
        ``cov_params()`` on a model fitted to a DataFrame; R: ``vcov(fit)``.

        Raises
        ------
        ValueError
            For a result without a covariance (a Gaussian mixture).
        """
        cov = getattr(self, "cov", None)
        names = getattr(self, "cov_names", None)
        if cov is None or names is None:
            raise ValueError(
                f"{type(self).__name__}.cov_table: this result has no covariance of its estimates "
                "(a mixture's information matrix is not computed; see its docstring)."
            )
        import pandas as pd

        index = pd.Index(list(names), name="parameter")
        return pd.DataFrame(np.array(cov, dtype=float), index=index, columns=list(names))

    @property
    def aic(self) -> float:
        r"""Akaike information criterion :math:`2k - 2\ell(\hat\theta)`, ``k = n_params``."""
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> float:
        r"""Bayesian information criterion :math:`k\log n - 2\ell(\hat\theta)`, ``k = n_params``."""
        return self.n_params * np.log(self.n) - 2 * self.loglik


@dataclass(frozen=True)
class MLEResult(InformationCriteria):
    """A maximum-likelihood fit: estimates, their uncertainty and how they were found.

    Attributes
    ----------
    family : Family
        The model that was fitted.
    params : dict
        Estimates by name, e.g. ``{"mu": 1.2, "sigma2": 0.8}``. Vector
        parameters (``Categorical``'s ``theta``) are arrays.
    se : dict
        Standard errors by name, same shapes as ``params``: square roots of the
        diagonal of ``cov``. statsmodels calls these ``bse``.
    cov : ndarray
        Asymptotic covariance of the estimates (inverse information), with axes
        ``cov_names``. statsmodels: ``cov_params()``.
    cov_names : tuple of str
        Names of the axes of ``cov`` (``"theta[0]"``, ... for vectors).
    loglik : float
        Log-likelihood at the estimate. statsmodels: ``llf``; R: ``logLik``.
    n : int
        Number of observations.
    converged : bool
        True when the estimate is a genuine maximum with a finite log-likelihood:
        for numerical fits, within 1e-3 standard errors of a strict local maximum
        by the checks listed in the module docstring of ``mlekit.fit`` (``help(mlekit.fitting)``).
    message : str
        How the fit went, in words; says why when ``converged`` is False.
    method : str
        ``"closed-form"`` or the name of the numerical method.
    iterations : int
        Iterations used (0 for closed forms).
    boundary : tuple of str
        Parameters whose estimate sits on the boundary of their domain (e.g.
        ``p = 0`` when every Bernoulli outcome is 0). Wald standard errors and
        intervals are degenerate there.
    information : str
        Where the covariance comes from: ``"expected"`` (closed forms: the
        Fisher information at the estimate), ``"observed"`` (numerical fits:
        minus the Hessian at the estimate) or ``"exact (order statistics)"``
        (``Uniform``, whose MLE is not a regular one).
    trace : mlekit.optimize.OptimizeTrace or None
        The optimizer's trace for numerical fits: iterates (in the family's
        own parameters), log-likelihood, gradient norm and step size per
        iteration. ``None`` for closed forms.
    data_id : str or None
        A fingerprint of the data the model was fitted to (their size and a
        sample of their values): ``likelihood_ratio_test`` and
        ``compare_models`` use it to refuse fits to different data.
    weights : ndarray or None
        The frequency weights given to ``fit(..., weights=)`` (one non-negative
        integer count per data value), or ``None``. ``n`` is then their sum: the
        fit is that of the data with each value repeated its weight times.
    censoring : dict or None
        For a fit to censored data (``fit(family, scipy.stats.CensoredData(...))``):
        how many observations were uncensored, left-, right- and interval-censored
        (``{"uncensored": .., "left": .., "right": .., "interval": ..}``); ``None``
        for fully observed data.
    """

    family: object
    params: dict
    se: dict
    cov: np.ndarray
    cov_names: tuple
    loglik: float
    n: int
    converged: bool
    message: str
    method: str
    iterations: int = 0
    boundary: tuple = ()
    information: str = "expected"
    trace: object = field(default=None, repr=False)
    data_id: str | None = field(default=None, repr=False, compare=False)
    weights: np.ndarray | None = field(default=None, repr=False, compare=False)
    censoring: dict | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------ criteria
    @property
    def n_params(self) -> int:
        """Number of free parameters (``Categorical(k)`` has ``k - 1``)."""
        return self.family.n_free

    # ---------------------------------------------------------- the model
    def dist(self):
        """The fitted model as a frozen ``scipy.stats`` distribution.

        Its ``pdf``/``pmf``, ``cdf``, ``sf``, ``ppf``, ``rvs``, ``mean``,
        ``interval``, ... are those of the family at the estimate (parameters
        fixed in the family's constructor, such as ``Normal(sigma2=1.0)``'s
        variance, included), translated to scipy's parameterization (named in
        each family's docstring: a scale for a rate, trials for failures, ...).

        Returns
        -------
        scipy.stats frozen distribution
            ``Categorical(k)`` gives an ``rv_discrete`` on ``0 .. k-1`` built
            from the estimated probabilities (same methods).

        Raises
        ------
        ValueError
            For a ``CustomFamily`` (or a subclass of your own), which has no
            scipy counterpart.

        Examples
        --------
        >>> import mlekit
        >>> r = mlekit.fit(mlekit.Poisson(), [2, 4, 3, 5])
        >>> float(r.dist().mean())
        3.5

        scipy: ``FitResult`` holds the fitted parameters for ``dist(*params)``;
        R: ``fitdistrplus`` passes ``estimate`` to the ``d``/``p``/``q`` functions.
        """
        from ._frozen import frozen

        return frozen(self.family, self.params, "MLEResult.dist")

    def gof(self, data, *, n_boot: int = 999, rng=None):
        """Goodness-of-fit statistics with parametric-bootstrap p-values: :func:`mlekit.gof` of this fit.

        ``data`` are the data the model was fitted to; see :func:`mlekit.goodness.gof`.
        """
        from .goodness import gof

        return gof(self, data, n_boot=n_boot, rng=rng)

    # ------------------------------------------------------------ intervals
    def conf_int(self, level: float = 0.95) -> dict:
        r"""Wald confidence intervals :math:`\hat\theta \pm z_{1-\alpha/2}\,\mathrm{se}`.

        Returns ``{name: (lower, upper)}`` (arrays of bounds for vector
        parameters). Bounds are clipped to the parameter's domain, since no
        value outside it is possible. For a parameter listed in ``boundary``
        the interval has width 0 and should not be trusted; see the book's
        chapter on uncertainty for likelihood-ratio intervals.

        Families where Wald intervals do not apply supply exact ones instead
        (``Uniform``: its estimates sit at the sample extremes and converge at
        rate 1/N; see ``Uniform._exact_conf_int``).

        statsmodels: ``conf_int(alpha=1 - level)``.
        """
        _check_level(level, "conf_int")
        exact = self.family._exact_conf_int(self.params, self.n, float(level))
        if exact is not None:
            return exact
        z = stats.norm.ppf(0.5 + level / 2)
        out = {}
        specs = {s.name: s for s in self.family.params}
        for name, est in self.params.items():
            est = np.asarray(est, dtype=float)
            half = z * np.asarray(self.se[name], dtype=float)
            lo, hi = est - half, est + half
            spec = specs.get(name)
            if spec is not None:
                lo, hi = np.clip(lo, spec.lower, spec.upper), np.clip(hi, spec.lower, spec.upper)
            if est.ndim == 0:
                out[name] = (float(lo), float(hi))
            else:
                out[name] = (lo, hi)
        return out

    # -------------------------------------------------------------- display
    def _rows(self, level=0.95):
        ci = self.conf_int(level)
        rows = []
        for name, est in self.params.items():
            est_arr = np.atleast_1d(np.asarray(est, dtype=float))
            se_arr = np.atleast_1d(np.asarray(self.se[name], dtype=float))
            lo_arr = np.atleast_1d(ci[name][0])
            hi_arr = np.atleast_1d(ci[name][1])
            vector = np.ndim(est) > 0
            for j in range(est_arr.size):
                label = f"{name}[{j}]" if vector else name
                rows.append((label, est_arr[j], se_arr[j], lo_arr[j], hi_arr[j]))
        return rows

    def _header(self):
        return [
            ("family", repr(self.family)),
            ("method", self.method),
            ("n", str(self.n)),
            ("log-likelihood", f"{self.loglik:.6g}"),
            ("AIC", f"{self.aic:.6g}"),
            ("BIC", f"{self.bic:.6g}"),
            ("converged", f"{self.converged}"),
        ]

    @property
    def _title(self) -> str:
        """What the table calls the fit: a MAP estimate is not a maximum-likelihood one."""
        return "MAP fit" if self.method.startswith("MAP") else "Maximum-likelihood fit"

    def summary(self, level: float = 0.95) -> str:
        """A plain-text table of the fit (what ``print(result)`` would want)."""
        pct = f"{100 * _check_level(level, 'summary'):g}%"
        lines = [f"{self._title}: {self.family!r}"]
        lines += [f"  {k:<15} {v}" for k, v in self._header()[1:]]
        lines.append(f"  {'message':<15} {self.message}")
        lines.append("")
        head = f"  {'parameter':<12} {'estimate':>12} {'std. error':>12} {pct + ' lower':>12} {pct + ' upper':>12}"
        lines.append(head)
        lines.append("  " + "-" * (len(head) - 2))
        for label, est, se, lo, hi in self._rows(level):
            lines.append(f"  {label:<12} {est:>12.6g} {se:>12.6g} {lo:>12.6g} {hi:>12.6g}")
        if self.boundary:
            lines.append("")
            lines.append(
                f"  note: {', '.join(self.boundary)} on the boundary of the parameter space; "
                "Wald standard errors and intervals are degenerate there."
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in self._header())
        head += f"<tr><th style='text-align:left'>message</th><td>{esc(self.message)}</td></tr>"
        body = "".join(
            f"<tr><td>{esc(label)}</td><td>{est:.6g}</td><td>{se:.6g}</td><td>{lo:.6g}</td><td>{hi:.6g}</td></tr>"
            for label, est, se, lo, hi in self._rows()
        )
        note = ""
        if self.boundary:
            note = (
                f"<p><strong>Note:</strong> {esc(', '.join(self.boundary))} on the boundary of the parameter "
                "space; Wald standard errors and intervals are degenerate there.</p>"
            )
        return (
            "<div class='mlekit-result'>"
            f"<table><caption>{esc(self._title)}</caption>{head}</table>"
            "<table><thead><tr><th>parameter</th><th>estimate</th><th>std. error</th>"
            "<th>95% lower</th><th>95% upper</th></tr></thead>"
            f"<tbody>{body}</tbody></table>{note}</div>"
        )
