"""One test per class of input that once gave a silent wrong answer, a crash in
numpy's internals or a refusal of what scikit-learn accepts (items 1-8 of the
trust issue); the invariances over every estimator are in test_invariances."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.special import xlogy
from sklearn.base import clone, is_regressor
from sklearn.datasets import load_breast_cancer, make_classification, make_regression
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import (
    GradientDescentRegressor,
    LogisticRegression,
    NaiveBayesClassifier,
    PowerIterationPCA,
    _precision,
)


# 1. stopping rules that do not see the scale of a column ---------------------
def _ridge_in_scaled_coordinates(X, y, alpha):
    r"""The exact ridge optimum of the package's objective, solved in the
    coordinates :math:`v = D w` of standardized columns (well conditioned
    whatever the scales): :math:`(D^{-1} G D^{-1} + \alpha D^{-2}) v = D^{-1} q`."""
    Xc, yc = X - X.mean(0), y - y.mean()
    D = Xc.std(0)
    Z = Xc / D
    n = len(y)
    v = np.linalg.solve(Z.T @ Z / n + alpha * np.diag(1 / D**2), Z.T @ yc / n)
    w = v / D
    return X @ w + (y.mean() - X.mean(0) @ w)


@pytest.mark.parametrize("learning_rate", ["auto", "backtracking"])
@pytest.mark.parametrize("scale", [1e-8, 1e8, 1e10])
@pytest.mark.parametrize("penalty", ["l2", None])
def test_a_badly_scaled_column_does_not_stop_the_regressor_early(
    learning_rate, scale, penalty
):
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    X[:, 0] *= scale
    alpha = 1e-4 if penalty else 0.0
    reg = GradientDescentRegressor(penalty=penalty, alpha=1e-4, tol=1e-8,
                                   learning_rate=learning_rate)  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        pred = reg.fit(X, y).predict(X)
    expected = _ridge_in_scaled_coordinates(X, y, alpha)
    assert caught or np.max(np.abs(pred - expected)) <= 1e-6 * np.std(y)
    assert not caught  # these solvers reach tol whatever the scale


@pytest.mark.parametrize(
    "solver, n_classes",
    [(solver, k) for solver in ("auto", "newton-cholesky", "newton-cg", "lbfgs", "fista")
     for k in (2, 3) if not (solver == "newton-cholesky" and k > 2)],  # one output
)  # fmt: skip
def test_logistic_on_x_times_1e10_reaches_the_optimum(solver, n_classes):
    X, y = make_classification(
        n_samples=200, n_features=5, n_informative=3, n_classes=n_classes,
        random_state=0,
    )  # fmt: skip
    ref = LogisticRegression(C=np.inf, solver=solver, tol=1e-10, max_iter=10_000)
    P = ref.fit(X, y).predict_proba(X)
    for factor in (1e10, np.array([1e10, 1, 1, 1, 1])):
        est = LogisticRegression(C=np.inf, solver=solver, tol=1e-10, max_iter=10_000)
        P_scaled = est.fit(X * factor, y).predict_proba(X * factor)
        assert np.max(np.abs(P_scaled - P)) <= 1e-6


@pytest.mark.parametrize("solver", ["auto", "lbfgs", "fista"])
def test_logistic_on_unscaled_features_matches_an_affine_invariant_solver(solver):
    # breast_cancer as it comes, features from 1e-3 to 1e3: Newton-Cholesky
    # (an exact Newton step each iteration) does not see the scales
    X, y = load_breast_cancer(return_X_y=True)
    ours = LogisticRegression(C=1.0, solver=solver, tol=1e-9, max_iter=100_000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        ours.fit(X, y)
    theirs = SkLogistic(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    theirs.fit(X, y)
    # right to 1e-6, or a warning says why not (L-BFGS's differences can stall
    # at the floating-point limit on these scales: 1.5e-6 off with numpy 2.4)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               atol=1e-5 if warned else 1e-6)  # fmt: skip
    assert solver != "auto" or not warned  # Newton's steps see no scales


# 2. whitening rank-deficient data --------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_whitening_zero_variance_components_stays_bounded(dtype):
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((100, 10)) @ rng.standard_normal((10, 30))).astype(dtype)
    X[:, 3] = 2.0  # a constant feature too
    for k in (10, 12, 29):
        ours = PowerIterationPCA(k, whiten=True, random_state=0).fit(X)
        ref = PCA(k, whiten=True, svd_solver="full").fit(X)
        Z = ours.transform(X)
        assert Z.dtype == dtype and np.all(np.isfinite(Z))
        assert np.max(np.abs(Z)) <= 100  # scikit-learn's are of order 1-10
        rtol = 1e-4 if dtype == np.float32 else 1e-8
        np.testing.assert_allclose(
            np.abs(Z[:, :9]), np.abs(ref.transform(X)[:, :9]), rtol=rtol, atol=rtol
        )
        np.testing.assert_allclose(
            ours.inverse_transform(Z),
            X,
            atol=100 * np.finfo(dtype).eps * np.abs(X).max(),
        )


# 3. maximum likelihood (alpha=0) and zero variances ---------------------------
def _textbook_log_pmf(name, X, clf):
    """sum_j log p(x_j | k) with 0 log 0 = 0, from scipy's pmfs."""
    if name == "multinomial":
        return xlogy(X[:, None, :], np.exp(clf.feature_log_prob_)[None]).sum(-1)
    if name == "bernoulli":
        p = np.exp(clf.feature_log_prob_)[None]
        return (xlogy(X[:, None], p) + xlogy(1 - X[:, None], 1 - p)).sum(-1)
    if name == "binomial":
        n = clf.n_trials_
        return stats.binom.logpmf(X[:, None], n, clf.prob_[None]).sum(-1)
    return stats.poisson.logpmf(X[:, None], clf.rate_[None]).sum(-1)


@pytest.mark.parametrize("name", ["multinomial", "bernoulli", "binomial", "poisson"])
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix])
def test_alpha_zero_uses_zero_log_zero(name, fmt):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (40, 6)).astype(float)
    X[:20, 0] = 0.0  # class 0 never has feature 0: probability 0 there
    if name == "bernoulli":
        X = (X > 1).astype(float)
    y = np.repeat([0, 1], 20)
    clf = NaiveBayesClassifier(name, alpha=0.0, binarize=None).fit(X, y)
    P = clf.predict_proba(fmt(X))
    assert not np.any(np.isnan(P))
    joint = _textbook_log_pmf(name, X, clf) + clf.class_log_prior_
    with np.errstate(invalid="ignore"):
        expected = np.exp(joint - np.logaddexp.reduce(joint, axis=1, keepdims=True))
    np.testing.assert_allclose(P, expected, atol=1e-12)
    assert np.all(P[20:][X[20:, 0] > 0, 0] == 0)  # impossible in class 0


def test_a_sample_impossible_under_every_class_is_named():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 3.0]])
    clf = NaiveBayesClassifier("multinomial", alpha=0.0).fit(X, [0, 0, 1, 1])
    with pytest.raises(ValueError, match="Sample 0 .* alpha > 0"):
        clf.predict_proba(np.array([[1.0, 1.0]]))


def test_zero_variance_without_smoothing_is_a_named_error():
    X = np.c_[np.random.default_rng(0).standard_normal(40), np.ones(40)]
    clf = NaiveBayesClassifier(var_smoothing=0.0).fit(X, np.repeat([0, 1], 20))
    with pytest.raises(ValueError, match="Feature 1 .* var_smoothing"):
        clf.predict_proba(X)


# 4. an all-zero L1 solution without intercept ---------------------------------
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("alpha", [0.1, 1, 10])
def test_l1_logistic_with_an_empty_working_set(fmt, alpha):
    X, y = make_classification(n_samples=50, n_features=20, random_state=42)
    est = LogisticRegression(
        C=1 / (50 * alpha), l1_ratio=1, fit_intercept=False, tol=1e-6, max_iter=500
    ).fit(fmt(X), y)
    ref = SkLogistic(C=1 / (50 * alpha), l1_ratio=1, solver="liblinear",
                     fit_intercept=False, tol=1e-10, max_iter=10_000).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-4)
    if alpha >= 1:
        assert not np.any(est.coef_)


# 5. storage independence ------------------------------------------------------
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_l1_logistic_dense_and_csr_agree_to_the_tolerance(C):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = LogisticRegression(C=C, l1_ratio=1, tol=1e-10, max_iter=1000)
    dense = est.fit(X, y).predict_proba(X)
    f_dense = est.loss_curve_[-1]
    sparse = est.fit(sp.csr_matrix(X), y).predict_proba(X)
    # tol bounds the gradient; the coefficients of these correlated features
    # follow it through the Hessian's smallest eigenvalues (about 1e-3 here)
    np.testing.assert_allclose(sparse, dense, atol=1e-6)
    assert abs(est.loss_curve_[-1] - f_dense) <= 1e-12 * abs(f_dense)


@pytest.mark.parametrize("density", [0.01, 0.1, 0.3])
@pytest.mark.parametrize("k", [1, 5, 10])
def test_pca_default_accuracy_is_scikit_learns(density, k):
    rng = np.random.default_rng(0)
    X = sp.random(1000, 300, density=density, random_state=1, format="csr")
    X = sp.csr_matrix(X @ sp.diags(rng.uniform(1, 100, 300)))
    ref = PCA(k, svd_solver="full").fit(X.toarray())
    for data in (X, X.toarray()):
        ours = PowerIterationPCA(k, random_state=0).fit(data)
        for attr in ("components_", "explained_variance_", "singular_values_",
                     "noise_variance_"):  # fmt: skip
            np.testing.assert_allclose(
                getattr(ours, attr), getattr(ref, attr), rtol=1e-7, atol=1e-12
            )
        np.testing.assert_allclose(
            ours.transform(X), ref.transform(X.toarray()), rtol=1e-7, atol=1e-9
        )


# 6. what scikit-learn accepts, with the same meaning --------------------------
def test_tol_none_runs_max_iter_without_a_warning():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    for params in (dict(), dict(batch_size=10), dict(learning_rate="constant")):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            reg = GradientDescentRegressor(tol=None, max_iter=7, **params).fit(X, y)
        assert reg.n_iter_ == 7 or reg.n_iter_ < 7 and params == {}


def test_regressor_accepts_what_sgd_regressor_accepts():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    GradientDescentRegressor(loss="huber", epsilon=0.0).fit(X, y)
    GradientDescentRegressor(penalty="l1", l1_ratio=None).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio must be set"):
        GradientDescentRegressor(penalty="elasticnet", l1_ratio=None).fit(X, y)


def test_max_iter_zero_returns_the_start_with_a_warning():
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=0"):
        clf = LogisticRegression(max_iter=0).fit(X, y)
    assert not np.any(clf.coef_) and clf.n_iter_[0] == 0


# 7. float32 through partial_fit -------------------------------------------------
def test_gaussian_partial_fit_keeps_float32_as_fit():
    X = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    y = np.arange(40) % 2
    fit = NaiveBayesClassifier().fit(X, y)
    partial = NaiveBayesClassifier().partial_fit(X, y, classes=[0, 1])
    for attr in ("theta_", "var_"):
        assert getattr(fit, attr).dtype == getattr(partial, attr).dtype == np.float32
    assert fit.predict_proba(X).dtype == np.float32


# 8. clear errors ------------------------------------------------------------------
def test_shapes_of_starting_points_are_named():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    reg = GradientDescentRegressor()
    with pytest.raises(ValueError, match="coef_init has shape"):
        reg.fit(X, y, coef_init=np.zeros(4))
    with pytest.raises(ValueError, match="intercept_init has shape"):
        reg.fit(X, y, coef_init=np.zeros(3), intercept_init=np.zeros(2))
    reg = GradientDescentRegressor(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True"):
        reg.fit(X[:, :2], y)


def test_per_feature_parameters_of_the_wrong_length_are_named():
    X = np.random.default_rng(0).integers(0, 3, (20, 3)).astype(float)
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="'n_trials' should have shape"):
        NaiveBayesClassifier("binomial", n_trials=[3, 3]).fit(X, y)
    with pytest.raises(ValueError, match="'min_categories' should have shape"):
        NaiveBayesClassifier("categorical", min_categories=[3, 3]).fit(X, y)


def test_impossible_values_raise_or_warn():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [1.0, 1.0]])
    y = [0, 0, 1, 1]
    with pytest.raises(ValueError, match="binarize=None models values 0 and 1"):
        NaiveBayesClassifier("bernoulli", binarize=None).fit(X, y)
    with pytest.warns(UserWarning, match="value 1.5: each value is read"):
        NaiveBayesClassifier("categorical").fit(X + [[0.0, 0.0], [0.5, 0.0], [0.0, 0.0],
                                                [0.0, 0.0]], y)  # fmt: skip


def test_partial_fit_with_backtracking_takes_an_armijo_step():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    reg = GradientDescentRegressor(learning_rate="backtracking", eta0=10.0)
    losses = []
    for _ in range(5):
        reg.partial_fit(X, y)
        losses.append(reg.loss_curve_[-1])
    assert np.all(np.diff(losses) < 0)  # each step lowers the objective


def test_inverse_transform_validates_its_input():
    X = np.random.default_rng(0).standard_normal((30, 5))
    pca = PowerIterationPCA(2).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        pca.inverse_transform(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="2 components"):
        pca.inverse_transform(np.zeros((1, 3)))


# degenerate columns and targets: constant, zero, duplicated ---------------------
def _degenerate():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    X[:, 1], X[:, 2], X[:, 4] = 0.0, X[:, 3], 7.0
    return X


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize(
    "params",
    [dict(), dict(penalty="l1", alpha=0.01), dict(penalty="elasticnet"),
     dict(learning_rate="backtracking"), dict(loss="huber"), dict(penalty=None)],
)  # fmt: skip
def test_degenerate_columns_and_a_constant_target_converge(fmt, params):
    X = _degenerate()
    for y in (2 * X[:, 0] + 1, np.full(100, 3.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            reg = GradientDescentRegressor(**params).fit(fmt(X), y)
        assert np.all(np.isfinite(reg.coef_))
        if np.ptp(y) == 0:
            np.testing.assert_allclose(reg.predict(fmt(X)), y, atol=1e-12)


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("params", [dict(), dict(l1_ratio=1.0), dict(l1_ratio=0.5),
                                    dict(solver="lbfgs"), dict(solver="fista")])  # fmt: skip
def test_a_constant_column_does_not_stall_logistic_regression(fmt, params):
    X = _degenerate()
    y = (X[:, 0] + 0.3 * np.random.default_rng(1).standard_normal(100) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = LogisticRegression(tol=1e-8, max_iter=10_000, **params).fit(fmt(X), y)
    ref = LogisticRegression(tol=1e-8, max_iter=10_000, **params).fit(
        X[:, [0, 2, 3]], y
    )
    np.testing.assert_allclose(clf.predict_proba(fmt(X)), ref.predict_proba(X[:, [0, 2, 3]]),
                               atol=1e-6)  # fmt: skip


# naive Bayes as scikit-learn's own tests use it -----------------------------------
def test_a_rejected_chunk_leaves_the_model_as_it_was():
    X = np.array([[1.0, 4.0], [2.0, 5.0]])
    clf = NaiveBayesClassifier("categorical").fit(X, [1, 2])
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="Negative values in data passed to "
                       "NaiveBayesClassifier"):  # fmt: skip
        clf.fit(np.array([[0.0, -1.0]]), [1])
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X, [1, 2], classes=[1, 2, 3])


def test_alpha_per_feature_is_the_pseudo_count_of_each_feature():
    X, y = np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    clf = NaiveBayesClassifier("multinomial", alpha=np.array([1.0, 2.0])).fit(X, y)
    # class 1: counts (1, 1) + (1, 2) over 5
    np.testing.assert_allclose(np.exp(clf.feature_log_prob_),
                               [[1 / 2, 1 / 2], [2 / 5, 3 / 5]])  # fmt: skip
    with pytest.raises(ValueError, match="All values in alpha"):
        NaiveBayesClassifier("multinomial", alpha=np.array([1.0, -0.1])).fit(X, y)


def test_squared_epsilon_insensitive_reaches_the_objectives_minimum():
    from scipy.optimize import minimize

    X, y = make_regression(n_samples=200, n_features=4, noise=5.0, random_state=0)
    reg = GradientDescentRegressor(
        loss="squared_epsilon_insensitive", epsilon=2.0, alpha=0.01, tol=1e-10
    ).fit(X, y)

    def objective(theta):
        r = np.abs(X @ theta[:4] + theta[4] - y)
        return np.mean(np.maximum(r - 2.0, 0) ** 2) + 0.01 / 2 * theta[:4] @ theta[:4]

    ref = minimize(objective, np.zeros(5), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(np.r_[reg.coef_, reg.intercept_], ref.x, rtol=1e-5)


def test_averaged_sgd_resumes_its_mean_across_partial_fit():
    X, y = make_regression(n_samples=100, n_features=3, noise=1.0, random_state=0)
    params = dict(average=True, batch_size=1, learning_rate="constant", eta0=0.01,
                  shuffle=False, tol=None, fit_intercept=False)  # fmt: skip
    fit = GradientDescentRegressor(max_iter=3, **params).fit(X, y)
    partial = GradientDescentRegressor(**params)
    for _ in range(3):
        partial.partial_fit(X, y)
    np.testing.assert_allclose(partial.coef_, fit.coef_, rtol=1e-12)
    plain = GradientDescentRegressor(max_iter=3, **{**params, "average": False})
    assert not np.allclose(plain.fit(X, y).coef_, fit.coef_)  # the mean is not the end


@pytest.mark.parametrize(
    "params",
    [dict(batch_size=1), dict(batch_size=32), dict(learning_rate="invscaling"),
     dict(learning_rate="adaptive"), dict(batch_size=1, learning_rate="constant")],
)  # fmt: skip
def test_a_minibatch_fit_that_leaves_a_small_column_behind_says_so(params):
    X, y = make_regression(n_samples=500, n_features=8, noise=10.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        GradientDescentRegressor(random_state=0, **params).fit(X, y)  # well scaled
        GradientDescentRegressor(random_state=0, **params).fit(X, np.full(500, 3.0))
    small = X.copy()
    small[:, 0] *= 1e-6
    with pytest.warns(ConvergenceWarning, match="feature 0 is furthest"):
        GradientDescentRegressor(random_state=0, **params).fit(small, y)


# the finiteness check made from a fit's own moments (no pass of its own) ------
def _fits_checked_from_moments():
    return [
        ("regressor l2", lambda: GradientDescentRegressor(penalty="l2")),
        ("regressor l1", lambda: GradientDescentRegressor(penalty="l1", alpha=0.01)),
        (
            "regressor no intercept",
            lambda: GradientDescentRegressor(fit_intercept=False),
        ),
        ("regressor huber", lambda: GradientDescentRegressor(loss="huber")),
        ("logistic binary", lambda: LogisticRegression()),
        ("logistic 3 classes", lambda: LogisticRegression()),
        ("logistic no intercept", lambda: LogisticRegression(fit_intercept=False)),
        ("pca covariance", lambda: PowerIterationPCA(n_components=2)),
        ("pca operator", lambda: PowerIterationPCA(n_components=2, method="lanczos")),
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape", [(200, 6), (20, 60)])
@pytest.mark.parametrize("name, make", _fits_checked_from_moments())
def test_a_nan_or_infinity_anywhere_in_x_is_named_without_a_warning(
    name, make, shape, bad, dtype
):
    # one bad entry in any row (the first block's, which sets the shift of
    # the moments, or a later one), with its row's weight 0 or not
    rng = np.random.default_rng(0)
    for row in (0, shape[0] - 1):
        X = rng.standard_normal(shape).astype(dtype)
        X[row, shape[1] // 2] = bad
        y = rng.standard_normal(shape[0])
        if name.startswith("logistic"):
            y = np.digitize(y, [-0.5, 0.5] if "classes" in name else [0.0])
        weight = np.ones(shape[0])
        weight[row] = 0.0
        for sw in (None, weight):
            est = make()
            kwargs = (
                {} if sw is None or name.startswith("pca") else {"sample_weight": sw}
            )
            args = (X,) if name.startswith("pca") else (X, y)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no RuntimeWarning on the way
                with pytest.raises(
                    ValueError, match="NaN" if bad != bad else "infinity"
                ):
                    est.fit(*args, **kwargs)


def test_moments_that_overflow_from_finite_x_are_named(monkeypatch):
    # finite float32 values whose squares overflow: a named error, not a
    # model fitted to infinities (where the fit is in float32 arithmetic:
    # small float32 data fit in float64, where they do not overflow)
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((100, 3)) * 1e20).astype(np.float32)
    y = rng.standard_normal(100)
    small = GradientDescentRegressor(penalty=None, tol=1e-10).fit(X, y)
    wide = GradientDescentRegressor(penalty=None, tol=1e-10).fit(X.astype(float), y)
    assert small.coef_.dtype == np.float32
    np.testing.assert_allclose(small.coef_, wide.coef_, rtol=1e-6)
    monkeypatch.setattr(_precision, "FLOAT64_MAX_ENTRIES", 0)  # X stands for large data
    for est, args in ((GradientDescentRegressor(penalty="l2"), (X, y)),
                      (PowerIterationPCA(n_components=2), (X,))):  # fmt: skip
        with pytest.raises(ValueError, match="overflow float32.*Scale the features"):
            est.fit(*args)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e-160), (np.float64, 1e-300),
                                          (np.float64, 1e-100), (np.float64, 1e100),
                                          (np.float64, 1e150), (np.float32, 1e-25),
                                          (np.float32, 1e15)])  # fmt: skip
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", ["block", "lanczos"])
def test_pca_of_values_whose_squares_leave_the_range(dtype, scale, sparse, method):
    # PCA is scale-equivariant: the axes and the shares of variance of c X
    # are those of X, its variances c^2 times theirs (0 where c^2 times them
    # is below the dtype's range), not axes fitted to underflowed squares or
    # found by solvers whose squared products overflow
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((40, 4)) * [3, 2, 1, 0.5] + [0, 1, 2, 3]).astype(dtype)
    ref = PowerIterationPCA(3, method=method, random_state=0).fit(X)
    Xs = (X * scale).astype(dtype)
    est = PowerIterationPCA(3, method=method, random_state=0)
    est.fit(sp.csr_matrix(Xs) if sparse else Xs)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(est.components_, ref.components_, atol=rtol)
    np.testing.assert_allclose(
        est.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=rtol
    )
    expected = ref.explained_variance_.astype(np.float64) * scale**2
    np.testing.assert_allclose(
        est.explained_variance_, expected.astype(dtype), rtol=rtol, atol=0
    )
    assert est.explained_variance_.dtype == dtype


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_a_regressor_on_values_of_1e150_fits_without_overflow_warnings(penalty):
    # alpha=0.1 is nothing beside losses of 1e300: least squares' answer;
    # the ridge's dual gap squares the gradient's rounding (inf, not a
    # RuntimeWarning from the package)
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = X @ rng.standard_normal(5) + 0.1 * rng.standard_normal(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = GradientDescentRegressor(penalty=penalty, alpha=0.1)
        est.fit(X * 1e150, y * 1e150)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-12)
    assert est.intercept_ == pytest.approx(ref.intercept_ * 1e150, rel=1e-12)


@pytest.mark.parametrize("container", ["dense", "sparse", "frame"])
@pytest.mark.parametrize(
    "est", [GradientDescentRegressor(penalty=None), LogisticRegression(C=np.inf),
            GradientDescentRegressor(alpha=0.0, solver="cg")],
    ids=["regressor", "logistic", "regressor_alpha_0"],
)  # fmt: skip
def test_features_whose_squares_underflow_are_named(container, est):
    # without a penalty, a column of values near 1e-160 has a coefficient
    # that matters, but its squares are below float64's range: the fit
    # takes it for a constant column (coefficient 0), which a warning names,
    # rather than a silent different model; with a penalty the optimum's
    # coefficient is 0 or negligible too, and nothing warns
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 4)) * [3, 2, 1, 0.5]
    y = X @ [1.0, 2.0, 3.0, 4.0] + rng.standard_normal(80)
    y = y if is_regressor(est) else (y + 5 * rng.standard_normal(80) > 0).astype(int)
    X_tiny = X * [1, 1e-160, 1, 1]
    X_tiny = {"dense": X_tiny, "sparse": sp.csr_matrix(X_tiny),
              "frame": pd.DataFrame(X_tiny, columns=list("abcd"))}[container]  # fmt: skip
    name = "b" if container == "frame" else "1"
    with pytest.warns(UserWarning, match=f"feature\\(s\\) {name} underflow float64"):
        clone(est).fit(X_tiny, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clone(est).fit(X * [1, 1e-150, 1, 1], y)  # squares of 1e-300: in range
        penalized = (
            {"C": 1.0} if "C" in est.get_params() else {"penalty": "l2", "alpha": 1e-3}
        )
        clone(est).set_params(**penalized).fit(X_tiny, y)


def test_gaussian_naive_bayes_variance_that_underflows_is_named():
    # the posterior of c X is that of X while the squares stay in range; where
    # they underflow (a NaN or a different posterior before), an error names
    # the feature; a constant column of tiny values is no such case
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3)) * [1, 2, 3] + [0, 1, 2]
    y = (X[:, 0] + rng.standard_normal(60) > 0).astype(int)
    ref = NaiveBayesClassifier().fit(X, y).predict_proba(X)
    for scale in [1e-150, 1e150]:
        proba = NaiveBayesClassifier().fit(X * scale, y).predict_proba(X * scale)
        np.testing.assert_allclose(proba, ref, atol=1e-12)
    for scale in [1e-160, 1e-200]:
        with pytest.raises(ValueError, match="Feature 0's squared deviations underf"):
            NaiveBayesClassifier().fit(X * scale, y)
    Z = np.c_[X, np.full(60, 1e-200)]
    np.testing.assert_allclose(
        NaiveBayesClassifier().fit(Z, y).predict_proba(Z), ref, atol=1e-12
    )


def test_gaussian_naive_bayes_variance_that_overflows_is_named():
    # squared deviations past float64's range: an error that names the
    # feature, and a model that stays as it was
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = (X[:, 0] > 0).astype(int)
    huge = X * [1.0, 1e200, 1.0]
    with pytest.raises(ValueError, match="Feature 1's squared deviations within"):
        NaiveBayesClassifier().fit(huge, y)
    est = NaiveBayesClassifier()
    with pytest.raises(ValueError, match="Feature 1"):
        est.fit(huge, y)
    assert not hasattr(est, "classes_")
    est.fit(X, y)
    before = est.theta_.copy(), est.var_.copy(), est.class_count_.copy()
    with pytest.raises(ValueError, match="Feature 1"):
        est.partial_fit(huge, y)
    for a, b in zip(before, (est.theta_, est.var_, est.class_count_), strict=True):
        np.testing.assert_array_equal(a, b)
    means_apart = np.c_[X[:, :1], np.where(y, 1e160, -1e160)]  # var 0 within
    with pytest.raises(ValueError, match="Feature 1's squared deviations between"):
        NaiveBayesClassifier(var_smoothing=0.0).fit(means_apart, y)


LABELS = [
    np.array([0, 1, 1, 0]),
    np.array([0.0, 1.0, 2.0, 2.0]),
    np.array([-3.0, 7.0, 7.0]),
    np.array([True, False, True]),
    np.array([0.5, 1.0, 1.0]),
    np.array([0.0, 1.0, np.nan]),
    np.array([0.0, np.inf, 1.0]),
    np.array([1e300, 0.0, 0.0]),
    np.array([2.0**60, 0.0, 1.0]),
    np.array(["a", "b", "a"]),
    np.array(["a", 1, "b"], dtype=object),
    np.array([[0, 1], [1, 0]]),
    np.array([[0.5], [1.0]]),
    np.array([], dtype=float),
    np.array([0.0, 1.0], dtype=np.float32),
    np.array([0.0, -0.0, 1.0]),
]


@pytest.mark.parametrize("y", LABELS, ids=lambda y: f"{y.dtype}{y.shape}")
def test_labels_are_checked_as_scikit_learn_checks_them(y):
    """``check_labels`` (a fast path for integer and whole-float vectors)
    accepts what scikit-learn's ``check_classification_targets`` accepts,
    and raises its error where that raises."""
    from sklearn.utils.multiclass import check_classification_targets

    from sklearn_foundations._compat import check_labels

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_classification_targets(y)
    except (ValueError, TypeError) as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc)[:30])):
            check_labels(y)
    else:
        check_labels(y)
