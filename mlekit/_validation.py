"""Input checks shared by every public function.

Every check raises ``ValueError`` with a message that names *who* is complaining
(the family or function), *what* is wrong, and *where* (the first offending
index), so that a student or a user never meets a silent ``nan`` or a
traceback from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np


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
        raise ValueError(f"{owner}: {name} must be numbers, got an array of dtype {arr.dtype}.")
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
    if not np.isfinite(v):
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
