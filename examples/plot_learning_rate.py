r"""
Choosing the learning rate
==========================

Gradient descent updates the weights against the gradient of the objective,

.. math::

    \theta \leftarrow \theta - \eta \nabla J(\theta),

and everything depends on the learning rate :math:`\eta`. For the ridge
objective on the diabetes data,

.. math::

    J(w, b) = \frac{1}{2n} \|y - Xw - b\|^2 + \frac{\alpha}{2} \|w\|^2,

the gradient is Lipschitz with constant :math:`L`, the largest eigenvalue of
:math:`X_c^\top X_c / n + \alpha I`: any constant step below :math:`2/L` decreases
:math:`J`, :math:`1/L` is the classical safe choice, and a step beyond
:math:`2/L` makes the iterates blow up. Here we watch all three, the automatic
step, and check the result against the closed-form Ridge solution.
"""

# %%
# The data and the closed-form optimum
# ------------------------------------
# The normal equations :math:`(X_c^\top X_c / n + \alpha I) w = X_c^\top y_c / n`
# give the optimum in one solve of a 10 x 10 system.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import GradientDescentRegressor
from sklearn_foundations.display import LossCurveDisplay
from sklearn_foundations.linalg import largest_eigenvalue

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
n, d = X.shape
alpha = 0.01

Xc, yc = X - X.mean(axis=0), y - y.mean()
H = Xc.T @ Xc / n + alpha * np.eye(d)
w_star = np.linalg.solve(H, Xc.T @ yc / n)
J_star = 0.5 * np.mean((yc - Xc @ w_star) ** 2) + 0.5 * alpha * w_star @ w_star
L = largest_eigenvalue(H, tol=1e-10, max_iter=1000)
print(f"optimum J* = {J_star:.6f}, Lipschitz constant L = {L:.4f}, 1/L = {1 / L:.4f}")

# %%
# Too small, right, too large
# ---------------------------
# A constant step of ``eta0``: a tenth of :math:`1/L` crawls, :math:`1/L`
# converges, and a step past :math:`2/L` diverges. The estimator detects the
# blow-up, stops, and recommends a step below :math:`1/L`.
curves, names = [], []
for eta0 in [0.1 / L, 1 / L, 1.9 / L]:
    reg = GradientDescentRegressor(
        alpha=alpha, learning_rate="constant", eta0=eta0, max_iter=300, tol=1e-10
    )
    with warnings.catch_warnings():  # 300 iterations are too few for 0.1 / L
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    curves.append(reg)
    names.append(f"eta0 = {eta0 * L:.1f} / L")

try:
    GradientDescentRegressor(alpha=alpha, learning_rate="constant", eta0=2.5 / L).fit(
        X, y
    )
except ValueError as exc:
    print(f"ValueError: {exc}")

# %%
# The automatic step ``learning_rate="auto"`` needs no tuning: for this
# quadratic objective it runs conjugate gradient, which takes the exact step
# along each new direction and finishes in at most ``d`` iterations; with an L1
# term it runs FISTA with the step :math:`1/L`.
auto = GradientDescentRegressor(alpha=alpha, tol=1e-10).fit(X, y)
fista = GradientDescentRegressor(
    penalty="elasticnet", l1_ratio=1e-12, alpha=alpha, tol=1e-10
).fit(X, y)
curves += [auto, fista]
names += ["auto (conjugate gradient)", "auto with an L1 term (FISTA, 1/L)"]

fig, ax = plt.subplots(figsize=(7, 4.5))
LossCurveDisplay.from_estimator(curves, names=names, optimum=J_star, ax=ax)
ax.set_title("Ridge on diabetes: suboptimality per iteration")
plt.show()

# %%
# Slopes on this log scale are convergence rates: :math:`1/L` contracts the error
# by :math:`(1 - \mu/L)` per step, where :math:`\mu` is the smallest eigenvalue of
# :math:`H`; 1.9/L still converges (every step below :math:`2/L` does) but
# oscillates along the stiffest direction.
#
# Gradient descent against the closed form
# ----------------------------------------
# The same optimum as the normal equations, and as scikit-learn's Ridge with
# its penalty on the sum rather than the mean (``alpha * n``).
ridge = Ridge(alpha=alpha * n).fit(X, y)
print("max |w_gd - w_closed_form| =", np.max(np.abs(auto.coef_ - w_star)))
print("max |w_gd - w_Ridge|       =", np.max(np.abs(auto.coef_ - ridge.coef_)))
