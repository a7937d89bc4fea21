"""The elementwise functions (`autograd.exp`, `log`, `sqrt`, `sigmoid`, `maximum`, ...) and the
few other raw computations where a Python float and a numpy array differ.

Each function takes floats, numpy arrays or graph values (Scalar/Tensor) and dispatches: floats
go through `math` (fast for scalar graphs), arrays through numpy, and anything else through the
one shared fallback, `_not_raw`: a graph value computes by its method of the same name (which
records the op), another real number as a float, and the rest is the one TypeError. So the same
function is the op's forward on raw data, the public function, and what a gradient rule in
`ops.py` calls, with and without `create_graph`. Floats follow numpy's conventions instead of
raising: overflow gives inf, log(0) gives -inf, log(-1) and sqrt(-1) nan.
"""

import math
import numbers

import numpy as np

ARRAY = (np.ndarray, np.generic)  # numpy scalars (0-d arithmetic gives them) go the array way
RAW = (float, np.ndarray, np.generic)
INF = math.inf
NAN = math.nan


def new_array(function):
    """Mark a kernel whose result on arrays is always a new array, never a view of an argument
    (`function.new_array`): a compiled step may write into the result of a template that calls
    it. A kernel that may return a view (`broadcast_view`) is left unmarked."""
    function.new_array = True
    return function


@new_array
def exp(x):
    """e ** x, elementwise; a float that overflows gives inf, as numpy does."""
    if type(x) is float:
        try:
            return math.exp(x)
        except OverflowError:
            return INF
    if isinstance(x, ARRAY):
        return np.exp(x)
    return _not_raw(exp, x)


@new_array
def log(x):
    """Natural logarithm, elementwise; log(0) = -inf and log(x < 0) = nan, as numpy does."""
    if type(x) is float:
        if x > 0.0:
            return math.log(x)
        return -INF if x == 0.0 else NAN
    if isinstance(x, ARRAY):
        return np.log(x)
    return _not_raw(log, x)


@new_array
def sqrt(x):
    """Square root, elementwise; sqrt(x < 0) = nan, as numpy does."""
    if type(x) is float:
        return math.sqrt(x) if x >= 0.0 else NAN
    if isinstance(x, ARRAY):
        return np.sqrt(x)
    return _not_raw(sqrt, x)


@new_array
def tanh(x):
    """Hyperbolic tangent, elementwise."""
    if type(x) is float:
        return math.tanh(x)
    if isinstance(x, ARRAY):
        return np.tanh(x)
    return _not_raw(tanh, x)


@new_array
def sigmoid(x):
    """Logistic function 1 / (1 + e ** -x), elementwise and stable for large |x| (no overflow
    error, no nan)."""
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    if isinstance(x, ARRAY):
        # exp(-x) overflows to inf for x << 0, and 1 / (1 + inf) = 0 is the right limit (no nan,
        # and tiny results keep their relative precision): only the warning needs silencing
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-x))
    return _not_raw(sigmoid, x)


@new_array
def relu(x):
    """max(x, 0), elementwise; nan stays nan (as numpy and PyTorch)."""
    if type(x) is float:
        return x if x > 0.0 or x != x else 0.0
    if isinstance(x, ARRAY):
        return np.maximum(x, 0)
    return _not_raw(relu, x)


@new_array
def maximum(x, y):
    """Elementwise max(x, y), the max gate: its gradient goes to the larger input and is split
    evenly on a tie. nan if either is nan (as numpy and PyTorch)."""
    if type(x) is float and type(y) is float:
        return x if x >= y or x != x else y
    if isinstance(x, RAW) and isinstance(y, RAW):
        return np.maximum(x, y)
    return _not_raw(maximum, x, y)


def _not_raw(function, *inputs, method=None):
    """The elementwise functions' one fallback, for inputs that are not all floats and arrays.

    A graph value as the first input computes by its method of the function's name (or
    `method`), which records the op, with the other inputs as they are (`exp(x)` is `x.exp()`,
    `clip(x, 0.0, None)` is `x.clip(0.0, None)`); a graph value second in a symmetric function
    computes it the other way round (`maximum(2.0, y)` is `y.maximum(2.0)`, the same max). Other
    real numbers (ints, numpy's) are computed as floats; None (an open bound) stays None.
    Anything else is a TypeError naming the function and the input."""
    name = function.__name__
    for i, x in enumerate(inputs):
        if getattr(type(x), "data_class", None) is not None:  # a graph value: Scalar, Tensor
            if i == 0 or function in _SYMMETRIC:
                return getattr(x, method or name)(*inputs[:i], *inputs[i + 1:])
            raise TypeError(f"{name}: input {i} must be a constant, got a "
                            f"{type(x).__name__}; only the first input may be a graph value")
    numbers_in = []
    for i, x in enumerate(inputs):
        if x is None and i > 0:
            numbers_in.append(x)
            continue
        if isinstance(x, bool) or not isinstance(x, (numbers.Real, *RAW)):
            raise TypeError(f"{name}: expected a Scalar or a Tensor, got {type(x).__name__} "
                            f"{x!r:.40}; wrap numbers with Scalar(...) and arrays with "
                            f"Tensor(...)")
        numbers_in.append(x if isinstance(x, RAW) else float(x))
    return function(*numbers_in)


def raw(value):
    """The data inside a graph value (its `.data`); anything else (a float, a numpy array, a
    constant) as it is."""
    if type(value) is float or isinstance(value, ARRAY):
        return value
    return value.data if getattr(type(value), "data_class", None) is not None else value


@new_array
def log1p(x):
    """log(1 + x), accurate for small x; -inf at -1 and nan below, as numpy does."""
    if type(x) is float:
        if x > -1.0:
            return math.log1p(x)
        return -INF if x == -1.0 else NAN
    if isinstance(x, ARRAY):
        return np.log1p(x)
    return _not_raw(log1p, x)


@new_array
def softplus(x):
    """log(1 + e**x), computed stably: no overflow for large x, no loss for very negative x."""
    if type(x) is float:
        if x > 0.0:
            return x + math.log1p(math.exp(-x))
        return math.log1p(math.exp(x))  # (nan falls here and stays nan)
    if isinstance(x, ARRAY):
        return np.logaddexp(0.0, x)
    return _not_raw(softplus, x)


@new_array
def absolute(x):
    """|x|, elementwise (`autograd.abs`); its gradient at 0 is 0, as in PyTorch."""
    if type(x) is float:
        return math.fabs(x)
    if isinstance(x, ARRAY):
        return np.abs(x)
    return _not_raw(absolute, x, method="abs")


@new_array
def minimum(x, y):
    """Elementwise min(x, y), the min gate (its gradient goes to the smaller input, split
    evenly on a tie); nan if either is nan (as numpy and PyTorch)."""
    if type(x) is float and type(y) is float:
        return x if x <= y or x != x else y
    if isinstance(x, RAW) and isinstance(y, RAW):
        return np.minimum(x, y)
    return _not_raw(minimum, x, y)


@new_array
def clip(x, lo=None, hi=None):
    """x limited to [lo, hi], elementwise (constant bounds; None is no bound); nan stays nan,
    and where lo > hi the result is hi, as numpy and PyTorch give. Its gradient passes where
    lo <= x <= hi and is 0 where a bound holds x (PyTorch's clamp)."""
    if _is_bound(lo) and _is_bound(hi):
        if type(x) is float:
            if lo is not None and x < lo:
                x = float(lo)
            if hi is not None and x > hi:
                x = float(hi)
            return x
        if isinstance(x, ARRAY):
            return np.clip(x, lo, hi)
    return _not_raw(clip, x, lo, hi)


def _is_bound(bound):
    """Whether `bound` is a constant bound: None, a number or an array (not a graph value)."""
    return bound is None or isinstance(bound, (numbers.Real, *RAW))


# ---- helpers of the gradient rules and forwards (raw data only) ----------------------------------


@new_array
def select(cond, a, b):
    """a where cond holds, else b (numpy's where; for a bool and two floats, Python's choice)."""
    if cond.__class__ is bool and type(a) is float and type(b) is float:
        return a if cond else b
    return np.where(cond, a, b)


@new_array
def sign(x):
    """-1, 0 or 1 by the sign of x, as a constant of x's raw kind: the abs gate's switch, not
    differentiated. 0 at 0 and at nan, as PyTorch's abs passes no gradient there."""
    x = raw(x)
    if type(x) is float:
        return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


@new_array
def within(x, lo, hi):
    """1 where lo <= x <= hi and 0 elsewhere (nan is outside), as a constant of x's raw kind:
    the clip gate's switch (a bound of None is no bound)."""
    x = raw(x)
    if type(x) is float:
        return 1.0 if (lo is None or x >= lo) and (hi is None or x <= hi) else 0.0
    inside = np.ones(np.shape(x), dtype=bool) if lo is None else x >= lo
    if hi is not None:
        inside = inside & (x <= hi)
    return inside.astype(np.result_type(x.dtype, np.float32))


def _all_ones(g):
    """Whether g is an array broadcast from the one value 1.0 (every stride 0): the gradient a
    sum or a mean passes on from a loss seeded with 1, by which multiplying changes nothing
    (x * 1.0 is x, bit for bit, nan and -0.0 included), so a pass over the array is saved."""
    return g.__class__ is np.ndarray and not any(g.strides) and g.size > 0 and \
        g.item(0) == 1.0


@new_array
def sigmoid_slope_times(g, out):
    """g * out * (1 - out), the sigmoid's local gradient from its output; on arrays in one
    buffer (two in-place passes instead of three temporaries)."""
    if out.__class__ is np.ndarray and out.ndim:  # (0-d arithmetic gives numpy scalars)
        local = 1.0 - out
        local *= out
        if not _all_ones(g):
            local *= g
        return local
    return g * out * (1.0 - out)


@new_array
def tanh_slope_times(g, out):
    """g * (1 - out**2), tanh's local gradient from its output; on arrays in one buffer."""
    if out.__class__ is np.ndarray and out.ndim:  # (0-d arithmetic gives numpy scalars)
        local = out * out
        np.subtract(1.0, local, out=local)
        if not _all_ones(g):
            local *= g
        return local
    return g * (1.0 - out * out)


@new_array
def summed_product(g, other):
    """g * other summed to a 0-d array: the mul gate's gradient for a 0-d factor of an array,
    which the core would otherwise sum from a g-sized temporary; one dot product when `other`
    has g's shape."""
    if other.__class__ is np.ndarray and g.__class__ is np.ndarray and other.shape == g.shape:
        return np.asarray(np.vdot(g, other), dtype=np.result_type(g, other))
    return g * other  # (the core sums it)


def broadcast_view(g, shape):
    """A read-only view of array `g` broadcast to `shape` (np.broadcast_to's result, built
    without its general machinery when g is contiguous: this runs once per reduction rule)."""
    if not g.flags.c_contiguous or g.ndim > len(shape):
        return np.broadcast_to(g, shape)
    lead = len(shape) - g.ndim
    strides = [0] * lead
    for size, stride, n in zip(g.shape, g.strides, shape[lead:]):
        if size != n and size != 1:
            return np.broadcast_to(g, shape)  # not a broadcast: let numpy raise its error
        strides.append(stride if size == n else 0)
    view = np.ndarray(shape, g.dtype, buffer=g, strides=tuple(strides))
    view.flags.writeable = False
    return view


@new_array
def divide(x, y):
    """x / y; a float divided by zero gives +-inf or nan, as numpy does."""
    if type(y) is float and y == 0.0 and type(x) is float:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)
    return x / y


@new_array
def power(x, c):
    """x**c, elementwise (`autograd.power`, numpy's name; `x ** c` records the same op). Floats give what numpy gives at every special point: a negative base
    with a fractional exponent gives nan (not a complex number), overflow gives +-inf, 0 to a
    negative power inf (-inf for -0.0 and an odd exponent), and x**0.5 is sqrt(x), so nan at
    -inf and -0.0 at -0.0. A graph value as the base or the exponent records the op."""
    if type(x) is float and type(c) is float:
        if c == 0.5:  # numpy computes x**0.5 as sqrt(x)
            return math.sqrt(x) if x >= 0.0 else NAN
        try:
            return math.pow(x, c)
        except ValueError:  # negative base, fractional exponent; or 0.0 ** negative
            if x == 0.0:
                return math.copysign(INF, x) if c % 2.0 == 1.0 else INF
            return NAN
        except OverflowError:
            return INF if x > 0.0 or c % 2.0 != 1.0 else -INF
    if isinstance(x, RAW) and isinstance(c, RAW):
        return np.power(x, c)
    if getattr(type(x), "data_class", None) is not None or \
            getattr(type(c), "data_class", None) is not None:
        return x ** c  # a graph value on either side: its __pow__ or __rpow__ records the op
    return _not_raw(power, x, c)


_SYMMETRIC = (maximum, minimum)  # (the fallback may swap their inputs)


@new_array
def where_positive(x):
    """0 where x <= 0 and 1 elsewhere (nan included: relu(nan) is nan and passes g on, as in
    PyTorch), as a constant of x's raw kind: the relu gate's switch."""
    x = raw(x)
    if type(x) is float:
        return 0.0 if x <= 0.0 else 1.0
    return (~(x <= 0)).astype(x.dtype)
