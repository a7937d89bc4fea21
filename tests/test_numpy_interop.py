"""numpy's functions on graph values: the ufuncs and functions the engine has record the same
nodes as its own spelling; anything else is a TypeError naming the numpy function and what to
write instead, never an object array or a float without a gradient."""

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor, ops
from autograd.interop import BINARY, FUNCTIONS, METHODS

X = np.array([[0.5, -1.5, 2.0], [1.0, 3.0, -0.25]])
Y = np.array([1.0, 2.0, -0.5])


def same_node(a, b):
    """Assert that two results were recorded alike: the same op, params and data, and parents
    that are the same leaves or constants, or interior nodes recorded alike."""
    assert type(a) is type(b) and a.op is b.op, (a, b)
    assert (a.params or {}).keys() == (b.params or {}).keys()
    for key in a.params or {}:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    np.testing.assert_array_equal(a.data, b.data)
    assert len(a.parents) == len(b.parents)
    for p, q in zip(a.parents, b.parents):
        if isinstance(p, autograd.Value) and p.op is not None:
            same_node(p, q)
        elif isinstance(p, autograd.Value):
            assert p is q
        else:
            np.testing.assert_array_equal(p, q)


SPELLED = [  # (numpy call, the engine's own spelling) on x (2, 3) and y (3,)
    (lambda x, y: np.exp(x), lambda x, y: x.exp()),
    (lambda x, y: np.log(np.abs(x)), lambda x, y: abs(x).log()),
    (lambda x, y: np.tanh(x), lambda x, y: x.tanh()),
    (lambda x, y: np.sqrt(np.square(x)), lambda x, y: x.square().sqrt()),
    (lambda x, y: np.log1p(np.abs(x)), lambda x, y: x.abs().log1p()),
    (lambda x, y: np.fabs(x), lambda x, y: x.abs()),
    (lambda x, y: np.float_power(np.abs(x), y), lambda x, y: autograd.ops.POWER(abs(x), y)),
    (lambda x, y: np.negative(x), lambda x, y: -x),
    (lambda x, y: np.add(x, y), lambda x, y: x + y),
    (lambda x, y: np.subtract(Y, x), lambda x, y: Y - x),
    (lambda x, y: np.multiply(X, y), lambda x, y: X * y),
    (lambda x, y: np.divide(x, 2.0), lambda x, y: x / 2.0),
    (lambda x, y: np.power(np.abs(x), 3), lambda x, y: abs(x) ** 3),
    (lambda x, y: np.power(np.abs(x) + 0.5, y), lambda x, y: (abs(x) + 0.5) ** y),
    (lambda x, y: np.maximum(x, 0.0), lambda x, y: x.maximum(0.0)),
    (lambda x, y: np.minimum(Y, x), lambda x, y: autograd.ops.MINIMUM(Y, x)),
    (lambda x, y: np.matmul(x, Y), lambda x, y: x @ Y),
    (lambda x, y: Y @ x.T, lambda x, y: x.T.__rmatmul__(Y)),
    (lambda x, y: X * y, lambda x, y: y.__rmul__(X)),  # an ndarray on the left
    (lambda x, y: np.sum(x, axis=0), lambda x, y: x.sum(axis=0)),
    (lambda x, y: np.mean(x, 1, keepdims=True), lambda x, y: x.mean(axis=1, keepdims=True)),
    (lambda x, y: np.max(x), lambda x, y: x.max()),
    (lambda x, y: np.amin(x, axis=1), lambda x, y: x.min(axis=1)),
    (lambda x, y: np.var(x, ddof=1), lambda x, y: x.var(ddof=1)),
    (lambda x, y: np.std(x, axis=0), lambda x, y: x.std(axis=0)),
    (lambda x, y: np.reshape(x, (3, 2)), lambda x, y: x.reshape(3, 2)),
    (lambda x, y: np.reshape(x, -1), lambda x, y: x.reshape(-1)),
    (lambda x, y: np.transpose(x), lambda x, y: x.T),
    (lambda x, y: np.transpose(x[None], (1, 0, 2)), lambda x, y: x[None].permute(1, 0, 2)),
    (lambda x, y: np.concatenate([x, X]), lambda x, y: autograd.concatenate([x, X])),
    (lambda x, y: np.concatenate([y, Y], axis=None),
     lambda x, y: autograd.concatenate([y.flatten(), Y])),
    (lambda x, y: np.stack([y, y], axis=1), lambda x, y: autograd.stack([y, y], axis=1)),
    (lambda x, y: np.where(x > 0, x, y), lambda x, y: autograd.where(x > 0, x, y)),
    (lambda x, y: np.where(X > 0, 0.0, x), lambda x, y: autograd.where(X > 0, 0.0, x)),
    (lambda x, y: np.clip(x, -1, 1), lambda x, y: x.clip(-1, 1)),
    (lambda x, y: np.clip(x, a_min=None, a_max=0.5), lambda x, y: x.clip(max=0.5)),
    (lambda x, y: np.squeeze(x[None]), lambda x, y: x[None].squeeze()),
    (lambda x, y: np.expand_dims(y, 0), lambda x, y: y.unsqueeze(0)),
    (lambda x, y: np.ravel(x), lambda x, y: x.flatten()),
    (lambda x, y: np.broadcast_to(y, (2, 3)), lambda x, y: y.broadcast_to((2, 3))),
    (lambda x, y: np.swapaxes(x, 0, 1), lambda x, y: x.transpose(0, 1)),
]


@pytest.mark.parametrize("numpy_call, engine_call", SPELLED)
def test_numpy_spellings_record_the_engine_s_nodes(numpy_call, engine_call):
    x, y = Tensor(X, requires_grad=True), Tensor(Y, requires_grad=True)
    got, want = numpy_call(x, y), engine_call(x, y)
    same_node(got, want)
    for value in (x, y):
        value.zero_grad()
    got.sum().backward()
    got_grads = [x.grad.copy(), y.grad.copy()]
    for value in (x, y):
        value.zero_grad()
    engine_call(x, y).sum().backward()
    for g, w in zip(got_grads, [x.grad, y.grad]):
        np.testing.assert_array_equal(g, w)


def test_every_ufunc_of_the_table_is_covered_above():
    covered = {np.exp, np.log, np.tanh, np.sqrt, np.square, np.log1p, np.negative, np.add,
               np.subtract, np.multiply, np.divide, np.power, np.maximum, np.minimum,
               np.matmul, np.absolute, np.fabs, np.float_power}
    differentiable = {u for u in METHODS if METHODS[u] != "__invert__"} | set(ops.UFUNCS) | {
        u for u, (method, _) in BINARY.items() if method.strip("_r") in
        ("add", "sub", "mul", "truediv", "pow", "matmul")}
    assert differentiable - {np.positive, np.conjugate} <= covered


def test_numpy_ufuncs_on_scalars_and_numpy_numbers():
    s = Scalar(0.5)
    same_node(np.exp(s), s.exp())
    assert isinstance(np.float64(2.0) * s, Scalar) and (np.float64(2.0) * s).data == 1.0
    assert np.positive(s) is s and np.conj(s) is s and np.maximum(s, 1.0).data == 1.0
    assert (np.float64(1.0) < s) is False and np.less(s, 1.0) is True
    out = np.clip(s, 0.0, 0.25) + np.where(True, s, 0.0)
    out.backward()
    assert s.grad == 1.0


def test_comparison_and_test_ufuncs_give_masks():
    x = Tensor([1.0, np.nan, np.inf])
    np.testing.assert_array_equal(np.isnan(x).data, [False, True, False])
    np.testing.assert_array_equal(np.isfinite(x).data, [True, False, False])
    np.testing.assert_array_equal(np.greater(2.0, x).data, [True, False, False])
    np.testing.assert_array_equal((np.array([1.0, 0.0, 5.0]) <= x).data, [True, False, True])
    m = np.isfinite(x)
    np.testing.assert_array_equal(np.logical_and(m, np.array([False, True, True])).data,
                                  [False, False, False])


def test_shape_facts_through_numpy():
    x = Tensor(X)
    assert np.shape(x) == (2, 3) and np.ndim(x) == 2 and np.size(x) == 6 and np.size(x, 1) == 3
    assert np.shape(Scalar(1.0)) == () and np.ndim(Scalar(1.0)) == 0


@pytest.mark.parametrize("call, message", [
    (lambda t: np.sin(t), r"np\.sin has no gradient rule in the engine.*np\.sin\(t\.numpy\(\)\)"
                          r".*autograd\.primitive"),
    (lambda t: np.dot(t, t), r"np\.dot is not supported on a graph value.*t @ u"),
    (lambda t: np.cumsum(t), r"np\.cumsum is not supported.*t\.numpy\(\)"),
    (lambda t: np.add.reduce(t), r"np\.add\.reduce does not take a Tensor.*t\.sum\(axis=\.\.\.\)"),
    (lambda t: np.add(t, 1.0, out=np.zeros(3)), r"out=.*result = array \+ t"),
    (lambda t: np.exp(t, dtype=np.float32), r"np\.exp: the keyword arguments \['dtype'\]"),
    (lambda t: np.sum(t, dtype=np.float32), r"np\.sum: dtype is not supported"),
    (lambda t: np.max(t, initial=0.0), r"np\.max: initial is not supported"),
    (lambda t: np.where(t > 0), r"np\.where\(cond\) with one argument.*np\.nonzero"),
    (lambda t: np.clip(np.zeros(3), t, 1.0), r"np\.clip: the bounds must be constants"),
    (lambda t: np.allclose(t, t), r"np\.allclose.*t\.numpy\(\)"),
    (lambda t: np.linalg.norm(t), r"np\.linalg\.norm is not supported.*sqrt"),
], ids=["sin", "dot", "cumsum", "reduce", "out", "ufunc-kwargs", "sum-dtype", "max-initial",
        "where-one-arg", "clip-bounds", "allclose", "norm"])
def test_what_the_engine_lacks_is_a_type_error_naming_the_spelling(call, message):
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=message):
        call(t)


def test_an_in_place_array_update_by_a_tensor_is_refused_and_changes_nothing():
    a = np.zeros(2)
    with pytest.raises(TypeError, match="array \\+= t"):
        a += Tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(a, [0.0, 0.0])


def test_array_functions_on_a_scalar_say_it_is_one_number():
    with pytest.raises(TypeError, match=r"np\.sum works on arrays, and a Scalar is one number"):
        np.sum(Scalar(1.0))


def test_no_numpy_call_makes_an_object_array_or_a_float_silently():
    t, s = Tensor([1.0, 2.0], requires_grad=True), Scalar(2.0)
    for call in (np.exp, np.sum, np.mean, np.tanh, np.abs):
        for value in (t, s):
            try:
                result = call(value)
            except TypeError:
                continue  # refused, with a message (tested above)
            assert isinstance(result, autograd.Value), (call, value, result)
    assert np.asarray(s).dtype == np.float64 and np.asarray(t).dtype == np.float64


def test_the_functions_table_lists_real_numpy_functions():
    assert all(callable(f) and f.__module__.startswith("numpy") for f in FUNCTIONS)
