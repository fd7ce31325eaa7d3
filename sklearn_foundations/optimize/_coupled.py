r"""Proximal Newton over coupled outputs (:func:`coupled_newton`), for the
L1 and elastic-net fits of a loss whose outputs share curvature (the
softmax's classes): the whole fit where the model is small (the table's
``coupled-newton`` row), and the step past ``tol`` of accelerated proximal
gradient's fits, where the support that the first-order method reaches at
``tol`` is not the solution's and Newton's steps on it (:mod:`._support`)
stop at its first wrong sign. Imports only numpy."""

import numpy as np

from ._newton import _backtrack
from ._prox_newton import _working_set as _coordinates
from ._quadratic import signs_search
from ._result import OptimizeResult, _Observer, _optimality, _scale, _squared_floor

# the working set holds at least this many coordinates (feature, output)
WS_MIN = 10
# a model's matrix costs n m^2 flops for m coordinates over n rows: the
# steps stop before a model of more (about 50 ms on two cores, and its
# search as much): digits' softmax at C=10 (1,797 rows, models of 280-490
# coordinates) 0.4e9; 3,000 x 40 in 20 classes (models of 820) 2e9, 0.3 s
# an iteration where FISTA's whole fit takes 0.1 s
MODEL_FLOPS = 1e9
# a model's search stops at this share of the current optimality: an
# inexact model far from the optimum, an exact one near it (a tenth, as
# proximal Newton's, took 1.2-1.7x the time on digits at C=10: more
# iterations, each forming its model)
MODEL_SHARE = 0.01
# the weights' model takes a proximal term of this share of its diagonal:
# a softmax's row whose every class is in the model leaves it singular
# along the row's shift (for an L1 term flat there too), where feature-sign
# search takes proximal steps, slowly (3,000 x 40 in 20 classes at C=10:
# 3.7 -> 1.3 s); far below any curvature a step resolves
DAMPING = 1e-8
ARMIJO = 1e-4  # the share of the model's decrease a step must reach
# a model's decrease below this many roundings of the objective is not
# seen in its value: the step is taken whole where it lowers the
# optimality (iris's softmax at C=0.1 stopped at an optimality of 4e-11,
# its coefficients 2e-9 off, where the objective no longer fell)
ROUNDING = 64


def coupled_newton(
    datafit, penalty, theta0, *, tol=1e-4, max_iter=20, callback=None, verbose=0,
    iteration0=0,
):  # fmt: skip
    r"""Proximal Newton with working sets of (feature, output) coordinates,
    the outputs' curvature coupled.

    Each iteration minimizes the second-order model of the datafit plus the
    exact penalty over a working set :math:`\mathcal{P}` of coordinates
    (the others stay where they are),

    .. math::

        \delta = \arg\min_{\delta:\ \delta_{jc} = 0,\ (j, c) \notin
        \mathcal{P}} \; \nabla f(\theta)^\top \delta + \tfrac12 \delta^\top
        \nabla^2 f(\theta)\, \delta + \alpha \big(\rho \|W + \delta_W\|_1
        + \tfrac{1 - \rho}{2} \|W + \delta_W\|_2^2\big),

    the penalty on the weights :math:`W` alone (the intercepts are not
    penalized), with the Hessian's block over :math:`\mathcal{P}` formed
    (``datafit.model_hessian(Z, ws, mask)``, :math:`n |\mathcal{P}|^2`
    flops): the intercepts, every output's in the model, are decoupled by
    the pseudo-inverse of their block (a softmax's intercepts are
    determined up to a common shift, along which their block is null), and
    the weights' model, with a proximal term of ``DAMPING`` times its
    diagonal (a softmax's row whose every output is in the model leaves it
    singular along the row's shift), is solved by feature-sign search
    (:func:`~sklearn_foundations.optimize._quadratic.signs_search`, exact)
    to ``MODEL_SHARE`` of the current optimality; from zero at the first iteration (the first-order method's
    signs are not the solution's: a search from them walks through each
    wrong one), from the iterate after. Armijo's backtracking along
    :math:`\delta` follows. The working set holds the support and the
    largest violations (``penalty.subdiff_distance`` in column units), as
    many as the support has, a quarter of the violating coordinates, and
    ``WS_MIN`` at least.

    It stops at an optimality of at most ``tol**2`` (or the objective's
    rounding), after ``max_iter`` iterations, where a step does not lower
    the objective, or before a model of more than ``MODEL_FLOPS`` flops;
    a step whose decrease is below ``ROUNDING`` times the objective's
    rounding (near the optimum) is taken whole where it lowers the
    optimality. ``converged``: an optimality of at most ``tol``.
    From a point near the optimum (the first-order method's at ``tol``,
    whose support may be wrong in hundreds of signs) its iterations are
    Newton's: digits' softmax with an L1 term at C = 0.1 to 10, 1e-7 to
    9e-2 off at the first-order method's ``tol``, to rounding in 2 to 8
    iterations; from zero, a softmax's L1 fits on iris and wine took 6-17
    (its first model solved from zero, the violators' largest quarter in
    the working set). ``iteration0``: the iterations before these, from
    which the callback's count goes on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import MultinomialLogLoss
    >>> from sklearn_foundations.optimize import minimize
    >>> from sklearn_foundations.optimize._coupled import coupled_newton
    >>> from sklearn_foundations.penalties import L1, WithIntercept
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 6))
    >>> Y = np.eye(3)[(X[:, :3] + rng.standard_normal((300, 3))).argmax(axis=1)]
    >>> s = np.full(300, 1 / 300)
    >>> f = LinearDatafit(MultinomialLogLoss(), X, Y, s, s @ X, fit_intercept=True)
    >>> g = WithIntercept(L1(0.02))
    >>> near = minimize(f, g, np.zeros((7, 3)), method="fista", tol=1e-3, finish=False)
    >>> res = coupled_newton(f, g, near.coef, tol=1e-3)
    >>> float(near.optimality) > 1e-4, res.optimality < 1e-6, res.n_iter <= 5
    (True, True, True)
    """
    theta = np.array(theta0, dtype=datafit.dtype)
    d, k = datafit.n_features, theta.shape[1]
    intercept = bool(datafit.fit_intercept)
    l1, l2, positive = float(penalty.l1), float(penalty.l2), bool(penalty.positive)
    scale = _scale(datafit)
    Z = datafit.linear(theta)
    grad = datafit.gradient(theta, Z)
    F = datafit.value(theta, Z) + penalty.value(theta)
    violation = penalty.subdiff_distance(theta, grad) / scale
    optimality = _optimality(violation, 1.0)
    observe = _Observer("Coupled Newton iteration", callback, verbose)
    n, step = datafit.n_samples, 1.0
    eps = float(np.finfo(theta.dtype).eps)
    shift = bool(datafit.loss.shift_invariant) and k > 1  # null along 1
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            floor = _squared_floor(tol, F, theta.dtype)
            if optimality <= floor:
                break
            ws, mask = _working_set(theta[:d], violation[:d])
            if n * float(mask.sum() + intercept * k) ** 2 > MODEL_FLOPS:
                break
            if intercept:
                mask = np.vstack([mask, np.ones((1, k), dtype=bool)])
            rows = np.concatenate((ws, [d])) if intercept else ws
            bound = np.broadcast_to(scale[rows], mask.shape)[mask]
            delta = np.zeros_like(theta)
            delta[rows] = _model_step(
                datafit.model_hessian(Z, ws, mask), grad[rows], theta[rows], mask,
                l1, l2, positive, MODEL_SHARE * optimality * bound, first=it == 1,
                intercepts=k if intercept else 0, shift=shift,
            )  # fmt: skip
            decrease = float((grad * delta).sum()) + penalty.value(theta + delta)
            decrease -= penalty.value(theta)
            rounding = ROUNDING * eps * abs(F)
            unseen = abs(decrease) <= rounding  # below F's rounding
            if not (decrease < 0 or unseen):
                break
            Z_delta = datafit.linear(delta)
            if unseen:  # taken whole, judged by the optimality
                step, theta_new, Z_new = 1.0, theta + delta, Z + Z_delta
                F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
            else:
                step, theta_new, Z_new, F_new = _backtrack(
                    datafit, penalty, theta, Z, F, delta, Z_delta, ARMIJO * decrease
                )
                if not F_new < F:
                    break  # no progress left in floating point
            grad_new = datafit.gradient(theta_new, Z_new)
            violation_new = penalty.subdiff_distance(theta_new, grad_new) / scale
            optimality_new = _optimality(violation_new, 1.0)
            if unseen and not (
                F_new < F or (F_new <= F + rounding and optimality_new < optimality)
            ):
                break
            theta, Z, F, grad = theta_new, Z_new, F_new, grad_new
            violation, optimality = violation_new, optimality_new
            if observe(iteration0 + it, theta, F, optimality, step):
                break
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=optimality <= tol, step=step, optimality=optimality,
        stopped=observe.stopped, state=(Z, F - penalty.value(theta), grad),
    )  # fmt: skip


def _working_set(W, violation):
    r"""The features with a coordinate in the working set (sorted) and the
    mask of those coordinates, ``(len(ws), k)``: proximal Newton's working
    set (:func:`~sklearn_foundations.optimize._prox_newton._working_set`)
    over the (feature, output) coordinates, the non-zero entries of ``W``
    and the largest violations, ``max(WS_MIN, 2 |support|, n_violating /
    4)`` in all (fewer when fewer violate)."""
    chosen = np.zeros(W.size, dtype=bool)
    chosen[_coordinates(W.ravel(), violation.ravel(), WS_MIN)] = True
    chosen = chosen.reshape(W.shape)
    ws = np.flatnonzero(chosen.any(axis=1))
    return ws, chosen[ws]


def _intercepts_inverse(H_bb, shift):
    r"""The pseudo-inverse of the intercepts' block. With ``shift`` (a
    softmax's: the block is null along the intercepts' common shift
    :math:`\mathbf{1}`, exactly) :math:`(H_{bb} + c\,\mathbf{1}\mathbf{1}^\top
    / k)^{-1} - \mathbf{1}\mathbf{1}^\top / (c k)`, :math:`c` the mean of the
    diagonal: the null direction by construction, not by a threshold on the
    eigenvalues' rounding (a rounded null eigenvalue of 4e-16 above it gave
    wine's intercepts a step of 0.15 along the shift, near the optimum;
    another null direction, a class whose probabilities underflow to 0, is
    cut as numpy's pseudo-inverse cuts it); else numpy's pseudo-inverse."""
    if not shift:
        return np.linalg.pinv(H_bb, hermitian=True)
    k = len(H_bb)
    c = float(np.trace(H_bb)) / k
    if not c > 0:
        return np.zeros_like(H_bb)
    J = np.full((k, k), 1.0 / k)
    e, V = np.linalg.eigh(H_bb + c * J)  # 1 an eigenvector, of eigenvalue c
    keep = e > k * np.finfo(e.dtype).eps * e[-1]  # numpy's cut, for the others
    return (V[:, keep] / e[keep]) @ V[:, keep].T - J / c


def _model_step(
    H, grad, w, mask, l1, l2, positive, bound, first, intercepts, shift=False
):
    r"""The step on the coordinates ``mask`` of the rows ``w`` (the working
    set's, the intercepts' last) from the model :math:`g^\top \delta +
    \tfrac12 \delta^\top H \delta` plus the penalty: the last
    ``intercepts`` coordinates eliminated, :math:`\delta_b = -H_{bb}^+ (g_b
    + H_{bw} \delta_w)` (the pseudo-inverse: a softmax's intercepts' block
    is null along their common shift), leaving the weights' Schur
    complement :math:`H_{ww} - H_{wb} H_{bb}^+ H_{bw}` (plus ``DAMPING``
    times its diagonal) and gradient :math:`g_w - H_{wb} H_{bb}^+ g_b`,
    solved by feature-sign search to
    ``bound`` (per coordinate, in gradient units) from zero where
    ``first``, else from ``w``. Returns the step in ``w``'s shape."""
    g, u = grad[mask].astype(H.dtype), w[mask].astype(H.dtype)
    m = len(g) - intercepts
    H_ww, g_w = H[:m, :m], g[:m]
    if intercepts:
        H_bw = H[m:, :m]
        pinv = _intercepts_inverse(H[m:, m:], shift)
        coupling = pinv @ H_bw
        H_ww = H_ww - H_bw.T @ coupling
        g_w = g_w - coupling.T @ g[m:]
    H_ww = H_ww + np.diag(DAMPING * np.diagonal(H_ww))  # the proximal term
    H_l2 = H_ww.copy()
    H_l2.flat[:: m + 1] += l2  # the diagonal
    start = np.zeros(m, dtype=u.dtype) if first else u[:m].copy()
    solution, _ = signs_search(
        H_l2, H_ww @ u[:m] - g_w, l1, start, bound[:m], 1.0, 20 + 2 * m,
        positive=positive,
    )  # fmt: skip
    step = np.zeros_like(u)
    step[:m] = solution - u[:m]
    if intercepts:
        step[m:] = -pinv @ (g[m:] + H_bw @ step[:m])
    out = np.zeros_like(w)
    out[mask] = step  # in w's dtype
    return out
