"""Top-10 principal components: PowerIterationPCA against PCA's solvers.

Each fit is timed (median of ``--repeats``) and its accuracy measured against
the exact top-10 subspace and eigenvalues (from a dense ``eigh`` of the
covariance, or ARPACK at tol=0 beyond 3,000 features; the reference only): the largest principal-angle sine and the
largest relative eigenvalue error. On the sparse matrix PCA's "arpack" and
"covariance_eigh" solvers center implicitly; TruncatedSVD joins there too,
though it does not center (its accuracy column shows the difference).

    python benchmarks/bench_pca.py            # the README's table
    python benchmarks/bench_pca.py --quick    # smaller problems
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh
from sklearn.decomposition import PCA, TruncatedSVD

from sklearn_foundations import PowerIterationPCA
from sklearn_foundations.linalg import gram_matrix, gram_operator

K = 10


def sparse_uniform(rng, n, d, per_row):
    """CSR with ``per_row`` random columns of each row set to U(0, 1) values
    (scipy.sparse.random draws from all n*d positions and needs n*d memory)."""
    rows = np.repeat(np.arange(n), per_row)
    cols = rng.integers(0, d, n * per_row)
    X = sp.csr_matrix((rng.random(n * per_row), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    return X


def problems(quick):
    rng = np.random.default_rng(0)
    for n, d in (
        [(20_000, 200), (2_000, 2_000)] if quick else [(100_000, 500), (5_000, 5_000)]
    ):
        scales = 1.0 / np.sqrt(np.arange(1, d + 1))  # a decaying spectrum
        yield f"dense {n}x{d}", rng.standard_normal((n, d)) * scales + 1.0
    n, d = (50_000, 2_000) if quick else (200_000, 10_000)
    X = sparse_uniform(np.random.default_rng(1), n, d, per_row=d // 1000)
    X = X @ sp.diags(1.0 / np.sqrt(np.arange(1, d + 1)))
    yield f"sparse {n}x{d} ({X.nnz:,} nnz)", sp.csr_matrix(X)


def reference(X):
    """Top-K eigenpairs of the covariance: a dense ``eigh`` up to 3,000
    features, beyond that ARPACK's Lanczos at machine precision (tol=0)."""
    n, d = X.shape
    mean = np.asarray(X.mean(axis=0)).ravel()
    if d <= 3000:
        C = gram_matrix(X, center=mean) / (n - 1)
        lam, V = np.linalg.eigh(C)
        return lam[::-1][:K], V[:, ::-1][:, :K]
    op = gram_operator(X, np.full(n, 1.0 / (n - 1)), mean)
    lam, V = eigsh(op, k=K, tol=0)
    return lam[::-1], V[:, ::-1]


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
    if sparse:  # does not center: its subspace is not the principal one
        yield "TruncatedSVD(arpack)", lambda: TruncatedSVD(K, algorithm="arpack")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run the problems whose name has this")
    args = parser.parse_args()
    print("| problem | estimator | max sin angle | max rel. eigenvalue error | time (s) "
          "| ratio to ours |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, X in problems(args.quick):
        if args.only and args.only not in name:
            continue
        lam, V = reference(X)
        rows = []
        for est_name, make in candidates(sp.issparse(X)):
            times = []
            for _ in range(args.repeats):
                est = make()
                start = time.perf_counter()
                est.fit(X)
                times.append(time.perf_counter() - start)
                if times[0] > 10.0:  # a slow solver is timed once
                    break
            rows.append((est_name, *accuracy(est, lam, V), float(np.median(times))))
        ours = rows[0][-1]
        for est_name, sin, err, t in rows:
            tag = f"**{est_name}**" if est_name == "PowerIterationPCA" else est_name
            print(f"| {name} | {tag} | {sin:.1e} | {err:.1e} | {t:.4f} | {t / ours:.2f} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
