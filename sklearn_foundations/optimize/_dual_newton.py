r"""The elastic net on wide data by semismooth Newton on its dual:
:func:`dual_newton`. A Newton system of the rows' size, however many of
the features are non-zero, solved inexactly by conjugate gradients where
they cost less than a factor. Imports only numpy, scipy's LAPACK (the
Cholesky factor's solve), the package's ``penalties`` (the threshold's
magnitude), ``_newton``'s Cholesky factor and ``_quadratic``'s intercept
step."""

import math

import numpy as np
from scipy.linalg.lapack import dpotrs

from ..penalties import descent_magnitude
from ._newton import _cholesky
from ._quadratic import _intercept_step
from ._result import OptimizeResult, _Observer, _scale

# Armijo's sufficient decrease and the shortest step tried
ARMIJO = 1e-4
MIN_STEP = 1e-10
# a cold search starts where at most this share of the rows' count of
# features is active (see _cold_start)
COLD_ACTIVE_SHARE = 0.25
# inexact Newton from a cold start: each system solved to a residual of at
# most FORCING times the dual gradient, and of the gradient's decrease since
# the search's first step (superlinear near the end: Eisenstat and Walker's
# forcing terms); 0.01 took more time (36 wide elastic nets: 0.88x of the
# exact steps' time against 0.79-0.84x). A warm start (a path's next point)
# takes exact steps: its active sets change little, the products' updates
# cost little, and inexact directions took more steps (bench_cv's wide 500
# x 2,000 paths, 5 folds: 715 -> 927 at l1_ratio 0.1, 891 -> 1,139 at 0.9)
FORCING = 0.1
# conjugate gradients take a system where their iterations' flops (4 m |A|
# each, two products with B_A) within the factor's (the product's update and
# the Cholesky factor, see _NewtonSystem.direct_flops) reach the forcing
# residual: measured, an iteration took 1/20-1/90 of a factor formed anew
# on 500 rows and 125-1,500 features, as the flops count (1/18-1/104);
# fewer than CG_MIN_ITERATIONS allowed, the factor; the rate of the
# residual's decrease after CG_CHECKS iterations predicts the count, and a
# prediction over the allowance hands the system to the factor
CG_MIN_ITERATIONS = 8
# ... and only where the factor costs more than CG_MIN_SHARE times a step's
# own products with B (two, 4 m d flops): an inexact direction can take a
# step more, which costs more than a small factor saves (measured on 36
# wide elastic nets, 200-500 x 1,000-3,000: 2 and 8 took more time than 4)
CG_MIN_SHARE = 4
CG_CHECKS = (4, 12)


def dual_newton(datafit, penalty, theta0, *, max_iter, tol, system=None,
                start=None, callback=None, verbose=0):  # fmt: skip
    r"""The squared error with an elastic net (an L2 term: ``l1_ratio < 1``)
    by semismooth Newton on the dual, exactly.

    With the rows' factor :math:`B = S^{1/2} X_c` (``m x d``) and targets
    :math:`T = S^{1/2} y_c` (``datafit.factor_form()``; the intercept,
    decoupled by centering, set by one exact step from the caller's
    ``start``, the datafit's ``(Z, value, gradient)`` at ``theta0``, where
    given: no pass over the data), the objective of each
    target is, with :math:`\lambda_1 = \alpha\rho` and :math:`\lambda_2 =
    \alpha(1-\rho) > 0`,

    .. math::

        F(w) = \tfrac12 \|T - B w\|^2 + \lambda_1 \|w\|_1
               + \tfrac{\lambda_2}{2} \|w\|^2.

    Its dual variable is the residual :math:`r = T - B w`; the coefficients
    are a function of it, :math:`w(r) = S_{\lambda_1}(B^\top r) /
    \lambda_2` (soft-thresholding), and the optimal :math:`r` minimizes the
    strongly convex, once differentiable

    .. math::

        \phi(r) = \tfrac12 \|r\|^2 - T^\top r
                  + \tfrac{1}{2\lambda_2} \|S_{\lambda_1}(B^\top r)\|^2,
        \qquad \nabla\phi(r) = r - (T - B\,w(r)),

    whose gradient is the gap between the residual and the residual of
    :math:`w(r)`. Newton's step solves :math:`(I + B_A B_A^\top /
    \lambda_2)\,\Delta = -\nabla\phi`, :math:`A` the features with
    :math:`|B_j^\top r| > \lambda_1` (the non-zero coefficients of
    :math:`w(r)`): a system of the rows' size (by Woodbury's identity one of
    :math:`|A|`'s where that is smaller), so that a solution with more
    non-zero coefficients than rows costs no more per step; from a cold
    start, where the system is large and well conditioned (the L2 term large
    against the columns' correlations), conjugate gradients solve it
    inexactly instead, to a residual of a tenth of the gradient and of its
    decrease since the first step (inexact Newton), at a fraction of the
    factor's cost. Armijo's line
    search on :math:`\phi` (the change computed as a change) makes it
    global; :math:`\nabla\phi` is piecewise linear, and once :math:`A` is
    the solution's the step is exact: a few steps (Li, Sun and Toh's
    semismooth Newton, 2018, without their augmented Lagrangian, which
    the L2 term makes unneeded). With ``positive`` (the coefficients held
    non-negative) the threshold is one-sided, :math:`w(r) = \max(B^\top r -
    \lambda_1, 0) / \lambda_2` (the conjugate of the clipped penalty), and
    :math:`A` the features with :math:`B_j^\top r > \lambda_1`: the same
    steps. It stops when the largest violation of
    :math:`w(r)`'s optimality in the primal (``penalty``'s subdifferential,
    in units of each column's scale, the datafit's metric) is at most
    ``tol``, or, unconverged, where no step lowers :math:`\phi` in
    floating point any more.
    The systems' products are kept in ``result.system``: a fit on the same
    datafit (a path's next point, another :math:`\lambda_2`) passed them as
    ``system`` updates them by the features that entered and left.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> from sklearn_foundations.optimize import dual_newton
    >>> from sklearn_foundations.penalties import ElasticNet
    >>> X = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> y = np.array([[2.0], [1.0]])
    >>> f = LinearDatafit(HalfSquaredError(), X, y, np.full(2, 0.5),
    ...                   fit_intercept=False)
    >>> res = dual_newton(f, ElasticNet(0.2, 0.5), np.zeros((3, 1)),
    ...                   max_iter=10, tol=1e-12)
    >>> res.coef.ravel().round(6), res.converged
    (array([0.707317, 0.      , 0.95122 ]), True)
    """
    B, T = datafit.factor_form()
    l1, l2 = float(penalty.l1), float(penalty.l2)
    positive = penalty.positive
    if not l2 > 0:
        raise ValueError(
            "dual_newton needs an L2 term (alpha * (1 - l1_ratio) > 0); got "
            f"l1_ratio={1 - l2 / (l1 + l2) if l1 + l2 else 1.0:g}."
        )
    d, k = B.shape[1], T.shape[1]
    theta = np.array(theta0, dtype=np.float64)
    _intercept_step(datafit, theta, start)
    scale = _scale(datafit)[:d, 0]
    observe = _Observer("Dual Newton step", callback, verbose)
    F = np.array([_primal(B, T[:, t], l1, l2, theta[:d, t]) for t in range(k)])

    def step_of(t):
        def step(w, F_w):  # the whole objective after each target's step
            theta[:d, t], F[t] = w, F_w
            state = theta if observe.callback is None else theta.copy()
            return observe(len(observe.objective) + 1, state, F.sum(), np.nan, 1.0)

        return step

    if system is None or system.B is not B:  # else a last fit's, on this datafit
        system = _NewtonSystem(B)  # shared by the targets' searches
    converged = True
    for t in range(k):  # one search per target, max_iter steps in all
        budget = max_iter - len(observe.objective)
        w, converged = _dual_search(
            B, T[:, t], l1, l2, theta[:d, t], scale, tol, budget, step_of(t),
            system, positive,
        )  # fmt: skip
        theta[:d, t] = w
        if not converged or observe.stopped:
            break
    return OptimizeResult(
        coef=theta.astype(datafit.dtype, copy=False), n_iter=len(observe.objective),
        objective=observe.objective, converged=converged, step=1.0,
        t=len(observe.objective) + 1, stopped=observe.stopped, system=system,
    )  # fmt: skip


def _primal(B, T, l1, l2, w):
    r""":math:`F(w)`: the target's part of the objective."""
    return _value(T - B @ w, w, l1, l2)


def _value(residual, w, l1, l2):
    r""":math:`F(w)` from its residual :math:`T - B w`."""
    return float(residual @ residual / 2 + l1 * np.abs(w).sum() + l2 / 2 * (w @ w))


def _excess(c, l1, positive=False):
    r"""The threshold's excess :math:`\max(|c| - \lambda_1, 0)`, or with
    ``positive`` :math:`\max(c - \lambda_1, 0)`, and the threshold itself,
    :math:`S_{\lambda_1}(c)` (the excess signed) or the excess."""
    excess = np.maximum(descent_magnitude(-c, positive) - l1, 0.0)
    return excess, (excess if positive else np.sign(c) * excess)


def _dual_search(
    B, T, l1, l2, w0, scale, tol, max_iter, on_step, system, positive=False
):
    r"""The steps of :func:`dual_newton` on one target from the primal
    point ``w0`` (the dual start its residual), at most ``max_iter``;
    ``on_step(w, F)`` after each (True stops); ``positive``: the
    one-sided threshold. From a cold start (``w0`` zero) each Newton system
    is solved to a residual of ``FORCING`` times the gradient, or of the
    gradient's decrease since the first step where that is smaller (inexact
    Newton: the direction need not be exact while the active set is still
    changing; the stopping test is :math:`w(r)`'s own); from a warm one,
    exactly. Returns :math:`w(r)` and whether it met ``tol``."""
    r = T - B @ w0
    c = B.T @ r
    if not w0.any():  # cold: a point on the ray to T (see _cold_start)
        gamma = _cold_start(T @ T, c, l1, l2, len(T), positive)
    else:  # warm: the lowest point on the ray through w0's residual
        gamma = _ray_minimum(r @ r, T @ r, c, l1, l2, positive)
    r, c = gamma * r, gamma * c
    A, z, w, residual = _point(B, T, c, l1, l2, positive)
    # inexact steps from a cold start alone (a warm one is exact, see FORCING)
    forcing = 0.0 if w0.any() else FORCING
    first = None  # the first step's gradient norm: the forcing terms' unit
    for step in range(max_iter + 1):
        grad = r - residual  # the dual gradient: r less w's residual
        if _violation(B, c, z, grad, l1, scale, positive) <= tol:
            return w, True
        if step == max_iter:  # out of steps: where none was taken, the start
            return (w if step else w0), False
        norm = math.sqrt(float(grad @ grad))
        first = first or norm
        rtol = min(forcing, norm / first) if first else forcing
        delta = -system.solve(A, grad, l2, rtol)
        dc = B.T @ delta
        t = _armijo(r, c, T, delta, dc, float(grad @ delta), l1, l2, positive)
        if t is None:  # no decrease left in floating point
            break
        r, c = r + t * delta, c + t * dc
        A, z, w, residual = _point(B, T, c, l1, l2, positive)
        if on_step(w, _value(residual, w, l1, l2)):
            break
    return w, False


def _cold_start(TT, c, l1, l2, m, positive=False):
    r"""The dual start :math:`\gamma T` of a cold search (:math:`w = 0`,
    ``c`` :math:`= B^\top T`): at :math:`T` every feature whose coefficient
    could be non-zero is active, and Newton's steps shrink that set with
    full steps (its curvature at least the solution's); from a point of
    fewer, they overshoot and backtrack (measured: 5 steps from :math:`T`,
    20 from the lowest point on the ray, on 200 x 1,000 unscaled columns).
    But the first system is the largest, and where the solution has few
    non-zero coefficients the steps that shrink a large start to them cost
    more than those that grow a small one (500 x 2,000 at 0.05 alpha_max,
    67-85 non-zeros: 7-12 steps and 24-35 ms from 500 active features,
    5-8 steps and 9-10 ms from 125). So the start is :math:`T` where at most
    ``COLD_ACTIVE_SHARE`` of ``m`` features are active there; else the point
    of the ray where that many are, or beyond it the lowest :math:`\phi` on
    the ray (:func:`_ray_minimum`), whichever comes later (measured against
    ``m`` active at the start, on 24 problems of 100-800 rows, columns of
    the same and of scales 0.01-100: 0.87x in the geometric mean, the
    slowest 1.3x)."""
    magnitude = descent_magnitude(-c, positive)  # c = B^T r: minus the gradient
    k = max(1, int(COLD_ACTIVE_SHARE * m))
    if np.count_nonzero(magnitude > l1) <= k:
        return 1.0
    outside = -np.partition(-magnitude, k)[k]  # the (k + 1)-th largest
    lowest = _ray_minimum(TT, TT, c, l1, l2, positive)
    return max(lowest, min(1.0, l1 / outside))


def _ray_minimum(rr, Tr, c, l1, l2, positive=False):
    r""":math:`\gamma > 0` of the lowest :math:`\phi(\gamma r)` on the ray
    through a dual point :math:`r` (``c`` :math:`= B^\top r`, ``rr``
    :math:`= \|r\|^2`, ``Tr`` :math:`= T^\top r`): the root of the
    increasing, convex, piecewise linear :math:`\psi'(\gamma) = \gamma
    \|r\|^2 - T^\top r + S_{\lambda_1}(\gamma c)^\top c / \lambda_2`, by
    Newton's steps kept in a bracket; 1 where the ray does not descend from
    0 (:math:`T^\top r \le 0`)."""
    if not Tr > 0:
        return 1.0
    lo, hi, gamma = 0.0, np.inf, 1.0
    for _ in range(60):
        s = _excess(gamma * c, l1, positive)[1]
        slope = gamma * rr - Tr + (s @ c) / l2
        if slope == 0:
            return gamma
        lo, hi = (lo, gamma) if slope > 0 else (gamma, hi)
        if hi - lo <= 1e-12 * hi:
            break
        step = gamma - slope / (rr + (c[s != 0] @ c[s != 0]) / l2)
        if abs(step - gamma) <= 1e-12 * gamma:  # Newton's steps at the root
            return step
        inside = lo < step < hi
        gamma = step if inside else (0.5 * (lo + hi) if hi < np.inf else 2 * gamma)
    return gamma


def _point(B, T, c, l1, l2, positive=False):
    r"""What the search reads at the dual point with :math:`B^\top r =`
    ``c``: the non-zero coefficients :math:`A` of :math:`w(r)`, :math:`z =
    \lambda_2 w(r)`, :math:`w(r)` and its residual :math:`T - B_A w_A`
    (from the columns :math:`A`, or, where they are more than a quarter of
    them, the whole product: no copy of the columns)."""
    z = _excess(c, l1, positive)[1]
    A = np.flatnonzero(z)
    w = z / l2
    Bw = B[:, A] @ w[A] if 4 * len(A) <= len(w) else B @ w
    return A, z, w, T - Bw


def _violation(B, c, z, grad, l1, scale, positive=False):
    r"""The largest violation of the primal optimality of :math:`w =
    z/\lambda_2` in units of ``scale``. Its gradient is :math:`-B^\top (T -
    Bw) + \lambda_2 w = z - c + B^\top \nabla\phi` (``c`` :math:`=
    B^\top r`): on the non-zero coefficients, where :math:`z - c =
    -\lambda_1 \operatorname{sign}(w)`, the violation is
    :math:`|B_j^\top \nabla\phi|` (at zero with ``positive`` the
    gradient's negative part over :math:`\lambda_1` alone)."""
    g = z - c + B.T @ grad
    at_zero = np.maximum(descent_magnitude(g, positive) - l1, 0)
    off = np.where(z != 0, np.abs(g + l1 * np.sign(z)), at_zero)
    return float((off / scale).max(initial=0.0))


class _NewtonSystem:
    r"""The solves :math:`(I + B_A B_A^\top / \lambda_2)^{-1} v` of a run of
    active sets on one factor ``B`` (one fit's steps, or a path's fits on
    the same datafit, each of its own :math:`\lambda_2`): by conjugate
    gradients to a relative residual ``rtol`` where they are predicted to
    cost less than a factor (:func:`_conjugate_gradient`), else exactly, each
    system formed from the last one's where that costs less. The products
    are kept without :math:`\lambda_2`, which each solve adds (:math:`m^2`
    or :math:`|A|^2` flops against the solve's cube). On at most as many
    features as rows by Woodbury's identity, :math:`v - B_A M^{-1} B_A^\top
    v` with :math:`M = \lambda_2 I + G`, :math:`G = B_A^\top B_A`, whose
    entries of the features kept from the last such system are copied (the
    new features' rows cost :math:`m |new| |A|` flops); on more, the rows'
    system :math:`V = I + K / \lambda_2`, :math:`K = B_A B_A^\top`, updated
    by the features that entered and left (:math:`m^2` flops each). Either
    product is formed anew (:math:`m |A|^2 / 2` or :math:`m^2 |A| / 2`)
    where more than half of it changed."""

    def __init__(self, B):
        self.B = B
        self.features = None  # (A, G) of the last features' system
        self.rows = None  # (A, K) of the last rows' system
        self.on = None  # its features, as a mask

    def solve(self, A, v, l2, rtol=0.0):
        if len(A) == 0:
            return v.copy()
        m, d = self.B.shape
        B_A = None  # the active columns, taken once
        direct = self.direct_flops(A) if rtol > 0 else 0.0
        if direct > CG_MIN_SHARE * 4 * m * d:  # CG where the factor dominates
            allowance = int(direct / (4 * m * len(A)))
            if allowance >= CG_MIN_ITERATIONS:
                B_A = self.B[:, A]
                x = _conjugate_gradient(B_A, v, l2, rtol, allowance)
                if x is not None:
                    return x
        if len(A) <= m:
            B_A = self.B[:, A] if B_A is None else B_A
            M = self._features_product(A, B_A).copy()
            M.flat[:: len(M) + 1] += l2  # the diagonal
            return v - B_A @ _definite_solve(M, B_A.T @ v)
        V = self._rows_product(A) * (1.0 / l2)
        V.flat[:: len(V) + 1] += 1.0  # the diagonal
        return _definite_solve(V, v)

    def direct_flops(self, A):
        """The flops of the exact solve on ``A``: the product's update from
        the last system on its side (or its formation) and the factor."""
        m = self.B.shape[0]
        if len(A) <= m:
            last = None if self.features is None else self.features[0]
            changed = len(A) if last is None else np.count_nonzero(
                ~np.isin(A, last, assume_unique=True)
            )  # fmt: skip
            product = m * len(A) * (changed if 2 * changed <= len(A) else len(A) / 2)
            return product + len(A) ** 3 / 3
        changed = len(A)
        if self.rows is not None:
            last = self.rows[0]
            changed = np.count_nonzero(~self.on[A]) + len(last) - np.count_nonzero(
                np.isin(last, A, assume_unique=True)
            )  # fmt: skip
        product = m * m * (changed if 2 * changed <= len(A) else len(A) / 2)
        return product + m**3 / 3

    def _features_product(self, A, B_A):
        """:math:`G = B_A^\top B_A`, from the last one where most is kept."""
        if self.features is not None:
            last, G_last = self.features
            kept = np.isin(A, last, assume_unique=True)
            new = np.flatnonzero(~kept)
            if 2 * len(new) <= len(A):
                # the kept entries by two takes (the new features' rows and
                # columns taken from row 0, then overwritten): a third of the
                # time of a masked assignment, which cost more than forming G
                at = np.searchsorted(last, A)
                at[new] = 0
                G = G_last.take(at, 0).take(at, 1)
                G_new = B_A[:, new].T @ B_A  # the new features' rows
                G[new], G[:, new] = G_new, G_new.T
                self.features = (A, G)
                return G
        G = B_A.T @ B_A
        self.features = (A, G)
        return G

    def _rows_product(self, A):
        """:math:`K = B_A B_A^\top`, updated from the last one where few
        features entered and left."""
        on = np.zeros(self.B.shape[1], dtype=bool)
        on[A] = True
        if self.rows is not None:
            last, K = self.rows
            entered, left = A[~self.on[A]], last[~on[last]]
            self.on = on
            if 2 * (len(entered) + len(left)) <= len(A):
                for cols, sign in ((entered, 1.0), (left, -1.0)):
                    if len(cols):
                        C = self.B[:, cols]
                        K += sign * (C @ C.T)
                self.rows = (A, K)
                return K
        self.on = on  # the last rows' product's features, as a mask
        C = self.B[:, A]
        K = C @ C.T  # the symmetric product: half the flops
        self.rows = (A, K)
        return K


def _conjugate_gradient(B_A, v, l2, rtol, allowance):
    r""":math:`H^{-1} v`, :math:`H = I + B_A B_A^\top / \lambda_2`, by
    conjugate gradients from 0 to a residual of at most ``rtol`` times
    :math:`\|v\|`, at most ``allowance`` iterations, two products with
    ``B_A`` each; None where the allowance runs out, or where the residual's
    rate of decrease over the first ``CG_CHECKS`` iterations predicts more
    (:math:`H`'s eigenvalues lie in :math:`[1, 1 + \|B_A\|^2 / \lambda_2]`:
    a few iterations where the L2 term dominates, as many as the rows where
    it is small against the columns' correlations). Each iterate is a
    descent direction of :math:`\phi` (its inner product with the gradient
    :math:`-v` is negative)."""
    x = np.zeros_like(v)
    r, p = v.copy(), v.copy()
    rr = vv = float(v @ v)
    if vv == 0.0:  # the solution itself
        return x
    goal = rtol * rtol * vv
    for it in range(1, allowance + 1):
        u = B_A.T @ p
        Hp = p + (B_A @ u) / l2
        step = rr / (float(p @ p) + float(u @ u) / l2)
        x += step * p
        r -= step * Hp
        rr, rr_last = float(r @ r), rr
        if rr <= goal:
            return x
        if it in CG_CHECKS:  # the iterations to the goal at the rate so far
            rate = min(rr / vv, 1.0) ** (1 / (2 * it))
            if rate >= 1.0 or math.log(rtol) / math.log(rate) > allowance:
                return None
        p *= rr / rr_last
        p += r
    return None


def _definite_solve(M, v):
    r""":math:`M^{-1} v` for the symmetric positive definite ``M`` of a
    Newton system by its Cholesky factor (half the flops of an LU solve:
    0.88x the whole search's time on 8 problems of 100-800 rows); by LU
    where rounding left a pivot that is not positive. The factor is
    :func:`newton_cholesky`'s (``_newton._cholesky``: numpy's on large
    systems), one right-hand side by LAPACK's ``potrs``."""
    factor = _cholesky(M)
    if factor is None:
        return np.linalg.solve(M, v)
    return dpotrs(factor, v, lower=0)[0]


def _armijo(r, c, T, delta, dc, slope, l1, l2, positive=False):
    r"""The step along ``delta`` that Armijo's test accepts, from 1, halved:
    :math:`\phi(r + t\Delta) - \phi(r) \le` ``ARMIJO`` :math:`t\,\nabla\phi^\top
    \Delta`, the change computed as a change (the decrease near the optimum
    is far below :math:`\phi`'s rounding); :math:`B^\top(r + t\Delta) = c +
    t\,` ``dc`` costs no product. None where no step down to ``MIN_STEP``
    passes, or the slope is not negative."""
    if not slope < 0:
        return None
    s = _excess(c, l1, positive)[0]
    linear, quadratic = float((r - T) @ delta), float(delta @ delta)
    t = 1.0
    while t >= MIN_STEP:
        s_t = _excess(c + t * dc, l1, positive)[0]
        change = (
            t * linear + 0.5 * t * t * quadratic
            + float((s_t - s) @ (s_t + s)) / (2 * l2)
        )  # fmt: skip
        if change <= ARMIJO * t * slope:
            return t
        t *= 0.5
    return None
