"""Random expressions from autograd.testing.expressions(): their values equal their numpy twins
and their gradients pass gradcheck over thousands of examples, and so for each op of the table
on its own; Scalar and Tensor agree on them (differential test); second derivatives and
Hessian-vector products are right."""

import numpy as np
import pytest
from hypothesis import assume, find, given, settings, strategies as st

import autograd
from autograd import OPS, Scalar, Tensor, grad, hvp
from autograd.testing import (GradcheckError, broadcastable_shapes, check_expression,
                              expressions, gradgradcheck, scalars, tensors)

EXPRESSION_OPS = sorted(name for name, op in OPS.items()
                        if not op.tensor_only and op.arity in (1, 2))
"""The ops expressions are built from (every op of one or two inputs that works on Scalars)."""
SMOOTH = [name for name in EXPRESSION_OPS if OPS[name].kink is None]
"""Those differentiable everywhere (relu and maximum have kinks)."""


@settings(max_examples=4000)  # thousands, as the issue asks: about 12 s
@given(expressions(max_depth=3, n_vars=2), scalars(-2, 2), scalars(-2, 2))
def test_scalar_expressions_equal_their_twins_and_pass_gradcheck(expression, a, b):
    check_expression(expression, a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", EXPRESSION_OPS)
def test_each_op_in_random_expressions_equals_its_twin_and_passes_gradcheck(name):
    uses_it = expressions(ops=[name, "add", "mul"], max_depth=3, n_vars=2).filter(
        lambda expression: f"{name}(" in expression.text)

    @settings(max_examples=100)
    @given(uses_it, scalars(-2, 2), scalars(-2, 2))
    def check(expression, a, b):
        check_expression(expression, a, b, atol=1e-5, rtol=1e-4)

    check()


@st.composite
def _tensor_inputs(draw, n_vars=2):
    shapes = draw(broadcastable_shapes(n_vars, max_dims=2, max_side=3))
    return [draw(tensors(shape, elements=scalars(-2, 2))) for shape in shapes]


@settings(max_examples=600)
@given(expressions(max_depth=3, n_vars=2), _tensor_inputs())
def test_tensor_expressions_on_broadcast_shapes_equal_their_twins_and_pass_gradcheck(
        expression, inputs):
    check_expression(expression, *inputs, atol=1e-5, rtol=1e-4)


@settings(max_examples=500)
@given(expressions(max_depth=3, n_vars=2), tensors((4,), elements=scalars(-2, 2)),
       tensors((4,), elements=scalars(-2, 2)))
def test_scalar_and_tensor_engines_agree_on_random_expressions(expression, xs, ys):
    assume(expression.kink(xs, ys) > 1e-9)  # at a kink the two may pick different sides
    with np.errstate(all="ignore"):
        x, y = Tensor(xs, requires_grad=True), Tensor(ys, requires_grad=True)
        out = expression.build(x, y) + (x + y) * 0.0
        assume(np.all(np.isfinite(out.data)))
        out.backward(np.ones(4))
        for i in range(4):  # element i of the tensor run is the scalar run at element i
            a, b = Scalar(xs[i]), Scalar(ys[i])
            s_out = expression.build(a, b) + (a + b) * 0.0
            s_out.backward()
            # math and numpy may round exp/tanh differently in the last bit (cancellation can
            # magnify that): agreement to 1e-9 relative, 1e-12 absolute
            np.testing.assert_allclose(s_out.data, out.data[i], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose([a.grad, b.grad], [x.grad[i], y.grad[i]], rtol=1e-9,
                                       atol=1e-12)


@settings(max_examples=300)
@given(expressions(ops=SMOOTH, max_depth=3, n_vars=2), scalars(-1, 1), scalars(-1, 1))
def test_grad_of_grad_equals_finite_differences_of_grad(expression, a, b):
    def f(x):
        return expression.build(x, Scalar(b, requires_grad=False)) + x * 0.0

    with np.errstate(all="ignore"):
        first = grad(f)
        assume(all(np.isfinite(first(v)) and abs(first(v)) < 1e6 for v in (a - 1e-4, a + 1e-4)))
        second = grad(grad(f))(a)
    h = 1e-5
    numeric = (first(a + h) - first(a - h)) / (2 * h)
    np.testing.assert_allclose(second, numeric, rtol=1e-4, atol=1e-5)


@settings(max_examples=100)
@given(expressions(ops=SMOOTH, max_depth=2, n_vars=2), tensors((2,), elements=scalars(-1, 1)),
       tensors((2,), elements=scalars(-1, 1)))
def test_random_compositions_pass_gradgradcheck(expression, xs, ys):
    with np.errstate(all="ignore"):
        assume(np.all(np.abs(expression.twin(xs, ys)) < 1e4))
    gradgradcheck(lambda x, y: expression.build(x, y) + (x + y) * 0.0, xs, ys)


def test_hvp_equals_the_explicit_hessian_times_v():
    # f(x) = x^T A x + sum(x^3) + prod-free coupling x0 * exp(x1): Hessian by hand
    a = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, -2.0]])
    x = np.array([0.3, -0.7, 1.1])

    def f(t):
        return (t @ (Tensor(a) @ t)) + (t ** 3.0).sum() + t[0] * t[1].exp()

    hessian = a + a.T + np.diag(6 * x)
    hessian[0, 1] += np.exp(x[1])
    hessian[1, 0] += np.exp(x[1])
    hessian[1, 1] += x[0] * np.exp(x[1])
    for v in np.eye(3).tolist() + [[0.5, -2.0, 1.5]]:
        np.testing.assert_allclose(hvp(f, x, np.array(v)), hessian @ v, rtol=1e-12)
    columns = [grad(lambda t, i=i: grad(f)(t)[i])(x) for i in range(3)]  # grad(grad) row by row
    np.testing.assert_allclose(np.array(columns), hessian, rtol=1e-12)


def test_expressions_respect_max_depth_and_use_every_op():
    def depth(tree):
        return 0 if tree[0] in ("var", "const") else 1 + max(map(depth, tree[1]))

    seen = set()

    @settings(max_examples=300)
    @given(expressions(max_depth=2, n_vars=3, domain_safe=False))
    def check(expression):
        assert depth(expression.tree) <= 2
        seen.update(_op_names(expression.tree))

    check()
    assert seen == {name for name, op in OPS.items() if not op.tensor_only and op.arity in (1, 2)}


def _op_names(tree):
    if tree[0] in ("var", "const"):
        return set()
    return {tree[0]}.union(*map(_op_names, tree[1]))


def test_expressions_include_a_user_primitive_and_catch_its_wrong_rule():
    def wrong_vjp(g, out, x):
        return (g * 3.0 * x,)  # the derivative of x**3 is 3 x**2

    @autograd.primitive(wrong_vjp, name="test_expr_cube")
    def cube(x):
        return x ** 3

    try:
        found = find(expressions(), lambda e: "test_expr_cube" in _op_names(e.tree))
        assert "test_expr_cube(" in found.text

        @settings(max_examples=100, database=None)
        @given(expressions(ops=["test_expr_cube", "add", "mul"]), scalars(), scalars())
        def users_three_lines(expression, a, b):
            check_expression(expression, a, b)

        with pytest.raises(GradcheckError, match="gradient of input"):
            users_three_lines()
    finally:
        del OPS["test_expr_cube"]


def test_an_expression_unpacks_into_builder_and_twin():
    expression = find(expressions(ops=["mul", "exp"], n_vars=1),
                      lambda e: e.text.count("(") >= 2)
    build, twin = expression
    np.testing.assert_allclose(build(Scalar(0.4)).data, twin(0.4), rtol=1e-14)
    assert repr(expression) == f"Expression({expression.text})"


def test_expressions_reject_unknown_ops_and_tensor_only_ops():
    with pytest.raises(ValueError, match="unknown op 'nope'"):
        expressions(ops=["nope"])
    with pytest.raises(ValueError, match="concatenate"):
        expressions(ops=["concatenate"])
