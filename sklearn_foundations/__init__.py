"""scikit-learn compatible estimators written from first principles.

The math core (:mod:`~sklearn_foundations.linalg`,
:mod:`~sklearn_foundations.losses`, :mod:`~sklearn_foundations.penalties`,
:mod:`~sklearn_foundations.datafits`, :mod:`~sklearn_foundations.optimize`,
:mod:`~sklearn_foundations.gradcheck`) imports only numpy and scipy; the
estimators compose it.
"""

from .decomposition import PowerIterationPCA
from .gradcheck import check_gradient
from .linear_model import (
    GradientDescentRegressor,
    GradientDescentRegressorCV,
    LogisticRegression,
    LogisticRegressionCV,
)
from .naive_bayes import NaiveBayesClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "GradientDescentRegressor",
    "GradientDescentRegressorCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "NaiveBayesClassifier",
    "PowerIterationPCA",
    "check_gradient",
]
