"""Datafits: chain-rule gradients against finite differences, Gram form against
the matvec form, Lipschitz constants against exact eigenvalues."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_foundations import check_gradient, datafits
from sklearn_foundations.datafits import LinearDatafit, QuadraticDatafit, centered_gram
from sklearn_foundations.losses import (
    BinomialLogLoss,
    HalfSquaredError,
    Huber,
    MultinomialLogLoss,
)


def _data(sparse=False, k=2):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)) + 2.0
    X[X < 2.0] = 0.0
    y = rng.standard_normal((60, k)) + 1.0
    s = rng.uniform(0, 1, 60)
    s /= s.sum()
    return (sp.csr_matrix(X) if sparse else X), y, s


def _value(f):
    return lambda theta: f.value(theta, f.linear(theta))


def _grad(f):
    return lambda theta: f.gradient(theta, f.linear(theta))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("loss", [HalfSquaredError(), Huber(0.5)], ids=repr)
@pytest.mark.parametrize(
    "center,fit_intercept", [(True, True), (False, True), (False, False)]
)
def test_linear_datafit_gradient_by_finite_differences(
    sparse, loss, center, fit_intercept
):
    X, y, s = _data(sparse)
    x_mean = np.asarray(X.T @ s).ravel() if center else None
    f = LinearDatafit(loss, X, y, s, x_mean, fit_intercept)
    theta = np.random.default_rng(1).standard_normal((5 + fit_intercept, 2))
    assert check_gradient(_value(f), _grad(f), theta) < 1e-6


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_product_by_finite_differences_of_the_gradient(
    sparse, k, fit_intercept
):
    # Newton-CG's Hessian-vector product: the directional derivative of the
    # chain-rule gradient, (grad(theta + eps V) - grad(theta - eps V)) / 2 eps.
    X, _, s = _data(sparse)
    rng = np.random.default_rng(3)
    labels = rng.integers(0, max(k, 2), X.shape[0])
    Y = (labels == 1)[:, None] * 1.0 if k == 1 else np.eye(k)[labels]
    loss = BinomialLogLoss() if k == 1 else MultinomialLogLoss()
    x_mean = np.asarray(X.T @ s).ravel() if fit_intercept else None
    f = LinearDatafit(loss, X, Y, s, x_mean, fit_intercept)
    theta = rng.standard_normal((5 + fit_intercept, k)) * 0.3
    V = rng.standard_normal(theta.shape)
    eps = 1e-6
    fd = (_grad(f)(theta + eps * V) - _grad(f)(theta - eps * V)) / (2 * eps)
    np.testing.assert_allclose(f.hessian_product(f.linear(theta), V), fd, atol=1e-8)
    # the same products at a fixed Z, the loss's part there computed once,
    # on one range of rows and on two (the passes a thread each)
    Z = f.linear(theta)
    for threads in (1,) if sparse else (1, 2):  # sparse X: one range
        f._n_threads = threads
        product = f.hessian_at(Z)
        for V_ in (V, rng.standard_normal(theta.shape)):
            np.testing.assert_allclose(
                product(V_), f.hessian_product(Z, V_), rtol=1e-12, atol=1e-15
            )
            np.testing.assert_allclose(
                product(V_, f.linear(V_)),
                f.hessian_product(Z, V_),
                rtol=1e-12,
                atol=1e-15,
            )


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_quadratic_datafit_equals_linear_datafit(sparse, fit_intercept):
    X, y, s = _data(sparse)
    if fit_intercept:
        x_mean = np.asarray(X.T @ s).ravel()
        gram = centered_gram(X, y, s, chunk_size=7)
    else:
        x_mean = None
        gram = centered_gram(X, y, s, np.zeros(5), np.zeros(2), chunk_size=7)
    lin = LinearDatafit(HalfSquaredError(), X, y, s, x_mean, fit_intercept)
    quad = QuadraticDatafit(*gram, fit_intercept=fit_intercept)
    theta = np.random.default_rng(2).standard_normal((5 + fit_intercept, 2))
    assert _value(quad)(theta) == pytest.approx(_value(lin)(theta), rel=1e-12)
    np.testing.assert_allclose(
        _grad(quad)(theta), _grad(lin)(theta), rtol=1e-10, atol=1e-12
    )
    assert quad.lipschitz() == pytest.approx(lin.lipschitz(), rel=1e-2)


def test_quadratic_metric_is_the_data_form_and_follows_the_centers():
    rng = np.random.default_rng(3)
    X, y, s = (
        rng.standard_normal((50, 3)) * [1, 10, 100],
        rng.standard_normal((50, 1)),
        np.full(50, 0.02),
    )
    lin = LinearDatafit.from_data(HalfSquaredError(), X, y, s, fit_intercept=True)
    quad = QuadraticDatafit(*centered_gram(X, y, s), fit_intercept=True)
    quad.x_mean = X.T @ s
    np.testing.assert_allclose(quad.metric(), lin.metric(), rtol=1e-10)
    assert quad.metric() is quad.metric()  # computed once for these centers
    # a square of 1e-25 is a column's curvature without centers, and the
    # rounding of a center of 1e3 with them (unit metric): the kept metric
    # follows x_mean, which the callers that center set after construction
    tiny = QuadraticDatafit(np.diag([1.0, 1e-25]), np.zeros((2, 1)), None, 0.0)
    assert tiny.metric()[1] == 1e-25
    tiny.x_mean = np.array([0.0, 1e3])
    assert tiny.metric()[1] == 1.0


def test_centered_gram_has_no_cancellation_for_large_means():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 3)) + 1e6
    y = rng.standard_normal((1000, 1))
    s = np.full(1000, 1e-3)
    G, *_ = centered_gram(X, y, s, chunk_size=100)
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(G, Xc.T @ Xc / 1000, rtol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_lipschitz_bounds_the_exact_largest_eigenvalue(sparse):
    X, y, s = _data(sparse)
    Xd = X.toarray() if sparse else X
    x_mean = s @ Xd
    f = LinearDatafit(HalfSquaredError(), X, y, s, x_mean, fit_intercept=True)
    Xa = np.hstack([Xd - x_mean, np.ones((60, 1))])
    exact = np.linalg.eigvalsh(Xa.T @ (s[:, None] * Xa))[-1]
    assert exact <= f.lipschitz() <= 1.01 * exact


def test_sample_lipschitz_is_the_largest_row_constant():
    X, y, s = _data()
    x_mean = s @ X
    f = LinearDatafit(HalfSquaredError(), X, y, s, x_mean, fit_intercept=True)
    rows = 60 * s * (np.sum((X - x_mean) ** 2, axis=1) + 1)
    assert f.sample_lipschitz() == pytest.approx(rows.max())
    fs = LinearDatafit(HalfSquaredError(), sp.csr_matrix(X), y, s, x_mean, True)
    assert fs.sample_lipschitz() == pytest.approx(rows.max())


def test_batches_are_unbiased():
    X, y, s = _data()
    f = LinearDatafit(HalfSquaredError(), X, y, s, s @ X, True)
    theta = np.ones((6, 2))
    batches = np.array_split(np.random.default_rng(0).permutation(60), 6)
    mean_grad = np.mean([_grad(f.batch(b))(theta) for b in batches], axis=0)
    np.testing.assert_allclose(mean_grad, _grad(f)(theta), rtol=1e-12)


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_passes_through_the_kept_transpose_equal_the_centered_products(
    monkeypatch, K, fit_intercept, dtype
):
    r"""A small dense ``X`` keeps :math:`A^\top = [X_c, 1]^\top` and makes
    every pass one product with it (:math:`A \theta`, :math:`A^\top G`):
    the same predictor, gradient and Hessian products as the products with
    ``X`` centered after (a datafit that keeps nothing), in ``X``'s dtype,
    ``X`` not modified."""
    import sklearn_foundations.datafits as datafits

    rng = np.random.default_rng(0)
    X = (rng.standard_normal((300, 7)) * rng.uniform(0.1, 10, 7) + 5).astype(dtype)
    X_before = X.copy()
    loss = BinomialLogLoss() if K == 1 else MultinomialLogLoss()
    y = rng.integers(0, 2, (300, 1)) if K == 1 else np.eye(K)[rng.integers(0, K, 300)]
    s = np.full(300, 1 / 300)
    theta = rng.standard_normal((7 + fit_intercept, K)).astype(dtype)
    V = rng.standard_normal(theta.shape).astype(dtype)

    def passes():
        f = LinearDatafit.from_data(loss, X, y.astype(dtype), s, fit_intercept)
        Z = f.linear(theta)
        return f, [Z, f.gradient(theta, Z), f.hessian_product(Z, V),
                   f.hessian_at(Z)(V), np.array(f.value(theta, Z))]  # fmt: skip

    kept, with_kept = passes()
    monkeypatch.setattr(datafits, "_CENTERED_ENTRIES", 0)
    plain, without = passes()
    assert kept._centered_t is not None and plain._centered_t is None
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for a, b in zip(with_kept, without, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())
    assert with_kept[0].flags.f_contiguous  # each output's column contiguous
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("n", [300, 6_000])  # [X_c, 1]^T kept below 2**17 entries
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("every", [True, False])
def test_model_hessian_is_the_definition(n, fit_intercept, dtype, every):
    r"""The Hessian of every column or of a working set's,
    :math:`A_\mathcal{W}^\top H A_\mathcal{W}` with :math:`A = [X_c, 1]`
    and :math:`H` the loss's curvature: from the kept :math:`A^\top` (small
    ``X``) or by blocks (large ``X``), equal to the definition, in ``X``'s
    dtype; ``X`` is not modified."""
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((n, 30)) * rng.uniform(0.1, 10, 30) + 5).astype(dtype)
    X_before = X.copy()
    y = (rng.random((n, 1)) < 0.4).astype(dtype)
    s = rng.uniform(0.5, 2.0, n)
    s /= s.sum()
    f = LinearDatafit.from_data(BinomialLogLoss(), X, y, s, fit_intercept)
    theta = (0.1 * rng.standard_normal((30 + fit_intercept, 1))).astype(dtype)
    Z = f.linear(theta)
    ws = np.arange(30) if every else np.array([2, 3, 11, 29])
    H = f.model_hessian(Z, ws)
    h = f.curvature(Z)[:, 0].astype(np.float64)
    A = (X.astype(np.float64) - (f.x_mean if fit_intercept else 0))[:, ws]
    if fit_intercept:
        A = np.column_stack([A, np.ones(n)])
    expected = A.T @ (h[:, None] * A)
    assert H.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        H, expected, rtol=rtol, atol=rtol * np.abs(expected).max()
    )
    np.testing.assert_array_equal(X, X_before)
    assert (f._centered_t is not None) == (X.size <= 1 << 17)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_a_quadratic_losss_kept_block_is_the_block_formed_anew(
    fit_intercept, monkeypatch
):
    """The squared error's working-set blocks, from the last one where most
    of the features are kept (a few new, a few gone, none new, then more
    than half new), equal each block formed on a fresh datafit; a whole
    block is formed only for the first set and where more than half is
    new."""
    rng = np.random.default_rng(1)
    n, d = 3_000, 200  # over 2**17 entries: blocks from the data, not A^T
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + 3
    y = rng.standard_normal((n, 1))
    s = rng.uniform(0.5, 2.0, n)
    s /= s.sum()
    f = LinearDatafit.from_data(HalfSquaredError(), X, y, s, fit_intercept)
    Z = f.linear(np.zeros((d + fit_intercept, 1)))
    base = np.arange(0, 120, 2)
    sets = [base, np.union1d(base[3:], [1, 7, 151]), np.union1d(base[3:], [1, 7, 151]),
            np.arange(100, 190)]  # fmt: skip
    expected = [
        LinearDatafit.from_data(
            HalfSquaredError(), X, y, s, fit_intercept
        ).model_hessian(Z, ws)
        for ws in sets
    ]
    formed, gram = [], datafits.ColumnView.gram
    monkeypatch.setattr(
        datafits.ColumnView, "gram", lambda view, h: formed.append(1) or gram(view, h)
    )
    for ws, block in zip(sets, expected, strict=True):
        H = f.model_hessian(Z, ws)
        np.testing.assert_allclose(H, block, rtol=1e-12, atol=1e-12 * np.abs(H).max())
    assert len(formed) == 2


def test_a_quadratic_losss_intercept_border_is_zero_about_the_weighted_mean(
    monkeypatch,
):
    """About the weighted mean of its rows (``from_data``) the squared
    error's intercept shares no curvature with the centered columns: its
    working-set Hessian's border is 0 with no pass for it, equal to the
    products with X to rounding; about another center (a mini-batch's
    datafit keeps the full data's mean) the border is computed."""
    rng = np.random.default_rng(2)
    n, d = 3_000, 200
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + 3
    y = rng.standard_normal((n, 1))
    s = rng.uniform(0.5, 2.0, n)
    s /= s.sum()
    f = LinearDatafit.from_data(HalfSquaredError(), X, y, s, True)
    ws = np.arange(0, 150, 3)
    Z = f.linear(np.zeros((d + 1, 1)))
    passes, rmatvec = [], datafits.ColumnView.rmatvec
    monkeypatch.setattr(
        datafits.ColumnView, "rmatvec", lambda v, r: passes.append(1) or rmatvec(v, r)
    )
    H = f.model_hessian(Z, ws)
    assert not passes and f.mean_of_rows
    border = f.columns(ws).rmatvec(f.curvature(Z)[:, 0])
    assert np.abs(border).max() <= 1e-12 * np.sqrt(np.diag(H)[:-1]).max()
    np.testing.assert_array_equal(H[:-1, -1], 0.0)
    batch = f.batch(np.arange(0, n, 2))  # about the full data's mean
    passes.clear()
    B = batch.model_hessian(batch.linear(np.zeros((d + 1, 1))), ws)
    assert passes and not batch.mean_of_rows
    Xb, sb = X[::2], batch.s
    np.testing.assert_allclose(
        B[:-1, -1], (Xb[:, ws] - f.x_mean[ws]).T @ sb, rtol=1e-10
    )


@pytest.mark.parametrize("loss", ["multinomial", "squared"])
@pytest.mark.parametrize("fmt", [None, "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("every", [True, False])
@pytest.mark.parametrize("entries", [1 << 20, 10_000])  # one block, several
def test_several_outputs_model_hessian_is_the_gradients_derivative(
    loss, fmt, fit_intercept, every, entries, monkeypatch
):
    r"""With several outputs the formed Hessian (ordered as ``theta.ravel()``,
    the softmax's classes coupled) is the Hessian-vector product's matrix
    and the gradient's derivative (central differences), whether its
    rank-one terms are summed in one block of rows or several."""
    monkeypatch.setattr(datafits, "_COUPLED_ENTRIES", entries)
    rng = np.random.default_rng(3)
    n, d, k = 3_000, 12, 4
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + 2
    X = X if fmt is None else sp.csc_matrix(np.where(X > 2.5, X, 0.0))
    if loss == "multinomial":
        y = np.eye(k)[rng.integers(0, k, n)]
        L = MultinomialLogLoss()
    else:
        y, L = rng.standard_normal((n, k)), HalfSquaredError()
    s = rng.uniform(0.5, 2.0, n)
    s /= s.sum()
    f = LinearDatafit.from_data(L, X, y, s, fit_intercept)
    m = d + fit_intercept
    theta = 0.3 * rng.standard_normal((m, k))
    Z = f.linear(theta)
    ws = np.arange(d) if every else np.array([1, 4, 5, 11])
    H = f.model_hessian(Z, ws)
    rows = np.append(ws, d) if fit_intercept else ws
    assert H.shape == (len(rows) * k, len(rows) * k)
    np.testing.assert_allclose(H, H.T, atol=1e-14)
    V = np.zeros((m, k))
    V[rows] = rng.standard_normal((len(rows), k))
    HV = f.hessian_product(Z, V)[rows]
    np.testing.assert_allclose(H @ V[rows].ravel(), HV.ravel(), rtol=1e-10, atol=1e-12)
    eps = 1e-6  # the gradient's change along V, central differences
    plus, minus = theta + eps * V, theta - eps * V
    diff = f.gradient(plus, f.linear(plus)) - f.gradient(minus, f.linear(minus))
    np.testing.assert_allclose(
        H @ V[rows].ravel(), diff[rows].ravel() / (2 * eps), rtol=1e-6, atol=1e-8
    )


def test_the_gram_form_repeats_its_hessian_for_each_target():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((50, 3)), rng.standard_normal((50, 2))
    s = np.full(50, 1 / 50)
    gram = QuadraticDatafit.from_data(X, Y, s)
    data = LinearDatafit.from_data(HalfSquaredError(), X, Y, s)
    theta = np.zeros((4, 2))
    ws = np.array([0, 2])
    np.testing.assert_allclose(
        gram.model_hessian(gram.linear(theta), ws),
        data.model_hessian(data.linear(theta), ws), rtol=1e-12, atol=1e-14,
    )  # fmt: skip
