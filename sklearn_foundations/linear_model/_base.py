"""Pieces shared by the linear models: penalties by name, centering, the step.

The solvers work on ``theta = [W; b]`` in centered coordinates (see
:mod:`sklearn_foundations.datafits`); these helpers translate between that and
the ``coef_``/``intercept_`` a user sees.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._callbacks import FitCallbacks, chain
from ..optimize import methods_for, minimize, unmet_needs
from ..penalties import ElasticNet, WithIntercept


class SparseCoefMixin:
    """``sparsify()`` and ``densify()`` of scikit-learn's L1 linear models:
    ``coef_`` as a CSR matrix (less memory for a sparse solution) and back.
    Predictions read either (:func:`dense_coef`); a warm start densifies."""

    def sparsify(self):
        """Store ``coef_`` as a CSR matrix (``intercept_`` unchanged).

        Returns
        -------
        self
        """
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(np.atleast_2d(dense_coef(self)))
        return self

    def densify(self):
        """Store ``coef_`` as an ndarray again, of the shape the fit gave it.

        Returns
        -------
        self
        """
        check_is_fitted(self)
        self.coef_ = dense_coef(self)
        return self


def dense_coef(estimator):
    """``coef_`` as an ndarray: the fit's array, or a sparsified one's values
    in the fit's shape (a vector for one target of a regressor, whose
    ``_y_ndim`` is set; a classifier's rows stay rows)."""
    coef = estimator.coef_
    if not sp.issparse(coef):
        return coef
    coef = coef.toarray()
    one = coef.shape[0] == 1 and hasattr(estimator, "_y_ndim")
    return coef[0] if one else coef


def make_penalty(penalty, alpha, l1_ratio, fit_intercept, positive=False):
    """The penalty object for scikit-learn's ``penalty``/``alpha``/``l1_ratio``
    (and ``positive``: the weights held non-negative)."""
    ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio, None: 0.0}[penalty]
    pen = ElasticNet(0.0 if penalty is None else alpha, ratio, positive=positive)
    return WithIntercept(pen) if fit_intercept else pen


def to_centered(coef, intercept, x_mean, fit_intercept):
    """Stack ``theta = [W; b + x_mean @ W]`` from coef (k, d) and intercept (k,)."""
    W = coef.T
    if not fit_intercept:
        return W.copy()
    b = intercept + (x_mean @ W if x_mean is not None else 0.0)
    return np.concatenate((W, b[None, :]))


def from_centered(theta, x_mean, n_features, fit_intercept):
    """Split ``theta`` back into coef (k, d) and intercept (k,)."""
    W = theta[:n_features]
    if not fit_intercept:
        return W.T.copy(), np.zeros(W.shape[1], dtype=theta.dtype)
    b = theta[n_features] - (x_mean @ W if x_mean is not None else 0.0)
    return W.T.copy(), b


def float32_hint(dtype, tol):
    """The end of a ``ConvergenceWarning`` for float32 data and a small ``tol``:
    their rounding (about 1e-7 relative) puts a floor under the optimality a
    solver can reach, and a ``tol`` near it may be out of reach."""
    if np.dtype(dtype) != np.float32 or tol >= 1e-5:
        return ""
    return (
        f" float32 data round the gradient to about 1e-7 of its scale, so "
        f"tol={tol} may be out of their reach: fit float64 data "
        "(X.astype(np.float64)) for a tighter tol."
    )


def warn_unconverged(name, result, max_iter, tol, dtype, unit="iterations", words=None):
    """The one ``ConvergenceWarning`` of the linear models: why the solver
    stopped short of ``tol`` (``max_iter``, or no progress left in floating
    point), how far it got, and what to do; at ``max_iter``, ``words`` last
    where given (scikit-learn's sentence for a solver of its name, so that a
    filter written for its warning catches ours)."""
    reached = f"{unit} were reached" if result.n_iter >= max_iter else None
    optimality = getattr(result, "optimality", np.nan)
    where = "" if np.isnan(optimality) else f" (optimality {optimality:.3g})"
    if reached:
        why = f"max_iter={max_iter} {reached} before tol={tol}{where}"
        advice = "Increase max_iter or loosen tol."
    else:
        why = (
            f"it stopped after {result.n_iter} {unit}{where} above tol={tol}: "
            "no step makes progress in floating point any more"
        )
        advice = "Loosen tol, or check the data for extreme scales or duplicates."
    also = f" ({words})" if words and reached else ""
    warnings.warn(
        f"{name} did not converge: {why}. {advice}{also}" + float32_hint(dtype, tol),
        ConvergenceWarning,
        stacklevel=4,
    )


def squared_error_gap(datafit, penalty, result, y_squares=None):
    r"""The duality gap of the squared error plus ``penalty`` at
    ``result.coef``, per target (None without a penalty):
    :meth:`~sklearn_foundations.penalties.ElasticNet.squared_error_gap` plus
    the intercept's :math:`\tfrac12 \delta^2`, :math:`\delta` its gradient.
    From the solver's last predictor and gradient where it kept them
    (``result.state``), else one more of each (of the Gram form: no pass
    over the data); the residuals' squares only with an L1 term, on the
    Gram form from ``y_squares``, each target's :math:`\sum_i s_i y_{c,i}^2`
    (None: the form's constant, which sums them, for one target)."""
    if penalty.l1 == 0 and penalty.l2 == 0 and not penalty.l1_part:
        return None
    theta = result.coef
    if result.state:  # the solver's last (Z, value, gradient)
        Z, _, grad = result.state
    else:
        Z = datafit.linear(theta)
        grad = datafit.gradient(theta, Z)
    d = datafit.n_features
    delta = grad[d] if datafit.fit_intercept else 0.0
    squares, form = None, datafit.gram_form()
    if penalty.l1 > 0 and form is not None:  # Z: G W
        _, q, c = form
        y_squares = 2.0 * c if y_squares is None else y_squares
        squares = (theta[:d] * (Z[:d] - 2 * q)).sum(axis=0) + y_squares
    elif penalty.l1 > 0:
        r = datafit.y - Z
        squares = datafit.s @ (r * r) - delta * delta  # the centered part
    return penalty.squared_error_gap(theta, grad, squares) + 0.5 * delta * delta


def minibatch_lipschitz(L, L_max, n, b):
    r"""Expected smoothness of mini-batches of size ``b`` drawn from ``n`` rows.

    .. math::

        L_b = \frac{n (b - 1)}{b (n - 1)} L + \frac{n - b}{b (n - 1)} L_{\max},

    which is :math:`L_{\max}` for single samples and :math:`L` for the full
    batch (Gower et al., 2019).
    """
    if n <= 1 or b >= n:
        return L
    return n * (b - 1) / (b * (n - 1)) * L + (n - b) / (b * (n - 1)) * L_max


def class_weights(class_weight, classes, y_idx, sample_weight):
    r"""Per-sample factors for ``class_weight`` (None, a dict, or "balanced").

    "balanced" gives class :math:`k` the weight :math:`\frac{\sum_i s_i}{K
    \sum_{i: y_i = k} s_i}`, so that every class carries the same total weight.
    """
    if class_weight is None:
        return np.ones_like(sample_weight)
    if isinstance(class_weight, str):  # "balanced"
        totals = np.bincount(y_idx, weights=sample_weight, minlength=len(classes))
        with np.errstate(divide="ignore"):
            per_class = sample_weight.sum() / (len(classes) * totals)
        per_class[totals == 0] = 0.0
    else:
        unknown = set(class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has keys {sorted(unknown, key=str)} that are not "
                f"classes of y; the classes are {classes.tolist()}."
            )
        per_class = np.array([class_weight.get(c, 1.0) for c in classes.tolist()])
    return per_class[y_idx].astype(sample_weight.dtype)


def warn_underflow(estimator, datafit, alpha):
    """A UserWarning that names the features whose squares underflow float64
    (:meth:`~sklearn_foundations.datafits.LinearDatafit.underflowed`): the
    fit takes them for constant columns and leaves their coefficients at 0.
    Only without a penalty (``alpha`` 0): with one, the coefficient of such
    a column is 0 (an L1 term) or negligible (L2) at the optimum too."""
    columns = datafit.underflowed() if alpha == 0 else ()
    if not len(columns):
        return
    names = getattr(estimator, "feature_names_in_", None)
    which = ", ".join(str(names[j] if names is not None else j) for j in columns[:5])
    more = f" and {len(columns) - 5} more" if len(columns) > 5 else ""
    warnings.warn(
        f"The squares of feature(s) {which}{more} underflow float64 (values below "
        "about 1e-154): the fit takes them for constant columns, their "
        "coefficients 0. Multiply X by a constant or scale the features "
        "(StandardScaler).",
        UserWarning,
        stacklevel=3,
    )


def check_solver(estimator, datafit, penalty, method, step=None):
    """A ValueError in the estimator's terms where its ``solver`` (the table's
    ``method``) cannot solve the case: what it needs, and the solvers that
    can."""
    missing = unmet_needs(datafit, penalty, method, step)
    if missing:
        solver = getattr(estimator, "solver", "auto")
        usable = [
            m for m in methods_for(datafit, penalty)
            if m in type(estimator)._parameter_constraints["solver"][0].options
        ]  # fmt: skip
        raise ValueError(
            f"solver={solver!r} needs {' and '.join(missing)} for these data and "
            f"parameters; use solver='auto' or one of {usable}."
        )


def solve(estimator, datafit, penalty, theta0, *, fit_data, attributes, **kwargs):
    """The shared fit path: :func:`~sklearn_foundations.optimize.minimize`
    with scikit-learn's callbacks on its hook (``fit_data`` the ``(X, y,
    sample_weight)`` the callbacks see, ``attributes(theta)`` the fitted
    attributes of an iterate). A ``solver`` that cannot solve the case is a
    ValueError in the estimator's terms. Returns the result and ``done``, to
    call once the fitted attributes are set (it ends the callbacks' fit
    task)."""
    check_solver(estimator, datafit, penalty, kwargs["method"], kwargs.get("step"))
    X, y, sample_weight = fit_data
    bridge = FitCallbacks.of(
        estimator, X, y, sample_weight, kwargs["max_iter"], attributes, theta0
    )
    kwargs["callback"] = chain(kwargs.get("callback"), bridge)
    result = minimize(datafit, penalty, theta0, **kwargs)
    if bridge is None:
        return result, _nothing
    bridge.close()
    return result, bridge.end


def _nothing():
    pass
