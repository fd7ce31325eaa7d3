"""Losses: closed forms, finite-difference gradients, Lipschitz bounds."""

import numpy as np
import pytest

from sklearn_foundations import check_gradient
from sklearn_foundations.losses import (
    BinomialLogLoss,
    HalfSquaredError,
    Huber,
    MultinomialLogLoss,
    SquaredEpsilonInsensitive,
)

LOSSES = [
    HalfSquaredError(),
    Huber(epsilon=0.3),
    Huber(epsilon=2.0),
    SquaredEpsilonInsensitive(epsilon=0.5),
]


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


def _labels(loss, rng, n):
    """Targets a loss accepts: 0/1 for the sigmoid, one-hot rows for the softmax."""
    if isinstance(loss, BinomialLogLoss):
        return rng.integers(0, 2, (n, 1)).astype(float)
    return np.eye(3)[rng.integers(0, 3, n)]


CLASSIFICATION = [BinomialLogLoss(), MultinomialLogLoss()]


@pytest.fixture(params=CLASSIFICATION, ids=lambda loss: type(loss).__name__)
def classification(request):
    loss = request.param
    rng = np.random.default_rng(2)
    y = _labels(loss, rng, 50)
    Xw = 3 * rng.standard_normal(y.shape)
    s = rng.uniform(0.1, 1, 50)
    return loss, y, Xw, s / s.sum()


def test_log_loss_gradient_matches_finite_differences(classification):
    loss, y, Xw, s = classification
    err = check_gradient(
        lambda z: loss.value(y, z, s), lambda z: loss.gradient(y, z, s), Xw
    )
    assert err < 1e-7


def test_log_loss_hessian_product_matches_finite_differences(classification):
    loss, y, Xw, s = classification
    V = np.random.default_rng(3).standard_normal(Xw.shape)
    h = 1e-6
    fd = (loss.gradient(y, Xw + h * V, s) - loss.gradient(y, Xw - h * V, s)) / (2 * h)
    np.testing.assert_allclose(loss.hessian_product(y, Xw, s, V), fd, atol=1e-9)


def test_squared_error_hessian_product_matches_finite_differences(problem):
    y, Xw, s = problem
    loss = HalfSquaredError()
    V = np.random.default_rng(3).standard_normal(Xw.shape)
    h = 1e-3  # the gradient is linear: central differences are exact
    fd = (loss.gradient(y, Xw + h * V, s) - loss.gradient(y, Xw - h * V, s)) / (2 * h)
    np.testing.assert_allclose(loss.hessian_product(y, Xw, s, V), fd, rtol=1e-8)


def test_log_loss_curvature_is_the_hessian_diagonal(classification):
    # per sample and output: the product with the unit direction of that
    # output (the softmax's product with ones is zero, its diagonal is not)
    loss, y, Xw, s = classification
    diagonal = np.column_stack(
        [
            loss.hessian_product(y, Xw, s, np.eye(Xw.shape[1])[[k] * len(Xw)])[:, k]
            for k in range(Xw.shape[1])
        ]
    )
    np.testing.assert_allclose(loss.curvature(y, Xw, s), diagonal, rtol=1e-12)
    assert np.all(diagonal > 0)


def test_log_loss_curvature_is_bounded_by_lipschitz(classification):
    loss, y, Xw, s = classification
    rng = np.random.default_rng(4)
    for _ in range(20):
        V = rng.standard_normal(Xw.shape)
        vHv = np.sum(V * loss.hessian_product(y, Xw, s, V))
        assert 0 <= vHv <= loss.lipschitz * np.sum(s[:, None] * V * V) + 1e-15


def test_log_losses_are_cross_entropies_of_their_probabilities(classification):
    loss, y, Xw, s = classification
    P = loss.predict_proba(Xw)
    Y = np.column_stack([1 - y[:, 0], y[:, 0]]) if y.shape[1] == 1 else y
    expected = -np.sum(s[:, None] * Y * np.log(P))
    assert loss.value(y, Xw, s) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(loss.predict_log_proba(Xw), np.log(P), rtol=1e-12)


@pytest.mark.parametrize("loss", CLASSIFICATION, ids=lambda loss: type(loss).__name__)
def test_log_losses_do_not_overflow(loss):
    rng = np.random.default_rng(5)
    y = _labels(loss, rng, 4)
    Xw = np.array([1e300, -1e300, 800.0, -800.0])[:, None] * np.ones(y.shape[1])
    Xw[:, 0] *= -1  # make the classes' predictors differ
    s = np.full(4, 0.25)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.value(y, Xw, s)
        grad = loss.gradient(y, Xw, s)
        proba = loss.predict_proba(Xw)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_multinomial_loss_does_not_depend_on_memory_layout(classification):
    """The softmax works on the transposed predictor: row- and column-major
    inputs (the datafit makes the latter) give the same numbers."""
    loss, y, Xw, s = classification
    V = np.random.default_rng(6).standard_normal(Xw.shape)
    F = [np.asfortranarray(a) for a in (y, Xw, V)]
    assert loss.value(*F[:2], s) == pytest.approx(loss.value(y, Xw, s), rel=1e-15)
    np.testing.assert_allclose(loss.gradient(*F[:2], s), loss.gradient(y, Xw, s))
    np.testing.assert_allclose(
        loss.hessian_product(F[0], F[1], s, F[2]), loss.hessian_product(y, Xw, s, V)
    )


def test_multinomial_value_gradient_is_value_and_gradient():
    loss, rng = MultinomialLogLoss(), np.random.default_rng(7)
    y = _labels(loss, rng, 50)
    Xw = 3 * rng.standard_normal(y.shape)
    s = rng.uniform(0.1, 1, 50)
    s /= s.sum()
    value, grad = loss.value_gradient(y, Xw, s)
    assert value == pytest.approx(loss.value(y, Xw, s), rel=1e-15)
    np.testing.assert_allclose(grad, loss.gradient(y, Xw, s), rtol=1e-15)


def test_squared_epsilon_insensitive_hessian_product_is_the_gradients_derivative(
    problem,
):
    y, Xw, s = problem
    loss = SquaredEpsilonInsensitive(epsilon=0.5)
    V = np.random.default_rng(2).standard_normal(Xw.shape)
    h = 1e-6
    numeric = (loss.gradient(y, Xw + h * V, s) - loss.gradient(y, Xw - h * V, s)) / (
        2 * h
    )
    np.testing.assert_allclose(loss.hessian_product(y, Xw, s, V), numeric, atol=1e-8)


@pytest.mark.parametrize("epsilon", [0.3, 2.0])
def test_huber_hessian_product_is_the_gradients_derivative(problem, epsilon):
    """Huber's second derivative is a step function (semismooth): 1 on the
    residuals within epsilon, 0 beyond; away from the kinks, the derivative
    of the gradient by finite differences."""
    y, Xw, s = problem
    loss = Huber(epsilon=epsilon)
    V = np.random.default_rng(2).standard_normal(Xw.shape)
    h = 1e-7
    r = np.abs(Xw - y)
    assert np.abs(r - epsilon).min() > 10 * h * np.abs(V).max()  # off the kinks
    numeric = (loss.gradient(y, Xw + h * V, s) - loss.gradient(y, Xw - h * V, s)) / (
        2 * h
    )
    product = loss.hessian_product(y, Xw, s, V)
    np.testing.assert_allclose(product, numeric, atol=1e-8)
    assert np.any(product == 0) and np.any(product != 0)  # both pieces
    assert loss.semismooth and not loss.newton


def _every_loss():
    """Every loss class of the module with a second order (a continuous
    one, or the step function of Huber's and the epsilon-insensitive
    one's), with a valid (y, Xw, s) for it."""
    from sklearn_foundations import losses

    rng = np.random.default_rng(5)
    Xw, s = rng.standard_normal((30, 1)), np.full(30, 1 / 30)
    labels = rng.integers(0, 3, 30)
    cases = {
        "BinomialLogLoss": (labels[:, None] % 2 * 1.0, Xw),
        "MultinomialLogLoss": (np.eye(3)[labels], rng.standard_normal((30, 3))),
        "HalfPoissonDeviance": (rng.poisson(2.0, (30, 1)) * 1.0, Xw),
    }
    for name, cls in vars(losses).items():
        second = isinstance(cls, type) and hasattr(cls, "hessian_product")
        if second and issubclass(cls, losses.Loss):
            y, Z = cases.get(name, (rng.standard_normal((30, 1)), Xw))
            yield pytest.param(cls(), y, Z, s, id=name)


@pytest.mark.parametrize("loss, y, Xw, s", list(_every_loss()))
def test_hessian_at_is_the_hessian_product(loss, y, Xw, s):
    # the loss's part at Xw computed once: the same numbers for every V
    product = loss.hessian_at(y, Xw, s)
    rng = np.random.default_rng(6)
    for _ in range(3):
        V = rng.standard_normal(Xw.shape)
        np.testing.assert_array_equal(product(V), loss.hessian_product(y, Xw, s, V))
