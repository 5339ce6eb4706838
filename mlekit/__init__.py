"""mlekit: maximum-likelihood estimation, honestly.

The package behind the MLE course: every formula the book derives lives here,
tested against scipy.stats and statsmodels.

Quick start::

    import mlekit
    result = mlekit.fit(mlekit.Bernoulli(), [0, 1, 1, 0, 1])
    result.params, result.se, result.conf_int()

What to use when
----------------
- A standard family with a closed-form MLE: ``fit(Bernoulli(), x)`` and friends.
- The pieces of the recipe (log-density, score, Hessian, information): the
  family's methods, e.g. ``Poisson().score(x, lam=2.0)``.
"""

from .families import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    CustomFamily,
    Exponential,
    Family,
    Gamma,
    Geometric,
    Laplace,
    LogNormal,
    NegativeBinomial,
    Normal,
    Param,
    Poisson,
    StudentT,
    Uniform,
    Weibull,
)
from . import optimize
from . import datasets
from .fit import fit
from .results import MLEResult

__version__ = "0.1.0"

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "CustomFamily",
    "Exponential",
    "Family",
    "Gamma",
    "Geometric",
    "Laplace",
    "LogNormal",
    "NegativeBinomial",
    "StudentT",
    "Uniform",
    "Weibull",
    "MLEResult",
    "Normal",
    "Param",
    "Poisson",
    "datasets",
    "fit",
    "optimize",
]
