"""Problem set 10: priors and the MAP estimate (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps10_map"
RULES = dict(distributions=("bernoulli", "binom", "beta"))
FORBIDDEN = policy(["log_posterior", "map_estimate", "posterior_mean"], **RULES)

_CASES = '''
def map_cases(seed, n_sets):
    """Random Bernoulli data with Beta(a, b) priors, a, b >= 1."""
    rng = np.random.default_rng(seed)
    out = []
    for i, c in enumerate(grading.random_cases(Bernoulli(), seed=seed, n_sets=n_sets)):
        a, b = rng.uniform(1, 6, size=2)
        out.append(grading.case(c.label, c.x, p=c.params["p"], a=float(a), b=float(b)))
    return out
'''


def _indent(text, n=8):
    return "\n".join((" " * n + line) if line else "" for line in text.strip("\n").splitlines())


cells = [
    md(
        r"""
        # Problem set 10: priors and the MAP estimate

        0/1 outcomes $x_1, \dots, x_N$ with success probability $p$, and a $\mathrm{Beta}(a, b)$ prior on $p$,
        density $\propto p^{a-1}(1-p)^{b-1}$. The **maximum a posteriori** (MAP) estimate maximises the
        log-posterior $\ell(p) + (a-1)\log p + (b-1)\log(1-p)$ (up to a constant).

        You write (a) the log-posterior, (b) the MAP estimate, (c) the posterior mean, and (d) answer a question
        in words. **10 points**: 7 checked by the autograder, 3 graded by hand. Here $a, b \ge 1$.

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
        ## (a) The log-posterior — 2 points

        Write `log_posterior(p, x, a, b)` $= \sum_i [x_i\log p + (1-x_i)\log(1-p)] + (a-1)\log p + (b-1)\log(1-p)$,
        without the normalising constant, for $0 < p < 1$.
        """
    ),
    solution(
        "a_logpost_answer",
        '''
        def log_posterior(p, x, a, b):
            """Bernoulli log-likelihood plus the Beta(a, b) log-prior (no normalising constant), 0 < p < 1."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            s, n = x.sum(), x.size
            return float((s + a - 1) * np.log(p) + (n - s + b - 1) * np.log1p(-p))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "a"),
    tests(
        "a_logpost_values",
        2,
        f"""
        # (a) the log-posterior [2 points]
        import numpy as np
        from scipy import special
        from mlekit import Bernoulli, grading

        def reference(c):  # mlekit's log-likelihood plus the unnormalised Beta log-density
            p, a, b = c.params["p"], c.params["a"], c.params["b"]
            return Bernoulli().loglik(c.x, p=p) + special.xlogy(a - 1, p) + special.xlog1py(b - 1, -p)

        mistakes = [grading.Mistake("you added a and b instead of a - 1 and b - 1",
                                    lambda c, e: e + np.log(c.params["p"]) + np.log1p(-c.params["p"])),
                    grading.Mistake("you left out the prior: that is the log-likelihood",
                                    lambda c, e: Bernoulli().loglik(c.x, p=c.params["p"])),
                    grading.Mistake("you swapped a and b: a - 1 goes with log p (pseudo-successes), b - 1 with log(1 - p)",
                                    lambda c, e: reference(grading.case("", c.x, p=c.params["p"], a=c.params["b"], b=c.params["a"])))]
        grading.check_values(log_posterior, reference, [grading.case("the data [1, 1, 0, 1]", np.array([1, 1, 0, 1]), p=0.4, a=2.0, b=3.0)],
                             name="log_posterior", signature=("p", "x", "a", "b"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(log_posterior, reference, map_cases(2001, 30), name="log_posterior",
                             signature=("p", "x", "a", "b"), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The MAP estimate — 3 points

        Write `map_estimate(x, a, b)` (set the derivative of the log-posterior to zero). With $a = b = 1$ (a flat
        prior) it must give the MLE. Raise a `ValueError` for empty data and for $a < 1$ or $b < 1$.
        """
    ),
    solution(
        "b_map_answer",
        '''
        def map_estimate(x, a, b):
            """Posterior mode of p for 0/1 data ``x`` under a Beta(a, b) prior, a, b >= 1."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0:
                raise ValueError("map_estimate: x is empty")
            if a < 1 or b < 1:
                raise ValueError("map_estimate: this formula needs a >= 1 and b >= 1")
            return float((x.sum() + a - 1) / (x.size + a + b - 2))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_map_values",
        2,
        f"""
        # (b) the MAP estimate, against mlekit.fit(..., prior=BetaPrior(a, b)) [2 points]
        import numpy as np
        from mlekit import Bernoulli, BetaPrior, fit, grading

        def reference(c):
            return fit(Bernoulli(), c.x, prior=BetaPrior(c.params["a"], c.params["b"])).params["p"]

        mistakes = [grading.Mistake("that is the posterior mean (s + a) / (N + a + b), not its mode",
                                    lambda c, e: (np.sum(c.x) + c.params["a"]) / (c.n + c.params["a"] + c.params["b"])),
                    grading.Mistake("that is the MLE: the prior is missing", lambda c, e: np.mean(c.x)),
                    grading.Mistake("you swapped a and b: a - 1 counts pseudo-successes, b - 1 pseudo-failures",
                                    lambda c, e: (np.sum(c.x) + c.params["b"] - 1) / (c.n + c.params["a"] + c.params["b"] - 2))]
        grading.check_values(map_estimate, reference, [grading.case("the data [1, 1, 0, 1]", np.array([1, 1, 0, 1]), a=2.0, b=3.0)],
                             name="map_estimate", signature=("x", "a", "b"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(map_estimate, reference, map_cases(2002, 30), name="map_estimate", signature=("x", "a", "b"),
                             mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_map_edges",
        1,
        """
        # (b) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Bernoulli, BetaPrior, fit, grading

        grading.check_raises(map_estimate, [("a < 1", (np.array([0, 1]), 0.5, 2.0))], name="map_estimate")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        edge = [c("a flat prior gives the MLE", [1, 1, 0, 1], a=1.0, b=1.0), c("all zeros", [0] * 5, a=2.0, b=2.0),
                c("all ones, flat prior", [1, 1], a=1.0, b=1.0), c("a single observation", [1], a=3.0, b=1.5)]
        grading.check_values(map_estimate, lambda c: fit(Bernoulli(), c.x, prior=BetaPrior(c.params["a"], c.params["b"])).params["p"],
                             edge, name="map_estimate", signature=("x", "a", "b"))
        grading.check_raises(map_estimate, [("empty data", (np.array([]), 2.0, 2.0)), ("b < 1", (np.array([1]), 2.0, 0.9))],
                             name="map_estimate")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) The posterior mean — 2 points

        The posterior is $\mathrm{Beta}(a + s, b + N - s)$ with $s = \sum_i x_i$. Write `posterior_mean(x, a, b)`.
        """
    ),
    solution(
        "c_mean_answer",
        '''
        def posterior_mean(x, a, b):
            """Posterior mean of p for 0/1 data ``x`` under a Beta(a, b) prior."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return float((x.sum() + a) / (x.size + a + b))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_mean_values",
        2,
        f"""
        # (c) the posterior mean, against scipy.stats.beta [2 points]
        import numpy as np
        from scipy import stats
        from mlekit import Bernoulli, grading

        def reference(c):
            s, n = np.sum(c.x), c.n
            return stats.beta(c.params["a"] + s, c.params["b"] + n - s).mean()

        mistakes = [grading.Mistake("that is the posterior mode (the MAP estimate), not its mean",
                                    lambda c, e: (np.sum(c.x) + c.params["a"] - 1) / (c.n + c.params["a"] + c.params["b"] - 2)),
                    grading.Mistake("that is the MLE: the prior is missing", lambda c, e: np.mean(c.x)),
                    grading.Mistake("you swapped a and b: the posterior is Beta(a + s, b + N - s)",
                                    lambda c, e: (np.sum(c.x) + c.params["b"]) / (c.n + c.params["a"] + c.params["b"]))]
        grading.check_values(posterior_mean, reference, [grading.case("the data [1, 1, 0, 1]", np.array([1, 1, 0, 1]), a=2.0, b=3.0)],
                             name="posterior_mean", signature=("x", "a", "b"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(posterior_mean, reference, map_cases(2003, 30), name="posterior_mean", signature=("x", "a", "b"),
                             mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) In words: pseudo-counts — 3 points (graded by hand)

        Interpret $a - 1$ and $b - 1$ as counts. A new drug cured 0 of 4 patients: compare the MLE, the MAP
        estimate under $\mathrm{Beta}(2, 2)$ and the posterior mean under $\mathrm{Beta}(1, 1)$. When does the prior
        stop mattering?
        """
    ),
    written(
        "d_written_pseudocounts",
        3,
        r"""
        The MAP estimate is the MLE of the data augmented by $a - 1$ extra successes and $b - 1$ extra failures:
        $(s + a - 1)/(N + a + b - 2)$. For 0 of 4: MLE $0$ (a cure is "impossible"), MAP under Beta(2, 2)
        $1/6 \approx 0.17$, posterior mean under the uniform prior $1/6$ as well (Laplace's rule of succession).
        The prior's weight is $a + b - 2$ pseudo-observations against $N$ real ones: once $N$ is much larger, MAP,
        posterior mean and MLE agree to $O(1/N)$.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
