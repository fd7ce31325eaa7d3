"""NaiveBayesClassifier: scikit-learn's naive Bayes, textbook pmfs, mixed models."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.special import logsumexp
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.naive_bayes import BernoulliNB, CategoricalNB, GaussianNB, MultinomialNB

from sklearn_foundations import NaiveBayesClassifier

COUNTS = ["bernoulli", "multinomial", "binomial", "poisson"]


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.mark.parametrize("loader", [load_iris, load_wine])
def test_gaussian_matches_gaussian_nb(loader):
    X, y = loader(return_X_y=True)
    sk = GaussianNB().fit(X, y)
    ours = NaiveBayesClassifier("gaussian").fit(X, y)
    np.testing.assert_allclose(ours.theta_, sk.theta_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, sk.var_, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(
        ours.predict_joint_log_proba(X), sk.predict_joint_log_proba(X), rtol=1e-10
    )


@pytest.mark.parametrize("distribution", ["gaussian", "bernoulli", "multinomial"])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_fitted_attributes_keep_scikit_learns_dtype(distribution, method):
    """float32 stays float32 where scikit-learn keeps it: every fitted array of
    GaussianNB (priors and counts too); the discrete models work in float64."""
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    theirs = {
        "gaussian": GaussianNB,
        "bernoulli": BernoulliNB,
        "multinomial": MultinomialNB,
    }[distribution]()
    ours = NaiveBayesClassifier(distribution)
    kwargs = {"classes": np.unique(y)} if method == "partial_fit" else {}
    getattr(theirs, method)(X, y, **kwargs)
    getattr(ours, method)(X, y, **kwargs)
    fitted = [a for a in vars(theirs) if a.endswith("_") and not a.startswith("_")]
    for attr in fitted:
        expected = np.asarray(getattr(theirs, attr))
        got = np.asarray(getattr(ours, attr))
        assert got.dtype == expected.dtype, attr
        np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=attr)
    for name in ("predict_proba", "predict_joint_log_proba"):
        assert getattr(ours, name)(X).dtype == getattr(theirs, name)(X).dtype


@pytest.mark.parametrize(
    "shift, scale", [(0.0, 1.0), (1e6, 1.0), (0.0, 1e-4), (3e3, 1e-3)]
)
def test_gaussian_likelihood_is_the_textbook_pdf_in_every_regime(shift, scale):
    # Means far from the data's centre in units of a class's spread take the
    # direct form; the rest take the expanded matrix products: both must give
    # the textbook density to 1e-10 relative.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    X = shift + scale * rng.normal(size=(300, 4)) + 50.0 * scale * y[:, None] ** 2
    X[y == 2, 0] = shift  # a zero-variance feature in one class
    clf = NaiveBayesClassifier(var_smoothing=1e-9).fit(X, y)
    expected = stats.norm.logpdf(
        X[:, None, :], clf.theta_[None], np.sqrt(clf.var_)[None]
    ).sum(axis=2)
    got = clf.predict_joint_log_proba(X) - clf.class_log_prior_
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-9)
    sk = GaussianNB().fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (dict(distribution="bernoulli", binarize=4.0), BernoulliNB(binarize=4.0)),
        (dict(distribution="bernoulli", binarize=4.0, alpha=0.3), BernoulliNB(binarize=4.0, alpha=0.3)),
        (dict(distribution="multinomial"), MultinomialNB()),
        (dict(distribution="multinomial", alpha=0.1, fit_prior=False), MultinomialNB(alpha=0.1, fit_prior=False)),
        (dict(distribution="categorical"), CategoricalNB()),
        (dict(distribution="categorical", alpha=0.5, min_categories=17), CategoricalNB(alpha=0.5, min_categories=17)),
    ],
    ids=["bernoulli", "bernoulli-alpha", "multinomial", "multinomial-uniform", "categorical", "categorical-min"],
)  # fmt: skip
def test_discrete_distributions_match_scikit_learn(digits, ours, theirs):
    X, y = digits
    sk = theirs.fit(X, y)
    clf = NaiveBayesClassifier(**ours).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(clf.class_log_prior_, sk.class_log_prior_, rtol=1e-12)
    if ours["distribution"] == "categorical":
        for a, b in zip(clf.feature_log_prob_, sk.feature_log_prob_, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    else:
        np.testing.assert_allclose(
            clf.feature_log_prob_, sk.feature_log_prob_, rtol=1e-12
        )


def _class_log_likelihood(clf, X):
    return clf.predict_joint_log_proba(X) - clf.class_log_prior_


def test_poisson_is_the_textbook_pmf(digits):
    X, y = digits
    clf = NaiveBayesClassifier("poisson", alpha=0.5).fit(X, y)
    expected = np.stack(
        [stats.poisson.logpmf(X, rate).sum(axis=1) for rate in clf.rate_], axis=1
    )
    np.testing.assert_allclose(_class_log_likelihood(clf, X), expected, rtol=1e-10)


def test_binomial_is_the_textbook_pmf(digits):
    X, y = digits
    clf = NaiveBayesClassifier("binomial", n_trials=16, alpha=0.5).fit(X, y)
    expected = np.stack(
        [stats.binom.logpmf(X, 16, p).sum(axis=1) for p in clf.prob_], axis=1
    )
    np.testing.assert_allclose(_class_log_likelihood(clf, X), expected, rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize(
    "params",
    [dict(distribution="poisson"), dict(distribution="binomial"),
     dict(distribution="binomial", n_trials=16), dict(distribution="gaussian")],
)  # fmt: skip
def test_posterior_leaves_out_only_class_free_terms(digits, params, sparse):
    # predict_proba skips log x! and the binomial coefficient (the same for
    # every class); it must still be the posterior of the full joint likelihood.
    X, y = digits
    above = params == dict(distribution="binomial")  # values above n_trials_
    X_fit, X_new = X[:1000], X[1000:] + above
    if sparse and params["distribution"] != "gaussian":
        X_fit, X_new = sp.csr_matrix(X_fit), sp.csr_matrix(X_new)
    clf = NaiveBayesClassifier(**params).fit(X_fit, y[:1000])
    joint = clf.predict_joint_log_proba(X_new)
    expected = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X_new), expected, atol=1e-12)
    np.testing.assert_allclose(
        np.exp(clf.predict_log_proba(X_new)), expected, atol=1e-12
    )
    np.testing.assert_array_equal(clf.predict(X_new), clf.classes_[joint.argmax(1)])


def test_alpha_zero_gives_maximum_likelihood(digits):
    X, y = digits
    w = np.random.default_rng(0).uniform(0.5, 2, len(y))
    poisson = NaiveBayesClassifier("poisson", alpha=0.0).fit(X, y, sample_weight=w)
    binomial = NaiveBayesClassifier("binomial", alpha=0.0, n_trials=16)
    binomial.fit(X, y, sample_weight=w)
    for k, c in enumerate(np.unique(y)):
        mean = np.average(X[y == c], axis=0, weights=w[y == c])
        np.testing.assert_allclose(poisson.rate_[k], mean, rtol=1e-12)
        np.testing.assert_allclose(binomial.prob_[k], mean / 16, rtol=1e-12)


def test_inferred_n_trials_is_the_largest_value_of_positive_weight():
    X = np.array([[3.0, 1.0], [5.0, 2.0], [9.0, 0.0], [2.0, 4.0]])
    y = np.array([0, 1, 0, 1])
    w = np.array([1.0, 1.0, 0.0, 1.0])
    clf = NaiveBayesClassifier("binomial").fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(clf.n_trials_, [5.0, 4.0])
    # a later value above it counts as n_trials_ successes
    above = clf.predict_joint_log_proba(np.array([[9.0, 4.0]]))
    at = clf.predict_joint_log_proba(np.array([[5.0, 4.0]]))
    np.testing.assert_allclose(above, at)


def test_mixed_model_is_the_sum_of_its_parts():
    X, y = load_wine(return_X_y=True)
    counts = np.round(X[:, [4, 12]] / 10)  # magnesium and proline as counts
    Xm = np.column_stack([X[:, :4], counts])
    mixed = NaiveBayesClassifier({"gaussian": [0, 1, 2, 3], "poisson": [4, 5]})
    mixed.fit(Xm, y)
    gauss = NaiveBayesClassifier("gaussian").fit(Xm[:, :4], y)
    pois = NaiveBayesClassifier("poisson").fit(Xm[:, 4:], y)
    expected = _class_log_likelihood(gauss, Xm[:, :4]) + _class_log_likelihood(
        pois, Xm[:, 4:]
    )
    np.testing.assert_allclose(_class_log_likelihood(mixed, Xm), expected, rtol=1e-12)
    np.testing.assert_allclose(mixed.theta_, gauss.theta_)
    np.testing.assert_allclose(mixed.rate_, pois.rate_)


def test_mixed_model_with_dataframe_column_names():
    X, y = load_wine(return_X_y=True, as_frame=True)
    df = X[["alcohol", "malic_acid"]].assign(magnesium=X["magnesium"].round())
    clf = NaiveBayesClassifier(
        {"gaussian": ["alcohol", "malic_acid"], "poisson": ["magnesium"]}
    ).fit(df, y)
    assert clf.distribution_columns_["poisson"].tolist() == [2]
    assert clf.score(df, y) > 0.7
    bad = df.assign(magnesium=-df["magnesium"])
    with pytest.raises(ValueError, match="feature 'magnesium' has the value -"):
        clf.predict(bad)


@pytest.mark.parametrize("distribution", ["gaussian", *COUNTS, "categorical"])
def test_partial_fit_in_chunks_equals_fit(digits, distribution):
    X, y = digits
    w = np.random.default_rng(1).uniform(0, 2, len(y))
    full = NaiveBayesClassifier(distribution).fit(X, y, sample_weight=w)
    chunked = NaiveBayesClassifier(distribution)
    for rows in np.array_split(np.arange(len(y)), 7):
        chunked.partial_fit(
            X[rows], y[rows], classes=np.unique(y), sample_weight=w[rows]
        )
    np.testing.assert_allclose(
        chunked.predict_joint_log_proba(X), full.predict_joint_log_proba(X), rtol=1e-10
    )


def test_gaussian_smoothing_uses_all_data_seen(digits):
    X, y = digits
    order = np.argsort(X[:, 20], kind="stable")  # first chunk: low variance
    chunked = NaiveBayesClassifier()
    for rows in np.array_split(order, 4):
        chunked.partial_fit(X[rows], y[rows], classes=np.unique(y))
    assert chunked.epsilon_ == pytest.approx(1e-9 * np.var(X, axis=0).max(), rel=1e-12)


@pytest.mark.parametrize("distribution", ["gaussian", *COUNTS, "categorical"])
def test_sample_weights_equal_repetition(digits, distribution):
    X, y = digits
    counts = np.random.default_rng(2).integers(0, 3, len(y))
    a = NaiveBayesClassifier(distribution).fit(X, y, sample_weight=counts)
    b = NaiveBayesClassifier(distribution).fit(
        np.repeat(X, counts, 0), np.repeat(y, counts)
    )
    kept = X[counts > 0]  # categories of zero-weight rows are not seen
    np.testing.assert_allclose(
        a.predict_joint_log_proba(kept), b.predict_joint_log_proba(kept), rtol=1e-9
    )


@pytest.mark.parametrize("distribution", COUNTS)
def test_sparse_counts_give_the_dense_answer(digits, distribution):
    X, y = digits
    dense = NaiveBayesClassifier(distribution).fit(X, y)
    sparse = NaiveBayesClassifier(distribution).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(
        sparse.predict_joint_log_proba(sp.csr_matrix(X)),
        dense.predict_joint_log_proba(X),
        rtol=1e-12,
    )


def test_bad_input_names_the_feature_and_value():
    X = np.array([[1.0, 2.0], [0.0, 3.0], [2.0, 1.0]])
    y = np.array(["a", "b", "a"])
    with pytest.raises(ValueError, match="feature 1 has the value -2"):
        NaiveBayesClassifier("poisson").fit(X * [1, -1], y)
    for to in (np.asarray, sp.csr_matrix):  # sparse: found without densifying
        with pytest.raises(ValueError, match="n_trials=2, but feature 1 has the"):
            NaiveBayesClassifier("binomial", n_trials=2).fit(to(X), y)
        with pytest.raises(ValueError, match="feature 1 has the value -2"):
            NaiveBayesClassifier("multinomial").fit(to(X * [1, -1]), y)
    clf = NaiveBayesClassifier("categorical").fit(X, y)
    with pytest.raises(ValueError, match="Feature 0 has the category 5, not seen"):
        clf.predict(np.array([[5.0, 1.0]]))
    with pytest.raises(ValueError, match=r"Columns \[1\] are not given"):
        NaiveBayesClassifier({"gaussian": [0]}).fit(X, y)
    with pytest.raises(ValueError, match="given to both"):
        NaiveBayesClassifier({"gaussian": [0, 1], "poisson": [1]}).fit(X, y)
    with pytest.raises(ValueError, match="Unknown distribution 'gamma'"):
        NaiveBayesClassifier({"gamma": [0, 1]}).fit(X, y)
    with pytest.raises(ValueError, match="sum of the priors should be 1"):
        NaiveBayesClassifier(priors=[0.5, 0.6]).fit(X, y)
    with pytest.raises(ValueError, match="classes must be passed"):
        NaiveBayesClassifier().partial_fit(X, y)


def test_zero_variance_features_and_single_sample_classes():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [10.0, 5.0]])
    y = np.array([0, 0, 0, 1])
    clf = NaiveBayesClassifier().fit(X, y)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all(clf.predict(X) == y)
    constant = NaiveBayesClassifier().fit(np.ones((4, 2)), y)
    np.testing.assert_allclose(constant.predict_proba(np.ones((1, 2))), [[0.75, 0.25]])


def test_string_labels_and_priors():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = NaiveBayesClassifier(priors=[0.2, 0.3, 0.5]).fit(X, names)
    sk = GaussianNB(priors=[0.2, 0.3, 0.5]).fit(X, names)
    assert list(clf.classes_) == list(names[[0, 50, 100]])
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), atol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), sk.predict(X))
