"""The backward pass step by step: the table's numbers are the chain rule's, for hand-worked
examples and for random graphs (the gradients passed down add up to every `.grad`)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Scalar, Tensor, backward_steps
from autograd.draw.steps import COLUMNS
from autograd.draw.walk import summary
from autograd.testing import expressions


def fxyz():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, (x, y, z, q)


def test_the_table_of_f_equals_x_plus_y_times_z_follows_the_chain_rule():
    f, (x, y, z, q) = fxyz()
    steps = backward_steps(f)  # runs backward itself
    mul, add, inputs = steps.rows
    assert (mul["node"], mul["op"], mul["upstream"]) == ("f", "mul", "1")
    assert mul["local"] == ["df/dq = -4", "df/dz = 3"]          # mul swaps: z to q, q to z
    assert mul["downstream"] == ["q <- -4", "z <- 3"]
    assert (add["node"], add["op"], add["upstream"]) == ("q", "add", "-4")
    assert add["local"] == ["dq/dx = 1", "dq/dy = 1"]           # add distributes
    assert add["downstream"] == ["x <- -4", "y <- -4"]
    assert (inputs["node"], inputs["op"]) == ("x, y, z", "(inputs)")
    assert inputs["upstream"] == "x <- -4; y <- -4; z <- 3"
    assert inputs["downstream"] == ["x.grad = -4", "y.grad = -4", "z.grad = 3"]
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert [row["values"] for row in steps.rows] == [[f], [q], [x, y, z]]


def test_text_and_html_tables_give_each_input_its_own_line():
    f, _ = fxyz()
    steps = backward_steps(f)
    lines = str(steps).splitlines()
    assert lines[0].split() == list(COLUMNS)
    assert [line.split() for line in lines[1:]] == [
        ["1", "f", "mul", "1", "df/dq", "=", "-4", "q", "<-", "-4"],
        ["df/dz", "=", "3", "z", "<-", "3"],
        ["2", "q", "add", "-4", "dq/dx", "=", "1", "x", "<-", "-4"],
        ["dq/dy", "=", "1", "y", "<-", "-4"],
        ["3", "x", "(inputs)", "-4", "-", "x.grad", "=", "-4"],
        ["y", "-4", "-", "y.grad", "=", "-4"],
        ["z", "3", "-", "z.grad", "=", "3"]]
    assert len(steps) == 3 and steps.lines()[1] == ["", "", "", "", "df/dz = 3", "z <- 3"]
    page = steps._repr_html_()
    assert page.count("<tr") == 8 and page.count('<tr style="border-top') == 3
    assert ">q &lt;- -4</td>" in page and ">upstream</th>" in page
    assert page.count("white-space: nowrap") == 6 + 7 * 6


def test_a_networks_table_has_short_lines_and_no_line_breaks_in_cells():
    nn = pytest.importorskip("nn")
    net = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
    loss = (1.0 - net([0.5, -1.0])[0]) ** 2
    steps = backward_steps(loss)
    assert max(len(line) for line in str(steps).splitlines()) < 100  # was 433
    assert len(str(steps).splitlines()) == 1 + sum(max(len(r["local"]), 1) for r in
                                                  steps.rows[:-1]) + 9  # 9 parameters
    W = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, label="W")
    tensor_steps = backward_steps((Tensor(np.ones((2, 3))) @ W).sum())
    assert not any("\n" in cell for line in tensor_steps.lines() for cell in line)
    assert "W.grad = [[2, 2], [2, 2], [2, 2]]" in str(tensor_steps)


def test_labels_in_the_html_table_are_escaped():
    a = Scalar(1.0, label="<script>")
    out = a * 2.0
    page = backward_steps(out).to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_diagram_per_step_highlights_its_nodes():
    f, _ = fxyz()
    steps = backward_steps(f)
    pictures = steps.diagrams()
    assert len(pictures) == 3
    first, second, last = (p.source for p in pictures)
    assert "step 1: f (mul)" in first and "mul gate: swaps" in first
    assert first.count('BGCOLOR="gold"') == 1 and second.count('BGCOLOR="gold"') == 1
    assert last.count('BGCOLOR="gold"') == 3  # x, y and z receive their gradients
    assert first.count("penwidth=2") == 2   # the two wires the mul sends gradients along


def test_fan_out_gradients_add_in_the_inputs_row():
    a = Scalar(3.0, label="a")
    out = a * a + a
    rows = backward_steps(out).rows
    assert rows[-1]["upstream"] == "a <- 7" and rows[-1]["downstream"] == ["a.grad = 7"]
    add, mul = rows[0], rows[1]
    assert add["downstream"] == ["mul1 <- 1", "a <- 1"]
    assert mul["downstream"] == ["a <- 3", "a <- 3"]


def test_tensor_steps_use_each_ops_rule_and_undo_broadcasting():
    W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.5, -0.5]), requires_grad=True, label="b")
    X = Tensor(np.array([[1.0, 0.0, -1.0]]), label="X")
    out = (X @ W + b).sigmoid().sum()
    steps = backward_steps(out)
    ops = [row["op"] for row in steps.rows]
    assert ops == ["sum", "sigmoid", "add", "matmul", "(inputs)"]
    s = 1 / (1 + np.exp(-(X.data @ W.data + b.data)))
    sigmoid_row = steps.rows[1]
    assert sigmoid_row["local"] == [f"dsigmoid1/dadd1 elementwise = [[{s[0, 0] * (1 - s[0, 0]):.4g}, "
                                    f"{s[0, 1] * (1 - s[0, 1]):.4g}]]"]
    add_row = steps.rows[2]
    assert add_row["downstream"][1] == f"b <- [{b.grad[0]:.4g}, {b.grad[1]:.4g}]"
    assert steps.rows[3]["downstream"] == [f"W <- [[{W.grad[0, 0]:.4g}, {W.grad[0, 1]:.4g}], "
                                           f"[0, 0], [{W.grad[2, 0]:.4g}, "
                                           f"{W.grad[2, 1]:.4g}]]"]
    assert "X" not in steps.rows[-1]["node"]  # X needs no gradient


@settings(max_examples=40)
@given(expressions(max_depth=3, n_vars=2), st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_gradients_passed_down_add_up_to_every_gradient(expression, xs):
    leaves = [Tensor(np.array([v, -v / 2]), requires_grad=True, label=f"x{i}")
              for i, v in enumerate(xs)]
    with np.errstate(all="ignore"):
        out = expression.build(*leaves)
        if not isinstance(out, Tensor) or out.op is None:
            return
        out = out.sum()
        steps = backward_steps(out)
    arrived = {}  # id(value) -> the sum of the gradients the table sends it (fan-out adds)
    for row in steps.rows[:-1]:
        node = row["values"][0]
        assert row["upstream"] == summary(node.grad)
        if node is not out:  # every gradient has arrived before the node's own step
            np.testing.assert_allclose(arrived[id(node)], node.grad, rtol=1e-12, atol=1e-12)
        for value, g in row["sent"]:
            arrived[id(value)] = g + arrived.get(id(value), 0.0)
    for leaf in leaves:
        if leaf.grad is not None:
            np.testing.assert_allclose(arrived[id(leaf)], leaf.grad, rtol=1e-12, atol=1e-12)
    received = {}
    last = steps.rows[-1]
    for leaf in leaves:
        if leaf.grad is not None:
            assert f"{leaf.label}.grad = {summary(leaf.grad)}" in last["downstream"]
            received[leaf.label] = leaf.grad
    assert sorted(received) == sorted(last["node"].split(", "))


def test_a_leaf_root_and_bad_input():
    x = Scalar(2.0, label="x")
    steps = backward_steps(x)
    assert [row["op"] for row in steps.rows] == ["(inputs)"]
    assert steps.rows[0]["downstream"] == ["x.grad = 1"]
    with pytest.raises(TypeError, match="backward_steps: expected a Scalar or Tensor"):
        backward_steps(1.0)
    with pytest.raises(RuntimeError, match="single-element output"):
        backward_steps(Tensor([1.0, 2.0], requires_grad=True) * 2.0)  # not a single number
    v = Tensor([1.0, 2.0], requires_grad=True, label="v")
    out = v * 2.0
    out.backward(np.array([1.0, -1.0]))  # a backward the caller ran with its own seed
    assert backward_steps(out).rows[0]["downstream"] == ["v <- [2, -2]"]
