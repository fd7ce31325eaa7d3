"""The displays: the lines drawn are the objectives recorded (LossCurveDisplay)
and the paths and scores fitted (RegularizationPathDisplay), and matplotlib
stays optional."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
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


def test_path_display_draws_the_path_and_the_cv_scores():
    from sklearn_foundations.display import RegularizationPathDisplay
    from sklearn_foundations.linear_model import GradientDescentRegressorCV

    X, y = load_diabetes(return_X_y=True)
    model = GradientDescentRegressorCV(alphas=20, cv=3).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(model, X, y)
    assert len(disp.lines_) == X.shape[1] and len(disp.ax_) == 2
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), model.alphas_)
    # the coefficients are the path on all the data: the refit is its point
    i = int(np.flatnonzero(model.alphas_ == model.alpha_)[0])
    drawn = np.array([line.get_ydata()[i] for line in disp.lines_])
    np.testing.assert_allclose(drawn, model.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(disp.score_line_.get_ydata(), model.mse_path_.mean(1))
    assert disp.ax_[0].get_xscale() == "log" and disp.ax_[1].get_xlabel() == "alpha"
    marked = [
        line.get_xdata()[0] for line in disp.ax_[0].get_lines()[len(disp.lines_) :]
    ]
    assert marked == [model.alpha_]
    plt.close("all")


def test_path_display_of_a_multinomial_pipeline_labels_each_class():
    from sklearn_foundations.display import RegularizationPathDisplay
    from sklearn_foundations.linear_model import LogisticRegressionCV

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=5, cv=3)).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(
        pipe, X, y, feature_names=list("abcd")
    )
    assert len(disp.lines_) == 3 * 4
    assert disp.lines_[5].get_label() == "1: b"
    assert disp.ax_[1].get_xlabel() == "C"
    np.testing.assert_allclose(
        disp.score_line_.get_ydata(), pipe[-1].scores_[:, 0].mean(0)
    )
    with pytest.raises(ValueError, match="cross-validated"):
        RegularizationPathDisplay.from_estimator(StandardScaler().fit(X), X, y)
    plt.close("all")


def test_path_display_from_a_path_alone():
    from sklearn_foundations.display import RegularizationPathDisplay
    from sklearn_foundations.linear_model import regularization_path

    X, y = load_diabetes(return_X_y=True)
    path = regularization_path(X, y, n_alphas=10)
    disp = RegularizationPathDisplay.from_path(path)
    assert len(disp.ax_) == 1 and disp.score_line_ is None
    np.testing.assert_array_equal(disp.lines_[2].get_ydata(), path.coefs[:, 2])
    plt.close("all")
