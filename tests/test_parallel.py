"""The package's threads: BLAS held on one thread while ours run, restored
when the last holder lets go; as many threads as BLAS may use."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_foundations import _parallel, _products, linalg
from sklearn_foundations._parallel import (
    blas_on_one_thread,
    map_row_ranges,
    n_threads,
)


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """BLAS allowed two threads, set from the main thread (which OpenBLAS
    heeds), whatever the machine's default."""
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(_blas_threads()) == {2}
        yield


def test_nested_holds_restore_blas_when_the_outermost_ends(two_blas_threads):
    """gram_moments holds BLAS and the row ranges inside hold it again: the
    inner end must not restore it, the outer one must."""
    before = _blas_threads()
    with blas_on_one_thread():
        with blas_on_one_thread():
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before


def test_a_caller_on_its_own_thread_gets_no_more_threads(two_blas_threads):
    assert n_threads() == min(2, _parallel.n_cores())
    seen = []
    other = threading.Thread(target=lambda: seen.append(n_threads()))
    other.start()
    other.join()
    assert seen == [1]


def test_threads_follow_what_blas_may_use(two_blas_threads):
    """A caller who holds BLAS to one thread (as joblib's workers do) holds
    ours too; inside our own hold, the count from before it stands."""
    with threadpool_limits(limits=1, user_api="blas"):
        assert n_threads() == 1
    expected = min(2, _parallel.n_cores())
    assert n_threads() == expected
    with blas_on_one_thread():
        assert n_threads() == expected


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_row_ranges_cover_every_row_once_in_order(threads):
    n = 10
    ranges = map_row_ranges(lambda lo, hi: (lo, hi), n, threads)
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(ranges[:-1], ranges[1:], strict=True))
    assert len(ranges) == min(threads, n)
    rows = np.concatenate([np.arange(lo, hi) for lo, hi in ranges])
    np.testing.assert_array_equal(rows, np.arange(n))


def test_a_blas_another_package_pins_to_one_thread_does_not_hold_ours(
    two_blas_threads, monkeypatch
):
    # a package that loads its own BLAS on one thread (cyanure does) leaves
    # numpy's on two: the most any BLAS may use bounds ours, not the least
    class Lib:
        def __init__(self, n):
            self.num_threads = n

    class Selected:
        lib_controllers = [Lib(1), Lib(2)]

    class Controller:
        def select(self, **kwargs):
            return Selected()

    monkeypatch.setattr(_parallel, "_CONTROLLER", [Controller()])
    assert n_threads() == min(2, _parallel.n_cores())
    Selected.lib_controllers = [Lib(1), Lib(1)]  # every BLAS held: ours too
    assert n_threads() == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [1, 3])
def test_products_by_ranges_of_rows_are_the_products(two_blas_threads, k, dtype):
    """matmul_rows and rmatmul_rows on a matrix large enough to split (and
    one that is not) equal numpy's products, in float64 accumulation for the
    one column they sum with einsum."""
    rng = np.random.default_rng(0)
    for n, d in [(50, 7), (_products._PARALLEL_ENTRIES // 40 + 3, 40)]:
        X = rng.standard_normal((n, d)).astype(dtype)
        W, G = rng.standard_normal((d, k)), rng.standard_normal((n, k))
        XW = linalg.matmul_rows(X, W)
        assert XW.flags.f_contiguous and XW.dtype == np.float64
        np.testing.assert_allclose(XW, X.astype(np.float64) @ W, rtol=1e-5, atol=1e-5)
        XtG = linalg.rmatmul_rows(X, G)
        assert XtG.shape == (d, k)
        np.testing.assert_allclose(
            XtG, X.T.astype(np.float64) @ G, rtol=1e-5, atol=1e-4
        )


def test_a_solve_on_the_package_threads_holds_blas_on_one(two_blas_threads):
    """A dense single-output datafit large enough to split its passes says
    so, and minimize holds BLAS on one thread while its solver runs (the
    callback sees one), restoring it after; a small one leaves BLAS alone."""
    from sklearn_foundations.datafits import make_datafit
    from sklearn_foundations.losses import BinomialLogLoss
    from sklearn_foundations.optimize import minimize
    from sklearn_foundations.penalties import L2

    rng = np.random.default_rng(0)
    for n, expected in [(_products._PARALLEL_ENTRIES // 20 + 1, {1}), (200, {2})]:
        X = rng.standard_normal((n, 20))
        y = (X[:, :1] + rng.logistic(size=(n, 1)) > 0).astype(float)
        datafit = make_datafit(BinomialLogLoss(), X, y, np.full(n, 1 / n))
        assert datafit.own_threads == (expected == {1})
        seen = []

        def record(state, seen=seen):
            seen.extend(_blas_threads())

        minimize(datafit, L2(1e-3), np.zeros((21, 1)), tol=1e-8, callback=record)
        assert seen and set(seen) == expected
        assert set(_blas_threads()) == {2}


def test_a_gram_pass_splits_itself_where_blas_is_held(two_blas_threads):
    """2,000 x 100 is too short for the package's threads while BLAS may
    split it; held on one thread, BLAS cannot, so the pass splits (a gather
    of columns too)."""
    expected = min(2, _parallel.n_cores())
    assert _products._dense_threads(2000, 100) == 1
    assert _products._dense_threads(100_000, 100, gather=True) == 1
    with blas_on_one_thread():
        assert _products._dense_threads(2000, 100) == expected
        assert _products._dense_threads(2000, 100, gather=True) == expected
        assert _products._dense_threads(100, 10) == 1
