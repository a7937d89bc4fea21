"""One small adapter per engine for scalar graphs (W1, W2, W5), so a workload is written once.

An adapter turns floats into the engine's leaves, records `f(params)` (`build`), runs the backward
pass (`backward`, returning one gradient per leaf) and applies an SGD update. Object-style
engines (gategrad, micrograd, PyTorch, MyGrad) call `.backward()` on the output; functional ones
(HIPS autograd, JAX) split the work with their vjp function. Every import happens inside the
adapter, so a process only loads the engine it measures (HIPS autograd's import name is ours).
"""


class Gategrad:
    """gategrad's Scalar: Python float data and gradient per node."""

    def __init__(self):
        from autograd import Scalar
        self.Scalar = Scalar

    def leaves(self, values):
        return [self.Scalar(v) for v in values]

    relu = staticmethod(lambda v: v.relu())

    def wrap(self, x):
        """An input as the engine's scalar value (micrograd's demo wraps every input)."""
        return self.Scalar(x)

    def build(self, f, params):
        return f(params)

    def value(self, out):
        return out.data

    def backward(self, out, params):
        for p in params:
            p.grad = None  # as PyTorch's zero_grad(set_to_none=True)
        out.backward()
        return [p.grad for p in params]

    def update(self, params, grads, lr):
        for p, g in zip(params, grads):
            p.data -= lr * g
        return params


class Micrograd(Gategrad):
    """karpathy/micrograd's Value (a closure per node, recursive topological sort)."""

    def __init__(self):
        from micrograd.engine import Value
        self.Scalar = Value

    def backward(self, out, params):
        for p in params:
            p.grad = 0.0
        out.backward()
        return [p.grad for p in params]


class Torch:
    """PyTorch eager on 0-d float64 tensors, one thread."""

    def __init__(self):
        import torch
        self.torch = torch
        self.relu = torch.relu

    def leaves(self, values):
        return [self.torch.tensor(v, dtype=self.torch.float64, requires_grad=True)
                for v in values]

    def wrap(self, x):
        return self.torch.tensor(x, dtype=self.torch.float64)

    def build(self, f, params):
        return f(params)

    def value(self, out):
        return out.item()

    def backward(self, out, params):
        for p in params:
            p.grad = None
        out.backward()
        return [p.grad for p in params]

    def update(self, params, grads, lr):
        with self.torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
        return params


class MyGrad(Torch):
    """MyGrad on 0-d float64 tensors (new leaves after each update, as its arrays are locked
    while a graph holds them)."""

    def __init__(self):
        import mygrad
        from mygrad.nnet.activations import relu
        self.mg = mygrad
        self.relu = relu

    def leaves(self, values):
        return [self.mg.tensor(float(v)) for v in values]

    def backward(self, out, params):
        out.backward()
        return [p.grad for p in params]

    def update(self, params, grads, lr):
        return [self.mg.tensor(p.data - lr * g) for p, g in zip(params, grads)]


class Hips:
    """HIPS autograd: traces Python floats; `make_vjp` separates recording from the backward."""

    def __init__(self):
        import autograd
        import autograd.numpy as anp
        self.make_vjp = autograd.make_vjp
        self.relu = lambda v: anp.maximum(v, 0.0)

    def leaves(self, values):
        return [float(v) for v in values]

    def build(self, f, params):
        vjp, out = self.make_vjp(f)(params)
        return out, vjp

    def value(self, out):
        return float(out[0])

    def backward(self, out, params):
        return list(out[1](1.0))

    def update(self, params, grads, lr):
        return [p - lr * g for p, g in zip(params, grads)]


class JaxEager(Hips):
    """JAX without jit (every op dispatched on its own), float64, `jax.vjp` for the split."""

    def __init__(self):
        import jax
        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.relu = jax.nn.relu

    def leaves(self, values):
        return [self.jax.numpy.asarray(float(v)) for v in values]

    def build(self, f, params):
        out, vjp = self.jax.vjp(f, params)
        return out, vjp

    def backward(self, out, params):
        return list(out[1](self.jax.numpy.asarray(1.0))[0])


ADAPTERS = {"gategrad": Gategrad, "micrograd": Micrograd, "pytorch": Torch, "mygrad": MyGrad,
            "hips-autograd": Hips, "jax-eager": JaxEager}


def adapter(name):
    """The adapter of engine `name` (KeyError for an engine with no scalar adapter)."""
    return ADAPTERS[name]()
