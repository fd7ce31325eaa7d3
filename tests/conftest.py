"""Shared fixtures: real and synthetic regression problems."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler


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
