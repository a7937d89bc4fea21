"""The live explorer in a real JupyterLab (tests/jupyterlab_harness.py): after its cell runs,
editing an input's value shows the engine's gradients for the new value, a step of gradient
descent changes the root as the engine computes it, bad input changes nothing, exercise mode
works in the widget, and nothing asks beyond 127.0.0.1 or logs an error."""

import json
import math
import re

import pytest

from autograd import Scalar
from jupyterlab_harness import write_notebook

NEURON = """from autograd import Scalar, explore
w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                      zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
z = w0 * x0 + w1 * x1 + w2
z.label = "z"
a = z.sigmoid()
a.label = "a"
explore(a{options})"""


def neuron(**values):
    """The neuron of the notebook, built here with `values` for its inputs: (a, inputs)."""
    start = dict(zip(["w0", "x0", "w1", "x1", "w2"], [2.0, -1.0, -3.0, -2.0, -3.0]), **values)
    leaves = {name: Scalar(v, label=name) for name, v in start.items()}
    a = (leaves["w0"] * leaves["x0"] + leaves["w1"] * leaves["x1"] + leaves["w2"]).sigmoid()
    a.backward()
    return a, leaves


@pytest.fixture(scope="module")
def notebook(jupyterlab):
    write_notebook(jupyterlab.root / "explore.ipynb",
                   [NEURON.format(options=""), "explore(a, exercise=True)"])
    return "explore.ipynb"


class Widget:
    """The explorer widget in the output of one cell."""

    def __init__(self, lab_page, cell):
        self.lab = lab_page
        self.root = lab_page.output(cell).locator(".gg-explorer")
        self.root.wait_for(timeout=60_000)

    def js(self, script):
        return self.root.evaluate(f"(root) => {{ {script} }}")

    def node(self, name):
        return self.js(f"return Array.from(root.querySelectorAll('g.node')).find(g => "
                       f"g.querySelector('text.name').textContent === {name!r}).dataset.node")

    def data(self, name):
        return self.js(f"return JSON.parse(root.querySelector('g[data-node=\"{self.node(name)}"
                       f"\"]').dataset.data)")

    def inputs(self):
        """name -> .grad of every input, as the last step shows them."""
        self.root.locator("#last").click()
        rows = self.js("return Array.from(root.querySelectorAll('#panel tr.input')).map(r => "
                       "[r.dataset.node, r.dataset.grad])")
        names = self.js("return Object.fromEntries(Array.from(root.querySelectorAll('g.node'))"
                        ".map(g => [g.dataset.node, g.querySelector('text.name')?.textContent]))")
        return {names[node]: json.loads(grad)[0] for node, grad in rows}

    def history(self):
        return json.loads(self.js("return root.querySelector('#history svg').dataset.values"))

    def wait(self, condition, what, seconds=30):
        for _ in range(seconds * 10):
            if condition():
                return
            self.lab.page.wait_for_timeout(100)
        raise AssertionError(f"the widget did not {what} in {seconds} s")

    def edit(self, name, text):
        self.root.locator(f'g[data-node="{self.node(name)}"] text.data').click()
        field = self.root.locator("#edit")
        field.fill(text)
        field.press("Enter")


def test_editing_an_input_and_a_gradient_descent_step_show_the_engines_numbers(
        lab_page, notebook):
    lab_page.open_notebook(notebook)
    lab_page.run_all()
    widget = Widget(lab_page, 0)
    assert widget.history() == pytest.approx([neuron()[0].data], rel=1e-12)

    widget.edit("w0", "1.5")
    widget.wait(lambda: widget.data("w0") == [1.5], "show the new value of w0")
    a, leaves = neuron(w0=1.5)
    shown = widget.inputs()
    assert shown == pytest.approx({n: leaf.grad for n, leaf in leaves.items()}, rel=1e-12)
    assert widget.history() == pytest.approx([neuron()[0].data, a.data], rel=1e-12)

    widget.root.locator("#lr").fill("0.5")
    widget.root.locator("#descend").click()
    widget.wait(lambda: len(widget.history()) == 3, "take the step")
    stepped, _ = neuron(**{n: leaf.data - 0.5 * leaf.grad for n, leaf in leaves.items()})
    assert widget.history()[-1] == pytest.approx(stepped.data, rel=1e-12)
    assert widget.history()[-1] != pytest.approx(a.data)
    current = widget.js("return root.querySelector('#current').textContent")
    assert current == f"a = {stepped.data:.6g}" or current.startswith(f"a = {stepped.data:.5f}")

    widget.edit("x1", "two")  # not a number: a message, nothing changes
    widget.wait(lambda: "not a number" in widget.js("return root.querySelector('#status')"
                                                     ".textContent"), "say what is wrong")
    assert widget.js("return root.querySelector('#status').className").endswith("error")
    assert len(widget.history()) == 3 and widget.data("x1") == [-2.0 - 0.5 * leaves["x1"].grad]

    # the keys step the explorer, not the notebook (no cell selection moves)
    active = lab_page.js("window.jupyterapp.shell.currentWidget.content.activeCellIndex")
    widget.root.locator("h1").click()
    lab_page.page.keyboard.press("Home")
    lab_page.page.keyboard.press("ArrowRight")
    assert widget.js("return root.dataset.step") == "1"
    assert lab_page.js("window.jupyterapp.shell.currentWidget.content.activeCellIndex") == active
    lab_page.assert_clean()


def test_exercise_mode_in_the_widget(lab_page, notebook):
    lab_page.open_notebook(notebook)
    lab_page.run_all()
    widget = Widget(lab_page, 1)
    assert widget.js("return root.querySelector('#exercise').checked")
    widget.root.locator("#next").click()
    s = 1 / (1 + math.exp(-1.0))
    answer = widget.root.locator("#answer")
    answer.fill("0.3")
    answer.press("Enter")
    assert widget.js("return root.querySelector('#feedback').className") == "wrong"
    answer.fill("0.198")  # within 1% of 0.19661
    answer.press("Enter")
    assert widget.js("return root.querySelector('#feedback').className") == "close"
    assert "close: the exact value is 0.1966" in widget.js(
        "return root.querySelector('#feedback').textContent")
    widget.root.locator("#next").click()  # z = add(add1, w2): the next answer is asked
    answer = widget.root.locator("#answer")
    answer.fill(f"{s * (1 - s):.6f}")
    answer.press(" ")  # typing a space: no shortcut fires
    answer.press("Enter")
    assert widget.js("return root.querySelector('#feedback').className") == "right"
    assert widget.js("return root.dataset.step") == "2"
    lab_page.assert_clean()


def test_a_notebook_opened_without_running_shows_the_explorer_as_a_picture(
        jupyterlab, lab_page):
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter
    path = write_notebook(jupyterlab.root / "ran.ipynb", [NEURON.format(options="")])
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(jupyterlab.root)}}).execute()
    nbformat.write(notebook, path)  # executed, not signed: JupyterLab does not trust it
    (output,) = notebook.cells[0].outputs
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= \
        set(output["data"]) and "text/html" not in output["data"]
    assert "run the cell" in output["data"]["text/plain"]

    lab_page.open_notebook("ran.ipynb")
    picture = lab_page.output(0).locator("img")
    picture.wait_for(timeout=30_000)
    assert picture.get_attribute("src").startswith("data:image/png;base64,")
    assert picture.evaluate("(img) => img.complete && img.naturalWidth > 100")
    assert lab_page.output(0).locator(".gg-explorer").count() == 0
    lab_page.assert_clean()

    # nbconvert: with the widgets' state saved (nbclient's default) it embeds the widget, whose
    # saved state is the whole graph; without it, the picture
    exported, _ = HTMLExporter().from_notebook_node(notebook)
    assert "application/vnd.jupyter.widget-view+json" in exported and '"rootName": "a"' in \
        exported.replace("\\u0022", '"')
    del notebook.metadata["widgets"]
    exported, _ = HTMLExporter().from_notebook_node(notebook)
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', exported)) == 1
