"""Solvers: they agree with each other, stop as documented, detect divergence."""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from scipy.optimize import minimize

from sklearn_foundations import optimize
from sklearn_foundations.datafits import LinearDatafit, QuadraticDatafit, centered_gram
from sklearn_foundations.losses import (
    BinomialLogLoss,
    HalfSquaredError,
    MultinomialLogLoss,
)
from sklearn_foundations.optimize import (
    Adaptive,
    DivergenceError,
    InverseScaling,
    Plateau,
    _gram_solves,
    _prox_newton,
    _quadratic,
    fista,
    lbfgs,
    prox_newton,
    proximal_gradient,
    stochastic_gradient,
)
from sklearn_foundations.penalties import L1, L2, ElasticNet, WithIntercept


@pytest.fixture
def lasso_problem(synthetic):
    X, y = synthetic
    y = y[:, None]
    s = np.full(len(y), 1 / len(y))
    f = LinearDatafit(HalfSquaredError(), X, y, s, s @ X, fit_intercept=True)
    theta0 = np.zeros((X.shape[1] + 1, 1))
    theta0[-1] = s @ y
    return f, WithIntercept(ElasticNet(0.2, 0.7)), theta0


def _objective(f, pen, theta):
    return f.value(theta, f.linear(theta)) + pen.value(theta)


def _optimality(f, pen, theta):
    return np.max(pen.subdiff_distance(theta, f.gradient(theta, f.linear(theta))))


def test_fista_reaches_an_optimum(lasso_problem):
    f, pen, theta0 = lasso_problem
    res = fista(f, pen, theta0, step=1 / f.lipschitz(), max_iter=5000, tol=1e-10)
    assert res.converged
    assert _optimality(f, pen, res.coef) < 1e-8
    assert res.objective[-1] == pytest.approx(_objective(f, pen, res.coef))
    assert len(res.objective) == res.n_iter


def test_solvers_agree(lasso_problem):
    f, pen, theta0 = lasso_problem
    L = f.lipschitz()
    ref = fista(f, pen, theta0, step=1 / L, max_iter=5000, tol=1e-11)
    F_star = _objective(f, pen, ref.coef)
    bt = proximal_gradient(
        f, pen, theta0, step=1.0, max_iter=20000, tol=1e-10, line_search=True
    )
    gd = proximal_gradient(f, pen, theta0, step=1 / L, max_iter=50000, tol=1e-10)
    sgd = stochastic_gradient(
        f,
        pen,
        theta0,
        schedule=InverseScaling(0.5 / L, 0.5),
        batch_size=30,
        max_iter=400,
        tol=0.0,
        n_iter_no_change=1000,
        rng=0,
    )
    for res in (bt, gd):
        assert res.converged
        assert _objective(f, pen, res.coef) == pytest.approx(F_star, rel=1e-9)
    assert _objective(f, pen, sgd.coef) == pytest.approx(F_star, rel=1e-3)
    np.testing.assert_array_equal(ref.coef == 0, bt.coef == 0)


def test_gram_datafit_gives_the_same_path(lasso_problem, synthetic):
    f, pen, theta0 = lasso_problem
    X, y = synthetic
    q = QuadraticDatafit(*centered_gram(X, y[:, None], f.s), fit_intercept=True)
    step = 1 / f.lipschitz()
    a = fista(f, pen, theta0, step=step, max_iter=50, tol=0)
    b = fista(q, pen, theta0, step=step, max_iter=50, tol=0)
    # the objectives differ by the constant dropped from the Gram form: none here
    np.testing.assert_allclose(a.objective, b.objective, rtol=1e-9)


def test_restart_makes_fista_monotone_eventually(lasso_problem):
    f, pen, theta0 = lasso_problem
    res = fista(f, pen, theta0, step=1 / f.lipschitz(), max_iter=300, tol=0)
    plain = fista(
        f, pen, theta0, step=1 / f.lipschitz(), max_iter=300, tol=0, restart=False
    )
    F_star = min(res.objective + plain.objective)
    assert res.objective[-1] - F_star <= plain.objective[-1] - F_star + 1e-12


def test_too_large_a_step_raises_divergence(lasso_problem):
    f, pen, theta0 = lasso_problem
    with pytest.raises(DivergenceError, match="diverged"):
        proximal_gradient(f, pen, theta0, step=10 / f.lipschitz(), max_iter=500, tol=0)


def test_backtracking_recovers_from_a_large_first_step(lasso_problem):
    f, pen, theta0 = lasso_problem
    res = proximal_gradient(
        f, pen, theta0, step=1e3, max_iter=20000, tol=1e-8, line_search=True
    )
    assert res.converged
    assert res.step <= 4 / f.lipschitz()


def test_adaptive_schedule_divides_by_five_until_tiny():
    sched = Adaptive(1.0)
    assert sched.reduce() and sched(10) == pytest.approx(0.2)
    while sched.reduce():
        pass
    assert sched(1) < 1e-6


def test_plateau_counts_consecutive_non_improvements():
    p = Plateau(tol=0.5, n_iter_no_change=3)
    assert [p.update(v) for v in [3, 2, 2, 2, 1, 1, 1, 1]] == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]


def test_stochastic_counts_updates(lasso_problem):
    f, pen, theta0 = lasso_problem
    res = stochastic_gradient(
        f,
        pen,
        theta0,
        schedule=InverseScaling(1e-3),
        batch_size=64,
        max_iter=3,
        tol=0.0,
        n_iter_no_change=10,
        rng=0,
        t0=1,
    )
    assert res.t == 1 + 3 * int(np.ceil(300 / 64))


def test_lbfgs_matches_scipy_on_a_softmax_problem(synthetic):
    X, _ = synthetic
    rng = np.random.default_rng(0)
    Y = np.eye(3)[rng.integers(0, 3, len(X))]
    s = rng.uniform(0.5, 1.5, len(X))
    s /= s.sum()
    f = LinearDatafit(MultinomialLogLoss(), X, Y, s, s @ X, fit_intercept=True)
    pen = WithIntercept(L2(0.05))
    theta0 = np.zeros((X.shape[1] + 1, 3))
    res = lbfgs(f, pen, theta0, max_iter=1000, tol=1e-10)
    assert res.converged and len(res.objective) == res.n_iter

    def fun(t):
        theta = t.reshape(theta0.shape)
        A = f.linear(theta)
        grad = f.gradient(theta, A) + pen.gradient(theta)
        return f.value(theta, A) + pen.value(theta), grad.ravel()

    ref = minimize(fun, theta0.ravel(), jac=True, method="BFGS", tol=1e-12)
    np.testing.assert_allclose(res.coef.ravel(), ref.x, atol=1e-6)
    assert res.objective[-1] <= ref.fun + 1e-12


def test_fista_line_search_adapts_the_step_and_reaches_the_same_optimum(synthetic):
    """Softmax with ten classes: the curvature is several times below the global
    bound, so the adaptive step takes fewer iterations; started 100 times too
    large, it backtracks without diverging."""
    X, _ = synthetic
    rng = np.random.default_rng(0)
    Y = np.asfortranarray(np.eye(10)[rng.integers(0, 10, len(X))])
    s = np.full(len(X), 1 / len(X))
    f = LinearDatafit(MultinomialLogLoss(), X, Y, s, s @ X, fit_intercept=True)
    pen = WithIntercept(L1(0.01))
    theta0 = np.zeros((X.shape[1] + 1, 10))
    L = f.lipschitz()
    fixed = fista(f, pen, theta0, step=1 / L, max_iter=20_000, tol=1e-10)
    adaptive = fista(
        f, pen, theta0, step=100 / L, max_iter=20_000, tol=1e-10, line_search=True
    )
    assert fixed.converged and adaptive.converged
    # the softmax is invariant to a shift of a row of theta, and with an even
    # number of classes the L1 norm can be flat along it: compare the model
    P = f.loss.predict_proba(f.linear(adaptive.coef))
    np.testing.assert_allclose(P, f.loss.predict_proba(f.linear(fixed.coef)), atol=1e-8)
    assert adaptive.objective[-1] == pytest.approx(fixed.objective[-1], rel=1e-12)
    assert adaptive.n_iter < fixed.n_iter / 1.5
    assert adaptive.step > 1.5 / L  # the local curvature, not the global bound


def _sparse_solution_problem(sparse, loss):
    """200 features, 8 of them informative: an L1 fit with a small support."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((400, 200)) * (rng.uniform(size=(400, 200)) < 0.3)
    w = np.zeros(200)
    w[rng.choice(200, 8, replace=False)] = 3 * rng.standard_normal(8)
    z = X @ w + 0.5 * rng.standard_normal(400) + 1.0
    y = (z > 0).astype(float) if isinstance(loss, BinomialLogLoss) else z
    s = rng.uniform(0.5, 1.5, 400)
    s /= s.sum()
    A = sp.csr_matrix(X) if sparse else X
    f = LinearDatafit(loss, A, y[:, None], s, s @ X, fit_intercept=True)
    return f, WithIntercept(L1(0.05 if isinstance(loss, BinomialLogLoss) else 0.2))


@pytest.mark.parametrize("loss", [HalfSquaredError(), BinomialLogLoss()], ids=repr)
@pytest.mark.parametrize("sparse", [False, True])
def test_prox_newton_with_small_working_sets_matches_fista(sparse, loss, monkeypatch):
    f, pen = _sparse_solution_problem(sparse, loss)
    theta0 = np.zeros((201, 1))
    sizes = []
    real = _prox_newton._working_set

    def spy(*args):
        ws = real(*args)
        sizes.append(len(ws))
        return ws

    monkeypatch.setattr(_prox_newton, "_working_set", spy)
    newton = prox_newton(f, pen, theta0, max_iter=100, tol=1e-10, ws_start=4)
    L = f.lipschitz()
    slow = fista(f, pen, theta0, step=1 / L, max_iter=20_000, tol=1e-10)
    assert newton.converged and slow.converged
    assert _objective(f, pen, newton.coef) == pytest.approx(
        _objective(f, pen, slow.coef), rel=1e-12
    )
    np.testing.assert_allclose(newton.coef, slow.coef, atol=1e-7)
    np.testing.assert_array_equal(newton.coef[:-1] == 0, slow.coef[:-1] == 0)
    support = np.count_nonzero(newton.coef[:-1])
    assert 0 < support < 50
    assert max(sizes) <= 2 * support + 4 < 200  # never the whole problem


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_model_prox_gradient_solves_the_same_model_as_the_gram_descent(
    fit_intercept, positive
):
    """Sparse X: accelerated proximal gradient in the diagonal metric (no Gram
    matrix) reaches the minimizer of the same quadratic model as coordinate
    descent on the Gram matrix, and returns the step's image A delta; with
    ``positive`` both keep the weights non-negative."""
    f, pen = _sparse_solution_problem(True, BinomialLogLoss())
    if not fit_intercept:
        f = LinearDatafit(f.loss, f.X.tocsc(), f.y, f.s)
    f = f.with_X(f.X.tocsc())
    rng = np.random.default_rng(3)
    theta = np.zeros((f.X.shape[1] + fit_intercept, 1))
    ws = np.sort(rng.choice(f.X.shape[1], 60, replace=False))
    theta[ws[:20], 0] = rng.standard_normal(20)
    if positive:
        theta = np.abs(theta)
    Z = f.linear(theta)
    grad = f.gradient(theta, Z)
    h = f.curvature(Z)[:, 0]
    rows = np.append(ws, f.X.shape[1]) if fit_intercept else ws
    l1, l2 = 0.01, 0.002
    dense = LinearDatafit(f.loss, f.X.toarray(), f.y, f.s, f.x_mean, fit_intercept)
    by_gram, _ = _prox_newton._model_descent(
        dense.columns(ws).weighted_hessian(h, fit_intercept),
        grad[rows, 0], theta[rows, 0], l1, l2, len(ws), 10_000, 1e-14,
        positive=positive,
    )  # fmt: skip
    by_metric, A_delta, L, solved = _prox_newton._model_prox_gradient(
        f.columns(ws), fit_intercept, h, grad[rows, 0], theta[rows, 0],
        ElasticNet(l1 + l2, l1 / (l1 + l2), positive=positive), 10_000, 1e-14, 1.0,
    )  # fmt: skip
    assert solved
    np.testing.assert_allclose(by_metric, by_gram, atol=1e-10)
    np.testing.assert_array_equal(
        by_metric == -theta[rows, 0], by_gram == -theta[rows, 0]
    )
    if positive:
        assert (theta[ws, 0] + by_metric[: len(ws)]).min() == 0.0
        unsigned, _ = _prox_newton._model_descent(
            dense.columns(ws).weighted_hessian(h, fit_intercept),
            grad[rows, 0], theta[rows, 0], l1, l2, len(ws), 10_000, 1e-14,
        )  # fmt: skip
        assert (theta[ws, 0] + unsigned[: len(ws)]).min() < 0  # the sign binds
    assert L > 1.0  # these 60 columns of 120 non-zeros each are far from orthogonal
    delta = np.zeros_like(theta)
    delta[rows, 0] = by_metric
    np.testing.assert_allclose(A_delta, f.linear(delta), atol=1e-12)


def test_decoupled_model_has_the_same_minimizer():
    """The model in b' = b + k^T w: no weight-intercept curvature, and its
    minimizer maps back to the original model's."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((50, 6)) + 3.0  # far from centered: strong coupling
    hess, grad = A.T @ A, rng.standard_normal(6)
    hess2, grad2, k = _prox_newton._decoupled(hess, grad, 5)
    np.testing.assert_array_equal(hess2[:5, 5], 0.0)
    np.testing.assert_array_equal(hess2[5, :5], 0.0)
    step = -np.linalg.solve(hess2, grad2)
    step[5] -= k @ step[:5]
    np.testing.assert_allclose(step, -np.linalg.solve(hess, grad), rtol=1e-9)
    weights_only = hess[:5, :5]
    same, _, none = _prox_newton._decoupled(weights_only, grad[:5], 5)  # no intercept
    assert none is None and same is weights_only


@pytest.mark.parametrize("sparse", [False, True])
def test_prox_newton_is_fast_on_features_of_very_different_scales(sparse):
    """Column scales from 1e-3 to 1e3 and many samples fit with certainty: the
    model's intercept couples to every weight unless decoupled (thousands of
    iterations before); the same optimum dense or sparse, in tens."""
    rng = np.random.default_rng(0)
    X = sp.random(1500, 200, density=0.03, format="csr", random_state=1)
    X = (X @ sp.diags(10.0 ** rng.uniform(-3, 3, 200))).tocsr()
    w = rng.standard_normal(200) * (rng.uniform(size=200) < 0.2)
    z = X @ w
    y = (z + 0.3 * rng.logistic(size=1500) > np.median(z)).astype(float)[:, None]
    s = np.full(1500, 1 / 1500)
    x_mean = np.asarray(X.T @ s).ravel()
    pen = WithIntercept(L1(1 / 1500))
    fits = {}
    for kind in (sparse, not sparse):
        A = X if kind else X.toarray()
        f = LinearDatafit(BinomialLogLoss(), A, y, s, x_mean, fit_intercept=True)
        fits[kind] = prox_newton(f, pen, np.zeros((201, 1)), max_iter=200, tol=1e-10)
    result = fits[sparse]
    assert result.converged and result.n_iter < 60
    f = LinearDatafit(BinomialLogLoss(), X, y, s, x_mean, fit_intercept=True)
    assert _objective(f, pen, result.coef) == pytest.approx(
        _objective(f, pen, fits[not sparse].coef), rel=1e-12
    )


def test_prox_newton_solves_an_ill_conditioned_model_exactly(monkeypatch):
    """breast_cancer's correlated columns at a weak L1 penalty: coordinate
    descent runs out of sweeps on the model from the seventh iteration on,
    and its inexact steps took 70 iterations; feature-sign search from its
    point solves the model, in a fifth of them, to the same optimum. With
    two columns duplicated (a singular active set: proximal steps) the
    optimum is the same."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    s = np.full(len(y), 1 / len(y))
    pen = WithIntercept(L1(1 / (100 * len(y))))  # C = 100

    def fit(A):
        f = LinearDatafit.from_data(BinomialLogLoss(), A, y[:, None] * 1.0, s, True)
        r = prox_newton(f, pen, np.zeros((A.shape[1] + 1, 1)), max_iter=500, tol=1e-8)
        return r, _objective(f, pen, r.coef)

    exact, F = fit(X)
    assert exact.converged and exact.n_iter <= 25
    duplicated, F_dup = fit(np.hstack([X, X[:, :2]]))
    assert duplicated.converged and F_dup == pytest.approx(F, rel=1e-8)  # tol 1e-8
    monkeypatch.setattr(_prox_newton, "_exact_max", lambda datafit: 0)  # sweeps alone
    sweeps, F_sweeps = fit(X)
    assert sweeps.n_iter > 2 * exact.n_iter and F == pytest.approx(F_sweeps, rel=1e-10)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_prox_newton_is_fast_on_collinear_columns(l1_ratio):
    """make_classification's redundant features are exact linear
    combinations of the informative ones: the model's matrix is singular.
    Coordinate descent crawled along its null directions and the exact
    solve stopped at the first singular active set, so the fits took
    hundreds of iterations (179 on the first problem, which warned at
    LogisticRegression's default max_iter=100; the second ran out of 300
    at an objective 1e-6 too high). With proximal steps on singular active
    sets a few Newton iterations reach a second solver's optimum."""
    from sklearn.datasets import make_classification

    problems = [
        make_classification(1000, 20, random_state=1),  # C = 100: alpha 1e-5
        make_classification(2000, 50, n_informative=20, n_redundant=20, random_state=0),
    ]
    for X, y in problems:
        n, d = X.shape
        s = np.full(n, 1 / n)
        f = LinearDatafit.from_data(BinomialLogLoss(), X, y[:, None] * 1.0, s, True)
        pen = WithIntercept(ElasticNet(1 / (100 * n), l1_ratio))
        res = prox_newton(f, pen, np.zeros((d + 1, 1)), max_iter=300, tol=1e-8)
        assert res.converged and res.n_iter <= 15
        L = f.lipschitz()
        ref = fista(f, pen, res.coef, step=1 / L, max_iter=20_000, tol=1e-12)
        F, F_ref = _objective(f, pen, res.coef), _objective(f, pen, ref.coef)
        assert F <= F_ref + 1e-12 * abs(F_ref)


def test_signs_search_leaves_a_singular_active_set():
    """From a point where every coefficient is non-zero, on columns of which
    two are copies and one a combination of others (H_AA singular; rounding
    sends the Newton step uphill or to 1e14): proximal steps drop
    coefficients until the active set is regular, to the lasso's optimum."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 8))
    X = np.hstack([X, X[:, :2], X[:, 2:5] @ rng.standard_normal(3)[:, None]])
    y = X[:, :4] @ rng.standard_normal(4) + 0.5 * rng.standard_normal(200)
    H, q = X.T @ X / 200, X.T @ y / 200
    l1 = 0.05
    w, converged = _quadratic.signs_search(
        H, q, l1, np.ones(11), np.sqrt(np.diag(H)), 1e-12, 100
    )
    assert converged
    ref = Lasso(alpha=l1, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y)

    def F(v):
        return 0.5 * v @ H @ v - q @ v + l1 * np.abs(v).sum()

    assert F(w) <= F(ref.coef_) + 1e-14 * abs(F(ref.coef_))
    assert np.max(np.abs(H @ w - q)) <= l1 + 1e-12  # optimal off and on A


def test_coordinate_step_is_the_exact_minimum_along_its_coordinate():
    """The entering feature's own step (the search's fallback where its walk
    goes uphill): its change is F's, and no other point on that coordinate
    is lower."""
    rng = np.random.default_rng(4)
    B = rng.standard_normal((6, 6))
    H, q, l1 = B @ B.T, 3 * rng.standard_normal(6), 0.5
    w = np.array([0.7, 0.0, -0.2, 0.0, 0.0, 1.1])
    grad = H @ w - q
    j = int(np.argmax(np.where(w == 0, np.abs(grad), 0.0)))
    assert abs(grad[j]) > l1
    A, v, change = _quadratic._coordinate_step(H.diagonal(), grad, l1, w, j)
    point = np.zeros(6)
    point[A] = v
    np.testing.assert_array_equal(
        np.flatnonzero(point != 0), np.union1d(np.flatnonzero(w), [j])
    )

    def F(x):
        return _quadratic._value(H, q, l1, x)

    assert change == pytest.approx(F(point) - F(w), rel=1e-12) and change < 0
    for t in (0.9, 1.1, -1.0):
        other = point.copy()
        other[j] *= t
        assert F(other) > F(point)


def test_lowest_on_segment_is_the_lowest_candidate():
    """The segment's point and change (computed as a change along the
    segment) equal the lowest of the candidates' values computed directly."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        B = rng.standard_normal((8, 8))
        H, q = B @ B.T, rng.standard_normal(8)
        current, target = rng.standard_normal(8), rng.standard_normal(8)
        current[rng.integers(8)] = 0.0  # a coefficient that just entered
        if rng.random() < 0.5:  # one that the step takes exactly to zero
            target[np.flatnonzero(current)[0]] = 0.0
        l1 = rng.uniform(0.1, 2.0)
        point, change = _quadratic._lowest_on_segment(
            H, H @ current - q, l1, current, target
        )
        candidates = [target]
        for i in np.flatnonzero((current != 0) & (np.sign(target) != np.sign(current))):
            c = current + current[i] / (current[i] - target[i]) * (target - current)
            c[i] = 0.0
            candidates.append(c)
        values = [_quadratic._value(H, q, l1, c) for c in candidates]
        F0 = _quadratic._value(H, q, l1, current)
        np.testing.assert_allclose(point, candidates[int(np.argmin(values))])
        assert change == pytest.approx(min(values) - F0, rel=1e-9, abs=1e-12)
    # no crossing, a coefficient taken exactly to zero, one that just entered
    current, target = np.array([1.0, -2.0, 0.5, 0.0]), np.array([0.0, -1.0, 0.7, 0.3])
    point, change = _quadratic._lowest_on_segment(
        H[:4, :4], H[:4, :4] @ current - q[:4], l1, current, target
    )
    F0, F1 = (_quadratic._value(H[:4, :4], q[:4], l1, v) for v in (current, target))
    np.testing.assert_array_equal(point, target)
    assert change == pytest.approx(F1 - F0, rel=1e-9)


def test_working_set_is_the_support_and_the_worst_violations():
    w = np.array([0.0, 1.0, 0.0, 0.0, -2.0, 0.0, 0.0])
    violation = np.array([0.5, 0.1, 0.0, 0.9, 0.0, 0.2, 0.7])
    # support {1, 4}; 2 * 2 = 4 features: the two largest violations, 3 and 6
    np.testing.assert_array_equal(
        _prox_newton._working_set(w, violation, 3), [1, 3, 4, 6]
    )
    # room for everyone: the support and every violation, not the optimal zeros
    np.testing.assert_array_equal(
        _prox_newton._working_set(w, violation, 10), [0, 1, 3, 4, 5, 6]
    )
    # a quarter of 4,000 violators, at most 500 of them: the support beside
    many = np.random.default_rng(0).uniform(0.1, 1.0, 4000)
    w = np.zeros(4000)
    w[:30] = 1.0
    assert len(_prox_newton._working_set(w, many, 10)) == 1000
    ws = _prox_newton._working_set(w, many, 10, quarter_max=500)
    assert len(ws) == 500 and set(range(30)) <= set(ws)


def _working_sets_of_a_lasso(monkeypatch, X, y, fraction):
    """Proximal Newton's lasso on ``X``, ``y`` at ``fraction`` of alpha_max
    from zero, checked against Lasso's optimum: the sizes of its working
    sets, the share of the features that violate at zero and the result."""
    from sklearn.linear_model import Lasso

    n, d = X.shape
    s = np.full(n, 1 / n)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    grad = np.abs((X - X.mean(axis=0)).T @ (y - y.mean())) / n
    alpha = fraction * grad.max()
    sizes = []
    original = _prox_newton._working_set

    def spy(*args, **kwargs):
        ws = original(*args, **kwargs)
        sizes.append(len(ws))
        return ws

    monkeypatch.setattr(_prox_newton, "_working_set", spy)
    res = prox_newton(
        f, WithIntercept(L1(alpha)), np.zeros((d + 1, 1)), max_iter=100, tol=1e-10
    )
    assert res.converged
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(res.coef[:d, 0], ref.coef_, atol=1e-8)
    return sizes, np.count_nonzero(grad > alpha) / d, res


def _counting_fit(monkeypatch, f, pen, theta0, method, max_iter):
    """``fit(options)``: ``minimize`` with ``method`` from ``theta0``, the
    datafits' passes counted (``linear`` and ``gradient``, every datafit's:
    each target's too); returns the result and the counts."""
    from sklearn_foundations.optimize import minimize

    calls = {"linear": 0, "gradient": 0}
    for name in calls:
        original = getattr(LinearDatafit, name)

        def counted(self, *args, name=name, original=original):
            calls[name] += 1
            return original(self, *args)

        monkeypatch.setattr(LinearDatafit, name, counted)

    def fit(options):
        calls.update(linear=0, gradient=0)
        res = minimize(f, pen, theta0, method=method, tol=1e-10,
                       max_iter=max_iter, **options)  # fmt: skip
        return res, dict(calls)

    return fit


@pytest.mark.parametrize("k, sparse", [(1, False), (1, True), (2, False)])
def test_prox_newton_takes_the_callers_start_without_a_pass(k, sparse, monkeypatch):
    """Given the datafit's ``(Z, value, gradient)`` at the start (as the
    estimator has them from its tolerance's check), proximal Newton makes no
    pass over the data to begin: two products fewer per target, the same
    iterates; with several targets each takes its own columns of it."""

    rng = np.random.default_rng(10)
    n, d = 400, 150
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + 1.0
    if sparse:
        X = sp.csc_matrix(np.where(rng.random((n, d)) < 0.1, X, 0.0))
    Y = np.asarray(X[:, : k * 5] @ rng.standard_normal((k * 5, k)))
    Y = Y + rng.standard_normal((n, k))
    s = np.full(n, 1 / n)
    mean = np.asarray(X.mean(axis=0)).ravel()
    f = LinearDatafit(HalfSquaredError(), X, Y, s, mean, fit_intercept=True)
    pen = WithIntercept(L1(0.05))
    theta0 = np.zeros((d + 1, k))
    Z0 = f.linear(theta0)
    start = (Z0, None, f.gradient(theta0, Z0))
    fit = _counting_fit(monkeypatch, f, pen, theta0, "prox-newton", 100)
    plain, counts = fit({})
    given, fewer = fit({"start": start})
    assert plain.converged and given.converged
    # the same iterates (several targets: the joint gradient's columns, to
    # rounding, where each target's own pass summed in its own order)
    np.testing.assert_allclose(given.coef, plain.coef, rtol=1e-12, atol=1e-14)
    assert fewer["gradient"] == counts["gradient"] - k
    assert fewer["linear"] == counts["linear"] - k


@pytest.mark.parametrize("method", ["feature-sign", "dual-newton"])
@pytest.mark.parametrize("k", [1, 2])
def test_factor_methods_take_the_callers_start_without_a_pass(k, method, monkeypatch):
    """Feature-sign search and dual Newton on the rows' factor (dense, fewer
    rows than features) set the intercept from the caller's gradient at the
    start where given: no pass over the data at all, the same
    coefficients."""

    rng = np.random.default_rng(11)
    n, d = 60, 200
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + 3.0
    Y = X[:, :5] @ rng.standard_normal((5, k)) + rng.standard_normal((n, k)) + 7.0
    s = np.full(n, 1 / n)
    f = LinearDatafit(HalfSquaredError(), X, Y, s, X.mean(axis=0), fit_intercept=True)
    pen = WithIntercept(ElasticNet(0.1, 0.5))
    theta0 = np.zeros((d + 1, k))
    Z0 = f.linear(theta0)
    start = (Z0, None, f.gradient(theta0, Z0))
    fit = _counting_fit(monkeypatch, f, pen, theta0, method, 1000)
    plain, counts = fit({})
    given, fewer = fit({"start": start})
    assert plain.converged and given.converged
    np.testing.assert_array_equal(given.coef, plain.coef)
    np.testing.assert_allclose(given.coef[d], Y.mean(axis=0), rtol=1e-13)
    assert counts == {"linear": 1, "gradient": 1}
    assert fewer == {"linear": 0, "gradient": 0}


def test_prox_newton_first_working_set_on_dense_data_is_capped(monkeypatch):
    """From zero on dense data whose violators number far more than
    ``4 * QUARTER_MAX``, the first working set holds ``QUARTER_MAX`` of
    them, not a quarter; later ones grow from the support; the optimum is
    Lasso's."""
    rng = np.random.default_rng(9)
    n, d = 300, 1500
    X = rng.standard_normal((n, d))
    X[:, 1:] = 0.8 * X[:, :-1] + 0.6 * X[:, 1:]
    y = X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(n)
    sizes, share, _ = _working_sets_of_a_lasso(monkeypatch, X, y, 0.02)
    assert share * d > 8 * _prox_newton.QUARTER_MAX
    assert sizes[0] == _prox_newton.QUARTER_MAX


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_feature_sign_is_exact_and_monotone(l1_ratio):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((300, 30)) @ rng.standard_normal((30, 30))  # correlated
    y = X[:, :5] @ rng.standard_normal(5) + rng.standard_normal(300)
    s = np.full(300, 1 / 300)
    f = QuadraticDatafit.from_data(X, y[:, None], s, fit_intercept=True)
    pen = WithIntercept(ElasticNet(0.3, l1_ratio))
    res = optimize.feature_sign(f, pen, np.zeros((31, 1)), max_iter=500, tol=1e-12)
    assert res.converged
    assert len(res.objective) == res.n_iter  # the last one, the check, moves nothing
    assert np.all(np.diff(res.objective[:-1]) < 0)  # every step lowers F
    L = f.lipschitz()
    slow = fista(f, pen, np.zeros((31, 1)), step=1 / L, max_iter=100_000, tol=1e-12)
    best = _objective(f, pen, slow.coef)  # up to rounding: a few dozen ulps of F
    assert _objective(f, pen, res.coef) <= best + 1e-13 * abs(best)
    np.testing.assert_allclose(res.coef, slow.coef, atol=1e-9)
    np.testing.assert_array_equal(res.coef[:-1] == 0, slow.coef[:-1] == 0)
    assert _optimality(f, pen, res.coef) <= 1e-12


@pytest.mark.parametrize("rows_factor", [True, False])
def test_feature_sign_finishes_exactly_past_a_loose_tol(
    rows_factor, neighbour_correlated
):
    """Converged at a loose tol, the search goes on to the exact answer
    (the rounding floor): a weak lasso on correlated wide data, where the
    violators that tol leaves out held the objective 1e-4 to 1e-3 above its
    optimum; the same coefficients as at tol=1e-13, on the rows' factor and
    on the formed Gram matrix."""
    n, d = 50, 500
    X, y = neighbour_correlated(9, n, d, 20)
    s = np.full(n, 1 / n)
    x_mean = s @ X
    if rows_factor:
        f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, x_mean, True)
    else:
        f = QuadraticDatafit.from_data(X, y[:, None], s, fit_intercept=True)
    alpha_max = np.abs((X - x_mean).T @ (y - y.mean())).max() / n
    pen = WithIntercept(L1(1e-3 * alpha_max))
    theta0 = np.zeros((d + 1, 1))
    cold = _optimality(f, pen, theta0)
    loose = optimize.feature_sign(f, pen, theta0, max_iter=5000, tol=1e-2 * cold)
    exact = optimize.feature_sign(f, pen, theta0, max_iter=5000, tol=1e-13)
    assert loose.converged and exact.converged
    assert _optimality(f, pen, loose.coef) <= 1e-12 * cold
    np.testing.assert_allclose(loose.coef, exact.coef, rtol=1e-9, atol=1e-12)
    best = _objective(f, pen, exact.coef)
    assert _objective(f, pen, loose.coef) <= best + 1e-14 * abs(best)


def _tall_neighbours(n=700, d=400, seed=5):
    """Neighbour-correlated columns (0.7 of each with the next), more rows than
    features, a target with an offset: ``X``, ``y``, uniform weights and
    alpha_max."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, 1:] = 0.7 * X[:, :-1] + 0.7 * X[:, 1:]
    y = X @ rng.standard_normal(d) + 1.0 + rng.standard_normal(n)
    alpha_max = np.abs((X - X.mean(axis=0)).T @ (y - y.mean())).max() / n
    return X, y, np.full(n, 1 / n), alpha_max


def test_feature_sign_batches_start_anew_past_a_loose_tol(monkeypatch):
    """The violators below a loose tol, left for the search past it, enter in
    batches from at most ``BATCH_START``: the loose phase's doublings (a few
    violators at a time, all of them entering) say nothing of theirs, and a
    batch of hundreds whose solves reverse signs fell to one feature at a
    time. The answer is the exact one."""
    X, y, s, alpha_max = _tall_neighbours()
    f = QuadraticDatafit.from_data(X, y[:, None], s, fit_intercept=True)
    pen = WithIntercept(L1(1e-2 * alpha_max))
    theta0 = np.zeros((X.shape[1] + 1, 1))
    batches = []  # (tol, the largest batch) of each growing step
    violators = _quadratic._violators

    def spy(violation, tol, most):
        batches.append((tol, most))
        return violators(violation, tol, most)

    monkeypatch.setattr(_quadratic, "_violators", spy)
    loose = 1e-2 * _optimality(f, pen, theta0)
    res = optimize.feature_sign(f, pen, theta0, max_iter=5000, tol=loose)
    before = [most for tol, most in batches if tol == loose]
    after = [most for tol, most in batches if tol < loose]
    assert max(before) > _quadratic.BATCH_START and after
    assert after[0] <= _quadratic.BATCH_START
    exact = optimize.feature_sign(f, pen, theta0, max_iter=5000, tol=1e-13)
    np.testing.assert_allclose(res.coef, exact.coef, rtol=1e-9, atol=1e-12)


def _logistic_problem(seed, n=1000, d=20):
    """Unscaled correlated columns with non-zero means, a binary target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    X = X * np.geomspace(0.1, 10, d) + 3.0
    y = (X @ rng.standard_normal(d) / 10 + rng.logistic(size=n) > 0).astype(float)
    s = np.full(n, 1 / n)
    return LinearDatafit(BinomialLogLoss(), X, y[:, None], s, s @ X, True), d


@pytest.mark.parametrize("method", ["newton-cholesky", "newton-cg", "prox-newton"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newton_methods_finish_one_step_past_tol(method, seed):
    """Converged at tol, a Newton method takes one step more, which about
    squares its error: at tol=1e-4 the coefficients 7e-5 to 4e-3 off
    without it (relative) are 7e-9 to 1e-5 off with it (at most ten times
    the square of the error before), and the step is the only one more."""
    f, d = _logistic_problem(seed)
    l1_ratio = 0.5 if method == "prox-newton" else 0.0
    pen = WithIntercept(ElasticNet(1e-4, l1_ratio))
    loose, done = _past_tol(f, pen, d, method, off_min=1e-6)
    assert _optimality(f, pen, done.coef) < 1e-2 * _optimality(f, pen, loose.coef)


def _past_tol(f, pen, d, method, off_min):
    """The fits at tol=1e-4 without and with the step past it, checked: it
    is one step, the answer without it at least ``off_min`` off the
    optimum's (relative: the check can fail), with it at most ten times
    the square of that."""
    theta0 = np.zeros((d + 1, 1))
    run = {"method": method, "max_iter": 100}
    exact = optimize.minimize(f, pen, theta0, tol=1e-13, **run)
    loose = optimize.minimize(f, pen, theta0, tol=1e-4, finish=False, **run)
    done = optimize.minimize(f, pen, theta0, tol=1e-4, **run)
    assert loose.converged and done.converged and exact.converged
    assert done.n_iter == loose.n_iter + 1
    scale = np.abs(exact.coef).max()
    off = np.abs(loose.coef - exact.coef).max() / scale
    assert off > off_min
    assert np.abs(done.coef - exact.coef).max() / scale <= 10 * off**2
    return loose, done


@pytest.mark.parametrize("seed", [0, 2])
def test_prox_newton_on_sparse_data_finishes_past_tol(seed):
    """Sparse data's model solves (proximal gradient in the model's metric)
    go to the violation squared in the step past tol too: 1e-4 to 4e-4 off
    at tol=1e-4, 1e-8 to 2e-7 after it."""
    rng = np.random.default_rng(seed)
    n, d = 2000, 50
    X = sp.random(n, d, density=0.2, random_state=seed, format="csr") * 3
    y = (X @ rng.standard_normal(d) + rng.logistic(size=n) > 0).astype(float)
    s = np.full(n, 1 / n)
    x_mean = np.asarray(X.T @ s).ravel()
    f = LinearDatafit(BinomialLogLoss(), X, y[:, None], s, x_mean, True)
    _past_tol(f, WithIntercept(ElasticNet(1e-3, 0.5)), d, "prox-newton", off_min=1e-5)


@pytest.mark.parametrize("task", ["squared", "logistic"])
def test_prox_newton_solves_sparse_coupled_models_exactly(task):
    """Sparse columns in near-duplicate pairs (the same rows, values 1%
    apart): the models' proximal gradient in their diagonal metric crawls
    (447 and 348 Newton iterations, 6-7 s); once a model runs out of its
    steps the later ones are formed and solved by feature-sign search, in a
    few iterations to the objective of the fit on the same data dense."""
    from sklearn_foundations import GradientDescentRegressor, LogisticRegression

    rng = np.random.default_rng(0)
    n, half = 2000, 150
    X0 = sp.random(n, half, density=0.02, format="csr", random_state=1)
    twin = X0.copy()
    twin.data = twin.data * (1 + 0.01 * rng.standard_normal(twin.nnz))
    X = sp.hstack([X0, twin]).tocsr()
    assert X.shape[1] ** 2 > X.nnz  # the data form: proximal Newton
    w = rng.standard_normal(2 * half) * (rng.random(2 * half) < 0.1)
    y = np.asarray(X @ w).ravel() + 0.1 * rng.standard_normal(n)
    if task == "squared":
        alpha = 0.05 * np.abs(X.T @ (y - y.mean())).max() / n
        make = lambda: GradientDescentRegressor(  # noqa: E731
            penalty="l1", alpha=alpha, tol=1e-8, max_iter=10_000
        )
    else:
        y, alpha = (y > np.median(y)).astype(float), 3e-4
        make = lambda: LogisticRegression(  # noqa: E731
            C=1 / (alpha * n), l1_ratio=1.0, tol=1e-8, max_iter=10_000
        )

    def objective(est):
        z = X @ est.coef_.ravel() + np.ravel(est.intercept_)[0]
        if task == "squared":
            loss = 0.5 * np.mean((y - z) ** 2)
        else:
            loss = np.mean(np.logaddexp(0, z) - y * z)
        return loss + alpha * np.abs(est.coef_).sum()

    sparse_fit, dense_fit = make().fit(X, y), make().fit(X.toarray(), y)
    assert np.max(sparse_fit.n_iter_) <= 30
    np.testing.assert_allclose(objective(sparse_fit), objective(dense_fit), rtol=1e-10)


def test_newton_does_not_finish_at_an_optimal_start():
    """A start whose optimality is at the objective's rounding takes no step
    past tol (it would gain nothing): the result of the fit it came from."""
    f, d = _logistic_problem(3)
    pen = WithIntercept(L2(1e-3))
    exact = optimize.newton_cholesky(
        f, pen, np.zeros((d + 1, 1)), max_iter=100, tol=1e-14
    )
    again = optimize.newton_cholesky(f, pen, exact.coef, max_iter=100, tol=1e-4)
    assert again.n_iter == 0 and again.converged
    np.testing.assert_array_equal(again.coef, exact.coef)


@pytest.mark.parametrize("method", ["newton-cholesky", "prox-newton"])
def test_newton_steps_below_the_objectives_resolution_take_no_line_search(
    method, monkeypatch
):
    """Near the optimum a step's predicted decrease falls below the
    objective's rounding: the full step is taken (where it lowers the
    optimality), no line search, which halved the step 34 times where
    rounding put the new value an ulp above the last (each halving a pass
    on chunked data)."""
    from sklearn_foundations.optimize import _newton

    f, d = _logistic_problem(4)
    pen = WithIntercept(ElasticNet(1e-3, 0.5 if method == "prox-newton" else 0.0))
    run = {"method": method, "max_iter": 100}
    exact = optimize.minimize(f, pen, np.zeros((d + 1, 1)), tol=1e-14, **run)
    near = exact.coef * (1 + 1e-9 * np.cos(np.arange(d + 1)))[:, None]
    searches = []
    backtrack = _newton._backtrack

    def spied(*args):
        searches.append(args[-1])  # the slope
        return backtrack(*args)

    monkeypatch.setattr(_newton, "_backtrack", spied)
    monkeypatch.setattr(_prox_newton, "_backtrack", spied)
    res = optimize.minimize(f, pen, near, tol=1e-15, finish=False, **run)
    assert res.n_iter >= 1 and not searches
    np.testing.assert_allclose(res.coef, exact.coef, rtol=1e-12, atol=1e-14)
    searches.clear()  # far from it: the search
    optimize.minimize(f, pen, np.zeros((d + 1, 1)), tol=1e-4, **run)
    assert searches


def test_feature_sign_solves_each_target_as_alone():
    """Several targets share G: each one's search is its own problem's (the
    same coefficients as a fit of that target alone), and every step of the
    whole lowers the total objective."""
    rng = np.random.default_rng(12)
    X = rng.standard_normal((200, 20)) @ rng.standard_normal((20, 20))
    Y = X[:, :4] @ rng.standard_normal((4, 3)) + rng.standard_normal((200, 3))
    s = np.full(200, 1 / 200)
    pen = WithIntercept(ElasticNet(0.2, 0.7))
    f = QuadraticDatafit.from_data(X, Y, s, fit_intercept=True)
    res = optimize.feature_sign(f, pen, np.zeros((21, 3)), max_iter=500, tol=1e-12)
    assert res.converged and len(res.objective) == res.n_iter
    assert np.all(np.diff(res.objective[:-1]) <= 0)
    for t in range(3):
        alone = QuadraticDatafit.from_data(X, Y[:, [t]], s, fit_intercept=True)
        one = optimize.feature_sign(
            alone, pen, np.zeros((21, 1)), max_iter=500, tol=1e-12
        )
        np.testing.assert_allclose(
            res.coef[:, t], one.coef[:, 0], rtol=1e-12, atol=1e-14
        )
    np.testing.assert_allclose(
        res.objective[-1], _objective(f, pen, res.coef), rtol=1e-12
    )
    short = optimize.feature_sign(f, pen, np.zeros((21, 3)), max_iter=3, tol=1e-12)
    assert not short.converged and short.n_iter == 3  # max_iter: steps in all


@pytest.mark.parametrize("batch", [False, True], ids=["one feature", "batches"])
def test_feature_sign_takes_coefficients_back_to_zero(batch, monkeypatch):
    # a correlated design where the first guesses of the signs are wrong:
    # some steps stop where a coefficient crosses zero (one feature entering
    # at a time, as in Lee et al.; the batches reach the same point)
    if not batch:
        monkeypatch.setattr(_quadratic, "BATCH_TRIALS", 0)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 6)) @ rng.standard_normal((6, 6))
    y = X @ rng.standard_normal(6) + rng.standard_normal(30)
    f = QuadraticDatafit(X.T @ X / 30, (X.T @ y / 30)[:, None], None, 0.0, False)
    pen = L1(0.2)
    res = optimize.feature_sign(f, pen, np.zeros((6, 1)), max_iter=50, tol=1e-12)
    L = f.lipschitz()
    ref = fista(f, pen, np.zeros((6, 1)), step=1 / L, max_iter=100_000, tol=1e-13)
    np.testing.assert_allclose(res.coef, ref.coef, atol=1e-10)
    np.testing.assert_array_equal(res.coef == 0, ref.coef == 0)
    assert res.converged
    if not batch:  # one step per non-zero would be 5: there were detours
        assert res.n_iter > np.count_nonzero(res.coef) + 1


def test_feature_sign_enters_features_in_batches(monkeypatch):
    """Features whose signed solve keeps their signs enter together: far
    fewer steps than non-zeros (one feature at a time takes one step each),
    to the same optimum as one feature at a time and scikit-learn's Lasso."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(2)
    X = rng.standard_normal((1000, 100))
    y = X @ rng.standard_normal(100) + rng.standard_normal(1000)
    f = QuadraticDatafit(X.T @ X / 1000, (X.T @ y / 1000)[:, None], None, 0.0, False)
    pen = L1(0.01)
    monkeypatch.setattr(_quadratic, "DENSE_START_MAX_FEATURES", 0)  # from zero
    res = optimize.feature_sign(f, pen, np.zeros((100, 1)), max_iter=500, tol=1e-12)
    monkeypatch.setattr(_quadratic, "BATCH_TRIALS", 0)
    one = optimize.feature_sign(f, pen, np.zeros((100, 1)), max_iter=500, tol=1e-12)
    assert res.converged and one.converged
    nnz = np.count_nonzero(res.coef)
    assert res.n_iter <= nnz // 5 and one.n_iter >= nnz
    np.testing.assert_allclose(res.coef, one.coef, rtol=1e-10, atol=1e-13)
    ref = Lasso(alpha=0.01, fit_intercept=False, tol=1e-14, max_iter=10**5).fit(X, y)
    np.testing.assert_allclose(res.coef[:, 0], ref.coef_, rtol=1e-7, atol=1e-9)
    # every step lowers F: the last, of the search past tol to the rounding
    # floor, by less than the reported value's rounding on some BLAS kernels
    assert np.all(np.diff(res.objective) <= 0)
    assert np.all(np.diff(res.objective)[:-1] < 0)


def _toeplitz_gram(n=800, d=40, rho=0.9, seed=3):
    """The Gram form of a Toeplitz design and a target of five of its
    columns (no intercept)."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, d))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    y = X[:, :5].sum(axis=1) + rng.standard_normal(n)
    return QuadraticDatafit(X.T @ X / n, (X.T @ y / n)[:, None], None, 0.0, False), X, y


@pytest.mark.parametrize("pen", [L1(1e-3), ElasticNet(2e-3, 0.5)], ids=repr)
def test_feature_sign_starts_a_dense_solution_from_least_squares(pen, monkeypatch):
    """A weak penalty on a correlated design: 39 of 40 coefficients non-zero.
    From least squares the first walk drops the features whose signs the
    penalty reverses (a few steps); from zero the batches enter a step or
    two per doubling. The same optimum (scikit-learn's too)."""
    from sklearn.linear_model import ElasticNet as SkElasticNet

    f, X, y = _toeplitz_gram()
    theta0 = np.zeros((40, 1))
    dense = optimize.feature_sign(f, pen, theta0, max_iter=500, tol=1e-12)
    monkeypatch.setattr(_quadratic, "DENSE_START_MAX_FEATURES", 0)
    cold = optimize.feature_sign(f, pen, theta0, max_iter=500, tol=1e-12)
    assert dense.converged and cold.converged
    assert np.count_nonzero(dense.coef) >= 30
    assert 2 * dense.n_iter <= cold.n_iter
    np.testing.assert_allclose(dense.coef, cold.coef, rtol=1e-10, atol=1e-13)
    assert np.all(np.diff(dense.objective) <= 0)  # every step lowers F
    ref = SkElasticNet(
        alpha=pen.alpha, l1_ratio=pen.l1_ratio, fit_intercept=False, tol=1e-14,
        max_iter=10**6,
    ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(dense.coef[:, 0], ref.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("d", [40, 200])
def test_unit_factor_is_regular_where_the_lu_pivots_are(d):
    """The dense start's factor, scipy's below 128 features and numpy's from
    there: U^T U is the equilibrated matrix; a duplicated column (singular)
    and an indefinite matrix have none, as an LU's pivots against the ridge
    say."""
    rng = np.random.default_rng(d)
    X = rng.standard_normal((3 * d, d)) * rng.uniform(0.1, 10, d)
    H = X.T @ X
    S = 1 / np.sqrt(np.diag(H))
    E = H * S * S[:, None]
    ridge = _gram_solves._ridge(H.dtype)
    U = _gram_solves._unit_factor(E.copy(), ridge)
    U = np.triu(U)  # its strict lower triangle is LAPACK's workspace
    np.testing.assert_allclose(U.T @ U, E, atol=1e-12)
    X[:, -1] = X[:, 0]  # duplicated: singular
    G = X.T @ X
    S = 1 / np.sqrt(np.diag(G))
    assert _gram_solves._unit_factor(G * S * S[:, None], ridge) is None
    lu = scipy.linalg.lu_factor(G * S * S[:, None])[0]
    assert not np.abs(np.diag(lu)).min() > ridge
    indefinite = E - 2 * np.eye(d)
    assert _gram_solves._unit_factor(indefinite, ridge) is None


def test_feature_sign_starts_a_wide_dense_solution_from_least_squares(monkeypatch):
    """The dense start on 200 features (numpy's factor): a weak lasso on a
    correlated design, nearly every coefficient non-zero, in a few steps
    where the batches from zero take many; the same optimum."""
    rng = np.random.default_rng(1)
    n, d = 1000, 200
    X = np.empty((n, d))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, d):
        X[:, j] = 0.9 * X[:, j - 1] + np.sqrt(1 - 0.81) * rng.standard_normal(n)
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    f = QuadraticDatafit(X.T @ X / n, (X.T @ y / n)[:, None], None, 0.0, False)
    pen, theta0 = L1(1e-3 * np.abs(X.T @ y / n).max()), np.zeros((d, 1))
    dense = optimize.feature_sign(f, pen, theta0, max_iter=500, tol=1e-12)
    monkeypatch.setattr(_quadratic, "DENSE_START_MAX_FEATURES", 0)
    cold = optimize.feature_sign(f, pen, theta0, max_iter=500, tol=1e-12)
    assert dense.converged and cold.converged
    assert np.count_nonzero(dense.coef) >= 0.9 * d
    assert 3 * dense.n_iter <= cold.n_iter
    np.testing.assert_allclose(dense.coef, cold.coef, rtol=1e-8, atol=1e-11)


def test_feature_sign_stops_where_rounding_returns_to_a_point(monkeypatch):
    """Near the optimum two steps can each compute a change of -1e-30 beside
    F of 10 and return to each other (one BLAS's rounding: 499 steps of 500
    for what takes 2). Here every walk claims such a change: the search
    stops at the first point it meets again, at the optimum."""
    f, _, _ = _toeplitz_gram()
    H, q = f.G, f.q[:, 0]
    scale = np.sqrt(np.diag(H))
    exact, _ = _quadratic.signs_search(H, q, 1e-3, np.zeros(40), scale, 1e-12, 500)
    real = _quadratic._lowest_on_segment

    def rounded(*args, **kwargs):
        point, change = real(*args, **kwargs)
        return point, min(change, -1e-30)

    monkeypatch.setattr(_quadratic, "_lowest_on_segment", rounded)
    steps = []
    w, _ = _quadratic.signs_search(
        H, q, 1e-3, np.zeros(40), scale, 1e-12, 500,
        on_step=lambda w, F: steps.append(F), finish=0.0,
    )  # fmt: skip
    assert len(steps) < 20
    np.testing.assert_allclose(w, exact, rtol=1e-10, atol=1e-13)


def test_dense_start_only_where_the_solution_looks_dense():
    """Least squares where most features violate at zero, keep their signs
    in the first signed solve and lower F; zero for a sparse solution (a
    stronger penalty on the same design, where every feature violates at
    zero: half of them non-zero), a singular matrix and a large one."""
    f, X, _ = _toeplitz_gram()
    H, q = f.G, f.q[:, 0]
    zero = np.zeros(40)
    w = _quadratic._dense_start(H, q, 1e-3, zero)
    np.testing.assert_allclose(H @ w, q, rtol=1e-9)
    assert np.count_nonzero(np.abs(q) > 0.01) == 40  # all violate at 0.01,
    assert _quadratic._dense_start(H, q, 0.01, zero) is zero  # 20 non-zeros
    twice = np.hstack([X, X[:, :1]])  # a duplicated column: singular
    G = twice.T @ twice / len(X)
    singular = _quadratic._dense_start(G, G @ np.ones(41), 1e-6, np.zeros(41))
    assert not singular.any()
    big = np.eye(_quadratic.DENSE_START_MAX_FEATURES + 1)  # LS: ones, dense
    assert not _quadratic._dense_start(big, np.ones(len(big)), 0.1, 0 * big[0]).any()
    small = big[1:, 1:]
    np.testing.assert_array_equal(
        _quadratic._dense_start(small, np.ones(len(small)), 0.1, 0 * small[0]), 1.0
    )


@pytest.mark.parametrize("pen", [L1(0.001), ElasticNet(0.001, 0.5)], ids=repr)
def test_fista_centering_the_softmax_rows_reaches_the_optimum_sooner(pen):
    """The softmax does not see a common shift of a feature's class weights;
    solving that direction exactly at each iterate leaves the optimum where it
    is (same probabilities and objective) and takes fewer iterations."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2000, 30))
    W = rng.standard_normal((30, 10)) * (rng.uniform(size=(30, 10)) < 0.3)
    labels = (X @ W + rng.logistic(size=(2000, 10))).argmax(axis=1)
    Y = np.asfortranarray(np.eye(10)[labels])
    s = np.full(len(X), 1 / len(X))
    f = LinearDatafit(MultinomialLogLoss(), X, Y, s, s @ X, fit_intercept=True)
    pen = WithIntercept(pen)
    theta0 = np.zeros((X.shape[1] + 1, 10))
    kwargs = dict(step=1.0, max_iter=20_000, tol=1e-10, line_search=True)
    plain = fista(f, pen, theta0, **kwargs)
    centered = fista(f, pen, theta0, center=pen.center, **kwargs)
    assert plain.converged and centered.converged
    P = f.loss.predict_proba(f.linear(centered.coef))
    np.testing.assert_allclose(P, f.loss.predict_proba(f.linear(plain.coef)), atol=1e-8)
    assert centered.objective[-1] == pytest.approx(plain.objective[-1], rel=1e-10)
    np.testing.assert_allclose(pen.center(centered.coef), centered.coef, atol=1e-12)
    assert centered.n_iter < plain.n_iter


def _wide_ridge(sparse, n_targets, weights):
    rng = np.random.default_rng(21)
    n, d = 40, 120
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + rng.uniform(-5, 5, d)
    if sparse:
        X = sp.csr_matrix(np.where(rng.random((n, d)) < 0.3, X, 0.0))
    Y = rng.standard_normal((n, n_targets))
    s = rng.uniform(0, 2, n) if weights else np.ones(n)
    if weights:
        s[:5] = 0.0  # rows of zero weight: outside the row space that counts
    s /= s.sum()
    return X, Y, s


def _closed_form_ridge(X, Y, s, alpha, fit_intercept):
    r"""The ridge of the mean-form objective by the SVD of the weighted,
    centered rows, :math:`V \operatorname{diag}(\sigma / (\sigma^2 + \alpha))
    U^\top`: the least-norm solution for alpha = 0 (the pseudo-inverse's,
    the centering's zero singular value left out)."""
    X = X.toarray() if sp.issparse(X) else X
    x_mean = s @ X if fit_intercept else np.zeros(X.shape[1])
    y_mean = s @ Y if fit_intercept else np.zeros(Y.shape[1])
    A = np.sqrt(s)[:, None] * (X - x_mean)
    B = np.sqrt(s)[:, None] * (Y - y_mean)
    U, sigma, Vt = np.linalg.svd(A, full_matrices=False)
    keep = sigma > 1e-10 * sigma[0]
    factor = sigma[keep] / (sigma[keep] ** 2 + alpha)
    W = Vt[keep].T @ (factor[:, None] * (U[:, keep].T @ B))
    return W, y_mean - x_mean @ W


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_targets, weights", [(1, False), (3, True)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-2, 1e-8, 0.0])
def test_unscaled_conjugate_gradient_is_the_ridge_in_the_row_space(
    sparse, n_targets, weights, fit_intercept, alpha
):
    """On wide data conjugate gradient without the columns' scaling reaches
    the ridge of any alpha (the scaled one, which moves along the null space
    of X_c, was 22% off at alpha=1e-3 and tol=1e-4), and for alpha = 0 the
    interpolant of least Euclidean norm (the pseudo-inverse's), as plain
    gradient descent from zero; every step lowers the objective."""
    X, Y, s = _wide_ridge(sparse, n_targets, weights)
    x_mean = np.asarray(X.T @ s).ravel() if fit_intercept else None
    f = LinearDatafit(HalfSquaredError(), X, Y, s, x_mean, fit_intercept)
    pen = WithIntercept(L2(alpha)) if fit_intercept else L2(alpha)
    theta0 = np.zeros((120 + fit_intercept, n_targets))
    res = optimize.conjugate_gradient(
        f, pen, theta0, max_iter=500, tol=1e-11, scaled=False
    )
    assert res.converged and res.n_iter <= 120  # n = 40 in exact arithmetic
    W, b = _closed_form_ridge(X, Y, s, alpha, fit_intercept)
    scale = np.abs(W).max()
    np.testing.assert_allclose(res.coef[:120], W, rtol=0, atol=1e-8 * scale)
    if fit_intercept:
        intercept = res.coef[120] - x_mean @ res.coef[:120]
        np.testing.assert_allclose(intercept, b, rtol=0, atol=1e-8 * np.abs(b).max())
    assert np.all(np.diff(res.objective) <= 1e-14 * abs(res.objective[0]))
    grad = f.gradient(res.coef, f.linear(res.coef)) + pen.gradient(res.coef)
    assert np.max(np.abs(grad) / np.sqrt(f.metric())[:, None]) <= 1e-9


def test_the_row_space_methods_are_the_auto_rows_on_wide_data_only():
    """Wide data: the kernel form where it pays (dense, or sparse dense
    enough), else conjugate gradient in the row space; tall data: scaled
    conjugate gradient."""
    X, Y, s = _wide_ridge(False, 1, False)
    f = LinearDatafit(HalfSquaredError(), X, Y, s, s @ X, fit_intercept=True)
    pen = WithIntercept(L2(1e-3))
    res = optimize.minimize(f, pen, np.zeros((121, 1)), tol=1e-8)
    assert res.method == "kernel-cholesky"
    rng = np.random.default_rng(3)
    very_sparse = sp.random(40, 120, density=0.02, random_state=rng, format="csr")
    x_mean = np.asarray(very_sparse.T @ s).ravel()
    f = LinearDatafit(HalfSquaredError(), very_sparse, Y, s, x_mean, fit_intercept=True)
    assert not f.kernel_pays
    res = optimize.minimize(f, pen, np.zeros((121, 1)), tol=1e-8)
    assert res.method == "cgls"
    tall = LinearDatafit(
        HalfSquaredError(), X.T, Y[:1].T.repeat(120, 0), np.full(120, 1 / 120)
    )
    assert optimize.minimize(tall, L2(1e-3), np.zeros((40, 1)), tol=1e-8).method == "cg"


@pytest.mark.parametrize("sparse", [False, True])
def test_several_targets_are_solved_each_as_alone(sparse):
    """Proximal Newton on several targets of a loss that treats them apart:
    each target's coefficients are those of its fit alone, the objective the
    sum of the targets' and decreasing, and a callback sees the whole theta
    and the whole objective."""
    rng = np.random.default_rng(13)
    X = rng.standard_normal((120, 40))
    if sparse:
        X = sp.csr_matrix(np.where(rng.random((120, 40)) < 0.3, X, 0.0))
    Y = np.asarray(X @ (rng.standard_normal((40, 3)) * (rng.random((40, 1)) < 0.2)))
    Y = Y + rng.standard_normal((120, 3))
    s = np.full(120, 1 / 120)
    x_mean = np.asarray(X.T @ s).ravel()
    f = LinearDatafit(HalfSquaredError(), X, Y, s, x_mean, fit_intercept=True)
    pen = WithIntercept(ElasticNet(0.05, 0.8))
    theta0 = np.vstack([np.zeros((40, 3)), s @ Y])
    seen = []
    res = optimize.minimize(
        f, pen, theta0, tol=1e-10, callback=lambda st: seen.append(st) and False
    )
    assert res.method == "prox-newton" and res.converged
    for t in range(3):
        alone = LinearDatafit(HalfSquaredError(), X, Y[:, [t]], s, x_mean, True)
        one = optimize.minimize(alone, pen, theta0[:, [t]], tol=1e-10)
        np.testing.assert_allclose(res.coef[:, t], one.coef[:, 0], rtol=0, atol=1e-12)
    assert len(seen) == res.n_iter == len(res.objective)
    assert all(st.theta.shape == (41, 3) for st in seen)
    np.testing.assert_allclose(
        seen[-1].objective, _objective(f, pen, res.coef), rtol=1e-12
    )
    np.testing.assert_allclose(
        res.objective[-1], _objective(f, pen, res.coef), rtol=1e-12
    )
    assert np.all(np.diff(res.objective) <= 1e-14)


@pytest.mark.parametrize("e", [0.0, 0.3])
def test_low_rank_blocks_products_and_solves_are_the_dense_ones(e):
    """LowRank (H = B^T B + e I kept as B): blocks formed from the kept Gram
    entries as features enter (some twice, in any order), products and
    Woodbury's solves are those of the dense matrix."""
    rng = np.random.default_rng(3)
    B = rng.standard_normal((6, 40)) * rng.uniform(0.1, 10, 40)
    dense = B.T @ B + e * np.eye(40)
    H = _gram_solves.LowRank(B, e)
    v = rng.standard_normal(40)
    np.testing.assert_allclose(H @ v, dense @ v, rtol=1e-12)
    np.testing.assert_allclose(H.diagonal(), np.diag(dense), rtol=1e-13)
    for A in ([3, 7, 20], [1, 3, 7, 9, 20, 33], [0, 9, 33], list(range(0, 40, 3))):
        A = np.array(A)
        block = _gram_solves._block(H, A)
        expected = dense[np.ix_(A, A)]
        np.testing.assert_allclose(block.dense(), expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(block @ v[A], expected @ v[A], rtol=1e-11)
        if block.woodbury and e > 0:  # 14 features over 6 rows
            r = rng.standard_normal(len(A))
            np.testing.assert_allclose(
                block.solve(r, 0.1), np.linalg.solve(expected + 0.1 * np.eye(len(A)), r),
                rtol=1e-8,
            )  # fmt: skip
    assert block.woodbury and len(H._seen) == len(set(range(0, 40, 3)) | {1, 7, 20, 33})


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
def test_feature_sign_on_the_rows_factor_is_the_gram_forms(
    fit_intercept, l1_ratio, monkeypatch
):
    """On fewer rows than features, feature-sign search keeps the Gram
    matrix as the rows' factor (LowRank; Woodbury's solves beyond twice the
    rows): the same optimum as the search on the formed Gram matrix, for
    two targets, sample weights with zeros among them, an intercept or
    none."""
    solves = []
    woodbury = _gram_solves.LowRank.solve
    monkeypatch.setattr(
        _gram_solves.LowRank, "solve", lambda *a: solves.append(1) or woodbury(*a)
    )
    rng = np.random.default_rng(4)
    n, d = 40, 400  # m d^2 over GRAM_FORM_FLOPS: the factor kept
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2, d) + rng.standard_normal(d)
    Y = X[:, :8] @ rng.standard_normal((8, 2)) + rng.standard_normal((n, 2))
    s = rng.uniform(0.5, 2.0, n) * (rng.random(n) < 0.9)
    s /= s.sum()
    k = d + fit_intercept
    pen = ElasticNet(0.02, l1_ratio)
    pen = WithIntercept(pen) if fit_intercept else pen
    x_mean = s @ X if fit_intercept else None
    rows = LinearDatafit(HalfSquaredError(), X, Y, s, x_mean, fit_intercept)
    gram = QuadraticDatafit.from_data(X, Y, s, fit_intercept=fit_intercept)
    res = optimize.feature_sign(rows, pen, np.zeros((k, 2)), max_iter=1000, tol=1e-12)
    ref = optimize.feature_sign(gram, pen, np.zeros((k, 2)), max_iter=1000, tol=1e-12)
    assert res.converged and ref.converged
    np.testing.assert_allclose(res.coef[:d], ref.coef[:d], rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(res.coef[:d] == 0, ref.coef[:d] == 0)
    if fit_intercept:  # the datafits' intercepts: of centered X, of X
        np.testing.assert_allclose(res.coef[d], s @ Y, rtol=1e-12)
    np.testing.assert_allclose(res.objective[-1], ref.objective[-1], rtol=1e-10)
    assert np.count_nonzero(res.coef[:d, 0]) > (2 * n if l1_ratio < 0.5 else 0)
    assert len(solves) > 0 or l1_ratio > 0.1  # Woodbury's, on over 2 n features


def test_feature_sign_drops_the_reversed_features_at_once(monkeypatch):
    """After a batch enters and the walk stops where a coefficient crosses
    zero, every feature whose sign the target reversed leaves the active
    set in one step (Lee et al.'s steps drop one a solve): far fewer steps,
    the same optimum."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 2000))
    y = X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(200)
    s = np.full(200, 1 / 200)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    pen = WithIntercept(ElasticNet(0.05, 0.5))
    theta0 = np.zeros((2001, 1))
    res = optimize.feature_sign(f, pen, theta0, max_iter=1000, tol=1e-10)
    monkeypatch.setattr(_quadratic, "_without_crossed", lambda *args: None)
    one = optimize.feature_sign(f, pen, theta0, max_iter=1000, tol=1e-10)
    assert res.converged and one.converged
    assert res.n_iter < one.n_iter / 2
    np.testing.assert_allclose(res.coef, one.coef, rtol=1e-8, atol=1e-11)
    assert np.all(np.diff(res.objective[:-1]) < 0)


def test_model_factor_is_the_model_hessians_factor():
    """LinearDatafit.model_factor(Z, ws): B with B^T B the working-set
    model's matrix (model_hessian), the intercept's column last."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((30, 80)) * rng.uniform(0.5, 3, 80) + 2.0
    y = (rng.random(30) < 0.5).astype(float)[:, None]
    s = rng.uniform(0.5, 2, 30)
    s /= s.sum()
    f = LinearDatafit(BinomialLogLoss(), X, y, s, s @ X, fit_intercept=True)
    theta = np.vstack([0.1 * rng.standard_normal((80, 1)), [[0.3]]])
    Z = f.linear(theta)
    ws = np.array([0, 5, 6, 40, 79])
    B = f.model_factor(Z, ws)
    assert B.shape == (30, 6)
    np.testing.assert_allclose(B.T @ B, f.model_hessian(Z, ws), rtol=1e-12, atol=1e-15)


def test_prox_newton_solves_a_wide_model_from_its_factor(monkeypatch):
    """An elastic-net logistic regression on fewer rows than its working
    sets' features (over EXACT_MAX_SIZE): the models are solved exactly from
    their factor (feature-sign search on a LowRank matrix) where coordinate
    descent's sweeps crawled; the same optimum in fewer iterations."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((60, 2000))
    y = X[:, :10] @ rng.standard_normal(10) + rng.standard_normal(60) > 0
    y = y.astype(float)[:, None]
    s = np.full(60, 1 / 60)
    f = LinearDatafit(BinomialLogLoss(), X, y, s, s @ X, fit_intercept=True)
    pen = WithIntercept(ElasticNet(0.002, 0.05))
    theta0 = np.zeros((2001, 1))
    factored = []
    original = _prox_newton._factored_model
    monkeypatch.setattr(
        _prox_newton, "_factored_model", lambda *a: factored.append(1) or original(*a)
    )
    res = prox_newton(f, pen, theta0, max_iter=200, tol=1e-10)
    assert res.converged and factored
    nnz = np.count_nonzero(res.coef[:-1])
    assert nnz > _prox_newton.EXACT_MAX_SIZE  # models over the formed one's size
    monkeypatch.setattr(_prox_newton, "_low_rank", lambda *a: False)
    sweeps = prox_newton(f, pen, theta0, max_iter=200, tol=1e-10)
    assert sweeps.converged and res.n_iter < sweeps.n_iter
    # a weak ridge over the rows' null space: a flat valley, the same
    # objective to rounding and coefficients to about 1e-8
    np.testing.assert_allclose(res.coef, sweeps.coef, rtol=0, atol=1e-7)
    best = _objective(f, pen, sweeps.coef)
    assert _objective(f, pen, res.coef) <= best + 1e-13 * abs(best)


def test_active_factor_solves_are_the_blocks_own():
    """_ActiveFactor: one Cholesky factor kept over a search's active sets,
    features appended as they enter (in panels), held at zero as they leave
    (the Schur complement), formed anew where too many are held, and an
    entering feature collinear with the kept ones refused (not regular,
    unless the factor formed anew without the held ones takes it): every
    solve is the LU solve of the active set's own block."""
    rng = np.random.default_rng(5)
    n, d = 400, 300
    X = rng.standard_normal((n, d)) * rng.uniform(0.01, 100, d)  # scales
    X[:, 1:] += 0.8 * X[:, :-1] / X[:, :-1].std(axis=0) * X[:, 1:].std(axis=0)
    X[:, 299] = 2.0 * X[:, 7]  # collinear with feature 7
    H = X.T @ X / n
    S = 1 / np.sqrt(np.diag(H))
    factor = _gram_solves._ActiveFactor(H, S, _gram_solves._ridge(H.dtype))
    held_solves = anew = 0
    steps = [
        np.arange(0, 150),  # three panels at once
        np.arange(0, 170),  # appended
        np.setdiff1d(np.arange(0, 170), [3, 50, 120]),  # held at zero
        np.setdiff1d(np.arange(0, 200), [50]),  # 3 and 120 back, 30 appended
        np.arange(100, 200),  # most of them held: formed anew
        np.arange(100, 260),
    ]
    for A in steps:
        r = rng.standard_normal(len(A))
        held_solves += len(factor.features) > len(np.intersect1d(factor.features, A))
        before = factor.features
        x, regular = factor.solve(A, r)
        anew += not np.array_equal(factor.features[: len(before)], before)
        assert regular
        np.testing.assert_allclose(x, np.linalg.solve(H[np.ix_(A, A)], r), rtol=1e-9)
    assert held_solves >= 2 and anew == 1
    # feature 299 is collinear with feature 7, which the factor holds (7 is not
    # in A): formed anew without it, the block of A is regular
    A = np.append(np.arange(100, 260), 299)
    x, regular = factor.solve(A, np.ones(len(A)))
    assert regular and 7 not in factor.features
    np.testing.assert_allclose(
        x, np.linalg.solve(H[np.ix_(A, A)], np.ones(len(A))), rtol=1e-9
    )
    # with 7 in A the block is singular: no solve, as an LU's pivots say
    A = np.append(np.arange(0, 160), 299)
    x, regular = factor.solve(A, np.ones(len(A)))
    assert not regular and np.all(np.isnan(x))
    lu_x, lu_regular = _gram_solves._equilibrated_solve(
        _gram_solves._gesv(H.dtype),
        H[np.ix_(A, A)],
        np.ones(len(A)),
        factor.ridge,
        S[A],
    )
    assert not lu_regular


def _factor_and_lu_searches(H, q, l1, scale, tol, monkeypatch):
    """Feature-sign search from zero with the kept factor's solves (the sizes
    of its active sets that took them), then with LU solves alone: both
    converge; their points and the sizes."""
    sizes = []
    original = _gram_solves._ActiveFactor.solve

    def spy(self, A, r_A):
        sizes.append(len(A))
        return original(self, A, r_A)

    monkeypatch.setattr(_gram_solves._ActiveFactor, "solve", spy)
    zero = np.zeros(len(q), dtype=q.dtype)
    w, converged = _quadratic.signs_search(H, q, l1, zero, scale, tol, 5000)
    monkeypatch.setattr(_gram_solves, "FACTOR_MIN_SIZE", 10**9)
    w_lu, converged_lu = _quadratic.signs_search(H, q, l1, zero, scale, tol, 5000)
    assert converged and converged_lu
    return w, w_lu, sizes


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_signs_search_with_the_factor_is_the_lu_searchs(l1_ratio, dtype, monkeypatch):
    """Feature-sign search with its solves from the kept factor reaches the
    same optimum as with an LU solve at each step, on a weak penalty (a dense
    solution, hundreds of features in the active set) with duplicated
    columns."""
    rng = np.random.default_rng(7)
    n, d = 700, 400
    X = rng.standard_normal((n, d))
    X[:, 1:] = 0.7 * X[:, :-1] + 0.7 * X[:, 1:]
    X[:, 390:] = X[:, :10]  # duplicated columns: singular blocks
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    G, q = Xc.T @ Xc / n, Xc.T @ yc / n
    l1 = 1e-3 * np.abs(q).max() * l1_ratio
    H = (G + 1e-3 * (1 - l1_ratio) * np.eye(d)).astype(dtype)
    q, scale = q.astype(dtype), np.sqrt(np.diag(G)).astype(dtype)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    w, w_lu, solves = _factor_and_lu_searches(H, q, l1, scale, tol, monkeypatch)
    assert len(solves) > 10 and max(solves) > 300

    def F(w):
        w = w.astype(np.float64)
        return 0.5 * w @ H.astype(np.float64) @ w - q @ w + l1 * np.abs(w).sum()

    assert F(w) <= F(w_lu) + (1e-13 if dtype == np.float64 else 1e-6) * abs(F(w_lu))
    assert abs(F(w) - F(w_lu)) <= (1e-12 if dtype == np.float64 else 1e-5) * abs(
        F(w_lu)
    )


def test_prox_newton_takes_the_whole_model_of_a_dense_tall_lasso(monkeypatch):
    """Proximal Newton on the squared error of data with more rows than
    features: once its working set would hold half the features and leave
    violators out, the model takes every feature, which is the objective
    itself, solved to tol in one iteration (the last); the optimum is
    Lasso's. (The whole start from zero, where nearly all violate, is held
    off: its own test follows.)"""
    monkeypatch.setattr(_prox_newton, "WHOLE_START_SHARE", 2.0)
    rng = np.random.default_rng(2)
    n, d = 900, 300
    X = rng.standard_normal((n, d))
    X[:, 1:] = 0.7 * X[:, :-1] + 0.7 * X[:, 1:]
    y = X @ rng.standard_normal(d) + 3.0 + rng.standard_normal(n)
    sizes, _, res = _working_sets_of_a_lasso(monkeypatch, X, y, 1e-3)
    assert sizes.count(d) == 1 and sizes[-1] == d and sizes[0] < d
    assert res.n_iter == len(sizes) <= 6
    assert np.count_nonzero(res.coef[:d]) > d // 2
    # without the whole model: more iterations to the same optimum
    monkeypatch.setattr(_prox_newton, "_whole_pays", lambda *args: False)
    sizes_slow, _, slow = _working_sets_of_a_lasso(monkeypatch, X, y, 1e-3)
    assert d not in sizes_slow and slow.n_iter > res.n_iter
    np.testing.assert_allclose(slow.coef, res.coef, atol=1e-8)


@pytest.mark.parametrize("fraction, whole_first", [(1e-3, True), (0.1, False)])
def test_prox_newton_starts_with_the_whole_model_where_nearly_all_violate(
    fraction, whole_first, monkeypatch
):
    """On data of more rows than features, a zero start where at least
    ``WHOLE_START_SHARE`` of the features violate (a weak penalty: a dense
    solution) takes the whole model at once, one iteration; where few
    violate (a strong penalty), working sets first. Both are Lasso's."""
    rng = np.random.default_rng(5)
    n, d = 700, 400
    X = rng.standard_normal((n, d))
    X[:, 1:] = 0.7 * X[:, :-1] + 0.7 * X[:, 1:]
    y = X @ rng.standard_normal(d) + 1.0 + rng.standard_normal(n)
    sizes, share, _ = _working_sets_of_a_lasso(monkeypatch, X, y, fraction)
    assert (share >= _prox_newton.WHOLE_START_SHARE) == whole_first
    assert (sizes == [d]) == whole_first


@pytest.mark.parametrize("tol", [1e-2, 1e-4])
def test_prox_newton_finishes_a_quadratic_whole_model_exactly(tol):
    """A weak lasso on data of more rows than features takes the whole model
    at once, which is the objective: its search goes past ``tol`` on to the
    rounding floor (feature-sign's on the Gram matrix), the exact answer
    whatever ``tol``, that of feature-sign search at tol=1e-13. A path's
    fits (``finish=False``) stop at ``tol``: at 1e-2 well above the
    optimum."""
    X, y, s, alpha_max = _tall_neighbours()
    n, d = X.shape
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    pen = WithIntercept(L1(1e-3 * alpha_max))
    theta0 = np.zeros((d + 1, 1))
    cold = _optimality(f, pen, theta0)
    res = prox_newton(f, pen, theta0, max_iter=100, tol=tol * cold)
    gram = QuadraticDatafit.from_data(X, y[:, None], s, fit_intercept=True)
    exact = optimize.feature_sign(gram, pen, theta0, max_iter=5000, tol=1e-13)
    assert res.converged and res.n_iter == 1
    best = _objective(f, pen, exact.coef)
    assert _objective(f, pen, res.coef) <= best + 1e-14 * abs(best)
    np.testing.assert_allclose(res.coef, exact.coef, rtol=1e-9, atol=1e-12)
    stopped = prox_newton(f, pen, theta0, max_iter=100, tol=tol * cold, finish=False)
    assert stopped.converged and stopped.n_iter == 1
    if tol == 1e-2:
        assert _objective(f, pen, stopped.coef) > best + 1e-6 * abs(best)


def test_prox_newton_solves_models_of_up_to_twice_the_rows_exactly(monkeypatch):
    """On wide data at a weak penalty (as many non-zeros as about half the
    rows, working sets of more): models of more than EXACT_MAX_SIZE (here
    60) coordinates but at most twice the rows are solved by the exact
    search, never by the sweeps; the optimum is Lasso's."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(4)
    n, d = 150, 600
    X = rng.standard_normal((n, d))
    X[:, 1:] = 0.8 * X[:, :-1] + 0.6 * X[:, 1:]
    y = X[:, :40] @ rng.standard_normal(40) + rng.standard_normal(n)
    s = np.full(n, 1 / n)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    alpha = 3e-3 * np.abs((X - X.mean(axis=0)).T @ (y - y.mean())).max() / n
    monkeypatch.setattr(_prox_newton, "EXACT_MAX_SIZE", 60)
    sizes, sweeps = [], []
    original, sweep = _prox_newton._exact_model, _prox_newton._sweeps

    def spy(hess, *args):
        sizes.append(len(hess))
        return original(hess, *args)

    def spy_sweeps(*args):
        sweeps.append(1)
        return sweep(*args)

    monkeypatch.setattr(_prox_newton, "_exact_model", spy)
    monkeypatch.setattr(_prox_newton, "_sweeps", spy_sweeps)
    res = prox_newton(
        f, WithIntercept(L1(alpha)), np.zeros((d + 1, 1)), max_iter=200, tol=1e-9
    )
    assert res.converged and not sweeps and 60 < max(sizes) - 1 <= 2 * n
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
    assert np.count_nonzero(ref.coef_) > 60
    np.testing.assert_allclose(res.coef[:d, 0], ref.coef_, atol=1e-6)


def test_signs_search_on_the_rows_factor_keeps_the_cholesky_factor(monkeypatch):
    """On a LowRank matrix (fewer rows than features) the active sets of more
    than FACTOR_MIN_SIZE features, up to twice the rows, take their solves
    from the kept factor, its rows from the kept Gram entries: the same
    optimum as the LU searches."""
    rng = np.random.default_rng(9)
    m, d = 300, 1200
    B = rng.standard_normal((m, d))
    B[:, 1:] = 0.8 * B[:, :-1] + 0.6 * B[:, 1:]
    B /= np.sqrt(m)
    q = B.T @ rng.standard_normal(m)
    l1 = 2e-3 * np.abs(q).max()
    scale = np.sqrt(np.einsum("ij,ij->j", B, B))
    H, smallest = _gram_solves.LowRank(B, 0.0), _gram_solves.FACTOR_MIN_SIZE
    w, w_lu, sizes = _factor_and_lu_searches(H, q, l1, scale, 1e-10, monkeypatch)
    assert smallest < max(sizes) <= 2 * m

    def F(w):
        Bw = B @ w
        return 0.5 * Bw @ Bw - q @ w + l1 * np.abs(w).sum()

    assert abs(F(w) - F(w_lu)) <= 1e-12 * abs(F(w_lu))
    np.testing.assert_allclose(w, w_lu, atol=1e-8)
