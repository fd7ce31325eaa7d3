"""Regularization paths: scikit-learn's paths, cold starts, alpha_max, the
strong rules and their check."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.linear_model import enet_path, lasso_path
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import GradientDescentRegressor, LogisticRegression
from sklearn_foundations.linear_model import regularization_path


def _regression(seed=0, n=300, d=30, sparse=False):
    X, y = make_regression(n, d, n_informative=8, noise=5.0, random_state=seed)
    X = X * np.random.default_rng(seed).uniform(0.1, 10.0, d) + 3.0  # scales, means
    return (sp.csr_matrix(np.where(np.abs(X - 3) < 1.0, 0.0, X)) if sparse else X), y


def _classification(n_classes):
    X, y = (load_breast_cancer if n_classes == 2 else load_iris)(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
def test_the_path_is_scikit_learns_lasso_and_enet_path(sparse, l1_ratio):
    X, y = _regression(sparse=sparse)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    path = regularization_path(X, y, l1_ratio=l1_ratio, sample_weight=w, tol=1e-10,
                               n_alphas=30)  # fmt: skip
    # scikit-learn's path centers nothing: give it the centered problem, with
    # weights summing to n (its convention for sample_weight)
    Xd = X.toarray() if sparse else X
    s = w / w.sum()
    Xc, yc = (
        (Xd - s @ Xd) * np.sqrt(s * len(y))[:, None],
        (y - s @ y) * np.sqrt(s * len(y)),
    )
    fit = lasso_path if l1_ratio == 1 else enet_path
    kwargs = {} if l1_ratio == 1 else {"l1_ratio": l1_ratio}
    _, coefs, _ = fit(Xc, yc, alphas=path.alphas, tol=1e-14, max_iter=100_000, **kwargs)
    scale = np.abs(coefs).max()
    np.testing.assert_allclose(path.coefs, coefs.T, atol=1e-7 * scale)
    intercepts = s @ y - path.coefs @ (s @ Xd)
    np.testing.assert_allclose(path.intercepts, intercepts, rtol=1e-10, atol=1e-8)


CASES = {
    "squared_error": lambda: (*_regression(), GradientDescentRegressor, "alpha"),
    "squared_error_sparse": lambda: (
        *_regression(sparse=True), GradientDescentRegressor, "alpha"
    ),
    "huber": lambda: (*_regression(), GradientDescentRegressor, "alpha"),
    "poisson": lambda: (
        _regression()[0] / 50,
        np.random.default_rng(0).poisson(np.exp(_regression()[0][:, :3] @ [0.02, -0.01, 0.03])),
        GradientDescentRegressor, "alpha",
    ),
    "log_loss": lambda: (*_classification(2), LogisticRegression, "C"),
    "log_loss_multinomial": lambda: (*_classification(3), LogisticRegression, "C"),
}  # fmt: skip


def _cold_fit(case, loss, X, y, alpha, l1_ratio, estimator):
    if estimator is LogisticRegression:
        model = LogisticRegression(
            C=1.0 / (alpha * len(y)), l1_ratio=l1_ratio, tol=1e-10, max_iter=10_000
        )
    else:
        model = GradientDescentRegressor(
            loss=loss, penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio,
            tol=1e-12, max_iter=100_000,
        )  # fmt: skip
    return model.fit(X, y).loss_curve_[-1]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_every_point_of_the_path_is_the_cold_start_fit(case, l1_ratio):
    """Warm starts and screening change no point: each objective is within
    1e-8 (relative) of a cold-start fit at that alpha."""
    X, y, estimator, _ = CASES[case]()
    loss = case.removesuffix("_sparse").removesuffix("_multinomial")
    n_alphas = 8 if case == "huber" else 12
    path = regularization_path(
        X, y, loss=loss, l1_ratio=l1_ratio, n_alphas=n_alphas, eps=1e-2, tol=1e-10,
        max_iter=100_000,
    )  # fmt: skip
    for alpha, value in zip(path.alphas[1:], path.objective[1:], strict=True):
        cold = _cold_fit(case, loss, X, y, alpha, l1_ratio, estimator)
        assert value <= cold + 1e-8 * abs(cold), (alpha, value, cold)
        assert abs(value - cold) <= 1e-8 * abs(cold), (alpha, value, cold)


@pytest.mark.parametrize("case", list(CASES))
def test_alpha_max_gives_exact_zeros_and_just_below_it_does_not(case):
    X, y, _, _ = CASES[case]()
    loss = case.removesuffix("_sparse").removesuffix("_multinomial")
    top = regularization_path(X, y, loss=loss, n_alphas=1).alpha_max
    path = regularization_path(
        X, y, loss=loss, alphas=[top, top * (1 - 1e-3)], tol=1e-10, max_iter=10_000
    )
    assert path.alphas[0] == top
    assert np.all(path.coefs[0] == 0)
    assert np.any(path.coefs[1] != 0)
    # the closed form at alpha_max is the optimum: the first-order conditions
    # of every coefficient hold with equality for the largest
    assert path.n_active[0] == 0 and path.n_active[1] >= 1


def test_the_kkt_check_puts_back_a_feature_the_strong_rule_drops():
    """A suppressor: x2 is uncorrelated with y (its gradient at zero is 0, so
    the strong rule drops it for any alpha above alpha_max / 2), yet
    y = x1 - x2 / 2 makes it active as soon as x1 enters (with var(v) = 4,
    at every alpha above 0.4 alpha_max). The check finds it and the path is
    the unscreened one."""
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(2, 2000))
    v = 2 * (v - v @ u / (u @ u) * u)  # exactly orthogonal to y = u
    X = np.column_stack([u + v, 2 * v, rng.normal(size=(2000, 30))])
    y = u
    top = regularization_path(X, y, n_alphas=1).alpha_max
    alphas = top * np.array([1.0, 0.55, 0.3])
    screened = regularization_path(X, y, alphas=alphas, tol=1e-12, precompute=False)
    full = regularization_path(
        X, y, alphas=alphas, tol=1e-12, screening=False, precompute=False
    )
    assert screened.n_kkt_violations.sum() >= 1
    assert screened.coefs[1, 1] != 0
    np.testing.assert_allclose(screened.coefs, full.coefs, rtol=1e-9, atol=1e-12)
    gram = regularization_path(X, y, alphas=alphas, tol=1e-12, precompute=True)
    assert gram.n_kkt_violations.sum() >= 1
    np.testing.assert_allclose(gram.coefs, full.coefs, rtol=1e-9, atol=1e-12)


def test_screening_fits_fewer_features_on_a_sparse_model():
    X, y = _regression(d=200, n=400)
    path = regularization_path(X, y, n_alphas=30, precompute=False)
    assert path.n_screened[1] < 20  # near alpha_max few features are fitted
    np.testing.assert_array_less(path.n_active, path.n_screened + 1)


def test_a_ridge_grid_starts_where_l1_ratio_0_001_would_zero_everything():
    X, y = _regression()
    ridge = regularization_path(X, y, l1_ratio=0.0, n_alphas=3)
    lasso = regularization_path(X, y, l1_ratio=1.0, n_alphas=3)
    assert ridge.alphas[0] == pytest.approx(lasso.alpha_max / 1e-3)
    assert np.isinf(ridge.alpha_max) and np.all(ridge.n_active == X.shape[1])


def test_multinomial_path_shapes_and_centered_intercepts():
    X, y = _classification(3)
    path = regularization_path(X, y, loss="log_loss", n_alphas=4)
    assert path.coefs.shape == (4, 3, X.shape[1])
    assert path.intercepts.shape == (4, 3)
    np.testing.assert_allclose(path.intercepts.sum(axis=1), 0, atol=1e-12)
    assert list(path.classes) == [0, 1, 2]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(loss="hinge"), "loss='hinge'"),
        (dict(l1_ratio=1.5), "l1_ratio"),
        (dict(alphas=[0.1, -1.0]), "alphas"),
        (dict(eps=0.0), "eps"),
        (dict(n_alphas=0), "n_alphas"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, match):
    X, y = _regression()
    with pytest.raises(ValueError, match=match):
        regularization_path(X, y, **kwargs)


def test_the_path_never_modifies_its_inputs():
    X, y = _regression(sparse=True)
    w = np.ones(len(y))
    copies = X.copy(), y.copy(), w.copy()
    regularization_path(X, y, sample_weight=w, n_alphas=5)
    assert (X != copies[0]).nnz == 0
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(w, copies[2])


@pytest.mark.parametrize("case", ["poisson", "log_loss_multinomial", "squared_error"])
def test_a_smooth_path_down_to_no_penalty_is_the_cold_fits(case):
    # the smooth path starts each fit on the secant through the last two
    # points (log alpha); alpha = 0 has no log: the last point's start
    X, y, estimator, _ = CASES[case]()
    loss = case.removesuffix("_multinomial")
    alphas = [0.3, 0.1, 0.03, 0.01, 0.0] if case != "squared_error" else [1.0, 0.0]
    path = regularization_path(
        X, y, loss=loss, l1_ratio=0.0, alphas=alphas, tol=1e-10, max_iter=10_000
    )
    for alpha, value in zip(path.alphas, path.objective, strict=True):
        if estimator is LogisticRegression:
            C = np.inf if alpha == 0 else 1.0 / (alpha * len(y))
            model = LogisticRegression(C=C, tol=1e-10, max_iter=10_000)
        else:
            model = GradientDescentRegressor(
                loss=loss, penalty="l2", alpha=alpha, tol=1e-12, max_iter=100_000
            )
        cold = model.fit(X, y).loss_curve_[-1]
        assert abs(value - cold) <= 1e-8 * abs(cold), (alpha, value, cold)


def test_a_smooth_logistic_path_forms_few_hessians(monkeypatch):
    # the first point takes the Hessian's steps from its first iteration
    # (minimize's path=True) and every later point is preconditioned by the
    # last Hessian's factor: a few Hessians for the whole path, not one per
    # point, and the same points as fits with a Hessian at every step
    from sklearn_foundations.datafits import LinearDatafit

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 80)) @ np.triu(np.full((80, 80), 0.2), 1)
    X += rng.standard_normal((3000, 80))
    y = (X[:, :5].sum(axis=1) + rng.logistic(size=3000) > 0).astype(int)
    formed = []
    method = LinearDatafit.model_hessian

    def spied(self, *args):
        formed.append(1)
        return method(self, *args)

    monkeypatch.setattr(LinearDatafit, "model_hessian", spied)
    path = regularization_path(X, y, loss="log_loss", l1_ratio=0.0, n_alphas=10,
                               eps=1e-4, tol=1e-10)  # fmt: skip
    assert path.converged.all() and 1 <= len(formed) <= 4
    for k in (3, 9):
        C = 1 / (path.alphas[k] * len(y))
        cold = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-10).fit(X, y)
        np.testing.assert_allclose(path.coefs[k], cold.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", ["log_loss", "poisson"])
def test_the_tangent_of_a_smooth_path_is_its_finite_difference(loss):
    # (H + alpha P) theta' = -alpha P theta, the derivative of the optimality
    # condition in log alpha: against central differences of tight fits
    from sklearn_foundations.linear_model._base import make_penalty
    from sklearn_foundations.linear_model._path import PathProblem, _tangent

    X, y = _classification(2)
    if loss == "poisson":
        X = X[:, :8] / 4
        y = np.random.default_rng(0).poisson(np.exp(X[:, :3] @ [0.3, -0.2, 0.4]))
    problem = PathProblem.from_data(X, y, loss=loss)
    alpha, eps = 0.01, 1e-4

    def optimum(a):
        return problem.fit(a, 0.0, tol=1e-13, max_iter=100).coef

    theta = optimum(alpha)
    datafit = problem.datafit
    hessian = datafit.model_hessian(datafit.linear(theta), np.arange(X.shape[1]))
    slope = _tangent(hessian, make_penalty("elasticnet", alpha, 0.0, True), theta)
    central = (optimum(alpha * np.exp(eps)) - optimum(alpha * np.exp(-eps))) / (2 * eps)
    assert np.abs(slope).max() > 1e-3  # the path moves
    np.testing.assert_allclose(
        slope, central, rtol=1e-5, atol=1e-7 * np.abs(slope).max()
    )
    # from the factor a fit on the path leaves (its last Hessian plus the
    # penalty's), as the path takes it: the same slope, to the Hessian's
    # distance from the optimum
    from sklearn_foundations.optimize import minimize

    penalty = make_penalty("elasticnet", alpha, 0.0, True)
    result = minimize(datafit, penalty, np.zeros_like(theta), tol=1e-13, path=True)
    assert result.solve is not None
    factored = _tangent(result.hessian, penalty, result.coef, result.solve)
    np.testing.assert_allclose(
        factored, central, rtol=1e-4, atol=1e-6 * np.abs(slope).max()
    )
    # no Hessian, or one of the weights only: no tangent (the secant is used)
    assert _tangent(None, make_penalty("elasticnet", alpha, 0.0, True), theta) is None
    assert _tangent(hessian[:-1, :-1], make_penalty("elasticnet", alpha, 0.0, True),
                    theta) is None  # fmt: skip


@pytest.mark.parametrize("l1_ratio", [0.5, 0.1])
def test_a_wide_path_fits_every_column_and_carries_its_dual_newton_systems(
    l1_ratio, monkeypatch, neighbour_correlated
):
    """On wide data of enough rows (``UNSCREENED_MIN_ROWS``) a path point
    whose kept columns would take dual Newton fits every column instead, its
    Newton systems carried to the next point on the same datafit (formed
    once, then updated): the same path as scikit-learn's."""
    from sklearn_foundations.optimize import _dual_newton

    n, d = 260, 700
    X, y = neighbour_correlated(3, n, d, 15)
    formed, searches = [], []
    init, search = _dual_newton._NewtonSystem.__init__, _dual_newton._dual_search

    def counted_init(self, B):
        formed.append(1)
        init(self, B)

    def counted_search(*args):
        searches.append(1)
        return search(*args)

    monkeypatch.setattr(_dual_newton._NewtonSystem, "__init__", counted_init)
    monkeypatch.setattr(_dual_newton, "_dual_search", counted_search)
    path = regularization_path(X, y, l1_ratio=l1_ratio, tol=1e-10, n_alphas=30)
    assert len(searches) >= 10 and len(formed) <= 2  # carried from point to point
    assert path.n_screened.max() == d  # every column, where the kept set is wide
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    _, coefs, _ = enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=path.alphas, tol=1e-14, max_iter=100_000
    )
    np.testing.assert_allclose(path.coefs, coefs.T, atol=1e-7 * np.abs(coefs).max())


def test_a_paths_feature_sign_fits_stop_at_tol_and_a_single_fit_finishes(monkeypatch):
    """A path's fits stop at tol (their points compare alphas: going on to
    the rounding floor cost CV paths 14-36%); a single fit goes on to the
    exact answer, which no path point at a loose tol reaches here."""
    from sklearn_foundations.optimize import _quadratic

    finishes = []
    search = _quadratic.signs_search

    def spied(*args, finish=None, **kwargs):
        finishes.append(finish)
        return search(*args, finish=finish, **kwargs)

    monkeypatch.setattr(_quadratic, "signs_search", spied)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 300))
    X[:, 1:] = 0.8 * X[:, :-1] + 0.6 * X[:, 1:]
    y = X[:, :10] @ rng.standard_normal(10) + rng.standard_normal(50)
    path = regularization_path(X, y, l1_ratio=1.0, n_alphas=5, eps=1e-3, tol=1e-2)
    assert finishes and all(f is None for f in finishes)
    finishes.clear()
    est = GradientDescentRegressor(penalty="l1", alpha=path.alphas[-1], tol=1e-2)
    est.fit(X, y)
    assert finishes and all(f is not None for f in finishes)
    exact = GradientDescentRegressor(penalty="l1", alpha=path.alphas[-1], tol=1e-13)
    np.testing.assert_allclose(est.coef_, exact.fit(X, y).coef_, rtol=1e-9, atol=1e-12)
