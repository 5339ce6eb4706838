"""Problem set 5: the recipe on a new family, the Exponential (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps05_recipe_exponential"
RULES = dict(distributions=("expon",))
FORBIDDEN = policy(["log_likelihood", "score", "hessian", "mle"], **RULES)

cells = [
    md(
        r"""
        # Problem set 5: the recipe on a new family — waiting times

        Waiting times $x_1, \dots, x_N \ge 0$, independent, exponential with **rate** $\lambda > 0$:
        $f(x; \lambda) = \lambda e^{-\lambda x}$ (mean waiting time $1/\lambda$). Follow the recipe:
        (a) the log-likelihood, (b) the score, (c) the second derivative (Hessian), (d) solve the score equation
        for the MLE; then (e, f) answer two questions in words. **15 points**: 11 checked by the autograder,
        4 graded by hand.

        *Careful:* `scipy.stats.expon` and `numpy.random.exponential` are parameterised by the **scale**
        $1/\lambda$, not the rate.

        *What to return.* Each function returns a plain number (a `float`). The grader calls
        `log_likelihood`, `score` and `hessian` only with a rate $\lambda > 0$ and waiting times $x_i \ge 0$, so
        they need not check their input; `mle` must (part (d)). If you compare with `mlekit` outside your
        functions, note that it returns richer objects: `mlekit.Exponential().mle(x)` is a dict `{"rate": ...}`,
        `.score(x, rate=r)` an array of length 1 and `.hessian(x, rate=r)` a 1 × 1 matrix (take
        `float(h[0, 0])`).
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
    md("## (a) The log-likelihood — 3 points\n\nWrite `log_likelihood(rate, x)`."),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(rate, x):
            """Exponential log-likelihood of the waiting times ``x`` (>= 0) at ``rate`` (> 0)."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return float(x.size * np.log(rate) - rate * x.sum())
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it: waiting times with mean 2, so the rate should be near 1/2.
        x_try = np.array([1.2, 0.4, 3.9, 2.5, 1.0, 3.0])
        for rate in [0.25, 0.5, 1.0]:
            print(rate, log_likelihood(rate, x_try))
        """
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        2,
        """
        # (a) the value of the log-likelihood [2 points]
        from mlekit import Exponential, grading

        grading.check_loglik(log_likelihood, Exponential(), [grading.case("the data [1, 3]", [1.0, 3.0], rate=0.5)],
                             signature=("rate", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_loglik(log_likelihood, Exponential(), grading.random_cases(Exponential(), seed=1501, n_sets=30),
                             signature=("rate", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        """
        # (a) edge cases: a single observation, a zero waiting time, extreme rates [1 point]
        from mlekit import Exponential, grading

        c = grading.case
        grading.check_loglik(log_likelihood, Exponential(), [c("a single observation", [2.0], rate=3.0)], signature=("rate", "x"))
        ### BEGIN HIDDEN TESTS
        edge = [c("a zero waiting time", [0.0, 1.5], rate=0.8), c("all zeros", [0.0, 0.0, 0.0], rate=2.0),
                c("a tiny rate", [100.0, 3000.0], rate=1e-4), c("a huge rate", [1e-6, 3e-6], rate=1e5),
                c("integers", [1, 2, 5], rate=0.4)]
        grading.check_loglik(log_likelihood, Exponential(), edge, signature=("rate", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md("## (b) The score — 3 points\n\nWrite `score(rate, x)`, the derivative of the log-likelihood in the rate."),
    solution(
        "b_score_answer",
        '''
        def score(rate, x):
            """Derivative of the exponential log-likelihood with respect to ``rate``."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return float(x.size / rate - x.sum())
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
        from mlekit import Exponential, grading

        # Visible checks: the score of [1, 3] vanishes at its MLE, rate = 1/2, and is positive below it.
        visible = [grading.case("at the MLE of [1, 3]", np.array([1.0, 3.0]), rate=0.5),
                   grading.case("below the MLE of [1, 3]", np.array([1.0, 3.0]), rate=0.25)]
        grading.check_score(score, Exponential(), visible, signature=("rate", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_score(score, Exponential(), grading.random_cases(Exponential(), seed=1502, n_sets=30), signature=("rate", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_score_derivative",
        1,
        """
        # (b) your score is the derivative of your log-likelihood [1 point]
        from mlekit import Exponential, grading

        grading.check_score_is_derivative(score, log_likelihood, [grading.case("two points", [0.5, 2.0], rate=1.5)],
                                          wrt="rate", signature=("rate", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_score_is_derivative(score, log_likelihood, grading.random_cases(Exponential(), seed=1503, n_sets=15),
                                          wrt="rate", signature=("rate", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) The Hessian — 2 points

        Write `hessian(rate, x)` $= \ell''(\lambda)$, a number. It is compared with `mlekit` and with finite
        differences of **your own** `score`.
        """
    ),
    solution(
        "c_hessian_answer",
        '''
        def hessian(rate, x):
            """Second derivative of the exponential log-likelihood with respect to ``rate``."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return float(-x.size / rate**2)
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_hessian_values",
        1,
        """
        # (c) the value of the Hessian [1 point]
        import numpy as np
        from mlekit import Exponential, grading

        grading.check_hessian(hessian, Exponential(), [grading.case("three points", np.array([1.0, 2.0, 4.0]), rate=0.5)],
                              signature=("rate", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_hessian(hessian, Exponential(), grading.random_cases(Exponential(), seed=1504, n_sets=30),
                              signature=("rate", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "c_hessian_derivative",
        1,
        """
        # (c) your Hessian is the derivative of your score [1 point]
        from mlekit import Exponential, grading

        grading.check_score_is_derivative(hessian, score, [grading.case("two points", [0.5, 2.0], rate=1.5)], wrt="rate",
                                          signature=("rate", "x"), name="hessian", loglik_name="score")
        ### BEGIN HIDDEN TESTS
        grading.check_score_is_derivative(hessian, score, grading.random_cases(Exponential(), seed=1505, n_sets=15), wrt="rate",
                                          signature=("rate", "x"), name="hessian", loglik_name="score")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) The MLE — 3 points

        Solve the score equation and write `mle(x)`, returning the **rate**. When every waiting time is $0$ the
        likelihood grows without bound as $\lambda \to \infty$ and there is no MLE: raise a `ValueError` that
        says so. Also raise `ValueError` for empty data, negative waiting times and values that are NaN or infinite.
        """
    ),
    solution(
        "d_mle_answer",
        '''
        def mle(x):
            """Maximum-likelihood estimate of the exponential rate from waiting times ``x``.

            Raises
            ------
            ValueError
                If ``x`` is empty, holds negative or non-finite values, or is all zeros (no MLE).
            """
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0):
                raise ValueError("mle: waiting times must be a non-empty array of finite numbers >= 0")
            if x.sum() == 0:
                raise ValueError("mle: every waiting time is 0, the likelihood has no maximum (rate -> infinity)")
            return float(x.size / x.sum())
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "d"),
    tests(
        "d_mle_values",
        2,
        """
        # (d) the estimate [2 points]
        from mlekit import Exponential, grading

        grading.check_mle(mle, Exponential(), [grading.case("the data [1, 3]", [1.0, 3.0])], returns=("rate",))
        ### BEGIN HIDDEN TESTS
        grading.check_mle(mle, Exponential(), grading.random_cases(Exponential(), seed=1506, n_sets=30), returns=("rate",))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "d_mle_edges",
        1,
        """
        # (d) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Exponential, grading

        grading.check_raises(mle, [("every waiting time is 0", (np.array([0.0, 0.0]),))], name="mle")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        grading.check_mle(mle, Exponential(), [c("a single observation", [2.5]), c("a zero among others", [0.0, 1.0, 2.0])],
                          returns=("rate",))
        bad = [("empty data", (np.array([]),)), ("a negative waiting time", (np.array([1.0, -0.5]),)),
               ("a NaN", (np.array([1.0, np.nan]),))]
        grading.check_raises(mle, bad, name="mle")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (e) In words: the curvature — 2 points (graded by hand)

        Your Hessian is negative for every $\lambda > 0$. What does that tell you about the solution of the
        score equation? Use it to give the standard error of $\hat\lambda$ from the observed information.
        """
    ),
    written(
        "e_written_curvature",
        2,
        r"""
        A negative second derivative everywhere means the log-likelihood is strictly concave, so the
        score has at most one zero and that zero is the global maximum: $\hat\lambda = N/\sum x_i = 1/\bar x$.
        The observed information is $-\ell''(\hat\lambda) = N/\hat\lambda^2$, so
        $\mathrm{SE}(\hat\lambda) = \hat\lambda/\sqrt N$.
        """,
    ),
    md(
        r"""
        ## (f) In words: scale or rate — 2 points (graded by hand)

        `scipy.stats.expon` uses the scale $\theta = 1/\lambda$. What is the MLE of $\theta$, and why do you not
        need to redo the recipe to find it? Is its standard error $\hat\theta/\sqrt N$ as well?
        """
    ),
    written(
        "f_written_scale",
        2,
        r"""
        By invariance $\hat\theta = 1/\hat\lambda = \bar x$: maximising over $\theta$ or over $\lambda = 1/\theta$
        finds the same distribution. The standard error follows from the delta method,
        $\mathrm{SE}(\hat\theta) \approx |d\theta/d\lambda|\,\mathrm{SE}(\hat\lambda) = \hat\lambda^{-2}\cdot\hat\lambda/\sqrt N
        = \hat\theta/\sqrt N$ — the same form here (and exactly $\sigma/\sqrt N$ of a mean).
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
