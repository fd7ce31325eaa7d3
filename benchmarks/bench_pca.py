"""Top-10 principal components at equal accuracy: PowerIterationPCA against
scikit-learn's PCA solvers, scikit-learn-intelex's PCA and scipy's ``svds``.

The accuracy is measured against the exact top-10 subspace and eigenvalues
(a dense ``eigh`` of the covariance, or ARPACK at tol=0 beyond 3,000
features; the reference only): the largest principal-angle sine and the
largest relative eigenvalue error. Each solver's tolerance (or power
iterations) is swept from loose to tight until the sine is at most
``--target`` (1e-8), and that setting is timed: one untimed round, then
medians of ``--repeats`` (5) interleaved fits, spread min-max beside, each
after 0.3 s of rest (the threads of the last fit idle). ``svds`` runs on the
centered operator ``v -> X v - 1 (mean . v)`` (and its transpose), so a
sparse ``X`` stays sparse. On the sparse matrix PCA's "arpack" centers
implicitly too; TruncatedSVD does not center (its accuracy column shows it).

    python benchmarks/bench_pca.py                   # the table
    python benchmarks/bench_pca.py --write           # and RESULTS.md/README.md
    python benchmarks/bench_pca.py --quick --only sparse
"""

import argparse
import datetime
import re
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _peers import version
from bench_peers import fastest_cells, machine, replace_block
from scipy.sparse.linalg import LinearOperator, eigsh, svds
from sklearn.decomposition import PCA, TruncatedSVD

from sklearn_foundations import PowerIterationPCA
from sklearn_foundations.linalg import gram_matrix, gram_operator

warnings.simplefilter("ignore")  # svds(lobpcg) and arpack report their own stops
ROOT = Path(__file__).resolve().parent.parent
K = 10
PAUSE = 0.3
# tolerances from loose to tight, every half decade
TOLS = [1e-8, 3e-9, 1e-9, 3e-10, 1e-10, 3e-11, 1e-11, 1e-12]  # ours: relative residual
# ARPACK's and PROPACK's tolerances, 0 being machine precision
PEER_TOLS = [1e-6, 3e-7, 1e-7, 3e-8, 1e-8, 3e-9, 1e-9, 1e-10, 0.0]


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
        yield f"dense {n:,}x{d:,}", rng.standard_normal((n, d)) * scales + 1.0
    n, d = (50_000, 2_000) if quick else (200_000, 10_000)
    X = sparse_uniform(np.random.default_rng(1), n, d, per_row=d // 1000)
    X = X @ sp.diags(1.0 / np.sqrt(np.arange(1, d + 1)))
    yield f"sparse {n:,}x{d:,} ({X.nnz:,} nnz)", sp.csr_matrix(X)


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


class SVDS:
    """``scipy.sparse.linalg.svds`` of the centered ``X``, read as a PCA."""

    def __init__(self, solver, tol):
        self.solver, self.tol = solver, tol

    def fit(self, X):
        n, d = X.shape
        m = np.asarray(X.mean(axis=0)).ravel()
        op = LinearOperator(
            (n, d), dtype=np.float64,
            matvec=lambda v: X @ v - m @ v, matmat=lambda V: X @ V - m @ V,
            rmatvec=lambda u: X.T @ u - m * u.sum(),
            rmatmat=lambda U: X.T @ U - np.outer(m, U.sum(axis=0)),
        )  # fmt: skip
        _, s, Vt = svds(op, k=K, tol=self.tol, solver=self.solver, random_state=0)
        order = np.argsort(s)[::-1]
        self.components_ = Vt[order]
        self.explained_variance_ = s[order] ** 2 / (n - 1)
        return self


def candidates(sparse):
    """``(library, name, factory(setting), settings)``, settings loose to tight
    (None: one direct setting)."""
    for method in ["block", "lanczos"]:
        yield ("ours", f"PowerIterationPCA({method})",
               lambda t, m=method: PowerIterationPCA(K, method=m, tol=t, random_state=0),
               TOLS)  # fmt: skip
    sk = ["arpack", "randomized"] if sparse else [
        "covariance_eigh", "arpack", "randomized", "full"]  # fmt: skip
    for solver in sk:
        settings = {"arpack": PEER_TOLS, "randomized": [4, 10, 20, 40]}.get(solver)
        key = "iterated_power" if solver == "randomized" else "tol"

        def make(t, s=solver, key=key):
            extra = {} if t is None else {key: t}
            return PCA(K, svd_solver=s, random_state=0, **extra)

        yield "scikit-learn", f"PCA({solver})", make, settings
    if sparse:  # does not center: its subspace is not the principal one
        yield ("scikit-learn", "TruncatedSVD(arpack)",
               lambda t: TruncatedSVD(K, algorithm="arpack", tol=t or 0.0), PEER_TOLS)  # fmt: skip
    if not sparse and version("scikit-learn-intelex"):
        from sklearnex.decomposition import PCA as IntelPCA

        yield ("scikit-learn-intelex", "sklearnex PCA",
               lambda t: IntelPCA(K, svd_solver=t, random_state=0),
               ["auto", "covariance_eigh"])  # fmt: skip
    for solver in ["arpack", "propack", "lobpcg"]:
        yield "scipy", f"svds({solver})", lambda t, s=solver: SVDS(s, t), PEER_TOLS


def fit_seconds(make, setting, X):
    est = make(setting)
    start = time.perf_counter()
    est.fit(X)
    return time.perf_counter() - start, est


def run(X, target, repeats, budget, sparse):
    lam, V = reference(X)
    chosen = []
    for lib, name, make, settings in candidates(sparse):
        for setting in settings or [None]:
            try:
                seconds, est = fit_seconds(make, setting, X)
            except Exception as exc:  # a solver that fails is left out, said so
                print(f"<!-- {name} failed: {exc!r} -->")
                seconds = None
                break
            sin, err = accuracy(est, lam, V)
            if sin <= target or seconds > budget:
                break
        if seconds is not None:
            chosen.append(dict(lib=lib, name=name, make=make, setting=setting,
                               sin=sin, err=err, times=[seconds] if seconds > budget else []))  # fmt: skip
    for round_ in range(repeats + 1):  # the first round is not timed
        for row in chosen:
            if len(row["times"]) == 1 and row["times"][0] > budget:
                continue  # a slow solver is timed once
            time.sleep(PAUSE)
            seconds = fit_seconds(row["make"], row["setting"], X)[0]
            if round_:
                row["times"].append(seconds)
    for row in chosen:
        t = np.asarray(row.pop("times"))
        row.pop("make")
        row.update(time=float(np.median(t)), lo=float(t.min()), hi=float(t.max()))
    return chosen


def table(results, target):
    out = ["| problem | estimator | setting | max sin angle | max rel. eigenvalue error "
           "| time (s) | spread (s) | ratio to lanczos |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for problem, rows in results:
        ours = rows[1]["time"]
        for r in rows:
            name = f"**{r['name']}**" if r["lib"] == "ours" else r["name"]
            miss = "" if r["sin"] <= target else " (not reached)"
            out.append(
                f"| {problem} | {name} | {r['setting']} | {r['sin']:.1e}{miss} | "
                f"{r['err']:.1e} | {r['time']:.4f} | {r['lo']:.4f}-{r['hi']:.4f} | "
                f"{r['time'] / ours:.2f} |"
            )
    return out


def summary(results, target):
    out = ["| problem | ours: block / lanczos (s) | fastest peer | lanczos / peer "
           "| fastest scikit-learn | lanczos / scikit-learn |", "|---|---|---|---|---|---|"]  # fmt: skip
    for problem, rows in results:
        block, lanczos = rows[0]["time"], rows[1]["time"]
        reached = [r for r in rows[2:] if r["sin"] <= target]
        cells = fastest_cells(reached, lanczos)
        out.append(
            f"| {problem} | {block:.4f} / {lanczos:.4f} | " + " | ".join(cells) + " |"
        )
    return out


def header(args):
    names = ["numpy", "scipy", "scikit-learn", "scikit-learn-intelex"]
    versions = ", ".join(f"{d} {v}" for d in names if (v := version(d)))
    return [
        f"Generated on {datetime.date.today()} by `python benchmarks/bench_pca.py "
        f"--write`" + (" (--quick)" if args.quick else "") + ".",
        machine(),
        f"Versions: {versions}.",
        f"Target: the top-{K} subspace to a largest principal-angle sine of "
        f"{args.target:g}; medians of {args.repeats} fits after one untimed round, "
        f"spread min-max; {PAUSE:g} s of rest before each timed fit; a fit over "
        f"{args.budget:g} s is timed once and ends its sweep.",
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1e-8)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--only", help="the problems whose name matches this regex")
    parser.add_argument("--write", action="store_true",
                        help="rewrite the PCA sections of RESULTS.md and README.md")  # fmt: skip
    args = parser.parse_args()
    results = []
    for name, X in problems(args.quick):
        if args.only and not re.search(args.only, name, flags=re.I):
            continue
        rows = run(X, args.target, args.repeats, args.budget, sp.issparse(X))
        results.append((name, rows))
        print("\n".join(table(results[-1:], args.target)[2:]), flush=True)
    head = header(args)
    lines = [*head, "", *summary(results, args.target), "", "Every estimator:", "",
             *table(results, args.target)]  # fmt: skip
    print("\n" + "\n".join(lines))
    if args.write:
        replace_block(ROOT / "benchmarks" / "RESULTS.md", "bench_pca", lines)
        replace_block(ROOT / "README.md", "bench_pca",
                      [*head, "", *summary(results, args.target)])  # fmt: skip


if __name__ == "__main__":
    main()
