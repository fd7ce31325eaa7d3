r"""Datafits: a loss composed with the linear model :math:`Z = XW + b`.

The smooth part of every objective of the package,

.. math::

    f(\theta) = L(X_c W + 1 b^\top), \qquad \theta = \begin{bmatrix} W \\ b^\top
    \end{bmatrix},

with :math:`X_c = X - 1 \bar{x}^\top` centered by the weighted mean
:math:`\bar{x} = X^\top s`. Centering is a change of coordinates (the intercept
in the original coordinates is :math:`b - \bar{x}^\top W`) that decouples
:math:`W` from :math:`b` and so speeds up gradient descent; it is never
materialized, so sparse ``X`` stays sparse and dense ``X`` is never copied:
:math:`X_c W = XW - 1(\bar{x}^\top W)` and
:math:`X_c^\top G = X^\top G - \bar{x} 1^\top G`.

A datafit is linear-then-nonlinear: ``linear(theta)`` is the only pass over the
data (:math:`X_c W + b`), and ``value``/``gradient`` take its output, so a solver
that combines iterates linearly (Nesterov's extrapolation) can combine their
images too instead of paying another pass.

Every datafit also gives its **metric** :math:`D`, the diagonal of
:math:`A^\top S A` with :math:`A = [X_c, 1]` (the curvature of the squared
error along each coordinate; 1 where a column is constant): the solvers
measure optimality as :math:`\max_j |g_j| / \sqrt{D_j}`, the gradient with
respect to the coefficients of standardized columns, which does not change
when a column is rescaled, and the first-order ones can step in it.

**The interface.** Solvers reach a datafit through these names alone (a test
of the layout holds them to it), so that a datafit of another storage (the
Gram matrix, row chunks on a cluster) serves every solver that its case
admits:

- ``linear(theta)``, ``value(theta, Z)``, ``gradient(theta, Z)``,
  ``value_gradient(theta, Z)``: the model and its first order;
  ``extrapolate(Z_new, Z, beta)``: :math:`Z_{new} + \beta (Z_{new} - Z)`, the
  image of an extrapolated point (in place of ``Z`` where it is an array);
- ``hessian_product(Z, V, AV=None)`` (``AV``: ``linear(V)`` where the
  caller has it), ``hessian_at(Z)`` (the same product as a function
  ``product(V, AV=None)`` at a fixed ``Z``, the loss's part there computed
  once), ``curvature(Z)`` (the per-sample
  :math:`s_i \ell''(z_i)`) and ``model_hessian(Z, ws)`` (:math:`A_\mathcal{W}^\top
  H A_\mathcal{W}`, :math:`A_\mathcal{W} = [X_c[:, \mathcal{W}], 1]`; with
  several outputs, of every output's coefficients, ordered as
  ``theta.ravel()``, or of those a ``mask`` holds) or, on dense in-memory
  data, its factor
  ``model_factor(Z, ws)``: second order, where the loss has one;
- ``metric()``, ``lipschitz(random_state, metric)``, ``sample_lipschitz()``:
  scales and step sizes;
- ``row_rank``: a bound on the rank of :math:`X_c` from its rows (those of
  a non-zero weight, less one where centered; None on the Gram matrix);
- ``n_samples``, ``n_features``, ``n_targets``, ``fit_intercept``, ``dtype``,
  ``sparse``, ``chunked`` (rows in chunks: no row or column access), ``loss``
  (for its declarations only): what the problem is; ``own_threads``: whether
  its passes run on the package's threads (the solver then holds BLAS on one);
- ``target(t)``: output ``t`` alone, where the loss treats the outputs apart
  (a datafit without it is solved for all outputs at once);
- ``batch(idx)``: rows, for mini-batches; ``by_columns()``: the same datafit
  stored for column slices; ``columns(ws)``: a view of the centered columns
  ``ws`` (:class:`ColumnView`) for working-set models;
- ``gram_form()``: :math:`(G, q, c)` where the datafit is a quadratic on the
  Gram matrix, else None; for the squared error on data in memory,
  ``kernel_form()`` (the rows' kernel matrix) and, on dense ``X``,
  ``factor_form()`` (the weighted centered rows: the Gram matrix's factor).

:func:`make_datafit` picks the storage: the Gram matrix for a quadratic loss
where one pass to form it beats the passes of the solver. This module imports
only numpy/scipy (and the package's thread pool).
"""

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ._parallel import map_row_ranges, n_threads
from ._products import (
    _PARALLEL_ENTRIES,
    _sum,
    column_moments,
    column_squares,
    gram_matrix,
    gram_moments,
    gram_operator,
    kernel_matrix,
    matmul_rows,
    rmatmul_rows,
)
from .linalg import largest_eigenvalue
from .losses import HalfSquaredError

__all__ = [
    "ColumnView",
    "LinearDatafit",
    "QuadraticDatafit",
    "centered_gram",
    "make_datafit",
]


# the names through which solvers reach a datafit (and a ColumnView), all
# of them: tests/test_layout.py holds the solvers of ``optimize`` to it
INTERFACE = frozenset(
    {"linear", "value", "gradient", "value_gradient", "hessian_product", "hessian_at",
     "curvature", "model_hessian", "metric", "lipschitz", "sample_lipschitz", "n_samples",
     "n_features", "n_targets", "fit_intercept", "dtype", "sparse", "loss",
     "batch", "by_columns", "columns", "gram_form", "extrapolate", "chunked",
     "own_threads", "target", "row_rank", "kernel_form", "factor_form",
     "model_factor",
     "kernel_pays"}
)  # fmt: skip
VIEW_INTERFACE = frozenset(
    {"size", "matvec", "rmatvec", "gram", "column_squares", "weighted_hessian"}
)


# dense data of at most this many features take the Gram form from as many
# rows as features on (correlated columns, interleaved medians: ridge 0.35-0.66
# of the data form's time from 60 x 50 to 390 x 200, lasso 0.11-0.70); and its
# Cholesky solve is exact (the least-norm solution where duplicated rows or
# collinear columns leave it singular)
SMALL_GRAM_FEATURES = 200
# a smooth quadratic (ridge, least squares) on dense data takes the Gram form
# up to this many features from as many rows as features on: the solver table
# factors it (exact), where conjugate gradient on the data stops at tol (at
# the default, ridge coefficients 0.3-1% off, and 100-190 iterations on
# correlated columns; 1.2-1.7 times the time on iid columns, 0.3-0.8 on
# correlated ones, 600-1,000 features)
EXACT_GRAM_FEATURES = 1000
# without a penalty, sparse data take it too where the matrix costs at most
# this many products per stored entry (sum_i k_i^2 / nnz, k_i the entries of
# row i: one-hot rows make one): its pivoted factor gives the least-norm
# minimizer on collinear columns, as LinearRegression
SPARSE_LEAST_NORM_PRODUCTS = 32
# a single fit with an L1 term (``working_sets``) takes the Gram form of dense
# data up to this many features, where the solver table's exact method on it
# (feature-sign search) stops; beyond, proximal Newton's working sets on the
# data form the Gram blocks of the features they need, where forming the
# whole matrix (n d^2 / 2) cost more than the fit on it (lasso and elastic
# nets of 1,300-4,000 rows, 600-1,000 features, against FISTA on the Gram
# matrix: 0.19-0.49x the time at 0.1 alpha_max, 0.28-0.66x at 0.01,
# 0.71-1.06x at 0.003, 0.81-1.17x at 0.001, where proximal Newton takes
# the whole model at once; from 200 features on instead, 1.1x slower on
# 250-500). A path, whose points share one Gram matrix, takes it up to
# 1,000 features.
WORKING_SET_GRAM_FEATURES = 500
# sparse X of at most this many entries (rows x columns) is fitted dense, and
# of at most DENSE_ENOUGH[0] entries (a 32 MB copy) where at least
# DENSE_ENOUGH[1] of them are stored (the copy then at most 2.7 times the
# sparse arrays): the dense solvers are exact on it (Gram, kernel,
# feature-sign models), where proximal Newton's sparse model solve (a
# diagonal-metric proximal gradient) crawled on a few coupled columns (5 x 30
# binary, 20 x 30 of rank 2, 1 x 120: thousands of iterations, seconds to
# minutes) and stopped at the default tol with objectives up to 35 times the
# optimum's (10 x 10,000 of columns scaled by 1e-3 to 1e3, 30% stored: 6 and
# 27 times for the lasso and the elastic net, the dense fit exact in 3-4
# iterations); at that size or density a dense pass costs no more than a
# sparse one
SMALL_SPARSE_ENTRIES = 4096
DENSE_ENOUGH = (1 << 22, 0.25)


def fits_dense(X):
    """Whether sparse ``X`` is small enough, or dense enough, to be fitted
    as a dense array (``SMALL_SPARSE_ENTRIES``, ``DENSE_ENOUGH``)."""
    entries = X.shape[0] * X.shape[1]
    most, share = DENSE_ENOUGH
    return entries <= SMALL_SPARSE_ENTRIES or (
        entries <= most and X.nnz >= share * entries
    )


def make_datafit(
    loss, X, y, s, fit_intercept=True, gram="auto", smooth=False, least_norm=False,
    working_sets=False,
):  # fmt: skip
    """The datafit of ``loss`` on ``X``, ``y`` (2-D) with weights ``s``
    summing to one, centered when ``fit_intercept``.

    ``gram``: True for the Gram form (:class:`QuadraticDatafit`, a quadratic
    loss only), False for products with ``X`` (:class:`LinearDatafit`),
    "auto" for the Gram form where the loss is quadratic and it pays
    (:func:`gram_pays`, told whether the penalty is ``smooth``, no L1 term,
    whether it is zero, ``least_norm``, and whether the fit on the data would
    take working sets, ``working_sets``: one fit with an L1 term). Sparse ``X`` that
    :func:`fits_dense` is fitted as a dense copy.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import make_datafit
    >>> from sklearn_foundations.losses import HalfPoissonDeviance, HalfSquaredError
    >>> X, y, s = np.ones((10, 2)), np.ones((10, 1)), np.full(10, 0.1)
    >>> type(make_datafit(HalfSquaredError(), X, y, s)).__name__
    'QuadraticDatafit'
    >>> type(make_datafit(HalfPoissonDeviance(), X, y, s)).__name__
    'LinearDatafit'
    """
    if sp.issparse(X) and fits_dense(X):
        X = X.toarray()
    if gram is True and not loss.quadratic:
        raise ValueError(
            f"The Gram form (precompute=True) needs a quadratic loss, the squared "
            f"error; got {loss!r}. Use precompute='auto' or False."
        )
    if gram is True or (
        gram == "auto"
        and loss.quadratic
        and gram_pays(
            X,
            smooth=smooth or least_norm,
            least_norm=least_norm,
            working_sets=working_sets,
        )
    ):
        return QuadraticDatafit.from_data(X, y, s, fit_intercept)
    return LinearDatafit.from_data(loss, X, y, s, fit_intercept)


def gram_pays(X, smooth=False, least_norm=False, working_sets=False):
    r"""Whether one pass to form :math:`X^\top S X` beats the passes of a
    solver on ``X``: ``n >= 2d``, and dense ``d <= 1000`` (one BLAS pass, syrk,
    beats many memory-bound ones; ``d <= WORKING_SET_GRAM_FEATURES`` where
    the fit on the data takes ``working_sets``, which form the blocks of the
    matrix they need) or sparse with :math:`d^2 \le` nnz and at
    most 64 entries per row (a Gram step must beat two sparse products);
    dense with ``d <= SMALL_GRAM_FEATURES`` from ``n >= d`` on.

    For a ``smooth`` penalty (no L1 term: the solver table then factors the
    Gram matrix, exact) dense data from ``n >= d`` up to
    ``EXACT_GRAM_FEATURES`` features; without a penalty (``least_norm``: the
    pivoted factor's least-norm minimizer) sparse data too, where the matrix
    costs at most ``SPARSE_LEAST_NORM_PRODUCTS`` products per stored
    entry."""
    n, d = X.shape
    if smooth and n >= d and d <= EXACT_GRAM_FEATURES:
        if not sp.issparse(X):
            return True
        if least_norm:
            row_sizes = _row_sizes(X).astype(np.float64)
            products = float(row_sizes @ row_sizes)
            if products <= SPARSE_LEAST_NORM_PRODUCTS * max(X.nnz, 1):
                return True
    small = not sp.issparse(X) and d <= SMALL_GRAM_FEATURES and n >= d
    if n < 2 * d and not small:
        return False
    if sp.issparse(X):
        return d * d <= X.nnz and X.nnz / n <= 64
    return d <= (WORKING_SET_GRAM_FEATURES if working_sets else 1000)


def _row_sizes(X):
    """The stored entries of each row of a sparse ``X``."""
    if X.format == "csc":
        return np.bincount(X.indices, minlength=X.shape[0])
    return np.diff(X.tocsr().indptr)


def _weighted_mean(X, s):
    """Column means of ``X`` weighted by ``s`` (summing to one), dense."""
    return np.asarray(X.T @ s).ravel() if sp.issparse(X) else s @ X


class LinearDatafit:
    r"""A loss on :math:`Z = X_c W + 1 b^\top`, applied through products with X.

    .. math::

        \nabla_W f = X_c^\top \frac{\partial L}{\partial Z}, \qquad
        \nabla_b f = \frac{\partial L}{\partial Z}^\top 1
        \qquad \text{(chain rule)}.

    Parameters
    ----------
    loss : loss object of :mod:`sklearn_foundations.losses`
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_targets)
    s : ndarray of shape (n_samples,)
        Normalized sample weights, summing to one.
    x_mean : ndarray of shape (n_features,) or None
        Centering vector; None for no centering.
    fit_intercept : bool
        Whether the last row of ``theta`` is an intercept.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> X, y = np.array([[1.0], [2.0]]), np.array([[1.0], [2.0]])
    >>> f = LinearDatafit(HalfSquaredError(), X, y, np.array([0.5, 0.5]))
    >>> theta = np.array([[1.0]])
    >>> f.value(theta, f.linear(theta))
    0.0
    """

    def __init__(self, loss, X, y, s, x_mean=None, fit_intercept=False):
        self.loss, self.X, self.y, self.s = loss, X, y, s
        self.x_mean = x_mean
        self.fit_intercept = fit_intercept
        self._metric = None
        self._n_threads = None
        self._centered_t = None
        self._row_rank = None
        self._kernel = None
        self._factor = None
        self._block = None  # (ws, G_ws): a quadratic loss's last Gram block
        # x_mean is the weighted mean of X's rows under s (from_data, and
        # the datafits of the same rows and weights): a quadratic loss's
        # intercept shares no curvature with the centered columns
        self.mean_of_rows = False

    moments = None

    @classmethod
    def from_data(cls, loss, X, y, s, fit_intercept=True):
        """The datafit centered by the weighted mean when ``fit_intercept``.
        For dense ``X``, the mean and the metric from one pass
        (:func:`~sklearn_foundations.linalg.column_moments`), kept as
        ``moments``, (mean, sums of squares) before the metric's floor: a NaN
        or an infinity in ``X`` makes them non-finite (the caller's
        finiteness check, :func:`~sklearn_foundations._compat.check_finite`)."""
        if sp.issparse(X):
            x_mean = _weighted_mean(X, s) if fit_intercept else None
            return cls(loss, X, y, s, x_mean, fit_intercept)
        if fit_intercept:
            x_mean, squares = column_moments(X, s)
        else:
            x_mean, squares = None, column_squares(X, s)
        datafit = cls(loss, X, y, s, x_mean, fit_intercept)
        datafit.mean_of_rows = fit_intercept
        datafit._set_metric(squares)
        datafit.moments = (squares,) if x_mean is None else (x_mean, squares)
        return datafit

    def metric(self):
        r"""The diagonal :math:`D` of :math:`A^\top S A`, :math:`A = [X_c, 1]`,
        one entry per row of ``theta`` (float64, computed once): the weighted
        sum of squares of each centered column, 1 for the intercept and for a
        column that is zero once centered."""
        if self._metric is None:
            self._set_metric(column_squares(self.X, self.s, self.x_mean, exact=False))
        return self._metric

    def _set_metric(self, squares):
        D = _positive(
            squares, self.x_mean, self.X.dtype, float(np.sum(self.s)), self.X.shape[0]
        )
        self._metric = np.concatenate((D, [1.0])) if self.fit_intercept else D
        self._underflowed = _underflowed(squares)

    def underflowed(self):
        """The columns whose centered squares underflow float64 (a positive
        sum of squares below its smallest normal number), which the metric
        took for constant columns; none where no metric was computed (no pass
        for it here)."""
        return getattr(self, "_underflowed", np.empty(0, dtype=int))

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def row_rank(self):
        r"""The rows of a non-zero weight, less one where the columns are
        centered: a bound on :math:`\operatorname{rank}(X_c)` (rows of zero
        weight do not count; centering removes one dimension)."""
        if self._row_rank is None:
            centered = self.x_mean is not None
            self._row_rank = int(np.count_nonzero(self.s)) - int(centered)
        return self._row_rank

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def n_targets(self):
        return self.y.shape[1]

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def sparse(self):
        return sp.issparse(self.X)

    chunked = False

    @property
    def own_threads(self):
        """Whether the passes over ``X`` run on the package's threads, each
        on a range of rows (one output, dense ``X`` of
        :data:`~sklearn_foundations._products._PARALLEL_ENTRIES` entries or
        more, more than one thread; see
        :func:`~sklearn_foundations.linalg.matmul_rows`): a solver then
        holds BLAS on one thread (:func:`~sklearn_foundations.optimize.minimize`),
        whose own threads, woken by a short product between passes, would
        spin on the cores that the passes take."""
        return self._threads() > 1

    def gram_form(self):
        """None: this datafit works on ``X`` itself."""
        return None

    def extrapolate(self, Z_new, Z, beta):
        r""":math:`Z_{new} + \beta (Z_{new} - Z)` in ``Z``'s buffer (one
        n x k array less)."""
        out = np.subtract(Z_new, Z, out=Z)
        out *= beta
        out += Z_new
        return out

    def curvature(self, Z):
        r"""Per sample and output, :math:`s_i \ell''(z_i)` at predictor ``Z``:
        the weights :math:`H` of the Hessian :math:`A^\top H A`."""
        return self.loss.curvature(self.y, Z, self.s)

    def model_hessian(self, Z, ws, mask=None):
        r""":math:`A_\mathcal{W}^\top H A_\mathcal{W}` at predictor ``Z`` (one
        output), :math:`A_\mathcal{W} = [X_c[:, \mathcal{W}], 1]` (the 1 with an
        intercept) and :math:`H = \operatorname{diag}(s_i \ell''(z_i))`: the
        matrix of a working-set quadratic model, one pass over its columns
        (one matrix product from the kept :math:`A^\top`'s rows, where it
        is kept; for a quadratic loss, from the last block where most of it
        is kept, :meth:`_kept_block`). With several outputs,
        :meth:`coupled_hessian` (on the coordinates of ``mask`` where
        given)."""
        if self.n_targets > 1:
            return self.coupled_hessian(Z, ws, mask)
        h = self.curvature(Z)[:, 0]
        AT = self._centered_transpose()
        if AT is not None:  # B B^T, B = A_W^T H^{1/2}: one matrix product
            root = np.sqrt(np.asarray(h, dtype=AT.dtype))
            if len(ws) == self.n_features:
                B = AT * root
            else:  # the working set's rows (and the intercept's), a copy
                d = self.n_features
                B = AT[np.concatenate((ws, [d])) if self.fit_intercept else ws]
                B *= root
            return B @ B.T
        view = self.columns(ws)
        if not (self.loss.quadratic and not self.sparse and len(ws) < self.n_features):
            return view.weighted_hessian(h, self.fit_intercept)
        G = self._kept_block(view, ws, h)
        if not self.fit_intercept:
            return G
        # X_c^T h, h = s times the loss's constant curvature: 0 where x_mean
        # is the weighted mean (no pass over X for it)
        border = np.zeros(len(ws)) if self.mean_of_rows else view.rmatvec(h)
        return _bordered(G, border, h.sum())

    def _kept_block(self, view, ws, h):
        r"""The Gram block :math:`X_{c,\mathcal{W}}^\top H X_{c,\mathcal{W}}`
        of a quadratic loss on dense ``X`` (its curvature :math:`H` is the
        weights: the same block at every point), from the last one asked for
        where at
        most half of ``ws`` is new: the kept entries copied, the new
        features' rows formed (:math:`2 n |new| |\mathcal{W}|` flops
        against the whole block's :math:`n |\mathcal{W}|^2`). A working
        set's model grows and settles over proximal Newton's iterations
        (800 x 2,000 lasso: 506, 433, 424, 424, 425 features, all but a few
        kept)."""
        G, last = None, self._block
        if last is not None and len(last[0]):
            prev, G_prev = last
            at = np.minimum(np.searchsorted(prev, ws), len(prev) - 1)
            new = np.flatnonzero(prev[at] != ws)
            if 2 * len(new) <= len(ws):
                G = G_prev.take(at, 0).take(at, 1)
                if len(new):
                    rows = view.gram_rows(h, new)
                    G[new], G[:, new] = rows, rows.T
        if G is None:
            G = view.gram(h)
        self._block = (np.array(ws), G)
        return G

    def model_factor(self, Z, ws):
        r"""The factor :math:`B = H^{1/2} A_\mathcal{W}` of
        :meth:`model_hessian`'s matrix (:math:`B^\top B`), one output, dense
        ``X``: the working set's centered columns, and the intercept's column
        of ones, scaled by the root of each row's curvature, ``n x (|W| +
        1)`` in float64 (a copy). Where the model has more coordinates than
        ``X`` has rows its matrix is of low rank, and its factor is what
        feature-sign search keeps
        (:class:`~sklearn_foundations.optimize._gram_solves.LowRank`)."""
        h = np.asarray(self.curvature(Z)[:, 0], dtype=np.float64)
        n = self.X.shape[0]
        B = self.columns(ws).dense_rows(0, n, self.fit_intercept)
        B = B.astype(np.float64, copy=False)
        B *= np.sqrt(np.maximum(h, 0.0))[:, None]
        return B

    def coupled_hessian(self, Z, ws, mask=None):
        r"""The Hessian of the coefficients ``ws`` (and the intercepts) of
        every output, :math:`\sum_i (\operatorname{diag}(d_i) - u_i
        u_i^\top) \otimes a_i a_i^\top` with :math:`a_i` the row of
        :math:`A_\mathcal{W}` and ``(D, U)`` the loss's
        ``curvature_blocks``: a matrix of size ``m k``, ``m`` the rows of
        ``theta``, ``k`` the outputs, ordered as ``theta.ravel()`` (row, then
        output); with ``mask`` (boolean, ``(m, k)``) only the coordinates
        it holds, in the same order (:meth:`_masked_coupled_hessian`). One
        output's block is
        :math:`A_\mathcal{W}^\top \operatorname{diag}(D_{:,c})
        A_\mathcal{W}`; the rank-one terms are one product :math:`C^\top
        C`, :math:`C_i = u_i \otimes a_i` (its masked entries), by blocks of
        rows (at most :data:`_COUPLED_ENTRIES` entries of :math:`C` at a
        time)."""
        D, U = self.loss.curvature_blocks(self.y, Z, self.s)
        view = self.columns(ws)
        if mask is not None:
            return self._masked_coupled_hessian(view, D, U, mask)
        k = D.shape[1]
        blocks = [view.weighted_hessian(D[:, c], self.fit_intercept) for c in range(k)]
        m = len(blocks[0])
        H = np.zeros((m, k, m, k), dtype=blocks[0].dtype)
        for c, block in enumerate(blocks):
            H[:, c, :, c] = block
        H = H.reshape(m * k, m * k)
        if U is not None:
            n = self.X.shape[0]
            rows = max(1, _COUPLED_ENTRIES // (m * k))
            for lo in range(0, n, rows):
                A = view.dense_rows(lo, min(lo + rows, n), self.fit_intercept)
                C = (A[:, :, None] * U[lo : lo + len(A), None, :]).reshape(len(A), -1)
                H -= C.T @ C
        return H

    def _masked_coupled_hessian(self, view, D, U, mask):
        r""":meth:`coupled_hessian` on the coordinates of ``mask`` alone, in
        one pass over the working set's centered rows, by blocks: each
        output's block :math:`A_{R_c}^\top \operatorname{diag}(D_{:,c})
        A_{R_c}` over its own rows :math:`R_c` (the features the mask holds
        for it: :math:`n \sum_c |R_c|^2` flops where the whole blocks cost
        :math:`n k m^2`) and the rank-one terms :math:`C^\top C` over the
        masked columns of :math:`C` (at most :data:`_MASKED_ENTRIES`
        entries of it at a time; a small model in two products,
        :meth:`_small_masked_hessian`); in float64 whatever the data's dtype (a
        softmax's model is singular along each row's shift, which float32's
        rounding of its entries would not leave null)."""
        rows, outputs = np.nonzero(mask)  # row-major: theta.ravel()'s order
        D = np.asarray(D, dtype=np.float64)
        U = None if U is None else np.asarray(U, dtype=np.float64)
        n = self.X.shape[0]
        if n * len(rows) ** 2 <= _MASKED_SMALL_FLOPS:
            return self._small_masked_hessian(view, D, U, rows, outputs)
        at = [np.flatnonzero(outputs == c) for c in range(mask.shape[1])]
        H = np.zeros((len(rows), len(rows)))
        blocks = [np.zeros((len(pos), len(pos))) for pos in at]
        step = max(1, _MASKED_ENTRIES // max(len(rows), mask.shape[0], 1))
        for lo in range(0, n, step):
            A = view.dense_rows(lo, min(lo + step, n), self.fit_intercept)
            A = A.astype(np.float64, copy=False)
            for c, pos in enumerate(at):
                A_c = A[:, rows[pos]]
                blocks[c] += (A_c * D[lo : lo + len(A), c, None]).T @ A_c
            if U is not None:
                C = A[:, rows] * U[lo : lo + len(A), outputs]
                H -= C.T @ C
        for pos, block in zip(at, blocks, strict=True):
            H[np.ix_(pos, pos)] += block
        return H

    def _small_masked_hessian(self, view, D, U, rows, outputs):
        r""":meth:`_masked_coupled_hessian` of a small model in two products
        over every row: the outputs' blocks from one product over all the
        masked columns, :math:`(A D)^\top A` kept where the two coordinates
        share their output (``k`` times the flops of the blocks alone, but
        none of their indexing: on iris, 45 us a model against 115)."""
        A = view.dense_rows(0, self.X.shape[0], self.fit_intercept)
        A = A.astype(np.float64, copy=False)[:, rows]
        H = (A * D[:, outputs]).T @ A
        H *= outputs[:, None] == outputs[None, :]
        if U is not None:
            C = A * U[:, outputs]
            H -= C.T @ C
        return H

    def _centered_transpose(self):
        r""":math:`A^\top = [X_c, 1]^\top` (the row of ones with an
        intercept), row-major, kept for a small dense ``X`` (at most
        :data:`_CENTERED_ENTRIES` entries: a copy of 1 MB at most, as
        large as one block of :func:`~sklearn_foundations.linalg.gram_matrix`),
        whose Newton fits form a Hessian at each step and would center
        ``X`` again for each. Every pass is then one product with it:
        :math:`A \theta` and :math:`A^\top G` (at 569 x 30, 5 us against
        15 us for the product with ``X`` centered after), and the Hessian
        :math:`B B^\top` with the rows of :math:`B = A^\top H^{1/2}` scaled
        along their length, its intercept's row and column included (at
        455 x 30, 32 us against 58 us centering and scaling ``X`` by
        blocks; at 569 x 30, 39 us against 60 us bordering :math:`X_c^\top
        H X_c` after). At 8,000 x 100 a fit was slower with the copy (two
        arrays of 6 MB in the cache). None for other ``X``."""
        if self._centered_t is None and not self.sparse:
            X = self.X
            if X.size <= _CENTERED_ENTRIES:
                n, d = X.shape
                AT = np.empty((d + int(bool(self.fit_intercept)), n), X.dtype)
                mean = self.x_mean
                c = 0 if mean is None else np.asarray(mean, X.dtype)[:, None]
                np.subtract(X.T, c, out=AT[:d])  # X^T minus the centers
                AT[d:] = 1.0
                self._centered_t = AT
        return self._centered_t

    @property
    def kernel_pays(self):
        r"""Whether the kernel form pays, its matrix :math:`m^2 d / 2` flops in
        dense products: for dense ``X`` always (about :math:`m / 40` passes
        of conjugate gradient, which stops at ``tol``; the solver table takes
        it up to 1,000 rows), for sparse ``X`` where :math:`m^2 d \le`
        ``_KERNEL_SPARSE_RATIO`` stored entries (about ten passes: its
        blocks are made dense)."""
        if not self.sparse:
            return True
        n, d = self.X.shape
        return n * n * d <= _KERNEL_SPARSE_RATIO * self.X.nnz

    def kernel_form(self):
        r"""The squared error on few rows in its kernel form: with
        :math:`B = S^{1/2} X_c` (the rows of a non-zero weight) and
        :math:`T = S^{1/2} Y_c`, the objective's coefficients are
        :math:`W = B^\top U` for :math:`(B B^\top + \lambda I) U = T`
        (the push-through identity), :math:`\lambda` the L2 term. Returns
        ``(K, T, transpose)``: :math:`K = B B^\top`, an ``m x m`` matrix
        of the ``m`` weighted rows (float64, kept: a path's fits factor it
        again with another :math:`\lambda`), :math:`T`, and ``transpose``,
        :math:`V \mapsto B^\top V` (one pass). The columns are centered by
        blocks before their products
        (:func:`~sklearn_foundations.linalg.kernel_matrix`: no digits lost to
        a large mean; sparse ones made dense block by block). For the squared
        error only."""
        if not isinstance(self.loss, HalfSquaredError):
            raise ValueError(
                f"The kernel form is the squared error's; got {self.loss!r}."
            )
        if self._kernel is None:
            rows, root, X, T = self._weighted_rows()
            K = kernel_matrix(X, self.x_mean)
            K *= root[:, None]
            K *= root
            self._kernel = (K, T, rows, root)
        K, T, rows, root = self._kernel

        def transpose(V):
            U = np.zeros((self.X.shape[0], V.shape[1]), dtype=np.float64)
            U[rows] = root[:, None] * V
            BU = np.asarray(self.X.T @ U)
            if self.x_mean is not None:
                BU -= np.outer(self.x_mean, U.sum(axis=0))
            return BU

        return K, T, transpose

    def factor_form(self):
        r"""The squared error as :math:`\tfrac12 \|T - B W\|^2` (the
        intercept's part apart), :math:`B = S^{1/2} X_c` and :math:`T =
        S^{1/2} Y_c` over the rows of a non-zero weight: ``(B, T)``, dense
        float64 arrays (a centered copy of the rows, ``B`` stored by columns:
        the solvers take its blocks of columns). For dense ``X`` and the
        squared error only: where ``X`` has fewer rows than columns,
        :math:`B` is the factor of the Gram matrix that feature-sign search
        keeps (:class:`~sklearn_foundations.optimize._gram_solves.LowRank`).
        Kept, read-only: a regularization path asks for it at each of its
        points on the same datafit."""
        if not isinstance(self.loss, HalfSquaredError) or self.sparse:
            raise ValueError(
                "The factor form is the squared error's on dense X; got "
                f"{self.loss!r} on {'sparse' if self.sparse else 'dense'} X."
            )
        if self._factor is None:
            _, root, X, T = self._weighted_rows()
            # a copy, centered then weighted; by columns, whose blocks the
            # solvers take
            B = np.array(X, dtype=np.float64, order="F")
            if self.x_mean is not None:
                B -= np.asarray(self.x_mean, dtype=np.float64)
            B *= root[:, None]
            B.flags.writeable = T.flags.writeable = False
            self._factor = (B, T)
        return self._factor

    def _weighted_rows(self):
        r"""What the kernel and factor forms share: the rows of a non-zero
        weight, the roots of their weights, those rows of ``X`` and
        :math:`T = S^{1/2} Y_c` (float64; :math:`Y` centered by its
        weighted mean where there is an intercept)."""
        rows = np.flatnonzero(self.s)
        root = np.sqrt(self.s[rows].astype(np.float64))
        X = self.X if len(rows) == self.X.shape[0] else self.X[rows]
        Y = np.asarray(self.y[rows], dtype=np.float64)
        if self.fit_intercept:
            Y = Y - self.s @ np.asarray(self.y, dtype=np.float64)
        return rows, root, X, root[:, None] * Y

    def by_columns(self):
        """The datafit on ``X`` stored for column slices: a CSC copy of CSR
        ``X``, with its metric computed (the work a solver can run beside
        another); the datafit itself where ``X`` already slices columns."""
        if not self.sparse or self.X.format == "csc":
            return self
        other = self.with_X(self.X.tocsc())
        other.metric()
        return other

    def columns(self, ws):
        """The centered columns ``ws`` (sorted indices), a :class:`ColumnView`."""
        return ColumnView(self.X, ws, self.x_mean)

    def _split(self, theta):
        d = self.X.shape[1]
        return theta[:d], (theta[d] if self.fit_intercept else None)

    def _offset(self, W, b):
        """:math:`b - \\bar{x}^\\top W`, the intercept of uncentered ``X``."""
        offset = 0.0 if self.x_mean is None else -(self.x_mean @ W)
        return offset if b is None else offset + b

    def linear(self, theta):
        """The linear predictor :math:`Z = X_c W + 1 b^\\top` (:math:`A
        \\theta`, one product, where :math:`A^\\top` is kept)."""
        AT = self._centered_transpose()
        if AT is not None:  # column-major: each output's column contiguous
            return (theta.T @ AT).T
        W, b = self._split(theta)
        offset = self._offset(W, b)
        if not W.any():  # a zero start: no pass over X
            dtype = np.result_type(self.X.dtype, W.dtype)
            Z = np.zeros((self.X.shape[0], W.shape[1]), dtype=dtype, order="F")
        elif sp.issparse(self.X):
            Z = np.asarray(self.X @ W)
        else:  # column-major: each output's column contiguous (see losses)
            Z = matmul_rows(self.X, W)
        Z += offset  # in place: no second n x k buffer
        return Z

    def value(self, theta, Z):
        def part(i):
            return self.loss.value(self.y[i], Z[i], self.s[i])

        return sum(self._over_rows(part))

    def gradient(self, theta, Z):
        def part(i):
            return self._back(i, self.loss.gradient(self.y[i], Z[i], self.s[i]))

        return self._finish(self._over_rows(part))

    def value_gradient(self, theta, Z):
        """``value`` and ``gradient`` together, sharing the loss's work where
        the loss offers ``value_gradient``."""
        if not hasattr(self.loss, "value_gradient"):
            return self.value(theta, Z), self.gradient(theta, Z)

        def part(i):
            value, G = self.loss.value_gradient(self.y[i], Z[i], self.s[i])
            return self._back(i, G) + (value,)

        parts = self._over_rows(part)
        return sum(p[2] for p in parts), self._finish(parts)

    def hessian_product(self, Z, V, AV=None):
        r"""The datafit's Hessian at predictor ``Z`` applied to a direction
        ``V`` (shaped like ``theta``): :math:`A^\top (\nabla^2 \ell\, A V)`,
        :math:`A = [X_c, 1]`, two passes over ``X`` (chain rule twice); one
        where the caller has the image ``AV`` (``linear(V)``) already."""
        AV = self.linear(V) if AV is None else AV

        def part(i):
            H = self.loss.hessian_product(self.y[i], Z[i], self.s[i], AV[i])
            return self._back(i, H)

        return self._finish(self._over_rows(part))

    def hessian_at(self, Z):
        r""":meth:`hessian_product` at the fixed predictor ``Z`` as a function
        ``product(V, AV=None)``: the loss's part at ``Z`` (``loss.hessian_at``,
        its sigmoid or softmax) computed once, per range of rows, for every
        product (a Newton step's conjugate gradient takes several at one
        ``Z``)."""
        ops = dict(
            self._over_rows(
                lambda i: (
                    (i.start, i.stop),
                    self.loss.hessian_at(self.y[i], Z[i], self.s[i]),
                )
            )
        )

        def product(V, AV=None):
            AV = self.linear(V) if AV is None else AV
            return self._finish(
                self._over_rows(lambda i: self._back(i, ops[i.start, i.stop](AV[i])))
            )

        return product

    def _threads(self):
        """Threads over which the passes split the rows (see ``own_threads``),
        counted once."""
        if self._n_threads is None:
            n, d = self.X.shape
            split = not self.sparse and self.y.shape[1] == 1
            self._n_threads = n_threads() if split and n * d >= _PARALLEL_ENTRIES else 1
        return self._n_threads

    def _over_rows(self, job):
        """``[job(rows), ...]`` over ranges of rows, one per thread where the
        passes split them, else ``[job(all rows)]``: each range's pass over
        ``X`` and the loss's work on its samples run side by side."""
        threads = self._threads()
        if threads == 1:
            return [job(_ALL)]
        return map_row_ranges(
            lambda lo, hi: job(slice(lo, hi)), self.X.shape[0], threads
        )

    def _back(self, rows, G):
        r"""One range's share of :math:`A^\top G`: :math:`X_i^\top G_i` (one
        column by ``einsum`` where the rows are split, see
        :func:`~sklearn_foundations.linalg.rmatmul_rows`) and the sum of
        :math:`G_i`'s rows; :math:`A^\top G` whole (and None) where
        :math:`A^\top` is kept."""
        AT = self._centered_t
        if rows is _ALL and AT is not None:
            return AT @ G, None
        if rows is _ALL:
            XtG = np.asarray(self.X.T @ G)
        elif G.shape[1] == 1:
            XtG = np.einsum("ij,i->j", self.X[rows], G[:, 0])[:, None]
        else:
            XtG = self.X[rows].T @ G
        return XtG, G.sum(axis=0)

    def _finish(self, parts):
        r""":math:`A^\top G` from the ranges' shares: the centering's
        correction :math:`-\bar{x} 1^\top G` and the intercept's row."""
        grad_W, g_sum = parts[0][:2]
        if g_sum is None:  # A^T G already
            return grad_W
        if len(parts) > 1:  # fresh arrays: summed in place
            grad_W, g_sum = _sum([p[0] for p in parts]), _sum([p[1] for p in parts])
        if self.x_mean is not None:  # np.outer's product, without its wrapper
            grad_W = grad_W - self.x_mean[:, None] * g_sum
        if not self.fit_intercept:
            return grad_W
        return np.concatenate((grad_W, g_sum[None, :]))

    def lipschitz(self, random_state=0, metric=None):
        r""":math:`\ell'' \cdot \lambda_{\max}` of the Hessian bound
        :math:`[X_c, 1]^\top S [X_c, 1]`, block diagonal after centering; with
        ``metric`` :math:`D`, of :math:`D^{-1/2} [X_c, 1]^\top S [X_c, 1]
        D^{-1/2}` (the constant of gradient steps in that metric)."""
        op = gram_operator(self.X, self.s, self.x_mean)
        if metric is not None:
            op = _scaled(op, metric[: self.X.shape[1]])
        lam = largest_eigenvalue(op, random_state=random_state)
        if self.fit_intercept and self.x_mean is not None:
            lam = max(lam, 1.0)  # centered: the intercept block is separate
        elif self.fit_intercept:
            lam = lam + 1.0  # uncentered: bound the coupled [X, 1] block
        return self.loss.lipschitz * lam

    def sample_lipschitz(self):
        r"""Largest single-sample constant :math:`\max_i n s_i \ell''
        \|(x_i - \bar{x}, 1)\|^2`, the safe step of stochastic gradient."""
        X = self.X
        if sp.issparse(X):
            sq = np.asarray(X.multiply(X).sum(axis=1)).ravel()
            if self.x_mean is not None:
                sq = (
                    sq
                    - 2 * np.asarray(X @ self.x_mean).ravel()
                    + self.x_mean @ self.x_mean
                )
        else:
            Xc = X if self.x_mean is None else X - self.x_mean
            sq = np.einsum("ij,ij->i", Xc, Xc)
        sq = sq + float(self.fit_intercept)
        return self.loss.lipschitz * float(np.max(self.n_samples * self.s * sq))

    def with_X(self, X):
        """The same datafit on another storage of the same matrix (e.g. CSC);
        the metric carries over."""
        other = LinearDatafit(
            self.loss, X, self.y, self.s, self.x_mean, self.fit_intercept
        )
        other._metric, other.mean_of_rows = self._metric, self.mean_of_rows
        if hasattr(self, "_underflowed"):
            other._underflowed = self._underflowed
        return other

    def target(self, t):
        """The datafit of output ``t`` alone, for a loss that treats the
        outputs apart (not the softmax): the same ``X``, its metric and
        stored transpose carried over."""
        other = LinearDatafit(
            self.loss, self.X, np.asfortranarray(self.y[:, t : t + 1]), self.s,
            self.x_mean, self.fit_intercept,
        )  # fmt: skip
        other._metric, other._centered_t = self._metric, self._centered_t
        other.mean_of_rows = self.mean_of_rows
        if hasattr(self, "_underflowed"):
            other._underflowed = self._underflowed
        return other

    def batch(self, idx):
        """The datafit on rows ``idx``, reweighted to be an unbiased estimate."""
        s = self.s[idx] * (self.n_samples / len(idx))
        return LinearDatafit(
            self.loss, self.X[idx], self.y[idx], s, self.x_mean, self.fit_intercept
        )


class QuadraticDatafit:
    r"""Half squared error from the Gram matrix, computed once.

    With :math:`G = X_c^\top S X_c`, :math:`q = X_c^\top S y_c` and
    :math:`y_c = y - \bar{y}`, the half mean squared error is

    .. math::

        f(W, b) = \tfrac12 \operatorname{tr}(W^\top G W) - \operatorname{tr}(q^\top W)
        + c + \tfrac12 \|b - \bar{y}\|^2,
        \qquad \nabla_W f = G W - q, \quad \nabla_b f = b - \bar{y},

    so each gradient costs :math:`O(d^2)` instead of :math:`O(nd)`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit, centered_gram
    >>> X, y = np.array([[0.0], [2.0]]), np.array([[1.0], [5.0]])
    >>> s = np.array([0.5, 0.5])
    >>> f = QuadraticDatafit(*centered_gram(X, y, s), fit_intercept=True)
    >>> theta = np.array([[2.0], [3.0]])  # slope 2, centered intercept 3
    >>> f.value(theta, f.linear(theta))
    0.0
    """

    def __init__(self, G, q, y_mean, c, fit_intercept=True):
        self.G, self.q, self.y_mean, self.c = G, q, y_mean, c
        self.fit_intercept = fit_intercept
        self.x_mean = None
        self._metric = None

    n_samples = None  # the rows are summed into G: no mini-batches
    row_rank = None
    sparse = False
    chunked = False
    extrapolate = LinearDatafit.extrapolate

    @property
    def n_features(self):
        return self.G.shape[0]

    @property
    def n_targets(self):
        return self.q.shape[1]

    @property
    def dtype(self):
        return self.G.dtype

    @property
    def loss(self):
        """The half squared error, whose moments these are."""
        return HalfSquaredError()

    own_threads = False  # its passes are on G, small: BLAS's threads serve

    @property
    def moments(self):
        """``(G, q)``, sums over every entry of ``X`` (a NaN or an infinity
        in ``X`` makes them non-finite), as :attr:`LinearDatafit.moments`."""
        return self.G, self.q

    def gram_form(self):
        r""":math:`(G, q, c)`: the objective of ``W`` is
        :math:`\tfrac12 \operatorname{tr}(W^\top G W) - \operatorname{tr}(q^\top W) + c`,
        the intercept's part :math:`\tfrac12 \|b - \bar{y}\|^2` apart."""
        return self.G, self.q, self.c

    def hessian_product(self, A, V, AV=None):
        """:math:`[G V_W; V_b]`: the Hessian is constant, and that is
        ``linear(V)``, ``AV`` where the caller has it."""
        if AV is not None:
            return AV
        W, b = self._split(V)
        GV = self.G @ W
        return GV if b is None else np.concatenate((GV, b[None, :]))

    def hessian_at(self, A):
        """:meth:`hessian_product` as a function of the direction (the
        Hessian is constant)."""
        return lambda V, AV=None: self.hessian_product(A, V, AV)

    def model_hessian(self, A, ws):
        r"""The Hessian of the coefficients ``ws`` (sorted indices) and the
        intercept, constant: :math:`G_{\mathcal{W}\mathcal{W}}` bordered by
        the intercept's 1 (no cross term: the columns are centered), as
        :meth:`LinearDatafit.model_hessian`; ``A`` is not read. With several
        targets, the same block for each, ordered as ``theta.ravel()``: the
        Kronecker product with the identity."""
        G = self.G[np.ix_(ws, ws)]
        H = _bordered(G, 0.0, 1.0) if self.fit_intercept else G
        k = self.n_targets
        return H if k == 1 else np.kron(H, np.eye(k, dtype=H.dtype))

    def metric(self):
        """The diagonal of :math:`G` (and 1 for the intercept), as
        :meth:`LinearDatafit.metric`; kept for the ``x_mean`` it was computed
        with (the callers that center set it after construction)."""
        if self._metric is None or self._metric[0] is not self.x_mean:
            D = _positive(np.diag(self.G), self.x_mean, self.G.dtype)
            self._metric = (
                self.x_mean,
                np.concatenate((D, [1.0])) if self.fit_intercept else D,
            )
        return self._metric[1]

    def underflowed(self):
        """As :meth:`LinearDatafit.underflowed`, from the diagonal of
        :math:`G`."""
        return _underflowed(np.diag(self.G))

    @classmethod
    def from_data(cls, X, y, s, fit_intercept=True):
        """The datafit of ``X``, ``y`` (2-D) with weights ``s`` summing to one;
        ``x_mean`` holds the weighted column means (None without intercept)."""
        if not fit_intercept:
            return cls(*centered_gram(X, y, s, 0.0, 0.0), fit_intercept=False)
        x_mean, *moments = _centered_moments(X, y, s)
        datafit = cls(*moments, fit_intercept=True)
        datafit.x_mean = x_mean
        return datafit

    @classmethod
    def from_gram(cls, gram, X, y, s, total, fit_intercept=True, x_mean=None):
        r"""The datafit of ``X``, ``y`` (2-D) with weights ``s`` summing to
        one, from a given Gram matrix ``gram`` :math:`= X_c^\top
        \operatorname{diag}(t s) X_c` (scikit-learn's ``precompute`` array:
        :math:`t` = ``total``, ``n_samples`` for its weights rescaled to sum
        to it; :math:`X_c` centered at the weighted means with
        ``fit_intercept``, else ``X``): one pass over
        ``X`` for :math:`q = X_c^\top S y_c` (and the means, unless given
        as ``x_mean``), none for :math:`G`. Raises a ValueError where ``gram`` is not square of the
        features' size, not finite or not symmetric, or where its diagonal
        or scikit-learn's checked entry is not the data's
        (:func:`_check_gram`)."""
        d = X.shape[1]
        loose = np.asarray(gram).dtype == np.float32  # its rounding: 1e-4
        G = np.asarray(gram, dtype=np.float64)
        if G.shape != (d, d) or not np.all(np.isfinite(G)) or not np.allclose(G, G.T):
            raise ValueError(
                f"precompute must be the Gram matrix of X, a finite symmetric array "
                f"of shape ({d}, {d}); got an array of shape {G.shape}"
                + ("" if G.shape != (d, d) else " that is not finite or symmetric")
                + ". Pass precompute='auto' to form it from X."
            )
        if not fit_intercept:
            x_mean = np.zeros(d)
        elif x_mean is None:
            x_mean = np.asarray(X.T @ s).ravel()
        y_mean = s @ y if fit_intercept else np.zeros(y.shape[1])
        y_c = y - y_mean
        Sy = s[:, None] * y_c
        q = np.asarray(X.T @ Sy) - np.outer(x_mean, Sy.sum(axis=0))
        _check_gram(G, X, total * s, x_mean, 1e-4 if loose else 1e-7)
        datafit = cls(
            G / total, q, y_mean, 0.5 * float(np.sum(Sy * y_c)), fit_intercept
        )
        datafit.x_mean = x_mean if fit_intercept else None
        return datafit

    def _split(self, theta):
        d = self.G.shape[0]
        return theta[:d], (theta[d] if self.fit_intercept else None)

    def linear(self, theta):
        W, b = self._split(theta)
        GW = self.G @ W
        return GW if b is None else np.concatenate((GW, b[None, :]))

    def value(self, theta, A):
        W, b = self._split(theta)
        GW = A[: len(W)]
        val = 0.5 * (W * GW).sum() - (self.q * W).sum() + self.c
        if b is not None:
            val += 0.5 * ((b - self.y_mean) ** 2).sum()
        return float(val)

    def gradient(self, theta, A):
        W, b = self._split(theta)
        grad_W = A[: len(W)] - self.q
        if b is None:
            return grad_W
        return np.concatenate((grad_W, (b - self.y_mean)[None, :]))

    def value_gradient(self, theta, A):
        return self.value(theta, A), self.gradient(theta, A)

    def lipschitz(self, random_state=0, metric=None):
        G = self.G
        if metric is not None:
            r = 1.0 / np.sqrt(metric[: len(G)])
            G = G * np.outer(r, r).astype(G.dtype)
        lam = largest_eigenvalue(G, random_state=random_state)
        return max(lam, 1.0) if self.fit_intercept else lam


class ColumnView:
    r"""The centered columns :math:`X_c[:, \mathcal{W}]` of a working set.

    The products a working-set model needs, without forming
    :math:`X_c`: ``matvec(u)`` :math:`= X_c[:, \mathcal{W}] u`, ``rmatvec(r)``
    :math:`= X_c[:, \mathcal{W}]^\top r`, ``gram(h)`` :math:`=
    X_c[:, \mathcal{W}]^\top H X_c[:, \mathcal{W}]` (dense) and
    ``column_squares(h)``, its diagonal, and ``dense_rows`` (a block of
    rows, dense). Sparse ``X`` (CSC) is sliced once;
    dense ``X`` is read in place, by column index.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import ColumnView
    >>> X = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 2.0]])
    >>> view = ColumnView(X, np.array([0, 2]), X.mean(axis=0))
    >>> view.gram(np.full(2, 0.5))  # centered columns [-1, 1] and [-1, 1]
    array([[1., 1.],
           [1., 1.]])
    """

    def __init__(self, X, ws, x_mean=None):
        self.size = len(ws)
        whole = len(ws) == X.shape[1]
        self._ws = None if whole else ws
        if sp.issparse(X) and not whole:
            X = X[:, ws]
            self._ws = None
        self._X = X
        self._XT = X.T  # a sparse transpose is an object built per call: once
        if x_mean is None:
            center = np.zeros(len(ws), X.dtype)
        else:
            center = x_mean if whole else x_mean[ws]
        self.center = np.asarray(center, dtype=X.dtype)

    def _cols(self, v):
        return v if self._ws is None else v[self._ws]

    def matvec(self, u):
        X = self._X
        if self._ws is not None:
            full = np.zeros(X.shape[1], dtype=np.result_type(X.dtype, u.dtype))
            full[self._ws] = u
            u = full
        if sp.issparse(X):
            Xu = np.asarray(X @ u).ravel()
        else:
            Xu = matmul_rows(X, u[:, None])[:, 0]
        return Xu - self.center @ self._cols(u)

    def rmatvec(self, r):
        if sp.issparse(self._X):
            XTr = np.asarray(self._XT @ r).ravel()
        else:
            XTr = rmatmul_rows(self._X, r[:, None])[:, 0]
        return self._cols(XTr) - self.center * r.sum()

    def gram(self, h):
        return gram_matrix(self._X, h, self.center, columns=self._ws)

    def gram_rows(self, h, rows):
        """The rows ``rows`` (positions among these columns) of
        :meth:`gram`, without the others."""
        return gram_matrix(self._X, h, self.center, columns=self._ws, rows=rows)

    def column_squares(self, h):
        X = self._X if self._ws is None else self._X[:, self._ws]
        return column_squares(X, h, self.center, exact=False)

    def dense_rows(self, lo, hi, intercept):
        """Rows ``lo:hi`` of these centered columns, dense (and a column of
        ones with ``intercept``)."""
        X = self._X[lo:hi]
        X = X if self._ws is None else X[:, self._ws]
        X = X.toarray() if sp.issparse(X) else np.asarray(X)
        out = np.empty((hi - lo, X.shape[1] + int(bool(intercept))), dtype=X.dtype)
        np.subtract(X, self.center, out=out[:, : X.shape[1]])
        if intercept:
            out[:, -1] = 1.0
        return out

    def weighted_hessian(self, h, intercept):
        r""":math:`[X_c, 1]^\top H [X_c, 1]` of these columns (without the 1
        and its row and column unless ``intercept``)."""
        G = self.gram(h)
        return _bordered(G, self.rmatvec(h), h.sum()) if intercept else G


_ALL = slice(None)  # every row: one range, the datafit's arrays themselves
# m^2 d flops per stored entry of sparse X up to which its kernel form pays
# (a pass of conjugate gradient costs about 60 of them per entry: 10 passes)
_KERNEL_SPARSE_RATIO = 600
_CENTERED_ENTRIES = 1 << 17  # LinearDatafit keeps [X_c, 1]^T up to these entries
_COUPLED_ENTRIES = 1 << 20  # a block of rows of the coupled Hessian's C (8 MB)
# ... of its masked form (1 MB: a fresh block of several MB costs its page
# faults, 14 ms where blocks of 1 MB take 7 at 1,797 x 284)
_MASKED_ENTRIES = 1 << 17
# a masked coupled Hessian of at most this many flops (rows times its size
# squared) in two products over every row (_small_masked_hessian)
_MASKED_SMALL_FLOPS = 1 << 20


def _bordered(G, column, corner):
    r"""The intercept's row and column around a Hessian block:
    :math:`\begin{bmatrix} G & v \\ v^\top & c \end{bmatrix}` (:math:`v =
    X_c^\top h`, :math:`c = 1^\top h`), in ``G``'s dtype."""
    d = len(G)
    out = np.empty((d + 1, d + 1), dtype=G.dtype)
    out[:-1, :-1] = G
    out[:-1, -1] = out[-1, :-1] = column
    out[-1, -1] = corner
    return out


def _underflowed(squares):
    """Indices of the positive sums of squares below float64's smallest normal
    number: columns that vary, whose squares underflow."""
    D = np.asarray(squares, dtype=np.float64)
    return np.flatnonzero((D > 0) & (D <= np.finfo(np.float64).tiny))


def _positive(D, center=None, dtype=np.float64, total=1.0, n_samples=1):
    r"""The metric with 1 where a column has no curvature: zero, or, centered,
    no more than the rounding of its center, :math:`D_j \le (16 \sqrt{n}
    \epsilon c_j)^2 \sum s` (a constant column, whose centered values are
    all the error of its mean, a sum of ``n_samples`` terms: seen at 21 ulps
    of :math:`c_j` on 1,437 rows). Such a coordinate's gradient is zero up
    to that noise, which the unit scale keeps negligible; a scale of the
    noise's own size would magnify it to order one."""
    D = np.asarray(D, dtype=np.float64)
    floor = np.finfo(np.float64).tiny
    if center is not None:
        eps = 16 * math.sqrt(n_samples) * np.finfo(dtype).eps
        floor = np.maximum(floor, (eps * np.asarray(center, np.float64)) ** 2 * total)
    return np.where(D > floor, D, 1.0)


def _scaled(op, D):
    r"""The operator :math:`D^{-1/2} A D^{-1/2}`."""
    r = 1.0 / np.sqrt(D)

    def matmat(V):
        V = V.reshape(len(r), -1)
        return r[:, None] * (op @ (r[:, None] * V).astype(op.dtype))

    return LinearOperator(op.shape, matvec=matmat, matmat=matmat, dtype=op.dtype)


def centered_gram(X, y, s, x_mean=None, y_mean=None, chunk_size=None):
    r"""Gram matrix and moments of the weighted, centered data.

    Returns :math:`G = X_c^\top S X_c` (:func:`~sklearn_foundations.linalg.gram_matrix`,
    one pass, no copy of ``X``), :math:`q = X_c^\top S y_c`,
    :math:`\bar{y} = y^\top s` and :math:`c = \tfrac12 \sum_i s_i \|y_{c,i}\|^2`.
    Pass zeros as ``x_mean`` and ``y_mean`` for the uncentered moments of a
    model without intercept.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import centered_gram
    >>> X, y = np.array([[1.0], [3.0]]), np.array([[2.0], [6.0]])
    >>> G, q, y_mean, c = centered_gram(X, y, np.array([0.5, 0.5]))
    >>> G, q, y_mean, c  # x_c = [-1, 1], y_c = [-2, 2]
    (array([[1.]]), array([[2.]]), array([4.]), 2.0)
    """
    return _centered_moments(X, y, s, x_mean, y_mean, chunk_size)[1:]


def _check_gram(G, X, sw, x_mean, rtol=1e-7):
    r"""That a given Gram matrix ``G`` is :math:`X_c^\top
    \operatorname{diag}(s_w) X_c` (``sw`` the sample weights): its diagonal
    (one pass, the columns' weighted squares about ``x_mean``) and
    scikit-learn's checked entry, the middle feature's with the next (two
    columns), each to ``rtol`` of its scale."""
    d = X.shape[1]
    D = column_squares(X, sw, x_mean)
    i, j = d // 2, min(d // 2 + 1, d - 1)

    def col(k):  # a column less its center
        v = X[:, [k]].toarray().ravel() if sp.issparse(X) else X[:, k]
        return v - x_mean[k]

    G_ij = float(np.sum(sw * col(i) * col(j)))
    scale = np.sqrt(np.maximum(D[i] * D[j], 0.0))
    for (a, b), expected, actual, tol in (
        *(((k, k), D[k], G[k, k], rtol * D.max(initial=0.0)) for k in range(d)),
        ((i, j), G_ij, G[i, j], rtol * scale),
    ):
        if not abs(actual - expected) <= max(tol, 64 * np.finfo(float).tiny):
            raise ValueError(
                "Gram matrix passed in via 'precompute' parameter did not pass "
                f"validation: for element ({a},{b}) the data give {expected!r}, "
                f"the user-supplied value is {actual!r}. It must be X^T diag(w) "
                "X, w the sample weights rescaled to sum to n_samples (X "
                "centered where fit_intercept=True); or pass precompute='auto'."
            )


def _centered_moments(X, y, s, x_mean=None, y_mean=None, chunk_size=None):
    """``x_mean`` and :func:`centered_gram`'s four values; dense ``X`` with
    ``x_mean`` None takes one pass (:func:`~sklearn_foundations.linalg.gram_moments`)."""
    # sums without BLAS: its threads, woken by a long dot, would spin on the
    # cores that gram_moments' threads take next
    y_mean = np.einsum("i,ij->j", s, y) if y_mean is None else y_mean
    y_c = y - y_mean
    c = 0.5 * float(np.einsum("i,ij,ij->", s, y_c, y_c))
    if x_mean is None and not sp.issparse(X):
        x_mean, G, q = gram_moments(X, s, y_c, chunk_size=chunk_size)
        return x_mean, G, q, y_mean, c
    x_mean = np.asarray(X.T @ s).ravel() if x_mean is None else x_mean
    x_mean = np.broadcast_to(np.asarray(x_mean, dtype=X.dtype), (X.shape[1],))
    G = gram_matrix(X, s, x_mean, chunk_size=chunk_size)
    Sy = s[:, None] * y_c
    q = np.asarray(X.T @ Sy) - np.outer(x_mean, Sy.sum(axis=0))
    return x_mean, G, q, y_mean, c
