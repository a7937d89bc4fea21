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
# **What you will learn:** what a derivative measures, by nudging an input and watching the
# output; how a computation becomes a graph of gates, and how the chain rule runs backwards
# through it one gate at a time instead of nudging every input; the four patterns every
# gradient follows (the add gate distributes, the mul gate swaps, the max gate routes, a value
# used twice adds the gradients that come back); $\sigma' = \sigma(1-\sigma)$; how to write a
# gate's backward rule yourself and have it checked; and one weight's gradient in a two-layer
# network, by hand and by the engine.

# %%
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Scalar, grad, draw, explore
from autograd.testing import GradcheckError, gradcheck
import nn

# %% [markdown]
# ## The slope of a function, by nudging its input
#
# The derivative of $f$ at $x$ says how much $f$ moves when $x$ moves a little:
# $\frac{f(x + h) - f(x)}{h}$ for a small $h$. For $f(x) = 3x^2 - 4x + 5$ (`parabola` below) at
# $x = 3$, the calculus answer is $f'(x) = 6x - 4 = 14$; the nudges get closer to it as $h$
# shrinks (until $h$ is so small that the floats' rounding takes over).

# %%
def parabola(x):
    return 3 * x**2 - 4 * x + 5

nudges = {h: (parabola(3 + h) - parabola(3)) / h for h in (0.1, 0.001, 0.00001)}
for h, slope in nudges.items():
    print(f"h = {h:<7}: (f(3 + h) - f(3)) / h = {slope:.5f}")

# %% [markdown]
# With several inputs, nudge one at a time. For $d = a b + c$ at $a = 2, b = -3, c = 10$
# ($d = 4$), nudging $a$ moves $d$ by $b = -3$ times the nudge, nudging $b$ by $a = 2$ times it,
# and nudging $c$ by the nudge itself: those are $\partial d/\partial a$, $\partial d/\partial b$
# and $\partial d/\partial c$.

# %%
a, b, c, nudge = 2.0, -3.0, 10.0, 0.0001
d = a * b + c
nudged = {"a": (a + nudge) * b + c, "b": a * (b + nudge) + c, "c": a * b + (c + nudge)}
slopes = {name: (value - d) / nudge for name, value in nudged.items()}
for name, slope in slopes.items():
    print(f"nudge {name}: d moves by {slope:.4f} times the nudge")

# %% [markdown]
# A network has thousands of inputs (its weights); nudging each one costs a forward pass per
# weight. Backpropagation gets all the slopes in one backward pass: it records the computation
# as a graph of small gates whose own slopes (local gradients) are known, and chains them.
#
# ## Building a graph by hand
#
# Each operation on `Scalar` values records a node. For $f = (x + y)\,z$ at $x=-2, y=5, z=-4$
# the forward pass gives $q = x + y = 3$ and $f = q z = -12$. `f.backward()` then applies the
# chain rule from $f$ back to the inputs. Green numbers are values (on the wires: the forward
# values), red ones gradients (on the wires: the gradients flowing back).

# %%
x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
q = x + y; q.label = "q"
f = q * z; f.label = "f"
f.backward()
draw(f, edge_values=True, gates=True)

# %% [markdown]
# ## The chain rule, step by step
#
# Backward visits the gates in reverse topological order. Each gate multiplies the gradient
# arriving from above (*upstream*) by its own *local* gradient and sends the product down:
#
# 1. $f = q z$: upstream $\partial f/\partial f = 1$; local $\partial f/\partial q = z = -4$ and
#    $\partial f/\partial z = q = 3$; so $q$ receives $-4$ and $z$ receives $3$.
# 2. $q = x + y$: upstream $-4$; local $\partial q/\partial x = \partial q/\partial y = 1$; so
#    $\partial f/\partial x = \partial f/\partial q \cdot \partial q/\partial x = -4$, and the same for $y$.
#
# Nudging agrees: $x$ by $h$ moves $f$ by $z h = -4h$.

# %%
steps = autograd.backward_steps(f)
print(steps)

# %% [markdown]
# The same steps as pictures: each diagram highlights the gate that is active. Here is step 2,
# the add gate handing $-4$ to both of its inputs.

# %%
pictures = steps.diagrams()
pictures[1]

# %% [markdown]
# Or step through it yourself: `explore(f)` runs the backward pass one node at a time (the
# buttons, or the arrow keys after a click on it), shows each gate's upstream gradient, local
# gradient and the product it sends down every wire, and ends with the `.grad` of every input.
# `explore(f).save("f.html")` writes it to a page that needs nothing but a browser.

# %%
explore(f)

# %% [markdown]
# ## The four gate patterns
#
# * **add distributes:** $\partial(a+b)/\partial a = 1$, so both inputs get the upstream $g$.
# * **mul swaps:** $\partial(ab)/\partial a = b$: each input gets $g$ times the *other* input.
# * **max routes:** only the larger input gets $g$; on a tie the engine splits it evenly.
# * **fan-out adds:** a value used twice receives the sum of the gradients of both uses.
#
# Each case below sends an upstream gradient $g = 2$ into one small expression at
# $a = 3, b = -1$ (and a tie, $a = b = 3$, for max). In $ab + a$, $a$ receives $2b$ from the
# product and $2$ from its second use: $2 \cdot (-1) + 2 = 0$.

# %%
def grads(fn, *values):
    leaves = [Scalar(v) for v in values]
    fn(*leaves).backward(2.0)           # an upstream gradient of 2
    return [leaf.grad for leaf in leaves]

patterns = {"a + b (distributes)": grads(lambda a, b: a + b, 3.0, -1.0),
            "a * b (swaps)": grads(lambda a, b: a * b, 3.0, -1.0),
            "max(a, b) (routes)": grads(lambda a, b: a.maximum(b), 3.0, -1.0),
            "max(a, b), a tie (splits)": grads(lambda a, b: a.maximum(b), 3.0, 3.0),
            "a * b + a (fan-out adds)": grads(lambda a, b: a * b + a, 3.0, -1.0)}
for name, (ga, gb) in patterns.items():
    print(f"{name:>26}: a receives {ga:g}, b receives {gb:g}")

# %% [markdown]
# All four in one picture: $h = \max(a, b) + a\,c$ at $a = 3, b = 1, c = -2$. The max gate routes
# its gradient to $a$ (the winner) and none to $b$; $a$ is used twice, so its gradient is the sum
# $1 + c = -1$.

# %%
a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
h = a.maximum(b) + a * c; h.label = "h"
h.backward()
draw(h, edge_values=True, gates=True)

# %% [markdown]
# ## A sigmoid neuron
#
# $a = \sigma(z)$ with $z = w_0 x_0 + w_1 x_1 + w_2$ and $\sigma(z) = 1/(1+e^{-z})$. At
# $w = (2,-3,-3)$, $x = (-1,-2)$: $z = -2 + 6 - 3 = 1$ and $a = \sigma(1) = 0.7311$. The sigmoid
# gate's local gradient is $\sigma(1)(1-\sigma(1)) = 0.1966$; the add gates distribute it, and
# the mul gates swap it onto weights and inputs: $\partial a/\partial w_0 = 0.1966\,x_0 = -0.1966$,
# $\partial a/\partial x_0 = 0.1966\,w_0 = 0.3932$, and so on. We label the values the text
# names ($z$, $a$); the others are named by their op, counted from the inputs up (`mul1` is
# $w_0 x_0$, `add1` is $w_0 x_0 + w_1 x_1$), and keep those names in every view below. Each box
# shows its name and the gate that computed it, its value (green) and gradient (red).

# %%
w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                      zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
z = w0 * x0 + w1 * x1 + w2; z.label = "z"
a = z.sigmoid(); a.label = "a"
a.backward()
draw(a, edge_values=True, gates=True, rankdir="TB", compact=True)

# %% [markdown]
# The explorer teaches this one better than a picture: step through the neuron's backward pass
# and watch $0.1966$ travel down the wires. In Jupyter it is live: click an input's value and
# type a new one (say $x_0 = 1$), and the kernel recomputes the forward and the backward pass of
# the same graph, so every number and step updates; "step of gradient descent" moves every
# input that needs a gradient by $-\eta \cdot$ grad and plots $a$'s history.

# %%
explore(a, title="A sigmoid neuron")

# %% [markdown]
# The same backward pass as plain Python: `autograd.backward_code` writes one line per rule,
# in the order backward runs them, with the gate pattern as a comment (this is the code that
# `autograd.compile` runs on later calls). The names are the diagram's: `g_mul1` is the
# gradient of `mul1`.

# %%
code = autograd.backward_code(a)
print(code[code.index("    # ---- forward"):code.index("    P[0].grad")])

# %% [markdown]
# Your turn: in exercise mode the explorer hides the gradients and asks you for each one in the
# order backward computes them; it checks your number against the engine's and says the rule.

# %%
explore(a, exercise=True, title="A sigmoid neuron: compute each gradient")

# %% [markdown]
# ## Your turn: write a gate's backward rule
#
# Every gate of the engine is a row of its op table: a forward function and a backward rule
# `rule(g, out, *inputs)` that returns one gradient per input. `autograd.primitive` adds a row
# of your own. Here is a first try at the mul gate: it forgets the swap and gives each input
# $g$ times *itself*. `gradcheck` compares every gradient of a function with nudges (central
# differences) and, when one is wrong, re-runs the function and names the first rule that
# disagrees with nudging its own op.

# %%
def times_rule(g, out, x, y):
    return (g * x, g * y)               # the first try: no swap

@autograd.primitive(times_rule, name="times_first_try")
def times(x, y):
    return x * y

def neuron_with(times, w0, x0):
    return times(w0, x0).sigmoid()

try:
    gradcheck(lambda w, x: neuron_with(times, w, x), Scalar(2.0), Scalar(-1.0))
except GradcheckError as error:
    first_try = error
    print(error)

# %% [markdown]
# The report names the culprit (`times_first_try`), the wire and both numbers. Fix the rule
# (each input gets $g$ times the *other* input) and give the row a new name: the op table keeps
# one rule per name.

# %%
def times_rule(g, out, x, y):
    return (g * y, g * x)               # mul swaps

@autograd.primitive(times_rule, name="times_fixed")
def times(x, y):
    return x * y

fixed = gradcheck(lambda w, x: neuron_with(times, w, x), Scalar(2.0), Scalar(-1.0))
print("gradcheck passes:", fixed)

# %% [markdown]
# ## $\sigma'(x) = \sigma(x)(1-\sigma(x))$, checked by nudging
#
# From $\sigma(x) = (1+e^{-x})^{-1}$:
# $\sigma'(x) = e^{-x}/(1+e^{-x})^2 = \sigma(x)\cdot\frac{e^{-x}}{1+e^{-x}} = \sigma(x)(1-\sigma(x))$.
# The engine's sigmoid rule uses exactly this identity. We compare it with a central nudge
# $(\sigma(x+h) - \sigma(x-h))/2h$ over a range of $x$; the largest slope, $0.25$, is at $x = 0$.

# %%
xs = np.linspace(-6, 6, 121)
engine_slope = np.array([grad(lambda t: t.sigmoid())(float(v)) for v in xs])
eps = 1e-5
sigma = lambda v: 1 / (1 + np.exp(-v))
numeric = (sigma(xs + eps) - sigma(xs - eps)) / (2 * eps)
print(f"largest difference from the nudges: {np.abs(engine_slope - numeric).max():.1e}")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, sigma(xs), label="σ(x)")
ax.plot(xs, engine_slope, label="σ'(x) from the engine")
ax.plot(xs[::6], numeric[::6], "k.", label="central nudge")
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
curvature = grad(grad(lambda u: u.sigmoid()))(1.0)
print(f"d s / d t = {slope.data:.4f}, d2 s / d t2 = {curvature:.4f}")
draw(slope)

# %% [markdown]
# ## A two-layer network, neuron by neuron
#
# Two inputs $x_1, x_2$, two hidden sigmoid neurons, one sigmoid output $\hat y$ and a target $y$:
# $z_j = x_1 w_{1j} + x_2 w_{2j} + b_j$ and $a_j = \sigma(z_j)$ for $j = 1, 2$; then
# $z_{out} = a_1 v_1 + a_2 v_2 + c$, $\hat y = \sigma(z_{out})$ and $L = (y - \hat y)^2$.
# By the chain rule, along the only path from $w_{11}$ to $L$:
# $$\frac{\partial L}{\partial w_{11}} =
# \underbrace{-2(y - \hat y)}_{\partial L/\partial \hat y}\;
# \underbrace{\sigma'(z_{out})}_{\partial \hat y/\partial z_{out}}\;
# \underbrace{v_1}_{\partial z_{out}/\partial a_1}\;
# \underbrace{\sigma'(z_1)}_{\partial a_1/\partial z_1}\;
# \underbrace{x_1}_{\partial z_1/\partial w_{11}}.$$
# We build it from Scalars, labelled with the names used here.

# %%
def leaf(value, name, requires_grad=True):
    return Scalar(value, label=name, requires_grad=requires_grad)

x1, x2, y = leaf(0.5, "x1", False), leaf(-1.0, "x2", False), leaf(1.0, "y", False)
w11, w12, w21, w22 = leaf(-0.59, "w11"), leaf(0.43, "w12"), leaf(-0.37, "w21"), leaf(0.12, "w22")
b1, b2, v1, v2, c = leaf(-0.57, "b1"), leaf(-0.09, "b2"), leaf(-0.03, "v1"), leaf(-0.48, "v2"), \
    leaf(0.33, "c")
z1 = x1 * w11 + x2 * w21 + b1; z1.label = "z1"
a1 = z1.sigmoid(); a1.label = "a1"
z2 = x1 * w12 + x2 * w22 + b2; z2.label = "z2"
a2 = z2.sigmoid(); a2.label = "a2"
z_out = a1 * v1 + a2 * v2 + c; z_out.label = "z_out"
y_hat = z_out.sigmoid(); y_hat.label = "yhat"
loss = (y - y_hat) ** 2; loss.label = "L"
loss.backward()
sigmoid_slope = lambda out: out.data * (1 - out.data)    # σ'(z) = σ(z)(1 - σ(z)) = a(1 - a)
by_hand = (-2 * (y.data - y_hat.data) * sigmoid_slope(y_hat) * v1.data * sigmoid_slope(a1)
           * x1.data)
print(f"dL/dw11 by hand {by_hand:.10f}, by the engine {w11.grad:.10f}")

# %% [markdown]
# The whole network, top to bottom, with the names of the text: the first layer's products and
# partial sums (`mul1` to `mul4`, `add1`, `add2`) feed $z_1$ and $z_2$, then $a_1, a_2$, the
# output layer and the loss ($L$ is `pow 2` of $y - \hat y$).

# %%
draw(loss, rankdir="TB", compact=True)

# %% [markdown]
# `nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar)` builds exactly
# these neurons. Given the same weights it computes the same loss and the same gradient (its
# weight matrix holds $w_{ij}$ at row $i$, column $j$).

# %%
net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar)
hidden, output = net.layers
for (i, j), value in np.ndenumerate([[w11.data, w12.data], [w21.data, w22.data]]):
    hidden.weight[i][j].data = value
hidden.bias[0].data, hidden.bias[1].data = b1.data, b2.data
output.weight[0][0].data, output.weight[1][0].data, output.bias[0].data = v1.data, v2.data, c.data
net_loss = (y - net([x1, x2])[0]) ** 2
net_loss.backward()
print(f"nn.MLP: loss {net_loss.data:.10f} (by hand {loss.data:.10f}), "
      f"dL/dw11 {hidden.weight[0][0].grad:.10f}")

# %% [markdown]
# ## What to try next
#
# * Change the inputs of the neuron and predict the gradients before running the cell.
# * Write the rule of another gate with `autograd.primitive` (say $\tanh$, whose local gradient
#   is $1 - \tanh^2$) and check it with `gradcheck`.
# * Step through the network's backward pass with `explore(loss, exercise=True)`, or print it
#   as a table: `print(autograd.backward_steps(loss))`.
# * Draw a bigger expression from the shell:
#   `python -m autograd.draw "tanh(x*w + b)" x=1 w=2 b=-1 -o graph.svg`.
