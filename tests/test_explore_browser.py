"""The explorer page in a real browser: headless Chromium (Debian's `chromium` package, the
project's set-up installs it) driven by Playwright's Python package, with no browser
download. The page must load with no console error and no network request, step through the
nodes in the order backward() runs them with the engine's numbers, and run its exercise."""

import json
import math
import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor, explore
from autograd.draw.walk import all_values, edge_gradients, names_of

LOCAL = ("file:", "about:", "data:")


class Page:
    """An explorer page open in the browser; every console message, page error and request
    other than the file itself is recorded (and the request refused)."""

    def __init__(self, browser, root, path, **options):
        explore(root, **options).save(path)
        self.page = browser.new_page(viewport={"width": 900, "height": 800})
        self.problems, self.requests = [], []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())

    def _route(self, route):
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def js(self, script, *args):
        return self.page.evaluate(script, *args)

    def step(self):
        return int(self.js("document.body.dataset.step"))

    def name(self, node_id):
        return self.js(f"document.querySelector('g[data-node=\"{node_id}\"] text.name')"
                       f".textContent")

    def active(self):
        return self.js("document.getElementById('panel').dataset.active")

    def upstream(self):
        values = self.js("document.getElementById('upstream').dataset.values")
        return json.loads(values) if values else None

    def sent(self):
        """(input name, gradient values or None when hidden) of the active step's wires."""
        rows = self.js("Array.from(document.querySelectorAll('#panel tr.sent')).map(r => "
                       "[r.dataset.to, r.dataset.grad || null])")
        return [(self.name(to), json.loads(grad) if grad else None) for to, grad in rows]

    def inputs(self):
        rows = self.js("Array.from(document.querySelectorAll('#panel tr.input')).map(r => "
                       "[r.dataset.node, r.dataset.grad || null])")
        return {self.name(node): json.loads(grad) if grad else None for node, grad in rows}

    def texts(self, selector):
        return self.js(f"Array.from(document.querySelectorAll('{selector}'))"
                       f".map(e => e.textContent)")

    def wait_for_step(self, step, seconds):
        """Wait until the page shows `step` (polled: the page's CSP forbids the eval that
        Playwright's wait_for_function would use)."""
        for _ in range(int(seconds * 10)):
            if self.step() == step:
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the page did not reach step {step} in {seconds} s")

    def feedback(self):
        return self.js("[document.getElementById('feedback').className, "
                       "document.getElementById('feedback').textContent]")

    def answer(self, text):
        self.page.fill("#answer", text)
        self.page.press("#answer", "Enter")

    def close(self):
        assert not self.problems, self.problems
        assert not self.requests, f"the page asked the network for {self.requests}"
        self.page.close()


def values(x):
    return np.asarray(x, dtype=float).ravel().tolist()


def neuron():
    w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                          zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
    z = w0 * x0 + w1 * x1 + w2
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    return a, [w0, x0, w1, x1, w2]


def fan_out():
    a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
    h = a.maximum(b) + a * c
    h.label = "h"
    return h, [a, b, c]


def tensor_graph():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.1, -0.2]), requires_grad=True, label="b")
    X = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]), label="X")
    h = (X @ W + b).tanh()
    loss = (h * h).mean()
    loss.label = "loss"
    return loss, [W, b]


@pytest.mark.parametrize("build", [neuron, fan_out, tensor_graph])
def test_stepping_visits_the_nodes_in_backwards_order_with_the_engines_numbers(
        browser, tmp_path, build):
    root, inputs = build()
    root.backward()
    page = Page(browser, root, tmp_path / "page.html")
    names = names_of(all_values(root))
    assert page.active() == "forward" and page.step() == 0
    arrived = {}  # name -> the gradients the page sent it, in order
    for node in reversed(autograd.toposort(root)):  # the engine's own order
        page.page.keyboard.press("ArrowRight")
        assert page.name(page.active()) == names[id(node)]
        np.testing.assert_allclose(page.upstream(), values(node.grad), rtol=1e-12)
        sent = page.sent()
        expected = [(names[id(p)], g) for p, g in zip(node.parents,
                                                      edge_gradients(node))
                    if g is not None]
        assert [name for name, _ in sent] == [name for name, _ in expected]
        for (name, shown), (_, g) in zip(sent, expected):
            np.testing.assert_allclose(shown, values(g), rtol=1e-12)
            arrived.setdefault(name, []).append(np.array(shown))
    page.page.keyboard.press("ArrowRight")
    assert page.active() == "inputs"
    shown = page.inputs()
    assert set(shown) == {names[id(x)] for x in inputs if x.requires_grad}
    for x in inputs:
        if x.requires_grad:
            np.testing.assert_allclose(shown[names[id(x)]], values(x.grad), rtol=1e-12)
            np.testing.assert_allclose(sum(arrived[names[id(x)]]), values(x.grad), rtol=1e-12)
    page.page.keyboard.press("ArrowRight")  # the last step: nothing further
    assert page.active() == "inputs" and not page.js("document.getElementById('next').disabled"
                                                      " === false")
    page.page.keyboard.press("Home")
    assert page.step() == 0
    page.close()


def test_the_nodes_show_values_gradients_and_fan_out_sums_as_they_add_up(browser, tmp_path):
    h, (a, b, c) = fan_out()
    page = Page(browser, h, tmp_path / "page.html")
    node_a = page.js("Array.from(document.querySelectorAll('g.node')).find(g => "
                     "g.querySelector('text.name').textContent === 'a').dataset.node")

    def a_texts():
        return page.texts(f'g[data-node="{node_a}"] text')

    assert a_texts() == ["a", "data 3", "grad \u2013", "0 of 2 arrived"]
    page.page.click("#next")
    page.page.click("#next")  # the add, then the mul sends c = -2 to a
    assert a_texts()[2:] == ["grad -2", "1 of 2 so far"]
    assert page.js("document.querySelectorAll('g.wire.active').length") == 2
    page.page.click("#next")  # max routes 1 to a: -2 + 1
    assert a_texts()[2:] == ["grad -1", "sum of 2 gradients"]
    assert "max routes" in page.js("document.getElementById('panel').textContent")
    page.page.click("#next")
    assert page.inputs() == {"a": [-1.0], "b": [0.0], "c": [3.0]}
    assert page.js("document.querySelectorAll('g.node.active').length") == 3
    page.close()


def test_play_runs_to_the_end_and_pauses(browser, tmp_path):
    root, _ = neuron()
    page = Page(browser, root, tmp_path / "page.html")
    page.page.keyboard.press(" ")
    assert page.texts("#play") == ["\u23f8 Pause"]
    page.wait_for_step(6, seconds=15)
    assert page.texts("#play") == ["\u25b6 Play"] and page.active() == "inputs"
    page.page.keyboard.press(" ")  # from the end, play starts again
    page.wait_for_step(1, seconds=5)
    page.page.keyboard.press(" ")  # pause
    stopped = page.step()
    page.page.wait_for_timeout(1500)
    assert page.step() == stopped
    page.close()


def test_exercise_mode_hides_gradients_accepts_right_answers_and_flags_wrong_ones(
        browser, tmp_path):
    root, inputs = neuron()
    root.backward()
    page = Page(browser, root, tmp_path / "page.html", exercise=True)
    assert page.js("document.getElementById('exercise').checked")
    page.page.keyboard.press("ArrowRight")  # step 1: the sigmoid sends its gradient to z
    s = 1 / (1 + math.exp(-1.0))
    assert page.sent() == [("z", None)]
    assert sorted(page.texts("g.wire text.gradient")) == [""] * 8 + ["?"]
    page.page.keyboard.press("ArrowRight")  # typed into the answer box, not a step
    page.page.click("#next")  # not answered: stepping waits
    assert page.step() == 1 and page.feedback()[0] == "wrong"
    page.answer("0.25")
    kind, text = page.feedback()
    assert kind == "wrong" and "sigmoid: the local gradient is out \u00b7 (1 \u2212 out)" in text
    assert page.sent() == [("z", None)]
    page.answer(f"{s * (1 - s):.4f}")
    kind, text = page.feedback()
    assert kind == "right" and "upstream \u00d7 local gradient = 1 \u00d7 0.1966 = 0.1966" in text
    assert page.sent()[0][1] == pytest.approx([s * (1 - s)], rel=1e-12)
    page.page.keyboard.press("ArrowRight")  # step 2: z = add(add1, w2): two answers in turn
    assert page.sent() == [("add1", None), ("w2", None)]
    page.answer("0.1966")
    assert page.feedback()[0] == "right" and page.sent()[1] == ("w2", None)
    page.page.click("#reveal")
    kind, text = page.feedback()
    assert kind == "revealed" and "add distributes: w2 receives the upstream gradient" in text
    answers = {"mul1": s * (1 - s), "mul2": s * (1 - s), "w0": -s * (1 - s),
               "x0": 2 * s * (1 - s), "w1": -2 * s * (1 - s), "x1": -3 * s * (1 - s)}
    while page.active() != "inputs":
        page.page.keyboard.press("ArrowRight")
        for name, hidden in page.sent():
            assert hidden is None
            page.answer(f"{answers[name]:.6g}")
            assert page.feedback()[0] == "right", page.feedback()
    shown = {name: grad[0] for name, grad in page.inputs().items()}
    assert shown == pytest.approx({x.label: x.grad for x in inputs}, rel=1e-12)  # no fan-out
    assert page.texts("#score") == ["8 right, 1 revealed, of 9"]
    page.page.click("#exercise")  # leaving exercise mode shows everything from the start
    assert page.step() == 0 and page.texts("#score") == [""]
    page.close()


def test_exercise_asks_for_fan_out_sums_and_small_tensor_gradients(browser, tmp_path):
    h, (a, b, c) = fan_out()
    page = Page(browser, h, tmp_path / "h.html", exercise=True)
    for answer in ["1", "1", "-2", "3", "1", "0"]:  # add, mul (a, c), max (a, b)
        if not page.js("document.getElementById('answer')"):
            page.page.keyboard.press("ArrowRight")
        page.answer(answer)
        assert page.feedback()[0] == "right", (answer, page.feedback())
    page.page.keyboard.press("ArrowRight")  # the inputs: a's .grad is the sum, -2 + 1
    assert page.inputs() == {"a": None, "b": [0.0], "c": [3.0]}
    page.answer("-3")
    assert page.feedback()[0] == "wrong" and "fan-out adds: a is used 2 times" in \
        page.feedback()[1]
    page.answer("-1")
    assert page.feedback() == ["right", "\u2713 Right: -2 + 1 = -1. fan-out adds: a is used 2 "
                               "times, so its gradient is the sum of the 2 gradients sent to "
                               "it."]
    assert page.inputs()["a"] == [-1.0]
    page.close()

    loss, (W, b) = tensor_graph()
    loss.backward()
    page = Page(browser, loss, tmp_path / "t.html", exercise=True)
    page.page.keyboard.press("ArrowRight")  # the mean sends 0.25 to each of the 4 elements
    page.answer("0.25 0.25")
    assert page.feedback()[0] == "wrong" and "4 numbers" in page.feedback()[1]
    page.answer("[[0.25, 0.25], [0.25, 0.25]]")
    assert page.feedback()[0] == "right"
    assert page.sent()[0][1] == [0.25] * 4
    page.close()


HOSTILE = ["</script><script>window.pwned = 1</script>", "<img src=x onerror='window.pwned=2'>",
           "<!--", "${window.pwned = 3}", '"quotes" & \'apostrophes\'', "\u2028"]


def test_hostile_labels_are_shown_literally_and_nothing_runs(browser, tmp_path):
    leaves = [Scalar(float(i + 1), label=label) for i, label in enumerate(HOSTILE)]
    out = leaves[0]
    for leaf in leaves[1:]:
        out = out + leaf
    out.label = "<b>out</b>"
    page = Page(browser, out, tmp_path / "page.html", title="<i>title</i>")
    assert page.js("window.pwned === undefined")
    names = page.texts("g.node text.name")
    assert set(HOSTILE) | {"<b>out</b>"} <= set(names)
    assert page.texts("h1") == ["<i>title</i>"]
    assert page.js("document.querySelectorAll('img, b, i').length") == 0
    page.page.keyboard.press("End")
    assert page.js("window.pwned === undefined")
    page.close()  # no request: the <img> never existed


VISIBLE_NAMES = """() => {
  const area = document.getElementById('graph').getBoundingClientRect();
  const inside = (e) => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.left >= area.left - 1 && r.right <= area.right + 1; };
  const shown = Array.from(document.querySelectorAll('g.node text.name')).filter(inside)
    .map(e => e.textContent);
  const pinned = Array.from(document.querySelectorAll('#graph .pin'))
    .filter(e => getComputedStyle(e).display !== 'none' && inside(e)).map(e => e.textContent);
  return shown.concat(pinned);
}"""


PINNED_BOXES = """Array.from(document.querySelectorAll('#graph .pin'))
  .filter(e => getComputedStyle(e).display !== 'none')
  .map(e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; })"""


def test_a_wide_graph_keeps_its_input_names_in_view_at_every_step(browser, tmp_path):
    x, w = Scalar(0.5, label="x"), Scalar(-1.5, label="w")
    out = x * w
    for i in range(10):  # a long chain: wider than the page even shrunk to the smallest scale
        out = (out + Scalar(0.1 * i, label=f"b{i}")).tanh() if i % 2 else out.sigmoid()
    out.label = "out"
    out.backward()
    page = Page(browser, out, tmp_path / "page.html")
    assert page.js("document.getElementById('graph').scrollWidth > "
                   "document.getElementById('graph').clientWidth")  # it does scroll
    for step in range(page.js("Number(document.getElementById('counter').textContent"
                              ".split(' of ')[1]) || 0") + 2):
        visible = page.js(VISIBLE_NAMES)
        assert {"x", "w"} <= set(visible), (step, visible)
        pinned = page.js(PINNED_BOXES)  # pinned names never cover one another
        for i, (top, bottom) in enumerate(pinned):
            assert all(bottom <= other_top or other_bottom <= top
                       for other_top, other_bottom in pinned[i + 1:]), (step, pinned)
        page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("End")
    assert {"x", "w"} <= set(page.js(VISIBLE_NAMES))
    page.close()
