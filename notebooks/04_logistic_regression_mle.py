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
# # 4. Logistic regression and maximum likelihood
#
# **What you will learn:** the likelihood of data as a function of a parameter and where it is
# largest; logistic regression fitted by maximum likelihood with the engine, on the O-ring data
# of the 23 shuttle flights before Challenger; and Newton's method, which uses second derivatives
# from the engine and needs far fewer iterations than gradient descent.

# %%
import math
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Tensor, grad
import nn
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## A binomial likelihood
#
# 34 of 100 throws of a die come up red. With $P(\text{red}) = p$ the likelihood is
# $\mathcal L(p) = \binom{100}{34} p^{34}(1-p)^{66}$. Its logarithm
# $\ell(p) = 34 \ln p + 66 \ln(1-p) + \text{const}$ has $\ell'(p) = 34/p - 66/(1-p) = 0$ at
# $p = 34/100$. If the die has $k$ red faces of six, only $p = k/6$ is possible, and $k = 2$ is
# the most likely. Below the maximum is found three ways: on a grid, by gradient ascent on
# $\ell$ with the engine, and among the six-sided dice.

# %%
ps = np.linspace(0.001, 0.999, 999)
log_lik = 34 * np.log(ps) + 66 * np.log(1 - ps) + math.log(math.comb(100, 34))
faces = np.arange(1, 6) / 6
face_lik = np.exp(34 * np.log(faces) + 66 * np.log(1 - faces) + math.log(math.comb(100, 34)))
p_hat = 0.5
for _ in range(200):   # gradient ascent on the log-likelihood, with the engine
    p_hat += 1e-3 * grad(lambda p: 34 * p.log() + 66 * (1.0 - p).log())(p_hat)
print(f"grid {ps[np.argmax(log_lik)]:.3f}, gradient ascent {p_hat:.6f}, "
      f"best die {faces[np.argmax(face_lik)]:.4f} = 2/6")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ps, np.exp(log_lik), label="any p")
ax.plot(faces, face_lik, "o", label="p = k/6")
ax.axvline(0.34, color="gray", ls=":", label="p = 0.34")
ax.set(title="Likelihood of 34 red in 100 throws", xlabel="p = P(red)",
       ylabel="likelihood (probability of the data)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## The Challenger O-rings
#
# Before the 1986 launch at 31 °F, 23 flights recorded the launch temperature and whether an
# O-ring showed thermal distress. Logistic regression models
# $P(\text{distress}) = \sigma(\beta_0 + \beta_1 t)$; maximum likelihood minimises the negative
# log-likelihood, the binary cross-entropy
# $-\sum_i [y_i \log \sigma(z_i) + (1-y_i)\log(1-\sigma(z_i))]$. We centre the temperature
# (units of 10 °F around 70 °F) so that gradient descent is well conditioned, and stop when every
# component of the gradient is below $10^{-6}$.

# %%
temperature, distress = nn.data.load_challenger()
centred = (temperature - 70.0) / 10.0

def nll(beta):
    return nn.binary_cross_entropy_with_logits(beta[0] + beta[1] * Tensor(centred),
                                               distress.astype(float), reduction="sum")

beta, gd_norms = np.zeros(2), []
while (norm := np.abs(grad(nll)(beta)).max()) > 1e-6:
    gd_norms.append(norm)
    beta = beta - 0.05 * grad(nll)(beta)
print(f"{len(temperature)} flights, {distress.sum()} with distress; "
      f"gradient descent: {len(gd_norms)} steps, beta = {beta}")

# %% [markdown]
# Back in °F: $\beta_1 t' = \beta_1 (t - 70)/10$, so the slope per °F is $\beta_1/10$ and the
# intercept $\beta_0 - 70\,\beta_1/10$. These are the published maximum-likelihood estimates
# (intercept 15.04, slope −0.232 per °F), and at 31 °F, far colder than any earlier launch, the
# model gives a probability of distress of 0.9996.

# %%
slope = beta[1] / 10.0
intercept = beta[0] - 70.0 * slope
p31 = 1 / (1 + math.exp(-(intercept + slope * 31)))
print(f"P(distress) = sigmoid({intercept:.3f} + {slope:.4f} t); at 31 °F: {p31:.5f}")
t = np.linspace(25, 85, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(t, 1 / (1 + np.exp(-(intercept + slope * t))), label="fitted model")
ax.plot(temperature, distress + np.random.default_rng(0).uniform(-0.02, 0.02, 23), "o",
        label="flights (jittered)")
ax.axvline(31, color="red", ls="--", label="31 °F")
ax.set(title="Challenger O-ring distress", xlabel="launch temperature (°F)",
       ylabel="P(distress)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## Newton's method with the engine's second derivatives
#
# Gradient descent takes steps of a fixed size $\eta$ along the gradient. Newton's method fits a
# parabola through the current point and jumps to its minimum: it divides the gradient by the
# curvature, $\beta \leftarrow \beta - H^{-1}\nabla L$ with the Hessian $H$ of second derivatives.
# `autograd.hvp(f, x, v)` gives $Hv$ from the engine (the backward pass differentiated once
# more); applied to the unit vectors it gives the columns of $H$, which we check against the
# closed form $H = X^\top \mathrm{diag}(\sigma_i(1-\sigma_i))\, X$.

# %%
beta_newton, newton_norms = np.zeros(2), []
while (norm := np.abs(grad(nll)(beta_newton)).max()) > 1e-6:
    newton_norms.append(norm)
    hessian = np.stack([autograd.hvp(nll, beta_newton, e) for e in np.eye(2)])
    beta_newton = beta_newton - np.linalg.solve(hessian, grad(nll)(beta_newton))
print(f"Newton: {len(newton_norms)} steps; gradient descent: {len(gd_norms)} steps")
features = np.column_stack([np.ones(23), centred])    # the closed form: X^T diag(s(1-s)) X
s = 1 / (1 + np.exp(-features @ beta_newton))
hessian = np.stack([autograd.hvp(nll, beta_newton, e) for e in np.eye(2)])
closed_form = features.T @ (features * (s * (1 - s))[:, None])
print("the engine's Hessian:\n", hessian, "\nthe closed form:\n", closed_form)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(gd_norms, label=f"gradient descent, η = 0.05 ({len(gd_norms)} steps)")
ax.semilogy(newton_norms, "o-", label=f"Newton ({len(newton_norms)} steps)")
ax.axhline(1e-6, color="gray", ls=":", label="stopping tolerance")
ax.set(title="Convergence on the Challenger likelihood", xlabel="iteration",
       ylabel="largest gradient component (log scale)")
ax.legend(); ax.grid(alpha=0.3); plt.show()

# %% [markdown]
# ## What to try next
#
# * Fit the model without centring the temperature and watch gradient descent crawl.
# * Add a quadratic term in temperature and compare the maximum log-likelihoods.
# * Replace `hvp` by `grad(grad(...))` for a one-parameter model and check they agree.
