"""The functions a rule's template calls: what compiled steps know of them comes from the
functions themselves (a kernel marked `new_array` never returns a view of an argument, and
every one says whether it does), and the slope kernels leave out a product by ones."""

import inspect

import numpy as np
import pytest

from autograd import ops
from autograd.compile.statements import NEW_ARRAY_FUNCTIONS

MAY_RETURN_A_VIEW = {"expand", "broadcast_view", "raw", "np"}
"""The functions templates may call whose result may share memory with an argument."""


def _arguments(function, rng):
    """Arrays of shape (3,) for a function's array parameters, valid constants for the rest."""
    values = {"lo": -0.5, "hi": 0.5, "c": 2.0, "cond": np.array([True, False, True]),
              "index": np.array([0, 2]), "shape": (3,)}
    arguments = []
    for name in inspect.signature(function).parameters:
        if name in values:
            arguments.append(values[name])
        else:
            arguments.append(rng.uniform(0.5, 1.5, size=2 if name == "g" and
                                         function.__name__ == "scatter_add" else 3))
    return arguments


def test_every_function_a_template_may_call_says_whether_it_makes_a_new_array():
    unsaid = {name for name in ops.TEMPLATE_FUNCTIONS
              if name not in NEW_ARRAY_FUNCTIONS and name not in MAY_RETURN_A_VIEW
              and not name.startswith("__")}
    assert not unsaid, f"mark these kernels.new_array, or list them as returning views: {unsaid}"


@pytest.mark.parametrize("name", sorted(NEW_ARRAY_FUNCTIONS))
def test_a_function_marked_new_array_never_returns_a_view_of_an_argument(name):
    rng = np.random.default_rng(0)
    function = ops.TEMPLATE_FUNCTIONS[name]
    arguments = _arguments(function, rng)
    result = function(*arguments)
    assert isinstance(result, np.ndarray)
    for argument in arguments:
        if isinstance(argument, np.ndarray):
            assert not np.shares_memory(result, argument), (name, argument)


def test_a_view_returning_function_is_not_marked():
    assert not getattr(ops.TEMPLATE_FUNCTIONS["expand"], "new_array", False)
    view = ops.TEMPLATE_FUNCTIONS["broadcast_view"](np.ones(3), (2, 3))
    assert view.base is not None and not getattr(ops.TEMPLATE_FUNCTIONS["broadcast_view"],
                                                 "new_array", False)


@pytest.mark.parametrize("name, local", [("sigmoid_slope_times", lambda s: (1.0 - s) * s),
                                         ("tanh_slope_times", lambda t: 1.0 - t * t)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_slope_times_a_gradient_broadcast_from_one_is_the_slope_bit_for_bit(name, local, dtype):
    """The sum's gradient of a loss seeded with 1 is a broadcast of 1.0: the product by it is
    left out, and the result is what multiplying by ones gives, nan and -0.0 included."""
    kernel = ops.TEMPLATE_FUNCTIONS[name]
    out = np.array([0.25, -0.0, np.nan, 0.9, 1.0, -0.5], dtype=dtype)
    ones = ops.TEMPLATE_FUNCTIONS["broadcast_view"](np.array(1.0, dtype=dtype), out.shape)
    expected = local(out) * np.ones_like(out)
    result = kernel(ones, out)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, expected)
    assert np.array_equal(np.signbit(result), np.signbit(expected))
    twos = ops.TEMPLATE_FUNCTIONS["broadcast_view"](np.array(2.0, dtype=dtype), out.shape)
    np.testing.assert_array_equal(kernel(twos, out), local(out) * 2.0)  # not ones: multiplied
    np.testing.assert_array_equal(kernel(np.full_like(out, 3.0), out), local(out) * 3.0)
