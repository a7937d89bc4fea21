"""The gate patterns of backpropagation, with hand-computed numbers."""

import math

import numpy as np
import pytest

from autograd import Scalar, Tensor, maximum, sqrt


def test_add_gate_distributes_the_gradient_unchanged():
    x, y = Scalar(3.0), Scalar(-7.0)
    out = x + y
    out.backward(2.5)
    assert (x.grad, y.grad) == (2.5, 2.5)


def test_mul_gate_swaps_its_inputs():
    x, y = Scalar(3.0), Scalar(-7.0)
    out = x * y
    out.backward(2.0)
    assert x.grad == 2.0 * -7.0
    assert y.grad == 2.0 * 3.0


def test_fan_out_adds_the_gradients_that_come_back():
    x = Scalar(3.0)
    (x + x).backward()
    assert x.grad == 2.0
    x = Scalar(3.0)
    (x * x + x).backward()  # d/dx (x^2 + x) = 2x + 1
    assert x.grad == 7.0


def test_max_gate_routes_the_gradient_to_the_winner():
    x, y = Scalar(4.0), Scalar(1.0)
    maximum(x, y).backward(3.0)
    assert (x.grad, y.grad) == (3.0, 0.0)
    x, y = Scalar(-4.0), Scalar(1.0)
    maximum(x, y).backward(3.0)
    assert (x.grad, y.grad) == (0.0, 3.0)


def test_max_gate_splits_a_tie_evenly():
    x, y = Scalar(2.0), Scalar(2.0)
    x.maximum(y).backward()
    assert (x.grad, y.grad) == (0.5, 0.5)
    a = Tensor([1.0, 5.0, 5.0, 2.0], requires_grad=True)
    a.max().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 0.5, 0.0])
    b = Tensor([[3.0, 3.0, 3.0], [1.0, 2.0, 0.0]], requires_grad=True)
    b.max(axis=1).sum().backward()
    np.testing.assert_allclose(b.grad, [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])


def test_relu_routes_where_positive_and_blocks_at_zero():
    values = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    values.relu().sum().backward()
    np.testing.assert_array_equal(values.grad, [0.0, 0.0, 1.0])


def test_cs231n_example_f_equals_x_plus_y_times_z():
    x, y, z = Scalar(-2.0), Scalar(5.0), Scalar(-4.0)
    q = x + y
    f = q * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0  # the interior gradient is kept after the pass
    assert f.grad == 1.0


def test_sigmoid_neuron():
    w0, x0, w1, x1, w2 = (Scalar(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    out = (w0 * x0 + w1 * x1 + w2).sigmoid()
    out.backward()
    assert out.data == pytest.approx(0.7310585786)  # sigma(1)
    local = out.data * (1 - out.data)               # sigma'(1) = 0.1966
    assert [round(v.grad, 2) for v in (w0, w1, w2)] == [-0.20, -0.39, 0.20]
    assert [round(v.grad, 2) for v in (x0, x1)] == [0.39, -0.59]
    assert w0.grad == pytest.approx(-1.0 * local)
    assert x1.grad == pytest.approx(-3.0 * local)


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    for value in (-3.0, 0.0, 0.5, 4.0):
        x = Scalar(value)
        s = x.sigmoid()
        s.backward()
        sigma = 1 / (1 + math.exp(-value))
        assert x.grad == pytest.approx(sigma * (1 - sigma), rel=1e-12)


def test_division_and_power_gates():
    x, y = Scalar(3.0), Scalar(4.0)
    (x / y).backward()
    assert x.grad == pytest.approx(1 / 4)
    assert y.grad == pytest.approx(-3 / 16)
    x = Scalar(3.0)
    (x ** 3).backward()
    assert x.grad == pytest.approx(27.0)
    x = Scalar(2.0)
    (1.0 / x).backward()
    assert x.grad == pytest.approx(-0.25)
    x = Scalar(2.0)
    (2 ** x).backward()
    assert x.grad == pytest.approx(4 * math.log(2))


def test_constants_on_either_side_of_an_operator():
    x = Scalar(3.0)
    out = 2 - x * 4 + 1.5 / (x + 1)
    out.backward()
    assert out.data == pytest.approx(2 - 12 + 1.5 / 4)
    assert x.grad == pytest.approx(-4 - 1.5 / 16)


def test_matmul_gate_swaps_with_transposes():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    g = rng.normal(size=(3, 2))
    A, B = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (A @ B).backward(g)
    np.testing.assert_allclose(A.grad, g @ b.T)
    np.testing.assert_allclose(B.grad, a.T @ g)


def test_broadcast_add_sums_the_gradient_back():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = Tensor([[1.0], [2.0]], requires_grad=True)
    (x * b + c).sum().backward()
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(c.grad, [[3.0], [3.0]])
    np.testing.assert_array_equal(x.grad, [[1, 2, 3], [1, 2, 3]])


def test_indexing_scatters_and_adds_on_repeats():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[np.array([0, 2, 2, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 3.0])
    m = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (m[1, 1:] * 2).sum().backward()
    np.testing.assert_array_equal(m.grad, [[0, 0, 0], [0, 2, 2]])
    rows = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows[[0, 0, 2], [1, 1, 0]].sum().backward()
    np.testing.assert_array_equal(rows.grad, [[0, 2], [0, 0], [1, 0]])


def test_sqrt_has_the_slope_one_over_twice_the_root_and_numpys_edges():
    x = Scalar(4.0)
    out = x.sqrt()
    out.backward()
    assert (out.data, x.grad) == (2.0, 0.25)
    values = Tensor([0.0, 4.0, -1.0], requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        roots = sqrt(values)
        roots.backward(np.ones(3))
    np.testing.assert_array_equal(roots.data, [0.0, 2.0, np.nan])
    np.testing.assert_array_equal(values.grad, [np.inf, 0.25, np.nan])  # as numpy and PyTorch
    assert math.isnan(sqrt(-1.0)) and sqrt(9) == 3.0  # raw numbers: floats, like numpy
    s = Scalar(0.0)
    s.sqrt().backward()
    assert s.grad == math.inf
