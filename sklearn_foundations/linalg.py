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
The passes over the data that the estimators build on (products with ``X``,
the Gram matrix and operator, column moments, row blocks) live in
``_products`` and are exported here. This module imports only numpy, scipy
and ``_products``.
"""

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.sparse.linalg import aslinearoperator

from ._products import (
    centered_column_blocks,
    column_moments,
    column_squares,
    gram_matrix,
    gram_moments,
    gram_operator,
    kernel_matrix,
    matmul_rows,
    rmatmul_rows,
    row_blocks,
)

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
    at ``p = 12``: 9 LOBPCG steps and 0.8 ms of numpy's small calls before),
    on the space's own axes, :math:`V = I`, so that :math:`H = A`: a random
    basis would mix every entry's rounding into every other, and a column
    of ``1e8`` times the others' scale lost the covariance's second
    eigenvalue (1.82 for 1.52), which the entries of :math:`A` themselves
    hold to their last digits. The basis is kept
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
    if p == n:  # the whole space: its own axes, no rotation (see above)
        return _whole_space(A, op, n_components, dtype)
    rng = np.random.default_rng(_seed(random_state))
    V, _ = np.linalg.qr(rng.standard_normal((n, p)).astype(dtype, copy=False))
    if accelerate:
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
        if np.all(residuals[:n_components] <= tol * scale):
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


def _whole_space(A, op, k, dtype):
    r""":func:`power_iteration`'s one Rayleigh-Ritz step on the whole space,
    :math:`V = I`: :math:`H = A` itself (a dense ``A`` read, not multiplied by
    :math:`I`; an operator's columns by one product), its eigenpairs
    :math:`H = S \Theta S^\top` the Ritz pairs, and the residuals of the
    ``k`` wanted alone, :math:`A s_j - \theta_j s_j` (``n^2 k`` flops: the
    products with :math:`I` and :math:`S` of the general step cost more than
    the eigendecomposition on a few hundred features)."""
    n = op.shape[0]
    if isinstance(A, np.ndarray):
        H = np.asarray(A, dtype=dtype)
    else:
        H = np.asarray(op.matmat(np.eye(n, dtype=dtype)), dtype=dtype)
    theta, S = np.linalg.eigh((H + H.T) / 2)
    theta, V = theta[::-1][:k], S[:, ::-1][:, :k]  # largest first
    residuals = np.linalg.norm(
        np.asarray(op.matmat(V), dtype=dtype) - V * theta, axis=0
    )
    return EigenResult(theta, V, residuals, 1, True, [residuals])


# a Chebyshev filter's degree is held to at most this, and to a gain of the
# top eigenvalue over the damped band of at most eps**-0.5 (1e8 in float64,
# 3e3 in float32): the filtered block keeps the smaller wanted directions'
# digits beside the largest
CHEBYSHEV_MAX_DEGREE = 30
# chebyshev_iteration takes the whole space's one step (an eigendecomposition)
# on a matrix of at most this many rows: there its Rayleigh-Ritz steps' small
# calls cost more (1.3-6.4 against 1.3-1.9 ms on 100 rows, 2 to 20 pairs)
WHOLE_SPACE_SIZE = 128


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
    relative residual of 1e-12 on digits' covariance, the filter alone,
    where LOBPCG takes 11-14.

    It stops when every wanted pair has :math:`\|A v_j - \theta_j v_j\| \le
    \mathrm{tol} \cdot \theta_1`, as :func:`power_iteration` does; where a
    step does not halve the largest wanted residual, LOBPCG
    (``power_iteration(accelerate=True)``) goes on from the block.
    ``max_iter`` counts Rayleigh-Ritz steps (``n_iter`` of the result), and
    ``callback`` is called after each that has not converged. A block of at
    least a third of the matrix's size is :func:`power_iteration`'s alone
    (``accelerate=True``), whose block is then the whole space: one exact
    step, where a filter only meets ``tol``; so is a matrix of at most
    ``WHOLE_SPACE_SIZE`` rows, where the Rayleigh-Ritz steps' small calls
    cost more than its eigendecomposition (digits' 64 features, 2
    components: 1.3 against 0.8 ms).

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
    if 3 * p >= n or n <= WHOLE_SPACE_SIZE:  # (see power_iteration)
        return _whole_space(A, aslinearoperator(A), n_components, dtype)
    rng = np.random.default_rng(_seed(random_state))
    V, _ = np.linalg.qr(rng.standard_normal((n, p)).astype(dtype, copy=False))
    theta, V, AV = _rayleigh_ritz(V, A @ V)
    gain = np.finfo(dtype).eps ** -0.5
    history, n_iter, converged, last = [], 1, False, np.inf
    while True:
        residuals = np.linalg.norm(AV - V * theta, axis=0)
        history.append(residuals[:k])
        worst = residuals[:k].max(initial=0.0)  # (none wanted: converged)
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


def _seed(random_state):
    """An integer seed from the scikit-learn ``random_state`` conventions."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    return random_state.randint(np.iinfo(np.int32).max)
