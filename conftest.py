"""Test session set-up: scikit-learn's array-API checks need SciPy's array API;
plots draw off screen (Agg) and every figure is closed after each test; the
doctests of optional modules run only where their extra is installed."""

import importlib.util
import os
import sys

import pytest

os.environ.setdefault("SCIPY_ARRAY_API", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore = []
if importlib.util.find_spec("dask") is None:
    collect_ignore.append("sklearn_foundations/dask.py")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
