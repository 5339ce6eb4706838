"""Submissions for ps03_poisson (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 11  # the written answers (2 + 2 points) are graded by hand
MANUAL = {"e_written_invariance": 2, "f_written_dispersion": 2}

VARIANTS = {
    # The -log x! constant dropped: the value is wrong, its derivative (the score check) is not.
    "drops_log_factorial": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(lam, x):
    from scipy.special import xlogy
    x = np.asarray(x, dtype=float)
    return float(np.sum(xlogy(x, lam)) - x.size * lam)
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1},
        messages={"a_loglik_values": "you dropped the -log(x!) term"},
    ),
    # log(factorial(x)) overflows to inf for x > 170: only the large-count edge case fails.
    "factorial_overflow": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(lam, x):
    from scipy.special import factorial, xlogy
    x = np.asarray(x, dtype=float)
    return float(np.sum(xlogy(x, lam) - np.log(factorial(x))) - x.size * lam)
''',
        },
        lost={"a_loglik_edges": 1},
        messages={"a_loglik_edges": "a large count"},
    ),
    "score_is_a_mean": dict(
        answers={
            "b_score_answer": '''
def score(lam, x):
    x = np.asarray(x, dtype=float)
    return float(x.mean() / lam - 1.0)
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        messages={"b_score_values": "the score is a sum, not a mean"},
    ),
    "p_zero_from_the_data": dict(
        answers={
            "d_mine_answer": '''
LAM_HAT = mle(x_mine)
P_ZERO_HAT = np.mean(x_mine == 0)
''',
        },
        lost={"d_mine_pzero": 1},
        messages={"d_mine_pzero": "invariance"},
    ),
    # The maximum of the log-likelihood instead of where it is reached.
    "mle_returns_the_loglik": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("mle: counts must be whole numbers >= 0")
    return log_likelihood(x.mean(), x)
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1, "d_mine_lam": 1, "d_mine_pzero": 1},
        messages={"c_mle_values": "you returned the log-likelihood at the estimate, not the estimate itself"},
    ),
    # d/dlam of -N lam taken as -1.
    "score_minus_one": dict(
        answers={
            "b_score_answer": '''
def score(lam, x):
    return float(np.sum(x) / lam - 1)
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        messages={"b_score_values": "the derivative of -N lam is -N, not -1"},
    ),
}

REFERENCE_USE = {
    "loglik_calls_scipy_poisson": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(lam, x):
    return float(np.sum(stats.poisson.logpmf(x, lam)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        calls="poisson_gen",
    ),
    "score_calls_mlekit": dict(
        answers={
            "b_score_answer": '''
def score(lam, x):
    return float(mlekit.Poisson().score(np.asarray(x), lam=lam)[0])
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
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("mle: counts must be whole numbers >= 0")
    return float(mlekit.fit(mlekit.Poisson(), x).params["lam"])
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1, "d_mine_lam": 1},
        calls="mlekit",
    ),
}
