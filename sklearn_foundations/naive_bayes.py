"""NaiveBayesClassifier: Bayes' theorem with a distribution per column."""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._chunks import (
    accuracy,
    census,
    check_census,
    check_features,
    is_lazy,
    lazy_chunks,
    lazy_rows,
    set_features,
)
from ._compat import (
    BaseEstimator,
    Interval,
    StrOptions,
    _fit_context,
    check_labels,
    check_sample_weight,
)
from .probability import DISTRIBUTIONS, log_posterior, posterior

__all__ = ["NaiveBayesClassifier"]


class NaiveBayesClassifier(ClassifierMixin, BaseEstimator):
    r"""Naive Bayes: features independent given the class, one distribution each.

    By Bayes' theorem, with the features independent given the class,

    .. math::

        \log P(k \mid x) = \log P(k) + \sum_j \log p_j(x_j \mid k)
        - \operatorname{logsumexp}_l \Big(\log P(l) + \sum_j \log p_j(x_j \mid l)\Big),

    where each :math:`p_j` is the distribution chosen for column ``j`` (see
    :mod:`sklearn_foundations.probability`), fitted per class from weighted
    sufficient statistics.

    Parameters
    ----------
    distribution : str or dict, default="gaussian"
        "gaussian", "bernoulli", "multinomial", "binomial", "poisson" or
        "categorical" for every column; or a dict from those names to the
        columns each models (indices, or names of a DataFrame's columns), e.g.
        ``{"gaussian": [0, 1], "poisson": ["visits"]}``. Every column must be
        given exactly one distribution.
    priors : array-like of shape (n_classes,), default=None
        Class probabilities; None estimates them (``fit_prior``).
    fit_prior : bool, default=True
        Estimate the priors from the class weights; False takes them uniform.
    alpha : float or array-like of shape (n_features,), default=1.0
        Smoothing pseudo-count of the discrete distributions, one for all
        features or one per feature; 0 gives the maximum-likelihood
        estimates.
    var_smoothing : float, default=1e-9
        Share of the largest feature variance added to the Gaussian variances.
    binarize : float or None, default=0.0
        Bernoulli threshold: values above it are 1; None if already binary.
    n_trials : int, array-like or None, default=None
        Binomial number of trials, per feature or for all; None takes each
        feature's largest value over the samples of positive weight seen.
    min_categories : int, array-like or None, default=None
        Categorical: the least number of categories per feature.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Weighted number of samples per class.
    n_passes_ : int
        Passes over the data the fit made: the cost on chunked (dask) data,
        where each pass is a round trip over every chunk.
    class_prior_ : ndarray of shape (n_classes,)
    class_log_prior_ : ndarray of shape (n_classes,)
    distributions_ : dict
        The fitted distribution objects, by name.
    distribution_columns_ : dict
        The column indices each distribution models, by name.
    theta_, var_, epsilon_ : Gaussian class means, variances, added variance.
    feature_count_, feature_log_prob_ : Bernoulli or Multinomial statistics.
    rate_ : Poisson rates :math:`\lambda_{kj}`.
    prob_, n_trials_ : Binomial success probabilities and numbers of trials.
    category_count_, n_categories_ : Categorical counts.
        Each of these is set when the distribution that has it is used; its
        columns are that distribution's columns. Where two distributions of a
        mixed model have the same attribute name, it is found in
        ``distributions_`` only.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_foundations import NaiveBayesClassifier
    >>> X, y = load_digits(return_X_y=True)  # pixels: counts out of 16
    >>> clf = NaiveBayesClassifier(distribution="binomial", n_trials=16).fit(X, y)
    >>> round(clf.score(X, y), 3)
    0.914
    >>> clf.prob_.shape
    (10, 64)
    """

    _parameter_constraints = {
        "distribution": [StrOptions(set(DISTRIBUTIONS)), dict],
        "priors": ["array-like", None],
        "fit_prior": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
        "binarize": [Real, None],
        "n_trials": [Interval(Integral, 0, None, closed="left"), "array-like", None],
        "min_categories": [
            Interval(Integral, 1, None, closed="left"),
            "array-like",
            None,
        ],
    }

    def __init__(
        self,
        distribution="gaussian",
        *,
        priors=None,
        fit_prior=True,
        alpha=1.0,
        var_smoothing=1e-9,
        binarize=0.0,
        n_trials=None,
        min_categories=None,
    ):
        self.distribution = distribution
        self.priors = priors
        self.fit_prior = fit_prior
        self.alpha = alpha
        self.var_smoothing = var_smoothing
        self.binarize = binarize
        self.n_trials = n_trials
        self.min_categories = min_categories

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        dists = self._declared()
        params = self.get_params()
        tags.input_tags.sparse = all(d.sparse for d in dists)
        tags.input_tags.positive_only = all(d.needs_non_negative(params) for d in dists)
        tags.input_tags.categorical = any(d.categorical for d in dists)
        tags.classifier_tags.poor_score = not any(d.continuous for d in dists)
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the class priors and each distribution's per-class parameters.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse input for the count distributions only.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : NaiveBayesClassifier
        """
        if is_lazy(X, y, sample_weight):  # a dask collection: one pass
            return self._fit_chunks(lazy_chunks(X, y, sample_weight), None, True)
        return self._partial_fit(X, y, None, sample_weight, reset=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Add a chunk of data; chunks in sequence give the model of ``fit``.

        ``classes`` (every class that will be seen) is required on the first
        call and ignored afterwards.
        """
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "array of every class the data will have."
            )
        if not first and classes is not None:
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} is not the same as on "
                    f"last call to partial_fit, was: {self.classes_.tolist()}."
                )
        if is_lazy(X, y, sample_weight):  # one pass, merged into the model
            chunks = lazy_chunks(X, y, sample_weight)
            return self._fit_chunks(chunks, None if first else self.classes_, first,
                                    classes)  # fmt: skip
        return self._partial_fit(X, y, classes, sample_weight, reset=first)

    def _fit_chunks(self, chunks, known=None, reset=True, classes=None):
        """``fit`` (``reset``) or ``partial_fit`` on row chunks in one pass:
        each chunk's distributions fitted on its own classes (its values
        checked), merged in a fixed tree (classes united, statistics added,
        Gaussian moments by Chan's formula): exactly the in-memory model."""
        if reset:
            set_features(self, chunks)
            columns = self._resolve_columns(chunks.n_features)
            protos = {name: self._make(name, columns[name]) for name in columns}
        else:
            check_features(self, chunks)
            columns, protos = self.distribution_columns_, None
        given = None if classes is None else np.unique(classes)
        keep = all(d.keeps_float32 for d in self._declared())
        dtype = chunks.dtype if keep and chunks.dtype == np.float32 else np.float64
        setup = dict(
            columns=columns, protos=protos or {
                n: self._make(n, columns[n]) for n in columns
            },
            labels={n: self._labels(columns[n]) for n in columns},
            known=known if known is not None else given, dtype=dtype,
            owner=type(self).__name__,
        )  # fmt: skip
        reports, state = chunks.map_reduce(_nb_chunk, _merge_nb, setup=setup)
        _raise_first(reports, chunks.feature_names)
        if state is None:
            raise ValueError(
                "Sample weights must contain at least one non-zero number; "
                "all sample_weight values are zero."
            )
        if not reset:  # merge into the model so far
            old = (self.classes_, self._class_count, self.distributions_, dtype)
            state = _merge_states(old, state)
        classes, class_count, dists, _ = state
        self.classes_, self.distribution_columns_ = classes, columns
        self.distributions_, self._class_count = dists, class_count
        self._dtype = dtype
        self._set_priors()
        self._export_attributes()
        self.n_passes_ = chunks.n_passes
        return self

    def predict_joint_log_proba(self, X):
        r""":math:`\log P(x, k) = \log P(k) + \sum_j \log p_j(x_j \mid k)`."""
        if is_lazy(X):
            return self._lazy(X, self.predict_joint_log_proba)
        return self._output(self._joint_log_likelihood(X, constant=True))

    def predict_log_proba(self, X):
        """Log of the posterior class probabilities, by log-sum-exp."""
        if is_lazy(X):
            return self._lazy(X, self.predict_log_proba)
        return self._output(log_posterior(self._joint_log_likelihood(X)))

    def predict_proba(self, X):
        """Posterior class probabilities :math:`P(k \\mid x)`."""
        if is_lazy(X):
            return self._lazy(X, self.predict_proba)
        return self._output(posterior(self._joint_log_likelihood(X)))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy, weighted by ``sample_weight``; on dask input one
        pass of sums."""
        if not is_lazy(X, y, sample_weight):
            return super().score(X, y, sample_weight)
        chunks = lazy_chunks(X, y, sample_weight)
        check_features(self, chunks)
        return accuracy(chunks, self.predict)

    def _lazy(self, X, method, per_class=True):
        """``method`` on every block of dask ``X``, lazily."""
        check_is_fitted(self)
        check_features(self, lazy_chunks(X))
        if per_class:
            return lazy_rows(X, method, len(self.classes_), self._dtype)
        return lazy_rows(X, method, None, self.classes_.dtype)

    def _output(self, values):
        """Float32 for a Gaussian model fitted on float32 data (as GaussianNB),
        float64 otherwise; the computation itself is float64."""
        return values.astype(self._dtype, copy=False)

    def predict(self, X):
        """The class of largest posterior probability."""
        if is_lazy(X):
            return self._lazy(X, self.predict, per_class=False)
        jll = self._joint_log_likelihood(X)
        return self.classes_[np.argmax(jll, axis=1)]

    def _joint_log_likelihood(self, X, constant=False):
        """The joint log-likelihood; without ``constant``, less the terms that
        are the same for every class (they cancel in the posterior)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        jll = self._log_prior + np.zeros((X.shape[0], len(self.classes_)))
        for name, dist in self.distributions_.items():
            columns = self.distribution_columns_[name]
            part = _take(X, columns)
            dist.check(part, self._labels(columns), owner=type(self).__name__)
            jll += dist.log_likelihood(part, constant=constant)
        impossible = np.flatnonzero(np.all(jll == -np.inf, axis=1))
        if len(impossible):
            raise ValueError(
                f"Sample {impossible[0]} has probability zero under every class: "
                "with alpha=0 (maximum likelihood) a value never seen in a class "
                "in fit is impossible in it. Set alpha > 0 to smooth the estimates."
            )
        return jll

    def _names(self):
        if isinstance(self.distribution, dict):
            return set(self.distribution)
        return {self.distribution}

    def _declared(self):
        """The distribution classes named, for their declarations."""
        return [DISTRIBUTIONS[n] for n in sorted(self._names()) if n in DISTRIBUTIONS]

    def _validate_X(self, X, reset=False):
        return validate_data(self, X, reset=reset, **self._input_kwargs())

    def _input_kwargs(self):
        dists = self._declared()
        sparse = "csr" if all(d.sparse for d in dists) else False
        keep = all(d.keeps_float32 for d in dists)
        dtype = [np.float64, np.float32] if keep else np.float64
        return dict(accept_sparse=sparse, dtype=dtype)

    def _partial_fit(self, X, y, classes, sample_weight, reset):
        """Validate everything, then update: a chunk with a bad value leaves
        the model as it was."""
        X, y = validate_data(self, X, y, reset=reset, **self._input_kwargs())
        check_labels(y)
        sw = check_sample_weight(sample_weight, X, dtype=np.float64)
        labels = None
        if reset:
            if classes is None:  # the classes and each row's index at once
                classes, labels = np.unique(y, return_inverse=True)
            else:
                classes = np.unique(classes)
            columns = self._resolve_columns(X.shape[1])
            dists = {name: self._make(name, columns[name]) for name in columns}
        else:  # updated copies, kept once every one is updated
            classes, columns = self.classes_, self.distribution_columns_
            dists = copy.deepcopy(self.distributions_)
        Y = self._weighted_indicator(y, sw, classes, labels)
        parts = {name: _take(X, columns[name]) for name in dists}
        for name, dist in dists.items():
            dist.check(
                parts[name], self._labels(columns[name]), fitting=True,
                owner=type(self).__name__,
            )  # fmt: skip
        for name, dist in dists.items():  # statistics that overflow: an error
            dist.partial_fit(parts[name], Y)
        if reset:
            self.classes_, self.distribution_columns_ = classes, columns
            self._class_count = np.zeros(len(classes))
        self.distributions_, self._dtype = dists, X.dtype
        self._class_count = self._class_count + Y.sum(axis=0)
        self._set_priors()
        self._export_attributes()
        self.n_passes_ = 1  # the sufficient statistics, in one pass
        return self

    @staticmethod
    def _weighted_indicator(y, sw, classes, idx=None):
        """``Y[i, k]``: the weight of sample ``i`` in its class ``k``."""
        if idx is None:
            idx = np.searchsorted(classes, y)
            idx = np.minimum(idx, len(classes) - 1)
            unknown = classes[idx] != y
            if np.any(unknown):
                raise ValueError(
                    f"The target label(s) {np.unique(y[unknown]).tolist()} in y do "
                    f"not exist in the initial classes {classes.tolist()} "
                    "given on the first call of partial_fit."
                )
        Y = np.zeros((len(y), len(classes)))
        Y[np.arange(len(y)), idx] = sw
        return Y

    def _set_priors(self):
        K = len(self.classes_)
        if self.priors is not None:
            priors = np.asarray(self.priors, dtype=float)
            if priors.shape != (K,):
                raise ValueError(
                    f"Number of priors must match number of classes: priors has "
                    f"{priors.size} entries for the {K} classes {self.classes_.tolist()}."
                )
            if np.any(priors < 0):
                raise ValueError(f"Priors must be non-negative; got {priors.tolist()}.")
            if not np.isclose(priors.sum(), 1.0):
                raise ValueError(
                    f"The sum of the priors should be 1; they sum to {priors.sum()}."
                )
            prior = priors
        elif self.fit_prior:
            prior = self._class_count / self._class_count.sum()
        else:
            prior = np.full(K, 1.0 / K)
        # counted in float64; shown in the data's dtype (float32 stays float32)
        self.class_count_ = self._class_count.astype(self._dtype)
        self.class_prior_ = prior.astype(self._dtype)
        with np.errstate(divide="ignore"):
            self._log_prior = np.log(prior)
        self.class_log_prior_ = self._log_prior.astype(self._dtype)

    def _make(self, name, columns):
        alpha = self.alpha
        if np.ndim(alpha) and columns is not None:  # per feature: these columns
            alpha = (
                np.asarray(alpha)[columns]
                if len(alpha) == self.n_features_in_
                else alpha
            )
        params = {**self.get_params(deep=False), "alpha": alpha}
        return DISTRIBUTIONS[name].from_params(params)

    def _resolve_columns(self, n_features):
        if not isinstance(self.distribution, dict):
            return {self.distribution: None}  # None: every column, no slicing
        names = getattr(self, "feature_names_in_", None)
        owner, out = {}, {}
        for name, cols in self.distribution.items():
            if name not in DISTRIBUTIONS:
                raise ValueError(
                    f"Unknown distribution {name!r} in distribution; choose from "
                    f"{sorted(DISTRIBUTIONS)}."
                )
            idx = [
                self._column_index(c, names, n_features) for c in np.atleast_1d(cols)
            ]
            for j in idx:
                if j in owner:
                    raise ValueError(
                        f"Column {j} is given to both {owner[j]!r} and {name!r}; "
                        "give each column one distribution."
                    )
                owner[j] = name
            out[name] = np.array(idx, dtype=np.intp)
        missing = sorted(set(range(n_features)) - set(owner))
        if missing:
            labels = [names[j] for j in missing] if names is not None else missing
            raise ValueError(
                f"Columns {labels} are not given a distribution; every column "
                "needs one (they are not dropped silently)."
            )
        return out

    @staticmethod
    def _column_index(col, names, n_features):
        if isinstance(col, str):
            if names is None or col not in names:
                raise ValueError(
                    f"Column {col!r} of distribution is not a feature name of X; "
                    "column names need a DataFrame with those columns."
                )
            return int(np.flatnonzero(names == col)[0])
        if not 0 <= int(col) < n_features:
            raise ValueError(
                f"Column {col} of distribution is out of range for X with "
                f"{n_features} features."
            )
        return int(col)

    def _labels(self, columns):
        """The names (or indices) of ``columns`` (None: every column)."""
        names = getattr(self, "feature_names_in_", None)
        all_labels = names if names is not None else np.arange(self.n_features_in_)
        return (all_labels if columns is None else all_labels[columns]).tolist()

    def _export_attributes(self):
        """Each distribution's declared fitted attributes, on the estimator
        where one distribution alone has that name."""
        seen = {}
        for dist in self.distributions_.values():
            for attr in dist.fitted_attributes:
                seen.setdefault(attr, []).append(getattr(dist, attr))
        for attr, values in seen.items():
            if len(values) == 1:
                setattr(self, attr, values[0])


def _take(X, columns):
    """The columns of ``X`` a distribution models (None: all of them)."""
    return X if columns is None else X[:, columns]


def _nb_chunk(X, y, w, index, setup):
    """One chunk's census report and its model: the classes it holds, their
    weights, and each distribution fitted on its columns (checked first; a
    bad value is reported with its row, found by bisection on the rows)."""
    report = census(X, None, w, index)
    if report[0]["bad"] is not None or X.shape[0] == 0:
        return report, None
    dtype = setup["dtype"]
    X = X if X.dtype == dtype else X.astype(dtype)
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    known = setup["known"]
    if known is None:
        classes, idx = np.unique(y, return_inverse=True)
    else:
        classes = known
        idx = np.minimum(np.searchsorted(known, y), len(known) - 1)
        unknown = known[idx] != y
        if np.any(unknown):
            row = int(np.flatnonzero(unknown)[0])
            report[0]["bad"] = ("label", row, None, (
                f"The target label(s) {np.unique(y[unknown]).tolist()} in y do not "
                f"exist in the initial classes {known.tolist()}"
            ))  # fmt: skip
            return report, None
    Y = np.zeros((X.shape[0], len(classes)))
    Y[np.arange(X.shape[0]), idx] = w
    dists = {}
    for name, proto in setup["protos"].items():
        dist = copy.deepcopy(proto)
        part = _take(X, setup["columns"][name])
        labels = setup["labels"][name]
        try:
            dist.check(part, labels, fitting=True, owner=setup["owner"])
        except ValueError as exc:
            row = _first_bad_row(dist, part, labels, setup["owner"])
            report[0]["bad"] = ("check", row, None, str(exc))
            return report, None
        dists[name] = dist.partial_fit(part, Y)
    return report, (classes, Y.sum(axis=0), dists, dtype)


def _first_bad_row(dist, part, labels, owner):
    """The first row whose values ``dist.check`` rejects: bisection on the
    prefixes of ``part`` (on the error path only)."""
    lo, hi = 0, part.shape[0]  # check(part[:hi]) fails, check(part[:lo]) passes
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            dist.check(part[:mid], labels, fitting=True, owner=owner)
            lo = mid
        except ValueError:
            hi = mid
    return lo


def _merge_states(a, b):
    """Two models' union: classes united, counts and distributions merged."""
    if a is None or b is None:
        return a if b is None else b
    classes = np.union1d(a[0], b[0])
    rows_a, rows_b = np.searchsorted(classes, a[0]), np.searchsorted(classes, b[0])
    K = len(classes)
    count = np.zeros(K)
    count[rows_a] += a[1]
    count[rows_b] += b[1]
    dists = {
        n: a[2][n].merged(b[2][n], rows_a, rows_b, K, _width(a[2][n]), b[3])
        for n in a[2]
    }
    return classes, count, dists, b[3]


def _width(dist):
    """The number of features a fitted distribution models."""
    for name in ("feature_count_", "_mean", "n_categories_"):
        if hasattr(dist, name):
            return np.shape(getattr(dist, name))[-1]
    raise AttributeError(f"{type(dist).__name__} has no statistics")


def _merge_nb(a, b):
    return a[0] + b[0], _merge_states(a[1], b[1])


def _raise_first(reports, feature_names):
    """The lowest bad chunk's error, by chunk and global row."""
    starts = np.cumsum([0] + [r["rows"] for r in reports])[:-1]
    for r in reports:
        if r["bad"] is None:
            continue
        what, row, col, value = r["bad"]
        where = f"chunk {r['index']}, row {starts[r['index']] + row} (global index)"
        if what in ("check", "label"):
            raise ValueError(f"{value} ({where}).")
        check_census(reports, None, feature_names)
