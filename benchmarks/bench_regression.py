"""Fit time at equal accuracy: GradientDescentRegressor against scikit-learn.

For every problem a reference optimum is computed once at a very tight
tolerance; each solver's ``tol`` is then swept from loose to tight and the first
setting whose relative suboptimality ``(J - J*) / J*`` is at most ``--target``
(1e-6) is timed: medians of ``--repeats`` interleaved runs. Direct solvers
(Ridge's cholesky, LassoLars) have no tolerance and are timed as they are;
SGDRegressor, which does not reach 1e-6, runs at its default ``tol=1e-3``.

    python benchmarks/bench_regression.py            # the README's table
    python benchmarks/bench_regression.py --quick    # smaller problems
    python benchmarks/bench_regression.py --only wide  # the problems matching
"""

import argparse
import re
import warnings

import numpy as np
import scipy.sparse as sp
from _harness import neighbour_correlated, print_rows, sweep, time_chosen
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LassoLars, Ridge, SGDRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import GradientDescentRegressor

warnings.simplefilter("ignore", ConvergenceWarning)
TOLS = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12]


def objective(est, X, y, alpha, l1_ratio):
    r = y - X @ est.coef_ - est.intercept_
    w = est.coef_
    pen = l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w
    return 0.5 * np.mean(r**2) + alpha * pen


def problems(quick):
    rng = np.random.default_rng(0)
    n, d = (20_000, 100) if quick else (200_000, 100)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) * (rng.uniform(size=d) < 0.3)
    y = X @ w + 3.0 + rng.standard_normal(n)
    yield f"dense {n}x{d}", X, y, [("l2", 0.1), ("l1", 0.05), ("elasticnet", 0.05)]
    n, d = (10_000, 2_000) if quick else (100_000, 2_000)
    Xs = sp.random(n, d, density=5e-3, format="csr", random_state=1)
    ws = rng.standard_normal(d) * (rng.uniform(size=d) < 0.2)
    ys = Xs @ ws + 0.1 * rng.standard_normal(n)
    yield f"sparse {n}x{d} ({Xs.nnz:,} nnz)", Xs, ys, [("l2", 1e-3), ("l1", 1e-4)]
    Xd, yd = load_diabetes(return_X_y=True)
    Xd = StandardScaler().fit_transform(Xd)
    yield "diabetes 442x10", Xd, yd, [("l2", 0.1), ("l1", 0.1), ("elasticnet", 0.1)]
    # fewer rows than features, correlated columns (Toeplitz, rho 0.8): an
    # elastic net of a small l1_ratio has more non-zeros than rows
    Xw, yw = neighbour_correlated(2, 100, 2_000, 0.8, 0.6, 20)
    yield "wide 100x2,000", Xw, yw, [("l1", 0.05), ("elasticnet", 0.1, 0.1)]
    # five times the rows (its own generator): elastic nets with about as many
    # non-zeros as rows (l1_ratio 0.5) and more (0.1)
    Xm, ym = neighbour_correlated(5, 500, 2_000, 0.8, 0.6, 20)
    settings = [("elasticnet", 0.02, 0.5), ("elasticnet", 0.1, 0.1)]
    yield "wide 500x2,000", Xm, ym, settings
    # between square and twice as many rows as features, where the Gram
    # matrix is not formed (its own generator): a lasso of a strong and of a
    # weak penalty (0.01 and 0.001 of alpha_max; the weak one open)
    Xt, yt = neighbour_correlated(6, 1000, 600, 0.7, 0.71, 30)
    a_max = np.abs((Xt - Xt.mean(axis=0)).T @ (yt - yt.mean())).max() / len(yt)
    yield "tall 1000x600", Xt, yt, [("l1", 0.01 * a_max), ("l1", 0.001 * a_max)]


def candidates(penalty, alpha, n, is_sparse, l1_ratio):
    """(library, name, factory(tol), tolerances to sweep or None if direct)."""

    def ours(tol):
        return GradientDescentRegressor(
            penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=100_000
        )

    yield "ours", "GradientDescentRegressor", ours, TOLS
    sgd_pen = penalty

    def sgd(tol):
        return SGDRegressor(
            penalty=sgd_pen, alpha=alpha, l1_ratio=l1_ratio, tol=tol,
            max_iter=1000, random_state=0,
        )  # fmt: skip

    yield "sklearn", "SGDRegressor", sgd, [1e-3]
    if penalty == "l2":
        solvers = ["sparse_cg", "lsqr", "sag"] + ([] if is_sparse else ["cholesky"])
        for solver in solvers:
            direct = solver == "cholesky"

            def ridge(tol, solver=solver):
                return Ridge(
                    alpha=alpha * n, solver=solver, tol=tol or 1e-4, max_iter=100_000
                )

            yield "sklearn", f"Ridge({solver})", ridge, None if direct else TOLS
    elif penalty == "l1":
        for pre in (False, True) if not is_sparse else (False,):

            def lasso(tol, pre=pre):
                return Lasso(alpha=alpha, precompute=pre, tol=tol, max_iter=100_000)

            yield "sklearn", f"Lasso(precompute={pre})", lasso, TOLS
        if not is_sparse:
            yield "sklearn", "LassoLars", lambda tol: LassoLars(alpha=alpha), None
    else:
        for pre in (False, True):

            def enet(tol, pre=pre):
                return ElasticNet(
                    alpha=alpha, l1_ratio=l1_ratio, precompute=pre, tol=tol,
                    max_iter=100_000,
                )  # fmt: skip

            yield "sklearn", f"ElasticNet(precompute={pre})", enet, TOLS


def bench(name, X, y, penalty, alpha, l1_ratio, target, repeats):
    ref = GradientDescentRegressor(
        penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=200_000
    ).fit(X, y)

    def J(est):
        return objective(est, X, y, alpha, l1_ratio)

    cands = candidates(penalty, alpha, X.shape[0], sp.issparse(X), l1_ratio)
    chosen = sweep(cands, J, J(ref), X, y, target)
    return chosen, time_chosen(chosen, X, y, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1e-6)
    parser.add_argument("--only", default="", help="problems whose name matches")
    args = parser.parse_args()
    header = True
    for name, X, y, settings in problems(args.quick):
        if not re.search(args.only, name):
            continue
        for penalty, alpha, *rest in settings:  # (l1_ratio: 0.5 for elasticnet)
            l1_ratio = rest[0] if rest else {"l2": 0.0, "l1": 1.0}.get(penalty, 0.5)
            chosen, times = bench(
                name, X, y, penalty, alpha, l1_ratio, args.target, args.repeats
            )
            ratio = f", l1_ratio={l1_ratio:g}" if rest else ""
            print_rows(
                name, f"{penalty} (alpha={alpha:g}{ratio})", chosen, times, header
            )
            header = False


if __name__ == "__main__":
    main()
