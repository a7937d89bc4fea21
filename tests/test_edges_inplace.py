"""In-place updates, PyTorch's way: augmented assignment on a leaf that requires a gradient
is refused while recording and updates the data in place under `no_grad()`; every in-place
change made through the engine bumps a version, and a backward pass through a node whose rule
reads a value changed since refuses to run, naming the op and the value."""

import numpy as np
import pytest

import nn
from autograd import InPlaceError, Scalar, Tensor, no_grad


@pytest.mark.parametrize("update", ["-=", "+=", "*=", "/=", "**="])
def test_an_update_of_a_leaf_that_requires_a_gradient_is_refused_while_recording(update):
    W = Tensor([1.0, 2.0], requires_grad=True, label="W")
    with pytest.raises(InPlaceError, match=r"no_grad\(\)") as caught:
        exec(f"W {update} 2.0", {}, {"W": W})
    assert update in str(caught.value) and "'W'" in str(caught.value)
    np.testing.assert_array_equal(W.data, [1.0, 2.0])
    assert W.is_leaf and W.grad is None


@pytest.mark.parametrize("value", [Scalar(3.0), Tensor([3.0, 4.0], requires_grad=True)])
def test_under_no_grad_the_update_is_in_place_and_the_leaf_stays_the_same_leaf(value):
    original, data = value, value.data
    start = np.array(data, copy=True)
    with no_grad():
        value -= 1.0
        value *= 2.0
        value /= 4.0
        value += 1.0
        value **= 2.0
    assert value is original and value.is_leaf and value.requires_grad
    expected = ((start - 1.0) * 2.0 / 4.0 + 1.0) ** 2.0
    np.testing.assert_allclose(value.data, expected)
    if isinstance(value, Tensor):
        assert value.data is data  # the same buffer
    y = (value * value).sum() if isinstance(value, Tensor) else value * value
    assert not y.is_leaf and y.requires_grad  # still a leaf of new graphs


def test_the_pytorch_idiom_of_an_update_under_no_grad():
    W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for _ in range(3):
        loss = (W * W).sum()
        loss.backward()
        with no_grad():
            W -= 0.1 * W.grad
        W.grad = None
    assert W.is_leaf and W.op is None
    np.testing.assert_allclose(W.data, np.array([[1, 2], [3, 4]]) * 0.8 ** 3)


def test_a_backward_pass_after_an_optimiser_step_is_refused_naming_the_op():
    W = Tensor(np.ones((2, 2)), requires_grad=True, label="W")
    X = Tensor(np.ones((3, 2)), requires_grad=True)  # X's gradient reads W
    loss = ((X @ W) ** 2).sum()
    loss.backward()
    nn.SGD([W], lr=0.1).step()
    with pytest.raises(InPlaceError, match=r"'matmul' needs its input 1 'W' \(shape \(2, 2\)\)"
                                           r" as it was when the op ran, to compute the gradient of its input 0"):
        loss.backward()
    fresh = ((X @ W) ** 2).sum()  # recomputing the forward pass works
    W.grad = None
    fresh.backward()
    np.testing.assert_allclose(W.grad, 2 * X.data.T @ (X.data @ W.data))


def test_versions_increase_with_every_change_through_the_engine():
    W = Tensor([1.0], requires_grad=True)
    versions = [W._version]
    with no_grad():
        W += 1.0
        versions.append(W._version)
        W *= 2.0
        versions.append(W._version)
    W.grad = np.array([1.0])
    nn.SGD([W], lr=0.1).step()
    versions.append(W._version)
    assert versions == sorted(set(versions)) and versions[0] == 0  # strictly increasing


def test_only_what_a_rule_reads_matters_as_in_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()   # exp's rule reads its output, not x
    z = x + 1.0   # add's rule reads nothing
    loss = y.sum() + z.sum()
    with no_grad():
        x += 5.0
    loss.backward()  # no rule read x: the gradients are right
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]) + 1.0)
    with no_grad():
        y *= 2.0      # but exp's output itself changed: refused
    with pytest.raises(InPlaceError, match="'exp' needs its output"):
        (y.sum()).backward()


def test_a_change_through_a_view_or_of_a_viewed_value_is_seen():
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    X = Tensor(np.ones((4, 3)), requires_grad=True)
    loss = (X @ W.T).sum()  # X's gradient reads W.T, a view of W's data
    with no_grad():
        W *= 3.0
    with pytest.raises(InPlaceError, match="'matmul' needs its input 1"):
        loss.backward()
    c = Tensor(np.ones(4))
    h = c.reshape((2, 2))   # a view of c's data; c needs no gradient
    loss = (h * W[:, :2]).sum()
    c += 1.0                # a constant changed in place, recording or not
    with pytest.raises(InPlaceError, match="'mul' needs its input 0"):
        loss.backward()


def test_a_computed_value_is_replaced_not_changed_while_recording():
    x = Scalar(2.0)
    h = x * 3.0
    before = h
    h += 1.0          # recorded as a new node: the old one is untouched
    assert h is not before and before.data == 6.0 and h.data == 7.0
    h.backward()
    assert x.grad == 3.0


def test_an_in_place_update_checks_shape_dtype_and_read_only_data():
    t = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"\+=: an operand of shape \(2, 3\) does not fit"):
        t += np.ones((2, 3))
    mask = Tensor(np.array([True, False]))
    with pytest.raises(TypeError, match="cannot store the result in a bool tensor"):
        mask += 1.5
    view = Tensor(np.ones(3)).broadcast_to((2, 3))
    with no_grad(), pytest.raises(ValueError, match="read-only view"):
        view += 1.0


def test_edits_through_data_are_not_checked_as_in_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    x.data[:] = [10.0, 20.0]  # documented: .data is the raw array, outside the engine
    loss.backward()
    np.testing.assert_allclose(x.grad, [20.0, 40.0])


def test_a_detached_value_shares_the_data_and_its_changes_are_seen():
    W = Tensor([1.0, 2.0], requires_grad=True)
    frozen = W.detach()
    x = Tensor([3.0, 4.0], requires_grad=True)
    loss = (x * frozen).sum()  # mul reads frozen, whose data is W's
    with no_grad():
        W -= 1.0
    with pytest.raises(InPlaceError, match="'mul' needs its input 1"):
        loss.backward()
    twin = W.detach().requires_grad_()  # the PyTorch idiom: a leaf of its own gradient
    (twin * twin).sum().backward()
    np.testing.assert_allclose(twin.grad, 2 * W.data)
    assert W.grad is None and twin.params is None


def test_loading_parameters_is_an_in_place_change_the_engine_sees(tmp_path):
    model = nn.MLP([3, 4, 2], rng=0)
    X = Tensor(np.ones((2, 3)))
    loss = model(X).sum()
    nn.MLP([3, 4, 2], rng=1).save(tmp_path / "other.npz")
    weight = model.layers[0].weight
    model.load(tmp_path / "other.npz")
    assert model.layers[0].weight is weight  # the same leaf, new values
    with pytest.raises(InPlaceError):
        loss.backward()
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(InPlaceError, match="copy_"):
        t.copy_([3.0, 4.0])
    with no_grad():
        assert t.copy_([3.0, 4.0]) is t
    np.testing.assert_array_equal(t.data, [3.0, 4.0])
