r"""
Grid search over C and l1_ratio, beside scikit-learn
====================================================

Our :class:`~sklearn_foundations.LogisticRegression` speaks scikit-learn's
parameters: it minimizes

.. math::

    C \sum_i s_i \, \mathrm{CE}(y_i, p_i)
    + \rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_F^2,

with :math:`\rho` = ``l1_ratio``, so it drops into a Pipeline and a
GridSearchCV unchanged, and the same grid finds the same best model as
scikit-learn's estimator (``lbfgs`` for the L2 penalty, ``saga`` for the
others; ours picks its solver from the penalty, ``solver="auto"``). Here on breast_cancer (two classes: the sigmoid) and digits
(ten classes: the softmax).
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import LogisticRegression

grid = {
    "logisticregression__C": [0.01, 0.1, 1.0, 10.0],
    "logisticregression__l1_ratio": [0.0, 0.5, 1.0],
}
# scikit-learn's solver follows the penalty: a list of two grids
sk_grid = [
    {**grid, "logisticregression__l1_ratio": [0.0]},
    {
        **grid,
        "logisticregression__l1_ratio": [0.5, 1.0],
        "logisticregression__solver": ["saga"],
    },
]
models = {
    "sklearn-foundations": (LogisticRegression(max_iter=5000), grid),
    "scikit-learn": (SkLogisticRegression(max_iter=1000), sk_grid),
}

results = []
searches = {}
for name, load in [("breast_cancer", load_breast_cancer), ("digits", load_digits)]:
    X, y = load(return_X_y=True)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for library, (model, param_grid) in models.items():
        pipe = make_pipeline(StandardScaler(), model)
        search = GridSearchCV(pipe, param_grid, cv=cv)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X, y)
        elapsed = time.perf_counter() - start
        searches[name, library] = search
        results.append(
            {
                "dataset": name,
                "library": library,
                "best C": search.best_params_["logisticregression__C"],
                "best l1_ratio": search.best_params_["logisticregression__l1_ratio"],
                "best accuracy": round(search.best_score_, 4),
                "search time (s)": round(elapsed, 1),
            }
        )
print(pd.DataFrame(results).to_string(index=False))

# %%
# The whole grid, side by side
# ----------------------------
# Each cell is the mean accuracy over the folds. The two libraries solve the same
# problem, so the surfaces agree wherever both solvers converge.
Cs, l1_ratios = grid["logisticregression__C"], grid["logisticregression__l1_ratio"]


def _score_grid(search):
    """Mean test accuracy as a (C, l1_ratio) table."""
    res = search.cv_results_
    table = np.empty((len(Cs), len(l1_ratios)))
    for params, score in zip(res["params"], res["mean_test_score"], strict=True):
        i = Cs.index(params["logisticregression__C"])
        j = l1_ratios.index(params["logisticregression__l1_ratio"])
        table[i, j] = score
    return table


fig, axes = plt.subplots(2, 2, figsize=(10, 7), layout="constrained")
for row, dataset in enumerate(["breast_cancer", "digits"]):
    for col, library in enumerate(models):
        scores = _score_grid(searches[dataset, library])
        ax = axes[row, col]
        image = ax.imshow(scores, vmin=0.85, vmax=1.0, cmap="viridis")
        ax.set_xticks(range(3), grid["logisticregression__l1_ratio"])
        ax.set_yticks(range(4), grid["logisticregression__C"])
        ax.set_xlabel("l1_ratio")
        ax.set_ylabel("C")
        ax.set_title(f"{dataset}: {library}", fontsize=10)
        for (i, j), value in np.ndenumerate(scores):
            ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, ax=axes, label="mean CV accuracy")
plt.show()

# %%
# The largest gap between the two grids:
for dataset in ["breast_cancer", "digits"]:
    ours, theirs = (_score_grid(searches[dataset, lib]) for lib in models)
    print(f"{dataset}: max |accuracy difference| = {np.max(np.abs(ours - theirs)):.4f}")
