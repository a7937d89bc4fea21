"""`explore(root)`: an explorer that steps through the backward pass: a live widget in Jupyter
(autograd/draw/widget.py), and one self-contained HTML page for files, the command line and
front ends without a widget manager. Both run the one script explorer.js.

The page holds the graph (laid out here, in Python, and drawn by the page's own script as SVG),
the forward values and every number of the backward pass, computed by the engine's own rules
(the walk the step table uses). It needs no network and no Graphviz to be viewed: its script
and style are inline, and a Content-Security-Policy forbids any request. The graph goes into
the page as JSON escaped for a <script> element, and the page's script writes every text with
`textContent`, so labels are shown literally and never run.
"""

import json
import math
import re
from html import escape
from importlib import resources
from pathlib import Path

import numpy as np

from ..files import write_atomically
from ..graph import Node
from ..kernels import raw
from .display import bundle
from .explain import explain_step
from .replay import replay
from .walk import all_values, consumers, names_of, reverse_order, summary

MAX_VALUES = 200     # a bigger graph is not readable one step at a time
TYPED_SIZE = 6       # in exercise mode, gradients with at most this many numbers are typed
_WIRE_TEXT = 18      # longer summaries are shown as the array's shape on a wire
# the page's metrics in pixels (monospace 12px text in boxes, 11px on wires), for the layout
_CHAR, _WIRE_CHAR, _LINE, _PAD = 7.2, 6.6, 17, 10
_COLUMN_GAP, _ROW_GAP = 80, 22

_FAN_OUT_NOTE = "sum of {n} gradients"  # the longest note the page writes under a gradient
_FAN_OUT_RULE = ("fan-out adds: {x} is used {k} times, so its gradient is the sum of the {k} "
                 "gradients sent to it")


class ExplorerError(ValueError):
    """A graph the explorer cannot show (too big, or not a graph value)."""


class Explorer:
    """The explorer of one graph. In Jupyter it shows as a live widget connected to the kernel
    (`.widget`, with the `widgets` extra: anywidget), with a picture of the graph (PNG, made
    by Graphviz) and a line of text beside it for front ends that cannot run it (an untrusted
    notebook, GitHub, nbconvert); without anywidget, as the page in a sandboxed frame.
    `.html` is the self-contained page of the graph as it is now, `.save(path)` writes it.

    `set_value(node, text)`, `descend(lr)` and `reset()` change the inputs' values (what the
    widget's edits and its gradient-descent button call): the recorded graph is replayed with
    the new values (`autograd.draw.replay`), never the Python that built it, and the user's
    graph is left as it was. `root` is the graph shown now; `history` the root's value after
    each change (for a root of one number)."""

    def __init__(self, root, model=None, *, exercise=False, title=None, lr=0.1):
        self._original, self._model = root, model
        self._exercise, self._title = bool(exercise), title
        self._values = all_values(root)
        self._names = names_of(self._values, model)
        self._order = list(reversed(self._values))  # a node's id on the page is its index
        self._seed = root.grad
        self._data = {}  # id of an original leaf -> its value now, where changed
        self.root, self.lr = root, float(lr)
        self.history = [_number_of(root.data)]
        self._widget = None

    # ---- changing the inputs ----------------------------------------------------------------
    def set_value(self, node, text):
        """Give the input with page id `node` the value typed in `text` (numbers separated by
        spaces or commas, one per element, row by row) and recompute both passes. Bad input
        raises ExplorerError and changes nothing."""
        leaf = self._leaf(node)
        numbers = _parse_numbers(text, f"the value of {self._names[id(leaf)]}")
        size = int(np.size(leaf.data))
        if len(numbers) != size:
            raise ExplorerError(f"{self._names[id(leaf)]} holds {size} number"
                                f"{'s' if size != 1 else ''} (shape "
                                f"{tuple(np.shape(leaf.data))}): type {size}, got "
                                f"{len(numbers)}")
        data = dict(self._data)
        data[id(leaf)] = numbers[0] if isinstance(leaf.data, float) else \
            np.array(numbers, dtype=leaf.data.dtype).reshape(leaf.data.shape)
        self._recompute(data)

    def descend(self, lr=None):
        """One step of gradient descent: every input that requires a gradient moves by
        -lr * its gradient (`lr`: a positive number, or text of one; by default the last one
        used), then both passes are recomputed."""
        if lr is not None:
            (rate,) = _parse_numbers(str(lr), "the learning rate", count=1)
            if not rate > 0:
                raise ExplorerError(f"the learning rate must be a positive number, got {lr!r}")
            self.lr = rate
        current = self._current()
        data = dict(self._data)
        for leaf in self._order:
            now = current[id(leaf)]
            if leaf.op is None and leaf.requires_grad and now.grad is not None:
                data[id(leaf)] = now.data - self.lr * now.grad
        self._recompute(data)

    def reset(self):
        """Back to the values the graph was made with (and its history cleared)."""
        self._data, self.root = {}, self._original
        self.history = [_number_of(self.root.data)]
        self._changed()

    def _leaf(self, node):
        if isinstance(node, bool) or not isinstance(node, int) or \
                not 0 <= node < len(self._order) or self._order[node].op is not None:
            raise ExplorerError(f"explore: {node!r} is not the id of one of the graph's inputs")
        return self._order[node]

    def _current(self):
        """id of each original value -> the value shown now."""
        if self.root is self._original:
            return {id(v): v for v in self._values}
        return self._mapping

    def _recompute(self, data):
        seed = None if self._seed is None or np.size(raw(self._seed)) == 1 else self._seed
        with np.errstate(all="ignore"):  # nan and inf are shown as such
            root, mapping = replay(self._original, data, self._names, seed)
        self._data, self.root, self._mapping = data, root, mapping
        self.history.append(_number_of(root.data))
        self._changed()

    def _changed(self):
        if self._widget is not None:
            self._widget.graph = self.graph()

    # ---- what is shown ----------------------------------------------------------------------
    def graph(self):
        """Everything the page and the widget show, as plain data (see `graph_data`)."""
        model = self._model if self.root is self._original else None
        graph = graph_data(self.root, all_values(self.root), model)
        graph["title"] = str(self._title) if self._title is not None else \
            f"Backward pass from {graph['rootName']}"
        graph["exercise"] = self._exercise
        graph["lr"] = self.lr
        graph["history"] = [v if v is None or np.isfinite(v) else None for v in self.history]
        return graph

    @property
    def html(self):
        """The self-contained page of the graph as it is now."""
        return page(self.graph())

    def save(self, path):
        """Write the page to `path` (UTF-8), with the permissions a new file gets (0644 under
        the usual umask). The file is replaced at once when the page is complete, so a failed
        save leaves an existing file as it was. Returns the path."""
        content = self.html.encode("utf-8")
        write_atomically({path: lambda file: file.write(content)})
        return Path(path)

    @property
    def widget(self):
        """The live widget (anywidget) of this explorer, made on first use."""
        if self._widget is None:
            from .widget import explorer_widget
            self._widget = explorer_widget(self)
        return self._widget

    def png(self):
        """A PNG picture of the graph as it is now, with its values and gradients (made by
        Graphviz's `dot`, as a diagram's display makes it), or None where Graphviz is
        missing."""
        from .diagram import draw
        try:
            model = self._model if self.root is self._original else None
            return draw(self.root, model, edge_values=True)._repr_image_png()
        except (ImportError, RuntimeError, OSError):
            return None

    def __repr__(self):
        count = sum(1 for _ in all_values(self.root))
        return (f"<backward-pass explorer of {self._names[id(self._original)]} ({count} values): "
                f"an interactive widget in Jupyter; run the cell to explore it, or "
                f".save('page.html') for a page any browser opens>")

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        # the picture and the text are what an untrusted notebook, GitHub and nbconvert show
        picture = self.png()
        data, metadata = bundle(None, [picture] if picture is not None else [], repr(self),
                                include, exclude)
        view = _widget_view(self)
        live = view if view is not None else {"text/html": self._frame()}  # else: the page
        data.update({key: value for key, value in live.items()
                     if (include is None or key in include) and key not in (exclude or ())})
        return data, metadata

    def _frame(self):
        # a frame keeps the page's script and element ids apart from the notebook's
        height = self.graph()["height"] + 460  # + controls and panel
        return (f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {height}px; border: 1px solid #ccc" '
                f'title="backward pass explorer"></iframe>')


def _widget_view(explorer):
    """The widget's part of a display bundle, or None outside a Jupyter kernel or without
    anywidget."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    try:
        widget = explorer.widget
    except ImportError:
        return None
    shown = widget._repr_mimebundle_()
    data = shown[0] if isinstance(shown, tuple) else shown  # ipywidgets 8: (data, metadata)
    return {key: value for key, value in data.items()
            if key == "application/vnd.jupyter.widget-view+json"}


def _parse_numbers(text, what, count=None):
    """The numbers in `text` (separated by spaces, commas, semicolons or brackets), as
    floats: float() of each part, never eval. Not a finite number: ExplorerError."""
    if not isinstance(text, str):
        raise ExplorerError(f"{what}: expected text, got {type(text).__name__}")
    parts = [part for part in re.split(r"[\s,;()\[\]]+", text) if part]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise ExplorerError(f"{what}: {text.strip()[:40]!r} is not a number; type numbers "
                            f"such as 0.5 or -2, separated by commas") from None
    if not numbers or not all(math.isfinite(n) for n in numbers):
        raise ExplorerError(f"{what}: type finite numbers such as 0.5 or -2, got "
                            f"{text.strip()[:40]!r}")
    if count is not None and len(numbers) != count:
        raise ExplorerError(f"{what}: type one number, got {text.strip()[:40]!r}")
    return numbers


def _number_of(data):
    """A root's value as one float for the history (None for an array of several)."""
    value = raw(data)
    return float(np.asarray(value).reshape(())) if np.size(value) == 1 else None


def explore(root, model=None, *, exercise=False, title=None):
    """An `Explorer`: steps through the backward pass from `root` one node at a time, in the
    order `backward()` runs them (buttons, arrow keys, play and pause). In Jupyter it is a
    live widget: click an input's value to change it, or take a step of gradient descent,
    and the kernel recomputes both passes of the same recorded graph; elsewhere, `.save(path)`
    writes a page any browser opens.

    Each step shows the active node, the gradient arriving from above (upstream), its local
    gradient and the product sent down each wire (for Tensor ops that are not elementwise,
    what the rule computes, e.g. upstream @ Wᵀ); a value used several times adds up the
    gradients it receives (fan-out); the last step shows the `.grad` of every input. In
    exercise mode (`exercise=True`, or the checkbox) the gradients are hidden and the
    learner types each one; the page checks it against the engine's number and says the rule.

    `root` is a Scalar or a small Tensor graph (at most `MAX_VALUES` values; tensors are
    shown by shape and summary). `backward()` is run first when `root` has no gradient yet.
    `model` names unlabelled values as `draw` does; `title` is the page's heading.
    """
    if not isinstance(root, Node):
        raise TypeError(f"explore: expected a Scalar or Tensor, got {type(root).__name__}")
    values = all_values(root)
    if len(values) > MAX_VALUES:
        raise ExplorerError(f"explore: the graph has {len(values)} values; the explorer shows "
                            f"at most {MAX_VALUES}, one step at a time. Explore a smaller part "
                            f"(a single neuron or layer), or draw the whole graph with "
                            f"autograd.draw(root, max_nodes=...)")
    if model is not None and not hasattr(model, "named_parameters"):
        raise TypeError(f"explore: model must have named_parameters() (an nn.Module), got "
                        f"{type(model).__name__}")
    if root.grad is None:
        root.backward()
    return Explorer(root, model, exercise=exercise, title=title)


def graph_data(root, values, model=None):
    """Everything the page shows, as plain data: nodes with positions, wires, the backward
    steps (in the order the engine runs them) and the inputs' final gradients."""
    names = names_of(values, model)
    order = list(reversed(values))  # inputs first
    index = {id(v): i for i, v in enumerate(order)}
    uses = consumers(values)
    nodes = [{
        "id": index[id(v)], "name": names[id(v)], "op": v.op.name if v.op else None,
        "kind": "value", "shape": None if isinstance(v.data, float) else list(v.data.shape),
        "dtype": None if isinstance(v.data, float) else str(v.data.dtype),
        "data": number(v.data), "grad": number(v.grad) if v.grad is not None else None,
        "input": v.op is None and v.requires_grad,
        "editable": v.op is None and np.size(v.data) <= TYPED_SIZE,
        "uses": uses.get(id(v), 0),
    } for v in order]
    wires = []
    for v in order:
        for slot, parent in enumerate(v.parents if v.op else ()):
            if isinstance(parent, Node):
                source = index[id(parent)]
            else:  # a raw constant: a small node of its own for each use
                source = len(nodes)
                nodes.append({"id": source, "name": number(parent, short=True)["text"],
                              "op": None,
                              "kind": "constant", "shape": None, "dtype": None,
                              "data": number(parent), "grad": None, "input": False,
                              "uses": 1})
            wires.append({"id": len(wires), "from": source, "to": index[id(v)], "slot": slot,
                          "value": number(raw(parent), short=True)})
    wire_of = {(w["to"], w["slot"]): w["id"] for w in wires}
    totals, arrived = {}, {}  # value id -> the sum of the gradients it received so far; them
    steps = []
    for node in reverse_order(root):
        step = _step(node, names, index, wire_of, uses)
        step["sum"] = _sum_text(arrived.get(step["node"], []), totals.get(step["node"]))
        for sent, g in zip(step["sent"], step.pop("grads")):
            key = sent["to"]
            totals[key] = g if key not in totals else totals[key] + g
            arrived.setdefault(key, []).append(g)
            sent["total"] = number(totals[key])
            sent["arrived"] = len(arrived[key])
        steps.append(step)
    inputs = [{"node": index[id(v)], "name": names[id(v)], "grad": number(v.grad),
               "count": len(arrived[index[id(v)]]),
               "sum": _sum_text(arrived[index[id(v)]], totals[index[id(v)]]),
               "rule": _FAN_OUT_RULE.format(x=names[id(v)], k=len(arrived[index[id(v)]])),
               "typed": _typed(v.grad)}
              for v in order if v.op is None and index[id(v)] in arrived]
    if root.op is None and root.requires_grad:  # a lone input: its gradient is the seed
        inputs = [{"node": index[id(root)], "name": names[id(root)], "count": 0,
                   "grad": number(root.grad), "sum": summary(root.grad),
                   "rule": "the output's gradient with respect to itself is 1", "typed": False}]
    labels = [w["value"]["text"] for w in wires] + [
        sent["wireText"] for step in steps for sent in step["sent"]]
    width, height = _layout(nodes, wires, labels)
    return {"nodes": nodes, "wires": wires, "steps": steps, "inputs": inputs,
            "root": index[id(root)], "rootName": names[id(root)], "seed": number(root.grad),
            "kind": "Scalar" if isinstance(root.data, float) else "Tensor",
            "width": width, "height": height, "typedSize": TYPED_SIZE}


def _step(node, names, index, wire_of, uses):
    """One step of the backward pass: `node`'s rule applied to its upstream gradient, each
    input's part explained (`explain_step`; the gradients themselves under "grads", for the
    running sums)."""
    scalar = isinstance(node.data, float)
    sent, grads = [], []
    for part in explain_step(node, names):
        parent, g = part["parent"], part["grad"]
        if scalar:
            arithmetic = f"{summary(node.grad)} \u00d7 {summary(part['local'])} = {summary(g)}"
            product = f"upstream \u00d7 local gradient = {arithmetic}"
        else:
            arithmetic = summary(g)
            product = f"{part['formula']} = {arithmetic}"
        sent.append({"wire": wire_of[(index[id(node)], part["slot"])], "to": index[id(parent)],
                     "name": names[id(parent)],
                     "local": number(part["local"]) if part["elementwise"] else None,
                     "grad": number(g), "rule": part["rule"], "product": product,
                     "arithmetic": arithmetic, "formula": part["formula"],
                     "shapes": part["shapes"],
                     "details": [{"label": label, "value": number(value) if not
                                  isinstance(value, str) else {"text": value, "rows": [value]}}
                                 for label, value in part["details"]],
                     "wireText": number(g, short=True)["text"],
                     "typed": _typed(g)})
        grads.append(g)
    fan_in = uses.get(id(node), 0)
    return {"node": index[id(node)], "name": names[id(node)], "op": node.op.name,
            "elementwise": scalar or node.op.elementwise,
            "upstream": number(node.grad), "fanIn": fan_in, "typedUpstream": _typed(node.grad),
            "upstreamRule": _FAN_OUT_RULE.format(x=names[id(node)], k=fan_in) if fan_in > 1
            else "", "sent": sent, "grads": grads}


def _sum_text(parts, total):
    """"a + b = total" for a value that received several gradients (fan-out), else ""."""
    if len(parts) < 2:
        return ""
    return " + ".join(summary(g) for g in parts) + f" = {summary(total)}"


def _typed(value):
    """True when an exercise asks the learner to type this gradient (few, finite numbers)."""
    array = np.asarray(raw(value), dtype=float)
    return array.size <= TYPED_SIZE and bool(np.all(np.isfinite(array)))


def number(value, short=False):
    """A number or array for the page: its text (as `draw` shows it), the text of each row of
    a small matrix, the shape and, for up to `TYPED_SIZE` finite elements, the values
    themselves (None for nan and inf). `short`: an array whose text is long is named by its
    shape (for the wires)."""
    value = raw(value)
    array = np.asarray(value, dtype=float)
    text = summary(value)
    rows = [summary(row) for row in array] if array.ndim == 2 and array.size <= TYPED_SIZE \
        else [text]
    if short and len(text) > _WIRE_TEXT and array.ndim:
        text = "\u00d7".join(map(str, array.shape))
        rows = [text]
    values = None
    if array.size <= TYPED_SIZE:
        values = [float(v) if np.isfinite(v) else None for v in array.ravel()]
    return {"text": text, "rows": rows, "shape": list(array.shape), "values": values}


def _box(node):
    """The size in pixels of a node's box on the page (drawn by explorer.js: a header line, the
    shape of a tensor, the rows of data and gradient, a line counting fan-out gradients)."""
    if node["kind"] == "constant":
        return len(node["name"]) * _CHAR + 2 * _PAD, _LINE + _PAD
    grad = node["grad"]["rows"] if node["grad"] else ["?"]
    lines = [node["name"] + (f"  {node['op']}" if node["op"] else "")]
    if node["shape"] is not None:
        lines.append(f"{tuple(node['shape'])} {node['dtype']}")
    lines += ["data " + row for row in node["data"]["rows"]] + ["grad " + row for row in grad]
    if node["uses"] > 1:
        lines.append(_FAN_OUT_NOTE.format(n=node["uses"]))
    return max(80, max(map(len, lines)) * _CHAR + 2 * _PAD), len(lines) * _LINE + _PAD


def _layout(nodes, wires, labels):
    """Positions for a left-to-right drawing: a node's column is one more than its inputs'
    deepest, inputs sit just left of their first use, rows are ordered to follow the wires,
    and columns are far enough apart for the longest of the wires' `labels`. Sets x, y, w, h
    of every node; returns the drawing's width and height."""
    parents = {n["id"]: [] for n in nodes}
    children = {n["id"]: [] for n in nodes}  # (child, where the wire enters it: 0 to 1)
    slots = {n["id"]: sum(w["to"] == n["id"] for w in wires) for n in nodes}
    for w in wires:
        parents[w["to"]].append(w["from"])
        children[w["from"]].append((w["to"], (w["slot"] + 1) / (slots[w["to"]] + 1)))
    column = {}
    for n in nodes:  # values come inputs first (parents before children); constants last
        if n["kind"] == "value":
            column[n["id"]] = 1 + max((column[p] for p in parents[n["id"]] if p in column),
                                      default=-1)
    for n in nodes:  # inputs and constants next to their first use
        if not parents[n["id"]] and children[n["id"]]:
            column[n["id"]] = min(column[c] for c, _ in children[n["id"]]) - 1
    columns = {}
    for n in nodes:
        columns.setdefault(column[n["id"]], []).append(n["id"])
    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        n["w"], n["h"] = _box(n)
    # order each column by the mean row of its neighbours, sweeping right then left (towards
    # the children, a wire's place along its child's edge counts: no crossing into one node)
    row = {i: k for ids in columns.values() for k, i in enumerate(ids)}
    keys = sorted(columns)
    for sweep in range(4):
        for c in (keys if sweep % 2 == 0 else reversed(keys)):
            def mean_row(i, rightwards=sweep % 2 == 0):
                around = [row[j] for j in parents[i]] if rightwards else \
                    [row[j] + place for j, place in children[i]]
                return sum(around) / len(around) if around else row[i]
            columns[c].sort(key=mean_row)
            for k, i in enumerate(columns[c]):
                row[i] = k
    # x by column widths; y: each column centred on the tallest
    # the gap between columns fits the longest number written on a wire
    longest = max(map(len, labels), default=0)
    gap = max(_COLUMN_GAP, min(longest, _WIRE_TEXT) * _WIRE_CHAR + 24)
    x, widths = 0.0, {}
    for c in keys:
        widths[c] = max(by_id[i]["w"] for i in columns[c])
    heights = {c: sum(by_id[i]["h"] for i in columns[c]) + _ROW_GAP * (len(columns[c]) - 1)
               for c in keys}
    tallest = max(heights.values())
    for c in keys:
        y = (tallest - heights[c]) / 2
        for i in columns[c]:
            node = by_id[i]
            node["x"], node["y"] = round(x + widths[c] - node["w"], 1), round(y, 1)
            y += node["h"] + _ROW_GAP
        x += widths[c] + gap
    return round(x - gap), round(tallest)


def script_json(data):
    """`data` as JSON that is safe inside a <script> element: no `<`, `>` or `&` (so no
    `</script>` or `<!--` can end or change the element) and no line separators U+2028/9."""
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def page(graph):
    """The whole HTML page of a graph: the template with its style, script and data inlined."""
    folder = resources.files("autograd.draw")
    template = (folder / "explorer.html").read_text(encoding="utf-8")
    parts = {"TITLE": escape(graph["title"]), "STYLE": (folder / "explorer.css").read_text(
        encoding="utf-8"), "SCRIPT": (folder / "explorer.js").read_text(encoding="utf-8"),
        "DATA": script_json(graph)}
    # one pass: a substituted text (a title, the graph) is never searched for placeholders
    return re.sub(r"\{\{(TITLE|STYLE|SCRIPT|DATA)\}\}", lambda m: parts[m.group(1)], template)
