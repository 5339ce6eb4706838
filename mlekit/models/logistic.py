r"""Logistic regression by Newton–Raphson (IRLS), with honest separation checks.

What to use when
----------------
- :func:`logistic_regression` fits :math:`P(y_i = 1 \mid x_i) = \sigma(x_i^\top\beta)`
  by maximum likelihood (``l2=0``, the default) or by maximum a posteriori
  estimation under a Gaussian prior on the slopes (``l2 > 0``).
- If the data are (quasi-)completely separated no finite MLE exists: the result
  says so (``converged=False``, ``separation`` filled in) instead of reporting
  coefficients that are only large because the optimizer stopped. Use
  ``l2 > 0`` to get a finite (MAP) estimate in that case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._lazy import linalg, optimize, stats
from ..results import InformationCriteria
from .._validation import as_data, data_digest
from ._common import (
    check_count,
    check_level,
    check_magnitudes,
    check_positive,
    design_matrix,
    html_tables,
    single_threaded_blas,
)

__all__ = ["LogisticResult", "LogisticTrace", "Separation", "logistic_regression"]

_OWNER = "logistic_regression"
# |x'beta| above which a fitted probability is within ~2e-9 of 0 or 1: a symptom of separation.
_ETA_SUSPECT = 20.0
# Newton on a logistic likelihood with a finite MLE converges in well under this many steps.
_ITER_SUSPECT = 25
# Columns per block of the weighted cross-product (p x 8192 doubles stay in a core's cache).
_CHUNK = 8192


@dataclass(frozen=True)
class LogisticTrace:
    """What Newton–Raphson did, one row per iterate (never printed, meant for plots).

    Attributes
    ----------
    iterates : ndarray, shape (k, p)
        Coefficient vectors, starting point first, estimate last.
    loglik : ndarray, shape (k,)
        Log-likelihood (penalized when ``l2 > 0``) at each iterate.
    grad_norm : ndarray, shape (k,)
        Euclidean norm of the gradient at each iterate.
    step_halvings : ndarray, shape (k,)
        How many times the Newton step that *led to* each iterate was halved
        to keep the log-likelihood from decreasing (0 for a full step).
    """

    iterates: np.ndarray
    loglik: np.ndarray
    grad_norm: np.ndarray
    step_halvings: np.ndarray


@dataclass(frozen=True)
class Separation:
    r"""Evidence that no finite maximum-likelihood estimate exists.

    Attributes
    ----------
    kind : {"complete", "quasi-complete"}
        Complete: a hyperplane puts every 1 strictly on one side and every 0
        strictly on the other. Quasi-complete: the same with some observations
        (``n_tied``) lying exactly on the hyperplane.
    direction : ndarray
        A direction :math:`d \ne 0` with :math:`(2y_i - 1)\,x_i^\top d \ge 0` for
        every observation, found by linear programming; along it the
        log-likelihood increases for ever.
    variables : tuple of str
        Coefficients with a non-zero component in ``direction`` (those that run
        off to infinity along it).
    n_separated : int
        Observations predicted perfectly (strictly on their side).
    n_tied : int
        Observations on the separating hyperplane (0 for complete separation).
    """

    kind: str
    direction: np.ndarray
    variables: tuple
    n_separated: int
    n_tied: int


@dataclass(frozen=True)
class LogisticResult(InformationCriteria):
    """A fitted logistic regression. Same public names as :class:`mlekit.MLEResult`.

    Attributes
    ----------
    params : dict
        Coefficients by name (``"intercept"``, ``"x1"``, ... or the DataFrame's
        column names). statsmodels: ``params``; R: ``coef(glm(...))``.
    se : dict
        Standard errors, square roots of the diagonal of ``cov``. statsmodels: ``bse``.
    cov : ndarray
        Inverse observed information (the negative inverse Hessian of the
        log-likelihood, penalized when ``l2 > 0``), axes ``cov_names``; evaluated
        at the estimate, or at the iterate before the last Newton step when that
        step was below ``1e-8 * sqrt(n)`` standard errors (the two agree to ~1e-8 relative).
        statsmodels: ``cov_params()``; R: ``vcov``.
    cov_names : tuple of str
        Names of the axes of ``cov`` (the keys of ``params``, in order).
    loglik : float
        Log-likelihood (without the penalty) at the estimate. statsmodels: ``llf``.
    penalized_loglik : float
        The objective actually maximized: ``loglik - l2/2 * sum(slopes**2)``
        (the log-posterior up to a constant); equals ``loglik`` when ``l2 == 0``.
    n : int
        Number of observations.
    converged : bool
        True when Newton's step fell below ``tol`` at a finite maximum.
    message : str
        How the fit went; names the separation and the variables involved when
        no finite MLE exists.
    method : str
        ``"newton-raphson (IRLS)"``.
    iterations : int
        Newton steps taken.
    trace : LogisticTrace
        Iterates, log-likelihoods and gradient norms.
    l2 : float
        The ridge penalty used (0 for maximum likelihood).
    separation : Separation or None
        Filled in when the data are (quasi-)completely separated; then
        ``params`` holds the last iterate, which is *not* an estimate, and
        ``se``/``cov`` are NaN because no finite MLE (hence no standard error) exists.
    data_id : str or None
        A fingerprint of the response ``y`` (as :class:`mlekit.MLEResult`'s):
        :func:`mlekit.compare_models` refuses to compare fits to different
        responses (regressions on different columns of ``X`` with the same ``y``
        are comparable, and so is a ``Bernoulli`` fit to that ``y``).
    """

    params: dict
    se: dict
    cov: np.ndarray
    cov_names: tuple
    loglik: float
    penalized_loglik: float
    n: int
    converged: bool
    message: str
    method: str
    iterations: int
    trace: LogisticTrace = field(repr=False)
    l2: float = 0.0
    separation: Separation | None = None
    intercept: bool = True
    columns: tuple = field(default=(), repr=False)
    data_id: str | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------ criteria
    @property
    def n_params(self) -> int:
        """Number of coefficients (intercept included)."""
        return len(self.params)

    @property
    def coef(self) -> np.ndarray:
        """Coefficients as an array, in the order of ``cov_names``."""
        return np.array([self.params[k] for k in self.cov_names])


    @property
    def zvalues(self) -> dict:
        r"""Wald statistics :math:`\hat\beta_j / \mathrm{se}_j`. statsmodels: ``tvalues``."""
        return {k: self.params[k] / self.se[k] for k in self.cov_names}

    @property
    def pvalues(self) -> dict:
        r"""Two-sided Wald p-values :math:`2\,(1 - \Phi(|z_j|))`. statsmodels: ``pvalues``."""
        return {k: float(2 * stats.norm.sf(abs(z))) for k, z in self.zvalues.items()}

    def conf_int(self, level: float = 0.95) -> dict:
        r"""Wald intervals :math:`\hat\beta_j \pm z_{1-\alpha/2}\,\mathrm{se}_j` as ``{name: (lower, upper)}``.

        statsmodels: ``conf_int(alpha=1 - level)``; R: ``confint.default``.
        """
        level = check_level(level, "LogisticResult.conf_int")
        z = stats.norm.ppf(0.5 + level / 2)
        return {k: (self.params[k] - z * self.se[k], self.params[k] + z * self.se[k]) for k in self.cov_names}

    # ---------------------------------------------------------- prediction
    def predict_proba(self, X) -> np.ndarray:
        r"""Fitted probabilities :math:`P(y = 1 \mid x) = \sigma(x^\top\hat\beta)` for new rows ``X``.

        ``X`` has the same columns as in the fit, without the intercept (a
        DataFrame's columns are selected by name). Returns a one-dimensional
        array; scikit-learn's ``predict_proba(X)[:, 1]``.
        """
        owner = "LogisticResult.predict_proba"
        if hasattr(X, "columns") and hasattr(X, "to_numpy") and self.columns:
            missing = [c for c in self.columns if c not in [str(c2) for c2 in X.columns]]
            if missing:
                raise ValueError(f"{owner}: X lacks the column(s) {', '.join(map(repr, missing))} used in the fit.")
            X = X[[next(c2 for c2 in X.columns if str(c2) == c) for c in self.columns]]
        arr, _ = design_matrix(X, owner)
        if arr.shape[1] != len(self.columns):
            raise ValueError(
                f"{owner}: X has {arr.shape[1]} column(s) but the model was fitted with {len(self.columns)} "
                f"({', '.join(self.columns)}); do not include the intercept column."
            )
        beta = self.coef
        eta = arr @ beta[1:] + beta[0] if self.intercept else arr @ beta
        return special.expit(eta)

    # ------------------------------------------------------------- display
    def _header(self):
        return [
            ("model", "logistic regression" + (f" (ridge l2={self.l2:g}, MAP)" if self.l2 else "")),
            ("method", self.method),
            ("n", str(self.n)),
            ("log-likelihood", f"{self.loglik:.6g}"),
            ("AIC", f"{self.aic:.6g}"),
            ("BIC", f"{self.bic:.6g}"),
            ("converged", str(self.converged)),
            ("iterations", str(self.iterations)),
        ]

    def _rows(self, level):
        ci = self.conf_int(level)
        z, pv = self.zvalues, self.pvalues
        return [
            (k, f"{self.params[k]:.6g}", f"{self.se[k]:.6g}", f"{z[k]:.3f}", f"{pv[k]:.3g}", f"{ci[k][0]:.6g}", f"{ci[k][1]:.6g}")
            for k in self.cov_names
        ]

    def summary(self, level: float = 0.95) -> str:
        """A plain-text table: estimate, standard error, z, p-value and Wald interval per coefficient."""
        pct = f"{100 * check_level(level, 'LogisticResult.summary'):g}%"
        lines = ["Logistic regression"]
        lines += [f"  {k:<15} {v}" for k, v in self._header()[1:]]
        lines.append(f"  {'message':<15} {self.message}")
        lines.append("")
        cols = ("coefficient", "estimate", "std. error", "z", "P>|z|", pct + " lower", pct + " upper")
        width = max(12, *(len(k) for k in self.cov_names))
        head = f"  {cols[0]:<{width}}" + "".join(f" {c:>12}" for c in cols[1:])
        lines += [head, "  " + "-" * (len(head) - 2)]
        for row in self._rows(level):
            lines.append(f"  {row[0]:<{width}}" + "".join(f" {c:>12}" for c in row[1:]))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        header = self._header() + [("message", self.message)]
        cols = ["coefficient", "estimate", "std. error", "z", "P>|z|", "95% lower", "95% upper"]
        note = "no finite maximum-likelihood estimate exists (separation); see message." if self.separation else ""
        return html_tables("Logistic regression", header, cols, self._rows(0.95), note)


# --------------------------------------------------------------------------- fitting
def logistic_regression(
    X,
    y,
    *,
    intercept: bool = True,
    l2: float = 0.0,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> LogisticResult:
    r"""Fit a logistic regression by Newton–Raphson (iteratively reweighted least squares).

    Parameters
    ----------
    X : array_like or pandas.DataFrame, shape (n, p) or (n,)
        Predictors, one row per observation, *without* a column of ones (see
        ``intercept``). A DataFrame's column names name the coefficients;
        otherwise they are ``"x1"``, ``"x2"``, ...
    y : array_like, shape (n,)
        Outcomes coded 0/1 (booleans accepted).
    intercept : bool, default True
        Prepend a column of ones; its coefficient, named ``"intercept"``, comes first.
    l2 : float, default 0.0
        Ridge penalty :math:`\tfrac{\lambda}{2}\sum_{j\ge 1}\beta_j^2` on the slopes
        (never on the intercept). ``l2 > 0`` gives the maximum a posteriori
        estimate under independent :math:`N(0, 1/\lambda)` priors on the slopes
        and a flat prior on the intercept; scikit-learn's
        ``LogisticRegression(C=1/l2)`` (which also leaves the intercept unpenalized).
    tol : float, default 1e-8
        Stop after a Newton step whose decrement :math:`\lambda^2 = g^\top H^{-1} g`
        is at most ``tol``: the step is at most ``sqrt(tol)`` standard errors long
        (:math:`\lambda` is its length in the metric of the information, so the
        test does not change when a column is rescaled), and Newton's quadratic
        convergence leaves the estimate within about ``tol`` standard errors of
        the maximum. The log-likelihood, gradient and covariance are those at the
        estimate (the covariance from the Hessian of the last step when that step
        was below ``1e-8 * sqrt(n)`` standard errors, where the two agree to ~1e-8).
    max_iter : int, default 100
        Maximum number of Newton steps.

    Returns
    -------
    LogisticResult
        Coefficients, standard errors (inverse observed information), z- and
        p-values, Wald intervals (``conf_int``), log-likelihood, AIC/BIC,
        ``predict_proba`` and the iteration ``trace``.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` disagree in length; ``y`` is not 0/1 or has only
        one class; there are NaN/infinite values; a column is constant while
        ``intercept=True`` (it duplicates the intercept); the columns are
        linearly dependent (rank deficiency, the columns involved are named);
        or an option is out of range.

    Notes
    -----
    With :math:`\eta_i = x_i^\top\beta` and :math:`p_i = \sigma(\eta_i) = 1/(1+e^{-\eta_i})`,

    .. math::

        \ell(\beta) = \sum_i \bigl[y_i\eta_i - \log(1 + e^{\eta_i})\bigr],\qquad
        \nabla\ell = X^\top(y - p),\qquad
        -\nabla^2\ell = X^\top W X,\; W = \operatorname{diag}\{p_i(1-p_i)\}.

    Each Newton step solves :math:`(X^\top W X + \lambda D)\,\delta = X^\top(y-p) - \lambda D\beta`
    (:math:`D` = identity with a 0 for the intercept) by a Cholesky factorization;
    written as weighted least squares this is IRLS, which for the canonical
    logit link is the same algorithm as Fisher scoring. The step is halved
    while it would lower the objective. :math:`\log(1+e^\eta)` is computed as
    ``np.logaddexp(0, eta)``, so no overflow occurs for large :math:`|\eta|`.
    The start is :math:`\beta = 0` with the intercept at :math:`\operatorname{logit}\bar y`,
    where :math:`W` is constant and the first Hessian, a multiple of :math:`X^\top X`,
    doubles as the rank check.

    **Separation.** If some :math:`d \ne 0` has :math:`(2y_i-1)\,x_i^\top d \ge 0`
    for every :math:`i` (Albert & Anderson, 1984), the log-likelihood keeps
    increasing along :math:`d` and no finite MLE exists. When Newton shows the
    symptoms (fitted probabilities numerically 0 or 1, i.e. :math:`|\eta_i| > 20`;
    more than 25 steps; a Hessian that is no longer positive definite) the
    existence of such a :math:`d` is decided by a linear program
    (``scipy.optimize.linprog``, as in R's ``safeBinaryRegression`` / ``detectseparation``).
    If it exists, the fit stops and returns ``converged=False`` with a message
    naming the kind of separation and the variables involved, and
    ``separation`` filled in; this function does *not* raise, so that the
    diverging iterates stay available in ``trace`` for teaching. With
    ``l2 > 0`` the penalized objective always has a finite maximum and no
    check is needed.

    Equivalents: statsmodels ``Logit(y, sm.add_constant(X)).fit()``;
    R ``glm(y ~ x, family = binomial)``; scikit-learn
    ``LogisticRegression(solver="newton-cholesky", C=np.inf)`` (estimates only).

    Examples
    --------
    >>> import mlekit
    >>> df = mlekit.datasets.load_infert()  # doctest: +SKIP
    >>> cols = ["age", "parity", "induced", "spontaneous"]
    >>> fit = mlekit.logistic_regression(df[cols], df["case"])  # doctest: +SKIP
    >>> fit.params["spontaneous"]  # doctest: +SKIP
    """
    X, columns = design_matrix(X, _OWNER)
    y = _check_y(y, X.shape[0])
    l2 = check_positive(l2, _OWNER, "l2", allow_zero=True)
    tol = check_positive(tol, _OWNER, "tol")
    max_iter = check_count(max_iter, _OWNER, "max_iter")
    if not isinstance(intercept, (bool, np.bool_)):
        raise ValueError(f"{_OWNER}: intercept must be True or False, got {intercept!r}.")
    intercept = bool(intercept)
    names = (("intercept",) if intercept else ()) + columns
    if len(set(names)) != len(names):
        raise ValueError(f"{_OWNER}: coefficient names must be unique, got {names}; rename the columns.")
    # Work with the transposed design (p x n, C order): the gradient X'r, the linear predictor
    # and the weighted cross-product X'WX all run faster on it than on an n x p row-major X.
    XT = np.empty((len(names), X.shape[0]))
    if intercept:
        XT[0] = 1.0
    for i in range(0, X.shape[0], _CHUNK):  # blocked transpose: faster than one strided copy
        XT[int(intercept):, i : i + _CHUNK] = X[i : i + _CHUNK].T
    with single_threaded_blas(), np.errstate(all="ignore"):  # every result is checked for inf/nan below
        return _newton(XT, y, names, intercept=intercept, l2=l2, tol=tol, max_iter=max_iter, columns=columns)


def _check_y(y, n: int) -> np.ndarray:
    if hasattr(y, "to_numpy") and getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
        y = y.to_numpy()[:, 0]
    y = as_data(y, _OWNER, name="y")
    if y.shape[0] != n:
        raise ValueError(f"{_OWNER}: X has {n} rows but y has {y.shape[0]} entries; they must match.")
    if np.issubdtype(y.dtype, np.bool_):
        y = y.astype(float)
    y = np.asarray(y, dtype=float)
    bad = ~((y == 0) | (y == 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{_OWNER}: y must be coded 0/1, but y[{i}] = {y[i].item()!r} ({int(bad.sum())} bad value(s)).")
    if y.min() == y.max():
        raise ValueError(
            f"{_OWNER}: y has only one class (every y is {int(y[0])}); the intercept's MLE would be "
            f"{'+' if y[0] == 1 else '-'}infinity. Both 0s and 1s are needed."
        )
    return y


def _check_start_information(H: np.ndarray, names: tuple, intercept: bool, XT: np.ndarray) -> None:
    """Refuse zero or constant columns and linearly dependent columns, from the first Hessian.

    At the start the weights are one constant ``w0``, so ``H = w0 X'X`` (plus the
    penalty) holds every column's sum and sum of squares: no extra pass over X.
    """
    G = np.diag(H).copy()
    for j in range(1 if intercept else 0, len(names)):
        if not (np.isfinite(G[j]) and G[j] >= np.finfo(float).tiny):
            # the column's squares overflow or underflow: find which, from the column itself
            check_magnitudes(XT[j : j + 1].T, _OWNER, (names[j],))
        if G[j] == 0:
            raise ValueError(f"{_OWNER}: column {names[j]!r} is all zeros; its coefficient is not identified. Drop it.")
        if intercept:
            mean = H[0, j] / H[0, 0]
            m2 = H[j, j] / H[0, 0]
            if m2 - mean**2 <= 1e-12 * m2:
                raise ValueError(
                    f"{_OWNER}: column {names[j]!r} is constant (every value {mean:.6g}), which duplicates the "
                    "intercept; drop it, or pass intercept=False if it is meant to be the intercept."
                )
    _check_rank(H, names)


def _check_rank(H: np.ndarray, names: tuple) -> None:
    """Refuse a (numerically) singular X'WX, naming the linearly dependent columns."""
    d = np.sqrt(np.diag(H))
    C = H / np.outer(d, d)
    vals, vecs = np.linalg.eigh(C)
    if vals[0] > 1e-10 * vals[-1]:
        return
    v = vecs[:, 0]
    involved = [names[j] for j in np.flatnonzero(np.abs(v) > 0.05 * np.abs(v).max())]
    raise ValueError(
        f"{_OWNER}: the columns {', '.join(map(repr, involved))} are linearly dependent (or nearly so: "
        f"condition number of the scaled information {vals[-1] / max(vals[0], np.finfo(float).tiny):.3g}); "
        "the coefficients are not identified. Drop one of them."
    )


class _Work:
    """Work arrays reused across Newton steps.

    A fresh length-n temporary per step is a fresh ``mmap`` for numpy's
    allocator, and touching its pages costs as much as the arithmetic done
    in it (measured: reusing these buffers made a fit at n = 1e5, p = 11 about
    15% faster). ``pairs`` hold ``(eta, exp(-|eta|))`` for the current point
    and for the candidate of a step.
    """

    def __init__(self, p: int, n: int):
        # One allocation for everything: above 4 MB numpy asks the kernel for huge pages,
        # so a few page faults replace ~1400 (measured 5 ms of a 35 ms fit at n = 1e5).
        m = min(n, _CHUNK)
        flat = np.empty(8 * n + p * m)
        self.block = flat[8 * n :].reshape(p, m)
        rows = flat[: 8 * n].reshape(8, n)
        self.t, self.rw, self.tmp = rows[0], rows[1:3], rows[3]
        self.pairs = [(rows[4], rows[5]), (rows[6], rows[7])]
        self.pos = np.empty(n, dtype=bool)


def _residual(y: np.ndarray, eta: np.ndarray, e: np.ndarray, work: _Work) -> np.ndarray:
    """Fill ``work.rw[0]`` with ``y - p``, ``p = expit(eta)`` from ``e = exp(-|eta|)``; return ``t = 1/(1+e)``.

    ``p = t`` where ``eta >= 0`` and ``e t`` elsewhere: no second exponential, no overflow.
    """
    t = np.add(e, 1.0, out=work.t)
    np.reciprocal(t, out=t)
    r = work.rw[0]
    np.multiply(e, t, out=r)
    np.copyto(r, t, where=np.greater_equal(eta, 0.0, out=work.pos))
    np.subtract(y, r, out=r)
    return t


def _grad_hess(XT: np.ndarray, y: np.ndarray, eta: np.ndarray, e: np.ndarray, work: _Work, intercept: bool):
    """Gradient ``X'(y - p)`` and information ``X'WX`` at the linear predictor ``eta``.

    With ``e = exp(-|eta|)`` and ``t = 1 / (1 + e)`` (:func:`_residual`),
    ``w = p (1 - p) = e t^2``: no cancellation, no overflow. The weighted cross-product is a BLAS ``gemm``
    ``(X_b w_b) X_b'`` over blocks of ``p x 8192`` doubles that stay in cache
    (measured faster than ``syrk`` on the ``sqrt(w)``-weighted block at these
    shapes: OpenBLAS's ``syrk`` is slow for p = 10 and long blocks). With an
    intercept (row 0 of ``XT`` all ones) its row of ``X'WX`` is the plain sum
    ``X'w`` and the block product covers the slopes only.
    """
    p, n = XT.shape
    k = int(intercept)
    rw = work.rw  # rows: residual y - p, weight w
    _, w = rw
    t = _residual(y, eta, e, work)
    np.multiply(e, t, out=w)
    w *= t
    # One read of XT from memory: each block gives its share of X'r and X'w (one small
    # gemm) and of the weighted cross-product while it is in cache.
    gw = np.zeros((p, 2))
    H = np.zeros((p, p))
    for i in range(0, n, _CHUNK):
        j = min(i + _CHUNK, n)
        Xb = XT[:, i:j]
        gw += Xb @ rw[:, i:j].T
        b = work.block[k:, : j - i]
        np.multiply(Xb[k:], w[i:j], out=b)
        H[k:, k:] += b @ Xb[k:].T
    if k:
        H[0] = gw[:, 1]
        H[1:, 0] = H[0, 1:]
    return gw[:, 0].copy(), H


def _objective(XT, y, beta, l2, mask, eta, e, tmp):
    """Log-likelihood and penalized objective at ``beta``; fills ``eta`` and ``e = exp(-|eta|)``.

    ``log(1 + e^eta) = max(eta, 0) + log1p(e^{-|eta|})`` (what ``np.logaddexp(0, eta)``
    computes, in fewer passes): no overflow for any eta.
    """
    np.dot(beta, XT, out=eta)
    np.abs(eta, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    ll = float(y @ eta) - float(np.maximum(eta, 0.0, out=tmp).sum()) - float(np.log1p(e, out=tmp).sum())
    pen = 0.5 * l2 * float(np.sum((beta * mask) ** 2)) if l2 else 0.0
    return ll, ll - pen


def _cholesky(H: np.ndarray):
    """``scipy.linalg.cho_factor(H)`` if ``H`` is numerically positive definite, else None."""
    try:
        c = linalg.cho_factor(H, lower=False, check_finite=False)
    except linalg.LinAlgError:
        return None
    return c if np.all(np.isfinite(c[0])) else None


def _newton(XT, y, names, *, intercept, l2, tol, max_iter, columns) -> LogisticResult:
    p, n = XT.shape
    mask = np.ones(p)
    if intercept:
        mask[0] = 0.0
    beta = np.zeros(p)
    if intercept:
        ybar = y.mean()
        beta[0] = np.log(ybar) - np.log1p(-ybar)

    iterates, lls, gnorms, halvings = [], [], [], []
    work = _Work(p, n)
    cur = 0  # work.pairs[cur] holds eta and exp(-|eta|) at beta
    eta, e = work.pairs[cur]
    ll, obj = _objective(XT, y, beta, l2, mask, eta, e, work.tmp)
    separation = None
    checked = False
    converged = False
    message = ""
    H_chol = None
    halved = 0
    it = 0
    while True:
        grad, H = _grad_hess(XT, y, eta, e, work, intercept)
        if l2:
            grad -= l2 * mask * beta
            H[np.diag_indices(p)] += l2 * mask
        iterates.append(beta.copy())
        lls.append(obj)
        gnorms.append(float(np.linalg.norm(grad)))
        halvings.append(halved)

        suspect = l2 == 0 and not checked and (np.abs(eta).max() > _ETA_SUSPECT or it >= _ITER_SUSPECT)
        if suspect:
            checked = True
            separation = _find_separation(XT.T, y, names)
            if separation is not None:
                break
        if it == 0:
            _check_start_information(H, names, intercept, XT)
        H_chol = _cholesky(H)
        if H_chol is None:
            if l2 == 0 and not checked:
                checked = True
                separation = _find_separation(XT.T, y, names)
            message = "the Hessian stopped being numerically positive definite"
            break
        step = linalg.cho_solve(H_chol, grad, check_finite=False)
        if not np.isfinite(step).all():
            message = "the Newton step is not finite (the information is numerically singular)"
            H_chol = None
            break
        decrement = float(np.sqrt(max(float(grad @ step), 0.0)))  # the step in standard errors
        small = decrement * decrement <= tol
        if not small and it >= max_iter:
            if l2 == 0 and not checked:
                checked = True
                separation = _find_separation(XT.T, y, names)
            message = f"no convergence after max_iter={max_iter} Newton steps (last step {decrement:.3g} standard errors)"
            break
        # step, halving while the objective would decrease (rounding slack near the optimum)
        halved = 0
        slack = 1e-12 * (1.0 + abs(obj))
        while True:
            cand = beta + step
            eta_c, e_c = work.pairs[1 - cur]
            ll_c, obj_c = _objective(XT, y, cand, l2, mask, eta_c, e_c, work.tmp)
            if np.isfinite(obj_c) and obj_c >= obj - slack:
                break
            halved += 1
            step = step / 2
            if halved > 50:
                break
        if halved > 50:
            if small:  # already at the maximum to rounding: keep the current point
                converged = True
                break
            message = "a Newton step failed to increase the log-likelihood even after 50 halvings"
            break
        beta, eta, e, ll, obj, cur = cand, eta_c, e_c, ll_c, obj_c, 1 - cur
        it += 1
        if small:
            # The last step was at most sqrt(tol) standard errors: quadratic convergence puts the
            # new point within about tol standard errors of the maximum. Record it. The
            # covariance comes from the Hessian just factorized when the variances there agree with
            # those at the estimate to ~1e-8 (the information per observation changes by O(1) per
            # unit of beta, so a step of lambda standard errors, i.e. lambda / sqrt(n) in those
            # units, moves it by ~lambda / sqrt(n) relative): lambda <= 1e-8 sqrt(n) saves one
            # O(n p^2) Hessian (at n = 1e5 the last step is ~4e-7). Else a fresh Hessian.
            if decrement <= 1e-8 * np.sqrt(n):
                _residual(y, eta, e, work)
                grad = XT @ work.rw[0]
            else:
                grad, H = _grad_hess(XT, y, eta, e, work, intercept)
                if l2:
                    H[np.diag_indices(p)] += l2 * mask
                H_chol = _cholesky(H)
            if l2:
                grad -= l2 * mask * beta
            iterates.append(beta.copy())
            lls.append(obj)
            gnorms.append(float(np.linalg.norm(grad)))
            halvings.append(halved)
            converged = H_chol is not None
            if not converged:
                message = "the information is not positive definite at the estimate"
            break

    trace = LogisticTrace(
        iterates=np.array(iterates), loglik=np.array(lls), grad_norm=np.array(gnorms), step_halvings=np.array(halvings)
    )
    if separation is not None:
        converged = False
        message = _separation_message(separation)
    elif converged:
        message = (
            f"converged: last Newton step {decrement:.2g} standard errors (decrement {decrement**2:.2g} <= "
            f"tol={tol:g}) after {it} step(s)"
        )

    if converged and H_chol is not None:
        cov = linalg.cho_solve(H_chol, np.eye(p), check_finite=False)
        cov = 0.5 * (cov + cov.T)
        se_arr = np.sqrt(np.diag(cov))
    else:
        cov = np.full((p, p), np.nan)
        se_arr = np.full(p, np.nan)
        if separation is None:
            message += "; standard errors are not reported because the fit did not converge"
    return LogisticResult(
        params={k: float(b) for k, b in zip(names, beta)},
        se={k: float(s) for k, s in zip(names, se_arr)},
        cov=cov,
        cov_names=names,
        loglik=ll,
        penalized_loglik=obj,
        n=n,
        converged=converged,
        message=message,
        method="newton-raphson (IRLS)",
        iterations=it,
        trace=trace,
        l2=l2,
        separation=separation,
        intercept=intercept,
        columns=columns,
        data_id=data_digest(y),
    )


def _separation_message(sep: Separation) -> str:
    tied = f", {sep.n_tied} on the separating hyperplane" if sep.kind == "quasi-complete" else ""
    return (
        f"{sep.kind} separation: a linear combination of {', '.join(sep.variables)} predicts "
        f"{sep.n_separated} observation(s) perfectly{tied}, so no finite maximum-likelihood estimate exists "
        "(the coefficients run off to infinity; the reported values are the last iterate, not estimates). "
        "Remove or merge the separating variable(s), or use l2 > 0 for a finite MAP estimate."
    )


def _find_separation(X: np.ndarray, y: np.ndarray, names: tuple) -> Separation | None:
    r"""Decide by linear programming whether some d != 0 has (2y-1) x_i'd >= 0 for all i.

    Columns are scaled to max |x| = 1 and d is boxed in [-1, 1]^p. First
    maximize sum_i s_i x_i'd subject to s_i x_i'd >= 0 (a positive optimum
    means separation); then maximize t subject to s_i x_i'd >= t (t > 0 means
    complete separation).
    """
    scale = np.abs(X).max(axis=0)
    A = (2 * y - 1)[:, None] * (X / scale)
    n, p = A.shape
    res = optimize.linprog(
        -A.sum(axis=0), A_ub=-A, b_ub=np.zeros(n), bounds=[(-1, 1)] * p, method="highs"
    )
    if res.status != 0:
        return None
    d = res.x
    d[np.abs(d) < 1e-9] = 0.0
    m = A @ d
    tol = 1e-7
    if m.min() < -tol or m.max() <= 1e-6:
        return None
    # complete separation? maximize t with A d >= t, t <= 1
    c = np.zeros(p + 1)
    c[-1] = -1.0
    res2 = optimize.linprog(
        c,
        A_ub=np.hstack([-A, np.ones((n, 1))]),
        b_ub=np.zeros(n),
        bounds=[(-1, 1)] * p + [(None, 1)],
        method="highs",
    )
    complete = res2.status == 0 and -res2.fun > 1e-7
    if complete:
        d = res2.x[:p]
        d[np.abs(d) < 1e-9] = 0.0
        m = A @ d
    direction = d / scale
    direction = direction / np.abs(direction).max()
    variables = tuple(names[j] for j in np.flatnonzero(np.abs(d) > 1e-6))
    n_sep = int(np.sum(m > tol))
    return Separation(
        kind="complete" if complete else "quasi-complete",
        direction=direction,
        variables=variables,
        n_separated=n_sep,
        n_tied=n - n_sep,
    )
