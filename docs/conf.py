"""Sphinx configuration: numpydoc, sphinx-gallery (the examples, executed at
build time), autosummary for the API and the pydata theme. Builds offline and
reads offline: MathJax is bundled into the site (sphinx-mathjax-offline), so the
equations render from ``file://`` with no network; intersphinx links are added
only when the documentation sites are reachable."""

import os
import socket
import sys

import sklearn_foundations

sys.path.insert(0, os.path.abspath("."))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sklearn-foundations"
author = "the sklearn-foundations developers"
copyright = "2026, the sklearn-foundations developers"
release = sklearn_foundations.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax copied into _static: no CDN at view time
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}

autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def _reachable(host, port=443, timeout=2.0):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


extensions.append("sphinx.ext.intersphinx")
intersphinx_mapping = (
    {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }
    if os.environ.get("DOCS_OFFLINE") != "1" and _reachable("docs.python.org")
    else {}
)

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every example runs during the build but the cluster one: its workers,
    # forked from the build's large process, would start over their memory
    # limit (the test suite runs it as a script)
    "filename_pattern": r"/plot_(?!dask_)",
    "doc_module": ("sklearn_foundations",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_foundations": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
}

html_theme = "pydata_sphinx_theme"
html_title = "sklearn-foundations"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
