r"""Plots in scikit-learn's Display style: the descent made visible.

:class:`LossCurveDisplay` draws the objective :math:`J(\theta_t)` after each
iteration of one or several fitted estimators (their ``loss_curve_``), or, given
the optimum :math:`J^\star`, the suboptimality :math:`J(\theta_t) - J^\star` on a
log scale, where linear convergence is a straight line.

:class:`RegularizationPathDisplay` draws the coefficients along a
regularization path against alpha (or C) on a log axis, with the
cross-validated score and its spread beneath and the chosen value marked.

matplotlib is optional: importing this module does not import it, and using a
display without it raises an ImportError that names the extra to install.
"""

import numpy as np

__all__ = ["LossCurveDisplay", "RegularizationPathDisplay", "require_matplotlib"]

_INSTALL_HINT = (
    'Install it with `pip install "sklearn-foundations[examples]"` '
    "(or `pip install matplotlib`)."
)


def require_matplotlib(caller):
    """Import ``matplotlib.pyplot``, or say which extra installs it.

    Parameters
    ----------
    caller : str
        What needs matplotlib, named in the error.

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        When matplotlib is not installed.

    Examples
    --------
    >>> from sklearn_foundations.display import require_matplotlib
    >>> plt = require_matplotlib("LossCurveDisplay")
    >>> plt.__name__
    'matplotlib.pyplot'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. {_INSTALL_HINT}"
        ) from exc
    return plt


def _final_step(estimator):
    """The estimator itself, or the last step of a Pipeline."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


class LossCurveDisplay:
    r"""Objective per iteration of fitted estimators.

    With a reference optimum :math:`J^\star` the curve is the suboptimality

    .. math::

        J(\theta_t) - J^\star, \qquad t = 1, \dots, T,

    on a log scale: gradient descent on a strongly convex objective converges
    linearly, :math:`J(\theta_t) - J^\star \le (1 - \mu/L)^t (J(\theta_0) -
    J^\star)`, a straight line there. Iterates at or below :math:`J^\star` (a
    reference that is itself only approximate) are left out of a log-scale plot.

    Create it with :meth:`from_estimator`; the constructor only stores.

    Parameters
    ----------
    loss_curves : list of array-like of shape (n_iter,)
        Objective after each iteration, one array per estimator.
    names : list of str, default=None
        Legend labels, one per curve.
    optimum : float, default=None
        Reference optimum :math:`J^\star`.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure holding the axes.
    line_ : matplotlib Line2D or list of Line2D
        The curve, or the list of curves when there are several.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_foundations import GradientDescentRegressor
    >>> from sklearn_foundations.display import LossCurveDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(), GradientDescentRegressor(penalty="l1", alpha=0.1)
    ... ).fit(X, y)
    >>> disp = LossCurveDisplay.from_estimator(model)
    >>> disp.ax_.get_xlabel(), disp.ax_.get_ylabel()
    ('iteration', 'objective J')
    >>> len(disp.line_.get_xdata()) == model[-1].n_iter_
    True
    """

    def __init__(self, *, loss_curves, names=None, optimum=None):
        self.loss_curves = loss_curves
        self.names = names
        self.optimum = optimum

    @classmethod
    def from_estimator(cls, estimator, *, names=None, optimum=None, ax=None, **kwargs):
        """Plot the ``loss_curve_`` of fitted estimators.

        Parameters
        ----------
        estimator : estimator, Pipeline, or list of them
            Fitted estimators with a ``loss_curve_`` (a Pipeline's last step).
        names : str or list of str, default=None
            Legend labels; the class names when None.
        optimum : float, default=None
            Reference optimum: plot the suboptimality on a log scale.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to ``matplotlib.pyplot.plot`` for every curve.

        Returns
        -------
        display : LossCurveDisplay
        """
        estimators = estimator if isinstance(estimator, list | tuple) else [estimator]
        curves = []
        for est in estimators:
            final = _final_step(est)
            if not hasattr(final, "loss_curve_"):
                raise ValueError(
                    f"{type(final).__name__} has no loss_curve_: pass fitted "
                    "estimators that record their objective per iteration, such "
                    "as GradientDescentRegressor or LogisticRegression."
                )
            curves.append(np.asarray(final.loss_curve_, dtype=float))
        if names is None:
            names = [type(_final_step(est)).__name__ for est in estimators]
        elif isinstance(names, str):
            names = [names]
        if len(names) != len(curves):
            raise ValueError(
                f"names has {len(names)} labels for {len(curves)} estimators; "
                "give one label per estimator."
            )
        display = cls(loss_curves=curves, names=list(names), optimum=optimum)
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to ``matplotlib.pyplot.plot`` for every curve.

        Returns
        -------
        display : LossCurveDisplay
            Itself, with ``ax_``, ``figure_`` and ``line_`` set.
        """
        plt = require_matplotlib("LossCurveDisplay")
        if ax is None:
            _, ax = plt.subplots()
        names = self.names or [None] * len(self.loss_curves)
        lines = []
        for curve, name in zip(self.loss_curves, names, strict=True):
            curve = np.asarray(curve, dtype=float)
            if self.optimum is not None:
                curve = curve - self.optimum
                curve = np.where(curve > 0, curve, np.nan)
            iteration = np.arange(1, curve.size + 1)
            (line,) = ax.plot(iteration, curve, label=name, **kwargs)
            lines.append(line)
        ax.set_xlabel("iteration")
        if self.optimum is None:
            ax.set_ylabel("objective J")
        else:
            ax.set_yscale("log")
            ax.set_ylabel("suboptimality J - J*")
        if any(name is not None for name in names):
            ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        self.line_ = lines[0] if len(lines) == 1 else lines
        return self


class RegularizationPathDisplay:
    r"""Coefficients along a regularization path, and the cross-validated score.

    The top panel draws every coefficient :math:`\hat w_j(\alpha)` of the fits
    on all the data against :math:`\alpha` (or :math:`C = 1 / (\alpha \sum_i
    s_i)` for logistic regression) on a log axis: with an L1 term they leave
    zero one by one as the penalty weakens. The bottom panel, when the
    display comes from a cross-validated model, draws the mean test score over
    the folds with a band of one standard deviation; a vertical line marks
    the chosen value in both.

    Create it with :meth:`from_estimator` or :meth:`from_path`; the
    constructor only stores.

    Parameters
    ----------
    grid : ndarray of shape (n_points,)
        The alphas (or Cs) of the path.
    coefs : ndarray of shape (n_points, n_lines)
        One column per coefficient drawn.
    chosen : float, default=None
        The chosen alpha (or C), marked by a vertical line.
    cv_scores : ndarray of shape (n_folds, n_points), default=None
        The test score of every fold at every point.
    grid_name : str, default="alpha"
    score_name : str, default="score"
    labels : list of str, default=None
        One per column of ``coefs``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_foundations.display import RegularizationPathDisplay
    >>> from sklearn_foundations.linear_model import GradientDescentRegressorCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> cv = GradientDescentRegressorCV(alphas=30).fit(X, y)
    >>> disp = RegularizationPathDisplay.from_estimator(cv, X, y)
    >>> len(disp.lines_), disp.ax_[0].get_xscale()
    (10, 'log')
    """

    def __init__(self, *, grid, coefs, chosen=None, cv_scores=None,
                 grid_name="alpha", score_name="score", labels=None):  # fmt: skip
        self.grid = grid
        self.coefs = coefs
        self.chosen = chosen
        self.cv_scores = cv_scores
        self.grid_name = grid_name
        self.score_name = score_name
        self.labels = labels

    @classmethod
    def from_estimator(cls, estimator, X, y, *, sample_weight=None, ax=None,
                       feature_names=None):  # fmt: skip
        """Draw a fitted cross-validated model's path on ``X``, ``y``.

        The coefficients are a path fitted on ``X``, ``y`` (through a
        Pipeline's earlier steps) at the model's grid and chosen
        ``l1_ratio_``; the scores are the model's own (``mse_path_`` as the
        mean squared error, or ``scores_``).

        Parameters
        ----------
        estimator : GradientDescentRegressorCV, LogisticRegressionCV or Pipeline
            Fitted; a Pipeline ending in one.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        ax : matplotlib Axes or array of two, default=None
            One Axes: the coefficients only; two: coefficients and scores.
        feature_names : list of str, default=None
            Legend labels; the model's ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        display : RegularizationPathDisplay
        """
        from .linear_model._path import PathProblem

        final = _final_step(estimator)
        if getattr(estimator, "steps", None):
            X = estimator[:-1].transform(X)
        if not hasattr(final, "l1_ratio_"):
            raise ValueError(
                f"{type(final).__name__} is not a fitted cross-validated linear "
                "model: pass a fitted GradientDescentRegressorCV or "
                "LogisticRegressionCV (or a Pipeline ending in one)."
            )
        classifier = hasattr(final, "Cs_")
        problem = PathProblem.from_data(
            X, y, loss="log_loss" if classifier else final.loss,
            sample_weight=sample_weight, fit_intercept=final.fit_intercept,
            epsilon=getattr(final, "epsilon", 0.1),
            class_weight=getattr(final, "class_weight", None),
        )  # fmt: skip
        l1 = list(np.atleast_1d(_l1_grid(final))).index(final.l1_ratio_)
        if classifier:
            order = np.argsort(final.Cs_)
            grid, chosen, scores = (
                final.Cs_[order],
                final.C_,
                final.scores_[:, l1, order],
            )
            alphas = 1.0 / (grid * problem.sample_weight.sum())
            score_name = final.scoring or "accuracy"
        else:
            grid = np.atleast_2d(final.alphas_)[l1]
            chosen, scores, alphas = final.alpha_, final.scores_[:, l1], grid
            score_name = final.scoring or "mean squared error"
            if final.scoring is None:
                scores = -scores
        path = problem.path(alphas, final.l1_ratio_, tol=final.tol,
                            max_iter=final.max_iter)  # fmt: skip
        coefs = path.coefs.reshape(len(grid), -1)
        names = feature_names
        if names is None:
            names = getattr(final, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(X.shape[1])]
        labels = [str(n) for n in names]
        if coefs.shape[1] != len(labels):  # one row per class
            labels = [f"{c}: {n}" for c in final.classes_ for n in labels]
        display = cls(
            grid=grid, coefs=coefs, chosen=chosen, cv_scores=scores,
            grid_name="C" if classifier else "alpha", score_name=score_name,
            labels=labels,
        )  # fmt: skip
        return display.plot(ax=ax)

    @classmethod
    def from_path(cls, path, *, ax=None, feature_names=None):
        """Draw a :class:`~sklearn_foundations.linear_model.RegularizationPath`.

        Parameters
        ----------
        path : RegularizationPath
        ax : matplotlib Axes, default=None
        feature_names : list of str, default=None

        Returns
        -------
        display : RegularizationPathDisplay
        """
        coefs = path.coefs.reshape(len(path.alphas), -1)
        labels = feature_names
        if labels is not None and len(labels) != coefs.shape[1]:
            classes = path.classes if path.classes is not None else range(len(coefs))
            labels = [f"{c}: {n}" for c in classes for n in labels]
        return cls(grid=path.alphas, coefs=coefs, labels=labels).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the coefficients (and the scores, when there are some).

        Parameters
        ----------
        ax : matplotlib Axes or array of two, default=None

        Returns
        -------
        display : RegularizationPathDisplay
            Itself, with ``ax_`` (an array of the Axes used), ``figure_``,
            ``lines_`` (one per coefficient) and ``score_line_`` set.
        """
        plt = require_matplotlib("RegularizationPathDisplay")
        panels = 1 if self.cv_scores is None else 2
        if ax is None:
            _, ax = plt.subplots(panels, 1, sharex=True, squeeze=False,
                                 figsize=(6.4, 3.2 * panels + 0.8))  # fmt: skip
        axes = np.ravel(ax)
        grid = np.asarray(self.grid, dtype=float)
        labels = self.labels or [None] * np.shape(self.coefs)[1]
        top = axes[0]
        self.lines_ = [
            top.plot(grid, column, label=label)[0]
            for column, label in zip(np.asarray(self.coefs).T, labels, strict=True)
        ]
        top.set_xscale("log")
        top.set_ylabel("coefficient")
        if self.labels and len(self.labels) <= 12:
            top.legend(fontsize="small", ncol=2)
        self.score_line_ = None
        if self.cv_scores is not None and len(axes) > 1:
            scores = np.asarray(self.cv_scores, dtype=float)
            mean, spread = scores.mean(axis=0), scores.std(axis=0)
            bottom = axes[1]
            (self.score_line_,) = bottom.plot(grid, mean, color="black")
            bottom.fill_between(grid, mean - spread, mean + spread, alpha=0.2,
                                color="gray")  # fmt: skip
            bottom.set_xscale("log")
            bottom.set_ylabel(f"{self.score_name} (CV)")
        for a in axes[: 1 + (self.cv_scores is not None)]:
            if self.chosen is not None:
                a.axvline(self.chosen, color="black", linestyle="--", linewidth=1)
        axes[min(len(axes), 1 + (self.cv_scores is not None)) - 1].set_xlabel(
            self.grid_name
        )
        self.ax_ = axes
        self.figure_ = axes[0].figure
        return self


def _l1_grid(final):
    """The l1_ratio values a cross-validated model searched."""
    if hasattr(final, "l1_ratios_"):
        return final.l1_ratios_
    return final.l1_ratio
