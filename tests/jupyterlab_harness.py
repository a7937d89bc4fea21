"""A real JupyterLab for the tests: a server from the project's own environment on 127.0.0.1,
driven by Playwright's Python package and Debian's Chromium (no downloaded browser).

`JupyterLab(root)` starts `python -m jupyter lab` (sys.executable: the environment running the
tests) at a free port with no token and no browser, its root a directory the test fills
(tmp_path, never the project folder), with every feature that would reach the internet turned
off (news, update checks, the extension manager's PyPI listing) and its settings, workspaces and
runtime files in a directory of its own. Kernels import this checkout's `autograd` and `nn`
(PYTHONPATH). `LabPage` is one browser tab on it that records every console error, page error
and request to a host other than 127.0.0.1 (and refuses those requests), with helpers to open a
notebook, run cells and wait for their outputs. The fixtures in tests/conftest.py start one
server and one browser per test module.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_SCHEMES = ("file", "about", "data", "blob")
STARTUP_SECONDS = 90   # a cold JupyterLab on a busy 2-core machine
KERNEL_SECONDS = 90
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook shown

# JupyterLab's own settings that would otherwise ask the internet from the page
_LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def launch_browser(playwright):
    """Debian's Chromium, headless, through Playwright (fails with what to install)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"the browser tests need Debian's chromium at {CHROMIUM}: run "
                           f"'make install' (or 'sudo apt-get install chromium'), or set "
                           f"CHROMIUM; Playwright's own browser download is not used")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path, cells):
    """Write a notebook of code cells (a string each; "md:" starts a markdown cell) with the
    python3 kernel named, so JupyterLab starts it without asking. Returns the path."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:")
                      else nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(notebook, str(path))
    return Path(path)


class JupyterLab:
    """A JupyterLab server serving `root` (a test's directory). Use as a context manager."""

    def __init__(self, root, home):
        self.root, self.home = Path(root), Path(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = self.home / "jupyterlab.log"

    def _environment(self):
        config, settings = self.home / "config", self.home / "settings"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.json").write_text(json.dumps({
            "ServerApp": {"ip": "127.0.0.1", "port": self.port, "port_retries": 0,
                          "open_browser": False, "root_dir": str(self.root),
                          "allow_remote_access": False,
                          "allow_root": hasattr(os, "geteuid") and os.geteuid() == 0},
            "IdentityProvider": {"token": ""},
            "PasswordIdentityProvider": {"hashed_password": ""},
            "LabApp": {"news_url": None, "extension_manager": "readonly",
                       "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                       "expose_app_in_browser": True},
            "LabServerApp": {"workspaces_dir": str(self.home / "workspaces")},
        }))
        for name, values in _LAB_SETTINGS.items():
            target = settings / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
        path = os.pathsep.join(p for p in [str(PROJECT), environment.get("PYTHONPATH")] if p)
        environment.update({
            "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
            "IPYTHONDIR": str(self.home / "ipython"), "PYTHONPATH": path,
            "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1",
            "JUPYTER_DATA_DIR": str(self.home / "data"),
        })
        return environment

    def start(self):
        """Start the server and wait until it answers (its log is in `self.log`)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter", "lab", "--no-browser"],
                cwd=self.root, env=self._environment(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.process.returncode}):\n"
                                   f"{self.log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer in {STARTUP_SECONDS} s:\n"
                           f"{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self):
        """Shut the server and its kernels down (SIGTERM, then SIGKILL of its group)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # jupyter_server shuts its kernels down, then exits
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class LabPage:
    """One browser tab on a JupyterLab; `problems` and `requests` collect console errors and
    requests beyond 127.0.0.1."""

    def __init__(self, browser, lab, viewport=(1280, 900)):
        self.lab = lab
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.problems, self.requests = [], []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.route("**/*", self._route)

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in LOCAL_SCHEMES or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def js(self, script, arg=None):
        return self.page.evaluate(script, arg)

    def open_notebook(self, name):
        """Open `name` (relative to the server's root) and wait for its kernel to be idle."""
        self.page.goto(f"{self.lab.url}/lab/tree/{name}?reset")  # no earlier test's tabs
        self.page.wait_for_selector(f"{CURRENT} .jp-Cell", timeout=KERNEL_SECONDS * 1000)
        self.wait_for_kernel()
        return self

    def _notebook(self):
        return ("(() => { const w = window.jupyterapp.shell.currentWidget; "
                "return w && w.content && w.sessionContext ? w : null; })()")

    def kernel_status(self):
        return self.js(f"{self._notebook()}?.sessionContext.session?.kernel?.status ?? null")

    def wait_for_kernel(self, seconds=KERNEL_SECONDS):
        """Wait until the notebook's kernel is idle (started, or done running)."""
        self.page.wait_for_function(
            f"{self._notebook()}?.sessionContext.session?.kernel?.status === 'idle'",
            timeout=seconds * 1000, polling=100)

    def command(self, name, args=None):
        """Run a JupyterLab command (e.g. 'notebook:run-all-cells')."""
        return self.js("([name, args]) => window.jupyterapp.commands.execute(name, args)",
                       [name, args or {}])

    def run_all(self, seconds=KERNEL_SECONDS):
        """Run every cell and wait until all have finished."""
        self.command("notebook:run-all-cells")
        self.wait_until_run(seconds)

    def run_cell(self, index, seconds=KERNEL_SECONDS):
        """Run the cell at `index` (0-based) and wait until it has finished."""
        self.js(f"(i) => {{ {self._notebook()}.content.activeCellIndex = i; }}", index)
        self.command("notebook:run-cell")
        self.wait_until_run(seconds)

    def wait_until_run(self, seconds=KERNEL_SECONDS):
        """Wait until no cell is queued or running and the kernel is idle."""
        self.page.wait_for_timeout(200)  # let the execute requests reach the kernel
        self.page.wait_for_function(
            f"(() => {{ const w = {self._notebook()}; if (!w) return false;"
            f" const cells = w.content.widgets.filter(c => c.model.type === 'code');"
            f" return w.sessionContext.session?.kernel?.status === 'idle' &&"
            f" cells.every(c => !c.promptNode || !c.promptNode.textContent.includes('*'));"
            f" }})()", timeout=seconds * 1000, polling=100)

    def output(self, index):
        """A Playwright locator of the output area of the cell at `index`."""
        return self.page.locator(f"{CURRENT} .jp-Cell").nth(index).locator(".jp-OutputArea")

    def outputs_text(self, index):
        """The text of the outputs of the cell at `index` (without the prompt)."""
        return "\n".join(self.output(index).locator(".jp-OutputArea-output").all_inner_texts())

    def assert_clean(self, allow=()):
        """No console error (other than those containing a text of `allow`), no page error,
        no request beyond 127.0.0.1."""
        problems = [p for p in self.problems if not any(a in p for a in allow)]
        assert not problems, problems
        assert not self.requests, f"the page asked the network for {self.requests}"

    def close(self):
        self.page.close()
