"""Functions of graph values: elementwise maps, the max gate and joining.

The elementwise maps and `maximum` also take raw numbers and numpy arrays and then compute on
them directly, so a gradient rule written with them works with and without `create_graph`.
"""

import numpy as np

from . import kernels, ops
from .graph import apply, apply_unary
from .tensor import Tensor, check_axis
from .value import Value


def _value(x, name):
    if isinstance(x, Value):
        return x
    raise TypeError(f"{name}: expected a Scalar or a Tensor, got {type(x).__name__} {x!r:.40}; "
                    f"wrap numbers with Scalar(...) and arrays with Tensor(...)")


def _raw(x):
    """x as raw data (a numpy array or scalar as it is, a number as a float), or None."""
    if isinstance(x, kernels.ARRAY):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    return None


def _elementwise(x, name, kernel):
    if isinstance(x, Value):
        return getattr(x, name)()
    raw = _raw(x)
    return _value(x, name) if raw is None else kernel(raw)  # (_value raises the TypeError)


def exp(x):
    """e ** x, elementwise; a Scalar or Tensor gives a graph value, a number or array raw data."""
    return _elementwise(x, "exp", kernels.exp)


def log(x):
    """Natural logarithm, elementwise (nan below 0 and -inf at 0, as numpy)."""
    return _elementwise(x, "log", kernels.log)


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x), elementwise and stable for large |x|."""
    return _elementwise(x, "sigmoid", kernels.sigmoid)


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return _elementwise(x, "tanh", kernels.tanh)


def relu(x):
    """max(x, 0), elementwise."""
    return _elementwise(x, "relu", kernels.relu)


def maximum(x, y):
    """Elementwise max(x, y), the max gate: the gradient goes to the larger input and is split
    evenly on a tie. Either argument may be a constant."""
    if isinstance(x, Value):
        return x.maximum(y)
    if isinstance(y, Value):
        return apply(ops.MAXIMUM, (y._lift(x, "maximum"), y))
    raw_x, raw_y = _raw(x), _raw(y)
    if raw_x is None or raw_y is None:  # neither a graph value nor raw data: name it
        return _value(x if raw_x is None else y, "maximum")
    return ops.MAXIMUM.forward(raw_x, raw_y)  # raw data in, raw data out


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
    tensors = _tensors(tensors, "concatenate")
    ndim = np.ndim(tensors[0].data if isinstance(tensors[0], Tensor) else tensors[0])
    return apply(ops.CONCATENATE, tensors, {"axis": check_axis(axis, ndim, "concatenate",
                                                                 single=True)})


def stack(tensors, axis=0):
    """Join tensors of the same shape along a new axis (numpy.stack / torch.stack)."""
    tensors = _tensors(tensors, "stack")
    ndim = np.ndim(tensors[0].data if isinstance(tensors[0], Tensor) else tensors[0]) + 1
    return apply(ops.STACK, tensors, {"axis": check_axis(axis, ndim, "stack", single=True)})


def class_labels(labels, n, classes, name):
    """`labels` as an integer array of shape (n,) with values in [0, classes), or a clear error
    naming `name`. Floats that are whole numbers (0.0, 1.0, ...) are accepted as labels."""
    labels = np.asarray(labels.data if isinstance(labels, Value) else labels)
    if labels.shape != (n,):
        raise ValueError(f"{name}: {n} rows of scores need {n} labels, got labels of shape "
                         f"{labels.shape}")
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.intp)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype}")
    if n and (labels.astype(np.uint64) >= classes).any():  # negatives wrap to huge values
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ValueError(f"{name}: label {bad} is out of range for {classes} classes "
                         f"(0 to {classes - 1})")
    return labels


def softmax_cross_entropy(logits, labels):
    """-log softmax(logits)[n, labels[n]] for each row n of an (N, C) Tensor: the cross-entropy
    of integer class labels, as one node whose local gradient is softmax(logits) - onehot.
    Labels must be integers in [0, C); they are checked."""
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: expected logits as a Tensor of shape "
                         f"(N, classes), got {getattr(logits, 'shape', type(logits).__name__)}")
    labels = class_labels(labels, *logits.shape, "softmax_cross_entropy")
    return apply_unary(ops.SOFTMAX_CROSS_ENTROPY, logits, {"labels": labels})
