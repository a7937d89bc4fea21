"""Stochastic gradient descent with momentum and weight decay."""

import numbers

from autograd import Scalar, Tensor


class SGD:
    """Plain SGD as in PyTorch: d = grad + weight_decay * w; v = momentum * v + d (when
    momentum > 0); w <- w - lr * v. Parameters without a gradient are skipped."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD: got no parameters to optimise")
        for p in self.params:
            if not isinstance(p, (Tensor, Scalar)) or not p.requires_grad:
                raise TypeError(f"SGD: every parameter must be a Tensor or Scalar with "
                                f"requires_grad=True, got {p!r:.60}")
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if not isinstance(value, numbers.Real) or not value >= 0:
                raise ValueError(f"SGD: {name} must be a number >= 0, got {value!r}")
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.velocity = [None] * len(self.params)

    def step(self):
        """Update every parameter's `.data` from its `.grad`."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            d = p.grad
            if self.weight_decay:
                d = d + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                d = self.velocity[i] = d if v is None else self.momentum * v + d
            p.data -= self.lr * d

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (None, as PyTorch does; zeros if asked)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            else:
                p.zero_grad()
