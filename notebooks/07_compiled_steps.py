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
# # 7. Optional: a training step as generated code
#
# **What you will learn:** what `autograd.compile` does with a training step: it records the step
# once, writes it out as plain Python (the forward pass, then one line per backward rule, named
# after the model's parameters, each gate as a comment) and runs that code on later calls, with
# the same numbers as the eager engine. This notebook is compiler detail; the course does not
# need it, but it shows that backpropagation is nothing more than these lines.

# %%
import numpy as np
import autograd
from autograd import Tensor
import nn

# %% [markdown]
# ## A tiny step first
#
# Softmax regression with 2 inputs and 3 classes on 4 examples: a matrix product, a bias, the
# cross-entropy and its mean. The backward half reads bottom-up through the same gates as
# notebook 1: the mean spreads the seed over the 4 examples, the fused softmax cross-entropy
# sends $(\mathrm{softmax}(z) - \mathrm{onehot}(y))$ times it, the add gate distributes (the
# bias receives the sum over the examples), and the matmul gate swaps
# ($X^\top g$ for the weights).

# %%
tiny = nn.MLP([2, 3], rng=0)
step = autograd.compile(lambda X, y: nn.cross_entropy(tiny(X), y), model=tiny)
X_tiny, y_tiny = Tensor(np.arange(8.0).reshape(4, 2) / 8), np.array([0, 1, 2, 1])
tiny_loss = step(X_tiny, y_tiny)
print(step.source[step.source.index("    # ---- backward"):])

# %% [markdown]
# Some lines are about speed, not calculus: `ONE` is the seed $\partial L/\partial L = 1$,
# made once; the gradient of the mean is the same array at every call, so it is made once too;
# `del` frees an array after its last use; `deliver(P[k], g)` adds `g` to a parameter's
# `.grad` (leaves accumulate until `zero_grad`, as in PyTorch); arrays named `buffer` are reused
# from call to call instead of allocated.
#
# ## A network on the digits
#
# The 64-30-10 sigmoid network of notebook 6, one mini-batch of 10 digits: the compiled step
# gives every parameter the gradient that the eager engine's `backward()` gives it.

# %%
(X_train, y_train), _ = nn.data.load_digits(seed=0)
net = nn.MLP([64, 30, 10], activation="sigmoid", rng=0)
step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
loss = step(Tensor(X_train[:10]), y_train[:10])
eager = nn.MLP([64, 30, 10], activation="sigmoid", rng=0)
nn.cross_entropy(eager(Tensor(X_train[:10])), y_train[:10]).backward()
largest = max(np.abs(p.grad - q.grad).max() for p, q in zip(net.parameters(),
                                                           eager.parameters()))
print(f"loss {loss.item():.6f}; largest difference from the eager gradients: {largest:.1e}")
backward_half = step.source[step.source.index("    # ---- backward"):]
print("\n".join(backward_half.splitlines()[:12]))

# %% [markdown]
# `nn.fit(..., compile=True)` trains with such a step; the weights it ends with are eager
# training's, to rounding.

# %%
(X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
finals = []
for compiled in (False, True):
    model = nn.MLP([64, 30, 10], activation="sigmoid", rng=0)
    nn.fit(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.5), (X_train, y_train),
           epochs=2, batch_size=10, seed=0, quiet=True, compile=compiled)
    finals.append([p.data.copy() for p in model.parameters()])
print("largest weight difference, compiled against eager training:",
      max(np.abs(a - b).max() for a, b in zip(*finals)))

# %% [markdown]
# ## What to try next
#
# * Print `step.source` whole and find the forward line of each layer.
# * Compile a step of the moons network of notebook 6 with Scalars and time it against eager.
# * Read `autograd.backward_code(loss)` for the sigmoid neuron of notebook 1: the same lines,
#   without the buffers.
