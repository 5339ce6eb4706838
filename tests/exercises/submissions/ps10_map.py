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
}
