"""Choosing between two values elementwise by a mask: `where(cond, a, b)`."""

import numpy as np

from . import ops
from .graph import apply
from .kernels import raw
from .scalar import Scalar
from .value import Value


def where(cond, a, b):
    """a where `cond` holds and b elsewhere, broadcast together (numpy.where, torch.where).

    `cond` is a constant mask: a boolean Tensor (as comparisons give), a numpy array, or a bool
    for Scalars; it has no gradient. a and b may be graph values or constants: the gradient
    goes to a where cond holds and to b elsewhere (one `where` node). Without a graph value
    among a and b the result is one too when cond is one (no gradient), else raw data."""
    value = next((v for v in (a, b) if isinstance(v, Value)), None)
    mask = raw(cond)
    if value is None:
        result = np.where(mask, a, b)
        return cond._constant(result) if isinstance(cond, Value) else result
    if isinstance(value, Scalar):
        mask = _one_bool(mask)
    else:
        mask = np.asarray(mask)
        if mask.dtype.kind != "b":
            if mask.dtype.kind not in "iuf":
                raise TypeError(f"where: cond must be a boolean mask, got dtype {mask.dtype}")
            mask = mask != 0  # nonzero holds, as numpy reads a condition
    inputs = tuple(v if isinstance(v, Value) else value._operand(v, "where") for v in (a, b))
    return apply(ops.WHERE, inputs, {"cond": mask})


def _one_bool(mask):
    """A Scalar's condition as a Python bool."""
    if isinstance(mask, (bool, np.bool_)) or np.ndim(mask) == 0 and \
            np.asarray(mask).dtype.kind in "biuf":
        return bool(mask)
    raise TypeError(f"where: with Scalars, cond must be one bool (a Scalar comparison gives "
                    f"one), got an array of shape {np.shape(mask)}; use Tensors for arrays")
