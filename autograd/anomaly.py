"""Anomaly reports: what `detect_anomaly()` checks and the error it raises.

Inside `autograd.detect_anomaly()` (its switch, a `modes.Watch`, says what to raise on) the
core hands every recorded node to `check_output` and every gradient a rule passes down to
`check_gradient`, through the hooks this module installs in `autograd.graph` when it loads
(the core imports no diagnostic). The first nan (or inf) raises an `AnomalyError` that names
the op, the node (as `autograd.draw` names it), the inputs' shapes with a summary of each (min,
max, counts of nan and inf) and the line of code that created the node; `error.diagram()`
draws the path from the inputs to that node, highlighted.
"""

import numpy as np

from . import graph
from .kernels import raw
from .naming import all_values, names_of
from .origin import record_site, show_site, site_of


def check_output(watch, node):
    """Called by the core for each node recorded under `detect_anomaly()`: record where it is
    created; raise AnomalyError when its output holds what `watch` raises on."""
    record_site(node)
    if (watch.nan or watch.inf) and watch.finds(node.data):
        raise AnomalyError(node, watch)


def check_gradient(watch, node, parent, g):
    """Called by the core for each gradient `g` that the rule of `node` passes to its input
    `parent` under `detect_anomaly()`: raise AnomalyError when `g` holds what `watch` raises on."""
    if (watch.nan or watch.inf) and watch.finds(g):
        raise AnomalyError(node, watch, parent=parent, gradient=g)


graph.on_output, graph.on_gradient = check_output, check_gradient  # the core's hooks


def describe(value):
    """A value in one line: a number as it is; an array as its shape, min, max and how many
    nan and inf it holds (min and max leave the nan out)."""
    value = raw(value)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return f"{float(value):.6g}"
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return f"{type(value).__name__} {value!r:.40}"
    array = array.astype(np.float64)
    nans, infs = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    numbers = array[~np.isnan(array)]
    extent = f"min {numbers.min():.6g}, max {numbers.max():.6g}" if numbers.size else "no numbers"
    return f"shape {array.shape}: {extent}, {nans} nan, {infs} inf"


def _found(watch, value):
    value = np.asarray(raw(value), dtype=np.float64)
    counts = [f"{int(np.isnan(value).sum())} nan"] if watch.nan else []
    counts += [f"{int(np.isinf(value).sum())} inf"] if watch.inf else []
    return f"{', '.join(counts)} of {value.size} element{'s' if value.size != 1 else ''}"


class AnomalyError(FloatingPointError):
    """`detect_anomaly()` found a nan (or inf) in an op's output, or in the gradient its rule
    passes to an input. Attributes: `op` (the op's name), `node` (the graph value), `name` (the
    node's name in `autograd.draw`'s diagrams), `input_shapes`, `inputs` (one line per input:
    shape, min, max, nan and inf counts), `site` (the frames that created the node), `kind`
    ("output" or "gradient") and, for a gradient, `input` (the index of the input it goes to)
    and `gradient`. `diagram()` draws the path from the inputs to the node."""

    def __init__(self, node, watch, parent=None, gradient=None):
        self.node, self.op = node, node.op.name
        self.kind = "output" if parent is None else "gradient"
        self._names = names_of(all_values(node))
        self.name = self._names[id(node)]
        parents = node.parents
        self.input_shapes = tuple(np.shape(raw(p)) for p in parents)
        self.inputs = [f"input {i} ({self._input_name(p)}): {describe(p)}"
                       for i, p in enumerate(parents)]
        self.site = site_of(node)
        self.gradient = gradient
        self.input = None if parent is None else next(i for i, p in enumerate(parents)
                                                      if p is parent)
        what = "nan or inf" if watch.nan and watch.inf else "nan" if watch.nan else "inf"
        if parent is None:
            head = (f"detect_anomaly: the output of '{self.op}' contains {what}: "
                    f"{_found(watch, node.data)}")
        else:
            head = (f"detect_anomaly: the gradient that '{self.op}' passes to input "
                    f"{self.input} ({self._input_name(parent)}) contains {what}: "
                    f"{_found(watch, gradient)}")
        lines = [head, f"  node: {self.name}, {show_site(self.site)}",
                 f"  input shapes: {', '.join(str(s) for s in self.input_shapes)}"]
        lines += [f"  {line}" for line in self.inputs]
        if node.params:
            params = ", ".join(f"{k}={v!r:.40}" for k, v in node.params.items())
            lines.append(f"  params: {params}")
        if parent is not None and node.grad is not None:  # (a functional pass drops it)
            lines.append(f"  gradient arriving at the node: {describe(node.grad)}")
        if parent is not None:
            lines.append(f"  gradient passed to input {self.input}: {describe(gradient)}")
        lines.append("  error.diagram() draws the path from the inputs to this node")
        super().__init__("\n".join(lines))

    def _input_name(self, value):
        """The input's name in the diagram ("a constant" for a raw number or array)."""
        return self._names.get(id(value), "a constant")

    def diagram(self, **options):
        """The graph from the inputs to the node (`autograd.draw`, keyword options passed on),
        with the node highlighted (and, for a gradient, the input it goes to)."""
        from .draw import draw

        marked = [self.node] if self.input is None else [self.node, self.node.parents[self.input]]
        options.setdefault("title", f"anomaly: {self.kind} of '{self.op}' ({self.name})")
        return draw(self.node, highlight=marked, **options)
