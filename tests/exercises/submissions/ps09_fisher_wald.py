"""Submissions for ps09_fisher_wald (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 7  # the written answer (3 points) is graded by hand
MANUAL = {"d_written_coverage": 3}

VARIANTS = {
    # The variance, not the standard error: the Wald interval built on it is wrong too.
    "se_without_square_root": dict(
        answers={
            "b_se_answer": '''
def standard_error(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("standard_error: x is empty")
    return float(x.mean() / x.size)
''',
        },
        lost={"b_se_values": 2, "b_se_edges": 1, "c_wald_values": 2},
        messages={"b_se_values": "you forgot the square root"},
    ),
    "fisher_information_is_lambda": dict(
        answers={
            "a_fisher_answer": '''
def fisher_information(lam):
    return lam
''',
            "b_se_answer": '''
def standard_error(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("standard_error: x is empty")
    return float(np.sqrt(x.mean() / x.size))
''',
        },
        lost={"a_fisher_values": 2},
        messages={"a_fisher_values": "you returned lambda"},
    ),
    "z_is_always_1_96": dict(
        answers={
            "c_wald_answer": '''
def wald_interval(x, level=0.95):
    lam_hat, se = np.mean(x), standard_error(x)
    return max(lam_hat - 1.96 * se, 0.0), lam_hat + 1.96 * se
''',
        },
        lost={"c_wald_values": 2},
        messages={"c_wald_values": "z depends on the level"},
    ),
}
