"""numpy's functions on graph values: `np.exp(t)`, `ndarray * t`, `np.sum(t)`, `np.where(m, t, 0)`.

numpy hands a call that involves a Scalar or a Tensor to the value's `__array_ufunc__` (for
ufuncs: np.exp, np.add, the operators of an ndarray) or `__array_function__` (np.sum,
np.concatenate, ...). Here each one the engine has is sent to the method or function that
records the same nodes as the engine's own spelling, so `np.exp(t)` is `t.exp()` and
`ndarray * t` is `t.__rmul__(ndarray)`. Anything else is a TypeError naming the numpy function
and what to write instead: never an object array, never a silent float without a gradient.
"""

import numbers

import numpy as np

from . import ops
from .joining import concatenate, stack
from .graph import apply_binary, apply_unary
from .scalar import Scalar
from .selection import where
from .tensor import Tensor
from .value import Value

# ---- ufuncs -----------------------------------------------------------------------------------

# The ufuncs of the op rows (np.exp, np.maximum, ...) are read off the rows: `ops.UFUNCS`.

METHODS = {np.positive: "__pos__", np.conjugate: "__pos__", np.square: "square",
           np.logical_not: "__invert__", np.invert: "__invert__"}
"""One-input ufuncs with no row of their own, and the method that answers them (np.positive(t)
and np.conj(t) are t, as in PyTorch for real values; np.square(t) is t ** 2)."""

BINARY = {np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
          np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
          np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
          np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
          np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"),
          np.greater: ("__gt__", "__lt__"), np.greater_equal: ("__ge__", "__le__"),
          np.logical_and: ("__and__", "__rand__"), np.logical_or: ("__or__", "__ror__"),
          np.logical_xor: ("__xor__", "__rxor__"), np.bitwise_and: ("__and__", "__rand__"),
          np.bitwise_or: ("__or__", "__ror__"), np.bitwise_xor: ("__xor__", "__rxor__")}
"""Two-input ufuncs: the method when the graph value comes first, and when it comes second
(x < v is v > x)."""

TESTS = (np.isnan, np.isinf, np.isfinite, np.signbit)
"""Ufuncs that test each element: a boolean Tensor (or a bool for a Scalar), no gradient."""

REDUCE = {np.add: "t.sum(axis=...)", np.maximum: "t.max(axis=...)",
          np.minimum: "t.min(axis=...)"}
"""What to write for a ufunc's reduce method."""

_CONSTANT = (numbers.Number, np.ndarray, np.generic, list, tuple)
_PLAIN = frozenset({float, int, bool, np.ndarray, np.float64, np.float32, np.int64, np.bool_})
"""Constants common enough to take the fast path (anything else is checked in full)."""


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """`Value.__array_ufunc__`: the ufunc applied as the engine's method or op (see module).
    Written for speed where it is common (`ndarray * t`, `np.exp(t)`): one dict look-up and
    type checks, then the method; anything else goes through `_other_ufunc`."""
    if method == "__call__" and not kwargs:
        if len(inputs) == 2:
            methods = BINARY.get(ufunc)
            if methods is not None:
                x, y = inputs
                if x is self and (y.__class__ in _PLAIN or isinstance(y, Value)):
                    if y.__class__ is not np.ndarray or y.ndim or x.__class__ is not Scalar:
                        return getattr(x, methods[0])(y)
                elif y is self and x.__class__ in _PLAIN:
                    if x.__class__ is not np.ndarray or x.ndim or y.__class__ is not Scalar:
                        return getattr(y, methods[1])(x)
        elif len(inputs) == 1:
            op = ops.UFUNCS.get(ufunc)
            if op is not None:
                return apply_unary(op, self)
            if ufunc in METHODS:
                return getattr(self, METHODS[ufunc])()
    return _other_ufunc(ufunc, method, inputs, kwargs)


def _other_ufunc(ufunc, method, inputs, kwargs):
    """The ufuncs and arguments off the fast path: checked, applied, or refused by name."""
    values = [x for x in inputs if isinstance(x, Value)]
    if any(not isinstance(x, (Value, *_CONSTANT)) for x in inputs):
        return NotImplemented  # another library's type: let it (or numpy) answer
    if values and isinstance(values[0], Scalar):  # numpy passes a number as a 0-d array
        inputs = [x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs]
    name = f"np.{ufunc.__name__}"
    kind = type(values[0]).__name__ if values else "graph value"
    if method != "__call__":
        hint = REDUCE.get(ufunc) if method == "reduce" else None
        hint = f"write {hint}" if hint else \
            f"apply it to the values, {name}.{method}(t.numpy()) (no gradient)"
        raise TypeError(f"{name}.{method} does not take a {kind}: the engine records its own "
                        f"operations only; {hint}")
    if kwargs:
        if "out" in kwargs:
            raise TypeError(f"{name}(..., out=...): a {kind} cannot be written into an array "
                            f"(`array += t` is such a call): the engine records new values; "
                            f"write `result = array + t` instead")
        raise TypeError(f"{name}: the keyword arguments {sorted(kwargs)} are not supported on a "
                        f"{kind}; call it with the inputs alone")
    op = ops.UFUNCS.get(ufunc)
    if len(inputs) == 1 and isinstance(inputs[0], Value):
        if op is not None:
            return apply_unary(op, inputs[0])
        if ufunc in METHODS:
            return getattr(inputs[0], METHODS[ufunc])()
    if ufunc in TESTS and len(inputs) == 1:
        return inputs[0]._constant(ufunc(inputs[0].data))
    if len(inputs) == 2:
        x, y = inputs
        if ufunc in BINARY:
            forward, reflected = BINARY[ufunc]
            if isinstance(x, Value):
                return getattr(x, forward)(y)
            return getattr(y, reflected)(x)
        if op is not None:  # a row's ufunc: the op, with the inputs in the order given
            if isinstance(x, Value):
                return apply_binary(op, x, x._operand(y, ufunc.__name__))
            return apply_binary(op, y._operand(x, ufunc.__name__), y)
    raise TypeError(f"{name} has no gradient rule in the engine, so it cannot take a {kind}; "
                    f"{_spelling(ufunc.__name__, values)}")


def _spelling(name, values):
    """What to write instead of numpy's `name` on a graph value."""
    if values and hasattr(type(values[0]), name) and not name.startswith("_"):
        return f"write t.{name}(...) (the engine's method)"
    return (f"apply it to the values, np.{name}(t.numpy()) (no gradient), or make it a "
            f"primitive with its gradient rule (autograd.primitive)")


# ---- array functions --------------------------------------------------------------------------

_UNSET = object()  # an argument numpy's caller did not give


def _refuse(name, **options):
    """TypeError for numpy options that the engine does not have (given and not the default)."""
    given = sorted(key for key, value in options.items() if value is not _UNSET and
                   value is not None)
    if given:
        raise TypeError(f"np.{name}: {', '.join(given)} {'is' if len(given) == 1 else 'are'} "
                        f"not supported on graph values; compute without, then convert "
                        f"(e.g. t.astype(...))")


def _keep(keepdims):
    return False if keepdims is _UNSET else keepdims


def _sum(a, axis=None, dtype=None, out=None, keepdims=_UNSET, initial=_UNSET, where=_UNSET):
    _refuse("sum", dtype=dtype, out=out, initial=initial, where=where)
    return a.sum(axis=axis, keepdims=_keep(keepdims))


def _mean(a, axis=None, dtype=None, out=None, keepdims=_UNSET, *, where=_UNSET):
    _refuse("mean", dtype=dtype, out=out, where=where)
    return a.mean(axis=axis, keepdims=_keep(keepdims))


def _extreme(method):
    def extreme(a, axis=None, out=None, keepdims=_UNSET, initial=_UNSET, where=_UNSET):
        _refuse(method, out=out, initial=initial, where=where)
        return getattr(a, method)(axis=axis, keepdims=_keep(keepdims))
    return extreme


def _spread(method):
    def spread(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_UNSET, *, where=_UNSET,
               mean=_UNSET, correction=_UNSET):
        _refuse(method, dtype=dtype, out=out, where=where, mean=mean, correction=correction)
        return getattr(a, method)(axis=axis, ddof=ddof, keepdims=_keep(keepdims))
    return spread


def _arg(method):
    def arg(a, axis=None, out=None, *, keepdims=_UNSET):
        _refuse(method, out=out)
        return getattr(a, method)(axis=axis, keepdims=_keep(keepdims))
    return arg


def _reshape(a, shape=_UNSET, order="C", *, newshape=_UNSET, copy=None):
    _refuse("reshape", order=None if order == "C" else order, copy=copy)
    return a.reshape(newshape if shape is _UNSET else shape)


def _transpose(a, axes=None):
    return a.permute(axes) if axes is not None else a.permute(tuple(reversed(range(a.ndim))))


def _concatenate(arrays, axis=0, out=None, *, dtype=None, casting=_UNSET):
    _refuse("concatenate", out=out, dtype=dtype, casting=casting)
    if axis is None:  # numpy's meaning: flatten them all first
        arrays = [x.flatten() if isinstance(x, Tensor) else np.ravel(x) for x in arrays]
        axis = 0
    return concatenate(arrays, axis=axis)


def _stack(arrays, axis=0, out=None, *, dtype=None, casting=_UNSET):
    _refuse("stack", out=out, dtype=dtype, casting=casting)
    return stack(arrays, axis=axis)


def _where(condition, x=_UNSET, y=_UNSET):
    if x is _UNSET or y is _UNSET:
        raise TypeError("np.where(cond) with one argument gives the indices where cond holds: "
                        "write np.nonzero(mask.numpy()), or index with the mask, t[mask]")
    return where(condition, x, y)


def _clip(a, a_min=_UNSET, a_max=_UNSET, out=None, *, min=_UNSET, max=_UNSET,  # noqa: A002
          **options):
    _refuse("clip", out=out, **options)
    lo = a_min if a_min is not _UNSET else None if min is _UNSET else min
    hi = a_max if a_max is not _UNSET else None if max is _UNSET else max
    if not isinstance(a, Value):
        raise TypeError("np.clip: the bounds must be constants; clip a graph value, or write "
                        "t.maximum(lo).minimum(hi) for graph-valued bounds")
    return a.clip(lo, hi)


def _squeeze(a, axis=None):
    return a.squeeze(axis)


def _expand_dims(a, axis):
    return a.unsqueeze(axis)


def _ravel(a, order="C"):
    _refuse("ravel", order=None if order == "C" else order)
    return a.flatten()


def _broadcast_to(array, shape, subok=False):
    return array.broadcast_to(shape)


def _swapaxes(a, axis1, axis2):
    return a.transpose(axis1, axis2)


def _size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


FUNCTIONS = {
    np.sum: _sum, np.mean: _mean, np.max: _extreme("max"), np.amax: _extreme("max"),
    np.min: _extreme("min"), np.amin: _extreme("min"), np.var: _spread("var"),
    np.std: _spread("std"), np.argmax: _arg("argmax"), np.argmin: _arg("argmin"),
    np.reshape: _reshape, np.transpose: _transpose, np.concatenate: _concatenate,
    np.stack: _stack, np.where: _where, np.clip: _clip, np.squeeze: _squeeze,
    np.expand_dims: _expand_dims, np.ravel: _ravel, np.broadcast_to: _broadcast_to,
    np.swapaxes: _swapaxes, np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim,
    np.size: _size,
}
"""numpy functions and the engine's methods or functions they become (numpy's argument order;
the options the engine lacks are refused by name)."""

TENSOR_ONLY = frozenset(FUNCTIONS) - {np.where, np.clip, np.shape, np.ndim, np.size}
"""Functions of arrays: on a Scalar they are refused (a Scalar is one number)."""

SPELLING = {"dot": "t @ u", "inner": "(t * u).sum(axis=-1)", "copy": "t.detach() (a new leaf)",
            "allclose": "np.allclose(t.numpy(), ...) (on the values)",
            "isclose": "np.isclose(t.numpy(), ...) (on the values)",
            "array_equal": "np.array_equal(t.numpy(), ...) (on the values)",
            "hstack": "autograd.concatenate([t, u], axis=-1)", "vstack": "autograd.stack or "
            "autograd.concatenate", "linalg.norm": "(t * t).sum().sqrt()",
            "prod": "a product of the elements, t[0] * t[1] * ... (no product op yet)"}
"""What to write instead of some numpy functions the engine does not take."""


def array_function(self, func, types, args, kwargs):
    """`Value.__array_function__`: the numpy function as the engine's method (see module)."""
    if not all(issubclass(t, (Value, np.ndarray)) for t in types):
        return NotImplemented  # another library's array type takes part: let it answer
    adapter = FUNCTIONS.get(func)
    name = func.__name__
    if adapter is not None and func in TENSOR_ONLY and any(issubclass(t, Scalar) for t in types):
        raise TypeError(f"np.{name} works on arrays, and a Scalar is one number: use it as it "
                        f"is, or Tensor(s.item()) for an array")
    if adapter is None:
        module = func.__module__ or ""
        full = f"linalg.{name}" if "linalg" in module else name
        values = [a for a in args if isinstance(a, Value)]
        hint = SPELLING.get(full) or _spelling(name, values)
        if full in SPELLING:
            hint = f"write {hint}"
        raise TypeError(f"np.{full} is not supported on a graph value (the engine records only "
                        f"its own operations); {hint}")
    return adapter(*args, **kwargs)


# installed on the value types here (value.py cannot import this module, which needs Tensor),
# as graph.py installs Op.apply: numpy calls them with the value as `self`
Value.__array_ufunc__ = array_ufunc
Value.__array_function__ = array_function
