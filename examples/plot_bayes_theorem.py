r"""
Bayes' theorem and the base-rate fallacy
========================================

A test for a disease is 95% sensitive (:math:`P(+ \mid D) = 0.95`) and gives 5%
false positives (:math:`P(+ \mid \neg D) = 0.05`). A patient tests positive.
How likely is the disease? Bayes' theorem,

.. math::

    P(D \mid +) = \frac{P(+ \mid D) P(D)}
    {P(+ \mid D) P(D) + P(+ \mid \neg D) (1 - P(D))},

says that the answer depends on the prevalence :math:`P(D)`, the base rate
that intuition forgets. :func:`~sklearn_foundations.probability.bayes_posterior`
is that formula, and naive Bayes is the same formula applied to every class
with a likelihood per feature.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_foundations.probability import bayes_posterior

sensitivity, false_positive_rate = 0.95, 0.05
print(f"prevalence 1%: P(D | +) = {bayes_posterior(0.01, 0.95, 0.05):.3f}")

# %%
# Counting people makes it concrete: out of 10,000 people with 1% prevalence,
# 100 are ill and 95 of them test positive; 9,900 are healthy and 495 of them
# test positive. Of the 590 positives, 95 are ill: 16.1%.
n = 10_000
ill = n * 0.01
true_pos, false_pos = ill * sensitivity, (n - ill) * false_positive_rate
print(f"{true_pos:.0f} true and {false_pos:.0f} false positives: "
      f"{true_pos / (true_pos + false_pos):.3f}")  # fmt: skip

# %%
# The posterior against the prevalence
# ------------------------------------
# For a rare disease most positives are false, however good the test; a second,
# independent positive test multiplies the odds by the likelihood ratio
# :math:`0.95 / 0.05 = 19` again: the posterior of the first test is the prior of
# the second.
prevalence = np.logspace(-4, 0, 400)[:-1]
once = bayes_posterior(prevalence, sensitivity, false_positive_rate)
twice = bayes_posterior(once, sensitivity, false_positive_rate)
better = bayes_posterior(prevalence, 0.99, 0.001)

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.semilogx(prevalence, once, label="one positive test (95% / 5%)")
ax.semilogx(prevalence, twice, label="two independent positive tests")
ax.semilogx(prevalence, better, "--", label="one positive, 99% / 0.1% test")
ax.semilogx(prevalence, prevalence, ":", color="grey", label="prior P(D)")
ax.axvline(0.01, color="k", lw=0.5)
ax.annotate(f"{bayes_posterior(0.01, 0.95, 0.05):.1%}", (0.01, 0.161),
            xytext=(0.02, 0.05), arrowprops={"arrowstyle": "->"})  # fmt: skip
ax.set_xlabel("prevalence P(D)")
ax.set_ylabel("posterior P(D | positive)")
ax.set_title("The base-rate fallacy")
ax.legend(loc="upper left")
plt.show()

# %%
# In odds form the theorem is a product, and in logs a sum, which is how naive
# Bayes adds up the evidence of its features:
#
# .. math::
#
#     \log \frac{P(D \mid +)}{P(\neg D \mid +)} = \log \frac{P(D)}{P(\neg D)}
#     + \log \frac{P(+ \mid D)}{P(+ \mid \neg D)}.
prior_log_odds = np.log(0.01 / 0.99)
log_lr = np.log(sensitivity / false_positive_rate)
for k in range(4):
    posterior = 1 / (1 + np.exp(-(prior_log_odds + k * log_lr)))
    print(f"{k} positive tests: P(D) = {posterior:.4f}")
