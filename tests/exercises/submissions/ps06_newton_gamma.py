"""Submissions for ps06_newton_gamma (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 8  # the written answer (2 points) is graded by hand
MANUAL = {"e_written_newton": 2}

_MLE_WITH_SCALE = '''
def gamma_mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("gamma_mle: data must be finite and positive")
    s = np.log(x.mean()) - np.log(x).mean()
    if not s > 0:
        raise ValueError("gamma_mle: all observations are equal")
    alpha = (3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(100):
        step = newton_step(alpha, x) - alpha
        while not alpha + step > 0:
            step /= 2
        alpha += step
        if abs(step) < 1e-10 * alpha:
            break
    return float(alpha), float(x.mean() / alpha)
'''

VARIANTS = {
    # alpha + l'/l'': Newton walks away from the root, and the MLE built on it is wrong too.
    "newton_steps_the_wrong_way": dict(
        answers={
            "c_step_answer": '''
def newton_step(alpha, x):
    x = np.asarray(x, dtype=float)
    second = x.size * (1.0 / alpha - special.polygamma(1, alpha))
    return float(alpha + profile_score(alpha, x) / second)
''',
        },
        lost={"c_step_values": 1, "d_mle_values": 2, "d_mle_edges": 1},
        messages={"c_step_values": "you stepped the wrong way"},
    ),
    # Score and second derivative both per observation: the Newton step is unchanged, the score is not.
    "profile_score_averaged": dict(
        answers={
            "b_score_answer": '''
def profile_score(alpha, x):
    x = np.asarray(x, dtype=float)
    s = np.log(x.mean()) - np.log(x).mean()
    return float(np.log(alpha) - special.digamma(alpha) - s)
''',
            "c_step_answer": '''
def newton_step(alpha, x):
    return float(alpha - profile_score(alpha, x) / (1.0 / alpha - special.polygamma(1, alpha)))
''',
        },
        lost={"b_score_values": 1, "b_score_derivative": 1},
        messages={"b_score_values": "you averaged: multiply by N"},
    ),
    "returns_the_scale": dict(
        answers={"d_mle_answer": _MLE_WITH_SCALE},
        lost={"d_mle_values": 2, "d_mle_edges": 1},
        messages={"d_mle_values": "scale vs rate"},
    ),
}
