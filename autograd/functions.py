"""Functions that accept a Scalar or a Tensor: elementwise maps, the max gate and joining."""

from . import ops
from .graph import apply
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
