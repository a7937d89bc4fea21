"""W4: an elementwise pipeline over 10^6 float64 values, loss = sum(sigmoid(exp(log(x) * w) + b)),
forward and backward with respect to the scalars w and b (x is data, already in the engine's
array type before timing)."""

import numpy as np

W, B = 0.7, -0.3
ENGINES = ("gategrad", "pytorch", "mygrad", "hips-autograd", "jax-eager", "jax-jit")
NOT_RUN = {"micrograd": "scalar-only engine (10^6 Value nodes per op is another workload: W2)"}


def cases(workload, quick):
    """One case: 10^6 values (10^5 in a quick run)."""
    n = 10**5 if quick else 10**6
    return [{"label": f"{n:,} float64 values", "n": n}]


def data(n, seed=0):
    """Positive data x."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=n)


class Reference:
    """numpy with the backward pass written out."""

    def __init__(self, n):
        self.x = data(n)

    def run(self):
        log_x = np.log(self.x)
        e = np.exp(log_x * W)
        s = 1.0 / (1.0 + np.exp(-(e + B)))
        loss = s.sum()
        s *= 1.0 - s                       # d sigmoid
        db = s.sum()
        s *= e
        s *= log_x
        return float(loss), [float(s.sum()), float(db)]

    check = run


class Gategrad(Reference):
    """gategrad Tensors; w and b are 0-d leaves."""

    def __init__(self, n):
        from autograd import Tensor
        self.Tensor, self.x = Tensor, Tensor(data(n))

    def run(self):
        w, b = self.Tensor(W, requires_grad=True), self.Tensor(B, requires_grad=True)
        loss = ((self.x.log() * w).exp() + b).sigmoid().sum()
        loss.backward()
        return loss.item(), [float(w.grad), float(b.grad)]

    check = run


class Torch(Reference):
    """PyTorch eager, float64."""

    def __init__(self, n):
        import torch
        self.torch, self.x = torch, torch.from_numpy(data(n))

    def run(self):
        torch = self.torch
        w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(B, dtype=torch.float64, requires_grad=True)
        loss = torch.sigmoid(torch.exp(torch.log(self.x) * w) + b).sum()
        loss.backward()
        return loss.item(), [w.grad.item(), b.grad.item()]

    check = run


class MyGrad(Reference):
    """MyGrad, x a constant tensor."""

    def __init__(self, n):
        import mygrad as mg
        from mygrad.nnet.activations import sigmoid
        self.mg, self.sigmoid = mg, sigmoid
        self.x = mg.tensor(data(n), constant=True)

    def run(self):
        mg = self.mg
        w, b = mg.tensor(W), mg.tensor(B)
        loss = self.sigmoid(mg.exp(mg.log(self.x) * w) + b).sum()
        loss.backward()
        return loss.item(), [float(w.grad), float(b.grad)]

    check = run


class Hips(Reference):
    """HIPS autograd value_and_grad over (w, b); sigmoid written with its numpy."""

    def __init__(self, n):
        import autograd
        import autograd.numpy as anp
        self.x = data(n)

        def loss(w, b):
            return anp.sum(1.0 / (1.0 + anp.exp(-(anp.exp(anp.log(self.x) * w) + b))))
        self.value_and_grad = autograd.value_and_grad(loss, argnum=(0, 1))

    def run(self):
        loss, (dw, db) = self.value_and_grad(W, B)
        return float(loss), [float(dw), float(db)]

    check = run


class JaxEager(Reference):
    """JAX value_and_grad over (w, b), float64; jit compiles it once."""

    jit = False

    def __init__(self, n):
        import jax
        jax.config.update("jax_enable_x64", True)
        jnp = jax.numpy
        self.x = jnp.asarray(data(n))

        def loss(w, b, x):
            return jnp.sum(jax.nn.sigmoid(jnp.exp(jnp.log(x) * w) + b))
        value_and_grad = jax.value_and_grad(loss, argnums=(0, 1))
        self.value_and_grad = jax.jit(value_and_grad) if self.jit else value_and_grad
        self.w, self.b = jnp.asarray(W), jnp.asarray(B)

    def run(self):
        loss, (dw, db) = self.value_and_grad(self.w, self.b, self.x)
        return float(loss), [float(dw), float(db)]

    check = run


class JaxJit(JaxEager):
    """JAX with value_and_grad compiled by jax.jit."""

    jit = True


IMPLEMENTATIONS = {"reference": Reference, "gategrad": Gategrad, "pytorch": Torch,
                   "mygrad": MyGrad, "hips-autograd": Hips, "jax-eager": JaxEager,
                   "jax-jit": JaxJit}


def make(engine, case, data=None):
    """The implementation of `engine` for `case`."""
    return IMPLEMENTATIONS[engine](case["n"])
