"""What every solver returns and reports: the result record, divergence
detection (:class:`DivergenceError`) and the one hook of every loop
(:class:`IterationState` passed to ``callback``, from which the objective
record and the verbose line come too). Imports only numpy."""

import math
from dataclasses import dataclass, field

import numpy as np

_GROWTH_LIMIT = 1e3


@dataclass
class OptimizeResult:
    r"""Result record of a solver.

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
    iterate : ndarray or None
        The last iterate, where ``coef`` is an average of iterates (averaged
        stochastic gradient), else None.
    averaged : tuple
        ``(mean, count)``: the running mean of the iterates and how many it
        holds, to resume averaging.
    optimality : float
        The last optimality measure, :math:`\max_j |g_j| / \sqrt{D_j}` of the
        gradient (mapping) in the datafit's metric; NaN where not measured.
    stopped : bool
        Whether ``callback`` asked to stop (early stopping).
    method : str
        The method of :func:`minimize` that produced it ("" when a solver
        is called directly).
    direct : bool
        Whether a Newton method's last steps solved the formed Hessian
        (:func:`newton_cholesky`'s steps): a warm-started fit nearby can take
        them from its first iteration (``direct_after=0``).
    state : tuple
        A Newton method's ``(Z, value, gradient)`` of the datafit at
        ``coef``: a fit that starts there (a path's next point) passes it as
        ``start`` and makes no pass over the data to begin.
    hessian : ndarray or None
        The datafit's part of the last Hessian a Newton method formed,
        :math:`A^\top H A`: a fit nearby takes it as the first
        preconditioner of its direct steps (``newton_cg``'s ``hessian``).
    solve : callable or None
        With ``hessian``, :math:`r \mapsto (\nabla^2 F)^{-1} r` on the
        Cholesky factor of that Hessian plus the penalty's (None where none
        was factored): a path's slope at its point comes from it.

    system : object or None
        :func:`dual_newton`'s Newton systems (the products of its last active
        sets, on the datafit's factor): a fit on the same datafit (a path's
        next point) passes it as ``system`` and updates them rather than
        forming them anew.

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
    optimality: float = float("nan")
    iterate: np.ndarray = None
    averaged: tuple = ()
    stopped: bool = False
    method: str = ""
    direct: bool = False
    state: tuple = ()
    hessian: np.ndarray = None
    solve: object = None
    system: object = None


@dataclass(frozen=True)
class IterationState:
    """What a solver tells ``callback`` after each iteration (or epoch).

    Attributes
    ----------
    iteration : int
        The iteration just finished, from 1.
    theta : ndarray
        The iterate, in the datafit's coordinates (the averaged one for
        averaged stochastic gradient).
    objective : float
        :math:`F(\\theta) = f(\\theta) + g(\\theta)`.
    optimality : float
        :math:`\\max_j |G_j| / \\sqrt{D_j}` of the gradient (mapping) in the
        datafit's metric; NaN where not measured (stochastic epochs, and
        feature-sign search's steps, whose violations are measured at the
        next step's start).
    step : float
        The step size used (1 for Newton-type steps taken whole).

    A callback that returns True stops the solver after this iteration
    (``result.stopped``), as early stopping on a validation set does.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import minimize
    >>> from sklearn_foundations.penalties import L2
    >>> f = QuadraticDatafit(np.eye(2), np.ones((2, 1)), None, 0.0, fit_intercept=False)
    >>> states = []
    >>> res = minimize(f, L2(1.0), np.zeros((2, 1)), callback=states.append)
    >>> [(st.iteration, st.objective) for st in states]
    [(1, -0.5)]
    """

    iteration: int
    theta: np.ndarray
    objective: float
    optimality: float = float("nan")
    step: float = float("nan")


class _Observer:
    """The one hook of a solver's loop, called once per iteration: records
    the objective (``OptimizeResult.objective``), prints the verbose line and
    calls ``callback`` with an :class:`IterationState`; returns whether the
    callback asked to stop."""

    def __init__(self, name, callback=None, verbose=0):
        self.name, self.callback, self.verbose = name, callback, verbose
        self.objective, self.stopped = [], False

    def __call__(self, iteration, theta, objective, optimality=np.nan, step=np.nan):
        self.objective.append(objective)
        _report(self.verbose, self.name, iteration, objective, optimality, step)
        if self.callback is not None:
            state = IterationState(iteration, theta, objective, optimality, step)
            self.stopped = bool(self.callback(state))
        return self.stopped


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


def _scale(datafit):
    r""":math:`\sqrt{D}` of the datafit's metric as a column: optimality is
    measured as :math:`\max_j |g_j| / \sqrt{D_j}`, which does not change when
    a column of ``X`` (and so its coefficient, inversely) is rescaled. A
    datafit of one's own without ``metric()`` is measured in the plain
    Euclidean units (:math:`D = 1`)."""
    if not hasattr(datafit, "metric"):
        return np.ones((1, 1))
    return np.sqrt(datafit.metric())[:, None]


def _optimality(g, scale):
    r""":math:`\max_j |g_j| / s_j`, 0 for an empty ``g``."""
    return float((np.abs(g) / scale).max(initial=0.0))


def _squared_floor(tol, objective, dtype):
    r"""The target of the steps past ``tol``: an optimality of
    ``tol**2``, or the objective's rounding, :math:`16 \epsilon
    \sqrt{2 |F|}`, where that is larger."""
    eps = float(np.finfo(dtype).eps)
    return max(tol * tol, 16 * eps * math.sqrt(2 * abs(objective)))


def _check_divergence(iteration, objective, initial):
    if not np.isfinite(objective) or objective > _GROWTH_LIMIT * max(initial, 1.0):
        raise DivergenceError(iteration, objective, initial)


def _report(verbose, name, iteration, objective, optimality, step):
    """The verbose line of one iteration (without the optimality where the
    method does not measure it at each step: NaN)."""
    if verbose:
        measured = "" if np.isnan(optimality) else f"optimality {optimality:.3g}, "
        print(
            f"-- {name} {iteration}: objective {objective:.8g}, {measured}"
            f"step {step:.3g}",
            flush=True,
        )
