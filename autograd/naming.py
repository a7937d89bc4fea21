"""One name per value: the names that diagrams, step tables, the explorer, diagnostics and the
generated code (`backward_code`, `compile`) give the values of a graph.

A value's name is its label; else a model's parameter name or, for the model's other leaves,
their role (`input`, `target`); else its op's name numbered from the inputs up, one count per op
(`mul1`, `mul2`, `add1`, ...), and `x1`, `x2`, ... for unlabelled leaves. The count goes from
the inputs up (a network's first layer before its second), ties in the order the computation is
written in: a depth-first walk from the output, inputs left to right (the order `compile` traces
a step in). This module
sits below `draw/` and `compile/` and imports only the graph core; nothing here recurses.
"""

from collections import deque

from .graph import Node


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


def written_order(*roots, inputs_of=None):
    """Every graph value the roots depend on, each after all the values it depends on, in the
    order a left-to-right reading of the expressions computes them (a depth-first walk, inputs
    left to right, with an explicit stack; the roots in turn). `inputs_of(node)` gives a node's
    inputs where they are not its parents (autograd.compile adds detach()'s edges)."""
    order, seen = [], set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for parent in reversed(node.parents if inputs_of is None else inputs_of(node)):
                if isinstance(parent, Node) and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def numbered(entries, inputs=None):
    """The name of each `(label, stem)` in `entries` (listed in written order): the label when
    it is set, else the stem numbered from 1 (`add1`, `add2`, `mul1`), skipping a number that a
    label already uses; the stems `input` and `target` stay bare when they occur once.
    `inputs[i]` (optional) lists the positions of the entries that entry i reads: values are then
    numbered from the inputs up, by their depth (the longest path from a leaf; a network's first
    layer before its second), ties in written order."""
    order = range(len(entries))
    if inputs is not None:
        depth = []
        for i in order:  # every input comes earlier in written order
            depth.append(1 + max((depth[k] for k in inputs[i]), default=-1))
        order = sorted(order, key=lambda i: (depth[i], i))
    totals = {}
    for label, stem in entries:
        if not _set(label):
            totals[stem] = totals.get(stem, 0) + 1
    taken = {str(label) for label, _ in entries if _set(label)}
    names, counts = [None] * len(entries), {}
    for i in order:
        label, stem = entries[i]
        if _set(label):
            names[i] = str(label)
        elif stem in ("input", "target") and totals[stem] == 1 and stem not in taken:
            names[i] = stem
        else:
            counts[stem] = counts.get(stem, 0) + 1
            while f"{stem}{counts[stem]}" in taken:  # a label already says x1: this one is x2
                counts[stem] += 1
            names[i] = f"{stem}{counts[stem]}"
    return names


def names_of(values, model=None):
    """{id(value): name} for `values` (all the values a root depends on, the root first, as
    `all_values` lists them): its label; else, with `model` (anything with
    `named_parameters()`), a parameter's name and, for the other leaves, their role: `input`
    for those the model's parameters are applied to, `target` for the others (numbered when
    there are several); else the op's name numbered from the inputs up (mul1, mul2, add1, ...;
    see `numbered`); else x1, x2, ... for unlabelled leaves."""
    if not values:
        return {}
    parameters = parameter_names(model) if model is not None else {}
    inputs = upstream_of(parameter_consumers(values, parameters)) if model is not None else set()
    wanted = {id(v) for v in values}
    order = [v for v in written_order(values[0]) if id(v) in wanted]
    entries = []
    for node in order:
        if id(node) in parameters and not _set(node.label):
            entries.append((parameters[id(node)], "x"))
        elif node.op is not None:
            entries.append((node.label, node.op.name))
        elif model is not None:
            entries.append((node.label, "input" if id(node) in inputs else "target"))
        else:
            entries.append((node.label, "x"))
    position = {id(node): i for i, node in enumerate(order)}
    inputs = [[position[id(p)] for p in node.parents if isinstance(p, Node)] for node in order]
    return {id(node): name for node, name in zip(order, numbered(entries, inputs))}


def _set(label):
    return label is not None and str(label) != ""


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
