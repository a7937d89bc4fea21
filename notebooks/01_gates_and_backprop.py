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
# # 1. Gates and backpropagation
#
# **What you will learn:** how a computation becomes a graph of gates, how the chain rule runs
# backwards through it one gate at a time, and the four patterns every gradient follows: the add
# gate distributes, the mul gate swaps, the max gate routes, and a value used twice (fan-out)
# adds the gradients that come back. You will check $\sigma' = \sigma(1-\sigma)$ numerically and
# compute one weight's gradient in a two-layer network by hand and with the engine. Every number
# in the diagrams is checked against the math with `assert`.

# %%
import math
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Scalar, Tensor, grad, draw, explore
import nn
from course_checks import four_digits, legible, shown  # reads numbers back from diagrams
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Building a graph by hand
#
# Each operation on `Scalar` values records a node. For $f = (x + y)\,z$ at $x=-2, y=5, z=-4$
# the forward pass gives $q = x + y = 3$ and $f = q z = -12$. `f.backward()` then applies the
# chain rule from $f$ back to the inputs.

# %%
x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
q = x + y; q.label = "q"
f = q * z; f.label = "f"
f.backward()
assert f.data == -12.0 and (x.grad, y.grad, z.grad, q.grad) == (-4.0, -4.0, 3.0, -4.0)
diagram = draw(f, edge_values=True, gates=True)
assert shown(diagram) == {"f": (-12, 1), "q": (3, -4),
                          "x": (-2, -4), "y": (5, -4), "z": (-4, 3)}
legible(diagram)

# %% [markdown]
# As the legend says, green numbers are values (on the wires: the forward values) and red ones
# gradients (on the wires: the gradients flowing back).
#
# ## The chain rule, step by step
#
# Backward visits the gates in reverse topological order. Each gate multiplies the gradient
# arriving from above (*upstream*) by its own *local* gradient and sends the product down:
#
# 1. $f = q z$: upstream $\partial f/\partial f = 1$; local $\partial f/\partial q = z = -4$ and
#    $\partial f/\partial z = q = 3$; so $q$ receives $-4$ and $z$ receives $3$.
# 2. $q = x + y$: upstream $-4$; local $\partial q/\partial x = \partial q/\partial y = 1$; so
#    $\partial f/\partial x = \partial f/\partial q \cdot \partial q/\partial x = -4$, and the same for $y$.

# %%
steps = autograd.backward_steps(f)
print(steps)
assert steps.rows[0]["downstream"] == ["q <- -4", "z <- 3"]
assert steps.rows[1]["downstream"] == ["x <- -4", "y <- -4"]

# %% [markdown]
# The same steps as pictures: each diagram highlights the gate that is active. Here is step 2,
# the add gate handing $-4$ to both of its inputs.

# %%
pictures = steps.diagrams()
assert len(pictures) == len(steps) == 3
legible(pictures[1])

# %% [markdown]
# Or step through it yourself: `explore(f)` is a page that runs the backward pass one node at a
# time (the buttons, or the arrow keys after a click on the page), shows each gate's upstream
# gradient, local gradient and the product it sends down every wire, and ends with the `.grad`
# of every input. It needs nothing but a browser: `explore(f).save("f.html")` writes it to a file.

# %%
page = explore(f)
assert "mul swaps: q receives the upstream gradient times the other input, z" in page.html
page


# %% [markdown]
# ## The four gate patterns
#
# * **add distributes:** $\partial(a+b)/\partial a = 1$, so both inputs get the upstream $g$.
# * **mul swaps:** $\partial(ab)/\partial a = b$: each input gets $g$ times the *other* input.
# * **max routes:** only the larger input gets $g$; on a tie the engine splits it evenly.
# * **fan-out adds:** a value used twice receives the sum of the gradients of both uses.
#
# Each case below sends an upstream gradient $g = 2$ into one small expression.

# %%
def grads(fn, *values):
    leaves = [Scalar(v) for v in values]
    fn(*leaves).backward(2.0)           # an upstream gradient of 2
    return [leaf.grad for leaf in leaves]

assert grads(lambda a, b: a + b, 3.0, -1.0) == [2.0, 2.0]            # distributes
assert grads(lambda a, b: a * b, 3.0, -1.0) == [-2.0, 6.0]           # swaps
assert grads(lambda a, b: a.maximum(b), 3.0, -1.0) == [2.0, 0.0]     # routes
assert grads(lambda a, b: a.maximum(b), 3.0, 3.0) == [1.0, 1.0]      # a tie splits
assert grads(lambda a, b: a * b + a, 3.0, -1.0) == [2.0 * (-1 + 1), 2.0 * 3]  # fan-out adds
print("all four patterns hold")

# %% [markdown]
# All four in one picture: $h = \max(a, b) + a\,c$ at $a = 3, b = 1, c = -2$. The max gate routes
# its gradient to $a$ (the winner) and none to $b$; $a$ is used twice, so its gradient is the sum
# $1 + c = -1$.

# %%
a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
h = a.maximum(b) + a * c; h.label = "h"
h.backward()
assert (h.data, a.grad, b.grad, c.grad) == (-3.0, -1.0, 0.0, 3.0)
diagram = draw(h, edge_values=True, gates=True)
assert {k: shown(diagram)[k] for k in "abc"} == {"a": (3, -1), "b": (1, 0), "c": (-2, 3)}
assert "max gate: routes" in diagram.source and "fan-out adds: 2 gradients" in diagram.source
legible(diagram)

# %% [markdown]
# ## A sigmoid neuron
#
# $a = \sigma(w_0 x_0 + w_1 x_1 + w_2)$ with $\sigma(z) = 1/(1+e^{-z})$. At $w = (2,-3,-3)$,
# $x = (-1,-2)$: $z = -2 + 6 - 3 = 1$ and $a = \sigma(1) = 0.7311$. The sigmoid gate's local
# gradient is $\sigma(1)(1-\sigma(1)) = 0.1966$; the add gates distribute it, and the mul gates
# swap it onto weights and inputs: $\partial a/\partial w_0 = 0.1966\,x_0 = -0.1966$,
# $\partial a/\partial x_0 = 0.1966\,w_0 = 0.3932$, and so on. (Drawn top to bottom, to fit
# the page.)

# %%
w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                      zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
a = (w0 * x0 + w1 * x1 + w2).sigmoid(); a.label = "a"
a.backward()
s1 = 1 / (1 + math.exp(-1.0))
local = s1 * (1 - s1)
expected = {"w0": local * -1, "x0": local * 2, "w1": local * -2, "x1": local * -3, "w2": local}
for leaf in (w0, x0, w1, x1, w2):
    assert math.isclose(leaf.grad, expected[leaf.label])
diagram = draw(a, edge_values=True, gates=True, rankdir="TB")
numbers = shown(diagram)
assert numbers["a"] == (four_digits(s1), 1.0) and four_digits(local) == 0.1966
assert all(numbers[k][1] == four_digits(v) for k, v in expected.items())
legible(diagram)

# %% [markdown]
# The same backward pass as plain Python: `autograd.backward_code` writes one line per rule,
# in the order backward runs them, with the gate pattern as a comment (this is the code that
# `autograd.compile` runs on later calls).

# %%
code = autograd.backward_code(a)
assert "g_add3 = sigmoid_slope_times(g_a, a)  # sigmoid rule" in code
assert "g_w0 = g_mul0 * x0  # mul gate: swaps" in code
print(code[code.index("    # ---- forward"):code.index("    P[0].grad")])

# %% [markdown]
# Your turn: in exercise mode the explorer hides the gradients and asks you for each one in the
# order backward computes them; it checks your number against the engine's and says the rule.

# %%
exercise = explore(a, exercise=True, title="A sigmoid neuron: compute each gradient")
assert "sigmoid: the local gradient is out" in exercise.html
exercise

# %% [markdown]
# ## $\sigma'(x) = \sigma(x)(1-\sigma(x))$, checked numerically
#
# From $\sigma(x) = (1+e^{-x})^{-1}$:
# $\sigma'(x) = e^{-x}/(1+e^{-x})^2 = \sigma(x)\cdot\frac{e^{-x}}{1+e^{-x}} = \sigma(x)(1-\sigma(x))$.
# The engine's sigmoid rule uses exactly this identity. We compare it with a central finite
# difference $(\sigma(x+h) - \sigma(x-h))/2h$ over a range of $x$.

# %%
xs = np.linspace(-6, 6, 121)
engine_slope = np.array([grad(lambda t: t.sigmoid())(float(v)) for v in xs])
h = 1e-5
sigma = lambda v: 1 / (1 + np.exp(-v))
numeric = (sigma(xs + h) - sigma(xs - h)) / (2 * h)
assert np.allclose(engine_slope, numeric, atol=1e-9)
assert np.allclose(engine_slope, sigma(xs) * (1 - sigma(xs)))
assert math.isclose(engine_slope.max(), 0.25)   # at x = 0: 0.5 * (1 - 0.5)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, sigma(xs), label="σ(x)")
ax.plot(xs, engine_slope, label="σ'(x) from the engine")
ax.plot(xs[::6], numeric[::6], "k.", label="finite difference")
ax.set(title="The sigmoid and its derivative", xlabel="x (dimensionless)",
       ylabel="value (dimensionless)")
ax.legend(); ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## The derivative is a graph too
#
# With `create_graph=True` the backward pass records a graph of its own, so a gradient is a
# value like any other: it can be drawn and differentiated again. Here is $\partial s/\partial t$
# for $s = \sigma(t)$ at $t = 1$. The sigmoid gate's rule $g\,s(1-s)$ shows up as a mul, a sub
# and a mul of $s$ from the forward pass and the upstream gradient $g = 1$. Its value is
# $\sigma(1)(1-\sigma(1)) = 0.1966$, and differentiating it again gives
# $\sigma'' = \sigma(1-\sigma)(1-2\sigma)$.

# %%
t = Scalar(1.0, label="t")
s = t.sigmoid(); s.label = "s"
s.backward(create_graph=True)
slope = t.grad                       # a graph value: d s / d t
assert abs(slope.data - sigma(1.0) * (1 - sigma(1.0))) < 1e-12
curvature = grad(grad(lambda u: u.sigmoid()))(1.0)
assert abs(curvature - sigma(1.0) * (1 - sigma(1.0)) * (1 - 2 * sigma(1.0))) < 1e-12
print(f"d s / d t = {slope.data:.4f}, d2 s / d t2 = {curvature:.4f}")
picture = draw(slope)
assert "d s / d t: the backward pass as a graph" in picture.source
legible(picture)

# %% [markdown]
# ## A two-layer network, neuron by neuron
#
# Two inputs $x_1, x_2$, two hidden sigmoid neurons, one sigmoid output $\hat y$:
# $z_j = x_1 w_{1j} + x_2 w_{2j} + b_j$ and $a_j = \sigma(z_j)$ for $j = 1, 2$; then
# $z_{out} = a_1 v_1 + a_2 v_2 + c$, $\hat y = \sigma(z_{out})$ and $L = (y - \hat y)^2$.
# By the chain rule, along the only path from $w_{11}$ to $L$:
# $$\frac{\partial L}{\partial w_{11}} =
# \underbrace{-2(y - \hat y)}_{\partial L/\partial \hat y}\;
# \underbrace{\sigma'(z_{out})}_{\partial \hat y/\partial z_{out}}\;
# \underbrace{v_1}_{\partial z_{out}/\partial a_1}\;
# \underbrace{\sigma'(z_1)}_{\partial a_1/\partial z_1}\;
# \underbrace{x_1}_{\partial z_1/\partial w_{11}}.$$
# `nn.MLP(..., value=Scalar)` builds exactly these neurons from Scalars; we label its
# parameters with the names used here.

# %%
net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
hidden, out = net.layers
for i, j in np.ndindex(2, 2):
    hidden.weight[i][j].label = f"w{i + 1}{j + 1}"      # input i+1 -> hidden neuron j+1
hidden.bias[0].label, hidden.bias[1].label = "b1", "b2"
out.weight[0][0].label, out.weight[1][0].label, out.bias[0].label = "v1", "v2", "c"
x_in = [Scalar(0.5, label="x1", requires_grad=False), Scalar(-1.0, label="x2",
                                                            requires_grad=False)]
target = 1.0
y_hat = net(x_in)[0]; y_hat.label = "yhat"
loss = (target - y_hat) ** 2; loss.label = "L"
loss.backward()
w11, w21, b1, v1 = hidden.weight[0][0], hidden.weight[1][0], hidden.bias[0], out.weight[0][0]
z1 = x_in[0].data * w11.data + x_in[1].data * w21.data + b1.data
s = lambda v: 1 / (1 + math.exp(-v))
by_hand = (-2 * (target - y_hat.data) * y_hat.data * (1 - y_hat.data) * v1.data
           * s(z1) * (1 - s(z1)) * x_in[0].data)
print(f"dL/dw11 by hand {by_hand:.10f}, by the engine {w11.grad:.10f}")
assert math.isclose(by_hand, w11.grad, rel_tol=1e-12)

# %% [markdown]
# The whole network as a diagram, each layer in its own box: its weights and bias, the
# products and the sums that make $z_j$ (the sigmoids are outside, as in `nn.MLP`).

# %%
diagram = draw(loss, model=net, rankdir="TB")
numbers = shown(diagram)
assert diagram.source.count("cluster_") == 2          # one box per layer
assert numbers["w11"] == (four_digits(w11.data), four_digits(w11.grad))
assert {"w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c", "yhat"} <= set(numbers)
legible(diagram)

# %% [markdown]
# ## What to try next
#
# * Change the inputs of the neuron and predict the gradients before running the cell.
# * Replace `sigmoid` by `relu` or `tanh` in the network and compare $\partial L/\partial w_{11}$.
# * Step through the network's backward pass with `explore(loss, exercise=True)`, or print it
#   as a table: `print(autograd.backward_steps(loss))`.
# * Draw a bigger expression from the shell:
#   `python -m autograd.draw "tanh(x*w + b)" x=1 w=2 b=-1 -o graph.svg`.
