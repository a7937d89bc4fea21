"""Walking a finished graph for pictures and tables: every value, names, and per-edge gradients."""

import numpy as np

from ..graph import Node, toposort


def all_values(root):
    """Every graph value `root` depends on (leaves included), outputs before inputs, each once.
    Iterative: a graph of any depth is walked without recursion."""
    seen, order, stack = {id(root)}, [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for parent in node.parents:
            if isinstance(parent, Node) and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return order


def names_of(values):
    """A name for every value: its label, else the op's name numbered (mul1, ...), else x1..."""
    names, counts = {}, {}
    for node in reversed(values):
        if node.label:
            names[id(node)] = str(node.label)
            continue
        stem = node.op.name if node.op is not None else "x"
        counts[stem] = counts.get(stem, 0) + 1
        names[id(node)] = f"{stem}{counts[stem]}"
    return names


def edge_gradients(node):
    """For an interior node whose `.grad` is set (after backward): the gradient its rule sends
    to each input, fitted to the input's shape (None for constants and inputs that need none).
    The rules are called exactly as the engine calls them, on raw data."""
    if node.op is None or node.grad is None:
        return [None] * len(node.parents)
    raw = [p.data if isinstance(p, Node) else p for p in node.parents]
    grads = node.op.vjp(_raw(node.grad), node.data, *raw, **(node.params or {}))
    fitted = []
    for parent, g in zip(node.parents, grads):
        needed = isinstance(parent, Node) and parent.requires_grad and g is not None
        fitted.append(parent._fit_grad(g, node.op.name) if needed else None)
    return fitted


def local_gradients(node):
    """For a Scalar node: d(out)/d(input) for each input (the rule applied to g = 1)."""
    if node.op is None or not isinstance(node.data, float):
        return None
    raw = [p.data if isinstance(p, Node) else p for p in node.parents]
    return [None if g is None else float(g) for g in
            node.op.vjp(1.0, node.data, *raw, **(node.params or {}))]


def consumers(values):
    """How many times each value (by id) is used as an input: more than once is a fan-out."""
    counts = {}
    for node in values:
        for parent in node.parents:
            if isinstance(parent, Node):
                counts[id(parent)] = counts.get(id(parent), 0) + 1
    return counts


def reverse_order(root):
    """The interior nodes in the order backward processes them (root first)."""
    return list(reversed(toposort(root)))


def _raw(value):
    return value.data if isinstance(value, Node) else value


def summary(value, limit=6):
    """A short text for a float or an array: the number, or shape-free values / statistics."""
    value = _raw(value)
    if value is None:
        return "None"
    if isinstance(value, (float, int, np.floating)):
        return f"{float(value):.4g}"
    array = np.asarray(value)
    if array.size <= limit:
        return np.array2string(array, precision=4, separator=", ", suppress_small=True,
                               max_line_width=60)
    finite = array[np.isfinite(array)]
    stats = (f"min {finite.min():.3g} mean {finite.mean():.3g} max {finite.max():.3g}"
             if finite.size else "no finite values")
    return stats


def has_nonfinite(value):
    """True when a float or an array holds nan or inf."""
    value = _raw(value)
    if value is None:
        return False
    return not bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
