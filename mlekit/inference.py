r"""Uncertainty after the fit: information, standard errors, intervals and tests.

What to use when
----------------
- **Standard errors** of a fit: ``result.se``, from the information named in
  ``result.information``: the *expected* (Fisher) information at the estimate
  for closed-form fits, the *observed* information (minus the Hessian) for
  numerical ones; :func:`standard_errors` gives either on request (they
  coincide for Bernoulli, Poisson and Exponential at the MLE).
- **Wald interval** :math:`\hat\theta \pm z\,\mathrm{se}`: ``result.conf_int()``
  or :func:`wald_interval`. Quick, symmetric, and wrong near a boundary.
- **Likelihood-ratio interval** :func:`profile_interval`: the set of values the
  data do not reject at the given level. Respects the parameter's domain and
  is invariant under reparameterization. At the boundary it is no longer
  degenerate (all-zero Bernoulli data give ``[0, 1 - exp(-1.92/n)]`` instead
  of Wald's ``[0, 0]``) but it is too short there: Wilks' theorem needs an
  interior estimate. For a proportion near 0 or 1 prefer
  :func:`score_interval` (Wilson) or :func:`clopper_pearson_interval` (exact).
  For a parameter of a multi-parameter family the other parameters are
  maximized out (the *profile* likelihood, :func:`profile_loglik`).
- **Tests of a point null**, the trio: :func:`wald_test` (needs only the full
  fit), :func:`likelihood_ratio_test` (both fits), :func:`score_test` (only the
  null fit); :func:`score_interval` inverts the score test.
- **A model that may be wrong**: :func:`sandwich_covariance` (White's
  :math:`J^{-1}BJ^{-1}`, statsmodels ``cov_type="HC0"``) from the
  per-observation scores :func:`score_contributions`.
- **Nested models**: :func:`likelihood_ratio_test`. Non-nested ones:
  :func:`compare_models` (AIC / BIC).
- **A function of the parameters** (odds, a mean from a rate, ...):
  :func:`delta_method`. By invariance, :math:`g(\hat\theta)` *is* the MLE of
  :math:`g(\theta)`; the delta method supplies its standard error.

Everything here uses only the public :class:`~mlekit.Family` API and
:func:`mlekit.fit`.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from ._lazy import optimize, stats

from ._validation import as_positive_int, data_digest, float_errors, inverse_pd
from .families import Family
from .fit import fit
from .results import MLEResult

__all__ = [
    "observed_information",
    "expected_information",
    "standard_errors",
    "wald_interval",
    "profile_loglik",
    "profile_interval",
    "profile_intervals",
    "ProfileInterval",
    "likelihood_ratio_test",
    "LRTestResult",
    "compare_models",
    "delta_method",
    "DeltaMethodResult",
]


# ------------------------------------------------------------------ helpers
def _check_level(level, owner: str) -> float:
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"{owner}: level must be a number strictly between 0 and 1, got {level!r}.")
    return float(level)


def _check_family(family, owner: str) -> Family:
    if not isinstance(family, Family):
        raise ValueError(f"{owner}: family must be an mlekit family such as mlekit.Bernoulli(), got {family!r}.")
    return family


def _params_of(params, owner: str) -> dict:
    if isinstance(params, MLEResult):
        return dict(params.params)
    if not isinstance(params, dict):
        raise ValueError(f"{owner}: params must be a dict such as {{'p': 0.3}} or an MLEResult, got {params!r}.")
    return dict(params)


# -------------------------------------------------------------- information
def observed_information(family: Family, data, params) -> np.ndarray:
    r"""Observed information :math:`J(\theta) = -\nabla^2\ell(\theta)` for the whole sample.

    Parameters
    ----------
    family : Family
    data : array_like
    params : dict or MLEResult
        The point, e.g. ``result.params`` (an :class:`MLEResult` is accepted).

    Returns
    -------
    ndarray, shape (k, k)
        Axes are ``family.coord_names``.

    Notes
    -----
    statsmodels: ``-model.hessian(params)``; R: ``-optimHess(...)``. Not defined
    on the boundary of the parameter space (the family raises ``ValueError``).
    """
    family = _check_family(family, "observed_information")
    p = _params_of(params, "observed_information")
    return family.observed_information(data, **p)


def expected_information(family: Family, n: int, params) -> np.ndarray:
    r"""Expected (Fisher) information of ``n`` observations, :math:`n\,I_1(\theta)`.

    Notes
    -----
    :math:`I_1(\theta) = -\mathbb{E}_\theta[\nabla^2 \log f(X;\theta)]` is
    ``family.fisher_information`` (one observation).
    """
    family = _check_family(family, "expected_information")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (numbers.Integral, np.integer)) or n < 1:
        raise ValueError(f"expected_information: n must be a positive integer (number of observations), got {n!r}.")
    p = _params_of(params, "expected_information")
    with float_errors("expected_information", "n times the information"):
        out = int(n) * family.fisher_information(**p)
        ok = bool(np.isfinite(out).all())
    if not ok:
        raise ValueError(f"expected_information: n * I(theta) overflows float64 at n = {n}, {p}.")
    return out


def standard_errors(family: Family, data, params, *, kind: str = "observed") -> dict:
    r"""Standard errors :math:`\sqrt{[J^{-1}]_{jj}}` (observed) or :math:`\sqrt{[(nI_1)^{-1}]_{jj}}` (expected).

    Returns ``{coord_name: se}`` over ``family.coord_names``.

    Notes
    -----
    ``MLEResult.se`` uses the expected information for closed-form fits and the
    observed one for numerical fits (``MLEResult.information`` says which), so
    ``kind="expected"`` reproduces the former and ``kind="observed"`` the
    latter. statsmodels' ``GenericLikelihoodModel`` ``bse`` uses the observed
    one (``kind="observed"``).
    Raises ``ValueError`` if the information is not positive definite (the point
    is not a strict local maximum, so no Wald standard error exists).
    """
    family = _check_family(family, "standard_errors")
    if kind not in ("observed", "expected"):
        raise ValueError(f"standard_errors: kind must be 'observed' or 'expected', got {kind!r}.")
    p = _params_of(params, "standard_errors")
    if kind == "observed":
        info = family.observed_information(data, **p)
    else:
        x = family.check_data(data)
        info = expected_information(family, x.size, p)
    with float_errors("standard_errors", "inverting the information"):
        eig = np.linalg.eigvalsh(info)
        if not np.all(eig > 0):
            raise ValueError(
                f"standard_errors: the {kind} information at {p} is not positive definite "
                f"(eigenvalues {eig}); the point is not a strict local maximum, so Wald standard errors do not exist."
            )
        cov = inverse_pd(info)
        se = np.sqrt(np.diag(cov))
    if not (np.isfinite(se).all() and np.all(se > 0)):
        raise ValueError(f"standard_errors: the {kind} information at {p} cannot be inverted in float64 (standard errors {se}).")
    return {name: float(se[i]) for i, name in enumerate(family.coord_names)}


def wald_interval(estimate: float, se: float, *, level: float = 0.95) -> tuple[float, float]:
    r"""Wald interval :math:`\hat\theta \pm z_{1-\alpha/2}\,\mathrm{se}` (not clipped to any domain).

    ``MLEResult.conf_int`` does the same for every parameter and clips to the domain.
    statsmodels: ``conf_int()``; R: ``confint.default``.
    """
    level = _check_level(level, "wald_interval")
    vals = []
    for label, v in (("estimate", estimate), ("se", se)):
        if isinstance(v, (bool, np.bool_)) or not (isinstance(v, numbers.Real) or (np.ndim(v) == 0 or np.size(v) == 1)):
            raise ValueError(
                f"wald_interval: {label} must be a single number, got {v!r}; for several parameters use "
                "MLEResult.conf_int() or call wald_interval once per parameter."
            )
        try:
            vals.append(float(np.asarray(v, dtype=float).reshape(())))
        except (TypeError, ValueError):
            raise ValueError(f"wald_interval: {label} must be a single number, got {v!r}.") from None
    est, s = vals
    if not (np.isfinite(est) and np.isfinite(s) and s >= 0):
        raise ValueError(f"wald_interval: need a finite estimate and a finite se >= 0, got {estimate!r}, {se!r}.")
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(over="ignore"):
        lo, hi = est - z * s, est + z * s
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"wald_interval: the interval {est!r} +- {z:.3g} * {s!r} overflows float64.")
    return (float(lo), float(hi))


# ------------------------------------------------------- profile likelihood
def _to_u(spec, v):
    """Map a value in the parameter's domain to an unconstrained coordinate."""
    lo, hi = spec.lower, spec.upper
    if np.isfinite(lo) and np.isfinite(hi):
        t = (v - lo) / (hi - lo)
        return np.log(t) - np.log1p(-t)
    if np.isfinite(lo):
        return np.log(v - lo)
    if np.isfinite(hi):
        return np.log(hi - v)
    return v


def _from_u(spec, u):
    """Inverse of ``_to_u``, with the first and second derivatives d value / d u."""
    lo, hi = spec.lower, spec.upper
    if np.isfinite(lo) and np.isfinite(hi):
        t = 0.5 * (1 + np.tanh(u / 2))  # logistic without overflow
        d1 = (hi - lo) * t * (1 - t)
        return lo + (hi - lo) * t, d1, d1 * (1 - 2 * t)
    if np.isfinite(lo):
        e = np.exp(u)
        return lo + e, e, e
    if np.isfinite(hi):
        e = np.exp(u)
        return hi - e, -e, -e
    return u, 1.0, 0.0


class _Profiler:
    """Profile log-likelihood of one scalar parameter; nuisance parameters maximized out.

    The nuisance parameters are mapped to the real line (log / logit) and
    maximized by Newton's method with the family's analytic score and Hessian
    and step halving, warm-started at the previous solution; if the Hessian is
    not negative definite there, ``scipy.optimize.minimize`` (BFGS, analytic
    score) takes over.
    """

    def __init__(self, family: Family, x: np.ndarray, name: str, mle: dict, owner: str):
        specs = {s.name: s for s in family.params}
        if name not in specs:
            raise ValueError(
                f"{owner}: {family.name} has no parameter {name!r}; its parameters are {', '.join(family.param_names)}."
            )
        if specs[name].size is not None or any(s.size is not None for s in family.params):
            raise ValueError(
                f"{owner}: profile intervals need scalar parameters; {family.name}'s {name!r} is a vector "
                "(for one probability of a Categorical, fit a Bernoulli to the indicator of that category: "
                "its profile likelihood is exactly that Bernoulli likelihood)."
            )
        self.family, self.x, self.name, self.spec = family, x, name, specs[name]
        self.nuisance = [s for s in family.params if s.name != name]
        self.idx = [family.coord_names.index(s.name) for s in self.nuisance]
        self.mle = dict(mle)
        self.ell_hat = family._loglik_checked(x, family.check_params(dict(mle), where=owner), owner)
        with np.errstate(divide="ignore"):  # a nuisance MLE on its edge maps to +-inf; start nearby
            start = np.array([_to_u(s, mle[s.name]) for s in self.nuisance], dtype=float)
        self._start = np.clip(start, -30.0, 30.0)
        self.owner = owner

    def _unpack(self, value, u):
        p = {self.name: value}
        d1, d2 = [], []
        for s, ui in zip(self.nuisance, u):
            v, a, b = _from_u(s, ui)
            p[s.name] = float(v)
            d1.append(a)
            d2.append(b)
        return p, np.asarray(d1), np.asarray(d2)

    def _eval(self, value, u, *, second=False):
        """Log-likelihood, gradient (and Hessian) in u; None where undefined."""
        fam, x = self.family, self.x
        p, d1, d2 = self._unpack(value, u)
        if not all(s.contains(p[s.name], interior=True) for s in self.nuisance):
            return None
        try:
            with np.errstate(all="ignore"):
                # the data were checked once (self.x); only the parameters are checked here
                q = fam.check_params(p, interior=True, where=self.owner, moderate=True)
                ell = fam._loglik_checked(x, q, self.owner)
                sc = fam._derivative(x, q, "score")[self.idx]
                H = fam._derivative(x, q, "hessian")[np.ix_(self.idx, self.idx)] if second else None
        except (ArithmeticError, ValueError, NotImplementedError):  # a step far outside (under/overflow), or no Hessian
            return None
        g = sc * d1
        if not (np.isfinite(ell) and np.all(np.isfinite(g))):
            return None
        if second:
            Hu = H * np.outer(d1, d1) + np.diag(sc * d2)
            if not np.all(np.isfinite(Hu)):
                return None
            return ell, g, Hu
        return ell, g

    def _newton(self, value, u):
        cur = self._eval(value, u, second=True)
        if cur is None:
            return None
        for _ in range(100):
            ell, g, Hu = cur
            try:
                if np.linalg.eigvalsh(Hu).max() >= 0:
                    return None
                step = -np.linalg.solve(Hu, g)
            except np.linalg.LinAlgError:
                return None
            t, new = 1.0, None
            for _ in range(60):  # step halving until the log-likelihood does not decrease
                cand = self._eval(value, u + t * step, second=True)
                if cand is not None and cand[0] >= ell - 1e-12 * max(1.0, abs(ell)):
                    new = cand
                    break
                t /= 2
            if new is None:
                return None
            u = u + t * step
            cur = new
            if np.max(np.abs(t * step)) < 1e-10 * max(1.0, float(np.max(np.abs(u)))):
                return u, cur[0]
        return None

    def __call__(self, value: float) -> float:
        value = float(value)
        fam, x = self.family, self.x
        if not self.spec.contains(value):
            raise ValueError(f"{self.owner}: {self.name} = {value!r} is outside its domain {self.spec.describe()}.")
        if not self.nuisance:
            return fam._loglik_checked(x, fam.check_params({self.name: value}, where=self.owner), self.owner)
        found = self._newton(value, self._start.copy())
        if found is None:
            n = x.size

            def negll(u):
                out = self._eval(value, u)
                if out is None:
                    return np.inf, np.zeros_like(u)
                return -out[0] / n, -out[1] / n

            with warnings.catch_warnings(), np.errstate(all="ignore"):
                # scipy's line-search warnings describe its own failure, which is reported below
                warnings.simplefilter("ignore")
                res = optimize.minimize(negll, self._start, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 500})
            out = self._eval(value, res.x)
            if out is None:
                raise ValueError(
                    f"{self.owner}: maximizing the nuisance parameters at {self.name} = {value!r} failed: the best "
                    f"point found has a non-finite log-likelihood (scipy: {res.message}). Profile intervals need a "
                    "regular likelihood (not, e.g., a support that depends on the parameters, as for Uniform)."
                )
            found = (res.x, out[0])
        u, ell = found
        self._start = u  # warm start for the next, nearby value
        return float(ell)


def _mle_of(family, x, result, owner):
    if result is None:
        result = fit(family, x)
    elif not isinstance(result, MLEResult):
        raise ValueError(f"{owner}: result must be an MLEResult from mlekit.fit, got {result!r}.")
    elif result.family is not family and repr(result.family) != repr(family):
        raise ValueError(f"{owner}: result is a fit of {result.family!r}, not of {family!r}.")
    elif result.n != x.size:
        raise ValueError(f"{owner}: result was fitted to n={result.n} observations, but data has {x.size}.")
    elif result.data_id is not None and result.data_id != data_digest(x):
        raise ValueError(f"{owner}: result was fitted to other data than the data given here (same n = {x.size}).")
    return result


def _only_param(family, param, owner):
    if param is None:
        if len(family.param_names) != 1:
            raise ValueError(
                f"{owner}: {family.name} has parameters {', '.join(family.param_names)}; say which one with param=..."
            )
        return family.param_names[0]
    if not isinstance(param, str):
        raise ValueError(f"{owner}: param must be one parameter's name (a string, one of "
                         f"{', '.join(family.param_names)}), got {type(param).__name__} {param!r}.")
    return param


def profile_loglik(family: Family, data, param: str | None = None, values=None, *, result: MLEResult | None = None):
    r"""Profile log-likelihood :math:`\ell_p(\psi) = \max_{\lambda} \ell(\psi, \lambda)` at each of ``values``.

    For a one-parameter family this is the log-likelihood itself. The nuisance
    parameters :math:`\lambda` are maximized with ``scipy.optimize.minimize``
    (BFGS, analytic score from the family, domains mapped to the real line by
    log / logit transforms), starting from the MLE.

    Parameters
    ----------
    family : Family
    data : array_like
    param : str, optional
        The parameter of interest (may be omitted for one-parameter families).
    values : array_like
        Values of ``param`` at which to evaluate.
    result : MLEResult, optional
        A fit of ``family`` to ``data`` (saves refitting).

    Returns
    -------
    ndarray
        :math:`\ell_p` at each value, same shape as ``values``.

    Notes
    -----
    For ``Normal`` with both parameters free, :math:`\ell_p(\mu) =
    -\tfrac n2 \log(2\pi\hat\sigma^2(\mu)) - \tfrac n2` with
    :math:`\hat\sigma^2(\mu) = \frac1n\sum_i (x_i-\mu)^2`. R:
    ``MASS`` / ``bbmle::profile``.
    """
    owner = "profile_loglik"
    family = _check_family(family, owner)
    x = family.check_data(data)
    param = _only_param(family, param, owner)
    if values is None:
        raise ValueError(f"{owner}: values (where to evaluate the profile) are required.")
    try:
        vals = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        vals = None
    if vals is None or vals.size == 0 or vals.ndim > 1 or not np.isfinite(vals).all():
        raise ValueError(f"{owner}: values must be one or more finite numbers (a scalar or a 1-D array), got {values!r}.")
    result = _mle_of(family, x, result, owner)
    prof = _Profiler(family, x, param, result.params, owner)
    flat = vals.ravel()
    order = np.argsort(np.abs(flat - result.params[param]))  # walk outwards from the MLE (warm starts)
    out = np.empty(flat.size)
    for i in order:
        out[i] = prof(flat[i])
    return out.reshape(vals.shape)


@dataclass(frozen=True)
class ProfileInterval:
    """A likelihood-ratio (profile) confidence interval.

    Attributes
    ----------
    param : str
    estimate : float
        The MLE of ``param``.
    lower, upper : float
    level : float
    loglik : float
        Log-likelihood at the MLE.
    cutoff : float
        :math:`\\chi^2_{1}(\\text{level})/2`: the drop in log-likelihood that
        defines the interval.
    boundary : tuple of str
        ``"lower"`` / ``"upper"`` when that end is the edge of the parameter's
        domain rather than a root of the profile equation.
    """

    param: str
    estimate: float
    lower: float
    upper: float
    level: float
    loglik: float
    cutoff: float
    boundary: tuple = ()

    def __iter__(self):
        return iter((self.lower, self.upper))


def profile_interval(
    family: Family, data, param: str | None = None, *, level: float = 0.95, result: MLEResult | None = None
) -> ProfileInterval:
    r"""Likelihood-ratio (profile) confidence interval for one scalar parameter.

    The interval is :math:`\{\psi : \ell(\hat\theta) - \ell_p(\psi) \le
    \tfrac12\chi^2_{1,\text{level}}\}`; its ends are found with
    ``scipy.optimize.brentq`` after bracketing outwards from the MLE. When the
    log-likelihood never drops by the cutoff before the edge of the domain (in
    particular when the MLE *is* on the edge), the interval ends at the edge.

    Parameters
    ----------
    family : Family
    data : array_like
    param : str, optional
        Needed for multi-parameter families (e.g. ``"mu"`` for ``Normal()``).
    level : float
        Confidence level, default 0.95 (cutoff 1.92).
    result : MLEResult, optional
        A fit of ``family`` to ``data`` (else ``mlekit.fit`` is called).

    Returns
    -------
    ProfileInterval
        Unpacks as ``lower, upper``.

    Notes
    -----
    Bernoulli, all :math:`n` outcomes 0: :math:`\ell(p) = n\log(1-p)`, so the
    95% interval is :math:`[0,\ 1-e^{-1.92/n}]` (Wald gives :math:`[0, 0]`).
    R: ``confint(profile(fit))`` (``MASS``), ``bbmle::confint``.
    """
    owner = "profile_interval"
    family = _check_family(family, owner)
    level = _check_level(level, owner)
    x = family.check_data(data)
    param = _only_param(family, param, owner)
    result = _mle_of(family, x, result, owner)
    if not result.converged:
        raise ValueError(f"{owner}: the fit did not converge ({result.message}); no likelihood-ratio interval.")
    prof = _Profiler(family, x, param, result.params, owner)
    spec = prof.spec
    est = float(result.params[param])
    cutoff = float(stats.chi2.ppf(level, 1) / 2)
    ell_hat = prof.ell_hat
    if not np.isfinite(ell_hat):
        raise ValueError(f"{owner}: the log-likelihood at the MLE is not finite ({ell_hat!r}).")
    start_prof = prof._start.copy()

    def g(v):
        return ell_hat - prof(v) - cutoff  # < 0 inside the interval, > 0 outside

    se = float(np.ravel(result.se.get(param, np.nan))[0]) if isinstance(result.se, dict) else np.nan
    ends, at_edge = [], []
    for direction, edge in ((-1, spec.lower), (+1, spec.upper)):
        prof._start = start_prof.copy()
        if est == edge:  # the MLE sits on this edge of the domain
            ends.append(float(edge))
            at_edge.append("lower" if direction < 0 else "upper")
            continue
        inside, root = est, None
        for k in range(80):
            if np.isfinite(edge):
                cand = edge + (est - edge) * 0.5 ** (k + 1)
                if np.isfinite(se) and se > 0 and k == 0:
                    cand = est + direction * min(se, abs(est - edge) / 2)
            else:
                step = se if (np.isfinite(se) and se > 0) else 1e-6 * max(1.0, abs(est))
                cand = est + direction * step * 2.0**k
            if not spec.contains(cand, interior=True) or cand == inside:
                break
            val = g(cand)
            if val > 0 or not np.isfinite(val):
                a, b, gb = inside, cand, val
                while not np.isfinite(gb):  # loglik = -inf (or nan) at b: bisect for a finite outside point
                    if abs(b - a) <= 1e-13 * max(1.0, abs(a)):
                        root = a  # the likelihood collapses right here (an edge of the data's support)
                        break
                    m = 0.5 * (a + b)
                    gm = g(m)
                    if np.isfinite(gm) and gm <= 0:
                        a = m
                    else:
                        b, gb = m, gm
                else:
                    lo_b, hi_b = sorted((a, b))
                    xtol = max(1e-13 * max(abs(lo_b), abs(hi_b)), 1e-300)  # relative: tiny parameters keep their digits
                    root = optimize.brentq(g, lo_b, hi_b, xtol=xtol, rtol=4 * np.finfo(float).eps)
                break
            inside = cand
        if root is None:
            if not np.isfinite(edge):
                raise ValueError(
                    f"{owner}: the log-likelihood of {param} does not drop by {cutoff:.3g} however far one goes "
                    f"{'up' if direction > 0 else 'down'}; the interval is unbounded."
                )
            ends.append(float(edge))
            at_edge.append("lower" if direction < 0 else "upper")
        else:
            ends.append(float(root))
    return ProfileInterval(
        param=param,
        estimate=est,
        lower=ends[0],
        upper=ends[1],
        level=level,
        loglik=ell_hat,
        cutoff=cutoff,
        boundary=tuple(at_edge),
    )


def profile_intervals(family: Family, data, *, level: float = 0.95, result: MLEResult | None = None) -> dict:
    r"""Likelihood-ratio (profile) confidence intervals for every parameter at once.

    :func:`profile_interval` for each estimated scalar parameter of ``family``,
    sharing one fit. R: ``confint(profile(fit))`` (``MASS``, ``bbmle``).

    Parameters
    ----------
    family : Family
    data : array_like
    level : float
        Confidence level, default 0.95.
    result : MLEResult, optional
        A fit of ``family`` to ``data`` (else ``mlekit.fit`` is called once).

    Returns
    -------
    dict
        ``{name: ProfileInterval}`` in the order of ``family.param_names``;
        each unpacks as ``lower, upper`` (the shape of ``MLEResult.conf_int()``).

    Raises
    ------
    ValueError
        As :func:`profile_interval` (a fit that did not converge, a vector
        parameter such as ``Categorical``'s ``theta``, an irregular likelihood
        such as ``Uniform``'s, an unbounded interval).
    """
    owner = "profile_intervals"
    family = _check_family(family, owner)
    level = _check_level(level, owner)
    x = family.check_data(data)
    result = _mle_of(family, x, result, owner)
    return {
        name: profile_interval(family, x, name, level=level, result=result) for name in family.param_names
    }


# ------------------------------------------------------------------ LR test
@dataclass(frozen=True)
class LRTestResult:
    r"""Likelihood-ratio test of a nested (null) model against a larger one.

    ``statistic`` is :math:`2(\ell_1 - \ell_0)`, ``df`` the difference in the
    number of free parameters, ``pvalue`` the upper tail of :math:`\chi^2_{df}`.
    """

    statistic: float
    df: int
    pvalue: float
    loglik_null: float
    loglik_alt: float
    note: str = ""

    def __iter__(self):
        return iter((self.statistic, self.df, self.pvalue))


def _nesting(null_family, alt_family):
    """How ``null_family`` sits inside ``alt_family``: ``(nested, on_boundary, how)``.

    ``nested`` is True, False, or None (unknown: a user-defined family, whose nesting
    the caller must vouch for). ``on_boundary`` says the null fixes a parameter at the
    edge of its domain (a limit), where the statistic is not chi-square.
    """
    from . import families as F

    mine = lambda f: type(f).__module__ == F.__name__ and not isinstance(f, F.CustomFamily)  # noqa: E731
    if not (mine(null_family) and mine(alt_family)):
        return None, False, ""
    a, b = type(null_family), type(alt_family)
    if a is b:
        fixed_null, fixed_alt = null_family._fixed(), alt_family._fixed()
        # the null fixes what the alternative estimates (Normal(mu=0) in Normal()); anything
        # fixed in both must agree (Binomial(n=5) vs Binomial(n=5))
        same = all(fixed_alt[k] == fixed_null.get(k) for k in fixed_alt)
        subset = set(null_family.param_names) < set(alt_family.param_names)
        return bool(same and subset), False, ""
    table = {
        (F.Exponential, F.Gamma): (False, "Exponential is Gamma with shape = 1"),
        (F.Exponential, F.Weibull): (False, "Exponential is Weibull with shape = 1"),
        (F.Geometric, F.NegativeBinomial): (False, "Geometric is NegativeBinomial with size = 1"),
        (F.Poisson, F.NegativeBinomial): (True, "Poisson is the limit size -> infinity of NegativeBinomial"),
        (F.Normal, F.StudentT): (True, "Normal is the limit df -> infinity of StudentT"),
    }
    if (a, b) in table:
        if a is F.Normal and null_family._fixed():
            return False, False, ""  # a Normal with a fixed mean or variance is not a limit of StudentT()
        boundary, how = table[(a, b)]
        return True, boundary, how
    return False, False, ""


def likelihood_ratio_test(null_result: MLEResult, alt_result: MLEResult, *, df: int | None = None) -> LRTestResult:
    r"""Likelihood-ratio test: is the larger model's gain in log-likelihood more than chance?

    Parameters
    ----------
    null_result, alt_result : MLEResult
        Fits of the nested (smaller) and the larger model **to the same data**.
    df : int, optional
        Degrees of freedom; default: difference in ``n_params``.

    Returns
    -------
    LRTestResult
        Unpacks as ``statistic, df, pvalue``.

    Notes
    -----
    :math:`\Lambda = 2\{\ell(\hat\theta_1) - \ell(\hat\theta_0)\} \to \chi^2_{df}`
    under the null (Wilks). Not valid when the null fixes a parameter on the
    boundary of its domain (the limit is then a mixture of chi-squares).
    statsmodels: ``results.compare_lr_test``; R: ``anova(m0, m1, test="LRT")``,
    ``lmtest::lrtest``.

    Checks (``ValueError``): both are MLEResults, same number of observations,
    the null has fewer parameters, both converged, and the larger model's
    log-likelihood is not below the null's (beyond rounding) — otherwise the
    models are not nested or a fit is not at its maximum.
    """
    owner = "likelihood_ratio_test"
    for label, r in (("null_result", null_result), ("alt_result", alt_result)):
        if not isinstance(r, MLEResult):
            raise ValueError(f"{owner}: {label} must be an MLEResult from mlekit.fit, got {r!r}.")
        if not r.converged:
            raise ValueError(f"{owner}: {label} did not converge ({r.message}); the test needs maximized likelihoods.")
    if null_result.n != alt_result.n:
        raise ValueError(
            f"{owner}: the models were fitted to different numbers of observations "
            f"(null n={null_result.n}, alternative n={alt_result.n}); they must share the same data."
        )
    _same_data(owner, [null_result, alt_result])
    d = alt_result.n_params - null_result.n_params if df is None else df
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (numbers.Integral, np.integer)) or d < 1:
        if df is None:
            raise ValueError(
                f"{owner}: the null model must have fewer free parameters than the alternative "
                f"(null {null_result.n_params}, alternative {alt_result.n_params}); pass them in the order (null, alt)."
            )
        raise ValueError(f"{owner}: df must be a positive integer, got {df!r}.")
    nested, on_boundary, how = _nesting(null_result.family, alt_result.family)
    if nested is False:
        raise ValueError(
            f"{owner}: {null_result.family!r} is not nested in {alt_result.family!r} (the null must be the "
            "alternative with some parameters fixed); for non-nested models compare AIC/BIC with compare_models."
        )
    stat = 2.0 * (alt_result.loglik - null_result.loglik)
    tol = 1e-8 * max(1.0, abs(alt_result.loglik))
    if stat < -tol:
        raise ValueError(
            f"{owner}: the larger model's log-likelihood ({alt_result.loglik:.6g}) is below the null's "
            f"({null_result.loglik:.6g}); the models are not nested or a fit is not at its maximum."
        )
    stat = max(stat, 0.0)
    pvalue, note = float(stats.chi2.sf(stat, d)), ""
    if on_boundary and df is None and d == 1:
        # Self & Liang (1987): with the one extra parameter's null value on the edge of its
        # domain, the statistic is a 50:50 mixture of chi2(0) (a point mass at 0) and chi2(1).
        pvalue = 0.5 * pvalue if stat > 0 else 1.0
        note = (
            f"{how}: the null value is on the boundary of the parameter space, so the p-value is from the "
            "50:50 mixture of chi2(0) and chi2(1) (Self & Liang 1987), half the naive chi2(1) p-value"
        )
    return LRTestResult(
        statistic=float(stat),
        df=int(d),
        pvalue=pvalue,
        loglik_null=float(null_result.loglik),
        loglik_alt=float(alt_result.loglik),
        note=note,
    )


def _same_data(owner: str, results) -> None:
    ids = {r.data_id for r in results if r.data_id is not None}
    if len(ids) > 1:
        raise ValueError(
            f"{owner}: the fits were made to different data (same number of observations, different values); "
            "likelihoods are comparable only on the same observations."
        )


def _fitted_models():
    """The result classes that carry a log-likelihood, ``n`` and ``n_params`` (AIC/BIC)."""
    from .models.logistic import LogisticResult
    from .models.mixture import MixtureResult

    return (MLEResult, LogisticResult, MixtureResult)


def _model_label(r) -> str:
    """A default row label: the family's repr, or what the model is."""
    if isinstance(r, MLEResult):
        return repr(r.family)
    if hasattr(r, "separation"):  # a logistic regression
        return f"logistic regression ({', '.join(r.cov_names)})"
    return f"Gaussian mixture (k={r.k}, dimension {r.dim})"


def compare_models(results, names=None):
    r"""Compare fits to the same data by AIC and BIC: R's ``AIC(m1, m2, ...)`` table.

    Parameters
    ----------
    results : sequence of fitted models, or dict name -> fitted model
        :class:`~mlekit.MLEResult` (from :func:`mlekit.fit`),
        :class:`~mlekit.models.logistic.LogisticResult` (from
        :func:`mlekit.logistic_regression`, without a penalty) and
        :class:`~mlekit.models.mixture.MixtureResult` (from
        :func:`mlekit.gaussian_mixture`), in any mix, fitted to the same
        observations (for regressions: the same response ``y``).
    names : sequence of str, optional
        Row labels (default: ``repr`` of each family, or what the model is).

    Returns
    -------
    pandas.DataFrame
        One row per model, sorted by AIC: ``loglik``, ``n_params``, ``aic``,
        ``bic``, ``delta_aic``, ``delta_bic`` (difference to the best) and
        ``aic_weight`` (Akaike weights :math:`w_i \propto e^{-\Delta_i/2}`).

    Raises
    ------
    ValueError
        For fits to different data (different ``n``, or different values by
        their fingerprint ``data_id``), a fit that did not converge or has a
        non-finite log-likelihood, a penalized logistic regression (its
        estimate is not the maximum-likelihood one), repeated names.

    Notes
    -----
    :math:`\mathrm{AIC} = 2k - 2\ell`, :math:`\mathrm{BIC} = k\log n - 2\ell`;
    lower is better. Only comparable across fits of the same observations.
    R: ``AIC(m1, m2)``, ``BIC(m1, m2)``, ``fitdistrplus::gofstat(list(f1, f2))``
    (its "Goodness-of-fit criteria"); statsmodels: each result's ``aic``/``bic``.
    """
    import pandas as pd

    owner = "compare_models"
    kinds = _fitted_models()
    if isinstance(results, dict):
        if names is not None:
            raise ValueError(f"{owner}: give names either as dict keys or as names=, not both.")
        names, results = list(results.keys()), list(results.values())
    elif isinstance(results, kinds):
        results = [results]
    elif isinstance(results, (str, bytes)) or not hasattr(results, "__iter__"):
        raise ValueError(
            f"{owner}: results must be a sequence of MLEResults (or logistic / mixture results) "
            f"or a dict name -> result, got {results!r}."
        )
    else:
        results = list(results)
    if names is not None and (isinstance(names, (str, bytes)) or not hasattr(names, "__iter__")):
        raise ValueError(f"{owner}: names must be a sequence of strings, got {names!r}.")
    if len(results) < 1:
        raise ValueError(f"{owner}: give at least one MLEResult.")
    for i, r in enumerate(results):
        if not isinstance(r, kinds):
            raise ValueError(
                f"{owner}: entry {i} is not an MLEResult (nor a LogisticResult or MixtureResult, the other fitted "
                f"models with a log-likelihood): {r!r}."
            )
        if not r.converged:
            raise ValueError(f"{owner}: entry {i} did not converge ({r.message}); its log-likelihood is not a maximum.")
        if getattr(r, "l2", 0.0) > 0:
            raise ValueError(
                f"{owner}: entry {i} is a penalized fit (l2={r.l2}); AIC/BIC need the maximum-likelihood estimate (l2=0)."
            )
    ns = {r.n for r in results}
    if len(ns) > 1:
        raise ValueError(f"{owner}: the fits use different numbers of observations {sorted(ns)}; AIC/BIC compare only fits to the same data.")
    _same_data(owner, results)
    bad = [i for i, r in enumerate(results) if not np.isfinite(r.loglik)]
    if bad:
        raise ValueError(f"{owner}: entry {bad[0]} has a log-likelihood of {results[bad[0]].loglik}; AIC/BIC need finite ones.")
    if names is None:
        names = [_model_label(r) for r in results]
    names = [str(s) for s in names]
    if len(names) != len(results):
        raise ValueError(f"{owner}: {len(names)} names for {len(results)} results.")
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: model names must be distinct, got {names}; pass names=[...].")
    df = pd.DataFrame(
        {
            "loglik": [r.loglik for r in results],
            "n_params": [r.n_params for r in results],
            "aic": [r.aic for r in results],
            "bic": [r.bic for r in results],
        },
        index=pd.Index(names, name="model"),
    )
    df["delta_aic"] = df["aic"] - df["aic"].min()
    df["delta_bic"] = df["bic"] - df["bic"].min()
    w = np.exp(-0.5 * df["delta_aic"].to_numpy())
    df["aic_weight"] = w / w.sum()
    return df.sort_values("aic", kind="stable")


# ------------------------------------------------------------- delta method
@dataclass(frozen=True)
class DeltaMethodResult:
    r"""A transformed estimate :math:`g(\hat\theta)` with its delta-method standard error."""

    estimate: float
    se: float
    gradient: np.ndarray
    level: float
    lower: float
    upper: float

    def conf_int(self) -> tuple[float, float]:
        """The Wald interval :math:`g(\\hat\\theta) \\pm z\\,\\mathrm{se}` at ``level``."""
        return (self.lower, self.upper)


def _flatten(params: dict) -> np.ndarray:
    return np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in params.values()])


def _unflatten(template: dict, vec: np.ndarray) -> dict:
    out, i = {}, 0
    for name, v in template.items():
        if np.ndim(v) == 0:
            out[name] = float(vec[i])
            i += 1
        else:
            size = np.size(v)
            out[name] = vec[i : i + size].copy()
            i += size
    return out


def delta_method(result: MLEResult, g, grad=None, *, level: float = 0.95) -> DeltaMethodResult:
    r"""Estimate and standard error of a scalar function :math:`g(\theta)` of the parameters.

    Parameters
    ----------
    result : MLEResult
    g : callable
        ``g(params) -> float`` where ``params`` is a dict shaped like
        ``result.params``, e.g. ``lambda p: p["p"] / (1 - p["p"])`` (the odds).
    grad : callable or array_like, optional
        The gradient of ``g`` at the estimate over ``result.cov_names``
        (a callable receives the params dict). Default: central finite
        differences (one-sided at the edge of a parameter's domain).
    level : float
        Level of the Wald interval returned alongside.

    Returns
    -------
    DeltaMethodResult
        ``estimate`` :math:`= g(\hat\theta)`, which by the invariance of the MLE
        *is* the MLE of :math:`g(\theta)`; ``se``; ``gradient``; ``lower``/``upper``.

    Notes
    -----
    .. math::
        \widehat{\mathrm{Var}}\,g(\hat\theta) \approx \nabla g(\hat\theta)^\top
        \,\widehat{\mathrm{Cov}}(\hat\theta)\,\nabla g(\hat\theta),

    with :math:`\widehat{\mathrm{Cov}}` = ``result.cov``. statsmodels:
    ``results.t_test`` for linear :math:`g`, ``statsmodels.stats._delta_method.NonlinearDeltaCov``;
    R: ``car::deltaMethod``, ``msm::deltamethod``.
    """
    owner = "delta_method"
    if not isinstance(result, MLEResult):
        raise ValueError(f"{owner}: result must be an MLEResult from mlekit.fit, got {result!r}.")
    if not callable(g):
        raise ValueError(f"{owner}: g must be a function of the params dict, got {g!r}.")
    level = _check_level(level, owner)
    theta = _flatten(result.params)
    k = len(result.cov_names)
    cov = np.asarray(result.cov, dtype=float)
    if theta.size != k or cov.shape != (k, k):
        raise ValueError(f"{owner}: result.params ({theta.size} values) do not match result.cov_names ({k}).")
    if not result.converged:
        raise ValueError(f"{owner}: the fit did not converge ({result.message}); there is no covariance to propagate.")

    def call(vec):
        try:
            val = g(_unflatten(result.params, vec))
        except Exception as exc:
            raise ValueError(f"{owner}: g raised {type(exc).__name__}: {exc}") from exc
        arr = np.asarray(val, dtype=float)
        if arr.ndim != 0 and arr.size != 1:
            raise ValueError(f"{owner}: g must return one number, got an array of shape {arr.shape}.")
        return float(arr.reshape(()))

    est = call(theta)
    if not np.isfinite(est):
        raise ValueError(f"{owner}: g at the estimate is not finite ({est!r}).")
    if grad is None:
        bounds = []
        for spec in result.family.params:
            bounds += [(spec.lower, spec.upper)] * (spec.size or 1)
        if len(bounds) != k:  # families whose reported axes differ from their Param specs
            bounds = [(-np.inf, np.inf)] * k
        grad_vec = np.empty(k)
        for i in range(k):
            h = np.cbrt(np.finfo(float).eps) * max(1.0, abs(theta[i]))
            lo, hi = bounds[i]
            up, down = theta.copy(), theta.copy()
            if theta[i] + h <= hi and theta[i] - h >= lo:
                up[i] += h
                down[i] -= h
                grad_vec[i] = (call(up) - call(down)) / (2 * h)
            elif theta[i] + 2 * h <= hi:  # forward difference (second order)
                up2 = theta.copy()
                up[i] += h
                up2[i] += 2 * h
                grad_vec[i] = (-3 * est + 4 * call(up) - call(up2)) / (2 * h)
            else:
                down2 = theta.copy()
                down[i] -= h
                down2[i] -= 2 * h
                grad_vec[i] = (3 * est - 4 * call(down) + call(down2)) / (2 * h)
    else:
        try:
            gv = grad(dict(result.params)) if callable(grad) else grad
            grad_vec = np.atleast_1d(np.asarray(gv, dtype=float)).ravel()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{owner}: grad must be numbers (or a function returning them), got {grad!r} ({exc}).") from None
        if grad_vec.shape != (k,):
            raise ValueError(
                f"{owner}: grad must have one entry per axis of result.cov ({', '.join(result.cov_names)}), "
                f"got shape {np.shape(gv)}."
            )
    if not np.all(np.isfinite(grad_vec)):
        raise ValueError(f"{owner}: the gradient of g at the estimate is not finite ({grad_vec}).")
    with np.errstate(all="ignore"):
        var = float(grad_vec @ cov @ grad_vec)
        se = float(np.sqrt(max(var, 0.0)))
        z = stats.norm.ppf(0.5 + level / 2)
        lo, hi = est - z * se, est + z * se
    if not (np.isfinite(se) and np.isfinite(lo) and np.isfinite(hi)):
        if np.isnan(cov).any():
            raise ValueError(
                f"{owner}: result.cov holds NaN (an estimate on the boundary of the parameter space has no Wald "
                "standard error); use a likelihood-ratio interval (profile_interval) instead."
            )
        raise ValueError(f"{owner}: the delta-method variance {var!r} of g is not finite in float64.")
    return DeltaMethodResult(estimate=est, se=se, gradient=grad_vec, level=level, lower=lo, upper=hi)


# ============================================================================
# Score (Rao) tests and intervals, exact binomial intervals, Wald tests and the
# misspecification-robust (sandwich) covariance. Added for the book's second
# edition (chapters 03, 06 and 12); kept as a separate block of new functions.
# ============================================================================
from ._validation import as_positive_int, as_scalar  # noqa: E402 (kept with the block that uses them)

__all__ += [
    "score_contributions",
    "sandwich_covariance",
    "wald_test",
    "WaldTestResult",
    "score_test",
    "ScoreTestResult",
    "score_interval",
    "ScoreInterval",
    "clopper_pearson_interval",
]


def score_contributions(family: Family, data, params) -> np.ndarray:
    r"""Per-observation scores :math:`s_i(\theta) = \nabla_\theta \log f(x_i;\theta)`, one row per observation.

    Parameters
    ----------
    family : Family
    data : array_like
    params : dict or MLEResult
        The point (interior of the parameter space).

    Returns
    -------
    ndarray, shape (N, d)
        Row ``i`` is the score of observation ``i`` over ``family.coord_names``;
        the rows add up to ``family.score(data, **params)``.

    Notes
    -----
    Computed from the family's analytic score, once per *distinct* value of the
    data (counts and categories repeat, so this is cheap for discrete data).
    statsmodels: ``model.score_obs(params)``; R: ``sandwich::estfun``.
    """
    owner = "score_contributions"
    family = _check_family(family, owner)
    x = family.check_data(data)
    p = family.check_params(_params_of(params, owner), interior=True, where="score")
    values, inverse = np.unique(x, return_inverse=True)
    rows = np.array([family.score(values[i : i + 1], **p) for i in range(values.size)], dtype=float)
    return rows[inverse.reshape(-1)]


def sandwich_covariance(family: Family, data, params) -> np.ndarray:
    r"""Misspecification-robust ("sandwich") covariance :math:`J^{-1} B J^{-1}` of the MLE.

    Parameters
    ----------
    family : Family
    data : array_like
    params : dict or MLEResult
        Usually the MLE (``result`` or ``result.params``).

    Returns
    -------
    ndarray, shape (d, d)
        Axes are ``family.coord_names``; standard errors are the square roots
        of the diagonal.

    Notes
    -----
    With :math:`J = -\sum_i \nabla^2 \log f(x_i;\hat\theta)` (the observed
    information) and :math:`B = \sum_i s_i(\hat\theta)\,s_i(\hat\theta)^\top`
    (the outer product of the per-observation scores),

    .. math:: \widehat{\mathrm{Cov}}(\hat\theta) = J^{-1} B\, J^{-1}.

    When the model is right, :math:`B \approx J` and this is the usual
    :math:`J^{-1}`; when it is wrong, the MLE still converges to the parameter
    closest to the truth in Kullback-Leibler divergence, and this (not
    :math:`J^{-1}`) is its asymptotic covariance (White, 1982). No small-sample
    correction: statsmodels ``cov_type="HC0"``, R ``sandwich::sandwich``.
    Raises ``ValueError`` if :math:`J` is not positive definite.
    """
    owner = "sandwich_covariance"
    family = _check_family(family, owner)
    p = _params_of(params, owner)
    scores = score_contributions(family, data, p)
    J = family.observed_information(data, **p)
    eig = np.linalg.eigvalsh(J)
    if not np.all(eig > 0):
        raise ValueError(
            f"{owner}: the observed information at {p} is not positive definite (eigenvalues {eig}); "
            "the point is not a strict local maximum."
        )
    with float_errors(owner, "the sandwich J^-1 B J^-1"):
        J_inv = np.linalg.inv(J)
        cov = J_inv @ (scores.T @ scores) @ J_inv
        ok = bool(np.isfinite(cov).all())
    if not ok:
        raise ValueError(f"{owner}: the sandwich covariance at {p} overflows float64 (scores of extreme magnitude).")
    return 0.5 * (cov + cov.T)


@dataclass(frozen=True)
class WaldTestResult:
    r"""Wald test of :math:`H_0: \theta = \theta_0`; unpacks as ``statistic, df, pvalue``."""

    statistic: float
    df: int
    pvalue: float

    def __iter__(self):
        return iter((self.statistic, self.df, self.pvalue))


def wald_test(result: MLEResult, null: dict) -> WaldTestResult:
    r"""Wald test of the values in ``null`` from a fit of the full model.

    Parameters
    ----------
    result : MLEResult
        The unrestricted fit.
    null : dict
        ``{name: value}`` for the scalar parameters the null hypothesis fixes,
        e.g. ``{"mu": 734.5}``; the other parameters are free.

    Returns
    -------
    WaldTestResult
        :math:`W = (\hat\theta - \theta_0)^\top [\widehat{\mathrm{Cov}}]^{-1} (\hat\theta - \theta_0)`
        over the fixed parameters, with ``df = len(null)`` and the
        :math:`\chi^2_{df}` upper tail.

    Notes
    -----
    Uses ``result.cov`` (the model's information). For one parameter,
    :math:`W = z^2` with :math:`z = (\hat\theta - \theta_0)/\mathrm{se}`.
    statsmodels: ``results.wald_test``; R: ``lmtest::waldtest``, ``car::linearHypothesis``.
    """
    owner = "wald_test"
    if not isinstance(result, MLEResult):
        raise ValueError(f"{owner}: result must be an MLEResult from mlekit.fit, got {result!r}.")
    if not isinstance(null, dict) or not null:
        raise ValueError(f"{owner}: null must be a non-empty dict such as {{'mu': 0.0}}, got {null!r}.")
    names = list(result.cov_names)
    idx, diff = [], []
    for name, value in null.items():
        if name not in names or np.ndim(result.params.get(name)) != 0:
            raise ValueError(
                f"{owner}: {name!r} is not a scalar parameter of the fit; its parameters are {', '.join(names)}."
            )
        v = float(as_scalar(value, owner, name))
        idx.append(names.index(name))
        diff.append(float(result.params[name]) - v)
    if result.boundary:
        raise ValueError(f"{owner}: the estimate is on the boundary ({', '.join(result.boundary)}); no Wald test there.")
    cov = np.asarray(result.cov, dtype=float)[np.ix_(idx, idx)]
    diff = np.asarray(diff)
    stat = float(diff @ np.linalg.solve(cov, diff))
    df = len(idx)
    return WaldTestResult(statistic=stat, df=df, pvalue=float(stats.chi2.sf(stat, df)))


@dataclass(frozen=True)
class ScoreTestResult:
    r"""Score (Rao, Lagrange-multiplier) test; unpacks as ``statistic, df, pvalue``.

    ``score`` and ``information`` are the vector :math:`U` and matrix
    :math:`I` at the null estimate (axes ``family.coord_names``).
    """

    statistic: float
    df: int
    pvalue: float
    score: np.ndarray
    information: np.ndarray

    def __iter__(self):
        return iter((self.statistic, self.df, self.pvalue))


def _null_params(family: Family, null, owner: str):
    """Full parameter dict under the null, and the default degrees of freedom."""
    if isinstance(null, MLEResult):
        if type(null.family) is not type(family):
            raise ValueError(
                f"{owner}: the null fit is of {null.family!r}, not of a restricted {family.name} "
                f"(fit e.g. {family.name}(mu=...) to the same data)."
            )
        full = {**null.family._fixed(), **null.params}
        df = family.n_free - null.n_params
    elif isinstance(null, dict):
        full, df = dict(null), family.n_free
    else:
        raise ValueError(f"{owner}: null must be a dict of parameter values or an MLEResult, got {null!r}.")
    if set(full) != set(family.param_names):
        raise ValueError(
            f"{owner}: the null must give every parameter of {family.name} "
            f"({', '.join(family.param_names)}), got {', '.join(sorted(full)) or 'none'}."
        )
    return full, df


def score_test(family: Family, data, null, *, df: int | None = None, information: str = "expected") -> ScoreTestResult:
    r"""Score test (Rao, 1948): is the slope of the log-likelihood at the null value more than chance?

    Parameters
    ----------
    family : Family
        The full (unrestricted) model, e.g. ``Normal()``.
    data : array_like
    null : dict or MLEResult
        The parameters under the null hypothesis: either a dict with every
        parameter (a simple null, ``df`` defaults to the number of free
        parameters), or the fit of a restricted version of ``family`` to the
        same data, e.g. ``fit(Normal(mu=734.5), x)`` (the nuisance parameters
        at their restricted MLE; ``df`` defaults to the number of fixed ones).
    df : int, optional
        Degrees of freedom (number of restrictions).
    information : {"expected", "observed"}
        :math:`N I(\tilde\theta)` (Rao's original) or :math:`J(\tilde\theta)`.

    Returns
    -------
    ScoreTestResult
        :math:`U^\top I^{-1} U \to \chi^2_{df}` under the null, with
        :math:`U = s(\tilde\theta)`; unpacks as ``statistic, df, pvalue``.

    Notes
    -----
    Only the null model is fitted. Bernoulli, :math:`H_0: p = p_0`:
    :math:`(S - Np_0)^2 / (Np_0(1-p_0))`, the Pearson chi-square of R's
    ``prop.test(S, N, p0, correct = FALSE)``; Poisson: :math:`(S - N\lambda_0)^2/(N\lambda_0)`.
    statsmodels: ``results.score_test`` (GLM), ``proportions_ztest(..., prop_var=p0)``.
    Not defined when the null value is on the boundary of the parameter space.
    """
    owner = "score_test"
    family = _check_family(family, owner)
    if information not in ("expected", "observed"):
        raise ValueError(f"{owner}: information must be 'expected' or 'observed', got {information!r}.")
    x = family.check_data(data)
    full, df_default = _null_params(family, null, owner)
    d = df_default if df is None else df
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (numbers.Integral, np.integer)) or not 1 <= d <= family.n_free:
        raise ValueError(f"{owner}: df must be an integer from 1 to {family.n_free}, got {d!r}.")
    p = family.check_params(full, interior=True, where="score")
    U = family.score(x, **p)
    info = x.size * family.fisher_information(**p) if information == "expected" else family.observed_information(x, **p)
    eig = np.linalg.eigvalsh(info)
    if not np.all(eig > 0):
        raise ValueError(f"{owner}: the {information} information at the null is not positive definite (eigenvalues {eig}).")
    stat = float(max(U @ np.linalg.solve(info, U), 0.0))
    return ScoreTestResult(statistic=stat, df=int(d), pvalue=float(stats.chi2.sf(stat, d)), score=U, information=info)


@dataclass(frozen=True)
class ScoreInterval:
    """A score (Rao) confidence interval; unpacks as ``lower, upper``.

    ``cutoff`` is the :math:`\\chi^2_1` quantile the statistic is compared with;
    ``boundary`` lists the ends (``"lower"``/``"upper"``) that are the edge of
    the parameter's domain.
    """

    param: str
    estimate: float
    lower: float
    upper: float
    level: float
    cutoff: float
    boundary: tuple = ()

    def __iter__(self):
        return iter((self.lower, self.upper))


def score_interval(family: Family, data, param: str | None = None, *, level: float = 0.95) -> ScoreInterval:
    r"""Score (Rao) interval of a one-parameter family: the values a score test does not reject.

    Parameters
    ----------
    family : Family
        A family with one free scalar parameter (Bernoulli, Binomial, Poisson,
        Exponential, ``Normal(sigma2=...)``, ...).
    data : array_like
    param : str, optional
        Its name (checked if given).
    level : float
        Confidence level, default 0.95.

    Returns
    -------
    ScoreInterval
        :math:`\{\theta : s(\theta)^2 / (N I(\theta)) \le \chi^2_{1,\text{level}}\}`.

    Notes
    -----
    For the Bernoulli and the Binomial this is the **Wilson** (1927) interval,
    statsmodels ``proportion_confint(S, N, method="wilson")``; for the Poisson,
    statsmodels ``confint_poisson(S, N, method="score")``. It needs only the
    null model at each candidate value, uses the information at that value
    (not at the estimate), and stays informative when the estimate is on the
    boundary (:math:`S = 0` gives :math:`[0, z^2/(N + z^2)]` for the Bernoulli,
    where the Wald interval is :math:`[0, 0]`).
    """
    owner = "score_interval"
    family = _check_family(family, owner)
    level = _check_level(level, owner)
    if len(family.params) != 1 or family.params[0].size is not None:
        raise ValueError(
            f"{owner}: needs a family with one scalar parameter; {family.name} has {', '.join(family.param_names)} "
            "(for a parameter with nuisance parameters use score_test or profile_interval)."
        )
    spec = family.params[0]
    if param is not None and param != spec.name:
        raise ValueError(f"{owner}: {family.name}'s parameter is {spec.name!r}, not {param!r}.")
    x = family.check_data(data)
    est = float(fit(family, x).params[spec.name])
    cutoff = float(stats.chi2.ppf(level, 1))
    n = x.size

    def statistic(v: float) -> float:
        try:
            with np.errstate(all="ignore"):
                u = float(family.score(x, **{spec.name: v})[0])
                i = float(family.fisher_information(**{spec.name: v})[0, 0])
        except (ValueError, ArithmeticError):
            return np.nan
        return u * u / (n * i) if np.isfinite(u) and np.isfinite(i) and i > 0 else np.nan

    scale = max(abs(est), 1.0)
    ends, at_edge = [], []
    for direction, edge in ((-1, spec.lower), (+1, spec.upper)):
        if est == edge:
            ends.append(float(edge))
            at_edge.append("lower" if direction < 0 else "upper")
            continue
        # candidates moving away from the estimate, from very close to the edge (or very far)
        if np.isfinite(edge):
            offsets = abs(edge - est) * (1.0 - 0.5 ** np.arange(1.0, 60.0))
            offsets = np.concatenate([abs(edge - est) * 0.5 ** np.arange(60.0, 0.0, -1.0), offsets])
        else:
            offsets = scale * 2.0 ** np.arange(-50.0, 1024.0 - 2.0 - np.log2(scale))
        inside, root = est, None
        for off in offsets:
            cand = est + direction * off
            if cand == est:  # an offset below the spacing of floats at the estimate
                continue
            if not spec.contains(cand, interior=True):
                break
            val = statistic(cand)
            if np.isfinite(val) and val <= cutoff:
                inside = cand
                continue
            if not np.isfinite(val):
                break
            lo_b, hi_b = sorted((inside, cand))
            xtol = max(1e-14 * max(abs(lo_b), abs(hi_b)), 1e-300)
            root = optimize.brentq(lambda v: statistic(v) - cutoff, lo_b, hi_b, xtol=xtol, rtol=4 * np.finfo(float).eps)
            break
        if root is None:
            if not np.isfinite(edge):
                raise ValueError(
                    f"{owner}: the score statistic of {spec.name} stays below {cutoff:.3g} however far one goes "
                    f"{'up' if direction > 0 else 'down'}; the interval is unbounded."
                )
            ends.append(float(edge))
            at_edge.append("lower" if direction < 0 else "upper")
        else:
            ends.append(float(root))
    return ScoreInterval(
        param=spec.name, estimate=est, lower=ends[0], upper=ends[1], level=level, cutoff=cutoff, boundary=tuple(at_edge)
    )


def clopper_pearson_interval(successes, trials, *, level: float = 0.95) -> tuple[float, float]:
    r"""Exact (Clopper-Pearson, 1934) interval for a binomial probability from ``successes`` out of ``trials``.

    Parameters
    ----------
    successes : int
        :math:`S`, from 0 to ``trials``.
    trials : int
        :math:`N \ge 1`.
    level : float
        Confidence level (two-sided), default 0.95.

    Returns
    -------
    (lower, upper)
        With :math:`\alpha = 1 - \text{level}`: the :math:`\alpha/2` quantile of
        :math:`\mathrm{Beta}(S, N - S + 1)` (0 when :math:`S = 0`) and the
        :math:`1 - \alpha/2` quantile of :math:`\mathrm{Beta}(S + 1, N - S)`
        (1 when :math:`S = N`).

    Notes
    -----
    Inverts the two one-sided binomial tests, so the coverage is at least
    ``level`` for every :math:`p` (conservative). :math:`S = 0` gives
    :math:`[0,\ 1 - (\alpha/2)^{1/N}]`. statsmodels:
    ``proportion_confint(S, N, alpha, method="beta")``; R: ``binom.test(S, N)$conf.int``.
    """
    owner = "clopper_pearson_interval"
    level = _check_level(level, owner)
    n = as_positive_int(trials, owner, "trials")
    if isinstance(successes, (bool, np.bool_)) or not isinstance(successes, (numbers.Integral, np.integer)) or not 0 <= successes <= n:
        raise ValueError(f"{owner}: successes must be an integer from 0 to trials = {n}, got {successes!r}.")
    s = int(successes)
    a = 1.0 - level
    lower = 0.0 if s == 0 else float(stats.beta.ppf(a / 2, s, n - s + 1))
    upper = 1.0 if s == n else float(stats.beta.ppf(1 - a / 2, s + 1, n - s))
    return (lower, upper)
