"""Replaying a recorded graph with new leaf values: the ops recorded under a root are applied
again, in topological order, to fresh leaves (the user's Python is never run again, and no text
is evaluated), and the backward pass runs on the new graph. The original graph is left as it
was. The live explorer recomputes with this when a leaf's value is edited or a step of gradient
descent is taken."""

import numpy as np

from ..graph import Node, toposort
from ..kernels import raw
from ..modes import enable_grad


def replay(root, values=None, labels=None, seed=None):
    """A new graph computing what `root`'s graph computes, with `values` (id of an original
    leaf -> its new data; the others keep theirs) and its backward pass run from `seed` (by
    default, the original's seed for a root of one number: 1). Returns (new root, mapping from
    the id of each original value to its replayed value). `labels` (id -> text) names the new
    values (by default their original labels), so that pictures of the two graphs agree."""
    values, labels = values or {}, labels or {}
    replayed = {}

    def fresh(node):
        data = values.get(id(node), node.data)
        copy = node.__class__(_same_kind(data, node.data), requires_grad=node.requires_grad)
        copy.label = labels.get(id(node), node.label)
        return copy

    with enable_grad():
        for node in toposort(root) or [root]:
            for parent in node.parents if node.op is not None else (node,):
                if isinstance(parent, Node) and parent.op is None and id(parent) not in replayed:
                    replayed[id(parent)] = fresh(parent)
            if node.op is None:
                continue
            inputs = [replayed[id(p)] if isinstance(p, Node) else p for p in node.parents]
            out = node.op(*inputs, **(node.params or {}))
            if not isinstance(out, Node):
                raise ValueError(f"replay: {node.op.name} no longer records a node (none of its "
                                 f"inputs needs a gradient)")
            out.label = labels.get(id(node), node.label)
            replayed[id(node)] = out
    new_root = replayed[id(root)]
    if new_root.requires_grad:
        new_root.backward(None if np.size(raw(new_root.data)) == 1 and seed is None else seed)
    return new_root, replayed


def _same_kind(data, like):
    """`data` as the kind of data `like` is: a float, or an array of its shape and dtype."""
    if isinstance(like, float):
        return float(data)
    return np.array(data, dtype=like.dtype).reshape(like.shape)
