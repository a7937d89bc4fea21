"""Functions that accept a Scalar or a Tensor: elementwise maps, the max gate and joining."""

import numpy as np

from . import ops
from .graph import apply, apply_unary
from .tensor import Tensor
from .value import Value


def _value(x, name):
    if isinstance(x, Value):
        return x
    raise TypeError(f"{name}: expected a Scalar or a Tensor, got {type(x).__name__} {x!r:.40}; "
                    f"wrap numbers with Scalar(...) and arrays with Tensor(...)")


def exp(x):
    """e ** x, elementwise."""
    return _value(x, "exp").exp()


def log(x):
    """Natural logarithm, elementwise (nan below 0 and -inf at 0, as numpy)."""
    return _value(x, "log").log()


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x), elementwise and stable for large |x|."""
    return _value(x, "sigmoid").sigmoid()


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return _value(x, "tanh").tanh()


def relu(x):
    """max(x, 0), elementwise."""
    return _value(x, "relu").relu()


def maximum(x, y):
    """Elementwise max(x, y), the max gate: the gradient goes to the larger input and is split
    evenly on a tie. Either argument may be a constant."""
    if isinstance(x, Value):
        return x.maximum(y)
    return apply(ops.MAXIMUM, (_value(y, "maximum")._lift(x, "maximum"), y))


def _tensors(values, name):
    values = list(values)
    if not values:
        raise ValueError(f"{name}: needs at least one tensor")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    if first is None:
        raise TypeError(f"{name}: expected a sequence of Tensors, got "
                        f"{', '.join(type(v).__name__ for v in values)}")
    return tuple(first._lift(v, name) for v in values)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (numpy.concatenate / torch.cat)."""
    return apply(ops.CONCATENATE, _tensors(tensors, "concatenate"), {"axis": int(axis)})


def stack(tensors, axis=0):
    """Join tensors of the same shape along a new axis (numpy.stack / torch.stack)."""
    return apply(ops.STACK, _tensors(tensors, "stack"), {"axis": int(axis)})


def softmax_cross_entropy(logits, labels):
    """-log softmax(logits)[n, labels[n]] for each row n of an (N, C) Tensor: the cross-entropy
    of integer class labels, as one node whose local gradient is softmax(logits) - onehot.
    Labels must be integers in [0, C); they are checked."""
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: expected logits as a Tensor of shape "
                         f"(N, classes), got {getattr(logits, 'shape', type(logits).__name__)}")
    labels = np.asarray(labels)
    n, classes = logits.shape
    if labels.shape != (n,):
        raise ValueError(f"softmax_cross_entropy: {n} rows of logits need {n} labels, got "
                         f"shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"softmax_cross_entropy: labels must be integers, got {labels.dtype}")
    if n and (labels.astype(np.uint64) >= classes).any():  # negatives wrap to huge values
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ValueError(f"softmax_cross_entropy: label {bad} is out of range for {classes} "
                         f"classes (0 to {classes - 1})")
    return apply_unary(ops.SOFTMAX_CROSS_ENTROPY, logits, {"labels": labels})
