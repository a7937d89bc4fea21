"""One name per value: the same node has the same name in `draw`, `backward_steps`, `explore`
and `backward_code` (issue 22: the sigmoid neuron was mul1, mul2, add1, add2 in the diagram and
mul0, mul1, add2, add3 in the generated code)."""

import json
import re

import numpy as np
from hypothesis import given, settings

import autograd
from autograd import Scalar, Tensor, draw, explore
from autograd.draw.walk import summary
from autograd.graph import toposort
from autograd.naming import all_values, names_of, numbered
from random_graphs import build, programs

import nn


def drawn_names(root, model=None):
    """{name: data text} of every value box in the DOT source of `draw(root)`."""
    source = draw(root, model=model).source
    return dict(re.findall(r"<B>([^<]*)</B></TD></TR>(?:<TR><TD>[^<]*</TD></TR>)?"
                           r"<TR><TD><FONT COLOR=\"darkgreen\">data ([^<]*)</FONT>", source))


def step_names(root, model=None):
    """[(name, op)] of the interior nodes in backward order, from the step table."""
    return [(row["node"], row["op"]) for row in autograd.backward_steps(root, model).rows
            if row["op"] != "(inputs)"]


def explorer_names(root, model=None):
    """[(name, op)] of the explorer's steps, read from the page's data."""
    page = explore(root, model)
    data = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>',
                     page.html, re.S).group(1)
    graph = json.loads(data)
    return [(step["name"], step["op"]) for step in graph["steps"]]


def code_lines(root, model=None):
    """{name: right-hand side} of the forward lines of `backward_code(root)`."""
    text = autograd.backward_code(root, model=model)
    forward = text[text.index("# ---- forward"):text.index("# ---- backward")]
    return dict(re.findall(r"^\s+(\w+) = (.*?)(?:  #.*)?$", forward, re.M))


def neuron():
    w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                          zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
    a = (w0 * x0 + w1 * x1 + w2).sigmoid()
    a.backward()
    return a


def test_the_sigmoid_neuron_has_one_name_per_value_everywhere():
    a = neuron()
    expected = ["sigmoid1", "add2", "add1", "mul2", "mul1"]  # backward order
    assert [name for name, _ in step_names(a)] == expected
    assert [name for name, _ in explorer_names(a)] == expected
    shown = drawn_names(a)
    assert set(expected) <= set(shown) and shown["add1"] == "4" and shown["mul1"] == "-2"
    code = code_lines(a)
    assert code["mul1"] == "w0 * x0" and code["mul2"] == "w1 * x1"
    assert code["add1"] == "mul1 + mul2" and code["add2"] == "add1 + w2"
    assert code["sigmoid1"] == "sigmoid(add2)"
    # the gradients are named after the same values
    assert "g_w0 = g_mul1 * x0  # mul gate: swaps" in autograd.backward_code(a)


def test_a_networks_values_are_numbered_layer_by_layer_and_agree_everywhere():
    net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
    x = [Scalar(0.5, requires_grad=False), Scalar(-1.0, requires_grad=False)]
    loss = (1.0 - net(x)[0]) ** 2
    loss.backward()
    steps = step_names(loss, net)
    assert steps == explorer_names(loss, net)
    names = names_of(all_values(loss), net)
    hidden = {id(p) for p in net.layers[0].parameters()}
    first = {names[id(v)] for v in all_values(loss) if v.op is not None and v.op.name == "mul"
             and any(id(p) in hidden for p in v.parents)}
    assert first == {"mul1", "mul2", "mul3", "mul4"}  # the first layer before the second
    code = code_lines(loss, net)
    interior = {name for name, op in steps}
    assert interior <= set(code)
    assert interior <= set(drawn_names(loss, net))


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_graphs_name_every_value_alike_in_the_four_views(program):
    leaves = [Scalar(0.3 * (i + 1)) for i in range(program[0])]
    _, out = build(program, leaves)
    out.backward()
    names = names_of(all_values(out))
    steps = step_names(out)
    assert len({name for name, _ in steps}) == len(steps)  # distinct names
    assert steps == explorer_names(out)
    code = code_lines(out)
    shown = drawn_names(out)
    for node in toposort(out):
        name = names[id(node)]
        assert name in code and name in shown
        assert shown[name] == summary(node.data)


def test_a_tensor_graph_is_named_alike_in_code_and_steps():
    W = Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, label="W")
    X = Tensor(np.ones((4, 3)), label="X")
    loss = ((X @ W).tanh() * 2.0).sum()
    loss.backward()
    steps = step_names(loss)
    assert [name for name, _ in steps] == ["sum1", "mul1", "tanh1", "matmul1"]
    code = code_lines(loss)
    assert {"sum1", "mul1", "tanh1", "matmul1"} <= set(code)


def test_numbering_skips_a_number_a_label_already_uses_and_counts_from_the_inputs_up():
    assert numbered([(None, "x"), ("x1", "x"), (None, "x")]) == ["x2", "x1", "x3"]
    # entry 1 reads entry 0: entry 2, an input, is numbered before it
    assert numbered([(None, "add"), (None, "add"), (None, "add")], [[], [0], []]) == \
        ["add1", "add3", "add2"]
    assert numbered([(None, "input"), ("n", "add")]) == ["input", "n"]


def test_with_a_model_the_code_names_inputs_as_the_diagram_and_parameters_in_full():
    net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
    x = [Scalar(0.5, requires_grad=False), Scalar(-1.0, requires_grad=False)]
    y = Scalar(1.0, requires_grad=False)
    loss = (y - net(x)[0]) ** 2
    loss.backward()
    shown = drawn_names(loss, net)
    code = autograd.backward_code(loss, model=net)
    leaves = dict(re.findall(r"^\s+(\w+) = P\[\d+\]\.data  # (?:parameter|leaf) ?(.*)$", code,
                             re.M))
    assert {"input1", "input2", "target"} <= set(shown) & set(leaves)
    assert "layers_0_weight_0_0" in leaves  # a parameter: its full name, unique in the code
    interior = {name for name, _ in step_names(loss, net)}
    assert interior <= set(code_lines(loss, net)) and interior <= set(shown)
