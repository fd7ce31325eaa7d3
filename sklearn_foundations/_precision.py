"""Which arithmetic a fit runs in: small float32 data in float64.

The estimators keep float32 data in float32 (memory, speed) and return
float32 attributes, as scikit-learn does; on small data a float64 copy costs
little and lifts float32's rounding floor off the result (see
:data:`FLOAT64_MAX_ENTRIES`). Imports only numpy and scipy.
"""

import numpy as np
import scipy.sparse as sp

# float32 data of at most this many stored entries are fitted in float64
# arithmetic (a copy of at most 8 MB), the fitted attributes returned in
# float32. float32's rounding floors a solver's optimality at about 1e-5 of
# the gradient's scale, and the coefficients' error at that times the
# condition number (1e-4 of their size on a wide ridge where scikit-learn's
# float32 Cholesky solve is within 1e-6); a covariance's eigenvalues carry an
# absolute error of 1e-7 of the largest (1e-5 on a null direction, where
# scikit-learn's float32 SVD of the data leaves 1e-12); larger data keep
# float32's memory and speed
FLOAT64_MAX_ENTRIES = 1 << 20


def float64_arithmetic(X, *arrays):
    """``X`` and ``arrays`` in float64 where ``X`` is float32 data of at most
    ``FLOAT64_MAX_ENTRIES`` stored entries, else as they are."""
    size = X.nnz if sp.issparse(X) else X.size
    if X.dtype != np.float32 or size > FLOAT64_MAX_ENTRIES:
        return (X, *arrays)
    return (X.astype(np.float64), *(np.asarray(a, dtype=np.float64) for a in arrays))


def cast_fitted(estimator, dtype, names=None):
    """The estimator's fitted float arrays (``names``, or every attribute
    ending in ``_``) in ``dtype``, in place; other attributes as they are."""
    for name, value in list(vars(estimator).items()):
        chosen = name.endswith("_") if names is None else name in names
        floating = isinstance(value, np.ndarray) and value.dtype.kind == "f"
        if chosen and floating and value.dtype != dtype:
            setattr(estimator, name, value.astype(dtype))
