"""Power iteration on matrices with known spectra."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from scipy.stats import ortho_group

from sklearn_foundations import _products, linalg
from sklearn_foundations.linalg import (
    column_moments,
    deflated_power_iteration,
    gram_matrix,
    gram_moments,
    gram_operator,
    largest_eigenvalue,
    power_iteration,
)


def _known_spectrum(eigenvalues, seed=0):
    Q = ortho_group.rvs(len(eigenvalues), random_state=seed)
    return Q @ np.diag(eigenvalues) @ Q.T, Q


@pytest.mark.parametrize("accelerate", [False, True])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_power_iteration_recovers_known_eigenpairs(k, accelerate):
    lam = np.array([10.0, 7.0, 5.0, 3.0, 2.0, 1.0, 0.5, 0.1])
    A, Q = _known_spectrum(lam)
    res = power_iteration(A, k, tol=1e-12, random_state=0, accelerate=accelerate)
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:k], rtol=1e-10)
    # eigenvectors up to sign
    overlap = np.abs(np.sum(res.eigenvectors * Q[:, :k], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-10)
    assert np.all(res.residuals <= 1e-12 * lam[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_acceleration_needs_fewer_products_for_the_same_pairs(dtype):
    lam = 1.0 / np.arange(1, 301)  # a slowly decaying spectrum: slow for plain
    A, Q = _known_spectrum(lam, seed=3)
    A = A.astype(dtype)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    plain, fast = (
        power_iteration(A, 6, n_oversamples=4, tol=tol, random_state=0, dtype=dtype,
                        accelerate=acc, max_iter=5000)
        for acc in (False, True)
    )  # fmt: skip
    assert plain.converged and fast.converged
    assert fast.eigenvectors.dtype == dtype
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(fast.eigenvalues, lam[:6], rtol=rtol)
    overlap = np.abs(np.sum(fast.eigenvectors * Q[:, :6], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=rtol)
    gram = fast.eigenvectors.T @ fast.eigenvectors  # the basis stays orthonormal
    np.testing.assert_allclose(gram, np.eye(6), atol=100 * np.finfo(dtype).eps)
    assert fast.n_iter < plain.n_iter / (2 if dtype == np.float64 else 1)
    assert len(fast.residual_history) == fast.n_iter


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spectrum", ["decaying", "clustered", "wide range"])
def test_chebyshev_filter_needs_fewer_rayleigh_ritz_steps(spectrum, dtype):
    """The same pairs as LOBPCG to the same tolerance (eigenvalues, axes
    against the known ones, an orthonormal basis), in a fraction of its
    Rayleigh-Ritz steps (in float64; in float32 no more): slowly decaying,
    clustered at the top as a random design's, and over 12 decades."""
    lam = {
        "decaying": 1.0 / np.arange(1, 301),
        "clustered": 1.0 + np.sort(np.random.default_rng(1).uniform(0, 0.3, 300))[::-1],
        "wide range": np.logspace(6, -6, 300),
    }[spectrum]
    A, Q = _known_spectrum(lam, seed=3)
    A = A.astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    kwargs = dict(n_oversamples=10, tol=tol, random_state=0, dtype=dtype)
    cheb = linalg.chebyshev_iteration(A, 6, **kwargs)
    lobpcg = power_iteration(A, 6, accelerate=True, **kwargs)
    assert cheb.converged and lobpcg.converged
    assert cheb.eigenvectors.dtype == dtype
    assert np.all(cheb.residuals <= tol * cheb.eigenvalues[0])
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(cheb.eigenvalues, lam[:6], rtol=rtol)
    gaps = np.abs(lam[:6] - lam[1:7]) / lam[0]  # an axis is off by residual / gap
    overlap = np.abs(np.sum(cheb.eigenvectors * Q[:, :6], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=max(10 * tol / gaps.min(), rtol))
    gram = cheb.eigenvectors.T @ cheb.eigenvectors
    np.testing.assert_allclose(gram, np.eye(6), atol=100 * np.finfo(dtype).eps)
    assert len(cheb.residual_history) == cheb.n_iter
    # float32's filter is held to a gain of 3e3 (float64's 7e7): its degree
    # is low where the spectrum spans decades
    assert cheb.n_iter <= lobpcg.n_iter / (2 if dtype == np.float64 else 1)


def test_chebyshev_filter_hands_a_stalled_block_to_lobpcg(monkeypatch):
    """A filter that gains nothing (held at degree 1 with a band of the top
    eigenvalue's size: a step of power iteration barely moving the block)
    stalls after one step, and LOBPCG finishes from the block."""
    lam = 1.0 / np.arange(1, 201)
    A, Q = _known_spectrum(lam, seed=5)
    monkeypatch.setattr(linalg, "CHEBYSHEV_MAX_DEGREE", 1)
    handed = []
    lobpcg = linalg._lobpcg

    def spy(*args, **kwargs):
        handed.append(args[1].shape)
        return lobpcg(*args, **kwargs)

    monkeypatch.setattr(linalg, "_lobpcg", spy)
    res = linalg.chebyshev_iteration(A, 4, n_oversamples=2, tol=1e-11, random_state=0)
    assert handed == [(200, 6)]
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:4], rtol=1e-9)
    assert len(res.residual_history) == res.n_iter


def test_chebyshev_filter_on_a_matrix_of_low_rank_and_callbacks():
    """Rank 3, five pairs asked for: the null space's band is empty (a plain
    product); the callback sees every step but the last, and stops it."""
    lam = np.r_[5.0, 4.0, 3.0, np.zeros(197)]  # (at most 128 rows: one step)
    A, Q = _known_spectrum(lam, seed=4)
    states = []
    res = linalg.chebyshev_iteration(
        A, 5, n_oversamples=1, tol=1e-12, random_state=0, callback=states.append
    )
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:5], atol=1e-12)
    assert len(states) == res.n_iter - 1
    stopped = linalg.chebyshev_iteration(
        np.diag(1.0 / np.arange(1, 201)), 3, tol=1e-14, random_state=0,
        callback=lambda state: True,
    )  # fmt: skip
    assert stopped.n_iter == 1 and not stopped.converged


@pytest.mark.parametrize("operator", [np.asarray, sp.csr_matrix])
def test_a_small_matrix_takes_the_whole_space_at_once(monkeypatch, operator):
    # at most WHOLE_SPACE_SIZE rows: the whole space's one exact step, where
    # the filter takes several Rayleigh-Ritz steps to tol; its residuals are
    # those of the wanted pairs, computed
    rng = np.random.default_rng(0)
    C = np.cov(rng.standard_normal((400, 100)), rowvar=False)
    lam = np.linalg.eigvalsh(C)[::-1]
    res = linalg.chebyshev_iteration(C, 10, tol=1e-12, random_state=0)
    with monkeypatch.context() as m:  # the filter alone
        m.setattr(linalg, "WHOLE_SPACE_SIZE", 0)
        alone = linalg.chebyshev_iteration(C, 10, tol=1e-12, random_state=0)
    assert res.n_iter == 1 < alone.n_iter
    for r in (res, alone):
        assert r.converged
        np.testing.assert_allclose(r.eigenvalues, lam[:10], rtol=1e-12)
    whole = power_iteration(operator(C), 10, n_oversamples=90)
    V = whole.eigenvectors
    np.testing.assert_allclose(whole.eigenvalues, lam[:10], rtol=1e-12)
    np.testing.assert_allclose(  # (rounding's: each product sums its own way)
        whole.residuals,
        np.linalg.norm(C @ V - V * whole.eigenvalues, axis=0),
        rtol=0.1,
        atol=1e-14 * lam[0],
    )
    assert whole.residuals.max() <= 1e-13 * lam[0]


def test_acceleration_stops_on_an_invariant_subspace():
    lam = np.r_[5.0, 4.0, 3.0, np.zeros(17)]  # rank 3, five pairs asked for
    A, Q = _known_spectrum(lam, seed=4)
    res = power_iteration(A, 5, n_oversamples=1, tol=1e-12, random_state=0,
                          accelerate=True)  # fmt: skip
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:5], atol=1e-12)
    overlap = np.abs(np.sum(res.eigenvectors[:, :3] * Q[:, :3], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-10)


@pytest.mark.parametrize(
    "solve",
    [
        power_iteration,
        linalg.chebyshev_iteration,
        linalg.block_lanczos,
        deflated_power_iteration,
    ],
)
def test_no_pair_asked_for_is_an_empty_converged_result(solve):
    A, _ = _known_spectrum(np.linspace(1.0, 100.0, 100))
    res = solve(A, 0, random_state=0)
    assert res.converged
    assert res.eigenvalues.shape == (0,)
    assert res.eigenvectors.shape == (100, 0)


def test_power_iteration_accepts_a_matvec():
    lam = np.linspace(1, 20, 30)
    A, _ = _known_spectrum(lam, seed=1)
    op = LinearOperator(A.shape, matvec=lambda v: A @ v, matmat=lambda V: A @ V)
    res = power_iteration(op, 2, tol=1e-10, random_state=0)
    np.testing.assert_allclose(res.eigenvalues, [20.0, lam[-2]], rtol=1e-9)
    assert len(res.residual_history) == res.n_iter


def test_power_iteration_reports_non_convergence():
    lam = np.r_[1.0, 0.999, np.linspace(0.1, 0.5, 20)]
    A, _ = _known_spectrum(lam, seed=2)
    res = power_iteration(A, 1, n_oversamples=0, tol=1e-14, max_iter=5, random_state=0)
    assert not res.converged
    assert res.n_iter == 5


def test_largest_eigenvalue_is_a_safe_upper_estimate():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 30))
    exact = np.linalg.eigvalsh(X.T @ X)[-1]
    est = largest_eigenvalue(X.T @ X)
    assert exact <= est <= exact * 1.01


@pytest.mark.parametrize("shape", [(500, 1000), (2000, 200), (100, 2000)])
def test_largest_eigenvalue_of_a_random_design_in_few_products(shape):
    """The top eigenvalues of a random design's Gram matrix lie close
    together (the Marchenko-Pastur edge): the Krylov space's estimate is
    within 1% of the exact one in at most 20 products (power iteration's
    block of three ran out of 30)."""
    X = np.random.default_rng(0).standard_normal(shape)
    G = X.T @ X / shape[0]
    products = []

    def matmat(V):
        products.append(V.shape[1])
        return G @ V

    op = LinearOperator(G.shape, matvec=lambda v: G @ v, matmat=matmat)
    exact = np.linalg.eigvalsh(G)[-1]
    est = largest_eigenvalue(op)
    assert exact * (1 - 1e-3) <= est <= exact * 1.01
    assert sum(products) <= 20


@pytest.mark.parametrize("sparse", [False, True])
def test_gram_operator_matches_explicit_centered_gram(sparse):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 7)) + 3.0
    s = rng.uniform(0, 1, 50)
    c = s @ X / s.sum()
    Xc = X - c
    expected = Xc.T @ (s[:, None] * Xc)
    op = gram_operator(sp.csr_matrix(X) if sparse else X, s, c)
    np.testing.assert_allclose(op @ np.eye(7), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weights", [None, "uniform", "random"])
@pytest.mark.parametrize("p", [1, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gram_operator_by_cached_row_blocks(monkeypatch, weights, p, dtype):
    # X^T S (X v) a cached block of rows at a time (the blocks 48 rows here,
    # the last one short): the centered Gram matrix's product, in the
    # precision of X and V
    monkeypatch.setattr(_products, "_CACHED_ENTRIES", 48 * 7)
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((101, 7)) + 3.0).astype(dtype)
    s = {None: None, "uniform": np.full(101, 0.5), "random": rng.uniform(0, 1, 101)}[
        weights
    ]
    c = X.mean(axis=0)
    assert _products._fuses(X, p) and not _products._fuses(np.asfortranarray(X), p)
    Xc = X.astype(np.float64) - c
    S = np.ones(101) if s is None else s
    V = rng.standard_normal((7, p)).astype(dtype)
    expected = Xc.T @ (S[:, None] * (Xc @ V))
    out = gram_operator(X, s, c) @ V
    assert out.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(
        out, expected, rtol=rtol, atol=rtol * np.abs(expected).max()
    )


@pytest.mark.parametrize("cores", [2, 3])
def test_gram_operator_on_row_blocks_that_share_the_arrays(monkeypatch, cores):
    # a large CSR X runs on blocks of rows, one per core, that share its
    # arrays: no block is a copy (scipy's constructor copies a view of less
    # than half its array), and the operator is the centered Gram matrix
    monkeypatch.setattr(_products, "_PARALLEL_NNZ", 10)
    monkeypatch.setattr(_products, "n_threads", lambda: cores)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((90, 5)) * (rng.random((90, 5)) < 0.5)
    Xs = sp.csr_matrix(X)
    parts = _products._row_parts(Xs)
    assert len(parts) == cores
    for rows, block in parts:
        assert np.shares_memory(block.data, Xs.data)
        assert np.shares_memory(block.indices, Xs.indices)
        np.testing.assert_array_equal(block.toarray(), X[rows])
    s = rng.uniform(0, 1, 90)
    c = s @ X / s.sum()
    expected = (X - c).T @ (s[:, None] * (X - c))
    op = gram_operator(Xs, s, c)
    assert op.threads == cores
    np.testing.assert_allclose(op @ np.eye(5), expected, rtol=1e-12, atol=1e-12)


@pytest.fixture(params=[1, 3], ids=["one_thread", "three_ranges"])
def threads(request, monkeypatch):
    """Dense Gram passes on one range of rows, or on three (uneven) ranges on
    threads, whatever the size of the problem."""
    monkeypatch.setattr(
        _products, "_dense_threads", lambda n, d, gather=False: request.param
    )
    return request.param


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_gram_matrix_matches_explicit_centered_gram(sparse, weighted, threads):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 6)) * 10 + 1e4  # far from the origin
    s = rng.uniform(0, 1, 300) if weighted else np.ones(300)
    c = s @ X / s.sum()
    Xc = X - c
    expected = Xc.T @ (s[:, None] * Xc)
    G = gram_matrix(
        sp.csr_matrix(X) if sparse else X, s if weighted else None, c, chunk_size=64
    )
    # the dense path centers before multiplying: no cancellation
    rtol = 1e-6 if sparse else 1e-12
    np.testing.assert_allclose(
        G, expected, rtol=rtol, atol=rtol * np.abs(expected).max()
    )


@pytest.mark.parametrize("sparse", [False, True])
def test_gram_matrix_of_some_columns_is_that_of_the_slice(sparse):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 9)) + 5.0
    s = rng.uniform(0, 1, 300)
    cols = np.array([7, 1, 4])
    c = s @ X[:, cols] / s.sum()
    A = sp.csr_matrix(X) if sparse else X
    G = gram_matrix(A, s, c, chunk_size=64, columns=cols)
    expected = gram_matrix(X[:, cols].copy(), s, c)
    np.testing.assert_allclose(G, expected, rtol=1e-10)


@pytest.mark.parametrize("weights", ["uniform", "random", "zero_first_block"])
@pytest.mark.parametrize("chunk_size", [16, 64, 1000])
def test_gram_moments_match_explicit_centering(weights, chunk_size, threads):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 6)) * 10 + 1e5  # far from the origin
    Y = rng.standard_normal((300, 2)) + 50.0
    s = {"uniform": np.full(300, 0.5), "random": rng.uniform(0, 1, 300)}.get(
        weights, np.r_[np.zeros(64), rng.uniform(0, 1, 236)]
    )
    mean, G, Q = gram_moments(X, s, Y, chunk_size=chunk_size)
    m = s @ X / s.sum()
    Xc = X - m
    np.testing.assert_allclose(mean, m, rtol=1e-14)
    Yc = Y - s @ Y / s.sum()
    expected_G, expected_Q = Xc.T @ (s[:, None] * Xc), Xc.T @ (s[:, None] * Yc)
    np.testing.assert_allclose(
        G, expected_G, rtol=1e-10, atol=1e-10 * np.abs(expected_G).max()
    )
    np.testing.assert_allclose(
        Q, expected_Q, rtol=1e-10, atol=1e-10 * np.abs(expected_Q).max()
    )


@pytest.mark.parametrize("k", [1, 4])
def test_deflation_recovers_known_eigenpairs(k):
    lam = np.array([10.0, 7.0, 5.0, 3.0, 2.0, 1.0, 0.5, 0.1])
    A, Q = _known_spectrum(lam, seed=3)
    res = deflated_power_iteration(A, k, tol=1e-13, random_state=0)
    assert res.converged and len(res.residual_history) == k
    np.testing.assert_allclose(res.eigenvalues, lam[:k], rtol=1e-12)
    overlap = np.abs(np.sum(res.eigenvectors * Q[:, :k], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-10)
    # each component converges at the rate lambda_{i+1} / lambda_i
    first = res.residual_history[0]
    rate = np.median(first[1:20] / first[:19])
    assert rate == pytest.approx(lam[1] / lam[0], rel=0.05)


def test_deflation_and_block_agree_on_a_matvec():
    lam = np.linspace(1, 20, 30)
    A, _ = _known_spectrum(lam, seed=4)
    op = LinearOperator(A.shape, matvec=lambda v: A @ v, matmat=lambda V: A @ V)
    block = power_iteration(op, 3, tol=1e-12, random_state=0)
    defl = deflated_power_iteration(op, 3, tol=1e-12, max_iter=5000, random_state=0)
    np.testing.assert_allclose(defl.eigenvalues, block.eigenvalues, rtol=1e-10)
    overlap = np.abs(np.sum(defl.eigenvectors * block.eigenvectors, axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-8)


def test_deflation_reports_non_convergence():
    lam = np.r_[1.0, 0.999, np.linspace(0.1, 0.5, 20)]
    A, _ = _known_spectrum(lam, seed=2)
    res = deflated_power_iteration(A, 1, tol=1e-14, max_iter=5, random_state=0)
    assert not res.converged and res.n_iter == 5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_column_moments_are_the_mean_and_the_centered_squares(dtype):
    """One shifted pass gives the mean and the squares about it, without the
    cancellation of sum(x^2) - n m^2 far from the origin (float32 data are
    summed in float64: its column of spread 1e-3 at 1e6 is constant)."""
    rng = np.random.default_rng(4)
    X = (rng.standard_normal((70_000, 3)) * [1.0, 1e-3, 50.0] + 1e6).astype(dtype)
    mean, squares = column_moments(X)
    X64 = X.astype(np.float64)
    exact_mean = X64.mean(axis=0)
    expected = ((X64 - exact_mean) ** 2).sum(axis=0)
    assert mean.dtype == dtype
    rtol = 1e-14 if dtype == np.float64 else 2 * np.finfo(np.float32).eps
    np.testing.assert_allclose(mean, exact_mean, rtol=rtol)
    np.testing.assert_allclose(squares, expected, rtol=1e-9, atol=1e-9 * expected.max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weighted_column_moments_are_the_weighted_mean_and_squares(dtype):
    """With weights (some zero, the first block's all zero: the shift then
    comes from the plain mean), on enough rows to be split over threads."""
    rng = np.random.default_rng(5)
    n = _products._PARALLEL_ENTRIES // 3 + 11
    X = (rng.standard_normal((n, 3)) * [1.0, 1e-2, 50.0] + 1e4).astype(dtype)
    s = rng.uniform(size=n) * (rng.uniform(size=n) < 0.7)
    s[: linalg.row_blocks(n, 3).__next__().stop] = 0.0
    mean, squares = column_moments(X, s)
    X64 = X.astype(np.float64)
    exact_mean = s @ X64 / s.sum()
    expected = s @ (X64 - exact_mean) ** 2
    assert mean.dtype == dtype
    rtol = 1e-13 if dtype == np.float64 else 2 * np.finfo(np.float32).eps
    np.testing.assert_allclose(mean, exact_mean, rtol=rtol)
    np.testing.assert_allclose(squares, expected, rtol=1e-9)


def _spd(n, seed, decay=0.7):
    """A symmetric positive definite matrix of known eigenpairs."""
    rng = np.random.default_rng(seed)
    Q = ortho_group.rvs(n, random_state=rng)
    values = decay ** np.arange(n) * 10.0
    return (Q * values) @ Q.T, values


@pytest.mark.parametrize("n, k, oversamples", [(4, 2, 10), (13, 2, 3), (30, 3, 10)])
def test_accelerated_block_spanning_the_space_takes_one_exact_step(n, k, oversamples):
    """Where LOBPCG's basis (the block, its residuals, the last step: three
    blocks) would span the space, the block is the whole space: one
    Rayleigh-Ritz step, the eigenpairs to rounding; a smaller block than a
    third of the space iterates."""
    A, values = _spd(n, seed=n)
    res = power_iteration(
        A, k, n_oversamples=oversamples, accelerate=True, tol=1e-12, random_state=0
    )
    assert res.converged and res.n_iter == 1
    np.testing.assert_allclose(res.eigenvalues, values[:k], rtol=1e-12)
    V = res.eigenvectors
    np.testing.assert_allclose(A @ V, V * res.eigenvalues, atol=1e-12 * values[0])
    big, big_values = _spd(3 * (k + oversamples) + 1, seed=n, decay=0.9)
    more = power_iteration(
        big, k, n_oversamples=oversamples, accelerate=True, tol=1e-10, random_state=0
    )
    assert more.converged and more.n_iter > 1
    np.testing.assert_allclose(more.eigenvalues, big_values[:k], rtol=1e-9)


@pytest.mark.parametrize(
    "n, k, block", [(13, 2, 12), (10, 1, 7), (30, 2, 12), (5, 3, 4)]
)
def test_block_lanczos_exhausting_the_space_is_exact(n, k, block):
    """A block so large beside the space that the next one does not fit:
    the space's last directions complete the basis, whose Rayleigh-Ritz
    step is exact (it restarted from one Ritz vector and stopped
    unconverged, 0.1-4 off, before)."""
    A, values = _spd(n, seed=n + block)
    res = linalg.block_lanczos(A, k, block_size=block, tol=1e-12, random_state=0)
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, values[:k], rtol=1e-12)
