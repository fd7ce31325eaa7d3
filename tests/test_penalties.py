"""Penalties: prox optimality, gradients, the optimality measure."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from sklearn_foundations import check_gradient
from sklearn_foundations.penalties import L1, L2, ElasticNet, WithIntercept

finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    v=arrays(np.float64, 6, elements=finite),
    alpha=st.floats(0, 5),
    l1_ratio=st.floats(0, 1),
    step=st.floats(0.01, 3),
    positive=st.booleans(),
)
def test_prox_satisfies_its_optimality_condition(v, alpha, l1_ratio, step, positive):
    # p = prox(v) iff (v - p) / step is in the subdifferential of g at p,
    # i.e. the optimality measure of the prox problem's gradient (p - v)/step is 0
    pen = ElasticNet(alpha, l1_ratio, positive=positive)
    p = pen.prox(v, step)
    assert not positive or p.min() >= 0
    assert np.max(pen.subdiff_distance(p, (p - v) / step)) <= 1e-9 * (
        1 + np.abs(v).max()
    )


@pytest.mark.parametrize(
    "pen",
    [L2(0.7), L1(0.7), ElasticNet(0.7, 0.3), L2(0.7, positive=True),
     L1(0.7, positive=True), ElasticNet(0.7, 0.3, positive=True)],
    ids=repr,
)  # fmt: skip
def test_prox_beats_random_points(pen):
    """Over random points near it (for ``positive``, their projections on
    the non-negative orthant, the feasible set)."""
    rng = np.random.default_rng(0)
    v, step = rng.standard_normal(5) * 2, 0.8

    def objective(w):
        return np.sum((w - v) ** 2) / (2 * step) + pen.value(w)

    p = pen.prox(v, step)
    for _ in range(200):
        q = p + 0.1 * rng.standard_normal(5)
        assert (
            objective(p) <= objective(np.maximum(q, 0) if pen.positive else q) + 1e-12
        )


def test_positive_subdiff_distance_is_one_sided_at_zero():
    """At zero, a gradient above -l1 is optimal for the non-negative penalty
    (the coefficient would have to go negative to lower the objective); the
    two-sided one counts its excess over l1 in magnitude."""
    grad = np.array([5.0, -5.0, 0.5, -0.5])
    w = np.zeros(4)
    np.testing.assert_allclose(
        L1(1.0, positive=True).subdiff_distance(w, grad), [0, 4, 0, 0]
    )
    np.testing.assert_allclose(L1(1.0).subdiff_distance(w, grad), [4, 4, 0, 0])
    assert not L2(1.0, positive=True).smooth and L2(1.0).smooth


def test_l1_prox_gives_exact_zeros():
    p = L1(1.0).prox(np.array([0.3, -0.9, 2.0]), step=1.0)
    assert p[0] == 0.0 and p[1] == 0.0 and p[2] == 1.0


@pytest.mark.parametrize("pen", [L2(0.5), L1(0.5), ElasticNet(0.5, 0.4)], ids=repr)
def test_gradient_matches_finite_differences_away_from_zero(pen):
    w = np.array([0.5, -1.5, 2.0, -0.25])
    assert check_gradient(pen.value, pen.gradient, w) < 1e-8


def test_values_match_the_stated_convention():
    w = np.array([1.0, -2.0, 0.0])
    alpha, rho = 0.3, 0.25
    expected = alpha * (rho * 3.0 + (1 - rho) / 2 * 5.0)
    assert ElasticNet(alpha, rho).value(w) == pytest.approx(expected, rel=1e-15)


def test_subdiff_distance_is_zero_at_a_lasso_optimum_only():
    # min 1/2 ||w - v||^2 + alpha ||w||_1 has the soft-thresholding solution
    v, alpha = np.array([3.0, 0.2, -1.0]), 0.5
    pen = L1(alpha)
    w_star = pen.prox(v, 1.0)
    assert np.max(pen.subdiff_distance(w_star, w_star - v)) == pytest.approx(0.0)
    w_bad = w_star + np.array([0.0, 0.1, 0.0])
    assert np.max(pen.subdiff_distance(w_bad, w_bad - v)) > 0.05


def test_with_intercept_leaves_the_last_row_unpenalized():
    pen = WithIntercept(L2(2.0))
    theta = np.array([[1.0], [3.0]])
    assert pen.value(theta) == pytest.approx(1.0)
    np.testing.assert_allclose(pen.prox(theta, 0.5), [[0.5], [3.0]])
    np.testing.assert_allclose(
        pen.subdiff_distance(theta, np.array([[-2.0], [0.1]])), [[0.0], [0.1]]
    )


@pytest.mark.parametrize("pen", [L1(0.7), L2(0.7), ElasticNet(0.7, 0.3)], ids=repr)
@pytest.mark.parametrize("K", [3, 4, 10])
def test_center_minimizes_the_penalty_over_a_shift_of_each_row(pen, K):
    """Against a bounded scalar search of ``sum_k g(W_jk - c)`` row by row."""
    from scipy.optimize import minimize_scalar

    W = np.random.default_rng(K).standard_normal((20, K)) * 3
    centered = pen.center(W)
    shift = W - centered
    np.testing.assert_allclose(shift, shift[:, :1] * np.ones(K), atol=1e-12)
    for w, row in zip(W, centered, strict=True):
        best = minimize_scalar(
            lambda c, w=w: pen.value(w - c),
            bounds=(w.min(), w.max()),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert pen.value(row) <= best.fun + 1e-10
        assert pen.value(row) >= best.fun - 1e-6  # the search is near the minimum


def test_center_with_intercept_leaves_the_intercept_row():
    theta = np.array([[1.0, 2.0, 6.0], [5.0, 5.0, 7.0], [3.0, -1.0, 0.0]])
    out = WithIntercept(L1(1.0)).center(theta)
    np.testing.assert_array_equal(out[:-1], L1(1.0).center(theta[:-1]))
    np.testing.assert_array_equal(out[-1], theta[-1])


@pytest.mark.parametrize("alpha", [0.7, np.float64(0.7)], ids=["float", "np.float64"])
@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 1.0])
def test_with_intercept_gradient_keeps_theta_unchanged_and_its_dtype(alpha, l1_ratio):
    theta = np.array([[1.5], [-2.0], [0.0], [4.0]], dtype=np.float32)
    before = theta.copy()
    grad = WithIntercept(ElasticNet(alpha, l1_ratio)).gradient(theta)
    assert grad.dtype == np.float32  # a numpy alpha's products are float64
    np.testing.assert_array_equal(theta, before)
    expected = ElasticNet(0.7, l1_ratio).gradient(before[:-1].astype(np.float64))
    np.testing.assert_allclose(grad[:-1], expected, rtol=1e-6)
    assert grad[-1, 0] == 0.0


@pytest.mark.parametrize("pen", [L1(0.7), L2(0.7), ElasticNet(0.7, 0.3)], ids=repr)
def test_center_keeps_float32(pen):
    W = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    assert pen.center(W).dtype == np.float32


def _at_the_point(est, X, y):
    """A scikit-learn fit's coefficients (a column), the mean squared
    error's gradient there and the centered residuals' mean square."""
    s = np.full(len(y), 1 / len(y))
    X_c, y_c = X - s @ X, y - s @ y
    w = est.coef_[:, None]
    r = y_c - X_c @ w[:, 0]
    return w, -(X_c.T @ (s * r))[:, None], s @ r**2


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
@pytest.mark.parametrize("tol", [1e-1, 1e-3, 1e-8])
def test_squared_error_gap_is_scikit_learns_at_its_point(l1_ratio, tol, positive):
    """At the point of scikit-learn's coordinate descent (stopped early by a
    loose ``tol`` or not), the gap from the residuals' squares and the
    gradient is the one it reports (``dual_gap_``, the mean objective's)."""
    from sklearn.linear_model import ElasticNet as SkElasticNet

    rng = np.random.default_rng(3)
    n, d = 50, 30
    X = rng.standard_normal((n, d)) + 2.0
    y = X[:, :4] @ rng.standard_normal(4) + rng.standard_normal(n) + 5.0
    alpha = 0.05
    est = SkElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=3, positive=positive
    )
    with warnings.catch_warnings():  # three sweeps: short of most tols
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    w, grad, squares = _at_the_point(est, X, y)
    pen = ElasticNet(alpha, l1_ratio, positive=positive)
    gap = pen.squared_error_gap(w, grad, squares)
    np.testing.assert_allclose(gap[0], est.dual_gap_, rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("positive", [False, True])
def test_least_squares_gap_is_the_first_order_condition_scikit_learn_reports(positive):
    """Without a penalty there is no bounded dual point: an L1-family
    penalty of alpha 0 gives the squared norm of the gradient (its part
    that leaves the feasible set, with ``positive``), which scikit-learn's
    ElasticNet(alpha=0) reports of the summed objective (n_samples times
    the mean's) at its own point; a ridge of alpha 0 gives None."""
    from sklearn.linear_model import ElasticNet as SkElasticNet

    rng = np.random.default_rng(5)
    n, d = 40, 6
    X = rng.standard_normal((n, d)) + 1.0
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    est = SkElasticNet(alpha=0.0, tol=1e-1, max_iter=2, positive=positive)
    with warnings.catch_warnings():  # two sweeps: short of the optimum
        warnings.simplefilter("ignore")
        est.fit(X, y)
    w, grad, squares = _at_the_point(est, X, y)
    gap = ElasticNet(0.0, 0.5, positive=positive).squared_error_gap(w, grad, squares)
    free = grad[:, 0] if not positive else np.where(w[:, 0] > 0, grad[:, 0], 0.0)
    if positive:  # at zero only a negative gradient leaves the feasible set
        free = free + np.where(w[:, 0] > 0, 0.0, np.minimum(grad[:, 0], 0.0))
    assert gap[0] == pytest.approx(free @ free, rel=1e-12)
    assert gap[0] > 0
    if not positive:  # scikit-learn's ignores the sign constraint here
        np.testing.assert_allclose(n * gap[0], est.dual_gap_, rtol=1e-8)
    assert ElasticNet(0.0, 0.0).squared_error_gap(w, grad, squares) is None


@pytest.mark.parametrize("stop", [1, 3, None])
def test_positive_ridge_gap_is_the_primal_less_the_fenchel_dual(stop):
    """The non-negative ridge (no L1 term): the gap at any feasible point
    is the primal less the dual value at the residual, written from the data
    (the conjugate of the clipped penalty, ||max(X^T S r, 0)||^2 / (2 l2)),
    zero at the optimum (scipy's bounded L-BFGS-B to 1e-14) and at least
    the suboptimality elsewhere (projected gradient steps from zero)."""
    from scipy.optimize import minimize as scipy_minimize

    rng = np.random.default_rng(5)
    n, d, l2 = 40, 12, 0.3
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    s = np.full(n, 1 / n)
    pen = L2(l2, positive=True)

    def primal(w):
        r = y - X @ w
        return 0.5 * s @ r**2 + 0.5 * l2 * w @ w

    def gap_of(w):
        r = y - X @ w
        dual = 0.5 * s @ y**2 - 0.5 * s @ (y - r) ** 2
        dual -= np.sum(np.maximum(X.T @ (s * r), 0) ** 2) / (2 * l2)
        grad = -(X.T @ (s * r))[:, None]
        return pen.squared_error_gap(w[:, None], grad, None)[0], primal(w) - dual

    best = scipy_minimize(
        primal, np.zeros(d), jac=lambda w: X.T @ (s * (X @ w - y)) + l2 * w,
        method="L-BFGS-B", bounds=[(0, None)] * d,
        options={"ftol": 1e-16, "gtol": 1e-14, "maxiter": 10_000},
    )  # fmt: skip
    if stop is None:
        w = best.x
    else:
        w, step = np.zeros(d), 1 / (np.linalg.norm(X, 2) ** 2 / n + l2)
        for _ in range(stop):
            w = pen.prox(w - step * (X.T @ (s * (X @ w - y))), step)
    gap, from_the_data = gap_of(w)
    np.testing.assert_allclose(gap, from_the_data, rtol=1e-10, atol=1e-13)
    assert gap >= primal(w) - best.fun - 1e-13
    if stop is None:
        assert gap < 1e-10
