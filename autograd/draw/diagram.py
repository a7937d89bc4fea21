"""`draw`: a Graphviz diagram of everything a value depends on, with data and gradients.

Value nodes are boxes (label, data, grad); op nodes are ellipses named by the op table. Text
is escaped into HTML-like labels, so quotes, angle brackets, braces, backslashes and newlines
show literally. Graphviz's Python package is imported only when drawing (the `viz` extra).
"""

import html

from ..graph import Node
from .walk import all_values, consumers, edge_gradients, has_nonfinite, names_of, summary

INSTALL_HINT = ("the Graphviz 'dot' program is needed to render diagrams: install it with "
                "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
                "from https://graphviz.org/download/; the DOT source is still available as "
                ".source")

_GATE_TEXT = {"add distributes": "add gate: distributes", "mul swaps": "mul gate: swaps",
              "max routes": "max gate: routes"}

_diagram_class = None


def _graphviz():
    try:
        import graphviz
    except ImportError as error:
        raise ImportError("autograd.draw needs the graphviz package: pip install "
                          "'gategrad[viz]'") from error
    return graphviz


def _diagram(**attributes):
    """A graphviz.Digraph whose rendering errors say how to install Graphviz."""
    global _diagram_class
    graphviz = _graphviz()
    if _diagram_class is None:
        class Diagram(graphviz.Digraph):
            """A graphviz.Digraph of a computation graph (see autograd.draw)."""

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

        _diagram_class = Diagram
    return _diagram_class(**attributes)


def _text(value):
    """User text made safe for an HTML-like label: escaped, newlines as line breaks."""
    return "<BR/>".join(html.escape(line) for line in str(value).split("\n"))


def _value_label(node, name, show_grad, highlight=False):
    rows = [f"<B>{_text(name)}</B>"]
    if isinstance(node.data, float):
        rows.append(f"data {_text(summary(node.data))}")
    else:
        rows.append(f"{_text(node.data.shape)} {_text(node.data.dtype)}")
        rows.append(f"data {_text(summary(node.data))}")
    if show_grad and node.grad is not None:
        grad = f"grad {_text(summary(node.grad))}"
        rows.append(f'<FONT COLOR="red">{grad}</FONT>' if has_nonfinite(node.grad) else grad)
    if has_nonfinite(node.data):
        rows[1] = f'<FONT COLOR="red">{rows[1]}</FONT>'
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    color = ' BGCOLOR="gold"' if highlight else ""
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0"{color}>{cells}</TABLE>>'


def draw(root, *, model=None, rankdir="LR", show_grad=True, edge_values=False, gates=False,
         max_nodes=400, collapse_modules=False, highlight=None, title=None):
    """A `graphviz.Digraph` of everything `root` depends on.

    Value nodes show their label, data and gradient (tensors: shape, dtype and a summary;
    nan/inf in red); op nodes show the op's name. Options:
    - `edge_values=True`: the cs231n picture: each wire carries the forward value and, after
      backward, the gradient that flows back along it; a value used twice shows fan-out.
    - `gates=True`: label each op with its gate pattern (add distributes, mul swaps, max
      routes) and each value with several consumers as the copy gate (fan-out adds).
    - `model`: an nn module (anything with `named_parameters()`); the ops that consume a
      module's parameters are drawn inside one box per module; `collapse_modules=True` draws
      each such box as a single node.
    - `max_nodes`: past this many values, the ones farthest from `root` are collapsed into a
      single summary node saying how many values and which ops were left out.
    - `highlight`: a node to colour (the step-by-step pictures use it); `title`: a caption.
    Renders inline in Jupyter; `.render("file", format="svg")` writes SVG/PNG/PDF.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw: expected a Scalar or Tensor, got {type(root).__name__}")
    values = all_values(root)
    shown = values[:max_nodes]
    hidden = values[max_nodes:]
    shown_ids = {id(v) for v in shown}
    names = names_of(values)
    uses = consumers(values)
    clusters = _clusters(model, values) if model is not None else {}

    dot = _diagram(graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                   node_attr={"fontname": "Helvetica", "fontsize": "11"},
                   edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    if title:
        dot.attr(label=_text_plain(title), labelloc="t")
    groups = {}  # cluster name -> list of (node id, attributes)

    def add(node_id, cluster, **attributes):
        if cluster is not None and collapse_modules:
            return
        groups.setdefault(cluster, []).append((node_id, attributes))

    for node in shown:
        vid = f"v{id(node)}"
        cluster = clusters.get(id(node))
        label = _value_label(node, names[id(node)], show_grad, node is highlight)
        if gates and uses.get(id(node), 0) > 1:
            label = label[:-len("</TABLE>>")] + \
                f'<TR><TD><I>fan-out: {uses[id(node)]} gradients add</I></TD></TR></TABLE>>'
        add(vid, cluster, label=label, shape="plaintext")
        if node.op is not None:
            op_label = node.op.name
            if gates and node.op.gate:
                op_label = _GATE_TEXT.get(node.op.gate, node.op.gate)
            add(f"o{id(node)}", cluster, label=_text_plain(op_label), shape="ellipse",
                style="filled", fillcolor="gold" if node is highlight else "lightblue")
    for cluster, members in groups.items():
        target = dot
        if cluster is not None:
            with dot.subgraph(name=f"cluster_{cluster}") as sub:
                sub.attr(label=_text_plain(f"{cluster}: {_module_repr(model, cluster)}"),
                         style="rounded", color="gray40")
                for node_id, attributes in members:
                    sub.node(node_id, **attributes)
            continue
        for node_id, attributes in members:
            target.node(node_id, **attributes)
    if collapse_modules:
        for cluster in sorted({c for c in clusters.values()}):
            dot.node(f"m_{cluster}", label=_text_plain(f"{cluster}: {_module_repr(model, cluster)}"),
                     shape="box3d", style="filled", fillcolor="lightgrey")

    def endpoint(node, kind):
        cluster = clusters.get(id(node))
        if collapse_modules and cluster is not None:
            return f"m_{cluster}"
        return f"{kind}{id(node)}"

    drawn = set()
    for node in shown:
        if node.op is None:
            continue
        op_id, value_id = endpoint(node, "o"), endpoint(node, "v")
        if op_id != value_id:
            _edge(dot, drawn, op_id, value_id)
        grads = edge_gradients(node) if edge_values else [None] * len(node.parents)
        for i, (parent, g) in enumerate(zip(node.parents, grads)):
            if isinstance(parent, Node):
                if id(parent) not in shown_ids:
                    continue
                source = endpoint(parent, "v")
            else:  # a raw constant: its own small node for each use
                source = f"c{id(node)}_{i}"
                dot.node(source, label=_text_plain(summary(parent)), shape="note",
                         fontsize="9", color="gray50")
            if source == op_id:
                continue
            attributes = {}
            if edge_values:
                value = summary(parent)
                text = f'<<FONT COLOR="darkgreen">{_text(value)}</FONT>'
                if g is not None:
                    text += f'<BR/><FONT COLOR="red">{_text(summary(g))}</FONT>'
                attributes["label"] = text + ">"
            _edge(dot, drawn, source, op_id, **attributes)
    if hidden:
        _summarise_hidden(dot, hidden, shown, shown_ids)
    return dot


def _edge(dot, drawn, source, target, **attributes):
    key = (source, target, attributes.get("label"))
    if key not in drawn:
        drawn.add(key)
        dot.edge(source, target, **attributes)


def _text_plain(text):
    """A plain string label made literal: an HTML-like label holding the escaped text."""
    return f"<{_text(text)}>"


def _clusters(model, values):
    """Node id -> module name: a module's parameters and the ops that consume them."""
    owner = {}
    for name, parameter in model.named_parameters():
        owner[id(parameter)] = name.rsplit(".", 1)[0] if "." in name else ""
    clusters = {}
    for node in values:
        if id(node) in owner:
            clusters[id(node)] = owner[id(node)]
    for node in values:
        for parent in node.parents:
            if isinstance(parent, Node) and id(parent) in owner and id(parent) in clusters:
                clusters[id(node)] = owner[id(parent)]
                break
    return {key: _module_key(model, name) for key, name in clusters.items()}


def _module_key(model, parameter_prefix):
    """The deepest module whose name is a prefix of the parameter's (for Scalar layers, whose
    parameters are nested in lists: layers.0.weight.1 -> layers.0)."""
    modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
    prefix = parameter_prefix
    while prefix and prefix not in modules:
        prefix = prefix.rsplit(".", 1)[0] if "." in prefix else ""
    return prefix or "model"


def _module_repr(model, name):
    modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
    module = modules.get(name, model if name == "model" else None)
    return repr(module) if module is not None else name


def _summarise_hidden(dot, hidden, shown, shown_ids):
    ops = {}
    for node in hidden:
        if node.op is not None:
            ops[node.op.name] = ops.get(node.op.name, 0) + 1
    detail = ", ".join(f"{name} x{count}" for name, count in sorted(ops.items()))
    dot.node("collapsed", shape="box", style="dashed",
             label=_text_plain(f"{len(hidden)} more values collapsed\n(ops: {detail or 'none'})"))
    hidden_ids = {id(v) for v in hidden}
    for node in shown:
        if node.op is not None and any(isinstance(p, Node) and id(p) in hidden_ids
                                       for p in node.parents):
            dot.edge("collapsed", f"o{id(node)}", style="dashed")
