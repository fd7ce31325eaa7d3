"""Eigenvalues by power iteration on a symmetric operator: a matrix or a matvec.

Power iteration is the linear-algebra method one can follow by hand: multiply a
vector by the matrix, normalize, repeat; the vector turns towards the eigenvector
of the largest eigenvalue. The block form (subspace iteration) does the same with
``p`` vectors at once, keeps them orthonormal with a QR step, and reads the
eigenpairs off the small ``p x p`` projected problem (Rayleigh-Ritz). Its
accelerated form adds the residuals and the previous step to the projected
problem (LOBPCG): power iteration with momentum.

The operator is never formed here: anything :func:`scipy.sparse.linalg.aslinearoperator`
accepts works (a dense array, a sparse matrix, a ``LinearOperator`` built from a
matvec), so ``X^T X`` of a wide or sparse ``X`` is applied as ``X^T (X v)``.
This module imports only numpy and scipy (and the package's thread pool).
"""

from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from ._parallel import blas_on_one_thread, held, map_row_ranges, n_threads, pool

__all__ = [
    "EigenState",
    "EigenResult",
    "block_lanczos",
    "centered_column_blocks",
    "chebyshev_iteration",
    "column_moments",
    "column_squares",
    "deflated_power_iteration",
    "gram_matrix",
    "gram_moments",
    "gram_operator",
    "kernel_matrix",
    "largest_eigenvalue",
    "matmul_rows",
    "power_iteration",
    "rmatmul_rows",
    "row_blocks",
]


@dataclass
class EigenResult:
    """Result record of :func:`power_iteration`.

    Attributes
    ----------
    eigenvalues : ndarray of shape (k,)
        Ritz values, largest first.
    eigenvectors : ndarray of shape (n, k)
        Orthonormal Ritz vectors, one per column.
    residuals : ndarray of shape (k,)
        ``||A v - lambda v||`` for each pair.
    n_iter : int
        Number of products with the operator block.
    converged : bool
        Whether every residual is at most ``tol * |lambda_1|``.
    residual_history : list of ndarray
        The residuals after each iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import power_iteration
    >>> res = power_iteration(np.diag([3.0, 2.0, 1.0]), 1, random_state=0)
    >>> res.eigenvalues.round(10), res.converged
    (array([3.]), True)
    >>> abs(res.eigenvectors[:, 0]).round(6)
    array([1., 0., 0.])
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray
    n_iter: int
    converged: bool
    residual_history: list = field(default_factory=list)


def _rayleigh_ritz(V, AV):
    """Eigenpairs of the operator restricted to ``span(V)``, largest first."""
    H = V.T @ AV
    theta, S = np.linalg.eigh((H + H.T) / 2)  # small p x p problem
    order = np.argsort(theta)[::-1]
    theta, S = theta[order], S[:, order]
    return theta, V @ S, AV @ S


def power_iteration(
    A,
    n_components=1,
    *,
    n_oversamples=2,
    tol=1e-8,
    max_iter=1000,
    random_state=None,
    dtype=np.float64,
    accelerate=False,
    callback=None,
):
    r"""Largest eigenpairs of a symmetric positive semi-definite operator.

    Block power iteration with Rayleigh-Ritz: starting from a random orthonormal
    block :math:`V_0` of ``p = n_components + n_oversamples`` columns,

    .. math::

        V_{t+1} R_{t+1} = A V_t \quad (\text{QR}), \qquad
        H_t = V_t^\top A V_t = S \Theta S^\top,

    and the Ritz pairs :math:`(\theta_j, V_t s_j)` approach the eigenpairs of
    :math:`A` at the rate :math:`(\lambda_{p+1} / \lambda_j)^t`. Iteration stops
    when every wanted pair has :math:`\|A v_j - \theta_j v_j\| \le
    \mathrm{tol} \cdot \theta_1`.

    With ``accelerate=True`` the Rayleigh-Ritz step looks further than
    :math:`A V_t`: it searches the span of the Ritz vectors, their residuals
    :math:`R_t = A V_t - V_t \Theta_t` and the previous step :math:`P_t`,

    .. math::

        V_{t+1} = \text{top } p \text{ Ritz vectors of }
        \operatorname{span}[V_t, R_t, P_t], \qquad
        P_{t+1} = \text{the part of } V_{t+1} \text{ outside } V_t,

    power iteration with momentum (LOBPCG, the locally optimal block
    conjugate gradient method of Knyazev, without preconditioner). It costs
    one product with :math:`R_t` per iteration, like the plain method, and
    converges at about the square root of its rate. Where those three blocks
    would span the space (:math:`3p \ge n`), the block is the whole space:
    one Rayleigh-Ritz step, exact to rounding (breast_cancer's 30 features
    at ``p = 12``: 9 LOBPCG steps and 0.8 ms of numpy's small calls before). The basis is kept
    orthonormal with coefficients that are themselves orthonormal, so the
    images :math:`A [V, P]` are updated without a product and without
    amplifying rounding errors.

    Parameters
    ----------
    A : array-like, sparse matrix or LinearOperator of shape (n, n)
        Symmetric positive semi-definite operator.
    n_components : int, default=1
        Number of eigenpairs wanted.
    n_oversamples : int, default=2
        Extra vectors in the block; they speed up convergence when
        eigenvalues are close.
    tol : float, default=1e-8
        Relative residual tolerance.
    max_iter : int, default=1000
        Maximum number of block products.
    random_state : int, RandomState instance or None, default=None
        Seed of the starting block.
    dtype : dtype, default=np.float64
        Floating dtype of the iteration.
    accelerate : bool, default=False
        Search the span of the Ritz vectors, residuals and previous step
        (LOBPCG) instead of that of :math:`A V_t`.
    callback : callable or None, default=None
        Called after every block product with an :class:`EigenState` (the
        iteration, the wanted Ritz pairs and their residuals); returning True
        stops the iteration.

    Returns
    -------
    result : EigenResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import power_iteration
    >>> A = np.diag([5.0, 2.0, 1.0])
    >>> res = power_iteration(A, n_components=2, random_state=0)
    >>> res.eigenvalues
    array([5., 2.])
    """
    op = aslinearoperator(A)
    n = op.shape[0]
    p = min(n, n_components + n_oversamples)
    if accelerate and 3 * p >= n:  # the block, its residuals and the last step
        p = n  # would span the space: the whole space at once, one exact step
    rng = np.random.default_rng(_seed(random_state))
    V, _ = np.linalg.qr(rng.standard_normal((n, p)).astype(dtype, copy=False))
    if accelerate and p < n:
        return _lobpcg(op, V, n_components, tol, max_iter, dtype, callback)
    history = []
    theta = np.zeros(p, dtype=dtype)
    residuals = np.full(p, np.inf)
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        AV = np.asarray(op.matmat(V), dtype=dtype)
        theta, V, AV = _rayleigh_ritz(V, AV)
        residuals = np.linalg.norm(AV - V * theta, axis=0)
        history.append(residuals[:n_components])
        scale = max(abs(theta[0]), np.finfo(dtype).tiny)
        if np.all(residuals[:n_components] <= tol * scale) or p == n:
            converged = True
            break
        if _notify(callback, n_iter, theta, V, residuals, n_components):
            break
        V, _ = np.linalg.qr(AV)
    k = min(n_components, p)
    return EigenResult(
        eigenvalues=theta[:k],
        eigenvectors=V[:, :k],
        residuals=residuals[:k],
        n_iter=n_iter,
        converged=converged,
        residual_history=history,
    )


# a Chebyshev filter's degree is held to at most this, and to a gain of the
# top eigenvalue over the damped band of at most eps**-0.5 (1e8 in float64,
# 3e3 in float32): the filtered block keeps the smaller wanted directions'
# digits beside the largest
CHEBYSHEV_MAX_DEGREE = 30


def chebyshev_iteration(
    A, n_components=1, *, n_oversamples=2, tol=1e-8, max_iter=1000,
    random_state=None, dtype=np.float64, callback=None,
):  # fmt: skip
    r"""Largest eigenpairs of a symmetric PSD matrix by subspace iteration
    with a Chebyshev filter between Rayleigh-Ritz steps.

    Power iteration multiplies the block by :math:`A` once per Rayleigh-Ritz
    step; here each step applies a polynomial :math:`T_m(\frac{2A}{b} - I)`
    (:math:`T_m` the Chebyshev polynomial of degree :math:`m`, by its
    three-term recurrence, :math:`m` products), which stays within
    :math:`[-1, 1]` on the band :math:`[0, b]` of the eigenvalues below the
    block (:math:`b` the block's smallest Ritz value) and grows fastest of all
    polynomials of its degree above it: an eigenvalue :math:`\lambda > b`
    gains :math:`T_m(2\lambda/b - 1) \approx e^{2m\sqrt{\lambda/b - 1}}`, where
    :math:`A^m` gives :math:`(\lambda/b)^m` (Zhou and Saad, 2007). The
    degree is the largest whose gain at the top eigenvalue stays within
    ``eps**-0.5`` (and at most ``CHEBYSHEV_MAX_DEGREE``). Where the products
    are cheap beside the Rayleigh-Ritz steps (an explicit covariance of a
    few hundred features) the steps are few: 4-5 Rayleigh-Ritz steps to a
    relative residual of 1e-12 on digits' covariance, where LOBPCG takes
    11-14.

    It stops when every wanted pair has :math:`\|A v_j - \theta_j v_j\| \le
    \mathrm{tol} \cdot \theta_1`, as :func:`power_iteration` does; where a
    step does not halve the largest wanted residual, LOBPCG
    (``power_iteration(accelerate=True)``) goes on from the block.
    ``max_iter`` counts Rayleigh-Ritz steps (``n_iter`` of the result), and
    ``callback`` is called after each that has not converged. A block of at
    least a third of the matrix's size is :func:`power_iteration`'s alone
    (``accelerate=True``), whose block is then the whole space: one exact
    step, where a filter only meets ``tol``.

    Parameters
    ----------
    A : ndarray of shape (n, n)
        Symmetric positive semi-definite matrix.
    n_components, n_oversamples, tol, max_iter, random_state, dtype, callback
        As in :func:`power_iteration`.

    Returns
    -------
    result : EigenResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import chebyshev_iteration
    >>> A = np.diag(np.arange(1.0, 101.0))
    >>> res = chebyshev_iteration(A, 2, tol=1e-12, random_state=0)
    >>> res.eigenvalues.round(10), res.converged
    (array([100.,  99.]), True)
    """
    A = np.asarray(A, dtype=dtype)
    n = A.shape[0]
    k, p = min(n_components, n), min(n, n_components + n_oversamples)
    if 3 * p >= n:  # the whole space at once (see power_iteration)
        return power_iteration(
            A, n_components, n_oversamples=n_oversamples, tol=tol, max_iter=max_iter,
            random_state=random_state, dtype=dtype, accelerate=True, callback=callback,
        )  # fmt: skip
    rng = np.random.default_rng(_seed(random_state))
    V, _ = np.linalg.qr(rng.standard_normal((n, p)).astype(dtype, copy=False))
    theta, V, AV = _rayleigh_ritz(V, A @ V)
    gain = np.finfo(dtype).eps ** -0.5
    history, n_iter, converged, last = [], 1, False, np.inf
    while True:
        residuals = np.linalg.norm(AV - V * theta, axis=0)
        history.append(residuals[:k])
        worst = residuals[:k].max()
        if worst <= tol * max(abs(theta[0]), np.finfo(dtype).tiny):
            converged = True
            break
        if n_iter >= max_iter or _notify(callback, n_iter, theta, V, residuals, k):
            break
        if worst > 0.5 * last:  # the filter stalls: LOBPCG goes on
            rest = _lobpcg(
                aslinearoperator(A), V, k, tol, max_iter - n_iter, dtype, callback
            )
            return replace(
                rest, n_iter=n_iter + rest.n_iter,
                residual_history=history + rest.residual_history,
            )  # fmt: skip
        last = worst
        V, _ = np.linalg.qr(
            _chebyshev_filter(A, V, theta[-1], theta[0] + residuals[0], gain)
        )
        theta, V, AV = _rayleigh_ritz(V, A @ V)
        n_iter += 1
    return EigenResult(theta[:k], V[:, :k], residuals[:k], n_iter, converged, history)


def _chebyshev_filter(A, V, b, top, gain):
    r""":math:`T_m(\frac{2A}{b} - I) V`, damping the band :math:`[0, b]`, of
    the largest degree :math:`m` whose value at ``top`` (an estimate of the
    largest eigenvalue) is at most ``gain``; :math:`A V` where the band is
    empty (:math:`b \le 0`: a null space within the block)."""
    if not b > 0:
        return A @ V
    x = 2.0 * top / b - 1.0
    m = int(np.arccosh(gain) / np.arccosh(x)) if x > 1.0 else 1  # else: no gap
    m = min(max(m, 1), CHEBYSHEV_MAX_DEGREE)
    Y_prev, Y = V, (2.0 / b) * (A @ V) - V
    for _ in range(m - 1):
        Y_prev, Y = Y, (4.0 / b) * (A @ Y) - 2.0 * Y - Y_prev
    return Y


def _notify(callback, iteration, theta, V, residuals, k):
    """Tell ``callback`` the wanted Ritz pairs; whether it asks to stop."""
    if callback is None:
        return False
    return bool(callback(EigenState(iteration, theta[:k], V[:, :k], residuals[:k])))


@dataclass(frozen=True)
class EigenState:
    r"""What an eigen-solver tells ``callback`` after each iteration.

    Attributes
    ----------
    iteration : int
    eigenvalues : ndarray of shape (k,)
        The current Ritz values, largest first.
    eigenvectors : ndarray of shape (n, k)
    residuals : ndarray of shape (k,)
        :math:`\|A v_j - \theta_j v_j\|`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import power_iteration
    >>> states = []
    >>> res = power_iteration(np.diag([4.0, 1.0, 0.5]), 1, n_oversamples=0,
    ...                       random_state=0, callback=states.append)
    >>> len(states) == res.n_iter - 1, states[-1].eigenvalues.round(6)
    (True, array([4.]))
    """

    iteration: int
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray


def _lobpcg(op, V, k, tol, max_iter, dtype, callback=None):
    """The accelerated loop of :func:`power_iteration`: Rayleigh-Ritz over
    the orthonormal basis :math:`Q = [V, W, P]`, ``W`` the residuals of the
    wanted pairs not yet converged, made orthonormal to ``V`` and ``P``, with
    :math:`A Q` kept alongside (one product, with ``W``, per iteration)."""
    p = V.shape[1]
    theta, V, AV = _rayleigh_ritz(V, np.asarray(op.matmat(V), dtype=dtype))
    P = AP = np.zeros((V.shape[0], 0), dtype=dtype)
    history, n_iter, converged = [], 1, False
    while True:
        R = AV - V * theta
        residuals = np.linalg.norm(R, axis=0)
        history.append(residuals[:k])
        threshold = tol * max(abs(theta[0]), np.finfo(dtype).tiny)
        if np.all(residuals[:k] <= threshold):
            converged = True
            break
        if n_iter >= max_iter or _notify(callback, n_iter, theta, V, residuals, k):
            break
        active = np.flatnonzero(residuals[:k] > threshold)  # the extra vectors
        W = _orthonormal_complement(R[:, active], np.hstack([V, P]))  # ride along
        if W.shape[1] == 0:  # the residuals lie in the basis: invariant subspace
            converged = True
            break
        AW = np.asarray(op.matmat(W), dtype=dtype)
        n_iter += 1
        Q, AQ = np.hstack([V, W, P]), np.hstack([AV, AW, AP])
        H = Q.T @ AQ
        theta_all, S = np.linalg.eigh((H + H.T) / 2)
        order = np.argsort(theta_all)[::-1]
        theta, S = theta_all[order[:p]], S[:, order]
        C, rest = S[:, :p], S[:, p:]
        # the new step: the part of C outside span(V), written in the basis of
        # the eigenvectors not kept, so that it is orthonormal and orthogonal
        # to the new V by construction
        outside = rest.T @ np.vstack([np.zeros((p, p), dtype=dtype), C[p:]])
        e, U = np.linalg.eigh(outside @ outside.T)  # its range, small and exact
        D = rest @ U[:, e > np.finfo(dtype).eps * e.max(initial=0.0)]
        V, AV, P, AP = Q @ C, AQ @ C, Q @ D, AQ @ D
    return EigenResult(
        eigenvalues=theta[:k],
        eigenvectors=V[:, :k],
        residuals=residuals[:k],
        n_iter=n_iter,
        converged=converged,
        residual_history=history,
    )


def _orthonormal_complement(W, basis, cutoff=1e-10):
    """Columns spanning the part of ``span(W)`` orthogonal to the orthonormal
    ``basis``, themselves orthonormal: projection and a Gram-matrix
    orthonormalization, twice (twice is enough), dropping directions whose
    squared length falls below ``cutoff`` of the largest."""
    norms = np.linalg.norm(W, axis=0)
    W = W[:, norms > 0] / norms[norms > 0]
    for _ in range(2):
        W = W - basis @ (basis.T @ W)
        e, U = np.linalg.eigh(W.T @ W)
        keep = e > cutoff * max(e.max(initial=0.0), np.finfo(W.dtype).tiny)
        W = W @ (U[:, keep] / np.sqrt(e[keep]))
    return W


def block_lanczos(
    A, n_components=1, *, block_size=None, max_basis=None, tol=1e-8,
    max_iter=1000, random_state=None, dtype=np.float64, callback=None,
):  # fmt: skip
    r"""Largest eigenpairs of a symmetric operator from a block Krylov space.

    Power iteration keeps only the last block :math:`A^t V_0`; the Krylov
    space keeps every block it has seen,

    .. math::

        \mathcal{K}_t = \operatorname{span}[V_0, A V_0, \dots, A^{t-1} V_0],
        \qquad
        H_t = Q_t^\top A Q_t = S \Theta S^\top,

    with :math:`Q_t` an orthonormal basis of :math:`\mathcal{K}_t` (each new
    block :math:`A Q_{\text{last}}` is orthogonalized against all of
    :math:`Q_t`, twice: full reorthogonalization), and reads the Ritz pairs
    :math:`(\theta_j, Q_t s_j)` off :math:`H_t` (Rayleigh-Ritz). A polynomial
    of degree :math:`t` in :math:`A` is a better filter than :math:`A^t`
    alone: the error falls with the Chebyshev rate :math:`e^{-2t
    \sqrt{\gamma}}`, :math:`\gamma = \lambda_k / \lambda_{b+1} - 1`, where
    power iteration has :math:`(\lambda_{b+1} / \lambda_k)^t` (block Lanczos).
    The images :math:`A Q_t` are kept beside the basis, so :math:`H_t` and the
    residuals :math:`\|A v_j - \theta_j v_j\|` cost no product. When the
    basis would pass ``max_basis`` columns it restarts from its best Ritz
    vectors (thick restart): the residuals of the Ritz vectors lie in the
    span of the next block, so the space stays a Krylov space.

    Iteration stops when every wanted pair has :math:`\|A v_j - \theta_j
    v_j\| \le \mathrm{tol} \cdot \theta_1`, as in :func:`power_iteration`.
    Where the space becomes invariant before it holds ``n_components``
    vectors (an operator of low rank), it goes on from a fresh random
    direction orthogonal to it; ``max_iter`` and ``callback`` count from
    the product that gives the last Ritz pair asked for.

    Parameters
    ----------
    A : array-like, sparse matrix or LinearOperator of shape (n, n)
        Symmetric positive semi-definite operator.
    n_components : int, default=1
        Number of eigenpairs wanted.
    block_size : int or None, default=None
        Columns of each product; None means ``n_components + 2``.
    max_basis : int or None, default=None
        Largest basis kept before a restart; None means ``max(3 *
        n_components, 20) + 2 * block_size`` (at least ``n_components + 2 *
        block_size``).
    tol : float, default=1e-8
        Relative residual tolerance.
    max_iter : int, default=1000
        Maximum number of block products.
    random_state : int, RandomState instance or None, default=None
        Seed of the starting block.
    dtype : dtype, default=np.float64
        Floating dtype of the iteration.
    callback : callable or None, default=None
        As in :func:`power_iteration`.

    Returns
    -------
    result : EigenResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import block_lanczos
    >>> A = np.diag(np.arange(1.0, 101.0))
    >>> res = block_lanczos(A, 2, block_size=2, random_state=0, tol=1e-10)
    >>> res.eigenvalues.round(8), res.converged
    (array([100.,  99.]), True)
    """
    op = aslinearoperator(A)
    n = op.shape[0]
    k = min(n_components, n)
    b = min(n, block_size or n_components + 2)
    m_max = min(n, max(max_basis or max(3 * k, 20) + 2 * b, k + 2 * b))
    rng = np.random.default_rng(_seed(random_state))
    block, _ = np.linalg.qr(rng.standard_normal((n, b)).astype(dtype, copy=False))
    # Fortran order: the first m columns, Q[:, :m], are one contiguous block
    Q, AQ = (np.empty((n, m_max), dtype=dtype, order="F") for _ in range(2))
    H = np.zeros((m_max, m_max), dtype=dtype)
    history, n_iter, m, converged = [], 0, 0, False
    while True:
        image = np.asarray(op.matmat(block), dtype=dtype)
        n_iter += 1
        new = slice(m, m + block.shape[1])
        C = Q[:, :m].T @ image  # the new block's column of H
        D = block.T @ image
        H[:m, new], H[new, :m], H[new, new] = C, C.T, (D + D.T) / 2
        Q[:, new], AQ[:, new], m = block, image, new.stop
        theta, S = np.linalg.eigh(H[:m, :m])
        theta, S = theta[::-1], S[:, ::-1]
        # A Q = Q H + F E^T, F = (I - Q Q^T) A B: the residual of the Ritz
        # pair (theta_j, Q s_j) is F times the new block's rows of s_j
        block, R = _next_block(image, Q[:, :m], np.vstack([C, D]))
        residuals = np.linalg.norm(R @ S[new, :k], axis=0)
        history.append(residuals)
        threshold = tol * max(abs(theta[0]), np.finfo(dtype).tiny)
        enough = m >= k  # a Ritz pair for every component asked for
        if (enough and np.all(residuals <= threshold)) or m == n:
            converged = True
            break
        if enough and (
            n_iter >= max_iter
            or _notify(callback, n_iter, theta, Q[:, :m] @ S[:, :k], residuals, k)
        ):
            break
        if block.shape[1] < b:  # part of the space is invariant (a rank below n):
            fresh = rng.standard_normal((n, b - block.shape[1])).astype(dtype)
            fresh = _orthonormal_complement(fresh, np.hstack([Q[:, :m], block]))
            block = np.hstack([block, fresh])  # go on in a fresh direction
        if m_max == n and m + block.shape[1] > n:  # the space's last directions:
            block = block[:, : n - m]  # they span its rest, and the next is exact
        if m + block.shape[1] > m_max:  # thick restart from the best Ritz vectors
            keep = S[:, : m_max - block.shape[1]]
            m = keep.shape[1]
            Q[:, :m], AQ[:, :m] = Q[:, : len(keep)] @ keep, AQ[:, : len(keep)] @ keep
            H[:m, :m] = np.diag(theta[:m])
    V = Q[:, :m] @ S[:, :k]
    residuals = np.linalg.norm(AQ[:, :m] @ S[:, :k] - V * theta[:k], axis=0)
    # the relation's residuals are those of exact arithmetic: the explicit
    # ones must agree before the result is called converged
    converged = converged and bool(np.all(residuals <= 2 * threshold))
    return EigenResult(theta[:k], V, residuals, n_iter, converged, history)


def _next_block(image, Q, coefficients, cutoff=1e-8):
    r"""The next Krylov block: :math:`F = (I - Q Q^\top) A B` (``coefficients``
    is :math:`Q^\top A B`; a second projection removes what rounding left,
    and a third one follows when a column cancelled to under half its
    length, the DGKS test), made orthonormal, :math:`F = B' R`. Directions
    of ``F`` shorter than ``cutoff`` times the longest column of the image
    are dropped: the rest of the space is invariant to that accuracy."""
    F = image - Q @ coefficients
    F -= Q @ (Q.T @ F)
    scale = np.linalg.norm(image, axis=0).max(initial=0.0)
    e, U = np.linalg.eigh(F.T @ F)
    keep = e > (cutoff * scale) ** 2
    R = (U[:, keep] * np.sqrt(e[keep])).T
    block = F @ (U[:, keep] / np.sqrt(e[keep]))
    if keep.any() and e[keep].min() < 0.25 * e.max():  # cancelled: once more
        block -= Q @ (Q.T @ block)
        block /= np.linalg.norm(block, axis=0)
    return block, R


def deflated_power_iteration(
    A, n_components=1, *, tol=1e-8, max_iter=1000, random_state=None,
    dtype=np.float64, callback=None,
):  # fmt: skip
    r"""Largest eigenpairs one at a time: power iteration with deflation.

    The textbook method. For the ``i``-th pair, iterate with one vector on the
    deflated operator, whose found eigenvectors :math:`V` are removed from the
    spectrum (their eigenvalues set to zero) by the projector
    :math:`P = I - V V^\top`:

    .. math::

        A_i = P A P, \qquad v \leftarrow \frac{A_i v}{\|A_i v\|}, \qquad
        \lambda = v^\top A v,

    until :math:`\|A v - \lambda v\| \le \mathrm{tol} \cdot \lambda_1`. It
    converges at the rate :math:`\lambda_{i+1} / \lambda_i`: slowly when two
    eigenvalues are nearly equal (the block method of :func:`power_iteration`
    is faster there). ``n_iter`` of the result is the total number of products;
    ``residual_history`` holds one array per component. ``callback`` is that
    of :func:`power_iteration`, called after every product with the pairs
    found so far and the current one; returning True stops.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import deflated_power_iteration
    >>> res = deflated_power_iteration(np.diag([5.0, 2.0, 1.0]), 2, random_state=0)
    >>> res.eigenvalues.round(8)
    array([5., 2.])
    """
    op = aslinearoperator(A)
    n = op.shape[0]
    k = min(n_components, n)
    rng = np.random.default_rng(_seed(random_state))
    V = np.zeros((n, k), dtype=dtype)
    lam = np.zeros(k, dtype=dtype)
    residuals = np.zeros(k)
    history, n_iter, converged, stopped = [], 0, True, False
    for i in range(k):
        if stopped:
            break
        found = V[:, :i]
        v = rng.standard_normal(n).astype(dtype, copy=False)
        v -= found @ (found.T @ v)
        v /= np.linalg.norm(v)
        trace = []
        for _ in range(max_iter):
            n_iter += 1
            Av = np.asarray(op.matvec(v), dtype=dtype).ravel()
            lam[i] = v @ Av
            trace.append(np.linalg.norm(Av - lam[i] * v))
            if trace[-1] <= tol * max(abs(lam[0]), np.finfo(dtype).tiny):
                break
            V[:, i] = v
            stopped = _notify(
                callback, n_iter, lam, V, np.full(i + 1, trace[-1]), i + 1
            )
            if stopped:
                break
            w = Av - found @ (found.T @ Av)  # P A P v, as P v = v
            norm = np.linalg.norm(w)
            if norm == 0.0:  # v spans the null space: an eigenvector of 0
                break
            v = w / norm
        else:
            converged = False
        V[:, i], residuals[i] = v, trace[-1]
        history.append(np.array(trace))
    return EigenResult(lam, V, residuals, n_iter, converged and not stopped, history)


def largest_eigenvalue(A, *, tol=1e-2, max_iter=30, random_state=0):
    r"""Upper estimate of the largest eigenvalue of a symmetric PSD operator.

    Lanczos from one random vector (:func:`block_lanczos`, blocks of one
    column), stopped at a relative residual of ``tol``; returns
    :math:`\theta_1 + \|A v_1 - \theta_1 v_1\|`: by the Bauer-Fike theorem
    an eigenvalue lies within the residual of the Ritz value, so the estimate
    errs on the safe side for a step size :math:`1/L`, by at most the
    residual: a few products give a step within a few percent of the best.
    The Krylov space's polynomial filter needs far fewer products than power
    iteration where the top eigenvalues are close (random designs: 11-24
    products where power iteration's block of three ran out of 30).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import largest_eigenvalue
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> float(largest_eigenvalue(X.T @ X))
    4.0
    """
    res = block_lanczos(
        A, 1, block_size=1, tol=tol, max_iter=max_iter, random_state=random_state
    )
    return float(res.eigenvalues[0] + res.residuals[0])


def gram_operator(X, weights=None, center=None):
    r"""The operator :math:`v \mapsto X_c^\top S X_c v` without forming it.

    Here :math:`X_c = X - 1 c^\top` is ``X`` centered by ``center`` (never
    materialized, so a sparse ``X`` stays sparse) and :math:`S = \mathrm{diag}(s)`.
    A large CSR ``X`` is applied by blocks of rows on every core,
    :math:`\sum_b X_b^\top S_b (X_b v - c^\top v)` (scipy's sparse products
    run on one core; BLAS threads the dense ones itself), and a dense ``X`` in
    row order by blocks of rows that stay in cache between the two products,
    one pass over memory instead of two; the operator's
    ``threads`` says how many blocks, and a caller that makes BLAS calls
    between products does better to keep BLAS on one thread meanwhile (its
    idle threads spin and take the cores from ours).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import gram_operator
    >>> X = np.array([[1.0, 2.0], [3.0, 5.0]])
    >>> op = gram_operator(X, center=X.mean(axis=0))
    >>> Xc = X - X.mean(axis=0)
    >>> bool(np.allclose(op @ np.eye(2), Xc.T @ Xc))
    True
    """
    n, d = X.shape
    s = None if weights is None else np.asarray(weights)
    c = np.zeros(d) if center is None else np.asarray(center)
    scale = 1.0
    if s is not None and s.min() == s.max():  # uniform: scale the d x p result
        s, scale = None, float(s[0])
    parts = _row_parts(X)

    def part(rows, Xb, V, cV):
        if _fuses(Xb, V.shape[1]):
            return _dense_gram_product(Xb, V, cV, s)
        SXV = np.asarray(Xb @ V)  # one rows x p buffer, updated in place
        SXV -= cV
        if s is not None:
            SXV *= s[rows, None]
        return np.asarray(Xb.T @ SXV), SXV.sum(axis=0)

    def matmat(V):
        V = V.reshape(d, -1)
        cV = c @ V
        if len(parts) == 1:
            out, total = part(slice(None), X, V, cV)
        else:
            done = list(pool().map(lambda p: part(*p, V, cV), parts))
            out, total = sum(o for o, _ in done), sum(t for _, t in done)
        out -= np.outer(c, total)
        if scale != 1.0:
            out *= scale
        return out

    op = LinearOperator((d, d), matvec=matmat, matmat=matmat, dtype=X.dtype)
    op.threads = len(parts)  # row blocks applied at once, on threads of ours
    return op


# entries of a dense block of rows that stays in the last-level cache between
# its two products (8 MB of float64): X^T (X v) by such blocks reads X from
# memory once, not twice
_CACHED_ENTRIES = 1 << 20


def _fuses(X, p):
    """Whether ``X`` is dense rows in memory order, more than two cached
    blocks of them, and a block of 16 rows per column of the ``p`` products
    fits the cache."""
    if sp.issparse(X) or not X.flags.c_contiguous:
        return False
    n, d = X.shape
    return n >= 2 * max(16, _CACHED_ENTRIES // max(d, 1)) and 16 * p * d <= (
        2 * _CACHED_ENTRIES
    )


def _dense_gram_product(X, V, cV, s):
    r""":math:`X^\top S (X V - 1 c^\top V)` and the column sums of
    :math:`S (X V - 1 c^\top V)`, a cached block of rows at a time (at least
    16 rows per column of ``V``: each block adds a :math:`d \times p` term)."""
    n, d = X.shape
    out = np.zeros((d, V.shape[1]), dtype=np.result_type(X, V))
    term, total = np.empty_like(out), np.zeros(V.shape[1], dtype=out.dtype)
    size = max(_CACHED_ENTRIES, 16 * V.shape[1] * d)
    for rows in row_blocks(n, d, size):
        Xb = X[rows]
        SXV = Xb @ V
        SXV -= cV
        if s is not None:
            SXV *= s[rows, None]
        out += np.matmul(Xb.T, SXV, out=term)
        total += SXV.sum(axis=0)
    return out, total


_PARALLEL_NNZ = 100_000  # below this a sparse product is too short to split
# below this a dense Gram matrix is too quick to split (measured after a rest:
# 20,000 x 100 and 400,000 x 32 even, 100,000 x 100 20% faster, 200,000 x 100 2x)
_PARALLEL_FLOPS = 5e8


# where BLAS is held on one thread (a solve whose passes run on the package's
# threads), the flops from which a Gram pass splits: BLAS's threads are not
# there to take it (at 8,000 x 100, one thread made a fit 1.7x slower)
_HELD_FLOPS = 1 << 24


def _dense_threads(n, d, gather=False):
    """Threads for a dense pass forming a ``d x d`` Gram matrix of ``n`` rows
    (``gather``: of columns taken from wider rows): one below 32 columns or
    for a gather, where the pass is bound by memory, not arithmetic, unless
    BLAS is held on one thread."""
    if held():
        return n_threads() if n * d * d >= _HELD_FLOPS else 1
    if gather or d < 32:
        return 1
    return n_threads() if n * d * d >= _PARALLEL_FLOPS else 1


# entries of a dense X from which a product with it runs on every thread
_PARALLEL_ENTRIES = 1 << 20


def matmul_rows(X, W):
    r""":math:`XW` for a dense ``X``, column-major (each output's column
    contiguous). A large ``X`` times one column is split into ranges of
    rows, one per thread, each a product on one BLAS thread: as fast as
    BLAS's own threads, and none of those left spinning on a core that ours
    take next. More columns, or a small ``X``, go to BLAS whole (its threads
    split a product with a few columns better than ranges of rows on one
    thread each).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import matmul_rows
    >>> matmul_rows(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [1.0]]))
    array([[3.],
           [7.]])
    """
    n, d = X.shape
    threads = _entry_threads(n, d)
    if W.shape[1] > 1 or threads == 1:
        return (W.T @ X.T).T
    out = np.empty((n, 1), np.result_type(X.dtype, W.dtype), order="F")

    def part(lo, hi):
        out[lo:hi, 0] = X[lo:hi] @ W[:, 0]

    map_row_ranges(part, n, threads)
    return out


def rmatmul_rows(X, G):
    r""":math:`X^\top G` for a dense ``X``, as :func:`matmul_rows`: one
    column by ranges of rows, each summed by ``einsum`` (BLAS's
    matrix-vector product with the transpose of a row-major ``X`` runs no
    faster on two threads than on one, called side by side or on its own
    threads: measured at 100,000 x 100, 9 ms against 5 ms for this).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import rmatmul_rows
    >>> rmatmul_rows(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [1.0]]))
    array([[4.],
           [6.]])
    """
    n, d = X.shape
    threads = _entry_threads(n, d)
    if G.shape[1] > 1 or threads == 1:
        return np.asarray(X.T @ G)

    def part(lo, hi):
        return np.einsum("ij,i->j", X[lo:hi], G[lo:hi, 0])

    return _sum(map_row_ranges(part, n, threads))[:, None]


def _entry_threads(n, d):
    """Threads for a pass over a dense ``n x d`` matrix: every one from
    :data:`_PARALLEL_ENTRIES` entries on, else one."""
    return n_threads() if n * d >= _PARALLEL_ENTRIES else 1


def _row_parts(X):
    """``X`` as ``(rows, block)`` pairs: blocks of rows of a large CSR matrix
    that share its arrays (no copy), one per core; else ``X`` whole."""
    if not (sp.issparse(X) and X.format == "csr") or X.nnz < _PARALLEL_NNZ:
        return [(slice(None), X)]
    cores = n_threads()
    if cores == 1:
        return [(slice(None), X)]
    # rows split where the stored entries are split evenly
    bounds = np.searchsorted(X.indptr, np.linspace(0, X.nnz, cores + 1)).clip(
        0, X.shape[0]
    )
    bounds[0], bounds[-1] = 0, X.shape[0]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        if hi > lo:
            a, b = X.indptr[lo], X.indptr[hi]
            # the arrays set on an empty matrix: scipy's constructor copies
            # a view of less than half its array ("pruning" it), which would
            # copy every block but the largest
            block = sp.csr_matrix((hi - lo, X.shape[1]), dtype=X.dtype)
            block.data, block.indices = X.data[a:b], X.indices[a:b]
            block.indptr = X.indptr[lo : hi + 1] - a
            parts.append((slice(lo, hi), block))
    return parts


def gram_matrix(X, weights=None, center=None, chunk_size=None, columns=None, rows=None):
    r"""The matrix :math:`X_c^\top S X_c`, formed once.

    Dense ``X`` is centered one block of rows at a time into a small buffer, so
    no copy of ``X`` is made and no precision is lost to the cancellation in
    :math:`X^\top S X - (1^\top s) c c^\top`; sparse ``X`` uses that identity
    and stays sparse. ``weights`` None means :math:`S = I`. ``columns`` (an
    index array) restricts :math:`X` to those columns, block by block, and
    ``center`` then holds the centers of those columns only; ``rows``
    (positions among them) the product's rows alone, :math:`X_{c,R}^\top
    S X_c` (:math:`2 n |R| d` flops on dense ``X``). A large dense
    ``X`` (32 columns or more) is split into ranges of rows, one per thread,
    each summing its own :math:`X_b^\top S_b X_b` with BLAS on one thread:
    BLAS does not split this product well when the columns are few.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import gram_matrix
    >>> X = np.array([[1.0, 2.0], [3.0, 6.0]])
    >>> gram_matrix(X, center=X.mean(axis=0))
    array([[2., 4.],
           [4., 8.]])
    """
    if sp.issparse(X):
        G = _sparse_gram(X if columns is None else X[:, columns], weights, center)
        return G if rows is None else G[rows]
    n, d = X.shape if columns is None else (X.shape[0], len(columns))
    part_rows = rows
    c = np.zeros(d, X.dtype) if center is None else np.asarray(center, X.dtype)
    s = None if weights is None else np.asarray(weights, dtype=X.dtype)
    uniform = s is None or s.min() == s.max()  # then scale once at the end
    # blocks of about a megabyte: large buffers are fresh pages on every call
    chunk_size = chunk_size or max(2048, 2**17 // max(d, 1))

    def part(lo, hi):  # rows lo:hi, by blocks centered into one buffer
        G = work = None
        buf = np.empty((min(chunk_size, hi - lo), d), dtype=X.dtype)
        for start in range(lo, hi, chunk_size):
            rows = slice(start, min(start + chunk_size, hi))
            B = buf[: rows.stop - start]
            if columns is None:
                np.subtract(X[rows], c, out=B)
            else:
                np.take(X[rows], columns, axis=1, out=B, mode="clip")  # unbuffered
                B -= c
            if not uniform:
                B *= np.sqrt(s[rows])[:, None]
            G, work = _accumulate(G, work, B, part_rows)
        if G is None:  # (no rows)
            return np.zeros((d if part_rows is None else len(part_rows), d), X.dtype)
        return G

    # a gather of columns reads whole rows: bound by memory, so one thread
    threads = _dense_threads(n, d, gather=columns is not None)
    G = _sum(map_row_ranges(part, n, threads))
    if s is not None and uniform:
        G *= s[0]
    return G


_KERNEL_BLOCK = 1 << 20  # entries of a block of centered columns (8 MB: 2-4 times
# the speed of 1 MB blocks, whose products of under 256 columns run slowly)
# from these m^2 d flops on, the kernel's products run on the package's threads
_PARALLEL_KERNEL_FLOPS = 1 << 24


def kernel_matrix(X, center=None):
    r"""The rows' kernel :math:`X_c X_c^\top` (float64, dense), :math:`X_c =
    X - 1 c^\top` (``center`` None: ``X``): the columns by blocks of
    ``_KERNEL_BLOCK`` entries, each centered (no digits lost to a large
    mean; sparse ones made dense, from CSC) and its product summed; the
    columns split over the package's threads, each summing its own matrix
    with BLAS on one thread (a solver holds BLAS there, see
    :func:`~sklearn_foundations._parallel.blas_on_one_thread`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import kernel_matrix
    >>> X = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0]])
    >>> kernel_matrix(X, X.mean(axis=0))  # the rows less their mean
    array([[ 2.25, -2.25],
           [-2.25,  2.25]])
    """
    n, d = X.shape
    if sp.issparse(X):
        X = X.tocsc()

    def part(lo, hi):
        K = work = None
        for _, B in centered_column_blocks(X, center, lo, hi):
            K, work = _accumulate(K, work, B.T)  # B B^T
        return np.zeros((n, n)) if K is None else K

    threads = n_threads() if n * n * d >= _PARALLEL_KERNEL_FLOPS else 1
    return _sum(map_row_ranges(part, d, threads))


def centered_column_blocks(X, center=None, lo=0, hi=None):
    """The columns ``lo:hi`` of ``X`` as dense float64 blocks of about
    ``_KERNEL_BLOCK`` entries, each a copy less ``center``'s entries (no
    digits lost to a large mean; sparse blocks made dense, from CSC best):
    ``(columns, block)`` pairs, ``columns`` a slice.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import centered_column_blocks
    >>> X = np.array([[1.0, 2.0], [3.0, 6.0]])
    >>> [(cols, B.tolist()) for cols, B in centered_column_blocks(X, X.mean(axis=0))]
    [(slice(0, 2, None), [[-1.0, -2.0], [1.0, 2.0]])]
    """
    n, d = X.shape
    hi = d if hi is None else hi
    width = max(1, _KERNEL_BLOCK // max(n, 1))
    for j in range(lo, hi, width):
        columns = slice(j, min(j + width, hi))
        block = X[:, columns]
        if sp.issparse(block):
            B = block.toarray().astype(np.float64, copy=False)
        else:
            B = np.array(block, dtype=np.float64)  # a copy to center
        if center is not None:
            B -= center[columns]
        yield columns, B


def _accumulate(G, work, B, rows=None):
    r"""``G`` plus :math:`B^\top B` (``G`` None: the product itself; with
    ``rows``, :math:`B_R^\top B`), the products after the first into the
    buffer ``work`` (made once): a fresh ``d x d`` array, zeroed or not, is
    fresh pages, and touching them cost more than the product (a zeroed 600
    x 600 sum: 16 against 5.5 ms for 1,000 rows). Returns ``G`` and
    ``work``."""
    left = B if rows is None else B[:, rows]
    if G is None:
        return left.T @ B, work
    if work is None:
        work = np.empty_like(G)
    np.matmul(left.T, B, out=work)
    G += work
    return G, work


def _sum(parts):
    """The sum of the partial results of row ranges (the first, in place)."""
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def _sparse_gram(X, weights, center):
    r""":math:`X^\top S X - c m^\top - m c^\top + t c c^\top`, :math:`m =
    X^\top s`, :math:`t = 1^\top s`: one sparse product, one rank-two update."""
    c = np.zeros(X.shape[1], X.dtype) if center is None else np.asarray(center, X.dtype)
    s = None if weights is None else np.asarray(weights, dtype=X.dtype)
    SX = X if s is None else X.multiply(s[:, None]).tocsr()
    m = np.asarray(SX.sum(axis=0)).ravel()  # X^T s
    G = np.asarray((X.T @ SX).toarray())
    u = m - 0.5 * (X.shape[0] if s is None else s.sum()) * c
    G -= np.column_stack([c, u]) @ np.column_stack([u, c]).T
    return G


def gram_moments(X, weights, targets, chunk_size=None):
    r"""Weighted mean, centered Gram matrix and cross-products, in one pass.

    For dense ``X`` with weights :math:`s` (:math:`t = \sum_i s_i`) and
    targets :math:`Y`, returns :math:`m = X^\top s / t`,
    :math:`G = X_c^\top S X_c` and :math:`Q = X_c^\top S Y`,
    :math:`X_c = X - 1 m^\top`. The rows are shifted by a guess :math:`g` of
    the mean (that of the first block), so that no copy of ``X`` is made and
    there is no separate pass for the mean; with
    :math:`\delta = m - g = \sum_i s_i (x_i - g) / t`,

    .. math::

        G = \sum_i s_i (x_i - g)(x_i - g)^\top - t\, \delta \delta^\top,
        \qquad
        Q = \sum_i s_i (x_i - g)\, y_{c,i}^\top,

    with the targets centered first (:math:`s^\top Y_c = 0`, and
    :math:`X_c^\top S Y = X_c^\top S Y_c`).

    The correction is small (:math:`\delta` is the first block's error in the
    mean), so it cancels no digits, unlike :math:`X^\top S X - t\, m m^\top`.
    A large ``X`` is summed by ranges of rows on threads, as in
    :func:`gram_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import gram_moments
    >>> X, y = np.array([[1.0], [3.0], [8.0]]), np.array([[0.0], [1.0], [2.0]])
    >>> m, G, Q = gram_moments(X, np.ones(3), y, chunk_size=2)
    >>> m, G, Q  # mean 4; deviations -3, -1, 4
    (array([4.]), array([[26.]]), array([[7.]]))
    """
    n, d = X.shape
    threads = _dense_threads(n, d)
    # BLAS on one thread from its first product on: idle, its threads spin
    with blas_on_one_thread() if threads > 1 else nullcontext():
        return _moments(X, weights, targets, chunk_size, threads)


def _moments(X, weights, targets, chunk_size, threads):
    """:func:`gram_moments` on ``threads`` ranges of rows."""
    n, d = X.shape
    s = np.asarray(weights, dtype=X.dtype)
    T = np.asarray(targets, dtype=X.dtype).reshape(n, -1)
    T = T - s @ T / s.sum()  # centered too: Q sums no large cancelling terms
    chunk_size = chunk_size or max(2048, 2**17 // max(d, 1))
    first = slice(0, min(chunk_size, n))
    head = s[first].sum()
    guess = s[first] @ X[first] / head if head > 0 else X[0].copy()
    uniform = s.min() == s.max()  # then S scales G once at the end

    def part(lo, hi):  # rows lo:hi, by blocks shifted into one buffer
        if hi - lo <= chunk_size:  # one block: its own shifted copy
            B = X[lo:hi] - guess
            v, Q = s[lo:hi] @ B, B.T @ (s[lo:hi, None] * T[lo:hi])
            if not uniform:
                B *= np.sqrt(s[lo:hi])[:, None]
            return v, B.T @ B, Q
        G = work = None
        Q = np.zeros((d, T.shape[1]), dtype=X.dtype)
        v = np.zeros(d, dtype=X.dtype)
        buf = np.empty((min(chunk_size, hi - lo), d), dtype=X.dtype)
        for start in range(lo, hi, chunk_size):
            rows = slice(start, min(start + chunk_size, hi))
            B = buf[: rows.stop - start]
            np.subtract(X[rows], guess, out=B)
            v += s[rows] @ B
            Q += B.T @ (s[rows, None] * T[rows])
            if not uniform:
                B *= np.sqrt(s[rows])[:, None]
            G, work = _accumulate(G, work, B)
        return v, (np.zeros((d, d), X.dtype) if G is None else G), Q

    parts = map_row_ranges(part, n, threads)
    v, G, Q = (
        parts[0] if len(parts) == 1 else [_sum(p) for p in zip(*parts, strict=True)]
    )
    if uniform:
        G *= s[0]
    total = s.sum()
    delta = v / total
    for lo in range(0, d, 128):  # by blocks of rows: no d x d temporary
        G[lo : lo + 128] -= total * np.outer(delta[lo : lo + 128], delta)
    return guess + delta, G, Q  # Q needs no correction: s^T T = 0


def column_squares(X, weights=None, center=None, exact=True):
    r"""Per column, the weighted sum of squared deviations from a center,

    .. math::

        D_j = \sum_i s_i (x_{ij} - c_j)^2,

    the diagonal of :math:`X_c^\top S X_c`, in float64. Dense ``X`` is
    centered one block of rows at a time (no cancellation in
    :math:`\sum s x^2 - c^2` for a column whose mean dwarfs its spread);
    sparse ``X`` centers its stored entries, :math:`\sum_{\text{stored}} s_i
    (x_{ij} - c_j)^2`, and adds :math:`c_j^2` times the weight of its zeros.
    ``exact=False`` expands the square instead, :math:`\sum s x^2 - 2 c \sum
    s x + c^2 \sum s`, from two sparse products (five times faster; a column
    whose values all lie near its center, which that cancellation cannot
    resolve, gets the floor :math:`\epsilon \sum s x^2`): enough for a scale.
    ``weights`` None means :math:`S = I`, ``center`` None means :math:`c = 0`.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sklearn_foundations.linalg import column_squares
    >>> X = np.array([[1.0, 0.0], [3.0, 4.0]])
    >>> column_squares(X, center=X.mean(axis=0))
    array([2., 8.])
    >>> column_squares(sp.csr_matrix(X), center=X.mean(axis=0))
    array([2., 8.])
    """
    n, d = X.shape
    c = np.zeros(d) if center is None else np.asarray(center, dtype=np.float64)
    s = None if weights is None else np.asarray(weights, dtype=np.float64)
    if sp.issparse(X):
        return (_stored_squares if exact else _expanded_squares)(X, s, c)
    out = np.zeros(d)
    for rows in row_blocks(n, d):
        block = X[rows] - c
        block *= block
        out += block.sum(axis=0) if s is None else s[rows] @ block
    return out


def column_moments(X, weights=None):
    r"""Per column of a dense ``X``, the weighted mean :math:`m_j = \sum_i
    s_i x_{ij} / t` and sum of squared deviations :math:`D_j = \sum_i s_i
    (x_{ij} - m_j)^2` (:math:`t = \sum_i s_i`; ``weights`` None means
    :math:`s_i = 1`), in one pass; the sums in float64.

    The rows are shifted by a guess :math:`g` of the mean (that of the first
    block) as in :func:`gram_moments`: with :math:`\delta = m - g`,
    :math:`D = \sum_i s_i (x_i - g)^2 - t \delta^2`, a small correction that
    cancels no digits. A large ``X`` is summed by ranges of rows, one per
    thread.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.linalg import column_moments
    >>> X = np.array([[1.0, 10.0], [3.0, 10.0], [8.0, 13.0]])
    >>> column_moments(X)
    (array([ 4., 11.]), array([26.,  6.]))
    >>> column_moments(X, np.array([0.5, 0.5, 0.0]))
    (array([ 2., 10.]), array([1., 0.]))
    """
    n, d = X.shape
    s = None if weights is None else np.asarray(weights, dtype=np.float64)
    first = next(row_blocks(n, d))
    if s is None or s[first].sum() <= 0:
        guess = X[first].mean(axis=0, dtype=np.float64)
    else:
        guess = s[first] @ X[first].astype(np.float64) / s[first].sum()

    def part(lo, hi):  # rows lo:hi, a block at a time
        total, squares = np.zeros(d), np.zeros(d)
        for rows in row_blocks(hi - lo, d):
            rows = slice(lo + rows.start, lo + rows.stop)
            block = X[rows] - guess  # float64
            total += block.sum(axis=0) if s is None else s[rows] @ block
            block *= block
            squares += block.sum(axis=0) if s is None else s[rows] @ block
        return total, squares

    parts = map_row_ranges(part, n, _entry_threads(n, d))
    total, squares = (_sum([p[k] for p in parts]) for k in range(2))
    weight = float(n if s is None else s.sum())
    delta = total / weight if weight > 0 else np.zeros(d)
    mean = (guess + delta).astype(X.dtype, copy=False)
    return mean, squares - weight * delta * delta


def _stored_squares(X, s, c):
    """:func:`column_squares` of a sparse ``X`` from its centered stored
    entries, plus :math:`c^2` times the weight of the zeros (one pass over
    the stored entries of the CSR form)."""
    n, d = X.shape
    X = sp.csr_matrix(X)  # no copy for CSR input
    cols = X.indices
    dev = X.data.astype(np.float64) - c[cols]
    dev *= dev
    if s is None:
        stored = np.bincount(cols, weights=dev, minlength=d)
        zeros = n - np.bincount(cols, minlength=d)
    else:
        s_rows = np.repeat(s, np.diff(X.indptr))
        stored = np.bincount(cols, weights=s_rows * dev, minlength=d)
        seen = np.bincount(cols, weights=s_rows, minlength=d)
        zeros = np.maximum(float(s.sum()) - seen, 0.0)
    return stored + zeros * c * c


def _expanded_squares(X, s, c):
    r""":func:`column_squares` of a sparse ``X``, expanded: :math:`X^\top s`
    and :math:`(X \circ X)^\top s`, two sparse products sharing ``X``'s
    indices."""
    n = X.shape[0]
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    weights = np.ones(n) if s is None else s
    data = X.data.astype(np.float64, copy=False)
    X_sq = type(X)((data * data, X.indices, X.indptr), shape=X.shape)
    squares = np.asarray(X_sq.T @ weights).ravel()
    values = np.asarray(X.T @ weights).ravel()
    D = squares - 2 * c * values + c * c * float(weights.sum())
    return np.maximum(D, np.finfo(np.float64).eps * squares)


def row_blocks(n, d, size=1 << 16):
    """Slices of ``n`` rows of ``d`` entries, about ``size`` entries each, so
    that the temporaries of a pass over a block stay in cache.

    Examples
    --------
    >>> from sklearn_foundations.linalg import row_blocks
    >>> list(row_blocks(5, 2, size=4))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    step = max(1, size // max(d, 1))
    return (slice(i, min(i + step, n)) for i in range(0, n, step))


def _seed(random_state):
    """An integer seed from the scikit-learn ``random_state`` conventions."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    return random_state.randint(np.iinfo(np.int32).max)
