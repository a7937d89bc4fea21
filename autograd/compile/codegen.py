"""Code generation: a traced step written out as plain Python.

The program reads its inputs, runs the forward ops in order, then the backward pass: one line
per rule in reverse order (the op table's code template, or a call of the rule itself), the
gate pattern as a comment, and a fan-out written as the sum it is. Tensor programs free each
array at its last use and compute an elementwise op in place when its input dies there.

For Tensor graphs the generator runs each backward line on the trace's values as it writes it:
that gives every gradient's shape and dtype (so broadcasting is undone, and dtypes fitted,
only where the eager core would do it), and a template is used only where it gives what the
rule gives; elsewhere the rule is called. Scalar programs are float arithmetic throughout.

Lines are data until the end (`Statement`: the name it defines, its right-hand side as an
`Expr` with its operands and kind); the buffer and liveness passes read those fields, and the
text is written last (`assemble`). What a row's template computes is read from the template
itself, once (`template_shape`), never from the program's text.
"""

import ast
import functools
import string

import numpy as np

from .. import ops
from ..graph import unbroadcast
from ..kernels import raw
from ..scalar import Scalar
from ..tensor import Tensor
from .names import Namer, comment, value_suggestions
from .runtime import NAMESPACE
from .blocks import MIXED, SHARED
from .trace import ArgRef

_SCALAR_FACTS = {"x_shape": "()", "y_shape": "()", "out_shape": "()", "x_size": "1",
                 "y_size": "1", "out_size": "1"}
_UFUNCS = {ast.Add: "np.add", ast.Sub: "np.subtract", ast.Mult: "np.multiply",
           ast.Div: "np.divide"}
NEW_ARRAY_FUNCTIONS = frozenset({
    "divide", "power", "exp", "log", "sigmoid", "tanh", "relu", "maximum", "sign", "within",
    "select", "where_positive", "sigmoid_slope_times", "tanh_slope_times", "summed_product",
    "scatter_add"})
"""Functions of the namespace whose result is a new array, never a view of an argument."""


class Expr:
    """The right-hand side of an assignment, as data: its `text`, the `operands` (the names it
    reads, in the order it reads them) and what the buffer pass needs to know of it, its
    `kind`: "name" (the value of the one operand itself), "ufunc" (`a * b` of two names:
    `args` = (ufunc, a, b)), "matmul" (`a @ b`, each side a name maybe transposed: `args` =
    (a, b)), "new" (certainly a new array) or "any" (may share memory with its operands)."""

    __slots__ = ("text", "operands", "kind", "args")

    def __init__(self, text, operands=(), kind="any", args=()):
        self.text, self.operands, self.kind, self.args = text, tuple(operands), kind, args

    def wrapped(self, text, kind):
        """Another expression over the same operands (a call around this one)."""
        return Expr(text, self.operands, kind)

    def into(self, buffer):
        """This product or arithmetic written into `buffer` (kinds "ufunc" and "matmul")."""
        if self.kind == "ufunc":
            ufunc, a, b = self.args
            return Expr(f"{ufunc}({a}, {b}, out={buffer})", self.operands, "new")
        a, b = self.args
        return Expr(f"np.matmul({a}, {b}, out={buffer})", self.operands, "new")


class Statement:
    """One line of the program, as data: the name it defines (`output`) and its right-hand
    side (`expr`, an Expr), or a whole `line` of text that defines nothing; a comment; the
    names it reads (`operands`, and `reads`: those that are program values); the traced node
    whose forward it computes, with its op's buffer form (`inplace`, `fields`); the rule it
    writes out (`rule`); whether what it reads is handed to the caller (`escapes`); the name of
    what a forward that `saves` keeps for its rule (`saved`, defined beside `output`)."""

    __slots__ = ("output", "expr", "line", "note", "operands", "reads", "node", "inplace",
                 "fields", "escapes", "rule", "saved")

    def __init__(self, line=None, note="", output=None, expr=None, node=None, operands=()):
        self.output, self.expr, self.line, self.note, self.node = output, expr, line, note, node
        self.saved = None
        self.operands = expr.operands if expr is not None else tuple(operands)
        self.reads, self.inplace, self.fields = (), None, None
        self.rule = None  # (j, k): the line sending node j's rule's gradient to its input k
        self.escapes = False

    @property
    def text(self):
        """The line as it is written."""
        if self.output is None:
            return self.line
        if self.saved is not None:
            return f"{self.output}, {self.saved} = {self.expr.text}"
        return f"{self.output} = {self.expr.text}"

    @property
    def defines(self):
        if self.output is None:
            return ()
        return (self.output,) if self.saved is None else (self.output, self.saved)


def assign(output, text, note="", operands=(), kind="any", node=None):
    """The statement `output = text`."""
    return Statement(None, note, output, Expr(text, operands, kind), node=node)


@functools.cache
def template_shape(template):
    """What a row's template computes, read once from the template (the row's own text, never
    the program's): its fields in the order it reads them, and its kind and operand fields for
    the buffer pass (see Expr): ("name", f), ("ufunc", ufunc, a, b), ("matmul", (a, t), (b, t))
    with t whether the side is transposed, ("new",) or ("any",)."""
    fields = tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))
    marks = {f: f"F{i}_" for i, f in enumerate(fields)}
    tree = ast.parse(template.format(**marks), mode="eval").body
    back = {v: k for k, v in marks.items()}

    def side(node):
        if isinstance(node, ast.Name) and node.id in back:
            return back[node.id], False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "swapaxes" and isinstance(node.func.value, ast.Name) and \
                node.func.value.id in back and \
                [ast.literal_eval(a) for a in node.args] == [-1, -2]:
            return back[node.func.value.id], True
        return None

    if isinstance(tree, ast.Name) and tree.id in back:
        return fields, ("name", back[tree.id])
    if isinstance(tree, ast.BinOp):
        a, b = side(tree.left), side(tree.right)
        if a and b and type(tree.op) in _UFUNCS and not a[1] and not b[1]:
            return fields, ("ufunc", _UFUNCS[type(tree.op)], a[0], b[0])
        if a and b and isinstance(tree.op, ast.MatMult):
            return fields, ("matmul", a, b)
    return fields, ("new",) if _makes_new_array(tree) else ("any",)


def _word(text):
    """Whether a field's text is one word (a name or a number): an operand of arithmetic the
    buffer pass may rewrite."""
    return bool(text) and all(c.isalnum() or c == "_" for c in text)


class Generated:
    """A generated program: `source` (the text), `namespace` (its globals), `function_name`,
    `node_names` and `grad_names` (identifiers of each traced node's value and gradient), and
    `lines` (the line of the source where each node's forward value is computed)."""

    def __init__(self, source, namespace, function_name, node_names, grad_names, lines):
        self.source, self.namespace, self.function_name = source, namespace, function_name
        self.node_names, self.grad_names, self.node_lines = node_names, grad_names, lines


def generate(trace, arg_names=None, function_name="step", record=False, backward=True,
             plan=None, top_names=None):
    """The Python source of `trace` as a function `step(A, P)`: A holds the argument leaves
    (in `flatten` order), P the persistent leaves; it delivers the leaves' gradients and
    returns the tuple of output values. With `record`, it also calls `record(kind, j, value)`
    for every node's value ("value") and gradient ("grad") (for checks)."""
    return _Writer(trace, arg_names, function_name, record, backward, plan, top_names).write()


class _Writer:
    """Writes one program. Its state is all set here; the phases fill it in order: names
    (`write`, `name_leaves`), the forward lines, the backward pass (`compute_needs`, then per
    scope `prepare_scope`), the buffers (`place_in_buffers` returns the last use of every
    name, which `assemble` is handed)."""

    def __init__(self, trace, arg_names, function_name, record, backward, plan=None,
                 top_names=None):
        self.trace, self.record, self.backward = trace, record, backward
        self.plan, self.top_names = plan, top_names
        self.function_name = function_name
        self.ns = dict(NAMESPACE)
        self.by_object = {id(v): k for k, v in self.ns.items()}
        self.namer = Namer(set(self.ns) | {"A", "P", "B", "record", function_name})
        self.arg_names = arg_names or [f"a{i}" for i in range(trace.n_args)]
        self.env = {}           # name -> the trace's value (Tensor graphs: for evaluation)
        self.arrays = set()     # names of program-owned array values (freed at last use)
        self.external = {}      # name -> line reading an input
        self.args_used = {}     # argument position -> name
        self.tensor = any(node.value_type is not Scalar for node in trace.nodes)
        self.example_params, self.accumulators = {}, {}
        self.constant_params = {}  # (id(node), input) -> parameter of the example function
        self.example_constants = []  # the names of the per-example constants' parameters
        self.folded = set()     # names of gradients that are the same at every call
        self.kept, self.buffers = set(), []  # names in buffers kept between calls; their specs
        self.buffer_names = []
        self.persistent = []    # the persistent leaves, in the order the program reads them
        self.suggested = self.suggested_leaves = None  # names suggested for nodes and leaves
        self.leaf_names, self.node_names = [], []
        self.saved_names = {}   # node index -> the name of what its forward saved (`saves`)
        self.root, self.needs = None, None  # the loss's node; nodes on a path to a gradient
        # the scope being written: who sends a gradient to what, the contributions' names,
        # and the gradients' names
        self.sends, self.contributions, self.g_names = {}, {}, {}

    # ---- names and constants ---------------------------------------------------------------
    def expr(self, template, fields, node=None):
        """A row's template filled in with `fields` (see `fields`), as an Expr: the operands
        are the names its fields hold, and an argument a parameter refers to."""
        names, shape = template_shape(template)
        operands = []
        for f in names:
            if node is not None and node.params and f in node.params:
                operands += self.argument_refs(node.params[f])
            elif _word(fields[f]):
                operands.append(fields[f])
        kind, args = shape[0], ()
        if kind == "name":
            args = (fields[shape[1]],)
        elif kind == "ufunc" and _word(fields[shape[2]]) and _word(fields[shape[3]]):
            args = (shape[1], fields[shape[2]], fields[shape[3]])
        elif kind == "matmul" and _word(fields[shape[1][0]]) and _word(fields[shape[2][0]]):
            args = tuple(fields[f] + (".swapaxes(-1, -2)" if t else "") for f, t in shape[1:])
        elif kind in ("ufunc", "matmul"):
            kind = "new"  # (arithmetic on a constant written out: a new array, not rewritten)
        return Expr(template.format(**fields), operands, kind, args)

    def argument_refs(self, value):
        """The names of the arguments a parameter refers to (a label or index array)."""
        if isinstance(value, ArgRef):
            return [self.argument(value.position)]
        if isinstance(value, tuple):
            return [n for v in value for n in self.argument_refs(v)]
        return []

    def bind(self, value, suggestion):
        """A namespace name for a constant or function (the same object keeps one name)."""
        name = self.by_object.get(id(value))
        if name is None or self.ns[name] is not value:
            name = self.namer(suggestion, "c")
            self.ns[name] = value
            self.by_object[id(value)] = name
        return name

    def constant(self, value):
        """A literal for numbers, None, tuples and slices; a bound name for anything else."""
        if isinstance(value, ArgRef):
            return self.argument(value.position)
        if value is None or isinstance(value, (bool, int)) and not isinstance(value, np.integer):
            return repr(value)
        if isinstance(value, np.integer):
            return repr(int(value))
        if value.__class__ is float:
            if value != value:
                return "nan"
            return repr(value) if abs(value) != float("inf") else \
                ("inf" if value > 0 else "-inf")
        if isinstance(value, tuple):
            items = [self.constant(v) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(value, slice):
            return f"slice({self.constant(value.start)}, {self.constant(value.stop)}, " \
                   f"{self.constant(value.step)})"
        if value is Ellipsis:
            return "Ellipsis"
        return self.bind(value, "c")

    def argument(self, position):
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

    def reference(self, ref):
        kind, key = ref
        if kind == "node":
            return self.node_names[key]
        if kind == "leaf":
            return self.leaf_names[key]
        if kind == "arg":
            return self.argument(key)
        return self.constant(key)

    def name_leaves(self):
        trace, names = self.trace, []
        persistent = []
        for i, leaf in enumerate(trace.leaves):
            if self.plan is not None and leaf.kind in ("arg", "arg data") and \
                    self.plan.example_keys[leaf.key]:
                names.append(self.argument(leaf.key))  # a parameter of the example function
                continue
            if leaf.kind == "arg":
                name = self.namer(leaf.label or self.arg_names[leaf.key], "a")
                self.external[name] = (f"A[{leaf.key}].data",
                                       f"argument {comment(self.arg_names[leaf.key])}")
                self.env[name] = leaf.data
            elif leaf.kind == "arg data":
                name = self.argument(leaf.key)
                if self.plan is not None and self.plan.example_keys[leaf.key] and \
                        self.plan.example_keys[leaf.key][0] != 0:
                    name = None  # another example's value: read only inside the loop
            elif leaf.kind == "persistent":
                name = self.namer(self.suggested_leaves[i], "p")
                self.external[name] = (f"P[{len(persistent)}].data",
                                       f"{'parameter' if leaf.requires_grad else 'leaf'} "
                                       f"{comment(leaf.label or '')}".rstrip())
                self.env[name] = leaf.data
                leaf.key = len(persistent)
                persistent.append(leaf.obj)
            elif leaf.kind == "detach":
                name = None  # the detached node's name, once it has one
            else:
                name = self.constant(leaf.data) if leaf.data.__class__ is float else \
                    self.bind(leaf.data, leaf.label or "c")
            names.append(name)
        self.persistent = persistent
        return names

    # ---- the program -----------------------------------------------------------------------
    def write(self):
        trace = self.trace
        self.suggested, self.suggested_leaves = value_suggestions(trace)
        self.leaf_names = self.name_leaves()
        self.node_names = []
        hidden = self.plan.group if self.plan is not None else None
        for j, node in enumerate(trace.nodes):
            if hidden is not None and hidden[j] > 0:  # another example's node: never written
                self.node_names.append(None)
                continue
            name = self.namer(self.suggested[j], "v")
            self.node_names.append(name)
            if node.value_type is not Scalar:
                self.env[name] = node.data
        for i, leaf in enumerate(trace.leaves):
            if leaf.kind == "detach":
                self.leaf_names[i] = self.node_names[leaf.key]
        if self.plan is not None and self.backward and not self.record:
            return self.write_blocked()
        forward = [s for j, node in enumerate(trace.nodes) for s in self.forward_line(j, node)]
        backward = self.backward_lines() if self.backward else []
        outputs = [self.reference(ref) for ref in trace.outputs]
        body = forward + backward
        for statement in body:
            statement.reads = tuple(n for n in statement.operands
                                    if n in self.env or n in self.external)
        last = self.place_in_buffers(body, len(forward), outputs) if self.tensor else None
        return self.assemble(body, len(forward), outputs, last)

    def forward_line(self, j, node):
        op = node.op
        names = self.input_names(node)
        out = self.node_names[j]
        fields = self.fields(node, names, out)
        written = op.code_forward
        if isinstance(written, tuple):  # (for floats, for arrays)
            written = written[0] if node.value_type is Scalar else written[1]
        if written is not None:
            expression = self.expr(written, fields, node)
        else:
            function = self.bind(op.forward_saving or op.forward, op.kernel)
            params = node.params or {}
            arguments = names + [f"{k}={self.constant(v)}" for k, v in params.items()]
            operands = [n for n in names if _word(n)] + \
                [n for v in params.values() for n in self.argument_refs(v)]
            expression = Expr(f"{function}({', '.join(arguments)})", operands)
        lines = []
        if node.params and isinstance(node.params.get("labels"), ArgRef):
            lines += self.label_check(node)
        note = f"{comment(node.label)}" if node.label and node.label != out else ""
        inplace = op.into if node.value_type is not Scalar else None
        saved = None
        if op.saves:  # (out, saved): out is the core's data already, saved is the rule's
            saved = self.saved_names[j] = self.namer(f"{out}_saved", "s")
            self.env[saved] = op.forward_saving(*self.raw_inputs(node),
                                                **self.param_values(node))[1]
            self.arrays.add(saved)  # (freed at its last use, as an array is)
            inplace = None
        elif node.value_type is not Scalar and np.ndim(node.data) == 0:
            # the core keeps a 0-d result as a 0-d array, not the numpy scalar numpy gives
            expression = expression.wrapped(f"as_data({expression.text})", "any")
            inplace = None
        elif node.value_type is Scalar and op.name not in ops.BUILT_IN:
            # a primitive's result, fitted as the core does
            expression = expression.wrapped(f"to_float({expression.text})", "any")
        statement = Statement(None, note, out, expression, node=j)
        statement.saved = saved
        statement.inplace = inplace
        statement.fields = fields
        lines.append(statement)
        if isinstance(node.data, np.ndarray) and node.value_type is not Scalar:
            self.arrays.add(out)
        return lines

    def label_check(self, node):
        """The check eager mode runs on a label argument (a row's `labels` parameter holds
        class labels, checked by `class_labels` when the op is applied). The program's signature fixes the
        labels' shape and integer dtype, so only the range is left: one max of the labels seen
        as unsigned (negatives wrap to huge values); eager's check runs on failure and raises
        its error."""
        labels = self.constant(node.params["labels"])
        rows, classes = np.shape(self.value_of(node.inputs[0]))
        given = self.trace.arg_leaves[node.params["labels"].position]
        check = f"check_labels({labels}, {rows}, {classes})"
        if given.dtype.kind not in "iu":
            return [assign(labels, check, "the label check of eager mode", (labels,))]
        if not rows:
            return []
        unsigned = self.bind(np.dtype(f"u{given.dtype.itemsize}").type,
                             f"uint{8 * given.dtype.itemsize}")
        return [Statement(f"if {labels}.view({unsigned}).max() >= {classes}: {check}",
                          "the label check of eager mode (raises)", operands=(labels,))]

    def input_names(self, node):
        if self.constant_params:
            return [self.constant_params.get((id(node), k)) or self.reference(ref)
                    for k, ref in enumerate(node.inputs)]
        return [self.reference(ref) for ref in node.inputs]

    def fields(self, node, names, out):
        """The names a template may use for node: g, out, x, y, params and static facts."""
        fields = {"out": out}
        for key, name in zip(("x", "y"), names):
            fields[key] = name
        if node.params:
            fields.update({k: self.constant(v) for k, v in node.params.items()})
        if node.value_type is Scalar:
            fields.update(_SCALAR_FACTS)
            return fields
        shapes = [np.shape(self.value_of(ref)) for ref in node.inputs[:2]]
        for key, shape in zip(("x", "y"), shapes):
            fields[f"{key}_shape"] = repr(tuple(shape))
            fields[f"{key}_size"] = repr(int(np.prod(shape, dtype=np.int64)))
        fields["out_shape"] = repr(tuple(np.shape(node.data)))
        fields["out_size"] = repr(int(np.size(node.data)))
        return fields

    def value_of(self, ref):
        kind, key = ref
        if kind == "node":
            return self.trace.nodes[key].data
        if kind == "leaf":
            return self.trace.leaves[key].data
        if kind == "arg":
            return self.trace.arg_leaves[key]
        return key

    # ---- backward ----------------------------------------------------------------------------
    def compute_needs(self):
        """needs[j]: node j lies on a path from a leaf that receives a gradient to the loss."""
        nodes = self.trace.nodes
        root = self.root = self.trace.outputs[0][1]
        upstream = [False] * len(nodes)
        upstream[root] = True
        for j in range(root, -1, -1):
            if upstream[j]:
                for kind, key in nodes[j].inputs:
                    if kind == "node":
                        upstream[key] = True
        needs = [False] * len(nodes)
        receives = [leaf.receives_grad for leaf in self.trace.leaves]
        for j, node in enumerate(nodes):
            if upstream[j] and node.requires_grad:
                for kind, key in node.inputs:
                    if kind == "node" and needs[key] or kind == "leaf" and receives[key]:
                        needs[j] = True
                        break
        self.needs = needs

    def prepare_scope(self, consumers, name_of=None):
        """Which (consumer, input) pairs send a gradient to each node or leaf, for the consumers
        whose rules this scope writes (in backward order), and the gradients' names."""
        nodes, needs = self.trace.nodes, self.needs
        sends = {}
        for j in consumers:
            for k, ref in enumerate(nodes[j].inputs):
                if self.target_needs(ref, needs):
                    sends.setdefault(ref, []).append((j, k))
        self.sends, self.contributions = sends, {ref: [] for ref in sends}
        g_names = self.g_names = {}
        for j in consumers:
            g_names[("node", j)] = self.namer(f"g_{self.node_names[j]}", "g")
        for ref in sends:
            if ref not in g_names:
                base = name_of(ref) if name_of else None
                g_names[ref] = self.namer(base or f"g_{self.reference(ref)}", "g")

    def backward_lines(self):
        nodes = self.trace.nodes
        self.compute_needs()
        consumers = [j for j in range(len(nodes) - 1, -1, -1) if self.needs[j]]
        self.prepare_scope(consumers)
        if not self.needs[self.root]:
            return []
        return self.seed_line() + self.emit_rules(consumers) + self.deliver_lines()

    def seed_line(self):
        root, node = self.root, self.trace.nodes[self.root]
        g_root = self.g_names[("node", root)]
        if node.value_type is Scalar:
            return [assign(g_root, "1.0", "d loss / d loss")]
        self.env[g_root] = ones = np.ones_like(node.data)
        self.folded.add(g_root)
        return [assign(g_root, self.bind(_frozen(ones), "ONE"),
                       "d loss / d loss (ones, the same at every call)")]

    def emit_rules(self, consumers):
        lines = []
        for j in consumers:
            if j != self.root:
                lines += self.gather(("node", j))
            if self.record:
                g = self.g_names[("node", j)]
                lines.append(Statement(f"record('grad', {j}, {g})", operands=(g,)))
            lines += self.rule_lines(j, self.trace.nodes[j])
        return lines

    def deliver_lines(self):
        lines = []
        for i, leaf in enumerate(self.trace.leaves):
            if ("leaf", i) in self.sends:
                lines += self.gather(("leaf", i))
                holder = f"A[{leaf.key}]" if leaf.kind == "arg" else f"P[{leaf.key}]"
                g = self.g_names[("leaf", i)]
                if leaf.value_type is Scalar:
                    text = f"{holder}.grad = {g} if {holder}.grad is None else {holder}.grad + {g}"
                else:  # (a value kept between calls is never what a .grad holds: a copy)
                    text = f"deliver({holder}, {g}{'.copy()' if g in self.folded else ''})"
                lines.append(Statement(text, f"{comment(leaf.label or self.leaf_names[i])}"
                                       f".grad (leaves accumulate until zero_grad)",
                                       operands=(g,)))
                lines[-1].escapes = True
        return lines

    # ---- repeated blocks: one function per example, called in a loop ------------------------
    def write_blocked(self):
        """The program of a Scalar trace with per-example blocks (see blocks.py): shared values
        first, then `example(...)` for every example, the values that mix examples, and the
        backward pass in the same three parts (the examples' part as `example_backward`)."""
        plan, nodes = self.plan, self.trace.nodes
        group, rep = plan.group, plan.members[0]
        shared = [j for j in range(len(nodes)) if group[j] == SHARED]
        mixed = [j for j in range(len(nodes)) if group[j] == MIXED]
        inner = {j: self.node_names[j] for j in rep}
        constant_names = []
        for m, k in plan.constant_slots:
            name = self.namer("k", "k")
            self.constant_params[(id(nodes[rep[m]]), k)] = name
            constant_names.append(name)
        self.example_constants = constant_names
        forward = [s for j in shared for s in self.forward_line(j, nodes[j])]
        block_forward = [s for j in rep for s in self.forward_line(j, nodes[j])]
        outputs_of_block = [rep[m] for m in plan.outputs]
        for i, block in enumerate(plan.members):
            for k, m in enumerate(plan.outputs):
                self.node_names[block[m]] = f"S[{i}][{k}]"
        mixed_forward = [s for j in mixed for s in self.forward_line(j, nodes[j])]
        # backward, outside the examples
        self.compute_needs()
        needs = self.needs
        order = [j for j in range(len(nodes) - 1, -1, -1) if needs[j]]
        outer = [j for j in order if group[j] < 0]
        inner_order = [j for j in reversed(rep) if needs[j]]
        targets = []
        for j in inner_order:
            for ref in nodes[j].inputs:
                if self.target_needs(ref, needs) and ref not in targets and \
                        not (ref[0] == "node" and group[ref[1]] >= 0):
                    targets.append(ref)
        self.prepare_scope(outer, lambda ref: f"g_{inner[_rep_of(plan, ref[1])]}_"
                           f"{group[ref[1]]}" if ref[0] == "node" and group[ref[1]] >= 0 else None)
        accumulators = {}
        for ref in targets:
            base = self.g_names.get(ref) or f"g_{self.reference(ref)}"
            accumulators[ref] = acc = self.namer(f"{base}_examples", "g")
            self.add_contribution(ref, "examples", acc)
        backward = self.seed_line() + self.emit_rules([j for j in outer if group[j] == MIXED])
        lists = []
        for m, j in zip(plan.outputs, outputs_of_block):
            items = []
            for block in plan.members:
                ref = ("node", block[m])
                if ref in self.sends:
                    backward += self.gather(ref)
                    items.append(self.g_names[ref])
                else:
                    items.append("0.0")
            lists.append(self.namer(f"G_{inner[j]}", "G"))
            backward.append(assign(lists[-1], f"[{', '.join(items)}]",
                                   f"the gradient of {inner[j]} in each example",
                                   [i for i in items if _word(i)]))
        for acc in accumulators.values():
            backward.append(assign(acc, "0.0", "summed over the examples below"))
        outer_state = (self.sends, self.contributions, self.g_names)
        # the examples' part, inside example_backward
        self.accumulators = accumulators
        for j in rep:
            self.node_names[j] = inner[j]
        self.prepare_scope(inner_order)
        g_params = []
        for j in outputs_of_block:
            ref = ("node", j)
            name = self.namer(f"g_{inner[j]}_out", "g")
            g_params.append(name)
            self.add_contribution(ref, "outside", name)
        body = self.block_backward(inner_order, rep)
        self.accumulators = {}
        self.sends, self.contributions, self.g_names = outer_state
        for i, block in enumerate(plan.members):
            for k, m in enumerate(plan.outputs):
                self.node_names[block[m]] = f"S[{i}][{k}]"
        backward += self.example_functions(block_forward, body, g_params, lists, accumulators,
                                           [inner[j] for j in outputs_of_block], forward)
        backward += self.emit_rules([j for j in outer if group[j] == SHARED])
        backward += self.deliver_lines()
        outputs = [self.reference(ref) for ref in self.trace.outputs]
        return self.assemble(forward + mixed_forward + backward, len(forward) +
                             len(mixed_forward), outputs)

    def add_contribution(self, ref, source, name):
        """Count `name` (computed outside this scope's rules: the examples' sum, or the
        gradient arriving from outside the example) among ref's gradient contributions."""
        if ref in self.sends:
            self.sends[ref].append((source, None))
            self.contributions[ref].append(name)
        else:
            self.sends[ref], self.contributions[ref] = [(source, None)], [name]
            self.g_names[ref] = name

    def block_backward(self, inner_order, rep):
        """The rules of one example's nodes; after the last rule that leaves a single gradient
        alive, an example whose gradient there is zero returns at once (its remaining
        contributions would be zeros), when every op of the block allows it."""
        nodes, needs = self.trace.nodes, self.needs
        in_block = set(rep)
        safe = all(nodes[j].op.zero_safe for j in rep)
        lines, checked = [], False
        live = {ref for ref, parts in self.contributions.items() if parts}  # the outputs
        for j in inner_order:
            lines += self.emit_rules([j])
            live.discard(("node", j))
            live.update(ref for ref in nodes[j].inputs
                        if ref[0] == "node" and ref[1] in in_block and needs[ref[1]])
            if safe and not checked and nodes[j].op.name in ("relu", "maximum") and \
                    len(live) == 1:
                (ref,) = live
                if len(self.sends[ref]) == 1:
                    g = self.g_names[ref]
                    lines.append(Statement(f"if {g} == 0.0 and isfinite(sum(saved)): return",
                                           "an inactive gate: the rest would add zeros",
                                           operands=(g,)))
                    checked = True
        return lines

    def example_functions(self, block_forward, body, g_params, lists, accumulators,
                          output_names, before):
        """The two per-example functions and the loops that call them."""
        plan = self.plan
        defined = {s.output for s in block_forward}
        params = list(self.example_params.values()) + self.example_constants
        reads = []
        for statement in body:
            for name in statement.operands:
                if (name in defined or name in params) and name not in reads and \
                        name not in output_names:
                    reads.append(name)
        saved = output_names + reads
        lines = [Statement(f"def example({', '.join(params)}):", "one training example")]
        lines += [Statement(f"    {s.text}", s.note) for s in block_forward]
        lines.append(Statement(f"    return ({''.join(n + ', ' for n in saved)})",
                               "what the backward pass reads"))
        loop_args = []
        for key, name in self.example_params.items():
            top, offset = key
            start, stride = plan.layout[top]
            position = f"{start + offset} + {stride} * i" if stride != 1 else \
                f"{start + offset} + i"
            value = self.trace.arg_leaves[start + offset] if self.trace.arg_leaves else None
            suffix = ".data" if isinstance(value, (Scalar, Tensor)) else ""
            loop_args.append(f"A[{position}]{suffix}")
        if self.example_constants:
            table = self.bind(plan.constants, "K")
            loop_args.append(f"*{table}[i]")
            lines.append(Statement(f"# {table}[i]: the constants of example i (the values of "
                                   f"{', '.join(self.example_constants)})"))
        lines.append(Statement(f"S = [example({', '.join(loop_args)}) for i in range({plan.n})]",
                               f"the {plan.n} examples"))
        before.extend(lines)  # the forward part: before the values that mix examples
        nonlocal_line = [Statement(f"    nonlocal {', '.join(accumulators.values())}")] \
            if accumulators else []
        out = [Statement(f"def example_backward({', '.join(g_params)}, saved):",
                         "one example, in reverse")] + nonlocal_line
        out.append(Statement(f"    {''.join(n + ', ' for n in saved)}= saved"))
        out += [Statement(f"    {s.text}", s.note) for s in body]
        out.append(Statement("    return"))
        calls = ", ".join(f"{g}[i]" for g in lists)
        out.append(Statement(f"for i in range({plan.n}):"))
        out.append(Statement(f"    example_backward({calls}, S[i])"))
        return out

    def target_needs(self, ref, needs):
        kind, key = ref
        if kind == "node":
            return needs[key]
        return kind == "leaf" and self.trace.leaves[key].receives_grad

    def gather(self, ref):
        """The gradient of a node or leaf: its one contribution, or the fan-out sum."""
        parts = self.contributions[ref]
        name = self.g_names[ref]
        if len(parts) == 1:
            return []  # the one contribution was written straight into the gradient's name
        total = Expr(" + ".join(parts), parts, *(("ufunc", ("np.add", *parts)) if len(parts) == 2
                                                  else ("new", ())))
        if self.tensor and all(p in self.env for p in parts):
            value = self.env[parts[0]]
            for p in parts[1:]:
                value = value + self.env[p]
            total, value = self.fit(total, value, self.target_value(ref))
            self.env[name] = value
            self.arrays.add(name)
        return [Statement(None, f"fan-out: the gradients from {len(parts)} uses add up", name,
                          total)]

    def target_value(self, ref):
        kind, key = ref
        return self.trace.nodes[key].data if kind == "node" else self.trace.leaves[key].data

    def contribution_name(self, ref):
        parts = self.contributions[ref]
        if len(self.sends[ref]) == 1:
            name = self.g_names[ref]
        else:
            name = self.namer(f"{self.g_names[ref]}__{len(parts) + 1}", "g")
        parts.append(name)
        return name

    def rule_lines(self, j, node):
        op = node.op
        names = self.input_names(node)
        out = self.node_names[j]
        fields = self.fields(node, names, out)
        fields["g"] = self.g_names[("node", j)]
        gate = f"{op.gate.split()[0]} gate: {' '.join(op.gate.split()[1:])}" if op.gate else \
            f"{comment(op.name)} rule"
        targets = [(k, ref) for k, ref in enumerate(node.inputs)
                   if self.target_needs(ref, self.needs)]
        templates = self.templates(op, node)
        lines = []
        tensor = node.value_type is not Scalar
        params = node.params or {}
        call_args = [fields["g"], out] + names + \
            [f"{k}={self.constant(v)}" for k, v in params.items()]
        call_operands = [n for n in [fields["g"], out] + names if _word(n)] + \
            [n for v in params.values() for n in self.argument_refs(v)]
        if op.saves:  # the rule reuses what the forward saved
            call_args.append(f"saved={self.saved_names[j]}")
            call_operands.append(self.saved_names[j])
        if op.input_vjps is None:  # one rule for all inputs: call it once
            rule = self.bind(op.joint_vjp, f"{op.kernel}_rule")
            all_name = self.namer(f"grads_{out}", "grads")
            lines.append(assign(all_name, f"{rule}({', '.join(call_args)})", gate,
                                call_operands))
            if tensor:
                values = self.call_rule(op.joint_vjp, j, node)
                self.env[all_name] = values
            for k, ref in targets:
                expression = Expr(f"{all_name}[{k}]", (all_name,))
                value = values[k] if tensor else None
                lines += self.sent(j, k, self.send(ref, expression, value, "", tensor))
            return lines
        for k, ref in targets:
            template = templates[k] if templates is not None else None
            expression = self.expr(template, fields, node) if template is not None else None
            rule = op.input_vjps[k]
            value = None
            if tensor and expression is not None and self.written_out(op, node):
                value = self.evaluate(expression)  # the template is the rule: run it once
                if value is None:
                    expression = None
            if tensor and value is None:
                value = self.call_rule(rule, j, node)
                if expression is not None and not self.same(expression, value):
                    expression = None
                    if op.code_fallback is not None and templates is not None:
                        expression = self.expr(op.code_fallback[k], fields, node)
                        if not self.same(expression, value):
                            expression = None
            if expression is None:
                suffix = f"_{k}" if op.arity != 1 else ""
                name = self.bind(rule, f"{op.kernel}_rule{suffix}")
                expression = Expr(f"{name}({', '.join(call_args)})", call_operands)
                if not tensor and op.code is None:
                    expression = expression.wrapped(f"to_float({expression.text})", "any")
            lines += self.sent(j, k, self.send(ref, expression, value, gate, tensor))
        return lines

    def sent(self, j, k, statement):
        """The line sending node j's gradient to its input k (and, recording, its record)."""
        statement.rule = (j, k)
        if not self.record or statement.output is None:
            return [statement]
        return [statement, Statement(f"record('send', ({j}, {k}), {statement.output})",
                                     operands=(statement.output,))]

    def call_rule(self, rule, j, node):
        """The rule run as the eager core runs it: on g, out and the inputs' raw data."""
        g = self.env[self.g_names[("node", j)]]
        params = self.param_values(node)
        if node.op.saves:
            params["saved"] = self.env[self.saved_names[j]]
        return rule(g, node.data, *self.raw_inputs(node), **params)

    def param_values(self, node):
        """node's parameters as the eager core passes them (an argument's value for ArgRef)."""
        return {k: self.param_value(v) for k, v in (node.params or {}).items()}

    def raw_inputs(self, node):
        return [self.value_of(ref) if ref[0] != "arg" else
                raw(self.trace.arg_leaves[ref[1]]) for ref in node.inputs]

    def templates(self, op, node):
        """Op's template for each input of node, the row's case for the node's static facts
        (`Op.code_for`); None: node calls the rules (a row's cases are decided per call where
        a parameter is an argument, as pow's exponent may be)."""
        params = node.params or {}
        if op.code is None or op.input_vjps is None or op.input_vjps is not op._code_rules or \
                op.code_cases is not None and any(isinstance(v, ArgRef) for v in params.values()):
            return None
        return op.code_for(node.data, *self.raw_inputs(node),
                           **{k: self.param_value(v) for k, v in params.items()})

    def written_out(self, op, node):
        """Whether op's row says its templates are its rules for these inputs (`code_exact`)."""
        exact = op.code_exact
        return exact is True or (callable(exact) and bool(exact(*self.raw_inputs(node))))

    def param_value(self, value):
        if isinstance(value, ArgRef):
            return self.trace.arg_leaves[value.position]
        if isinstance(value, tuple):
            return tuple(self.param_value(v) for v in value)
        return value

    def evaluate(self, expression):
        """The expression's value on the trace's values (None where it raises)."""
        try:
            with np.errstate(all="ignore"):
                return eval(expression.text, self.ns, self.env)  # noqa: S307 (engine text)
        except Exception:  # the template does not apply to these shapes: the rule is called
            return None

    def same(self, expression, value):
        """Whether the template's expression gives the rule's value on the trace's values."""
        result = self.evaluate(expression)
        if result is None:
            return False
        if np.shape(result) != np.shape(value) or np.result_type(result) != np.result_type(value):
            return False
        if result is value or np.array_equal(result, value):  # (the usual case: the same bits)
            return True
        with np.errstate(all="ignore"):
            return bool(np.allclose(result, value, rtol=1e-13, atol=0.0, equal_nan=True))

    def send(self, ref, expression, value, note, tensor):
        if ref in self.accumulators:  # inside the per-example function: sum over the examples
            return Statement(f"{self.accumulators[ref]} += {expression.text}", note,
                             operands=expression.operands)
        name = self.contribution_name(ref)
        if tensor:
            expression, value = self.fit(expression, value, self.target_value(ref))
            self.env[name] = value
            self.arrays.add(name)
            if all(n in self.folded for n in expression.operands
                   if n in self.env or n in self.external):
                # it reads only values that are the same at every call (the seed, shapes):
                # computed once, here, and kept read-only
                self.folded.add(name)
                note = f"{note}: {expression.text}, the same at every call"
                expression = Expr(self.bind(_frozen(value), f"G_{name.removeprefix('g_')}"))
        return Statement(None, note, name, expression)

    def fit(self, expression, value, target):
        """Wrap expression so that its value has the target's shape and dtype, exactly where the
        eager core's _fit_grad changes something."""
        if not isinstance(value, np.ndarray):
            expression = expression.wrapped(f"np.asarray({expression.text})", "any")
            value = np.asarray(value)
        if value.shape != np.shape(target):
            expression = _summed_to(expression, value.shape, np.shape(target))
            value = np.asarray(unbroadcast(value, np.shape(target)))
            if not isinstance(value, np.ndarray):
                expression = expression.wrapped(f"np.asarray({expression.text})", "any")
                value = np.asarray(value)
        if value.dtype != np.asarray(target).dtype:
            dtype = self.bind(np.asarray(target).dtype.type, str(np.asarray(target).dtype))
            expression = expression.wrapped(f"({expression.text}).astype({dtype})", "new")
            value = value.astype(np.asarray(target).dtype)
        return expression, value

    # ---- buffers -----------------------------------------------------------------------------
    def place_in_buffers(self, flat, n_forward, outputs):
        """Choose the ops that can write into a dying operand's buffer (forward elementwise ops,
        and backward products, sums and quotients of two arrays), and note where each array is
        read for the last time (it is deleted there).

        Every name is followed to the buffers it may share memory with: a new array owns one;
        an alias (`g_x = g_y`) or a view (reshape, expand, a rule's result) may share those of
        the names it reads. A buffer is written in place only by the statement that reads the
        last of the names sharing it, and only by an op that gives its shape and dtype."""
        last = {}
        for i, statement in enumerate(flat):
            for name in statement.reads:
                last[name] = i
        for name in outputs:
            last[name] = len(flat)
        shares, members, exact = {}, {}, {}  # name -> buffers; buffer -> names; owner or alias
        fresh_ops = []  # (statement index, name, how to write it into a given buffer)

        def new_buffer(name):
            shares[name], members[name], exact[name] = {name}, [name], name

        def joins(name, read):
            buffers = set().union(*(shares.get(n, ()) for n in read))
            shares[name] = buffers
            for buffer in buffers:
                members[buffer].append(name)

        def dying(buffer, i, shape, dtype):
            """The buffer `buffer` (exactly) dies at statement i and fits the result."""
            owner = exact.get(buffer)
            value = self.env.get(buffer)
            return owner is not None and isinstance(value, np.ndarray) and \
                value.shape == shape and value.dtype == dtype and \
                max(last.get(m, -1) for m in members[owner]) == i

        def write_into(name, buffer):
            owner = exact[buffer]
            shares[name], exact[name] = {owner}, owner
            members[owner].append(name)

        for i, statement in enumerate(flat):
            if i < n_forward:
                j = statement.node
                if j is None:
                    continue
                node, out = self.trace.nodes[j], self.node_names[j]
                inputs = [self.reference(ref) for ref in node.inputs if ref[0] == "node"]
                if not (node.op.fresh and out in self.arrays and node.data.base is None):
                    joins(out, inputs)  # a view, or a primitive that may return an input
                    continue
                if not node.data.ndim:  # a new 0-d array (as_data): nothing to write into
                    new_buffer(out)
                    continue
                # (only an elementwise op reads each element before it writes it)
                for buffer in inputs if statement.inplace and node.op.elementwise else ():
                    if dying(buffer, i, node.data.shape, node.data.dtype):
                        statement.expr = _written_into(statement, buffer)
                        write_into(out, buffer)
                        break
                else:
                    new_buffer(out)
                    if statement.inplace is not None:
                        fresh_ops.append((i, out, functools.partial(_written_into, statement)))
                continue
            if statement.output is None:
                continue
            name, expression = statement.output, statement.expr
            value = self.env.get(name)
            array = isinstance(value, np.ndarray) and value.ndim
            if expression.kind == "name" and expression.args[0] in exact:
                write_into(name, expression.args[0])  # the same array under another name
            elif expression.kind == "ufunc" and array:
                for buffer in expression.args[1:]:
                    if buffer in self.arrays and dying(buffer, i, value.shape, value.dtype):
                        statement.expr = expression.into(buffer)
                        write_into(name, buffer)
                        break
                else:
                    new_buffer(name)
                    fresh_ops.append((i, name, expression.into))
            elif expression.kind == "matmul" and array:
                new_buffer(name)  # a product is a new array
                fresh_ops.append((i, name, expression.into))
            elif expression.kind in ("new", "ufunc", "matmul"):
                new_buffer(name)
            else:
                joins(name, statement.reads)
        if not self.record:
            self.keep_buffers(flat, fresh_ops, outputs, shares, members, last)
        return last

    def keep_buffers(self, flat, fresh_ops, outputs, shares, members, last):
        """Give the arrays that never leave the program buffers kept between calls: each op
        that makes a new array writes into a kept buffer of its shape and dtype instead, one
        that no value alive at that point uses (a buffer serves many values in turn). An array
        that a gradient or a returned value is, or may be a view of, is never kept."""
        escaping = set()
        for statement in flat:
            if statement.escapes:
                for name in statement.reads:
                    escaping |= shares.get(name, set())
        for name in outputs:
            escaping |= shares.get(name, set())
        free, slots, busy = {}, [], []  # (shape, dtype) -> free slots; slot specs; (end, slot)
        for i, name, rewrite in fresh_ops:
            if name in escaping:
                continue
            for end, slot in list(busy):
                if end < i:
                    busy.remove((end, slot))
                    free.setdefault(slots[slot], []).append(slot)
            value = self.env[name]
            spec = (value.shape, value.dtype)
            slot = free[spec].pop() if free.get(spec) else None
            if slot is None:
                slot = len(slots)
                slots.append(spec)
                self.buffer_names.append(self.namer(f"buffer{slot}", "buffer"))
            busy.append((max(last.get(m, len(flat)) for m in members[name]), slot))
            statement = flat[i]
            statement.expr = rewrite(self.buffer_names[slot])
            statement.note = (statement.note + "; " if statement.note else "") + \
                f"into {self.buffer_names[slot]}, kept between calls"
            self.kept.update(members[name])
        self.buffers = slots

    # ---- assembly ----------------------------------------------------------------------------
    def assemble(self, flat, n_forward, outputs, last=None):
        deaths = {}
        if last is not None:
            for name, i in last.items():
                if name in self.arrays and name not in self.kept and i < len(flat):
                    deaths.setdefault(i, []).append(name)
        parameters = "A, P, record" if self.record else "A, P, B"
        out = [f"def {self.function_name}({parameters}):"]
        out.append("    # ---- inputs: read at every call ----")
        for name, (source, note) in self.external.items():
            out.append(_line(f"{name} = {source}", note))
        if self.buffer_names:
            names = ", ".join(self.buffer_names) + ("," if len(self.buffer_names) == 1 else "")
            out.append(_line(f"{names} = B",
                             "arrays of this program kept between calls (never a result or "
                             "a .grad)"))
        out.append("    # ---- forward ----")
        node_lines, rule_lines = {}, {}
        for i, statement in enumerate(flat):
            if i == n_forward:
                out.append("    # ---- backward: one line per rule, in reverse order ----")
            if statement.node is not None and i < n_forward:
                node_lines[statement.node] = len(out) + 1
            if statement.rule is not None:
                rule_lines[statement.rule] = len(out) + 1
            out.append(_line(statement.text, statement.note))
            if self.record and statement.node is not None and i < n_forward:
                out.append(_line(f"record('value', {statement.node}, "
                                 f"{self.node_names[statement.node]})"))
            if i in deaths:
                out.append(_line(f"del {', '.join(sorted(deaths[i]))}", "last use"))
        out.append(_line(f"return ({''.join(o + ', ' for o in outputs)})"))
        source = "\n".join(out) + "\n"
        grad_names = {j: self.g_names.get(("node", j)) for j in range(len(self.trace.nodes))}
        generated = Generated(source, self.ns, self.function_name, self.node_names, grad_names,
                              node_lines)
        generated.persistent = self.persistent
        generated.rule_lines = rule_lines
        generated.buffers = self.buffers
        return generated


def _written_into(statement, buffer):
    """A forward statement's op written into `buffer` by its row's `into` form."""
    return Expr(statement.inplace.format(**dict(statement.fields, buf=buffer)),
                statement.operands, "new")


def _rep_of(plan, j):
    """The node of the first example that plays node j's part in its own example."""
    example = plan.group[j]
    return plan.members[0][plan.members[example].index(j)]


def _makes_new_array(tree):
    """Whether an expression's value is certainly a new array, sharing no memory with the
    names it reads: numpy arithmetic, a call of a function that makes a new array, a sum or
    a type conversion, or a reshape of any of these."""
    if isinstance(tree, (ast.BinOp, ast.UnaryOp)):
        return True
    if not isinstance(tree, ast.Call):
        return False
    function = tree.func
    if isinstance(function, ast.Name):
        return function.id in NEW_ARRAY_FUNCTIONS
    if isinstance(function, ast.Attribute):
        if function.attr in ("sum", "astype", "copy"):
            return True
        return function.attr == "reshape" and _makes_new_array(function.value)
    return False


def _frozen(value):
    """A read-only array of `value` for the program to keep between calls."""
    value = np.array(value) if value.flags.writeable else value
    value.flags.writeable = False
    return value


def _summed_to(expression, g_shape, shape):
    """`unbroadcast(expression, shape)` written out for a gradient of shape g_shape (an Expr):
    the sums it does for these shapes (the same numpy calls in the same order, so the same
    bits)."""
    extra = len(g_shape) - len(shape)
    if extra < 0 or any(gn != n and n != 1 for gn, n in zip(g_shape[extra:], shape)):
        # not a broadcast: it raises as eager
        return expression.wrapped(f"unbroadcast({expression.text}, {shape!r})", "any")
    kept = tuple(extra + i for i, n in enumerate(shape) if n == 1 and g_shape[extra + i] != 1)
    axes = tuple(range(extra)) + kept
    text = expression.text if expression.kind == "name" or expression.text.isidentifier() \
        else f"({expression.text})"
    axis = axes[0] if len(axes) == 1 else axes
    if not kept:
        return expression.wrapped(f"{text}.sum(axis={axis!r})", "new")
    summed = f"{text}.sum(axis={axis!r}, keepdims=True)"
    return expression.wrapped(f"{summed}.reshape({shape!r})" if extra else summed, "new")


def _line(text, note=""):
    return f"    {text}  # {note}" if note else f"    {text}"
