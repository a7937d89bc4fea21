"""Every op of the table, on hypothesis-drawn inputs: analytic gradients equal central finite
differences (float64), element by element and along random directions; second derivatives too.
Parametrised over the table, so a new op is covered the moment it is registered."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd
from autograd import OPS, Scalar, Tensor
from autograd.testing import gradcheck, gradgradcheck, op_inputs

TENSOR_OPS = sorted(OPS)
SCALAR_OPS = sorted(name for name, op in OPS.items() if not op.tensor_only)


def _apply(op, params):
    return lambda *xs: op(*xs, **params)


@pytest.mark.parametrize("name", TENSOR_OPS)
@settings(max_examples=60)
@given(data=st.data())
def test_tensor_gradients_match_finite_differences(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=True))
    assert gradcheck(_apply(op, params), *[np.asarray(x, dtype=float) for x in inputs])


@pytest.mark.parametrize("name", SCALAR_OPS)
@settings(max_examples=100)
@given(data=st.data())
def test_scalar_gradients_match_finite_differences(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=False))
    assert gradcheck(_apply(op, params), *[Scalar(float(x)) for x in inputs])


@pytest.mark.parametrize("name", SCALAR_OPS)
@settings(max_examples=30)
@given(data=st.data())
def test_scalar_and_tensor_ops_agree(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=False))
    scalars = [Scalar(float(x)) for x in inputs]
    tensors = [Tensor(float(x), requires_grad=True) for x in inputs]
    s_out, t_out = op(*scalars, **params), op(*tensors, **params)
    np.testing.assert_allclose(s_out.data, t_out.data, rtol=1e-13)
    s_out.backward()
    t_out.backward()
    for s, t in zip(scalars, tensors):
        np.testing.assert_allclose(s.grad, t.grad, rtol=1e-12)


SECOND_ORDER = [name for name in sorted(OPS) if name not in ("relu", "maximum", "max")]


@pytest.mark.parametrize("name", SECOND_ORDER)
@settings(max_examples=20)
@given(data=st.data())
def test_second_derivatives_match_finite_differences(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=True))
    # composing with tanh makes the second derivative of linear ops non-trivial
    assert gradgradcheck(lambda *xs: op(*[x.tanh() for x in xs], **params),
                         *[np.asarray(x, dtype=float) for x in inputs])


def test_a_new_primitive_is_covered_at_once():
    @autograd.primitive(lambda g, out, x: (g * 2.0 * x,), name="test_props_square")
    def square(x):
        return x * x

    try:
        assert OPS["test_props_square"].arity == 1

        @settings(max_examples=20)
        @given(op_inputs(square))
        def check(case):
            inputs, params = case
            assert gradcheck(_apply(square, params), *[np.asarray(x, dtype=float)
                                                       for x in inputs])
        check()
    finally:
        del OPS["test_props_square"]
