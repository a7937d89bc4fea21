"""Tensor: a graph value holding a numpy array, for real training.

float64 by default; float32 is kept when asked for (`Tensor(x, dtype=np.float32)`).
Shape operations that only arrays have are defined here; the arithmetic is shared with Scalar.
"""

import numbers

import numpy as np

from . import ops
from .graph import Node, apply_binary, apply_unary, unbroadcast
from .value import Value

_NUMERIC = "biuf"  # numpy dtype kinds that are numbers: bool, signed, unsigned, float


def _as_array(data, dtype, where):
    """A fresh array from array-like data: floating point (integers become float64), or boolean
    (a mask) when no dtype is asked for; anything else is a clear error."""
    if isinstance(data, Node):
        data = data.data  # a Tensor's array, or a Scalar's float: an explicit conversion
    try:
        array = np.array(data)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}: cannot make a numeric array from "
                          f"{type(data).__name__}: {error}") from error
    kind = array.dtype.kind
    if kind not in _NUMERIC:
        what = "complex numbers have no gradient here; take .real or abs() first" if kind == "c" \
            else "expected numbers"
        raise TypeError(f"{where}: {what}, got an array of dtype {array.dtype} from "
                        f"{type(data).__name__} {data!r:.40}")
    if dtype is not None:
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"{where}: dtype {np.dtype(dtype)} is not a floating-point type; "
                            f"use np.float32 or np.float64")
        return array.astype(dtype, copy=False)
    if kind not in "fb":
        array = array.astype(np.float64)
    return array


class Tensor(Value):
    """An n-dimensional array in the computation graph (numpy data, numpy gradient).

    `Tensor(data, requires_grad=False, dtype=None, label=None)` copies `data` (so an optimiser
    updating `.data` never touches the caller's array). Integer data become float64; boolean
    data stay boolean (a mask: used as an index it selects, and it has no gradient).
    Numbers, numpy arrays and lists on either side of an operator are constants.
    """

    __slots__ = ()

    data_class = np.ndarray
    grad_class = None  # every array gradient is checked against its shape

    def __init__(self, data, requires_grad=False, dtype=None, label=None):
        array = _as_array(data, dtype, "Tensor")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point data can require a gradient, got "
                            f"dtype {array.dtype}; make it with dtype=np.float64")
        self._init_leaf(array, requires_grad, label)

    @staticmethod
    def _as_data(data, where):
        if isinstance(data, np.ndarray) and data.dtype.kind in "fb":
            return data  # a subclass of ndarray
        return _as_array(data, None, where)

    def _operand(self, other, symbol):
        if type(other) is type(self):
            return other
        if isinstance(other, Node):
            raise TypeError(f"{symbol}: cannot mix {type(self).__name__} and {type(other).__name__} in one "
                            f"operation; convert one of them (Tensor(scalar.item()) or "
                            f"Scalar(tensor.item()))")
        if isinstance(other, numbers.Real):
            return float(other)  # a Python float keeps a float32 tensor float32
        if isinstance(other, (np.ndarray, np.generic, list, tuple)):
            array = np.asarray(other)
            if array.dtype.kind in _NUMERIC:
                return array
        raise TypeError(f"Tensor {symbol}: unsupported operand {type(other).__name__} "
                        f"{other!r:.40}; use a number, a numeric numpy array or a Tensor")

    def _seed(self, grad):
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: a gradient can only be implied for a single-element output; "
                    f"this one has shape {self.shape}: reduce it first (.sum() or .mean()) or "
                    f"pass grad= an array of shape {self.shape}")
            return np.ones_like(self.data)
        seed = _as_array(grad, None, "backward(grad=...)").astype(self.data.dtype, copy=False)
        if seed.shape != self.shape:
            raise ValueError(f"backward: grad has shape {seed.shape} but the output has shape "
                             f"{self.shape}; they must be equal")
        return seed

    def _fit_grad(self, g, op_name, source=None):
        """`g` as this value's gradient: its shape (broadcasting undone), its dtype, and never
        `source` (the consumer's gradient, which an add gate passes on as it is) nor a view of
        it, so that editing one `.grad` changes no other. A leaf's gradient is the user's: an
        array of its own, never a view (a read-only broadcast, say)."""
        data = self.data
        if g.__class__ is np.ndarray and g.shape == data.shape:  # the common case
            if g.dtype != data.dtype:
                return g.astype(data.dtype)
            if g is source or g.base is not None and (
                    self.op is None or np.may_share_memory(g, source)):
                return g.copy()
            return g
        if not isinstance(g, (np.ndarray, Tensor)):
            g = np.asarray(g)
            if g.dtype.kind not in _NUMERIC:
                raise TypeError(f"{op_name}: a gradient must be numeric, got {g.dtype}")
        if g.shape != data.shape:
            g = unbroadcast(g, data.shape, op_name)
        return self._fit_grad(g, op_name, source) if g.__class__ is np.ndarray else g

    def _store(self, op, other, symbol):
        """Apply `op` to the data and `other`, writing into the data's own buffer (an
        augmented assignment: no new array)."""
        if np.shape(other) != self.shape and \
                np.broadcast_shapes(np.shape(other), self.shape) != self.shape:
            raise ValueError(f"{symbol}: an operand of shape {np.shape(other)} does not fit a "
                             f"tensor of shape {self.shape} in place; the result must keep the "
                             f"tensor's shape")
        if not self.data.flags.writeable:
            raise ValueError(f"{symbol}: this tensor's data is a read-only view (of a broadcast "
                             f"or of an array given as read-only); update a copy instead")
        try:
            _IN_PLACE[op.name](self.data, other, out=self.data, casting="same_kind")
        except TypeError as error:
            raise TypeError(f"{symbol}: cannot store the result in a {self.dtype} tensor in "
                            f"place: {error}") from None

    def _zero_grad(self):
        return np.zeros_like(self.data)

    @staticmethod
    def _show(value):
        text = np.array2string(np.asarray(getattr(value, "data", value)), precision=4,
                               threshold=20, edgeitems=3)
        return text.replace("\n", "\n" + " " * 7)

    # ---- array facts --------------------------------------------------------------------------------
    @property
    def shape(self):
        """The shape of the data."""
        return self.data.shape

    @property
    def ndim(self):
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self):
        """The number of elements."""
        return self.data.size

    @property
    def dtype(self):
        """The numpy dtype of the data."""
        return self.data.dtype

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def numpy(self):
        """The data as a numpy array (not a copy)."""
        return self.data

    def item(self):
        """The single element as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element Tensor converts to a number; this one "
                             f"has shape {self.shape}")
        return float(self.data.reshape(()))

    def __repr__(self):
        data = self._show(self.data)
        extra = self._describe()
        if self.data.dtype != np.float64:
            extra.append(f"dtype={self.data.dtype}")
        return f"Tensor({', '.join([data] + extra)})"

    # ---- matrix product and reductions --------------------------------------------------------------
    def __matmul__(self, other):
        other = self._operand(other, "@")
        _check_matmul(self.shape, np.shape(getattr(other, "data", other)))
        return apply_binary(ops.MATMUL, self, other)

    def __rmatmul__(self, other):
        other = self._operand(other, "@")
        _check_matmul(np.shape(getattr(other, "data", other)), self.shape)
        return apply_binary(ops.MATMUL, other, self)

    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (an int, a tuple of ints, or None for all)."""
        return apply_unary(ops.SUM, self, {"axis": check_axis(axis, self.ndim, "sum"),
                                             "keepdims": bool(keepdims)})

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis` (an int, a tuple of ints, or None for all)."""
        return apply_unary(ops.MEAN, self, {"axis": check_axis(axis, self.ndim, "mean"),
                                             "keepdims": bool(keepdims)})

    def max(self, axis=None, keepdims=False):
        """Maximum over `axis`; tied maxima share the gradient evenly."""
        return apply_unary(ops.MAX, self, {"axis": check_axis(axis, self.ndim, "max"),
                                             "keepdims": bool(keepdims)})

    def min(self, axis=None, keepdims=False):
        """Minimum over `axis`, as -max(-x)."""
        return -((-self).max(axis=axis, keepdims=keepdims))

    def logsumexp(self, axis=None, keepdims=False):
        """log(sum(exp(x))) over `axis`, computed stably (no overflow for large x)."""
        return apply_unary(ops.LOGSUMEXP, self, {"axis": check_axis(axis, self.ndim, "logsumexp"),
                                             "keepdims": bool(keepdims)})

    def softmax(self, axis=-1):
        """exp(x) / sum(exp(x)) along `axis`, computed stably."""
        return apply_unary(ops.SOFTMAX, self, {"axis": check_axis(axis, self.ndim, "softmax",
                                                                      single=True)})

    def log_softmax(self, axis=-1):
        """x - logsumexp(x) along `axis`: log-probabilities, stable for any logits."""
        return apply_unary(ops.LOG_SOFTMAX, self,
                           {"axis": check_axis(axis, self.ndim, "log_softmax", single=True)})

    # ---- shape operations -------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same data in a new shape; one axis may be -1. `reshape(2, 3)` or `reshape((2, 3))`."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return apply_unary(ops.RESHAPE, self, {"shape": tuple(int(n) for n in shape)})

    def flatten(self):
        """The data as one axis."""
        return self.reshape(-1)

    def permute(self, *axes):
        """Reorder the axes: `permute(1, 0)` of a matrix is its transpose."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        axes = tuple(check_axis(a, self.ndim, "permute", single=True) % self.ndim for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {axes} is not an ordering of the {self.ndim} axes of a "
                             f"tensor of shape {self.shape}")
        return apply_unary(ops.TRANSPOSE, self, {"axes": axes})

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (PyTorch's convention; the last two by default)."""
        if self.ndim < 2:
            return self
        check_axis((dim0, dim1) if dim0 % self.ndim != dim1 % self.ndim else dim0, self.ndim,
                   "transpose")
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(axes)

    swapaxes = transpose

    @property
    def T(self):
        """All axes reversed (the matrix transpose for 2-d)."""
        return self.permute(tuple(reversed(range(self.ndim)))) if self.ndim > 1 else self

    def broadcast_to(self, shape):
        """Repeat the data along axes of size 1 (and new leading axes) to reach `shape`."""
        return apply_unary(ops.BROADCAST_TO, self, {"shape": tuple(shape)})

    def __getitem__(self, index):
        return apply_unary(ops.GETITEM, self, {"index": _index(index)})


_IN_PLACE = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
             "pow": np.power}  # the ufuncs behind the augmented assignments


def check_axis(axis, ndim, name, single=False):
    """`axis` for an op on `ndim` axes: None (all), an int or a tuple of distinct ints, each in
    -ndim..ndim-1 (one int when `single`); anything else is an error naming the op and the axis
    (a TypeError for a float or a string, numpy's AxisError when out of range)."""
    if axis.__class__ is int and -ndim <= axis < ndim:  # the common case, first
        return axis
    if axis is None and not single:
        return None
    many = isinstance(axis, (tuple, list)) and not single
    for a in (tuple(axis) if many else (axis,)):
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: axis must be {'an int' if single else 'an int, a tuple of ints or None'}, "
                            f"got {type(a).__name__} {a!r:.40}")
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{name}: axis {a} is out of range for a tensor with {ndim} axes; use "
                f"0..{ndim - 1} or -{ndim}..-1" if ndim else
                f"{name}: axis {a} is out of range for a 0-d tensor, which has no axes")
    if not many:
        return int(axis)
    axes = tuple(int(a) for a in axis)
    if len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{name}: axis {axes} names an axis twice")
    return axes


def _index(index):
    """An index with Tensors and lists turned into integer (or boolean) arrays."""
    parts = index if isinstance(index, tuple) else (index,)
    fixed = []
    for part in parts:
        if isinstance(part, Tensor):
            part = part.data  # a boolean Tensor stays a mask
            if part.dtype.kind == "f" and np.all(part == np.round(part)):
                part = part.astype(np.intp)
        elif isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.dtype.kind not in "biu":
            raise IndexError(f"getitem: index arrays must hold integers or booleans, got "
                             f"dtype {part.dtype}")
        fixed.append(part)
    return tuple(fixed) if isinstance(index, tuple) else fixed[0]


def _check_matmul(a, b):
    if not a or not b:
        raise ValueError(f"matmul: both operands need at least one axis, got shapes {a} and {b}")
    k2 = b[-2] if len(b) > 1 else b[0]
    if a[-1] != k2:
        raise ValueError(f"matmul: shapes {a} and {b} do not match: the last axis of the first "
                         f"({a[-1]}) must equal the {'second-to-last' if len(b) > 1 else 'only'}"
                         f" axis of the second ({k2})")
