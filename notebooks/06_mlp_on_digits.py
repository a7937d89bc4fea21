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
# # 6. From multinomial logistic regression to an MLP on digits
#
# **What you will learn:** softmax regression on the 8x8 handwritten digits (and how many
# parameters it has), the step to a hidden layer of sigmoid neurons, training with mini-batch
# SGD, the quadratic cost against cross-entropy on a real task, what the first layer learns, and
# where the network still errs. At the end: the same code on MNIST.

# %%
import math
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Scalar, Tensor, grad, draw
import nn
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# The 1,797 digits bundled with scikit-learn (no download), split 75% / 25% into training and
# test sets with a fixed seed; each image is 64 pixels scaled to $[0, 1]$.

# %%
(X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
print(X_train.shape, X_test.shape)
assert X_train.shape == (1348, 64) and X_test.shape == (449, 64)
fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, image, label in zip(axes, X_train, y_train):
    ax.imshow(image.reshape(8, 8), cmap="gray_r"); ax.set_title(str(label)); ax.axis("off")
fig.suptitle("Training digits (8x8 pixels, intensity 0 to 1)"); plt.show()


# %% [markdown]
# ## Softmax regression
#
# Multinomial logistic regression is a network without a hidden layer: logits $z = xW + b$,
# $P(\text{class } k \mid x) = \mathrm{softmax}(z)_k$, trained by maximum likelihood, that is
# by minimising the cross-entropy (notebook 2). With 64 inputs and 10 classes it has
# $64 \times 10 + 10 = 650$ parameters. All models below train with mini-batches of 10 and
# $\eta = 0.5$ for 30 epochs.

# %%
def train(sizes, loss=nn.cross_entropy, output="identity", epochs=30, lr=0.5):
    """A sigmoid MLP of the given layer sizes (its output layer: `output`) and its training
    history on the digits, minimising `loss(outputs, labels)` by mini-batch SGD."""
    model = nn.MLP(sizes, activation="sigmoid", output=output, rng=0)
    history = nn.fit(model, loss, nn.SGD(model.parameters(), lr=lr), (X_train, y_train),
                     epochs=epochs, batch_size=10, val=(X_test, y_test), seed=0, quiet=True)
    return model, history

def count(model):
    return sum(p.size for p in model.parameters())

softmax_model, softmax_history = train([64, 10])
assert count(softmax_model) == 650
print(f"softmax regression: test accuracy {softmax_history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# ## Hidden layers of 30 and 100 sigmoid neurons
#
# A hidden layer $h = \sigma(xW_1 + b_1)$ feeds the softmax: $z = hW_2 + b_2$. With 30 hidden
# neurons that is $64 \cdot 30 + 30 + 30 \cdot 10 + 10 = 2{,}260$ parameters, with 100 it is
# $7{,}510$. On these small images a linear model is already good, so the hidden layer buys a
# little accuracy, not a revolution (on MNIST the gap is larger).

# %%
mlp30, history30 = train([64, 30, 10])
mlp100, history100 = train([64, 100, 10])
assert (count(mlp30), count(mlp100)) == (2260, 7510)
results = {"softmax": softmax_history, "30 hidden": history30, "100 hidden": history100}
for name, h in results.items():
    print(f"{name:>10}: test accuracy {h['val_accuracy'][-1]:.3f}")
assert history30["val_accuracy"][-1] >= 0.95
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, h in results.items():
    ax.plot(np.arange(1, len(h["val_accuracy"]) + 1), np.array(h["val_accuracy"]) * 100,
            label=name)
ax.set(title="Test accuracy per epoch", xlabel="epoch", ylabel="test accuracy (%)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Quadratic cost against cross-entropy
#
# The same 30-unit network with sigmoid outputs, trained with the quadratic cost as notebook 5
# defines it, summed over the 10 outputs and averaged over the mini-batch (as the
# cross-entropy is averaged):
# $$C = \frac{1}{n}\sum_x \tfrac12 \lVert a(x) - y(x)\rVert^2$$
# against one-hot targets $y(x)$, with the same learning rate $\eta = 0.5$, mini-batches of 10
# and 30 epochs. Each output's gradient carries the factor $\sigma'(z) \le 1/4$, tiny wherever
# an output is confidently wrong (notebook 5 shows why).

# %%
def quadratic_cost(out, labels):
    """C = (1/n) sum over the batch of 1/2 ||a - y||^2, y one-hot."""
    return nn.sse(out, np.eye(10)[labels]) * (0.5 / len(labels))

_, quadratic = train([64, 30, 10], loss=quadratic_cost, output="sigmoid")
runs = {"cross-entropy": history30["val_accuracy"], "quadratic": quadratic["val_accuracy"]}
reach = {name: next((e for e, acc in enumerate(accs, 1) if acc >= 0.9), None)
         for name, accs in runs.items()}
print("test accuracy (eta = 0.5)  epoch 1  epoch 5  epoch 10  epoch 30  first epoch >= 90%")
for name, accs in runs.items():
    print(f"{name:>25}  {accs[0]:7.1%}  {accs[4]:7.1%}  {accs[9]:8.1%}  {accs[29]:8.1%}"
          f"  {reach[name]:>18}")
ce, quad = runs["cross-entropy"], runs["quadratic"]
assert quad[0] < 0.2 < 0.5 < ce[0] and reach["cross-entropy"] <= 2 < 5 < reach["quadratic"]
assert min(ce[-1], quad[-1]) >= 0.95 and abs(ce[-1] - quad[-1]) < 0.01
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, accs in runs.items():
    ax.plot(np.arange(1, 31), np.array(accs) * 100, label=f"{name}, η = 0.5")
ax.set(title="30 hidden sigmoid units: two costs", xlabel="epoch",
       ylabel="test accuracy (%)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# What the numbers support: with the costs as defined and the same $\eta = 0.5$, both end at
# about the same accuracy after 30 epochs (within a point of each other); the difference is
# the start. After one epoch the quadratic cost is still near chance (10%) while the
# cross-entropy is past 60%, and the quadratic cost needs several times as many epochs to pass
# 90%. That is notebook 5's slow start of a saturated sigmoid, on a real task: cross-entropy
# learns faster, it does not end higher here.
#
# A pitfall when comparing costs: `nn.mse(out, targets, half=True)` averages over the 10
# outputs as well as over the batch, so every gradient is 10 times smaller than that of $C$;
# training with it at $\eta = 0.5$ is training $C$ at $\eta = 0.05$. Such a run measures the
# learning rate, not the cost:

# %%
model = nn.MLP([64, 30, 10], activation="sigmoid", output="sigmoid", rng=0)
out = model(Tensor(X_train[:10]))
sizes = []
for cost in (quadratic_cost, lambda out, y: nn.mse(out, np.eye(10)[y], half=True)):
    model.zero_grad()
    cost(out, y_train[:10]).backward()
    sizes.append(np.abs(model.layers[0].weight.grad).sum())
assert math.isclose(sizes[0] / sizes[1], 10)
_, mean_of_outputs = train([64, 30, 10], loss=lambda out, y: nn.mse(out, np.eye(10)[y],
                                                                    half=True), output="sigmoid")
print(f"gradient of C / gradient of the mean over outputs: {sizes[0] / sizes[1]:.6f}\n"
      f"after 30 epochs at eta = 0.5: C {quad[-1]:.1%}, mean over outputs "
      f"{mean_of_outputs['val_accuracy'][-1]:.1%}")
assert mean_of_outputs["val_accuracy"][-1] < 0.6 < 0.95 <= quad[-1]

# %% [markdown]
# ## What the first layer learns
#
# Each hidden neuron's 64 incoming weights, drawn as an 8x8 image: strokes and blobs that the
# output layer combines into digits.

# %%
weights = mlp30.layers[0].weight.data
assert weights.shape == (64, 30)
fig, axes = plt.subplots(3, 10, figsize=(10, 3.2))
for j, ax in enumerate(axes.ravel()):
    limit = np.abs(weights[:, j]).max()       # each neuron on its own symmetric scale
    ax.imshow(weights[:, j].reshape(8, 8), cmap="RdBu", vmin=-limit, vmax=limit)
    ax.axis("off")
fig.suptitle("First-layer weights of the 30 hidden neurons (red negative, blue positive,"
             " each on its own scale)")
plt.show()

# %% [markdown]
# ## Where it errs: the confusion matrix
#
# Row $i$, column $j$ counts the test digits of class $i$ that the network calls $j$; the
# diagonal holds the correct answers.

# %%
predicted = mlp30(Tensor(X_test)).data.argmax(axis=1)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
assert confusion.sum() == len(y_test)
assert math.isclose(confusion.trace() / len(y_test), history30["val_accuracy"][-1])
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.imshow(confusion, cmap="Blues")
for i, j in np.ndindex(confusion.shape):
    if confusion[i, j]:
        ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=8)
ax.set(title="Confusion matrix (test digits, counts)", xlabel="predicted digit",
       ylabel="true digit", xticks=range(10), yticks=range(10))
plt.show()

# %% [markdown]
# ## The same on MNIST
#
# With the MNIST IDX files (from a source you trust) the same code trains a 784-30-10 network:
#
# ```python
# images = nn.data.load_idx("train-images-idx3-ubyte.gz")   # (60000, 28, 28) uint8
# labels = nn.data.load_idx("train-labels-idx1-ubyte.gz")   # (60000,)
# X = images.reshape(len(images), -1) / 255.0
# model = nn.MLP([784, 30, 10], activation="sigmoid", rng=0)
# ```
#
# or from the command line:
# `python -m nn --dataset idx --idx-images train-images-idx3-ubyte.gz --idx-labels
# train-labels-idx1-ubyte.gz`. The reader checks the magic number and the sizes; here it is on a
# tiny IDX file written on the spot (magic `0 0 8 3`: unsigned bytes, three dimensions):

# %%
import tempfile, pathlib
tiny = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
path = pathlib.Path(tempfile.mkdtemp()) / "tiny-images-idx3-ubyte"
path.write_bytes(bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in tiny.shape)
                 + tiny.tobytes())
assert np.array_equal(nn.data.load_idx(path), tiny)
print(nn.data.load_idx(path).shape)

# %% [markdown]
# ## One training step as code
#
# `autograd.compile` traces a step once and replays it as plain Python. Its source is the
# forward pass of the network, then the backward pass one rule per line, named after the
# parameters (`layers.0.weight`, ...), with each gate as a comment; `nn.fit(..., compile=True)`
# trains with it, to the same weights. Here is the backward half of a 64-30-10 step.

# %%
net = nn.MLP([64, 30, 10], activation="sigmoid", rng=0)
step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
loss = step(Tensor(X_train[:10]), y_train[:10])
eager = nn.MLP([64, 30, 10], activation="sigmoid", rng=0)
nn.cross_entropy(eager(Tensor(X_train[:10])), y_train[:10]).backward()
assert all(np.allclose(p.grad, q.grad, rtol=1e-12) for p, q in
           zip(net.parameters(), eager.parameters()))
backward_half = step.source[step.source.index("    # ---- backward"):]
assert "mul gate: swaps" in backward_half or "matmul" in backward_half
print(backward_half)

# %% [markdown]
# ## What to try next
#
# * Add momentum (`nn.SGD(..., momentum=0.9)`) or a second hidden layer and compare.
# * Train with `relu` hidden units and a smaller learning rate.
# * Give the quadratic cost a larger learning rate: does its slow start shorten, and at what
#   learning rate does training become unstable?
# * Look at the test digits the network gets wrong (`predicted != y_test`) and their images.
