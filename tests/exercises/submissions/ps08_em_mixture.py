"""Submissions for ps08_em_mixture (see ps01_bernoulli.py for the format)."""

AUTO_POINTS = 10  # the written answers (5 points) are graded by hand
MANUAL = {"e_written_em": 5}

VARIANTS = {
    # w_j N(x_i) without dividing by the row sum: EM built on it goes wrong as well.
    "e_step_not_normalised": dict(
        answers={
            "b_estep_answer": '''
def e_step(x, w, mu, sigma2):
    x = np.asarray(x, dtype=float)[:, None]
    return w * stats.norm.pdf(x, loc=mu, scale=np.sqrt(sigma2))
''',
        },
        lost={"b_estep_values": 2, "b_estep_edges": 1, "d_em_values": 2},
        messages={"b_estep_values": "you forgot to normalise"},
    ),
    # Densities instead of logs: 0/0 = nan for a point far from every component, fine elsewhere.
    "e_step_underflows": dict(
        answers={
            "b_estep_answer": '''
def e_step(x, w, mu, sigma2):
    x = np.asarray(x, dtype=float)[:, None]
    dens = w * stats.norm.pdf(x, loc=mu, scale=np.sqrt(sigma2))
    return dens / dens.sum(axis=1, keepdims=True)
''',
        },
        lost={"b_estep_edges": 1},
        messages={"b_estep_edges": "a point far from every component"},
    ),
    "m_step_divides_by_nj_minus_1": dict(
        answers={
            "c_mstep_answer": '''
def m_step(x, r):
    x = np.asarray(x, dtype=float)
    r = np.asarray(r, dtype=float)
    nk = r.sum(axis=0)
    mu = r.T @ x / nk
    sigma2 = (r * (x[:, None] - mu) ** 2).sum(axis=0) / (nk - 1)
    return nk / x.size, mu, sigma2
''',
        },
        lost={"c_mstep_values": 2, "d_em_values": 2},
        messages={"c_mstep_values": "you divided the variances by N_j - 1"},
    ),
    # The right EM loop with no input checks: a NaN in x runs all 5000 steps on nan and returns nan.
    # log N(x_i) summed without log w_j: the weights left out of the log-likelihood; EM, which stops on
    # the change of that log-likelihood, stops at another point.
    "loglik_forgets_the_weights": dict(
        answers={
            "a_loglik_answer": '''
def mixture_loglik(x, w, mu, sigma2):
    x = np.asarray(x, dtype=float)[:, None]
    return float(special.logsumexp(stats.norm.logpdf(x, loc=mu, scale=np.sqrt(sigma2)), axis=1).sum())
''',
        },
        lost={"a_loglik_values": 1, "a_loglik_edges": 1, "d_em_values": 2},
        messages={"a_loglik_values": "you left out the weights w_j", "a_loglik_edges": "a point far from every component"},
    ),
    # N_j for the weights, not N_j / N: EM still finds the means and variances, not the weights.
    "m_step_weights_are_counts": dict(
        answers={
            "c_mstep_answer": '''
def m_step(x, r):
    x = np.asarray(x, dtype=float)
    r = np.asarray(r, dtype=float)
    nk = r.sum(axis=0)
    mu = r.T @ x / nk
    sigma2 = (r * (x[:, None] - mu) ** 2).sum(axis=0) / nk
    return nk, mu, sigma2
''',
        },
        lost={"c_mstep_values": 2, "d_em_values": 2},
        messages={"c_mstep_values": "the weights are N_j / N, not N_j"},
    ),
    "em_without_validation": dict(
        answers={
            "d_em_answer": '''
def em(x, w, mu, sigma2):
    x = np.asarray(x, dtype=float)
    old = mixture_loglik(x, w, mu, sigma2)
    for _ in range(5000):
        w, mu, sigma2 = m_step(x, e_step(x, w, mu, sigma2))
        new = mixture_loglik(x, w, mu, sigma2)
        if new - old < 1e-10 * x.size:
            break
        old = new
    return w, mu, sigma2
''',
        },
        lost={"d_em_bad_input": 1},
        messages={"d_em_bad_input": "expected a ValueError"},
    ),
}

_EM_CHECKS = '''
    x = np.asarray(x, dtype=float)
    w, mu, sigma2 = (np.asarray(v, dtype=float) for v in (w, mu, sigma2))
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("em: x must be a non-empty 1-D array of finite numbers")
    k = w.size
    if k == 0 or not w.shape == mu.shape == sigma2.shape == (k,) or k > x.size:
        raise ValueError("em: w, mu and sigma2 must be 1-D arrays of one length k, 1 <= k <= len(x)")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(w)) and np.all(w > 0)
            and np.all(np.isfinite(sigma2)) and np.all(sigma2 > 0)):
        raise ValueError("em: the start must be finite, with weights > 0 and variances > 0")
'''

REFERENCE_USE = {
    "em_calls_mlekit": dict(
        answers={
            "d_em_answer": "def em(x, w, mu, sigma2):" + _EM_CHECKS + '''
    from mlekit.models import gaussian_mixture

    p = gaussian_mixture(x, k, init={"weights": w, "means": mu, "covariances": sigma2}).params
    return p["weights"], p["means"], p["covariances"]
''',
        },
        lost={"d_em_values": 2},
        calls="mlekit",
    ),
    "em_calls_sklearn": dict(
        answers={
            "d_em_answer": "def em(x, w, mu, sigma2):" + _EM_CHECKS + '''
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(k, weights_init=w, means_init=mu[:, None], precisions_init=(1 / sigma2)[:, None, None],
                         tol=1e-12, reg_covar=0.0, max_iter=5000).fit(x[:, None])
    return gm.weights_, gm.means_.ravel(), gm.covariances_.ravel()
''',
        },
        lost={"d_em_values": 2},
        calls="sklearn",
    ),
}
