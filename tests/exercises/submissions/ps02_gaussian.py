"""Submissions for ps02_gaussian (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 12  # the written answers (2 + 1 points) are graded by hand
MANUAL = {"e_written_bias": 2, "f_written_known": 1}

VARIANTS = {
    # The unbiased sample variance: mle, and the student's own estimate, are off by N/(N-1).
    "divides_by_n_minus_1": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.ptp(x) == 0:
        raise ValueError("mle: need finite data with at least two distinct values")
    return float(x.mean()), float(x.var(ddof=1))
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1, "d_mine_estimates": 2},
        messages={
            "c_mle_values": "you divided by N-1 instead of N",
            "d_mine_estimates": "you divided by N-1 instead of N",
        },
    ),
    # sigma2 used as the standard deviation in the log-likelihood (scipy's scale=): the score in mu is
    # then no longer the derivative of the student's own log-likelihood.
    "sigma2_used_as_sd": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(mu, sigma2, x):
    return float(np.sum(stats.norm.logpdf(x, loc=mu, scale=sigma2)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        messages={
            "a_loglik_values": "you used sigma2 as if it were the standard deviation sigma",
            "b_score_derivative": "is not the derivative of your log_likelihood",
        },
    ),
    "score_wrong_sign": dict(
        answers={
            "b_score_answer": '''
def score_mu(mu, sigma2, x):
    return float(np.sum(mu - np.asarray(x)) / sigma2)
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        messages={"b_score_values": "your score has the wrong sign"},
    ),
    # Someone else's data set: the student typed another id than their own.
    "wrong_student_id": dict(
        student_id="somebody-else",
        answers={},
        lost={"d_mine_estimates": 2, "d_mine_se": 1},
        messages={"d_mine_estimates": "belongs to 'wrong-student-id'", "d_mine_se": "set STUDENT_ID to your own id"},
    ),
    "se_without_square_root": dict(
        answers={
            "d_mine_answer": '''
MU_HAT, SIGMA2_HAT = mle(x_mine)
SE_MU = SIGMA2_HAT / len(x_mine)
''',
        },
        lost={"d_mine_se": 1},
        messages={"d_mine_se": "you forgot the square root"},
    ),
    # np.std for the variance: mle and the student's own estimate are sigma, not sigma2.
    "mle_returns_sigma": dict(
        answers={
            "c_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.ptp(x) == 0:
        raise ValueError("mle: need finite data with at least two distinct values")
    return float(x.mean()), float(x.std())
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1, "d_mine_estimates": 2},
        messages={"c_mle_values": "you returned the standard deviation sigma",
                  "d_mine_estimates": "you returned the standard deviation sigma"},
    ),
    # sum(x - mu) without the division by sigma2.
    "score_forgets_sigma2": dict(
        answers={
            "b_score_answer": '''
def score_mu(mu, sigma2, x):
    return float(np.sum(np.asarray(x, dtype=float) - mu))
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        messages={"b_score_values": "you forgot to divide by sigma2", "b_score_derivative": "is not the derivative"},
    ),
}

REFERENCE_USE = {
    "loglik_calls_scipy_norm": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(mu, sigma2, x):
    return float(np.sum(stats.norm.logpdf(x, loc=mu, scale=np.sqrt(sigma2))))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        calls="norm_gen",
    ),
    "score_calls_mlekit": dict(
        answers={
            "b_score_answer": '''
def score_mu(mu, sigma2, x):
    return float(mlekit.Normal().score(np.asarray(x, dtype=float), mu=mu, sigma2=sigma2)[0])
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1},
        calls="mlekit",
    ),
    "mle_calls_scipy_norm_fit": dict(
        answers={
            "c_mle_answer": '''
from scipy import stats

def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.ptp(x) == 0:
        raise ValueError("mle: need finite data with at least two distinct values")
    mu, sd = stats.norm.fit(x)
    return float(mu), float(sd**2)
''',
        },
        lost={"c_mle_values": 2, "c_mle_edges": 1, "d_mine_estimates": 2},
        calls="norm_gen",
    ),
}
