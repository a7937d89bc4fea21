"""THE table of primitives: each row is a name, a forward computation and its local-gradient rule.

A rule is a vector-Jacobian product `vjp(g, out, *inputs, **params) -> one gradient per input`:
`g` is the gradient arriving from above, `out` the forward result, `inputs` the forward inputs.
Rules are pure: they mutate nothing they are given and leave undoing broadcasting to the graph core
(one exception, for speed: the mul gate sums its gradient for a 0-d factor as a dot product).
They use plain arithmetic and the dispatching helpers of `kernels.py`, so one rule serves a
Python float, a numpy array and, for higher-order gradients, a graph value (`create_graph=True`).

This module knows nothing of graph nodes: calling an `Op` hands it to `Op.apply`, which the graph
core installs (it records a node when an input is a graph value, and just runs `forward` on raw
data otherwise).
"""

import inspect
import operator

import numpy as np

from . import kernels
from .kernels import divide, exp, power, where_positive, winner_share

OPS = {}
"""Every registered primitive by name: the built-ins below and the user's (see `primitive`)."""


class Op:
    """One primitive of the engine: `forward` on raw data and its local-gradient rule.

    The rule is given either as `vjp(g, out, *inputs, **params) -> (one gradient per input)`, or
    as `input_vjps`, one function per input returning that input's gradient (as HIPS autograd's
    `defvjp` does), so the core computes only the gradients that are needed: a matmul with a
    constant input skips that input's product. `op.vjp` is always the tuple form.

    Other attributes: `name` (the label in diagrams), `gate` (the backpropagation pattern it
    shows, if any), `domain` (where the forward is defined: None, "positive" or "nonzero"),
    `arity` (number of inputs, None when variadic), `tensor_only`, and what the rule reads, so
    that the core can refuse a backward pass through values changed in place since: `reads`,
    the positions of the inputs whose values the rule uses (None: all; shapes do not count,
    since an in-place change keeps them), `reads_out`, whether it uses the forward result, and
    `view`, whether the forward may return a view of its first input's data.

    `code` (optional, for `autograd.compile`): how each input's rule reads as a Python
    expression, one template per input, e.g. `("{g} * {y}", "{g} * {x}")` for mul. Templates
    name `g`, `out`, the inputs `x` and `y`, the op's parameters, the static facts `x_shape`,
    `x_size` and `out_size`, and the functions of `kernels.py` (plus `expand`, `scatter_add`).
    A compiled step uses a template only where it gives what the rule gives and otherwise
    calls the rule itself, so generated code cannot disagree with the eager engine.
    """

    apply = None  # installed by graph.py: applies an op to raw data or graph values

    def __init__(self, name, forward, vjp=None, *, input_vjps=None, gate=None, domain=None,
                 arity=1, tensor_only=False, doc=None, reads=None, reads_out=True, view=False,
                 code=None):
        if (vjp is None) == (input_vjps is None):
            raise TypeError(f"op {name!r}: give exactly one of vjp and input_vjps")
        for rule in (vjp,) if input_vjps is None else input_vjps:
            if not callable(rule):
                raise TypeError(f"op {name!r}: a gradient rule must be callable, got {rule!r}")
        self.name = name
        self.forward = forward
        self._vjp = vjp
        self.input_vjps = None if input_vjps is None else tuple(input_vjps)
        self.gate = gate
        self.domain = domain
        self.arity = len(self.input_vjps) if input_vjps is not None else arity
        self.tensor_only = tensor_only
        self.reads = None if reads is None else tuple(reads)
        self.reads_out = reads_out
        self.view = view
        self.code = None if code is None else tuple(code)
        self._code_rules = self.input_vjps  # the rules `code` describes (a swapped rule has none)
        self.__doc__ = doc or getattr(forward, "__doc__", None)

    @property
    def vjp(self):
        """The rule in tuple form: `vjp(g, out, *inputs, **params)` -> one gradient per input."""
        if self._vjp is not None:
            return self._vjp
        rules = self.input_vjps

        def vjp(g, out, *inputs, **params):
            return tuple(rule(g, out, *inputs, **params) for rule in rules)

        vjp.input_vjps = rules
        return vjp

    @vjp.setter
    def vjp(self, rule):
        # swapping in a rule (e.g. a test's deliberately wrong one) replaces the per-input rules;
        # assigning back a function obtained from `op.vjp` restores them
        restored = getattr(rule, "input_vjps", None)
        self._vjp = None if restored is not None else rule
        self.input_vjps = restored

    def __call__(self, *inputs, **params):
        """Apply the op: raw data in, raw data out; a graph value in, a recorded node out."""
        return Op.apply(self, inputs, params)

    def __repr__(self):
        return f"Op({self.name!r})"


def register(name, forward, vjp=None, **attributes):
    """Add a primitive to the table and return it; a name can only be registered once.

    Give the rule as `vjp` (tuple form) or as `input_vjps=(rule_for_input_0, ...)`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: an op name must be an identifier, got {name!r}")
    if name in OPS:
        raise ValueError(f"register: an op named {name!r} exists already; choose another name")
    if not callable(forward):
        raise TypeError(f"register {name!r}: forward must be callable")
    op = OPS[name] = Op(name, forward, vjp, **attributes)
    return op


def primitive(vjp, *, name=None, arity=None, domain=None, tensor_only=False):
    """Decorator: turn a forward function on raw data into a differentiable primitive.

    `vjp(g, out, *inputs)` must return one gradient per input (a tuple, even for one input),
    written with arithmetic and the engine's functions so that it also works on graph values
    (then second derivatives work too). The decorated function accepts Scalars, Tensors or raw
    data; the op joins the table, so `autograd.testing.gradcheck` covers it like a built-in.

    Example::

        def cube_vjp(g, out, x):
            return (g * 3 * x * x,)

        @autograd.primitive(cube_vjp)
        def cube(x):
            return x * x * x

        y = cube(autograd.Scalar(2.0)); y.backward()   # y.data == 8.0, x.grad == 12.0
    """
    def decorate(forward):
        def float_forward(*inputs, **params):
            out = forward(*inputs, **params)
            if isinstance(out, np.ndarray) and out.dtype.kind in "biu":
                out = out.astype(np.float64)  # gradients need floating point
            return out

        return register(name or forward.__name__, float_forward, vjp,
                        arity=_arity(forward) if arity is None else arity, domain=domain,
                        tensor_only=tensor_only, doc=forward.__doc__)
    return decorate


def _arity(forward):
    """The number of positional inputs of a forward function (None when it takes *args)."""
    parameters = inspect.signature(forward).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
               for p in parameters)


# ---- elementwise arithmetic: Scalar and Tensor ----------------------------------------------------
# Binary rules are one function per input: (rule for x, rule for y).

ADD = register("add", operator.add, gate="add distributes", reads=(), reads_out=False,
               code=("{g}", "{g}"), input_vjps=(
                   lambda g, out, x, y: g,        # the add gate distributes g unchanged
                   lambda g, out, x, y: g))       # to both inputs
SUB = register("sub", operator.sub, reads=(), reads_out=False, code=("{g}", "-{g}"),
               input_vjps=(lambda g, out, x, y: g,
                           lambda g, out, x, y: -g))
NEG = register("neg", operator.neg, reads=(), reads_out=False, code=("-{g}",),
               input_vjps=(lambda g, out, x: -g,))
IDENTITY = register("identity", operator.pos, reads=(), reads_out=False, code=("{g}",),
                    doc="A new node holding x's value (what `grad` differentiates with respect "
                        "to).", input_vjps=(lambda g, out, x: g,))
MUL = register("mul", operator.mul, gate="mul swaps", reads_out=False,
               code=("{g} * {y}", "{g} * {x}"), input_vjps=(
                   lambda g, out, x, y: kernels.times_reduced(g, y, x),   # the mul gate swaps:
                   lambda g, out, x, y: kernels.times_reduced(g, x, y)))  # x gets g y, y gets g x
DIV = register("div", divide, domain="nonzero", reads=(1,),
               code=("divide({g}, {y})", "-divide({g} * {out}, {y})"), input_vjps=(
                   lambda g, out, x, y: divide(g, y),           # d(x/y)/dx = 1/y
                   lambda g, out, x, y: -divide(g * out, y)))   # d(x/y)/dy = -x/y**2 = -out/y


def _pow_vjp(g, out, x, exponent):
    # d x**c = c x**(c-1); written so that c = 0 and c = 1 need no power of x at all: at x = 0
    # c x**(c-1) would be 0 * inf = nan (PyTorch gives 0 and g), and higher derivatives of
    # x**2 reach x**0 and x**-1
    if exponent == 0:
        return g * 0.0
    if exponent == 1:
        return g
    return g * exponent * power(x, exponent - 1)


POW = register("pow", lambda x, exponent: power(x, exponent), domain="positive",
               doc="x ** exponent for a constant exponent.", reads_out=False,
               code=("{g} * {exponent} * power({x}, {exponent} - 1)",), input_vjps=(_pow_vjp,))


def _maximum(x, y):
    """Elementwise max(x, y); nan if either is nan (as numpy and PyTorch)."""
    if type(x) is float and type(y) is float:
        return x if x >= y or x != x else y
    return np.maximum(x, y)


MAXIMUM = register("maximum", _maximum, gate="max routes", reads_out=False,
                   code=("{g} * winner_share({x}, {y})", "{g} * winner_share({y}, {x})"),
                   input_vjps=(
                       lambda g, out, x, y: g * winner_share(x, y),  # the max gate routes g to
                       lambda g, out, x, y: g * winner_share(y, x)))  # the larger; a tie splits

# ---- elementwise functions: the local gradient from the output where that is simplest ----------

EXP = register("exp", kernels.exp, reads=(), code=("{g} * {out}",),
               input_vjps=(lambda g, out, x: g * out,))
LOG = register("log", kernels.log, domain="positive", reads_out=False,
               code=("divide({g}, {x})",), input_vjps=(lambda g, out, x: divide(g, x),))
SIGMOID = register("sigmoid", kernels.sigmoid, reads=(),
                   code=("sigmoid_slope_times({g}, {out})",),
                   input_vjps=(lambda g, out, x: kernels.sigmoid_slope_times(g, out),))
TANH = register("tanh", kernels.tanh, reads=(),  # d tanh = 1 - tanh**2
                code=("tanh_slope_times({g}, {out})",),
                input_vjps=(lambda g, out, x: kernels.tanh_slope_times(g, out),))
RELU = register("relu", kernels.relu, gate="max routes", reads_out=False,
                code=("{g} * where_positive({x})",), input_vjps=(
                    lambda g, out, x: g * where_positive(x),))  # a max gate against 0

# ---- shape operations: Tensor only ---------------------------------------------------------------


def _normalize_axes(axis, ndim):
    """The reduced axes as a tuple of non-negative ints (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim if ndim else a for a in axes)


def _expand(g, shape, axis, keepdims):
    """Undo a reduction's shape: restore the reduced axes, then broadcast (the sum gate copies g)."""
    if not keepdims:
        axes = _normalize_axes(axis, len(shape))
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    if isinstance(g, np.ndarray):  # raw data: a broadcast view, without recording machinery
        return kernels.broadcast_view(g, shape)
    return BROADCAST_TO(g, shape=shape)


BROADCAST_TO = register("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                        tensor_only=True, doc="Broadcast x to `shape` (a copy gate).",
                        reads=(), reads_out=False, view=True, code=("{g}",),
                        input_vjps=(lambda g, out, x, shape: g,))  # the core sums g back
RESHAPE = register("reshape", lambda x, shape: np.reshape(x, shape), tensor_only=True,
                   reads=(), reads_out=False, view=True, code=("{g}.reshape({x_shape})",),
                   input_vjps=(lambda g, out, x, shape: g.reshape(x.shape),))
TRANSPOSE = register("transpose", lambda x, axes: np.transpose(x, axes), tensor_only=True,
                     reads=(), reads_out=False, view=True,
                     doc="Permute the axes of x.", input_vjps=(
                         lambda g, out, x, axes: TRANSPOSE(g, axes=tuple(np.argsort(axes))),))
# reductions call the ufuncs' reduce directly: np.sum and friends add microseconds of dispatch
SUM = register("sum", lambda x, axis, keepdims: np.add.reduce(x, axis=axis, keepdims=keepdims),
               gate="add distributes", tensor_only=True, reads=(), reads_out=False,
               code=("expand({g}, {x_shape}, {axis}, {keepdims})",), input_vjps=(
                   # the sum gate is an add with many inputs: each element gets g
                   lambda g, out, x, axis, keepdims: _expand(g, x.shape, axis, keepdims),))


def _mean(x, axis, keepdims):
    """The mean over `axis`: the sum divided by the number of elements summed."""
    total = np.add.reduce(x, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in numpy and PyTorch
        return np.divide(total, x.size // max(np.size(total), 1))


MEAN = register("mean", _mean, tensor_only=True, reads=(), reads_out=False,
                code=("expand({g} * ({out_size} / {x_size}), {x_shape}, {axis}, {keepdims})",),
                input_vjps=(
    # the sum gate's copies, each scaled by 1/n (scaled before copying); an empty x gets an
    # empty gradient
    lambda g, out, x, axis, keepdims:
        _expand(g * (out.size / x.size if x.size else 0.0), x.shape, axis, keepdims),))


def _max_vjp(g, out, x, axis, keepdims):
    # the max gate over many inputs: g goes to the maxima; tied maxima share it evenly
    raw_x, raw_out = kernels.raw(x), _expand(kernels.raw(out), x.shape, axis, keepdims)
    winners = raw_x == raw_out
    if np.isnan(raw_out).any():  # a nan maximum: its nan elements share g (as PyTorch)
        winners |= np.isnan(raw_x) & np.isnan(raw_out)
    winners = winners.astype(raw_x.dtype)
    share = winners / winners.sum(axis=axis, keepdims=True)
    return _expand(g, x.shape, axis, keepdims) * share


MAX = register("max", lambda x, axis, keepdims: np.maximum.reduce(x, axis=axis, keepdims=keepdims),
               gate="max routes", tensor_only=True, input_vjps=(_max_vjp,))


def _swap_last(a):
    return a.swapaxes(-1, -2)


def _matmul_vjp_x(g, out, x, y):
    # a mul gate for matrices: x gets g times y (transposed)
    if x.ndim == 1 and y.ndim == 1:    # a dot product: exactly the scalar mul gate
        return g * y
    if y.ndim == 1:                    # (..., m, k) @ (k,): y acts as a (k, 1) column
        return g.reshape(g.shape + (1,)) @ y.reshape((1, -1))
    if x.ndim == 1:                    # (k,) @ (..., k, n): x acts as a (1, k) row
        g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        return (g @ _swap_last(y)).reshape(g.shape[:-2] + (x.shape[0],))
    return g @ _swap_last(y)


def _matmul_vjp_y(g, out, x, y):
    # ... and y gets x (transposed) times g
    if x.ndim == 1 and y.ndim == 1:
        return g * x
    if x.ndim == 1:                    # (k,) @ (..., k, n): x acts as a (1, k) row
        return x.reshape((-1, 1)) @ g.reshape(g.shape[:-1] + (1, g.shape[-1]))
    if y.ndim == 1:                    # (..., m, k) @ (k,): y acts as a (k, 1) column
        dy = _swap_last(x) @ g.reshape(g.shape + (1,))
        return dy.reshape(dy.shape[:-1])
    return _swap_last(x) @ g


MATMUL = register("matmul", np.matmul, gate="mul swaps", tensor_only=True, reads_out=False,
                  code=("{g} @ {y}.swapaxes(-1, -2)", "{x}.swapaxes(-1, -2) @ {g}"),
                  input_vjps=(_matmul_vjp_x, _matmul_vjp_y))


def _is_basic_index(index):
    """True when indexing cannot select an element twice (ints, slices, None, Ellipsis)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def _scatter_add(g, index, shape):
    """A zero array of `shape` with g added at `index`; repeated indices add up."""
    result = np.zeros(shape, dtype=g.dtype)
    if _is_basic_index(index):
        result[index] = g
    else:
        np.add.at(result, index, g)
    return result


SCATTER_ADD = register("scatter_add", _scatter_add, tensor_only=True, reads=(), reads_out=False,
                       code=("{g}[{index}]",),
                       input_vjps=(lambda g, out, x, index, shape: g[index],))
GETITEM = register("getitem", lambda x, index: x[index], tensor_only=True, reads=(),
                   reads_out=False, view=True, doc="x[index] for ints, slices and integer arrays.",
                   code=("scatter_add({g}, {index}, {x_shape})",), input_vjps=(
                       # indexing routes g back to the selected elements (adding on repeats)
                       lambda g, out, x, index: SCATTER_ADD(g, index=index, shape=x.shape),))


def _split_along(g, sizes, axis):
    """Cut g along `axis` into consecutive pieces of the given sizes."""
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(g[index])
        start += size
    return tuple(pieces)


CONCATENATE = register(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    lambda g, out, *xs, axis: _split_along(g, [x.shape[axis] for x in xs], axis % out.ndim),
    arity=None, tensor_only=True, reads=(), reads_out=False)
STACK = register(
    "stack", lambda *xs, axis: np.stack(xs, axis=axis),
    lambda g, out, *xs, axis: tuple(
        g[(slice(None),) * (axis % out.ndim) + (i,)] for i in range(len(xs))),
    arity=None, tensor_only=True, reads=(), reads_out=False)

# ---- stable log-sum-exp family --------------------------------------------------------------------


def _logsumexp(x, axis, keepdims):
    """log(sum(exp(x))) over `axis`, shifted by the max so that exp never overflows."""
    # (the max of an empty slice is -inf: the log-sum-exp of nothing is log 0 = -inf)
    shift = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
    finite = np.isfinite(shift)
    if finite.all():  # then the sum is >= 1 (the max contributes exp(0)): log is safe
        out = np.log(np.add.reduce(np.exp(x - shift), axis=axis, keepdims=True))
    else:  # a slice of -inf (or an inf): shift by 0 there instead of producing nan
        shift = np.where(finite, shift, 0)
        with np.errstate(divide="ignore"):
            out = np.log(np.add.reduce(np.exp(x - shift), axis=axis, keepdims=True))
    out += shift
    return out if keepdims else np.squeeze(out, axis=axis)


LOGSUMEXP = register("logsumexp", _logsumexp, tensor_only=True, input_vjps=(
    # d lse / dx = softmax(x) = exp(x - lse)
    lambda g, out, x, axis, keepdims:
        _expand(g, x.shape, axis, keepdims) * exp(x - _expand(out, x.shape, axis, keepdims)),))
LOG_SOFTMAX = register("log_softmax", lambda x, axis: x - _logsumexp(x, axis, True),
                       tensor_only=True, reads=(),
                       code=("{g} - exp({out}) * {g}.sum(axis={axis}, keepdims=True)",),
                       input_vjps=(
                           lambda g, out, x, axis: g - exp(out) * g.sum(axis=axis, keepdims=True),))
SOFTMAX = register("softmax", lambda x, axis: np.exp(x - _logsumexp(x, axis, True)),
                   tensor_only=True, reads=(),
                   code=("{out} * ({g} - ({g} * {out}).sum(axis={axis}, keepdims=True))",),
                   input_vjps=(
                       lambda g, out, x, axis:
                           out * (g - (g * out).sum(axis=axis, keepdims=True)),))


def _softmax_cross_entropy(z, labels):
    """-log softmax(z)[n, labels[n]] for each row n: log-sum-exp minus the label's logit."""
    return _logsumexp(z, -1, False) - z[np.arange(len(labels)), labels]


def _softmax_cross_entropy_vjp(g, out, z, labels):
    # the gradient of -log softmax(z)[y] with respect to the logits is softmax(z) - onehot(y)
    rows = np.arange(len(labels))
    if isinstance(z, np.ndarray):  # softmax from the output: log-sum-exp = out + z[y]
        local = np.exp(z - (out + z[rows, labels])[:, None])
        local[rows, labels] -= 1.0
        return g[:, None] * local
    onehot = np.zeros(z.shape, dtype=z.dtype)
    onehot[rows, labels] = 1.0
    return g.reshape((-1, 1)) * (SOFTMAX(z, axis=-1) - onehot)


SOFTMAX_CROSS_ENTROPY = register(
    "softmax_cross_entropy", _softmax_cross_entropy, tensor_only=True,
    doc="Per-row cross-entropy of logits (N, C) against integer labels, as one node.",
    input_vjps=(_softmax_cross_entropy_vjp,))

# ---- more elementwise functions: Scalar and Tensor -------------------------------------------
# (the surface a numpy or PyTorch user types: abs, sqrt, log1p, softplus, minimum, clip, where)

ABS = register("abs", kernels.absolute, reads_out=False, code=("{g} * sign({x})",),
               doc="|x|; its gradient at 0 is 0, as in PyTorch.", input_vjps=(
                   # abs routes g by x's sign: passed on where x > 0, negated where x < 0
                   lambda g, out, x: g * kernels.sign(x),))
SQRT = register("sqrt", kernels.sqrt, domain="positive", reads=(),
                code=("divide({g}, 2.0 * {out})",), doc="Square root (nan below 0).",
                input_vjps=(lambda g, out, x: divide(g, 2.0 * out),))  # d sqrt x = 1 / (2 sqrt x)
LOG1P = register("log1p", kernels.log1p, domain="positive", reads_out=False,
                 code=("divide({g}, 1.0 + {x})",),
                 doc="log(1 + x), accurate for small x (defined above -1; tested above 0).",
                 input_vjps=(lambda g, out, x: divide(g, 1.0 + x),))
SOFTPLUS = register("softplus", kernels.softplus, reads_out=False,
                    code=("{g} * sigmoid({x})",),
                    doc="log(1 + e^x), a smooth relu, computed stably.",
                    input_vjps=(lambda g, out, x: g * kernels.sigmoid(x),))  # d softplus = sigmoid
MINIMUM = register("minimum", kernels.minimum, gate="min routes", reads_out=False,
                   code=("{g} * winner_share({y}, {x})", "{g} * winner_share({x}, {y})"),
                   doc="Elementwise min(x, y): the max gate mirrored.", input_vjps=(
                       # the min gate routes g to the smaller input; a tie splits it evenly
                       lambda g, out, x, y: g * winner_share(y, x),
                       lambda g, out, x, y: g * winner_share(x, y)))
CLIP = register("clip", kernels.clip, reads_out=False, code=("{g} * within({x}, {lo}, {hi})",),
                doc="x limited to [lo, hi] (constant bounds; None: unbounded on that side).",
                input_vjps=(
                    # clip routes g: passed where lo <= x <= hi, 0 where a bound holds x (the
                    # max and min gates against constants, as relu is; PyTorch's convention)
                    lambda g, out, x, lo, hi: g * kernels.within(x, lo, hi),))
WHERE = register(
    "where", lambda a, b, cond: kernels.select(cond, a, b), arity=2, reads=(), reads_out=False,
    code=("select({cond}, {g}, 0.0)", "select({cond}, 0.0, {g})"),
    doc="a where the constant mask cond holds, else b (broadcast together).", input_vjps=(
        # where routes g by its mask: a gets g where cond holds, b gets it elsewhere
        lambda g, out, a, b, cond: WHERE(g, 0.0, cond=cond),
        lambda g, out, a, b, cond: WHERE(0.0, g, cond=cond)))

# ---- more reductions and casts: Tensor only ----------------------------------------------------

MIN = register("min", lambda x, axis, keepdims: np.minimum.reduce(x, axis=axis, keepdims=keepdims),
               gate="min routes", tensor_only=True,
               # max's router serves min unchanged: g goes to the elements equal to the result,
               # tied minima share it evenly
               input_vjps=(_max_vjp,))


def _var(x, axis, keepdims, ddof):
    """The variance over `axis` with `ddof` delta degrees of freedom (numpy's definition)."""
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _var_vjp(g, out, x, axis, keepdims, ddof):
    # d var / dx_i = 2 (x_i - mean) / (n - ddof), n the number of elements per result
    count = x.size // max(out.size, 1)
    centred = x - x.mean(axis=axis, keepdims=True)
    return _expand(g, x.shape, axis, keepdims) * (centred * divide(2.0, float(count - ddof)))


VAR = register("var", _var, tensor_only=True, reads_out=False,
               doc="Variance over `axis` with `ddof` (0: numpy's default; 1: unbiased).",
               input_vjps=(_var_vjp,))
ASTYPE = register("astype", lambda x, dtype: x.astype(dtype), tensor_only=True, reads=(),
                  reads_out=False, code=("{g}.astype({x}.dtype)",),
                  doc="x cast to a floating-point `dtype`; the gradient is cast back.",
                  input_vjps=(lambda g, out, x, dtype: g.astype(x.dtype),))
