"""Tests of mlekit.plotting with the Agg backend: the plotted data, not just that it runs."""

import subprocess
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

import mlekit  # noqa: E402
from mlekit.inference import profile_interval  # noqa: E402
from mlekit.plotting import plot_fit, plot_loglik, plot_loglik_surface, qq_plot  # noqa: E402

SEED = 20261129


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax, label):
    hits = [ln for ln in ax.lines if ln.get_label() == label]
    assert len(hits) == 1, [ln.get_label() for ln in ax.lines]
    return hits[0]


def _span(ax):
    """x-extent (data coordinates) of the single axvspan patch."""
    (patch,) = [p for p in ax.patches if "interval" in p.get_label()]
    if hasattr(patch, "get_width"):  # Rectangle (matplotlib >= 3.9)
        return patch.get_x(), patch.get_x() + patch.get_width()
    xs = np.asarray(patch.get_xy())[:, 0]  # Polygon (older matplotlib)
    return xs.min(), xs.max()


def _has_text(ax):
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None


def test_plot_loglik_curve_is_the_loglik_with_mle_and_lr_interval():
    x = np.array([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0])
    fam = mlekit.Bernoulli()
    ax = plot_loglik(fam, x)
    curve = _labelled(ax, "log-likelihood")
    grid, ell = curve.get_xdata(), curve.get_ydata()
    # the curve is the log-likelihood, computed here from scipy.stats.bernoulli
    assert ell == pytest.approx([stats.bernoulli(p).logpmf(x).sum() for p in grid], rel=1e-12)
    mle = _labelled(ax, "MLE")
    assert mle.get_xdata()[0] == pytest.approx(x.mean()) and mle.get_ydata()[0] == pytest.approx(max(ell), abs=1e-3)
    ci = profile_interval(fam, x)
    assert _span(ax) == pytest.approx((ci.lower, ci.upper))
    cut = _labelled(ax, r"cutoff $\ell(\hat\theta) - \chi^2_1/2$")
    assert cut.get_ydata()[0] == pytest.approx(ci.loglik - stats.chi2.ppf(0.95, 1) / 2)
    _has_text(ax)


def test_plot_loglik_profile_of_normal_mu_matches_closed_form_and_wald_span():
    y = np.random.default_rng(SEED).normal(5.0, 2.0, size=30)
    fig, ax0 = plt.subplots()
    ax = plot_loglik(mlekit.Normal(), y, "mu", interval="wald", ax=ax0)
    assert ax is ax0
    curve = _labelled(ax, "profile log-likelihood")
    mu = curve.get_xdata()
    n = y.size
    expected = -n / 2 * np.log(2 * np.pi * np.mean((y[:, None] - mu[None, :]) ** 2, axis=0)) - n / 2
    assert curve.get_ydata() == pytest.approx(expected, rel=1e-10)
    lo, hi = mlekit.fit(mlekit.Normal(), y).conf_int()["mu"]
    assert _span(ax) == pytest.approx((lo, hi))
    assert "Wald" in ax.get_legend_handles_labels()[1][-1]


def test_plot_loglik_all_zero_bernoulli_starts_at_the_edge():
    ax = plot_loglik(mlekit.Bernoulli(), np.zeros(10, dtype=int))
    curve = _labelled(ax, "log-likelihood")
    assert curve.get_xdata()[0] == 0.0 and curve.get_ydata()[0] == 0.0  # ell(0) = 0 for all-zero data
    assert _labelled(ax, "MLE").get_xdata()[0] == 0.0


def test_plot_loglik_surface_path_and_mle():
    y = np.random.default_rng(SEED).normal(1.0, 1.5, size=40)
    path = np.array([[0.0, 1.0], [0.6, 1.8], [0.9, 2.1], [y.mean(), y.var()]])
    ax = plot_loglik_surface(mlekit.Normal(), y, path=path)
    line = _labelled(ax, "optimizer path")
    assert np.column_stack([line.get_xdata(), line.get_ydata()]) == pytest.approx(path)
    star = _labelled(ax, "MLE")
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx((y.mean(), y.var()))
    assert len(ax.collections) >= 1  # the contour set
    _has_text(ax)
    # a trace object with `iterates` (as mlekit.optimize returns) works the same
    ax2 = plot_loglik_surface(mlekit.Normal(), y, path=SimpleNamespace(iterates=path), levels=[-100, -80, -70])
    assert np.asarray(_labelled(ax2, "optimizer path").get_xdata()) == pytest.approx(path[:, 0])


def test_plot_fit_continuous_density_and_histogram():
    y = np.random.default_rng(SEED).normal(2.0, 1.0, size=200)
    res = mlekit.fit(mlekit.Normal(), y)
    ax = plot_fit(res, y, bins=12)
    line = _labelled(ax, "fitted density")
    xs = line.get_xdata()
    assert line.get_ydata() == pytest.approx(stats.norm(y.mean(), y.std()).pdf(xs), rel=1e-10)
    heights = [p.get_height() for p in ax.patches]
    dens, _ = np.histogram(y, bins=12, density=True)
    assert heights == pytest.approx(dens)
    _has_text(ax)


def test_plot_fit_discrete_pmf_and_exponential_support():
    x = np.array([0, 1, 2, 2, 3, 1, 4, 2, 0, 1])
    res = mlekit.fit(mlekit.Poisson(), x)
    ax = plot_fit(res, x)
    pmf = _labelled(ax, "fitted pmf")
    assert pmf.get_xdata() == pytest.approx(np.arange(5))
    assert pmf.get_ydata() == pytest.approx(stats.poisson(x.mean()).pmf(np.arange(5)), rel=1e-12)
    assert [p.get_height() for p in ax.patches] == pytest.approx(np.bincount(x) / x.size)
    w = np.array([0.2, 1.5, 0.7, 3.1, 0.1])
    line = _labelled(plot_fit(mlekit.fit(mlekit.Exponential(), w), w), "fitted density")
    assert np.min(line.get_xdata()) >= 0


def test_qq_plot_points_are_fitted_quantiles():
    y = np.random.default_rng(SEED).exponential(2.0, size=50)
    res = mlekit.fit(mlekit.Exponential(), y)
    ax = qq_plot(res, y)
    pts = _labelled(ax, "data")
    probs = (np.arange(1, 51) - 0.5) / 50
    assert pts.get_xdata() == pytest.approx(stats.expon(scale=y.mean()).ppf(probs), rel=1e-12)
    assert pts.get_ydata() == pytest.approx(np.sort(y))
    _labelled(ax, "y = x")
    _has_text(ax)


def test_plotting_bad_input():
    y = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="param="):
        plot_loglik(mlekit.Normal(), y)
    with pytest.raises(ValueError, match="interval"):
        plot_loglik(mlekit.Poisson(), [1, 2], interval="bayes")
    with pytest.raises(ValueError, match="two scalar parameters"):
        plot_loglik_surface(mlekit.Poisson(), [1, 2])
    with pytest.raises(ValueError, match=r"shape \(T, 2\)"):
        plot_loglik_surface(mlekit.Normal(), y, path=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="leaves its domain"):
        plot_loglik_surface(mlekit.Normal(), y, ranges=((0, 3), (-1, 2)))
    with pytest.raises(ValueError, match="MLEResult"):
        plot_fit({"mu": 1.0}, y)
    with pytest.raises(ValueError, match="no quantile function"):
        qq_plot(mlekit.fit(mlekit.Categorical(3), [0, 1, 2]), [0, 1, 2])


def test_import_mlekit_does_not_import_matplotlib():
    code = "import sys, mlekit, mlekit.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_qq_plot_gamma_uses_scipy_equivalent_quantiles():
    if not hasattr(mlekit, "Gamma"):
        pytest.skip("mlekit.Gamma not available")
    y = np.random.default_rng(SEED).gamma(3.0, 0.5, size=40)
    res = mlekit.fit(mlekit.Gamma(), y)
    pts = _labelled(qq_plot(res, y), "data")
    probs = (np.arange(1, 41) - 0.5) / 40
    ref = stats.gamma(res.params["shape"], scale=1 / res.params["rate"]).ppf(probs)  # scipy: gamma(a, scale=1/rate)
    assert pts.get_xdata() == pytest.approx(ref, rel=1e-10)
