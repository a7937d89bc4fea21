"""grad, nested grad, create_graph and hvp against closed forms and finite differences."""

import math

import numpy as np
import pytest

from autograd import Scalar, Tensor, grad, hvp


def test_grad_returns_the_arguments_type():
    f = lambda x: x * x * x  # noqa: E731
    assert grad(f)(2.0) == 12.0 and isinstance(grad(f)(2.0), float)
    g = grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, [2.0, 4.0])
    assert isinstance(grad(f)(Scalar(2.0, requires_grad=False)), Scalar)
    assert isinstance(grad(lambda t: (t * t).sum())(Tensor([1.0])), Tensor)


def test_grad_does_not_touch_the_callers_gradients():
    x = Scalar(2.0)
    w = Scalar(3.0)
    assert grad(lambda v: v * w)(x).data == 3.0
    assert x.grad is None and w.grad is None


def test_nested_grad_gives_higher_derivatives():
    f = lambda x: (x * 2.0).tanh() * x  # noqa: E731
    d1, d2, d3 = grad(f), grad(grad(f)), grad(grad(grad(f)))

    def exact(x):
        t = math.tanh(2 * x)
        s = 1 - t * t  # sech^2(2x)
        first = t + 2 * x * s
        second = 4 * s - 8 * x * t * s
        return first, second

    for x in (-0.7, 0.1, 0.9):
        first, second = exact(x)
        assert d1(x) == pytest.approx(first, rel=1e-12)
        assert d2(x) == pytest.approx(second, rel=1e-10)
        h = 1e-5
        assert d3(x) == pytest.approx((d2(x + h) - d2(x - h)) / (2 * h), rel=1e-5)


def test_grad_with_several_arguments():
    f = lambda x, y: x * y * y  # noqa: E731
    assert grad(f, argnums=(0, 1))(3.0, 2.0) == (4.0, 12.0)
    assert grad(f, argnums=1)(3.0, 2.0) == 12.0
    mixed = grad(grad(f, argnums=0), argnums=1)(3.0, 2.0)  # d2f/dxdy = 2y
    assert mixed == 4.0


def test_grad_of_a_constant_function_is_zero():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    np.testing.assert_array_equal(grad(lambda x: 1.0)(np.ones(2)), [0.0, 0.0])


def test_create_graph_gives_differentiable_gradients():
    x = Scalar(1.5)
    y = x.exp() * x
    y.backward(create_graph=True)
    first = x.grad  # (1 + x) e^x, a graph value
    assert isinstance(first, Scalar) and first.data == pytest.approx(2.5 * math.exp(1.5))
    x.grad = None
    first.backward()
    assert x.grad == pytest.approx(3.5 * math.exp(1.5))  # (2 + x) e^x


def test_tensor_second_derivatives_through_matmul_and_softmax():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3))

    def f(x):
        return (Tensor(a) @ x).log_softmax().sum() + (x * x * x).sum()

    x0 = rng.normal(size=3)
    gradient = grad(f)
    h = 1e-5
    numeric = np.stack([(gradient(x0 + h * e) - gradient(x0 - h * e)) / (2 * h)
                        for e in np.eye(3)], axis=1)
    hessian = np.stack([hvp(f, x0, e) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)


def test_hvp_matches_the_explicit_hessian_of_a_quadratic():
    q = np.array([[3.0, 1.0], [1.0, 2.0]])
    f = lambda x: 0.5 * (x * (Tensor(q) @ x)).sum()  # noqa: E731  H = q
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(hvp(f, np.array([0.3, -0.1]), v), q @ v)
    assert hvp(lambda x: x * x * x, 2.0, 1.0) == 12.0


def test_newton_step_with_engine_second_derivatives():
    f = lambda x: (x - 2.0) ** 4 + x * x  # noqa: E731
    x = 0.0
    for _ in range(30):
        x = x - grad(f)(x) / grad(grad(f))(x)
    assert grad(f)(x) == pytest.approx(0.0, abs=1e-12)
