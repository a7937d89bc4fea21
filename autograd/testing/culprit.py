"""Culprit finding: when the gradient of a composite function is wrong, which node's rule is.

gradcheck calls `explain(error, ...)` after a failure. It re-runs f on fresh leaves, recording
where each node is created (`detect_anomaly(nan=False, inf=False)`), backpropagates the same
output weights, so that every node holds the gradient `g` its rule received, and then checks
each node on its own, in the order the backward pass runs the rules (from the output down):

- its stored output must still be what its op gives at its inputs' current data (otherwise a
  `.data` was edited between forward and backward: the rules ran on other numbers);
- its rule, applied to `g`, must agree with central finite differences of <g, op(inputs)> with
  respect to each input that needs a gradient (element by element; along a random direction
  for inputs of more than `ELEMENTWISE_LIMIT` elements, and always in `fast` mode).

The first node whose rule disagrees is the culprit: every rule the backward pass ran before it
is right. Finite differences of one op are much more precise than those of the whole function,
so a node is judged with a tolerance 100 times tighter in `atol` and 10 times in `rtol`, plus
the rounding error of its own output's size; a small wrong term that the rest of the graph
amplifies into a failure is still caught.
"""

import numpy as np

from ..graph import Node, backward, toposort
from ..kernels import raw
from ..modes import detect_anomaly
from ..origin import show_site, site_of

ELEMENTWISE_LIMIT = 1000
"""Inputs of a node up to this many elements are checked element by element."""
LOCATE_LIMIT = 10_000
"""A culprit's input up to this many elements is searched element by element for the worst one
when a random direction found the disagreement."""


class Culprit:
    """The node whose rule disagrees with finite differences of its op: `node`, `op` (its name),
    `name` (as `autograd.draw` names it), `input_shapes`, `input` (the index of the input whose
    gradient is wrong), `element` (the worst element, None when only a random direction was
    checked), `rule` and `numeric` (the two numbers there), `site` (the frames that created the
    node) and `problem` (a text, when the rule raised instead of returning)."""

    def __init__(self, node, name, input_index=None, element=None, rule=None, numeric=None,
                 problem=None, *, op=None, input_shapes=None, site=None):
        # (`op`, `input_shapes` and `site` are given for a node of another framework's graph,
        # `autograd.testing.frameworks`; a gategrad node has them itself)
        self.node, self.name = node, name
        self.op = op if op is not None else node.op.name
        self.input_shapes = input_shapes if input_shapes is not None else \
            tuple(np.shape(raw(p)) for p in node.parents)
        self.input, self.element, self.rule, self.numeric = input_index, element, rule, numeric
        self.site = site if op is not None else site_of(node)
        self.problem = problem
        self.near_kink = False  # inputs within 10 eps of a kink of its op (`Op.kink`)

    def __repr__(self):
        return f"Culprit({self.op!r}, {self.name!r}, input={self.input}, element={self.element})"


def explain(error, f, leaves, seed_for, eps, atol, rtol, fast, seed):
    """Search the graph of `f` at the data of `leaves` for the reason of `error` (a failed
    GradcheckError); fill in `error.root`, `error.culprit`, `error.stale` and add the finding
    to its message. `seed_for(out)` gives the output weights gradcheck used."""
    try:
        _search(error, f, leaves, seed_for, eps, atol, rtol, fast, seed)
    except Exception as failure:  # noqa: BLE001 - the check's own error must not be lost
        error.culprit, error.root, error.stale = None, None, ()
        _append(error, f"(the search for the culprit could not run f again: "
                       f"{type(failure).__name__}: {failure})")


def _search(error, f, leaves, seed_for, eps, atol, rtol, fast, seed):
    from ..draw.walk import all_values, names_of

    for i, leaf in enumerate(leaves):
        leaf.label = leaf.label or f"arg{i}"  # the diagram's names for gradcheck's input i
    with detect_anomaly(nan=False, inf=False):  # records where each node is created
        out = f(*leaves)
    if not isinstance(out, Node) or not out.requires_grad:
        _append(error, "f does not depend on its inputs when run again: it is not deterministic")
        return
    backward(out, seed_for(out))  # every node keeps the gradient its rule received
    names = names_of(all_values(out))
    rng = np.random.default_rng(seed + 11)
    error.root = out
    error.stale = []
    for node in reversed(toposort(out)):  # the order in which backward runs the rules
        if _is_stale(node):
            error.stale.append(node)
            continue  # its rule cannot be judged at data its output was not computed from
        culprit = _check(node, names, eps, atol, rtol, fast, rng)
        if culprit is not None:
            error.culprit = culprit
            break
    _append(error, _describe(error, names))


def _append(error, text):
    error.args = (f"{error.args[0]}\n{text}", *error.args[1:])


def _describe(error, names):
    culprit, stale = error.culprit, error.stale
    lines = []
    if culprit is not None:
        shapes = ", ".join(str(s) for s in culprit.input_shapes)
        lines.append(f"The first wrong rule in the backward pass: '{culprit.op}' (node "
                     f"{culprit.name}, input shapes {shapes}), {show_site(culprit.site)}")
        if culprit.problem:
            lines.append(f"  its rule fails: {culprit.problem}")
        else:
            which = _input_text(culprit.node, culprit.input, names)
            where = (f"at element {culprit.element}" if culprit.element is not None
                     else "along a random direction")
            lines.append(f"  its gradient for {which} is wrong {where}: rule "
                         f"{culprit.rule:.10g}, finite differences of '{culprit.op}' "
                         f"{culprit.numeric:.10g}")
            if culprit.near_kink:
                lines.append(f"  (but its inputs lie within 10 eps of a point where "
                             f"'{culprit.op}' is not differentiable, where finite differences "
                             f"cannot judge a rule: move the point)")
        lines.append("  every rule run before it agrees with finite differences of its op; "
                     "error.diagram() draws the graph with it highlighted")
    if stale:
        first = stale[0]
        others = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
        lines.append(("Also: " if culprit else
                      "No rule is wrong: every node's rule agrees with finite differences of "
                      "its op at the inputs it saw. But ") +
                     f"'{first.op.name}' (node {names[id(first)]}{others}), "
                     f"{show_site(site_of(first))}, holds an output that its op does not give "
                     f"at its inputs' current data: an input's .data was changed after the node "
                     f"was computed (between forward and backward), so the rules ran on numbers "
                     f"the output was not computed from"
                     + ("" if culprit else "; error.diagram() draws the graph with it "
                                           "highlighted"))
    elif culprit is None:
        lines.append("No rule is wrong: every node's rule agrees with finite differences of its "
                     "op at the inputs it saw and every output matches its inputs, yet the "
                     "whole gradient is wrong: f uses values outside the graph (.data, .item(), "
                     "float(), detach(), numpy on raw arrays) or is not deterministic; "
                     "error.diagram() draws the graph")
    return "\n".join(lines)


def _input_text(node, index, names):
    parent = node.parents[index]
    return f"input {index} ({names.get(id(parent), 'a constant')})"


def _forward(node, inputs):
    params = node.params or {}
    with np.errstate(all="ignore"):
        return node.op.forward(*inputs, **params)


def _is_stale(node):
    """True when the node's output is no longer its op at its inputs' current data."""
    inputs = [raw(p) for p in node.parents]
    try:
        now = np.asarray(_forward(node, inputs), dtype=np.float64)
    except Exception:  # noqa: BLE001 - an input edited into a shape the op refuses
        return True
    then = np.asarray(node.data, dtype=np.float64)
    # (sizes, not shapes: a Scalar holds a user op's one-element array as a float)
    return now.size != then.size or not np.allclose(now.ravel(), then.ravel(), rtol=1e-10,
                                                    atol=1e-300, equal_nan=True)


def _rule(node, index, inputs):
    """The gradient the node's rule passes to input `index` for the gradient it received,
    fitted to the input as the core fits it."""
    op, params, g = node.op, node.params or {}, node.grad
    if op.input_vjps is not None:
        result = op.input_vjps[index](g, node.data, *inputs, **params)
    else:
        result = op.vjp(g, node.data, *inputs, **params)[index]
    return np.asarray(node.parents[index]._fit_grad(result, op.name), dtype=np.float64)


def _check(node, names, eps, atol, rtol, fast, rng):
    """A Culprit when the node's rule disagrees with finite differences of its op, else None."""
    g = node.grad
    if g is None:
        return None
    inputs = [raw(p) for p in node.parents]
    rounding = 8 * np.finfo(np.float64).eps * float(np.sum(np.abs(g * node.data))) / eps
    for index, parent in enumerate(node.parents):
        if parent.__class__ is not node.__class__ or not parent.requires_grad:
            continue
        try:
            rule = _rule(node, index, inputs)
        except Exception as error:  # noqa: BLE001 - a rule that raises is the culprit
            return Culprit(node, names[id(node)], index,
                           problem=f"{type(error).__name__}: {error}")
        size = np.size(rule)
        directional = fast or size > ELEMENTWISE_LIMIT
        found = _compare(node, index, inputs, rule, eps, atol, rtol, rounding, directional, rng)
        if found is None:
            continue
        element, analytic, numeric = found
        if element is None and size <= LOCATE_LIMIT:  # find the worst element too
            found = _compare(node, index, inputs, rule, eps, atol, rtol, rounding, False, rng)
            if found is not None:
                element, analytic, numeric = found
        culprit = Culprit(node, names[id(node)], index, element, analytic, numeric)
        if node.op.kink is not None:
            with np.errstate(all="ignore"):
                distance = node.op.kink(*inputs, **(node.params or {}))
                culprit.near_kink = bool(np.min(distance) < 10 * eps)
        return culprit
    return None


def _compare(node, index, inputs, rule, eps, atol, rtol, rounding, directional, rng):
    """(element or None, rule value, numeric value) where the rule for input `index` misses
    central differences of <g, op> by more than the tolerance (the worst element), or None."""
    g = node.grad
    scalar = isinstance(inputs[index], float)

    def value(moved):
        args = list(inputs)
        args[index] = float(moved) if scalar else moved
        return float(np.sum(g * np.asarray(_forward(node, args), dtype=np.float64)))

    return compare_rule(value, inputs[index], rule, eps, atol, rtol, rounding, directional, rng)


def compare_rule(value, x, rule, eps, atol, rtol, rounding, directional, rng, at_kink=None):
    """(element or None, rule value, numeric value) where `rule` (the gradient of the number
    `value(x)` that a node's vjp gives for input x) misses central differences of `value` by
    more than the tolerance (the worst element), or None. `at_kink(point, rule value)`, when
    given, excuses an element or direction where the op has a kink (`kinks.at_kink`; `point(t)`
    is the input a step t along it).
    Shared by gategrad's own culprit search and that of other frameworks' graphs."""
    x = np.array(x, dtype=np.float64)

    def difference(direction, element=None):
        ahead, behind = x + eps * direction, x - eps * direction
        # (the step one element actually moves: x + eps - x is not eps when |x| is large)
        step = eps if element is None else float(ahead[element] - behind[element]) / 2
        if step == 0:  # eps is below the input's resolution: nothing to judge by
            return np.nan
        return (value(ahead) - value(behind)) / (2 * step)

    if directional:
        direction = rng.normal(size=x.shape)
        numeric = np.array(difference(direction))
        analytic = np.array(float(np.sum(rule * direction)))
    else:
        analytic = np.broadcast_to(rule, x.shape)
        numeric = np.zeros(x.shape)
        for element in np.ndindex(x.shape):
            direction = np.zeros(x.shape)
            direction[element] = 1.0
            numeric[element] = difference(direction, element)
    if not np.all(np.isfinite(numeric)):
        return None  # the op is not defined within eps of its input: it cannot be judged here
    excess = np.abs(analytic - numeric) - (atol / 100 + rtol / 10 * np.abs(numeric) + rounding)
    excess = np.where(np.isnan(excess), np.inf, excess)  # a nan rule is wrong
    while np.any(excess > 0):
        worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
        worst = tuple(int(i) for i in worst)
        if at_kink is not None and np.isfinite(analytic[worst]):
            if directional:
                unit = direction
            else:
                unit = np.zeros(x.shape)
                unit[worst] = 1.0
            if at_kink(lambda t, unit=unit: x + t * unit, float(analytic[worst])):
                excess[worst] = -np.inf
                continue
        element = None if directional else worst
        return element, float(analytic[worst]), float(numeric[worst])
    return None
