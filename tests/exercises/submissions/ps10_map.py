"""Submissions for ps10_map (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 7  # the written answer (3 points) is graded by hand
MANUAL = {"d_written_pseudocounts": 3}

VARIANTS = {
    "map_is_the_posterior_mean": dict(
        answers={
            "b_map_answer": '''
def map_estimate(x, a, b):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or a < 1 or b < 1:
        raise ValueError("map_estimate: need data and a, b >= 1")
    return float((x.sum() + a) / (x.size + a + b))
''',
        },
        lost={"b_map_values": 2, "b_map_edges": 1},
        messages={"b_map_values": "that is the posterior mean"},
    ),
    "prior_exponents_a_and_b": dict(
        answers={
            "a_logpost_answer": '''
def log_posterior(p, x, a, b):
    x = np.asarray(x, dtype=float)
    s, n = x.sum(), x.size
    return float((s + a) * np.log(p) + (n - s + b) * np.log1p(-p))
''',
        },
        lost={"a_logpost_values": 2},
        messages={"a_logpost_values": "you added a and b instead of a - 1 and b - 1"},
    ),
    "mean_is_the_mode": dict(
        answers={
            "c_mean_answer": '''
def posterior_mean(x, a, b):
    x = np.asarray(x, dtype=float)
    return float((x.sum() + a - 1) / (x.size + a + b - 2))
''',
        },
        lost={"c_mean_values": 2},
        messages={"c_mean_values": "that is the posterior mode"},
    ),
    # b - 1 pseudo-successes and a - 1 pseudo-failures; right whenever a = b.
    "map_swaps_a_and_b": dict(
        answers={
            "b_map_answer": '''
def map_estimate(x, a, b):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or a < 1 or b < 1:
        raise ValueError("map_estimate: need data and a, b >= 1")
    return float((x.sum() + b - 1) / (x.size + a + b - 2))
''',
        },
        lost={"b_map_values": 2, "b_map_edges": 1},
        messages={"b_map_values": "you swapped a and b"},
    ),
    "mean_forgets_the_prior": dict(
        answers={
            "c_mean_answer": '''
def posterior_mean(x, a, b):
    return float(np.mean(x))
''',
        },
        lost={"c_mean_values": 2},
        messages={"c_mean_values": "that is the MLE: the prior is missing"},
    ),
}

REFERENCE_USE = {
    "map_calls_mlekit_fit": dict(
        answers={
            "b_map_answer": '''
def map_estimate(x, a, b):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or a < 1 or b < 1:
        raise ValueError("map_estimate: need data and a, b >= 1")
    return float(mlekit.fit(mlekit.Bernoulli(), x, prior=mlekit.BetaPrior(a, b)).params["p"])
''',
        },
        lost={"b_map_values": 2, "b_map_edges": 1},
        calls="mlekit",
    ),
    "mean_calls_scipy_beta": dict(
        answers={
            "c_mean_answer": '''
from scipy import stats

def posterior_mean(x, a, b):
    x = np.asarray(x, dtype=float)
    return float(stats.beta(a + x.sum(), b + x.size - x.sum()).mean())
''',
        },
        lost={"c_mean_values": 2},
        calls="beta_gen",
    ),
    "log_posterior_calls_scipy_bernoulli": dict(
        answers={
            "a_logpost_answer": '''
from scipy import stats

def log_posterior(p, x, a, b):
    return float(np.sum(stats.bernoulli.logpmf(np.asarray(x), p)) + (a - 1) * np.log(p) + (b - 1) * np.log1p(-p))
''',
        },
        lost={"a_logpost_values": 2},
        calls="bernoulli_gen",
    ),
}
