"""Comparisons are elementwise and conversions behave as in numpy and PyTorch; values stay
hashable by identity, so graphs in sets and dicts (and the engine's own walks) still work.

The expected results are numpy's, computed beside, and PyTorch's as its documentation states
them (torch.Tensor.__bool__, __float__, __format__, __len__, item, tolist, torch.eq/lt/...):
a comparison gives a bool tensor; bool() of one element is its truth and of more an error
naming .any()/.all(); float()/int()/item() need one element; format() formats a 0-d tensor
as its number; len() and iteration need an axis."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd
from autograd import Scalar, Tensor
from autograd.testing import broadcastable_shapes, tensors

COMPARISONS = {"==": (lambda a, b: a == b, np.equal), "!=": (lambda a, b: a != b, np.not_equal),
               "<": (lambda a, b: a < b, np.less), "<=": (lambda a, b: a <= b, np.less_equal),
               ">": (lambda a, b: a > b, np.greater),
               ">=": (lambda a, b: a >= b, np.greater_equal)}
SMALL = st.sampled_from([-1.0, 0.0, 0.5, 1.0, np.nan, np.inf])  # ties, nan and inf included


@pytest.mark.parametrize("symbol", COMPARISONS)
@settings(max_examples=40)
@given(data=st.data())
def test_tensor_comparisons_are_elementwise_as_numpy(symbol, data):
    compare, ufunc = COMPARISONS[symbol]
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    a = data.draw(tensors(shape_a, elements=SMALL))
    b = data.draw(tensors(shape_b, elements=SMALL))
    x = Tensor(a, requires_grad=True)
    expected = ufunc(a, b)
    for other in (Tensor(b), b, b.tolist()):  # a Tensor, an array or a list on the right
        got = compare(x, other)
        assert isinstance(got, Tensor) and got.dtype == np.bool_
        assert not got.requires_grad and got.op is None  # a mask: no gradient, no node
        np.testing.assert_array_equal(got.data, expected)
    np.testing.assert_array_equal(compare(b, x).data, ufunc(b, a))  # an array on the left
    np.testing.assert_array_equal(compare(0.5, x).data, ufunc(0.5, a))  # a number on the left


@pytest.mark.parametrize("symbol", COMPARISONS)
def test_scalar_comparisons_give_bools(symbol):
    compare, _ = COMPARISONS[symbol]
    for a, b in [(2.0, 2.0), (1.0, 2.0), (2.0, 1.0), (math.nan, 1.0)]:
        expected = compare(a, b)
        assert compare(Scalar(a), Scalar(b)) is expected
        assert compare(Scalar(a), b) is expected and compare(a, Scalar(b)) is expected


def test_the_everyday_spellings_of_the_issue():
    assert (Tensor([1.0, 2.0]) == Tensor([1.0, 2.0])).all()
    assert Scalar(2.0) == 2.0 and Scalar(2.0) != 3.0
    assert max(Scalar(1.0), Scalar(3.0)).data == 3.0 and min(Scalar(1.0), 3.0).data == 1.0
    assert sorted([Scalar(2.0), Scalar(-1.0)])[0].data == -1.0
    x = Tensor([-1.0, 3.0], requires_grad=True)
    mask = x > 2
    np.testing.assert_array_equal(mask.data, [False, True])
    np.testing.assert_array_equal(x[mask].data, [3.0])  # a mask selects
    (x * mask).sum().backward()  # a mask is a constant factor
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_masks_combine_with_logical_operators_and_reduce_with_any_and_all():
    x = Tensor([-2.0, 0.5, 3.0])
    inside = (x > -1) & (x < 1)
    np.testing.assert_array_equal(inside.data, [False, True, False])
    np.testing.assert_array_equal((~inside).data, [True, False, True])
    np.testing.assert_array_equal(((x < 0) | (x > 2)).data, [True, False, True])
    np.testing.assert_array_equal(((x < 0) ^ True).data, [False, True, True])
    assert inside.any().item() is True and inside.all().item() is False
    np.testing.assert_array_equal((x > 0).reshape(1, 3).all(axis=0).data, [False, True, True])
    with pytest.raises(TypeError, match=r"&: works on boolean Tensors.*float64"):
        x & x


def test_equality_with_other_objects_falls_back_to_identity_as_pytorch():
    t, s = Tensor([1.0]), Scalar(1.0)
    assert (t == None) is False and (t != "a") is True  # noqa: E711 (the point of the test)
    assert (s == None) is False and s != object()  # noqa: E711
    with pytest.raises(TypeError, match="<"):
        t < "a"  # ordering has no fallback
    with pytest.raises(TypeError, match="cannot mix Scalar and Tensor"):
        s == t


def test_a_comparison_of_shapes_that_do_not_broadcast_names_them():
    with pytest.raises(autograd.ShapeError, match=r"==: cannot compare shapes \(2,\) and \(3,\)"):
        Tensor([1.0, 2.0]) == np.ones(3)


# ---- values in sets and dicts: hashed by identity --------------------------------------------


def test_graphs_in_sets_and_dicts_work_by_identity():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([1.0, 2.0], requires_grad=True)  # equal data, another value
    out = (x * y + x).sum()
    nodes = autograd.toposort(out)
    assert len(set(nodes)) == len(nodes)
    by_node = {node: i for i, node in enumerate(nodes)}
    assert [by_node[node] for node in nodes] == list(range(len(nodes)))
    assert len({x, y}) == 2 and x in {x} and y not in {x}
    assert hash(x) == object.__hash__(x)  # identity's hash, as PyTorch's
    assert [v is x for v in [y, x]] == [False, True]
    # a Scalar graph too, where == would compare numbers
    a, b = Scalar(1.0), Scalar(1.0)
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2
    out = a * b + a
    out.backward()
    assert (a.grad, b.grad) == (2.0, 1.0)  # the walk did not merge the two equal leaves


def test_the_walks_and_diagrams_never_call_eq_or_bool_on_values(monkeypatch):
    # the engine hashes by id, marks nodes in place and compares by identity: a value whose
    # __eq__ and __bool__ raise goes through the backward pass, gradients, drawing and compile
    def refuse(self, *args):
        raise AssertionError("the engine called == or bool() on a value")

    for name in ("__eq__", "__ne__", "__bool__"):
        monkeypatch.setattr(autograd.Value, name, refuse)
    x = Tensor([1.0, -2.0], requires_grad=True, label="x")
    w = Tensor([0.5, 0.5], requires_grad=True)
    out = ((x * w).relu() + x.maximum(w)).sum()
    out.backward()
    autograd.backward_steps(out).to_text()
    autograd.grad(lambda v: (v * v).sum())(x)
    autograd.draw(out).source
    autograd.explore(out)
    step = autograd.compile(lambda v: ((v * w).tanh()).sum(), check=True)
    step(x)
    step(x)
    s = Scalar(1.5, label="s")
    (s * s + s).backward()
    autograd.draw(s * s).source


# ---- conversions -----------------------------------------------------------------------------


def test_bool_is_the_truth_of_one_element_and_an_error_otherwise():
    assert bool(Tensor([0.0])) is False and bool(Tensor(2.0)) is True
    assert bool(Tensor([[1.0]])) is True and bool(Scalar(0.0)) is False and bool(Scalar(-1.0))
    loss = Tensor([0.5, 1.5], requires_grad=True).mean()
    assert loss  # `if loss:` on a 0-d loss
    for data in ([1.0, 2.0], np.zeros((0,))):
        with pytest.raises(ValueError, match=r"truth value .* ambiguous: use \.any\(\) or \.all"):
            bool(Tensor(data))
    with pytest.raises(ValueError):  # numpy's own rule, for comparison
        bool(np.array([1.0, 2.0]))


def test_float_int_and_item_need_one_element():
    t = Tensor([[2.75]], requires_grad=True)
    assert float(t) == 2.75 and int(t) == 2 and int(Tensor(-2.75)) == -2  # int truncates
    assert t.item() == 2.75 and type(t.item()) is float
    assert float(Scalar(1.5)) == 1.5 and int(Scalar(-1.5)) == -1
    assert Tensor(np.float32(0.5)).item() == 0.5
    assert (Tensor([1.0]) > 0).item() is True  # a mask's element is a bool, as PyTorch's
    for convert in (float, int, Tensor.item):
        with pytest.raises(ValueError, match=r"shape \(2,\)"):
            convert(Tensor([1.0, 2.0]))


def test_format_formats_a_zero_dimensional_value_as_its_number():
    loss = Tensor([1.0, 2.0], requires_grad=True).mean()
    assert f"{loss:.4f}" == "1.5000" and f"{Scalar(1 / 3):.3f}" == "0.333"
    assert f"{Tensor(2.0)}" == "2.0"  # a 0-d value even without a spec, as PyTorch
    assert f"{Tensor([1.0])}" == str(Tensor([1.0])) == "Tensor([1.])"
    with pytest.raises(TypeError, match=r"'.2f' formats a number.*shape \(2,\)"):
        f"{Tensor([1.0, 2.0]):.2f}"


def test_len_iteration_tolist_and_membership():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert len(t) == 2 and [row.tolist() for row in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]] and Tensor(1.5).tolist() == 1.5
    assert Scalar(1.5).tolist() == 1.5
    assert 3.0 in t and 5.0 not in t
    sum(row.sum() for row in t).backward()  # iteration rows are graph values
    np.testing.assert_array_equal(t.grad, np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d Tensor"):
        len(Tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d Tensor"):
        iter(Tensor(1.0))


def test_numpy_is_a_read_only_view_and_asarray_too():
    t = Tensor([1.0, 2.0])
    view = t.numpy()
    assert np.shares_memory(view, t.data) and not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 5.0
    with autograd.no_grad():
        t += 1.0  # an in-place change through the engine shows in the view
    assert view.tolist() == [2.0, 3.0]
    assert not np.asarray(t).flags.writeable
    copy = np.array(t)  # np.array copies: a writable array of its own
    copy[0] = 0.0
    assert copy.flags.writeable and t.data[0] == 2.0
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.asarray(Scalar(2.5)).dtype == np.float64  # a number, never an object array


def test_an_integer_tensor_converts_to_an_index_and_masks_index_arrays():
    t = Tensor([3.0, 9.0, 4.0])
    names = ["a", "b", "c"]
    assert names[t.argmax()] == "b"
    with pytest.raises(TypeError, match="integer"):
        names[Tensor(1.0)]
    a = np.arange(3.0) * 10
    assert a[t.argmax()] == 10.0
    np.testing.assert_array_equal(a[t > 3.5], [10.0, 20.0])  # a mask Tensor indexes an array
    np.testing.assert_array_equal(a[t.argmax(keepdims=True)], [10.0])  # as an array, as numpy


# ---- reprs ----------------------------------------------------------------------------------


def test_a_scalar_repr_shows_the_float_in_full():
    assert repr(Scalar(1.23456789)) == "Scalar(data=1.23456789, requires_grad=True)"
    x = Scalar(0.1, label="x")
    (x * 3.0).backward()
    assert repr(x) == "Scalar(data=0.1, grad=3.0, requires_grad=True, label='x')"


def test_a_tensor_repr_aligns_rows_as_numpy_and_pytorch_do():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (t * t).sum().backward()
    assert repr(t) == ("Tensor([[1., 2.],\n"
                       "        [3., 4.]],\n"
                       "       grad=[[2., 4.],\n"
                       "             [6., 8.]], requires_grad=True)")
    assert repr(Tensor([[1.0, 2.0]]) * 2) == "Tensor([[2., 4.]])"
    assert repr(t.sum()) == "Tensor(10., op='sum')"
    assert repr(Tensor([0.5], dtype=np.float32)) == "Tensor([0.5], dtype=float32)"
    assert repr(t > 2) == "Tensor([[False, False],\n        [ True,  True]], dtype=bool)"
