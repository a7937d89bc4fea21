"""autograd.testing catches wrong rules (mutation checks), reports them readably, and its
random expressions agree with their numpy twins."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import autograd
from autograd import OPS, Scalar, Tensor, grad
from autograd.testing import (GradcheckError, assert_gradients_match, expressions, gradcheck,
                              gradgradcheck, op_inputs, tensors)


def _run_property(op, examples=40):
    @settings(max_examples=examples, suppress_health_check=list(HealthCheck), database=None)
    @given(op_inputs(op, tensor=True))
    def check(case):
        inputs, params = case
        gradcheck(lambda *xs: op(*xs, **params), *[np.asarray(x, dtype=float) for x in inputs])
    check()


def _mutant(original, kind):
    def wrong(g, out, *inputs, **params):
        grads = list(original(g, out, *inputs, **params))
        first = next(i for i, gi in enumerate(grads) if gi is not None)
        grads[first] = -grads[first] if kind == "sign flip" else grads[first] * 1.25
        return tuple(grads)
    return wrong


@pytest.mark.parametrize("kind", ["sign flip", "missing factor"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_a_wrong_rule_is_caught_for_every_op(name, kind):
    op = OPS[name]
    original = op.vjp
    op.vjp = _mutant(original, kind)
    try:
        with pytest.raises(GradcheckError):
            _run_property(op)
    finally:
        op.vjp = original
    assert op.vjp is not original or op.input_vjps is None  # restored as it was
    _run_property(op, examples=5)  # and correct again


def test_a_transposed_matmul_gradient_is_caught():
    op = OPS["matmul"]
    original = op.vjp
    op.vjp = lambda g, out, x, y: (g @ y, x.swapaxes(-1, -2) @ g)  # y not transposed
    try:
        with pytest.raises(GradcheckError):
            gradcheck(lambda a, b: a @ b, np.arange(4.0).reshape(2, 2),
                      np.array([[1.0, 2.0], [3.0, 5.0]]))
    finally:
        op.vjp = original


def test_max_without_routing_is_caught():
    for name, wrong in [("maximum", lambda g, out, x, y: (g, g)),
                        ("max", lambda g, out, x, axis, keepdims: (
                            np.broadcast_to(g if keepdims or axis is None else
                                            np.expand_dims(g, axis), x.shape),))]:
        op = OPS[name]
        original = op.vjp
        op.vjp = wrong
        try:
            with pytest.raises(GradcheckError):
                _run_property(op)
        finally:
            op.vjp = original


def test_the_error_names_the_input_and_the_element():
    op = OPS["mul"]
    original = op.vjp
    op.vjp = lambda g, out, x, y: (g * y, g * x * 2.0)
    try:
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda a, b: (a * b).sum(), np.array([1.0, 2.0]),
                      Tensor(np.array([3.0, -4.0]), label="w"), mode="elementwise")
    finally:
        op.vjp = original
    message = str(caught.value)
    assert "input 1 (w)" in message
    assert "element (1,): analytic 4, numeric 2" in message
    assert "tolerance" in message


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x.exp(), Tensor([1.0], dtype=np.float32))


def test_gradcheck_handles_several_inputs_and_non_scalar_outputs():
    assert gradcheck(lambda x, w, b: (x @ w + b).softmax(), np.random.default_rng(0).normal(
        size=(3, 4)), np.random.default_rng(1).normal(size=(4, 2)), np.zeros(2))
    assert gradcheck(lambda x, y: x.maximum(y) * x, Scalar(1.5), Scalar(-0.5))


def test_gradcheck_does_not_touch_the_callers_values():
    w = Tensor([1.0, 2.0], requires_grad=True)
    gradcheck(lambda v: (v * v).sum(), w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert w.grad is None


def test_gradgradcheck_catches_a_rule_that_is_right_only_to_first_order():
    op = OPS["tanh"]
    original = op.vjp
    # numerically right on raw data, but builds the graph of a wrong expression on graph values
    op.vjp = lambda g, out, x: (g * (1.0 - out * out) if isinstance(g, (float, np.ndarray))
                                else g * (1.0 - out.detach() * out.detach()),)
    try:
        assert gradcheck(lambda x: x.tanh(), np.array([0.3, -0.7]))
        with pytest.raises(GradcheckError):
            gradgradcheck(lambda x: x.tanh(), np.array([0.3, -0.7]))
    finally:
        op.vjp = original


@settings(max_examples=3000, deadline=None)
@given(expressions(max_depth=3, n_vars=2), st.floats(-2, 2), st.floats(-2, 2))
def test_expressions_equal_their_numpy_twins(expression, a, b):
    with np.errstate(all="ignore"):
        twin = expression.twin(a, b)
        value = expression.build(Scalar(a), Scalar(b))
    value = value.data if hasattr(value, "data") else value
    if np.isfinite(twin):
        np.testing.assert_allclose(value, twin, rtol=1e-12, atol=1e-12)


@settings(max_examples=2000, deadline=None)
@given(expressions(max_depth=3, n_vars=2), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_expression_gradients_pass_gradcheck_and_scalar_tensor_agree(expression, a, b):
    from hypothesis import assume
    with np.errstate(all="ignore"):
        assume(np.isfinite(expression.twin(a, b)))
        assume(abs(a - b) > 1e-3 and abs(a) > 1e-3 and abs(b) > 1e-3)  # no kinks or ties
        gradcheck(lambda x, y: expression.build(x, y) + x * 0.0, Scalar(a), Scalar(b),
                  atol=1e-5, rtol=1e-4)
        scalar_grads = grad(lambda x, y: expression.build(x, y) + x * 0.0,
                            argnums=(0, 1))(a, b)
        tensor_grads = grad(lambda x, y: (expression.build(x, y) + x * 0.0).sum(),
                            argnums=(0, 1))(np.array([a]), np.array([b]))
    np.testing.assert_allclose(scalar_grads, np.concatenate(tensor_grads), rtol=1e-10,
                               atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(expressions(ops=["mul", "add", "tanh", "exp", "sigmoid", "sub"], max_depth=3),
       st.floats(-1, 1), st.floats(-1, 1))
def test_grad_of_grad_matches_finite_differences_of_grad(expression, a, b):
    f = lambda x: expression.build(x, Scalar(b, requires_grad=False)) + x * 0.0  # noqa: E731
    second = grad(grad(f))(a)
    h = 1e-5
    numeric = (grad(f)(a + h) - grad(f)(a - h)) / (2 * h)
    np.testing.assert_allclose(second, numeric, rtol=1e-4, atol=1e-6)


def test_the_readme_guide_catches_a_wrong_custom_rule():
    def softplus_vjp(g, out, x):
        return (g * autograd.sigmoid(x) if hasattr(x, "sigmoid") else
                g / (1.0 + np.exp(-x)),)

    def wrong_vjp(g, out, x):
        return (g / (1.0 + np.exp(x)),)  # sign slip in the exponent

    @autograd.primitive(softplus_vjp, name="test_guide_softplus")
    def softplus(x):
        return np.log1p(np.exp(x))

    @autograd.primitive(wrong_vjp, name="test_guide_softplus_wrong")
    def softplus_wrong(x):
        return np.log1p(np.exp(x))

    try:
        assert_gradients_match(softplus, tensors(shape=(3,)))
        with pytest.raises(GradcheckError):
            assert_gradients_match(softplus_wrong, tensors(shape=(3,)))
    finally:
        del OPS["test_guide_softplus"], OPS["test_guide_softplus_wrong"]
