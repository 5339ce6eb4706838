"""Probability families: log-density, score, Hessian, information and the MLE.

Which family to use
-------------------
==================  =====================  ===================================  =====================
family              parameters             data                                 book chapter
==================  =====================  ===================================  =====================
``Bernoulli()``     ``p``                  0/1 outcomes                         worked example: Bernoulli
``Binomial(n=m)``   ``p``                  successes out of ``m`` trials        worked example: Bernoulli
``Categorical(k)``  ``theta`` (k-vector)   category codes ``0 .. k-1``          worked example: Categorical
``Poisson()``       ``lam``                counts ``0, 1, 2, ...``              worked example: Poisson
``Normal()``        ``mu``, ``sigma2``     real numbers                         worked examples: Gaussian
``Exponential()``   ``rate``               non-negative reals (waiting times)   the recipe
==================  =====================  ===================================  =====================

Quantities known in advance go to the constructor (``Binomial(n=10)``,
``Categorical(k=4)``, ``Normal(sigma2=4.0)`` for the known-variance case); the
parameters to estimate go to the methods as keyword arguments::

    fam = Normal(sigma2=4.0)
    fam.loglik(x, mu=1.0)
    fam.score(x, mu=1.0)

Design (after ``scipy.stats``): one class per family; the public methods live in
:class:`Family` and check their input once; each family supplies the maths in
small private hooks that receive validated data and parameters. Derivatives are
taken with respect to the *free coordinates* (``coord_names``): the parameters
themselves, except for ``Categorical`` whose last probability is fixed by the
others (``theta[k-1] = 1 - sum(theta[:k-1])``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ._validation import (
    as_data,
    as_positive_int,
    as_scalar,
    check_finite,
    check_integers,
)

__all__ = [
    "Family",
    "Param",
    "Bernoulli",
    "Binomial",
    "Categorical",
    "Poisson",
    "Normal",
    "Exponential",
]


@dataclass(frozen=True)
class Param:
    """A parameter's name, domain and a typical range.

    ``lower``/``upper`` bound the domain; ``*_open`` says whether the bound itself
    is excluded. ``typical`` is a range of "sane" values, used by property tests
    and by plots. ``size`` is ``None`` for a scalar, or the length of a vector.
    """

    name: str
    lower: float = -np.inf
    upper: float = np.inf
    lower_open: bool = True
    upper_open: bool = True
    typical: tuple[float, float] = (-3.0, 3.0)
    size: int | None = None

    def describe(self) -> str:
        left = "(" if self.lower_open else "["
        right = ")" if self.upper_open else "]"
        return f"{left}{self.lower:g}, {self.upper:g}{right}"

    def contains(self, v, *, interior: bool = False) -> bool:
        v = np.asarray(v)
        lo_ok = v > self.lower if (self.lower_open or interior) else v >= self.lower
        hi_ok = v < self.upper if (self.upper_open or interior) else v <= self.upper
        return bool(np.all(lo_ok & hi_ok))


class Family:
    """Base class of a parametric family; see the module docstring.

    Subclasses set ``name`` and ``params`` (a tuple of :class:`Param`) and
    implement the hooks ``_check_support``, ``_logpdf``, ``_score``,
    ``_hessian``, ``_fisher`` and, where it exists, ``_mle``. Hooks receive a
    validated data array and a dict of validated parameters.
    """

    name: str = "Family"
    params: tuple[Param, ...] = ()
    discrete: bool = False

    # ------------------------------------------------------------------ names
    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the parameters that are estimated (fixed ones excluded)."""
        return tuple(p.name for p in self.params)

    @property
    def coord_names(self) -> tuple[str, ...]:
        """Names of the free coordinates: the axes of ``score`` and ``hessian``."""
        return self.param_names

    @property
    def n_free(self) -> int:
        """Number of free parameters (used by AIC and BIC)."""
        return len(self.coord_names)

    @property
    def has_closed_form(self) -> bool:
        return type(self)._mle is not Family._mle

    def __repr__(self) -> str:
        fixed = ", ".join(f"{k}={v!r}" for k, v in self._fixed().items())
        return f"{type(self).__name__}({fixed})"

    def _fixed(self) -> dict:
        """Constructor arguments (known quantities), for ``repr``."""
        return {}

    # ------------------------------------------------------------- validation
    def check_data(self, x) -> np.ndarray:
        """Return the data as an array after checking it lies in the support.

        Raises ``ValueError`` naming the family and the first bad value for
        empty data, NaN or infinity, or values outside the support.
        """
        arr = as_data(x, self.name)
        return self._check_support(arr)

    def _check_support(self, arr: np.ndarray) -> np.ndarray:
        check_finite(arr, self.name)
        return arr

    def check_params(self, params: dict, *, interior: bool = False, where: str = "") -> dict:
        """Validate a dict of parameter values against their domains.

        ``interior=True`` also refuses values on a closed boundary, where the
        log-likelihood is not differentiable (used by ``score`` and ``hessian``).
        """
        owner = f"{self.name}{'.' + where if where else ''}"
        expected = set(self.param_names)
        given = set(params)
        extra = given - expected
        if extra:
            fixed = set(self._fixed())
            for name in sorted(extra):
                if name in fixed:
                    raise ValueError(
                        f"{owner}: {name} is fixed at {self._fixed()[name]!r} by the constructor; "
                        f"pass only {', '.join(self.param_names) or 'no parameters'}."
                    )
            raise ValueError(
                f"{owner}: unknown parameter(s) {', '.join(sorted(extra))}; "
                f"this family's parameters are {', '.join(self.param_names)}."
            )
        missing = expected - given
        if missing:
            raise ValueError(f"{owner}: missing parameter(s) {', '.join(sorted(missing))}.")
        out = {}
        for spec in self.params:
            value = params[spec.name]
            if spec.size is None:
                v = as_scalar(value, owner, spec.name)
            else:
                v = self._check_vector_param(spec, value, owner)
            if not spec.contains(v, interior=interior):
                if interior and spec.contains(v):
                    raise ValueError(
                        f"{owner}: {spec.name} = {v!r} is on the boundary of its domain {spec.describe()}; "
                        "the log-likelihood is not differentiable there."
                    )
                raise ValueError(f"{owner}: {spec.name} must lie in {spec.describe()}, got {v!r}.")
            out[spec.name] = v
        self._check_params_extra(out, owner)
        return out

    def _check_vector_param(self, spec: Param, value, owner: str) -> np.ndarray:
        arr = np.asarray(value, dtype=float) if np.ndim(value) else None
        if arr is None or arr.shape != (spec.size,):
            raise ValueError(f"{owner}: {spec.name} must be a vector of length {spec.size}, got {value!r}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{owner}: {spec.name} must be finite, got {arr!r}.")
        return arr

    def _check_params_extra(self, params: dict, owner: str) -> None:
        """Constraints that involve several parameters (e.g. a probability vector's sum)."""

    # --------------------------------------------------------- public methods
    def logpdf(self, x, **params) -> np.ndarray:
        """Per-observation log-density (log-probability for discrete families)."""
        arr = self.check_data(x)
        p = self.check_params(params, where="logpdf")
        return self._logpdf(arr, p)

    def loglik(self, x, **params) -> float:
        r"""Log-likelihood :math:`\ell(\theta) = \sum_i \log f(x_i;\theta)`."""
        arr = self.check_data(x)
        p = self.check_params(params, where="loglik")
        return float(self._loglik(arr, p))

    def score(self, x, **params) -> np.ndarray:
        """Gradient of the log-likelihood with respect to ``coord_names``."""
        arr = self.check_data(x)
        p = self.check_params(params, interior=True, where="score")
        return np.asarray(self._score(arr, p), dtype=float).reshape(self.n_free)

    def hessian(self, x, **params) -> np.ndarray:
        """Matrix of second derivatives of the log-likelihood (``coord_names`` axes)."""
        arr = self.check_data(x)
        p = self.check_params(params, interior=True, where="hessian")
        return np.asarray(self._hessian(arr, p), dtype=float).reshape(self.n_free, self.n_free)

    def observed_information(self, x, **params) -> np.ndarray:
        """Observed information, the negative Hessian of the log-likelihood."""
        return -self.hessian(x, **params)

    def fisher_information(self, **params) -> np.ndarray:
        r"""Expected (Fisher) information of **one** observation.

        :math:`I(\theta) = -\mathbb{E}[\partial^2 \log f(X;\theta)]`; for ``n``
        independent observations it is ``n * fisher_information(...)``.
        """
        p = self.check_params(params, interior=True, where="fisher_information")
        return np.asarray(self._fisher(p), dtype=float).reshape(self.n_free, self.n_free)

    def mle(self, x) -> dict:
        """The maximum-likelihood estimate in closed form, as ``{name: value}``."""
        if not self.has_closed_form:
            raise ValueError(f"{self.name}: no closed-form MLE; use mlekit.fit(...) for a numerical fit.")
        arr = self.check_data(x)
        return self._mle(arr)

    def sample(self, size: int, *, rng=None, **params) -> np.ndarray:
        """Draw ``size`` independent observations (``rng``: Generator, seed or None)."""
        size = as_positive_int(size, f"{self.name}.sample", "size")
        p = self.check_params(params, where="sample")
        return self._sample(np.random.default_rng(rng), size, p)

    def boundary(self, **params) -> tuple[str, ...]:
        """Names of the parameters that sit on a closed boundary of their domain."""
        p = self.check_params(params, where="boundary")
        out = []
        for s in self.params:
            if s.size is None:
                if not s.contains(p[s.name], interior=True):
                    out.append(s.name)
            else:
                out += [f"{s.name}[{j}]" for j, v in enumerate(p[s.name]) if not s.contains(v, interior=True)]
        return tuple(out)

    # ----------------------------------------------------- coordinates helpers
    def to_vector(self, params: dict) -> np.ndarray:
        """Free coordinates of a parameter dict (the point where ``score`` lives)."""
        return np.array([float(params[name]) for name in self.coord_names])

    def from_vector(self, vec) -> dict:
        """Inverse of :meth:`to_vector`."""
        return {name: float(v) for name, v in zip(self.coord_names, np.asarray(vec, dtype=float))}

    def inverse_information(self, n: int, **params) -> tuple[np.ndarray, tuple[str, ...]]:
        """Asymptotic covariance of the MLE from ``n`` observations, and its axis names.

        The inverse of ``n * fisher_information``, in closed form where the
        family provides one (so that it stays finite on the boundary, e.g.
        ``p(1-p)/n`` at ``p = 0``). The axes are the reported parameters
        (``report_names``), which for ``Categorical`` include the last
        probability.
        """
        p = self.check_params(params, where="inverse_information")
        return np.asarray(self._inverse_fisher(p), dtype=float) / n, self.report_names

    @property
    def report_names(self) -> tuple[str, ...]:
        """Axis names of the reported covariance (see ``inverse_information``)."""
        return self.coord_names

    # -------------------------------------------------------------- the hooks
    def _loglik(self, x: np.ndarray, p: dict) -> float:
        return float(np.sum(self._logpdf(x, p)))

    def _inverse_fisher(self, p: dict) -> np.ndarray:
        return np.linalg.inv(np.atleast_2d(self._fisher(p)))

    def _logpdf(self, x, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def _score(self, x, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def _hessian(self, x, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fisher(self, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def _mle(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, rng, size, p):  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------- Bernoulli
class Bernoulli(Family):
    r"""Bernoulli(p): one trial, success (1) with probability ``p``.

    Notes
    -----
    .. math::
        \log f(x; p) = x \log p + (1-x)\log(1-p), \qquad
        \hat p = \bar x, \qquad I(p) = \frac{1}{p(1-p)}.

    scipy: ``scipy.stats.bernoulli(p)``; R: ``dbinom(x, 1, p)``.
    """

    name = "Bernoulli"
    params = (Param("p", 0.0, 1.0, lower_open=False, upper_open=False, typical=(0.05, 0.95)),)
    discrete = True

    def _check_support(self, arr):
        if np.issubdtype(arr.dtype, np.bool_):
            return arr.astype(np.int8)
        return check_integers(arr, self.name, lower=0, upper=1, what="0/1 outcomes")

    def _logpdf(self, x, p):
        # xlogy/xlog1py give 0*log(0) = 0 without a warning, so p = 0 or 1 works.
        return special.xlogy(x, p["p"]) + special.xlog1py(1 - x, -p["p"])

    def _loglik(self, x, p):
        s, n = float(np.sum(x)), x.size
        return special.xlogy(s, p["p"]) + special.xlog1py(n - s, -p["p"])

    def _score(self, x, p):
        s, n, q = float(np.sum(x)), x.size, p["p"]
        return s / q - (n - s) / (1 - q)

    def _hessian(self, x, p):
        s, n, q = float(np.sum(x)), x.size, p["p"]
        return -s / q**2 - (n - s) / (1 - q) ** 2

    def _fisher(self, p):
        return 1.0 / (p["p"] * (1 - p["p"]))

    def _inverse_fisher(self, p):
        return np.array([[p["p"] * (1 - p["p"])]])

    def _mle(self, x):
        return {"p": float(np.sum(x)) / x.size}

    def _sample(self, rng, size, p):
        return (rng.random(size) < p["p"]).astype(np.int64)


# ----------------------------------------------------------------- Binomial
class Binomial(Family):
    r"""Binomial(n, p) with the number of trials ``n`` known.

    Each observation is a number of successes out of ``n`` trials.

    Notes
    -----
    .. math::
        \log f(x; p) = \log\binom{n}{x} + x\log p + (n-x)\log(1-p), \qquad
        \hat p = \frac{\sum_i x_i}{N n}, \qquad I(p) = \frac{n}{p(1-p)}.

    scipy: ``scipy.stats.binom(n, p)``; R: ``dbinom(x, n, p)``.
    """

    name = "Binomial"
    params = Bernoulli.params
    discrete = True

    def __init__(self, n: int):
        self.n = as_positive_int(n, self.name, "n (the number of trials)")

    def _fixed(self):
        return {"n": self.n}

    def _check_support(self, arr):
        return check_integers(arr, self.name, lower=0, upper=self.n, what=f"success counts out of n={self.n}")

    def _logpdf(self, x, p):
        m = self.n
        logc = special.gammaln(m + 1) - special.gammaln(x + 1) - special.gammaln(m - x + 1)
        return logc + special.xlogy(x, p["p"]) + special.xlog1py(m - x, -p["p"])

    def _score(self, x, p):
        s, t, q = float(np.sum(x)), x.size * self.n, p["p"]
        return s / q - (t - s) / (1 - q)

    def _hessian(self, x, p):
        s, t, q = float(np.sum(x)), x.size * self.n, p["p"]
        return -s / q**2 - (t - s) / (1 - q) ** 2

    def _fisher(self, p):
        return self.n / (p["p"] * (1 - p["p"]))

    def _inverse_fisher(self, p):
        return np.array([[p["p"] * (1 - p["p"]) / self.n]])

    def _mle(self, x):
        return {"p": float(np.sum(x)) / (x.size * self.n)}

    def _sample(self, rng, size, p):
        return rng.binomial(self.n, p["p"], size=size)


# -------------------------------------------------------------- Categorical
class Categorical(Family):
    r"""Categorical(theta) over ``k`` categories coded ``0 .. k-1``.

    ``theta`` is a probability vector (non-negative, summing to 1). Its last
    entry is determined by the others, so ``score``/``hessian`` are taken with
    respect to the ``k - 1`` free coordinates ``theta[0] .. theta[k-2]``; the
    reported covariance covers all ``k`` entries.

    Notes
    -----
    With counts :math:`c_j` and :math:`N = \sum_j c_j`,

    .. math::
        \ell(\theta) = \sum_j c_j \log\theta_j, \qquad
        \hat\theta_j = \frac{c_j}{N}\ \text{(Lagrange multiplier } \lambda = N),

    .. math::
        \operatorname{Cov}(\hat\theta) \approx
        \frac{\operatorname{diag}(\theta) - \theta\theta^\top}{N}.

    scipy: ``scipy.stats.multinomial(1, theta)``; R: ``dmultinom``.
    """

    name = "Categorical"
    discrete = True
    SUM_TOL = 1e-9

    def __init__(self, k: int):
        self.k = as_positive_int(k, self.name, "k (the number of categories)")
        if self.k < 2:
            raise ValueError(f"{self.name}: k must be at least 2 categories, got {k!r}.")
        self.params = (
            Param("theta", 0.0, 1.0, lower_open=False, upper_open=False, typical=(0.05, 0.95), size=self.k),
        )

    def _fixed(self):
        return {"k": self.k}

    @property
    def coord_names(self):
        return tuple(f"theta[{j}]" for j in range(self.k - 1))

    @property
    def report_names(self):
        return tuple(f"theta[{j}]" for j in range(self.k))

    def to_vector(self, params):
        return np.asarray(params["theta"], dtype=float)[: self.k - 1].copy()

    def from_vector(self, vec):
        vec = np.asarray(vec, dtype=float)
        return {"theta": np.append(vec, 1.0 - vec.sum())}

    def _check_support(self, arr):
        return check_integers(arr, self.name, lower=0, upper=self.k - 1, what=f"category codes 0..{self.k - 1}")

    def _check_params_extra(self, p, owner):
        total = float(p["theta"].sum())
        if abs(total - 1.0) > self.SUM_TOL:
            raise ValueError(f"{owner}: theta must sum to 1, but it sums to {total!r}.")

    def counts(self, x) -> np.ndarray:
        """Number of observations in each category (length ``k``)."""
        return np.bincount(self.check_data(x), minlength=self.k)

    def _counts(self, x):
        return np.bincount(x.astype(np.intp, copy=False), minlength=self.k).astype(float)

    def _logpdf(self, x, p):
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer here
            logt = np.log(p["theta"])
        return logt[x.astype(np.intp, copy=False)]

    def _loglik(self, x, p):
        return float(np.sum(special.xlogy(self._counts(x), p["theta"])))

    def _score(self, x, p):
        c, t = self._counts(x), p["theta"]
        return c[:-1] / t[:-1] - c[-1] / t[-1]

    def _hessian(self, x, p):
        c, t = self._counts(x), p["theta"]
        return -np.diag(c[:-1] / t[:-1] ** 2) - c[-1] / t[-1] ** 2

    def _fisher(self, p):
        t = p["theta"]
        return np.diag(1.0 / t[:-1]) + 1.0 / t[-1]

    def _inverse_fisher(self, p):
        t = p["theta"]
        return np.diag(t) - np.outer(t, t)

    def _mle(self, x):
        c = self._counts(x)
        return {"theta": c / c.sum()}

    def _sample(self, rng, size, p):
        return rng.choice(self.k, size=size, p=p["theta"])


# ------------------------------------------------------------------ Poisson
class Poisson(Family):
    r"""Poisson(lam): counts with mean ``lam``.

    Notes
    -----
    .. math::
        \log f(x;\lambda) = x\log\lambda - \lambda - \log x!, \qquad
        \hat\lambda = \bar x, \qquad I(\lambda) = \frac{1}{\lambda}.

    scipy: ``scipy.stats.poisson(lam)``; R: ``dpois(x, lambda)``.
    """

    name = "Poisson"
    params = (Param("lam", 0.0, np.inf, lower_open=False, typical=(0.5, 20.0)),)
    discrete = True

    def _check_support(self, arr):
        return check_integers(arr, self.name, lower=0, what="counts")

    def _logpdf(self, x, p):
        return special.xlogy(x, p["lam"]) - p["lam"] - special.gammaln(x + 1.0)

    def _score(self, x, p):
        return float(np.sum(x)) / p["lam"] - x.size

    def _hessian(self, x, p):
        return -float(np.sum(x)) / p["lam"] ** 2

    def _fisher(self, p):
        return 1.0 / p["lam"]

    def _inverse_fisher(self, p):
        return np.array([[p["lam"]]])

    def _mle(self, x):
        return {"lam": float(np.sum(x)) / x.size}

    def _sample(self, rng, size, p):
        return rng.poisson(p["lam"], size=size)


# ------------------------------------------------------------------- Normal
class Normal(Family):
    r"""Normal(mu, sigma2), parameterized by the **variance** ``sigma2``.

    Either parameter may be fixed in the constructor: ``Normal(sigma2=4.0)`` is
    the known-variance model (only ``mu`` is estimated), ``Normal(mu=0.0)``
    estimates the variance around a known mean.

    Notes
    -----
    .. math::
        \log f(x;\mu,\sigma^2) = -\tfrac12\log(2\pi\sigma^2) - \frac{(x-\mu)^2}{2\sigma^2},

    .. math::
        \hat\mu = \bar x, \qquad \hat\sigma^2 = \frac1N\sum_i (x_i-\hat\mu)^2
        \quad\text{(divides by } N\text{, biased)}, \qquad
        I(\mu,\sigma^2) = \operatorname{diag}\!\Big(\frac{1}{\sigma^2}, \frac{1}{2\sigma^4}\Big).

    scipy: ``scipy.stats.norm(loc=mu, scale=sqrt(sigma2))`` (note: scale is the
    standard deviation); R: ``dnorm(x, mu, sqrt(sigma2))``.
    """

    name = "Normal"
    _MU = Param("mu", typical=(-5.0, 5.0))
    _S2 = Param("sigma2", 0.0, np.inf, typical=(0.1, 10.0))

    def __init__(self, *, mu: float | None = None, sigma2: float | None = None):
        self.fixed_mu = None if mu is None else as_scalar(mu, self.name, "mu (fixed)")
        if sigma2 is None:
            self.fixed_sigma2 = None
        else:
            s2 = as_scalar(sigma2, self.name, "sigma2 (fixed variance)")
            if s2 <= 0:
                raise ValueError(f"{self.name}: the fixed variance sigma2 must be > 0, got {s2!r}.")
            self.fixed_sigma2 = s2
        self.params = tuple(
            spec
            for spec, fixed in ((self._MU, self.fixed_mu), (self._S2, self.fixed_sigma2))
            if fixed is None
        )
        if not self.params:
            raise ValueError(f"{self.name}: both mu and sigma2 are fixed; there is nothing to estimate.")

    def _fixed(self):
        out = {}
        if self.fixed_mu is not None:
            out["mu"] = self.fixed_mu
        if self.fixed_sigma2 is not None:
            out["sigma2"] = self.fixed_sigma2
        return out

    def _full(self, p):
        mu = self.fixed_mu if self.fixed_mu is not None else p["mu"]
        s2 = self.fixed_sigma2 if self.fixed_sigma2 is not None else p["sigma2"]
        return mu, s2

    def _logpdf(self, x, p):
        mu, s2 = self._full(p)
        return -0.5 * np.log(2 * np.pi * s2) - (x - mu) ** 2 / (2 * s2)

    def _loglik(self, x, p):
        mu, s2 = self._full(p)
        n = x.size
        ss = _sum_sq_dev(x, mu)
        return -0.5 * n * np.log(2 * np.pi * s2) - ss / (2 * s2)

    def _score(self, x, p):
        mu, s2 = self._full(p)
        n = x.size
        out = []
        if self.fixed_mu is None:
            out.append(float(np.sum(x - mu)) / s2)
        if self.fixed_sigma2 is None:
            out.append(-n / (2 * s2) + _sum_sq_dev(x, mu) / (2 * s2**2))
        return np.array(out)

    def _hessian(self, x, p):
        mu, s2 = self._full(p)
        n = x.size
        h_mm = -n / s2
        h_ms = -float(np.sum(x - mu)) / s2**2
        h_ss = n / (2 * s2**2) - _sum_sq_dev(x, mu) / s2**3
        if self.fixed_sigma2 is not None:
            return np.array([[h_mm]])
        if self.fixed_mu is not None:
            return np.array([[h_ss]])
        return np.array([[h_mm, h_ms], [h_ms, h_ss]])

    def _fisher(self, p):
        _, s2 = self._full(p)
        diag = []
        if self.fixed_mu is None:
            diag.append(1.0 / s2)
        if self.fixed_sigma2 is None:
            diag.append(1.0 / (2 * s2**2))
        return np.diag(diag)

    def _inverse_fisher(self, p):
        return np.diag(1.0 / np.diag(self._fisher(p)))

    def _check_support(self, arr):
        arr = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        check_finite(arr, self.name)
        return arr

    def _mle(self, x):
        out = {}
        n = x.size
        mu = float(np.mean(x)) if self.fixed_mu is None else self.fixed_mu
        if self.fixed_mu is None:
            out["mu"] = mu
        if self.fixed_sigma2 is None:
            s2 = _sum_sq_dev(x, mu) / n
            if not s2 > 0:
                where = "all observations are equal" if n > 1 else "there is a single observation"
                raise ValueError(
                    f"{self.name}: the MLE of sigma2 does not exist because {where} "
                    f"(value {x[0]!r}){' and equal to the fixed mu' if self.fixed_mu is not None else ''}: "
                    "the likelihood grows without bound as sigma2 -> 0."
                )
            out["sigma2"] = s2
        return out

    def _sample(self, rng, size, p):
        mu, s2 = self._full(p)
        return rng.normal(mu, np.sqrt(s2), size=size)


def _sum_sq_dev(x: np.ndarray, mu: float) -> float:
    """Sum of squared deviations from ``mu``, by the two-pass corrected formula.

    ``sum((x - mu)**2)`` is computed on centred data, then corrected by
    ``(sum(x - mu))**2 / n`` (Chan, Golub & LeVeque 1983), so that badly scaled
    data (1e7 + 0.1, 1e7 + 0.3, ...) keep their digits; the one-pass
    ``sum(x**2) - n*mean**2`` formula loses them all.
    """
    d = x - mu
    s = float(np.sum(d))
    return float(np.dot(d, d)) - s * s / x.size


# -------------------------------------------------------------- Exponential
class Exponential(Family):
    r"""Exponential(rate): waiting times with mean ``1/rate``.

    Notes
    -----
    .. math::
        \log f(x;\lambda) = \log\lambda - \lambda x, \qquad
        \hat\lambda = 1/\bar x, \qquad I(\lambda) = \frac{1}{\lambda^2}.

    scipy: ``scipy.stats.expon(scale=1/rate)`` (scipy uses the *scale*, the
    mean); R: ``dexp(x, rate)``.
    """

    name = "Exponential"
    params = (Param("rate", 0.0, np.inf, typical=(0.1, 10.0)),)

    def _check_support(self, arr):
        arr = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        check_finite(arr, self.name)
        if arr.min() < 0:
            i = int(np.flatnonzero(arr < 0)[0])
            raise ValueError(f"{self.name}: data must be >= 0 (waiting times), but index {i} holds {arr[i].item()!r}.")
        return arr

    def _logpdf(self, x, p):
        return np.log(p["rate"]) - p["rate"] * x

    def _loglik(self, x, p):
        return x.size * np.log(p["rate"]) - p["rate"] * float(np.sum(x))

    def _score(self, x, p):
        return x.size / p["rate"] - float(np.sum(x))

    def _hessian(self, x, p):
        return -x.size / p["rate"] ** 2

    def _fisher(self, p):
        return 1.0 / p["rate"] ** 2

    def _inverse_fisher(self, p):
        return np.array([[p["rate"] ** 2]])

    def _mle(self, x):
        total = float(np.sum(x))
        if total <= 0:
            raise ValueError(
                f"{self.name}: the MLE of rate does not exist because every observation is 0: "
                "the likelihood grows without bound as rate -> infinity."
            )
        return {"rate": x.size / total}

    def _sample(self, rng, size, p):
        return rng.exponential(1.0 / p["rate"], size=size)
