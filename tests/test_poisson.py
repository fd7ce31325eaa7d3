"""Poisson regression, ``GradientDescentRegressor(loss="poisson")``: the L2
optimum is scikit-learn's PoissonRegressor's (same alpha), L1 and elastic net
agree between two methods and meet the KKT conditions, and counts are
validated, predicted and scored as scikit-learn's GLMs do."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import xlogy
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import d2_tweedie_score

from sklearn_foundations import GradientDescentRegressor


def _counts(n=400, d=6, seed=0, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + rng.uniform(-1, 1, d)
    if sparse:
        X[rng.random((n, d)) < 0.5] = 0.0
    w = rng.standard_normal(d) * 0.3
    w[::3] = 0.0  # features without effect, for L1 to find
    y = rng.poisson(np.exp(0.5 + (X - X.mean(0)) @ w)).astype(float)
    sw = rng.uniform(0.2, 3.0, n)
    return (sp.csr_matrix(X) if sparse else X), y, sw


def _objective(coef, intercept, X, y, sw, alpha, l1_ratio):
    """Weighted mean half Poisson deviance plus the elastic net."""
    z = np.asarray(X @ coef).ravel() + intercept
    dev = xlogy(y, y) - y * z + np.exp(z) - y
    penalty = alpha * (l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * coef @ coef)
    return sw @ dev / sw.sum() + penalty


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l2_optimum_is_poisson_regressors(sparse, fit_intercept):
    X, y, sw = _counts(sparse=sparse)
    alpha = 0.05
    ours = GradientDescentRegressor(
        loss="poisson", alpha=alpha, tol=1e-12, fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=sw)
    ref = PoissonRegressor(
        alpha=alpha, tol=1e-14, max_iter=10_000, fit_intercept=fit_intercept,
        solver="newton-cholesky",
    ).fit(X, y, sample_weight=sw)  # fmt: skip
    F = _objective(ours.coef_, ours.intercept_, X, y, sw, alpha, 0.0)
    F_ref = _objective(ref.coef_, ref.intercept_, X, y, sw, alpha, 0.0)
    assert F - F_ref <= 1e-8 * abs(F_ref)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-6)
    assert ours.score(X, y, sw) == pytest.approx(ref.score(X, y, sw), rel=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l1_and_elastic_net_agree_between_methods_and_meet_kkt(sparse, l1_ratio):
    X, y, sw = _counts(sparse=sparse, seed=1)
    alpha, tol = 0.15, 1e-10
    fits = {
        solver: GradientDescentRegressor(
            loss="poisson",
            penalty="elasticnet",
            alpha=alpha,
            l1_ratio=l1_ratio,
            tol=tol,
            solver=solver,
            max_iter=100_000,
        ).fit(X, y, sample_weight=sw)  # fmt: skip
        for solver in ("prox-newton", "fista")
    }
    values = {
        k: _objective(e.coef_, e.intercept_, X, y, sw, alpha, l1_ratio)
        for k, e in fits.items()
    }
    assert abs(values["fista"] - values["prox-newton"]) <= 1e-8 * values["fista"]
    est = fits["prox-newton"]
    assert np.any(est.coef_ != 0)
    assert l1_ratio < 1 or np.any(est.coef_ == 0)  # the lasso finds exact zeros
    # KKT: the gradient of the mean deviance, in units of each column's scale
    Xd = X.toarray() if sparse else X
    s = sw / sw.sum()
    r = s * (np.exp(Xd @ est.coef_ + est.intercept_) - y)
    g = Xd.T @ r
    scale = np.sqrt(s @ (Xd - s @ Xd) ** 2)
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    w = est.coef_
    violation = np.where(
        w != 0, np.abs(g + l1 * np.sign(w) + l2 * w), np.maximum(np.abs(g) - l1, 0)
    )
    assert np.max(violation / scale) <= 1e-7
    assert abs(r.sum()) <= 1e-9  # the intercept is optimal


def test_predict_is_the_exponential_and_score_the_deviance_explained():
    X, y, sw = _counts(seed=2)
    est = GradientDescentRegressor(loss="poisson", alpha=0.01, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(est.predict(X), np.exp(X @ est.coef_ + est.intercept_))
    assert est.score(X, y, sw) == pytest.approx(
        d2_tweedie_score(y, est.predict(X), sample_weight=sw, power=1), rel=1e-10
    )


def test_weights_are_repeated_rows():
    X, y, _ = _counts(n=60, seed=3)
    counts = np.random.default_rng(0).integers(0, 3, len(y))
    params = dict(loss="poisson", penalty="l1", alpha=0.01, tol=1e-12)
    a = GradientDescentRegressor(**params).fit(X, y, sample_weight=counts)
    b = GradientDescentRegressor(**params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)


def test_counts_are_validated_with_a_clear_error():
    X, y, _ = _counts(n=50)
    bad = y.copy()
    bad[7] = -1.0
    with pytest.raises(
        ValueError,
        match=r"valid range of the loss \(Poisson's: y >= 0\): y\[7\] = \[-1.0\]",
    ):
        GradientDescentRegressor(loss="poisson").fit(X, bad)
    with pytest.raises(ValueError, match="positive"):
        GradientDescentRegressor(loss="poisson").fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="Lipschitz"):
        GradientDescentRegressor(loss="poisson", batch_size=10).fit(X, y)


def test_minibatch_and_early_stopping_fit_poisson():
    X, y, _ = _counts(n=2000, seed=4)
    ref = GradientDescentRegressor(loss="poisson", alpha=1e-3, tol=1e-10).fit(X, y)
    sgd = GradientDescentRegressor(
        loss="poisson", alpha=1e-3, batch_size=32, learning_rate="invscaling",
        eta0=0.02, power_t=0.25, random_state=0, max_iter=50, tol=1e-6,
    ).fit(X, y)  # fmt: skip
    assert sgd.score(X, y) == pytest.approx(ref.score(X, y), abs=0.02)
    early = GradientDescentRegressor(
        loss="poisson", alpha=1e-3, early_stopping=True, random_state=0
    ).fit(X, y)
    assert early.score(X, y) == pytest.approx(ref.score(X, y), abs=0.02)
