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
    # 1.96 at the 95% level only, the exact quantile elsewhere: the hint says it is the rounding.
    "z_rounded_at_95": dict(
        answers={
            "c_wald_answer": '''
def wald_interval(x, level=0.95):
    z = 1.96 if level == 0.95 else stats.norm.ppf((1 + level) / 2)
    lam_hat, se = np.mean(x), standard_error(x)
    return max(lam_hat - z * se, 0.0), lam_hat + z * se
''',
        },
        lost={"c_wald_values": 2},
        messages={"c_wald_values": "a rounded quantile"},
    ),
    # sqrt(lam_hat) / N: divided by N where sqrt(N) belongs; right for a single observation.
    "se_divides_by_n": dict(
        answers={
            "b_se_answer": '''
def standard_error(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("standard_error: x is empty")
    return float(np.sqrt(x.mean()) / x.size)
''',
        },
        lost={"b_se_values": 2, "c_wald_values": 2},
        messages={"b_se_values": "you divided by N, not by sqrt(N)"},
    ),
}

REFERENCE_USE = {
    "fisher_calls_mlekit": dict(
        answers={
            "a_fisher_answer": '''
def fisher_information(lam):
    return float(mlekit.Poisson().fisher_information(lam=lam)[0, 0])
''',
        },
        lost={"a_fisher_values": 2, "b_se_values": 2, "b_se_edges": 1, "c_wald_values": 2},
        calls="mlekit",
    ),
    "se_calls_mlekit_fit": dict(
        answers={
            "b_se_answer": '''
def standard_error(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("standard_error: x is empty")
    return float(mlekit.fit(mlekit.Poisson(), x).se["lam"])
''',
        },
        lost={"b_se_values": 2, "b_se_edges": 1, "c_wald_values": 2},
        calls="mlekit",
    ),
    "wald_calls_mlekit_conf_int": dict(
        answers={
            "c_wald_answer": '''
def wald_interval(x, level=0.95):
    lower, upper = mlekit.fit(mlekit.Poisson(), np.asarray(x, dtype=float)).conf_int(level=level)["lam"]
    return float(lower), float(upper)
''',
        },
        lost={"c_wald_values": 2},
        calls="mlekit",
    ),
    "se_calls_statsmodels": dict(
        answers={
            "b_se_answer": '''
import statsmodels.api as sm

def standard_error(x):
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("standard_error: x is empty")
    if x.sum() == 0:
        return 0.0
    fit = sm.GLM(x, np.ones((x.size, 1)), family=sm.families.Poisson()).fit(tol=1e-14)
    return float(np.exp(fit.params[0]) * fit.bse[0])  # delta method from log(lam) to lam
''',
        },
        lost={"b_se_values": 2, "b_se_edges": 1, "c_wald_values": 2},
        calls="statsmodels",
    ),
}
