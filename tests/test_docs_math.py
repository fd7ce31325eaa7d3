"""The documentation's equations render without network: the built HTML loads
MathJax from inside the site, and that file is there."""

import re
import runpy
from pathlib import Path

from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_math_script_is_inside_the_built_site(tmp_path):
    # the documentation's own math extensions, on a one-page site
    conf = runpy.run_path(str(DOCS / "conf.py"))
    math = [e for e in conf["extensions"] if "math" in e]
    assert "sphinx.ext.mathjax" in math and len(math) == 2
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(f"extensions = {math!r}\n")
    (src / "index.rst").write_text(
        "Gradient\n========\n\n.. math::\n\n    \\nabla_W = X_c^\\top S (P - Y)\n"
    )
    out = tmp_path / "html"
    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), "html",
                 status=None, warningiserror=True)  # fmt: skip
    app.build()
    html = (out / "index.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', html, re.I)
    assert scripts, "no MathJax script on the page"
    for src_path in scripts:
        assert not src_path.startswith(("http:", "https:", "//")), src_path
        target = (out / src_path.split("?")[0]).resolve()
        assert target.is_file() and target.stat().st_size > 100_000
    assert "\\nabla_W" in html  # the equation is on the page, for MathJax
