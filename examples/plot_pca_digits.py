r"""
PCA on digits by power iteration
================================

The principal axes of the data are the eigenvectors of its covariance
:math:`C = X_c^\top X_c / (n - 1)`, and the eigenvalue :math:`\lambda_j` is the
variance along axis :math:`j`. Power iteration finds the largest ones with
nothing but products :math:`C v`: repeated multiplication turns any starting
vector towards the top eigenvector, since the component along
:math:`v_j` grows like :math:`\lambda_j^t`. The block version iterates
:math:`V \leftarrow \operatorname{orth}(C V)` on several vectors at once and
reads the eigenpairs off the small matrix :math:`V^\top C V` (Rayleigh-Ritz).
"""

# %%
# Scree plot: how much variance each axis carries
# -----------------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import LogisticRegression, PowerIterationPCA

X, y = load_digits(return_X_y=True)
pca = PowerIterationPCA(n_components=30, random_state=0).fit(X)
reference = PCA(n_components=30, svd_solver="full").fit(X)
print(
    "max |explained variance ours - PCA(full)| / largest:",
    np.max(np.abs(pca.explained_variance_ - reference.explained_variance_))
    / reference.explained_variance_[0],
)

fig, ax = plt.subplots(figsize=(7, 4))
ax.bar(range(1, 31), pca.explained_variance_ratio_, label="per component")
ax.plot(range(1, 31), np.cumsum(pca.explained_variance_ratio_), "o-",
        color="tab:orange", label="cumulative")  # fmt: skip
ax.set_xlabel("component")
ax.set_ylabel("share of the variance")
ax.set_title("Scree plot of the 64 digits pixels")
ax.legend()
plt.show()

# %%
# The first two axes: a 2-D map of the digits
# -------------------------------------------
Z = PowerIterationPCA(n_components=2, random_state=0).fit_transform(X)
fig, ax = plt.subplots(figsize=(7, 6))
scatter = ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap="tab10", s=8)
ax.legend(*scatter.legend_elements(), title="digit", fontsize=8, loc="best")
ax.set_xlabel("first principal component")
ax.set_ylabel("second principal component")
plt.show()

# %%
# Watching power iteration converge
# ---------------------------------
# ``residual_history_`` holds :math:`\|C v_j - \lambda_j v_j\|` for every
# component at every iteration. The error along :math:`v_j` shrinks like
# :math:`(\lambda_{p+1} / \lambda_j)^t`, with :math:`p` the size of the block:
# the largest, best separated eigenvalues converge first, and oversampling
# (a block larger than the components wanted) speeds up the last ones. The
# textbook deflation method finds one vector at a time, each from scratch.
# ``accelerate=False`` runs the plain iteration described here (by default
# a Chebyshev filter works between the steps, and a covariance of at most
# 128 features takes the whole space's one exact step).
plain = dict(n_components=10, accelerate=False, random_state=0)
block = PowerIterationPCA(n_oversamples=10, **plain).fit(X)
lean = PowerIterationPCA(n_oversamples=0, **plain).fit(X)
deflation = PowerIterationPCA(n_components=10, method="deflation", random_state=0)
deflation.fit(X)

fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, model, title in [(axes[0], block, "block, 10 oversamples"),
                         (axes[1], lean, "block, no oversampling")]:  # fmt: skip
    history = np.array(model.residual_history_)
    ax.semilogy(np.arange(1, len(history) + 1), history / model.explained_variance_[0])
    ax.set_title(f"{title}: {model.n_iter_} iterations")
    ax.set_xlabel("iteration")
for j, history in enumerate(deflation.residual_history_):
    axes[2].semilogy(history / deflation.explained_variance_[0], label=f"{j + 1}")
axes[2].set_title(f"deflation: {deflation.n_iter_} products in all")
axes[2].set_xlabel("iteration (per component)")
axes[0].set_ylabel("relative residual of each component")
axes[2].legend(title="component", fontsize=7, ncol=2)
plt.show()

# %%
# Each method reaches the same axes as the full eigendecomposition, up to the
# tolerance ``tol=1e-10`` relative to :math:`\lambda_1`:
for name, model in [("block", block), ("deflation", deflation)]:
    gap = np.max(np.abs(model.components_ - reference.components_[:10]))
    print(f"{name:>9}: max |component ours - PCA(full)| = {gap:.1e}")

# %%
# PCA then logistic regression, with a grid search over n_components
# ------------------------------------------------------------------
# The same Pipeline with our PowerIterationPCA or scikit-learn's PCA, and our
# LogisticRegression after it; GridSearchCV picks the number of components.
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
grid = {"pca__n_components": [5, 10, 20, 30, 40]}
rows, curves = [], {}
for library, reducer in [
    ("sklearn-foundations", PowerIterationPCA(random_state=0)),
    ("scikit-learn", PCA(random_state=0)),
]:
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("pca", reducer),
            ("logistic", LogisticRegression(max_iter=1000)),
        ]
    )
    search = GridSearchCV(pipe, grid, cv=cv)
    start = time.perf_counter()
    search.fit(X, y)
    rows.append(
        {
            "PCA": library,
            "best n_components": search.best_params_["pca__n_components"],
            "accuracy": round(search.best_score_, 4),
            "time (s)": round(time.perf_counter() - start, 2),
        }
    )
    curves[library] = search.cv_results_["mean_test_score"]
print(pd.DataFrame(rows).to_string(index=False))

fig, ax = plt.subplots(figsize=(7, 4))
for library, scores in curves.items():
    ax.plot(grid["pca__n_components"], scores, "o-", label=library)
ax.set_xlabel("n_components")
ax.set_ylabel("mean CV accuracy")
ax.set_title("PCA + LogisticRegression on digits")
ax.legend()
plt.show()
