r"""Exact solvers of quadratic objectives: :func:`conjugate_gradient` for the
squared error with an L2 penalty (scaled by the columns, or not: in the row
space of ``X``), :func:`kernel_cholesky` for it on few rows (one solve of
the kernel form), and :func:`feature_sign` for a lasso or
elastic net on a Gram matrix (an active-set method that guesses the signs of
the non-zero coefficients). Imports only numpy, LAPACK's LU solve
(through scipy) and the Newton module's factor (Cholesky, least-norm where
singular)."""

import numpy as np
from scipy.linalg.lapack import get_lapack_funcs

from ._newton import _factor
from ._result import OptimizeResult, _Observer, _optimality, _scale

# the proximal point's ridge on a singular active set (relative to each
# column's diagonal entry; at least a hundred ulps, for float32): above
# rounding, far below any curvature that the Newton step resolves
PROXIMAL_RIDGE = 1e-10
# features entering feature-sign's active set at once: the largest
# violations, BATCH_START at first, then twice as many after a step that
# took them all, as many as entered after one that did not; kept where the
# signed solve keeps their signs (BATCH_TRIALS solves at most)
BATCH_START = 16
BATCH_TRIALS = 3


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
    :func:`~sklearn_foundations.optimize.newton_cg`'s.

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
    p, rz, step = z, float(np.sum(r * z)), 0.0
    observe = _Observer("Iteration", callback, verbose)
    converged, it = False, 0
    optimality = _optimality(r, scale)
    for it in range(1, max_iter + 1):
        A_p = datafit.linear(p)
        Hp = hessian_product(p, A_p)
        pHp = float(np.sum(p * Hp))
        if pHp <= 0.0 or rz == 0.0:  # already at the minimizer
            converged = True
            break
        step = rz / pHp
        theta, A, r = theta + step * p, A + step * A_p, r - step * Hp
        F = datafit.value(theta, A) + penalty.value(theta)
        optimality = _optimality(r, scale)
        converged = optimality <= tol
        if observe(it, theta, F, optimality, step) or converged:
            break
        z = r / M
        rz_new = float(np.sum(r * z))
        p, rz = z + (rz_new / rz) * p, rz_new
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=converged, step=step, t=len(observe.objective) + 1, optimality=optimality,
        stopped=observe.stopped,
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


def feature_sign(datafit, penalty, theta0, *, max_iter, tol, callback=None,
                 verbose=0):  # fmt: skip
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
    those that did, so that a dense solution takes a few steps rather than
    one per non-zero coefficient. The data come through ``datafit.gram_form()``
    alone. The intercept, decoupled by centering, is set to its optimum
    by one gradient step (the gradient in it is :math:`b - \bar{y}`). Violations are measured in units of each column's scale,
    :math:`|\cdot| / \sqrt{G_{jj}}` (the datafit's metric), so that the
    feature added and the stopping test do not depend on the scales of the
    columns. Where :math:`H_{AA}` is singular (collinear columns) the step is
    a proximal point's, which runs along a null direction until a
    coefficient leaves :math:`A`. It stops when the largest violation
    (``penalty.subdiff_distance``) is at most ``tol``, or, unconverged, when
    no step lowers :math:`F` in floating point any more.

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
    G, q, c = datafit.gram_form()
    d, k = q.shape
    H = G + penalty.l2 * np.eye(d, dtype=G.dtype)
    theta = np.array(theta0, dtype=G.dtype)
    if datafit.fit_intercept:  # its gradient is b - mean(y): one exact step
        theta[d] -= datafit.gradient(theta, datafit.linear(theta))[d]
    observe = _Observer("Feature-sign step", callback, verbose)
    scale = _scale(datafit)[:d, 0]
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
        w, converged = signs_search(
            H, q[:, t], penalty.l1, theta[:d, t].copy(), scale, tol, budget,
            step_of(t),
        )  # fmt: skip
        theta[:d, t] = w
        if not converged:  # out of steps, stalled or stopped: the rest as they are
            break
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=converged, step=1.0, t=len(observe.objective) + 1, stopped=observe.stopped,
    )  # fmt: skip


def signs_search(H, q, l1, w, scale, tol, max_iter, on_step=None):
    r"""The steps of feature-sign search on :math:`F(w) = \tfrac12 w^\top H w
    - q^\top w + \lambda_1 \|w\|_1` from ``w`` (see :func:`feature_sign`),
    at most ``max_iter``: until every violation, in units of ``scale``, is
    at most ``tol``, or a step no longer lowers :math:`F` in floating point;
    ``on_step(w, F)`` after each step (less :math:`F`'s constant; True
    stops). The solves are equilibrated (:func:`_equilibrated_solve`: the
    columns' scales do not make an active set singular). Where the active
    set's :math:`H_{AA}` is singular or nearly so (collinear columns) the
    step is a proximal point's (:func:`_proximal_step`); where neither walk
    lowers :math:`F` as a feature enters, that feature's own exact step
    (:func:`_coordinate_step`). Returns ``w`` and whether it converged."""
    d = len(q)
    if d == 0:
        return w, True
    (gesv,) = get_lapack_funcs(("gesv",), (H,))  # np.linalg.solve's LU, unwrapped
    A = np.flatnonzero(w)  # w is zero off A: F and the steps live on A
    F_w = _value(H[A[:, None], A], q[A], l1, w[A]) if len(A) else 0.0
    converged = False
    ridge = _ridge(H)  # the smallest pivot of a Newton step; the proximal ridge
    diag = H.diagonal()  # the equilibration of every solve (its scales once)
    S = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    settled = False  # no step on A lowers F: A's part is as good as rounding allows
    most = BATCH_START  # features that may enter A at once
    for _ in range(max_iter):
        grad, signs = H @ w - q, np.sign(w)
        active = w != 0
        off = np.abs(grad + l1 * signs) / scale  # the violations on A
        right = off.max(where=active, initial=0.0) <= tol
        grow = right or settled
        entering = None
        if grow:  # the signs are right (or settled): grow A
            violation = (np.abs(grad) - l1) / scale
            violation[active] = 0.0
            j = int(violation.argmax())
            if violation[j] <= tol:
                converged = right
                break
            entering = _violators(violation, tol, most)
            signs[entering] = -np.sign(grad[entering])
        A, H_A, r_A, target, regular, entered = _signed_solve(
            gesv, H, q, l1, signs, active, entering, j if grow else None, ridge, S
        )
        if grow:  # twice as many next time where all entered, else as many
            most = 2 * most if entered == len(entering) else entered
        w_A, g_A = w[A], grad[A]
        v, change = w_A, 0.0
        if regular:  # LU's pivots above the ridge
            v, change = _lowest_on_segment(H_A, g_A, l1, w_A, target)
        if not change < 0:  # a singular active set: a proximal point's step
            v, change = _proximal_step(gesv, H_A, g_A, r_A, l1, w_A, ridge / S[A] ** 2)
        if not change < 0 and grow:  # the largest violation's own exact step
            A, v, change = _coordinate_step(H, grad, l1, w, j)
        if not change < 0:  # no decrease left in floating point: on a
            if grow:  # singular A the violations on it stop at a rounding
                break  # floor above tol; those off A may still be reduced
            settled = True
            continue
        settled = False
        w = np.zeros(d, dtype=H.dtype)
        w[A], F_w = v, F_w + change
        if on_step is not None and on_step(w, F_w):
            break
    return w, converged


def _coordinate_step(H, grad, l1, w, j):
    r"""The exact minimization of :math:`F` along the zero coefficient
    ``j`` alone, :math:`w_j = -\operatorname{sign}(g_j) (|g_j| - \lambda_1)
    / H_{jj}`, which lowers :math:`F` by :math:`(|g_j| - \lambda_1)^2 / (2
    H_{jj})`: the step of :func:`signs_search` where the signed solve's
    walk does not (an ill-conditioned active set, the entering feature's
    target of the wrong sign). Returns the active set with ``j``, the point
    on it and the change."""
    excess = abs(float(grad[j])) - l1
    if not (excess > 0 and H[j, j] > 0):
        return np.flatnonzero(w), w[w != 0], 0.0
    A = np.union1d(np.flatnonzero(w), [j])
    v = w[A]
    v[np.searchsorted(A, j)] = -np.sign(grad[j]) * excess / H[j, j]
    return A, v, -(excess**2) / (2 * float(H[j, j]))


def _violators(violation, tol, most):
    """The features whose violation exceeds ``tol``; the ``most`` largest
    of them where there are more."""
    over = np.flatnonzero(violation > tol)
    if len(over) > most:
        over = over[np.argpartition(-violation[over], most - 1)[:most]]
    return over


def _signed_solve(gesv, H, q, l1, signs, active, entering, j, ridge, S):
    r"""The active set :math:`A` and the solve of its signed quadratic,
    :math:`H_{AA} x = q_A - \lambda_1 \sigma_A`, with the features
    ``entering`` added to ``active``: all of them where the solution keeps
    every one's sign (then the step to it lowers :math:`F`, as one
    feature's does), else those that keep it, for at most
    ``BATCH_TRIALS`` solves, else the largest violation ``j`` alone (the
    step of Lee et al.). Returns ``A``, ``H_AA``, the right-hand side, the
    solution, whether it is regular (:func:`_equilibrated_solve`'s pivots
    above ``ridge``, the solves equilibrated by ``S``) and how many features
    entered."""
    for trial in range(BATCH_TRIALS + 1):
        if entering is not None and (trial == BATCH_TRIALS or len(entering) == 0):
            entering = np.array([j])
        on = active.copy()
        if entering is not None:
            on[entering] = True
        A = on.nonzero()[0]
        H_A, r_A = H[A[:, None], A], q[A] - l1 * signs[A]
        target, regular = _equilibrated_solve(gesv, H_A, r_A, ridge, S[A])
        if entering is None or len(entering) == 1:
            break
        if not regular:
            entering = entering[:0]  # singular: the one feature's step
            continue
        agree = target[np.searchsorted(A, entering)] * signs[entering] > 0
        if agree.all():
            break
        entering = entering[agree]
    entered = 0 if entering is None else len(entering)
    return A, H_A, r_A, target, regular, entered


def _equilibrated_solve(gesv, H_A, r_A, ridge, S):
    r"""The solution of :math:`H_{AA} x = r_A` by LU of the equilibrated
    :math:`S H_{AA} S`, ``S`` :math:`= \operatorname{diag}(H_{AA})^{-1/2}`
    (unit diagonal), and whether it is regular: every pivot above the
    relative ``ridge``. Measured in the columns' own units, so that a column
    a thousand times smaller than another is as regular as it (raw pivots
    against a ridge relative to the largest diagonal entry called every
    active set with columns of very different scales singular)."""
    lu, _, target, info = gesv(H_A * S * S[:, None], r_A * S, 1, 1)  # temporaries
    regular = info == 0 and np.abs(lu.diagonal()).min() > ridge
    return target * S, regular


def _ridge(H):
    """The proximal ridge, relative to each column's diagonal entry:
    ``PROXIMAL_RIDGE``, at least a hundred ulps of the dtype. A Newton step
    whose equilibrated LU factors have a pivot below it is not taken: its
    direction along the nearly null directions is rounding's, and differs
    between two runs on the same data."""
    return max(PROXIMAL_RIDGE, 100 * float(np.finfo(H.dtype).eps))


def _proximal_step(gesv, H_A, grad, r_A, l1, current, eps):
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
    if not np.all(eps > 0):
        return current, 0.0
    shifted = H_A + np.diag(eps)
    _, _, target, info = gesv(shifted, r_A + eps * current)
    if info != 0 or not np.all(np.isfinite(target)):
        return current, 0.0
    return _lowest_on_segment(H_A, grad, l1, current, target)


def _value(H_A, q_A, l1, v):
    r""":math:`F` less its constant at the point with ``v`` on the features
    :math:`A` and zeros elsewhere: :math:`\tfrac12 v^\top H_{AA} v - q_A^\top v
    + \alpha\rho \|v\|_1`."""
    return float(0.5 * v @ (H_A @ v) - q_A @ v + l1 * np.abs(v).sum())


def _lowest_on_segment(H_A, grad, l1, current, target):
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
    never compared."""
    step = target - current
    slope, curvature = float(grad @ step), float(step @ (H_A @ step))
    crossing = current * target < 0  # (a coefficient zero at the end: the end)
    if not crossing.any():  # the end alone; no sign changes: |x(t)| is linear,
        signs = np.sign(current + target)  # sign(x), or the end's where x is 0
        return target, slope + 0.5 * curvature + l1 * float(signs @ step)
    crossing = np.flatnonzero(crossing)
    t = current[crossing] / (current[crossing] - target[crossing])
    order = np.argsort(t)
    t = np.append(t[order], 1.0)
    norms, norm = np.abs(current + np.outer(t, step)).sum(axis=1), np.abs(current).sum()
    linear, quadratic = t * slope, 0.5 * t * t * curvature
    change = linear + quadratic + l1 * (norms - norm)
    # rounding of each change: a flat piece (a null direction on which the
    # norm does not change) ends the walk rather than rounding's sign
    rounding = (
        16
        * np.finfo(change.dtype).eps
        * (abs(linear) + abs(quadratic) + l1 * (norms + norm))
    )
    rises = np.flatnonzero(change[1:] >= change[:-1] - rounding[1:])
    k = int(rises[0]) if rises.size else len(t) - 1
    if k == len(t) - 1:
        return target, float(change[k])
    point = current + t[k] * step
    point[crossing[order[k]]] = 0.0
    return point, float(change[k])
