"""Build the course notebooks from the cells below and execute them, saving their outputs.

    python notebooks/build.py            # every notebook
    python notebooks/build.py 03         # the notebooks whose name starts with 03

The notebooks are committed with their outputs; the test command re-executes them (nbmake).
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent
NOTEBOOKS = {}


def notebook(name):
    """Register a function returning the cells of notebook `name`."""
    def register(cells):
        NOTEBOOKS[name] = cells
        return cells
    return register


def md(text):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text):
    return nbformat.v4.new_code_cell(text.strip())


SETUP = code("""
import math
import numpy as np
import matplotlib.pyplot as plt
import autograd
from autograd import Scalar, Tensor, grad, draw
import nn
np.set_printoptions(precision=4, suppress=True)
""")


@notebook("01_gates_and_backprop")
def gates():
    return [
        md("""
# 1. Gates and backpropagation

**What you will learn:** how a computation becomes a graph of gates, how the chain rule runs
backwards through it one gate at a time, and the four patterns every gradient follows: the add
gate distributes, the mul gate swaps, the max gate routes, and a value used twice (fan-out)
adds the gradients that come back. You will check $\\sigma' = \\sigma(1-\\sigma)$ numerically and
compute one weight's gradient in a two-layer network by hand and with the engine. Every number
in the diagrams is checked against the math with `assert`.
"""),
        SETUP,
        md("""
Diagrams show each value's data and gradient. To check that a picture says what the math says,
this small helper reads the numbers back out of a diagram's DOT source (4 significant digits).
"""),
        code("""
import re

def shown(diagram):
    \"\"\"{name: (data, grad)} for every value box in a diagram, as printed in it.\"\"\"
    boxes = re.findall(r"<B>([^<]+)</B></TD></TR><TR><TD>data ([^<]+)</TD></TR>"
                       r"<TR><TD>grad ([^<]+)</TD>", diagram.source)
    return {name: (float(data), float(grad)) for name, data, grad in boxes}

def four_digits(value):
    return float(f"{value:.4g}")
"""),
        md("""
## Building a graph by hand

Each operation on `Scalar` values records a node. For $f = (x + y)\\,z$ at $x=-2, y=5, z=-4$
the forward pass gives $q = x + y = 3$ and $f = q z = -12$. `f.backward()` then applies the
chain rule from $f$ back to the inputs.
"""),
        code("""
x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
q = x + y; q.label = "q"
f = q * z; f.label = "f"
f.backward()
assert f.data == -12.0 and (x.grad, y.grad, z.grad, q.grad) == (-4.0, -4.0, 3.0, -4.0)
diagram = draw(f, edge_values=True, gates=True)
assert shown(diagram) == {"f": (-12, 1), "q": (3, -4),
                          "x": (-2, -4), "y": (5, -4), "z": (-4, 3)}
diagram
"""),
        md("""
Green numbers on the wires are forward values, red ones the gradients flowing back.

## The chain rule, step by step

Backward visits the gates in reverse topological order. Each gate multiplies the gradient
arriving from above (*upstream*) by its own *local* gradient and sends the product down:

1. $f = q z$: upstream $\\partial f/\\partial f = 1$; local $\\partial f/\\partial q = z = -4$ and
   $\\partial f/\\partial z = q = 3$; so $q$ receives $-4$ and $z$ receives $3$.
2. $q = x + y$: upstream $-4$; local $\\partial q/\\partial x = \\partial q/\\partial y = 1$; so
   $\\partial f/\\partial x = \\partial f/\\partial q \\cdot \\partial q/\\partial x = -4$, and the same for $y$.
"""),
        code("""
steps = autograd.backward_steps(f)
print(steps)
assert steps.rows[0]["downstream"] == ["q <- -4", "z <- 3"]
assert steps.rows[1]["downstream"] == ["x <- -4", "y <- -4"]
"""),
        md("""
The same steps as pictures: each diagram highlights the gate that is active. Here is step 2,
the add gate handing $-4$ to both of its inputs.
"""),
        code("""
pictures = steps.diagrams()
assert len(pictures) == len(steps) == 3
pictures[1]
"""),
        md("""
## The four gate patterns

* **add distributes:** $\\partial(a+b)/\\partial a = 1$, so both inputs get the upstream $g$.
* **mul swaps:** $\\partial(ab)/\\partial a = b$: each input gets $g$ times the *other* input.
* **max routes:** only the larger input gets $g$; on a tie the engine splits it evenly.
* **fan-out adds:** a value used twice receives the sum of the gradients of both uses.

Each case below sends an upstream gradient $g = 2$ into one small expression.
"""),
        code("""
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
"""),
        md("""
All four in one picture: $h = \\max(a, b) + a\\,c$ at $a = 3, b = 1, c = -2$. The max gate routes
its gradient to $a$ (the winner) and none to $b$; $a$ is used twice, so its gradient is the sum
$1 + c = -1$.
"""),
        code("""
a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
h = a.maximum(b) + a * c; h.label = "h"
h.backward()
assert (h.data, a.grad, b.grad, c.grad) == (-3.0, -1.0, 0.0, 3.0)
diagram = draw(h, edge_values=True, gates=True)
assert {k: shown(diagram)[k] for k in "abc"} == {"a": (3, -1), "b": (1, 0), "c": (-2, 3)}
assert "max gate: routes" in diagram.source and "fan-out adds: 2 gradients" in diagram.source
diagram
"""),
        md("""
## A sigmoid neuron

$a = \\sigma(w_0 x_0 + w_1 x_1 + w_2)$ with $\\sigma(z) = 1/(1+e^{-z})$. At $w = (2,-3,-3)$,
$x = (-1,-2)$: $z = -2 + 6 - 3 = 1$ and $a = \\sigma(1) = 0.7311$. The sigmoid gate's local
gradient is $\\sigma(1)(1-\\sigma(1)) = 0.1966$; the add gates distribute it, and the mul gates
swap it onto weights and inputs: $\\partial a/\\partial w_0 = 0.1966\\,x_0 = -0.1966$,
$\\partial a/\\partial x_0 = 0.1966\\,w_0 = 0.3932$, and so on.
"""),
        code("""
w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                      zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
a = (w0 * x0 + w1 * x1 + w2).sigmoid(); a.label = "a"
a.backward()
s1 = 1 / (1 + math.exp(-1.0))
local = s1 * (1 - s1)
expected = {"w0": local * -1, "x0": local * 2, "w1": local * -2, "x1": local * -3, "w2": local}
for leaf in (w0, x0, w1, x1, w2):
    assert math.isclose(leaf.grad, expected[leaf.label])
diagram = draw(a, edge_values=True, gates=True)
numbers = shown(diagram)
assert numbers["a"] == (four_digits(s1), 1.0) and four_digits(local) == 0.1966
assert all(numbers[k][1] == four_digits(v) for k, v in expected.items())
diagram
"""),
        md("""
## $\\sigma'(x) = \\sigma(x)(1-\\sigma(x))$, checked numerically

From $\\sigma(x) = (1+e^{-x})^{-1}$:
$\\sigma'(x) = e^{-x}/(1+e^{-x})^2 = \\sigma(x)\\cdot\\frac{e^{-x}}{1+e^{-x}} = \\sigma(x)(1-\\sigma(x))$.
The engine's sigmoid rule uses exactly this identity. We compare it with a central finite
difference $(\\sigma(x+h) - \\sigma(x-h))/2h$ over a range of $x$.
"""),
        code("""
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
"""),
        md("""
## A two-layer network, neuron by neuron

Two inputs, two hidden sigmoid neurons, one sigmoid output:
$z_j = x_1 w_{1j} + x_2 w_{2j} + b_j$, $a_j = \\sigma(z_j)$, $a_2 = \\sigma(\\sum_j a_j v_j + c)$ and
$L = (y - a_2)^2$. By the chain rule, along the only path from $w_{11}$ to $L$:
$$\\frac{\\partial L}{\\partial w_{11}} =
\\underbrace{-2(y - a_2)}_{\\partial L/\\partial a_2}\\;
\\underbrace{\\sigma'(z_{out})}_{\\partial a_2/\\partial z_{out}}\\;
\\underbrace{v_1}_{\\partial z_{out}/\\partial a_1}\\;
\\underbrace{\\sigma'(z_1)}_{\\partial a_1/\\partial z_1}\\;
\\underbrace{x_1}_{\\partial z_1/\\partial w_{11}}.$$
`nn.MLP(..., value=Scalar)` builds exactly these neurons from Scalars.
"""),
        code("""
net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
x_in, target = [0.5, -1.0], 1.0
a2 = net(x_in)[0]; a2.label = "a2"
loss = (target - a2) ** 2; loss.label = "L"
loss.backward()
hidden, out = net.layers
w11, v1 = hidden.weight[0][0], out.weight[0][0]
z1 = x_in[0] * w11.data + x_in[1] * hidden.weight[1][0].data + hidden.bias[0].data
s = lambda v: 1 / (1 + math.exp(-v))
by_hand = (-2 * (target - a2.data) * a2.data * (1 - a2.data) * v1.data
           * s(z1) * (1 - s(z1)) * x_in[0])
print(f"dL/dw11 by hand {by_hand:.10f}, by the engine {w11.grad:.10f}")
assert math.isclose(by_hand, w11.grad, rel_tol=1e-12)
"""),
        md("""
The whole network as a diagram, each layer in its own box (the weights are the leaves inside).
"""),
        code("""
diagram = draw(loss, model=net)
assert diagram.source.count("cluster_") == 2          # one box per layer
assert f"grad {four_digits(net.layers[0].weight[0][0].grad):.4g}<" in diagram.source
diagram
"""),
        md("""
## What to try next

* Change the inputs of the neuron and predict the gradients before running the cell.
* Replace `sigmoid` by `relu` or `tanh` in the network and compare $\\partial L/\\partial w_{11}$.
* Step through the network's backward pass with `autograd.backward_steps(loss)`.
* Draw a bigger expression from the shell:
  `python -m autograd.draw "tanh(x*w + b)" x=1 w=2 b=-1 -o graph.svg`.
"""),
    ]


@notebook("02_information_entropy_kl")
def information():
    return [
        md("""
# 2. Information, entropy, cross-entropy and KL divergence

**What you will learn:** surprisal $-\\log P$ as the information in an outcome, entropy as the
average surprisal, cross-entropy as the cost of coding (or predicting) with the wrong
distribution, and the KL divergence as the gap between the two. At the end you will see why
minimising cross-entropy against one-hot labels, the loss of every classifier in this course,
is minimising a KL divergence.
"""),
        SETUP,
        md("""
## Surprisal

An outcome of probability $P$ carries $I = -\\log P$ of information: a near-certain event tells
us almost nothing, a rare one a lot. In nats (natural log): $P = 0.99 \\to 0.01$,
$P = 0.01 \\to 4.61$. Independent events multiply their probabilities, so their surprisals add.
"""),
        code("""
surprisal = lambda p: -math.log(p)
print(f"P = 0.99: {surprisal(0.99):.2f} nats;  P = 0.01: {surprisal(0.01):.2f} nats")
assert round(surprisal(0.99), 2) == 0.01 and round(surprisal(0.01), 2) == 4.61
assert math.isclose(surprisal(0.5 * 0.2), surprisal(0.5) + surprisal(0.2))
ps = np.linspace(0.005, 1, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ps, -np.log(ps))
ax.plot([0.99, 0.01], [surprisal(0.99), surprisal(0.01)], "o")
ax.set(title="Surprisal of an outcome", xlabel="probability P of the outcome",
       ylabel="surprisal −ln P (nats)")
ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## Entropy of a coin and of a die

Entropy is the expected surprisal, $H(p) = -\\sum_k p_k \\log_2 p_k$ bits. A fair coin has 1 bit,
a fair die $\\log_2 6 = 2.585$ bits, a certain outcome 0; a coin is most uncertain when fair.
"""),
        code("""
bias = np.linspace(0.001, 0.999, 199)
coin = nn.entropy(np.stack([bias, 1 - bias], axis=1), base=2, reduction="none").data
assert nn.entropy([0.5, 0.5], base=2).item() == 1.0
assert math.isclose(nn.entropy(np.full(6, 1 / 6), base=2).item(), math.log2(6))
assert nn.entropy([1.0, 0.0]).item() == 0.0
assert math.isclose(bias[np.argmax(coin)], 0.5)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(bias, coin)
ax.set(title="Entropy of a coin against its bias", xlabel="P(heads)", ylabel="entropy (bits)")
ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## The gift boxes

Three boxes hold a gift with probabilities 0.8, 0.7 and 0.1, independently. Each of the eight
outcomes has a probability (the product of the three factors) and a surprisal $-\\ln P$. The
most likely outcome, gifts in the first two boxes only, has $P = 0.8 \\cdot 0.7 \\cdot 0.9 = 0.504$
and $-\\ln P = 0.69$; the least likely, a gift in the third box only, $P = 0.006$ and $5.12$.
"""),
        code("""
import itertools
probs = [0.8, 0.7, 0.1]
table = {}
for outcome in itertools.product([1, 0], repeat=3):
    p = math.prod(q if got else 1 - q for q, got in zip(probs, outcome))
    table[outcome] = (p, -math.log(p))
    print(f"gifts {outcome}: P = {p:.3f}, -ln P = {-math.log(p):.3f}")
expected = {(1, 1, 1): (0.056, 2.882), (1, 1, 0): (0.504, 0.685), (1, 0, 1): (0.024, 3.730),
            (1, 0, 0): (0.216, 1.532), (0, 1, 1): (0.014, 4.269), (0, 1, 0): (0.126, 2.071),
            (0, 0, 1): (0.006, 5.116), (0, 0, 0): (0.054, 2.919)}
for outcome, (p, s) in expected.items():
    assert round(table[outcome][0], 3) == p and round(table[outcome][1], 3) == s
assert math.isclose(sum(p for p, _ in table.values()), 1.0)
"""),
        md("""
The surprisal of an outcome is exactly the **binary cross-entropy** of the predictions
$(0.8, 0.7, 0.1)$ against that outcome as targets, summed over the boxes:
$-\\sum_i [y_i \\ln p_i + (1-y_i)\\ln(1-p_i)]$. Cross-entropy is the surprise of the model
at what really happened. Its average over the outcomes is the entropy, which for independent
boxes is the sum of the three boxes' entropies.
"""),
        code("""
for outcome, (p, s) in table.items():
    bce = nn.binary_cross_entropy(Tensor(probs), np.array(outcome), reduction="sum").item()
    assert math.isclose(bce, s)
assert round(table[1, 1, 0][1], 2) == 0.69 and round(table[0, 0, 1][1], 2) == 5.12
total = sum(p * s for p, s in table.values())
assert math.isclose(total, sum(nn.entropy([q, 1 - q]).item() for q in probs))
print(f"entropy: {total:.4f} nats = the sum of the three boxes' entropies")
"""),
        md("""
## Cross-entropy = entropy + KL

The cross-entropy $H(p, q) = -\\sum_k p_k \\log q_k$ is the average surprisal when outcomes come
from $p$ but we believe $q$. The KL divergence $KL(p\\,\\|\\,q) = \\sum_k p_k \\log(p_k/q_k)$ is the
extra surprisal for believing the wrong thing, so $H(p, q) = H(p) + KL(p\\,\\|\\,q)$, and
$KL \\ge 0$ with equality only when $q = p$. We check it on random distributions.
"""),
        code("""
rng = np.random.default_rng(0)
for _ in range(5):
    p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    cross = -(p * np.log(q)).sum()
    kl = nn.kl_divergence(p, q).item()
    assert math.isclose(cross, nn.entropy(p).item() + kl) and kl > 0
assert nn.kl_divergence(p, p).item() == 0.0
print("H(p, q) = H(p) + KL(p || q) on five random pairs")
"""),
        md("""
## The coding example

Four symbols with $p = (1/2, 1/4, 1/8, 1/8)$: a code with words of 1, 2, 3, 3 bits (say 0, 10,
110, 111) averages $H(p) = 1.75$ bits per symbol. A fixed 2-bit code is optimal for the uniform
$q$, and costs $H(p, q) = 2$ bits on $p$: the extra $KL(p\\,\\|\\,q) = 0.25$ bits per symbol is the
price of the wrong model.
"""),
        code("""
p, q = [0.5, 0.25, 0.125, 0.125], [0.25] * 4
lengths = np.array([1, 2, 3, 3])
h, kl = nn.entropy(p, base=2).item(), nn.kl_divergence(p, q, base=2).item()
cross = -(np.array(p) * np.log2(q)).sum()
print(f"H(p) = {h:.4g} bits, H(p, q) = {cross:.4g} bits, KL = {kl:.4g} bits")
assert np.allclose((h, cross, kl), (1.75, 2.0, 0.25), rtol=1e-12)
assert (lengths * p).sum() == 1.75 and math.isclose(cross, h + kl)
"""),
        md("""
KL is not a distance: it is not symmetric. For two coins with $P(\\text{heads}) = 0.3$ and $r$:
"""),
        code("""
r = np.linspace(0.01, 0.99, 99)
coins = np.stack([r, 1 - r], axis=1)
truth = np.tile([0.3, 0.7], (len(r), 1))
forward = nn.kl_divergence(truth, coins, base=2, reduction="none").data
backward = nn.kl_divergence(coins, truth, base=2, reduction="none").data
assert forward.min() >= 0 and not np.allclose(forward, backward)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(r, forward, label="KL(p ‖ q), p = (0.3, 0.7)")
ax.plot(r, backward, label="KL(q ‖ p)")
ax.set(title="KL divergence between two coins", xlabel="q's P(heads)",
       ylabel="KL divergence (bits)", ylim=(0, 3))
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## Why minimising cross-entropy against one-hot labels minimises KL

For a one-hot label $y$ (the true class with probability 1), $H(y) = 0$, so
$H(y, q) = H(y) + KL(y\\,\\|\\,q) = KL(y\\,\\|\\,q) = -\\log q_{\\text{true}}$: the two losses are the
same function of the model's $q$, and minimising one minimises the other. With
$q = \\mathrm{softmax}(z)$ the gradient with respect to the logits is $q - y$, which the engine
reproduces.
"""),
        code("""
logits = Tensor([[2.0, -1.0, 0.5]], requires_grad=True)
y = np.array([[0.0, 0.0, 1.0]])
loss = nn.cross_entropy(logits, y, reduction="sum")
loss.backward()
q = logits.softmax().data
assert math.isclose(loss.item(), nn.kl_divergence(y, q).item())
assert math.isclose(loss.item(), -math.log(q[0, 2]))
assert np.allclose(logits.grad, q - y)
print("cross-entropy", round(loss.item(), 4), "= KL; gradient q - y =", logits.grad)
"""),
        md("""
## What to try next

* Compute the entropy of the letters of a text of your choice, in bits per letter.
* Plot $H(p, q)$ for a fair coin $p$ as $q$ varies: where is its minimum, and what is its value?
* With soft labels ($y$ not one-hot), $H(y) > 0$: check that cross-entropy and KL then differ by
  a constant, so their gradients in the logits are still equal.
"""),
    ]


@notebook("03_linear_regression")
def regression():
    return [
        md("""
# 3. Linear regression three ways

**What you will learn:** the least-squares line in closed form, the normal equation and the
pseudo-inverse for several inputs, gradient descent with the engine and the effect of the
learning rate, why squared error is the negative log-likelihood of Gaussian noise, and
mini-batch stochastic gradient descent (SGD).
"""),
        SETUP,
        md("""
## Three points, closed form

For the points $(0, 0), (1, 1), (1, 2)$ and the model $\\hat y = w_0 + w_1 x$, minimising
$L = \\sum_i (y_i - w_1 x_i - w_0)^2$ means setting both partial derivatives to zero, which gives
$$w_1 = \\frac{\\sum_i (x_i - \\bar x)(y_i - \\bar y)}{\\sum_i (x_i - \\bar x)^2} = 1.5, \\qquad
w_0 = \\bar y - w_1 \\bar x = 0:$$
the line passes through the middle of the two points at $x = 1$.
"""),
        code("""
x, y = np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0])
w1 = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
w0 = y.mean() - w1 * x.mean()
assert math.isclose(w1, 1.5) and abs(w0) < 1e-12
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(x, y, "o", label="data")
ax.plot([-0.2, 1.2], [w0 - 0.2 * w1, w0 + 1.2 * w1], label=f"ŷ = {w0:.1f} + {w1:.1f} x")
ax.set(title="The least-squares line through three points", xlabel="x (arbitrary units)",
       ylabel="y (arbitrary units)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## Several inputs: the normal equation

With a column of ones and one column per input in the design matrix $A$, the model is
$\\hat y = A w$ and $\\nabla_w \\lVert y - A w\\rVert^2 = -2A^\\top(y - Aw) = 0$ gives the **normal
equation** $A^\\top A\\, w = A^\\top y$. The pseudo-inverse $w = A^+ y$ gives the same answer and
also works when $A^\\top A$ is singular. First the three points, then three inputs.
"""),
        code("""
A = np.stack([np.ones_like(x), x], axis=1)       # the design matrix, a column per weight
normal = np.linalg.solve(A.T @ A, A.T @ y)          # the normal equation
assert np.allclose(normal, [0.0, 1.5]) and np.allclose(np.linalg.pinv(A) @ y, normal)
print("three points: w0, w1 =", normal)

rng = np.random.default_rng(0)
inputs = rng.normal(size=(50, 3))
true_w = np.array([0.5, 2.0, -1.0, 3.0])            # bias first, then one weight per input
design = np.column_stack([np.ones(50), inputs])
targets = design @ true_w + rng.normal(scale=0.05, size=50)
w_normal = np.linalg.solve(design.T @ design, design.T @ targets)
assert np.allclose(w_normal, np.linalg.pinv(design) @ targets)
assert np.allclose(w_normal, true_w, atol=0.05)
print("three inputs: w =", w_normal, "(true:", true_w, ")")
"""),
        md("""
## Gradient descent with the engine

The same three points, now by gradient descent from $w_0 = w_1 = 1$ with $\\eta = 0.1$. The
gradient is $\\partial L/\\partial w_0 = -2\\sum_i r_i$, $\\partial L/\\partial w_1 = -2\\sum_i r_i x_i$
with residuals $r_i = y_i - w_1 x_i - w_0$. At the start $r = (-1, -1, 0)$, so the gradient is
$(4, 2)$ and the first step lands on $(0.6, 0.8)$. (A worked example in circulation prints 0.54
for $w_0$ at step 2; the arithmetic gives 0.52, and the engine agrees with the arithmetic.)
"""),
        code("""
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
assert np.allclose(path[1:5], [(0.6, 0.8), (0.52, 0.84), (0.472, 0.896), (0.4304, 0.9488)])
assert abs(path[-1][0] - 6.42e-5) < 5e-7 and abs(path[-1][1] - 1.49992) < 5e-6
"""),
        md("""
The path of the weights over the contours of the loss: a bowl whose minimum is at $(0, 1.5)$.
"""),
        code("""
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
"""),
        md("""
## The learning rate

The loss is a quadratic bowl with Hessian $2A^\\top A$; descent converges only when
$\\eta < 2/\\lambda_{max} = 0.219$. Too small is slow, too large diverges.
"""),
        code("""
limit = 2 / np.linalg.eigvalsh(2 * A.T @ A).max()
runs = {lr: descend(lr, 40)[1] for lr in (0.01, 0.1, 0.25)}
fig, ax = plt.subplots(figsize=(6, 3.5))
for lr, losses in runs.items():
    kind = "too small" if lr < 0.05 else "good" if lr < limit else "diverges"
    ax.semilogy(losses, label=f"η = {lr} ({kind})")
ax.set(title=f"Loss per step (diverges above η = {limit:.3f})", xlabel="step",
       ylabel="sum of squared errors (log scale)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
assert round(limit, 3) == 0.219
assert runs[0.25][-1] > 1e3 and runs[0.1][-1] - 0.5 < 1e-3 < runs[0.01][-1] - 0.5
"""),
        md("""
## Squared error is a Gaussian negative log-likelihood

If $y = \\hat y + \\varepsilon$ with $\\varepsilon \\sim N(0, \\sigma^2)$, then
$p(y) = \\frac{1}{\\sigma\\sqrt{2\\pi}}\\exp\\left(-\\frac{(y-\\hat y)^2}{2\\sigma^2}\\right)$ and
$$-\\log p(y) = \\frac{(y - \\hat y)^2}{2\\sigma^2} + \\log(\\sigma\\sqrt{2\\pi}):$$
for a fixed $\\sigma$ the negative log-likelihood of the data is the squared error, scaled and
shifted, so maximum likelihood and least squares find the same weights.
"""),
        code("""
sigma = 0.7
def gaussian_nll(w):
    w0, w1 = w[0], w[1]
    r = y - (w1 * x + w0)
    return ((r * r) / (2 * sigma**2)).sum() + len(y) * math.log(sigma * math.sqrt(2 * math.pi))
w = np.array([0.3, -0.2])
for _ in range(500):
    w = w - 0.05 * grad(gaussian_nll)(w)
assert np.allclose(w, [0.0, 1.5], atol=1e-4)
print("maximum likelihood weights:", w)
"""),
        md("""
## Mini-batch SGD

On 1,000 noisy points of $y = 3x - 1$, each step uses the gradient of only a mini-batch of 32
points: a noisy but cheap estimate of the full gradient. `nn.data.batches` shuffles the data
each epoch; five epochs (about 160 steps) reach the least-squares fit.
"""),
        code("""
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
assert abs(model.weight.item() - 3) < 0.05 and abs(model.bias.item() + 1) < 0.05
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(batch_losses)
ax.set(title="Mini-batch SGD: loss of each batch of 32", xlabel="step",
       ylabel="mean squared error (log scale)")
ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## What to try next

* Add a feature $x^2$ to the design matrix and fit a parabola.
* Try momentum (`nn.SGD(..., momentum=0.9)`) with $\\eta = 0.25$, where plain descent diverged.
* Change the batch size to 1 and to 1,000 and compare the noise in the loss curve.
"""),
    ]


@notebook("04_logistic_regression_mle")
def logistic():
    return [
        md("""
# 4. Logistic regression and maximum likelihood

**What you will learn:** the likelihood of data as a function of a parameter and where it is
largest; logistic regression fitted by maximum likelihood with the engine, on the O-ring data
of the 23 shuttle flights before Challenger; and Newton's method, which uses second derivatives
from the engine and needs far fewer iterations than gradient descent.
"""),
        SETUP,
        md("""
## A binomial likelihood

34 of 100 throws of a die come up red. With $P(\\text{red}) = p$ the likelihood is
$\\mathcal L(p) = \\binom{100}{34} p^{34}(1-p)^{66}$. Its logarithm
$\\ell(p) = 34 \\ln p + 66 \\ln(1-p) + \\text{const}$ has $\\ell'(p) = 34/p - 66/(1-p) = 0$ at
$p = 34/100$. If the die has $k$ red faces of six, only $p = k/6$ is possible, and $k = 2$ is
the most likely. Below the maximum is found three ways: on a grid, by gradient ascent on
$\\ell$ with the engine, and among the six-sided dice.
"""),
        code("""
ps = np.linspace(0.001, 0.999, 999)
log_lik = 34 * np.log(ps) + 66 * np.log(1 - ps) + math.log(math.comb(100, 34))
faces = np.arange(1, 6) / 6
face_lik = np.exp(34 * np.log(faces) + 66 * np.log(1 - faces) + math.log(math.comb(100, 34)))
p_hat = 0.5
for _ in range(200):   # gradient ascent on the log-likelihood, with the engine
    p_hat += 1e-3 * grad(lambda p: 34 * p.log() + 66 * (1.0 - p).log())(p_hat)
print(f"grid {ps[np.argmax(log_lik)]:.3f}, gradient ascent {p_hat:.6f}, "
      f"best die {faces[np.argmax(face_lik)]:.4f} = 2/6")
assert abs(ps[np.argmax(log_lik)] - 0.34) < 1e-3 and abs(p_hat - 0.34) < 1e-6
assert faces[np.argmax(face_lik)] == 2 / 6
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ps, np.exp(log_lik), label="any p")
ax.plot(faces, face_lik, "o", label="p = k/6")
ax.axvline(0.34, color="gray", ls=":", label="p = 0.34")
ax.set(title="Likelihood of 34 red in 100 throws", xlabel="p = P(red)",
       ylabel="likelihood (probability of the data)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## The Challenger O-rings

Before the 1986 launch at 31 °F, 23 flights recorded the launch temperature and whether an
O-ring showed thermal distress. Logistic regression models
$P(\\text{distress}) = \\sigma(\\beta_0 + \\beta_1 t)$; maximum likelihood minimises the negative
log-likelihood, the binary cross-entropy
$-\\sum_i [y_i \\log \\sigma(z_i) + (1-y_i)\\log(1-\\sigma(z_i))]$. We centre the temperature
(units of 10 °F around 70 °F) so that gradient descent is well conditioned, and stop when every
component of the gradient is below $10^{-6}$.
"""),
        code("""
temperature, distress = nn.data.load_challenger()
centred = (temperature - 70.0) / 10.0
assert len(temperature) == 23 and distress.sum() == 7

def nll(beta):
    return nn.binary_cross_entropy_with_logits(beta[0] + beta[1] * Tensor(centred),
                                               distress.astype(float), reduction="sum")

beta, gd_norms = np.zeros(2), []
while (norm := np.abs(grad(nll)(beta)).max()) > 1e-6:
    gd_norms.append(norm)
    beta = beta - 0.05 * grad(nll)(beta)
print(f"gradient descent: {len(gd_norms)} steps, beta = {beta}")
"""),
        md("""
Back in °F: $\\beta_1 t' = \\beta_1 (t - 70)/10$, so the slope per °F is $\\beta_1/10$ and the
intercept $\\beta_0 - 70\\,\\beta_1/10$. These are the published maximum-likelihood estimates
(intercept 15.04, slope −0.232 per °F), and at 31 °F, far colder than any earlier launch, the
model gives a probability of distress of 0.9996.
"""),
        code("""
slope = beta[1] / 10.0
intercept = beta[0] - 70.0 * slope
p31 = 1 / (1 + math.exp(-(intercept + slope * 31)))
print(f"P(distress) = sigmoid({intercept:.3f} + {slope:.4f} t); at 31 °F: {p31:.5f}")
assert round(intercept, 2) == 15.04 and round(slope, 4) == -0.2322
assert p31 > 0.999 and round(p31, 4) == 0.9996
t = np.linspace(25, 85, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(t, 1 / (1 + np.exp(-(intercept + slope * t))), label="fitted model")
ax.plot(temperature, distress + np.random.default_rng(0).uniform(-0.02, 0.02, 23), "o",
        label="flights (jittered)")
ax.axvline(31, color="red", ls="--", label="31 °F")
ax.set(title="Challenger O-ring distress", xlabel="launch temperature (°F)",
       ylabel="P(distress)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## Newton's method with the engine's second derivatives

Gradient descent takes steps of a fixed size $\\eta$ along the gradient. Newton's method fits a
parabola through the current point and jumps to its minimum: it divides the gradient by the
curvature, $\\beta \\leftarrow \\beta - H^{-1}\\nabla L$ with the Hessian $H$ of second derivatives.
`autograd.hvp(f, x, v)` gives $Hv$ from the engine (the backward pass differentiated once
more); applied to the unit vectors it gives the columns of $H$, which we check against the
closed form $H = X^\\top \\mathrm{diag}(\\sigma_i(1-\\sigma_i))\\, X$.
"""),
        code("""
beta_newton, newton_norms = np.zeros(2), []
while (norm := np.abs(grad(nll)(beta_newton)).max()) > 1e-6:
    newton_norms.append(norm)
    hessian = np.stack([autograd.hvp(nll, beta_newton, e) for e in np.eye(2)])
    beta_newton = beta_newton - np.linalg.solve(hessian, grad(nll)(beta_newton))
print(f"Newton: {len(newton_norms)} steps; gradient descent: {len(gd_norms)} steps")
assert np.allclose(beta_newton, beta, atol=1e-5)
assert len(newton_norms) <= 6 and len(gd_norms) >= 300
features = np.column_stack([np.ones(23), centred])    # the closed form: X^T diag(s(1-s)) X
s = 1 / (1 + np.exp(-features @ beta_newton))
hessian = np.stack([autograd.hvp(nll, beta_newton, e) for e in np.eye(2)])
assert np.allclose(hessian, features.T @ (features * (s * (1 - s))[:, None]))
"""),
        code("""
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(gd_norms, label=f"gradient descent, η = 0.05 ({len(gd_norms)} steps)")
ax.semilogy(newton_norms, "o-", label=f"Newton ({len(newton_norms)} steps)")
ax.axhline(1e-6, color="gray", ls=":", label="stopping tolerance")
ax.set(title="Convergence on the Challenger likelihood", xlabel="iteration",
       ylabel="largest gradient component (log scale)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## What to try next

* Fit the model without centring the temperature and watch gradient descent crawl.
* Add a quadratic term in temperature and compare the maximum log-likelihoods.
* Replace `hvp` by `grad(grad(...))` for a one-parameter model and check they agree.
"""),
    ]


@notebook("05_cross_entropy_learns_faster")
def faster():
    return [
        md("""
# 5. Why cross-entropy learns faster

**What you will learn:** why a saturated sigmoid neuron learns slowly under the quadratic cost,
how the cross-entropy cost cancels the $\\sigma'(z)$ factor that causes it (seen in the
engine's own backward pass), and the same cancellation for a softmax output with the
log-likelihood cost: the gradient with respect to the logits is simply $a - y$.
"""),
        SETUP,
        md("""
## One neuron, two costs, two starts

A single sigmoid neuron $a = \\sigma(z)$, $z = w x + b$, with input $x = 1$ learns to output
$y = 0$ by gradient descent with $\\eta = 0.15$. The two costs and their gradients in $w$ are
$$C_{quad} = \\tfrac12 (a - y)^2:\\ \\frac{\\partial C}{\\partial w} = (a - y)\\,\\sigma'(z)\\,x, \\qquad
C_{CE} = -[y \\ln a + (1-y)\\ln(1-a)]:\\ \\frac{\\partial C}{\\partial w} = (a - y)\\,x.$$
We start from $(w, b) = (0.6, 0.9)$, output 0.82, and from $(2, 2)$, output 0.98, where the
neuron is saturated and $\\sigma'(z)$ is tiny.
"""),
        code("""
def train(w, b, cost, epochs=300, eta=0.15):
    \"\"\"The neuron's output before each of `epochs` gradient steps.\"\"\"
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
assert round(runs[(0.6, 0.9), "quadratic"][0], 2) == 0.82
assert round(runs[(2.0, 2.0), "quadratic"][0], 2) == 0.98
assert abs(runs[(0.6, 0.9), "quadratic"][299] - 0.09) < 0.01
assert runs[(2.0, 2.0), "quadratic"][149] > 0.5 > 0.1 > runs[(2.0, 2.0), "cross-entropy"][149]
for (start, cost), out in runs.items():
    print(f"start {start}, {cost:>13}: output {out[0]:.2f} -> {out[-1]:.3f} after 300 epochs")
"""),
        code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, start in zip(axes, starts):
    for cost in costs:
        ax.plot(runs[start, cost], label=cost)
    ax.set(title=f"start (w, b) = {start}", xlabel="epoch",
           ylabel="output a (dimensionless)")
    ax.legend(); ax.grid(alpha=0.3)
fig.suptitle("A sigmoid neuron learning to output 0 (x = 1, η = 0.15)")
plt.show()
"""),
        md("""
From $(0.6, 0.9)$ both costs learn quickly. From $(2, 2)$ the quadratic cost hardly moves for
the first hundred epochs, although the neuron is badly wrong, while cross-entropy learns at
once: the worse the error, the faster it learns.

## The $\\sigma'(z)$ factor, in the engine's backward pass

At the saturated start $z = 4$: $a = 0.982$ and $\\sigma'(4) = a(1-a) = 0.0177$. Under the
quadratic cost, the gradient arriving at the sigmoid gate is the error $a - y = 0.982$, and
the gate multiplies it by its local gradient $0.0177$: 55 times smaller.
"""),
        code("""
z = Scalar(4.0, label="z")
a = z.sigmoid(); a.label = "a"
C = 0.5 * (a - 0.0) ** 2; C.label = "C"          # the quadratic cost for y = 0
quadratic = autograd.backward_steps(C)
print(quadratic)
gate = next(row for row in quadratic.rows if row["op"] == "sigmoid")
assert math.isclose(float(gate["upstream"]), a.data, rel_tol=1e-3)     # a - y
assert math.isclose(z.grad, a.data * a.data * (1 - a.data))             # (a - y) σ'(z)
"""),
        md("""
Now the cross-entropy for $y = 0$, $C = -\\ln(1 - a)$, written out so that every gate shows. The
log gate's local gradient $1/(1-a) = 55.6$ arrives at the sigmoid gate and cancels the factor
$1 - a$ of its local gradient $\\sigma'(z) = a(1-a)$: $z$ receives $a = a - y = 0.982$.
"""),
        code("""
z = Scalar(4.0, label="z")
a = z.sigmoid(); a.label = "a"
C = -(1.0 - a).log(); C.label = "C"
cross_entropy = autograd.backward_steps(C)
print(cross_entropy)
gate = next(row for row in cross_entropy.rows if row["op"] == "sigmoid")
assert math.isclose(float(gate["upstream"]), 1 / (1 - a.data), rel_tol=1e-3)   # 55.6
assert math.isclose(z.grad, a.data)                                               # a - y
print(f"dC/dz: quadratic {a.data**2 * (1 - a.data):.4f}, cross-entropy {z.grad:.4f}")
"""),
        md("""
`nn.binary_cross_entropy_with_logits` computes the same loss from $z$ directly, in a form that
stays finite for any $z$; its gradient is the same $a - y$.
"""),
        code("""
z = Scalar(4.0)
nn.binary_cross_entropy_with_logits(z, [0.0]).backward()
assert math.isclose(z.grad, 1 / (1 + math.exp(-4.0)))
big = Scalar(1000.0)
loss = nn.binary_cross_entropy_with_logits(big, [0.0])
loss.backward()
assert loss.data == 1000.0 and big.grad == 1.0
"""),
        md("""
## Softmax with the log-likelihood

For a softmax output layer $a_j = e^{z_j}/\\sum_k e^{z_k}$ and the log-likelihood cost
$C = -\\ln a_y$ of the true class $y$: $\\partial a_y/\\partial z_j = a_y(\\delta_{jy} - a_j)$, so
$$\\frac{\\partial C}{\\partial z_j} = -\\frac{1}{a_y}\\,a_y(\\delta_{jy} - a_j) = a_j - y_j,$$
with $y$ one-hot: again the error itself, with no saturation factor.
"""),
        code("""
logits = Tensor(np.array([[4.0, -2.0, 1.0]]), requires_grad=True)
nn.cross_entropy(logits, np.array([1]), reduction="sum").backward()
a = logits.softmax().data
one_hot = np.array([[0.0, 1.0, 0.0]])
print("gradient", logits.grad, " a - y", a - one_hot)
assert np.allclose(logits.grad, a - one_hot)
batch = Tensor(np.random.default_rng(0).normal(size=(5, 4)), requires_grad=True)
labels = np.array([0, 3, 1, 1, 2])
nn.cross_entropy(batch, labels, reduction="sum").backward()
assert np.allclose(batch.grad, batch.softmax().data - np.eye(4)[labels])
"""),
        md("""
## What to try next

* Start the neuron at $(w, b) = (5, 5)$: how long does the quadratic cost take to escape?
* Train the neuron towards $y = 1$ from $(-2, -2)$: the same story, mirrored.
* Draw the cross-entropy graph with `draw(C, edge_values=True, gates=True)` and find the
  cancelling local gradients on the wires.
"""),
    ]


@notebook("06_mlp_on_digits")
def digits():
    return [
        md("""
# 6. From multinomial logistic regression to an MLP on digits

**What you will learn:** softmax regression on the 8x8 handwritten digits (and how many
parameters it has), the step to a hidden layer of sigmoid neurons, training with mini-batch
SGD, the quadratic cost against cross-entropy on a real task, what the first layer learns, and
where the network still errs. At the end: the same code on MNIST.
"""),
        SETUP,
        md("""
The 1,797 digits bundled with scikit-learn (no download), split 75% / 25% into training and
test sets with a fixed seed; each image is 64 pixels scaled to $[0, 1]$.
"""),
        code("""
(X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
print(X_train.shape, X_test.shape)
assert X_train.shape == (1348, 64) and X_test.shape == (449, 64)
fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, image, label in zip(axes, X_train, y_train):
    ax.imshow(image.reshape(8, 8), cmap="gray_r"); ax.set_title(str(label)); ax.axis("off")
fig.suptitle("Training digits (8x8 pixels, intensity 0 to 1)"); plt.show()
"""),
        md("""
## Softmax regression

Multinomial logistic regression is a network without a hidden layer: logits $z = xW + b$,
$P(\\text{class } k \\mid x) = \\mathrm{softmax}(z)_k$, trained by maximum likelihood, that is
by minimising the cross-entropy (notebook 2). With 64 inputs and 10 classes it has
$64 \\times 10 + 10 = 650$ parameters. All models below train with mini-batches of 10 and
$\\eta = 0.5$ for 30 epochs.
"""),
        code("""
def train(sizes, loss="cross_entropy", epochs=30, lr=0.5):
    \"\"\"A sigmoid MLP of the given layer sizes and its training history on the digits.\"\"\"
    model = nn.MLP(sizes, activation="sigmoid",
                   output="sigmoid" if loss == "quadratic" else "identity", rng=0)
    if loss == "quadratic":
        loss_fn = lambda out, y: nn.mse(out, np.eye(10)[y], half=True)
    else:
        loss_fn = nn.cross_entropy
    history = nn.fit(model, loss_fn, nn.SGD(model.parameters(), lr=lr), (X_train, y_train),
                     epochs=epochs, batch_size=10, val=(X_test, y_test), seed=0, quiet=True)
    return model, history

def count(model):
    return sum(p.size for p in model.parameters())

softmax_model, softmax_history = train([64, 10])
assert count(softmax_model) == 650
print(f"softmax regression: test accuracy {softmax_history['val_accuracy'][-1]:.3f}")
"""),
        md("""
## Hidden layers of 30 and 100 sigmoid neurons

A hidden layer $h = \\sigma(xW_1 + b_1)$ feeds the softmax: $z = hW_2 + b_2$. With 30 hidden
neurons that is $64 \\cdot 30 + 30 + 30 \\cdot 10 + 10 = 2{,}260$ parameters, with 100 it is
$7{,}510$. On these small images a linear model is already good, so the hidden layer buys a
little accuracy, not a revolution (on MNIST the gap is larger).
"""),
        code("""
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
"""),
        md("""
## Quadratic cost against cross-entropy

The same 30-unit network with sigmoid outputs and the quadratic cost $\\tfrac12\\lVert a - y\\rVert^2$
against one-hot targets, at the same learning rate and number of epochs. Each output's
gradient carries the factor $\\sigma'(z) \\le 1/4$, tiny wherever an output is confidently wrong,
so it learns more slowly (notebook 5 shows why).
"""),
        code("""
_, quadratic = train([64, 30, 10], loss="quadratic")
print(f"test accuracy after 30 epochs: quadratic cost {quadratic['val_accuracy'][-1]:.3f}, "
      f"cross-entropy {history30['val_accuracy'][-1]:.3f}")
assert quadratic["val_accuracy"][0] < history30["val_accuracy"][0]
assert quadratic["val_accuracy"][-1] < history30["val_accuracy"][-1]
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, h in [("cross-entropy", history30), ("quadratic cost", quadratic)]:
    ax.plot(np.arange(1, 31), np.array(h["val_accuracy"]) * 100, label=name)
ax.set(title="30 hidden sigmoid units: two costs", xlabel="epoch",
       ylabel="test accuracy (%)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## What the first layer learns

Each hidden neuron's 64 incoming weights, drawn as an 8x8 image: strokes and blobs that the
output layer combines into digits.
"""),
        code("""
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
"""),
        md("""
## Where it errs: the confusion matrix

Row $i$, column $j$ counts the test digits of class $i$ that the network calls $j$; the
diagonal holds the correct answers.
"""),
        code("""
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
"""),
        md("""
## The same on MNIST

With the MNIST IDX files (from a source you trust) the same code trains a 784-30-10 network:

```python
images = nn.data.load_idx("train-images-idx3-ubyte.gz")   # (60000, 28, 28) uint8
labels = nn.data.load_idx("train-labels-idx1-ubyte.gz")   # (60000,)
X = images.reshape(len(images), -1) / 255.0
model = nn.MLP([784, 30, 10], activation="sigmoid", rng=0)
```

or from the command line:
`python -m nn --dataset idx --idx-images train-images-idx3-ubyte.gz --idx-labels
train-labels-idx1-ubyte.gz`. The reader checks the magic number and the sizes; here it is on a
tiny IDX file written on the spot (magic `0 0 8 3`: unsigned bytes, three dimensions):
"""),
        code("""
import tempfile, pathlib
tiny = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
path = pathlib.Path(tempfile.mkdtemp()) / "tiny-images-idx3-ubyte"
path.write_bytes(bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in tiny.shape)
                 + tiny.tobytes())
assert np.array_equal(nn.data.load_idx(path), tiny)
print(nn.data.load_idx(path).shape)
"""),
        md("""
## What to try next

* Add momentum (`nn.SGD(..., momentum=0.9)`) or a second hidden layer and compare.
* Train with `relu` hidden units and a smaller learning rate.
* Give the quadratic cost a larger learning rate or more epochs: can it catch up?
* Look at the test digits the network gets wrong (`predicted != y_test`) and their images.
"""),
    ]


MAX_CELL_LINES = 40  # a screen


def check(name, cells):
    """The house style: opens with what the reader will learn, ends with what to try next,
    no cell longer than a screen."""
    assert "What you will learn" in cells[0].source, f"{name}: no opening"
    assert cells[-1].source.startswith("## What to try next"), f"{name}: no closing"
    for cell in cells:
        lines = len(cell.source.splitlines())
        assert lines <= MAX_CELL_LINES, f"{name}: a cell of {lines} lines: {cell.source[:60]!r}"


def build(names):
    """Write and execute the selected notebooks, keeping their outputs."""
    for name in names:
        nb = nbformat.v4.new_notebook()
        nb.cells = NOTEBOOKS[name]()
        check(name, nb.cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"built {name}.ipynb")


if __name__ == "__main__":
    prefixes = sys.argv[1:]
    build([n for n in NOTEBOOKS if not prefixes or any(n.startswith(p) for p in prefixes)])
