"""A node's layout (issue 23: eager Scalar nodes back to 150 bytes or less each, with the
version checks kept). A node is 8 slots; what most nodes never have (op params, a label, a
version, the base of a view made without recording, the anomaly site) lives in one extras
object that takes over the slot of the recording stamp. These tests hold whatever the layout:
the size, the version checks on nodes with and without extras, weak references, no cycles."""

import contextlib
import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

from autograd import InPlaceError, Scalar, Tensor, detect_anomaly, no_grad
from autograd.graph import gradients


def _chain(x, steps):
    """W2's chain (benchmarks/w2_chain.py): three nodes per step, mul, add and relu."""
    y = x
    for _ in range(steps):
        y = (y * 1.0001 + 0.0001).relu()
    return y


def test_a_scalar_node_is_96_bytes_and_a_chain_at_most_150_bytes_per_node():
    x = Scalar(0.5)
    assert sys.getsizeof(x * 2.0) <= 96  # 8 slots; CPython rounds allocations to 16 bytes
    _chain(x, 10).backward()  # warm-up
    x.grad = None
    gc.collect()
    tracemalloc.start()
    try:
        y = _chain(x, 10_000)
        y.backward()
        per_node = tracemalloc.get_traced_memory()[0] / 30_000
    finally:
        tracemalloc.stop()
    assert per_node <= 150  # the node, its data and gradient floats: 128 bytes on CPython 3.11
    assert x.grad == pytest.approx(1.0001 ** 10_000)


def test_params_labels_and_versions_live_beside_each_other():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    s = x.sum(axis=0)
    assert s.params == {"axis": 0, "keepdims": False} and s.label is None
    s.label = "s"
    assert s.params == {"axis": 0, "keepdims": False} and s.label == "s"
    assert (x * 2.0).params is None and x.params is None and x.label == "x"
    p = Scalar(3.0) ** 2.0
    assert p.params == {"exponent": 2.0} and p._version == 0
    with no_grad():
        p += 1.0
    assert p._version > 0 and p.params == {"exponent": 2.0} and p.data == 10.0
    x.label = None
    assert x.label is None


def _recorded(how, w, c):
    """w * c with extras of the kind `how` (none, a label, an anomaly site), cubed (pow has
    params: always extras)."""
    with detect_anomaly() if how == "anomaly" else contextlib.nullcontext():
        h = w * c
        if how == "label":
            h.label = "h"
        return h, h ** 3.0


@pytest.mark.parametrize("how", ["none", "label", "anomaly"])
@pytest.mark.parametrize("gradient", [
    lambda loss, w: (loss.backward(), w.grad)[1],
    lambda loss, w: gradients(loss, 1.0, [w])[0],  # the walk of grad, hvp and gradcheck
])
def test_the_version_checks_hold_with_and_without_extras(how, gradient):
    w, c = Scalar(3.0), Scalar(2.0, requires_grad=False)
    h, loss = _recorded(how, w, c)
    assert (h._stamp.__class__ is int) == (how == "none")  # no extras: no object made
    with no_grad():
        w += 1.0  # read by no needed rule (mul's rule for w reads c, pow's reads h): allowed
    assert gradient(loss, w) == 3 * 6.0 ** 2 * 2.0  # at the recorded values
    with no_grad():
        c += 1.0
    with pytest.raises(InPlaceError, match="'mul' needs its input 1"):
        gradient(loss, w)
    h, loss = _recorded(how, w, c)
    with no_grad():
        h += 1.0  # pow's input
    with pytest.raises(InPlaceError, match="'pow' needs its input 0"):
        gradient(loss, w)


def test_extras_and_views_keep_no_graph_alive_and_values_are_weakly_referenceable():
    gc.collect()
    gc.disable()  # freed by reference counting alone: no cycle through the extras
    try:
        x = Tensor(np.ones((2, 3)), requires_grad=True)
        with detect_anomaly():
            h = (x * 2.0).sum(axis=0)  # params, an anomaly site
        h.label = "h"
        out = (h * h).sum()
        with no_grad():
            view = h.reshape((3, 1))  # a leaf sharing h's data: it refers to h weakly
        frozen = out.detach()
        out.backward()
        watchers = [weakref.ref(v) for v in (h, out)]
        del h, out
        assert all(w() is None for w in watchers)
        with no_grad():
            x += 1.0  # view's base is gone: nothing left to check, nothing raises
        loss = (view * Tensor(np.ones((3, 1)), requires_grad=True)).sum()
        loss.backward()
        np.testing.assert_array_equal(view.data.ravel(), [4.0, 4.0, 4.0])
        assert frozen.data == 48.0 and frozen.requires_grad is False
    finally:
        gc.enable()


def test_a_view_of_a_leaf_made_without_recording_still_sees_the_leafs_changes():
    w = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        view = w.reshape((3, 1))
    x = Tensor(np.ones((3, 1)), requires_grad=True)
    loss = (x * view).sum()  # mul's rule for x reads view, whose data is w's
    with no_grad():
        w *= 2.0
    with pytest.raises(InPlaceError, match="'mul' needs its input 1"):
        loss.backward()
