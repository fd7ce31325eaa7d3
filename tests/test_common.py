"""scikit-learn's estimator checks over every estimator the package exports."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_foundations


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
