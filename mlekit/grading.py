"""What the exercise test cells call: compare a student's function with mlekit.

Every ``check_*`` function calls the student's function on many cases (random
data sets drawn with a fixed seed, and edge cases), compares the result with
the reference computed by :mod:`mlekit`, and raises :class:`AssertionError`
with a short message naming the first failing case and, where it recognises
it, the mistake (*"did you forget the log?"*, *"you divided by N-1 instead of
N"*, ...). A passing check returns ``None`` and prints nothing.

Why the care with warnings
--------------------------
nbgrader gives a test cell **zero** as soon as anything is written to stderr,
and NumPy's ``RuntimeWarning`` (``log(0)``, ``0/0``) goes to stderr. A correct
solution may legitimately compute ``log(0) = -inf`` (``p = 0`` with all
observations 0), so student functions are always called under
``warnings.catch_warnings()`` and ``np.errstate(all="ignore")``; non-finite
results are then judged honestly (``-inf`` where ``-inf`` is right passes,
``nan`` never does).

What to use when
----------------
- ``check_loglik(student_fn, family, cases, signature=("p", "x"))``: the value
  of a log-likelihood; ``check_score`` the same for the score.
- ``check_score_is_derivative(score_fn, loglik_fn, cases, ...)``: the student's
  analytic score against central finite differences of *their own*
  log-likelihood (a derivation check).
- ``check_mle(student_fn, family, cases, returns=("p",))``: an estimator.
- ``check_raises(student_fn, bad_inputs, ...)``: bad input gives ``ValueError``.
- ``check_close(name, got, expected)``: a plain named value (e.g. an estimate
  computed from the student's own data set).
- ``random_cases(family, seed=...)`` and :class:`Case`: the data sets.
- ``student_seed`` / ``student_rng`` / ``graded_student_id`` /
  ``check_student_id``: per-student data variants (see ``exercises/README.md``).
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "Case",
    "Mistake",
    "case",
    "check_close",
    "check_hessian",
    "check_loglik",
    "check_mle",
    "check_raises",
    "check_score",
    "check_score_is_derivative",
    "check_student_id",
    "check_values",
    "graded_student_id",
    "random_cases",
    "short",
    "student_rng",
    "student_data",
    "student_seed",
]

#: Longest representation of a value shown in a message (students' outputs can be huge).
MAX_REPR = 80


# ------------------------------------------------------------------ values
def short(value: Any, *, limit: int = MAX_REPR) -> str:
    """A short, readable representation of ``value`` for feedback messages.

    Arrays show their first few entries and their length; anything longer than
    ``limit`` characters is cut with an ellipsis.
    """
    try:
        if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) >= 1 and len(value) > 6:
            arr = np.asarray(value)
            head = ", ".join(_num(v) for v in arr.ravel()[:5])
            text = f"[{head}, ...] ({arr.size} values)"
        elif isinstance(value, np.ndarray):
            text = "[" + ", ".join(_num(v) for v in value.ravel()) + "]"
        elif isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
            text = _num(value)
        else:
            text = repr(value)
    except Exception:  # a student's object with a broken __repr__
        text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _num(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.6g}"


@dataclass(frozen=True)
class Case:
    """One test case: a label for messages, a data set ``x`` and parameter values."""

    label: str
    x: np.ndarray
    params: dict = field(default_factory=dict)

    def describe(self, names: Sequence[str] = ()) -> str:
        parts = [f"{k}={short(self.params[k])}" for k in names if k in self.params]
        parts.append(f"x={short(self.x)}")
        return f"{self.label} ({', '.join(parts)})"

    @property
    def n(self) -> int:
        return int(np.size(self.x))


def case(label: str, x, **params) -> Case:
    """Build a :class:`Case` (``x`` is copied into an array)."""
    return Case(label, np.array(x), dict(params))


def random_cases(
    family,
    *,
    seed: int,
    n_sets: int = 20,
    sizes: Sequence[int] = (1, 2, 5, 20, 100),
    param_range: dict | None = None,
) -> list[Case]:
    """``n_sets`` random data sets from ``family`` (seeded), cycling through ``sizes``.

    Parameter values are drawn uniformly from ``param_range[name]`` (default:
    the family's ``typical`` range). The data are sampled at those values; the
    same values are then where the log-likelihood and score are evaluated.
    Vector parameters (``Categorical``'s ``theta``) are drawn from a Dirichlet.
    """
    rng = np.random.default_rng(seed)
    param_range = dict(param_range or {})
    out = []
    for i in range(n_sets):
        n = int(sizes[i % len(sizes)])
        params = {}
        for spec in family.params:
            if spec.size is not None:
                params[spec.name] = rng.dirichlet(np.full(spec.size, 2.0))
            else:
                lo, hi = param_range.get(spec.name, spec.typical)
                params[spec.name] = float(rng.uniform(lo, hi))
        x = family.sample(n, rng=rng, **params)
        out.append(Case(f"random data set {i + 1} of {n_sets}", x, params))
    return out


# ---------------------------------------------------------------- mistakes
@dataclass(frozen=True)
class Mistake:
    """A known mistake: what a student who makes it returns, and what to tell them.

    ``predict(case, expected)`` gets the case and the correct (flattened float)
    answer and returns what the mistaken formula gives.
    """

    message: str
    predict: Callable[[Case, np.ndarray], Any]


def _pname(family) -> str:
    return family.coord_names[0] if family.coord_names else "the parameter"


def _loglik_mistakes(family) -> list[Mistake]:
    out = [
        Mistake("your log-likelihood equals the likelihood itself: did you forget the log?", lambda c, e: np.exp(e)),
        Mistake(
            "your log-likelihood has the wrong sign (that is the negative log-likelihood, the quantity optimizers minimise)",
            lambda c, e: -e,
        ),
        Mistake("you averaged over the observations: the log-likelihood is a sum, not a mean", lambda c, e: e / c.n),
        Mistake(
            "you returned the log-likelihood of the first observation only: sum over all of x",
            lambda c, e: family.loglik(c.x[:1], **c.params),
        ),
    ]
    name = family.name
    if name == "Poisson":
        from scipy.special import gammaln

        out.append(
            Mistake(
                "you dropped the -log(x!) term: it does not change the MLE, but the log-likelihood needs it",
                lambda c, e: e + np.sum(gammaln(np.asarray(c.x, float) + 1.0)),
            )
        )
    if name == "Normal":
        out.append(
            Mistake(
                "you dropped the constant -N/2 log(2 pi): it does not change the MLE, but the log-likelihood needs it",
                lambda c, e: e + 0.5 * c.n * np.log(2 * np.pi),
            )
        )
        if "sigma2" in family.param_names:
            out.append(
                Mistake(
                    "you used sigma2 as if it were the standard deviation sigma: the parameter is the variance",
                    lambda c, e: family.loglik(c.x, **{**c.params, "sigma2": c.params["sigma2"] ** 2}),
                )
            )
    if name == "Exponential":
        out.append(
            Mistake(
                "scale vs rate: you used the mean waiting time 1/rate where the rate belongs (f(x) = rate * exp(-rate x))",
                lambda c, e: family.loglik(c.x, rate=1.0 / c.params["rate"]),
            )
        )
    return out


def _score_mistakes(family, pick=slice(None)) -> list[Mistake]:
    return [
        Mistake("your score has the wrong sign", lambda c, e: -e),
        Mistake("you averaged over the observations: the score is a sum, not a mean", lambda c, e: e / c.n),
        Mistake(
            "you returned the score of the first observation only: sum over all of x",
            lambda c, e: family.score(c.x[:1], **c.params)[pick],
        ),
        Mistake(
            "you returned the log-likelihood, not its derivative",
            lambda c, e: family.loglik(c.x, **c.params),
        ),
    ]


def _mle_mistakes(family, returns: Sequence[str]) -> list[Mistake]:
    out = []
    names = list(returns)

    def one(name, fn, message):
        if name in names:
            if len(names) == 1:  # the whole answer (a number, or a vector like Categorical's theta)
                out.append(Mistake(message, lambda c, e, fn=fn: fn(c, np.array(e, dtype=float))))
                return
            j = names.index(name)

            def predict(c, e, j=j, fn=fn):
                v = np.array(e, dtype=float)
                v[j] = fn(c, v[j])
                return v

            out.append(Mistake(message, predict))

    for name in names:
        one(name, lambda c, v: np.log(v), f"you returned log {name} instead of {name}")
        one(name, lambda c, v: np.exp(v), f"you returned exp({name}) instead of {name}")
    one("p", lambda c, v: 1.0 - v, "you returned 1 - p, the proportion of zeros, instead of p")
    one("sigma2", lambda c, v: v * c.n / (c.n - 1) if c.n > 1 else np.nan,
        "you divided by N-1 instead of N: that is the unbiased sample variance, not the MLE")
    one("sigma2", lambda c, v: np.sqrt(v), "you returned the standard deviation sigma; the parameter is the variance sigma2")
    one("rate", lambda c, v: 1.0 / v,
        "scale vs rate: you returned the mean waiting time (the scale, 1/rate) instead of the rate")
    one("lam", lambda c, v: v * c.n / (c.n - 1) if c.n > 1 else np.nan, "you divided by N-1 instead of N")
    one("p", lambda c, v: v * c.n / (c.n - 1) if c.n > 1 else np.nan, "you divided by N-1 instead of N")
    one("mu", lambda c, v: v * c.n / (c.n - 1) if c.n > 1 else np.nan, "you divided by N-1 instead of N")
    one("theta", lambda c, v: v * c.n, "you returned the counts; the estimates are the proportions (counts / N)")
    one("theta", lambda c, v: v * c.n / (c.n - 1) if c.n > 1 else np.nan, "you divided by N-1 instead of N")
    return out


# ------------------------------------------------------------- calling code
class _Raised:
    """What a student's call raised (kept so the message can name it)."""

    def __init__(self, exc: BaseException):
        self.exc = exc

    def describe(self) -> str:
        msg = short(str(self.exc), limit=120)
        return f"{type(self.exc).__name__}: {msg}" if msg and msg != "''" else type(self.exc).__name__


def _call(fn: Callable, args: Sequence[Any]):
    """Call a student's function quietly; return its result or a :class:`_Raised`.

    Warnings are silenced and NumPy floating-point errors ignored, so that a
    correct solution computing ``log(0)`` writes nothing to stderr.
    Arguments are copied so that a function that modifies its input cannot
    change later cases.
    """
    args = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                return fn(*args)
            except Exception as exc:  # the student's code may raise anything
                return _Raised(exc)


def _quiet(fn: Callable, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                return fn(*args)
            except Exception:
                return None


def _as_floats(value) -> np.ndarray | None:
    """The student's result as a flat float array, or None if it is not numbers."""
    if isinstance(value, dict):
        value = list(value.values())
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr.ravel()


def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    if got.shape != expected.shape:
        return False
    if np.any(np.isnan(got)) or np.any(np.isnan(expected)):
        return False
    same_inf = np.isinf(expected) & (got == expected)
    fin = ~np.isinf(expected)
    if np.any(np.isinf(got[fin])):
        return False
    ok = np.abs(got[fin] - expected[fin]) <= atol + rtol * np.abs(expected[fin])
    return bool(np.all(ok) and np.all(same_inf | fin))


def _values_text(arr: np.ndarray) -> str:
    return short(float(arr[0])) if arr.size == 1 else short(arr)


def _fail(name: str, where: str, detail: str, hint: str | None = None) -> AssertionError:
    msg = f"{name}: {detail}, on {where}."
    if hint:
        msg += f" Hint: {hint}."
    return AssertionError(msg)


def check_values(
    student: Callable,
    reference: Callable[[Case], Any],
    cases: Sequence[Case],
    *,
    name: str,
    signature: Sequence[str],
    rtol: float = 1e-6,
    atol: float = 1e-8,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Compare ``student(*args)`` with ``reference(case)`` on every case.

    ``signature`` names the student's arguments in order (``"x"`` is the data,
    other names are looked up in ``case.params``). Raises ``AssertionError``
    naming the first failing case and any recognised mistake.
    """
    if not callable(student):
        raise AssertionError(f"{name} should be a function, but it is {short(student)}.")
    for c in cases:
        expected = np.asarray(reference(c), dtype=float).ravel()
        args = [c.x if s == "x" else c.params[s] for s in signature]
        where = c.describe([s for s in signature if s != "x"])
        got = _call(student, args)
        if isinstance(got, _Raised):
            if isinstance(got.exc, NotImplementedError):
                raise AssertionError(f"{name}: not written yet (it still raises NotImplementedError).")
            raise _fail(name, where, f"raised {got.describe()}")
        if got is None:
            raise _fail(name, where, "returned None", "did you forget the return statement?")
        arr = _as_floats(got)
        if arr is None:
            raise _fail(name, where, f"returned {short(got)}, which is not a number")
        if arr.size != expected.size:
            raise _fail(
                name, where, f"returned {arr.size} number(s) ({short(got)}), expected {expected.size}"
            )
        if _close(arr, expected, rtol, atol):
            continue
        hint = _diagnose(student, reference, mistakes, cases, c, arr, expected, signature, rtol, atol)
        raise _fail(name, where, f"expected {_values_text(expected)}, got {_values_text(arr)}", hint)


def _matches(m: Mistake, c: Case, got: np.ndarray, expected: np.ndarray, rtol, atol) -> bool | None:
    """Whether ``got`` is what mistake ``m`` gives on case ``c`` (None: cannot tell on this case)."""
    pred = _quiet(m.predict, c, expected)
    pred = None if pred is None else _as_floats(pred)
    if pred is None or pred.shape != expected.shape or _close(pred, expected, rtol, atol):
        return None  # this mistake cannot be told apart from the truth here
    return _close(got, pred, max(rtol, 1e-6), atol)


def _diagnose(student, reference, mistakes, cases, failed, got, expected, signature, rtol, atol) -> str | None:
    """The known mistake that explains the student's answers, if exactly one story fits.

    Candidates are the mistakes matching the first failing case; they are then
    checked on the other cases (up to 30), where two mistakes that coincide on
    one data set (a mean and the first observation, for x = [0, 0]) differ.
    """
    candidates = [m for m in mistakes if _matches(m, failed, got, expected, rtol, atol)]
    if len(candidates) <= 1:
        return candidates[0].message if candidates else None
    for c in list(cases)[:30]:
        if c is failed or len(candidates) == 1:
            continue
        exp = np.asarray(reference(c), dtype=float).ravel()
        g = _call(student, [c.x if s == "x" else c.params[s] for s in signature])
        g = None if isinstance(g, _Raised) else _as_floats(g)
        if g is None or g.shape != exp.shape:
            continue
        candidates = [m for m in candidates if _matches(m, c, g, exp, rtol, atol) is not False] or candidates[:1]
    return candidates[0].message


# ------------------------------------------------------- family-aware checks
def check_loglik(student, family, cases, *, signature, name="log_likelihood", rtol=1e-7, atol=1e-8) -> None:
    """The student's log-likelihood against ``family.loglik`` on every case."""
    check_values(
        student,
        lambda c: family.loglik(c.x, **c.params),
        cases,
        name=name,
        signature=signature,
        rtol=rtol,
        atol=atol,
        mistakes=_loglik_mistakes(family),
    )


def check_score(student, family, cases, *, signature, name="score", coord=None, rtol=1e-7, atol=1e-8) -> None:
    """The student's score against ``family.score`` on every case.

    ``coord`` (a name in ``family.coord_names``): the student's function returns
    only that component of the score, e.g. the derivative in ``mu`` alone.
    """
    pick = slice(None) if coord is None else family.coord_names.index(coord)
    check_values(
        student,
        lambda c: family.score(c.x, **c.params)[pick],
        cases,
        name=name,
        signature=signature,
        rtol=rtol,
        atol=atol,
        mistakes=_score_mistakes(family, pick),
    )


def check_hessian(student, family, cases, *, signature, name="hessian", rtol=1e-7, atol=1e-8) -> None:
    """The student's second derivative against ``family.hessian`` (one-parameter families)."""
    check_values(
        student,
        lambda c: family.hessian(c.x, **c.params),
        cases,
        name=name,
        signature=signature,
        rtol=rtol,
        atol=atol,
        mistakes=[
            Mistake("your Hessian has the wrong sign (that is the observed information)", lambda c, e: -e),
            Mistake("you averaged over the observations: the Hessian is a sum, not a mean", lambda c, e: e / c.n),
            Mistake("you returned the score, not its derivative", lambda c, e: family.score(c.x, **c.params)),
        ],
    )


def check_mle(student, family, cases, *, returns, name="mle", signature=("x",), rtol=1e-7, atol=1e-10) -> None:
    """The student's estimator ``student(x)`` against ``family.mle(x)``.

    ``returns`` names the estimates in the order the student returns them
    (one name: a single number or vector). ``signature``: the student's
    arguments, when there are more than the data (e.g. ``("x", "k")``, with
    ``k`` in each case's ``params``).
    """
    def reference(c):
        if family.has_closed_form:
            est = family.mle(c.x)
        else:  # e.g. the Gamma shape: mlekit's numerical fit
            from .fit import fit

            est = fit(family, c.x).params
        return np.concatenate([np.ravel(est[r]) for r in returns])

    check_values(
        student,
        reference,
        cases,
        name=name,
        signature=signature,
        rtol=rtol,
        atol=atol,
        mistakes=_mle_mistakes(family, returns),
    )


def check_score_is_derivative(
    score_fn,
    loglik_fn,
    cases,
    *,
    wrt: str,
    signature: Sequence[str],
    name: str = "score",
    loglik_name: str = "log_likelihood",
    rtol: float = 1e-4,
) -> None:
    """The student's score against central differences of *their own* log-likelihood.

    At ``case.params[wrt]`` (a number, or a vector: then the score must be the
    gradient, one entry per coordinate), with step ``h = 1e-6 * max(1, |value|)``
    per coordinate (the cases keep it inside the parameter's domain).
    Tolerance: ``rtol * |fd| + 1e-7 * (1 + |loglik|) / h`` (the second term is
    the rounding error of the difference quotient).
    """
    for c in cases:
        where = c.describe([s for s in signature if s not in ("x", "X")])

        def ll(value):
            params = {**c.params, wrt: value}
            args = [c.x if s == "x" else params[s] for s in signature]
            got = _call(loglik_fn, args)
            if isinstance(got, _Raised) or got is None:
                raise _fail(
                    name,
                    where,
                    f"could not compare with finite differences because {loglik_name} "
                    f"{'raised ' + got.describe() if got is not None else 'returned None'}",
                )
            arr = _as_floats(got)
            if arr is None or arr.size != 1 or not np.isfinite(arr[0]):
                raise _fail(
                    name, where, f"could not compare with finite differences: {loglik_name} returned {short(got)}"
                )
            return float(arr[0])

        v = np.asarray(c.params[wrt], dtype=float)
        flat = v.ravel()
        l0 = ll(v if v.ndim else float(v))
        fd, tol = np.empty(flat.size), np.empty(flat.size)
        for k in range(flat.size):
            h = 1e-6 * max(1.0, abs(flat[k]))
            up, down = flat.copy(), flat.copy()
            up[k] += h
            down[k] -= h
            shape = v.shape
            lp = ll(up.reshape(shape) if v.ndim else float(up[0]))
            lm = ll(down.reshape(shape) if v.ndim else float(down[0]))
            fd[k] = (lp - lm) / (2 * h)
            tol[k] = rtol * abs(fd[k]) + 1e-7 * (1.0 + abs(l0)) / h
        args = [c.x if s == "x" else c.params[s] for s in signature]
        got = _call(score_fn, args)
        if isinstance(got, _Raised):
            if isinstance(got.exc, NotImplementedError):
                raise AssertionError(f"{name}: not written yet (it still raises NotImplementedError).")
            raise _fail(name, where, f"raised {got.describe()}")
        arr = _as_floats(got)
        if arr is None or arr.size != flat.size:
            raise _fail(name, where, f"returned {short(got)}, expected {flat.size} number(s)")
        if not (np.all(np.isfinite(arr)) and np.all(np.abs(arr - fd) <= tol)):
            hint = None
            if np.all(np.isfinite(arr)) and np.all(np.abs(-arr - fd) <= tol):
                hint = "it is the derivative with the wrong sign"
            raise _fail(
                name,
                where,
                f"your {name} {_values_text(arr)} is not the derivative of your {loglik_name} "
                f"(finite differences give {_values_text(fd)}); one of the two is wrong",
                hint,
            )


def check_raises(student, bad_inputs: Sequence[tuple[str, tuple]], *, name: str, exception=ValueError) -> None:
    """Each ``(label, args)`` must make ``student(*args)`` raise ``exception`` (default ``ValueError``)."""
    for label, args in bad_inputs:
        got = _call(student, args)
        shown = ", ".join(short(a, limit=40) for a in args)
        if isinstance(got, _Raised):
            if isinstance(got.exc, NotImplementedError):
                raise AssertionError(f"{name}: not written yet (it still raises NotImplementedError).")
            if isinstance(got.exc, exception):
                continue
            raise AssertionError(
                f"{name}({shown}) [{label}] raised {got.describe()}; expected a {exception.__name__} "
                "with a message saying what is wrong."
            )
        raise AssertionError(
            f"{name}({shown}) [{label}] returned {short(got)}; expected a {exception.__name__} "
            "with a message saying what is wrong."
        )


def check_close(
    name: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-10, mistakes: dict | None = None
) -> None:
    """A plain named value (e.g. ``MU_HAT``) against its expected value.

    ``mistakes`` maps a message to the value a known mistake gives; the message
    is shown when the student's value matches it. The expected value itself is
    not shown (it is the answer).
    """
    if got is None or (isinstance(got, str) and not got):
        raise AssertionError(f"{name} is not set yet.")
    arr = _as_floats(got)
    exp = np.asarray(expected, dtype=float).ravel()
    if arr is None or arr.size != exp.size:
        raise AssertionError(f"{name} = {short(got)}; expected {exp.size} number(s).")
    if not _close(arr, exp, rtol, atol):
        msg = f"{name} = {_values_text(arr)} is not the right value"
        for message, value in (mistakes or {}).items():
            v = np.asarray(value, dtype=float).ravel()
            if v.shape == arr.shape and _close(arr, v, max(rtol, 1e-6), atol):
                msg += f". Hint: {message}"
                break
        raise AssertionError(msg + ".")


# ------------------------------------------------------ per-student variants
def student_seed(assignment_id: str, student_id: str) -> int:
    """A stable seed from an assignment and a student id (SHA-256, not ``hash()``).

    Python's ``hash()`` of a string changes from one process to the next
    (``PYTHONHASHSEED``), so it cannot tie a data set to a student. The id is
    stripped and lower-cased first.
    """
    sid = _normalise_id(student_id)
    digest = hashlib.sha256(f"{assignment_id}:{sid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def student_rng(assignment_id: str, student_id: str) -> np.random.Generator:
    """The random generator of one student's variant of an assignment."""
    return np.random.default_rng(student_seed(assignment_id, student_id))


def _ps02_gaussian(rng) -> dict:
    # Heights (cm) of 40 adults: mean and variance differ from student to student.
    mu, sigma2 = rng.uniform(160.0, 185.0), rng.uniform(40.0, 80.0)
    return {"x": np.round(rng.normal(mu, np.sqrt(sigma2), size=40), 1)}


def _ps03_poisson(rng) -> dict:
    # Emails per hour over 3 working days (24 hours); the rate differs per student.
    lam = rng.uniform(0.8, 4.0)
    return {"x": rng.poisson(lam, size=24)}


#: Per-student data generators, by assignment id: ``rng -> dict of arrays``.
_VARIANTS: dict[str, Callable[[np.random.Generator], dict]] = {
    "ps02_gaussian": _ps02_gaussian,
    "ps03_poisson": _ps03_poisson,
}


def student_data(assignment_id: str, student_id: str) -> dict:
    """One student's own data set for an assignment (the same every time, for that id).

    Raises ``ValueError`` for an empty student id or an assignment without
    per-student data.
    """
    if assignment_id not in _VARIANTS:
        raise ValueError(
            f"student_data: {assignment_id!r} has no per-student data; known: {', '.join(sorted(_VARIANTS))}."
        )
    return _VARIANTS[assignment_id](student_rng(assignment_id, student_id))


def _normalise_id(student_id) -> str:
    if not isinstance(student_id, str) or not student_id.strip():
        raise ValueError(
            f"student id must be a non-empty string (your nbgrader user name), got {short(student_id)}."
        )
    return student_id.strip().lower()


_ID_ENV = "MLEKIT_STUDENT_ID"


def graded_student_id(assignment_id: str) -> str | None:
    """The id of the student whose submission is being graded, or ``None``.

    nbgrader does not tell the kernel whose notebook it runs, but it runs the
    notebook in ``<course>/autograded/<student_id>/<assignment_id>/`` with
    ``NBGRADER_EXECUTION=autograde``. A grading command that runs elsewhere may
    instead set ``MLEKIT_STUDENT_ID``. Outside grading (a student running or
    validating their own notebook) the answer is ``None``.
    """
    env = os.environ.get(_ID_ENV, "").strip()
    if env:
        return env
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        cwd = Path.cwd()
        if cwd.name == assignment_id and cwd.parent.parent.name == "autograded":
            return cwd.parent.name
    return None


def check_student_id(declared, assignment_id: str) -> str:
    """Check the ``STUDENT_ID`` a student typed; return it (normalised).

    Fails if it is empty, or if it differs from the id of the submission being
    graded (:func:`graded_student_id`): each student must work on the data set
    generated from their own id.
    """
    if not isinstance(declared, str) or not re.fullmatch(r"\s*[\w.@+-]+\s*", declared or ""):
        raise AssertionError(
            f"STUDENT_ID = {short(declared)}: type your student id (your nbgrader user name) as a string, "
            "e.g. STUDENT_ID = \"jdoe\", then re-run the notebook."
        )
    actual = graded_student_id(assignment_id)
    if actual is not None and _normalise_id(actual) != _normalise_id(declared):
        raise AssertionError(
            f"STUDENT_ID = {short(declared)}, but this submission belongs to {actual!r}: "
            "set STUDENT_ID to your own id and redo the questions on your own data set."
        )
    return _normalise_id(declared)

