r"""Losses on the linear predictor ``Xw``: value, gradient and Lipschitz constant.

A loss here is a function of the targets ``y`` and of the linear predictor
``Xw`` (shape ``(n_samples, n_targets)``), averaged with normalized sample
weights ``s`` (``s_i >= 0``, ``sum(s) = 1``):

.. math::

    L(Xw) = \sum_i s_i \, \ell(y_i, (Xw)_i).

``gradient`` returns :math:`\partial L / \partial (Xw)`, so that the chain rule
gives the gradient in ``w`` as :math:`X^\top` times it. ``lipschitz`` bounds
:math:`\ell''`, so that :math:`L` composed with ``X`` has a gradient with
Lipschitz constant ``lipschitz * lambda_max(X^T S X)``. This module imports only
numpy.
"""

import numpy as np

__all__ = ["HalfSquaredError", "Huber"]


class HalfSquaredError:
    r"""Half squared error :math:`\ell(y, z) = \tfrac12 (z - y)^2`.

    .. math::

        L(z) = \tfrac12 \sum_i s_i (z_i - y_i)^2, \qquad
        \frac{\partial L}{\partial z_i} = s_i (z_i - y_i), \qquad \ell'' = 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> loss = HalfSquaredError()
    >>> y, Xw, s = np.array([[1.0], [3.0]]), np.array([[2.0], [1.0]]), np.array([0.5, 0.5])
    >>> float(loss.value(y, Xw, s))
    1.25
    >>> loss.gradient(y, Xw, s).ravel()
    array([ 0.5, -1. ])
    """

    lipschitz = 1.0

    def value(self, y, Xw, s):
        r = Xw - y
        return 0.5 * float(s @ (r * r).sum(axis=1))

    def gradient(self, y, Xw, s):
        return s[:, None] * (Xw - y)


class Huber:
    r"""Huber loss: quadratic for residuals up to ``epsilon``, linear beyond.

    .. math::

        \ell(y, z) = \begin{cases}
            \tfrac12 r^2 & |r| \le \epsilon \\
            \epsilon |r| - \tfrac12 \epsilon^2 & |r| > \epsilon
        \end{cases}, \quad r = z - y, \qquad
        \ell'(r) = \operatorname{clip}(r, -\epsilon, \epsilon), \quad \ell'' \le 1.

    Parameters
    ----------
    epsilon : float, default=0.1
        Residual at which the loss turns from quadratic to linear.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import Huber
    >>> loss = Huber(epsilon=1.0)
    >>> y, Xw, s = np.zeros((2, 1)), np.array([[0.5], [3.0]]), np.array([0.5, 0.5])
    >>> float(loss.value(y, Xw, s))  # (0.125 + 2.5) / 2
    1.3125
    >>> loss.gradient(y, Xw, s).ravel()
    array([0.25, 0.5 ])
    """

    lipschitz = 1.0

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def value(self, y, Xw, s):
        r = np.abs(Xw - y)
        eps = self.epsilon
        ell = np.where(r <= eps, 0.5 * r * r, eps * r - 0.5 * eps * eps)
        return float(s @ ell.sum(axis=1))

    def gradient(self, y, Xw, s):
        return s[:, None] * np.clip(Xw - y, -self.epsilon, self.epsilon)
