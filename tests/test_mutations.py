"""Mutation checks: for every op of the table, a subtly wrong local-gradient rule is swapped in
and autograd.testing (the op-table property or gradcheck) must catch it. Every op gets the
generic mutants (a sign flip, a missing factor, for each input) and at least one mutant of its
own: a specific one below for the built-ins (a transposed matmul gradient, max without routing
or splitting, ...), and otherwise its own rule taken at the wrong point (at 1.25 times its
inputs), which every op whose local gradient is not constant fails. The table is read when the
tests are collected: an op registered before then (a user's primitive) is covered too."""

import numpy as np
import pytest

from autograd import OPS
from autograd.testing import GradcheckError, assert_op_gradients, gradcheck, swapped_rule

EXAMPLES = 150  # generated until the first failure, without shrinking: a caught mutant is fast


def changed(position, how):
    """A mutant changing input `position`'s gradient with `how`, keeping the others right."""
    def make(original):
        def wrong(g, out, *inputs, **params):
            grads = list(original(g, out, *inputs, **params))
            grads[position] = how(grads[position])
            return tuple(grads)
        return wrong
    return make


def at_the_wrong_point(op):
    """A mutant running the op's own rule at 1.25 times its inputs (and the output there): a
    local gradient taken at the wrong point. Scaling keeps every input in its domain."""
    def make(original):
        def wrong(g, out, *inputs, **params):
            moved = [x * 1.25 for x in inputs]
            return original(g, op.forward(*moved, **params), *moved, **params)
        return wrong
    return make


def replaced(rule):
    """A mutant replacing the whole rule (tuple form, raw numpy: first order only)."""
    return lambda original: rule


def _spread(g, out, x, axis, keepdims):
    return OPS["sum"].vjp(g, out, x, axis=axis, keepdims=keepdims)[0]  # g copied to every x


def _max_winners(x, out, axis, keepdims, split, first_only=False):
    expanded = out if keepdims or axis is None else np.expand_dims(out, axis)
    winners = (x == expanded).astype(float)
    if first_only:  # argmax routing: the first maximum takes all
        winners = (np.cumsum(winners, axis=axis) == 1) * winners if axis is not None else \
            (np.arange(x.size).reshape(x.shape) == np.argmax(x)).astype(float)
    return winners / winners.sum(axis=axis, keepdims=True) if split else winners


def _overwrite_scatter(g, out, x, index):
    result = np.zeros(x.shape)
    result[index] = g  # repeated indices overwrite instead of adding up
    return (result,)


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


SPECIFIC = {  # op name -> [(what is wrong, mutant)]
    "add": [("the second input gets nothing", replaced(lambda g, out, x, y: (g, 0 * g)))],
    "sub": [("the subtrahend gets +g", replaced(lambda g, out, x, y: (g, g)))],
    "neg": [("the sign is not flipped", replaced(lambda g, out, x: (g,)))],
    "identity": [("the gradient is dropped", replaced(lambda g, out, x: (0 * g,)))],
    "mul": [("the mul gate does not swap", replaced(lambda g, out, x, y: (g * x, g * y)))],
    "div": [("d/dy misses x", replaced(lambda g, out, x, y: (g / y, -g / (y * y))))],
    "pow": [("the exponent factor is missing",
             replaced(lambda g, out, x, exponent: (g * x ** (exponent - 1),))),
            ("the power is not lowered",
             replaced(lambda g, out, x, exponent: (g * exponent * x ** exponent,)))],
    "maximum": [("max without routing", replaced(lambda g, out, x, y: (g, g)))],
    "exp": [("the input instead of the output", replaced(lambda g, out, x: (g * x,)))],
    "log": [("1/x squared", replaced(lambda g, out, x: (g / (x * x),)))],
    "sigmoid": [("the factor 1 - out is missing", replaced(lambda g, out, x: (g * out,)))],
    "tanh": [("out is not squared", replaced(lambda g, out, x: (g * (1 - out),)))],
    "relu": [("max without routing", replaced(lambda g, out, x: (g + 0 * x,)))],
    "broadcast_to": [("averaged instead of summed",
                      replaced(lambda g, out, x, shape: (g * (x.size / g.size),)))],
    "reshape": [("Fortran order", replaced(lambda g, out, x, shape: (
        np.reshape(g, x.shape, order="F"),)))],
    "transpose": [("the permutation is not inverted", replaced(lambda g, out, x, axes: (
        np.transpose(g, axes).reshape(x.shape),)))],
    "sum": [("divided by the count (the mean's rule)", changed(0, lambda g: g / g.size))],
    "mean": [("the factor 1/n is missing (the sum's rule)",
              replaced(lambda g, out, x, axis, keepdims: (_spread(g, out, x, axis, keepdims),)))],
    "max": [("max without routing (the sum's rule)",
             replaced(lambda g, out, x, axis, keepdims: (_spread(g, out, x, axis, keepdims),)))],
    "matmul": [("dy transposed", changed(1, lambda dy: np.swapaxes(dy, -1, -2).reshape(
        dy.shape) if dy.ndim > 1 else dy[::-1]))],
    "getitem": [("repeated indices overwrite instead of adding", replaced(_overwrite_scatter))],
    "scatter_add": [("the index is ignored", replaced(lambda g, out, x, index, shape: (
        np.resize(g, x.shape),)))],  # g's elements in order, repeated when indices repeat
    "concatenate": [("the last piece gets nothing", lambda original: lambda g, out, *xs, axis: (
        *original(g, out, *xs, axis=axis)[:-1], np.zeros(xs[-1].shape)))],
    "stack": [("the pieces in reverse order", lambda original: lambda g, out, *xs, axis: tuple(
        reversed(original(g, out, *xs, axis=axis))))],
    "logsumexp": [("the softmax is not normalised", replaced(
        lambda g, out, x, axis, keepdims: (_spread(g, out, x, axis, keepdims) * np.exp(x),)))],
    "log_softmax": [("the sum over the axis is missing",
                     replaced(lambda g, out, x, axis: (g - np.exp(out) * g,)))],
    "softmax": [("only the Jacobian's diagonal",
                 replaced(lambda g, out, x, axis: (g * out * (1 - out),)))],
    "softmax_cross_entropy": [("the one-hot label is not subtracted", replaced(
        lambda g, out, z, labels: (g[:, None] * _softmax_rows(z),)))],
    # the surface a numpy or PyTorch user types
    "abs": [("the sign is not applied", replaced(lambda g, out, x: (g + 0 * x,)))],
    "sqrt": [("the factor 1/2 is missing", replaced(lambda g, out, x: (g / out,)))],
    "log1p": [("1/x instead of 1/(1 + x)", replaced(lambda g, out, x: (g / x,)))],
    "softplus": [("e^x instead of sigmoid(x)", replaced(lambda g, out, x: (g * np.exp(x),)))],
    "minimum": [("routes to the larger input", replaced(
        lambda g, out, x, y: (g * (x > y), g * (y > x))))],
    "clip": [("clip without routing", replaced(lambda g, out, x, lo, hi: (g + 0 * x,)))],
    "where": [("the mask is inverted", replaced(lambda g, out, a, b, cond: (
        np.where(cond, 0.0, g), np.where(cond, g, 0.0))))],
    "min": [("min without routing (the sum's rule)",
             replaced(lambda g, out, x, axis, keepdims: (_spread(g, out, x, axis, keepdims),)))],
    "var": [("divided by n whatever ddof", lambda original: lambda g, out, x, axis, keepdims,
             ddof: original(g, out, x, axis=axis, keepdims=keepdims, ddof=0)),
            ("the mean is not subtracted", replaced(lambda g, out, x, axis, keepdims, ddof: (
                _spread(g, out, x, axis, keepdims) * 2 * x * out.size / (x.size - ddof * out.size),
            )))],
    "std": [("divided by n whatever ddof", lambda original: lambda g, out, x, axis, keepdims,
             ddof: original(g, out, x, axis=axis, keepdims=keepdims, ddof=0)),
            ("var's rule, without the factor 1 / (2 std)", replaced(
                lambda g, out, x, axis, keepdims, ddof: OPS["var"].vjp(
                    g, out, x, axis=axis, keepdims=keepdims, ddof=ddof)))],
    "astype": [("the gradient is dropped", replaced(lambda g, out, x, dtype: (0 * g,)))],
}

GENERIC = [("sign flip", lambda g: -g), ("missing factor", lambda g: g * 0.5)]


def own_mutants(op):
    """The op's mutants of its own: its specific ones, or its rule at the wrong point."""
    return SPECIFIC.get(op.name) or [("the rule at the wrong point", at_the_wrong_point(op))]


def _cases():
    for name in sorted(OPS):
        op = OPS[name]
        for position in range(op.arity or 1):
            for what, how in GENERIC:
                yield pytest.param(name, changed(position, how),
                                   id=f"{name}-{what} of input {position}")
        for what, mutant in own_mutants(op):
            yield pytest.param(name, mutant, id=f"{name}-{what}")


@pytest.mark.parametrize("name, mutant", list(_cases()))
def test_the_op_property_catches_a_wrong_rule(name, mutant):
    op = OPS[name]
    with swapped_rule(op, mutant), pytest.raises(GradcheckError):
        assert_op_gradients(op, tensor=True, max_examples=EXAMPLES, shrink=False)


def test_a_swapped_rule_is_restored_and_passes_again():
    op = OPS["mul"]
    rules = op.input_vjps
    with pytest.raises(ZeroDivisionError), swapped_rule(op, SPECIFIC["mul"][0][1]):
        assert op.input_vjps is None and op.joint_vjp is not None
        1 / 0
    assert op.input_vjps is rules and op.joint_vjp is None
    assert_op_gradients(op, tensor=True, max_examples=10)
    assert_op_gradients(op, tensor=False, max_examples=10)


def test_a_transposed_matmul_gradient_is_caught():
    # dx = g @ y instead of g @ y.T: shapes fit only for square y, where the values are wrong
    # (for other shapes the core rejects the gradient's shape, naming matmul)
    x, y = np.arange(4.0).reshape(2, 2), np.array([[1.0, 2.0], [3.0, 5.0]])
    matmul = OPS["matmul"]
    gradcheck(lambda a, b: a @ b, x, y)
    transposed = replaced(lambda g, out, a, b: (g @ b, a.T @ g))
    with swapped_rule(matmul, transposed), pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda a, b: a @ b, x, y)
    with swapped_rule(matmul, transposed), pytest.raises(ValueError, match="matmul"):
        gradcheck(lambda a, b: a @ b, np.ones((2, 3)), np.ones((3, 4)))


TIES = np.array([[1.0, 1.0, 0.0], [2.0, -1.0, 2.0]])


def _max_over_rows(x):
    return OPS["max"](x, axis=1, keepdims=False)


@pytest.mark.parametrize("what, mutant", [
    ("ties not split", replaced(lambda g, out, x, axis, keepdims: (
        _spread(g, out, x, axis, keepdims) * _max_winners(x, out, axis, keepdims, False),))),
    ("only the first maximum", replaced(lambda g, out, x, axis, keepdims: (
        _spread(g, out, x, axis, keepdims) * _max_winners(x, out, axis, keepdims, True, True),))),
])
def test_max_without_splitting_ties_is_caught(what, mutant):
    # at a two-way tie the central difference of one element is exactly 1/2: the even split
    assert gradcheck(_max_over_rows, TIES, mode="elementwise")
    with swapped_rule(OPS["max"], mutant), pytest.raises(GradcheckError, match="element"
                                                    ):
        gradcheck(_max_over_rows, TIES, mode="elementwise")


@pytest.mark.parametrize("mutant", [
    replaced(lambda g, out, x, y: (g * (x >= y), g * (y >= x))),  # a tie sends g to both
    replaced(lambda g, out, x, y: (g * (x >= y), g * (y > x))),   # a tie sends g to x only
], ids=["both get all", "first gets all"])
def test_maximum_without_splitting_ties_is_caught(mutant):
    x, y = np.array([1.0, 2.0, -1.0]), np.array([1.0, 0.0, -1.0])
    assert gradcheck(lambda a, b: OPS["maximum"](a, b), x, y, mode="elementwise")
    with swapped_rule(OPS["maximum"], mutant), pytest.raises(GradcheckError, match="element"):
        gradcheck(lambda a, b: OPS["maximum"](a, b), x, y, mode="elementwise")
