"""Problem set 1: the Bernoulli likelihood, its score and its maximum (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps01_bernoulli"
RULES = dict(distributions=("bernoulli", "binom"))
FORBIDDEN = policy(["log_likelihood", "score", "mle"], **RULES)

cells = [
    md(
        r"""
        # Problem set 1: the Bernoulli likelihood

        You observe $N$ independent 0/1 outcomes $x_1, \dots, x_N$ (a coin, a click, a cure), each a success
        with probability $p$. In this problem set you write, from scratch,

        - (a) the log-likelihood $\ell(p) = \sum_i \big[x_i \log p + (1 - x_i) \log(1 - p)\big]$,
        - (b) its derivative, the score $\ell'(p)$,
        - (c) the maximum-likelihood estimate $\hat p$,

        and (d) answer one question in words. **10 points**: 9 checked by the autograder, 1 graded by hand.
        """,
        rules(**RULES, allowed="`scipy.special.xlogy` and `xlog1py` are the ones you will want."),
        """
        After each part, a *self-check* cell runs that part's visible checks and prints what they say in full;
        the test cells below it show the same checks. More checks run when your work is graded, on many random
        data sets and on edge cases, so test your functions on your own examples too.
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

        Write `log_likelihood(p, x)`. At the ends of the parameter range use the convention $0 \log 0 = 0$:
        at $p = 0$ the log-likelihood is $0$ if every $x_i$ is $0$ (the data are certain) and $-\infty$ if
        some $x_i$ is $1$ (the data are impossible); likewise at $p = 1$. `scipy.special.xlogy` and
        `scipy.special.xlog1py` implement the convention for you; `np.log(0)` gives `-inf` with a warning.
        """
    ),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(p, x):
            """Bernoulli log-likelihood of the 0/1 outcomes ``x`` at success probability ``p``.

            Parameters
            ----------
            p : float
                Success probability, 0 <= p <= 1.
            x : array-like of 0/1
                The observed outcomes.

            Returns
            -------
            float
                sum_i [x_i log p + (1 - x_i) log(1 - p)], with 0 log 0 = 0 (so -inf where the data are impossible).
            """
            ### BEGIN SOLUTION
            from scipy.special import xlog1py, xlogy

            x = np.asarray(x, dtype=float)
            successes, n = x.sum(), x.size
            return float(xlogy(successes, p) + xlog1py(n - successes, -p))
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it: 7 successes in 10 trials. Where is the log-likelihood largest?
        x_try = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1])
        for p in [0.1, 0.5, 0.7, 0.9]:
            print(p, log_likelihood(p, x_try))
        """
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        2,
        """
        # (a) the value of the log-likelihood [2 points]
        import numpy as np
        from mlekit import Bernoulli, grading

        # Visible check: two successes and a failure at p = 0.6 (the answer is 2 log 0.6 + log 0.4).
        grading.check_loglik(log_likelihood, Bernoulli(), [grading.case("the data [1, 0, 1]", np.array([1, 0, 1]), p=0.6)], signature=("p", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_loglik(log_likelihood, Bernoulli(), grading.random_cases(Bernoulli(), seed=101, n_sets=30), signature=("p", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        """
        # (a) edge cases: p at 0 or 1, all zeros, a single observation [1 point]
        import numpy as np
        from mlekit import Bernoulli, grading

        # Visible check: at p = 0, data that are all 0 are certain (log-likelihood 0, with 0 log 0 = 0).
        grading.check_loglik(log_likelihood, Bernoulli(), [grading.case("all zeros at p = 0", [0, 0, 0], p=0.0)], signature=("p", "x"))
        ### BEGIN HIDDEN TESTS
        c = grading.case
        edge = [
            c("all zeros at p = 0", [0, 0, 0, 0], p=0.0),
            c("all ones at p = 1", [1, 1, 1], p=1.0),
            c("a one at p = 0 (impossible data)", [0, 1, 0], p=0.0),
            c("a zero at p = 1 (impossible data)", [1, 0], p=1.0),
            c("all zeros", [0] * 12, p=0.3),
            c("all ones", [1] * 7, p=0.8),
            c("a single observation 1", [1], p=0.25),
            c("a single observation 0", [0], p=0.25),
            c("a list, not an array", [1, 0, 1, 1], p=0.6),
            c("booleans", np.array([True, False, True]), p=0.4),
        ]
        grading.check_loglik(log_likelihood, Bernoulli(), edge, signature=("p", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The score — 3 points

        Differentiate $\ell(p)$ by hand, then write `score(p, x)` $= \ell'(p)$ for $0 < p < 1$. The grader
        compares your score with `mlekit` and with the finite differences
        $\big(\ell(p + h) - \ell(p - h)\big) / 2h$ of **your own** `log_likelihood`, so the two must agree.
        """
    ),
    solution(
        "b_score_answer",
        '''
        def score(p, x):
            """Derivative of the Bernoulli log-likelihood with respect to ``p`` (0 < p < 1).

            Parameters
            ----------
            p : float
                Success probability, 0 < p < 1.
            x : array-like of 0/1
                The observed outcomes.

            Returns
            -------
            float
                d/dp of log_likelihood(p, x).
            """
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            successes, n = x.sum(), x.size
            return float(successes / p - (n - successes) / (1 - p))
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it: the score should be positive left of the maximum, zero at it, negative right of it.
        for p in [0.5, 0.7, 0.9]:
            print(p, score(p, x_try))
        """
    ),
    selfcheck(A, "b"),
    tests(
        "b_score_values",
        2,
        """
        # (b) the value of the score [2 points]
        import numpy as np
        from mlekit import Bernoulli, grading

        # Visible checks: with 3 successes out of 4 the score vanishes at p = 3/4, and is positive below it.
        visible = [grading.case("3 successes in 4, at the maximum", [1, 1, 0, 1], p=0.75),
                   grading.case("3 successes in 4, below the maximum", [1, 1, 0, 1], p=0.5)]
        grading.check_score(score, Bernoulli(), visible, signature=("p", "x"))
        ### BEGIN HIDDEN TESTS
        cases = grading.random_cases(Bernoulli(), seed=202, n_sets=30)
        cases += [grading.case("all zeros", [0] * 9, p=0.2), grading.case("a single observation", [1], p=0.9)]
        grading.check_score(score, Bernoulli(), cases, signature=("p", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_score_derivative",
        1,
        """
        # (b) your score is the derivative of your log-likelihood [1 point]
        import numpy as np
        from mlekit import Bernoulli, grading

        grading.check_score_is_derivative(
            score, log_likelihood, [grading.case("the data [1, 0, 1]", [1, 0, 1], p=0.4)], wrt="p", signature=("p", "x")
        )
        ### BEGIN HIDDEN TESTS
        cases = grading.random_cases(Bernoulli(), seed=303, n_sets=15, param_range={"p": (0.1, 0.9)})
        grading.check_score_is_derivative(score, log_likelihood, cases, wrt="p", signature=("p", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) The maximum-likelihood estimate — 3 points

        Solve $\ell'(p) = 0$ and write `mle(x)`, the value of $p$ that maximises the log-likelihood. It must
        also work when the maximum is on the boundary (all zeros or all ones), and raise a `ValueError` with a
        clear message when the data are empty or hold anything other than 0 and 1.
        """
    ),
    solution(
        "c_mle_answer",
        '''
        def mle(x):
            """Maximum-likelihood estimate of the Bernoulli success probability.

            Parameters
            ----------
            x : array-like of 0/1
                The observed outcomes (at least one).

            Returns
            -------
            float
                The p in [0, 1] that maximises log_likelihood(p, x).

            Raises
            ------
            ValueError
                If ``x`` is empty or holds values other than 0 and 1.
            """
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0:
                raise ValueError("mle: x is empty; at least one outcome is needed")
            if not np.all((x == 0) | (x == 1)):
                raise ValueError("mle: x must hold only 0 and 1")
            return float(np.mean(x))
            ### END SOLUTION
        ''',
    ),
    code(
        """
        # Try it, and compare with a grid search over your own log-likelihood.
        grid = np.linspace(0, 1, 1001)
        print(mle(x_try), grid[np.argmax([log_likelihood(p, x_try) for p in grid])])
        """
    ),
    selfcheck(A, "c"),
    tests(
        "c_mle_values",
        2,
        """
        # (c) the estimate [2 points]
        import numpy as np
        from mlekit import Bernoulli, grading

        # Visible check: one small data set.
        grading.check_mle(mle, Bernoulli(), [grading.case("the data [1, 0, 0, 1, 1, 1, 0, 1]", [1, 0, 0, 1, 1, 1, 0, 1])], returns=("p",))
        ### BEGIN HIDDEN TESTS
        grading.check_mle(mle, Bernoulli(), grading.random_cases(Bernoulli(), seed=404, n_sets=30), returns=("p",))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "c_mle_edges",
        1,
        """
        # (c) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Bernoulli, grading

        # Visible check: empty data cannot be estimated from.
        grading.check_raises(mle, [("empty data", (np.array([]),))], name="mle")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        edge = [c("all zeros", [0] * 10), c("all ones", [1] * 4), c("a single observation 1", [1]),
                c("a single observation 0", [0]), c("a list, not an array", [0, 1, 1])]
        grading.check_mle(mle, Bernoulli(), edge, returns=("p",))
        bad = [("empty list", ([],)), ("a 2 in the data", (np.array([0, 1, 2]),)),
               ("a negative outcome", (np.array([1, -1]),)), ("a fraction", (np.array([0.5, 1.0]),))]
        grading.check_raises(mle, bad, name="mle")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) In words — 1 point (graded by hand)

        A pilot study treats 10 patients and **none** is cured, so $\hat p = 0$. The usual standard error
        $\sqrt{\hat p (1 - \hat p) / N}$ is then $0$, and the Wald interval $\hat p \pm 1.96\,\mathrm{SE}$ is
        the single point $\{0\}$. Explain in two or three sentences why this interval is misleading, and what you
        would report instead.
        """
    ),
    written(
        "d_written",
        1,
        r"""
        The estimate sits on the boundary of the parameter space, where the log-likelihood is not smooth
        (the score does not vanish) and the quadratic approximation behind the Wald standard error fails:
        a standard error of 0 claims certainty that ten patients cannot give, since with $p = 0.1$ there is still
        a $0.9^{10} \approx 35\%$ chance of seeing no cure. Report an interval that does not rely on the curvature
        at the estimate, e.g. the likelihood-ratio interval $\{p : 2[\ell(\hat p) - \ell(p)] \le 3.84\}$, here
        $[0, 1 - 0.1465^{1/10}] \approx [0, 0.17]$, or an exact (Clopper–Pearson) interval $[0, 0.31]$, or the
        "rule of three" bound $3/N = 0.3$.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
