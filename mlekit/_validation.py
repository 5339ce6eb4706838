"""Input checks shared by every public function.

Every check raises ``ValueError`` with a message that names *who* is complaining
(the family or function), *what* is wrong, and *where* (the first offending
index), so that a student or a user never meets a silent ``nan`` or a
traceback from deep inside NumPy.
"""

from __future__ import annotations

import math
import numbers
from contextlib import contextmanager

import numpy as np

#: Magnitudes beyond which float64 cannot square a value with room to spare
#: (its range is about 1e-308 .. 1e308): parameters of a scale, a rate or a shape
#: outside [SMALL, BIG] make variances and information over- or underflow.
BIG = 1e150
SMALL = 1e-150

RESCALE = (
    "rescale the data (multiply or divide by a power of 10) so that the values and the estimates are of "
    "moderate size, fit, and transform the estimates back"
)


@contextmanager
def float_errors(owner: str, what: str):
    """Run arithmetic quietly: NumPy's floating-point warnings are off (callers check the
    results for inf and NaN) and a Python ``float`` overflow or division by zero becomes a
    ``ValueError`` that says the magnitudes are beyond float64 and how to fix it."""
    with np.errstate(all="ignore"):
        try:
            yield
        except ArithmeticError as exc:  # OverflowError, ZeroDivisionError, FloatingPointError
            raise ValueError(
                f"{owner}: {what} overflows or divides by zero in float64 arithmetic ({type(exc).__name__}: "
                f"{exc}); the data or parameters are of a magnitude float64 cannot handle here: {RESCALE}."
            ) from None


def inverse_pd(A) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix, equilibrated first.

    Information matrices mix parameters of very different sizes (a shape of 1e-20 next
    to a rate of 1: diagonal entries 1e40 and 1e-21), so their condition number says
    nothing about how well determined the estimates are. Scaling to unit diagonal,
    :math:`D^{-1/2} A D^{-1/2}`, leaves only the correlation structure; its Cholesky
    inverse, scaled back, is accurate where ``np.linalg.inv(A)`` is not. Raises
    ``numpy.linalg.LinAlgError`` when the matrix is not positive definite.
    """
    A = np.asarray(A, dtype=float)
    A = 0.5 * (A + A.T)
    d = np.diag(A)
    if not np.all(d > 0):
        raise np.linalg.LinAlgError("not positive definite (a diagonal entry is not > 0)")
    s = 1.0 / np.sqrt(d)
    c = np.linalg.cholesky(A * s[:, None] * s[None, :])
    ci = np.linalg.inv(c)
    return (ci.T @ ci) * s[:, None] * s[None, :]


def data_digest(x: np.ndarray) -> str:
    """A fingerprint of a data set: its size and up to 1025 evenly spaced values (first and
    last included), as float64. Two fits whose data differ in one of those values, or in
    size, are recognized as fits to different data; data that differ only elsewhere are
    not (hashing every value would cost more than a closed-form fit itself)."""
    import hashlib

    n = x.size
    idx = np.unique(np.linspace(0, n - 1, min(n, 1025)).astype(np.intp))
    sample = np.ascontiguousarray(x[idx], dtype=np.float64)
    h = hashlib.blake2b(digest_size=12)
    h.update(str(n).encode())
    h.update(sample.tobytes())
    return h.hexdigest()


def as_rng(rng, owner: str) -> np.random.Generator:
    """``numpy.random.default_rng(rng)`` for a Generator, BitGenerator, SeedSequence, a
    non-negative integer seed (or a sequence of them) or None; ``ValueError`` otherwise."""
    if rng is None or isinstance(rng, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    ok = False
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        ok = int(rng) >= 0
    elif isinstance(rng, (list, tuple, np.ndarray)) and len(rng) > 0:
        arr = np.asarray(rng)
        ok = arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer) and bool(np.all(arr >= 0))
    if not ok:
        raise ValueError(
            f"{owner}: rng must be a numpy.random.Generator, a non-negative integer seed or None, got {rng!r}."
        )
    return np.random.default_rng(rng)


def as_data(x, owner: str, *, name: str = "data") -> np.ndarray:
    """Return ``x`` as a 1-D NumPy array of numbers, or raise ``ValueError``.

    Accepts any array-like of real numbers (lists, tuples, NumPy arrays, pandas
    Series). Booleans are accepted and kept as booleans. Multi-dimensional input
    is refused rather than silently flattened.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{owner}: {name} could not be read as an array of numbers ({exc}).") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        hint = " (if it holds numbers, convert it with np.asarray(x, dtype=float))" if arr.dtype == object else ""
        raise ValueError(f"{owner}: {name} must be numbers, got an array of dtype {arr.dtype}{hint}.")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{owner}: {name} must be real numbers, got complex values.")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(
            f"{owner}: {name} must be one-dimensional (one observation per entry), got shape {arr.shape}."
        )
    if arr.size == 0:
        raise ValueError(f"{owner}: {name} is empty; at least one observation is needed.")
    if arr.dtype.kind == "f" and arr.dtype != np.float64:
        # float16/float32/longdouble: computed in float64 from here on (float32 sums and
        # squares lose the digits a fit needs; longdouble beyond float64 becomes inf and is
        # reported by the finiteness check)
        with np.errstate(over="ignore"):
            arr = arr.astype(np.float64)
    return arr


def check_finite(arr: np.ndarray, owner: str, *, name: str = "data", total=None) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinity.

    ``total`` may carry an already computed ``arr.sum()``: NaN and infinity
    propagate into a sum, so a finite total proves the data finite without a
    second pass (the detailed scan runs only when something is wrong, or when
    the sum overflowed).
    """
    if not np.issubdtype(arr.dtype, np.floating):
        return
    if total is None:
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN: reported below
            total = arr.sum()
    if np.isfinite(total):
        return
    bad = ~np.isfinite(arr)
    if not bad.any():  # the sum overflowed; the data are finite
        return
    first = int(np.flatnonzero(bad)[0])
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(bad.sum()) - n_nan
    what = ", ".join(
        part for part in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} infinite" if n_inf else "") if part
    )
    raise ValueError(
        f"{owner}: {name} contains {what} value(s) (first at index {first}: {arr[first].item()!r}); "
        "remove or impute missing values before fitting."
    )


def first_index(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_integers(arr: np.ndarray, owner: str, *, name: str = "data", lower=0, upper=None, what="counts"):
    """Check that ``arr`` holds integers in ``[lower, upper]``; return it as int64 or the original ints."""
    if np.issubdtype(arr.dtype, np.bool_):
        arr = arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        check_finite(arr, owner, name=name)
        frac = arr != np.floor(arr)
        if frac.any():
            i = first_index(frac)
            raise ValueError(
                f"{owner}: {name} must be {what} (whole numbers), but index {i} holds {arr[i].item()!r}."
            )
    lo, hi = arr.min(), arr.max()
    if lo < lower:
        i = first_index(arr < lower)
        raise ValueError(f"{owner}: {name} must be >= {lower}, but index {i} holds {arr[i].item()!r}.")
    if upper is not None and hi > upper:
        i = first_index(arr > upper)
        raise ValueError(f"{owner}: {name} must be <= {upper}, but index {i} holds {arr[i].item()!r}.")
    return arr


def as_scalar(value, owner: str, name: str) -> float:
    """A finite real scalar, or ``ValueError``."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be a number, got the boolean {value!r}.")
    if isinstance(value, numbers.Real):
        v = float(value)
    else:
        arr = np.asarray(value)
        if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"{owner}: {name} must be a single real number, got {value!r}.")
        v = float(arr)
    if not math.isfinite(v):  # v is a Python float: ~10x cheaper than the ufunc
        raise ValueError(f"{owner}: {name} must be finite, got {v!r}.")
    return v


def as_positive_int(value, owner: str, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}.")
    return int(value)


# ------------------------------------------------------------ fast paths
def dot(a, b) -> float:
    """``sum(a * b)`` as a float, without BLAS.

    ``a @ b`` calls the BLAS ``ddot``, which OpenBLAS splits over threads for
    long vectors; on a loaded machine waiting for those threads costs
    milliseconds per call (measured: 15 ms for 1e5 values, against 0.05 ms
    for ``np.einsum``, which stays in one thread and uses SIMD).
    """
    return float(np.einsum("i,i->", a, b))


def max_nonneg_int(arr: np.ndarray):
    """For an integer array, ``max(arr)`` if every entry is >= 0, else ``None`` (one pass).

    Viewing signed integers as unsigned maps negative values to huge ones, so a
    single ``max`` over the unsigned view checks the lower bound 0 and finds
    the upper end at once.
    """
    if np.issubdtype(arr.dtype, np.unsignedinteger):
        return int(arr.max())
    u = arr.view(np.dtype(f"u{arr.dtype.itemsize}"))
    mx = int(u.max())
    if mx > np.iinfo(arr.dtype).max:
        return None
    return mx


def check_counts_fast(arr: np.ndarray, owner: str, *, upper=None, what="counts", name: str = "data"):
    """``check_integers(arr, lower=0, upper)`` with a one-pass fast path for integer dtypes.

    Returns ``(arr, max)``; the error messages are those of :func:`check_integers`.
    """
    if np.issubdtype(arr.dtype, np.bool_):
        arr = arr.view(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        mx = max_nonneg_int(arr)
        if mx is not None and (upper is None or mx <= upper):
            return arr, mx
    arr = check_integers(arr, owner, name=name, lower=0, upper=upper, what=what)
    return arr, int(arr.max())


_CHUNK = 32768
_COUNT_CHUNK = 131072  # float counts: 1 MB of doubles plus the int64 copy (measured fastest of 16K..256K)


def count_table(arr: np.ndarray, owner: str, *, what: str = "counts", name: str = "data"):
    """Check that ``arr`` holds counts (whole numbers >= 0) and tabulate them, reading it once.

    Returns ``(arr, table, mx)``: ``arr`` as given (float counts are *not* copied to
    integers), ``table = np.bincount(arr)`` (``None`` when the largest count exceeds
    ``max(4 n, 65536)``, where a table would cost more than the data) and the largest
    count ``mx``. Errors are those of :func:`check_integers`.

    Integer input: one pass for the range, one ``np.bincount``. Float input (what
    pandas and CSV readers give) is read in chunks: the chunk's maximum bounds it (and
    catches NaN and inf), it is cast to int32 into a small reused buffer, checked there
    (equal to the floats: whole numbers) and counted with ``np.bincount`` (which refuses
    negative values) while still in cache, so the floats are read once and never copied
    at full size. Measured at N = 1e7: 155 ms before, now ~1.5x the int64 path (see
    benchmarks/bench_families.py and benchmarks/README.md). Anything unusual (a
    fraction, NaN, a negative or a count too large for a table) falls back to the
    detailed check, which names the offending value.
    """
    if np.issubdtype(arr.dtype, np.bool_):
        arr = arr.view(np.uint8)
    n = arr.size
    limit = max(4 * n, 1 << 16)
    if np.issubdtype(arr.dtype, np.integer):
        # one pass for the range (the unsigned view's max), one np.bincount: no faster exact route
        mx = max_nonneg_int(arr)
        if mx is not None:
            return arr, (np.bincount(arr) if mx <= limit else None), mx
    elif np.issubdtype(arr.dtype, np.floating) and n <= 2**31:
        table = np.zeros(1, dtype=np.int64)
        mx = 0
        ibuf = np.empty(min(n, _COUNT_CHUNK), dtype=np.int32)  # each chunk's max is checked below 2**31 first
        eq = np.empty(min(n, _COUNT_CHUNK), dtype=bool)
        with np.errstate(invalid="ignore", over="ignore"):
            for j in range(0, n, _COUNT_CHUNK):
                c = arr[j : j + _COUNT_CHUNK]
                m = c.max()  # NaN propagates: then the comparison fails
                if not m <= min(limit, 2**31 - 1):
                    break  # NaN, inf, or counts too large for a table: the slow path sorts it out
                ci = ibuf[: c.size]
                np.copyto(ci, c, casting="unsafe")
                if not np.equal(ci, c, out=eq[: c.size]).all():
                    break  # a fraction: the slow path says where
                try:
                    b = np.bincount(ci)
                except ValueError:
                    break  # a negative count
                mx = max(mx, int(m))
                if b.size > table.size:
                    b[: table.size] += table
                    table = b
                else:
                    table[: b.size] += b
            else:
                return arr, table, mx
    # something is wrong, or the floats hold counts beyond 2**63: the detailed check
    arr = check_integers(arr, owner, name=name, lower=0, what=what)
    return arr, None, int(arr.max())


# Sums of logs by products: 16 factors in [2**-60, 2**60] multiply to a normal double
# (within [2**-960, 2**960]) whatever their order, so no product over- or underflows.
_GROUP = 16
_SAFE_LO, _SAFE_HI = 2.0**-60, 2.0**60


def _sum_log_by_products(c: np.ndarray, work: np.ndarray) -> float:
    """``sum(log(c))`` for a chunk whose values all lie in ``[_SAFE_LO, _SAFE_HI]``.

    The chunk is viewed as 16 rows; their elementwise product (15 SIMD
    multiplications per 16 values) leaves 1/16 as many logarithms to take.
    Accuracy: each product carries at most 15 roundings (relative error
    < 1.7e-15), so the log of a product is within ~2e-15 absolute of the sum
    of its 16 exact logs: the size of the rounding of 16 separately computed
    logs (one ulp of |log x| each). Measured on 1e6 Beta values: both ways give
    the same sum to within one ulp of the total, and this way is ~1.8x faster.
    """
    m = c.size - c.size % _GROUP
    p = work[: m // _GROUP]
    np.multiply.reduce(c[:m].reshape(_GROUP, -1), axis=0, out=p)
    total = float(np.log(p, out=p).sum())
    if m < c.size:
        total += float(np.log(c[m:]).sum())
    return total


def chunked_log_sums(x: np.ndarray, *, plain=False, log1m=False):
    """``(sum(log x), [sum(x)], [sum(log(1 - x))])`` read in cache-sized chunks.

    Working chunk by chunk in reused buffers avoids allocating (and
    page-faulting) full-size temporaries. Where a chunk's values (and, for
    ``log1m``, ``1 - x``) lie in ``[2**-60, 2**60]``, its log-sum is taken as
    the log of products of 16 values (:func:`_sum_log_by_products`, as accurate
    and ~1.8x faster); other chunks take every log. Invalid values (<= 0,
    >= 1 for ``log1m``, NaN, inf) fail the range check and give NaN or infinite
    sums (never a warning), which callers use as a validity check.
    """
    x = np.ascontiguousarray(x, dtype=float)
    n = x.size
    buf = np.empty(min(n, _CHUNK))
    work = np.empty(min(n, _CHUNK) // _GROUP + 1)
    L = S = M = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(0, n, _CHUNK):
            c = x[j : j + _CHUNK]
            b = buf[: c.size]
            lo, hi = float(c.min()), float(c.max())  # NaN fails every comparison below
            safe = _SAFE_LO <= lo and hi <= _SAFE_HI
            L += _sum_log_by_products(c, work) if safe else float(np.log(c, out=b).sum())
            if plain:
                S += float(c.sum())
            if log1m:
                # log(1 - x), not log1p(-x): 1 - x is exact for x >= 1/2 (Sterbenz) and
                # within eps/2 below, so each term is off by at most ~1e-16 absolute;
                # numpy's log is SIMD-vectorized, log1p is not (measured 2x slower).
                # Below x = 1e-4 that absolute error is too large *relative* to the term
                # (~x): a Beta shape2 of 1e300 multiplies it. Such chunks take log1p.
                if not lo >= 1e-4:
                    np.negative(c, out=b)
                    M += float(np.log1p(b, out=b).sum())
                    continue
                np.subtract(1.0, c, out=b)
                if safe and 1.0 - hi >= _SAFE_LO:  # then 1 - x lies in [2**-60, 1)
                    M += _sum_log_by_products(b, work)
                else:
                    M += float(np.log(b, out=b).sum())
    out = [L]
    if plain:
        out.append(S)
    if log1m:
        out.append(M)
    return tuple(out)


def centred_moments(x: np.ndarray, *, log: bool = False):
    """``(mean, M2)`` with ``M2 = sum((x - mean)**2)``, accurately and in one memory pass.

    The data are read in cache-sized chunks; each chunk's mean and centred sum
    of squares are computed while it is in cache, then the chunks are merged
    exactly (Chan, Golub & LeVeque's pairwise update):
    ``M2 = sum_c M2_c + sum_c n_c (mean_c - mean)**2``. Badly scaled data
    (1e7 + 0.1, 1e7 + 0.3, ...) keep their digits, unlike the one-pass
    ``sum(x**2) - n*mean**2`` formula. Non-finite data give a non-finite mean.
    ``log=True`` gives the moments of ``log(x)`` without a full-size temporary.
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):  # bad data: reported by the caller
        return _centred_moments(x, log)


def _centred_moments(x: np.ndarray, log: bool):
    n = x.size
    if n <= _CHUNK:
        xf = np.log(x) if log else x.astype(float, copy=False)
        m = float(np.sum(xf)) / n
        d = xf - m
        s = float(np.sum(d))
        return m + s / n, max(dot(d, d) - s * s / n, 0.0)
    x = np.ascontiguousarray(x)
    nb = n // _CHUNK
    sums = np.empty(nb + 1)
    m2s = np.empty(nb + 1)
    cnt = np.full(nb + 1, float(_CHUNK))
    buf = np.empty(_CHUNK)
    sub, ein = np.subtract, np.einsum
    for j in range(nb + (n % _CHUNK > 0)):
        c = x[j * _CHUNK : (j + 1) * _CHUNK]
        k = c.size
        if log:
            c = np.log(c, out=buf[:k])
        s = float(c.sum())
        m = s / k
        d = sub(c, m, out=buf[:k])
        # no Chan-Golub-LeVeque correction needed here: m has relative error ~eps,
        # which changes M2 by a relative (eps * |m| / sd)**2, e.g. 5e-16 for 1e7 +- 0.1
        sums[j] = s
        m2s[j] = float(ein("i,i->", d, d))
        cnt[j] = k
    if n % _CHUNK == 0:
        sums, m2s, cnt = sums[:nb], m2s[:nb], cnt[:nb]
    means = sums / cnt
    mean = float(np.sum(sums)) / n
    dm = means - mean
    return mean, max(float(np.sum(m2s)) + dot(cnt * dm, dm), 0.0)


def check_positive(arr: np.ndarray, owner: str, *, what: str = "positive values", strict: bool = True, upper=None, name: str = "data"):
    """Return ``arr`` as floats after checking it is finite and > 0 (>= 0 if not ``strict``), and < ``upper``.

    Two cheap passes (``min`` and ``sum``; ``max`` too with ``upper``); the
    detailed scan for the error message runs only when something is wrong.
    """
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(float)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf are reported below
        mn = arr.min()
        total = arr.sum()
    if not (np.isfinite(total) and np.isfinite(mn)):
        check_finite(arr, owner, name=name, total=total)
    bad_lo = (mn <= 0) if strict else (mn < 0)
    if bad_lo:
        i = first_index(arr <= 0 if strict else arr < 0)
        rel = ">" if strict else ">="
        raise ValueError(f"{owner}: {name} must be {rel} 0 ({what}), but index {i} holds {arr[i].item()!r}.")
    if upper is not None and arr.max() >= upper:
        i = first_index(arr >= upper)
        raise ValueError(f"{owner}: {name} must be < {upper} ({what}), but index {i} holds {arr[i].item()!r}.")
    return arr
