"""Plots of every result type (issue #16): qq_plot of a CustomFamily, plot_fit of mixtures and
logistic regressions, and no "MLE" star for a fit that did not converge.

References: scipy.stats (quantiles, normal densities of the mixture components) and
statsmodels Logit (the fitted probabilities of the calibration groups).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from scipy import stats  # noqa: E402

import mlekit  # noqa: E402
from mlekit.plotting import plot_fit, plot_loglik_surface, qq_plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labelled(ax, label):
    lines = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(lines) == 1, [ln.get_label() for ln in ax.get_lines()]
    return lines[0]


def _custom_gamma():
    return mlekit.CustomFamily(
        lambda x, a, b: stats.gamma.logpdf(x, a, scale=1 / b), ["a", "b"],
        domains={"a": (0.0, np.inf), "b": (0.0, np.inf)}, name="my gamma",
    )


def test_qq_plot_of_a_custom_family_with_its_scipy_distribution():
    x = np.random.default_rng(1).gamma(2.0, 0.5, 60)
    r = mlekit.fit(_custom_gamma(), x, start={"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="dist="):
        qq_plot(r, x)
    d = stats.gamma(r.params["a"], scale=1 / r.params["b"])
    pts = _labelled(qq_plot(r, x, dist=d), "data")
    probs = (np.arange(1, 61) - 0.5) / 60
    np.testing.assert_allclose(pts.get_xdata(), d.ppf(probs), rtol=1e-12)
    np.testing.assert_array_equal(pts.get_ydata(), np.sort(x))
    # a distribution that is not the fit is refused, naming the mismatch
    with pytest.raises(ValueError, match="not the fitted model"):
        qq_plot(r, x, dist=stats.gamma(r.params["a"] * 1.01, scale=1 / r.params["b"]))
    with pytest.raises(ValueError, match="frozen distribution"):
        qq_plot(r, x, dist="gamma")


def test_qq_plot_of_every_family_uses_the_fitted_distribution():
    # the quantiles are those of result.dist(), itself checked against each family's logpdf (test_dist.py)
    for fam, truth in ((mlekit.Weibull(), dict(shape=1.5, scale=2.0)), (mlekit.Poisson(), dict(lam=3.0)),
                       (mlekit.Normal(sigma2=2.0), dict(mu=1.0)), (mlekit.Geometric(), dict(prob=0.3))):
        x = fam.sample(50, rng=3, **truth)
        r = mlekit.fit(fam, x)
        pts = _labelled(qq_plot(r, x), "data")
        np.testing.assert_allclose(pts.get_xdata(), r.dist().ppf((np.arange(1, 51) - 0.5) / 50), rtol=1e-12)
        plt.close("all")


def test_plot_fit_of_a_mixture_draws_its_density_and_components():
    x = mlekit.datasets.load_old_faithful()["waiting"].to_numpy(dtype=float)
    mix = mlekit.gaussian_mixture(x, 2, rng=0)
    ax = plot_fit(mix, x, bins=20)
    line = _labelled(ax, "fitted mixture density")
    g = line.get_xdata()
    w, mu, var = mix.params["weights"], mix.params["means"], mix.params["covariances"]
    comps = [w[j] * stats.norm.pdf(g, mu[j], np.sqrt(var[j])) for j in range(2)]
    np.testing.assert_allclose(line.get_ydata(), comps[0] + comps[1], rtol=1e-10)
    for j in range(2):
        np.testing.assert_allclose(_labelled(ax, f"component {j + 1}").get_ydata(), comps[j], rtol=1e-10)
    assert sum(p.get_height() * p.get_width() for p in ax.patches) == pytest.approx(1.0)  # a density histogram
    with pytest.raises(ValueError, match="not those the model was fitted to"):
        plot_fit(mix, x[::-1].copy())
    two_d = mlekit.gaussian_mixture(mlekit.datasets.load_old_faithful()[["eruptions", "waiting"]], 2, rng=0)
    with pytest.raises(ValueError, match="one-dimensional"):
        plot_fit(two_d, x)


def test_plot_fit_of_a_logistic_regression_is_a_calibration_plot():
    df = mlekit.datasets.load_infert()
    cols = ["age", "parity", "induced", "spontaneous"]
    fit = mlekit.logistic_regression(df[cols], df["case"])
    ax = plot_fit(fit, (df[cols], df["case"]))
    pts = _labelled(ax, "observed share")
    # statsmodels' fitted probabilities, sorted and cut into 10 groups of 24 or 25
    p_sm = sm.Logit(df["case"], sm.add_constant(df[cols])).fit(disp=0).predict()
    order = np.argsort(p_sm, kind="stable")
    groups = np.array_split(order, 10)
    y = df["case"].to_numpy()
    np.testing.assert_allclose(pts.get_xdata(), [p_sm[g].mean() for g in groups], rtol=1e-6)
    np.testing.assert_allclose(pts.get_ydata(), [y[g].mean() for g in groups], rtol=1e-12)
    assert _labelled(ax, "y = x").get_xdata().tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"\(X, y\)"):
        plot_fit(fit, df[cols])
    with pytest.raises(ValueError, match="0/1"):
        plot_fit(fit, (df[cols], df["case"] * 2))
    with pytest.raises(ValueError, match="groups"):
        plot_fit(fit, (df[cols], df["case"]), bins=1)


def test_surface_of_a_fit_that_did_not_converge_has_no_mle_star():
    x = np.random.default_rng(0).normal(1.0, 2.0, 40)
    bad = mlekit.fit(mlekit.Normal(), x, method="gradient", max_iter=2)
    assert not bad.converged
    ax = plot_loglik_surface(mlekit.Normal(), x, result=bad, ranges=((-2.0, 4.0), (1.0, 9.0)), num=15)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "MLE" not in labels
    cross = _labelled(ax, "last iterate (the fit did not converge)")
    assert cross.get_xdata()[0] == bad.params["mu"]
    good = mlekit.fit(mlekit.Normal(), x)
    ax2 = plot_loglik_surface(mlekit.Normal(), x, result=good, num=15)
    assert _labelled(ax2, "MLE").get_xdata()[0] == good.params["mu"]
