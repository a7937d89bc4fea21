"""W4: an elementwise pipeline over 10^6 float64 values, sum(sigmoid(exp(log(x) * w) + b)),
forward and backward with respect to the scalars w and b (x is data)."""

import numpy as np

from autograd import Tensor


def setup(n=10**6, seed=0):
    """Positive data x and the two parameters."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 1.5, size=n), 0.7, -0.3


def engine(x, w, b):
    """Gradients (dL/dw, dL/db) with the engine."""
    W, B = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    loss = ((Tensor(x).log() * W).exp() + B).sigmoid().sum()
    loss.backward()
    return float(W.grad), float(B.grad)


def reference(x, w, b):
    """The same with numpy, the backward pass written out."""
    log_x = np.log(x)
    e = np.exp(log_x * w)
    s = 1.0 / (1.0 + np.exp(-(e + b)))
    d_pre = s * (1.0 - s)          # through the sigmoid
    return float(np.sum(d_pre * e * log_x)), float(np.sum(d_pre))


def pytorch(x, w, b):
    """The same with PyTorch eager (float64)."""
    import torch
    W = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    B = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = torch.sigmoid(torch.exp(torch.log(torch.from_numpy(x)) * W) + B).sum()
    loss.backward()
    return W.grad.item(), B.grad.item()
