"""What Scalar and Tensor share: the operators, the elementwise functions and backward.

Subclasses say how the other operand of an operator becomes what an op takes (`_operand`: a
float, or an array for Tensors), what class their data has and how a raw op result becomes it
(`data_class`, `_as_data`), what the default output gradient is (`_seed`) and how a gradient is
fitted to a value (`_fit_grad`); everything else is defined once, here.
"""

import numbers
import operator

from . import ops
from .errors import InPlaceError, ShapeError, brief
from .graph import (Node, apply_binary, apply_unary, backward, bump_version, new_node,
                    share_versions)
from .kernels import raw
from .modes import current


class Value(Node):
    """Base class of the graph values `Scalar` and `Tensor`."""

    __slots__ = ()
    __hash__ = object.__hash__  # by identity, as PyTorch's: sets and dicts of values work

    # numpy's functions on graph values, `np.exp(t)`, `ndarray * t`, `np.sum(t)`: the methods
    # __array_ufunc__ and __array_function__ are installed by autograd/interop.py

    # ---- arithmetic: numbers on either side are constants ----------------------------------------
    def __add__(self, other):
        return apply_binary(ops.ADD, self, self._operand(other, "+"))

    def __radd__(self, other):
        return apply_binary(ops.ADD, self._operand(other, "+"), self)

    def __sub__(self, other):
        return apply_binary(ops.SUB, self, self._operand(other, "-"))

    def __rsub__(self, other):
        return apply_binary(ops.SUB, self._operand(other, "-"), self)

    def __mul__(self, other):
        return apply_binary(ops.MUL, self, self._operand(other, "*"))

    def __rmul__(self, other):
        return apply_binary(ops.MUL, self._operand(other, "*"), self)

    def __truediv__(self, other):
        return apply_binary(ops.DIV, self, self._operand(other, "/"))

    def __rtruediv__(self, other):
        return apply_binary(ops.DIV, self._operand(other, "/"), self)

    def __neg__(self):
        return apply_unary(ops.NEG, self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        """x ** c: a constant number c gives one `pow` node (c its parameter); a graph value
        (or, for a Tensor, an array) as the exponent gives a `power` node, with gradients to
        the base and the exponent, as PyTorch's pow."""
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return apply_unary(ops.POW, self, {"exponent": float(exponent)})
        return apply_binary(ops.POWER, self, self._operand(exponent, "**"))

    # ---- comparisons: elementwise, as in numpy and PyTorch; no gradient -------------------------
    def __eq__(self, other):
        return self._compare(operator.eq, other, "==")

    def __ne__(self, other):
        return self._compare(operator.ne, other, "!=")

    def __lt__(self, other):
        return self._compare(operator.lt, other, "<")

    def __le__(self, other):
        return self._compare(operator.le, other, "<=")

    def __gt__(self, other):
        return self._compare(operator.gt, other, ">")

    def __ge__(self, other):
        return self._compare(operator.ge, other, ">=")

    def _compare(self, how, other, symbol):
        """`self symbol other` on the data: a Scalar gives a bool, a Tensor a boolean Tensor
        (a mask, with no gradient). `==` and `!=` with something that is neither a number nor
        an array give NotImplemented, so Python compares identities (as PyTorch does)."""
        if isinstance(other, Node):
            other = self._operand(other, symbol).data  # (the other type: a TypeError)
        else:
            try:
                other = self._operand(other, symbol)
            except TypeError:
                if symbol in ("==", "!="):
                    return NotImplemented
                raise
        try:
            return self._constant(how(self.data, other))
        except ValueError as error:
            raise ShapeError(f"{symbol}: cannot compare shapes {self.shape} and "
                             f"{getattr(other, 'shape', ())}: {error}") from None

    # ---- conversions, as in PyTorch --------------------------------------------------------------
    def __bool__(self):
        """The truth of a one-element value; for more elements, ValueError (use .any()/.all())."""
        self._check_one(f"the truth value of a {type(self).__name__} with {self.size} "
                        f"elements is ambiguous: use .any() or .all()")
        return bool(self.item())

    def __float__(self):
        self._check_one("float(): only a one-element value converts to a number")
        return float(self.item())

    def __int__(self):
        self._check_one("int(): only a one-element value converts to a number")
        return int(self.item())

    def __format__(self, spec):
        """`f"{loss:.4f}"`: a 0-d value formats as its number; with no spec, as str()."""
        if self.ndim == 0:
            return format(self.item(), spec)
        if not spec:
            return str(self)
        raise TypeError(f"format: {spec!r} formats a number, but this {type(self).__name__} has "
                        f"shape {self.shape}; format its elements (t.tolist()), or take "
                        f"format(t.item(), {spec!r}) of a one-element value")

    def _check_one(self, message):
        if self.size != 1:
            raise ValueError(f"{message} (this one has shape {self.shape}, {self.size} elements)")

    # ---- in-place updates (PyTorch's rules) ------------------------------------------------------
    def __iadd__(self, other):
        return self._update(ops.ADD, self._operand(other, "+="), "+=")

    def __isub__(self, other):
        return self._update(ops.SUB, self._operand(other, "-="), "-=")

    def __imul__(self, other):
        return self._update(ops.MUL, self._operand(other, "*="), "*=")

    def __itruediv__(self, other):
        return self._update(ops.DIV, self._operand(other, "/="), "/=")

    def __ipow__(self, exponent):
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return self._update(ops.POW, float(exponent), "**=")
        return self._update(ops.POWER, self._operand(exponent, "**="), "**=")

    def copy_(self, source):
        """Copy `source`'s values into this value's data, in place (PyTorch's `copy_`), under
        the rules of the augmented assignments: inside `no_grad()` for a leaf that requires a
        gradient; the version is bumped. Returns self."""
        return self._update(_COPY, self._operand(source, "copy_"), "copy_")

    def _update(self, op, other, symbol):
        """`self symbol other` in place: the data changes, the object stays the same leaf, and
        its version is bumped, so that a backward pass through a node that read the old value
        refuses to run. While recording, a leaf that requires a gradient is refused (the update
        would become part of the graph); a computed value is not changed but replaced by a new
        node, as `x = x + 1` would (Python's fallback when this returns NotImplemented)."""
        if self.requires_grad and current().grad_enabled:
            if self.op is not None:
                return NotImplemented
            name = f" {self.label!r}" if self.label else ""
            raise InPlaceError(
                f"{symbol}: cannot update the leaf{name} (shape {self.shape}) in place while the "
                f"graph is recorded: it requires a gradient, so the update would become part of "
                f"the graph; write it under `with autograd.no_grad():` (as an optimiser step), "
                f"or change `.data` directly")
        self._store(op, raw(other), symbol)
        bump_version(self)
        return self

    def __rpow__(self, base):
        """c ** x for a constant base c (a number, or an array for a Tensor): a `power` node,
        whose gradient for x is c**x log c (nan for c < 0, 0 at c = 0, as PyTorch)."""
        return apply_binary(ops.POWER, self._operand(base, "**"), self)

    # ---- elementwise functions --------------------------------------------------------------------
    def exp(self):
        """e ** x."""
        return apply_unary(ops.EXP, self)

    def log(self):
        """Natural logarithm (nan below 0, -inf at 0, as numpy)."""
        return apply_unary(ops.LOG, self)

    def sqrt(self):
        """Square root (nan below 0, as numpy)."""
        return apply_unary(ops.SQRT, self)

    def sigmoid(self):
        """Logistic function 1 / (1 + e^-x), computed stably for large |x|."""
        return apply_unary(ops.SIGMOID, self)

    def tanh(self):
        """Hyperbolic tangent."""
        return apply_unary(ops.TANH, self)

    def relu(self):
        """max(x, 0); its gradient at 0 is 0, as in PyTorch."""
        return apply_unary(ops.RELU, self)

    def maximum(self, other):
        """Elementwise max(self, other): the max gate (ties split the gradient evenly)."""
        return apply_binary(ops.MAXIMUM, self, self._operand(other, "maximum"))

    def minimum(self, other):
        """Elementwise min(self, other): the min gate (ties split the gradient evenly)."""
        return apply_binary(ops.MINIMUM, self, self._operand(other, "minimum"))

    def abs(self):
        """|x|; its gradient at 0 is 0 (as in PyTorch)."""
        return apply_unary(ops.ABS, self)

    __abs__ = abs  # abs(x)

    def square(self):
        """x ** 2 (one pow node)."""
        return apply_unary(ops.POW, self, {"exponent": 2.0})

    def log1p(self):
        """log(1 + x), accurate for small x."""
        return apply_unary(ops.LOG1P, self)

    def softplus(self):
        """log(1 + e^x), a smooth relu, computed stably."""
        return apply_unary(ops.SOFTPLUS, self)

    def clip(self, min=None, max=None):  # noqa: A002 (numpy's and PyTorch's names)
        """Limit to [min, max] (constants; None: no bound on that side). The gradient passes
        where min <= x <= max and is 0 where a bound holds x (PyTorch's convention)."""
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        bounds = {}
        for name, bound in (("lo", min), ("hi", max)):
            if isinstance(bound, Node):
                raise TypeError(f"clip: the bounds must be constants, got {brief(bound)} for "
                                f"{'min' if name == 'lo' else 'max'}; for a graph-valued bound "
                                f"write x.maximum(lo).minimum(hi)")
            bounds[name] = None if bound is None else self._operand(bound, "clip")
        return apply_unary(ops.CLIP, self, bounds)

    clamp = clip  # PyTorch's name

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

    # ---- copies ------------------------------------------------------------------------------------
    def __reduce_ex__(self, protocol):
        """Pickling and deep copies: a leaf is rebuilt with copies of its data, flag, label and
        gradient; a computed value is refused (copying it would cut it from its graph)."""
        self._check_copyable()
        return _rebuild_leaf, (type(self), self.data, self.requires_grad, self.label, self.grad)

    def __copy__(self):
        """copy.copy: like a deep copy (a new leaf with its own copy of the data), so that an
        in-place change of one never changes the other."""
        self._check_copyable()
        grad = self.grad.copy() if hasattr(self.grad, "copy") else self.grad
        return _rebuild_leaf(type(self), _copy_data(self.data), self.requires_grad, self.label,
                             grad)

    def _check_copyable(self):
        if self.op is not None:
            raise TypeError(f"cannot copy or pickle a computed {type(self).__name__} (the "
                            f"output of '{self.op.name}'): it is part of a graph, and a copy "
                            f"could not backpropagate into it; copy `.detach()` (a new leaf with "
                            f"the same data) instead, or copy the leaves and recompute")

    def zero_grad(self):
        """Reset the gradient to zero (a leaf accumulates from here on the next backward)."""
        self.grad = self._zero_grad()

    def detach(self):
        """A new leaf with the same data (not a copy, as in PyTorch) that records nothing and
        needs no gradient; an in-place change of either is seen by graphs using the other."""
        leaf = new_node(type(self), self.data)
        share_versions(leaf, self)
        return leaf

    def requires_grad_(self, requires_grad=True):
        """Set whether this leaf receives gradients; returns self (as in PyTorch)."""
        if self.op is not None and not requires_grad:
            raise RuntimeError("requires_grad_: only a leaf's flag can be switched off; use "
                               "detach() to cut a computed value out of the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def _describe(self, indent=""):
        """The repr's fields after the data: the gradient (its lines aligned under its first,
        the field starting at column `indent`), the op or flag, the label."""
        parts = [f"grad={self._show(self.grad, indent + 'grad=')}"] if self.grad is not None \
            else []
        if self.op is not None:
            parts.append(f"op={self.op.name!r}")
        elif self.requires_grad:
            parts.append("requires_grad=True")
        if self.label:
            parts.append(f"label={self.label!r}")
        return parts


class _Copy:
    """What `copy_` applies in place: the new value, whatever the old one was."""

    name = "copy"

    @staticmethod
    def forward(old, new):
        return new


_COPY = _Copy()


def _copy_data(data):
    return data.copy() if hasattr(data, "copy") else data


def _rebuild_leaf(value_type, data, requires_grad, label, grad):
    """A new leaf of `value_type` (what a pickled or copied leaf becomes)."""
    leaf = value_type.__new__(value_type)
    leaf._init_leaf(data, requires_grad, label)
    leaf.grad = grad
    return leaf
