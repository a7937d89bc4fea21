"""Walking a finished graph for pictures and tables: every value, names, per-edge gradients and
short texts for numbers and arrays. Nothing here recurses."""

from collections import deque

import numpy as np

from ..graph import Node, rule_gradients, toposort


def all_values(root):
    """Every graph value `root` depends on (leaves included), each once, in breadth-first order
    from `root` (so a prefix of the list is the part of the graph nearest the output). Inputs
    are visited last to first, so that the reversed list reads left to right, inputs first."""
    seen, order, queue = {id(root)}, [], deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for parent in reversed(node.parents):
            if isinstance(parent, Node) and id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return order


def names_of(values):
    """A name for every value: its label, else the op's name numbered from the inputs up
    (add1, mul2, ...), else x1, x2, ... for unlabelled leaves."""
    names, counts = {}, {}
    for node in reversed(values):
        if node.label is not None and str(node.label):
            names[id(node)] = str(node.label)
            continue
        stem = node.op.name if node.op is not None else "x"
        counts[stem] = counts.get(stem, 0) + 1
        names[id(node)] = f"{stem}{counts[stem]}"
    return names


def consumers(values):
    """How many times each value (by id) is used as an input: more than once is a fan-out."""
    counts = {}
    for node in values:
        for parent in node.parents:
            if isinstance(parent, Node):
                counts[id(parent)] = counts.get(id(parent), 0) + 1
    return counts


def edge_gradients(node):
    """For an interior node whose `.grad` is set (after backward): the gradient its rule sends
    to each input, fitted to the input's shape (None for constants and inputs that need none).
    The op's own rule is called as the engine calls it, on raw data."""
    if node.op is None or node.grad is None:
        return [None] * len(node.parents)
    return _fitted(node, _apply_rule(node, raw(node.grad)))


def local_gradients(node):
    """For an interior node: its rule applied to an upstream gradient of ones, for each input
    (None for constants). For a Scalar this is d(out)/d(input); for a Tensor it is the local
    Jacobian summed over the outputs, the elementwise derivative for an elementwise op."""
    if node.op is None:
        return [None] * len(node.parents)
    ones = 1.0 if isinstance(node.data, float) else np.ones_like(node.data)
    return _fitted(node, _apply_rule(node, ones))


def _apply_rule(node, g):
    return rule_gradients(node, g)  # the op's rule, called exactly as backward calls it


def _fitted(node, grads):
    # the value types fit a rule's result to the input's shape exactly as backward does
    return [parent._fit_grad(g, node.op.name) if g is not None else None
            for parent, g in zip(node.parents, grads)]


def reverse_order(root):
    """The interior nodes in the order backward processes them (root first)."""
    return toposort(root)[::-1]


def raw(value):
    """The float or array inside a graph value (a raw constant is returned as it is)."""
    return value.data if isinstance(value, Node) else value


def summary(value, limit=6):
    """A short text for a float or an array: the numbers when there are at most `limit`, else
    min, mean and max of the finite ones and a count of the nan and inf entries."""
    value = raw(value)
    if value is None:
        return "None"
    if isinstance(value, (float, int, np.number)):
        return f"{float(value):.4g}"
    array = np.asarray(value)
    if array.size <= limit:
        return np.array2string(array, separator=", ", max_line_width=60,
                               formatter={"float_kind": lambda v: f"{v:.4g}"})
    finite = array[np.isfinite(array)]
    text = (f"min {finite.min():.3g} mean {finite.mean():.3g} max {finite.max():.3g}"
            if finite.size else "no finite values")
    nans, infs = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    bad = [f"{count} {kind}" for count, kind in ((nans, "nan"), (infs, "inf")) if count]
    return text + (f" ({', '.join(bad)})" if bad else "")


def has_nonfinite(value):
    """True when a float or an array holds nan or inf."""
    value = raw(value)
    if value is None:
        return False
    return not bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
