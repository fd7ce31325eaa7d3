"""Block Lanczos on matrices with known spectra, against eigh and power iteration."""

import multiprocessing
import os

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from scipy.stats import ortho_group

from sklearn_foundations.linalg import (
    EigenState,
    block_lanczos,
    gram_operator,
    power_iteration,
)


def _known_spectrum(eigenvalues, seed=0):
    Q = ortho_group.rvs(len(eigenvalues), random_state=seed)
    return Q @ np.diag(eigenvalues) @ Q.T, Q


def _sines(V, W):
    """Largest principal-angle sine between two orthonormal bases."""
    return np.linalg.svd(W - V @ (V.T @ W), compute_uv=False).max()


@pytest.mark.parametrize("block_size", [1, 3])
@pytest.mark.parametrize("max_basis", [None, 14])  # 14: restarts many times
@pytest.mark.parametrize("k", [1, 5])
def test_recovers_known_eigenpairs(k, block_size, max_basis):
    lam = 1.0 / np.arange(1, 121)  # slowly decaying: many Krylov steps
    A, Q = _known_spectrum(lam, seed=1)
    res = block_lanczos(A, k, block_size=block_size, max_basis=max_basis,
                        tol=1e-12, random_state=0)  # fmt: skip
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:k], rtol=1e-10)
    assert _sines(res.eigenvectors, Q[:, :k]) < 1e-9
    # the reported residuals are the explicit ones, within the tolerance
    V, theta = res.eigenvectors, res.eigenvalues
    explicit = np.linalg.norm(A @ V - V * theta, axis=0)
    np.testing.assert_allclose(res.residuals, explicit, atol=1e-15)
    assert np.all(explicit <= 1e-12 * lam[0] * 1.01)
    np.testing.assert_allclose(V.T @ V, np.eye(k), atol=1e-13)
    assert len(res.residual_history) == res.n_iter


def test_fewer_vector_products_than_block_power_iteration():
    lam = 1.0 / np.arange(1, 401)
    A, Q = _known_spectrum(lam, seed=2)
    lanczos = block_lanczos(A, 6, block_size=1, tol=1e-10, random_state=0)
    lobpcg = power_iteration(A, 6, n_oversamples=4, tol=1e-10, accelerate=True,
                             random_state=0)  # fmt: skip
    assert lanczos.converged and lobpcg.converged
    np.testing.assert_allclose(lanczos.eigenvalues, lobpcg.eigenvalues, rtol=1e-9)
    assert _sines(lanczos.eigenvectors, lobpcg.eigenvectors) < 1e-7
    # lobpcg multiplies 10 vectors first, then up to 6 per iteration
    assert lanczos.n_iter < 10 + 6 * (lobpcg.n_iter - 1)


def test_a_block_finds_a_repeated_eigenvalue():
    """An eigenvalue repeated three times is found three times by blocks of
    three vectors (a single vector sees one direction of the eigenspace)."""
    lam = np.r_[4.0, 2.0, 2.0, 2.0, np.linspace(1.0, 0.1, 46)]
    A, Q = _known_spectrum(lam, seed=3)
    res = block_lanczos(A, 4, block_size=3, tol=1e-12, random_state=0)
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:4], rtol=1e-11)
    assert _sines(res.eigenvectors, Q[:, :4]) < 1e-9


def test_stops_on_an_invariant_subspace():
    lam = np.r_[5.0, 4.0, 3.0, np.zeros(37)]  # rank 3, five pairs asked for
    A, Q = _known_spectrum(lam, seed=4)
    res = block_lanczos(A, 5, block_size=2, tol=1e-14, random_state=0)
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, lam[:5], atol=1e-12)
    assert _sines(res.eigenvectors[:, :3], Q[:, :3]) < 1e-10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_the_dtype(dtype):
    lam = np.linspace(10.0, 1.0, 60)
    A, Q = _known_spectrum(lam, seed=5)
    tol = 1e-5 if dtype == np.float32 else 1e-11
    res = block_lanczos(A.astype(dtype), 3, tol=tol, dtype=dtype, random_state=0)
    assert res.converged and res.eigenvectors.dtype == dtype
    np.testing.assert_allclose(res.eigenvalues, lam[:3], rtol=10 * tol)


def test_a_matvec_and_a_sparse_centered_operator():
    """The operator X_c^T X_c of a sparse X (applied by row blocks on threads
    when large) has the eigenpairs of the dense centered matrix."""
    X = sp.random(120_000, 40, density=0.05, format="csr", random_state=0)
    X.data += 1.0
    mean = np.asarray(X.mean(axis=0)).ravel()
    op = gram_operator(X, center=mean)
    assert op.threads >= 1
    Xc = X.toarray() - mean
    lam, W = np.linalg.eigh(Xc.T @ Xc)
    res = block_lanczos(op, 3, tol=1e-12, random_state=0)
    np.testing.assert_allclose(res.eigenvalues, lam[::-1][:3], rtol=1e-11)
    assert _sines(res.eigenvectors, W[:, ::-1][:, :3]) < 1e-8
    matvec = LinearOperator(op.shape, matvec=lambda v: op @ v)
    again = block_lanczos(matvec, 3, tol=1e-12, random_state=0)
    np.testing.assert_allclose(again.eigenvalues, res.eigenvalues, rtol=1e-12)


def test_callback_sees_the_pairs_and_stops():
    lam = 1.0 / np.arange(1, 81)
    A, _ = _known_spectrum(lam, seed=6)
    states = []
    res = block_lanczos(A, 2, block_size=1, tol=1e-14, random_state=0,
                        callback=lambda s: states.append(s) or len(states) == 4)  # fmt: skip
    # the first product gives one Ritz pair of the two: no state yet
    assert not res.converged and res.n_iter == 5 and len(states) == 4
    assert isinstance(states[-1], EigenState) and states[-1].eigenvectors.shape == (
        80,
        2,
    )
    np.testing.assert_allclose(states[-1].eigenvalues, res.eigenvalues)


def test_reports_non_convergence():
    lam = np.r_[1.0, 0.9999, np.linspace(0.1, 0.5, 200)]
    A, _ = _known_spectrum(lam, seed=7)
    res = block_lanczos(A, 1, tol=1e-14, max_iter=3, random_state=0)
    assert not res.converged and res.n_iter == 3


def _fit_in_child(X):
    mean = np.asarray(X.mean(axis=0)).ravel()
    return block_lanczos(
        gram_operator(X, center=mean), 2, tol=1e-10, random_state=0
    ).eigenvalues


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_threaded_operator_works_in_a_forked_process():
    """The row blocks run on a process-wide thread pool; a forked child has
    none of its threads and must make its own, not wait on them forever."""
    X = sp.random(120_000, 20, density=0.05, format="csr", random_state=1)
    parent = _fit_in_child(X)  # the pool exists before the fork
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_fit_in_child, (X,)).get(timeout=60)
    np.testing.assert_allclose(child, parent, rtol=1e-12)


@pytest.mark.parametrize("block_size", [1, 2])
def test_low_rank_goes_on_in_fresh_directions(block_size):
    """Rank 3 of 40, every pair asked for: the Krylov space of one vector is
    invariant after 4 products; fresh directions give the zero eigenvalues."""
    lam = np.r_[5.0, 4.0, 3.0, np.zeros(37)]
    A, Q = _known_spectrum(lam, seed=8)
    res = block_lanczos(A, 40, block_size=block_size, tol=1e-12, random_state=0)
    assert res.converged and res.eigenvalues.shape == (40,)
    np.testing.assert_allclose(res.eigenvalues, lam, atol=1e-12)
    np.testing.assert_allclose(
        res.eigenvectors.T @ res.eigenvectors, np.eye(40), atol=1e-12
    )
    assert _sines(res.eigenvectors[:, :3], Q[:, :3]) < 1e-10


def test_max_iter_counts_from_the_last_pair_asked_for():
    lam = 1.0 / np.arange(1, 51)
    A, _ = _known_spectrum(lam, seed=9)
    res = block_lanczos(A, 5, block_size=1, tol=1e-15, max_iter=2, random_state=0)
    assert not res.converged and res.eigenvalues.shape == (5,) and res.n_iter == 5
