"""scikit-learn's estimator checks over every estimator the package exports."""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_foundations
from sklearn_foundations import GradientDescentRegressor


def _exported_estimators():
    for name in sklearn_foundations.__all__:
        obj = getattr(sklearn_foundations, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            yield obj


def test_discovery_finds_every_estimator():
    names = {cls.__name__ for cls in _exported_estimators()}
    assert "GradientDescentRegressor" in names


# estimators whose parameter changes what they are: every documented mode is
# checked whole, as the default is
VARIANTS = {
    "GradientDescentRegressor": [
        dict(), dict(learning_rate="backtracking"), dict(loss="huber"),
        dict(penalty="l1"), dict(loss="poisson"),
        dict(loss="poisson", penalty="l1", solver="fista"),
    ],
    "LogisticRegression": [dict(), dict(l1_ratio=1.0), dict(solver="fista")],
    "GradientDescentRegressorCV": [
        dict(), dict(l1_ratio=[0.0, 0.5, 1.0], alphas=10), dict(loss="huber", alphas=5),
        dict(loss="poisson", alphas=10),
    ],
    "LogisticRegressionCV": [dict(), dict(l1_ratios=(0.0, 1.0), Cs=4)],
    "NaiveBayesClassifier": [
        dict(distribution=name)
        for name in ["gaussian", "bernoulli", "multinomial", "binomial", "poisson",
                     "categorical"]
    ],
    "PowerIterationPCA": [dict(), dict(method="deflation"), dict(whiten=True)],
}  # fmt: skip


def _instances():
    for cls in _exported_estimators():
        for params in VARIANTS.get(cls.__name__, [{}]):
            yield cls(**params)


@parametrize_with_checks(list(_instances()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", list(_exported_estimators()), ids=lambda c: c.__name__)
def test_parameter_names_and_validation_as_scikit_learns(cls):
    """The names of ``__init__``'s parameters, kept per class, are the ones
    scikit-learn reads from the signature; a value that passed validation
    once passes again, and an invalid one raises scikit-learn's error each
    time, also after valid values of the same parameter."""
    assert cls._get_param_names() == BaseEstimator._get_param_names.__func__(cls)
    est = cls()
    est._validate_params()
    est._validate_params()  # remembered
    names = [n for n in cls._get_param_names() if n in cls._parameter_constraints]
    for name in names:
        invalid = _invalid_value(cls._parameter_constraints[name])
        if invalid is None:
            continue
        est = cls().set_params(**{name: invalid})
        for _ in range(2):
            with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
                est._validate_params()


def _invalid_value(constraints):
    """A value none of ``constraints`` accepts (None where scikit-learn's
    generator has none)."""
    candidates = ["not a valid value", object()]
    for constraint in constraints:
        try:
            candidates.insert(
                0, generate_invalid_param_val(make_constraint(constraint))
            )
        except NotImplementedError:
            continue
    for value in candidates:
        if not any(make_constraint(c).is_satisfied_by(value) for c in constraints):
            return value
    return None


def test_validated_values_are_told_apart_by_type():
    """``5`` and ``5.0`` are equal and hash alike; ``max_iter`` takes only
    the integer: the float is checked on its own after the integer passed."""
    GradientDescentRegressor(max_iter=5)._validate_params()
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter"):
        GradientDescentRegressor(max_iter=5.0)._validate_params()


def test_parameter_names_of_a_subclass_are_its_own():
    """A subclass with its own ``__init__`` has its own parameter names."""

    class Shifted(GradientDescentRegressor):
        def __init__(self, *, shift=0.0, alpha=0.0001):
            super().__init__(alpha=alpha)
            self.shift = shift

    GradientDescentRegressor().get_params()
    assert set(Shifted().get_params()) == {"shift", "alpha"}
    assert "shift" not in GradientDescentRegressor().get_params()
