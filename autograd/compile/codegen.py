"""Code generation: a traced step written out as plain Python.

The program reads its inputs, runs the forward ops in order, then the backward pass: one line
per rule in reverse order (the op table's code template, or a call of the rule itself), the
gate pattern as a comment, and a fan-out written as the sum it is. Tensor programs free each
array at its last use and compute an elementwise op in place when its input dies there.

For Tensor graphs the generator runs each backward line on the trace's values as it writes it:
that gives every gradient's shape and dtype (so broadcasting is undone, and dtypes fitted,
only where the eager core would do it), and a template is used only where it gives what the
rule gives; elsewhere the rule is called. Scalar programs are float arithmetic throughout.

`generate` runs the phases in order, each handed what the earlier ones made: the names
(`Names`: the namespace, every value's and leaf's name, the inputs read), the forward lines
(`forward_lines`), the backward lines (`backward.Backward`, one `Scope` per function it
writes; `examples.write_blocked` for per-example blocks), the buffers (`buffers.plan_buffers`
returns a `BufferPlan`) and the text (`assemble`). Lines are data until the end
(`statements.Statement`); nothing is matched or parsed back from emitted text.
"""

from .backward import Backward, Scope
from .buffers import BufferPlan, plan_buffers
from .examples import write_blocked
from .forward import Names, forward_lines
from .statements import Expr, Statement, assign, line, template_shape

__all__ = ["Expr", "Generated", "Statement", "assemble", "assign", "generate", "template_shape"]


class Generated:
    """A generated program: `source` (the text), `namespace` (its globals), `function_name`,
    `node_names` and `grad_names` (identifiers of each traced node's value and gradient),
    `node_lines` (the line of the source where each node's forward value is computed),
    `rule_lines` (the line of each (node, input) rule), `persistent` (the persistent leaves in
    the order the program reads them) and `buffers` (the specs of its kept buffers)."""

    def __init__(self, source, namespace, function_name, node_names, grad_names, lines,
                 rule_lines=None, persistent=(), buffers=()):
        self.source, self.namespace, self.function_name = source, namespace, function_name
        self.node_names, self.grad_names, self.node_lines = node_names, grad_names, lines
        self.rule_lines, self.persistent, self.buffers = rule_lines or {}, persistent, buffers


def generate(trace, arg_names=None, function_name="step", record=False, backward=True,
             plan=None, top_names=None):
    """The Python source of `trace` as a function `step(A, P)`: A holds the argument leaves
    (in `flatten` order), P the persistent leaves; it delivers the leaves' gradients and
    returns the tuple of output values. With `record`, it also calls `record(kind, j, value)`
    for every node's value ("value") and gradient ("grad") (for checks)."""
    names = Names(trace, arg_names, function_name, plan, top_names)
    if plan is not None and backward and not record:
        body, n_forward, outputs, g_names = write_blocked(names, Backward(names, record))
        return assemble(names, body, n_forward, outputs, BufferPlan(), g_names, function_name,
                        record)
    forward = [s for j, node in enumerate(trace.nodes) for s in forward_lines(names, j, node)]
    scope, lines = Scope(), []
    if backward:
        scope, lines = Backward(names, record).write()
    outputs = [names.reference(ref) for ref in trace.outputs]
    body = forward + lines
    mark_reads(body, names)
    buffers = plan_buffers(body, len(forward), outputs, names.env, names.arrays, names.namer,
                           keep=not record) if names.tensor else BufferPlan()
    return assemble(names, body, len(forward), outputs, buffers, scope.g_names, function_name,
                    record)


def mark_reads(body, names):
    """Set each statement's `reads`: the operands that are program values."""
    for statement in body:
        statement.reads = tuple(n for n in statement.operands
                                if n in names.env or n in names.external)


def assemble(names, flat, n_forward, outputs, buffers, g_names, function_name, record):
    """The program's text from its statements (the first n_forward the forward pass), the
    names it returns, its BufferPlan and the gradients' names (`g_names`, by reference)."""
    deaths = {}
    if buffers.last is not None:
        for name, i in buffers.last.items():
            if name in names.arrays and name not in buffers.kept and i < len(flat):
                deaths.setdefault(i, []).append(name)
    parameters = "A, P, record" if record else "A, P, B"
    out = [f"def {function_name}({parameters}):"]
    out.append("    # ---- inputs: read at every call ----")
    for name, (source, note) in names.external.items():
        out.append(line(f"{name} = {source}", note))
    if buffers.names:
        listed = ", ".join(buffers.names) + ("," if len(buffers.names) == 1 else "")
        out.append(line(f"{listed} = B",
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
        out.append(line(statement.text, statement.note))
        if record and statement.node is not None and i < n_forward:
            out.append(line(f"record('value', {statement.node}, "
                            f"{names.node_names[statement.node]})"))
        if i in deaths:
            out.append(line(f"del {', '.join(sorted(deaths[i]))}", "last use"))
    out.append(line(f"return ({''.join(o + ', ' for o in outputs)})"))
    source = "\n".join(out) + "\n"
    grad_names = {j: g_names.get(("node", j)) for j in range(len(names.trace.nodes))}
    return Generated(source, names.namespace, function_name, names.node_names, grad_names,
                     node_lines, rule_lines, names.persistent, buffers.specs)
