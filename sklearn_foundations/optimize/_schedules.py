"""Learning-rate schedules of stochastic gradient (:class:`Constant`,
:class:`InverseScaling`, :class:`Optimal`, :class:`Adaptive`) and the plateau counter that
decides when a schedule is reduced or a fit stops (:class:`Plateau`). Imports
only numpy."""

import numpy as np


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


class Optimal(Constant):
    r"""The rate of a strongly convex objective,
    :math:`\eta_t = 1 / (\alpha (t_0 + t - 1))`.

    ``alpha`` is the strength of the L2 term. An objective that is
    :math:`\alpha`-strongly convex converges at :math:`O(1/t)` with this rate;
    :math:`t_0` makes the first step (``t = 1``) the typical weight
    :math:`\eta_1 = \alpha^{-1/4}` (Bottou's heuristic), unless ``eta1`` is
    given.

    Examples
    --------
    >>> from sklearn_foundations.optimize import Optimal
    >>> rate = Optimal(alpha=0.0001)
    >>> rate(1), rate(2) < rate(1)
    (10.0, True)
    """

    def __init__(self, alpha, eta1=None):
        if not alpha > 0:
            raise ValueError(
                f"The optimal rate 1 / (alpha * (t0 + t - 1)) needs alpha > 0; got "
                f"alpha={alpha}. Give a positive alpha or another schedule."
            )
        eta1 = alpha**-0.25 if eta1 is None else eta1
        super().__init__(eta1)
        self.alpha, self.t0 = alpha, 1.0 / (eta1 * alpha)

    def __call__(self, t):
        return 1.0 / (self.alpha * (self.t0 + t - 1))


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
