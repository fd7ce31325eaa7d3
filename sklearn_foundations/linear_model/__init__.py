"""Linear models fitted by the package's own solvers, their regularization
paths and their cross-validated forms."""

from ._cv import GradientDescentRegressorCV, LogisticRegressionCV
from ._gradient_descent import GradientDescentRegressor
from ._logistic import LogisticRegression
from ._path import RegularizationPath, regularization_path

__all__ = [
    "GradientDescentRegressor",
    "GradientDescentRegressorCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "RegularizationPath",
    "regularization_path",
]
