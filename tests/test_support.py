"""Newton's steps on the support past FISTA's tol (``optimize._support``):
the steps' error against FISTA's, collinear columns, the paths' fits
without them, and the Hessian's diagonal they use (the estimators' softmax
fits take proximal Newton's steps over the classes instead:
test_coupled.py)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris, make_classification
from sklearn.preprocessing import StandardScaler

from conftest import objective, optimality
from sklearn_foundations.datafits import LinearDatafit
from sklearn_foundations.losses import BinomialLogLoss, MultinomialLogLoss
from sklearn_foundations.optimize import fista, minimize
from sklearn_foundations.optimize._support import support_newton
from sklearn_foundations.penalties import L1, ElasticNet, WithIntercept


def _softmax_problem(loader):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Y = (y[:, None] == np.unique(y)).astype(float)
    s = np.full(len(y), 1 / len(y))
    return LinearDatafit(MultinomialLogLoss(), X, Y, s, s @ X, True), X, y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_support_steps_square_the_error(sparse, l1_ratio):
    """From FISTA's point at tol=1e-3, whose coefficients are 1.5e-3 off a
    tight FISTA's (relative), one step on the support takes them to 4e-6, at
    most ten times the error squared, its optimality to tol**2."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 12)) * np.geomspace(0.1, 10, 12) + 2.0
    y = (X[:, :3] @ [1.0, -0.1, 0.02] + rng.logistic(size=400) > 4.0).astype(float)
    X = sp.csr_matrix(np.where(np.abs(X) > 2.5, X, 0.0)) if sparse else X
    s = np.full(400, 1 / 400)
    x_mean = np.asarray(X.mean(axis=0)).ravel()
    f = LinearDatafit(BinomialLogLoss(), X, y[:, None], s, x_mean, True)
    pen = WithIntercept(ElasticNet(0.01, l1_ratio))
    theta0 = np.zeros((13, 1))
    loose = minimize(f, pen, theta0, method="fista", tol=1e-3, finish=False)
    tight = minimize(f, pen, theta0, method="fista", tol=1e-13, max_iter=200_000,
                     finish=False)  # fmt: skip
    res = support_newton(f, pen, loose.coef, tol=1e-3)
    scale = np.abs(tight.coef).max()
    before = np.abs(loose.coef - tight.coef).max() / scale
    after = np.abs(res.coef - tight.coef).max() / scale
    assert before > 1e-3
    assert after < 10 * before**2
    assert res.optimality <= 1e-6 and res.n_iter <= 3


def test_support_steps_on_collinear_columns():
    """Redundant columns (exact linear combinations) and no L2 term: the
    Hessian on the support is singular, and along its null direction the
    L1 term's slope sends conjugate gradient's step as far as rounding
    allows (1e9 where the coefficients are 1). The steps are cut where their
    first entry reaches zero, and where they do not reach tol the fit keeps
    FISTA's point: an objective at most FISTA's, an optimality at most its,
    coefficients of its size, all finite. The estimator's fit of the softmax
    takes proximal Newton's steps over the classes instead (the solution is
    not unique along the redundant columns: another of its points)."""
    X, y = make_classification(3000, 20, n_informative=8, n_redundant=4,
                               n_classes=4, random_state=0)  # fmt: skip
    X = StandardScaler().fit_transform(X)
    Y = (y[:, None] == np.unique(y)).astype(float)
    s = np.full(len(y), 1 / len(y))
    f = LinearDatafit(MultinomialLogLoss(), X, Y, s, s @ X, True)
    pen = WithIntercept(L1(1e-3))
    start = minimize(f, pen, np.zeros((21, 4)), method="fista", finish=False)
    res = minimize(f, pen, np.zeros((21, 4)), method="fista")
    steps = support_newton(f, pen, start.coef, tol=1e-4)
    assert np.all(np.isfinite(steps.coef)) and np.all(np.isfinite(res.coef))
    assert objective(f, pen, steps.coef) <= objective(f, pen, start.coef)
    assert res.converged
    assert objective(f, pen, res.coef) <= objective(f, pen, start.coef)
    assert optimality(f, pen, res.coef) <= optimality(f, pen, start.coef)
    assert np.abs(res.coef).max() <= 2 * np.abs(start.coef).max()


def test_paths_take_no_support_steps():
    """``finish=False`` (a path's fits) stops at FISTA's point: the same as
    FISTA called alone, with the method's own step."""
    f, X, _ = _softmax_problem(load_iris)
    pen = WithIntercept(L1(0.01))
    theta0 = np.zeros((5, 3))
    res = minimize(f, pen, theta0, method="fista", finish=False)
    finished = minimize(f, pen, theta0, method="fista")
    alone = fista(f, pen, theta0, step=res.step, max_iter=1000, tol=1e-4,
                  line_search=True, center=pen.center, metric=f.metric())  # fmt: skip
    assert finished.n_iter > res.n_iter
    assert res.n_iter <= alone.n_iter + 1
