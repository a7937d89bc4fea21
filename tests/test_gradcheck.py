"""gradcheck and gradgradcheck: right gradients pass, wrong ones fail with a readable message,
float32 is refused, nothing the caller holds is changed; the strategies and properties of
autograd.testing work as documented (including the README's worked example)."""

import re
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd
from autograd import OPS, Scalar, Tensor
from autograd.testing import (GradcheckError, assert_gradients_match, assert_op_gradients,
                              broadcastable_shapes, check_expression, expressions, gradcheck,
                              gradgradcheck, scalars, swapped_rule, tensors)


def rule(name, wrong):
    """Swap a wrong rule into the op `name` for the duration of the block."""
    return swapped_rule(name, lambda right: wrong)


def test_right_gradients_pass_for_scalars_tensors_numbers_and_arrays():
    rng = np.random.default_rng(0)
    assert gradcheck(lambda x, y: x.maximum(y) * x + (x / y).tanh(), Scalar(1.5), Scalar(-0.5))
    assert gradcheck(lambda x, y: (x * y).exp(), 0.3, -0.2)  # numbers become Scalars
    assert gradcheck(lambda x, w, b: (x @ w + b).softmax(), rng.normal(size=(3, 4)),
                     Tensor(rng.normal(size=(4, 2))), np.zeros(2))  # a (3, 2) output
    assert gradcheck(lambda x: x.sum(), [1.0, 2.0], mode="elementwise")
    assert gradcheck(lambda x: x.log().mean(), np.array([0.5, 2.0]), mode="directional")


def test_a_function_that_ignores_an_input_has_zero_gradient_there():
    assert gradcheck(lambda x, y: x * 2.0, Scalar(1.0), Scalar(3.0))
    assert gradcheck(lambda x: Tensor(np.ones(2)), np.array([1.0, 2.0]))


def test_the_error_names_the_input_the_element_and_the_values():
    x, w = np.array([1.0, 2.0]), Tensor(np.array([3.0, -4.0]), label="w")
    with rule("mul", lambda g, out, a, b: (g * b, g * a * 2.0)):  # b's gradient doubled
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda a, b: (a * b).sum(), x, w, mode="elementwise")
    lines = str(caught.value).splitlines()
    assert lines[0] == (
        "gradcheck: the gradient of input 1 (w, a Tensor) is wrong at element (1,): analytic "
        "4, numeric 2 (tolerance 1e-06 + 1e-05 * |numeric|)")
    # then the culprit: the mul node, the line that made it, its wrong element, both numbers
    assert re.match(r"The first wrong rule in the backward pass: 'mul' \(node mul1, input "
                    r"shapes \(2,\), \(2,\)\), created at \S*test_gradcheck.py:\d+ ", lines[1])
    assert lines[1].endswith('in <lambda>: gradcheck(lambda a, b: (a * b).sum(), x, w, '
                             'mode="elementwise")')
    assert lines[2] == ("  its gradient for input 1 (w) is wrong at element (1,): rule 4, "
                        "finite differences of 'mul' 2")
    assert caught.value.culprit.op == "mul" and caught.value.culprit.element == (1,)
    assert isinstance(caught.value, AssertionError)  # pytest shows it as a failed assertion


def test_the_directional_error_names_the_input():
    with rule("exp", lambda g, out, a: (g * out * 1.01,)):
        with pytest.raises(GradcheckError, match=r"gradient of input 1 \(a Tensor\) is wrong "
                                                 r"along a random direction: analytic"):
            gradcheck(lambda a, b: a * 2.0 + b.exp().sum(), np.ones(2), np.ones(3),
                      mode="directional")


def test_random_output_weights_catch_what_summing_the_output_would_miss():
    # a reversal whose gradient is not reversed: with weights all one it would look right
    reverse = np.array([2, 1, 0])
    with rule("getitem", lambda g, out, x, index: (g,)):
        assert np.allclose(Tensor([1.0, 2.0, 3.0], requires_grad=True)[reverse].data, [3, 2, 1])
        with pytest.raises(GradcheckError, match="input 0"):
            gradcheck(lambda x: x[reverse], np.array([1.0, 2.0, 3.0]), mode="elementwise")


def test_float32_is_refused_with_a_message():
    with pytest.raises(TypeError, match="input 0 is float32; finite differences need float64"):
        gradcheck(lambda x: x.exp(), Tensor([1.0], dtype=np.float32))
    with pytest.raises(TypeError, match="input 1 is float32"):
        gradcheck(lambda x, y: x * y, np.ones(2), np.ones(2, dtype=np.float32))
    with pytest.raises(TypeError, match="f returned a float32 Tensor"):
        gradcheck(lambda x: Tensor(x.data, dtype=np.float32) * 1.0, np.ones(2))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="mode must be 'both', 'elementwise' or 'directional'"):
        gradcheck(lambda x: x, 1.0, mode="forward")
    with pytest.raises(TypeError, match="f must return a Scalar or a Tensor, got str"):
        gradcheck(lambda x: "x", 1.0)
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Scalar(1.0))


def test_a_point_outside_the_domain_is_reported_not_passed():
    with np.errstate(all="ignore"), pytest.raises(GradcheckError,
                                                  match=r"not finite at element \(0,\)"):
        gradcheck(lambda x: x.log(), np.array([0.0, 1.0]))


def test_nothing_the_caller_holds_is_changed():
    w = Tensor([1.0, 2.0], requires_grad=True)
    s = Scalar(0.5)
    data = w.data
    gradcheck(lambda v: (v * v).sum(), w)
    gradgradcheck(lambda v: (v * v).sum(), w)
    gradcheck(lambda t: t.exp(), s)
    gradgradcheck(lambda t: t.exp(), s)
    assert w.data is data and np.array_equal(w.data, [1.0, 2.0]) and s.data == 0.5
    assert w.grad is None and s.grad is None


def test_gradgradcheck_passes_right_second_derivatives():
    assert gradgradcheck(lambda x, y: (x * y.sigmoid()).tanh().sum(), np.array([0.3, -1.2]),
                         np.array([0.7, 0.1]))
    assert gradgradcheck(lambda x: x.log() * x ** 3.0, Scalar(1.3))


def test_gradgradcheck_catches_a_rule_that_is_right_only_to_first_order():
    def tanh_rule(g, out, x):
        # right numbers, but on graph values (create_graph) it hides out from differentiation
        return (g * (1.0 - out * out) if isinstance(g, np.ndarray)
                else g * (1.0 - out.detach() * out.detach()),)

    with rule("tanh", tanh_rule):
        assert gradcheck(lambda x: x.tanh(), np.array([0.3, -0.7]))
        with pytest.raises(GradcheckError, match=r"gradgradcheck \(second derivatives.*"
                                                 r"input 0 \(a Tensor\)"):
            gradgradcheck(lambda x: x.tanh(), np.array([0.3, -0.7]))


@contextmanager
def registered(name, rule):
    """Register softplus under `name` with `rule` for the duration of the block."""
    @autograd.primitive(rule, name=name)
    def softplus(x):
        return np.logaddexp(0.0, x)

    try:
        yield softplus
    finally:
        del OPS[name]


def test_the_readme_example_catches_a_wrong_custom_rule():
    wrong = lambda g, out, x: (g / (1.0 + np.exp(x)),)  # noqa: E731  (the README's slip)
    with registered("test_readme_softplus", wrong):
        with pytest.raises(GradcheckError, match=r"gradient of input 0 \(a Tensor\) is wrong"):
            assert_op_gradients("test_readme_softplus")

        @settings(max_examples=300, database=None)  # stops at the first failure found
        @given(expressions(ops=["test_readme_softplus", "mul", "add", "tanh"]), scalars(),
               scalars())
        def test_softplus_in_expressions(expression, a, b):
            check_expression(expression, a, b)

        with pytest.raises(GradcheckError) as caught:
            test_softplus_in_expressions()
    assert str(caught.value).startswith(
        "gradcheck: the gradient of input 0 (a Scalar) is wrong at element (): analytic")
    assert "Expression(test_readme_softplus(x0))" in "".join(caught.value.__notes__)


def test_a_rule_written_with_the_engines_functions_works_to_second_order():
    # primitive's contract: a rule "written with arithmetic and the engine's functions" works
    # on raw data and on graph values; autograd.sigmoid must then accept a raw array
    with registered("test_readme_softplus_fixed", lambda g, out, x: (g * autograd.sigmoid(x),)):
        assert_op_gradients("test_readme_softplus_fixed", max_examples=30)
        assert_op_gradients("test_readme_softplus_fixed", second_order=True, max_examples=10)


def test_assert_gradients_match_passes_right_and_catches_wrong_gradients():
    assert_gradients_match(lambda x, y: (x * y).tanh(), st.tuples(scalars(), scalars()),
                           max_examples=20)
    with rule("tanh", lambda g, out, x: (g * (1.0 - out),)):
        with pytest.raises(GradcheckError, match="input 0"):
            assert_gradients_match(lambda x: x.tanh(), tensors(shape=(3,)), max_examples=20)


def test_without_hypothesis_gradcheck_works_and_strategies_name_the_extra(tmp_path):
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import numpy as np\n"
            "from autograd.testing import gradcheck\n"
            "assert gradcheck(lambda x: x.exp(), np.ones(2))\n"
            "for name in ('tensors', 'op_inputs', 'assert_gradients_match'):\n"
            "    try:\n"
            "        getattr(__import__('autograd.testing').testing, name)\n"
            "    except ImportError as error:\n"
            "        print(name, error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["tensors", "op_inputs",
                                                   "assert_gradients_match"]
    assert all("need hypothesis" in line and "pip install 'gategrad[test]'" in line
               for line in lines)


@settings(max_examples=100)
@given(broadcastable_shapes(3), tensors(dtype=np.float32), scalars(domain="positive"),
       scalars(domain="nonzero"), tensors(shape=st.just((2, 3)), domain="positive"))
def test_the_strategies_draw_what_they_promise(shapes, x32, positive, nonzero, matrix):
    assert len(shapes) == 3 and len(np.broadcast_shapes(*shapes)) <= 3
    assert x32.dtype == np.float32 and np.all(np.isfinite(x32)) and np.all(np.abs(x32) <= 3)
    assert 0.2 <= positive <= 3.0 and 0.5 <= abs(nonzero) <= 3.0
    assert matrix.shape == (2, 3) and np.all(matrix >= 0.2)


def test_scalars_refuse_an_unknown_domain():
    with pytest.raises(ValueError, match="unknown domain 'negative'"):
        scalars(domain="negative")
