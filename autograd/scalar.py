"""Scalar: a graph value holding one Python float, for small graphs built and inspected by hand."""

import numbers

import numpy as np

from .errors import brief
from .graph import Node
from .kernels import raw
from .value import Value


def _as_float(value, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if getattr(value, "size", None) == 1 and getattr(value, "dtype", None) is not None \
                and value.dtype.kind in "biuf":
            return float(value.reshape(()))  # a one-element numpy array from a user's primitive
        raise TypeError(f"{where}: expected a real number, got {brief(value)}; convert it "
                        f"with float() or use a Tensor for arrays")
    return float(value)


class Scalar(Value):
    """A single number in the computation graph (Python float data, Python float gradient).

    `Scalar(2.0, label="x")` is a leaf that receives a gradient (requires_grad=True by default,
    as in micrograd: Scalars are for graphs you build by hand and look at). After `backward()`,
    `.grad` holds d(output)/d(this value) as a float.
    """

    __slots__ = ()
    shape = ()
    ndim = 0
    size = 1

    data_class = float
    grad_class = float

    def __init__(self, data, requires_grad=True, label=None):
        if isinstance(data, Node):
            raise TypeError(f"Scalar: expected a number, got a {type(data).__name__}; use "
                            f"its .item() for a number, or .detach() for a new leaf")
        self._init_leaf(_as_float(data, "Scalar"), requires_grad, label)

    @staticmethod
    def _as_data(data, where):
        return _as_float(data, where)

    def _operand(self, other, symbol):
        if type(other) is float or type(other) is type(self):
            return other
        if isinstance(other, Node):
            raise TypeError(f"{symbol}: cannot mix {type(self).__name__} and {type(other).__name__} in one "
                            f"operation; convert one of them (Tensor(scalar.item()) or "
                            f"Scalar(tensor.item()))")
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return float(other)
        raise TypeError(f"Scalar {symbol}: unsupported operand {brief(other)}; use a number or "
                        f"a Scalar (a Tensor for arrays)")

    def _seed(self, grad):
        if grad is None:
            return 1.0
        return _as_float(raw(grad), "backward(grad=...)")

    def _fit_grad(self, g, op_name, source=None):
        if type(g) is float or type(g) is Scalar:
            return g
        return _as_float(g, f"{op_name}: the gradient for a Scalar input")

    def _store(self, op, other, symbol):
        """Replace the data by `op` applied to it and `other` (an augmented assignment)."""
        self.data = _as_float(op.forward(self.data, other), symbol)

    def _zero_grad(self):
        return 0.0

    @staticmethod
    def _show(value, prefix=""):
        return repr(value)  # a float in full (as micrograd shows it)

    @staticmethod
    def _constant(result):
        return bool(result)  # a comparison of two floats gives a bool (no gradient)

    def item(self):
        """The value as a Python float."""
        return self.data

    def tolist(self):
        """The value as a Python float (as a 0-d tensor's tolist gives)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        """np.asarray(s): a 0-d float64 array of the value (a copy: a Scalar holds a float)."""
        return np.array(self.data, dtype=dtype)

    def __repr__(self):
        return f"Scalar({', '.join([f'data={self.data!r}'] + self._describe())})"
