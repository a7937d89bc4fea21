"""The graph core: nodes, recording, topological order, backward and unbroadcast.

This is the only engine code. A node holds its data, its gradient, a pointer to the shared,
stateless `Op` that made it and its parents (graph values or raw constants). No node holds a
closure, so a graph has no reference cycles and is freed by reference counting as soon as its
output is dropped. Nothing here recurses: a chain of a million nodes sorts and backpropagates.
"""

import math
import threading
from contextlib import contextmanager

import numpy as np

from .ops import Op


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


_NONE = _Marker("<no input>")     # in _second: the node has at most one input
_MANY = _Marker("<in a tuple>")   # in _second: _first holds the tuple of all inputs


class Node:
    """A value in the computation graph.

    `data`: the forward value; `grad`: the gradient of the last backward pass (None before);
    `op`: the primitive that computed it (None for a leaf); `parents`: its inputs, graph values
    or raw constants; `params`: the op's constant parameters (None when it has none);
    `requires_grad`: whether gradients flow to it; `label`: its name in diagrams.
    `_pending` counts, during a backward pass, the consumers that have not yet sent their
    gradient (zero between passes).

    The first two inputs live in two slots rather than in a tuple: a tuple per node would be
    a second object for Python's cyclic garbage collector to track and traverse (and 48 bytes).
    """

    __slots__ = ("data", "grad", "op", "_first", "_second", "params", "requires_grad", "label",
                 "_pending", "__weakref__")

    @property
    def parents(self):
        """The op's inputs in order: graph values or raw constants (empty for a leaf)."""
        second = self._second
        if second is _NONE:
            first = self._first
            return () if first is _NONE else (first,)
        if second is _MANY:
            return self._first
        return (self._first, second)

    def _init_leaf(self, data, requires_grad, label):
        """Fill the slots of a new leaf (the value types' constructors call this)."""
        self.data = data
        self.grad = None
        self.op = None
        self._first = self._second = _NONE
        self.params = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._pending = 0

    @property
    def is_leaf(self):
        """True for values made by the user rather than by an op."""
        return self.op is None


class _Mode:
    grad_enabled = True
    detect_anomaly = False


_mode = _Mode()  # engine-wide switches (not thread-local: use one training thread per process)


class _Tracing(threading.local):
    """Set by `autograd.compile` while it traces a step in this thread: every op on a graph
    value is recorded, even one that needs no gradient, because a value computed from the
    step's arguments (a label's negation) is an input of the program, not a constant."""
    active = False


_tracing = _Tracing()


@contextmanager
def _grad_mode(enabled):
    previous, _mode.grad_enabled = _mode.grad_enabled, enabled
    try:
        yield
    finally:
        _mode.grad_enabled = previous


def no_grad():
    """Context manager (and decorator): operations inside record no graph, as in PyTorch."""
    return _grad_mode(False)


def enable_grad():
    """Context manager (and decorator): record the graph again inside a `no_grad` block."""
    return _grad_mode(True)


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
    value = value.data if isinstance(value, Node) else value
    if isinstance(value, float):
        return math.isfinite(value)
    return bool(np.all(np.isfinite(value)))


def _shapes(values):
    return ", ".join(str(getattr(v, "shape", "()")) for v in values)


def apply(op, inputs, params=None):
    """Run `op` on `inputs`; when an input is a graph value, return a new node recording it.

    Raw inputs give a raw result. Constants among graph values stay raw in `parents`.
    """
    value_type, requires_grad, datas = _unpack(op, inputs)
    try:
        out = op.forward(*datas, **params) if params else op.forward(*datas)
    except (ValueError, IndexError) as error:
        raise _shape_error(op, error, datas) from error
    if value_type is None:
        return out
    return new_node(value_type, out, op, inputs, params or None, requires_grad)


def apply_unary(op, x, params=None):
    """`apply` for one graph value `x` (the methods' fast path)."""
    try:
        out = op.forward(x.data, **params) if params else op.forward(x.data)
    except (ValueError, IndexError) as error:
        raise _shape_error(op, error, (x.data,)) from error
    return _record(x.__class__, out, op, x, _NONE, params, x.requires_grad)


def apply_binary(op, x, y):
    """`apply` for two inputs that are graph values of one type, or one such and a constant
    (the operators' fast path: they have coerced the constant already)."""
    try:
        if x.__class__ is y.__class__:
            out = op.forward(x.data, y.data)
            return _record(x.__class__, out, op, x, y, None, x.requires_grad or y.requires_grad)
        if isinstance(x, Node):
            out = op.forward(x.data, y)
            return _record(x.__class__, out, op, x, y, None, x.requires_grad)
        out = op.forward(x, y.data)
        return _record(y.__class__, out, op, x, y, None, y.requires_grad)
    except (ValueError, IndexError) as error:
        if isinstance(error, _ShapeError):
            raise
        raise _shape_error(op, error, [getattr(v, "data", v) for v in (x, y)]) from error


class _ShapeError(ValueError):
    """An op's inputs do not fit together (a ValueError naming the op and the shapes)."""


class _IndexShapeError(_ShapeError, IndexError):
    """An index does not fit the indexed value."""


def _shape_error(op, error, datas):
    kind = _IndexShapeError if isinstance(error, IndexError) else _ShapeError
    return kind(f"{op.name}: cannot apply to inputs of shapes ({_shapes(datas)}): {error}")


def new_node(value_type, data, op=None, parents=(), params=None, requires_grad=False):
    """A node of `value_type` holding `data`, the result of `op` on `parents` (a leaf when `op`
    is None). The op is recorded only when an input requires a gradient and recording is on.
    Data not of the type's `data_class` (e.g. a numpy scalar from a reduction) is coerced."""
    if len(parents) > 2:
        return _record(value_type, data, op, parents, _MANY, params, requires_grad)
    first = parents[0] if parents else _NONE
    second = parents[1] if len(parents) == 2 else _NONE
    return _record(value_type, data, op, first, second, params, requires_grad)


def _record(value_type, data, op, first, second, params, requires_grad):
    node = _allocate(value_type)
    node.data = data if data.__class__ is value_type.data_class else \
        value_type._coerce(data, op.name if op else value_type.__name__)
    node.grad = None
    node.label = None
    node._pending = 0
    if op is not None and not (requires_grad and _mode.grad_enabled):
        if _tracing.active:  # compile records the op all the same, needing no gradient
            requires_grad = False
        else:
            op, first, second, params, requires_grad = None, _NONE, _NONE, None, False
    node.op = op
    node._first = first
    node._second = second
    node.params = params
    node.requires_grad = requires_grad
    if op is not None and _mode.detect_anomaly and not _all_finite(data):
        raise FloatingPointError(f"detect_anomaly: the output of '{op.name}' contains nan or "
                                 f"inf (input shapes: {_shapes(node.parents)})")
    return node


_allocate = object.__new__


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


def _count_consumers(root, targets=None, clear_grads=False):
    """First half of the walk: for every interior node `root` depends on, count its consumers
    in `_pending` (and, for a backward pass, clear its gradient: interior gradients are fresh on
    every pass).

    The walk is iterative with an explicit stack, so a graph of any depth works. A node is
    pushed when first seen (its count was zero), so each is expanded once; nodes are marked in
    place, never hashed, so values that overload `__eq__` work. Walking stops at `targets`.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        value_type = node.__class__
        second = node._second
        inputs = (node._first,) if second is _NONE else \
            node._first if second is _MANY else (node._first, second)
        for parent in inputs:
            # parents of another class are raw constants; leaves (op None) only receive grads
            if parent.__class__ is value_type and parent.op is not None:
                if targets is not None and id(parent) in targets:
                    continue
                count = parent._pending
                if count == 0:
                    if clear_grads:
                        parent.grad = None
                    stack.append(parent)
                parent._pending = count + 1


def _reset_counts(root):
    """Zero the consumer counts below `root` (after a pass that stopped half-way)."""
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if isinstance(parent, Node) and parent.op is not None and parent._pending:
                parent._pending = 0
                stack.append(parent)


def toposort(root):
    """The interior nodes `root` depends on, in topological order (parents first, `root` last).

    Kahn's algorithm from the output: a node comes out once all its consumers have. Leaves and
    constants are left out (they have no rule to run). Nothing recurses.
    """
    if root.op is None:
        return []
    _count_consumers(root)
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node.parents:
            if parent.__class__ is node.__class__ and parent.op is not None:
                parent._pending -= 1
                if parent._pending == 0:  # its last consumer is done
                    ready.append(parent)
    order.reverse()
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
    kept = tuple(extra + i for i, n in enumerate(shape) if n == 1 and g_shape[extra + i] != 1)
    if not kept:
        return g.sum(axis=tuple(range(extra)))  # only leading axes were added
    g = g.sum(axis=tuple(range(extra)) + kept, keepdims=True)
    return g.reshape(shape) if extra else g


def backward(root, seed, create_graph=False, inputs=None):
    """Backpropagate `seed` (the gradient of the output with respect to `root`) through the graph.

    Nodes are processed in reverse topological order: a node runs its local-gradient rule once
    every consumer has sent it a gradient. Interior gradients are fresh on every pass; leaves
    accumulate across passes until `zero_grad`; every node keeps its `.grad` afterwards. With
    `create_graph=True` the rules run on graph values, so the gradients are graph values that
    can be differentiated again.

    With `inputs` (a list of nodes) only those receive gradients, which are returned in a list
    instead of being stored: no leaf the caller holds is touched (this is `autograd.grad`).
    """
    if _tracing.active:
        raise RuntimeError("backward: called while autograd.compile traces a step; a compiled "
                           "step runs the backward pass itself (create_graph is not supported): "
                           "return the loss from the function instead of differentiating it")
    targets = None if inputs is None else {id(x) for x in inputs}
    found = None if inputs is None else {}
    if targets is not None and id(root) in targets:
        found[id(root)] = seed
    elif root.op is None:
        if targets is None:
            root.grad = seed if root.grad is None else _accumulate(root, root.grad, seed)
    else:
        _count_consumers(root, targets, clear_grads=True)
        root.grad = seed
        previous, _mode.grad_enabled = _mode.grad_enabled, create_graph
        try:
            _run_rules(root, create_graph, targets, found)
        except BaseException:
            _reset_counts(root)
            raise
        finally:
            _mode.grad_enabled = previous
    return None if inputs is None else [found.get(id(x)) for x in inputs]


def _run_rules(root, create_graph, targets, found):
    """Second half of the walk: run each node's rule and send the gradients to its parents."""
    anomaly = _mode.detect_anomaly
    ready = [root]
    while ready:
        node = ready.pop()
        op = node.op
        second = node._second  # the parents, read from the slots without the property's call
        parents = (node._first,) if second is _NONE else \
            node._first if second is _MANY else (node._first, second)
        params = node.params
        value_type = node.__class__
        out = node if create_graph else node.data
        g = node.grad
        rules = op.input_vjps
        # rules see raw data (or graph values when create_graph); unrolled for one and two inputs
        if rules is not None and len(parents) == 1:
            x = parents[0]
            x = x if create_graph else x.data
            grads = (rules[0](g, out, x, **params) if params else rules[0](g, out, x),)
        elif rules is not None and len(parents) == 2 and not params:
            x, y = parents
            needs_x = x.__class__ is value_type and x.requires_grad
            needs_y = y.__class__ is value_type and y.requires_grad
            if not create_graph:
                x = x.data if x.__class__ is value_type else x
                y = y.data if y.__class__ is value_type else y
            grads = (rules[0](g, out, x, y) if needs_x else None,  # only the needed gradients:
                     rules[1](g, out, x, y) if needs_y else None)  # no product for a constant
        else:
            inputs = parents if create_graph else [
                p.data if p.__class__ is value_type else p for p in parents]
            if rules is not None:
                grads = [rule(g, out, *inputs, **(params or {}))
                         if p.__class__ is value_type and p.requires_grad else None
                         for rule, p in zip(rules, parents)]
            else:
                grads = op.vjp(g, out, *inputs, **params) if params else op.vjp(g, out, *inputs)
                if grads.__class__ is not tuple or len(grads) != len(parents):
                    grads = _check_rule_result(op, grads, parents)
        if targets is not None:  # a functional pass: interior grads are not kept (no cycles)
            node.grad = None
        for parent, g in zip(parents, grads):
            if parent.__class__ is not value_type or not parent.requires_grad:
                continue  # a constant, or a value that needs no gradient
            if g.__class__ is not value_type.grad_class:
                g = parent._fit_grad(g, op.name)
            if anomaly and not _all_finite(g):
                raise FloatingPointError(f"detect_anomaly: the gradient that '{op.name}' passes "
                                         f"to an input contains nan or inf")
            if targets is not None and (parent.op is None or id(parent) in targets):
                if id(parent) in targets:
                    key = id(parent)
                    found[key] = g if key not in found else _accumulate(parent, found[key], g)
                continue
            # the fan-out (copy) gate: gradients coming back from several consumers add up
            if parent.grad is None:
                parent.grad = g
            else:  # (inlined _accumulate: this line runs for every fan-out)
                total = parent.grad + g
                parent.grad = total if total.__class__ is g.__class__ else \
                    parent._fit_grad(total, "accumulate")
            if parent.op is not None:
                count = parent._pending - 1
                parent._pending = count
                if count == 0:  # its last consumer is done: its gradient is complete
                    ready.append(parent)


def _accumulate(node, total, g):
    """total + g, kept of g's kind: numpy turns the sum of two 0-d arrays into a numpy scalar."""
    total = total + g
    return total if total.__class__ is g.__class__ else node._fit_grad(total, "accumulate")


def _check_rule_result(op, grads, parents):
    if isinstance(grads, list) and len(grads) == len(parents):
        return grads
    raise ValueError(f"{op.name}: its gradient rule must return a tuple with one gradient per "
                     f"input ({len(parents)}), got {type(grads).__name__} {grads!r:.60}")
