"""The peers of ``bench_peers.py``: each library's estimator fitted to our objective.

Every problem is stated in the package's convention: the mean loss plus
``alpha * (l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2)``, the
intercept not penalized. A peer that speaks another convention gets its
parameters converted here, and each conversion was checked against our optimum
to rounding (``bench_peers.py`` reports the suboptimality every fit reaches, so
a wrong one shows):

- scikit-learn, skglm, celer, daal4py: the same convention (``Ridge`` and
  ``LogisticRegression`` the sum: ``alpha * n`` and ``C = 1 / (alpha * n)``).
- glum: the same convention; ``gradient_tol`` is its tolerance.
- glmnet (python-glmnet): the logistic objective as ours. For the squared
  error glmnet standardizes ``y`` by its standard deviation ``s`` and scales
  the penalty with it, which leaves its L2 term divided by ``s``: ours is
  glmnet's ``alpha = l1_ratio / (l1_ratio + s (1 - l1_ratio))`` at
  ``lambda = alpha (l1_ratio + s (1 - l1_ratio))``. It takes a path; we pass
  ``[10 lambda, lambda]`` and read the last point.
- liblinear (liblinear-official): ``-s 6`` (L1) and ``-s 0`` (L2) with
  ``C = 1 / (alpha n)``, ``-B 1 -R`` for an unpenalized bias; the time
  includes building its problem from the CSR matrix, as every call pays it.
- cyanure: ``lambda_1 = alpha``, its tolerance a relative duality gap.
- snapml: ``regularizer = alpha n``; it penalizes its intercept (an extra
  column), so it stops short of our optimum on problems with an intercept: its
  rows show the accuracy it reaches.
- scikit-learn-intelex: its ``Ridge`` (direct) and ``LogisticRegression``;
  its Lasso and ElasticNet through daal4py.
"""

import importlib
import warnings

import numpy as np
import scipy.sparse as sp

TOLS = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12]


def available(module):
    """The module, or None when it does not import (a missing peer is skipped)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except Exception:  # an import that fails in any way: the peer is skipped
        return None


def version(dist):
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(dist)
    except PackageNotFoundError:
        return None


class Fit:
    """``make()`` builds an estimator; ``read(est)`` gives ``(coef, intercept)``
    in our shapes: ``(d,)`` and a float, or ``(k, d)`` and ``(k,)``."""

    def __init__(self, make, read=None):
        self.make, self.read = make, read or _read

    def fit(self, X, y):
        est = self.make()
        out = est.fit(X, y)
        self.coef_, self.intercept_ = self.read(out if out is not None else est)
        return self


def _read(est, transpose=False):
    """``(coef, intercept)`` of a fitted estimator in our shapes; ``transpose``
    for a multiclass ``coef_`` of shape (n_features, n_classes) (cyanure's)."""
    coef, b = np.asarray(est.coef_), np.ravel(np.asarray(est.intercept_, dtype=float))
    if transpose and coef.ndim == 2:
        coef = coef.T
    if coef.ndim == 2 and coef.shape[0] == 1:
        coef = coef[0]
    return coef, (b if coef.ndim == 2 else float(b[0]))


def _read_cyanure(est):
    return _read(est, transpose=True)


class Liblinear:
    """liblinear's binary logistic regression, bias unpenalized (``-B 1 -R``)."""

    def __init__(self, solver, C, tol):
        self.options = f"-s {solver} -c {C} -e {tol} -B 1 -R -q"

    def fit(self, X, y):
        from liblinear.liblinearutil import parameter, problem, train

        model = train(problem(2.0 * y - 1.0, sp.csr_matrix(X)), parameter(self.options))
        w, b = model.get_decfun()
        sign = 1.0 if model.get_labels()[0] == 1 else -1.0
        self.coef_, self.intercept_ = sign * np.asarray(w), sign * b
        return self


def _glmnet_path(lam):
    return np.array([10.0 * lam, lam])


class GlmnetGaussian:
    """python-glmnet's elastic net, converted to the mean convention."""

    def __init__(self, alpha, l1_ratio, tol):
        self.alpha, self.l1_ratio, self.tol = alpha, l1_ratio, tol

    def fit(self, X, y):
        import glmnet

        s = np.sqrt(np.mean((y - y.mean()) ** 2))
        mix = self.l1_ratio + s * (1.0 - self.l1_ratio)
        est = glmnet.ElasticNet(
            alpha=self.l1_ratio / mix, lambda_path=_glmnet_path(self.alpha * mix),
            standardize=False, tol=self.tol, max_iter=1_000_000,
        )  # fmt: skip
        est.fit(X, y)
        self.coef_, self.intercept_ = est.coef_path_[:, -1], est.intercept_path_[-1]
        return self


def _glmnet_logit(alpha, l1_ratio, tol):
    import glmnet

    def make():
        return glmnet.LogitNet(
            alpha=l1_ratio, lambda_path=_glmnet_path(alpha), standardize=False,
            tol=tol, max_iter=1_000_000,
        )  # fmt: skip

    return Fit(make, lambda e: (e.coef_path_[0, :, -1], e.intercept_path_[0, -1]))


def ours(problem):
    from sklearn_foundations import GradientDescentRegressor, LogisticRegression

    a, r = problem.alpha, problem.l1_ratio
    if problem.task in ("binary", "multinomial"):
        C = 1.0 / (a * problem.n)

        def make(tol):
            return LogisticRegression(C=C, l1_ratio=r, tol=tol, max_iter=100_000)
    else:
        loss = "poisson" if problem.task == "poisson" else "squared_error"

        def make(tol):
            return GradientDescentRegressor(
                loss=loss, penalty="elasticnet", alpha=a, l1_ratio=r, tol=tol,
                max_iter=100_000,
            )  # fmt: skip

    yield "ours", "sklearn-foundations", lambda tol: Fit(lambda: make(tol)), TOLS


def sklearn(problem):
    from sklearn import linear_model as lm

    a, r, n, task = problem.alpha, problem.l1_ratio, problem.n, problem.task
    dense = not problem.sparse
    if task == "squared" and r == 0:
        for solver in (
            ["cholesky", "sparse_cg", "lsqr"] if dense else ["sparse_cg", "lsqr"]
        ):
            tols = None if solver == "cholesky" else TOLS

            def ridge(tol, solver=solver):
                return Fit(
                    lambda: lm.Ridge(alpha=a * n, solver=solver, tol=tol or 1e-4)
                )

            yield "scikit-learn", f"Ridge({solver})", ridge, tols
    elif task == "squared":
        for pre in (False, True) if dense else (False,):

            def enet(tol, pre=pre):
                return Fit(lambda: lm.ElasticNet(
                    alpha=a, l1_ratio=r, precompute=pre, tol=tol, max_iter=100_000))  # fmt: skip

            yield "scikit-learn", f"ElasticNet(precompute={pre})", enet, TOLS
        if dense and r == 1:
            yield (
                "scikit-learn",
                "LassoLars",
                lambda tol: Fit(lambda: lm.LassoLars(alpha=a)),
                None,
            )
    elif task == "poisson" and r == 0:
        for solver in ("lbfgs", "newton-cholesky"):

            def poisson(tol, solver=solver):
                return Fit(lambda: lm.PoissonRegressor(
                    alpha=a, solver=solver, tol=tol, max_iter=10_000))  # fmt: skip

            yield "scikit-learn", f"PoissonRegressor({solver})", poisson, TOLS
    elif task in ("binary", "multinomial"):
        solvers = ["lbfgs", "newton-cholesky"] if r == 0 else ["saga"]
        if task == "binary" and r in (0.0, 1.0):
            solvers.append("liblinear")
        for solver in solvers:

            def logistic(tol, solver=solver):
                return Fit(lambda: lm.LogisticRegression(
                    C=1.0 / (a * n), l1_ratio=r, solver=solver, tol=tol,
                    max_iter=1_000 if solver == "saga" else 10_000, random_state=0))  # fmt: skip

            # liblinear penalizes its intercept: its sweep ends at 1e-8
            tols = [t for t in TOLS if t >= 1e-8] if solver == "liblinear" else TOLS
            yield "scikit-learn", f"LogisticRegression({solver})", logistic, tols


def skglm(problem):
    mod = available("skglm")
    a, r, task = problem.alpha, problem.l1_ratio, problem.task
    if mod is None or r == 0 or task not in ("squared", "binary"):
        return
    if task == "squared":

        def make(tol):
            return Fit(
                lambda: mod.ElasticNet(alpha=a, l1_ratio=r, tol=tol, max_iter=1000)
            )
    else:

        def make(tol):
            return Fit(lambda: mod.SparseLogisticRegression(
                alpha=a, l1_ratio=r, tol=tol, max_iter=1000))  # fmt: skip

    yield "skglm", "skglm", make, TOLS


def celer(problem):
    mod = available("celer")
    a, r = problem.alpha, problem.l1_ratio
    # celer's logistic regression fits no intercept
    if mod is None or problem.task != "squared" or r == 0:
        return

    def make(tol):
        return Fit(lambda: mod.ElasticNet(alpha=a, l1_ratio=r, tol=tol, max_iter=1000))

    yield "celer", "celer", make, TOLS


def glum(problem):
    mod = available("glum")
    if mod is None or problem.task == "multinomial":
        return
    family = {"squared": "normal", "binary": "binomial", "poisson": "poisson"}[
        problem.task
    ]
    a, r = problem.alpha, problem.l1_ratio

    def make(tol):
        return Fit(lambda: mod.GeneralizedLinearRegressor(
            family=family, alpha=a, l1_ratio=r, gradient_tol=tol, max_iter=10_000))  # fmt: skip

    yield "glum", "glum", make, TOLS


def glmnet(problem):
    if available("glmnet") is None or problem.task not in ("squared", "binary"):
        return
    a, r = problem.alpha, problem.l1_ratio
    if problem.task == "squared":
        if r == 0:  # glmnet's ridge: our problem only through the conversion
            return

        def make(tol):
            return GlmnetGaussian(a, r, tol)
    else:

        def make(tol):
            return _glmnet_logit(a, r, tol)

    yield "glmnet", "glmnet", make, [1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14]


def liblinear(problem):
    if available("liblinear.liblinearutil") is None or problem.task != "binary":
        return
    if problem.l1_ratio not in (0.0, 1.0):
        return
    solver = 6 if problem.l1_ratio == 1.0 else 0
    C = 1.0 / (problem.alpha * problem.n)
    yield (
        "liblinear",
        f"liblinear -s {solver}",
        lambda tol: Liblinear(solver, C, tol),
        TOLS,
    )


def cyanure(problem):
    mod = available("cyanure.estimators")
    a, r, task = problem.alpha, problem.l1_ratio, problem.task
    if mod is None or r not in (0.0, 1.0) or task == "poisson":
        return
    penalty = "l1" if r == 1.0 else "l2"
    if task == "squared":

        def make(tol):
            return Fit(lambda: mod.Regression(
                penalty=penalty, lambda_1=a, fit_intercept=True, tol=tol,
                verbose=False, n_threads=2, max_iter=100_000))  # fmt: skip
    else:
        loss = "logistic" if task == "binary" else "multiclass-logistic"

        def make(tol):
            return Fit(lambda: mod.Classifier(
                loss=loss, penalty=penalty, lambda_1=a, fit_intercept=True, tol=tol,
                verbose=False, n_threads=2, max_iter=100_000), _read_cyanure)  # fmt: skip

    yield "cyanure", "cyanure", make, TOLS


def snapml(problem):
    mod = available("snapml")
    a, r, task = problem.alpha, problem.l1_ratio, problem.task
    if mod is None or task != "binary" or r not in (0.0, 1.0):
        return
    penalty = "l1" if r == 1.0 else "l2"

    def make(tol):
        return Fit(lambda: mod.LogisticRegression(
            penalty=penalty, regularizer=a * problem.n, fit_intercept=True, tol=tol,
            dual=False, max_iter=100_000, n_jobs=2))  # fmt: skip

    yield "snapml", "snapml", make, [1e-3, 1e-4, 1e-6, 1e-8, 1e-10]


def intelex(problem):
    a, r, n, task = problem.alpha, problem.l1_ratio, problem.n, problem.task
    if task == "squared" and r == 0 and not problem.sparse:
        mod = available("sklearnex.linear_model")
        if mod is not None:
            yield (
                "intelex",
                "sklearnex Ridge",
                lambda tol: Fit(lambda: mod.Ridge(alpha=a * n)),
                None,
            )
    elif task == "squared" and not problem.sparse:
        mod = available("daal4py.sklearn.linear_model")
        if mod is not None:

            def make(tol):
                return Fit(lambda: mod.ElasticNet(
                    alpha=a, l1_ratio=r, tol=tol, max_iter=100_000))  # fmt: skip

            yield "intelex", "daal4py ElasticNet", make, TOLS
    elif task in ("binary", "multinomial") and r == 0:
        mod = available("sklearnex.linear_model")
        if mod is not None:

            def make(tol):
                return Fit(lambda: mod.LogisticRegression(
                    C=1.0 / (a * n), tol=tol, max_iter=10_000))  # fmt: skip

            yield "intelex", "sklearnex LogisticRegression", make, TOLS


PEERS = [sklearn, skglm, celer, glum, glmnet, liblinear, cyanure, snapml, intelex]
# the distributions whose versions the table records
DISTRIBUTIONS = [
    "numpy", "scipy", "scikit-learn", "skglm", "celer", "glum", "python-glmnet",
    "liblinear-official", "cyanure", "snapml", "scikit-learn-intelex",
]  # fmt: skip


def candidates(problem):
    """Ours first, then every peer that installs and solves this problem."""
    yield from ours(problem)
    for peer in PEERS:
        yield from peer(problem)
