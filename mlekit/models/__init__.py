"""Models fitted by maximum likelihood: logistic regression (Newton / IRLS) and Gaussian mixtures (EM)."""

from .logistic import LogisticResult, LogisticTrace, Separation, logistic_regression
from .mixture import MixtureResult, MixtureStart, MixtureTrace, gaussian_mixture

__all__ = [
    "LogisticResult",
    "LogisticTrace",
    "MixtureResult",
    "MixtureStart",
    "MixtureTrace",
    "Separation",
    "gaussian_mixture",
    "logistic_regression",
]
