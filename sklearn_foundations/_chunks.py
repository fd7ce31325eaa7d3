r"""Data in row chunks: one engine, one primitive.

A fit on data that do not sit in one array makes **passes**: each runs a NumPy
kernel on every row chunk ``(X_b, y_b, w_b)`` and merges the partial results
in a fixed binary tree by chunk index,

.. math::

    ((p_0 \oplus p_1) \oplus (p_2 \oplus p_3)) \oplus \dots

never in the order the chunks finish, so that a fit is reproducible run to
run, and bitwise equal on every backend that has the same chunk boundaries.
The number of passes is the cost model (a round trip on a cluster costs tens
of milliseconds, a pass over storage far more): ``n_passes`` counts them.

:class:`NumpyChunks` holds in-memory arrays split at given row boundaries (it
carries most of the tests, and needs no dask);
:class:`sklearn_foundations.dask.DaskChunks` runs the same kernels on the
blocks of a dask array. The kernels and merges here are module-level
functions (a cluster pickles them by reference) and import only numpy/scipy:

- :func:`census`: a per-chunk report of the values (rows, weight sum, the
  first non-finite entry, the first negative weight), merged into a list so
  that the client raises one deterministic error for the lowest bad chunk;
- :func:`moments` and :func:`merge_moments`: the weighted mean, Gram matrix
  and moments of a chunk about its own mean, merged by Chan's formula, from
  which the squared loss's :class:`~sklearn_foundations.datafits.QuadraticDatafit`
  is built in one pass.
"""

import numpy as np
import scipy.sparse as sp

from .datafits import _centered_moments

__all__ = [
    "Chunks",
    "NumpyChunks",
    "census",
    "check_census",
    "merge_moments",
    "moments",
    "tree_merge",
]


def tree_merge(parts, merge):
    """Merge ``parts`` in a fixed binary tree by index: pairs (0, 1), (2, 3),
    ..., then pairs of those; an odd last one is carried up.

    Examples
    --------
    >>> from sklearn_foundations._chunks import tree_merge
    >>> tree_merge(["a", "b", "c", "d", "e"], lambda x, y: f"({x}{y})")
    '(((ab)(cd))e)'
    """
    parts = list(parts)
    if not parts:
        raise ValueError("No chunks: the data have no rows.")
    while len(parts) > 1:
        merged = [merge(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            merged.append(parts[-1])
        parts = merged
    return parts[0]


class Chunks:
    """Row chunks of ``X`` (with ``y`` and ``sample_weight``, or None).

    Subclasses give ``blocks()`` (the chunks, in order) or override
    :meth:`map_reduce`. Attributes: ``n_chunks``, ``n_features``, ``dtype``,
    ``feature_names`` (None without names), ``n_passes`` (passes made).
    """

    n_passes = 0
    feature_names = None

    def map_reduce(self, kernel, merge, **broadcast):
        """One pass: ``kernel(X_b, y_b, w_b, index, **broadcast)`` on every
        chunk, merged by :func:`tree_merge`; the root, on the client."""
        self.n_passes += 1
        parts = [
            kernel(X_b, y_b, w_b, i, **broadcast)
            for i, (X_b, y_b, w_b) in enumerate(self.blocks())
        ]
        return tree_merge(parts, merge)

    def map_blocks(self, fn):
        """``fn(X_b)`` on every chunk, stacked by rows (no pass counted: an
        output, not a fit)."""
        outs = [fn(X_b) for X_b, _, _ in self.blocks()]
        return np.concatenate(outs, axis=0)


class NumpyChunks(Chunks):
    """In-memory ``X``, ``y``, ``sample_weight`` split at row ``boundaries``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray or None
    sample_weight : ndarray or None
    boundaries : int or sequence of int
        The number of (nearly equal) chunks, or the row indices where chunks
        start after the first (``[3, 4]``: rows 0-2, 3, 4-end).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations._chunks import NumpyChunks
    >>> chunks = NumpyChunks(np.arange(10.0)[:, None], boundaries=[3, 4])
    >>> chunks.map_reduce(lambda X, y, w, i: X.sum(), lambda a, b: a + b)
    np.float64(45.0)
    >>> chunks.row_counts, chunks.n_passes
    ([3, 1, 6], 1)
    """

    def __init__(self, X, y=None, sample_weight=None, boundaries=4):
        n = X.shape[0]
        if np.ndim(boundaries) == 0:
            cuts = np.linspace(0, n, int(boundaries) + 1).round().astype(int)[1:-1]
        else:
            cuts = np.asarray(boundaries, dtype=int)
        self._edges = [0, *[int(c) for c in cuts], n]
        self.X = X.tocsr() if sp.issparse(X) else X
        self.y, self.sample_weight = y, sample_weight
        self.n_chunks = len(self._edges) - 1
        self.n_features, self.dtype = X.shape[1], X.dtype
        self.row_counts = [int(c) for c in np.diff(self._edges)]

    def blocks(self):
        for a, b in zip(self._edges[:-1], self._edges[1:], strict=True):
            yield (
                self.X[a:b],
                None if self.y is None else self.y[a:b],
                None if self.sample_weight is None else self.sample_weight[a:b],
            )


def census(X, y, w, index, y_min=None):
    """What the client needs to know of a chunk's values, in one small
    report: its rows and weight sum, and the first non-finite entry of ``X``
    or ``y`` and the first negative weight (row within the chunk, column)."""
    values = X.data if sp.issparse(X) else X
    report = {"index": index, "rows": X.shape[0], "bad": None}
    if not np.all(np.isfinite(values)):
        report["bad"] = ("X", *_first_nonfinite(X))
    elif y is not None and not np.all(np.isfinite(y)):
        row = int(np.flatnonzero(~np.isfinite(np.reshape(y, (len(y), -1))).all(1))[0])
        report["bad"] = ("y", row, None, float(np.ravel(y[row])[0]))
    elif y_min is not None and np.any(y < y_min):
        row = int(np.flatnonzero(np.reshape(y < y_min, (len(y), -1)).any(1))[0])
        report["bad"] = ("y range", row, y_min, float(np.ravel(y[row])[0]))
    elif w is not None and np.any(w < 0):
        row = int(np.flatnonzero(w < 0)[0])
        report["bad"] = ("sample_weight", row, None, float(w[row]))
    report["weight"] = float(X.shape[0] if w is None else np.sum(w, dtype=np.float64))
    return [report]


def _first_nonfinite(X):
    """(row, column, value) of the first non-finite entry, row-major."""
    if sp.issparse(X):
        X = X.tocsr()
        pos = int(np.flatnonzero(~np.isfinite(X.data))[0])
        row = int(np.searchsorted(X.indptr, pos, side="right") - 1)
        return row, int(X.indices[pos]), float(X.data[pos])
    rows, cols = np.nonzero(~np.isfinite(X))
    return int(rows[0]), int(cols[0]), float(X[rows[0], cols[0]])


def concat(a, b):
    """The merge of list-valued partials (the census): order kept."""
    return a + b


def check_census(reports, offsets=None, feature_names=None):
    """Raise one ValueError for the lowest-index bad chunk, naming the chunk,
    the global row, the column (by name when known) and the value; returns
    the row counts and weight sums of the chunks otherwise."""
    starts = np.cumsum([0] + [r["rows"] for r in reports])[:-1]
    for r in reports:
        if r["bad"] is None:
            continue
        what, row, col, value = r["bad"]
        start = offsets[r["index"]] if offsets is not None else starts[r["index"]]
        where = f"chunk {r['index']}, row {start + row} (global index)"
        if what == "X":
            name = feature_names[col] if feature_names is not None else col
            raise ValueError(
                f"Input X contains NaN or infinity: {value} in {where}, feature "
                f"{name}. Remove or impute those rows (e.g. with dask's "
                "dropna or a SimpleImputer fitted beforehand)."
            )
        if what == "y range":
            raise ValueError(
                f"Some value(s) of y are out of the valid range of the loss, y >= "
                f"{col:g}: {value} in {where}. Poisson regression models counts; "
                "use loss='squared_error' for signed targets."
            )
        if what == "y":
            raise ValueError(
                f"Input y contains NaN or infinity: {value} in {where}. Remove "
                "those rows."
            )
        raise ValueError(
            f"Negative values in sample_weight: {value} in {where}. Sample "
            "weights must be non-negative."
        )
    return [r["rows"] for r in reports], [r["weight"] for r in reports]


def moments(X, y, w, index, fit_intercept=True, y_min=None):
    r"""A chunk's weight sum :math:`W_b`, means :math:`\bar{x}_b, \bar{y}_b`
    and, about them, :math:`G_b = X_c^\top W X_c`, :math:`Q_b = X_c^\top W y_c`
    and :math:`C_b = \tfrac12 \sum_i w_i \|y_{c,i}\|^2` (uncentered, means
    zero, without intercept); with the census report."""
    report = census(X, y, w, index, y_min)
    if X.shape[0] == 0:  # an empty chunk (after a filter): nothing to add
        return report, None
    w = np.ones(X.shape[0], dtype=X.dtype) if w is None else w.astype(X.dtype)
    n = X.shape[0]
    y = (
        np.zeros((n, 0), X.dtype)
        if y is None
        else np.reshape(y, (n, -1)).astype(X.dtype)
    )
    W = float(np.sum(w, dtype=np.float64))
    if report[0]["bad"] is not None or not W > 0:
        return report, None
    s = w / W
    zeros = (np.zeros(X.shape[1], X.dtype), np.zeros(y.shape[1], X.dtype))
    args = (None, None) if fit_intercept else zeros
    x_mean, G, q, y_mean, c = _centered_moments(X, y, s, *args)
    return report, (W, np.asarray(x_mean), y_mean, W * G, W * q, W * c)


def merge_moments(a, b):
    r"""Chan's merge of two chunks' moments about their own means:
    :math:`G = G_a + G_b + \frac{W_a W_b}{W} \delta \delta^\top`,
    :math:`\delta = \bar{x}_b - \bar{x}_a` (and the same for :math:`Q`,
    :math:`C` with :math:`\delta_y`); a chunk of zero weight is skipped."""
    reports = a[0] + b[0]
    if a[1] is None or b[1] is None:
        return reports, a[1] if b[1] is None else b[1]
    Wa, xa, ya, Ga, Qa, Ca = a[1]
    Wb, xb, yb, Gb, Qb, Cb = b[1]
    W = Wa + Wb
    f = Wa * Wb / W
    dx, dy = xb - xa, yb - ya
    x_mean = xa + dx * (Wb / W)
    y_mean = ya + dy * (Wb / W)
    G = Ga + Gb + f * np.outer(dx, dx).astype(Ga.dtype)
    Q = Qa + Qb + f * np.outer(dx, dy).astype(Qa.dtype)
    C = Ca + Cb + 0.5 * f * float(dy @ dy)
    return reports, (W, x_mean, y_mean, G, Q, C)


def is_lazy(*arrays):
    """Whether any argument is a dask collection (its type comes from a
    module under ``dask``): decided without importing dask."""
    return any(
        type(a).__module__.split(".")[0] in ("dask", "dask_expr")
        for a in arrays
        if a is not None
    )


def lazy_chunks(X, y=None, sample_weight=None):
    """The :class:`~sklearn_foundations.dask.DaskChunks` of dask inputs
    (imports dask, which the caller was given)."""
    from .dask import DaskChunks

    return DaskChunks(X, y, sample_weight)


def lazy_rows(X, fn, n_outputs=None, dtype=np.float64):
    """``fn`` on the row blocks of dask ``X``, lazily (a dask array)."""
    from .dask import map_rows

    return map_rows(X, fn, n_outputs, dtype)


def check_features(estimator, chunks):
    """``n_features_in_`` at predict time, on the client, in scikit-learn's
    words; and the feature names, when the estimator was fitted with them."""
    expected = estimator.n_features_in_
    if chunks.n_features != expected:
        raise ValueError(
            f"X has {chunks.n_features} features, but {type(estimator).__name__} "
            f"is expecting {expected} features as input."
        )
    fitted = getattr(estimator, "feature_names_in_", None)
    names = chunks.feature_names
    if fitted is not None and names is not None and list(fitted) != list(names):
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"got {list(names)}, fitted with {list(fitted)}."
        )


def set_features(estimator, chunks):
    """``n_features_in_`` and ``feature_names_in_`` from the chunks' metadata."""
    estimator.n_features_in_ = chunks.n_features
    if chunks.feature_names is not None:
        estimator.feature_names_in_ = chunks.feature_names
    else:
        estimator.__dict__.pop("feature_names_in_", None)


class Image:
    r"""The linear predictor :math:`Z = A\theta` of chunked data, held as
    :math:`\theta` itself: each pass recomputes :math:`X_b \theta` on its
    chunk. The solvers' combinations of images (:math:`Z + t Z_\delta`, an
    extrapolation) act on the thetas, so the image of a trial point is the
    trial point, bitwise."""

    def __init__(self, theta):
        self.theta = theta

    def __add__(self, other):
        return Image(self.theta + other.theta)

    def __sub__(self, other):
        return Image(self.theta - other.theta)

    def __mul__(self, scalar):
        return Image(scalar * self.theta)

    __rmul__ = __mul__

    def any(self):
        return self.theta.any()


def chan(a, b):
    """Chan's merge of (weight, mean, sum of squared deviations about it),
    per column: :math:`S = S_a + S_b + \\frac{W_a W_b}{W} \\delta^2`; a part
    of zero weight adds nothing to the mean."""
    Wa, ma, Sa = a
    Wb, mb, Sb = b
    W = Wa + Wb
    if not (Wa > 0 and Wb > 0):
        return (W, ma if Wa > 0 else mb, Sa + Sb)
    d = mb - ma
    return W, ma + d * (Wb / W), Sa + Sb + (Wa * Wb / W) * d * d


def add(a, b):
    """The merge of tuples of sums (None where a part was not asked for)."""
    return tuple(None if x is None else x + y for x, y in zip(a, b, strict=True))


def evaluate(X, y, w, index, theta, build, setup, hessian=False, V=None, ws=None):
    """One chunk's share of the datafit at ``theta``: the value and gradient,
    and the explicit Hessian :math:`A_b^\\top H_b A_b` (``hessian``) or the
    Hessian's product with ``V``; ``build(X, y, w, setup)`` makes the chunk's
    :class:`~sklearn_foundations.datafits.LinearDatafit` (with the global
    centering and the weights over the global sum)."""
    datafit = build(X, y, w, setup)
    Z = datafit.linear(theta)
    value, grad = datafit.value_gradient(theta, Z)
    H = HV = None
    if hessian:  # of the working set ``ws``, or of every column
        ws = np.arange(X.shape[1]) if ws is None else ws
        H = datafit.model_hessian(Z, ws)
    if V is not None:
        HV = datafit.hessian_product(Z, V)
    return value, grad, H, HV


class ChunkedDatafit:
    """A loss on the linear model of chunked data, through passes: the
    interface of :class:`~sklearn_foundations.datafits.LinearDatafit` (see
    the interface in :mod:`sklearn_foundations.datafits`).

    ``linear`` returns an :class:`Image`; ``value``, ``gradient`` and
    ``value_gradient`` at a point are one pass, memoized (the solvers ask
    for them at the same point more than once); ``hessian_product`` uses the
    explicit Hessian while there are at most ``explicit_max_params``
    parameters, returned by every pass while the solver asks for it (so a
    Newton method pays one pass per iteration), and one pass per product
    above; ``model_hessian`` (proximal Newton's working-set matrix) is one
    pass. ``metric`` comes from the census.
    """

    chunked = True
    sparse = False
    own_threads = False  # the passes run where the chunks live

    def __init__(self, loss, chunks, build, setup, *, metric, x_mean, n_targets,
                 fit_intercept, explicit_max_params=1500, n_samples=None):  # fmt: skip
        self.loss, self.chunks, self.build, self.setup = loss, chunks, build, setup
        # the census's row count: the solver table picks the steps it would
        # for the same rows in memory (None where unknown)
        self.n_samples = n_samples
        # the rows (their weights are not known without a pass), less one
        # where centered
        self.row_rank = (
            None if n_samples is None else n_samples - int(x_mean is not None)
        )
        self.x_mean, self.fit_intercept = x_mean, fit_intercept
        self.n_features, self.n_targets = chunks.n_features, n_targets
        self.dtype = chunks.dtype
        self._metric = metric
        n_params = (self.n_features + fit_intercept) * n_targets
        self.explicit = (
            loss.newton and n_targets == 1 and n_params <= explicit_max_params
        )
        # the passes return the Hessian from the start (a Newton method asks
        # for it at once); after two passes without a request, they stop
        self._want_hessian, self._asked, self._passes = self.explicit, False, 0
        self._memo = {}

    def metric(self):
        return self._metric

    def gram_form(self):
        return None

    def linear(self, theta):
        return Image(theta)

    def extrapolate(self, Z_new, Z, beta):
        return Image(Z_new.theta + beta * (Z_new.theta - Z.theta))

    def _at(self, theta, hessian=False):
        key = (np.asarray(theta).tobytes(), theta.shape)
        hit = self._memo.get(key)
        if hit is None or (hessian and hit[2] is None):
            hit = self.chunks.map_reduce(
                evaluate, add, theta=theta, build=self.build, setup=self.setup,
                hessian=hessian or self._want_hessian,
            )  # fmt: skip
            self._passes += 1
            if self._passes >= 2 and not self._asked:
                self._want_hessian = False
            if len(self._memo) > 3:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = hit
        return hit

    def value(self, theta, Z):
        return float(self._at(theta)[0])

    def gradient(self, theta, Z):
        return self._at(theta)[1]

    def value_gradient(self, theta, Z):
        value, grad, _, _ = self._at(theta)
        return float(value), grad

    def hessian_product(self, Z, V, AV=None):
        """One pass (``AV``, an image, is of no use here: each pass makes
        its own), or the product with the Hessian formed once."""
        if self.explicit:
            self._want_hessian = self._asked = True
            H = self._at(Z.theta, hessian=True)[2]
            return (H @ V.reshape(H.shape[0], -1)).reshape(V.shape)
        return self.chunks.map_reduce(
            evaluate, add, theta=Z.theta, build=self.build, setup=self.setup, V=V
        )[3]

    def hessian_at(self, Z):
        """:meth:`hessian_product` at ``Z`` as a function of the direction
        (each product a pass of its own, or the Hessian formed once)."""
        return lambda V, AV=None: self.hessian_product(Z, V, AV)

    def model_hessian(self, Z, ws):
        """The working-set model's matrix: one pass (with the value and the
        gradient at ``Z``'s point, which the next trial reuses); over every
        column (Newton's method), the pass that gives the value and the
        gradient there, memoized."""
        if len(ws) == self.n_features and self.explicit:
            self._want_hessian = self._asked = True
            return self._at(Z.theta, hessian=True)[2]
        return self.chunks.map_reduce(
            evaluate, add, theta=Z.theta, build=self.build, setup=self.setup,
            hessian=True, ws=ws,
        )[2]  # fmt: skip

    def lipschitz(self, random_state=0, metric=None):
        """:math:`\\ell''` bound times :math:`\\lambda_{\\max}` of the
        (metric-scaled) Hessian bound, from the explicit weighted Gram matrix
        of one pass."""
        from .datafits import _scaled
        from .linalg import largest_eigenvalue

        theta = np.zeros((self.n_features + self.fit_intercept, 1), self.dtype)
        setup = {**self.setup, "curvature_one": True}
        H = self.chunks.map_reduce(
            evaluate, add, theta=theta, build=self.build, setup=setup, hessian=True
        )[2]
        d = self.n_features
        op = H[:d, :d] if metric is None else _scaled(H[:d, :d], metric[:d])
        lam = largest_eigenvalue(op, random_state=random_state)
        return self.loss.lipschitz * (max(lam, 1.0) if self.fit_intercept else lam)


def accuracy(chunks, predict):
    """The weighted share of right predictions, in one pass of sums."""
    right, total = chunks.map_reduce(
        _accuracy_sums, add, predict=predict, names=chunks.feature_names
    )
    return right / total


def _accuracy_sums(X, y, w, index, predict, names=None):
    """A chunk's weighted count of right predictions and its weight (the
    block as a DataFrame with the columns' names, where the input had them)."""
    if names is not None:
        import pandas as pd

        X = pd.DataFrame(X, columns=names)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    return float(w @ (predict(X) == y)), float(w.sum())
