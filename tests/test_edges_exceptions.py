"""Exception safety: a backward pass that raises anywhere leaves every node as usable as before.

A failure is injected at every position of random graphs (the rule of one node raises); after
the failed pass every count is zero, every gradient is what it was, and the next pass gives
exactly the gradients of a fresh graph."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Scalar, Tensor, toposort

from random_graphs import build, leaves_for, programs, reference_gradients


class Injected(Exception):
    """The failure planted in a rule."""


def failing(op, times=None):
    """A copy of `op` whose rule raises (every time, or only the first `times` calls)."""
    calls = {"n": 0}
    original = op.input_vjps

    def rule_for(position):
        def rule(*args, **params):
            calls["n"] += 1
            if times is None or calls["n"] <= times:
                raise Injected(f"planted in {op.name}")
            return original[position](*args, **params)
        return rule

    broken = copy.copy(op)
    broken.input_vjps = tuple(rule_for(i) for i in range(len(original)))
    return broken


def all_nodes(root):
    return [root] + [n for n in toposort(root)] + [
        p for n in toposort(root) for p in n.parents if isinstance(p, autograd.Value)]


def assert_same(grads, expected):
    for got, want in zip(grads, expected):
        if want is None:
            assert got is None or np.all(np.asarray(got) == 0)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def graph_of(program, kind, seed):
    """Leaves, the output and the reference gradients of a random program (None for an output
    that is a leaf or needs no gradient: nothing to break)."""
    leaves = leaves_for(program, kind, np.random.default_rng(seed))
    _, out = build(program, leaves)
    if not out.requires_grad or out.op is None:
        return None
    return leaves, out, reference_gradients(program, leaves)


RANDOM_GRAPHS = given(programs(), st.sampled_from(["scalar", "tensor"]), st.integers(0, 2**32 - 1))


@settings(max_examples=40, deadline=None)
@RANDOM_GRAPHS
def test_a_failure_at_any_node_leaves_the_graph_as_it_was(program, kind, seed):
    graph = graph_of(program, kind, seed)
    if graph is None:
        return
    leaves, out, expected = graph
    out.backward()  # a first, successful pass: leaves hold one gradient each
    before = [None if x.grad is None else np.copy(x.grad) for x in leaves]
    interior = {id(n): n.grad for n in toposort(out)}
    for position, node in enumerate(toposort(out)):
        original = node.op
        node.op = failing(original)
        try:
            with pytest.raises(Injected):
                out.backward()
        finally:
            node.op = original
        # nothing half-delivered: leaves and interior gradients as before, counts at zero
        for x, grad in zip(leaves, before):
            assert (x.grad is None) == (grad is None)
            if grad is not None:
                np.testing.assert_array_equal(x.grad, grad)
        for n in toposort(out):
            assert n._pending == 0
            assert n.grad is interior[id(n)], f"node {position}: interior gradient changed"
        for x in leaves:
            assert x._pending == 0
    for x in leaves:
        x.grad = None
    out.backward()  # the graph still works: the gradients of a fresh graph
    assert_same([x.grad for x in leaves], expected)


@settings(max_examples=30, deadline=None)
@RANDOM_GRAPHS
def test_a_transient_failure_then_a_retry_gives_the_right_gradient(program, kind, seed):
    graph = graph_of(program, kind, seed)
    if graph is None:
        return
    leaves, out, expected = graph
    nodes = toposort(out)
    node = nodes[seed % len(nodes)]
    original = node.op
    node.op = failing(original, times=1)
    try:
        with pytest.raises(Injected):
            out.backward()
        out.backward()  # the retry: the rule works now
    finally:
        node.op = original
    assert_same([x.grad for x in leaves], expected)


def test_the_issue_example_after_an_anomaly_delivers_every_gradient():
    x = Tensor([0.0, 1.0], requires_grad=True)
    h = x * 1.0
    loss1 = (h * 3).sum() + (h ** 0.5).sum()
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError):
        loss1.backward()  # sqrt'(0) = inf
    assert x.grad is None  # nothing half-delivered
    (h * 5).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_a_shape_error_in_a_rule_leaves_shared_nodes_usable():
    bad = autograd.primitive(lambda g, out, x: (np.ones(7),), name="edges_bad_shape")(
        lambda x: x * 1.0)
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    shared = x.tanh()
    with pytest.raises(ValueError, match="edges_bad_shape"):
        (bad(shared) * shared).sum().backward()
    assert x.grad is None
    (shared * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, 2.0 * (1 - np.tanh([1.0, 2.0, 3.0]) ** 2))
    del autograd.OPS["edges_bad_shape"]


def test_a_keyboard_interrupt_in_a_rule_is_undone_as_well():
    def interrupted(g, out, x):
        raise KeyboardInterrupt

    stop = autograd.primitive(interrupted, name="edges_interrupt")(lambda x: x * 1.0)
    a = Scalar(2.0)
    b = a * a
    b.backward()
    with pytest.raises(KeyboardInterrupt):
        (stop(b) + b).backward()
    assert a.grad == 4.0 and b.grad == 1.0  # as the first pass left them
    (b * 3.0).backward()
    assert a.grad == 4.0 + 12.0
    del autograd.OPS["edges_interrupt"]


def test_a_failure_during_create_graph_leaves_recording_as_it_was():
    stop = autograd.primitive(lambda g, out, x: 1 / 0, name="edges_zero_division")(
        lambda x: x * 1.0)
    a = Scalar(1.5)
    with pytest.raises(ZeroDivisionError):
        stop(a * a).backward(create_graph=True)
    assert autograd.is_grad_enabled() and a.grad is None
    del autograd.OPS["edges_zero_division"]
