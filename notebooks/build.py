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
backwards through it, and the four patterns every gradient follows: the add gate distributes,
the mul gate swaps, the max gate routes, and a value used twice (fan-out) adds the gradients
that come back. Every number in the diagrams is checked against the math with `assert`.
"""),
        SETUP,
        md("""
## Building a graph by hand

Each operation on `Scalar` values records a node. For $f = (x + y)\\,z$ at $x=-2, y=5, z=-4$:
$q = x + y = 3$ and $f = q z = -12$. Backpropagation applies the chain rule from $f$ back:
$\\partial f/\\partial z = q = 3$, $\\partial f/\\partial q = z = -4$, and since
$\\partial q/\\partial x = \\partial q/\\partial y = 1$, both $x$ and $y$ receive $-4$.
"""),
        code("""
x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
q = x + y; q.label = "q"
f = q * z; f.label = "f"
f.backward()
assert f.data == -12.0 and (x.grad, y.grad, z.grad, q.grad) == (-4.0, -4.0, 3.0, -4.0)
draw(f, edge_values=True, gates=True)
"""),
        md("""
Green numbers on the wires are forward values, red ones the gradients flowing back. The step
table lists, for each gate in the order backward visits it, the gradient arriving from above
(upstream), the gate's local gradient, and their product sent down to each input.
"""),
        code("""
steps = autograd.backward_steps(f)
print(steps)
assert steps.rows[0]["downstream"] == ["q <- -4", "z <- 3"]
assert steps.rows[1]["downstream"] == ["x <- -4", "y <- -4"]
"""),
        md("""
## The four gate patterns

* **add distributes:** $\\partial(a+b)/\\partial a = 1$, so both inputs get the upstream $g$.
* **mul swaps:** $\\partial(ab)/\\partial a = b$: each input gets $g$ times the *other* input.
* **max routes:** only the larger input gets $g$; on a tie the engine splits it evenly.
* **fan-out adds:** a value used twice receives the sum of the gradients of both uses.
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
assert grads(lambda a: a * a + a, 3.0) == [2.0 * (2 * 3.0 + 1)]      # fan-out adds
print("all four patterns hold")
"""),
        md("""
## A sigmoid neuron

$a = \\sigma(w_0 x_0 + w_1 x_1 + w_2)$ with $\\sigma(z) = 1/(1+e^{-z})$. At $w = (2,-3,-3)$,
$x = (-1,-2)$: $z = 1$, $a = \\sigma(1) = 0.73$, and the sigmoid gate's local gradient is
$\\sigma(1)(1-\\sigma(1)) = 0.20$, which the mul gates then swap onto the weights and inputs.
"""),
        code("""
w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                      zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
a = (w0 * x0 + w1 * x1 + w2).sigmoid()
a.backward()
assert round(a.data, 2) == 0.73
assert [round(v.grad, 2) for v in (w0, w1, w2, x0, x1)] == [-0.2, -0.39, 0.2, 0.39, -0.59]
draw(a, edge_values=True, gates=True)
"""),
        md("""
## $\\sigma'(x) = \\sigma(x)(1-\\sigma(x))$, checked numerically

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
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, sigma(xs), label="σ(x)")
ax.plot(xs, engine_slope, label="σ'(x) from the engine")
ax.set(title="The sigmoid and its derivative", xlabel="x", ylabel="value (dimensionless)")
ax.legend(); ax.grid(alpha=0.3)
plt.show()
"""),
        md("""
## A two-layer network, neuron by neuron

Two inputs, two hidden sigmoid neurons, one sigmoid output:
$z_j = x_1 w_{1j} + x_2 w_{2j} + b_j$, $a_j = \\sigma(z_j)$, $a_2 = \\sigma(\\sum_j a_j v_j + c)$ and
$L = (y - a_2)^2$. By the chain rule
$$\\frac{\\partial L}{\\partial w_{11}} = -2(y - a_2)\\,\\sigma'(z_{out})\\,v_1\\,\\sigma'(z_1)\\,x_1.$$
`nn.MLP(..., value=Scalar)` builds exactly these neurons from Scalars.
"""),
        code("""
net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
x_in, target = [0.5, -1.0], 1.0
a2 = net(x_in)[0]
loss = (target - a2) * (target - a2)
loss.backward()
hidden, out = net.layers
z1 = x_in[0] * hidden.weight[0][0].data + x_in[1] * hidden.weight[1][0].data + hidden.bias[0].data
s = lambda v: 1 / (1 + math.exp(-v))
by_hand = (-2 * (target - a2.data) * a2.data * (1 - a2.data) * out.weight[0][0].data
           * s(z1) * (1 - s(z1)) * x_in[0])
print(f"dL/dw11 by hand {by_hand:.10f}, by the engine {hidden.weight[0][0].grad:.10f}")
assert math.isclose(by_hand, hidden.weight[0][0].grad, rel_tol=1e-12)
draw(loss, model=net)
"""),
        md("""
## What to try next

* Change the inputs of the neuron and predict the gradients before running the cell.
* Replace `sigmoid` by `relu` or `tanh` in the network and compare $\\partial L/\\partial w_{11}$.
* Draw a bigger expression with `python -m autograd.draw "..." name=value ... -o graph.svg`.
"""),
    ]


@notebook("02_information_entropy_kl")
def information():
    return [
        md("""
# 2. Information, entropy, cross-entropy and KL divergence

**What you will learn:** surprisal as the information in an outcome, entropy as the average
surprisal, cross-entropy as the cost of coding with the wrong distribution, and the KL
divergence as the gap between them — and why minimising cross-entropy against one-hot labels
is minimising KL.
"""),
        SETUP,
        md("""
## Surprisal

An outcome of probability $P$ carries $-\\log P$ of information: a near-certain event tells us
almost nothing, a rare one a lot. In nats (natural log): $P = 0.99 \\to 0.01$, $P = 0.01 \\to 4.61$.
"""),
        code("""
surprisal = lambda p: -math.log(p)
print(f"P = 0.99: {surprisal(0.99):.2f} nats;  P = 0.01: {surprisal(0.01):.2f} nats")
assert round(surprisal(0.99), 2) == 0.01 and round(surprisal(0.01), 2) == 4.61
"""),
        md("""
## Entropy of a coin

$H(p) = -\\sum_k p_k \\log_2 p_k$ bits. A fair coin has 1 bit, a fair die $\\log_2 6 = 2.585$ bits,
a certain outcome 0.
"""),
        code("""
bias = np.linspace(0.001, 0.999, 199)
coin = [nn.entropy([b, 1 - b], base=2).item() for b in bias]
assert nn.entropy([0.5, 0.5], base=2).item() == 1.0
assert math.isclose(nn.entropy(np.full(6, 1 / 6), base=2).item(), math.log2(6))
assert nn.entropy([1.0, 0.0]).item() == 0.0
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(bias, coin)
ax.set(title="Entropy of a coin", xlabel="P(heads)", ylabel="entropy (bits)")
ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## The gift boxes

Three boxes hold a gift with probabilities 0.8, 0.7 and 0.1, independently. Each of the eight
outcomes has a probability (the product) and a surprisal $-\\ln P$; the entropy is their
probability-weighted average.
"""),
        code("""
import itertools
probs = [0.8, 0.7, 0.1]
rows = []
for outcome in itertools.product([1, 0], repeat=3):
    p = math.prod(q if got else 1 - q for q, got in zip(probs, outcome))
    rows.append((outcome, p, -math.log(p)))
    print(f"gifts {outcome}: P = {p:.3f}, -ln P = {-math.log(p):.3f}")
assert math.isclose(sum(p for _, p, _ in rows), 1.0)
assert math.isclose(rows[1][1], 0.8 * 0.7 * 0.9) and round(rows[1][2], 3) == 0.685
total = sum(p * s for _, p, s in rows)
assert math.isclose(total, sum(nn.entropy([q, 1 - q]).item() for q in probs))
print(f"entropy: {total:.4f} nats = the sum of the three boxes' entropies")
"""),
        md("""
## Cross-entropy = entropy + KL

$H(p, q) = -\\sum_k p_k \\log q_k$ and $KL(p\\,\\|\\,q) = \\sum_k p_k \\log(p_k/q_k)$, so
$H(p, q) = H(p) + KL(p\\,\\|\\,q)$. We check it on random distributions.
"""),
        code("""
rng = np.random.default_rng(0)
for _ in range(5):
    p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    cross = -(p * np.log(q)).sum()
    assert math.isclose(cross, nn.entropy(p).item() + nn.kl_divergence(p, q).item())
print("H(p, q) = H(p) + KL(p || q) on five random pairs")
"""),
        md("""
## The coding example

Four symbols with $p = (1/2, 1/4, 1/8, 1/8)$: a code of lengths 1, 2, 3, 3 bits averages
$H(p) = 1.75$ bits; a fixed 2-bit code is optimal for the uniform $q$, and costs
$H(p, q) = 2$ bits on $p$: the extra $KL(p\\,\\|\\,q) = 0.25$ bits is the price of the wrong model.
"""),
        code("""
p, q = [0.5, 0.25, 0.125, 0.125], [0.25] * 4
h, kl = nn.entropy(p, base=2).item(), nn.kl_divergence(p, q, base=2).item()
cross = -(np.array(p) * np.log2(q)).sum()
print(f"H(p) = {h:.4g} bits, H(p, q) = {cross:.4g} bits, KL = {kl:.4g} bits")
assert np.allclose((h, cross, kl), (1.75, 2.0, 0.25), rtol=1e-12)
"""),
        md("""
## Why minimising cross-entropy against one-hot labels minimises KL

For a one-hot label $y$, $H(y) = 0$, so $H(y, q) = KL(y\\,\\|\\,q)$: the two losses are the same
function of the model's $q$. With $q = \\mathrm{softmax}(z)$ the gradient with respect to the
logits is $q - y$, which the engine reproduces.
"""),
        code("""
logits = Tensor([[2.0, -1.0, 0.5]], requires_grad=True)
y = np.array([[0.0, 0.0, 1.0]])
loss = nn.cross_entropy(logits, y, reduction="sum")
loss.backward()
q = logits.softmax().data
assert math.isclose(loss.item(), nn.kl_divergence(y, q).item())
assert np.allclose(logits.grad, q - y)
print("cross-entropy", loss.item(), "= KL; gradient q - y =", logits.grad)
"""),
        md("""
## What to try next

* Plot $KL(p\\,\\|\\,q)$ and $KL(q\\,\\|\\,p)$ for two coins as $q$ varies: KL is not symmetric.
* Compute the entropy of English letters from a text of your choice.
"""),
    ]


@notebook("03_linear_regression")
def regression():
    return [
        md("""
# 3. Linear regression three ways

**What you will learn:** the least-squares line in closed form, the normal equation for several
inputs, gradient descent with the engine and the effect of the learning rate, why squared
error is the negative log-likelihood of Gaussian noise, and mini-batch SGD.
"""),
        SETUP,
        md("""
## Three points, closed form

For the points $(0, 0), (1, 1), (1, 2)$ and $\\hat y = w_0 + w_1 x$, minimising
$L = \\sum (y - w_1 x - w_0)^2$ gives $w_1 = \\mathrm{cov}(x,y)/\\mathrm{var}(x) = 1.5$ and
$w_0 = \\bar y - w_1 \\bar x = 0$: the line passes through the middle of the two points at $x = 1$.
"""),
        code("""
x, y = np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0])
w1 = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
w0 = y.mean() - w1 * x.mean()
assert math.isclose(w1, 1.5) and abs(w0) < 1e-12
A = np.stack([np.ones_like(x), x], axis=1)       # the design matrix, a column per weight
normal = np.linalg.solve(A.T @ A, A.T @ y)          # the normal equation
assert np.allclose(normal, [0.0, 1.5]) and np.allclose(np.linalg.pinv(A) @ y, normal)
print("w0, w1 =", normal)
"""),
        md("""
## Gradient descent with the engine

From $w_0 = w_1 = 1$ with $\\eta = 0.1$. (A worked example in circulation prints 0.54 for
$w_0$ at step 2; the arithmetic gives 0.52, and the engine agrees with the arithmetic.)
"""),
        code("""
def descend(lr, steps, start=(1.0, 1.0)):
    w0, w1 = Tensor(start[0], requires_grad=True), Tensor(start[1], requires_grad=True)
    opt = nn.SGD([w0, w1], lr=lr)
    path, losses = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.sse(w1 * x + w0, y)
        loss.backward(); opt.step()
        path.append((w0.item(), w1.item())); losses.append(loss.item())
    return path, losses

path, _ = descend(0.1, 100)
print(path[:4], path[-1])
assert np.allclose(path[:4], [(0.6, 0.8), (0.52, 0.84), (0.472, 0.896), (0.4304, 0.9488)])
assert abs(path[-1][0] - 6.42e-5) < 5e-7 and abs(path[-1][1] - 1.49992) < 5e-6
"""),
        md("""
## The learning rate

The loss is a quadratic bowl with Hessian $2A^\\top A$; descent converges only when
$\\eta < 2/\\lambda_{max} = 0.219$. Too small is slow, too large diverges.
"""),
        code("""
limit = 2 / np.linalg.eigvalsh(2 * A.T @ A).max()
fig, ax = plt.subplots(figsize=(6, 3.5))
for lr in (0.01, 0.1, 0.25):
    _, losses = descend(lr, 40)
    ax.semilogy(losses, label=f"η = {lr}")
ax.set(title=f"Loss per step (diverges above η = {limit:.3f})", xlabel="step",
       ylabel="sum of squared errors")
ax.legend(); ax.grid(alpha=0.3); plt.show()
assert round(limit, 3) == 0.219
assert descend(0.25, 40)[1][-1] > 1e3 > 1e-3 > descend(0.1, 40)[1][-1] - 0.5
"""),
        md("""
## Squared error is a Gaussian negative log-likelihood

If $y = \\hat y + \\varepsilon$ with $\\varepsilon \\sim N(0, \\sigma^2)$, then
$-\\log p(y) = (y - \\hat y)^2/(2\\sigma^2) + \\log(\\sigma\\sqrt{2\\pi})$: for a fixed $\\sigma$ the
negative log-likelihood is the squared error, scaled and shifted, so both have the same minimum.
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

On 1,000 noisy points of $y = 3x - 1$, mini-batches of 32 reach the least-squares fit in a
few epochs; each step uses only a batch's gradient.
"""),
        code("""
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(1000, 1)); Y = 3 * X[:, 0] - 1 + rng.normal(scale=0.1, size=1000)
model = nn.Linear(1, 1, rng=0)
opt = nn.SGD(model.parameters(), lr=0.1)
for epoch in range(5):
    for xb, yb in nn.data.batches(X, Y, 32, seed=epoch):
        opt.zero_grad()
        nn.mse(model(Tensor(xb)).reshape(-1), yb).backward()
        opt.step()
print("weight", model.weight.data.ravel(), "bias", model.bias.data)
assert abs(model.weight.item() - 3) < 0.05 and abs(model.bias.item() + 1) < 0.05
"""),
        md("""
## What to try next

* Add a feature $x^2$ to the design matrix and fit a parabola.
* Try momentum (`nn.SGD(..., momentum=0.9)`) with $\\eta = 0.25$, where plain descent diverged.
"""),
    ]


@notebook("04_logistic_regression_mle")
def logistic():
    return [
        md("""
# 4. Logistic regression and maximum likelihood

**What you will learn:** the likelihood of data as a function of a parameter and its maximum,
logistic regression fitted by maximum likelihood with the engine on the Challenger O-ring data,
and Newton's method with second derivatives from the engine.
"""),
        SETUP,
        md("""
## A binomial likelihood

34 of 100 throws of a die come up red. With $P(\\text{red}) = p$ the likelihood is
$\\mathcal L(p) = \\binom{100}{34} p^{34}(1-p)^{66}$, maximal at $p = 34/100$. If the die has $k$
red faces of six, only $p = k/6$ is possible, and $k = 2$ is the most likely.
"""),
        code("""
ps = np.linspace(0.001, 0.999, 999)
log_lik = 34 * np.log(ps) + 66 * np.log(1 - ps) + math.log(math.comb(100, 34))
faces = np.arange(1, 6) / 6
face_lik = np.exp(34 * np.log(faces) + 66 * np.log(1 - faces) + math.log(math.comb(100, 34)))
p_hat = 0.5
for _ in range(200):   # gradient ascent on the log-likelihood, with the engine
    p_hat += 1e-3 * grad(lambda p: 34 * p.log() + 66 * (1.0 - p).log())(p_hat)
assert abs(ps[np.argmax(log_lik)] - 0.34) < 1e-3 and abs(p_hat - 0.34) < 1e-6
assert faces[np.argmax(face_lik)] == 2 / 6
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ps, np.exp(log_lik), label="any p")
ax.plot(faces, face_lik, "o", label="p = k/6")
ax.set(title="Likelihood of 34 red in 100 throws", xlabel="p = P(red)", ylabel="likelihood")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## The Challenger O-rings

Before the 1986 launch at 31 °F, 23 flights recorded the launch temperature and whether an
O-ring showed thermal distress. Logistic regression models
$P(\\text{distress}) = \\sigma(\\beta_0 + \\beta_1 t)$; maximum likelihood minimises the binary
cross-entropy $-\\sum_i [y_i \\log \\sigma(z_i) + (1-y_i)\\log(1-\\sigma(z_i))]$. We centre the
temperature (units of 10 °F around 70 °F) so that descent is well conditioned.
"""),
        code("""
temperature, distress = nn.data.load_challenger()
centred = (temperature - 70.0) / 10.0

def nll(beta):
    return nn.binary_cross_entropy_with_logits(beta[0] + beta[1] * Tensor(centred),
                                               distress.astype(float), reduction="sum")

beta, gd_steps = np.zeros(2), 0
while np.abs(grad(nll)(beta)).max() > 1e-6:
    beta = beta - 0.05 * grad(nll)(beta)
    gd_steps += 1
print(f"gradient descent: {gd_steps} steps, beta = {beta}")
"""),
        code("""
slope = beta[1] / 10.0
intercept = beta[0] - 70.0 * slope
p31 = 1 / (1 + math.exp(-(intercept + slope * 31)))
print(f"P(distress) = sigmoid({intercept:.3f} + {slope:.4f} t); at 31 °F: {p31:.4f}")
assert p31 > 0.999
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

Newton's method divides the gradient by the curvature: $\\beta \\leftarrow \\beta - H^{-1}\\nabla L$.
`grad(grad(...))` and `autograd.hvp` give $H$ from the same graph, and a handful of Newton steps
replace hundreds of descent steps.
"""),
        code("""
beta_newton, newton_steps = np.zeros(2), 0
while np.abs(grad(nll)(beta_newton)).max() > 1e-6:
    hessian = np.stack([autograd.hvp(nll, beta_newton, e) for e in np.eye(2)])
    beta_newton = beta_newton - np.linalg.solve(hessian, grad(nll)(beta_newton))
    newton_steps += 1
print(f"Newton: {newton_steps} steps; gradient descent: {gd_steps} steps")
assert np.allclose(beta_newton, beta, atol=1e-5) and newton_steps < 10 < gd_steps
"""),
        md("""
## What to try next

* Fit the model without centring the temperature and watch gradient descent crawl.
* Add a quadratic term in temperature and compare the log-likelihoods.
"""),
    ]


@notebook("05_cross_entropy_learns_faster")
def faster():
    return [
        md("""
# 5. Why cross-entropy learns faster

**What you will learn:** why a saturated sigmoid neuron learns slowly under the quadratic cost,
how the cross-entropy cost cancels the $\\sigma'(z)$ factor, and the same cancellation for
softmax with the log-likelihood: the gradient is simply $a - y$.
"""),
        SETUP,
        md("""
## One neuron, two costs, two starts

A single sigmoid neuron with input $x = 1$ learns to output 0 with $\\eta = 0.15$. Under the
quadratic cost $C = (a - y)^2/2$ the gradient is $(a - y)\\sigma'(z)$; under cross-entropy it is
$a - y$. We start from $(w, b) = (0.6, 0.9)$ and from $(2, 2)$, where the neuron is saturated.
"""),
        code("""
def train(w, b, cost, epochs=300, eta=0.15):
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

runs = {(start, cost): train(*start, cost) for start in [(0.6, 0.9), (2.0, 2.0)]
        for cost in ["quadratic", "cross-entropy"]}
assert round(runs[(0.6, 0.9), "quadratic"][0], 2) == 0.82
assert abs(runs[(0.6, 0.9), "quadratic"][299] - 0.09) < 0.01
assert runs[(2.0, 2.0), "quadratic"][149] > 0.5 > 0.1 > runs[(2.0, 2.0), "cross-entropy"][149]
fig, ax = plt.subplots(figsize=(7, 4))
for (start, cost), out in runs.items():
    ax.plot(out, label=f"start (w, b) = {start}, {cost}")
ax.set(title="Output of a sigmoid neuron learning to output 0", xlabel="epoch",
       ylabel="output a (dimensionless)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## The $\\sigma'(z)$ factor and its cancellation

At the saturated start $z = 4$, $\\sigma'(4) = 0.018$: the quadratic cost's gradient is 55 times
smaller than the error $a - y$. The engine's gradients show it directly.
"""),
        code("""
z = Scalar(4.0)
nn.mse(z.sigmoid(), [0.0], half=True).backward()
a = 1 / (1 + math.exp(-4.0))
quadratic_grad = z.grad
z = Scalar(4.0)
nn.binary_cross_entropy_with_logits(z, [0.0]).backward()
print(f"dC/dz quadratic {quadratic_grad:.4f} = (a - y) sigma'(z); cross-entropy {z.grad:.4f} = a - y")
assert math.isclose(quadratic_grad, a * a * (1 - a)) and math.isclose(z.grad, a)
"""),
        md("""
## Softmax with the log-likelihood

For a softmax output layer $a = \\mathrm{softmax}(z)$ and the cost $-\\log a_y$, the gradient with
respect to the logits is again $a - y$ (with $y$ one-hot): no saturation slows it down.
"""),
        code("""
logits = Tensor(np.array([[4.0, -2.0, 1.0]]), requires_grad=True)
nn.cross_entropy(logits, np.array([1]), reduction="sum").backward()
a = logits.softmax().data
print("gradient", logits.grad, " a - y", a - np.array([[0, 1, 0]]))
assert np.allclose(logits.grad, a - np.array([[0.0, 1.0, 0.0]]))
"""),
        md("""
## What to try next

* Start the neuron at $(w, b) = (5, 5)$: how long does the quadratic cost take to escape?
* Derive the cross-entropy gradient by hand and compare with `autograd.backward_steps`.
"""),
    ]


@notebook("06_mlp_on_digits")
def digits():
    return [
        md("""
# 6. From multinomial logistic regression to an MLP on digits

**What you will learn:** softmax regression on the 8x8 digits, the step to a hidden layer of
sigmoid neurons, mini-batch SGD, quadratic cost against cross-entropy, what the first layer
learns, and where the network still errs.
"""),
        SETUP,
        code("""
(X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
print(X_train.shape, X_test.shape)
fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, image, label in zip(axes, X_train, y_train):
    ax.imshow(image.reshape(8, 8), cmap="gray_r"); ax.set_title(str(label)); ax.axis("off")
fig.suptitle("Training digits (8x8 pixels, intensity 0 to 1)"); plt.show()
"""),
        md("""
## Softmax regression

Multinomial logistic regression is a network without a hidden layer: logits $z = xW + b$ and
$P(\\text{class}) = \\mathrm{softmax}(z)$. With 64 inputs and 10 classes it has
$64 \\times 10 + 10 = 650$ parameters.
"""),
        code("""
def train(sizes, loss="cross_entropy", epochs=30, lr=0.5):
    model = nn.MLP(sizes, activation="sigmoid",
                   output="sigmoid" if loss == "quadratic" else "identity", rng=0)
    if loss == "quadratic":
        loss_fn = lambda out, y: nn.mse(out, np.eye(10)[y], half=True)
    else:
        loss_fn = nn.cross_entropy
    history = nn.fit(model, loss_fn, nn.SGD(model.parameters(), lr=lr), (X_train, y_train),
                     epochs=epochs, batch_size=10, val=(X_test, y_test), seed=0, quiet=True)
    return model, history

softmax_model, softmax_history = train([64, 10])
assert sum(p.size for p in softmax_model.parameters()) == 650
print(f"softmax regression: test accuracy {softmax_history['val_accuracy'][-1]:.3f}")
"""),
        md("""
## Hidden layers of 30 and 100 sigmoid neurons

Mini-batches of 10, $\\eta = 0.5$, 30 epochs.
"""),
        code("""
mlp30, history30 = train([64, 30, 10])
mlp100, history100 = train([64, 100, 10])
for name, h in [("softmax", softmax_history), ("30 hidden", history30), ("100 hidden", history100)]:
    print(f"{name:>10}: test accuracy {h['val_accuracy'][-1]:.3f}")
assert history30["val_accuracy"][-1] >= 0.95
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, h in [("softmax", softmax_history), ("30 hidden", history30), ("100 hidden", history100)]:
    ax.plot(np.arange(1, len(h["val_accuracy"]) + 1), np.array(h["val_accuracy"]) * 100,
            label=name)
ax.set(title="Test accuracy per epoch", xlabel="epoch", ylabel="accuracy (%)")
ax.legend(); ax.grid(alpha=0.3); plt.show()
"""),
        md("""
## Quadratic cost against cross-entropy

The same 30-unit network with sigmoid outputs and the quadratic cost learns more slowly
(notebook 5 shows why), here at the same learning rate and number of epochs.
"""),
        code("""
_, quadratic = train([64, 30, 10], loss="quadratic")
print(f"quadratic cost: {quadratic['val_accuracy'][-1]:.3f}, "
      f"cross-entropy: {history30['val_accuracy'][-1]:.3f}")
assert quadratic["val_accuracy"][0] < history30["val_accuracy"][0]
"""),
        md("""
## What the first layer learns

Each hidden neuron's 64 incoming weights, drawn as an 8x8 image: strokes and blobs that the
output layer combines into digits.
"""),
        code("""
weights = mlp30.layers[0].weight.data
fig, axes = plt.subplots(3, 10, figsize=(10, 3.2))
for j, ax in enumerate(axes.ravel()):
    ax.imshow(weights[:, j].reshape(8, 8), cmap="RdBu"); ax.axis("off")
fig.suptitle("First-layer weights of the 30 hidden neurons (red negative, blue positive)")
plt.show()
"""),
        md("""
## Where it errs: the confusion matrix
"""),
        code("""
predicted = mlp30(Tensor(X_test)).data.argmax(axis=1)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
assert confusion.trace() == (predicted == y_test).sum()
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.imshow(confusion, cmap="Blues")
for i, j in np.ndindex(confusion.shape):
    if confusion[i, j]:
        ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=8)
ax.set(title="Confusion matrix (test digits)", xlabel="predicted digit", ylabel="true digit",
       xticks=range(10), yticks=range(10))
plt.show()
"""),
        md("""
## The same on MNIST

With the MNIST IDX files (from a source you trust) the same code trains a 784-30-10 network:

```python
images = nn.data.load_idx("train-images-idx3-ubyte.gz")   # (60000, 28, 28) uint8
labels = nn.data.load_idx("train-labels-idx1-ubyte.gz")   # (60000,)
X = images.reshape(len(images), -1) / 255.0
```

or from the command line: `python -m nn --dataset idx --idx-images ... --idx-labels ...`.
Here is the reader on a tiny IDX file written on the spot:
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

* Add momentum, or a second hidden layer, and compare the test accuracy.
* Train with `relu` hidden units and a smaller learning rate.
"""),
    ]


def build(names):
    """Write and execute the selected notebooks, keeping their outputs."""
    for name in names:
        nb = nbformat.v4.new_notebook()
        nb.cells = NOTEBOOKS[name]()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"built {name}.ipynb")


if __name__ == "__main__":
    prefixes = sys.argv[1:]
    build([n for n in NOTEBOOKS if not prefixes or any(n.startswith(p) for p in prefixes)])
