"""The few raw computations where a Python float and a numpy array differ.

Each function takes a float, a numpy array or a graph value (Scalar/Tensor) and dispatches:
floats go through `math` (fast for scalar graphs), arrays through numpy, and graph values
through their own method, so one gradient rule in `ops.py` serves all three. Floats follow
numpy's conventions instead of raising: overflow gives inf, log(0) gives -inf, log(-1) nan.
"""

import math

import numpy as np

ARRAY = (np.ndarray, np.generic)  # numpy scalars (0-d arithmetic gives them) go the array way
INF = math.inf
NAN = math.nan


def exp(x):
    """e**x; a float that overflows gives inf, as numpy does."""
    if type(x) is float:
        try:
            return math.exp(x)
        except OverflowError:
            return INF
    if isinstance(x, ARRAY):
        return np.exp(x)
    return x.exp()


def log(x):
    """Natural logarithm; log(0) = -inf and log(x < 0) = nan for floats, as numpy does."""
    if type(x) is float:
        if x > 0.0:
            return math.log(x)
        return -INF if x == 0.0 else NAN
    if isinstance(x, ARRAY):
        return np.log(x)
    return x.log()


def tanh(x):
    """Hyperbolic tangent."""
    if type(x) is float:
        return math.tanh(x)
    if isinstance(x, ARRAY):
        return np.tanh(x)
    return x.tanh()


def sigmoid(x):
    """Logistic function 1 / (1 + e**-x), stable for large |x| (no overflow error, no nan)."""
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
    return x.sigmoid()


def relu(x):
    """max(x, 0); nan stays nan (as numpy and PyTorch)."""
    if type(x) is float:
        return x if x > 0.0 or x != x else 0.0
    if isinstance(x, ARRAY):
        return np.maximum(x, 0)
    return x.relu()


def sqrt(x):
    """Square root; sqrt(x < 0) = nan for floats, as numpy does."""
    if type(x) is float:
        return math.sqrt(x) if x >= 0.0 else NAN
    if isinstance(x, ARRAY):
        return np.sqrt(x)
    return x.sqrt()


def log1p(x):
    """log(1 + x), accurate for small x; -inf at -1 and nan below, as numpy does."""
    if type(x) is float:
        if x > -1.0:
            return math.log1p(x)
        return -INF if x == -1.0 else NAN
    if isinstance(x, ARRAY):
        return np.log1p(x)
    return x.log1p()


def softplus(x):
    """log(1 + e**x), computed stably: no overflow for large x, no loss for very negative x."""
    if type(x) is float:
        if x > 0.0:
            return x + math.log1p(math.exp(-x))
        return math.log1p(math.exp(x))  # (nan falls here and stays nan)
    if isinstance(x, ARRAY):
        return np.logaddexp(0.0, x)
    return x.softplus()


def absolute(x):
    """|x|."""
    if type(x) is float:
        return math.fabs(x)
    if isinstance(x, ARRAY):
        return np.abs(x)
    return x.abs()


def minimum(x, y):
    """Elementwise min(x, y); nan if either is nan (as numpy and PyTorch)."""
    if type(x) is float and type(y) is float:
        return x if x <= y or x != x else y
    return np.minimum(x, y)


def clip(x, lo, hi):
    """x limited to [lo, hi] (a bound of None is no bound); nan stays nan, and where lo > hi
    the result is hi, as numpy and PyTorch give."""
    if type(x) is float:
        if lo is not None and x < lo:
            x = float(lo)
        if hi is not None and x > hi:
            x = float(hi)
        return x
    return np.clip(x, lo, hi)


def select(cond, a, b):
    """a where cond holds, else b (numpy's where; for a bool and two floats, Python's choice)."""
    if cond.__class__ is bool and type(a) is float and type(b) is float:
        return a if cond else b
    return np.where(cond, a, b)


def sign(x):
    """-1, 0 or 1 by the sign of x, as a constant of x's raw kind: the abs gate's switch, not
    differentiated. 0 at 0 and at nan, as PyTorch's abs passes no gradient there."""
    x = raw(x)
    if type(x) is float:
        return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


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


def sigmoid_slope_times(g, out):
    """g * out * (1 - out), the sigmoid's local gradient from its output; on arrays in one
    buffer (two in-place passes instead of three temporaries)."""
    if out.__class__ is np.ndarray and out.ndim:  # (0-d arithmetic gives numpy scalars)
        local = 1.0 - out
        local *= out
        local *= g
        return local
    return g * out * (1.0 - out)


def tanh_slope_times(g, out):
    """g * (1 - out**2), tanh's local gradient from its output; on arrays in one buffer."""
    if out.__class__ is np.ndarray and out.ndim:  # (0-d arithmetic gives numpy scalars)
        local = out * out
        np.subtract(1.0, local, out=local)
        local *= g
        return local
    return g * (1.0 - out * out)


def times_reduced(g, other, this):
    """The mul gate's gradient for `this`: g * other. When `this` is a raw 0-d array (a scalar
    factor broadcast over a big array) the sum that undoes the broadcast is taken at once, as
    one dot product, without a g-sized temporary."""
    if this.__class__ is np.ndarray and this.ndim == 0 and other.__class__ is np.ndarray \
            and g.__class__ is np.ndarray and other.shape == g.shape and other.ndim:
        return np.asarray(np.vdot(g, other), dtype=np.result_type(g, other))
    return g * other


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


def divide(x, y):
    """x / y; a float divided by zero gives +-inf or nan, as numpy does."""
    if type(y) is float and y == 0.0 and type(x) is float:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)
    return x / y


def power(x, c):
    """x**c for a constant c; for floats, a negative base with a fractional exponent gives nan
    (not a complex number), overflow gives inf and 0**-1 gives inf, as numpy does."""
    if type(x) is float:
        try:
            return math.pow(x, c)
        except ValueError:  # negative base, fractional exponent; or 0.0 ** negative
            return INF if x == 0.0 else NAN
        except OverflowError:
            return INF if x > 0.0 or c % 2 == 0 else -INF
    if isinstance(x, ARRAY):
        return np.power(x, c)
    return x ** c


def where_positive(x):
    """1 where x > 0 and 0 elsewhere, as a constant of x's raw kind (the relu gate's switch)."""
    x = raw(x)
    if type(x) is float:
        return 1.0 if x > 0.0 else 0.0
    return (x > 0).astype(x.dtype)


def winner_share(x, y):
    """The max gate's router: the share of the gradient that goes to x in max(x, y).

    1 where x wins, 0 where y wins, and 1/2 on a tie, so the gradient is split evenly
    (as HIPS autograd, JAX and tinygrad do). Where either is nan (the result is nan) both get
    all of it, as in PyTorch. A constant: routing is not differentiated.
    """
    x, y = raw(x), raw(y)
    if type(x) is float and type(y) is float:
        return 0.0 if x < y else (0.5 if x == y else 1.0)
    x, y = np.asarray(x), np.asarray(y)
    dtype = np.result_type(x.dtype, y.dtype, np.float32)
    return 1.0 - (x < y).astype(dtype) - 0.5 * (x == y).astype(dtype)


def raw(v):
    """The raw data of a value: floats and arrays as they are, graph values by their `.data`."""
    if isinstance(v, (float, int, np.ndarray, np.generic)):
        return v
    return v.data
