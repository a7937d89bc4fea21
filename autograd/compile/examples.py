"""A Scalar program with per-example blocks (blocks.py) written out: shared values first,
then `example(...)` for every example, the values that mix examples, and the backward pass in
the same three parts, the examples' part as `example_backward` called in a loop.

The backward pass has two scopes (backward.Scope): the outer one (the program's own rules
and deliveries) and the inner one (the rules of one example, inside `example_backward`).
"""

from .blocks import MIXED, SHARED
from .forward import forward_lines
from .statements import Statement, Word, assign
from ..scalar import Scalar
from ..tensor import Tensor


def write_blocked(names, backward):
    """The statements of a trace with per-example blocks, whose names are `names` (a
    forward.Names with the plan) and whose backward lines `backward` (a backward.Backward)
    writes: (statements, how many of them are the forward pass, the names returned, the
    gradients' names of the outer scope)."""
    plan, nodes, node_names = names.plan, names.trace.nodes, names.node_names
    group, rep = plan.group, plan.members[0]
    shared = [j for j in range(len(nodes)) if group[j] == SHARED]
    mixed = [j for j in range(len(nodes)) if group[j] == MIXED]
    inner = {j: node_names[j] for j in rep}
    constant_names = []
    for m, k in plan.constant_slots:
        name = names.namer("k", "k")
        names.constant_params[(id(nodes[rep[m]]), k)] = name
        constant_names.append(name)
    forward = [s for j in shared for s in forward_lines(names, j, nodes[j])]
    block_forward = [s for j in rep for s in forward_lines(names, j, nodes[j])]
    outputs_of_block = [rep[m] for m in plan.outputs]
    _outside_names(names, plan)
    mixed_forward = [s for j in mixed for s in forward_lines(names, j, nodes[j])]
    # backward, outside the examples
    needs = backward.needs
    order = [j for j in range(len(nodes) - 1, -1, -1) if needs[j]]
    outer_order = [j for j in order if group[j] < 0]
    inner_order = [j for j in reversed(rep) if needs[j]]
    targets = []
    for j in inner_order:
        for ref in nodes[j].inputs:
            if backward.target_needs(ref, needs) and ref not in targets and \
                    not (ref[0] == "node" and group[ref[1]] >= 0):
                targets.append(ref)
    outer = backward.scope(outer_order, lambda ref: f"g_{inner[_rep_of(plan, ref[1])]}_"
                           f"{group[ref[1]]}" if ref[0] == "node" and group[ref[1]] >= 0
                           else None)
    accumulators = {}
    for ref in targets:
        base = outer.g_names.get(ref) or f"g_{names.reference(ref)}"
        accumulators[ref] = acc = names.namer(f"{base}_examples", "g")
        backward.add_contribution(outer, ref, "examples", acc)
    lines = backward.seed_line(outer) + \
        backward.emit_rules(outer, [j for j in outer_order if group[j] == MIXED])
    lists = []
    for m, j in zip(plan.outputs, outputs_of_block):
        items = []
        for block in plan.members:
            ref = ("node", block[m])
            if ref in outer.sends:
                lines += backward.gather(outer, ref)
                items.append(outer.g_names[ref])
            else:
                items.append("0.0")
        lists.append(names.namer(f"G_{inner[j]}", "G"))
        lines.append(assign(lists[-1], f"[{', '.join(items)}]",
                            f"the gradient of {inner[j]} in each example",
                            [i for i in items if isinstance(i, Word)]))
    for acc in accumulators.values():
        lines.append(assign(acc, "0.0", "summed over the examples below"))
    # the examples' part, inside example_backward, under the example's own names
    for j in rep:
        node_names[j] = inner[j]
    inside = backward.scope(inner_order)
    inside.accumulators = accumulators
    g_params = []
    for j in outputs_of_block:
        name = names.namer(f"g_{inner[j]}_out", "g")
        g_params.append(name)
        backward.add_contribution(inside, ("node", j), "outside", name)
    body = _block_backward(backward, inside, inner_order, rep)
    _outside_names(names, plan)
    lines += _example_functions(names, block_forward, body, g_params, lists, accumulators,
                                [inner[j] for j in outputs_of_block], forward,
                                constant_names)
    lines += backward.emit_rules(outer, [j for j in outer_order if group[j] == SHARED])
    lines += backward.deliver_lines(outer)
    outputs = [names.reference(ref) for ref in names.trace.outputs]
    return forward + mixed_forward + lines, len(forward) + len(mixed_forward), outputs, \
        outer.g_names


def _outside_names(names, plan):
    """Outside the example functions, a block's output is read from the examples' results."""
    for i, block in enumerate(plan.members):
        for k, m in enumerate(plan.outputs):
            names.node_names[block[m]] = f"S[{i}][{k}]"


def _rep_of(plan, j):
    """The node of the first example that plays node j's part in its own example."""
    example = plan.group[j]
    return plan.members[0][plan.members[example].index(j)]


def _block_backward(backward, scope, inner_order, rep):
    """The rules of one example's nodes; after the last rule that leaves a single gradient
    alive, an example whose gradient there is zero returns at once (its remaining
    contributions would be zeros), when every op of the block allows it."""
    nodes, needs = backward.trace.nodes, backward.needs
    in_block = set(rep)
    safe = all(nodes[j].op.zero_safe for j in rep)
    lines, checked = [], False
    live = {ref for ref, parts in scope.contributions.items() if parts}  # the outputs
    for j in inner_order:
        lines += backward.emit_rules(scope, [j])
        live.discard(("node", j))
        live.update(ref for ref in nodes[j].inputs
                    if ref[0] == "node" and ref[1] in in_block and needs[ref[1]])
        if safe and not checked and nodes[j].op.name in ("relu", "maximum") and \
                len(live) == 1:
            (ref,) = live
            if len(scope.sends[ref]) == 1:
                g = scope.g_names[ref]
                lines.append(Statement(f"if {g} == 0.0 and isfinite(sum(saved)): return",
                                       "an inactive gate: the rest would add zeros",
                                       operands=(g,)))
                checked = True
    return lines


def _example_functions(names, block_forward, body, g_params, lists, accumulators,
                       output_names, before, constant_names):
    """The two per-example functions and the loops that call them (the forward part is
    appended to `before`; the backward part is returned)."""
    plan, trace = names.plan, names.trace
    defined = {s.output for s in block_forward}
    params = list(names.example_params.values()) + constant_names
    reads = []
    for statement in body:
        for name in statement.operands:
            if (name in defined or name in params) and name not in reads and \
                    name not in output_names:
                reads.append(name)
    saved = output_names + reads
    lines = [Statement(f"def example({', '.join(params)}):", "one training example")]
    lines += [s.nested() for s in block_forward]
    lines.append(Statement(f"return ({''.join(n + ', ' for n in saved)})",
                           "what the backward pass reads", depth=1))
    loop_args = []
    for key, name in names.example_params.items():
        top, offset = key
        start, stride = plan.layout[top]
        position = f"{start + offset} + {stride} * i" if stride != 1 else \
            f"{start + offset} + i"
        value = trace.arg_leaves[start + offset] if trace.arg_leaves else None
        suffix = ".data" if isinstance(value, (Scalar, Tensor)) else ""
        loop_args.append(f"A[{position}]{suffix}")
    if constant_names:
        table = names.bind(plan.constants, "K")
        loop_args.append(f"*{table}[i]")
        lines.append(Statement(f"# {table}[i]: the constants of example i (the values of "
                               f"{', '.join(constant_names)})"))
    lines.append(Statement(f"S = [example({', '.join(loop_args)}) for i in range({plan.n})]",
                           f"the {plan.n} examples"))
    before.extend(lines)  # the forward part: before the values that mix examples
    nonlocal_line = [Statement(f"nonlocal {', '.join(accumulators.values())}", depth=1)] \
        if accumulators else []
    out = [Statement(f"def example_backward({', '.join(g_params)}, saved):",
                     "one example, in reverse")] + nonlocal_line
    out.append(Statement(f"{''.join(n + ', ' for n in saved)}= saved", depth=1))
    out += [s.nested() for s in body]
    out.append(Statement("return", depth=1))
    calls = ", ".join(f"{g}[i]" for g in lists)
    out.append(Statement(f"for i in range({plan.n}):"))
    out.append(Statement(f"example_backward({calls}, S[i])", depth=1))
    return out
