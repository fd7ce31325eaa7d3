"""Fits on dask arrays: ours against dask-ml, on the same chunked data.

A dense ``n x d`` problem in row chunks of 25,000 (binary labels from a
sparse linear signal), fitted by our four estimators on the dask arrays and by
dask-ml's LogisticRegression (admm, lbfgs, newton), PCA and GaussianNB where
dask-ml installs (``pip install dask-ml``; skipped with a note otherwise).
Each row: the median time of ``--repeats`` fits after a warm-up, the passes
over the data (ours: ``n_passes_``), and the largest distance of the fitted
coefficients (or variances, or class means) to scikit-learn's answer on the
same data in memory, fitted tightly. The objective is scikit-learn's
(LogisticRegression with ``C``: dask-ml's ``lamduh = 1 / C`` penalizes the
intercept and sums the loss, so its optimum differs; the distance says by how
much). The threaded scheduler, or a LocalCluster with ``--cluster``.

    python benchmarks/bench_dask.py                  # 400,000 x 20
    python benchmarks/bench_dask.py --rows 1200000   # larger
"""

import argparse
import time
import warnings

import dask.array as da
import numpy as np
from sklearn.decomposition import PCA as SkPCA
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.naive_bayes import GaussianNB as SkGaussianNB

from sklearn_foundations import (
    LogisticRegression,
    NaiveBayesClassifier,
    PowerIterationPCA,
)

ROWS = 25_000


def data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) * (rng.uniform(size=d) < 0.5)
    y = (X @ w + rng.logistic(size=n) > 0).astype(int)
    return X, y


def timed(fit, repeats):
    fit()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        est = fit()
        times.append(time.perf_counter() - start)
    return est, float(np.median(times))


def candidates(dX, dy, C):
    yield "logistic", "ours (newton-cg)", lambda: LogisticRegression(C=C).fit(dX, dy)
    yield "pca", "ours", lambda: PowerIterationPCA(n_components=5).fit(dX)
    yield "gaussian NB", "ours", lambda: NaiveBayesClassifier().fit(dX, dy)
    try:
        import dask_ml.decomposition
        import dask_ml.linear_model
        import dask_ml.naive_bayes
    except ImportError:
        print("dask-ml is not installed: its rows are skipped")
        return
    for solver in ("admm", "lbfgs", "newton"):
        yield (
            "logistic",
            f"dask-ml ({solver})",
            (
                lambda s=solver: dask_ml.linear_model.LogisticRegression(
                    C=C, solver=s, max_iter=100
                ).fit(dX, dy)
            ),
        )
    yield (
        "pca",
        "dask-ml",
        (lambda: dask_ml.decomposition.PCA(n_components=5, svd_solver="tsqr").fit(dX)),
    )
    yield "gaussian NB", "dask-ml", lambda: dask_ml.naive_bayes.GaussianNB().fit(dX, dy)


def distance(kind, est, ref):
    if kind == "logistic":
        coef = np.ravel(est.coef_)
        return float(np.max(np.abs(coef - ref.coef_.ravel())))
    if kind == "pca":
        return float(np.max(np.abs(np.asarray(est.explained_variance_) - ref.explained_variance_)
                            / ref.explained_variance_))  # fmt: skip
    return float(np.max(np.abs(np.asarray(est.theta_) - ref.theta_)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cluster", action="store_true")
    args = parser.parse_args()
    X, y = data(args.rows, args.features)
    dX = da.from_array(X, chunks=(ROWS, X.shape[1]))
    dy = da.from_array(y, chunks=(ROWS,))
    C = 1.0
    refs = {
        "logistic": SkLogistic(C=C, tol=1e-10, max_iter=1000).fit(X, y),
        "pca": SkPCA(n_components=5, svd_solver="full").fit(X),
        "gaussian NB": SkGaussianNB().fit(X, y),
    }
    client = None
    if args.cluster:
        from distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
        dX, dy = dX.persist(), dy.persist()
    print(f"dense {args.rows}x{args.features} in {dX.numblocks[0]} chunks, "
          f"{'LocalCluster' if client else 'threaded scheduler'}")  # fmt: skip
    print("| problem | estimator | time (s) | passes | distance to scikit-learn |")
    print("|---|---|---|---|---|")
    for kind, name, fit in candidates(dX, dy, C):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                est, seconds = timed(fit, args.repeats)
            except Exception as exc:  # a peer that fails is a row that says so
                print(f"| {kind} | {name} | failed: {type(exc).__name__}: "
                      f"{str(exc)[:60]} | | |")  # fmt: skip
                continue
        passes = getattr(est, "n_passes_", "")
        print(f"| {kind} | {name} | {seconds:.3f} | {passes} | "
              f"{distance(kind, est, refs[kind]):.1e} |")  # fmt: skip
    if client is not None:
        client.close()


if __name__ == "__main__":
    main()
