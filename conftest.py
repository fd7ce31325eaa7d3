"""Test session set-up: scikit-learn's array-API checks need SciPy's array API."""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
