"""Swapping an op's rule for another within a block: how a test shows that a check catches a
wrong rule (mutation testing), for the built-in ops and a user's own."""

import copy
from contextlib import contextmanager

from ..ops import OPS


@contextmanager
def swapped_rule(op, make_vjp):
    """Within the block, `op` (an Op or its name in `autograd.OPS`) computes its gradients with
    `make_vjp(rule)` instead of its own rule, given as `rule`: both in tuple form,
    `vjp(g, out, *inputs, **params)` -> one gradient per input, so a mutant can change one
    input's gradient of the right ones. The op's own rule is back afterwards, even on an error.

        with swapped_rule("mul", lambda rule: lambda g, out, x, y: (g * x, g * y)):
            ...  # here mul does not swap its inputs: gradcheck must fail
    """
    op = OPS[op] if isinstance(op, str) else op
    kept = op.input_vjps, op.joint_vjp, op.saves
    # (a row that saves residuals for its rule saves none meanwhile: the swapped rule is a
    # plain function of g, out and the inputs, and the original computes what it needs)
    op.input_vjps, op.joint_vjp, op.saves = None, make_vjp(copy.copy(op).vjp), False
    try:
        yield op
    finally:
        op.input_vjps, op.joint_vjp, op.saves = kept
