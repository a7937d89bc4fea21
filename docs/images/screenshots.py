"""Make the README's screenshots of the explorer in headless Chromium (Debian's chromium
package, as the browser tests use it): the page (explorer_step.png, explorer_exercise.png,
explorer_tensor.png) and the live widget in a real JupyterLab started from this environment on
127.0.0.1 by the tests' harness (explorer_live.png):

    python docs/images/screenshots.py
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

from autograd import Scalar, Tensor, explore

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # the JupyterLab harness of the tests
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def neuron():
    w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                          zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
    a = (w0 * x0 + w1 * x1 + w2).sigmoid()
    a.label = "a"
    return a


def fan_out():
    a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
    h = a.maximum(b) + a * c
    h.label = "h"
    return h


def layer():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.1, -0.2]), requires_grad=True, label="b")
    X = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]), label="X")
    h = X @ W + b
    h.label = "h"
    loss = h.tanh().mean()
    loss.label = "loss"
    return loss


LIVE = """from autograd import Scalar, explore
w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                      zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
a = (w0 * x0 + w1 * x1 + w2).sigmoid()
a.label = "a"
explore(a, title="A sigmoid neuron, live: w0 edited to 0.5, then 4 steps of gradient descent")
"""


def live(browser, folder):
    """The widget in JupyterLab after an edit and a few steps of gradient descent."""
    from jupyterlab_harness import JupyterLab, LabPage, write_notebook
    root = Path(folder) / "lab"
    root.mkdir()
    write_notebook(root / "live.ipynb", [LIVE])
    with JupyterLab(root, Path(folder) / "lab-home") as lab:
        tab = LabPage(browser, lab, viewport=(1200, 1000))
        tab.open_notebook("live.ipynb")
        tab.command("application:toggle-left-area")  # the file browser closed: more room
        tab.run_all()
        widget = tab.output(0).locator(".gg-explorer")
        node = widget.evaluate("(root) => Array.from(root.querySelectorAll('g.node')).find(g => "
                               "g.querySelector('text.name').textContent === 'w0').dataset.node")
        for count in range(1, 6):
            if count == 1:
                widget.locator(f'g[data-node="{node}"] text.data').click()
                widget.locator("#edit").fill("0.5")
                widget.locator("#edit").press("Enter")
            else:
                widget.locator("#lr").fill("2")
                widget.locator("#descend").click()
            widget.locator("#history svg[data-values]").wait_for()
            tab.page.wait_for_function(
                "([root, n]) => JSON.parse(root.querySelector('#history svg').dataset.values)"
                ".length === n", arg=[widget.element_handle(), count + 1], polling=100)
        widget.locator("#next").click()
        widget.locator("#next").click()
        tab.page.mouse.move(0, 0)
        widget.screenshot(path=HERE / "explorer_live.png")
        tab.assert_clean()
        tab.close()


def main():
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        live(browser, folder)
        page = browser.new_page(viewport={"width": 900, "height": 600})
        path = explore(neuron(), title="A sigmoid neuron, step 4: mul2 sends its gradient "
                                       "down").save(Path(folder) / "neuron.html")
        page.goto(path.as_uri())
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        page.screenshot(path=HERE / "explorer_step.png", full_page=True)
        path = explore(fan_out(), exercise=True,
                       title="Exercise: h = max(a, b) + a c").save(Path(folder) / "h.html")
        page.goto(path.as_uri())
        for answer in ["1", "1", "-2", "3", "1", "0"]:
            if not page.query_selector("#answer"):
                page.click("#next")
            page.fill("#answer", answer)
            page.press("#answer", "Enter")
        page.click("#next")
        page.fill("#answer", "-1")
        page.press("#answer", "Enter")
        page.screenshot(path=HERE / "explorer_exercise.png", full_page=True)
        path = explore(layer(), title="A Tensor layer, step 3: the bias b receives the upstream "
                                      "summed over the batch rows").save(Path(folder) / "t.html")
        page.goto(path.as_uri())
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.screenshot(path=HERE / "explorer_tensor.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
