"""The culprit search over another framework's graph: the same search as gategrad's own
(`culprit.py`), over nodes that an adapter traced from the user's function.

An adapter turns f, at the point where its gradient was found wrong, into a list of `Node`s in
the order they ran, each with the gradient `g` it received in the backward pass of the same
output weights. Each node is then checked alone, from the output down (the order in which the
backward pass runs the rules): its framework's vjp applied to `g` against central differences
of <g, op(inputs)>, input by input, with the tolerances and the comparison of gategrad's own
search (`culprit.compare_rule`). The first node that disagrees is the culprit. A node that
cannot be checked alone (random, in place, a value read by Python for control flow, or one
whose vjp raises) is listed as such, never passed over in silence.
"""

import numpy as np

from ...origin import show_site, site_of
from ..culprit import Culprit, compare_rule
from ..kinks import at_kink

ELEMENTWISE_LIMIT = 1000
"""Inputs of a node up to this many elements are checked element by element."""
FLOAT32_EPS = float(np.finfo(np.float32).eps)


class Node:
    """One operation of a traced function: `op` (the operator's name, or the custom Function's
    or custom_vjp's), `kind` (such as "operator", "torch.autograd.Function", "custom_vjp"),
    `inputs` (its array inputs as float64 numpy arrays, the others held by `call`),
    `dtypes` (the inputs' dtypes as the function ran them), `differentiable` (the positions of
    the inputs a gradient flows to), `g` (one cotangent per output, or None when no gradient
    reached it), `call(arrays)` (its outputs at other inputs, as float64 numpy arrays),
    `vjp(arrays, g)` (the gradients of its differentiable inputs), `unchecked` (why it cannot
    be checked alone, or None) and its creation site, read with `origin.site_of`."""

    def __init__(self, op, kind, inputs, dtypes, differentiable, call, vjp, unchecked=None,
                 site=None):
        self.op, self.kind, self.inputs, self.dtypes = op, kind, inputs, dtypes
        self.differentiable, self.call, self.vjp = differentiable, call, vjp
        self.unchecked, self.g, self.name = unchecked, None, op
        self.at_kink = False  # set by the search when a disagreement was a kink's
        if site is not None:
            from ...origin import Origin
            self._origin = Origin(site=site)

    def __repr__(self):
        return f"Node({self.op!r}, {self.name!r})"


def name_nodes(nodes):
    """Give each node a name from its op's short name and a count, as diagrams do (mul1,
    MyExp1, mul2...)."""
    counts = {}
    for node in nodes:
        short = node.op.split(".")[1] if node.op.startswith("aten.") else node.op
        counts[short] = counts.get(short, 0) + 1
        node.name = f"{short}{counts[short]}"


def search(nodes, eps, atol, rtol, seed=0, fast=False):
    """(culprit, unchecked, checked): the first node, from the output down, whose vjp
    disagrees with finite differences of its op alone (a `Culprit`, or None); the nodes that
    could not be checked alone; how many nodes were checked."""
    rng = np.random.default_rng(seed + 11)
    unchecked, checked = [], 0
    for node in reversed(nodes):
        if node.unchecked:
            unchecked.append(node)
            continue
        if node.g is None or not node.differentiable:
            continue
        checked += 1
        culprit = _check(node, eps, atol, rtol, fast, rng)
        if culprit is not None:
            if culprit.problem and "cannot be checked alone" in culprit.problem:
                node.unchecked = culprit.problem
                unchecked.append(node)
                continue
            return culprit, unchecked, checked
    return None, unchecked, checked


def _culprit(node, index=None, element=None, rule=None, numeric=None, problem=None):
    """gradcheck's Culprit for a traced node, with its `kind` and `input_dtypes` besides."""
    culprit = Culprit(node, node.name, index, element, rule, numeric, problem, op=node.op,
                      input_shapes=tuple(np.shape(x) for x in node.inputs), site=site_of(node))
    culprit.kind, culprit.input_dtypes = node.kind, tuple(node.dtypes)
    return culprit


def _check(node, eps, atol, rtol, fast, rng):
    try:
        with np.errstate(all="ignore"):
            outputs = node.call(node.inputs)
            rules = node.vjp(node.inputs, node.g)
    except Exception as error:  # noqa: BLE001 - the op alone refuses to run: say so
        return _culprit(node, problem=f"cannot be checked alone: it raised "
                                      f"{type(error).__name__}: {error}")
    low = getattr(node, "low_precision", False)
    step = FLOAT32_EPS ** (1 / 3) * max(1.0, max((float(np.max(np.abs(x), initial=0))
                                                  for x in node.inputs), default=1.0)) \
        if low else eps
    unit = FLOAT32_EPS if low else float(np.finfo(np.float64).eps)
    scale = sum(float(np.sum(np.abs(g * o))) for g, o in zip(node.g, outputs))
    rounding = 8 * unit * scale / step
    node_atol, node_rtol = (atol, rtol) if not low else (100 * rounding, 0.1)

    def terms(index, moved):
        """The weighted output elements <g, op> at the inputs with input `index` moved."""
        arrays = list(node.inputs)
        arrays[index] = moved
        with np.errstate(all="ignore"):
            return np.concatenate([np.ravel(g * o) for g, o in zip(node.g, node.call(arrays))]
                                  or [np.zeros(0)])

    def value(index):
        return lambda moved: float(np.sum(terms(index, moved)))

    for k, index in enumerate(node.differentiable):
        rule = rules[k]
        if rule is None:
            rule = np.zeros(np.shape(node.inputs[index]))
        rule = np.asarray(rule, dtype=np.float64)
        if rule.shape != np.shape(node.inputs[index]):
            return _culprit(node, index, problem=f"its vjp gives a gradient of shape "
                                                 f"{rule.shape} for an input of shape "
                                                 f"{np.shape(node.inputs[index])}")
        size = rule.size
        directional = fast or size > ELEMENTWISE_LIMIT
        judge = value(index)

        def kink(point, analytic, index=index):
            excused = at_kink(lambda t: terms(index, point(t)), step, analytic,
                              lambda slope, small: node_atol / 100 + node_rtol / 10 *
                              abs(slope) + 8 * unit * scale / small)
            node.at_kink = node.at_kink or excused
            return excused

        found = compare_rule(judge, node.inputs[index], rule, step, node_atol, node_rtol,
                             rounding, directional, rng, at_kink=kink)
        if found is None:
            continue
        element, analytic, numeric = found
        if element is None and size <= 10_000:
            again = compare_rule(judge, node.inputs[index], rule, step, node_atol, node_rtol,
                                 rounding, False, rng, at_kink=kink)
            if again is not None:
                element, analytic, numeric = again
        return _culprit(node, index, element, analytic, numeric)
    return None


def describe(culprit, unchecked, checked):
    """The culprit search's finding in words (the lines appended to the error message)."""
    lines = []
    if culprit is not None:
        node = culprit.node
        inputs = ", ".join(f"{d} {tuple(s)}" for d, s in zip(node.dtypes, culprit.input_shapes))
        lines.append(f"The first wrong node in the backward pass: '{culprit.op}' ({node.kind}, "
                     f"node {culprit.name}, inputs {inputs}), {show_site(culprit.site)}")
        if culprit.problem:
            lines.append(f"  its backward fails: {culprit.problem}")
        else:
            where = (f"at element {culprit.element}" if culprit.element is not None
                     else "along a random direction")
            lines.append(f"  its gradient for input {culprit.input} is wrong {where}: backward "
                         f"{culprit.rule:.10g}, finite differences of '{culprit.op}' alone "
                         f"{culprit.numeric:.10g}")
        lines.append(f"  every node the backward pass ran before it agrees with finite "
                     f"differences of its op at the inputs it saw ({checked - 1} checked)")
    else:
        lines.append(f"No node is wrong alone: each of the {checked} checked nodes' backward "
                     f"agrees with finite differences of its op at the inputs it saw, yet the "
                     f"whole gradient is wrong: f uses values outside the graph (.item(), "
                     f"numpy on detached values, a non-differentiable cast), is not "
                     f"deterministic, or a node below could not be checked alone")
    for node in unchecked:
        lines.append(f"Not checked alone: '{node.op}' (node {node.name}), "
                     f"{show_site(site_of(node))}: {node.unchecked}")
    return "\n".join(lines)
