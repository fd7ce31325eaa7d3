r"""Cross-validated linear models: alpha (or C) and l1_ratio chosen on paths.

Each fold fits a whole regularization path on its training part
(:class:`~sklearn_foundations.linear_model._path.PathProblem`: the Gram
matrix or the datafit set up once per fold and shared by every
``l1_ratio``, warm starts, strong-rule screening checked by the optimality
conditions) and scores every point of it on its test part. The grid point
with the best mean score over the folds wins (the first one on a tie: the
largest alpha, the smallest C, the first ``l1_ratio``) and the model is
refitted on all the data there, as scikit-learn's ``ElasticNetCV`` and
``LogisticRegressionCV`` do.
"""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import metadata_routing
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import validate_data

from .._compat import (
    BaseEstimator,
    Hidden,
    Interval,
    StrOptions,
    _check_method_params,
    _fit_context,
    _raise_for_params,
    _routing_enabled,
    check_labels,
    check_sample_weight,
    scorer_with_labels,
)
from .._precision import cast_fitted, float64_arithmetic
from ._base import (
    check_solver,
    class_weights,
    make_penalty,
    squared_error_gap,
    warn_unconverged,
)
from ._gradient_descent import GradientDescentRegressor, RegressorOutputs
from ._logistic import (
    _SOLVERS,
    LogisticOutputs,
    LogisticRegression,
    _deprecated,
    check_dual,
    method_of,
)
from ._path import PathProblem, check_alphas
from ._scores import classification_scores, regression_scores

__all__ = ["GradientDescentRegressorCV", "LogisticRegressionCV"]

_DTYPES = [np.float64, np.float32]
# the fitted arrays in X's dtype (small float32 data fit in float64)
_COEFFICIENTS = ("coef_", "intercept_", "coefs_paths_", "intercepts_paths_")
# LogisticRegressionCV's default l1_ratios: left as it is (this object), the
# legacy layout drops its axis, as scikit-learn 1.9's does for its default
_DEFAULT_L1_RATIOS = (0.0,)


class _PathCV:
    """The machinery both cross-validated models share: routing, folds in
    parallel, the choice on the mean score and the refit."""

    # routing off, whether fit's sample_weight weighs the test scores too
    # (scikit-learn's LogisticRegressionCV does; its regressors do not)
    _weighted_scores = False

    def _routed(self, sample_weight, params):
        """The splitter's and the scorer's parameters: routed when metadata
        routing is on, else none (and an error for any given) but
        ``sample_weight`` for the scorer where ``_weighted_scores``."""
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            return routed.splitter.split, routed.scorer.score
        _raise_for_params(params, self, "fit")
        if self._weighted_scores and sample_weight is not None:
            return {}, {"sample_weight": sample_weight}
        return {}, {}

    def get_metadata_routing(self):
        """The routing of ``fit``'s metadata to the splitter (``split``) and
        the scorer (``score``).

        Returns
        -------
        routing : MetadataRouter
        """
        scoring = MethodMapping().add(caller="fit", callee="score")
        if self._scores_by_scoring:
            scoring = scoring.add(caller="score", callee="score")
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)  # fit's own sample_weight
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(scorer=self._get_scorer(), method_mapping=scoring)
        )

    # whether ``score`` is the ``scoring`` (LogisticRegressionCV's) rather
    # than the mixin's metric
    _scores_by_scoring = False

    def _get_scorer(self):
        """The scorer of ``scoring`` (scikit-learn's name for it)."""
        return get_scorer(self.scoring or self._default_scoring)

    def _run_folds(self, folds, fit_fold):
        return Parallel(n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose)(
            delayed(fit_fold)(train, test) for train, test in folds
        )


def _best(scores, refit):
    """Indices (l1_ratio, grid point) of the best mean score over the folds
    of ``scores`` (n_folds, n_l1_ratios, n_points), the first on a tie; or,
    without ``refit``, each fold's own best."""
    n_folds, n_l1, n_points = scores.shape
    if refit:
        return divmod(int(np.argmax(scores.mean(axis=0).ravel())), n_points)
    flat = scores.reshape(n_folds, -1).argmax(axis=1)
    return flat // n_points, flat % n_points


def _check_ratios(l1_ratios, name):
    ratios = np.atleast_1d(np.asarray(l1_ratios, dtype=np.float64))
    if ratios.ndim != 1 or ratios.size == 0 or np.any((ratios < 0) | (ratios > 1)):
        raise ValueError(
            f"{name} must be numbers in [0, 1] (one or a list); got {l1_ratios!r}."
        )
    return ratios


class GradientDescentRegressorCV(
    _PathCV, RegressorOutputs, RegressorMixin, BaseEstimator
):
    r"""Linear regression with the penalty chosen by cross-validation on paths.

    For each ``l1_ratio`` :math:`\rho` and each alpha of the grid, minimizes

    .. math::

        J(w, b) = \frac{1}{\sum_i s_i} \sum_i s_i \, \ell(y_i, x_i^\top w + b)
        + \alpha \left( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \right)

    on the training part of every fold (a regularization path from
    :math:`\alpha_{\max}`, warm-started, screened by the strong rules with
    the optimality conditions checked), scores it on the test part (the mean
    squared error, or ``scoring``), picks the alpha and ``l1_ratio`` of the
    best mean score and refits there on all the data. With the squared error
    it is scikit-learn's :class:`~sklearn.linear_model.ElasticNetCV`
    (:class:`~sklearn.linear_model.LassoCV` for ``l1_ratio=1``): the same
    objective, grid, folds and choice.

    Parameters
    ----------
    loss : {"squared_error", "huber", "poisson"}, default="squared_error"
        The data term, as :class:`~sklearn_foundations.GradientDescentRegressor`'s.
    l1_ratio : float or array-like of float, default=1.0
        The share :math:`\rho` of L1, or a list of them to cross-validate.
    eps : float, default=1e-3
        :math:`\alpha_{\min} / \alpha_{\max}` of the automatic grid.
    alphas : int or array-like, default=100
        The number of alphas of the automatic grid (evenly on a log scale
        from :math:`\alpha_{\max}`, the smallest alpha with every coefficient
        zero on all the data, to ``eps`` times it; for ``l1_ratio=0`` from
        the :math:`\alpha_{\max}` of ``l1_ratio=0.001``), or the alphas.
    fit_intercept : bool, default=True
    positive : bool, default=False
        Hold the coefficients non-negative (every path and the refit; the
        grid is the same).
    epsilon : float, default=0.1
        Huber's threshold.
    cv : int, cross-validation generator or iterable, default=None
        None: 5-fold ``KFold``; an int: that many folds.
    scoring : str or callable, default=None
        None: the (weighted) mean squared error on the test folds, lowest
        best; else a scorer, highest best.
    refit : bool, default=True
        Refit at the best alpha on all the data; False: ``coef_`` is the mean
        over folds of each fold's best fit, ``alpha_`` the mean of their
        alphas.
    tol : float, default=1e-6
        Each fit stops when the optimality measure (the gradient mapping per
        coefficient in units of its column's scale) is at most ``tol`` times
        its value for the intercept-only model. Tighter than
        :class:`~sklearn_foundations.GradientDescentRegressor`'s default: the
        choice compares test errors along a flat minimum, where a looser
        fit can pick another alpha.
    max_iter : int, default=1000
        Iterations per alpha.
    precompute : "auto" or bool, default="auto"
        The Gram matrix of the squared error, formed once per fold.
    screening : bool, default=True
        Fit each alpha on the strong rule's features, then check the rest.
    n_jobs : int, default=None
        Folds fitted in parallel (threads).
    random_state : int, RandomState instance or None, default=None
        Seeds the Lanczos iteration behind a first-order step.
    verbose : int, default=0

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid of each ``l1_ratio`` (one row for a single one).
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        The test folds' mean squared error.
    scores_ : ndarray of shape (n_folds, n_l1_ratio, n_alphas)
        The test folds' scores (``scoring``, or minus the mean squared error).
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratio, n_alphas, n_features)
        Every fold's path.
    intercepts_paths_ : ndarray of shape (n_folds, n_l1_ratio, n_alphas)
    n_iter_ : int
        Iterations of the refit (without ``refit``, the most a fold's chosen
        fit took).
    n_iter_path_ : ndarray of shape (n_folds, n_l1_ratio, n_alphas)
        Iterations at every point of every fold's path (at least 1).
    loss_curve_ : list of float
        The refit's objective after each iteration.
    dual_gap_ : float
        The refit's duality gap, as
        :class:`~sklearn_foundations.GradientDescentRegressor`'s (the
        squared error with ``alpha_ > 0`` and ``refit``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_foundations.linear_model import GradientDescentRegressorCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = GradientDescentRegressorCV(cv=5).fit(X, y)
    >>> round(reg.alpha_, 5), int((reg.coef_ != 0).sum())
    (0.00375, 9)
    """

    _default_scoring = "neg_mean_squared_error"
    _parameter_constraints = {
        "loss": [StrOptions({"squared_error", "huber", "poisson"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="right")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "positive": ["boolean"],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "refit": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "precompute": [StrOptions({"auto"}), "boolean"],
        "screening": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        loss="squared_error",
        l1_ratio=1.0,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        positive=False,
        epsilon=0.1,
        cv=None,
        scoring=None,
        refit=True,
        tol=1e-6,
        max_iter=1000,
        precompute="auto",
        screening=True,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.loss = loss
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.positive = positive
        self.epsilon = epsilon
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.tol = tol
        self.max_iter = max_iter
        self.precompute = precompute
        self.screening = screening
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = False
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit a path per fold and ``l1_ratio``, choose, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the fits and of the test folds' mean squared error.
        **params : dict
            With metadata routing on: parameters of the splitter (``groups``)
            and the scorer.

        Returns
        -------
        self : GradientDescentRegressorCV
        """
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=_DTYPES, y_numeric=True
        )
        dtype = X.dtype  # of the coefficients; small float32 data fit in float64
        X, y = float64_arithmetic(X, y)
        sw = check_sample_weight(sample_weight, X, dtype=X.dtype)
        split_params, score_params = self._routed(sample_weight, params)
        ratios = _check_ratios(self.l1_ratio, "l1_ratio")
        setup = dict(loss=self.loss, fit_intercept=self.fit_intercept,
                     epsilon=self.epsilon, precompute=self.precompute, validated=True)  # fmt: skip
        full = PathProblem.from_data(X, y, sample_weight=sw, **setup)
        grids = np.array([self._grid(full, r) for r in ratios])
        folds = list(check_cv(self.cv).split(X, y, **split_params))
        scorer = None if self.scoring is None else check_scoring(self, self.scoring)

        def fit_fold(train, test):
            if full.datafit.gram_form() is not None:  # all the data's Gram less
                problem = full.without(X[test], y[test], sw[test])  # the test's
            else:
                problem = PathProblem.from_data(
                    X[train], y[train], sample_weight=sw[train], **setup
                )
            out, X_test = [], X[test]
            for ratio, alphas in zip(ratios, grids, strict=True):
                path = problem.path(
                    alphas, ratio, tol=self.tol * problem.null_violation(),
                    max_iter=self.max_iter, screening=self.screening,
                    random_state=self.random_state, positive=self.positive,
                )  # fmt: skip
                fold_params = _check_method_params(X, score_params, test)
                mse, score = self._test_scores(
                    path, X_test, y[test], sw[test], scorer, fold_params, problem
                )
                out.append((mse, score, path.coefs, path.intercepts, path.n_iter))
            return [np.array(part) for part in zip(*out, strict=True)]

        mse, scores, coefs, intercepts, n_iter = map(
            np.array, zip(*self._run_folds(folds, fit_fold), strict=True)
        )
        single = np.ndim(self.l1_ratio) == 0
        self.mse_path_ = (
            np.moveaxis(mse, 0, -1)[0] if single else np.moveaxis(mse, 0, -1)
        )
        self.alphas_ = grids[0] if single else grids
        self.scores_ = scores
        self.coefs_paths_, self.intercepts_paths_ = coefs, intercepts
        self.n_iter_path_ = n_iter
        self._choose(full, ratios, grids)
        cast_fitted(self, dtype, _COEFFICIENTS)
        return self

    def _grid(self, problem, ratio):
        if isinstance(self.alphas, Integral):
            return problem.alpha_grid(ratio, None, int(self.alphas), self.eps)
        return check_alphas(self.alphas)

    def _test_scores(self, path, X, y, sw, scorer, score_params, problem):
        """The path's weighted mean squared error on a test fold, and its
        scores (``scoring``, else minus that error)."""
        if scorer is None and self.loss == "squared_error":
            mse = problem.held_out_mse(path.coefs, path.intercepts)
            if mse is not None:  # from the test part's moments
                return mse, -mse
        Z = np.asarray(X @ path.coefs.T) + path.intercepts
        mu = self._loss().inverse_link(Z)
        mse = np.average((mu - y[:, None]) ** 2, weights=sw, axis=0)
        if scorer is None:
            return mse, -mse
        if not score_params and isinstance(self.scoring, str):
            scores = regression_scores(self.scoring, mu, y)
            if scores is not None:  # the scorer's numbers, without its checks
                return mse, scores
        model = GradientDescentRegressor(loss=self.loss, epsilon=self.epsilon)
        model.n_features_in_, model._y_ndim = X.shape[1], 1
        scores = []
        for coef, intercept in zip(path.coefs, path.intercepts, strict=True):
            model.coef_, model.intercept_ = coef, intercept
            scores.append(scorer(model, X, y, **score_params))
        return mse, np.array(scores)

    def _choose(self, full, ratios, grids):
        """``alpha_``, ``l1_ratio_``, and the refit (or the folds' mean)."""
        best = _best(self.scores_, self.refit)
        self.__dict__.pop("dual_gap_", None)
        if not self.refit:
            l1, a = best
            folds = np.arange(len(l1))
            self.l1_ratio_ = float(ratios[l1].mean())
            self.alpha_ = float(grids[l1, a].mean())
            self.coef_ = self.coefs_paths_[folds, l1, a].mean(axis=0)
            self.intercept_ = float(self.intercepts_paths_[folds, l1, a].mean())
            self.n_iter_ = int(self.n_iter_path_[folds, l1, a].max())
            self.loss_curve_ = []
            return
        l1, a = best
        self.l1_ratio_, self.alpha_ = float(ratios[l1]), float(grids[l1, a])
        null = full.null_violation()  # tol is relative to it
        result = full.fit(
            self.alpha_, self.l1_ratio_, tol=self.tol * null,
            max_iter=self.max_iter, random_state=self.random_state,
            positive=self.positive,
        )  # fmt: skip
        _warn_unconverged_refit(self, result, full.datafit.dtype, unit=null)
        coefs, intercepts = full.unpack([result.coef])
        self.coef_, self.intercept_ = coefs[0], float(intercepts[0])
        self.n_iter_, self.loss_curve_ = int(result.n_iter), list(result.objective)
        if self.loss == "squared_error":
            penalty = make_penalty(
                "elasticnet", self.alpha_, self.l1_ratio_, self.fit_intercept,
                self.positive,
            )  # fmt: skip
            gap = squared_error_gap(full.datafit, penalty, result)
            if gap is not None:
                self.dual_gap_ = float(gap[0])


class LogisticRegressionCV(_PathCV, LogisticOutputs, ClassifierMixin, BaseEstimator):
    r"""Logistic regression with C (and l1_ratio) chosen by cross-validation.

    For each ``l1_ratio`` :math:`\rho` and each C of the grid, minimizes
    :class:`~sklearn_foundations.LogisticRegression`'s objective,

    .. math::

        C \sum_i s_i \, \mathrm{CE}(y_i, p_i)
        + \rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_F^2,

    which is the package's mean loss plus
    :math:`\alpha (\rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_F^2)` with
    :math:`\alpha = 1 / (C \sum_i s_i)`, on the training part of every fold:
    a regularization path over the Cs in increasing order (decreasing alpha),
    warm-started and screened by the strong rules with the optimality
    conditions checked. Scores every point on the test part, picks the C and
    ``l1_ratio`` of the best mean score and refits there on all the data:
    scikit-learn 1.9's :class:`~sklearn.linear_model.LogisticRegressionCV`
    with ``use_legacy_attributes=False`` (the same grid, folds, choice and
    attribute shapes).

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        The inverse regularization strengths, or their number on a log scale
        from 1e-4 to 1e4.
    l1_ratios : array-like of float, default=(0.0,)
        The shares :math:`\rho` of L1 to cross-validate (0: L2, 1: L1).
        None, deprecated in scikit-learn 1.8 (a ``FutureWarning``), is
        ``(0,)``.
    penalty : {"l1", "l2", "elasticnet"}
        Deprecated in scikit-learn 1.8, accepted with a ``FutureWarning`` as
        scikit-learn 1.9 accepts it: "l2" is ``l1_ratios=(0,)``, "l1"
        ``l1_ratios=(1,)``, "elasticnet" the given ``l1_ratios``. Leave it
        unspecified.
    fit_intercept : bool, default=True
    cv : int, cross-validation generator or iterable, default=None
        None: 5-fold ``StratifiedKFold``; an int: that many folds.
    dual : bool, default=False
        As :class:`~sklearn_foundations.LogisticRegression`'s: True with
        ``solver="liblinear"`` and ``l1_ratios`` of 0 alone (the same fits),
        refused otherwise.
    scoring : str or callable, default=None
        None: accuracy; else a scorer (e.g. "neg_log_loss"), highest best.
    tol : float, default=1e-6
        Each fit stops at :class:`~sklearn_foundations.LogisticRegression`'s
        ``tol``: the gradient mapping per coefficient in units of its
        column's scale. Tighter than its default: the choice compares
        scores along a flat maximum, where a looser fit can pick another C.
    max_iter : int, default=100
        Iterations per C.
    class_weight : dict, "balanced" or None, default=None
        Factors of the sample weights of each class ("balanced" computed on
        all the data, for every fold).
    n_jobs : int, default=None
        Folds fitted in parallel (threads).
    refit : bool, default=True
        Refit at the best C on all the data; False: ``coef_`` is the mean over
        folds of each fold's best fit, ``C_`` the mean of their Cs.
    screening : bool, default=True
        Fit each C on the strong rule's features, then check the rest.
    solver : {"auto", "lbfgs", "newton-cholesky", "newton-cg", "prox-newton", "newton", "coupled-newton", "fista", "backtracking", "liblinear", "sag", "saga"}, default="auto"
        The method of every fit along the paths and of the refit, as
        :class:`~sklearn_foundations.LogisticRegression`'s ``solver``
        (scikit-learn's "liblinear", "sag" and "saga" take the "auto" row);
        one that cannot solve an ``l1_ratio`` of the grid (the smooth methods
        with an L1 term) or these classes is a ValueError that names the
        solvers that can.
    intercept_scaling : float, default=1.0
        As :class:`~sklearn_foundations.LogisticRegression`'s: no effect (the
        intercept is not penalized).
    random_state : int, RandomState instance or None, default=None
        Seeds the Lanczos iteration behind a first-order step.
    verbose : int, default=0
    use_legacy_attributes : bool, default=False
        scikit-learn 1.9's switch between its attribute layouts: False, the
        layout below (the default of scikit-learn 1.10); True, its older
        layout: ``coefs_paths_`` and ``scores_`` dicts keyed by class (the
        second class alone for two) of shapes (n_folds, n_cs, n_l1_ratios,
        n_dof) and (n_folds, n_cs, n_l1_ratios), ``n_iter_`` of shape (1,
        n_folds, n_cs, n_l1_ratios), ``C_`` and ``l1_ratio_`` arrays of one
        value per key (the ``n_l1_ratios`` axis dropped, as scikit-learn
        1.9's is for its default, where ``l1_ratios`` is left at its default
        or is the deprecated None).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    C_ : float
    l1_ratio_ : float
    Cs_ : ndarray of shape (n_cs,)
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_cs, n_outputs, n_dof)
        Every fold's path, the intercept last when fitted (``n_dof`` is
        ``n_features + 1``); ``n_outputs`` is 1 for two classes.
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
    loss_curve_ : list of float
        The refit's objective (mean form) after each iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_foundations.linear_model import LogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=5)).fit(X, y)
    >>> clf[-1].C_, clf[-1].scores_.shape
    (1.0, (5, 1, 5))
    """

    _default_scoring = "accuracy"
    _weighted_scores = True
    _scores_by_scoring = True
    # score's sample_weight is the scorer's to ask for (routing on)
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}
    _parameter_constraints = {
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like", Hidden(None)],
        "penalty": [
            StrOptions({"l1", "l2", "elasticnet"}),
            None,
            Hidden(StrOptions({"deprecated"})),
        ],
        "fit_intercept": ["boolean"],
        "cv": ["cv_object"],
        "dual": ["boolean"],
        "scoring": [str, callable, None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
        "screening": ["boolean"],
        "solver": [StrOptions(_SOLVERS)],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "use_legacy_attributes": ["boolean"],
    }

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=_DEFAULT_L1_RATIOS,
        penalty="deprecated",
        fit_intercept=True,
        cv=None,
        dual=False,
        scoring=None,
        tol=1e-6,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        refit=True,
        screening=True,
        solver="auto",
        intercept_scaling=1.0,
        random_state=None,
        verbose=0,
        use_legacy_attributes=False,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.scoring = scoring
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.refit = refit
        self.screening = screening
        self.solver = solver
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.verbose = verbose
        self.use_legacy_attributes = use_legacy_attributes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __sklearn_clone__(self):
        """A clone whose ``l1_ratios`` left at its default stays the default
        (the legacy layout tells it from a grid given, :meth:`_legacy_layout`;
        ``clone`` copies tuples)."""
        twin = super().__sklearn_clone__()
        if self.l1_ratios is _DEFAULT_L1_RATIOS:
            twin.l1_ratios = _DEFAULT_L1_RATIOS
        return twin

    def _method(self):
        """The table's method of ``solver`` (its other names: ``method_of``)."""
        return method_of(self.solver)

    def _check_solver(self, problem):
        """``solver`` on every ``l1_ratio`` of the grid, a ValueError in the
        estimator's terms where it cannot."""
        for ratio in self.l1_ratios_:
            penalty = make_penalty("elasticnet", 1.0, ratio, self.fit_intercept)
            check_solver(self, problem.datafit, penalty, self._method())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit a path per fold and ``l1_ratio``, choose, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        **params : dict
            With metadata routing on: parameters of the splitter (``groups``)
            and the scorer.

        Returns
        -------
        self : LogisticRegressionCV
        """
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], dtype=_DTYPES)
        dtype = X.dtype  # of the coefficients; small float32 data fit in float64
        (X,) = float64_arithmetic(X)
        check_labels(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {classes[0]!r}."
            )
        sw = check_sample_weight(sample_weight, X, dtype=X.dtype)
        split_params, score_params = self._routed(sample_weight, params)
        factors = class_weights(self.class_weight, classes, np.arange(len(classes)),
                                np.bincount(y_idx, weights=sw, minlength=len(classes)))  # fmt: skip
        weights = dict(zip(classes.tolist(), factors.tolist(), strict=True))
        self.classes_ = classes
        self.Cs_ = self._grid()
        self.l1_ratios_ = _check_ratios(self._l1_ratios(), "l1_ratios")
        check_dual(self.solver, self.dual, self.l1_ratios_)
        setup = dict(loss="log_loss", fit_intercept=self.fit_intercept,
                     class_weight=weights, classes=classes, validated=True)  # fmt: skip
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y, **split_params))
        _warn_missing_classes(folds, classes, y_idx, sw)
        scorer = check_scoring(self, self.scoring or self._default_scoring)
        order = np.argsort(self.Cs_, kind="stable")  # increasing C: decreasing alpha

        def fit_fold(train, test):
            problem = PathProblem.from_data(
                X[train], y[train], sample_weight=sw[train], **setup
            )
            self._check_solver(problem)
            alphas = _alphas_of(self.Cs_[order], problem.sample_weight.sum())
            out = []
            for ratio in self.l1_ratios_:
                path = problem.path(
                    alphas, ratio, tol=self.tol, max_iter=self.max_iter,
                    screening=self.screening, random_state=self.random_state,
                    method=self._method(),
                )  # fmt: skip
                back = np.argsort(order)  # the Cs' own order again
                coefs, intercepts = path.coefs[back], path.intercepts[back]
                fold_params = _check_method_params(X, score_params, test)
                scores = self._test_scores(
                    coefs, intercepts, X[test], y[test], scorer, fold_params
                )
                out.append((scores, _dof(coefs, intercepts, self.fit_intercept),
                            path.n_iter[back]))  # fmt: skip
            return [np.array(part) for part in zip(*out, strict=True)]

        scores, paths, n_iter = map(
            np.array, zip(*self._run_folds(folds, fit_fold), strict=True)
        )
        self.scores_, self.coefs_paths_, self.n_iter_ = scores, paths, n_iter
        self._choose(X, y, sw, setup)
        cast_fitted(self, dtype, _COEFFICIENTS)
        if self.use_legacy_attributes:
            self._legacy_layout()
        return self

    def _legacy_layout(self):
        """The attributes in scikit-learn 1.9's ``use_legacy_attributes=True``
        layout: ``coefs_paths_`` and ``scores_`` dicts keyed by class (the
        second class alone for two), paths (n_folds, n_cs, n_l1_ratios,
        n_dof), scores (n_folds, n_cs, n_l1_ratios), ``n_iter_`` (1, n_folds,
        n_cs, n_l1_ratios), ``C_`` and ``l1_ratio_`` repeated per key; the
        ``n_l1_ratios`` axis dropped for ``l1_ratios`` left at its default or
        the deprecated None (scikit-learn 1.9's default, ``'warn'``, is None;
        an explicit grid keeps the axis, one ratio too)."""
        keys = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        paths = np.moveaxis(self.coefs_paths_, 3, 0).swapaxes(2, 3)
        scores = self.scores_.swapaxes(1, 2)
        n_iter = self.n_iter_.swapaxes(1, 2)[None]
        if self.l1_ratios is None or self.l1_ratios is _DEFAULT_L1_RATIOS:
            paths, scores, n_iter = paths[..., 0, :], scores[..., 0], n_iter[..., 0]
        self.coefs_paths_ = dict(zip(keys, paths, strict=True))
        self.scores_ = {key: scores.copy() for key in keys}
        self.n_iter_ = n_iter
        self.C_ = np.full(len(keys), self.C_)
        self.l1_ratio_ = np.full(len(keys), self.l1_ratio_)

    def score(self, X, y, sample_weight=None, **params):
        """The ``scoring`` of the model on ``X``, ``y`` (accuracy when None),
        as scikit-learn's LogisticRegressionCV scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        **params : dict
            Parameters of the scorer: only with metadata routing on.

        Returns
        -------
        score : float
        """
        _raise_for_params(params, self, "score")  # routing off: none allowed
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        if _routing_enabled():  # sample_weight too, where the scorer asks
            params = process_routing(self, "score", **params).scorer.score
        return self._get_scorer()(self, X, y, **params)

    def _l1_ratios(self):
        """``l1_ratios``, or those of scikit-learn 1.9's deprecated
        ``penalty`` or ``l1_ratios=None`` (its ``FutureWarning``, in its
        words)."""
        if self.penalty == "deprecated":
            if self.l1_ratios is None:
                _deprecated(
                    "'l1_ratios=None' was deprecated in version 1.8 and will "
                    "trigger an error in 1.10. Use an array-like with values in "
                    "[0, 1] instead (None is l1_ratios=(0,))."
                )
                return (0.0,)
            return self.l1_ratios
        if self.penalty is None:
            raise ValueError(
                "penalty=None leaves no C to cross-validate; fit "
                "LogisticRegression(C=np.inf) for the unpenalized model."
            )
        _deprecated(
            "'penalty' was deprecated in version 1.8 and will be removed in 1.10. "
            "To avoid this warning, leave 'penalty' set to its default value and "
            "use 'l1_ratios' and 'Cs' instead. Use l1_ratios=(0,) instead of "
            "penalty='l2', l1_ratios=(1,) instead of penalty='l1', l1_ratios set "
            "to floats between 0 and 1 instead of penalty='elasticnet', and "
            f"Cs=(np.inf,) instead of penalty=None (got penalty={self.penalty!r})."
        )
        ratios = {"l1": (1.0,), "l2": (0.0,)}.get(self.penalty, self.l1_ratios)
        if ratios is None:
            raise ValueError(
                "penalty='elasticnet' needs l1_ratios: an array-like of numbers "
                "in [0, 1]; got l1_ratios=None."
            )
        return ratios

    def _grid(self):
        if isinstance(self.Cs, Integral):
            return np.logspace(-4, 4, int(self.Cs))
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0 or np.any(np.isnan(Cs)) or np.any(Cs <= 0):
            raise ValueError(f"Cs must be positive numbers; got {self.Cs!r}.")
        return Cs

    def _test_scores(self, coefs, intercepts, X, y, scorer, score_params):
        scoring = self.scoring or self._default_scoring
        y_idx = np.searchsorted(self.classes_, y)
        if (
            set(score_params) <= {"sample_weight"}
            and isinstance(scoring, str)
            and len(np.unique(y_idx)) == len(self.classes_)
        ):  # the scorer's numbers, without its checks (a class missing from
            n_points, k, d = coefs.shape  # the fold: the scorer says what)
            Z = np.asarray(X @ coefs.reshape(-1, d).T).reshape(-1, n_points, k)
            Z = np.moveaxis(Z, 1, 0) + intercepts[:, None, :]
            scores = classification_scores(
                scoring, Z, y_idx, self._loss(), score_params.get("sample_weight")
            )
            if scores is not None:
                return scores
        model = LogisticRegression()
        model.classes_, model.n_features_in_ = self.classes_, X.shape[1]
        scorer = scorer_with_labels(scorer, self.classes_)
        scores = []
        for coef, intercept in zip(coefs, intercepts, strict=True):
            model.coef_, model.intercept_ = coef, intercept
            scores.append(scorer(model, X, y, **score_params))
        return np.array(scores)

    def _choose(self, X, y, sw, setup):
        d = X.shape[1]
        if not self.refit:
            l1, c = _best(self.scores_, False)
            mean = self.coefs_paths_[np.arange(len(l1)), l1, c].mean(axis=0)
            self.C_ = float(self.Cs_[c].mean())
            self.l1_ratio_ = float(self.l1_ratios_[l1].mean())
            self.coef_ = mean[:, :d]
            self.intercept_ = mean[:, d] if self.fit_intercept else np.zeros(len(mean))
            self.loss_curve_ = []
            return
        l1, c = _best(self.scores_, True)
        self.C_, self.l1_ratio_ = float(self.Cs_[c]), float(self.l1_ratios_[l1])
        full = PathProblem.from_data(X, y, sample_weight=sw, **setup)
        alpha = _alphas_of(np.array([self.C_]), full.sample_weight.sum())[0]
        result = full.fit(
            alpha, self.l1_ratio_, tol=self.tol, max_iter=self.max_iter,
            random_state=self.random_state, method=self._method(),
        )  # fmt: skip
        _warn_unconverged_refit(self, result, full.datafit.dtype)
        coefs, intercepts = full.unpack([result.coef])
        self.coef_, self.intercept_ = coefs[0], intercepts[0]
        self.loss_curve_ = list(result.objective)


def _warn_unconverged_refit(estimator, result, dtype, unit=1.0):
    """The ConvergenceWarning of a refit stopped short of ``tol`` (the model
    returned), as a single fit's, its optimality in ``tol``'s units (the
    regressor's ``tol`` relative to ``unit``, the optimality at zero)."""
    if result.converged:
        return
    relative = replace(result, optimality=result.optimality / max(unit, 1e-300))
    warn_unconverged(
        type(estimator).__name__ + "'s refit", relative, estimator.max_iter,
        estimator.tol, dtype,
    )  # fmt: skip


def _alphas_of(Cs, total_weight):
    r""":math:`\alpha = 1 / (C \sum_i s_i)` (0 for :math:`C = \infty`)."""
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(Cs), 0.0, 1.0 / (Cs * float(total_weight)))


def _warn_missing_classes(folds, classes, y_idx, sw):
    """A ``UserWarning`` naming the folds whose training part has no weight
    in some class: each is fitted all the same (as scikit-learn fits it), the
    class's probability driven to the smallest the arithmetic resolves."""
    lost = {}
    for i, (train, _) in enumerate(folds):
        totals = np.bincount(y_idx[train], weights=sw[train], minlength=len(classes))
        for label in classes[totals <= 0].tolist():
            lost.setdefault(label, []).append(i)
    if lost:
        warnings.warn(
            f"Some classes have no sample in the training part of a fold "
            f"(class: folds {lost}): those fits predict them with a probability "
            "near 0 (without them the intercept's optimum is -inf), and the "
            "folds' test scores measure a model that never saw them. Use a "
            "stratified splitter (cv=None or an int is StratifiedKFold) or "
            "shuffle the rows.",
            UserWarning,
            stacklevel=3,
        )


def _dof(coefs, intercepts, fit_intercept):
    """Each fit's coefficients with the intercept appended (scikit-learn's
    ``coefs_paths_`` layout): (n_cs, n_outputs, n_features [+ 1])."""
    if not fit_intercept:
        return coefs
    return np.concatenate([coefs, intercepts[:, :, None]], axis=2)
