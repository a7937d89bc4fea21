"""The committed course notebooks, opened in JupyterLab without running them (untrusted: only
"safe" outputs render, PNG yes, SVG no), show a picture for every picture output, and their
nbconvert HTML export shows them too. The notebooks are copied to the test's directory; the
server is tests/jupyterlab_harness.py's (127.0.0.1, Debian's Chromium through Playwright)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((PROJECT / "notebooks").glob("*.ipynb"))
PICTURES = ("image/png", "image/svg+xml")
ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # <autograd.draw.Diagram at 0x7f...>: no text fallback


def picture_outputs(path, html=False, widgets=True):
    """{cell index: how many outputs of the cell are pictures} for the notebook at `path`,
    failing if a picture output has no PNG (an untrusted notebook would show no picture).
    Unless `html`, outputs that also carry HTML (a step table: JupyterLab and nbconvert show
    its HTML, not the PNG) are not counted; unless `widgets`, neither are widgets whose state
    the notebook saved (nbconvert renders those as widgets, through its widget manager)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    saved = notebook.get("metadata", {}).get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    counts = {}
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = "".join(data.get("text/plain", ""))
            assert not ADDRESS.search(text), (
                f"{path.name}, cell {index}: {text!r} is no text fallback (re-run the notebook)")
            if text.startswith(("<autograd.", "<nn.")):  # gategrad's display objects
                assert "image/png" in data, (
                    f"{path.name}, cell {index}: {text[:60]!r} carries no PNG ({sorted(data)})")
            if any(kind in data for kind in PICTURES):
                assert "image/png" in data, (
                    f"{path.name}, cell {index}: a picture output without a PNG "
                    f"({sorted(data)}), which an untrusted notebook cannot show")
                widget = data.get("application/vnd.jupyter.widget-view+json", {})
                if (html or "text/html" not in data) and (
                        widgets or widget.get("model_id") not in saved):
                    counts[index] = counts.get(index, 0) + 1
    return counts


# the cells of the notebook in the current tab (the workspace may hold earlier tabs too)
IMAGES = """(i) => {
  const cell = window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-Cell')[i];
  cell.scrollIntoView();
  return Array.from(cell.querySelectorAll('.jp-OutputArea-output img'))
    .filter(img => img.complete && img.naturalWidth > 0).length;
}"""


def test_every_course_notebook_has_pictures():
    assert len(NOTEBOOKS) >= 6
    assert sum(len(picture_outputs(path, html=True)) for path in NOTEBOOKS) >= 5


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_an_unrun_notebook_shows_every_picture_in_jupyterlab(notebook, jupyterlab, lab_page):
    shutil.copy(notebook, jupyterlab.root / notebook.name)
    expected = picture_outputs(jupyterlab.root / notebook.name)
    cells = len(json.loads(notebook.read_text(encoding="utf-8"))["cells"])
    lab_page.page.goto(f"{jupyterlab.url}/lab/tree/{notebook.name}?reset")  # no earlier tabs
    lab_page.page.wait_for_function(
        f"(() => {{ const w = window.jupyterapp?.shell.currentWidget;"
        f" return w?.context?.path === {json.dumps(notebook.name)} &&"
        f" w.node.querySelectorAll('.jp-Cell').length === {cells}; }})()", timeout=120_000)
    trusted = lab_page.js("() => window.jupyterapp.shell.currentWidget.content.model.cells"
                          ".get(0).trusted")
    assert trusted is False  # opened as a reader opens it: nothing run, nothing trusted
    for index, count in expected.items():
        lab_page.page.wait_for_function(f"({IMAGES})({index}) >= {count}", timeout=30_000)
        assert lab_page.js(IMAGES, index) == count, (notebook.name, index)
    lab_page.assert_clean()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_nbconvert_html_export_shows_every_picture(notebook, tmp_path):
    shutil.copy(notebook, tmp_path / notebook.name)
    expected = sum(picture_outputs(tmp_path / notebook.name, widgets=False).values())
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html",
                    notebook.name], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    page = (tmp_path / notebook.name).with_suffix(".html").read_text(encoding="utf-8")
    # nbconvert inlines an SVG, or a PNG as a data URL, for each picture output (HTML first:
    # a step table shows as its table)
    shown = page.count('<div class="jp-RenderedSVG') + page.count('<div class="jp-RenderedImage')
    assert shown == expected, (notebook.name, shown, expected)
