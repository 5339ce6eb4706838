"""@TITLE@ (writes the source notebook; started from exercises/authoring/_template.py).

Edit the cells below, then run ``.venv/bin/python exercises/authoring/@ASSIGNMENT@.py``.
The example is a Geometric problem set: replace it with yours, keeping the shape of each
part (instructions, solution cell, self-check, test cells with visible checks first and
hidden checks inside BEGIN/END HIDDEN TESTS). See exercises/README.md, *Writing an assignment*.
"""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "@ASSIGNMENT@"

# What the student's functions may not run while they are graded (the hardened grader checks): all of
# mlekit, statsmodels, scikit-learn and scipy.stats' fitting routines (policy() adds those), plus the
# scipy.stats distribution of the family the problem set is about. rules() says the same in words, for
# the introduction. Name every function a solution cell defines.
RULES = dict(distributions=("geom", "nbinom"))
FORBIDDEN = policy(["log_likelihood", "mle"], **RULES)

cells = [
    md(
        r"""
        # @TITLE@

        Counts of failures before the first success, $x_1, \dots, x_N \in \{0, 1, 2, \dots\}$, independent,
        Geometric with success probability $p$: $\log f(x; p) = \log p + x \log(1 - p)$.
        You write (a) the log-likelihood and (b) the MLE, then (c) answer a question in words.
        **5 points**: 4 checked by the autograder, 1 graded by hand.

        """,
        rules(**RULES, allowed="`scipy.special.xlog1py` computes $x \\log(1 - p)$ safely.")
    ),
    code(
        """
        import numpy as np
        import mlekit
        from mlekit import grading
        """
    ),
    md("## (a) The log-likelihood — 2 points\n\nWrite `log_likelihood(p, x)`, for $0 < p \\le 1$."),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(p, x):
            """Geometric log-likelihood of the failure counts ``x`` at success probability ``p``."""
            ### BEGIN SOLUTION
            from scipy.special import xlog1py

            x = np.asarray(x, dtype=float)
            return float(x.size * np.log(p) + xlog1py(x.sum(), -p))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        2,
        """
        # (a) the value of the log-likelihood [2 points]
        from mlekit import Geometric, grading

        grading.check_loglik(log_likelihood, Geometric(), [grading.case("the counts [0, 2, 5]", [0, 2, 5], prob=0.4)],
                             signature=("prob", "x"))
        ### BEGIN HIDDEN TESTS
        grading.check_loglik(log_likelihood, Geometric(), grading.random_cases(Geometric(), seed=9901, n_sets=30),
                             signature=("prob", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The MLE — 2 points

        Write `mle(x)`. Raise a `ValueError` with a clear message for empty data and for counts that are
        negative or not whole numbers.
        """
    ),
    solution(
        "b_mle_answer",
        '''
        def mle(x):
            """Maximum-likelihood estimate of the Geometric success probability."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.floor(x)):
                raise ValueError("mle: x must be a non-empty array of whole numbers >= 0")
            return float(1.0 / (1.0 + x.mean()))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_mle_values",
        1,
        """
        # (b) the estimate [1 point]
        from mlekit import Geometric, grading

        grading.check_mle(mle, Geometric(), [grading.case("the counts [0, 2, 5, 1]", [0, 2, 5, 1])], returns=("prob",))
        ### BEGIN HIDDEN TESTS
        grading.check_mle(mle, Geometric(), grading.random_cases(Geometric(), seed=9902, n_sets=30), returns=("prob",))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_mle_edges",
        1,
        """
        # (b) bad input [1 point]
        import numpy as np
        from mlekit import grading

        grading.check_raises(mle, [("empty data", (np.array([]),))], name="mle")
        ### BEGIN HIDDEN TESTS
        grading.check_raises(mle, [("a negative count", (np.array([1, -1]),)), ("a fraction", (np.array([0.5]),))], name="mle")
        ### END HIDDEN TESTS
        """,
    ),
    md("## (c) In words — 1 point (graded by hand)\n\nWhy is $\\hat p = 1$ when every count is $0$?"),
    written(
        "c_written",
        1,
        """
        With no failures at all the log-likelihood $N \\log p$ increases up to $p = 1$, the end of the
        parameter range, so the maximum is on the boundary.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
