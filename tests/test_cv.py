"""The cross-validated models against scikit-learn's, on the same folds and
grids, and as users put them to work."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.metrics import get_scorer
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_foundations.linear_model import (
    GradientDescentRegressorCV,
    LogisticRegression,
    LogisticRegressionCV,
)


def _diabetes(sparse=False):
    X, y = load_diabetes(return_X_y=True)
    X = X * np.linspace(1.0, 50.0, X.shape[1]) + 2.0  # other scales and means
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_lasso_cv_chooses_scikit_learns_alpha(sparse, weighted):
    X, y = _diabetes(sparse)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) if weighted else None
    cv = KFold(5, shuffle=True, random_state=0)
    ours = GradientDescentRegressorCV(cv=cv, tol=1e-10).fit(X, y, sample_weight=w)
    theirs = LassoCV(cv=cv, tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)  # the same point
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-8)


def test_elastic_net_cv_chooses_scikit_learns_alpha_and_l1_ratio():
    X, y = _diabetes()
    cv = KFold(4, shuffle=True, random_state=1)
    ratios = [0.1, 0.5, 0.9, 1.0]
    ours = GradientDescentRegressorCV(l1_ratio=ratios, alphas=30, cv=cv, tol=1e-10)
    theirs = ElasticNetCV(l1_ratio=ratios, alphas=30, cv=cv, tol=1e-12,
                          max_iter=100_000)  # fmt: skip
    ours.fit(X, y), theirs.fit(X, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    assert ours.l1_ratio_ == theirs.l1_ratio_
    assert ours.coefs_paths_.shape == (4, 4, 30, X.shape[1])


def _scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _binary_wine():
    X, y = _scaled(load_wine)
    return X[y < 2], y[y < 2]


@pytest.mark.parametrize(
    "data, l1_ratios, Cs, fit_intercept, solver",
    [
        (lambda: _scaled(load_breast_cancer), (0.0,), 12, True, "newton-cholesky"),
        (lambda: _scaled(load_wine), (0.0,), np.logspace(-3, 2, 8), True,
         "newton-cholesky"),
        (_binary_wine, (1.0,), np.logspace(-2, 1, 8), False, "liblinear"),
    ],
)  # fmt: skip
def test_logistic_cv_chooses_scikit_learns_C(
    data, l1_ratios, Cs, fit_intercept, solver
):
    """scikit-learn's LogisticRegressionCV at a tight tolerance, on the same
    folds and grid: the same scores to 1e-6, C_ and l1_ratio_. Its exact
    solvers are the reference: Newton-Cholesky for L2, liblinear for L1
    without an intercept (which liblinear would penalize); lbfgs and saga
    stop short of 1e-6 in the scores on these data."""
    X, y = data()
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    common = dict(Cs=Cs, l1_ratios=l1_ratios, cv=cv, scoring="neg_log_loss",
                  fit_intercept=fit_intercept)  # fmt: skip
    ours = LogisticRegressionCV(tol=1e-10, max_iter=1000, **common).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkLogisticRegressionCV(
            solver=solver, tol=1e-12, max_iter=100_000, use_legacy_attributes=False,
            **common,
        ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(ours.Cs_, theirs.Cs_)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, rtol=1e-6, atol=1e-8)
    assert ours.C_ == theirs.C_ and ours.l1_ratio_ == theirs.l1_ratio_
    assert ours.coefs_paths_.shape == theirs.coefs_paths_.shape
    assert ours.scores_.shape == ours.n_iter_.shape == theirs.n_iter_.shape
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton-cholesky"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "wine"])
def test_logistic_cv_solver_runs_every_fit(solver, dataset):
    """``solver`` runs every fit of the paths and the refit (spied on the
    table's calls): the scores, C_ and model of "auto" (two or three classes);
    one that cannot solve an ``l1_ratio`` of the grid, or these classes, is a
    ValueError in the estimator's terms."""
    from sklearn_foundations.optimize import _minimize

    loader = load_breast_cancer if dataset == "breast_cancer" else load_wine
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    common = dict(Cs=5, cv=StratifiedKFold(3, shuffle=True, random_state=0),
                  scoring="neg_log_loss", tol=1e-10, max_iter=1000)  # fmt: skip
    auto = LogisticRegressionCV(**common).fit(X, y)
    methods, run = [], _minimize._RUN[solver]

    def spied(*args):
        methods.append(solver)
        return run(*args)

    calls = []
    minimize = _minimize.minimize

    def counted(*args, method="auto", **kwargs):
        calls.append(method)
        return minimize(*args, method=method, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_minimize, "_RUN", {**_minimize._RUN, solver: spied})
        mp.setattr("sklearn_foundations.linear_model._path.minimize", counted)
        named = LogisticRegressionCV(solver=solver, **common).fit(X, y)
    assert calls and set(calls) == {solver} and len(methods) == len(calls)
    # to the tolerance's reach at the weakest penalty (C=1e4, nearly separable)
    np.testing.assert_allclose(named.scores_, auto.scores_, rtol=1e-5, atol=1e-6)
    assert named.C_ == auto.C_
    np.testing.assert_allclose(named.coef_, auto.coef_, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=f"solver='{solver}' needs a smooth"):
        LogisticRegressionCV(solver=solver, l1_ratios=(0.0, 1.0), **common).fit(X, y)
    if dataset == "wine":
        with pytest.raises(ValueError, match="solver='prox-newton' needs one target"):
            LogisticRegressionCV(solver="prox-newton", **common).fit(X, y)


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
def test_logistic_cv_weighs_its_test_scores_by_the_fits_weights(scoring):
    """As scikit-learn's LogisticRegressionCV, fit's sample_weight weighs the
    test folds' scores as well (metadata routing off), and a scorer that
    requests sample_weight with routing on gets the same, fold by fold."""
    X, y = _scaled(load_breast_cancer)
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    common = dict(Cs=np.logspace(-3, 1, 5), cv=cv)
    ours = LogisticRegressionCV(scoring=scoring, tol=1e-10, max_iter=1000, **common)
    ours.fit(X, y, sample_weight=sw)
    theirs = SkLogisticRegressionCV(
        scoring=scoring, solver="newton-cholesky", tol=1e-12, max_iter=1000,
        use_legacy_attributes=False, **common,
    ).fit(X, y, sample_weight=sw)  # fmt: skip
    np.testing.assert_allclose(ours.scores_, theirs.scores_, rtol=1e-6, atol=1e-8)
    plain = LogisticRegressionCV(scoring=scoring, tol=1e-10, max_iter=1000, **common)
    assert not np.allclose(plain.fit(X, y).scores_, ours.scores_)
    with config_context(enable_metadata_routing=True):
        scorer = get_scorer(scoring or "accuracy").set_score_request(sample_weight=True)
        routed = LogisticRegressionCV(
            scoring=scorer, tol=1e-10, max_iter=1000, **common
        )
        routed.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(routed.scores_, ours.scores_, rtol=1e-12)


def test_elastic_net_logistic_cv_chooses_sagas_C_and_l1_ratio():
    """The elastic net has one solver in scikit-learn, saga, which reaches
    about 1e-3 in these scores: the same choice, the scores that close."""
    X, y = _scaled(load_wine)
    common = dict(Cs=np.logspace(-1, 1, 4), l1_ratios=(0.5, 1.0),
                  cv=StratifiedKFold(3, shuffle=True, random_state=0),
                  scoring="neg_log_loss")  # fmt: skip
    ours = LogisticRegressionCV(tol=1e-10, max_iter=1000, **common).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkLogisticRegressionCV(
            solver="saga", tol=1e-8, max_iter=100_000, use_legacy_attributes=False,
            **common,
        ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(ours.scores_, theirs.scores_, rtol=1e-3)
    assert ours.C_ == theirs.C_ and ours.l1_ratio_ == theirs.l1_ratio_


@pytest.mark.parametrize(
    "model, load",
    [
        (GradientDescentRegressorCV(alphas=20), load_diabetes),
        (LogisticRegressionCV(Cs=5, l1_ratios=(0.0, 1.0)), load_breast_cancer),
    ],
)
def test_in_a_pipeline_with_a_scaler_and_in_cross_validate(model, load):
    X, y = load(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), model)
    result = cross_validate(pipe, X, y, cv=3, return_estimator=True)
    assert np.all(result["test_score"] > 0.4)
    fitted = result["estimator"][0][-1]
    assert fitted.n_features_in_ == X.shape[1] and len(fitted.loss_curve_) >= 1


def test_folds_in_parallel_are_the_folds_in_sequence():
    X, y = _scaled(load_breast_cancer)
    one = LogisticRegressionCV(Cs=4, l1_ratios=(1.0,), n_jobs=1).fit(X, y)
    two = LogisticRegressionCV(Cs=4, l1_ratios=(1.0,), n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.scores_, two.scores_)
    np.testing.assert_array_equal(one.coef_, two.coef_)


def test_without_refit_the_model_is_the_mean_of_each_folds_best():
    X, y = _diabetes()
    reg = GradientDescentRegressorCV(alphas=15, refit=False, cv=3).fit(X, y)
    best = reg.scores_.reshape(3, -1).argmax(axis=1)
    np.testing.assert_allclose(
        reg.coef_, reg.coefs_paths_[np.arange(3), 0, best].mean(0)
    )
    assert reg.alpha_ == pytest.approx(reg.alphas_[best].mean())
    X, y = _scaled(load_wine)
    clf = LogisticRegressionCV(Cs=4, refit=False, cv=3).fit(X, y)
    best = clf.scores_.reshape(3, -1).argmax(axis=1)
    mean = clf.coefs_paths_[np.arange(3), 0, best].mean(axis=0)
    np.testing.assert_allclose(clf.coef_, mean[:, :-1])
    np.testing.assert_allclose(clf.intercept_, mean[:, -1])
    assert clf.C_ == pytest.approx(clf.Cs_[best].mean())


def test_groups_reach_the_splitter_through_metadata_routing():
    X, y = _diabetes()
    groups = np.arange(len(y)) % 4
    with config_context(enable_metadata_routing=True):
        reg = GradientDescentRegressorCV(alphas=10, cv=GroupKFold(4))
        reg.fit(X, y, groups=groups)
    assert reg.mse_path_.shape == (10, 4)
    with pytest.raises(ValueError, match="groups"):  # routing off: refused
        GradientDescentRegressorCV(alphas=10, cv=GroupKFold(4)).fit(X, y, groups=groups)


def test_a_scorer_replaces_the_mean_squared_error():
    X, y = _diabetes()
    reg = GradientDescentRegressorCV(alphas=10, cv=3, scoring="r2").fit(X, y)
    assert reg.scores_.shape == (3, 1, 10)
    assert np.all(reg.scores_ <= 1.0)
    # r2 of a fold is 1 - mse / var: the same choice as the error's
    mse = GradientDescentRegressorCV(alphas=10, cv=3).fit(X, y)
    np.testing.assert_allclose(reg.mse_path_, mse.mse_path_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_fold_without_a_class_is_fitted_and_scored_as_scikit_learns(n_classes):
    # sorted labels and KFold: training parts without a class, test parts of
    # classes their fit never saw; scikit-learn fits and scores them
    X, y = _scaled(load_wine)
    keep = y < n_classes
    order = np.argsort(y[keep], kind="stable")
    X, y = X[keep][order], np.array(["a", "b", "c"])[y[keep][order]]
    params = dict(Cs=np.logspace(-3, 2, 6), cv=KFold(n_classes), l1_ratios=(0.0,),
                  scoring="neg_brier_score", use_legacy_attributes=False)  # fmt: skip
    with pytest.warns(UserWarning, match="no sample in the training part"):
        ours = LogisticRegressionCV(tol=1e-10, **params).fit(X, y)
    ref = SkLogisticRegressionCV(tol=1e-10, max_iter=10_000, **params).fit(X, y)
    assert ours.C_ == ref.C_
    np.testing.assert_allclose(ours.scores_, ref.scores_, rtol=1e-6, atol=1e-6)
    # each score is the metric, over every class, of the fold's own fit
    scorer = get_scorer("neg_brier_score")
    folds = list(KFold(n_classes).split(X))
    assert any(set(y[train]) < set(ours.classes_) for train, _ in folds)
    for i, (train, test) in enumerate(folds):
        model = LogisticRegression().fit(X, y)
        model.coef_ = ours.coefs_paths_[i, 0, 2, :, :-1]
        model.intercept_ = ours.coefs_paths_[i, 0, 2, :, -1]
        kwargs = dict(labels=ours.classes_)
        if n_classes == 2:
            kwargs["pos_label"] = "b"
        expected = -scorer._score_func(y[test], model.predict_proba(X[test]), **kwargs)
        np.testing.assert_allclose(ours.scores_[i, 0, 2], expected, rtol=1e-12)
        seen = np.isin(ours.classes_, y[train])
        assert np.all(model.predict_proba(X[train])[:, ~seen] < 1e-12)


def test_poisson_cv_scores_by_the_deviance_when_asked():
    X, y = _diabetes()
    counts = np.random.default_rng(0).poisson(y / 50)
    reg = GradientDescentRegressorCV(
        loss="poisson", alphas=10, cv=3, scoring="neg_mean_poisson_deviance"
    ).fit(X / X.std(0), counts)
    assert reg.scores_.shape == (3, 1, 10) and np.all(reg.scores_ < 0)
    assert np.all(reg.predict(X[:5] / X.std(0)) > 0)


def test_logistic_cv_scores_with_its_scoring():
    from sklearn.metrics import log_loss

    X, y = _scaled(load_breast_cancer)
    clf = LogisticRegressionCV(Cs=3, scoring="neg_log_loss").fit(X, y)
    assert clf.score(X, y) == pytest.approx(-log_loss(y, clf.predict_proba(X)))
    plain = LogisticRegressionCV(Cs=3).fit(X, y)
    assert plain.score(X, y) == np.mean(plain.predict(X) == y)


def _named_and_called(make, scoring, X, y):
    """The model scored by the scorer's name (the path's own scores) and by
    the scorer object (scikit-learn's call per point)."""
    from sklearn.metrics import get_scorer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make(scoring).fit(X, y), make(get_scorer(scoring)).fit(X, y)


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss"])
@pytest.mark.parametrize("case", ["binary", "multiclass", "sparse32", "missing"])
def test_logistic_path_scores_are_the_scorers(scoring, case):
    X, y = _scaled(load_breast_cancer if case == "binary" else load_wine)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    if case == "sparse32":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0).astype(np.float32))
    if case == "missing":  # a test part without class 2
        cv = [(np.arange(len(y))[::2], np.flatnonzero(y != 2)[1::2])]

    def make(scoring):
        return LogisticRegressionCV(Cs=[1e-2, 1.0, 1e4], cv=cv, scoring=scoring)

    named, called = _named_and_called(make, scoring, X, y)
    np.testing.assert_allclose(named.scores_, called.scores_, rtol=1e-13, atol=1e-15)
    assert named.scores_.dtype == called.scores_.dtype
    assert named.C_ == called.C_
    if case == "missing" and scoring == "neg_log_loss":  # over every class, as
        from sklearn.metrics import log_loss  # scikit-learn's folds score

        test, point = cv[0][1], named.coefs_paths_[0, 0, 1]
        Z = X[test] @ point[:, :-1].T + point[:, -1]
        proba = np.exp(Z - np.logaddexp.reduce(Z, axis=1, keepdims=True))
        expected = -log_loss(y[test], proba, labels=named.classes_)
        np.testing.assert_allclose(named.scores_[0, 0, 1], expected, rtol=1e-12)


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regression_path_scores_are_the_scorers(scoring, loss):
    X, y = load_diabetes(return_X_y=True)
    X = sp.csr_matrix(X - X.min(axis=0)) if loss == "poisson" else X

    def make(scoring):
        return GradientDescentRegressorCV(loss=loss, alphas=8, cv=3, scoring=scoring)

    named, called = _named_and_called(make, scoring, X, y)
    np.testing.assert_allclose(named.scores_, called.scores_, rtol=1e-12, atol=1e-14)
    assert named.alpha_ == called.alpha_


@pytest.mark.parametrize("noise", [1.0, 0.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_mse_path_from_the_folds_moments_is_the_predictions_error(noise, fit_intercept):
    # the Gram path scores each fold by its test part's moments; a fit with
    # no noise (where that sum would cancel) takes the predictions' error
    X, _ = _diabetes()
    rng = np.random.default_rng(0)
    y = X @ rng.standard_normal(X.shape[1]) + noise * rng.standard_normal(len(X))
    w = rng.uniform(0.5, 2.0, len(y))
    cv = KFold(4, shuffle=True, random_state=0)
    reg = GradientDescentRegressorCV(alphas=12, cv=cv, fit_intercept=fit_intercept)
    reg.fit(X, y, sample_weight=w)
    for k, (_, test) in enumerate(cv.split(X)):
        Z = X[test] @ reg.coefs_paths_[k, 0].T + reg.intercepts_paths_[k, 0]
        mse = np.average((Z - y[test, None]) ** 2, weights=w[test], axis=0)
        np.testing.assert_allclose(reg.mse_path_[:, k], mse, rtol=1e-9)


def test_a_column_constant_in_a_fold_does_not_stall_the_path():
    # standardized digits: pixel 56 is constant (-0.0236) in this fold's
    # training rows; its centered values are its mean's rounding (21 ulps),
    # which must get the unit scale, not a scale of 1e-16 that magnifies the
    # noise into an optimality of 6e-4 no step can lower
    from sklearn.datasets import load_digits

    X, y = _scaled(load_digits)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = LogisticRegressionCV(Cs=[1e-4], cv=cv, tol=1e-10, scoring="neg_log_loss")
        clf.fit(X, y)
    assert np.all(clf.n_iter_ < 50)


@pytest.mark.parametrize("scale", [1e-20, 1e-100, 1e100])
def test_regressor_cv_grid_follows_the_scale_of_x(scale):
    # the lasso of c X at c alpha is the lasso of X at alpha; the grid starts
    # at alpha_max, the largest gradient at the start, which scales with c: a
    # gradient of 1e-20 is the data's, not a sign of a constant y (the
    # elastic net's L2 term scales by c^2: another model)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4)) * [3, 2, 1, 0.5] + 2
    y = X @ [1.0, 2.0, 3.0, 4.0] + rng.standard_normal(120)
    params = dict(cv=3, alphas=5, l1_ratio=1.0)
    ref = GradientDescentRegressorCV(**params).fit(X, y)
    est = GradientDescentRegressorCV(**params).fit(X * scale, y)
    np.testing.assert_allclose(est.alphas_, ref.alphas_ * scale, rtol=1e-12)
    np.testing.assert_allclose(est.predict(X * scale), ref.predict(X), atol=1e-10)


def test_regressor_cv_on_constant_y_fits_the_constant():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3)) + 1
    for value in [0.0, 3.7, 1e10 / 3]:
        y = np.full(60, value)
        est = GradientDescentRegressorCV(cv=3, alphas=5).fit(X, y)
        assert np.max(np.abs(est.coef_)) <= 1e-12
        np.testing.assert_allclose(est.predict(X), y, rtol=1e-14, atol=0)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_small_float32_data_choose_as_their_float64_copy(l1_ratio):
    """Small float32 data are fitted in float64 arithmetic: the same alpha_ and
    coefficients (to float32's rounding) as their float64 copy; in float32
    arithmetic the paths were 6e-6 off and a different alpha_ won."""
    rng = np.random.default_rng(6)
    n, d = 60, 40
    X = (rng.uniform(0, 1, (n, d)) * rng.uniform(0.5, 2, d)).astype(np.float32)
    y = (X @ rng.normal(0, 100, d) + rng.normal(0, 50, n)).astype(np.float32)
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    ours = GradientDescentRegressorCV(l1_ratio=l1_ratio, tol=1e-8).fit(X, y)
    ref = GradientDescentRegressorCV(l1_ratio=l1_ratio, tol=1e-8).fit(X64, y64)
    assert ours.alpha_ == ref.alpha_
    assert ours.coef_.dtype == ours.coefs_paths_.dtype == np.float32
    scale = np.abs(ref.coefs_paths_).max()
    np.testing.assert_allclose(ours.coefs_paths_, ref.coefs_paths_, atol=1e-6 * scale)
    labels = (y > np.median(y)).astype(int)
    ours = LogisticRegressionCV(tol=1e-8).fit(X, labels)
    ref = LogisticRegressionCV(tol=1e-8).fit(X64, labels)
    assert ours.coef_.dtype == ours.intercept_.dtype == np.float32
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7 * scale)


def test_logistic_cv_takes_scikit_learn_19s_deprecated_penalty():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for penalty, l1_ratios in [("l1", (1.0,)), ("l2", (0.0,))]:
        with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
            old = LogisticRegressionCV(penalty=penalty, Cs=3).fit(X, y)
        new = LogisticRegressionCV(l1_ratios=l1_ratios, Cs=3).fit(X, y)
        np.testing.assert_array_equal(old.coef_, new.coef_)
        np.testing.assert_array_equal(old.l1_ratios_, l1_ratios)
    with pytest.raises(ValueError, match="penalty=None leaves no C"):
        LogisticRegressionCV(penalty=None).fit(X, y)


def test_wide_ridge_path_points_are_ridges_closed_form():
    """A ridge path on fewer rows than features (each point one solve of the
    fold's kernel form, the kernel matrix kept along the path): every point
    of every fold is scikit-learn's Ridge on that fold, to rounding; on
    correlated columns conjugate gradient at the default tol left the
    coefficients far from it."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(2)
    n, d = 60, 300
    X = rng.standard_normal((n, 20)) @ rng.standard_normal((20, d))
    X += 0.1 * rng.standard_normal((n, d)) + 3.0
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    cv = KFold(3)
    est = GradientDescentRegressorCV(l1_ratio=0.0, alphas=5, cv=cv).fit(X, y)
    for f, (train, _) in enumerate(cv.split(X)):
        for a, alpha in enumerate(est.alphas_):
            ref = Ridge(alpha=alpha * len(train)).fit(X[train], y[train])
            coef = est.coefs_paths_[f, 0, a]
            scale = np.abs(ref.coef_).max()
            np.testing.assert_allclose(coef, ref.coef_, rtol=0, atol=1e-9 * scale)


@pytest.mark.parametrize("load", [_binary_wine, lambda: _scaled(load_wine)])
@pytest.mark.parametrize("l1_ratios", [None, "default", (0.0,), (0.0, 1.0)])
def test_logistic_cv_legacy_attributes_are_scikit_learns_layout(load, l1_ratios):
    # l1_ratios left at its default (scikit-learn's 'warn') or None: its axis
    # dropped; a grid given, one ratio too, keeps it
    X, y = load()
    params = dict(Cs=3, cv=3, scoring="neg_log_loss", tol=1e-8)
    if l1_ratios != "default":
        params["l1_ratios"] = l1_ratios
    dropped = l1_ratios in (None, "default")

    def fit(**more):  # a clone, as a search fits
        est = clone(LogisticRegressionCV(**params, **more))
        if l1_ratios is not None:
            return est.fit(X, y)
        with pytest.warns(FutureWarning, match="'l1_ratios=None' was deprecated"):
            return est.fit(X, y)

    new, old = fit(), fit(use_legacy_attributes=True)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", (FutureWarning, ConvergenceWarning, UserWarning)
        )
        ref = SkLogisticRegressionCV(
            use_legacy_attributes=True, solver="saga", max_iter=10, **params
        ).fit(X, y)
    assert set(old.coefs_paths_) == set(ref.coefs_paths_)
    assert set(old.scores_) == set(ref.scores_)
    for key in ref.coefs_paths_:
        assert old.coefs_paths_[key].shape == ref.coefs_paths_[key].shape
        assert old.scores_[key].shape == ref.scores_[key].shape
    for name in ["n_iter_", "C_", "l1_ratio_"]:
        assert getattr(old, name).shape == getattr(ref, name).shape, name
    # the same numbers, moved: paths per class, Cs before l1_ratios
    np.testing.assert_array_equal(old.coef_, new.coef_)
    for k, key in enumerate(old.coefs_paths_):
        moved = new.coefs_paths_[:, :, :, k].swapaxes(1, 2)
        np.testing.assert_array_equal(
            old.coefs_paths_[key], moved.squeeze(axis=2) if dropped else moved
        )
        np.testing.assert_array_equal(
            old.scores_[key].reshape(3, 3, -1), new.scores_.swapaxes(1, 2)
        )
    assert np.all(old.C_ == new.C_) and np.all(old.l1_ratio_ == new.l1_ratio_)


def test_logistic_cv_score_routes_sample_weight_only_where_asked():
    X, y = _scaled(load_breast_cancer)
    w = np.where(y == 1, 3.0, 1.0)
    with config_context(enable_metadata_routing=True):
        asked = get_scorer("accuracy").set_score_request(sample_weight=True)
        unasked = get_scorer("accuracy").set_score_request(sample_weight=False)
        weighted = LogisticRegressionCV(Cs=2, scoring=asked).fit(X, y, sample_weight=w)
        plain = LogisticRegressionCV(Cs=2, scoring=unasked).fit(X, y, sample_weight=w)
        hits = weighted.predict(X) == y
        assert weighted.score(X, y, sample_weight=w) == pytest.approx(
            np.average(hits, weights=w)
        )
        with pytest.raises(TypeError, match="not routed to any object"):
            plain.score(X, y, sample_weight=w)
        assert plain.score(X, y) == pytest.approx(np.mean(plain.predict(X) == y))
        # fit's own sample_weight weighs the fits, asked for or not by the scorer
        unweighted = LogisticRegressionCV(Cs=2, scoring=unasked).fit(X, y)
        assert not np.allclose(plain.coef_, unweighted.coef_)
    assert LogisticRegressionCV()._get_scorer()._score_func.__name__ == "accuracy_score"


def test_wide_elastic_net_cv_chooses_scikit_learns_alpha_and_l1_ratio():
    """Fewer rows than features (each fold's fits take feature-sign search
    on the rows' factor, warm-started along the path; an elastic net of a
    small l1_ratio has more non-zeros than rows): the same errors along
    the path and the same choice as scikit-learn's ElasticNetCV."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 500)) * rng.uniform(0.5, 2.0, 500) + 1.0
    y = X[:, :8] @ rng.standard_normal(8) + rng.standard_normal(40)
    cv = KFold(3, shuffle=True, random_state=0)
    ratios = [0.1, 0.5, 1.0]
    ours = GradientDescentRegressorCV(l1_ratio=ratios, alphas=12, cv=cv, tol=1e-10)
    theirs = ElasticNetCV(l1_ratio=ratios, alphas=12, cv=cv, tol=1e-13,
                          max_iter=200_000)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y), theirs.fit(X, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-5)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    assert ours.l1_ratio_ == theirs.l1_ratio_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "shape, sparse", [((300, 20), False), ((50, 300), False), ((400, 60), True)]
)
@pytest.mark.parametrize("max_iter", [2, 1000])
def test_regressor_cv_reports_its_refits_duality_gap(shape, sparse, max_iter):
    """``dual_gap_`` is the refit's duality gap, written from the data at
    ``alpha_`` and ``l1_ratio_`` (primal less dual value), stopped early or
    not; without a refit there is none."""
    from test_gradient_descent import _gap_from_the_data

    rng = np.random.default_rng(sum(shape))
    X = rng.standard_normal(shape) + 1.0
    if sparse:
        X = sp.csr_matrix(np.where(rng.random(shape) < 0.2, X, 0.0))
    y = np.asarray(X[:, :5] @ rng.standard_normal(5)).ravel() + 3.0
    y = y + rng.standard_normal(shape[0])
    sw = rng.uniform(0.5, 2.0, shape[0])
    est = GradientDescentRegressorCV(l1_ratio=[0.5, 1.0], alphas=8, cv=3,
                                     max_iter=max_iter)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    expected, primal = _gap_from_the_data(
        X, y, sw, est.coef_, est.intercept_, est.alpha_, est.l1_ratio_, True
    )
    np.testing.assert_allclose(est.dual_gap_, expected[0], rtol=1e-7,
                               atol=1e-12 * primal)  # fmt: skip
    est.set_params(refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert not hasattr(est.fit(X, y, sample_weight=sw), "dual_gap_")


@pytest.mark.parametrize("kind", ["regressor", "logistic"])
def test_an_unconverged_refit_warns_as_a_single_fit(kind):
    """The refit on all the data is the model returned: where it stops
    short of tol, a ConvergenceWarning says so (it returned the point
    silently), its optimality in the units of tol; a converged refit is
    silent."""
    if kind == "regressor":
        X, y = load_diabetes(return_X_y=True)
        make = lambda **kw: GradientDescentRegressorCV(  # noqa: E731
            loss="huber", epsilon=0.1, l1_ratio=1.0, alphas=3, cv=3, **kw
        )
    else:
        X, y = load_breast_cancer(return_X_y=True)
        make = lambda **kw: LogisticRegressionCV(Cs=3, cv=3, **kw)  # noqa: E731
    with pytest.warns(ConvergenceWarning, match="refit did not converge: max_iter=2"):
        make(max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*refit", category=ConvergenceWarning)
        make(max_iter=100_000).fit(X, y)
