"""Dask collections: fits without gathering, equal to the in-process chunked
fit with the same chunk boundaries; lazy outputs; unknown chunk sizes; a
DataFrame's feature names; errors that name chunk and row; a cluster."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from sklearn_foundations import GradientDescentRegressor, PowerIterationPCA
from sklearn_foundations._chunks import NumpyChunks

da = pytest.importorskip("dask.array")

CHUNKS = (100, 1, 249, 150)


def _data(n=500, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    return X, y, rng.uniform(0.1, 2, n)


def _dask(X, y=None, w=None):
    out = [da.from_array(X, chunks=(CHUNKS, X.shape[1]))]
    out += [None if a is None else da.from_array(a, chunks=(CHUNKS,)) for a in (y, w)]
    return out


def test_importing_the_package_does_not_import_dask():
    code = "import sys, sklearn_foundations; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("params", [dict(), dict(penalty="l1", alpha=0.05)], ids=str)
def test_regressor_fit_equals_the_chunked_fit_bitwise(params):
    X, y, w = _data()
    dX, dy, dw = _dask(X, y, w)
    fitted = GradientDescentRegressor(**params).fit(dX, dy, sample_weight=dw)
    chunked = GradientDescentRegressor(**params)._fit_chunks(
        NumpyChunks(X, y, w, np.cumsum(CHUNKS)[:-1])
    )
    np.testing.assert_array_equal(fitted.coef_, chunked.coef_)
    assert fitted.intercept_ == chunked.intercept_
    assert isinstance(fitted.coef_, np.ndarray) and fitted.n_passes_ == 1
    memory = GradientDescentRegressor(**params).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-10)


def test_outputs_are_lazy_and_score_is_one_pass():
    X, y, w = _data()
    dX, dy, dw = _dask(X, y, w)
    est = GradientDescentRegressor().fit(dX, dy)
    pred = est.predict(dX)
    assert isinstance(pred, da.Array) and pred.chunks[0] == CHUNKS
    np.testing.assert_allclose(pred.compute(), est.predict(X))
    assert est.score(dX, dy, dw) == pytest.approx(est.score(X, y, w), rel=1e-12)
    pca = PowerIterationPCA(n_components=2, random_state=0).fit(dX)
    Z = pca.transform(dX)
    assert isinstance(Z, da.Array) and Z.shape[1] == 2
    np.testing.assert_allclose(Z.compute(), pca.transform(X), atol=1e-12)
    np.testing.assert_allclose(
        pca.score_samples(dX).compute(), pca.score_samples(X), rtol=1e-12
    )
    memory = PowerIterationPCA(n_components=2, random_state=0).fit(X)
    np.testing.assert_allclose(
        pca.explained_variance_, memory.explained_variance_, rtol=1e-10
    )


def test_unknown_chunk_sizes_are_normal_input():
    X, y, _ = _data()
    dX, dy, _ = _dask(X, y)
    keep = dy > np.median(y)
    fX, fy = dX[keep], dy[keep]
    assert np.isnan(fX.chunks[0][0])
    est = GradientDescentRegressor().fit(fX, fy)
    memory = GradientDescentRegressor().fit(X[y > np.median(y)], y[y > np.median(y)])
    np.testing.assert_allclose(est.coef_, memory.coef_, rtol=1e-10)


def test_a_dataframe_gives_feature_names():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y, _ = _data()
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    ddf = dd.from_pandas(df, npartitions=3)
    dy = dd.from_pandas(pd.Series(y), npartitions=3)
    est = GradientDescentRegressor().fit(ddf, dy)
    assert list(est.feature_names_in_) == list(df.columns)
    np.testing.assert_allclose(
        est.coef_, GradientDescentRegressor().fit(df, y).coef_, rtol=1e-10
    )
    np.testing.assert_allclose(est.predict(ddf).compute(), est.predict(df))


def test_a_bad_value_is_named_by_chunk_and_row():
    X, y, _ = _data()
    X = X.copy()
    X[260, 2] = np.nan
    dX, dy, _ = _dask(X, y)
    with pytest.raises(ValueError, match=r"chunk 2, row 260 \(global index\)"):
        GradientDescentRegressor().fit(dX, dy)
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 6"):
        GradientDescentRegressor().fit(_data()[0], y).predict(dX[:, :5])


def test_on_a_local_cluster_bitwise_equal_on_both_backends():
    distributed = pytest.importorskip("distributed")
    from sklearn_foundations import LogisticRegression
    from sklearn_foundations.dask import set_backend

    X, y, w = _data()
    labels = (y > np.median(y)).astype(int)
    dX, dy, dw = _dask(X, y, w)
    dl = da.from_array(labels, chunks=(CHUNKS,))
    local = GradientDescentRegressor(loss="huber", random_state=0).fit(dX, dy, dw)
    local_clf = LogisticRegression(l1_ratio=1.0, C=0.1).fit(dX, dl, dw)
    local_pca = PowerIterationPCA(n_components=2, random_state=0).fit(dX)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster):  # fmt: skip
        graph = GradientDescentRegressor(loss="huber", random_state=0).fit(dX, dy, dw)
        pX, py, pw, pl = dX.persist(), dy.persist(), dw.persist(), dl.persist()
        pca = PowerIterationPCA(n_components=2, random_state=0).fit(pX)
        previous = set_backend("futures")
        try:
            futures = GradientDescentRegressor(loss="huber", random_state=0).fit(
                pX, py, pw
            )
            clf = LogisticRegression(l1_ratio=1.0, C=0.1).fit(pX, pl, pw)
            with pytest.raises(ValueError, match="persisted"):
                GradientDescentRegressor().fit(dX, dy)
        finally:
            set_backend(previous)
    np.testing.assert_array_equal(graph.coef_, local.coef_)
    np.testing.assert_array_equal(futures.coef_, local.coef_)
    np.testing.assert_array_equal(clf.coef_, local_clf.coef_)
    np.testing.assert_array_equal(
        pca.explained_variance_, local_pca.explained_variance_
    )
    assert futures.n_passes_ == local.n_passes_ > 1


def test_with_worker_processes():
    distributed = pytest.importorskip("distributed")
    import dask

    X, y, w = _data()
    dX, dy, dw = _dask(X, y, w)
    local = GradientDescentRegressor(penalty="l1", alpha=0.05).fit(dX, dy, dw)
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True,
            dashboard_address=None, silence_logs=40,
        ) as cluster, distributed.Client(cluster):  # fmt: skip
            remote = GradientDescentRegressor(penalty="l1", alpha=0.05).fit(dX, dy, dw)
            Xb = X.copy()
            Xb[260, 2] = np.nan
            with pytest.raises(ValueError, match=r"chunk 2, row 260"):
                GradientDescentRegressor().fit(_dask(Xb, y)[0], dy)
    np.testing.assert_array_equal(remote.coef_, local.coef_)


def test_logistic_on_dask_equals_the_chunked_fit_with_lazy_outputs():
    from sklearn_foundations import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 5))
    y = np.array(["no", "yes"])[(X @ rng.standard_normal(5) > 0).astype(int)]
    dX = da.from_array(X, chunks=(CHUNKS, 5))
    dy = da.from_array(y, chunks=(CHUNKS,))
    for params in (dict(C=0.5), dict(C=0.5, l1_ratio=1.0)):
        fitted = LogisticRegression(**params).fit(dX, dy)
        chunked = LogisticRegression(**params)._fit_chunks(
            NumpyChunks(X, y, None, np.cumsum(CHUNKS)[:-1])
        )
        np.testing.assert_array_equal(fitted.coef_, chunked.coef_)
    proba = fitted.predict_proba(dX)
    assert isinstance(proba, da.Array) and proba.shape[1] == 2
    np.testing.assert_allclose(proba.compute(), fitted.predict_proba(X))
    labels = fitted.predict(dX)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), fitted.predict(X))
    assert fitted.score(dX, dy) == pytest.approx(fitted.score(X, y), rel=1e-12)


def test_naive_bayes_on_dask_frames_by_column_name():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from sklearn_foundations import NaiveBayesClassifier

    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"height": rng.normal(170, 10, n), "visits": rng.poisson(2, n)})
    y = pd.Series(rng.choice(["x", "y"], n))
    dist = {"gaussian": ["height"], "poisson": ["visits"]}
    ddf, dy = dd.from_pandas(df, npartitions=3), dd.from_pandas(y, npartitions=3)
    fitted = NaiveBayesClassifier(distribution=dist).fit(ddf, dy)
    memory = NaiveBayesClassifier(distribution=dist).fit(df, y)
    np.testing.assert_allclose(fitted.theta_, memory.theta_, rtol=1e-12)
    np.testing.assert_allclose(fitted.rate_, memory.rate_, rtol=1e-12)
    proba = fitted.predict_proba(ddf)
    np.testing.assert_allclose(proba.compute(), memory.predict_proba(df), atol=1e-12)
    # partial_fit over two dask arrays equals fit on both
    X = df.to_numpy()
    parts = NaiveBayesClassifier(distribution={"gaussian": [0], "poisson": [1]})
    parts.partial_fit(da.from_array(X[:150], chunks=50), y[:150].to_numpy(),
                      classes=["x", "y"])  # fmt: skip
    parts.partial_fit(da.from_array(X[150:], chunks=70), y[150:].to_numpy())
    np.testing.assert_allclose(parts.theta_, memory.theta_, rtol=1e-12)


def test_regressor_partial_fit_takes_the_chunks_in_order():
    X, y, w = _data()
    dX, dy, dw = _dask(X, y, w)
    chained = GradientDescentRegressor(random_state=0).partial_fit(dX, dy, dw)
    memory = GradientDescentRegressor(random_state=0)
    for a, b in zip(np.cumsum((0,) + CHUNKS)[:-1], np.cumsum(CHUNKS), strict=True):
        memory.partial_fit(X[a:b], y[a:b], w[a:b])
    np.testing.assert_array_equal(chained.coef_, memory.coef_)
    assert chained.t_ == memory.t_


def test_scores_are_one_pass_and_inverse_transform_is_lazy():
    from sklearn_foundations import NaiveBayesClassifier

    X, y, w = _data()
    labels = (y > np.median(y)).astype(int)
    dX, _, dw = _dask(X, None, w)
    dl = da.from_array(labels, chunks=(CHUNKS,))
    nb = NaiveBayesClassifier().fit(dX, dl)
    assert nb.score(dX, dl, dw) == pytest.approx(nb.score(X, labels, w), rel=1e-12)
    pca = PowerIterationPCA(n_components=2, random_state=0).fit(dX)
    assert pca.score(dX) == pytest.approx(pca.score(X), rel=1e-12)
    back = pca.inverse_transform(pca.transform(dX))
    assert isinstance(back, da.Array)
    np.testing.assert_allclose(
        back.compute(), pca.inverse_transform(pca.transform(X)), atol=1e-10
    )


@pytest.mark.parametrize("d", [4, 5000])  # explicit covariance, operator
def test_pca_on_chunks_whose_squares_underflow_says_so(d):
    # in memory the fit rescales X by a power of two; on chunks that is a
    # second pass, so the squares' underflow is an error, not axes fitted
    # to zeros (a constant X is a fit of zero variance, no error); small
    # squares in range give the fit of X (the covariance rescaled exactly)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, d))
    chunks = (10, d)
    est = PowerIterationPCA(2, random_state=0)
    for scale in [1e-160, 1e-200]:
        with pytest.raises(ValueError, match="squares of X underflow float64"):
            est.fit(da.from_array(X * scale, chunks=chunks))
    ref = PowerIterationPCA(2, random_state=0).fit(X)
    for scale in [1e-100, 1e-140, 1e100]:  # squares in range: the same fit
        est.fit(da.from_array(X * scale, chunks=chunks))
        np.testing.assert_allclose(
            est.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8
        )
        np.testing.assert_allclose(
            est.explained_variance_ / scale**2, ref.explained_variance_, rtol=1e-8
        )
    const = PowerIterationPCA(2, random_state=0).fit(da.ones((40, 3), chunks=10))
    np.testing.assert_array_equal(const.explained_variance_, 0.0)


@pytest.mark.parametrize("n_features", [60, 500])  # formed; an operator's passes
def test_pca_axes_of_far_smaller_scale_found_again_over_the_chunks(n_features):
    # columns 1e6 and 1e5 times the others' scale: the axes the first pass's
    # covariance leaves unresolved, found on a second pass of deflated chunks
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, n_features))
    X[:, 0] *= 1e6
    X[:, 1] *= 1e5
    dX = da.from_array(X, chunks=(250, n_features))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pca = PowerIterationPCA(4, random_state=0).fit(dX)
    full = PCA(4, svd_solver="full").fit(X)
    np.testing.assert_allclose(
        pca.explained_variance_, full.explained_variance_, rtol=1e-7
    )
    assert pca.n_passes_ > 1


@pytest.mark.parametrize("method", ["block", "deflation", "lanczos"])
@pytest.mark.parametrize("shape", [(20, 60), (60, 20), (2000, 600)])
def test_pca_of_no_component_over_the_chunks(shape, method):
    # n_components=0: every variance the noise's, on a formed covariance or
    # an operator's, as scikit-learn's
    from sklearn.decomposition import PCA

    X = np.random.default_rng(0).standard_normal(shape)
    dX = da.from_array(X, chunks=(shape[0] // 2, shape[1]))
    pca = PowerIterationPCA(0, method=method, random_state=0).fit(dX)
    assert pca.components_.shape == (0, shape[1])
    full = PCA(0, svd_solver="full").fit(X)
    assert pca.noise_variance_ == pytest.approx(full.noise_variance_, rel=1e-12)
