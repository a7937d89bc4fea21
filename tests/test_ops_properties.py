"""Every op of the table on hypothesis-drawn inputs (autograd.testing's strategies): analytic
gradients equal central finite differences in float64 with tight tolerances, element by element
and along random directions; second derivatives too. Parametrised over `autograd.OPS`, so an op
is covered the moment it is registered, and an op without a case fails."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd
from autograd import OPS, Scalar, Tensor
from autograd.testing import assert_op_gradients, op_inputs
from autograd.testing.cases import BUILTIN, CASES

ALL_OPS = sorted(OPS)
SCALAR_OPS = sorted(name for name, op in OPS.items() if not op.tensor_only)
TIGHT = {"eps": 1e-6, "atol": 1e-7, "rtol": 1e-6}  # 10x tighter than gradcheck's defaults
# each op's check costs milliseconds: more examples than the profile's 60 fit the budget easily
EXAMPLES, SECOND_ORDER_EXAMPLES = 200, 40


def test_every_builtin_tensor_op_has_its_own_case():
    # (an op that works on Scalars is elementwise: it is drawn from its row, needing no case)
    assert BUILTIN <= set(OPS)
    assert len(BUILTIN) >= 25  # the table of the engine issue, read from autograd/ops.py
    assert sorted(name for name in BUILTIN - set(CASES) if OPS[name].tensor_only) == []


@pytest.mark.parametrize("name", ALL_OPS)
def test_tensor_gradients_match_finite_differences(name):
    assert_op_gradients(OPS[name], tensor=True, max_examples=EXAMPLES, **TIGHT)


@pytest.mark.parametrize("name", SCALAR_OPS)
def test_scalar_gradients_match_finite_differences(name):
    assert_op_gradients(OPS[name], tensor=False, max_examples=EXAMPLES, **TIGHT)


@pytest.mark.parametrize("name", ALL_OPS)
def test_second_derivatives_match_finite_differences(name):
    assert_op_gradients(OPS[name], tensor=True, second_order=True,
                        max_examples=SECOND_ORDER_EXAMPLES)


@pytest.mark.parametrize("name", SCALAR_OPS)
@settings(max_examples=100)
@given(data=st.data())
def test_scalar_and_tensor_versions_of_an_op_agree(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=False))
    scalars = [Scalar(x) for x in inputs]
    tensors = [Tensor(x, requires_grad=True) for x in inputs]
    s_out, t_out = op(*scalars, **params), op(*tensors, **params)
    assert isinstance(s_out.data, float) and t_out.shape == ()
    # math (Scalar) and numpy (Tensor) may round exp and tanh differently in the last bit;
    # 1 - out**2 in tanh's rule magnifies that near saturation: agreement to 1e-12
    np.testing.assert_allclose(s_out.data, t_out.data, rtol=1e-12, atol=1e-300)
    s_out.backward()
    t_out.backward()
    for s, t in zip(scalars, tensors):
        np.testing.assert_allclose(s.grad, t.grad, rtol=1e-12, atol=1e-300)


def test_an_op_without_a_case_fails_with_a_clear_error():
    op = autograd.ops.Op("test_props_uncased", lambda *xs: xs[0], vjp=lambda g, out, *xs: (g,),
                         arity=None)
    with pytest.raises(LookupError, match="test_props_uncased.*register_case"):
        op_inputs(op)


def test_a_user_primitive_is_covered_at_once_by_the_fallback_case():
    def square_vjp(g, out, x, y):
        return g * 2.0 * x, -g / (y * y)

    @autograd.primitive(square_vjp, name="test_props_user", domain="nonzero")
    def user(x, y):
        return x * x + 1.0 / y

    try:
        assert_op_gradients(OPS["test_props_user"], tensor=True, **TIGHT)
        assert_op_gradients(OPS["test_props_user"], tensor=False, second_order=True)

        @settings(max_examples=30)
        @given(op_inputs(user))
        def inputs_respect_the_domain(case):  # "nonzero": every input at least 0.5 from zero
            inputs, params = case
            assert params == {} and all(np.all(np.abs(x) >= 0.5) for x in inputs)

        inputs_respect_the_domain()
    finally:
        del OPS["test_props_user"]


def test_logsumexp_of_a_zero_dimensional_tensor_backpropagates():
    # the reduction of one element: logsumexp(x) = x, so the gradient is 1 (found by the
    # property above: the rule's x - out is a numpy float64 there, not an array)
    x = Tensor(0.5, requires_grad=True)
    out = x.logsumexp()
    assert out.item() == 0.5
    out.backward()
    assert x.grad.shape == () and x.grad == 1.0


def test_a_zero_dimensional_leaf_keeps_an_array_gradient_after_fan_out():
    # Tensor gradients are numpy arrays (README); adding two 0-d arrays gives a numpy float64
    x = Tensor(0.5, requires_grad=True)
    (x * x).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and x.grad == 1.0
