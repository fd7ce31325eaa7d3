r"""First-order solvers, one loop each: accelerated (:func:`fista`) and plain
(:func:`proximal_gradient`) proximal gradient on the full batch, and
:func:`stochastic_gradient` on mini-batches with a learning-rate schedule.
Each step is :math:`\theta \leftarrow \operatorname{prox}_{\eta g}(\theta -
\eta \nabla f(\theta))`. Imports only numpy."""

import math

import numpy as np

from ._result import OptimizeResult, _check_divergence, _Observer, _optimality, _scale
from ._schedules import Plateau

_STEP_CUT, _STEP_GROWTH = 0.5, 1.1  # FISTA's line search


def fista(
    datafit, penalty, theta0, *, step, max_iter, tol, restart=True,
    line_search=False, center=None, metric=None, callback=None, verbose=0,
):  # fmt: skip
    r"""Accelerated proximal gradient (FISTA) with adaptive restart.

    .. math::

        \theta_{k+1} = \operatorname{prox}_{\eta g}(z_k - \eta \nabla f(z_k)), \quad
        t_{k+1} = \tfrac{1 + \sqrt{1 + 4 t_k^2}}{2}, \quad
        z_{k+1} = \theta_{k+1} + \tfrac{t_k - 1}{t_{k+1}} (\theta_{k+1} - \theta_k),

    with :math:`\eta = 1/L`, or with ``line_search`` a step adapted to the
    local curvature: it is halved until the quadratic upper model holds,

    .. math::

        f(\theta_{k+1}) \le f(z_k) + \nabla f(z_k)^\top (\theta_{k+1} - z_k)
        + \tfrac{1}{2\eta} \|\theta_{k+1} - z_k\|^2,

    and grown by 10% after each iteration (a softmax's curvature is often
    several times below its global bound); once the quadratic term falls
    below the rounding of the values it is checked in its gradient form, as
    :func:`proximal_gradient` does. Momentum restarts (:math:`t = 1`)
    when it points uphill,
    :math:`(z_k - \theta_{k+1})^\top (\theta_{k+1} - \theta_k) > 0`
    (O'Donoghue and Candes, 2015). The images :math:`A z` of the datafit's
    linear map are extrapolated alongside, so each iteration is one ``linear``
    and one ``gradient`` call (plus one ``linear`` per halving).

    With ``metric`` :math:`D` (a vector, one entry per row of ``theta``, such
    as ``datafit.metric()``) the steps are taken in that metric, :math:`\eta
    D^{-1}` per coordinate, with the prox of :math:`\eta D^{-1} g` and
    :math:`\|\cdot\|_D` in the line search: gradient descent on the
    coefficients of standardized columns, whose conditioning does not depend
    on the scales of the columns; ``step`` is then :math:`1/L` of
    :math:`D^{-1/2} \nabla^2 f D^{-1/2}`. It stops when the gradient mapping
    :math:`G = (z - \theta_{+}) / (\eta D^{-1})`, zero exactly at an optimum,
    has :math:`\max_j |G_j| / \sqrt{D_j} \le` ``tol`` (:math:`D` the
    datafit's metric, whether or not the steps use it).

    ``center``, when given, maps each new iterate to one with the same datafit
    (value and gradient, from the same images :math:`A\theta`) and no larger
    penalty, such as :meth:`~sklearn_foundations.penalties.ElasticNet.center`
    for the softmax, which adding a constant to every class's weight of a
    feature leaves unchanged. Its null direction is then solved exactly
    instead of by the penalty's slow pull (43 iterations to 26 on a 10-class
    L1 problem, often half as many under an elastic net).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import fista
    >>> from sklearn_foundations.penalties import L2
    >>> f = QuadraticDatafit(np.eye(2), np.ones((2, 1)), None, 0.0, fit_intercept=False)
    >>> res = fista(f, L2(1.0), np.zeros((2, 1)), step=1.0, max_iter=100, tol=1e-10)
    >>> res.coef.ravel()  # minimizer of |w|^2 / 2 - sum(w) + |w|^2 / 2
    array([0.5, 0.5])
    """
    theta = theta0
    A = datafit.linear(theta)
    z, A_z, t = theta, A, 1.0
    scale = _scale(datafit)
    M = np.ones_like(scale) if metric is None else np.asarray(metric)[:, None]
    initial = datafit.value(theta, A) + penalty.value(theta)
    slack = 10 * np.finfo(np.asarray(theta).dtype).eps
    observe = _Observer("Iteration", callback, verbose)
    converged, it, optimality = False, 0, np.nan
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            if line_search:
                f_z, grad = datafit.value_gradient(z, A_z)
            else:
                grad = datafit.gradient(z, A_z)
            while True:
                steps = (step / M).astype(grad.dtype)
                theta_new = penalty.prox(z - steps * grad, steps)
                A_new = datafit.linear(theta_new)
                f_new = datafit.value(theta_new, A_new)
                if not line_search or _majorizes(
                    f_z, f_new, grad, lambda t=theta_new, a=A_new: datafit.gradient(t, a),
                    theta_new - z, step, M,
                ) or _negligible(theta_new - z, z, slack):  # fmt: skip
                    break
                step *= _STEP_CUT
            mapped = theta_new  # the gradient mapping is (z - mapped) / steps
            if center is not None:
                theta_new = center(theta_new)
            F = f_new + penalty.value(theta_new)
            _check_divergence(it, F, initial)
            optimality = _optimality((z - mapped) / steps, scale)
            converged = optimality <= tol
            if observe(it, theta_new, F, optimality, step) or converged:
                theta = theta_new
                break
            if restart and ((z - mapped) * M * (theta_new - theta)).sum() > 0:
                t = 1.0
            t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            beta = (t - 1.0) / t_new
            z = theta_new + beta * (theta_new - theta)
            A_z = datafit.extrapolate(A_new, A, beta)  # the images alongside
            theta, A, t = theta_new, A_new, t_new
            if line_search:
                step *= _STEP_GROWTH
    return OptimizeResult(
        coef=theta, n_iter=it, objective=observe.objective, converged=converged,
        step=step, t=len(observe.objective) + 1, optimality=optimality, stopped=observe.stopped,
    )  # fmt: skip


def proximal_gradient(
    datafit, penalty, theta0, *, step, max_iter, tol, line_search=False,
    shrink=0.5, grow=2.0, metric=None, callback=None, verbose=0,
):  # fmt: skip
    r"""Proximal gradient descent, constant step or Armijo backtracking.

    With ``line_search=True`` each step starts at ``grow`` times the previous
    one and is multiplied by ``shrink`` until the sufficient-decrease condition

    .. math::

        f(\theta_{+}) \le f(\theta) + \nabla f(\theta)^\top (\theta_{+} - \theta)
        + \frac{1}{2\eta} \|\theta_{+} - \theta\|^2

    holds, which needs no Lipschitz constant (Beck and Teboulle, 2009). Near
    the optimum the values round off, so once the quadratic term falls below
    ``1e-6`` of ``|f|`` the condition is checked in the gradient form
    :math:`(\nabla f(\theta_{+}) - \nabla f(\theta))^\top (\theta_{+} - \theta)
    \le \|\theta_{+} - \theta\|^2 / (2\eta)`, which implies it for convex
    ``f``. A trial step too small to change ``theta`` in floating point ends the
    search: ``theta`` is then stationary to machine precision. ``metric`` and
    the stopping test are those of :func:`fista`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import proximal_gradient
    >>> from sklearn_foundations.penalties import L1
    >>> f = QuadraticDatafit(np.eye(2), np.array([[2.0], [0.5]]), None, 0.0,
    ...                      fit_intercept=False)
    >>> res = proximal_gradient(f, L1(1.0), np.zeros((2, 1)), step=10.0,
    ...                         max_iter=100, tol=1e-10, line_search=True)
    >>> res.coef.ravel()  # soft-thresholding of q at 1
    array([1., 0.])
    """
    theta = theta0
    A = datafit.linear(theta)
    f, grad = datafit.value(theta, A), datafit.gradient(theta, A)
    scale = _scale(datafit)
    M = np.ones_like(scale) if metric is None else np.asarray(metric)[:, None]
    initial = f + penalty.value(theta)
    slack = 10 * np.finfo(np.asarray(theta).dtype).eps
    observe = _Observer("Iteration", callback, verbose)
    converged, it, optimality = False, 0, np.nan
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            while True:
                steps = (step / M).astype(grad.dtype)
                theta_new = penalty.prox(theta - steps * grad, steps)
                A_new = datafit.linear(theta_new)
                f_new = datafit.value(theta_new, A_new)
                grad_new = datafit.gradient(theta_new, A_new)
                d = theta_new - theta
                stalled = _negligible(d, theta, slack)
                if (
                    not line_search
                    or stalled
                    or _sufficient_decrease(f, f_new, grad, grad_new, d, step, M)
                ):
                    break
                step *= shrink
            F = f_new + penalty.value(theta_new)
            _check_divergence(it, F, initial)
            optimality = _optimality(d / steps, scale)
            theta, f, grad = theta_new, f_new, grad_new
            converged = optimality <= tol
            if observe(it, theta, F, optimality, step) or converged:
                break
            if line_search and stalled:  # stationary to machine precision
                break
            if line_search:
                step *= grow
    return OptimizeResult(
        coef=theta, n_iter=it, objective=observe.objective, converged=converged,
        step=step, t=len(observe.objective) + 1, optimality=optimality, stopped=observe.stopped,
    )  # fmt: skip


def _majorizes(f, f_new, grad, grad_new, d, step, M):
    """FISTA's test: the quadratic upper model holds on values (up to a few
    ulps of ``f``); where it fails with its quadratic term below the
    values' rounding, the gradient form decides (``grad_new`` computed only
    then: one more pass, in the last iterations alone)."""
    dd = (M * d * d).sum()
    slack = 16 * np.finfo(np.asarray(grad).dtype).eps * abs(f)
    if f_new <= f + (grad * d).sum() + dd / (2 * step) + slack:
        return True
    if dd / (2 * step) >= 1e-6 * max(abs(f), abs(f_new)):
        return False
    return ((grad_new() - grad) * d).sum() <= dd / (2 * step)


def _negligible(d, theta, slack):
    """Whether the step ``d`` moves no coordinate of ``theta`` by more than
    ``slack`` of its own size (each coordinate on its own scale; a coordinate
    at zero by less than the smallest normal number)."""
    tiny = np.finfo(np.asarray(theta).dtype).tiny
    return bool((np.abs(d) <= np.maximum(slack * np.abs(theta), tiny)).all())


def _sufficient_decrease(f, f_new, grad, grad_new, d, step, M):
    """Armijo's condition on values while its quadratic term stands well above
    their round-off; then its gradient form, which implies it for convex ``f``."""
    dd = (M * d * d).sum()
    if dd / (2 * step) >= 1e-6 * max(abs(f), abs(f_new)):
        return f_new <= f + (grad * d).sum() + dd / (2 * step)
    return ((grad_new - grad) * d).sum() <= dd / (2 * step)


def stochastic_gradient(
    datafit, penalty, theta0, *, schedule, batch_size, max_iter, tol,
    n_iter_no_change=5, shuffle=True, rng=None, t0=1, average=None,
    monitor=None, callback=None, verbose=0,
):  # fmt: skip
    r"""Mini-batch proximal stochastic gradient descent.

    Each epoch visits the samples once, in mini-batches :math:`B` of
    ``batch_size`` rows (shuffled when ``shuffle``), with the unbiased estimate
    :math:`\nabla f_B` of the full gradient:

    .. math::

        \theta \leftarrow \operatorname{prox}_{\eta_t g}
        \big(\theta - \eta_t \nabla f_B(\theta)\big), \qquad t \leftarrow t + 1.

    After each epoch the full objective is recorded (and ``callback`` called,
    which stops the loop by returning True); when it has not improved by
    ``tol`` for ``n_iter_no_change`` epochs, or ``monitor(theta)`` returns
    True (a plateau of a validation score, for early stopping), the schedule
    is asked to ``reduce``: the adaptive one divides its rate by 5 and goes
    on, the others stop.

    ``average`` (a pair ``(start, (mean, count))``, scikit-learn's averaged
    SGD) returns the running mean :math:`\bar\theta` of the iterates from the
    ``start``-th update on (``mean`` and ``count`` so far, to resume), whose
    noise shrinks as :math:`1/\sqrt{k}` without a decaying rate; the
    objective is recorded at it and the last iterate is ``result.iterate``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> from sklearn_foundations.optimize import InverseScaling, stochastic_gradient
    >>> from sklearn_foundations.penalties import L2
    >>> X = np.array([[1.0], [2.0], [3.0]])
    >>> f = LinearDatafit(HalfSquaredError(), X, 2 * X, np.full(3, 1 / 3))
    >>> res = stochastic_gradient(f, L2(0.0), np.zeros((1, 1)), batch_size=1,
    ...     schedule=InverseScaling(0.1, 0.1), max_iter=200, tol=1e-12,
    ...     rng=np.random.default_rng(0))
    >>> round(float(res.coef[0, 0]), 4)
    2.0
    """
    rng = np.random.default_rng(rng)
    n = datafit.n_samples
    theta, t = theta0, t0
    initial = datafit.value(theta, datafit.linear(theta)) + penalty.value(theta)
    plateau = Plateau(tol, n_iter_no_change)
    observe = _Observer("Epoch", callback, verbose)
    converged, epoch, step = False, 0, schedule(t)
    mean, count = (theta0, 0) if average is None else average[1]
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, max_iter + 1):
            order = rng.permutation(n) if shuffle else np.arange(n)
            for start in range(0, n, batch_size):
                batch = (
                    datafit
                    if batch_size >= n
                    else datafit.batch(order[start : start + batch_size])
                )
                step = schedule(t)
                grad = batch.gradient(theta, batch.linear(theta))
                theta = penalty.prox(theta - step * grad, step)
                t += 1
                if average is not None and t > average[0]:
                    count += 1
                    mean = mean + (theta - mean) / count
            point = theta if average is None or not count else mean
            F = datafit.value(point, datafit.linear(point)) + penalty.value(point)
            _check_divergence(epoch, F, initial)
            if observe(epoch, point, F, np.nan, step):
                break
            stalled = monitor(point) if monitor is not None else plateau.update(F)
            if stalled:
                if not schedule.reduce():
                    converged = True
                    break
                plateau.reset()
    averaged = average is not None and count > 0
    return OptimizeResult(
        coef=mean if averaged else theta, n_iter=epoch, objective=observe.objective,
        converged=converged, step=step, t=t, iterate=theta,
        averaged=(mean, count), stopped=observe.stopped,
    )  # fmt: skip
