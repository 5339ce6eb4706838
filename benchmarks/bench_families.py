"""Speed of mlekit fits against their targets and against scipy.stats (one run).

Run: ``.venv/bin/python benchmarks/bench_families.py [--quick]``.

Prints, per case, the median wall time of a few repeats (measured alternately with
the reference where there is a speed target), the ratio to the
reference, and the log-likelihood each method reached on the same data:

- Gamma, Beta, LogNormal at N = 1e6 (input validation included) against one
  ``np.log`` pass over the data (target: within 3x);
- Normal, Bernoulli closed forms at N = 1e7 (validation included)
  against one ``np.sum`` over the data (target: within 3x);
- Poisson at N = 1e7: int64 counts against the exact floor, one ``np.bincount``
  plus one ``np.sum`` (the log-likelihood needs sum(log x!), hence the frequency
  table; target: within 1.5x), and float64 counts (what pandas and CSV readers
  give) against the int64 path on the same values (target: within 1.5x);
- Weibull, StudentT, NegativeBinomial at N = 1e5 and 1e6 against the fastest
  scipy fit of the same model (target: at least 10x faster):
  ``scipy.stats.<dist>.fit`` with ``floc=0`` where the family has no location,
  ``scipy.stats.fit`` with bounds for the discrete NegativeBinomial (with a local
  L-BFGS-B optimizer from the moment estimates: its default, differential
  evolution, is slower still, about 5 minutes at N = 1e6);
- every family: mlekit's log-likelihood minus scipy's at scipy's estimate
  (target: never lower by more than 1e-9 relative).

``--quick`` uses smaller N (a smoke test; the ratios then mean less).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from scipy import optimize, stats

import mlekit

SEED = 20261129


def median_time(f, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def paired_times(f, ref, repeats):
    """Median times of ``f`` and ``ref`` measured alternately (drift on a shared machine
    hits both alike), and the last output of ``f``."""
    tf, tr = [], []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        ref()
        tr.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = f()
        tf.append(time.perf_counter() - t0)
    return float(np.median(tf)), float(np.median(tr)), out


def row(name, n, t, ref_name, t_ref, target, ll=None, ll_ref=None):
    ratio = t / t_ref
    ok = ratio <= target if target >= 1 else (t_ref / t) >= 1 / target
    dll = "" if ll is None else f"{ll:>18.6f} {ll_ref:>18.6f} {(ll - ll_ref) / abs(ll_ref):>+10.2e}"
    print(f"{name:<18} {n:>9.0e} {t * 1e3:>10.2f} {ref_name:<26} {t_ref * 1e3:>10.2f} {ratio:>8.3f} {'ok' if ok else 'MISS':>5}  {dll}")


def main(quick=False):
    rng = np.random.default_rng(SEED)
    big, mid = (10**5, 10**4) if quick else (10**6, 10**5)
    huge = 10**6 if quick else 10**7
    print(f"{'case':<18} {'N':>9} {'ms':>10} {'reference':<26} {'ref ms':>10} {'ratio':>8} {'':>5}  "
          f"{'loglik mlekit':>18} {'loglik ref':>18} {'rel diff':>10}")

    # ---- sufficient-statistic families vs one np.log pass at N = 1e6
    cases = [
        (mlekit.Gamma(), rng.gamma(2.5, 1 / 1.5, big), lambda x: stats.gamma.fit(x, floc=0),
         lambda x, c: stats.gamma.logpdf(x, c[0], scale=c[2]).sum()),
        (mlekit.Beta(), rng.beta(2.0, 5.0, big), lambda x: stats.beta.fit(x, floc=0, fscale=1),
         lambda x, c: stats.beta.logpdf(x, c[0], c[1]).sum()),
        (mlekit.LogNormal(), rng.lognormal(0.5, 0.7, big), lambda x: stats.lognorm.fit(x, floc=0),
         lambda x, c: stats.lognorm.logpdf(x, c[0], scale=c[2]).sum()),
    ]
    for fam, x, sfit, sll in cases:
        t, t_ref, r = paired_times(lambda: mlekit.fit(fam, x), lambda: np.log(x), 11)
        c = sfit(x)
        row(f"{fam.name}", x.size, t, "one np.log pass", t_ref, 3.0, r.loglik, float(sll(x, c)))

    # ---- closed forms vs one np.sum at N = 1e7
    x_norm = 1e7 + rng.normal(0.0, 1.0, huge)
    x_pois = rng.poisson(3.0, huge)
    x_bern = (rng.random(huge) < 0.3).astype(np.int64)
    for fam, x, ll_ref in (
        (mlekit.Normal(), x_norm, lambda x: stats.norm.logpdf(x, x.mean(), x.std()).sum()),
        (mlekit.Bernoulli(), x_bern, lambda x: stats.bernoulli.logpmf(x, x.mean()).sum()),
    ):
        t, t_ref, r = paired_times(lambda: mlekit.fit(fam, x), lambda: np.sum(x), 11)
        row(f"{fam.name}", x.size, t, f"one np.sum ({x.dtype})", t_ref, 3.0, r.loglik, float(ll_ref(x)))
    # Poisson: int64 counts against the exact floor (a frequency table and a sum), and float64
    # counts against the int64 path, each timed alternately with its reference
    pois = mlekit.Poisson()
    ll_pois = float(stats.poisson.logpmf(x_pois, x_pois.mean()).sum())
    t, t_ref, r = paired_times(lambda: mlekit.fit(pois, x_pois), lambda: (np.bincount(x_pois), np.sum(x_pois)), 15)
    row("Poisson (int64)", x_pois.size, t, "np.bincount + np.sum", t_ref, 1.5, r.loglik, ll_pois)
    x_pois_f = x_pois.astype(np.float64)
    t, t_ref, r = paired_times(lambda: mlekit.fit(pois, x_pois_f), lambda: mlekit.fit(pois, x_pois), 15)
    row("Poisson (float64)", x_pois.size, t, "mlekit Poisson on int64", t_ref, 1.5, r.loglik, ll_pois)

    # ---- numerical families vs the fastest scipy fit
    for n in (mid, big):
        xw = 2.0 * rng.weibull(1.7, n)
        xt = 1.0 + 2.0 * rng.standard_t(5.0, n)
        xn = rng.negative_binomial(3.0, 3.0 / 7.0, n)
        reps_scipy = 1 if n >= 10**6 else 3
        t, r = median_time(lambda: mlekit.fit(mlekit.Weibull(), xw), 5)
        ts, c = median_time(lambda: stats.weibull_min.fit(xw, floc=0), reps_scipy)
        row("Weibull", n, t, "weibull_min.fit(floc=0)", ts, 0.1, r.loglik,
            float(stats.weibull_min.logpdf(xw, c[0], scale=c[2]).sum()))

        t, r = median_time(lambda: mlekit.fit(mlekit.StudentT(), xt), 3)
        ts, c = median_time(lambda: stats.t.fit(xt), 1)
        row("StudentT", n, t, "t.fit", ts, 0.1, r.loglik, float(stats.t.logpdf(xt, c[0], c[1], c[2]).sum()))

        t, r = median_time(lambda: mlekit.fit(mlekit.NegativeBinomial(), xn), 5)
        # scipy.stats.fit's default optimizer (differential evolution) takes minutes at N = 1e6; the
        # fastest scipy route is the same call with a local bounded optimizer started at the moments.
        m, v = xn.mean(), xn.var()
        x0 = [m * m / (v - m), m / v, 0.0]  # (n, p, loc); loc is fixed at 0 by its bounds

        def local(fun, bounds, integrality=None, x0=x0):
            return optimize.minimize(fun, x0, bounds=bounds, method="L-BFGS-B")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts, res = median_time(
                lambda: stats.fit(stats.nbinom, xn, bounds={"n": (0.01, 100.0), "p": (1e-6, 1 - 1e-6)},
                                  optimizer=local), 1
            )
        row("NegativeBinomial", n, t, "stats.fit(nbinom, L-BFGS-B)", ts, 0.1, r.loglik,
            float(stats.nbinom.logpmf(xn, res.params.n, res.params.p).sum()))

    # ---- the rest: log-likelihood vs scipy's fit (no speed target)
    rest = [
        (mlekit.Geometric(), rng.geometric(0.3, mid) - 1, lambda x: stats.geom.logpmf(x + 1, 1 / (1 + x.mean())).sum()),
        (mlekit.Exponential(), rng.exponential(0.5, mid),
         lambda x: stats.expon.logpdf(x, 0, stats.expon.fit(x, floc=0)[1]).sum()),
        (mlekit.Uniform(), rng.uniform(-1.0, 2.0, mid),
         lambda x: stats.uniform.logpdf(x, *stats.uniform.fit(x)).sum()),
        (mlekit.Laplace(), rng.laplace(1.0, 2.0, mid), lambda x: stats.laplace.logpdf(x, *stats.laplace.fit(x)).sum()),
    ]
    for fam, x, sll in rest:
        t, r = median_time(lambda: mlekit.fit(fam, x), 5)
        ts, ll = median_time(lambda: sll(x), 1)
        row(fam.name, x.size, t, "scipy fit + logpdf", ts, np.inf, r.loglik, float(ll))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
