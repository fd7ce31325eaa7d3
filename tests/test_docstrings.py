"""Every public function and class documents itself in numpydoc form with an
Examples section, which pytest runs as a doctest (``--doctest-modules``)."""

import importlib
import inspect

import pytest

MODULES = [
    "sklearn_foundations",
    "sklearn_foundations.datafits",
    "sklearn_foundations.display",
    "sklearn_foundations.gradcheck",
    "sklearn_foundations.linalg",
    "sklearn_foundations.linear_model",
    "sklearn_foundations.losses",
    "sklearn_foundations.naive_bayes",
    "sklearn_foundations.decomposition",
    "sklearn_foundations.optimize",
    "sklearn_foundations.penalties",
    "sklearn_foundations.probability",
]
PUBLIC = sorted(
    {
        (f"{obj.__module__}.{obj.__qualname__}", obj)
        for module in MODULES
        for name in importlib.import_module(module).__all__
        if (obj := getattr(importlib.import_module(module), name)) is not None
    },
    key=lambda item: item[0],
)


def test_every_module_has_a_docstring_and_all():
    for module in MODULES:
        mod = importlib.import_module(module)
        assert mod.__doc__ and mod.__doc__.strip(), module
        assert mod.__all__, module


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_object_has_a_doctested_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "Examples\n--------" in doc, f"{name} has no Examples section"
    examples = doc.split("Examples\n--------", 1)[1]
    assert ">>> " in examples, f"{name}'s Examples section runs no code"
