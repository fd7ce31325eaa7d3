r"""Probability: Bayes' theorem and the distributions of naive Bayes.

Bayes' theorem turns the likelihood of the evidence under each hypothesis into
the probability of the hypothesis given the evidence:

.. math::

    P(k \mid x) = \frac{P(x \mid k) P(k)}{\sum_l P(x \mid l) P(l)},
    \qquad \log P(k \mid x) = \log P(x \mid k) + \log P(k)
    - \operatorname{logsumexp}_l (\log P(x \mid l) + \log P(l)).

A distribution here is one small class for a naive Bayes model, whose features
are independent given the class. It accumulates weighted sufficient statistics
per class (``partial_fit(X, Y)`` with ``Y[i, k]`` the weight of sample ``i`` in
class ``k``), so that fitting in chunks gives the model of fitting at once;
``log_likelihood(X)`` returns :math:`\sum_j \log p(x_{ij} \mid k)`, shape
``(n_samples, n_classes)``; with ``constant=False`` it leaves out the terms that
are the same for every class (:math:`\log x!` of the Poisson, the binomial
coefficient), which cancel in Bayes' theorem and would cost a ``gammaln`` per
entry; ``check(X, names, fitting)`` rejects values the
distribution cannot produce (naming the column and the value). This module imports
numpy, scipy and, for blocks of rows, the package's ``linalg``.
"""

import copy
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

from .linalg import row_blocks

__all__ = [
    "Distribution",
    "Bernoulli",
    "Binomial",
    "Categorical",
    "Gaussian",
    "Multinomial",
    "Poisson",
    "bayes_posterior",
    "log_posterior",
    "posterior",
]


def bayes_posterior(prior, likelihood, likelihood_if_not):
    r"""Bayes' theorem for a hypothesis and its negation.

    .. math::

        P(H \mid E) = \frac{P(E \mid H) P(H)}
        {P(E \mid H) P(H) + P(E \mid \neg H) (1 - P(H))}.

    Parameters
    ----------
    prior : float or ndarray
        :math:`P(H)`, e.g. the prevalence of a disease.
    likelihood : float or ndarray
        :math:`P(E \mid H)`, e.g. a test's sensitivity.
    likelihood_if_not : float or ndarray
        :math:`P(E \mid \neg H)`, e.g. its false-positive rate.

    Examples
    --------
    The base-rate fallacy: a test that is 95% sensitive with 5% false
    positives, for a disease of 1% prevalence. A positive result means

    >>> from sklearn_foundations.probability import bayes_posterior
    >>> round(float(bayes_posterior(0.01, 0.95, 0.05)), 3)
    0.161

    a 16.1% chance of disease: most positives come from the 99% who are healthy.
    """
    prior = np.asarray(prior, dtype=float)
    joint = likelihood * prior
    return joint / (joint + likelihood_if_not * (1.0 - prior))


def log_posterior(joint_log_likelihood):
    r"""Normalize :math:`\log P(x, k)` into :math:`\log P(k \mid x)` by log-sum-exp.

    .. math::

        \log P(k \mid x) = a_k - m - \log \sum_l e^{a_l - m},
        \qquad m = \max_l a_l,

    so that no exponent overflows and the largest term is :math:`e^0 = 1`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.probability import log_posterior
    >>> np.exp(log_posterior(np.array([[-1000.0, -1000.0 + np.log(3)]])))
    array([[0.25, 0.75]])
    """
    shifted = _shift_by_row_max(joint_log_likelihood)
    return shifted - np.log(_sum_rows(np.exp(shifted))[:, None])


def posterior(joint_log_likelihood):
    r"""Normalize :math:`\log P(x, k)` into :math:`P(k \mid x)`, the softmax.

    .. math::

        P(k \mid x) = \frac{e^{a_k - m}}{\sum_l e^{a_l - m}},
        \qquad m = \max_l a_l.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.probability import posterior
    >>> posterior(np.array([[-1000.0, -1000.0 + np.log(3)]]))
    array([[0.25, 0.75]])
    """
    proba = _shift_by_row_max(joint_log_likelihood)
    np.exp(proba, out=proba)
    proba /= _sum_rows(proba)[:, None]
    return proba


def _shift_by_row_max(a):
    """``a`` minus each row's largest finite maximum (0 for rows of -inf).
    A loop over the few columns is twice as fast as ``max(axis=1)``."""
    top = a[:, 0].copy()
    for k in range(1, a.shape[1]):
        np.maximum(top, a[:, k], out=top)
    top[~np.isfinite(top)] = 0.0
    return a - top[:, None]


def _column_name(names, j):
    """A column's label for messages: its name, or its index."""
    if names is None:
        return str(j)
    return repr(names[j]) if isinstance(names[j], str) else str(names[j])


def _first_violation(X, bad):
    """Column and value of an entry where ``bad(values, columns)`` holds, the
    leftmost column first; None if there is none. Sparse ``X`` stays sparse."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        values, cols = X.data, X.indices
    else:
        values, cols = X, np.broadcast_to(np.arange(X.shape[1]), X.shape)
    mask = bad(values, cols)
    if not np.any(mask):
        return None
    j = int(cols[mask].min())
    return j, values[mask & (cols == j)].flat[0]


def _per_feature(value, n_features, name):
    """A scalar or one value per feature, as a vector of ``n_features``; a
    ValueError that names the parameter otherwise."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim > 1 or (array.ndim == 1 and len(array) != n_features):
        raise ValueError(
            f"'{name}' should have shape ({n_features},) when an array-like: one "
            f"number per feature ({n_features} here, for the columns of this "
            f"distribution), or one number for all; got shape {array.shape}."
        )
    return np.broadcast_to(array, (n_features,))


def _alpha(alpha, n_features):
    """The smoothing pseudo-count: one number, or one per feature."""
    if np.ndim(alpha) == 0:
        return float(alpha)
    alpha = _per_feature(alpha, n_features, "alpha")
    if np.any(alpha < 0):
        raise ValueError(
            f"All values in alpha must be greater than 0 or equal to it; got "
            f"{alpha.tolist()}."
        )
    return alpha


def _sum_rows(X):
    """Row sums of a dense or sparse ``X`` by one matrix-vector product (for a
    dense ``X`` of few columns, much faster than ``sum(axis=1)``)."""
    return np.asarray(X @ np.ones(X.shape[1])).ravel()


def _xlogp(X, log_p):
    r""":math:`X (\log P)^\top` with :math:`0 \cdot \log 0 = 0`: a zero
    count contributes nothing, whatever its probability, and a positive count
    of an outcome of probability zero makes that class impossible
    (:math:`-\infty`). ``X`` is non-negative, dense or sparse."""
    finite = np.isfinite(log_p)
    out = np.asarray(X @ np.where(finite, log_p, 0.0).T)
    if not finite.all():
        hits = np.asarray((X != 0) @ (~finite).T.astype(np.float64))
        out[hits > 0] = -np.inf
    return out


def _weighted_sums(Y, X):
    """``Y^T X``, dense (K, d), for dense or sparse ``X``."""
    return np.asarray((X.T @ Y).T) if sp.issparse(X) else Y.T @ X


class Distribution:
    """What a naive Bayes distribution declares and does: the documented base
    class of :data:`DISTRIBUTIONS`.

    Declarations (class attributes), read by
    :class:`~sklearn_foundations.NaiveBayesClassifier` instead of a table of
    traits of its own:

    - ``name``: the key in :data:`DISTRIBUTIONS`;
    - ``parameters``: the estimator's parameters it takes, by name;
    - ``sparse``: whether it accepts sparse ``X``;
    - ``non_negative``: whether its values are ``x >= 0`` (see
      :meth:`needs_non_negative`, which may depend on the parameters);
    - ``categorical``: whether its values are category codes;
    - ``continuous``: whether it models real values (a density);
    - ``keeps_float32``: whether float32 input stays float32 in its
      attributes;
    - ``fitted_attributes``: the fitted attributes the estimator shows.

    Methods: ``check(X, names, fitting, owner)`` (a ValueError naming the
    feature of a value out of range), ``partial_fit(X, Y)`` (sufficient
    statistics from the class-weight matrix ``Y``; chunks add up) and
    ``log_likelihood(X, constant)``.

    Examples
    --------
    >>> from sklearn_foundations.probability import DISTRIBUTIONS
    >>> bernoulli = DISTRIBUTIONS["bernoulli"]
    >>> bernoulli.parameters, bernoulli.sparse
    (('alpha', 'binarize'), True)
    >>> bernoulli.needs_non_negative({"binarize": None})
    True
    """

    name = None
    parameters = ()
    sparse = False
    non_negative = False
    categorical = False
    continuous = False
    keeps_float32 = False
    fitted_attributes = ()

    @classmethod
    def from_params(cls, params):
        """The distribution with its parameters taken from ``params`` (the
        estimator's, by name)."""
        return cls(**{name: params[name] for name in cls.parameters})

    @classmethod
    def needs_non_negative(cls, params):
        """Whether, with these estimator parameters, ``X`` must be ``>= 0``."""
        return cls.non_negative

    # per-class sufficient statistics (class axis first) that add up across
    # chunks, and per-feature ones whose maximum is kept
    statistics = ()
    maxima = ()

    def merged(self, other, rows, other_rows, n_classes, n_features, dtype):
        """The distribution fitted on the data of ``self`` and ``other``
        (fitted on chunks whose classes sit at ``rows`` and ``other_rows`` of
        the ``n_classes`` merged ones): statistics added (maxima kept), the
        fitted attributes derived again by a ``partial_fit`` on no rows."""
        out = copy.deepcopy(self)
        for name in self.statistics:
            setattr(out, name, _placed(getattr(self, name), rows, n_classes)
                    + _placed(getattr(other, name), other_rows, n_classes))  # fmt: skip
        for name in self.maxima:
            setattr(out, name, np.maximum(getattr(self, name), getattr(other, name)))
        return out._derive(n_classes, n_features, dtype)

    def _derive(self, n_classes, n_features, dtype):
        """The fitted attributes from the statistics: a ``partial_fit`` on no
        rows adds nothing and derives them again."""
        return self.partial_fit(
            np.zeros((0, n_features), dtype=dtype), np.zeros((0, n_classes))
        )


class _Counts(Distribution):
    """Shared by the count distributions: non-negative input, Y^T X statistics."""

    sparse = True
    non_negative = True
    statistics = ("class_count_", "feature_count_")

    def check(self, X, names=None, fitting=False, owner=None):
        values = X.data if sp.issparse(X) else X
        if values.size == 0 or values.min() >= 0:
            return  # one reduction; the search below only runs on bad input
        found = _first_violation(X, lambda values, cols: values < 0)
        if found:
            raise ValueError(
                f"Negative values in data passed to {owner or 'the ' + self.name + ' distribution'} "
                f"(input X): the {self.name} distribution models non-negative "
                f"values, but feature {_column_name(names, found[0])} has the value "
                f"{found[1]:g}. Use another distribution for that column."
            )

    def partial_fit(self, X, Y):
        if not hasattr(self, "feature_count_"):
            self.class_count_ = np.zeros(Y.shape[1])
            self.feature_count_ = np.zeros((Y.shape[1], X.shape[1]))
        self.class_count_ += Y.sum(axis=0)
        self.feature_count_ += _weighted_sums(Y, X)
        return self


class Gaussian(Distribution):
    r"""Normal features: :math:`x_j \mid k \sim \mathcal{N}(\theta_{kj}, \sigma^2_{kj})`.

    .. math::

        \log p(x \mid k) = -\frac12 \sum_j \left[\log(2\pi\sigma^2_{kj})
        + \frac{(x_j - \theta_{kj})^2}{\sigma^2_{kj}}\right],

    with the weighted class means ``theta_`` and variances ``var_``, each
    variance plus ``epsilon_ = var_smoothing * max_j Var(x_j)`` over all the
    (weighted) data seen, so that a zero-variance feature does not divide by
    zero.

    Fitting is two matrix products over the data: the class sums
    :math:`Y^\top X`, then the squared deviations of each row from its own
    class mean, :math:`Y^\top (X - Y_{01}\Theta)^{\circ 2}` (exact two-pass
    sums, not :math:`E[x^2] - E[x]^2`); chunks merge by Chan's formula. The
    log-likelihood expands the square around the training mean :math:`c`,

    .. math::

        \sum_j \frac{(x_j - \theta_{kj})^2}{\sigma^2_{kj}}
        = (x - c)^{\circ 2} \cdot \sigma_k^{-2}
        - 2 (x - c) \cdot \frac{\theta_k - c}{\sigma_k^2}
        + \sum_j \frac{(\theta_{kj} - c_j)^2}{\sigma^2_{kj}},

    two matrix products for all classes at once. Its rounding error is about
    :math:`10^{-16}` times the last sum, so a class whose last sum exceeds
    ``1e4`` (a mean far from :math:`c` in units of its own spread, as with a
    near-zero variance) is computed in the direct form instead.

    Each row of ``Y`` holds the weight of the sample in its one class (zeros
    elsewhere).

    Examples
    --------
    Two classes, two samples each; ``Y`` holds one-hot class weights.

    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_foundations.probability import Gaussian
    >>> X, Y = np.array([[1.0], [3.0], [8.0], [12.0]]), np.repeat(np.eye(2), 2, axis=0)
    >>> g = Gaussian(var_smoothing=0.0).partial_fit(X, Y)
    >>> g.theta_.ravel(), g.var_.ravel()
    (array([ 2., 10.]), array([1., 4.]))
    >>> ll = g.log_likelihood(np.array([[2.0]]))
    >>> bool(np.isclose(ll[0, 1], stats.norm.logpdf(2.0, loc=10.0, scale=2.0)))
    True
    """

    name = "gaussian"
    parameters = ("var_smoothing",)
    continuous = True
    keeps_float32 = True
    fitted_attributes = ("theta_", "var_", "epsilon_")
    expanded_limit = 1e4

    def merged(self, other, rows, other_rows, n_classes, n_features, dtype):
        """Chan's merge of the per-class (weight, mean, M2) of two chunks."""
        out = copy.deepcopy(self)
        a = [_placed(v, rows, n_classes)
             for v in (self.class_count_, self._mean, self._m2)]  # fmt: skip
        b = [_placed(v, other_rows, n_classes)
             for v in (other.class_count_, other._mean, other._m2)]  # fmt: skip
        with np.errstate(over="ignore", invalid="ignore"):  # checked after
            stats = _merge(*a, *b)
        return out._finalize(stats, dtype)

    def __init__(self, var_smoothing=1e-9):
        self.var_smoothing = var_smoothing

    def check(self, X, names=None, fitting=False, owner=None):
        pass

    def partial_fit(self, X, Y):
        K, d = Y.shape[1], X.shape[1]
        if not hasattr(self, "_m2"):
            self.class_count_, self._mean, self._m2 = (
                np.zeros(K),
                np.zeros((K, d)),
                np.zeros((K, d)),
            )
        with np.errstate(over="ignore", invalid="ignore"):  # checked after
            stats = _class_moments(X, Y)
            stats = _merge(self.class_count_, self._mean, self._m2, *stats)
        return self._finalize(stats, X.dtype)

    def _finalize(self, stats, dtype=np.float64):
        """The statistics ``stats`` (per class: weight, mean, sum of squared
        deviations, float64) and the fitted attributes from them, ``theta_``
        and ``var_`` in the data's ``dtype`` (float32 stays float32); checked
        first, so that statistics that overflow change nothing."""
        n, mean, m2 = stats
        total = n.sum()
        center = n @ mean / total if total > 0 else np.zeros(mean.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            total_m2 = m2.sum(axis=0) + n @ (mean - center) ** 2
        _check_moments(n, mean, m2, total_m2)
        self.class_count_, self._mean, self._m2, self._center = n, mean, m2, center
        var_max = float(np.max(total_m2 / total)) if total > 0 else 0.0
        epsilon = self.var_smoothing * (var_max if var_max > 0 else 1.0)
        count = np.maximum(n, np.finfo(float).tiny)[:, None]
        self._var = m2 / count + epsilon
        self.epsilon_ = np.dtype(dtype).type(epsilon)
        self.theta_ = mean.astype(dtype)
        self.var_ = self._var.astype(dtype)
        return self

    def log_likelihood(self, X, constant=True):
        var, theta = self._var, self._mean  # float64
        if not np.all(var > 0):  # var_smoothing=0 and a constant feature
            k, j = np.argwhere(~(var > 0))[0]
            raise ValueError(
                f"Feature {j} has zero variance in class {k} and var_smoothing="
                f"{self.var_smoothing}: a Normal distribution of zero variance has "
                "no density. Set var_smoothing > 0 (the default is 1e-9)."
            )
        precision = 1.0 / var
        shift = theta - self._center
        offset = (shift**2 * precision).sum(axis=1)
        const = -0.5 * (np.log(var).sum(axis=1) + offset)
        if constant:
            const -= 0.5 * X.shape[1] * np.log(2 * np.pi)
        direct = np.flatnonzero(offset > self.expanded_limit)
        out = np.empty((X.shape[0], len(theta)))
        for rows in row_blocks(X.shape[0], X.shape[1]):
            Xc = X[rows] - self._center
            out[rows] = Xc @ (shift * precision).T
            Xc *= Xc
            out[rows] -= 0.5 * (Xc @ precision.T)
            for k in direct:
                dev = X[rows] - theta[k]
                dev *= dev
                out[rows, k] = -0.5 * (dev @ precision[k] - offset[k])
        return out + const


def _check_moments(n, mean, m2, total_m2):
    """A ValueError that names the feature whose squared deviations overflow
    float64 (values beyond about 1e154 square past the largest float) or
    underflow it (a variance below 1e4 times the smallest normal number, or
    0 where the class means of values below about 1e-152 differ: their
    squares have lost their digits)."""
    limit = 1e4 * np.finfo(np.float64).tiny
    seen = mean[n > 0]
    total = n.sum()
    var = total_m2 / total if total > 0 else total_m2
    largest = np.max(np.abs(seen), axis=0, initial=0.0)
    spread = np.ptp(seen, axis=0) if len(seen) else np.zeros_like(largest)
    low = ((var > 0) & (var < limit)) | (
        (var == 0) & (largest < np.sqrt(limit)) & (spread > 1e-8 * largest)
    )
    if low.any():
        j = int(np.flatnonzero(low)[0])
        raise ValueError(
            f"Feature {j}'s squared deviations underflow float64 (class means up "
            f"to {float(largest[j]):.3g} in magnitude, variance {float(var[j]):.3g}):"
            " the Normal densities would lose their digits. Multiply the feature "
            "by a constant (the posterior does not change) or scale it "
            "(StandardScaler)."
        )
    bad = ~np.isfinite(total_m2)
    if not bad.any():
        return
    j = int(np.flatnonzero(bad)[0])
    where = np.flatnonzero(~np.isfinite(m2[:, j]))
    within = f" within class {where[0]}" if where.size else " between the classes"
    scale = float(np.max(np.abs(mean[:, j])))
    raise ValueError(
        f"Feature {j}'s squared deviations{within} overflow float64 (class "
        f"means up to {scale:.3g} in magnitude): a Normal distribution of "
        "infinite variance has no density. Divide the feature by a constant "
        "or scale it (StandardScaler)."
    )


def _class_moments(X, Y):
    """Per class: weight, weighted mean and sum of weighted squared deviations
    from the class's own mean, by two matrix products over ``X``."""
    count = Y.sum(axis=0)
    safe = np.where(count != 0, count, 1.0)[:, None]
    mean = (Y.T @ X) / safe
    label = np.argmax(Y != 0, axis=1)
    m2 = np.zeros_like(mean)
    for rows in row_blocks(X.shape[0], X.shape[1]):
        dev = X[rows] - mean[label[rows]]
        dev *= dev
        m2 += Y[rows].T @ dev
    return count, mean, m2


def _merge(n_a, mean_a, m2_a, n_b, mean_b, m2_b):
    """Chan et al.'s pairwise update of (weight, mean, M2), one row per class."""
    n = n_a + n_b
    safe = np.where(n != 0, n, 1.0)[:, None]
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b[:, None] / safe)
    both = (n_a * n_b)[:, None] / safe  # 0 where a side is empty: no term
    return n, mean, m2_a + m2_b + np.where(both > 0, delta**2 * both, 0.0)


class Bernoulli(_Counts):
    r"""Binary features: :math:`x_j \mid k \sim \mathrm{Bernoulli}(p_{kj})`.

    .. math::

        \log p(x \mid k) = \sum_j x_j \log p_{kj} + (1 - x_j)\log(1 - p_{kj}),
        \qquad p_{kj} = \frac{N_{kj} + \alpha}{N_k + 2\alpha},

    after thresholding :math:`x > \mathrm{binarize}` (None: already binary).
    ``feature_log_prob_`` holds :math:`\log p`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.probability import Bernoulli
    >>> X = np.array([[0.0, 2.0], [1.0, 3.0], [4.0, 0.0], [5.0, 1.0]])
    >>> Y = np.repeat(np.eye(2), 2, axis=0)  # one-hot classes
    >>> b = Bernoulli(alpha=1.0, binarize=0.0).partial_fit(X, Y)
    >>> np.exp(b.feature_log_prob_)  # (count of x > 0 + 1) / (2 + 2)
    array([[0.5 , 0.75],
           [0.75, 0.5 ]])
    """

    name = "bernoulli"
    parameters = ("alpha", "binarize")
    fitted_attributes = ("feature_count_", "feature_log_prob_")

    @classmethod
    def needs_non_negative(cls, params):
        """0/1 values are asked for only without ``binarize``."""
        return params.get("binarize") is None

    def __init__(self, alpha=1.0, binarize=0.0):
        self.alpha, self.binarize = alpha, binarize

    def _binary(self, X):
        return X if self.binarize is None else (X > self.binarize).astype(float)

    def check(self, X, names=None, fitting=False, owner=None):
        if self.binarize is not None:
            return
        super().check(X, names, owner=owner)
        found = _first_violation(X, lambda values, cols: (values != 0) & (values != 1))
        if found:
            raise ValueError(
                f"The Bernoulli distribution with binarize=None models values 0 "
                f"and 1, but feature {_column_name(names, found[0])} has the value "
                f"{found[1]:g}. Set binarize to a threshold to binarize the data."
            )

    def partial_fit(self, X, Y):
        super().partial_fit(self._binary(X), Y)
        a = _alpha(self.alpha, X.shape[1])
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(self.feature_count_ + a) - np.log(
                self.class_count_[:, None] + 2 * a
            )
            self._log_not = np.log1p(-np.exp(self.feature_log_prob_))
        return self

    def log_likelihood(self, X, constant=True):
        B = self._binary(X)
        log_p, log_not = self.feature_log_prob_, self._log_not
        if np.isfinite(log_p).all() and np.isfinite(log_not).all():
            return np.asarray(B @ (log_p - log_not).T) + log_not.sum(axis=1)
        # alpha = 0: 0 log 0 = 0 on both sides, (1 - B) log(1 - p) by columns
        ones = _xlogp(B, log_p)
        finite = np.isfinite(log_not)
        zeros = np.where(finite, log_not, 0.0).sum(axis=1) - np.asarray(
            B @ np.where(finite, log_not, 0.0).T
        )
        absent = (~finite).sum(axis=1) - np.asarray(B @ (~finite).T.astype(float))
        zeros[absent > 0] = -np.inf
        return ones + zeros


class Multinomial(_Counts):
    r"""Count vectors: :math:`x \mid k \sim \mathrm{Multinomial}(\sum_j x_j, p_k)`.

    .. math::

        \log p(x \mid k) = \sum_j x_j \log p_{kj} + \text{const},
        \qquad p_{kj} = \frac{N_{kj} + \alpha}{\sum_l N_{kl} + \alpha d},

    the constant (the multinomial coefficient) being the same for every class;
    it is left out, as in scikit-learn's MultinomialNB.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.probability import Multinomial
    >>> X = np.array([[0.0, 2.0], [1.0, 3.0], [4.0, 0.0], [5.0, 1.0]])
    >>> Y = np.repeat(np.eye(2), 2, axis=0)  # one-hot classes
    >>> m = Multinomial(alpha=1.0).partial_fit(X, Y)
    >>> np.exp(m.feature_log_prob_)  # (1 + 1) / (6 + 2), (5 + 1) / (6 + 2), ...
    array([[0.25      , 0.75      ],
           [0.83333333, 0.16666667]])
    """

    name = "multinomial"
    parameters = ("alpha",)
    fitted_attributes = ("feature_count_", "feature_log_prob_")

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def partial_fit(self, X, Y):
        super().partial_fit(X, Y)
        smoothed = self.feature_count_ + _alpha(self.alpha, X.shape[1])
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(smoothed) - np.log(
                smoothed.sum(axis=1, keepdims=True)
            )
        return self

    def log_likelihood(self, X, constant=True):
        return _xlogp(X, self.feature_log_prob_)


class Poisson(_Counts):
    r"""Counts: :math:`x_j \mid k \sim \mathrm{Poisson}(\lambda_{kj})`.

    .. math::

        \log p(x \mid k) = \sum_j x_j \log\lambda_{kj} - \lambda_{kj}
        - \log x_j!, \qquad
        \lambda_{kj} = \frac{S_{kj} + \alpha}{N_k + \alpha},

    with :math:`S_{kj}` the weighted sum of feature ``j`` in class ``k``: the
    class-wise weighted mean at ``alpha = 0`` (maximum likelihood), and
    ``alpha`` pseudo-observations of a count of 1 otherwise. ``rate_`` holds
    :math:`\lambda`.

    Examples
    --------
    Two classes, two samples each; ``Y`` holds one-hot class weights.

    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_foundations.probability import Poisson
    >>> X = np.array([[0.0, 2.0], [1.0, 3.0], [4.0, 0.0], [5.0, 1.0]])
    >>> Y = np.repeat(np.eye(2), 2, axis=0)
    >>> p = Poisson(alpha=0.0).partial_fit(X, Y)
    >>> p.rate_  # the class means
    array([[0.5, 2.5],
           [4.5, 0.5]])
    >>> ll = p.log_likelihood(X[:1])
    >>> bool(np.isclose(ll[0, 0], stats.poisson.logpmf(X[0], p.rate_[0]).sum()))
    True
    """

    name = "poisson"
    parameters = ("alpha",)
    fitted_attributes = ("feature_count_", "rate_")

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def partial_fit(self, X, Y):
        super().partial_fit(X, Y)
        a = _alpha(self.alpha, X.shape[1])
        denom = self.class_count_[:, None] + a
        self.rate_ = (self.feature_count_ + a) / np.where(denom > 0, denom, 1)
        return self

    def log_likelihood(self, X, constant=True):
        with np.errstate(divide="ignore"):
            log_rate = np.log(self.rate_)
        out = _xlogp(X, log_rate) - self.rate_.sum(axis=1)
        if constant:
            out -= _log_factorial_sums(X)[:, None]
        return out


def _log_factorial_sums(X):
    """:math:`\\sum_j \\log x_j!` per row; sparse ``X`` stays sparse (``0! = 1``)."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        return _sum_rows(X._with_data(gammaln(X.data + 1)))
    return gammaln(X + 1).sum(axis=1)


class Binomial(_Counts):
    r"""Successes out of ``n_trials``: :math:`x_j \mid k \sim \mathrm{Bin}(n_j, p_{kj})`.

    .. math::

        \log p(x \mid k) = \sum_j \log\binom{n_j}{x_j} + x_j \log p_{kj}
        + (n_j - x_j) \log(1 - p_{kj}), \qquad
        p_{kj} = \frac{S_{kj} + \alpha}{n_j N_k + 2\alpha},

    the maximum-likelihood :math:`S / (n N)` at ``alpha = 0``. ``n_trials`` None
    takes the largest value of each feature over the samples of positive
    weight seen in fit; later values above it are counted as ``n_trials_``
    successes (the data cannot exceed the number of trials). ``prob_`` holds
    :math:`p`.

    Examples
    --------
    Two classes, two samples each; ``Y`` holds one-hot class weights.

    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_foundations.probability import Binomial
    >>> X = np.array([[0.0, 2.0], [1.0, 3.0], [4.0, 0.0], [5.0, 1.0]])
    >>> Y = np.repeat(np.eye(2), 2, axis=0)
    >>> b = Binomial(alpha=0.0, n_trials=5)
    >>> b.check(X, fitting=True)
    >>> b.partial_fit(X, Y).prob_  # successes / (5 trials * 2 samples)
    array([[0.1, 0.5],
           [0.9, 0.1]])
    >>> ll = b.log_likelihood(X[:1])
    >>> bool(np.isclose(ll[0, 0], stats.binom.logpmf(X[0], 5, b.prob_[0]).sum()))
    True
    """

    name = "binomial"
    parameters = ("alpha", "n_trials")
    maxima = ("n_trials_",)
    fitted_attributes = ("feature_count_", "n_trials_", "prob_")

    def __init__(self, alpha=1.0, n_trials=None):
        self.alpha, self.n_trials = alpha, n_trials

    def check(self, X, names=None, fitting=False, owner=None):
        super().check(X, names, owner=owner)
        if self.n_trials is None:
            return
        n = _per_feature(self.n_trials, X.shape[1], "n_trials")
        found = _first_violation(X, lambda values, cols: values > n[cols])
        if found:
            raise ValueError(
                f"The binomial distribution counts successes out of n_trials="
                f"{n[found[0]]:g}, but feature {_column_name(names, found[0])} has "
                f"the value {found[1]:g}. Raise n_trials, or set it to None to "
                "take the largest value seen."
            )

    def partial_fit(self, X, Y):
        super().partial_fit(X, Y)
        if self.n_trials is None:  # the largest count of the rows of positive weight
            rows = Y.sum(axis=1) > 0
            seen = X if rows.all() else X[rows]
            largest = seen.max(axis=0) if seen.shape[0] else np.zeros(X.shape[1])
            largest = np.asarray(largest.toarray() if sp.issparse(largest) else largest)
            old = getattr(self, "n_trials_", np.zeros(X.shape[1]))
            self.n_trials_ = np.maximum(old, largest.ravel())
        else:
            self.n_trials_ = _per_feature(self.n_trials, X.shape[1], "n_trials").copy()
        a = _alpha(self.alpha, X.shape[1])
        denom = self.n_trials_ * self.class_count_[:, None] + 2 * a
        self.prob_ = (self.feature_count_ + a) / np.where(denom > 0, denom, 1)
        return self

    def log_likelihood(self, X, constant=True):
        n = self.n_trials_
        if self.n_trials is None:
            X = _clip_columns(X, n)
        with np.errstate(divide="ignore"):
            log_p, log_q = np.log(self.prob_), np.log1p(-self.prob_)
        # x log p + (n - x) log q with 0 log 0 = 0: n log q less x log q
        fit = _xlogp(X, log_p)
        finite = np.isfinite(log_q)
        q0 = np.where(finite, log_q, 0.0)
        fit += (n * q0).sum(axis=1) - np.asarray(X @ q0.T)
        if not finite.all():  # failures (x < n) where p = 1
            short = np.asarray(X @ (~finite).T.astype(float))
            fit[short < (n * ~finite).sum(axis=1)] = -np.inf
        if constant:
            fit += _log_binomial_sums(X, n)[:, None]
        return fit


def _clip_columns(X, upper):
    """``min(x_ij, upper_j)``; sparse ``X`` stays sparse."""
    if not sp.issparse(X):
        return np.minimum(X, upper)
    X = sp.csr_matrix(X, copy=True)
    X.data = np.minimum(X.data, upper[X.indices])
    return X


def _log_binomial_sums(X, n):
    """:math:`\\sum_j \\log \\binom{n_j}{x_j}` per row; sparse ``X`` stays sparse."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        n_of = n[X.indices]
        terms = gammaln(n_of + 1) - gammaln(X.data + 1) - gammaln(n_of - X.data + 1)
        return _sum_rows(X._with_data(terms))
    return (gammaln(n + 1) - gammaln(X + 1) - gammaln(n - X + 1)).sum(axis=1)


class Categorical(Distribution):
    r"""Categories :math:`0, \dots, m_j - 1`: :math:`x_j \mid k \sim \mathrm{Cat}(p_{kj})`.

    .. math::

        \log p(x \mid k) = \sum_j \log p_{kj x_j}, \qquad
        p_{kjc} = \frac{N_{kjc} + \alpha}{N_k + \alpha m_j},

    with :math:`m_j` the number of categories of feature ``j``: one more than
    the largest seen in samples of positive weight, at least
    ``min_categories``. ``category_count_`` and ``feature_log_prob_`` are lists of one ``(n_classes, m_j)`` array per
    feature, as in scikit-learn's CategoricalNB.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.probability import Categorical
    >>> X = np.array([[0, 1], [0, 2], [1, 0], [1, 1]])
    >>> Y = np.repeat(np.eye(2), 2, axis=0)  # one-hot classes
    >>> c = Categorical(alpha=1.0)
    >>> c.check(X, fitting=True)
    >>> p = [np.exp(f) for f in c.partial_fit(X, Y).feature_log_prob_]
    >>> p[1]  # feature 1 has 3 categories: (count + 1) / (2 + 3)
    array([[0.2, 0.4, 0.4],
           [0.4, 0.4, 0.2]])
    """

    name = "categorical"
    parameters = ("alpha", "min_categories")

    def merged(self, other, rows, other_rows, n_classes, n_features, dtype):
        """Counts per category added, each feature's categories padded to
        the larger number."""
        out = copy.deepcopy(self)
        out.class_count_ = _placed(self.class_count_, rows, n_classes) + _placed(
            other.class_count_, other_rows, n_classes
        )
        out.n_categories_ = np.maximum(self.n_categories_, other.n_categories_)
        out.category_count_ = [
            _padded(_placed(a, rows, n_classes), m)
            + _padded(_placed(b, other_rows, n_classes), m)
            for a, b, m in zip(self.category_count_, other.category_count_,
                               out.n_categories_, strict=True)
        ]  # fmt: skip
        return out._derive(n_classes, n_features, dtype)

    non_negative = True
    categorical = True
    fitted_attributes = ("category_count_", "feature_log_prob_", "n_categories_")

    def __init__(self, alpha=1.0, min_categories=None):
        self.alpha, self.min_categories = alpha, min_categories

    def check(self, X, names=None, fitting=False, owner=None):
        _Counts.check(self, X, names, owner=owner)
        found = _first_violation(X, lambda values, cols: values != np.floor(values))
        if found:  # scikit-learn's checks pass floats to categorical models
            warnings.warn(
                f"The categorical distribution models categories 0, 1, 2, ..., but "
                f"feature {_column_name(names, found[0])} has the value "
                f"{found[1]:g}: each value is read as the category of its integer "
                "part. Encode the categories as integers (e.g. with OrdinalEncoder).",
                UserWarning,
                stacklevel=4,
            )
        if self.min_categories is not None:
            _per_feature(self.min_categories, X.shape[1], "min_categories")
        if fitting or not hasattr(self, "n_categories_"):
            return  # fitting grows the categories
        m = self.n_categories_
        found = _first_violation(X, lambda values, cols: values >= m[cols])
        if found:
            raise ValueError(
                f"Feature {_column_name(names, found[0])} has the category "
                f"{int(found[1])}, not seen in fit (categories 0 to "
                f"{m[found[0]] - 1}). Set min_categories to make room for it, or "
                "fit on data that has it."
            )

    def partial_fit(self, X, Y):
        X = X.astype(np.intp)
        K, d = Y.shape[1], X.shape[1]
        minimum = _per_feature(
            0 if self.min_categories is None else self.min_categories,
            d,
            "min_categories",
        ).astype(np.intp)
        rows = Y.sum(axis=1) > 0  # categories of the samples of positive weight
        X, Y = X[rows], Y[rows]
        largest = X.max(axis=0) if len(X) else np.full(d, -1)
        needed = np.maximum(largest + 1, minimum)
        if not hasattr(self, "n_categories_"):
            self.class_count_ = np.zeros(K)
            self.n_categories_ = needed
            self.category_count_ = [np.zeros((K, m)) for m in needed]
        self.n_categories_ = np.maximum(self.n_categories_, needed)
        self.class_count_ += Y.sum(axis=0)
        for j in range(d):
            counts = self.category_count_[j]
            grown = np.zeros((K, self.n_categories_[j]))
            grown[:, : counts.shape[1]] = counts
            for k in range(K):
                grown[k] += np.bincount(
                    X[:, j], weights=Y[:, k], minlength=grown.shape[1]
                )
            self.category_count_[j] = grown
        with np.errstate(divide="ignore"):
            alpha = np.broadcast_to(_alpha(self.alpha, d), (d,))
            self.feature_log_prob_ = [
                np.log(c + a) - np.log(c.sum(axis=1, keepdims=True) + a * c.shape[1])
                for c, a in zip(self.category_count_, alpha, strict=True)
            ]
        return self

    def log_likelihood(self, X, constant=True):
        X = X.astype(np.intp)
        out = np.zeros((X.shape[0], len(self.class_count_)))
        for j, log_prob in enumerate(self.feature_log_prob_):
            out += log_prob[:, X[:, j]].T
        return out


def _placed(stat, rows, n_classes):
    """A per-class statistic with its rows at ``rows`` of ``n_classes``."""
    out = np.zeros((n_classes,) + np.shape(stat)[1:])
    out[rows] = stat
    return out


def _padded(counts, m):
    """Category counts padded with zero columns to ``m`` categories."""
    out = np.zeros((counts.shape[0], m))
    out[:, : counts.shape[1]] = counts
    return out


DISTRIBUTIONS = {
    cls.name: cls
    for cls in [Gaussian, Bernoulli, Multinomial, Binomial, Poisson, Categorical]
}
