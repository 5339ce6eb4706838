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
