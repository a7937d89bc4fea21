"""Walking a finished graph for pictures and tables: every value, names, per-edge gradients and
short texts for numbers and arrays. Nothing here recurses."""

import re
from collections import deque

import numpy as np

from ..graph import Node, rule_gradients, toposort
from ..kernels import raw


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


def names_of(values, model=None):
    """A name for every value: its label; else, with `model` (anything with
    `named_parameters()`), a parameter's name and, for the other leaves, their role: `input`
    for those the model's parameters are applied to, `target` for the others (numbered when
    there are several); else the op's name numbered from the inputs up (add1, mul2, ...);
    else x1, x2, ... for unlabelled leaves."""
    parameters = parameter_names(model) if model is not None else {}
    inputs = upstream_of(parameter_consumers(values, parameters)) if model is not None else set()
    roles = {}  # id -> role, for the unlabelled leaves that are not parameters
    for node in reversed(values):
        if node.op is None and not _labelled(node) and id(node) not in parameters:
            roles[id(node)] = ("input" if id(node) in inputs else "target") if model else "x"
    totals = {role: list(roles.values()).count(role) for role in set(roles.values())}
    names, counts = {}, {}
    for node in reversed(values):
        if _labelled(node):
            names[id(node)] = str(node.label)
        elif id(node) in parameters:
            names[id(node)] = parameters[id(node)]
        else:
            stem = node.op.name if node.op is not None else roles[id(node)]
            counts[stem] = counts.get(stem, 0) + 1
            alone = stem in ("input", "target") and totals[stem] == 1
            names[id(node)] = stem if alone else f"{stem}{counts[stem]}"
    return names


def _labelled(node):
    return node.label is not None and str(node.label) != ""


def parameter_names(model):
    """id of each of the model's parameters -> its name in `model.named_parameters()`."""
    return {id(p): name for name, p in model.named_parameters()}


def parameter_consumers(values, parameters):
    """The interior values among `values` that take a parameter (an id in `parameters`) as a
    direct input."""
    return [node for node in values if node.op is not None and any(
        isinstance(p, Node) and id(p) in parameters for p in node.parents)]


def upstream_of(nodes):
    """The ids of `nodes` and of every value they depend on (an iterative walk)."""
    seen, stack = {id(node) for node in nodes}, list(nodes)
    while stack:
        for parent in stack.pop().parents:
            if isinstance(parent, Node) and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return seen


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


def summary(value, limit=6):
    """A short one-line text for a float or an array: the numbers (4 significant digits, -0
    shown as 0) when there are at most `limit`, else min, mean and max of the finite ones and
    a count of the nan and inf entries."""
    value = raw(value)
    if value is None:
        return "None"
    if isinstance(value, (float, int, np.number)):
        return f"{float(value) + 0.0:.4g}"  # + 0.0 turns -0 into 0
    array = np.asarray(value)
    if array.size <= limit:  # on one line: the rows of a matrix separated by commas
        text = np.array2string(array, separator=", ", max_line_width=10**6,
                               formatter={"float_kind": lambda v: f"{v + 0.0:.4g}"})
        return re.sub(r"\s*\n\s*", " ", text)
    finite = array[np.isfinite(array)] + 0.0
    text = (f"min {finite.min() + 0.0:.3g} mean {finite.mean() + 0.0:.3g} "
            f"max {finite.max() + 0.0:.3g}" if finite.size else "no finite values")
    nans, infs = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    bad = [f"{count} {kind}" for count, kind in ((nans, "nan"), (infs, "inf")) if count]
    return text + (f" ({', '.join(bad)})" if bad else "")


def has_nonfinite(value):
    """True when a float or an array holds nan or inf."""
    value = raw(value)
    if value is None:
        return False
    return not bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
