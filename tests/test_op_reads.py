"""What each rule of the op table declares it reads (`Op.reads`, `Op.reads_out`) is what it
reads: the version check refuses a backward pass through a value changed in place only when the
rule reads it, so a rule reading more than it declares would silently use changed data.
Parametrised over `autograd.OPS`, so a new op is checked the moment it is added."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograd import OPS
from autograd.testing import op_inputs, tensors


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=30)
@given(data=st.data())
def test_a_rule_reads_no_value_it_does_not_declare(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=True))
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(*inputs, **params))
    g = data.draw(tensors(out.shape))
    unread = [i for i in range(len(inputs)) if op.reads is not None and i not in op.reads]
    # every value the rule may not read replaced by other values of the same shape and dtype
    other_inputs = [x + 0.37 if i in unread else x for i, x in enumerate(inputs)]
    other_out = out if op.reads_out else out - 1.25
    with np.errstate(all="ignore"):
        grads = op.vjp(g, out, *inputs, **params)
        again = op.vjp(g, other_out, *other_inputs, **params)
    for i, (a, b) in enumerate(zip(grads, again)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: the gradient of input {i} "
                                                    f"depends on a value the op says it does "
                                                    f"not read (reads={op.reads}, "
                                                    f"reads_out={op.reads_out})")
