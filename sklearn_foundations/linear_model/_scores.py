r"""Test-fold scores of every point of a path, for the common scorers.

scikit-learn's scorers validate their input on each call (about 10 ms for
``neg_log_loss``: a label binarizer fitted per call), which is more than a
warm-started fit of one path point costs. For the scorers named in
:data:`CLASSIFICATION` and :data:`REGRESSION` the cross-validated models
compute the same numbers from the path's predictions directly, as the metric
functions define them (:math:`w_i = 1` unless the scorer gets sample
weights: LogisticRegressionCV's fit weights, or routed ones):

.. math::

    \text{accuracy} = \frac{\sum_i w_i [\hat y_i = y_i]}{\sum_i w_i}, \qquad
    \text{neg\_log\_loss} = \frac{\sum_i w_i \log \operatorname{clip}(p_{i
    y_i}, \epsilon, 1 - \epsilon)}{\sum_i w_i},

    \text{neg\_mean\_squared\_error} = -\frac{1}{n} \sum_i (y_i - \mu_i)^2,
    \qquad r^2 = 1 - \frac{\sum_i (y_i - \mu_i)^2}{\sum_i (y_i - \bar y)^2}.

Imports only numpy.
"""

import numpy as np

__all__ = ["CLASSIFICATION", "REGRESSION", "classification_scores", "regression_scores"]


def _accuracy(Z, y_idx, loss, w=None):
    idx = (Z[:, :, 0] > 0).astype(int) if Z.shape[2] == 1 else Z.argmax(axis=2)
    return np.average(idx == y_idx, axis=1, weights=w)


def _neg_log_loss(Z, y_idx, loss, w=None):
    if Z.shape[2] == 1:  # the scorer takes p_1 and forms 1 - p_1 (not p_0)
        p_1 = loss.predict_proba(Z.reshape(-1, 1))[:, 1].reshape(Z.shape[:2])
        P_y = np.where(y_idx == 1, p_1, 1 - p_1)
    else:  # every point's probabilities at once, the label's picked per sample
        P = loss.predict_proba(Z.reshape(-1, Z.shape[2])).reshape(Z.shape)
        P_y = np.take_along_axis(
            P, np.broadcast_to(y_idx[:, None], Z.shape[:2] + (1,)), 2
        )[..., 0]
    eps = np.finfo(P_y.dtype).eps
    # float64 as the scorer's floats, in float32 too
    log_p = np.log(np.clip(P_y, eps, 1 - eps))
    return np.average(log_p, axis=1, weights=w).astype(np.float64)


def _neg_mean_squared_error(mu, y):
    return -np.mean((y[:, None] - mu) ** 2, axis=0)


def _r2(mu, y):
    residual = np.sum((y[:, None] - mu) ** 2, axis=0)
    total = np.sum((y - y.mean()) ** 2)
    if total == 0:  # scikit-learn's force_finite: 1 if perfect, else 0
        return np.where(residual == 0, 1.0, 0.0)
    return 1 - residual / total


CLASSIFICATION = {"accuracy": _accuracy, "neg_log_loss": _neg_log_loss}
REGRESSION = {"neg_mean_squared_error": _neg_mean_squared_error, "r2": _r2}


def classification_scores(scoring, Z, y_idx, loss, sample_weight=None):
    r"""The scores of the path's predictors ``Z`` (n_points, n_samples,
    n_outputs) against the class indices ``y_idx``, with the model's ``loss``
    (its ``predict_proba``), weighted means with ``sample_weight``; None for
    a scoring not in the table.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> Z = np.array([[[1.0], [-1.0]], [[-1.0], [-1.0]]])
    >>> classification_scores("accuracy", Z, np.array([1, 0]), BinomialLogLoss())
    array([1. , 0.5])
    """
    score = CLASSIFICATION.get(scoring)
    return None if score is None else score(Z, y_idx, loss, sample_weight)


def regression_scores(scoring, mu, y):
    r"""The scores of the path's predictions ``mu`` (n_samples, n_points)
    against ``y``; None for a scoring not in the table.

    Examples
    --------
    >>> import numpy as np
    >>> mu = np.array([[1.0, 0.0], [2.0, 0.0]])
    >>> regression_scores("neg_mean_squared_error", mu, np.array([1.0, 2.0]))
    array([-0. , -2.5])
    """
    score = REGRESSION.get(scoring)
    return None if score is None else score(mu, y)
