"""Joining Tensors: `concatenate` along an existing axis and `stack` along a new one."""

import numpy as np

from . import ops
from .graph import apply
from .kernels import raw
from .tensor import Tensor, check_axis


def _tensors(values, name):
    values = list(values)
    if not values:
        raise ValueError(f"{name}: needs at least one tensor")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    if first is None:
        raise TypeError(f"{name}: expected a sequence of Tensors, got "
                        f"{', '.join(type(v).__name__ for v in values)}")
    return tuple(first._operand(v, name) for v in values)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (numpy.concatenate / torch.cat)."""
    tensors = _tensors(tensors, "concatenate")
    ndim = np.ndim(raw(tensors[0]))
    return apply(ops.CONCATENATE, tensors, {"axis": check_axis(axis, ndim, "concatenate",
                                                                 single=True)})


def stack(tensors, axis=0):
    """Join tensors of the same shape along a new axis (numpy.stack / torch.stack)."""
    tensors = _tensors(tensors, "stack")
    ndim = np.ndim(raw(tensors[0])) + 1
    return apply(ops.STACK, tensors, {"axis": check_axis(axis, ndim, "stack", single=True)})
