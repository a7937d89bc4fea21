"""Every error names a public exception class and no private name, messages are not cut
mid-field, the hints name what exists, and the backward-pass table and its diagrams display
themselves in a terminal and in Jupyter."""

import builtins

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor
from autograd.testing import gradcheck

BAD_CALLS = {
    "broadcast": lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)),
    "broadcast with an array": lambda: Tensor(np.ones(3)) * np.ones(2),
    "array on the left": lambda: np.ones(2) * Tensor(np.ones(3)),
    "matmul": lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))),
    "index": lambda: Tensor([1.0, 2.0])[5],
    "reshape": lambda: Tensor(np.ones((2, 3))).reshape(4, 2),
    "in place": lambda: _in_place(),
    "compare": lambda: Tensor([1.0, 2.0]) < np.ones(3),
    "where": lambda: autograd.where(np.ones(3, dtype=bool), Tensor([1.0, 2.0]), 0.0),
    "concatenate": lambda: autograd.cat([Tensor(np.ones((2, 2))), Tensor(np.ones((2, 3)))]),
    "exponent": lambda: Scalar(2.0) ** "3",
    "mix": lambda: Scalar(1.0) + Tensor(1.0),
    "truth": lambda: bool(Tensor([1.0, 2.0])),
    "numpy function": lambda: np.sin(Tensor([1.0])),
}


def _in_place():
    t = Tensor(np.ones(3))
    with autograd.no_grad():
        t += np.ones(2)


def _public(error_class):
    """Whether users can name the class: a builtin, or a public name of the autograd package."""
    name = error_class.__name__
    if getattr(builtins, name, None) is error_class:
        return True
    return not name.startswith("_") and getattr(autograd, name, None) is error_class


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS)
def test_every_error_names_a_public_exception_class_and_no_private_name(call):
    with pytest.raises(Exception) as caught:
        call()
    error = caught.value
    assert _public(type(error)), f"{type(error).__module__}.{type(error).__qualname__}"
    assert "._" not in str(error) and " _" not in str(error), str(error)
    assert error.__cause__ is None  # numpy's own traceback is not shown above ours


def test_a_shape_error_is_a_public_value_error_and_an_index_one_is_also_an_index_error():
    with pytest.raises(autograd.ShapeError, match=r"add: cannot apply to inputs of shapes "
                                                  r"\(\(2, 3\), \(4,\)\)"):
        BAD_CALLS["broadcast"]()
    assert issubclass(autograd.ShapeError, ValueError)
    assert autograd.ShapeError.__module__ == "autograd"  # tracebacks say autograd.ShapeError
    with pytest.raises(IndexError, match="getitem"):
        BAD_CALLS["index"]()
    with pytest.raises(autograd.ShapeError):
        BAD_CALLS["index"]()
    with pytest.raises(autograd.ShapeError, match=r"\+=: an operand of shape \(2,\)"):
        _in_place()


def test_an_exponent_that_is_not_a_number_is_described_whole():
    with pytest.raises(TypeError) as caught:
        Scalar(2.0) ** "3"
    assert str(caught.value) == ("Scalar **: unsupported operand str '3'; use a number or a "
                                 "Scalar (a Tensor for arrays)")
    with pytest.raises(autograd.ShapeError, match=r"power: .*\(2,\), \(2, 3\)"):
        Tensor(np.ones(2)) ** Tensor(np.ones((2, 3)))


def test_long_values_in_messages_are_shortened_visibly():
    with pytest.raises(TypeError) as caught:
        Tensor([1.0]) + "a string much longer than forty characters, to be cut"
    assert "str 'a string much longer than forty char...; use a number" in str(caught.value)


def test_gradcheck_s_float32_hint_names_casts_that_exist_and_keep_the_graph():
    x = Tensor([1.0], dtype=np.float32, requires_grad=True)
    with pytest.raises(TypeError, match=r"float32; finite differences need float64: pass "
                                        r"x\.double\(\)"):
        gradcheck(lambda v: v.exp(), x)
    assert gradcheck(lambda v: v.exp(), x.double())  # the hint, followed, works
    assert x.double().requires_grad
    with pytest.raises(TypeError, match=r"pass x\.astype\(np\.float64\)"):
        gradcheck(lambda v: v.exp(), np.ones(2, dtype=np.float32))


def test_a_tensor_made_from_one_that_requires_a_gradient_warns_that_it_is_cut_off():
    x = Tensor([1.0], dtype=np.float32, requires_grad=True)
    with pytest.warns(UserWarning, match=r"cut from t's graph.*t\.astype\(dtype\) or t\.double"):
        copy = Tensor(x, dtype=np.float64)
    assert not copy.requires_grad and copy.dtype == np.float64
    assert Tensor(x, requires_grad=True).requires_grad  # asked for: no warning needed


# ---- the backward pass, shown ------------------------------------------------------------------


def test_backward_steps_print_their_table_in_a_terminal():
    a, b = Scalar(2.0, label="a"), Scalar(3.0, label="b")
    steps = autograd.backward_steps(a * b + a)
    assert repr(steps) == str(steps) == steps.to_text()
    assert repr(steps).splitlines()[0].split() == ["step", "node", "op", "upstream", "local",
                                                  "downstream"]
    assert "a.grad = 4" in repr(steps) and "at 0x" not in repr(steps)


def test_backward_step_diagrams_display_as_pictures_in_jupyter():
    a, b = Scalar(2.0, label="a"), Scalar(3.0, label="b")
    diagrams = autograd.backward_steps(a * b + a).diagrams()
    assert len(diagrams) == 3 and isinstance(diagrams, list)
    shown = diagrams._repr_mimebundle_()[0]["image/svg+xml"]
    assert shown.count("<svg") == 4 and "at 0x" not in shown  # three inside one
    assert "step 1: add1 (add)" in shown
    assert repr(diagrams).startswith("<3 diagrams of the backward pass")
