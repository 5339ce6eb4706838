"""Submissions for ps04_categorical (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 6  # the written answers (2 + 2 points) are graded by hand
MANUAL = {"c_written_constraint": 2, "d_written_zero": 2}

VARIANTS = {
    # Counts instead of proportions (right only for a single observation).
    "mle_returns_counts": dict(
        answers={
            "b_mle_answer": '''
def mle(x, k):
    x = np.asarray(x)
    if x.size == 0 or np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= k):
        raise ValueError("mle: codes must be integers in 0..k-1")
    return np.bincount(x.astype(int), minlength=k).astype(float)
''',
        },
        lost={"b_mle_values": 2, "b_mle_edges": 1},
        messages={"b_mle_values": "you returned the counts"},
    ),
    # np.unique forgets the categories nobody chose: the vector is too short.
    "mle_forgets_empty_categories": dict(
        answers={
            "b_mle_answer": '''
def mle(x, k):
    x = np.asarray(x)
    if x.size == 0 or np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= k):
        raise ValueError("mle: codes must be integers in 0..k-1")
    values, counts = np.unique(x, return_counts=True)
    return counts / x.size
''',
        },
        lost={"b_mle_values": 2, "b_mle_edges": 1},
        messages={"b_mle_values": "you left out the categories nobody chose"},
    ),
    "forgets_the_log": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(theta, x):
    theta = np.asarray(theta, dtype=float)
    return float(np.prod(theta[np.asarray(x, dtype=int)]))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1},
        messages={"a_loglik_values": "did you forget the log?"},
    ),
    # Categories read as 1..k: theta_j estimated by the share of x_i equal to j + 1.
    "codes_off_by_one": dict(
        answers={
            "b_mle_answer": '''
def mle(x, k):
    x = np.asarray(x)
    if x.size == 0 or np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= k):
        raise ValueError("mle: codes must be integers in 0..k-1")
    return np.array([np.mean(x == j) for j in range(1, k + 1)])
''',
        },
        lost={"b_mle_values": 2, "b_mle_edges": 1},
        messages={"b_mle_values": "your codes are off by one"},
    ),
    # The counts divided by the number of categories.
    "divides_by_k": dict(
        answers={
            "b_mle_answer": '''
def mle(x, k):
    x = np.asarray(x)
    if x.size == 0 or np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= k):
        raise ValueError("mle: codes must be integers in 0..k-1")
    return np.bincount(x.astype(int), minlength=k) / k
''',
        },
        lost={"b_mle_values": 2, "b_mle_edges": 1},
        messages={"b_mle_values": "you divided the counts by k"},
    ),
}

REFERENCE_USE = {
    "loglik_calls_mlekit": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(theta, x):
    theta = np.asarray(theta, dtype=float)
    return float(mlekit.Categorical(k=theta.size).loglik(np.asarray(x), theta=theta))
''',
        },
        lost={"a_loglik_values": 2, "a_loglik_edges": 1},
        calls="mlekit",
    ),
    "mle_calls_mlekit": dict(
        answers={
            "b_mle_answer": '''
def mle(x, k):
    x = np.asarray(x)
    if x.size == 0 or np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= k):
        raise ValueError("mle: codes must be integers in 0..k-1")
    return mlekit.Categorical(k=k).mle(x.astype(int))["theta"]
''',
        },
        lost={"b_mle_values": 2, "b_mle_edges": 1},
        calls="mlekit",
    ),
}
