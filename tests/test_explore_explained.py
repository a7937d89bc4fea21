"""The explorer page explains Tensor steps as the engine computes them (a broadcast input
receives the upstream summed over the broadcast axes, matmul is upstream @ Wᵀ and Xᵀ @ upstream,
softmax cross-entropy is softmax(z) − onehot(labels) over N with the labels shown), accepts a
close answer with the exact value, keeps Space and Enter for a focused button, and fits a wide
graph so that its inputs' names stay in view. In headless Chromium (tests/conftest.py)."""

import json
import math

import numpy as np
import pytest

from autograd import Scalar, Tensor, backward_steps, softmax_cross_entropy
from test_explore_browser import Page, neuron


def classifier():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.1, -0.2]), requires_grad=True, label="b")
    X = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]), label="X")
    z = X @ W + b
    z.label = "z"
    labels = np.array([1, 0])
    loss = softmax_cross_entropy(z, labels).mean()
    loss.label = "loss"
    loss.backward()
    return loss, X, W, b, z, labels


def go_to(page, op):
    """Step until the panel's heading names `op`."""
    for _ in range(20):
        if f"({op})" in page.js("document.querySelector('#panel h2').textContent"):
            return
        page.page.click("#next")
    raise AssertionError(f"no step of {op}")


def facts(page, to_name):
    """label -> values of the numbers the panel shows behind `to_name`'s gradient."""
    node = page.js(f"Array.from(document.querySelectorAll('g.node')).find(g => g.querySelector("
                   f"'text.name').textContent === {to_name!r}).dataset.node")
    rows = page.js(f"Array.from(document.querySelectorAll('#panel .details[data-to=\"{node}\"] "
                   f"tr.fact')).map(r => [r.dataset.label, r.dataset.values || null, "
                   f"r.textContent])")
    return {label: (None if values is None else np.array(json.loads(values)), text)
            for label, values, text in rows}


def headers(page):
    return page.texts("#panel table:first-of-type th")


def test_tensor_steps_say_what_the_rule_computes(browser, tmp_path):
    loss, X, W, b, z, labels = classifier()
    page = Page(browser, loss, tmp_path / "page.html")
    go_to(page, "softmax_cross_entropy")
    z_facts = facts(page, "z")
    assert z_facts["labels"][1] == "labels[1, 0]"  # the labels are on the page
    softmax = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    onehot = np.eye(2)[labels]
    np.testing.assert_allclose(z_facts["softmax(z)"][0], softmax.ravel(), rtol=1e-12)
    np.testing.assert_allclose(z_facts["onehot(labels)"][0], onehot.ravel())
    formula = "(softmax(z) \u2212 onehot(labels)) / 2"
    np.testing.assert_allclose(z_facts[formula][0], ((softmax - onehot) / 2).ravel(), rtol=1e-12)
    np.testing.assert_allclose(z_facts[formula][0], z.grad.ravel(), rtol=1e-12)
    assert "local gradient" not in " ".join(headers(page))
    assert "/ N" in page.js("document.getElementById('panel').textContent")

    go_to(page, "add")  # z = X @ W + b: b was broadcast over the 2 rows
    assert headers(page)[1] == "local gradient"
    text = page.js("document.getElementById('panel').textContent")
    assert "b (2,) was broadcast along axis 0 of (2, 2)" in text and "unchanged" not in text
    b_facts = facts(page, "b")
    np.testing.assert_allclose(b_facts["upstream \u00d7 local gradient"][0], z.grad.ravel(),
                               rtol=1e-12)
    np.testing.assert_allclose(b_facts["summed over axis 0"][0], z.grad.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(b_facts["summed over axis 0"][0], b.grad, rtol=1e-12)
    local = page.js("Array.from(document.querySelectorAll('#panel tr.sent')).map(r => "
                    "r.dataset.local)")
    assert local == ["[1,1,1,1]", "[1,1,1,1]"]  # the elementwise local gradient, not [2, 2]

    go_to(page, "matmul")
    assert "local gradient" not in " ".join(headers(page))
    assert page.texts("#panel tr.sent td.formula") == ["X\u1d40 @ upstream"]  # X needs none
    w_facts = facts(page, "W")
    np.testing.assert_allclose(w_facts["X\u1d40"][0], X.data.T.ravel())
    np.testing.assert_allclose(w_facts["X\u1d40 @ upstream"][0], (X.data.T @ z.grad).ravel(),
                               rtol=1e-12)
    np.testing.assert_allclose(w_facts["X\u1d40 @ upstream"][0], W.grad.ravel(), rtol=1e-12)
    assert "the upstream gradient (2, 2) becomes W's gradient (3, 2)" in \
        page.js("document.getElementById('panel').textContent")
    page.close()


def test_reductions_and_reshapes_say_what_they_do_to_the_gradients_shape(browser, tmp_path):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    y = x.reshape((3, 2)).sum(axis=1)
    y.label = "y"
    out = y[1:].mean()
    out.label = "out"
    page = Page(browser, out, tmp_path / "page.html")
    texts = []
    for _ in range(4):
        page.page.click("#next")
        texts.append(page.js("document.getElementById('panel').textContent"))
    mean, getitem, total, reshape = texts
    assert "the upstream gradient () becomes" in mean and "over all axes" in mean
    assert "selected by [slice(1, None, None)]" in getitem and "(2,) becomes y's" in getitem
    assert "along axis 1" in total and "(3,) becomes" in total
    assert "reshaped back" in reshape and "(3, 2) becomes x's gradient (2, 3)" in reshape
    page.close()


def test_the_step_table_explains_tensor_steps_the_same_way():
    loss, X, W, b, z, labels = classifier()
    rows = {row["op"]: row for row in backward_steps(loss).rows}
    assert rows["add"]["local"][1] == ("dz/db elementwise = [[1, 1], [1, 1]]; upstream \u00d7 "
                                       "local summed over axis 0 (broadcast)")
    assert rows["matmul"]["local"] == ["X\u1d40 @ upstream; shape (2, 2) -> (3, 2)"]
    assert rows["softmax_cross_entropy"]["local"] == [
        "(softmax(z) \u2212 onehot(labels)) / 2; shape (2,) -> (2, 2)"]


def test_a_close_answer_gets_the_exact_value(browser, tmp_path):
    root, _ = neuron()
    page = Page(browser, root, tmp_path / "page.html", exercise=True)
    page.page.click("#next")
    s = 1 / (1 + math.exp(-1.0))
    exact = s * (1 - s)
    page.answer(f"{exact * 1.05:.4f}")  # 5% off: wrong
    assert page.feedback()[0] == "wrong"
    page.answer(f"{exact * 1.008:.4f}")  # within 1%
    kind, text = page.feedback()
    assert kind == "close" and text.startswith("\u2248 close: the exact value is 0.1966")
    assert page.sent()[0][1] == pytest.approx([exact], rel=1e-12)  # accepted, now shown
    assert page.texts("#score") == ["0 right, 1 close, 0 revealed, of 9"]
    page.close()


def test_space_and_enter_press_a_focused_button_and_typing_triggers_nothing(browser, tmp_path):
    root, _ = neuron()
    page = Page(browser, root, tmp_path / "page.html")
    page.page.focus("#next")
    page.page.keyboard.press(" ")
    assert page.step() == 1 and page.texts("#play") == ["\u25b6 Play"]  # Next, not Play
    page.page.keyboard.press("Enter")
    assert page.step() == 2
    page.page.focus("#back")
    page.page.keyboard.press("Enter")
    assert page.step() == 1
    page.page.focus("#exercise")
    page.page.keyboard.press(" ")  # the checkbox toggles: exercise mode, from the start
    assert page.js("document.getElementById('exercise').checked") and page.step() == 0
    page.page.click("#next")
    for key in ["ArrowLeft", "ArrowRight", " ", "Home", "End"]:  # typed into the answer
        page.page.press("#answer", key)
    assert page.step() == 1 and page.texts("#play") == ["\u25b6 Play"]
    page.close()


def test_a_wide_graph_fits_and_keeps_its_inputs_names_in_view(browser, tmp_path):
    leaves = [Scalar(float(i), label=f"input_number_{i}") for i in range(3)]
    out = leaves[0]
    for i in range(14):  # a long chain: far wider than the window
        out = (out * leaves[(i + 1) % 3]).tanh() + leaves[i % 3]
    out.label = "out"
    page = Page(browser, out, tmp_path / "page.html")
    scale = float(page.js("document.getElementById('graph').dataset.scale"))
    assert 0.7 <= scale < 1
    area = page.js("(() => { const r = document.getElementById('graph')"
                   ".getBoundingClientRect(); return [r.left, r.right]; })()")
    boxes = page.js("Array.from(document.querySelectorAll('g.node')).filter(g => "
                    "g.querySelector('text.name').textContent.startsWith('input_number_'))"
                    ".map(g => { const r = g.querySelector('text.name').getBoundingClientRect();"
                    " return [r.left, r.right]; })")
    assert len(boxes) == 3
    for left, right in boxes:
        assert area[0] <= left and right <= area[1] + 1
    page.close()
