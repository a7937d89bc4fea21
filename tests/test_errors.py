"""Bad input gets a clear error naming the operation, the shapes or the value."""

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor


def test_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"add: .*\(2, 3\), \(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"mul: .*\(3,\), \(2,\)"):
        Tensor(np.ones(3)) * np.ones(2)


def test_shapes_that_do_not_matmul():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not match.*"
                                         r"\(3\).*\(4\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul: both operands need at least one axis"):
        Tensor(2.0) @ Tensor(np.ones(3))


def test_backward_from_a_non_scalar_needs_a_gradient():
    y = Tensor(np.ones(3), requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"single-element output.*shape \(3,\).*grad="):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    y = Tensor(np.ones(3), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but the output has shape \(3,\)"):
        y.backward(np.ones(2))


def test_a_rule_returning_a_gradient_of_the_wrong_shape_names_the_op():
    @autograd.primitive(lambda g, out, x: (np.ones((5, 5)),), name="test_errors_bad_shape")
    def bad(x):
        return x * 1.0

    try:
        x = Tensor(np.ones(3), requires_grad=True)
        with pytest.raises(ValueError, match=r"test_errors_bad_shape: the gradient for an input "
                                             r"of shape \(3,\) has shape \(5, 5\)"):
            bad(x).sum().backward()
    finally:
        del autograd.OPS["test_errors_bad_shape"]


def test_a_rule_returning_the_wrong_number_of_gradients_names_the_op():
    @autograd.primitive(lambda g, out, x: g, name="test_errors_no_tuple")
    def bad(x):
        return x * 1.0

    try:
        with pytest.raises(ValueError, match=r"test_errors_no_tuple: its gradient rule must "
                                             r"return a tuple"):
            bad(Scalar(1.0)).backward()
    finally:
        del autograd.OPS["test_errors_no_tuple"]


def test_mixing_scalar_and_tensor():
    with pytest.raises(TypeError, match=r"cannot mix Scalar and Tensor"):
        Scalar(1.0) + Tensor([1.0])
    with pytest.raises(TypeError, match=r"cannot mix Tensor and Scalar"):
        Tensor([1.0]) * Scalar(2.0)
    with pytest.raises(TypeError, match=r"cannot mix"):
        autograd.maximum(Scalar(1.0), Tensor([2.0]))


@pytest.mark.parametrize("bad", ["3", None, [1.0], {"a": 1}, 1 + 2j])
def test_scalar_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=r"Scalar"):
        Scalar(bad)
    with pytest.raises(TypeError, match=r"unsupported operand"):
        Scalar(1.0) + bad


@pytest.mark.parametrize("bad", ["abc", None, np.array([object(), 1]), [1, "a"],
                                 np.array([1 + 1j])])
def test_tensor_rejects_non_numeric_data(bad):
    with pytest.raises(TypeError, match=r"Tensor"):
        Tensor(bad)
    with pytest.raises(TypeError, match=r"unsupported operand|Tensor"):
        Tensor([1.0]) * bad


def test_ragged_lists_are_a_clear_error():
    with pytest.raises(ValueError, match=r"Tensor: cannot make a numeric array"):
        Tensor([[1.0, 2.0], [3.0]])


def test_grad_of_a_function_that_does_not_return_a_scalar():
    with pytest.raises(ValueError, match=r"grad: f must return a single number.*shape \(2,\)"):
        autograd.grad(lambda x: x * 2.0)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"grad: f must return a single number.*str"):
        autograd.grad(lambda x: "nope")(1.0)
    with pytest.raises(TypeError, match=r"grad: argument 0 must be"):
        autograd.grad(lambda x: x)("1.0")


def test_pow_refuses_an_exponent_that_is_not_a_number():
    with pytest.raises(TypeError, match=r"Scalar \*\*: unsupported operand"):
        Scalar(2.0) ** "3"
    with pytest.raises(TypeError, match=r"Scalar \*\*: unsupported operand"):
        Scalar(2.0) ** True


def test_detect_anomaly_names_the_op_of_a_nan_output():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    with autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"output of 'log' contains nan or inf"):
            with np.errstate(invalid="ignore"):
                x.log()
    with np.errstate(invalid="ignore"):
        x.log()  # outside the context: numpy's nan, no error


def test_detect_anomaly_names_the_op_of_an_infinite_gradient():
    x = Scalar(0.0)
    y = x ** 0.5  # finite output, infinite local gradient at 0
    with autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"gradient that 'pow' passes"):
            y.backward()


def test_index_errors_name_the_op():
    with pytest.raises(IndexError, match=r"getitem"):
        Tensor([1.0, 2.0])[5]
    with pytest.raises(IndexError, match=r"index arrays must hold integers"):
        Tensor([1.0, 2.0])[np.array([0.5])]


def test_reshape_and_permute_errors_name_the_op():
    with pytest.raises(ValueError, match=r"reshape: .*\(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not an ordering"):
        Tensor(np.ones((2, 3))).permute(0, 0)


def test_requires_grad_cannot_be_switched_off_inside_a_graph():
    y = Scalar(1.0) * 2.0
    with pytest.raises(RuntimeError, match=r"only a leaf's flag"):
        y.requires_grad_(False)


def test_hvp_checks_the_vector_shape():
    with pytest.raises(ValueError, match=r"hvp: v has shape \(3,\) but x has shape \(2,\)"):
        autograd.hvp(lambda x: (x * x).sum(), np.ones(2), np.ones(3))


def test_item_of_a_multi_element_tensor():
    with pytest.raises(ValueError, match=r"item: only a one-element Tensor.*\(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_functions_reject_non_numeric_input_with_a_hint():
    for bad in ("2.0", [1.0, 2.0], None, True):
        with pytest.raises(TypeError, match=r"exp: expected a Scalar or a Tensor.*wrap numbers"):
            autograd.exp(bad)
    with pytest.raises(TypeError, match=r"maximum: expected a Scalar or a Tensor, got str 'a'"):
        autograd.maximum("a", 1.0)  # the bad argument is named, not the number beside it


def test_functions_compute_raw_numbers_and_arrays_directly():
    # so that a user's gradient rule written with them works on the raw data backward passes
    assert autograd.exp(2) == pytest.approx(7.38905609893065) and type(autograd.exp(2)) is float
    assert autograd.sigmoid(np.array([0.0, 1000.0])).tolist() == [0.5, 1.0]
    assert autograd.log(np.float64(1.0)) == 0.0
    assert autograd.relu(-3.0) == 0.0 and autograd.tanh(0.0) == 0.0
    assert autograd.maximum(1.0, 2.0) == 2.0
    assert autograd.maximum(np.array([1.0, 5.0]), 2.0).tolist() == [2.0, 5.0]


def test_softmax_cross_entropy_checks_its_labels():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: label -1 is out of range for 3 "
                                         r"classes \(0 to 2\)"):
        autograd.softmax_cross_entropy(logits, [0, -1])
    with pytest.raises(ValueError, match=r"2 rows of scores need 2 labels, got labels of shape "
                                         r"\(3,\)"):
        autograd.softmax_cross_entropy(logits, [0, 1, 2])
    with pytest.raises(TypeError, match=r"softmax_cross_entropy: class labels must be integers, "
                                        r"got dtype float64"):
        autograd.softmax_cross_entropy(logits, [0.5, 1.0])
    # whole-number floats are labels
    assert autograd.softmax_cross_entropy(logits, [0.0, 2.0]).data == pytest.approx([np.log(3)] * 2)
