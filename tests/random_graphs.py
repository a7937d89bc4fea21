"""Random computation graphs for the edge-case tests: programs of shared interior nodes (every
node may feed several later ones), rebuilt on fresh leaves whenever a reference is needed."""

import numpy as np
from hypothesis import strategies as st

from autograd import Scalar, Tensor

UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "half": lambda a: a * 0.5,
    "exp": lambda a: (a * 0.3).exp(),
    "square": lambda a: a * a,
    "relu": lambda a: a.relu(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "max": lambda a, b: a.maximum(b),
}


@st.composite
def programs(draw, max_leaves=3, max_steps=8):
    """(number of leaves, steps): each step is (op name, indices of earlier values); the
    output is the sum of the last values, so that interior nodes have several consumers."""
    leaves = draw(st.integers(1, max_leaves))
    steps = []
    for i in range(draw(st.integers(1, max_steps))):
        available = leaves + i
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(BINARY)))
            args = (draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1)))
        else:
            name = draw(st.sampled_from(sorted(UNARY)))
            args = (draw(st.integers(0, available - 1)),)
        steps.append((name, args))
    return leaves, steps


def build(program, values):
    """Run `program` on `values` (graph values): every value made, and the output."""
    _, steps = program
    made = list(values)
    for name, args in steps:
        op = BINARY.get(name) or UNARY[name]
        made.append(op(*(made[i] for i in args)))
    tail = made[-3:] if len(made) > len(values) + 1 else made[-1:]
    out = tail[0]
    for value in tail[1:]:
        out = out + value
    if isinstance(out, Tensor):
        out = out.sum()
    return made, out


def leaves_for(program, kind, rng):
    """Fresh leaves that require a gradient: Scalars, or Tensors of shape (3,)."""
    n = program[0]
    if kind == "scalar":
        return [Scalar(float(v)) for v in rng.uniform(-1.5, 1.5, size=n)]
    return [Tensor(rng.uniform(-1.5, 1.5, size=3), requires_grad=True) for _ in range(n)]


def reference_gradients(program, leaves):
    """The gradients of the output at the leaves' data, from a fresh graph."""
    fresh = [type(x)(np.copy(x.data) if isinstance(x, Tensor) else x.data, requires_grad=True)
             for x in leaves]
    _, out = build(program, fresh)
    if not out.requires_grad:
        return [None for _ in fresh]
    out.backward()
    return [x.grad for x in fresh]
