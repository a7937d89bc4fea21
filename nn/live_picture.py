"""The PNG of a LiveView's last state, drawn with matplotlib (no pyplot, no global state): the
picture a notebook output keeps for front ends without a widget manager, and `view.save`.
Laid out by hand, with tick labels only on the curves and the boundary: matplotlib's automatic
layouts and tick labels cost most of a picture's time."""

import io

import numpy as np

# the colours of the classes (ColorBrewer's Spectral, as micrograd's demo colours its moons)
PALETTE = ["#d53e4f", "#3288bd", "#66c2a5", "#fdae61", "#5e4fa2", "#f46d43", "#abdda4",
           "#9e0142", "#fee08b", "#e6f598"]
DPI = 80
_WIDTH = 10.0  # inches


def picture(title, curves, boundary, points, layers, graph_png):
    """PNG bytes: the loss and accuracy curves, the decision boundary with the points (when
    given), the model's graph (PNG bytes, when given) and a histogram of each parameter's
    values and of its last gradient, one column per parameter."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("the picture of a LiveView needs matplotlib: "
                          "pip install 'gategrad[widgets]'") from error
    graph = _image(graph_png) if graph_png is not None else None
    graph_height = 0.0 if graph is None else \
        min(2.6, _WIDTH * graph.shape[0] / graph.shape[1])
    heights = [0.5, 2.7, graph_height + (0.3 if graph is not None else 0), 1.9 if layers else 0]
    figure = Figure(figsize=(_WIDTH, sum(heights)), dpi=DPI)
    total, top = sum(heights), sum(heights)

    def band(height):  # the next horizontal band, as (bottom, height) in figure fractions
        nonlocal top
        top -= height
        return top / total, height / total

    bottom, height = band(heights[0])
    figure.text(0.01, bottom + height * 0.35, f"{title}: {_latest(curves)}", fontsize=13)
    bottom, height = band(heights[1])
    _curves(figure.add_axes([0.06, bottom + 0.12 * height, 0.26, 0.74 * height]), curves,
            ("loss", "val_loss"), "loss")
    _curves(figure.add_axes([0.39, bottom + 0.12 * height, 0.26, 0.74 * height]), curves,
            ("accuracy", "val_accuracy"), "accuracy")
    axes = figure.add_axes([0.72, bottom + 0.12 * height, 0.26, 0.74 * height])
    _boundary(axes, boundary, points)
    if graph is not None:
        bottom, height = band(heights[2])
        axes = figure.add_axes([0.01, bottom, 0.98, height * graph_height / heights[2]])
        axes.imshow(graph, interpolation="antialiased")
        axes.set_axis_off()
        figure.text(0.01, bottom + height * 0.97, "the model's graph (layers collapsed)",
                    fontsize=9, va="top")
    if layers:
        bottom, height = band(heights[3])
        _histograms(figure.add_axes([0.01, bottom, 0.98, height]), layers)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _image(png):
    from matplotlib.image import imread
    return imread(io.BytesIO(png), format="png")


def _curves(axes, curves, names, label):
    epochs = curves["epoch"]
    for name in names:
        pairs = [(e, v) for e, v in zip(epochs, curves[name]) if v is not None]
        if pairs:
            axes.plot(*zip(*pairs), label=name.replace("_", " "))
    axes.set_title(label, fontsize=10)
    axes.set_xlabel("epoch", fontsize=8, labelpad=1)
    axes.tick_params(labelsize=7)
    if axes.lines:
        axes.legend(fontsize=7)


def _boundary(axes, boundary, points):
    if boundary is None or points is None:
        axes.set_axis_off()
        return
    from matplotlib.colors import ListedColormap
    classes = np.asarray(boundary["classes"])
    count = max(int(classes.max()), max(points["label"], default=0)) + 1
    colours = ListedColormap(PALETTE[:max(count, 2)])
    low_x, high_x, low_y, high_y = points["extent"]
    axes.imshow(classes, origin="lower", extent=(low_x, high_x, low_y, high_y), cmap=colours,
                vmin=0, vmax=max(count, 2) - 1, alpha=0.45, aspect="auto",
                interpolation="nearest")
    axes.scatter(points["x"], points["y"], c=points["label"], cmap=colours, vmin=0,
                 vmax=max(count, 2) - 1, s=10, edgecolors="black", linewidths=0.3)
    axes.set_title("decision boundary", fontsize=10)
    axes.tick_params(labelsize=7)


def _histograms(axes, layers):
    """Every parameter's histogram of values (top row) and of gradients (bottom row), one
    column each, drawn in one axes (one axes per histogram would cost most of the time)."""
    axes.set_axis_off()
    axes.set_xlim(0, len(layers))
    axes.set_ylim(0, 2)
    for k, layer in enumerate(layers):
        for row, key, colour in ((1, "weight", "darkgreen"), (0, "grad", "red")):
            histogram = layer[key]
            what = "values" if key == "weight" else "gradient"
            if not histogram or not histogram["counts"]:
                axes.text(k + 0.5, row + 0.4, f"{layer['name']} {what}:\n"
                          + ("no gradient yet" if key == "grad" else "no finite value"),
                          ha="center", va="center", fontsize=7)
                continue
            counts = np.asarray(histogram["counts"], dtype=float)
            left = k + 0.06 + 0.88 * np.arange(len(counts)) / len(counts)
            axes.bar(left, 0.55 * counts / max(counts.max(), 1), width=0.88 / len(counts),
                     bottom=row + 0.05, align="edge", color=colour, alpha=0.7)
            axes.text(k + 0.5, row + 0.62, f"{layer['name']} {what}\nmean "
                      f"{histogram['mean']:.2g}, std {histogram['std']:.2g}", ha="center",
                      va="bottom", fontsize=7)


def _latest(curves):
    shown = [f"{name.replace('_', ' ')} {values[-1]:.4g}" for name, values in curves.items()
             if name != "epoch" and values and values[-1] is not None]
    epoch = f"epoch {curves['epoch'][-1]:g}" if curves["epoch"] else "not started"
    return ", ".join([epoch] + shown)
