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
    # (alpha - 1) sum(log x) written alpha sum(log x): a constant dropped; the profile score is unchanged.
    "profile_drops_the_constant": dict(
        answers={
            "a_profile_answer": '''
def profile_loglik(alpha, x):
    x = np.asarray(x, dtype=float)
    n, xbar = x.size, x.mean()
    beta = alpha / xbar
    return float(n * (alpha * np.log(beta) - special.gammaln(alpha)) + alpha * np.log(x).sum() - beta * x.sum())
''',
        },
        lost={"a_profile_values": 2},
        messages={"a_profile_values": "you dropped the constant -sum(log x)"},
    ),
}

REFERENCE_USE = {
    "profile_calls_scipy_gamma": dict(
        answers={
            "a_profile_answer": '''
from scipy import stats

def profile_loglik(alpha, x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(stats.gamma.logpdf(x, alpha, scale=x.mean() / alpha)))
''',
        },
        lost={"a_profile_values": 2, "b_score_derivative": 1},
        calls="gamma_gen",
    ),
    # At beta = alpha / mean(x) the score in beta vanishes, so mlekit's score in the shape is the profile score.
    "profile_score_calls_mlekit": dict(
        answers={
            "b_score_answer": '''
def profile_score(alpha, x):
    x = np.asarray(x, dtype=float)
    return float(mlekit.Gamma().score(x, shape=alpha, rate=alpha / x.mean())[0])
''',
        },
        lost={"b_score_values": 1, "b_score_derivative": 1, "c_step_values": 1, "d_mle_values": 2, "d_mle_edges": 1},
        calls="mlekit",
    ),
    "gamma_mle_calls_mlekit_fit": dict(
        answers={
            "d_mle_answer": '''
def gamma_mle(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0) or np.ptp(x) == 0:
        raise ValueError("gamma_mle: data must be finite, positive and not all equal")
    params = mlekit.fit(mlekit.Gamma(), x).params
    return float(params["shape"]), float(params["rate"])
''',
        },
        lost={"d_mle_values": 2, "d_mle_edges": 1},
        calls="mlekit",
    ),
    "newton_step_calls_scipy_optimize": dict(
        answers={
            "c_step_answer": '''
from scipy import optimize

def newton_step(alpha, x):
    x = np.asarray(x, dtype=float)
    second = x.size * (1.0 / alpha - special.polygamma(1, alpha))
    return float(optimize.newton(lambda a: profile_score(a, x), alpha, fprime=lambda a: second, maxiter=1, disp=False))
''',
        },
        lost={"c_step_values": 1, "d_mle_values": 2, "d_mle_edges": 1},
        calls="scipy.optimize",
    ),
}
