r"""The package's threads: one pool per process, and BLAS held on one thread
while ours run.

BLAS does not split every product well: the Gram matrix :math:`X^\top X` of
a tall ``X`` with a hundred columns runs no faster on two OpenBLAS threads
than on one, and scipy's sparse products run on one core. Splitting the rows
over a thread per core, each calling BLAS on one thread, uses every core.
The threads are as many as BLAS itself may use (never more than the cores
this process may run on), so that a caller who holds BLAS to one thread
(joblib's workers do) holds these too; work called from a thread other than
the main one stays on that thread.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

_POOL = []
_CONTROLLER = []
_HELD = {"depth": 0, "limiter": None, "threads": 1}


def pool():
    """One thread pool for the process, a thread per usable core; a process
    forked from this one makes its own (the parent's threads are not in it)."""
    if not _POOL or _POOL[0][0] != os.getpid():
        _POOL[:] = [(os.getpid(), ThreadPoolExecutor(max_workers=n_cores()))]
    return _POOL[0][1]


def n_cores():
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def n_threads():
    """Threads to split work over: the cores, no more than BLAS may use (as
    it was before :func:`blas_on_one_thread` held it); one for a caller on a
    thread other than the main one, which runs on threads of its own
    (dask's, joblib's) and whose BLAS limits OpenBLAS may ignore."""
    if threading.current_thread() is not threading.main_thread():
        return 1
    if _HELD["depth"]:
        return _HELD["threads"]
    return _blas_threads()


def _blas_threads():
    """The cores, no more than the most any loaded BLAS may use: a limit set
    for every BLAS (``threadpool_limits``, joblib's workers) holds ours; one
    library that another package pins to one thread for itself (cyanure
    loads such an OpenBLAS) does not."""
    if not _CONTROLLER:  # inspects the loaded libraries once
        _CONTROLLER.append(ThreadpoolController())
    blas = _CONTROLLER[0].select(user_api="blas").lib_controllers
    most = max((lib.num_threads for lib in blas), default=n_cores())
    return max(1, min(n_cores(), most))


def held():
    """Whether :func:`blas_on_one_thread` holds BLAS for the calling (main)
    thread: a pass that BLAS would otherwise split must split itself."""
    return _HELD["depth"] > 0 and threading.current_thread() is threading.main_thread()


@contextmanager
def blas_on_one_thread():
    """BLAS on one thread meanwhile (BLAS's idle threads spin on the cores
    that ours need), restored when the outermost hold ends. For the main
    thread, the one that :func:`n_threads` splits work for."""
    if _HELD["depth"] == 0:
        _HELD["threads"] = _blas_threads()
        _HELD["limiter"] = _CONTROLLER[0].limit(limits=1, user_api="blas")
    _HELD["depth"] += 1
    try:
        yield
    finally:
        _HELD["depth"] -= 1
        if _HELD["depth"] == 0:
            _HELD["limiter"].restore_original_limits()
            _HELD["limiter"] = None


def map_row_ranges(job, n, threads):
    """``[job(lo, hi), ...]`` over ``threads`` contiguous ranges of ``n``
    rows, in order: the first on the calling thread, the others on the pool,
    with BLAS on one thread (one range: here, as BLAS stands)."""
    threads = max(1, min(threads, n))
    if threads == 1:
        return [job(0, n)]
    bounds = [n * i // threads for i in range(threads + 1)]
    with blas_on_one_thread():
        # the first range here: a thread less to wake
        others = [
            pool().submit(job, bounds[i], bounds[i + 1]) for i in range(1, threads)
        ]
        try:
            first = job(bounds[0], bounds[1])
        finally:
            rest = [future.result() for future in others]
        return [first, *rest]
