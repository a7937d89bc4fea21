"""Bad input is refused clearly: boolean masks, axes, complex data and gradients, copies and
pickles of values, and graphs recorded with create_graph that die by reference counting."""

import copy
import gc
import pickle
import weakref

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor


def test_a_boolean_tensor_indexes_as_a_mask():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = Tensor(np.array([True, False, True]))
    assert mask.dtype == np.bool_ and not mask.requires_grad
    picked = x[mask]
    np.testing.assert_array_equal(picked.data, [1.0, 3.0])  # not x[[1, 0, 1]]
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="only floating-point data can require a gradient"):
        Tensor([True, False], requires_grad=True)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "logsumexp"])
def test_axes_must_be_ints_within_range(method):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=rf"{method}: axis must be .* got float 1.5"):
        getattr(x, method)(axis=1.5)
    with pytest.raises(TypeError, match=rf"{method}: axis must be .* got str '1'"):
        getattr(x, method)(axis="1")
    with pytest.raises(np.exceptions.AxisError, match=rf"{method}: axis 2 is out of range .* 2 axes"):
        getattr(x, method)(axis=2)
    with pytest.raises(np.exceptions.AxisError, match=rf"{method}: axis -3"):
        getattr(x, method)(axis=(0, -3))
    with pytest.raises(ValueError, match="names an axis twice"):
        getattr(x, method)(axis=(1, -1))
    assert getattr(x, method)(axis=np.int64(1)).shape == (2,)


def test_softmax_and_joining_check_their_axis_too():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="softmax: axis must be an int"):
        x.softmax(axis=None)
    with pytest.raises(np.exceptions.AxisError, match="log_softmax: axis 5"):
        x.log_softmax(axis=5)
    with pytest.raises(np.exceptions.AxisError, match="concatenate: axis 2"):
        autograd.concatenate([x, x], axis=2)
    assert autograd.stack([x, x], axis=2).shape == (2, 3, 2)


def test_complex_data_and_gradients_are_type_errors():
    with pytest.raises(TypeError, match="complex"):
        Tensor([1 + 2j])
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"backward\(grad=...\): complex"):
        (x * 2.0).backward(grad=np.array([1 + 1j, 1.0]))
    with pytest.raises(TypeError):
        Scalar(1 + 2j)
    with pytest.raises(TypeError):
        (Scalar(1.0) * 2.0).backward(grad=1j)


def test_copies_of_a_leaf_are_new_leaves_with_their_own_data():
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    (x * x).sum().backward()
    for twin in (copy.deepcopy(x), copy.copy(x), pickle.loads(pickle.dumps(x))):
        assert twin.is_leaf and twin.parents == () and twin.label == "x" and twin.requires_grad
        assert not np.shares_memory(twin.data, x.data)
        np.testing.assert_array_equal(twin.grad, [2.0, 4.0])
        twin.data[0] = 5.0
        assert x.data[0] == 1.0
    s = copy.deepcopy(Scalar(3.0, label="s"))
    (s * s).backward()
    assert s.grad == 6.0


def test_copying_or_pickling_a_computed_value_is_refused_with_what_to_do():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    for attempt in (copy.deepcopy, copy.copy, pickle.dumps):
        with pytest.raises(TypeError, match=r"computed Tensor \(the output of 'mul'\).*detach"):
            attempt(y)
    leaf = copy.deepcopy(y.detach())
    assert leaf.is_leaf and not leaf.requires_grad


def test_create_graph_keeps_no_interior_gradient_and_the_graph_dies_by_reference_counting():
    gc.collect()
    gc.disable()
    try:
        x = Tensor([0.5, 1.5], requires_grad=True)
        h = x.exp()
        loss = (h * h * x).sum()
        loss.backward(create_graph=True)
        assert h.grad is None and loss.grad is None  # an interior gradient would refer back
        first = x.grad.data.copy()                    # to its consumers: not kept
        x.grad.sum().backward()  # the gradient is differentiated again, into x
        np.testing.assert_allclose(x.grad.data - first,
                                   np.exp(2 * x.data) * (4 * x.data + 4))
        # a leaf's graph-valued gradient refers to the leaf through the recorded graph (as in
        # PyTorch): once it is dropped, reference counting alone frees everything
        watchers = [weakref.ref(v) for v in (x, h, loss)]
        x.grad = None
        del x, h, loss
        assert all(w() is None for w in watchers)
        s = Scalar(2.0)
        (s * s * s).backward(create_graph=True)
        assert s.grad.data == 12.0
        watcher = weakref.ref(s)
        s.grad = None
        del s
        assert watcher() is None
    finally:
        gc.enable()


def test_a_scalar_primitive_returning_a_one_element_array_works():
    @autograd.primitive(lambda g, out, x: (g * 2.0,), name="edges_one_element")
    def doubled(x):
        return np.array([2.0 * x])

    try:
        x = Scalar(1.5)
        y = doubled(x)
        y.backward()
        assert y.data == 3.0 and x.grad == 2.0
    finally:
        del autograd.OPS["edges_one_element"]
