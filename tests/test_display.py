"""LossCurveDisplay: the lines drawn are the objectives recorded, and matplotlib
stays optional."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import GradientDescentRegressor, LogisticRegression
from sklearn_foundations.display import LossCurveDisplay

plt = pytest.importorskip("matplotlib.pyplot")


def _ridge_objective(X, y, alpha):
    """J(w, b) = 1/(2n) ||y - Xw - b||^2 + alpha/2 ||w||^2 at Ridge's optimum."""
    ridge = Ridge(alpha=alpha * X.shape[0]).fit(X, y)
    r = y - ridge.predict(X)
    return 0.5 * np.mean(r**2) + 0.5 * alpha * ridge.coef_ @ ridge.coef_


def test_curves_are_the_recorded_objectives(diabetes):
    X, y = diabetes
    fast = GradientDescentRegressor(alpha=0.1, learning_rate="auto").fit(X, y)
    slow = GradientDescentRegressor(
        alpha=0.1, learning_rate="constant", eta0=0.05, max_iter=50
    )
    with pytest.warns(ConvergenceWarning):  # 50 iterations are too few
        slow.fit(X, y)
    disp = LossCurveDisplay.from_estimator([fast, slow], names=["auto", "eta0=0.05"])
    assert len(disp.line_) == 2
    for line, est in zip(disp.line_, [fast, slow], strict=True):
        np.testing.assert_array_equal(line.get_ydata(), est.loss_curve_)
        np.testing.assert_array_equal(
            line.get_xdata(), np.arange(1, len(est.loss_curve_) + 1)
        )
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == ["auto", "eta0=0.05"]
    assert disp.ax_.get_yscale() == "linear"
    assert disp.figure_ is disp.ax_.figure


def test_suboptimality_against_the_closed_form(diabetes):
    X, y = diabetes
    alpha = 0.1
    reg = GradientDescentRegressor(
        alpha=alpha, learning_rate="constant", eta0=0.1, tol=1e-12, max_iter=300
    )
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    optimum = _ridge_objective(X, y, alpha)
    _, ax = plt.subplots()
    disp = LossCurveDisplay.from_estimator(reg, optimum=optimum, ax=ax)
    assert disp.ax_ is ax and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "suboptimality J - J*"
    gap = disp.line_.get_ydata()
    expected = np.asarray(reg.loss_curve_) - optimum
    shown = expected > 0
    np.testing.assert_allclose(gap[shown], expected[shown])
    assert np.all(np.isnan(gap[~shown]))
    # a constant step below 1/L: the gap shrinks monotonically
    assert np.all(np.diff(gap[shown]) <= 0) and gap[shown][0] > 1e3 * gap[shown][-1]


def test_pipeline_last_step_and_default_name():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    disp = LossCurveDisplay.from_estimator(model)
    np.testing.assert_array_equal(disp.line_.get_ydata(), model[-1].loss_curve_)
    assert disp.line_.get_label() == "LogisticRegression"


def test_errors_name_what_is_wrong(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="has no loss_curve_"):
        LossCurveDisplay.from_estimator(StandardScaler().fit(X))
    reg = GradientDescentRegressor().fit(X, y)
    with pytest.raises(ValueError, match="names has 2 labels for 1 estimators"):
        LossCurveDisplay.from_estimator(reg, names=["a", "b"])


def test_without_matplotlib_the_error_names_the_extra(monkeypatch, diabetes):
    X, y = diabetes
    reg = GradientDescentRegressor().fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-foundations\[examples\]"):
        LossCurveDisplay.from_estimator(reg)


def test_importing_the_package_does_not_import_matplotlib():
    code = (
        "import sys, sklearn_foundations, sklearn_foundations.display; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
