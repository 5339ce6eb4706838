"""Unit tests of mlekit.grading, the helpers the exercise test cells call.

References: scipy.stats (bernoulli, norm, expon, poisson) for the correct
functions; the "mistaken" functions are written out here, one per known mistake.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from mlekit import Bernoulli, Exponential, Normal, Poisson, grading

BERN_CASES = grading.random_cases(Bernoulli(), seed=1, n_sets=12)


def bern_loglik(p, x):  # correct, via scipy.stats
    return float(np.sum(stats.bernoulli.logpmf(np.asarray(x), p)))


def bern_score(p, x):
    x = np.asarray(x, float)
    return x.sum() / p - (x.size - x.sum()) / (1 - p)


def assert_fails(fn, *args, match, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    assert match in str(info.value), str(info.value)
    return str(info.value)


def test_correct_loglik_passes_and_writes_nothing(capfd):
    cases = BERN_CASES + [grading.case("all zeros at p = 0", [0, 0], p=0.0), grading.case("a one at p = 0", [1], p=0.0)]
    assert grading.check_loglik(bern_loglik, Bernoulli(), cases, signature=("p", "x")) is None
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_warning_student_code_is_silenced(capfd):
    # np.log(0) warns (an error under this suite's filterwarnings=error) but the answer is right.
    def loglik(p, x):
        x = np.asarray(x)
        return float(np.sum(np.where(x == 1, np.log(p), np.log(1 - p))))

    grading.check_loglik(loglik, Bernoulli(), [grading.case("all zeros at p = 0", [0, 0, 0], p=0.0)], signature=("p", "x"))
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda p, x: float(np.exp(bern_loglik(p, x))), "did you forget the log?"),
        (lambda p, x: -bern_loglik(p, x), "wrong sign"),
        (lambda p, x: bern_loglik(p, x) / len(x), "a sum, not a mean"),
        (lambda p, x: bern_loglik(p, np.asarray(x)[:1]), "first observation only"),
    ],
)
def test_loglik_mistakes_are_named(wrong, hint):
    assert_fails(grading.check_loglik, wrong, Bernoulli(), BERN_CASES, signature=("p", "x"), match=hint)


def test_poisson_dropped_constant_and_exponential_scale_vs_rate():
    from scipy.special import gammaln

    pois = grading.random_cases(Poisson(), seed=2, n_sets=5)
    assert_fails(
        grading.check_loglik,
        lambda lam, x: float(np.sum(np.asarray(x) * np.log(lam) - lam)),
        Poisson(), pois, signature=("lam", "x"), match="-log(x!)",
    )
    grading.check_loglik(
        lambda lam, x: float(np.sum(stats.poisson.logpmf(x, lam))), Poisson(), pois, signature=("lam", "x")
    )
    assert gammaln(1.0) == 0.0
    expo = grading.random_cases(Exponential(), seed=3, n_sets=5)
    assert_fails(
        grading.check_loglik,
        lambda rate, x: float(np.sum(stats.expon.logpdf(x, scale=rate))),  # scale where 1/rate belongs
        Exponential(), expo, signature=("rate", "x"), match="scale vs rate",
    )


def test_score_sign_and_derivative_checks():
    grading.check_score(bern_score, Bernoulli(), BERN_CASES, signature=("p", "x"))
    assert_fails(grading.check_score, lambda p, x: -bern_score(p, x), Bernoulli(), BERN_CASES,
                 signature=("p", "x"), match="your score has the wrong sign")
    grading.check_score_is_derivative(bern_score, bern_loglik, BERN_CASES, wrt="p", signature=("p", "x"))
    msg = assert_fails(grading.check_score_is_derivative, lambda p, x: -bern_score(p, x), bern_loglik, BERN_CASES,
                       wrt="p", signature=("p", "x"), match="is not the derivative of your log_likelihood")
    assert "wrong sign" in msg
    # A wrong log-likelihood makes even the right score inconsistent with it.
    assert_fails(grading.check_score_is_derivative, bern_score, lambda p, x: 2 * bern_loglik(p, x), BERN_CASES,
                 wrt="p", signature=("p", "x"), match="one of the two is wrong")


def test_mle_mistakes_are_named():
    bern = grading.random_cases(Bernoulli(), seed=4, n_sets=8, sizes=(5, 20))
    grading.check_mle(lambda x: float(np.mean(x)), Bernoulli(), bern, returns=("p",))
    assert_fails(grading.check_mle, lambda x: float(np.log(np.mean(x))), Bernoulli(), bern, returns=("p",),
                 match="you returned log p instead of p")
    norm = grading.random_cases(Normal(), seed=5, n_sets=6, sizes=(3, 10, 50))
    # reference: scipy.stats.norm.fit returns (mean, sd) with the 1/N variance
    grading.check_mle(lambda x: (stats.norm.fit(x)[0], stats.norm.fit(x)[1] ** 2), Normal(), norm,
                      returns=("mu", "sigma2"), rtol=1e-6)
    assert_fails(grading.check_mle, lambda x: (np.mean(x), np.var(x, ddof=1)), Normal(), norm,
                 returns=("mu", "sigma2"), match="you divided by N-1 instead of N")
    assert_fails(grading.check_mle, lambda x: (np.mean(x), np.std(x)), Normal(), norm,
                 returns=("mu", "sigma2"), match="standard deviation sigma")
    expo = grading.random_cases(Exponential(), seed=6, n_sets=5)
    assert_fails(grading.check_mle, lambda x: float(np.mean(x)), Exponential(), expo, returns=("rate",),
                 match="scale vs rate")


def test_messages_for_unfinished_or_odd_answers():
    def stub(p, x):
        raise NotImplementedError()

    assert_fails(grading.check_loglik, stub, Bernoulli(), BERN_CASES, signature=("p", "x"), match="not written yet")
    assert_fails(grading.check_loglik, lambda p, x: None, Bernoulli(), BERN_CASES, signature=("p", "x"),
                 match="forget the return")
    assert_fails(grading.check_loglik, lambda p, x: "high", Bernoulli(), BERN_CASES, signature=("p", "x"),
                 match="not a number")
    assert_fails(grading.check_loglik, lambda p, x: 1 / 0, Bernoulli(), BERN_CASES, signature=("p", "x"),
                 match="raised ZeroDivisionError")
    assert_fails(grading.check_loglik, 3.0, Bernoulli(), BERN_CASES, signature=("p", "x"), match="should be a function")
    # nan never passes, even next to -inf answers
    assert_fails(grading.check_loglik, lambda p, x: float("nan"), Bernoulli(),
                 [grading.case("a one at p = 0", [1], p=0.0)], signature=("p", "x"), match="got nan")


def test_feedback_is_short_even_for_huge_outputs():
    big = grading.case("a long data set", np.ones(10_000, dtype=int), p=0.5)
    msg = assert_fails(grading.check_loglik, lambda p, x: np.arange(10_000.0), Bernoulli(), [big],
                       signature=("p", "x"), match="returned 10000 number(s)")
    assert len(msg) < 400
    assert "10000 values" in msg
    assert len(grading.short("x" * 10_000)) == grading.MAX_REPR


def test_student_cannot_modify_the_cases():
    cases = [grading.case("small", np.array([0, 1, 1]), p=0.5), grading.case("a list", [0, 1, 1], p=0.5)]

    def vandal(p, x):
        x[:] = [0, 0, 0]
        return bern_loglik(p, [0, 1, 1])

    grading.check_loglik(vandal, Bernoulli(), cases, signature=("p", "x"))
    grading.check_loglik(vandal, Bernoulli(), cases, signature=("p", "x"))  # again: the cases are intact
    assert list(cases[0].x) == [0, 1, 1] and cases[1].given == [0, 1, 1]


def test_a_case_built_from_a_list_passes_the_list():
    """A hidden case labelled "a list, not an array" gives the student a list (issue 15, item 15)."""
    received = []

    def loglik(p, x):
        received.append(type(x))
        return bern_loglik(p, x)

    cases = [grading.case("a list, not an array", [1, 0, 1], p=0.4), grading.case("a tuple", (1, 1), p=0.4),
             grading.case("an array", np.array([0, 1]), p=0.4)]
    grading.check_loglik(loglik, Bernoulli(), cases, signature=("p", "x"))
    assert received == [list, tuple, np.ndarray]

    def array_only(p, x):
        return float(x.sum() * np.log(p) + (x.size - x.sum()) * np.log1p(-p))

    assert_fails(grading.check_loglik, array_only, Bernoulli(), cases[:1], signature=("p", "x"),
                 match="raised AttributeError")


def test_check_raises():
    def good(x):
        if len(x) == 0:
            raise ValueError("empty")
        return float(np.mean(x))

    grading.check_raises(good, [("empty", ([],))], name="mle")
    assert_fails(grading.check_raises, lambda x: float(np.mean(x)), [("empty", (np.array([]),))], name="mle",
                 match="returned nan; expected a ValueError")
    assert_fails(grading.check_raises, lambda x: x[0], [("empty", ([],))], name="mle", match="raised IndexError")


def test_check_close():
    grading.check_close("MU_HAT", 1.0 + 1e-12, 1.0)
    assert_fails(grading.check_close, "MU_HAT", 1.1, 1.0, match="MU_HAT = 1.1")
    assert_fails(grading.check_close, "MU_HAT", None, 1.0, match="not set yet")


def test_student_seed_is_stable_across_processes():
    # Python's hash() changes with PYTHONHASHSEED; the seed must not.
    code = "from mlekit import grading; print(grading.student_seed('ps02', 'jdoe'))"
    seeds = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": h}).stdout.strip()
        for h in ("1", "2")
    }
    assert seeds == {str(grading.student_seed("ps02", "jdoe"))}
    assert grading.student_seed("ps02", " JDoe ") == grading.student_seed("ps02", "jdoe")
    assert grading.student_seed("ps02", "jdoe") != grading.student_seed("ps02", "jdoe2")
    assert grading.student_seed("ps03", "jdoe") != grading.student_seed("ps02", "jdoe")
    with pytest.raises(ValueError, match="student id"):
        grading.student_seed("ps02", "")


def test_graded_student_id_and_check(tmp_path, monkeypatch):
    monkeypatch.delenv("MLEKIT_STUDENT_ID", raising=False)
    work = tmp_path / "autograded" / "jdoe" / "ps02_gaussian"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert grading.graded_student_id("ps02_gaussian") is None  # a student running it themselves
    assert grading.check_student_id("anyone", "ps02_gaussian") == "anyone"
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert grading.graded_student_id("ps02_gaussian") == "jdoe"
    assert grading.check_student_id("JDoe", "ps02_gaussian") == "jdoe"
    assert_fails(grading.check_student_id, "alice", "ps02_gaussian", match="belongs to 'jdoe'")
    assert_fails(grading.check_student_id, "", "ps02_gaussian", match="type your student id")
    monkeypatch.setenv("MLEKIT_STUDENT_ID", "bob")
    assert grading.graded_student_id("ps02_gaussian") == "bob"


def test_hessian_and_component_score():
    expo = grading.random_cases(Exponential(), seed=7, n_sets=6)
    # Exponential: l''(rate) = -N / rate^2, written out
    grading.check_hessian(lambda rate, x: -len(x) / rate**2, Exponential(), expo, signature=("rate", "x"))
    assert_fails(grading.check_hessian, lambda rate, x: len(x) / rate**2, Exponential(), expo, signature=("rate", "x"),
                 match="your Hessian has the wrong sign")
    norm = grading.random_cases(Normal(), seed=8, n_sets=6)
    # d/dmu of the normal log-likelihood: sum(x - mu) / sigma2, written out
    grading.check_score(lambda mu, s2, x: np.sum(x - mu) / s2, Normal(), norm, signature=("mu", "sigma2", "x"), coord="mu")
    assert_fails(grading.check_score, lambda mu, s2, x: np.sum(mu - x) / s2, Normal(), norm,
                 signature=("mu", "sigma2", "x"), coord="mu", match="wrong sign")


def test_vector_gradient_against_own_loglik():
    from scipy.special import expit, log_expit

    rng = np.random.default_rng(9)
    X = np.column_stack([np.ones(30), rng.normal(size=30)])
    y = (rng.random(30) < 0.5).astype(int)
    cases = [grading.case("logistic", y, beta=np.array([0.2, -0.7]), X=X)]

    def loglik(beta, X, y):  # logistic log-likelihood via scipy.special.log_expit
        eta = X @ beta
        return float(np.sum(y * log_expit(eta) + (1 - y) * log_expit(-eta)))

    def grad(beta, X, y):
        return X.T @ (y - expit(X @ beta))

    grading.check_score_is_derivative(grad, loglik, cases, wrt="beta", signature=("beta", "X", "x"), name="gradient")
    assert_fails(grading.check_score_is_derivative, lambda b, X, y: -grad(b, X, y), loglik, cases, wrt="beta",
                 signature=("beta", "X", "x"), name="gradient", match="wrong sign")


def test_mle_without_closed_form_uses_the_numerical_fit():
    from mlekit import Gamma

    cases = grading.random_cases(Gamma(), seed=10, n_sets=4, sizes=(20, 200))

    def scipy_gamma(x):  # scipy.stats.gamma.fit with the location fixed at 0: (shape, loc, scale)
        a, _, scale = stats.gamma.fit(x, floc=0)
        return a, 1 / scale

    grading.check_mle(scipy_gamma, Gamma(), cases, returns=("shape", "rate"), rtol=1e-5)
    assert_fails(grading.check_mle, lambda x: (scipy_gamma(x)[0], 1 / scipy_gamma(x)[1]), Gamma(), cases,
                 returns=("shape", "rate"), rtol=1e-5, match="scale vs rate")


def test_check_close_names_a_known_mistake_without_the_answer():
    msg = assert_fails(grading.check_close, "SIGMA2_HAT", 2.5, 2.0, mistakes={"you divided by N-1 instead of N": 2.5},
                       match="you divided by N-1 instead of N")
    assert "2.0" not in msg and " 2 " not in msg


def test_student_data_is_per_student_and_reproducible():
    a1 = grading.student_data("ps02_gaussian", "jdoe")["x"]
    a2 = grading.student_data("ps02_gaussian", "JDoe ")["x"]
    b = grading.student_data("ps02_gaussian", "alice")["x"]
    assert np.array_equal(a1, a2) and not np.array_equal(a1, b) and a1.shape == (40,)
    counts = grading.student_data("ps03_poisson", "jdoe")["x"]
    assert counts.shape == (24,) and counts.dtype.kind == "i" and counts.min() >= 0
    with pytest.raises(ValueError, match="no per-student data"):
        grading.student_data("ps01_bernoulli", "jdoe")
    with pytest.raises(ValueError, match="student id"):
        grading.student_data("ps02_gaussian", "")


# ------------------------------------------------ hints (issue 15, items 10-12)
def test_a_failure_carries_a_hint_that_quotes_no_input():
    case = grading.case("random data set 3 of 30", np.array([0, 1, 1, 1, 0, 1]), p=0.3141)
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_loglik(lambda p, x: float(np.exp(bern_loglik(p, x))), Bernoulli(), [case], signature=("p", "x"))
    exc = info.value
    assert isinstance(exc, AssertionError)
    assert str(exc).endswith("\nHint: " + exc.hint)
    assert "0.3141" in str(exc) and "expected" in str(exc)  # the full message quotes the case
    assert exc.hint == ('log_likelihood gives a wrong value on the case "random data set 3 of 30": '
                        "your log-likelihood equals the likelihood itself: did you forget the log?")
    assert "0.3141" not in exc.hint and "[0, 1" not in exc.hint


def test_a_constant_answer_is_named():
    cases = grading.random_cases(Bernoulli(), seed=11, n_sets=5, sizes=(4, 9))
    msg = assert_fails(grading.check_mle, lambda x: 0.625, Bernoulli(), cases, returns=("p",), match="same answer")
    assert "x_try" in msg  # the global-variable version of the same mistake


def test_a_mistake_changing_the_number_of_values_is_named():
    from mlekit import Categorical

    def unique_counts(x, k):  # np.unique: the categories nobody chose are missing
        _, counts = np.unique(np.asarray(x), return_counts=True)
        return counts / len(x)

    cases = [grading.case("no 0", np.array([1, 1, 2]), k=3)]
    msg = assert_fails(grading.check_mle, unique_counts, Categorical(k=3), cases, returns=("theta",),
                       signature=("x", "k"), match="left out the categories nobody chose")
    assert "fewer numbers than expected" in msg


def test_n_minus_1_is_named_although_the_failing_case_has_one_observation():
    # With N = 1, sum / (N - 1) is nan: the failing case cannot tell; the other cases do.
    cases = [grading.case("a single observation", np.array([2])), *grading.random_cases(Poisson(), seed=12, n_sets=4,
                                                                                       sizes=(5, 30))]

    def over_n_minus_1(x):
        x = np.asarray(x, dtype=float)
        return float(x.sum() / (x.size - 1)) if x.size > 1 else float("nan")

    msg = assert_fails(grading.check_mle, over_n_minus_1, Poisson(), cases, returns=("lam",), match="returned nan")
    assert "you divided the sum by N-1 instead of N" in msg


def test_two_mistakes_no_case_tells_apart_are_both_named():
    # Exponential, N = 2 at rate 1/2: -N/rate (square forgotten) = -1/rate^2 (averaged) = -4 (issue 15, item 10).
    case = grading.case("two points", np.array([1.0, 3.0]), rate=0.5)
    msg = assert_fails(grading.check_hessian, lambda rate, x: -len(x) / rate, Exponential(), [case],
                       signature=("rate", "x"), match="one of these")
    assert "you forgot the square" in msg and "you averaged" in msg
    # A third point tells them apart: the hint names the square alone.
    case = grading.case("three points", np.array([1.0, 2.0, 4.0]), rate=0.5)
    msg = assert_fails(grading.check_hessian, lambda rate, x: -len(x) / rate, Exponential(), [case],
                       signature=("rate", "x"), match="you forgot the square")
    assert "averaged" not in msg


def test_check_raises_and_check_close_hints():
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_raises(lambda x: float(np.mean(x)), [("a 2 in the data", (np.array([0, 1, 2]),))], name="mle")
    assert info.value.hint == 'mle returned a value on the bad input "a 2 in the data": expected a ValueError with a message saying what is wrong'
    with pytest.raises(grading.CheckFailed) as info:
        grading.check_close("SIGMA2_HAT", 2.5, 2.0, mistakes={"you divided by N-1 instead of N": 2.5})
    assert info.value.hint == "SIGMA2_HAT is not the right value: you divided by N-1 instead of N"
    assert "2.0" not in str(info.value)


def test_recording_captures_each_check():
    cases = [grading.case("one", np.array([1, 0]), p=0.5)]
    with grading._recording() as checks:
        grading.check_loglik(bern_loglik, Bernoulli(), cases, signature=("p", "x"))
        grading.check_raises(lambda x: 1 / 0, [("zero", (0,))], name="f", exception=ZeroDivisionError)
    assert [c["kind"] for c in checks] == ["values", "raises"]
    assert checks[0]["cases"] == cases and checks[0]["mistakes"] and checks[0]["signature"] == ("p", "x")
    grading.check_loglik(bern_loglik, Bernoulli(), cases, signature=("p", "x"))  # outside: nothing recorded
    assert len(checks) == 2
