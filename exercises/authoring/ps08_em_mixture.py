"""Problem set 8: a two-component Gaussian mixture by EM (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps08_em_mixture"
RULES = dict(optimize=True)
FORBIDDEN = policy(["mixture_loglik", "e_step", "m_step", "em"], **RULES)

_CASES = '''
def mixture_cases(seed, n_sets, sizes=(1, 5, 50, 300)):
    """Random 1-D data and mixture parameters (k = 2 or 3) at which to evaluate."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_sets):
        k, n = 2 + i % 2, sizes[i % len(sizes)]
        w = rng.dirichlet(np.full(k, 3.0))
        mu = np.sort(rng.uniform(-5, 5, size=k))
        s2 = rng.uniform(0.3, 4.0, size=k)
        z = rng.choice(k, size=n, p=w)
        x = rng.normal(mu[z], np.sqrt(s2[z]))
        out.append(grading.case(f"random data set {i + 1} of {n_sets} (n={n}, k={k})", x, w=w, mu=mu, sigma2=s2))
    return out
'''


def _indent(text, n=8):
    return "\n".join((" " * n + line) if line else "" for line in text.strip("\n").splitlines())


_REF = '''
def log_joint(c):  # log w_j + log N(x_i; mu_j, sigma2_j), an n x k matrix, from scipy.stats
    x = np.asarray(c.x, float)[:, None]
    return np.log(c.params["w"]) + stats.norm.logpdf(x, loc=c.params["mu"], scale=np.sqrt(c.params["sigma2"]))
'''

cells = [
    md(
        r"""
        # Problem set 8: mixtures and the EM algorithm

        A mixture of $k$ normal components: $f(x) = \sum_j w_j\, N(x; \mu_j, \sigma_j^2)$, weights $w_j > 0$
        summing to 1. The log-likelihood $\ell = \sum_i \log \sum_j w_j N(x_i; \mu_j, \sigma^2_j)$ has no
        closed-form maximum; EM climbs it by alternating

        - **E-step**: responsibilities $r_{ij} = w_j N(x_i;\mu_j,\sigma_j^2) / \sum_l w_l N(x_i;\mu_l,\sigma_l^2)$;
        - **M-step**: $N_j = \sum_i r_{ij}$, $w_j = N_j/N$, $\mu_j = \sum_i r_{ij}x_i/N_j$,
          $\sigma_j^2 = \sum_i r_{ij}(x_i - \mu_j)^2/N_j$.

        You write (a) the log-likelihood, (b) the E-step, (c) the M-step, (d) EM, and (e) answer questions in
        words. **15 points**: 10 checked by the autograder, 5 graded by hand.

        *Numerics.* Far from every component, each density underflows to $0$ and $0/0$ is `nan`. Work with logs:
        `scipy.special.logsumexp(a, axis=1)` computes $\log\sum_j e^{a_{ij}}$ safely.

        """,
        rules(**RULES, allowed="`scipy.stats.norm.logpdf` (the normal log-density) and `scipy.special.logsumexp` "
              "are allowed: they are the ones you will want; the EM iterations are yours to write."),
        """
        After each part, a *self-check* cell runs that part's visible checks and prints what they say in full.
        """,
    ),
    code(
        """
        import numpy as np
        import mlekit
        from mlekit import grading
        from scipy import special, stats
        """
    ),
    md("## (a) The log-likelihood — 2 points\n\nWrite `mixture_loglik(x, w, mu, sigma2)` (arrays `w`, `mu`, `sigma2` of length $k$)."),
    solution(
        "a_loglik_answer",
        '''
        def mixture_loglik(x, w, mu, sigma2):
            """Log-likelihood of 1-D data ``x`` under a mixture of normals."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)[:, None]
            a = np.log(w) + stats.norm.logpdf(x, loc=mu, scale=np.sqrt(sigma2))
            return float(special.logsumexp(a, axis=1).sum())
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        1,
        f"""
        # (a) the mixture log-likelihood [1 point]
        import numpy as np
        from scipy import special, stats
        from mlekit import grading
{_indent(_REF)}

        def reference(c):
            return special.logsumexp(log_joint(c), axis=1).sum()

        def without_weights(c, e):  # sum_i log sum_j N(x_i; mu_j, sigma2_j)
            k = len(c.params["w"])
            return reference(grading.case("", c.x, w=np.full(k, 1 / k), mu=c.params["mu"], sigma2=c.params["sigma2"])) + c.n * np.log(k)

        mistakes = [grading.Mistake("you summed the log-densities of the components: the log of a sum is not a sum of logs",
                                    lambda c, e: np.sum(log_joint(c))),
                    grading.Mistake("you left out the weights w_j", without_weights),
                    grading.Mistake("you averaged over the observations: the log-likelihood is a sum, not a mean", lambda c, e: e / c.n)]
        c = grading.case
        grading.check_values(mixture_loglik, reference, [c("two points", [0.0, 3.0], w=np.array([0.5, 0.5]), mu=np.array([0.0, 3.0]), sigma2=np.array([1.0, 1.0]))],
                             name="mixture_loglik", signature=("x", "w", "mu", "sigma2"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(mixture_loglik, reference, mixture_cases(1801, 24), name="mixture_loglik",
                             signature=("x", "w", "mu", "sigma2"), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        f"""
        # (a) edge cases: a point far from every component, one component [1 point]
        import numpy as np
        from scipy import special, stats
        from mlekit import grading
{_indent(_REF)}

        def reference(c):
            return special.logsumexp(log_joint(c), axis=1).sum()

        c = grading.case
        grading.check_values(mixture_loglik, reference, [c("one component", [0.5, -1.0], w=np.array([1.0]), mu=np.array([0.0]), sigma2=np.array([2.0]))],
                             name="mixture_loglik", signature=("x", "w", "mu", "sigma2"))
        ### BEGIN HIDDEN TESTS
        edge = [c("a point far from every component", [0.0, 60.0], w=np.array([0.3, 0.7]), mu=np.array([0.0, 2.0]), sigma2=np.array([1.0, 0.5])),
                c("a single observation", [1.0], w=np.array([0.2, 0.8]), mu=np.array([-1.0, 1.0]), sigma2=np.array([1.0, 1.0]))]
        grading.check_values(mixture_loglik, reference, edge, name="mixture_loglik", signature=("x", "w", "mu", "sigma2"))
        ### END HIDDEN TESTS
        """,
    ),
    md("## (b) The E-step — 3 points\n\nWrite `e_step(x, w, mu, sigma2)` returning the $N \\times k$ matrix of responsibilities."),
    solution(
        "b_estep_answer",
        '''
        def e_step(x, w, mu, sigma2):
            """Responsibilities r[i, j] = P(component j | x_i) under a mixture of normals."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)[:, None]
            a = np.log(w) + stats.norm.logpdf(x, loc=mu, scale=np.sqrt(sigma2))
            return np.exp(a - special.logsumexp(a, axis=1, keepdims=True))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_estep_values",
        2,
        f"""
        # (b) the responsibilities [2 points]
        import numpy as np
        from scipy import special, stats
        from mlekit import grading
{_indent(_REF)}

        def reference(c):
            a = log_joint(c)
            return np.exp(a - special.logsumexp(a, axis=1, keepdims=True))

        mistakes = [grading.Mistake("you forgot to normalise: each row of responsibilities must sum to 1",
                                    lambda c, e: np.exp(log_joint(c)).ravel()),
                    grading.Mistake("you left out the weights w_j", lambda c, e: reference(grading.case("", c.x, w=np.full(len(c.params["w"]), 1 / len(c.params["w"])),
                                                                                                        mu=c.params["mu"], sigma2=c.params["sigma2"])).ravel())]
        c = grading.case
        grading.check_values(e_step, reference, [c("two points", np.array([0.0, 3.0]), w=np.array([0.3, 0.7]), mu=np.array([0.0, 3.0]), sigma2=np.array([1.0, 1.0]))],
                             name="e_step", signature=("x", "w", "mu", "sigma2"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(e_step, reference, mixture_cases(1802, 24), name="e_step", signature=("x", "w", "mu", "sigma2"),
                             mistakes=mistakes, atol=1e-10)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_estep_edges",
        1,
        f"""
        # (b) edge cases: a point far from every component (no nan) [1 point]
        import numpy as np
        from scipy import special, stats
        from mlekit import grading
{_indent(_REF)}

        def reference(c):
            a = log_joint(c)
            return np.exp(a - special.logsumexp(a, axis=1, keepdims=True))

        c = grading.case
        grading.check_values(e_step, reference, [c("one component", [0.5, -1.0], w=np.array([1.0]), mu=np.array([0.0]), sigma2=np.array([2.0]))],
                             name="e_step", signature=("x", "w", "mu", "sigma2"))
        ### BEGIN HIDDEN TESTS
        edge = [c("a point far from every component", [0.0, 60.0], w=np.array([0.3, 0.7]), mu=np.array([0.0, 2.0]), sigma2=np.array([1.0, 0.5])),
                c("a point far out on the left", [-80.0, 1.0], w=np.array([0.5, 0.5]), mu=np.array([0.0, 2.0]), sigma2=np.array([1.0, 4.0]))]
        grading.check_values(e_step, reference, edge, name="e_step", signature=("x", "w", "mu", "sigma2"), atol=1e-10)
        ### END HIDDEN TESTS
        """,
    ),
    md("## (c) The M-step — 2 points\n\nWrite `m_step(x, r)` returning `(w, mu, sigma2)`, three arrays of length $k$."),
    solution(
        "c_mstep_answer",
        '''
        def m_step(x, r):
            """Weighted estimates (w, mu, sigma2) of a normal mixture from responsibilities ``r`` (N x k)."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            r = np.asarray(r, dtype=float)
            nk = r.sum(axis=0)
            mu = r.T @ x / nk
            sigma2 = (r * (x[:, None] - mu) ** 2).sum(axis=0) / nk
            return nk / x.size, mu, sigma2
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_mstep_values",
        2,
        """
        # (c) the M-step [2 points]
        import numpy as np
        from mlekit import Normal, grading

        def reference(c):  # weights; weighted means; weighted variances (divided by N_j), written out
            x, r = np.asarray(c.x, float), c.params["r"]
            nk = r.sum(axis=0)
            mu = (r * x[:, None]).sum(axis=0) / nk
            s2 = (r * (x[:, None] - mu) ** 2).sum(axis=0) / nk
            return np.concatenate([nk / len(x), mu, s2])

        def m_step_flat(x, r):  # m_step's three arrays, one after the other
            return np.concatenate([np.ravel(v) for v in m_step(x, r)])

        mistakes = [
            grading.Mistake("you divided the variances by N_j - 1: the M-step divides by N_j",
                            lambda c, e: np.concatenate([e[:-len(e) // 3], e[-len(e) // 3:] * (lambda nk: nk / (nk - 1))(c.params["r"].sum(axis=0))])),
            grading.Mistake("the weights are N_j / N, not N_j", lambda c, e: np.concatenate([e[:len(e) // 3] * c.n, e[len(e) // 3:]]))]
        # Visible check: with responsibilities all 0 or 1 the M-step is the MLE of each group (mlekit's Normal().mle).
        x = np.array([0.0, 1.0, 2.0, 10.0, 12.0])
        r = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 2)
        a, b = Normal().mle(x[:3]), Normal().mle(x[3:])
        assert np.allclose(reference(grading.case("", x, r=r)), [0.6, 0.4, a["mu"], b["mu"], a["sigma2"], b["sigma2"]])
        grading.check_values(m_step_flat, reference, [grading.case("hard assignments: three points, then two", x, r=r)],
                             name="m_step", signature=("x", "r"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
        rng = np.random.default_rng(1803)
        cases = []
        for i in range(20):
            n, k = (3, 10, 100, 500)[i % 4], 2 + i % 2
            cases.append(grading.case(f"random responsibilities {i + 1} of 20 (n={n}, k={k})", rng.normal(0, 3, size=n),
                                      r=rng.dirichlet(np.ones(k), size=n)))
        grading.check_values(m_step_flat, reference, cases, name="m_step", signature=("x", "r"), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) EM — 3 points

        Write `em(x, w, mu, sigma2)`: from the given start, alternate your `e_step` and `m_step` until the
        log-likelihood increases by less than $10^{-10} N$ (at most 5000 steps), and return `(w, mu, sigma2)`.
        Before iterating, check the input and raise a `ValueError` with a clear message when `x` is empty or
        holds NaN or infinity, when `w`, `mu` and `sigma2` are not three arrays of the same length $k \ge 1$,
        when there are more components than observations ($k > N$), or when the start is not finite or has a
        weight or a variance $\le 0$.
        """
    ),
    solution(
        "d_em_answer",
        '''
        def em(x, w, mu, sigma2):
            """EM for a 1-D normal mixture from the start (w, mu, sigma2); returns the fitted (w, mu, sigma2).

            Raises
            ------
            ValueError
                If ``x`` is empty or not finite, ``w``, ``mu`` and ``sigma2`` are not of one length
                k >= 1, k > len(x), or the start is not finite or has a weight or variance <= 0.
            """
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            w, mu, sigma2 = (np.asarray(v, dtype=float) for v in (w, mu, sigma2))
            if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
                raise ValueError("em: x must be a non-empty 1-D array of finite numbers")
            k = w.size
            if k == 0 or not w.shape == mu.shape == sigma2.shape == (k,):
                raise ValueError("em: w, mu and sigma2 must be 1-D arrays of the same length k >= 1")
            if k > x.size:
                raise ValueError(f"em: k = {k} components but only {x.size} observations")
            if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(w)) and np.all(w > 0)
                    and np.all(np.isfinite(sigma2)) and np.all(sigma2 > 0)):
                raise ValueError("em: the start must be finite, with weights > 0 and variances > 0")
            old = mixture_loglik(x, w, mu, sigma2)
            for _ in range(5000):
                w, mu, sigma2 = m_step(x, e_step(x, w, mu, sigma2))
                new = mixture_loglik(x, w, mu, sigma2)
                if new - old < 1e-10 * x.size:
                    break
                old = new
            return w, mu, sigma2
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "d"),
    code(
        """
        # Try it on Old Faithful's waiting times (minutes), and compare with mlekit (allowed here).
        from mlekit.models import gaussian_mixture

        waiting = mlekit.datasets.load_old_faithful()["waiting"].to_numpy(dtype=float)
        start = (np.array([0.5, 0.5]), np.array([waiting.min(), waiting.max()]), np.full(2, waiting.var()))
        print(em(waiting, *start))
        print(gaussian_mixture(waiting, 2, rng=0).params)
        """
    ),
    tests(
        "d_em_values",
        2,
        """
        # (d) EM from a given start, against mlekit.models.gaussian_mixture from the same start [2 points]
        import numpy as np
        from mlekit import grading
        from mlekit.models import gaussian_mixture

        def start(x):
            return np.array([0.5, 0.5]), np.array([x.min(), x.max()]), np.full(2, x.var())

        def reference(c):
            w, mu, s2 = start(c.x)
            p = gaussian_mixture(c.x, 2, init={"weights": w, "means": mu, "covariances": s2}).params
            return np.concatenate([p["weights"], p["means"], p["covariances"]])

        def em_from_start(x):
            return np.concatenate([np.ravel(v) for v in em(x, *start(x))])

        def cases(seed, n_sets):
            rng = np.random.default_rng(seed)
            out = []
            for i in range(n_sets):
                n1, n2 = rng.integers(80, 300, size=2)
                x = np.concatenate([rng.normal(0, 1, n1), rng.normal(rng.uniform(4, 8), rng.uniform(0.5, 2), n2)])
                out.append(grading.case(f"two well-separated groups {i + 1} of {n_sets} (n={n1 + n2})", x))
            return out

        grading.check_values(em_from_start, reference, cases(1804, 1), name="em", signature=("x",), rtol=1e-4, atol=1e-4)
        ### BEGIN HIDDEN TESTS
        grading.check_values(em_from_start, reference, cases(1805, 6), name="em", signature=("x",), rtol=1e-4, atol=1e-4)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "d_em_bad_input",
        1,
        """
        # (d) bad input [1 point]
        import numpy as np
        from mlekit import grading

        x = np.array([-1.0, -0.5, 0.2, 3.0, 3.5, 4.1])
        w, mu, s2 = np.array([0.5, 0.5]), np.array([0.0, 3.0]), np.array([1.0, 1.0])
        grading.check_raises(em, [("a NaN in x", (np.array([-1.0, np.nan, 0.2, 3.0]), w, mu, s2))], name="em")
        ### BEGIN HIDDEN TESTS
        bad = [("empty data", (np.array([]), w, mu, s2)), ("an infinity in x", (np.array([0.0, np.inf, 3.0]), w, mu, s2)),
               ("no components (k = 0)", (x, np.array([]), np.array([]), np.array([]))),
               ("three means for two weights", (x, w, np.array([0.0, 1.5, 3.0]), s2)),
               ("more components than observations (k = 3, N = 2)", (x[:2], np.full(3, 1 / 3), np.array([-1.0, 0.0, 1.0]), np.ones(3))),
               ("a zero weight", (x, np.array([0.0, 1.0]), mu, s2)), ("a negative variance", (x, w, mu, np.array([1.0, -1.0]))),
               ("a zero variance", (x, w, mu, np.array([0.0, 1.0]))), ("a NaN mean", (x, w, np.array([0.0, np.nan]), s2))]
        grading.check_raises(em, bad, name="em")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (e) In words — 5 points (graded by hand)

        1. (2 points) Put one component's mean exactly on one observation and let its variance shrink to 0. What
           happens to the log-likelihood? What does this mean for "the" MLE of a mixture, and how do software
           packages guard against it?
        2. (3 points) Run your `em` on the Old Faithful waiting times from two different starts. Do you always get
           the same answer? Why can EM stop at different points, and what would you do in practice?
        """
    ),
    written(
        "e_written_em",
        5,
        r"""
        1. That component contributes $w_j N(x_i; x_i, \sigma^2) = w_j/\sqrt{2\pi\sigma^2} \to \infty$ to one term,
           while the other component keeps every other term finite: the log-likelihood is unbounded, so the global
           MLE does not exist (it is a degenerate "collapse"). Software floors the variances (mlekit:
           `min_variance`), adds a small ridge (scikit-learn's `reg_covar`), uses a prior (MAP), or restarts when a
           component collapses; we look for a good *local* maximum.
        2. Not always: EM increases the likelihood at each step and stops at a stationary point, which can be a local
           maximum or a saddle (e.g. a start with both means equal stays symmetric). In practice: several starts,
           keep the highest log-likelihood (mlekit's `n_init`), check that the components make sense.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
