"""Submissions for ps01_bernoulli: the reference, the untouched release, and known mistakes.

Each mistake replaces some answer cells of the reference solution; ``lost`` lists
the test cells it must fail (each worth its points in the notebook), and
``messages`` what the feedback of a failed cell must say (for a failure inside a
hidden test, the feedback shows only the check's hint, so the message must be
part of it). Scores are documented in exercises/README.md ("Partial scores").
A mistake whose score differs under the hardened grader (it runs something the
notebook's reference-use policy forbids) gives ``hardened_lost`` as well.

``REFERENCE_USE``: submissions that call a forbidden reference (mlekit, a
scipy.stats distribution or fit, statsmodels, ...) instead of deriving. Plain
nbgrader gives them full marks; the hardened grader fails each call that
reaches the reference (``ReferenceUsed``), so they lose ``lost``, and its report
names a target containing ``calls``. They are not part of the plain-nbgrader
pipeline's expectations (tests/exercises/test_policies.py checks them against an
emulation of the guard).
"""

AUTO_POINTS = 9  # the written answer (1 point) is graded by hand
MANUAL = {"d_written": 1}

VARIANTS = {
    "forgets_log": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(p, x):
    x = np.asarray(x, dtype=float)
    return float(np.prod(p**x * (1 - p) ** (1 - x)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        messages={
            "a_loglik_values": "did you forget the log?",
            "b_score_derivative": "is not the derivative of your log_likelihood",
        },
    ),
    "score_wrong_sign": dict(
        answers={
            "b_score_answer": '''
def score(p, x):
    x = np.asarray(x, dtype=float)
    return float((x.size - x.sum()) / (1 - p) - x.sum() / p)
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        messages={"b_score_values": "your score has the wrong sign", "b_score_derivative": "wrong sign"},
    ),
    "mle_returns_log_p": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all((x == 0) | (x == 1)):
        raise ValueError("mle: x must be a non-empty array of 0/1 outcomes")
    return float(np.log(np.mean(x)))
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1},
        messages={"c_mle_values": "you returned log p instead of p"},
    ),
    # np.log(0) * 0 is nan: the textbook formula without the 0 log 0 = 0 convention.
    "naive_log_at_boundary": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(p, x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p)))
''',
        },
        lost={"a_loglik_edges": 1},
        messages={"a_loglik_edges": "all zeros at p = 0"},
    ),
    # Correct, but np.log(0) raises a RuntimeWarning at p = 0 or 1: warnings cost nothing.
    "correct_with_warnings": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(p, x):
    x = np.asarray(x)
    return float(np.sum(np.where(x == 1, np.log(p), np.log(1 - p))))
''',
            "c_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all((x == 0) | (x == 1)):
        raise ValueError("mle: x must be a non-empty array of 0/1 outcomes")
    np.log(x)  # a pointless log(0) that warns
    return float(np.mean(x))
''',
        },
        lost={},
        messages={},
    ),
    "mle_without_validation": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    return float(np.mean(x))
''',
        },
        lost={"c_mle_edges": 1},
        messages={"c_mle_edges": "expected a ValueError"},
    ),
    # The visible check's answer (5 successes in 8), typed in: right on the visible check only.
    "hard_codes_the_visible_answer": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    return 0.625
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1},
        messages={"c_mle_values": "returns the same answer for different inputs", "c_mle_edges": "expected a ValueError"},
    ),
    # d/dp log(1 - p) taken as +1/(1 - p).
    "score_chain_rule_sign": dict(
        answers={
            "b_score_answer": '''
def score(p, x):
    x = np.asarray(x, dtype=float)
    return float(x.sum() / p + (x.size - x.sum()) / (1 - p))
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        messages={"b_score_values": "mind the minus sign of the chain rule",
                  "b_score_derivative": "is not the derivative of your log_likelihood"},
    ),
    # Only the successes: sum x_i log p, the (1 - x_i) log(1 - p) term forgotten.
    "loglik_forgets_the_failures": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(p, x):
    from scipy.special import xlogy
    return float(np.sum(xlogy(np.asarray(x, dtype=float), p)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        messages={"a_loglik_values": "you left out the failures", "a_loglik_edges": "you left out the failures"},
    ),
}

REFERENCE_USE = {
    "loglik_calls_mlekit": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(p, x):
    return float(mlekit.Bernoulli().loglik(np.asarray(x), p=p))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        calls="mlekit",
    ),
    "score_calls_mlekit": dict(
        answers={
            "b_score_answer": '''
def score(p, x):
    return float(mlekit.Bernoulli().score(np.asarray(x), p=p)[0])
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        calls="mlekit",
    ),
    "mle_calls_mlekit_fit": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all((x == 0) | (x == 1)):
        raise ValueError("mle: x must be a non-empty array of 0/1 outcomes")
    return float(mlekit.fit(mlekit.Bernoulli(), x).params["p"])
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1},
        calls="mlekit",
    ),
    "loglik_calls_scipy_bernoulli": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(p, x):
    return float(np.sum(stats.bernoulli.logpmf(np.asarray(x), p)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        calls="bernoulli_gen",
    ),
}
