r"""Passes over the data: products with :math:`X` and :math:`X^\top`, the
Gram matrix :math:`X_c^\top S X_c` (formed, or as an operator that never
forms it), the kernel :math:`X_c X_c^\top`, the weighted column moments and
the blocks of rows that keep a pass's temporaries in cache. A dense ``X``
is read in row blocks on the package's threads where that pays, a sparse
one by row parts; centering is never materialized. Public through
:mod:`sklearn_foundations.linalg`. Imports only numpy, scipy and the
package's thread pool."""

from contextlib import nullcontext

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ._parallel import blas_on_one_thread, held, map_row_ranges, n_threads, pool


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
        G[lo : lo + 128] -= total * (delta[lo : lo + 128, None] * delta)
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
