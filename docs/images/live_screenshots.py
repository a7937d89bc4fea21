"""Make the README's screenshot of the live training view (live_training.png): two moons trained
with `nn.fit(..., live=True)` in a real JupyterLab (the test harness's: 127.0.0.1, no token, a
temporary directory), in headless Chromium (Debian's chromium package):

    python docs/images/live_screenshots.py
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))
from jupyterlab_harness import JupyterLab, LabPage, launch_browser, write_notebook  # noqa: E402 (beside the tests)

CELLS = [
    ("import nn\n"
     "X, y = nn.data.make_moons(200, noise=0.1, seed=0)\n"
     "model = nn.MLP([2, 16, 16, 1], activation='relu', rng=0)\n"
     "optimizer = nn.SGD(model.parameters(), lr=0.05, momentum=0.9)"),
    ("history = nn.fit(model, nn.binary_cross_entropy_with_logits, optimizer, (X, y),\n"
     "                 epochs=100, batch_size=8, quiet=True, live=True)"),
]


def main():
    with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as home, \
            JupyterLab(root, home) as lab, sync_playwright() as playwright:
        write_notebook(Path(root) / "live.ipynb", CELLS)
        browser = launch_browser(playwright)
        page = LabPage(browser, lab, viewport=(1100, 1200))
        page.open_notebook("live.ipynb")
        page.run_all(seconds=600)
        page.command("application:toggle-left-area")
        view = page.page.locator(".gg-live")
        view.wait_for()
        page.page.wait_for_timeout(500)
        view.screenshot(path=HERE / "live_training.png")
        page.assert_clean()
        browser.close()


if __name__ == "__main__":
    main()
