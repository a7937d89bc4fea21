"""Functional transforms mean what they say: `grad`, `hvp` and gradcheck compute real
derivatives under `no_grad()` and inside a rule, and a nested `grad` differentiates with
respect to its own argument only while seeing dependence through closed-over values."""

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor, grad, hvp, no_grad
from autograd.testing import gradcheck, gradgradcheck


def test_grad_under_no_grad_is_the_real_derivative():
    with no_grad():
        assert grad(lambda t: t * t * t)(2.0) == 12.0
        assert hvp(lambda t: t * t * t, 2.0, 1.0) == 12.0
        np.testing.assert_allclose(grad(lambda t: (t * t).sum())(np.array([1.0, 2.0])), [2, 4])
        assert not autograd.is_grad_enabled()  # and the mode is as the caller left it


def test_gradcheck_under_no_grad_checks_the_real_gradients():
    with no_grad():
        assert gradcheck(lambda x: (x * x.tanh()).sum(), Tensor(np.array([0.3, -1.2])))
        assert gradgradcheck(lambda x: (x * x * x).sum(), Tensor(np.array([0.3, -1.2])))


def test_grad_inside_a_rule_is_the_real_derivative():
    def cube_vjp(g, out, x):
        # the local gradient 3 x**2, computed by grad itself inside the rule
        cube_sum = lambda t: (t * t * t).sum() if isinstance(t, Tensor) else t * t * t  # noqa
        return (g * grad(cube_sum)(x),)

    cube = autograd.primitive(cube_vjp, name="edges_cube_by_grad")(lambda x: x * x * x)
    try:
        x = Scalar(2.0)
        cube(x).backward()
        assert x.grad == 12.0
        t = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        cube(t).sum().backward()
        np.testing.assert_allclose(t.grad, [3.0, 12.0])
    finally:
        del autograd.OPS["edges_cube_by_grad"]


def test_nested_grad_sees_closed_over_values():
    assert grad(lambda b: grad(lambda a: a * a * b)(2.0))(3.0) == 4.0  # d/db (2ab) = 2a


def test_nested_grad_has_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = d/dx [x] = 1 (Siskind and Pearlmutter's example)
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(3.0) == 1.0
    # the inner argument is the outer variable itself: d/dy (x y) at y = x is x, so 1
    assert grad(lambda x: grad(lambda y: x * y)(x))(3.0) == 1.0
    # d/dx [x * (d/dy x y at y = x)] = d/dx x**2 = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(x))(2.0) == 4.0


def test_nested_grad_with_tensors_and_argnums():
    f = lambda a, b: (a * a * b).sum()  # noqa: E731
    mixed = grad(lambda b: grad(f, 0)(np.array([1.0, 2.0]), b).sum())(np.array([3.0, 4.0]))
    np.testing.assert_allclose(mixed, [2.0, 4.0])  # d/db_i sum_j 2 a_j b_j


def test_third_derivatives_by_nesting():
    third = grad(grad(grad(lambda x: x * x * x * x)))
    assert third(2.0) == pytest.approx(48.0)  # 24 x


def test_grad_touches_no_gradient_the_caller_holds():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = np.array([7.0, 7.0])
    g = grad(lambda t: (t * t).sum())(x)
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])
    np.testing.assert_allclose(g.data, [2.0, 4.0])
