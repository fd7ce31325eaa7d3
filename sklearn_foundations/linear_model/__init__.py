"""Linear models fitted by the package's own gradient-descent solvers."""

from ._gradient_descent import GradientDescentRegressor
from ._logistic import LogisticRegression

__all__ = ["GradientDescentRegressor", "LogisticRegression"]
