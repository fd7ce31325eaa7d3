"""Shared fixtures: real and synthetic regression problems."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler


@pytest.fixture
def fit_methods(monkeypatch):
    """The methods the estimators' fits ran (``result.method`` of each
    ``minimize`` call through ``linear_model._base``), in order."""
    from sklearn_foundations.linear_model import _base

    methods, solve = [], _base.minimize

    def spy(*args, **kwargs):
        result = solve(*args, **kwargs)
        methods.append(result.method)
        return result

    monkeypatch.setattr(_base, "minimize", spy)
    return methods


@pytest.fixture(scope="session")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def synthetic():
    rng = np.random.default_rng(0)
    n, d = 300, 20
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    w = np.zeros(d)
    w[:6] = rng.standard_normal(6) * 3
    y = X @ w + 1.5 + 0.5 * rng.standard_normal(n)
    return X, y


@pytest.fixture(scope="session")
def neighbour_correlated():
    """A maker of wide or square problems: ``X`` (``n x d``) whose columns
    each take 0.8 of the last plus 0.6 times fresh noise, ``y`` from its
    first ``informative`` columns plus unit noise (``seed`` its generator)."""

    def make(seed, n, d, informative):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d))
        for j in range(1, d):
            X[:, j] = 0.8 * X[:, j - 1] + 0.6 * X[:, j]
        y = X[:, :informative] @ rng.standard_normal(informative)
        return X, y + rng.standard_normal(n)

    return make


def objective(f, pen, theta):
    """The datafit ``f`` plus the penalty ``pen`` at ``theta``."""
    return f.value(theta, f.linear(theta)) + pen.value(theta)


def optimality(f, pen, theta):
    """The largest violation of the optimality conditions at ``theta``, in
    the units of each column's scale (the solvers' measure)."""
    grad = f.gradient(theta, f.linear(theta))
    return float(
        np.max(pen.subdiff_distance(theta, grad) / np.sqrt(f.metric())[:, None])
    )
