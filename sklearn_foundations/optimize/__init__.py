r"""Gradient descent, one readable loop per solver, each returning a result record,
and :func:`minimize`, the one table of which solver fits which case.

Every solver minimizes :math:`F(\theta) = f(\theta) + g(\theta)` where ``f`` is a
smooth datafit (:mod:`sklearn_foundations.datafits`) and ``g`` a penalty with a
proximal operator (:mod:`sklearn_foundations.penalties`). The update is the
proximal form of :math:`\theta \leftarrow \theta - \eta \nabla J(\theta)`:

.. math::

    \theta \leftarrow \operatorname{prox}_{\eta g}\big(\theta - \eta \nabla f(\theta)\big).

- :func:`fista`: full batch, step :math:`1/L`, Nesterov momentum with adaptive
  restart.
- :func:`proximal_gradient`: full batch, constant step or Armijo backtracking.
- :func:`lbfgs`: full batch, smooth objectives: limited-memory BFGS, a
  quasi-Newton direction from the last gradient differences, with backtracking.
- :func:`newton_cg`: full batch, smooth objectives, dense or sparse ``X``:
  truncated Newton, each step a conjugate-gradient solve of the Newton system
  with Hessian-vector products (two passes over ``X`` each).
- :func:`newton_cholesky`: full batch, smooth objectives, one output, few
  features: Newton's method, each step a Cholesky solve of the formed Hessian.
- :func:`prox_newton`: full batch, one output, dense or sparse ``X``: proximal
  Newton with working sets, the quadratic model of the loss plus the penalty
  over the support and the worst optimality violations solved by coordinate
  descent (dense ``X``) or by proximal gradient in the model's diagonal metric
  (sparse ``X``).
- :func:`coupled_newton`: full batch, several outputs whose curvature is
  coupled (a softmax's classes), in memory: proximal Newton over working
  sets of (feature, output) coordinates, the model's matrix formed and
  solved by feature-sign search.
- :func:`feature_sign`: a lasso or elastic net on a Gram matrix (or, on
  fewer rows than features, on the rows' factor of it), exactly, by
  guessing the signs of the non-zero coefficients (an active-set method).
- :func:`kernel_cholesky`: the squared error with an L2 penalty (or none) on
  fewer rows than features, exactly: one Cholesky solve of the rows' kernel
  matrix.
- :func:`conjugate_gradient`: full batch, for a quadratic objective (squared
  loss with an L2 penalty): gradient steps along conjugate directions, each with
  the exact step, the fastest gradient method there is for that case.
- :func:`stochastic_gradient`: mini-batches with a learning-rate schedule
  (:class:`Constant`, :class:`InverseScaling`, :class:`Optimal`,
  :class:`Adaptive`).

Full-batch solvers stop when the gradient (or the gradient mapping
:math:`G`, zero exactly at an optimum) measured in the datafit's metric,
:math:`\max_j |G_j| / \sqrt{D_j}` with :math:`D` the diagonal of
:math:`A^\top S A` (``datafit.metric()``), is at most ``tol``: a measure that
does not change when a column of ``X`` is rescaled; the second-order ones are
preconditioned by :math:`D` and the first-order ones can step in it, so that
their iterates do not depend on the scales either. One that stops short of
``tol`` (``max_iter``, or no progress left in floating point) returns
``converged=False`` with the ``optimality`` it reached. Stochastic ones stop
when the objective stops decreasing by ``tol`` for ``n_iter_no_change`` epochs. An objective that turns non-finite or grows by three
orders of magnitude raises :class:`DivergenceError`.

Every loop calls ``callback`` once per iteration with an
:class:`IterationState` (iteration, iterate, objective, optimality, step);
the record's ``objective`` and the ``verbose`` line come from that same hook,
and a callback that returns True stops the loop. Estimators call
:func:`minimize` (``_minimize``), which reads the case (loss, penalty,
storage, shape) and picks the method from its table.

One module per family of solvers: ``_first_order`` (:func:`fista`,
:func:`proximal_gradient`, :func:`stochastic_gradient`), ``_newton``
(:func:`lbfgs`, :func:`newton_cg`, :func:`newton_cholesky`), ``_prox_newton``, ``_quadratic``
(:func:`conjugate_gradient`, :func:`kernel_cholesky`, :func:`feature_sign`;
the solves of feature-sign's active sets in ``_gram_solves``),
``_dual_newton`` (:func:`dual_newton`), ``_coupled`` (:func:`coupled_newton`), with the result record in
``_result`` and the schedules in ``_schedules``. They import only numpy/scipy
and, for :func:`prox_newton`, the package's ``linalg`` (Gram matrix) and
``penalties`` (soft-thresholding).
"""

from ._coupled import coupled_newton
from ._dual_newton import dual_newton
from ._first_order import fista, proximal_gradient, stochastic_gradient
from ._minimize import (  # noqa: F401 (the tables, not in __all__)
    AUTO,
    METHODS,
    NEWTON_REUSE_MIN_FEATURES,
    Case,
    methods_for,
    minimize,
    screening_pays,
    unmet_needs,
)
from ._newton import lbfgs, newton_cg, newton_cholesky
from ._prox_newton import prox_newton
from ._quadratic import conjugate_gradient, feature_sign, kernel_cholesky
from ._result import DivergenceError, IterationState, OptimizeResult
from ._schedules import Adaptive, Constant, InverseScaling, Optimal, Plateau

__all__ = [
    "Adaptive",
    "Case",
    "IterationState",
    "Constant",
    "DivergenceError",
    "coupled_newton",
    "dual_newton",
    "InverseScaling",
    "Optimal",
    "OptimizeResult",
    "conjugate_gradient",
    "Plateau",
    "feature_sign",
    "kernel_cholesky",
    "fista",
    "lbfgs",
    "methods_for",
    "screening_pays",
    "minimize",
    "newton_cg",
    "newton_cholesky",
    "prox_newton",
    "proximal_gradient",
    "stochastic_gradient",
    "unmet_needs",
]
