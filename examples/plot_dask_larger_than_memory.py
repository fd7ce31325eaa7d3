r"""
Data larger than the workers' memory, on a Dask cluster
=======================================================

A cluster of two workers with 250 MiB each, of which an idle worker that has
imported NumPy, SciPy, pandas and scikit-learn already uses about 170: some
160 MiB free in all. The data: 600,000 rows of 50 features (229 MiB), in 24
chunks made on demand from seeds and never persisted, standing for Parquet or
Zarr files on disk that each pass reads again.

The four estimators take the dask arrays as they are. Each fit makes
**passes** (a NumPy kernel per chunk, the partial results merged in a fixed
tree by chunk index): one for the regressor's Gram matrix, for naive Bayes
and for PCA's covariance, one per Newton iteration for logistic regression.
We print the passes, the time and the workers' peak memory, and check the
coefficients against the same fits in memory. (The documentation shows this
page without its output: its build does not start a cluster. Run the
script; the test suite does.)
"""

# %%
import logging
import resource
import time

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster

from sklearn_foundations import (
    GradientDescentRegressor,
    LogisticRegression,
    NaiveBayesClassifier,
    PowerIterationPCA,
)

N_CHUNKS, ROWS, D = 24, 25_000, 50
W_TRUE = np.random.default_rng(0).standard_normal(D) * (np.arange(D) % 3 == 0)


def features(block_id=None):
    """Chunk ``i`` of X, the same every time it is made (its seed is ``i``)."""
    rng = np.random.default_rng(1000 + block_id[0])
    X = rng.standard_normal((ROWS, D))
    X[:, :5] += 3.0 * X[:, 5:10]  # correlated columns
    return X


def target(X, block_id=None):
    """Chunk ``i`` of y from chunk ``i`` of X: a linear signal plus noise."""
    rng = np.random.default_rng(5000 + block_id[0])
    return X @ W_TRUE + rng.standard_normal(X.shape[0])


def peak_memory_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# the arrays: nothing is computed until a fit asks for a pass
X = da.map_blocks(
    features, chunks=((ROWS,) * N_CHUNKS, (D,)), dtype=np.float64, meta=np.empty((0, 0))
)
y = X.map_blocks(target, drop_axis=1, dtype=np.float64, meta=np.empty(0))
labels = (y > 0).astype(int)
print(f"X: {X.shape}, {X.nbytes / 2**20:.0f} MiB in {X.numblocks[0]} chunks")

# %%
# The fits on the cluster
# -----------------------
# Worker processes are forked from this one (a script run as a page of the
# documentation cannot be imported again by a spawned process); a worker near
# its limit must not pause (nothing here is worth spilling: a pass keeps only
# small partial results).
dask.config.set(
    {
        "distributed.worker.multiprocessing-method": "fork",
        "distributed.worker.memory.target": False,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
    }
)
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, memory_limit="250MiB",
    dashboard_address=None, silence_logs=logging.ERROR,
)  # fmt: skip
client = Client(cluster)
free = sum(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
base = sum(client.run(peak_memory_mib).values())
print(f"workers: {free / 2**20:.0f} MiB in all, {base:.0f} MiB used idle")

estimators = {
    "lasso (Gram pass)": (GradientDescentRegressor(penalty="l1", alpha=0.05), y),
    "logistic (Newton)": (LogisticRegression(C=1.0), labels),
    "naive Bayes": (NaiveBayesClassifier(), labels),
    "PCA (covariance)": (PowerIterationPCA(n_components=5, random_state=0), None),
}
fitted, passes = {}, {}
for name, (est, target_) in estimators.items():
    start = time.perf_counter()
    est.fit(X, target_)
    passes[name] = est.n_passes_
    fitted[name] = est
    print(f"{name:>18}: {est.n_passes_:2d} passes, {time.perf_counter() - start:.1f} s")
peak = sum(client.run(peak_memory_mib).values())
print(f"workers' peak memory: {peak:.0f} MiB in all, for {X.nbytes / 2**20:.0f} MiB "
      "of data")  # fmt: skip
client.close()
cluster.close()

# %%
# The same fits in memory
# -----------------------
# The client holds the whole array here to check the answers: the fits on the
# cluster are the in-memory fits.
X_mem, y_mem = X.compute(), y.compute()
l_mem = (y_mem > 0).astype(int)
lasso = GradientDescentRegressor(penalty="l1", alpha=0.05).fit(X_mem, y_mem)
logistic = LogisticRegression(C=1.0).fit(X_mem, l_mem)
bayes = NaiveBayesClassifier().fit(X_mem, l_mem)
pca = PowerIterationPCA(n_components=5, random_state=0).fit(X_mem)
checks = {
    "lasso coef_": (fitted["lasso (Gram pass)"].coef_, lasso.coef_),
    "logistic coef_": (fitted["logistic (Newton)"].coef_, logistic.coef_),
    "naive Bayes theta_": (fitted["naive Bayes"].theta_, bayes.theta_),
    "PCA explained_variance_": (
        fitted["PCA (covariance)"].explained_variance_, pca.explained_variance_,
    ),
}  # fmt: skip
for name, (on_cluster, in_memory) in checks.items():
    gap = np.max(np.abs(on_cluster - in_memory)) / np.max(np.abs(in_memory))
    print(f"{name:>24}: largest relative difference {gap:.1e}")
    assert gap < 1e-8
print(f"non-zero lasso coefficients: {np.count_nonzero(lasso.coef_)} of {D}")

fig, ax = plt.subplots(figsize=(6, 3))
ax.barh(list(passes), list(passes.values()), color="tab:blue")
ax.set_xlabel("passes over the 600,000 x 50 data")
ax.set_title("Passes per fit: the cost on a cluster")
for i, p in enumerate(passes.values()):
    ax.text(p + 0.1, i, str(p), va="center")
fig.tight_layout()
plt.show()
