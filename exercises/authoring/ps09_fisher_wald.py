"""Problem set 9: Fisher information, standard errors and Wald intervals (writes the source notebook)."""

import numpy as np
from scipy import stats

from mlekit import Poisson, fit
from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps09_fisher_wald"
RULES: dict = {}
FORBIDDEN = policy(["fisher_information", "standard_error", "wald_interval"], **RULES)

# (d)'s numbers, computed here rather than typed: with N = 10 counts and lambda = 0.3 the total
# S is Poisson(3), and mlekit's 95% Wald interval (the reference of part (c)) depends on the data
# only through S, so its coverage is a sum over S of P(S = s) [0.3 in the interval for s].
D_N, D_LAM = 10, 0.3
D_S = np.arange(0, 60)  # P(S >= 60) < 1e-40
D_COVERS = np.array([lo <= D_LAM <= hi for lo, hi in
                     (fit(Poisson(), np.r_[s, np.zeros(D_N - 1, dtype=int)]).conf_int()["lam"] for s in D_S)])
D_COVERAGE = float(stats.poisson.pmf(D_S, D_N * D_LAM)[D_COVERS].sum())
D_S_LO, D_S_HI = int(D_S[D_COVERS].min()), int(D_S[D_COVERS].max())
assert np.array_equal(np.flatnonzero(D_COVERS), np.arange(D_S_LO, D_S_HI + 1))  # one run of covering totals
D_P_ZERO = float(stats.poisson.pmf(0, D_N * D_LAM))
D_MC = 2 * np.sqrt(D_COVERAGE * (1 - D_COVERAGE) / 10_000)  # two Monte Carlo standard errors

cells = [
    md(
        r"""
        # Problem set 9: how sure are we? Fisher information and Wald intervals

        Counts $x_1, \dots, x_N$, Poisson with mean $\lambda$; $\hat\lambda = \bar x$. The Fisher information of
        one observation is $I(\lambda) = -\mathbb E\big[\partial^2_\lambda \log f(X;\lambda)\big]$; for $N$
        observations it is $N I(\lambda)$, and $\mathrm{SE}(\hat\lambda) \approx 1/\sqrt{N I(\hat\lambda)}$.

        You write (a) the Fisher information, (b) the standard error, (c) the Wald interval, and (d) answer a
        question in words. **10 points**: 7 checked by the autograder, 3 graded by hand.

        """,
        rules(**RULES, allowed="`scipy.stats.norm.ppf` (the normal quantile) is the one you will want."),
        """
        After each part, a *self-check* cell runs that part's visible checks and prints what they say in full.
        """,
    ),
    code(
        """
        import numpy as np
        import mlekit
        from mlekit import grading
        from scipy import stats
        """
    ),
    md("## (a) The Fisher information — 2 points\n\nWrite `fisher_information(lam)`, the information of **one** observation."),
    solution(
        "a_fisher_answer",
        '''
        def fisher_information(lam):
            """Fisher information about ``lam`` in one Poisson observation."""
            ### BEGIN SOLUTION
            return 1.0 / lam
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "a"),
    tests(
        "a_fisher_values",
        2,
        """
        # (a) the Fisher information [2 points]
        import numpy as np
        from mlekit import Poisson, grading

        def reference(c):  # mlekit's expected information of one observation
            return Poisson().fisher_information(lam=c.params["lam"])[0, 0]

        mistakes = [grading.Mistake("you returned lambda; the information is its reciprocal", lambda c, e: 1 / e),
                    grading.Mistake("that is the second derivative itself: the information is minus its expectation", lambda c, e: -e)]
        grading.check_values(fisher_information, reference, [grading.case("lam = 2", [0], lam=2.0)], name="fisher_information",
                             signature=("lam",), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
        rng = np.random.default_rng(1901)
        cases = [grading.case(f"random lam {i + 1} of 20", [0], lam=float(v)) for i, v in enumerate(rng.uniform(0.01, 50, 20))]
        cases += [grading.case("a tiny lam", [0], lam=1e-6), grading.case("a huge lam", [0], lam=1e6)]
        grading.check_values(fisher_information, reference, cases, name="fisher_information", signature=("lam",), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The standard error — 3 points

        Write `standard_error(x)` $= 1/\sqrt{N\,I(\hat\lambda)}$ (use your `fisher_information`). With all
        counts zero, $\hat\lambda = 0$ is on the boundary and the formula's limit $\sqrt{\hat\lambda/N} = 0$ is what
        `mlekit` reports; return that. Raise a `ValueError` for empty data.
        """
    ),
    solution(
        "b_se_answer",
        '''
        def standard_error(x):
            """Standard error of the Poisson MLE from the Fisher information at the estimate."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0:
                raise ValueError("standard_error: x is empty")
            lam_hat = x.mean()
            if lam_hat == 0:
                return 0.0
            return float(1.0 / np.sqrt(x.size * fisher_information(lam_hat)))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_se_values",
        2,
        """
        # (b) the standard error [2 points]
        import numpy as np
        from mlekit import Poisson, fit, grading

        def reference(c):  # mlekit: inverse Fisher information of N observations at the MLE
            return fit(Poisson(), c.x).se["lam"]

        mistakes = [grading.Mistake("you forgot the square root: that is the variance of the estimate", lambda c, e: e**2),
                    grading.Mistake("you used the information of one observation: multiply it by N", lambda c, e: e * np.sqrt(c.n)),
                    grading.Mistake("you divided by N-1 instead of N", lambda c, e: e * np.sqrt(c.n / (c.n - 1)) if c.n > 1 else np.nan),
                    grading.Mistake("you divided by N, not by sqrt(N): SE = sqrt(lam_hat / N)", lambda c, e: e / np.sqrt(c.n))]
        grading.check_values(standard_error, reference, [grading.case("the counts [0, 2, 4]", [0, 2, 4])], name="standard_error",
                             signature=("x",), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
        grading.check_values(standard_error, reference, grading.random_cases(Poisson(), seed=1902, n_sets=30, sizes=(2, 5, 20, 100)),
                             name="standard_error", signature=("x",), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_se_edges",
        1,
        """
        # (b) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Poisson, fit, grading

        grading.check_raises(standard_error, [("empty data", (np.array([]),))], name="standard_error")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        grading.check_values(standard_error, lambda c: fit(Poisson(), c.x).se["lam"],
                             [c("all zeros", [0, 0, 0, 0]), c("a single observation", [3]), c("a single zero", [0])],
                             name="standard_error", signature=("x",))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) The Wald interval — 2 points

        Write `wald_interval(x, level=0.95)` returning `(lower, upper)` $= \hat\lambda \mp z\,\mathrm{SE}$ with
        $z$ the $(1 + \text{level})/2$ quantile of the standard normal (`stats.norm.ppf`), the lower end clipped at
        $0$ (the parameter space).
        """
    ),
    solution(
        "c_wald_answer",
        '''
        def wald_interval(x, level=0.95):
            """Wald confidence interval for the Poisson mean, clipped to lam >= 0."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            z = stats.norm.ppf((1 + level) / 2)
            lam_hat, se = x.mean(), standard_error(x)
            return max(lam_hat - z * se, 0.0), lam_hat + z * se
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_wald_values",
        2,
        """
        # (c) the Wald interval, against mlekit's MLEResult.conf_int [2 points]
        import numpy as np
        from scipy import stats
        from mlekit import Poisson, fit, grading

        def reference(c):
            return fit(Poisson(), c.x).conf_int(level=c.params["level"])["lam"]

        def with_z(c, e, z):  # the interval the same data give with another z (lower end clipped at 0)
            lam_hat = np.mean(c.x)
            se = (e[1] - lam_hat) / stats.norm.ppf((1 + c.params["level"]) / 2)
            return np.maximum(lam_hat + np.array([-1, 1]) * z * se, [0.0, -np.inf])

        def rounded(c, e):  # z = 1.96 at the 95% level, the exact quantile elsewhere
            return with_z(c, e, 1.96) if c.params["level"] == 0.95 else e

        mistakes = [
            grading.Mistake("you used z = 1.96 whatever the level: z depends on the level", lambda c, e: with_z(c, e, 1.96)),
            grading.Mistake("you used z = 1.96, a rounded quantile: z = stats.norm.ppf(0.975) = 1.959964... at the 95% level",
                            rounded),
            grading.Mistake("you used the one-tailed quantile: z is the (1 + level)/2 quantile",
                            lambda c, e: with_z(c, e, stats.norm.ppf(c.params["level"]))),
        ]
        visible = [grading.case("the counts [1, 2, 4, 5], 95%", np.array([1, 2, 4, 5]), level=0.95),
                   grading.case("the counts [1, 2, 4, 5], 90%", np.array([1, 2, 4, 5]), level=0.9)]
        grading.check_values(wald_interval, reference, visible, name="wald_interval", signature=("x", "level"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
        cases = [grading.case(c.label, c.x, level=lv) for c, lv in zip(grading.random_cases(Poisson(), seed=1903, n_sets=24, sizes=(3, 10, 40)),
                                                                      [0.9, 0.95, 0.99, 0.5] * 6)]
        cases.append(grading.case("small counts: the lower end is clipped at 0", [0, 0, 1], level=0.95))
        grading.check_values(wald_interval, reference, cases, name="wald_interval", signature=("x", "level"), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) In words: does the interval cover? — 3 points (graded by hand)

        Simulate: draw 10 000 data sets of $N = 10$ counts with $\lambda = 0.3$, compute your 95% Wald interval for
        each, and report how often it contains $0.3$. Explain why the coverage is not 95%, and name an interval
        you would trust more here.
        """
    ),
    code(
        """
        # Your simulation (not graded automatically).
        """
    ),
    written(
        "d_written_coverage",
        3,
        r"""
        Coverage is well below 95%: the interval depends on the data only through the total $S = \sum_i x_i$,
        which is Poisson with mean $N\lambda = 3$, and it contains $0.3$ exactly when """
        + f"${D_S_LO} \\le S \\le {D_S_HI}$, so the coverage is $P({D_S_LO} \\le S \\le {D_S_HI}) = {D_COVERAGE:.3f}$"
        + f" (a simulation of 10 000 data sets lands within about $\\pm {D_MC:.3f}$ of it)"
        + r""" — in particular every data set
        with all zeros (probability $e^{-3} \approx """ + f"{100 * D_P_ZERO:.1f}" + r"""\%$) gives the interval
        $[0, 0]$, which misses $0.3$. The Wald
        interval relies on $\hat\lambda$ being approximately normal with a standard error estimated at
        $\hat\lambda$; with $N\lambda = 3$ expected counts the distribution is discrete and skewed, and the
        estimated SE is small exactly when $\hat\lambda$ is too small. The likelihood-ratio (profile) interval, or an
        exact (Garwood) interval from the chi-squared distribution, covers much better.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
