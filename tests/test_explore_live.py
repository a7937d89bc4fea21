"""The live explorer's kernel side: replaying a recorded graph with new leaf values gives what
building the graph with those values gives (values and gradients, Scalar and Tensor, random
expressions), edits and gradient-descent steps move the right inputs and leave the user's graph
alone, bad input changes nothing, and the widget answers its view's messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Scalar, Tensor, explore, softmax_cross_entropy
from autograd.draw import ExplorerError
from autograd.draw.replay import replay
from autograd.testing import expressions


@settings(max_examples=40)
@given(expressions(max_depth=3, n_vars=2), st.lists(st.floats(-2, 2), min_size=4, max_size=4))
def test_a_replay_with_new_values_is_the_graph_built_with_them(expression, numbers):
    def build(values, kind):
        leaves = [kind(v, requires_grad=True) for v in values]
        with np.errstate(all="ignore"):
            out = expression.build(*leaves)
            if not isinstance(out, kind):  # a constant expression: no graph
                return None, leaves
            if kind is Tensor:
                out = out.sum()
            if out.requires_grad:
                out.backward()
        return out, leaves

    for kind, old, new in [(Scalar, numbers[:2], numbers[2:]),
                           (Tensor, [np.array(numbers[:2])] * 2, [np.array(numbers[2:])] * 2)]:
        out, leaves = build(old, kind)
        if out is None or not out.requires_grad or out.op is None:
            continue
        before = [np.copy(leaf.grad) for leaf in leaves]
        expected, fresh = build(new, kind)
        with np.errstate(all="ignore"):
            again, mapping = replay(out, {id(leaf): v for leaf, v in zip(leaves, new)})
        np.testing.assert_allclose(again.data, expected.data, rtol=1e-12, equal_nan=True)
        for leaf, twin in zip(leaves, fresh):
            if id(leaf) in mapping:
                np.testing.assert_allclose(mapping[id(leaf)].grad, twin.grad, rtol=1e-12,
                                           equal_nan=True)
        for leaf, grad in zip(leaves, before):  # the user's graph is as it was
            np.testing.assert_array_equal(leaf.grad, grad)


def classifier():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.1, -0.2]), requires_grad=True, label="b")
    X = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]), label="X")
    loss = softmax_cross_entropy(X @ W + b, np.array([1, 0])).mean()
    return loss, X, W, b


def node_id(explorer, name):
    (node,) = [n["id"] for n in explorer.graph()["nodes"] if n["name"] == name]
    return node


def test_edits_and_steps_of_gradient_descent_recompute_the_same_graph():
    loss, X, W, b = classifier()
    explorer = explore(loss)
    original = (W.data.copy(), W.grad.copy(), loss.data)
    explorer.set_value(node_id(explorer, "b"), "[0.5, -1]")
    b2 = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    W2 = Tensor(W.data.copy(), requires_grad=True)
    loss2 = softmax_cross_entropy(X @ W2 + b2, np.array([1, 0])).mean()
    loss2.backward()
    assert explorer.root.data == pytest.approx(loss2.data, rel=1e-12)
    shown = {i["name"]: i["grad"]["values"] for i in explorer.graph()["inputs"]}
    assert shown["b"] == pytest.approx(b2.grad.tolist(), rel=1e-12)

    explorer.descend("0.5")
    W3 = Tensor(W2.data - 0.5 * W2.grad, requires_grad=True)
    b3 = Tensor(b2.data - 0.5 * b2.grad, requires_grad=True)
    loss3 = softmax_cross_entropy(X @ W3 + b3, np.array([1, 0])).mean()
    assert explorer.root.data == pytest.approx(loss3.data, rel=1e-12)
    assert explorer.history == pytest.approx(
        [float(v) for v in (original[2], loss2.data, loss3.data)], rel=1e-12)
    X_now = [n for n in explorer.graph()["nodes"] if n["name"] == "X"][0]
    assert X_now["data"]["values"] == X.data.ravel().tolist()  # X needs no gradient: not moved
    assert explorer.graph()["lr"] == 0.5
    np.testing.assert_array_equal(W.data, original[0])  # the user's graph is untouched
    np.testing.assert_array_equal(W.grad, original[1])
    explorer.reset()
    assert explorer.root is loss and explorer.history == [float(loss.data)]


@pytest.mark.parametrize("text, message", [
    ("two", "is not a number"), ("", "type finite numbers"), ("nan", "type finite numbers"),
    ("__import__('os').system('true')", "is not a number"), ("1 2 3", "holds 2 numbers"),
])
def test_bad_values_are_refused_and_change_nothing(text, message):
    loss, X, W, b = classifier()
    explorer = explore(loss)
    before = explorer.html
    with pytest.raises(ExplorerError, match=message):
        explorer.set_value(node_id(explorer, "b"), text)
    assert explorer.html == before and explorer.history == [float(loss.data)]


def test_bad_learning_rates_and_node_ids_are_refused():
    a = Scalar(2.0, label="a")
    out = (a * a).tanh()
    explorer = explore(out)
    for lr, message in [("fast", "is not a number"), ("-1", "must be a positive number"),
                        ("0", "must be a positive number"), ("1 2", "type one number")]:
        with pytest.raises(ExplorerError, match=message):
            explorer.descend(lr)
    for node in [99, -1, "0", True, node_id(explorer, "mul1")]:
        with pytest.raises(ExplorerError, match="is not the id of one of the graph's inputs"):
            explorer.set_value(node, "1")
    assert explorer.history == [out.data]


def test_the_widget_answers_its_views_messages():
    a = Scalar(2.0, label="a")
    out = (a * a).tanh()
    out.label = "out"
    explorer = explore(out)
    widget = explorer.widget
    sent = []
    widget.send = sent.append
    assert widget.graph == explorer.graph()
    assert "explorer.js" not in widget._esm and "export default {render}" in widget._esm
    widget._on_message(widget, {"kind": "edit", "node": node_id(explorer, "a"), "text": "0.5"},
                       [])
    assert widget.graph["history"] == pytest.approx([np.tanh(4.0), np.tanh(0.25)], rel=1e-12)
    widget._on_message(widget, {"kind": "step", "lr": "0.1"}, [])
    grad = 2 * 0.5 * (1 - np.tanh(0.25) ** 2)
    assert widget.graph["history"][-1] == pytest.approx(np.tanh((0.5 - 0.1 * grad) ** 2),
                                                        rel=1e-12)
    widget._on_message(widget, {"kind": "edit", "node": node_id(explorer, "a"), "text": "x"},
                       [])
    widget._on_message(widget, {"kind": "format my disk"}, [])
    assert [m["kind"] for m in sent] == ["done", "done", "error", "error"]
    assert "not a number" in sent[2]["text"]
    assert len(widget.graph["history"]) == 3
    widget._on_message(widget, {"kind": "reset"}, [])
    assert widget.graph["history"] == [pytest.approx(np.tanh(4.0))]
