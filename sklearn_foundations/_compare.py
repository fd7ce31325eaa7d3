"""The main job: our estimators beside scikit-learn's, cross-validated on real data.

Each :class:`Comparison` names a dataset shipped with scikit-learn, one of our
estimators and its scikit-learn counterparts. Every estimator runs inside a
Pipeline with a StandardScaler under 5-fold cross-validation; the table shows the
mean and spread of the test score, the mean fit time, and how far our fitted
coefficients (on the whole dataset) are from the counterpart that solves the same
problem exactly. Each dataset names the function that lists its comparisons
(``_regression_comparisons``, ``_classification_comparisons``); a later
estimator adds its entries there.
"""

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LassoCV, Ridge, SGDRegressor
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .decomposition import PowerIterationPCA
from .display import require_matplotlib  # imports matplotlib only when called
from .linear_model import (
    GradientDescentRegressor,
    GradientDescentRegressorCV,
    LogisticRegression,
    LogisticRegressionCV,
)
from .naive_bayes import NaiveBayesClassifier


@dataclass
class Comparison:
    """One of our estimators and its scikit-learn counterparts on one dataset.

    ``exact`` names the counterpart that solves the same problem, whose
    coefficients (components, probabilities) ours are measured against;
    ``scale`` puts a StandardScaler in front (not for count data).
    """

    dataset: str
    name: str
    ours: object
    theirs: dict = field(default_factory=dict)
    exact: str | None = None
    scale: bool = True


def _regression_comparisons(dataset, n_train):
    alpha = 0.1
    sgd = dict(alpha=alpha, max_iter=1000, tol=1e-3, random_state=0)
    return [
        Comparison(
            dataset,
            "ridge (l2)",
            GradientDescentRegressor(penalty="l2", alpha=alpha, tol=1e-8),
            {
                "Ridge": Ridge(alpha=alpha * n_train),
                "SGDRegressor": SGDRegressor(penalty="l2", **sgd),
            },
            exact="Ridge",
        ),
        Comparison(
            dataset,
            "lasso (l1)",
            GradientDescentRegressor(penalty="l1", alpha=alpha, tol=1e-8),
            {
                "Lasso": Lasso(alpha=alpha, tol=1e-8),
                "SGDRegressor": SGDRegressor(penalty="l1", **sgd),
            },
            exact="Lasso",
        ),
        Comparison(
            dataset,
            "elastic net",
            GradientDescentRegressor(
                penalty="elasticnet", alpha=alpha, l1_ratio=0.5, tol=1e-8
            ),
            {
                "ElasticNet": ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-8),
                "SGDRegressor": SGDRegressor(penalty="elasticnet", l1_ratio=0.5, **sgd),
            },
            exact="ElasticNet",
        ),
    ]


def _classification_comparisons(dataset, n_train):
    tight = dict(tol=1e-6, max_iter=10_000)
    binary = dataset == "breast_cancer"
    l1 = {
        "LogisticRegression(saga)": SkLogisticRegression(
            C=0.1, l1_ratio=1.0, solver="saga", **tight
        )
    }
    if binary:
        l1["LogisticRegression(liblin)"] = SkLogisticRegression(
            C=0.1, l1_ratio=1.0, solver="liblinear", **tight
        )
    return [
        Comparison(
            dataset,
            "logistic l2",
            LogisticRegression(C=1.0, **tight),
            {"LogisticRegression(lbfgs)": SkLogisticRegression(C=1.0, **tight)},
            exact="LogisticRegression(lbfgs)",
        ),
        Comparison(
            dataset,
            "logistic l1",
            LogisticRegression(C=0.1, l1_ratio=1.0, **tight),
            l1,
            exact="LogisticRegression(saga)",
        ),
    ]


def _cv_comparisons(dataset, n_train):
    """The cross-validated models (3 inner folds, the same for both sides):
    a lasso over 100 alphas, or logistic regression over 10 Cs (log loss)."""
    if dataset == "diabetes":
        return [
            Comparison(
                dataset, "lasso CV",
                GradientDescentRegressorCV(cv=KFold(3)),
                {"LassoCV": LassoCV(cv=KFold(3), tol=1e-8, max_iter=100_000)},
                exact="LassoCV",
            )
        ]  # fmt: skip
    common = dict(Cs=10, cv=StratifiedKFold(3), scoring="neg_log_loss")
    return [
        Comparison(
            dataset, "logistic CV (l2)",
            LogisticRegressionCV(l1_ratios=(0.0,), **common),
            {"LogisticRegressionCV(newton-cholesky)": SkLogisticRegressionCV(
                l1_ratios=(0.0,), solver="newton-cholesky", tol=1e-8,
                use_legacy_attributes=False, **common)},
            exact="LogisticRegressionCV(newton-cholesky)",
        )
    ]  # fmt: skip


def _pca_comparisons(dataset, n_train):
    k = {"digits": 10, "breast_cancer": 5}[dataset]
    return [
        Comparison(
            dataset,
            f"pca ({k})",
            PowerIterationPCA(k, random_state=0),
            {
                "PCA(full)": PCA(k, svd_solver="full"),
                "PCA(randomized)": PCA(k, svd_solver="randomized", random_state=0),
            },
            exact="PCA(full)",
        )
    ]


def _naive_bayes_comparisons(dataset, n_train):
    if dataset != "digits":
        return [
            Comparison(dataset, "naive bayes", NaiveBayesClassifier("gaussian"),
                       {"GaussianNB": GaussianNB()}, exact="GaussianNB", scale=False)
        ]  # fmt: skip
    pixels = [  # counts out of 16
        ("gaussian", NaiveBayesClassifier("gaussian"), {"GaussianNB": GaussianNB()}),
        ("multinomial", NaiveBayesClassifier("multinomial"),
         {"MultinomialNB": MultinomialNB()}),
        ("bernoulli", NaiveBayesClassifier("bernoulli", binarize=4.0),
         {"BernoulliNB": BernoulliNB(binarize=4.0)}),
        ("binomial", NaiveBayesClassifier("binomial", n_trials=16), {}),
        ("poisson", NaiveBayesClassifier("poisson"), {}),
    ]  # fmt: skip
    return [
        Comparison(dataset, f"nb {name}", ours, theirs,
                   exact=next(iter(theirs), None), scale=False)
        for name, ours, theirs in pixels
    ]  # fmt: skip


DATASETS = {
    "diabetes": (datasets.load_diabetes, [_regression_comparisons, _cv_comparisons]),
    "breast_cancer": (
        datasets.load_breast_cancer,
        [
            _classification_comparisons,
            _cv_comparisons,
            _naive_bayes_comparisons,
            _pca_comparisons,
        ],
    ),
    "iris": (
        datasets.load_iris,
        [_classification_comparisons, _cv_comparisons, _naive_bayes_comparisons],
    ),
    "wine": (
        datasets.load_wine,
        [_classification_comparisons, _cv_comparisons, _naive_bayes_comparisons],
    ),
    "digits": (
        datasets.load_digits,
        [_classification_comparisons, _naive_bayes_comparisons, _pca_comparisons],
    ),
}


def comparisons(selected_datasets=None, selected_estimators=None, n_splits=5):
    """Every comparison, filtered by dataset and by our estimator's class name.

    Ridge's ``alpha`` multiplies a sum, ours a mean: it is scaled by the size of
    a training fold of ``n_splits``-fold cross-validation.
    """
    out = []
    for name, (loader, listers) in DATASETS.items():
        if selected_datasets and name not in selected_datasets:
            continue
        n_train = loader(return_X_y=True)[0].shape[0] * (n_splits - 1) // n_splits
        for comp in (c for listed in listers for c in listed(name, n_train)):
            cls = type(comp.ours).__name__
            if selected_estimators and cls not in selected_estimators:
                continue
            out.append(comp)
    return out


def _pipeline(est, scale=True):
    return (
        make_pipeline(StandardScaler(), clone(est))
        if scale
        else make_pipeline(clone(est))
    )


def run(comps, n_splits=5, progress=None):
    """Cross-validate every estimator of ``comps``; one result row each."""
    rows = []
    cv = KFold(n_splits=n_splits, shuffle=True, random_state=0)
    data = {}
    total = sum(1 + len(c.theirs) for c in comps)
    done = 0
    for comp in comps:
        if comp.dataset not in data:
            data[comp.dataset] = DATASETS[comp.dataset][0](return_X_y=True)
        X, y = data[comp.dataset]
        entries = [("sklearn-foundations", type(comp.ours).__name__, comp.ours)]
        entries += [("scikit-learn", k, v) for k, v in comp.theirs.items()]
        for library, est_name, est in entries:
            done += 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                res = cross_validate(_pipeline(est, comp.scale), X, y, cv=cv)
                distance = None
                if library == "sklearn-foundations" and comp.exact:
                    exact = _exact_on_full_data(comp, X.shape[0])
                    ours_full = _pipeline(est, comp.scale).fit(X, y)
                    ref_full = _pipeline(exact, comp.scale).fit(X, y)
                    distance = _relative(_fitted(ours_full, X), _fitted(ref_full, X))
            rows.append(
                dict(
                    dataset=comp.dataset,
                    problem=comp.name,
                    library=library,
                    estimator=est_name,
                    score_mean=float(np.mean(res["test_score"])),
                    score_std=float(np.std(res["test_score"])),
                    fit_time=float(np.mean(res["fit_time"])),
                    distance=distance,
                    distance_to=comp.exact if distance is not None else None,
                )
            )
            if progress:  # one line per finished estimator
                progress(
                    f"[{done}/{total}] {comp.dataset} · {comp.name} · {est_name}: "
                    f"{rows[-1]['fit_time']:.3f} s per fit"
                )
    return rows


def _exact_on_full_data(comp, n_samples):
    """The exact counterpart, with Ridge's alpha rescaled to the full data."""
    exact = clone(comp.theirs[comp.exact])
    if isinstance(exact, Ridge):
        exact.set_params(alpha=comp.ours.alpha * n_samples)
    return exact


def _fitted(pipe, X):
    """What a fit found: coefficients, principal axes, or probabilities on X."""
    est = pipe[-1]
    if hasattr(est, "coef_"):
        return est.coef_
    if hasattr(est, "components_"):
        return est.components_
    return pipe.predict_proba(X)


def _relative(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


_COLUMNS = [
    "dataset",
    "problem",
    "library",
    "estimator",
    "score",
    "fit time",
    "distance",
]


def _cells(r):
    """One row's cells as text: the score with its spread, the fit time in
    milliseconds and, for ours, the distance to the exact counterpart."""
    distance = (
        f"{r['distance']:.1e} from {r['distance_to']}"
        if r["distance"] is not None
        else ""
    )
    return [
        r["dataset"],
        r["problem"],
        r["library"],
        r["estimator"],
        f"{r['score_mean']:.4f} ± {r['score_std']:.4f}",
        f"{1e3 * r['fit_time']:.1f} ms",
        distance,
    ]


def format_table(rows):
    """A plain-text table of the result rows, every column aligned (numbers
    to the right)."""
    cells = [_COLUMNS] + [_cells(r) for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(_COLUMNS))]
    right = {4, 5}

    def line(row):
        parts = [
            cell.rjust(w) if j in right else cell.ljust(w)
            for j, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(c) for c in cells[1:]])


def rich_table(rows):
    """The same table as a ``rich`` Table (the ``progress`` extra)."""
    from rich.table import Table

    table = Table(show_lines=False)
    for j, name in enumerate(_COLUMNS):
        table.add_column(name, justify="right" if j in (4, 5) else "left")
    for r in rows:
        style = "bold" if r["library"] == "sklearn-foundations" else None
        table.add_row(*_cells(r), style=style)
    return table


def summary(rows, elapsed, n_splits):
    """The closing line: how many fits, how long, and which fits took most
    of the time (each row's mean fit time times its folds)."""
    spent = sorted(rows, key=lambda r: r["fit_time"], reverse=True)
    total = sum(r["fit_time"] for r in rows) * n_splits
    top = [
        f"{r['estimator']} on {r['dataset']} ({r['problem']}) "
        f"{r['fit_time']:.2f} s per fit, {100 * r['fit_time'] * n_splits / total:.0f}%"
        for r in spent[:2]
        if total > 0
    ]
    return (
        f"{len(rows)} estimators cross-validated ({n_splits} folds) in "
        f"{elapsed:.1f} s; most of the fitting time: " + "; ".join(top) + "."
    )


def plot_rows(rows, path):
    """Save a figure of the rows: scores with their spread, and fit times.

    One horizontal bar per estimator, grouped by dataset and problem, coloured
    by library; fit times on a log scale.
    """
    plt = require_matplotlib("compare --plot")
    labels = [f"{r['dataset']} · {r['problem']} · {r['estimator']}" for r in rows]
    colors = {"sklearn-foundations": "tab:orange", "scikit-learn": "tab:blue"}
    color = [colors[r["library"]] for r in rows]
    pos = np.arange(len(rows))[::-1]
    fig, (ax_score, ax_time) = plt.subplots(
        1, 2, sharey=True, figsize=(12, 0.3 * len(rows) + 1.5), layout="constrained"
    )
    ax_score.barh(
        pos,
        [r["score_mean"] for r in rows],
        xerr=[r["score_std"] for r in rows],
        color=color,
    )
    ax_score.set_yticks(pos, labels, fontsize=8)
    ax_score.set_xlabel("cross-validated score (R2 / accuracy / log-likelihood)")
    ax_time.barh(pos, [r["fit_time"] for r in rows], color=color)
    ax_time.set_xscale("log")
    ax_time.set_xlabel("mean fit time (s)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
    ax_time.legend(handles, list(colors), loc="lower right")
    fig.savefig(path)
    return fig


QUICK_DATASETS = ["diabetes", "iris", "wine", "breast_cancer"]


class _Progress:
    """Progress of the run: a live line (a ``rich`` bar when installed) on a
    terminal, one plain line per finished fit otherwise (logs, files, CI)."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.stream, self.done = total, stream, 0
        self.live = stream.isatty()
        self._bar = None
        if self.live:
            try:
                from rich.console import Console
                from rich.progress import Progress

                self._bar = Progress(console=Console(file=stream), transient=True)
                self._task = self._bar.add_task("fitting", total=total)
                self._bar.start()
            except ImportError:
                pass

    def __call__(self, msg):
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=msg)
        elif self.live:
            print(f"\r{msg[:79]:<79}", end="", file=self.stream, flush=True)
        else:
            print(msg, file=self.stream, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.stop()
        elif self.live:
            print("\r" + " " * 79 + "\r", end="", file=self.stream, flush=True)


def _print_table(rows):
    if sys.stdout.isatty():
        try:
            from rich.console import Console

            Console().print(rich_table(rows))
            return
        except ImportError:
            pass
    print(format_table(rows))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_foundations",
        description="Compare sklearn-foundations with scikit-learn on real data.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser("compare", help="cross-validated side-by-side table")
    cmp.add_argument("--datasets", nargs="+", choices=sorted(DATASETS))
    cmp.add_argument(
        "--estimators", nargs="+", help="our estimator class names to include"
    )
    cmp.add_argument("--n-splits", type=int, default=None, help="folds (default 5)")
    cmp.add_argument(
        "--quick",
        action="store_true",
        help=f"a first look: {', '.join(QUICK_DATASETS)} with 3 folds",
    )
    cmp.add_argument("--json", action="store_true", help="print JSON rows instead")
    cmp.add_argument(
        "--plot", metavar="FILE", help="save a figure of the results (needs matplotlib)"
    )
    args = parser.parse_args(argv)

    n_splits = args.n_splits or (3 if args.quick else 5)
    selected = args.datasets or (QUICK_DATASETS if args.quick else None)
    comps = comparisons(selected, args.estimators, n_splits)
    if not comps:
        parser.error("no comparison matches the selected datasets and estimators")
    # fail before the long run, not after it
    plt = require_matplotlib("compare --plot") if args.plot else None
    start = time.perf_counter()
    progress = _Progress(sum(1 + len(c.theirs) for c in comps))
    try:
        rows = run(comps, n_splits=n_splits, progress=progress)
    finally:
        progress.close()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
        print("\n" + summary(rows, time.perf_counter() - start, n_splits))
    if args.plot:
        plt.close(plot_rows(rows, args.plot))
        print(f"figure saved to {args.plot}", file=sys.stderr)
    return 0
