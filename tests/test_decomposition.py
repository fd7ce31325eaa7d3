"""PowerIterationPCA: same numbers as PCA(svd_solver="full"), sparse, both methods."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import LogisticRegression, PowerIterationPCA


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)[0]


@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer(return_X_y=True)[0]


def _full_svd_numbers(pca, X, rtol, atol):
    """``pca``'s variances (to ``rtol``) and axes (to ``atol``, up to sign)
    against PCA(svd_solver="full")'s."""
    sk = PCA(pca.n_components_, svd_solver="full").fit(X)
    np.testing.assert_allclose(
        pca.explained_variance_, sk.explained_variance_, rtol=rtol
    )
    signs = np.sign(np.sum(pca.components_ * sk.components_, axis=1))
    np.testing.assert_allclose(
        pca.components_ * signs[:, None], sk.components_, atol=atol
    )
    return sk


@pytest.mark.parametrize("method", ["block", "subspace", "lanczos", "deflation"])
@pytest.mark.parametrize("data, k", [("digits", 10), ("cancer", 5)])
def test_same_numbers_as_full_pca(request, data, k, method):
    X = request.getfixturevalue(data)
    sk = PCA(k, svd_solver="full").fit(X)
    ours = PowerIterationPCA(
        k, method=method.replace("subspace", "block"), accelerate=method == "block",
        tol=1e-13, random_state=0,
    ).fit(X)  # fmt: skip
    np.testing.assert_allclose(ours.components_, sk.components_, atol=1e-6)
    np.testing.assert_allclose(
        ours.explained_variance_, sk.explained_variance_, rtol=1e-8
    )
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, sk.explained_variance_ratio_, rtol=1e-8
    )
    np.testing.assert_allclose(ours.singular_values_, sk.singular_values_, rtol=1e-8)
    scale = np.abs(X).max()
    np.testing.assert_allclose(ours.transform(X), sk.transform(X), atol=1e-6 * scale)
    Z = sk.transform(X)
    np.testing.assert_allclose(
        ours.inverse_transform(Z), sk.inverse_transform(Z), atol=1e-6 * scale
    )
    assert ours.noise_variance_ == pytest.approx(sk.noise_variance_, rel=1e-6)
    assert ours.score(X) == pytest.approx(sk.score(X), rel=1e-6)
    np.testing.assert_allclose(ours.score_samples(X), sk.score_samples(X), rtol=1e-6)
    assert ours.n_components_ == sk.n_components_ and ours.n_samples_ == len(X)


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.95])
def test_variance_fraction_picks_the_same_number_of_components(digits, fraction):
    sk = PCA(fraction, svd_solver="full").fit(digits)
    ours = PowerIterationPCA(fraction, random_state=0).fit(digits)
    assert ours.n_components_ == sk.n_components_
    np.testing.assert_allclose(
        ours.explained_variance_, sk.explained_variance_, rtol=1e-8
    )


@pytest.mark.parametrize("seed", range(6))
def test_a_share_equal_to_a_sum_of_ratios_keeps_the_next_component(seed):
    """n_components equal to a sum of explained_variance_ratio_ has not been
    passed: the next component is kept, as scikit-learn's (the two fits, from
    two random starts, differ in the last bits of that sum)."""
    from sklearn.datasets import load_iris

    X = load_iris().data
    full = PowerIterationPCA(random_state=seed).fit(X)
    share = full.explained_variance_ratio_.cumsum()[-2]
    pca = PowerIterationPCA(share, random_state=seed + 100).fit(X)
    assert pca.n_components_ == X.shape[1]


def test_all_components_by_default(cancer):
    sk = PCA(svd_solver="full").fit(cancer)
    ours = PowerIterationPCA(random_state=0).fit(cancer)
    assert ours.n_components_ == 30 and ours.noise_variance_ == 0.0
    # the smallest eigenvalues are known only to round-off of the largest
    atol = 1e-13 * sk.explained_variance_[0]
    np.testing.assert_allclose(
        ours.explained_variance_, sk.explained_variance_, rtol=1e-8, atol=atol
    )


def test_whitened_output_has_unit_variance(digits):
    pca = PowerIterationPCA(8, whiten=True, random_state=0).fit(digits)
    Z = pca.transform(digits)
    np.testing.assert_allclose(np.var(Z, axis=0, ddof=1), 1.0, rtol=1e-8)
    np.testing.assert_allclose(np.cov(Z.T), np.eye(8), atol=1e-8)
    ref = PowerIterationPCA(8, random_state=0).fit(digits)
    np.testing.assert_allclose(pca.inverse_transform(Z), ref.inverse_transform(
        ref.transform(digits)), atol=1e-8)  # fmt: skip


def test_sparse_input_gives_the_dense_answer(digits):
    X = sp.csr_matrix(digits)
    dense = PowerIterationPCA(6, tol=1e-13, random_state=0).fit(digits)
    sparse = PowerIterationPCA(6, tol=1e-13, random_state=0).fit(X)
    np.testing.assert_allclose(sparse.components_, dense.components_, atol=1e-8)
    np.testing.assert_allclose(
        sparse.explained_variance_, dense.explained_variance_, rtol=1e-10
    )
    np.testing.assert_allclose(sparse.transform(X), dense.transform(digits), atol=1e-8)
    assert sparse.noise_variance_ == pytest.approx(dense.noise_variance_, rel=1e-10)


@pytest.mark.parametrize("method", ["block", "lanczos"])
@pytest.mark.parametrize("kind", ["dense-operator", "sparse"])
def test_total_variance_has_no_cancellation_far_from_the_origin(kind, method):
    # The operator path (wide dense X with few components, or sparse X) takes
    # the trace from centered squares: exact even when the mean is 1e4 x the
    # spread, where sum(x^2) - n mean^2 would have lost 8 digits.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 450)) / np.sqrt(np.arange(1, 451)) + 1e4
    if kind == "sparse":
        X[:, ::2] = 0.0  # half the columns sparse, the others far off
        X = sp.csr_matrix(X)
    ours = PowerIterationPCA(2, n_oversamples=2, method=method, random_state=0).fit(X)
    dense = X.toarray() if sp.issparse(X) else X
    full = PCA(2, svd_solver="full").fit(dense)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, full.explained_variance_ratio_, rtol=1e-8
    )
    np.testing.assert_allclose(ours.noise_variance_, full.noise_variance_, rtol=1e-8)


@pytest.mark.parametrize("method", ["block", "lanczos"])
def test_sparse_input_is_never_densified(method):
    # dense, this matrix would take 20000 * 400000 * 8 bytes = 64 GB
    rng = np.random.default_rng(0)
    n, d, nnz = 20_000, 400_000, 60_000
    X = sp.csr_matrix(
        (rng.standard_normal(nnz), (rng.integers(0, n, nnz), rng.integers(0, d, nnz))),
        shape=(n, d),
    )
    top = sp.csr_matrix(rng.standard_normal((n, 3)) * [5.0, 3.0, 2.0])
    X = sp.hstack([top, X[:, 3:]], format="csr")  # a clear top-3
    pca = PowerIterationPCA(3, method=method, random_state=0, tol=1e-9).fit(X)
    V = pca.components_
    np.testing.assert_allclose(V @ V.T, np.eye(3), atol=1e-10)
    # each axis is an eigenvector of the covariance, applied without densifying
    Xv = X @ V.T - pca.mean_ @ V.T
    CV = (X.T @ Xv - np.outer(pca.mean_, Xv.sum(axis=0))) / (n - 1)
    np.testing.assert_allclose(CV, V.T * pca.explained_variance_, atol=1e-7)
    assert pca.explained_variance_[0] == pytest.approx(25.0, rel=0.1)


def test_the_methods_agree(digits):
    block = PowerIterationPCA(5, tol=1e-13, random_state=0).fit(digits)
    plain = PowerIterationPCA(5, accelerate=False, tol=1e-13, random_state=2)
    deflation = PowerIterationPCA(5, method="deflation", tol=1e-13, random_state=1)
    lanczos = PowerIterationPCA(5, method="lanczos", tol=1e-13, random_state=3)
    deflation.fit(digits), plain.fit(digits), lanczos.fit(digits)
    np.testing.assert_allclose(deflation.components_, block.components_, atol=1e-7)
    np.testing.assert_allclose(plain.components_, block.components_, atol=1e-7)
    np.testing.assert_allclose(lanczos.components_, block.components_, atol=1e-7)
    assert len(deflation.residual_history_) == 5  # one trace per component
    assert block.n_iter_ < plain.n_iter_  # the momentum pays


def test_a_formed_covariance_takes_chebyshev_steps(digits):
    """Dense rows, as many as the features: the covariance is formed and the
    block method filters it by Chebyshev polynomials between its
    Rayleigh-Ritz steps, half of LOBPCG's on the same matrix or fewer, to
    the same numbers as the full SVD."""
    from sklearn_foundations.linalg import power_iteration

    pca = PowerIterationPCA(10, random_state=0).fit(digits)
    C = np.cov(digits, rowvar=False)
    lobpcg = power_iteration(C, 10, n_oversamples=10, tol=1e-12, accelerate=True,
                             random_state=0)  # fmt: skip
    assert pca.n_iter_ <= lobpcg.n_iter / 2
    _full_svd_numbers(pca, digits, rtol=1e-13, atol=1e-9)


def test_the_filter_forms_the_covariance_of_more_features():
    """700 features, a block of 12, 2,000 rows: the block method forms the
    covariance (58 times the block; the operator's LOBPCG took some 60
    products there) and filters it, in a few Rayleigh-Ritz steps, to the full
    SVD's numbers; with accelerate=False the products stay the operator's."""
    X = np.random.default_rng(0).standard_normal((2000, 700))
    pca = PowerIterationPCA(2, random_state=0).fit(X)
    assert pca.n_iter_ <= 8
    _full_svd_numbers(pca, X, rtol=1e-12, atol=1e-8)
    plain = PowerIterationPCA(2, accelerate=False, random_state=0)
    assert not plain._explicit_covariance(X)


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_wide_dense_data_through_the_rows_kernel(offset):
    """300 rows, 3,000 features: the rows' kernel, filtered, gives the
    covariance's axes in three passes (the moments, the kernel, the axes)
    and a few steps, to the full SVD's numbers; a mean of 1e6 loses no
    digits (the columns are centered by blocks), where the operator's
    products did not reach ``tol`` in max_iter."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3000)) @ np.diag(np.linspace(2, 0.5, 3000)) + offset
    pca = PowerIterationPCA(10, random_state=0).fit(X)
    assert pca.n_passes_ == 3 and pca.n_iter_ <= 8
    sk = _full_svd_numbers(pca, X, rtol=1e-11, atol=1e-9)
    assert np.all(pca.residuals_ <= 1e-12 * pca.explained_variance_[0])
    np.testing.assert_allclose(
        np.abs(pca.transform(X[:5])), np.abs(sk.transform(X[:5])), rtol=1e-8, atol=1e-8
    )


@pytest.mark.parametrize("shape", [(680, 674), (2000, 3000)])
def test_large_column_means_take_the_centered_forms(shape):
    """Means of up to 1e5 on unit spreads: the operator's products lost half
    the digits and ran out of max_iter with a warning; the covariance (as
    many rows as features) or the rows' kernel (fewer), centered by blocks,
    give the full SVD's numbers in a few passes."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal(shape) + rng.uniform(-1e5, 1e5, shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        pca = PowerIterationPCA(3, random_state=0).fit(X)
    assert pca.n_passes_ <= 3
    _full_svd_numbers(pca, X, rtol=1e-10, atol=1e-7)


def test_the_rows_kernel_below_its_rank_and_in_float32():
    """Ten components of a rank-5 wide matrix: the kernel's zero eigenvalues
    give no axes, LOBPCG on the covariance finishes (the variances 0); in
    float32 the attributes stay float32."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 2000))
    pca = PowerIterationPCA(10, random_state=0).fit(X)
    sk = PCA(10, svd_solver="full").fit(X)
    np.testing.assert_allclose(
        pca.explained_variance_,
        sk.explained_variance_,
        atol=1e-12 * sk.explained_variance_[0],
    )
    assert pca.n_passes_ > 3  # the operator's products after the kernel
    X32 = rng.standard_normal((400, 3000)).astype(np.float32)
    pca32 = PowerIterationPCA(3, random_state=0).fit(X32)
    assert pca32.components_.dtype == np.float32 and pca32.n_passes_ == 3
    ref = PCA(3, svd_solver="full").fit(X32.astype(np.float64))
    np.testing.assert_allclose(
        pca32.explained_variance_, ref.explained_variance_, rtol=1e-5
    )


def test_not_converged_warns_with_the_worst_residual():
    # 200 features (digits' 64 take the whole space's one exact step)
    X = np.random.default_rng(0).standard_normal((400, 200))
    with pytest.warns(ConvergenceWarning, match="(?i)largest residual .* nearly equal"):
        PowerIterationPCA(10, max_iter=2, n_oversamples=0, random_state=0).fit(X)


def test_residual_history_falls_to_tol():
    X = np.random.default_rng(0).standard_normal((1000, 200)) * 0.97 ** np.arange(200)
    pca = PowerIterationPCA(10, tol=1e-10, random_state=0).fit(X)
    history = np.array(pca.residual_history_)
    assert history.shape == (pca.n_iter_, 10)
    assert history[-1].max() <= 1e-10 * pca.explained_variance_[0]
    assert history[0].max() > history[-1].max()


def test_precision_is_the_inverse_covariance(digits):
    pca = PowerIterationPCA(10, random_state=0).fit(digits)
    np.testing.assert_allclose(
        pca.get_precision() @ pca.get_covariance(), np.eye(64), atol=1e-10
    )


def test_rank_deficient_and_constant_features_behave_as_pca():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3)) @ rng.standard_normal((3, 6))
    X[:, 2] = 7.0  # constant
    sk = PCA(4, svd_solver="full").fit(X)
    ours = PowerIterationPCA(4, random_state=0).fit(X)
    np.testing.assert_allclose(
        ours.explained_variance_, sk.explained_variance_, atol=1e-10
    )
    np.testing.assert_allclose(ours.components_[:3], sk.components_[:3], atol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X, atol=1e-8)


def _scales_apart(n, d, big, seed=0):
    """Unit columns but the first two, ``big`` and ``big / 10`` times as wide."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, 0] *= big
    X[:, 1] *= big / 10
    return X


@pytest.mark.parametrize("method", ["block", "lanczos"])
@pytest.mark.parametrize(
    "shape, big, n_components",
    [((60, 5), 1e8, 2), ((60, 5), 1e8, None), ((500, 100), 1e7, 3),
     ((2000, 50), 1e6, 5), ((300, 40), 1e6, None)],
)  # fmt: skip
def test_columns_of_far_larger_scales_keep_the_small_axes(shape, big, n_components,
                                                           method):  # fmt: skip
    # variances spanning 1e14-1e16: the stopping test, residuals of at most
    # tol * lambda_1, bounded nothing on the unit columns' axes (the third
    # 0.8 off, its variance 18%), and a rotated basis of the whole space
    # mixed the first's rounding into the second (1.82 for 1.52)
    X = _scales_apart(*shape, big)
    with warnings.catch_warnings():  # (Lanczos's residuals of the largest
        # axes stop above tol * lambda_1 on some: its warning, as before)
        warnings.simplefilter("error" if method == "block" else "ignore")
        ours = PowerIterationPCA(n_components, method=method, random_state=0).fit(X)
    _full_svd_numbers(ours, X, rtol=1e-7, atol=1e-7)


def test_sparse_columns_of_far_larger_scales_keep_the_small_axes():
    # the operator's products mix lambda_1's rounding into every axis: the
    # unresolved ones are found on the deflated data's covariance, formed
    X = _scales_apart(2000, 60, 1e6)
    X[np.abs(X) < 1] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = PowerIterationPCA(4, random_state=0).fit(sp.csr_matrix(X))
    _full_svd_numbers(ours, X, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("method", ["block", "deflation", "lanczos"])
@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix])
def test_no_component_keeps_the_noise_variance(cancer, fmt, wide, method):
    # n_components=0: no axis, every variance the noise's (scikit-learn's);
    # wide data (the rows' kernel) too
    X = cancer[:20] if wide else cancer
    ours = PowerIterationPCA(0, method=method, random_state=0).fit(fmt(X))
    sk = PCA(0, svd_solver="full").fit(X)
    assert ours.components_.shape == (0, X.shape[1])
    assert ours.transform(fmt(X)).shape == (X.shape[0], 0)
    assert ours.noise_variance_ == pytest.approx(sk.noise_variance_, rel=1e-12)


def test_the_rows_kernel_tightens_its_own_solve_before_lobpcg():
    # the fifth variance 30x below the first: the kernel's residuals at tol
    # bound the covariance's only to sqrt(30) times them; a second, tighter
    # solve of the kernel gives tol, with no LOBPCG products on the data
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2000)) * 1e-2
    X[:, :5] = rng.standard_normal((100, 5)) * 10 ** -np.linspace(0, 1.5, 5)
    ours = PowerIterationPCA(5, random_state=0).fit(X)
    assert ours.n_passes_ == 3  # the moments, the kernel, the axes
    _full_svd_numbers(ours, X, rtol=1e-9, atol=1e-9)


def test_the_rows_kernel_finds_unresolved_small_axes_again():
    # wide data go through the rows' kernel, whose products mix the largest
    # eigenvalue's rounding into every axis: the kernel of the data less the
    # resolved axes, formed anew, finds the third
    X = _scales_apart(100, 300, 1e7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = PowerIterationPCA(3, random_state=0).fit(X)
    _full_svd_numbers(ours, X, rtol=1e-7, atol=1e-7)
    assert ours.n_passes_ > 3  # the kernel's three, and a round's


def test_unresolved_small_axes_of_an_operator_of_many_features_warn():
    # more features than a deflated covariance is formed for: a warning that
    # names the axis, not a silent answer
    X = _scales_apart(700, 600, 1e5)
    with pytest.warns(ConvergenceWarning, match="from component 3 on are resolved"):
        PowerIterationPCA(3, random_state=0).fit(X)


def test_too_many_components_is_an_error(cancer):
    with pytest.raises(ValueError, match=r"n_components=31 must be between 0 and"):
        PowerIterationPCA(31).fit(cancer)


def test_float32_stays_float32(digits):
    pca = PowerIterationPCA(5, random_state=0).fit(digits.astype(np.float32))
    assert pca.components_.dtype == np.float32
    assert pca.transform(digits.astype(np.float32)).dtype == np.float32
    ref = PCA(5, svd_solver="full").fit(digits)
    np.testing.assert_allclose(pca.components_, ref.components_, atol=1e-3)


def test_small_float32_data_fit_in_float64_arithmetic():
    """Small float32 data: the eigenvalues of null directions at float32's
    rounding of the data (1e-13 here, scikit-learn's float32 SVD 1e-12), not of
    their covariance (1e-5, above scikit-learn's own tests' threshold for a
    component that carries variance); the attributes in float32."""
    rng = np.random.default_rng(42)
    X = (rng.standard_normal((30, 15)) @ rng.standard_normal((15, 100))).astype(
        np.float32
    )
    ours = PowerIterationPCA(random_state=0).fit(X)
    ref = PCA(svd_solver="full").fit(X)
    for name in ["components_", "explained_variance_", "mean_", "singular_values_"]:
        assert getattr(ours, name).dtype == np.float32, name
    assert np.all(ours.explained_variance_[15:] < 1e-10)
    np.testing.assert_allclose(
        ours.explained_variance_[:15], ref.explained_variance_[:15], rtol=1e-5
    )
    assert ours.transform(X).dtype == np.float32


def test_fixed_random_state_is_deterministic(digits):
    a = PowerIterationPCA(4, random_state=3, tol=1e-4).fit(digits).components_
    b = PowerIterationPCA(4, random_state=3, tol=1e-4).fit(digits).components_
    np.testing.assert_array_equal(a, b)


def test_feature_names_out_and_pandas_output(digits):
    pca = PowerIterationPCA(3, random_state=0).set_output(transform="pandas")
    out = pca.fit_transform(digits)
    assert list(out.columns) == [
        "poweriterationpca0",
        "poweriterationpca1",
        "poweriterationpca2",
    ]


def test_pipeline_grid_search_over_n_components(digits):
    y = load_digits().target
    pipe = make_pipeline(
        StandardScaler(),
        PowerIterationPCA(random_state=0),
        LogisticRegression(max_iter=300),
    )
    grid = GridSearchCV(pipe, {"poweriterationpca__n_components": [5, 20]}, cv=3)
    grid.fit(digits, y)
    assert grid.best_params_["poweriterationpca__n_components"] == 20
    assert grid.best_score_ > 0.85


def test_minka_evidence_is_scikit_learns():
    from sklearn.decomposition._pca import _assess_dimension

    from sklearn_foundations.decomposition import minka_log_evidence

    rng = np.random.default_rng(0)
    for spectrum in [np.sort(rng.random(8))[::-1], np.array([1, 1e-30, 1e-30, 1e-30])]:
        for k in range(1, len(spectrum)):
            ours = minka_log_evidence(spectrum, k, 50)
            theirs = _assess_dimension(spectrum, k, 50)
            assert ours == theirs or abs(ours - theirs) <= 1e-10 * abs(theirs)
    with pytest.raises(ValueError, match=r"should be in \[1, n_features - 1\]"):
        minka_log_evidence(np.ones(4), 4, 10)


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix])
def test_mle_picks_scikit_learns_number_of_components(fmt):
    rng = np.random.RandomState(0)
    X = rng.randn(1000, 10)
    X[:, -1] = X[:, :-1].mean(axis=1)  # rank 9
    X2 = rng.randn(300, 6) @ np.diag([10, 5, 1, 1, 1, 1])
    for data in (X, X2, rng.randn(600, 10)):
        ours = PowerIterationPCA("mle", random_state=0).fit(fmt(data))
        assert (
            ours.n_components_ == PCA("mle", svd_solver="full").fit(data).n_components_
        )
    with pytest.raises(ValueError, match="only supported if n_samples >= n_features"):
        PowerIterationPCA("mle").fit(rng.randn(20, 21))


@pytest.mark.parametrize("method", ["block", "lanczos"])
def test_every_component_of_a_rank_deficient_matrix(digits, method):
    # digits has two constant pixels: rank 62 of 64; n_components=None asks
    # for all 64, the last two of zero variance
    sk = PCA(None, svd_solver="full").fit(digits)
    ours = PowerIterationPCA(None, method=method, random_state=0).fit(digits)
    assert ours.n_components_ == sk.n_components_ == 64
    np.testing.assert_allclose(
        ours.explained_variance_, sk.explained_variance_, rtol=1e-9, atol=1e-12
    )
