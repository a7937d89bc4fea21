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
# # 3. Linear regression three ways
#
# **What you will learn:** the least-squares line in closed form, the normal equation and the
# pseudo-inverse for several inputs, gradient descent with the engine and the effect of the
# learning rate, why squared error is the negative log-likelihood of Gaussian noise, and
# mini-batch stochastic gradient descent (SGD).

# %%
import math
import numpy as np
import matplotlib.pyplot as plt
from autograd import Tensor, grad
import nn
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Three points, closed form
#
# For the points $(0, 0), (1, 1), (1, 2)$ and the model $\hat y = w_0 + w_1 x$, minimising
# $L = \sum_i (y_i - w_1 x_i - w_0)^2$ means setting both partial derivatives to zero, which gives
# $$w_1 = \frac{\sum_i (x_i - \bar x)(y_i - \bar y)}{\sum_i (x_i - \bar x)^2} = 1.5, \qquad
# w_0 = \bar y - w_1 \bar x = 0:$$
# the line passes through the middle of the two points at $x = 1$.

# %%
x, y = np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0])
w1 = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
w0 = y.mean() - w1 * x.mean()
print(f"w1 = {w1:g}, w0 = {w0:g}")
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(x, y, "o", label="data")
ax.plot([-0.2, 1.2], [w0 - 0.2 * w1, w0 + 1.2 * w1], label=f"ŷ = {w0:.1f} + {w1:.1f} x")
ax.set(title="The least-squares line through three points", xlabel="x (arbitrary units)",
       ylabel="y (arbitrary units)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Several inputs: the normal equation
#
# With a column of ones and one column per input in the design matrix $A$, the model is
# $\hat y = A w$ and $\nabla_w \lVert y - A w\rVert^2 = -2A^\top(y - Aw) = 0$ gives the **normal
# equation** $A^\top A\, w = A^\top y$. The pseudo-inverse $w = A^+ y$ gives the same answer and
# also works when $A^\top A$ is singular. First the three points, then three inputs.

# %%
A = np.stack([np.ones_like(x), x], axis=1)       # the design matrix, a column per weight
normal = np.linalg.solve(A.T @ A, A.T @ y)          # the normal equation
print("three points: w0, w1 =", normal, " pseudo-inverse:", np.linalg.pinv(A) @ y)

rng = np.random.default_rng(0)
inputs = rng.normal(size=(50, 3))
true_w = np.array([0.5, 2.0, -1.0, 3.0])            # bias first, then one weight per input
design = np.column_stack([np.ones(50), inputs])
targets = design @ true_w + rng.normal(scale=0.05, size=50)
w_normal = np.linalg.solve(design.T @ design, design.T @ targets)
w_pinv = np.linalg.pinv(design) @ targets
print("three inputs: w =", w_normal, "(true:", true_w, ")")


# %% [markdown]
# ## Gradient descent with the engine
#
# The same three points, now by gradient descent from $w_0 = w_1 = 1$ with $\eta = 0.1$. The
# gradient is $\partial L/\partial w_0 = -2\sum_i r_i$, $\partial L/\partial w_1 = -2\sum_i r_i x_i$
# with residuals $r_i = y_i - w_1 x_i - w_0$. At the start $r = (-1, -1, 0)$, so the gradient is
# $(4, 2)$ and the first step lands on $(0.6, 0.8)$, the second on $(0.52, 0.84)$.

# %%
def descend(lr, steps, start=(1.0, 1.0)):
    w0, w1 = Tensor(start[0], requires_grad=True), Tensor(start[1], requires_grad=True)
    opt = nn.SGD([w0, w1], lr=lr)
    path, losses = [start], []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.sse(w1 * x + w0, y)
        loss.backward(); opt.step()
        path.append((w0.item(), w1.item())); losses.append(loss.item())
    return np.array(path), losses

path, _ = descend(0.1, 100)
print("first four steps (w0, w1):", np.round(path[1:5], 6).tolist())
print(f"after 100 steps: w0 = {path[-1][0]:.3g}, w1 = {path[-1][1]:.6g}")

# %% [markdown]
# The lecture's worked example slips at step 2: it prints $w_0 = 0.54$ where the arithmetic gives
# $0.52$ (and the engine agrees with the arithmetic). Continuing from its $(0.54, 0.84)$, every
# later iterate is off, by $(+0.008, -0.008)$ at step 3, but the slip is forgotten as descent goes
# on: each step shrinks it by the factor $0.912$ of the bowl's flat direction, to about $10^{-6}$
# at step 100, and both runs end at the same minimum. Its "after 100 steps" pair
# $(7.71 \cdot 10^{-5}, 1.49989)$ is $w_0$ at step 98 and $w_1$ at step 97 of the correct
# iteration; at step 100 the correct pair is $(6.42 \cdot 10^{-5}, 1.49992)$.

# %%
slipped, _ = descend(0.1, 98, start=(0.54, 0.84))    # step 2 as the lecture prints it
off = slipped - path[2:]                             # slipped[k] is step k + 2
for step in (3, 4, 10, 50, 100):
    print(f"step {step:>3}: the slip's iterate is off by ({off[step - 2][0]:+.2e}, "
          f"{off[step - 2][1]:+.2e})")
print(f"w0 at step 98: {path[98][0]:.3g};  w1 at step 97: {path[97][1]:.6g}")

# %% [markdown]
# The path of the weights over the contours of the loss: a bowl whose minimum is at $(0, 1.5)$.

# %%
g0, g1 = np.meshgrid(np.linspace(-0.6, 1.2, 120), np.linspace(0.4, 2.0, 120))
surface = sum((yi - g1 * xi - g0) ** 2 for xi, yi in zip(x, y))
fig, ax = plt.subplots(figsize=(5.5, 4))
contours = ax.contour(g0, g1, surface, levels=[0.5, 0.6, 0.8, 1, 1.5, 2, 3, 4], cmap="viridis")
ax.clabel(contours, fontsize=7)
ax.plot(path[:, 0], path[:, 1], ".-", color="tab:red", label="gradient descent, η = 0.1")
ax.plot(0, 1.5, "k*", markersize=12, label="minimum (0, 1.5)")
ax.set(title="Gradient descent on the sum of squared errors", xlabel="w0 (intercept)",
       ylabel="w1 (slope)")
ax.legend(loc="upper right"); plt.show()

# %% [markdown]
# ## The learning rate
#
# The loss is a quadratic bowl with Hessian $2A^\top A$; descent converges only when
# $\eta < 2/\lambda_{max} = 0.219$. Too small is slow, too large diverges.

# %%
limit = 2 / np.linalg.eigvalsh(2 * A.T @ A).max()
runs = {lr: descend(lr, 40)[1] for lr in (0.01, 0.1, 0.25)}
fig, ax = plt.subplots(figsize=(6, 3.5))
for lr, losses in runs.items():
    kind = "too small" if lr < 0.05 else "good" if lr < limit else "diverges"
    ax.semilogy(losses, label=f"η = {lr} ({kind})")
ax.set(title=f"Loss per step (diverges above η = {limit:.3f})", xlabel="step",
       ylabel="sum of squared errors (log scale)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Squared error is a Gaussian negative log-likelihood
#
# If $y = \hat y + \varepsilon$ with $\varepsilon \sim N(0, \sigma^2)$, then
# $p(y) = \frac{1}{\sigma\sqrt{2\pi}}\exp\left(-\frac{(y-\hat y)^2}{2\sigma^2}\right)$ and
# $$-\log p(y) = \frac{(y - \hat y)^2}{2\sigma^2} + \log(\sigma\sqrt{2\pi}):$$
# for a fixed $\sigma$ the negative log-likelihood of the data is the squared error, scaled and
# shifted, so maximum likelihood and least squares find the same weights.

# %%
sigma = 0.7
def gaussian_nll(w):
    w0, w1 = w[0], w[1]
    r = y - (w1 * x + w0)
    return ((r * r) / (2 * sigma**2)).sum() + len(y) * math.log(sigma * math.sqrt(2 * math.pi))
w = np.array([0.3, -0.2])
for _ in range(500):
    w = w - 0.05 * grad(gaussian_nll)(w)
print("maximum likelihood weights:", w)

# %% [markdown]
# ## Mini-batch SGD
#
# On 1,000 noisy points of $y = 3x - 1$, each step uses the gradient of only a mini-batch of 32
# points: a noisy but cheap estimate of the full gradient. `nn.data.batches` shuffles the data
# each epoch; five epochs (about 160 steps) reach the least-squares fit.

# %%
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(1000, 1)); Y = 3 * X[:, 0] - 1 + rng.normal(scale=0.1, size=1000)
model = nn.Linear(1, 1, rng=0)
opt = nn.SGD(model.parameters(), lr=0.1)
batch_losses = []
for epoch in range(5):
    for xb, yb in nn.data.batches(X, Y, 32, seed=epoch):
        opt.zero_grad()
        loss = nn.mse(model(Tensor(xb)).reshape(-1), yb)
        loss.backward(); opt.step()
        batch_losses.append(loss.item())
print("weight", model.weight.data.ravel(), "bias", model.bias.data)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(batch_losses)
ax.set(title="Mini-batch SGD: loss of each batch of 32", xlabel="step",
       ylabel="mean squared error (log scale)")
ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## What to try next
#
# * Add a feature $x^2$ to the design matrix and fit a parabola.
# * Try momentum (`nn.SGD(..., momentum=0.9)`) with $\eta = 0.25$, where plain descent diverged.
# * Change the batch size to 1 and to 1,000 and compare the noise in the loss curve.
