"""W3 and W6: MLP training steps with tensors. Sigmoid hidden layers, mean softmax cross-entropy of
integer labels, plain SGD; W3 in float64, W6 the same in float32.

The network is written once (`forward`); each engine brings its own sigmoid and cross-entropy, as
its users would write them: the fused loss where the engine has one (gategrad's
nn.cross_entropy, PyTorch's F.cross_entropy, MyGrad's softmax_crossentropy), log_softmax and
indexing where it has none (HIPS autograd, JAX; jax.jit fuses it anyway)."""

import time

import numpy as np

from engines import first_call_note

LR = 0.1
NOT_RUN = {"micrograd": "scalar-only engine (no tensors)"}
# (layer sizes, batch, steps per timed call so that one call takes tens of milliseconds)
SHAPES = [((64, 100, 10), 10, 400), ((784, 100, 10), 128, 20), ((784, 1024, 1024, 10), 256, 2)]


def cases(workload, quick):
    """One case per network; W6 runs them in float32."""
    dtype = "float32" if workload == "w6" else "float64"
    return [{"label": f"{'-'.join(map(str, sizes))} / batch {batch}", "sizes": sizes,
             "batch": batch, "repeat": 2 if quick else repeat, "dtype": dtype}
            for sizes, batch, repeat in SHAPES]


def setup(case, seed=0):
    """Inputs, integer labels and initial weights [W1, b1, W2, b2, ...] in the case's dtype."""
    rng = np.random.default_rng(seed)
    dtype, sizes = np.dtype(case["dtype"]), case["sizes"]
    X = rng.normal(size=(case["batch"], sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], size=case["batch"])
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights += [(rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)).astype(dtype),
                    np.zeros(n_out, dtype)]
    return X, y, weights


def forward(params, X, y, ops):
    """The loss written once for the array engines: ops = (sigmoid, cross_entropy), where
    cross_entropy(logits, labels) is the mean over the batch."""
    sigmoid, cross_entropy = ops
    a = X
    for k in range(0, len(params) - 2, 2):
        a = sigmoid(a @ params[k] + params[k + 1])
    return cross_entropy(a @ params[-2] + params[-1], y)


def by_log_softmax(log_softmax):
    """Mean cross-entropy of integer labels through log_softmax and indexing (for engines
    without a fused loss)."""
    def cross_entropy(logits, y):
        return -log_softmax(logits)[np.arange(len(y)), y].mean()
    return cross_entropy


class Reference:
    """Hand-written numpy: forward, backward and SGD update written out, in place."""

    def __init__(self, case):
        self.X, self.y, self.params = setup(case)
        self.rows = np.arange(len(self.y))

    def loss_and_grads(self):
        params, acts = self.params, [self.X]
        for k in range(0, len(params) - 2, 2):
            acts.append(1.0 / (1.0 + np.exp(-(acts[-1] @ params[k] + params[k + 1]))))
        z = acts[-1] @ params[-2] + params[-1]
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[self.rows, self.y].mean()
        delta = np.exp(log_p)
        delta[self.rows, self.y] -= 1.0
        delta /= len(self.y)
        grads = []
        for k in range(len(params) - 2, -1, -2):
            a = acts[k // 2]
            grads[:0] = [a.T @ delta, delta.sum(axis=0)]
            if k:
                delta = (delta @ params[k].T) * a * (1.0 - a)
        return float(loss), grads

    def check(self):
        return self.loss_and_grads()

    def run(self):
        loss, grads = self.loss_and_grads()
        for p, g in zip(self.params, grads):
            p -= LR * g
        return loss


class Gategrad:
    """gategrad Tensors; SGD on `.data` in place."""

    def __init__(self, case):
        import nn
        from autograd import Tensor
        X, self.y, weights = setup(case)
        self.X = Tensor(X)
        self.params = [Tensor(w, requires_grad=True) for w in weights]
        self.ops = (lambda v: v.sigmoid(), nn.cross_entropy)

    def check(self):
        loss = forward(self.params, self.X, self.y, self.ops)
        loss.backward()
        grads = [p.grad.copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def run(self):
        loss = forward(self.params, self.X, self.y, self.ops)
        for p in self.params:
            p.grad = None  # as PyTorch's zero_grad(set_to_none=True)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.item()


class GategradCompiled(Gategrad):
    """gategrad with autograd.compile: the loss (X and the labels as arguments) traced on the
    first call, then replayed as generated code; SGD on `.data` in place, as eager."""

    def __init__(self, case):
        import autograd
        super().__init__(case)
        self.step = autograd.compile(lambda X, y: forward(self.params, X, y, self.ops))
        start = time.perf_counter()
        self.step(self.X, self.y)  # the first call: trace, generate, run (reported)
        self.note = first_call_note(self.step, time.perf_counter() - start)
        self.step(self.X, self.y)  # the second: checked against the eager engine
        for p in self.params:
            p.grad = None

    def check(self):
        for p in self.params:
            p.grad = None
        loss = self.step(self.X, self.y)
        grads = [p.grad.copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def run(self):
        for p in self.params:
            p.grad = None
        loss = self.step(self.X, self.y)
        for p in self.params:
            p.data -= LR * p.grad
        return loss.item()


class Torch:
    """PyTorch eager, one thread; in-place SGD under no_grad."""

    def __init__(self, case):
        import torch
        self.torch = torch
        X, y, weights = setup(case)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.params = [torch.tensor(w, requires_grad=True) for w in weights]
        self.ops = (torch.sigmoid, torch.nn.functional.cross_entropy)

    def _backward(self):
        loss = forward(self.params, self.X, self.y, self.ops)
        for p in self.params:
            p.grad = None
        loss.backward()
        return loss

    def check(self):
        loss = self._backward()
        return loss.item(), [p.grad.numpy().copy() for p in self.params]

    def run(self):
        loss = self._backward()
        with self.torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
        return loss.item()


class TorchCompile(Torch):
    """PyTorch with the loss compiled by torch.compile (TorchInductor on the CPU, its backward
    through AOTAutograd), one thread; the first call compiles, in check()."""

    def __init__(self, case):
        super().__init__(case)
        torch = self.torch
        self.loss = torch.compile(lambda params, X, y: forward(params, X, y, self.ops))
        self.note = None

    def _backward(self):
        start = time.perf_counter()
        loss = self.loss(self.params, self.X, self.y)
        for p in self.params:
            p.grad = None
        loss.backward()
        if self.note is None:
            self.note = f"first call (compile) {time.perf_counter() - start:.1f} s"
        return loss


class MyGrad:
    """MyGrad tensors; the update makes new leaves (arrays in a graph are locked)."""

    def __init__(self, case):
        import mygrad as mg
        from mygrad.nnet.activations import sigmoid
        from mygrad.nnet.losses import softmax_crossentropy
        self.mg = mg
        self.X, self.y, weights = setup(case)
        self.params = [mg.tensor(w) for w in weights]
        self.ops = (sigmoid, softmax_crossentropy)

    def check(self):
        loss = forward(self.params, self.X, self.y, self.ops)
        loss.backward()
        return loss.item(), [np.array(p.grad) for p in self.params]

    def run(self):
        loss = forward(self.params, self.X, self.y, self.ops)
        loss.backward()
        self.params = [self.mg.tensor(p.data - LR * p.grad) for p in self.params]
        return loss.item()


def _log_softmax(anp):
    def log_softmax(z):
        shifted = z - anp.max(z, axis=-1, keepdims=True)
        return shifted - anp.log(anp.sum(anp.exp(shifted), axis=-1, keepdims=True))
    return log_softmax


class Hips:
    """HIPS autograd: value_and_grad of the loss over the parameter list (it has no sigmoid or
    log_softmax primitive, so they are written with its numpy)."""

    def __init__(self, case):
        import autograd
        import autograd.numpy as anp
        self.X, self.y, self.params = setup(case)
        ops = (lambda v: 1.0 / (1.0 + anp.exp(-v)), by_log_softmax(_log_softmax(anp)))
        self.value_and_grad = autograd.value_and_grad(
            lambda params: forward(params, self.X, self.y, ops))

    def check(self):
        loss, grads = self.value_and_grad(self.params)
        return float(loss), [np.asarray(g) for g in grads]

    def run(self):
        loss, grads = self.value_and_grad(self.params)
        self.params = [p - LR * g for p, g in zip(self.params, grads)]
        return float(loss)


class JaxEager:
    """JAX value_and_grad without jit; float64 enabled (float32 arrays stay float32)."""

    jit = False

    def __init__(self, case):
        import jax
        jax.config.update("jax_enable_x64", True)
        X, y, weights = setup(case)
        self.X, self.y = jax.numpy.asarray(X), np.asarray(y)
        self.params = [jax.numpy.asarray(w) for w in weights]
        ops = (jax.nn.sigmoid, by_log_softmax(lambda v: jax.nn.log_softmax(v, axis=-1)))
        value_and_grad = jax.value_and_grad(lambda params: forward(params, self.X, self.y, ops))

        def step(params):
            loss, grads = value_and_grad(params)
            return loss, [p - LR * g for p, g in zip(params, grads)]
        self.value_and_grad = jax.jit(value_and_grad) if self.jit else value_and_grad
        self.step = jax.jit(step) if self.jit else step

    def check(self):
        loss, grads = self.value_and_grad(self.params)
        return float(loss), [np.asarray(g) for g in grads]

    def run(self):
        loss, self.params = self.step(self.params)
        return float(loss)  # waits for the result (JAX dispatches asynchronously)


class JaxJit(JaxEager):
    """JAX with the whole step (loss, gradients and update) compiled by jax.jit."""

    jit = True


IMPLEMENTATIONS = {"reference": Reference, "gategrad": Gategrad,
                   "gategrad-compiled": GategradCompiled, "pytorch": Torch,
                   "torch-compile": TorchCompile, "mygrad": MyGrad, "hips-autograd": Hips, "jax-eager": JaxEager,
                   "jax-jit": JaxJit}
ENGINES = tuple(name for name in IMPLEMENTATIONS if name != "reference")
"""The engines that run this workload (run.py reads it)."""


def make(engine, case, data):
    """The implementation of `engine` for `case` (its data are made by `setup`)."""
    return IMPLEMENTATIONS[engine](case)
