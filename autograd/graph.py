"""The graph core: nodes, recording, topological order, backward and unbroadcast.

This is the only engine code. A node holds its data, its gradient, a pointer to the shared,
stateless `Op` that made it and its parents (graph values or raw constants). No node holds a
closure, so a graph has no reference cycles and is freed by reference counting as soon as its
output is dropped. Nothing here recurses: a chain of a million nodes sorts and backpropagates.

Two walks run the rules, both through `rule_gradients` (the one rule-calling convention):
`backward` fills `.grad` with consumer counts kept in the nodes (the training hot path), and
`gradients` (for `grad`, `hvp`, gradcheck) keeps everything in dicts of its own and touches no
node, so a transform may run inside a rule or inside another transform.
"""

import threading
import weakref

import numpy as np

from .errors import IndexShapeError, InPlaceError, ShapeError
from .kernels import raw
from .modes import current, restore, set_switches
from .ops import Op


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __reduce__(self):
        return self.name  # copies of a marker are the marker itself


# ---- the diagnostics' hooks -------------------------------------------------------------------
# The core imports no diagnostic: `autograd.anomaly` and `autograd.origin` install these when
# they load (as graph.py installs `Op.apply`), and the core calls them only when a switch says
# so (detect_anomaly's watch, a pass that records its graph).

on_output = None
"""`on_output(watch, node)`: a node was recorded under `detect_anomaly()` (autograd.anomaly)."""
on_gradient = None
"""`on_gradient(watch, node, parent, g)`: node's rule sent g to parent under `detect_anomaly()`
(autograd.anomaly)."""
on_graph_gradients = None
"""`on_graph_gradients(root, inputs, grads)`: a pass that recorded its graph is done; inputs and
grads are None for `.backward(create_graph=True)` (autograd.origin names the derivatives)."""


_NONE = _Marker("_NONE")   # in _second: the node has at most one input
_MANY = _Marker("_MANY")   # in _second: _first holds the tuple of all inputs


class Node:
    """A value in the computation graph.

    `data`: the forward value; `grad`: the gradient of the last backward pass (None before);
    `op`: the primitive that computed it (None for a leaf); `parents`: its inputs, graph values
    or raw constants; `params`: the op's constant parameters (None when it has none);
    `requires_grad`: whether gradients flow to it; `label`: its name in diagrams.
    `_pending` is -1 for a value that needs no gradient (that is what `requires_grad` reads:
    one slot for both); otherwise it counts, during a backward pass, the consumers that have
    not yet sent their gradient (zero between passes; a leaf uses it to mark that the pass has
    seen it). The walks read it directly: `_pending >= 0` is `requires_grad`, without a call.
    `_version` is 0 until the value is changed in place through the engine, then the stamp of
    its latest change.

    `_stamp` is the stamp of in-place changes that was current when the node was recorded (an
    int), until the node has one of what most nodes never have: its op's params, a label, a
    version, the value whose data a leaf made without recording views (see `share_versions`),
    `_origin` (where the node was created under `detect_anomaly()`, or what it is the
    derivative of: see `autograd.origin`), what the forward of a row that saves kept for the
    rule (`_saved`). Then `_stamp` holds the node's extras (a list, see `_extras`): the stamp
    first, then those. So `node._stamp == _epoch` is one test for
    "nothing changed in place since, and no params" (the walks' fast path), and a node is 8
    slots (96 bytes; CPython's allocator rounds to 16, so 7 or 9 slots would cost what 8 or 10
    do), with `__weakref__` kept so that values can be weakly referenced (a PyTorch tensor can).
    The first two inputs live in two slots rather than in a tuple: a tuple per node would be
    a second object for Python's cyclic garbage collector to track and traverse (and 48 bytes).
    """

    __slots__ = ("data", "grad", "op", "_first", "_second", "_pending", "_stamp", "__weakref__")

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
        self._pending = 0 if requires_grad else -1
        self._stamp = 0
        if label is not None:
            self.label = label

    @property
    def requires_grad(self):
        """Whether gradients flow to this value (a leaf receives one in `.grad`)."""
        return self._pending >= 0

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        self._pending = 0 if requires_grad else -1

    @property
    def params(self):
        """The op's constant parameters, a dict (None for a leaf or an op without any)."""
        stamp = self._stamp
        return stamp[_PARAMS] if stamp.__class__ is list else None

    @property
    def label(self):
        """The value's name in diagrams, step tables and generated code (None: a name is made
        up from its op)."""
        stamp = self._stamp
        return stamp[_LABEL] if stamp.__class__ is list else None

    @label.setter
    def label(self, label):
        if label is not None or self._stamp.__class__ is list:
            _extras(self)[_LABEL] = label

    @property
    def _version(self):
        """0, or the stamp of the latest in-place change of this value made through the engine."""
        stamp = self._stamp
        return stamp[_VERSION] if stamp.__class__ is list else 0

    @property
    def _origin(self):
        """autograd.origin's record for this node (creation site, derivative), or None."""
        stamp = self._stamp
        return stamp[_ORIGIN] if stamp.__class__ is list else None

    @_origin.setter
    def _origin(self, origin):
        _extras(self)[_ORIGIN] = origin

    @property
    def _saved(self):
        """What the forward of a row that `saves` kept for its rule (see `_apply_saving`), or
        None."""
        stamp = self._stamp
        return stamp[_SAVED] if stamp.__class__ is list else None

    @property
    def is_leaf(self):
        """True for values made by the user rather than by an op."""
        return self.op is None


# A node's extras (see Node): a list [stamp, params, label, version, base, origin, saved],
# these its indices. A list rather than an object with named slots: a Tensor op with params
# makes one per node, and a list costs a seventh of the instructions to make and free
# (callgrind).
_STAMP, _PARAMS, _LABEL, _VERSION, _BASE, _ORIGIN, _SAVED = range(7)


def _extras(node):
    """`node`'s extras, made if it has none yet."""
    stamp = node._stamp
    if stamp.__class__ is list:
        return stamp
    extras = node._stamp = [stamp, None, None, 0, None, None, None]
    return extras


def _epoch_of(node):
    """The stamp of in-place changes that was current when `node` was recorded."""
    stamp = node._stamp
    return stamp[_STAMP] if stamp.__class__ is list else stamp


# ---- versions: in-place changes made through the engine ---------------------------------------

_epoch = 0  # the stamp of the latest in-place change anywhere (0: none yet)
_epoch_lock = threading.Lock()


def bump_version(node):
    """Record that `node`'s data was changed in place: stamp it, and the values whose data it
    is a view of (a change through a view changes them too), with a new, larger stamp."""
    global _epoch
    with _epoch_lock:
        _epoch += 1
        stamp = _epoch
    for value in _sharing_chain(node):
        _extras(value)[_VERSION] = stamp


def _sharing_chain(node):
    """`node` and the values whose data its data is a view of (through reshape, transpose, ...,
    or `detach()`)."""
    chain = [node]
    while True:
        if node.op is None:
            base = _viewed(node)
        elif node.op.view and isinstance(node._first, Node) and \
                np.may_share_memory(node.data, node._first.data):
            base = node._first
        else:
            base = None
        if base is None:
            return chain
        node = base
        chain.append(node)


def _check_unchanged(node):
    """Raise InPlaceError when a value that the rule of a needed gradient of `node` reads was
    changed in place after `node` was recorded (the rule would compute the gradient at the new
    value: silently wrong). Only the rules of the inputs that need a gradient count, each with
    what its row says it reads (`Op.reads`), as PyTorch saves tensors per needed gradient: a
    matmul whose weight needs a gradient reads the other factor, never the weight itself."""
    epoch = _epoch_of(node)
    if epoch == _epoch:
        return  # nothing was changed in place since (the walks come here for nodes with extras)
    op = node.op
    parents = node.parents
    value_type = node.__class__
    for i, parent in enumerate(parents):
        if parent.__class__ is not value_type or parent._pending < 0:
            continue  # a constant, or a value that needs no gradient: its rule does not run
        read = op.reads_of(i)
        for position in (tuple(range(len(parents))) + ("out",)) if read is None else read:
            value = node if position == "out" else parents[position]
            if isinstance(value, Node) and \
                    any(v._version > epoch for v in _sharing_chain(value)):
                what = "its output" if position == "out" else f"its input {position}"
                name = f" {value.label!r}" if value.label else ""
                raise InPlaceError(
                    f"backward: '{op.name}' needs {what}{name} (shape {_shape(value)}) as it "
                    f"was when the op ran, to compute the gradient of its input {i}, but it has "
                    f"been changed in place since (an augmented assignment under no_grad, or an "
                    f"optimiser step); recompute the forward pass after changing it, or change "
                    f"a copy")


def _shape(value):
    return getattr(value, "shape", ())


# ---- recording -------------------------------------------------------------------------------


def _shapes(values):
    return ", ".join(str(getattr(v, "shape", "()")) for v in values)


def apply(op, inputs, params=None):
    """Run `op` on `inputs`; when an input is a graph value, return a new node recording it.

    Raw inputs give a raw result. Constants among graph values stay raw in `parents`.
    """
    value_type, requires_grad, datas = _unpack(op, inputs)
    if op.saves and value_type is not None:
        return _apply_saving(op, value_type, inputs, datas, params, requires_grad)
    try:
        out = op.forward(*datas, **params) if params else op.forward(*datas)
    except (ValueError, IndexError) as error:
        raise _shape_error(op, error, datas) from None
    if value_type is None:
        return out
    return new_node(value_type, out, op, inputs, params or None, requires_grad)


def _apply_saving(op, value_type, inputs, datas, params, requires_grad):
    """`apply` for a row that `saves`: its node keeps what the forward saved for the rule, and
    keeps its inputs as a tuple (the general form), so that the walks take the general path,
    which hands the rule `saved` (the one- and two-input fast path does not)."""
    try:
        out, saved = op.forward_saving(*datas, **(params or {}))
    except (ValueError, IndexError) as error:
        raise _shape_error(op, error, datas) from None
    node = _record(value_type, out, op, tuple(inputs), _MANY, params or None, requires_grad)
    if node.op is not None and saved is not None:
        _extras(node)[_SAVED] = saved
    return node


def apply_unary(op, x, params=None):
    """`apply` for one graph value `x` (the methods' fast path)."""
    try:
        out = op.forward(x.data, **params) if params else op.forward(x.data)
    except (ValueError, IndexError) as error:
        raise _shape_error(op, error, (x.data,)) from None
    return _record(x.__class__, out, op, x, _NONE, params, x._pending >= 0)


def apply_binary(op, x, y):
    """`apply` for two inputs that are graph values of one type, or one such and a constant
    (the operators' fast path: they have coerced the constant already)."""
    try:
        if x.__class__ is y.__class__:
            out = op.forward(x.data, y.data)
            return _record(x.__class__, out, op, x, y, None, x._pending >= 0 or y._pending >= 0)
        if isinstance(x, Node):
            out = op.forward(x.data, y)
            return _record(x.__class__, out, op, x, y, None, x._pending >= 0)
        out = op.forward(x, y.data)
        return _record(y.__class__, out, op, x, y, None, y._pending >= 0)
    except (ValueError, IndexError) as error:
        if isinstance(error, ShapeError):
            raise
        raise _shape_error(op, error, [raw(v) for v in (x, y)]) from None


def _shape_error(op, error, datas):
    """The public ShapeError for numpy's `error` in `op` (numpy's message kept, its traceback
    left out: the user's line and the op name say where)."""
    kind = IndexShapeError if isinstance(error, IndexError) else ShapeError
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
        value_type._as_data(data, op.name if op else value_type.__name__)
    node.grad = None
    node._stamp = _epoch
    switches = current()
    if op is not None and not (requires_grad and switches.grad_enabled):
        if switches.tracing:  # autograd.compile records the op all the same, needing no
            requires_grad = False  # gradient: a value computed from an argument is an input
        else:  # a leaf; one that views its input's data remembers whose (for versions)
            if op.view and first.__class__ is value_type and \
                    np.may_share_memory(data, first.data):
                share_versions(node, first)
            op, first, second, params, requires_grad = None, _NONE, _NONE, None, False
    node.op = op
    node._first = first
    node._second = second
    if params:  # extras as _extras makes them (the stamp is an int: a leaf has no params)
        node._stamp = [node._stamp, params, None, 0, None, None, None]
    node._pending = 0 if requires_grad else -1  # (requires_grad)
    if op is not None and switches.anomaly is not None:
        on_output(switches.anomaly, node)  # records the site, raises on nan
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


# ---- the rule-calling convention -------------------------------------------------------------


def rule_gradients(node, g, create_graph=False):
    """Run interior `node`'s local-gradient rule on `g`, the gradient arriving from above:
    the gradient the rule sends to each input, None where an input is a constant or needs no
    gradient (that product is never computed). Rules see raw data, or graph values with
    `create_graph`, so that the backward pass is itself recorded. Shapes are not yet fitted."""
    op = node.op
    value_type = node.__class__
    parents = node.parents
    params = node.params or {}
    needs = [p.__class__ is value_type and p.requires_grad for p in parents]
    if create_graph:
        out, inputs = node, parents
    else:
        out = node.data
        inputs = [p.data if p.__class__ is value_type else p for p in parents]
        if op.saves:  # the raw rule reuses what the forward saved (a graph-valued one cannot)
            params = dict(params, saved=node._saved)
    if op.input_vjps is not None:
        return [rule(g, out, *inputs, **params) if need else None
                for rule, need in zip(op.input_vjps, needs)]
    grads = op.vjp(g, out, *inputs, **params)
    if grads.__class__ is not tuple and grads.__class__ is not list or len(grads) != len(parents):
        raise ValueError(f"{op.name}: its gradient rule must return a tuple with one gradient "
                         f"per input ({len(parents)}), got {type(grads).__name__} {grads!r:.60}")
    return [g if need else None for g, need in zip(grads, needs)]


def share_versions(leaf, base):
    """Let `leaf`, a value made without recording that shares `base`'s data (a view op under
    no_grad, or `detach()`), see `base`'s in-place changes. A leaf base is held (a change to it
    counts even when it is dropped afterwards, as a PyTorch view holds its base); a computed
    base is referred to weakly, so that the view does not keep its graph alive."""
    _extras(leaf)[_BASE] = base if base.op is None else weakref.ref(base)


def _viewed(leaf):
    """The value whose data `leaf` shares (see `share_versions`), or None."""
    stamp = leaf._stamp
    base = stamp[_BASE] if stamp.__class__ is list else None
    return base() if base.__class__ is weakref.ref else base


def _add_gradients(node, total, g):
    """total + g for two gradients of `node` (the fan-out gate), kept of g's kind: numpy turns
    the sum of two 0-d arrays into a numpy scalar."""
    total = total + g
    return total if total.__class__ is g.__class__ else node._fit_grad(total, "accumulate")


# ---- backward: the training pass -------------------------------------------------------------


def backward(root, seed, create_graph=False, inputs=None):
    """Backpropagate `seed` (the gradient of the output with respect to `root`) through the graph.

    Nodes are processed in reverse topological order: a node runs its local-gradient rule once
    every consumer has sent it a gradient. Interior gradients are fresh on every pass; leaves
    accumulate across passes until `zero_grad`; every node keeps its `.grad` afterwards (with
    `create_graph=True` only the leaves do, since an interior gradient would refer back to its
    consumers). With `create_graph=True` the rules run on graph values, so the gradients are
    graph values that can be differentiated again.

    A pass that raises (an anomaly, a shape error, a rule that fails) leaves every `.grad` and
    every node as it found them. With `inputs` (a list of values) this is `gradients`: only
    those receive gradients, returned in a list, and no node is touched.
    """
    if current().tracing:
        raise RuntimeError("backward: called while autograd.compile traces a step; a compiled "
                           "step runs the backward pass itself (create_graph is not supported): "
                           "return the loss from the function instead of differentiating it")
    if inputs is not None:
        return gradients(root, seed, inputs, create_graph)
    if root.op is None:  # a leaf is its own gradient's destination
        root.grad = root._fit_grad(seed, "backward", None) if root.grad is None else \
            _add_gradients(root, root.grad, seed)
        return None
    kept, leaves = _prepare(root)
    token = set_switches(grad_enabled=create_graph)
    try:
        root.grad = seed
        _run_rules(root, create_graph, current().anomaly)
    except BaseException:
        _undo(root, kept, leaves)
        raise
    finally:
        restore(token)
        for leaf, _ in leaves:
            leaf._pending = 0
    if create_graph:  # the gradients are graph values: say what each is the derivative of
        on_graph_gradients(root, None, None)
    return None


def _prepare(root):
    """First half of the walk: count every interior node's consumers in `_pending`, clear its
    gradient, and note each leaf that will receive one. Returns the gradients it cleared and the
    leaves with their gradients before the pass (both to undo a pass that raises).

    Iterative with an explicit stack, so a graph of any depth works. A node is pushed when first
    seen (its count was zero), so each is expanded once; nodes are marked in place, never hashed,
    so values that overload `__eq__` work.
    """
    kept = [(root, root.grad)] if root.grad is not None else []
    leaves = []
    stack = [root]
    while stack:
        node = stack.pop()
        value_type = node.__class__
        second = node._second
        inputs = (node._first,) if second is _NONE else \
            node._first if second is _MANY else (node._first, second)
        for parent in inputs:
            # parents of another class are raw constants; a traced op may need no gradient
            if parent.__class__ is not value_type:
                continue
            count = parent._pending
            if count < 0:  # needs no gradient
                continue
            if parent.op is None:  # a leaf: only receives a gradient
                if count == 0:
                    parent._pending = 1
                    leaves.append((parent, parent.grad))
                continue
            if count == 0:
                if parent.grad is not None:
                    kept.append((parent, parent.grad))
                    parent.grad = None
                stack.append(parent)
            parent._pending = count + 1
    return kept, leaves


def _run_rules(root, create_graph, watch):
    """Second half of the walk: run each node's rule and send the gradients to its parents."""
    grad_class = root.__class__.grad_class  # (a graph holds values of one type)
    ready = [root]
    while ready:
        node = ready.pop()
        stamp = node._stamp
        if stamp == _epoch:  # nothing changed in place since node was recorded, no extras
            params = None
        elif stamp.__class__ is list and stamp[_STAMP] == _epoch:  # params, a label, ...
            params = stamp[_PARAMS]
        else:  # something was changed in place since node was recorded
            _check_unchanged(node)
            params = node.params
        g = node.grad
        second = node._second  # the parents, read from the slots without the property's call
        rules = node.op.input_vjps
        if create_graph or rules is None or second is _MANY or params and second is not _NONE:
            grads = rule_gradients(node, g, create_graph)
            if create_graph:
                node.grad = None  # a kept graph-valued gradient would refer to its consumers
        else:  # rule_gradients for raw one- and two-input rules, written out: a call per node
            first = node._first  # costs 8% of a Scalar pass (callgrind)
            if second is _NONE:
                grads = (rules[0](g, node.data, first.data, **params) if params else
                         rules[0](g, node.data, first.data),)
            else:
                value_type = node.__class__
                x_is_value = first.__class__ is value_type  # (else a raw constant)
                y_is_value = second.__class__ is value_type
                x = first.data if x_is_value else first
                y = second.data if y_is_value else second
                grads = (rules[0](g, node.data, x, y) if x_is_value and first._pending >= 0
                         else None,
                         rules[1](g, node.data, x, y) if y_is_value and second._pending >= 0
                         else None)
        parents = (node._first,) if second is _NONE else \
            node._first if second is _MANY else (node._first, second)
        for parent, parent_g in zip(parents, grads):
            if parent_g is None:
                continue  # a constant, or a value that needs no gradient
            if parent_g.__class__ is not grad_class:  # fit shape and dtype; never an alias
                parent_g = parent._fit_grad(parent_g, node.op.name, g)
            if watch is not None:
                on_gradient(watch, node, parent, parent_g)
            # the fan-out (copy) gate: gradients coming back from several consumers add up
            total = parent.grad
            parent.grad = parent_g if total is None else _add_gradients(parent, total, parent_g)
            if parent.op is not None:
                count = parent._pending - 1
                parent._pending = count
                if count == 0:  # its last consumer is done: its gradient is complete
                    ready.append(parent)


def _undo(root, kept, leaves):
    """Put back what a pass that raised had changed: every count below `root` to zero, every
    interior gradient to what it was before the pass, every leaf's gradient likewise."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        if node._pending > 0:  # (-1, needing no gradient, stays)
            node._pending = 0
        node.grad = None
        for parent in node.parents:
            if isinstance(parent, Node) and parent.op is not None and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    for node, grad in kept:
        node.grad = grad
    for leaf, grad in leaves:
        leaf.grad = grad


# ---- gradients: the functional pass ----------------------------------------------------------


def gradients(root, seed, inputs, create_graph=False):
    """The gradients of `root` (seeded with `seed`) with respect to each of `inputs`, in a list
    (None where `root` does not depend on an input). Interior inputs are allowed: the walk stops
    there. Gradients are kept in dicts of this call; no node's `.grad` or count is touched, so
    this may run inside a rule or inside another such pass. This is what `grad` and `hvp` use.
    """
    targets = {id(x) for x in inputs}
    outgrads = {id(root): seed}
    watch = current().anomaly
    token = set_switches(grad_enabled=create_graph)
    try:
        for node in _consumer_order(root, targets):
            g = outgrads.get(id(node))
            if g is None or node.op is None or id(node) in targets:
                continue
            if node._stamp != _epoch:  # a change in place since node was recorded, or extras
                _check_unchanged(node)
            grads = rule_gradients(node, g, create_graph)
            del outgrads[id(node)]  # an interior gradient is not needed any more
            for parent, parent_g in zip(node.parents, grads):
                if parent_g is None:
                    continue
                if parent.op is None and id(parent) not in targets:
                    continue  # a leaf that was not asked for
                parent_g = parent._fit_grad(parent_g, node.op.name, g)
                if watch is not None:
                    on_gradient(watch, node, parent, parent_g)
                total = outgrads.get(id(parent))
                outgrads[id(parent)] = parent_g if total is None else \
                    _add_gradients(parent, total, parent_g)
    finally:
        restore(token)
    grads = [outgrads.get(id(x)) for x in inputs]
    if create_graph:  # the gradients are graph values: say what each is the derivative of
        on_graph_gradients(root, inputs, grads)
    return grads


def _consumer_order(root, stop=()):
    """The graph values `root` depends on, `root` first, each after all its consumers (Kahn's
    algorithm with the consumer counts in a dict). The walk does not go past leaves or past
    values whose id is in `stop`. Nothing recurses and no node is written to."""
    counts = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in stop and node is not root:
            continue
        for parent in node.parents:
            if isinstance(parent, Node):
                key = id(parent)
                if key not in counts:
                    counts[key] = 0
                    stack.append(parent)
                counts[key] += 1
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        if id(node) in stop and node is not root:
            continue
        for parent in node.parents:
            if isinstance(parent, Node):
                key = id(parent)
                counts[key] -= 1
                if counts[key] == 0:  # its last consumer is done
                    ready.append(parent)
    return order


def toposort(root):
    """The interior nodes `root` depends on, in topological order (parents first, `root` last).

    Kahn's algorithm from the output: a node comes out once all its consumers have. Leaves and
    constants are left out (they have no rule to run). Nothing recurses.
    """
    order = [node for node in _consumer_order(root) if node.op is not None]
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
