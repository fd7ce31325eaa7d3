"""Fit plus predict_proba: NaiveBayesClassifier against scikit-learn's naive Bayes.

Dense 1,000,000 x 50 with 5 classes (Gaussian, Bernoulli, Multinomial, Poisson)
and a sparse 200,000 x 20,000 count matrix (Multinomial), medians of
``--repeats``; Poisson, which scikit-learn lacks, runs beside a plain numpy
implementation of the formula. Peak memory is each fit's and prediction's
largest traced allocation (tracemalloc; numpy reports its buffers to it).

    python benchmarks/bench_naive_bayes.py            # the README's table
    python benchmarks/bench_naive_bayes.py --quick    # smaller problems
"""

import argparse
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln, logsumexp
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

from sklearn_foundations import NaiveBayesClassifier


class NumpyPoisson:
    """The Poisson naive Bayes formula in plain numpy, the reference timing."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        Y = (y[:, None] == self.classes_).astype(float)
        counts = Y.sum(axis=0)
        self.rate_ = (Y.T @ X + 1.0) / (counts[:, None] + 1.0)
        self.log_prior_ = np.log(counts / counts.sum())
        return self

    def predict_proba(self, X):
        jll = X @ np.log(self.rate_).T - self.rate_.sum(axis=1)
        jll += self.log_prior_ - gammaln(X + 1).sum(axis=1)[:, None]
        return np.exp(jll - logsumexp(jll, axis=1, keepdims=True))


def problems(quick):
    rng = np.random.default_rng(0)
    n, d, k = (100_000, 50, 5) if quick else (1_000_000, 50, 5)
    y = rng.integers(0, k, n)
    centers = rng.uniform(1, 5, (k, d))
    Xg = rng.normal(centers[y], 1.0)
    Xc = rng.poisson(centers[y]).astype(float)
    yield "gaussian", Xg, y, NaiveBayesClassifier("gaussian"), GaussianNB()
    yield "bernoulli", Xc, y, NaiveBayesClassifier("bernoulli", binarize=2.0), (
        BernoulliNB(binarize=2.0))  # fmt: skip
    yield "multinomial", Xc, y, NaiveBayesClassifier("multinomial"), MultinomialNB()
    yield "poisson", Xc, y, NaiveBayesClassifier("poisson"), NumpyPoisson()
    n, d = (50_000, 5_000) if quick else (200_000, 20_000)
    Xs = sp.random(n, d, density=1e-3, format="csr", random_state=1)
    Xs.data = rng.integers(1, 5, Xs.nnz).astype(float)
    ys = rng.integers(0, k, n)
    yield f"multinomial sparse {n}x{d}", Xs, ys, NaiveBayesClassifier("multinomial"), (
        MultinomialNB())  # fmt: skip


def run(est, X, y):
    tracemalloc.start()
    start = time.perf_counter()
    est.fit(X, y)
    est.predict_proba(X)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        "| problem | ours (s) | theirs | theirs (s) | ratio | ours peak MB | theirs peak MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, X, y, ours, theirs in problems(args.quick):
        runs = {"ours": [], "theirs": []}
        for _ in range(args.repeats):  # interleaved
            runs["ours"].append(run(ours, X, y))
            runs["theirs"].append(run(theirs, X, y))
        t_ours = np.median([r[0] for r in runs["ours"]])
        t_theirs = np.median([r[0] for r in runs["theirs"]])
        m_ours = max(r[1] for r in runs["ours"]) / 2**20
        m_theirs = max(r[1] for r in runs["theirs"]) / 2**20
        print(f"| {name} | {t_ours:.3f} | {type(theirs).__name__} | {t_theirs:.3f} | "
              f"{t_ours / t_theirs:.2f} | {m_ours:.0f} | {m_theirs:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
