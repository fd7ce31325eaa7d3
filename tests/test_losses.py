"""Losses: closed forms, finite-difference gradients, Lipschitz bounds."""

import numpy as np
import pytest

from sklearn_foundations import check_gradient
from sklearn_foundations.losses import HalfSquaredError, Huber

LOSSES = [HalfSquaredError(), Huber(epsilon=0.3), Huber(epsilon=2.0)]


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    y = rng.standard_normal((40, 2))
    Xw = rng.standard_normal((40, 2)) * 2
    s = rng.uniform(0.1, 1, 40)
    return y, Xw, s / s.sum()


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_gradient_matches_finite_differences(loss, problem):
    y, Xw, s = problem
    err = check_gradient(
        lambda z: loss.value(y, z, s), lambda z: loss.gradient(y, z, s), Xw
    )
    assert err < 1e-7


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_gradient_is_lipschitz_with_the_stated_constant(loss, problem):
    y, Xw, s = problem
    rng = np.random.default_rng(1)
    for _ in range(20):
        delta = rng.standard_normal(Xw.shape)
        dg = loss.gradient(y, Xw + delta, s) - loss.gradient(y, Xw, s)
        # per sample: |l'(a) - l'(b)| <= L |a - b|, weighted by s
        assert np.all(np.abs(dg) <= loss.lipschitz * s[:, None] * np.abs(delta) + 1e-15)


def test_squared_error_closed_form(problem):
    y, Xw, s = problem
    expected = 0.5 * np.sum(s[:, None] * (Xw - y) ** 2)
    assert HalfSquaredError().value(y, Xw, s) == pytest.approx(expected, rel=1e-14)


def test_huber_is_squared_inside_and_linear_outside():
    y, s = np.zeros((3, 1)), np.ones(3) / 3
    Xw = np.array([[0.5], [-3.0], [1.0]])
    loss = Huber(epsilon=1.0)
    expected = (0.125 + (3.0 - 0.5) + 0.5) / 3
    assert loss.value(y, Xw, s) == pytest.approx(expected, rel=1e-14)
    # a small epsilon turns Huber into epsilon * absolute error, up to a constant
    tiny = Huber(epsilon=1e-8)
    assert tiny.value(y, Xw, s) == pytest.approx(1e-8 * np.mean(np.abs(Xw)), rel=1e-6)
