"""GradientDescentRegressor: linear regression fitted by (proximal) gradient descent."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._chunks import (
    ChunkedDatafit,
    check_census,
    check_features,
    is_lazy,
    lazy_chunks,
    lazy_rows,
    merge_moments,
    moments,
    set_features,
)
from .._compat import (
    BaseEstimator,
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _fit_context,
    check_finite,
    check_sample_weight,
    deferred_check,
)
from .._precision import float64_arithmetic
from ..datafits import LinearDatafit, QuadraticDatafit, _positive, make_datafit
from ..losses import (
    HalfPoissonDeviance,
    HalfSquaredError,
    Huber,
    Loss,
    SquaredEpsilonInsensitive,
)
from ..optimize import (
    METHODS,
    Adaptive,
    Constant,
    DivergenceError,
    InverseScaling,
    Optimal,
    OptimizeResult,
    Plateau,
)
from ._base import (
    SparseCoefMixin,
    dense_coef,
    from_centered,
    make_penalty,
    minibatch_lipschitz,
    solve,
    squared_error_gap,
    to_centered,
    warn_unconverged,
    warn_underflow,
)

_DTYPES = [np.float64, np.float32]
# chunked fits form a d x d matrix in their first pass up to this many features
_CHUNKED_MAX_FEATURES = 4096
_LOSSES = {
    "squared_error": lambda epsilon: HalfSquaredError(),
    "huber": Huber,
    "squared_epsilon_insensitive": SquaredEpsilonInsensitive,
    "poisson": lambda epsilon: HalfPoissonDeviance(),
}
# the full-batch methods of the solver table a user can name
_SOLVERS = {"auto"} | (set(METHODS) - {"gradient", "sgd"})


class RegressorOutputs:
    """What a fitted regressor gives (``coef_``, ``intercept_``, ``loss``,
    ``epsilon`` set): predictions through the loss's inverse link and the
    share of the loss explained; shared by
    :class:`GradientDescentRegressor` and its cross-validated form."""

    def _loss(self):
        return _LOSSES[self.loss](self.epsilon)

    def predict(self, X):
        """Predict the mean of ``y``: :math:`Xw + b`, or :math:`e^{Xw + b}` for
        ``loss="poisson"`` (the inverse of the loss's link).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        if is_lazy(X):  # a lazy dask array, block by block
            check_features(self, lazy_chunks(X))
            coef = dense_coef(self)
            k = None if coef.ndim == 1 else coef.shape[0]
            return lazy_rows(X, self._predict_block, k)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=_DTYPES, reset=False
        )
        return self._predict_block(X)

    def _score_chunks(self, chunks):
        """``score`` in one pass of sums (:func:`_score_sums`): :math:`R^2`
        averaged over targets as scikit-learn's ``r2_score``, or :math:`D^2`."""
        check_is_fitted(self)
        check_features(self, chunks)
        log_link = type(self._loss()).inverse_link is not Loss.inverse_link
        W, mean, T, S, R, _ = chunks.map_reduce(
            _score_sums, _merge_score_sums, predict=self._predict_block,
            log_link=log_link,
        )  # fmt: skip
        if log_link:
            T = T - xlogy(S, S / W)  # the deviance of the mean
        scores = np.where(T > 0, 1.0 - R / np.where(T > 0, T, 1.0), 0.0)
        return float(np.mean(scores))

    def _predict_block(self, X):
        coef = dense_coef(self)
        return self._loss().inverse_link(np.asarray(X @ coef.T) + self.intercept_)

    def score(self, X, y, sample_weight=None):
        r"""The share of the loss explained: :math:`R^2` on the identity link
        (scikit-learn's regressors), and for ``loss="poisson"`` the deviance
        explained :math:`D^2 = 1 - \sum_i s_i \ell(y_i, \hat z_i) / \sum_i s_i
        \ell(y_i, g(\bar{y}))`, as :class:`~sklearn.linear_model.PoissonRegressor`
        scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        loss = self._loss()
        if is_lazy(X, y, sample_weight):
            return self._score_chunks(lazy_chunks(X, y, sample_weight))
        if type(loss).inverse_link is Loss.inverse_link:
            return super().score(X, y, sample_weight)
        mu = self.predict(X)
        y = np.asarray(y, dtype=mu.dtype).reshape(len(mu), -1)
        w = check_sample_weight(sample_weight, y, dtype=mu.dtype)
        s = w / w.sum()
        value = loss.value(y, loss.link(mu.reshape(y.shape)), s)
        return 1.0 - value / _null_value(loss, y, s)


class GradientDescentRegressor(
    CallbackSupportMixin, SparseCoefMixin, RegressorOutputs, RegressorMixin,
    BaseEstimator,
):  # fmt: skip
    r"""Linear regression fitted by gradient descent, with L2, L1 or elastic net.

    Minimizes, over the coefficients ``w`` and the (unpenalized) intercept ``b``,

    .. math::

        J(w, b) = \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w - b)^2
        + \alpha \left( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \right),

    with sample weights :math:`s_i` and :math:`\rho` = ``l1_ratio``
    (scikit-learn's ElasticNet and SGD convention); ``loss="huber"`` replaces the
    squared term by Huber's, and ``loss="poisson"`` by the half Poisson
    deviance of the mean :math:`\mu = e^{x^\top w + b}` (log link),
    :math:`y \log(y / \mu) - y + \mu`, for counts. The update is
    :math:`\theta \leftarrow \operatorname{prox}_{\eta g}(\theta - \eta \nabla
    J(\theta))`, plain gradient descent where the penalty is smooth; the
    method that solves each case is :func:`~sklearn_foundations.optimize.minimize`'s
    table (``solver``).

    So ``penalty="l2"`` gives :class:`~sklearn.linear_model.Ridge` with
    ``alpha_ridge = alpha * sum(s)``, ``"l1"`` gives
    :class:`~sklearn.linear_model.Lasso` and ``"elasticnet"``
    :class:`~sklearn.linear_model.ElasticNet` with the same ``alpha``, and
    ``loss="poisson"`` with ``penalty="l2"`` gives
    :class:`~sklearn.linear_model.PoissonRegressor` with the same ``alpha``
    (L1 and the elastic net, which it does not offer, too).

    Parameters
    ----------
    loss : {"squared_error", "huber", "squared_epsilon_insensitive", "poisson"}, default="squared_error"
        Data term: :math:`\tfrac12 r^2`, Huber's,
        :math:`\max(|r| - \epsilon, 0)^2` (SGDRegressor's, no half), or half
        the Poisson deviance with a log link (``y >= 0``; ``predict`` returns
        :math:`e^{Xw + b}` and ``score`` the deviance explained, :math:`D^2`).
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        Regularization; None for none.
    alpha : float, default=1e-4
        Strength of the penalty.
    l1_ratio : float or None, default=0.15
        Share of L1 in the elastic net (used when ``penalty="elasticnet"``;
        None is accepted for the other penalties, as in SGDRegressor).
    epsilon : float, default=0.1
        Huber threshold (``loss="huber"``); 0 makes the loss zero.
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept.
    positive : bool, default=False
        Hold the coefficients non-negative (scikit-learn's ``positive``: the
        objective plus the indicator of :math:`w \ge 0`; the intercept is
        free). Every solver keeps its points feasible, the proximal ones
        clipping at zero; a start with negative coefficients (``coef_init``,
        ``warm_start``) starts from its projection, negatives set to zero.
        The smooth methods (Cholesky, conjugate gradient, Newton-CG,
        L-BFGS) do not take the constraint: "auto" then takes feature-sign
        search, dual Newton, proximal Newton or FISTA.
    max_iter : int, default=1000
        Maximum iterations (full batch) or epochs (mini-batch).
    tol : float or None, default=1e-4
        Full batch: stop when the gradient mapping (zero at the optimum),
        measured per coefficient in units of its column's scale
        (:math:`|g_j| / \sqrt{D_j}`, :math:`D_j` the weighted sum of squares
        of the centered column: the measure does not change when a column is
        rescaled), is at most ``tol`` times the optimality violation at the
        cold start (``w = 0`` with the best intercept), whatever the start: a
        warm start (``warm_start``, ``coef_init``) already that close to the
        optimum returns at once (``n_iter_ = 0``).
        Mini-batch: stop when the objective has not decreased by ``tol`` times
        its starting value for ``n_iter_no_change`` epochs. None: no stopping
        test, ``max_iter`` iterations or epochs (stopping earlier only at an
        exact optimum), and no ``ConvergenceWarning``.
    solver : {"auto", "cg", "kernel-cholesky", "cgls", "feature-sign", "dual-newton", "newton-cholesky", "newton-cg", "lbfgs", "prox-newton", "coupled-newton", "fista", "backtracking"}, default="auto"
        The full-batch method (``learning_rate="auto"``, ``batch_size=None``):
        "auto" takes the row of :func:`~sklearn_foundations.optimize.minimize`'s
        table that fits the case (one Newton step, a Cholesky solve, for a
        quadratic on a Gram matrix of at most 1,000 features over all
        targets, the least-norm one where collinear columns make it
        singular; where there are at least as many features as rows of a
        non-zero weight, less one for the intercept, one Cholesky solve of
        the rows' kernel matrix on at most 1,000 rows, else conjugate
        gradient without the columns' scaling, in the row space of ``X``:
        the minimum-norm solution for ``alpha=0``; conjugate gradient for
        other quadratics),
        feature-sign search on a Gram matrix of at most 1,000 features or,
        for an L1 term on dense data of at most 300 rows and more features,
        on the rows' factor (the Gram matrix never formed), semismooth
        Newton on the dual for an elastic net (``l1_ratio`` at most 0.9) on
        dense data of more features than rows (at most 1,000), whose
        systems are of the rows' size
        however many coefficients are non-zero, Newton-CG
        for a smooth penalty and a loss with a Hessian (turning to the formed
        Hessian's steps on at most 200 features where conjugate gradient
        needs many products), proximal Newton with
        working sets for an L1 term, else FISTA); a name runs that method, or
        raises a ValueError that says what it needs when it cannot solve the
        case.
    learning_rate : {"auto", "backtracking", "constant", "invscaling", "optimal", "adaptive"}, default="auto"
        scikit-learn's SGD meaning. ``"auto"``: the full batch, by ``solver``;
        with ``batch_size``, mini-batches with the decaying step
        :math:`1/(L_b t^{p})`. ``"backtracking"``: full batch, Armijo line
        search starting from ``eta0``. ``"constant"``: ``eta0``.
        ``"invscaling"``: ``eta0 / t**power_t``. ``"optimal"``:
        ``1 / (alpha * (t0 + t - 1))``, ``t0`` making the first step
        Bottou's ``alpha ** -0.25`` or the stable step :math:`1/L_b` if
        smaller (:class:`~sklearn_foundations.optimize.Optimal`; needs
        ``alpha > 0``).
        ``"adaptive"``: ``eta0``,
        divided by 5 on each plateau of ``n_iter_no_change`` epochs. Other
        than ``"auto"`` it needs ``solver="auto"``.
    eta0 : float, default=0.01
        Initial learning rate of the non-automatic schedules.
    power_t : float, default=0.25
        Exponent of the inverse-scaling schedules, in ``[0, inf)``.

        .. deprecated:: 0.1
            Negative values (a step that grows with ``t``) warn and will be an
            error in a future release.
    batch_size : int or None, default=None
        None: full-batch gradient; an int: mini-batches of that many rows
        (1: stochastic gradient descent).
    shuffle : bool, default=True
        Shuffle the rows before each mini-batch epoch.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their
        score, the share of the loss explained (:math:`R^2` for the squared
        error, :math:`D^2` for Poisson), has not improved by ``tol`` for
        ``n_iter_no_change`` iterations or epochs.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=5
        Length of a plateau.
    precompute : "auto", bool or array-like of shape (n_features, n_features), default="auto"
        Take the gradient of the squared loss from the Gram matrix
        :math:`X^\top S X`, formed once (O(d^2) per iteration instead of
        O(nd)); "auto" does so for full-batch fits when ``n_samples`` is well
        above ``n_features`` (dense data of at most 1,000 features; 500 with
        an L1 term where ``solver`` and ``learning_rate`` are "auto", whose
        fit on the data forms the blocks of the matrix its working sets
        need), or at least ``n_features`` for dense data of at
        most 200 features, and of at most 1,000 without an L1 term (its
        Cholesky solve is exact; without a penalty the pivoted factor gives
        LinearRegression's least-norm coefficients where columns are
        collinear, sparse data included;
        :func:`~sklearn_foundations.datafits.gram_pays`). An array is the
        Gram matrix itself, as scikit-learn's ElasticNet takes it,
        :math:`X^\top \operatorname{diag}(w) X` with the sample weights
        :math:`w` rescaled to sum to ``n_samples``: one matrix for the fits
        of many alphas. It is used where ``X`` is centered (its weighted
        column means zero) or ``fit_intercept=False``; else, as
        scikit-learn does, a UserWarning and the matrix formed from the
        centered ``X``. The fit reads ``X`` once (for :math:`X^\top S y`
        and to check the diagonal and one entry: a ValueError where they
        differ) and needs the squared error, the full batch and
        ``early_stopping=False``.
    random_state : int, RandomState instance or None, default=None
        Seed of shuffling, the validation split and the Lanczos iteration
        behind a first-order step.
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    verbose : int, default=0
        Print one line per iteration or epoch (from the solver's callback
        hook, as ``loss_curve_`` and ``n_iter_``; scikit-learn's callbacks,
        ``set_callbacks``, see every iteration through it too).
    average : bool or int, default=False
        Mini-batch solvers: return the mean of the iterates (averaged SGD), from
        the first update (True) or once that many samples were seen (an int),
        scikit-learn's SGD meaning; ``partial_fit`` carries the mean on. With
        the full batch the schedules average too; the solvers
        (``learning_rate="auto"`` or ``"backtracking"``) converge to the optimum
        itself and ignore it.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Weights ``w`` (``W`` of :math:`Z = XW + b` for 2-D ``y``); a vector
        for one target, a column ``y`` of shape (n_samples, 1) included (as
        Ridge and ElasticNet).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept ``b`` (a float for a 1-D ``y``).
    n_iter_ : int
        Iterations or epochs run.
    n_passes_ : int
        Passes over the data the fit made: the cost on chunked (dask) data,
        where each pass is a round trip over every chunk.
    dual_gap_ : float or ndarray of shape (n_targets,)
        The duality gap of the objective at the fitted coefficients
        (:meth:`~sklearn_foundations.penalties.ElasticNet.squared_error_gap`,
        as scikit-learn's ElasticNet reports it): a bound on how far the
        objective is above its minimum. Set by ``fit`` in memory for the
        squared error with ``alpha > 0``; with ``alpha=0`` for "l1" and
        "elasticnet", least squares, which has no bounded dual, the
        first-order condition as scikit-learn's ``ElasticNet(alpha=0)``
        reports it (the squared norm of the gradient, 0 at the optimum).
    t_ : int
        Number of parameter updates, plus one.
    loss_curve_ : list of float
        Objective :math:`J` (penalty included) after each iteration or epoch.
    step_size_ : float
        Step size of the last update.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations import GradientDescentRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 1.0 + 2.0 * X.ravel()
    >>> reg = GradientDescentRegressor(penalty=None, tol=1e-10).fit(X, y)
    >>> reg.coef_.round(6), round(float(reg.intercept_), 6)
    (array([2.]), 1.0)
    """

    _parameter_constraints = {
        "loss": [StrOptions(set(_LOSSES))],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "positive": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "solver": [StrOptions(_SOLVERS)],
        "learning_rate": [
            StrOptions(
                {
                    "auto",
                    "backtracking",
                    "constant",
                    "invscaling",
                    "optimal",
                    "adaptive",
                }
            )
        ],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "precompute": [StrOptions({"auto"}), "boolean", "array-like"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "average": [Interval(Integral, 1, None, closed="left"), "boolean"],
    }

    def __init__(
        self,
        *,
        loss="squared_error",
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        epsilon=0.1,
        fit_intercept=True,
        positive=False,
        max_iter=1000,
        tol=1e-4,
        solver="auto",
        learning_rate="auto",
        eta0=0.01,
        power_t=0.25,
        batch_size=None,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        precompute="auto",
        random_state=None,
        warm_start=False,
        verbose=0,
        average=False,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.epsilon = epsilon
        self.fit_intercept = fit_intercept
        self.positive = positive
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.precompute = precompute
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.average = average

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # counts are one target, as in scikit-learn's PoissonRegressor
        tags.target_tags.multi_output = self.loss != "poisson"
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, coef_init=None, intercept_init=None):
        """Fit the model by gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input is never densified.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the objective is their weighted mean.
        coef_init : array-like of shape (n_features,) or (n_targets, n_features), default=None
            Starting coefficients.
        intercept_init : float or array-like of shape (n_targets,), default=None
            Starting intercept.

        Returns
        -------
        self : GradientDescentRegressor
        """
        self._warn_negative_power_t()
        if is_lazy(X, y, sample_weight):  # a dask collection: passes over chunks
            return self._fit_chunks(
                lazy_chunks(X, y, sample_weight), coef_init, intercept_init
            )
        X, y, sample_weight = self._validate_fit_data(
            X, y, sample_weight, True, finite=False
        )
        dtype = X.dtype  # of the coefficients; small float32 data fit in float64
        X, y = float64_arithmetic(X, y)
        stochastic = self._is_stochastic()
        given, x_mean = self._given_gram(stochastic, X, sample_weight)
        # dense X, whose datafit sums moments over all of it (the Gram form,
        # or the column means and squares): the finiteness check from them,
        # no pass of its own (else that pass now)
        defer = not (self.early_stopping or stochastic or sp.issparse(X))
        defer = defer and given is None
        if not defer:
            check_finite(X, self)
        rng = check_random_state(self.random_state)
        fit_data = (X, y if self._y_ndim > 1 else y[:, 0], sample_weight)
        make_monitor = None
        if self.early_stopping:
            X, y, sample_weight, make_monitor = self._split_validation(
                X, y, sample_weight, rng
            )
        s = sample_weight / sample_weight.sum()
        if stochastic and sp.issparse(X):
            X = X.tocsr()  # mini-batches slice rows
        if stochastic and self.precompute is True:
            raise ValueError(
                "precompute=True needs a full-batch solver (batch_size=None, "
                "learning_rate not 'invscaling', 'optimal' or 'adaptive'); got "
                f"batch_size={self.batch_size!r}, learning_rate="
                f"{self.learning_rate!r}."
            )
        penalty = self._penalty()
        smooth = penalty.smooth  # an exact Cholesky solve where it pays
        # the table's method on the data with an L1 term: working sets
        tabled = self.solver == "auto" and self.learning_rate == "auto"
        if given is not None:  # the user's Gram matrix: X read for X^T S y
            datafit = QuadraticDatafit.from_gram(
                given, X, y, s, X.shape[0], self.fit_intercept, x_mean
            )
        else:
            with deferred_check(defer):
                datafit = make_datafit(
                    self._loss(), X, y, s, self.fit_intercept, self._gram(stochastic),
                    smooth=smooth, least_norm=smooth and penalty.l2 == 0,
                    working_sets=not smooth and tabled,
                )  # fmt: skip
        if defer:
            check_finite(X, self, *(datafit.moments or ()))
        x_mean = datafit.x_mean
        monitor = make_monitor(x_mean) if make_monitor else None
        start = self._loss().intercept_start(y, s) if self.fit_intercept else None
        theta0, cold = self._initial_theta(
            (y.shape[1], X.shape[1]), X.dtype, start, x_mean, coef_init, intercept_init
        )
        y_rms = float(np.sqrt(s @ (y * y).sum(axis=1)))
        result, done = self._solve(
            datafit, theta0, rng, stochastic, monitor, t0=1, y_rms=y_rms,
            fit_data=fit_data, cold=cold,
        )  # fmt: skip
        if not (result.converged or result.stopped) and self.tol is not None:
            warn_unconverged(
                type(self).__name__, result, self.max_iter, self.tol, X.dtype,
                "epochs" if stochastic else "iterations",
            )  # fmt: skip
        elif stochastic and self.tol is not None:
            self._check_every_coefficient_moved(datafit, theta0, result.coef, y_rms)
        warn_underflow(self, datafit, self.alpha if self.penalty else 0.0)
        self._set_fitted(result, x_mean, X.shape[1], y, result.objective)
        self.coef_ = self.coef_.astype(dtype, copy=False)
        self.intercept_ = np.asarray(self.intercept_, dtype=dtype)[()]
        gap = self._dual_gap(datafit, penalty, result, y, s)
        if gap is not None:
            self.dual_gap_ = float(gap[0]) if len(gap) == 1 else gap
        self.n_passes_ = _passes(result, datafit)
        done()
        return self

    def _dual_gap(self, datafit, penalty, result, y, s):
        """``dual_gap_``'s values (:func:`squared_error_gap`, each target's
        squares from ``y``): the squared error with a penalty, else None."""
        if self.loss != "squared_error":
            return None
        y_squares = None  # read on the Gram form with an L1 term alone
        if penalty.l1 > 0 and datafit.gram_form() is not None:
            y_c = y - datafit.y_mean if self.fit_intercept else y
            y_squares = s @ (y_c * y_c)
        return squared_error_gap(datafit, penalty, result, y_squares)

    def _fit_chunks(self, chunks, coef_init=None, intercept_init=None):
        """``fit`` on row chunks (:mod:`sklearn_foundations._chunks`): the
        squared error's Gram matrix and moments in one pass (each chunk's
        about its own mean, merged by Chan's formula in a fixed tree, its
        values checked in the same pass), then the solver table on the Gram
        form, as in memory: one pass whatever the penalty."""
        loss = self._loss()
        if _is_matrix(self.precompute):
            raise ValueError(
                "precompute as a Gram matrix needs X in memory; on chunked (dask) "
                "data the fit forms it in its one pass. Pass precompute='auto'."
            )
        if self._is_stochastic() or self.early_stopping:
            raise NotImplementedError(
                "On chunked (dask) data GradientDescentRegressor fits with the full "
                f"batch; got batch_size={self.batch_size!r}, learning_rate="
                f"{self.learning_rate!r}, early_stopping={self.early_stopping!r}. "
                "Mini-batches and early stopping need random rows across chunks: "
                "call partial_fit, which takes the chunks in order, or fit in "
                "memory."
            )
        if chunks.n_features > _CHUNKED_MAX_FEATURES:
            raise NotImplementedError(
                f"On chunked data the fit forms a {chunks.n_features} x "
                f"{chunks.n_features} matrix in its first pass, up to "
                f"{_CHUNKED_MAX_FEATURES} features; reduce the features first."
            )
        set_features(self, chunks)
        self._y_ndim = getattr(chunks.y, "ndim", 1)
        y_min = 0.0 if type(loss) is HalfPoissonDeviance else None
        reports, stats = chunks.map_reduce(
            moments, merge_moments, fit_intercept=self.fit_intercept, y_min=y_min
        )
        check_census(reports, None, chunks.feature_names)
        if stats is None:
            raise ValueError(
                "Sample weights must contain at least one non-zero number; "
                "all sample_weight values are zero."
            )
        W, x_mean, y_mean, G, Q, C = stats
        x_mean, d = (x_mean if self.fit_intercept else None), chunks.n_features
        if loss.quadratic and self.precompute is not False:  # the Gram form
            datafit = QuadraticDatafit(G / W, Q / W, y_mean, C / W, self.fit_intercept)
            datafit.x_mean = x_mean
        else:  # passes: value and gradient (and Hessian) per pass
            rows = sum(r["rows"] for r in reports)
            datafit = self._chunked_datafit(
                chunks, loss, W, x_mean, G, Q.shape[1], rows
            )
        loss.check_y(y_mean[None, :], np.ones(1))  # a positive mean (Poisson)
        start = loss.intercept_start(y_mean[None, :], np.ones(1))
        start = start if self.fit_intercept else None
        theta0, cold = self._initial_theta(
            (Q.shape[1], d), chunks.dtype, start, x_mean, coef_init, intercept_init
        )
        y_rms = float(np.sqrt(max(2 * C / W + float(y_mean @ y_mean), 0.0)))
        rng = check_random_state(self.random_state)
        result, done = self._solve(
            datafit, theta0, rng, False, None, t0=1, y_rms=y_rms,
            fit_data=(None, None, None), cold=cold,
        )  # fmt: skip
        if not (result.converged or result.stopped) and self.tol is not None:
            warn_unconverged(
                type(self).__name__, result, self.max_iter, self.tol, chunks.dtype
            )
        self._set_fitted(result, x_mean, d, None, result.objective)
        self.n_passes_ = chunks.n_passes
        done()
        return self

    def _partial_fit_chunks(self, chunks):
        """``partial_fit`` on each chunk in order, as the same calls on the
        chunks in memory would (one chunk on the client at a time)."""
        passes = 0 if not hasattr(self, "coef_") else getattr(self, "n_passes_", 0)
        for X_b, y_b, w_b in chunks.blocks():
            if X_b.shape[0]:
                self.partial_fit(X_b, y_b, w_b)
        self.n_passes_ = passes + 1
        return self

    def _chunked_datafit(self, chunks, loss, W, x_mean, G, n_targets, n_samples):
        """The datafit of a non-quadratic loss on chunks (``n_samples``
        rows), its metric from the first pass's Gram matrix (its diagonal)."""
        dtype = chunks.dtype
        D = _positive(np.diag(G) / W, x_mean, dtype)
        metric = np.append(D, 1.0) if self.fit_intercept else D
        setup = dict(loss=loss, W=W, x_mean=x_mean, fit_intercept=self.fit_intercept,
                     dtype=dtype)  # fmt: skip
        return ChunkedDatafit(
            loss, chunks, _regression_datafit, setup, metric=metric, x_mean=x_mean,
            n_targets=n_targets, fit_intercept=self.fit_intercept, n_samples=n_samples,
        )  # fmt: skip

    def _check_every_coefficient_moved(self, datafit, theta0, theta, y_rms):
        """A mini-batch schedule stops on a plateau of the objective, which a
        column on a scale far below the others never leaves: its coefficient
        barely moves, silently. One full gradient says so: a warning when the
        optimality in column units is still over half its start, naming the
        column that is furthest from optimal (well-scaled fits end below a
        fifth)."""
        penalty = self._penalty()
        start = _violation(
            datafit, penalty, theta0, datafit.gradient(theta0, datafit.linear(theta0))
        )
        end = _violation(
            datafit, penalty, theta, datafit.gradient(theta, datafit.linear(theta))
        )
        floor = _rounding_floor(theta.dtype, y_rms)
        if not np.max(end) > max(0.5 * np.max(start), floor):
            return
        j = int(np.argmax(end[: self.n_features_in_]))
        names = getattr(self, "feature_names_in_", None)
        column = repr(names[j]) if names is not None else str(j)
        warnings.warn(
            f"{type(self).__name__} stopped on a plateau of the objective with the "
            f"optimality still at {np.max(end) / np.max(start):.0%} of its start: "
            f"feature {column} is furthest from its optimum. Mini-batch steps "
            "follow the largest scale among the columns, and a column on a much "
            "smaller scale barely moves: standardize the features (StandardScaler), "
            "or use the full batch (batch_size=None, learning_rate='auto').",
            ConvergenceWarning,
            stacklevel=3,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One pass of (mini-batch) gradient descent over ``X``.

        Uses ``batch_size`` rows per update (None: one full-batch step). With
        ``learning_rate="auto"`` the step is :math:`1/L_b` of this chunk; the
        decaying schedules continue from ``t_``; ``"backtracking"`` takes one
        proximal gradient step on the whole chunk with Armijo's line search,
        starting from the last step size, and so does ``"auto"`` for a loss
        without a Lipschitz constant (Poisson). ``solver`` plays no part: it
        names the method of ``fit``. The first call starts where ``fit``
        starts (zero coefficients, the intercept-only optimum), and each call
        takes ``fit``'s steps (on ``X`` centered as ``fit`` centers it): ``k``
        calls on the same data give ``fit`` with ``max_iter=k`` and
        ``tol=None`` for the schedules. ``early_stopping`` needs ``fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GradientDescentRegressor
        """
        self._warn_negative_power_t()
        if self.early_stopping:
            raise ValueError(
                "early_stopping should be False with partial_fit: the validation "
                "set is drawn by fit. Set early_stopping=False, or call fit."
            )
        if is_lazy(X, y, sample_weight):  # the chunks in order, one at a time
            return self._partial_fit_chunks(lazy_chunks(X, y, sample_weight))
        first = not hasattr(self, "coef_")
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, first)
        if not first and y.shape[1] != np.atleast_2d(dense_coef(self)).shape[0]:
            raise ValueError(
                f"y has {y.shape[1]} targets but the model was fitted with "
                f"{np.atleast_2d(dense_coef(self)).shape[0]}."
            )
        if sp.issparse(X):
            X = X.tocsr()
        s = sample_weight / sample_weight.sum()
        # the chunk centered as fit centers its data: k calls on the same
        # data take the steps of fit with max_iter=k
        datafit = LinearDatafit.from_data(self._loss(), X, y, s, self.fit_intercept)
        x_mean = datafit.x_mean
        if first:  # fit's start: w = 0 and the intercept-only optimum
            start = datafit.loss.intercept_start(y, s) if self.fit_intercept else None
            theta0 = to_centered(
                np.zeros((y.shape[1], X.shape[1]), X.dtype),
                None if start is None else np.broadcast_to(start, y.shape[1:]),
                x_mean,
                self.fit_intercept,
            ).astype(X.dtype, copy=False)
        elif getattr(self, "_iterate", None) is not None:  # averaging: go on from
            theta0 = self._recentered(self._iterate, x_mean, X)  # the last iterate
        else:
            theta0 = to_centered(
                np.atleast_2d(dense_coef(self)).astype(X.dtype),
                np.atleast_1d(self.intercept_).astype(X.dtype),
                x_mean,
                self.fit_intercept,
            )
        rng = check_random_state(self.random_state)
        fit_data = (X, y if self._y_ndim > 1 else y[:, 0], sample_weight)
        armijo = self.learning_rate == "backtracking" or (  # auto without 1/L
            self.learning_rate == "auto" and self.batch_size is None
            and datafit.loss.lipschitz is None
        )  # fmt: skip
        if armijo:  # one Armijo step on the chunk
            step = self.eta0 if first else self.step_size_
            result, done = solve(
                self, datafit, self._penalty(), theta0, method="backtracking",
                step=step, max_iter=1, tol=0.0, fit_data=fit_data,
                attributes=self._attributes_of(datafit),
            )  # fmt: skip
            result.t = (1 if first else self.t_) + 1
        else:
            if not first and getattr(self, "_averaged", None) is not None:
                mean, count = self._averaged
                self._averaged = (self._recentered(mean, x_mean, X), count)
            result, done = self._solve(
                datafit, theta0, rng, True, None, t0=1 if first else self.t_,
                epochs=1, fit_data=fit_data,
            )  # fmt: skip
        history = [] if first else list(self.loss_curve_)
        n_iter = 0 if first else self.n_iter_
        self._set_fitted(result, x_mean, X.shape[1], y, history + result.objective)
        self.n_iter_ = n_iter + result.n_iter
        done()
        return self

    # -------------------------------------------------------------- helpers
    def _warn_negative_power_t(self):
        if self.power_t < 0:
            warnings.warn(
                f"Negative values for `power_t` are deprecated (got {self.power_t}): "
                "the step eta0 / t**power_t then grows with t. They will raise an "
                "error in a future release. Use values in the range [0.0, inf).",
                FutureWarning,
                stacklevel=3,
            )

    def _validate_fit_data(self, X, y, sample_weight, reset, finite=True):
        """``X``, ``y`` and the weights validated (``X``'s finiteness only with
        ``finite``; else the caller checks it, :func:`check_finite`)."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=_DTYPES,
            multi_output=self.__sklearn_tags__().target_tags.multi_output,
            y_numeric=True,
            reset=reset,
            ensure_all_finite=finite,
        )
        self._y_ndim = np.ndim(y) if reset else self._y_ndim
        y = np.asarray(y, dtype=X.dtype).reshape(X.shape[0], -1)
        sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
        self._loss().check_y(y, sample_weight / sample_weight.sum())
        return X, y, sample_weight

    def _given_gram(self, stochastic, X, sample_weight):
        """``precompute`` where it is a Gram matrix (an array) the fit takes,
        and the columns' weighted means with ``fit_intercept`` (one pass);
        else None (with a UserWarning where ``X`` is not centered and
        ``fit_intercept``: the matrix is then formed from the centered
        data, as scikit-learn does); a ValueError where the fit cannot take
        one."""
        if not _is_matrix(self.precompute):
            return None, None
        if stochastic or self.early_stopping or not self._loss().quadratic:
            raise ValueError(
                "precompute as a Gram matrix needs the squared error and a "
                "full-batch fit on every row (loss='squared_error', batch_size="
                "None, learning_rate 'auto', 'backtracking' or 'constant', "
                f"early_stopping=False); got loss={self.loss!r}, batch_size="
                f"{self.batch_size!r}, learning_rate={self.learning_rate!r}, "
                f"early_stopping={self.early_stopping!r}."
            )
        if not self.fit_intercept:
            return self.precompute, None
        mean = np.asarray(X.T @ sample_weight).ravel() / sample_weight.sum()
        # (NaN in X: the finiteness check's error, no warning before it)
        if np.all(np.isfinite(mean)) and not np.allclose(mean, 0.0):
            warnings.warn(
                "Gram matrix was provided but X was centered to fit intercept: "
                "recomputing Gram matrix.",
                UserWarning,
                stacklevel=3,
            )
            return None, None
        return self.precompute, mean

    def _gram(self, stochastic):
        """``make_datafit``'s ``gram``: ``precompute``, unless a named solver
        needs one storage (feature-sign the Gram matrix of a quadratic loss,
        proximal Newton the data) and ``precompute`` is "auto"."""
        if stochastic:
            return False
        if _is_matrix(self.precompute):
            return "auto"  # a given matrix the fit does not take (X not centered)
        if self.precompute != "auto" or self.solver == "auto":
            return self.precompute
        needs = METHODS[self.solver].needs
        if "data" in needs:
            return False
        return True if "gram" in needs and self._loss().quadratic else "auto"

    def _is_stochastic(self):
        return (
            self.batch_size is not None
            or self.learning_rate in {"invscaling", "optimal", "adaptive"}
            or (self.learning_rate == "constant" and bool(self.average))  # ASGD
        )

    def _split_validation(self, X, y, sample_weight, rng):
        train, val = train_test_split(
            np.arange(X.shape[0]),
            test_size=self.validation_fraction,
            random_state=rng,
        )
        train, val = np.sort(train), np.sort(val)  # the rows in their order
        if not np.any(sample_weight[val] > 0) or not np.any(sample_weight[train] > 0):
            raise ValueError(
                "The sample weights for the validation or training set are all "
                "zero; use a different random_state or validation_fraction."
            )
        X_val, y_val, s_val = X[val], y[val], sample_weight[val]
        s_val = s_val / s_val.sum()
        loss = self._loss()
        null = _null_value(loss, y_val, s_val)
        plateau = Plateau(
            -np.inf if self.tol is None else self.tol, self.n_iter_no_change
        )

        def make_monitor(x_mean):
            val_fit = LinearDatafit(
                loss, X_val, y_val, s_val, x_mean, self.fit_intercept
            )

            def monitor(theta):
                value = val_fit.value(theta, val_fit.linear(theta))
                explained = 1.0 - value / null if null > 0 else -value
                return plateau.update(-explained)

            return monitor

        return X[train], y[train], sample_weight[train], make_monitor

    def _initial_theta(self, shape, dtype, start, x_mean, coef_init, intercept_init):
        """The start: ``coef_init``/``intercept_init``, the previous fit
        (``warm_start``) or zeros, with the intercept that is best for those
        coefficients, ``start`` being the intercept-only optimum (centered);
        and the cold start where the start is another (else None)."""
        k, d = shape
        intercept = None
        if coef_init is not None:
            coef = _as_shape(coef_init, (k, d), "coef_init", dtype)
            if intercept_init is not None:
                intercept = _as_shape(intercept_init, (k,), "intercept_init", dtype)
        elif self.warm_start and hasattr(self, "coef_"):
            coef = np.atleast_2d(dense_coef(self)).astype(dtype)
            if coef.shape != (k, d):
                raise ValueError(
                    f"warm_start=True starts from the previous fit's coef_ of shape "
                    f"{np.shape(self.coef_)}, but X has {d} features and y "
                    f"{k} target(s). Set warm_start=False to fit these data from "
                    "zero."
                )
            if hasattr(self, "intercept_"):  # else the best for coef_ (set by hand)
                intercept = np.atleast_1d(self.intercept_).astype(dtype)
        else:
            return self._cold_theta(shape, dtype, start, x_mean), None
        if self.positive:  # the start's projection on the feasible set
            coef = np.maximum(coef, 0)
        if intercept is None and self.fit_intercept:  # the best for w = 0, centered
            intercept = (start - (x_mean @ coef.T if x_mean is not None else 0)).astype(
                dtype
            )
        theta0 = to_centered(coef, intercept, x_mean, self.fit_intercept)
        return theta0, self._cold_theta(shape, dtype, start, x_mean)

    def _cold_theta(self, shape, dtype, start, x_mean):
        """The cold start: ``w = 0`` with the intercept-only optimum ``start``
        (centered), the start of ``tol``'s reference measure."""
        coef = np.zeros(shape, dtype=dtype)
        intercept = np.asarray(start, dtype=dtype) if self.fit_intercept else None
        return to_centered(coef, intercept, x_mean, self.fit_intercept)

    def _penalty(self):
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError(
                "l1_ratio must be set when penalty is 'elasticnet': l1_ratio=None "
                "is accepted only for the other penalties; give the elastic net's "
                "l1_ratio, a number in [0, 1]."
            )
        return make_penalty(
            self.penalty, self.alpha, self.l1_ratio, self.fit_intercept, self.positive
        )

    def _solve(
        self, datafit, theta0, rng, stochastic, monitor, t0, epochs=None, y_rms=0.0,
        fit_data=None, cold=None,
    ):  # fmt: skip
        """:func:`~sklearn_foundations.linear_model._base.solve` with this
        estimator's recipe: the penalty, the method (``solver`` or
        ``learning_rate``), the full batch's ``tol`` relative to the measure at
        the cold start: ``theta0``, or ``cold`` where given (``theta0`` a warm
        start: one gradient more); a start that already meets it returns at
        once. Returns the result and ``done``."""
        penalty = self._penalty()
        max_iter = epochs or self.max_iter
        eps = 10 * np.finfo(theta0.dtype).eps
        method, options = self._method(
            datafit, stochastic, rng, t0, monitor, theta0, partial=epochs is not None
        )
        if stochastic:
            initial = datafit.value(theta0, datafit.linear(theta0))
            tol = self._relative_tol(eps, max(abs(initial), eps), True)
        else:
            Z0 = datafit.linear(theta0)
            g0 = datafit.gradient(theta0, Z0)
            at_start = np.max(_violation(datafit, penalty, theta0, g0), initial=0.0)
            reference = at_start
            if cold is not None:
                g = datafit.gradient(cold, datafit.linear(cold))
                reference = np.max(_violation(datafit, penalty, cold, g), initial=0.0)
            floor = _rounding_floor(theta0.dtype, y_rms)
            tol = max(self._relative_tol(eps, reference, False), floor)
            if at_start <= tol:  # a constant y; a warm start at the optimum
                F0 = datafit.value(theta0, Z0) + penalty.value(theta0)
                result = OptimizeResult(
                    coef=theta0, n_iter=0, objective=[F0], converged=True,
                    t=t0, optimality=at_start,
                )  # fmt: skip
                return result, _nothing
            options["callback"] = monitor and (lambda state: monitor(state.theta))
            # no second pass to begin (the value, no pass, where a solver asks)
            options["start"] = (Z0, None, g0)
        try:
            result, done = solve(
                self, datafit, penalty, theta0, method=method, tol=tol,
                max_iter=max_iter, verbose=self.verbose, fit_data=fit_data,
                attributes=self._attributes_of(datafit), **options,
            )  # fmt: skip
        except DivergenceError as exc:
            rate = options.get("schedule")
            setting = (
                f"learning_rate='optimal' (its first step {rate(1):.3g}, from "
                f"alpha={self.alpha:g})"
                if isinstance(rate, Optimal)
                else f"learning_rate={self.learning_rate!r} with eta0={self.eta0:g}"
            )
            raise ValueError(
                f"{setting} makes the objective diverge: {exc.objective:.3g} at "
                f"iteration {exc.iteration}, from {exc.initial:.3g}. "
                + _stable_step_hint(datafit)
            ) from exc
        if not stochastic and reference > 0:  # in the units of tol, as the
            result.optimality /= reference  # warning reports it
        return result, done

    def _method(self, datafit, stochastic, rng, t0, monitor, theta0, partial):
        """The method of the solver table and its options: ``solver`` for the
        full batch with ``learning_rate="auto"``, else the first-order method
        of ``learning_rate`` (scikit-learn's SGD meaning)."""
        seed = rng.randint(np.iinfo(np.int32).max)
        named = self.solver != "auto" and not partial  # partial_fit: no solver
        if named and (stochastic or self.learning_rate != "auto"):
            raise ValueError(
                f"solver={self.solver!r} is a full-batch method: it needs "
                f"learning_rate='auto' and batch_size=None; got learning_rate="
                f"{self.learning_rate!r}, batch_size={self.batch_size!r}. Use "
                "solver='auto' with a learning_rate schedule."
            )
        if not stochastic:
            if self.learning_rate == "auto":
                return self.solver, {"random_state": seed}
            method = "gradient" if self.learning_rate == "constant" else "backtracking"
            return method, {"step": self.eta0}
        if self.learning_rate == "backtracking":
            raise ValueError(
                "learning_rate='backtracking' needs the full batch "
                f"(batch_size=None); got batch_size={self.batch_size}."
            )
        eta0 = self.eta0
        if self.learning_rate == "auto":
            eta0 = _minibatch_step(datafit, self.batch_size, seed)
        if self.learning_rate == "optimal":
            schedule = self._optimal_rate(datafit, seed)
        else:
            schedule = {
                "auto": InverseScaling(eta0, self.power_t),
                "constant": Constant(eta0),
                "invscaling": InverseScaling(eta0, self.power_t),
                "adaptive": Adaptive(eta0),
            }[self.learning_rate]
        return "sgd", dict(
            schedule=schedule,
            batch_size=self.batch_size or datafit.n_samples,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            rng=rng.randint(np.iinfo(np.int32).max),
            t0=t0,
            average=self._average(theta0, t0, datafit.n_samples),
            monitor=monitor,
        )

    def _optimal_rate(self, datafit, seed):
        """``1 / (alpha * (t0 + t - 1))``, its first step Bottou's typical
        weight ``alpha ** -0.25`` but no larger than the stable step ``1/L_b``
        of the mini-batches (where the loss has a Lipschitz constant)."""
        if self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal': its rate "
                "1 / (alpha * (t0 + t - 1)) divides by alpha. Give a positive alpha "
                "or another learning_rate."
            )
        eta1 = self.alpha**-0.25
        if datafit.loss.lipschitz is not None:
            eta1 = min(eta1, _minibatch_step(datafit, self.batch_size, seed))
        return Optimal(self.alpha, eta1)

    def _attributes_of(self, datafit):
        """The fitted attributes of an iterate, for scikit-learn's callbacks."""
        x_mean, d = datafit.x_mean, self.n_features_in_

        def attributes(theta):
            coef, intercept = from_centered(theta, x_mean, d, self.fit_intercept)
            coef, intercept = self._shaped(coef, intercept)
            return {"coef_": coef, "intercept_": intercept}

        return attributes

    def _average(self, theta0, t0, n_samples):
        """``stochastic_gradient``'s ``average``: the update from which the
        mean of the iterates starts (``average`` counts samples), and the mean
        so far (from ``partial_fit``'s last call when it continues)."""
        if not self.average:
            return None
        batch = self.batch_size or n_samples
        start = 0 if self.average is True else int(self.average) // batch
        state = getattr(self, "_averaged", None) if t0 > 1 else None
        return 1 + start, state or (theta0, 0)

    def _relative_tol(self, eps, start, stochastic):
        """``tol`` times the measure at the start (``eps`` at least); without
        ``tol``, 0 for the full batch (an exact optimum) and no plateau for
        mini-batches."""
        if self.tol is None:
            return -np.inf if stochastic else 0.0
        return max(self.tol, eps) * start

    def _set_fitted(self, result, x_mean, n_features, y, history):
        coef, intercept = from_centered(
            result.coef, x_mean, n_features, self.fit_intercept
        )
        self.__dict__.pop("_averaged", None)
        self.__dict__.pop("_iterate", None)
        self.__dict__.pop("dual_gap_", None)  # fit sets it anew; the others none
        if self.average and result.iterate is not None:  # in partial_fit's terms
            mean, count = result.averaged
            self._averaged = (self._uncentered(mean, x_mean, n_features), count)
            self._iterate = self._uncentered(result.iterate, x_mean, n_features)
        self.coef_, self.intercept_ = self._shaped(coef, intercept)
        self.n_iter_ = result.n_iter
        self.t_ = result.t
        self.loss_curve_ = list(history)
        self.step_size_ = float(result.step)

    def _shaped(self, coef, intercept):
        """``coef_`` and ``intercept_`` in scikit-learn's shapes: for a 1-D
        ``y`` a vector and a scalar; for a column ``y`` of shape (n, 1) a
        vector and one intercept (as Ridge, Lasso and ElasticNet give);
        else (n_targets, n_features) and (n_targets,)."""
        if self._y_ndim == 1:
            return coef[0], intercept[0]
        return (coef[0], intercept) if coef.shape[0] == 1 else (coef, intercept)

    def _uncentered(self, theta, x_mean, n_features):
        """``theta`` in the coordinates of the model (no centering), as kept
        between ``partial_fit`` calls."""
        coef, intercept = from_centered(theta, x_mean, n_features, self.fit_intercept)
        return to_centered(coef, intercept, None, self.fit_intercept)

    def _recentered(self, theta, x_mean, X):
        """A kept ``theta`` (no centering) in the coordinates of ``X``
        centered by ``x_mean``, in ``X``'s dtype."""
        coef, intercept = from_centered(theta, None, X.shape[1], self.fit_intercept)
        return to_centered(coef, intercept, x_mean, self.fit_intercept).astype(X.dtype)


def _is_matrix(precompute):
    """Whether ``precompute`` is a Gram matrix (not "auto" or a bool)."""
    return not isinstance(precompute, (str, bool, np.bool_))


def _passes(result, datafit):
    """Passes over the data of an in-memory full-batch fit: one for the Gram
    matrix, else one per iteration (a gradient each) and one for the start."""
    return 1 if datafit.gram_form() is not None else result.n_iter + 1


def _score_sums(X, y, w, index, predict, log_link):
    r"""One chunk's sums for :math:`R^2` (about the chunk's own mean, merged by
    Chan's formula) or, with a log link, for :math:`D^2` (plain sums): the
    weight, the mean of ``y``, the total term, :math:`\sum w y` and the
    residual term, per target."""
    y = np.reshape(y, (X.shape[0], -1)).astype(np.float64)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    mu = np.reshape(predict(X), y.shape)
    W = float(w.sum())
    mean = w @ y / W if W > 0 else np.zeros(y.shape[1])
    if log_link:  # the Poisson deviance, sum w (y log y - y log mu - y + mu)
        residual = w @ (xlogy(y, y) - xlogy(y, mu) - y + mu)
        return W, mean, w @ xlogy(y, y), w @ y, residual, True
    return W, mean, w @ (y - mean) ** 2, w @ y, w @ (y - mu) ** 2, False


def _merge_score_sums(a, b):
    r"""Sums add; the total sum of squares of :math:`R^2` moves with the mean
    (Chan: :math:`+ \frac{W_a W_b}{W} \delta^2`)."""
    Wa, ma, Ta, Sa, Ra, log_link = a
    Wb, mb, Tb, Sb, Rb, _ = b
    W = Wa + Wb
    if not (Wa > 0 and Wb > 0):
        return a if Wa > 0 else b
    delta = mb - ma
    T = Ta + Tb + (0.0 if log_link else Wa * Wb / W * delta**2)
    return W, ma + delta * Wb / W, T, Sa + Sb, Ra + Rb, log_link


def _null_value(loss, y, s):
    """The loss of the intercept-only model, the mean of ``y`` through the
    link: the denominator of :math:`R^2` and :math:`D^2` (half the variance of
    ``y`` for the squared error)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.broadcast_to(loss.intercept_start(y, s), y.shape)
        return loss.value(y, z, s)


def _violation(datafit, penalty, theta, grad):
    r"""Per coefficient (the largest over targets), the optimality violation
    in units of its column's scale, :math:`|\cdot| / \sqrt{D_j}` (see
    :meth:`~sklearn_foundations.datafits.LinearDatafit.metric`), from the
    datafit's gradient at ``theta``."""
    scale = np.sqrt(datafit.metric())[:, None]
    return (penalty.subdiff_distance(theta, grad) / scale).max(axis=1)


def _rounding_floor(dtype, y_rms):
    """The violation the rounding of the residuals leaves: a gradient in
    column units is at most the RMS of y (Cauchy-Schwarz), times a few ulps."""
    return 16 * np.finfo(dtype).eps * y_rms


def _as_shape(value, shape, name, dtype):
    """``value`` as an array of ``shape`` (a vector for one target), or a
    ValueError that names the parameter and both shapes."""
    array = np.asarray(value, dtype=dtype)
    if array.size != int(np.prod(shape)) or (array.ndim > 1 and array.shape != shape):
        expected = shape[1:] if shape[0] == 1 and len(shape) == 2 else shape
        raise ValueError(
            f"{name} has shape {array.shape}; it must have shape {expected} "
            f"(or {shape}) for X with these features and y with these targets."
        )
    return array.reshape(shape)


def _minibatch_step(datafit, batch_size, seed):
    """The automatic mini-batch step :math:`1/L_b`: the expected smoothness
    of batches of ``batch_size`` rows (None: the full batch)."""
    if datafit.loss.lipschitz is None:
        raise ValueError(
            f"learning_rate='auto' with mini-batches needs a loss with a Lipschitz "
            f"gradient; {datafit.loss!r} has none. Give learning_rate='constant', "
            "'invscaling' or 'adaptive' with eta0, 'optimal', or use the full batch "
            "(batch_size=None)."
        )
    L = datafit.lipschitz(random_state=seed)
    if batch_size is not None:
        L_max = datafit.sample_lipschitz()
        L = minibatch_lipschitz(L, L_max, datafit.n_samples, batch_size)
    return 1.0 / max(L, 1e-12)


def _stable_step_hint(datafit):
    """The end of the divergence error: the largest stable constant step."""
    if datafit.loss.lipschitz is None:
        return (
            "The loss's gradient has no global Lipschitz constant, so no constant "
            "step is safe everywhere; use learning_rate='auto' or 'backtracking'."
        )
    L = datafit.lipschitz(random_state=0)
    return (
        f"The largest stable constant step for these data is 1/L = {1 / L:.4g} (L: "
        "Lipschitz constant of the gradient); use eta0 below it, or "
        "learning_rate='auto' or 'backtracking'."
    )


def _nothing():
    pass


def _regression_datafit(X, y, w, setup):
    """A chunk's datafit: its weights over the global sum, the global mean
    (the squared error's curvature with ``curvature_one``, for the Lipschitz
    constant)."""
    dtype = setup["dtype"]
    X = X if X.dtype == dtype else X.astype(dtype)
    y = np.reshape(y, (X.shape[0], -1)).astype(dtype)
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    s = (w / setup["W"]).astype(dtype)
    loss = HalfSquaredError() if setup.get("curvature_one") else setup["loss"]
    return LinearDatafit(loss, X, y, s, setup["x_mean"], setup["fit_intercept"])
