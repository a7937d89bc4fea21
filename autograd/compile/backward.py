"""The backward lines of a generated program: the seed, one line per rule in reverse order,
fan-out sums, and the delivery of the leaves' gradients.

`Backward` is handed the program's `Names` and writes the rules of one scope at a time: a
`Scope` says, for the consumers whose rules a function writes, who sends a gradient to what
(`sends`), the names of the contributions written so far (`contributions`) and of the
gradients (`g_names`). A program has one scope; per-example blocks have two (examples.py).

For Tensor graphs each line is run on the trace's values as it is written (`env`): that gives
every gradient's shape and dtype, so broadcasting is undone and dtypes fitted exactly where
the eager core does it, and a template is used only where it gives what its rule gives.
"""

from dataclasses import dataclass, field

import numpy as np

from ..graph import unbroadcast
from ..scalar import Scalar
from .names import comment
from .statements import Expr, Statement, Word, assign, template_code
from .trace import ArgRef


@dataclass
class Scope:
    """The backward scope being written: `sends` (node or leaf reference -> the (consumer,
    input) pairs sending it a gradient), `contributions` (reference -> the names of the
    contributions written so far), `g_names` (reference -> its gradient's name) and
    `accumulators` (reference -> the name summing it over the examples, inside a per-example
    function)."""

    sends: dict = field(default_factory=dict)
    contributions: dict = field(default_factory=dict)
    g_names: dict = field(default_factory=dict)
    accumulators: dict = field(default_factory=dict)


def needs_of(trace):
    """The loss's node, and needs[j]: node j lies on a path from a leaf that receives a
    gradient to the loss."""
    nodes = trace.nodes
    root = trace.outputs[0][1]
    upstream = [False] * len(nodes)
    upstream[root] = True
    for j in range(root, -1, -1):
        if upstream[j]:
            for kind, key in nodes[j].inputs:
                if kind == "node":
                    upstream[key] = True
    needs = [False] * len(nodes)
    receives = [leaf.receives_grad for leaf in trace.leaves]
    for j, node in enumerate(nodes):
        if upstream[j] and node.requires_grad:
            for kind, key in node.inputs:
                if kind == "node" and needs[key] or kind == "leaf" and receives[key]:
                    needs[j] = True
                    break
    return root, needs


class Backward:
    """Writes the backward lines of a program whose names are `names` (a codegen.Names).
    Its own state, set here: `root` and `needs` (see needs_of), `record` (a recording
    program records every gradient) and `folded` (names of gradients that are the same at
    every call, kept as constants)."""

    def __init__(self, names, record):
        self.names, self.trace, self.record = names, names.trace, record
        self.root, self.needs = needs_of(self.trace)
        self.folded = set()

    def write(self):
        """The scope of the whole program and its backward lines."""
        nodes = self.trace.nodes
        consumers = [j for j in range(len(nodes) - 1, -1, -1) if self.needs[j]]
        scope = self.scope(consumers)
        if not self.needs[self.root]:
            return scope, []
        return scope, self.seed_line(scope) + self.emit_rules(scope, consumers) + \
            self.deliver_lines(scope)

    def scope(self, consumers, name_of=None):
        """The Scope of the consumers whose rules it writes (in backward order): which
        (consumer, input) pairs send a gradient to each node or leaf, and the gradients'
        names (`name_of(ref)` may suggest one)."""
        nodes, needs, names = self.trace.nodes, self.needs, self.names
        sends = {}
        for j in consumers:
            for k, ref in enumerate(nodes[j].inputs):
                if self.target_needs(ref, needs):
                    sends.setdefault(ref, []).append((j, k))
        scope = Scope(sends, {ref: [] for ref in sends})
        g_names = scope.g_names
        for j in consumers:
            g_names[("node", j)] = names.namer(f"g_{names.node_names[j]}", "g")
        for ref in sends:
            if ref not in g_names:
                base = name_of(ref) if name_of else None
                g_names[ref] = names.namer(base or f"g_{names.reference(ref)}", "g")
        return scope

    def seed_line(self, scope):
        """d loss / d loss."""
        root, node = self.root, self.trace.nodes[self.root]
        g_root = scope.g_names[("node", root)]
        if node.value_type is Scalar:
            return [assign(g_root, "1.0", "d loss / d loss")]
        self.names.env[g_root] = ones = np.ones_like(node.data)
        self.folded.add(g_root)
        return [assign(g_root, self.names.bind(_frozen(ones), "ONE"),
                       "d loss / d loss (ones, the same at every call)")]

    def emit_rules(self, scope, consumers):
        """The rules of `consumers`, each after the sum of its gradient's contributions."""
        lines = []
        for j in consumers:
            if j != self.root:
                lines += self.gather(scope, ("node", j))
            if self.record:
                g = scope.g_names[("node", j)]
                lines.append(Statement(f"record('grad', {j}, {g})", operands=(g,)))
            lines += self.rule_lines(scope, j, self.trace.nodes[j])
        return lines

    def deliver_lines(self, scope):
        """The leaves' gradients delivered into their .grad."""
        lines = []
        for i, leaf in enumerate(self.trace.leaves):
            if ("leaf", i) in scope.sends:
                lines += self.gather(scope, ("leaf", i))
                holder = f"A[{leaf.key}]" if leaf.kind == "arg" else f"P[{leaf.key}]"
                g = scope.g_names[("leaf", i)]
                if leaf.value_type is Scalar:
                    text = f"{holder}.grad = {g} if {holder}.grad is None else {holder}.grad + {g}"
                else:  # (a value kept between calls is never what a .grad holds: a copy)
                    text = f"deliver({holder}, {g}{'.copy()' if g in self.folded else ''})"
                lines.append(Statement(text, f"{comment(leaf.label or self.names.leaf_names[i])}"
                                       f".grad (leaves accumulate until zero_grad)",
                                       operands=(g,)))
                lines[-1].escapes = True
        return lines

    def add_contribution(self, scope, ref, source, name):
        """Count `name` (computed outside this scope's rules: the examples' sum, or the
        gradient arriving from outside the example) among ref's gradient contributions."""
        if ref in scope.sends:
            scope.sends[ref].append((source, None))
            scope.contributions[ref].append(name)
        else:
            scope.sends[ref], scope.contributions[ref] = [(source, None)], [name]
            scope.g_names[ref] = name

    def target_needs(self, ref, needs):
        """Whether a node's input receives a gradient."""
        kind, key = ref
        if kind == "node":
            return needs[key]
        return kind == "leaf" and self.trace.leaves[key].receives_grad

    def gather(self, scope, ref):
        """The gradient of a node or leaf: its one contribution, or the fan-out sum."""
        parts = scope.contributions[ref]
        name = scope.g_names[ref]
        if len(parts) == 1:
            return []  # the one contribution was written straight into the gradient's name
        total = Expr(" + ".join(parts), parts, *(("ufunc", ("np.add", *parts)) if len(parts) == 2
                                                  else ("new", ())))
        env = self.names.env
        if self.names.tensor and all(p in env for p in parts):
            value = env[parts[0]]
            for p in parts[1:]:
                value = value + env[p]
            total, value = self.fit(total, value, self.target_value(ref))
            env[name] = value
            self.names.arrays.add(name)
        return [Statement(None, f"fan-out: the gradients from {len(parts)} uses add up", name,
                          total)]

    def target_value(self, ref):
        """The trace's value of the node or leaf a gradient is for."""
        kind, key = ref
        return self.trace.nodes[key].data if kind == "node" else self.trace.leaves[key].data

    def contribution_name(self, scope, ref):
        """The name of ref's next gradient contribution (its gradient's, when it has one)."""
        parts = scope.contributions[ref]
        if len(scope.sends[ref]) == 1:
            name = scope.g_names[ref]
        else:
            name = self.names.namer(f"{scope.g_names[ref]}__{len(parts) + 1}", "g")
        parts.append(name)
        return name

    def rule_lines(self, scope, j, node):
        """The lines sending node j's gradient to each of its inputs that needs one."""
        op, names = node.op, self.names
        inputs = names.input_names(node)
        out = names.node_names[j]
        fields = names.fields(node, inputs, out)
        fields["g"] = scope.g_names[("node", j)]
        gate = f"{op.gate.split()[0]} gate: {' '.join(op.gate.split()[1:])}" if op.gate else \
            f"{comment(op.name)} rule"
        targets = [(k, ref) for k, ref in enumerate(node.inputs)
                   if self.target_needs(ref, self.needs)]
        templates = self.templates(op, node)
        lines = []
        tensor = node.value_type is not Scalar
        params = node.params or {}
        call_args = [fields["g"], out] + inputs + \
            [f"{k}={names.constant(v)}" for k, v in params.items()]
        call_operands = [n for n in [fields["g"], out] + inputs if isinstance(n, Word)] + \
            [n for v in params.values() for n in names.argument_refs(v)]
        if op.saves:  # the rule reuses what the forward saved
            call_args.append(f"saved={names.saved_names[j]}")
            call_operands.append(names.saved_names[j])
        if op.input_vjps is None:  # one rule for all inputs: call it once
            rule = names.bind(op.joint_vjp, f"{op.kernel}_rule")
            all_name = names.namer(f"grads_{out}", "grads")
            lines.append(assign(all_name, f"{rule}({', '.join(call_args)})", gate,
                                call_operands))
            if tensor:
                values = self.call_rule(scope, op.joint_vjp, j, node)
                names.env[all_name] = values
            for k, ref in targets:
                expression = Expr(f"{all_name}[{k}]", (all_name,))
                value = values[k] if tensor else None
                lines += self.sent(j, k, self.send(scope, ref, expression, value, "", tensor))
            return lines
        values = dict(names.field_values(node), g=names.env[fields["g"]]) \
            if tensor and templates is not None else None
        for k, ref in targets:
            template = templates[k] if templates is not None else None
            expression = names.expr(template, fields, node) if template is not None else None
            rule = op.input_vjps[k]
            value = None
            if tensor and expression is not None and self.written_out(op, node):
                value = self.evaluate(expression, values)  # the template is the rule: run it
                if value is None:
                    expression = None
            if tensor and value is None:
                value = self.call_rule(scope, rule, j, node)
                if expression is not None and not self.same(expression, values, value):
                    expression = None
                    if op.code_fallback is not None and templates is not None:
                        expression = names.expr(op.code_fallback[k], fields, node)
                        if not self.same(expression, values, value):
                            expression = None
            if expression is None:
                suffix = f"_{k}" if op.arity != 1 else ""
                name = names.bind(rule, f"{op.kernel}_rule{suffix}")
                expression = Expr(f"{name}({', '.join(call_args)})", call_operands)
                if not tensor and op.code is None:
                    expression = expression.wrapped(f"to_float({expression.text})", "any")
            lines += self.sent(j, k, self.send(scope, ref, expression, value, gate, tensor))
        return lines

    def sent(self, j, k, statement):
        """The line sending node j's gradient to its input k (and, recording, its record)."""
        statement.rule = (j, k)
        if not self.record or statement.output is None:
            return [statement]
        return [statement, Statement(f"record('send', ({j}, {k}), {statement.output})",
                                     operands=(statement.output,))]

    def call_rule(self, scope, rule, j, node):
        """The rule run as the eager core runs it: on g, out and the inputs' raw data."""
        names = self.names
        g = names.env[scope.g_names[("node", j)]]
        params = names.param_values(node)
        if node.op.saves:
            params["saved"] = names.env[names.saved_names[j]]
        return rule(g, node.data, *names.raw_inputs(node), **params)

    def templates(self, op, node):
        """Op's template for each input of node, the row's case for the node's static facts
        (`Op.code_for`); None: node calls the rules (a row's cases are decided per call where
        a parameter is an argument, as pow's exponent may be)."""
        params = node.params or {}
        if op.code is None or op.input_vjps is None or op.input_vjps is not op._code_rules or \
                op.code_cases is not None and any(isinstance(v, ArgRef) for v in params.values()):
            return None
        return op.code_for(node.data, *self.names.raw_inputs(node),
                           **self.names.param_values(node))

    def written_out(self, op, node):
        """Whether op's row says its templates are its rules for these inputs (`code_exact`)."""
        exact = op.code_exact
        return exact is True or (callable(exact) and bool(exact(*self.names.raw_inputs(node))))

    def evaluate(self, expression, values):
        """The value of a row's template filled in (an Expr from `Names.expr`) on the values
        its fields stand for (`values`, see `Names.field_values`): the row's template is run,
        compiled once, never the program's text. None where it raises."""
        fields, code = template_code(expression.template)
        try:
            with np.errstate(all="ignore"):
                return eval(code, self.names.namespace,  # noqa: S307 (a row's template)
                            {f"F{i}_": values[f] for i, f in enumerate(fields)})
        except Exception:  # the template does not apply to these shapes: the rule is called
            return None

    def same(self, expression, values, value):
        """Whether the template's expression gives the rule's value on the trace's values."""
        result = self.evaluate(expression, values)
        if result is None:
            return False
        if np.shape(result) != np.shape(value) or np.result_type(result) != np.result_type(value):
            return False
        if result is value or np.array_equal(result, value):  # (the usual case: the same bits)
            return True
        with np.errstate(all="ignore"):
            return bool(np.allclose(result, value, rtol=1e-13, atol=0.0, equal_nan=True))

    def send(self, scope, ref, expression, value, note, tensor):
        """The statement adding one gradient contribution to ref (fitted to ref's shape and
        dtype; folded into a constant when it is the same at every call)."""
        if ref in scope.accumulators:  # inside the per-example function: sum over examples
            return Statement(f"{scope.accumulators[ref]} += {expression.text}", note,
                             operands=expression.operands)
        name = self.contribution_name(scope, ref)
        if tensor:
            names = self.names
            expression, value = self.fit(expression, value, self.target_value(ref))
            names.env[name] = value
            names.arrays.add(name)
            if all(n in self.folded for n in expression.operands
                   if n in names.env or n in names.external):
                # it reads only values that are the same at every call (the seed, shapes):
                # computed once, here, and kept read-only
                self.folded.add(name)
                note = f"{note}: {expression.text}, the same at every call"
                expression = Expr(names.bind(_frozen(value), f"G_{name.removeprefix('g_')}"))
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
            dtype = self.names.bind(np.asarray(target).dtype.type,
                                    str(np.asarray(target).dtype))
            expression = expression.wrapped(f"({expression.text}).astype({dtype})", "new")
            value = value.astype(np.asarray(target).dtype)
        return expression, value


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
    # (a name needs no parentheses: an expression of kind "name" is one)
    text = expression.text if expression.kind == "name" else f"({expression.text})"
    axis = axes[0] if len(axes) == 1 else axes
    if not kept:
        return expression.wrapped(f"{text}.sum(axis={axis!r})", "new")
    summed = f"{text}.sum(axis={axis!r}, keepdims=True)"
    return expression.wrapped(f"{summed}.reshape({shape!r})" if extra else summed, "new")
