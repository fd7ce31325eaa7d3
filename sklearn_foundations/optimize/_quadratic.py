r"""Exact solvers of quadratic objectives: :func:`conjugate_gradient` for the
squared error with an L2 penalty (scaled by the columns, or not: in the row
space of ``X``), :func:`kernel_cholesky` for it on few rows (one solve of
the kernel form), and :func:`feature_sign` for a lasso or
elastic net on a Gram matrix, formed or kept as the rows' factor
(:class:`LowRank`; an active-set method that guesses the signs of the
non-zero coefficients: its steps here, the solves of its active sets in
``_gram_solves``, among them one Cholesky factor that the steps update,
:class:`_ActiveFactor`). Imports only numpy, LAPACK's LU factor (through
``_gram_solves``), the Newton module's factor (Cholesky, least-norm where
singular) and the package's ``penalties`` (the one-sided violation of
``positive``)."""

import numpy as np

from ..penalties import descent_magnitude
from ._gram_solves import (
    LowRank,
    _block,
    _potrs,
    _ridge,
    _Solves,
    _unit_factor,
)
from ._newton import _factor
from ._result import OptimizeResult, _Observer, _optimality, _scale

# features entering feature-sign's active set at once: the largest
# violations, BATCH_START at first, then twice as many after a step that
# took them all, as many as entered after one that did not; kept where the
# signed solve keeps their signs (BATCH_TRIALS solves at most)
BATCH_START = 16
BATCH_TRIALS = 3
# a cold search starts from least squares (_dense_start) where at least this
# share of the features violate at zero: the solution is then most often
# dense, and the batches from zero take a step or two per doubling
DENSE_START_SHARE = 0.75
# ... on at most this many features: its Cholesky factor (numpy's from 128
# features on) costs little beside the steps it saves (random lasso and
# elastic nets of 65-256 features, 1.2-30 rows per feature: 0.84x the time
# in geometric mean, 0.36-0.7x where the solution is dense, at most 1.14x
# where the check fails; from 257 to 500 features the failed checks' factors
# cost 1.05-1.24x and the geometric mean was 0.95x)
DENSE_START_MAX_FEATURES = 256
# feature-sign search on the rows' factor forms the Gram matrix where that
# costs at most this many flops (m d^2, about a millisecond): its steps on
# a dense matrix cost less in the interpreter than a LowRank one's blocks
# (measured 1.3-2x quicker searches at 5 x 30 to 50 x 200, slower from 100
# x 500 on)
GRAM_FORM_FLOPS = 2**22


def conjugate_gradient(datafit, penalty, theta0, *, max_iter, tol, start=None,
                       scaled=True, callback=None, verbose=0):  # fmt: skip
    r"""Conjugate gradient on a quadratic :math:`F(\theta) = \tfrac12 \theta^\top H
    \theta - b^\top \theta + c`, preconditioned by its diagonal (``scaled``)
    or not.

    With the residual :math:`r = -\nabla F(\theta)`, the diagonal
    :math:`M` of :math:`H` (the datafit's metric plus the penalty's curvature)
    and direction ``p``:

    .. math::

        \eta = \frac{r^\top M^{-1} r}{p^\top H p}, \quad
        \theta \leftarrow \theta + \eta p, \quad
        r \leftarrow r - \eta H p, \quad
        p \leftarrow M^{-1} r_{+} + \frac{r_{+}^\top M^{-1} r_{+}}{r^\top M^{-1} r} p,

    conjugate gradient on the coefficients of standardized columns, whose
    iterates do not depend on the scales of the columns. Unscaled
    (:math:`M = I`, CGLS with the ridge), the iterates from :math:`w = 0` stay
    in the row space of :math:`X_c`, where the ridge's minimizer lies
    (:math:`\alpha w = -X_c^\top S r`), and converge at the rate of
    :math:`X_c`'s non-zero singular values: on wide data (more features than
    samples) the scaled iteration also moves along the null space of
    :math:`X_c`, where only :math:`\alpha` pulls it back (for a small
    :math:`\alpha`, slowly: a large error in ``w`` under a small gradient),
    and with :math:`\alpha = 0` the unscaled one reaches the interpolant of
    least Euclidean norm, as gradient descent from zero does. The Hessian product
    is the datafit's ``hessian_product`` (the chain rule twice: one pass
    over the data, given :math:`A p` from the step's ``linear``). It stops when :math:`\max_j |r_j| / \sqrt{D_j}
    \le` ``tol``, the measure of the other solvers. ``start``: the datafit's
    ``(A, value, gradient)`` at ``theta0`` where known (no pass to begin), as
    :func:`~sklearn_foundations.optimize.newton_cg`'s; ``result.state`` holds
    them at the last iterate, as the steps updated them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import conjugate_gradient
    >>> from sklearn_foundations.penalties import L2
    >>> G = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> f = QuadraticDatafit(G, np.ones((2, 1)), None, 0.0, fit_intercept=False)
    >>> res = conjugate_gradient(f, L2(0.0), np.zeros((2, 1)), max_iter=10, tol=1e-12)
    >>> res.n_iter, res.coef.ravel()  # exact in n = 2 steps: G^{-1} 1
    (2, array([0.4, 0.2]))
    """
    theta = theta0
    if start is None:
        A = datafit.linear(theta)
        g = datafit.gradient(theta, A)
    else:
        A, _, g = start

    def hessian_product(p, A_p):  # the datafit's constant Hessian: one pass
        return datafit.hessian_product(A, p, A_p) + penalty.gradient(p)

    r = -(g + penalty.gradient(theta))
    scale = _scale(datafit)
    M = (scale**2 + penalty.gradient(np.ones_like(scale))).astype(r.dtype)
    if not scaled:
        M = np.ones_like(M)
    z = r / M
    p, rz, step = z, float((r * z).sum()), 0.0
    observe = _Observer("Iteration", callback, verbose)
    converged, it, value = False, 0, None
    optimality = _optimality(r, scale)
    for it in range(1, max_iter + 1):
        A_p = datafit.linear(p)
        Hp = hessian_product(p, A_p)
        pHp = float((p * Hp).sum())
        if pHp <= 0.0 or rz == 0.0:  # already at the minimizer
            converged = True
            break
        step = rz / pHp
        theta, A, r = theta + step * p, A + step * A_p, r - step * Hp
        value = datafit.value(theta, A)
        F = value + penalty.value(theta)
        optimality = _optimality(r, scale)
        converged = optimality <= tol
        if observe(it, theta, F, optimality, step) or converged:
            break
        z = r / M
        rz_new = float((r * z).sum())
        p, rz = z + (rz_new / rz) * p, rz_new
    if value is None:  # no step taken: the start's
        value = datafit.value(theta, A)
    # the last predictor and gradient, as the steps updated them
    state = (A, value, -r - penalty.gradient(theta))
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=converged, step=step, t=len(observe.objective) + 1, optimality=optimality,
        stopped=observe.stopped, state=state,
    )  # fmt: skip


def kernel_cholesky(datafit, penalty, theta0, *, max_iter, tol, start=None,
                    callback=None, verbose=0):  # fmt: skip
    r"""Ridge and least squares on fewer rows than features, exactly: one
    Cholesky solve of the kernel form.

    With :math:`B = S^{1/2} X_c` and :math:`T = S^{1/2} Y_c` (the
    datafit's ``kernel_form()``) the objective :math:`\tfrac12 \|T - B
    W\|^2 + \tfrac{\lambda}{2} \|W\|^2` (:math:`\lambda` the penalty's L2
    term) is minimized by

    .. math::

        W = B^\top U, \qquad (B B^\top + \lambda I)\, U = T,

    the push-through identity :math:`(B^\top B + \lambda I)^{-1} B^\top =
    B^\top (B B^\top + \lambda I)^{-1}`: an ``m x m`` system for ``m``
    rows instead of one of the features' size, factored once for every
    target. For :math:`\lambda = 0` the factor of the singular
    :math:`B B^\top` (centering removes a dimension) is the pivoted one, and
    :math:`W = B^+ T`, the interpolant of least norm (LinearRegression's).
    The intercept, decoupled by centering, is set by one gradient step.
    Conjugate gradient reaches the same point only to ``tol``, at the rate of
    the smallest singular values of :math:`B` (a small :math:`\lambda`: a
    large error in :math:`W` under a small gradient). Reports its one step
    and whether the optimality (measured as the other solvers') is at most
    ``tol``: rounding on a matrix near singular may leave it above (the
    table then goes on with conjugate gradient from there). ``start`` and
    ``max_iter`` are not read.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> from sklearn_foundations.optimize import kernel_cholesky
    >>> from sklearn_foundations.penalties import L2
    >>> X, y = np.array([[1.0, 1.0, 0.0]]), np.array([[2.0]])
    >>> f = LinearDatafit(HalfSquaredError(), X, y, np.ones(1))
    >>> res = kernel_cholesky(f, L2(0.0), np.zeros((3, 1)), max_iter=1, tol=1e-12)
    >>> res.coef.ravel(), res.converged  # the least-norm w with x w = 2
    (array([1., 1., 0.]), True)
    """
    K, T, transpose = datafit.kernel_form()
    l2 = penalty.l2
    diagonal = K.diagonal() + l2
    precond = np.where(diagonal > 0, diagonal, 1.0)[:, None]
    solve = _factor(K, l2, precond)
    d, k = datafit.n_features, T.shape[1]
    theta = np.zeros_like(theta0)
    if solve is not None and len(K):
        U = np.column_stack([solve(T[:, [t]])[:, 0] for t in range(k)])
        theta[:d] = transpose(U)
    A = datafit.linear(theta)
    g = datafit.gradient(theta, A)
    if datafit.fit_intercept:  # its gradient is b - mean(y): one exact step
        theta[d] = -g[d]
        A += theta[d]
        g[d] = 0.0
    observe = _Observer("Kernel solve", callback, verbose)
    value = datafit.value(theta, A)
    optimality = _optimality(g + penalty.gradient(theta), _scale(datafit))
    observe(1, theta, value + penalty.value(theta), optimality, 1.0)
    return OptimizeResult(
        coef=theta, n_iter=1, objective=observe.objective,
        converged=optimality <= tol, step=1.0, t=2, optimality=optimality,
        stopped=observe.stopped, state=(A, value, g),
    )  # fmt: skip


def feature_sign(datafit, penalty, theta0, *, max_iter, tol, start=None,
                 callback=None, verbose=0, finish=True):  # fmt: skip
    r"""Lasso and elastic net on a Gram matrix, exactly: feature-sign search.

    For each target of a :class:`~sklearn_foundations.datafits.QuadraticDatafit`
    (the targets are independent problems that share :math:`G`, searched one
    after another, ``max_iter`` steps in all) the objective is, with
    :math:`H = G + \alpha(1-\rho) I`,

    .. math::

        F(w) = \tfrac12 w^\top H w - q^\top w + \alpha\rho \|w\|_1 + c.

    Once the signs :math:`\sigma` of the non-zero coefficients :math:`A` are
    known it is a quadratic, minimized by one linear solve,
    :math:`H_{AA} w_A = q_A - \alpha\rho\,\sigma_A`. Feature-sign search
    (Lee, Battle, Raina and Ng, 2007) guesses them: it adds to :math:`A` the
    zero coefficient whose gradient most exceeds :math:`\alpha\rho` (with
    the sign that lowers :math:`F`), solves, and walks from the current
    :math:`w` towards the solution, stopping at the point of lowest :math:`F`
    among the solution and the points where a coefficient crosses zero (that
    coefficient leaves :math:`A`). :math:`F` decreases at every step and no
    sign pattern repeats, so it ends, exactly optimal; each step costs a
    solve of size :math:`|A|` and a gradient :math:`O(d^2)`. Here several
    of the largest violations enter at once where the solve keeps the sign
    of each (the walk then lowers :math:`F` as for one feature): a batch of
    16 at first, doubled after a step that all of it entered, else cut to
    those that did (16 again for the violators below a loose ``tol``, past
    it), so that a dense solution takes a few steps rather than
    one per non-zero coefficient; and where a walk stops short of its
    target, every feature whose sign the target reversed leaves :math:`A`
    at the next step (:func:`_without_crossed`), where Lee et al. drop one
    per solve. A cold start whose solution looks dense begins at least
    squares, every feature active (:func:`_dense_start`): the first walk
    drops the features whose signs the penalty reverses. On an active set
    of more than ``FACTOR_MIN_SIZE`` features the solves come from one
    Cholesky factor kept over the steps
    (:class:`_ActiveFactor`: the entering features appended, the leaving
    ones held at zero), :math:`O(|A|^2)` per step where an LU of each
    active set's block costs :math:`\tfrac23 |A|^3` (a 1,000 x 600 lasso of
    460 non-zeros: 36 solves, 25 ms, against 11 ms from the factor).
    The data come through ``datafit.gram_form()``, or, where
    there is none (the data themselves, dense), ``datafit.factor_form()``:
    on fewer rows than features :math:`G = B^\top B` is kept as its
    factor (:class:`LowRank`: products of :math:`2md` flops, the active
    set's block from the Gram entries of the features seen so far, and
    Woodbury's solves on an active set of more than twice the rows), where
    forming it would cost :math:`m d^2`. The intercept, decoupled by centering, is set to its optimum
    by one gradient step (the gradient in it is :math:`b - \bar{y}`; the
    caller's ``start``, the datafit's ``(Z, value, gradient)`` at ``theta0``,
    where given: no pass over the data). Violations are measured in units of each column's scale,
    :math:`|\cdot| / \sqrt{G_{jj}}` (the datafit's metric), so that the
    feature added and the stopping test do not depend on the scales of the
    columns. Where :math:`H_{AA}` is singular (collinear columns) the step is
    a proximal point's, which runs along a null direction until a
    coefficient leaves :math:`A`. It has converged once the largest
    violation (``penalty.subdiff_distance``) is at most ``tol``, and then
    goes on, while its steps lower :math:`F`, to the rounding floor
    :math:`16 \epsilon \sqrt{2c}` (every violation in column units is at
    most the centered targets' RMS): the violators that ``tol`` leaves out,
    small, take a few steps more (a weak lasso on correlated wide data: 5-30%
    more time, where they held :math:`F` 1e-4 to 1e-3 above its optimum),
    so that the answer is the exact one whatever ``tol`` and whatever form
    the data come in (``finish=False`` stops at ``tol``: a path's fits, whose
    points serve to compare alphas). Unconverged, it stops where no step
    lowers :math:`F` in floating point any more, or where a step returns to
    a point met before (two changes of -1e-30 beside :math:`F` of 10).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import feature_sign
    >>> from sklearn_foundations.penalties import L1
    >>> G, q = np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[3.0], [0.5]])
    >>> f = QuadraticDatafit(G, q, None, 0.0, fit_intercept=False)
    >>> res = feature_sign(f, L1(1.0), np.zeros((2, 1)), max_iter=10, tol=1e-12)
    >>> res.coef.ravel(), res.n_iter  # w_1 = (3 - 1) / 2, w_2 stays 0
    (array([1., 0.]), 1)
    """
    H, q, c = _quadratic_form(datafit, penalty.l2)
    d, k = q.shape
    theta = np.array(theta0, dtype=H.dtype)
    _intercept_step(datafit, theta, start)
    observe = _Observer("Feature-sign step", callback, verbose)
    scale = _scale(datafit)[:d, 0]
    # converged at tol, on to the rounding floor: every violation in column
    # units is at most the centered targets' RMS, sqrt(2c) (Cauchy-Schwarz)
    finish = 16 * np.finfo(H.dtype).eps * np.sqrt(2 * max(c, 0.0)) if finish else None
    # each target's part of F less the constant (the targets are apart: G is
    # shared, q is each one's), so that each step reports the whole F; the
    # first target's is set by its first step, before any report
    F = np.zeros(k)
    for t in range(1, k):
        F[t] = _value(H, q[:, t], penalty.l1, theta[:d, t])

    def step_of(t):
        def step(w, F_w):  # one objective value per step (the intercept's: 0)
            theta[:d, t], F[t] = w, F_w  # a copy for a callback's state
            state = theta if observe.callback is None else theta.copy()
            return observe(len(observe.objective) + 1, state, F.sum() + c, np.nan, 1.0)

        return step

    for t in range(k):  # one search per target, max_iter steps in all
        budget = max_iter - len(observe.objective)
        w = theta[:d, t].copy()
        if not (w.any() or penalty.positive):  # a cold start: from zero, or
            w = _dense_start(H, q[:, t], penalty.l1, w)  # least squares
        w, converged = signs_search(
            H, q[:, t], penalty.l1, w, scale, tol, budget,
            step_of(t), positive=penalty.positive, finish=finish,
        )  # fmt: skip
        theta[:d, t] = w
        if not converged:  # out of steps, stalled or stopped: the rest as they are
            break
    return OptimizeResult(
        coef=theta.astype(datafit.dtype, copy=False), n_iter=len(observe.objective),
        objective=observe.objective, converged=converged, step=1.0,
        t=len(observe.objective) + 1, stopped=observe.stopped,
    )  # fmt: skip


def _dense_start(H, q, l1, zero):
    r"""Feature-sign search's cold start: the least-squares point
    :math:`H^{-1} q`, every feature active with its signs, where the
    solution looks dense, else ``zero``. From zero the features enter in
    batches that the solves cut to those keeping their signs, a step or two
    for each doubling: a weak penalty's dense solution took 6-11 steps
    (1,000 x 20 at alpha=0.01, all 20 non-zero; a Toeplitz 0.9 design of
    40 columns, 39); from least squares the first walk drops the features
    whose signs the penalty reverses, 1-3 steps. Taken where at least
    ``DENSE_START_SHARE`` of the features violate at zero (:math:`|q_j| >
    \lambda_1`) and keep their signs in the first step's target,
    :math:`H^{-1} (q - \lambda_1 \operatorname{sign}(w))` (a second solve),
    where :math:`F` is lower there than at zero, :math:`F =
    -\tfrac12 q^\top w + \lambda_1 \|w\|_1 < 0` (:math:`H w = q`; the
    reports then start below the zero start's), and on a dense ``H`` of at
    most ``DENSE_START_MAX_FEATURES`` features whose equilibrated Cholesky
    factor is regular (every pivot above the ridge, as the search's solves
    test theirs; collinear columns without an L2 term start from zero). A
    sparse solution starts from zero: on a 300 x 100 lasso of 20-odd
    non-zeros whose every feature violated at zero, the walks from least
    squares dropped the others a few at a time, 55 steps against 4."""
    d = len(q)
    if isinstance(H, LowRank) or d > DENSE_START_MAX_FEATURES or d == 0:
        return zero
    if np.count_nonzero(np.abs(q) > l1) < DENSE_START_SHARE * d:
        return zero
    diag = H.diagonal()
    if not (diag > 0).all():
        return zero
    S = 1.0 / np.sqrt(diag)  # one factor of S H S for both solves
    U = _unit_factor(H * S * S[:, None], _ridge(H.dtype))
    if U is None:
        return zero  # singular, as _equilibrated_solve's test
    potrs = _potrs(H.dtype)

    def solve(r):
        return potrs(U, r * S, lower=0)[0] * S

    w = solve(q)
    if not (np.isfinite(w).all() and -0.5 * (q @ w) + l1 * np.abs(w).sum() < 0):
        return zero
    signs = np.sign(w)  # the first step's target keeps most of them
    kept = np.count_nonzero(np.sign(solve(q - l1 * signs)) == signs)
    return w if kept >= DENSE_START_SHARE * d else zero


def _intercept_step(datafit, theta, start=None):
    r"""The intercept of the squared error, decoupled by centering, set to
    its optimum in place by one exact step (its gradient is :math:`b -
    \bar{y}`, its curvature 1), read from the caller's ``start`` (the
    datafit's ``(Z, value, gradient)`` at ``theta``) where given, else from
    one pass for the predictor and one for the gradient."""
    if not datafit.fit_intercept:
        return
    grad = start[2] if start is not None else None
    if grad is None:
        grad = datafit.gradient(theta, datafit.linear(theta))
    theta[-1] -= grad[-1]


def _quadratic_form(datafit, l2):
    r"""``(H, q, c)`` of :func:`feature_sign`'s objective, :math:`H = G +
    \lambda_2 I`: from the Gram form, or from the rows' factor
    (``datafit.factor_form()``: :math:`G = B^\top B`, :math:`q = B^\top
    T`, :math:`c = \tfrac12 \|T\|^2`), on fewer rows than features as a
    :class:`LowRank` matrix, never formed (but where forming it costs at
    most ``GRAM_FORM_FLOPS``)."""
    form = datafit.gram_form()
    if form is not None:
        G, q, c = form
        return _shifted(G, l2), q, c
    B, T = datafit.factor_form()
    q, c = B.T @ T, 0.5 * float((T * T).sum())
    m, d = B.shape
    if m >= d or m * d * d <= GRAM_FORM_FLOPS:  # the Gram matrix, formed
        G = B.T @ B
        G.flat[:: d + 1] += l2  # the diagonal
        return G, q, c
    return LowRank(B, l2), q, c


def _shifted(G, l2):
    r""":math:`G + \lambda_2 I`: ``G`` itself (read, never written) without
    an L2 term."""
    if l2 == 0:
        return G
    H = G.copy()
    H.flat[:: len(H) + 1] += l2  # the diagonal
    return H


def signs_search(
    H, q, l1, w, scale, tol, max_iter, on_step=None, positive=False, finish=None
):
    r"""The steps of feature-sign search on :math:`F(w) = \tfrac12 w^\top H w
    - q^\top w + \lambda_1 \|w\|_1` from ``w`` (see :func:`feature_sign`),
    at most ``max_iter``: until every violation, in units of ``scale``, is
    at most ``tol``, or a step no longer lowers :math:`F` in floating point
    or returns to a point met before (rounding's cycle);
    with ``finish`` (below ``tol``), converged there, it goes on to
    ``finish`` while its steps lower :math:`F` (the exact answer, where
    ``tol`` would leave small violators out);
    ``on_step(w, F)`` after each step (less :math:`F`'s constant; True
    stops). The solves are equilibrated (:func:`_equilibrated_solve`: the
    columns' scales do not make an active set singular). Where the active
    set's :math:`H_{AA}` is singular or nearly so (collinear columns) the
    step is a proximal point's (:func:`_proximal_step`); where neither walk
    lowers :math:`F` as a feature enters, that feature's own exact step
    (:func:`_coordinate_step`) (:func:`_signed_step`); after a walk that
    stopped short of its target, the step without every feature whose sign
    the target reversed, where it lowers :math:`F` (:func:`_without_crossed`).
    ``H`` is a dense matrix or a :class:`LowRank` one (whose steps that only
    drop features compute the gradient on the active set alone). With
    ``positive`` (``w`` non-negative) only a negative gradient past
    :math:`\lambda_1` violates off :math:`A`, so every feature enters with a
    positive sign, and the walks, which stop where a coefficient reaches
    zero, keep ``w`` non-negative. Returns ``w`` and whether it
    converged."""
    d = len(q)
    if d == 0:
        return w, True
    A = w.nonzero()[0]  # w is zero off A: F and the steps live on A
    F_w = 0.0  # F less its constant, for the reports alone
    if len(A) and on_step is not None:
        F_w = _value(_block(H, A), q[A], l1, w[A])
    converged = False
    diag = H.diagonal()
    solves = _Solves(H, diag)  # equilibrated, a factor kept over the steps
    settled = False  # no step on A lowers F: A's part is as good as rounding allows
    most = BATCH_START  # features that may enter A at once
    crossed = np.zeros(d, dtype=bool)  # the last walk's reversed features
    # the points met: in exact arithmetic F falls at every step and none
    # repeats; in floating point near the optimum two steps can each compute a
    # change of -1e-30 beside F of 10 and return to each other (a BLAS's
    # rounding: 499 steps of max_iter's 500 for what takes 2): the hashes of
    # the steps' points, their active sets and values (a step is a function
    # of the point it starts from, so a cycle repeats the same ones)
    seen = set()
    for _ in range(max_iter):
        signs, active = np.sign(w), w != 0
        grad = _gradient_on(H, q, w, active)
        off = np.abs(grad + l1 * signs) / scale  # the violations on A
        right = off.max(where=active, initial=0.0) <= tol
        grow = right or settled
        entering = None
        if grow:  # the signs are right (or settled): grow A
            if isinstance(H, LowRank):  # the whole gradient, for those off A
                grad = H @ w - q
            violation = (descent_magnitude(grad, positive) - l1) / scale
            violation[active] = 0.0
            j = int(violation.argmax())
            if violation[j] <= tol:
                converged = converged or right
                if not (right and finish is not None and finish < tol):
                    break
                tol, finish = finish, None  # converged: on to the exact answer
                # the violators below the old tol were never tried: their
                # batches start anew (the doublings of a loose tol's few
                # violators at a time had grown it past what holds its signs)
                most = min(most, BATCH_START)
                if violation[j] <= tol and off.max(where=active, initial=0.0) <= tol:
                    break
                continue  # the next step's test, at the new tol
            entering = _violators(violation, tol, most)
            signs[entering] = -np.sign(grad[entering])
        step = None
        if not grow and (crossed & active).any():  # they leave A at once
            step = _without_crossed(
                solves, H, q, l1, signs, active, crossed, grad, w, positive
            )
        if step is None:
            step, entered = _signed_step(
                solves, H, q, l1, signs, active, entering, j if grow else None,
                grad, w, diag, positive,
            )  # fmt: skip
            if grow:  # twice as many next time where all entered, else as many
                most = 2 * most if entered == len(entering) else entered
        if step is None:  # no decrease left in floating point: on a singular
            if grow:  # A the violations on it stop at a rounding floor
                break  # above tol; those off A may still be reduced
            settled = True
            continue
        A, target, v, change = step
        settled = False
        # where the walk stopped short of the solve's target, the features
        # whose signs the target reversed, non-zero at the point (those not
        # yet at zero and those past it): they leave A next
        crossed = np.zeros(d, dtype=bool)
        if target is not None:
            crossed[A] = (w[A] * target < 0) & (v != 0)
        point = hash(A.tobytes() + v.tobytes())
        if point in seen:  # a point met before: rounding's cycle
            break
        seen.add(point)
        w = np.zeros(d, dtype=H.dtype)
        w[A], F_w = v, F_w + change
        if on_step is not None and on_step(w, F_w):
            break
    return w, converged


def _gradient_on(H, q, w, active):
    r"""The gradient :math:`H w - q` of :func:`signs_search`'s quadratic:
    everywhere for a dense ``H``; for a :class:`LowRank` one on the
    ``active`` features alone, :math:`B_A^\top B_A w_A + e_A w_A - q_A`
    (NaN elsewhere), :math:`2 m |A|` flops where the whole costs a pass
    over ``B`` (the steps that only drop features read no more)."""
    if not isinstance(H, LowRank):
        return H @ w - q
    A = active.nonzero()[0]
    grad = np.full(len(q), np.nan, dtype=H.dtype)
    grad[A] = _block(H, A) @ w[A] - q[A]
    return grad


def _signed_step(
    solves, H, q, l1, signs, active, entering, j, grad, w, diag, positive=False
):
    r"""A step of Lee et al. in :func:`signs_search`: the signed solve on
    the active set with the features ``entering`` (:func:`_signed_solve`)
    and the walk towards it (:func:`_lowest_on_segment`); where that does
    not lower :math:`F` (a singular or ill-conditioned active set), a
    proximal point's step (:func:`_proximal_step`), then, where features
    enter, the largest violation ``j``'s own exact step
    (:func:`_coordinate_step`). Returns ``(A, target, point, change)``
    (the target None but for the Newton walk's), or None where no step
    lowers :math:`F`; and how many features entered. ``positive``: the walks
    end where a coefficient reaches zero (:func:`_lowest_on_segment`)."""
    A, r_A, target, regular, entered = _signed_solve(
        solves, q, l1, signs, active, entering, j
    )
    w_A, g_A = w[A], grad[A]
    if regular:  # every pivot above the ridge
        v, change = _lowest_on_segment(solves.on(A), g_A, l1, w_A, target, positive)
        if change < 0:
            return (A, target, v, change), entered
    eps = solves.ridge / solves.S[A] ** 2
    v, change = _proximal_step(
        solves.gesv, solves.block(A), g_A, r_A, l1, w_A, eps, positive
    )
    if not change < 0 and j is not None:
        A, v, change = _coordinate_step(diag, grad, l1, w, j)
    return ((A, None, v, change) if change < 0 else None), entered


def _without_crossed(solves, H, q, l1, signs, active, crossed, grad, w, positive):
    r"""The step of :func:`signs_search` after a walk that stopped where a
    coefficient crossed zero, short of a target that reversed the signs of
    the ``crossed`` features as well (non-zero at the walk's point, before
    their crossing or past it): the solve on the active set without all of
    them, and the walk over the active set towards it (the crossed
    features going to zero). Where a batch of features entered and
    reversed tens of others, Lee et al.'s steps drop one per solve (the
    walk's lowest point at its first crossing; measured: 142 solves on a
    200 x 5,000 elastic net, 46 with this step). Returns ``A``, the
    target, the walk's point and its change where that lowers :math:`F`,
    else None (the caller takes Lee et al.'s step)."""
    A_s, _, target_s, regular, _ = _signed_solve(
        solves, q, l1, signs, active & ~crossed, None, None
    )
    if not regular:
        return None
    A = active.nonzero()[0]
    target = np.zeros(len(A), dtype=H.dtype)
    target[np.searchsorted(A, A_s)] = target_s
    v, change = _lowest_on_segment(solves.on(A), grad[A], l1, w[A], target, positive)
    return (A, target, v, change) if change < 0 else None


def _coordinate_step(diag, grad, l1, w, j):
    r"""The exact minimization of :math:`F` along the zero coefficient
    ``j`` alone, :math:`w_j = -\operatorname{sign}(g_j) (|g_j| - \lambda_1)
    / H_{jj}`, which lowers :math:`F` by :math:`(|g_j| - \lambda_1)^2 / (2
    H_{jj})`: the step of :func:`signs_search` where the signed solve's
    walk does not (an ill-conditioned active set, the entering feature's
    target of the wrong sign). Returns the active set with ``j``, the point
    on it and the change."""
    excess = abs(float(grad[j])) - l1
    h_jj = float(diag[j])  # H's diagonal entry
    if not (excess > 0 and h_jj > 0):
        return np.flatnonzero(w), w[w != 0], 0.0
    A = np.union1d(np.flatnonzero(w), [j])
    v = w[A]
    v[np.searchsorted(A, j)] = -np.sign(grad[j]) * excess / h_jj
    return A, v, -(excess**2) / (2 * h_jj)


def _violators(violation, tol, most):
    """The features whose violation exceeds ``tol``; the ``most`` largest
    of them where there are more."""
    over = (violation > tol).nonzero()[0]
    if len(over) > most:
        over = over[np.argpartition(-violation[over], most - 1)[:most]]
    return over


def _signed_solve(solves, q, l1, signs, active, entering, j):
    r"""The active set :math:`A` and the solve of its signed quadratic,
    :math:`H_{AA} x = q_A - \lambda_1 \sigma_A`, with the features
    ``entering`` added to ``active``: all of them where the solution keeps
    every one's sign (then the step to it lowers :math:`F`, as one
    feature's does), else those that keep it, for at most
    ``BATCH_TRIALS`` solves, else the largest violation ``j`` alone (the
    step of Lee et al.). Returns ``A``, the right-hand side, the solution,
    whether it is regular (:class:`_Solves`: every pivot above the ridge)
    and how many features entered."""
    for trial in range(BATCH_TRIALS + 1):
        if entering is not None and (trial == BATCH_TRIALS or len(entering) == 0):
            entering = np.array([j])
        on = active.copy()
        if entering is not None:
            on[entering] = True
        A = on.nonzero()[0]
        r_A = q[A] - l1 * signs[A]
        target, regular = solves(A, r_A)
        if entering is None or len(entering) == 1:
            break
        if not regular:
            entering = entering[:0]  # singular: the one feature's step
            continue
        agree = target[A.searchsorted(entering)] * signs[entering] > 0
        if agree.all():
            break
        entering = entering[agree]
    entered = 0 if entering is None else len(entering)
    return A, r_A, target, regular, entered


def _proximal_step(gesv, H_A, grad, r_A, l1, current, eps, positive=False):
    r"""The step of :func:`signs_search` where the active set's :math:`H_{AA}`
    is singular or nearly so (collinear columns; :func:`_ridge`), or the
    Newton step does not lower :math:`F`. The target is then the
    proximal point :math:`\arg\min_x Q(x) + \tfrac{\epsilon}{2} \|x -
    x_0\|_D^2` of the signed quadratic :math:`Q(x) = \tfrac12 x^\top H_{AA} x
    - r_A^\top x` from the current point :math:`x_0`, :math:`\epsilon`
    the ridge of :func:`_ridge` and :math:`D` the diagonal of
    :math:`H_{AA}` (each column's own scale; ``eps`` is :math:`\epsilon D`): a
    descent direction of :math:`Q`, far along a null direction on which
    :math:`Q` slopes, where the segment's search stops at the first
    coefficient that crosses zero (it leaves the active set). Returns
    :func:`_lowest_on_segment`'s point and change, or a change of 0 where
    even that solve fails."""
    if not (eps > 0).all():
        return current, 0.0
    rhs = r_A + eps * current
    if isinstance(H_A, LowRank) and H_A.woodbury:
        target, info = H_A.solve(rhs, eps), 0
    else:
        dense = H_A.dense() if isinstance(H_A, LowRank) else H_A
        _, _, target, info = gesv(dense + np.diag(eps), rhs)
    if info != 0 or not np.isfinite(target).all():
        return current, 0.0
    return _lowest_on_segment(H_A, grad, l1, current, target, positive)


def _value(H_A, q_A, l1, v):
    r""":math:`F` less its constant at the point with ``v`` on the features
    :math:`A` and zeros elsewhere: :math:`\tfrac12 v^\top H_{AA} v - q_A^\top v
    + \alpha\rho \|v\|_1`."""
    return float(0.5 * v @ (H_A @ v) - q_A @ v + l1 * np.abs(v).sum())


def _lowest_on_segment(H_A, grad, l1, current, target, positive=False):
    r"""The point of lowest :math:`F`, and :math:`F`'s change from
    ``current`` to it, among the end ``target`` of the segment from
    ``current`` (both on the features :math:`A`; ``grad`` is
    :math:`H_{AA} x - q_A` at ``current``) and the points where a
    coefficient crosses zero (set to zero exactly there).

    Along the segment :math:`x(t) = x + t\,d`, :math:`d = \text{target} -
    x`, the change is :math:`t\,\nabla^\top d + \tfrac{t^2}{2} d^\top H_{AA}
    d + \lambda_1 (\|x(t)\|_1 - \|x\|_1)`: computed as a change (not a
    difference of two values of :math:`F`, which loses the small decreases
    near the optimum) and convex in :math:`t`, so the points in the order of
    :math:`t` fall to the lowest and rise after it: the first whose successor
    is not lower by more than its rounding is taken, and the points beyond
    it (far along a nearly null direction, where rounding dominates) are
    never compared. With ``positive`` (``current`` non-negative) the walk
    ends at the first point where a coefficient reaches zero, beyond which
    it would leave the feasible set (:func:`_feasible_part`)."""
    step = target - current
    slope, curvature = float(grad @ step), float(step @ (H_A @ step))
    if positive:
        return _feasible_part(slope, curvature, l1, current, target, step)
    # the coefficients that cross zero (one zero at the end: the end)
    crossing = (current * target < 0).nonzero()[0]
    if not len(crossing):  # the end alone; no sign changes: |x(t)| is linear,
        signs = np.sign(current + target)  # sign(x), or the end's where x is 0
        return target, slope + 0.5 * curvature + l1 * float(signs @ step)
    at = current[crossing]
    t = at / (at - target[crossing])
    order = t.argsort()
    t = np.concatenate((t[order], [1.0]))
    norms = np.abs(current + t[:, None] * step).sum(axis=1)
    norm = np.abs(current).sum()
    linear, quadratic = t * slope, 0.5 * t * t * curvature
    change = linear + quadratic + l1 * (norms - norm)
    # rounding of each change: a flat piece (a null direction on which the
    # norm does not change) ends the walk rather than rounding's sign
    rounding = (
        16
        * np.finfo(change.dtype).eps
        * (abs(linear) + abs(quadratic) + l1 * (norms + norm))
    )
    rises = (change[1:] >= change[:-1] - rounding[1:]).nonzero()[0]
    k = int(rises[0]) if len(rises) else len(t) - 1
    if k == len(t) - 1:
        return target, float(change[k])
    point = current + t[k] * step
    point[crossing[order[k]]] = 0.0
    return point, float(change[k])


def _feasible_part(slope, curvature, l1, current, target, step):
    r""":func:`_lowest_on_segment` held to :math:`x(t) \ge 0`: the walk's end
    :math:`t^* = \min(1, \min_{d_j < 0} x_j / -d_j)`, the coefficients that
    reach zero there set to zero exactly, and the change to it, :math:`t^*
    \nabla^\top d + \tfrac{t^{*2}}{2} d^\top H_{AA} d + \lambda_1 t^*
    1^\top d` (the norm is linear on the feasible set). The target
    minimizes the quadratic of its signs, so :math:`F` falls all the way to
    :math:`t^*`; a coefficient at zero that the step would make negative
    gives :math:`t^* = 0` (no change: the caller steps otherwise)."""
    down = step < 0
    if not down.any():
        return target, slope + 0.5 * curvature + l1 * float(step.sum())
    t = current[down] / -step[down]
    end = float(t.min())
    if end >= 1.0:
        return target, slope + 0.5 * curvature + l1 * float(step.sum())
    if not end > 0:
        return current, 0.0
    point = current + end * step
    point[np.flatnonzero(down)[t <= end]] = 0.0
    point = np.maximum(point, 0.0)  # rounding of the others' last bits
    change = end * slope + 0.5 * end * end * curvature + l1 * end * float(step.sum())
    return point, change
