"""Modes and views as PyTorch (issue 21, items 5-7): `b[0]` of a vector is a 0-d view;
`set_grad_enabled(False)` as a plain call switches the calling thread's mode (and still works
as a context manager and a decorator); `@no_grad` and `@enable_grad` work bare. Each against
closed forms, and against PyTorch 2.13 where marked `torch`."""

import threading

import numpy as np
import pytest

import autograd
from autograd import Tensor, no_grad


@pytest.fixture(scope="module")
def torch():
    """PyTorch, imported only when the tests marked `torch` run (no skip: without it they are
    an error)."""
    import torch
    return torch


@pytest.fixture(autouse=True)
def grad_mode_restored():
    """A test that switches this thread's mode leaves it as it found it."""
    before = autograd.is_grad_enabled()
    yield
    autograd.set_grad_enabled(before)


# ---- item 5: an element of a vector is a 0-d view ----------------------------------------------

def test_an_element_of_a_vector_is_a_0d_view_that_sees_in_place_changes():
    b = Tensor([1.0, 2.0, 3.0])
    first, last = b[0], b[-1]
    assert type(first.data) is np.ndarray and first.shape == ()
    b += 10.0
    assert first.item() == 11.0 and last.item() == 13.0
    assert b[np.int64(1)].item() == 12.0
    m = Tensor(np.arange(6.0).reshape(2, 3))
    corner = m[1, 2]
    m *= 2.0
    assert corner.item() == 10.0


def test_an_element_view_keeps_gradients_and_versions():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    e = w[1]
    (e * e).backward()
    np.testing.assert_array_equal(w.grad, [0.0, 4.0, 0.0])
    loss = e * e  # mul reads e, a view of w
    with no_grad():
        w -= 1.0
    with pytest.raises(autograd.InPlaceError, match="'mul' needs its input"):
        loss.backward()


@pytest.mark.torch
def test_an_element_view_sees_changes_as_in_pytorch(torch):
    ours, theirs = Tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    a, t = ours[0], theirs[0]
    ours *= 3.0
    theirs *= 3.0
    assert a.item() == t.item() and a.shape == tuple(t.shape)
    with no_grad():
        a += 1.0  # a change through the view changes the vector
    t += 1.0
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# ---- item 6: set_grad_enabled as a plain call --------------------------------------------------

def test_set_grad_enabled_as_a_plain_call_switches_this_thread():
    x = Tensor([1.0, 2.0], requires_grad=True)
    autograd.set_grad_enabled(False)
    assert not autograd.is_grad_enabled()
    y = x * 2.0
    assert not y.requires_grad and y.is_leaf
    seen = []
    other = threading.Thread(target=lambda: seen.append(autograd.is_grad_enabled()))
    other.start()
    other.join()
    assert seen == [True]  # another thread keeps its own mode
    autograd.set_grad_enabled(True)
    assert (x * 2.0).requires_grad


def test_set_grad_enabled_still_works_as_context_manager_and_decorator():
    with autograd.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
        with autograd.set_grad_enabled(True):
            assert autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()

    @autograd.set_grad_enabled(False)
    def f(x):
        return x * 2.0

    assert autograd.is_grad_enabled()  # decorating switches nothing
    x = Tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad and autograd.is_grad_enabled()
    autograd.set_grad_enabled(False)
    with autograd.set_grad_enabled(True):
        assert autograd.is_grad_enabled()
    assert not autograd.is_grad_enabled()  # back to the mode from before the block


@pytest.mark.torch
def test_set_grad_enabled_sequences_as_pytorch(torch):
    def trace(module, flag):
        states = []
        module.set_grad_enabled(False)
        states.append(flag())
        with module.set_grad_enabled(True):
            states.append(flag())
        states.append(flag())
        module.set_grad_enabled(True)
        states.append(flag())
        with module.set_grad_enabled(False):
            module.set_grad_enabled(True)
            states.append(flag())
        states.append(flag())
        return states

    assert trace(autograd, autograd.is_grad_enabled) == trace(torch, torch.is_grad_enabled)


# ---- item 7: bare decorators -------------------------------------------------------------------

def test_no_grad_and_enable_grad_decorate_bare():
    x = Tensor([1.0], requires_grad=True)

    @autograd.no_grad
    def without(v):
        """Doubles v."""
        return v * 2.0

    @autograd.enable_grad
    def with_graph(v):
        return v * 2.0

    assert without.__name__ == "without" and without.__doc__ == "Doubles v."
    assert not without(x).requires_grad and autograd.is_grad_enabled()
    with no_grad():
        assert with_graph(x).requires_grad
        assert not autograd.is_grad_enabled()

    @autograd.no_grad
    def numbers():
        yield autograd.is_grad_enabled()
        yield autograd.is_grad_enabled()

    assert list(numbers()) == [False, False] and autograd.is_grad_enabled()
    with pytest.raises(TypeError, match="no_grad: takes no argument"):
        autograd.no_grad(3)


@pytest.mark.torch
def test_bare_decorators_as_pytorch(torch):
    for module in (autograd, torch):
        @module.no_grad
        def off():
            return module.is_grad_enabled()

        @module.enable_grad
        def on():
            return module.is_grad_enabled()

        with module.no_grad():
            assert (off(), on()) == (False, True)
