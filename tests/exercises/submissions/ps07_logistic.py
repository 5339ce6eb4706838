"""Submissions for ps07_logistic (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 8  # the written answer (2 points) is graded by hand
MANUAL = {"d_written_separation": 2}

VARIANTS = {
    # log(1 + exp(eta)) overflows for eta > 709: right everywhere except the large-predictor edge case.
    "log1p_exp_overflows": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(beta, X, y):
    eta = np.asarray(X, dtype=float) @ np.asarray(beta, dtype=float)
    return float(np.sum(np.asarray(y) * eta - np.log(1 + np.exp(eta))))
''',
        },
        lost={"a_loglik_edges": 1},
        messages={"a_loglik_edges": "large linear predictors"},
    ),
    # (p - y) instead of (y - p): the Newton fit built on it walks downhill too.
    "gradient_wrong_sign": dict(
        answers={
            "b_gradient_answer": '''
def gradient(beta, X, y):
    X = np.asarray(X, dtype=float)
    return X.T @ (special.expit(X @ np.asarray(beta, dtype=float)) - np.asarray(y, dtype=float))
''',
        },
        lost={"b_gradient_values": 2, "b_gradient_derivative": 1, "c_fit_values": 2},
        messages={"b_gradient_values": "your gradient has the wrong sign", "b_gradient_derivative": "wrong sign"},
    ),
    # A single Newton step from zero: close, not converged (the input checks are right).
    "one_newton_step": dict(
        answers={
            "c_fit_answer": '''
def fit_logistic(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)) or y.shape != (X.shape[0],):
        raise ValueError("fit_logistic: X must be a finite 2-D array with one row per entry of y")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("fit_logistic: y must hold only 0 and 1")
    beta = np.zeros(X.shape[1])
    p = special.expit(X @ beta)
    info = X.T @ (X * (p * (1 - p))[:, None])
    return beta + np.linalg.solve(info, gradient(beta, X, y))
''',
        },
        lost={"c_fit_values": 2},
        messages={"c_fit_values": "that is the first Newton step from 0"},
    ),
    # The right Newton iterations with no input checks: a 2 in y gives numbers, not a ValueError.
    "fit_without_validation": dict(
        answers={
            "c_fit_answer": '''
def fit_logistic(X, y):
    X = np.asarray(X, dtype=float)
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        p = special.expit(X @ beta)
        info = X.T @ (X * (p * (1 - p))[:, None])
        step = np.linalg.solve(info, gradient(beta, X, y))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta
''',
        },
        lost={"c_fit_bad_input": 1},
        messages={"c_fit_bad_input": "expected a ValueError"},
    ),
    # The formula for labels -1/+1, -sum log(1 + exp(-y eta)), used on 0/1 labels.
    "loglik_for_plus_minus_one_labels": dict(
        answers={
            "a_loglik_answer": '''
def log_likelihood(beta, X, y):
    eta = np.asarray(X, dtype=float) @ np.asarray(beta, dtype=float)
    return float(-np.sum(np.logaddexp(0.0, -np.asarray(y) * eta)))
''',
        },
        lost={"a_loglik_values": 1, "a_loglik_edges": 1, "b_gradient_derivative": 1},
        messages={"a_loglik_values": "that is the formula for labels -1/+1",
                  "b_gradient_derivative": "is not the derivative of your log_likelihood"},
    ),
    # y - p, one number per observation, instead of X^T (y - p); the Newton fit built on it fails.
    "gradient_returns_residuals": dict(
        answers={
            "b_gradient_answer": '''
def gradient(beta, X, y):
    return np.asarray(y, dtype=float) - special.expit(np.asarray(X, dtype=float) @ np.asarray(beta, dtype=float))
''',
        },
        lost={"b_gradient_values": 2, "b_gradient_derivative": 1, "c_fit_values": 2},
        messages={"b_gradient_values": "you returned the residuals y - p",
                  "b_gradient_derivative": "did not return one number per parameter"},
    ),
}

REFERENCE_USE = {
    "fit_calls_statsmodels": dict(
        answers={
            "c_fit_answer": '''
import statsmodels.api as sm

def fit_logistic(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)) or y.shape != (X.shape[0],):
        raise ValueError("fit_logistic: X must be a finite 2-D array with one row per entry of y")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("fit_logistic: y must hold only 0 and 1")
    return np.asarray(sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100).params)
''',
        },
        lost={"c_fit_values": 2},
        calls="statsmodels",
    ),
    "fit_calls_scipy_optimize": dict(
        answers={
            "c_fit_answer": '''
from scipy import optimize

def fit_logistic(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)) or y.shape != (X.shape[0],):
        raise ValueError("fit_logistic: X must be a finite 2-D array with one row per entry of y")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("fit_logistic: y must hold only 0 and 1")

    def hessian(beta):
        p = special.expit(X @ beta)
        return -(X.T @ (X * (p * (1 - p))[:, None]))

    return optimize.root(lambda b: gradient(b, X, y), np.zeros(X.shape[1]), jac=hessian, tol=1e-14).x
''',
        },
        lost={"c_fit_values": 2},
        calls="scipy.optimize",
    ),
    "loglik_calls_scipy_bernoulli": dict(
        answers={
            "a_loglik_answer": '''
from scipy import stats

def log_likelihood(beta, X, y):
    eta = np.asarray(X, dtype=float) @ np.asarray(beta, dtype=float)
    return float(np.sum(stats.bernoulli.logpmf(np.asarray(y), special.expit(eta))))
''',
        },
        lost={"a_loglik_values": 1, "a_loglik_edges": 1, "b_gradient_derivative": 1},
        calls="bernoulli_gen",
    ),
}
