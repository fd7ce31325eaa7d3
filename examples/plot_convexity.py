r"""
Convex against non-convex: where gradient descent ends
======================================================

A function is convex when every chord lies above its graph,

.. math::

    J(t a + (1 - t) b) \le t J(a) + (1 - t) J(b), \qquad t \in [0, 1],

equivalently (for a twice differentiable :math:`J`) when its Hessian is
positive semi-definite everywhere. Then every local minimum is global, and
gradient descent :math:`\theta \leftarrow \theta - \eta \nabla J(\theta)` with a
step below :math:`1/L` reaches the minimum from *any* start. The logistic loss
is convex: its Hessian is :math:`X^\top D X / n` with
:math:`D = \operatorname{diag}(p_i (1 - p_i)) \succeq 0`. A function with two
valleys is not, and where descent ends depends on where it starts.

Both runs below use the package's own solver,
:func:`~sklearn_foundations.optimize.proximal_gradient`, with a constant step
and no penalty: plain gradient descent.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from sklearn_foundations.datafits import LinearDatafit
from sklearn_foundations.gradcheck import check_gradient
from sklearn_foundations.losses import BinomialLogLoss
from sklearn_foundations.optimize import proximal_gradient
from sklearn_foundations.penalties import L2

no_penalty = L2(alpha=0.0)


def descend(datafit, start, step, max_iter=500):
    """Gradient descent from ``start``; returns the path of iterates."""
    path = [np.array(start, dtype=float)]

    def record(state):  # the solver's hook, once per iteration
        path.append(state.theta.ravel().copy())

    proximal_gradient(
        datafit, no_penalty, path[0].reshape(-1, 1), step=step,
        max_iter=max_iter, tol=1e-8, callback=record,
    )  # fmt: skip
    return np.array(path)


# %%
# The convex case: logistic regression with two features
# -------------------------------------------------------
# Two standardized features of breast_cancer and no intercept, so that the
# parameter :math:`w` is a point of the plane and the loss a surface over it.
data = load_breast_cancer()
X = StandardScaler().fit_transform(data.data[:, [0, 1]])  # mean radius, texture
y = (data.target == 0).astype(float)[:, None]  # malignant
n = X.shape[0]
logistic = LinearDatafit(BinomialLogLoss(), X, y, np.full(n, 1 / n))
# L = 1/4 times the largest eigenvalue of X^T X / n
L = 0.25 * np.linalg.eigvalsh(X.T @ X / n)[-1]

starts = [(-6, -6), (-6, 6), (6, -6), (6, 6), (0, -7), (-7, 0)]
convex_paths = [descend(logistic, s, step=1 / L) for s in starts]


def logistic_value(w):
    w = np.asarray(w, dtype=float).reshape(-1, 1)
    return logistic.value(w, logistic.linear(w))


# %%
# The non-convex case: a tilted double well
# -----------------------------------------
# :math:`J(a, b) = (a^2 - 1)^2 + \tfrac{a}{4} + (b - a/2)^2` has a deep valley
# near :math:`a = -1`, a shallower one near :math:`a = +1`, and a ridge between
# them where the Hessian has a negative eigenvalue. We write it as a tiny
# datafit (``linear``, ``value``, ``gradient``) and check its gradient by finite
# differences before descending.


class DoubleWell:
    """A non-convex function of theta = (a, b), in the solvers' datafit form."""

    def linear(self, theta):
        return theta.ravel()

    def value(self, theta, z):
        a, b = z
        return (a**2 - 1) ** 2 + a / 4 + (b - a / 2) ** 2

    def gradient(self, theta, z):
        a, b = z
        da = 4 * a * (a**2 - 1) + 0.25 - (b - a / 2)
        db = 2 * (b - a / 2)
        return np.array([[da], [db]])


well = DoubleWell()
theta = np.array([[0.3], [-0.2]])
print("finite-difference gradient error:", check_gradient(
    lambda t: well.value(t, well.linear(t)),
    lambda t: well.gradient(t, well.linear(t)),
    theta,
))  # fmt: skip
well_starts = [(-2, 2), (-0.2, 2), (0.2, -2), (2, -2), (0.05, 1.5), (1.8, 2)]
well_paths = [descend(well, s, step=0.05) for s in well_starts]

# %%
# Where each run ends
# -------------------
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
grid = np.linspace(-7.5, 7.5, 120)
A, B = np.meshgrid(grid, grid)
values = np.vectorize(lambda a, b: logistic_value([a, b]))(A, B)
axes[0].contour(A, B, values, levels=25, cmap="Greys")
for path in convex_paths:
    axes[0].plot(path[:, 0], path[:, 1], ".-", ms=3)
axes[0].set_title("logistic loss (convex): one minimum from every start")
axes[0].set_xlabel("w (mean radius)")
axes[0].set_ylabel("w (mean texture)")

grid_a, grid_b = np.linspace(-2.2, 2.2, 200), np.linspace(-2.4, 2.4, 200)
A, B = np.meshgrid(grid_a, grid_b)
values = well.value(None, (A, B))
axes[1].contour(A, B, values, levels=np.linspace(-0.5, 6, 30), cmap="Greys")
for path in well_paths:
    axes[1].plot(path[:, 0], path[:, 1], ".-", ms=3)
axes[1].set_title("double well (non-convex): the start decides")
axes[1].set_xlabel("a")
axes[1].set_ylabel("b")
plt.show()

# %%
# Every logistic run ends at the same point, the unique minimum; the double
# well's runs split between its two valleys, and those that end near
# :math:`a = +1` are stuck in a local minimum with a higher value.
ends = np.array([path[-1] for path in convex_paths])
print("logistic: spread of the end points", np.ptp(ends, axis=0))
for start, path in zip(well_starts, well_paths, strict=True):
    a, b = path[-1]
    print(f"double well from {start}: ends at ({a:+.3f}, {b:+.3f}), "
          f"J = {well.value(None, (a, b)):.4f}")  # fmt: skip
