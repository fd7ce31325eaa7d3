r"""Proximal Newton with working sets (:func:`prox_newton`) for an L1 or
elastic-net penalty and one output: the quadratic model of the datafit plus
the exact penalty over a working set of features, solved by coordinate
descent on a small Gram matrix (dense ``X``) or by accelerated proximal
gradient in the model's diagonal metric (sparse ``X``). The data are reached
through the datafit's interface alone: ``model_hessian(Z, ws)`` for the
model's matrix :math:`A_\mathcal{W}^\top H A_\mathcal{W}` (one pass over
the working set's columns; one pass over chunked data) or, for a model of
over ``EXACT_MAX_SIZE`` coordinates and at least ``LOW_RANK_RATIO`` times
as many as rows, ``model_factor(Z, ws)`` (its factor), and for sparse
``X`` ``curvature`` and ``columns(ws)`` (products with the working set's
centered columns) and ``by_columns`` for storage that slices columns. A
penalty with ``positive`` keeps the weights non-negative in every model
solve (the coordinates clipped at zero). Imports only numpy and the
standard library's thread pool (a CSR-to-CSC conversion beside the first
gradient)."""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._gram_solves import LowRank
from ._newton import _backtrack, _PastTol
from ._quadratic import signs_search
from ._result import OptimizeResult, _check_divergence, _Observer, _scale

# a model of at most EXACT_MAX_SIZE coordinates is solved by feature-sign
# search, in at most EXACT_STEPS steps plus two per coordinate (each a solve
# of the active set's size; on collinear columns the support can change by
# half the model's size); a larger one, or one the search leaves unsolved,
# by coordinate descent's sweeps. A solve of 500 costs a few ms, a sweep of
# 500 coordinates about 0.5 ms in the interpreter, and where the model has
# more coordinates than the data have rows (its rank) or the columns are
# correlated the sweeps crawl: on 10 x 1,000 columns of scales 1e-3 to 1e3
# an elastic net took 28 iterations of 100 sweeps each (1.4 s) where the
# search takes 4 iterations (5 ms)
EXACT_MAX_SIZE = 500
EXACT_STEPS = 20
# ... or, of at most ROWS_RATIO times as many coordinates as the data have
# rows, at most this many: the search's solves update one Cholesky factor
# over its steps (its active sets, as a lasso's solutions, of at most about
# as many features as rows), 12-22 ms per model of 580-650 coordinates where
# the sweeps took 20-100 ms (800 x 700, 600 non-zeros); at a thousandth of
# alpha_max, 500 x 2,000 (485 non-zeros, models of up to 970) 1.5 -> 0.26 s,
# 800 x 3,000 (705, models of up to 1,410) 1.9 -> 0.43 s
EXACT_ROWS_MAX_SIZE = 2000
ROWS_RATIO = 2
# a larger model on dense data is solved exactly from its factor where it
# has at least this many times as many coordinates as the data have rows
# (the search's solves then mostly Woodbury's, on the rows): elastic-net
# logistic regressions on 60-100 rows, 1,200-2,000 coordinates, 3-25x
# quicker than the sweeps at tol=1e-10; a 500 x 2,000 elastic net of 750
# non-zeros (models of 1,000-1,500 coordinates, solves of that size) 3x
# slower
LOW_RANK_RATIO = 4
# the working sets of dense data hold at most this many of the violators
# beyond twice the support: the first model from zero, solved to a tenth of
# the violation, keeps a few features however many it holds (16-20 of
# 320-450 on 500-2,000 x 600-2,000 lasso at 0.01 alpha_max), and its matrix
# costs n |W|^2 / 2 (EXACT_MAX_SIZE, 500, before: 0.95x the time over 12
# wide and tall lasso problems, the slowest 1.06x; 0.97x over 7 L1 logistic
# fits of 500-3,000 rows)
QUARTER_MAX = 128
# where the whole model pays (_whole_pays), a zero start at which at least
# this share of the features violate takes it at once: nearly every
# feature's correlation with the targets above the penalty, the solution is
# dense, and the working sets' first iterations (a quarter of the violators
# each, their models solved to a tenth of the violation) only delay it
# (lasso and elastic nets of 900 x 500 and 1,000 x 600 at 0.003-0.001
# alpha_max, 270-480 non-zeros: 0.36-0.78x the time; at 0.01 alpha_max
# 77-87% of the features violate at zero, the solutions are sparse, and
# the working sets run as before)
WHOLE_START_SHARE = 0.9


def prox_newton(
    datafit, penalty, theta0, *, max_iter, tol, max_sweeps=100, ws_start=10,
    c1=1e-4, callback=None, verbose=0, start=None, finish=True,
):  # fmt: skip
    r"""Proximal Newton with working sets, one output.

    Each iteration minimizes the second-order model of the datafit plus the
    exact penalty over a working set :math:`\mathcal{W}` of features (the
    others stay where they are),

    .. math::

        \delta = \arg\min_{\delta:\ \delta_j = 0,\ j \notin \mathcal{W}}
        \; \nabla f(\theta)^\top \delta
        + \tfrac12 \delta^\top A^\top H A \delta + g(\theta + \delta),
        \qquad H = \operatorname{diag}(s_i \ell''(z_i)),

    for dense ``X`` on the small matrix
    :math:`A_\mathcal{W}^\top H A_\mathcal{W}`,
    :math:`A_\mathcal{W} = [X_c[:, \mathcal{W}], 1]` (formed once per
    iteration, :func:`~sklearn_foundations.linalg.gram_matrix`): by
    feature-sign search, exactly, where the model has at most
    ``EXACT_MAX_SIZE`` coordinates, or at most twice as many as the data
    have rows up to ``EXACT_ROWS_MAX_SIZE`` (:func:`_exact_max`,
    :func:`_exact_model`) or, a larger
    one on dense data of a quarter as many rows or fewer, from its factor
    (``model_factor``, a matrix of low rank: :func:`_factored_model`),
    else by cyclic coordinate descent, where each coordinate has the
    closed form

    .. math::

        u_j = \frac{\operatorname{sign}(v_j) \max(|v_j| - \alpha\rho, 0)}
        {H_{jj} + \alpha(1 - \rho)}, \qquad
        v_j = H_{jj} u_j^{\mathrm{old}} - \partial_j m(\delta),

    (:math:`u = \theta + \delta`, :math:`m` the quadratic model). For sparse
    ``X`` that matrix is dense even though the columns are not (two columns
    with 250 entries among 50,000 rows share a row more often than not), and a
    loop over coordinates costs microseconds each in Python: the model is
    solved by accelerated proximal gradient in the metric of its diagonal
    (:func:`_model_prox_gradient`), a vectorized Jacobi sweep of two sparse
    products per step, few steps because sparse columns are nearly
    orthogonal. Where they are not (a model's steps run out, ``max_sweeps``:
    coupled columns), the later models of at most the exact search's size
    are formed (``model_hessian``, a sparse product over the working set's
    columns) and solved as dense data's (near-duplicate pairs of sparse
    columns, a lasso and an L1 logistic regression: 447 and 348 iterations,
    6-7 s, against 4 and 10, 0.02-0.1 s). Each iteration then
    backtracks along :math:`\delta` until Armijo's condition
    :math:`F(\theta + t\delta) \le F(\theta) + c_1 t \Delta` holds, with
    :math:`\Delta = \nabla f^\top \delta + g(\theta + \delta) - g(\theta)`.

    Optimality violations (``penalty.subdiff_distance``) are measured in units
    of each column's scale, :math:`|\cdot| / \sqrt{D_j}` with :math:`D` the
    datafit's metric, so that neither the working sets nor the stopping test
    depend on the scales of the columns (coordinate descent does not either).
    The working set holds the support of :math:`w` and the features whose
    optimality violation is largest, as many
    as the support has, at least ``ws_start`` and at least a quarter of the
    violating features (for dense ``X`` at most ``QUARTER_MAX`` of them:
    from zero, the first model, solved to a tenth of the violation, keeps a
    few features of however many): an L1 solution with few non-zeros is
    found from small models, one with many without growing the model from
    ``ws_start`` one doubling per iteration. For a quadratic loss on data
    of at least as many rows as features (:func:`_whole_pays`), once the
    working set would hold half the features and still leave some that
    violate, the model takes every feature: it is then the objective
    itself, solved to ``tol`` (the working sets' models take several
    iterations more, each forming a matrix of at least a quarter of the
    whole one's), and with ``finish`` on to the rounding floor
    (:func:`_model_finish`): the exact answer, as feature-sign search's on
    the Gram matrix. The intercept, the last
    row of ``theta`` when ``datafit.fit_intercept``, is an unpenalized
    coordinate, always in the model, in the coordinates where it shares no
    curvature with the weights (:func:`_decoupled`; without that, features
    of very different scales couple it to every weight and the iterations
    run into the thousands). The model solve stops once its violations
    (feature-sign search) or the moves of its coordinates (coordinate
    descent) are at most a tenth of the current optimality in those units (a
    thirtieth for sparse ``X``: one proximal step is a weaker test than a
    sweep), or after ``max_sweeps`` sweeps (dense) or steps (sparse): an
    inexact solve far from the optimum, an exact one near it
    (:func:`_model_descent`). Where the
    objective can no longer resolve the decrease (the model's predicted
    decrease, or its change, below a few ulps: no search then), the full
    step is taken if it lowers the optimality violation. It has
    converged when the optimality violation is at most ``tol`` for every
    feature; with ``finish`` it then takes ``FINISH_STEPS`` (one) step
    more, its model solved to the square of the violation in those units,
    which about squares it (the answer to twice the digits ``tol`` asks
    for), but where the violation is already at ``tol**2`` or at the
    objective's rounding, and not on a quadratic loss (whose models are the
    objective on the working set); ``finish=False`` stops at ``tol`` (a
    path's fits).
    Unconverged unless that holds, it stops when no step makes
    progress in floating point any more.
    Near the optimum the steps are Newton steps: convergence is superlinear,
    in a few tens of iterations where proximal gradient takes hundreds.

    Sparse ``X`` that is not CSC is converted, for its column slices, in a
    second thread while the first gradient is computed from the input (the
    metric's column scales are computed there too, from the copy): the
    conversion (one scattered write per non-zero, scipy's loop runs without
    the GIL) waits on memory latency and the gradient's pass on bandwidth, so
    the two overlap (benchmarks/RESULTS.md has the measurements).
    ``start``: the datafit's ``(Z, value, gradient)`` at ``theta0`` where
    the caller has them (the value may be None): no pass over the data to
    begin.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> from sklearn_foundations.optimize import fista, prox_newton
    >>> from sklearn_foundations.penalties import L1
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = (X[:, :1] + 0.5 * rng.standard_normal((200, 1)) > 0).astype(float)
    >>> f = LinearDatafit(BinomialLogLoss(), X, y, np.full(200, 1 / 200))
    >>> newton = prox_newton(f, L1(0.05), np.zeros((5, 1)), max_iter=50, tol=1e-10)
    >>> slow = fista(f, L1(0.05), np.zeros((5, 1)), step=2.0, max_iter=5000, tol=1e-10)
    >>> newton.n_iter < 15 < slow.n_iter, np.allclose(newton.coef, slow.coef)
    (True, True)
    """
    d, sparse = datafit.n_features, datafit.sparse
    theta = np.array(theta0, dtype=datafit.dtype)
    if sparse and start is None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # beside the gradient: the CSC copy, and the metric from it
            csc = pool.submit(datafit.by_columns)
            Z, F, grad = _start(datafit, penalty, theta)
            datafit = csc.result()
    else:
        Z, F, grad = _start(datafit, penalty, theta, start)
        datafit = datafit.by_columns() if sparse else datafit
    scale = _scale(datafit)[:, 0]
    violation = penalty.subdiff_distance(theta, grad)[:, 0] / scale
    optimality = float(violation.max(initial=0.0))
    initial = F
    ulps = 16 * np.finfo(theta.dtype).eps  # the objective's resolution, relative
    # the steps past tol: none for a quadratic loss (its models are the
    # objective on the working set)
    past = _PastTol(tol, finish and not datafit.loss.quadratic, theta.dtype)
    if past.stops(optimality, F):  # optimal at the start (an empty working set)
        return OptimizeResult(coef=theta, n_iter=0, objective=[], converged=True,
                              optimality=optimality,
                              state=(Z, F - penalty.value(theta), grad))  # fmt: skip
    observe = _Observer("Newton iteration", callback, verbose)
    it, step, L, exact = 0, 1.0, 1.0, True
    # sparse: once a model's proximal gradient runs out of steps (coupled
    # columns), the later models are formed and solved exactly
    coupled = False
    exact_max = _exact_max(datafit)
    whole = not sparse and _whole_pays(datafit, exact_max)
    quarter_max = None if sparse else QUARTER_MAX  # the first models' size
    converged = optimality <= tol  # the start (then one step, to finish)
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            ws = _working_set(theta[:d, 0], violation[:d], ws_start, quarter_max, whole)
            # the whole model of a quadratic loss is the objective: to tol,
            # then (finish) on to the rounding floor, the exact answer
            whole_model = whole and len(ws) == d
            bound = tol if whole_model else optimality / 10
            model_finish = (
                _model_finish(tol, F, ulps) if whole_model and finish else None
            )
            # (sparse: a thirtieth, one proximal step being a weaker test)
            bound_sparse = optimality / 30
            if converged:  # a step past tol: its model to the violation squared
                bound = min(bound, optimality * optimality)
                bound_sparse = min(bound_sparse, optimality * optimality)
            rows = np.concatenate((ws, [d])) if datafit.fit_intercept else ws
            delta = np.zeros_like(theta)
            if sparse and not (coupled and len(ws) <= exact_max):
                view, h = datafit.columns(ws), datafit.curvature(Z)[:, 0]
                delta[rows, 0], X_delta, L, solved = _model_prox_gradient(
                    view, datafit.fit_intercept, h, grad[rows, 0], theta[rows, 0],
                    penalty, max_sweeps, bound_sparse * scale[rows], L,
                )  # fmt: skip
                coupled = coupled or not solved
            else:
                delta[rows, 0], k, exact = _dense_model_step(
                    datafit, penalty, Z, ws, grad[rows, 0], theta[rows, 0],
                    max_sweeps, bound * scale[rows], exact, exact_max, model_finish,
                )  # fmt: skip
                if k is not None:
                    delta[d, 0] -= k @ delta[ws, 0]
                X_delta = datafit.linear(delta)
            decrease = float((grad * delta).sum()) + penalty.value(theta + delta)
            decrease -= penalty.value(theta)
            F_new = F  # a decrease below F's resolution: no search, the full step
            if -decrease > ulps * abs(F):
                step, theta_new, Z_new, F_new = _backtrack(
                    datafit, penalty, theta, Z, F, delta, X_delta, c1 * decrease
                )
            if not F_new < F:  # below the objective's resolution: try the full step
                step, theta_new, Z_new = 1.0, theta + delta, Z + X_delta
                F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
            grad_new = datafit.gradient(theta_new, Z_new)
            violation_new = penalty.subdiff_distance(theta_new, grad_new)[:, 0] / scale
            if not (
                F_new < F
                or (F_new <= F + ulps * abs(F) and violation_new.max() < optimality)
            ):
                break  # no progress left in floating point: stationary
            theta, Z, F, grad = theta_new, Z_new, F_new, grad_new
            violation, optimality = violation_new, float(violation_new.max())
            _check_divergence(it, F, initial)
            converged = optimality <= tol
            if observe(it, theta, F, optimality, step) or past.stops(optimality, F):
                break
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=converged, step=step, t=len(observe.objective) + 1, optimality=optimality,
        stopped=observe.stopped, state=(Z, F - penalty.value(theta), grad),
    )  # fmt: skip


def _start(datafit, penalty, theta, start=None):
    """The predictor, objective and datafit gradient at ``theta``, from the
    caller's ``start`` (the datafit's ``(Z, value, gradient)``, the value
    possibly None) where given."""
    if start is None:
        Z = datafit.linear(theta)
        return (
            Z,
            datafit.value(theta, Z) + penalty.value(theta),
            datafit.gradient(theta, Z),
        )
    Z, value, grad = start
    value = datafit.value(theta, Z) if value is None else value
    return Z, value + penalty.value(theta), grad


def _working_set(w, violation, size_min, quarter_max=None, whole=False):
    """Sorted indices of the support of ``w`` and of the largest violations,
    ``max(size_min, 2 |support|, n_violating / 4)`` features in all (fewer when
    fewer violate): from a zero start, a quarter of the violators, at most
    ``quarter_max`` of them (``QUARTER_MAX`` on dense data). With
    ``whole``, every feature once that would be half of
    them or more and still leave out some that violate (iterations to come:
    :func:`_whole_pays`), or from a zero start where at least
    ``WHOLE_START_SHARE`` of them violate."""
    support = w.nonzero()[0]
    quarter = np.count_nonzero(violation) // 4
    if quarter_max is not None:
        quarter = min(quarter, quarter_max)
    size = max(size_min, 2 * len(support), quarter)
    if whole and not len(support):  # from zero: a dense solution to come
        if np.count_nonzero(violation) >= WHOLE_START_SHARE * len(w):
            return np.arange(len(w))
    if whole and 2 * size >= len(w):  # and some violators would be left out
        if np.count_nonzero((w != 0) | (violation > 0)) > size:
            return np.arange(len(w))
    if size >= len(w):
        return ((w != 0) | (violation > 0)).nonzero()[0]
    score = violation.copy()
    score[support] = np.inf
    top = np.argpartition(-score, size)[:size]
    return np.sort(top[score[top] > 0])


def _exact_max(datafit):
    """The most coordinates of a dense model that the exact search solves:
    ``EXACT_MAX_SIZE``, or twice as many as the data have rows up to
    ``EXACT_ROWS_MAX_SIZE``."""
    rows = ROWS_RATIO * (datafit.n_samples or 0)
    return max(EXACT_MAX_SIZE, min(rows, EXACT_ROWS_MAX_SIZE))


def _whole_pays(datafit, exact_max):
    r"""Whether the working sets give way to every feature once they would
    hold half of them: for a quadratic loss (the model is the objective, its
    matrix the Gram matrix's block: no iterations after the whole one) on
    data in memory of at least as many rows as features, at most
    ``exact_max`` of them (the exact search's). The whole model's matrix
    costs :math:`n d^2`, four times a half's, which the working sets form
    again at each of their iterations (1,000 x 600, 460 non-zeros: 9
    iterations, 5 of them over 448-470 features)."""
    d = datafit.n_features
    return (
        bool(datafit.loss.quadratic) and not datafit.chunked
        and (datafit.n_samples or 0) >= d and d <= exact_max
    )  # fmt: skip


def _model_finish(tol, F, ulps):
    r"""The whole model's rounding floor in units of ``tol`` (where it is
    below it, else None): :math:`16 \epsilon \sqrt{2 |F|}` in column units
    (``ulps`` is :math:`16 \epsilon`), below which no violation is resolved
    (every one is at most the residuals' root mean square, about
    :math:`\sqrt{2F}`), as feature-sign search's on the Gram matrix: a
    quadratic loss's whole model is the objective, and its search, on to
    that floor, gives the exact answer whatever ``tol`` (a weak lasso on
    1,000 x 600 correlated columns at ``tol=1e-4`` stopped 2e-6 above the
    optimum, with 451 of the optimum's 459 non-zeros)."""
    floor = ulps * math.sqrt(2 * abs(F))
    return floor / tol if floor < tol else None


def _dense_model_step(
    datafit, penalty, Z, ws, grad, w, max_sweeps, tol, exact, exact_max=EXACT_MAX_SIZE,
    finish=None,
):  # fmt: skip
    r"""The step of :func:`prox_newton` on dense data's model over the
    working set ``ws`` (``grad`` and ``w`` its rows of the gradient and the
    iterate): from the model's factor where it is of low rank
    (:func:`_low_rank`, :func:`_factored_model`), else, or where that
    search stops short, from its formed matrix (:func:`_model_descent`).
    Returns the step in the decoupled coordinates, the intercept's ``k``
    that maps it back (:func:`_decoupled`) and whether the exact search
    may still be tried."""
    n, l1, l2, positive = len(ws), penalty.l1, penalty.l2, penalty.positive
    if exact and _low_rank(datafit, n):
        B_w, g, k, bb = _decoupled_factor(datafit.model_factor(Z, ws), grad, n)
        step = _factored_model(B_w, bb, g, w, l1, l2, n, tol, positive)
        if step is not None:
            return step, k, exact
    hess, g, k = _decoupled(datafit.model_hessian(Z, ws), grad, n)
    step, exact = _model_descent(
        hess, g, w, l1, l2, n, max_sweeps, tol, exact, exact_max, positive, finish
    )
    return step, k, exact


def _low_rank(datafit, size):
    """Whether a working set of ``size`` features takes the model's factor:
    more than ``EXACT_MAX_SIZE`` of them (the formed model's largest exact
    solve), at least ``LOW_RANK_RATIO`` times the rows, on dense data in
    memory."""
    return (
        size > EXACT_MAX_SIZE
        and not datafit.sparse
        and not datafit.chunked
        and LOW_RANK_RATIO * datafit.n_samples <= size
    )


def _decoupled_factor(B, grad, n_penalized):
    r""":func:`_decoupled` on the model's factor ``B`` (its last column the
    intercept's, :math:`b = H^{1/2} 1`): the weights' columns projected off
    it, :math:`B_w - b k^\top`, :math:`k = B_w^\top b / b^\top b` (whose
    product is the Schur complement :math:`H_{ww} - k H_{bw}`), and the
    gradient :math:`g_w - k g_b`. Returns the weights' columns (a new
    array), the gradient, ``k`` and the intercept's curvature :math:`b^\top
    b` (both None without an intercept; ``k`` None without curvature on
    it)."""
    n = n_penalized
    if B.shape[1] == n:
        return B, grad, None, None
    b = B[:, n]
    bb = float(b @ b)
    if not bb > 0:
        return B[:, :n], grad, None, bb
    k = (B[:, :n].T @ b) / bb
    grad = np.concatenate([grad[:n] - k * grad[n], grad[n:]])
    return B[:, :n] - np.outer(b, k), grad, k, bb


def _factored_model(B_w, bb, grad, w, l1, l2, n_penalized, tol, positive=False):
    r"""The step of :func:`prox_newton` on a model of more coordinates than
    rows, from its decoupled factor ``B_w`` and the intercept's curvature
    ``bb`` (:func:`_decoupled_factor`):
    feature-sign search on :math:`B_w^\top B_w + \lambda_2 I` kept as the
    factor (:class:`~sklearn_foundations.optimize._gram_solves.LowRank`:
    Woodbury's solves over more than twice the rows), where coordinate
    descent's sweeps crawl (a 100 x 5,000 elastic-net logistic regression
    took 80 iterations, 3 s, at ``tol=1e-10``), then the intercept's own
    Newton step (``positive``: the weights held non-negative). Returns the
    step, or None where the search stops short (the caller then solves the
    formed model)."""
    n = n_penalized
    u = w.copy()
    q = B_w.T @ (B_w @ w[:n]) - grad[:n]
    bound = np.broadcast_to(tol, w.shape)
    u[:n], converged = signs_search(
        LowRank(B_w, l2), q, l1, u[:n], bound[:n], 1.0, EXACT_STEPS + 2 * n,
        positive=positive,
    )  # fmt: skip
    if not converged:
        return None
    if bb is not None and bb > 0:  # the intercept: one Newton step on its own
        u[n] = w[n] - grad[n] / bb
    return u - w


def _decoupled(hess, grad, n_penalized):
    r"""The quadratic model in the coordinates :math:`b' = b + k^\top w`,
    :math:`k = H_{wb} / H_{bb}`, where the weights and the intercept (the last
    coordinate, if any) share no curvature: the Hessian's Schur complement
    :math:`H_{ww} - k H_{bw}` and the gradient :math:`g_w - k g_b`. Returns
    those and ``k`` (None without an intercept, or without curvature on it);
    a step :math:`\delta'` maps back as :math:`\delta_b = \delta'_b - k^\top
    \delta_w`."""
    n = n_penalized
    if hess.shape[0] == n or not hess[n, n] > 0:
        return hess, grad, None
    k = hess[:n, n] / hess[n, n]
    hess = hess.copy()
    hess[:n, :n] -= k[:, None] * hess[n, :n]
    hess[:n, n] = hess[n, :n] = 0.0
    grad = np.concatenate([grad[:n] - k * grad[n], grad[n:]])
    return hess, grad, k


def _model_descent(
    hess, grad, w, l1, l2, n_penalized, max_sweeps, tol, exact=True,
    exact_max=EXACT_MAX_SIZE, positive=False, finish=None,
):  # fmt: skip
    r"""The step of :func:`prox_newton` on its quadratic model, from ``w``:
    :math:`\min_u g^\top (u - w) + \tfrac12 (u - w)^\top H (u - w) +
    \lambda_1 \|u\|_1 + \tfrac{\lambda_2}{2} \|u\|^2`, the penalty on the
    first ``n_penalized`` coordinates (the rest, the intercept, not
    penalized; with ``positive`` also :math:`u \ge 0` there). ``tol``
    holds one bound per coordinate, in gradient units.

    With ``exact``, a model of at most ``exact_max`` penalized
    coordinates whose
    unpenalized ones are decoupled (:func:`_decoupled`) is solved by
    feature-sign search (:func:`_exact_model`): a few linear solves where
    coordinate descent crawls along a narrow valley (correlated columns, a
    weak penalty) and one Python step per coordinate and sweep costs more
    than the model's pass over the data; collinear columns (a singular
    active set) take proximal steps there. A model that the search does not
    solve within its steps, or a larger or coupled one, is solved by cyclic
    coordinate descent (:func:`_sweeps`, at most ``max_sweeps`` sweeps),
    then :func:`_on_signs` if the sweeps run out. Returns the step and
    False where the search was tried and failed (the caller stops trying
    it).
    """
    n = n_penalized
    coupled = hess[:n, n:].any()  # the intercept not decoupled: sweeps only
    if exact and 0 < n <= exact_max and not coupled:
        bound = tol if np.shape(tol) == w.shape else np.broadcast_to(tol, w.shape)
        solution, exact = _exact_model(
            hess, grad, w, l1, l2, n, bound, EXACT_STEPS + 2 * n, positive, finish
        )
        if exact:  # else its point is dropped: a search stopped short
            return solution - w, True  # may have run off
    u, done = _sweeps(hess, grad, w, w.tolist(), l1, l2, n, max_sweeps, tol, positive)
    if not done:  # the sweeps ran out: solve on the signs
        u = _on_signs(hess, grad, w, np.asarray(u), l1, l2, n)
    return np.asarray(u, dtype=w.dtype) - w, exact  # exact zeros included


def _sweeps(hess, grad, w, u, l1, l2, n_penalized, sweeps, tol, positive=False):
    """At most ``sweeps`` sweeps of cyclic coordinate descent on the model
    of :func:`_model_descent` from its point ``u`` (a list, updated; ``q``
    the curvature term :math:`H (u - w)`, so that the partial derivative
    along ``j`` is ``grad[j] + q[j]``; the scalars are Python floats: one
    line of arithmetic per coordinate plus one vector update per move;
    ``positive``: the penalized coordinates clipped at zero); the point and
    whether a sweep moved no coordinate by more than its bound."""
    q = hess @ (np.asarray(u, dtype=hess.dtype) - w)  # the curvature term at u
    diag, g = np.diag(hess).tolist(), grad.tolist()
    bound = np.broadcast_to(tol, w.shape).tolist()
    done = False
    for _ in range(sweeps):
        done = True
        for j, h_jj in enumerate(diag):
            if h_jj <= 0:
                continue
            old = u[j]
            v = h_jj * old - (g[j] + float(q[j]))
            if j < n_penalized and positive:  # clipped at zero
                new = max(v - l1, 0.0) / (h_jj + l2)
            elif j < n_penalized:  # soft-thresholding, on floats (not the array form)
                new = math.copysign(max(abs(v) - l1, 0.0), v) / (h_jj + l2)
            else:
                new = v / h_jj
            if new != old:
                u[j] = new
                q += (new - old) * hess[j]  # symmetric: the contiguous row
                done = done and abs(new - old) * h_jj <= bound[j]
        if done:
            break
    return u, done


def _exact_model(hess, grad, w, l1, l2, n_penalized, bound, max_steps,
                 positive=False, finish=None):  # fmt: skip
    r"""The model's minimizer by feature-sign search from ``w`` (the
    current iterate, whose signs are nearly right near the optimum): the penalized
    coordinates solve :math:`\tfrac12 u^\top (H + \lambda_2 I) u - (H w -
    g)^\top u + \lambda_1 \|u\|_1`
    (:func:`~sklearn_foundations.optimize._quadratic.signs_search`, to the
    violations ``bound`` in gradient units, at most ``max_steps`` steps),
    then the unpenalized ones (the intercept; the caller's model is
    decoupled, :func:`_decoupled`: no curvature shared with the others)
    take their exact step. Returns the point and whether the search
    converged."""
    n = n_penalized
    H = hess[:n, :n]
    H_l2 = H.copy()
    H_l2.flat[:: n + 1] += l2  # the diagonal
    u = w.copy()
    u[:n], converged = signs_search(
        H_l2, H @ w[:n] - grad[:n], l1, u[:n], bound[:n], 1.0, max_steps,
        positive=positive, finish=finish,
    )  # fmt: skip
    for j in range(n, len(u)):  # the intercept: one Newton step on its own
        if hess[j, j] > 0:
            u[j] = w[j] - grad[j] / hess[j, j]
    return u, converged


def _on_signs(hess, grad, w, u, l1, l2, n_penalized):
    r"""The model's minimizer with the support and the signs of ``u`` held:
    the linear system :math:`(H_{SS} + \lambda_2 I) u_S = H_{SS} w_S - g_S -
    H_{S\bar S} (u - w)_{\bar S} - \lambda_1 \operatorname{sign}(u_S)` (no
    penalty on the intercept), where coordinate descent crawls along a
    narrow valley. Kept when it keeps the signs and lowers the model; else
    ``u``."""
    support = np.flatnonzero(u != 0)
    if support.size == 0:
        return u
    penalized = support < n_penalized
    sign = np.where(penalized, np.sign(u[support]), 0.0)
    H = hess[np.ix_(support, support)] + np.diag(np.where(penalized, l2, 0.0))
    off = np.setdiff1d(np.arange(len(u)), support)
    rhs = hess[np.ix_(support, support)] @ w[support] - grad[support] - l1 * sign
    rhs -= hess[np.ix_(support, off)] @ (u[off] - w[off])
    try:
        u_S = np.linalg.solve(H, rhs)
    except np.linalg.LinAlgError:
        return u
    if not np.isfinite(u_S).all() or (np.sign(u_S)[penalized] != sign[penalized]).any():
        return u
    candidate = u.copy()
    candidate[support] = u_S
    if _model_value(hess, grad, w, candidate, l1, l2, n_penalized) <= _model_value(
        hess, grad, w, u, l1, l2, n_penalized
    ):
        return candidate
    return u


def _model_value(hess, grad, w, u, l1, l2, n_penalized):
    r""":math:`g^\top \delta + \tfrac12 \delta^\top H \delta + \lambda_1
    \|u\|_1 + \tfrac{\lambda_2}{2} \|u\|^2` over the penalized coordinates,
    :math:`\delta = u - w`."""
    delta = u - w
    p = u[:n_penalized]
    return (
        grad @ delta + 0.5 * delta @ (hess @ delta) + l1 * np.abs(p).sum()
        + 0.5 * l2 * p @ p
    )  # fmt: skip


def _model_prox_gradient(view, intercept, h, grad, w, penalty, max_iter, tol, L):
    r"""Accelerated proximal gradient on the quadratic model of
    :func:`prox_newton` for sparse ``X``, in the metric of the model's diagonal.

    With :math:`A = [X_\mathcal{W} - 1 c^\top, 1]` (never formed: two sparse
    products per iteration, through the working set's ``view``), centered at
    the :math:`H`-weighted mean :math:`c = X_\mathcal{W}^\top h / 1^\top h`
    so that the intercept shares no curvature with the weights (the
    coordinates of :func:`_decoupled`),
    and :math:`D = \operatorname{diag}(A^\top H A)`, each step from the
    extrapolated point :math:`v` is the scaled proximal step

    .. math::

        u^+ = \operatorname{prox}_{g / (L D)}\Big(v - \frac{\nabla f(\theta)
        + A^\top H A (v - w)}{L D}\Big),

    (``penalty``'s, on the weights) a vectorized Jacobi sweep: the columns of sparse ``X`` are nearly
    orthogonal, so :math:`D^{-1/2} A^\top H A D^{-1/2}` is well conditioned
    and a few steps solve the model. ``L`` (about 1) doubles until the model's
    curvature along the step is majorized, :math:`\|A(u^+ - v)\|_H^2 \le L
    \|u^+ - v\|_D^2`; a step that raises the model's value is undone and
    momentum restarts, so every iterate lowers the model. Stops when the
    step in gradient units, :math:`L D_j |u^+_j - v_j|`, is at most ``tol``
    (one bound per coordinate) for every coordinate. Returns :math:`\delta =
    u - w`, its image :math:`A\delta`, ``L`` and whether it stopped so
    (else ``max_iter`` steps ran out).
    """
    d, l1, l2 = view.size, penalty.l1, penalty.l2
    h_sum, Xh = float(h.sum()), view.rmatvec(h)  # X_c^T h
    shift = np.zeros(d)  # the model's intercept decouples at the H-weighted
    if intercept and h_sum > 0:  # mean: in b' = b + shift^T w, no coupling
        shift = Xh / h_sum
        grad = np.concatenate([grad[:d] - shift * grad[d], grad[d:]])
    D = view.column_squares(h) - 2 * shift * Xh + shift**2 * h_sum  # diag(A^T H A)
    penalized = np.arange(d + intercept) < d
    if intercept:
        D = np.concatenate((D, [h_sum]))
    fixed = ~(D > 0)  # no curvature (an empty column): the coordinate stays
    D[fixed] = 1.0

    def image(u):  # A (u - w)
        step = u - w
        return view.matvec(step[:d]) + (
            (step[d] if intercept else 0.0) - shift @ step[:d]
        )

    def transpose(r):  # A^T r
        r_sum = r.sum()
        A_r = view.rmatvec(r) - shift * r_sum
        return np.concatenate((A_r, [r_sum])) if intercept else A_r

    def model(u, p):  # the model's value, up to a constant
        u_w = u[:d]
        penalty = l1 * np.abs(u_w).sum() + 0.5 * l2 * (u_w @ u_w)
        return grad @ (u - w) + 0.5 * (h @ (p * p)) + penalty

    tiny = 64 * np.finfo(w.dtype).eps  # the majorization test's slack
    solved = False
    u, p = w.copy(), np.zeros_like(h)
    u_old, p_old, t, value = u, p, 1.0, model(u, p)
    for _ in range(max_iter):
        t_new = (1 + math.sqrt(1 + 4 * t * t)) / 2
        beta = (t - 1) / t_new
        v, p_v = u + beta * (u - u_old), p + beta * (p - p_old)
        model_grad = grad + transpose(h * p_v)
        while True:
            z = v - model_grad / (L * D)
            u_new = np.where(penalized, penalty.prox(z, 1 / (L * D)), z)
            u_new[fixed] = w[fixed]
            p_new = image(u_new)
            move, r = u_new - v, p_new - p_v
            curvature = h @ (r * r)  # at most len(D) * |move|_D^2: unit diagonal
            if curvature <= L * (D @ (move * move)) * (1 + tiny) or L >= len(D):
                break
            L *= 2.0
        value_new = model(u_new, p_new)
        if value_new > value and beta > 0:  # momentum went uphill: restart at u
            u_old, p_old, t = u, p, 1.0
            continue
        u_old, p_old, u, p, t, value = u, p, u_new, p_new, t_new, value_new
        if (L * D * np.abs(move) <= tol).all():
            solved = True
            break
    delta = u - w
    if intercept:  # back from b' to the intercept of the centered data
        delta[d] -= shift @ delta[:d]
    return delta, p[:, None], L, solved
