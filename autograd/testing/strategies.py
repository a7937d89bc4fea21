"""Hypothesis strategies for testing gradients: numbers, arrays, shapes and random expressions.

Hypothesis is an optional dependency (the `test` extra); autograd.testing imports it only here.
"""

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("autograd.testing's strategies need hypothesis, which the `test` extra "
                      "installs: pip install 'gategrad[test]'") from error

from ..ops import OPS
from .expression import Expression, domain_inputs

DOMAINS = {None: (-3.0, 3.0), "positive": (0.2, 3.0), "nonzero": (0.5, 3.0)}
"""Where values are drawn for each op domain: away from the edges, where finite differences
would step outside the domain or the derivatives blow up."""


def scalars(min_value=-3.0, max_value=3.0, domain=None, width=64):
    """Finite floats in [min_value, max_value]; with `domain` ("positive" or "nonzero", as in
    `Op.domain`) the safe range of that domain instead: [0.2, 3] or ±[0.5, 3]."""
    if domain is not None:
        if domain not in DOMAINS:
            raise ValueError(f"scalars: unknown domain {domain!r}; use one of "
                             f"{sorted(d for d in DOMAINS if d)} or None")
        min_value, max_value = DOMAINS[domain]
    values = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=width)
    if domain == "nonzero":
        return st.one_of(values, values.map(lambda v: -v))
    return values


def tensors(shape=None, dtype=np.float64, elements=None, domain=None):
    """numpy arrays of `dtype` whose `shape` is a tuple, a strategy of shapes, or None (up to
    3 axes of 1-4 elements), with finite `elements` (default: `scalars(domain=domain)`)."""
    if shape is None:
        shape = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)
    elif not isinstance(shape, st.SearchStrategy):
        shape = st.just(tuple(shape))
    if elements is None:
        elements = scalars(domain=domain, width=np.dtype(dtype).itemsize * 8)
    return hnp.arrays(dtype, shape, elements=elements)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4, signature=None):
    """Tuples of `num_shapes` shapes that broadcast together; with a gufunc `signature` (such
    as np.matmul.signature) their core dimensions match it. Hypothesis' own strategy."""
    if signature is not None:
        strategy = hnp.mutually_broadcastable_shapes(signature=signature, min_dims=min_dims,
                                                     max_dims=max_dims, max_side=max_side)
    else:
        strategy = hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                                     max_dims=max_dims, max_side=max_side)
    return strategy.map(lambda result: result.input_shapes)


EXPRESSION_PARAMS = {
    "pow": st.fixed_dictionaries({"exponent": st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.5])}),
    "clip": st.sampled_from([{"lo": -1.0, "hi": 1.0}, {"lo": -0.5, "hi": None},
                             {"lo": None, "hi": 0.5}]),
    "where": st.fixed_dictionaries({"cond": st.booleans()}),
}
"""The constant parameters an op of an expression is drawn with (ops without: none)."""


def _expression_ops(ops):
    """The names of the ops an expression may use: the given ones, or every registered op that
    takes one or two inputs, Scalar or Tensor (user primitives included)."""
    if ops is None:
        return [name for name, op in OPS.items() if not op.tensor_only and op.arity in (1, 2)]
    names = list(ops)
    for name in names:
        if name not in OPS:
            raise ValueError(f"expressions: unknown op {name!r}; registered ops: {sorted(OPS)}")
        if OPS[name].arity not in (1, 2):
            raise ValueError(f"expressions: op {name!r} takes {OPS[name].arity} inputs; "
                             f"expressions use ops of one or two inputs")
    if not names:
        raise ValueError("expressions: give at least one op")
    return names


def expressions(ops=None, max_depth=3, n_vars=2, domain_safe=True):
    """Random expressions over the variables x0 .. x{n_vars-1}, built from `ops` (names in
    `autograd.OPS`; default every registered op of one or two inputs that works on Scalars,
    including the user's primitives registered before this call), each drawn as an
    `Expression`: `build(*values)` evaluates it with the engine, `twin(*arrays)` with plain
    numpy (`build, twin = expression` works too).

    With `domain_safe`, an input of an op with a domain (log, pow, a divisor, a user op's
    `domain`) is wrapped as t*t + 0.5, so every value is defined. Constants appear as leaves.
    """
    names = _expression_ops(ops)
    if n_vars < 1:
        raise ValueError(f"expressions: n_vars must be at least 1, got {n_vars}")

    def extend(children):
        @st.composite
        def node(draw):
            name = draw(st.sampled_from(names))
            op = OPS[name]
            args = [draw(children) for _ in range(op.arity)]
            if domain_safe and op.domain is not None:
                for i in domain_inputs(op):
                    args[i] = Expression.safe(args[i])
            params = draw(EXPRESSION_PARAMS[name]) if name in EXPRESSION_PARAMS else {}
            return (name, tuple(args), params)
        return node()

    variables = st.integers(0, n_vars - 1).map(lambda i: ("var", i))
    constants = st.sampled_from([0.5, -1.5, 2.0]).map(lambda c: ("const", c))
    trees = leaves = st.one_of(variables, variables, variables, constants)  # mostly variables
    for _ in range(max_depth):  # at most max_depth ops from the root to a leaf
        trees = st.one_of(leaves, extend(trees), extend(trees))
    return trees.map(lambda tree: Expression(tree, n_vars))
