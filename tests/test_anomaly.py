"""detect_anomaly: the report names the op, the node, the input shapes, a summary of each input
and the line that created the node; nan and inf can be watched separately; sites are recorded
only inside the block; the diagram highlights the node."""

import math
import os
import sys

import numpy as np
import pytest

import autograd
from autograd import AnomalyError, Scalar, Tensor, detect_anomaly
from autograd.origin import derivative_of, site_of


def test_a_nan_output_is_reported_with_the_op_node_inputs_and_site():
    x = Tensor([-1.0, 2.0, 3.0], requires_grad=True, label="x")
    with detect_anomaly(), np.errstate(invalid="ignore"):
        h = x * 2.0
        with pytest.raises(AnomalyError) as caught:
            h.log()  # the creation site
    line = sys._getframe().f_lineno - 1
    error = caught.value
    assert isinstance(error, FloatingPointError)
    assert (error.op, error.name, error.kind, error.input_shapes) == ("log", "log1", "output",
                                                                     ((3,),))
    assert error.site[0].lineno == line and error.site[0].filename == __file__
    lines = str(error).splitlines()
    assert lines[0] == ("detect_anomaly: the output of 'log' contains nan or inf: 1 nan, 0 inf "
                        "of 3 elements")
    assert lines[1] == (f"  node: log1, created at {os.path.relpath(__file__)}:{line} in "
                        f"test_a_nan_output_is_reported_with_the_op_node_inputs_and_site: "
                        f"h.log()  # the creation site")
    assert lines[2] == "  input shapes: (3,)"
    assert lines[3] == "  input 0 (mul1): shape (3,): min -2, max 6, 0 nan, 0 inf"
    assert lines[-1] == "  error.diagram() draws the path from the inputs to this node"


def test_the_input_summary_counts_nan_and_inf_and_leaves_nan_out_of_min_and_max():
    data = np.array([np.nan, -np.inf, 1.0, 5.0, np.nan])
    x = Tensor(data, requires_grad=True, label="x")
    with detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(AnomalyError) as caught:
        x.exp()  # exp(nan) is nan
    assert caught.value.inputs == ["input 0 (x): shape (5,): min -inf, max 5, 2 nan, 1 inf"]
    assert str(caught.value).startswith(
        "detect_anomaly: the output of 'exp' contains nan or inf: 2 nan, 0 inf of 5 elements")


def test_an_infinite_gradient_names_the_input_it_goes_to_and_both_gradients():
    x = Scalar(0.0, label="x")
    with detect_anomaly():
        y = x ** 0.5  # finite output, infinite local gradient at 0
        z = y * 3.0
        with pytest.raises(AnomalyError) as caught:
            z.backward()
    error = caught.value
    assert (error.kind, error.op, error.input, error.gradient) == ("gradient", "pow", 0, math.inf)
    text = str(error)
    assert text.startswith("detect_anomaly: the gradient that 'pow' passes to input 0 (x) "
                           "contains nan or inf: 0 nan, 1 inf of 1 element\n  node: pow1, "
                           "created at ")
    assert "y = x ** 0.5" in text
    assert "  input 0 (x): 0\n  params: exponent=0.5\n" in text
    assert "  gradient arriving at the node: 3\n  gradient passed to input 0: inf\n" in text


def test_nan_only_lets_inf_through_and_inf_only_lets_nan_through():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        with detect_anomaly(nan=True, inf=False):
            assert np.isneginf(x.log().data[0])  # -inf is allowed (a log of a mask, say)
            with pytest.raises(AnomalyError, match=r"output of 'mul' contains nan: 1 nan of 2 "):
                x.log() * 0.0  # -inf * 0 is nan
        with detect_anomaly(nan=False, inf=True):
            with pytest.raises(AnomalyError, match=r"output of 'log' contains inf: 1 inf of 2 "):
                x.log()
            y = Tensor([-1.0], requires_grad=True)
            assert np.isnan(y.log().data[0])  # nan is allowed here


def test_with_nothing_to_watch_sites_are_recorded_and_nothing_raises():
    x = Tensor([-1.0], requires_grad=True)
    with detect_anomaly(nan=False, inf=False), np.errstate(invalid="ignore"):
        y = x.log()
    assert np.isnan(y.data[0])
    assert site_of(y)[0].line == "y = x.log()"
    outside = x * 2.0
    assert site_of(outside) is None and type(outside._stamp) is int  # no extras: no cost outside


def test_the_site_skips_the_engine_and_keeps_the_callers():
    from nn.layers import Linear  # a layer of nn: the site is its line, then the caller's

    layer = Linear(3, 2)
    x = Tensor(np.ones((4, 3)))
    with detect_anomaly():
        r = autograd.relu(Tensor([1.0], requires_grad=True) * 2.0)  # through kernels.py
        out = layer(x)
    assert site_of(r)[0].filename == __file__ and "autograd.relu" in site_of(r)[0].line
    frames = site_of(out)
    assert frames[0].filename.endswith("layers.py") and frames[0].name == "forward"
    assert any(f.filename == __file__ and f.line == "out = layer(x)" for f in frames)


def test_the_diagram_draws_the_path_to_the_node_highlighted():
    pytest.importorskip("graphviz")
    a = Tensor([1.0, -2.0], requires_grad=True, label="a")
    b = Tensor([3.0, 4.0], requires_grad=True, label="b")
    unrelated = b * 5.0  # not on the path: not drawn
    with detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(AnomalyError) as caught:
        ((a * b) + 1.0).log()
    source = caught.value.diagram().source
    assert '<FONT POINT-SIZE="13">anomaly: output of &#x27;log&#x27; (log1)</FONT>' in source
    assert "<B>a</B>" in source and "<B>b</B>" in source and "<B>add1</B>" in source
    assert source.count("gold") == 2  # the log node's value and op
    assert "data 15" not in source and unrelated.data[0] == 15.0


def test_bad_options_are_clear_errors():
    with pytest.raises(TypeError, match="detect_anomaly: nan must be True or False, got str"):
        with detect_anomaly(nan="yes"):
            pass
    with pytest.raises(TypeError, match="detect_anomaly: inf must be True or False"):
        with detect_anomaly(inf=None):
            pass


def test_the_mode_ends_with_the_block_even_after_an_error():
    x = Tensor([-1.0], requires_grad=True)
    with pytest.raises(AnomalyError), np.errstate(invalid="ignore"):
        with detect_anomaly():
            x.log()
    with np.errstate(invalid="ignore"):
        y = x.log()  # no error, no site
    assert site_of(y) is None


def test_a_gradient_recorded_with_create_graph_says_what_it_is_the_derivative_of():
    x = Scalar(2.0, label="x")
    f = x * x * x
    f.label = "f"
    f.backward(create_graph=True)
    assert derivative_of(x.grad) == "d f / d x" and x.grad.data == 12.0
    g = x.tanh()
    g.label = "g"
    g.backward(create_graph=True)  # x.grad accumulates: the sum of two derivatives
    assert derivative_of(x.grad) == "d f / d x + d g / d x"
    first = autograd.grad(lambda t: t * t * t)(x)
    second = autograd.grad(autograd.grad(lambda t: t * t * t))(x)
    assert derivative_of(first) == "d mul2 / d x"  # f's output named as draw(f) names it
    assert derivative_of(second) == "d (d mul2 / d x) / d x" and second.data == 12.0
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()  # no graph recorded: the gradient is an array and says nothing
    assert isinstance(w.grad, np.ndarray) and derivative_of(x) is None


def test_draw_of_a_gradient_titles_the_derivative_graph():
    pytest.importorskip("graphviz")
    x = Scalar(0.5, label="x")
    y = x.tanh() * x
    y.label = "y"
    y.backward(create_graph=True)
    source = autograd.draw(x.grad).source
    assert '<FONT POINT-SIZE="13">d y / d x: the backward pass as a graph</FONT>' in source
    assert '<FONT POINT-SIZE="13">own</FONT>' in autograd.draw(x.grad, title="own").source
    assert 'POINT-SIZE="13"' not in autograd.draw(y).source  # an ordinary graph: no title
