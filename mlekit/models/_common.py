"""Helpers shared by the models: reading a design matrix, small HTML/text tables."""

from __future__ import annotations

import html
import numbers

import numpy as np


_CONTROLLER = []  # a threadpoolctl ThreadpoolController, made on first use (it costs ~3 ms once)


def single_threaded_blas():
    """A context in which BLAS runs on one thread (threadpoolctl, if installed; else nothing).

    The models make many small BLAS calls (a p x 8192 block at a time). Split over
    threads, each call waits for its threads to meet; on a machine where another process
    holds a core, that wait is a scheduler time slice per call, and a 35 ms logistic fit
    took 0.4-1.1 s with two threads against 0.12 s with one (measured beside a busy
    process; see benchmarks/bench_models.py). Entering the context costs ~20 us.
    """
    from contextlib import nullcontext

    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except Exception:  # not installed, or it cannot inspect this process: leave threads alone
            _CONTROLLER.append(None)
    ctl = _CONTROLLER[0]
    return nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")


def check_magnitudes(X: np.ndarray, owner: str, columns, *, name: str = "X") -> None:
    """Refuse columns whose values float64 cannot square (|x| beyond 1e150, or all below
    1e-150 but not all zero): the information X'WX would over- or underflow."""
    with np.errstate(all="ignore"):
        big = np.abs(X).max(axis=0)
    for j, m in enumerate(big):
        if m > 1e150 or 0 < m < 1e-150:
            raise ValueError(
                f"{owner}: {name} column {columns[j]!r} holds values of magnitude {m:.3g}, beyond what float64 can "
                f"square (X'WX would {'over' if m > 1 else 'under'}flow); rescale the column (divide or multiply it "
                "by a power of 10) and transform its coefficient back."
            )


def design_matrix(X, owner: str, *, name: str = "X", default_prefix: str = "x"):
    """Return ``(array of shape (n, p), column names)`` from an array-like or a DataFrame.

    A one-dimensional input is one column. Raises ``ValueError`` naming the
    column and row of the first non-finite value, non-numeric columns and
    empty input.
    """
    columns = None
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):  # pandas DataFrame
        columns = [str(c) for c in X.columns]
        bad = [str(c) for c, dt in zip(X.columns, X.dtypes) if not (_is_numeric_dtype(dt))]
        if bad:
            raise ValueError(f"{owner}: {name} column(s) {', '.join(map(repr, bad))} are not numeric; encode them as numbers first.")
        arr = X.to_numpy(dtype=float)
    elif hasattr(X, "name") and hasattr(X, "to_numpy") and getattr(X, "ndim", 2) == 1:  # pandas Series
        columns = [str(X.name)] if X.name is not None else None
        try:
            arr = X.to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {name} must hold numbers, got dtype {X.dtype}.") from None
    else:
        try:
            arr = np.asarray(X)
        except Exception as exc:
            raise ValueError(f"{owner}: {name} could not be read as an array of numbers ({exc}).") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
            raise ValueError(f"{owner}: {name} must hold numbers, got an array of dtype {arr.dtype}.")
        if np.issubdtype(arr.dtype, np.complexfloating):
            raise ValueError(f"{owner}: {name} must hold real numbers, got complex values.")
        arr = np.asarray(arr, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{owner}: {name} must be two-dimensional (observations x variables), got shape {arr.shape}.")
    n, p = arr.shape
    if n == 0 or p == 0:
        raise ValueError(f"{owner}: {name} is empty (shape {arr.shape}).")
    if columns is None:
        columns = [f"{default_prefix}{j + 1}" for j in range(p)]
    if not np.isfinite(arr.sum()):
        bad = ~np.isfinite(arr)
        if bad.any():
            i, j = (int(v[0]) for v in np.nonzero(bad))
            raise ValueError(
                f"{owner}: {name} contains {int(bad.sum())} NaN or infinite value(s) "
                f"(first in row {i}, column {columns[j]!r}: {arr[i, j]!r}); remove or impute them before fitting."
            )
    return np.ascontiguousarray(arr), tuple(columns)


def _is_numeric_dtype(dt) -> bool:
    try:
        return bool(np.issubdtype(np.dtype(dt), np.number) or np.issubdtype(np.dtype(dt), np.bool_))
    except TypeError:  # pandas extension dtypes
        return getattr(dt, "kind", "O") in "biuf"


def check_level(level, owner: str) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"{owner}: level must be a number strictly between 0 and 1, got {level!r}.")
    return float(level)


def check_positive(value, owner: str, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{owner}: {name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}.")
    return float(value)


def check_count(value, owner: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}.")
    return int(value)


def html_tables(caption: str, header: list, columns: list, rows: list, note: str = "") -> str:
    """Two HTML tables (key/value header, then a numeric table), escaped."""
    esc = html.escape
    head = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in header)
    thead = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    foot = f"<p><strong>Note:</strong> {esc(note)}</p>" if note else ""
    return (
        "<div class='mlekit-result'>"
        f"<table><caption>{esc(caption)}</caption>{head}</table>"
        f"<table><thead><tr>{thead}</tr></thead><tbody>{body}</tbody></table>{foot}</div>"
    )
