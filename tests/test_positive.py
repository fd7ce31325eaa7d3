"""Non-negative coefficients (``positive=True``): scikit-learn's ElasticNet,
Lasso and LinearRegression with ``positive``, every method of the table that
takes the constraint, the paths and the cross-validated estimator."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize as scipy_minimize
from scipy.optimize import nnls
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, ElasticNetCV, LinearRegression, enet_path

from sklearn_foundations import GradientDescentRegressor
from sklearn_foundations.datafits import make_datafit
from sklearn_foundations.linear_model import (
    GradientDescentRegressorCV,
    regularization_path,
)
from sklearn_foundations.losses import HalfSquaredError
from sklearn_foundations.optimize import methods_for
from sklearn_foundations.penalties import ElasticNet as ElasticNetPenalty


def _problem(n, d, kind, seed=0):
    """Features of different scales and non-zero means, half the true
    coefficients negative (so that the constraint binds)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + rng.uniform(-3, 3, d)
    if kind == "sparse":
        X = sp.random(n, d, density=0.15, random_state=seed, format="csr") * 5
    w = rng.standard_normal(d) * (rng.random(d) < 0.4)
    y = X @ w + rng.standard_normal(n)
    return X, y


def _objective(X, y, coef, intercept, alpha, l1_ratio):
    r = y - X @ coef - intercept
    penalty = l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * coef @ coef
    return 0.5 * np.mean(r**2) + alpha * penalty


def _reference(X, y, alpha, l1_ratio):
    """scikit-learn's coordinate descent with ``positive``, to 1e-14."""
    ref = ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, positive=True, tol=1e-14, max_iter=200_000
    )
    with warnings.catch_warnings():  # l1_ratio=0 warns that it is not advised
        warnings.simplefilter("ignore")
        return ref.fit(X, y)


def _alpha_max(X, y):
    X = X.toarray() if sp.issparse(X) else X
    return np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y)


# (rows, features, kind): the Gram form, dense tall, wide (feature-sign on
# the rows' factor), wide beyond its rows (proximal Newton), sparse
SHAPES = [
    (300, 30, "dense"),
    (60, 150, "dense"),
    (400, 700, "dense"),
    (300, 40, "sparse"),
]


@pytest.mark.parametrize(
    "shape, l1_ratio",
    [(shape, r) for shape in SHAPES for r in (1.0, 0.5, 0.0)
     if not (r == 0 and shape[1] > 500)],  # its reference takes 15 s there
    ids=str,
)  # fmt: skip
@pytest.mark.parametrize("strength", [0.3, 0.01])
def test_positive_fit_is_scikit_learns(shape, l1_ratio, strength):
    """The fitted coefficients are non-negative, the objective at most
    scikit-learn's (to rounding) and the coefficients its, on the Gram form,
    the data, wide data and sparse data, at a strong and a weak penalty;
    the constraint binds (the unconstrained fit has negative ones)."""
    X, y = _problem(*shape)
    alpha = strength * _alpha_max(X, y)
    ref = _reference(X, y, alpha, l1_ratio)
    penalty = {1.0: "l1", 0.0: "l2"}.get(l1_ratio, "elasticnet")
    est = GradientDescentRegressor(
        penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, positive=True, tol=1e-10
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert est.coef_.min() >= 0
    ours = _objective(X, y, est.coef_, est.intercept_, alpha, l1_ratio)
    theirs = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    assert ours <= theirs * (1 + 1e-12)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-6 * scale)
    free = GradientDescentRegressor(
        penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, tol=1e-10
    ).fit(X, y)
    assert free.coef_.min() < 0


def _methods(X, y, precompute):
    """The full-batch methods of the table for the non-negative lasso on
    this storage."""
    s = np.full(len(y), 1 / len(y))
    datafit = make_datafit(HalfSquaredError(), X, y[:, None], s, True, precompute)
    penalty = ElasticNetPenalty(0.1, 1.0, positive=True)
    return [m for m in methods_for(datafit, penalty) if m != "gradient"]


@pytest.mark.parametrize("shape", SHAPES[:2] + SHAPES[3:], ids=str)
@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_every_method_that_takes_the_sign_reaches_the_optimum(
    shape, precompute, l1_ratio
):
    """Each method the table offers with ``positive`` (feature-sign search,
    dual Newton with an L2 term on wide data, proximal Newton, FISTA,
    backtracking) reaches scikit-learn's objective
    with non-negative coefficients; the others are not offered."""
    X, y = _problem(*shape, seed=1)
    alpha = 0.05 * _alpha_max(X, y)
    ref = _reference(X, y, alpha, l1_ratio)
    theirs = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    methods = _methods(X, y, precompute)
    assert {"cg", "newton-cg", "lbfgs", "newton-cholesky"}.isdisjoint(methods)
    assert "fista" in methods
    for method in methods:
        est = GradientDescentRegressor(
            penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, positive=True,
            tol=1e-9, solver=method, precompute=precompute, max_iter=50_000,
        )  # fmt: skip
        est.fit(X, y)
        assert est.coef_.min() >= 0, method
        ours = _objective(X, y, est.coef_, est.intercept_, alpha, l1_ratio)
        assert ours <= theirs + 1e-9 * abs(theirs), method


@pytest.mark.parametrize("solver", ["cg", "newton-cg", "lbfgs", "newton-cholesky"])
def test_methods_without_the_sign_constraint_refuse_it(solver):
    X, y = _problem(60, 150, "dense")
    est = GradientDescentRegressor(
        penalty="elasticnet", l1_ratio=0.5, positive=True, solver=solver
    )
    with pytest.raises(ValueError, match=r"positive=False"):
        est.fit(X, y)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shape", [(50, 8), (20, 40)], ids=str)
def test_positive_least_squares_is_nnls(fit_intercept, shape):
    """Without a penalty: scipy's non-negative least squares (on the centered
    data with an intercept), and LinearRegression(positive=True)."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal(shape)
    y = X @ rng.standard_normal(shape[1]) + 0.1 * rng.standard_normal(shape[0]) + 3
    est = GradientDescentRegressor(
        penalty=None, positive=True, fit_intercept=fit_intercept, tol=1e-12,
        max_iter=10_000,
    ).fit(X, y)  # fmt: skip
    X_c, y_c = (X - X.mean(0), y - y.mean()) if fit_intercept else (X, y)
    w, _ = nnls(X_c, y_c)
    ref = LinearRegression(positive=True, fit_intercept=fit_intercept).fit(X, y)
    ours = np.sum((y - est.predict(X)) ** 2)
    assert ours <= np.sum((y_c - X_c @ w) ** 2) * (1 + 1e-10) + 1e-20
    assert ours <= np.sum((y - ref.predict(X)) ** 2) * (1 + 1e-10) + 1e-20
    assert est.coef_.min() >= 0
    if shape[0] > shape[1]:  # a unique solution
        np.testing.assert_allclose(est.coef_, w, atol=1e-8)


@pytest.mark.parametrize("loss", ["poisson", "huber"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.0])
def test_positive_on_other_losses_is_the_bounded_optimum(loss, l1_ratio):
    """Poisson (proximal Newton) and Huber (FISTA): the objective of scipy's
    bounded L-BFGS-B (the intercept free) or below."""
    rng = np.random.default_rng(4)
    n, d, alpha = 300, 10, 0.01
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) * 0.3
    if loss == "poisson":
        y = rng.poisson(np.exp(X @ w)).astype(float)
    else:
        y = X @ w + rng.standard_t(2, n)
    penalty = "l1" if l1_ratio == 1 else "l2"
    est = GradientDescentRegressor(
        loss=loss, penalty=penalty, alpha=alpha, positive=True, tol=1e-10,
        max_iter=10_000,
    ).fit(X, y)  # fmt: skip

    def objective(theta):
        coef, z = theta[:d], X @ theta[:d] + theta[d]
        if loss == "poisson":
            data = np.mean(np.exp(z) - y * z)
        else:
            r = np.abs(y - z)
            data = np.mean(np.where(r <= 0.1, 0.5 * r * r, 0.1 * r - 0.005))
        return data + alpha * (l1_ratio * coef.sum() + (1 - l1_ratio) / 2 * coef @ coef)

    best = scipy_minimize(
        objective, np.zeros(d + 1), method="L-BFGS-B",
        bounds=[(0, None)] * d + [(None, None)],
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )  # fmt: skip
    assert est.coef_.min() >= 0 and w.min() < 0
    assert objective(np.append(est.coef_, est.intercept_)) <= best.fun + 1e-12


def test_positive_ridge_at_the_default_tol_is_its_optimum():
    """The non-negative ridge on square data (scikit-learn's test of
    Ridge(positive=True)): at the default tol no small non-negative
    perturbation lowers the loss, and the unconstrained ridge's is lower."""
    X, y = make_regression(n_samples=300, n_features=300, random_state=42)
    alpha = 0.1  # Ridge's, on the sum of squares: ours is alpha / n

    def loss(est, shift=0.0):
        w = est.coef_ + shift
        return 0.5 * np.sum((y - X @ w - est.intercept_) ** 2) + 0.5 * alpha * w @ w

    free = GradientDescentRegressor(alpha=alpha / 300).fit(X, y)
    est = GradientDescentRegressor(alpha=alpha / 300, positive=True).fit(X, y)
    assert loss(free) <= loss(est)
    for seed in range(100):
        shift = np.random.RandomState(seed).uniform(0, 1e-8, size=300)
        assert loss(est) <= loss(est, shift)


def test_a_negative_start_starts_from_its_projection():
    """``coef_init`` with negative entries (left as given) and a warm start
    from an unconstrained fit reach the cold start's coefficients."""
    X, y = _problem(300, 30, "dense")
    kw = dict(penalty="l1", alpha=0.05, positive=True, tol=1e-12)
    cold = GradientDescentRegressor(**kw).fit(X, y)
    start = -np.ones(X.shape[1])
    est = GradientDescentRegressor(**kw).fit(X, y, coef_init=start)
    np.testing.assert_array_equal(start, -1.0)
    np.testing.assert_allclose(est.coef_, cold.coef_, atol=1e-10)
    warm = GradientDescentRegressor(penalty="l1", alpha=0.05, warm_start=True)
    warm.fit(X, y)
    assert warm.coef_.min() < 0
    warm.set_params(positive=True, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-10)


@pytest.mark.parametrize("kw", [{"batch_size": 20}, {"learning_rate": "constant"}])
def test_stochastic_fits_keep_the_sign(kw):
    X, y = _problem(300, 30, "dense")
    X = X / X.std(0)
    est = GradientDescentRegressor(
        penalty="l1", alpha=0.01, positive=True, random_state=0, max_iter=20, **kw
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        assert est.coef_.min() >= 0
        est.partial_fit(X, y)
    assert est.coef_.min() >= 0 and (est.coef_ > 0).any()


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_positive_dual_gap_bounds_the_suboptimality(l1_ratio, kind):
    """``dual_gap_`` with ``positive`` (a one-sided dual norm): at most a
    rounding at the optimum, and at least the objective's excess over
    scikit-learn's optimum for a fit stopped after one iteration."""
    X, y = _problem(300, 40, kind)
    alpha = 0.02 * _alpha_max(X, y)
    ref = _reference(X, y, alpha, l1_ratio)
    best = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    kw = dict(penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, positive=True)
    est = GradientDescentRegressor(tol=1e-12, **kw).fit(X, y)
    assert 0 <= est.dual_gap_ < 1e-10 * best
    early = GradientDescentRegressor(tol=1e-12, max_iter=1, solver="fista", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        early.fit(X, y)
    excess = _objective(X, y, early.coef_, early.intercept_, alpha, l1_ratio) - best
    assert early.dual_gap_ >= excess > 1e-6 * best


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_positive_path_is_scikit_learns(l1_ratio, fit_intercept):
    """``regularization_path(positive=True)`` against ``enet_path`` with
    ``positive`` at the same alphas, on the Gram form (its points on the
    signs) and on wide data."""
    for n, d in [(300, 20), (60, 200)]:
        X, y = _problem(n, d, "dense", seed=3)
        if not fit_intercept:
            X, y = X - X.mean(0), y - y.mean()
        path = regularization_path(
            X, y, l1_ratio=l1_ratio, positive=True, tol=1e-11, n_alphas=25,
            fit_intercept=fit_intercept,
        )  # fmt: skip
        X_c, y_c = X - X.mean(0), y - y.mean()
        _, coefs, _ = enet_path(
            X_c, y_c, l1_ratio=l1_ratio, alphas=path.alphas, positive=True,
            tol=1e-14, max_iter=200_000,
        )  # fmt: skip
        assert path.coefs.min() >= 0
        scale = np.abs(coefs).max()
        np.testing.assert_allclose(path.coefs, coefs.T, atol=1e-6 * scale)


def test_positive_ridge_path_is_each_alphas_fit():
    """``l1_ratio=0`` with ``positive``: no extrapolated start off the
    feasible set; each point is the estimator's fit at its alpha."""
    X, y = _problem(200, 15, "dense", seed=4)
    path = regularization_path(X, y, l1_ratio=0.0, positive=True, tol=1e-12, n_alphas=8)
    assert path.coefs.min() >= 0
    for alpha, coef in zip(path.alphas, path.coefs, strict=True):
        est = GradientDescentRegressor(alpha=alpha, positive=True, tol=1e-12).fit(X, y)
        np.testing.assert_allclose(coef, est.coef_, atol=1e-8 * np.abs(coef).max())


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_positive_cv_is_elastic_net_cvs(l1_ratio):
    """GradientDescentRegressorCV(positive=True): ElasticNetCV's grid, test
    errors, choice and refit."""
    X, y = _problem(150, 20, "dense", seed=5)
    ref = ElasticNetCV(
        l1_ratio=l1_ratio, positive=True, cv=4, tol=1e-12, max_iter=100_000
    ).fit(X, y)
    est = GradientDescentRegressorCV(
        l1_ratio=l1_ratio, positive=True, cv=4, tol=1e-10
    ).fit(X, y)
    np.testing.assert_allclose(est.alphas_, ref.alphas_, rtol=1e-12)
    np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-6)
    assert est.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    assert est.coef_.min() >= 0 and est.coefs_paths_.min() >= 0
    np.testing.assert_allclose(
        est.coef_, ref.coef_, atol=1e-6 * np.abs(ref.coef_).max()
    )
    assert 0 <= est.dual_gap_


@pytest.mark.parametrize(
    "shape, l1_ratio",
    [((200, 20), 1.0), ((200, 20), 0.0), ((60, 150), 1.0), ((60, 150), 0.0),
     ((400, 700), 1.0)],  # the ridge's reference takes 17 s on 400 x 700
    ids=str,
)  # fmt: skip
def test_positive_with_two_targets_and_weights(shape, l1_ratio):
    """Each target's non-negative fit, with sample weights, is
    scikit-learn's (which fits them one after another); float32 data keep
    float32 coefficients, non-negative too."""
    rng = np.random.default_rng(3)
    n, d = shape
    X = rng.standard_normal((n, d)) + 1
    Y = X @ rng.standard_normal((d, 2)) + rng.standard_normal((n, 2))
    sw = rng.uniform(0, 2, n)
    kw = dict(penalty="elasticnet", alpha=0.05, l1_ratio=l1_ratio, positive=True)
    est = GradientDescentRegressor(tol=1e-10, **kw).fit(X, Y, sample_weight=sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ElasticNet(
            alpha=0.05, l1_ratio=l1_ratio, positive=True, tol=1e-13, max_iter=100_000
        ).fit(X, Y, sample_weight=sw)
    assert est.coef_.shape == (2, d) and est.coef_.min() >= 0
    np.testing.assert_allclose(
        est.coef_, ref.coef_, atol=1e-8 * np.abs(ref.coef_).max()
    )
    low = GradientDescentRegressor(**kw).fit(X.astype(np.float32), Y.astype(np.float32))
    assert low.coef_.dtype == np.float32 and low.coef_.min() >= 0


def test_positive_on_chunked_data_is_the_fit_in_memory():
    """A dask array's fit (the Gram form from one pass) keeps the sign and
    gives the in-memory coefficients."""
    da = pytest.importorskip("dask.array")
    X, y = _problem(300, 12, "dense")
    kw = dict(penalty="l1", alpha=0.05, positive=True, tol=1e-10)
    lazy = GradientDescentRegressor(**kw).fit(
        da.from_array(X, chunks=(100, 12)), da.from_array(y, chunks=100)
    )
    est = GradientDescentRegressor(**kw).fit(X, y)
    assert lazy.coef_.min() >= 0 and (est.coef_ == 0).any()
    np.testing.assert_allclose(lazy.coef_, est.coef_, atol=1e-9)
