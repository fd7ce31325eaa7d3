"""The README's first command, end to end on a small selection."""

import json
import subprocess
import sys

import pytest

from sklearn_foundations._compare import comparisons, format_table, run


def test_compare_command_prints_json_rows():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_foundations", "compare", "--json",
         "--n-splits", "2", "--datasets", "diabetes", "iris"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    rows = json.loads(out.stdout)
    ours = [r for r in rows if r["library"] == "sklearn-foundations"]
    assert {r["distance_to"] for r in ours} == {
        "Ridge", "Lasso", "ElasticNet", "LogisticRegression(lbfgs)",
        "LogisticRegression(saga)", "GaussianNB",
    }  # fmt: skip
    for r in ours:
        # the counterparts stop at their own tol: 1e-8 (regression), 1e-6
        assert r["distance"] < (1e-5 if r["dataset"] == "diabetes" else 1e-3)
        twin = next(t for t in rows if t["estimator"] == r["distance_to"])
        assert r["score_mean"] == pytest.approx(twin["score_mean"], abs=1e-4)
    assert "[1/" in out.stderr  # the progress line


def test_compare_table_and_selection():
    comps = comparisons(["diabetes"], ["GradientDescentRegressor"])
    rows = run(comps[:1], n_splits=2)
    table = format_table(rows)
    assert "GradientDescentRegressor" in table and "Ridge" in table
    assert len(rows) == 1 + len(comps[0].theirs)


def test_compare_rejects_an_empty_selection():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_foundations", "compare", "--estimators",
         "NoSuchEstimator"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 2 and "no comparison" in out.stderr
