"""LogisticRegression: maximum likelihood for classes, with L2, L1 or elastic net."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from .._chunks import (
    ChunkedDatafit,
    accuracy,
    census,
    chan,
    check_census,
    check_features,
    is_lazy,
    lazy_chunks,
    lazy_rows,
    set_features,
    tree_merge,
)
from .._compat import (
    BaseEstimator,
    CallbackSupportMixin,
    Hidden,
    Interval,
    StrOptions,
    _fit_context,
    check_finite,
    check_labels,
    check_sample_weight,
    deferred_check,
)
from .._precision import float64_arithmetic
from ..datafits import LinearDatafit, _positive, make_datafit
from ..linalg import column_squares
from ..losses import BinomialLogLoss, HalfSquaredError, MultinomialLogLoss
from ..optimize import METHODS
from ._base import (
    SparseCoefMixin,
    class_weights,
    dense_coef,
    from_centered,
    make_penalty,
    solve,
    to_centered,
    warn_unconverged,
    warn_underflow,
)

_DTYPES = [np.float64, np.float32]
# other names of the table's methods: "newton" is "prox-newton"; scikit-learn's
# names of its own algorithms, for code written for it, take the table's row
# for the case (the package fits with its methods: the same optimum)
_ALIASES = {"newton": "prox-newton", "liblinear": "auto", "sag": "auto", "saga": "auto"}
# the full-batch methods of the solver table, and their other names
_SOLVERS = {"auto"} | set(_ALIASES) | (set(METHODS) - {"gradient", "sgd"})


# scikit-learn's sentence when its solver of that name reaches max_iter: the
# unconverged warning ends with it (a filter written for scikit-learn's
# warning catches ours)
_WORDS = {
    "lbfgs": "lbfgs failed to converge",
    "newton-cg": "newton-cg failed to converge. Increase the number of iterations.",
    "newton-cholesky": "Newton solver did not converge after {n_iter} iterations",
    "liblinear": "Liblinear failed to converge, increase the number of iterations.",
    "sag": "The max_iter was reached which means the coef_ did not converge",
    "saga": "The max_iter was reached which means the coef_ did not converge",
}


def method_of(solver):
    """The solver table's method of a ``solver`` name (:data:`_ALIASES`)."""
    return _ALIASES.get(solver, solver)


def check_dual(solver, dual, l1_ratios, C=1.0):
    """scikit-learn's ``dual``: the dual formulation is liblinear's way to
    an L2 optimum, accepted with ``solver="liblinear"`` and an L2 penalty
    (the fit reaches the same optimum by the table's method), else refused
    in scikit-learn's words."""
    if not dual:
        return
    if solver != "liblinear":
        raise ValueError(f"Solver {solver} supports only dual=False, got dual={dual}")
    if any(ratio > 0 for ratio in l1_ratios) or C == np.inf:
        raise ValueError(
            "dual=True is liblinear's form of an L2 penalty; got an L1 term "
            "(l1_ratio > 0) or no penalty (C=np.inf). Use dual=False."
        )


class LogisticOutputs:
    """What a fitted logistic model gives (``coef_``, ``intercept_``,
    ``classes_`` set): decision values, labels, probabilities, the score;
    shared by :class:`LogisticRegression` and its cross-validated form."""

    def decision_function(self, X):
        """Linear predictor :math:`Xw + b` (two classes) or :math:`XW^\\top + b`.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        if is_lazy(X):
            k = None if self.coef_.shape[0] == 1 else self.coef_.shape[0]
            return self._lazy(X, self.decision_function, k)
        Z = self._linear(X)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict(self, X):
        """The class of largest probability."""
        if is_lazy(X):
            return self._lazy(X, self.predict, None, self.classes_.dtype)
        Z = self._linear(X)
        idx = (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)
        return self.classes_[idx]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy, weighted by ``sample_weight``; on dask input one
        pass of sums."""
        if not is_lazy(X, y, sample_weight):
            return super().score(X, y, sample_weight)
        chunks = lazy_chunks(X, y, sample_weight)
        check_features(self, chunks)
        return accuracy(chunks, self.predict)

    def _lazy(self, X, method, n_outputs, dtype=np.float64):
        """``method`` on every block of dask ``X``, lazily."""
        check_is_fitted(self)
        check_features(self, lazy_chunks(X))
        return lazy_rows(X, method, n_outputs, dtype)

    def predict_proba(self, X):
        """Class probabilities, :math:`\\sigma(z)` or :math:`\\operatorname{softmax}(z)`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        if is_lazy(X):
            return self._lazy(X, self.predict_proba, len(self.classes_))
        Z = self._linear(X)
        return self._loss().predict_proba(Z)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, by log-sigmoid or log-softmax."""
        if is_lazy(X):
            return self._lazy(X, self.predict_log_proba, len(self.classes_))
        Z = self._linear(X)
        return self._loss().predict_log_proba(Z)

    def _predict_proba_lr(self, X):
        """One-vs-rest probabilities: each class's :math:`\\sigma(z_k)`,
        normalized to sum to one (scikit-learn's linear classifiers give
        these under this name; :meth:`predict_proba` is the model's own)."""
        Z = self._linear(X)
        P = expit(Z)
        if Z.shape[1] == 1:
            return np.hstack([1.0 - P, P])
        return P / P.sum(axis=1, keepdims=True)

    def _linear(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=_DTYPES, reset=False
        )
        return np.asarray(X @ dense_coef(self).T) + self.intercept_

    def _loss(self):
        return BinomialLogLoss() if len(self.classes_) == 2 else MultinomialLogLoss()


class LogisticRegression(
    CallbackSupportMixin, SparseCoefMixin, LogisticOutputs, ClassifierMixin,
    BaseEstimator,
):  # fmt: skip
    r"""Logistic regression: the sigmoid for two classes, the softmax for more.

    Minimizes scikit-learn's objective over the coefficients ``W`` and the
    (unpenalized) intercepts ``b``,

    .. math::

        C \sum_i s_i \, \mathrm{CE}(y_i, p_i)
        + \rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_F^2,
        \qquad p_i = \sigma(x_i^\top w + b) \text{ or }
        \operatorname{softmax}(W x_i + b),

    with sample weights :math:`s_i` (times the class weights) and :math:`\rho` =
    ``l1_ratio``. Divided by :math:`C \sum_i s_i` it is the package's one
    convention, the mean loss plus
    :math:`\alpha (\rho \|W\|_1 + \frac{1-\rho}{2} \|W\|_F^2)` with
    :math:`\alpha = 1 / (C \sum_i s_i)`; ``loss_curve_`` records it in that
    form. The gradient, by the chain rule, is :math:`X^\top S (P - Y)` plus the
    penalty's.

    Parameters
    ----------
    penalty : {"l1", "l2", "elasticnet"} or None
        Deprecated in scikit-learn 1.8, accepted with a ``FutureWarning`` as
        scikit-learn 1.9 accepts it: "l2" is ``l1_ratio=0``, "l1"
        ``l1_ratio=1``, "elasticnet" the given ``l1_ratio``, None
        ``C=np.inf``. Leave it unspecified.
    C : float, default=1.0
        Inverse regularization strength; ``np.inf`` for no penalty.
    l1_ratio : float, default=0.0
        Share :math:`\rho` of the L1 term: 0 is L2 (ridge), 1 is L1 (lasso),
        in between is the elastic net.
    dual : bool, default=False
        scikit-learn's: liblinear's dual formulation of an L2 penalty, the same
        optimum. True is accepted with ``solver="liblinear"`` and an L2
        penalty (the fit is the same), and refused otherwise, as scikit-learn
        refuses it.
    fit_intercept : bool, default=True
        Whether to fit the intercepts ``b``.
    intercept_scaling : float, default=1
        scikit-learn's: the value of liblinear's synthetic feature, whose
        weight, the intercept, liblinear penalizes. The intercept here is not
        penalized (as liblinear's tends to as this grows): no effect.
    class_weight : dict, "balanced" or None, default=None
        Weights multiplying the sample weights of each class; "balanced" gives
        every class the same total weight.
    solver : {"auto", "lbfgs", "newton-cholesky", "newton-cg", "prox-newton", "newton", "coupled-newton", "fista", "backtracking", "liblinear", "sag", "saga"}, default="auto"
        A method of :func:`~sklearn_foundations.optimize.minimize`'s table.
        "lbfgs": limited-memory BFGS, for a smooth objective (``l1_ratio=0`` or
        ``C=np.inf``). "newton-cholesky": Newton's method, each step a
        Cholesky solve of the formed Hessian, for a smooth objective (with
        three or more classes the Hessian couples the classes and is solved
        along the directions the softmax sees, as scikit-learn's).
        "newton-cg": truncated Newton, conjugate gradient on the Newton
        system with Hessian-vector products, for a smooth objective, dense or
        sparse. "prox-newton" (or "newton"): proximal
        Newton with coordinate descent on the quadratic model over a working
        set (the support and the worst optimality violations), every
        penalty, two classes, dense or sparse ``X``. "coupled-newton":
        proximal Newton over working sets of (feature, class) coordinates,
        the classes' curvature coupled, the model's matrix formed (for three
        or more classes where it is small).
        "fista": accelerated proximal gradient with a backtracking step that
        follows the local curvature (started at the curvature along the first
        gradient), every penalty and input; with three or more classes each
        feature's class weights are shifted after every step by the constant
        that minimizes their penalty, which the softmax does not see.
        "backtracking": proximal gradient with Armijo's line search. All
        give exact zeros under L1. "auto" takes the table's row: "newton-cg"
        for a smooth objective (with two classes and at most 200 features,
        the formed Hessian's steps, its factor preconditioning conjugate
        gradient, from the first iteration whose conjugate gradient needs
        more products than forming the Hessian costs, or once the fit's
        products add up to four times that),
        "prox-newton" for an L1 term with two
        classes, "coupled-newton" for an L1 term with three or more classes
        where the whole model, :math:`n ((d + 1) K)^2` flops, costs at most
        4e6 (iris, wine; float64 data), and "fista" otherwise. A method that
        cannot solve the case
        ("cg" and "feature-sign" need the squared error) raises a ValueError
        that says what it needs. scikit-learn's "liblinear", "sag" and "saga",
        its own algorithms, are accepted for code written for it: they take
        the "auto" row (the same objective, our methods; liblinear's
        penalized intercept is not reproduced, the intercept stays
        unpenalized), and an unconverged fit's warning ends with scikit-learn's
        sentence for the solver named, so that its warning filters catch ours.
    tol : float, default=1e-4
        Stop when the optimality measure of the mean-form objective, the
        largest entry of the gradient (or of the proximal gradient mapping),
        each divided by its column's scale :math:`\sqrt{D_j}` (:math:`D_j =
        \sum_i s_i (x_{ij} - \bar{x}_j)^2`, 1 for the intercept), is at most
        ``tol``: the plain gradient on standardized features, and a measure
        that does not change when a column is rescaled. A solver that stops
        short of it (``max_iter``, or no progress left in floating point) says
        so with a ``ConvergenceWarning``.
    max_iter : int, default=100
        Maximum number of iterations; 0 returns the starting point (zeros, or
        the previous fit with ``warm_start``) with a ``ConvergenceWarning``.
    warm_start : bool, default=False
        Start from the previous solution of ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds the Lanczos iteration that estimates the Lipschitz constant ``L``,
        which "fista" needs only where the curvature along its first gradient
        is zero.
    verbose : int, default=0
        Print the objective at each iteration (from the solver's callback
        hook, as ``loss_curve_`` and ``n_iter_``; scikit-learn's callbacks,
        ``set_callbacks``, see every iteration through it too).
    n_jobs : int or None, default=None
        No effect, as in scikit-learn 1.9 (deprecated there in 1.8): a
        ``FutureWarning`` when set. The passes over large data use the
        package's threads.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        One weight vector for two classes (the second is positive), one per
        class for more.
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
        Iterations run.
    n_passes_ : int
        Passes over the data the fit made: the cost on chunked (dask) data,
        where each pass is a round trip over every chunk.
    loss_curve_ : list of float
        The mean-form objective after each iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined when ``X`` has string feature names.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_foundations import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=200).fit(X, y)
    >>> clf.coef_.shape, round(clf.score(X, y), 2)
    ((3, 4), 0.97)
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.982, 0.018, 0.   ]])
    """

    _parameter_constraints = {
        "penalty": [
            StrOptions({"l1", "l2", "elasticnet"}),
            None,
            Hidden(StrOptions({"deprecated"})),
        ],
        "C": [Interval(Real, 0, np.inf, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), Hidden(None)],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "dual": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "solver": [StrOptions(_SOLVERS)],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        penalty="deprecated",
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        solver="auto",
        tol=1e-4,
        max_iter=100,
        warm_start=False,
        random_state=None,
        verbose=0,
        n_jobs=None,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by maximum penalized likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels of any type, at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LogisticRegression
        """
        if is_lazy(X, y, sample_weight):  # a dask collection: passes over chunks
            return self._fit_chunks(lazy_chunks(X, y, sample_weight))
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=_DTYPES,
            ensure_all_finite=False,
        )  # fmt: skip
        dtype = X.dtype  # of the coefficients; small float32 data fit in float64
        (X,) = float64_arithmetic(X)
        # dense X: the finiteness check from the datafit's column moments,
        # no pass of its own (sparse X: now, on its stored values)
        defer = not sp.issparse(X)
        if not defer:
            check_finite(X, self)
        check_labels(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {classes[0]!r}."
            )
        sw = check_sample_weight(sample_weight, X, dtype=X.dtype)
        sw = sw * class_weights(self.class_weight, classes, y_idx, sw)
        if not np.any(sw > 0):
            raise ValueError("class_weight and sample_weight give every sample zero.")
        s = sw / sw.sum()
        C, l1_ratio = self._C_and_l1_ratio()
        alpha = 0.0 if np.isinf(C) else 1.0 / (C * float(sw.sum()))
        penalty = make_penalty("elasticnet", alpha, l1_ratio, self.fit_intercept)

        self.classes_ = classes
        Y = _encode(y_idx, len(classes), X.dtype)
        with deferred_check(defer):
            datafit = make_datafit(
                self._loss(), X, Y, s, self.fit_intercept, gram=False
            )
        if defer:
            check_finite(X, self, *datafit.moments)
        theta0 = self._initial_theta(X.shape[1], Y.shape[1], datafit.x_mean, X.dtype)
        result, done = solve(
            self, datafit, penalty, theta0,
            method=method_of(self.solver),
            tol=self.tol, max_iter=self.max_iter, verbose=self.verbose,
            random_state=self.random_state,
            fit_data=(X, y, sample_weight), attributes=self._attributes_of(datafit),
        )  # fmt: skip
        for name, value in self._attributes_of(datafit)(result.coef).items():
            setattr(self, name, value.astype(dtype, copy=False))
        self.n_iter_ = np.array([result.n_iter])
        self.loss_curve_ = result.objective
        self._warn(result, datafit, alpha)
        warn_underflow(self, datafit, alpha)
        self.n_passes_ = result.n_iter + 1  # one gradient per iteration, and the start
        done()
        return self

    def _C_and_l1_ratio(self):
        """``C`` and ``l1_ratio`` as the fit uses them, with scikit-learn
        1.9's deprecations and their warnings (the same words, so that
        filters written for scikit-learn's catch ours): ``penalty`` sets the
        L1 share, "l1" 1, "l2" 0, "elasticnet" ``l1_ratio``, None no penalty
        (``C=np.inf``); ``l1_ratio=None`` is 0; ``n_jobs`` has no effect."""
        if self.n_jobs is not None:
            _deprecated(
                f"'n_jobs' has no effect since 1.8 and will be removed in 1.10. "
                f"You provided 'n_jobs={self.n_jobs}', please leave it unspecified."
            )
        l1_ratio = self.l1_ratio
        if l1_ratio is None and self.penalty == "elasticnet":
            raise ValueError(
                "l1_ratio must be specified when penalty is elasticnet: a float "
                "between 0 and 1, the share of the L1 term."
            )
        if l1_ratio is None:
            _deprecated(
                "'l1_ratio=None' was deprecated in version 1.8 and will trigger an "
                "error in 1.10. Use 0<=l1_ratio<=1 instead."
            )
            l1_ratio = 0.0
        if self.penalty == "deprecated":
            check_dual(self.solver, self.dual, (l1_ratio,), self.C)
            return self.C, l1_ratio
        _deprecated(
            "'penalty' was deprecated in version 1.8 and will be removed in 1.10. "
            "To avoid this warning, leave 'penalty' set to its default value and use "
            "'l1_ratio' or 'C' instead. Use l1_ratio=0 instead of penalty='l2', "
            "l1_ratio=1 instead of penalty='l1', l1_ratio set to a float between 0 "
            "and 1 instead of penalty='elasticnet', and C=np.inf instead of "
            f"penalty=None (got penalty={self.penalty!r})."
        )
        if self.penalty != "elasticnet" and 0 < l1_ratio < 1:
            _warn(
                "l1_ratio parameter is only used when penalty is 'elasticnet'. "
                f"Got (penalty={self.penalty})"
            )
        if self.penalty is None:
            if self.C != 1.0:
                _warn("Setting penalty=None will ignore the C and l1_ratio parameters")
            check_dual(self.solver, self.dual, (0.0,), np.inf)
            return np.inf, 0.0
        implied = {"l1": 1.0, "l2": 0.0}.get(self.penalty, l1_ratio)
        check_dual(self.solver, self.dual, (implied,), self.C)
        if implied != l1_ratio:  # "l1" or "l2" against the given l1_ratio
            _warn(
                f"Inconsistent values: penalty={self.penalty} with "
                f"l1_ratio={l1_ratio}. penalty is deprecated. Please use l1_ratio "
                f"only (the fit takes l1_ratio={implied} from penalty)."
            )
        return self.C, implied

    def _fit_chunks(self, chunks):
        """``fit`` on row chunks: a census pass (the classes, their weights,
        the weighted mean and column scales by Chan's formula, the values
        checked), then the solver table on a
        :class:`~sklearn_foundations._chunks.ChunkedDatafit`: Newton-CG
        with the explicit Hessian returned by each pass (one pass per
        iteration) for a smooth objective, FISTA with a line search for an
        L1 term (proximal Newton reads columns, which chunks do not offer)."""
        set_features(self, chunks)
        dtype = chunks.dtype if chunks.dtype in _DTYPES else np.dtype(np.float64)
        reports, stats = chunks.map_reduce(_class_census, _merge_class_census)
        check_census(reports, None, chunks.feature_names)
        classes = np.array(sorted(stats))
        if len(classes) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {classes[0]!r}."
            )
        totals = np.array([stats[c][0] for c in classes])
        factors = class_weights(
            self.class_weight, classes, np.arange(len(classes)), totals
        )
        W = float(factors @ totals)
        if not W > 0:
            raise ValueError("class_weight and sample_weight give every sample zero.")
        x_mean, metric = _weighted_moments(stats, classes, factors, W, dtype)
        x_mean = x_mean if self.fit_intercept else None
        if not self.fit_intercept:  # uncentered column scales
            metric = _positive(metric[0] + metric[1] ** 2)
        else:
            metric = np.append(_positive(metric[0], metric[1], dtype), 1.0)
        self.classes_ = classes
        C, l1_ratio = self._C_and_l1_ratio()
        alpha = 0.0 if np.isinf(C) else 1.0 / (C * W)
        penalty = make_penalty("elasticnet", alpha, l1_ratio, self.fit_intercept)
        K = 1 if len(classes) == 2 else len(classes)
        setup = dict(classes=classes, factors=factors, W=W, loss=self._loss(),
                     x_mean=x_mean, fit_intercept=self.fit_intercept, dtype=dtype)  # fmt: skip
        datafit = ChunkedDatafit(
            self._loss(), chunks, _chunk_datafit, setup, metric=metric, x_mean=x_mean,
            n_targets=K, fit_intercept=self.fit_intercept,
            n_samples=sum(r["rows"] for r in reports),
        )  # fmt: skip
        theta0 = self._initial_theta(chunks.n_features, K, x_mean, dtype)
        result, done = solve(
            self, datafit, penalty, theta0,
            method=method_of(self.solver),
            tol=self.tol, max_iter=self.max_iter, verbose=self.verbose,
            random_state=self.random_state, fit_data=(None, None, None),
            attributes=self._attributes_of(datafit),
        )  # fmt: skip
        for name, value in self._attributes_of(datafit)(result.coef).items():
            setattr(self, name, value)
        self.n_iter_ = np.array([result.n_iter])
        self.loss_curve_ = result.objective
        separable = alpha == 0 and chunks.map_reduce(
            _separates_chunk, _both, theta=result.coef, setup=setup
        )
        self._warn(result, datafit, alpha, separable)
        self.n_passes_ = chunks.n_passes
        done()
        return self

    def _attributes_of(self, datafit):
        """``coef_`` and ``intercept_`` of an iterate ``theta`` (the softmax's
        intercepts centered: it sees only their differences)."""
        x_mean, d, n_outputs = datafit.x_mean, datafit.n_features, datafit.n_targets

        def attributes(theta):
            coef, intercept = from_centered(theta, x_mean, d, self.fit_intercept)
            if n_outputs > 1 and self.fit_intercept:
                intercept = intercept - intercept.mean()
            return {"coef_": coef, "intercept_": intercept}

        return attributes

    def _initial_theta(self, n_features, n_outputs, x_mean, dtype):
        shape = (n_outputs, n_features)
        if self.warm_start and getattr(self, "coef_", np.empty(0)).shape == shape:
            return to_centered(
                dense_coef(self).astype(dtype), self.intercept_.astype(dtype), x_mean,
                self.fit_intercept,
            )  # fmt: skip
        return np.zeros((n_features + self.fit_intercept, n_outputs), dtype=dtype)

    def _warn(self, result, datafit, alpha, separable=None):
        if separable is None:
            separable = alpha == 0 and _separates(
                datafit.linear(result.coef), datafit.y, datafit.s
            )
        if separable:
            warnings.warn(
                "The training data are linearly separable and C=np.inf: the "
                "likelihood has no maximum (it grows as the coefficients grow "
                "without bound), so the coefficients returned are where the "
                "solver stopped. Use a finite C to regularize.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif not result.converged:
            words = _WORDS.get(self.solver, "").format(n_iter=result.n_iter)
            warn_unconverged(
                "LogisticRegression", result, self.max_iter, self.tol, datafit.dtype,
                words=words,
            )  # fmt: skip


def _deprecated(message):
    """A ``FutureWarning`` at the caller of ``fit``."""
    warnings.warn(message, FutureWarning, stacklevel=5)


def _warn(message):
    """A ``UserWarning`` at the caller of ``fit``."""
    warnings.warn(message, UserWarning, stacklevel=5)


def _encode(y_idx, n_classes, dtype):
    """0/1 column for two classes (the second positive), one-hot for more."""
    if n_classes == 2:
        return (y_idx == 1).astype(dtype)[:, None]
    # column-major, like the linear predictor: the loss works on its transpose
    return np.asfortranarray(y_idx[:, None] == np.arange(n_classes), dtype=dtype)


def _separates(Z, Y, s):
    """Whether the linear predictor ``Z`` classifies every weighted sample right."""
    used = s > 0
    if Y.shape[1] == 1:
        margin = np.where(Y[:, 0] == 1, Z[:, 0], -Z[:, 0])
    else:
        true = (Z * Y).sum(axis=1)
        margin = true - np.where(Y == 1, -np.inf, Z).max(axis=1)
    return bool(np.all(margin[used] > 0))


def _class_census(X, y, w, index):
    """A chunk's census report and, per label, its weight, mean and sum of
    squared deviations per column (about the class's own mean)."""
    report = census(X, None, w, index)
    if report[0]["bad"] is not None or X.shape[0] == 0:
        return report, {}
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    stats = {}
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        w_k = w[rows]
        W_k = float(w_k.sum())
        X_k = X[rows]
        mean = (
            np.asarray(X_k.T @ w_k).ravel() / W_k if W_k > 0 else np.zeros(X.shape[1])
        )
        m2 = column_squares(X_k, w_k, mean)
        stats[label.item() if hasattr(label, "item") else label] = (W_k, mean, m2)
    return report, stats


def _merge_class_census(a, b):
    stats = dict(a[1])
    for label, part in b[1].items():
        stats[label] = chan(stats[label], part) if label in stats else part
    return a[0] + b[0], stats


def _weighted_moments(stats, classes, factors, W, dtype):
    """The mean and the per-column sum of squares about it of the data with
    the class factors, over ``W``: ``(mean, (D, mean))`` with ``D`` the
    weighted variance of each column."""
    parts = [(f * stats[c][0], stats[c][1], f * stats[c][2])
             for c, f in zip(classes.tolist(), factors, strict=True)]  # fmt: skip
    total, mean, m2 = tree_merge(parts, chan)
    mean = mean.astype(dtype)
    return mean, (m2 / W, mean)


def _chunk_datafit(X, y, w, setup):
    """A chunk's datafit: its labels encoded against the global classes, its
    weights times the class factors over the global sum, the global mean."""
    classes, dtype = setup["classes"], setup["dtype"]
    idx = np.searchsorted(classes, y)
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    s = (w * setup["factors"][idx] / setup["W"]).astype(dtype)
    Y = _encode(idx, len(classes), dtype)
    loss = HalfSquaredError() if setup.get("curvature_one") else setup["loss"]
    X = X if X.dtype == dtype else X.astype(dtype)
    return LinearDatafit(loss, X, Y, s, setup["x_mean"], setup["fit_intercept"])


def _separates_chunk(X, y, w, index, theta, setup):
    datafit = _chunk_datafit(X, y, w, setup)
    return _separates(datafit.linear(theta), datafit.y, datafit.s)


def _both(a, b):
    return a and b
