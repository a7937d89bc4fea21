"""No aliasing: no two leaves share a gradient array, no `.grad` is a view of another's or of
the seed, and an in-place edit of one gradient never changes another."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, toposort

from random_graphs import build, leaves_for, programs


def test_the_issue_example_add_gives_each_leaf_its_own_gradient():
    X = Tensor(np.ones((2, 3)))
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    (X @ (a + b)).sum().backward()
    assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
    a.grad *= 0.5  # clipping one leaves the other as it was
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])


def test_no_gradient_is_a_view_of_the_seed_or_of_a_consumers_gradient():
    x = Tensor(np.arange(6.0), requires_grad=True)
    h = x.reshape((2, 3))
    t = h.T
    out = t * 1.0 + 0.0
    seed = np.ones((3, 2))
    out.backward(grad=seed)
    grads = [seed, out.grad, t.grad, h.grad, x.grad] + [n.grad for n in toposort(out)]
    for i, first in enumerate(grads):
        for second in grads[i + 1:]:
            assert first is second or not np.shares_memory(first, second)
    assert x.grad.flags.writeable and x.grad.base is None
    x.grad[0] = 99.0
    assert h.grad[0, 0] == 1.0 and seed[0, 0] == 1.0


@settings(max_examples=60, deadline=None)
@given(programs(), st.integers(0, 2**32 - 1))
def test_no_two_gradients_of_a_random_graph_share_memory(program, seed):
    leaves = leaves_for(program, "tensor", np.random.default_rng(seed))
    made, out = build(program, leaves)
    if not out.requires_grad or out.op is None:
        return
    out.backward()
    values = {id(v): v for v in made + toposort(out) + [out]}.values()
    grads = [(v, v.grad) for v in values if v.grad is not None]
    for i, (v, first) in enumerate(grads):
        for w, second in grads[i + 1:]:
            assert not np.shares_memory(first, second), (v, w)
    for leaf in leaves:
        if leaf.grad is not None:
            assert leaf.grad.flags.writeable
