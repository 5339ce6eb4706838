"""The scipy.stats counterpart of each family, frozen at given parameters.

One table, ``_SCIPY``: the family class's name -> a function of the *full* parameter
dict (the estimated ones and those fixed in the constructor, e.g. ``Binomial``'s
``n`` or ``Normal(sigma2=1.0)``'s variance) returning the frozen scipy distribution.
The parameterizations are those each family's docstring names (scipy uses a scale
where R and mlekit use a rate, counts trials where ``Geometric`` counts failures,
...); ``tests/mlekit/test_dist.py`` checks every entry against the family's own
``logpdf`` at many points, so a wrong translation cannot pass silently.
"""

from __future__ import annotations

import numpy as np

from ._lazy import stats


def _categorical(p):
    theta = np.asarray(p["theta"], dtype=float)
    # an rv_discrete built from the support and the probabilities: pmf, cdf, ppf, rvs
    return stats.rv_discrete(name="categorical", values=(np.arange(theta.size), theta))


_SCIPY = {
    "Bernoulli": lambda p: stats.bernoulli(p["p"]),
    "Binomial": lambda p: stats.binom(p["n"], p["p"]),
    "Categorical": _categorical,
    "Poisson": lambda p: stats.poisson(p["lam"]),
    "Normal": lambda p: stats.norm(loc=p["mu"], scale=np.sqrt(p["sigma2"])),
    "Exponential": lambda p: stats.expon(scale=1.0 / p["rate"]),
    "Gamma": lambda p: stats.gamma(p["shape"], scale=1.0 / p["rate"]),
    "Weibull": lambda p: stats.weibull_min(p["shape"], scale=p["scale"]),
    "Beta": lambda p: stats.beta(p["shape1"], p["shape2"]),
    # scipy's nbinom(n, p): failures before the n-th success with success probability p;
    # mean n (1 - p) / p = mu  <=>  p = size / (size + mu)
    "NegativeBinomial": lambda p: stats.nbinom(p["size"], p["size"] / (p["size"] + p["mu"])),
    "StudentT": lambda p: stats.t(p["df"], loc=p["mu"], scale=p["sigma"]),
    "LogNormal": lambda p: stats.lognorm(p["sdlog"], scale=np.exp(p["meanlog"])),
    # scipy's geom counts trials (1, 2, ...); mlekit's Geometric counts failures (0, 1, ...)
    "Geometric": lambda p: stats.geom(p["prob"], loc=-1),
    "Uniform": lambda p: stats.uniform(loc=p["a"], scale=p["b"] - p["a"]),
    "Laplace": lambda p: stats.laplace(loc=p["mu"], scale=p["b"]),
}


def full_params(family, params: dict) -> dict:
    """The estimated parameters together with those fixed in the family's constructor."""
    return {**family._fixed(), **params}


def frozen(family, params: dict, owner: str):
    """The frozen ``scipy.stats`` distribution of ``family`` at ``params`` (the estimated ones).

    Raises ``ValueError`` for a family without a scipy counterpart (a ``CustomFamily``,
    a user's subclass) and for parameters the family does not know.
    """
    from . import families

    cls = type(family)
    maker = _SCIPY.get(cls.__name__)
    if maker is None or getattr(families, cls.__name__, None) is not cls:
        raise ValueError(
            f"{owner}: {family!r} has no scipy.stats counterpart (only mlekit's own families map to one: "
            f"{', '.join(sorted(_SCIPY))}); for your own model use its logpdf, or write the scipy "
            "distribution it stands for."
        )
    full = full_params(family, params)
    try:
        return maker(full)
    except KeyError as exc:
        raise ValueError(f"{owner}: {family!r} needs parameter {exc.args[0]!r}, which the fit does not hold.") from None
