"""The README's first command, end to end on a small selection."""

import json
import re
import subprocess
import sys

import pytest

from sklearn_foundations._compare import comparisons, format_table, run


def test_compare_command_prints_json_rows(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "compare.png"
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_foundations", "compare", "--json",
         "--n-splits", "2", "--datasets", "diabetes", "iris", "--plot", str(png)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    rows = json.loads(out.stdout)
    ours = [r for r in rows if r["library"] == "sklearn-foundations"]
    assert {r["distance_to"] for r in ours} == {
        "Ridge", "Lasso", "ElasticNet", "LogisticRegression(lbfgs)",
        "LogisticRegression(saga)", "GaussianNB", "LassoCV",
        "LogisticRegressionCV(newton-cholesky)",
    }  # fmt: skip
    for r in ours:
        # the counterparts stop at their own tol: 1e-8 (regression), 1e-6
        assert r["distance"] < (1e-5 if r["dataset"] == "diabetes" else 1e-3)
        twin = next(t for t in rows if t["estimator"] == r["distance_to"])
        assert r["score_mean"] == pytest.approx(twin["score_mean"], abs=1e-4)
    assert "[1/" in out.stderr  # the progress line
    assert png.read_bytes()[:4] == b"\x89PNG"


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


def test_plot_has_one_bar_per_row_in_each_panel(tmp_path):
    pytest.importorskip("matplotlib")
    from sklearn_foundations._compare import plot_rows

    rows = run(comparisons(["iris"], ["NaiveBayesClassifier"]), n_splits=2)
    fig = plot_rows(rows, tmp_path / "compare.png")
    ax_score, ax_time = fig.axes
    widths = [p.get_width() for p in ax_score.patches]
    assert widths == [r["score_mean"] for r in rows]
    assert [p.get_width() for p in ax_time.patches] == [r["fit_time"] for r in rows]
    assert ax_time.get_xscale() == "log"
    labels = [t.get_text() for t in ax_score.get_yticklabels()]
    assert labels == [f"iris · naive bayes · {r['estimator']}" for r in rows]
    assert (tmp_path / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_without_a_terminal_progress_is_one_plain_line_per_fit():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_foundations", "compare", "--n-splits", "2",
         "--datasets", "iris", "--estimators", "NaiveBayesClassifier"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "\r" not in out.stdout + out.stderr
    n_rows = len(run(comparisons(["iris"], ["NaiveBayesClassifier"]), n_splits=2))
    lines = [line for line in out.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == n_rows
    assert lines[-1].startswith(f"[{n_rows}/{n_rows}] iris · naive bayes")
    header, rule, *table = out.stdout.split("\n\n")[0].splitlines()
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    for line in [header, *table]:  # every left-aligned column starts on its rule
        for start in starts[:4]:
            assert line[start] != " " and (start == 0 or line[start - 1] == " ")
    assert "most of the fitting time" in out.stdout


def test_json_output_is_json_and_nothing_else():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_foundations", "compare", "--json",
         "--n-splits", "2", "--datasets", "breast_cancer", "--estimators",
         "PowerIterationPCA"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    rows = json.loads(out.stdout)  # fails on anything else on stdout
    assert {r["estimator"] for r in rows} >= {"PowerIterationPCA"}


def test_quick_takes_the_fast_datasets_with_three_folds():
    from sklearn_foundations._compare import QUICK_DATASETS

    assert "digits" not in QUICK_DATASETS  # saga on digits is most of a full run
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_foundations", "compare", "--quick",
         "--estimators", "NaiveBayesClassifier"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "(3 folds)" in out.stdout
    table = out.stdout.split("\n\n")[0].splitlines()[2:]
    assert {line.split()[0] for line in table} <= set(QUICK_DATASETS)


def test_the_summary_names_the_slowest_fits():
    from sklearn_foundations._compare import summary

    rows = [
        dict(estimator="A", dataset="d", problem="p", fit_time=1.0),
        dict(estimator="B", dataset="d", problem="p", fit_time=3.0),
        dict(estimator="C", dataset="d", problem="p", fit_time=0.1),
    ]
    text = summary(rows, 12.3, 3)
    assert text.index("B on d") < text.index("A on d") and "C on d" not in text
    assert "73%" in text  # 3 of 4.1 seconds


def test_rich_table_and_live_progress_on_a_terminal():
    import io

    from rich.console import Console

    from sklearn_foundations._compare import _Progress, rich_table

    rows = run(comparisons(["iris"], ["NaiveBayesClassifier"]), n_splits=2)
    out = io.StringIO()
    Console(file=out, width=200).print(rich_table(rows))
    text = out.getvalue()
    for r in rows:
        assert r["estimator"] in text and f"{r['score_mean']:.4f}" in text
    assert "from GaussianNB" in text

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = _Progress(2, stream=stream)
    progress("[1/2] first")
    progress("[2/2] second")
    progress.close()
    assert progress.done == 2 and progress.live
