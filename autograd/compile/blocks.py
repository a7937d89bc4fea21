"""Repeated sub-graphs: one per training example of a Scalar batch, written once as a function.

A Scalar step over a batch (micrograd's demo: a list of rows, a list of labels) records the
same sub-graph once per example. When the arguments include lists of one common length N, each
index i is an example; a node that depends on the arguments of example i only belongs to its
block. When all N blocks have the same structure (ops, parameters, constants, and the shared
values they read), the program computes one example in a generated function called in a loop,
instead of unrolling N copies: far less code to compile, and faster to run.
"""

SHARED, MIXED = -1, -2


class BlockPlan:
    """How a trace splits into examples: `n` examples, `members[i]` (node indices of example i
    in topological order), `group` (per node: its example, SHARED or MIXED), `outputs` (local
    indices of a block's nodes that others read), `layout` (per top-level argument that is
    batched: (first leaf position, leaves per example)), `example_keys` (per argument leaf
    position: (example, key within the example) or None)."""

    def __init__(self, n, members, group, outputs, layout, example_keys):
        self.n, self.members, self.group, self.outputs = n, members, group, outputs
        self.layout, self.example_keys = layout, example_keys

    def position(self, key, example):
        """The argument leaf position of `key` (top argument, offset) for an example."""
        top, offset = key
        start, stride = self.layout[top]
        return start + stride * example + offset


def find_blocks(trace, args, min_nodes=8):
    """The BlockPlan of a Scalar trace, or None when it has no repeated per-example blocks."""
    keys, layout, n = _example_keys(args)
    if n is None:
        return None
    leaves = trace.leaves
    leaf_group = []
    for leaf in leaves:
        if leaf.kind in ("arg", "arg data") and keys[leaf.key] is not None:
            if leaf.receives_grad:
                return None  # a per-example value that receives a gradient: not supported
            leaf_group.append(keys[leaf.key][0])
        else:
            leaf_group.append(SHARED)
    nodes = trace.nodes
    group = []
    for node in nodes:
        g = SHARED
        if node.params and any(not _plain(v) for v in node.params.values()):
            return None
        for kind, key in node.inputs:
            if kind == "node":
                h = group[key]
            elif kind == "leaf":
                h = leaf_group[key]
            elif kind == "arg":
                h = keys[key][0] if keys[key] is not None else SHARED
            else:
                continue
            if h == SHARED or h == g:
                continue
            g = h if g == SHARED else MIXED
            if g == MIXED:
                break
        group.append(g)
    members = [[] for _ in range(n)]
    for j, g in enumerate(group):
        if g >= 0:
            members[g].append(j)
    # a value of one example that only starts a reduction across examples (sum(losses) adds
    # the first loss to 0) is part of that reduction: the last nodes of a longer block go
    size = min(len(m) for m in members)
    for block in members:
        while len(block) > size:
            group[block.pop()] = MIXED  # the last in order: only nodes outside read it
    if size < min_nodes:
        return None
    local = {}
    for block in members:
        for m, j in enumerate(block):
            local[j] = m
    used_outside = set()
    for j, node in enumerate(nodes):
        if group[j] < 0:
            for kind, key in node.inputs:
                if kind == "node" and group[key] >= 0:
                    used_outside.add(local[key])
    for kind, key in trace.outputs:
        if kind == "node" and group[key] >= 0:
            return None  # a block's value returned as an output: keep it simple, unroll
    outputs = sorted(used_outside)
    first, slots, first_constants = _form(trace, members[0], group, local, keys, leaf_group)
    constants = [first_constants]
    for block in members[1:]:
        form, _, values = _form(trace, block, group, local, keys, leaf_group)
        if form != first:
            return None
        constants.append(values)
    # constants that differ between examples (a label negated with Python's -) are passed in
    varying = [n for n in range(len(slots))
               if any(values[n] != first_constants[n] for values in constants)]
    plan = BlockPlan(n, members, group, outputs, layout, keys)
    plan.constant_slots = [slots[n] for n in varying]
    plan.constants = [tuple(values[n] for n in varying) for values in constants]
    return plan


def _plain(value):
    return value is None or isinstance(value, (bool, int, float, str, tuple))


def _form(trace, block, group, local, keys, leaf_group):
    """The structure of one block as a comparable list; its float constants apart (where they
    sit, and their values), since a per-example constant may differ between examples."""
    nodes, leaves = trace.nodes, trace.leaves
    form, slots, constants = [], [], []
    for m, j in enumerate(block):
        node = nodes[j]
        inputs = []
        for kind, key in node.inputs:
            if kind == "node":
                inputs.append(("l", local[key]) if group[key] >= 0 else ("s", key))
            elif kind == "leaf":
                leaf = leaves[key]
                inputs.append(("x", leaf.kind, keys[leaf.key][1]) if leaf_group[key] >= 0
                              else ("sl", key))
            elif kind == "arg":
                inputs.append(("x", "raw", keys[key][1]) if keys[key] is not None
                              else ("sa", key))
            elif key.__class__ is float:
                inputs.append(("c", float))
                slots.append((m, len(inputs) - 1))
                constants.append(key)
            else:
                inputs.append(("c", type(key), key if isinstance(key, int) else id(key)))
        params = tuple(sorted(node.params.items())) if node.params else None
        form.append((node.op, node.requires_grad, params, tuple(inputs)))
    return form, slots, constants


def _example_keys(args):
    """Per argument leaf position: (example, (top argument, offset in the example)) for the
    top-level arguments that are lists (or tuples) of the common length N with the same
    number of leaves in every item; None for the others. Also the layout and N."""
    counts = [_count(a) for a in args]
    lengths = [len(a) for a in args if isinstance(a, (list, tuple)) and len(a) >= 2]
    if not lengths:
        return None, None, None
    n = max(set(lengths), key=lengths.count)
    keys, layout, start = [], {}, 0
    for top, arg in enumerate(args):
        per_item = [_count(item) for item in arg] if isinstance(arg, (list, tuple)) \
            and len(arg) == n else None
        if per_item and all(c == per_item[0] for c in per_item):
            stride = per_item[0]
            layout[top] = (start, stride)
            for i in range(n):
                keys.extend((i, (top, offset)) for offset in range(stride))
        else:
            keys.extend([None] * counts[top])
        start += counts[top]
    if not layout:
        return None, None, None
    return keys, layout, n


def _count(value):
    """How many leaves `flatten` makes of a value (an explicit stack)."""
    total, stack = 0, [value]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            total += 1
    return total
