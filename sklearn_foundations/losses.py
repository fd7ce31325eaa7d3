r"""Losses on the linear predictor ``Xw``: value, gradient and Lipschitz constant.

A loss here is a function of the targets ``y`` and of the linear predictor
``Xw`` (shape ``(n_samples, n_targets)``), averaged with normalized sample
weights ``s`` (``s_i >= 0``, ``sum(s) = 1``):

.. math::

    L(Xw) = \sum_i s_i \, \ell(y_i, (Xw)_i).

``gradient`` returns :math:`\partial L / \partial (Xw)`, so that the chain rule
gives the gradient in ``w`` as :math:`X^\top` times it. ``lipschitz`` bounds
:math:`\ell''`, so that :math:`L` composed with ``X`` has a gradient with
Lipschitz constant ``lipschitz * lambda_max(X^T S X)``. ``hessian_product``,
where a loss has one, applies :math:`\partial^2 L / \partial (Xw)^2` to a
direction, for second-order solvers; ``hessian_at(y, Xw, s)`` is the same
product as a function of the direction alone, with what depends on ``Xw``
(the sigmoid, the softmax, the mean) computed once for the products of one
Newton step.

Every loss **declares what it is**, so that the solver table
(:func:`sklearn_foundations.optimize.minimize`) and the estimators read its
capabilities instead of testing its name:

- ``quadratic``: whether :math:`\ell` is a quadratic in ``Xw`` (the squared
  error: conjugate gradient and the Gram matrix apply);
- ``lipschitz``: the bound on :math:`\ell''`, or None where the gradient is not
  globally Lipschitz (Poisson's :math:`e^z`);
- ``newton``: whether :math:`\ell''` is continuous, so that Newton's steps
  converge (not Huber's or the epsilon-insensitive kink);
- ``semismooth``: whether :math:`\ell'` is piecewise linear (Huber's, the
  epsilon-insensitive one's): :math:`\ell''` is then a step function, which
  ``hessian_product`` applies, and Newton's steps on it (semismooth Newton)
  solve the objective's quadratic pieces, exactly once the pieces of the
  residuals settle;
- ``shift_invariant``: whether adding a constant to every output leaves the
  loss unchanged (the softmax);
- ``link`` and ``inverse_link``: :math:`g(\mu) = z` and :math:`\mu = g^{-1}(z)`,
  the mean of ``y`` from the linear predictor;
- ``intercept_start(y, s)``: the intercept-only optimum (closed form for
  every loss here but Huber's, which starts at the mean);
- ``check_y(y, s)``: the valid range of ``y``, a ValueError that says how to
  fix it.

This module imports only numpy and scipy.
"""

import numpy as np
from scipy.special import expit, log_softmax, logit, softmax, xlogy

__all__ = [
    "BinomialLogLoss",
    "HalfPoissonDeviance",
    "HalfSquaredError",
    "Huber",
    "Loss",
    "MultinomialLogLoss",
    "SquaredEpsilonInsensitive",
]


class Loss:
    """What every loss declares, with the defaults of a regression loss on
    the identity link (see the module docstring). A loss of one's own
    subclasses it and sets what differs.

    Examples
    --------
    >>> from sklearn_foundations.losses import HalfPoissonDeviance, Huber
    >>> Huber().newton, HalfPoissonDeviance().lipschitz is None
    (False, True)
    """

    quadratic = False
    lipschitz = None
    newton = False
    semismooth = False
    shift_invariant = False

    def __repr__(self):
        return f"{type(self).__name__}()"

    def link(self, mu):
        """:math:`z = g(\\mu)`: the identity."""
        return mu

    def inverse_link(self, Xw):
        """:math:`\\mu = g^{-1}(z)`: the identity."""
        return Xw

    def intercept_start(self, y, s):
        """The intercept-only optimum :math:`g(\\sum_i s_i y_i)` (exact for
        the squared error and for every canonical link)."""
        return self.link(s @ y)

    def check_y(self, y, s):
        """Every finite ``y`` is valid."""

    def curvature(self, y, Xw, s):
        """Per sample and output, :math:`s_i \\ell''(z_i)`: the diagonal of
        the Hessian in ``Xw``."""
        return self.hessian_product(y, Xw, s, np.ones_like(Xw))

    def hessian_at(self, y, Xw, s):
        """``V -> hessian_product(y, Xw, s, V)`` at a fixed ``Xw``, what does
        not depend on ``V`` computed once (the products of one Newton step
        share ``Xw``)."""
        return lambda V: self.hessian_product(y, Xw, s, V)

    def curvature_blocks(self, y, Xw, s):
        r"""Per sample, the weighted Hessian in the outputs as a diagonal less
        a rank-one term, :math:`s_i \nabla^2 \ell(z_i) = \operatorname{diag}(d_i)
        - u_i u_i^\top`: ``(D, U)``, each ``(n_samples, n_targets)``, U None
        where the outputs do not interact (then D is :meth:`curvature`)."""
        return self.curvature(y, Xw, s), None


class HalfSquaredError(Loss):
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

    quadratic = True
    lipschitz = 1.0
    newton = True

    def value(self, y, Xw, s):
        r = Xw - y
        return 0.5 * float(s @ (r * r).sum(axis=1))

    def gradient(self, y, Xw, s):
        return s[:, None] * (Xw - y)

    def hessian_product(self, y, Xw, s, V):
        return s[:, None] * V


class Huber(Loss):
    r"""Huber loss: quadratic for residuals up to ``epsilon``, linear beyond.

    .. math::

        \ell(y, z) = \begin{cases}
            \tfrac12 r^2 & |r| \le \epsilon \\
            \epsilon |r| - \tfrac12 \epsilon^2 & |r| > \epsilon
        \end{cases}, \quad r = z - y, \qquad
        \ell'(r) = \operatorname{clip}(r, -\epsilon, \epsilon), \quad
        \ell''(r) = [|r| \le \epsilon] \le 1

    (:math:`\ell''` a step function: semismooth).

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
    semismooth = True

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def __repr__(self):
        return f"Huber(epsilon={self.epsilon!r})"

    def value(self, y, Xw, s):
        r = np.abs(Xw - y)
        eps = self.epsilon
        ell = np.where(r <= eps, 0.5 * r * r, eps * r - 0.5 * eps * eps)
        return float(s @ ell.sum(axis=1))

    def gradient(self, y, Xw, s):
        return s[:, None] * np.clip(Xw - y, -self.epsilon, self.epsilon)

    def hessian_product(self, y, Xw, s, V):
        return (s[:, None] * (np.abs(Xw - y) <= self.epsilon)) * V


class SquaredEpsilonInsensitive(Loss):
    r"""Squared epsilon-insensitive loss: residuals up to ``epsilon`` are free.

    .. math::

        \ell(y, z) = \max(|z - y| - \epsilon, 0)^2, \qquad
        \ell'(z) = 2 \operatorname{sign}(z - y) \max(|z - y| - \epsilon, 0),
        \quad \ell'' \le 2,

    scikit-learn's SGD loss of that name (no factor one half).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import SquaredEpsilonInsensitive
    >>> loss = SquaredEpsilonInsensitive(epsilon=0.5)
    >>> y, Xw, s = np.array([[0.0], [0.0]]), np.array([[0.25], [2.5]]), np.array([0.5, 0.5])
    >>> float(loss.value(y, Xw, s))  # (0 + 2^2) / 2
    2.0
    >>> loss.gradient(y, Xw, s).ravel()
    array([0., 2.])
    """

    lipschitz = 2.0
    semismooth = True

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def __repr__(self):
        return f"SquaredEpsilonInsensitive(epsilon={self.epsilon!r})"

    def _excess(self, y, Xw):
        r = Xw - y
        return np.sign(r) * np.maximum(np.abs(r) - self.epsilon, 0.0)

    def value(self, y, Xw, s):
        e = self._excess(y, Xw)
        return float(s @ (e * e).sum(axis=1))

    def gradient(self, y, Xw, s):
        return 2.0 * s[:, None] * self._excess(y, Xw)

    def hessian_product(self, y, Xw, s, V):
        return 2.0 * s[:, None] * (np.abs(Xw - y) > self.epsilon) * V


_SHARE_FLOOR = np.finfo(np.float64).eps  # the least class share a start gives


class BinomialLogLoss(Loss):
    r"""Cross-entropy of the sigmoid, for labels :math:`y \in \{0, 1\}`.

    With :math:`p = \sigma(z) = 1 / (1 + e^{-z})`,

    .. math::

        \ell(y, z) = -y \log p - (1 - y) \log(1 - p) = \log(1 + e^{z}) - y z,
        \qquad \ell'(z) = p - y, \qquad \ell''(z) = p (1 - p) \le \tfrac14.

    ``log(1 + e^z)`` is computed as ``max(z, 0) + log1p(e^{-|z|})`` and ``p`` as
    ``expit(z)``, so no value of ``z`` overflows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> loss = BinomialLogLoss()
    >>> y, Xw, s = np.array([[1.0], [0.0]]), np.array([[0.0], [1e300]]), np.full(2, 0.5)
    >>> float(loss.value(y, Xw, s))  # (log 2 + 1e300) / 2, no overflow
    5e+299
    >>> loss.gradient(y, Xw, s).ravel()
    array([-0.25,  0.5 ])
    """

    lipschitz = 0.25
    newton = True

    def link(self, mu):
        """The logit :math:`\\log(\\mu / (1 - \\mu))`."""
        return logit(mu)

    def intercept_start(self, y, s):
        """The logit of the weighted share of class 1, the share kept in
        :math:`[\\epsilon, 1 - \\epsilon]`: where one class has no weight
        the optimum is :math:`\\pm\\infty`, and the start is the finite
        intercept whose probability the arithmetic still resolves."""
        return logit(np.clip(s @ y, _SHARE_FLOOR, 1.0 - _SHARE_FLOOR))

    def inverse_link(self, Xw):
        """The sigmoid, ``expit``."""
        return expit(Xw)

    def check_y(self, y, s):
        _check_labels(y, s, "0 and 1")

    def value(self, y, Xw, s):
        return float(s @ (_log1p_exp(Xw) - y * Xw).sum(axis=1))

    def gradient(self, y, Xw, s):
        return s[:, None] * (expit(Xw) - y)

    def hessian_product(self, y, Xw, s, V):
        return self.curvature(y, Xw, s) * V

    def curvature(self, y, Xw, s):
        p = expit(Xw)
        return s[:, None] * p * (1 - p)

    def hessian_at(self, y, Xw, s):
        h = self.curvature(y, Xw, s)  # the sigmoid once for every product
        return lambda V: h * V

    def predict_proba(self, Xw):
        """Probabilities of the classes 0 and 1, shape (n_samples, 2)."""
        z = Xw[:, 0]
        return np.column_stack([expit(-z), expit(z)])  # 1 - p without cancellation

    def predict_log_proba(self, Xw):
        z = Xw[:, 0]
        return -np.column_stack([_log1p_exp(z), _log1p_exp(-z)])


class MultinomialLogLoss(Loss):
    r"""Cross-entropy of the softmax, for one-hot labels ``y`` of K classes.

    With :math:`p_k = e^{z_k} / \sum_l e^{z_l}`,

    .. math::

        \ell(y, z) = -\sum_k y_k \log p_k = \log \sum_l e^{z_l} - y^\top z,
        \qquad \nabla \ell = p - y, \qquad
        \nabla^2 \ell = \operatorname{diag}(p) - p p^\top \preceq \tfrac12 I.

    :math:`\log p` is a log-sum-exp with the maximum subtracted, so no value
    of ``z`` overflows; it is computed on :math:`Z^\top`, where the sums over
    the few classes run along contiguous rows of samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import MultinomialLogLoss
    >>> loss = MultinomialLogLoss()
    >>> y, Xw, s = np.array([[0.0, 1.0, 0.0]]), np.zeros((1, 3)), np.ones(1)
    >>> round(float(loss.value(y, Xw, s)), 6)  # log 3
    1.098612
    >>> loss.gradient(y, Xw, s).round(3)
    array([[ 0.333, -0.667,  0.333]])
    """

    lipschitz = 0.5
    newton = True
    shift_invariant = True

    def link(self, mu):
        """:math:`\\log \\mu`, centered (the softmax's inverse up to a shift)."""
        z = np.log(mu)
        return z - z.mean(axis=-1, keepdims=True)

    def intercept_start(self, y, s):
        """The centered log of the weighted class shares, a share without
        weight raised to :math:`\\epsilon` (its optimum is
        :math:`-\\infty`; this finite start predicts it with the smallest
        probability the arithmetic still resolves)."""
        return self.link(np.maximum(s @ y, _SHARE_FLOOR))

    def inverse_link(self, Xw):
        """The softmax of each row."""
        return softmax(Xw, axis=1)

    def check_y(self, y, s):
        _check_labels(y, s, "one-hot rows")

    def value(self, y, Xw, s):
        return _value_and_exp_t(y, Xw, s)[0]

    def gradient(self, y, Xw, s):
        return _scaled_residual_t(_softmax_t(Xw), y, s).T

    def value_gradient(self, y, Xw, s):
        """``value`` and ``gradient`` from one exponential."""
        value, E, E_sum = _value_and_exp_t(y, Xw, s)
        E /= E_sum  # the softmax
        return value, _scaled_residual_t(E, y, s).T

    def hessian_product(self, y, Xw, s, V):
        return _softmax_product(_softmax_t(Xw), s, V)

    def hessian_at(self, y, Xw, s):
        p = _softmax_t(Xw)  # the softmax once for every product
        return lambda V: _softmax_product(p, s, V)

    def curvature(self, y, Xw, s):
        r"""Per sample and class, :math:`s_i p_k (1 - p_k)`: the diagonal of
        :math:`\nabla^2 \ell = \operatorname{diag}(p) - p p^\top` (the
        product with ones is zero: the softmax does not see a common shift)."""
        p = _softmax_t(Xw)
        return (p * (1.0 - p) * s).T

    def curvature_blocks(self, y, Xw, s):
        r""":math:`s_i (\operatorname{diag}(p_i) - p_i p_i^\top)`: ``D`` is
        :math:`s_i p_i`, ``U`` is :math:`\sqrt{s_i}\, p_i`."""
        p = _softmax_t(Xw)
        return (p * s).T, (p * np.sqrt(s)).T

    def predict_proba(self, Xw):
        return softmax(Xw, axis=1)

    def predict_log_proba(self, Xw):
        return log_softmax(Xw, axis=1)


class HalfPoissonDeviance(Loss):
    r"""Half the Poisson deviance, with the log link, for counts :math:`y \ge 0`.

    With the mean :math:`\mu = e^{z}`,

    .. math::

        \ell(y, z) = y \log \frac{y}{\mu} - y + \mu
        = e^{z} - y z + y \log y - y, \qquad
        \ell'(z) = e^{z} - y, \qquad \ell''(z) = e^{z},

    with :math:`0 \log 0 = 0`: zero at a perfect fit, the negative
    log-likelihood of the Poisson distribution up to terms free of :math:`z`.
    :math:`\ell''` grows without bound, so ``lipschitz`` is None: first-order
    solvers need a line search, and the second-order ones (Newton-CG,
    proximal Newton) are the natural choice.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import HalfPoissonDeviance
    >>> loss = HalfPoissonDeviance()
    >>> y, Xw, s = np.array([[0.0], [2.0]]), np.log([[1.0], [2.0]]), np.full(2, 0.5)
    >>> float(loss.value(y, Xw, s))  # (1 + 0) / 2: a perfect fit costs nothing
    0.5
    >>> loss.gradient(y, Xw, s).ravel()
    array([0.5, 0. ])
    """

    newton = True

    def link(self, mu):
        """The log link."""
        with np.errstate(divide="ignore"):
            return np.log(mu)

    def inverse_link(self, Xw):
        """:math:`e^z`."""
        return np.exp(Xw)

    def check_y(self, y, s):
        r"""Counts: ``y >= 0``, and a positive weighted mean (else the
        intercept-only optimum is :math:`-\infty`)."""
        if np.any(y < 0):
            i = int(np.flatnonzero((y < 0).any(axis=1))[0])
            raise ValueError(
                f"Some value(s) of y are out of the valid range of the loss "
                f"(Poisson's: y >= 0): y[{i}] = {y[i].tolist()}. Poisson "
                "regression models counts; use loss='squared_error' for signed "
                "targets."
            )
        if not np.all(s @ y > 0):
            raise ValueError(
                "The Poisson loss needs y with a positive (weighted) mean, but "
                "every y with a positive weight is 0: the likelihood then grows "
                "without bound as the prediction goes to 0."
            )

    def value(self, y, Xw, s):
        with np.errstate(over="ignore"):
            ell = np.exp(Xw) - y * Xw + xlogy(y, y) - y
        return float(s @ ell.sum(axis=1))

    def gradient(self, y, Xw, s):
        return s[:, None] * (np.exp(Xw) - y)

    def hessian_product(self, y, Xw, s, V):
        return s[:, None] * np.exp(Xw) * V

    def hessian_at(self, y, Xw, s):
        h = s[:, None] * np.exp(Xw)  # the mean once for every product
        return lambda V: h * V


def _softmax_product(p, s, V):
    r""":math:`s_i (\operatorname{diag}(p_i) - p_i p_i^\top) v_i` per sample,
    from the softmax ``p`` transposed (``(K, n)``, :func:`_softmax_t`)."""
    pV = p * V.T
    pV -= p * pV.sum(axis=0)
    pV *= s
    return pV.T


def _check_labels(y, s, what):
    """Labels must be 0 or 1 (the encoded classes)."""
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"The labels of a log loss must be {what}, encoded as 0/1.")


def _log1p_exp(z):
    r""":math:`\log(1 + e^z) = \max(z, 0) + \log(1 + e^{-|z|})`: the exponential
    is at most 1, and the form is twice as fast as ``np.logaddexp(0, z)``."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _shifted_t(Z):
    r""":math:`Z^\top` minus each sample's largest entry, shape ``(K, n)``, in a
    new row-major buffer: on :math:`Z^\top` the reductions over the few classes
    run along whole rows of samples (10x faster than along short rows), and a
    column-major :math:`Z`, as :class:`LinearDatafit` makes it, is read without
    a transposition. The shift keeps every exponential at most 1."""
    ZT = Z.T
    D = np.empty(ZT.shape, dtype=ZT.dtype)
    return np.subtract(ZT, ZT.max(axis=0), out=D)


def _value_and_exp_t(y, Z, s):
    r"""The cross-entropy :math:`\sum_i s_i (\log \sum_k e^{z_{ik} - m_i} -
    y_i^\top (z_i - m_i))` (one-hot ``y``: :math:`y_i^\top 1 = 1`), with the
    exponentials :math:`e^{z - m}` (transposed) and their sums per sample."""
    D = _shifted_t(Z)
    yD = np.einsum("ki,ki->i", y.T, D)  # y^T (z - m), per sample
    np.exp(D, out=D)
    E_sum = D.sum(axis=0)
    return float(s @ (np.log(E_sum) * y.sum(axis=1) - yD)), D, E_sum


def _softmax_t(Z):
    """The softmax of each row of ``Z``, transposed, shape ``(K, n)``."""
    P = _shifted_t(Z)
    np.exp(P, out=P)
    P /= P.sum(axis=0)
    return P


def _scaled_residual_t(P, y, s):
    """:math:`S (P - Y)`, transposed, in ``P``'s buffer."""
    P -= y.T
    P *= s
    return P
