"""Dual Newton (semismooth Newton on the elastic net's dual): the same fit
as scikit-learn's coordinate descent on wide and tall data, weighted rows,
several targets, float32 and warm starts; its Newton systems, updated from
the last active set's, equal the ones formed anew, and its inexact solves
(conjugate gradients) meet their residuals or hand the system back."""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet

from sklearn_foundations import GradientDescentRegressor
from sklearn_foundations.datafits import LinearDatafit
from sklearn_foundations.losses import HalfSquaredError
from sklearn_foundations.optimize import _dual_newton, dual_newton
from sklearn_foundations.optimize._dual_newton import (
    CG_CHECKS,
    COLD_ACTIVE_SHARE,
    _cold_start,
    _conjugate_gradient,
    _definite_solve,
    _NewtonSystem,
    _ray_minimum,
)
from sklearn_foundations.penalties import ElasticNet


def _data(n, d, k=1, seed=0):
    """Correlated columns of different scales and non-zero means."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, d))
    X = (Z + 0.7 * np.roll(Z, 1, axis=1)) * rng.uniform(0.2, 5.0, d) + 2.0
    w = (
        rng.standard_normal((d, k))
        * (rng.random((d, k)) < 0.2)
        / X.std(axis=0)[:, None]
    )
    y = X @ w + 0.5 * rng.standard_normal((n, k))
    return X, y[:, 0] if k == 1 else y


def _objective(X, y, coef, intercept, alpha, l1_ratio, s=None):
    s = np.full(len(y), 1.0 / len(y)) if s is None else s / s.sum()
    W = np.reshape(coef, (-1, X.shape[1]))
    R = np.reshape(y, (len(y), -1)) - X @ W.T - intercept
    penalty = l1_ratio * np.abs(W).sum() + (1 - l1_ratio) / 2 * (W**2).sum()
    return 0.5 * s @ (R**2).sum(axis=1) + alpha * penalty


def _alpha(X, y, l1_ratio, fraction):
    yc = np.reshape(y, (len(y), -1))[:, 0]
    grad = (X - X.mean(axis=0)).T @ (yc - yc.mean()) / len(yc)
    return fraction * np.abs(grad).max() / l1_ratio


@pytest.mark.parametrize("shape", [(30, 200), (120, 40)], ids=["wide", "tall"])
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dual_newton_matches_coordinate_descent(shape, l1_ratio, fit_intercept):
    X, y = _data(*shape, seed=int(100 * l1_ratio))
    alpha = _alpha(X, y, l1_ratio, 0.05)
    ours = GradientDescentRegressor(
        penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, solver="dual-newton",
        fit_intercept=fit_intercept, tol=1e-10, max_iter=1000,
    ).fit(X, y)  # fmt: skip
    ref = SkElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-14,
        max_iter=1_000_000,
    ).fit(X, y)  # fmt: skip
    F = _objective(X, y, ours.coef_, ours.intercept_, alpha, l1_ratio)
    F_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    assert F - F_ref <= 1e-12 * F_ref
    scale = np.abs(ref.coef_ * X.std(axis=0)).max()
    np.testing.assert_allclose(
        ours.coef_ * X.std(axis=0), ref.coef_ * X.std(axis=0), atol=1e-6 * scale
    )
    np.testing.assert_array_equal(ours.coef_ != 0, ref.coef_ != 0)


def test_dual_newton_weights_rows_and_leaves_out_zero_weights():
    X, y = _data(40, 150, seed=1)
    s = np.random.default_rng(1).uniform(0.5, 2.0, 40)
    s[:6] = 0.0
    alpha = _alpha(X, y, 0.5, 0.05)
    kw = dict(penalty="elasticnet", alpha=alpha, l1_ratio=0.5, tol=1e-10)
    ours = GradientDescentRegressor(solver="dual-newton", **kw).fit(X, y, s)
    ref = SkElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-14, max_iter=10**6)
    ref.fit(X, y, sample_weight=s)
    F = _objective(X, y, ours.coef_, ours.intercept_, alpha, 0.5, s)
    F_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, 0.5, s)
    assert F - F_ref <= 1e-12 * F_ref
    dropped = GradientDescentRegressor(solver="dual-newton", **kw).fit(
        X[6:], y[6:], s[6:]
    )
    np.testing.assert_allclose(ours.coef_, dropped.coef_, rtol=1e-9, atol=1e-12)


def test_dual_newton_fits_each_target():
    X, Y = _data(30, 120, k=3, seed=2)
    alpha = _alpha(X, Y, 0.5, 0.05)
    ours = GradientDescentRegressor(
        penalty="elasticnet", alpha=alpha, l1_ratio=0.5, solver="dual-newton", tol=1e-10
    ).fit(X, Y)
    for t in range(3):
        ref = SkElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-14, max_iter=10**6)
        ref.fit(X, Y[:, t])
        F = _objective(X, Y[:, t], ours.coef_[t], ours.intercept_[t], alpha, 0.5)
        F_ref = _objective(X, Y[:, t], ref.coef_, ref.intercept_, alpha, 0.5)
        assert F - F_ref <= 1e-12 * F_ref


def test_dual_newton_keeps_float32_and_agrees_with_float64():
    X, y = _data(30, 200, seed=3)
    alpha = _alpha(X, y, 0.5, 0.05)
    kw = dict(penalty="elasticnet", alpha=alpha, l1_ratio=0.5, solver="dual-newton")
    est32 = GradientDescentRegressor(tol=1e-6, **kw).fit(X.astype(np.float32), y)
    est64 = GradientDescentRegressor(tol=1e-6, **kw).fit(X, y)
    assert est32.coef_.dtype == np.float32
    scale = np.abs(est64.coef_).max()
    np.testing.assert_allclose(est32.coef_, est64.coef_, atol=1e-4 * scale)


def test_dual_newton_from_a_warm_start_takes_a_step_or_none():
    """Started at its own solution the search stops at once; from the
    solution of a nearby alpha it takes a few steps to the same fit as
    from zero."""
    X, y = _data(30, 200, seed=4)
    alpha = _alpha(X, y, 0.5, 0.05)
    kw = dict(penalty="elasticnet", l1_ratio=0.5, solver="dual-newton", tol=1e-10)
    cold = GradientDescentRegressor(alpha=alpha, **kw).fit(X, y)
    again = GradientDescentRegressor(alpha=alpha, **kw)
    again.fit(X, y, coef_init=cold.coef_, intercept_init=cold.intercept_)
    assert again.n_iter_ == 0
    near = GradientDescentRegressor(alpha=1.2 * alpha, **kw).fit(X, y)
    warm = GradientDescentRegressor(alpha=alpha, **kw)
    warm.fit(X, y, coef_init=near.coef_, intercept_init=near.intercept_)
    assert warm.n_iter_ <= cold.n_iter_
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-8, atol=1e-10)


def test_dual_newton_needs_an_l2_term():
    X, y = _data(20, 50, seed=5)
    s = np.full(20, 1 / 20)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=False)
    with pytest.raises(ValueError, match="needs an L2 term"):
        dual_newton(f, ElasticNet(0.1, 1.0), np.zeros((50, 1)), max_iter=10, tol=1e-8)


def test_newton_systems_updated_from_the_last_equal_the_formed_ones():
    """A sequence of active sets that grow, shrink and cross the rows' count
    (the features' system below it, the rows' above): each solve equals
    :math:`(I + B_A B_A^T / \\lambda_2)^{-1} v` formed anew."""
    rng = np.random.default_rng(6)
    m, d, l2 = 20, 80, 0.3
    B = rng.standard_normal((m, d)) * rng.uniform(0.1, 3.0, d)
    system = _NewtonSystem(B)
    A = np.sort(rng.choice(d, 12, replace=False))
    # (size, kept): most kept (the system updated), or few (formed anew)
    steps = [(14, 11), (16, 13), (9, 4), (18, 9), (30, 10), (32, 28), (29, 28),
             (40, 15), (38, 33), (19, 10), (0, 0), (17, 0), (60, 17), (62, 55)]  # fmt: skip
    for size, kept in steps:
        keep = rng.choice(A, kept, replace=False)
        rest = np.setdiff1d(np.arange(d), keep)
        A = np.sort(np.r_[keep, rng.choice(rest, size - len(keep), replace=False)])
        v = rng.standard_normal(m)
        expected = np.linalg.solve(np.eye(m) + B[:, A] @ B[:, A].T / l2, v)
        np.testing.assert_allclose(
            system.solve(A, v, l2), expected, rtol=1e-10, atol=1e-12
        )
        l2 *= 0.7  # a path's next point: the kept products serve it too


@pytest.mark.parametrize("l1", [0.0, 0.5, 5.0, 1e3])
def test_the_cold_start_is_the_lowest_point_on_the_ray(l1):
    """The dual start of a cold search, :math:`\\gamma T`, is the lowest
    :math:`\\phi` on the ray to :math:`T` (a fine grid finds none lower)."""
    rng = np.random.default_rng(7)
    B, T, l2 = rng.standard_normal((15, 40)), rng.standard_normal(15), 0.7
    c = B.T @ T

    def phi(gamma):  # at each of the points gamma
        s = np.maximum(np.abs(np.outer(gamma, c)) - l1, 0.0)
        TT = T @ T
        return 0.5 * gamma**2 * TT - gamma * TT + (s * s).sum(axis=1) / (2 * l2)

    gamma = _ray_minimum(T @ T, T @ T, c, l1, l2)
    lowest = phi(np.array([gamma]))[0]
    assert 0 < gamma <= 1
    assert lowest <= phi(np.linspace(0.0, 1.0, 20_001)).min() + 1e-12 * abs(lowest)


@pytest.mark.parametrize("seed", range(4))
def test_a_cold_search_starts_with_a_quarter_of_the_rows_active(seed):
    """Where more features than a quarter of the rows are active at
    :math:`T`, the cold start is the point of the ray where that many are
    (no more), or the ray's lowest point where it lies beyond; where fewer
    are, :math:`T` itself."""
    rng = np.random.default_rng(seed)
    m, d = 40, 400
    B = rng.standard_normal((m, d)) * rng.uniform(0.2, 3.0, d)
    T = B[:, :5] @ rng.standard_normal(5) + 0.1 * rng.standard_normal(m)
    c = B.T @ T
    k = int(COLD_ACTIVE_SHARE * m)
    for l2 in (1e-3, 1.0, 1e3):
        for l1 in np.quantile(np.abs(c), [0.5, 0.9, 0.99]):
            gamma = _cold_start(T @ T, c, l1, l2, m)
            lowest = _ray_minimum(T @ T, T @ T, c, l1, l2)
            if np.count_nonzero(np.abs(c) > l1) <= k:
                assert gamma == 1.0
            elif gamma == lowest:  # beyond the point of k active
                assert np.count_nonzero(np.abs(gamma * c) > l1) >= k
            else:  # the (k + 1)-th feature on the threshold
                below, above = (np.count_nonzero(np.abs(f * gamma * c) > l1)
                                for f in (0.999, 1.001))  # fmt: skip
                assert below <= k < above


def test_definite_solve_is_the_lu_solve_and_takes_lu_where_not_definite():
    """The Cholesky solve of a positive definite matrix equals LU's (also
    ill-conditioned); a symmetric matrix that rounding or its sign leaves
    without a Cholesky factor is solved by LU, not refused."""
    rng = np.random.default_rng(12)
    for m, cond in ((1, 1.0), (7, 10.0), (60, 1e8)):
        Q, _ = np.linalg.qr(rng.standard_normal((m, m)))
        M = (Q * np.geomspace(1.0, 1.0 / cond, m)) @ Q.T
        v = rng.standard_normal(m)
        np.testing.assert_allclose(
            M @ _definite_solve(M, v), v, rtol=0, atol=1e-13 * cond
        )
    M = np.diag([2.0, -1.0, 3.0]) + 0.1
    v = rng.standard_normal(3)
    np.testing.assert_allclose(_definite_solve(M, v), np.linalg.solve(M, v))


def test_a_warm_search_starts_at_the_lowest_point_on_its_ray():
    """A warm start's dual point is the lowest on the ray through its
    residual: no lower point on a fine grid of the ray."""
    rng = np.random.default_rng(8)
    B, T, l1, l2 = rng.standard_normal((15, 40)), rng.standard_normal(15), 0.8, 0.3
    r = T - B @ (0.05 * rng.standard_normal(40) * (rng.random(40) < 0.3))
    c = B.T @ r

    def phi(gamma):
        s = np.maximum(np.abs(np.outer(gamma, c)) - l1, 0.0)
        return (
            0.5 * gamma**2 * (r @ r) - gamma * (T @ r) + (s * s).sum(axis=1) / (2 * l2)
        )

    gamma = _ray_minimum(r @ r, T @ r, c, l1, l2)
    lowest = phi(np.array([gamma]))[0]
    assert lowest <= phi(np.linspace(0.0, 5.0, 50_001)).min() + 1e-12 * abs(lowest)


def test_dual_newton_out_of_steps_keeps_a_target_at_its_start():
    """A target whose search gets no step left (the first took the budget:
    here none, its zero target optimal at once) stays at its start, not at
    the start's dual image."""
    X, Y = _data(30, 120, k=2, seed=9)
    Y[:, 0] = 0.0
    s = np.full(30, 1 / 30)
    f = LinearDatafit(HalfSquaredError(), X, Y, s, s @ X, fit_intercept=False)
    theta0 = np.zeros((120, 2))
    theta0[:, 1] = 0.01 * np.random.default_rng(9).standard_normal(120)
    res = dual_newton(f, ElasticNet(0.5, 0.5), theta0, max_iter=0, tol=1e-12)
    assert not res.converged and res.n_iter == 0
    np.testing.assert_array_equal(res.coef, theta0)


@pytest.mark.parametrize("scale", [1.0, 1e10, 1e20])
def test_auto_leaves_a_negligible_ridge_to_the_primal_methods(fit_methods, scale):
    """Columns scaled by ``scale`` with alpha from alpha_max (the fits of a
    grid search over rescaled data): the L2 term shrinks against the
    columns' curvature, dual Newton's systems grow ill-conditioned, and
    below ``DUAL_NEWTON_MIN_L2_SCALE`` the table takes feature-sign search,
    which is exact there; each fit agrees with coordinate descent."""
    X, y = _data(30, 100, seed=10)
    X = X * scale
    alpha = _alpha(X, y, 0.5, 0.1)
    est = GradientDescentRegressor(
        penalty="elasticnet", alpha=alpha, l1_ratio=0.5, tol=1e-8
    ).fit(X, y)
    assert fit_methods == (["dual-newton"] if scale == 1.0 else ["feature-sign"])
    ref = SkElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-14, max_iter=10**6).fit(X, y)
    F = _objective(X, y, est.coef_, est.intercept_, alpha, 0.5)
    F_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, 0.5)
    assert F - F_ref <= 1e-10 * F_ref


def test_a_carried_system_serves_its_own_datafit_alone():
    """``result.system`` passed to the next fit on the same datafit (another
    alpha) is updated, not formed anew, and gives the fresh fit's solution;
    one from another datafit is not used; ``minimize`` passes it to dual
    Newton alone (a tall lasso's method takes none)."""
    from sklearn_foundations.optimize import minimize

    X, y = _data(40, 300, seed=11)
    s = np.full(40, 1 / 40)
    make = lambda X: LinearDatafit(  # noqa: E731
        HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True
    )
    f, other = make(X), make(X[:, ::-1].copy())
    theta0 = np.zeros((301, 1))
    first = dual_newton(f, ElasticNet(0.3, 0.5), theta0, max_iter=50, tol=1e-10)
    kept = first.system.rows or first.system.features
    for system in (first.system, dual_newton(
        other, ElasticNet(0.3, 0.5), theta0, max_iter=50, tol=1e-10
    ).system):  # fmt: skip
        carried = dual_newton(
            f, ElasticNet(0.2, 0.5), first.coef, max_iter=50, tol=1e-10, system=system
        )
        fresh = dual_newton(f, ElasticNet(0.2, 0.5), first.coef, max_iter=50, tol=1e-10)
        assert (carried.system is first.system) == (system is first.system)
        np.testing.assert_allclose(carried.coef, fresh.coef, rtol=1e-9, atol=1e-12)
    assert kept is not None
    tall = make(X[:, :30].copy())
    res = minimize(tall, ElasticNet(0.2, 1.0), np.zeros((31, 1)), system=first.system)
    assert res.method != "dual-newton"
    np.testing.assert_array_equal(
        res.coef, minimize(tall, ElasticNet(0.2, 1.0), np.zeros((31, 1))).coef
    )


@pytest.mark.parametrize("shape", [(30, 200), (120, 40)], ids=["wide", "tall"])
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("warm", [False, True])
def test_positive_dual_newton_converges_to_scikit_learns(shape, l1_ratio, warm):
    """With ``positive`` the one-sided threshold: the search converges by
    its own test in a few steps (a two-sided test at zero would never hold
    where the constraint binds), cold and from a warm start (a non-negative
    point), to scikit-learn's non-negative elastic net."""
    X, y = _data(*shape, seed=7)
    n, d = X.shape
    alpha = _alpha(X, y, l1_ratio, 0.03)
    s = np.full(n, 1.0 / n)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    theta0 = np.zeros((d + 1, 1))
    if warm:
        theta0[: d // 2, 0] = np.abs(np.random.default_rng(1).standard_normal(d // 2))
    pen = ElasticNet(alpha, l1_ratio, positive=True)
    res = dual_newton(f, pen, theta0, max_iter=100, tol=1e-10)
    ref = SkElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, positive=True, tol=1e-14, max_iter=100_000
    ).fit(X, y)
    assert res.converged and res.n_iter <= 30
    w = res.coef[:d, 0]
    assert w.min() >= 0 and ref.coef_.min() == 0  # the constraint binds
    free = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10).fit(X, y)
    assert free.coef_.min() < 0
    np.testing.assert_allclose(w, ref.coef_, atol=1e-8 * np.abs(ref.coef_).max())


def _cg_calls(monkeypatch):
    """Each conjugate-gradient solve's system size and whether it met its
    residual, as they happen."""
    calls = []
    original = _dual_newton._conjugate_gradient

    def spy(*args):
        result = original(*args)
        calls.append((args[0].shape[1], result is not None))
        return result

    monkeypatch.setattr(_dual_newton, "_conjugate_gradient", spy)
    return calls


class _Counted:
    """A matrix whose products (its own and its transpose's) are counted."""

    def __init__(self, M, count):
        self.M, self.count = M, count

    @property
    def T(self):
        return _Counted(self.M.T, self.count)

    def __matmul__(self, v):
        self.count[0] += 1
        return self.M @ v


def _system(B_A, l2):
    return np.eye(len(B_A)) + B_A @ B_A.T / l2


@pytest.mark.parametrize("rtol", [0.1, 1e-3, 1e-8])
def test_conjugate_gradient_meets_its_residual_in_a_descent_direction(rtol):
    """Well conditioned (the L2 term large against the columns), conjugate
    gradients return :math:`x` with :math:`\\|v - Hx\\| \\le` ``rtol``
    :math:`\\|v\\|`, within a few iterations, and :math:`v^\\top x > 0` (the
    direction :math:`-x` descends along the gradient :math:`v`)."""
    rng = np.random.default_rng(13)
    B_A = rng.standard_normal((80, 120)) / np.sqrt(80)
    v = rng.standard_normal(80)
    count = [0]
    x = _conjugate_gradient(_Counted(B_A, count), v, 2.0, rtol, 100)
    assert x is not None and v @ x > 0
    residual = np.linalg.norm(v - _system(B_A, 2.0) @ x)
    assert residual <= rtol * np.linalg.norm(v)
    assert count[0] <= 2 * 25  # the L2 term dominates: few iterations
    exact = np.linalg.solve(_system(B_A, 2.0), v)
    assert np.linalg.norm(x - exact) <= 2 * rtol * np.linalg.norm(exact)
    zero = _conjugate_gradient(B_A, np.zeros(80), 2.0, rtol, 100)
    np.testing.assert_array_equal(zero, 0.0)  # not 0 / 0


def test_conjugate_gradient_hands_back_an_ill_conditioned_system_early():
    """Where the L2 term is small against correlated columns the residual's
    rate after the first check predicts more iterations than allowed: None
    after ``CG_CHECKS[0]`` iterations (two products each), not after the
    allowance; given enough iterations the same system is solved."""
    rng = np.random.default_rng(14)
    Z = rng.standard_normal((100, 150))
    B_A = (Z + 3.0 * np.roll(Z, 1, axis=1) + 3.0 * np.roll(Z, 2, axis=1)) / 10
    v = rng.standard_normal(100)
    count = [0]
    assert _conjugate_gradient(_Counted(B_A, count), v, 1e-5, 1e-6, 40) is None
    assert count[0] == 2 * CG_CHECKS[0]
    x = _conjugate_gradient(B_A, v, 1e-5, 1e-6, 5_000)
    assert x is not None
    H = _system(B_A, 1e-5)
    assert np.linalg.norm(v - H @ x) <= 1e-6 * np.linalg.norm(v)


def test_newton_system_solves_within_rtol_by_conjugate_gradients_where_they_pay(
    monkeypatch,
):
    """A large, well-conditioned system (the factor's flops many times a
    step's products) takes conjugate gradients and meets ``rtol``; a small
    one (a factor cheaper than the step's products) and ``rtol=0`` take the
    factor: exact."""
    rng = np.random.default_rng(15)
    m, d = 300, 900
    B = rng.standard_normal((m, d)) / np.sqrt(m)
    calls = _cg_calls(monkeypatch)
    system = _NewtonSystem(B)
    v = rng.standard_normal(m)
    for size, rtol, takes_cg in ((600, 0.1, True), (600, 0.0, False), (20, 0.1, False)):
        A = np.sort(rng.choice(d, size, replace=False))
        calls.clear()
        x = system.solve(A, v, 1.0, rtol)
        assert bool(calls) == takes_cg
        H = _system(B[:, A], 1.0)
        bound = max(rtol, 1e-12) * np.linalg.norm(v)
        assert np.linalg.norm(v - H @ x) <= bound


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("positive", [False, True])
def test_inexact_steps_reach_coordinate_descents_optimum(
    monkeypatch, fit_intercept, positive
):
    """A wide elastic net whose systems conjugate gradients solve (a large
    active set, a dominant L2 term): the fit reaches scikit-learn's
    coordinate descent's optimum at a tight ``tol``; the inexact directions
    were taken."""
    rng = np.random.default_rng(16)
    # column means of 1 with an intercept (centered away); without one, a
    # common offset would leave coordinate descent's reference 50,000 epochs
    X = rng.standard_normal((300, 1_200)) + float(fit_intercept)
    y = X[:, :40] @ rng.standard_normal(40) + rng.standard_normal(300)
    alpha = _alpha(X, y, 0.1, 0.05)
    calls = _cg_calls(monkeypatch)
    kw = dict(alpha=alpha, l1_ratio=0.1, fit_intercept=fit_intercept, positive=positive)
    ours = GradientDescentRegressor(
        penalty="elasticnet", solver="dual-newton", tol=1e-10, **kw
    ).fit(X, y)
    assert any(solved for _, solved in calls)
    ref = SkElasticNet(tol=1e-14, max_iter=10**6, **kw).fit(X, y)
    F = _objective(X, y, ours.coef_, ours.intercept_, alpha, 0.1)
    F_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, 0.1)
    assert F - F_ref <= 1e-10 * F_ref
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)


def test_a_warm_start_takes_exact_steps(monkeypatch):
    """From a warm start (a path's next point) no system goes to conjugate
    gradients, whose inexact directions take more steps there; the same
    problem cold does take them."""
    rng = np.random.default_rng(17)
    X = rng.standard_normal((300, 1_200))
    y = X[:, :40] @ rng.standard_normal(40) + rng.standard_normal(300)
    s = np.full(300, 1 / 300)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    alpha = _alpha(X, y, 0.1, 0.05)
    calls = _cg_calls(monkeypatch)
    theta0 = np.zeros((1_201, 1))
    cold = dual_newton(f, ElasticNet(1.5 * alpha, 0.1), theta0, max_iter=50, tol=1e-10)
    assert cold.converged and calls
    calls.clear()
    warm = dual_newton(f, ElasticNet(alpha, 0.1), cold.coef, max_iter=50, tol=1e-10)
    assert warm.converged and not calls


def test_the_factor_is_numpys_from_its_threaded_size_on(monkeypatch):
    """``_newton._cholesky`` factors with scipy's LAPACK below
    ``NUMPY_FACTOR_MIN_ROWS`` rows and with numpy's from there on (scipy's
    threaded factor waits for numpy's spinning threads), an upper factor
    either way."""
    from sklearn_foundations.optimize import _newton

    calls = []
    original = _newton.dpotrf

    def spy(H, **kwargs):
        calls.append(len(H))
        return original(H, **kwargs)

    monkeypatch.setattr(_newton, "dpotrf", spy)
    rng = np.random.default_rng(18)
    for m in (_newton.NUMPY_FACTOR_MIN_ROWS - 1, _newton.NUMPY_FACTOR_MIN_ROWS):
        Z = rng.standard_normal((2 * m, m))
        M = Z.T @ Z
        U = np.triu(_newton._cholesky(M))  # scipy's leaves the lower part
        np.testing.assert_allclose(U.T @ U, M, rtol=1e-12, atol=1e-10 * m)
    assert calls == [_newton.NUMPY_FACTOR_MIN_ROWS - 1]
