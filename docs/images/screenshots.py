"""Make the README's two screenshots of the explorer (explorer_step.png, explorer_exercise.png)
in headless Chromium (Debian's chromium package, as the browser tests use it):

    python docs/images/screenshots.py
"""

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from autograd import Scalar, explore

HERE = Path(__file__).resolve().parent
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


def main():
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
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
        browser.close()


if __name__ == "__main__":
    main()
