r"""The linear algebra of feature-sign search's active sets
(:func:`~sklearn_foundations.optimize.feature_sign`): the solves of the
signed quadratics :math:`H_{AA} x = r_A`, equilibrated (:class:`_Solves`:
an LU of a small block, or one Cholesky factor that the steps update,
:class:`_ActiveFactor`), and the matrix :math:`H = B^\top B +
\operatorname{diag}(e)` of fewer rows than features kept as its factor
(:class:`LowRank`: its products, blocks and Woodbury's solves). Imports only
numpy and LAPACK's LU (through scipy)."""

from functools import lru_cache

import numpy as np
from scipy.linalg.lapack import get_lapack_funcs

from ._newton import _cholesky

# the proximal point's ridge on a singular active set (relative to each
# column's diagonal entry; at least a hundred ulps, for float32): above
# rounding, far below any curvature that the Newton step resolves
PROXIMAL_RIDGE = 1e-10
# a search's solves on more than this many features update one Cholesky
# factor (_ActiveFactor) rather than an LU of each active set's block (a
# LowRank matrix's up to twice its rows, beyond which Woodbury's), in
# panels of at most PANEL features; features that leave the active set are
# held at zero in it while they are at most an eighth of it (REMOVED_SHARE,
# at least REMOVED_MIN), beyond which it is formed anew. On 130-150
# features the factor's updates cost as much as the LU (a 150 x 600 lasso
# 1.07x as long from 128 on); from 200 on they are quicker (300 x 1,500 at
# 0.003 alpha_max 82 -> 57 ms)
FACTOR_MIN_SIZE = 160
PANEL = 64
REMOVED_SHARE = 8
REMOVED_MIN = 8
# a LowRank matrix keeps the Gram entries of at most this many features
# (the ones its blocks have held: 32 MB)
GRAM_CACHE_MAX = 2000


class _Solves:
    r"""The solves of one search's signed quadratics, :math:`H_{AA} x = r_A`,
    equilibrated by :math:`S = \operatorname{diag}(H)^{-1/2}` (unit
    diagonal: the columns' scales do not make an active set singular): by
    LU of the block (:func:`_equilibrated_solve`) on at most
    ``FACTOR_MIN_SIZE`` features, by Woodbury's identity on a
    :class:`LowRank` ``H``'s block of more than twice its rows, else from one
    Cholesky factor kept over the search's steps (:class:`_ActiveFactor`),
    which the active sets update rather than factor anew. Regular where
    every pivot is above the relative ridge (:func:`_ridge`). Keeps the
    last block asked for (a step's solve and walk read the same)."""

    def __init__(self, H, diag):
        self.H, self.low_rank = H, isinstance(H, LowRank)
        self.gesv, self.ridge = _gesv(H.dtype), _ridge(H.dtype)
        self.S = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        self.factor = None
        self._last = None  # (A, H_AA)
        # a small dense H equilibrated once, S H S: each LU reads its block
        # (the same products as the block's, in the same order)
        small = not self.low_rank and len(diag) <= FACTOR_MIN_SIZE
        self.equilibrated = H * self.S * self.S[:, None] if small else None

    def block(self, A):
        """:func:`_block`, the last one again for the same array ``A`` (a
        step's solve and walk pass the one they share)."""
        if self._last is None or self._last[0] is not A:
            self._last = (A, _block(self.H, A))
        return self._last[1]

    def on(self, A):
        r"""What a walk reads of :math:`H_{AA}`, its products: the block
        (:meth:`block`) on at most ``FACTOR_MIN_SIZE`` features or a
        :class:`LowRank` ``H``, else products with the whole ``H`` (a
        matrix-vector product where the block is two copies)."""
        if len(A) <= FACTOR_MIN_SIZE or self.low_rank:
            return self.block(A)
        return _OnFeatures(self.H, A)

    def __call__(self, A, r_A):
        """The solution on the features ``A`` (sorted) and whether it is
        regular (on no feature: the empty one, the step of a walk that takes
        every active feature to zero)."""
        if len(A) == 0:
            return np.zeros(0, dtype=r_A.dtype), True
        if self.equilibrated is not None:  # LU of the kept S H S's block
            E_A, S_A = self.equilibrated.take(A, 0).take(A, 1), self.S[A]
            lu, _, target, info = self.gesv(E_A, r_A * S_A, 1, 1)
            regular = info == 0 and np.abs(lu.diagonal()).min() > self.ridge
            return target * S_A, regular
        if len(A) <= FACTOR_MIN_SIZE or (self.low_rank and self.H.woodbury_on(A)):
            return _equilibrated_solve(
                self.gesv, self.block(A), r_A, self.ridge, self.S[A]
            )
        if self.factor is None:
            self.factor = _ActiveFactor(self.H, self.S, self.ridge)
        return self.factor.solve(A, r_A)


class _OnFeatures:
    r"""Products with :math:`H_{AA}` through the whole dense ``H``."""

    def __init__(self, H, A):
        self.H, self.A = H, A

    def __matmul__(self, v):
        u = np.zeros(len(self.H), dtype=np.result_type(self.H, v))
        u[self.A] = v
        return (self.H @ u)[self.A]


class _ActiveFactor:
    r"""The Cholesky factor :math:`L L^\top = \hat H_{PP}` of the
    equilibrated :math:`\hat H = S H S` over the features :math:`P` that a
    search's active sets have held, in the order they entered, so that a
    step's solve costs :math:`O(|P|^2)` rather than the :math:`\tfrac23
    |A|^3` of an LU of the active set's block.

    Features that enter are appended (:math:`L_{21} = L^{-1} \hat H_{P,N}`,
    then the Cholesky factor of the new block's Schur complement
    :math:`\hat H_{NN} - L_{21}^\top L_{21}`: :math:`|P|^2 |N|` flops);
    features that leave stay in :math:`P` and are held at zero: with
    :math:`R = P \setminus A` and :math:`Y = L^{-1} [r, E_R]`,

    .. math::

        x = L^{-\top} (y_r - Y_R \mu), \qquad (Y_R^\top Y_R)\, \mu =
        Y_R^\top y_r,

    the minimizer of the quadratic on :math:`P` with :math:`x_R = 0` (the
    Schur complement of :math:`(\hat H_{PP}^{-1})_{RR}`). Where more than
    an eighth of :math:`P` (``REMOVED_SHARE``, at least ``REMOVED_MIN``)
    would be held, the factor is formed anew on :math:`A`. An entering
    feature whose pivot is at most the ridge (collinear with :math:`P`)
    is not appended: the solve is not regular (where features are held at
    zero, the factor is first formed anew on :math:`A` alone). The rows of
    :math:`H` that an append reads are a dense matrix's or, for a
    :class:`LowRank` one, its kept Gram entries (:meth:`LowRank.rows`).

    The factor is kept in panels of at most ``PANEL`` features, each its
    rows of :math:`L` left of the diagonal block and the inverse of that
    block (numpy's products throughout: scipy's triangular solves woke a
    second BLAS's threads, 6 ms against 0.1 beside numpy's products)."""

    def __init__(self, H, S, ridge):
        self.H, self.S, self.ridge = H, S, ridge
        self.features = np.empty(0, dtype=np.intp)
        self.position = np.full(len(S), -1)
        self.panels = []  # (start, rows left of the block, the block's inverse)

    def _empty(self):
        """No feature in the factor."""
        self.position[self.features] = -1
        self.features, self.panels = self.features[:0], []

    def solve(self, A, r_A):
        """The solution on the features ``A`` (sorted) and whether it is
        regular."""
        new = A[self.position[A] < 0]
        held = len(self.features) - (len(A) - len(new))  # in P, not in A
        if held > max(REMOVED_MIN, len(A) // REMOVED_SHARE):
            regular = self._anew(A)
        elif len(new):
            regular = self._append(new) or (held > 0 and self._anew(A))
        else:
            regular = True
        if not regular:
            return np.full_like(r_A, np.nan), False
        at = self.position[A]
        b = np.zeros(len(self.features), dtype=r_A.dtype)
        b[at] = r_A * self.S[A]
        if len(at) == len(b):
            x = self._backward(self._forward(b))
        else:  # the held features' unit columns beside r: one pass
            held = np.ones(len(b), dtype=bool)
            held[at] = False
            R = np.flatnonzero(held)
            E = np.zeros((len(b), len(R) + 1), dtype=b.dtype)
            E[:, 0] = b
            E[R, np.arange(1, len(R) + 1)] = 1.0
            Y = self._forward(E)
            y, Y_R = Y[:, 0], Y[:, 1:]
            mu = np.linalg.solve(Y_R.T @ Y_R, Y_R.T @ y)
            x = self._backward(y - Y_R @ mu)
        return x[at] * self.S[A], True

    def _anew(self, A):
        """The factor formed anew on ``A``; whether it is regular (else it is
        left empty)."""
        self._empty()
        if self._append(A):
            return True
        self._empty()
        return False

    def _append(self, new):
        """Append the features ``new``, a panel at a time; whether every
        pivot is above the ridge (else the factor is left as it was)."""
        panels, features = len(self.panels), self.features
        S = self.S
        for lo in range(0, len(new), PANEL):
            N = new[lo : lo + PANEL]
            P = self.features
            PN = np.concatenate([P, N])
            rows = self._rows(N, PN) * S[N, None] * S[PN]  # [H_NP, H_NN]
            H_NN = rows[:, len(P) :]
            if len(P):
                L_21 = self._forward(rows[:, : len(P)].T)
                H_NN -= L_21.T @ L_21
            try:
                L_NN = np.linalg.cholesky(H_NN)
            except np.linalg.LinAlgError:
                L_NN = None
            if L_NN is None or not (L_NN.diagonal() ** 2 > self.ridge).all():
                self.position[self.features[len(features) :]] = -1
                self.features, self.panels[panels:] = features, []
                return False
            left = np.ascontiguousarray(L_21.T) if len(P) else None
            self.panels.append((len(P), left, np.linalg.inv(L_NN)))
            self.position[N] = np.arange(len(P), len(P) + len(N))
            self.features = PN
        return True

    def _rows(self, N, columns):
        r""":math:`H`'s rows ``N``, its ``columns``: of a dense matrix by two
        takes, of a :class:`LowRank` one from its kept Gram entries."""
        if isinstance(self.H, LowRank):
            return self.H.rows(N, columns)
        return self.H.take(N, 0).take(columns, 1)

    def _forward(self, B):
        r""":math:`L^{-1} B`, a panel at a time."""
        Y = np.empty_like(B)
        for start, left, inverse in self.panels:
            stop = start + len(inverse)
            rhs = B[start:stop] if left is None else B[start:stop] - left @ Y[:start]
            Y[start:stop] = inverse @ rhs
        return Y

    def _backward(self, Y):
        r""":math:`L^{-\top} Y`, a panel at a time from the last."""
        Z, X = Y.copy(), np.empty_like(Y)
        for start, left, inverse in reversed(self.panels):
            stop = start + len(inverse)
            X[start:stop] = inverse.T @ Z[start:stop]
            if left is not None:
                Z[:start] -= left.T @ X[start:stop]
        return X


def _equilibrated_solve(gesv, H_A, r_A, ridge, S):
    r"""The solution of :math:`H_{AA} x = r_A` by LU of the equilibrated
    :math:`S H_{AA} S`, ``S`` :math:`= \operatorname{diag}(H_{AA})^{-1/2}`
    (unit diagonal), and whether it is regular: every pivot above the
    relative ``ridge``. Measured in the columns' own units, so that a column
    a thousand times smaller than another is as regular as it (raw pivots
    against a ridge relative to the largest diagonal entry called every
    active set with columns of very different scales singular). A
    :class:`LowRank` block of more than twice as many coordinates as rows
    is solved by Woodbury's identity (:meth:`LowRank.solve`), regular where its diagonal
    shift is above the ridge in every column's units."""
    if isinstance(H_A, LowRank):
        if H_A.woodbury:
            if not (H_A.e * S * S > ridge).all():  # singular: no solve
                return np.full_like(r_A, np.nan), False
            return H_A.solve(r_A), True
        H_A = H_A.dense()
    lu, _, target, info = gesv(H_A * S * S[:, None], r_A * S, 1, 1)  # temporaries
    regular = info == 0 and np.abs(lu.diagonal()).min() > ridge
    return target * S, regular


def _unit_factor(E, ridge):
    r"""The upper Cholesky factor :math:`U` of a symmetric ``E``
    (equilibrated to a unit diagonal by the caller; :func:`_cholesky`'s,
    numpy's from 128 rows on) where it is regular: positive definite, every
    pivot :math:`U_{jj}^2` above ``ridge`` (an LU's pivots, unpivoted);
    else None."""
    U = _cholesky(E)
    return U if U is not None and U.diagonal().min() ** 2 > ridge else None


@lru_cache
def _potrs(dtype):
    """LAPACK's solve from a Cholesky factor, for ``dtype``."""
    return get_lapack_funcs(("potrs",), (np.empty(0, dtype),))[0]


@lru_cache
def _gesv(dtype):
    """LAPACK's LU solve for ``dtype`` (np.linalg.solve's, unwrapped)."""
    return get_lapack_funcs(("gesv",), (np.empty(0, dtype),))[0]


@lru_cache
def _ridge(dtype):
    """The proximal ridge, relative to each column's diagonal entry:
    ``PROXIMAL_RIDGE``, at least a hundred ulps of the dtype. A Newton step
    whose equilibrated LU factors have a pivot below it is not taken: its
    direction along the nearly null directions is rounding's, and differs
    between two runs on the same data."""
    return max(PROXIMAL_RIDGE, 100 * float(np.finfo(dtype).eps))


def _block(H, A):
    """The block :math:`H_{AA}`: of a dense matrix a copy, of a
    :class:`LowRank` one the factor's columns ``A``."""
    if isinstance(H, LowRank):
        return H.block(A)
    return H.take(A, 0).take(A, 1)


class LowRank:
    r"""The matrix :math:`H = B^\top B + \operatorname{diag}(e)` of a
    quadratic on fewer rows than columns, kept as its factor ``B`` (``m x
    d``, the data's weighted centered rows) and the shift ``e`` (the ridge):
    its products cost :math:`2md` flops instead of :math:`d^2`. A block
    (:meth:`block`, the features :math:`A`) of more than ``2 m`` coordinates
    is solved by Woodbury's identity (:meth:`solve`), in :math:`O(m^2 |A|)`
    instead of :math:`O(|A|^3)`; a smaller one is formed from the Gram
    entries of the features seen so far, kept by the whole matrix (each
    feature's column of them computed once, as it first enters a block:
    ``GRAM_CACHE_MAX`` features at most). What :func:`signs_search` reads
    of ``H``: ``@``, ``diagonal()``, ``dtype``, :func:`_block` and the
    solves.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.optimize._gram_solves import LowRank
    >>> B = np.array([[1.0, 2.0, 0.0]])
    >>> H = LowRank(B, 0.5)
    >>> np.allclose(H.dense(), B.T @ B + 0.5 * np.eye(3))
    True
    >>> r = np.array([1.0, 0.0, 2.0])
    >>> np.allclose(H.dense() @ H.solve(r), r)
    True
    >>> A = np.array([0, 2])
    >>> np.allclose(H.block(A).dense(), (B.T @ B + 0.5 * np.eye(3))[np.ix_(A, A)])
    True
    """

    def __init__(self, B, e, root=None, columns=None):
        self._B, self._root, self._columns = B, root, columns
        width = B.shape[1] if B is not None else len(columns)
        self.dtype = (B if B is not None else root.B).dtype
        e = np.asarray(e, dtype=self.dtype)
        self.e = e if e.shape == (width,) else np.full(width, e, dtype=self.dtype)
        self._rows = (B if B is not None else root.B).shape[0]
        self._diagonal = self._dense = None
        self._seen = self._where = self._gram = self._B_seen = None  # the root's
        self._last_block = None  # the root's: the block asked last

    @property
    def B(self):
        """The factor's columns of this block (copied from the root's once)."""
        if self._B is None:
            self._B = self._root.B[:, self._columns]
        return self._B

    @property
    def woodbury(self):
        r"""Whether a solve takes Woodbury's identity: more than twice as many
        coordinates as rows (its :math:`2 m^2 |A| + \tfrac23 m^3` flops
        against the LU's :math:`\tfrac23 |A|^3`)."""
        return self.woodbury_on(self.e)

    def woodbury_on(self, A):
        """Whether the block of the features ``A`` takes Woodbury's identity."""
        return 2 * self._rows < len(A)

    def __matmul__(self, v):
        if self._dense is None and (self.woodbury or self._root is None):
            return self.B.T @ (self.B @ v) + self.e * v
        return self.dense() @ v  # the block's |A|^2 against 2 m |A|

    def diagonal(self):
        if self._diagonal is None:
            self._diagonal = np.einsum("ij,ij->j", self.B, self.B) + self.e
        return self._diagonal

    def block(self, A):
        """The block :math:`H_{AA}` (``A`` sorted indices), never formed
        until a solve or a product asks for it; the last one asked again
        where the features are the same (a search's step reads its active
        set's block for the gradient, the solve and the walk)."""
        root = self if self._root is None else self._root
        columns = A if self._columns is None else self._columns[A]
        last = root._last_block
        if last is not None and np.array_equal(last._columns, columns):
            return last
        root._last_block = LowRank(None, self.e[A], root, columns)
        return root._last_block

    def dense(self):
        r"""The block as a dense matrix (kept): from the root's Gram entries
        where it keeps them, else :math:`B^\top B`; plus the shift."""
        if self._dense is None:
            H = None if self._root is None else self._root._gram_block(self._columns)
            if H is None:
                H = self.B.T @ self.B
            H.flat[:: len(H) + 1] += self.e  # the diagonal
            self._dense = H
        return self._dense

    def _gram_block(self, A, rows=None):
        r""":math:`B_A^\top B_A` (its ``rows``, features of ``A``, where
        given) from the kept Gram entries of the features
        seen so far, the new ones' entries computed once (:math:`m |new|
        |seen|` flops; the buffers grow by doubling, not by a copy at each
        entering batch); None beyond ``GRAM_CACHE_MAX`` features seen."""
        if self._where is None:
            self._where = np.full(self.B.shape[1], -1)
            self._seen = np.empty(0, dtype=int)
            self._gram = np.empty((0, 0), dtype=self.dtype)
            self._B_seen = np.empty((self._rows, 0), dtype=self.dtype)
        new = A[self._where[A] < 0]
        k, n = len(self._seen), len(new)
        if k + n > GRAM_CACHE_MAX:
            return None
        if n:
            if k + n > len(self._gram):  # grow the buffers: twice, at least
                size = min(max(2 * len(self._gram), k + n, 64), GRAM_CACHE_MAX)
                gram = np.empty((size, size), dtype=self.dtype)
                gram[:k, :k] = self._gram[:k, :k]
                B_seen = np.empty((self._rows, size), dtype=self.dtype)
                B_seen[:, :k] = self._B_seen[:, :k]
                self._gram, self._B_seen = gram, B_seen
            B_new = self.B[:, new]
            cross = B_new.T @ self._B_seen[:, :k]
            self._gram[k : k + n, :k], self._gram[:k, k : k + n] = cross, cross.T
            self._gram[k : k + n, k : k + n] = B_new.T @ B_new
            self._B_seen[:, k : k + n] = B_new
            self._where[new] = np.arange(k, k + n)
            self._seen = np.append(self._seen, new)
        at = self._where[A]
        on = at if rows is None else self._where[rows]
        return self._gram.take(on, 0).take(at, 1)  # two takes: 2x fancy indexing

    def rows(self, N, A):
        r""":math:`H`'s rows ``N`` (features of ``A``), its columns ``A``: the
        kept Gram entries (of the factor's products beyond
        ``GRAM_CACHE_MAX`` features), the shift where they meet."""
        G = self._gram_block(A, N)
        if G is None:
            G = self.B[:, N].T @ self.B[:, A]
        G[N[:, None] == A] += self.e[N]
        return G

    def solve(self, r, shift=0.0):
        r"""The solution of :math:`(H + \operatorname{diag}(\text{shift}))
        x = r` by Woodbury's identity, :math:`E = \operatorname{diag}(e +
        \text{shift}) > 0`:

        .. math::

            x = E^{-1} (r - B^\top y), \qquad (I + B E^{-1} B^\top)\, y
            = B E^{-1} r,

        one ``m x m`` system, symmetric positive definite (its eigenvalues at
        least 1), for the solve and one step of iterative refinement: the
        identity is not backward stable (the difference :math:`r - B^\top y`
        cancels where :math:`E` is small against :math:`B^\top B`), and
        without the step the residual stayed a thousand times that of an LU
        solve (feature-sign search then stalled above a tight ``tol``). The
        solves are numpy's (its BLAS, as the products': scipy's LAPACK here
        woke a second BLAS's threads, which spun against numpy's, 4x
        slower on two cores)."""
        E = self.e + shift
        BE = self.B / E
        inner = BE @ self.B.T
        inner.flat[:: len(inner) + 1] += 1.0  # the diagonal

        def apply(v):  # (H + diag(shift))^-1 v
            return (v - self.B.T @ np.linalg.solve(inner, BE @ v)) / E

        x = apply(r)
        return x + apply(r - (self.B.T @ (self.B @ x) + E * x))
