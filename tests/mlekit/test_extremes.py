"""Property tests at the edges of float64 (issue 13): never a wrong answer that looks right.

Every family and every public function, discovered from ``mlekit.__all__`` and the
``Family`` subclasses (so new ones are included automatically), is called with data
from 1e-300 to 1e300, sample sizes from 1 to 1e5, float32/int/bool/object input, and
starts and parameters at extremes. Each call must end in one of three ways:

- a correct answer, checked against an outside reference (``scipy.stats`` log-densities,
  closed-form estimates written out here, finite differences of scipy's log-likelihood,
  the log-likelihood one tenth of a standard error away);
- a ``ValueError`` with a message;
- ``converged=False`` with a message.

Never a warning, never another exception type, never a call that runs past its time
limit, and never ``converged=True`` at a point that is not a maximum.

The examples are derandomized (a fixed sequence: CI is deterministic) and bounded in
number so that the file runs in well under a minute on two cores.
"""

from __future__ import annotations

import dataclasses
import os
import inspect
import math
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import special, stats

import mlekit
import mlekit.families as fams

SETTINGS = dict(
    derandomize=os.environ.get("MLEKIT_EXPLORE") is None,
    deadline=None,  # time is bounded per call by an alarm below (a deadline would flake under load)
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
CALL_SECONDS = 30


def _n(default: int) -> int:
    """Examples per test: bounded for CI; MLEKIT_EXPLORE=<factor> explores (random, more)."""
    return default * int(os.environ.get("MLEKIT_EXPLORE", 1))  # no single call may take longer (the slowest legitimate one takes ~1 s)


# ------------------------------------------------------------------ outcomes
class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds=CALL_SECONDS):
    def handler(signum, frame):
        raise Hang(f"a call ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outcome(fn):
    """``("ok", value)`` or ``("error", ValueError)``; anything else fails the test.

    Warnings are errors (as in the whole suite), so a RuntimeWarning escaping is a
    failure here too; a Hang, a TypeError, an OverflowError... propagate.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with time_limit():
            try:
                return "ok", fn()
            except ValueError as exc:
                assert str(exc).strip(), "a ValueError without a message"
                return "error", exc


# ------------------------------------------------------------ the families
def discovered_families():
    """Every concrete Family subclass defined in mlekit.families (new ones included)."""
    out = []
    for name, obj in vars(fams).items():
        if isinstance(obj, type) and issubclass(obj, mlekit.Family) and obj is not mlekit.Family:
            if name.startswith("_") or obj is mlekit.CustomFamily:
                continue
            out.append(obj)
    return out


# constructor arguments for families that need them (a new family with a no-argument
# constructor needs nothing here)
CONSTRUCT = {"Binomial": [dict(n=7)], "Categorical": [dict(k=4)], "Normal": [{}, dict(sigma2=2.0), dict(mu=-1.0)]}
# any parameter of a multi-parameter family may be fixed (issue 16): one family of each kind,
# drawn by the family strategies (not by the public-function fuzz, whose examples stay as they were)
FIXED = {
    "Gamma": [dict(shape=2.0), dict(rate=1.5)],
    "Weibull": [dict(shape=1.5), dict(scale=2.0)],
    "Beta": [dict(shape1=2.0)],
    "NegativeBinomial": [dict(size=3.0), dict(mu=4.0)],
    "StudentT": [dict(df=4.0), dict(mu=0.0, sigma=1.0)],
    "LogNormal": [dict(meanlog=0.0), dict(sdlog=0.5)],
    "Uniform": [dict(a=-1.0), dict(b=1.0)],
    "Laplace": [dict(mu=0.0), dict(b=1.0)],
}


def _custom_normal():
    return mlekit.CustomFamily(
        lambda x, m, s: stats.norm.logpdf(x, m, s), ["m", "s"], domains={"s": (0.0, np.inf)}, name="custom normal"
    )


def _custom_exp_scored():
    return mlekit.CustomFamily(
        lambda x, rate: np.log(rate) - rate * x, ["rate"], domains={"rate": (0.0, np.inf)},
        score=lambda x, rate: 1.0 / rate - x, name="custom exponential",
    )


def all_families():
    out = []
    for cls in discovered_families():
        for kwargs in CONSTRUCT.get(cls.__name__, [{}]):
            out.append(cls(**kwargs))
    return out + [_custom_normal(), _custom_exp_scored()]


FAMILIES = all_families()
FAMILY_IDS = [repr(f) for f in FAMILIES]
WITH_FIXED = FAMILIES + [cls(**kw) for cls in discovered_families() for kw in FIXED.get(cls.__name__, [])]


def _nbinom_reference(x, r, mu):
    """log C(x + r - 1, x) + r log q + x log(1 - q) with scipy's Pochhammer symbol
    Gamma(r + x)/Gamma(r) (accurate at large arguments, where scipy.stats.nbinom's log-gamma
    differences and its q = r/(r + mu) -> 1 round away the answer); scipy.stats.nbinom where
    the symbol overflows."""
    with np.errstate(all="ignore"):
        out = np.log(special.poch(r, x)) - special.gammaln(x + 1.0) - r * np.log1p(mu / r) - x * np.log1p(r / mu)
        fallback = stats.nbinom.logpmf(x, r, r / (r + mu))
    return np.where(np.isfinite(out), out, fallback)


def reference_logpdf(fam, x, p):
    """Per-observation log-density from scipy.stats (never from mlekit), or None."""
    name = type(fam).__name__
    x = np.asarray(x, dtype=float)
    if getattr(fam, "_fixed_values", None):
        p = {**fam._fixed_values, **p}  # a family with fixed parameters: scipy's density at all of them
    table = {
        "Bernoulli": lambda: stats.bernoulli.logpmf(x, p["p"]),
        "Binomial": lambda: stats.binom.logpmf(x, fam.n, p["p"]),
        "Categorical": lambda: np.log(np.asarray(p["theta"]))[x.astype(int)] if p["theta"].min() > 0 else None,
        "Poisson": lambda: stats.poisson.logpmf(x, p["lam"]),
        "Normal": lambda: stats.norm.logpdf(x, fam._full(p)[0], math.sqrt(fam._full(p)[1])),
        "Exponential": lambda: stats.expon.logpdf(x, scale=1 / p["rate"]),
        # written out for the scale families: scipy divides x by the scale first, and x/scale
        # can be subnormal (1e-321), whose logarithm has lost digits
        "Gamma": lambda: (p["shape"] * np.log(p["rate"]) - special.gammaln(p["shape"])
                          + special.xlogy(p["shape"] - 1, x) - p["rate"] * x),
        "Weibull": lambda: (np.log(p["shape"]) - p["shape"] * np.log(p["scale"]) + special.xlogy(p["shape"] - 1, x)
                            - np.exp(p["shape"] * (np.log(x) - np.log(p["scale"])))),
        "Beta": lambda: stats.beta.logpdf(x, p["shape1"], p["shape2"]),
        "NegativeBinomial": lambda: _nbinom_reference(x, p["size"], p["mu"]),
        # scipy's t takes log Gamma((df+1)/2) - log Gamma(df/2) as a difference, which rounds away at
        # df = 1e20; its Pochhammer symbol Gamma(a + 1/2)/Gamma(a) does not
        "StudentT": lambda: (np.log(special.poch(p["df"] / 2, 0.5)) - 0.5 * np.log(p["df"] * np.pi) - np.log(p["sigma"])
                             - (p["df"] + 1) / 2 * np.log1p(((x - p["mu"]) / p["sigma"]) ** 2 / p["df"])),
        "LogNormal": lambda: (-np.log(x) - np.log(p["sdlog"]) - 0.5 * np.log(2 * np.pi)
                              - (np.log(x) - p["meanlog"]) ** 2 / (2 * p["sdlog"] ** 2)),
        "Geometric": lambda: stats.geom.logpmf(x + 1, p["prob"]),
        # written out: scipy's loc/scale form rounds b = a + (b - a) and misplaces an edge at 1e-300
        "Uniform": lambda: np.where((x >= p["a"]) & (x <= p["b"]), -np.log(p["b"] - p["a"]), -np.inf),
        # written out: scipy's laplace takes the log of a pdf that rounds away in the tails
        "Laplace": lambda: -np.log(2 * p["b"]) - np.abs(x - p["mu"]) / p["b"],
        "CustomFamily": lambda: np.asarray(fam._user_logpdf(x, **p), dtype=float),
    }
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = table[name]()
        except (ValueError, OverflowError, ZeroDivisionError):
            return None
    return None if out is None else np.asarray(out, dtype=float)


def test_every_family_has_a_reference():
    # a new family must come with its scipy reference (and constructor arguments if it needs them)
    for fam in WITH_FIXED:
        p = {s.name: (np.full(s.size, 1.0 / s.size) if s.size else float(np.mean(s.typical))) for s in fam.params}
        x = fam.sample(5, rng=1, **p) if not isinstance(fam, mlekit.CustomFamily) else np.array([0.5, 1.0])
        assert reference_logpdf(fam, x, p) is not None, f"add a scipy reference for {fam!r} in test_extremes.py"


# ---------------------------------------------------------------- strategies
SCALES = [1e-300, 1e-200, 1e-150, 1e-50, 1e-8, 1e-3, 1.0, 1e3, 1e8, 1e50, 1e150, 1e200, 1e300]
SIZES = [1, 2, 3, 5, 10, 40, 200, 1000, 100_000]
KINDS = ["float64", "float64", "float32", "int64", "bool", "object", "list"]


def typical_params(fam, rng):
    p = {}
    for s in fam.params:
        if s.size:
            v = rng.dirichlet(np.ones(s.size))
        else:
            lo, hi = s.typical
            v = float(rng.uniform(lo, hi))
        p[s.name] = v
    if isinstance(fam, mlekit.Uniform):
        full = {**fam._fixed(), **p}
        a, b = min(full["a"], full["b"]), max(full["a"], full["b"]) + 1.0
        if "a" in fam._fixed():
            b = max(b, full["a"] + 1.0)
        if "b" in fam._fixed():
            a = min(a, full["b"] - 1.0)
        p = {k: v for k, v in dict(a=a, b=b).items() if k in p}
    return p


@st.composite
def family_case(draw, families=WITH_FIXED, max_n=100_000):
    """A family, data drawn from it at typical parameters then scaled and cast, and parameters
    that are typical or pushed to an extreme."""
    fam = draw(st.sampled_from(families))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    truth = typical_params(fam, rng)
    n = draw(st.sampled_from([s for s in SIZES if s <= max_n]))
    if isinstance(fam, mlekit.CustomFamily):
        base = rng.exponential(1.0, n) if "rate" in fam.param_names else rng.normal(1.0, 2.0, n)
    else:
        base = fam.sample(n, rng=rng, **truth)
    scale = draw(st.sampled_from(SCALES + [1.0] * 6))  # the ordinary scale often, every extreme sometimes
    with np.errstate(all="ignore"):
        data = base * scale if scale != 1.0 else base
    kind = draw(st.sampled_from(KINDS))
    with np.errstate(all="ignore"):
        if kind == "float32":
            data = np.asarray(data, dtype=np.float32)
        elif kind == "int64":
            data = np.asarray(np.clip(np.round(data), -(2.0**62), 2.0**62), dtype=np.int64)
        elif kind == "bool":
            data = np.asarray(data, dtype=float) > np.median(data)
        elif kind == "object":
            data = np.asarray(data, dtype=object)
        elif kind == "list":
            data = np.asarray(data).tolist()
    params = dict(truth)
    if draw(st.booleans()):  # push one parameter to an extreme
        spec = draw(st.sampled_from([s for s in fam.params if s.size is None] or list(fam.params)))
        if spec.size is None:
            k = draw(st.sampled_from([1e-300, 1e-160, 1e-20, 1e20, 1e160, 1e300, -1e300, 0.0]))
            params[spec.name] = k if spec.lower == -np.inf else abs(k)
    return fam, data, params


def as_float_array(data):
    with np.errstate(all="ignore"):
        try:
            return np.asarray(data, dtype=float)
        except (TypeError, ValueError):
            return None


def close(a, b, scale, rtol=1e-7):
    return abs(a - b) <= rtol * (abs(b) + scale) + 1e-12


# ------------------------------------------- family methods at the extremes
@settings(max_examples=_n(320), **SETTINGS)
@given(family_case())
def test_family_methods_give_a_correct_answer_or_a_valueerror(case):
    fam, data, params = case
    x = as_float_array(data)
    res = {}
    for what in ("logpdf", "loglik", "score", "hessian"):
        res[what] = outcome(lambda: getattr(fam, what)(data, **params))
    res["fisher"] = outcome(lambda: fam.fisher_information(**params))
    res["inverse"] = outcome(lambda: fam.inverse_information(7, **params))
    res["sample"] = outcome(lambda: fam.sample(3, rng=0, **params))
    res["boundary"] = outcome(lambda: fam.boundary(**params))
    res["vector"] = outcome(lambda: fam.from_vector(fam.to_vector(params)))
    if fam.has_closed_form:
        res["mle"] = outcome(lambda: fam.mle(data))

    kind, lp = res["logpdf"]
    if kind == "ok":
        ref = reference_logpdf(fam, x, params)
        assert lp.shape == x.shape and lp.dtype == np.float64
        if ref is not None:
            ok = np.isfinite(ref)
            mag = np.abs(x[ok]) * np.abs(np.log(np.abs(x[ok]) + 2.0)) + 1.0
            # scipy's own rounding at large arguments (log-gamma differences) is the slack
            assert np.all(np.abs(lp[ok] - ref[ok]) <= 1e-7 * (np.abs(ref[ok]) + mag)), (fam, params)
            assert not np.any(np.isnan(lp))
    kind, ll = res["loglik"]
    if kind == "ok":
        assert isinstance(ll, float) and not math.isnan(ll) and ll != math.inf
        if res["logpdf"][0] == "ok":
            lp = res["logpdf"][1]
            if np.all(np.isfinite(lp)):
                assert close(ll, math.fsum(lp), float(np.sum(np.abs(lp))), rtol=1e-9)
            else:  # an observation impossible under these parameters
                assert ll == -math.inf and np.all(lp[~np.isfinite(lp)] == -np.inf)
    for what in ("score", "hessian"):
        kind, v = res[what]
        if kind == "ok":
            assert np.isfinite(v).all()
    kind, v = res["fisher"]
    if kind == "ok":
        assert np.isfinite(v).all() and np.allclose(v, v.T) and np.all(np.diag(v) > 0)
        kind2, (cov, _) = res["inverse"] if res["inverse"][0] == "ok" else ("error", (None, None))
        if kind2 == "ok" and cov.shape == v.shape and np.all(np.isfinite(cov)):
            # (7 I) cov = identity, checked on the equilibrated matrices (parameters of very
            # different sizes make the raw product an ill-conditioned sum)
            sd = np.sqrt(np.diag(v))
            corr = v / np.outer(sd, sd)
            if np.linalg.cond(corr) < 1e8:  # beyond, float64 cannot check a product against the identity
                prod = corr @ (7 * cov * np.outer(sd, sd))
                assert np.allclose(prod, np.eye(v.shape[0]), atol=1e-6), (fam, params, prod)
            dc = np.sqrt(np.diag(cov))
            assert np.all(dc > 0) and np.all(np.abs(cov / np.outer(dc, dc)) <= 1 + 1e-9)  # a covariance
    if "mle" in res and res["mle"][0] == "ok":
        check_closed_form_mle(fam, x, res["mle"][1])


def check_closed_form_mle(fam, x, est):
    """The closed-form MLEs, written out here (not computed by mlekit)."""
    name = type(fam).__name__
    fixed = getattr(fam, "_fixed_values", None)
    with np.errstate(all="ignore"):
        if fixed:
            # the remaining parameter's closed form with the others fixed (issue 16)
            ref = {
                "Gamma": lambda: {"rate": fixed.get("shape", np.nan) / x.mean()},
                "Weibull": lambda: {"scale": np.mean(x ** fixed.get("shape", np.nan)) ** (1 / fixed.get("shape", np.nan))},
                "NegativeBinomial": lambda: {"mu": x.mean()},
                "LogNormal": lambda: {"meanlog": np.log(x).mean(), "sdlog": np.sqrt(np.mean((np.log(x) - fixed.get("meanlog", np.nan)) ** 2))},
                "Uniform": lambda: {"a": x.min(), "b": x.max()},
                "Laplace": lambda: {"mu": np.median(x), "b": np.abs(x - fixed.get("mu", np.nan)).mean()},
            }[name]()
        else:
            ref = None
    with np.errstate(all="ignore"):
        ref = ref if ref is not None else {
            "Bernoulli": lambda: {"p": x.mean()},
            "Binomial": lambda: {"p": x.sum() / (x.size * fam.n)},
            "Categorical": lambda: {"theta": np.bincount(x.astype(int), minlength=fam.k) / x.size},
            "Poisson": lambda: {"lam": x.mean()},
            "Exponential": lambda: {"rate": 1 / x.mean()},
            "Geometric": lambda: {"prob": 1 / (1 + x.mean())},
            "LogNormal": lambda: {"meanlog": np.log(x).mean(), "sdlog": np.log(x).std()},
            "Uniform": lambda: {"a": x.min(), "b": x.max()},
            "Laplace": lambda: {"mu": np.median(x), "b": np.abs(x - np.median(x)).mean()},
            "Normal": lambda: {k: v for k, v in {"mu": x.mean(), "sigma2": ((x - fam._full({"mu": x.mean(), "sigma2": 1.0})[0]) ** 2).mean()}.items() if k in fam.param_names},
        }[name]()
    # the reference's own rounding: a spread computed from values of size M is known to ~eps * M
    with np.errstate(all="ignore"):
        size = {"LogNormal": np.abs(np.log(x)).max(), "Normal": np.abs(x).max(), "Laplace": np.abs(x).max()}.get(name, 0.0)
        if fixed:
            size = max(size, *(abs(v) for v in fixed.values()))
    for k, v in est.items():
        r = np.asarray(ref[k], dtype=float)
        atol = 64 * np.finfo(float).eps * (size**2 if k == "sigma2" else size)
        if np.all(np.isfinite(r)) and np.isfinite(atol):
            assert np.allclose(v, r, rtol=1e-9, atol=atol), (fam, k, v, r)


# ----------------------------------------------------------- fits and starts
def scipy_loglik(fam, x, p):
    ref = reference_logpdf(fam, x, p)
    if ref is None:
        return None
    with np.errstate(all="ignore"):
        return math.fsum(ref) if np.all(np.isfinite(ref)) else None


def check_is_a_maximum(fam, x, r):
    """Independent evidence that a converged fit is a maximum: moving any free parameter by a
    tenth of its standard error (both ways, staying in the domain) does not increase scipy's
    log-likelihood beyond its rounding, and scipy's log-likelihood equals the reported one."""
    if not fam.differentiable or any(s.size for s in fam.params):
        return
    p = dict(r.params)
    base = scipy_loglik(fam, x, p)
    if base is None:
        return
    ref = reference_logpdf(fam, x, p)
    # the log-densities are sums of terms like x log(lam) and log x!, far larger than the
    # result for large values: both mlekit's and scipy's rounding scale with them
    with np.errstate(all="ignore"):
        terms = float(np.sum(np.abs(ref)) + np.sum(np.abs(x) * (np.abs(np.log(np.abs(x) + 1.0)) + 1.0)))
    noise = 1e-12 * terms + 1e-9
    assert close(r.loglik, base, terms, rtol=1e-9), (r.loglik, base)
    for s in fam.params:
        if s.name in r.boundary:  # an estimate on the edge: its Wald se is degenerate by design
            continue
        se = r.se[s.name]
        assert np.isfinite(se) and se > 0, r
        for sign in (-1.0, 1.0):
            q = dict(p)
            q[s.name] = p[s.name] + sign * 0.1 * se
            if not s.contains(q[s.name], interior=True) or q[s.name] == p[s.name]:
                continue
            other = scipy_loglik(fam, x, q)
            if other is not None:
                assert other <= base + noise, (fam, s.name, sign, other - base, r.message)


@settings(max_examples=_n(240), **SETTINGS)
@given(family_case(), st.sampled_from(["auto", "auto", "newton", "gradient", "scipy"]), st.booleans())
def test_fit_is_correct_or_says_why_not(case, method, use_start):
    fam, data, params = case
    if isinstance(fam, mlekit.CustomFamily):
        use_start = True
    start = params if use_start else None
    if method == "gradient" and np.size(data) > 1000:
        method = "newton"  # gradient ascent on 1e5 points is slow by design, not a hang
    opts = {"max_iter": 2000} if method == "gradient" else {}  # its default 10,000 is slow by design
    kind, r = outcome(lambda: mlekit.fit(fam, data, method=method, start=start, **opts))
    if kind == "error":
        return
    assert isinstance(r, mlekit.MLEResult) and r.message.strip()
    if not r.converged:
        assert r.message.strip()
        return
    x = as_float_array(data)
    assert all(np.all(np.isfinite(v)) for v in r.params.values()) and math.isfinite(r.loglik)
    for name, v in r.se.items():
        v = np.atleast_1d(v)
        on_edge = any(b.startswith(name) for b in r.boundary)
        assert on_edge or np.all(np.isfinite(v) & (v > 0)), (r.params, r.se)
    check_is_a_maximum(fam, x, r)


# ------------------------------------------- every public function, fuzzed
def public_callables():
    """Every callable reachable from mlekit.__all__ (modules' __all__ included), except plain
    result records (dataclasses), whose methods are exercised on real instances below."""
    out = {}

    def walk(obj, prefix):
        for name in getattr(obj, "__all__", []):
            v = getattr(obj, name)
            if inspect.ismodule(v):
                walk(v, f"{prefix}{name}.")
            elif callable(v) and not dataclasses.is_dataclass(v) and v is not mlekit.Family:
                out.setdefault(v, f"{prefix}{name}")

    walk(mlekit, "")
    return sorted(((name, f) for f, name in out.items()), key=lambda t: t[0])


PUBLIC = public_callables()


def _quad_l(x):
    x = np.asarray(x, dtype=float)
    return -0.5 * float(np.sum((x - 1.0) ** 2))


JUNK = [None, "abc", -1, 0, 1.5, math.nan, math.inf, -1e300, 1e300, [], [[1.0, 2.0]], {}, True, np.array([1.0, np.nan])]


@st.composite
def small_data(draw):
    n = draw(st.sampled_from([1, 2, 5, 30, 200]))
    scale = draw(st.sampled_from([1e-300, 1e-100, 1e-5, 1.0, 1.0, 1.0, 1e5, 1e100, 1e300]))
    kind = draw(st.sampled_from(["pos", "real", "count", "unit", "binary"]))
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    base = {
        "pos": lambda: rng.gamma(2.0, 1.0, n),
        "real": lambda: rng.normal(0.0, 1.0, n),
        "count": lambda: rng.poisson(3.0, n).astype(float),
        "unit": lambda: rng.beta(2.0, 3.0, n),
        "binary": lambda: rng.integers(0, 2, n).astype(float),
    }[kind]()
    with np.errstate(all="ignore"):
        return base * scale


def fits_for_fuzz():
    rng = np.random.default_rng(5)
    xp = rng.poisson(3.0, 40)
    xn = rng.normal(1.0, 2.0, 40)
    return [mlekit.fit(mlekit.Poisson(), xp), mlekit.fit(mlekit.Normal(), xn), mlekit.fit(mlekit.Gamma(), rng.gamma(2.0, 1.0, 40)),
            mlekit.fit(mlekit.Bernoulli(), np.zeros(5, dtype=int)), mlekit.fit(mlekit.NegativeBinomial(), xp, start={"size": 2.0, "mu": 3.0})]


FITS = fits_for_fuzz()


def argument(draw, name, param):
    """A value for the argument called ``name``: mostly plausible, sometimes extreme or junk.
    Unknown names (a new function's) get junk and numbers: the function must refuse them
    with a ValueError or cope."""
    junk = st.sampled_from(JUNK)
    fam = st.sampled_from(FAMILIES)
    plausible = {
        ("family", "model", "family_or_result"): st.one_of(fam, st.sampled_from(FITS)),
        ("data", "x", "X", "y", "values", "grid", "estimate", "se", "alpha"): small_data(),
        ("params", "start"): st.sampled_from([{"lam": 2.0}, {"mu": 0.0, "sigma2": 1.0}, {"p": 0.3}, {"shape": 1e300, "rate": 1.0}, {"mu": 1e-300}]),
        ("result", "null_result", "alt_result", "family_or_result"): st.sampled_from(FITS),
        ("results",): st.lists(st.sampled_from(FITS), min_size=1, max_size=3),
        ("param",): st.sampled_from(["lam", "mu", "sigma2", "p", "shape", "nope"]),
        ("level", "rtol", "gtol", "tol", "min_variance", "l2", "armijo", "shrink", "step", "noise", "a", "b", "shape", "rate", "mu", "sigma2"): st.sampled_from([0.5, 0.95, 1e-8, 1e-300, 1e300, 0.0, 1.0, -1.0, 2.5]),
        ("k", "n", "max_iter", "n_init", "max_halvings", "df"): st.sampled_from([1, 2, 3, 5, 20, 0, -3]),
        ("num", "bins", "levels"): st.sampled_from([2, 5, 10**7, 1, 0, "auto"]),
        ("rng",): st.sampled_from([0, 1, np.random.default_rng(2), None, "abc", -1, 1.5]),
        ("ax",): st.sampled_from([None, None, 3, "ax"]),
        ("loglik",): st.sampled_from([_quad_l, lambda x: float(x[0]), lambda x: np.nan]),
        ("score",): st.sampled_from([None, lambda x: 1.0 - np.asarray(x, dtype=float), lambda x, **p: np.zeros(np.size(x))]),
        ("hessian",): st.sampled_from([None, lambda x: -np.eye(np.size(x)), lambda x: np.eye(np.size(x))]),
        ("x0",): st.sampled_from([[0.0], [0.0, 0.0], [1e300], [np.nan], []]),
        ("g", "grad"): st.sampled_from([None, lambda p: 1.0, lambda p: float(sum(np.sum(v) for v in p.values())), lambda p: np.nan, [1.0]]),
        ("logpdf",): st.sampled_from([lambda x, m: stats.norm.logpdf(x, m), lambda x, m: 1.0]),
        ("param_names", "names", "params"): st.sampled_from([["m"], ("m",), ["a", "a"], "m"]),
        ("method", "kind", "interval", "scipy_method", "name"): st.sampled_from(["auto", "newton", "gradient", "scipy", "closed-form", "observed", "expected", "lr", "wald", "BFGS", "Nelder-Mead", "nope"]),
        ("intercept", "discrete"): st.sampled_from([True, False, 1, "yes"]),
        ("domains", "init", "ranges", "path"): st.sampled_from([None, {"m": (0.0, 1.0)}, {"means": [0.0, 1.0]}, [[0.0, 1.0], [0.5, 2.0]]]),
        ("prior",): st.sampled_from([None, mlekit.GammaPrior(2.0, 1.0), mlekit.BetaPrior(1e300, 1e-300), "prior"]),
    }
    for names, strat in plausible.items():
        if name in names:
            return draw(st.one_of(strat, strat, strat, junk))
    if param.default is not inspect.Parameter.empty and draw(st.booleans()):
        return param.default
    return draw(st.one_of(junk, small_data(), st.sampled_from(FAMILIES)))


@st.composite
def public_call(draw, name, fn):
    sig = inspect.signature(fn)
    args, kwargs = [], {}
    for pname, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        required = param.default is inspect.Parameter.empty
        if not required and draw(st.integers(0, 2)) == 0:
            continue  # leave an optional argument at its default
        value = argument(draw, pname, param)
        if param.kind == param.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[pname] = value
    return name, fn, args, kwargs


@pytest.mark.parametrize("name,fn", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_every_public_function_answers_or_refuses_with_a_valueerror(name, fn):
    @settings(max_examples=_n(40), **SETTINGS)
    @given(public_call(name, fn))
    def check(call):
        call_and_exercise(*call)

    check()


def call_and_exercise(name, fn, args, kwargs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        kind, value = outcome(lambda: fn(*args, **kwargs))
        if kind == "ok":
            exercise_result(value)
    finally:
        plt.close("all")


def exercise_result(value):
    """Call the public methods of whatever a function returned (results, families, priors)."""
    data = np.random.default_rng(0).gamma(2.0, 1.0, 20)
    calls = {
        "conf_int": [(), (0.9,), (1.5,), ("a",)],
        "summary": [(), (0.5,), (2.0,)],
        "_repr_html_": [()],
        "predict_proba": [(data,), (data * 1e300,), (None,)],
        "responsibilities": [(data,), (data * 1e-300,)],
        "predict": [(data,), ("x",)],
        "logpdf": [(data,)],
        "dist": [()],
        "fit_map": [(mlekit.Poisson(), [1, 2, 3]), (mlekit.Bernoulli(), [0, 1]), (mlekit.Normal(), [1.0])],
        "posterior": [(mlekit.Poisson(), [1, 2, 3]), (mlekit.Exponential(), [1e-300, 2.0])],
    }
    for meth, arglists in calls.items():
        f = getattr(value, meth, None)
        if callable(f):
            for a in arglists:
                try:
                    inspect.signature(f).bind(*a)
                except TypeError:
                    continue  # this method takes other arguments
                outcome(lambda: f(*a))
    for attr in ("aic", "bic", "mean", "zvalues", "pvalues"):
        if hasattr(type(value), attr):
            outcome(lambda: getattr(value, attr))


def test_the_fuzz_reaches_every_public_callable():
    # guards the discovery itself: the families, fit, the inference and plotting functions,
    # the optimizers and the models are all in the list the fuzz draws from
    names = {n.rsplit(".", 1)[-1] for n, _ in PUBLIC}
    for expected in ("fit", "Poisson", "CustomFamily", "likelihood_ratio_test", "plot_fit", "newton_raphson",
                     "logistic_regression", "gaussian_mixture", "GammaPrior", "is_local_max", "load_infert"):
        assert expected in names, expected


# ------------------------------------------------------- optimizers, scale-free
@settings(max_examples=_n(100), **SETTINGS)
@given(
    st.integers(1, 3),
    st.sampled_from([1e-150, 1e-50, 1e-6, 1.0, 1e6, 1e50, 1e150]),
    st.sampled_from([1e-100, 1e-8, 1.0, 1e8, 1e100]),
    st.sampled_from(["newton", "gradient", "scipy"]),
    st.integers(0, 1000),
)
def test_optimizers_are_scale_free(d, x_scale, l_scale, method, seed):
    # l(x) = -c/2 (x - m)' A (x - m) - K with the maximum at m; x in units of x_scale, l in
    # units of l_scale, plus a constant 1e12 l_scale that swamps tol * (1 + |l|)-type tests
    # the information l_scale / x_scale**2 (and the constant below) must itself be a float64
    assume(1e-200 <= l_scale / x_scale**2 <= 1e200 and 1e12 * l_scale < 1e200)
    rng = np.random.default_rng(seed)
    Q = rng.normal(size=(d, d))
    A = Q @ Q.T + d * np.eye(d)
    m = rng.normal(size=d) * x_scale * 10
    A = A / x_scale**2 * l_scale
    K = 1e12 * l_scale

    def L(x):
        r = x - m
        return -0.5 * float(r @ A @ r) - K

    def S(x):
        return -A @ (x - m)

    def H(x):
        return -A

    x0 = m + rng.normal(size=d) * x_scale * 100
    from mlekit import optimize as opt

    call = {
        "newton": lambda: opt.newton_raphson(L, S, H, x0),
        "gradient": lambda: opt.gradient_ascent(L, S, x0, hessian=H, max_iter=3000),
        "scipy": lambda: opt.scipy_minimize(L, S, x0, hessian=H),
    }[method]
    kind, tr = outcome(call)
    if kind == "error" or not tr.converged:
        assert kind == "error" or tr.message.strip()
        return
    # converged: the estimate is within a thousandth of a standard error of the maximum
    r = tr.x - m
    lam2 = float(r @ A @ r)  # the squared distance in the metric of the information
    assert lam2 <= 1e-5, (method, lam2, tr.message)


@settings(max_examples=_n(20), **SETTINGS)
@given(st.sampled_from(["newton", "gradient", "scipy"]), st.sampled_from([1e-6, 1.0, 1e6]))
def test_an_unbounded_objective_is_never_converged(method, slope):
    from mlekit import optimize as opt

    L, S, H = (lambda x: slope * float(x[0])), (lambda x: np.array([slope])), (lambda x: np.zeros((1, 1)))
    call = {
        "newton": lambda: opt.newton_raphson(L, S, H, [0.0], max_iter=50),
        "gradient": lambda: opt.gradient_ascent(L, S, [0.0], max_iter=200),
        "scipy": lambda: opt.scipy_minimize(L, S, [0.0]),
    }[method]
    kind, tr = outcome(call)
    assert kind == "error" or (not tr.converged and tr.message.strip())


# ------------------------------------------------------------ the models
@settings(max_examples=_n(60), **SETTINGS)
@given(st.sampled_from([1e-300, 1e-160, 1e-100, 1e-3, 1.0, 1e3, 1e100, 1e160, 1e300]), st.integers(0, 500),
       st.sampled_from([20, 200, 2000]))
def test_logistic_regression_is_scale_equivariant_or_refuses(scale, seed, n):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X @ [1.0, -0.5, 0.2] + rng.logistic(size=n) > 0).astype(int)
    base = mlekit.logistic_regression(X, y)
    kind, r = outcome(lambda: mlekit.logistic_regression(X * scale, y))
    if kind == "error":
        return
    assert r.converged == base.converged
    if r.converged:
        for name in ("x1", "x2", "x3"):
            assert r.params[name] * scale == pytest.approx(base.params[name], rel=1e-7)
            assert r.se[name] * scale == pytest.approx(base.se[name], rel=1e-6)
        assert r.loglik == pytest.approx(base.loglik, rel=1e-10)


@settings(max_examples=_n(30), **SETTINGS)
@given(st.sampled_from([1e-300, 1e-100, 1.0, 1e100, 1e300]), st.integers(0, 500), st.sampled_from([1, 2, 3]),
       st.sampled_from([3, 30, 300]), st.booleans())
def test_gaussian_mixture_is_correct_or_says_why_not(scale, seed, k, n, outlier):
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(0.0, 1.0, n), rng.normal(6.0, 1.0, n)]
    if outlier:
        x = np.r_[x, 1e12]
    with np.errstate(all="ignore"):
        xs = x * scale
    kind, r = outcome(lambda: mlekit.gaussian_mixture(xs, k, rng=seed))
    if kind == "error":
        return
    assert np.isfinite(r.loglik) and r.message.strip()
    assert np.all(np.diff(r.trace.loglik) >= -1e-9 * np.abs(r.trace.loglik[1:]))  # EM never goes down
    if r.converged:
        # no two components coincide (a saddle), every variance is positive
        m, v = np.asarray(r.params["means"]), np.asarray(r.params["covariances"])
        assert np.all(v > 0)
        if k > 1:
            gaps = np.abs(m[:, None] - m[None, :])[np.triu_indices(k, 1)]
            assert np.all(gaps > 1e-6 * np.sqrt(v.max())), r.params
