"""GradientDescentRegressor against scikit-learn's Ridge, Lasso and ElasticNet,
against a second solver, and on bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations import GradientDescentRegressor, _precision

TIGHT = dict(tol=1e-12, max_iter=100_000)


def _reference(penalty, alpha, l1_ratio, sw_sum):
    if penalty == "l2":
        return Ridge(alpha=alpha * sw_sum, solver="cholesky")
    if penalty == "l1":
        return Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000)
    return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=1_000_000)


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("dataset", ["diabetes", "synthetic"])
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize("precompute", [True, False])
def test_same_optimum_as_scikit_learn(dataset, penalty, precompute, request):
    X, y = request.getfixturevalue(dataset)
    alpha = 2.0
    ours = GradientDescentRegressor(
        penalty=penalty, alpha=alpha, l1_ratio=0.4, precompute=precompute, **TIGHT
    ).fit(X, y)
    ref = _reference(penalty, alpha, 0.4, len(y)).fit(X, y)
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    assert abs(ours.intercept_ - ref.intercept_) <= 1e-6 * max(1, abs(ref.intercept_))
    if penalty == "l1":
        assert np.any(ref.coef_ == 0)
    if penalty != "l2":
        np.testing.assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_sparse_and_dense_give_the_same_coef(synthetic, penalty):
    X, y = synthetic
    Xs = X.copy()
    Xs[np.abs(Xs) < 1.0] = 0.0
    for precompute in (True, False):
        est = GradientDescentRegressor(
            penalty=penalty, alpha=0.1, precompute=precompute, **TIGHT
        )
        dense = est.fit(Xs, y).coef_.copy()
        for fmt in (sp.csr_matrix, sp.csc_matrix):
            np.testing.assert_allclose(
                est.fit(fmt(Xs), y).coef_, dense, rtol=1e-8, atol=1e-10
            )


def _small_coupled(kind):
    """Few rows, strongly coupled columns: one row of scaled columns, binary
    columns on five rows, twenty rows of rank two."""
    rng = np.random.default_rng(3)
    if kind == "one row":
        X = rng.standard_normal((1, 120)) * 10.0 ** rng.uniform(-4, 4, 120)
    elif kind == "binary":
        X = (rng.standard_normal((5, 30)) > 0.8).astype(float)
    else:
        X = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 30))
    y = X @ rng.standard_normal(X.shape[1]) + rng.standard_normal(len(X)) + 5
    return X, y, rng.uniform(0.5, 3.0, len(X))


@pytest.mark.parametrize("kind", ["one row", "binary", "rank two"])
@pytest.mark.parametrize("penalty", ["elasticnet", "l1"])
def test_small_coupled_sparse_data_fit_as_their_dense_copy(kind, penalty):
    # proximal Newton's sparse model solve crawled here: thousands of
    # iterations, and at the default tol objectives up to 35 times the
    # optimum's; the dense solvers are exact
    X, y, sw = _small_coupled(kind)

    def objective(est):
        r = y - X @ est.coef_ - est.intercept_
        w = est.coef_
        return 0.5 * sw @ r**2 / sw.sum() + 1e-3 * (
            0.5 * np.abs(w).sum() + 0.25 * w @ w
            if penalty == "elasticnet"
            else np.abs(w).sum()
        )

    est = GradientDescentRegressor(penalty=penalty, alpha=1e-3, l1_ratio=0.5)
    dense = est.fit(X, y, sample_weight=sw)
    coef, value = dense.coef_.copy(), objective(dense)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        fitted = est.fit(fmt(X), y, sample_weight=sw)
        assert fitted.n_iter_ <= 20
        assert objective(fitted) <= value * (1 + 1e-12)
        atol = 1e-12 * np.abs(coef).max()
        np.testing.assert_allclose(fitted.coef_, coef, rtol=1e-10, atol=atol)


def test_ridge_alpha_scales_with_the_sum_of_weights(synthetic):
    X, y = synthetic
    sw = np.random.default_rng(0).uniform(0.5, 3, len(y))
    ours = GradientDescentRegressor(alpha=0.3, **TIGHT).fit(X, y, sample_weight=sw)
    ref = Ridge(alpha=0.3 * sw.sum()).fit(X, y, sample_weight=sw)
    assert _rel(ours.coef_, ref.coef_) <= 1e-6


@pytest.mark.parametrize("solver", [dict(), dict(learning_rate="backtracking")])
def test_sample_weights_equal_repetition(synthetic, solver):
    X, y = synthetic
    counts = np.random.default_rng(0).integers(0, 4, len(y))
    est = GradientDescentRegressor(penalty="elasticnet", alpha=0.1, **solver, **TIGHT)
    weighted = est.fit(X, y, sample_weight=counts).coef_.copy()
    repeated = est.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts)).coef_
    np.testing.assert_allclose(weighted, repeated, rtol=1e-7, atol=1e-9)


def _objective(est, X, y):
    r = y - X @ est.coef_ - est.intercept_
    a, rho = est.alpha, {"l2": 0, "l1": 1, "elasticnet": est.l1_ratio}[est.penalty]
    w = est.coef_
    return 0.5 * np.mean(r**2) + a * (rho * np.abs(w).sum() + (1 - rho) / 2 * w @ w)


@pytest.mark.parametrize("precompute", [True, False])
def test_newton_cholesky_with_several_targets_is_one_ridge_step(precompute):
    # the Hessian of every target's coefficients (the Gram form's repeated,
    # the data form's formed): the normal equations in one step, as Ridge
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((200, 5)) * [1, 2, 3, 4, 5] + 3, rng.random((200, 3))
    ridge = Ridge(alpha=0.5 * 200).fit(X, Y)
    est = GradientDescentRegressor(
        penalty="l2", alpha=0.5, solver="newton-cholesky", precompute=precompute,
        tol=1e-12,
    ).fit(X, Y)  # fmt: skip
    assert est.n_iter_ == 1
    np.testing.assert_allclose(est.coef_, ridge.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.intercept_, ridge.intercept_, rtol=1e-12)


def test_solvers_reach_the_same_objective(diabetes):
    X, y = diabetes
    common = dict(penalty="elasticnet", alpha=0.05, l1_ratio=0.5)
    ref = GradientDescentRegressor(**common, **TIGHT).fit(X, y)
    F_star = _objective(ref, X, y)
    assert ref.loss_curve_[-1] == pytest.approx(F_star, rel=1e-10)
    bt = GradientDescentRegressor(learning_rate="backtracking", **common, **TIGHT)
    assert _objective(bt.fit(X, y), X, y) == pytest.approx(F_star, rel=1e-10)
    gd = GradientDescentRegressor(learning_rate="constant", eta0=0.1, **common, **TIGHT)
    assert _objective(gd.fit(X, y), X, y) == pytest.approx(F_star, rel=1e-10)
    mb = GradientDescentRegressor(
        batch_size=16,
        learning_rate="invscaling",
        eta0=0.5,
        power_t=0.5,
        max_iter=300,
        tol=0,
        n_iter_no_change=1000,
        random_state=0,
        **common,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert _objective(mb.fit(X, y), X, y) == pytest.approx(F_star, rel=1e-4)
    sgd = GradientDescentRegressor(
        batch_size=1, max_iter=100, tol=1e-6, random_state=0, **common
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert _objective(sgd.fit(X, y), X, y) == pytest.approx(F_star, rel=1e-2)


def test_adaptive_learning_rate_converges(diabetes):
    X, y = diabetes
    est = GradientDescentRegressor(
        learning_rate="adaptive",
        eta0=0.1,
        batch_size=32,
        tol=1e-6,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    assert _objective(est, X, y) == pytest.approx(
        _objective(GradientDescentRegressor(**TIGHT).fit(X, y), X, y), rel=5e-3
    )
    assert est.step_size_ / 5 < 1e-6  # divided by 5 until it fell below 1e-6


def test_huber_matches_a_generic_minimizer(synthetic):
    X, y = synthetic
    y = y.copy()
    y[::10] += 30  # outliers
    eps, alpha = 1.0, 0.05
    est = GradientDescentRegressor(loss="huber", epsilon=eps, alpha=alpha, **TIGHT)
    est.fit(X, y)

    def J(theta):
        r = np.abs(y - X @ theta[:-1] - theta[-1])
        h = np.where(r <= eps, 0.5 * r**2, eps * r - 0.5 * eps**2)
        return h.mean() + alpha / 2 * theta[:-1] @ theta[:-1]

    ref = minimize(J, np.zeros(X.shape[1] + 1), method="BFGS", options=dict(gtol=1e-10))
    assert J(np.r_[est.coef_, est.intercept_]) <= ref.fun + 1e-9
    np.testing.assert_allclose(est.coef_, ref.x[:-1], atol=1e-4)


@pytest.mark.parametrize(
    "loss, penalty",
    [("huber", "l2"), ("huber", "elasticnet"), ("squared_epsilon_insensitive", "l2")],
)
def test_semismooth_losses_reach_the_optimum_at_the_default_tol(loss, penalty):
    """Huber's and the epsilon-insensitive loss have a piecewise linear
    derivative: with an L2 term, Newton's steps on its pieces (semismooth
    Newton) reach the optimum of a second solver (FISTA at tol=1e-12) at
    the default tol in a few iterations, where FISTA at the default tol
    stopped 7e-3 to 3e-1 off (relative) after 140-180."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 20)) @ rng.standard_normal((20, 20))
    X = X * np.geomspace(0.1, 10, 20) + 3.0
    y = X @ rng.standard_normal(20) / 10 + rng.standard_t(2, 1000)
    params = dict(loss=loss, epsilon=1.0, penalty=penalty, alpha=1e-3, l1_ratio=0.5)
    est = GradientDescentRegressor(**params).fit(X, y)
    ref = GradientDescentRegressor(
        **params, solver="fista", tol=1e-12, max_iter=200_000
    ).fit(X, y)
    assert est.n_iter_ <= 20
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-7, atol=1e-9 * scale)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-7, abs=1e-9)


def test_multi_output_is_one_model_per_target(synthetic):
    X, y = synthetic
    Y = np.column_stack([y, -2 * y + 1])
    est = GradientDescentRegressor(alpha=0.2, **TIGHT).fit(X, Y)
    assert est.coef_.shape == (2, X.shape[1]) and est.intercept_.shape == (2,)
    ref = Ridge(alpha=0.2 * len(y)).fit(X, Y)
    assert _rel(est.coef_, ref.coef_) < 1e-6
    assert est.predict(X).shape == Y.shape


@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("shape", ["1d", "column", "two"])
def test_fitted_shapes_are_ridges_and_elastic_nets(synthetic, penalty, shape):
    """``coef_``, ``intercept_``, ``predict`` and ``dual_gap_`` in the shapes
    of scikit-learn's Ridge (L2) and ElasticNet (L1) for a 1-D ``y``, a
    column of shape (n, 1) and two targets, and the same values."""
    X, y = synthetic
    Y = {"1d": y, "column": y[:, None], "two": np.column_stack([y, 1 - y])}[shape]
    alpha = 0.1
    if penalty == "l2":
        ref = Ridge(alpha=alpha * len(y)).fit(X, Y)
    else:
        ref = ElasticNet(alpha=alpha, l1_ratio=1.0, tol=1e-12).fit(X, Y)
    est = GradientDescentRegressor(penalty=penalty, alpha=alpha, **TIGHT).fit(X, Y)
    assert est.coef_.shape == ref.coef_.shape
    assert np.shape(est.intercept_) == np.shape(ref.intercept_)
    assert est.predict(X).shape == ref.predict(X).shape
    if penalty == "l1":
        assert np.shape(est.dual_gap_) == np.shape(ref.dual_gap_)
    assert _rel(est.coef_, ref.coef_) < 1e-6
    est.set_params(warm_start=True).fit(X, Y)  # the warm start reads them back
    assert est.n_iter_ == 0 and est.coef_.shape == ref.coef_.shape


@pytest.mark.parametrize("sparse", [False, True])
def test_float32_stays_float32(synthetic, sparse):
    X, y = synthetic
    X32 = X.astype(np.float32)
    X32 = sp.csr_matrix(X32) if sparse else X32
    est = GradientDescentRegressor(alpha=0.1).fit(X32, y.astype(np.float32))
    assert est.coef_.dtype == np.float32
    assert est.predict(X32).dtype == np.float32
    ref = GradientDescentRegressor(alpha=0.1, tol=1e-10).fit(X, y)
    assert _rel(est.coef_, ref.coef_) < 1e-3


def test_diverging_learning_rate_is_explained(diabetes):
    X, y = diabetes
    est = GradientDescentRegressor(learning_rate="constant", eta0=10.0)
    with pytest.raises(ValueError, match=r"eta0=10.*diverge.*1/L = [0-9.]+"):
        est.fit(X, y)
    sgd = GradientDescentRegressor(learning_rate="constant", eta0=10.0, batch_size=8)
    with pytest.raises(ValueError, match="learning_rate='constant'.*1/L"):
        sgd.fit(X, y)
    assert not hasattr(est, "coef_")


def test_stable_step_in_the_message_is_stable(diabetes):
    X, y = diabetes
    est = GradientDescentRegressor(learning_rate="constant", eta0=10.0)
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    step = float(str(info.value).split("1/L = ")[1].split(" ")[0])
    ok = GradientDescentRegressor(learning_rate="constant", eta0=0.99 * step, tol=1e-8)
    assert np.all(np.isfinite(ok.fit(X, y).coef_))


def test_max_iter_gives_a_convergence_warning(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        # conjugate gradient: the default solves this ridge in one Newton step
        GradientDescentRegressor(solver="cg", max_iter=3, tol=1e-12).fit(X, y)


@pytest.mark.parametrize(
    "dtype, large", [(np.float32, True), (np.float32, False), (np.float64, True)]
)
def test_the_warning_names_float32_rounding_only_for_float32(
    diabetes, dtype, large, monkeypatch
):
    """Only float32 data fitted in float32 arithmetic (data above the size
    up to which float32 data are fitted in float64) hear of its rounding."""
    if large:  # diabetes stands for data above the limit
        monkeypatch.setattr(_precision, "FLOAT64_MAX_ENTRIES", 0)
    X, y = diabetes
    est = GradientDescentRegressor(
        penalty="elasticnet", alpha=0.01, learning_rate="constant", eta0=0.01,
        max_iter=300, tol=1e-12,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="max_iter=300") as record:
        est.fit(X.astype(dtype), y)
    named = any("float64" in str(w.message) for w in record)
    assert named == (dtype == np.float32 and large)
    assert est.coef_.dtype == dtype


def test_verbose_prints_one_line_per_iteration(diabetes, capsys):
    X, y = diabetes
    est = GradientDescentRegressor(verbose=1, tol=1e-6).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("--")]
    assert len(lines) == est.n_iter_ == len(est.loss_curve_)


def test_verbose_lines_print_no_unmeasured_optimality(diabetes, capsys):
    """Feature-sign search measures its violations at the next step's start,
    not at each step's end: its lines leave the optimality out rather than
    print NaN; a method that measures it prints it."""
    X, y = diabetes
    GradientDescentRegressor(penalty="l1", alpha=0.1, verbose=1).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("--")]
    assert lines and all("Feature-sign" in ln for ln in lines)
    assert not any("nan" in ln or "optimality" in ln for ln in lines)
    GradientDescentRegressor(penalty="l1", alpha=0.1, verbose=1, solver="fista").fit(
        X, y
    )
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("--")]
    assert lines and all("optimality" in ln for ln in lines if "Iteration" in ln)


def test_loss_curve_is_the_full_objective(diabetes):
    X, y = diabetes
    est = GradientDescentRegressor(penalty="l1", alpha=1.0, tol=1e-9).fit(X, y)
    assert est.loss_curve_[-1] == pytest.approx(_objective(est, X, y), rel=1e-12)
    assert est.step_size_ > 0 and est.t_ == est.n_iter_ + 1


def test_partial_fit_repeated_reaches_fit(diabetes):
    X, y = diabetes
    est = GradientDescentRegressor(alpha=0.1)
    for _ in range(3000):
        est.partial_fit(X, y)
    ref = GradientDescentRegressor(alpha=0.1, **TIGHT).fit(X, y)
    assert _rel(est.coef_, ref.coef_) < 1e-4
    assert len(est.loss_curve_) == est.n_iter_ == 3000
    with pytest.raises(ValueError, match="3 features"):
        est.partial_fit(X[:, :3], y)


def test_warm_start_and_coef_init_start_where_told(diabetes):
    X, y = diabetes
    est = GradientDescentRegressor(alpha=0.1, tol=1e-8).fit(X, y)
    again = GradientDescentRegressor(alpha=0.1, tol=1e-8, warm_start=True)
    again.fit(X, y)
    n_cold = again.n_iter_
    again.fit(X, y)
    assert again.n_iter_ < n_cold
    init = GradientDescentRegressor(alpha=0.1, tol=1e-8).fit(
        X, y, coef_init=est.coef_, intercept_init=est.intercept_
    )
    assert init.n_iter_ < n_cold / 3


@pytest.mark.parametrize(
    "params, sparse",
    [
        (dict(penalty="l2", precompute=False), False),  # conjugate gradient
        (dict(penalty="l1", precompute=True), False),  # feature-sign search
        (dict(penalty="l1", precompute=False), True),  # proximal Newton
        (dict(penalty="elasticnet", l1_ratio=0.5, loss="huber"), False),  # semismooth
        (dict(penalty="l1", loss="huber"), False),  # FISTA
        (dict(penalty="l2", loss="poisson"), True),  # Newton-CG
    ],
)
def test_tol_is_relative_to_the_cold_start_whatever_the_start(params, sparse):
    """``tol`` is measured against the cold start's violation, not the warm
    start's: a warm start at the optimum returns at once (it ran on, to a
    tolerance relative to its own tiny violation), and one from a nearby
    solution stops sooner than a cold fit, on the same criterion."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (400, 12)) * rng.uniform(0.1, 10, 12)
    y = rng.poisson(np.exp(X @ rng.normal(0, 0.1, 12)))
    if sparse:
        X = sp.csr_matrix(np.where(X > 2, X, 0.0))
    est = GradientDescentRegressor(alpha=0.01, tol=1e-6, **params).fit(X, y)
    coef, n_cold = est.coef_.copy(), est.n_iter_
    assert n_cold >= 1
    est.set_params(warm_start=True).fit(X, y)
    assert est.n_iter_ == 0
    np.testing.assert_array_equal(est.coef_, coef)
    init = GradientDescentRegressor(alpha=0.01, tol=1e-6, **params)
    init.fit(X, y, coef_init=coef, intercept_init=est.intercept_)
    assert init.n_iter_ == 0
    near = GradientDescentRegressor(alpha=0.011, tol=1e-6, **params).fit(X, y)
    near.set_params(warm_start=True, alpha=0.01).fit(X, y)
    assert near.n_iter_ <= n_cold
    tight = GradientDescentRegressor(alpha=0.01, tol=1e-11, max_iter=10_000, **params)
    tight.fit(X, y)
    assert _rel(near.coef_, tight.coef_) < 1e-4


def test_early_stopping_stops_on_validation_score(diabetes):
    X, y = diabetes
    # conjugate gradient's iterations (the default solves this ridge in one
    # Newton step, nothing to stop early)
    est = GradientDescentRegressor(
        solver="cg", early_stopping=True, n_iter_no_change=3, tol=1e-3, random_state=0
    ).fit(X, y)
    full = GradientDescentRegressor(solver="cg", tol=1e-12, max_iter=10_000).fit(X, y)
    assert est.n_iter_ < full.n_iter_
    assert est.score(X, y) > 0.45


def test_inputs_are_not_modified(synthetic):
    X, y = synthetic
    sw = np.ones(len(y))
    X0, y0, sw0 = X.copy(), y.copy(), sw.copy()
    GradientDescentRegressor(penalty="l1").fit(X, y, sample_weight=sw)
    GradientDescentRegressor(batch_size=10, max_iter=5).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sw, sw0)


def test_bad_parameters_name_the_parameter(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="alpha"):
        GradientDescentRegressor(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="backtracking.*batch_size"):
        GradientDescentRegressor(learning_rate="backtracking", batch_size=4).fit(X, y)
    with pytest.raises(ValueError, match="precompute=True"):
        GradientDescentRegressor(loss="huber", precompute=True).fit(X, y)
    with pytest.raises(ValueError, match="zero"):
        GradientDescentRegressor().fit(X, y, sample_weight=np.zeros(len(y)))


def test_pandas_feature_names_and_pipelines(diabetes):
    X, y = diabetes
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = GradientDescentRegressor(alpha=0.01).fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, df.columns)
    pipe = make_pipeline(StandardScaler(), GradientDescentRegressor())
    grid = GridSearchCV(pipe, {"gradientdescentregressor__alpha": [0.01, 0.1]}, cv=3)
    grid.fit(df, y)
    ours = cross_val_score(pipe, X, y, cv=5).mean()
    ref = cross_val_score(
        make_pipeline(StandardScaler(), Ridge(alpha=1e-4 * 353)), X, y, cv=5
    ).mean()
    assert ours == pytest.approx(ref, abs=1e-4)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_collinear_features_reach_scikit_learns_objective(synthetic, penalty):
    X, y = synthetic
    X = np.column_stack([X, X[:, :3], X[:, 0] + X[:, 1]])  # singular Gram matrix
    alpha = 0.01
    ours = GradientDescentRegressor(penalty=penalty, alpha=alpha, l1_ratio=0.4, **TIGHT)
    ref = _reference(penalty, alpha, 0.4, len(y)).fit(X, y)
    ours.fit(X, y)

    def objective(est):
        r = y - X @ est.coef_ - est.intercept_
        l1 = 1.0 if penalty == "l1" else 0.4
        w = est.coef_
        return 0.5 * np.mean(r**2) + alpha * (
            l1 * np.abs(w).sum() + (1 - l1) / 2 * (w**2).sum()
        )

    assert objective(ours) <= objective(ref) * (1 + 1e-10)


@pytest.mark.parametrize(
    "loss, precompute", [("squared_error", False), ("poisson", False)]
)  # fmt: skip
def test_the_start_check_gradient_is_the_solvers_start(loss, precompute, monkeypatch):
    # the estimator's check of the start (is it optimal? the relative tol)
    # evaluates the gradient there once; conjugate gradient and Newton begin
    # from it, no second pass over X for the same point
    from sklearn_foundations.datafits import LinearDatafit

    calls, gradient = [], LinearDatafit.gradient

    def spied(self, theta, Z):
        calls.append(theta.copy())
        return gradient(self, theta, Z)

    monkeypatch.setattr(LinearDatafit, "gradient", spied)
    rng = np.random.default_rng(0)
    X = sp.random(300, 20, density=0.3, format="csr", random_state=0)
    y = rng.poisson(2.0, 300).astype(float)
    est = GradientDescentRegressor(
        loss=loss, penalty="l2", alpha=0.01, precompute=precompute, tol=1e-10
    ).fit(X, y)  # fmt: skip
    starts = [t for t in calls if not t[:-1].any()]  # theta0: coefficients 0
    assert len(starts) == 1, f"the start's gradient evaluated {len(starts)} times"
    ref = GradientDescentRegressor(
        loss=loss, penalty="l2", alpha=0.01, precompute=precompute, tol=1e-10,
        solver="lbfgs",
    ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_wide_ridge_and_least_squares_are_scikit_learns(sparse):
    """More features than samples: the ridge of a small alpha is Ridge's to
    rounding at the default tol (one solve of the rows' kernel form; it was
    22% off, then 1e-4 off by conjugate gradient), to rounding without it
    (the table's next row, cgls, from a tight tol), and without a penalty
    the interpolant of least norm is LinearRegression's (the
    pseudo-inverse's)."""
    rng = np.random.default_rng(5)
    n, d = 50, 200
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 5
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    Xf = sp.csr_matrix(X) if sparse else X
    ridge = Ridge(alpha=n * 1e-3, solver="svd").fit(X, y)
    ours = GradientDescentRegressor(alpha=1e-3).fit(Xf, y)
    assert _rel(ours.coef_, ridge.coef_) < 1e-10
    assert abs(ours.intercept_ - ridge.intercept_) < 1e-10 * abs(ridge.intercept_)
    tight = GradientDescentRegressor(alpha=1e-3, tol=1e-12, solver="cgls").fit(Xf, y)
    assert _rel(tight.coef_, ridge.coef_) < 1e-9
    named = GradientDescentRegressor(alpha=1e-3, solver="kernel-cholesky").fit(Xf, y)
    assert named.n_iter_ == 1 and _rel(named.coef_, ridge.coef_) < 1e-10
    ols = LinearRegression().fit(X, y)
    none = GradientDescentRegressor(penalty=None).fit(Xf, y)
    assert _rel(none.coef_, ols.coef_) < 1e-9
    np.testing.assert_allclose(none.predict(Xf), y, rtol=0, atol=1e-9 * np.abs(y).max())


@pytest.mark.parametrize(
    "n, d, targets", [(450, 300, 1), (1400, 700, 1), (900, 400, 2)]
)
def test_ridge_on_correlated_columns_is_ridges_at_the_default_tol(n, d, targets):
    """Dense ridge of up to 1,000 features from as many rows on: one
    Cholesky solve of the Gram matrix, Ridge's coefficients to rounding at
    the default tol. Conjugate gradient (on the data below twice as many
    rows as features, on the Gram matrix above 500 features) stopped at
    ``tol`` with coefficients 0.3-1% off on correlated columns."""
    rng = np.random.default_rng(12)
    lags = np.abs(np.arange(d)[:, None] - np.arange(d)[None, :])
    root = np.linalg.cholesky(0.95**lags)
    X = rng.standard_normal((n, d)) @ root.T * rng.uniform(0.5, 5.0, d) + 2.0
    y = X @ rng.standard_normal((d, targets)) + rng.standard_normal((n, targets))
    y = y[:, 0] if targets == 1 else y
    ref = Ridge(alpha=1e-3 * n, solver="cholesky").fit(X, y)
    est = GradientDescentRegressor(alpha=1e-3).fit(X, y)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-9)


def _collinear(rng, n, categories, weights=False):
    """One-hot columns (collinear with the intercept), three continuous
    ones and a scaled copy of one: a rank-deficient design."""
    cat = rng.integers(0, categories, n)
    Z = rng.standard_normal((n, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    X = np.column_stack([np.eye(categories)[cat], Z, 3.0 * Z[:, 1]])
    y = X @ rng.standard_normal(X.shape[1]) + 2.0 + rng.standard_normal(n)
    s = rng.integers(0, 3, n).astype(float) if weights else None
    return X, y, s


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("categories, weights", [(4, False), (4, True), (300, False)])
def test_least_squares_on_collinear_columns_is_least_norm(
    categories, weights, fit_intercept
):
    """Collinear columns without a penalty on the Gram form: the least-norm
    coefficients, LinearRegression's (the Cholesky factor of the singular
    Gram matrix exists in rounding and gave one of the many minimizers, 2.4
    off it); weights with zeros, and up to 500 features."""
    X, y, s = _collinear(np.random.default_rng(7), 2000, categories, weights)
    ols = LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
    est = GradientDescentRegressor(penalty=None, fit_intercept=fit_intercept)
    est.fit(X, y, sample_weight=s)
    assert est.n_iter_ == 1
    np.testing.assert_allclose(est.coef_, ols.coef_, rtol=0, atol=1e-9)
    assert est.intercept_ == pytest.approx(ols.intercept_, abs=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n, categories, targets",
                         [(900, 600, 1), (2000, 300, 2), (3000, 800, 1)])  # fmt: skip
def test_least_squares_is_least_norm_where_the_data_form_was_chosen(
    sparse, n, categories, targets
):
    """Without a penalty, collinear columns of sizes that took conjugate
    gradient on the data (dense with fewer than twice as many rows as
    features, sparse one-hot columns, several targets): the least-norm
    coefficients, LinearRegression's. Conjugate gradient scaled by the
    columns gave the least norm of the standardized coefficients instead
    (up to 2.4 off where a column is a scaled copy of another)."""
    rng = np.random.default_rng(11)
    X, y, _ = _collinear(rng, n, categories)
    if targets == 2:
        y = np.column_stack([y, X[:, -2] - y + rng.standard_normal(n)])
    ols = LinearRegression().fit(X, y)
    est = GradientDescentRegressor(penalty=None)
    est.fit(sp.csr_matrix(X) if sparse else X, y)
    scale = np.abs(ols.coef_).max()
    np.testing.assert_allclose(est.coef_, ols.coef_, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(est.intercept_, ols.intercept_, rtol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape, zeros, fit_intercept",
                         [((10, 5), 5, True), ((100, 100), 5, False),
                          ((60, 60), 0, True)])  # fmt: skip
def test_rows_of_zero_weight_and_the_intercept_count_against_the_rank(
    sparse, shape, zeros, fit_intercept
):
    """As many rows as features with an intercept, or fewer rows of a
    non-zero weight than features: the centered data are rank-deficient
    though not wide; the least-norm solution, LinearRegression's (the
    scaled conjugate gradient's was 0.01-0.02 off, along the null space), and
    zero weights are the rows removed."""
    rng = np.random.RandomState(42)
    n, d = shape
    X, y = rng.rand(n, d), rng.rand(n)
    sw = rng.uniform(0.01, 2, n)
    sw[n - zeros :] = 0.0
    y[n - zeros :] *= 1000
    keep = slice(0, n - zeros)
    ols = LinearRegression(fit_intercept=fit_intercept)
    ols.fit(X[keep], y[keep], sample_weight=sw[keep])
    Xf = sp.csr_matrix(X) if sparse else X
    est = GradientDescentRegressor(
        penalty=None, fit_intercept=fit_intercept, tol=1e-10, max_iter=10_000
    ).fit(Xf, y, sample_weight=sw)
    scale = np.abs(ols.coef_).max()
    np.testing.assert_allclose(est.coef_, ols.coef_, rtol=0, atol=1e-7 * scale)


def test_nearly_collinear_columns_keep_their_least_squares():
    """A column within 1e-3 of another is resolved, not taken as collinear:
    the least-squares coefficients (unique), LinearRegression's."""
    rng = np.random.default_rng(8)
    Z = rng.standard_normal((500, 4))
    X = np.column_stack([Z, Z[:, 0] + 1e-3 * rng.standard_normal(500)])
    y = X @ [1.0, 2.0, 3.0, 4.0, 5.0] + rng.standard_normal(500)
    ols = LinearRegression().fit(X, y)
    est = GradientDescentRegressor(penalty=None).fit(X, y)
    np.testing.assert_allclose(est.coef_, ols.coef_, rtol=1e-8)


@pytest.mark.parametrize("n, d", [(20, 30), (200, 50)])
def test_small_float32_data_fit_in_float64_arithmetic(n, d):
    """float32 data of a small size: coefficients in float32, as accurate as
    float32 can hold them (float32 arithmetic left 1e-4 of their size on a
    wide ridge, where scikit-learn's float32 solve is within 1e-6)."""
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 1, (n, d)) * rng.uniform(0.5, 2, d)
    y = X @ rng.normal(0, 100, d) + rng.normal(0, 50, n)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    ref = GradientDescentRegressor(alpha=1e-3, tol=1e-12).fit(
        X32.astype(np.float64), y32.astype(np.float64)
    )
    ours = GradientDescentRegressor(alpha=1e-3, tol=1e-10).fit(X32, y32)
    assert ours.coef_.dtype == np.float32 and ours.intercept_.dtype == np.float32
    assert ours.predict(X32).dtype == np.float32
    assert _rel(ours.coef_, ref.coef_) < 1e-6


def _wide_scaled(seed, n, d, decades):
    """Fewer rows than columns, of scales 10^-decades to 10^decades and
    non-zero means, as users pass them without a scaler."""
    rng = np.random.default_rng(seed)
    scales = np.logspace(-decades, decades, d)[rng.permutation(d)]
    X = rng.standard_normal((n, d)) * scales + 3 * rng.standard_normal(d)
    signal = (X[:, :5] / np.abs(X[:, :5]).mean(0)) @ rng.standard_normal(5)
    return X, 100 * (signal + rng.standard_normal(n))


@pytest.mark.parametrize(
    "seed, n, d, decades",
    [(0, 5, 30, 4), (1, 5, 30, 4), (2, 8, 60, 4), (3, 10, 1000, 3)],
)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("solver", ["prox-newton", "auto"])
def test_wide_columns_of_very_different_scales_reach_the_optimum(
    seed, n, d, decades, l1_ratio, solver
):
    """Proximal Newton's model on wide data of scales 1e-4 to 1e4: feature-sign
    search called every active set with a small column singular (its pivots
    against a ridge relative to the largest column), or stopped where an
    entering feature's step went uphill, and the fit fell back to coordinate
    descent, which crawls on a model of more columns than rows: at tol 1e-8
    the first three problems ran out of 200 iterations with a warning on 33
    of 34 seeds, and 10 x 1,000 took 23 iterations of 100 sweeps each. The
    search now solves in the columns' own units and takes the entering
    feature's own exact step where the walk does not descend. The solver
    table now takes feature-sign search on the rows' factor for such data
    ("auto"): the same optimum, in steps of the search."""
    X, y = _wide_scaled(seed, n, d, decades)
    alpha = 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = GradientDescentRegressor(
            penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, tol=1e-8,
            max_iter=200, solver=solver,
        ).fit(X, y)  # fmt: skip
    if solver == "prox-newton":
        assert ours.n_iter_ <= 15
    # optimal in the columns' units: the violations at most 1e-6 of the
    # cold start's (tol 1e-8, relative to those)
    w, Xc, yc = ours.coef_, X - X.mean(0), y - y.mean()
    unit = np.sqrt(np.mean(Xc**2, axis=0))
    g = -Xc.T @ (yc - Xc @ w) / n + alpha * (1 - l1_ratio) * w
    l1 = alpha * l1_ratio
    on = np.abs(g + l1 * np.sign(w))
    violation = np.where(w != 0, on, np.maximum(np.abs(g) - l1, 0.0)) / unit
    cold = np.maximum(np.abs(Xc.T @ yc / n) - l1, 0.0) / unit
    assert violation.max() <= 1e-6 * cold.max()
    with warnings.catch_warnings():  # a bound: scikit-learn's after 10,000 sweeps
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=10_000)
        ref.fit(X, y)

    def objective(est):
        r, w = y - X @ est.coef_ - est.intercept_, est.coef_
        penalty = l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * (w**2).sum()
        return 0.5 * np.mean(r**2) + alpha * penalty

    assert objective(ours) <= objective(ref) * (1 + 1e-9)


@pytest.mark.parametrize(
    "penalty, solver, method",
    [("l1", "auto", "prox-newton"), ("elasticnet", "auto", "prox-newton"),
     ("l2", "auto", "newton-cholesky"), ("l1", "fista", "fista")],
)  # fmt: skip
def test_a_tall_fit_with_an_l1_term_on_many_features_stays_on_the_data(
    penalty, solver, method, monkeypatch
):
    """Dense data of twice as many rows as its 600 features: with an L1
    term the table's fit takes working sets on the data (proximal Newton),
    which form the Gram blocks they need, not the whole Gram matrix; a ridge
    still factors the Gram matrix, and a first-order method named by
    ``solver`` still takes its steps on it. A path, on one Gram matrix for
    all its points, takes it. Each fit is scikit-learn's."""
    gram = method != "prox-newton"
    from sklearn_foundations import datafits
    from sklearn_foundations.linear_model import _base

    rng = np.random.default_rng(4)
    n, d = 1200, 600
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + 1.0
    y = X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(n)
    assert datafits.gram_pays(X) and not datafits.gram_pays(X, working_sets=True)
    kinds, methods = [], []
    make, solve = datafits.make_datafit, _base.minimize

    def spy_make(*args, **kwargs):
        f = make(*args, **kwargs)
        kinds.append(type(f).__name__)
        return f

    def spy_solve(*args, **kwargs):
        result = solve(*args, **kwargs)
        methods.append(result.method)
        return result

    from sklearn_foundations.linear_model import _gradient_descent

    monkeypatch.setattr(_gradient_descent, "make_datafit", spy_make)
    monkeypatch.setattr(_base, "minimize", spy_solve)
    alpha = 0.05 * np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / n
    est = GradientDescentRegressor(
        penalty=penalty, alpha=alpha, l1_ratio=0.5, tol=1e-10, max_iter=10_000,
        solver=solver,
    ).fit(X, y)  # fmt: skip
    assert kinds == ["QuadraticDatafit" if gram else "LinearDatafit"]
    assert methods == [method]
    if penalty == "l2":
        ref = Ridge(alpha=alpha * n, tol=1e-12).fit(X, y)
    else:
        r = 1.0 if penalty == "l1" else 0.5
        ref = ElasticNet(alpha=alpha, l1_ratio=r, tol=1e-14, max_iter=100_000)
        ref.fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


def test_a_gram_matrix_of_600_features_takes_feature_sign(fit_methods):
    """A lasso on the Gram matrix of 600 columns in near-duplicate pairs
    (precompute=True; a path's matrix goes up to 1,000 features): feature-
    sign search, exact, where FISTA took 3,000-odd iterations and stopped
    1e-7 above the optimum; the objective of the fit on the data."""
    rng = np.random.default_rng(0)
    n, half = 1500, 300
    X0 = rng.standard_normal((n, half))
    X = np.hstack([X0, X0 * (1 + 0.01 * rng.standard_normal((n, half)))])
    y = X @ (rng.standard_normal(2 * half) * (rng.random(2 * half) < 0.2))
    y += rng.standard_normal(n)
    alpha = 0.01 * np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / n
    gram = GradientDescentRegressor(
        penalty="l1", alpha=alpha, tol=1e-8, precompute=True
    ).fit(X, y)
    data = GradientDescentRegressor(
        penalty="l1", alpha=alpha, tol=1e-8, precompute=False, max_iter=10_000
    ).fit(X, y)
    assert fit_methods[0] == "feature-sign" and gram.n_iter_ < 500

    def objective(est):
        r = y - X @ est.coef_ - est.intercept_
        return 0.5 * np.mean(r * r) + alpha * np.abs(est.coef_).sum()

    np.testing.assert_allclose(objective(gram), objective(data), rtol=1e-12)


def _gap_from_the_data(X, y, sw, coef, intercept, alpha, l1_ratio, fit_intercept):
    """The elastic net's duality gap written from its primal and dual values
    on the data (per target): the dual point is the centered residual scaled
    into the dual's feasible set (the residual itself for ridge)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    Y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
    W = np.asarray(coef, dtype=np.float64).reshape(Y.shape[1], -1).T
    b = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (Y.shape[1],))
    s = sw / sw.sum()
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    gaps = []
    for t in range(Y.shape[1]):
        w, y_t = W[:, t], Y[:, t]
        r = y_t - X @ w - b[t]
        primal = 0.5 * s @ r**2 + l1 * np.abs(w).sum() + 0.5 * l2 * w @ w
        X_c = X - s @ X if fit_intercept else X
        y_c = y_t - s @ y_t if fit_intercept else y_t
        r_c = y_c - X_c @ w
        XtR = X_c.T @ (s * r_c)
        if l1 == 0:
            dual = s @ (r_c * y_c) - 0.5 * s @ r_c**2 - XtR @ XtR / (2 * l2)
        else:
            c = min(1.0, l1 / np.max(np.abs(XtR - l2 * w)))
            dual = c * s @ (r_c * y_c) - 0.5 * c**2 * (s @ r_c**2 + l2 * w @ w)
        gaps.append(primal - dual)
    return np.array(gaps), primal


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize(
    "shape, sparse, targets, intercept, weighted",
    [
        ((200, 10), False, 1, True, False),  # the Gram form
        ((200, 10), False, 2, True, True),
        ((40, 300), False, 1, True, False),  # wide: the data, the rows' factor
        ((40, 300), False, 1, False, True),
        ((300, 60), True, 1, True, True),  # sparse
    ],
)
@pytest.mark.parametrize("max_iter", [2, 10_000])
def test_dual_gap_is_the_elastic_nets_and_bounds_the_suboptimality(
    l1_ratio, shape, sparse, targets, intercept, weighted, max_iter
):
    """``dual_gap_`` is the duality gap written from the data (primal less
    dual value), whichever solver and storage the fit took: at least the
    objective's distance to its minimum (scikit-learn's at a tight ``tol``),
    and nil to rounding at the optimum."""
    rng = np.random.default_rng(sum(shape) + targets)
    n, d = shape
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d) + 1.0
    if sparse:
        X = sp.csr_matrix(np.where(rng.random((n, d)) < 0.2, X, 0.0))
    Y = np.asarray(X[:, :5] @ rng.standard_normal((5, targets)))
    Y = Y + rng.standard_normal((n, targets)) + 3.0
    y = Y[:, 0] if targets == 1 else Y
    sw = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    alpha = 0.05
    est = GradientDescentRegressor(
        penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio, tol=1e-12,
        max_iter=max_iter, fit_intercept=intercept,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    expected, primal = _gap_from_the_data(
        X, y, sw, est.coef_, est.intercept_, alpha, l1_ratio, intercept
    )
    gap = np.atleast_1d(est.dual_gap_)
    assert np.ndim(est.dual_gap_) == (0 if targets == 1 else 1)
    np.testing.assert_allclose(gap, expected, rtol=1e-7, atol=1e-12 * primal)
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000,
                     fit_intercept=intercept)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y, sample_weight=sw)
    Xd = X.toarray() if sp.issparse(X) else X
    Yt = Y.reshape(n, -1)
    s = sw / sw.sum()

    def objective(coef, b):
        W = np.asarray(coef).reshape(targets, -1).T
        R = Yt - Xd @ W - np.asarray(b).reshape(1, -1)
        return 0.5 * s @ (R * R) + alpha * (
            l1_ratio * np.abs(W).sum(axis=0)
            + 0.5 * (1 - l1_ratio) * (W * W).sum(axis=0)
        )

    excess = objective(est.coef_, est.intercept_) - objective(ref.coef_, ref.intercept_)
    assert np.all(gap >= excess - 1e-12 * primal)
    if max_iter > 2:
        assert np.all(gap <= 1e-9 * primal)


def test_dual_gap_is_set_only_for_a_penalized_squared_error():
    """The squared error without a penalty has no bounded dual point, and
    the other losses no gap of this form: no ``dual_gap_``; a refit that
    takes the penalty away removes the last one. An L1-family penalty of
    alpha 0 (scikit-learn's ElasticNet(alpha=0)) reports the first-order
    condition, 0 at the optimum."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 4)), rng.standard_normal(50)
    est = GradientDescentRegressor(penalty="l2", alpha=0.1).fit(X, y)
    assert est.dual_gap_ >= 0.0
    assert not hasattr(est.set_params(penalty=None).fit(X, y), "dual_gap_")
    assert not hasattr(est.set_params(alpha=0.0, penalty="l2").fit(X, y), "dual_gap_")
    for penalty in ("l1", "elasticnet"):
        est.set_params(alpha=0.0, penalty=penalty).fit(X, y)
        assert 0.0 <= est.dual_gap_ <= 1e-24  # the squared gradient at the optimum
    toy = GradientDescentRegressor(penalty="elasticnet", alpha=0.0)
    toy.fit(sp.csc_matrix([[-1.0], [0.0], [1.0]]), [-1.0, 0.0, 1.0])
    assert toy.dual_gap_ == pytest.approx(0.0, abs=1e-24)  # scikit-learn's toy
    np.testing.assert_allclose(toy.coef_, [1.0])
    huber = GradientDescentRegressor(loss="huber", penalty="l1", alpha=0.1)
    assert not hasattr(huber.fit(X, y), "dual_gap_")
    est.set_params(penalty="l2", alpha=0.1).fit(X, y)
    assert not hasattr(est.partial_fit(X, y), "dual_gap_")  # not that fit's gap


@pytest.mark.parametrize("sparse", [False, True])
def test_dual_gap_of_a_stochastic_fit_counts_its_intercept(sparse):
    """Mini-batches leave the intercept off its optimum too: the gap holds
    its part, half the square of the intercept's gradient."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((120, 6)) + 2.0
    if sparse:
        X = sp.csr_matrix(np.where(rng.random(X.shape) < 0.5, X, 0.0))
    y = np.asarray(X @ rng.standard_normal(6)).ravel() + 10.0
    sw = np.ones(len(y))
    est = GradientDescentRegressor(
        penalty="elasticnet", alpha=0.1, l1_ratio=0.5, learning_rate="constant",
        eta0=0.01, batch_size=10, max_iter=2, tol=None, random_state=0,
    ).fit(X, y)  # fmt: skip
    expected, _ = _gap_from_the_data(
        X, y, sw, est.coef_, est.intercept_, 0.1, 0.5, True
    )
    Xd = X.toarray() if sparse else X
    offset = np.mean(y - Xd @ est.coef_) - est.intercept_  # the intercept's error
    # off its optimum by more than the comparison's resolution: the part counts
    assert 0.5 * offset**2 > 1e-8 * est.dual_gap_
    np.testing.assert_allclose(est.dual_gap_, expected[0], rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 42])
@pytest.mark.parametrize("effective_rank", [None, 10])
@pytest.mark.parametrize("precompute", [False, "auto"])
def test_least_squares_at_a_tiny_tol_is_ols_to_the_last_digits(
    seed, effective_rank, precompute
):
    """With ``alpha=0`` and ``tol=1e-15`` the fit of noiseless, weighted
    data interpolates as ``LinearRegression`` does (scikit-learn's own test
    of ElasticNet): the weighted squared residuals at most 1e-19, the
    coefficients within 1e-11; on the data (conjugate gradient) as on the
    Gram matrix, the rounding floor no coarser than that."""
    rng = np.random.RandomState(seed)
    X, y = make_regression(
        n_samples=300, n_features=100, effective_rank=effective_rank,
        n_informative=50, random_state=rng,
    )  # fmt: skip
    sw = rng.uniform(low=0.01, high=10, size=X.shape[0])
    ols = LinearRegression().fit(X, y, sample_weight=sw)
    est = GradientDescentRegressor(
        penalty="elasticnet", alpha=0.0, precompute=precompute, tol=1e-15
    ).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.predict(X), ols.predict(X))
    assert np.sum(sw * (y - est.predict(X)) ** 2) <= 1e-19
    np.testing.assert_allclose(est.coef_, ols.coef_, atol=1e-11)
    np.testing.assert_allclose(est.intercept_, ols.intercept_, atol=1e-11)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_given_gram_matrix_is_the_one_formed_from_the_data(fit_intercept, weighted):
    """``precompute`` as an array (scikit-learn's: X^T diag(w) X, the
    weights rescaled to sum to n_samples, of centered X where an intercept
    is fitted): the same fit as the Gram matrix formed from X, and
    scikit-learn's ElasticNet with the same matrix (unweighted without an
    intercept, where it checks X unweighted); the matrix and X are not
    modified."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((120, 9)) * rng.uniform(0.5, 5, 9) + 3
    y = X @ rng.standard_normal(9) + rng.standard_normal(120)
    sw = rng.uniform(0.1, 2, 120) if weighted else None
    w = np.ones(120) if sw is None else sw * 120 / sw.sum()
    if fit_intercept:
        X = X - np.average(X, axis=0, weights=w)
    gram = (X * w[:, None]).T @ X
    gram_before, X_before = gram.copy(), X.copy()
    kw = dict(penalty="elasticnet", alpha=0.02, l1_ratio=0.5, tol=1e-12)
    est = GradientDescentRegressor(precompute=gram, fit_intercept=fit_intercept, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # taken as given: no warning
        est.fit(X, y, sample_weight=sw)
    formed = GradientDescentRegressor(
        precompute=True, fit_intercept=fit_intercept, **kw
    ).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.coef_, formed.coef_, rtol=1e-10, atol=1e-12)
    assert est.intercept_ == pytest.approx(formed.intercept_, rel=1e-10, abs=1e-12)
    if fit_intercept or not weighted:
        ref = ElasticNet(
            alpha=0.02, l1_ratio=0.5, precompute=gram, fit_intercept=fit_intercept,
            tol=1e-14,
        ).fit(X, y, sample_weight=sw)  # fmt: skip
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(gram, gram_before)
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_at_the_default_tol_the_gram_form_and_the_data_agree(l1_ratio):
    """At the default tol the fit on a given Gram matrix, on the formed one
    and on the data (fewer rows than features: other methods) give the same
    coefficients to scikit-learn's default rtol, 1e-7: the exact methods
    finish past tol (scikit-learn's test of a weighted Gram matrix, where
    they stopped 3.5e-3 apart)."""
    rng = np.random.RandomState(42)
    X = rng.randn(50, 200)
    y = X[:, :10] @ rng.randn(10) + 0.1 * rng.randn(50)
    sw = np.random.RandomState(0).lognormal(size=50)
    w = sw * 50 / sw.sum()
    X_c = X - np.average(X, axis=0, weights=w)
    gram = (X_c * w[:, None]).T @ X_c
    kw = dict(penalty="elasticnet", alpha=0.01, l1_ratio=l1_ratio)
    fits = [
        GradientDescentRegressor(precompute=gram, **kw).fit(X_c, y, sample_weight=sw),
        GradientDescentRegressor(precompute=True, **kw).fit(X, y, sample_weight=sw),
        GradientDescentRegressor(precompute=False, **kw).fit(X, y, sample_weight=sw),
    ]
    for est in fits[1:]:
        np.testing.assert_allclose(est.coef_, fits[0].coef_, rtol=1e-7, atol=1e-12)


def test_a_gram_matrix_of_uncentered_data_is_formed_anew_with_a_warning():
    """As scikit-learn: with an intercept and X not centered, the given
    matrix is not used (a UserWarning), the fit the formed matrix's."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 6)) + 2
    y = X @ rng.standard_normal(6)
    est = GradientDescentRegressor(penalty="l1", alpha=0.01, precompute=X.T @ X)
    with pytest.warns(UserWarning, match="X was centered to fit intercept"):
        est.fit(X, y)
    auto = GradientDescentRegressor(penalty="l1", alpha=0.01).fit(X, y)
    np.testing.assert_allclose(est.coef_, auto.coef_, rtol=1e-12)


def test_a_wrong_gram_matrix_is_an_error_that_names_it():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((60, 7))
    X = X - X.mean(axis=0)  # centered: the given matrix is checked and used
    y = X @ rng.standard_normal(7)
    gram = X.T @ X
    off = gram.copy()
    off[3, 4] = off[4, 3] = off[3, 4] * 1.01
    for bad, match in [
        (off, r"element \(3,4\)"),
        (gram * 2, r"did not pass validation"),
        (gram[:5, :5], r"shape \(7, 7\)"),
        (np.where(np.eye(7) > 0, np.nan, gram), "finite or symmetric"),
        (gram + np.triu(np.ones((7, 7)), 1), "finite or symmetric"),
    ]:
        with pytest.raises(ValueError, match=match):
            GradientDescentRegressor(penalty="l1", precompute=bad).fit(X, y)
    for kw in [dict(batch_size=10), dict(early_stopping=True), dict(loss="huber")]:
        with pytest.raises(ValueError, match="precompute as a Gram matrix"):
            GradientDescentRegressor(precompute=gram, **kw).fit(X, y)
    X_nan = X.copy()
    X_nan[5, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about centering first
        with pytest.raises(ValueError, match="NaN"):
            GradientDescentRegressor(precompute=gram).fit(X_nan, y)


def test_the_unconverged_warning_reports_the_optimality_in_tols_units():
    """``tol`` is relative to the cold start's optimality: the warning of a
    fit stopped short reports the optimality in those units too, the same
    for the targets (and epsilon) in any unit, and above tol (it reported
    the absolute one: 2.3e-6 "above" tol=1e-4 for targets in millionths)."""
    import re

    X, y = load_diabetes(return_X_y=True)
    reported = []
    for unit in (1e-6, 1.0):
        est = GradientDescentRegressor(
            loss="huber", epsilon=10 * unit, penalty="l1", alpha=0.1 * unit, max_iter=5
        )
        with pytest.warns(ConvergenceWarning) as record:
            est.fit(X, y * unit)
        message = str(record[0].message)
        assert "max_iter=5" in message and "tol=0.0001" in message
        found = re.search(r"optimality ([0-9.e+-]+)\)", message)
        reported.append(float(found.group(1)))
    assert reported[0] > 1e-4 and reported[0] == pytest.approx(reported[1], rel=1e-2)
