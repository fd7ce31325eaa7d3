"""Cross-validated linear models: ours against scikit-learn's *CV, same folds.

Rows: 5-fold cross-validation over 100 alphas for the lasso and the elastic
net (``l1_ratio`` in {0.1, 0.5, 0.9, 1}) on a dense n x 100 design with
correlated features (Toeplitz covariance, rho = 0.5), on a sparse
n x 2,000 one and on a wide 500 x 2,000 one (more features than rows,
neighbouring columns correlated); ``LogisticRegressionCV`` with 20 Cs (neg_log_loss), L2 and
L1, on breast_cancer, digits (standardized) and a dense n x 100 problem.

Accuracy first: a reference is fitted tightly (ours at ``tol=1e-10``,
which the tests hold to scikit-learn's exact solvers); each candidate's
``tol`` is swept by decades from loose to tight until its test scores along every path
agree with the reference's to 1e-6 (relative) and it chooses the same
hyperparameters; a sweep that spends over ``--budget`` seconds on one fit
stops and reports what it reached. Then the median of ``--repeats`` fits
after an untimed round, the rows' fits interleaved round by round, each
after 0.3 s of rest. python-glmnet, where it imports (the ``bench`` extra), is a
column for the regression and binary rows: its path on each of the same
folds over the same grid, the test scores computed as ours are (what
``cv.glmnet`` does in R), its parameters converted to our objective as in
``_peers.py`` (for the squared error per fold, from the training part's
standard deviation of ``y``).

    python benchmarks/bench_cv.py --quick          # a tenth of the rows
    python benchmarks/bench_cv.py                  # the sizes above
    python benchmarks/bench_cv.py --only lasso     # rows whose name matches
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from _harness import neighbour_correlated
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sklearn_foundations.linear_model import (
    GradientDescentRegressorCV,
    LogisticRegressionCV,
)

RATIOS = [0.1, 0.5, 0.9, 1.0]
# every candidate's tol swept by decades: the loosest that agrees is timed
DECADES = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12]


def correlated(n, d=100, rho=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = np.empty((n, d))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, d):  # AR(1) columns: covariance rho^|i - j|
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    w = np.zeros(d)
    w[rng.choice(d, 10, replace=False)] = rng.normal(size=10)
    return X, w, rng


def dense_regression(n):
    X, w, rng = correlated(n)
    return X, X @ w + rng.standard_normal(n)


def sparse_regression(n, d=2000, density=0.005):
    rng = np.random.default_rng(1)
    X = sp.random(n, d, density=density, format="csc", random_state=rng)
    w = np.zeros(d)
    w[rng.choice(d, 40, replace=False)] = rng.normal(size=40)
    return X, X @ w + 0.1 * rng.standard_normal(n)


def wide_regression():
    """Fewer rows than features, neighbouring columns correlated (each 0.8
    of the last plus noise): bench_regression's wide 500 x 2,000 problem,
    where the elastic net of a small l1_ratio has more non-zeros than rows."""
    return neighbour_correlated(5, 500, 2000, 0.8, 0.6, 20)


def dense_classification(n):
    X, w, rng = correlated(n, seed=2)
    return X, (X @ w + rng.logistic(size=n) > 0).astype(int)


def scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def problems(quick):
    scale = 10 if quick else 1
    kf = KFold(5, shuffle=True, random_state=0)
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    dense = f"dense {200_000 // scale:,} x 100 (rho 0.5)"
    sparse = f"sparse {100_000 // scale:,} x 2,000"
    for name, data in ((dense, lambda: dense_regression(200_000 // scale)),
                       (sparse, lambda: sparse_regression(100_000 // scale))):  # fmt: skip
        for label, ratio in (("lasso", 1.0), ("elastic net", RATIOS)):
            yield f"{label}, {name}", data, "regression", dict(l1_ratio=ratio, cv=kf)
    wide = "wide 500 x 2,000 (rho 0.8)"  # not scaled by --quick
    for label, ratio in (("lasso", 1.0), ("elastic net", RATIOS)):
        yield (
            f"{label}, {wide}",
            wide_regression,
            "regression",
            dict(l1_ratio=ratio, cv=kf),
        )
    datasets = (
        ("breast_cancer", lambda: scaled(load_breast_cancer)),
        ("digits", lambda: scaled(load_digits)),
        (f"dense {100_000 // scale:,} x 100", lambda: dense_classification(100_000 // scale)),
    )  # fmt: skip
    for name, data in datasets:
        for label, ratio in (("L2", 0.0), ("L1", 1.0)):
            yield (f"logistic {label}, {name}", data, "classification",
                   dict(l1_ratios=(ratio,), cv=skf))  # fmt: skip


def candidates(kind, params):
    """(name, factory(tol), tols) for ours and scikit-learn's."""
    if kind == "regression":
        ratio, cv = params["l1_ratio"], params["cv"]
        ours = lambda tol: GradientDescentRegressorCV(l1_ratio=ratio, cv=cv, tol=tol)  # noqa: E731
        yield "ours", ours, DECADES[2:7]
        sk = LassoCV if ratio == 1.0 else ElasticNetCV
        extra = {} if ratio == 1.0 else {"l1_ratio": ratio}

        def theirs(tol):
            return sk(cv=cv, tol=tol, max_iter=100_000, **extra)

        yield sk.__name__, theirs, DECADES
        return
    ratios, cv = params["l1_ratios"], params["cv"]
    common = dict(Cs=20, l1_ratios=ratios, cv=cv, scoring="neg_log_loss")

    def ours(tol):
        return LogisticRegressionCV(tol=tol, max_iter=1000, **common)

    yield "ours", ours, DECADES[2:7]
    solvers = ["lbfgs", "newton-cholesky"] if ratios[0] == 0 else ["saga"]
    for solver in solvers:

        def theirs(tol, solver=solver):
            return SkLogisticRegressionCV(
                solver=solver, tol=tol, max_iter=10_000, use_legacy_attributes=False,
                **common,
            )  # fmt: skip

        yield f"LogisticRegressionCV({solver})", theirs, DECADES[:7]


class GlmnetCV:
    """python-glmnet's path on each fold of ``cv`` over our ``grid`` (alphas
    per l1_ratio for the squared error; Cs for the binary log loss), scored
    as ours scores: the mean squared error, or minus the log loss (the
    probabilities clipped as scikit-learn's ``log_loss`` clips them). Its
    attributes mirror ours (``mse_path_``/``alpha_`` or ``scores_``/``C_``,
    and ``l1_ratio_``)."""

    def __init__(self, kind, grid, ratios, cv, tol):
        self.kind, self.grid, self.ratios, self.cv, self.tol = (
            kind,
            grid,
            ratios,
            cv,
            tol,
        )

    def fit(self, X, y):
        import glmnet

        folds = list(self.cv.split(X, y))
        ratios = np.atleast_1d(self.ratios)
        n_points = self.grid.shape[-1]
        scores = np.empty((len(folds), len(ratios), n_points))
        for f, (train, test) in enumerate(folds):
            X_a, y_a, X_b, y_b = X[train], y[train], X[test], y[test]
            for k, ratio in enumerate(ratios):
                if self.kind == "regression":
                    s = float(np.sqrt(np.mean((y_a - y_a.mean()) ** 2)))
                    mix = ratio + s * (1.0 - ratio)
                    est = glmnet.ElasticNet(
                        alpha=ratio / mix, lambda_path=np.atleast_2d(self.grid)[k] * mix,
                        standardize=False, tol=self.tol, max_iter=1_000_000, n_splits=0,
                    )  # fmt: skip
                else:  # decreasing alpha = 1 / (C n): increasing Cs
                    est = glmnet.LogitNet(
                        alpha=ratio, lambda_path=1.0 / (self.grid * len(train)),
                        standardize=False, tol=self.tol, max_iter=1_000_000, n_splits=0,
                    )  # fmt: skip
                est.fit(X_a, y_a)
                coefs = np.asarray(est.coef_path_).reshape(X.shape[1], -1)
                intercepts = np.ravel(est.intercept_path_)
                if coefs.shape[1] != n_points:
                    raise RuntimeError("glmnet stopped its path early")
                Z = np.asarray(X_b @ coefs) + intercepts
                if self.kind == "regression":
                    scores[f, k] = np.mean((y_b[:, None] - Z) ** 2, axis=0)
                else:
                    eps = np.finfo(np.float64).eps
                    p = np.clip(expit(Z), eps, 1 - eps)
                    yb = (y_b == np.max(y))[:, None]
                    scores[f, k] = np.mean(
                        np.where(yb, np.log(p), np.log1p(-p)), axis=0
                    )
        if self.kind == "regression":  # lowest mean error; ours' shapes
            mse = np.moveaxis(scores, 0, -1)  # (n_l1, n_alphas, n_folds)
            self.mse_path_ = mse[0] if np.ndim(self.ratios) == 0 else mse
            l1, a = divmod(int(np.argmin(mse.mean(axis=-1).ravel())), n_points)
            self.alpha_ = float(np.atleast_2d(self.grid)[l1, a])
        else:
            self.scores_ = scores
            l1, a = divmod(int(np.argmax(scores.mean(axis=0).ravel())), n_points)
            self.C_ = float(self.grid[a])
        self.l1_ratio_ = float(ratios[l1])
        return self


def glmnet_candidate(kind, params, reference, y):
    """python-glmnet's row where it imports and the problem is regression or
    binary."""
    try:
        import glmnet  # noqa: F401
    except ImportError:
        return []
    if kind == "regression":
        grid, ratios = np.asarray(reference.alphas_), params["l1_ratio"]
    elif len(np.unique(y)) == 2:
        grid, ratios = np.asarray(reference.Cs_), params["l1_ratios"]
    else:  # its multinomial model is not wrapped here
        return []

    def theirs(tol):
        return GlmnetCV(kind, grid, ratios, params["cv"], tol)

    return [("glmnet", theirs, [1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14])]


def path_scores(est):
    if hasattr(est, "mse_path_"):
        return np.asarray(est.mse_path_)
    return np.asarray(est.scores_)


def choice(est):
    if hasattr(est, "alpha_"):
        return (float(f"{est.alpha_:.12g}"), getattr(est, "l1_ratio_", 1.0))
    return (est.C_, est.l1_ratio_)


def fit(factory, tol, X, y):
    est = factory(tol)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return time.perf_counter() - start, est


def interleaved(rows, X, y, repeats, budget, pause=0.3):
    """Median time of each row's chosen setting: one untimed round, then
    ``repeats`` rounds that fit every row in turn, each fit after ``pause``
    seconds of rest (the threads of the last fit idle), so that a drift of
    the machine's speed moves every row alike; a sweep fit over ``budget``
    keeps its one time."""
    times = [[seconds] if seconds > budget else [] for *_, seconds in rows]
    for round_ in range(repeats + 1):
        for (_, factory, tol, *_, seconds), spent in zip(rows, times, strict=True):
            if seconds > budget:
                continue
            time.sleep(pause)
            t = fit(factory, tol, X, y)[0]
            if round_:
                spent.append(t)
    return [float(np.median(t)) for t in times]


def run(quick, repeats, budget, only):
    print(
        "| problem | estimator | tol | score gap | same choice | time (s) | ratio to ours |"
    )
    print("|---|---|---|---|---|---|---|", flush=True)
    for name, data, kind, params in problems(quick):
        if only and only not in name:
            continue
        X, y = data()
        cands = list(candidates(kind, params))
        _, reference = fit(cands[0][1], 1e-10, X, y)
        cands += glmnet_candidate(kind, params, reference, y)
        ref_scores, ref_choice = path_scores(reference), choice(reference)
        rows = []
        for label, factory, tols in cands:
            for tol in tols:
                seconds, est = fit(factory, tol, X, y)
                gap = np.max(np.abs(path_scores(est) - ref_scores) / np.abs(ref_scores))
                same = choice(est) == ref_choice
                if (gap <= 1e-6 and same) or seconds > budget:
                    break
            rows.append((label, factory, tol, gap, same, seconds))
        times = interleaved(rows, X, y, repeats, budget)
        ours = times[0]
        for (label, _, tol, gap, same, _), t in zip(rows, times, strict=True):
            tag = f"**{label}**" if label == "ours" else label
            print(f"| {name} | {tag} | {tol:g} | {gap:.1e} | {same} | {t:.3f} | "
                  f"{t / ours:.2f} |", flush=True)  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=300.0,
                        help="seconds one sweep fit may take")  # fmt: skip
    parser.add_argument("--only", default=None, help="rows whose name contains it")
    args = parser.parse_args()
    run(args.quick, args.repeats, args.budget, args.only)


if __name__ == "__main__":
    main()
