r"""
L1 against L2: shrinking or selecting
=====================================

Both penalties pull the weights towards zero, in the package's one convention

.. math::

    J(w) = \text{mean loss}(w)
    + \alpha \left( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \right),

with :math:`\rho` = ``l1_ratio``. The L2 term (:math:`\rho = 0`) has gradient
:math:`\alpha w`: it shrinks every weight in proportion and never makes one
exactly zero. The L1 term (:math:`\rho = 1`) is not differentiable at zero; its
proximal operator, soft-thresholding
:math:`\operatorname{sign}(v)\max(|v| - \eta\alpha, 0)`, sets every weight whose
gradient step stays within :math:`\eta\alpha` of zero to exactly zero. As
:math:`\alpha` grows, L1 drops features one by one: it selects.
"""

# %%
# Regression paths on diabetes
# ----------------------------
# One GradientDescentRegressor per :math:`\alpha`, each warm-started from the
# previous solution, for both penalties.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import lasso_path
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import GradientDescentRegressor, LogisticRegression

data = load_diabetes()
X = StandardScaler().fit_transform(data.data)
y = data.target
alphas = np.logspace(1.5, -2.5, 30)

paths = {}
for penalty in ["l1", "l2"]:
    reg = GradientDescentRegressor(penalty=penalty, tol=1e-8, warm_start=True)
    coefs = []
    for alpha in alphas:
        coefs.append(reg.set_params(alpha=alpha).fit(X, y).coef_.copy())
    paths[penalty] = np.array(coefs)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
for ax, penalty in zip(axes, ["l1", "l2"], strict=True):
    ax.semilogx(alphas, paths[penalty])
    ax.set_xlabel("alpha")
    ax.set_title(f"GradientDescentRegressor, penalty={penalty!r}")
axes[0].set_ylabel("coefficient")
axes[0].legend(data.feature_names, fontsize=7, ncol=2)
plt.show()

# %%
# The L1 path is the lasso path: scikit-learn's coordinate descent finds the
# same coefficients at every :math:`\alpha`, with the same zeros.
_, lasso_coefs, _ = lasso_path(
    X - X.mean(axis=0), y - y.mean(), alphas=alphas, tol=1e-10
)
print("max |ours - lasso_path| =", np.max(np.abs(paths["l1"] - lasso_coefs.T)))
print("non-zero weights along the L1 path:", (paths["l1"] != 0).sum(axis=1))
print("non-zero weights along the L2 path:", (paths["l2"] != 0).sum(axis=1))

# %%
# Classification: LogisticRegression on breast_cancer
# ---------------------------------------------------
# The same contrast for the cross-entropy loss, in scikit-learn's ``C`` (inverse
# regularization strength): as ``C`` shrinks, L1 keeps fewer of the 30 features
# while L2 keeps all of them, smaller.
X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
Cs = np.logspace(-2.5, 1, 15)
fig, ax = plt.subplots(figsize=(7, 4))
for l1_ratio, label in [(1.0, "L1 (l1_ratio=1)"), (0.5, "elastic net (0.5)"),
                        (0.0, "L2 (l1_ratio=0)")]:  # fmt: skip
    n_nonzero = [
        np.count_nonzero(
            LogisticRegression(C=C, l1_ratio=l1_ratio, max_iter=10_000).fit(X, y).coef_
        )
        for C in Cs
    ]
    ax.semilogx(Cs, n_nonzero, marker="o", label=label)
ax.set_xlabel("C")
ax.set_ylabel("non-zero weights (of 30)")
ax.set_title("Sparsity of LogisticRegression on breast_cancer")
ax.legend()
plt.show()
