r"""Gradient descent, one readable loop per solver, each returning a result record.

Every solver minimizes :math:`F(\theta) = f(\theta) + g(\theta)` where ``f`` is a
smooth datafit (:mod:`sklearn_foundations.datafits`) and ``g`` a penalty with a
proximal operator (:mod:`sklearn_foundations.penalties`). The update is the
proximal form of :math:`\theta \leftarrow \theta - \eta \nabla J(\theta)`:

.. math::

    \theta \leftarrow \operatorname{prox}_{\eta g}\big(\theta - \eta \nabla f(\theta)\big).

- :func:`fista`: full batch, step :math:`1/L`, Nesterov momentum with adaptive
  restart.
- :func:`proximal_gradient`: full batch, constant step or Armijo backtracking.
- :func:`lbfgs`: full batch, smooth objectives: limited-memory BFGS, a
  quasi-Newton direction from the last gradient differences, with backtracking.
- :func:`newton_cg`: full batch, smooth objectives, dense or sparse ``X``:
  truncated Newton, each step a conjugate-gradient solve of the Newton system
  with Hessian-vector products (two passes over ``X`` each).
- :func:`prox_newton`: full batch, one output, dense or sparse ``X``: proximal
  Newton with working sets, the quadratic model of the loss plus the penalty
  over the support and the worst optimality violations solved by coordinate
  descent (dense ``X``) or by proximal gradient in the model's diagonal metric
  (sparse ``X``).
- :func:`feature_sign`: a lasso or elastic net on a Gram matrix, exactly, by
  guessing the signs of the non-zero coefficients (an active-set method).
- :func:`conjugate_gradient`: full batch, for a quadratic objective (squared
  loss with an L2 penalty): gradient steps along conjugate directions, each with
  the exact step, the fastest gradient method there is for that case.
- :func:`stochastic_gradient`: mini-batches with a learning-rate schedule
  (:class:`Constant`, :class:`InverseScaling`, :class:`Adaptive`).

Full-batch solvers stop when the gradient mapping
:math:`\|\theta_{+} - z\|_\infty / \eta` (zero exactly at an optimum) is at most
``tol``; stochastic ones when the objective stops decreasing by ``tol`` for
``n_iter_no_change`` epochs. An objective that turns non-finite or grows by three
orders of magnitude raises :class:`DivergenceError`. This module imports only
numpy/scipy and, for :func:`prox_newton`, the package's ``linalg`` (Gram
matrix).
"""

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .linalg import gram_matrix

__all__ = [
    "Adaptive",
    "Constant",
    "DivergenceError",
    "InverseScaling",
    "OptimizeResult",
    "conjugate_gradient",
    "Plateau",
    "feature_sign",
    "fista",
    "lbfgs",
    "newton_cg",
    "prox_newton",
    "proximal_gradient",
    "stochastic_gradient",
]

_GROWTH_LIMIT = 1e3
_STEP_CUT, _STEP_GROWTH = 0.5, 1.1  # FISTA's line search


@dataclass
class OptimizeResult:
    """Result record of a solver.

    Attributes
    ----------
    coef : ndarray
        Final parameters ``theta``.
    n_iter : int
        Iterations (full batch) or epochs (stochastic) run.
    objective : list of float
        Objective ``f + g`` after each iteration or epoch.
    converged : bool
        Whether the stopping criterion was met before ``max_iter``.
    step : float
        Last step size used.
    t : int
        Number of parameter updates performed, plus the starting count.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import fista
    >>> from sklearn_foundations.penalties import L2
    >>> f = QuadraticDatafit(np.eye(2), np.array([[1.0], [2.0]]), None, 0.0,
    ...                      fit_intercept=False)
    >>> res = fista(f, L2(1.0), np.zeros((2, 1)), step=0.5, max_iter=100, tol=1e-10)
    >>> res.coef.ravel(), res.converged  # (G + I) w = q
    (array([0.5, 1. ]), True)
    """

    coef: np.ndarray
    n_iter: int
    objective: list = field(default_factory=list)
    converged: bool = False
    step: float = 0.0
    t: int = 1


class DivergenceError(ValueError):
    r"""The objective became non-finite or grew by orders of magnitude.

    Examples
    --------
    A constant step of 2.5 on :math:`f(w) = w^2` (:math:`L = 2`, stable below
    :math:`2/L = 1`) multiplies the error by :math:`|1 - 2 \cdot 2.5| = 4` each
    iteration, and the objective passes a thousand times its start:

    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import DivergenceError, proximal_gradient
    >>> from sklearn_foundations.penalties import L2
    >>> f = QuadraticDatafit(2 * np.eye(1), np.zeros((1, 1)), None, 0.0,
    ...                      fit_intercept=False)
    >>> try:
    ...     proximal_gradient(f, L2(0.0), np.ones((1, 1)), step=2.5,
    ...                       max_iter=100, tol=1e-8)
    ... except DivergenceError as exc:
    ...     print(exc.iteration, exc)
    3 the objective diverged: 4.1e+03 at iteration 3, starting from 1
    """

    def __init__(self, iteration, objective, initial):
        self.iteration, self.objective, self.initial = iteration, objective, initial
        super().__init__(
            f"the objective diverged: {objective:.3g} at iteration {iteration}, "
            f"starting from {initial:.3g}"
        )


def _check_divergence(iteration, objective, initial):
    if not np.isfinite(objective) or objective > _GROWTH_LIMIT * max(initial, 1.0):
        raise DivergenceError(iteration, objective, initial)


def _report(verbose, name, iteration, objective, optimality, step):
    if verbose:
        print(
            f"-- {name} {iteration}: objective {objective:.8g}, "
            f"optimality {optimality:.3g}, step {step:.3g}",
            flush=True,
        )


class Plateau:
    """Counts iterations whose value does not improve on the best by ``tol``.

    ``update(value)`` returns True once ``n_iter_no_change`` consecutive values
    were above ``best - tol``, scikit-learn's SGD rule.

    Examples
    --------
    >>> from sklearn_foundations.optimize import Plateau
    >>> p = Plateau(tol=0.1, n_iter_no_change=2)
    >>> [p.update(v) for v in [1.0, 0.5, 0.45, 0.44]]
    [False, False, False, True]
    """

    def __init__(self, tol, n_iter_no_change):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.reset()

    def reset(self):
        self.best, self.count = np.inf, 0

    def update(self, value):
        self.count = self.count + 1 if value > self.best - self.tol else 0
        self.best = min(self.best, value)
        return self.count >= self.n_iter_no_change


class Constant:
    r"""Constant learning rate :math:`\eta_t = \eta_0`.

    Examples
    --------
    >>> from sklearn_foundations.optimize import Constant
    >>> rate = Constant(0.1)
    >>> rate(1), rate(100), rate.reduce()
    (0.1, 0.1, False)
    """

    def __init__(self, eta0):
        self.eta0 = eta0

    def __call__(self, t):
        return self.eta0

    def reduce(self):
        """On a plateau: a constant rate cannot go on, so stop."""
        return False


class InverseScaling(Constant):
    r"""Decaying learning rate :math:`\eta_t = \eta_0 / t^{p}`, ``p = power_t``.

    Examples
    --------
    >>> from sklearn_foundations.optimize import InverseScaling
    >>> InverseScaling(1.0, power_t=0.5)(4)
    0.5
    """

    def __init__(self, eta0, power_t=0.25):
        super().__init__(eta0)
        self.power_t = power_t

    def __call__(self, t):
        return self.eta0 / t**self.power_t


class Adaptive(Constant):
    r"""Constant rate divided by 5 on each plateau, until it falls below 1e-6.

    Examples
    --------
    >>> from sklearn_foundations.optimize import Adaptive
    >>> rate = Adaptive(1.0)
    >>> rate.reduce(), rate(10)  # a plateau: go on at a fifth of the rate
    (True, 0.2)
    """

    def __init__(self, eta0):
        super().__init__(eta0)
        self.eta = eta0

    def __call__(self, t):
        return self.eta

    def reduce(self):
        self.eta /= 5.0
        return self.eta >= 1e-6


def fista(
    datafit, penalty, theta0, *, step, max_iter, tol, restart=True,
    line_search=False, center=None, monitor=None, verbose=0,
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
    several times below its global bound). Momentum restarts (:math:`t = 1`)
    when it points uphill,
    :math:`(z_k - \theta_{k+1})^\top (\theta_{k+1} - \theta_k) > 0`
    (O'Donoghue and Candes, 2015). The images :math:`A z` of the datafit's
    linear map are extrapolated alongside, so each iteration is one ``linear``
    and one ``gradient`` call (plus one ``linear`` per halving).

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
    initial = datafit.value(theta, A) + penalty.value(theta)
    objective, converged, it = [], False, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            if line_search:
                f_z, grad = datafit.value_gradient(z, A_z)
            else:
                grad = datafit.gradient(z, A_z)
            while True:
                theta_new = penalty.prox(z - step * grad, step)
                A_new = datafit.linear(theta_new)
                f_new = datafit.value(theta_new, A_new)
                if not line_search or _majorizes(f_z, grad, step, theta_new - z, f_new):
                    break
                step *= _STEP_CUT
            mapped = theta_new  # the gradient mapping is (z - mapped) / step
            if center is not None:
                theta_new = center(theta_new)
            F = f_new + penalty.value(theta_new)
            objective.append(F)
            _check_divergence(it, F, initial)
            optimality = np.max(np.abs(mapped - z), initial=0.0) / step
            _report(verbose, "Iteration", it, F, optimality, step)
            if optimality <= tol or (monitor is not None and monitor(theta_new)):
                theta, converged = theta_new, True
                break
            if restart and np.sum((z - mapped) * (theta_new - theta)) > 0:
                t = 1.0
            t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            beta = (t - 1.0) / t_new
            z = theta_new + beta * (theta_new - theta)
            A_z = np.subtract(A_new, A, out=A)  # A's buffer: one n x k array less
            A_z *= beta
            A_z += A_new
            theta, A, t = theta_new, A_new, t_new
            if line_search:
                step *= _STEP_GROWTH
    return OptimizeResult(theta, it, objective, converged, step, it + 1)


def _majorizes(f_z, grad, step, delta, f_new):
    r"""Whether :math:`f(z + \delta) \le f(z) + \nabla f(z)^\top \delta +
    \|\delta\|^2 / (2\eta)`, up to the rounding of the values (a few ulps)."""
    bound = f_z + float(np.sum(grad * delta)) + float(np.sum(delta**2)) / (2 * step)
    return f_new <= bound + 16 * np.finfo(np.asarray(grad).dtype).eps * abs(f_z)


def proximal_gradient(
    datafit, penalty, theta0, *, step, max_iter, tol, line_search=False,
    shrink=0.5, grow=2.0, monitor=None, verbose=0,
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
    search: ``theta`` is then stationary to machine precision.

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
    initial = f + penalty.value(theta)
    slack = 10 * np.finfo(np.asarray(theta).dtype).eps
    objective, converged, it = [], False, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            while True:
                theta_new = penalty.prox(theta - step * grad, step)
                A_new = datafit.linear(theta_new)
                f_new = datafit.value(theta_new, A_new)
                grad_new = datafit.gradient(theta_new, A_new)
                d = theta_new - theta
                stalled = np.max(np.abs(d), initial=0.0) <= slack * np.max(
                    np.abs(theta), initial=1.0
                )
                if (
                    not line_search
                    or stalled
                    or _sufficient_decrease(f, f_new, grad, grad_new, d, step)
                ):
                    break
                step *= shrink
            F = f_new + penalty.value(theta_new)
            objective.append(F)
            _check_divergence(it, F, initial)
            optimality = np.max(np.abs(d), initial=0.0) / step
            _report(verbose, "Iteration", it, F, optimality, step)
            theta, f, grad = theta_new, f_new, grad_new
            if optimality <= tol or (line_search and stalled):
                converged = True
                break
            if monitor is not None and monitor(theta):
                converged = True
                break
            if line_search:
                step *= grow
    return OptimizeResult(theta, it, objective, converged, step, it + 1)


def conjugate_gradient(datafit, penalty, theta0, *, max_iter, tol, monitor=None,
                       verbose=0):  # fmt: skip
    r"""Conjugate gradient on a quadratic :math:`F(\theta) = \tfrac12 \theta^\top H
    \theta - b^\top \theta + c`.

    With the residual :math:`r = -\nabla F(\theta)` and direction ``p``:

    .. math::

        \eta = \frac{r^\top r}{p^\top H p}, \quad
        \theta \leftarrow \theta + \eta p, \quad
        r \leftarrow r - \eta H p, \quad
        p \leftarrow r + \frac{r_{+}^\top r_{+}}{r^\top r} p.

    The Hessian product is a difference of gradients,
    :math:`Hp = \nabla F(p) - \nabla F(0)`, one pass over the data. It stops
    when :math:`\|r\|_\infty \le` ``tol``, the same gradient measure the
    proximal solvers use when the penalty is smooth.

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
    zero = np.zeros_like(theta0)
    g0 = datafit.gradient(zero, datafit.linear(zero))

    def hessian_product(p, A_p):
        return datafit.gradient(p, A_p) - g0 + penalty.gradient(p)

    theta = theta0
    A = datafit.linear(theta)
    r = -(datafit.gradient(theta, A) + penalty.gradient(theta))
    p, rr, step = r, float(np.sum(r * r)), 0.0
    objective, converged, it = [], False, 0
    for it in range(1, max_iter + 1):
        A_p = datafit.linear(p)
        Hp = hessian_product(p, A_p)
        pHp = float(np.sum(p * Hp))
        if pHp <= 0.0 or rr == 0.0:  # already at the minimizer
            converged = True
            objective.append(datafit.value(theta, A) + penalty.value(theta))
            break
        step = rr / pHp
        theta, A, r = theta + step * p, A + step * A_p, r - step * Hp
        F = datafit.value(theta, A) + penalty.value(theta)
        objective.append(F)
        optimality = np.max(np.abs(r), initial=0.0)
        _report(verbose, "Iteration", it, F, optimality, step)
        if optimality <= tol or (monitor is not None and monitor(theta)):
            converged = True
            break
        rr_new = float(np.sum(r * r))
        p, rr = r + (rr_new / rr) * p, rr_new
    return OptimizeResult(theta, it, objective, converged, step, it + 1)


def feature_sign(datafit, penalty, theta0, *, max_iter, tol, verbose=0):
    r"""Lasso and elastic net on a Gram matrix, exactly: feature-sign search.

    For one target of a :class:`~sklearn_foundations.datafits.QuadraticDatafit`
    the objective is, with :math:`H = G + \alpha(1-\rho) I`,

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
    sign pattern repeats, so it ends, exactly optimal, after a few steps per
    non-zero coefficient; each costs a solve of size :math:`|A|` and a
    gradient :math:`O(d^2)`. The intercept, decoupled by centering, is
    :math:`\bar{y}`. It stops when the optimality violation
    (``penalty.subdiff_distance``) is at most ``tol``, or, unconverged, when a
    step no longer lowers :math:`F` in floating point or :math:`H_{AA}` is
    singular.

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
    (array([1., 0.]), 2)
    """
    base = getattr(penalty, "penalty", penalty)  # the elastic net under an intercept
    G, q = datafit.G, datafit.q[:, 0]
    d = len(q)
    H = G + base.l2 * np.eye(d, dtype=G.dtype)
    theta = np.array(theta0, dtype=G.dtype)
    if datafit.fit_intercept:
        theta[d] = datafit.y_mean
    w = theta[:d, 0].copy()

    def F(w):
        return 0.5 * w @ (H @ w) - q @ w + base.l1 * np.abs(w).sum()

    F_w, objective, converged, it = F(w), [], False, 0
    for it in range(1, max_iter + 1):  # one objective value per iteration
        grad, signs = H @ w - q, np.sign(w)
        active = w != 0
        off = np.abs(grad + base.l1 * signs)[active]
        if np.max(off, initial=0.0) <= tol:  # the signs are right: grow A
            violation = np.where(active, 0.0, np.abs(grad) - base.l1)
            j = int(np.argmax(violation))
            if violation[j] <= tol:
                converged = True
                objective.append(float(F_w + datafit.c))
                break
            signs[j], active[j] = -np.sign(grad[j]), True
        A = np.flatnonzero(active)
        try:
            target = np.linalg.solve(H[np.ix_(A, A)], q[A] - base.l1 * signs[A])
            w_new, F_new = _lowest_on_segment(F, w, A, target)
        except np.linalg.LinAlgError:  # a singular active set
            w_new, F_new = w, F_w
        if not F_new < F_w:  # no decrease left in floating point
            objective.append(float(F_w + datafit.c))
            break
        w, F_w = w_new, F_new
        objective.append(float(F_w + datafit.c))  # the intercept's part is 0
        _report(verbose, "Feature-sign step", it, objective[-1], np.nan, 1.0)
    theta[:d, 0] = w
    return OptimizeResult(theta, it, objective, converged, 1.0, it + 1)


def _lowest_on_segment(F, w, A, target):
    """The point of lowest ``F``, and that value, among the end of the segment
    from ``w`` to ``w`` with ``w[A] = target`` and the points where a
    coefficient of ``A`` crosses zero (set to zero exactly there)."""
    end = w.copy()
    end[A] = target
    best, best_F = end, F(end)
    current = w[A]
    crossing = (current != 0) & (np.sign(target) != np.sign(current))
    for i in np.flatnonzero(crossing):
        t = current[i] / (current[i] - target[i])
        point = w.copy()
        point[A] = current + t * (target - current)
        point[A[i]] = 0.0
        value = F(point)
        if value < best_F:
            best, best_F = point, value
    return best, best_F


def lbfgs(datafit, penalty, theta0, *, max_iter, tol, memory=10, c1=1e-4,
          monitor=None, verbose=0):  # fmt: skip
    r"""Limited-memory BFGS for a smooth objective :math:`F = f + g`.

    The direction :math:`p = -H \nabla F(\theta)` applies the inverse-Hessian
    estimate built from the last ``memory`` pairs :math:`s = \theta_{+} -
    \theta`, :math:`y = \nabla F(\theta_{+}) - \nabla F(\theta)` (two-loop
    recursion, Nocedal and Wright, Algorithm 7.4), and the step :math:`\eta`
    halves from 1 until Armijo's condition

    .. math::

        F(\theta + \eta p) \le F(\theta) + c_1 \eta \nabla F(\theta)^\top p

    holds. The datafit is linear-then-nonlinear, so trial points cost no pass
    over the data: :math:`A(\theta + \eta p) = A\theta + \eta A p`. It stops
    when :math:`\|\nabla F\|_\infty \le` ``tol``, the gradient measure of the
    other solvers. ``penalty`` must be smooth (no L1 part).

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
    slack = 4 * np.finfo(np.asarray(theta).dtype).eps
    pairs = deque(maxlen=memory)
    objective, converged, it, step = [], False, 0, 1.0
    if np.max(np.abs(grad), initial=0.0) <= tol:
        return OptimizeResult(theta, 0, [F], True, 0.0, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            p = _two_loop(grad, pairs)
            slope = float(np.sum(grad * p))
            if not slope < 0:  # not a descent direction: forget the curvature
                pairs.clear()
                p, slope = -grad, -float(np.sum(grad * grad))
            step = 1.0 if pairs else min(1.0, 1.0 / np.max(np.abs(grad)))
            A_p = datafit.linear(p)
            while True:
                theta_new, A_new = theta + step * p, A + step * A_p
                F_new = datafit.value(theta_new, A_new) + penalty.value(theta_new)
                accepted = F_new <= F + c1 * step * slope + slack * abs(F)
                if accepted or step * np.max(np.abs(p)) <= slack * np.max(
                    np.abs(theta), initial=1.0
                ):
                    break
                step *= 0.5
            if not accepted:  # no decrease to machine precision along p
                if not pairs:
                    converged = True  # not even along the gradient: stationary
                    break
                pairs.clear()
                continue
            if it % 20 == 0:  # refresh the image, free of accumulated round-off
                A_new = datafit.linear(theta_new)
            grad_new = datafit.gradient(theta_new, A_new) + penalty.gradient(theta_new)
            s, y = theta_new - theta, grad_new - grad
            sy = float(np.sum(s * y))
            if sy > slack * math.sqrt(float(np.sum(s * s)) * float(np.sum(y * y))):
                pairs.append((s, y, 1.0 / sy))
            theta, A, F, grad = theta_new, A_new, F_new, grad_new
            objective.append(F)
            optimality = np.max(np.abs(grad), initial=0.0)
            _report(verbose, "Iteration", it, F, optimality, step)
            if optimality <= tol or (monitor is not None and monitor(theta)):
                converged = True
                break
    return OptimizeResult(theta, it, objective, converged, step, it + 1)


def newton_cg(datafit, penalty, theta0, *, max_iter, tol, max_cg=250, c1=1e-4,
              verbose=0):  # fmt: skip
    r"""Truncated Newton (Newton-CG) for a smooth objective :math:`F = f + g`.

    Each iteration solves the Newton system :math:`\nabla^2 F\, \delta =
    -\nabla F` approximately by conjugate gradient, with the Hessian applied
    to a direction without forming it,

    .. math::

        \nabla^2 F\, v = A^\top \big(\nabla^2 \ell(Z)\, A v\big)
        + \nabla^2 g\, v, \qquad A = [X_c, 1],

    two passes over ``X`` per product (``datafit.hessian_product``; the
    penalty's Hessian product is ``penalty.gradient(v)``, as ``g`` is
    quadratic). Conjugate gradient stops once its residual is below
    :math:`\eta \|\nabla F\|` with :math:`\eta = \min(1/2,
    \sqrt{\|\nabla F\|})`, loose far from the optimum and tight near it
    (superlinear convergence), then the step halves from 1 until Armijo's
    condition :math:`F(\theta + t\delta) \le F(\theta) + c_1 t\,
    \nabla F^\top \delta` holds. Stops when :math:`\|\nabla F\|_\infty \le`
    ``tol`` or when no step decreases ``F`` in floating point. Sparse ``X``
    stays sparse: the second-order method for a smooth objective, where
    :func:`prox_newton` serves the non-smooth one.

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
    if getattr(getattr(penalty, "penalty", penalty), "l1", 0.0) > 0:
        raise ValueError(
            "newton_cg needs a smooth penalty (l1_ratio=0); use prox_newton or "
            "fista for an L1 term."
        )
    theta = np.array(theta0, dtype=np.result_type(theta0, 1.0))
    Z = datafit.linear(theta)
    F = datafit.value(theta, Z) + penalty.value(theta)
    grad = datafit.gradient(theta, Z) + penalty.gradient(theta)
    objective, converged, it, step = [], False, 0, 1.0
    if np.max(np.abs(grad), initial=0.0) <= tol:
        return OptimizeResult(theta, 0, [F], True, 0.0, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            delta = _newton_direction(datafit, penalty, Z, grad, max_cg)
            Z_delta = datafit.linear(delta)
            slope = float(np.sum(grad * delta))
            step, theta_new, Z_new, F_new = _backtrack(
                datafit, penalty, theta, Z, F, delta, Z_delta, c1 * slope
            )
            if not F_new < F:  # no decrease left in floating point: stationary
                objective.append(F)
                converged = True
                break
            theta, Z, F = theta_new, Z_new, F_new
            objective.append(F)
            grad = datafit.gradient(theta, Z) + penalty.gradient(theta)
            optimality = np.max(np.abs(grad), initial=0.0)
            _report(verbose, "Newton iteration", it, F, optimality, step)
            if optimality <= tol:
                converged = True
                break
    return OptimizeResult(theta, it, objective, converged, step, it + 1)


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


def _newton_direction(datafit, penalty, Z, grad, max_cg):
    r"""Conjugate gradient on :math:`\nabla^2 F\, \delta = -\nabla F`, from 0,
    to the relative residual :math:`\min(1/2, \sqrt{\|\nabla F\|})`."""
    norm = math.sqrt(float(np.sum(grad * grad)))
    target = min(0.5, math.sqrt(norm)) * norm
    delta = np.zeros_like(grad)
    r = -grad
    p, rr = r, norm**2
    for _ in range(max_cg):
        Hp = datafit.hessian_product(Z, p) + penalty.gradient(p)
        pHp = float(np.sum(p * Hp))
        if not pHp > 0:  # no curvature along p: keep what we have
            break
        eta = rr / pHp
        delta, r = delta + eta * p, r - eta * Hp
        rr_new = float(np.sum(r * r))
        if math.sqrt(rr_new) <= target:
            break
        p, rr = r + (rr_new / rr) * p, rr_new
    return delta if np.any(delta) else -grad


def prox_newton(
    datafit, penalty, theta0, *, max_iter, tol, max_sweeps=100, ws_start=10,
    c1=1e-4, verbose=0,
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

    for dense ``X`` by cyclic coordinate descent on the small matrix
    :math:`A_\mathcal{W}^\top H A_\mathcal{W}`,
    :math:`A_\mathcal{W} = [X_c[:, \mathcal{W}], 1]` (formed once per
    iteration, :func:`~sklearn_foundations.linalg.gram_matrix`), where each
    coordinate has the closed form

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
    orthogonal. Each iteration then
    backtracks along :math:`\delta` until Armijo's condition
    :math:`F(\theta + t\delta) \le F(\theta) + c_1 t \Delta` holds, with
    :math:`\Delta = \nabla f^\top \delta + g(\theta + \delta) - g(\theta)`.

    The working set holds the support of :math:`w` and the features whose
    optimality violation (``penalty.subdiff_distance``) is largest, as many
    as the support has, at least ``ws_start`` and at least a quarter of the
    violating features: an L1 solution with few non-zeros is found from small
    models, one with many without growing the model from ``ws_start`` one
    doubling per iteration. The intercept, the last
    row of ``theta`` when ``datafit.fit_intercept``, is an unpenalized
    coordinate, always in the model, in the coordinates where it shares no
    curvature with the weights (:func:`_decoupled`; without that, features
    of very different scales couple it to every weight and the iterations
    run into the thousands). The model solve stops once no coordinate moves
    by more than a tenth of the current optimality in gradient units (a
    thirtieth for sparse ``X``: one proximal step is a weaker test than a
    sweep), or after ``max_sweeps`` sweeps (dense) or steps (sparse): an
    inexact solve far from the optimum, an exact one near it. Where the
    objective can no longer resolve the decrease (its change below a few ulps),
    the full step is taken if it lowers the optimality violation. The
    iterations stop when the optimality violation is at most ``tol`` for
    every feature, or when no step makes progress in floating point any more.
    Near the optimum the steps are Newton steps: convergence is superlinear,
    in a few tens of iterations where proximal gradient takes hundreds.

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
    X, s, y = datafit.X, datafit.s, datafit.y
    if sp.issparse(X) and X.format != "csc":  # cheap column slices
        datafit = datafit.with_X(X.tocsc())
    d = X.shape[1]
    base = getattr(penalty, "penalty", penalty)  # the elastic net under an intercept
    theta = np.array(theta0, dtype=X.dtype)
    Z = datafit.linear(theta)
    F = datafit.value(theta, Z) + penalty.value(theta)
    grad = datafit.gradient(theta, Z)
    violation = penalty.subdiff_distance(theta, grad)[:, 0]
    optimality = float(np.max(violation))
    initial = F
    ulps = 16 * np.finfo(theta.dtype).eps  # the objective's resolution, relative
    objective, converged, it, step, L = [], False, 0, 1.0, 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            ws = _working_set(theta[:d, 0], violation[:d], ws_start)
            rows = np.append(ws, d) if datafit.fit_intercept else ws
            h = datafit.loss.hessian_product(y, Z, s, np.ones_like(Z))[:, 0]
            delta = np.zeros_like(theta)
            if sp.issparse(datafit.X):
                delta[rows, 0], X_delta, L = _model_prox_gradient(
                    datafit, h, ws, grad[rows, 0], theta[rows, 0], base.l1,
                    base.l2, max_sweeps, optimality / 30, L,
                )  # fmt: skip
            else:
                hess, g, k = _decoupled(
                    _model_hessian(datafit, h, ws), grad[rows, 0], len(ws)
                )
                delta[rows, 0] = _model_descent(
                    hess, g, theta[rows, 0], base.l1, base.l2, len(ws),
                    max_sweeps, optimality / 10,
                )  # fmt: skip
                if k is not None:
                    delta[d, 0] -= k @ delta[ws, 0]
                X_delta = datafit.linear(delta)
            decrease = float(np.sum(grad * delta)) + penalty.value(theta + delta)
            decrease -= penalty.value(theta)
            step, theta_new, Z_new, F_new = _backtrack(
                datafit, penalty, theta, Z, F, delta, X_delta, c1 * decrease
            )
            if not F_new < F:  # below the objective's resolution: try the full step
                step, theta_new, Z_new = 1.0, theta + delta, Z + X_delta
                F_new = datafit.value(theta_new, Z_new) + penalty.value(theta_new)
            grad_new = datafit.gradient(theta_new, Z_new)
            violation_new = penalty.subdiff_distance(theta_new, grad_new)[:, 0]
            if not (
                F_new < F
                or (F_new <= F + ulps * abs(F) and np.max(violation_new) < optimality)
            ):
                objective.append(F)  # no progress left in floating point: stationary
                converged = True
                break
            theta, Z, F, grad = theta_new, Z_new, F_new, grad_new
            violation, optimality = violation_new, float(np.max(violation_new))
            objective.append(F)
            _check_divergence(it, F, initial)
            _report(verbose, "Newton iteration", it, F, optimality, step)
            if optimality <= tol:
                converged = True
                break
    return OptimizeResult(theta, it, objective, converged, step, it + 1)


def _working_set(w, violation, size_min):
    """Sorted indices of the support of ``w`` and of the largest violations,
    ``max(size_min, 2 |support|, n_violating / 4)`` features in all (fewer when
    fewer violate): from a zero start, a quarter of the violators."""
    support = np.flatnonzero(w)
    size = max(size_min, 2 * len(support), np.count_nonzero(violation) // 4)
    if size >= len(w):
        return np.flatnonzero((w != 0) | (violation > 0))
    score = violation.copy()
    score[support] = np.inf
    top = np.argpartition(-score, size)[:size]
    return np.sort(top[score[top] > 0])


def _model_hessian(datafit, h, ws):
    r""":math:`A^\top H A` for :math:`A = [X_c[:, \mathcal{W}], 1]`: one pass over
    the working set's columns (dense ``X``; sparse ``X`` never forms it,
    :func:`_model_prox_gradient`)."""
    X, columns = datafit.X, (ws if len(ws) < datafit.X.shape[1] else None)
    x_mean = (
        np.zeros(len(ws), X.dtype) if datafit.x_mean is None else datafit.x_mean[ws]
    )
    G = gram_matrix(X, h, x_mean, columns=columns)
    if not datafit.fit_intercept:
        return G
    v = np.asarray(X.T @ h).ravel()
    v = (v if columns is None else v[ws]) - x_mean * h.sum()  # X_c^T h
    return np.block([[G, v[:, None]], [v[None, :], np.array([[h.sum()]])]])


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
    hess[:n, :n] -= np.outer(k, hess[n, :n])
    hess[:n, n] = hess[n, :n] = 0.0
    grad = np.concatenate([grad[:n] - k * grad[n], grad[n:]])
    return hess, grad, k


def _model_descent(hess, grad, w, l1, l2, n_penalized, max_sweeps, tol):
    r"""Cyclic coordinate descent on the quadratic model of :func:`prox_newton`.

    ``u`` is the model's point :math:`w + \delta` and ``q`` its curvature term
    :math:`A^\top H A \delta`, so that the partial derivative along ``j`` is
    ``grad[j] + q[j]``; coordinates from ``n_penalized`` on (the intercept)
    are not penalized. The scalars are Python floats: the loop is one line
    of arithmetic per coordinate plus one vector update per move.
    """
    q = np.zeros(hess.shape[0], dtype=hess.dtype)
    diag, g, u = np.diag(hess).tolist(), grad.tolist(), w.tolist()
    for _ in range(max_sweeps):
        largest = 0.0
        for j, h_jj in enumerate(diag):
            if h_jj <= 0:
                continue
            old = u[j]
            v = h_jj * old - (g[j] + float(q[j]))
            if j < n_penalized:  # soft-thresholding, on floats (not the array form)
                new = math.copysign(max(abs(v) - l1, 0.0), v) / (h_jj + l2)
            else:
                new = v / h_jj
            if new != old:
                u[j] = new
                q += (new - old) * hess[j]  # symmetric: the contiguous row
                largest = max(largest, abs(new - old) * h_jj)
        if largest <= tol:
            break
    return np.asarray(u, dtype=w.dtype) - w  # w + delta is u, exact zeros included


def _model_prox_gradient(datafit, h, ws, grad, w, l1, l2, max_iter, tol, L):
    r"""Accelerated proximal gradient on the quadratic model of
    :func:`prox_newton` for sparse ``X``, in the metric of the model's diagonal.

    With :math:`A = [X_\mathcal{W} - 1 c^\top, 1]` (never formed: two sparse
    products per iteration), centered at the :math:`H`-weighted mean
    :math:`c = X_\mathcal{W}^\top h / 1^\top h` so that the intercept shares
    no curvature with the weights (the coordinates of :func:`_decoupled`),
    and :math:`D = \operatorname{diag}(A^\top H A)`, each step from the
    extrapolated point :math:`v` is the scaled proximal step

    .. math::

        u^+ = \operatorname{prox}_{g / (L D)}\Big(v - \frac{\nabla f(\theta)
        + A^\top H A (v - w)}{L D}\Big),

    a vectorized Jacobi sweep: the columns of sparse ``X`` are nearly
    orthogonal, so :math:`D^{-1/2} A^\top H A D^{-1/2}` is well conditioned
    and a few steps solve the model. ``L`` (about 1) doubles until the model's
    curvature along the step is majorized, :math:`\|A(u^+ - v)\|_H^2 \le L
    \|u^+ - v\|_D^2`; a step that raises the model's value is undone and
    momentum restarts, so every iterate lowers the model. Stops when the
    step in gradient units, :math:`\max_j L D_j |u^+_j - v_j|`, is at most
    ``tol``. Returns :math:`\delta = u - w`, its image :math:`A\delta` and
    ``L``.
    """
    X = datafit.X[:, ws]  # CSC: a slice of whole columns
    d, intercept = len(ws), datafit.fit_intercept
    x_mean = np.zeros(d, X.dtype) if datafit.x_mean is None else datafit.x_mean[ws]
    X_sq = sp.csc_matrix((X.data * X.data, X.indices, X.indptr), shape=X.shape)
    h_sum, Xh = float(h.sum()), X.T @ h
    center = x_mean  # the model's intercept decouples at the H-weighted mean:
    if intercept and h_sum > 0:  # in b' = b + (x_h - x_mean)^T w, no coupling
        center = Xh / h_sum
        grad = np.concatenate([grad[:d] - (center - x_mean) * grad[d], grad[d:]])
    D = X_sq.T @ h - 2 * center * Xh + center**2 * h_sum  # diag(A^T H A)
    penalized = np.arange(d + intercept) < d
    if intercept:
        D = np.append(D, h_sum)
    fixed = ~(D > 0)  # no curvature (an empty column): the coordinate stays
    D[fixed] = 1.0

    def image(u):  # A (u - w)
        step = u - w
        return X @ step[:d] + ((step[d] if intercept else 0.0) - center @ step[:d])

    def transpose(r):  # A^T r
        r_sum = r.sum()
        A_r = X.T @ r - center * r_sum
        return np.append(A_r, r_sum) if intercept else A_r

    def model(u, p):  # the model's value, up to a constant
        u_w = u[:d]
        penalty = l1 * np.abs(u_w).sum() + 0.5 * l2 * (u_w @ u_w)
        return grad @ (u - w) + 0.5 * (h @ (p * p)) + penalty

    tiny = 64 * np.finfo(X.dtype).eps  # the majorization test's slack
    u, p = w.copy(), np.zeros_like(h)
    u_old, p_old, t, value = u, p, 1.0, model(u, p)
    for _ in range(max_iter):
        t_new = (1 + math.sqrt(1 + 4 * t * t)) / 2
        beta = (t - 1) / t_new
        v, p_v = u + beta * (u - u_old), p + beta * (p - p_old)
        model_grad = grad + transpose(h * p_v)
        while True:
            z = v - model_grad / (L * D)
            shrunk = np.sign(z) * np.maximum(np.abs(z) - l1 / (L * D), 0)
            u_new = np.where(penalized, shrunk / (1 + l2 / (L * D)), z)
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
        if np.max(L * D * np.abs(move)) <= tol:
            break
    delta = u - w
    if intercept:  # back from b' to the intercept of the centered data
        delta[d] -= (center - x_mean) @ delta[:d]
    return delta, p[:, None], L


def _two_loop(grad, pairs):
    """The L-BFGS direction :math:`-H \nabla F` from the stored pairs."""
    q = grad.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * np.sum(s * q)
        q -= a * y
        alphas.append(a)
    if pairs:
        s, y, _ = pairs[-1]
        q *= np.sum(s * y) / np.sum(y * y)
    for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
        q += (a - rho * np.sum(y * q)) * s
    return -q


def _sufficient_decrease(f, f_new, grad, grad_new, d, step):
    """Armijo's condition on values while its quadratic term stands well above
    their round-off; then its gradient form, which implies it for convex ``f``."""
    dd = np.sum(d * d)
    if dd / (2 * step) >= 1e-6 * max(abs(f), abs(f_new)):
        return f_new <= f + np.sum(grad * d) + dd / (2 * step)
    return np.sum((grad_new - grad) * d) <= dd / (2 * step)


def stochastic_gradient(
    datafit, penalty, theta0, *, schedule, batch_size, max_iter, tol,
    n_iter_no_change=5, shuffle=True, rng=None, t0=1, monitor=None, verbose=0,
):  # fmt: skip
    r"""Mini-batch proximal stochastic gradient descent.

    Each epoch visits the samples once, in mini-batches :math:`B` of
    ``batch_size`` rows (shuffled when ``shuffle``), with the unbiased estimate
    :math:`\nabla f_B` of the full gradient:

    .. math::

        \theta \leftarrow \operatorname{prox}_{\eta_t g}
        \big(\theta - \eta_t \nabla f_B(\theta)\big), \qquad t \leftarrow t + 1.

    After each epoch the full objective is recorded; when it (or ``monitor``'s
    value, e.g. a validation loss) has not improved by ``tol`` for
    ``n_iter_no_change`` epochs, the schedule is asked to ``reduce``: the
    adaptive one divides its rate by 5 and goes on, the others stop.

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
    objective, converged, epoch, step = [], False, 0, schedule(t)
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
            F = datafit.value(theta, datafit.linear(theta)) + penalty.value(theta)
            objective.append(F)
            _check_divergence(epoch, F, initial)
            _report(verbose, "Epoch", epoch, F, np.nan, step)
            stalled = monitor(theta) if monitor is not None else plateau.update(F)
            if stalled:
                if not schedule.reduce():
                    converged = True
                    break
                plateau.reset()
    return OptimizeResult(theta, epoch, objective, converged, step, t)
