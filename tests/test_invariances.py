"""Invariances every estimator owes its users, run over every exported estimator
and every value of its solver-like parameters, found by discovery: a new
estimator, solver or distribution is covered without editing this file.

- rescaling a column of ``X`` (or all of them) by 1e-8 ... 1e8 gives the same
  predictions (coefficients rescaled), or a ``ConvergenceWarning``/an error that
  says why not: never a silent difference;
- dense, CSR and CSC input give the same model to the tolerance;
- inputs are never modified;
- float32 stays float32 in ``fit`` and ``partial_fit`` alike;
- integer sample weights equal repeated rows;
- a fixed ``random_state`` gives the same model twice.
"""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning
from test_common import _exported_estimators  # the one discovery of estimators

from sklearn_foundations._compat import StrOptions

# the parameters that choose a model's mechanism: every value is a setting
MECHANISMS = ("solver", "learning_rate", "method", "distribution", "loss", "penalty")
# full-batch settings only: mini-batch schedules follow their own step rules
STOCHASTIC = {"learning_rate": {"constant", "invscaling", "optimal", "adaptive"}}


def _settings():
    """(class, params): the defaults, then each value of each mechanism."""
    for cls in _exported_estimators():
        yield cls, {}
        for param, constraints in cls._parameter_constraints.items():
            if param not in MECHANISMS:
                continue
            for c in constraints:
                if isinstance(c, StrOptions):
                    for value in sorted(c.options):
                        if value != cls().get_params()[param]:
                            yield cls, {param: value}


def _id(setting):
    cls, params = setting
    return cls.__name__ + "".join(f"-{k}={v}" for k, v in params.items())


SETTINGS = list(_settings())


def _data(cls, n=120, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    est = cls()
    if is_classifier(est):
        w = rng.standard_normal(d)
        y = ((X - X.mean(0)) @ w + rng.standard_normal(n) > 0).astype(int)
        y[::7] = 2  # three classes
        return np.abs(np.round(X)), y
    if is_regressor(est):
        return X, X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, None


def _tight(est):
    params = est.get_params()
    tight = {k: v for k, v in dict(tol=1e-10, max_iter=10_000).items() if k in params}
    # cross-validated models: a short grid (what is checked holds point by point)
    short = {k: v for k, v in dict(alphas=10, Cs=4).items() if k in params}
    return est.set_params(**tight, **short)


def _fits(cls, params, X, y):
    """The fitted estimator, or None where this setting rejects these data
    with a clear error (e.g. a solver for two classes given three)."""
    est = _tight(cls(**params))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return est.fit(X, y)
    except ValueError:
        return None


def _output(est, X):
    for method in ("predict_proba", "predict", "transform"):
        if hasattr(est, method):
            return np.asarray(getattr(est, method)(X))
    raise AssertionError(f"{est} has no output method")


def _unpenalized(est):
    params = est.get_params()
    if "C" in params:
        return est.set_params(C=np.inf)
    if "Cs" in params:  # cross-validated: a grid of one, no penalty
        return est.set_params(Cs=[np.inf])
    if "alphas" in params:
        return est.set_params(alphas=[0.0])
    if "penalty" in params:
        return est.set_params(penalty=None)
    return est


def _chooses_by_cv(cls):
    """A model that chooses its penalty by cross-validation on folds of the
    rows (``cv``): repeated rows make other folds."""
    return "cv" in cls().get_params()


def _is_linear(setting):
    """Whether the setting fits a linear model (has ``coef_``)."""
    est = _fits(*setting, *_data(setting[0]))
    return est is not None and hasattr(est, "coef_")


LINEAR = [s for s in SETTINGS if _is_linear(s)]
FULL_BATCH = [
    s
    for s in LINEAR
    if not any(s[1].get(p) in values for p, values in STOCHASTIC.items())
]


@pytest.mark.parametrize("setting", FULL_BATCH, ids=_id)
@pytest.mark.parametrize("scale", [1e-8, 1e-4, 1e4, 1e8])
@pytest.mark.parametrize("columns", ["one", "all"])
def test_rescaling_columns_changes_no_prediction(setting, scale, columns):
    cls, params = setting
    X, y = _data(cls)
    X = X - X.mean(axis=0) + np.arange(X.shape[1])  # non-zero means, as users pass
    base = _fits(cls, params, X, y)
    if base is None:
        return
    est = _unpenalized(clone(base))
    factor = np.ones(X.shape[1])
    factor[0 if columns == "one" else slice(None)] = scale
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference = _output(clone(est).fit(X, y), X)
    except ValueError as exc:  # a named solver that needs a penalty says so
        assert "needs an L2 term" in str(exc)
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            scaled = _output(clone(est).fit(X * factor, y), X * factor)
    except ValueError as exc:  # e.g. a constant step that diverges: said so
        assert "eta0" in str(exc) or "learning_rate" in str(exc)
        return
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    spread = np.std(y) if is_regressor(est) else 1.0
    assert warned or np.max(np.abs(scaled - reference)) <= 1e-6 * spread


@pytest.mark.parametrize("setting", FULL_BATCH, ids=_id)
@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_rescaling_all_columns_with_the_penalty_is_the_same_model(setting, scale):
    # X c with alpha c^2 (L2) or alpha c (L1) is the same problem in w / c
    cls, params = setting
    X, y = _data(cls)
    base = _fits(cls, params, X, y)
    if base is None or base.get_params().get("penalty", "l2") == "elasticnet":
        return
    p = base.get_params()
    l1 = p.get("l1_ratio", 0.0) == 1.0 or p.get("penalty") == "l1"
    power = 1 if l1 else 2
    if "C" in p:
        scaled_est = clone(base).set_params(C=p["C"] / scale**power)
    elif "Cs" in p:  # LogisticRegressionCV's default grid, rescaled
        grid = np.logspace(-4, 4, p["Cs"]) if np.ndim(p["Cs"]) == 0 else p["Cs"]
        base = clone(base).set_params(Cs=grid).fit(X, y)
        scaled_est = clone(base).set_params(Cs=np.asarray(grid) / scale**power)
    elif "alphas" in p:  # the automatic grid starts at alpha_max: it follows
        scaled_est = clone(base)
    else:
        scaled_est = clone(base).set_params(alpha=p["alpha"] * scale**power)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        scaled = _output(scaled_est.fit(X * scale, y), X * scale)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    spread = np.std(y) if is_regressor(base) else 1.0
    assert warned or np.max(np.abs(scaled - _output(base, X))) <= 1e-6 * spread


def _sparse_settings():
    for cls, params in SETTINGS:
        if cls(**params).__sklearn_tags__().input_tags.sparse:
            yield cls, params


@pytest.mark.parametrize("setting", list(_sparse_settings()), ids=_id)
@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_storage_gives_the_dense_model(setting, fmt):
    cls, params = setting
    X, y = _data(cls)
    X = np.where(np.abs(X - np.round(X)) < 0.3, 0.0, np.abs(X))  # zeros, counts
    dense = _fits(cls, {**params, "random_state": 0} if "random_state" in
                  cls().get_params() else params, X, y)  # fmt: skip
    if dense is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sparse = clone(dense).fit(fmt(X), y)
    np.testing.assert_allclose(
        _output(sparse, fmt(X)), _output(dense, X), rtol=1e-7, atol=1e-8
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=_id)
def test_inputs_are_never_modified(setting):
    cls, params = setting
    X, y = _data(cls)
    X = np.abs(X)
    sw = np.random.default_rng(1).uniform(0.5, 2, len(X))
    copies = [X.copy(), None if y is None else y.copy(), sw.copy()]
    est = _tight(cls(**params))
    kwargs = {"sample_weight": sw} if "sample_weight" in inspect.signature(
        est.fit).parameters else {}  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y, **kwargs)
    except ValueError:
        return
    _output(est, X)
    np.testing.assert_array_equal(X, copies[0])
    if y is not None:
        np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(sw, copies[2])


def _float32_attributes(est):
    return {
        name: value
        for name in ("coef_", "components_", "theta_", "var_")
        if isinstance(value := getattr(est, name, None), np.ndarray)
    }


@pytest.mark.parametrize("setting", SETTINGS, ids=_id)
def test_float32_stays_float32_in_fit_and_partial_fit(setting):
    cls, params = setting
    X, y = _data(cls)
    X32 = np.abs(X).astype(np.float32)
    est = _fits(cls, params, X32, y)
    if est is None:
        return
    attrs = _float32_attributes(est)
    if cls.__name__ == "NaiveBayesClassifier" and est.distribution != "gaussian":
        attrs = {}  # counts: float64, as scikit-learn's discrete naive Bayes
    for name, value in attrs.items():
        assert value.dtype == np.float32, name
    if hasattr(est, "partial_fit"):
        extra = {"classes": np.unique(y)} if is_classifier(est) else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            partial = clone(est).partial_fit(X32, y, **extra)
        for name, value in _float32_attributes(partial).items():
            assert value.dtype == attrs.get(name, value).dtype, name


class _PredefinedByWeight:
    """Two folds that put every copy of a row on the same side: by the row's
    content (each copy of a repeated row is equal)."""

    def get_n_splits(self, *args, **kwargs):
        return 2

    def split(self, X, y=None, groups=None):
        side = np.round(np.asarray(X).sum(axis=1) * 1e6).astype(np.int64) % 2
        for k in range(2):
            yield np.flatnonzero(side != k), np.flatnonzero(side == k)


@pytest.mark.parametrize("setting", SETTINGS, ids=_id)
def test_integer_weights_equal_repeated_rows(setting):
    cls, params = setting
    if "sample_weight" not in inspect.signature(cls.fit).parameters:
        return
    if _chooses_by_cv(cls):  # the folds of repeated rows are other folds
        params = {**params, "cv": _PredefinedByWeight()}
    X, y = _data(cls)
    X = np.abs(X)
    counts = np.random.default_rng(2).integers(0, 3, len(X))
    counts[:3] = 1  # every class keeps a row
    weighted = _fits(cls, params, X, y)
    if weighted is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = clone(weighted).fit(X, y, sample_weight=counts)
        repeated = clone(weighted).fit(
            np.repeat(X, counts, axis=0), np.repeat(y, counts)
        )
    stochastic = any(params.get(p) in v for p, v in STOCHASTIC.items())
    tol = 1e-2 if stochastic else 1e-6
    np.testing.assert_allclose(
        _output(weighted, X), _output(repeated, X), rtol=tol, atol=tol
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=_id)
def test_a_fixed_random_state_is_deterministic(setting):
    cls, params = setting
    if "random_state" not in cls().get_params():
        return
    X, y = _data(cls)
    X = np.abs(X)
    first = _fits(cls, {**params, "random_state": 3}, X, y)
    if first is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        second = clone(first).fit(X, y)
    np.testing.assert_array_equal(_output(first, X), _output(second, X))


SPARSIFIABLE = [cls for cls in _exported_estimators() if hasattr(cls, "sparsify")]


@pytest.mark.parametrize("cls", SPARSIFIABLE, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fmt", [None, "csr"])
def test_sparsified_coefficients_give_the_same_outputs(cls, fmt):
    """``sparsify()`` stores ``coef_`` as CSR with the same values: the same
    outputs on dense and sparse ``X``; ``densify()`` gives back the fit's
    array (its shape too); a warm start from a sparsified model works."""
    X, y = _data(cls)
    est = _tight(cls(l1_ratio=1.0) if "l1_ratio" in cls().get_params() else cls())
    est.fit(X, y)
    dense, out = est.coef_.copy(), _output(est, X)
    assert est.sparsify() is est and sp.issparse(est.coef_)
    assert est.coef_.format == "csr"
    np.testing.assert_array_equal(est.coef_.toarray(), np.atleast_2d(dense))
    Xt = X if fmt is None else sp.csr_matrix(X)
    np.testing.assert_allclose(_output(est, Xt), out, rtol=1e-12, atol=1e-14)
    assert est.densify() is est and not sp.issparse(est.coef_)
    np.testing.assert_array_equal(est.coef_, dense)
    est.sparsify().set_params(warm_start=True).fit(X, y)
    assert not sp.issparse(est.coef_)
    np.testing.assert_allclose(est.coef_, dense, rtol=1e-6, atol=1e-8)
