# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Information, entropy, cross-entropy and KL divergence
#
# **What you will learn:** surprisal $-\log P$ as the information in an outcome, entropy as the
# average surprisal, cross-entropy as the cost of coding (or predicting) with the wrong
# distribution, and the KL divergence as the gap between the two. At the end you will see why
# minimising cross-entropy against one-hot labels, the loss of every classifier in this course,
# is minimising a KL divergence. Along the way: the lectures' worked examples (a KL divergence,
# a softmax exercise) and the bound $e^{-H(p, q)} \le P(X = Y)$.

# %%
import math
import numpy as np
import matplotlib.pyplot as plt
from autograd import Tensor
import nn
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Surprisal
#
# An outcome of probability $P$ carries $I = -\log P$ of information: a near-certain event tells
# us almost nothing, a rare one a lot. In nats (natural log): $P = 0.99 \to 0.01$,
# $P = 0.01 \to 4.61$. Independent events multiply their probabilities, so their surprisals add.

# %%
surprisal = lambda p: -math.log(p)
print(f"P = 0.99: {surprisal(0.99):.2f} nats;  P = 0.01: {surprisal(0.01):.2f} nats")
print(f"independent events: -ln(0.5 * 0.2) = {surprisal(0.5 * 0.2):.4f} = "
      f"{surprisal(0.5):.4f} + {surprisal(0.2):.4f}")
ps = np.linspace(0.005, 1, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ps, -np.log(ps))
ax.plot([0.99, 0.01], [surprisal(0.99), surprisal(0.01)], "o")
ax.set(title="Surprisal of an outcome", xlabel="probability P of the outcome",
       ylabel="surprisal −ln P (nats)")
ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Entropy of a coin and of a die
#
# Entropy is the expected surprisal, $H(p) = -\sum_k p_k \log_2 p_k$ bits. A fair coin has 1 bit,
# a fair die $\log_2 6 = 2.585$ bits, a certain outcome 0; a coin is most uncertain when fair.
# In nats (natural log), a coin with $P(\text{heads}) = 0.8$ has
# $H(0.8, 0.2) = -0.8 \ln 0.8 - 0.2 \ln 0.2 = 0.50$ nats.

# %%
entropies = {"fair coin (bits)": nn.entropy([0.5, 0.5], base=2).item(),
             "fair die (bits)": nn.entropy(np.full(6, 1 / 6), base=2).item(),
             "certain outcome": nn.entropy([1.0, 0.0]).item(),
             "coin 0.8 / 0.2 (nats)": nn.entropy([0.8, 0.2]).item()}
for name, value in entropies.items():
    print(f"{name:>22}: {value:.4f}")
bias = np.linspace(0.001, 0.999, 199)
coin = nn.entropy(np.stack([bias, 1 - bias], axis=1), base=2, reduction="none").data
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(bias, coin)
ax.set(title="Entropy of a coin against its bias", xlabel="P(heads)", ylabel="entropy (bits)")
ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## The gift boxes
#
# Three boxes hold a gift with probabilities 0.8, 0.7 and 0.1, independently. Each of the eight
# outcomes has a probability (the product of the three factors) and a surprisal $-\ln P$. The
# most likely outcome, gifts in the first two boxes only, has $P = 0.8 \cdot 0.7 \cdot 0.9 = 0.504$
# and $-\ln P = 0.69$; the least likely, a gift in the third box only, $P = 0.006$ and $5.12$.

# %%
import itertools
probs = [0.8, 0.7, 0.1]
table = {}
for outcome in itertools.product([1, 0], repeat=3):
    p = math.prod(q if got else 1 - q for q, got in zip(probs, outcome))
    table[outcome] = (p, -math.log(p))
    print(f"gifts {outcome}: P = {p:.3f}, -ln P = {-math.log(p):.3f}")

# %% [markdown]
# The surprisal of an outcome is exactly the **binary cross-entropy** of the predictions
# $(0.8, 0.7, 0.1)$ against that outcome as targets, summed over the boxes:
# $-\sum_i [y_i \ln p_i + (1-y_i)\ln(1-p_i)]$. Cross-entropy is the surprise of the model
# at what really happened. Its average over the outcomes is the entropy, which for independent
# boxes is the sum of the three boxes' entropies.

# %%
bce = {outcome: nn.binary_cross_entropy(Tensor(probs), np.array(outcome), reduction="sum").item()
       for outcome in table}
print(f"gifts (1, 1, 0): binary cross-entropy {bce[1, 1, 0]:.4f}, -ln P {table[1, 1, 0][1]:.4f}")
total = sum(p * s for p, s in table.values())
boxes = sum(nn.entropy([q, 1 - q]).item() for q in probs)
print(f"entropy: {total:.4f} nats; the sum of the three boxes' entropies: {boxes:.4f} nats")

# %% [markdown]
# ## Cross-entropy = entropy + KL
#
# The cross-entropy $H(p, q) = -\sum_k p_k \log q_k$ is the average surprisal when outcomes come
# from $p$ but we believe $q$. The KL divergence $KL(p\,\|\,q) = \sum_k p_k \log(p_k/q_k)$ is the
# extra surprisal for believing the wrong thing, so $H(p, q) = H(p) + KL(p\,\|\,q)$, and
# $KL \ge 0$ with equality only when $q = p$. For $p = (1/3, 2/3)$ and $q = (2/3, 1/3)$:
# $KL(p\,\|\,q) = \frac13 \ln\frac{1/3}{2/3} + \frac23 \ln\frac{2/3}{1/3} = \frac13 \ln 2 = 0.231$
# nats. Then five random pairs of distributions over four outcomes.

# %%
p, q = np.array([1 / 3, 2 / 3]), np.array([2 / 3, 1 / 3])
kl_example = nn.kl_divergence(p, q).item()
print(f"KL(p || q) = {kl_example:.4f} nats = ln(2) / 3 = {math.log(2) / 3:.4f}")
rng = np.random.default_rng(0)
pairs = [(rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))) for _ in range(5)]
for p, q in pairs:
    cross, kl = -(p * np.log(q)).sum(), nn.kl_divergence(p, q).item()
    print(f"H(p, q) = {cross:.4f} = H(p) {nn.entropy(p).item():.4f} + KL {kl:.4f}")

# %% [markdown]
# ## The coding example
#
# Four symbols with $p = (1/2, 1/4, 1/8, 1/8)$: a code with words of 1, 2, 3, 3 bits (say 0, 10,
# 110, 111) averages $H(p) = 1.75$ bits per symbol. A fixed 2-bit code is optimal for the uniform
# $q$, and costs $H(p, q) = 2$ bits on $p$: the extra $KL(p\,\|\,q) = 0.25$ bits per symbol is the
# price of the wrong model.

# %%
p, q = [0.5, 0.25, 0.125, 0.125], [0.25] * 4
lengths = np.array([1, 2, 3, 3])
h, kl = nn.entropy(p, base=2).item(), nn.kl_divergence(p, q, base=2).item()
cross = -(np.array(p) * np.log2(q)).sum()
print(f"H(p) = {h:.4g} bits, H(p, q) = {cross:.4g} bits, KL = {kl:.4g} bits; "
      f"average code length {(lengths * p).sum():.4g} bits")

# %% [markdown]
# KL is not a distance: it is not symmetric. For two coins with $P(\text{heads}) = 0.3$ and $r$:

# %%
r = np.linspace(0.01, 0.99, 99)
coins = np.stack([r, 1 - r], axis=1)
truth = np.tile([0.3, 0.7], (len(r), 1))
forward = nn.kl_divergence(truth, coins, base=2, reduction="none").data
backward = nn.kl_divergence(coins, truth, base=2, reduction="none").data
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(r, forward, label="KL(p ‖ q), p = (0.3, 0.7)")
ax.plot(r, backward, label="KL(q ‖ p)")
ax.set(title="KL divergence between two coins", xlabel="q's P(heads)",
       ylabel="KL divergence (bits)", ylim=(0, 3))
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Why minimising cross-entropy against one-hot labels minimises KL
#
# For a one-hot label $y$ (the true class with probability 1), $H(y) = 0$, so
# $H(y, q) = H(y) + KL(y\,\|\,q) = KL(y\,\|\,q) = -\log q_{\text{true}}$: the two losses are the
# same function of the model's $q$, and minimising one minimises the other. With
# $q = \mathrm{softmax}(z)$ the gradient with respect to the logits is $q - y$, which the engine
# reproduces.

# %%
logits = Tensor([[2.0, -1.0, 0.5]], requires_grad=True)
y = np.array([[0.0, 0.0, 1.0]])
loss = nn.cross_entropy(logits, y, reduction="sum")
loss.backward()
q = logits.softmax().data
print(f"cross-entropy {loss.item():.4f}, KL {nn.kl_divergence(y, q).item():.4f}, "
      f"-ln q_true {-math.log(q[0, 2]):.4f}")
print(f"gradient {logits.grad}, q - y {q - y}")

# %% [markdown]
# ## An exercise: softmax by hand
#
# The lecture's exercise gives three class probabilities for the input $x = (1, 2)$:
# $(3.29 \cdot 10^{-4},\ 0.0180,\ 0.9817)$. Which logits make them? Softmax sees only the
# differences of its inputs: $z_j - z_k = \ln(a_j/a_k)$. Both ratios are
# $\ln(0.9817/0.0180) = \ln(0.0180/0.000329) = 4.0$, so the logits are $(1, 5, 9)$ or any shift
# of them; with $x = (1, 2)$ that is $z = Wx$ for the weights with rows $(1, 0), (1, 2), (1, 4)$
# ($z_k = x_1 + 2(k-1)\,x_2$). The engine's softmax of those logits gives the exercise's numbers.

# %%
stated = np.array([3.29e-4, 0.0180, 0.9817])
print("logit differences from the stated probabilities:", np.log(stated[1:] / stated[:-1]))
x_in = np.array([1.0, 2.0])
W = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, 4.0]])
exercise = Tensor(W @ x_in).softmax().data
print("z = W x =", W @ x_in, " softmax(z) =", ", ".join(f"{v:.4g}" for v in exercise))

# %% [markdown]
# ## A bound: $e^{-H(p, q)} \le P(X = Y)$
#
# Draw $X$ from the truth $p$ and, independently, $Y$ from the model $q$: they agree with
# probability $P(X = Y) = \sum_k p_k q_k$. Since $\ln$ is concave (Jensen's inequality),
# $-H(p, q) = \sum_k p_k \ln q_k \le \ln \sum_k p_k q_k$, so $e^{-H(p, q)} \le P(X = Y)$: a low
# cross-entropy forces the model's guesses to agree often with the truth. Equality needs $q$
# constant on the outcomes $p$ can produce (a one-hot $p$, say).

# %%
bounds = []
for truth_p, model_q in pairs + [(np.array([1 / 3, 2 / 3]), np.array([2 / 3, 1 / 3]))]:
    ce = -(truth_p * np.log(model_q)).sum()
    bounds.append((math.exp(-ce), float(truth_p @ model_q)))
for bound, agree in bounds:
    print(f"e^-H(p, q) = {bound:.4f} <= P(X = Y) = {agree:.4f}")

# %% [markdown]
# ## What to try next
#
# * Compute the entropy of the letters of a text of your choice, in bits per letter.
# * Plot $H(p, q)$ for a fair coin $p$ as $q$ varies: where is its minimum, and what is its value?
# * With soft labels ($y$ not one-hot), $H(y) > 0$: check that cross-entropy and KL then differ by
#   a constant, so their gradients in the logits are still equal.
