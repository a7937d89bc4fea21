"""The graph core: nodes, recording, topological order, backward and unbroadcast.

This is the only engine code. A node holds its data, its gradient, a pointer to the shared,
stateless `Op` that made it and its parents (graph values or raw constants). No node holds a
closure, so a graph has no reference cycles and is freed by reference counting as soon as its
output is dropped. Nothing here recurses: a chain of a million nodes sorts and backpropagates.
"""

import math
from contextlib import contextmanager

import numpy as np

from .ops import Op


class Node:
    """A value in the computation graph.

    `data`: the forward value; `grad`: the gradient of the last backward pass (None before);
    `op`: the primitive that computed it (None for a leaf); `parents`: its inputs, graph values
    or raw constants; `params`: the op's constant parameters (None when it has none);
    `requires_grad`: whether gradients flow to it; `label`: its name in diagrams.
    """

    __slots__ = ("data", "grad", "op", "parents", "params", "requires_grad", "label",
                 "__weakref__")

    @property
    def is_leaf(self):
        """True for values made by the user rather than by an op."""
        return self.op is None


class _Mode:
    grad_enabled = True
    detect_anomaly = False


_mode = _Mode()  # engine-wide switches (not thread-local: use one training thread per process)


@contextmanager
def no_grad():
    """Context manager (and decorator): operations inside record no graph, as in PyTorch."""
    previous, _mode.grad_enabled = _mode.grad_enabled, False
    try:
        yield
    finally:
        _mode.grad_enabled = previous


@contextmanager
def enable_grad():
    """Context manager (and decorator): record the graph again inside a `no_grad` block."""
    previous, _mode.grad_enabled = _mode.grad_enabled, True
    try:
        yield
    finally:
        _mode.grad_enabled = previous


def is_grad_enabled():
    """Whether operations currently record the graph."""
    return _mode.grad_enabled


@contextmanager
def detect_anomaly():
    """Context manager: raise FloatingPointError at the first op whose output, or whose
    gradient in a backward pass, contains nan or inf, naming the op."""
    previous, _mode.detect_anomaly = _mode.detect_anomaly, True
    try:
        yield
    finally:
        _mode.detect_anomaly = previous


def _all_finite(value):
    value = getattr(value, "data", value) if isinstance(value, Node) else value
    if isinstance(value, float):
        return math.isfinite(value)
    return bool(np.all(np.isfinite(value)))


def _shapes(values):
    return ", ".join(str(getattr(v, "shape", "()")) for v in values)


def apply(op, inputs, params=None):
    """Run `op` on `inputs`; when an input is a graph value, return a new node recording it.

    Raw inputs give a raw result. Constants among graph values stay raw in `parents`.
    """
    if len(inputs) == 1 and isinstance(inputs[0], Node):  # the common cases, unrolled
        x = inputs[0]
        value_type, requires_grad, datas = x.__class__, x.requires_grad, (x.data,)
    elif len(inputs) == 2 and isinstance(inputs[0], Node) and (
            inputs[1].__class__ is inputs[0].__class__ or not isinstance(inputs[1], Node)):
        x, y = inputs
        value_type = x.__class__
        if y.__class__ is value_type:
            requires_grad, datas = x.requires_grad or y.requires_grad, (x.data, y.data)
        else:
            requires_grad, datas = x.requires_grad, (x.data, y)
    else:
        value_type, requires_grad, datas = _unpack(op, inputs)
    try:
        out = op.forward(*datas, **params) if params else op.forward(*datas)
    except (ValueError, IndexError) as error:
        raise type(error)(f"{op.name}: cannot apply to inputs of shapes ({_shapes(datas)}): "
                          f"{error}") from error
    if value_type is None:
        return out
    if requires_grad and _mode.grad_enabled:
        node = value_type._make(out, op, inputs, params or None, True)
    else:
        node = value_type._make(out, None, (), None, False)
    if _mode.detect_anomaly and not _all_finite(node.data):
        raise FloatingPointError(f"detect_anomaly: the output of '{op.name}' contains nan or "
                                 f"inf (input shapes: {_shapes(datas)})")
    return node


def _unpack(op, inputs):
    """The value type, whether any input requires a gradient, and the raw data of `inputs`."""
    value_type = None
    requires_grad = False
    datas = []
    for x in inputs:
        if isinstance(x, Node):
            if value_type is None:
                value_type = x.__class__
            elif x.__class__ is not value_type:
                raise TypeError(f"{op.name}: cannot mix {value_type.__name__} and "
                                f"{x.__class__.__name__} in one operation; convert one of them "
                                f"(Tensor(scalar.item()) or Scalar(tensor.item()))")
            datas.append(x.data)
            requires_grad = requires_grad or x.requires_grad
        else:
            datas.append(x)
    return value_type, requires_grad, datas


Op.apply = staticmethod(apply)


def toposort(root):
    """The interior nodes `root` depends on through gradient-requiring paths, parents first.

    An iterative depth-first walk with an explicit stack (no recursion, so a graph of any depth
    sorts), remembering visited nodes by `id` (so values that overload `__eq__` sort too).
    Leaves are left out: they only receive gradients.
    """
    order = []
    if root.op is None or not root.requires_grad:
        return order
    visited = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:               # all parents of the node below are done: emit it
            order.append(stack.pop())
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append(node)
        stack.append(None)
        for parent in node.parents:
            if (isinstance(parent, Node) and parent.op is not None and parent.requires_grad
                    and id(parent) not in visited):
                stack.append(parent)
    return order


def unbroadcast(g, shape, op_name="backward"):
    """Sum `g` down to `shape`, undoing numpy broadcasting: sum the leading axes broadcasting
    added and the axes where `shape` has size 1. Any other mismatch is an error."""
    g_shape = g.shape
    if g_shape == shape:
        return g
    extra = len(g_shape) - len(shape)
    if extra < 0 or any(gn != n and n != 1 for gn, n in zip(g_shape[extra:], shape)):
        raise ValueError(f"{op_name}: the gradient for an input of shape {shape} has shape "
                         f"{g_shape}, which is not a broadcast of it; a gradient must have its "
                         f"input's shape")
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g_shape[extra + i] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if extra else g


def backward(root, seed, create_graph=False, inputs=None):
    """Backpropagate `seed` (the gradient of the output with respect to `root`) through the graph.

    Interior gradients are fresh on every pass; leaves accumulate across passes until
    `zero_grad`; every node keeps its `.grad` afterwards. With `create_graph=True` the rules run
    on graph values, so the gradients are graph values that can be differentiated again.

    With `inputs` (a list of nodes) only those receive gradients, which are returned in a list
    instead of being stored: nothing the caller holds is touched (this is `autograd.grad`).
    """
    targets = None if inputs is None else {id(x): x for x in inputs}
    if targets is None:
        order = toposort(root)
    else:
        order = _relevant(toposort_to(root, targets), targets)
        if id(root) in targets:
            return _collect(inputs, {id(root): seed})
        if not order:
            return _collect(inputs, {})
    if root.op is None:
        root.grad = seed if root.grad is None else root.grad + seed
        return None
    for node in order:
        node.grad = None
    root.grad = seed
    found = {} if targets else None
    relevant = {id(node) for node in order} if targets else None
    previous, _mode.grad_enabled = _mode.grad_enabled, create_graph
    try:
        for node in reversed(order):
            _propagate(node, create_graph, found, targets, relevant)
    finally:
        _mode.grad_enabled = previous
    if targets is None:
        return None
    for node in order:  # a create_graph pass would otherwise leave cycles node -> grad -> node
        node.grad = None
    return _collect(inputs, found)


def _propagate(node, create_graph, found, targets, relevant):
    """Apply one node's local-gradient rule and pass the gradients to its parents."""
    op = node.op
    parents = node.parents
    if create_graph:
        out, inputs = node, parents
    else:  # raw data in, raw gradients out (unrolled: most ops have one or two inputs)
        out = node.data
        if len(parents) == 1:
            inputs = (parents[0].data,)
        elif len(parents) == 2:
            x, y = parents
            inputs = (x.data if isinstance(x, Node) else x, y.data if isinstance(y, Node) else y)
        else:
            inputs = [p.data if isinstance(p, Node) else p for p in parents]
    params = node.params
    grads = op.vjp(node.grad, out, *inputs, **params) if params else op.vjp(node.grad, out, *inputs)
    if grads.__class__ is not tuple or len(grads) != len(parents):
        _bad_rule(op, grads, parents)
    for parent, g in zip(parents, grads):
        if isinstance(parent, Node) and parent.requires_grad:
            g = parent._fit_grad(g, op.name)
            if _mode.detect_anomaly and not _all_finite(g):
                raise FloatingPointError(f"detect_anomaly: the gradient that '{op.name}' passes "
                                         f"to an input contains nan or inf")
            if targets is not None:
                key = id(parent)
                if key in targets:
                    found[key] = g if key not in found else found[key] + g
                    continue
                if key not in relevant:
                    continue
            # the fan-out (copy) gate: gradients coming back from several consumers add up
            parent.grad = g if parent.grad is None else parent.grad + g


def _bad_rule(op, grads, parents):
    if isinstance(grads, list) and len(grads) == len(parents):
        return
    raise ValueError(f"{op.name}: its gradient rule must return a tuple with one gradient per "
                     f"input ({len(parents)}), got {type(grads).__name__} {grads!r:.60}")


def _collect(inputs, found):
    return [found.get(id(x)) for x in inputs]


def toposort_to(root, targets):
    """Like `toposort`, but stops descending at the target nodes and keeps them as ends."""
    order = []
    visited = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append(node)
        stack.append(None)
        if id(node) in targets:
            continue
        for parent in node.parents:
            if (isinstance(parent, Node) and parent.requires_grad
                    and id(parent) not in visited):
                stack.append(parent)
    return order


def _relevant(order, targets):
    """The interior nodes of `order` from which a target can be reached (parents first)."""
    reaches = set(targets)
    kept = []
    for node in order:
        if id(node) in targets:
            continue
        if any(isinstance(p, Node) and id(p) in reaches for p in node.parents):
            reaches.add(id(node))
            if node.op is not None:
                kept.append(node)
    return kept
