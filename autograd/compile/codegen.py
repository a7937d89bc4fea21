"""Code generation: a traced step written out as plain Python.

The program reads its inputs, runs the forward ops in order, then the backward pass: one line
per rule in reverse order (the op table's code template, or a call of the rule itself), the
gate pattern as a comment, and a fan-out written as the sum it is. Tensor programs free each
array at its last use and compute an elementwise op in place when its input dies there.

For Tensor graphs the generator runs each backward line on the trace's values as it writes it:
that gives every gradient's shape and dtype (so broadcasting is undone, and dtypes fitted,
only where the eager core would do it), and a template is used only where it gives what the
rule gives; elsewhere the rule is called. Scalar programs are float arithmetic throughout.
"""

import re

import numpy as np

from ..scalar import Scalar
from ..tensor import Tensor
from .names import Namer, comment
from .runtime import NAMESPACE
from .trace import ArgRef

FORWARD = {"add": "{x} + {y}", "sub": "{x} - {y}", "mul": "{x} * {y}", "neg": "-{x}",
           "pow": "power({x}, {exponent})"}
"""Forward ops written as operators (each op's forward is exactly this)."""
FORWARD_SCALAR = dict(FORWARD, div="divide({x}, {y})")
FORWARD_TENSOR = dict(FORWARD, div="{x} / {y}", matmul="{x} @ {y}")

INPLACE = {
    "add": "np.add({x}, {y}, out={buf})", "sub": "np.subtract({x}, {y}, out={buf})",
    "mul": "np.multiply({x}, {y}, out={buf})", "div": "np.divide({x}, {y}, out={buf})",
    "neg": "np.negative({x}, out={buf})", "exp": "np.exp({x}, out={buf})",
    "log": "np.log({x}, out={buf})", "tanh": "np.tanh({x}, out={buf})",
    "relu": "np.maximum({x}, 0, out={buf})", "maximum": "np.maximum({x}, {y}, out={buf})",
    "pow": "np.power({x}, {exponent}, out={buf})", "sigmoid": "sigmoid_into({x}, {buf})",
}
"""Elementwise ops on arrays written into a dead input's buffer (the same ufuncs as eager)."""

FRESH = frozenset(INPLACE) | {"matmul", "sum", "mean", "max", "logsumexp", "softmax",
                              "log_softmax", "softmax_cross_entropy", "concatenate", "stack",
                              "scatter_add"}
"""Built-in ops whose array output is a new buffer (never a view of an input)."""
VIEWS = frozenset({"reshape", "transpose", "broadcast_to", "getitem"})
"""Built-in ops whose output may be a view of their first input."""

FORWARD_NAMES = {"sum": "reduce_sum", "max": "reduce_max", "pow": "power"}
"""Names for forward functions that would shadow Python builtins."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Statement:
    """One line of the program: its text, a comment, the names it reads and defines."""

    __slots__ = ("text", "note", "reads", "defines", "node", "inplace", "fields")

    def __init__(self, text, note="", defines=(), node=None):
        self.text, self.note, self.defines, self.node = text, note, tuple(defines), node
        self.reads, self.inplace, self.fields = (), None, None


class Generated:
    """A generated program: `source` (the text), `namespace` (its globals), `function_name`,
    `node_names` and `grad_names` (identifiers of each traced node's value and gradient), and
    `lines` (the line of the source where each node's forward value is computed)."""

    def __init__(self, source, namespace, function_name, node_names, grad_names, lines):
        self.source, self.namespace, self.function_name = source, namespace, function_name
        self.node_names, self.grad_names, self.node_lines = node_names, grad_names, lines


def generate(trace, arg_names=None, function_name="step", record=False, backward=True):
    """The Python source of `trace` as a function `step(A, P)`: A holds the argument leaves
    (in `flatten` order), P the persistent leaves; it delivers the leaves' gradients and
    returns the tuple of output values. With `record`, it also calls `record(kind, j, value)`
    for every node's value ("value") and gradient ("grad") (for checks)."""
    return _Writer(trace, arg_names, function_name, record, backward).write()


class _Writer:
    def __init__(self, trace, arg_names, function_name, record, backward):
        self.trace, self.record, self.backward = trace, record, backward
        self.function_name = function_name
        self.ns = dict(NAMESPACE)
        self.by_object = {id(v): k for k, v in self.ns.items()}
        self.namer = Namer(set(self.ns) | {"A", "P", "record", function_name})
        self.arg_names = arg_names or [f"a{i}" for i in range(trace.n_args)]
        self.env = {}           # name -> the trace's value (Tensor graphs: for evaluation)
        self.arrays = set()     # names of program-owned array values (freed at last use)
        self.external = {}      # name -> line reading an input
        self.args_used = {}     # argument position -> name
        self.tensor = any(node.value_type is not Scalar for node in trace.nodes)

    # ---- names and constants ---------------------------------------------------------------
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
            if leaf.kind == "arg":
                name = self.namer(leaf.label or self.arg_names[leaf.key], "a")
                self.external[name] = (f"A[{leaf.key}].data",
                                       f"argument {comment(self.arg_names[leaf.key])}")
                self.env[name] = leaf.data
            elif leaf.kind == "arg data":
                name = self.argument(leaf.key)
            elif leaf.kind == "persistent":
                name = self.namer(leaf.label, "p")
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
        self.leaf_names = self.name_leaves()
        self.node_names = []
        for j, node in enumerate(trace.nodes):
            name = self.namer(node.label, f"{node.op.name}{j}") if node.label else \
                self.namer(f"{FORWARD_NAMES.get(node.op.name, node.op.name)}{j}", "v")
            self.node_names.append(name)
            if node.value_type is not Scalar:
                self.env[name] = node.data
        for i, leaf in enumerate(trace.leaves):
            if leaf.kind == "detach":
                self.leaf_names[i] = self.node_names[leaf.key]
        forward = [s for j, node in enumerate(trace.nodes) for s in self.forward_line(j, node)]
        backward = self.backward_lines() if self.backward else []
        outputs = [self.reference(ref) for ref in trace.outputs]
        body = forward + backward
        for statement in body:
            statement.reads = tuple(n for n in _IDENTIFIER.findall(statement.text)
                                    if n in self.env or n in self.external)
        if self.tensor:
            self.place_in_buffers(body, len(forward), outputs)
        return self.assemble(body, len(forward), outputs)

    def forward_line(self, j, node):
        op = node.op
        names = self.input_names(node)
        out = self.node_names[j]
        fields = self.fields(node, names, out)
        table = FORWARD_SCALAR if node.value_type is Scalar else FORWARD_TENSOR
        if op.name in table:
            expression = table[op.name].format(**fields)
        else:
            function = self.bind(op.forward, FORWARD_NAMES.get(op.name, op.name))
            params = node.params or {}
            arguments = names + [f"{k}={self.constant(v)}" for k, v in params.items()]
            expression = f"{function}({', '.join(arguments)})"
        lines = []
        if op.name == "softmax_cross_entropy" and isinstance(node.params["labels"], ArgRef):
            labels = self.constant(node.params["labels"])
            rows, classes = np.shape(self.value_of(node.inputs[0]))
            lines.append(Statement(f"{labels} = check_labels({labels}, {rows}, {classes})",
                                   "the label check of eager mode", (labels,)))
        note = f"{comment(node.label)}" if node.label and node.label != out else ""
        statement = Statement(f"{out} = {expression}", note, (out,), node=j)
        statement.inplace = INPLACE.get(op.name) if node.value_type is not Scalar else None
        statement.fields = fields
        lines.append(statement)
        if isinstance(node.data, np.ndarray) and node.value_type is not Scalar:
            self.arrays.add(out)
        return lines

    def input_names(self, node):
        return [self.reference(ref) for ref in node.inputs]

    def fields(self, node, names, out):
        """The names a template may use for node: g, out, x, y, params and static facts."""
        fields = {"out": out}
        for key, name in zip(("x", "y"), names):
            fields[key] = name
        if node.params:
            fields.update({k: self.constant(v) for k, v in node.params.items()})
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
    def backward_lines(self):
        trace = self.trace
        nodes, leaves = trace.nodes, trace.leaves
        root = trace.outputs[0][1]
        upstream = [False] * len(nodes)
        upstream[root] = True
        for j in range(root, -1, -1):
            if upstream[j]:
                for kind, key in nodes[j].inputs:
                    if kind == "node":
                        upstream[key] = True
        needs = [False] * len(nodes)
        for j, node in enumerate(nodes):
            if upstream[j] and node.requires_grad:
                needs[j] = any(self.target_needs(ref, needs) for ref in node.inputs)
        self.needs = needs
        # which (consumer, input) pairs send a gradient to each node or leaf, in backward order
        sends = {}
        for j in range(len(nodes) - 1, -1, -1):
            if needs[j]:
                for k, ref in enumerate(nodes[j].inputs):
                    if self.target_needs(ref, needs):
                        sends.setdefault(ref, []).append((j, k))
        self.g_names = {}
        for j, node in enumerate(nodes):
            if needs[j]:
                self.g_names[("node", j)] = self.namer(f"g_{self.node_names[j]}", "g")
        for i, leaf in enumerate(leaves):
            if ("leaf", i) in sends:
                self.g_names[("leaf", i)] = self.namer(f"g_{self.leaf_names[i]}", "g")
        self.contributions = {ref: [] for ref in sends}
        self.sends = sends
        g_root = self.g_names[("node", root)] if needs[root] else None
        lines = []
        if g_root is None:
            return lines
        root_name = self.node_names[root]
        seed = "1.0" if nodes[root].value_type is Scalar else f"ones_like({root_name})"
        lines.append(Statement(f"{g_root} = {seed}", "d loss / d loss", (g_root,)))
        if nodes[root].value_type is not Scalar:
            self.env[g_root] = np.ones_like(nodes[root].data)
            self.arrays.add(g_root)
        for j in range(root, -1, -1):
            if needs[j]:
                if j != root:
                    lines += self.gather(("node", j))
                if self.record:
                    lines.append(Statement(f"record('grad', {j}, {self.g_names[('node', j)]})"))
                lines += self.rule_lines(j, nodes[j])
        for i, leaf in enumerate(leaves):
            if ("leaf", i) in sends:
                lines += self.gather(("leaf", i))
                holder = f"A[{leaf.key}]" if leaf.kind == "arg" else f"P[{leaf.key}]"
                g = self.g_names[("leaf", i)]
                if leaf.value_type is Scalar:
                    text = f"{holder}.grad = {g} if {holder}.grad is None else {holder}.grad + {g}"
                else:
                    text = f"deliver({holder}, {g})"
                lines.append(Statement(text, f"{comment(leaf.label or self.leaf_names[i])}"
                                       f".grad (leaves accumulate until zero_grad)"))
        return lines

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
        text = f"{name} = {' + '.join(parts)}"
        statement = Statement(text, f"fan-out: the gradients from {len(parts)} uses add up",
                              (name,))
        if self.tensor and all(p in self.env for p in parts):
            value = self.env[parts[0]]
            for p in parts[1:]:
                value = value + self.env[p]
            text, value = self.fit(text.split(" = ", 1)[1], value, self.target_value(ref))
            statement.text = f"{name} = {text}"
            self.env[name] = value
            self.arrays.add(name)
        return [statement]

    def target_value(self, ref):
        kind, key = ref
        return self.trace.nodes[key].data if kind == "node" else self.trace.leaves[key].data

    def contribution_name(self, ref):
        parts = self.contributions[ref]
        if len(self.sends[ref]) == 1:
            name = self.g_names[ref]
        else:
            name = self.namer(f"{self.g_names[ref]}_{len(parts) + 1}", "g")
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
        templates = op.code if op.code is not None and op.input_vjps is not None and \
            op.input_vjps is op._code_rules else None
        lines = []
        tensor = node.value_type is not Scalar
        params = node.params or {}
        call_args = [fields["g"], out] + names + \
            [f"{k}={self.constant(v)}" for k, v in params.items()]
        if op.input_vjps is None:  # one rule for all inputs: call it once
            rule = self.bind(op.vjp, f"{FORWARD_NAMES.get(op.name, op.name)}_rule")
            all_name = self.namer(f"grads_{out}", "grads")
            lines.append(Statement(f"{all_name} = {rule}({', '.join(call_args)})", gate,
                                   (all_name,)))
            if tensor:
                values = self.call_rule(op.vjp, j, node)
                self.env[all_name] = values
            for k, ref in targets:
                expression, value = f"{all_name}[{k}]", values[k] if tensor else None
                lines.append(self.send(ref, expression, value, "", tensor))
            return lines
        for k, ref in targets:
            template = templates[k] if templates is not None else None
            expression = template.format(**fields) if template is not None else None
            rule = op.input_vjps[k]
            value = None
            if tensor:
                value = self.call_rule(rule, j, node)
                if expression is not None and not self.same(expression, value):
                    expression = None
            if expression is None:
                suffix = f"_{k}" if op.arity != 1 else ""
                name = self.bind(rule, f"{FORWARD_NAMES.get(op.name, op.name)}_rule{suffix}")
                expression = f"{name}({', '.join(call_args)})"
                if not tensor and op.code is None:
                    expression = f"to_float({expression})"
            lines.append(self.send(ref, expression, value, gate, tensor))
        return lines

    def call_rule(self, rule, j, node):
        """The rule run as the eager core runs it: on g, out and the inputs' raw data."""
        g = self.env[self.g_names[("node", j)]]
        inputs = [self.value_of(ref) if ref[0] != "arg" else
                  _raw_data(self.trace.arg_leaves[ref[1]]) for ref in node.inputs]
        params = {k: self.param_value(v) for k, v in (node.params or {}).items()}
        return rule(g, node.data, *inputs, **params)

    def param_value(self, value):
        if isinstance(value, ArgRef):
            return self.trace.arg_leaves[value.position]
        if isinstance(value, tuple):
            return tuple(self.param_value(v) for v in value)
        return value

    def same(self, expression, value):
        """Whether the template's expression gives the rule's value on the trace's values."""
        try:
            with np.errstate(all="ignore"):
                result = eval(expression, self.ns, dict(self.env))  # noqa: S307 (engine text)
        except Exception:  # the template does not apply to these shapes: the rule is called
            return False
        if np.shape(result) != np.shape(value) or np.result_type(result) != np.result_type(value):
            return False
        with np.errstate(all="ignore"):
            return bool(np.allclose(result, value, rtol=1e-13, atol=0.0, equal_nan=True))

    def send(self, ref, expression, value, note, tensor):
        name = self.contribution_name(ref)
        if tensor:
            expression, value = self.fit(expression, value, self.target_value(ref))
            self.env[name] = value
            self.arrays.add(name)
        return Statement(f"{name} = {expression}", note, (name,))

    def fit(self, expression, value, target):
        """Wrap expression so that its value has the target's shape and dtype, exactly where the
        eager core's _fit_grad changes something."""
        if not isinstance(value, np.ndarray):
            expression, value = f"np.asarray({expression})", np.asarray(value)
        if value.shape != np.shape(target):
            value = np.asarray(_unbroadcast(value, np.shape(target)))
            expression = f"unbroadcast({expression}, {np.shape(target)!r})"
            if not isinstance(value, np.ndarray):
                expression, value = f"np.asarray({expression})", np.asarray(value)
        if value.dtype != np.asarray(target).dtype:
            dtype = self.bind(np.asarray(target).dtype.type, str(np.asarray(target).dtype))
            expression, value = f"({expression}).astype({dtype})", \
                value.astype(np.asarray(target).dtype)
        return expression, value

    # ---- buffers -----------------------------------------------------------------------------
    def place_in_buffers(self, flat, n_forward, outputs):
        """Choose the elementwise forward ops that can write into a dying input's buffer, and
        note where each array is read for the last time (it is deleted there)."""
        last = {}
        for i, statement in enumerate(flat):
            for name in statement.reads:
                last[name] = i
        for name in outputs:
            last[name] = len(flat)
        storage, members, pinned = {}, {}, set()
        for i, statement in enumerate(flat):
            j = statement.node
            if j is None or i >= n_forward:
                continue
            node = self.trace.nodes[j]
            out = self.node_names[j]
            inputs = [self.reference(ref) if ref[0] in ("node",) else None for ref in node.inputs]
            if node.op.name in FRESH and out in self.arrays and node.data.base is None:
                storage[out] = out
                members[out] = [out]
            elif node.op.name in VIEWS and inputs and inputs[0] in storage:
                storage[out] = storage[inputs[0]]
                members[storage[out]].append(out)
            else:
                pinned.update(storage[n] for n in inputs if n in storage)
                continue
            if statement.inplace is None or out not in self.arrays:
                continue
            for buffer in inputs:
                sid = storage.get(buffer)
                if sid is None or sid in pinned or sid == storage[out]:
                    continue
                data = self.env[buffer]
                if data.shape != node.data.shape or data.dtype != node.data.dtype:
                    continue
                if max(last.get(m, -1) for m in members[sid]) != i:
                    continue
                statement.text = f"{out} = " + statement.inplace.format(
                    **dict(statement.fields, buf=buffer))
                members[sid] += members.pop(storage[out])
                for name, s in storage.items():
                    if s == out:
                        storage[name] = sid
                break
        self.last = last

    # ---- assembly ----------------------------------------------------------------------------
    def assemble(self, flat, n_forward, outputs):
        last = getattr(self, "last", None)
        deaths = {}
        if last is not None:
            for name, i in last.items():
                if name in self.arrays and i < len(flat):
                    deaths.setdefault(i, []).append(name)
        parameters = "A, P, record" if self.record else "A, P"
        out = [f"def {self.function_name}({parameters}):"]
        out.append("    # ---- inputs: read at every call ----")
        for name, (source, note) in self.external.items():
            out.append(_line(f"{name} = {source}", note))
        out.append("    # ---- forward ----")
        node_lines = {}
        for i, statement in enumerate(flat):
            if i == n_forward:
                out.append("    # ---- backward: one line per rule, in reverse order ----")
            if statement.node is not None and i < n_forward:
                node_lines[statement.node] = len(out) + 1
            out.append(_line(statement.text, statement.note))
            if self.record and statement.node is not None and i < n_forward:
                out.append(_line(f"record('value', {statement.node}, "
                                 f"{self.node_names[statement.node]})"))
            if i in deaths:
                out.append(_line(f"del {', '.join(sorted(deaths[i]))}", "last use"))
        out.append(_line(f"return ({''.join(o + ', ' for o in outputs)})"))
        source = "\n".join(out) + "\n"
        grad_names = {j: self.g_names.get(("node", j)) for j in range(len(self.trace.nodes))} \
            if hasattr(self, "g_names") else {}
        generated = Generated(source, self.ns, self.function_name, self.node_names, grad_names,
                              node_lines)
        generated.persistent = self.persistent
        return generated


def _raw_data(value):
    return value.data if isinstance(value, (Scalar, Tensor)) else value


def _unbroadcast(value, shape):
    from ..graph import unbroadcast
    return unbroadcast(value, shape)


def _line(text, note=""):
    return f"    {text}  # {note}" if note else f"    {text}"
