"""Tensor: a graph value holding a numpy array, for real training.

float64 by default; float32 is kept when asked for (`Tensor(x, dtype=np.float32)`).
Shape operations that only arrays have are defined here; the arithmetic is shared with Scalar.
"""

import numbers
import warnings

import numpy as np

from . import ops
from .errors import ShapeError, brief
from .graph import Node, apply_binary, apply_unary, new_node, unbroadcast
from .kernels import raw
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
                        f"{brief(data)}")
    if dtype is not None:
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"{where}: dtype {np.dtype(dtype)} is not a floating-point type; "
                            f"use np.float32 or np.float64")
        return array.astype(dtype, copy=False)
    if kind not in "fb":
        array = array.astype(np.float64)
    return array


def _rebroadcast(g):
    """A broadcast array (zero strides) of the same values as `g` over memory of its own: the
    distinct values copied, then broadcast again (read-only, as a broadcast is)."""
    distinct = g[tuple(slice(0, 1) if stride == 0 else slice(None) for stride in g.strides)]
    return np.broadcast_to(distinct.copy(), g.shape)


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
        if isinstance(data, Value) and data.requires_grad and not requires_grad:
            warnings.warn("Tensor(t) copies t's data into a new leaf, cut from t's graph, that "
                          "needs no gradient; for a dtype cast that keeps the graph write "
                          "t.astype(dtype) or t.double(), for a copy out of the graph "
                          "t.detach() (as PyTorch, which warns alike)", UserWarning, stacklevel=2)
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
        raise TypeError(f"Tensor {symbol}: unsupported operand {brief(other)}; use a number, a "
                        f"numeric numpy array or a Tensor")

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
                if self.op is not None and g is not source and 0 in g.strides:
                    return _rebroadcast(g)  # a sum's spread: its few values, not megabytes
                return g.copy()
            return g
        if not isinstance(g, (np.ndarray, Tensor)):
            g = np.asarray(g)
            if g.dtype.kind not in _NUMERIC:
                raise TypeError(f"{op_name}: a gradient must be numeric, got {g.dtype}")
        if g.shape != data.shape:
            g = unbroadcast(g, data.shape, op_name)
            if g.__class__ is not np.ndarray and isinstance(g, np.generic):
                g = np.asarray(g)  # a sum over every axis gives a numpy scalar: a 0-d array
        return self._fit_grad(g, op_name, source) if g.__class__ is np.ndarray else g

    def _store(self, op, other, symbol):
        """Apply `op` to the data and `other`, writing into the data's own buffer (an
        augmented assignment: no new array)."""
        if np.shape(other) != self.shape and \
                _broadcast_shape(np.shape(other), self.shape) != self.shape:
            raise ShapeError(f"{symbol}: an operand of shape {np.shape(other)} does not fit a "
                             f"tensor of shape {self.shape} in place; the result must keep the "
                             f"tensor's shape")
        if not self.data.flags.writeable:
            raise ValueError(f"{symbol}: this tensor's data is a read-only view (of a broadcast "
                             f"or of an array given as read-only); update a copy instead")
        try:
            store = _copy_into if op.name == "copy" else op.ufunc  # (the row's numpy ufunc)
            store(self.data, other, out=self.data, casting="same_kind")
        except TypeError as error:
            raise TypeError(f"{symbol}: cannot store the result in a {self.dtype} tensor in "
                            f"place: {error}") from None

    def _zero_grad(self):
        return np.zeros_like(self.data)

    @staticmethod
    def _show(value, prefix="Tensor("):
        """An array as the repr shows it (4 decimals, as PyTorch; long arrays summarised),
        its lines aligned for a field that starts at column len(prefix)."""
        return np.array2string(np.asarray(raw(value)), precision=4,
                               threshold=20, edgeitems=3, separator=", ", prefix=prefix)

    @staticmethod
    def _constant(result):
        """A result with no gradient (a comparison's boolean mask, an index) as a Tensor leaf."""
        return new_node(Tensor, result if result.__class__ is np.ndarray else np.asarray(result))

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
        """The length of the first axis."""
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor: it has no axis (its number is .item())")
        return len(self.data)

    def __iter__(self):
        """The rows along the first axis, each a Tensor (indexing: gradients flow back)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor: it has no axis (its number is "
                            ".item())")
        return (self[i] for i in range(len(self.data)))

    def __contains__(self, element):
        """`v in t`: whether any element equals v (as PyTorch)."""
        return bool((self == element).data.any())

    def __index__(self):
        """A 0-d integer Tensor (an argmax, say) as a Python int, to index with (as numpy's
        rule for arrays: any other shape indexes as an array)."""
        if self.data.dtype.kind not in "iu" or self.data.ndim != 0:
            raise TypeError(f"only a 0-d integer Tensor converts to an index; this one has "
                            f"dtype {self.dtype} and shape {self.shape}")
        return int(self.data)

    def __array__(self, dtype=None, copy=None):
        """np.asarray(t): the data as a read-only view; a copy with copy=True or another dtype."""
        if copy or dtype is not None and np.dtype(dtype) != self.data.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(t, dtype={np.dtype(dtype)}, copy=False): the data "
                                 f"is {self.dtype}; converting needs a copy")
            return self.data.astype(self.data.dtype if dtype is None else dtype)
        return self.numpy()

    def numpy(self):
        """The data as a read-only numpy view: no copy, so it follows in-place updates of the
        tensor; read-only, so it cannot change the tensor behind the engine's back (in-place
        changes go through the engine, which tracks them). `np.array(t)` or `t.numpy().copy()`
        gives a writable copy."""
        view = self.data.view()
        view.flags.writeable = False
        return view

    def item(self):
        """The single element as a Python number (float; bool or int for a mask or an index)."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element Tensor converts to a number; this one "
                             f"has shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        """The data as nested Python lists of numbers (a number for a 0-d Tensor)."""
        return self.data.tolist()

    def __repr__(self):
        head = "Tensor("
        data = self._show(self.data, head)
        extra = self._describe(" " * len(head))
        if self.data.dtype != np.float64:
            extra.append(f"dtype={self.data.dtype}")
        if "\n" not in data + "".join(extra):
            return f"{head}{', '.join([data] + extra)})"
        # an array per line, aligned under the data (as numpy and PyTorch align rows); the
        # short fields after the last
        arrays = [part for part in extra if part.startswith("grad=")]
        flags = [part for part in extra if not part.startswith("grad=")]
        lines = ",\n".join([data] + [" " * len(head) + part for part in arrays])
        return f"{head}{''.join([lines] + [', ' + flag for flag in flags])})"

    # ---- masks: the boolean Tensors comparisons give (no gradient) -------------------------------
    def any(self, axis=None, keepdims=False):
        """Whether any element is true (nonzero), over `axis`: a boolean Tensor."""
        axis = check_axis(axis, self.ndim, "any")
        return self._constant(np.any(self.data, axis=axis, keepdims=bool(keepdims)))

    def all(self, axis=None, keepdims=False):
        """Whether every element is true (nonzero), over `axis`: a boolean Tensor."""
        axis = check_axis(axis, self.ndim, "all")
        return self._constant(np.all(self.data, axis=axis, keepdims=bool(keepdims)))

    def _logical(self, how, other, symbol):
        other = np.asarray(raw(other))
        if self.data.dtype.kind != "b" or other.dtype.kind != "b":
            raise TypeError(f"{symbol}: works on boolean Tensors (masks, as comparisons give), "
                            f"got dtypes {self.dtype} and {other.dtype}; for numbers use * or "
                            f"maximum/minimum")
        try:
            return self._constant(how(self.data, other))
        except ValueError as error:
            raise ShapeError(f"{symbol}: cannot combine masks of shapes {self.shape} and "
                             f"{other.shape}: {error}") from None

    def __and__(self, other):
        return self._logical(np.logical_and, other, "&")

    __rand__ = __and__

    def __or__(self, other):
        return self._logical(np.logical_or, other, "|")

    __ror__ = __or__

    def __xor__(self, other):
        return self._logical(np.logical_xor, other, "^")

    __rxor__ = __xor__

    def __invert__(self):
        """~mask: the elementwise negation of a boolean Tensor."""
        return self._logical(lambda x, _: np.logical_not(x), True, "~")

    # ---- matrix product and reductions --------------------------------------------------------------
    def __matmul__(self, other):
        other = self._operand(other, "@")
        _check_matmul(self.shape, np.shape(raw(other)))
        return apply_binary(ops.MATMUL, self, other)

    def __rmatmul__(self, other):
        other = self._operand(other, "@")
        _check_matmul(np.shape(raw(other)), self.shape)
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
        """Minimum over `axis`; tied minima share the gradient evenly."""
        return apply_unary(ops.MIN, self, {"axis": check_axis(axis, self.ndim, "min"),
                                             "keepdims": bool(keepdims)})

    def argmax(self, axis=None, keepdims=False):
        """The index of the (first) maximum, over all elements or along `axis`: an integer
        Tensor with no gradient (an index, as PyTorch's int64 result)."""
        axis = check_axis(axis, self.ndim, "argmax", single=True) if axis is not None else None
        return self._constant(np.asarray(np.argmax(self.data, axis=axis,
                                                   keepdims=bool(keepdims))))

    def argmin(self, axis=None, keepdims=False):
        """The index of the (first) minimum: an integer Tensor with no gradient."""
        axis = check_axis(axis, self.ndim, "argmin", single=True) if axis is not None else None
        return self._constant(np.asarray(np.argmin(self.data, axis=axis,
                                                   keepdims=bool(keepdims))))

    def var(self, axis=None, ddof=0, keepdims=False):
        """Variance over `axis`: the mean squared deviation, divided by n - ddof instead of n.
        ddof=0 by default, as numpy (PyTorch's default is the unbiased ddof=1)."""
        if isinstance(ddof, bool) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
            raise TypeError(f"var: ddof must be a non-negative int, got {brief(ddof)}")
        return apply_unary(ops.VAR, self, {"axis": check_axis(axis, self.ndim, "var"),
                                             "keepdims": bool(keepdims), "ddof": int(ddof)})

    def std(self, axis=None, ddof=0, keepdims=False):
        """Standard deviation over `axis`: sqrt(var(axis, ddof)) as one node (ddof=0 as numpy);
        its gradient is 0 where it is 0 (zero spread), as in PyTorch."""
        if isinstance(ddof, bool) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
            raise TypeError(f"std: ddof must be a non-negative int, got {brief(ddof)}")
        return apply_unary(ops.STD, self, {"axis": check_axis(axis, self.ndim, "std"),
                                             "keepdims": bool(keepdims), "ddof": int(ddof)})

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

    view = reshape  # PyTorch's name (any layout works here: a reshape copies when it must)

    def flatten(self, start_dim=0, end_dim=-1):
        """Axes start_dim..end_dim (all by default) merged into one, as PyTorch's flatten."""
        if self.ndim == 0:
            return self.reshape(1)
        start = check_axis(start_dim, self.ndim, "flatten", single=True) % self.ndim
        end = check_axis(end_dim, self.ndim, "flatten", single=True) % self.ndim
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for "
                             f"a tensor of shape {self.shape}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def squeeze(self, axis=None):
        """The axes of size 1 removed (all of them, or those named by `axis`, which must have
        size 1, as in numpy; PyTorch leaves an axis of another size as it is)."""
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = check_axis(axis, self.ndim, "squeeze")
        axes = {a % self.ndim for a in (axes if isinstance(axes, tuple) else (axes,))}
        for a in sorted(axes):
            if self.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {self.shape} has size "
                                 f"{self.shape[a]}, not 1")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis):
        """A new axis of size 1 at position `axis` (or several, for a tuple), as
        np.expand_dims."""
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        ndim = self.ndim + len(axes)
        axes = check_axis(tuple(axes), ndim, "unsqueeze")
        new = {a % ndim for a in axes}
        sizes = iter(self.shape)
        return self.reshape(tuple(1 if i in new else next(sizes) for i in range(ndim)))

    expand_dims = unsqueeze  # numpy's name

    # ---- dtype casts: recorded, so the gradient flows back in the input's dtype ------------------
    def astype(self, dtype):
        """The data cast to `dtype`. A floating-point cast is a node (the gradient is cast back
        to this tensor's dtype); a cast to integers or booleans has no gradient (as in
        PyTorch). The same dtype gives this tensor itself, as PyTorch's .double() does."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind == "f":
            return apply_unary(ops.ASTYPE, self, {"dtype": dtype})
        if dtype.kind in "biu":
            return self._constant(self.data.astype(dtype))
        raise TypeError(f"astype: dtype {dtype} is not a number type; use np.float32, "
                        f"np.float64, an integer type or bool")

    def float(self):
        """This tensor as float32 (PyTorch's .float(); float(t) is the Python number)."""
        return self.astype(np.float32)

    def double(self):
        """This tensor as float64 (PyTorch's .double())."""
        return self.astype(np.float64)

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


def _copy_into(old, new, out, casting):
    """What copy_ applies in place: the new values, whatever the old ones were."""
    return np.copyto(out, new, casting=casting)


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
                            f"got {brief(a)}")
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


def _broadcast_shape(a, b):
    """The shape a and b broadcast to, or None when they do not broadcast."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def _check_matmul(a, b):
    if not a or not b:
        raise ShapeError(f"matmul: both operands need at least one axis, got shapes {a} and {b}")
    k2 = b[-2] if len(b) > 1 else b[0]
    if a[-1] != k2:
        raise ShapeError(f"matmul: shapes {a} and {b} do not match: the last axis of the first "
                         f"({a[-1]}) must equal the {'second-to-last' if len(b) > 1 else 'only'}"
                         f" axis of the second ({k2})")
