r"""Penalties: value, proximal operator and an optimality measure.

One convention for the whole package (scikit-learn's ElasticNet and SGD one):

.. math::

    g(w) = \alpha \left( \rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2 \right),

with :math:`\rho` = ``l1_ratio``; ``l1_ratio=0`` is the L2 (ridge) penalty and
``l1_ratio=1`` the L1 (lasso) one. The proximal operator

.. math::

    \operatorname{prox}_{\eta g}(v) = \arg\min_w \; \frac{1}{2\eta}\|w - v\|^2 + g(w)
    = \frac{\operatorname{sign}(v) \max(|v| - \eta\alpha\rho, 0)}{1 + \eta\alpha(1-\rho)}

is soft-thresholding followed by shrinkage; it is what lets gradient descent
produce exact zeros. :meth:`ElasticNet.subdiff_distance` measures how far
:math:`-\nabla f(w)` is from the subdifferential :math:`\partial g(w)`: zero at an
optimum of :math:`f + g`. With ``positive=True`` the coefficients are held
non-negative (scikit-learn's ``positive``): :math:`g` is the penalty plus the
indicator of :math:`w \ge 0`, whose prox clips at zero,
:math:`\max(v - \eta\alpha\rho, 0) / (1 + \eta\alpha(1-\rho))`. This module
imports only numpy.
"""

import numpy as np

__all__ = [
    "L1",
    "L2",
    "ElasticNet",
    "WithIntercept",
    "descent_magnitude",
    "soft_threshold",
]


def soft_threshold(v, threshold):
    r"""Soft-thresholding :math:`\operatorname{sign}(v)\max(|v| - t, 0)`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.penalties import soft_threshold
    >>> soft_threshold(np.array([-3.0, 0.5, 2.0]), 1.0)
    array([-2.,  0.,  1.])
    """
    return np.sign(v) * np.maximum(np.abs(v) - threshold, 0.0)


def descent_magnitude(grad, positive=False):
    r"""How steeply the smooth part falls as a zero coefficient leaves zero,
    what an L1 term's :math:`\alpha\rho` must exceed to hold it there:
    :math:`|\nabla_j f|`, or with ``positive`` :math:`-\nabla_j f` (a
    coefficient held non-negative can only grow).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.penalties import descent_magnitude
    >>> descent_magnitude(np.array([-3.0, 2.0])), descent_magnitude(np.array([-3.0, 2.0]), True)
    (array([3., 2.]), array([ 3., -2.]))
    """
    return -grad if positive else np.abs(grad)


class ElasticNet:
    r"""Elastic-net penalty :math:`\alpha(\rho\|w\|_1 + \tfrac{1-\rho}{2}\|w\|_2^2)`.

    Parameters
    ----------
    alpha : float
        Overall strength, ``alpha >= 0``.
    l1_ratio : float
        Share :math:`\rho \in [0, 1]` of the L1 term.
    positive : bool, default=False
        Hold the coefficients non-negative: the penalty plus the indicator
        of :math:`w \ge 0` (:meth:`value` is read on that set, where the
        solvers keep their points).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.penalties import ElasticNet
    >>> pen = ElasticNet(alpha=2.0, l1_ratio=0.5)
    >>> w = np.array([1.0, -2.0])
    >>> float(pen.value(w))  # 2 * (0.5 * 3 + 0.25 * 5)
    5.5
    >>> pen.prox(w, step=0.5)  # soft-threshold by 0.5, shrink by 1.5
    array([ 0.33333333, -1.        ])
    >>> ElasticNet(2.0, 0.5, positive=True).prox(w, step=0.5)  # clipped at 0
    array([0.33333333, 0.        ])
    """

    def __init__(self, alpha, l1_ratio, *, positive=False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.positive = positive

    def __repr__(self):
        ratio = f", l1_ratio={self.l1_ratio!r}" if type(self) is ElasticNet else ""
        positive = ", positive=True" if self.positive else ""
        return f"{type(self).__name__}(alpha={self.alpha!r}{ratio}{positive})"

    @property
    def l1(self):
        return self.alpha * self.l1_ratio

    @property
    def l2(self):
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def smooth(self):
        """Whether the penalty is differentiable (no L1 part, no sign
        constraint)."""
        return self.l1 == 0 and not self.positive

    @property
    def l1_part(self):
        """Whether the penalty is of the L1 family (``l1_ratio > 0``), ``alpha``
        0 included: its squared-error gap exists at ``alpha=0`` too, the
        first-order condition (:meth:`squared_error_gap`), as scikit-learn's
        ``ElasticNet(alpha=0)`` reports one."""
        return self.l1_ratio > 0

    def value(self, w):
        l1, l2 = self.l1, self.l2  # a term whose strength is zero: not summed
        value = 0.5 * l2 * (w * w).sum() if l2 else 0.0
        return float(value + l1 * np.abs(w).sum() if l1 else value)

    def prox(self, w, step):
        """Soft-thresholding and shrinkage; ``step`` a scalar or an array that
        broadcasts against ``w`` (a step per coordinate: a diagonal metric);
        with ``positive``, clipped at zero."""
        if self.positive:
            return np.maximum(w - step * self.l1, 0.0) / (1.0 + step * self.l2)
        return soft_threshold(w, step * self.l1) / (1.0 + step * self.l2)

    def gradient(self, w):
        """Gradient where it exists (``w != 0`` for the L1 part)."""
        l1, l2 = self.l1, self.l2
        if not l1:
            return l2 * w
        return l1 * np.sign(w) + l2 * w if l2 else l1 * np.sign(w)

    def center(self, W):
        r"""Each row of ``W`` shifted by the constant that minimizes its penalty.

        For a loss that only sees differences between the columns (the softmax:
        adding :math:`c` to every class's weight of a feature changes no
        probability), this step lowers the objective for free:

        .. math::

            c_j = \arg\min_c \sum_k g(W_{jk} - c)
            = \operatorname{median}\{W_{j1}, \dots, W_{jK},\;
              \mu_j + \tau (K - 2m),\ m = 0, \dots, K\},
            \qquad \tau = \frac{\alpha\rho}{\alpha(1 - \rho) K},

        :math:`\mu_j` the row's mean (the median formula for the minimizer of
        :math:`\tfrac12 (c - \mu_j)^2 + \tau \sum_k |c - W_{jk}|`, which
        :math:`c_j` is). L1 alone gives the row's median, L2 alone its mean.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_foundations.penalties import L1, L2
        >>> W = np.array([[1.0, 2.0, 6.0]])
        >>> L1(1.0).center(W), L2(1.0).center(W)
        (array([[-1.,  0.,  4.]]), array([[-2., -1.,  3.]]))
        """
        K = W.shape[1]
        if self.l1 == 0:
            return W - W.mean(axis=1, keepdims=True) if self.l2 > 0 else W.copy()
        if self.l2 == 0:
            return W - np.median(W, axis=1, keepdims=True)
        tau = self.l1 / (self.l2 * K)
        m = np.arange(K + 1, dtype=W.dtype)  # in W's dtype: float32 stays float32
        kinks = W.mean(axis=1, keepdims=True) + tau * (K - 2 * m)
        return W - np.median(np.hstack([W, kinks]), axis=1, keepdims=True)

    def subdiff_distance(self, w, grad):
        r"""Distance of :math:`-\nabla f(w)` to :math:`\partial g(w)`, entrywise.

        .. math::

            d_j = \begin{cases}
                |\nabla_j f + \alpha\rho\,\operatorname{sign}(w_j)
                 + \alpha(1-\rho) w_j| & w_j \ne 0 \\
                \max(|\nabla_j f| - \alpha\rho, 0) & w_j = 0
            \end{cases}

        With ``positive`` the subdifferential at zero is :math:`(-\infty,
        \alpha\rho]`: :math:`d_j = \max(-\nabla_j f - \alpha\rho, 0)` there
        (:math:`w_j > 0` as above).
        """
        g = grad + self.l2 * w
        at_zero = np.maximum(descent_magnitude(g, self.positive) - self.l1, 0)
        return np.where(w != 0, np.abs(g + self.l1 * np.sign(w)), at_zero)

    def squared_error_gap(self, W, grad, squares):
        r"""The duality gap of the squared error plus this penalty at ``W``,
        one per target (column).

        With the weighted, centered residuals :math:`r = y_c - X_c w` (the
        intercept at its optimum), ``squares`` :math:`R^2 = \sum_i s_i r_i^2`
        (:math:`\sum s = 1`) and ``grad`` the loss's gradient :math:`g =
        -X_c^\top S r`, the primal is :math:`P(w) = \tfrac12 R^2 + \lambda_1
        \|w\|_1 + \tfrac{\lambda_2}{2} \|w\|^2`. With an L1 term the dual
        point is the residual scaled into the dual's feasible set (the lasso
        on the rows :math:`[S^{1/2} X_c; \sqrt{\lambda_2} I]`, as
        scikit-learn's coordinate descent), :math:`c = \min(1, \lambda_1 /
        \|g + \lambda_2 w\|_\infty)`:

        .. math::

            \text{gap} = \tfrac{1 + c^2}{2} (R^2 + \lambda_2 \|w\|^2)
            + \lambda_1 \|w\|_1 - c\,(R^2 - g^\top w);

        without one (ridge) the dual point is the residual itself, and the
        gap is :math:`\|g + \lambda_2 w\|^2 / (2 \lambda_2)` (``squares``
        not read). With ``positive`` the dual's constraint is one-sided,
        :math:`c = \min(1, \lambda_1 / \max_j -(g + \lambda_2 w)_j)`, and
        the ridge's dual value at the residual holds the conjugate of the
        clipped penalty, :math:`\text{gap} = (\lambda_2^2 \|w\|^2 + 2
        \lambda_2 g^\top w + \|\max(-g, 0)\|^2) / (2 \lambda_2)`. Zero
        exactly at the optimum, positive elsewhere. Least squares (no
        penalty) has no bounded dual point: an L1-family penalty of
        :math:`\alpha = 0` gives the first-order condition instead, the
        squared norm of the gradient (of its part that leaves the feasible
        set, with ``positive``), as scikit-learn's ``ElasticNet(alpha=0)``
        reports it; a ridge of :math:`\alpha = 0` gives None.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_foundations.penalties import L1
        >>> X, y = np.array([[1.0], [-1.0]]), np.array([2.0, -2.0])
        >>> s = np.full(2, 0.5)
        >>> def gap(w):  # the lasso's optimum is w = 2 - 1 = 1
        ...     r = y - X[:, 0] * w
        ...     g = np.array([[-(s * r) @ X[:, 0]]])
        ...     return float(L1(1.0).squared_error_gap(np.array([[w]]), g, s @ r**2)[0])
        >>> gap(1.0), gap(1.5) > 0
        (0.0, True)
        """
        l1, l2 = self.l1, self.l2
        if l1 == 0 and l2 == 0:  # least squares: no bounded dual point
            if not self.l1_part:
                return None
            distance = self.subdiff_distance(W, grad)  # the first-order condition
            return (distance * distance).sum(axis=0)
        if l1 == 0 and self.positive:  # the conjugate of the clipped ridge
            excess = np.maximum(-grad, 0.0)  # at least 0: a sum rounded below it
            gap = ((l2 * W + 2 * grad) * W * l2 + excess * excess).sum(axis=0)
            return np.maximum(gap, 0.0) / (2 * l2)
        if l1 == 0:  # inf where data of 1e150 square the gradient's rounding
            with np.errstate(over="ignore"):
                return ((grad + l2 * W) ** 2).sum(axis=0) / (2 * l2)
        norm2 = (W * W).sum(axis=0)
        steepest = descent_magnitude(grad + l2 * W, self.positive)
        dual_norm = steepest.max(axis=0, initial=0.0)
        c = np.where(dual_norm > l1, l1 / np.maximum(dual_norm, l1), 1.0)
        return (
            0.5 * (1 + c * c) * (squares + l2 * norm2)
            + l1 * np.abs(W).sum(axis=0)
            - c * (squares - (grad * W).sum(axis=0))
        )


class L2(ElasticNet):
    r"""Ridge penalty :math:`\tfrac{\alpha}{2}\|w\|_2^2`; its prox is a shrinkage.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.penalties import L2
    >>> L2(alpha=1.0).prox(np.array([2.0]), step=1.0)
    array([1.])
    """

    def __init__(self, alpha, *, positive=False):
        super().__init__(alpha, 0.0, positive=positive)


class L1(ElasticNet):
    r"""Lasso penalty :math:`\alpha\|w\|_1`; its prox is soft-thresholding.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.penalties import L1
    >>> L1(alpha=1.0).prox(np.array([2.0, 0.5]), step=1.0)
    array([1., 0.])
    """

    def __init__(self, alpha, *, positive=False):
        super().__init__(alpha, 1.0, positive=positive)


class WithIntercept:
    """A penalty on every row of the parameters but the last, the intercept.

    The parameters of a linear model with an intercept are stacked as
    ``theta = [w; b]``; the intercept is not penalized, so its prox is the
    identity and its optimality measure is the plain gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.penalties import L1, WithIntercept
    >>> pen = WithIntercept(L1(alpha=1.0))
    >>> pen.prox(np.array([2.0, 0.5, 0.5]), step=1.0)
    array([1. , 0. , 0.5])
    """

    def __init__(self, penalty):
        self.penalty = penalty

    @property
    def l1(self):
        r"""The L1 strength :math:`\alpha\rho` of the penalized rows."""
        return self.penalty.l1

    @property
    def l2(self):
        r"""The L2 strength :math:`\alpha(1 - \rho)` of the penalized rows."""
        return self.penalty.l2

    @property
    def smooth(self):
        return self.penalty.smooth

    @property
    def l1_part(self):
        """Whether the penalized rows' penalty is of the L1 family."""
        return self.penalty.l1_part

    @property
    def positive(self):
        """Whether the penalized rows are held non-negative."""
        return self.penalty.positive

    def value(self, theta):
        return self.penalty.value(theta[:-1])

    def prox(self, theta, step):
        """The penalty's prox on every row but the last; ``step`` a scalar or
        one entry per row of ``theta``."""
        out = np.empty_like(theta)
        out[:-1] = self.penalty.prox(theta[:-1], step[:-1] if np.ndim(step) else step)
        out[-1] = theta[-1]
        return out

    def gradient(self, theta):
        # a new array in theta's dtype (a numpy alpha's product is float64)
        out = np.asarray(self.penalty.gradient(theta), dtype=theta.dtype)
        out[-1] = 0.0
        return out

    def center(self, theta):
        """:meth:`ElasticNet.center` of every row but the intercept's."""
        out = theta.copy()
        out[:-1] = self.penalty.center(theta[:-1])
        return out

    def subdiff_distance(self, theta, grad):
        out = np.abs(grad)
        out[:-1] = self.penalty.subdiff_distance(theta[:-1], grad[:-1])
        return out

    def squared_error_gap(self, theta, grad, squares):
        """:meth:`ElasticNet.squared_error_gap` of the penalized rows (the
        intercept's part of the gap is the caller's)."""
        return self.penalty.squared_error_gap(theta[:-1], grad[:-1], squares)
