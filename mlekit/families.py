"""Probability families: log-density, score, Hessian, information and the MLE.

Which family to use
-------------------
======================  =========================  ==================================  ===============================
family                  parameters                 data                                book chapter / how it is fitted
======================  =========================  ==================================  ===============================
``Bernoulli()``         ``p``                      0/1 outcomes                        worked example: Bernoulli
``Binomial(n=m)``       ``p``                      successes out of ``m`` trials       worked example: Bernoulli
``Categorical(k)``      ``theta`` (k-vector)       category codes ``0 .. k-1``         worked example: Categorical
``Poisson()``           ``lam``                    counts ``0, 1, 2, ...``             worked example: Poisson
``Normal()``            ``mu``, ``sigma2``         real numbers                        worked examples: Gaussian
``Exponential()``       ``rate``                   non-negative reals (waiting times)  the recipe
``Geometric()``         ``prob``                   failures before the first success   closed form
``LogNormal()``         ``meanlog``, ``sdlog``     positive reals                      closed form
``Uniform()``           ``a``, ``b``               reals; MLE at the sample extremes   where calculus breaks
``Laplace()``           ``mu``, ``b``              reals; MLE of ``mu`` is a median    where calculus breaks
``Gamma()``             ``shape``, ``rate``        positive reals                      numerical (1-D profile)
``Weibull()``           ``shape``, ``scale``       positive reals (lifetimes)          numerical (1-D profile)
``Beta()``              ``shape1``, ``shape2``     proportions in (0, 1)               numerical (Newton)
``NegativeBinomial()``  ``size``, ``mu``           overdispersed counts                numerical (1-D profile)
``StudentT()``          ``mu``, ``sigma``, ``df``  heavy-tailed reals                  numerical (Newton)
``CustomFamily(...)``   your names                 your log-density                    numerical (finite differences)
======================  =========================  ==================================  ===============================

Parameter names follow R (``dgamma(x, shape, rate)``, ``dnbinom(x, size, mu)``,
...); each class docstring names the scipy.stats parameterization, which
often differs (scipy uses a *scale* where R uses a rate).

Quantities known in advance go to the constructor (``Binomial(n=10)``,
``Categorical(k=4)``, ``Normal(sigma2=4.0)`` for the known-variance case). Any
parameter of a family with several may be fixed there (R ``fitdist(fix.arg=)``,
scipy ``fit(..., f0=...)``): ``Gamma(shape=2.0)``, ``Weibull(scale=3.0)``,
``StudentT(df=4.0)``. The fixed family has only the other parameters:
``params``, ``score``, ``hessian``, the information and a fit's ``params``,
``se``, ``cov`` and AIC/BIC cover the free ones, and the family (``repr``,
``_fixed()``) carries the fixed values. Where the remaining parameter has a
closed form it is used (the Gamma rate ``shape / mean(x)`` for a known shape,
the Weibull scale ``mean(x**shape)**(1/shape)``, the NegativeBinomial
``mu = mean(x)``; LogNormal, Laplace and Uniform either way); otherwise
``fit`` maximizes numerically. The parameters to estimate go to the methods as
keyword arguments::

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

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._special import lgamma_ratio, nbinom_log_coef, nbinom_size_information, psi_diff, trigamma_diff
from ._validation import (
    BIG,
    RESCALE,
    SMALL,
    as_data,
    as_rng,
    float_errors,
    inverse_pd,
    as_positive_int,
    as_scalar,
    check_finite,
    centred_moments,
    check_counts_fast,
    count_table,
    dot as _dot,
    check_integers,
    check_positive,
    chunked_log_sums,
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
    "Gamma",
    "Weibull",
    "Beta",
    "NegativeBinomial",
    "StudentT",
    "LogNormal",
    "Geometric",
    "Uniform",
    "Laplace",
    "CustomFamily",
]


# hooks that a family with fixed parameters wraps (see Family.__init__)
_FIXED_HOOKS = (
    "_logpdf", "_loglik", "_score", "_hessian", "_fisher", "_inverse_fisher", "_impossible",
    "_check_params_extra", "_sample", "_diagnose", "_objective", "_start", "_check_mle_exists",
    "_auto_route", "_mle", "_closed_form_fit",
)


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
        if isinstance(v, float):
            # plain comparisons for a scalar (NaN compares False, as in NumPy): 0.2 us
            # instead of 5 us (measured), and a numerical fit asks ~16 times
            lo_ok = v > self.lower if (self.lower_open or interior) else v >= self.lower
            hi_ok = v < self.upper if (self.upper_open or interior) else v <= self.upper
            return bool(lo_ok and hi_ok)
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
        if self._fixed_values:
            return tuple(sorted(self._fixed_values)) in type(self)._closed_when_fixed
        return type(self)._mle is not Family._mle

    def __repr__(self) -> str:
        fixed = ", ".join(f"{k}={v!r}" for k, v in self._fixed().items())
        return f"{type(self).__name__}({fixed})"

    def _fixed(self) -> dict:
        """Constructor arguments (known quantities), for ``repr``."""
        return dict(self._fixed_values)

    # ------------------------------------------------------ fixed parameters
    #: the parameters fixed by the constructor, ``{name: value}`` (see ``__init__``)
    _fixed_values: dict = {}
    #: sorted tuples of fixed names for which ``_mle_fixed`` gives the MLE of the rest in closed form
    _closed_when_fixed: tuple = ()

    def __init__(self, **fixed):
        """Fix any of the family's parameters at a known value: ``Gamma(shape=2.0)``.

        Parameters
        ----------
        **fixed : float
            ``name=value`` for each parameter to hold fixed (R ``fitdist(fix.arg=)``,
            scipy ``fit(..., f0=...)``). The other parameters are estimated:
            ``params``, ``score``, ``hessian``, the information and a fit's ``params``,
            ``se`` and ``cov`` cover the free ones only, and AIC/BIC count only them.
            With nothing fixed the family is the full model.

        Raises
        ------
        ValueError
            For an unknown name, a value that is not a finite number inside the
            parameter's domain (named in the message), or every parameter fixed.
        """
        if not fixed:
            return
        specs = type(self).params
        names = [s.name for s in specs]
        unknown = sorted(set(fixed) - set(names))
        if unknown:
            raise ValueError(
                f"{self.name}: unknown parameter(s) {', '.join(unknown)} to fix; "
                f"this family's parameters are {', '.join(names) or 'none'}."
            )
        values = {}
        for spec in specs:
            if spec.name not in fixed:
                continue
            what = f"{spec.name} (fixed)"
            if spec.size is not None:
                raise ValueError(f"{self.name}: the vector parameter {spec.name} cannot be fixed.")
            v = as_scalar(fixed[spec.name], self.name, what)
            if not spec.contains(v, interior=True):
                raise ValueError(
                    f"{self.name}: the fixed value of {spec.name} must lie inside its domain {spec.describe()}, got {v!r}."
                )
            if spec.lower == 0 and spec.upper == np.inf and not (SMALL <= v <= BIG):
                raise ValueError(
                    f"{self.name}: the fixed value of {spec.name} = {v:.3g} is outside [{SMALL:g}, {BIG:g}], where "
                    f"float64 cannot square it; {RESCALE}."
                )
            values[spec.name] = v
        if len(values) == len(specs):
            raise ValueError(f"{self.name}: every parameter ({', '.join(names)}) is fixed; there is nothing to estimate.")
        self._fixed_values = values
        self.params = tuple(s for s in specs if s.name not in values)
        self._free_index = np.array([i for i, s in enumerate(specs) if s.name not in values])
        # The class's hooks compute with every parameter: bound wrappers on the instance give
        # them the fixed values and keep the free rows and columns of what they return.
        for hook in _FIXED_HOOKS:
            setattr(self, hook, getattr(self, "_fx" + hook))

    def _with_fixed(self, p: dict) -> dict:
        return {**p, **self._fixed_values}

    def _fx_logpdf(self, x, p):
        return type(self)._logpdf(self, x, self._with_fixed(p))

    def _fx_loglik(self, x, p):
        return type(self)._loglik(self, x, self._with_fixed(p))

    def _free_vector(self, g):
        return np.asarray(g, dtype=float).reshape(-1)[self._free_index]

    def _free_matrix(self, h):
        k = len(type(self).params)
        return np.asarray(h, dtype=float).reshape(k, k)[np.ix_(self._free_index, self._free_index)]

    def _fx_score(self, x, p):
        return self._free_vector(type(self)._score(self, x, self._with_fixed(p)))

    def _fx_hessian(self, x, p):
        return self._free_matrix(type(self)._hessian(self, x, self._with_fixed(p)))

    def _fx_fisher(self, p):
        # the information about the free parameters when the others are known: the
        # free block of the full information (not the inverse of a block of its inverse)
        return self._free_matrix(type(self)._fisher(self, self._with_fixed(p)))

    def _fx_inverse_fisher(self, p):
        return inverse_pd(self._fx_fisher(p))

    def _fx_impossible(self, x, p):
        return type(self)._impossible(self, x, self._with_fixed(p))

    def _fx_check_params_extra(self, p, owner):
        type(self)._check_params_extra(self, self._with_fixed(p), owner)

    def _fx_sample(self, rng, size, p):
        return type(self)._sample(self, rng, size, self._with_fixed(p))

    def _fx_diagnose(self, params):
        return type(self)._diagnose(self, self._with_fixed(params))

    def _fx_objective(self, x):
        if type(self)._objective is Family._objective:
            return Family._objective(self, x)  # calls the (wrapped) hooks of this instance
        lf, sf, hf = type(self)._objective(self, x)
        full = self._with_fixed
        return (
            lambda p: lf(full(p)),
            lambda p: self._free_vector(sf(full(p))),
            lambda p: self._free_matrix(hf(full(p))),
        )

    def _fx_start(self, x):
        return {k: v for k, v in type(self)._start(self, x).items() if k not in self._fixed_values}

    def _fx_check_mle_exists(self, x):
        """The class's check is about the full model (e.g. all values equal: a Gamma shape
        that runs to infinity); with a parameter fixed the MLE often exists where the full
        one does not (the Gamma rate for a known shape). A fixed family without one is
        caught by the checks at the estimate (``converged`` False, never a wrong answer)."""

    def _fx_auto_route(self, arr):
        # the specialized profile routes solve for every parameter: generic Newton here
        return self._check_support(arr), None

    def _fx_mle(self, x):
        if not self.has_closed_form:  # pragma: no cover - callers check has_closed_form first
            raise ValueError(f"{self!r}: no closed-form MLE; use mlekit.fit(...).")
        return self._mle_fixed(x)

    def _fx_closed_form_fit(self, arr):
        x = self._check_support(arr)
        params = self._mle_fixed(x)
        return x, params, float(self._loglik(x, params))

    def _mle_fixed(self, x) -> dict:  # pragma: no cover - only called where _closed_when_fixed says so
        raise NotImplementedError

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

    def check_params(self, params: dict, *, interior: bool = False, where: str = "", moderate: bool = False) -> dict:
        """Validate a dict of parameter values against their domains.

        ``interior=True`` also refuses values on a closed boundary, where the
        log-likelihood is not differentiable (used by ``score`` and ``hessian``).
        ``moderate=True`` (derivatives, information, starting values) also refuses a
        positive parameter (a scale, rate, shape or mean on ``(0, inf)``) outside
        ``[1e-150, 1e150]``, where its square, and so the information and the
        variance, leave the range of float64.
        """
        if not isinstance(params, dict):
            raise ValueError(f"{self.name}: parameters must be given as a dict {{name: value}}, got {params!r}.")
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
            if moderate and spec.size is None and spec.lower == 0 and spec.upper == np.inf and v != 0 and not (SMALL <= v <= BIG):
                raise ValueError(
                    f"{owner}: {spec.name} = {v:.3g} is beyond the magnitudes float64 can square "
                    f"(a positive parameter must lie within [{SMALL:g}, {BIG:g}] here, or its information and "
                    f"variance over- or underflow); {RESCALE}."
                )
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
    def _impossible(self, x: np.ndarray, p: dict):
        """Mask of the observations that have probability 0 under ``p`` (log-density -inf by
        right: a probability at a closed edge, a support that depends on the parameters), or
        None when there are none. Any other -inf is an overflow and is reported as one.
        A family defined outside mlekit may have zeros this base class cannot know about:
        its -inf values are taken as meant."""
        return None if type(self).__module__ == __name__ else np.ones(x.shape, dtype=bool)

    def logpdf(self, x, **params) -> np.ndarray:
        """Per-observation log-density (log-probability for discrete families)."""
        arr = self.check_data(x)
        p = self.check_params(params, where="logpdf")
        return self._logdensity(arr, p, "logpdf")

    def loglik(self, x, **params) -> float:
        r"""Log-likelihood :math:`\ell(\theta) = \sum_i \log f(x_i;\theta)`."""
        arr = self.check_data(x)
        p = self.check_params(params, where="loglik")
        return self._loglik_checked(arr, p, "loglik")

    def score(self, x, **params) -> np.ndarray:
        """Gradient of the log-likelihood with respect to ``coord_names``."""
        arr = self.check_data(x)
        p = self.check_params(params, interior=True, where="score", moderate=True)
        return self._derivative(arr, p, "score")

    def hessian(self, x, **params) -> np.ndarray:
        """Matrix of second derivatives of the log-likelihood (``coord_names`` axes)."""
        arr = self.check_data(x)
        p = self.check_params(params, interior=True, where="hessian", moderate=True)
        return self._derivative(arr, p, "hessian")

    # Checked evaluation for validated data and parameters: what the public methods
    # return, and what the rest of mlekit calls on data it has already checked (the data
    # are validated once, at the public door; these never read them again).
    def _logdensity(self, arr: np.ndarray, p: dict, where: str) -> np.ndarray:
        owner = f"{self.name}.{where}"
        with float_errors(owner, "the log-density"):
            out = np.asarray(self._logpdf(arr, p), dtype=float)
            bad = np.isnan(out) | (out == np.inf)
            ninf = out == -np.inf
            if ninf.any():
                zero = self._impossible(arr, p)
                bad |= ninf if zero is None else ninf & ~zero
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{owner}: the log-density at data index {i} (value {arr[i].item()!r}) with {p!r} is {out[i]}, "
                f"beyond the range of float64 (the value is too far out for these parameters); {RESCALE}."
            )
        return out

    def _loglik_checked(self, arr: np.ndarray, p: dict, where: str) -> float:
        owner = f"{self.name}.{where}"
        with float_errors(owner, "the log-likelihood"):
            v = float(self._loglik(arr, p))
        if v == -np.inf:
            zero = self._impossible(arr, p)
            if zero is not None and zero.any():
                return v  # an observation impossible under p: the likelihood is 0
        if not math.isfinite(v):
            # tell where: the first observation whose log-density is not finite, if any
            self._logdensity(arr, p, where)
            raise ValueError(
                f"{owner}: the log-likelihood with {p!r} is {v}: a sum beyond the range of float64; {RESCALE}."
            )
        return v

    def _derivative(self, arr: np.ndarray, p: dict, what: str) -> np.ndarray:
        owner = f"{self.name}.{what}"
        k = self.n_free
        with float_errors(owner, f"the {what}"):
            fn = self._score if what == "score" else self._hessian
            out = np.asarray(fn(arr, p), dtype=float).reshape((k,) if what == "score" else (k, k))
            ok = bool(np.isfinite(out).all())
        if not ok:
            raise ValueError(f"{owner}: the {what} at {p!r} is not finite in float64 ({out}); {RESCALE}.")
        return out

    def observed_information(self, x, **params) -> np.ndarray:
        """Observed information, the negative Hessian of the log-likelihood."""
        return -self.hessian(x, **params)

    def fisher_information(self, **params) -> np.ndarray:
        r"""Expected (Fisher) information of **one** observation.

        :math:`I(\theta) = -\mathbb{E}[\partial^2 \log f(X;\theta)]`; for ``n``
        independent observations it is ``n * fisher_information(...)``.
        """
        p = self.check_params(params, interior=True, where="fisher_information", moderate=True)
        return self._fisher_checked(p, "fisher_information")

    def _fisher_checked(self, p: dict, where: str) -> np.ndarray:
        owner = f"{self.name}.{where}"
        k = self.n_free
        with float_errors(owner, "the Fisher information"):
            out = np.asarray(self._fisher(p), dtype=float).reshape(k, k)
            # every diagonal entry of an information is > 0; 0 or a subnormal is an underflow
            ok = bool(np.isfinite(out).all() and np.all(np.diag(out) >= np.finfo(float).tiny))
        if not ok:
            raise ValueError(
                f"{owner}: the information at {p!r} leaves the range of float64 ({out}); {RESCALE}."
            )
        return out

    def mle(self, x) -> dict:
        """The maximum-likelihood estimate in closed form, as ``{name: value}``."""
        if not self.has_closed_form:
            raise ValueError(f"{self.name}: no closed-form MLE; use mlekit.fit(...) for a numerical fit.")
        arr = self.check_data(x)
        with float_errors(f"{self.name}.mle", "the estimate"):
            out = self._mle(arr)
            ok = all(np.all(np.isfinite(v)) for v in out.values())
        if not ok:
            raise ValueError(f"{self.name}.mle: the estimate {out!r} is not finite in float64; {RESCALE}.")
        return out

    def sample(self, *args, rng=None, **params) -> np.ndarray:
        """``sample(size, *, rng=None, **params)``: draw ``size`` independent observations.

        ``rng`` is a Generator, a seed or None. ``size`` may be given by
        keyword too, except for a family with a parameter called ``size``
        (``NegativeBinomial``), where it must be positional:
        ``NegativeBinomial().sample(100, size=3.0, mu=2.0)``.
        """
        owner = f"{self.name}.sample"
        if len(args) > 1:
            raise ValueError(f"{owner}: takes one positional argument (the sample size), got {len(args)}.")
        if args:
            size = args[0]
        elif "size" in params and "size" not in self.param_names:
            size = params.pop("size")
        else:
            raise ValueError(f"{owner}: missing the sample size, e.g. {self.name}().sample(100, ...).")
        size = as_positive_int(size, owner, "size")
        p = self.check_params(params, where="sample")
        gen = as_rng(rng, owner)
        with float_errors(owner, "sampling"):
            out = self._sample(gen, size, p)
            ok = not (np.issubdtype(np.asarray(out).dtype, np.floating) and not np.isfinite(out).all())
        if not ok:
            raise ValueError(f"{owner}: the draws at {p!r} are not finite in float64; choose parameters of moderate size.")
        return out

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
        p = self.check_params(params, where="to_vector")
        return self._to_vector(p)

    def _to_vector(self, p: dict) -> np.ndarray:
        return np.array([float(p[name]) for name in self.coord_names])

    def from_vector(self, vec) -> dict:
        """Inverse of :meth:`to_vector`."""
        owner = f"{self.name}.from_vector"
        try:
            arr = np.asarray(vec, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.size != self.n_free or np.ndim(vec) > 1:
            raise ValueError(
                f"{owner}: vec must be {self.n_free} number(s), one per coordinate {', '.join(self.coord_names)}, got {vec!r}."
            )
        return {name: float(v) for name, v in zip(self.coord_names, arr)}

    def inverse_information(self, n: int, **params) -> tuple[np.ndarray, tuple[str, ...]]:
        """Asymptotic covariance of the MLE from ``n`` observations, and its axis names.

        The inverse of ``n * fisher_information``, in closed form where the
        family provides one (so that it stays finite on the boundary, e.g.
        ``p(1-p)/n`` at ``p = 0``). The axes are the reported parameters
        (``report_names``), which for ``Categorical`` include the last
        probability.
        """
        owner = f"{self.name}.inverse_information"
        n = as_positive_int(n, owner, "n (the number of observations)")
        p = self.check_params(params, where="inverse_information", moderate=True)
        return self._inverse_information(n, p, "inverse_information"), self.report_names

    def _inverse_information(self, n: int, p: dict, where: str) -> np.ndarray:
        owner = f"{self.name}.{where}"
        interior = {s.name for s in self.params if s.contains(p[s.name], interior=True)}
        with float_errors(owner, "the inverse information"):
            try:
                cov = np.asarray(self._inverse_fisher(p), dtype=float) / n
            except np.linalg.LinAlgError:
                cov = None
            ok = cov is not None and bool(np.isfinite(cov).all())
            if ok and len(interior) == len(self.params):
                # at an interior point every variance is > 0: 0 or a subnormal is an underflow
                ok = bool(np.all(np.diag(cov) >= np.finfo(float).tiny))
        if not ok:
            raise ValueError(
                f"{owner}: the inverse information at {p!r} is singular or leaves the range of float64; {RESCALE}."
            )
        return cov

    @property
    def report_names(self) -> tuple[str, ...]:
        """Axis names of the reported covariance (see ``inverse_information``)."""
        return self.coord_names

    # -------------------------------------------------------------- the hooks
    def _loglik(self, x: np.ndarray, p: dict) -> float:
        return float(np.sum(self._logpdf(x, p)))

    def _inverse_fisher(self, p: dict) -> np.ndarray:
        return inverse_pd(np.atleast_2d(self._fisher(p)))

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

    # ------------------------------------------- hooks used by mlekit.fit
    #: False for families whose log-likelihood is not differentiable in the
    #: parameters at the MLE (Uniform, Laplace): only the closed form applies.
    differentiable: bool = True

    def _diagnose(self, params: dict) -> str:
        """A hint appended to the message of a numerical fit that did not converge."""
        return ""

    def _check_mle_exists(self, x) -> None:
        """Raise ``ValueError`` when the data admit no finite MLE (every fitting method asks;
        a numerical optimizer would otherwise walk off towards the supremum at infinity,
        where the likelihood is flat enough to look converged)."""

    def _no_mle_equal(self, x, how: str) -> None:
        """The common case: all observations equal (or one), and the likelihood grows ``how``."""
        if not x.max() > x.min():
            where = "all observations are equal" if x.size > 1 else "there is a single observation"
            raise ValueError(
                f"{self.name}: the MLE does not exist because {where} (value {x[0].item()!r}): the likelihood "
                f"grows without bound {how}."
            )

    def _start(self, x) -> dict:
        """Starting values for a numerical fit (method of moments or similar)."""
        raise NotImplementedError  # pragma: no cover - every numerical family overrides

    def _objective(self, x):
        """``(loglik, score, hessian)``: functions of a validated parameter dict.

        Families whose likelihood depends on the data through a few
        sufficient statistics override this so that each evaluation costs
        O(1) instead of O(N).
        """
        return (
            lambda p: float(self._loglik(x, p)),
            lambda p: np.asarray(self._score(x, p), dtype=float).reshape(self.n_free),
            lambda p: np.asarray(self._hessian(x, p), dtype=float).reshape(self.n_free, self.n_free),
        )

    def _fit_auto(self, x):
        """The family's best numerical route: ``(params, trace, objective)`` or ``None`` for generic Newton.

        ``params`` may be ``None``: then generic Newton runs on ``objective``.
        """
        return None

    def _auto_route(self, arr):
        """Validate raw data and run :meth:`_fit_auto`: ``(x, route)``.

        Families that read every value's logarithm anyway override this to
        let the (finite) sums of logs prove the data valid, so validation
        costs no extra pass; the detailed check runs only on failure.
        """
        x = self._check_support(arr)
        return x, self._fit_auto(x)

    def _closed_form_fit(self, arr):
        """Validate, estimate and evaluate in as few passes as possible: ``(x, params, loglik)``."""
        x = self._check_support(arr)
        params = self._mle(x)
        return x, params, float(self._loglik(x, params))

    def _closed_form_cov(self, x, params):
        """Covariance of a closed-form estimate: ``(cov, names, information)``."""
        return self._inverse_information(x.size, params, "fit"), self.report_names, "expected"

    def _exact_conf_int(self, params: dict, n: int, level: float) -> dict | None:
        """Exact intervals for families where Wald intervals do not apply, else ``None``.

        ``MLEResult.conf_int`` uses these instead of estimate +- z * se.
        """
        return None


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

    def _impossible(self, x, p):
        return (x == 1) & (p["p"] == 0) | (x == 0) & (p["p"] == 1)

    def _logpdf(self, x, p):
        # xlogy/xlog1py give 0*log(0) = 0 without a warning, so p = 0 or 1 works.
        return special.xlogy(x, p["p"]) + special.xlog1py(1 - x, -p["p"])

    def _loglik(self, x, p):
        s, n = float(np.sum(x, dtype=float)), x.size
        return special.xlogy(s, p["p"]) + special.xlog1py(n - s, -p["p"])

    def _score(self, x, p):
        s, n, q = float(np.sum(x, dtype=float)), x.size, p["p"]
        return s / q - (n - s) / (1 - q)

    def _hessian(self, x, p):
        s, n, q = float(np.sum(x, dtype=float)), x.size, p["p"]
        return -s / q**2 - (n - s) / (1 - q) ** 2

    def _fisher(self, p):
        return 1.0 / (p["p"] * (1 - p["p"]))

    def _inverse_fisher(self, p):
        return np.array([[p["p"] * (1 - p["p"])]])

    def _mle(self, x):
        return {"p": float(np.sum(x, dtype=float)) / x.size}

    def _closed_form_fit(self, arr):
        x, _ = check_counts_fast(arr, self.name, upper=1, what="0/1 outcomes")
        # the values are checked 0/1: an integer sum cannot overflow (and needs no float conversion)
        if x.dtype == np.uint8:
            s = float(np.count_nonzero(x))
        else:
            s = float(np.sum(x)) if x.dtype.kind in "iu" else float(np.sum(x, dtype=float))
        n = x.size
        params = {"p": s / n}
        return x, params, float(special.xlogy(s, params["p"]) + special.xlog1py(n - s, -params["p"]))

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

    def _impossible(self, x, p):
        return (x > 0) & (p["p"] == 0) | (x < self.n) & (p["p"] == 1)

    def _logpdf(self, x, p):
        m = self.n
        logc = special.gammaln(m + 1) - special.gammaln(x + 1) - special.gammaln(m - x + 1)
        return logc + special.xlogy(x, p["p"]) + special.xlog1py(m - x, -p["p"])

    def _score(self, x, p):
        s, t, q = float(np.sum(x, dtype=float)), x.size * self.n, p["p"]
        return s / q - (t - s) / (1 - q)

    def _hessian(self, x, p):
        s, t, q = float(np.sum(x, dtype=float)), x.size * self.n, p["p"]
        return -s / q**2 - (t - s) / (1 - q) ** 2

    def _fisher(self, p):
        return self.n / (p["p"] * (1 - p["p"]))

    def _inverse_fisher(self, p):
        return np.array([[p["p"] * (1 - p["p"]) / self.n]])

    def _mle(self, x):
        return {"p": float(np.sum(x, dtype=float)) / (x.size * self.n)}

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

    def _to_vector(self, p):
        return np.asarray(p["theta"], dtype=float)[: self.k - 1].copy()

    def from_vector(self, vec):
        vec = super().from_vector(vec)  # checks the length
        vec = np.array(list(vec.values()))
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

    def _impossible(self, x, p):
        return p["theta"][x.astype(np.intp, copy=False)] == 0

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

    def _impossible(self, x, p):
        return (x > 0) & (p["lam"] == 0)

    def _logpdf(self, x, p):
        return special.xlogy(x, p["lam"]) - p["lam"] - special.gammaln(x + 1.0)

    def _score(self, x, p):
        return float(np.sum(x, dtype=float)) / p["lam"] - x.size

    def _hessian(self, x, p):
        return -float(np.sum(x, dtype=float)) / p["lam"] ** 2

    def _fisher(self, p):
        return 1.0 / p["lam"]

    def _inverse_fisher(self, p):
        return np.array([[p["lam"]]])

    def _mle(self, x):
        return {"lam": float(np.sum(x, dtype=float)) / x.size}

    def _closed_form_fit(self, arr):
        # One read of the data checks the counts and tabulates them (count_table);
        # sum(x) and sum(log x!) come from the frequency table.
        x, table, mx = count_table(arr, self.name, what="counts")
        n = x.size
        if table is not None:
            c = table.astype(float)
            k = np.arange(c.size, dtype=float)
            s, logfact = _dot(c, k), _dot(c, special.gammaln(k + 1.0))
        else:
            s, logfact = float(np.sum(x, dtype=float)), float(np.sum(special.gammaln(x + 1.0)))
        lam = s / n
        return x, {"lam": lam}, float(special.xlogy(s, lam) - n * lam - logfact)

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

    def __init__(self, *, mu: float | None = None, sigma2: float | None = None, **other):
        if other:
            raise ValueError(
                f"{self.name}: unknown parameter(s) {', '.join(sorted(other))} to fix; this family's parameters are mu, sigma2."
            )
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

    def _closed_form_fit(self, arr):
        # One memory pass: the chunked centred moments also reveal NaN/inf
        # (they make the mean non-finite), so validation costs nothing extra.
        x = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        mean, m2 = centred_moments(x)
        if not np.isfinite(mean) or not np.isfinite(m2):
            check_finite(x, self.name)
        n = x.size
        out = {}
        mu = mean if self.fixed_mu is None else self.fixed_mu
        if self.fixed_mu is None:
            out["mu"] = mu
        ss = m2 + n * (mean - mu) ** 2
        if self.fixed_sigma2 is None:
            out = self._mle_from(x, out, ss)
        _, s2 = self._full(out)
        return x, out, float(-0.5 * n * np.log(2 * np.pi * s2) - ss / (2 * s2))

    def _mle_from(self, x, out, ss):
        n = x.size
        s2 = ss / n
        if not s2 > 0:
            _no_spread_or_underflow(self.name, x, "sigma2")
            where = "all observations are equal" if n > 1 else "there is a single observation"
            raise ValueError(
                f"{self.name}: the MLE of sigma2 does not exist because {where} "
                f"(value {x[0].item()!r}){' and equal to the fixed mu' if self.fixed_mu is not None else ''}: "
                "the likelihood grows without bound as sigma2 -> 0."
            )
        out["sigma2"] = s2
        return out

    def _mle(self, x):
        out = {}
        n = x.size
        mu = float(np.mean(x)) if self.fixed_mu is None else self.fixed_mu
        if self.fixed_mu is None:
            out["mu"] = mu
        if self.fixed_sigma2 is None:
            s2 = _sum_sq_dev(x, mu) / n
            if not s2 > 0:
                _no_spread_or_underflow(self.name, x, "sigma2")
                where = "all observations are equal" if n > 1 else "there is a single observation"
                raise ValueError(
                    f"{self.name}: the MLE of sigma2 does not exist because {where} "
                    f"(value {x[0].item()!r}){' and equal to the fixed mu' if self.fixed_mu is not None else ''}: "
                    "the likelihood grows without bound as sigma2 -> 0."
                )
            out["sigma2"] = s2
        return out

    def _sample(self, rng, size, p):
        mu, s2 = self._full(p)
        return rng.normal(mu, np.sqrt(s2), size=size)


def _no_spread_or_underflow(owner: str, x: np.ndarray, what: str) -> None:
    """Raise the right ValueError when a variance came out 0 although the data differ:
    their deviations are too small for float64 to square (e.g. data at 1e-300), which is
    not the same as "all observations are equal"."""
    if x.size > 1 and x.max() > x.min():
        raise ValueError(
            f"{owner}: the data differ (from {x.min()!r} to {x.max()!r}) but their squared deviations underflow "
            f"float64, so {what} cannot be represented; {RESCALE}."
        )


def _sum_sq_dev(x: np.ndarray, mu: float) -> float:
    """Sum of squared deviations from ``mu``: ``M2 + n (mean - mu)**2``.

    ``M2 = sum((x - mean)**2)`` comes from
    :func:`mlekit._validation.centred_moments` (chunked, centred,
    Chan-Golub-LeVeque corrected), so badly scaled data (1e7 + 0.1,
    1e7 + 0.3, ...) keep their digits (the one-pass ``sum(x**2) - n*mean**2``
    formula loses them all), and the result is exact for any ``mu``.
    """
    mean, m2 = centred_moments(x)
    return m2 + x.size * (mean - mu) ** 2


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
        return x.size * np.log(p["rate"]) - p["rate"] * float(np.sum(x, dtype=float))

    def _score(self, x, p):
        return x.size / p["rate"] - float(np.sum(x, dtype=float))

    def _hessian(self, x, p):
        return -x.size / p["rate"] ** 2

    def _fisher(self, p):
        return 1.0 / p["rate"] ** 2

    def _inverse_fisher(self, p):
        return np.array([[p["rate"] ** 2]])

    def _mle(self, x):
        total = float(np.sum(x, dtype=float))
        if total <= 0:
            raise ValueError(
                f"{self.name}: the MLE of rate does not exist because every observation is 0: "
                "the likelihood grows without bound as rate -> infinity."
            )
        return {"rate": x.size / total}

    def _sample(self, rng, size, p):
        return rng.exponential(1.0 / p["rate"], size=size)


# =====================================================================
# Families without a closed-form MLE (and a few more with one)
# =====================================================================
_EULER = 0.5772156649015329
_SUB = 20_000  # starting values come from a sub-sample of at most ~this many points


def _sub(x: np.ndarray) -> np.ndarray:
    """An evenly spaced sub-sample, for starting values only (never for the estimate).

    Copied to contiguous memory: ``np.mean``/``np.var`` over the strided view gather
    one cache line per value on every pass (measured at N = 1e6: ~175 us for both,
    against ~100 us with one gather into a copy; the sums are the same to the bit).
    """
    return np.ascontiguousarray(x[:: max(1, x.size // _SUB)])


def _mean_var(xs: np.ndarray) -> tuple[float, float]:
    """``(np.mean(xs), np.var(xs))`` for a 1-D float array, the same to the bit.

    The same operations as NumPy's (a pairwise sum divided by N, then the pairwise
    sum of squared deviations divided by N) without ``np.var``'s Python overhead:
    ~6 us instead of ~25 us for both on 1000 values (measured).
    """
    n = xs.size
    m = float(np.add.reduce(xs)) / n
    d = xs - m
    return m, float(np.add.reduce(d * d)) / n


def _profile_newton_log(lp, d1, d2, t0, *, tol=1e-11, max_iter=100):
    """Maximize a 1-D profile log-likelihood ``lp(t)`` over ``t > 0`` by Newton in ``log t``.

    ``d1``/``d2`` are the first and second derivatives in ``t``. Returns the
    trace in the working coordinate ``log t``.
    """
    from .optimize import newton_raphson

    def L(e):
        return lp(np.exp(e[0]))

    def S(e):
        t = np.exp(e[0])
        return np.array([t * d1(t)])

    def H(e):
        t = np.exp(e[0])
        return np.array([[t * t * d2(t) + t * d1(t)]])

    return newton_raphson(L, S, H, np.array([np.log(t0)]), tol=tol, max_iter=max_iter)


def _trigamma(a):
    r""":math:`\psi_1(a)`, bitwise equal to ``special.polygamma(1, a)``.

    ``polygamma(1, a)`` is a Python wrapper computing ``(-1.0)**2 * gamma(2.0) *
    zeta(2, a)`` (exact factors of 1) plus a discarded digamma; calling ``zeta``
    directly costs ~1 us instead of ~9 us (measured), which matters for the Hessians
    evaluated a dozen times per fit on O(1) sufficient statistics.
    """
    return special.zeta(2.0, a)


def _log_minus_digamma(a: float) -> float:
    r""":math:`\log a - \psi(a)` without cancellation for large ``a``.

    For ``a >= 20`` the asymptotic series
    :math:`\frac1{2a} + \frac1{12a^2} - \frac1{120a^4} + \frac1{252a^6} - \frac1{240a^8} + \frac1{132a^{10}}`
    is accurate to about 1e-16 relative; subtracting two numbers near
    :math:`\log a` would lose ``log10(2a log a)`` digits.
    """
    if a < 20:
        return float(np.log(a) - special.digamma(a))
    i2 = 1.0 / (a * a)
    return 0.5 / a + i2 * (1 / 12 - i2 * (1 / 120 - i2 * (1 / 252 - i2 * (1 / 240 - i2 / 132))))


def _with_iterates(trace, iterates):
    from dataclasses import replace

    return replace(trace, iterates=np.asarray(iterates, dtype=float))


# -------------------------------------------------------------------- Gamma
class _FromSufficientStats(Family):
    """A family whose log-likelihood, score and Hessian depend on the data only
    through a few sufficient statistics: ``_stats(x)`` computes them in one pass,
    and ``_ll``/``_sc``/``_hs`` evaluate from them (so a numerical fit reads the
    data once, however many iterations it takes)."""

    def _loglik(self, x, p):
        return self._ll(self._stats(x), p)

    def _score(self, x, p):
        return self._sc(self._stats(x), p)

    def _hessian(self, x, p):
        return self._hs(self._stats(x), p)


class Gamma(_FromSufficientStats):
    r"""Gamma(shape, rate): positive reals with mean ``shape / rate``.

    Notes
    -----
    .. math::
        \log f(x;\alpha,\beta) = \alpha\log\beta - \log\Gamma(\alpha) + (\alpha-1)\log x - \beta x .

    The log-likelihood depends on the data only through :math:`N`,
    :math:`S=\sum x_i` and :math:`L=\sum\log x_i`. Setting the rate score to 0
    gives :math:`\hat\beta = \hat\alpha/\bar x`; the shape then solves the 1-D
    equation :math:`\log\alpha - \psi(\alpha) = \log\bar x - L/N` (a concave
    profile likelihood; Newton in :math:`\log\alpha` from Minka's start). It has
    a solution iff not all observations are equal (Jensen's inequality).

    .. math::
        I(\alpha,\beta) = \begin{pmatrix}\psi_1(\alpha) & -1/\beta\\ -1/\beta & \alpha/\beta^2\end{pmatrix}.

    scipy: ``scipy.stats.gamma(a=shape, scale=1/rate)``; R: ``dgamma(x, shape, rate)``.
    """

    name = "Gamma"
    params = (Param("shape", 0.0, np.inf, typical=(0.5, 10.0)), Param("rate", 0.0, np.inf, typical=(0.2, 5.0)))

    def _check_support(self, arr):
        return check_positive(arr, self.name, what="positive reals")

    def _stats(self, x):
        L, S = chunked_log_sums(x, plain=True)
        return x.size, S, L

    @staticmethod
    def _ll(s, p):
        n, S, L = s
        a, b = p["shape"], p["rate"]
        return n * (a * np.log(b) - special.gammaln(a)) + (a - 1) * L - b * S

    @staticmethod
    def _sc(s, p):
        n, S, L = s
        a, b = p["shape"], p["rate"]
        return np.array([n * np.log(b) + L - n * special.digamma(a), n * a / b - S])

    @staticmethod
    def _hs(s, p):
        n = s[0]
        a, b = p["shape"], p["rate"]
        return n * np.array([[-_trigamma(a), 1 / b], [1 / b, -a / b**2]])

    def _objective(self, x):
        s = self._stats(x)
        return (lambda p: float(self._ll(s, p)), lambda p: self._sc(s, p), lambda p: self._hs(s, p))

    def _logpdf(self, x, p):
        a, b = p["shape"], p["rate"]
        return a * np.log(b) - special.gammaln(a) + special.xlogy(a - 1, x) - b * x

    def _fisher(self, p):
        a, b = p["shape"], p["rate"]
        return np.array([[_trigamma(a), -1 / b], [-1 / b, a / b**2]])

    def _inverse_fisher(self, p):
        # cov = [[a/b^2, 1/b], [1/b, psi1(a)]] / det with det = (a psi1(a) - 1)/b^2; for large
        # shapes a psi1(a) -> 1 and the determinant is all cancellation (the two parameters are
        # almost perfectly correlated): a psi1(a) - 1 from its series there
        a, b = p["shape"], p["rate"]
        if a >= 20:
            i2 = 1.0 / (a * a)
            g = (0.5 + (1.0 / a) * (1 / 6 - i2 * (1 / 30 - i2 * (1 / 42 - i2 / 30)))) / a
        else:
            g = a * _trigamma(a) - 1.0
        return np.array([[a / g, b / g], [b / g, b * b * _trigamma(a) / g]])

    def _start(self, x):
        xs = _sub(x)
        m, v = _mean_var(xs)
        v = v if v > 0 else m * m
        return {"shape": m * m / v, "rate": m / v}

    def _auto_route(self, arr):
        x = arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(float)
        s = self._stats(x)
        if not (np.isfinite(s[1]) and np.isfinite(s[2])):  # log(x <= 0) is -inf or NaN, log(inf) = inf
            x = self._check_support(arr)
            s = self._stats(x)
        return x, self._fit_auto(x, s)

    def _check_mle_exists(self, x):
        self._no_mle_equal(x, "as shape -> infinity")

    def _fit_auto(self, x, s=None):
        s = n, S, L = self._stats(x) if s is None else s
        m = S / n
        c = np.log(m) - L / n
        if not c > 1e-15 * max(1.0, abs(np.log(m))):  # equal, or equal to 15 digits
            self._no_mle_equal(x[:1], "as shape -> infinity")
        a0 = (3 - c + np.sqrt((c - 3) ** 2 + 24 * c)) / (12 * c)  # Minka (2002)
        lp = lambda a: float(self._ll(s, {"shape": a, "rate": a / m}))  # noqa: E731
        d1 = lambda a: n * (_log_minus_digamma(a) - c)  # noqa: E731
        d2 = lambda a: n * (1 / a - _trigamma(a))  # noqa: E731
        tr = _profile_newton_log(lp, d1, d2, a0)
        a = np.exp(tr.iterates[:, 0])
        tr = _with_iterates(tr, np.column_stack([a, a / m]))
        return {"shape": float(a[-1]), "rate": float(a[-1] / m)}, tr, self._objective_from(s)

    def _objective_from(self, s):
        return (lambda p: float(self._ll(s, p)), lambda p: self._sc(s, p), lambda p: self._hs(s, p))

    _closed_when_fixed = (("shape",),)

    def _mle_fixed(self, x):
        # shape a known: the rate score n a / b - S = 0 gives b = a / mean(x)
        return {"rate": self._fixed_values["shape"] * x.size / float(np.sum(x, dtype=float))}

    def _sample(self, rng, size, p):
        return rng.gamma(p["shape"], 1.0 / p["rate"], size=size)


# ------------------------------------------------------------------ Weibull
class Weibull(Family):
    r"""Weibull(shape, scale): positive reals (lifetimes, wind speeds).

    Notes
    -----
    With :math:`z_i = (x_i/\lambda)^k` and :math:`w_i = \log(x_i/\lambda)`,

    .. math::
        \log f(x;k,\lambda) = \log k - k\log\lambda + (k-1)\log x - (x/\lambda)^k,

    .. math::
        \partial_k\ell = \frac{N}{k} + \sum w_i - \sum z_i w_i, \qquad
        \partial_\lambda\ell = \frac{k}{\lambda}\Big(\sum z_i - N\Big).

    For fixed :math:`k` the scale is :math:`\hat\lambda(k)^k = \overline{x^k}`,
    which leaves a concave 1-D **profile likelihood** in :math:`k`, solved by
    Newton in :math:`\log k` from the Gumbel moment start
    :math:`k_0 = \pi / (\sqrt6\,\mathrm{sd}(\log x))`; each step costs one
    ``exp`` pass over the data.

    .. math::
        I(k,\lambda) = \begin{pmatrix} (\pi^2/6 + (1-\gamma)^2)/k^2 & -(1-\gamma)/\lambda \\
        -(1-\gamma)/\lambda & k^2/\lambda^2\end{pmatrix}.

    scipy: ``scipy.stats.weibull_min(c=shape, scale=scale)``; R: ``dweibull(x, shape, scale)``.
    """

    name = "Weibull"
    params = (Param("shape", 0.0, np.inf, typical=(0.5, 5.0)), Param("scale", 0.0, np.inf, typical=(0.2, 5.0)))

    def _check_support(self, arr):
        return check_positive(arr, self.name, what="positive reals")

    def _logpdf(self, x, p):
        k, lam = p["shape"], p["scale"]
        w = np.log(x) - np.log(lam)
        return np.log(k) - np.log(lam) + (k - 1) * w - np.exp(k * w)

    def _parts(self, x, p):
        k, lam = p["shape"], p["scale"]
        w = np.log(x) - np.log(lam)
        with np.errstate(over="ignore"):
            z = np.exp(k * w)
        return k, lam, w, z

    def _loglik(self, x, p):
        k, lam, w, z = self._parts(x, p)
        n = x.size
        return n * np.log(k) - n * np.log(lam) + (k - 1) * float(np.sum(w)) - float(np.sum(z))

    def _score(self, x, p):
        k, lam, w, z = self._parts(x, p)
        n = x.size
        zw = _dot(z, w)
        return np.array([n / k + float(np.sum(w)) - zw, (k / lam) * (float(np.sum(z)) - n)])

    def _hessian(self, x, p):
        k, lam, w, z = self._parts(x, p)
        n = x.size
        sz, zw, zww = float(np.sum(z)), _dot(z, w), _dot(z, w * w)
        h_kk = -n / k**2 - zww
        h_kl = -n / lam + (k * zw + sz) / lam
        h_ll = -(k / lam**2) * (sz - n) - (k / lam) ** 2 * sz
        return np.array([[h_kk, h_kl], [h_kl, h_ll]])

    def _fisher(self, p):
        k, lam = p["shape"], p["scale"]
        g = 1 - _EULER
        return np.array([[(np.pi**2 / 6 + g * g) / k**2, -g / lam], [-g / lam, k**2 / lam**2]])

    def _start(self, x):
        u = np.log(_sub(x))
        sd = float(np.std(u))
        k = np.pi / (np.sqrt(6) * sd) if sd > 0 else 1.0
        return {"shape": k, "scale": float(np.exp(np.mean(u) + _EULER / k))}

    def _check_mle_exists(self, x):
        self._no_mle_equal(x, "as shape -> infinity")

    def _fit_auto(self, x):
        n = x.size
        u = np.log(x)
        ubar = float(np.sum(u)) / n
        v = u - ubar
        vmax, vmin = float(v.max()), float(v.min())
        if not vmax > vmin:
            self._no_mle_equal(x, "as shape -> infinity")
        v2 = v * v
        cache = {}

        def moments(k):  # log B(k), B'/B, B''/B with B(k) = mean(exp(k v))
            if k not in cache:
                # shift the exponent only when exp would overflow (shifting by
                # k*vmax always would fill the array with slow subnormals)
                shift = max(0.0, k * vmax - 700.0)
                with np.errstate(over="ignore", under="ignore"):
                    e = np.exp(k * v - shift) if shift else np.exp(k * v)
                s0 = float(np.sum(e))
                cache[k] = (shift + np.log(s0 / n), _dot(e, v) / s0, _dot(e, v2) / s0)
            return cache[k]

        def lp(k):
            return n * (np.log(k) - moments(k)[0] - ubar - 1.0)

        def d1(k):
            return n * (1.0 / k - moments(k)[1])

        def d2(k):
            _, m1, m2 = moments(k)
            return -n * (1.0 / k**2 + m2 - m1 * m1)

        sd = float(np.std(_sub(v)))
        k0 = np.pi / (np.sqrt(6) * sd) if sd > 0 else 1.0
        tr = _profile_newton_log(lp, d1, d2, k0)
        ks = np.exp(tr.iterates[:, 0])
        lams = [float(np.exp(ubar + moments(k)[0] / k)) for k in ks]
        k = float(ks[-1])
        lam = float(np.exp(ubar + moments(k)[0] / k))
        tr = _with_iterates(tr, np.column_stack([ks, lams]))

        def sums(p):  # sum z, sum z w, sum z w^2, sum w at (k, lam) from the cached exp pass
            kk, la = p["shape"], p["scale"]
            logb, m1, m2 = moments(kk)
            c = ubar - np.log(la)
            F = n * np.exp(logb + kk * c)  # sum z = n * B(k) * exp(k c)
            return kk, la, F, F * (m1 + c), F * (m2 + 2 * c * m1 + c * c), n * c

        def ll(p):
            kk, la, sz, _, _, sw = sums(p)
            return n * np.log(kk) - n * np.log(la) + (kk - 1) * sw - sz

        def sc(p):
            kk, la, sz, zw, _, sw = sums(p)
            return np.array([n / kk + sw - zw, (kk / la) * (sz - n)])

        def hs(p):
            kk, la, sz, zw, zww, _ = sums(p)
            h_kl = -n / la + (kk * zw + sz) / la
            return np.array([[-n / kk**2 - zww, h_kl], [h_kl, -(kk / la**2) * (sz - n) - (kk / la) ** 2 * sz]])

        return {"shape": k, "scale": lam}, tr, (ll, sc, hs)

    _closed_when_fixed = (("shape",),)

    def _mle_fixed(self, x):
        # shape k known: the scale score (k / lam)(sum z - n) = 0 gives lam^k = mean(x^k),
        # here as log lam = (logsumexp(k log x) - log n) / k (no overflow of x^k)
        k = self._fixed_values["shape"]
        return {"scale": float(np.exp((special.logsumexp(k * np.log(x)) - np.log(x.size)) / k))}

    def _sample(self, rng, size, p):
        return p["scale"] * rng.weibull(p["shape"], size=size)


# --------------------------------------------------------------------- Beta
class Beta(_FromSufficientStats):
    r"""Beta(shape1, shape2): proportions strictly between 0 and 1.

    Notes
    -----
    .. math::
        \log f(x;a,b) = (a-1)\log x + (b-1)\log(1-x) - \log B(a,b).

    Sufficient statistics :math:`L_1=\sum\log x_i`, :math:`L_2=\sum\log(1-x_i)`;
    the log-likelihood is concave in :math:`(a, b)`, maximized by Newton
    (in :math:`\log a, \log b`) from the method-of-moments start.

    .. math::
        I(a,b) = \begin{pmatrix}\psi_1(a)-\psi_1(a+b) & -\psi_1(a+b)\\
        -\psi_1(a+b) & \psi_1(b)-\psi_1(a+b)\end{pmatrix}.

    scipy: ``scipy.stats.beta(a=shape1, b=shape2)``; R: ``dbeta(x, shape1, shape2)``.
    """

    name = "Beta"
    params = (Param("shape1", 0.0, np.inf, typical=(0.5, 10.0)), Param("shape2", 0.0, np.inf, typical=(0.5, 10.0)))

    def _check_support(self, arr):
        return check_positive(arr, self.name, what="proportions strictly between 0 and 1", upper=1.0)

    def _stats(self, x):
        L1, L2 = chunked_log_sums(x, log1m=True)
        return x.size, L1, L2

    @staticmethod
    def _ll(s, p):
        n, L1, L2 = s
        a, b = p["shape1"], p["shape2"]
        return (a - 1) * L1 + (b - 1) * L2 - n * special.betaln(a, b)

    @staticmethod
    def _sc(s, p):
        n, L1, L2 = s
        a, b = p["shape1"], p["shape2"]
        dab = special.digamma(a + b)
        return np.array([L1 - n * (special.digamma(a) - dab), L2 - n * (special.digamma(b) - dab)])

    @staticmethod
    def _hs(s, p):
        return -s[0] * Beta._fisher(None, p)

    def _objective(self, x):
        s = self._stats(x)
        return (lambda p: float(self._ll(s, p)), lambda p: self._sc(s, p), lambda p: self._hs(s, p))

    def _logpdf(self, x, p):
        a, b = p["shape1"], p["shape2"]
        return (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - special.betaln(a, b)

    def _fisher(self, p):
        a, b = p["shape1"], p["shape2"]
        t = _trigamma(a + b)
        return np.array([[_trigamma(a) - t, -t], [-t, _trigamma(b) - t]])

    def _start(self, x):
        xs = _sub(x)
        m, v = _mean_var(xs)
        common = m * (1 - m) / v - 1 if v > 0 else -1.0
        if not common > 0:
            return {"shape1": 1.0, "shape2": 1.0}
        return {"shape1": m * common, "shape2": (1 - m) * common}

    def _auto_route(self, arr):
        x = arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = self._stats(x)
        if not (np.isfinite(s[1]) and np.isfinite(s[2])):  # some x outside (0, 1), or NaN
            x = self._check_support(arr)
            s = self._stats(x)
        return x, self._fit_auto(x, s)

    def _check_mle_exists(self, x):
        self._no_mle_equal(x, "as shape1 and shape2 -> infinity with their ratio fixed (a spike at that value)")

    def _fit_auto(self, x, s=None):
        self._check_mle_exists(x)
        s = self._stats(x) if s is None else s
        obj = (lambda p: float(self._ll(s, p)), lambda p: self._sc(s, p), lambda p: self._hs(s, p))
        return None, None, obj  # generic Newton in log coordinates on the O(1) objective

    def _sample(self, rng, size, p):
        return rng.beta(p["shape1"], p["shape2"], size=size)


# -------------------------------------------------------- NegativeBinomial
class NegativeBinomial(_FromSufficientStats):
    r"""NegativeBinomial(size, mu): overdispersed counts with mean ``mu``, variance ``mu + mu**2/size``.

    Notes
    -----
    .. math::
        \log f(x;r,\mu) = \log\Gamma(x+r) - \log\Gamma(r) - \log x!
        + r\log\frac{r}{r+\mu} + x\log\frac{\mu}{r+\mu}.

    :math:`\hat\mu = \bar x` for every :math:`r`; the size solves the 1-D
    profile equation :math:`\sum_i\psi(x_i+r) - N\psi(r) + N\log\frac{r}{r+\bar x}=0`
    (Newton in :math:`\log r`). Every evaluation runs over the **frequency
    table** of the counts (``np.bincount``), so after one pass over the data
    the work grows with the largest count, not with :math:`N`. A finite MLE
    exists iff the data are overdispersed (sample variance > mean); otherwise
    the likelihood increases towards the Poisson limit :math:`r\to\infty` and
    ``fit`` raises ``ValueError``.

    :math:`I_{\mu\mu} = r/(\mu(r+\mu))`, :math:`I_{r\mu}=0`,
    :math:`I_{rr} = \psi_1(r) - \mathrm E\,\psi_1(X+r) - \mu/(r(r+\mu))` (the
    expectation by summing the pmf over the support).

    scipy: ``scipy.stats.nbinom(n=size, p=size/(size+mu))``; R: ``dnbinom(x, size=size, mu=mu)``.
    """

    name = "NegativeBinomial"
    params = (Param("size", 0.0, np.inf, typical=(0.5, 20.0)), Param("mu", 0.0, np.inf, typical=(0.5, 20.0)))
    discrete = True

    def _check_support(self, arr):
        return check_counts_fast(arr, self.name, what="counts")[0]

    def _table(self, x, mx=None):
        mx = int(x.max()) if mx is None else mx
        if mx <= max(4 * x.size, 1 << 16):
            c = np.bincount(x if np.issubdtype(x.dtype, np.integer) else x.astype(np.intp))
            k = np.flatnonzero(c)
            return k.astype(float), c[k].astype(float)
        k, c = np.unique(x, return_counts=True)
        return k.astype(float), c.astype(float)

    # The log-likelihood, score and Hessian are written so that no two large numbers are
    # subtracted: log C(k + r - 1, k) as one difference of log-gammas (mlekit._special),
    # r log(r / (r + mu)) as -r log1p(mu / r), and so on. Written the textbook way, a count
    # of 1e12 makes two log-gammas near 2.6e13 cancel, and the log-likelihood moves in
    # steps of 1/256 (issue 13, W7).
    @staticmethod
    def _ll(t, p):
        k, c, n, S, _ = t
        r, mu = p["size"], p["mu"]
        return (
            _dot(c, nbinom_log_coef(k, r)) - n * r * np.log1p(mu / r) - (S * np.log1p(r / mu) if S else 0.0)
        )

    @staticmethod
    def _sc(t, p):
        k, c, n, S, _ = t
        r, mu = p["size"], p["mu"]
        sr = _dot(c, psi_diff(k + r, r)) - n * np.log1p(mu / r) + (n * mu - S) / (r + mu)
        return np.array([sr, r * (S - n * mu) / (mu * (r + mu))])

    @staticmethod
    def _hs(t, p):
        k, c, n, S, _ = t
        r, mu = p["size"], p["mu"]
        h_rr = _dot(c, trigamma_diff(k + r, r)) + n * mu / (r * (r + mu)) - (n * mu - S) / (r + mu) ** 2
        h_rm = (S - n * mu) / (r + mu) ** 2
        h_mm = -S / mu**2 + (S + n * r) / (r + mu) ** 2
        return np.array([[h_rr, h_rm], [h_rm, h_mm]])

    def _stats(self, x, mx=None):
        k, c = self._table(x, mx)
        return k, c, float(x.size), _dot(c, k), None

    def _objective(self, x):
        t = self._stats(x)
        return (lambda p: float(self._ll(t, p)), lambda p: self._sc(t, p), lambda p: self._hs(t, p))

    def _logpdf(self, x, p):
        r, mu = p["size"], p["mu"]
        xf = x.astype(float, copy=False)
        return nbinom_log_coef(xf, r) - r * np.log1p(mu / r) - xf * np.log1p(r / mu)

    def _fisher(self, p):
        # I_rr by a bounded, cancellation-free method (the variance of the score; see
        # mlekit._special.nbinom_size_information): the sum over the support used before
        # took minutes and 215 GiB at mu = 1e6, size = 1e-3, and lost every digit near
        # the Poisson limit.
        r, mu = p["size"], p["mu"]
        return np.array([[nbinom_size_information(r, mu), 0.0], [0.0, 1.0 / (mu * (1.0 + mu / r))]])

    def _start(self, x):
        xs = _sub(x).astype(float)
        m, v = _mean_var(xs)
        r = m * m / (v - m) if v > m else 10.0
        return {"size": r, "mu": max(m, 0.1)}

    def _fit_auto(self, x):
        t = self._stats(x)
        k, c, n, S, _ = t
        m = S / n
        var = _dot(c, (k - m) ** 2) / n
        self._not_overdispersed(m, var)
        lp = lambda r: float(self._ll(t, {"size": r, "mu": m}))  # noqa: E731
        d1 = lambda r: _dot(c, psi_diff(k + r, r)) - n * np.log1p(m / r)  # noqa: E731
        d2 = lambda r: _dot(c, trigamma_diff(k + r, r)) + n * m / (r * (r + m))  # noqa: E731
        tr = _profile_newton_log(lp, d1, d2, m * m / (var - m))
        rs = np.exp(tr.iterates[:, 0])
        tr = _with_iterates(tr, np.column_stack([rs, np.full(rs.size, m)]))
        obj = (lambda p: float(self._ll(t, p)), lambda p: self._sc(t, p), lambda p: self._hs(t, p))
        return {"size": float(rs[-1]), "mu": m}, tr, obj

    def _not_overdispersed(self, m: float, var: float) -> None:
        if not var > m:
            raise ValueError(
                f"{self.name}: the MLE of size does not exist because the data are not overdispersed "
                f"(variance {var:.6g} <= mean {m:.6g}): the likelihood increases towards the Poisson limit "
                "size -> infinity; fit mlekit.Poisson() instead."
            )

    def _check_mle_exists(self, x):
        xf = x.astype(float, copy=False)
        self._not_overdispersed(*_mean_var(xf))

    def _diagnose(self, params):
        if params.get("size", 0) > 1e6 * max(params.get("mu", 1.0), 1.0):
            return (
                "; size is growing without bound: the data are not overdispersed (variance <= mean), so the "
                "likelihood increases towards the Poisson limit; fit mlekit.Poisson() instead"
            )
        return ""

    _closed_when_fixed = (("size",),)

    def _mle_fixed(self, x):
        # size known: the mu score r (S - n mu) / (mu (r + mu)) = 0 gives mu = mean(x)
        m = float(np.sum(x, dtype=float)) / x.size
        if not m > 0:
            raise ValueError(
                f"{self!r}: the MLE of mu does not exist because every count is 0: the likelihood grows "
                "as mu -> 0, outside the open domain (0, inf)."
            )
        return {"mu": m}

    def _sample(self, rng, size, p):
        r, mu = p["size"], p["mu"]
        return rng.negative_binomial(r, r / (r + mu), size=size)


# ----------------------------------------------------------------- StudentT
# I_vv(v) = t^4 (3.5 - 13 t + 39.5 t^2 - ...), t = 1/v: the expansion of
# psi1(v/2)/4 - psi1((v+1)/2)/4 - (v+5)/(2v(v+1)(v+3)), exact coefficients
_T_INFO_VV = (3.5, -13.0, 39.5, -119.0, 363.5, -1101.0, 3279.5, -9763.0, 29523.5, -89609.0, 265719.5,
              -778047.0, 2391483.5, -7639237.0, 21523359.5)


class StudentT(Family):
    r"""StudentT(mu, sigma, df): heavy-tailed location-scale family.

    Notes
    -----
    With :math:`r = x-\mu` and :math:`D = \sigma^2\nu + r^2`,

    .. math::
        \log f = \log\Gamma\big(\tfrac{\nu+1}2\big) - \log\Gamma\big(\tfrac\nu2\big)
        - \tfrac12\log(\nu\pi) - \log\sigma - \tfrac{\nu+1}2\log\big(1+\tfrac{r^2}{\nu\sigma^2}\big),

    .. math::
        \partial_\mu = \frac{(\nu+1)r}{D},\quad
        \partial_\sigma = -\frac1\sigma + \frac{(\nu+1)r^2}{\sigma D},\quad
        \partial_\nu = \tfrac12\Big[\psi\big(\tfrac{\nu+1}2\big)-\psi\big(\tfrac\nu2\big)-\frac1\nu
        -\log\big(1+\tfrac{r^2}{\nu\sigma^2}\big)+\frac{(\nu+1)r^2}{\nu D}\Big].

    No closed form: Newton-Raphson in :math:`(\mu, \log\sigma, \log\nu)` with
    the analytic Hessian (damped where it is not negative definite), from
    the median, the scaled MAD and :math:`\nu_0 = 5`. Expected information
    (Lange, Little & Taylor 1989): :math:`I_{\mu\mu}=\frac{\nu+1}{(\nu+3)\sigma^2}`,
    :math:`I_{\sigma\sigma}=\frac{2\nu}{(\nu+3)\sigma^2}`,
    :math:`I_{\sigma\nu}=-\frac{2}{\sigma(\nu+1)(\nu+3)}`,
    :math:`I_{\nu\nu}=\tfrac14\big[\psi_1(\tfrac\nu2)-\psi_1(\tfrac{\nu+1}2)\big]-\frac{\nu+5}{2\nu(\nu+1)(\nu+3)}`.

    scipy: ``scipy.stats.t(df, loc=mu, scale=sigma)``; R: ``MASS::fitdistr(x, "t")`` (m, s, df).
    """

    name = "StudentT"
    params = (
        Param("mu", typical=(-5.0, 5.0)),
        Param("sigma", 0.0, np.inf, typical=(0.2, 5.0)),
        Param("df", 0.0, np.inf, typical=(1.0, 30.0)),
    )

    def _check_support(self, arr):
        arr = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        check_finite(arr, self.name)
        return arr

    @staticmethod
    def _const(s, v):
        # log Gamma((v+1)/2) - log Gamma(v/2) as one difference (lgamma_ratio): for df = 1e20
        # the two log-gammas are near 2e21 and their difference rounded to the nearest 2e5
        return float(lgamma_ratio(np.array([v / 2]), 0.5)[0]) - 0.5 * np.log(v * np.pi) - np.log(s)

    def _logpdf(self, x, p):
        mu, s, v = p["mu"], p["sigma"], p["df"]
        z2 = ((x - mu) / s) ** 2
        return self._const(s, v) - (v + 1) / 2 * np.log1p(z2 / v)

    def _loglik(self, x, p):
        mu, s, v = p["mu"], p["sigma"], p["df"]
        r = x - mu
        c = self._const(s, v)
        return x.size * c - (v + 1) / 2 * float(np.sum(np.log1p((r * r) / (v * s * s))))

    def _pieces(self, x, p):
        mu, s, v = p["mu"], p["sigma"], p["df"]
        r = x - mu
        r2 = r * r
        D = s * s * v + r2
        return mu, s, v, r, r2, D

    def _score(self, x, p):
        mu, s, v, r, r2, D = self._pieces(x, p)
        n = x.size
        q = r2 / D
        s_mu = (v + 1) * float(np.sum(r / D))
        s_s = -n / s + (v + 1) / s * float(np.sum(q))
        s_v = 0.5 * (
            n * (float(psi_diff(np.array([(v + 1) / 2]), v / 2)[0]) - 1 / v)
            - float(np.sum(np.log1p(r2 / (s * s * v)))) + (v + 1) / v * float(np.sum(q))
        )
        return np.array([s_mu, s_s, s_v])

    def _hessian(self, x, p):
        mu, s, v, r, r2, D = self._pieces(x, p)
        n = x.size
        iD = 1.0 / D
        iD2 = iD * iD
        S_r2D2 = _dot(r2, iD2)
        S_D2 = float(np.sum(iD2))
        S_rD2 = _dot(r, iD2)
        S_r3D2 = _dot(r * r2, iD2)
        S_r4D2 = _dot(r2 * r2, iD2)
        S_r2D = _dot(r2, iD)
        s2 = s * s
        h_mm = (v + 1) * (S_r2D2 - s2 * v * S_D2)
        h_ms = -(v + 1) * 2 * s * v * S_rD2
        h_mv = S_r3D2 - s2 * S_rD2
        # sum r^2 (D + 2 s^2 v) / D^2 = S_r2D + 2 s^2 v S_r2D2
        h_ss = n / s2 - (v + 1) / s2 * (S_r2D + 2 * s2 * v * S_r2D2)
        h_sv = (S_r4D2 - s2 * S_r2D2) / s
        h_vv = 0.5 * (
            n * (0.5 * float(trigamma_diff(np.array([(v + 1) / 2]), v / 2)[0]) + 1 / v**2 + 1 / v)
            - s2 * float(np.sum(iD))
            - (S_r2D + v * (v + 1) * s2 * S_r2D2) / v**2
        )
        return np.array([[h_mm, h_ms, h_mv], [h_ms, h_ss, h_sv], [h_mv, h_sv, h_vv]])

    def _fisher(self, p):
        s, v = p["sigma"], p["df"]
        i_mm = (v + 1) / ((v + 3) * s * s)
        i_ss = 2 * v / ((v + 3) * s * s)
        i_sv = -2 / (s * (v + 1) * (v + 3))
        if v < 40:
            i_vv = 0.25 * (_trigamma(v / 2) - _trigamma((v + 1) / 2)) - (v + 5) / (2 * v * (v + 1) * (v + 3))
        else:
            # the two terms both approach 1/(2 v^2) and their difference is O(1/v^4): the
            # difference loses ~2 log10(v) digits (all of them by v ~ 1e8). Its series in
            # t = 1/v instead (coefficients exact, from de Moivre's series of psi_1 with
            # rational arithmetic; the next term is below 1e-19 relative for v >= 40).
            t = 1.0 / v
            acc = 0.0
            for c in reversed(_T_INFO_VV):
                acc = acc * t + c
            i_vv = acc * t**4
        return np.array([[i_mm, 0, 0], [0, i_ss, i_sv], [0, i_sv, i_vv]])

    def _check_mle_exists(self, x):
        self._no_mle_equal(x, "as sigma -> 0")

    def _auto_route(self, arr):
        x = self._check_support(arr)
        self._check_mle_exists(x)
        return x, None

    def _diagnose(self, params):
        if 0 < params.get("sigma", 1.0) < 1e-8 * max(1.0, abs(params.get("mu", 0.0))):
            return (
                "; sigma is heading to 0: the t likelihood grows without bound at a value repeated often "
                "enough (no maximum there); check the data for ties"
            )
        if params.get("df", 0) > 1e4:
            return (
                "; df is growing without bound: the data look Normal (the t likelihood increases "
                "towards its Normal limit as df -> infinity), so fit mlekit.Normal() instead"
            )
        return ""

    def _start(self, x):
        xs = _sub(x)
        med = float(np.median(xs))
        mad = 1.4826 * float(np.median(np.abs(xs - med)))
        if not mad > 0:
            mad = float(np.std(xs)) or 1.0
        return {"mu": med, "sigma": mad, "df": 5.0}

    def _sample(self, rng, size, p):
        return p["mu"] + p["sigma"] * rng.standard_t(p["df"], size=size)


# ---------------------------------------------------------------- LogNormal
class LogNormal(Family):
    r"""LogNormal(meanlog, sdlog): ``log X`` is Normal(meanlog, sdlog**2).

    Notes
    -----
    With :math:`y = \log x`,

    .. math::
        \log f(x;\mu,\sigma) = -y - \log\sigma - \tfrac12\log(2\pi) - \frac{(y-\mu)^2}{2\sigma^2},\qquad
        \hat\mu = \bar y,\quad \hat\sigma^2 = \frac1N\sum_i (y_i-\bar y)^2,

    :math:`I(\mu,\sigma)=\operatorname{diag}(1/\sigma^2, 2/\sigma^2)`. Note the
    parameter is the standard deviation ``sdlog`` (as in R), not a variance.

    scipy: ``scipy.stats.lognorm(s=sdlog, scale=exp(meanlog))``; R: ``dlnorm(x, meanlog, sdlog)``.
    """

    name = "LogNormal"
    params = (Param("meanlog", typical=(-2.0, 2.0)), Param("sdlog", 0.0, np.inf, typical=(0.2, 2.0)))

    def _check_support(self, arr):
        return check_positive(arr, self.name, what="positive reals")

    def _logpdf(self, x, p):
        y = np.log(x)
        m, s = p["meanlog"], p["sdlog"]
        return -y - np.log(s) - 0.5 * np.log(2 * np.pi) - (y - m) ** 2 / (2 * s * s)

    def _ystats(self, x):
        mean, m2 = centred_moments(x, log=True)
        return x.size, mean, m2

    def _loglik(self, x, p):
        n, ybar, m2 = self._ystats(x)
        m, s = p["meanlog"], p["sdlog"]
        ss = m2 + n * (ybar - m) ** 2
        return -n * ybar - n * np.log(s) - 0.5 * n * np.log(2 * np.pi) - ss / (2 * s * s)

    def _score(self, x, p):
        n, ybar, m2 = self._ystats(x)
        m, s = p["meanlog"], p["sdlog"]
        ss = m2 + n * (ybar - m) ** 2
        return np.array([n * (ybar - m) / s**2, -n / s + ss / s**3])

    def _hessian(self, x, p):
        n, ybar, m2 = self._ystats(x)
        m, s = p["meanlog"], p["sdlog"]
        ss = m2 + n * (ybar - m) ** 2
        h_ms = -2 * n * (ybar - m) / s**3
        return np.array([[-n / s**2, h_ms], [h_ms, n / s**2 - 3 * ss / s**4]])

    def _fisher(self, p):
        s = p["sdlog"]
        return np.diag([1 / s**2, 2 / s**2])

    def _inverse_fisher(self, p):
        s = p["sdlog"]
        return np.diag([s**2, s**2 / 2])

    def _mle(self, x):
        n, ybar, m2 = self._ystats(x)
        return self._mle_from(x, n, ybar, m2)

    def _mle_from(self, x, n, ybar, m2):
        if not m2 > 0:
            where = "all observations are equal" if n > 1 else "there is a single observation"
            raise ValueError(
                f"{self.name}: the MLE of sdlog does not exist because {where} (value {x[0].item()!r}): "
                "the likelihood grows without bound as sdlog -> 0."
            )
        return {"meanlog": ybar, "sdlog": float(np.sqrt(m2 / n))}

    def _closed_form_fit(self, arr):
        x = arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            n, ybar, m2 = self._ystats(x)
        if not (np.isfinite(ybar) and np.isfinite(m2)):  # log(x <= 0) is -inf or NaN, log(inf) = inf
            x = self._check_support(arr)
            n, ybar, m2 = self._ystats(x)
        p = self._mle_from(x, n, ybar, m2)
        return x, p, float(-n * ybar - n * np.log(p["sdlog"]) - 0.5 * n * np.log(2 * np.pi) - 0.5 * n)

    def _start(self, x):
        y = np.log(_sub(x))
        med = float(np.median(y))
        return {"meanlog": med, "sdlog": float(np.std(y)) or 1.0}

    _closed_when_fixed = (("meanlog",), ("sdlog",))

    def _mle_fixed(self, x):
        n, ybar, m2 = self._ystats(x)
        if "sdlog" in self._fixed_values:
            return {"meanlog": ybar}  # the meanlog score does not involve sdlog
        ss = m2 + n * (ybar - self._fixed_values["meanlog"]) ** 2
        if not ss > 0:
            raise ValueError(
                f"{self!r}: the MLE of sdlog does not exist because every log-observation equals the fixed "
                "meanlog: the likelihood grows without bound as sdlog -> 0."
            )
        return {"sdlog": float(np.sqrt(ss / n))}

    def _sample(self, rng, size, p):
        return rng.lognormal(p["meanlog"], p["sdlog"], size=size)


# ---------------------------------------------------------------- Geometric
class Geometric(Family):
    r"""Geometric(prob): the number of **failures** before the first success.

    Notes
    -----
    .. math::
        \log f(x;p) = \log p + x\log(1-p),\quad x = 0, 1, 2, \dots,\qquad
        \hat p = \frac{1}{1+\bar x},\qquad I(p) = \frac{1}{p^2(1-p)}.

    ``prob = 1`` (every observation 0) is allowed and reported as a boundary
    estimate.

    scipy: ``scipy.stats.geom(p)`` counts **trials** (support 1, 2, ...), so
    ``logpmf(x)`` here equals ``scipy.stats.geom.logpmf(x + 1, p)``, or
    ``scipy.stats.nbinom.logpmf(x, 1, p)``; R: ``dgeom(x, prob)`` (failures, as here).
    """

    name = "Geometric"
    params = (Param("prob", 0.0, 1.0, lower_open=True, upper_open=False, typical=(0.05, 0.95)),)
    discrete = True

    def _check_support(self, arr):
        return check_counts_fast(arr, self.name, what="counts of failures")[0]

    def _impossible(self, x, p):
        return (x > 0) & (p["prob"] == 1)

    def _logpdf(self, x, p):
        return np.log(p["prob"]) + special.xlog1py(x, -p["prob"])

    def _loglik(self, x, p):
        return x.size * np.log(p["prob"]) + special.xlog1py(float(np.sum(x, dtype=float)), -p["prob"])

    def _score(self, x, p):
        q, n, s = p["prob"], x.size, float(np.sum(x, dtype=float))
        return n / q - s / (1 - q)

    def _hessian(self, x, p):
        q, n, s = p["prob"], x.size, float(np.sum(x, dtype=float))
        return -n / q**2 - s / (1 - q) ** 2

    def _fisher(self, p):
        q = p["prob"]
        return 1.0 / (q * q * (1 - q))

    def _inverse_fisher(self, p):
        q = p["prob"]
        return np.array([[q * q * (1 - q)]])

    def _mle(self, x):
        return {"prob": 1.0 / (1.0 + float(np.sum(x, dtype=float)) / x.size)}

    def _closed_form_fit(self, arr):
        x = self._check_support(arr)
        s, n = float(np.sum(x, dtype=float)), x.size
        q = n / (n + s)
        return x, {"prob": q}, float(n * np.log(q) + special.xlog1py(s, -q))

    def _start(self, x):
        return {"prob": 0.5}

    def _sample(self, rng, size, p):
        return rng.geometric(p["prob"], size=size) - 1


# ------------------------------------------------------------------ Uniform
class Uniform(Family):
    r"""Uniform(a, b): every value in ``[a, b]`` equally likely.

    Notes
    -----
    .. math::
        \ell(a,b) = -N\log(b-a)\ \text{ if } a \le \min_i x_i,\ \max_i x_i \le b,
        \ \text{ else } -\infty .

    **The calculus recipe breaks here.** The likelihood is not differentiable
    at its maximum: it increases as the interval shrinks until it hits the
    data, so the MLE sits on the edge of the region where the likelihood is
    positive, :math:`\hat a = \min x_i`, :math:`\hat b = \max x_i`, where the
    score is not zero (it does not exist). The support depends on the
    parameters, so the regularity conditions fail: there is no Fisher
    information, ``score``/``hessian``/``fisher_information`` raise
    ``ValueError``, and the estimator converges at rate :math:`1/N`, not
    :math:`1/\sqrt N`. ``fit`` reports standard errors from the exact sampling
    distribution of the extremes (order statistics):
    :math:`\operatorname{Var}\hat a = \operatorname{Var}\hat b = (b-a)^2 N/((N+1)^2(N+2))`,
    :math:`\operatorname{Cov}(\hat a,\hat b) = (b-a)^2/((N+1)^2(N+2))`, evaluated at
    the estimate (``information = "exact (order statistics)"``).

    scipy: ``scipy.stats.uniform(loc=a, scale=b - a)``; R: ``dunif(x, min=a, max=b)``.
    """

    name = "Uniform"
    params = (Param("a", typical=(-5.0, -0.5)), Param("b", typical=(0.5, 5.0)))
    differentiable = False

    def _check_support(self, arr):
        arr = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        check_finite(arr, self.name)
        return arr

    def _check_params_extra(self, p, owner):
        if not p["a"] < p["b"]:
            raise ValueError(f"{owner}: need a < b, got a = {p['a']!r}, b = {p['b']!r}.")

    def _impossible(self, x, p):
        return (x < p["a"]) | (x > p["b"])

    def _logpdf(self, x, p):
        a, b = p["a"], p["b"]
        return np.where((x >= a) & (x <= b), -np.log(b - a), -np.inf)

    def _loglik(self, x, p):
        a, b = p["a"], p["b"]
        if x.min() < a or x.max() > b:
            return -np.inf
        return -x.size * np.log(b - a)

    def _no_derivative(self, what):
        raise ValueError(
            f"{self.name}: {what} does not exist: the support [a, b] depends on the parameters, so the "
            "log-likelihood -n*log(b - a) is cut off at the data and is not differentiable at the MLE "
            "(a = min(x), b = max(x)); the regularity conditions behind the score and information fail."
        )

    def _score(self, x, p):
        self._no_derivative("the score")

    def _hessian(self, x, p):
        self._no_derivative("the Hessian")

    def _fisher(self, p):
        self._no_derivative("the Fisher information")

    def _mle(self, x):
        a, b = float(x.min()), float(x.max())
        if not a < b:
            raise ValueError(
                f"{self.name}: the MLE does not exist because all observations are equal (value {a!r}): "
                "the likelihood grows without bound as b - a -> 0."
            )
        return {"a": a, "b": b}

    def _exact_conf_int(self, params, n, level):
        r"""Exact intervals from a distribution-free pivot (Wald intervals would be wrong here).

        With :math:`U_i = (X_i - a)/(b - a)` uniform on (0, 1), the ratio
        :math:`T = (b - \max x)/(\max x - \min x)` has, for every ``a, b``,
        :math:`P(T \le t) = 1 - (1 + t)^{-(N-1)}` (integrate the joint density
        :math:`N(N-1)r^{N-2}` of the range ``r`` and the top gap). Since
        :math:`b \ge \max x` for sure, the level-``L`` interval is
        :math:`[\max x,\ \max x + t_L(\max x - \min x)]` with
        :math:`t_L = (1 - L)^{-1/(N-1)} - 1`; by symmetry
        :math:`[\min x - t_L(\max x - \min x),\ \min x]` for ``a``.
        Each interval has exact coverage ``L`` (marginally).
        """
        if self._fixed_values:
            # one end known, say a: (max x - a)/(b - a) is the largest of n uniforms, P(. <= u) = u^n,
            # so b lies in [max x, a + (max x - a) (1 - L)^(-1/n)] with probability L (and mirrored)
            full = self._with_fixed(params)
            grow = (1.0 - level) ** (-1.0 / n)
            if "a" in self._fixed_values:
                return {"b": (full["b"], full["a"] + (full["b"] - full["a"]) * grow)}
            return {"a": (full["b"] - (full["b"] - full["a"]) * grow, full["a"])}
        a, b = params["a"], params["b"]
        t = (1.0 - level) ** (-1.0 / (n - 1)) - 1.0
        width = b - a
        return {"a": (a - t * width, a), "b": (b, b + t * width)}

    def _closed_form_cov(self, x, params):
        full = self._with_fixed(params)
        n, w2 = x.size, (full["b"] - full["a"]) ** 2
        den = (n + 1) ** 2 * (n + 2)
        cov = w2 / den * np.array([[n, 1.0], [1.0, n]])
        if self._fixed_values:
            # one end known: the other estimate is the extreme of n uniforms on [a, b],
            # (b - a) times a Beta(n, 1) (or 1 - it), of variance (b - a)^2 n / ((n+1)^2 (n+2))
            cov = cov[:1, :1]
        return cov, self.coord_names, "exact (order statistics)"

    _closed_when_fixed = (("a",), ("b",))

    def _mle_fixed(self, x):
        lo, hi = float(x.min()), float(x.max())
        if "a" in self._fixed_values:
            a = self._fixed_values["a"]
            if lo < a:
                raise ValueError(f"{self!r}: an observation ({lo!r}) lies below the fixed a = {a!r}; its likelihood is 0.")
            if not hi > a:
                raise ValueError(
                    f"{self!r}: the MLE of b does not exist because every observation equals the fixed a = {a!r}."
                )
            return {"b": hi}
        b = self._fixed_values["b"]
        if hi > b:
            raise ValueError(f"{self!r}: an observation ({hi!r}) lies above the fixed b = {b!r}; its likelihood is 0.")
        if not lo < b:
            raise ValueError(f"{self!r}: the MLE of a does not exist because every observation equals the fixed b = {b!r}.")
        return {"a": lo}

    def _sample(self, rng, size, p):
        return rng.uniform(p["a"], p["b"], size=size)


# ------------------------------------------------------------------ Laplace
class Laplace(Family):
    r"""Laplace(mu, b): the double exponential, location ``mu`` and scale ``b``.

    Notes
    -----
    .. math::
        \log f(x;\mu,b) = -\log(2b) - \frac{|x-\mu|}{b},\qquad
        \hat\mu = \operatorname{median}(x),\quad \hat b = \frac1N\sum_i|x_i-\hat\mu| .

    The log-likelihood is **not differentiable in** :math:`\mu` **at the data
    points** (it is piecewise linear in :math:`\mu`); the MLE of :math:`\mu` is
    any median (for even :math:`N`, every point between the two middle values;
    we report their midpoint, ``np.median``). ``score`` uses
    :math:`\operatorname{sign}(0)=0` (the middle of the sub-gradient), and the
    Hessian's :math:`\mu\mu` entry is 0 almost everywhere, so the observed
    information is useless for :math:`\mu`; standard errors use the expected
    information :math:`I(\mu,b) = \operatorname{diag}(1/b^2, 1/b^2)`, which
    (by a non-calculus argument) still gives the right asymptotic variance
    :math:`b^2/N` of the sample median. Only ``method="closed-form"`` fits it.

    scipy: ``scipy.stats.laplace(loc=mu, scale=b)``; R: ``extraDistr::dlaplace(x, mu, sigma=b)``.
    """

    name = "Laplace"
    params = (Param("mu", typical=(-5.0, 5.0)), Param("b", 0.0, np.inf, typical=(0.2, 5.0)))
    differentiable = False

    def _check_support(self, arr):
        arr = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        check_finite(arr, self.name)
        return arr

    def _logpdf(self, x, p):
        return -np.log(2 * p["b"]) - np.abs(x - p["mu"]) / p["b"]

    def _score(self, x, p):
        d = x - p["mu"]
        b = p["b"]
        return np.array([float(np.sum(np.sign(d))) / b, -x.size / b + float(np.sum(np.abs(d))) / b**2])

    def _hessian(self, x, p):
        d = x - p["mu"]
        b = p["b"]
        h_mb = -float(np.sum(np.sign(d))) / b**2
        return np.array([[0.0, h_mb], [h_mb, x.size / b**2 - 2 * float(np.sum(np.abs(d))) / b**3]])

    def _fisher(self, p):
        return np.diag([1 / p["b"] ** 2, 1 / p["b"] ** 2])

    def _inverse_fisher(self, p):
        return np.diag([p["b"] ** 2, p["b"] ** 2])

    def _mle(self, x):
        mu = float(np.median(x))
        b = float(np.mean(np.abs(x - mu)))
        if not b > 0:
            raise ValueError(
                f"{self.name}: the MLE of b does not exist because all observations are equal (value {x[0].item()!r}): "
                "the likelihood grows without bound as b -> 0."
            )
        return {"mu": mu, "b": b}

    def _closed_form_fit(self, arr):
        x = self._check_support(arr)
        p = self._mle(x)
        return x, p, float(-x.size * np.log(2 * p["b"]) - x.size)

    _closed_when_fixed = (("b",), ("mu",))

    def _mle_fixed(self, x):
        if "b" in self._fixed_values:
            return {"mu": float(np.median(x))}  # b known: mu still minimizes sum |x - mu|
        b = float(np.mean(np.abs(x - self._fixed_values["mu"])))
        if not b > 0:
            raise ValueError(
                f"{self!r}: the MLE of b does not exist because every observation equals the fixed mu: "
                "the likelihood grows without bound as b -> 0."
            )
        return {"b": b}

    def _sample(self, rng, size, p):
        return rng.laplace(p["mu"], p["b"], size=size)


# ------------------------------------------------------------- CustomFamily
class CustomFamily(Family):
    r"""A model of your own: give the per-observation log-density, get the MLE and standard errors.

    Parameters
    ----------
    logpdf : callable
        ``logpdf(x, **params) -> array`` of per-observation log-densities, **one
        value per observation** (shape ``(n,)``, vectorized over the data array
        ``x``), e.g. ``lambda x, a, b: scipy.stats.gamma.logpdf(x, a, scale=1/b)``.
        A function that returns the sum (one number) is refused: the fit would
        treat it as the density of every observation.
    param_names : sequence of str
        The parameter names, in order.
    domains : dict, optional
        ``{name: (lower, upper)}`` open intervals; default ``(-inf, inf)``.
        Numerical fits work in an unconstrained reparameterization
        (log / logit) built from these.
    score : callable, optional
        ``score(x, **params)`` returning the gradient: per observation, as an
        array of shape ``(n, k)`` or ``(k, n)``, a sequence of ``k`` arrays of
        length ``n``, or (one parameter) an array of length ``n``; or summed, as
        ``k`` numbers. Without it, derivatives come from central finite differences.
    hessian : callable, optional
        ``hessian(x, **params)`` returning the matrix of second derivatives of
        the log-likelihood, ``(k, k)`` (summed) or ``(n, k, k)`` (per observation).
        Without it, central differences of the score.
    name : str
        A label for messages, ``repr`` and summaries.
    discrete : bool
        Whether the data are counts (only used for display).

    Notes
    -----
    Finite differences (when ``score`` is None): the gradient by central
    differences of the log-likelihood with step
    :math:`h_i = \epsilon^{1/3}\max(1, |\theta_i|)` (error
    :math:`O(\epsilon^{2/3})`); the Hessian by central differences of the
    score (analytic or numerical) with :math:`h_i = \epsilon^{1/4}\max(1, |\theta_i|)`,
    symmetrized. Steps are shrunk to stay inside the domain. The data are
    only checked to be finite numbers: return ``-inf`` from ``logpdf`` for
    values outside your support, and ``fit`` reports the first such value.

    A ``score`` or ``hessian`` you supply is **checked** by ``fit``, at the
    start and at the estimate, against finite differences of the
    log-likelihood (respectively of the score); a mismatch beyond what the
    finite differences can resolve raises ``ValueError`` naming the
    parameter and both values (a wrong score moves the estimate; a wrong
    Hessian, the standard errors).

    statsmodels: ``GenericLikelihoodModel``; R: ``stats4::mle``, ``bbmle::mle2``.
    """

    def __init__(self, logpdf, param_names, *, domains=None, score=None, name: str = "CustomFamily",
                 discrete: bool = False, hessian=None):
        if not callable(logpdf):
            raise ValueError(f"CustomFamily: logpdf must be a callable logpdf(x, **params), got {logpdf!r}.")
        if score is not None and not callable(score):
            raise ValueError(f"CustomFamily: score must be a callable score(x, **params) or None, got {score!r}.")
        if hessian is not None and not callable(hessian):
            raise ValueError(f"CustomFamily: hessian must be a callable hessian(x, **params) or None, got {hessian!r}.")
        try:
            names = tuple(param_names)
        except TypeError:
            names = None
        if isinstance(param_names, str) or names is None or not all(isinstance(t, str) and t.isidentifier() for t in names):
            raise ValueError(f"CustomFamily: param_names must be a sequence of identifiers, got {param_names!r}.")
        if not names or len(set(names)) != len(names):
            raise ValueError(f"CustomFamily: param_names must be non-empty and distinct, got {param_names!r}.")
        if domains is not None and not isinstance(domains, dict):
            raise ValueError(f"CustomFamily: domains must be a dict {{name: (lower, upper)}}, got {domains!r}.")
        domains = dict(domains or {})
        unknown = set(domains) - set(names)
        if unknown:
            raise ValueError(f"CustomFamily: domains names unknown parameter(s) {', '.join(sorted(unknown))}; parameters are {', '.join(names)}.")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"CustomFamily: name must be a non-empty string, got {name!r}.")
        specs = []
        for nm in names:
            try:
                lo, hi = domains.get(nm, (-np.inf, np.inf))
                lo, hi = float(lo), float(hi)
            except (TypeError, ValueError):
                raise ValueError(f"CustomFamily: domain of {nm} must be a pair (lower, upper) of numbers, got {domains.get(nm)!r}.") from None
            if not lo < hi:
                raise ValueError(f"CustomFamily: domain of {nm} must be (lower, upper) with lower < upper, got {(lo, hi)!r}.")
            typ = (lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo)) if np.isfinite(lo) and np.isfinite(hi) else (
                (lo + 0.5, lo + 3) if np.isfinite(lo) else (hi - 3, hi - 0.5) if np.isfinite(hi) else (-3.0, 3.0))
            specs.append(Param(nm, lo, hi, typical=typ))
        self.params = tuple(specs)
        self.name = name
        self.discrete = bool(discrete)
        self._user_logpdf = logpdf
        self._user_score = score
        self._user_hessian = hessian

    def __repr__(self) -> str:
        if self.name == "CustomFamily":
            return f"CustomFamily(param_names={self.param_names!r})"
        return f"CustomFamily(name={self.name!r}, param_names={self.param_names!r})"

    def _fixed(self):
        return {"param_names": self.param_names}

    def _check_support(self, arr):
        arr = arr.astype(float, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        check_finite(arr, self.name)
        return arr

    def _impossible(self, x, p):
        return np.ones(x.shape, dtype=bool)  # the user's -inf marks values outside their support

    def _call(self, fn, what, x, p):
        """Call a user function; any exception it raises becomes a ValueError that names it."""
        try:
            with np.errstate(all="ignore"):
                return fn(x, **p)
        except Exception as exc:  # the user's code: report whatever it raised, by name
            raise ValueError(f"{self.name}: the user {what} raised {type(exc).__name__} at {p!r}: {exc}") from exc

    def _logpdf(self, x, p):
        raw = self._call(self._user_logpdf, "logpdf", x, p)
        try:
            out = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}: logpdf must return numbers, got {type(raw).__name__}.") from None
        if out.shape != x.shape:
            hint = (
                " It returned one number: return the log-density of each observation (do not sum it; "
                "mlekit sums)." if out.size == 1 and x.size > 1 else ""
            )
            raise ValueError(
                f"{self.name}: logpdf must return one value per observation, shape {x.shape}, "
                f"got shape {out.shape}.{hint}"
            )
        return np.where(np.isnan(out), -np.inf, out)

    def _inside(self, p):
        return all(s.contains(p[s.name], interior=True) for s in self.params)

    def _ll_vec(self, x, theta):
        p = dict(zip(self.param_names, (float(t) for t in theta)))
        if not self._inside(p):
            return -np.inf
        with np.errstate(all="ignore"):
            return float(np.sum(self._logpdf(x, p)))

    def _steps(self, theta, power):
        h = np.finfo(float).eps ** power * np.maximum(1.0, np.abs(theta))
        for i, s in enumerate(self.params):
            room = min(theta[i] - s.lower, s.upper - theta[i])
            h[i] = min(h[i], 0.5 * room)
        return h

    def _user_numbers(self, fn, what, x, theta) -> np.ndarray:
        """Call the user's ``score`` or ``hessian`` at ``theta``; its answer as a float array."""
        p = dict(zip(self.param_names, (float(t) for t in theta)))
        raw = self._call(fn, what, x, p)
        try:
            return np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}: {what} must return numbers, got {type(raw).__name__}.") from None

    def _user_grad(self, x, theta):
        """The user's score, summed over observations, as a (k,) array."""
        g = self._user_numbers(self._user_score, "score", x, theta)
        k, n = len(self.params), x.size
        if g.shape == (n, k):
            return g.sum(axis=0)
        if g.shape == (k, n):
            return g.sum(axis=1)
        if k == 1 and g.shape == (n,):
            return np.array([g.sum()])
        if g.shape == (k,):
            return g
        raise ValueError(
            f"{self.name}: score returned shape {g.shape}; expected the gradient per observation, ({n}, {k}) or "
            f"({k}, {n}){f' or ({n},)' if k == 1 else ''}, or summed, ({k},)."
        )

    def _refine(self, x, theta, h):
        """Shrink each finite-difference step until it is small against the coordinate's own
        scale (a standard error, 1/sqrt(curvature)): while the log-likelihood bends by more than
        1e-4 over the step, the step is cut to ~1e-3 standard errors. A step of
        eps**(1/3) * max(1, |theta|) is far too long for a parameter whose standard error is
        1e-20 (the differences then see only the rounding of two equal, huge losses)."""
        h = np.array(h, dtype=float)
        l0 = self._ll_vec(x, theta)
        for i in range(theta.size):
            for _ in range(80):
                e = np.zeros(theta.size)
                e[i] = h[i]
                bend = abs(self._ll_vec(x, theta + e) + self._ll_vec(x, theta - e) - 2 * l0)
                if np.isfinite(bend) and bend <= 1e-4:
                    break
                shrink = 1e-3 / np.sqrt(bend) if np.isfinite(bend) and bend > 0 else 1e-3
                h[i] *= min(0.5, max(shrink, 1e-6))
                if not h[i] > 0:  # pragma: no cover - 80 cuts of >= 2x from a finite step stay > 0
                    break
        return h

    def _fd_grad(self, x, theta, h=None):
        h = self._refine(x, theta, self._steps(theta, 1 / 3)) if h is None else h
        g = np.empty(theta.size)
        for i in range(theta.size):
            e = np.zeros(theta.size)
            e[i] = h[i]
            g[i] = (self._ll_vec(x, theta + e) - self._ll_vec(x, theta - e)) / (2 * h[i])
        return g

    def _grad_vec(self, x, theta):
        if self._user_score is not None:
            return self._user_grad(x, theta)
        return self._fd_grad(x, theta)

    def _user_hess(self, x, theta):
        H = self._user_numbers(self._user_hessian, "hessian", x, theta)
        k, n = len(self.params), x.size
        if H.shape == (n, k, k):
            H = H.sum(axis=0)
        elif H.size == k * k and H.ndim <= 2:
            H = H.reshape(k, k)
        else:
            raise ValueError(f"{self.name}: hessian returned shape {H.shape}; expected ({k}, {k}) or ({n}, {k}, {k}).")
        return 0.5 * (H + H.T)

    def _fd_hess(self, x, theta):
        h = self._refine(x, theta, self._steps(theta, 1 / 4 if self._user_score is None else 1 / 3))
        k = theta.size
        H = np.empty((k, k))
        for i in range(k):
            e = np.zeros(k)
            e[i] = h[i]
            H[i] = (self._grad_vec(x, theta + e) - self._grad_vec(x, theta - e)) / (2 * h[i])
        return 0.5 * (H + H.T)

    def _hess_vec(self, x, theta):
        if self._user_hessian is not None:
            return self._user_hess(x, theta)
        return self._fd_hess(x, theta)

    def _theta(self, p):
        return np.array([float(p[n]) for n in self.param_names])

    def _score(self, x, p):
        return self._grad_vec(x, self._theta(p))

    def _hessian(self, x, p):
        return self._hess_vec(x, self._theta(p))

    def _check_derivatives(self, x, p: dict, where: str) -> None:
        """Compare the user's score and Hessian with finite differences at ``p``.

        The difference counts as a mismatch when it exceeds both 1e-5 of the
        finite-difference value and 50 times the finite differences' own
        uncertainty (the change between steps h and 2h, and the rounding of the
        log-likelihood over h); what is left is a real error in the formula.
        """
        theta = self._theta(p)
        names = self.param_names
        with np.errstate(all="ignore"):
            if self._user_score is not None:
                h = self._refine(x, theta, self._steps(theta, 1 / 3))
                g_fd = self._fd_grad(x, theta, h)
                g_2h = self._fd_grad(x, theta, 2 * h)
                g_u = self._user_grad(x, theta)
                ll = abs(self._ll_vec(x, theta))
                slack = np.maximum(1e-5 * np.abs(g_fd), 50 * np.abs(g_fd - g_2h) + 1e3 * np.finfo(float).eps * (1 + ll) / h)
                bad = ~(np.abs(g_u - g_fd) <= slack)
                if np.isfinite(g_fd).all() and bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise ValueError(
                        f"{self.name}: the score you supplied does not match the derivative of your logpdf {where} "
                        f"({p!r}): d loglik / d {names[i]} is {g_u[i]:.6g} by your score but {g_fd[i]:.6g} by finite "
                        "differences of the log-likelihood. Check the score's formula (or leave score=None to use "
                        "finite differences)."
                    )
            if self._user_hessian is not None:
                H_u = self._user_hess(x, theta)
                H_fd = self._fd_hess(x, theta)
                scale = np.sqrt(np.abs(np.outer(np.diag(H_fd), np.diag(H_fd))))
                bad = ~(np.abs(H_u - H_fd) <= 1e-4 * scale + 1e-8 * np.abs(H_fd) + 1e-12)
                if np.isfinite(H_fd).all() and bad.any():
                    i, j = (int(v[0]) for v in np.nonzero(bad))
                    raise ValueError(
                        f"{self.name}: the hessian you supplied does not match the derivative of the score {where} "
                        f"({p!r}): entry ({names[i]}, {names[j]}) is {H_u[i, j]:.6g} by your hessian but "
                        f"{H_fd[i, j]:.6g} by finite differences. Check the hessian's formula (or leave hessian=None)."
                    )

    def _fisher(self, p):
        raise ValueError(
            f"{self.name}: the expected (Fisher) information is not available for a custom family; "
            "mlekit.fit reports standard errors from the observed information instead."
        )

    def _start(self, x):
        raise ValueError(f"{self.name}: a custom family needs starting values: fit(family, data, start={{...}}).")

    def _sample(self, rng, size, p):
        raise ValueError(f"{self.name}: sampling is not available for a custom family (only its log-density is known).")


# Starting values for numerical fits of the closed-form families (consistent,
# but deliberately not the MLE, so that an optimizer's trace shows some work).
def _start_half(self, x):
    return {"p": 0.5}


def _start_poisson(self, x):
    return {"lam": float(np.median(_sub(x))) + 0.5}


def _start_normal(self, x):
    xs = _sub(x)
    out = {}
    if self.fixed_mu is None:
        out["mu"] = float(np.median(xs))
    if self.fixed_sigma2 is None:
        q75, q25 = np.percentile(xs, [75, 25])
        iqr = float(q75 - q25) / 1.349
        out["sigma2"] = iqr * iqr if iqr > 0 else float(np.var(xs)) or 1.0
    return out


def _start_exponential(self, x):
    med = float(np.median(_sub(x)))
    return {"rate": np.log(2) / med if med > 0 else 1.0 / max(float(np.mean(x)), 1e-300)}


Bernoulli._start = _start_half
Binomial._start = _start_half
Poisson._start = _start_poisson
Normal._start = _start_normal
Exponential._start = _start_exponential
