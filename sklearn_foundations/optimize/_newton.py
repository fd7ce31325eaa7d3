r"""Second-order solvers of smooth objectives: :func:`lbfgs` (a quasi-Newton
direction from the last gradient differences) and :func:`newton_cg`
(truncated Newton, each step a conjugate-gradient solve with Hessian-vector
products), :func:`newton_cholesky` (each step a direct solve of the formed
Hessian, for few features), all with Armijo backtracking (:func:`_backtrack`, shared with
:func:`~sklearn_foundations.optimize.prox_newton`). Imports only numpy and
LAPACK's Cholesky factors (through numpy and scipy)."""

import math
from collections import deque

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs, dpstrf, dtrtrs, spotrf

from ._result import OptimizeResult, _Observer, _optimality, _scale

# the direct steps also begin once conjugate gradient has spent this many
# times ``direct_after`` products in a fit: forming the Hessian would have
# paid, and a path's next points keep it
AMORTIZED = 4
# a pivot of the Cholesky factor of the Hessian scaled to unit diagonal whose
# square is below RANK_ULPS * (rows) float64 ulps: a direction the Hessian
# does not resolve (collinear columns, exactly or within its rounding, which
# measured up to 60 rows' ulps on one-hot columns with an intercept); the
# steps are then the least-norm ones. float64's for a float32 Hessian too
# (large float32 data): float32's would take well-resolved directions for
# null ones (1000 rows' ulps is 0.012 on 101 rows)
RANK_ULPS = 1000
# from this many rows on the Hessian is factored by numpy's LAPACK, below by
# scipy's (a few microseconds less a call): scipy's BLAS is a library apart
# from numpy's, whose threads, spinning for a while after numpy's last
# product, took the cores from its threaded factor (measured 2.6 ms against
# numpy's 0.6 ms on 201 rows, 101 ms against 2.2 ms on 401); scipy's factor
# runs threaded from 128 rows (after a numpy product, 200 factors of 128
# rows: a median of 0.13 ms, a tenth of them over 3.9 ms, the slowest 100
# ms; numpy's 0.15 ms, at most 0.22; of 127 rows, scipy's at most 0.20 ms)
NUMPY_FACTOR_MIN_ROWS = 128
_EPS = float(np.finfo(np.float64).eps)
# converged at tol, the Newton methods go on towards tol**2 (``finish``), at
# most this many steps: one about squares the error (breast_cancer's
# coefficients 7e-4 -> 6e-7 off, relative; a second took them to 5e-13 at
# 1.2x the fit's time, and a softmax near separation, digits at C=1, where
# one step took 5e-5 -> 3e-6 in column units, to 1.4e-8 at 3x the time)
FINISH_STEPS = 1


def lbfgs(datafit, penalty, theta0, *, max_iter, tol, memory=10, c1=1e-4,
          callback=None, verbose=0, finish=True):  # fmt: skip
    r"""Limited-memory BFGS for a smooth objective :math:`F = f + g`.

    The direction :math:`p = -H \nabla F(\theta)` applies the inverse-Hessian
    estimate built from the last ``memory`` pairs :math:`s = \theta_{+} -
    \theta`, :math:`y = \nabla F(\theta_{+}) - \nabla F(\theta)` (two-loop
    recursion, Nocedal and Wright, Algorithm 7.4), and the step :math:`\eta`
    halves from 1 until Armijo's condition

    .. math::

        F(\theta + \eta p) \le F(\theta) + c_1 \eta \nabla F(\theta)^\top p

    holds. The datafit is linear-then-nonlinear, so trial points cost no pass
    over the data: :math:`A(\theta + \eta p) = A\theta + \eta A p`. The
    initial inverse Hessian is :math:`\gamma D^{-1}`, :math:`D` the datafit's
    metric (preconditioned L-BFGS: the iterates do not depend on the scales of
    the columns). It has converged when :math:`\max_j |\nabla_j F| /
    \sqrt{D_j} \le` ``tol``, the measure of the other solvers; with
    ``finish`` it stops there once the next direction, the estimate
    :math:`H \nabla F` of the error, is small as well, :math:`\max_j |p_j|
    \sqrt{D_j} \le` ``tol`` (the gradient alone bounds the error only
    through the condition number: at the default ``tol`` the coefficients of
    scikit-learn's test of its solvers were 2e-3 off, breast_cancer's and
    digits' 2e-2 off, relative, as scikit-learn's lbfgs's; with the test
    5e-5, 1e-4 and 3e-4, in 1.2-2.7 times the iterations);
    ``finish=False`` stops at the gradient's test (a path's fits). Along
    directions of a curvature as small as the L2 term (collinear columns)
    neither test bounds the error: there the Newton methods (the table's
    rows) solve exactly.
    Unconverged, it stops when no step along the gradient lowers ``F`` in
    floating point. ``penalty`` must be smooth (no L1 part).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import lbfgs
    >>> from sklearn_foundations.penalties import L2
    >>> G = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> f = QuadraticDatafit(G, np.ones((2, 1)), None, 0.0, fit_intercept=False)
    >>> res = lbfgs(f, L2(0.0), np.zeros((2, 1)), max_iter=50, tol=1e-12)
    >>> res.converged, res.coef.ravel().round(12)  # G^{-1} 1
    (True, array([0.4, 0.2]))
    """
    theta = theta0
    A = datafit.linear(theta)
    F = datafit.value(theta, A) + penalty.value(theta)
    grad = datafit.gradient(theta, A) + penalty.gradient(theta)
    scale = _scale(datafit)
    D = (scale**2).astype(grad.dtype)
    slack = 4 * np.finfo(np.asarray(theta).dtype).eps
    pairs = deque(maxlen=memory)
    observe = _Observer("Iteration", callback, verbose)
    converged, it, step = False, 0, 1.0
    optimality = _optimality(grad, scale)
    if optimality <= tol:
        return OptimizeResult(coef=theta, n_iter=0, objective=[], converged=True,
                              optimality=optimality)  # fmt: skip
    p = None  # the direction, where the stopping test computed it
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            p = _two_loop(grad, pairs, D) if p is None else p
            slope = float((grad * p).sum())
            if not slope < 0:  # not a descent direction: forget the curvature
                pairs.clear()
                p = -grad / D
                slope = float((grad * p).sum())
            step = 1.0 if pairs else min(1.0, 1.0 / optimality)
            A_p = datafit.linear(p)
            while True:
                theta_new, A_new = theta + step * p, A + step * A_p
                F_new = datafit.value(theta_new, A_new) + penalty.value(theta_new)
                accepted = F_new <= F + c1 * step * slope + slack * abs(F)
                if (
                    accepted
                    or (step * np.abs(p) <= slack * np.abs(theta)).all()
                    or step < 1e-30
                ):
                    break
                step *= 0.5
            if not accepted:  # no decrease to machine precision along p
                if not pairs:
                    break  # not even along the gradient: stationary, above tol
                pairs.clear()
                p = None
                continue
            if it % 20 == 0:  # refresh the image, free of accumulated round-off
                A_new = datafit.linear(theta_new)
            grad_new = datafit.gradient(theta_new, A_new) + penalty.gradient(theta_new)
            s, y = theta_new - theta, grad_new - grad
            sy = float((s * y).sum())
            if sy > slack * math.sqrt(
                float((s * s * D).sum()) * float((y * y / D).sum())
            ):
                pairs.append((s, y, 1.0 / sy))
            theta, A, F, grad = theta_new, A_new, F_new, grad_new
            optimality = _optimality(grad, scale)
            converged, p = optimality <= tol, None
            if observe(it, theta, F, optimality, step):
                break
            if converged and finish:  # the next step, about the error: small too?
                p = _two_loop(grad, pairs, D)
                if _optimality(p * D, scale) > tol:
                    continue
            if converged:
                break
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=converged, step=step, t=len(observe.objective) + 1, optimality=optimality,
        stopped=observe.stopped,
    )  # fmt: skip


def newton_cg(datafit, penalty, theta0, *, max_iter, tol, max_cg=250, c1=1e-4,
              direct_after=None, reuse=2, start=None, hessian=None,
              callback=None, verbose=0, finish=True):  # fmt: skip
    r"""Truncated Newton (Newton-CG) for a smooth objective :math:`F = f + g`.

    Each iteration solves the Newton system :math:`\nabla^2 F\, \delta =
    -\nabla F` approximately by conjugate gradient, with the Hessian applied
    to a direction without forming it,

    .. math::

        \nabla^2 F\, v = A^\top \big(\nabla^2 \ell(Z)\, A v\big)
        + \nabla^2 g\, v, \qquad A = [X_c, 1],

    two passes over ``X`` per product (``datafit.hessian_at``; the
    penalty's Hessian product is ``penalty.gradient(v)``, as ``g`` is
    quadratic), preconditioned by the diagonal :math:`D + \nabla^2 g`
    (:math:`D` the datafit's metric), so that the steps do not depend on the
    scales of the columns. Conjugate gradient stops once its residual is below
    :math:`\eta \|\nabla F\|` (both in the norm of :math:`D^{-1}`) with :math:`\eta = \min(1/2,
    \sqrt{\|\nabla F\|})`, loose far from the optimum and tight near it
    (superlinear convergence), but never tighter than the last step's
    progress warrants, :math:`0.9 (\|\nabla F_k\| / \|\nabla F_{k-1}\|)^2`
    (:func:`_forcing`: where the steps only halve the gradient, as on a
    softmax near separation, an exact solve buys nothing; the step past
    ``tol`` keeps the square root), then the step halves from 1 until Armijo's
    condition :math:`F(\theta + t\delta) \le F(\theta) + c_1 t\,
    \nabla F^\top \delta` holds; where the objective can no longer resolve
    the decrease (near the optimum the step's predicted decrease,
    :math:`-\nabla F^\top \delta`, or its change falls below a few ulps;
    no search then), the full step is taken if it lowers the optimality
    measure, as in :func:`~sklearn_foundations.optimize.prox_newton`.
    Converged when
    :math:`\max_j |\nabla_j F| / \sqrt{D_j} \le` ``tol``; with ``finish``
    it then takes ``FINISH_STEPS`` (one) step more, which about squares the
    error (at the default ``tol`` a logistic regression's coefficients 1e-4
    to 1e-2 off became 1e-7 off, as scikit-learn's newton-cholesky's, which
    also asks the last step to be small), but where the optimality is
    already at ``tol**2`` or at the objective's rounding
    (:class:`_PastTol`); not for a quadratic, whose Newton step is exact.
    ``finish=False`` stops at ``tol`` (a path's fits). Unconverged unless
    that holds, it stops when no step decreases ``F`` in floating point.
    Sparse ``X`` stays sparse: the second-order method for a smooth
    objective, where :func:`prox_newton` serves the non-smooth one.

    ``direct_after`` (one output, the data: a datafit with
    ``model_hessian``): where conjugate gradient has not reached its residual
    after that many products (0: from the first iteration), or has spent
    four times that many in the fit, the steps turn to the formed Hessian,
    :math:`\nabla^2 F` of :func:`newton_cholesky`, for the rest of the fit:
    each step is conjugate gradient preconditioned by the Cholesky factor
    of the last Hessian formed, which a Hessian near this iterate's makes
    converge in a product or two, and where ``reuse`` products have not
    reached the residual the Hessian is formed at this iterate and the step
    is its direct solve (``reuse=0``: a new Hessian every step,
    :func:`newton_cholesky`'s). The table sets ``direct_after`` to about the
    number of products that forming the Hessian costs, and ``reuse=0`` for
    fewer than 64 features, where forming the Hessian costs about as much
    as a product. None: conjugate gradient throughout. Conjugate gradient
    on a factor also stops where its residual, the model's gradient after
    the step, is below ``tol / 2`` in the optimality measure.

    ``start``: the datafit's ``(Z, value, gradient)`` at ``theta0`` where
    known (a result's ``state`` at its ``coef``: a path's last point), so
    that the fit makes no pass over the data to begin. ``hessian``: the
    datafit's part of a Hessian formed near ``theta0`` (a result's
    ``hessian``), the direct steps' first preconditioner.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> from sklearn_foundations.optimize import lbfgs, newton_cg
    >>> from sklearn_foundations.penalties import L2
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = (X[:, :1] + 0.5 * rng.standard_normal((200, 1)) > 0).astype(float)
    >>> f = LinearDatafit(BinomialLogLoss(), X, y, np.full(200, 1 / 200))
    >>> newton = newton_cg(f, L2(0.01), np.zeros((5, 1)), max_iter=50, tol=1e-10)
    >>> quasi = lbfgs(f, L2(0.01), np.zeros((5, 1)), max_iter=500, tol=1e-10)
    >>> newton.n_iter < 10 < quasi.n_iter, np.allclose(newton.coef, quasi.coef)
    (True, True)
    """
    if not penalty.smooth:
        raise ValueError(
            "newton_cg needs a smooth penalty (l1_ratio=0, positive=False); use "
            "prox_newton or fista for an L1 term or a sign constraint."
        )

    if hessian is not None and np.shape(hessian) != (len(theta0), len(theta0)):
        hessian = None  # formed on other columns: of no use here
    floor = 0.5 * tol * _scale(datafit)
    direction = _Steps(datafit, penalty, max_cg, direct_after, reuse=reuse,
                       floor=floor, hessian=hessian)  # fmt: skip
    return _newton(datafit, penalty, theta0, direction, max_iter, tol, c1,
                   callback, verbose, start, finish)  # fmt: skip


def newton_cholesky(datafit, penalty, theta0, *, max_iter, tol, c1=1e-4,
                    start=None, hessian=None, callback=None, verbose=0,
                    finish=True):  # fmt: skip
    r"""Newton's method for a smooth objective :math:`F = f + g`, each step
    a direct solve of the Newton system.

    The Hessian is formed, one weighted Gram matrix of the data,

    .. math::

        \nabla^2 F = A^\top H A + \nabla^2 g, \qquad A = [X_c, 1], \quad
        H = \operatorname{diag}(s_i \ell''(z_i)),

    (``datafit.model_hessian`` over every column: :math:`n d^2` flops in one
    matrix product, against :math:`4 n d` a Hessian-vector product), scaled
    by the diagonal :math:`D + \nabla^2 g` to unit diagonal, factored
    :math:`L L^\top` (Cholesky) and solved, :math:`\delta = -(\nabla^2
    F)^{-1} \nabla F`; then the Armijo backtracking, the stopping test (the
    steps past ``tol`` with ``finish``) and the floating-point safeguards of
    :func:`newton_cg`. Where the Hessian is
    singular (collinear columns without an L2 term: a pivot below its
    rounding) the step is the least-norm solution of the Newton system,
    from the pivoted factor (:func:`_least_norm_solve`): for a quadratic
    from zero, ``LinearRegression``'s least-norm coefficients. Where the
    factor does not exist (a NaN) the step is :func:`newton_cg`'s, for that
    iteration and the rest. For few features, where forming the Hessian costs a few
    Hessian-vector products and conjugate gradient would need many near a
    separable or ill-conditioned optimum: :func:`newton_cg` turns to these
    steps where its conjugate gradient needs more products than forming the
    Hessian costs (``direct_after``).

    With ``k`` outputs the Hessian has ``(d + 1) k`` rows (the datafit's
    ``model_hessian``: the softmax's blocks couple the classes, the squared
    error's repeat one Gram matrix), :math:`n d^2 k^2` flops to form. The
    softmax does not see a common shift of the classes, so the Hessian is
    singular along the shifts of the rows no penalty pins (the intercepts;
    every row without an L2 term): the factor is of the Hessian plus a
    term on those shifts alone, which leaves the step, orthogonal to them,
    the Newton step (as scikit-learn's symmetric parametrization).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> from sklearn_foundations.optimize import newton_cg, newton_cholesky
    >>> from sklearn_foundations.penalties import L2
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = (X[:, :1] + 0.5 * rng.standard_normal((200, 1)) > 0).astype(float)
    >>> f = LinearDatafit(BinomialLogLoss(), X, y, np.full(200, 1 / 200))
    >>> direct = newton_cholesky(f, L2(0.01), np.zeros((5, 1)), max_iter=50, tol=1e-10)
    >>> cg = newton_cg(f, L2(0.01), np.zeros((5, 1)), max_iter=50, tol=1e-10)
    >>> direct.n_iter <= cg.n_iter, np.allclose(direct.coef, cg.coef, rtol=1e-12)
    (True, True)
    """
    if not penalty.smooth:
        raise ValueError(
            "newton_cholesky needs a smooth penalty (l1_ratio=0, positive=False); "
            "use prox_newton or fista for an L1 term or a sign constraint."
        )
    direction = _Steps(datafit, penalty, 250, direct_after=0, reuse=0, hessian=hessian)
    return _newton(datafit, penalty, theta0, direction, max_iter, tol, c1,
                   callback, verbose, start, finish)  # fmt: skip


class _Steps:
    """The Newton directions: conjugate gradient preconditioned by the
    diagonal (at most ``max_cg`` products); from the first iteration where it
    needs more than ``direct_after`` of them (from the first, given a
    ``hessian``), the formed Hessian's: each step is conjugate gradient
    preconditioned by the Cholesky factor of the last Hessian formed (at most
    ``reuse`` products), and where that has not reached its residual, the
    Hessian is formed at this iterate and solved directly (least-norm where
    it is singular). A Hessian without a factor (a NaN) ends the direct
    steps (conjugate gradient for the rest). Conjugate gradient on a factor stops too where every residual is
    below ``floor`` (the model's gradient after the step, as small as
    ``tol`` asks)."""

    def __init__(self, datafit, penalty, max_cg, direct_after=None, *, reuse=2,
                 floor=None, hessian=None):  # fmt: skip
        self.datafit, self.penalty, self.max_cg = datafit, penalty, max_cg
        self.direct_after, self.reuse, self.floor = direct_after, reuse, floor
        self.direct = direct_after == 0 or hessian is not None
        self.every = np.arange(datafit.n_features)
        self.hessian, self.solve = hessian, None  # the last formed; its factor
        # the penalty's part of the Hessian's diagonal, the same at every step
        # (ordered as theta.ravel(): row, then output)
        k = datafit.n_targets
        rows = datafit.n_features + int(bool(datafit.fit_intercept))
        self.diagonal = penalty.gradient(np.ones((rows, k))).ravel()
        # a loss that does not see a common shift of its outputs (the
        # softmax): the rows that no penalty pins have that shift as a null
        # direction of the Hessian
        shift = k > 1 and getattr(datafit.loss, "shift_invariant", False)
        self.null = np.flatnonzero(self.diagonal[::k] == 0) if shift else None
        self.spent = 0  # products of the diagonal's conjugate gradient
        self.last = None  # the last diagonal step's gradient norm (:func:`_forcing`)
        self.past = False  # the steps past tol

    def finish(self):
        r"""The steps past ``tol``: conjugate gradient on a factor to its
        own residual, not to ``floor`` (which ``tol`` sets); on the diagonal
        to the forcing term :math:`\sqrt{\|\nabla F\|}` alone
        (:func:`_forcing` without the last step's ratio)."""
        self.floor, self.past = None, True

    def __call__(self, Z, grad, precond):
        r"""The step and its image :math:`A \delta` (None where the step did
        not come from products whose images add up to it)."""
        if self.direct:
            step = self._direct(Z, grad, precond)
            if step is not None:
                return step
            self.direct = self.direct_after = False  # singular: CG from now on
        cap = min(self.direct_after or self.max_cg, self.max_cg)
        last = None if self.past else self.last
        delta, Z_delta, solved, used, self.last = _newton_direction(
            self.datafit, self.penalty, Z, grad, lambda r: r / precond, cap, last=last
        )
        self.spent += used
        if self.direct_after and self.spent > AMORTIZED * self.direct_after:
            self.direct = True  # CG has spent several Hessians: from the next step
        if solved or not self.direct_after:
            return delta, Z_delta
        self.direct = True  # ill-conditioned: the direct steps, from now on
        return self(Z, grad, precond)

    def _direct(self, Z, grad, precond):
        """The step on the last Hessian's factor, or on a new one; None
        where the new Hessian has no factor."""
        if self.solve is None and self.hessian is not None and self.reuse:
            self.solve = _factor(self.hessian, self.diagonal, precond, self.null)
        if self.solve is not None and self.reuse:  # CG on the last factor
            delta, Z_delta, solved, _, _ = _newton_direction(
                self.datafit,
                self.penalty,
                Z,
                grad,
                self.solve,
                self.reuse,
                self.floor,
            )
            if solved:
                return delta, Z_delta
        self.hessian = self.datafit.model_hessian(Z, self.every)
        self.solve = _factor(self.hessian, self.diagonal, precond, self.null)
        if self.solve is None:
            return None
        delta = -self.solve(grad)
        return (delta, None) if np.isfinite(delta).all() else None


def _factor(hessian, diagonal, precond, null=None):
    r"""The solve :math:`r \mapsto (\nabla^2 F)^{+} r` with
    :math:`\nabla^2 F` = ``hessian`` (the datafit's) plus the penalty's
    ``diagonal``, by the Cholesky factor of its scaling to unit diagonal
    (float64; the result in ``r``'s dtype); None where there is no factor.
    ``r`` is shaped like ``theta``, ``(m, k)``, the Hessian ordered as its
    ``ravel()``. ``null``: rows whose common shift over the ``k`` outputs
    the objective does not see (a softmax's unpenalized rows); the scaled
    matrix gets :math:`\tfrac1k 1 1^\top` on each such row's block, which
    changes no solution orthogonal to the shifts (the gradient is: the
    softmax's residuals sum to zero over the outputs) and makes the matrix
    definite.

    Where a pivot is below the Hessian's rounding (:data:`RANK_ULPS`;
    collinear columns without an L2 term) the matrix is singular: its
    solutions differ along its null space, and the factor returned by
    Cholesky in rounding picks one of them at random, far along it. Then the
    solve is the least-norm solution (:func:`_least_norm_solve`), the
    Moore-Penrose inverse's, as ``LinearRegression``'s least squares."""
    H = np.array(hessian, dtype=np.float64)
    H.flat[:: len(H) + 1] += diagonal
    k = len(H) // len(precond)
    root = np.repeat(np.sqrt(precond[:, 0].astype(np.float64)), k)
    H /= root
    H /= root[:, None]
    for row in () if null is None else null:
        H[row * k : (row + 1) * k, row * k : (row + 1) * k] += 1.0 / k
    floor = RANK_ULPS * len(H) * _EPS
    factor = _cholesky(H)  # its pivots are positive: their squares against floor
    if factor is None or not factor.diagonal().min() > math.sqrt(floor):
        return _least_norm_solve(H, root, floor)  # singular, or not definite

    def solve(r):
        u, _ = dpotrs(factor, r.ravel().astype(np.float64) / root, lower=0)
        return (u / root).reshape(r.shape).astype(r.dtype)

    return solve


def _cholesky(H):
    """The upper Cholesky factor of ``H`` in Fortran order (potrs reads it
    without a copy), or None where there is none: LAPACK's potrf unwrapped
    (scipy's cho_factor wraps it in checks that cost more than the factor of
    a 31 x 31 matrix), by numpy from ``NUMPY_FACTOR_MIN_ROWS`` rows on; in
    ``H``'s dtype, float32 or float64 (LAPACK's factor leaves the strict
    lower triangle as it was: potrs reads the upper)."""
    if len(H) >= NUMPY_FACTOR_MIN_ROWS:
        try:  # numpy's lower factor in C order: the upper one in Fortran's
            return np.linalg.cholesky(H).T
        except np.linalg.LinAlgError:
            return None
    potrf = spotrf if H.dtype == np.float32 else dpotrf
    factor, info = potrf(H, lower=0, clean=0, overwrite_a=0)
    return factor if info == 0 else None


def _least_norm_solve(H, root, floor):
    r"""The least-norm solve of a singular :math:`\nabla^2 F = R H R`
    (``H`` scaled to unit diagonal by :math:`R` = ``root``, positive
    semidefinite), or None where ``H`` is not (a negative or NaN pivot).

    The pivoted Cholesky factor :math:`P^\top H P = U^\top U`, :math:`U =
    [U_1\; U_2]` with :math:`U_1` of the ``rank`` pivots above ``floor``,
    gives one solution of :math:`H v = c` with :math:`v_2 = 0`,
    :math:`v_1 = U_1^{-1} U_1^{-\top} c_1`, and the null space,
    :math:`N = P [-U_1^{-1} U_2;\, I]`. In the coefficients
    :math:`\delta = R^{-1} v` the least-norm solution is that one less its
    projection on :math:`R^{-1} N` (an orthonormal basis ``Q`` of it, a QR
    factor of the small matrix)."""
    factor, piv, rank, info = dpstrf(H, tol=floor, lower=0)
    if info < 0 or rank == 0:
        return None
    piv = piv - 1  # LAPACK's pivots count from one
    U1 = np.triu(factor[:rank, :rank])
    U2 = factor[:rank, rank:]
    if not np.isfinite(U1).all() or U1.diagonal().min() <= 0:
        return None
    null = np.zeros((len(H), len(H) - rank))
    null[piv[:rank]] = -dtrtrs(U1, U2)[0]
    null[piv[rank:]] = np.eye(len(H) - rank)
    Q = np.linalg.qr(null / root[:, None])[0]

    def solve(r):
        c = (r.ravel().astype(np.float64) / root)[piv[:rank]]
        v = np.zeros(len(H))
        v[piv[:rank]] = dpotrs(U1, c, lower=0)[0]
        delta = v / root
        delta -= Q @ (Q.T @ delta)
        return delta.reshape(r.shape).astype(r.dtype)

    return solve


def _newton(datafit, penalty, theta0, direction, max_iter, tol, c1, callback,
            verbose, start=None, finish=False):  # fmt: skip
    """The loop of the Newton methods: ``direction(Z, grad, precond)``, Armijo
    backtracking, the stopping test (with ``finish``, the steps past it:
    :func:`newton_cg`) and the floating-point safeguards;
    ``start``: the datafit's ``(Z, value, gradient)`` at ``theta0`` where
    known (no pass to begin; a value of None is computed, no pass either)."""
    theta = np.array(theta0, dtype=np.result_type(theta0, 1.0))
    if start is None:
        Z = datafit.linear(theta)
        start = (Z, datafit.value(theta, Z), datafit.gradient(theta, Z))
    Z, f, g = start
    f = datafit.value(theta, Z) if f is None else f  # a start without its value
    F = f + penalty.value(theta)
    grad = g + penalty.gradient(theta)
    scale = _scale(datafit)
    # the diagonal of the Hessian of the squared error and the penalty
    precond = (scale**2 + penalty.gradient(np.ones_like(scale))).astype(grad.dtype)
    ulps = 16 * np.finfo(theta.dtype).eps  # the objective's resolution, relative
    observe = _Observer("Newton iteration", callback, verbose)
    converged, it, step = False, 0, 1.0
    optimality = _optimality(grad, scale)
    past = _PastTol(tol, finish and not datafit.loss.quadratic, theta.dtype)
    if past.stops(optimality, F):
        return OptimizeResult(
            coef=theta, n_iter=0, objective=[], converged=True, optimality=optimality,
            direct=bool(getattr(direction, "direct", False)), state=(Z, f, g),
            hessian=getattr(direction, "hessian", None),
            solve=getattr(direction, "solve", None),
        )  # fmt: skip
    converged = optimality <= tol  # the start (then one step, to finish)
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            if converged:  # a step past tol
                direction.finish()
            delta, Z_delta = direction(Z, grad, precond)
            if Z_delta is None:
                Z_delta = datafit.linear(delta)
            slope = float((grad * delta).sum())
            full = not -slope > ulps * abs(F)  # a decrease below F's resolution
            if not full:
                step, theta_new, Z_new, F_new = _backtrack(
                    datafit, penalty, theta, Z, F, delta, Z_delta, c1 * slope
                )
                full = not F_new < F  # below the objective's resolution: the full
            if full:  # step, if it lowers the gradient (the objective staying
                step, theta_new, Z_new = 1.0, theta + delta, Z + Z_delta  # within
                F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
            g_new = datafit.gradient(theta_new, Z_new)  # a few ulps)
            grad_new = g_new + penalty.gradient(theta_new)
            if full and not (
                F_new <= F + ulps * abs(F) and _optimality(grad_new, scale) < optimality
            ):
                break  # no progress left in floating point: stationary
            theta, Z, F, g, grad = theta_new, Z_new, F_new, g_new, grad_new
            optimality = _optimality(grad, scale)
            converged = optimality <= tol
            if observe(it, theta, F, optimality, step) or past.stops(optimality, F):
                break
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=converged, step=step, t=len(observe.objective) + 1, optimality=optimality,
        stopped=observe.stopped, direct=bool(getattr(direction, "direct", False)),
        state=(Z, F - penalty.value(theta), g), hessian=getattr(direction, "hessian", None),
        solve=getattr(direction, "solve", None),
    )  # fmt: skip


class _PastTol:
    r"""The Newton methods' stopping test with ``finish``: converged at
    ``tol``, then ``FINISH_STEPS`` steps more (each about squares the
    error), but not where the optimality is already at ``tol**2`` (twice
    the digits) or at the gradient's rounding in column units,
    :math:`16 \epsilon \sqrt{2 |F|}` (every violation in those units is at
    most the root mean square of the residuals, about :math:`\sqrt{2F}`:
    Cauchy-Schwarz), below which a step gains nothing. Without ``finish``
    (a path's fits, a quadratic's exact steps), at ``tol``."""

    def __init__(self, tol, finish, dtype):
        self.tol, self.eps = tol, float(np.finfo(dtype).eps)
        self.left = FINISH_STEPS if finish else 0

    def stops(self, optimality, F):
        """Whether the iterations stop at this optimality and objective (a
        step past ``tol`` counted where they go on from a converged one)."""
        if not optimality <= self.tol:
            return False
        floor = max(self.tol * self.tol, 16 * self.eps * math.sqrt(2 * abs(F)))
        if self.left <= 0 or optimality <= floor:
            return True
        self.left -= 1
        return False


def _backtrack(datafit, penalty, theta, Z, F, delta, Z_delta, slope):
    r"""Armijo backtracking of the Newton methods: halve ``t`` from 1 until
    :math:`F(\theta + t\delta) \le F + t \cdot` ``slope`` (or ``t < 1e-10``);
    the predictor of each trial point is :math:`Z + t X\delta`, no pass over X."""
    step = 1.0
    while True:
        theta_new, Z_new = theta + step * delta, Z + step * Z_delta
        F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
        if F_new <= F + step * slope or step < 1e-10:
            return step, theta_new, Z_new, F_new
        step *= 0.5


def _forcing(norm, last=None):
    r"""The relative residual to which conjugate gradient solves a Newton
    system, from the gradient's norm :math:`\|\nabla F_k\|` (in the
    preconditioner's metric) and the last step's, :math:`\|\nabla
    F_{k-1}\|` (``last``; None at a fit's first step and past ``tol``):

    .. math::

        \eta_k = \min\Big(\tfrac12,\ \max\big(\sqrt{\|\nabla F_k\|},\
        0.9\, (\|\nabla F_k\| / \|\nabla F_{k-1}\|)^2\big)\Big).

    The square root makes the steps superlinear near the optimum (Nocedal
    and Wright); the ratio, Eisenstat and Walker's second choice, keeps
    the systems no tighter than the progress the steps make: where the
    gradient falls by a constant factor a step (a softmax near separation,
    whose loss falls like :math:`e^{-\text{margin}}`, on which full Newton
    steps halve it), an exact solve of the model buys nothing (digits at
    C=100: ten steps either way, 206 products of the fixed term against 156).

    Examples
    --------
    >>> from sklearn_foundations.optimize._newton import _forcing
    >>> _forcing(1e-4), _forcing(1e-4, last=2.5e-4)  # linear: 0.9 * 0.4**2
    (0.01, 0.144)
    >>> _forcing(1e-4, last=1e-2), _forcing(4.0), _forcing(1e-10, last=1e-300)
    (0.01, 0.5, 0.5)
    """
    eta = math.sqrt(norm)
    if last is not None and last > 0:  # a ratio of at least 1: the cap
        eta = max(eta, 0.9 * min(norm / last, 1.0) ** 2)
    return min(0.5, eta)


def _newton_direction(datafit, penalty, Z, grad, solve, max_cg, floor=None,
                      last=None):  # fmt: skip
    r"""Conjugate gradient on :math:`\nabla^2 F\, \delta = -\nabla F`, from 0,
    preconditioned by ``solve`` (:math:`r \mapsto M^{-1} r`: the diagonal's
    inverse, or a Hessian's factor), to the relative residual of
    :func:`_forcing` (``last`` the last step's gradient norm) in the norm
    of :math:`M^{-1}`, or until every residual is below ``floor``; with the
    step its image :math:`A \delta = \sum_i \eta_i A p_i`, summed from the
    products' first halves (no pass over ``X`` for it; None for the
    fallback step), whether it got there (or stopped on a direction without
    curvature), the products it took and the gradient's norm."""
    r = -grad
    z = solve(r)
    rz = float((r * z).sum())
    norm = math.sqrt(max(rz, 0.0))
    target = _forcing(norm, last) * norm
    delta, Z_delta = np.zeros_like(grad), None
    p = z
    solved, used = False, 0
    product = datafit.hessian_at(Z)  # the loss's part at Z once for every p
    while used < max_cg:
        used += 1
        A_p = datafit.linear(p)
        Hp = product(p, A_p) + penalty.gradient(p)
        pHp = float((p * Hp).sum())
        if not pHp > 0:  # no curvature along p: keep what we have
            solved = True
            break
        eta = rz / pHp
        delta, r = delta + eta * p, r - eta * Hp
        Z_delta = eta * A_p if Z_delta is None else Z_delta + eta * A_p
        z = solve(r)
        rz_new = float((r * z).sum())
        if math.sqrt(max(rz_new, 0.0)) <= target or (
            floor is not None and (np.abs(r) <= floor).all()
        ):
            solved = True
            break
        p, rz = z + (rz_new / rz) * p, rz_new
    if not delta.any():
        return solve(-grad), None, solved, used, norm
    return delta, Z_delta, solved, used, norm


def _two_loop(grad, pairs, D):
    """The L-BFGS direction :math:`-H \nabla F` from the stored pairs, with
    the initial inverse Hessian :math:`\\gamma D^{-1}`."""
    q = grad.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * (s * q).sum()
        q -= a * y
        alphas.append(a)
    q /= D
    if pairs:
        s, y, _ = pairs[-1]
        q *= (s * y).sum() / (y * y / D).sum()
    for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
        q += (a - rho * (y * q).sum()) * s
    return -q
