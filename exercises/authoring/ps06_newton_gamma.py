"""Problem set 6: Newton-Raphson for the Gamma shape, a likelihood with no closed form (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps06_newton_gamma"
RULES = dict(distributions=("gamma",), optimize=True)
FORBIDDEN = policy(["profile_loglik", "profile_score", "newton_step", "gamma_mle"], **RULES)

cells = [
    md(
        r"""
        # Problem set 6: Newton–Raphson for the Gamma shape

        Positive data $x_1, \dots, x_N$ (rainfall amounts, insurance claims), Gamma with shape $\alpha$ and rate
        $\beta$: $\log f(x) = \alpha\log\beta - \log\Gamma(\alpha) + (\alpha - 1)\log x - \beta x$. The score in
        $\beta$ vanishes at $\beta = \alpha/\bar x$; putting that back gives the **profile log-likelihood** of the
        shape alone,

        $$\ell_p(\alpha) = \ell\big(\alpha, \alpha/\bar x\big),$$

        whose derivative is $\ell_p'(\alpha) = N\big[\log\alpha - \psi(\alpha) - s\big]$ with
        $s = \log\bar x - \overline{\log x}$ and $\psi$ the digamma function (`scipy.special.digamma`). The
        equation $\ell_p'(\alpha) = 0$ has no closed-form solution: you solve it with Newton–Raphson.

        You write (a) the profile log-likelihood, (b) its derivative, (c) one Newton step, (d) the MLE of
        both parameters, and (e) answer a question in words. **10 points**: 8 checked by the autograder, 2 by hand.
        """,
        rules(**RULES, allowed="`scipy.special.gammaln`, `digamma` and `polygamma` are the ones you will want."),
        """
        After each part, a *self-check* cell runs that part's visible checks and prints what they say in full.
        """,
    ),
    code(
        """
        import numpy as np
        import mlekit
        from mlekit import grading
        from scipy import special
        """
    ),
    md("## (a) The profile log-likelihood — 2 points\n\nWrite `profile_loglik(alpha, x)` $= \\ell(\\alpha, \\alpha/\\bar x)$."),
    solution(
        "a_profile_answer",
        '''
        def profile_loglik(alpha, x):
            """Gamma log-likelihood at shape ``alpha`` and the best rate for it, ``alpha / mean(x)``."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            n, xbar = x.size, x.mean()
            beta = alpha / xbar
            return float(n * (alpha * np.log(beta) - special.gammaln(alpha)) + (alpha - 1) * np.log(x).sum() - beta * x.sum())
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "a"),
    tests(
        "a_profile_values",
        2,
        """
        # (a) the profile log-likelihood [2 points]
        import numpy as np
        from mlekit import Gamma, grading

        def reference(c):  # mlekit's Gamma log-likelihood at (alpha, alpha / mean(x))
            return Gamma().loglik(c.x, shape=c.params["alpha"], rate=c.params["alpha"] / np.mean(c.x))

        mistakes = [
            grading.Mistake("you dropped the constant -sum(log x), from (alpha - 1) sum(log x): it does not change the maximiser, "
                            "but the log-likelihood needs it", lambda c, e: e + np.sum(np.log(c.x))),
            grading.Mistake("scale vs rate: the best rate for the shape alpha is alpha / mean(x), not mean(x) / alpha",
                            lambda c, e: Gamma().loglik(c.x, shape=c.params["alpha"], rate=np.mean(c.x) / c.params["alpha"])),
            grading.Mistake("your log-likelihood has the wrong sign", lambda c, e: -e),
            grading.Mistake("you averaged over the observations: the log-likelihood is a sum, not a mean", lambda c, e: e / c.n),
        ]
        grading.check_values(profile_loglik, reference, [grading.case("three points", np.array([1.0, 2.0, 4.0]), alpha=2.0)],
                             name="profile_loglik", signature=("alpha", "x"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
        cases = [grading.case(c.label, c.x, alpha=c.params["shape"]) for c in grading.random_cases(Gamma(), seed=1601, n_sets=30)]
        grading.check_values(profile_loglik, reference, cases, name="profile_loglik", signature=("alpha", "x"), rtol=1e-7,
                             mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "## (b) Its derivative — 2 points\n\n"
        "Write `profile_score(alpha, x)` $= N[\\log\\alpha - \\psi(\\alpha) - s]$. It must agree with finite "
        "differences of **your own** `profile_loglik`."
    ),
    solution(
        "b_score_answer",
        '''
        def profile_score(alpha, x):
            """Derivative of the Gamma profile log-likelihood with respect to the shape ``alpha``."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            s = np.log(x.mean()) - np.log(x).mean()
            return float(x.size * (np.log(alpha) - special.digamma(alpha) - s))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_score_values",
        1,
        """
        # (b) the value of the profile score [1 point]
        import numpy as np
        from scipy import special
        from mlekit import Gamma, grading

        def reference(c):  # the formula above, written out with scipy.special.digamma
            x = np.asarray(c.x, float)
            return x.size * (np.log(c.params["alpha"]) - special.digamma(c.params["alpha"]) - np.log(x.mean()) + np.log(x).mean())

        grading.check_values(profile_score, reference, [grading.case("three points", [1.0, 2.0, 4.0], alpha=2.0)],
                             name="profile_score", signature=("alpha", "x"), mistakes=[
                                 grading.Mistake("your score has the wrong sign", lambda c, e: -e),
                                 grading.Mistake("you averaged: multiply by N", lambda c, e: e / c.n)])
        ### BEGIN HIDDEN TESTS
        cases = [grading.case(c.label, c.x, alpha=c.params["shape"]) for c in grading.random_cases(Gamma(), seed=1602, n_sets=30)]
        grading.check_values(profile_score, reference, cases, name="profile_score", signature=("alpha", "x"), mistakes=[
            grading.Mistake("your score has the wrong sign", lambda c, e: -e),
            grading.Mistake("you averaged: multiply by N", lambda c, e: e / c.n)])
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_score_derivative",
        1,
        """
        # (b) your profile score is the derivative of your profile log-likelihood [1 point]
        from mlekit import Gamma, grading

        grading.check_score_is_derivative(profile_score, profile_loglik, [grading.case("three points", [1.0, 2.0, 4.0], alpha=2.0)],
                                          wrt="alpha", signature=("alpha", "x"), name="profile_score", loglik_name="profile_loglik")
        ### BEGIN HIDDEN TESTS
        cases = [grading.case(c.label, c.x, alpha=c.params["shape"]) for c in grading.random_cases(Gamma(), seed=1603, n_sets=15)]
        grading.check_score_is_derivative(profile_score, profile_loglik, cases, wrt="alpha", signature=("alpha", "x"),
                                          name="profile_score", loglik_name="profile_loglik")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) One Newton step — 1 point

        Newton–Raphson replaces $\alpha$ by $\alpha - \ell_p'(\alpha)/\ell_p''(\alpha)$, with
        $\ell_p''(\alpha) = N[1/\alpha - \psi_1(\alpha)]$ (`special.polygamma(1, alpha)`). Write
        `newton_step(alpha, x)` returning the new $\alpha$.
        """
    ),
    solution(
        "c_step_answer",
        '''
        def newton_step(alpha, x):
            """One Newton-Raphson step on the Gamma profile score, from shape ``alpha``."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            second = x.size * (1.0 / alpha - special.polygamma(1, alpha))
            return float(alpha - profile_score(alpha, x) / second)
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    tests(
        "c_step_values",
        1,
        """
        # (c) one Newton step [1 point]
        import numpy as np
        from scipy import special
        from mlekit import Gamma, grading

        def reference(c):  # alpha - l'(alpha) / l''(alpha), written out with scipy.special
            x, a = np.asarray(c.x, float), c.params["alpha"]
            s = np.log(x.mean()) - np.log(x).mean()
            return a - (np.log(a) - special.digamma(a) - s) / (1 / a - special.polygamma(1, a))

        mistakes = [grading.Mistake("you stepped the wrong way: alpha MINUS score / second derivative",
                                    lambda c, e: 2 * c.params["alpha"] - e),
                    grading.Mistake("your step mixes a sum and a mean: l_p' and l_p'' must both be sums over the N "
                                    "observations (or both means)", lambda c, e: c.params["alpha"] - c.n * (c.params["alpha"] - e)),
                    grading.Mistake("your step mixes a mean and a sum: l_p' and l_p'' must both be sums over the N "
                                    "observations (or both means)", lambda c, e: c.params["alpha"] - (c.params["alpha"] - e) / c.n)]
        grading.check_values(newton_step, reference, [grading.case("three points", [1.0, 2.0, 4.0], alpha=2.0)],
                             name="newton_step", signature=("alpha", "x"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
        cases = [grading.case(c.label, c.x, alpha=c.params["shape"]) for c in grading.random_cases(Gamma(), seed=1604, n_sets=30, sizes=(3, 10, 50))]
        grading.check_values(newton_step, reference, cases, name="newton_step", signature=("alpha", "x"), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) The MLE — 3 points

        Write `gamma_mle(x)` returning `(shape_hat, rate_hat)`: start from
        $\alpha_0 = \big(3 - s + \sqrt{(s-3)^2 + 24 s}\big)/(12 s)$, a close approximation of the root (T. Minka,
        *Estimating a Gamma distribution*, 2002; take it as given, it is not derived in the book). Then iterate
        your `newton_step`, at most 100 times: compute the step $\alpha_{\text{new}} - \alpha$; while
        $\alpha + \text{step} \le 0$ (the shape must stay positive), halve the step; move $\alpha$ by the step;
        stop when the step is below $10^{-10}\alpha$. Finally $\hat\beta = \hat\alpha/\bar x$. Raise a
        `ValueError` when there is no MLE (fewer than two distinct values: then $s = 0$) and for empty,
        non-positive or non-finite data.
        """
    ),
    solution(
        "d_mle_answer",
        '''
        def gamma_mle(x):
            """Maximum-likelihood estimates ``(shape, rate)`` of a Gamma sample, by Newton-Raphson on the shape."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0):
                raise ValueError("gamma_mle: data must be a non-empty array of finite positive numbers")
            s = np.log(x.mean()) - np.log(x).mean()
            if not s > 0:
                raise ValueError("gamma_mle: all observations are equal, the MLE does not exist")
            alpha = (3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
            for _ in range(100):
                step = newton_step(alpha, x) - alpha
                while not alpha + step > 0:  # stay inside alpha > 0
                    step /= 2
                alpha += step
                if abs(step) < 1e-10 * alpha:
                    break
            return float(alpha), float(alpha / x.mean())
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "d"),
    code(
        """
        # Try it, and compare with mlekit (allowed here, outside your functions).
        x_try = mlekit.Gamma().sample(200, rng=7, shape=2.5, rate=0.5)
        print(gamma_mle(x_try), mlekit.fit(mlekit.Gamma(), x_try).params)
        """
    ),
    tests(
        "d_mle_values",
        2,
        """
        # (d) the estimates [2 points]
        from mlekit import Gamma, grading

        grading.check_mle(gamma_mle, Gamma(), [grading.case("four points", [0.5, 1.0, 2.0, 4.5])], returns=("shape", "rate"),
                          name="gamma_mle", rtol=1e-6)
        ### BEGIN HIDDEN TESTS
        grading.check_mle(gamma_mle, Gamma(), grading.random_cases(Gamma(), seed=1605, n_sets=25, sizes=(3, 10, 50, 300)),
                          returns=("shape", "rate"), name="gamma_mle", rtol=1e-6)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "d_mle_edges",
        1,
        """
        # (d) edge cases and bad input [1 point]
        import numpy as np
        from mlekit import Gamma, grading

        grading.check_raises(gamma_mle, [("all observations equal", (np.array([2.0, 2.0, 2.0]),))], name="gamma_mle")
        ### BEGIN HIDDEN TESTS
        c = grading.case
        grading.check_mle(gamma_mle, Gamma(), [c("two observations", [1.0, 3.0]), c("a huge shape (nearly equal data)", [10.0, 10.01, 9.99, 10.02]),
                                               c("a tiny shape", [1e-8, 0.5, 3.0, 1e-5, 20.0])], returns=("shape", "rate"), name="gamma_mle", rtol=1e-6)
        bad = [("empty data", (np.array([]),)), ("a zero", (np.array([0.0, 1.0]),)), ("a negative value", (np.array([1.0, -2.0]),)),
               ("a single observation", (np.array([4.0]),))]
        grading.check_raises(gamma_mle, bad, name="gamma_mle")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (e) In words — 2 points (graded by hand)

        Why does profiling out the rate turn a two-parameter search into a one-dimensional one without changing
        the answer? And why is Newton–Raphson safe here but not for every likelihood (think about the sign of
        $\ell_p''$)?
        """
    ),
    written(
        "e_written_newton",
        2,
        r"""
        For each fixed $\alpha$ the best rate is $\alpha/\bar x$ (the $\beta$-score vanishes there and $\ell$ is
        concave in $\beta$), so $\max_{\alpha,\beta}\ell = \max_\alpha \ell(\alpha, \alpha/\bar x) = \max_\alpha\ell_p(\alpha)$.
        Here $\ell_p'' = N[1/\alpha - \psi_1(\alpha)] < 0$ for all $\alpha > 0$: the profile is concave, the root is
        unique and Newton steps go uphill (with halving to stay in $\alpha > 0$). Where the second derivative can be
        positive, a Newton step can head to a minimum or a saddle, or overshoot: it needs a line search, damping or a
        check that the log-likelihood increased.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
