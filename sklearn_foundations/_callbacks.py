"""scikit-learn's callbacks (``sklearn.callback``) on the package's
iteration hooks: the bridge from a solver's ``callback(state)`` to the
callbacks set with ``set_callbacks`` (a progress bar, a scoring monitor),
shared by the linear models and PCA."""


class FitCallbacks:
    """scikit-learn's callbacks (``sklearn.callback``) on a solver's hook.

    The fit is the root task, each iteration a subtask, as scikit-learn's own
    L-BFGS bridge has them: the first subtask begins with the fit, the
    solver's ``callback(state)`` ends the iteration that just ran (with the
    fitted attributes of ``state.theta``, built only if a callback asks for a
    fitted estimator) and begins the next, so the fit ends with one empty
    subtask that ``close`` ends. A fit has at least one iteration subtask: one
    that ran no iteration (``max_iter=0``) ends its first with the start
    point before the empty one. At most ``max(max_iter, 1) + 1`` subtasks in
    all: a method's steps past ``max_iter`` (one handing over) begin none. A
    callback's request to stop stops the solver. ``end`` ends the fit.
    Built only when the estimator has callbacks (``of``), so that a fit
    without them pays nothing.
    """

    def __init__(self, estimator, X, y, sample_weight, max_iter, attributes, theta0):
        self.estimator, self.X, self.y = estimator, X, y
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        self.attributes, self.runs = attributes, max(max_iter, 1)
        self.left = self.runs + 1  # the subtasks to begin, the empty one's too
        self.ctx = estimator._init_callback_context(max_subtasks=self.left)
        self.ctx.call_on_fit_task_begin(
            estimator=estimator, X=X, y=y, metadata=self.metadata
        )
        self.theta0, self.ran = theta0, 0
        self.iteration = self._begin(theta0)

    @classmethod
    def of(cls, estimator, X, y, sample_weight, max_iter, attributes, theta0):
        """The bridge, or None when the estimator has no callbacks."""
        if not getattr(estimator, "_skl_callbacks", None):
            return None
        return cls(estimator, X, y, sample_weight, max_iter, attributes, theta0)

    def _hook_args(self, theta):
        return dict(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=(
                None if theta is None else (lambda: self.attributes(theta))
            ),
        )  # fmt: skip

    def _begin(self, theta):
        if self.left <= 0:
            return None
        self.left -= 1
        ctx = self.ctx.subcontext(task_name="iteration")
        ctx.call_on_fit_task_begin(**self._hook_args(theta))
        return ctx

    def __call__(self, state):
        if self.iteration is None or self.ran == self.runs:
            return False  # past max_iter (a method handing over)
        self.ran += 1
        point = getattr(state, "theta", state)  # an IterationState, or PCA's
        stop = self.iteration.call_on_fit_task_end(**self._hook_args(point))
        self.iteration = self._begin(point)
        return stop

    def close(self):
        """End the subtask begun for an iteration that did not run (after
        the start's, where no iteration ran)."""
        if self.iteration is not None and self.ran == 0:
            self.iteration.call_on_fit_task_end(**self._hook_args(self.theta0))
            self.ran, self.iteration = 1, self._begin(self.theta0)
        if self.iteration is not None:
            self.iteration.call_on_fit_task_end(estimator=self.estimator)
            self.iteration = None

    def end(self):
        """End the fit's task (the estimator is fitted)."""
        self.close()
        self.ctx.call_on_fit_task_end(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes={},
        )  # fmt: skip


def chain(*callbacks):
    """One solver callback from several (None skipped): each is called, and
    the solver stops if any asks to."""
    callbacks = [c for c in callbacks if c is not None]
    if not callbacks:
        return None
    if len(callbacks) == 1:
        return callbacks[0]

    def callback(state):
        return any([c(state) for c in callbacks])  # a list: every one is called

    return callback
