"""Problem set 4: the Categorical likelihood (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps04_categorical"
RULES = dict(distributions=("multinomial",))
FORBIDDEN = policy(["log_likelihood", "mle"], **RULES)

cells = [
    md(
        r"""
        # Problem set 4: categories and the Categorical likelihood

        Each observation falls in one of $k$ categories, coded $0, 1, \dots, k-1$; category $j$ has probability
        $\theta_j$, with $\theta_j \ge 0$ and $\sum_j \theta_j = 1$. With $n_j$ the number of observations in
        category $j$, the log-likelihood is $\ell(\theta) = \sum_j n_j \log \theta_j$.

        You write (a) the log-likelihood and (b) the MLE, then (c, d) answer two questions in words.
        **10 points**: 6 checked by the autograder, 4 graded by hand.
        """,
        rules(**RULES, allowed="`np.bincount(x, minlength=k)` counts the categories; `scipy.special.xlogy` "
              "computes $n \\log\\theta$ with $0 \\log 0 = 0$."),
        """
        After each part, a *self-check* cell runs that part's visible checks and prints what they say in full.
        """,
    ),
    code(
        """
        import numpy as np
        import mlekit
        from mlekit import grading
        """
    ),
    md(
        r"""
        ## (a) The log-likelihood — 3 points

        Write `log_likelihood(theta, x)`, with `theta` a vector of $k$ probabilities. Use $0 \log 0 = 0$: a
        category with probability $0$ and no observation contributes nothing; an observation in a category of
        probability $0$ makes the log-likelihood $-\infty$.
        """
    ),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(theta, x):
            """Categorical log-likelihood of the codes ``x`` (0..k-1) at probabilities ``theta`` (length k)."""
            ### BEGIN SOLUTION
            from scipy.special import xlogy

            theta = np.asarray(theta, dtype=float)
            counts = np.bincount(np.asarray(x, dtype=int), minlength=theta.size)
            return float(np.sum(xlogy(counts, theta)))
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it: a die rolled 8 times.
        x_try = np.array([0, 5, 2, 2, 3, 5, 5, 1])
        print(log_likelihood(np.full(6, 1 / 6), x_try), log_likelihood(np.array([1, 1, 2, 1, 0, 3]) / 8, x_try))
        """
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        2,
        """
        # (a) the value of the log-likelihood [2 points]
        import numpy as np
        from mlekit import Categorical, grading

        grading.check_loglik(log_likelihood, Categorical(k=3), [grading.case("the codes [0, 2, 2]", [0, 2, 2], theta=np.array([0.5, 0.25, 0.25]))],
                             signature=("theta", "x"))
        ### BEGIN HIDDEN TESTS
        for k, seed in [(2, 1401), (4, 1402), (7, 1403)]:
            grading.check_loglik(log_likelihood, Categorical(k=k), grading.random_cases(Categorical(k=k), seed=seed, n_sets=12),
                                 signature=("theta", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        """
        # (a) edge cases: zero probabilities, empty categories, a single observation [1 point]
        import numpy as np
        from mlekit import Categorical, grading

        c = grading.case
        grading.check_loglik(log_likelihood, Categorical(k=3), [c("a zero probability, no such observation", np.array([0, 1, 1]), theta=np.array([0.6, 0.4, 0.0]))],
                             signature=("theta", "x"))
        ### BEGIN HIDDEN TESTS
        edge = [
            c("an observation in a zero-probability category", [0, 2], theta=np.array([0.5, 0.5, 0.0])),
            c("a single observation", [1], theta=np.array([0.2, 0.3, 0.5])),
            c("the last category never observed", [0, 0, 1], theta=np.array([0.3, 0.3, 0.4])),
            c("a list, not an array", [2, 1, 2], theta=np.array([0.1, 0.2, 0.7])),
        ]
        grading.check_loglik(log_likelihood, Categorical(k=3), edge, signature=("theta", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The MLE — 3 points

        Write `mle(x, k)`, returning the vector $\hat\theta$ of length $k$ (categories that were never observed
        included). Raise a `ValueError` with a clear message for empty data and for any code that is not a whole
        number in $0..k-1$ (a negative code, a code $\ge k$, a fraction such as $0.5$).
        """
    ),
    solution(
        "b_mle_answer",
        '''
        def mle(x, k):
            """Maximum-likelihood estimate of the k category probabilities from the codes ``x``.

            Raises
            ------
            ValueError
                If ``x`` is empty or holds codes that are not integers in 0..k-1.
            """
            ### BEGIN SOLUTION
            x = np.asarray(x)
            if x.size == 0:
                raise ValueError("mle: x is empty")
            if np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= k):
                raise ValueError(f"mle: codes must be integers in 0..{k - 1}")
            counts = np.bincount(x.astype(int), minlength=k)
            return counts / x.size
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_mle_values",
        2,
        """
        # (b) the estimates [2 points]
        import numpy as np
        from mlekit import Categorical, grading

        visible = [grading.case("the codes [0, 2, 2, 1, 2]", np.array([0, 2, 2, 1, 2]), k=3),
                   grading.case("the codes [1, 1, 2] (no 0)", np.array([1, 1, 2]), k=3)]
        grading.check_mle(mle, Categorical(k=3), visible, returns=("theta",), signature=("x", "k"))
        ### BEGIN HIDDEN TESTS
        for k, seed in [(2, 1404), (4, 1405), (7, 1406)]:
            cases = [grading.case(c.label, c.x, k=k) for c in grading.random_cases(Categorical(k=k), seed=seed, n_sets=12)]
            grading.check_mle(mle, Categorical(k=k), cases, returns=("theta",), signature=("x", "k"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_mle_edges",
        1,
        """
        # (b) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Categorical, grading

        grading.check_raises(mle, [("a code equal to k", (np.array([0, 3]), 3))], name="mle")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        grading.check_mle(mle, Categorical(k=4), [c("a single observation", [2], k=4), c("all in one category", [1, 1, 1], k=4),
                                                  c("the last category empty", [0, 1, 2, 2], k=4)], returns=("theta",), signature=("x", "k"))
        bad = [("empty data", (np.array([], dtype=int), 3)), ("a negative code", (np.array([0, -1]), 3)),
               ("a fraction", (np.array([0.5, 1.0]), 3))]
        grading.check_raises(mle, bad, name="mle")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) In words: the constraint — 2 points (graded by hand)

        Setting $\partial\ell/\partial\theta_j = n_j/\theta_j$ to zero has no solution. Why not? Derive
        $\hat\theta_j = n_j/N$ properly (a Lagrange multiplier for $\sum_j \theta_j = 1$, or substituting
        $\theta_{k-1} = 1 - \sum_{j<k-1}\theta_j$).
        """
    ),
    written(
        "c_written_constraint",
        2,
        r"""
        Without the constraint the likelihood increases in every $\theta_j$, so it has no maximum: the
        constraint $\sum_j\theta_j = 1$ is what keeps the probabilities finite. With
        $L = \sum_j n_j\log\theta_j - \lambda(\sum_j\theta_j - 1)$, $\partial L/\partial\theta_j = n_j/\theta_j - \lambda = 0$
        gives $\theta_j = n_j/\lambda$; summing, $\lambda = N$, so $\hat\theta_j = n_j/N$.
        """,
    ),
    md(
        r"""
        ## (d) In words: categories never observed — 2 points (graded by hand)

        In 20 rolls of a die, six never came up, so $\hat\theta_6 = 0$. What does the fitted model then say about
        the next roll, and why is that a problem? Name one remedy.
        """
    ),
    written(
        "d_written_zero",
        2,
        r"""
        The fitted model says a six is impossible: any future data with a six get likelihood 0 (log-likelihood
        $-\infty$), although 20 rolls hardly rule it out ($(5/6)^{20} \approx 2.6\%$ for a fair die). Remedies:
        add pseudo-counts (Laplace smoothing, the MAP estimate under a Dirichlet prior), or report an interval
        for $\theta_6$ rather than the point estimate.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
