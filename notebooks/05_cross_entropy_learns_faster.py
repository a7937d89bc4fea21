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
# # 5. Why cross-entropy learns faster
#
# **What you will learn:** why a saturated sigmoid neuron learns slowly under the quadratic cost,
# how the cross-entropy cost cancels the $\sigma'(z)$ factor that causes it (seen in the
# engine's own backward pass), and the same cancellation for a softmax output with the
# log-likelihood cost: the gradient with respect to the logits is simply $a - y$.

# %%
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Scalar, Tensor
import nn
np.set_printoptions(precision=4, suppress=True)


# %% [markdown]
# ## One neuron, two costs, two starts
#
# A single sigmoid neuron $a = \sigma(z)$, $z = w x + b$, with input $x = 1$ learns to output
# $y = 0$ by gradient descent with $\eta = 0.15$. The two costs and their gradients in $w$ are
# $$C_{quad} = \tfrac12 (a - y)^2:\ \frac{\partial C}{\partial w} = (a - y)\,\sigma'(z)\,x, \qquad
# C_{CE} = -[y \ln a + (1-y)\ln(1-a)]:\ \frac{\partial C}{\partial w} = (a - y)\,x.$$
# We start from $(w, b) = (0.6, 0.9)$, output 0.82, and from $(2, 2)$, output 0.98, where the
# neuron is saturated and $\sigma'(z)$ is tiny.

# %%
def train(w, b, cost, epochs=300, eta=0.15):
    """The neuron's output before each of `epochs` gradient steps."""
    w, b = Scalar(w, label="w"), Scalar(b, label="b")
    outputs = []
    for _ in range(epochs):
        z = w * 1.0 + b
        outputs.append(z.sigmoid().data)
        loss = (nn.mse(z.sigmoid(), [0.0], half=True) if cost == "quadratic"
                else nn.binary_cross_entropy_with_logits(z, [0.0]))
        w.grad = b.grad = None
        loss.backward()
        w.data -= eta * w.grad; b.data -= eta * b.grad
    return np.array(outputs)

starts, costs = [(0.6, 0.9), (2.0, 2.0)], ["quadratic", "cross-entropy"]
runs = {(start, cost): train(*start, cost) for start in starts for cost in costs}
for (start, cost), out in runs.items():
    print(f"start {start}, {cost:>13}: output {out[0]:.2f} -> {out[-1]:.3f} after 300 epochs")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, start in zip(axes, starts):
    for cost in costs:
        ax.plot(runs[start, cost], label=cost)
    ax.set(title=f"start (w, b) = {start}", xlabel="epoch",
           ylabel="output a (dimensionless)")
    ax.legend(); ax.grid(alpha=0.3)
fig.suptitle("A sigmoid neuron learning to output 0 (x = 1, η = 0.15)")
plt.show()

# %% [markdown]
# From $(0.6, 0.9)$ both costs learn quickly. From $(2, 2)$ the quadratic cost hardly moves for
# the first hundred epochs, although the neuron is badly wrong, while cross-entropy learns at
# once: the worse the error, the faster it learns.
#
# ## The $\sigma'(z)$ factor, in the engine's backward pass
#
# At the saturated start $z = 4$: $a = 0.982$ and $\sigma'(4) = a(1-a) = 0.0177$. Under the
# quadratic cost, the gradient arriving at the sigmoid gate is the error $a - y = 0.982$, and
# the gate multiplies it by its local gradient $0.0177$, so $z$ receives
# $0.982 \times 0.0177 = 0.0173$: the error shrunk by the factor $1/\sigma'(4) = 57$, which the
# cell prints.

# %%
z = Scalar(4.0, label="z")
a = z.sigmoid(); a.label = "a"
C = 0.5 * (a - 0.0) ** 2; C.label = "C"          # the quadratic cost for y = 0
quadratic = autograd.backward_steps(C)
print(quadratic)
quadratic_z = z
shrink = a.data / z.grad
print(f"the sigmoid gate turns the error {a.data:.4f} into {z.grad:.4f}: "
      f"{shrink:.1f} times smaller")

# %% [markdown]
# Now the cross-entropy for $y = 0$, $C = -\ln(1 - a)$, written out so that every gate shows. The
# log gate's local gradient $1/(1-a) = 55.6$ arrives at the sigmoid gate and cancels the factor
# $1 - a$ of its local gradient $\sigma'(z) = a(1-a)$: $z$ receives $a = a - y = 0.982$.

# %%
z = Scalar(4.0, label="z")
a = z.sigmoid(); a.label = "a"
C = -(1.0 - a).log(); C.label = "C"
cross_entropy = autograd.backward_steps(C)
print(cross_entropy)
print(f"dC/dz: quadratic {a.data**2 * (1 - a.data):.4f}, cross-entropy {z.grad:.4f}")

# %% [markdown]
# `nn.binary_cross_entropy_with_logits` computes the same loss from $z$ directly, in a form that
# stays finite for any $z$; its gradient is the same $a - y$.

# %%
logit = Scalar(4.0)
nn.binary_cross_entropy_with_logits(logit, [0.0]).backward()
big = Scalar(1000.0)
loss = nn.binary_cross_entropy_with_logits(big, [0.0])
loss.backward()
print(f"z = 4: gradient {logit.grad:.4f};  z = 1000: loss {loss.data:g}, gradient {big.grad:g}")

# %% [markdown]
# ## Softmax with the log-likelihood
#
# For a softmax output layer $a_j = e^{z_j}/\sum_k e^{z_k}$ and the log-likelihood cost
# $C = -\ln a_y$ of the true class $y$: $\partial a_y/\partial z_j = a_y(\delta_{jy} - a_j)$, so
# $$\frac{\partial C}{\partial z_j} = -\frac{1}{a_y}\,a_y(\delta_{jy} - a_j) = a_j - y_j,$$
# with $y$ one-hot: again the error itself, with no saturation factor.

# %%
logits = Tensor(np.array([[4.0, -2.0, 1.0]]), requires_grad=True)
nn.cross_entropy(logits, np.array([1]), reduction="sum").backward()
a = logits.softmax().data
one_hot = np.array([[0.0, 1.0, 0.0]])
print("gradient", logits.grad, " a - y", a - one_hot)
batch = Tensor(np.random.default_rng(0).normal(size=(5, 4)), requires_grad=True)
labels = np.array([0, 3, 1, 1, 2])
nn.cross_entropy(batch, labels, reduction="sum").backward()
print("a batch of 5: largest |gradient - (a - y)| =",
      np.abs(batch.grad - (batch.softmax().data - np.eye(4)[labels])).max())

# %% [markdown]
# ## What to try next
#
# * Start the neuron at $(w, b) = (5, 5)$: how long does the quadratic cost take to escape?
# * Train the neuron towards $y = 1$ from $(-2, -2)$: the same story, mirrored.
# * Draw the cross-entropy graph with `draw(C, edge_values=True, gates=True)` and find the
#   cancelling local gradients on the wires.
