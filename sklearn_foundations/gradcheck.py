"""Finite-difference check of a gradient, the calculus behind every solver.

This module imports only numpy.
"""

import numpy as np

__all__ = ["check_gradient", "numerical_gradient"]


def numerical_gradient(func, w, eps=1e-6):
    r"""Central finite differences :math:`(J(w + h e_j) - J(w - h e_j)) / 2h`.

    The step is scaled to each entry, :math:`h = \epsilon \max(1, |w_j|)`, and
    the error is :math:`O(h^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.gradcheck import numerical_gradient
    >>> numerical_gradient(lambda w: float(np.sum(w**3)), np.array([1.0, 2.0]))
    array([ 3., 12.])
    """
    w = np.array(w, dtype=np.float64)
    grad = np.empty_like(w)
    for j in np.ndindex(w.shape):
        h = eps * max(1.0, abs(w[j]))
        w_plus, w_minus = w.copy(), w.copy()
        w_plus[j] += h
        w_minus[j] -= h
        grad[j] = (func(w_plus) - func(w_minus)) / (2 * h)
    return grad


def check_gradient(func, grad, w, eps=1e-6):
    r"""Relative error between an analytic gradient and finite differences.

    .. math::

        \frac{\|\nabla J(w) - \hat\nabla J(w)\|}{\max(\|\nabla J(w)\|,
        \|\hat\nabla J(w)\|, 10^{-12})}

    A correct gradient of a smooth function gives about ``1e-8`` or less.

    Parameters
    ----------
    func : callable
        ``func(w) -> float``.
    grad : callable
        ``grad(w) -> ndarray`` of the shape of ``w``.
    w : ndarray
        Point of the check.
    eps : float, default=1e-6
        Relative finite-difference step.

    Returns
    -------
    error : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations import check_gradient
    >>> w = np.array([0.5, -1.0])
    >>> check_gradient(lambda w: float(w @ w), lambda w: 2 * w, w) < 1e-8
    True
    >>> check_gradient(lambda w: float(w @ w), lambda w: w, w) > 0.1
    True
    """
    analytic = np.asarray(grad(np.array(w, dtype=np.float64)), dtype=np.float64)
    numeric = numerical_gradient(func, w, eps)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-12)
    return float(np.linalg.norm(analytic - numeric) / scale)
