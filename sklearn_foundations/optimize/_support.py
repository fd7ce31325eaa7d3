r"""Newton's steps on the support of a sparse iterate, its signs held
(:func:`support_newton`): the step past ``tol`` of accelerated proximal
gradient's L1 and elastic-net fits, which stop at ``tol`` with the support
settled and the error along the flat directions of the objective still
large. Imports only numpy."""

import numpy as np

from ._result import OptimizeResult, _Observer, _optimality, _scale, _squared_floor

# a step's conjugate gradient stops where every residual, in column units,
# is at most this share of the optimality squared: a Newton step about
# squares the error
RESIDUAL_SHARE = 0.1
# a step halved below this is no Newton step (the signs or the support are
# not the solution's yet, or conjugate gradient ran out of products): the
# steps stop there, where further halvings cost a pass over the data each
MIN_STEP = 1 / 16
# conjugate gradient stops at a direction whose curvature is below this
# share of its diagonal's (the Hessian's rounding: collinear columns)
NULL_CURVATURE = 64 * float(np.finfo(np.float64).eps)
ARMIJO = 1e-4  # the share of the model's decrease a step must reach


def support_newton(
    datafit, penalty, theta0, *, tol, max_steps=3, max_products=100,
    callback=None, verbose=0, iteration0=0,
):  # fmt: skip
    r"""Newton-CG on the support of ``theta0``, the signs of its entries held.

    On the support :math:`S` (the non-zero penalized entries, and every
    unpenalized one: the intercept) with the signs :math:`\sigma` held, the
    objective (the mean loss plus :math:`\alpha (\rho \|w\|_1 + (1 - \rho)/2
    \|w\|_2^2)`, intercept not penalized) is smooth,

    .. math::

        F_S(\theta) = f(\theta) + \lambda_1 \sigma^\top \theta_S
        + \tfrac{\lambda_2}{2} \|\theta_S\|^2, \qquad
        \lambda_1 = \alpha\rho, \ \lambda_2 = \alpha(1 - \rho),

    and equal to :math:`F` while no sign changes. Each step solves
    :math:`(\nabla^2 f + \lambda_2 I)_{SS}\, \delta_S = -\nabla_S F_S` by
    conjugate gradient (the datafit's Hessian-vector products, preconditioned
    by its metric), until every residual in column units is at most
    ``RESIDUAL_SHARE`` of the optimality squared (or ``max_products``
    products over all the steps are spent). The step is taken whole with
    the entries it carries across zero set to zero (they leave the support)
    where Armijo's condition on :math:`F` holds there, else cut where its
    first entry reaches zero and halved until the condition holds
    (:func:`_descent`). It stops at an
    optimality (:math:`\max_j` of ``penalty.subdiff_distance`` in column
    units, the zero entries' included) of at most ``tol**2``, after
    ``max_steps`` steps, or where a step does not lower :math:`F`.

    Where the iterate's support and signs are the solution's, one step about
    squares the error (the first-order method's ``tol`` of optimality can
    leave the objective 1e-3 off, relative, along directions of small
    curvature); where they are not, the steps stop at the first wrong sign.
    The caller keeps the point with the lower objective among those within
    ``tol``: ``result.converged`` says this one is (optimality at most
    ``tol``). ``iteration0``: the iterations before these (the first-order
    method's), from which the callback's count goes on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> from sklearn_foundations.optimize import fista
    >>> from sklearn_foundations.optimize._support import support_newton
    >>> from sklearn_foundations.penalties import L1
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = (X[:, :1] + 0.5 * rng.standard_normal((200, 1)) > 0).astype(float)
    >>> f = LinearDatafit(BinomialLogLoss(), X, y, np.full(200, 1 / 200))
    >>> near = fista(f, L1(0.05), np.zeros((5, 1)), step=2.0, max_iter=500, tol=1e-3)
    >>> exact = fista(f, L1(0.05), np.zeros((5, 1)), step=2.0, max_iter=9000, tol=1e-13)
    >>> res = support_newton(f, L1(0.05), near.coef, tol=1e-3)
    >>> res.optimality < 1e-6, np.allclose(res.coef, exact.coef, rtol=1e-8)
    (True, True)
    """
    theta = np.array(theta0, dtype=datafit.dtype)
    l2 = float(penalty.l2)
    penalized = np.arange(theta.shape[0])[:, None] < datafit.n_features
    scale = _scale(datafit)
    # the preconditioner: the metric (each column's curvature, up to the
    # loss's factor) plus the L2 term
    D = np.broadcast_to(scale * scale, theta.shape) + np.where(penalized, l2, 0.0)
    Z = datafit.linear(theta)
    grad = datafit.gradient(theta, Z)
    F = datafit.value(theta, Z) + penalty.value(theta)
    optimality = _optimality(penalty.subdiff_distance(theta, grad), scale)
    observe = _Observer("Newton step on the support", callback, verbose)
    products, step = 0, 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_steps + 1):
            floor = _squared_floor(tol, F, theta.dtype)
            if optimality <= floor or products >= max_products:
                break
            support = _held_shift(datafit, ~penalized | (theta != 0), penalized, l2)
            g = np.where(support, grad + penalty.gradient(theta), 0.0)
            bound = RESIDUAL_SHARE * optimality * optimality * scale
            delta, Z_delta, used = _solve(
                datafit, Z, g, support, penalized, l2, D, bound, max_products - products
            )
            products += used
            accepted = _descent(
                datafit, penalty, theta, Z, F, g, delta, Z_delta, penalized
            )
            if accepted is None:
                break
            theta_new, Z_new, F_new, step = accepted
            theta, Z, F = theta_new, Z_new, F_new
            grad = datafit.gradient(theta, Z)
            optimality = _optimality(penalty.subdiff_distance(theta, grad), scale)
            if observe(iteration0 + it, theta, F, optimality, step):
                break
    return OptimizeResult(
        coef=theta, n_iter=len(observe.objective), objective=observe.objective,
        converged=optimality <= tol, step=step, optimality=optimality,
        stopped=observe.stopped,
    )  # fmt: skip


def _solve(datafit, Z, g, support, penalized, l2, D, bound, max_products):
    r"""Preconditioned conjugate gradient on :math:`(\nabla^2 f +
    \lambda_2 I)_{SS} \delta_S = -g_S` from 0 (``D`` the diagonal
    preconditioner), until every residual is at most ``bound`` or after
    ``max_products`` products; the step, its image :math:`A\delta` (summed
    from the products' images: no pass for it) and the products taken."""
    product = datafit.hessian_at(Z)  # the loss's part at Z once for every p
    r = -g
    z = r / D
    rz = float((r * z).sum())
    delta, Z_delta = np.zeros_like(g), None
    p, used = z, 0
    while used < max_products and rz > 0:
        used += 1
        A_p = datafit.linear(p)
        Hp = np.where(support, product(p, A_p) + np.where(penalized, l2 * p, 0.0), 0.0)
        pHp = float((p * Hp).sum())
        if not pHp > NULL_CURVATURE * float((p * D * p).sum()):
            break  # no curvature along p but rounding's: keep what there is
        eta = rz / pHp
        delta += eta * p
        Z_delta = eta * A_p if Z_delta is None else Z_delta + eta * A_p
        r -= eta * Hp
        if (np.abs(r) <= bound).all():
            break
        z = r / D
        rz_new = float((r * z).sum())
        p, rz = z + (rz_new / rz) * p, rz_new
    return delta, (datafit.linear(delta) if Z_delta is None else Z_delta), used


def _descent(datafit, penalty, theta, Z, F, g, delta, Z_delta, penalized):
    r"""The point of Newton's step ``delta``: the whole step with the
    entries it carries across zero set to zero (:func:`_projected`: the
    support's small entries leave at once) where Armijo's condition holds
    there; else the step cut where its first entry reaches zero
    (:func:`_to_first_zero`: along a direction the Hessian does not see,
    collinear columns without an L2 term, the step is as long as rounding
    makes it), halved down to ``MIN_STEP`` until the condition holds.
    Returns ``(theta, Z, F, step)``, or None where no point qualifies."""
    theta_new, Z_new = _projected(datafit, theta, Z, delta, Z_delta, penalized)
    F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
    if F_new <= F + ARMIJO * float((g * (theta_new - theta)).sum()):
        return theta_new, Z_new, F_new, 1.0
    delta, Z_delta = _to_first_zero(theta, delta, Z_delta, penalized)
    slope = float((g * delta).sum())
    step = 1.0
    while slope < 0 and step >= MIN_STEP:
        theta_new, Z_new = theta + step * delta, Z + step * Z_delta
        F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
        if F_new <= F + ARMIJO * step * slope:
            return theta_new, Z_new, F_new, step
        step *= 0.5
    return None


def _to_first_zero(theta, delta, Z_delta, penalized):
    r"""The step cut where its first penalized entry reaches zero (that
    entry then exactly zero), :math:`t = \min_j -\theta_j / \delta_j` over
    the entries it would carry across; the whole step where none."""
    across = penalized & (theta * delta < 0) & (np.abs(delta) >= np.abs(theta))
    if not across.any():
        return delta, Z_delta
    ratio = np.full(theta.shape, np.inf)
    ratio[across] = -theta[across] / delta[across]
    first = np.unravel_index(np.argmin(ratio), theta.shape)
    t = float(ratio[first])
    delta = t * delta
    delta[first] = -theta[first]  # exactly zero there
    return delta, t * Z_delta


def _projected(datafit, theta, Z, delta, Z_delta, penalized):
    r""":math:`\theta + \delta` with the penalized entries that it would
    carry across zero set to zero (the orthant of the signs held), and its
    image (a pass over the data where an entry was set)."""
    theta_new = theta + delta
    across = penalized & (theta_new * theta < 0)
    if not across.any():
        return theta_new, Z + Z_delta
    theta_new[across] = 0.0
    return theta_new, datafit.linear(theta_new)


def _held_shift(datafit, support, penalized, l2):
    r"""The support less the last output of each row whose common shift over
    the outputs the objective does not see (a softmax, whose Hessian is null
    along it: the intercept's row, and a penalized row without an L2 term
    and no zero entry), that entry held: conjugate gradient would move
    along the null direction as far as rounding pushes it."""
    if support.shape[1] < 2 or not getattr(datafit.loss, "shift_invariant", False):
        return support
    flat = support.all(axis=1) & (~penalized[:, 0] | (l2 == 0))
    if flat.any():
        support = support.copy()
        support[flat, -1] = False
    return support
