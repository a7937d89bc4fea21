"""Stochastic gradient descent with momentum and weight decay."""

import math
import numbers

import numpy as np

import autograd
from autograd import Scalar, Tensor

# name: (lowest value, whether the lowest value itself is allowed, upper bound (excluded))
_RANGES = {"lr": (0.0, False, math.inf), "momentum": (0.0, True, 1.0),
           "weight_decay": (0.0, True, math.inf)}


def hyperparameter_problems(**values):
    """One message per hyper-parameter of SGD that is not a finite number in its range
    (lr > 0, 0 <= momentum < 1, weight_decay >= 0), each starting with the name; [] when all
    are good."""
    problems = []
    for name, value in values.items():
        low, low_allowed, high = _RANGES[name]
        rule = f"{'at least' if low_allowed else 'above'} {low:g}" + \
            (f" and below {high:g}" if high < math.inf else "")
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and \
            math.isfinite(value) and (value >= low if low_allowed else value > low) and \
            value < high
        if not ok:
            problems.append(f"{name} must be a finite number {rule}, got {value!r}")
    return problems


class SGD:
    """Plain SGD as in PyTorch: d = grad + weight_decay * w; v = momentum * v + d (when
    momentum > 0, v starting as the first d); w <- w - lr * v. The velocities v are the
    optimiser's own arrays (changing a gradient in place never changes them). Parameters
    without a gradient (frozen ones, or unused in the last backward) are skipped."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD: got no parameters to optimise")
        for p in self.params:
            if not isinstance(p, (Tensor, Scalar)) or p.op is not None:
                raise TypeError(f"SGD: every parameter must be a leaf Tensor or Scalar (not a "
                                f"computed value), got {p!r:.60}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("SGD: a parameter appears more than once in the list; each would "
                             "be stepped several times")
        problems = hyperparameter_problems(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if problems:
            raise ValueError("SGD: " + "; ".join(problems))
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.velocity = [None] * len(self.params)

    def step(self):
        """Update every parameter's `.data` from its `.grad` (a gradient recorded with
        `backward(create_graph=True)` is used through its data)."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            d = p.grad.data if isinstance(p.grad, (Tensor, Scalar)) else p.grad
            if self.weight_decay:
                d = d + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.array(d, dtype=np.result_type(p.data), copy=True)
                else:
                    v *= self.momentum
                    v += d
                d = v
            _apply_update(p, self.lr * d)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (None, as PyTorch does; zeros if asked)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            else:
                p.zero_grad()


def _apply_update(p, delta):
    """p <- p - delta, in place (the one place an optimiser changes a parameter): the engine
    bumps p's version, so a backward pass through a graph recorded before the step refuses
    to run instead of giving gradients at the new weights."""
    with autograd.no_grad():
        p -= float(delta) if isinstance(p, Scalar) else delta
