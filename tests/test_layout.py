"""Layout rules: the math modules import only numpy, scipy, the standard
library, each other and the package's thread pool ``_parallel`` (which
imports only numpy and threadpoolctl); scikit-learn enters through the
estimators alone, and its private helpers come through ``_compat`` alone."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_foundations"
MATH = ["_products", "datafits", "gradcheck", "linalg", "losses", "optimize",
        "penalties", "probability"]  # fmt: skip


def _modules(name):
    path = PACKAGE / name
    return sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(path):
    """(top-level name, None) per absolute import, (None, the package's
    top-level module) per relative one."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((alias.name.split(".")[0], None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0], None
        elif isinstance(node, ast.ImportFrom):
            parts = path.relative_to(PACKAGE).with_suffix("").parts
            base = parts[: len(parts) - node.level]
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                yield None, [*base, *name.split(".")][0]


@pytest.mark.parametrize("name", MATH)
def test_math_modules_import_only_numpy_scipy_and_each_other(name):
    for path in _modules(name):
        for absolute, relative in _imports(path):
            if absolute is not None:
                allowed = absolute in ("numpy", "scipy")
                assert allowed or absolute in sys.stdlib_module_names, (
                    f"{path.name} imports {absolute}"
                )
            else:
                assert relative in [*MATH, "_parallel"], (
                    f"{path.name} imports the package's {relative}"
                )


def test_the_thread_pool_imports_only_numpy_and_threadpoolctl():
    for absolute, relative in _imports(PACKAGE / "_parallel.py"):
        assert relative is None, f"_parallel imports the package's {relative}"
        assert absolute in ("numpy", "threadpoolctl", *sys.stdlib_module_names)


def test_private_scikit_learn_helpers_come_through_compat_alone():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                module = node.module.split(".")
                names = [alias.name for alias in node.names]
                private = [n for n in module[1:] + names if n.startswith("_")]
                assert module[0] != "sklearn" or not private, (
                    f"{path.name} imports {node.module}: {private}"
                )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    assert parts[0] != "sklearn" or not any(
                        p.startswith("_") for p in parts
                    ), f"{path.name} imports {alias.name}"


SOLVERS = {"fista", "proximal_gradient", "stochastic_gradient", "lbfgs", "newton_cg",
           "newton_cholesky", "prox_newton", "conjugate_gradient", "feature_sign"}  # fmt: skip
ESTIMATOR_MODULES = ["linear_model", "decomposition", "naive_bayes"]


def _attribute_reads(path, names):
    """(line, object name, attribute) of every ``<name>.<attribute>`` in ``path``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            yield node.lineno, node.value.id, node.attr


@pytest.mark.parametrize("path", _modules("optimize"), ids=lambda p: p.name)
def test_solvers_reach_a_datafit_through_its_interface_alone(path):
    from sklearn_foundations.datafits import INTERFACE, VIEW_INTERFACE

    allowed = {"datafit": INTERFACE, "view": VIEW_INTERFACE}
    for line, name, attr in _attribute_reads(path, allowed):
        assert attr in allowed[name], f"{path.name}:{line} reads {name}.{attr}"


def test_the_interface_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def solve(datafit):\n    return datafit.X @ datafit.y\n")
    from sklearn_foundations.datafits import INTERFACE

    reads = [a for _, _, a in _attribute_reads(bad, {"datafit"}) if a not in INTERFACE]
    assert reads == ["X", "y"] or sorted(reads) == ["X", "y"]


@pytest.mark.parametrize("name", ESTIMATOR_MODULES)
def test_estimators_reach_solvers_through_minimize_alone(name):
    for path in _modules(name):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            module = node.module or ""
            assert not module.startswith("optimize._"), (
                f"{path.name} imports the private {module}"
            )
            if module.split(".")[0] == "optimize":
                solvers = {a.name for a in node.names} & SOLVERS
                assert not solvers, f"{path.name} imports {solvers} past minimize"


def test_the_datafit_interface_is_what_the_datafits_offer():
    from sklearn_foundations.datafits import INTERFACE, LinearDatafit, QuadraticDatafit

    for cls in (LinearDatafit, QuadraticDatafit):
        missing = {n for n in INTERFACE if not hasattr(cls, n)} - {
            "loss", "fit_intercept", "n_samples"  # instance attributes
        }  # fmt: skip
        if cls is QuadraticDatafit:  # the Gram form has no rows (and no
            # split by target: its solvers take every target on one G)
            missing -= {"curvature", "batch", "by_columns", "columns",
                        "sample_lipschitz", "target", "kernel_form", "factor_form",
                        "model_factor", "kernel_pays"}  # fmt: skip
        assert not missing, (cls.__name__, missing)
