"""Problem set 3: the Poisson likelihood (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps03_poisson"
RULES = dict(distributions=("poisson",))
FORBIDDEN = policy(["log_likelihood", "score", "mle"], **RULES)

cells = [
    md(
        r"""
        # Problem set 3: counts and the Poisson likelihood

        Counts $x_1, \dots, x_N \in \{0, 1, 2, \dots\}$, independent, each Poisson with mean $\lambda$:
        $P(X = x) = \lambda^x e^{-\lambda} / x!$. You write (a) the log-likelihood, (b) the score, (c) the
        MLE, then (d) use them on **your own data set** and (e, f) answer two questions in words.
        **15 points**: 11 checked by the autograder, 4 graded by hand.
        """,
        rules(**RULES, allowed="`scipy.special.gammaln` and `xlogy` are the ones you will want."),
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

        Write `log_likelihood(lam, x)` $= \sum_i \big[x_i \log\lambda - \lambda - \log x_i!\big]$, including
        the $\log x_i!$ term. Counts can be large: $170!$ is the largest factorial a float can hold, so compute
        $\log x!$ as `scipy.special.gammaln(x + 1)`. At $\lambda = 0$ use $0 \log 0 = 0$: the log-likelihood
        is $0$ if every count is $0$ and $-\infty$ otherwise.
        """
    ),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(lam, x):
            """Poisson log-likelihood of the counts ``x`` at mean ``lam`` (>= 0)."""
            ### BEGIN SOLUTION
            from scipy.special import gammaln, xlogy

            x = np.asarray(x, dtype=float)
            return float(np.sum(xlogy(x, lam) - gammaln(x + 1.0)) - x.size * lam)
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it: where is the log-likelihood of these counts largest?
        x_try = np.array([2, 0, 3, 1, 1, 4, 0, 2])
        for lam in [0.5, 1.0, 1.625, 3.0]:
            print(lam, log_likelihood(lam, x_try))
        """
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        2,
        """
        # (a) the value of the log-likelihood [2 points]
        from mlekit import Poisson, grading

        grading.check_loglik(log_likelihood, Poisson(), [grading.case("the counts [0, 2]", [0, 2], lam=1.0)], signature=("lam", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_loglik(log_likelihood, Poisson(), grading.random_cases(Poisson(), seed=1301, n_sets=30), signature=("lam", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        """
        # (a) edge cases: lam = 0, zero counts, a single observation, large counts [1 point]
        import numpy as np
        from mlekit import Poisson, grading

        c = grading.case
        grading.check_loglik(log_likelihood, Poisson(), [c("all zeros at lam = 0", [0, 0, 0], lam=0.0)], signature=("lam", "x"))
        ### BEGIN HIDDEN TESTS
        edge = [
            c("a positive count at lam = 0 (impossible data)", [0, 3], lam=0.0),
            c("all zeros", [0] * 8, lam=1.3),
            c("a single observation", [5], lam=2.0),
            c("a single zero count", [0], lam=0.7),
            c("a large count", [200, 180], lam=190.0),
            c("a list, not an array", [1, 4, 2], lam=2.5),
        ]
        grading.check_loglik(log_likelihood, Poisson(), edge, signature=("lam", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The score — 3 points

        Write `score(lam, x)` $= \ell'(\lambda)$ for $\lambda > 0$. It is compared with `mlekit` and with
        finite differences of **your own** `log_likelihood`.
        """
    ),
    solution(
        "b_score_answer",
        '''
        def score(lam, x):
            """Derivative of the Poisson log-likelihood with respect to ``lam`` (> 0)."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return float(x.sum() / lam - x.size)
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_score_values",
        2,
        """
        # (b) the value of the score [2 points]
        import numpy as np
        from mlekit import Poisson, grading

        # Visible checks: the score vanishes at the sample mean and is positive below it.
        visible = [grading.case("at the sample mean", np.array([1, 2, 6]), lam=3.0),
                   grading.case("below the sample mean", np.array([1, 2, 6]), lam=2.0)]
        grading.check_score(score, Poisson(), visible, signature=("lam", "x"))
        ### BEGIN HIDDEN TESTS
        cases = grading.random_cases(Poisson(), seed=1302, n_sets=30) + [grading.case("all zeros", [0, 0, 0], lam=0.4)]
        grading.check_score(score, Poisson(), cases, signature=("lam", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_score_derivative",
        1,
        """
        # (b) your score is the derivative of your log-likelihood [1 point]
        from mlekit import Poisson, grading

        grading.check_score_is_derivative(score, log_likelihood, [grading.case("three counts", [0, 2, 5], lam=1.5)],
                                          wrt="lam", signature=("lam", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_score_is_derivative(score, log_likelihood, grading.random_cases(Poisson(), seed=1303, n_sets=15),
                                          wrt="lam", signature=("lam", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) The MLE — 3 points

        Write `mle(x)`. All-zero data are allowed (the estimate is then on the boundary, $\hat\lambda = 0$).
        Raise a `ValueError` with a clear message for empty data, negative counts, fractions and NaN.
        """
    ),
    solution(
        "c_mle_answer",
        '''
        def mle(x):
            """Maximum-likelihood estimate of the Poisson mean from the counts ``x``.

            Raises
            ------
            ValueError
                If ``x`` is empty or holds negative or non-integer values.
            """
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0:
                raise ValueError("mle: x is empty")
            if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.floor(x)):
                raise ValueError("mle: counts must be whole numbers >= 0")
            return float(x.mean())
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_mle_values",
        2,
        """
        # (c) the estimate [2 points]
        from mlekit import Poisson, grading

        grading.check_mle(mle, Poisson(), [grading.case("the counts [0, 2, 4, 1]", [0, 2, 4, 1])], returns=("lam",))
        ### BEGIN HIDDEN TESTS
        grading.check_mle(mle, Poisson(), grading.random_cases(Poisson(), seed=1304, n_sets=30), returns=("lam",))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "c_mle_edges",
        1,
        """
        # (c) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Poisson, grading

        grading.check_raises(mle, [("a negative count", (np.array([1, -2, 0]),))], name="mle")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        grading.check_mle(mle, Poisson(), [c("all zeros", [0] * 6), c("a single observation", [7]), c("a single zero", [0])],
                          returns=("lam",))
        bad = [("empty data", (np.array([]),)), ("a fraction", (np.array([1.5, 2.0]),)), ("a NaN", (np.array([1.0, np.nan]),))]
        grading.check_raises(mle, bad, name="mle")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) Your own data — 2 points

        Your data: the number of emails you received in each of 24 office hours, generated from your student
        id. Type your id (your nbgrader user name) and run the cell. Then compute `LAM_HAT`, the MLE of the rate,
        and `P_ZERO_HAT`, the maximum-likelihood estimate of the probability of an hour **without** email under
        the Poisson model.
        """
    ),
    code(
        """
        STUDENT_ID = ""  # your student id, e.g. "jdoe"
        x_mine = grading.student_data("ps03_poisson", STUDENT_ID)["x"]
        print(x_mine)
        """
    ),
    solution(
        "d_mine_answer",
        """
        ### BEGIN SOLUTION
        LAM_HAT = mle(x_mine)
        P_ZERO_HAT = np.exp(-LAM_HAT)
        ### END SOLUTION
        print(LAM_HAT, P_ZERO_HAT)
        """,
    ),
    selfcheck(A, "d"),
    tests(
        "d_mine_lam",
        1,
        """
        # (d) LAM_HAT on your own data [1 point]
        from mlekit import Poisson, grading

        sid = grading.check_student_id(STUDENT_ID, "ps03_poisson")
        x = grading.student_data("ps03_poisson", sid)["x"]
        # Visible check: LAM_HAT is what your mle gives on your own data set.
        grading.check_close("LAM_HAT (your mle on your own data)", LAM_HAT, mle(x))
        ### BEGIN HIDDEN TESTS
        grading.check_close("LAM_HAT", LAM_HAT, Poisson().mle(x)["lam"])
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "d_mine_pzero",
        1,
        """
        # (d) P_ZERO_HAT on your own data [1 point]
        import numpy as np
        from mlekit import Poisson, grading

        sid = grading.check_student_id(STUDENT_ID, "ps03_poisson")
        x = grading.student_data("ps03_poisson", sid)["x"]
        ### BEGIN HIDDEN TESTS
        lam = Poisson().mle(x)["lam"]
        grading.check_close("P_ZERO_HAT", P_ZERO_HAT, np.exp(-lam), mistakes={
            "that is the observed fraction of hours without email; the MLE of P(X = 0) = exp(-lam) is exp(-lam_hat) (invariance)": np.mean(x == 0),
            "that is the probability of at least one email": 1 - np.exp(-lam),
        })
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (e) In words: invariance — 2 points (graded by hand)

        Why is $e^{-\hat\lambda}$ the maximum-likelihood estimate of $P(X = 0)$? Compare it with the fraction of
        hours without email in your data: which would you report, and why?
        """
    ),
    written(
        "e_written_invariance",
        2,
        r"""
        The MLE is invariant under reparameterisation: if $\hat\lambda$ maximises $\ell(\lambda)$, then
        $\hat\theta = g(\hat\lambda)$ maximises the likelihood written in terms of $\theta = g(\lambda)$,
        here $g(\lambda) = e^{-\lambda}$ (one-to-one). The observed fraction of zeros uses only whether
        each hour was zero; $e^{-\hat\lambda}$ uses every count, so if the Poisson model holds it has a smaller
        variance. If the model is doubtful (see (f)) the fraction of zeros is the model-free choice.
        """,
    ),
    md(
        r"""
        ## (f) In words: checking the model — 2 points (graded by hand)

        For a Poisson distribution the variance equals the mean. Compute both for your data. What would a
        variance much larger than the mean tell you, and what would it do to the standard error
        $\sqrt{\hat\lambda / N}$?
        """
    ),
    written(
        "f_written_dispersion",
        2,
        r"""
        (Numbers depend on the student's data.) A variance much larger than the mean is *overdispersion*:
        the counts vary more than a Poisson allows (e.g. busy and quiet days have different rates). The MLE
        $\bar x$ is still a sensible estimate of the mean, but the model-based standard error
        $\sqrt{\hat\lambda/N}$ is then too small; a negative binomial model or a robust (sandwich) standard
        error $\sqrt{s^2/N}$ is more honest.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
