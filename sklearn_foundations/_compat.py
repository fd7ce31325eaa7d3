"""The one module that imports scikit-learn's private helpers.

scikit-learn keeps parameter validation, the fit context and sample-weight
checks in private modules; importing them from here alone means one place to
change when they move. The callback API (``sklearn.callback``, public from
scikit-learn 1.9) comes through here too, with a stand-in for older versions.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled
from sklearn.utils.validation import _check_sample_weight, _num_samples

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
    "CallbackSupportMixin",
    "Interval",
    "StrOptions",
    "_fit_context",
    "_raise_for_params",
    "_routing_enabled",
    "check_sample_weight",
]


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
