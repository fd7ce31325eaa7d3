r"""Plots in scikit-learn's Display style: the descent made visible.

:class:`LossCurveDisplay` draws the objective :math:`J(\theta_t)` after each
iteration of one or several fitted estimators (their ``loss_curve_``), or, given
the optimum :math:`J^\star`, the suboptimality :math:`J(\theta_t) - J^\star` on a
log scale, where linear convergence is a straight line.

matplotlib is optional: importing this module does not import it, and using a
display without it raises an ImportError that names the extra to install.
"""

import numpy as np

__all__ = ["LossCurveDisplay", "require_matplotlib"]

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
