"""LiveView: a training run shown while it runs, in Jupyter, as a widget (anywidget).

The view draws the loss and accuracy curves with the current numbers, the model's graph with
its layers collapsed (autograd.draw), a histogram of each parameter's values and of its last
gradient, and, for 2-D inputs, the decision boundary over a grid with the data points on it,
as micrograd's demo draws it. The kernel computes the numbers (`LiveView.state`); the
widget's one JavaScript module (live.js, beside this file) draws them as SVG, text set as
text. Updates are throttled by wall time, so that the view costs training little.

Where no widget can show (plain Python, a terminal, no anywidget), the view says so once and
keeps the numbers: `save(path)` draws a PNG of the last state, and the notebook output of a
view always carries that PNG and a line of text for front ends without a widget manager.
"""

import math
import sys
import threading
import time
from pathlib import Path

import numpy as np

from autograd import Tensor, no_grad
from autograd.files import write_atomically

from .training import _threshold, predicted_classes

MIN_INTERVAL = 1.0  # seconds: the view redraws at most this often...
BUDGET = 0.01       # ...and never spends more than this share of the wall time redrawing (the
                    # kernel's IOPub thread then sends the message beside the training: 1%, not 5%)
GRAPH_AFTER = 2.0   # seconds into training before the graph is drawn (a 1% budget for dot)
GRID = 48            # boundary grid: cells per side
BINS = 24            # histogram bins
MAX_POINTS = 400     # points per curve sent to the widget (longer curves are thinned)
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")
MODES = ("widget", "png", "text")
_ESM = Path(__file__).with_name("live.js")
_widget_class = None


def _widget():
    """The anywidget class of the view (anywidget is imported only here: the widgets extra)."""
    global _widget_class
    if _widget_class is None:
        import anywidget
        import traitlets

        class LiveWidget(anywidget.AnyWidget):
            """The widget of a LiveView: `setup` is sent once, `state` at every update."""
            _esm = _ESM.read_text(encoding="utf-8")
            setup = traitlets.Dict().tag(sync=True)
            state = traitlets.Dict().tag(sync=True)

        LiveWidget.__module__, LiveWidget.__qualname__ = "nn.live", "LiveWidget"
        _widget_class = LiveWidget
    return _widget_class


def _in_kernel():
    """True inside a Jupyter kernel (an IPython shell connected to a front end)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _number(value, name):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"LiveView.update: {name} must be a number, got "
                        f"{type(value).__name__} {value!r}") from None


def _finite(value):
    """A float for JSON: nan and inf become None (JSON has no such numbers)."""
    return value if math.isfinite(value) else None


def _histogram(values):
    """Counts of the finite values in BINS equal bins, their edges, summary numbers and how
    many values are nan or inf."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"counts": [], "edges": [], "size": int(values.size), "nonfinite":
                int(values.size), "mean": None, "std": None, "min": None, "max": None}
    counts, edges = np.histogram(finite, bins=BINS)
    return {"counts": counts.tolist(), "edges": edges.tolist(), "size": int(values.size),
            "nonfinite": int(values.size - finite.size), "mean": float(finite.mean()),
            "std": float(finite.std()), "min": float(finite.min()), "max": float(finite.max())}


def _thin(values):
    """At most MAX_POINTS of a curve's (index, value) pairs, evenly spread, the last kept."""
    if len(values) <= MAX_POINTS:
        return list(range(len(values)))
    return sorted(set(np.linspace(0, len(values) - 1, MAX_POINTS).round().astype(int).tolist()))


def _rows(boundary):
    """The boundary with its rows of classes as strings of base-36 digits ("0110...")."""
    if boundary is None:
        return None
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    return {**boundary, "classes": ["".join(digits[min(c, 35)] for c in row)
                                    for row in boundary["classes"]]}


def _parameter_groups(model):
    """{name: [parameters]}: a Tensor parameter alone; the Scalars of a Scalar layer's weight
    (layers.0.weight.1.0, ...) together under the name without their indices."""
    groups = {}
    for name, parameter in model.named_parameters():
        parts = name.split(".")
        while len(parts) > 1 and parts[-1].isdigit():
            parts.pop()
        groups.setdefault(".".join(parts), []).append(parameter)
    return groups


class LiveView:
    """A live view of a training run: `view = nn.LiveView(model, data=(X, y))`, then
    `view.update(epoch=..., loss=..., accuracy=...)` in any training loop (and `view.update()`
    with no numbers after a step, to let it redraw weights and boundary), `view.finish()` at
    the end. `nn.fit(..., live=True)` does all of that.

    - `data`: the training inputs and labels, for the model's graph (drawn once, on two
      samples) and, when the inputs have two features, the
      decision boundary (the model's predicted class over a grid, as `nn.accuracy` predicts).
    - `mode`: "widget" (anywidget; the default inside a Jupyter kernel), "png" (a picture in
      the cell output, redrawn; the default in a kernel without anywidget) or "text" (the
      default elsewhere: one message now, the numbers kept, `save(path)` draws them).
    - Redraws are throttled: at most every `interval` seconds (of `clock`), and never more
      often than keeps their cost (CPU seconds of this thread, `cost_clock`) under 1% of the
      time.
    """

    def __init__(self, model, data=None, *, title="training", mode=None,
                 interval=MIN_INTERVAL, clock=time.perf_counter, cost_clock=time.thread_time):
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"LiveView: model must be an nn.Module (with named_parameters()), "
                            f"got {type(model).__name__}")
        if mode is None:
            mode = self._default_mode()
        if mode not in MODES:
            raise ValueError(f"LiveView: mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not (isinstance(interval, (int, float)) and interval >= 0):
            raise ValueError(f"LiveView: interval must be a number of seconds >= 0, "
                             f"got {interval!r}")
        self.model, self.title, self.mode = model, str(title), mode
        self.interval, self._clock, self._cost_clock = float(interval), clock, cost_clock
        self.X, self.y = self._check_data(data)
        self.curves = {"epoch": [], **{name: [] for name in CURVES}}
        self.updates, self._next, self._handle, self._graph = 0, -math.inf, None, None
        self._pictures = {}
        self.widget, self._graph_thread, self._born = None, None, clock()
        if mode == "widget":
            self.widget = _widget()(setup=self.setup(graph=False))
        if mode == "text":
            print("nn.LiveView: no Jupyter kernel with a widget here, so the training is not "
                  "drawn live; the numbers are kept and view.save('training.png') draws them "
                  "(pip install 'gategrad[widgets]' and run in Jupyter for the live view)",
                  file=sys.stderr)

    @staticmethod
    def _default_mode():
        if not _in_kernel():
            return "text"
        try:
            _widget()
        except ImportError:
            print("nn.LiveView: anywidget is not installed, so the view is a picture redrawn "
                  "in place (pip install 'gategrad[widgets]' for the live widget)",
                  file=sys.stderr)
            return "png"
        return "widget"

    @staticmethod
    def _check_data(data):
        if data is None:
            return None, None
        try:
            X, y = data
        except (TypeError, ValueError):
            raise TypeError("LiveView: data must be a pair (X, y) of inputs and labels") \
                from None
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
            raise ValueError(f"LiveView: data must be X of shape (n, features) and n labels, "
                             f"got X {X.shape} and y {y.shape}")
        return X, y

    # ---- the numbers --------------------------------------------------------------------------

    def setup(self, graph=True):
        """What the view draws once: title, the model's graph (SVG, layers collapsed; with
        `graph=False` left out), and for 2-D data the grid's extent, the points and their
        labels."""
        setup = {"title": self.title, "graph": self._graph_svg() if graph else None,
                 "points": None}
        if self.X is not None and self.X.shape[1] == 2:
            low, high = self.X.min(axis=0) - 1.0, self.X.max(axis=0) + 1.0  # as micrograd
            setup["points"] = {"x": self.X[:, 0].tolist(), "y": self.X[:, 1].tolist(),
                               "label": self._classes(self.y).tolist(),
                               "extent": [low[0], high[0], low[1], high[1]]}
        return setup

    def _graph_svg(self):
        """The model's graph on two samples (its output, not the loss), layers collapsed, as
        Graphviz draws it (None without data or without Graphviz's dot)."""
        self._graph_diagram()
        return self._graph_picture("svg")

    def _graph_diagram(self):
        """The model's graph as a diagram (DOT text: no Graphviz run yet), made once."""
        if self._graph is None and self.X is not None:
            from autograd.draw import draw
            self._graph = draw(self.model(Tensor(self.X[:2])), model=self.model,
                               collapse_modules=True, show_gradients=False)
        return self._graph

    def _send_graph_soon(self):
        """Send the graph's SVG to the widget from a thread: the DOT text is made here and
        Graphviz's `dot` (a few tens of milliseconds, in its own process) runs while training
        goes on. Called at the first redraw GRAPH_AFTER seconds into training (a shorter run
        gets its graph when its cell has run), so that short runs do not pay for it."""
        if self._graph_thread is not None or self._graph_diagram() is None:
            return

        def send():
            svg = self._graph_picture("svg")
            if svg is not None:
                self.widget.setup = {**self.widget.setup, "graph": svg}

        self._graph_thread = threading.Thread(target=send, name="LiveView graph", daemon=True)
        self._graph_thread.start()

    def _graph_picture(self, format):
        """The graph drawn once per format by Graphviz (None without it or without dot)."""
        if self._graph is None:
            return None
        if format not in self._pictures:
            try:
                self._pictures[format] = self._graph.pipe(format=format)
            except RuntimeError:  # no dot: the graph is left out, the rest still shows
                self._pictures[format] = None
        picture = self._pictures[format]
        return picture.decode("utf-8") if format == "svg" and picture else picture

    @staticmethod
    def _classes(y):
        y = np.asarray(y)
        return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)

    def boundary(self):
        """The decision boundary as micrograd draws it: the class the model predicts at the
        centre of each of GRID x GRID cells over the data's extent widened by 1 on each side
        ({"x": centres, "y": centres, "classes": rows from low y to high y}), or None when
        the inputs do not have two features."""
        if self.X is None or self.X.shape[1] != 2:
            return None
        low, high = self.X.min(axis=0) - 1.0, self.X.max(axis=0) + 1.0
        step = (high - low) / GRID
        xs, ys = low[0] + step[0] * (np.arange(GRID) + 0.5), low[1] + step[1] * (np.arange(GRID) + 0.5)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        with no_grad():
            outputs = self.model(Tensor(grid))
        classes = predicted_classes(outputs, _threshold(self.model)).reshape(GRID, GRID)
        return {"x": xs.tolist(), "y": ys.tolist(), "classes": classes.astype(int).tolist()}

    def layers(self):
        """Per parameter (Scalar layers: per weight or bias list): name, shape, a histogram of
        its values and one of its gradient (None before any backward pass)."""
        rows = []
        for name, parameters in _parameter_groups(self.model).items():
            values = np.concatenate([np.ravel(p.data) for p in parameters])
            grads = [p.grad for p in parameters]
            grad = None if any(g is None for g in grads) else \
                _histogram(np.concatenate([np.ravel(g) for g in grads]))
            shape = list(np.shape(parameters[0].data)) if len(parameters) == 1 else [len(values)]
            rows.append({"name": name, "shape": shape, "weight": _histogram(values),
                         "grad": grad})
        return rows

    def state(self):
        """Everything the view draws at an update, as JSON-ready data: the curves (thinned to
        MAX_POINTS; nan and inf as None), the latest numbers as text, the layers' histograms
        and the boundary (its classes as one string of base-36 digits per row: a short message,
        quick to send)."""
        index = _thin(self.curves["epoch"])
        curves = {name: [_finite(values[i]) if values[i] is not None else None
                         for i in index] for name, values in self.curves.items()}
        latest = {name: (f"{values[-1]:{'g' if name == 'epoch' else '.4g'}}"
                         if values and values[-1] is not None else None)
                  for name, values in self.curves.items()}
        return {"updates": self.updates + 1, "curves": curves, "latest": latest,
                "layers": self.layers(), "boundary": _rows(self.boundary())}

    # ---- updates --------------------------------------------------------------------------------

    def update(self, epoch=None, loss=None, accuracy=None, val_loss=None, val_accuracy=None):
        """Record a point of the curves (when any number is given; `epoch` defaults to the
        next one) and redraw the view if the throttle allows. Returns True if it redrew."""
        # the loop calls this after every step: without numbers, only a look at the clock
        if not (epoch is None and loss is None and accuracy is None and val_loss is None
                and val_accuracy is None):
            numbers = {name: None if value is None else _number(value, name) for name, value in
                       (("loss", loss), ("accuracy", accuracy), ("val_loss", val_loss),
                        ("val_accuracy", val_accuracy))}
            epochs = self.curves["epoch"]
            epochs.append(_number(epoch, "epoch") if epoch is not None else
                          (epochs[-1] + 1 if epochs else 1))
            for name, value in numbers.items():  # all checked first: a bad one records nothing
                self.curves[name].append(value)
        if self.mode == "text" or self._clock() < self._next:
            return False
        self._redraw()
        return True

    def _redraw(self):
        start, spent = self._clock(), self._cost_clock()
        state = self.state()
        self.updates += 1
        if self.widget is not None:
            self.widget.state = state
            if start - self._born >= GRAPH_AFTER:
                self._send_graph_soon()
        elif self.mode == "png" and self._handle is not None:
            self._handle.update(self)
        cost = self._cost_clock() - spent  # CPU time: a loaded machine's waits cost nothing
        self._next = start + max(self.interval, cost / BUDGET)

    def show(self):
        """Display the view in the notebook (without its PNG: that comes with `finish`)."""
        if self.mode == "text":
            return
        from IPython.display import display
        exclude = ["image/png"] if self.mode == "widget" else []
        self._handle = display(self, display_id=True, exclude=exclude)
        if self.mode == "png":
            self.update()

    def finish(self):
        """Draw the last state now, whatever the throttle, and put its PNG into the cell's
        output (front ends without a widget manager, GitHub and nbconvert show that) when the
        cell has run, so that drawing the picture does not delay the training loop's return;
        outside Jupyter, print the last numbers."""
        if self.mode == "text":
            print(self._text(), file=sys.stderr)
            return
        self._redraw()
        if self._handle is None:
            return
        shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
        if shell is None:
            self._store_picture()
        elif self._store_picture not in shell.events.callbacks["post_execute"]:
            shell.events.register("post_execute", self._store_picture)

    def _store_picture(self):
        """Send the graph if a short run has not yet, and replace the cell's output by the
        full bundle: the widget, the PNG and the text."""
        shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
        if shell is not None and self._store_picture in shell.events.callbacks["post_execute"]:
            shell.events.unregister("post_execute", self._store_picture)
        if self.widget is not None:
            self._send_graph_soon()
            if self._graph_thread is not None:
                self._graph_thread.join()
        self._handle.update(self)

    def __enter__(self):
        self.show()
        return self

    def __exit__(self, *exc):
        self.finish()

    # ---- pictures and text ----------------------------------------------------------------------

    def _text(self):
        latest = [f"{name} {values[-1]:.4g}" for name, values in self.curves.items()
                  if name != "epoch" and values and values[-1] is not None]
        where = f"epoch {self.curves['epoch'][-1]:g}: " if self.curves["epoch"] else \
            "no epoch yet"
        return (f"<nn.LiveView {self.title!r}, {where}{', '.join(latest)}; a live training "
                f"view, shown when the cell runs in Jupyter (run it if you see this line)>")

    def __repr__(self):
        return self._text()

    def to_png(self):
        """A PNG of the last state (matplotlib): curves, boundary, the model's graph and the
        histograms of every parameter and gradient."""
        from .live_picture import picture
        self._graph_diagram()
        return picture(self.title, self.curves, self.boundary(),
                       self.setup(graph=False)["points"], self.layers(),
                       self._graph_picture("png"))

    def save(self, path):
        """Write `to_png()` to `path` (whole or not at all)."""
        png = self.to_png()
        write_atomically({path: lambda file: file.write(png)})
        return Path(path)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        data = {}
        if self.widget is not None:
            data = self.widget._repr_mimebundle_(**kwargs) or {}
            data = dict(data[0] if isinstance(data, tuple) else data)  # anywidget: a pair
        data["text/plain"] = self._text()
        wanted = set(include) if include is not None else {*data, "image/png"}
        wanted -= set(exclude or ())
        if "image/png" in wanted:
            data["image/png"] = self.to_png()
        return {key: value for key, value in data.items() if key in wanted}
