"""Layers: Linear (a row of neurons) and MLP (a stack of them), over Tensor or Scalar values."""

import numpy as np

import autograd
from autograd import Scalar, Tensor

from .module import Module

ACTIVATIONS = {
    "sigmoid": autograd.sigmoid,
    "tanh": autograd.tanh,
    "relu": autograd.relu,
    "identity": lambda z: z,
}


def elementwise(function, *values):
    """Apply `function` to Tensors as they are, or to the Scalars of lists one position at a
    time (one neuron, or one sample, at a time): `elementwise(f, xs, ys)` is [f(x, y), ...]."""
    if isinstance(values[0], list):
        return [function(*items) for items in zip(*values)]
    return function(*values)


class Linear(Module):
    """z = x W + b: `n_out` neurons, each z_j = sum_i x_i w_ij + b_j.

    `value=Tensor` (default) stores W as an (n_in, n_out) Tensor and b as an (n_out,) Tensor and
    takes a batch `x` of shape (batch, n_in). `value=Scalar` stores one Scalar per weight
    (`weight[i][j]` = w_ij) and bias and takes a list of n_in numbers or Scalars, returning a
    list of n_out Scalars: the same layer, neuron by neuron, small enough to draw.

    Weights and biases start uniform in ±1/sqrt(n_in) (PyTorch's default); `rng` (a seed or a
    numpy Generator) makes them reproducible.
    """

    def __init__(self, n_in, n_out, *, value=Tensor, rng=None, dtype=np.float64):
        if int(n_in) < 1 or int(n_out) < 1:
            raise ValueError(f"Linear: sizes must be positive, got n_in={n_in}, n_out={n_out}")
        if value not in (Tensor, Scalar):
            raise TypeError(f"Linear: value must be autograd.Tensor or autograd.Scalar, "
                            f"got {value!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        rng = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(self.n_in)
        w = rng.uniform(-bound, bound, size=(self.n_in, self.n_out))
        b = rng.uniform(-bound, bound, size=self.n_out)
        if value is Tensor:
            self.weight = Tensor(w, requires_grad=True, dtype=dtype, label="weight")
            self.bias = Tensor(b, requires_grad=True, dtype=dtype, label="bias")
        else:
            self.weight = [[Scalar(w[i, j], label=f"w{i + 1}{j + 1}") for j in range(self.n_out)]
                           for i in range(self.n_in)]
            self.bias = [Scalar(b[j], label=f"b{j + 1}") for j in range(self.n_out)]

    def forward(self, x):
        """The layer's pre-activations z for the input x."""
        if isinstance(self.bias, Tensor):
            if not isinstance(x, Tensor):
                x = Tensor(x)
            if x.shape[-1:] != (self.n_in,):
                raise ValueError(f"{self!r}: expected inputs with {self.n_in} features in the "
                                 f"last axis, got shape {x.shape}")
            return x @ self.weight + self.bias
        if len(x) != self.n_in:
            raise ValueError(f"{self!r}: expected {self.n_in} inputs, got {len(x)}")
        # z_j = x_1 w_1j + x_2 w_2j + ... + b_j, in the order a course draws it
        return [sum((x[i] * self.weight[i][j] for i in range(1, self.n_in)),
                    x[0] * self.weight[0][j]) + self.bias[j] for j in range(self.n_out)]

    def __repr__(self):
        return f"Linear({self.n_in} -> {self.n_out})"


class MLP(Module):
    """A multilayer perceptron: Linear layers of the given `sizes` (inputs first), each followed
    by `activation` ("sigmoid", "tanh", "relu" or "identity"), the last by `output`.

    `MLP([64, 30, 10])` is a 64-30-10 network over Tensors; `MLP([3, 4, 1], value=Scalar)` the
    same class over Scalars, neuron by neuron. `rng` seeds the initial weights.
    """

    def __init__(self, sizes, activation="sigmoid", output="identity", *, value=Tensor,
                 rng=None, dtype=np.float64):
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: give at least an input and an output size, got {sizes}")
        for name in (activation, output):
            if name not in ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {name!r}; choose one of "
                                 f"{', '.join(ACTIVATIONS)}")
        rng = np.random.default_rng(rng)
        self.sizes, self.activation, self.output = sizes, activation, output
        self.layers = [Linear(n_in, n_out, value=value, rng=rng, dtype=dtype)
                       for n_in, n_out in zip(sizes[:-1], sizes[1:])]

    def forward(self, x):
        """The network's output: each layer's z = xW + b through its activation a = f(z)."""
        for k, layer in enumerate(self.layers):
            last = k == len(self.layers) - 1
            x = elementwise(ACTIVATIONS[self.output if last else self.activation], layer(x))
        return x

    def __repr__(self):
        return (f"MLP({'-'.join(map(str, self.sizes))}, activation={self.activation!r}, "
                f"output={self.output!r})")
