"""PowerIterationPCA: principal components as the top eigenvectors of the covariance.

The covariance :math:`C = X_c^\\top X_c / (n - 1)` is applied without centering
``X`` (:func:`~sklearn_foundations.linalg.gram_operator`), or formed once where
that is cheaper, dense ``X`` with ``n_features`` at most about 40 times the
block size, with the mean in the same pass
(:func:`~sklearn_foundations.linalg.gram_moments`); its top eigenpairs come from
:func:`~sklearn_foundations.linalg.power_iteration` (block),
:func:`~sklearn_foundations.linalg.block_lanczos` (a Krylov space) or
:func:`~sklearn_foundations.linalg.deflated_power_iteration` (one at a time).
"""

import operator
import warnings
from contextlib import nullcontext
from dataclasses import replace
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from scipy.special import gammaln
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._callbacks import FitCallbacks
from ._chunks import (
    add,
    census,
    chan,
    check_census,
    check_features,
    is_lazy,
    lazy_chunks,
    lazy_rows,
    merge_moments,
    moments,
    set_features,
)
from ._compat import (
    BaseEstimator,
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _fit_context,
    check_finite,
    deferred_check,
)
from ._parallel import blas_on_one_thread
from ._precision import cast_fitted, float64_arithmetic
from .linalg import (
    EigenResult,
    _lobpcg,
    block_lanczos,
    centered_column_blocks,
    chebyshev_iteration,
    column_moments,
    column_squares,
    deflated_power_iteration,
    gram_moments,
    gram_operator,
    kernel_matrix,
    power_iteration,
    row_blocks,
)

__all__ = ["PowerIterationPCA", "minka_log_evidence"]

_DTYPES = [np.float64, np.float32]
# the covariance of chunked data is formed in one pass up to this many features
_CHUNKED_MAX_FEATURES = 4096


_PRODUCTS_PER_FIT = 40  # about twice the block products of a typical fit
# the block method filters a formed covariance by Chebyshev polynomials
# (chebyshev_iteration), whose products cost d^2 p each and whose steps are
# few: forming it pays up to this many times the block size (measured on
# 3,000-20,000 rows, 600-2,000 features, 5 and 10 components, random and
# low-rank designs: 0.10-0.82x of the operator's time up to d = 100 p, even
# at d = 133 p on 3,000 rows, where LOBPCG on the operator took 25-70
# products) where the rows are at least _FILTER_PRODUCTS times p (the
# filter's 100-150 products of d^2 p flops cost no more than forming C)
_FILTERED_PRODUCTS_PER_FIT = 100
_FILTER_PRODUCTS = 150
# dense X of fewer rows than features: the block method forms the rows'
# kernel X_c X_c^T (n^2 d flops) up to this many times the block size p in
# rows, where the operator's LOBPCG took 44-76 products of 4 n d p flops on
# random designs of 200-1,000 x 2,000-10,000 (2.4-3.7x of PCA's time)
_KERNEL_PRODUCTS_PER_FIT = 100
# ... and the filter's larger limits stop at this size of matrix (128 MB)
_FILTERED_MAX_SIZE = 4096


class PowerIterationPCA(
    CallbackSupportMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
    BaseEstimator,
):  # fmt: skip
    r"""Principal component analysis by power iteration on the covariance.

    The principal axes are the eigenvectors of largest eigenvalue of the
    sample covariance,

    .. math::

        C = \frac{1}{n - 1} X_c^\top X_c, \qquad C v_j = \lambda_j v_j, \qquad
        z = V_k^\top (x - \bar{x}),

    found by repeating :math:`V \leftarrow \operatorname{orth}(C V)` and reading
    the eigenpairs off the small projected problem :math:`V^\top C V`
    (Rayleigh-Ritz). :math:`\lambda_j` is the variance along axis ``j``
    (``explained_variance_``). Iteration stops when every wanted pair has
    :math:`\|C v_j - \lambda_j v_j\| \le \mathrm{tol} \cdot \lambda_1`; nearly
    equal eigenvalues converge slowly (rate
    :math:`\lambda_{p+1}/\lambda_j`, ``p = n_components + n_oversamples``), which
    more oversamples speed up. By default (``accelerate=True``) the projected
    problem also holds the residuals :math:`C v_j - \lambda_j v_j` and the
    previous step, power iteration with momentum (LOBPCG): about the square
    root of the iterations for the same cost per iteration; on a formed
    covariance (dense ``X``, products cheap beside the Rayleigh-Ritz steps)
    a Chebyshev polynomial of :math:`C` replaces the single product between
    two Rayleigh-Ritz steps (:func:`~sklearn_foundations.linalg.chebyshev_iteration`):
    2-5 steps to the default ``tol``. Dense data of fewer rows than features
    (at most 100 times the block, and 4,096) go through the rows' kernel :math:`K =
    X_c X_c^\top / (n - 1)`, which has the covariance's non-zero
    eigenvalues: its eigenvectors :math:`u` give the axes :math:`X_c^\top u
    / \sqrt{(n - 1) \lambda}` (dual PCA), in three passes over ``X``.

    Parameters
    ----------
    n_components : int, float, "mle" or None, default=None
        Number of components; a float in (0, 1) keeps the fewest components
        whose variance exceeds that share of the total (the trace of ``C``);
        "mle" the number of largest evidence under probabilistic PCA
        (Minka's approximation, :func:`minka_log_evidence`; needs
        ``n_samples >= n_features``); None keeps ``min(n_samples, n_features)``.
    whiten : bool, default=False
        Scale the projections to unit variance.
    method : {"block", "lanczos", "deflation"}, default="block"
        "block": subspace iteration on all components at once. "lanczos": the
        Ritz pairs of the Krylov space :math:`\operatorname{span}[v, C v, C^2 v,
        \dots]` of ``block_size`` starting vectors
        (:func:`~sklearn_foundations.linalg.block_lanczos`): the fewest vector
        products, the fastest where a product is a pass over a sparse or wide
        ``X``; like ARPACK and PROPACK it finds at most ``block_size`` axes of
        an eigenvalue repeated exactly (as the equal-frequency categories of a
        one-hot block have), where "block" finds up to ``n_components +
        n_oversamples``. On chunked (dask) data each product is a pass over the
        chunks, and "block" makes fewer. "deflation": the textbook version, one
        vector at a time on the covariance with the found components removed.
    accelerate : bool, default=True
        For ``method="block"``: Rayleigh-Ritz over the span of the current
        axes, their residuals :math:`C v_j - \lambda_j v_j` and the previous
        step (power iteration with momentum, LOBPCG), which converges in about
        the square root of the iterations of the plain subspace iteration
        (``False``) at the same cost per iteration; on a formed covariance,
        a Chebyshev filter between the Rayleigh-Ritz steps
        (:func:`~sklearn_foundations.linalg.chebyshev_iteration`).
    tol : float, default=1e-12
        Relative residual tolerance (of :math:`\lambda_1`). An axis is off by
        about the residual over the gap to the next eigenvalue, so the default
        gives scikit-learn's full SVD to ``rtol=1e-7, atol=1e-12`` on
        well-separated spectra, dense or sparse, in float64 (float32 stops at
        ``100 * eps``; small float32 data, up to 2^20 stored values, are
        fitted in float64 arithmetic, the attributes returned in float32).
        Where the variances span so much (columns of scales orders of
        magnitude apart) that this bounds nothing on the small axes, each
        axis of residual above :math:`\mathrm{tol}^{1/2}` times its own
        variance is found again from the data less the resolved axes (a
        pass or three more each round, as exact as an SVD), where the
        covariance is formed, through the rows' kernel, or on data of at
        most 512 features (dense, sparse or chunked); else (the operator of
        more features) a ConvergenceWarning names the first such axis.
    max_iter : int, default=1000
        Maximum products with the covariance (per component for "deflation").
    n_oversamples : int, default=10
        Extra vectors in the block of ``method="block"``.
    block_size : int, default=1
        Vectors per product of ``method="lanczos"``.
    random_state : int, RandomState instance or None, default=None
        Seed of the starting vectors.
    copy : bool, default=True
        Kept for compatibility with PCA; ``X`` is never modified either way.

    Attributes
    ----------
    components_ : ndarray of shape (`n_components_`, n_features)
        Principal axes, largest variance first; the largest-magnitude entry of
        each is positive (scikit-learn's sign convention).
    explained_variance_ : ndarray of shape (`n_components_`,)
    explained_variance_ratio_ : ndarray of shape (`n_components_`,)
    singular_values_ : ndarray of shape (`n_components_`,)
        :math:`\sqrt{(n - 1) \lambda_j}`.
    mean_ : ndarray of shape (n_features,)
    n_components_ : int
    n_samples_ : int
    noise_variance_ : float
        Mean of the eigenvalues left out, from the trace of ``C``.
    n_iter_ : int
        Products with the covariance.
    n_passes_ : int
        Passes over the data the fit made: the cost on chunked (dask) data,
        where each pass is a round trip over every chunk.
    residuals_ : ndarray of shape (`n_components_`,)
        Final :math:`\|C v_j - \lambda_j v_j\|` (for an axis found again
        on the data less the larger ones, on that data's covariance;
        through the rows' kernel: its bound,
        :math:`\sqrt{\lambda_1 / \lambda_j}` times the kernel's
        residual).
    residual_history_ : list of ndarray
        Residuals per iteration (block; the kernel's through the rows'
        kernel) or per component (deflation).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_foundations import PowerIterationPCA
    >>> X, _ = load_iris(return_X_y=True)
    >>> pca = PowerIterationPCA(n_components=2, random_state=0).fit(X)
    >>> pca.explained_variance_ratio_.round(4)
    array([0.9246, 0.0531])
    >>> pca.transform(X[:1]).round(3)
    array([[-2.684,  0.319]])
    """

    _parameter_constraints = {
        "n_components": [
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
            StrOptions({"mle"}),
            None,
        ],
        "whiten": ["boolean"],
        "method": [StrOptions({"block", "lanczos", "deflation"})],
        "accelerate": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_oversamples": [Interval(Integral, 0, None, closed="left")],
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "copy": ["boolean"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        whiten=False,
        method="block",
        accelerate=True,
        tol=1e-12,
        max_iter=1000,
        n_oversamples=10,
        block_size=1,
        random_state=None,
        copy=True,
    ):
        self.n_components = n_components
        self.whiten = whiten
        self.method = method
        self.accelerate = accelerate
        self.tol = tol
        self.max_iter = max_iter
        self.n_oversamples = n_oversamples
        self.block_size = block_size
        self.random_state = random_state
        self.copy = copy

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the principal axes of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : PowerIterationPCA
        """
        if is_lazy(X):  # a dask collection: one pass for the covariance
            return self._fit_chunks(lazy_chunks(X))
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=_DTYPES, ensure_min_samples=2,
            ensure_all_finite=False,
        )  # fmt: skip
        dtype = X.dtype  # of the attributes; small float32 data fit in float64
        (X,) = float64_arithmetic(X)
        n, d = X.shape
        self._check_rank(n, d)
        # dense X: finite where its mean and variances are (no pass of its own)
        dense = not sp.issparse(X)
        if not dense:
            check_finite(X, self)
        with deferred_check(dense):
            mean, cov, total_var = self._covariance(X)
        if dense:
            check_finite(X, self, mean, total_var)
        self.n_samples_ = n
        self.mean_ = mean
        k = _range_exponent(X, total_var)
        data = X
        if k:  # squares out of range: the same fit on 2^k X
            data = _ldexp(X, k)
            mean, cov, total_var = self._covariance(data)  # (mean_ is X's)
        graded = _Graded.of_data(data, mean, cov) if _Graded.takes(cov, d) else None
        self._fit_covariance(cov, total_var, n, d, X, X.dtype, graded)
        self._scale_back(k)
        # passes over X: the covariance once, or the mean and each product
        # (and, rescaled, the largest magnitude and the moments of 2^k X)
        if isinstance(cov, _Kernel):  # the moments, the kernel, the axes
            self.n_passes_ = 3 + cov.products + cov.passes
        elif isinstance(cov, np.ndarray):  # formed; after the moments for offsets
            self.n_passes_ = 1 if self._explicit_covariance(X) else 2
        else:
            self.n_passes_ = self.n_iter_ + 1
        self.n_passes_ += (2 if k else 0) + (graded.passes if graded else 0)
        cast_fitted(self, dtype)
        return self

    def _fit_chunks(self, chunks):
        r"""``fit`` on row chunks: the mean and the centered :math:`X^\top X`
        in one pass (each chunk's about its own mean, merged by Chan's
        formula in a fixed tree, its values checked in the same pass), then
        the eigen-solver on the explicit covariance, as in memory."""
        set_features(self, chunks)
        if self._operator_on_chunks(chunks.n_features):
            return self._fit_chunks_operator(chunks)
        reports, stats = chunks.map_reduce(moments, merge_moments)
        check_census(reports, None, chunks.feature_names)
        n, d = int(round(stats[0])), chunks.n_features
        if n < 2:
            raise ValueError(
                f"Found array with {n} sample(s) while a minimum of 2 is required "
                "by PowerIterationPCA."
            )
        self._check_rank(n, d)
        mean, G = stats[1], stats[3]
        cov = G / (n - 1)
        total_var = float(np.trace(cov))
        _check_chunked_scale(mean, total_var, cov.dtype)
        self.mean_, self.n_samples_ = mean, n
        k = _variance_exponent(total_var, cov.dtype)  # 4^k C: in range
        cov = np.ldexp(cov, 2 * k)
        graded = _Graded.of_chunks(chunks, mean, n, k, cov, lambda: cov.diagonal())
        self._fit_covariance(
            cov, float(np.ldexp(total_var, 2 * k)), n, d, None, cov.dtype, graded
        )  # fmt: skip
        self.n_passes_ = chunks.n_passes
        return self._scale_back(k)

    def _operator_on_chunks(self, d):
        """Whether the chunked fit keeps the covariance an operator (one pass
        per block product): above the explicit matrix's limit, or where the
        in-memory rule would (``d`` many times the block size)."""
        if d > _CHUNKED_MAX_FEATURES:
            return True
        block = isinstance(self.n_components, Integral) and self.method == "block"
        # the rows are not known before the first pass: the limit of few rows
        return block and d > self._explicit_limit(0)

    def _fit_chunks_operator(self, chunks):
        r"""Wide data: a first pass for the mean and each column's variance
        (Chan's formula), then one pass per block product
        :math:`C V = X_c^\top (X_c V) / (n - 1)`, the eigen-solver unchanged."""
        if self.method == "deflation" or not isinstance(self.n_components, Integral):
            raise NotImplementedError(
                f"On chunked data with {chunks.n_features} features "
                "PowerIterationPCA runs the block or Lanczos method for a number "
                "of components (one pass per product); got method="
                f"{self.method!r}, n_components={self.n_components!r}."
            )
        reports, stats = chunks.map_reduce(_column_stats, _merge_column_stats)
        check_census(reports, None, chunks.feature_names)
        n, mean, m2 = int(round(stats[0])), stats[1], stats[2]
        d = chunks.n_features
        if n < 2:
            raise ValueError(
                f"Found array with {n} sample(s) while a minimum of 2 is required "
                "by PowerIterationPCA."
            )
        self._check_rank(n, d)
        total_var = float(m2.sum() / (n - 1))
        _check_chunked_scale(mean, total_var, chunks.dtype)
        self.mean_, self.n_samples_ = mean, n
        k = _variance_exponent(total_var, chunks.dtype)  # 4^k C: in range

        def matmat(V):
            V = np.asarray(V).reshape(d, -1)
            CV = chunks.map_reduce(
                _covariance_product, operator.add, V=V.astype(chunks.dtype), mean=mean
            ) / (n - 1)
            return np.ldexp(CV, 2 * k) if k else CV

        cov = LinearOperator((d, d), matvec=matmat, matmat=matmat, dtype=chunks.dtype)
        total_var = float(np.ldexp(total_var, 2 * k))
        graded = None
        if _Graded.takes(cov, d):
            variances = np.ldexp(m2 / (n - 1), 2 * k)
            graded = _Graded.of_chunks(chunks, mean, n, k, cov, lambda: variances)
        self._fit_covariance(cov, total_var, n, d, None, chunks.dtype, graded)
        self.n_passes_ = chunks.n_passes
        return self._scale_back(k)

    def _scale_back(self, k):
        """The variances of a fit of :math:`2^k X` in ``X``'s units (exact,
        unless they underflow)."""
        if k:
            self.explained_variance_ = np.ldexp(self.explained_variance_, -2 * k)
            self.singular_values_ = np.ldexp(self.singular_values_, -k)
            self.noise_variance_ = float(np.ldexp(self.noise_variance_, -2 * k))
        return self

    def _check_rank(self, n, d):
        max_rank = min(n, d)
        if self.n_components == "mle" and n < d:
            raise ValueError(
                f"n_components='mle' is only supported if n_samples >= n_features: "
                f"the evidence needs the whole spectrum of the covariance; got "
                f"{n} samples and {d} features. Give n_components as a number."
            )
        if isinstance(self.n_components, Integral) and self.n_components > max_rank:
            raise ValueError(
                f"n_components={self.n_components} must be between 0 and "
                f"min(n_samples, n_features)={max_rank}; lower n_components."
            )

    def _fit_covariance(self, cov, total_var, n, d, X, dtype, graded=None):
        """The eigenpairs of the covariance (explicit or an operator) and the
        fitted attributes from them; ``X`` is what the callbacks see;
        ``graded`` (a :class:`_Graded`) finds the axes that ``tol`` leaves
        unresolved on the data less the others (else a warning names them)."""
        max_rank = min(n, d)

        def attributes(state):
            return _fitted(
                state.eigenvalues, state.eigenvectors, total_var, n, max_rank
            )

        bridge = FitCallbacks.of(self, X, None, None, self.max_iter, attributes, None)
        hold = getattr(cov, "threads", 1) > 1  # products on threads of ours
        with blas_on_one_thread() if hold else nullcontext():
            result = self._eigenpairs(cov, total_var, max_rank, dtype, bridge, graded)
        for name, value in _fitted(
            result.eigenvalues, result.eigenvectors, total_var, n, max_rank
        ).items():
            setattr(self, name, value)
        self.n_iter_ = result.n_iter
        self.residuals_ = result.residuals
        self.residual_history_ = result.residual_history
        if result.converged and graded is None:
            _warn_unresolved(result, self.tol)
        if not result.converged:
            warnings.warn(
                f"PowerIterationPCA did not converge in max_iter={self.max_iter}: "
                f"the largest residual |C v - lambda v| is "
                f"{np.max(result.residuals):.3g}, above tol * lambda_1 = "
                f"{self.tol * self.explained_variance_[0]:.3g}. Nearly equal "
                "eigenvalues converge "
                "slowly: increase max_iter, n_oversamples (block_size for "
                "method='lanczos'), or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if bridge is not None:
            bridge.end()
        return self

    def transform(self, X):
        r"""Project on the principal axes: :math:`Z = (X - \bar{x}) V_k`,
        divided by :math:`\sqrt{\lambda}` when whitening."""
        check_is_fitted(self)
        if is_lazy(X):  # a lazy dask array, block by block
            check_features(self, lazy_chunks(X))
            return lazy_rows(X, self._transform_block, self.n_components_)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=_DTYPES, reset=False
        )
        return self._transform_block(X)

    def _transform_block(self, X):
        Z = np.asarray(X @ self.components_.T) - self.mean_ @ self.components_.T
        if self.whiten:
            Z /= self._whitening_scale()
        return Z

    def inverse_transform(self, X):
        r"""Back to feature space: :math:`\hat{x} = z V_k^\top + \bar{x}`
        (:math:`z` times :math:`\sqrt{\lambda}` first when whitening)."""
        check_is_fitted(self)
        if is_lazy(X):  # a lazy dask array of components, block by block
            if X.shape[1] != self.n_components_:
                raise ValueError(
                    f"X has {X.shape[1]} columns, but inverse_transform takes the "
                    f"{self.n_components_} components that transform returns."
                )
            return lazy_rows(X, self._inverse_block, self.n_features_in_)
        return self._inverse_block(check_array(X, dtype=_DTYPES, input_name="X"))

    def _inverse_block(self, Z):
        if Z.shape[1] != self.n_components_:  # (checked on the client for dask)
            raise ValueError(
                f"X has {Z.shape[1]} columns, but inverse_transform takes the "
                f"{self.n_components_} components that transform returns."
            )
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_

    def _whitening_scale(self):
        r""":math:`\sqrt{\lambda_j}`, at least the dtype's machine epsilon: a
        component of zero variance at working precision (rank-deficient data, a
        constant feature) projects to rounding noise, which then stays of the
        order of that noise over epsilon instead of blowing up (scikit-learn's
        PCA clips the same way)."""
        scale = np.sqrt(self.explained_variance_)
        return np.maximum(scale, np.finfo(scale.dtype).eps)

    def get_covariance(self):
        r"""Covariance of probabilistic PCA,
        :math:`V_k \operatorname{diag}(\lambda - \sigma^2) V_k^\top + \sigma^2 I`."""
        check_is_fitted(self)
        V, sigma2 = self.components_, self.noise_variance_
        cov = (V.T * np.maximum(self.explained_variance_ - sigma2, 0.0)) @ V
        cov.flat[:: len(cov) + 1] += sigma2
        return cov

    def get_precision(self):
        r"""Inverse of :meth:`get_covariance`, by the matrix inversion lemma:
        :math:`\sigma^{-2} (I - V_k \operatorname{diag}(1 - \sigma^2/\lambda)
        V_k^\top)`."""
        check_is_fitted(self)
        sigma2 = self.noise_variance_
        if sigma2 == 0.0:
            return np.linalg.inv(self.get_covariance())
        V, lam = self.components_, self.explained_variance_
        shrink = np.where(lam > sigma2, 1.0 - sigma2 / lam, 0.0)
        precision = -(V.T * shrink) @ V
        precision.flat[:: len(precision) + 1] += 1.0
        return precision / sigma2

    def score_samples(self, X):
        """Log-likelihood of each sample under probabilistic PCA."""
        check_is_fitted(self)
        if is_lazy(X):  # a lazy dask array, block by block
            check_features(self, lazy_chunks(X))
            return lazy_rows(X, self._score_block)
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        return self._score_block(X)

    def _score_block(self, X):
        X = X.toarray() if sp.issparse(X) else X
        Xr = X - self.mean_
        precision = self.get_precision()
        _, logdet = np.linalg.slogdet(precision)
        log_like = -0.5 * np.sum(Xr * (Xr @ precision), axis=1)
        return log_like - 0.5 * (X.shape[1] * np.log(2 * np.pi) - logdet)

    def score(self, X, y=None):
        """Mean log-likelihood of the samples under probabilistic PCA (on
        dask input one pass of sums)."""
        if is_lazy(X):
            chunks = lazy_chunks(X)
            check_features(self, chunks)
            total, n = chunks.map_reduce(
                _log_likelihood_sums, add,
                score=self._score_block,
            )  # fmt: skip
            return total / n
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def _covariance(self, X):
        """The mean, the covariance (explicit where forming it is cheaper,
        else an operator) and its trace, the total variance; a dense ``X``
        gives the mean in the same pass as the covariance or the variances."""
        n, d = X.shape
        if self._explicit_covariance(X):  # dense
            return _formed(X)
        if sp.issparse(X):
            mean = np.asarray(X.mean(axis=0)).ravel()
            squares = column_squares(X, center=mean)
        else:
            mean, squares = column_moments(X)
        weights = np.full(n, 1.0 / (n - 1), dtype=X.dtype)
        op = gram_operator(X, weights, mean)
        exact = not sp.issparse(X) and _offsets_cancel(mean, squares, n)
        if exact and n >= d and d <= _FILTERED_MAX_SIZE:  # formed, centered
            return (mean, *_formed(X)[1:])  # the moments' mean, as before
        if self._kernel_pays(X) or (exact and d > n and n <= _FILTERED_MAX_SIZE):
            op = _Kernel(kernel_matrix(X, mean) / (n - 1), X, mean, op)
        return mean, op, float(squares.sum() / (n - 1))

    def _kernel_pays(self, X):
        """Dense ``X`` of fewer rows than features, and few rows beside the
        block (``_KERNEL_PRODUCTS_PER_FIT`` times ``p``), a number of
        components asked of the block method with its filter: the rows'
        kernel (:math:`n^2 d` flops once) beats tens of the operator's
        products (:math:`4 n d p` each)."""
        n, d = X.shape
        if sp.issparse(X) or n >= d or not isinstance(self.n_components, Integral):
            return False
        if not (self.method == "block" and self.accelerate):
            return False
        p = self.n_components + self.n_oversamples
        most = min(_KERNEL_PRODUCTS_PER_FIT * p, _FILTERED_MAX_SIZE)
        return n <= most and self.n_components < n - 1

    def _explicit_covariance(self, X):
        """Forming :math:`C` costs :math:`n d^2` once; the operator costs
        :math:`4 n d p` per block product, some tens of products: form it for
        dense ``X`` with ``n >= d`` unless ``d`` is many times the block size
        ``p`` (then the products are cheaper; ``_explicit_limit``), or when a
        fraction of the variance or every component is asked for (``p`` is
        unknown or ``d``)."""
        n, d = X.shape
        if sp.issparse(X) or n < d:
            return False
        if self.method == "deflation" or not isinstance(self.n_components, Integral):
            return True
        return d <= self._explicit_limit(n)

    def _explicit_limit(self, n):
        """The most features whose covariance a fit of ``n`` rows forms: a
        number of block products times the block size ``p``, more where the
        block method filters the formed matrix (``chebyshev_iteration``) and
        the rows are many beside ``p``."""
        p = self.n_components + self.n_oversamples
        filtered = self.method == "block" and self.accelerate
        if filtered and n >= _FILTER_PRODUCTS * p:
            wider = min(_FILTERED_PRODUCTS_PER_FIT * p, _FILTERED_MAX_SIZE)
            return max(wider, _PRODUCTS_PER_FIT * p)
        return _PRODUCTS_PER_FIT * p

    def _eigenpairs(self, cov, total_var, max_rank, dtype, callback=None, graded=None):
        tol = max(self.tol, 100 * float(np.finfo(dtype).eps))
        kwargs = dict(tol=tol, max_iter=self.max_iter, dtype=dtype, callback=callback)
        if self.method == "block":
            kwargs.update(n_oversamples=self.n_oversamples, accelerate=self.accelerate)
        if self.method == "lanczos":
            kwargs.update(block_size=self.block_size)
        if isinstance(cov, _Kernel):  # a number of components, by the block method
            kwargs.pop("accelerate")
            return cov.eigenpairs(
                self.n_components, random_state=self.random_state, **kwargs
            )
        solve = _EIGEN_SOLVERS[self.method]
        if solve is power_iteration and self.accelerate and isinstance(cov, np.ndarray):
            solve = chebyshev_iteration  # products cheap beside Rayleigh-Ritz
            kwargs.pop("accelerate")

        def top(k):
            result = solve(cov, k, random_state=self.random_state, **kwargs)
            if graded is None:
                return result
            return graded.resolve(result, partial(solve, **kwargs), self.random_state)

        if self.n_components is None:
            return top(max_rank)
        if self.n_components == "mle":
            result = top(max_rank)
            spectrum = np.maximum(result.eigenvalues, 0.0)
            evidence = [
                minka_log_evidence(spectrum, k, self.n_samples_)
                for k in range(1, len(spectrum))
            ]
            return _truncate(result, int(np.argmax(evidence)) + 1 if evidence else 1)
        if isinstance(self.n_components, Integral):
            return top(self.n_components)
        k = min(8, max_rank)  # a share of the variance: grow until it is reached
        while True:
            result = top(k)
            # the explained_variance_ratio_'s sums, as scikit-learn's; a sum
            # within rounding of the share has not passed it (two fits from
            # two random starts differ in the last bits)
            ratio = np.cumsum(result.eigenvalues / total_var)
            share = self.n_components + 16 * np.finfo(ratio.dtype).eps
            if ratio[-1] > share or k == max_rank:
                keep = min(int(np.searchsorted(ratio, share, "right")) + 1, k)
                return _truncate(result, keep)
            k = min(2 * k, max_rank)


_EIGEN_SOLVERS = {
    "block": power_iteration,
    "lanczos": block_lanczos,
    "deflation": deflated_power_iteration,
}


def minka_log_evidence(spectrum, rank, n_samples):
    r"""Laplace approximation of :math:`\log p(X \mid k)` for probabilistic
    PCA with ``rank`` components (Minka, 2000, "Automatic choice of
    dimensionality for PCA"), from the covariance's eigenvalues ``spectrum``
    (all :math:`d` of them, decreasing) and :math:`n` = ``n_samples``:

    .. math::

        \log p(U) - \frac{n}{2} \sum_{j \le k} \log \lambda_j
        - \frac{n (d - k)}{2} \log \sigma^2
        + \frac{m + k}{2} \log 2\pi - \frac12 \log |A_Z| - \frac{k}{2} \log n,

    with :math:`\sigma^2` the mean of the eigenvalues left out,
    :math:`m = dk - k(k+1)/2` the dimension of the Stiefel manifold,
    :math:`\log p(U) = -k \log 2 + \sum_{i \le k} [\log \Gamma(\frac{d - i +
    1}{2}) - \frac{d - i + 1}{2} \log \pi]` and :math:`\log |A_Z| = \sum_{i
    \le k} \sum_{j > i} \log (n (\lambda_i - \lambda_j)(\hat\lambda_j^{-1} -
    \hat\lambda_i^{-1}))`, :math:`\hat\lambda_j` the eigenvalue kept or
    :math:`\sigma^2`. A rank whose last eigenvalue is zero at working precision
    has evidence :math:`-\infty`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.decomposition import minka_log_evidence
    >>> spectrum = np.array([5.0, 1.1, 1.0, 0.9])  # one axis stands out
    >>> [round(minka_log_evidence(spectrum, k, 100)) for k in (1, 2, 3)]
    [-91, -93, -95]
    """
    spectrum = np.asarray(spectrum, dtype=np.float64)
    d, k, n = len(spectrum), rank, n_samples
    if not 1 <= k <= d - 1:
        raise ValueError(f"rank={k} should be in [1, n_features - 1] = [1, {d - 1}].")
    tiny = 1e-15
    if spectrum[k - 1] < tiny:
        return -np.inf
    i = np.arange(1, k + 1)
    log_pu = -k * np.log(2.0) + np.sum(
        gammaln((d - i + 1) / 2) - (d - i + 1) / 2 * np.log(np.pi)
    )
    sigma2 = max(tiny, float(np.sum(spectrum[k:])) / (d - k))
    m = d * k - k * (k + 1) / 2
    kept = np.concatenate([spectrum[:k], np.full(d - k, sigma2)])
    log_az = 0.0
    for a in range(k):
        rest = np.arange(a + 1, d)
        log_az += np.sum(
            np.log((spectrum[a] - spectrum[rest]) * (1 / kept[rest] - 1 / kept[a]) * n)
        )
    return float(
        log_pu
        - n / 2 * np.sum(np.log(spectrum[:k]))
        - n * (d - k) / 2 * np.log(sigma2)
        + (m + k) / 2 * np.log(2 * np.pi)
        - log_az / 2
        - k / 2 * np.log(n)
    )


def _range_exponent(X, total_var):
    """0, or the ``k`` that brings the largest magnitude of :math:`2^k X` to
    ``[0.5, 1)`` where the total variance is outside the square roots of the
    smallest and the largest normal numbers of ``X``'s dtype: below, the
    squares of ``X`` underflow and the covariance loses its digits; above,
    the eigen-solvers' squares of products overflow (the axes of :math:`2^k
    X` are those of ``X``, its variances :math:`4^k` times theirs)."""
    info = np.finfo(X.dtype)
    if np.sqrt(info.tiny) <= total_var <= np.sqrt(info.max):
        return 0
    values = X.data if sp.issparse(X) else X
    largest = float(np.max(np.abs(values), initial=0.0))
    return 0 if largest == 0.0 else -int(np.frexp(largest)[1])


def _variance_exponent(total_var, dtype):
    """0, or the ``k`` with :math:`4^k` times ``total_var`` in ``[0.25, 1)``
    where it is outside the square roots of the smallest and the largest
    normal numbers: the eigen-solvers' squares of products then stay in
    range."""
    info = np.finfo(dtype)
    if total_var == 0 or np.sqrt(info.tiny) <= total_var <= np.sqrt(info.max):
        return 0
    return -((int(np.frexp(total_var)[1]) + 1) // 2)


def _check_chunked_scale(mean, total_var, dtype):
    """On chunks, where the squares of ``X`` underflow (a variance below the
    smallest normal number over the epsilon; in memory the fit rescales
    ``X``, :func:`_range_exponent`, a second pass here): a ValueError that
    says so, from the variance or, where it is 0, the mean."""
    info = np.finfo(dtype)
    limit = float(info.tiny / info.eps)
    largest = float(np.max(np.abs(mean), initial=0.0))
    if 0 < total_var < limit or (total_var == 0 and 0 < largest < np.sqrt(limit)):
        raise ValueError(
            f"The squares of X underflow {np.dtype(dtype).name} (total variance "
            f"{total_var:.3g}, means up to {largest:.3g}): the covariance would "
            "lose its digits. Multiply X by a constant (the principal axes do "
            "not change; the variances scale by its square) or fit in memory."
        )


def _ldexp(X, k):
    """:math:`2^k X`, exactly, in ``X``'s dtype and format."""
    if sp.issparse(X):
        X = X.copy()
        X.data = np.ldexp(X.data, np.int32(k))
        return X
    return np.ldexp(X, np.int32(k))


def _formed(X):
    """The mean, the covariance of dense ``X`` (rows shifted by a guess of
    the mean: no digits lost to a large one) and its trace, in one pass."""
    n = X.shape[0]
    weights = np.full(n, 1.0 / (n - 1), dtype=X.dtype)
    mean, cov, _ = gram_moments(X, weights, np.empty((n, 0), X.dtype))
    return mean, cov, float(np.trace(cov))


# a column's squared mean over its variance from which the operator's
# products, X^T (X v - 1 (m^T v)), keep fewer than half the digits: such a
# fit forms the covariance or the rows' kernel (centered by blocks) instead,
# where either fits in _FILTERED_MAX_SIZE (measured: means of 1e5 on unit
# spreads, 680 x 674, ran out of max_iter at sines of 1e-9)
_OFFSET_CANCELS = 1e8


def _offsets_cancel(mean, squares, n):
    """Whether a column's mean is so large against its spread (``squares``,
    its sum of squared deviations over ``n`` rows) that the operator's
    products lose half the digits (``_OFFSET_CANCELS``)."""
    var = squares / max(n - 1, 1)
    spread = var > 0
    if not spread.any():
        return False
    return bool(np.max(mean[spread] ** 2 / var[spread]) > _OFFSET_CANCELS)


class _Kernel:
    r"""The covariance of wide dense ``X`` through the rows' kernel
    :math:`K = X_c X_c^\top / (n - 1)` (``K``), which has its non-zero
    eigenvalues: :math:`K u = \lambda u` gives the axis :math:`v = X_c^\top
    u / \sqrt{(n - 1) \lambda}` (dual PCA), whose residual on the covariance
    is :math:`X_c^\top (K u - \lambda u) / \sqrt{(n - 1) \lambda}`, at most
    :math:`\sqrt{\lambda_1 / \lambda}` times the kernel's. ``operator`` is
    the covariance's (:func:`~sklearn_foundations.linalg.gram_operator`),
    for LOBPCG where the kernel cannot give ``tol``; ``deflate``, a pair
    :math:`(X_c V, V)`, makes it the kernel of the data less the axes
    :math:`V`, :math:`X_c (I - V V^\top)` (:meth:`resolve`)."""

    threads = 1  # the operator's products, if any, run after the kernel's pass

    def __init__(self, K, X, mean, operator, deflate=None):
        self.K, self.X, self.mean, self.operator = K, X, mean, operator
        self.deflate = deflate
        self.products = 0  # the operator's, after the kernel
        self.passes = 0  # those of the rounds of resolve

    def _blocks(self):
        """The columns of ``X`` by blocks, centered (no digits lost to a
        large mean), less the deflated axes."""
        for columns, B in centered_column_blocks(self.X, self.mean):
            if self.deflate is not None:
                W, V = self.deflate
                B -= W @ V[columns].T
            yield columns, B

    def axes(self, U, lam):
        """The covariance's axes from the kernel's eigenvectors ``U``, one
        pass."""
        n, d = self.X.shape
        V = np.empty((d, U.shape[1]))
        for columns, B in self._blocks():
            V[columns] = B.T @ U
        return V / np.sqrt((n - 1) * np.maximum(lam, np.finfo(np.float64).tiny))

    def resolve(self, result, k, tol, **kwargs):
        r"""``result`` with the axes that ``tol`` leaves unresolved
        (:class:`_Graded`) found again on the kernel of the data less the
        resolved axes :math:`V`: :math:`W = X_c V`, then :math:`K' = \sum_b
        (B_b - W V_b^\top)(B_b - W V_b^\top)^\top / (n - 1)` over the
        columns' blocks :math:`B_b` (two passes), its axes a third."""
        done, n = 0, self.X.shape[0]
        while len(result.eigenvalues):
            m = _unresolved(result, tol)
            if m is None or m <= done:
                break
            done, V = m, result.eigenvectors[:, :m]
            W = np.zeros((n, m))
            for columns, B in centered_column_blocks(self.X, self.mean):
                W += B @ V[columns]
            deflated = _Kernel(None, self.X, self.mean, None, (W, V))
            K = np.zeros((n, n))
            for _, B in deflated._blocks():
                K += B @ B.T
            deflated.K = K / (n - 1)
            rest = deflated.eigenpairs(
                k - m, tol=tol, callback=None, **kwargs, resolve=False
            )
            self.passes += 3
            converged = result.converged and rest.converged
            result = _joined(result, m, rest, converged)
        return result

    def eigenpairs(self, k, *, n_oversamples, tol, max_iter, dtype, callback,
                   random_state, resolve=True):  # fmt: skip
        """The top ``k`` eigenpairs (:meth:`_eigenpairs`), the unresolved
        found again (:meth:`resolve`) with ``resolve``."""
        kwargs = dict(n_oversamples=n_oversamples, max_iter=max_iter, dtype=dtype,
                      random_state=random_state)  # fmt: skip
        result = self._eigenpairs(k, tol=tol, callback=callback, **kwargs)
        return self.resolve(result, k, tol, **kwargs) if resolve else result

    def _eigenpairs(self, k, *, n_oversamples, tol, max_iter, dtype, callback,
                    random_state):  # fmt: skip
        """The top ``k`` eigenpairs of the covariance: the kernel's, by
        :func:`~sklearn_foundations.linalg.chebyshev_iteration` to the
        residuals whose bound on the covariance is ``tol`` (a second solve,
        tighter, where the first's eigenvalues ask for it), made axes;
        LOBPCG on the covariance from them where the kernel cannot give
        ``tol`` (an eigenvalue zero, or a residual below its rounding)."""

        if k == 0:  # n_components=0: no axis, no pass
            none = np.zeros(0)
            return EigenResult(none, np.zeros((self.X.shape[1], 0), dtype), none,
                               0, True, [])  # fmt: skip

        def on_axes(state):  # the callbacks see the covariance's axes
            axes = self.axes(state.eigenvectors, state.eigenvalues)
            return callback(replace(state, eigenvectors=axes))

        solve = partial(
            chebyshev_iteration, self.K, k, n_oversamples=n_oversamples,
            max_iter=max_iter, random_state=random_state, dtype=np.float64,
            callback=None if callback is None else on_axes,
        )  # fmt: skip
        res = solve(tol=tol)
        n_iter, history = res.n_iter, res.residual_history
        for tighter in (False, True):
            lam = res.eigenvalues
            with np.errstate(divide="ignore"):  # a zero eigenvalue: no bound
                bound = res.residuals * np.sqrt(lam[0] / np.maximum(lam, 0.0))
            if res.converged and lam[-1] > 0 and np.all(bound <= tol * lam[0]):
                V = self.axes(res.eigenvectors, lam).astype(dtype, copy=False)
                return EigenResult(lam, V, bound, n_iter, True, history)
            # as tight as the smallest eigenvalue needs, above the rounding
            kernel_tol = tol * np.sqrt(max(lam[-1], 0.0) / lam[0]) / 2
            if tighter or kernel_tol < 100 * np.finfo(np.float64).eps:
                break
            res = solve(tol=kernel_tol)
            n_iter, history = n_iter + res.n_iter, history + res.residual_history
        if self.operator is None:  # a deflated kernel: its answer as it is
            V = self.axes(res.eigenvectors, lam).astype(dtype, copy=False)
            return EigenResult(lam, V, bound, n_iter, False, history)
        start = np.linalg.qr(self.axes(res.eigenvectors, np.abs(lam) + lam[0]))[0]
        rest = _lobpcg(
            self.operator, start.astype(dtype), k, tol, max_iter, dtype, callback
        )
        self.products += rest.n_iter
        return replace(
            rest,
            n_iter=n_iter + rest.n_iter,
            residual_history=history + rest.residual_history,
        )


# data of an operator (sparse, or dense of many features beside the block)
# whose unresolved axes are found on a formed deflated covariance: at most
# this many features (n d^2 flops, 2 MB)
_GRADED_MAX_FEATURES = 512
# an axis is resolved where its residual is at most this power of tol times
# its own eigenvalue (tol bounds each residual by tol * lambda_1 alone)
_RESOLVED_POWER = 0.5


def _rounding_floor(lam):
    """The rounding of the largest eigenvalue ``lam[0]``: below it, a rank's
    zeros."""
    return 16 * np.finfo(np.float64).eps * abs(lam[0])


def _unresolved(result, tol, floor=True):
    """The first pair whose residual is above ``tol ** _RESOLVED_POWER``
    times its eigenvalue (with ``floor``, of those above the rounding of
    ``lambda_1``: a rank's zeros), else None."""
    lam, res = result.eigenvalues, result.residuals
    floor = _rounding_floor(lam) if floor and len(lam) else 0.0
    loose = (res > tol**_RESOLVED_POWER * np.abs(lam)) & (np.abs(lam) > floor)
    return int(np.argmax(loose)) if loose.any() else None


def _warn_unresolved(result, tol):
    """A warning where the stopping test (every residual at most ``tol *
    lambda_1``) left axes of far smaller eigenvalues unresolved (the
    operator of many features, whose products mix the largest eigenvalue's
    rounding into every axis; elsewhere :class:`_Graded` or
    :meth:`_Kernel.resolve` finds them again)."""
    j = _unresolved(result, tol)
    if j is None:
        return
    lam = result.eigenvalues
    warnings.warn(
        f"PowerIterationPCA: the axes from component {j + 1} on are resolved "
        f"only to a residual of {result.residuals[j] / abs(lam[j]):.2g} times "
        f"their variance: the variances span {abs(lam[0] / lam[j]):.2g}, as "
        "columns of scales orders of magnitude apart give. Scale the features "
        "(StandardScaler); on data of at most 512 features these axes are "
        "found again on the data less the larger ones.",
        ConvergenceWarning,
        stacklevel=4,
    )


class _Graded:
    r"""The axes of a covariance (formed, or the operator of data of at
    most ``_GRADED_MAX_FEATURES`` features, in memory or in chunks) whose
    eigenvalues span more than ``tol`` resolves. The stopping test bounds
    every residual by :math:`\mathrm{tol} \cdot \lambda_1`; where the
    columns' scales differ by orders of magnitude, :math:`\lambda_j` is so
    far below :math:`\lambda_1` that it bounds nothing (two columns of
    ``1e7`` and ``1e6`` times the scale of 98 others: the third axis 0.8
    off scikit-learn's full SVD, its variance 18%). The axes of residual above
    :math:`\mathrm{tol}^{1/2} \lambda_j` are found again on the data less
    the resolved axes :math:`V`, :math:`X_c (I - V V^\top)`, whose
    covariance is formed anew (one pass; its rounding is the data's,
    :math:`\epsilon \sigma_1 / \sigma_j` as an SVD's, where the
    products with the first covariance would mix :math:`\epsilon
    \lambda_1` into each axis), and so on while each round resolves
    more. Eigenvalues below :math:`\lambda_1`'s rounding are taken for a
    rank's zeros, unless a column's own variance is as small (then they may
    be variances it hid: 1.5 beside 7e15)."""

    def __init__(self, deflated, C, variances):
        self.deflated, self.C, self.variances, self.passes = deflated, C, variances, 0

    @classmethod
    def of_data(cls, X, mean, C):
        """On ``X`` in memory (``mean`` its columns' means, ``C`` the
        covariance formed or its operator)."""
        n, d = X.shape

        def deflated(V):
            G = np.zeros((d, d))
            for rows in row_blocks(n, d):
                G += _deflated_gram(X[rows], None, None, None, V, mean)
            return G / (n - 1)

        def variances():
            return column_squares(X, center=mean) / (n - 1)

        return cls(deflated, C, variances)

    @classmethod
    def of_chunks(cls, chunks, mean, n, k, C, variances):
        """On row chunks (a pass each), the covariance scaled by
        :math:`4^k`."""

        def deflated(V):
            G = chunks.map_reduce(_deflated_gram, operator.add, V=V, mean=mean)
            return np.ldexp(G / (n - 1), 2 * k)

        return cls(deflated, C, variances)

    @staticmethod
    def takes(cov, d):
        """A formed covariance, or the operator of data of at most
        ``_GRADED_MAX_FEATURES`` features (whose deflated covariance, formed,
        costs :math:`n d^2`; the rows' kernel: a warning)."""
        if isinstance(cov, np.ndarray):
            return True
        return isinstance(cov, LinearOperator) and d <= _GRADED_MAX_FEATURES

    def _hidden(self, floor):
        """Whether a column's own variance is at most ``floor`` (the rounding
        of lambda_1): eigenvalues below it are then not only a rank's zeros,
        and the deflated data tell them from variances that rounding hid (1
        beside 7e15)."""
        if isinstance(self.C, np.ndarray):
            var = self.C.diagonal()
        else:  # a pass for the columns' variances, where not known
            var = self.variances()
            self.passes += 1
        return bool(np.any((var > 0) & (var <= floor)))

    def resolve(self, result, solve, random_state):
        """``result`` with its unresolved axes found on the deflated data
        (each round's residuals on its own matrix, as computed: the Lanczos
        estimates are the tridiagonal's, which rounding can make small)."""
        tol, done = solve.keywords["tol"], 0
        if len(result.eigenvalues) == 0:  # n_components=0
            return result
        if isinstance(self.C, np.ndarray):  # (the operator's: LOBPCG's own)
            result = _with_residuals(result, self.C)
        floor = _rounding_floor(result.eigenvalues)
        below = _unresolved(result, tol) != _unresolved(result, tol, floor=False)
        hidden = below and self._hidden(floor)
        while True:
            m = _unresolved(result, tol, floor=not hidden)
            if m is None or m <= done:  # all resolved, or no round more
                return result
            lam, res = result.eigenvalues, result.residuals
            done, V = m, result.eigenvectors[:, :m]
            C = self.deflated(V)
            self.passes += 1
            rest = _with_residuals(
                solve(C, len(lam) - m, random_state=random_state, callback=None), C
            )
            # the first m pairs by the test, the rest by their own round's
            converged = rest.converged and bool(np.all(res[:m] <= tol * lam[0]))
            result = _joined(result, m, rest, converged)


def _joined(result, m, rest, converged):
    """The first ``m`` pairs of ``result`` and those of ``rest``, found on the
    data less their axes ``V``: its axes made exactly orthogonal to ``V``
    (the deflated matrix's rounding is not), each kept in its direction."""
    V = result.eigenvectors[:, :m]
    U = rest.eigenvectors - V @ (V.T @ rest.eigenvectors)
    U, R = np.linalg.qr(U)
    U *= np.where(np.diag(R) < 0, -1.0, 1.0)
    return replace(
        result,
        eigenvalues=np.concatenate([result.eigenvalues[:m], rest.eigenvalues]),
        eigenvectors=np.hstack([V, U.astype(V.dtype, copy=False)]),
        residuals=np.concatenate([result.residuals[:m], rest.residuals]),
        n_iter=result.n_iter + rest.n_iter,
        converged=converged,
        residual_history=result.residual_history + rest.residual_history,
    )


def _deflated_gram(X, y, w, index, V, mean):
    r"""Rows' share of :math:`B^\top B`, :math:`B = X_c (I - V V^\top)`
    (dense, a block at a time; sparse rows made dense here alone)."""
    B = (X.toarray() if sp.issparse(X) else np.asarray(X)) - mean
    B -= (B @ V) @ V.T
    return B.T @ B


def _with_residuals(result, C):
    r"""``result`` with its residuals :math:`\|C v_j - \lambda_j v_j\|` on ``C``."""
    V, lam = result.eigenvectors, result.eigenvalues
    residuals = np.linalg.norm(C @ V - V * lam, axis=0)
    return replace(result, residuals=residuals)


def _fitted(eigenvalues, eigenvectors, total_var, n, max_rank):
    """The fitted attributes of eigenpairs of the covariance (of the result,
    or of an iterate for scikit-learn's callbacks)."""
    k = len(eigenvalues)
    lam = np.maximum(eigenvalues, 0.0)
    left = max_rank - k
    return {
        "components_": _flip_signs(eigenvectors.T),
        "explained_variance_": lam,
        "explained_variance_ratio_": lam / total_var if total_var > 0 else lam * 0,
        "singular_values_": np.sqrt(lam * (n - 1)),
        "n_components_": k,
        "noise_variance_": (
            float(max(total_var - lam.sum(), 0.0) / left) if left > 0 else 0.0
        ),
    }


def _flip_signs(components):
    """Make the largest-magnitude entry of each row positive (``svd_flip``'s
    convention with ``u_based_decision=False``)."""
    rows = np.arange(len(components))
    signs = np.sign(components[rows, np.argmax(np.abs(components), axis=1)])
    signs[signs == 0] = 1.0
    return components * signs[:, None]


def _truncate(result, k):
    result.eigenvalues = result.eigenvalues[:k]
    result.eigenvectors = result.eigenvectors[:, :k]
    result.residuals = result.residuals[:k]
    return result


def _log_likelihood_sums(X, y, w, index, score):
    """A chunk's sum of log-likelihoods and its number of rows."""
    return float(np.sum(score(X))), X.shape[0]


def _column_stats(X, y, w, index):
    """A chunk's census report, rows, column means and sums of squared
    deviations (about its own means)."""
    report = census(X, None, None, index)
    if report[0]["bad"] is not None or X.shape[0] == 0:
        return report, None
    n = X.shape[0]
    mean = np.asarray(X.mean(axis=0)).ravel()
    return report, (float(n), mean, column_squares(X, None, mean))


def _merge_column_stats(a, b):
    """Chan's merge of (rows, means, sums of squared deviations)."""
    reports = a[0] + b[0]
    if a[1] is None or b[1] is None:
        return reports, a[1] if b[1] is None else b[1]
    return reports, chan(a[1], b[1])


def _covariance_product(X, y, w, index, V, mean):
    r"""A chunk's share of :math:`X_c^\top (X_c V)`, centered by the global mean
    without forming :math:`X_c`."""
    XV = np.asarray(X @ V) - mean @ V
    return np.asarray(X.T @ XV) - np.outer(mean, XV.sum(axis=0))
