"""nn.LiveView and nn.fit(..., live=True): the state the view sends (curves, the decision
boundary against the model's own predictions, histograms of the real weights and gradients),
throttling by an injected clock, the picture and text of its display bundle, and the graceful
fallback outside Jupyter. The widget is a real anywidget (outside a kernel its messages go
nowhere); the browser test is tests/test_live_browser.py."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

import nn
from autograd import Scalar, Tensor
from nn.live import BINS, BUDGET, GRAPH_AFTER, GRID, MAX_POINTS, MIN_INTERVAL

PROJECT = Path(__file__).resolve().parent.parent


class Clock:
    """A clock the test moves by hand (and that state() may move, to cost time)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def moons_model(seed=0, hidden=8, outputs=1):
    X, y = nn.data.make_moons(60, noise=0.1, seed=seed)
    model = nn.MLP([2, hidden, outputs], activation="tanh", rng=seed)
    return model, X, y


def widget_view(model, X, y, clock=None, **options):
    clock = clock or Clock()
    return nn.LiveView(model, data=(X, y), mode="widget", clock=clock, cost_clock=clock,
                       **options)


def test_the_curves_keep_every_point_and_send_the_latest_as_text():
    model, X, y = moons_model()
    view = widget_view(model, X, y)
    view.update(epoch=1, loss=0.7, accuracy=0.5)
    view.update(loss=0.5, accuracy=0.75, val_loss=0.6, val_accuracy=0.7)  # epoch 2 by default
    view.update(epoch=3, loss=float("nan"), accuracy=np.float32(0.8))
    state = view.state()
    assert view.curves["epoch"] == [1, 2, 3]
    assert state["curves"]["loss"] == [0.7, 0.5, None]  # nan is not JSON: None, shown "nan"
    assert state["curves"]["accuracy"] == [0.5, 0.75, pytest.approx(0.8)]
    assert state["curves"]["val_loss"] == [None, 0.6, None]
    assert state["latest"]["loss"] == "nan" and state["latest"]["accuracy"] == "0.8"
    assert state["latest"]["epoch"] == "3"
    json.dumps(state, allow_nan=False)  # the widget's messages are strict JSON


def test_long_curves_are_thinned_for_the_widget_but_keep_their_ends():
    model, X, y = moons_model()
    view = widget_view(model, X, y)
    for epoch in range(1, 2001):
        view.update(epoch=epoch, loss=1.0 / epoch)
    curves = view.state()["curves"]
    assert len(curves["epoch"]) <= MAX_POINTS and curves["epoch"][0] == 1
    assert curves["epoch"][-1] == 2000 and curves["loss"][-1] == 1.0 / 2000
    assert all(loss == 1.0 / epoch for epoch, loss in zip(curves["epoch"], curves["loss"]))
    assert len(view.curves["loss"]) == 2000  # the view itself keeps them all


@pytest.mark.parametrize("outputs", [1, 3])
def test_the_boundary_is_the_models_prediction_at_every_grid_cell(outputs):
    model, X, y = moons_model(seed=3, outputs=outputs)
    boundary = widget_view(model, X, y).boundary()
    xs, ys = np.array(boundary["x"]), np.array(boundary["y"])
    assert len(xs) == len(ys) == GRID
    # cells of equal size over the data's extent widened by 1 on each side (micrograd's)
    low, high = X.min(axis=0) - 1, X.max(axis=0) + 1
    step = (high - low) / GRID
    np.testing.assert_allclose(xs, low[0] + step[0] * (np.arange(GRID) + 0.5))
    np.testing.assert_allclose(ys, low[1] + step[1] * (np.arange(GRID) + 0.5))
    classes = np.array(boundary["classes"])
    for i in range(0, GRID, 7):
        for j in range(0, GRID, 5):
            output = model(Tensor(np.array([[xs[j], ys[i]]]))).data[0]
            expected = int(output.argmax()) if outputs > 1 else int(output[0] > 0)
            assert classes[i, j] == expected, (i, j)
    assert set(np.unique(classes)) <= set(range(max(outputs, 2)))


def test_the_state_sends_the_boundary_as_one_string_of_digits_per_row():
    model, X, y = moons_model(seed=3, outputs=3)
    view = widget_view(model, X, y)
    rows = view.state()["boundary"]["classes"]
    assert [[int(c, 36) for c in row] for row in rows] == view.boundary()["classes"]
    assert len(rows) == GRID and all(len(row) == GRID for row in rows)


def test_a_trained_boundary_separates_the_moons_as_the_accuracy_says():
    X, y = nn.data.make_moons(200, noise=0.1, seed=1)
    model = nn.MLP([2, 16, 16, 1], activation="relu", rng=1)
    nn.fit(model, nn.binary_cross_entropy_with_logits, nn.SGD(model.parameters(), lr=0.1,
           momentum=0.9), (X, y), epochs=60, quiet=True)
    view = widget_view(model, X, y)
    boundary, points = view.boundary(), view.setup()["points"]
    # each point's cell in the grid predicts the point's class as often as the model does
    low_x, high_x, low_y, high_y = points["extent"]
    j = ((X[:, 0] - low_x) / (high_x - low_x) * GRID).astype(int)
    i = ((X[:, 1] - low_y) / (high_y - low_y) * GRID).astype(int)
    cell_accuracy = np.mean(np.array(boundary["classes"])[i, j] == y)
    assert cell_accuracy > 0.9
    assert points["label"] == y.tolist() and points["x"] == X[:, 0].tolist()


def test_the_histograms_are_those_of_the_real_weights_and_gradients():
    model, X, y = moons_model(hidden=5)
    view = widget_view(model, X, y)
    before = view.layers()
    assert [row["name"] for row in before] == [name for name, _ in model.named_parameters()]
    assert all(row["grad"] is None for row in before)  # no backward yet
    loss = nn.binary_cross_entropy_with_logits(model(Tensor(X)), y.reshape(-1, 1).astype(float))
    loss.backward()
    for row, (name, parameter) in zip(view.layers(), model.named_parameters()):
        for key, values in (("weight", parameter.data), ("grad", parameter.grad)):
            counts, edges = np.histogram(values, bins=BINS)
            assert row[key]["counts"] == counts.tolist() and np.allclose(row[key]["edges"], edges)
            assert row[key]["mean"] == pytest.approx(values.mean())
            assert row[key]["std"] == pytest.approx(values.std())
            assert sum(row[key]["counts"]) == values.size
        assert row["shape"] == list(parameter.shape)


def test_nan_weights_are_counted_not_binned():
    model, X, y = moons_model(hidden=4)
    model.layers[0].weight.data[0, 0] = np.nan
    row = widget_view(model, X, y).layers()[0]
    assert row["weight"]["nonfinite"] == 1 and sum(row["weight"]["counts"]) == 7


def test_a_scalar_layers_weights_are_one_histogram():
    model = nn.MLP([2, 3, 1], value=Scalar, rng=0)
    view = nn.LiveView(model, mode="widget", clock=Clock(), cost_clock=Clock())
    rows = {row["name"]: row for row in view.layers()}
    assert set(rows) == {"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}
    weights = [w.data for row in model.layers[0].weight for w in row]
    assert rows["layers.0.weight"]["weight"]["size"] == 6
    assert rows["layers.0.weight"]["weight"]["mean"] == pytest.approx(np.mean(weights))
    assert view.boundary() is None and view.setup()["graph"] is None  # no data given


def test_updates_are_throttled_by_the_clock():
    model, X, y = moons_model()
    clock = Clock()
    view = widget_view(model, X, y, clock=clock)
    sent = []
    view.widget.observe(lambda change: sent.append(change["new"]["updates"]), "state")
    assert view.update(epoch=1, loss=1.0) is True  # the first update draws
    clock.now = MIN_INTERVAL * 0.9
    assert view.update(epoch=2, loss=0.9) is False and view.update() is False
    clock.now = MIN_INTERVAL * 1.01
    assert view.update(epoch=3, loss=0.8) is True
    assert sent == [1, 2] and view.widget.state["curves"]["loss"] == [1.0, 0.9, 0.8]
    view.finish()  # whatever the throttle
    assert sent == [1, 2, 3]


def test_a_costly_redraw_waits_its_cost_divided_by_the_budget():
    model, X, y = moons_model()
    clock = Clock()
    view = widget_view(model, X, y, clock=clock)
    state = view.state

    def slow_state():  # a redraw that takes 0.1 s of the clock
        clock.now += 0.1
        return state()

    view.state = slow_state
    assert view.update(epoch=1, loss=1.0)  # from 0 to 0.1: next draw at 0 + 0.1 / BUDGET
    wait = 0.1 / BUDGET
    assert wait > MIN_INTERVAL
    clock.now = wait - 0.01
    assert not view.update(epoch=2, loss=0.5)
    clock.now = wait
    assert view.update(epoch=3, loss=0.25)


def test_waiting_for_the_processor_is_not_counted_as_a_redraws_cost():
    model, X, y = moons_model()
    wall, cpu = Clock(), Clock()
    view = nn.LiveView(model, data=(X, y), mode="widget", clock=wall, cost_clock=cpu)
    state = view.state

    def descheduled_state():  # half a second passes on a loaded machine, no CPU is spent
        wall.now += 0.5
        return state()

    view.state = descheduled_state
    assert view.update(epoch=1, loss=1.0)
    wall.now = MIN_INTERVAL  # the interval counts from the start of the redraw
    assert view.update(epoch=2, loss=0.5)


def test_fit_with_a_live_view_trains_exactly_as_without_and_ends_on_the_last_epoch():
    X, y = nn.data.make_moons(80, noise=0.1, seed=2)
    histories, views = [], []
    for live in (False, True):
        model = nn.MLP([2, 8, 1], activation="tanh", rng=2)
        view = widget_view(model, X, y) if live else False
        histories.append(nn.fit(model, nn.binary_cross_entropy_with_logits,
                                nn.SGD(model.parameters(), lr=0.2), (X, y), epochs=7,
                                batch_size=16, quiet=True, live=view))
        views.append((view, model))
    assert histories[0] == histories[1]
    view, model = views[1]
    assert view.curves["epoch"] == list(range(1, 8))
    assert view.curves["loss"] == histories[1]["loss"]
    assert view.curves["accuracy"] == histories[1]["accuracy"]
    state = view.widget.state  # finish() drew the end: the last epoch and trained weights
    assert state["curves"]["loss"][-1] == histories[1]["loss"][-1]
    weight = model.layers[0].weight.data
    assert state["layers"][0]["weight"]["mean"] == pytest.approx(weight.mean())


def test_the_display_bundle_has_the_widget_a_png_of_the_last_state_and_text():
    model, X, y = moons_model()
    view = widget_view(model, X, y, title="moons <b>&</b>")
    view.update(epoch=4, loss=0.25, accuracy=0.9)
    data = DisplayFormatter().format(view)[0]
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.width >= 600 and image.height >= 300
    text = data["text/plain"]
    assert "0x" not in text and "epoch 4: loss 0.25, accuracy 0.9" in text
    assert "'moons <b>&</b>'" in text and "run" in text
    assert set(view._repr_mimebundle_(exclude=["image/png"])) == {
        "text/plain", "application/vnd.jupyter.widget-view+json"}


def test_save_writes_the_png_and_a_failed_save_leaves_the_file(tmp_path, monkeypatch):
    model, X, y = moons_model()
    view = widget_view(model, X, y)
    view.update(epoch=1, loss=0.5, accuracy=0.5)
    path = view.save(tmp_path / "training.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = path.read_bytes()

    def broken():
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(view, "to_png", broken)
    with pytest.raises(RuntimeError):
        view.save(path)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("call, error, message", [
    (lambda m, X, y: nn.LiveView(object()), TypeError, "model must be an nn.Module"),
    (lambda m, X, y: nn.LiveView(m, data=X), TypeError, "data must be a pair"),
    (lambda m, X, y: nn.LiveView(m, data=(X, y[:3])), ValueError, r"X \(60, 2\) and y \(3,\)"),
    (lambda m, X, y: nn.LiveView(m, mode="html"), ValueError, "mode must be one of"),
    (lambda m, X, y: nn.LiveView(m, interval=-1), ValueError, "interval must be"),
    (lambda m, X, y: widget_view(m, X, y).update(loss="low"), TypeError,
     "update: loss must be a number, got str 'low'"),
    (lambda m, X, y: nn.fit(m, nn.mse, nn.SGD(m.parameters(), lr=0.1), (X, y), live="yes"),
     TypeError, "live must be True, False or an nn.LiveView, got str"),
])
def test_bad_arguments_are_named(call, error, message):
    model, X, y = moons_model()
    with pytest.raises(error, match=message):
        call(model, X, y)


def test_outside_jupyter_live_training_says_so_once_and_trains(tmp_path):
    script = (
        "import nn\n"
        "X, y = nn.data.make_moons(60, seed=0)\n"
        "model = nn.MLP([2, 4, 1], rng=0)\n"
        "history = nn.fit(model, nn.binary_cross_entropy_with_logits,\n"
        "                 nn.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, quiet=True,\n"
        "                 live=True)\n"
        "print(len(history['loss']), history['loss'][-1])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(PROJECT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "3"
    assert done.stderr.count("no Jupyter kernel with a widget here") == 1
    assert "view.save('training.png')" in done.stderr
    assert f"epoch 3: loss {float(done.stdout.split()[1]):.4g}" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no file written unasked


def test_the_graph_is_drawn_once_training_has_run_a_while():
    model, X, y = moons_model()
    clock = Clock()
    view = widget_view(model, X, y, clock=clock)
    view.update(epoch=1, loss=1.0)
    assert view.widget.setup["graph"] is None and view._graph_thread is None
    clock.now = GRAPH_AFTER
    assert view.update(epoch=2, loss=0.5)
    view._graph_thread.join()
    svg = view.widget.setup["graph"]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # the model's layers, collapsed: one box each, named as named_modules() names them
    for name in ("layers.0: Linear(2 &#45;&gt; 8)", "layers.1: Linear(8 &#45;&gt; 1)"):
        assert name in svg
    assert view.widget.setup["points"] == view.setup(graph=False)["points"]


def test_a_bad_number_records_nothing():
    model, X, y = moons_model()
    view = widget_view(model, X, y)
    view.update(epoch=1, loss=0.5)
    with pytest.raises(TypeError, match="accuracy must be a number"):
        view.update(epoch=2, loss=0.4, accuracy=[0.9])
    assert view.curves["epoch"] == [1] and view.curves["loss"] == [0.5]
    assert all(len(values) == 1 for values in view.curves.values())


def test_a_view_in_text_mode_does_no_drawing_work():
    model, X, y = moons_model()
    view = nn.LiveView(model, data=(X, y), mode="text")
    view.state = lambda: pytest.fail("a text view computed a state")
    assert view.update(epoch=1, loss=0.5) is False and view.widget is None
    assert view.curves["loss"] == [0.5]
