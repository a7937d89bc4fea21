"""Walking a finished graph for pictures and tables: per-edge gradients and short texts for
numbers and arrays; every value and its name come from `autograd.naming` (one name per value
across draw, the step table, the explorer and the generated code). Nothing here recurses."""

import re

import numpy as np

from ..graph import Node, rule_gradients, toposort
from ..kernels import raw
from ..naming import (all_values, names_of, parameter_consumers,  # noqa: F401 (shared names)
                      parameter_names, upstream_of)


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
