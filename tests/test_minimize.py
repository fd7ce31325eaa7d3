"""The solver table: every (loss, penalty, storage, targets) case that
``minimize`` claims is solved by each method it lists for it, to the same
objective; "auto" picks the documented row; a method that cannot solve a case
says what it needs; the one callback hook sees every iteration."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_foundations.datafits import LinearDatafit, QuadraticDatafit
from sklearn_foundations.losses import (
    BinomialLogLoss,
    HalfPoissonDeviance,
    HalfSquaredError,
    Huber,
    MultinomialLogLoss,
    SquaredEpsilonInsensitive,
)
from sklearn_foundations.optimize import (
    METHODS,
    IterationState,
    methods_for,
    minimize,
    screening_pays,
)
from sklearn_foundations.penalties import L2, ElasticNet, WithIntercept

LOSSES = {
    "squared": HalfSquaredError,
    "huber": lambda: Huber(epsilon=0.5),
    "eps-insensitive": lambda: SquaredEpsilonInsensitive(epsilon=0.1),
    "poisson": HalfPoissonDeviance,
    "binomial": BinomialLogLoss,
    "multinomial": MultinomialLogLoss,
}
PENALTIES = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.5}
STORAGES = ["dense", "sparse", "gram"]


def _problem(loss_name, storage, n_targets, seed=0):
    rng = np.random.default_rng(seed)
    n, d = (20, 60) if storage == "wide" else (80, 5)  # wide: dense, n < d
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.3] = 0.0  # zeros, so that CSR is sparse
    w = rng.standard_normal((d, n_targets))
    z = X @ w
    if loss_name == "poisson":
        y = rng.poisson(np.exp(0.3 * z)).astype(float)
    elif loss_name == "binomial":
        y = (z[:, :1] + rng.standard_normal((n, 1)) > 0).astype(float)
    elif loss_name == "multinomial":
        z3 = X @ rng.standard_normal((d, 3)) + rng.standard_normal((n, 3))
        y = np.eye(3)[z3.argmax(axis=1)]
    else:
        y = z + 0.5 * rng.standard_normal((n, n_targets))
    s = rng.uniform(0.5, 2.0, n)
    s /= s.sum()
    if storage == "gram":
        return QuadraticDatafit.from_data(X, y, s, fit_intercept=True)
    X = sp.csr_matrix(X) if storage == "sparse" else X
    x_mean = np.asarray(X.T @ s).ravel()
    return LinearDatafit(LOSSES[loss_name](), X, y, s, x_mean, fit_intercept=True)


def _cases():
    for loss, pen, storage, k in itertools.product(LOSSES, PENALTIES, STORAGES, (1, 2)):
        if storage == "gram" and loss != "squared":
            continue  # the Gram form is the squared error's
        if k == 2 and loss in ("binomial", "multinomial"):
            continue  # the labels fix the number of outputs
        yield loss, pen, storage, k


CASES = list(_cases())


def _objective(datafit, penalty, theta):
    return datafit.value(theta, datafit.linear(theta)) + penalty.value(theta)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_every_method_listed_for_a_case_solves_it(case):
    loss, pen, storage, k = case
    datafit = _problem(loss, storage, k)
    penalty = WithIntercept(ElasticNet(0.05, PENALTIES[pen]))
    methods = methods_for(datafit, penalty)
    assert "fista" in methods  # the method of every case
    theta0 = np.zeros((datafit.n_features + 1, datafit.n_targets))
    values = {}
    for method in methods:
        res = minimize(
            datafit, penalty, theta0, method=method, tol=1e-7, max_iter=50_000,
            random_state=0,
        )  # fmt: skip
        assert res.method == method
        assert res.converged, (method, res.n_iter, res.optimality)
        values[method] = _objective(datafit, penalty, res.coef)
    best = min(values.values())
    for method, value in values.items():
        assert value - best <= 1e-8 * abs(best), (method, values)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_a_method_not_listed_says_what_it_needs(case):
    loss, pen, storage, k = case
    datafit = _problem(loss, storage, k)
    penalty = WithIntercept(ElasticNet(0.05, PENALTIES[pen]))
    theta0 = np.zeros((datafit.n_features + 1, datafit.n_targets))
    listed = methods_for(datafit, penalty, stochastic=True)
    for method in set(METHODS) - set(listed):
        with pytest.raises(ValueError, match=f"method='{method}' needs .*; use"):
            minimize(datafit, penalty, theta0, method=method)


@pytest.mark.parametrize(
    "loss, pen, storage, k, expected",
    [
        ("squared", "l2", "dense", 1, "cg"),
        ("squared", "l2", "gram", 1, "newton-cholesky"),
        ("squared", "l2", "gram", 2, "newton-cholesky"),
        ("squared", "l1", "gram", 1, "feature-sign"),
        ("squared", "l1", "gram", 2, "feature-sign"),
        ("squared", "l1", "dense", 1, "prox-newton"),
        ("squared", "l1", "wide", 1, "feature-sign"),
        ("squared", "elasticnet", "wide", 2, "dual-newton"),
        ("binomial", "l1", "wide", 1, "prox-newton"),
        ("squared", "l1", "sparse", 2, "prox-newton"),
        ("huber", "l1", "dense", 2, "fista"),
        ("poisson", "l2", "dense", 1, "newton-cg"),
        ("poisson", "elasticnet", "sparse", 1, "prox-newton"),
        ("binomial", "l1", "dense", 1, "prox-newton"),
        ("multinomial", "l2", "dense", 3, "newton-cg"),
        ("multinomial", "l1", "sparse", 3, "coupled-newton"),
        ("huber", "l2", "dense", 1, "newton-cg"),
        ("huber", "elasticnet", "dense", 2, "prox-newton"),
        ("huber", "l2", "wide", 1, "fista"),
        ("huber", "elasticnet", "sparse", 1, "prox-newton"),
    ],
)
def test_auto_takes_the_documented_row(loss, pen, storage, k, expected):
    datafit = _problem(loss, storage, min(k, 2))
    penalty = WithIntercept(ElasticNet(0.05, PENALTIES[pen]))
    theta0 = np.zeros((datafit.n_features + 1, datafit.n_targets))
    res = minimize(datafit, penalty, theta0, tol=1e-8, max_iter=10_000)
    assert res.method == expected and res.converged


@pytest.mark.parametrize("d, k", [(600, 1), (300, 2), (600, 2)])
@pytest.mark.parametrize("l2", [0.0, 1e-6])
def test_auto_factors_a_gram_matrix_of_up_to_1000_rows(d, k, l2):
    """The Cholesky row takes a Gram matrix of up to 1,000 rows over all
    targets (one block per target): the ridge exactly, and without a penalty
    the least-norm minimizer of each target (the pseudo-inverse's) where the
    matrix is singular, where conjugate gradient scaled by the columns stops
    at ``tol`` (and, singular, at the least norm of the standardized
    coefficients); beyond, conjugate gradient."""
    rng = np.random.default_rng(3)
    B = rng.standard_normal((d // 2, d)) * rng.uniform(0.1, 10.0, d)
    G = B.T @ B / d  # rank d / 2, columns of different scales
    q = G @ rng.standard_normal((d, k))
    datafit = QuadraticDatafit(G, q, None, 0.0, fit_intercept=False)
    theta0 = np.zeros((d, k))
    res = minimize(datafit, ElasticNet(l2, 0.0), theta0, tol=1e-4)
    if d * k > 1000:
        assert res.method == "cg"
        return
    assert res.method == "newton-cholesky"
    if l2 == 0:
        expected = np.linalg.pinv(G, rcond=1e-10, hermitian=True) @ q
    else:
        expected = np.linalg.solve(G + l2 * np.eye(d), q)
    np.testing.assert_allclose(
        res.coef, expected, rtol=0, atol=1e-7 * abs(expected).max()
    )


def _wide(sparse, k, rng):
    """A wide squared-error datafit: 40 rows (5 of zero weight), 120
    columns of different scales and non-zero means."""
    n, d = 40, 120
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10.0, d) + 3.0
    if sparse:
        X[rng.random((n, d)) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    y = np.asarray(X @ rng.standard_normal((d, k))) + rng.standard_normal((n, k))
    s = rng.uniform(0.5, 2.0, n)
    s[:5] = 0.0
    s /= s.sum()
    x_mean = np.asarray(X.T @ s).ravel()
    datafit = LinearDatafit(LOSSES["squared"](), X, y, s, x_mean, fit_intercept=True)
    return datafit, np.asarray(X[5:].todense() if sparse else X[5:]), y[5:], s[5:]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("l2", [0.0, 1e-6, 0.1])
def test_auto_solves_a_wide_quadratic_in_its_kernel_form(sparse, k, l2):
    """Fewer rows than features: one solve of the rows' kernel matrix, the
    ridge's closed form to rounding whatever ``tol`` (conjugate gradient
    stops at ``tol``: far from it under a small L2 term), and for no
    penalty the least-norm interpolant, the pseudo-inverse's; rows of zero
    weight left out."""
    datafit, X, y, s = _wide(sparse, k, np.random.default_rng(4))
    penalty = WithIntercept(ElasticNet(l2, 0.0))
    theta0 = np.zeros((X.shape[1] + 1, k))
    res = minimize(datafit, penalty, theta0, tol=1e-4)
    assert res.method == "kernel-cholesky" and res.converged and res.n_iter == 1
    m = np.average(X, axis=0, weights=s)
    B = np.sqrt(s)[:, None] * (X - m)
    T = np.sqrt(s)[:, None] * (y - s @ y / s.sum())
    U, sigma, Vt = np.linalg.svd(B, full_matrices=False)  # the closed form
    keep = sigma > 1e-10 * sigma[0]
    shrink = sigma[keep] / (sigma[keep] ** 2 + l2)
    W = Vt[keep].T @ (shrink[:, None] * (U[:, keep].T @ T))
    np.testing.assert_allclose(res.coef[:-1], W, rtol=0, atol=1e-10 * abs(W).max())
    np.testing.assert_allclose(res.coef[-1], s @ y / s.sum(), rtol=1e-12)


def test_a_kernel_solve_short_of_tol_goes_on_with_cgls():
    """Under "auto" a kernel solve that does not meet ``tol`` (here 0)
    hands its point to conjugate gradient in the row space."""
    datafit, X, *_ = _wide(False, 1, np.random.default_rng(5))
    penalty = WithIntercept(ElasticNet(0.1, 0.0))
    theta0 = np.zeros((X.shape[1] + 1, 1))
    direct = minimize(datafit, penalty, theta0, method="kernel-cholesky", tol=0.0)
    assert direct.method == "kernel-cholesky" and not direct.converged
    res = minimize(datafit, penalty, theta0, tol=0.0, max_iter=3)
    assert res.method == "cgls"
    np.testing.assert_allclose(res.coef, direct.coef, rtol=1e-9, atol=1e-12)


def test_the_kernel_form_is_the_squared_errors_on_few_rows():
    datafit = _problem("poisson", "dense", 1)
    with pytest.raises(ValueError, match="kernel form is the squared error's"):
        datafit.kernel_form()
    penalty = WithIntercept(ElasticNet(0.1, 0.0))
    with pytest.raises(ValueError, match="method='kernel-cholesky' needs a quadratic"):
        minimize(datafit, penalty, np.zeros((6, 1)), method="kernel-cholesky")
    X = np.random.default_rng(0).standard_normal((1001, 3))
    tall = LinearDatafit(LOSSES["squared"](), X, X[:, :1], np.full(1001, 1 / 1001))
    with pytest.raises(ValueError, match="at most 1000 rows"):
        minimize(tall, ElasticNet(0.1, 0.0), np.zeros((3, 1)), method="kernel-cholesky")


def test_step_makes_the_constant_step_method_solve_poisson():
    datafit = _problem("poisson", "dense", 1)
    penalty = WithIntercept(ElasticNet(0.05, 0.0))
    theta0 = np.zeros((6, 1))
    assert "gradient" not in methods_for(datafit, penalty)
    with pytest.raises(ValueError, match="needs a step"):
        minimize(datafit, penalty, theta0, method="gradient")
    ref = minimize(datafit, penalty, theta0, tol=1e-10)
    res = minimize(
        datafit, penalty, theta0, method="gradient", step=0.1, tol=1e-8,
        max_iter=100_000,
    )  # fmt: skip
    np.testing.assert_allclose(res.coef, ref.coef, atol=1e-6)


@pytest.mark.parametrize(
    "method", ["cg", "feature-sign", "newton-cg", "lbfgs", "fista", "backtracking"]
)
def test_callback_sees_every_iteration_and_can_stop(method):
    datafit = _problem("squared", "gram", 1)
    penalty = WithIntercept(ElasticNet(0.05, 0.5 if method != "cg" else 0.0))
    if method in ("newton-cg", "lbfgs"):
        penalty = WithIntercept(ElasticNet(0.05, 0.0))
    theta0 = np.zeros((6, 1))
    states = []
    res = minimize(datafit, penalty, theta0, method=method, tol=1e-10,
                   max_iter=10_000, callback=states.append)  # fmt: skip
    assert len(states) == res.n_iter == len(res.objective) > 0
    assert all(isinstance(st, IterationState) for st in states)
    assert [st.iteration for st in states] == list(range(1, res.n_iter + 1))
    assert [st.objective for st in states] == res.objective
    for st in states:  # the state's objective is that of its iterate
        assert st.objective == pytest.approx(
            _objective(datafit, penalty, st.theta), rel=1e-10, abs=1e-12
        )
    np.testing.assert_array_equal(states[-1].theta, res.coef)
    if res.n_iter > 1:  # a callback that returns True stops after that iteration
        stopped = minimize(datafit, penalty, theta0, method=method, tol=1e-10,
                           max_iter=10_000, callback=lambda st: st.iteration == 1)  # fmt: skip
        assert stopped.stopped and stopped.n_iter == 1 and not stopped.converged


def test_unknown_method_is_named():
    datafit = _problem("squared", "dense", 1)
    with pytest.raises(ValueError, match="Unknown method='newton'"):
        minimize(datafit, ElasticNet(0.1, 0.0), np.zeros((6, 1)), method="newton")


@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_newton_cholesky_takes_least_norm_steps_where_the_hessian_is_singular(storage):
    # a column repeated and no L2 term: the Hessian is singular; the steps
    # are the least-norm ones, which share the weight equally
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4))
    X = np.column_stack([X, X[:, 0]])
    y = (X[:, :1] + rng.standard_normal((120, 1)) > 0).astype(float)
    X = sp.csr_matrix(X) if storage == "sparse" else X
    s = np.full(120, 1 / 120)
    datafit = LinearDatafit(
        LOSSES["binomial"](), X, y, s, np.asarray(X.T @ s).ravel(), fit_intercept=True
    )
    penalty = WithIntercept(ElasticNet(0.0, 0.0))
    theta0 = np.zeros((6, 1))
    res = minimize(datafit, penalty, theta0, method="newton-cholesky", tol=1e-10)
    ref = minimize(datafit, penalty, theta0, method="newton-cg", tol=1e-10)
    assert res.converged and ref.converged
    assert _objective(datafit, penalty, res.coef) == pytest.approx(
        _objective(datafit, penalty, ref.coef), rel=1e-12
    )
    # the two copies share the weight of one column, in equal parts
    np.testing.assert_allclose(res.coef[0] + res.coef[4], ref.coef[0] + ref.coef[4])
    np.testing.assert_allclose(res.coef[0], res.coef[4], rtol=1e-10)


@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_newton_cg_turns_to_cholesky_steps_where_conjugate_gradient_crawls(storage):
    # breast cancer at a tiny penalty: nearly separable, CG needs many products
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X = sp.csc_matrix(X) if storage == "sparse" else X
    s = np.full(len(y), 1 / len(y))
    datafit = LinearDatafit(
        LOSSES["binomial"](), X, y[:, None].astype(float), s,
        np.asarray(X.T @ s).ravel(), True,
    )  # fmt: skip
    penalty = WithIntercept(ElasticNet(1e-5, 0.0))
    theta0 = np.zeros((31, 1))
    auto = minimize(datafit, penalty, theta0, tol=1e-10, max_iter=500)
    cg = minimize(datafit, penalty, theta0, tol=1e-10, max_iter=500, direct_after=None)
    assert auto.method == cg.method == "newton-cg"
    assert auto.direct and not cg.direct and auto.converged and cg.converged
    assert auto.n_iter <= cg.n_iter
    assert _objective(datafit, penalty, auto.coef) == pytest.approx(
        _objective(datafit, penalty, cg.coef), rel=1e-12
    )


def _spy(datafit, name):
    """Count the calls of one of ``datafit``'s methods."""
    calls, method = [], getattr(datafit, name)

    def spied(*args):
        calls.append(1)
        return method(*args)

    setattr(datafit, name, spied)
    return calls


def _spy_products(datafit):
    """Count the Hessian products, made through ``hessian_at``'s functions."""
    calls, at = [], datafit.hessian_at

    def spied_at(Z):
        product = at(Z)

        def spied(*args):
            calls.append(1)
            return product(*args)

        return spied

    datafit.hessian_at = spied_at
    return calls


def _logistic_problem(n=3000, d=80, seed=0):
    # at least NEWTON_REUSE_MIN_FEATURES: the table keeps the Hessian's factor
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d)  # unscaled columns
    y = (X @ rng.standard_normal(d) / 5 + rng.logistic(size=n) > 0).astype(float)
    s = np.full(n, 1 / n)
    return LinearDatafit(LOSSES["binomial"](), X, y[:, None], s, X.T @ s, True)


def test_newton_cg_on_dense_data_forms_few_hessians():
    # the last Hessian's factor preconditions the next steps: conjugate
    # gradient on it converges in a product or two, a new Hessian only where
    # the curvature has moved (the first iterations, away from zero)
    datafit = _logistic_problem()
    formed = _spy(datafit, "model_hessian")
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    theta0 = np.zeros((81, 1))
    res = minimize(datafit, penalty, theta0, tol=1e-10, direct_after=0)
    assert res.method == "newton-cg" and res.direct and res.converged
    n_formed = len(formed)
    assert 1 <= n_formed <= res.n_iter // 2
    exact = minimize(datafit, penalty, theta0, method="newton-cholesky", tol=1e-10)
    assert len(formed) == n_formed + exact.n_iter  # one per Newton-Cholesky step
    assert res.n_iter <= exact.n_iter + 1
    assert _objective(datafit, penalty, res.coef) == pytest.approx(
        _objective(datafit, penalty, exact.coef), rel=1e-13
    )
    np.testing.assert_allclose(res.coef, exact.coef, rtol=1e-6, atol=1e-8)


def test_newton_cg_warm_start_reuses_the_last_state_and_hessian():
    # a path's next point (stopping at tol, as a path's fits do): no pass to
    # begin (start) and no Hessian formed (the last point's preconditions),
    # the same optimum as a cold fit
    datafit = _logistic_problem()
    theta0 = np.zeros((81, 1))
    last = minimize(datafit, WithIntercept(ElasticNet(2e-3, 0.0)), theta0, tol=1e-10)
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    formed, passes = _spy(datafit, "model_hessian"), _spy(datafit, "gradient")
    warm = minimize(datafit, penalty, last.coef, tol=1e-10, start=last.state,
                    hessian=last.hessian, finish=False)  # fmt: skip
    assert warm.converged and len(formed) == 0 and len(passes) == warm.n_iter
    cold = minimize(datafit, penalty, theta0, method="newton-cholesky", tol=1e-10)
    assert _objective(datafit, penalty, warm.coef) == pytest.approx(
        _objective(datafit, penalty, cold.coef), rel=1e-13
    )
    np.testing.assert_allclose(warm.coef, cold.coef, rtol=1e-6, atol=1e-8)
    # the state is the datafit's at the coefficients
    Z, value, gradient = warm.state
    np.testing.assert_allclose(Z, datafit.linear(warm.coef), rtol=1e-12, atol=1e-12)
    assert value == pytest.approx(datafit.value(warm.coef, Z), rel=1e-12)
    np.testing.assert_allclose(gradient, datafit.gradient(warm.coef, Z), atol=1e-15)


def test_newton_cg_on_few_features_forms_a_hessian_every_step():
    # below NEWTON_REUSE_MIN_FEATURES a Hessian costs about a product: the
    # table's steps are Newton-Cholesky's, the same iterates
    datafit = _logistic_problem(d=20)
    formed = _spy(datafit, "model_hessian")
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    res = minimize(datafit, penalty, np.zeros((21, 1)), tol=1e-10, direct_after=0)
    assert res.method == "newton-cg" and res.direct and len(formed) == res.n_iter
    exact = minimize(datafit, penalty, np.zeros((21, 1)), method="newton-cholesky",
                     tol=1e-10)  # fmt: skip
    assert exact.n_iter == res.n_iter
    np.testing.assert_allclose(res.coef, exact.coef, rtol=1e-12, atol=1e-14)


def test_newton_cg_turns_to_the_hessian_once_its_products_add_up():
    # well conditioned: no step needs more than direct_after products, but
    # a fit whose products add up to four times that turns to the Hessian
    datafit = _logistic_problem()
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    theta0 = np.zeros((81, 1))
    products = _spy_products(datafit)
    cg = minimize(datafit, penalty, theta0, tol=1e-10, direct_after=1000)
    assert not cg.direct and len(products) > 4 * 6
    n_cg = len(products)
    auto = minimize(datafit, penalty, theta0, tol=1e-10, direct_after=6)
    assert auto.direct and len(products) - n_cg < n_cg
    assert _objective(datafit, penalty, auto.coef) == pytest.approx(
        _objective(datafit, penalty, cg.coef), rel=1e-13
    )


def test_newton_cg_takes_the_hessians_steps_from_the_start_on_a_small_problem():
    # up to SMALL_HESSIAN_FLOPS (n d^2) forming the Hessian costs about two
    # products at most: the table's Newton-CG forms it at every step, no
    # conjugate gradient, to the objective of conjugate gradient's steps
    from sklearn_foundations.optimize._minimize import (
        SMALL_HESSIAN_FLOPS,
        _hessian_cost,
    )

    assert _hessian_cost(569, 30) == 0 and 569 * 30**2 <= SMALL_HESSIAN_FLOPS
    assert _hessian_cost(2_000, 30) > 0
    datafit = _logistic_problem(n=600, d=20)
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    theta0 = np.zeros((21, 1))
    products = _spy_products(datafit)
    auto = minimize(datafit, penalty, theta0, tol=1e-10)
    assert auto.method == "newton-cg" and auto.direct and not products
    cg = minimize(datafit, penalty, theta0, tol=1e-10, direct_after=None)
    assert not cg.direct and products
    assert _objective(datafit, penalty, auto.coef) == pytest.approx(
        _objective(datafit, penalty, cg.coef), rel=1e-13
    )


def test_minimize_path_starts_on_the_hessian_where_the_table_allows():
    datafit = _logistic_problem()
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    theta0 = np.zeros((81, 1))
    first = minimize(datafit, penalty, theta0, tol=1e-10, path=True)
    same = minimize(datafit, penalty, theta0, tol=1e-10, direct_after=0)
    assert first.method == "newton-cg" and first.direct
    np.testing.assert_array_equal(first.coef, same.coef)
    # several targets (no formed Hessian): path=True changes nothing
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 5))
    Y = np.eye(3)[rng.integers(0, 3, 300)]
    s = np.full(300, 1 / 300)
    softmax = LinearDatafit(LOSSES["multinomial"](), X, Y, s, X.T @ s, True)
    theta0 = np.zeros((6, 3))
    a = minimize(softmax, penalty, theta0, tol=1e-10, path=True)
    b = minimize(softmax, penalty, theta0, tol=1e-10)
    assert not a.direct and a.n_iter == b.n_iter
    np.testing.assert_array_equal(a.coef, b.coef)


@pytest.mark.parametrize("ws", [[0, 1, 2, 3, 4], [1, 3]])
def test_the_gram_form_model_hessian_is_the_data_form_one(ws):
    # the squared error's Hessian from the Gram matrix is the one formed from
    # the data (A^T S A, A = [X_c, 1]), on any working set
    gram = _problem("squared", "gram", 1)
    data = _problem("squared", "dense", 1)
    theta = np.zeros((6, 1))
    H_gram = gram.model_hessian(gram.linear(theta), np.array(ws))
    H_data = data.model_hessian(data.linear(theta), np.array(ws))
    np.testing.assert_allclose(H_gram, H_data, rtol=1e-12, atol=1e-14)


def test_a_ridge_on_the_gram_matrix_is_one_newton_step():
    # the table's direct solve: the normal equations' solution in one step
    datafit = _problem("squared", "gram", 1)
    alpha = 0.05
    penalty = WithIntercept(ElasticNet(alpha, 0.0))
    theta0 = np.zeros((6, 1))
    res = minimize(datafit, penalty, theta0, tol=1e-10)
    G, q, _ = datafit.gram_form()
    w = np.linalg.solve(G + alpha * np.eye(5), q)
    assert res.method == "newton-cholesky" and res.n_iter == 1
    np.testing.assert_allclose(res.coef[:5], w, rtol=1e-12)
    np.testing.assert_allclose(res.coef[5], datafit.y_mean, rtol=1e-12)


def test_newton_cg_sums_the_step_image_from_its_products():
    # A delta = sum_i eta_i A p_i: conjugate gradient's products already pass
    # over X for each A p_i, so a step costs no pass of its own; the iterates
    # and the state's predictor are those of the step's own pass
    datafit = _logistic_problem()
    penalty = WithIntercept(ElasticNet(1e-3, 0.0))
    theta0 = np.zeros((81, 1))
    linear, products = _spy(datafit, "linear"), _spy_products(datafit)
    res = minimize(datafit, penalty, theta0, method="newton-cg", tol=1e-10,
                   direct_after=None)  # fmt: skip
    assert res.converged and not res.direct
    # one image per product, the start's (at zero: no pass) and nothing else
    assert len(linear) == len(products) + 1
    Z = res.state[0]
    np.testing.assert_allclose(Z, datafit.linear(res.coef), rtol=1e-10, atol=1e-12)
    exact = minimize(datafit, penalty, theta0, method="newton-cholesky", tol=1e-10)
    assert _objective(datafit, penalty, res.coef) == pytest.approx(
        _objective(datafit, penalty, exact.coef), rel=1e-13
    )


def test_forcing_term_follows_the_steps_progress():
    # the square root of the gradient's norm, but no tighter than the last
    # step's ratio squared (Eisenstat and Walker); at most 1/2
    from sklearn_foundations.optimize._newton import _forcing

    assert _forcing(1e-6) == pytest.approx(1e-3)
    assert _forcing(1e-6, last=1e-3) == pytest.approx(1e-3)  # fast progress
    assert _forcing(1e-6, last=2e-6) == pytest.approx(0.9 * 0.25)  # linear
    assert _forcing(1e-6, last=1e-6) == 0.5 and _forcing(9.0) == 0.5
    assert _forcing(1e-10, last=1e-300) == 0.5  # a ratio past the floats' range


def _separated_softmax(n=600, d=20, k=4, seed=0):
    """Well separated classes: near the optimum of a weak penalty the loss
    falls like exp(-margin), and full Newton steps only halve the gradient."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(k, size=n)
    X = 2.0 * rng.standard_normal((k, d))[labels] + rng.standard_normal((n, d))
    s = np.full(n, 1 / n)
    return LinearDatafit(MultinomialLogLoss(), X, np.eye(k)[labels], s, X.T @ s, True)


def test_newton_cg_solves_no_tighter_than_its_steps_progress(monkeypatch):
    # on the softmax near separation the steps converge linearly: conjugate
    # gradient solved to sqrt(||grad||) spent its products for nothing
    import sklearn_foundations.optimize._newton as newton

    penalty = WithIntercept(ElasticNet(1e-5, 0.0))
    theta0 = np.zeros((21, 4))
    runs = {}
    for rule in ["adaptive", "fixed"]:
        if rule == "fixed":
            monkeypatch.setattr(
                newton, "_forcing", lambda norm, last=None: min(0.5, norm**0.5)
            )
        datafit = _separated_softmax()
        products = _spy_products(datafit)
        res = minimize(datafit, penalty, theta0, method="newton-cg", tol=1e-8)
        assert res.converged
        runs[rule] = (len(products), res.n_iter, _objective(datafit, penalty, res.coef))
    (adaptive, steps, value), (fixed, fixed_steps, fixed_value) = runs.values()
    assert adaptive <= 0.75 * fixed and steps <= fixed_steps + 1
    assert value == pytest.approx(fixed_value, rel=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
def test_newton_cg_turns_to_the_hessian_sooner_where_forming_it_runs_on_threads(
    monkeypatch, threads
):
    # forming the Hessian costs about d / 16 products on one thread, half
    # that where gram_matrix splits the rows over two: the table's
    # direct_after follows (a large pass only; a small one stays on one)
    import sklearn_foundations._products as _products
    from sklearn_foundations.optimize._minimize import _hessian_cost

    monkeypatch.setattr(_products, "n_threads", lambda: threads)
    assert _hessian_cost(100_000, 100) == (6 if threads == 1 else 3)
    assert _hessian_cost(10_000, 100) == 6  # n d^2 = 1e8: one thread
    assert _hessian_cost(100_000, 30) == 4  # few columns: one thread, at least 4
    assert _hessian_cost(None, 100) == 6  # no row count: no rows to split


@pytest.mark.parametrize("method", ["cg", "newton-cg", "feature-sign", "fista", "auto"])
@pytest.mark.parametrize("with_value", [True, False])
def test_a_known_start_is_the_same_fit(method, with_value):
    # start=(Z, value, gradient) at theta0 (the value None: computed where
    # needed): the same iterates as evaluating it (the methods of
    # TAKES_START), ignored by the others
    storage = "gram" if method == "feature-sign" else "dense"
    datafit = _problem("squared", storage, 1)
    l1 = 0.5 if method in ("feature-sign", "fista") else 0.0
    penalty = WithIntercept(ElasticNet(0.05, l1))
    theta0 = np.zeros((6, 1))
    theta0[-1] = 0.3
    Z = datafit.linear(theta0)
    value = datafit.value(theta0, Z) if with_value else None
    start = (Z, value, datafit.gradient(theta0, Z))
    common = dict(method=method, tol=1e-10, random_state=0)
    plain = minimize(datafit, penalty, theta0, **common)
    known = minimize(datafit, penalty, theta0, start=start, **common)
    assert known.n_iter == plain.n_iter
    np.testing.assert_array_equal(known.coef, plain.coef)


@pytest.mark.parametrize(
    "l1_ratio, method", [(1.0, "feature-sign"), (0.5, "dual-newton")]
)
def test_the_rows_factor_is_taken_up_to_its_size(monkeypatch, l1_ratio, method):
    """Wide dense data take feature-sign search (the lasso) or dual Newton
    (an elastic net) on the rows' factor, a float64 copy of the rows: beyond
    FACTOR_MAX_ENTRIES entries proximal Newton, which copies no more than its
    working sets' columns."""
    from sklearn_foundations.optimize import _minimize

    datafit = _problem("squared", "wide", 1)  # 20 x 60
    penalty = WithIntercept(ElasticNet(0.05, l1_ratio))
    theta0 = np.zeros((61, 1))
    assert minimize(datafit, penalty, theta0, tol=1e-8).method == method
    monkeypatch.setattr(_minimize, "FACTOR_MAX_ENTRIES", 20 * 60 - 1)
    res = minimize(datafit, penalty, theta0, tol=1e-8)
    assert res.method == "prox-newton" and res.converged


@pytest.mark.parametrize(
    "rows, l1_ratio, expected",
    [
        (20, 0.9, "dual-newton"),  # an L2 share of at least 0.1
        (20, 0.99, "feature-sign"),  # near the lasso: the primal's active sets
        (20, 1.0, "feature-sign"),  # the lasso: no dual of this form
        (30, 0.5, "dual-newton"),
        (30, 0.99, "prox-newton"),  # above FEATURE_SIGN_MAX_ROWS
        (41, 0.5, "prox-newton"),  # beyond DUAL_NEWTON_MAX_ROWS
    ],
)
def test_dual_newton_takes_wide_elastic_nets(monkeypatch, rows, l1_ratio, expected):
    """Dual Newton's row of the table, its limits scaled down: wide dense
    data, an L2 term of at least DUAL_NEWTON_MIN_L2_SHARE of the penalty, at
    most DUAL_NEWTON_MAX_ROWS rows."""
    from sklearn_foundations.optimize import _minimize

    monkeypatch.setattr(_minimize, "FEATURE_SIGN_MAX_ROWS", 25)
    monkeypatch.setattr(_minimize, "DUAL_NEWTON_MAX_ROWS", 40)
    rng = np.random.default_rng(rows)
    X = rng.standard_normal((rows, 60))
    y = X @ rng.standard_normal((60, 1)) + rng.standard_normal((rows, 1))
    s = np.full(rows, 1.0 / rows)
    datafit = LinearDatafit(HalfSquaredError(), X, y, s, s @ X, fit_intercept=True)
    penalty = WithIntercept(ElasticNet(0.05, l1_ratio))
    res = minimize(datafit, penalty, np.zeros((61, 1)), tol=1e-8)
    assert res.method == expected and res.converged


@pytest.mark.parametrize(
    "rows, kept, l1_ratio, method, pays",
    [
        (250, 400, 0.5, "auto", False),  # dual Newton on a wide kept set
        (249, 400, 0.5, "auto", True),  # too few rows: its systems are cheap
        (250, 200, 0.5, "auto", True),  # the kept set no longer wide
        (250, 400, 1.0, "auto", True),  # the lasso: no dual Newton
        (250, 400, 0.5, "fista", True),  # a named first-order method
        (250, 400, 0.5, "dual-newton", False),
    ],
)
def test_screening_pays_except_for_dual_newton_on_many_rows(
    rows, kept, l1_ratio, method, pays
):
    """A path screens its columns unless the kept ones would take a method
    whose cost is its active set's systems (``UNSCREENED``) on at least
    ``UNSCREENED_MIN_ROWS`` rows."""
    X = np.random.default_rng(0).standard_normal((rows, 600))
    s = np.full(rows, 1.0 / rows)
    f = LinearDatafit(HalfSquaredError(), X, np.ones((rows, 1)), s, s @ X, True)
    penalty = WithIntercept(ElasticNet(0.1, l1_ratio))
    assert screening_pays(f, penalty, method, n_kept=kept) is pays


def test_a_semismooth_newton_fit_that_stops_short_hands_on_to_fista():
    """Huber's loss with every residual beyond epsilon along a direction (the
    intercept, where none is within 0.1 of diabetes' raw targets at their
    mean): no curvature there, the Newton steps stop short; under "auto" FISTA
    goes on from their point to tol, the optimum of a tight FISTA fit."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    s = np.full(len(y), 1 / len(y))
    datafit = LinearDatafit(Huber(epsilon=0.1), X, y[:, None], s, s @ X, True)
    penalty = WithIntercept(L2(1e-4))
    theta0 = np.zeros((X.shape[1] + 1, 1))
    theta0[-1] = y.mean()
    newton = minimize(datafit, penalty, theta0, method="newton-cg")
    assert not newton.converged and newton.n_iter < 10
    auto = minimize(datafit, penalty, theta0)
    assert auto.method == "fista" and auto.converged
    tight = minimize(
        datafit, penalty, theta0, method="fista", tol=1e-12, max_iter=10**5
    )
    scale = np.abs(tight.coef).max()
    np.testing.assert_allclose(auto.coef, tight.coef, atol=1e-3 * scale)


@pytest.mark.parametrize(
    "rows, fraction, l1_ratio, expected",
    [
        (400, 0.1, 0.9, "prox-newton"),  # few violators at zero, little L2
        (400, 0.01, 0.1, "dual-newton"),  # most features violate, much L2
        (250, 0.1, 0.9, "dual-newton"),  # few rows: dual Newton's systems cheap
    ],
)
def test_a_cold_wide_elastic_net_of_few_violators_takes_proximal_newton(
    fit_methods, rows, fraction, l1_ratio, expected
):
    """From a cold start whose gradient is given (the estimator's), a wide
    elastic net whose violators at zero, times the L2 share, are fewer than
    DUAL_NEWTON_MIN_SUPPORT of the rows' rank (of at least
    DUAL_NEWTON_SUPPORT_MIN_ROWS) takes proximal Newton's working sets, else
    dual Newton; without the gradient, or from a warm start, dual Newton as
    before; every fit reaches scikit-learn's optimum."""
    from sklearn.linear_model import ElasticNet as SkElasticNet

    from sklearn_foundations import GradientDescentRegressor
    from sklearn_foundations.optimize import _minimize

    rng = np.random.default_rng(19)
    X = rng.standard_normal((rows, 1_000)) * np.exp(rng.uniform(-1, 1, 1_000))
    y = X[:, :30] @ rng.standard_normal(30) + rng.standard_normal(rows)
    grad = (X - X.mean(axis=0)).T @ (y - y.mean()) / rows
    alpha = fraction * np.abs(grad).max() / l1_ratio
    violators = np.count_nonzero(np.abs(grad) > alpha * l1_ratio)
    few = violators * (1 - l1_ratio) < _minimize.DUAL_NEWTON_MIN_SUPPORT * (rows - 1)
    assert few == (expected == "prox-newton" or rows < 300)
    kw = dict(alpha=alpha, l1_ratio=l1_ratio)
    est = GradientDescentRegressor(penalty="elasticnet", tol=1e-10, **kw).fit(X, y)
    assert fit_methods == [expected]
    ref = SkElasticNet(tol=1e-14, max_iter=10**6, **kw).fit(X, y)

    def objective(coef, intercept):
        r = y - X @ coef - intercept
        return 0.5 * r @ r / rows + alpha * (
            l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * coef @ coef
        )

    F, F_ref = (
        objective(est.coef_, est.intercept_),
        objective(ref.coef_, ref.intercept_),
    )
    assert F - F_ref <= 1e-10 * F_ref
    s = np.full(rows, 1 / rows)
    f = LinearDatafit(HalfSquaredError(), X, y[:, None], s, s @ X, fit_intercept=True)
    penalty = WithIntercept(ElasticNet(alpha, l1_ratio))
    theta0 = np.zeros((1_001, 1))
    assert minimize(f, penalty, theta0, tol=1e-8).method == "dual-newton"
    warm = np.r_[est.coef_, est.intercept_][:, None]
    Z = f.linear(warm)
    start = (Z, None, f.gradient(warm, Z))
    assert minimize(f, penalty, warm, tol=1e-8, start=start).method == "dual-newton"
