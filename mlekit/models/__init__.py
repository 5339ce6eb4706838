"""Models fitted by maximum likelihood: logistic regression (Newton / IRLS) and Gaussian mixtures (EM)."""

from .logistic import LogisticResult, LogisticTrace, Separation, logistic_regression

__all__ = ["LogisticResult", "LogisticTrace", "Separation", "logistic_regression"]
