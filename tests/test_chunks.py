"""Fits on row chunks (no dask): one pass, and the in-memory answer.

The engine of :mod:`sklearn_foundations._chunks` with in-memory chunks of
uneven sizes (a 1-row chunk among them) against the in-memory fit: the
regressor's Gram pass for every penalty, PCA's covariance pass, the pass
budgets, and the message that names the chunk and row of a bad value.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_foundations import GradientDescentRegressor, PowerIterationPCA
from sklearn_foundations._chunks import NumpyChunks, tree_merge

BOUNDARIES = [100, 101, 350]  # chunks of 100, 1, 249 and the rest


def _data(n=500, d=8, seed=0, k=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    y = X @ rng.standard_normal((d, k)) + rng.standard_normal((n, k))
    return X, (y[:, 0] if k == 1 else y), rng.uniform(0, 2, n)


def _same_solver(methods, memory, chunked):
    """Both fits ran the same method; the same iterations where the method's
    count does not hang on rounding (a first-order method's restarts do: the
    chunks' sums round differently from the in-memory ones, by CPU and by
    thread; and so does whether Newton's steps on the support past ``tol``
    are kept, their iterations counted: seen 12 against 16 at ``tol=1e-8``)."""
    assert len(methods) == 2 and methods[0] == methods[1], methods
    if methods[0] in ("fista", "backtracking", "gradient"):
        assert chunked.n_iter_ == pytest.approx(memory.n_iter_, rel=0.25, abs=5)
    else:
        assert chunked.n_iter_ == memory.n_iter_


def _close(a, b, tol):
    scale = max(np.max(np.abs(a)), 1e-300)
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) <= max(10 * tol, 1e-10) * scale


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(penalty="l1", alpha=0.05),
        dict(penalty="elasticnet", alpha=0.1, l1_ratio=0.3),
        dict(penalty=None, tol=1e-10),
        dict(fit_intercept=False),
        dict(solver="fista", penalty="l1", alpha=0.05, tol=1e-8),
    ],
    ids=str,
)
@pytest.mark.parametrize("weighted", [False, True])
def test_regressor_on_chunks_is_the_in_memory_fit_in_one_pass(
    params, weighted, fit_methods
):
    X, y, w = _data()
    w = w if weighted else None
    memory = GradientDescentRegressor(**params).fit(X, y, sample_weight=w)
    chunks = NumpyChunks(X, y, w, BOUNDARIES)
    chunked = GradientDescentRegressor(**params)._fit_chunks(chunks)
    tol = memory.get_params()["tol"]
    _close(memory.coef_, chunked.coef_, tol)
    # the exact Gram-form solvers agree to rounding; FISTA's iterates on the
    # two Gram matrices (summed by chunks or at once: equal to rounding)
    # drift apart and stop at tol, as the coefficients do (seen: 1.4e-9)
    close = 10 * tol * max(1.0, abs(memory.intercept_))
    itol = close if params.get("solver") == "fista" else 1e-9
    assert chunked.intercept_ == pytest.approx(memory.intercept_, rel=itol, abs=itol)
    _same_solver(fit_methods, memory, chunked)  # the same path: the Gram form
    assert chunked.n_passes_ == memory.n_passes_ == 1


def test_regressor_on_chunks_multi_target_and_sparse():
    X, y, w = _data(k=3)
    memory = GradientDescentRegressor(penalty="l1", alpha=0.05).fit(X, y, w)
    chunked = GradientDescentRegressor(penalty="l1", alpha=0.05)._fit_chunks(
        NumpyChunks(X, y, w, 5)
    )
    assert chunked.coef_.shape == (3, 8)
    _close(memory.coef_, chunked.coef_, 1e-4)
    Xs = sp.random(600, 20, density=0.2, random_state=0, format="csr")
    ys = Xs @ np.arange(20.0)
    memory = GradientDescentRegressor(precompute=True).fit(Xs, ys)
    chunked = GradientDescentRegressor()._fit_chunks(NumpyChunks(Xs, ys, None, 4))
    _close(memory.coef_, chunked.coef_, 1e-4)


def test_chunked_predict_and_score_are_block_by_block():
    X, y, w = _data()
    est = GradientDescentRegressor()._fit_chunks(NumpyChunks(X, y, w, BOUNDARIES))
    chunks = NumpyChunks(X, y, w, BOUNDARIES)
    np.testing.assert_allclose(chunks.map_blocks(est.predict), est.predict(X))
    assert est._score_chunks(chunks) == pytest.approx(est.score(X, y, w), rel=1e-12)
    pois = GradientDescentRegressor(loss="poisson").fit(X, np.exp(y / 10))
    chunks = NumpyChunks(X, np.exp(y / 10), w, BOUNDARIES)
    assert pois._score_chunks(chunks) == pytest.approx(
        pois.score(X, np.exp(y / 10), w), rel=1e-10
    )


@pytest.mark.parametrize("where", ["X", "y", "sample_weight"])
def test_a_bad_value_is_named_by_chunk_and_row(where):
    X, y, w = _data()
    X, y, w = X.copy(), y.copy(), w.copy()
    if where == "X":
        X[260, 3] = np.inf
    elif where == "y":
        y[260] = np.nan
    else:
        w[260] = -1.0
    with pytest.raises(ValueError, match=r"chunk 3, row 260 \(global index\)"):
        GradientDescentRegressor()._fit_chunks(NumpyChunks(X, y, w, [100, 101, 250]))
    if where == "X":
        with pytest.raises(ValueError, match="chunk 3, row 260.*feature 3"):
            PowerIterationPCA(n_components=2)._fit_chunks(
                NumpyChunks(X, None, None, [100, 101, 250])
            )


def test_the_lowest_bad_chunk_is_reported():
    X, y, _ = _data()
    X = X.copy()
    X[400, 0] = np.nan
    X[120, 5] = np.nan
    with pytest.raises(ValueError, match="row 120"):
        GradientDescentRegressor()._fit_chunks(NumpyChunks(X, y, None, 5))


def test_unsupported_cases_say_what_to_do():
    X, y, _ = _data()
    for params in (dict(batch_size=10), dict(early_stopping=True)):
        with pytest.raises(NotImplementedError, match="partial_fit"):
            GradientDescentRegressor(**params)._fit_chunks(NumpyChunks(X, y))


@pytest.mark.parametrize(
    "params",
    [
        dict(loss="huber", epsilon=1.0),
        dict(loss="huber", penalty="l1", alpha=0.01),
        dict(loss="poisson"),
        dict(loss="poisson", penalty="l1", alpha=0.01),
        dict(precompute=False, penalty="elasticnet", alpha=0.05),
    ],
    ids=str,
)
def test_regressor_losses_on_chunks_take_the_in_memory_path(params, fit_methods):
    X, y, w = _data(d=6)
    if params["loss" if "loss" in params else "precompute"] == "poisson":
        y = np.random.default_rng(1).poisson(np.exp(y / np.std(y))).astype(float)
    memory = GradientDescentRegressor(tol=1e-8, **params).fit(X, y, sample_weight=w)
    chunked = GradientDescentRegressor(tol=1e-8, **params)._fit_chunks(
        NumpyChunks(X, y, w, BOUNDARIES)
    )
    _close(memory.coef_, chunked.coef_, 1e-8)
    _same_solver(fit_methods, memory, chunked)


def test_poisson_counts_are_checked_in_the_pass():
    X, _, _ = _data()
    y = np.random.default_rng(0).poisson(3, len(X)).astype(float)
    y[333] = -1.0
    with pytest.raises(ValueError, match=r"y >= 0: -1.0 in chunk 2, row 333"):
        GradientDescentRegressor(loss="poisson")._fit_chunks(
            NumpyChunks(X, y, None, BOUNDARIES)
        )


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", ["block", "deflation"])
def test_pca_on_chunks_is_the_in_memory_fit_in_one_pass(sparse, method):
    X, _, _ = _data(n=400, d=12)
    X = sp.csr_matrix(np.where(np.abs(X) > 1.5, X, 0.0)) if sparse else X
    params = dict(n_components=3, tol=1e-12, method=method, random_state=0)
    memory = PowerIterationPCA(**params).fit(X)
    chunked = PowerIterationPCA(**params)._fit_chunks(
        NumpyChunks(X, None, None, [1, 200])
    )
    np.testing.assert_allclose(
        chunked.explained_variance_, memory.explained_variance_, rtol=1e-10
    )
    np.testing.assert_allclose(
        np.abs(chunked.components_), np.abs(memory.components_), atol=1e-8
    )
    np.testing.assert_allclose(chunked.mean_, memory.mean_, rtol=1e-12, atol=1e-14)
    assert chunked.n_passes_ == 1
    Xd = X.toarray() if sparse else X
    np.testing.assert_allclose(
        NumpyChunks(X, None, None, 3).map_blocks(chunked.transform),
        chunked.transform(Xd), atol=1e-10,
    )  # fmt: skip


def test_tree_merge_is_fixed_by_index():
    order = tree_merge([[i] for i in range(7)], lambda a, b: a + b)
    assert order == list(range(7))
    with pytest.raises(ValueError, match="no rows"):
        tree_merge([], lambda a, b: a)


def _classes(n=600, d=5, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-1, 1, d)
    Z = X @ rng.standard_normal((d, k)) + rng.logistic(size=(n, k))
    y = (Z[:, 0] > 0).astype(int) if k == 1 else Z.argmax(axis=1)
    labels = np.array(["ant", "bee", "cat", "dog"])[: max(k, 2)]
    return X, labels[y], rng.uniform(0.2, 2.0, n)


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(l1_ratio=1.0, C=0.05),
        dict(l1_ratio=0.5, C=0.1),
        dict(class_weight="balanced"),
        dict(fit_intercept=False),
        dict(solver="lbfgs"),
    ],
    ids=str,
)
@pytest.mark.parametrize("k", [1, 3])
def test_logistic_on_chunks_is_the_in_memory_fit(params, k, fit_methods):
    from sklearn_foundations import LogisticRegression

    X, y, w = _classes(k=k)
    if k == 3 and params.get("l1_ratio"):
        params = {**params, "max_iter": 2000}
    memory = LogisticRegression(tol=1e-8, **params).fit(X, y, sample_weight=w)
    # a chunk without the class "cat": the census finds the classes in the pass
    order = np.argsort(y == "cat", kind="stable")
    X, y, w = X[order], y[order], w[order]
    chunks = NumpyChunks(X, y, w, [150, 151, 400])
    chunked = LogisticRegression(tol=1e-8, **params)._fit_chunks(chunks)
    np.testing.assert_array_equal(chunked.classes_, memory.classes_)
    np.testing.assert_allclose(chunked.coef_, memory.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(chunked.intercept_, memory.intercept_, atol=1e-8)
    if k == 3 and params.get("l1_ratio"):  # in memory the coupled steps
        assert fit_methods == ["coupled-newton", "fista"]
    else:
        assert chunked.n_iter_[0] == memory.n_iter_[0]  # the same solver path
    if k == 1 and not params.get("l1_ratio") and "solver" not in params:
        assert chunked.n_passes_ <= chunked.n_iter_[0] + 2  # Newton: 1 per iteration


def test_logistic_chunks_check_the_classes_and_values():
    from sklearn_foundations import LogisticRegression

    X, y, w = _classes()
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticRegression()._fit_chunks(NumpyChunks(X, np.full(len(y), "a"), w))
    X = X.copy()
    X[451, 1] = np.nan
    with pytest.raises(ValueError, match=r"chunk 3, row 451 \(global index\)"):
        LogisticRegression()._fit_chunks(NumpyChunks(X, y, w, [150, 151, 400]))


def _mixed(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.normal(size=n), rng.poisson(3, n), rng.integers(0, 4, n),
        rng.binomial(5, 0.3, n), rng.integers(0, 2, n),
    ]).astype(float)  # fmt: skip
    y = rng.choice(["a", "b", "c"], n)
    order = np.argsort(y == "c", kind="stable")  # the first chunks lack "c"
    return X[order], y[order], rng.uniform(0.1, 2, n)


MIXED = {"gaussian": [0], "poisson": [1], "categorical": [2], "binomial": [3],
         "bernoulli": [4]}  # fmt: skip


@pytest.mark.parametrize("distribution", [MIXED, "gaussian", "multinomial"], ids=str)
def test_naive_bayes_on_chunks_is_the_in_memory_fit_in_one_pass(distribution):
    from sklearn_foundations import NaiveBayesClassifier

    X, y, w = _mixed()
    X = X if distribution is MIXED else np.abs(X)
    memory = NaiveBayesClassifier(distribution=distribution).fit(X, y, w)
    chunks = NumpyChunks(X, y, w, [100, 101, 250])
    chunked = NaiveBayesClassifier(distribution=distribution)._fit_chunks(chunks)
    np.testing.assert_array_equal(chunked.classes_, memory.classes_)
    np.testing.assert_allclose(chunked.class_count_, memory.class_count_, rtol=1e-12)
    for name in ("theta_", "var_", "feature_log_prob_", "rate_", "prob_"):
        if hasattr(memory, name) and not isinstance(getattr(memory, name), list):
            np.testing.assert_allclose(
                getattr(chunked, name), getattr(memory, name), rtol=1e-12
            )
    np.testing.assert_allclose(
        chunked.predict_log_proba(X), memory.predict_log_proba(X), atol=1e-12
    )
    assert chunked.n_passes_ == 1


def test_naive_bayes_partial_fit_on_chunks_adds_up():
    from sklearn_foundations import NaiveBayesClassifier

    X, y, w = _mixed()
    whole = NaiveBayesClassifier(distribution=MIXED).fit(X, y, w)
    parts = NaiveBayesClassifier(distribution=MIXED)
    parts._fit_chunks(NumpyChunks(X[:200], y[:200], w[:200], 3), None, True,
                      classes=["a", "b", "c"])  # fmt: skip
    parts._fit_chunks(NumpyChunks(X[200:], y[200:], w[200:], 2), parts.classes_, False)
    np.testing.assert_allclose(
        parts.predict_log_proba(X), whole.predict_log_proba(X), atol=1e-12
    )


def test_naive_bayes_chunks_name_the_bad_row():
    from sklearn_foundations import NaiveBayesClassifier

    X, y, w = _mixed()
    X = X.copy()
    X[300, 1] = -2.0
    with pytest.raises(
        ValueError, match=r"feature 1 has the value -2.*chunk 3, row 300"
    ):
        NaiveBayesClassifier(distribution=MIXED)._fit_chunks(
            NumpyChunks(X, y, w, [100, 101, 250])
        )


@pytest.mark.parametrize("sparse", [False, True])
def test_pca_on_wide_chunks_makes_a_pass_per_block_product(sparse):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 600)) @ np.diag(np.linspace(3, 0.1, 600)) + 1.0
    X = sp.csr_matrix(np.where(np.abs(X - 1) > 1.0, X, 0.0)) if sparse else X
    params = dict(n_components=2, tol=1e-12, random_state=0)
    memory = PowerIterationPCA(**params).fit(X)
    chunked = PowerIterationPCA(**params)._fit_chunks(
        NumpyChunks(X, None, None, [1, 150])
    )
    np.testing.assert_allclose(
        chunked.explained_variance_, memory.explained_variance_, rtol=1e-10
    )
    np.testing.assert_allclose(
        np.abs(chunked.components_), np.abs(memory.components_), atol=1e-8
    )
    if sparse:  # dense rows in memory, fewer than the features: the kernel
        assert chunked.n_iter_ == memory.n_iter_
    assert chunked.n_passes_ == chunked.n_iter_ + 1  # the statistics, each product
