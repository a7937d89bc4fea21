"""The common operations a numpy or PyTorch user reaches for: exact values and the conventions
at kinks (PyTorch's), one node each in the diagram where the table has a row, Scalars where
they make sense. Their rules are also in the op table's parametrised tests (finite differences,
second derivatives, mutations, compile) through their cases in autograd.testing.cases."""

import math

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor


def grads(f, *values):
    """Run f on fresh leaves of `values`, backpropagate the sum, return (output, gradients)."""
    leaves = [Tensor(v, requires_grad=True) for v in values]
    out = f(*leaves)
    out.sum().backward()
    return out, [leaf.grad for leaf in leaves]


def test_abs_routes_by_sign_and_gives_0_at_0_as_pytorch():
    out, [g] = grads(lambda x: abs(x), [-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(out.data, [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])
    assert out.op.name == "abs"
    s = Scalar(-1.5)
    abs(s).backward()
    assert s.grad == -1.0


def test_sqrt_square_log1p_and_softplus():
    out, [g] = grads(lambda x: x.sqrt(), [4.0, 0.25])
    np.testing.assert_allclose(g, [0.25, 1.0])
    with np.errstate(divide="ignore"):
        _, [g] = grads(lambda x: x.sqrt(), [0.0])
    assert g[0] == math.inf  # as PyTorch
    out, [g] = grads(lambda x: x.square(), [3.0, -1.0])
    assert out.op.name == "pow" and out.params == {"exponent": 2.0}  # one node
    np.testing.assert_array_equal(g, [6.0, -2.0])
    out, [g] = grads(lambda x: x.log1p(), [1e-20, 1.0])
    assert out.data[0] == 1e-20  # accurate where log(1 + x) rounds to 0
    np.testing.assert_allclose(g, [1.0, 0.5])
    out, [g] = grads(lambda x: x.softplus(), [0.0, 1.0, 1000.0, -1000.0])
    np.testing.assert_allclose(out.data, [math.log(2), math.log1p(math.e), 1000.0, 0.0])
    np.testing.assert_allclose(g, [0.5, 1 / (1 + math.exp(-1)), 1.0, 0.0])
    assert Scalar(1000.0).softplus().data == 1000.0 and Scalar(-1000.0).softplus().data == 0.0
    assert math.isnan(Scalar(-1.0).sqrt().data) and Scalar(-1.0).log1p().data == -math.inf


def test_minimum_routes_to_the_smaller_and_splits_a_tie():
    out, [gx, gy] = grads(lambda x, y: x.minimum(y), [1.0, 5.0, 2.0], [3.0, 4.0, 2.0])
    np.testing.assert_array_equal(out.data, [1.0, 4.0, 2.0])
    np.testing.assert_array_equal(gx, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.5])
    s = Scalar(2.0)
    s.minimum(1.0).backward()
    assert s.grad == 0.0


def test_min_reduction_is_one_node_and_splits_tied_minima():
    out, [g] = grads(lambda x: x.min(axis=1), [[3.0, 1.0, 1.0], [0.0, 2.0, 5.0]])
    assert out.op.name == "min"
    np.testing.assert_array_equal(out.data, [1.0, 0.0])
    np.testing.assert_array_equal(g, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_clip_passes_the_gradient_inside_and_at_the_bounds_as_pytorch():
    # PyTorch's clamp: gradient 1 where min <= x <= max (the bounds included), 0 outside
    out, [g] = grads(lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(out.data, [-1.0, -1.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])
    _, [g] = grads(lambda x: x.clamp(min=0.0), [-1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0])
    _, [g] = grads(lambda x: x.clip(max=np.array([0.0, 5.0])), [1.0, 1.0])  # array bounds
    np.testing.assert_array_equal(g, [0.0, 1.0])
    s = Scalar(0.5)
    s.clip(0.0, 0.25).backward()
    assert s.grad == 0.0 and Scalar(3.0).clip(1.0, 2.0).data == 2.0
    assert math.isnan(Scalar(math.nan).clip(0.0, 1.0).data)
    with pytest.raises(ValueError, match="clip: give min, max or both"):
        Tensor([1.0]).clip()
    with pytest.raises(TypeError, match=r"bounds must be constants.*maximum\(lo\)\.minimum"):
        Tensor([1.0]).clip(Tensor([0.0]), 1.0)


def test_where_sends_the_gradient_by_the_mask_and_broadcasts():
    x = Tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    y = Tensor([10.0, 20.0], requires_grad=True)
    out = autograd.where(x > 0, x, y)
    assert out.op.name == "where"
    np.testing.assert_array_equal(out.data, [[10.0, 2.0], [3.0, 20.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])  # summed over the broadcast rows
    # a constant on one side, a number mask on the other
    z = Tensor([1.0, -1.0], requires_grad=True)
    autograd.where(np.array([1, 0]), z, 0.0).sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, 0.0])
    # an inf gradient where the mask is off does not reach the input as nan (mask * x would:
    # inf * 0); as in PyTorch, the rules below the chosen branch still run everywhere
    w = Tensor([1.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):  # (the forward's 0 * inf)
        chosen = autograd.where(np.array([True, False]), w, 0.0) * np.array([1.0, np.inf])
    chosen.sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 0.0])
    a, b = Scalar(2.0), Scalar(3.0)
    autograd.where(a > b, a, b).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)
    np.testing.assert_array_equal(autograd.where(np.array([True, False]), 1.0, 2.0), [1.0, 2.0])
    with pytest.raises(TypeError, match="one bool"):
        autograd.where(np.array([True, False]), a, b)


def test_where_of_shapes_that_do_not_broadcast_is_a_shape_error():
    with pytest.raises(autograd.ShapeError, match=r"where: cannot apply to inputs of shapes"):
        autograd.where(np.array([True, False, True]), Tensor([1.0, 2.0]), 0.0)


def test_var_and_std_follow_numpy_with_ddof():
    data = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 7.0]])
    for ddof in (0, 1):
        for axis in (None, 0, 1, (0, 1)):
            out, [g] = grads(lambda x: x.var(axis=axis, ddof=ddof), data)
            np.testing.assert_allclose(out.data, np.var(data, axis=axis, ddof=ddof))
            count = data.size // np.size(out.data)
            mean = data.mean(axis=axis, keepdims=True)
            np.testing.assert_allclose(g, 2 * (data - mean) / (count - ddof))
            std = Tensor(data).std(axis=axis, ddof=ddof)
            np.testing.assert_allclose(std.data, np.std(data, axis=axis, ddof=ddof))
    # PyTorch's documented default is the unbiased estimate: torch.var([1, 2, 4]) = 7/3
    np.testing.assert_allclose(Tensor([1.0, 2.0, 4.0]).var(ddof=1).item(), 7 / 3)
    assert Tensor(data).var(axis=1, keepdims=True).shape == (2, 1)
    std = Tensor(data, requires_grad=True).std()
    assert std.op.name == "std" and std.parents[0].is_leaf  # one node (its own rule at 0)
    with pytest.raises(TypeError, match="ddof must be a non-negative int"):
        Tensor(data).var(ddof=0.5)


def test_argmax_and_argmin_are_integer_tensors_without_gradient():
    x = Tensor([[1.0, 5.0, 5.0], [7.0, -1.0, 0.0]], requires_grad=True)
    assert x.argmax().item() == 3 and x.argmin().item() == 4  # over all elements, flattened
    assert Tensor([2.0, 5.0, 5.0]).argmax().item() == 1  # the first of tied maxima
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0, keepdims=True).data, [[0, 1, 1]])
    index = x.argmax(axis=1)
    assert index.dtype.kind == "i" and not index.requires_grad and index.op is None
    picked = x[np.arange(2), index]  # an index Tensor indexes, as in PyTorch
    np.testing.assert_array_equal(picked.data, [5.0, 7.0])


def test_shape_helpers_are_one_reshape_node():
    x = Tensor(np.arange(6.0).reshape(2, 1, 3), requires_grad=True)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3) and x.expand_dims(-1).shape == (2, 1, 3, 1)
    assert x.unsqueeze((0, 4)).shape == (1, 2, 1, 3, 1)
    assert x.flatten().shape == (6,) and x.flatten(1).shape == (2, 3)
    assert x.flatten(0, 1).shape == (2, 3) and Tensor(1.0).flatten().shape == (1,)
    assert x.view(3, 2).shape == (3, 2) and x.view((6,)).shape == (6,)
    for out in (x.squeeze(), x.unsqueeze(0), x.flatten(1), x.view(3, 2)):
        assert out.op.name == "reshape" and out.parents[0] is x
    np.testing.assert_array_equal(np.asarray(x.T).shape, (3, 1, 2))
    x.squeeze().sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 1, 3)))
    with pytest.raises(ValueError, match=r"squeeze: axis 0 of shape \(2, 1, 3\) has size 2"):
        x.squeeze(0)
    with pytest.raises(np.exceptions.AxisError, match="unsqueeze"):
        x.unsqueeze(5)


def test_dtype_casts_keep_the_graph_and_cast_the_gradient_back():
    x = Tensor([1.5, 2.5], requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.op.name == "astype" and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])
    assert x.double() is x  # already float64: itself, as PyTorch's .double()
    h = Tensor([1.0], dtype=np.float32, requires_grad=True)
    h.double().sum().backward()
    assert h.grad.dtype == np.float32
    mask = (x > 2).float()  # PyTorch's idiom: a mask as numbers
    assert mask.dtype == np.float32 and mask.tolist() == [0.0, 1.0]
    ints = x.astype(np.int64)
    assert ints.tolist() == [1, 2] and not ints.requires_grad
    with pytest.raises(TypeError, match="not a number type"):
        x.astype(np.str_)


def test_cat_is_concatenate():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0, 3.0], requires_grad=True)
    out = autograd.cat([a, b])
    assert autograd.cat is autograd.concatenate and out.op.name == "concatenate"
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0])


def test_factories_make_leaves_with_requires_grad_as_asked():
    z = autograd.zeros(2, 3, requires_grad=True)
    assert z.shape == (2, 3) and z.requires_grad and z.is_leaf and z.dtype == np.float64
    assert autograd.ones((2,)).tolist() == [1.0, 1.0] and not autograd.ones(1).requires_grad
    assert autograd.zeros(2, dtype=np.float32).dtype == np.float32
    r1, r2 = autograd.randn(3, 4, rng=0), autograd.randn(3, 4, rng=0)
    np.testing.assert_array_equal(r1.data, r2.data)  # a seed, as nn's layers take it
    np.testing.assert_array_equal(r1.data, np.random.default_rng(0).standard_normal((3, 4)))
    assert autograd.arange(4).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert autograd.arange(1, 2, 0.5, requires_grad=True).tolist() == [1.0, 1.5]
    like = autograd.ones_like(Tensor([[1.0, 2.0]], dtype=np.float32), requires_grad=True)
    assert like.shape == (1, 2) and like.dtype == np.float32 and like.requires_grad
    assert autograd.zeros_like(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    (z * 2).sum().backward()
    np.testing.assert_array_equal(z.grad, 2 * np.ones((2, 3)))
    with pytest.raises(TypeError, match="non-negative ints"):
        autograd.zeros(2.5)
    with pytest.raises(ValueError, match="step must not be 0"):
        autograd.arange(0, 1, 0)


def test_the_new_ops_have_their_gate_and_show_in_diagrams():
    ops = autograd.OPS
    assert ops["minimum"].gate == ops["min"].gate == "min routes"
    x = Tensor([1.0, -2.0], requires_grad=True, label="x")
    out = x.abs().sqrt().minimum(1.0).clip(0.0, 2.0).softplus().log1p().sum()
    source = autograd.draw(out, gates=True).source
    for text in ("abs", "sqrt", "min gate: routes", "clip", "softplus", "log1p"):
        assert text in source
