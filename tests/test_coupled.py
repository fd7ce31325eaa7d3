"""Proximal Newton over the softmax's coupled classes past FISTA's tol
(``optimize._coupled``): the estimator's default-tol fits with an L1 term
against a tight FISTA and scikit-learn's saga, the solver from a loose
point (weights, no intercept, sparse; float32 data keep the support's
steps), the masked coupled Hessian
against the whole one and finite differences, its cost bound, and the
callback's count."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, load_iris, load_wine, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

import sklearn_foundations.optimize._coupled as coupled
from conftest import objective, optimality
from sklearn_foundations import LogisticRegression, datafits
from sklearn_foundations.datafits import LinearDatafit
from sklearn_foundations.losses import MultinomialLogLoss
from sklearn_foundations.optimize import minimize
from sklearn_foundations.optimize._coupled import coupled_newton
from sklearn_foundations.optimize._support import support_newton
from sklearn_foundations.penalties import ElasticNet, WithIntercept


def _softmax(X, y, s=None, fit_intercept=True):
    Y = (y[:, None] == np.unique(y)).astype(X.dtype)
    s = np.full(len(y), 1 / len(y)) if s is None else s / s.sum()
    x_mean = np.asarray(X.T @ s).ravel() if fit_intercept else None
    return LinearDatafit(MultinomialLogLoss(), X, Y, s, x_mean, fit_intercept)


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_digits])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_softmax_l1_at_default_tol_is_at_the_optimum(loader, C, l1_ratio):
    """At the default tol a softmax with an L1 term (FISTA's case) was 2e-7
    to 9e-2 off its optimum (relative objective) on iris, wine and digits
    (digits at C=10: 9e-2, its coefficients 2.2 off): FISTA's optimality of
    1e-4 leaves the flat directions' error, and its support at tol is not
    the solution's (Newton's steps on it, the last fits' step past tol, left
    wine at C=10 1e-4 off and digits at C >= 1 where FISTA stopped).
    Proximal Newton over the classes takes every fit to the optimum of a
    tight FISTA (a second solver), to 1e-9."""
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    f = _softmax(X, y)
    pen = WithIntercept(ElasticNet(1 / (C * len(y)), l1_ratio))
    theta0 = np.zeros((X.shape[1] + 1, f.n_targets))
    tight = minimize(f, pen, theta0, method="fista", tol=1e-10, max_iter=200_000,
                     finish=False)  # fmt: skip
    model = LogisticRegression(C=C, l1_ratio=l1_ratio).fit(X, y)
    theta = np.vstack([model.coef_.T, model.intercept_])
    theta[-1] += f.x_mean @ model.coef_.T  # the datafit's centered intercept
    best = objective(f, pen, tight.coef)
    assert (objective(f, pen, theta) - best) / best < 1e-9


def _saga(X, y, C, l1_ratio, tol):
    """scikit-learn's saga at a tight ``tol`` (the reference of parity)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkLogisticRegression(
            C=C, l1_ratio=l1_ratio, solver="saga", tol=tol, max_iter=100_000
        ).fit(X, y)


def test_softmax_l1_matches_scikit_learn_saga():
    """Parity: iris, C=1, L1, at the default tol within 1e-6 of scikit-learn's
    saga at tol=1e-10 (relative coefficients)."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = _saga(X, y, C=1.0, l1_ratio=1.0, tol=1e-10)
    ours = LogisticRegression(C=1.0, l1_ratio=1.0).fit(X, y)
    scale = np.abs(ref.coef_).max()
    # the softmax's coefficients are defined up to a shift of each feature's
    # row; the L1 optimum takes its median, saga's iterates need not
    W_ours = ours.coef_ - np.median(ours.coef_, axis=0)
    W_ref = ref.coef_ - np.median(ref.coef_, axis=0)
    assert np.abs(W_ours - W_ref).max() / scale < 1e-6


def _problem(case):
    X, y = make_classification(
        600, 25, n_informative=10, n_classes=5, n_clusters_per_class=1,
        random_state=0,
    )  # fmt: skip
    X = X * np.geomspace(0.1, 10, 25)  # unscaled
    if case != "no intercept":
        X = X + 3.0  # non-zero means, where the intercept takes them
    s = None
    if case == "weights":
        s = np.random.default_rng(1).uniform(0.2, 2.0, len(y))
    if case == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X - 3.0) > 2.0, X, 0.0))
    return _softmax(X, y, s, fit_intercept=case != "no intercept")


@pytest.mark.parametrize("case", ["plain", "weights", "no intercept", "sparse"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_coupled_steps_from_a_loose_point(case, l1_ratio):
    """From FISTA's point at tol=1e-3 (1e-4 to 1e-2 off, relative), a few
    iterations reach an optimality of at most tol**2 and a tight FISTA's
    objective (to 1e-10 relative), whatever the weights, the intercept or
    the storage."""
    f = _problem(case)
    d, k = f.n_features, f.n_targets
    pen = ElasticNet(3e-3, l1_ratio)
    pen = WithIntercept(pen) if f.fit_intercept else pen
    theta0 = np.zeros((d + int(f.fit_intercept), k))
    loose = minimize(f, pen, theta0, method="fista", tol=1e-3, finish=False)
    tight = minimize(f, pen, theta0, method="fista", tol=1e-11, max_iter=200_000,
                     finish=False)  # fmt: skip
    res = coupled_newton(f, pen, loose.coef, tol=1e-3)
    best = objective(f, pen, tight.coef)
    assert (objective(f, pen, loose.coef) - best) / best > 1e-6
    assert (objective(f, pen, res.coef) - best) / best < 1e-10
    assert res.converged and res.n_iter <= 6 and res.optimality <= 1e-6
    assert optimality(f, pen, res.coef) == pytest.approx(res.optimality, abs=1e-12)


def test_float32_data_keep_the_support_steps():
    """A float32 datafit (data too large for the estimators' float64
    arithmetic) takes Newton's steps on FISTA's support, not the coupled
    ones (float32's rounding leaves each row's shift a slope and a
    curvature of 1e-7, along which the coupled steps run off): the fit's
    point is the one those steps give."""
    f64 = _problem("plain")
    X = f64.X.astype(np.float32)
    f = LinearDatafit(MultinomialLogLoss(), X, f64.y.astype(np.float32), f64.s,
                      f64.x_mean.astype(np.float32), True)  # fmt: skip
    pen = WithIntercept(ElasticNet(3e-3, 1.0))
    theta0 = np.zeros((f.n_features + 1, f.n_targets), dtype=np.float32)
    plain = minimize(f, pen, theta0, method="fista", finish=False)
    res = minimize(f, pen, theta0, method="fista")
    steps = support_newton(f, pen, plain.coef, tol=1e-4,
                           max_products=max(plain.n_iter, 10))  # fmt: skip
    expected = steps.coef if steps.converged else plain.coef
    np.testing.assert_array_equal(res.coef, expected)


@pytest.mark.parametrize("small", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_masked_coupled_hessian(fit_intercept, small, monkeypatch):
    """The coupled Hessian on a mask of its coordinates is the whole one's
    block (to rounding), by blocks or, small, in two products over every
    row; and the whole one's products are the gradient's central
    differences."""
    monkeypatch.setattr(datafits, "_MASKED_SMALL_FLOPS", np.inf if small else 0)
    f = _problem("plain" if fit_intercept else "no intercept")
    rng = np.random.default_rng(0)
    m = f.n_features + int(fit_intercept)
    theta = 0.1 * rng.standard_normal((m, f.n_targets))
    Z = f.linear(theta)
    ws = np.arange(f.n_features)
    H = f.coupled_hessian(Z, ws)
    mask = rng.uniform(size=theta.shape) < 0.4
    at = np.flatnonzero(mask.ravel())
    np.testing.assert_allclose(
        f.coupled_hessian(Z, ws, mask), H[np.ix_(at, at)], rtol=1e-10, atol=1e-12
    )
    v, eps = rng.standard_normal(theta.shape), 1e-6
    up = f.gradient(theta + eps * v, f.linear(theta + eps * v))
    down = f.gradient(theta - eps * v, f.linear(theta - eps * v))
    np.testing.assert_allclose(
        H @ v.ravel(), ((up - down) / (2 * eps)).ravel(), rtol=1e-5, atol=1e-8
    )


def test_model_cost_bound_keeps_the_support_steps(monkeypatch):
    """Where a model would cost more than ``MODEL_FLOPS``, no coupled step
    is taken: the fit is FISTA's followed by Newton's steps on its support
    (wine at C=10, whose support FISTA has not settled: 1e-4 off), as
    before; with the steps, at the optimum."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    f = _softmax(X, y)
    pen = WithIntercept(ElasticNet(1 / (10 * len(y)), 1.0))
    theta0 = np.zeros((X.shape[1] + 1, f.n_targets))
    plain = minimize(f, pen, theta0, method="fista", finish=False)
    steps = support_newton(f, pen, plain.coef, tol=1e-4, max_products=plain.n_iter)
    monkeypatch.setattr(coupled, "MODEL_FLOPS", 1.0)
    bounded = minimize(f, pen, theta0, method="fista")
    np.testing.assert_array_equal(bounded.coef, steps.coef)
    monkeypatch.undo()
    stepped = minimize(f, pen, theta0, method="fista")
    tight = minimize(f, pen, theta0, method="fista", tol=1e-10, max_iter=200_000,
                     finish=False)  # fmt: skip
    best = objective(f, pen, tight.coef)
    assert (objective(f, pen, steps.coef) - best) / best > 1e-6
    assert (objective(f, pen, stepped.coef) - best) / best < 1e-10


def test_callback_counts_on_from_fista():
    """The callback sees FISTA's iterations, then the coupled steps', one
    count each; the fit's n_iter is their sum."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    f = _softmax(X, y)
    pen = WithIntercept(ElasticNet(1 / (10 * len(y)), 1.0))
    seen = []
    res = minimize(
        f, pen, np.zeros((X.shape[1] + 1, f.n_targets)), method="fista",
        callback=lambda state: seen.append(state.iteration),
    )  # fmt: skip
    plain = minimize(f, pen, np.zeros_like(res.coef), method="fista", finish=False)
    assert seen == list(range(1, res.n_iter + 1))
    assert res.n_iter > plain.n_iter


def test_fista_out_of_max_iter_hands_on_within_it():
    """A softmax fit whose FISTA does not converge within the default
    ``max_iter=100`` (redundant columns: it stopped there 1.6e-3 off, with
    a ConvergenceWarning) leaves its last ``COUPLED_RESERVE`` iterations to
    the coupled steps: converged, no warning, at a tight fit's objective,
    ``n_iter_`` within ``max_iter``."""
    X, y = make_classification(500, 20, n_informative=10, n_redundant=4,
                               n_classes=3, n_clusters_per_class=1,
                               random_state=0)  # fmt: skip
    f = _softmax(X, y)
    pen = WithIntercept(ElasticNet(1 / len(y), 1.0))
    theta0 = np.zeros((X.shape[1] + 1, f.n_targets))
    alone = minimize(f, pen, theta0, method="fista", max_iter=100, finish=False)
    tight = minimize(f, pen, theta0, method="fista", tol=1e-10, max_iter=200_000,
                     finish=False)  # fmt: skip
    assert not alone.converged
    res = minimize(f, pen, theta0, method="fista", max_iter=100)
    assert res.converged and res.n_iter <= 100
    best = objective(f, pen, tight.coef)
    assert (objective(f, pen, alone.coef) - best) / best > 1e-4
    assert (objective(f, pen, res.coef) - best) / best < 1e-10


def _made(n, d, k, seed=0):
    X, y = make_classification(n, d, n_informative=d - 2, n_classes=k,
                               n_clusters_per_class=1, random_state=seed)  # fmt: skip
    return X * np.geomspace(0.1, 10, d) + 3.0, y  # unscaled, non-zero means


@pytest.mark.parametrize(
    "data, expected",
    [
        ("iris", "coupled-newton"),
        ("wine", "coupled-newton"),
        ((500, 20, 4), "coupled-newton"),  # a whole model of 3.5e6 flops
        ((1000, 20, 5), "fista"),  # of 1.1e7, beyond COUPLED_MAX_FLOPS
        ("digits", "fista"),
    ],
)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_auto_takes_the_coupled_steps_from_the_start_on_small_data(
    fit_methods, data, expected, l1_ratio
):
    """A softmax with an L1 term whose whole model is cheap takes proximal
    Newton over its coupled classes from the start (6-17 iterations where
    FISTA took 21-95 on iris and wine), on to ``tol**2``: at a tight
    FISTA's objective (a second solver) to 1e-12, its optimality at most
    ``tol**2``; larger ones keep FISTA."""
    if isinstance(data, tuple):
        X, y = _made(*data)
    else:
        loader = {"iris": load_iris, "wine": load_wine, "digits": load_digits}[data]
        X, y = loader(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    model = LogisticRegression(C=1.0, l1_ratio=l1_ratio).fit(X, y)
    assert fit_methods == [expected]
    if expected == "fista":
        return
    f = _softmax(X, y)
    pen = WithIntercept(ElasticNet(1 / len(y), l1_ratio))
    theta = np.vstack([model.coef_.T, model.intercept_])
    theta[-1] += f.x_mean @ model.coef_.T  # the datafit's centered intercept
    tight = minimize(f, pen, np.zeros_like(theta), method="fista", tol=1e-11,
                     max_iter=200_000, finish=False)  # fmt: skip
    best = objective(f, pen, tight.coef)
    assert (objective(f, pen, theta) - best) / best < 1e-12
    assert optimality(f, pen, theta) <= 1e-8


def test_float32_softmax_keeps_fista(fit_methods):
    """float32 data keep FISTA (and the support's steps): the coupled steps
    need float64's rounding of each row's shift."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    f = _softmax(X, y)
    assert f.dtype == np.float32
    pen = WithIntercept(ElasticNet(1 / len(y), 1.0))
    res = minimize(f, pen, np.zeros((5, 3), dtype=np.float32))
    assert res.method == "fista" and res.converged


@pytest.mark.parametrize("loader", [load_iris, load_wine])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_coupled_steps_below_the_objectives_rounding(loader, C):
    """Near the optimum a step's decrease is below the objective's rounding
    (iris at C=0.1: the model's 3e-20 against F's 1e-16): the step is taken
    whole where it lowers the optimality. Stopping there instead left
    iris at an optimality of 4e-11, its coefficients 2e-9 off, where the
    target, ``tol**2`` of 1e-8, is the objective's rounding (4e-15)."""
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    f = _softmax(X, y)
    pen = WithIntercept(ElasticNet(1 / (C * len(y)), 1.0))
    theta0 = np.zeros((X.shape[1] + 1, f.n_targets))
    res = coupled_newton(f, pen, theta0, tol=1e-8, max_iter=100)
    assert res.converged and res.optimality <= 1e-13
    assert optimality(f, pen, res.coef) == pytest.approx(res.optimality, abs=1e-15)


def test_coupled_steps_that_stop_short_hand_on_to_fista(monkeypatch):
    """Under "auto", coupled steps that stop short (here: a model over
    ``MODEL_FLOPS``, none taken) hand their point to FISTA, which
    converges; named, the method stops there, unconverged."""
    X, y = load_iris(return_X_y=True)
    f = _softmax(StandardScaler().fit_transform(X), y)
    pen = WithIntercept(ElasticNet(1 / len(y), 1.0))
    theta0 = np.zeros((5, 3))
    monkeypatch.setattr(coupled, "MODEL_FLOPS", 1.0)
    named = minimize(f, pen, theta0, method="coupled-newton")
    assert named.method == "coupled-newton" and not named.converged
    res = minimize(f, pen, theta0)
    assert res.method == "fista" and res.converged


@pytest.mark.parametrize("solver", ["auto", "coupled-newton"])
def test_coupled_newton_named_or_auto_matches_scikit_learn(solver):
    """Parity at tight tol: wine's softmax with an elastic net, against
    scikit-learn's saga (relative coefficients, each feature's row
    centered: saga's iterates need not take the penalty's shift)."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = _saga(X, y, C=0.5, l1_ratio=0.5, tol=1e-12)
    ours = LogisticRegression(C=0.5, l1_ratio=0.5, solver=solver).fit(X, y)
    W = ours.coef_ - ours.coef_.mean(axis=0)
    W_ref = ref.coef_ - ref.coef_.mean(axis=0)
    assert np.abs(W - W_ref).max() / np.abs(W_ref).max() < 1e-7


@pytest.mark.parametrize("C", [0.01, 1.0, 10.0])
def test_intercepts_do_not_move_along_their_common_shift(C):
    """A softmax's intercept block is null along the intercepts' common
    shift; its pseudo-inverse by a threshold on the eigenvalues kept a
    rounded null eigenvalue (4e-16) near the optimum on wine, a step of 0.15
    along the shift and a linear tail (6 iterations at C=0.01, 14 at C=1).
    From intercepts of zero sum every iterate keeps a zero sum, and the
    block's inverse is the exact pseudo-inverse (its null direction
    projected out)."""
    X, y = load_wine(return_X_y=True)
    f = _softmax(StandardScaler().fit_transform(X), y)
    pen = WithIntercept(ElasticNet(1 / (C * len(y)), 1.0))
    sums = []
    res = coupled_newton(
        f, pen, np.zeros((14, 3)), tol=1e-8, max_iter=50,
        callback=lambda state: sums.append(abs(state.theta[-1].sum())),
    )  # fmt: skip
    assert res.converged and res.optimality <= 1e-14
    assert max(sums) < 1e-12
    H = f.coupled_hessian(f.linear(res.coef), np.arange(13))[-3:, -3:]
    P = np.eye(3) - 1 / 3  # the projection off the shift
    exact = np.linalg.pinv(P @ H @ P, rcond=1e-8, hermitian=True)
    np.testing.assert_allclose(
        coupled._intercepts_inverse(H, shift=True), exact, atol=1e-10
    )


def test_intercepts_inverse_with_a_class_of_probability_zero():
    """A class whose probabilities underflow to 0 leaves the intercepts'
    block null along a second direction: the inverse is still the exact
    pseudo-inverse (not a matrix of 1e16, as an inverse of the shifted
    block gives)."""
    p = np.array([0.6, 0.4, 0.0])
    H = np.diag(p) - np.outer(p, p)
    exact = np.linalg.pinv(H, rcond=1e-8, hermitian=True)
    np.testing.assert_allclose(
        coupled._intercepts_inverse(H, shift=True), exact, atol=1e-12
    )
