"""Linear models fitted by the package's own gradient-descent solvers."""

from ._gradient_descent import GradientDescentRegressor

__all__ = ["GradientDescentRegressor"]
