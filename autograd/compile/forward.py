"""The naming and forward phases of code generation (codegen.py runs the phases).

`Names` is the naming phase and the table it leaves: the program's namespace, the name of
every traced value and leaf, the inputs it reads. `forward_lines` writes the statements of one
node's forward value. Names are made by the engine (names.Namer), never copied from user text.
"""

import numpy as np

from .. import ops
from ..kernels import raw
from ..scalar import Scalar
from .names import Namer, comment, value_suggestions
from .runtime import NAMESPACE
from .statements import Expr, Statement, Word, assign, template_shape
from .trace import ArgRef

_SCALAR_FACTS = {"x_shape": "()", "y_shape": "()", "out_shape": "()", "x_size": Word("1"),
                 "y_size": Word("1"), "out_size": Word("1")}


class _WordNamer(Namer):
    """A Namer whose names are marked as words (see statements.Word)."""

    def __call__(self, suggestion, fallback="v"):
        return Word(super().__call__(suggestion, fallback))


class Names:
    """The naming phase, and the program's table of names that later phases add to.

    Set here, once: `namespace` (the program's globals), the `namer`, `leaf_names` and
    `node_names` (per trace leaf and node: its name, or a literal; None where not written),
    the inputs read (`external`: name -> (source, comment)), `persistent` (the persistent
    leaves in the order the program reads them), `env` (name -> the trace's value, for the
    generator's evaluation) and `arrays` (names of program-owned arrays, freed at last use).
    Later phases add to these only by `bind` (a constant or function), `namer` (a new name),
    `argument` (an argument read), `env` and `arrays` (a value they write); per-example blocks
    (examples.py) also fill `constant_params` and read a block's outputs as `S[i][k]` outside
    the example functions (`node_names`)."""

    def __init__(self, trace, arg_names, function_name, plan=None, top_names=None):
        self.trace, self.plan, self.top_names = trace, plan, top_names
        self.namespace = dict(NAMESPACE)
        self.by_object = {id(v): k for k, v in self.namespace.items()}
        self.namer = _WordNamer(set(self.namespace) | {"A", "P", "B", "record", function_name})
        self.arg_names = arg_names or [f"a{i}" for i in range(trace.n_args)]
        self.env, self.arrays, self.external = {}, set(), {}
        self.args_used = {}       # argument position -> name
        self.example_params = {}  # (top argument, offset) -> parameter of the example function
        self.constant_params = {}  # (id(node), input) -> parameter of the example function
        self.saved_names = {}     # node index -> the name of what its forward saved (`saves`)
        self.tensor = any(node.value_type is not Scalar for node in trace.nodes)
        suggested, suggested_leaves = value_suggestions(trace)
        self.persistent = []
        self.leaf_names = self._name_leaves(suggested_leaves)
        self.node_names = []
        hidden = plan.group if plan is not None else None
        for j, node in enumerate(trace.nodes):
            if hidden is not None and hidden[j] > 0:  # another example's node: never written
                self.node_names.append(None)
                continue
            name = self.namer(suggested[j], "v")
            self.node_names.append(name)
            if node.value_type is not Scalar:
                self.env[name] = node.data
        for i, leaf in enumerate(trace.leaves):
            if leaf.kind == "detach":
                self.leaf_names[i] = self.node_names[leaf.key]

    def _name_leaves(self, suggested):
        plan, names = self.plan, []
        for i, leaf in enumerate(self.trace.leaves):
            if plan is not None and leaf.kind in ("arg", "arg data") and \
                    plan.example_keys[leaf.key]:
                names.append(self.argument(leaf.key))  # a parameter of the example function
                continue
            if leaf.kind == "arg":
                name = self.namer(leaf.label or self.arg_names[leaf.key], "a")
                self.external[name] = (f"A[{leaf.key}].data",
                                       f"argument {comment(self.arg_names[leaf.key])}")
                self.env[name] = leaf.data
            elif leaf.kind == "arg data":
                name = self.argument(leaf.key)
                if plan is not None and plan.example_keys[leaf.key] and \
                        plan.example_keys[leaf.key][0] != 0:
                    name = None  # another example's value: read only inside the loop
            elif leaf.kind == "persistent":
                name = self.namer(suggested[i], "p")
                self.external[name] = (f"P[{len(self.persistent)}].data",
                                       f"{'parameter' if leaf.requires_grad else 'leaf'} "
                                       f"{comment(leaf.label or '')}".rstrip())
                self.env[name] = leaf.data
                leaf.key = len(self.persistent)
                self.persistent.append(leaf.obj)
            elif leaf.kind == "detach":
                name = None  # the detached node's name, once it has one
            else:
                name = self.constant(leaf.data) if leaf.data.__class__ is float else \
                    self.bind(leaf.data, leaf.label or "c")
            names.append(name)
        return names

    def bind(self, value, suggestion):
        """A namespace name for a constant or function (the same object keeps one name)."""
        name = self.by_object.get(id(value))
        if name is None or self.namespace[name] is not value:
            name = self.namer(suggestion, "c")
            self.namespace[name] = value
            self.by_object[id(value)] = name
        return name

    def constant(self, value):
        """A literal for numbers, None, tuples and slices; a bound name for anything else.
        A literal that is one word (a non-negative int, None, a bool, nan, inf) is a Word."""
        if isinstance(value, ArgRef):
            return self.argument(value.position)
        if value is None or isinstance(value, (bool, int)) and not isinstance(value, np.integer):
            return Word(repr(value)) if value is None or value >= 0 else repr(value)
        if isinstance(value, np.integer):
            return Word(repr(int(value))) if value >= 0 else repr(int(value))
        if value.__class__ is float:
            if value != value:
                return Word("nan")
            return repr(value) if abs(value) != float("inf") else \
                (Word("inf") if value > 0 else "-inf")
        if isinstance(value, tuple):
            items = [self.constant(v) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(value, slice):
            return f"slice({self.constant(value.start)}, {self.constant(value.stop)}, " \
                   f"{self.constant(value.step)})"
        if value is Ellipsis:
            return Word("Ellipsis")
        return self.bind(value, "c")

    def denoted(self, value):
        """The value the program's text for `value` (`constant(value)`) stands for: numpy
        integers are written as Python ints; everything else is itself."""
        if isinstance(value, ArgRef):
            return self.trace.arg_leaves[value.position]
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, tuple):
            return tuple(self.denoted(v) for v in value)
        if isinstance(value, slice):
            return slice(self.denoted(value.start), self.denoted(value.stop),
                         self.denoted(value.step))
        return value

    def argument(self, position):
        """The name of argument leaf `position` (read from A the first time it is asked for;
        inside per-example blocks, a parameter of the example function)."""
        name = self.args_used.get(position)
        if name is None and self.plan is not None and self.plan.example_keys[position]:
            example, key = self.plan.example_keys[position]
            name = self.example_params.get(key)
            if name is None:  # a parameter of the per-example function
                top, offset = key
                stride = self.plan.layout[top][1]
                base = self.top_names[top] + "_i" + (f"_{offset}" if stride > 1 else "")
                name = self.example_params[key] = self.namer(base, "a")
            return name
        if name is None:
            name = self.args_used[position] = self.namer(self.arg_names[position], "a")
            self.external[name] = (f"A[{position}]", f"argument {comment(self.arg_names[position])}")
            self.env[name] = self.trace.arg_leaves[position]
        return name

    def argument_refs(self, value):
        """The names of the arguments a parameter refers to (a label or index array)."""
        if isinstance(value, ArgRef):
            return [self.argument(value.position)]
        if isinstance(value, tuple):
            return [n for v in value for n in self.argument_refs(v)]
        return []

    def reference(self, ref):
        """The program text of a node's input: a name, or a constant's literal."""
        kind, key = ref
        if kind == "node":
            return self.node_names[key]
        if kind == "leaf":
            return self.leaf_names[key]
        if kind == "arg":
            return self.argument(key)
        return self.constant(key)

    def value_of(self, ref):
        """The trace's value of a node's input."""
        kind, key = ref
        if kind == "node":
            return self.trace.nodes[key].data
        if kind == "leaf":
            return self.trace.leaves[key].data
        if kind == "arg":
            return self.trace.arg_leaves[key]
        return key

    def param_value(self, value):
        """A parameter's value in the trace (an argument it refers to, read)."""
        if isinstance(value, ArgRef):
            return self.trace.arg_leaves[value.position]
        if isinstance(value, tuple):
            return tuple(self.param_value(v) for v in value)
        return value

    def param_values(self, node):
        """node's parameters as the eager core passes them (an argument's value for ArgRef)."""
        return {k: self.param_value(v) for k, v in (node.params or {}).items()}

    def raw_inputs(self, node):
        """The raw data of node's inputs in the trace."""
        return [self.value_of(ref) if ref[0] != "arg" else
                raw(self.trace.arg_leaves[ref[1]]) for ref in node.inputs]

    def input_names(self, node):
        """The program text of each of node's inputs."""
        if self.constant_params:
            return [self.constant_params.get((id(node), k)) or self.reference(ref)
                    for k, ref in enumerate(node.inputs)]
        return [self.reference(ref) for ref in node.inputs]

    def fields(self, node, inputs, out):
        """The names a template may use for node: out, x, y, params and static facts."""
        fields = {"out": out}
        for key, name in zip(("x", "y"), inputs):
            fields[key] = name
        if node.params:
            fields.update({k: self.constant(v) for k, v in node.params.items()})
        if node.value_type is Scalar:
            fields.update(_SCALAR_FACTS)
            return fields
        shapes = [np.shape(self.value_of(ref)) for ref in node.inputs[:2]]
        for key, shape in zip(("x", "y"), shapes):
            fields[f"{key}_shape"] = repr(tuple(shape))
            fields[f"{key}_size"] = Word(repr(int(np.prod(shape, dtype=np.int64))))
        fields["out_shape"] = repr(tuple(np.shape(node.data)))
        fields["out_size"] = Word(repr(int(np.size(node.data))))
        return fields

    def field_values(self, node):
        """The values node's `fields` stand for in the trace (Tensor nodes): what a template
        filled in with them computes when run on these values."""
        values = {"out": node.data}
        for key, ref in zip(("x", "y"), node.inputs):
            values[key] = self.denoted(self.value_of(ref))
        if node.params:
            values.update({k: self.denoted(v) for k, v in node.params.items()})
        for key, ref in zip(("x", "y"), node.inputs[:2]):
            shape = np.shape(self.value_of(ref))
            values[f"{key}_shape"] = tuple(shape)
            values[f"{key}_size"] = int(np.prod(shape, dtype=np.int64))
        values["out_shape"] = tuple(np.shape(node.data))
        values["out_size"] = int(np.size(node.data))
        return values

    def expr(self, template, fields, node=None):
        """A row's template filled in with `fields` (see `fields`), as an Expr: the operands
        are the words its fields hold, and an argument a parameter refers to."""
        names, shape = template_shape(template)
        operands = []
        for f in names:
            if node is not None and node.params and f in node.params:
                operands += self.argument_refs(node.params[f])
            elif isinstance(fields[f], Word):
                operands.append(fields[f])
        kind, args = shape[0], ()
        if kind == "name":
            args = (fields[shape[1]],)
        elif kind == "ufunc" and isinstance(fields[shape[2]], Word) and \
                isinstance(fields[shape[3]], Word):
            args = (shape[1], fields[shape[2]], fields[shape[3]])
        elif kind == "matmul" and isinstance(fields[shape[1][0]], Word) and \
                isinstance(fields[shape[2][0]], Word):
            args = tuple(fields[f] + (".swapaxes(-1, -2)" if t else "") for f, t in shape[1:])
        elif kind in ("ufunc", "matmul"):
            kind = "new"  # (arithmetic on a constant written out: a new array, not rewritten)
        return Expr(template.format(**fields), operands, kind, args, template)


def forward_lines(names, j, node):
    """The statements computing node j's value (its label check first, for labels)."""
    op = node.op
    inputs = names.input_names(node)
    out = names.node_names[j]
    fields = names.fields(node, inputs, out)
    written = op.code_forward
    if isinstance(written, tuple):  # (for floats, for arrays)
        written = written[0] if node.value_type is Scalar else written[1]
    if written is not None:
        expression = names.expr(written, fields, node)
    else:
        function = names.bind(op.forward_saving or op.forward, op.kernel)
        params = node.params or {}
        arguments = inputs + [f"{k}={names.constant(v)}" for k, v in params.items()]
        operands = [n for n in inputs if isinstance(n, Word)] + \
            [n for v in params.values() for n in names.argument_refs(v)]
        expression = Expr(f"{function}({', '.join(arguments)})", operands)
    lines = []
    if node.params and isinstance(node.params.get("labels"), ArgRef):
        lines += _label_check(names, node)
    note = f"{comment(node.label)}" if node.label and node.label != out else ""
    inplace = op.into if node.value_type is not Scalar else None
    saved = None
    if op.saves:  # (out, saved): out is the core's data already, saved is the rule's
        saved = names.saved_names[j] = names.namer(f"{out}_saved", "s")
        names.env[saved] = op.forward_saving(*names.raw_inputs(node),
                                             **names.param_values(node))[1]
        names.arrays.add(saved)  # (freed at its last use, as an array is)
        inplace = None
    elif node.value_type is not Scalar and np.ndim(node.data) == 0:
        # the core keeps a 0-d result as a 0-d array, not the numpy scalar numpy gives
        expression = expression.wrapped(f"as_data({expression.text})", "any")
        inplace = None
    elif node.value_type is Scalar and op.name not in ops.BUILT_IN:
        # a primitive's result, fitted as the core does
        expression = expression.wrapped(f"to_float({expression.text})", "any")
    statement = Statement(None, note, out, expression, node=j)
    statement.op = op
    statement.saved = saved
    statement.inputs = tuple(names.node_names[key] for kind, key in node.inputs
                             if kind == "node")
    statement.inplace = inplace
    statement.fields = fields
    lines.append(statement)
    if isinstance(node.data, np.ndarray) and node.value_type is not Scalar:
        names.arrays.add(out)
    return lines


def _label_check(names, node):
    """The check eager mode runs on a label argument (a row's `labels` parameter holds
    class labels, checked by `class_labels` when the op is applied). The program's signature
    fixes the labels' shape and integer dtype, so only the range is left: one max of the labels seen
    as unsigned (negatives wrap to huge values); eager's check runs on failure and raises
    its error."""
    labels = names.constant(node.params["labels"])
    rows, classes = np.shape(names.value_of(node.inputs[0]))
    given = names.trace.arg_leaves[node.params["labels"].position]
    check = f"check_labels({labels}, {rows}, {classes})"
    if given.dtype.kind not in "iu":
        return [assign(labels, check, "the label check of eager mode", (labels,))]
    if not rows:
        return []
    unsigned = names.bind(np.dtype(f"u{given.dtype.itemsize}").type,
                          f"uint{8 * given.dtype.itemsize}")
    return [Statement(f"if {labels}.view({unsigned}).max() >= {classes}: {check}",
                      "the label check of eager mode (raises)", operands=(labels,))]
