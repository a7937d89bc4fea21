"""`draw`: a Graphviz diagram of everything a value depends on, with data and gradients.

Value nodes are tables (label, data, grad); op nodes are ellipses named by the op table; raw
constants are small notes. Every text is escaped into an HTML-like label, so quotes, angle
brackets, braces, backslashes and newlines show literally and never break the DOT file.
Graphviz's Python package is imported only when drawing (the `viz` extra).
"""

import html
import re

from ..graph import Node, toposort
from ..naming import written_order
from ..origin import derivative_of
from .display import PNG_DPI, bundle
from .walk import (all_values, consumers, edge_gradients, has_nonfinite, local_gradients,
                   names_of, parameter_consumers, parameter_names, summary, upstream_of)

INSTALL_HINT = ("the Graphviz 'dot' program is needed to render diagrams: install it with "
                "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
                "from https://graphviz.org/download/; the DOT source is still available as "
                "diagram.source")

GATE_TEXT = {"add distributes": "add gate: distributes", "mul swaps": "mul gate: swaps",
             "max routes": "max gate: routes", "min routes": "min gate: routes"}
FAN_OUT_TEXT = "fan-out adds: {} gradients"
RANKDIRS = ("LR", "RL", "TB", "BT")
_FORWARD_COLOR, _GRADIENT_COLOR, _HIGHLIGHT, _OP_COLOR = "darkgreen", "red", "gold", "lightblue"
_NONFINITE = "mistyrose"  # the background of a nan or inf
# tight spacing and rounded boxes for the ops keep the course's graphs within a notebook's width
_GRAPH_STYLE = {"fontname": "Helvetica", "nodesep": "0.08", "ranksep": "0.2", "pad": "0.05"}
_WIRE_MARGIN = 3  # points of clear space around the numbers on a wire
_COMPACT_RANKSEP = "0.12"  # inches: the arrows between boxes stay visible

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # all but \n, shown as \t, \x07
_diagram_class = None


def graphviz_module():
    """The graphviz package, or an ImportError saying how to install it."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError("drawing graphs needs the graphviz Python package: "
                          "pip install \"gategrad[viz]\" (or pip install graphviz)") from error
    return graphviz


def new_diagram(**attributes):
    """An empty Digraph whose rendering errors say how to install the `dot` program."""
    global _diagram_class
    graphviz = graphviz_module()
    if _diagram_class is None:
        class Diagram(graphviz.Digraph):
            """A graphviz.Digraph of a computation graph (see autograd.draw): `.source` is the
            DOT text; `.render(...)`, `.pipe(...)` and Jupyter's inline display need `dot`."""

            def render(self, *args, **kwargs):
                try:
                    return super().render(*args, **kwargs)
                except graphviz.ExecutableNotFound as error:
                    raise RuntimeError(f"render: {INSTALL_HINT}") from error

            def pipe(self, *args, **kwargs):
                try:
                    return super().pipe(*args, **kwargs)
                except graphviz.ExecutableNotFound as error:
                    raise RuntimeError(f"render: {INSTALL_HINT}") from error

            def _repr_image_svg_xml(self):
                return self.pipe(format="svg", encoding="utf-8")

            def _repr_image_png(self):
                """The diagram as PNG bytes drawn by Graphviz at `display.PNG_DPI`."""
                crisp = self.copy()
                crisp.graph_attr["dpi"] = str(PNG_DPI)
                return crisp.pipe(format="png")

            def _repr_mimebundle_(self, include=None, exclude=None, **_):
                return bundle(self._repr_image_svg_xml(), [self._repr_image_png()],
                              self.__repr__(), include, exclude)

            def __repr__(self):
                about = getattr(self, "about", "a computation graph")
                return (f"<autograd.draw.Diagram: {about}; a picture, shown when the cell "
                        f"runs in Jupyter (run it if you see this line); "
                        f".render('name', format='png') writes a file>")

        Diagram.__module__, Diagram.__qualname__ = "autograd.draw", "Diagram"
        _diagram_class = Diagram
    return _diagram_class(**attributes)


def text(value):
    """Any text made literal inside an HTML-like label: HTML-escaped, backslashes doubled
    (Graphviz expands \\N, \\G, \\l... even there), tabs and other control characters
    written as escapes (\\t, \\x07), and line breaks (\\n, \\r\\n, \\r) as <BR/>."""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [_CONTROL.sub(lambda m: repr(m.group())[1:-1], line) for line in lines]
    return "<BR/>".join(html.escape(line).replace("\\", "\\\\") for line in lines)


def plain_label(value):
    """A whole label showing `value` literally (an HTML-like label holding the escaped text)."""
    return f"<{text(value)}>"


def _colored(content, color):
    return f'<FONT COLOR="{color}">{content}</FONT>'


def _value_label(node, name, show_gradients, fan_out, highlight, compact=False, op_text=None):
    """A value's box: its name, its shape for a tensor, data (green), gradient (red) and
    fan-out, one to a row. Compact: two columns, the name beside the op that computed it (in
    the op's colour) over the data beside the gradient, told apart by their colours alone."""
    grad = node.grad if show_gradients else None
    if compact:
        span = ' COLSPAN="2"'
        head = f"<TD{'' if op_text else span}><B>{text(name)}</B></TD>" + (
            f'<TD BGCOLOR="{_HIGHLIGHT if highlight else _OP_COLOR}">{text(op_text)}</TD>'
            if op_text else "")
        numbers = _number_cell("", node.data, _FORWARD_COLOR, "" if grad is not None else span)
        if grad is not None:
            numbers += _number_cell("", grad, _GRADIENT_COLOR)
        cells = [head] + ([f"<TD{span}>{text(f'{node.data.shape} {node.data.dtype}')}</TD>"]
                          if not isinstance(node.data, float) else []) + [numbers]
        if fan_out:
            cells.append(f"<TD{span}><I>{text(FAN_OUT_TEXT.format(fan_out))}</I></TD>")
        highlight = highlight and not op_text  # an interior value's op cell shows it
    else:
        cells = [f"<TD><B>{text(name)}</B></TD>"]
        if not isinstance(node.data, float):
            cells.append(f"<TD>{text(f'{node.data.shape} {node.data.dtype}')}</TD>")
        cells.append(_number_cell("data", node.data, _FORWARD_COLOR))
        if grad is not None:
            cells.append(_number_cell("grad", grad, _GRADIENT_COLOR))
        if fan_out:
            cells.append(f"<TD><I>{text(FAN_OUT_TEXT.format(fan_out))}</I></TD>")
    rows = "".join(f"<TR>{cell}</TR>" for cell in cells)
    color = f' BGCOLOR="{_HIGHLIGHT}"' if highlight else ""
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="1"{color}>' \
        f'{rows}</TABLE>>'


def _number_cell(key, value, color, span=""):
    """A table cell "data 1.5" or "grad -2" in the value's or the gradient's colour; nan and
    inf in bold on a pale red background."""
    content = _colored(f"{key} {text(summary(value))}" if key else text(summary(value)), color)
    if has_nonfinite(value):
        return f'<TD BGCOLOR="{_NONFINITE}"{span}><B>{content}</B></TD>'
    return f"<TD{span}>{content}</TD>"


def _legend(title, gradients):
    """The graph's caption: the title (if any) above a legend of the two colours."""
    def swatch(color, meaning):
        return (f'<TD BGCOLOR="{color}" WIDTH="10" HEIGHT="10" FIXEDSIZE="TRUE"></TD>'
                f'<TD ALIGN="LEFT"><FONT COLOR="{color}">{meaning}</FONT></TD>')

    entries = swatch(_FORWARD_COLOR, "value (data)")
    if gradients:
        entries += '<TD WIDTH="12"></TD>' + swatch(_GRADIENT_COLOR, "gradient (grad)")
    legend = (f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0"><TR>{entries}</TR>'
              f'</TABLE>')
    head = f'<TR><TD><FONT POINT-SIZE="13">{text(title)}</FONT></TD></TR>' if title else ""
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{head}'
            f'<TR><TD>{legend}</TD></TR></TABLE>>')


def _op_text(node, gates):
    """The op's name; with `gates`, its gate pattern, or for a one-input Scalar op without a
    pattern its local gradient (the number the gradient is multiplied by)."""
    if not gates:
        return _with_params(node)
    if node.op.gate:
        return GATE_TEXT.get(node.op.gate, f"{node.op.name} gate: {node.op.gate}")
    inputs = [p for p in node.parents if isinstance(p, Node)]
    if len(inputs) == 1 and isinstance(node.data, float):
        local = [g for g in local_gradients(node) if g is not None]
        if local:
            return f"{_with_params(node)}\nlocal gradient {summary(local[0])}"
    return _with_params(node)


def _with_params(node):
    """The op's name and its number-valued parameters: `pow 2` shows the exponent, `sum
    axis=1` the axis (labels and arrays are left to the values' boxes)."""
    shown = []
    for key, value in (node.params or {}).items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            shown.append(summary(float(value)) if len(node.params) == 1 else
                         f"{key}={summary(float(value))}")
        elif isinstance(value, tuple) and all(isinstance(v, int) for v in value):
            shown.append(f"{key}={value}")
    return " ".join([node.op.name, *shown])


def draw(root, model=None, *, rankdir="LR", show_gradients=True, edge_values=False,
         gates=False, max_nodes=400, collapse_modules=False, highlight=None, title=None,
         compact=False):
    """A `graphviz.Digraph` of everything `root` (a Scalar or Tensor) depends on.

    Value nodes show their name, data (green) and gradient (red) (tensors: shape, dtype and
    a summary; nan and inf in bold on a pale red background); op nodes show the op's name;
    raw constants are small notes; a legend of the two colours (under the title) is on every
    diagram. A value's name is its label; unlabelled values are named by their op (add1,
    mul2, ...) or, with `model`, by their parameter name or their role (input, target);
    without a model, unlabelled leaves are x1, x2, ... Options:
    - `edge_values=True` with `gates=True` is the cs231n picture: each wire carries the
      forward value (green) and, after backward, the gradient flowing back along it (red);
      each op is labelled by its gate pattern (add distributes, mul swaps, max routes) and a
      value used several times by the copy gate (fan-out adds).
    - `show_gradients=False` leaves the gradients out of the value nodes.
    - `model`: a module with `named_parameters()` (and `named_modules()` for titles); each
      module's parameters, the ops that consume them and the ops between those (a layer's
      sums) are drawn in one titled box.
      `collapse_modules=True` draws every such box as a single node; a list of module names
      collapses only those (the others stay expanded).
    - `max_nodes`: past this many values (None: no limit), the ones farthest from `root` are
      replaced by one summary node saying how many values and which ops were left out.
    - `highlight`: a value or a list of values to colour (the step-by-step pictures use it);
      `title`: a caption (by default, for a gradient computed with `create_graph=True` or
      by `autograd.grad`, what it is the derivative of: "d f / d x"); `rankdir`: "LR"
      (default), "RL", "TB" or "BT".
    - `compact=True` writes each op beside the name of the value it computes, in the value's
      box, instead of in a node of its own, and the data beside the gradient (green and red,
      as the legend says): half the ranks and smaller boxes, so a two-layer network drawn top
      to bottom fits a screen.
    Shows inline in Jupyter; `.render("name", format="svg")` writes SVG, PNG or PDF, and
    `.source` is the DOT text, which needs no Graphviz installation.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw: expected a Scalar or Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw: max_nodes must be a positive integer or None, got {max_nodes!r}")
    if model is not None and not hasattr(model, "named_parameters"):
        raise TypeError(f"draw: model must have named_parameters() (an nn.Module), got "
                        f"{type(model).__name__}")
    if collapse_modules and model is None:
        raise ValueError("draw: collapse_modules needs the model (draw(root, model=net, ...))")
    values = all_values(root)
    shown, hidden = values[:max_nodes], (values[max_nodes:] if max_nodes else [])
    shown_ids = {id(v) for v in shown}
    number = {id(v): i for i, v in enumerate(values)}  # DOT names: the same on every run
    names = names_of(values, model)
    uses = consumers(values)
    marked = {id(v) for v in (highlight if isinstance(highlight, (list, tuple, set))
                              else [highlight] if highlight is not None else [])}
    module_of = _module_of(model, root, values) if model is not None else {}
    module_names = sorted(set(module_of.values()))
    boxes = {name: f"cluster_{i}" for i, name in enumerate(module_names)}
    collapsed = set(module_names) if collapse_modules is True else set(collapse_modules or ())
    if collapse_modules is not True and collapsed - set(module_names):
        raise ValueError(f"draw: collapse_modules names {sorted(collapsed - set(module_names))}, "
                         f"which own no parameter in this graph; modules with parameters here: "
                         f"{module_names}")

    dot = new_diagram(graph_attr={"rankdir": rankdir, **_GRAPH_STYLE,
                                  **({"ranksep": _COMPACT_RANKSEP} if compact else {})},
                      node_attr={"fontname": "Helvetica", "fontsize": "11"},
                      edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    if title is None and derivative_of(root):  # a gradient recorded with create_graph=True
        title = f"{derivative_of(root)}: the backward pass as a graph"
    gradients = edge_values or (show_gradients and any(v.grad is not None for v in shown))
    dot.attr(label=_legend(title, gradients), labelloc="t")
    dot.about = _about(root, names, len(values), title)

    def endpoint(node, kind):
        if compact and kind == "o":
            kind = "v"  # the op is written in its value's box
        module = module_of.get(id(node))
        return f"m{boxes[module]}" if module in collapsed else f"{kind}{number[id(node)]}"

    # declared in written order (inputs left to right), which dot keeps within a rank: x1
    # before x2, w11 before w22, never mirrored
    ordered = [v for v in written_order(root) if id(v) in shown_ids]
    members = {}  # module name (None: top level) -> [(node id, attributes)]
    for node in ordered:
        module = module_of.get(id(node))
        if module in collapsed:
            continue
        fan_out = uses.get(id(node), 0) if gates and uses.get(id(node), 0) > 1 else 0
        name = names[id(node)]
        if module and name.startswith(f"{module}."):  # the box's title says the rest
            name = name[len(module) + 1:]
        members.setdefault(module, []).append((f"v{number[id(node)]}", {
            "label": _value_label(node, name, show_gradients, fan_out, id(node) in marked,
                                  compact, _op_text(node, gates) if node.op else None),
            "shape": "plaintext"}))
        if node.op is not None and not compact:
            members[module].append((f"o{number[id(node)]}", {
                "label": plain_label(_op_text(node, gates)), "shape": "box",
                "style": "rounded,filled", "margin": "0.06,0.03",
                "fillcolor": _HIGHLIGHT if id(node) in marked else _OP_COLOR}))
    for module, nodes in members.items():
        if module is None:
            for node_id, attributes in nodes:
                dot.node(node_id, **attributes)
            continue
        with dot.subgraph(name=boxes[module]) as box:
            box.attr(label=plain_label(f"{module}: {_module_repr(model, module)}"),
                     style="rounded", color="gray40", fontname="Helvetica")
            for node_id, attributes in nodes:
                box.node(node_id, **attributes)
    for module in sorted(collapsed & set(module_names)):
        ops = sorted({v.op.name for v in shown if module_of.get(id(v)) == module and v.op})
        dot.node(f"m{boxes[module]}", shape="box3d", style="filled", fillcolor="lightgrey",
                 label=plain_label(f"{module}: {_module_repr(model, module)}\n"
                                   f"ops: {', '.join(ops) or 'none'}"))

    drawn = set()
    for node in ordered:
        if node.op is None:
            continue
        op_id, value_id = endpoint(node, "o"), endpoint(node, "v")
        if op_id != value_id:
            _edge(dot, drawn, op_id, value_id)
        grads = edge_gradients(node) if edge_values else [None] * len(node.parents)
        for i, (parent, g) in enumerate(zip(node.parents, grads)):
            if isinstance(parent, Node):
                if id(parent) not in shown_ids:
                    continue  # drawn as part of the summary node
                source = endpoint(parent, "v")
            else:  # a raw constant: its own small node for each use
                source = f"c{number[id(node)]}_{i}"
                dot.node(source, label=plain_label(summary(parent)), shape="note",
                         fontsize="9", color="gray50")
            if source == op_id:
                continue  # inside one collapsed module
            attributes = {}
            if edge_values:
                label = _colored(text(summary(parent)), _FORWARD_COLOR)
                if g is not None:
                    label += "<BR/>" + _colored(text(summary(g)), _GRADIENT_COLOR)
                attributes["label"] = _wire_label(label)
            if id(node) in marked:
                attributes.update(color=_GRADIENT_COLOR, penwidth="2")
            _edge(dot, drawn, source, op_id, **attributes)
    if hidden:
        _summarise_hidden(dot, hidden, shown, endpoint)
    return dot


def _about(root, names, count, title):
    """What a diagram shows, in words (its text/plain line)."""
    kind = "Scalar" if isinstance(root.data, float) else f"Tensor {root.data.shape}"
    head = f"{title!r}: " if title else ""
    return f"{head}diagram of {names[id(root)]} ({kind}) and the {count - 1} values it depends on"


def _wire_label(content):
    """A wire's numbers in a table with a margin on every side: dot keeps the box clear of the
    wire and of its neighbours, so the text never touches either."""
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{_WIRE_MARGIN}">'
            f'<TR><TD>{content}</TD></TR></TABLE>>')


def _edge(dot, drawn, source, target, **attributes):
    # a collapsed module box would repeat its wires: draw each once; every other wire is
    # drawn, so a value used twice by one op (x * x) shows two wires
    if source.startswith("m") or target.startswith("m"):
        key = (source, target, attributes.get("label"))
        if key in drawn:
            return
        drawn.add(key)
    dot.edge(source, target, **attributes)


def _module_of(model, root, values):
    """Node id -> module name: a module's parameters, the ops that consume them and the ops
    between those (on a path from one of its parameters to one of its parameters' consumers,
    like the sums inside a Scalar layer); an op that fits several modules goes to the one
    whose parameter it consumes, else to the first by name."""
    modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
    owner = {key: _owning_module(name, modules)
             for key, name in parameter_names(model).items()}
    module_of = {key: module for key, module in owner.items()}
    below = {}  # id -> the modules whose parameters the value depends on
    for node in toposort(root):  # parents first
        below[id(node)] = set().union(*(
            {owner[id(p)]} if id(p) in owner else below.get(id(p), set())
            for p in node.parents if isinstance(p, Node)))
    consumers = {}  # module -> the ops that consume its parameters
    for node in parameter_consumers(values, owner):
        for parent in node.parents:
            if isinstance(parent, Node) and id(parent) in owner:
                consumers.setdefault(owner[id(parent)], []).append(node)
    for module in sorted(consumers):
        above = upstream_of(consumers[module])
        for node in values:
            if node.op is not None and id(node) in above and module in below[id(node)]:
                direct = [owner[id(p)] for p in node.parents
                          if isinstance(p, Node) and id(p) in owner]
                module_of.setdefault(id(node), direct[0] if direct else module)
    return module_of


def _owning_module(parameter_name, modules):
    """The deepest module whose name is a prefix of the parameter's dotted name (for Scalar
    layers, whose parameters are nested in lists: layers.0.w.1 -> layers.0)."""
    prefix = parameter_name.rsplit(".", 1)[0] if "." in parameter_name else ""
    while prefix and prefix not in modules:
        prefix = prefix.rsplit(".", 1)[0] if "." in prefix else ""
    return prefix or "model"


def _module_repr(model, name):
    modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
    module = modules.get(name, model if name == "model" else None)
    return repr(module) if module is not None else name


def _summarise_hidden(dot, hidden, shown, endpoint):
    counts = {}
    for node in hidden:
        if node.op is not None:
            counts[node.op.name] = counts.get(node.op.name, 0) + 1
    detail = ", ".join(f"{name} x{count}" for name, count in sorted(counts.items()))
    leaves = sum(node.op is None for node in hidden)
    dot.node("collapsed", shape="box", style="dashed", label=plain_label(
        f"{len(hidden)} more values not drawn (max_nodes={len(shown)})\n"
        f"ops: {detail or 'none'}; leaves: {leaves}"))
    hidden_ids = {id(v) for v in hidden}
    for node in shown:
        if node.op is not None and any(isinstance(p, Node) and id(p) in hidden_ids
                                       for p in node.parents):
            dot.edge("collapsed", endpoint(node, "o"), style="dashed")
