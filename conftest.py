"""Doctests of the optional modules run only where their extra is installed."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("dask") is None:
    collect_ignore.append("sklearn_foundations/dask.py")
