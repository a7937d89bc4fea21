"""Hypothesis strategies for testing gradients: values, shapes, op inputs and whole expressions.

Hypothesis is an optional dependency (the `test` extra); it is imported only here.
"""

import math

import numpy as np

try:
    from hypothesis import assume, strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError("autograd.testing's strategies need hypothesis: pip install "
                      "'gategrad[test]'") from error

from ..ops import OPS

_SAFE = {None: (-3.0, 3.0), "positive": (0.2, 3.0), "nonzero": (0.5, 3.0)}


def scalars(min_value=-3.0, max_value=3.0):
    """Finite floats in [min_value, max_value]."""
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)


def tensors(shape=None, dtype=np.float64, elements=None):
    """numpy arrays of `shape` (drawn, up to 3 axes of size 1-4, when None) with finite
    `elements` (default floats in [-3, 3])."""
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4) if shape is None else \
        st.just(tuple(shape))
    return hnp.arrays(dtype, shapes, elements=elements or scalars())


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4):
    """Tuples of `num_shapes` shapes that broadcast together (hypothesis' own strategy)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side).map(
        lambda result: result.input_shapes)


def _domain_elements(domain, negative_too=True):
    low, high = _SAFE.get(domain, _SAFE[None])
    positive = st.floats(low, high)
    if domain == "nonzero" and negative_too:
        return st.one_of(positive, positive.map(lambda v: -v))
    return positive


@st.composite
def _elementwise_case(draw, op, tensor):
    """Inputs for an elementwise op of its arity: broadcastable shapes for tensors; values in
    the op's domain; no ties for maximum and no kink for relu."""
    arity = op.arity or 2
    domains = [None] * arity
    if op.domain == "positive":
        domains = ["positive"] + [None] * (arity - 1)
    elif op.domain == "nonzero":
        domains = [None] * (arity - 1) + ["nonzero"]
    if tensor:
        shapes = draw(broadcastable_shapes(arity))
        inputs = [draw(hnp.arrays(np.float64, s, elements=_domain_elements(d)))
                  for s, d in zip(shapes, domains)]
    else:
        inputs = [draw(_domain_elements(d)) for d in domains]
    if op.name == "maximum":
        assume(np.all(np.abs(np.subtract(*inputs)) > 1e-3))
    if op.name == "relu":
        assume(np.all(np.abs(inputs[0]) > 1e-3))
    params = {"exponent": draw(st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.5]))} \
        if op.name == "pow" else {}
    return inputs, params


def _matrix(shape, distinct=False):
    elements = scalars()
    return hnp.arrays(np.float64, shape, elements=elements, unique=distinct)


@st.composite
def _tensor_case(draw, op):
    """Inputs and parameters for the shape operations of the table."""
    name = op.name
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if name in ("sum", "mean", "max", "logsumexp"):
        x = draw(_matrix((rows, cols), distinct=name == "max"))
        if name == "max" and x.size > 1:  # no near-ties: finite differences would cross them
            assume(np.min(np.diff(np.sort(x.ravel()))) > 1e-3)
        axis = draw(st.sampled_from([None, 0, 1, -1, (0, 1)]))
        return [x], {"axis": axis, "keepdims": draw(st.booleans())}
    if name == "softmax_cross_entropy":
        labels = draw(hnp.arrays(np.intp, rows, elements=st.integers(0, cols - 1)))
        return [draw(_matrix((rows, cols)))], {"labels": labels}
    if name in ("log_softmax", "softmax"):
        return [draw(_matrix((rows, cols)))], {"axis": draw(st.sampled_from([0, 1, -1]))}
    if name == "matmul":
        k = draw(st.integers(1, 4))
        left = draw(st.sampled_from([(rows, k), (k,), (2, rows, k)]))
        right = draw(st.sampled_from([(k, cols), (k,)] + ([(2, k, cols)] if len(left) != 1
                                                          else [])))
        return [draw(_matrix(left)), draw(_matrix(right))], {}
    if name == "broadcast_to":
        return [draw(_matrix((1, cols)))], {"shape": (2, rows, cols)}
    if name == "reshape":
        return [draw(_matrix((rows, cols)))], {"shape": draw(st.sampled_from([(cols, rows),
                                                                            (-1,), (1, -1)]))}
    if name == "transpose":
        axes = tuple(draw(st.permutations([0, 1, 2])))
        return [draw(_matrix((rows, cols, 2)))], {"axes": axes}
    if name in ("getitem", "scatter_add"):
        index = draw(st.sampled_from([
            0, slice(0, None, 2), (slice(None), 0), np.array([0, 0, rows - 1]),
            (np.array([0, rows - 1, 0]), np.array([cols - 1, 0, cols - 1]))]))
        x = draw(_matrix((rows, cols)))
        if name == "getitem":
            return [x], {"index": index}
        return [draw(_matrix(np.shape(x[index])))], {"index": index, "shape": (rows, cols)}
    if name in ("concatenate", "stack"):
        count = draw(st.integers(1, 3))
        if name == "concatenate":
            return [draw(_matrix((draw(st.integers(1, 3)), cols))) for _ in range(count)], \
                {"axis": draw(st.sampled_from([0, -2]))}
        return [draw(_matrix((rows, cols))) for _ in range(count)], \
            {"axis": draw(st.sampled_from([0, 1, 2, -1]))}
    return None


def op_inputs(op, tensor=True):
    """A strategy of (raw inputs, params) on which `op` is defined and differentiable: for the
    table's shape operations, matching shapes and parameters; for elementwise ops (built-in or
    registered by the user), inputs in the op's `domain`, broadcastable shapes for tensors."""
    if op.tensor_only and not tensor:
        raise ValueError(f"op_inputs: {op.name} works on tensors only")
    special = _tensor_case(op) if op.tensor_only and op.name in _SHAPE_OPS else None
    return special if special is not None else _elementwise_case(op, tensor)


_SHAPE_OPS = {"sum", "mean", "max", "logsumexp", "log_softmax", "softmax",
              "softmax_cross_entropy", "matmul",
              "broadcast_to", "reshape", "transpose", "getitem", "scatter_add", "concatenate",
              "stack"}

# ---- whole expressions ------------------------------------------------------------------------

TWINS = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "neg": np.negative,
    "maximum": np.maximum, "exp": np.exp, "log": np.log, "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "relu": lambda x: np.maximum(x, 0.0),
}
"""Independent numpy twins of the built-in elementwise ops (a user op's twin is its forward)."""


class Expression:
    """A random expression over variables x0, x1, ...: `build(*values)` evaluates it with the
    engine (Scalars or Tensors), `twin(*arrays)` with plain numpy; `text` shows it."""

    def __init__(self, tree, n_vars):
        self.tree, self.n_vars = tree, n_vars
        self.text = _show(tree)

    def build(self, *values):
        """The engine's value of the expression."""
        return _evaluate(self.tree, values, engine=True)

    def twin(self, *arrays):
        """The plain numpy value of the expression."""
        return _evaluate(self.tree, [np.asarray(a, dtype=float) for a in arrays], engine=False)

    def __repr__(self):
        return f"Expression({self.text})"


def _safe(tree):
    """Wrap a subtree so its value is at least 0.5 (for log, pow, a divisor): t*t + 0.5."""
    return ("add", (("mul", (tree, tree), {}), ("const", 0.5)), {})


def _evaluate(tree, values, engine):
    # trees are shallow (max_depth), so plain recursion is fine here
    kind = tree[0]
    if kind == "var":
        return values[tree[1]]
    if kind == "const":
        return tree[1]
    name, children, params = tree
    args = [_evaluate(child, values, engine) for child in children]
    op = OPS[name]
    if engine:
        if not any(hasattr(a, "requires_grad") for a in args):
            return op.forward(*args, **params)
        return op(*args, **params)
    twin = TWINS.get(name)
    if name == "pow":
        return np.power(args[0], params["exponent"])
    return twin(*args) if twin is not None else op.forward(*args, **params)


def _show(tree):
    kind = tree[0]
    if kind == "var":
        return f"x{tree[1]}"
    if kind == "const":
        return repr(tree[1])
    name, children, params = tree
    inner = ", ".join(_show(c) for c in children)
    extra = "".join(f", {k}={v!r}" for k, v in params.items())
    return f"{name}({inner}{extra})"


def expressions(ops=None, max_depth=3, n_vars=2, domain_safe=True):
    """Random expressions built from elementwise ops of the table (default: every op that is
    not tensor-only, user primitives included), each with a numpy twin. With `domain_safe`,
    inputs of log, pow and divisors are wrapped as t*t + 0.5, so the value is always defined."""
    names = [name for name, op in OPS.items() if not op.tensor_only and op.arity in (1, 2)] \
        if ops is None else list(ops)
    for name in names:
        if name not in OPS:
            raise ValueError(f"expressions: unknown op {name!r}")

    def extend(children):
        @st.composite
        def node(draw):
            name = draw(st.sampled_from(names))
            op = OPS[name]
            args = [draw(children) for _ in range(op.arity)]
            if domain_safe and op.domain == "positive":
                args[0] = _safe(args[0])
            if domain_safe and op.domain == "nonzero":
                args[-1] = _safe(args[-1])
            params = {"exponent": draw(st.sampled_from([2.0, 3.0, 0.5, -1.0]))} \
                if name == "pow" else {}
            return (name, tuple(args), params)
        return node()

    leaves = st.integers(0, n_vars - 1).map(lambda i: ("var", i))
    trees = st.recursive(leaves, extend, max_leaves=2 ** max_depth)
    return trees.map(lambda tree: Expression(tree, n_vars))


def finite(value):
    """True when a float or array is entirely finite (for `assume` in properties)."""
    return bool(np.all(np.isfinite(value))) if not isinstance(value, float) else \
        math.isfinite(value)
