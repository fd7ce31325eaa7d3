"""Fit plus predict_proba: NaiveBayesClassifier against scikit-learn's naive Bayes.

Dense 1,000,000 x 50 with 5 classes (Gaussian, Bernoulli, Multinomial, Poisson)
and a sparse 200,000 x 20,000 count matrix (Multinomial), medians of
``--repeats``; Poisson, which scikit-learn lacks, runs beside a plain numpy
implementation of the formula. Peak memory is a fit's and prediction's
largest traced allocation (tracemalloc; numpy reports its buffers to it),
measured in a run of its own, after the timed ones.

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


def sparse_counts(rng, n, d, per_row):
    """A CSR count matrix, ``per_row`` random columns of each row set to 1-4
    (scipy.sparse.random draws from all n*d positions and needs n*d memory)."""
    rows = np.repeat(np.arange(n), per_row)
    cols = rng.integers(0, d, n * per_row)
    counts = rng.integers(1, 5, n * per_row).astype(float)
    X = sp.csr_matrix((counts, (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    return X


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
    Xs = sparse_counts(rng, n, d, per_row=d // 1000)
    ys = rng.integers(0, k, n)
    yield f"multinomial sparse {n}x{d}", Xs, ys, NaiveBayesClassifier("multinomial"), (
        MultinomialNB())  # fmt: skip


def seconds(est, X, y):
    start = time.perf_counter()
    est.fit(X, y).predict_proba(X)
    return time.perf_counter() - start


def peak_bytes(est, X, y):
    """Largest traced allocation of a fit and prediction, in a run of its own
    (tracing slows allocations down, so it is kept out of the timings)."""
    tracemalloc.start()
    est.fit(X, y).predict_proba(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


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
        times = {"ours": [], "theirs": []}
        for _ in range(args.repeats):  # interleaved
            times["ours"].append(seconds(ours, X, y))
            times["theirs"].append(seconds(theirs, X, y))
        t_ours, t_theirs = np.median(times["ours"]), np.median(times["theirs"])
        m_ours = peak_bytes(ours, X, y) / 2**20
        m_theirs = peak_bytes(theirs, X, y) / 2**20
        print(f"| {name} | {t_ours:.3f} | {type(theirs).__name__} | {t_theirs:.3f} | "
              f"{t_ours / t_theirs:.2f} | {m_ours:.0f} | {m_theirs:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
