"""GradientDescentRegressor's schedules: ``partial_fit`` takes fit's epochs,
the optimal rate, and the checks of the stochastic parameters."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge
from sklearn.model_selection import ShuffleSplit

from sklearn_foundations import GradientDescentRegressor
from sklearn_foundations.optimize import Optimal

SCHEDULES = ["constant", "invscaling", "optimal", "adaptive", "auto", "backtracking"]


def _data(seed=0, n=60, d=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * [1, 3, 0.5, 2] + [3, -1, 0, 5]  # means != 0
    return X, X @ rng.standard_normal(d) + 2.0 + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("learning_rate", SCHEDULES)
@pytest.mark.parametrize("batch_size", [None, 16])
@pytest.mark.parametrize("average", [False, True, 30])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_k_partial_fits_are_fit_with_k_epochs(
    learning_rate, batch_size, average, fit_intercept, sparse
):
    if learning_rate == "backtracking" and batch_size is not None:
        return  # a full-batch method only
    X, y = _data()
    X = sp.csr_matrix(X) if sparse else X
    params = dict(
        alpha=0.01, eta0=0.01, learning_rate=learning_rate, batch_size=batch_size,
        average=average, fit_intercept=fit_intercept, shuffle=False, tol=None,
        random_state=0,
    )  # fmt: skip
    schedule = learning_rate not in {"auto", "backtracking"} or batch_size
    for k in [1, 3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # few epochs: not converged
            fit = GradientDescentRegressor(**params, max_iter=k).fit(X, y)
        calls = GradientDescentRegressor(**params)
        for _ in range(k):
            calls.partial_fit(X, y)
        if schedule:  # the solvers of fit stop at their optimum, not at epochs
            np.testing.assert_allclose(calls.coef_, fit.coef_, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(calls.intercept_, fit.intercept_, rtol=1e-12)
            assert calls.t_ == fit.t_ and calls.n_iter_ == fit.n_iter_ == k
        else:  # the same first step: w = 0 and the intercept-only optimum
            assert calls.t_ == k + 1


def test_first_partial_fit_starts_at_the_mean():
    # an intercept-only model is the optimum of an uninformative X
    X, y = np.zeros((20, 2)), np.arange(20.0)
    est = GradientDescentRegressor(learning_rate="constant", eta0=1e-6)
    est.partial_fit(X, y)
    assert est.intercept_ == pytest.approx(y.mean(), rel=1e-14)
    np.testing.assert_array_equal(est.coef_, 0.0)


def test_optimal_rate_formula():
    rate = Optimal(alpha=0.01)
    assert rate(1) == pytest.approx(0.01**-0.25)
    t = np.arange(1, 100)
    np.testing.assert_allclose([rate(i) for i in t], 1 / (0.01 * (rate.t0 + t - 1)))
    assert Optimal(0.5, eta1=0.1)(1) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="alpha > 0"):
        Optimal(0.0)


def test_optimal_rate_reaches_the_ridge_optimum():
    # Bottou's first step alpha ** -0.25 = 1.8 would diverge here (1/L < 0.1);
    # capped at 1/L_b the decaying rate converges to the strongly convex optimum
    X, y = _data()
    alpha = 0.1
    est = GradientDescentRegressor(
        alpha=alpha, learning_rate="optimal", tol=None, max_iter=20_000
    ).fit(X, y)
    ref = Ridge(alpha=alpha * X.shape[0]).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-3)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-3)


def test_optimal_rate_needs_alpha():
    X, y = _data()
    with pytest.raises(ValueError, match="alpha must be > 0"):
        GradientDescentRegressor(alpha=0.0, learning_rate="optimal").fit(X, y)


def test_early_stopping_with_partial_fit_is_an_error():
    X, y = _data()
    with pytest.raises(ValueError, match="early_stopping should be False"):
        GradientDescentRegressor(early_stopping=True).partial_fit(X, y)


def test_negative_power_t_is_deprecated():
    X, y = _data()
    est = GradientDescentRegressor(power_t=-0.5, learning_rate="invscaling", tol=None)
    for method in (est.fit, est.partial_fit):
        with pytest.warns(FutureWarning, match="Negative values for `power_t`"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                try:
                    method(X, y)
                except ValueError:  # the growing step may diverge: said so
                    pass


@pytest.mark.parametrize("seed", [0, 3])
def test_validation_rows_are_only_held_out(seed):
    # early stopping trains on the other rows in their order: the same fit,
    # to the last digit, as fitting those rows
    X, y = _data(seed)
    params = dict(learning_rate="constant", eta0=0.01, tol=None, max_iter=7)
    held = GradientDescentRegressor(
        early_stopping=True, validation_fraction=0.2,
        random_state=np.random.RandomState(seed), **params,
    ).fit(X, y)  # fmt: skip
    train, _ = next(ShuffleSplit(test_size=0.2, random_state=seed).split(X))
    train = np.sort(train)
    plain = GradientDescentRegressor(**params).fit(X[train], y[train])
    np.testing.assert_array_equal(held.coef_, plain.coef_)
    assert held.intercept_ == plain.intercept_


def test_optimal_rate_that_diverges_says_its_step():
    # Poisson's gradient has no Lipschitz constant to cap the first step at
    X, _ = _data()
    y = np.exp(X[:, 0])
    with pytest.raises(
        ValueError, match=r"learning_rate='optimal' \(its first step 10"
    ):
        GradientDescentRegressor(loss="poisson", learning_rate="optimal").fit(X, y)
