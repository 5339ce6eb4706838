r"""Gaussian mixtures by the EM algorithm, in log space, with a guard against collapse.

What to use when
----------------
- :func:`gaussian_mixture` fits a mixture of ``k`` normal distributions to 1-D
  data, or of ``k`` multivariate normals with full covariance matrices to
  ``d``-dimensional data, by maximum likelihood (EM from several starts).
- The result's ``trace.loglik`` is the log-likelihood after every EM step (it
  never decreases: plot it); ``responsibilities(x)`` / ``predict(x)`` give the
  posterior membership probabilities / the most probable component.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import RESCALE, as_rng, data_digest
from ..results import InformationCriteria
from ._common import check_count, check_positive, design_matrix, html_tables, single_threaded_blas

__all__ = ["MixtureResult", "MixtureStart", "MixtureTrace", "gaussian_mixture"]

_OWNER = "gaussian_mixture"
_LOG2PI = np.log(2 * np.pi)


@dataclass(frozen=True)
class MixtureStart:
    """How one EM start went.

    Attributes
    ----------
    loglik : float
        Final log-likelihood of this start.
    iterations : int
        EM steps taken.
    converged : bool
        The increase per observation fell below ``tol`` before ``max_iter``.
    collapsed : bool
        A component degenerated, or two components coincide (see
        :func:`gaussian_mixture`, Notes); such a start is never preferred to a
        healthy one.
    reason : str
        Why the start counts as collapsed ("" otherwise).
    """

    loglik: float
    iterations: int
    converged: bool
    collapsed: bool
    reason: str = ""


@dataclass(frozen=True)
class MixtureTrace:
    """What EM did (never printed, meant for plots).

    Attributes
    ----------
    loglik : ndarray
        Log-likelihood of the chosen start at its initial value and after each
        EM step. Non-decreasing (up to floating-point rounding).
    starts : tuple of MixtureStart
        Every start tried, in order, including replacements of collapsed ones.
    best : int
        Index in ``starts`` of the start returned.
    """

    loglik: np.ndarray
    starts: tuple
    best: int


@dataclass(frozen=True)
class MixtureResult(InformationCriteria):
    """A fitted Gaussian mixture. Same public names as :class:`mlekit.MLEResult` where they apply.

    Attributes
    ----------
    params : dict
        ``"weights"`` (shape ``(k,)``), ``"means"`` (``(k,)`` for 1-D data,
        ``(k, d)`` otherwise) and ``"covariances"`` (variances, ``(k,)``, for 1-D
        data; ``(k, d, d)`` otherwise). Components are ordered by the first
        coordinate of their means. scikit-learn: ``weights_``, ``means_``, ``covariances_``.
    loglik : float
        Log-likelihood at ``params``. scikit-learn: ``score(x) * n``; R mclust: ``loglik``.
    n, k, dim : int
        Observations, components, dimension.
    converged : bool
        The chosen start converged and did not collapse.
    message : str
        How the fit went, including how many starts collapsed.
    method : str
        ``"EM"``.
    iterations : int
        EM steps of the chosen start.
    trace : MixtureTrace
        Log-likelihood after each EM step of the chosen start, and every start's outcome.
    min_variance : float
        The variance floor used (see :func:`gaussian_mixture`).
    data_id : str or None
        A fingerprint of the data (as :class:`mlekit.MLEResult`'s, over the
        flattened ``x``): :func:`mlekit.compare_models` refuses to compare fits
        to different data; a one-dimensional mixture and a ``fit`` of a family
        to the same ``x`` are comparable.

    Standard errors are not provided: the information matrix of a mixture is
    not needed for the course and is poorly behaved near label switches.
    """

    params: dict
    loglik: float
    n: int
    k: int
    dim: int
    converged: bool
    message: str
    method: str
    iterations: int
    trace: MixtureTrace = field(repr=False)
    min_variance: float = 1e-6
    _center: np.ndarray = field(default=None, repr=False)
    _scale: np.ndarray = field(default=None, repr=False)
    _zparams: tuple = field(default=None, repr=False)
    data_id: str | None = field(default=None, repr=False, compare=False)

    @property
    def n_params(self) -> int:
        r"""Free parameters :math:`(k-1) + kd + k\,d(d+1)/2`."""
        d, k = self.dim, self.k
        return (k - 1) + k * d + k * d * (d + 1) // 2


    # ---------------------------------------------------------- prediction
    def _log_joint(self, x, owner):
        z = _standardize_new(x, self._center, self._scale, self.dim, owner)
        w, mu, S = self._zparams
        return _log_joint(z, w, mu, S), float(np.log(self._scale).sum())

    def responsibilities(self, x) -> np.ndarray:
        r"""Posterior membership probabilities :math:`P(\text{component } j \mid x_i)`, shape ``(n, k)``.

        scikit-learn: ``predict_proba(x)``.
        """
        lj, _ = self._log_joint(x, "MixtureResult.responsibilities")
        return np.exp(lj - _logsumexp(lj)).T

    def predict(self, x) -> np.ndarray:
        """Most probable component of each observation (0-based). scikit-learn: ``predict(x)``."""
        lj, _ = self._log_joint(x, "MixtureResult.predict")
        return np.argmax(lj, axis=0)

    def logpdf(self, x) -> np.ndarray:
        """Log-density of the fitted mixture at each observation. scikit-learn: ``score_samples(x)``."""
        lj, shift = self._log_joint(x, "MixtureResult.logpdf")
        return _logsumexp(lj) - shift

    # ------------------------------------------------------------- display
    def _header(self):
        n_coll = sum(s.collapsed for s in self.trace.starts)
        return [
            ("model", f"Gaussian mixture, k={self.k}, dimension {self.dim}"),
            ("method", self.method),
            ("n", str(self.n)),
            ("log-likelihood", f"{self.loglik:.6g}"),
            ("AIC", f"{self.aic:.6g}"),
            ("BIC", f"{self.bic:.6g}"),
            ("converged", str(self.converged)),
            ("iterations", str(self.iterations)),
            ("starts", f"{len(self.trace.starts)} ({n_coll} collapsed)"),
        ]

    def _rows(self):
        w, mu, cov = self.params["weights"], self.params["means"], self.params["covariances"]
        rows = []
        for j in range(self.k):
            if self.dim == 1:
                rows.append((str(j), f"{w[j]:.4g}", f"{mu[j]:.6g}", f"{cov[j]:.6g}"))
            else:
                m = ", ".join(f"{v:.5g}" for v in mu[j])
                c = "; ".join(", ".join(f"{v:.5g}" for v in row) for row in cov[j])
                rows.append((str(j), f"{w[j]:.4g}", f"[{m}]", f"[{c}]"))
        return rows

    def summary(self) -> str:
        """A plain-text table of the fit: weight, mean and (co)variance per component."""
        lines = ["Gaussian mixture (EM)"]
        lines += [f"  {k:<15} {v}" for k, v in self._header()[1:]]
        lines.append(f"  {'message':<15} {self.message}")
        lines.append("")
        cols = ("component", "weight", "mean", "variance" if self.dim == 1 else "covariance")
        lines.append("  " + "  ".join(f"{c:<12}" for c in cols))
        for row in self._rows():
            lines.append("  " + "  ".join(f"{c:<12}" for c in row))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        cols = ["component", "weight", "mean", "variance" if self.dim == 1 else "covariance"]
        return html_tables("Gaussian mixture (EM)", self._header() + [("message", self.message)], cols, self._rows())


# --------------------------------------------------------------------------- the fit
def gaussian_mixture(
    x,
    k: int,
    *,
    n_init: int = 5,
    rng: np.random.Generator | int | None = None,
    max_iter: int = 1000,
    tol: float = 1e-10,
    init=None,
    min_variance: float = 1e-6,
) -> MixtureResult:
    r"""Fit a mixture of ``k`` Gaussians by the EM algorithm.

    Parameters
    ----------
    x : array_like or pandas.DataFrame, shape (n,) or (n, d)
        Observations; one-dimensional input fits univariate normals.
    k : int
        Number of components.
    n_init : int, default 5
        Number of random starts (ignored when ``init`` is given). A start
        that collapses is replaced by a fresh one, up to ``n_init`` extra starts.
    rng : numpy.random.Generator, int or None
        Seed or generator for the random starts.
    max_iter : int, default 1000
        Maximum EM steps per start.
    tol : float, default 1e-10
        Stop when the log-likelihood per observation increases by less than ``tol``.
    init : dict or list of dict, optional
        Starting values ``{"means": ..., "weights": ..., "covariances": ...}`` in
        the shapes of ``MixtureResult.params``; ``weights`` default to ``1/k`` and
        ``covariances`` to the sample covariance of ``x``. A list gives one
        start per entry. scikit-learn: ``weights_init``, ``means_init``, ``precisions_init``.
    min_variance : float, default 1e-6
        Floor on the eigenvalues of every component covariance, as a fraction
        of the data's variance in each coordinate (for 1-D data: every
        component variance is at least ``min_variance * var(x)``).

    Returns
    -------
    MixtureResult
        Weights, means, covariances, log-likelihood, AIC/BIC, the EM trace,
        ``responsibilities``, ``predict`` and ``logpdf``.

    Raises
    ------
    ValueError
        For NaN/infinite or non-numeric data, ``k`` < 1 or more components
        than distinct observations, malformed ``init`` (wrong shapes, weights
        not positive or not summing to 1, covariances not symmetric positive
        definite), or options out of range.

    Notes
    -----
    The log-likelihood is :math:`\ell = \sum_i \log \sum_j \pi_j\,N(x_i;\mu_j,\Sigma_j)`.
    EM alternates

    - E-step: :math:`r_{ij} = \exp\{\log\pi_j + \log N(x_i;\mu_j,\Sigma_j) - \ell_i\}` with
      :math:`\ell_i = \operatorname{logsumexp}_j(\cdot)` (the max-shift formula of
      ``scipy.special.logsumexp``, written out because SciPy's generic version
      costs more than the rest of an EM step on small data); densities are
      evaluated through a Cholesky factor, never an inverse, so nothing
      under- or overflows;
    - M-step: :math:`N_j = \sum_i r_{ij}`, :math:`\pi_j = N_j/n`,
      :math:`\mu_j = \sum_i r_{ij}x_i/N_j`,
      :math:`S_j = \sum_i r_{ij}(x_i-\mu_j)(x_i-\mu_j)^\top/N_j`.

    **Collapse.** The likelihood is unbounded: a component centred on one
    observation with :math:`\Sigma_j \to 0` sends it to :math:`+\infty`. Two guards:

    1. *Variance floor.* The data are standardized internally and every
       covariance is constrained to have eigenvalues :math:`\ge c` =
       ``min_variance``; the constrained M-step replaces the eigenvalues of
       :math:`S_j` below :math:`c` by :math:`c`, which is the exact maximizer
       of the M-step objective over that set (Ingrassia 2004), so EM stays
       monotone and the likelihood bounded.
    2. *Restart.* A start whose component reaches the floor or carries fewer
       than :math:`d + 1` observations' worth of weight (:math:`N_j < d + 1`)
       is marked collapsed and replaced by a fresh random start. A collapsed
       start is returned only if every start collapsed, with ``converged=False``.

    Random starts put the means at ``k`` observations drawn at random
    (distinct values), with equal weights and the sample covariance; unlike
    k-means++ seeding, this does not favour isolated outliers, on which a
    component would collapse. Components are sorted
    by the first coordinate of their means. EM is affine equivariant, so apart
    from the floor the fit is the same as on the raw data.

    Equivalents: scikit-learn ``GaussianMixture(k, covariance_type="full")``
    (which adds ``reg_covar`` to the diagonal instead of a floor and stops at
    ``tol=1e-3``); R ``mclust::Mclust(x, G = k, modelNames = "VVV")``.
    """
    X, _ = design_matrix(x, _OWNER, name="x")
    univariate = np.ndim(x) == 1 or (hasattr(x, "ndim") and x.ndim == 1)
    n, d = X.shape
    k = check_count(k, _OWNER, "k")
    n_init = check_count(n_init, _OWNER, "n_init")
    max_iter = check_count(max_iter, _OWNER, "max_iter")
    tol = check_positive(tol, _OWNER, "tol")
    floor = check_positive(min_variance, _OWNER, "min_variance")
    if floor >= 1:
        raise ValueError(f"{_OWNER}: min_variance is a fraction of the data's variance and must be < 1, got {min_variance!r}.")
    constant = ~(X.max(axis=0) > X.min(axis=0))
    if constant.any():
        j = int(np.flatnonzero(constant)[0])
        raise ValueError(f"{_OWNER}: x is constant in coordinate {j}; a mixture needs spread in every coordinate.")
    rng = as_rng(rng, _OWNER)
    # Standardize without squaring raw values: divide by a power of two near each
    # coordinate's magnitude first (exact), so data at 1e-300 or 1e300 neither under- nor
    # overflow on the way to their mean and standard deviation.
    with np.errstate(all="ignore"):
        p2 = np.exp2(np.round(np.log2(np.abs(X).max(axis=0))))
        Xs = X / p2
        c_s = Xs.mean(axis=0)
        s_s = Xs.std(axis=0)
        center, scale = c_s * p2, s_s * p2
        Z = (Xs - c_s) / s_s
    if not (np.isfinite(center).all() and np.isfinite(scale).all() and np.all(scale > 0) and np.isfinite(Z).all()):
        raise ValueError(f"{_OWNER}: the spread of x is beyond the range float64 can represent; {RESCALE}.")
    n_distinct = len(np.unique(X, axis=0))
    if k > n_distinct:
        raise ValueError(f"{_OWNER}: k={k} components but only {n_distinct} distinct observations.")

    if init is not None:
        inits = [init] if isinstance(init, dict) else list(init) if isinstance(init, (list, tuple)) else []
        if not inits or not all(isinstance(i, dict) for i in inits):
            raise ValueError(f"{_OWNER}: init must be a dict or a non-empty list of dicts with 'means' (and optionally 'weights', 'covariances').")
        starts = [_user_start(i, k, d, univariate, center, scale, Z, floor, s) for s, i in enumerate(inits)]
        extra = 0
    else:
        starts = None
        extra = n_init

    records, best, best_key = [], None, None
    planned = len(starts) if starts is not None else n_init
    s = 0
    while s < planned:
        start = starts[s] if starts is not None else _random_start(Z, k, rng, floor)
        with single_threaded_blas():  # many small products per EM step (see single_threaded_blas)
            run = _em(Z, *start, floor=floor, max_iter=max_iter, tol=tol)
        for _split in range(k - 1):
            if run["pair"] is None:
                break
            # two components fell together: EM alone never separates them again (a saddle).
            # Split the pair along its main axis and go on from there.
            with single_threaded_blas():
                again = _em(Z, *_split_pair(run["params"], run["pair"], floor), floor=floor, max_iter=max_iter, tol=tol)
            again["iterations"] += run["iterations"]  # the trace is the run from the split (EM never goes down on it)
            if (not again["collapsed"], again["loglik"]) >= (not run["collapsed"], run["loglik"]):
                again["split"] = True
                run = again
            else:
                break
        rec = MixtureStart(
            loglik=run["loglik"] - n * float(np.log(scale).sum()),
            iterations=run["iterations"],
            converged=run["converged"],
            collapsed=bool(run["collapsed"]),
            reason=run["collapsed"],
        )
        records.append(rec)
        key = (not rec.collapsed, rec.loglik)
        if best_key is None or key > best_key:
            best, best_key = (len(records) - 1, run), key
        if rec.collapsed and extra > 0:
            extra -= 1
            planned += 1
        s += 1

    idx, run = best
    w, mu, S = run["params"]
    order = np.argsort(mu[:, 0], kind="stable")
    w, mu, S = w[order], mu[order], S[order]
    with np.errstate(all="ignore"):
        means = center + mu * scale
        covs = S * np.outer(scale, scale)
        shift = n * float(np.log(scale).sum())
        var_ok = np.isfinite(covs).all() and np.all(np.diagonal(covs, axis1=1, axis2=2) >= np.finfo(float).tiny)
    if not (np.isfinite(means).all() and var_ok and np.isfinite(run["loglik"] - shift)):
        raise ValueError(
            f"{_OWNER}: the fitted means or covariances leave the range of float64 (x of extreme magnitude); {RESCALE}."
        )
    rec = records[idx]
    n_coll = sum(r.collapsed for r in records)
    if rec.collapsed:
        where = "the start given" if init is not None and len(records) == 1 else f"every one of the {len(records)} starts"
        message = (
            f"{where} collapsed or degenerated (best: {rec.reason}); the fit is not a proper maximum. "
            "Try fewer components, other starts, or check for repeated values and outliers."
        )
        converged = False
    elif not rec.converged:
        message = f"no convergence within max_iter={max_iter} EM steps (best of {len(records)} starts)"
        converged = False
    else:
        message = (
            f"converged in {rec.iterations} EM steps; best of {len(records)} start(s)"
            + (f", {n_coll} collapsed start(s) discarded" if n_coll else "")
            + (
                "; components that fell together (a saddle of the likelihood, where EM stops) were split apart and EM went on"
                if run.get("split") else ""
            )
        )
        converged = True
    params = {
        "weights": w,
        "means": means[:, 0] if univariate else means,
        "covariances": covs[:, 0, 0] if univariate else covs,
    }
    return MixtureResult(
        params=params,
        loglik=run["loglik"] - shift,
        n=n,
        k=k,
        dim=d,
        converged=converged,
        message=message,
        method="EM",
        iterations=rec.iterations,
        trace=MixtureTrace(loglik=run["trace"] - shift, starts=tuple(records), best=idx),
        min_variance=floor,
        _center=center,
        _scale=scale,
        _zparams=(w, mu, S),
        data_id=data_digest(X.ravel()),
    )


# --------------------------------------------------------------------------- pieces
def _logsumexp(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a), axis=0))`` by the max-shift of ``scipy.special.logsumexp``."""
    m = a.max(axis=0)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.exp(a - m).sum(axis=0))


def _chol_parts(S: np.ndarray):
    """Inverse Cholesky factors and log-determinants of a stack of covariances."""
    L = np.linalg.cholesky(S)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    Linv = np.linalg.inv(L)
    return Linv, logdet


def _log_joint(Z, w, mu, S, diff=None):
    r"""``log pi_j + log N(z_i; mu_j, S_j)`` as a (k, n) array."""
    k, d = mu.shape
    if diff is None:
        diff = Z[None, :, :] - mu[:, None, :]
    if d == 1:
        maha = diff[:, :, 0] ** 2 / S[:, 0, 0][:, None]
        logdet = np.log(S[:, 0, 0])
    else:
        Linv, logdet = _chol_parts(S)
        sol = diff @ Linv.transpose(0, 2, 1)
        maha = np.einsum("knd,knd->kn", sol, sol)
    return np.log(w)[:, None] - 0.5 * (d * _LOG2PI + logdet[:, None] + maha)


def _floor_cov(S: np.ndarray, floor: float):
    """Project covariances onto {eigenvalues >= floor}: the constrained M-step maximizer."""
    d = S.shape[-1]
    if d == 1:
        low = S[:, 0, 0] < floor
        if low.any():
            S = S.copy()
            S[low, 0, 0] = floor
        return S, low
    vals, vecs = np.linalg.eigh(S)
    low = vals[:, 0] < floor
    if low.any():
        vals = np.maximum(vals, floor)
        S = S.copy()
        S[low] = (vecs[low] * vals[low][:, None, :]) @ vecs[low].transpose(0, 2, 1)
        S = 0.5 * (S + S.transpose(0, 2, 1))
    return S, low


def _em(Z, w, mu, S, *, floor, max_iter, tol):
    n, d = Z.shape
    k = mu.shape[0]
    diff = Z[None, :, :] - mu[:, None, :]
    lj = _log_joint(Z, w, mu, S, diff)
    ll_i = _logsumexp(lj)
    ll = float(ll_i.sum())
    trace = [ll]
    converged = False
    collapsed = ""
    pair = None
    at_floor = np.zeros(k, dtype=bool)
    it = 0
    while it < max_iter:
        resp = np.exp(lj - ll_i)  # (k, n)
        Nk = resp.sum(axis=1)
        if np.any(Nk <= 1e-12 * n):
            j = int(np.argmin(Nk))
            collapsed = f"a component lost all its weight (N_j = {Nk[j]:.3g})"
            break
        w_new = Nk / n
        mu_new = (resp @ Z) / Nk[:, None]
        diff_new = Z[None, :, :] - mu_new[:, None, :]
        S_new = ((diff_new * resp[:, :, None]).transpose(0, 2, 1) @ diff_new) / Nk[:, None, None]
        S_new, at_floor = _floor_cov(S_new, floor)
        lj_new = _log_joint(Z, w_new, mu_new, S_new, diff_new)
        ll_i_new = _logsumexp(lj_new)
        ll_new = float(ll_i_new.sum())
        it += 1
        w, mu, S, diff, lj, ll_i = w_new, mu_new, S_new, diff_new, lj_new, ll_i_new
        trace.append(ll_new)
        gain = ll_new - ll
        ll = ll_new
        if gain < tol * n:
            converged = True
            break
    if not collapsed:
        resp = np.exp(lj - ll_i)
        Nk = resp.sum(axis=1)
        if at_floor.any() or np.any(Nk < d + 1):
            j = int(np.flatnonzero(at_floor)[0]) if at_floor.any() else int(np.argmin(Nk))
            own = np.flatnonzero(resp[j] > 0.5)
            what = (
                "a component reached the variance floor (it sits on nearly a single point or a line)"
                if at_floor.any()
                else f"a component carries the weight of only {Nk[j]:.3g} observation(s), fewer than d + 1 = {d + 1}"
            )
            if 0 < own.size <= d + 1:
                what += f"; it sits on observation(s) {', '.join(map(str, own[:3].tolist()))} (isolated values, outliers?)"
            collapsed = what
        else:
            same = pair = _coinciding(mu, S)
            if same is not None:
                collapsed = (
                    f"components {same[0]} and {same[1]} coincide (equal means and covariances): EM cannot separate "
                    "components that start or fall together, and stops at that symmetric point, a saddle of the "
                    "likelihood; start from distinct means"
                )
    return {
        "params": (w, mu, S),
        "loglik": ll,
        "trace": np.array(trace),
        "iterations": it,
        "converged": converged,
        "collapsed": collapsed,
        "pair": pair,
    }


def _split_pair(params, pair, floor):
    """A start from a fit whose components ``pair`` coincide: the two moved apart by half a
    standard deviation each way along the main axis of their covariance, sharing their weight."""
    w, mu, S = (a.copy() for a in params)
    i, j = pair
    vals, vecs = np.linalg.eigh(S[i])
    step = 0.5 * np.sqrt(max(vals[-1], floor)) * vecs[:, -1]
    mu[i] -= step
    mu[j] += step
    w[i] = w[j] = 0.5 * (w[i] + w[j])
    return w, mu, S


def _coinciding(mu, S):
    """The first pair of components with (nearly) the same mean and covariance, or None.

    EM keeps identical components together for ever (their responsibilities are
    proportional to the weights, so the M-step moves them alike) and separates nearly
    identical ones only slowly, so slowly that its stopping rule fires first. Means
    within 1e-3 standard deviations and covariances within 1e-3 relative count as one.
    """
    k = mu.shape[0]
    for i in range(k):
        for j in range(i + 1, k):
            sd = np.sqrt(np.maximum(np.diag(S[i]), np.diag(S[j])))
            if np.all(np.abs(mu[i] - mu[j]) <= 1e-3 * sd) and np.max(np.abs(S[i] - S[j])) <= 1e-3 * np.max(np.abs(S[i])):
                return i, j
    return None


def _random_start(Z, k, rng, floor):
    """Means at k distinct observations drawn at random; equal weights; the (standardized) sample covariance."""
    n, d = Z.shape
    uniq = np.unique(Z, axis=0) if n < 10_000 else Z
    mu = uniq[rng.choice(len(uniq), size=k, replace=False)].copy()
    S = np.repeat(np.atleast_2d(np.cov(Z, rowvar=False, bias=True))[None], k, axis=0)
    S, _ = _floor_cov(S, floor)
    return np.full(k, 1.0 / k), mu, S


def _user_start(init, k, d, univariate, center, scale, Z, floor, s):
    where = f"{_OWNER}: init[{s}]"
    unknown = set(init) - {"means", "weights", "covariances"}
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {sorted(unknown)}; use 'means', 'weights', 'covariances'.")
    if "means" not in init:
        raise ValueError(f"{where} needs 'means'.")
    mu = np.asarray(init["means"], dtype=float)
    if univariate and mu.shape == (k,):
        mu = mu[:, None]
    if mu.shape != (k, d):
        raise ValueError(f"{where}: means must have shape {(k,) if univariate else (k, d)}, got {mu.shape}.")
    if not np.all(np.isfinite(mu)):
        raise ValueError(f"{where}: means must be finite.")
    w = np.asarray(init.get("weights", np.full(k, 1.0 / k)), dtype=float)
    if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w <= 0) or abs(w.sum() - 1) > 1e-8:
        raise ValueError(f"{where}: weights must be {k} positive numbers summing to 1, got {w!r}.")
    w = w / w.sum()
    if "covariances" in init:
        S = np.asarray(init["covariances"], dtype=float)
        if univariate and S.shape == (k,):
            S = S[:, None, None]
        if S.shape != (k, d, d):
            raise ValueError(f"{where}: covariances must have shape {(k,) if univariate else (k, d, d)}, got {S.shape}.")
        if not np.all(np.isfinite(S)) or not np.allclose(S, S.transpose(0, 2, 1)):
            raise ValueError(f"{where}: covariances must be finite and symmetric.")
        try:
            np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            raise ValueError(f"{where}: covariances must be positive definite.") from None
        S = S / np.outer(scale, scale)
    else:
        S = np.repeat(np.atleast_2d(np.cov(Z, rowvar=False, bias=True))[None], k, axis=0)
    S, _ = _floor_cov(S, floor)
    return w, (mu - center) / scale, S


def _standardize_new(x, center, scale, d, owner):
    X, _ = design_matrix(x, owner, name="x")
    if X.shape[1] != d:
        raise ValueError(f"{owner}: x has {X.shape[1]} coordinate(s) but the mixture was fitted in {d}.")
    return (X - center) / scale
