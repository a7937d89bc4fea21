"""The backward pass, step by step: for each node in reverse topological order, the gradient
arriving from above (upstream), the local gradient and the gradient passed down to each input;
a last row for the inputs, which receive and store their gradients."""

import html

from ..graph import Node
from .display import bundle, stack_svgs
from .explain import explain_step
from .walk import all_values, names_of, reverse_order, summary

COLUMNS = ("step", "node", "op", "upstream", "local", "downstream")


class BackwardSteps:
    """The steps of one backward pass. `rows` is a list of dicts with the keys of `COLUMNS`
    (`local` and `downstream` are lists of texts, one per input), `values` (the nodes of the
    step) and `sent` (the (input, gradient) pairs the step passes down, as numbers or arrays);
    the last row, for the inputs, also has `received` (each input and the gradient it received
    in this pass). Shown as text (`str`), as an HTML table (`to_html`, and inline in Jupyter)
    and as diagrams highlighting each step's nodes (`diagrams`): one line per input, so no
    cell holds more than one number or array."""

    def __init__(self, root, rows, model=None):
        self.root = root
        self.rows = rows
        self.model = model

    def lines(self):
        """The table as lists of cells (the texts of `COLUMNS`): a step takes one line per
        input, its first line carrying the step, node, op and upstream gradient."""
        table = []
        for row in self.rows:
            if "received" in row:  # the inputs: each on its own line
                for i, (leaf, text) in enumerate(zip(row["values"], row["downstream"])):
                    name = text.split(".grad = ")[0]
                    table.append([str(row["step"]) if i == 0 else "", name,
                                  row["op"] if i == 0 else "",
                                  summary(row["received"][i][1]), "-", text])
                continue
            width = max(len(row["local"]), len(row["downstream"]), 1)
            for i in range(width):
                head = [str(row["step"]), row["node"], row["op"], row["upstream"]] if i == 0 \
                    else ["", "", "", ""]
                table.append(head + [_item(row["local"], i), _item(row["downstream"], i)])
        return table

    def to_text(self):
        """The table as aligned plain text."""
        lines = [list(COLUMNS)] + self.lines()
        widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                         for line in lines)

    def to_html(self):
        """The table as an HTML <table> (every cell escaped, none wrapped); a line above the
        first line of each step."""
        cell = 'style="white-space: nowrap; text-align: left; padding: 1px 8px"'
        head = "".join(f"<th {cell}>{column}</th>" for column in COLUMNS)
        body = ""
        for line in self.lines():
            border = ' style="border-top: 1px solid #999"' if line[0] else ""
            body += f"<tr{border}>" + "".join(f"<td {cell}>{html.escape(text)}</td>"
                                              for text in line) + "</tr>"
        return (f'<table style="border-collapse: collapse"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def diagrams(self, **options):
        """One diagram per step with the step's nodes and the wires into them highlighted
        (keyword options go to `autograd.draw`; by default the cs231n picture), in a list that
        Jupyter shows as the pictures, one under the other."""
        from .diagram import draw
        options = {"edge_values": True, "gates": True, **options}
        options.setdefault("model", self.model)
        return Diagrams(draw(self.root, highlight=row["values"],
                             title=f"step {row['step']}: {row['node']} ({row['op']})", **options)
                        for row in self.rows)

    def __len__(self):
        return len(self.rows)

    def __str__(self):
        return self.to_text()

    __repr__ = __str__  # a terminal (the REPL, IPython) shows the table, not an object address

    def _repr_html_(self):
        return self.to_html()

    def picture(self):
        """The table drawn by Graphviz (a diagram whose one node is the table): the PNG of
        the display bundle, for front ends that show no HTML."""
        from .diagram import new_diagram, text
        rows = "".join("<TR>" + "".join(f'<TD ALIGN="LEFT">{text(cell) or " "}</TD>'
                                         for cell in line) + "</TR>"
                       for line in [list(COLUMNS)] + self.lines())
        picture = new_diagram(graph_attr={"pad": "0.05"},
                              node_attr={"fontname": "Helvetica", "fontsize": "11"})
        picture.node("table", shape="plaintext", label=f'<<TABLE BORDER="0" CELLBORDER="1" '
                     f'CELLSPACING="0" CELLPADDING="3">{rows}</TABLE>>')
        picture.about = f"the table of the {len(self.rows)} steps of a backward pass"
        return picture

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        data, metadata = bundle(None, [self.picture()._repr_image_png()],
                                f"The backward pass, step by step ({len(self.rows)} steps; "
                                f"run the cell in Jupyter for the table):\n{self.to_text()}",
                                include, exclude)
        if (include is None or "text/html" in include) and "text/html" not in (exclude or ()):
            data["text/html"] = self.to_html()
        return data, metadata


class Diagrams(list):
    """A list of diagrams (graphviz Digraphs) that Jupyter displays as the pictures themselves,
    one under the other (each needs Graphviz's `dot`, as a single diagram's display does): one
    SVG, one PNG (with Pillow, which stacks them) and a line of text."""

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return bundle(stack_svgs([d._repr_image_svg_xml() for d in self]),
                      [d._repr_image_png() for d in self], repr(self), include, exclude)

    def __repr__(self):
        return (f"<{len(self)} diagrams of the backward pass, one per step: pictures, shown "
                f"when the cell runs in Jupyter (run it if you see this line); save one with "
                f".render('name', format='svg')>")


def backward_steps(root, model=None):
    """The backward pass from `root` as a `BackwardSteps` table. Runs `root.backward()` first
    when `root` has no gradient yet (so `root` must then hold a single number). With `model`
    (anything with `named_parameters()`), unlabelled values are named as `draw` names them.

    Local gradients come from each op's own rule applied to a gradient of ones: for a Scalar,
    d(out)/d(input); for an elementwise Tensor op, the derivative of each output element by
    the same element of the input, with the axes its gradient is summed over when the input
    was broadcast (a bias receives the upstream summed over the batch rows). Other Tensor ops
    have no elementwise local gradient: the column says what the rule computes (`upstream @
    Wᵀ`) and what it does to the gradient's shape. Downstream gradients come from the rule
    applied to the upstream gradient.
    """
    if not isinstance(root, Node):
        raise TypeError(f"backward_steps: expected a Scalar or Tensor, got "
                        f"{type(root).__name__}")
    if root.grad is None:
        root.backward()
    names = names_of(all_values(root), model)
    received = {}  # id(leaf) -> (leaf, the gradient it received in this pass)
    rows = []
    for step, node in enumerate(reverse_order(root), start=1):
        parts = explain_step(node, names)
        here = names[id(node)]
        rows.append({
            "step": step, "values": [node], "node": here, "op": node.op.name,
            "upstream": summary(node.grad),
            "local": [_local_text(here, part, names, node) for part in parts],
            "downstream": [f"{names[id(part['parent'])]} <- {summary(part['grad'])}"
                           for part in parts],
            "sent": [(part["parent"], part["grad"]) for part in parts],
        })
        for parent, g in ((part["parent"], part["grad"]) for part in parts):
            if parent.op is None:
                leaf, total = received.get(id(parent), (parent, None))
                received[id(parent)] = (leaf, g if total is None else total + g)
    if root.op is None and root.requires_grad:
        received[id(root)] = (root, root.grad)
    if received:
        received = dict(sorted(received.items(), key=lambda item: names[item[0]]))
        leaves = [leaf for leaf, _ in received.values()]
        rows.append({
            "step": len(rows) + 1, "values": leaves,
            "node": ", ".join(names[id(leaf)] for leaf in leaves), "op": "(inputs)",
            "upstream": "; ".join(f"{names[id(leaf)]} <- {summary(g)}"
                                  for leaf, g in received.values()),
            "local": [],
            "downstream": [f"{names[id(leaf)]}.grad = {summary(leaf.grad)}" for leaf in leaves],
            "sent": [], "received": list(received.values()),
        })
    return BackwardSteps(root, rows, model)


def _item(texts, i):
    return texts[i] if i < len(texts) else ("-" if i == 0 else "")


def _local_text(out_name, part, names, node):
    """The local column of one input: its local gradient (elementwise for a Tensor, with the
    axes summed where it was broadcast), or for other ops what the rule computes."""
    in_name = names[id(part["parent"])]
    if isinstance(node.data, float):
        return f"d{out_name}/d{in_name} = {summary(part['local'])}"
    if part["elementwise"]:
        text = f"d{out_name}/d{in_name} elementwise = {summary(part['local'])}"
        if part["summed"]:
            axes = ", ".join(map(str, part["summed"]))
            text += f"; upstream \u00d7 local summed over axis {axes} (broadcast)"
        return text
    reshaped = part["reshaped"]
    return part["formula"] + (f"; shape {reshaped[0]} -> {reshaped[1]}" if reshaped else "")
