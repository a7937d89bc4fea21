"""What each rule of the op table declares it reads (`Op.reads`, one entry per input) is what
it reads: the version check refuses a backward pass through a value changed in place only when
the rule of a needed gradient reads it, so a rule reading more than it declares would silently
use changed data. Parametrised over `autograd.OPS`, so a new op is checked the moment it is
added."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograd import OPS
from autograd.testing import op_inputs, tensors


def _shifted(x, by):
    """Other values of x's kind, shape and dtype (a 0-d array stays one)."""
    return np.asarray(x + by, dtype=x.dtype) if isinstance(x, np.ndarray) else x + by


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=30)
@given(data=st.data())
def test_a_rule_reads_no_value_it_does_not_declare(name, data):
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=True))
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(*inputs, **params))
    g = data.draw(tensors(out.shape))
    with np.errstate(all="ignore"):
        grads = op.vjp(g, out, *inputs, **params)
    for i in range(len(inputs)):
        read = op.reads_of(i)
        if read is None:
            continue
        # every value input i's rule may not read replaced by other values of the same shape
        other_inputs = [x if j in read else _shifted(x, 0.37) for j, x in enumerate(inputs)]
        other_out = out if "out" in read else _shifted(out, -1.25)
        with np.errstate(all="ignore"):
            again = op.vjp(g, other_out, *other_inputs, **params)
        np.testing.assert_array_equal(grads[i], again[i], err_msg=(
            f"{name}: the gradient of input {i} depends on a value the op says it does not "
            f"read (reads={op.reads})"))


def test_reads_name_the_inputs_and_the_output_and_nothing_else():
    assert OPS["mul"].reads == ((1,), (0,)) and OPS["exp"].reads == (("out",),)
    assert OPS["div"].reads_of(1) == (0, 1) and OPS["concatenate"].reads_of(7) == ()
    from autograd.ops import Op
    with pytest.raises(ValueError, match="'z'"):
        Op("bad", np.add, lambda g, out, x, y: g, lambda g, out, x, y: g, reads=("z", ""))
    with pytest.raises(ValueError, match="one string per input"):
        Op("bad", np.add, lambda g, out, x, y: g, lambda g, out, x, y: g, reads=("x",))
