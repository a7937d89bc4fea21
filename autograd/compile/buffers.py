"""The buffer and liveness passes of a Tensor program, on its statements' fields.

`plan_buffers` notes where each array is read for the last time (it is deleted there), lets
an op write into a dying operand's buffer (forward elementwise ops by their row's `into`
form, backward products, sums and quotients of two arrays), and gives the arrays that never
leave the program buffers kept between calls. It reads what the statements say (output,
right-hand side kind and operands, op row, node inputs) and the trace's values of the names
(`env`); it rewrites the right-hand sides it places and returns a `BufferPlan`.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class BufferPlan:
    """What the buffer pass decided: `last` (name -> index of the statement that reads it
    last; None for a program without buffers), `kept` (the names living in kept buffers,
    never deleted), `specs` ((shape, dtype) of each kept buffer) and `names` (their names in
    the program)."""

    last: dict | None = None
    kept: set = field(default_factory=set)
    specs: list = field(default_factory=list)
    names: list = field(default_factory=list)


def plan_buffers(flat, n_forward, outputs, env, arrays, namer, keep):
    """The BufferPlan of the statements `flat` (the first n_forward the forward pass), whose
    program returns `outputs`: `env` holds the trace's value of each name, `arrays` the names
    of program-owned arrays, `namer` names the kept buffers; `keep` False (a recording
    program) keeps none.

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
        value = env.get(buffer)
        return owner is not None and isinstance(value, np.ndarray) and \
            value.shape == shape and value.dtype == dtype and \
            max(last.get(m, -1) for m in members[owner]) == i

    def write_into(name, buffer):
        owner = exact[buffer]
        shares[name], exact[name] = {owner}, owner
        members[owner].append(name)

    for i, statement in enumerate(flat):
        if i < n_forward:
            if statement.node is None:
                continue
            op, out, inputs = statement.op, statement.output, statement.inputs
            data = env.get(out)
            if not (op.fresh and out in arrays and data.base is None):
                joins(out, inputs)  # a view, or a primitive that may return an input
                continue
            if not data.ndim:  # a new 0-d array (as_data): nothing to write into
                new_buffer(out)
                continue
            # (only an elementwise op reads each element before it writes it)
            for buffer in inputs if statement.inplace and op.elementwise else ():
                if dying(buffer, i, data.shape, data.dtype):
                    statement.expr = statement.written_into(buffer)
                    write_into(out, buffer)
                    break
            else:
                new_buffer(out)
                if statement.inplace is not None:
                    fresh_ops.append((i, out, statement.written_into))
            continue
        if statement.output is None:
            continue
        name, expression = statement.output, statement.expr
        value = env.get(name)
        array = isinstance(value, np.ndarray) and value.ndim
        if expression.kind == "name" and expression.args[0] in exact:
            write_into(name, expression.args[0])  # the same array under another name
        elif expression.kind == "ufunc" and array:
            for buffer in expression.args[1:]:
                if buffer in arrays and dying(buffer, i, value.shape, value.dtype):
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
    plan = BufferPlan(last)
    if keep:
        keep_buffers(plan, flat, fresh_ops, outputs, shares, members, env, namer)
    return plan


def keep_buffers(plan, flat, fresh_ops, outputs, shares, members, env, namer):
    """Give the arrays that never leave the program buffers kept between calls (filling in
    `plan`'s kept, specs and names): each op that makes a new array writes into a kept buffer
    of its shape and dtype instead, one that no value alive at that point uses (a buffer
    serves many values in turn). An array that a gradient or a returned value is, or may be a
    view of, is never kept."""
    last = plan.last
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
        value = env[name]
        spec = (value.shape, value.dtype)
        slot = free[spec].pop() if free.get(spec) else None
        if slot is None:
            slot = len(slots)
            slots.append(spec)
            plan.names.append(namer(f"buffer{slot}", "buffer"))
        busy.append((max(last.get(m, len(flat)) for m in members[name]), slot))
        statement = flat[i]
        statement.expr = rewrite(plan.names[slot])
        statement.note = (statement.note + "; " if statement.note else "") + \
            f"into {plan.names[slot]}, kept between calls"
        plan.kept.update(members[name])
    plan.specs = slots

