"""nn.fit(..., live=True) in a real JupyterLab (tests/jupyterlab_harness.py: a server on
127.0.0.1 from this environment, Debian's Chromium through Playwright): while make_moons trains,
the widget's curves grow and its decision boundary changes, the numbers it ends on are the
history's, and nothing is asked of the network and nothing goes to the console as an error."""

import json
import time

from jupyterlab_harness import write_notebook

SETUP = """\
import json, nn
X, y = nn.data.make_moons(200, noise=0.1, seed=0)
model = nn.MLP([2, 16, 16, 1], activation="relu", rng=0)
optimizer = nn.SGD(model.parameters(), lr=0.05, momentum=0.9)"""
TRAIN = """\
history = nn.fit(model, nn.binary_cross_entropy_with_logits, optimizer, (X, y), epochs=200,
                 batch_size=4, quiet=True, live=True)"""
REPORT = "print(json.dumps({'loss': history['loss'][-1], 'accuracy': history['accuracy'][-1]}))"

RUNNING = """(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]
  .querySelector('.jp-InputPrompt').textContent.includes('*')"""
STATE = """() => {
  const root = document.querySelector('.gg-live');
  if (!root) return null;
  const line = root.querySelector('polyline[data-curve="loss"]');
  const boundary = root.querySelector('.gg-boundary-box');
  return {updates: root.dataset.updates, loss: root.dataset.loss || null,
          epoch: root.dataset.epoch || null,
          points: line ? Number(line.dataset.count) : 0,
          boundary: boundary ? (boundary.dataset.classes || null) : null,
          rects: root.querySelectorAll('.gg-boundary rect').length,
          dots: root.querySelectorAll('.gg-boundary circle').length,
          histograms: root.querySelectorAll('.gg-histogram').length,
          graph: !!root.querySelector('.gg-graph img[src^="data:image/svg+xml"]'),
          title: root.querySelector('.gg-title').textContent};
}"""


def test_live_training_updates_curves_and_boundary_while_it_runs(jupyterlab, lab_page):
    write_notebook(jupyterlab.root / "live.ipynb", [SETUP, TRAIN, REPORT])
    lab_page.open_notebook("live.ipynb")
    lab_page.run_cell(0)
    # start the training cell without waiting for it (the command's promise ends with the run)
    lab_page.js(f"() => {{ {lab_page._notebook()}.content.activeCellIndex = 1; "
                f"window.jupyterapp.commands.execute('notebook:run-cell'); }}")
    seen, deadline = [], time.monotonic() + 240
    lab_page.page.wait_for_function("document.querySelector('.gg-live')", timeout=120_000)
    while time.monotonic() < deadline:
        state = lab_page.js(STATE)
        if not lab_page.js(RUNNING, 1):
            break
        if state["updates"] != "0" and (not seen or state != seen[-1]):
            seen.append(state)
        lab_page.page.wait_for_timeout(150)
    lab_page.wait_until_run(240)
    assert len(seen) >= 2, f"saw {len(seen)} states of the view while training ran"
    curved = [state for state in seen if state["points"] >= 1]  # after the first epoch
    assert len(curved) >= 2, f"saw {len(curved)} states with a curve while training ran"
    first, later = curved[0], curved[-1]
    assert int(later["updates"]) > int(first["updates"])
    assert later["points"] > first["points"]  # the curve grew, epoch by epoch
    assert len({s["boundary"] for s in seen}) >= 2, "the boundary never changed"
    assert first["dots"] == 200 and first["rects"] > 2 and first["histograms"] == 12
    assert later["graph"] and first["title"] == "training"  # the graph comes from a thread
    # when the cell has run, its output holds the widget, a PNG of the last state and text
    kinds = lab_page.js(f"() => Object.keys({lab_page._notebook()}.content.model.cells.get(1)"
                        f".outputs.toJSON()[0].data)")
    assert set(kinds) == {"application/vnd.jupyter.widget-view+json", "image/png",
                          "text/plain"}
    text = lab_page.js(f"() => {lab_page._notebook()}.content.model.cells.get(1)"
                       f".outputs.toJSON()[0].data['text/plain']")
    assert "epoch 200: loss" in text and "run it if you see this line" in text

    lab_page.run_cell(2)
    final = json.loads(lab_page.outputs_text(2))
    shown = lab_page.js(STATE)
    assert shown["loss"] == f"{final['loss']:.4g}" and shown["epoch"] == "200"
    assert float(shown["loss"]) < float(first["loss"])
    assert final["accuracy"] > 0.9
    lab_page.assert_clean()
