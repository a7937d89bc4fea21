"""How to draw valid inputs and parameters for each op of the table (`op_inputs`).

An op that works on Scalars is elementwise, and needs no case of its own: its inputs are drawn
from its row, with mutually broadcastable shapes for Tensors, each input in its domain
(positive inputs for log, divisors away from zero) and away from its kinks. The rest have a
case here: parameters (pow's exponent), kinks that drawing must keep clear of rather than
filter out (relu, maximum), and the Tensor ops' shapes, axes and indices. A user's primitive
without a case is drawn as an elementwise op too, Tensor-only or not; `register_case` gives
any op a case of its own.
"""

import math

import numpy as np

from .. import ops
from ..ops import Op
from .strategies import broadcastable_shapes, hnp, scalars, st, tensors

CASES = {}
"""Op name -> function(tensor: bool) returning a strategy of (inputs, params)."""

BUILTIN = frozenset(op.name for op in vars(ops).values() if isinstance(op, Op))
"""The ops defined in autograd/ops.py: each Tensor-only one must have a case here."""

KINK_GAP = 0.01
"""How far drawn inputs stay from an op's kinks (much more than a finite-difference step)."""


def register_case(name, case):
    """Give the op `name` its own case: `case(tensor)` returns a strategy of `(inputs, params)`
    (a list of raw inputs and a dict of parameters) on which the op is differentiable."""
    CASES[name] = case
    return case


def op_inputs(op, tensor=True):
    """A strategy of `(inputs, params)` on which `op` (an Op or its name) is defined and
    differentiable: raw floats for Scalars (`tensor=False`) or float64 arrays for Tensors."""
    op = ops.OPS[op] if isinstance(op, str) else op
    if op.tensor_only and not tensor:
        raise ValueError(f"op_inputs: {op.name} works on Tensors only; use tensor=True")
    if op.name in CASES:
        return CASES[op.name](tensor)
    if op.arity is None or op.tensor_only and op.name in BUILTIN:
        raise LookupError(f"op_inputs: the op {op.name!r} has no case; give it one with "
                          f"autograd.testing.register_case({op.name!r}, case)")
    cases = elementwise(op.arity, tensor, op.input_domains)
    if op.kink is None:
        return cases
    return cases.filter(lambda case: np.min(op.kink(*case[0]), initial=np.inf) > KINK_GAP)


@st.composite
def elementwise(draw, arity, tensor, elements, params=None):
    """Inputs for an elementwise op of `arity` inputs: mutually broadcastable shapes for
    tensors; input i's values from `elements[i]` (a domain name or a strategy of floats)."""
    elements = [e if isinstance(e, st.SearchStrategy) else scalars(domain=e) for e in elements]
    if tensor:
        shapes = draw(broadcastable_shapes(arity))
        inputs = [draw(tensors(s, elements=e)) for s, e in zip(shapes, elements)]
    else:
        inputs = [draw(e) for e in elements]
    return inputs, draw(params) if params is not None else {}


def _away_from_zero(v, gap=KINK_GAP):
    return v if abs(v) >= gap else math.copysign(gap, v)


def _on_grid(offset):
    # maximum's inputs on two interleaved grids 1/8 apart: never within 1/16 of a tie
    return scalars().map(lambda v: round(v * 8) / 8 + offset)


register_case("pow", lambda tensor: elementwise(1, tensor, ["positive"], st.fixed_dictionaries(
    {"exponent": st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.5, -2.5])})))
register_case("relu", lambda tensor: elementwise(1, tensor, [scalars().map(_away_from_zero)]))
register_case("maximum", lambda tensor: elementwise(2, tensor, [_on_grid(0.0), _on_grid(1 / 16)]))


def _shape(min_dims=0, max_dims=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4)


def _axis(draw, ndim):
    """None, one axis (maybe negative) or a tuple of distinct axes of an `ndim`-array."""
    if ndim == 0:
        return None
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return None
    if choice == 1:
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))


@st.composite
def _reduction(draw, distinct=False):
    shape = draw(_shape())
    if distinct:  # values at least 0.2 apart in random order: no ties within eps of each other
        size = int(np.prod(shape))
        order = draw(st.permutations(range(size)))
        jitter = draw(tensors((size,), elements=st.floats(0.0, 0.5)))
        x = ((np.array(order) * 0.7 + jitter) / max(size, 1) * 3 - 1.5).reshape(shape)
    else:
        x = draw(tensors(shape))
    return [x], {"axis": _axis(draw, len(shape)), "keepdims": draw(st.booleans())}


for _name in ("sum", "mean", "logsumexp"):
    register_case(_name, lambda tensor: _reduction())
register_case("max", lambda tensor: _reduction(distinct=True))


@st.composite
def _along_axis(draw):
    x = draw(tensors(_shape(min_dims=1)))
    return [x], {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


register_case("softmax", lambda tensor: _along_axis())
register_case("log_softmax", lambda tensor: _along_axis())


@st.composite
def _softmax_cross_entropy(draw):
    rows, classes = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    labels = draw(hnp.arrays(np.intp, rows, elements=st.integers(0, classes - 1)))
    return [draw(tensors((rows, classes)))], {"labels": labels}


register_case("softmax_cross_entropy", lambda tensor: _softmax_cross_entropy())
register_case("mean_softmax_cross_entropy", lambda tensor: _softmax_cross_entropy())


@st.composite
def _matmul(draw):
    # batch axes broadcast; a 1-D operand is a row or a column, as in numpy
    left, right = draw(broadcastable_shapes(signature=np.matmul.signature, max_dims=2))
    return [draw(tensors(left)), draw(tensors(right))], {}


register_case("matmul", lambda tensor: _matmul())


@st.composite
def _broadcast_to(draw):
    target = draw(_shape())
    kept = draw(st.integers(0, len(target)))  # leading axes are added, others may be size 1
    shape = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - kept:])
    return [draw(tensors(shape))], {"shape": target}


register_case("broadcast_to", lambda tensor: _broadcast_to())


@st.composite
def _reshape(draw):
    x = draw(tensors(_shape()))
    shape = draw(st.sampled_from([(-1,), (1, x.size), (x.size, 1), x.shape[::-1],
                                  (*x.shape, 1)]))
    return [x], {"shape": shape}


@st.composite
def _transpose(draw):
    x = draw(tensors(_shape()))
    return [x], {"axes": tuple(draw(st.permutations(range(x.ndim))))}


register_case("reshape", lambda tensor: _reshape())
register_case("transpose", lambda tensor: _transpose())


def _indices(rows, cols):
    """Indices into a (rows, cols) array: ints, slices, None, Ellipsis and integer arrays
    (with repeats, whose gradients must add up)."""
    return st.sampled_from([
        0, -1, slice(0, None, 2), slice(None, None, -1), (slice(None), cols - 1),
        (Ellipsis, 0), (None, slice(1, None)), np.array([0, 0, rows - 1]),
        (np.array([0, rows - 1, 0]), np.array([cols - 1, 0, cols - 1])),
        (slice(None), np.array([[0, cols - 1], [0, 0]]))])


@st.composite
def _indexing(draw, scatter):
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    index = draw(_indices(rows, cols))
    x = draw(tensors((rows, cols)))
    if not scatter:
        return [x], {"index": index}
    return [draw(tensors(np.shape(x[index])))], {"index": index, "shape": (rows, cols)}


register_case("getitem", lambda tensor: _indexing(scatter=False))
register_case("scatter_add", lambda tensor: _indexing(scatter=True))


@st.composite
def _joining(draw, new_axis):
    shape = draw(_shape(min_dims=1))
    count = draw(st.integers(1, 3))
    if new_axis:  # stack: equal shapes, a new axis anywhere
        return [draw(tensors(shape)) for _ in range(count)], \
            {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    pieces = []
    for _ in range(count):  # concatenate: sizes differ along the axis only
        piece = list(shape)
        piece[axis] = draw(st.integers(1, 3))
        pieces.append(draw(tensors(tuple(piece))))
    return pieces, {"axis": axis}


register_case("concatenate", lambda tensor: _joining(new_axis=False))
register_case("stack", lambda tensor: _joining(new_axis=True))


# ---- the surface a numpy or PyTorch user types: abs, sqrt, clip, where, min, var, ... ----------

register_case("abs", lambda tensor: elementwise(1, tensor, [scalars().map(_away_from_zero)]))
register_case("sqrt", lambda tensor: elementwise(1, tensor, ["positive"]))
register_case("log1p", lambda tensor: elementwise(1, tensor, [scalars(-0.8, 3.0)]))
register_case("softplus", lambda tensor: elementwise(1, tensor, [None]))
register_case("minimum", lambda tensor: elementwise(2, tensor, [_on_grid(0.0), _on_grid(1 / 16)]))

CLIP_BOUNDS = st.sampled_from([(-1.0, 1.0), (-0.5, None), (None, 0.5), (0.25, 2.0), (1.0, -1.0)])
"""Bounds on the 1/8 grid (one side open, and lo > hi, where everything is hi); the values are
drawn 1/16 off that grid, so never within a finite difference of a kink."""

register_case("clip", lambda tensor: elementwise(1, tensor, [_on_grid(1 / 16)], CLIP_BOUNDS.map(
    lambda bounds: {"lo": bounds[0], "hi": bounds[1]})))


@st.composite
def _where(draw, tensor):
    if not tensor:
        return [draw(scalars()), draw(scalars())], {"cond": draw(st.booleans())}
    cond_shape, a_shape, b_shape = draw(broadcastable_shapes(3))
    cond = draw(hnp.arrays(np.bool_, cond_shape))
    return [draw(tensors(a_shape)), draw(tensors(b_shape))], {"cond": cond}


register_case("where", _where)
register_case("min", lambda tensor: _reduction(distinct=True))


@st.composite
def _variance(draw):
    [x], params = draw(_reduction())
    kept = np.sum(np.ones(x.shape), axis=params["axis"], keepdims=True)
    count = x.size // max(kept.size, 1)  # elements per result: ddof must stay below it
    return [x], {**params, "ddof": draw(st.integers(0, min(1, count - 1)))}


register_case("var", lambda tensor: _variance())


def _clear_of_zero_spread(case):
    """std's kink is zero spread: every std well above 0, or over one element (0 whatever the
    values)."""
    [x], params = case
    std = np.std(x, axis=params["axis"], ddof=params["ddof"])
    return x.size == np.size(std) or np.min(std, initial=np.inf) > KINK_GAP


register_case("std", lambda tensor: _variance().filter(_clear_of_zero_spread))
register_case("astype", lambda tensor: elementwise(1, True, [None], st.just(
    {"dtype": np.dtype(np.float64)})))  # finite differences need float64 on both sides
