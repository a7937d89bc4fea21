"""What one step of the backward pass does to each input's gradient, in words and numbers, for
the explorer and the step table: the op row's own text (`Op.explain`), and for tensors what
happens to the gradient's shape.

An elementwise op has a local gradient per element: the input receives upstream × local,
summed over the axes it was broadcast along (the core's unbroadcast; a bias `b` of `X @ W + b`
receives the upstream summed over the batch rows). Other ops (matmul, reductions, indexing,
reshapes, softmax cross-entropy) have no elementwise local gradient: their rule is shown as
what it is (`upstream @ Wᵀ`), with the numbers it combines.
"""

import numpy as np

from ..graph import Node, rule_gradients
from ..kernels import raw
from .walk import edge_gradients, summary

_GENERAL = "{op}: {this} receives the op's rule applied to the upstream gradient (autograd.ops)"


def explain_step(node, names):
    """For interior `node` after backward, one dict per input that receives a gradient:
    `slot`, `parent`, `rule` (the op row's text with the names filled in), `elementwise`,
    `local` (the local gradient per element, elementwise ops only, else None), `product` (what
    the rule gives before the core fits it to the input's shape), `grad` (the gradient sent
    down), `summed` (the axes summed to fit a broadcast input: empty when none), `formula` (a
    short text of the computation), `reshaped` ((upstream shape, gradient shape) when they
    differ, else None), `shapes` (that change in words) and `details` (the labelled numbers
    behind it: (label, value) pairs)."""
    op, parents = node.op, node.parents
    scalar = isinstance(node.data, float)
    words = {"op": op.name, "x": _name(parents[0], names), "y": _name(parents[-1], names),
             **{key: _param_text(value) for key, value in (node.params or {}).items()}}
    if node.params and "axis" in node.params:
        axis = node.params["axis"]
        words["along"] = "over all axes" if axis is None else \
            f"along {_axes_text(axis if isinstance(axis, tuple) else (axis,))}"
    sent = edge_gradients(node)
    products = rule_gradients(node, raw(node.grad))
    elementwise = scalar or op.elementwise
    locals_ = rule_gradients(node, 1.0 if scalar else np.ones_like(node.data)) if elementwise \
        else [None] * len(parents)
    texts = op.explain or ()
    steps = []
    for slot, (parent, g, product, local) in enumerate(zip(parents, sent, products, locals_)):
        if g is None:
            continue
        other = parents[1 - slot] if len(parents) == 2 else parent
        template = texts[slot] if slot < len(texts) else texts[0] if len(texts) == 1 and \
            op.arity is None else _GENERAL
        this = names[id(parent)]
        rule = template.format_map(_Words(words, this=this, other=_name(other, names)))
        product, local = raw(product), raw(local)
        summed = () if scalar else _summed_axes(np.shape(product), np.shape(raw(g)))
        step = {"slot": slot, "parent": parent, "rule": rule, "elementwise": elementwise,
                "local": local, "product": product, "grad": g, "summed": summed,
                "formula": "upstream \u00d7 local gradient" if elementwise else rule.split(
                    " receives ", 1)[-1], "shapes": "", "reshaped": None, "details": []}
        if not scalar:
            _tensor_facts(step, node, parent, this, words)
        steps.append(step)
    return steps


def _tensor_facts(step, node, parent, this, words):
    """The shape notes and labelled numbers of a Tensor step."""
    g, sent = raw(node.grad), raw(step["grad"])
    if step["summed"]:
        axes = step["summed"]
        what = (f"{this} {np.shape(parent.data)} was broadcast along "
                f"{_axes_text(axes)} of {node.data.shape} in the forward pass, so it receives "
                f"upstream \u00d7 local summed over {_axes_text(axes)}")
        step["formula"] = f"sum over {_axes_text(axes)} of upstream \u00d7 local gradient"
        step["rule"] += f"; {what}"
        step["details"] = [("upstream \u00d7 local gradient", step["product"]),
                           (f"summed over {_axes_text(axes)}", sent)]
    if np.shape(g) != np.shape(sent):
        step["reshaped"] = (tuple(np.shape(g)), tuple(np.shape(sent)))
        step["shapes"] = (f"the upstream gradient {_shape_text(g)} becomes {this}'s gradient "
                          f"{_shape_text(sent)}")
    name = node.op.name
    if name == "matmul":
        x, y = (raw(p) for p in node.parents)
        if step["slot"] == 0 and np.ndim(y) >= 2:
            step["details"] = [("upstream", g), (f"{words['y']}\u1d40", np.swapaxes(y, -1, -2)),
                               (f"upstream @ {words['y']}\u1d40", sent)]
        elif step["slot"] == 1 and np.ndim(x) >= 2:
            step["details"] = [(f"{words['x']}\u1d40", np.swapaxes(x, -1, -2)), ("upstream", g),
                               (f"{words['x']}\u1d40 @ upstream", sent)]
    elif name == "softmax_cross_entropy":
        _cross_entropy_facts(step, node, this)
    elif name == "mean_softmax_cross_entropy":
        rows = len(node.params["labels"])
        step["formula"] = f"(softmax({this}) \u2212 onehot(labels)) / {rows} \u00d7 upstream"
        step["details"] = [(f"softmax({this})", _softmax(node)), ("sent down", raw(step["grad"]))]


def _softmax(node):
    """The softmax of the logits of a cross-entropy node."""
    from ..ops import SOFTMAX
    return SOFTMAX.forward(raw(node.parents[0].data), axis=-1)


def _cross_entropy_facts(step, node, this):
    """softmax(z) − onehot(labels), divided by N when the upstream is the mean's 1/N."""
    labels = np.asarray(node.params["labels"])
    g = np.asarray(raw(node.grad), dtype=float)
    softmax = _softmax(node)
    onehot = np.zeros_like(softmax)
    onehot[np.arange(len(labels)), labels] = 1.0
    rows = len(labels)
    if rows and np.allclose(g, 1.0 / rows, rtol=1e-12, atol=0):
        step["rule"] = (f"softmax cross-entropy: {this} receives (softmax({this}) \u2212 "
                        f"onehot(labels)) / N: each of the N = {rows} rows' upstream gradient "
                        f"is 1/N = {summary(1.0 / rows)}, from the mean over the rows")
        step["formula"] = f"(softmax({this}) \u2212 onehot(labels)) / {rows}"
    else:
        step["formula"] = f"(softmax({this}) \u2212 onehot(labels)) \u00d7 upstream per row"
    step["details"] = [("labels", summary(labels)), (f"softmax({this})", softmax),
                       ("onehot(labels)", onehot), ("upstream per row", g),
                       (step["formula"], raw(step["grad"]))]


def _summed_axes(product_shape, shape):
    """The axes of `product_shape` that the core sums to fit `shape` (leading axes, and axes
    where `shape` has size 1), as `unbroadcast` does."""
    lead = len(product_shape) - len(shape)
    if lead < 0:
        return ()
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and product_shape[lead + i] != 1)


def _axes_text(axes):
    return (f"axis {axes[0]}" if len(axes) == 1 else
            "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}")


def _shape_text(value):
    return str(tuple(np.shape(value)))


def _param_text(value):
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return summary(value)
    if isinstance(value, np.ndarray):
        return summary(value)
    return str(value)


def _name(value, names):
    return names[id(value)] if isinstance(value, Node) else summary(value)


class _Words(dict):
    """The names a rule text may use; a name the text uses but the step lacks stays literal."""

    def __init__(self, words, **more):
        super().__init__(words, **more)

    def __missing__(self, key):
        return "{" + key + "}"
