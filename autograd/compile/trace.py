"""Tracing: run a step once in the eager engine, recording every op, and say where each value
that an op read came from.

While `autograd.compile` traces, the graph core records every op on a graph value, also the
ones that need no gradient (a label's negation is an input of the program, not a constant).
The `Trace` lists the interior nodes in topological order; every input of a node is another
node, an argument of the call, a persistent leaf (a model's parameter, a closed-over value: read
again at every call, so an optimiser's updates are seen), or a constant.
"""

import weakref

import numpy as np

from ..modes import current, restore, set_switches
from ..naming import written_order
from ..tensor import Tensor
from ..value import Value


class CompileError(ValueError):
    """A step cannot be compiled as written (the message says why and what to do)."""


# ---- arguments: flattened to a list of leaves, with a signature that guards the program ------

_LIST, _TUPLE, _FLOAT = "list", "tuple", "float"
_STATIC = (int, bool, str, type(None), np.integer, np.bool_)


def flatten(args):
    """The leaves of the arguments (lists and tuples opened, in order) and their signature: a
    hashable description of everything a program depends on (structure, types, shapes, dtypes,
    whether a value requires a gradient, which arguments are the same value, and the values of
    static arguments such as ints and strings, which are baked into the program)."""
    if len(args) <= 4:  # the common call (tensors, arrays, floats): one loop, no stack
        signature, tensors = [], 0
        for position, x in enumerate(args):
            kind = x.__class__
            if kind is Tensor:
                data = x.data
                signature.append((kind, data.shape, data.dtype, x.requires_grad, position))
                tensors += 1
            elif kind is np.ndarray and x.dtype.kind in "biuf":
                signature.append((kind, x.shape, x.dtype))
            elif kind is float:
                signature.append(_FLOAT)
            else:
                break  # anything else: the general path below
        else:
            if tensors < 2 or len({id(x) for x in args if x.__class__ is Tensor}) == tensors:
                return list(args), tuple(signature)
    leaves, signature, seen_values = [], [], None
    stack = [iter(args)]
    while stack:
        for x in stack[-1]:
            kind = x.__class__
            if kind is float:
                leaves.append(x)
                signature.append(_FLOAT)
            elif kind is list or kind is tuple:
                signature.append((_LIST if kind is list else _TUPLE, len(x)))
                stack.append(iter(x))
                break
            elif isinstance(x, Value):
                if seen_values is None:
                    seen_values = {}
                first = seen_values.setdefault(id(x), len(leaves))
                leaves.append(x)
                signature.append((kind, x.data.shape if kind is Tensor else (),
                                  x.data.dtype if kind is Tensor else None, x.requires_grad,
                                  first))
            elif kind is np.ndarray:
                if x.dtype.kind not in "biuf":
                    raise TypeError(f"compiled step: argument {len(leaves)} is an array of dtype "
                                    f"{x.dtype}; arguments must be numeric")
                leaves.append(x)
                signature.append((np.ndarray, x.shape, x.dtype))
            elif isinstance(x, np.floating):
                leaves.append(float(x))
                signature.append(_FLOAT)
            elif isinstance(x, _STATIC):
                leaves.append(x)
                signature.append((kind, x))
            else:
                raise TypeError(f"compiled step: argument {len(leaves)} is a "
                                f"{kind.__name__}; arguments must be Tensors, Scalars, numpy "
                                f"arrays, numbers, strings or None, or lists and tuples of them")
        else:
            stack.pop()
    return leaves, tuple(signature)


def _fresh(args):
    """A copy of the argument structure for tracing in which every float and array is a
    distinct object (floats by x * 1.0, a repeated array as a view), so that each value met
    in the graph names exactly one argument. Graph values stay the caller's own objects."""
    seen, positions = set(), {}
    counter = [0]

    def copy(x):
        kind = x.__class__
        if kind is list or kind is tuple:
            return kind(copy(item) for item in x)
        position = counter[0]
        counter[0] += 1
        if kind is float or isinstance(x, np.floating):
            x = float(x) * 1.0
        elif kind is np.ndarray:
            if id(x) in seen:
                x = x.view()
            seen.add(id(x))
        elif isinstance(x, _STATIC) or isinstance(x, Value):
            return x
        positions[id(x)] = position
        return x

    # argument structures are shallow (lists of rows at most), so plain recursion is fine here
    fresh = tuple(copy(x) for x in args)
    return fresh, positions


# ---- the trace -------------------------------------------------------------------------------


class Traced:
    """One interior node of the trace: its op, its inputs and parameters as references
    (`("node", j)`, `("leaf", i)`, `("arg", k)` or `("const", value)`), its forward value,
    label, value type and whether it requires a gradient."""

    __slots__ = ("op", "inputs", "params", "data", "label", "value_type", "requires_grad")

    def __init__(self, op, inputs, params, data, label, value_type, requires_grad):
        self.op, self.inputs, self.params, self.data = op, inputs, params, data
        self.label, self.value_type, self.requires_grad = label, value_type, requires_grad


class Leaf:
    """One leaf the trace read. `kind` says where its value comes from at every call:
    "arg" (the graph-value argument `key`, gradients delivered to it), "arg data" (the raw
    argument `key`, e.g. a Scalar made inside f from a float argument), "detach" (the value of
    node `key`), "persistent" (`obj.data`, gradients delivered when it requires one) or
    "const" (`data`, fixed)."""

    __slots__ = ("kind", "key", "obj", "data", "label", "value_type", "requires_grad")

    def __init__(self, kind, key, obj, data, label, value_type, requires_grad):
        self.kind, self.key, self.obj, self.data = kind, key, obj, data
        self.label, self.value_type, self.requires_grad = label, value_type, requires_grad

    @property
    def receives_grad(self):
        """Whether the program delivers a gradient to this leaf."""
        return self.requires_grad and self.kind in ("arg", "persistent")


class Trace:
    """The recorded step: `nodes` in topological order, `leaves`, `outputs` (references to the
    returned values, the loss first), `output_form` (how f returned them: "value", "tuple" or
    "list"), the number of argument leaves and the parameter names given by a model."""

    def __init__(self, nodes, leaves, outputs, output_form, n_args, arg_leaves):
        self.nodes, self.leaves, self.outputs = nodes, leaves, outputs
        self.output_form, self.n_args, self.arg_leaves = output_form, n_args, arg_leaves


def trace(f, args, names=None, gradients=False):
    """Run `f(*args)` once, recording every op, and return the `Trace`. `names` maps id(leaf)
    to a parameter name (from a model's `named_parameters()`)."""
    fresh, raw_positions = _fresh(args)
    arg_leaves, _ = flatten(fresh)
    value_positions = {}
    for position, x in enumerate(arg_leaves):
        if isinstance(x, Value):
            value_positions.setdefault(id(x), position)
    if current().tracing:
        raise CompileError("compiled step: called while another step is being traced; compile "
                           "the outer function only (it records the inner one's ops)")
    token = set_switches(tracing=True)
    try:
        result = f(*fresh)
    finally:
        restore(token)
    outputs, form = _outputs(result)
    del result
    return describe(outputs, form, value_positions, raw_positions, names, arg_leaves, gradients)


def describe(outputs, form="value", value_positions=None, raw_positions=None, names=None,
             arg_leaves=(), gradients=False):
    """The `Trace` of a recorded graph whose outputs are `outputs` (the loss first). With
    `gradients`, the eager engine's gradients of every node and leaf are kept as well (for
    checks; the leaves' own gradients are left as they were)."""
    value_positions, raw_positions = value_positions or {}, raw_positions or {}
    order = written_order(*outputs)
    owners = _detached(order)
    if owners:  # a detached value is read after the node it copies: sort with that edge
        order = written_order(*outputs, inputs_of=lambda node: (owners[id(node)],)
                              if id(node) in owners else node.parents)
    index = {}         # id(node) -> ("node", j) or ("leaf", i)
    nodes, leaves, leaf_objects = [], [], []
    data_owner = {}    # id(array) -> node index, to recognise detach()
    find = index.get
    for node in order:
        if node.op is None:
            index[id(node)] = ("leaf", len(leaves))
            leaves.append(_leaf(node, value_positions, raw_positions, data_owner, names))
            leaf_objects.append(node)
            continue
        # a parent not in the index is a raw constant (every graph parent came first)
        inputs = [find(id(p)) or _reference(p, raw_positions) for p in node.parents]
        params = None if node.params is None else \
            {name: _param(value, raw_positions) for name, value in node.params.items()}
        index[id(node)] = ("node", len(nodes))
        if isinstance(node.data, np.ndarray):
            data_owner.setdefault(id(node.data), len(nodes))
        nodes.append(Traced(node.op, inputs, params, node.data, node.label, node.__class__,
                            node.requires_grad))
    output_refs = [index[id(v)] for v in outputs]
    _check_root(outputs[0], nodes, output_refs[0])
    eager = _eager_gradients(outputs[0], order, leaf_objects) if gradients else None
    del order, outputs, index, node
    _classify_unknown_leaves(leaves, leaf_objects)
    traced = Trace(nodes, leaves, output_refs, form, len(arg_leaves), arg_leaves)
    traced.eager_gradients = eager
    return traced


def _eager_gradients(root, order, leaf_objects):
    """The eager engine's backward pass on the traced graph: {id position: gradient} for nodes
    ("node", j) and leaves ("leaf", i); the leaves' gradients are restored afterwards."""
    saved = [leaf.grad for leaf in leaf_objects]
    try:
        for leaf in leaf_objects:
            leaf.grad = None
        root.backward()
        interior = [node.grad for node in order if node.op is not None]
        leaves = [leaf.grad for leaf in leaf_objects]
    finally:
        for leaf, grad in zip(leaf_objects, saved):
            leaf.grad = grad
    return {"node": interior, "leaf": leaves}


def _outputs(result):
    """The returned graph values, the loss first, and the form f returned them in."""
    form = "value"
    values = [result]
    if isinstance(result, (tuple, list)) and result:
        form, values = type(result).__name__, list(result)
    for i, value in enumerate(values):
        if not isinstance(value, Value):
            what = "its result" if form == "value" else f"item {i} of its result"
            raise CompileError(f"compiled step: f must return a Scalar or Tensor loss (or a "
                               f"tuple whose first item is the loss and whose other items are "
                               f"Scalars or Tensors); {what} is a {type(value).__name__}: "
                               f"{value!r:.60}")
    return values, form


def _check_root(root, nodes, ref):
    if root.op is None:
        raise CompileError("compiled step: f returned a leaf, not a value computed from its "
                           "inputs; there is nothing to differentiate")
    if np.size(root.data) != 1:
        raise CompileError(f"compiled step: f must return a single-element loss to "
                           f"differentiate; it returned a {type(root).__name__} of shape "
                           f"{np.shape(root.data)}: reduce it first (.sum() or .mean())")
    if not root.requires_grad:
        raise CompileError("compiled step: the loss f returned does not require a gradient: "
                           "it depends on no value with requires_grad=True (or was computed "
                           "under no_grad() or from detached values)")


def _detached(order):
    """{id(leaf): node} for the Tensor leaves made by detach() of a node in the trace (they
    hold the node's own array)."""
    by_data = {id(node.data): node for node in order
               if node.op is not None and isinstance(node.data, np.ndarray)}
    return {id(node): by_data[id(node.data)] for node in order
            if node.op is None and isinstance(node, Tensor) and id(node.data) in by_data}


def _reference(value, raw_positions):
    """A node input as the trace records it: an argument's position, or a constant."""
    position = raw_positions.get(id(value))
    return ("arg", position) if position is not None else ("const", value)


def _param(value, raw_positions):
    """A parameter with the arrays (and floats) that are arguments replaced by references."""
    if isinstance(value, tuple):
        return tuple(_param(v, raw_positions) for v in value)
    if id(value) in raw_positions and isinstance(value, (np.ndarray, float)):
        return ArgRef(raw_positions[id(value)])
    return value


class ArgRef:
    """Inside a parameter: the raw argument at `position` (a label or index array)."""

    __slots__ = ("position",)

    def __init__(self, position):
        self.position = position


def _leaf(leaf, value_positions, raw_positions, data_owner, names):
    label = (names or {}).get(id(leaf)) or leaf.label
    common = (leaf.data, label, leaf.__class__, leaf.requires_grad)
    if id(leaf) in value_positions:
        return Leaf("arg", value_positions[id(leaf)], None, *common)
    if id(leaf.data) in raw_positions:
        return Leaf("arg data", raw_positions[id(leaf.data)], None, *common)
    if isinstance(leaf, Tensor) and id(leaf.data) in data_owner:
        return Leaf("detach", data_owner[id(leaf.data)], None, *common)
    return Leaf("unknown", None, weakref.ref(leaf), *common)


def _classify_unknown_leaves(leaves, leaf_objects):
    """A leaf still alive once the trace's graph is dropped is persistent (a parameter, a
    closed-over value: read at every call); one that died with the graph was made inside f
    from constants, so its value is a constant."""
    leaf_objects.clear()
    for leaf in leaves:
        if leaf.kind == "unknown":
            obj = leaf.obj()
            leaf.kind, leaf.obj = ("persistent", obj) if obj is not None else ("const", None)


def parameter_names(model):
    """{id(parameter): name} from a model's `named_parameters()` (None without a model)."""
    if model is None:
        return None
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"compile: model must have named_parameters() (an nn.Module), got "
                        f"{type(model).__name__}")
    return {id(p): name for name, p in model.named_parameters()}


