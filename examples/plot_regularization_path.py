r"""
Regularization paths: choosing alpha and C by cross-validation
==============================================================

Nobody fits a penalized model at one hand-picked alpha. A **regularization
path** fits the whole family

.. math::

    J_\alpha(w, b) = \frac{1}{n} \sum_i \ell(y_i, x_i^\top w + b)
    + \alpha \Big( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \Big),
    \qquad \alpha_1 > \alpha_2 > \dots,

starting at :math:`\alpha_{\max} = \max_j |\nabla_j f(0, b_0)| / \rho`, the
smallest alpha at which every coefficient is zero (known in closed form: the
zero vector meets the optimality conditions there). Each fit starts from the
previous one, and only on the features that the *strong rule* keeps,
:math:`|\nabla_j f(\hat\theta_{k-1})| \ge \rho (2\alpha_k - \alpha_{k-1})`;
the rule is a heuristic, so the optimality conditions of the features left
out are checked after every fit and a violator is put back.

Cross-validation runs one path per fold and picks the alpha of the best mean
test score. Here: the diabetes data (a lasso, beside scikit-learn's
``LassoCV``) and the breast cancer data (L1 logistic regression, beside
``LogisticRegressionCV``).
"""

# %%
# The lasso path of the diabetes data
# -----------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LassoCV
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations.display import RegularizationPathDisplay
from sklearn_foundations.linear_model import (
    GradientDescentRegressorCV,
    LogisticRegressionCV,
    regularization_path,
)

data = load_diabetes(as_frame=True)
X, y = data.data.to_numpy(), data.target.to_numpy()
path = regularization_path(X, y, l1_ratio=1.0, n_alphas=100)
print(f"alpha_max = {path.alpha_max:.4f}: coefficients there", path.coefs[0])
print("features fitted at each of the first 8 alphas:", path.n_screened[:8])
print("active features at each of the first 8 alphas:", path.n_active[:8])
assert np.all(path.coefs[0] == 0) and np.any(path.coefs[1] != 0)

# %%
# Cross-validation on the same folds as ``LassoCV``
# -------------------------------------------------
cv = KFold(5, shuffle=True, random_state=0)
start = time.perf_counter()
ours = GradientDescentRegressorCV(cv=cv).fit(X, y)
t_ours = time.perf_counter() - start
start = time.perf_counter()
theirs = LassoCV(cv=cv, tol=1e-8, max_iter=100_000).fit(X, y)
t_theirs = time.perf_counter() - start
print(f"alpha_: ours {ours.alpha_:.6f}, LassoCV {theirs.alpha_:.6f}")
gap = np.max(np.abs(ours.mse_path_ - theirs.mse_path_) / theirs.mse_path_)
print(f"largest relative difference of the test errors along the path: {gap:.1e}")
print(f"time: ours {t_ours:.2f} s, LassoCV (tol=1e-8) {t_theirs:.2f} s")
assert np.isclose(ours.alpha_, theirs.alpha_, rtol=1e-12)

disp = RegularizationPathDisplay.from_estimator(
    ours, X, y, feature_names=list(data.feature_names)
)
disp.ax_[0].set_title("Lasso on the diabetes data")

# %%
# L1 logistic regression on the breast cancer data
# ------------------------------------------------
# ``LogisticRegressionCV`` speaks C, :math:`\alpha = 1 / (C n)`: a path over
# increasing C. With an L1 term the features enter one by one.
X, y = load_breast_cancer(return_X_y=True)
cv = StratifiedKFold(5, shuffle=True, random_state=0)
Cs = np.logspace(-2, 1, 10)
model = make_pipeline(
    StandardScaler(),
    LogisticRegressionCV(Cs=Cs, l1_ratios=(1.0,), cv=cv, scoring="neg_log_loss"),
)
start = time.perf_counter()
model.fit(X, y)
t_ours = time.perf_counter() - start
reference = make_pipeline(
    StandardScaler(),
    SkLogisticRegressionCV(
        Cs=Cs, l1_ratios=(1.0,), cv=cv, scoring="neg_log_loss", solver="saga",
        max_iter=5000, use_legacy_attributes=False,
    ),
)  # fmt: skip
start = time.perf_counter()
reference.fit(X, y)
t_theirs = time.perf_counter() - start
print(f"C_: ours {model[-1].C_:.4f}, scikit-learn (saga) {reference[-1].C_:.4f}")
print(f"time: ours {t_ours:.2f} s, scikit-learn (saga) {t_theirs:.2f} s")
print("non-zero coefficients of the chosen model:", int((model[-1].coef_ != 0).sum()))

disp = RegularizationPathDisplay.from_estimator(model, X, y)
disp.ax_[0].set_title("L1 logistic regression on the breast cancer data")
plt.show()
