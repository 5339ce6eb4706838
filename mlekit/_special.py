r"""Special-function differences computed without cancellation, and the negative binomial
information.

scipy gives :math:`\log\Gamma`, :math:`\psi` and :math:`\psi_1` to full relative accuracy,
but the likelihoods need their *differences* at large arguments:
:math:`\log\Gamma(k + r) - \log\Gamma(k + 1)` for a count :math:`k = 10^{12}` is about
:math:`(r - 1)\log k \approx -27`, the difference of two numbers near :math:`2.6\cdot10^{13}`
whose rounding alone is 0.004 (the W7 reproducer of issue 13: a NegativeBinomial
log-likelihood quantized in steps of 1/256). The functions here take such differences
from Stirling's and de Moivre's asymptotic series, whose terms are differences of small
rational functions that can be written without cancellation.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special

_LOG_2PI_HALF = 0.5 * math.log(2 * math.pi)
_ASYM = 10.0  # the asymptotic series below are accurate to ~1e-16 relative for arguments >= 10
_EXACT_UPTO = 2e4  # sum the information exactly over counts 0..upper when upper is at most this


def log1pmx(u):
    r""":math:`\log(1 + u) - u` for :math:`u > -1`, accurate also where it is :math:`\approx -u^2/2`."""
    u = np.asarray(u, dtype=float)
    out = np.empty_like(u)
    small = np.abs(u) < 0.1
    with np.errstate(all="ignore"):
        out[~small] = np.log1p(u[~small]) - u[~small]
    us = u[small]
    # -u^2/2 + u^3/3 - ...: 20 terms leave |u|^21/21 < 1e-22 u^2
    acc = np.zeros_like(us)
    for j in range(21, 1, -1):
        acc = (-1.0) ** (j + 1) / j + us * acc
    out[small] = acc * us * us
    return out


def _stirling_tail(w):
    """``log Gamma(w) - [(w - 1/2) log w - w + log(2 pi)/2]`` for ``w >= 10`` (error < 2e-17)."""
    i2 = 1.0 / (w * w)
    return (1.0 / w) * (1 / 12 - i2 * (1 / 360 - i2 * (1 / 1260 - i2 * (1 / 1680 - i2 / 1188))))


def lgamma_ratio(z, a):
    r""":math:`\log\Gamma(z + a) - \log\Gamma(z)` for :math:`z > 0,\ z + a > 0` (arrays that
    broadcast together).

    Where both arguments are at least 10, Stirling's series gives
    :math:`(z - \tfrac12)\log(1 + a/z) + a\log(z + a) - a + [\text{tail}(z + a) - \text{tail}(z)]`,
    which keeps its absolute accuracy however large :math:`z` is; elsewhere the
    difference of ``scipy.special.gammaln`` values (at most ~20 in size below 10, so
    no digits are lost that matter).
    """
    z, a = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(a, dtype=float))
    za = z + a
    big = (z >= _ASYM) & (za >= _ASYM)
    out = np.empty(z.shape)
    with np.errstate(all="ignore"):
        zb, zab, ab = z[big], za[big], a[big]
        out[big] = (zb - 0.5) * np.log1p(ab / zb) + ab * np.log(zab) - ab + (_stirling_tail(zab) - _stirling_tail(zb))
        out[~big] = special.gammaln(za[~big]) - special.gammaln(z[~big])
    return out


def nbinom_log_coef(k, r: float):
    r""":math:`\log\binom{k + r - 1}{k} = \log\Gamma(k + r) - \log\Gamma(r) - \log\Gamma(k + 1)`
    for counts ``k`` (array) and a size ``r > 0``, grouped so that the two large
    log-gammas are taken as one :func:`lgamma_ratio`: around the larger of ``k + 1`` and
    ``r``."""
    k = np.asarray(k, dtype=float)
    out = np.empty(k.shape)
    big_k = k + 1 >= r
    small = big_k & (k + 1 < _ASYM)  # then r <= k + 1 < 10 too: every log-gamma is small
    with np.errstate(all="ignore"):
        ks = k[small]
        out[small] = special.gammaln(ks + r) - special.gammaln(r) - special.gammaln(ks + 1.0)
        b = big_k & ~small
        out[b] = lgamma_ratio(k[b] + 1.0, r - 1.0) - special.gammaln(r)
        c = ~big_k & ~small
        out[c] = lgamma_ratio(np.full(int(c.sum()), r), k[c]) - special.gammaln(k[c] + 1.0)
    return out


def _psi_series_diff(Y, M, delta):
    r""":math:`\psi(Y) - \psi(M)` for :math:`Y, M \ge 10`, with ``delta = Y - M`` given exactly.

    De Moivre: :math:`\psi(w) = \log w - \frac1{2w} - \frac1{12w^2} + \frac1{120w^4}
    - \frac1{252w^6} + \frac1{240w^8} - \frac1{132w^{10}}`; the first terms' differences
    are factored by ``delta``.
    """
    t1, rest = _psi_series_parts(Y, M, delta)
    return t1 + rest


def _psi_series_parts(Y, M, delta):
    """The logarithm ``log(1 + delta/M)`` and the rest of :func:`_psi_series_diff`, apart."""
    with np.errstate(all="ignore"):
        u = delta / M
        # log(Y/M) = log1p(u), but where Y << M, u rounds to -1: take the ratio's log then
        t1 = np.where(np.abs(u) < 0.5, np.log1p(u), np.log(Y / M))  # written so that no product of two large arguments is formed
        t2 = u / (2.0 * Y)  # -(1/(2Y) - 1/(2M))
        t3 = u * (1.0 / Y + 1.0 / M) / (12.0 * Y)  # -(1/(12Y^2) - 1/(12M^2))
        tail = lambda w: (1 / 120 - (1 / 252 - (1 / 240 - 1 / (132 * w * w)) / (w * w)) / (w * w)) / (w * w) ** 2  # noqa: E731
        return t1, t2 + t3 + (tail(Y) - tail(M))


def psi_diff(y, m: float):
    r""":math:`\psi(y) - \psi(m)` (``y`` an array, ``m`` a number, both > 0), accurate to a few
    ulps of the result however close ``y`` and ``m`` are and however large.

    Below 10 both arguments are first shifted up by the recurrence
    :math:`\psi(w) = \psi(w + N) - \sum_{i<N} 1/(w + i)`, whose differences
    :math:`(y - m)/((y + i)(m + i))` are exact in sign and relative size.
    """
    y = np.asarray(y, dtype=float)
    m = np.float64(m)
    delta = y - m
    low = min(float(y.min()) if y.size else m, m)
    N = max(0, math.ceil(_ASYM - low))
    acc = _psi_series_diff(y + N, m + N, delta)
    for i in range(N):
        acc = acc + delta / ((y + i) * (m + i))
    return acc


def psi_diff_centred(y, m: float):
    r""":math:`\psi(y) - \psi(m) - (y - m)/m`, the part of a :math:`\psi` difference beyond its
    tangent at ``m``: for arguments at least 10, :math:`\log(1 + \delta/m) - \delta/m` is
    taken as one :func:`log1pmx` (it is :math:`\approx -\delta^2/(2m^2)`, which the
    difference of the two would lose); below, :func:`psi_diff` minus :math:`\delta/m`."""
    y = np.asarray(y, dtype=float)
    m = np.float64(m)
    out = np.empty(y.shape)
    big = y >= _ASYM
    if m >= _ASYM:
        yb = y[big]
        delta = yb - m
        with np.errstate(all="ignore"):
            u = delta / m
            near = np.abs(u) < 0.5
            t1, rest = _psi_series_parts(yb, m, delta)
            out[big] = np.where(near, log1pmx(np.where(near, u, 0.0)), t1 - u) + rest
    else:
        big[:] = False
    if (~big).any():
        ys = y[~big]
        out[~big] = psi_diff(ys, m) - (ys - m) / m
    return out


def trigamma_diff(y, m: float):
    r""":math:`\psi_1(y) - \psi_1(m)` (``y`` an array, ``m`` a number, both > 0) without
    cancellation: the series :math:`\psi_1(w) = \frac1w + \frac1{2w^2} + \frac1{6w^3}
    - \frac1{30w^5} + \frac1{42w^7} - \frac1{30w^9}` above 10, its leading differences
    factored by :math:`\delta = y - m`; below, the recurrence
    :math:`\psi_1(w) = \psi_1(w + 1) + 1/w^2`."""
    y = np.asarray(y, dtype=float)
    m = np.float64(m)
    delta = y - m
    low = min(float(y.min()) if y.size else m, m)
    N = max(0, math.ceil(_ASYM - low))
    Y, M = y + N, m + N
    with np.errstate(all="ignore"):
        u = delta / M
        acc = -u / Y - u * (1.0 / Y + 1.0 / M) / (2.0 * Y) - u * (1.0 / (Y * Y) + 1.0 / (Y * M) + 1.0 / (M * M)) / (6.0 * Y)
        tail = lambda w: (-1 / 30 + (1 / 42 - 1 / (30 * w * w)) / (w * w)) / (w * w * w * w * w)  # noqa: E731
        acc = acc + (tail(Y) - tail(M))
        for i in range(N):
            a, b = y + i, m + i
            acc = acc - delta * (a + b) / (a * a * b * b)
    return acc


@lru_cache(maxsize=1)
def _gauss_legendre():
    return np.polynomial.legendre.leggauss(16)


def _nb_logpmf(x, r, log_q, log_1mq):
    return nbinom_log_coef(x, r) + r * log_q + x * log_1mq


def nbinom_size_information(r: float, mu: float) -> float:
    r"""Expected information about the size ``r`` of one NegativeBinomial(size=r, mu) count.

    :math:`I_{rr} = \psi_1(r) - \mathrm E\,\psi_1(X + r) - \mu/(r(r+\mu))`, computed as
    the variance of the score (the two are equal; the score in :math:`r` is
    :math:`\psi(X + r) - X/(r + \mu)` plus a constant), with the score centred at
    :math:`m = r + \mu`:

    .. math::
        I_{rr} = \operatorname{Var} d(X + r),\qquad d(y) = \psi(y) - \psi(m) - (y - m)/m ,

    each :math:`d` from :func:`psi_diff` (no cancellation), the variance in two passes.
    The textbook difference loses every digit near the Poisson limit (:math:`r \gg \mu`,
    where :math:`I_{rr} \approx \mu^2/(2r^4)` is the difference of two terms near
    :math:`\mu/r^2`); this keeps about 1e-12 relative.

    The expectation is a sum over the counts with ``NegativeBinomial`` probabilities
    (from :func:`nbinom_log_coef`, accurate at any count): exactly over
    :math:`0..K` when the distribution is concentrated below :math:`K = 2\cdot10^5`;
    otherwise exactly over :math:`0..4095` and, above, as the integral of the (smooth)
    summand from 4095.5 (midpoint rule, with its first Euler-Maclaurin correction), by
    16-point Gauss-Legendre on panels that double in length away from 4096 and away
    from the mode. The work is bounded (at most ~20,000 summand evaluations) for any
    parameters within mlekit's range, including ``mu = 1e150``. Where that sum would
    be spread widely *and* ``r >= 5e5`` (the probabilities' log-gammas then carry
    absolute rounding errors of order ``eps * r``), the variance comes from the
    moments instead (:func:`_nbinom_size_information_moments`, relative error about
    ``35 / r**2``). Measured against 60-digit sums: within 1e-12 relative in the
    exact regime, and within ~2e-10 where the two methods meet (``r`` near 5e5).
    """
    log_q = -math.log1p(mu / r)
    log_1mq = -math.log1p(r / mu)
    m = r + mu
    sd = math.sqrt(mu) * math.sqrt(1.0 + mu / r)
    tau = 1.0 / math.log1p(r / mu)  # the geometric decay length of the upper tail
    upper = mu + 40.0 * sd + 45.0 * tau + 50.0
    for _ in range(64):  # make sure the tail beyond `upper` is negligible
        if not math.isfinite(upper) or special.betaincc(r, upper + 1.0, 1.0 / (1.0 + mu / r)) < 1e-30:
            break
        upper *= 2.0
    if not math.isfinite(upper):
        raise ValueError(f"NegativeBinomial: the information at size={r!r}, mu={mu!r} is beyond the range of float64.")
    if upper > _EXACT_UPTO and r >= 5e5:
        return _nbinom_size_information_moments(r, mu)
    with np.errstate(all="ignore"):
        if upper <= _EXACT_UPTO:
            x = np.arange(int(upper) + 1, dtype=float)
            w = np.exp(_nb_logpmf(x, r, log_q, log_1mq))
            d = psi_diff_centred(x + r, m)
            total = w.sum()
            mean = float(w @ d) / total
            return float(w @ (d - mean) ** 2) / total
        K = 4096
        x0 = np.arange(K, dtype=float)
        w0 = np.exp(_nb_logpmf(x0, r, log_q, log_1mq))
        d0 = psi_diff_centred(x0 + r, m)
        # panels on [K - 1/2, upper]: doubling away from K and away from the mode
        mode = max((r - 1.0) * mu / r, 0.0)
        edges = {K - 0.5, upper}
        b = float(K)
        while b < upper:
            edges.add(b)
            b *= 2.0
        for sign in (-1.0, 1.0):
            step = max(sd, 1.0)
            while step < upper:
                edges.add(mode + sign * step)
                step *= 2.0
        edges.add(mode)
        e = np.array(sorted(v for v in edges if K - 0.5 <= v <= upper))
        t, gw = _gauss_legendre()
        half = 0.5 * np.diff(e)
        xs = ((e[:-1] + half)[:, None] + half[:, None] * t[None, :]).ravel()
        ws = (half[:, None] * gw[None, :]).ravel() * np.exp(_nb_logpmf(xs, r, log_q, log_1mq))
        ds = psi_diff_centred(xs + r, m)
        # midpoint rule: sum_{x >= K} f(x) = int_{K-1/2} f + f'(K - 1/2)/24 + ..., with
        # f'(K - 1/2) ~ f(K) - f(K - 1) and f(K) from the continuum's own formula
        xK = np.array([float(K)])
        wK = float(np.exp(_nb_logpmf(xK, r, log_q, log_1mq))[0])
        dK = float(psi_diff_centred(xK + r, m)[0])

        def moment(g0, gs, gK, gKm1):
            return float(w0 @ g0) + float(ws @ gs) + (wK * gK - w0[-1] * gKm1) / 24.0

        total = moment(np.ones(K), np.ones(xs.size), 1.0, 1.0)
        mean = moment(d0, ds, dK, d0[-1]) / total
        return moment((d0 - mean) ** 2, (ds - mean) ** 2, (dK - mean) ** 2, (d0[-1] - mean) ** 2) / total


def _nbinom_size_information_moments(r: float, mu: float) -> float:
    r""":math:`\operatorname{Var} d(X + r)` (see :func:`nbinom_size_information`) by expanding
    :math:`d(m + \delta) = \sum_k a_k\delta^k` around :math:`m = r + \mu` and using the
    exact central moments of the negative binomial (from its cumulants,
    :math:`\kappa_n = r\,k_n(P)` with :math:`P = \mu/r`).

    Terms up to :math:`a_4` and the sixth moment are kept; what is left is of relative
    size :math:`(\kappa_2/m^2)^2 \le r^{-2}` (measured: ``35 / r**2``), below 1.5e-10
    for the ``r >= 5e5`` where it is used.
    """
    m = r + mu
    P = mu / r
    k2 = mu * (1.0 + P)
    k3 = k2 * (1.0 + 2.0 * P)
    k4 = k2 * (1.0 + 6.0 * P + 6.0 * P * P)
    k5 = k3 * (1.0 + 12.0 * P + 12.0 * P * P)
    k6 = k2 * (1.0 + P * (30.0 + P * (150.0 + P * (240.0 + 120.0 * P))))
    m2, m3 = k2, k3
    m4 = k4 + 3.0 * k2 * k2
    m5 = k5 + 10.0 * k3 * k2
    m6 = k6 + 15.0 * k4 * k2 + 10.0 * k3 * k3 + 15.0 * k2**3
    i2 = 1.0 / (m * m)
    # a1 = psi1(m) - 1/m by its series (the difference would cancel); a_k = psi^(k)(m)/k!
    a1 = i2 * (0.5 + (1.0 / m) * (1.0 / 6.0 - i2 * (1.0 / 30.0 - i2 / 42.0)))
    a2 = float(special.polygamma(2, m)) / 2.0
    a3 = float(special.polygamma(3, m)) / 6.0
    a4 = float(special.polygamma(4, m)) / 24.0
    return (
        a1 * a1 * m2 + 2.0 * a1 * a2 * m3 + a2 * a2 * (m4 - m2 * m2) + 2.0 * a1 * a3 * m4
        + 2.0 * a2 * a3 * (m5 - m2 * m3) + a3 * a3 * (m6 - m3 * m3) + 2.0 * a1 * a4 * m5
        + 2.0 * a2 * a4 * (m6 - m2 * m4)
    )
