"""What Scalar and Tensor share: the operators, the elementwise functions and backward.

Subclasses say how a constant is coerced (`_lift`), how raw op results are wrapped
(`data_class`, `_coerce`), what the default output gradient is (`_seed`) and how a gradient is fitted to a
value (`_fit_grad`); everything else is defined once, here.
"""

import math
import numbers

from . import ops
from .graph import Node, apply_binary, apply_unary, backward, new_node

_ADD, _SUB, _MUL, _DIV, _NEG, _POW = ops.ADD, ops.SUB, ops.MUL, ops.DIV, ops.NEG, ops.POW
_EXP, _LOG, _SIGMOID, _TANH, _RELU, _MAXIMUM = (ops.EXP, ops.LOG, ops.SIGMOID, ops.TANH, ops.RELU,
                                              ops.MAXIMUM)


class Value(Node):
    """Base class of the graph values `Scalar` and `Tensor`."""

    __slots__ = ()
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor works

    # ---- arithmetic: numbers on either side are constants ----------------------------------------
    def __add__(self, other):
        return apply_binary(_ADD, self, self._lift(other, "+"))

    def __radd__(self, other):
        return apply_binary(_ADD, self._lift(other, "+"), self)

    def __sub__(self, other):
        return apply_binary(_SUB, self, self._lift(other, "-"))

    def __rsub__(self, other):
        return apply_binary(_SUB, self._lift(other, "-"), self)

    def __mul__(self, other):
        return apply_binary(_MUL, self, self._lift(other, "*"))

    def __rmul__(self, other):
        return apply_binary(_MUL, self._lift(other, "*"), self)

    def __truediv__(self, other):
        return apply_binary(_DIV, self, self._lift(other, "/"))

    def __rtruediv__(self, other):
        return apply_binary(_DIV, self._lift(other, "/"), self)

    def __neg__(self):
        return apply_unary(_NEG, self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        """x ** c for a constant number c; for a graph-valued exponent write exp(y * log(x))."""
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"**: the exponent must be a constant number, got "
                            f"{type(exponent).__name__} {exponent!r:.40}; for a graph-valued "
                            f"exponent y write (y * x.log()).exp()")
        return apply_unary(_POW, self, {"exponent": float(exponent)})

    def __rpow__(self, base):
        """c ** x for a constant base c > 0, computed as exp(x * ln c)."""
        if isinstance(base, bool) or not isinstance(base, numbers.Real) or not base > 0:
            raise ValueError(f"**: a constant base must be a positive number, got {base!r:.40}")
        return (self * math.log(base)).exp()

    # ---- elementwise functions --------------------------------------------------------------------
    def exp(self):
        """e ** x."""
        return apply_unary(_EXP, self)

    def log(self):
        """Natural logarithm (nan below 0, -inf at 0, as numpy)."""
        return apply_unary(_LOG, self)

    def sigmoid(self):
        """Logistic function 1 / (1 + e^-x), computed stably for large |x|."""
        return apply_unary(_SIGMOID, self)

    def tanh(self):
        """Hyperbolic tangent."""
        return apply_unary(_TANH, self)

    def relu(self):
        """max(x, 0); its gradient at 0 is 0, as in PyTorch."""
        return apply_unary(_RELU, self)

    def maximum(self, other):
        """Elementwise max(self, other): the max gate (ties split the gradient evenly)."""
        return apply_binary(_MAXIMUM, self, self._lift(other, "maximum"))

    # ---- gradients --------------------------------------------------------------------------------
    def backward(self, grad=None, create_graph=False):
        """Backpropagate from this value, filling `.grad` of everything it depends on.

        `grad` is the gradient of the final output with respect to this value (default 1 for a
        single-element value). Leaves accumulate gradients across calls until `zero_grad()`;
        with `create_graph=True` the backward pass is recorded so gradients can be
        differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this value does not require a gradient: it depends on "
                               "no value with requires_grad=True (or was computed under "
                               "no_grad() or from detached values)")
        seed = self._seed(grad)
        if create_graph:
            seed = new_node(type(self), seed)
        backward(self, seed, create_graph=create_graph)

    def zero_grad(self):
        """Reset the gradient to zero (a leaf accumulates from here on the next backward)."""
        self.grad = self._zero_grad()

    def detach(self):
        """A new leaf with the same data that records nothing and needs no gradient."""
        return new_node(type(self), self.data)

    def requires_grad_(self, requires_grad=True):
        """Set whether this leaf receives gradients; returns self (as in PyTorch)."""
        if self.op is not None and not requires_grad:
            raise RuntimeError("requires_grad_: only a leaf's flag can be switched off; use "
                               "detach() to cut a computed value out of the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def _describe(self):
        parts = [f"grad={self._show(self.grad)}"] if self.grad is not None else []
        if self.op is not None:
            parts.append(f"op={self.op.name!r}")
        elif self.requires_grad:
            parts.append("requires_grad=True")
        if self.label:
            parts.append(f"label={self.label!r}")
        return parts
