"""Problem set 2: the Gaussian, with known and unknown variance (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps02_gaussian"
RULES = dict(distributions=("norm",))
FORBIDDEN = policy(["log_likelihood", "score_mu", "mle"], **RULES)

cells = [
    md(
        r"""
        # Problem set 2: the Gaussian likelihood

        $N$ independent measurements $x_1, \dots, x_N$ from a normal distribution with mean $\mu$ and
        **variance** $\sigma^2$ (the parameter is the variance, not the standard deviation):

        $$\ell(\mu, \sigma^2) = -\frac N2 \log(2\pi\sigma^2) - \frac{1}{2\sigma^2}\sum_i (x_i - \mu)^2 .$$

        You write (a) the log-likelihood, (b) the score in $\mu$ when $\sigma^2$ is known, (c) the MLE of
        both parameters when $\sigma^2$ is unknown, then (d) apply it to **your own data set**, and
        (e, f) answer two questions in words. **15 points**: 12 checked by the autograder, 3 graded by hand.
        """,
        rules(**RULES),
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

        Write `log_likelihood(mu, sigma2, x)`, the full log-likelihood above (keep the constant
        $-\frac N2 \log 2\pi$: the value must be right, not just its maximiser).
        """
    ),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(mu, sigma2, x):
            """Log-likelihood of a normal sample ``x`` with mean ``mu`` and variance ``sigma2`` (> 0)."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            resid = x - mu
            return float(-0.5 * x.size * np.log(2 * np.pi * sigma2) - resid @ resid / (2 * sigma2))
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it: the log-likelihood of three measurements, at a few means.
        x_try = np.array([4.9, 5.3, 5.1])
        for mu in [4.5, 5.1, 5.5]:
            print(mu, log_likelihood(mu, 0.04, x_try))
        """
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        2,
        """
        # (a) the value of the log-likelihood [2 points]
        import numpy as np
        from mlekit import Normal, grading

        # Visible check: two observations, unit variance (the answer is -log(2 pi) - 2).
        grading.check_loglik(log_likelihood, Normal(), [grading.case("x = [0, 2], at mu = 0", np.array([0.0, 2.0]), mu=0.0, sigma2=1.0)],
                             signature=("mu", "sigma2", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_loglik(log_likelihood, Normal(), grading.random_cases(Normal(), seed=1201, n_sets=30),
                             signature=("mu", "sigma2", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        """
        # (a) edge cases: a single observation, data far from zero, tiny and huge variances [1 point]
        import numpy as np
        from mlekit import Normal, grading

        c = grading.case
        grading.check_loglik(log_likelihood, Normal(), [c("a single observation", [2.5], mu=1.0, sigma2=2.0)],
                             signature=("mu", "sigma2", "x"))
        ### BEGIN HIDDEN TESTS
        edge = [
            c("data far from zero", 1e6 + np.array([0.3, -1.2, 0.8, 0.1]), mu=1e6, sigma2=0.5),
            c("a tiny variance", [0.001, -0.002], mu=0.0, sigma2=1e-6),
            c("a huge variance", [3.0, -40.0, 12.0], mu=1.0, sigma2=1e6),
            c("a list, not an array", [1, 2, 3], mu=2.0, sigma2=1.0),
            c("integers", np.array([1, 2, 2, 4]), mu=2.5, sigma2=3.0),
        ]
        grading.check_loglik(log_likelihood, Normal(), edge, signature=("mu", "sigma2", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) Known variance: the score in $\mu$ — 3 points

        Suppose $\sigma^2$ is known. Differentiate $\ell$ with respect to $\mu$ and write
        `score_mu(mu, sigma2, x)` $= \partial \ell / \partial \mu$. The grader compares it with `mlekit` and
        with finite differences of **your own** `log_likelihood` in $\mu$.
        """
    ),
    solution(
        "b_score_answer",
        '''
        def score_mu(mu, sigma2, x):
            """Derivative of the normal log-likelihood with respect to ``mu`` (``sigma2`` known)."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return float(np.sum(x - mu) / sigma2)
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
        from mlekit import Normal, grading

        # Visible checks: at the sample mean the score in mu vanishes; below it, it is positive.
        visible = [grading.case("at the sample mean", np.array([1.0, 2.0, 6.0]), mu=3.0, sigma2=2.0),
                   grading.case("below the sample mean", np.array([1.0, 2.0, 6.0]), mu=2.0, sigma2=4.0)]
        grading.check_score(score_mu, Normal(), visible, signature=("mu", "sigma2", "x"), coord="mu")
        ### BEGIN HIDDEN TESTS
        grading.check_score(score_mu, Normal(), grading.random_cases(Normal(), seed=1202, n_sets=30),
                            signature=("mu", "sigma2", "x"), coord="mu")
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_score_derivative",
        1,
        """
        # (b) your score is the derivative of your log-likelihood in mu [1 point]
        from mlekit import Normal, grading

        grading.check_score_is_derivative(score_mu, log_likelihood, [grading.case("three points", [0.5, 1.5, 4.0], mu=1.0, sigma2=2.0)],
                                          wrt="mu", signature=("mu", "sigma2", "x"), name="score_mu")
        ### BEGIN HIDDEN TESTS
        grading.check_score_is_derivative(score_mu, log_likelihood, grading.random_cases(Normal(), seed=1203, n_sets=15),
                                          wrt="mu", signature=("mu", "sigma2", "x"), name="score_mu")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) Unknown variance: the MLE — 3 points

        Set both partial derivatives to zero and write `mle(x)`, returning the pair `(mu_hat, sigma2_hat)`.
        When the MLE does not exist (fewer than two distinct values: the likelihood grows without bound as
        $\sigma^2 \to 0$), or the data are empty or not finite, raise a `ValueError` that says so.
        """
    ),
    solution(
        "c_mle_answer",
        '''
        def mle(x):
            """Maximum-likelihood estimates ``(mu_hat, sigma2_hat)`` of a normal sample.

            Raises
            ------
            ValueError
                If ``x`` is empty, holds NaN or infinity, or has fewer than two distinct values.
            """
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0 or not np.all(np.isfinite(x)):
                raise ValueError("mle: x must be a non-empty array of finite numbers")
            mu_hat = x.mean()
            sigma2_hat = np.mean((x - mu_hat) ** 2)
            if not sigma2_hat > 0:
                raise ValueError("mle: all observations are equal, so the MLE of sigma2 does not exist")
            return float(mu_hat), float(sigma2_hat)
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_mle_values",
        2,
        """
        # (c) the estimates [2 points]
        from mlekit import Normal, grading

        grading.check_mle(mle, Normal(), [grading.case("three points", [1.0, 2.0, 6.0])], returns=("mu", "sigma2"))
        ### BEGIN HIDDEN TESTS
        grading.check_mle(mle, Normal(), grading.random_cases(Normal(), seed=1204, n_sets=30, sizes=(2, 3, 10, 50, 200)),
                          returns=("mu", "sigma2"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "c_mle_edges",
        1,
        """
        # (c) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Normal, grading

        grading.check_raises(mle, [("a single observation", (np.array([3.0]),))], name="mle")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        grading.check_mle(mle, Normal(), [c("two observations", [1.0, 2.0]), c("data far from zero", 1e6 + np.array([0.1, 0.4, -0.3])),
                                          c("integers", np.array([3, 5, 5, 9]))], returns=("mu", "sigma2"))
        bad = [("empty data", (np.array([]),)), ("all observations equal", (np.array([2.0, 2.0, 2.0]),)),
               ("a NaN", (np.array([1.0, np.nan, 2.0]),)), ("an infinity", (np.array([1.0, np.inf]),))]
        grading.check_raises(mle, bad, name="mle")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) Your own data — 3 points

        Every student has a different data set: the heights (cm) of 40 adults, generated from your
        student id. Type your id (your nbgrader user name, the one you log in with) below and run the cell;
        the grader regenerates the data from the id of the submission and checks that it is yours.
        Then compute, with your `mle`, the estimates `MU_HAT` and `SIGMA2_HAT` and the standard error of
        $\hat\mu$, `SE_MU` $= \sqrt{\hat\sigma^2 / N}$.
        """
    ),
    code(
        """
        STUDENT_ID = ""  # your student id, e.g. "jdoe"
        x_mine = grading.student_data("ps02_gaussian", STUDENT_ID)["x"]
        print(len(x_mine), "heights; the first five:", x_mine[:5])
        """
    ),
    solution(
        "d_mine_answer",
        """
        ### BEGIN SOLUTION
        MU_HAT, SIGMA2_HAT = mle(x_mine)
        SE_MU = np.sqrt(SIGMA2_HAT / len(x_mine))
        ### END SOLUTION
        print(MU_HAT, SIGMA2_HAT, SE_MU)
        """,
    ),
    selfcheck(A, "d"),
    tests(
        "d_mine_estimates",
        2,
        """
        # (d) MU_HAT and SIGMA2_HAT on your own data set [2 points]
        import numpy as np
        from mlekit import Normal, grading

        sid = grading.check_student_id(STUDENT_ID, "ps02_gaussian")
        x = grading.student_data("ps02_gaussian", sid)["x"]
        # Visible check: your estimates are what your mle gives on your own data set.
        grading.check_close("MU_HAT, SIGMA2_HAT (your mle on your own data)", (MU_HAT, SIGMA2_HAT), mle(x))
        ### BEGIN HIDDEN TESTS
        ref = Normal().mle(x)
        grading.check_close("MU_HAT", MU_HAT, ref["mu"])
        n = len(x)
        grading.check_close("SIGMA2_HAT", SIGMA2_HAT, ref["sigma2"], mistakes={
            "you divided by N-1 instead of N": ref["sigma2"] * n / (n - 1),
            "you returned the standard deviation sigma; the parameter is the variance sigma2": np.sqrt(ref["sigma2"]),
        })
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "d_mine_se",
        1,
        """
        # (d) SE_MU, from your own SIGMA2_HAT [1 point]
        import numpy as np
        from mlekit import grading

        sid = grading.check_student_id(STUDENT_ID, "ps02_gaussian")
        n = len(grading.student_data("ps02_gaussian", sid)["x"])
        ### BEGIN HIDDEN TESTS
        grading.check_close("SE_MU", SE_MU, np.sqrt(float(SIGMA2_HAT) / n), mistakes={
            "you forgot the square root: that is the variance of mu_hat": float(SIGMA2_HAT) / n,
            "you divided by N, not by sqrt(N)": np.sqrt(float(SIGMA2_HAT)) / n,
        })
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (e) In words: the divisor $N$ — 2 points (graded by hand)

        Your $\hat\sigma^2$ divides by $N$, not by $N - 1$. Show that
        $\mathbb E[\hat\sigma^2] = \frac{N-1}{N}\sigma^2$ (you may use $\mathbb E[\bar x] = \mu$ and
        $\operatorname{Var}\bar x = \sigma^2/N$). Does the bias matter for your 40 heights? For $N = 2$?
        """
    ),
    written(
        "e_written_bias",
        2,
        r"""
        $\sum_i (x_i - \bar x)^2 = \sum_i (x_i - \mu)^2 - N(\bar x - \mu)^2$, whose expectation is
        $N\sigma^2 - N \cdot \sigma^2/N = (N-1)\sigma^2$; dividing by $N$ gives $\frac{N-1}{N}\sigma^2$.
        With $N = 40$ the bias is $-\sigma^2/40$, 2.5% of the variance, far smaller than the standard error
        of $\hat\sigma^2$ (about $\sigma^2\sqrt{2/N} \approx 22\%$): it does not matter. With $N = 2$ the
        estimate is on average half the true variance: it matters a lot.
        """,
    ),
    md(
        r"""
        ## (f) In words: known or unknown variance — 1 point (graded by hand)

        Does $\hat\mu$ depend on whether $\sigma^2$ is known? Does its standard error? Explain briefly.
        """
    ),
    written(
        "f_written_known",
        1,
        r"""
        No: the score in $\mu$ is $\sum_i (x_i - \mu)/\sigma^2$ whatever $\sigma^2$ is, so $\hat\mu = \bar x$
        in both cases. Its standard error $\sigma/\sqrt N$ uses the true $\sigma$ when it is known; when it is
        not, we plug in $\hat\sigma$, and for small $N$ the extra uncertainty calls for Student's $t$ instead
        of the normal quantile.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
