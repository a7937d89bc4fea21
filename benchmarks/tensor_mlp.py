"""W3: sigmoid MLP training steps with softmax cross-entropy, gategrad Tensors vs hand-written
numpy (forward, backward and SGD update written out)."""

import numpy as np

import nn
from autograd import Tensor

LR = 0.1


def setup(n_in, n_hidden, n_out, batch, seed=0, dtype=np.float64):
    """Random data and initial weights, shared by both implementations."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, n_in)).astype(dtype)
    y = rng.integers(0, n_out, size=batch)
    weights = [rng.normal(size=(n_in, n_hidden)) * 0.1, np.zeros(n_hidden),
               rng.normal(size=(n_hidden, n_out)) * 0.1, np.zeros(n_out)]
    return X, y, [w.astype(dtype) for w in weights]


def engine(X, y, weights):
    """A step function using the engine (parameters updated in place each call)."""
    params = [Tensor(w, requires_grad=True) for w in weights]
    W1, b1, W2, b2 = params
    X = Tensor(X)

    def step():
        logits = (X @ W1 + b1).sigmoid() @ W2 + b2
        loss = nn.cross_entropy(logits, y)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.item()
    return step, params


def reference(X, y, weights):
    """The same step in plain numpy."""
    params = [w.copy() for w in weights]
    rows = np.arange(len(y))

    def step():
        W1, b1, W2, b2 = params  # updated in place below
        a1 = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
        z2 = a1 @ W2 + b2
        shifted = z2 - z2.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[rows, y].mean()
        d2 = np.exp(log_p)
        d2[rows, y] -= 1.0
        d2 /= len(y)
        dW2, db2 = a1.T @ d2, d2.sum(axis=0)
        d1 = (d2 @ W2.T) * a1 * (1.0 - a1)
        dW1, db1 = X.T @ d1, d1.sum(axis=0)
        W1 -= LR * dW1
        b1 -= LR * db1
        W2 -= LR * dW2
        b2 -= LR * db2
        return float(loss)
    return step, params


def pytorch(X, y, weights):
    """The same step with PyTorch eager in float64 (autograd, F.cross_entropy, in-place SGD)."""
    import torch
    import torch.nn.functional as F
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    W1, b1, W2, b2 = params
    X, y = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        loss = F.cross_entropy(torch.sigmoid(X @ W1 + b1) @ W2 + b2, y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()
    return step, params
