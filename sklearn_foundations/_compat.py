"""The one module that imports scikit-learn's private helpers.

scikit-learn keeps parameter validation, the fit context and sample-weight
checks in private modules; importing them from here alone means one place to
change when they move. The callback API (``sklearn.callback``, public from
scikit-learn 1.9) comes through here too, with a stand-in for older versions.
"""

import inspect
from contextlib import nullcontext

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator as _BaseEstimator
from sklearn.base import _fit_context
from sklearn.metrics import make_scorer
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    _num_samples,
    assert_all_finite,
)

try:  # scikit-learn >= 1.9: the callback API
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - older scikit-learn

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin before 1.9: no callbacks."""

        def set_callbacks(self, *callbacks):
            raise ImportError(
                "Callbacks need scikit-learn >= 1.9 (sklearn.callback); "
                "upgrade scikit-learn."
            )


__all__ = [
    "BaseEstimator",
    "CallbackSupportMixin",
    "Hidden",
    "Interval",
    "StrOptions",
    "_check_method_params",
    "_fit_context",
    "_raise_for_params",
    "_routing_enabled",
    "check_finite",
    "check_labels",
    "check_sample_weight",
    "deferred_check",
    "scorer_with_labels",
]


class BaseEstimator(_BaseEstimator):
    """scikit-learn's ``BaseEstimator``, with two lookups remembered.

    ``get_params`` (and so ``clone`` and the parameter validation of every
    ``fit``) reads the names of ``__init__``'s parameters from its signature,
    by :func:`inspect.signature` at each call; they are kept per class here.
    ``_validate_params`` checks each parameter against
    ``_parameter_constraints`` at each ``fit``; here a value of a plain type
    (a string, number, bool or None) that passed once for a parameter of the
    class is not checked again, every other value is, by scikit-learn's
    :func:`validate_parameter_constraints` (its errors, in its order). On a
    small data set the two took a tenth of a fit's time.
    """

    @classmethod
    def _get_param_names(cls):
        key = (cls, cls.__init__)
        names = _PARAM_NAMES.get(key)
        if names is None:
            names = _PARAM_NAMES[key] = tuple(super()._get_param_names())
        return list(names)

    def _validate_params(self):
        cls = type(self)
        params = self.get_params(deep=False)
        fresh = {
            name: value
            for name, value in params.items()
            if _valid_key(cls, name, value) not in _VALID
        }
        validate_parameter_constraints(
            self._parameter_constraints, fresh, caller_name=cls.__name__
        )
        if len(_VALID) > _VALID_MAX:  # a long search over floats: start over
            _VALID.clear()
        _VALID.update(_valid_key(cls, name, value) for name, value in fresh.items())
        _VALID.discard(None)


_PARAM_NAMES = {}  # (class, its __init__): the parameters' names
_VALID = set()  # (class, parameter, type, value) that passed validation
_VALID_MAX = 4096
_PLAIN = (str, int, float, bool, type(None))


def _valid_key(cls, name, value):
    """The key of a parameter's value in the validated set: None (never
    found) unless its type is plain, whose equality is its value's."""
    return (cls, name, type(value), value) if type(value) in _PLAIN else None


def check_sample_weight(sample_weight, X, dtype=None):
    """Validated non-negative sample weights with a positive sum.

    Raises
    ------
    ValueError
        If a weight is negative, or if all weights are zero.
    """
    if sample_weight is None:  # ones: nothing to check (a pass less)
        float_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
        return np.ones(_num_samples(X), dtype=float_dtype)
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=True
    )
    if not np.any(sample_weight > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number; "
            "all sample_weight values are zero."
        )
    return sample_weight


def check_labels(y):
    """scikit-learn's ``check_classification_targets(y)``, at once for the
    common case: a vector of integers or bools, or of floats that all are
    whole numbers (its "binary" or "multiclass"); every other ``y`` goes to
    scikit-learn's check, with its errors. Its check costs about 0.25 ms, a
    tenth of a logistic fit on a small data set."""
    y = np.asarray(y) if not sp.issparse(y) else y
    if not sp.issparse(y) and y.ndim == 1 and y.size:
        if y.dtype.kind in "iub":
            return
        if y.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                if np.all(np.abs(y) < 2.0**53) and np.all(y == np.floor(y)):
                    return
    check_classification_targets(y)


def check_finite(X, estimator, *moments):
    """The check that ``X`` holds no NaN or infinity (``validate_data``'s with
    ``ensure_all_finite=True``), from ``moments`` a fit summed over every
    entry of ``X`` in its own pass where it has them (sums of squares: a NaN
    or an infinity makes them non-finite), so that no pass is spent on the
    check; else, or where they are not finite, scikit-learn's check (on the
    stored values of sparse ``X``), with its message. Moments that overflow
    from finite ``X`` raise a ValueError that says so."""
    if moments and all(np.isfinite(m).all() for m in moments):
        return
    values = X.data if sp.issparse(X) else X
    assert_all_finite(values, estimator_name=type(estimator).__name__, input_name="X")
    if moments:
        raise ValueError(
            f"The sums of squares of X overflow {X.dtype}: its values are too "
            "large. Scale the features (StandardScaler) or pass float64 data."
        )


def deferred_check(defer):
    """Where a fit checks ``X`` from its moments (:func:`check_finite`), the
    context that keeps a NaN or infinity from warning on its way into them."""
    return np.errstate(invalid="ignore", over="ignore") if defer else nullcontext()


def scorer_with_labels(scorer, classes):
    """``scorer`` told every class, as scikit-learn's LogisticRegressionCV
    tells it on each fold: where its metric takes ``labels`` (the log loss,
    the Brier score, F1 and its kin), a scorer of the same metric with
    ``labels=classes`` (and ``pos_label``, the last class, for two), so that
    a test fold without some class still scores against all of them. Any
    other scorer is returned as it is. Reads the private fields of
    scikit-learn's scorer objects (``_score_func``, ``_sign``,
    ``_response_method``, ``_kwargs``)."""
    func = getattr(scorer, "_score_func", None)
    if func is None:
        return scorer
    names = inspect.signature(func).parameters
    if "labels" not in names:
        return scorer
    kwargs = {"labels": classes}
    if len(classes) <= 2 and "pos_label" in names:
        kwargs["pos_label"] = classes[-1]
    kwargs.update(getattr(scorer, "_kwargs", {}))  # the user's own come first
    return make_scorer(
        func, greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method, **kwargs,
    )  # fmt: skip
