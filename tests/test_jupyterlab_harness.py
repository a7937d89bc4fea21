"""The JupyterLab test harness itself (tests/jupyterlab_harness.py): the server serves only the
test's directory, from this environment, to 127.0.0.1 only, its kernels import this checkout,
and a notebook runs in a real browser with no console error and no request beyond 127.0.0.1."""

import json
import socket
import sys
import urllib.request

from jupyterlab_harness import PROJECT, write_notebook


def test_a_notebook_runs_in_jupyterlab_on_this_environment_and_checkout(jupyterlab, lab_page):
    assert PROJECT not in jupyterlab.root.parents and jupyterlab.root != PROJECT
    write_notebook(jupyterlab.root / "where.ipynb", [
        "import sys, autograd\nprint(sys.executable)\nprint(autograd.__file__)",
        "md:# a heading",
        "6 * 7"])
    with urllib.request.urlopen(f"{jupyterlab.url}/api/contents") as answer:
        listed = json.load(answer)["content"]
    assert [item["name"] for item in listed] == ["where.ipynb"]  # the test's folder, no token
    with socket.socket() as s:  # nothing but the loopback address is served
        s.settimeout(1)
        address = socket.gethostbyname(socket.gethostname())
        if not address.startswith("127."):
            assert s.connect_ex((address, jupyterlab.port)) != 0
    lab_page.open_notebook("where.ipynb")
    lab_page.run_all()
    executable, module = lab_page.outputs_text(0).split()
    assert executable == sys.executable
    assert module.startswith(str(PROJECT / "autograd"))
    assert lab_page.outputs_text(2).strip() == "42"
    lab_page.assert_clean()
