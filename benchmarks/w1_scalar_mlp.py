"""W1: micrograd's demo step. A 2-16-16-1 ReLU MLP built from scalar nodes, 100 two-moons points,
SVM max-margin loss plus 1e-4 L2, one SGD step (forward, backward, update).

Two shapes of the same math: "flat" (the parameters in one list, inputs as plain floats, the
losses added one by one) and "demo", exactly as micrograd's demo notebook writes it (every
input wrapped as a Scalar, each neuron `sum((wi*xi ...), b)`, `sum()` of the losses)."""

import time

import numpy as np

import scalar_engines
from engines import first_call_note

SIZES, ALPHA, LR = (2, 16, 16, 1), 1e-4, 0.05
ENGINES = (*scalar_engines.ADAPTERS, "gategrad-compiled")  # the scalar adapters, and compiled
NOT_RUN = {"jax-jit": "jit would compile the unrolled graph of ~60,000 scalar ops; the "
                      "scalar workloads time eager engines",
           "torch-compile": "torch.compile of ~60,000 scalar ops (one graph per step) does not "
                            "finish in the suite's budget"}
DEMO_ENGINES = ("gategrad", "gategrad-compiled", "micrograd", "pytorch")


def cases(workload, quick):
    """One case: the demo step (the data come from the caller, made by scikit-learn); a quick
    run takes the first 10 points only."""
    points = 10 if quick else 100
    return [{"label": f"2-16-16-1 ReLU, {points} points", "points": points, "shape": "flat"},
            {"label": f"micrograd's demo as written, {points} points", "points": points,
             "shape": "demo"}]


def initial_weights(seed=0):
    """Flat parameters, layer by layer: W[j][i] (neuron j, input i) row by row, then b."""
    rng = np.random.default_rng(seed)
    flat = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        flat += rng.uniform(-1, 1, size=n_in * n_out).tolist() + [0.0] * n_out
    return flat


def svm_loss(params, X, y, relu):
    """The loss written once for every engine: node for node the same graph."""
    k, scores = 0, []
    for x in X:
        a = x
        for layer, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            W, b = k, k + n_in * n_out
            z = []
            for j in range(n_out):
                acc = params[b + j]
                for i in range(n_in):
                    acc = acc + params[W + j * n_in + i] * a[i]
                z.append(acc)
            a = z if layer == len(SIZES) - 2 else [relu(v) for v in z]
            k = b + n_out
        scores.append(a[0])
        k = 0
    margins = [relu(1.0 + (-t) * s) for t, s in zip(y, scores)]
    total = margins[0]
    for m in margins[1:]:
        total = total + m
    reg = params[0] * params[0]
    for p in params[1:]:
        reg = reg + p * p
    return total * (1.0 / len(margins)) + ALPHA * reg


def demo_loss(params, X, y, wrap, relu):
    """The loss as micrograd's demo writes it: inputs wrapped one by one, a neuron as
    `sum((wi*xi for ...), b)`, the margins `(1 + -yi*scorei).relu()`, `sum()` of the losses."""
    inputs = [list(map(wrap, row)) for row in X]
    scores = []
    for x in inputs:
        k, a = 0, x
        for layer, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            W, b = k, k + n_in * n_out
            z = [sum((params[W + j * n_in + i] * a[i] for i in range(n_in)), params[b + j])
                 for j in range(n_out)]
            a = z if layer == len(SIZES) - 2 else [relu(v) for v in z]
            k = b + n_out
        scores.append(a[0])
    losses = [relu(1 + -yi * scorei) for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum((p * p for p in params))
    return data_loss + reg_loss


def reference_loss_and_grads(params, X, y):
    """The same loss with Python floats and a hand-written backward pass."""
    layers, k = [], 0
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        layers.append((k, k + n_in * n_out, n_in, n_out))
        k += n_in * n_out + n_out
    grads = [2 * ALPHA * p for p in params]
    loss = ALPHA * sum(p * p for p in params)
    n = len(X)
    for x, target in zip(X, y):
        acts, pres = [x], []
        for depth, (W, b, n_in, n_out) in enumerate(layers):
            a = acts[-1]
            z = [params[b + j] + sum(params[W + j * n_in + i] * a[i] for i in range(n_in))
                 for j in range(n_out)]
            pres.append(z)
            acts.append(z if depth == len(layers) - 1 else [v if v > 0 else 0.0 for v in z])
        margin = 1.0 - target * acts[-1][0]
        if margin <= 0:
            continue
        loss += margin / n
        delta = [-target / n]
        for depth in range(len(layers) - 1, -1, -1):
            W, b, n_in, n_out = layers[depth]
            a = acts[depth]
            for j, d in enumerate(delta):
                if d:
                    grads[b + j] += d
                    row = W + j * n_in
                    for i in range(n_in):
                        grads[row + i] += d * a[i]
            if depth:
                back = [sum(delta[j] * params[W + j * n_in + i] for j in range(n_out))
                        for i in range(n_in)]
                delta = [g if z > 0 else 0.0 for g, z in zip(back, pres[depth - 1])]
    return loss, grads


class Reference:
    """Hand-written Python floats."""

    def __init__(self, X, y):
        self.X, self.y, self.params = X, y, initial_weights()

    def check(self):
        return reference_loss_and_grads(self.params, self.X, self.y)

    def run(self):
        loss, grads = reference_loss_and_grads(self.params, self.X, self.y)
        self.params = [p - LR * g for p, g in zip(self.params, grads)]
        return loss


class EngineStep:
    """One engine through its scalar adapter; the parameters persist across steps."""

    def __init__(self, engine, X, y, shape="flat"):
        self.engine = scalar_engines.adapter(engine)
        self.X, self.y, self.shape = X, y, shape
        self.params = self.engine.leaves(initial_weights())

    def _loss(self, params):
        if self.shape == "demo":
            return demo_loss(params, self.X, self.y, self.engine.wrap, self.engine.relu)
        return svm_loss(params, self.X, self.y, self.engine.relu)

    def check(self):
        out = self.engine.build(self._loss, self.params)
        return self.engine.value(out), [float(g) for g in self.engine.backward(out, self.params)]

    def run(self):
        out = self.engine.build(self._loss, self.params)
        grads = self.engine.backward(out, self.params)
        self.params = self.engine.update(self.params, grads, LR)
        return self.engine.value(out)


class CompiledStep:
    """gategrad with autograd.compile: the step (data as arguments) traced on the first call,
    then replayed as generated code; the parameters persist across steps."""

    def __init__(self, X, y, shape):
        import autograd
        from autograd import Scalar
        self.X, self.y = X, y
        self.params = [Scalar(v) for v in initial_weights()]
        relu = scalar_engines.Gategrad.relu
        if shape == "demo":
            loss = lambda X, y: demo_loss(self.params, X, y, Scalar, relu)  # noqa: E731
        else:
            loss = lambda X, y: svm_loss(self.params, X, y, relu)  # noqa: E731
        self.step = autograd.compile(loss)
        self.note = _warm_up(self.step, (X, y), self.params)

    def check(self):
        for p in self.params:
            p.grad = None
        out = self.step(self.X, self.y)
        return out.data, [p.grad for p in self.params]

    def run(self):
        for p in self.params:
            p.grad = None
        out = self.step(self.X, self.y)
        for p in self.params:
            p.data -= LR * p.grad
        return out.data


def _warm_up(step, args, params):
    """The first call (trace, generate, run: timed, reported in the notes) and the second (the
    one autograd.compile checks against the eager engine), before anything is measured."""
    start = time.perf_counter()
    step(*args)
    first = time.perf_counter() - start
    step(*args)
    for p in params:
        p.grad = None
    return first_call_note(step, first)


def make(engine, case, data):
    """The implementation of `engine` for `case`; data = (X, y) with labels -1/+1."""
    X, y = data[0][:case["points"]], data[1][:case["points"]]
    shape = case.get("shape", "flat")
    if engine == "reference":
        return Reference(X, y)
    if shape == "demo" and engine not in DEMO_ENGINES:
        raise NotImplementedError("the demo's shape is measured for gategrad, micrograd and "
                                  "PyTorch (the engines of the independent measurement)")
    if engine == "gategrad-compiled":
        return CompiledStep(X, y, shape)
    return EngineStep(engine, X, y, shape)
