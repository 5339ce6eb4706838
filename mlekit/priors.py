r"""Conjugate priors and maximum a posteriori (MAP) estimation.

What to use when
----------------
===========================  ===========================  ==============================
prior                        families                     posterior
===========================  ===========================  ==============================
``BetaPrior(a, b)``          ``Bernoulli``, ``Binomial``  Beta(a + s, b + N - s)
``DirichletPrior(alpha)``    ``Categorical``              Dirichlet(alpha + counts)
``GammaPrior(shape, rate)``  ``Poisson``                  Gamma(shape + sum x, rate + n)
``GammaPrior(shape, rate)``  ``Exponential``              Gamma(shape + n, rate + sum x)
===========================  ===========================  ==============================

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

Any other prior: :class:`LogPrior`
----------------------------------
``fit(family, x, prior=logprior)`` with a callable ``logprior(params) -> float``
(the log prior density of a dict of the free parameters), or
``prior={"mu": stats.norm(0, 10), "sigma2": stats.invgamma(2, scale=1)}`` (one
frozen scipy.stats distribution per parameter, independent), maximizes the
log-posterior numerically for any family with a differentiable likelihood and
scalar parameters (the log-prior's derivatives by finite differences, as for a
:class:`~mlekit.families.CustomFamily`). The conjugate priors above are the
fast, closed-form routes for their families and agree with this general one
(tests/mlekit/test_map_general.py). Like bbmle's ``mle2`` with a penalty, or
any log-prior added to a log-likelihood.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np
from ._lazy import stats

from ._validation import as_data, data_digest, float_errors
from .families import Bernoulli, Binomial, Categorical, CustomFamily, Exponential, Family, Poisson
from .results import MLEResult

__all__ = ["BetaPrior", "DirichletPrior", "GammaPrior", "LogPrior", "Posterior"]


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


# ------------------------------------------------------------------ any prior
class LogPrior:
    r"""Any prior, as a log-density: MAP by maximizing log-likelihood + log-prior numerically.

    Parameters
    ----------
    logprior : callable or dict
        Either ``logprior(params) -> float``, the log prior density (up to a
        constant) of a dict of the family's free parameters, ``-inf`` where the
        prior has no mass; or ``{name: frozen scipy.stats distribution}``, one
        continuous distribution per free parameter (independent priors), e.g.
        ``{"shape": stats.gamma(2, scale=2), "rate": stats.expon(scale=5)}``.
    name : str, optional
        A label for ``repr``, summaries and ``result.method``.

    Notes
    -----
    The MAP maximizes :math:`\ell(\theta) + \log\pi(\theta)` by the generic
    optimizers of :func:`mlekit.fit` (Newton-Raphson by default, ``method=``
    ``"gradient"`` or ``"scipy"`` too) in the family's unconstrained working
    parameters, from ``start`` or else the MLE (the family's moment start when the
    MLE does not exist: a prior can give a MAP where there is no MLE). The
    likelihood's derivatives are the family's analytic ones; the log-prior's come
    from finite differences. ``converged`` has the meaning of every numerical fit
    (a strict local maximum of the log-posterior, see :mod:`mlekit.fit`); the
    conventions of the result are those of the module docstring (``se`` and
    ``cov`` from the curvature of the log-posterior, ``loglik`` the
    log-likelihood at the MAP). Vector parameters (``Categorical``) and families
    without a differentiable likelihood (``Uniform``, ``Laplace``) are refused.
    """

    def __init__(self, logprior, *, name: str | None = None):
        if isinstance(logprior, dict):
            if not logprior:
                raise ValueError("LogPrior: the dict of priors is empty; give one distribution per free parameter.")
            for key, dist in logprior.items():
                if not isinstance(key, str):
                    raise ValueError(f"LogPrior: keys must be parameter names, got {key!r}.")
                if not callable(getattr(dist, "logpdf", None)) or not callable(getattr(dist, "rvs", None)):
                    raise ValueError(
                        f"LogPrior: the prior of {key} must be a frozen continuous scipy.stats distribution "
                        f"(e.g. scipy.stats.norm(0, 10)), got {dist!r}."
                    )
            self._dists, self._fn = dict(logprior), None
        elif callable(logprior):
            self._dists, self._fn = None, logprior
        else:
            raise ValueError(
                "LogPrior: logprior must be a callable logprior(params) -> float or a dict "
                f"{{name: frozen scipy.stats distribution}}, got {logprior!r}."
            )
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"LogPrior: name must be a non-empty string, got {name!r}.")
        self.name = name

    def __repr__(self) -> str:
        if self.name:
            return self.name
        if self._dists is not None:
            parts = []
            for key, dist in self._dists.items():
                label = getattr(getattr(dist, "dist", None), "name", type(dist).__name__)
                args = [f"{a:g}" if isinstance(a, (int, float)) else repr(a) for a in getattr(dist, "args", ())]
                args += [f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v!r}" for k, v in getattr(dist, "kwds", {}).items()]
                parts.append(f"{key} ~ {label}({', '.join(args)})")
            return "; ".join(parts)
        return f"log-prior {getattr(self._fn, '__name__', type(self._fn).__name__)}"

    def _check_names(self, family: Family, owner: str) -> None:
        if self._dists is None:
            return
        free, given = set(family.param_names), set(self._dists)
        if given - free:
            fixed = set(family._fixed())
            extra = sorted(given - free)
            why = " (fixed by the family's constructor)" if set(extra) & fixed else ""
            raise ValueError(
                f"{owner}: the prior names parameter(s) {', '.join(extra)}{why} that {family!r} does not estimate; "
                f"its free parameters are {', '.join(family.param_names)}."
            )
        if free - given:
            raise ValueError(
                f"{owner}: no prior given for {', '.join(sorted(free - given))}; give one distribution for each "
                f"free parameter of {family!r} ({', '.join(family.param_names)}), or a callable log-prior."
            )

    def logpdf(self, params: dict) -> float:
        """The log prior density at ``params`` (a dict of the free parameters)."""
        if self._dists is not None:
            return float(sum(float(d.logpdf(params[k])) for k, d in self._dists.items()))
        try:
            raw = self._fn(dict(params))
        except Exception as exc:  # the user's code: report whatever it raised, by name
            raise ValueError(f"{self!r}: the log-prior raised {type(exc).__name__} at {params!r}: {exc}") from exc
        if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (numbers.Real, np.number)) and np.ndim(raw) != 0:
            raise ValueError(f"{self!r}: the log-prior must return one real number, got {raw!r}.")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{self!r}: the log-prior must return one real number, got {raw!r}.") from None
        if np.isnan(value) or value == np.inf:
            raise ValueError(f"{self!r}: the log-prior is {value} at {params!r}; it must be a finite number or -inf.")
        return value

    def fit_map(self, family, data, **options) -> MLEResult:
        """The MAP estimate; see the class Notes and the module docstring for its conventions."""
        from .fit import _UNSET, _generic, _optimizer_options

        owner = f"{self!r}.fit_map"
        if not isinstance(family, Family):
            raise ValueError(f"{owner}: family must be an mlekit family, got {family!r}.")
        method = options.pop("method", "auto")
        start = options.pop("start", None)
        scipy_method = options.pop("scipy_method", "BFGS")
        opts = _optimizer_options(options.pop("tol", _UNSET), options.pop("max_iter", _UNSET), owner)
        if options:
            raise ValueError(f"{owner}: unknown option(s) {', '.join(sorted(options))}.")
        if method == "closed-form":
            raise ValueError(f"{owner}: a general prior has no closed-form MAP; use method='auto' or 'newton'.")
        if method not in ("auto", "newton", "gradient", "scipy"):
            raise ValueError(f"{owner}: unknown method {method!r}; choose one of auto, newton, gradient, scipy.")
        if start is not None and not isinstance(start, dict):
            raise ValueError(f"{owner}: start must be a dict {{name: value}}, got {start!r}.")
        if any(s.size is not None for s in family.params):
            raise ValueError(
                f"{owner}: {family!r} has a vector parameter, which the numerical MAP does not handle; "
                "use DirichletPrior for a Categorical."
            )
        if not family.differentiable:
            raise ValueError(f"{owner}: {family!r}'s log-likelihood is not differentiable; no numerical MAP for it.")
        self._check_names(family, owner)
        with float_errors(owner, "the MAP estimate"):
            x = family._check_support(as_data(data, family.name))
            if start is None:
                start = self._default_start(family, x)
            p0 = family.check_params(dict(start), interior=True, where="fit(start=...)", moderate=True)
            lp0 = self.logpdf(p0)
            if not np.isfinite(lp0):
                raise ValueError(
                    f"{owner}: the prior has no density at the start {p0!r} (log-prior {lp0}); give start={{...}} "
                    "where the prior density is positive."
                )
            lf, sf, hf = family._objective(x)
            z = np.zeros(1)
            # the log-prior as a one-observation CustomFamily: its finite-difference score and Hessian
            penalty = CustomFamily(
                lambda _, **p: np.array([self.logpdf(p)]),
                family.param_names,
                domains={s.name: (s.lower, s.upper) for s in family.params},
                name=repr(self),
            )
            objective = (
                lambda p: lf(p) + self.logpdf(p),
                lambda p: sf(p) + penalty._score(z, p),
                lambda p: hf(p) + penalty._hessian(z, p),
            )
            res = _generic(
                family, x, "newton" if method == "auto" else method, p0, opts, objective,
                label=method, scipy_method=scipy_method, mle_must_exist=False,
            )
            try:
                loglik = family._loglik_checked(x, family.check_params(dict(res.params), where=owner), owner)
            except ValueError:
                loglik = -np.inf
        return replace(
            res,
            loglik=float(loglik),
            method=f"MAP ({self!r} prior)",
            message=f"MAP (numerical; log-prior derivatives by finite differences): {res.message}",
        )

    @staticmethod
    def _default_start(family: Family, x: np.ndarray) -> dict:
        """The MLE when it exists and is interior, else the family's moment start."""
        from .fit import fit

        try:
            mle = fit(family, x)
            if mle.converged and not mle.boundary:
                return dict(mle.params)
        except ValueError:
            pass
        return family._start(x)
