"""The backward pass, step by step: for each node in reverse topological order, the gradient
arriving from above, the local gradient and the gradient passed down to each input."""

import html

from .walk import (all_values, edge_gradients, local_gradients, names_of, reverse_order,
                   summary)


class BackwardSteps:
    """The steps of one backward pass, as rows; shown as text (`str`), as an HTML table
    (`to_html`, and inline in Jupyter) and as diagrams that highlight each step's node."""

    def __init__(self, root, rows):
        self.root = root
        self.rows = rows

    def to_text(self):
        """The table as aligned plain text."""
        header = ["step", "node", "op", "upstream", "local", "downstream"]
        lines = [[str(r["step"]), r["node"], r["op"], r["upstream"],
                  "; ".join(r["local"]) or "-", "; ".join(r["downstream"]) or "-"]
                 for r in self.rows]
        widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        return "\n".join(fmt.format(*row) for row in [header] + lines)

    def to_html(self):
        """The table as an HTML <table>."""
        head = "".join(f"<th>{h}</th>" for h in
                       ("step", "node", "op", "upstream", "local", "downstream"))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in
                             (r["step"], r["node"], r["op"], r["upstream"],
                              "; ".join(r["local"]) or "-", "; ".join(r["downstream"]) or "-"))
            + "</tr>" for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def diagrams(self, **options):
        """One diagram per step, the step's node highlighted (options go to `draw`)."""
        from .diagram import draw
        return [draw(self.root, highlight=r["value"], title=f"step {r['step']}: {r['node']}",
                     **options) for r in self.rows]

    def __str__(self):
        return self.to_text()

    def _repr_html_(self):
        return self.to_html()


def backward_steps(root):
    """The backward pass from `root` as a table. Runs `root.backward()` first when `root` has no
    gradient yet (so `root` must be a single number then)."""
    if root.grad is None:
        root.backward()
    values = all_values(root)
    names = names_of(values)
    rows = []
    for step, node in enumerate(reverse_order(root), start=1):
        downstream = edge_gradients(node)
        local = local_gradients(node)
        inputs = [names.get(id(p), summary(p)) for p in node.parents]
        rows.append({
            "step": step, "value": node, "node": names[id(node)], "op": node.op.name,
            "upstream": summary(node.grad),
            "local": [] if local is None else [
                f"d{names[id(node)]}/d{name} = {summary(v)}"
                for name, v, p in zip(inputs, local, node.parents) if v is not None
                and hasattr(p, "requires_grad")],
            "downstream": [f"{name} <- {summary(g)}" for name, g in zip(inputs, downstream)
                           if g is not None],
        })
    return BackwardSteps(root, rows)
