"""W2: a chain of N scalar steps y = relu(y * 1.0001 + 0.0001), built and backpropagated."""

from autograd import Scalar


def engine(n):
    """Build and backpropagate the chain with gategrad; returns dy/dx."""
    x = Scalar(0.5)
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.0001).relu()
    y.backward()
    return x.grad


def reference(n):
    """The same with Python floats: store the forward values, then the backward pass."""
    y, values = 0.5, []
    for _ in range(n):
        z = y * 1.0001 + 0.0001
        y = z if z > 0 else 0.0
        values.append(y)
    g = 1.0
    for v in reversed(values):
        g = g * 1.0001 if v > 0 else 0.0
    return g


def micrograd(n):
    """The same with micrograd (its recursive sort fails from about 10^3 steps)."""
    from micrograd.engine import Value
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.0001).relu()
    y.backward()
    return x.grad


def pytorch(n):
    """The same with PyTorch eager, float64 scalars (one thread)."""
    import torch
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = torch.relu(y * 1.0001 + 0.0001)
    y.backward()
    return x.grad.item()
