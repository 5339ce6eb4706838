"""Submissions for ps05_recipe_exponential (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 11  # the written answers (2 + 2 points) are graded by hand
MANUAL = {"e_written_curvature": 2, "f_written_scale": 2}

VARIANTS = {
    # The mean waiting time (scipy's scale) returned as the rate.
    "mle_returns_the_scale": dict(
        answers={
            "d_mle_answer": '''
def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or x.sum() == 0:
        raise ValueError("mle: need waiting times >= 0, not all zero")
    return float(x.mean())
''',
        },
        lost={"d_mle_values": 2, "d_mle_edges": 1},
        messages={"d_mle_values": "scale vs rate"},
    ),
    # scipy.stats.expon with scale=rate: a wrong log-likelihood, so the right score no longer matches it.
    "loglik_uses_rate_as_scale": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(rate, x):
    return float(np.sum(stats.expon.logpdf(x, scale=rate)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        messages={"a_loglik_values": "scale vs rate", "b_score_derivative": "is not the derivative of your log_likelihood"},
    ),
    "hessian_wrong_sign": dict(
        answers={
            "c_hessian_answer": '''
def hessian(rate, x):
    return float(len(x) / rate**2)
''',
        },
        lost={"c_hessian_values": 1, "c_hessian_derivative": 1},
        messages={"c_hessian_values": "your Hessian has the wrong sign", "c_hessian_derivative": "wrong sign"},
    ),
    # d/drate (N / rate) taken as -N / rate: the square forgotten.
    "hessian_forgets_the_square": dict(
        answers={
            "c_hessian_answer": '''
def hessian(rate, x):
    return float(-len(x) / rate)
''',
        },
        lost={"c_hessian_values": 1, "c_hessian_derivative": 1},
        messages={"c_hessian_values": "you forgot the square", "c_hessian_derivative": "is not the derivative of your score"},
    ),
}

REFERENCE_USE = {
    "loglik_calls_scipy_expon": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(rate, x):
    return float(np.sum(stats.expon.logpdf(x, scale=1 / rate)))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1, "b_score_derivative": 1},
        calls="expon_gen",
    ),
    "score_calls_mlekit": dict(
        answers={
            "b_score_answer": '''
def score(rate, x):
    return float(mlekit.Exponential().score(np.asarray(x, dtype=float), rate=rate)[0])
''',
        },
        lost={"b_score_values": 2, "b_score_derivative": 1, "c_hessian_derivative": 1},
        calls="mlekit",
    ),
    "hessian_calls_mlekit": dict(
        answers={
            "c_hessian_answer": '''
def hessian(rate, x):
    return float(mlekit.Exponential().hessian(np.asarray(x, dtype=float), rate=rate)[0, 0])
''',
        },
        lost={"c_hessian_values": 1, "c_hessian_derivative": 1},
        calls="mlekit",
    ),
    "mle_calls_scipy_expon_fit": dict(
        answers={
            "d_mle_answer": '''
from scipy import stats

def mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or x.sum() == 0:
        raise ValueError("mle: need waiting times >= 0, not all zero")
    loc, scale = stats.expon.fit(x, floc=0)
    return float(1 / scale)
''',
        },
        lost={"d_mle_values": 2, "d_mle_edges": 1},
        calls="expon_gen",
    ),
}
