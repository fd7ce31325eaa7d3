"""scikit-learn's callback API (``sklearn.callback``) on the three iterative
estimators: one subtask per solver iteration, with the iterate as a fitted
estimator; ProgressBar and ScoringMonitor alone, in a Pipeline and in a
GridSearchCV."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import (
    GradientDescentRegressor,
    LogisticRegression,
    PowerIterationPCA,
)

callback = pytest.importorskip("sklearn.callback")


class Recorder:
    """A FitCallback that keeps, per ended subtask, the fitted estimator."""

    def __init__(self):
        self.begun, self.ended, self.setups, self.teardowns = [], [], 0, 0

    def setup(self, estimator, context):
        self.setups += 1

    def teardown(self, estimator, context):
        self.teardowns += 1

    def on_fit_task_begin(self, estimator, context):
        self.begun.append(context.task_name)

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended.append((context.task_name, fitted_estimator))


def _data(kind):
    if kind == "regressor":
        X, y = load_diabetes(return_X_y=True)
        return X, y, GradientDescentRegressor(penalty="l1", alpha=0.1, tol=1e-8)
    if kind == "classifier":
        X, y = load_breast_cancer(return_X_y=True)
        return StandardScaler().fit_transform(X), y, LogisticRegression(C=0.5)
    # 200 features of decaying variances: the filter's steps (beyond three
    # blocks of 13, and beyond 128 features, the whole space at once)
    X = np.random.default_rng(0).standard_normal((500, 200)) * 0.9 ** np.arange(200)
    return X, None, PowerIterationPCA(n_components=3, random_state=0)


@pytest.mark.parametrize("kind", ["regressor", "classifier", "pca"])
def test_one_subtask_per_iteration_with_the_iterate(kind):
    X, y, est = _data(kind)
    rec = Recorder()
    est.set_callbacks(rec).fit(X, y)
    iterations = [fitted for name, fitted in rec.ended if name == "iteration"]
    assert rec.setups == rec.teardowns == 1
    assert rec.begun.count("iteration") == rec.ended.count(("iteration", None)) + len(
        [f for f in iterations if f is not None]
    )
    ran = [f for f in iterations if f is not None]
    expected = est.n_iter_ if kind == "pca" else int(np.ravel(est.n_iter_)[0])
    if kind == "pca":  # the last product is the test that converges
        expected = est.n_iter_ - 1
    assert len(ran) == expected > 0
    if kind == "pca":
        np.testing.assert_allclose(
            np.abs(ran[-1].components_), np.abs(est.components_), atol=1e-6
        )
        return
    # each iterate is a fitted estimator whose objective is the loss curve's
    assert len(ran) == len(est.loss_curve_)
    for fitted in ran:
        assert fitted.coef_.shape == est.coef_.shape
        assert fitted.score(X, y) <= 1.0
    np.testing.assert_array_equal(ran[-1].coef_, est.coef_)
    assert rec.ended[-1] == ("fit", rec.ended[-1][1])  # the fit ends last


@pytest.mark.parametrize(
    "kind, max_iter",
    [("classifier", 0)]  # GradientDescentRegressor takes max_iter >= 1
    + [(kind, m) for kind in ("regressor", "classifier") for m in (1, 2, 1000)],
)
def test_subtasks_as_scikit_learns_lbfgs_bridge(kind, max_iter):
    """The fit, one subtask per iteration (at least one) and one empty
    subtask at the end, each ended: the count scikit-learn's own tests ask
    of LogisticRegression's L-BFGS."""
    X, y, est = _data(kind)
    rec = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_params(max_iter=max_iter).set_callbacks(rec).fit(X, y)
    n_iter = int(np.ravel(est.n_iter_)[0])
    assert rec.begun == ["fit"] + ["iteration"] * (max(n_iter, 1) + 1)
    assert [name for name, _ in rec.ended] == rec.begun[1:] + ["fit"]
    assert rec.ended[-2][1] is None  # the empty subtask has no iterate
    first = rec.ended[0][1]
    assert first is not None and first.coef_.shape == est.coef_.shape


def test_pca_through_the_rows_kernel_reports_the_covariances_axes():
    """Wide dense data (the rows' kernel): each iterate the callbacks see
    is a fitted PCA on the features, the last one the fit's axes."""
    X = np.random.default_rng(0).standard_normal((200, 600))  # a kernel of 200
    rec = Recorder()
    est = PowerIterationPCA(n_components=3, random_state=0).set_callbacks(rec).fit(X)
    ran = [fitted for name, fitted in rec.ended if name == "iteration" and fitted]
    assert len(ran) == est.n_iter_ - 1 > 0
    assert all(f.components_.shape == (3, 600) for f in ran)
    np.testing.assert_allclose(  # the step before the one that converged
        np.abs(ran[-1].components_), np.abs(est.components_), atol=1e-4
    )


def test_no_callbacks_no_context():
    X, y, est = _data("regressor")
    est.fit(X, y)
    assert not hasattr(est, "_callback_fit_ctx")


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_scoring_monitor_scores_every_iteration_in_a_pipeline(kind):
    X, y, est = _data(kind)
    scoring = "r2" if kind == "regressor" else "accuracy"
    monitor = callback.ScoringMonitor(scoring=scoring)
    pipe = make_pipeline(StandardScaler(), est.set_callbacks(monitor)).fit(X, y)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "iteration"]
    n_iter = int(np.ravel(pipe[-1].n_iter_)[0])
    assert len(rows) == n_iter
    final = pipe.score(X, y)
    assert rows[-1][scoring] == pytest.approx(final, rel=1e-12)


def test_scoring_monitor_in_grid_search():
    X, y, est = _data("classifier")
    monitor = callback.ScoringMonitor(scoring="accuracy")
    search = GridSearchCV(est.set_callbacks(monitor), {"C": [0.1, 1.0]}, cv=2)
    search.fit(X, y)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "iteration"]
    fits = {r["parent_task_id_path"] for r in rows}
    assert len(fits) == 2 * 2 + 1  # every split's fit and the refit
    assert all(0 <= r["accuracy"] <= 1 for r in rows)


@pytest.mark.parametrize("kind", ["regressor", "classifier", "pca"])
def test_progress_bar_alone_in_a_pipeline_and_in_a_grid_search(
    kind, capsys, monkeypatch
):
    pytest.importorskip("rich")
    monkeypatch.setenv("COLUMNS", "250")  # whole lines, not cut to a terminal's
    X, y, est = _data(kind)
    name = type(est).__name__
    est.set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert f"{name} - fit" in out and "100%" in out
    est.set_callbacks()
    pipe = make_pipeline(StandardScaler(), est).set_callbacks(callback.ProgressBar())
    pipe.fit(X, y)
    out = capsys.readouterr().out
    assert "Pipeline - fit" in out and f"{name} - fit" in out
    grid = {"alpha": [0.1, 1.0]} if kind == "regressor" else {"C": [0.1, 1.0]}
    if kind == "pca":
        grid = {"n_components": [2, 3]}
    search = GridSearchCV(est, grid, cv=2).set_callbacks(callback.ProgressBar())
    search.fit(X, y)
    out = capsys.readouterr().out
    assert out.count(f"{name} - fit") >= 5  # 4 split fits and the refit
