r"""Conjugate priors and maximum a posteriori (MAP) estimation.

What to use when
----------------
==========================  =========================  ==================================
prior                       families                   posterior
==========================  =========================  ==================================
``BetaPrior(a, b)``         ``Bernoulli``, ``Binomial``  Beta(a + s, b + N - s)
``DirichletPrior(alpha)``   ``Categorical``              Dirichlet(alpha + counts)
``GammaPrior(shape, rate)`` ``Poisson``                  Gamma(shape + sum x, rate + n)
``GammaPrior(shape, rate)`` ``Exponential``              Gamma(shape + n, rate + sum x)
==========================  =========================  ==================================

(``s`` successes out of ``N`` trials in total.) ``prior.fit_map(family, x)``
returns an :class:`~mlekit.MLEResult` whose ``params`` are the posterior
**mode**; ``mlekit.fit(family, x, prior=prior)`` calls it. ``prior.posterior(family, x)``
returns the whole posterior (:class:`Posterior`).

Conventions of the MAP result
-----------------------------
- ``params``: the posterior mode. When the mode lies on the edge of the
  parameter space (e.g. a Beta posterior with first parameter <= 1, which
  happens with ``a < 1`` and no successes) that edge *is* the mode and the
  parameter is listed in ``boundary``.
- ``se`` and ``cov``: from the curvature of the log-posterior at the mode,
  :math:`[-\nabla^2 \log \pi(\theta\mid x)]^{-1}` (a Laplace approximation of the
  posterior). At a mode on the edge the log-posterior has no such curvature;
  ``se`` is then ``nan`` and ``message`` says so (use ``posterior(...)`` and its
  quantiles instead).
- ``loglik``: the **log-likelihood** (not the log-posterior) at the MAP, so
  that it can be compared with the MLE's; AIC/BIC computed from it are not
  model-selection criteria for a MAP fit.
- ``method``: e.g. ``"MAP (Beta(2, 2) prior)"``; ``information``: ``"observed"``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from ._lazy import stats

from ._validation import data_digest, float_errors
from .families import Bernoulli, Binomial, Categorical, Exponential, Family, Poisson
from .results import MLEResult

__all__ = ["BetaPrior", "DirichletPrior", "GammaPrior", "Posterior"]


def _positive(value, owner: str, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise ValueError(f"{owner}: {name} must be a positive number, got {value!r}.")
    v = float(value)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{owner}: {name} must be a positive finite number, got {value!r}.")
    return v


@dataclass(frozen=True)
class Posterior:
    """A conjugate posterior: its name and parameters.

    Attributes
    ----------
    name : str
        ``"Beta"``, ``"Dirichlet"`` or ``"Gamma"``.
    params : dict
        ``{"a", "b"}`` (Beta), ``{"alpha"}`` (Dirichlet, a vector),
        ``{"shape", "rate"}`` (Gamma).
    """

    name: str
    params: dict

    def dist(self):
        """The posterior as a frozen ``scipy.stats`` distribution."""
        p = self.params
        if self.name == "Beta":
            return stats.beta(p["a"], p["b"])
        if self.name == "Gamma":
            return stats.gamma(p["shape"], scale=1.0 / p["rate"])
        return stats.dirichlet(p["alpha"])

    @property
    def mean(self):
        """Posterior mean."""
        p = self.params
        if self.name == "Beta":
            return p["a"] / (p["a"] + p["b"])
        if self.name == "Gamma":
            return p["shape"] / p["rate"]
        return p["alpha"] / p["alpha"].sum()

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{k}={np.array2string(np.asarray(v), precision=6)}" if np.ndim(v) else f"{k}={v:g}"
            for k, v in self.params.items()
        )
        return f"Posterior({self.name}: {inner})"


def _quiet(method):
    """Run a prior's method with float errors turned into a ValueError that names the prior."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with float_errors(f"{self!r}.{method.__name__}", "the posterior"):
            return method(self, *args, **kwargs)

    return wrapper


class _ConjugatePrior:
    """Shared plumbing: family check, result assembly."""

    families: tuple = ()

    def _check_family(self, family, where: str) -> Family:
        if not isinstance(family, Family):
            raise ValueError(f"{self!r}.{where}: family must be an mlekit family, got {family!r}.")
        if not isinstance(family, self.families):
            names = " or ".join(f.__name__ for f in self.families)
            raise ValueError(
                f"{self!r}.{where}: this prior is conjugate to {names}, not to {family!r}; "
                f"{self._hint(family)}"
            )
        return family

    def _check_options(self, options: dict) -> None:
        """``mlekit.fit(..., prior=p, method=...)`` forwards its options; a conjugate MAP needs none."""
        method = options.pop("method", "auto")
        if method not in ("auto", "closed-form"):
            raise ValueError(
                f"{self!r}.fit_map: the conjugate MAP is in closed form; method={method!r} does not apply "
                "(use 'auto' or 'closed-form')."
            )
        if options:
            raise ValueError(
                f"{self!r}.fit_map: the conjugate MAP is in closed form; option(s) "
                f"{', '.join(sorted(options))} do not apply."
            )

    def _hint(self, family) -> str:
        if isinstance(family, (Bernoulli, Binomial)):
            return "use BetaPrior(a, b) for a probability."
        if isinstance(family, Categorical):
            return "use DirichletPrior(alpha) for a probability vector."
        if isinstance(family, (Poisson, Exponential)):
            return "use GammaPrior(shape, rate) for a rate."
        return "no conjugate prior for it is provided here."

    def _result(self, family, x, params, cov, cov_names, boundary, message) -> MLEResult:
        owner = f"{self!r}.fit_map"
        with float_errors(owner, "the MAP estimate"):
            finite = all(np.all(np.isfinite(v)) for v in params.values())
            cov = np.asarray(cov, dtype=float)
            d = np.diag(cov)
            # a variance is nan only for a mode on the edge (no curvature there)
            cov_ok = bool(np.all(np.isfinite(d) | np.isnan(d)) and np.all(np.isfinite(d) | bool(boundary)))
            # an interior mode has a positive variance: 0 or a subnormal is an underflow
            edge = set(boundary)
            cov_ok = cov_ok and all(
                not (np.isfinite(d[i]) and d[i] < np.finfo(float).tiny) for i, c in enumerate(cov_names) if c not in edge
            )
        if not (finite and cov_ok):
            raise ValueError(
                f"{owner}: the posterior mode {params!r} or its variance is not finite in float64 (prior "
                "parameters or data of extreme magnitude); use moderate prior parameters."
            )
        # the data were checked once by the caller; only the estimate is checked here
        loglik = family._loglik_checked(x, family.check_params(dict(params), where="fit_map"), "fit_map")
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))  # nan (mode on the edge) stays nan
        se, i = {}, 0
        for name, value in params.items():
            size = np.size(value)
            se[name] = float(sd[i]) if np.ndim(value) == 0 else sd[i : i + size].copy()
            i += size
        return MLEResult(
            family=family,
            params=params,
            se=se,
            cov=cov,
            cov_names=tuple(cov_names),
            loglik=loglik,
            n=int(x.size),
            converged=bool(np.isfinite(loglik)),
            message=message,
            method=f"MAP ({self!r} prior)",
            iterations=0,
            boundary=tuple(boundary),
            information="observed",
            data_id=data_digest(x),
        )


# ---------------------------------------------------------------------- Beta
class BetaPrior(_ConjugatePrior):
    r"""Beta(a, b) prior on a success probability (Bernoulli, Binomial).

    Parameters
    ----------
    a, b : float
        Positive; ``a - 1`` and ``b - 1`` act as prior successes and failures
        for the mode (``a`` and ``b`` for the mean).

    Notes
    -----
    With :math:`s` successes in :math:`N` trials the posterior is
    :math:`\mathrm{Beta}(A, B)`, :math:`A = a + s`, :math:`B = b + N - s`; its mode is

    .. math::
        \hat p_{\mathrm{MAP}} = \frac{s + a - 1}{N + a + b - 2}
        \quad (A > 1,\ B > 1),

    0 if :math:`A \le 1 < B`, 1 if :math:`B \le 1 < A`. The curvature of the
    log-posterior at an interior mode gives
    :math:`\mathrm{se}^2 = \big[\frac{A-1}{p^2} + \frac{B-1}{(1-p)^2}\big]^{-1}`.
    ``Beta(1, 1)`` (uniform) gives back the MLE. scipy: ``scipy.stats.beta``.
    """

    families = (Bernoulli, Binomial)

    def __init__(self, a: float, b: float):
        self.a = _positive(a, "BetaPrior", "a")
        self.b = _positive(b, "BetaPrior", "b")

    def __repr__(self) -> str:
        return f"Beta({self.a:g}, {self.b:g})"

    def _counts(self, family, data, where):
        family = self._check_family(family, where)
        x = family.check_data(data)
        s = float(np.sum(x, dtype=float))
        trials = float(x.size * (family.n if isinstance(family, Binomial) else 1))
        return family, x, s, trials

    @_quiet
    def posterior(self, family, data) -> Posterior:
        """Posterior Beta(a + s, b + N - s)."""
        _, _, s, trials = self._counts(family, data, "posterior")
        return Posterior("Beta", {"a": self.a + s, "b": self.b + trials - s})

    @_quiet
    def fit_map(self, family, data, **options) -> MLEResult:
        """MAP estimate of ``p``; see the class Notes and the module docstring for conventions."""
        self._check_options(options)
        family, x, s, trials = self._counts(family, data, "fit_map")
        A, B = self.a + s, self.b + trials - s
        post = f"posterior Beta({A:g}, {B:g})"
        if A > 1 and B > 1:
            p = (A - 1) / (A + B - 2)
            curv = (A - 1) / p**2 + (B - 1) / (1 - p) ** 2
            cov = np.array([[1.0 / curv]])
            return self._result(family, x, {"p": p}, cov, ("p",), (), f"MAP: mode of the {post}")
        if A <= 1 < B:
            p = 0.0
        elif B <= 1 < A:
            p = 1.0
        else:  # cannot happen with data (A + B >= a + b + 1), kept for honesty
            raise ValueError(f"{self!r}.fit_map: the {post} has no unique mode.")
        message = (
            f"MAP: the {post} is largest at the edge p = {p:g}; the log-posterior has no curvature "
            "there, so se is nan (use posterior(...) quantiles for an interval)"
        )
        return self._result(family, x, {"p": p}, np.array([[np.nan]]), ("p",), ("p",), message)


# ----------------------------------------------------------------- Dirichlet
class DirichletPrior(_ConjugatePrior):
    r"""Dirichlet(alpha) prior on a Categorical probability vector (additive smoothing).

    Parameters
    ----------
    alpha : float or array_like
        A positive number (symmetric prior) or a positive vector of length ``k``.

    Notes
    -----
    With category counts :math:`c_j` (:math:`N = \sum c_j`) the posterior is
    :math:`\mathrm{Dirichlet}(\alpha + c)`. When every :math:`A_j = \alpha_j + c_j > 1`
    its mode is

    .. math::
        \hat\theta_j = \frac{c_j + \alpha_j - 1}{N + \sum_i \alpha_i - k},

    so a symmetric ``alpha = 1 + lam`` is additive (Laplace, for ``lam = 1``)
    smoothing with pseudocount ``lam``: :math:`(c_j + \lambda)/(N + k\lambda)`.
    (The posterior *mean* is smoothing with pseudocount :math:`\alpha`, which is
    what ``sklearn.naive_bayes.CategoricalNB(alpha=...)`` uses.) Categories with
    :math:`A_j \le 1` get mode 0 (on the edge; ``se`` is nan there) and the rest
    share the mass in proportion to :math:`A_j - 1`. At an interior mode the
    log-posterior curvature gives :math:`\mathrm{Cov} = (\mathrm{diag}\,\theta -
    \theta\theta^\top)/(\sum_j A_j - k)`.
    """

    families = (Categorical,)

    def __init__(self, alpha):
        try:
            arr = np.asarray(alpha, dtype=float) if not isinstance(alpha, (bool, np.bool_)) else None
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.ndim > 1 or arr.size == 0:
            raise ValueError(f"DirichletPrior: alpha must be a positive number or a vector of them, got {alpha!r}.")
        if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
            raise ValueError(f"DirichletPrior: every alpha must be positive and finite, got {alpha!r}.")
        self.alpha = arr

    def __repr__(self) -> str:
        if self.alpha.ndim == 0:
            return f"Dirichlet({float(self.alpha):g})"
        return "Dirichlet([" + ", ".join(f"{a:g}" for a in self.alpha) + "])"

    def _alpha_for(self, family, where):
        if self.alpha.ndim == 0:
            return np.full(family.k, float(self.alpha))
        if self.alpha.size != family.k:
            raise ValueError(
                f"{self!r}.{where}: alpha has {self.alpha.size} entries but {family!r} has k={family.k} categories."
            )
        return self.alpha.copy()

    @_quiet
    def posterior(self, family, data) -> Posterior:
        """Posterior Dirichlet(alpha + counts)."""
        family = self._check_family(family, "posterior")
        counts = family.counts(data)
        return Posterior("Dirichlet", {"alpha": self._alpha_for(family, "posterior") + counts})

    @_quiet
    def fit_map(self, family, data, **options) -> MLEResult:
        """MAP estimate of ``theta``; see the class Notes and the module docstring."""
        self._check_options(options)
        family = self._check_family(family, "fit_map")
        x = family.check_data(data)
        k = family.k
        A = self._alpha_for(family, "fit_map") + np.bincount(x.astype(np.intp), minlength=k)
        inner = A > 1
        if not inner.any():
            raise ValueError(
                f"{self!r}.fit_map: every posterior Dirichlet parameter is <= 1 ({A}); the posterior has no unique mode."
            )
        theta = np.where(inner, A - 1, 0.0)
        total = theta.sum()
        theta = theta / total
        cov = (np.diag(theta) - np.outer(theta, theta)) / total
        names = tuple(f"theta[{j}]" for j in range(k))
        edge = tuple(names[j] for j in range(k) if not inner[j])
        if edge:
            cov = np.full((k, k), np.nan)
            message = (
                f"MAP: mode of the posterior Dirichlet on the edge ({', '.join(edge)} = 0, their posterior "
                "parameter <= 1); the log-posterior has no curvature there, so se is nan"
            )
        else:
            message = "MAP: mode of the posterior Dirichlet(" + ", ".join(f"{a:g}" for a in A) + ")"
        return self._result(family, x, {"theta": theta}, cov, names, edge, message)


# --------------------------------------------------------------------- Gamma
class GammaPrior(_ConjugatePrior):
    r"""Gamma(shape, rate) prior on a rate: Poisson ``lam`` or Exponential ``rate``.

    Notes
    -----
    Poisson: posterior :math:`\mathrm{Gamma}(a + \sum x_i,\ b + n)`.
    Exponential: posterior :math:`\mathrm{Gamma}(a + n,\ b + \sum x_i)`.
    The mode of :math:`\mathrm{Gamma}(A, B)` is :math:`(A - 1)/B` for
    :math:`A > 1` and 0 (the edge) otherwise; at an interior mode the
    log-posterior curvature gives :math:`\mathrm{se} = \sqrt{A-1}/B`.
    scipy: ``scipy.stats.gamma(A, scale=1/B)``.
    """

    families = (Poisson, Exponential)

    def __init__(self, shape: float, rate: float):
        self.shape = _positive(shape, "GammaPrior", "shape")
        self.rate = _positive(rate, "GammaPrior", "rate")

    def __repr__(self) -> str:
        return f"Gamma({self.shape:g}, {self.rate:g})"

    def _post(self, family, data, where):
        family = self._check_family(family, where)
        x = family.check_data(data)
        total = float(np.sum(x, dtype=float))
        if isinstance(family, Poisson):
            return family, x, self.shape + total, self.rate + x.size
        return family, x, self.shape + x.size, self.rate + total

    @_quiet
    def posterior(self, family, data) -> Posterior:
        """Posterior Gamma(shape, rate); see the class Notes."""
        _, _, A, B = self._post(family, data, "posterior")
        return Posterior("Gamma", {"shape": A, "rate": B})

    @_quiet
    def fit_map(self, family, data, **options) -> MLEResult:
        """MAP estimate of the rate; see the class Notes and the module docstring."""
        self._check_options(options)
        family, x, A, B = self._post(family, data, "fit_map")
        name = family.param_names[0]
        post = f"posterior Gamma({A:g}, {B:g})"
        if A > 1:
            value = (A - 1) / B
            return self._result(
                family, x, {name: value}, np.array([[value / B]]), (name,), (), f"MAP: mode of the {post}"
            )
        message = (
            f"MAP: the {post} is largest at the edge {name} = 0; the log-posterior has no curvature "
            "there, so se is nan (use posterior(...) quantiles for an interval)"
        )
        return self._result(family, x, {name: 0.0}, np.array([[np.nan]]), (name,), (name,), message)
