"""Top-10 principal components: PowerIterationPCA against PCA's solvers.

Each fit is timed (median of ``--repeats``) and its accuracy measured against
the exact top-10 subspace and eigenvalues (from a dense ``eigh`` of the
covariance, the reference only): the largest principal-angle sine and the
largest relative eigenvalue error. TruncatedSVD joins on the sparse matrix,
where PCA's "arpack" and "covariance_eigh" solvers center implicitly.

    python benchmarks/bench_pca.py            # the README's table
    python benchmarks/bench_pca.py --quick    # smaller problems
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA

from sklearn_foundations import PowerIterationPCA
from sklearn_foundations.linalg import gram_matrix

K = 10


def problems(quick):
    rng = np.random.default_rng(0)
    for n, d in (
        [(20_000, 200), (2_000, 2_000)] if quick else [(100_000, 500), (5_000, 5_000)]
    ):
        scales = 1.0 / np.sqrt(np.arange(1, d + 1))  # a decaying spectrum
        yield f"dense {n}x{d}", rng.standard_normal((n, d)) * scales + 1.0
    n, d = (50_000, 2_000) if quick else (200_000, 10_000)
    X = sp.random(n, d, density=1e-3, format="csr", random_state=1)
    X = X @ sp.diags(1.0 / np.sqrt(np.arange(1, d + 1)))
    yield f"sparse {n}x{d} ({X.nnz:,} nnz)", sp.csr_matrix(X)


def reference(X):
    n = X.shape[0]
    mean = np.asarray(X.mean(axis=0)).ravel()
    C = gram_matrix(X, center=mean) / (n - 1)
    lam, V = np.linalg.eigh(C)
    return lam[::-1][:K], V[:, ::-1][:, :K]


def accuracy(est, lam, V):
    sines = np.linalg.svd(
        V - est.components_.T @ (est.components_ @ V), compute_uv=False
    )
    return float(sines.max()), float(np.max(np.abs(est.explained_variance_ / lam - 1)))


def candidates(sparse):
    yield "PowerIterationPCA", lambda: PowerIterationPCA(K, tol=1e-8, random_state=0)
    solvers = ["arpack", "covariance_eigh"] if sparse else [
        "auto", "full", "covariance_eigh", "randomized", "arpack"]  # fmt: skip
    for solver in solvers:
        yield f"PCA({solver})", lambda s=solver: PCA(K, svd_solver=s, random_state=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| problem | estimator | max sin angle | max rel. eigenvalue error | time (s) "
          "| ratio to ours |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, X in problems(args.quick):
        lam, V = reference(X)
        rows = []
        for est_name, make in candidates(sp.issparse(X)):
            times = []
            for _ in range(args.repeats):
                est = make()
                start = time.perf_counter()
                est.fit(X)
                times.append(time.perf_counter() - start)
            rows.append((est_name, *accuracy(est, lam, V), float(np.median(times))))
        ours = rows[0][-1]
        for est_name, sin, err, t in rows:
            tag = f"**{est_name}**" if est_name == "PowerIterationPCA" else est_name
            print(f"| {name} | {tag} | {sin:.1e} | {err:.1e} | {t:.4f} | {t / ours:.2f} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
