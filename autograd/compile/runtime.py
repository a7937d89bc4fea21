"""What generated programs call besides numpy: the names their namespace binds.

Everything here is the engine's own: the kernels and helpers the rules use (so a template
computes what its rule computes), the in-place forms of elementwise ops, and the delivery of a
gradient into a leaf exactly as `backward()` does it.
"""

import math

import numpy as np

from .. import ops
from ..labels import class_labels
from ..graph import _add_gradients, unbroadcast
from ..scalar import _as_float
from ..tensor import Tensor


def sigmoid_into(x, out):
    """kernels.sigmoid of an array, written into `out` (the same ufuncs in the same order, so
    the same bits; exp's overflow to inf is the right limit, as there)."""
    np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    return np.divide(1.0, out, out=out)


class DeliveryError(ValueError):
    """A gradient that cannot be added into what a leaf's `.grad` holds (the program names the
    leaf and undoes the call's other deliveries)."""

    def __init__(self, message, leaf):
        super().__init__(message)
        self.leaf = leaf


def deliver(leaf, g):
    """Give leaf its gradient g as backward() does: fitted to the leaf's shape and dtype (a
    read-only view copied, a 0-d result a 0-d array of the leaf's dtype), added to the
    gradient it holds (leaves accumulate until zero_grad)."""
    if g.__class__ is not np.ndarray or g.base is not None:  # (shape and dtype fit already)
        g = leaf._fit_grad(g, "compiled step")
    total = leaf.grad
    if total is None:
        leaf.grad = g
    elif g.__class__ is not np.ndarray or np.shape(total) == g.shape:
        leaf.grad = _add_gradients(leaf, total, g)
    else:
        raise DeliveryError(f"it is of shape {g.shape} (the leaf's shape) but the .grad holds "
                            f"{type(total).__name__} of shape {np.shape(total)}; set .grad to "
                            f"None (zero_grad) or to an array of shape {g.shape}", leaf)


def to_float(g):
    """A Scalar's gradient as a Python float, as backward() fits it."""
    return g if g.__class__ is float else _as_float(g, "compiled step: a Scalar's gradient")


def as_data(value):
    """A Tensor op's result as the graph core keeps it: numpy gives 0-d results as numpy
    scalars, the core (and so every rule) sees 0-d arrays."""
    if value.__class__ is np.ndarray:
        return value
    return np.array(value) if value.__class__ is np.float64 else \
        Tensor._as_data(value, "compiled step")


def check_labels(labels, rows, classes):
    """The label check softmax_cross_entropy runs in eager mode (integers in [0, classes))."""
    return class_labels(labels, rows, classes, "softmax_cross_entropy")


def select_into(cond, a, b, out):
    """kernels.select (numpy's where) of arrays, written into `out`, which may be a or b
    itself (each element is read before it is written)."""
    if out is a:
        np.copyto(out, b, where=~np.asarray(cond))
    elif out is b:
        np.copyto(out, a, where=cond)
    else:
        np.copyto(out, b)
        np.copyto(out, a, where=cond)
    return out


NAMESPACE = {
    "np": np, "isfinite": math.isfinite, "inf": math.inf, "nan": math.nan, "slice": slice,
    "Ellipsis": Ellipsis, "unbroadcast": unbroadcast, "deliver": deliver, "to_float": to_float,
    "as_data": as_data, "check_labels": check_labels, "sigmoid_into": sigmoid_into,
    "select_into": select_into,
    **{k: f for k, f in ops.TEMPLATE_FUNCTIONS.items() if not k.startswith("__")}}
"""The names every generated program may use (its globals); nothing else is bound."""
