r"""Regularization paths: the fits for a decreasing sequence of alphas.

For :math:`\alpha_1 > \alpha_2 > \dots` the path holds the minimizers of the
package's one objective,

.. math::

    J_\alpha(w, b) = \frac{1}{\sum_i s_i} \sum_i s_i \, \ell(y_i, x_i^\top w + b)
    + \alpha \left( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \right),

intercept not penalized, :math:`\rho` = ``l1_ratio``. With an L1 term the
path starts at

.. math::

    \alpha_{\max} = \frac{1}{\rho} \max_{j, k} \left| \nabla_{w_{jk}} f(0, b_0)
    \right|,

:math:`b_0` the intercept-only optimum: there, and above, every coefficient is
exactly zero (the zero vector meets the optimality conditions, and nothing
is solved). Below it each fit starts from the previous one (warm start), on
the features that the sequential strong rule (Tibshirani et al., 2012) keeps,

.. math::

    |\nabla_j f(\hat\theta(\alpha_{k-1}))| \ge \rho \, (2 \alpha_k - \alpha_{k-1}),

with every feature that was ever kept. The rule is a heuristic: after each
fit the optimality conditions of the features left out are checked on the
full gradient (one pass), and any feature that violates them is put back
and the fit run again, so the path is the path of the unscreened problem.
The squared error is fitted on the Gram matrix, formed once for the path
where it pays (:func:`~sklearn_foundations.datafits.make_datafit`). Where the
kept features would take a method whose cost is its active set's systems,
not passes over the columns (dual Newton on wide data of many rows:
:func:`~sklearn_foundations.optimize.screening_pays`), every feature is
fitted, on one datafit whose Newton systems carry from point to point.
"""

import math
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_consistent_length

from .._compat import check_labels, check_sample_weight
from ..datafits import (
    LinearDatafit,
    QuadraticDatafit,
    _centered_moments,
    fits_dense,
    make_datafit,
)
from ..losses import (
    BinomialLogLoss,
    HalfPoissonDeviance,
    HalfSquaredError,
    Huber,
    Loss,
    MultinomialLogLoss,
)
from ..optimize import (
    NEWTON_REUSE_MIN_FEATURES,
    OptimizeResult,
    minimize,
    screening_pays,
)
from ..penalties import descent_magnitude
from ._base import class_weights, from_centered, make_penalty
from ._logistic import _encode

__all__ = ["RegularizationPath", "regularization_path"]

_DTYPES = [np.float64, np.float32]
_LOSSES = ("squared_error", "huber", "poisson", "log_loss")
# the automatic grid of a ridge path (no L1 term) starts where an elastic
# net of this share of L1 would make every coefficient zero (glmnet's choice)
_RIDGE_L1_RATIO = 1e-3


@dataclass
class RegularizationPath:
    r"""The fits along a path, one entry per alpha (largest first).

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The penalty strengths, decreasing.
    coefs : ndarray of shape (n_alphas, n_features), (n_alphas, n_targets, n_features) or (n_alphas, n_classes, n_features)
        ``coef_`` at each alpha, shaped as the estimator's: a row per target
        of a 2-D ``y``, one row for two classes, one per class for more.
    intercepts : ndarray of shape (n_alphas,) or (n_alphas, n_outputs)
    objective : ndarray of shape (n_alphas,)
        :math:`J_\alpha` at each fit (mean loss plus penalty).
    n_iter : ndarray of shape (n_alphas,)
        Iterations at each alpha: the solver's, at least 1, the check of the
        optimality conditions that every point gets (at and above
        ``alpha_max``, where the solution is known in closed form, or where
        the warm start is already optimal).
    n_active : ndarray of shape (n_alphas,)
        Features with a non-zero coefficient.
    n_screened : ndarray of shape (n_alphas,)
        Features the fit at each alpha was run on (the strong set; all of
        them without an L1 term or screening).
    n_kkt_violations : ndarray of shape (n_alphas,)
        Features the strong rule left out that the optimality check put back.
    alpha_max : float
        The smallest alpha with every coefficient zero (inf without an L1
        term).
    l1_ratio : float
    loss : str
    classes : ndarray or None
        The labels, for ``loss="log_loss"``.
    converged : ndarray of shape (n_alphas,) of bool

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_foundations.linear_model import regularization_path
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> path = regularization_path(X, y, loss="log_loss", n_alphas=4, eps=0.01)
    >>> path.coefs.shape, path.n_active.tolist()
    ((4, 1, 30), [0, 4, 8, 13])
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    objective: np.ndarray
    n_iter: np.ndarray
    n_active: np.ndarray
    n_screened: np.ndarray
    n_kkt_violations: np.ndarray
    alpha_max: float
    l1_ratio: float
    loss: str
    classes: np.ndarray | None = None
    converged: np.ndarray | None = None


def regularization_path(
    X, y, *, loss="squared_error", l1_ratio=1.0, alphas=None, n_alphas=100,
    eps=1e-3, sample_weight=None, fit_intercept=True, epsilon=0.1, tol=1e-4,
    max_iter=1000, screening=True, precompute="auto", class_weight=None,
    random_state=None, positive=False,
):  # fmt: skip
    r"""The penalized fits for a decreasing sequence of alphas, warm-started
    and screened by the strong rules.

    Minimizes at each alpha

    .. math::

        J_\alpha(w, b) = \frac{1}{\sum_i s_i} \sum_i s_i \, \ell(y_i,
        x_i^\top w + b) + \alpha \left( \rho \|w\|_1
        + \frac{1 - \rho}{2} \|w\|_2^2 \right),

    the objective of
    :class:`~sklearn_foundations.GradientDescentRegressor` (and of
    :class:`~sklearn_foundations.LogisticRegression` with
    :math:`\alpha = 1 / (C \sum_i s_i)`), from
    :math:`\alpha_{\max} = \max_j |\nabla_j f(0, b_0)| / \rho`, where every
    coefficient is zero, down to ``eps`` times it.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; labels for ``loss="log_loss"`` (two classes: the sigmoid,
        more: the softmax).
    loss : {"squared_error", "huber", "poisson", "log_loss"}, default="squared_error"
        The data term :math:`\ell` (Huber's with threshold ``epsilon``).
    l1_ratio : float, default=1.0
        The share :math:`\rho` of L1: 1 is the lasso, 0 ridge.
    alphas : array-like of shape (n_alphas,), default=None
        The penalty strengths (sorted to decrease); None for ``n_alphas``
        values spaced evenly on a log scale from :math:`\alpha_{\max}` to
        ``eps`` times it (for ``l1_ratio=0``, from the :math:`\alpha_{\max}`
        of ``l1_ratio=0.001``, as glmnet does).
    n_alphas : int, default=100
    eps : float, default=1e-3
        :math:`\alpha_{\min} / \alpha_{\max}` of the automatic grid.
    sample_weight : array-like of shape (n_samples,), default=None
    fit_intercept : bool, default=True
    epsilon : float, default=0.1
        Huber's threshold.
    tol : float, default=1e-4
        Each fit stops when the optimality measure of the estimators (the
        gradient mapping per coefficient in units of its column's scale) is
        at most ``tol`` times its value for the intercept-only model; the
        check of the features left out by the strong rule uses the same
        bound.
    max_iter : int, default=1000
        Iterations per alpha.
    screening : bool, default=True
        Fit on the strong rule's features (then check the rest).
    precompute : "auto" or bool, default="auto"
        The Gram matrix for the squared error, formed once for the whole path.
    class_weight : dict, "balanced" or None, default=None
        For ``loss="log_loss"``, factors on the sample weights of each class.
    random_state : int, RandomState instance or None, default=None
        Seeds the Lanczos iteration behind a first-order step.
    positive : bool, default=False
        Hold the coefficients non-negative at every alpha (the grid is the
        same: at and above :math:`\alpha_{\max}` every coefficient is zero
        either way).

    Returns
    -------
    path : RegularizationPath

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_foundations.linear_model import regularization_path
    >>> X, y = load_diabetes(return_X_y=True)
    >>> path = regularization_path(X, y, n_alphas=5)
    >>> path.n_active.tolist()
    [0, 4, 7, 9, 10]
    >>> bool(path.alphas[0] == path.alpha_max)
    True
    """
    _check_path_params(loss, l1_ratio, n_alphas, eps, tol, max_iter)
    problem = PathProblem.from_data(
        X, y, loss=loss, sample_weight=sample_weight, fit_intercept=fit_intercept,
        epsilon=epsilon, precompute=precompute, class_weight=class_weight,
    )  # fmt: skip
    alphas = problem.alpha_grid(l1_ratio, alphas, n_alphas, eps)
    return problem.path(
        alphas, l1_ratio, tol=tol * problem.null_violation(), max_iter=max_iter,
        screening=screening, random_state=random_state, positive=positive,
    )  # fmt: skip


def _check_path_params(loss, l1_ratio, n_alphas, eps, tol, max_iter):
    if loss not in _LOSSES:
        raise ValueError(f"loss={loss!r} is not one of {list(_LOSSES)}.")
    if not (isinstance(l1_ratio, Real) and 0 <= l1_ratio <= 1):
        raise ValueError(f"l1_ratio must be a number in [0, 1]; got {l1_ratio!r}.")
    if not (isinstance(n_alphas, Integral) and n_alphas >= 1):
        raise ValueError(f"n_alphas must be an integer >= 1; got {n_alphas!r}.")
    if not (isinstance(eps, Real) and 0 < eps <= 1):
        raise ValueError(f"eps must be a number in (0, 1]; got {eps!r}.")
    if not (isinstance(tol, Real) and tol >= 0):
        raise ValueError(f"tol must be a number >= 0; got {tol!r}.")
    if not (isinstance(max_iter, Integral) and max_iter >= 1):
        raise ValueError(f"max_iter must be an integer >= 1; got {max_iter!r}.")


def _solve_on_signs(G, q, A, sign, alphas, l1_ratio, scale, positive=False):
    r"""The solutions :math:`w_A` on the support ``A`` with signs ``sign`` at
    each alpha (rows of ``W``), whether each keeps the signs, and the excess
    of every other feature's gradient over :math:`\alpha\rho` in column
    units (its optimality condition holds where it is at most ``tol``; with
    ``positive`` the gradient's negative part alone: ``descent_magnitude``);
    W None where the system is singular."""
    H = G[np.ix_(A, A)]
    try:
        if l1_ratio == 1:  # w_A(alpha) = H^-1 q_A - alpha H^-1 sigma_A
            u, v = np.linalg.solve(H, np.column_stack([q[A], sign])).T
            W = u - np.outer(alphas, v)
        else:
            Hs = np.repeat(H[None], len(alphas), axis=0)
            ridge = alphas * (1 - l1_ratio)
            Hs[:, np.arange(A.size), np.arange(A.size)] += ridge[:, None]
            rhs = q[A] - np.outer(alphas * l1_ratio, sign)
            W = np.linalg.solve(Hs, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return None, None, None
    excess = descent_magnitude(W @ G[A, :] - q, positive)
    excess -= (alphas * l1_ratio)[:, None]
    excess[:, A] = 0.0
    excess /= scale
    return W, np.all(np.sign(W) == sign, axis=1), excess


def _secant_start(datafit, penalty, theta, value, history, alpha, tangent=None):
    r"""The start of a smooth path's next fit, from the last two points in
    :math:`t = \log\alpha` (the path is smooth there): the secant,
    :math:`\theta_k + (\theta_k - \theta_{k-1}) \delta / (t_k - t_{k-1})`,
    :math:`\delta = \log\alpha - t_k`; or, with the ``tangent``
    :math:`\theta'_k` at the last point (:func:`_tangent`), the quadratic
    through both points with that slope at the last,

    .. math::

        \theta_k + \theta'_k \delta + c \delta^2, \qquad
        c = \frac{\theta_{k-1} - \theta_k - \theta'_k h}{h^2}, \quad
        h = t_{k-1} - t_k,

    whose error is of third order in the step where the secant's is of
    second (a Newton iteration less per point on most paths). Taken where
    its objective is below the last point's (``value``, its datafit's
    value); else the last point. ``history``: the last two ``(log alpha,
    theta, Z)``, ``Z`` the linear predictor where a Newton fit left it (then
    the secant's is on the same line, no pass; else, and for the quadratic,
    one pass). Returns the start and, where it is the guess, the datafit's
    ``(Z, value, gradient)`` there (one pass, the gradient) when known,
    else None."""
    (t_old, theta_old, Z_old), (t_last, _, Z_last) = history
    if alpha <= 0 or t_last == t_old:  # no penalty (C = inf): no log scale
        return theta, None
    step, h = math.log(alpha) - t_last, t_old - t_last
    if tangent is not None:
        curve = (theta_old - theta - tangent * h) / h**2
        guess = theta + tangent * step + curve * step**2
        Z = datafit.linear(guess)
    else:
        guess = theta + (theta - theta_old) * (-step / h)
        known = Z_old is not None and Z_last is not None
        Z = Z_last + (Z_last - Z_old) * (-step / h) if known else datafit.linear(guess)
    there = datafit.value(guess, Z)
    if not there + penalty.value(guess) < value + penalty.value(theta):
        return theta, None
    if tangent is None and not known:
        return guess, None
    return guess, (Z, there, datafit.gradient(guess, Z))


def _tangent(hessian, penalty, theta, solve=None):
    r"""The slope :math:`\theta' = d\theta / d\log\alpha` of a smooth path at
    its point ``theta`` (the optimum at ``penalty``'s alpha), from the
    datafit's ``hessian`` there (or near there): differentiating the
    optimality condition :math:`\nabla f(\theta) + \alpha P \theta = 0`
    (:math:`P` the identity on the weights, zero on the intercept) in
    :math:`\log\alpha` gives

    .. math::

        (\nabla^2 f + \alpha P)\, \theta' = -\alpha P \theta,

    solved in float64 on the system scaled to a unit diagonal, or by
    ``solve`` where the fit left that system's factor (``OptimizeResult.solve``:
    no second factor). None where there is no Hessian, or it is singular."""
    if hessian is None or theta.shape[1] != 1 or len(hessian) != len(theta):
        return None
    if solve is not None:
        slope = -solve(penalty.gradient(theta))
        return slope if np.all(np.isfinite(slope)) else None
    H = np.array(hessian, dtype=np.float64)
    H.flat[:: len(H) + 1] += penalty.gradient(np.ones_like(theta))[:, 0]  # diagonal
    root = np.sqrt(np.diag(H))
    if not np.all(root > 0):
        return None
    rhs = penalty.gradient(theta)[:, 0].astype(np.float64)
    try:
        u = np.linalg.solve(H / root / root[:, None], -rhs / root)
    except np.linalg.LinAlgError:
        return None
    slope = (u / root)[:, None]
    return slope.astype(theta.dtype) if np.all(np.isfinite(slope)) else None


def check_alphas(alphas, name="alphas"):
    """``alphas`` as a float array, sorted to decrease, or a ValueError that
    names the parameter."""
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
        raise ValueError(
            f"{name} must be non-empty, finite and non-negative; got "
            f"{alphas.tolist()[:10]}."
        )
    return np.sort(alphas)[::-1]


class PathProblem:
    """One dataset's datafit, set up once for every path on it: the loss,
    the encoded targets, the normalized weights, the start (every coefficient
    zero, the intercept-only optimum) and the gradient there."""

    def __init__(self, datafit, X, loss_name, theta0, classes, sample_weight):
        self.datafit, self.X, self.loss_name = datafit, X, loss_name
        self.theta0, self.classes = theta0, classes
        self.sample_weight = sample_weight
        self.value0, self.grad0 = _value_gradient(datafit, theta0)
        self._cache = (None, None)

    @classmethod
    def from_data(
        cls, X, y, *, loss="squared_error", sample_weight=None, fit_intercept=True,
        epsilon=0.1, precompute="auto", class_weight=None, classes=None,
        validated=False,
    ):  # fmt: skip
        """Validate ``X``, ``y`` and the weights (unless ``validated``) and
        build the datafit of ``loss``; for ``"log_loss"``, ``classes`` are
        the labels to encode against (those of ``y`` by default). A class
        without weight (one a cross-validation fold left out) is fitted all
        the same, as scikit-learn fits it: its intercept's optimum is
        :math:`-\\infty`, and the fit starts where the model gives it the
        probability :math:`\\epsilon` (the loss's ``intercept_start``)."""
        classification = loss == "log_loss"
        if not validated:
            X = check_array(X, accept_sparse=["csr", "csc"], dtype=_DTYPES)
            y = np.asarray(y)
            check_consistent_length(X, y)
        sw = check_sample_weight(sample_weight, X, dtype=X.dtype)
        if classification:
            check_labels(y)
            if classes is None:
                classes, y_idx = np.unique(y, return_inverse=True)
            else:
                y_idx = np.searchsorted(classes, y)
            if len(classes) < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {classes[0]!r}."
                )
            sw = sw * class_weights(class_weight, classes, y_idx, sw)
            Y = _encode(y_idx, len(classes), X.dtype)
            loss_obj = BinomialLogLoss() if len(classes) == 2 else MultinomialLogLoss()
        else:
            classes = None
            Y = np.asarray(y, dtype=X.dtype).reshape(X.shape[0], -1)
            if not np.all(np.isfinite(Y)):
                raise ValueError("y contains NaN or infinity; remove those rows.")
            loss_obj = {"squared_error": HalfSquaredError(), "huber": Huber(epsilon),
                        "poisson": HalfPoissonDeviance()}[loss]  # fmt: skip
        if not np.any(sw > 0):
            raise ValueError(
                "sample_weight (and class_weight) give every sample zero weight; "
                "at least one must be positive."
            )
        s = sw / sw.sum()
        loss_obj.check_y(Y, s)
        if sp.issparse(X):  # the screened fits slice columns; a small one
            X = X.toarray() if fits_dense(X) else X.tocsc()  # as make_datafit
        gram = precompute if loss_obj.quadratic else False
        datafit = make_datafit(loss_obj, X, Y, s, fit_intercept, gram=gram)
        theta0 = np.zeros((X.shape[1] + fit_intercept, Y.shape[1]), dtype=X.dtype)
        if fit_intercept:
            theta0[-1] = _intercept_only(loss_obj, Y, s)
        return cls(datafit, X, loss, theta0, classes, sw)

    def without(self, X, y, sample_weight):
        """The problem of the squared error on the Gram form with the rows
        ``X``, ``y``, ``sample_weight`` taken out: a cross-validation fold's
        training part from all the data's moments and its test part's, by
        Chan's formula run backwards (the training part holds most of the
        weight, so nothing cancels): no pass over the training rows."""
        full = self.datafit
        W = float(self.sample_weight.sum())
        W_b = float(np.sum(sample_weight))
        W_a = W - W_b
        Y = np.asarray(y, dtype=full.dtype).reshape(len(sample_weight), -1)
        if full.fit_intercept:
            x_b, G_b, q_b, y_b, c_b = _centered_moments(X, Y, sample_weight / W_b)
            x_a = (W * full.x_mean - W_b * x_b) / W_a
            y_a = (W * full.y_mean - W_b * y_b) / W_a
            dx, dy, k = x_b - x_a, y_b - y_a, W_a * W_b / W
            G = (W * full.G - W_b * G_b - k * np.outer(dx, dx)) / W_a
            q = (W * full.q - W_b * q_b - k * np.outer(dx, dy)) / W_a
            c = (W * full.c - W_b * c_b - 0.5 * k * float(dy @ dy)) / W_a
        else:
            x_b, G_b, q_b, y_b, c_b = _centered_moments(
                X, Y, sample_weight / W_b, np.zeros(X.shape[1]), np.zeros(Y.shape[1])
            )
            G, q, c = ((W * m - W_b * m_b) / W_a for m, m_b in
                       ((full.G, G_b), (full.q, q_b), (full.c, c_b)))  # fmt: skip
            x_a = y_a = None
        datafit = QuadraticDatafit(G, q, y_a, c, full.fit_intercept)
        datafit.x_mean = x_a
        theta0 = np.zeros_like(self.theta0)
        if full.fit_intercept:
            theta0[-1] = y_a
        weights = np.full(1, W_a)  # only their sum is read
        problem = PathProblem(datafit, None, self.loss_name, theta0, None, weights)
        problem.held_out = (x_b, G_b, q_b, y_b, c_b)  # centers 0 without intercept
        return problem

    held_out = None

    def held_out_mse(self, coefs, intercepts):
        r"""The weighted mean squared error of each point of a path
        (``coefs`` of shape (n_points, n_features), ``intercepts`` of shape
        (n_points,)) on the rows that :meth:`without` took out, from their
        moments (weights summing to one, :math:`X_c`, :math:`y_c` centered
        at their means :math:`\bar x`, :math:`\bar y`):

        .. math::

            \sum_i s_i (y_i - x_i^\top w - b)^2 = 2c - 2 q^\top w
            + w^\top G w + (\bar y - \bar x^\top w - b)^2,

        :math:`G = X_c^\top S X_c`, :math:`q = X_c^\top S y_c`,
        :math:`c = \tfrac12 y_c^\top S y_c`: no pass over the rows. None
        for several targets, or where the sum cancels more than six of
        its digits (an error far below the variance of y): then the
        rows' own predictions."""
        if self.held_out is None or self.held_out[2].shape[1] != 1:
            return None
        x_b, G_b, q_b, y_b, c_b = self.held_out
        coefs = np.asarray(coefs, dtype=np.float64)
        quad = np.einsum("pj,jk,pk->p", coefs, G_b, coefs)
        bias = float(y_b[0]) - coefs @ x_b - intercepts
        mse = 2 * c_b - 2 * coefs @ q_b[:, 0] + quad + bias**2
        if np.any(mse < 1e-6 * (2 * c_b + quad)):
            return None
        return mse

    # ---------------------------------------------------------------- grid
    def alpha_max(self, l1_ratio):
        r""":math:`\max_{j,k} |\nabla_{w_{jk}} f(0, b_0)| / \rho`: at and above
        it every coefficient is zero; inf without an L1 term."""
        if l1_ratio == 0:
            return np.inf
        d = self.datafit.n_features
        return float(np.max(np.abs(self.grad0[:d]), initial=0.0)) / l1_ratio

    def alpha_grid(self, l1_ratio, alphas=None, n_alphas=100, eps=1e-3):
        """The given ``alphas`` sorted to decrease, or ``n_alphas`` from
        :meth:`alpha_max` down to ``eps`` times it, evenly on a log scale."""
        if alphas is not None:
            return check_alphas(alphas)
        top = self.alpha_max(max(l1_ratio, _RIDGE_L1_RATIO))
        if not top > 0:  # no gradient at the start (y constant): any alpha
            return np.full(n_alphas, np.finfo(np.float64).resolution)
        return np.geomspace(top, top * eps, num=n_alphas)

    def null_violation(self):
        """The optimality measure at the start (the intercept-only model):
        the largest gradient entry in column units, the unit of ``tol``."""
        d = self.datafit.n_features
        scale = np.sqrt(self.datafit.metric()[:d])
        return float(np.max(np.abs(self.grad0[:d]) / scale[:, None], initial=0.0))

    def rounding_floor(self):
        """The optimality the rounding of the data's type leaves, a few ulps
        of the gradient's scale at the start: float32 data reach about 1e-5
        of it, and a ``tol`` below would run every fit to ``max_iter``."""
        return 64 * float(np.finfo(self.datafit.dtype).eps) * self.null_violation()

    # ---------------------------------------------------------------- fits
    def fit(self, alpha, l1_ratio, *, tol, max_iter=1000, random_state=None,
            method="auto", positive=False):  # fmt: skip
        """One fit at ``alpha`` from the start (every coefficient zero): the
        closed form at and above :meth:`alpha_max`, else
        :func:`~sklearn_foundations.optimize.minimize` on the whole datafit
        (with ``method``, a row of its table; ``positive``: the coefficients
        held non-negative). Returns the
        :class:`~sklearn_foundations.optimize.OptimizeResult`."""
        tol = max(tol, self.rounding_floor())
        penalty = make_penalty(
            "elasticnet", alpha, l1_ratio, self.datafit.fit_intercept, positive
        )
        if alpha >= self.alpha_max(l1_ratio):
            theta = self.theta0.copy()
            value = self._record(theta, penalty, self.value0, 0, 0, 0, True)[1]
            return OptimizeResult(
                coef=theta, n_iter=0, objective=[value], converged=True, optimality=0.0
            )
        return minimize(
            self.datafit, penalty, self.theta0, method=method, tol=tol,
            max_iter=max_iter, random_state=random_state,
        )  # fmt: skip

    def path(self, alphas, l1_ratio, *, tol, max_iter=1000, screening=True,
             random_state=None, theta_start=None, method="auto",
             positive=False):  # fmt: skip
        """Fit every alpha of ``alphas`` (decreasing), each from the last (by
        ``method``, a row of :func:`~sklearn_foundations.optimize.minimize`'s
        table); ``tol`` absolute, in the estimators' optimality measure (at
        least :meth:`rounding_floor`); ``positive``: the coefficients held
        non-negative (the screening and the checks on the gradient's
        negative part, no secant start off the feasible set)."""
        tol = max(tol, self.rounding_floor())
        datafit, fit_intercept = self.datafit, self.datafit.fit_intercept
        d = datafit.n_features
        a_max = self.alpha_max(l1_ratio)
        scale = np.sqrt(datafit.metric()[:d])
        theta = self.theta0.copy() if theta_start is None else theta_start.copy()
        grad = self.grad0 if theta_start is None else _value_gradient(datafit, theta)[1]
        keep = np.zeros(d, dtype=bool)
        previous = a_max
        records = []
        ahead, predicted = 1, []  # how far to look on the signs, what it found
        direct, history = {}, []  # Newton's steps; the last (log alpha, theta)
        formed = None  # a Hessian the last fit formed (not one it was handed)
        # and its factor
        known = None  # (theta, the datafit's state there) after a Newton fit
        carried = {}  # the last dual Newton fit's systems, for the next
        fitted = False
        for i, alpha in enumerate(alphas):
            penalty = make_penalty(
                "elasticnet", alpha, l1_ratio, fit_intercept, positive
            )
            if alpha >= a_max:  # closed form: every coefficient zero
                theta, grad = self.theta0.copy(), self.grad0
                records.append(self._record(theta, penalty, self.value0, 1, 0, 0, True))
                previous = alpha
                continue
            if not predicted:  # the next points on the signs, as many as hold
                predicted = self._on_signs(
                    theta, alphas[i : i + ahead], l1_ratio, tol, scale, positive
                )
                ahead = min(2 * ahead, 16) if len(predicted) == ahead else 1
            if predicted:  # no kink since the last alpha
                theta = predicted.pop(0)
                value, grad = _value_gradient(datafit, theta)
                active = (theta[:d] != 0).any(axis=1)
                keep |= active
                records.append(
                    self._record(theta, penalty, value, 1, int(keep.sum()), 0, True)
                )
                previous = alpha
                continue
            start = {"start": known[1]} if known and known[0] is theta else {}
            if l1_ratio == 0 and len(history) == 2 and not positive:  # extrapolate
                at_last = make_penalty("elasticnet", previous, 0.0, fit_intercept)
                guess, state = _secant_start(
                    datafit, penalty, theta, value, history, alpha,
                    _tangent(formed[0], at_last, theta, formed[1]) if formed else None,
                )  # fmt: skip
                if guess is not theta:
                    theta, start = guess, ({"start": state} if state else {})
            if screening and l1_ratio > 0 and np.isfinite(previous):
                strong = descent_magnitude(grad[:d], positive).max(
                    axis=1
                ) >= l1_ratio * (2 * alpha - previous)
                keep |= strong | (theta[:d] != 0).any(axis=1)
                # every column where the kept ones would take a method whose
                # cost is the active set's (its systems then carry over)
                if not screening_pays(datafit, penalty, method, int(keep.sum())):
                    keep[:] = True
            else:
                keep[:] = True
            n_iter, added, converged = 0, 0, True
            while True:
                sub, rows = self._restrict(keep)
                result = minimize(
                    sub, penalty, theta[rows], method=method, tol=tol,
                    max_iter=max_iter, random_state=random_state, path=not fitted,
                    finish=False, **direct, **start, **carried,
                )  # fmt: skip
                carried = {} if result.system is None else {"system": result.system}
                # Newton's direct steps, once needed, from the next start on
                handed = direct.get("hessian")
                direct = {"hessian": result.hessian} if result.direct else {}
                # the tangent's Hessian, where every Newton step forms its own
                # (few features): one formed at this point. With more features
                # a Hessian is kept across points to precondition, and the
                # better start, by asking more of that factor, forms more of
                # them than it saves iterations (measured)
                fresh = result.direct and result.hessian is not handed
                few = d < NEWTON_REUSE_MIN_FEATURES
                formed = (result.hessian, result.solve) if fresh and few else None
                fitted = True  # path=True: the first fit only
                n_iter += result.n_iter
                converged = bool(result.converged)
                theta = np.zeros_like(theta)
                theta[rows] = result.coef
                if l1_ratio == 0:  # no screening: the value only
                    value = _last_value(datafit, penalty, theta, result)
                    known = (theta, result.state) if result.state else None
                    break
                value, grad = _value_gradient(datafit, theta)
                if keep.all():
                    break
                steepest = descent_magnitude(grad[:d], positive).max(axis=1)
                excess = steepest - alpha * l1_ratio
                violators = ~keep & (excess / scale > tol)
                if not violators.any():
                    break
                keep |= violators
                added += int(violators.sum())
            if not i % 10:  # a fresh predictor every 10 points: no drift
                known = None
            Z = known[1][0] if known else None
            history = [*history[-1:], (math.log(alpha), theta, Z)] if alpha > 0 else []
            records.append(
                self._record(
                    theta,
                    penalty,
                    value,
                    max(n_iter, 1),
                    int(keep.sum()),
                    added,
                    converged,
                )
            )
            previous = alpha
        return self._finish(np.asarray(alphas, dtype=np.float64), records, l1_ratio)

    def _on_signs(self, theta, alphas, l1_ratio, tol, scale, positive=False):
        r"""The next points of a Gram-form path, at ``alphas``, while no
        coefficient enters or leaves: with the support :math:`A` and signs
        :math:`\sigma` of ``theta`` held, each optimum is one solve,
        :math:`(G_{AA} + \alpha(1-\rho) I) w_A = q_A - \alpha\rho\,\sigma_A`
        (the lasso path is affine in alpha between its kinks: two solves for
        all), all of them in one batch. Returned for the leading alphas where
        the solution keeps the signs and every other feature meets its
        optimality condition to ``tol``. Where the first alpha is a kink, the
        support is updated as a homotopy step would (the coefficients that
        crossed zero leave, the features that violate their condition enter
        with the sign of their correlation) and solved again, a few times;
        the point is kept only when it passes the same check, else none is
        (the solver takes over). With ``positive`` the features enter with a
        positive sign alone (``descent_magnitude``)."""
        form = self.datafit.gram_form()
        if form is None or l1_ratio == 0 or theta.shape[1] != 1:
            return []
        G, q = form[0], form[1][:, 0]
        d = len(G)
        A = np.flatnonzero(theta[:d, 0])
        if A.size == 0:
            return []
        sign = np.sign(theta[A, 0])
        alphas = np.asarray(alphas, dtype=np.float64)
        for attempt in range(4):
            W, kept, excess = _solve_on_signs(
                G, q, A, sign, alphas, l1_ratio, scale, positive
            )
            if W is None:
                return []
            holds = kept & (excess.max(axis=1) <= tol)
            n = len(alphas) if holds.all() else int(np.argmin(holds))
            if n > 0 or attempt == 3:
                break
            alphas = alphas[:1]  # a kink: a new support for the first alpha
            stays = np.sign(W[0]) == sign
            enter = np.flatnonzero(excess[0] > tol)
            correlation = q[enter] - G[enter][:, A[stays]] @ W[0][stays]
            A, sign = (
                np.concatenate([A[stays], enter]),
                np.concatenate([sign[stays], np.sign(correlation)]),
            )
            if A.size == 0:
                return []
        out = []
        for w_A in W[:n]:
            point = np.zeros_like(theta)
            point[A, 0] = w_A
            if self.datafit.fit_intercept:
                point[d] = theta[d]
            out.append(point)
        return out

    def _restrict(self, keep):
        """The datafit on the columns ``keep`` and the rows of ``theta`` it
        covers: the Gram matrix sliced, or the data's columns (kept while
        the set does not change; the whole datafit once the set is over half
        the features, where a copy would not pay)."""
        datafit = self.datafit
        d = datafit.n_features
        if keep.all() or (datafit.gram_form() is None and keep.mean() > 0.5):
            keep[:] = True
            return datafit, slice(None)
        rows = np.flatnonzero(keep)
        if datafit.fit_intercept:
            rows = np.append(rows, d)
        cached_keep, cached = self._cache
        if cached_keep is not None and np.array_equal(cached_keep, keep):
            return cached, rows
        x_mean = None if datafit.x_mean is None else datafit.x_mean[keep]
        if datafit.gram_form() is not None:
            G, q, c = datafit.gram_form()
            sub = QuadraticDatafit(
                G[np.ix_(keep, keep)], q[keep], datafit.y_mean, c, datafit.fit_intercept
            )
            sub.x_mean = x_mean
        else:
            sub = LinearDatafit(
                datafit.loss, self.X[:, keep], datafit.y, datafit.s, x_mean,
                datafit.fit_intercept,
            )  # fmt: skip
            sub._metric = datafit.metric()[rows]
            sub.mean_of_rows = datafit.mean_of_rows
        self._cache = (keep.copy(), sub)
        return sub, rows

    def _record(self, theta, penalty, value, n_iter, n_screened, added, converged):
        """One point's record; ``value`` the datafit's at ``theta``."""
        datafit = self.datafit
        value = value + penalty.value(theta)
        active = int((theta[: datafit.n_features] != 0).any(axis=1).sum())
        return theta, float(value), n_iter, active, n_screened, added, converged

    def _finish(self, alphas, records, l1_ratio):
        thetas = [r[0] for r in records]
        coefs, intercepts = self.unpack(thetas)
        converged = np.array([r[6] for r in records])
        if not converged.all():
            missed = alphas[~converged]
            warnings.warn(
                f"The path did not converge at {len(missed)} of {len(alphas)} alphas "
                f"(the largest {missed[0]:.4g}): max_iter was reached or no step "
                "made progress. Increase max_iter or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        column = lambda i, t=np.int64: np.array([r[i] for r in records], dtype=t)  # noqa: E731
        return RegularizationPath(
            alphas=alphas, coefs=coefs, intercepts=intercepts,
            objective=column(1, np.float64), n_iter=column(2), n_active=column(3),
            n_screened=column(4), n_kkt_violations=column(5),
            alpha_max=self.alpha_max(l1_ratio), l1_ratio=float(l1_ratio),
            loss=self.loss_name, classes=self.classes, converged=converged,
        )  # fmt: skip

    def unpack(self, thetas):
        """``coef_`` and ``intercept_`` of each ``theta``, stacked; shaped as
        the estimators': ``(d,)`` for one regression target, ``(1, d)`` for
        two classes, ``(K, d)`` for more; the softmax's intercepts
        centered."""
        datafit = self.datafit
        coefs, intercepts = [], []
        for theta in thetas:
            coef, intercept = from_centered(
                theta, datafit.x_mean, datafit.n_features, datafit.fit_intercept
            )
            if self.classes is None and coef.shape[0] == 1:
                coef, intercept = coef[0], intercept[0]
            elif self.classes is not None and len(self.classes) > 2:
                intercept = intercept - intercept.mean() * datafit.fit_intercept
            coefs.append(coef)
            intercepts.append(intercept)
        return np.array(coefs), np.array(intercepts)


def _value_gradient(datafit, theta):
    """The datafit's value and gradient at ``theta``, one pass for both."""
    Z = datafit.linear(theta)
    return datafit.value(theta, Z), datafit.gradient(theta, Z)


def _last_value(datafit, penalty, theta, result):
    """The datafit's value at the solver's last point: its last objective
    less the penalty's (no pass), or a pass where it ran no iteration."""
    if result.state:
        return result.state[1]
    if result.objective:
        return result.objective[-1] - penalty.value(theta)
    return datafit.value(theta, datafit.linear(theta))


def _intercept_only(loss, Y, s):
    r"""The intercept-only optimum :math:`b_0`, per output: the loss's
    ``intercept_start`` where it is exact (the squared error and the
    canonical links), else (Huber's loss) the root of the monotone
    :math:`\sum_i s_i \ell'(y_i, b)` by bisection between the extremes of
    ``y``."""
    b = np.broadcast_to(loss.intercept_start(Y, s), (Y.shape[1],)).astype(np.float64)
    if loss.quadratic or type(loss).link is not Loss.link:
        return b
    for k in range(Y.shape[1]):
        y = Y[:, k : k + 1]

        def slope(value, y=y):
            return float(np.sum(loss.gradient(y, np.full_like(y, value), s)))

        lo, hi = float(y.min()), float(y.max())
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if not lo < mid < hi:
                break
            lo, hi = (mid, hi) if slope(mid) < 0 else (lo, mid)
        b[k] = 0.5 * (lo + hi)
    return b
