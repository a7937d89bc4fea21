"""W4: an elementwise pipeline over 10^6 float64 values, loss = sum(sigmoid(exp(log(x) * w) + b)),
forward and backward with respect to w and b (x is data, already in the engine's array type
before timing). Two shapes: w and b scalars (0-d), and w and b arrays of x's shape (the shape
of an independent measurement)."""

import time

import numpy as np

from engines import first_call_note

W, B = 0.7, -0.3
NOT_RUN = {"micrograd": "scalar-only engine (10^6 Value nodes per op is another workload: W2)"}


def cases(workload, quick):
    """10^6 values (10^5 in a quick run), with scalar w and b, and with arrays."""
    n = 10**5 if quick else 10**6
    return [{"label": f"{n:,} float64 values", "n": n, "shape": "scalars"},
            {"label": f"{n:,} float64 values, w and b arrays of x's shape", "n": n,
             "shape": "arrays"}]


def data(n, seed=0):
    """Positive data x."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=n)


def weights(n, shape):
    """(w, b): the numbers W and B, or arrays of x's shape around them."""
    if shape == "scalars":
        return W, B
    rng = np.random.default_rng(1)
    return W + rng.uniform(-0.2, 0.2, size=n), B + rng.uniform(-0.2, 0.2, size=n)


def _result(loss, dw, db, scalars):
    as_value = float if scalars else np.asarray
    return float(loss), [as_value(dw), as_value(db)]


class Reference:
    """numpy with the backward pass written out."""

    def __init__(self, n, shape="scalars"):
        self.x = data(n)
        self.w, self.b = weights(n, shape)
        self.scalars = shape == "scalars"

    def run(self):
        log_x = np.log(self.x)
        e = np.exp(log_x * self.w)
        s = 1.0 / (1.0 + np.exp(-(e + self.b)))
        loss = s.sum()
        s *= 1.0 - s                       # d sigmoid
        db = s.sum() if self.scalars else s.copy()
        s *= e
        s *= log_x
        return _result(loss, s.sum() if self.scalars else s, db, self.scalars)

    check = run


class Gategrad(Reference):
    """gategrad Tensors; w and b are leaves (0-d or of x's shape), made once (Tensor copies its
    data, and the reference does not copy w and b either); their gradients are reset per run."""

    def __init__(self, n, shape="scalars"):
        from autograd import Tensor
        super().__init__(n, shape)
        self.x = Tensor(self.x)
        self.w_leaf = Tensor(self.w, requires_grad=True)
        self.b_leaf = Tensor(self.b, requires_grad=True)

    def leaves(self):
        return self.w_leaf, self.b_leaf

    def result(self, loss):
        """The loss and gradients; the leaves let go of their gradients (as the reference's
        arrays, they live until the caller drops the result: a memory run sees them)."""
        w, b = self.leaves()
        result = _result(loss.item(), w.grad, b.grad, self.scalars)
        w.grad = b.grad = None
        return result

    def run(self):
        w, b = self.leaves()
        loss = ((self.x.log() * w).exp() + b).sigmoid().sum()
        loss.backward()
        return self.result(loss)

    check = run


class GategradCompiled(Gategrad):
    """gategrad with autograd.compile: x, w and b are the step's arguments."""

    def __init__(self, n, shape="scalars"):
        import autograd
        super().__init__(n, shape)
        self.step = autograd.compile(lambda x, w, b: ((x.log() * w).exp() + b).sigmoid().sum())
        start = time.perf_counter()
        self.run()  # the first call: trace, generate, run (reported)
        self.note = first_call_note(self.step, time.perf_counter() - start)
        self.run()  # the second: checked against the eager engine

    def run(self):
        return self.result(self.step(self.x, *self.leaves()))

    check = run


class Torch(Reference):
    """PyTorch eager, float64."""

    def __init__(self, n, shape="scalars"):
        import torch
        super().__init__(n, shape)
        self.torch, self.x = torch, torch.from_numpy(self.x)

    def loss(self, w, b, x):
        torch = self.torch
        return torch.sigmoid(torch.exp(torch.log(x) * w) + b).sum()

    def run(self):
        if not hasattr(self, "w_leaf"):  # made once, as gategrad's; gradients reset per run
            torch = self.torch
            self.w_leaf = torch.tensor(self.w, dtype=torch.float64, requires_grad=True)
            self.b_leaf = torch.tensor(self.b, dtype=torch.float64, requires_grad=True)
        w, b = self.w_leaf, self.b_leaf
        loss = self.loss(w, b, self.x)
        loss.backward()
        result = _result(loss.item(), w.grad.numpy(), b.grad.numpy(), self.scalars)
        w.grad = b.grad = None
        return result

    check = run


class TorchCompile(Torch):
    """PyTorch with the loss compiled by torch.compile (TorchInductor on the CPU)."""

    def __init__(self, n, shape="scalars"):
        super().__init__(n, shape)
        self.loss = self.torch.compile(Torch.loss.__get__(self))
        self.note = None

    def run(self):
        start = time.perf_counter()
        result = super().run()
        if self.note is None:
            self.note = f"first call (compile) {time.perf_counter() - start:.1f} s"
        return result

    check = run


class MyGrad(Reference):
    """MyGrad, x a constant tensor."""

    def __init__(self, n, shape="scalars"):
        import mygrad as mg
        from mygrad.nnet.activations import sigmoid
        super().__init__(n, shape)
        self.mg, self.sigmoid = mg, sigmoid
        self.x = mg.tensor(self.x, constant=True)

    def run(self):
        mg = self.mg
        w, b = mg.tensor(self.w), mg.tensor(self.b)
        loss = self.sigmoid(mg.exp(mg.log(self.x) * w) + b).sum()
        loss.backward()
        return _result(loss.item(), np.asarray(w.grad), np.asarray(b.grad), self.scalars)

    check = run


class Hips(Reference):
    """HIPS autograd value_and_grad over (w, b); sigmoid written with its numpy."""

    def __init__(self, n, shape="scalars"):
        import autograd
        import autograd.numpy as anp
        super().__init__(n, shape)
        x = self.x

        def loss(w, b):
            return anp.sum(1.0 / (1.0 + anp.exp(-(anp.exp(anp.log(x) * w) + b))))
        self.value_and_grad = autograd.value_and_grad(loss, argnum=(0, 1))

    def run(self):
        loss, (dw, db) = self.value_and_grad(self.w, self.b)
        return _result(loss, np.asarray(dw), np.asarray(db), self.scalars)

    check = run


class JaxEager(Reference):
    """JAX value_and_grad over (w, b), float64; jit compiles it once."""

    jit = False

    def __init__(self, n, shape="scalars"):
        import jax
        jax.config.update("jax_enable_x64", True)
        jnp = jax.numpy
        super().__init__(n, shape)
        self.x = jnp.asarray(self.x)

        def loss(w, b, x):
            return jnp.sum(jax.nn.sigmoid(jnp.exp(jnp.log(x) * w) + b))
        value_and_grad = jax.value_and_grad(loss, argnums=(0, 1))
        self.value_and_grad = jax.jit(value_and_grad) if self.jit else value_and_grad
        self.w, self.b = jnp.asarray(self.w), jnp.asarray(self.b)

    def run(self):
        loss, (dw, db) = self.value_and_grad(self.w, self.b, self.x)
        return _result(loss, np.asarray(dw), np.asarray(db), self.scalars)

    check = run


class JaxJit(JaxEager):
    """JAX with value_and_grad compiled by jax.jit."""

    jit = True


IMPLEMENTATIONS = {"reference": Reference, "gategrad": Gategrad,
                   "gategrad-compiled": GategradCompiled, "pytorch": Torch,
                   "torch-compile": TorchCompile, "mygrad": MyGrad, "hips-autograd": Hips,
                   "jax-eager": JaxEager, "jax-jit": JaxJit}
ENGINES = tuple(name for name in IMPLEMENTATIONS if name != "reference")
"""The engines that run this workload (run.py reads it)."""


def make(engine, case, data):
    """The implementation of `engine` for `case` (its data are made by `data`)."""
    return IMPLEMENTATIONS[engine](case["n"], case.get("shape", "scalars"))
