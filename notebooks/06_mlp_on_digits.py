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
# # 6. From a first classifier to an MLP on digits
#
# **What you will learn:** micrograd's demo, a small network separating two moons, trained
# neuron by neuron with Scalars and as matrices with Tensors (the same numbers, side by side),
# then watched live while it trains; softmax regression on the 8x8 handwritten digits (and how
# many parameters it has), the step to a hidden layer of sigmoid neurons, training with
# mini-batch SGD; the quadratic cost against cross-entropy on a real task, stated exactly
# (which output layer, which learning rate, how many seeds); what the first layer learns, and
# where the network still errs. At the end: the same code on MNIST.

# %%
import time
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Scalar, Tensor
import nn
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## A first classifier: two moons
#
# 100 points in two interleaving half circles, labelled $-1$ and $+1$. A network with two
# hidden layers of 8 ReLU neurons gives each point a score $s$; the class is the sign of $s$.
# As in micrograd's demo, the loss is the mean hinge loss $\max(0, 1 - y s)$ (zero once a point
# is on the right side with a margin) plus a small penalty $10^{-4}\sum w^2$ on the weights, and
# each of the 60 steps moves every parameter by $-\eta\,\partial L/\partial w$ on the whole data
# set, with $\eta$ falling from 1 to 0.1. First with Scalars, neuron by neuron:

# %%
X_moons, y_moons = nn.data.make_moons(100, noise=0.1, seed=1)
signs = 2.0 * y_moons - 1.0                            # the labels as -1 and +1
STEPS = 60

def hinge_loss(scores, params):
    """Mean hinge loss of the scores against `signs`, plus 1e-4 times the squared weights."""
    return sum(((1.0 - s * t).relu() for s, t in zip(scores, signs)), Scalar(0.0)) \
        * (1 / len(signs)) + 1e-4 * sum((p * p for p in params), Scalar(0.0))

start = time.perf_counter()
scalar_net = nn.MLP([2, 8, 8, 1], activation="relu", value=Scalar, rng=0)
params = list(scalar_net.parameters())
rows = [[Scalar(a, requires_grad=False), Scalar(b, requires_grad=False)] for a, b in X_moons]
scalar_losses = []
for k in range(STEPS):
    loss = hinge_loss([scalar_net(row)[0] for row in rows], params)
    scalar_net.zero_grad()
    loss.backward()
    for p in params:
        p.data -= (1.0 - 0.9 * k / STEPS) * p.grad
    scalar_losses.append(loss.data)
scalar_seconds = time.perf_counter() - start
print(f"Scalars: {len(params)} parameters, loss {scalar_losses[0]:.4f} -> {scalar_losses[-1]:.4f}"
      f" in {scalar_seconds:.1f} s")

# %% [markdown]
# The same network with Tensors: one matrix product per layer for all 100 points at once. It
# starts from the same weights (same `rng`), so every loss matches the Scalar run's.

# %%
start = time.perf_counter()
tensor_net = nn.MLP([2, 8, 8, 1], activation="relu", rng=0)
tensor_losses = []
for k in range(STEPS):
    scores = tensor_net(Tensor(X_moons)).reshape(-1)
    loss = (1.0 - scores * signs).relu().mean() \
        + 1e-4 * sum((p * p).sum() for p in tensor_net.parameters())
    tensor_net.zero_grad()
    loss.backward()
    for p in tensor_net.parameters():
        p.data -= (1.0 - 0.9 * k / STEPS) * p.grad
    tensor_losses.append(loss.item())
tensor_seconds = time.perf_counter() - start
print(f"Tensors: loss {tensor_losses[0]:.4f} -> {tensor_losses[-1]:.4f} in {tensor_seconds:.2f} s; "
      f"largest difference from the Scalar losses "
      f"{np.abs(np.array(scalar_losses) - tensor_losses).max():.1e}")

# %% [markdown]
# The decision boundary of each: the score's sign over a grid of points, with the data on top.

# %%
g0, g1 = np.meshgrid(np.linspace(-1.6, 2.6, 61), np.linspace(-1.2, 1.7, 46))
grid = np.column_stack([g0.ravel(), g1.ravel()])
with autograd.no_grad():
    scalar_scores = np.array([scalar_net([Scalar(a), Scalar(b)])[0].data for a, b in grid])
    tensor_scores = tensor_net(Tensor(grid)).data.ravel()
accuracies = {}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, (name, net, scores) in zip(axes, [("Scalar", scalar_net, scalar_scores),
                                          ("Tensor", tensor_net, tensor_scores)]):
    with autograd.no_grad():
        train_scores = tensor_net(Tensor(X_moons)).data.ravel() if name == "Tensor" else \
            np.array([net([Scalar(a), Scalar(b)])[0].data for a, b in X_moons])
    accuracies[name] = np.mean((train_scores > 0) == (signs > 0))
    ax.contourf(g0, g1, scores.reshape(g0.shape) > 0, levels=1, cmap="RdBu", alpha=0.3)
    ax.scatter(X_moons[:, 0], X_moons[:, 1], c=y_moons, cmap="RdBu", edgecolors="k", s=18)
    ax.set(title=f"{name}s: accuracy {accuracies[name]:.0%}", xlabel="x1", ylabel="x2")
fig.suptitle(f"2-8-8-1 ReLU network after {STEPS} steps (the same numbers both ways)")
plt.show()

# %% [markdown]
# ## Watch it train
#
# `nn.fit(..., live=True)` shows training while it runs: the loss and accuracy curves, the
# network's layers with histograms of their weights and gradients, and, for 2-D data like the
# moons, the decision boundary moving as the weights change. Here a larger Tensor network
# (2-16-16-1, the size of micrograd's demo) with the same hinge loss and the same small L2
# term, trained on mini-batches of 10 for 40 epochs. (Without the L2 term, a batch whose points
# all lie beyond the margin has a gradient of exactly zero, and the last histograms would show
# nothing but zeros.)

# %%
def moons_hinge(scores, labels):
    """Mean hinge loss max(0, 1 - y s), the labels 0 and 1 (in any shape) read as -1 and +1,
    plus 1e-4 times the sum of the squared parameters of `live_net`."""
    return (1.0 - scores.reshape(-1) * (2.0 * np.ravel(labels) - 1.0)).relu().mean() \
        + 1e-4 * sum((p * p).sum() for p in live_net.parameters())

live_net = nn.MLP([2, 16, 16, 1], activation="relu", rng=0)
live_history = nn.fit(live_net, moons_hinge, nn.SGD(live_net.parameters(), lr=0.1),
                      (X_moons, y_moons), epochs=40, batch_size=10, quiet=True, live=True)

# %% [markdown]
# ## The digits
#
# The 1,797 digits bundled with scikit-learn (no download), split 75% / 25% into training and
# test sets with a fixed seed; each image is 64 pixels scaled to $[0, 1]$.

# %%
(X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
print(X_train.shape, X_test.shape)
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
# $64 \times 10 + 10 = 650$ parameters; on MNIST's 28x28 images it has
# $784 \times 10 + 10 = 7{,}850$. All models below train with mini-batches of 10 and
# $\eta = 0.5$ for 30 epochs.

# %%
def train(sizes, loss=nn.cross_entropy, output="identity", epochs=30, lr=0.5, seed=0):
    """A sigmoid MLP of the given layer sizes (its output layer: `output`) and its training
    history on the digits, minimising `loss(outputs, labels)` by mini-batch SGD; `seed` sets
    the initial weights and the order of the mini-batches."""
    model = nn.MLP(sizes, activation="sigmoid", output=output, rng=seed)
    history = nn.fit(model, loss, nn.SGD(model.parameters(), lr=lr), (X_train, y_train),
                     epochs=epochs, batch_size=10, val=(X_test, y_test), seed=seed, quiet=True)
    return model, history

def count(model):
    return sum(p.size for p in model.parameters())

softmax_model, softmax_history = train([64, 10])
print(f"softmax regression: {count(softmax_model)} parameters "
      f"(on MNIST: {count(nn.MLP([784, 10]))}), "
      f"test accuracy {softmax_history['val_accuracy'][-1]:.3f}")

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
results = {"softmax": softmax_history, "30 hidden": history30, "100 hidden": history100}
for (name, h), model in zip(results.items(), (softmax_model, mlp30, mlp100)):
    print(f"{name:>10}: {count(model):>5} parameters, test accuracy {h['val_accuracy'][-1]:.3f}")
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, h in results.items():
    ax.plot(np.arange(1, len(h["val_accuracy"]) + 1), np.array(h["val_accuracy"]) * 100,
            label=name)
ax.set(title="Test accuracy per epoch", xlabel="epoch", ylabel="test accuracy (%)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Quadratic cost against cross-entropy, stated exactly
#
# Notebook 5's claim, on a real task. Two things change between the two networks, not one:
#
# * **cross-entropy:** a **softmax** output layer with the log-likelihood cost $-\ln a_y$
#   (the 30-unit network above);
# * **quadratic:** 10 **sigmoid** outputs with the quadratic cost, summed over the outputs and
#   averaged over the mini-batch (as the cross-entropy is averaged),
#   $C = \frac{1}{n}\sum_x \tfrac12 \lVert a(x) - y(x)\rVert^2$ against one-hot targets $y(x)$.
#
# The lecture's own pairing changes only the cost: the same sigmoid outputs with the binary
# cross-entropy summed over the outputs, $-\frac1n \sum_x \sum_j [y_j \ln a_j + (1-y_j)\ln(1-a_j)]$.
# All three train at the same $\eta = 0.5$, with mini-batches of 10, for 30 epochs.

# %%
def quadratic_cost(out, labels):
    """C = (1/n) sum over the batch of 1/2 ||a - y||^2, y one-hot."""
    return nn.sse(out, np.eye(10)[labels]) * (0.5 / len(labels))

def binary_cross_entropy_cost(out, labels):
    """(1/n) sum over the batch of the binary cross-entropy summed over the 10 outputs."""
    return nn.binary_cross_entropy(out, np.eye(10)[labels], reduction="sum") / len(labels)

_, quadratic = train([64, 30, 10], loss=quadratic_cost, output="sigmoid")
_, sigmoid_ce = train([64, 30, 10], loss=binary_cross_entropy_cost, output="sigmoid")
runs = {"softmax + log-likelihood": history30["val_accuracy"],
        "sigmoid + cross-entropy": sigmoid_ce["val_accuracy"],
        "sigmoid + quadratic": quadratic["val_accuracy"]}
reach = {name: next((e for e, acc in enumerate(accs, 1) if acc >= 0.9), None)
         for name, accs in runs.items()}
print("test accuracy (eta = 0.5)  epoch 1  epoch 5  epoch 10  epoch 30  first epoch >= 90%")
for name, accs in runs.items():
    print(f"{name:>25}  {accs[0]:7.1%}  {accs[4]:7.1%}  {accs[9]:8.1%}  {accs[29]:8.1%}"
          f"  {reach[name]:>18}")

# %% [markdown]
# With the same $\eta = 0.5$, both cross-entropies start fast (past 60% after one epoch) while
# the quadratic cost is still near chance (10%) and needs several times as many epochs to pass
# 90%: notebook 5's slow start of a saturated sigmoid, on a real task. "Cross-entropy learns
# faster" is a statement at the same learning rate. The quadratic cost's gradients are smaller,
# so give it a larger step: at $\eta = 3$ it catches up.

# %%
_, quadratic_fast = train([64, 30, 10], loss=quadratic_cost, output="sigmoid", lr=3.0)
fast = quadratic_fast["val_accuracy"]
first_90 = next(e for e, acc in enumerate(fast, 1) if acc >= 0.9)
print(f"sigmoid + quadratic at eta = 3: epoch 1 {fast[0]:.1%}, passes 90% at epoch {first_90}, "
      f"epoch 30 {fast[-1]:.1%}")
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, accs in runs.items():
    ax.plot(np.arange(1, 31), np.array(accs) * 100, label=f"{name}, η = 0.5")
ax.plot(np.arange(1, 31), np.array(fast) * 100, "--", label="sigmoid + quadratic, η = 3")
ax.set(title="30 hidden sigmoid units: output layers and costs", xlabel="epoch",
       ylabel="test accuracy (%)", ylim=(0, 100))
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# Where they end is a different question, and one seed does not answer it. Over five seeds
# (each its own initial weights and mini-batch order), the end accuracy of softmax with
# log-likelihood minus that of sigmoid outputs with the quadratic cost, both at $\eta = 0.5$:

# %%
seeds = range(5)
gaps, lines = [], []
for seed in seeds:
    ce = history30 if seed == 0 else train([64, 30, 10], seed=seed)[1]
    quad = quadratic if seed == 0 else train([64, 30, 10], loss=quadratic_cost,
                                             output="sigmoid", seed=seed)[1]
    gaps.append(100 * (ce["val_accuracy"][-1] - quad["val_accuracy"][-1]))
    lines.append(f"seed {seed}: softmax {ce['val_accuracy'][-1]:.1%}, quadratic "
                 f"{quad['val_accuracy'][-1]:.1%}, gap {gaps[-1]:+.1f} points")
print("\n".join(lines) + f"\ngap over {len(gaps)} seeds: mean {np.mean(gaps):+.1f} points, "
      f"from {min(gaps):+.1f} to {max(gaps):+.1f}")

# %% [markdown]
# So after 30 epochs the softmax network ends a point or so higher on average, and within about
# two points on every seed: the large difference is the start.
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
_, mean_of_outputs = train([64, 30, 10], loss=lambda out, y: nn.mse(out, np.eye(10)[y],
                                                                    half=True), output="sigmoid")
print(f"gradient of C / gradient of the mean over outputs: {sizes[0] / sizes[1]:.6f}\n"
      f"after 30 epochs at eta = 0.5: C {quadratic['val_accuracy'][-1]:.1%}, mean over outputs "
      f"{mean_of_outputs['val_accuracy'][-1]:.1%}")
# %% [markdown]
# ## What the first layer learns
#
# Each hidden neuron's 64 incoming weights, drawn as an 8x8 image: strokes and blobs that the
# output layer combines into digits.

# %%
weights = mlp30.layers[0].weight.data                # (64, 30): a column per neuron
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
import tempfile
import pathlib
tiny = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
path = pathlib.Path(tempfile.mkdtemp()) / "tiny-images-idx3-ubyte"
path.write_bytes(bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in tiny.shape)
                 + tiny.tobytes())
read_back = nn.data.load_idx(path)
print(read_back.shape, "the same bytes:", np.array_equal(read_back, tiny))

# %% [markdown]
# ## What to try next
#
# * Add momentum (`nn.SGD(..., momentum=0.9)`) or a second hidden layer and compare.
# * Train with `relu` hidden units and a smaller learning rate.
# * Find the learning rate at which the quadratic cost's training becomes unstable.
# * Train the moons network with `relu` replaced by `tanh`, or with 4 hidden neurons, and
#   compare the boundaries.
# * See a whole training step as generated code: `autograd.backward_code(loss, model=net)`
#   (notebook 1 reads one for a neuron), and train with it: `nn.fit(..., compile=True)`.
# * Look at the test digits the network gets wrong (`predicted != y_test`) and their images.
