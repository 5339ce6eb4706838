"""Problem set 7: logistic regression by Newton-Raphson (writes the source notebook)."""

from nbbuild import code, main, md, policy, rules, selfcheck, solution, tests, written

A = "ps07_logistic"
RULES = dict(distributions=("bernoulli", "binom"), optimize=True)
FORBIDDEN = policy(["log_likelihood", "gradient", "fit_logistic"], **RULES)

_CASES = '''
def logistic_cases(seed, n_sets, sizes=(1, 5, 40, 200)):
    """Random (beta, X, y): X has a column of ones and 1-3 predictors; y drawn from the model."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_sets):
        n, p = sizes[i % len(sizes)], 2 + i % 3
        X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
        beta = rng.normal(0, 1.5, size=p)
        y = (rng.random(n) < special.expit(X @ beta)).astype(int)
        out.append(grading.case(f"random data set {i + 1} of {n_sets} (n={n}, {p} coefficients)", y, beta=beta, X=X))
    return out
'''


def _indent(text, n=8):
    return "\n".join((" " * n + line) if line else "" for line in text.strip("\n").splitlines())


cells = [
    md(
        r"""
        # Problem set 7: logistic regression

        Outcomes $y_i \in \{0, 1\}$ with predictors $x_i$ (a row of the design matrix $X$, whose first column is
        all ones for the intercept): $P(y_i = 1) = p_i = \sigma(x_i^\top\beta)$, $\sigma(\eta) = 1/(1 + e^{-\eta})$.

        $$\ell(\beta) = \sum_i \big[y_i \eta_i - \log(1 + e^{\eta_i})\big], \qquad \eta = X\beta .$$

        You write (a) the log-likelihood, (b) its gradient, (c) Newton–Raphson for $\hat\beta$, and (d) answer a
        question in words. **10 points**: 8 checked by the autograder, 2 graded by hand.
        """,
        rules(**RULES, allowed="`np.logaddexp`, `scipy.special.expit` and `np.linalg.solve` are the ones you will "
              "want; the Newton–Raphson iterations of (c) are yours to write, so no `scipy.optimize`."),
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
    md(
        r"""
        ## (a) The log-likelihood — 2 points

        Write `log_likelihood(beta, X, y)`. For large $|\eta|$, `np.log(1 + np.exp(eta))` overflows
        ($e^{710} = \infty$): use `np.logaddexp(0, eta)`, which computes $\log(e^0 + e^\eta)$ safely.
        """
    ),
    solution(
        "a_loglik_answer",
        '''
        def log_likelihood(beta, X, y):
            """Logistic-regression log-likelihood of 0/1 outcomes ``y`` with design matrix ``X`` at ``beta``."""
            ### BEGIN SOLUTION
            eta = np.asarray(X, dtype=float) @ np.asarray(beta, dtype=float)
            return float(np.sum(np.asarray(y) * eta - np.logaddexp(0.0, eta)))
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "a"),
    tests(
        "a_loglik_values",
        1,
        f"""
        # (a) the value of the log-likelihood [1 point]
        import numpy as np
        from scipy import special
        from mlekit import grading

        def reference(c):  # sum of log P(y_i), via scipy.special.log_expit (log sigma), stable for any eta
            eta = c.params["X"] @ c.params["beta"]
            return np.sum(c.x * special.log_expit(eta) + (1 - c.x) * special.log_expit(-eta))

        def plus_minus_one(c, e):  # -sum log(1 + exp(-y eta)), the formula for labels -1/+1, used on 0/1 labels
            return -np.sum(np.logaddexp(0.0, -np.asarray(c.x) * (c.params["X"] @ c.params["beta"])))

        mistakes = [grading.Mistake("your log-likelihood equals the likelihood itself: did you forget the log?", lambda c, e: np.exp(e)),
                    grading.Mistake("your log-likelihood has the wrong sign", lambda c, e: -e),
                    grading.Mistake("that is the formula for labels -1/+1, -sum log(1 + exp(-y eta)); here y is 0 or 1: "
                                    "sum [y eta - log(1 + exp(eta))]", plus_minus_one)]
        X = np.array([[1.0, 0.0], [1.0, 2.0]])
        grading.check_values(log_likelihood, reference, [grading.case("two observations", np.array([0, 1]), beta=np.array([0.5, 0.5]), X=X)],
                             name="log_likelihood", signature=("beta", "X", "x"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(log_likelihood, reference, logistic_cases(1701, 24), name="log_likelihood",
                             signature=("beta", "X", "x"), mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "a_loglik_edges",
        1,
        """
        # (a) edge cases: large linear predictors, a single observation [1 point]
        import numpy as np
        from scipy import special
        from mlekit import grading

        def reference(c):
            eta = np.asarray(c.params["X"], float) @ np.asarray(c.params["beta"], float)
            return np.sum(c.x * special.log_expit(eta) + (1 - c.x) * special.log_expit(-eta))

        c = grading.case
        grading.check_values(log_likelihood, reference, [c("a single observation", [1], beta=np.array([0.3, -1.0]), X=np.array([[1.0, 2.0]]))],
                             name="log_likelihood", signature=("beta", "X", "x"))
        ### BEGIN HIDDEN TESTS
        X = np.array([[1.0, -800.0], [1.0, 0.0], [1.0, 900.0]])
        edge = [c("large linear predictors (|eta| up to 900)", [0, 1, 1], beta=np.array([0.5, 1.0]), X=X),
                c("large linear predictors, unlikely outcomes", [1, 0, 0], beta=np.array([0.0, 0.02]), X=X),
                c("lists, not arrays", [0, 1], beta=[0.2, -0.4], X=[[1.0, 1.0], [1.0, -1.0]])]
        grading.check_values(log_likelihood, reference, edge, name="log_likelihood", signature=("beta", "X", "x"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (b) The gradient — 3 points

        Write `gradient(beta, X, y)` $= \nabla\ell(\beta) = X^\top(y - p)$, a vector with one entry per
        coefficient. It must agree with finite differences of **your own** `log_likelihood`.
        """
    ),
    solution(
        "b_gradient_answer",
        '''
        def gradient(beta, X, y):
            """Gradient of the logistic-regression log-likelihood with respect to ``beta``."""
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            p = special.expit(X @ np.asarray(beta, dtype=float))
            return X.T @ (np.asarray(y, dtype=float) - p)
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "b"),
    tests(
        "b_gradient_values",
        2,
        f"""
        # (b) the value of the gradient [2 points]
        import numpy as np
        from scipy import special
        from mlekit import grading

        def reference(c):  # X^T (y - p), written out
            return c.params["X"].T @ (c.x - special.expit(c.params["X"] @ c.params["beta"]))

        mistakes = [grading.Mistake("your gradient has the wrong sign: it is X^T (y - p)", lambda c, e: -e),
                    grading.Mistake("you returned the residuals y - p, one per observation: the gradient is X^T (y - p), "
                                    "one entry per coefficient", lambda c, e: c.x - special.expit(c.params["X"] @ c.params["beta"]))]
        X = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, -1.0]])
        grading.check_values(gradient, reference, [grading.case("three observations", np.array([0, 1, 1]), beta=np.array([0.5, 0.5]), X=X)],
                             name="gradient", signature=("beta", "X", "x"), mistakes=mistakes)
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_values(gradient, reference, logistic_cases(1702, 24), name="gradient", signature=("beta", "X", "x"),
                             mistakes=mistakes)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "b_gradient_derivative",
        1,
        f"""
        # (b) your gradient is the derivative of your log-likelihood [1 point]
        import numpy as np
        from scipy import special
        from mlekit import grading

        X = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, -1.0]])
        grading.check_score_is_derivative(gradient, log_likelihood, [grading.case("three observations", [0, 1, 1], beta=np.array([0.2, 0.5]), X=X)],
                                          wrt="beta", signature=("beta", "X", "x"), name="gradient")
        ### BEGIN HIDDEN TESTS
{_indent(_CASES)}

        grading.check_score_is_derivative(gradient, log_likelihood, logistic_cases(1703, 12), wrt="beta",
                                          signature=("beta", "X", "x"), name="gradient")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (c) Newton–Raphson — 3 points

        Write `fit_logistic(X, y)` returning $\hat\beta$: start at $\beta = 0$ and repeat
        $\beta \leftarrow \beta + (X^\top W X)^{-1} \nabla\ell(\beta)$, with $W = \mathrm{diag}\{p_i(1-p_i)\}$
        (use `np.linalg.solve`, not an inverse), until the step is below $10^{-10}$ (at most 50 steps).
        Before iterating, check the input and raise a `ValueError` with a clear message when `X` is not a 2-D
        array of finite numbers with at least one row, when `y` does not have one entry per row of `X`, or when
        `y` holds anything other than 0 and 1.
        """
    ),
    solution(
        "c_fit_answer",
        '''
        def fit_logistic(X, y):
            """Maximum-likelihood coefficients of a logistic regression, by Newton-Raphson.

            Raises
            ------
            ValueError
                If ``X`` is not a non-empty 2-D array of finite numbers, ``y`` does not have one
                entry per row of ``X``, or ``y`` holds values other than 0 and 1.
            """
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float)
            if X.ndim != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)):
                raise ValueError("fit_logistic: X must be a 2-D array of finite numbers with at least one row")
            if y.shape != (X.shape[0],):
                raise ValueError(f"fit_logistic: X has {X.shape[0]} rows but y has shape {y.shape}; they must match")
            if not np.all((y == 0) | (y == 1)):
                raise ValueError("fit_logistic: y must hold only 0 and 1")
            beta = np.zeros(X.shape[1])
            for _ in range(50):
                p = special.expit(X @ beta)
                info = X.T @ (X * (p * (1 - p))[:, None])
                step = np.linalg.solve(info, gradient(beta, X, y))
                beta = beta + step
                if np.max(np.abs(step)) < 1e-10:
                    break
            return beta
            ### END SOLUTION
        ''',
    ),
    selfcheck(A, "c"),
    code(
        """
        # Try it on simulated data, and compare with mlekit (allowed here, outside your functions).
        rng = np.random.default_rng(0)
        X_try = np.column_stack([np.ones(300), rng.normal(size=300)])
        y_try = (rng.random(300) < special.expit(X_try @ np.array([-0.5, 1.2]))).astype(int)
        from mlekit.models import logistic_regression

        print(fit_logistic(X_try, y_try), logistic_regression(X_try[:, 1], y_try).params)
        """
    ),
    tests(
        "c_fit_values",
        2,
        """
        # (c) the estimates, against mlekit.models.logistic_regression [2 points]
        import numpy as np
        from scipy import special
        from mlekit import grading
        from mlekit.models import logistic_regression

        def cases(seed, n_sets):
            rng = np.random.default_rng(seed)
            out = []
            for i in range(n_sets):
                n, p = (60, 150, 400)[i % 3], 2 + i % 2
                X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
                y = (rng.random(n) < special.expit(X @ rng.normal(0, 1, size=p))).astype(int)
                out.append(grading.case(f"random data set {i + 1} of {n_sets} (n={n})", y, X=X))
            return out

        def one_step(c):  # the first Newton step from beta = 0, where p = 1/2 and W = I/4
            X = c.params["X"]
            return np.linalg.solve(X.T @ X / 4, X.T @ (c.x - 0.5))

        mistakes = [grading.Mistake("that is the first Newton step from 0: repeat the steps until they are below 1e-10",
                                    lambda c, e: one_step(c))]

        def check(cs):  # X's first column is the intercept; mlekit adds its own
            grading.check_values(fit_logistic, lambda c: np.array(list(logistic_regression(c.params["X"][:, 1:], c.x).params.values())),
                                 cs, name="fit_logistic", signature=("X", "x"), rtol=1e-6, atol=1e-8, mistakes=mistakes)

        check(cases(1704, 1))
        ### BEGIN HIDDEN TESTS
        check(cases(1705, 12))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "c_fit_bad_input",
        1,
        """
        # (c) bad input [1 point]
        import numpy as np
        from mlekit import grading

        X = np.column_stack([np.ones(6), np.array([-1.5, -0.5, 0.0, 0.5, 1.0, 2.0])])
        grading.check_raises(fit_logistic, [("a 2 in y", (X, np.array([0, 1, 2, 1, 1, 0])))], name="fit_logistic")
        ### BEGIN HIDDEN TESTS
        y = np.array([0, 1, 0, 1, 1, 0])
        bad = [("y coded 1/2 instead of 0/1", (X, y + 1)), ("a -1 in y", (X, np.array([0, 1, -1, 1, 1, 0]))),
               ("a fraction in y", (X, np.array([0, 1, 0.5, 1, 1, 0]))), ("y shorter than X", (X, y[:5])),
               ("a single y for six rows", (X, np.array([1]))), ("a NaN in X", (np.where(X == 0.5, np.nan, X), y)),
               ("an infinity in X", (np.where(X == 2.0, np.inf, X), y)), ("no observations", (np.empty((0, 2)), np.array([])))]
        grading.check_raises(fit_logistic, bad, name="fit_logistic")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        r"""
        ## (d) In words: separation — 2 points (graded by hand)

        Suppose every patient with dose above 3 was cured and every patient below was not. What happens to
        your Newton iterations, and to the MLE of the slope? What would you report?
        """
    ),
    written(
        "d_written_separation",
        2,
        r"""
        The data are perfectly separated: the log-likelihood keeps increasing as the slope grows (every
        $p_i \to y_i$), so there is no finite MLE; Newton's steps grow, $W \to 0$, $X^\top W X$ becomes
        singular and the iterations diverge or stop with huge coefficients and standard errors. Report the
        separation itself (the slope is "large and positive", a one-sided likelihood-ratio bound), or use a
        penalised/MAP estimate (ridge, Firth's correction) that stays finite.
        """,
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(A, cells, forbidden=FORBIDDEN))
