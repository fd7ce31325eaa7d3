r"""The one table of which method solves which case: :func:`minimize`.

Estimators describe a problem (a datafit, a penalty, a start) and call
:func:`minimize`; they do not choose solvers. A :class:`Case` is what the
table reads: the loss's declarations (quadratic, a continuous Hessian), the
penalty (smooth or with an L1 term), the datafit's storage (the Gram matrix
or the data, sparse or dense) and its shape. Each method states what it
needs (:data:`METHODS`); ``method="auto"`` takes the first row of
:data:`AUTO` that holds:

===============  =======================================================
method           "auto" picks it when
===============  =======================================================
newton-cholesky  the objective is a quadratic on the Gram matrix, at most
                 1,000 features over all targets (one block per target):
                 one Newton step is the solution, a Cholesky solve of the
                 small matrix, exact (the least-norm one where it is
                 singular: collinear columns without an L2 term, as
                 LinearRegression)
kernel-cholesky  the objective is a quadratic on the data (in memory), at
                 most 1,000 rows (sparse: dense enough, ``kernel_pays``),
                 more features than the centered rows'
                 rank can reach: one Cholesky solve of the rows' kernel
                 matrix (push-through identity), exact, the least-norm
                 interpolant for alpha = 0; where rounding leaves it short
                 of ``tol``, cgls from its point
cgls             the objective is a quadratic on more features than the
                 centered rows' rank can reach (rows of a non-zero weight,
                 less one for the intercept): conjugate gradient without the
                 columns' scaling,
                 whose iterates stay in the row space of X (the scaled ones
                 move along X's null space, pulled back by alpha alone; the
                 least-norm solution for alpha = 0)
cg               the objective is a quadratic (squared error, no L1
                 term): conjugate gradient is exact in at most d steps
dual-newton      the squared error with an L1 and an L2 term of at least a
                 tenth of the penalty (``l1_ratio`` at most 0.9) on dense
                 data in memory, more features than the centered rows'
                 rank, at most 1,000 rows and 2**25 entries (before
                 feature-sign's factor row, after its Gram row):
                 semismooth Newton on the dual, one system of the rows'
                 size per step however many coefficients are non-zero
feature-sign     the Gram matrix, at most 1,000 features, or the squared
                 error on dense data of at most 300 rows, more features
                 than the centered rows' rank and 2**25 entries (the Gram
                 matrix kept as the rows' factor, a copy): an exact
                 active-set method, one small solve per step (per target)
newton-cg        the penalty is smooth and the loss has a Hessian
                 (Huber's and the epsilon-insensitive one's, a step
                 function, with an L2 term, on at least as many rows as
                 features: semismooth Newton, handed to FISTA where it
                 stops short):
                 superlinear, Hessian-vector products; with one target, the
                 data and at most 200 features, the formed Hessian's steps
                 (its Cholesky factor preconditions conjugate gradient, formed
                 anew where two products do not do) from the first iteration
                 whose conjugate gradient needs more products than forming
                 the Hessian costs (ill-conditioned), or once the fit's
                 products add up to four times that
prox-newton      an L1 term, the data and a loss with a Hessian (as for
                 newton-cg): working sets, coordinate descent on the
                 model; several targets one after another where the loss
                 treats them apart
coupled-newton   an L1 term on a softmax's classes (several outputs of a
                 loss that couples them), in float64 and in memory, whose
                 whole model (every feature and class, :math:`n ((d + 1)
                 k)^2` flops) costs at most ``COUPLED_MAX_FLOPS``:
                 proximal Newton over working sets of (feature, class)
                 coordinates from the start, the model's matrix formed, on
                 to ``tol**2`` (``coupled_newton``; iris's and wine's L1
                 fits in 6-17 iterations where FISTA took 21-95); where
                 it stops short, FISTA from its point
fista            every other case (Huber's loss without an L2 term or on
                 wide data, the softmax's classes with an L1 term beyond
                 the coupled row, the Gram
                 matrix of many features); with an L1 term and a loss with
                 a second derivative, converged at ``tol`` it takes Newton's
                 steps on its support, the signs held (``support_newton``,
                 at most as many products as it took iterations; its point
                 kept where they do not reach ``tol`` with a lower
                 objective), and where they stop short of ``tol**2`` (a
                 support not settled) the softmax in float64 proximal
                 Newton's steps over its coupled classes
                 (``coupled_newton``, the model's matrix formed on
                 working sets of (feature, class) coordinates; its point
                 kept on the same terms): iris's, wine's and digits'
                 softmax fits 1e-7 to 9e-2 off the optimum at the default
                 ``tol``, 1e-10 or less with them; where its whole model
                 is affordable such a FISTA leaves the last
                 ``COUPLED_RESERVE`` of ``max_iter`` to those steps, which
                 take on a FISTA that does not converge in the rest
===============  =======================================================

A penalty with ``positive`` (the weights held non-negative) is not smooth:
the rows of the quadratic, Newton and Cholesky methods do not hold;
feature-sign search walks no further than a coefficient's zero, dual
Newton's threshold is one-sided, proximal Newton's model solves and the
first-order methods' proxes clip there.

A method named explicitly that cannot solve the case raises a ValueError
that says what it needs. The first-order methods take ``step``:
``"fista"`` without one steps in the datafit's metric, :math:`1/L` where
the curvature is constant (the squared error) or not measured (Huber's),
else with a line search started at the curvature along the first gradient
(the log losses, Poisson);
``"backtracking"`` (Armijo) starts from ``step``; ``"gradient"`` keeps it
constant (the textbook iteration, Euclidean). ``"sgd"``, mini-batch
stochastic gradient, stops on a plateau rather than at ``tol`` and is not
part of the claims the table makes about ``tol``.

Imports only numpy (through the solvers) and the package's ``linalg`` (whether a
Hessian pass runs on threads) and thread pool (BLAS held on one thread while a
datafit's passes run on the package's threads).
"""

from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from .._parallel import blas_on_one_thread
from .._products import _dense_threads
from ..penalties import descent_magnitude
from ._coupled import MODEL_FLOPS, coupled_newton
from ._dual_newton import dual_newton
from ._first_order import fista, proximal_gradient, stochastic_gradient
from ._newton import lbfgs, newton_cg, newton_cholesky
from ._prox_newton import prox_newton
from ._quadratic import conjugate_gradient, feature_sign, kernel_cholesky
from ._result import OptimizeResult, _squared_floor
from ._support import support_newton

__all__ = [
    "AUTO", "METHODS", "Case", "methods_for", "minimize", "screening_pays",
    "unmet_needs",
]  # fmt: skip

# feature-sign search solves one system of the active set's size per step
# (a few steps, its features entering in batches; from 160 features on from
# one Cholesky factor that the steps update), up to this many features:
# against FISTA on the Gram matrix of 600 and 900 features (lasso at 0.1 to
# 0.001 alpha_max, tol=1e-6, the matrix's formation included) iid columns
# 0.65-1.13x the time, Toeplitz 0.9 columns 0.43-0.89x (FISTA 245-357
# iterations), near-duplicate pairs 0.09-0.91x (FISTA 2,800-3,700
# iterations, 1e-7 above the optimum): the Gram matrix a path or the user
# gives goes up to 1,000 features
FEATURE_SIGN_MAX_FEATURES = 1000
# on the data, an L1 term on fewer rows than features: feature-sign search
# on the rows' factor (a LowRank Gram matrix, never formed; Woodbury's
# solves for an active set larger than twice the rows) up to this many rows.
# Measured against proximal Newton (whose working-set models form their
# Gram blocks at each iteration, and over 500 coordinates crawl in
# sweeps): 100 x 2,000 elastic nets with 600-900 non-zeros 0.3-0.65 s ->
# 17-42 ms, 100 x 3,000 at a tenth of the penalty 2.5x quicker; even at
# 300 rows; at 500 rows slower on half the problems (the searches' solves
# of 500-750 features)
FEATURE_SIGN_MAX_ROWS = 300
# the rows' factor is a centered float64 copy of X: at most this many entries
# (256 MB; 300 rows of 110,000 features), beyond which proximal Newton, which
# copies no more than its working sets' columns
FACTOR_MAX_ENTRIES = 2**25
# the elastic net on wide dense data (an L2 term, fewer rows than features):
# semismooth Newton on the dual, whose systems are of the rows' size however
# many coefficients are non-zero, up to this many rows. Measured against the
# primal methods (feature-sign search on the factor, proximal Newton), whose
# solves grow with the non-zero coefficients, on 36 problems of 100-1,000
# rows: 1.0-37x quicker (500 x 2,000, 1,842 non-zeros: 326 -> 20 ms;
# 1,000 x 5,000, 4,597: 5.0 s -> 135 ms), but for two sparse solutions at
# l1_ratio 0.9 (1.2x and 1.7x slower); beyond, its m^3 solves and m^2 |A|
# systems cost as much as the primal methods' (1,500 x 3,000: 0.6-1.7x)
DUAL_NEWTON_MAX_ROWS = 1000
# ... where the L2 term is at least this share of the penalty (l1_ratio at
# most 0.9): near the lasso its steps are many (13-55 at 500 x 2,000,
# l1_ratio 0.99; 100-170 on 200 x 1,000 columns of scales 0.01-100, where
# feature-sign search is 2.4x quicker) and the primal methods' active sets
# small
DUAL_NEWTON_MIN_L2_SHARE = 0.1
# ... and where it is at least this fraction of the largest column's
# curvature (the datafit's metric): its systems' condition numbers are
# about 1 + curvature / lambda_2, and a ridge below it is no ridge in the
# data's units (columns scaled by 1e20 with alpha from alpha_max: the
# search stalled, where feature-sign search is exact; columns of scales
# 0.01-100 at lambda_2 3e-5 of the largest curvature: 1.7x slower than
# feature-sign search, at 3e-4 and above quicker)
DUAL_NEWTON_MIN_L2_SCALE = 1e-4
# ... and, from a cold start, where the support it is likely to find is
# large beside the rows: the features that violate at zero times the L2
# share at least this fraction of the rows' rank; below it, proximal
# Newton's working sets, which touch the violators' columns alone, where
# dual Newton copies and passes over every column at each step (measured
# on 90 wide elastic nets, 200-800 x 1,000-2,000, iid, Toeplitz 0.8 and
# scaled columns, l1_ratio 0.1-0.9 at 0.01-0.3 alpha_max: proximal Newton
# 0.5-0.8x of dual Newton's time where the support was under a third of
# the rows, dual Newton 0.13-0.6x where it was over two thirds; the rule
# at 0.4 took 0.82x of dual Newton's time in the geometric mean, at most
# 1.38x, on 200-300 rows where both take 3-6 ms) ...
DUAL_NEWTON_MIN_SUPPORT = 0.4
# ... from this rank of the rows on: on fewer, dual Newton's systems are
# cheap and the two methods' times within 0.6-1.7x of each other either way
# (held out, 64 elastic nets of 250-700 x 800-3,000, iid, Toeplitz 0.5,
# scaled columns with offsets, block-correlated: at 250 rows the rule took
# 0.83-1.68x of dual Newton's time; from 400 rows 0.59-1.11x)
DUAL_NEWTON_SUPPORT_MIN_ROWS = 300
# a quadratic on the Gram matrix of at most this many rows (features times
# targets: one block per target) is solved by one Cholesky solve, exact (24 ms
# for 1,001 rows, as many as 25-40 products of conjugate gradient with the
# Gram matrix, whose default tol left ridge coefficients 0.1-1% off on
# correlated columns, and without a penalty another minimizer on collinear
# ones: the least norm of the standardized coefficients, not the pivoted
# factor's least-norm one)
GRAM_CHOLESKY_MAX_FEATURES = 1000
# a quadratic on wide data of at most this many rows is solved in its kernel
# form, exact: forming the rows' kernel costs m^2 d / 2 flops in matrix
# products (measured, about m / 40 memory-bound passes of conjugate gradient:
# 25 at 1,000 rows), its factor m^3 / 3
KERNEL_MAX_ROWS = 1000
# Newton-CG takes the formed Hessian's steps (n d^2 flops in one matrix
# product, about d / 16 of its memory-bound Hessian-vector products) on at
# most this many features
NEWTON_CHOLESKY_MAX_FEATURES = 200
# from this many features on it keeps the last Hessian's factor to
# precondition the next steps (below, forming a Hessian costs about a
# product: each direct step forms its own)
NEWTON_REUSE_MIN_FEATURES = 64
# up to these n d^2 flops forming the Hessian costs at most about two
# Hessian-vector products (2.8 at 2,000 x 30): Newton-CG takes the formed
# Hessian's steps from its first iteration
SMALL_HESSIAN_FLOPS = 1_000_000
# FISTA's step past tol (Newton's steps on its support) takes at most as many
# Hessian-vector products as FISTA took iterations, and at least this many
SUPPORT_MIN_PRODUCTS = 10
# a softmax's FISTA with an L1 term leaves this many of max_iter (at most a
# quarter) to the coupled steps, where its whole model is affordable: where
# it does not converge in the rest (16 of 38 multinomial fits surveyed ran
# out of the default 100, 1e-4 to 2e-2 off), they take it on from there (2
# to 8 iterations to the optimum where FISTA converges)
COUPLED_RESERVE = 10
# a softmax's classes with an L1 term whose whole model (every feature and
# class: n ((d + 1) k)^2 flops) costs at most this take proximal Newton over
# the coupled classes from the start, on to tol**2: 4-17 iterations where
# FISTA took 10-95 (then its steps past tol). Measured on iris, wine and
# make_classification (200-2,000 x 8-50 in 3-8 classes, scaled columns with
# offsets, l1_ratio 0.5-1, C 0.01-100), against FISTA's fits at the default
# tol: up to 4e6 flops 0.31-1.02x of the time (0.64x in the geometric mean
# of 79), at the optimum to rounding where FISTA stopped up to 1e-5 off;
# from 6e6 to 6e7 the dense supports of a weak penalty (C 10-100) took
# 1.04-1.9x, their models (n m^2) dearer than FISTA's 30-70 passes
COUPLED_MAX_FLOPS = 4e6


@dataclass(frozen=True)
class Case:
    r"""What the table reads of a problem.

    Attributes
    ----------
    quadratic : bool
        The loss is a quadratic in the linear predictor (``loss.quadratic``).
    smooth : bool
        The penalty has no L1 term and no sign constraint (``positive``).
    newton : bool
        The loss has a continuous second derivative (``loss.newton``).
    semismooth : bool
        The loss's derivative is piecewise linear, its second derivative a
        step function (``loss.semismooth``: Huber's, the epsilon-insensitive
        one's).
    lipschitz : bool
        The loss's gradient has a global Lipschitz constant (``loss.lipschitz``).
    gram : bool
        The datafit works on the Gram matrix (``datafit.gram_form()``).
    sparse : bool
        ``X`` is a sparse matrix.
    chunked : bool
        The rows come in chunks (passes only: no row or column access).
    n_targets, n_features : int
    n_samples : int or None
        Rows of the data (None on the Gram matrix).
    row_rank : int or None
        A bound on the rank of the centered data from its rows (the
        datafit's ``row_rank``: rows of a non-zero weight, less one where
        centered; None on the Gram matrix).
    kernel : bool
        The datafit gives the squared error's kernel form (``kernel_form``:
        the data in memory) and it pays (``kernel_pays``: dense data, or
        sparse data dense enough).
    l2_share : float
        The L2 term's share of the penalty, :math:`\lambda_2 / (\lambda_1 +
        \lambda_2)` (``1 - l1_ratio``; 0 without a penalty).
    l2_scale : float or None
        The L2 term in the data's units, :math:`\lambda_2 / \max_j D_j` (the
        datafit's metric: each column's curvature), for an elastic net of the
        squared error on dense data in memory (else None): how much of a
        ridge the L2 term is.
    violators : int or None
        From a cold start (``theta0``'s coefficients zero) whose gradient the
        caller gave (``start``): the most features, over the targets, whose
        gradient there passes the L1 threshold (the descent magnitude of
        :func:`~sklearn_foundations.penalties.descent_magnitude` above
        :math:`\alpha\rho`): a gauge of the support a fit will find (not a
        bound: features can enter as others do); None otherwise (set by
        :func:`minimize` for dual Newton's cases alone).
    coupled : bool
        Several outputs of a loss that couples them (``loss.shift_invariant``:
        a softmax's classes, whose Hessian is not block-diagonal).
    float64 : bool
        The datafit computes in float64 (its ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import QuadraticDatafit
    >>> from sklearn_foundations.optimize import Case
    >>> from sklearn_foundations.penalties import L1
    >>> f = QuadraticDatafit(np.eye(2), np.ones((2, 1)), None, 0.0, fit_intercept=False)
    >>> case = Case.of(f, L1(0.1))
    >>> case.quadratic, case.smooth, case.gram
    (True, False, True)
    """

    quadratic: bool
    smooth: bool
    newton: bool
    lipschitz: bool
    gram: bool
    sparse: bool
    chunked: bool
    n_targets: int
    n_features: int
    n_samples: int | None = None
    row_rank: int | None = None
    apart: bool = False
    kernel: bool = False
    l2_share: float = 0.0
    l2_scale: float | None = None
    semismooth: bool = False
    violators: int | None = None
    coupled: bool = False
    float64: bool = True

    @classmethod
    def of(cls, datafit, penalty):
        loss = datafit.loss
        return cls(
            quadratic=bool(loss.quadratic),
            smooth=bool(penalty.smooth),
            newton=bool(loss.newton),
            lipschitz=loss.lipschitz is not None,
            gram=datafit.gram_form() is not None,
            sparse=bool(datafit.sparse),
            chunked=bool(datafit.chunked),
            n_targets=datafit.n_targets,
            n_features=datafit.n_features,
            n_samples=datafit.n_samples,
            row_rank=datafit.row_rank,
            apart=not loss.shift_invariant and hasattr(datafit, "target"),
            kernel=bool(loss.quadratic)
            and bool(getattr(datafit, "kernel_pays", False)),
            l2_share=_l2_share(penalty),
            l2_scale=_l2_scale(datafit, penalty),
            semismooth=bool(getattr(loss, "semismooth", False)),
            coupled=bool(loss.shift_invariant) and datafit.n_targets > 1,
            float64=np.dtype(getattr(datafit, "dtype", np.float64)) == np.float64,
        )


# what a method needs: a test of the case, and how to say it in an error
NEEDS = {
    "quadratic": (
        lambda c: c.quadratic and c.smooth,
        "a quadratic objective: the squared error without an L1 term (l1_ratio=0) "
        "or a sign constraint (positive=False)",
    ),
    "smooth": (
        lambda c: c.smooth,
        "a smooth penalty: no L1 term (l1_ratio=0) and no sign constraint "
        "(positive=False)",
    ),
    "hessian": (
        lambda c: c.newton or c.semismooth,
        "a loss with a second derivative (continuous, or a step function: "
        "Huber's, the epsilon-insensitive one's)",
    ),
    "targets apart": (
        lambda c: c.n_targets == 1 or c.apart,
        "one target (or two classes), or several that the loss treats apart (not "
        "the softmax's classes)",
    ),
    "gram": (
        lambda c: c.gram or (c.kernel and not c.sparse and not c.chunked),
        "the Gram matrix (the squared error with precompute=True or 'auto') "
        "or the squared error on dense data in memory",
    ),
    "ridge": (
        lambda c: c.l2_share > 0,
        "an L2 term (alpha * (1 - l1_ratio) > 0: l1_ratio < 1)",
    ),
    "data": (lambda c: not c.gram, "the data, not the Gram matrix (precompute=False)"),
    "memory": (
        lambda c: not c.chunked,
        "the data in memory, not in chunks (it reads rows or columns)",
    ),
    "kernel": (
        lambda c: c.kernel and not c.chunked and (c.n_samples or 0) <= KERNEL_MAX_ROWS,
        "the squared error's kernel form: the data in memory, at most "
        f"{KERNEL_MAX_ROWS} rows (its matrix is rows x rows), dense or sparse "
        "enough to pay (a datafit's kernel_pays)",
    ),
    "newton": (
        lambda c: c.newton,
        "a loss with a continuous second derivative (not Huber's or the "
        "epsilon-insensitive one)",
    ),
    "lipschitz": (
        lambda c: c.lipschitz,
        "a step (step=) for a loss without a Lipschitz constant (Poisson)",
    ),
}


@dataclass(frozen=True)
class Method:
    """One row of :data:`METHODS`: a name, the solver, what it needs."""

    name: str
    solver: object
    needs: tuple
    summary: str


METHODS = {
    m.name: m
    for m in (
        Method("cg", conjugate_gradient, ("quadratic",),
               "preconditioned conjugate gradient, exact steps"),
        Method("kernel-cholesky", kernel_cholesky, ("quadratic", "data", "kernel"),
               "one Cholesky solve of the rows' kernel matrix, exact"),
        Method("cgls", conjugate_gradient, ("quadratic",),
               "conjugate gradient without the columns' scaling, in the row "
               "space of X"),
        Method("feature-sign", feature_sign, ("gram",),
               "feature-sign search, an exact active-set method"),
        Method("dual-newton", dual_newton, ("gram", "data", "ridge"),
               "semismooth Newton on the elastic net's dual, exact"),
        Method("newton-cholesky", newton_cholesky, ("smooth", "hessian"),
               "Newton's method, a Cholesky solve of the formed Hessian"),
        Method("newton-cg", newton_cg, ("smooth", "hessian"),
               "truncated Newton with Hessian-vector products"),
        Method("lbfgs", lbfgs, ("smooth",), "limited-memory BFGS"),
        Method("prox-newton", prox_newton, ("targets apart", "hessian", "data"),
               "proximal Newton with working sets"),
        Method("coupled-newton", coupled_newton, ("newton", "data", "memory"),
               "proximal Newton over the outputs' coupled coordinates"),
        Method("fista", fista, (), "accelerated proximal gradient"),
        Method("backtracking", proximal_gradient, (),
               "proximal gradient with Armijo backtracking"),
        Method("gradient", proximal_gradient, ("lipschitz",),
               "proximal gradient with a constant step"),
        Method("sgd", stochastic_gradient, ("data", "memory"),
               "mini-batch proximal stochastic gradient"),
    )
}  # fmt: skip


def _l2_scale(datafit, penalty):
    l1, l2 = float(penalty.l1), float(penalty.l2)
    loss = datafit.loss
    if not (l1 > 0 and l2 > 0 and loss.quadratic) or datafit.sparse or datafit.chunked:
        return None
    if datafit.gram_form() is not None or not hasattr(datafit, "metric"):
        return None
    D = datafit.metric()[: datafit.n_features]
    return l2 / float(D.max()) if len(D) else None


def _l2_share(penalty):
    l1, l2 = float(penalty.l1), float(penalty.l2)
    return l2 / (l1 + l2) if l2 > 0 else 0.0


# the methods that take ``start``, the datafit's ``(Z, value, gradient)`` at
# ``theta0`` where the caller has it (no pass to begin; the value may be None,
# computed where needed); to the others it is not passed
TAKES_START = frozenset({
    "cg", "cgls", "dual-newton", "feature-sign", "newton-cg", "newton-cholesky",
    "prox-newton",
})  # fmt: skip
# the method that takes ``system``, its own Newton systems from a fit on the
# same datafit (a path's last point); to the others it is not passed
TAKES_SYSTEM = frozenset({"dual-newton"})
# the methods that take ``finish``: whether, converged at ``tol``, they go on,
# feature-sign search to the exact answer, the Newton methods one step (which
# about squares the error; a path's fits pass False: their points compare
# alphas)
TAKES_FINISH = frozenset({
    "feature-sign", "newton-cg", "newton-cholesky", "prox-newton", "coupled-newton",
    "fista",
})  # fmt: skip
# under "auto", a method whose point falls short of ``tol`` hands it on: a
# stalled feature-sign search to FISTA, a kernel solve that rounding left
# short to conjugate gradient in the row space (its ``state`` the start)
HAND_ON = {
    "feature-sign": "fista", "dual-newton": "fista", "kernel-cholesky": "cgls",
    "coupled-newton": "fista",
}  # fmt: skip
# ... and a semismooth loss's Newton steps that stop short (a step function
# of a second derivative that is zero on most residuals, and no L2 term to
# make the Hessian definite) to FISTA
SEMISMOOTH_HAND_ON = {"newton-cg": "fista", "prox-newton": "fista"}

# the methods whose cost is the active set's systems (of the rows' size),
# not a pass over the columns: from UNSCREENED_MIN_ROWS rows a path fits
# them on every column, where its screening would form a new datafit at
# each point where the kept set grows, and their systems carry to the next
# point only on the same datafit (5-fold paths on 500 x 2,000: 196 of 284
# rows' products formed anew; unscreened 1.1-1.5x quicker); on fewer rows
# the systems cost less than the passes over every column (100 x 2,000:
# unscreened 1.1-1.3x slower)
UNSCREENED = frozenset({"dual-newton"})
UNSCREENED_MIN_ROWS = 250

# the methods whose work is their own matrix products (on the rows' factor or
# the Gram matrix), not the datafit's passes: BLAS keeps its threads for them
# (held on one, a 1,000 x 2,452 block's product took 2.5x as long)
OWN_PRODUCTS = frozenset({"feature-sign", "dual-newton"})

# method="auto": the first row whose test holds
AUTO = (
    ("newton-cholesky",
     lambda c: c.quadratic and c.smooth and c.gram
     and c.n_targets * c.n_features <= GRAM_CHOLESKY_MAX_FEATURES),
    ("kernel-cholesky",
     lambda c: NEEDS["kernel"][0](c) and c.quadratic and c.smooth
     and c.row_rank is not None and c.row_rank < c.n_features),
    ("cgls",
     lambda c: c.quadratic and c.smooth and c.row_rank is not None
     and c.row_rank < c.n_features),
    ("cg", lambda c: c.quadratic and c.smooth),
    ("feature-sign",
     lambda c: c.gram and c.n_features <= FEATURE_SIGN_MAX_FEATURES),
    ("dual-newton", lambda c: _dual_newton_case(c) and not _few_violators(c)),
    ("prox-newton", lambda c: _dual_newton_case(c) and _one_target(c)),
    ("feature-sign",
     lambda c: not c.gram and NEEDS["gram"][0](c) and c.row_rank is not None
     and c.row_rank < c.n_features and (c.n_samples or 0) <= FEATURE_SIGN_MAX_ROWS
     and (c.n_samples or 0) * c.n_features <= FACTOR_MAX_ENTRIES),
    ("newton-cg", lambda c: c.smooth and (c.newton or _semismooth_rows(c))),
    ("prox-newton",
     lambda c: _one_target(c) and not c.gram and (c.newton or _semismooth_rows(c))),
    ("coupled-newton", lambda c: _small_coupled(c)),
    ("fista", lambda c: True),
)  # fmt: skip


def methods_for(datafit, penalty, stochastic=False):
    """Names of the methods that solve the case of ``datafit`` and ``penalty``
    to ``tol`` (``"sgd"`` too with ``stochastic``), in the table's order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import BinomialLogLoss
    >>> from sklearn_foundations.optimize import methods_for
    >>> from sklearn_foundations.penalties import L1
    >>> X, y, s = np.ones((4, 2)), np.ones((4, 1)), np.full(4, 0.25)
    >>> methods_for(LinearDatafit(BinomialLogLoss(), X, y, s), L1(0.1))
    ['prox-newton', 'coupled-newton', 'fista', 'backtracking', 'gradient']
    """
    case = Case.of(datafit, penalty)
    return [
        name
        for name, method in METHODS.items()
        if (stochastic or name != "sgd") and not _missing(method, case)
    ]


def screening_pays(datafit, penalty, method="auto", n_kept=None):
    """Whether a regularization path fits ``method`` (``"auto"``: the
    table's) on the ``n_kept`` columns that its screening keeps rather than
    on every column: not where the method for them (the case with that many
    columns) is one of :data:`UNSCREENED` and the data have at least
    ``UNSCREENED_MIN_ROWS`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> from sklearn_foundations.optimize import screening_pays
    >>> from sklearn_foundations.penalties import ElasticNet
    >>> rng = np.random.default_rng(0)
    >>> X, s = rng.standard_normal((300, 900)), np.full(300, 1 / 300)
    >>> f = LinearDatafit(HalfSquaredError(), X, np.ones((300, 1)), s)
    >>> screening_pays(f, ElasticNet(0.1, 0.5), n_kept=400)  # still wide
    False
    >>> screening_pays(f, ElasticNet(0.1, 0.5), n_kept=100)  # no longer
    True
    """
    case = Case.of(datafit, penalty)
    if n_kept is not None and n_kept < case.n_features:
        rank = case.row_rank if case.row_rank is None else min(case.row_rank, n_kept)
        case = replace(case, n_features=n_kept, row_rank=rank)
    name = _auto(case) if method == "auto" else method
    return name not in UNSCREENED or (case.n_samples or 0) < UNSCREENED_MIN_ROWS


def _missing(method, case):
    """What ``method`` needs that ``case`` lacks, in words."""
    return [NEEDS[need][1] for need in method.needs if not NEEDS[need][0](case)]


def unmet_needs(datafit, penalty, method, step=None):
    """What the named ``method`` needs that the case lacks, in words (empty
    when it can solve it; "auto" always can). A ``step`` stands in for the
    Lipschitz constant of a constant-step method.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import MultinomialLogLoss
    >>> from sklearn_foundations.optimize import unmet_needs
    >>> from sklearn_foundations.penalties import L1
    >>> f = LinearDatafit(MultinomialLogLoss(), np.ones((3, 2)), np.eye(3), np.ones(3) / 3)
    >>> unmet_needs(f, L1(0.1), "prox-newton")
    ["one target (or two classes), or several that the loss treats apart (not the softmax's classes)"]
    """
    if method == "auto":
        return []
    if method not in METHODS:
        raise ValueError(
            f"Unknown method={method!r}; use 'auto' or one of {list(METHODS)}."
        )
    missing = _missing(METHODS[method], Case.of(datafit, penalty))
    lipschitz = NEEDS["lipschitz"][1]
    return [m for m in missing if step is None or m != lipschitz]


def _wide(c):
    """Fewer rows than features (the centered rows' rank) and a factor
    (a float64 copy of the rows) of at most ``FACTOR_MAX_ENTRIES``."""
    return (
        c.row_rank is not None and c.row_rank < c.n_features
        and (c.n_samples or 0) * c.n_features <= FACTOR_MAX_ENTRIES
    )  # fmt: skip


def _dual_newton_case(c):
    """The elastic net of the squared error on wide dense data of at most
    ``DUAL_NEWTON_MAX_ROWS`` rows, whose L2 term is a ridge in the data's
    units: the cases of dual Newton."""
    return (
        not c.gram and NEEDS["gram"][0](c) and not c.smooth and _wide(c)
        and (c.n_samples or 0) <= DUAL_NEWTON_MAX_ROWS
        and c.l2_share >= DUAL_NEWTON_MIN_L2_SHARE - 1e-12  # 1 - 0.9: rounded
        and (c.l2_scale or 0.0) >= DUAL_NEWTON_MIN_L2_SCALE
    )  # fmt: skip


def _few_violators(c):
    """A cold start's violators, weighed by the L2 share, below
    ``DUAL_NEWTON_MIN_SUPPORT`` of the rows' rank, of at least
    ``DUAL_NEWTON_SUPPORT_MIN_ROWS`` (a small support: proximal Newton's
    working sets), where proximal Newton takes the case."""
    rank = c.row_rank or 0
    if c.violators is None or not _one_target(c) or rank < DUAL_NEWTON_SUPPORT_MIN_ROWS:
        return False
    return c.violators * c.l2_share < DUAL_NEWTON_MIN_SUPPORT * rank


def _small_coupled(c):
    """The coupled steps' case (:func:`_coupled_steps_apply`) whose whole
    model costs at most ``COUPLED_MAX_FLOPS``: proximal Newton over the
    coupled classes from the start."""
    return _coupled_steps_apply(c) and 0 < _whole_model_flops(c) <= COUPLED_MAX_FLOPS


def _whole_model_flops(c):
    """The flops of the coupled model over every feature and output (and
    the intercepts): :math:`n ((d + 1) k)^2`; 0 on the Gram matrix."""
    return (c.n_samples or 0) * float((c.n_features + 1) * c.n_targets) ** 2


def _one_target(c):
    """One target, or several that the loss treats apart: proximal Newton's
    case."""
    return c.n_targets == 1 or c.apart


def _violators(datafit, penalty, theta0, start):
    """:attr:`Case.violators`: from a cold start (its coefficients zero, the
    intercept as it may be) with its gradient given."""
    d = datafit.n_features
    if start is None or start[2] is None or theta0[:d].any() or not penalty.l1 > 0:
        return None
    grad = np.asarray(start[2])[:d]
    magnitude = descent_magnitude(grad, penalty.positive)
    return int(np.count_nonzero(magnitude > penalty.l1, axis=0).max(initial=0))


def _auto(case):
    return next(name for name, holds in AUTO if holds(case))


def minimize(
    datafit, penalty, theta0, *, method="auto", tol=1e-4, max_iter=1000,
    callback=None, verbose=0, path=False, **options,
):  # fmt: skip
    r"""Minimize :math:`F(\theta) = f(\theta) + g(\theta)` with the method the
    table gives for the case, or the one named.

    Parameters
    ----------
    datafit : datafit of :mod:`sklearn_foundations.datafits`
        The smooth part :math:`f`, reached through its documented interface.
    penalty : penalty of :mod:`sklearn_foundations.penalties`
        The part :math:`g`, with its ``prox``.
    theta0 : ndarray of shape (n_features [+ 1], n_targets)
        The start.
    method : str, default="auto"
        "auto" (the table :data:`AUTO`) or a name of :data:`METHODS`.
    tol : float, default=1e-4
        Stop when :math:`\max_j |G_j| / \sqrt{D_j} \le` ``tol`` (the gradient
        mapping in the datafit's metric).
    max_iter : int, default=1000
    callback : callable or None, default=None
        Called with an :class:`~sklearn_foundations.optimize.IterationState`
        after every iteration; returning True stops the solver.
    verbose : int, default=0
        Print one line per iteration.
    path : bool, default=False
        The first of a sequence of nearby fits, each started from the last
        with its result's ``state`` and ``hessian`` (a regularization
        path): where the table gives Newton-CG the formed Hessian's steps,
        they begin at the first iteration, the Hessian serving the fits
        that follow.
    **options
        Passed to the solver: ``step`` for the first-order methods,
        ``random_state`` for the Lanczos start behind :math:`1/L`, the
        schedule and batch options of ``"sgd"``; ``start``, the datafit's
        ``(Z, value, gradient)`` at ``theta0``, to the methods of
        ``TAKES_START`` (the others evaluate it themselves); ``system``, a
        last result's, to those of ``TAKES_SYSTEM``; ``finish`` (whether an
        exact method goes on past ``tol`` to the exact answer) to those of
        ``TAKES_FINISH``.

    Returns
    -------
    result : OptimizeResult
        With ``result.method`` the method that ran. Under "auto" a
        feature-sign search, dual Newton or the coupled steps that stop
        short (no step lowers the objective in floating point) hand their
        point to ``"fista"``, a kernel solve that rounding left short of
        ``tol`` to ``"cgls"`` (:data:`HAND_ON`).

    Raises
    ------
    ValueError
        For an unknown method, or one that cannot solve the case.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_foundations.datafits import LinearDatafit
    >>> from sklearn_foundations.losses import HalfSquaredError
    >>> from sklearn_foundations.optimize import minimize
    >>> from sklearn_foundations.penalties import L1, L2
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> f = LinearDatafit(HalfSquaredError(), X, X @ [[1.0], [2.0]], np.full(3, 1 / 3))
    >>> res = minimize(f, L2(0.0), np.zeros((2, 1)), tol=1e-12)
    >>> res.method, res.coef.ravel().round(10)
    ('cg', array([1., 2.]))
    >>> minimize(f, L1(0.1), np.zeros((2, 1)), method="cg")
    Traceback (most recent call last):
    ...
    ValueError: method='cg' needs a quadratic objective: the squared error without an L1 term (l1_ratio=0) or a sign constraint (positive=False); use method='auto' or one of ['feature-sign', 'prox-newton', 'coupled-newton', 'fista', 'backtracking', 'gradient'].
    """
    case = Case.of(datafit, penalty)
    if method == "auto" and _dual_newton_case(case):  # where the count decides
        violators = _violators(datafit, penalty, theta0, options.get("start"))
        case = replace(case, violators=violators)
    missing = unmet_needs(datafit, penalty, method, options.get("step"))
    name = _auto(case) if method == "auto" else method
    if missing:
        raise ValueError(
            f"method={name!r} needs {' and '.join(missing)}; use method='auto' or "
            f"one of {methods_for(datafit, penalty)}."
        )
    common = dict(max_iter=max_iter, tol=tol, callback=callback, verbose=verbose)
    options = _taken(name, options)
    if path and name == "newton-cg" and _direct_steps(case):
        options = {"direct_after": 0, **options}
    # the datafit's passes on the package's threads: BLAS's idle ones, woken
    # by a short product in between, would spin on the same cores (a datafit
    # of the user's may not say)
    own = getattr(datafit, "own_threads", False) and name not in OWN_PRODUCTS
    with blas_on_one_thread() if own else nullcontext():
        result = _RUN[name](datafit, penalty, theta0, case, common, options)
    handed = HAND_ON.get(name) or (case.semismooth and SEMISMOOTH_HAND_ON.get(name))
    if method == "auto" and handed and not (result.converged or result.stopped):
        name = handed  # from where it stopped
        options = _taken(name, options)
        if name in TAKES_START and result.state is not None:
            options = {**options, "start": result.state}
        result = _RUN[name](datafit, penalty, result.coef, case, common, options)
    result.method = name
    return result


def _fista(datafit, penalty, theta0, case, common, options):
    metric = datafit.metric()
    center = (
        penalty.center if datafit.loss.shift_invariant and case.n_targets > 1 else None
    )
    step = options.get("step")
    line_search = step is None and case.newton and not case.quadratic
    if step is None:
        step = (
            _curvature_step(datafit, theta0, metric, options)
            if line_search
            else 1.0 / _lipschitz(datafit, metric, options)
        )
    finish = options.get("finish", True) and _support_steps_apply(
        datafit, penalty, case
    )
    coupled = finish and _coupled_steps_apply(case)
    reserve = _coupled_reserve(case, common["max_iter"]) if coupled else 0
    result = fista(
        datafit, penalty, theta0, step=step, metric=metric, center=center,
        line_search=line_search, **{**common, "max_iter": common["max_iter"] - reserve},
    )  # fmt: skip
    if finish and (result.converged or not reserve):
        result = _past_tol_on_support(datafit, penalty, result, common, coupled)
    elif reserve and not result.stopped and result.objective:
        stepped = coupled_newton(
            datafit, penalty, result.coef, tol=common["tol"], max_iter=reserve,
            callback=common["callback"], verbose=common["verbose"],
            iteration0=result.n_iter,
        )  # fmt: skip
        result = _kept(result, stepped, within_tol=False)
    return result


def _coupled(datafit, penalty, theta0, case, common, options):
    """Proximal Newton over the coupled outputs (:func:`coupled_newton`),
    whose stopping test is the square of the ``tol`` it is given: given
    ``tol**2`` with ``finish`` (a single fit: on to ``tol**4`` or the
    objective's rounding, one or two Newton steps past ``tol**2``), ``tol``
    without (a path's points); converged at ``tol``."""
    tol = common["tol"]
    target = tol**2 if options.get("finish", True) else tol
    result = coupled_newton(
        datafit, penalty, theta0, tol=target, max_iter=common["max_iter"],
        callback=common["callback"], verbose=common["verbose"],
    )  # fmt: skip
    return replace(result, converged=result.optimality <= tol)


def _coupled_reserve(case, max_iter):
    """The iterations of ``max_iter`` that a softmax's FISTA leaves to the
    coupled steps (:func:`coupled_newton`) where it does not converge in the
    rest: ``COUPLED_RESERVE``, at most a quarter, where the whole model
    (every feature and class) costs at most ``MODEL_FLOPS`` (then every
    model does); none otherwise."""
    if not 0 < _whole_model_flops(case) <= MODEL_FLOPS:
        return 0
    return min(COUPLED_RESERVE, max_iter // 4)


def _support_steps_apply(datafit, penalty, case):
    """Whether FISTA's fit takes Newton's steps on its support past ``tol``
    (:func:`support_newton`): an L1 term (or a sign constraint), and a loss
    with a second derivative, a continuous one or a step function (the
    datafit's ``hessian_at``)."""
    return (
        not case.smooth and hasattr(datafit, "hessian_at")
        and (case.newton or case.semismooth or case.quadratic)
    )  # fmt: skip


def _coupled_steps_apply(case):
    """Whether FISTA's fit takes proximal Newton's steps over its coupled
    outputs past ``tol`` (:func:`coupled_newton`) where Newton's steps on
    its support stop short: an L1 term, several outputs of a loss that
    couples them (a softmax's classes, ``shift_invariant``; the model's
    matrix formed by ``model_hessian`` on a mask of coordinates), in
    memory, in float64 (float32's rounding of the probabilities leaves each
    row's shift, null for the softmax, a curvature and a slope of 1e-7,
    along which the steps run off: large float32 data keep Newton's steps
    on the support alone)."""
    return (
        case.coupled and not case.smooth and case.newton and not case.chunked
        and case.n_samples is not None and case.float64
    )  # fmt: skip


def _past_tol_on_support(datafit, penalty, result, common, coupled=False):
    r"""FISTA's converged ``result`` followed by Newton's steps on its
    support (:func:`support_newton`, at most as many Hessian-vector products
    as FISTA took iterations, ``SUPPORT_MIN_PRODUCTS`` at least): their
    point where it is within ``tol`` with a lower objective, else FISTA's.
    With ``coupled`` (:func:`_coupled_steps_apply`), where those steps stop
    short of their target, ``tol**2`` (a support not settled: the first
    wrong sign stops them), proximal Newton over the coupled outputs from
    the point kept (:func:`coupled_newton`), its point kept on the same
    terms; the callback's count goes on over every step taken."""
    if not result.converged or result.stopped or not result.objective:
        return result
    tol = common["tol"]
    budget = max(result.n_iter, SUPPORT_MIN_PRODUCTS)
    polished = support_newton(
        datafit, penalty, result.coef, tol=tol, max_products=budget,
        callback=common["callback"], verbose=common["verbose"],
        iteration0=result.n_iter,
    )  # fmt: skip
    kept = _kept(result, polished)
    if not coupled or kept.stopped or _at_floor(polished, tol, kept.objective[-1]):
        return kept
    stepped = coupled_newton(
        datafit, penalty, kept.coef, tol=tol, callback=common["callback"],
        verbose=common["verbose"], iteration0=result.n_iter + polished.n_iter,
    )  # fmt: skip
    return _kept(kept, stepped)


def _at_floor(polished, tol, objective):
    r"""Whether the steps past ``tol`` reached their target: an optimality
    of ``tol**2``, or the objective's rounding."""
    return polished.optimality <= _squared_floor(tol, objective, polished.coef.dtype)


def _kept(result, polished, within_tol=True):
    """FISTA's ``result`` with the steps that followed it (``polished``)
    where their point is within ``tol`` (with ``within_tol``: the steps
    past a converged FISTA's ``tol``; without, those in the iterations an
    unconverged one left them) at an objective no higher; else FISTA's
    point."""
    if not (
        (polished.converged or not within_tol) and polished.objective
        and polished.objective[-1] <= result.objective[-1]
    ):  # fmt: skip
        return replace(result, stopped=polished.stopped)
    return replace(
        result, coef=polished.coef, n_iter=result.n_iter + polished.n_iter,
        objective=result.objective + polished.objective, optimality=polished.optimality,
        converged=polished.converged, t=result.t + polished.n_iter,
        stopped=polished.stopped,
    )  # fmt: skip


def _curvature_step(datafit, theta, metric, options):
    r"""A first step :math:`1/c` from the curvature :math:`c = p^\top H p /
    p^\top g` along the gradient in the metric, :math:`p = D^{-1} g` (a line
    search adapts it from there; the global bound can be many times larger
    than the local curvature); the global bound where that curvature is 0."""
    Z = datafit.linear(theta)
    grad = datafit.gradient(theta, Z)
    p = grad / metric[:, None]
    curvature = float((p * datafit.hessian_product(Z, p)).sum())
    if curvature > 0:
        return float((grad * p).sum()) / curvature
    return 1.0 / _lipschitz(datafit, metric, options)


def _lipschitz(datafit, metric, options):
    """:math:`L` of the gradient in the metric (Lanczos), 1 where the
    loss declares no bound (a start for a line search)."""
    if datafit.loss.lipschitz is None:
        return 1.0
    L = datafit.lipschitz(random_state=options.get("random_state"), metric=metric)
    return max(L, 1e-12)


def _proximal_gradient(line_search):
    def run(datafit, penalty, theta0, case, common, options):
        step = options.get("step")
        metric = datafit.metric() if line_search else None
        if step is None:
            step = 1.0 / _lipschitz(datafit, metric, options)
        return proximal_gradient(
            datafit, penalty, theta0, step=step, metric=metric,
            line_search=line_search, **common,
        )  # fmt: skip

    return run


def _plain(solver):
    """A second-order or exact method: no step; the table's own options
    (``step``, ``random_state``) do not apply, the others go to ``solver``."""

    def run(datafit, penalty, theta0, case, common, options):
        own = {k: v for k, v in options.items() if k not in ("step", "random_state")}
        return solver(datafit, penalty, theta0, **common, **own)

    return run


def _newton_cg(datafit, penalty, theta0, case, common, options):
    """Newton-CG, with the formed Hessian's steps where it can be formed,
    once conjugate gradient has needed more products than forming it costs
    (``direct_after``) in one step, or four times that in the fit."""
    own = {k: v for k, v in options.items() if k not in ("step", "random_state")}
    if _direct_steps(case):
        d = case.n_features
        own.setdefault("direct_after", _hessian_cost(case.n_samples, d))
        own.setdefault("reuse", 2 if d >= NEWTON_REUSE_MIN_FEATURES else 0)
    return newton_cg(datafit, penalty, theta0, **common, **own)


def _taken(name, options):
    """``options`` less what method ``name`` does not take: ``start``
    (the others evaluate their start themselves), ``system`` and
    ``finish``."""
    takers = {"start": TAKES_START, "system": TAKES_SYSTEM, "finish": TAKES_FINISH}
    return {k: v for k, v in options.items() if name in takers.get(k, (name,))}


def _hessian_cost(n, d):
    """About how many Hessian-vector products forming the Hessian costs
    (``direct_after``), at least 4: :math:`d/16` (``n d^2`` flops in one
    matrix product against two memory-bound passes), half that where the
    pass runs on two threads (:func:`~sklearn_foundations.linalg.gram_matrix`
    splits the rows of a large one), at least 3 then. Measured at 100,000
    x 100: 4-5 products; conjugate gradient there needs 3-6 a step on
    correlated or unscaled features, and turning to the Hessian after 3
    rather than 6 took a quarter to a third less time. None at all (the
    formed Hessian's steps from the first iteration) on a small matrix, up
    to ``SMALL_HESSIAN_FLOPS``: there a product's cost is the interpreter's
    (30-45 us at 150 x 4 and 569 x 30, against 17 and 70 us for the
    Hessian), and conjugate gradient's steps are the dearer ones (chunked
    data give the census's row count: the steps of the same data in
    memory)."""
    if n and n * d * d <= SMALL_HESSIAN_FLOPS:
        return 0
    threads = _dense_threads(n, d) if n else 1
    return max(4, d // 16) if threads == 1 else max(3, d // (16 * threads))


def _semismooth_rows(case):
    r"""Whether the Newton rows take a semismooth loss (Huber's, the
    epsilon-insensitive one's): with an L2 term, on at least as many rows as
    features. Its Hessian counts the residuals on the quadratic pieces
    alone; the L2 term makes it definite, so that each step is a descent
    direction of bounded curvature and the search converges from anywhere.
    Without it the steps stalled where few residuals are on those pieces or
    the rows' rank is below the features' (a lasso on 45 rows of rank 15,
    30 features, where FISTA converged), and on wide data (300 x 800: Newton
    stopped at its start without an L2 term, took 3 s with an L1 term where
    FISTA took 60 ms). Measured on 2,000 x 50 correlated and unscaled
    columns, 100,000 x 100 rows of t-distributed noise: FISTA 1e-2 to 7e-2
    off at the default ``tol`` in 160-1,000 iterations, Newton exact in
    7-14."""
    return (
        case.semismooth and case.l2_share > 0
        and (case.n_samples or 0) >= case.n_features
    )  # fmt: skip


def _direct_steps(case):
    """Whether Newton-CG can take the formed Hessian's steps: one target,
    the data, at most ``NEWTON_CHOLESKY_MAX_FEATURES`` features."""
    return (
        case.n_targets == 1 and not case.gram
        and case.n_features <= NEWTON_CHOLESKY_MAX_FEATURES
    )  # fmt: skip


def _sgd(datafit, penalty, theta0, case, common, options):
    own = {k: v for k, v in options.items() if k not in ("step", "random_state")}
    return stochastic_gradient(datafit, penalty, theta0, **common, **own)


def _each_target(run):
    """``run``, a one-target method, on each target alone where there are
    several (``case.apart``: the datafit's ``target(t)``), the results
    stacked: the objective the sum of the targets', each at its start until
    its turn and at its end after it; the callback sees the whole ``theta``."""

    def runner(datafit, penalty, theta0, case, common, options):
        k = case.n_targets
        if k == 1:
            return run(datafit, penalty, theta0, case, common, options)
        parts = [datafit.target(t) for t in range(k)]
        start = options.get("start")  # each target's columns of it
        theta = np.array(theta0, dtype=np.result_type(theta0, 1.0))
        F = [_value(p, penalty, theta[:, [t]]) for t, p in enumerate(parts)]
        objective, results, outer = [], [], common["callback"]
        for t, part in enumerate(parts):

            def callback(state, t=t):  # the whole theta, the whole objective
                theta[:, t] = state.theta[:, 0]
                whole = sum(F[:t]) + state.objective + sum(F[t + 1 :])
                return outer(replace(state, theta=theta.copy(), objective=whole))

            own = {**common, "callback": callback if outer is not None else None}
            one = replace(case, n_targets=1)
            if start is not None:
                Z, _, grad = start
                options = {**options, "start": (Z[:, [t]], None, grad[:, [t]])}
            res = run(part, penalty, theta[:, [t]].copy(), one, own, options)
            objective += [sum(F[:t]) + f + sum(F[t + 1 :]) for f in res.objective]
            theta[:, t] = res.coef[:, 0]
            F[t] = res.objective[-1] if res.objective else F[t]
            results.append(res)
            if res.stopped:
                break
        return OptimizeResult(
            coef=theta, n_iter=sum(r.n_iter for r in results), objective=objective,
            converged=all(r.converged for r in results) and len(results) == k,
            step=results[-1].step, t=sum(r.n_iter for r in results) + 1,
            optimality=max(r.optimality for r in results),
            stopped=results[-1].stopped,
        )  # fmt: skip

    return runner


def _value(datafit, penalty, theta):
    return datafit.value(theta, datafit.linear(theta)) + penalty.value(theta)


_RUN = {
    "cg": _plain(conjugate_gradient),
    "kernel-cholesky": _plain(kernel_cholesky),
    "cgls": _plain(partial(conjugate_gradient, scaled=False)),
    "feature-sign": _plain(feature_sign),
    "dual-newton": _plain(dual_newton),
    "newton-cholesky": _plain(newton_cholesky),
    "newton-cg": _newton_cg,
    "lbfgs": _plain(lbfgs),
    "prox-newton": _each_target(_plain(prox_newton)),
    "coupled-newton": _coupled,
    "fista": _fista,
    "backtracking": _proximal_gradient(line_search=True),
    "gradient": _proximal_gradient(line_search=False),
    "sgd": _sgd,
}
