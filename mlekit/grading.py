"""What the exercise test cells call: compare a student's function with mlekit.

Every ``check_*`` function calls the student's function on many cases (random
data sets drawn with a fixed seed, and edge cases), compares the result with
the reference computed by :mod:`mlekit`, and raises :class:`CheckFailed` (an
``AssertionError``) naming the first failing case and, where it recognises
it, the mistake (*"did you forget the log?"*, *"you divided by N-1 instead of
N"*, ...). A passing check returns ``None`` and prints nothing.

Two texts per failure
---------------------
A failure carries two texts. ``str(exc)`` is the whole story: the case with
its data, the expected value and the student's. ``exc.hint`` names the function,
the case *by its label* and the misconception, and quotes no input and no
expected value, so that feedback on a **hidden** test can show it without
revealing the test (``autograder/feedback.py``; the hardened grader stores it
in the test cell's metadata, ``metadata.autograder.hint``). ``str(exc)`` ends
with the hint on its own last line, ``"Hint: ..."``, which is how nbgrader's own
feedback finds it. Case labels are therefore shown to students: they describe
a case ("a single observation", "large linear predictors"), they never quote
its data.

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
  of a log-likelihood; ``check_score`` the same for the score, ``check_hessian``
  for the second derivative.
- ``check_score_is_derivative(score_fn, loglik_fn, cases, ...)``: the student's
  analytic score against central finite differences of *their own*
  log-likelihood (a derivation check).
- ``check_mle(student_fn, family, cases, returns=("p",))``: an estimator.
- ``check_values(student_fn, reference, cases, ..., mistakes=[Mistake(...)])``:
  anything else, with the assignment's own known mistakes.
- ``check_raises(student_fn, bad_inputs, ...)``: bad input gives ``ValueError``.
- ``check_close(name, got, expected)``: a plain named value (e.g. an estimate
  computed from the student's own data set).
- ``check(notebook, part)``: the students' self-check, run in their notebook:
  the visible checks of one part, every message printed in full.
- ``random_cases(family, seed=...)``, ``case(...)`` and :class:`Case`: the data sets.
- ``student_seed`` / ``student_rng`` / ``graded_student_id`` /
  ``check_student_id``: per-student data variants (see ``exercises/README.md``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "Case",
    "CheckFailed",
    "Mistake",
    "case",
    "check",
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
#: What starts the last line of every :class:`CheckFailed` message.
HINT_PREFIX = "Hint: "


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


class CheckFailed(AssertionError):
    """A check failed.

    ``str(exc)`` is the full message (it may quote the case's data and the
    expected value) followed by a last line ``"Hint: <hint>"``; ``exc.hint``
    names the function, the case by its label and the recognised mistake, and
    quotes no input: it is what feedback on a hidden test may show.
    """

    def __init__(self, message: str, hint: str):
        super().__init__(f"{message}\n{HINT_PREFIX}{hint}")
        self.message = message
        self.hint = hint


@dataclass(frozen=True, eq=False)
class Case:
    """One test case: a label for messages, a data set ``x`` and parameter values.

    ``x`` is always an array (references and mistakes compute with it);
    ``given`` is what the student's function receives when it is not that
    array (a case built from a list passes the list, see :func:`case`).
    The label is shown to students, also for hidden cases: it describes the
    case and never quotes its data.
    """

    label: str
    x: np.ndarray
    params: dict = field(default_factory=dict)
    given: Any = None

    @property
    def student_x(self):
        """``x`` as the student's function receives it."""
        return self.x if self.given is None else self.given

    def describe(self, names: Sequence[str] = ()) -> str:
        parts = [f"{k}={short(self.params[k])}" for k in names if k in self.params]
        parts.append(f"x={short(self.student_x)}")
        return f"{self.label} ({', '.join(parts)})"

    @property
    def n(self) -> int:
        return int(np.size(self.x))


def case(label: str, x, **params) -> Case:
    """Build a :class:`Case`. A list or tuple ``x`` reaches the student's function as that
    list or tuple (a case labelled "a list, not an array" tests what it says); the
    references get it as an array."""
    given = copy.deepcopy(x) if isinstance(x, (list, tuple)) else None
    return Case(label, np.array(x), dict(params), given)


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
    answer and returns what the mistaken formula gives (any shape: a mistake
    may return more or fewer numbers than the right answer; the right answer
    where the mistake makes no difference), or ``None`` where the mistaken
    formula gives no number (dividing by N - 1 when N = 1). ``message`` is shown to
    the student, also on hidden cases: it names the misconception and quotes no
    input.
    """

    message: str
    predict: Callable[[Case, np.ndarray], Any]


_CONSTANT = (
    "it returns the same answer for different inputs: does it use all of its arguments "
    "(not a global variable such as x_try, nor a number copied from a visible check)?"
)


def _sums_and_counts(c: Case) -> tuple[float, int]:
    x = np.asarray(c.x, dtype=float)
    return float(x.sum()), x.size


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
    if name == "Bernoulli":
        from scipy.special import xlogy

        out.append(
            Mistake(
                "you left out the failures: each 0 in x contributes log(1 - p)",
                lambda c, e: xlogy(_sums_and_counts(c)[0], c.params["p"]),
            )
        )
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
    if name == "Categorical":
        from scipy.special import xlogy

        def off_by_one(c, e):  # observation x_i scored with theta[x_i - 1] (theta[-1] for code 0)
            theta = np.asarray(c.params["theta"], dtype=float)
            counts = np.bincount(np.asarray(c.x, dtype=int), minlength=theta.size)
            return np.sum(xlogy(counts, np.roll(theta, 1)))

        out.append(
            Mistake(
                "your codes are off by one: categories are coded 0..k-1, so an observation x_i has probability theta[x_i]",
                off_by_one,
            )
        )
    return out


def _score_mistakes(family, coord: str | None = None) -> list[Mistake]:
    pick = slice(None) if coord is None else family.coord_names.index(coord)
    out = [
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
    if family.name == "Bernoulli":
        def chain_rule(c, e):
            s, n = _sums_and_counts(c)
            return s / c.params["p"] + (n - s) / (1.0 - c.params["p"])

        out.append(Mistake("the derivative of log(1 - p) is -1/(1 - p): mind the minus sign of the chain rule", chain_rule))
    if family.name == "Poisson":
        out.append(Mistake("the derivative of -N lam is -N, not -1", lambda c, e: e + c.n - 1.0))
    if family.name == "Normal" and coord == "mu":
        out.append(Mistake("you forgot to divide by sigma2", lambda c, e: e * c.params["sigma2"]))
        out.append(
            Mistake("you divided by sigma instead of sigma2 (the parameter is the variance)",
                    lambda c, e: e * np.sqrt(c.params["sigma2"]))
        )
    return out


def _hessian_mistakes(family) -> list[Mistake]:
    out = [
        Mistake("your Hessian has the wrong sign (that is the observed information)", lambda c, e: -e),
        Mistake("you averaged over the observations: the Hessian is a sum, not a mean", lambda c, e: e / c.n),
        Mistake("you returned the score, not its derivative", lambda c, e: family.score(c.x, **c.params)),
    ]
    if family.name in ("Exponential", "Poisson"):
        p = family.param_names[0]
        out.append(
            Mistake(f"you forgot the square: the derivative of 1/{p} is -1/{p}^2", lambda c, e, p=p: e * c.params[p])
        )
    return out


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

    def n_minus_1(c, v):
        return v * c.n / (c.n - 1) if c.n > 1 else None

    for name in names:
        one(name, lambda c, v: np.log(v), f"you returned log {name} instead of {name}")
        one(name, lambda c, v: np.exp(v), f"you returned exp({name}) instead of {name}")
    one("p", lambda c, v: 1.0 - v, "you returned 1 - p, the proportion of zeros, instead of p")
    one("p", lambda c, v: v * c.n, "you returned the number of successes; the estimate is the proportion (successes / N)")
    one("sigma2", n_minus_1, "you divided by N-1 instead of N: that is the unbiased sample variance, not the MLE")
    one("sigma2", lambda c, v: np.sqrt(v), "you returned the standard deviation sigma; the parameter is the variance sigma2")
    one("rate", lambda c, v: 1.0 / v,
        "scale vs rate: you returned the mean waiting time (the scale, 1/rate) instead of the rate")
    one("lam", lambda c, v: v * c.n, "you returned the total count sum(x); the estimate is the mean")
    for name in ("lam", "p", "mu", "theta"):
        one(name, n_minus_1, "you divided the sum by N-1 instead of N")
    one("theta", lambda c, v: v * c.n, "you returned the counts; the estimates are the proportions (counts / N)")
    one("theta", lambda c, v: v * c.n / v.size, "you divided the counts by k, the number of categories; divide by N")
    one("theta", lambda c, v: np.append(v[1:], 0.0),
        "your codes are off by one: categories are coded 0..k-1, so theta[j] is the share of the x_i equal to j")
    one("theta", lambda c, v: v[v > 0],
        "you left out the categories nobody chose: return k numbers, with 0 for a category never observed")
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
    args = [np.array(a, copy=True) if isinstance(a, np.ndarray) else copy.deepcopy(a) for a in args]
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


def _args(c: Case, signature: Sequence[str]) -> list:
    return [c.student_x if s == "x" else c.params[s] for s in signature]


def _failure(name: str, c: Case, names: Sequence[str], detail: str, what: str,
             misconception: str | None = None) -> CheckFailed:
    """``detail`` may quote the case's data and the answer; ``what`` says the same in words
    that quote no input (it goes into the hint, with the case's label)."""
    hint = f'{name} {what} on the case "{c.label}"'
    if misconception:
        hint += f": {misconception}"
    return CheckFailed(f"{name}: {detail}, on {c.describe(names)}.", hint)


def _not_written(name: str) -> CheckFailed:
    text = f"{name} is not written yet (it still raises NotImplementedError)"
    return CheckFailed(f"{text}.", text)


# ----------------------------------------------------------------- recording
#: While not None, every check appends what it was asked to check (see ``_recording``).
_RECORDED: list | None = None


@contextmanager
def _recording():
    """Record every check made inside the block, as dicts (the course's own tests use it to
    replay each check with simulated mistakes, see ``tests/exercises/test_mistakes.py``)."""
    global _RECORDED
    saved, _RECORDED = _RECORDED, []
    try:
        yield _RECORDED
    finally:
        _RECORDED = saved


def _record(**spec) -> None:
    if _RECORDED is not None:
        _RECORDED.append(spec)


# ------------------------------------------------------------- the checks
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
    other names are looked up in ``case.params``). Raises :class:`CheckFailed`
    naming the first failing case and any recognised mistake.
    """
    _record(kind="values", student=student, reference=reference, cases=list(cases), name=name,
            signature=tuple(signature), rtol=rtol, atol=atol, mistakes=list(mistakes))
    if not callable(student):
        raise CheckFailed(f"{name} should be a function, but it is {short(student)}.", f"{name} should be a function")
    names = [s for s in signature if s != "x"]
    for c in cases:
        expected = np.asarray(reference(c), dtype=float).ravel()
        got = _call(student, _args(c, signature))
        if isinstance(got, _Raised):
            if isinstance(got.exc, NotImplementedError):
                raise _not_written(name)
            raise _failure(name, c, names, f"raised {got.describe()}", f"raised {type(got.exc).__name__}")
        if got is None:
            raise _failure(name, c, names, "returned None", "returned None", "did you forget the return statement?")
        arr = _as_floats(got)
        if arr is None:
            raise _failure(name, c, names, f"returned {short(got)}, which is not a number",
                           "returned something that is not a number")
        if arr.size == expected.size and _close(arr, expected, rtol, atol):
            continue
        misconception = _diagnose(student, reference, mistakes, cases, c, arr, expected, signature, rtol, atol)
        if arr.size != expected.size:
            more = "more" if arr.size > expected.size else "fewer"
            raise _failure(name, c, names, f"returned {arr.size} number(s) ({short(got)}), expected {expected.size}",
                           f"returned {more} numbers than expected", misconception)
        what = "returned nan (not a number)" if np.any(np.isnan(arr)) else "gives a wrong value"
        raise _failure(name, c, names, f"expected {_values_text(expected)}, got {_values_text(arr)}", what,
                       misconception)


def _matches(m: Mistake, c: Case, got: np.ndarray, expected: np.ndarray, rtol, atol) -> bool | None:
    """Whether ``got`` is what mistake ``m`` gives on case ``c`` (None: cannot tell on this case)."""
    pred = _quiet(m.predict, c, expected)
    pred = None if pred is None else _as_floats(pred)
    if pred is None or pred.size == 0 or np.any(np.isnan(pred)):
        return None  # the mistaken formula gives no number here
    if pred.shape == expected.shape and _close(pred, expected, rtol, atol):
        return None  # this mistake cannot be told apart from the truth here
    return _close(got, pred, max(rtol, 1e-6), atol)


def _diagnose(student, reference, mistakes, cases, failed, got, expected, signature, rtol, atol) -> str | None:
    """The known mistake that explains the student's answers, if one story fits.

    Candidates are the mistakes matching the first failing case; they are then
    checked on the other cases (up to 30), where two mistakes that coincide on
    one data set (a mean and the first observation, for x = [0, 0]) differ, and
    a mistake the student's other answers contradict is dropped; of the stories
    left, those the other cases confirm most often win. Two stories that no case
    tells apart are both named. With no story left, a student whose answer does
    not change with the inputs is told so.
    """
    others = [c for c in list(cases)[:30] if c is not failed]
    candidates = [m for m in mistakes if _matches(m, failed, got, expected, rtol, atol)]
    # A failing case where no mistake gives a number (the student's nan at N = 1 when dividing by
    # N - 1) tells nothing: then a story must fit the other cases, with evidence from at least one.
    undecided = not candidates
    if undecided:
        candidates = [m for m in mistakes if _matches(m, failed, got, expected, rtol, atol) is None]
    evidence = {id(m): 0 for m in candidates}
    for c in others:
        if not candidates:
            break
        exp = np.asarray(reference(c), dtype=float).ravel()
        g = _call(student, _args(c, signature))
        g = None if isinstance(g, _Raised) else _as_floats(g)
        if g is None or np.any(np.isnan(g)):
            continue  # a crash or a nan here says nothing about the formula
        verdicts = {id(m): _matches(m, c, g, exp, rtol, atol) for m in candidates}
        candidates = [m for m in candidates if verdicts[id(m)] is not False]  # a story the answers contradict is out
        for m in candidates:
            evidence[id(m)] += verdicts[id(m)] is True
    if undecided:
        candidates = [m for m in candidates if evidence[id(m)]]
    if candidates:  # of the stories that fit, those the other cases confirmed most often
        most = max(evidence[id(m)] for m in candidates)
        candidates = [m for m in candidates if evidence[id(m)] == most]
    if not candidates:
        return _CONSTANT if _constant(student, reference, others, got, expected, signature) else None
    messages = list(dict.fromkeys(m.message for m in candidates))
    return messages[0] if len(messages) == 1 else "one of these: " + "; or ".join(messages)


def _constant(student, reference, others, got, expected, signature) -> bool:
    """Does the student return ``got`` again on a case whose right answer differs?"""
    for c in others[:10]:
        exp = np.asarray(reference(c), dtype=float).ravel()
        if exp.shape == expected.shape and _close(exp, expected, 1e-6, 1e-12):
            continue  # the same right answer: this case tells nothing
        g = _call(student, _args(c, signature))
        g = None if isinstance(g, _Raised) else _as_floats(g)
        return g is not None and g.shape == got.shape and _close(g, got, 1e-12, 0.0)
    return False


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
        mistakes=_score_mistakes(family, coord),
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
        mistakes=_hessian_mistakes(family),
    )


def check_mle(student, family, cases, *, returns, name="mle", signature=("x",), rtol=1e-7, atol=1e-10) -> None:
    """The student's estimator ``student(x)`` against ``family.mle(x)``.

    ``returns`` names the estimates in the order the student returns them
    (one name: a single number or vector). ``signature``: the student's
    arguments, when there are more than the data (e.g. ``("x", "k")``, with
    ``k`` in each case's ``params``).
    """
    def estimate(c):
        if family.has_closed_form:
            return family.mle(c.x)
        from .fit import fit  # e.g. the Gamma shape: mlekit's numerical fit

        return fit(family, c.x).params

    def reference(c):
        est = estimate(c)
        return np.concatenate([np.ravel(est[r]) for r in returns])

    loglik_at_estimate = Mistake(
        "you returned the log-likelihood at the estimate, not the estimate itself",
        lambda c, e: family.loglik(c.x, **estimate(c)),
    )
    check_values(
        student,
        reference,
        cases,
        name=name,
        signature=signature,
        rtol=rtol,
        atol=atol,
        mistakes=[*_mle_mistakes(family, returns), loglik_at_estimate],
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
    _record(kind="derivative", student=score_fn, loglik=loglik_fn, cases=list(cases), wrt=wrt,
            signature=tuple(signature), name=name, loglik_name=loglik_name, rtol=rtol)
    names = [s for s in signature if s not in ("x", "X")]
    for c in cases:

        def ll(value):
            params = {**c.params, wrt: value}
            args = [c.student_x if s == "x" else params[s] for s in signature]
            got = _call(loglik_fn, args)
            if isinstance(got, _Raised) or got is None:
                said = "raised " + got.describe() if got is not None else "returned None"
                raise _failure(name, c, names, f"could not compare with finite differences because {loglik_name} {said}",
                               f"could not be compared with finite differences of {loglik_name}",
                               f"{loglik_name} {'raised ' + type(got.exc).__name__ if got is not None else 'returned None'}")
            arr = _as_floats(got)
            if arr is None or arr.size != 1 or not np.isfinite(arr[0]):
                raise _failure(name, c, names,
                               f"could not compare with finite differences: {loglik_name} returned {short(got)}",
                               f"could not be compared with finite differences of {loglik_name}",
                               f"{loglik_name} did not return one finite number")
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
        got = _call(score_fn, _args(c, signature))
        if isinstance(got, _Raised):
            if isinstance(got.exc, NotImplementedError):
                raise _not_written(name)
            raise _failure(name, c, names, f"raised {got.describe()}", f"raised {type(got.exc).__name__}")
        arr = _as_floats(got)
        if arr is None or arr.size != flat.size:
            raise _failure(name, c, names, f"returned {short(got)}, expected {flat.size} number(s)",
                           "did not return one number per parameter")
        if not (np.all(np.isfinite(arr)) and np.all(np.abs(arr - fd) <= tol)):
            misconception = None
            if np.all(np.isfinite(arr)) and np.all(np.abs(-arr - fd) <= tol):
                misconception = "it is the derivative with the wrong sign"
            raise _failure(
                name, c, names,
                f"your {name} {_values_text(arr)} is not the derivative of your {loglik_name} "
                f"(finite differences give {_values_text(fd)}); one of the two is wrong",
                f"is not the derivative of your {loglik_name} (one of the two is wrong)",
                misconception,
            )


def check_raises(student, bad_inputs: Sequence[tuple[str, tuple]], *, name: str, exception=ValueError) -> None:
    """Each ``(label, args)`` must make ``student(*args)`` raise ``exception`` (default ``ValueError``)."""
    _record(kind="raises", student=student, bad_inputs=list(bad_inputs), name=name, exception=exception)
    wanted = exception.__name__
    for label, args in bad_inputs:
        got = _call(student, args)
        shown = ", ".join(short(a, limit=40) for a in args)
        if isinstance(got, _Raised):
            if isinstance(got.exc, NotImplementedError):
                raise _not_written(name)
            if isinstance(got.exc, exception):
                continue
            did, what = f"raised {got.describe()}", f"raised {type(got.exc).__name__}"
        else:
            did, what = f"returned {short(got)}", "returned a value"
        raise CheckFailed(
            f"{name}({shown}) [{label}] {did}; expected a {wanted} with a message saying what is wrong.",
            f'{name} {what} on the bad input "{label}": expected a {wanted} with a message saying what is wrong',
        )


def check_close(
    name: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-10, mistakes: dict | None = None
) -> None:
    """A plain named value (e.g. ``MU_HAT``) against its expected value.

    ``mistakes`` maps a message to the value a known mistake gives; the message
    is shown when the student's value matches it. The expected value itself is
    not shown (it is the answer).
    """
    _record(kind="close", name=name, got=got, expected=expected, rtol=rtol, atol=atol, mistakes=dict(mistakes or {}))
    if got is None or (isinstance(got, str) and not got):
        raise CheckFailed(f"{name} is not set yet.", f"{name} is not set yet")
    arr = _as_floats(got)
    exp = np.asarray(expected, dtype=float).ravel()
    if arr is None or arr.size != exp.size:
        raise CheckFailed(f"{name} = {short(got)}; expected {exp.size} number(s).",
                          f"{name} does not hold the expected number of values")
    if not _close(arr, exp, rtol, atol):
        hint = f"{name} is not the right value"
        for message, value in (mistakes or {}).items():
            v = np.asarray(value, dtype=float).ravel()
            if v.shape == arr.shape and _close(arr, v, max(rtol, 1e-6), atol):
                hint += f": {message}"
                break
        raise CheckFailed(f"{name} = {_values_text(arr)} is not the right value.", hint)


# ----------------------------------------------------------------- self-check
_HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def check(notebook: str, part: str, *, namespace: dict | None = None) -> None:
    """The self-check of one part of a problem set: run its visible checks, print them in full.

    Reads the test cells of part ``part`` (grade ids starting with ``part + "_"``)
    from ``notebook`` (a file name, looked up in the working directory, which is
    the notebook's folder in Jupyter), runs their visible checks against the
    functions defined so far (``namespace``, by default the caller's globals:
    the notebook's), and prints one line per test cell, with every failure's
    whole message (``nbgrader validate`` cuts lines at about 90 characters).
    Nothing is graded here and nothing is raised. While nbgrader autogrades, it
    does nothing (the test cells themselves are what count).
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(f"self-check of ({part}): skipped while grading.")
        return
    path = Path(notebook)
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        print(f"self-check of ({part}): cannot read {notebook} in {Path.cwd()}; run the test cells below instead "
              "(an error there names what is wrong).")
        return
    tests = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and str(meta.get("grade_id", "")).startswith(f"{part}_"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            tests.append((meta["grade_id"], meta.get("points", 0), _HIDDEN_BLOCK.sub("", source)))
    if not tests:
        print(f"self-check of ({part}): {notebook} has no test cell for part ({part}).")
        return
    ns = dict(namespace if namespace is not None else sys._getframe(1).f_globals)
    passed = 0
    print(f"self-check of ({part}): the visible checks of {len(tests)} test cell(s)")
    for grade_id, points, source in tests:
        try:
            exec(compile(source, f"<visible checks of {grade_id}>", "exec"), dict(ns))
        except AssertionError as exc:
            print(f"  FAILED {grade_id} [{points:g} point(s)]:")
            print("    " + str(exc).replace("\n", "\n    "))
        except Exception as exc:  # e.g. NameError: a function not defined yet
            print(f"  FAILED {grade_id} [{points:g} point(s)]: {type(exc).__name__}: {exc}")
        else:
            passed += 1
            print(f"  passed {grade_id} [{points:g} point(s)]")
    print(f"{passed} of {len(tests)} passed. These are the visible checks only: more run when your work is graded, "
          "on many data sets and edge cases.")


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
        text = ("type your student id (your nbgrader user name) as a string, e.g. STUDENT_ID = \"jdoe\", "
                "then re-run the notebook")
        raise CheckFailed(f"STUDENT_ID = {short(declared)}: {text}.", f"STUDENT_ID is not set: {text}")
    actual = graded_student_id(assignment_id)
    if actual is not None and _normalise_id(actual) != _normalise_id(declared):
        text = "set STUDENT_ID to your own id and redo the questions on your own data set"
        raise CheckFailed(f"STUDENT_ID = {short(declared)}, but this submission belongs to {actual!r}: {text}.",
                          f"STUDENT_ID is not the id of this submission ({actual!r}): {text}")
    return _normalise_id(declared)

