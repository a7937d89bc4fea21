"""Compiled steps guard what they read, check every call, and change no `.grad` when they fail
(issue 21, "Compiled steps"): a closed-over leaf replaced by another object traces again, the
tracing call's gradients are checked under `check=True` and a wrong line is named, a failed
delivery undoes the call's other deliveries and names the leaf, and a 0-d leaf's gradient is a
0-d array of its dtype."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Scalar, Tensor, ops
from autograd.compile import CompileCheckError


def _eager_step(f, *args):
    loss = f(*args)
    loss.backward()
    return loss


def _fresh(value):
    return Tensor(np.array(value, dtype=np.float64), requires_grad=True)


# ---- 1. guards on the identity of every closed-over leaf -----------------------------------


@pytest.mark.parametrize("check", ["once", False, True])
def test_a_dict_entry_replaced_after_verification_traces_again(check):
    box = {"W": _fresh([2.0, 2.0])}

    def f(x):
        return (x * box["W"]).sum()

    step = autograd.compile(f, check=check)
    x = Tensor(np.array([3.0, 4.0]))
    for _ in range(3):  # traced, verified, replayed
        assert step(x).item() == 14.0
    old = box["W"]
    old_grad = old.grad.copy()
    box["W"] = _fresh([10.0, 20.0])
    assert step(x).item() == 110.0  # eager: 3 * 10 + 4 * 20 (the old W gave 14)
    np.testing.assert_array_equal(box["W"].grad, [3.0, 4.0])
    np.testing.assert_array_equal(old.grad, old_grad)  # the old leaf gets nothing more
    assert step(x).item() == 110.0
    np.testing.assert_array_equal(box["W"].grad, [6.0, 8.0])


def test_a_module_parameter_replaced_is_read_as_eager_reads_it():
    net = nn.MLP([3, 4, 2], activation="tanh", rng=0)
    twin = nn.MLP([3, 4, 2], activation="tanh", rng=0)
    step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
    rng = np.random.default_rng(1)
    X, y = Tensor(rng.normal(size=(5, 3))), rng.integers(0, 2, size=5)
    for _ in range(3):
        step(X, y)
    new = rng.normal(size=(4, 2))
    net.layers[1].weight = Tensor(new.copy(), requires_grad=True, label="weight")
    twin.layers[1].weight = Tensor(new.copy(), requires_grad=True, label="weight")
    for model in (net, twin):
        model.zero_grad()
    loss = step(X, y)
    expected = nn.cross_entropy(twin(X), y)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    for (name, p), q in zip(net.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12, err_msg=name)


SCALE = None  # a global the next test's f reads


def test_a_rebound_closure_variable_and_a_rebound_global_trace_again():
    global SCALE
    W = _fresh([1.0, 2.0])

    def f(x):
        return (x * W * SCALE).sum()

    step = autograd.compile(f)
    x = Tensor(np.array([1.0, 1.0]))
    SCALE = _fresh(1.0)
    for _ in range(3):
        assert step(x).item() == 3.0
    W = _fresh([5.0, 5.0])
    assert step(x).item() == 10.0
    SCALE = _fresh(2.0)
    assert step(x).item() == 20.0
    assert SCALE.grad.item() == 10.0


def test_a_scalar_in_a_list_replaced_and_a_list_that_grows_are_seen():
    weights = [Scalar(1.0), Scalar(2.0)]

    def f(x):
        total = x * weights[0]
        for w in weights[1:]:
            total = total + x * w
        return total

    step = autograd.compile(f)
    x = Scalar(3.0)
    for _ in range(3):
        assert step(x).data == 9.0
    weights[1] = Scalar(10.0)
    assert step(x).data == 33.0
    assert weights[1].grad == 3.0
    weights.append(Scalar(100.0))
    assert step(x).data == 333.0
    assert weights[2].grad == 3.0


def test_an_unchanged_step_keeps_its_program_and_its_guard_reads_every_parameter():
    net = nn.MLP([4, 3, 2], rng=0)
    step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
    X, y = Tensor(np.ones((2, 4))), np.array([0, 1])
    step(X, y)
    program = step.last
    for _ in range(5):
        step(X, y)
        assert step.last is program and len(step.programs) == 1
    assert program.guard.unreached == []
    written = {id(q): "net." + re.sub(r"\.(\d+)", r"[\1]", name)  # net.layers[0].weight
               for name, q in net.named_parameters()}
    for k, p in enumerate(program.persistent):  # each slot, as one would write it
        assert program.guard.where(k) == written[id(p)]
    net.layers[0].bias = Tensor(np.zeros(3), requires_grad=True)
    step(X, y)
    assert step.last is not program


@given(st.lists(st.tuples(st.sampled_from(["dict", "attr", "list", "none"]),
                          st.floats(-3, 3, allow_nan=False)), min_size=1, max_size=6))
def test_any_sequence_of_replacements_gives_eager_losses_and_gradients(changes):
    class Holder:
        pass

    def make(value):
        return Scalar(value)

    def build():
        holder = Holder()
        holder.b = make(0.5)
        return {"a": make(1.5)}, holder, [make(-2.0)]

    box, holder, items = build()
    twin_box, twin_holder, twin_items = build()

    def f(x, box=box, holder=holder, items=items):
        return (x * box["a"] + holder.b * x * x + items[0]).tanh()

    def g(x):
        return f(x, twin_box, twin_holder, twin_items)

    step = autograd.compile(f)
    x = Scalar(0.7)
    for where, value in changes:
        for b, h, i in ((box, holder, items), (twin_box, twin_holder, twin_items)):
            if where == "dict":
                b["a"] = make(value)
            elif where == "attr":
                h.b = make(value)
            elif where == "list":
                i[0] = make(value)
        loss = step(x)
        expected = g(x)
        expected.backward()
        assert loss.data == pytest.approx(expected.data, rel=1e-12, abs=1e-15)
        for mine, theirs in ((box["a"], twin_box["a"]), (holder.b, twin_holder.b),
                             (items[0], twin_items[0])):
            assert mine.grad == pytest.approx(theirs.grad, rel=1e-12, abs=1e-15)


# ---- 2. check=True checks every call, the tracing call's gradients included -------------------


def _wrong_tanh_template(monkeypatch):
    """A tanh whose code template (trusted: code_exact) is wrong: g * out, not g (1 - out^2)."""
    monkeypatch.setattr(ops.TANH, "code", ("{g} * {out}",))
    assert ops.TANH.code_exact is True


def test_check_true_checks_the_tracing_calls_gradients_and_names_the_wrong_line(monkeypatch):
    _wrong_tanh_template(monkeypatch)
    W = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, label="W")

    def f(x):
        return ((x * W).tanh() * 3.0).sum()

    step = autograd.compile(f, check=True)
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(CompileCheckError) as raised:
        step(x)  # the tracing call: its gradients are checked before they are delivered
    message = str(raised.value)
    assert "'tanh' rule" in message and "tanh1" in message and "code_exact" in message
    assert "of step.source, `" in message and "# tanh rule`" in message  # the line itself
    assert "mul0" not in message.split("gives")[0].replace("g_mul0 = ", "")  # not the receiver
    assert W.grad is None  # nothing delivered


def test_the_wrong_line_is_found_among_several_consumers_of_a_value(monkeypatch):
    _wrong_tanh_template(monkeypatch)
    W = Tensor(np.array([0.5, -1.0]), requires_grad=True)

    def f(x):
        h = x * W
        return (h.exp() + h.tanh() + h * h).sum()  # h's gradient has three contributions

    for check in (True, "once"):
        step = autograd.compile(f, check=check)
        x = Tensor(np.array([1.0, 2.0]))
        if check == "once":
            step(x)  # (the default checks the first replay)
        W.grad = np.array([7.0, 7.0])
        with pytest.raises(CompileCheckError, match="the 'tanh' rule's line"):
            step(x)
        np.testing.assert_array_equal(W.grad, [7.0, 7.0])


def test_a_right_program_passes_every_checked_call_with_eager_gradients():
    W = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
    step = autograd.compile(lambda x: (x @ W).tanh().sum(), check=True)
    x = Tensor(np.array([[1.0, 2.0]]))
    for calls in range(1, 4):
        step(x)
        expected = 1.0 - np.tanh(x.data @ W.data) ** 2
        np.testing.assert_allclose(W.grad, calls * x.data.T @ expected, rtol=1e-12)


# ---- 3. a call that fails while delivering changes no .grad ----------------------------------


def test_a_failed_delivery_changes_no_grad_and_names_the_leaf_and_both_shapes():
    W1, W2 = _fresh(np.ones(3)), _fresh(np.ones(3))

    def f(x):
        return (x * W1 + x * W2).sum()

    step = autograd.compile(f)
    x = Tensor(np.arange(3.0))
    step(x)
    step(x)
    before = W1.grad.copy()
    W2.grad = np.zeros(5)
    with pytest.raises(ValueError) as raised:
        step(x)
    message = str(raised.value)
    assert "W2" in message and "(3,)" in message and "(5,)" in message
    np.testing.assert_array_equal(W1.grad, before)  # W1 was delivered first: undone
    np.testing.assert_array_equal(W2.grad, np.zeros(5))
    W2.grad = None
    step(x)  # a retry counts the call once
    np.testing.assert_array_equal(W1.grad, before + np.arange(3.0))
    np.testing.assert_array_equal(W2.grad, np.arange(3.0))


def test_a_failed_delivery_names_a_models_parameter():
    net = nn.MLP([2, 3, 2], rng=0)
    step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
    X, y = Tensor(np.ones((4, 2))), np.array([0, 1, 1, 0])
    step(X, y)
    saved = [p.grad for p in net.parameters()]
    net.layers[1].bias.grad = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"layers\.1\.bias.*\(2,\).*\(2, 2\)"):
        step(X, y)
    for p, g in zip(net.parameters()[:3], saved):
        assert p.grad is g


# ---- 9. a 0-d leaf gets a 0-d array of its dtype ---------------------------------------------


@pytest.mark.parametrize("make", [
    lambda x, c: (x + c).sum(),
    lambda x, c: (x - c).sum(),
    lambda x, c: (x * c).sum(),
    lambda x, c: autograd.where(x.data > 1.5, x, c).sum(),
    lambda x, c: (c + x).mean(),
    lambda x, c: c.broadcast_to(x.shape).sum() * x.sum(),
    lambda x, c: np.add(x, c).sum(),
], ids=["add", "sub", "mul", "where", "mean", "broadcast_to", "np.add"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_0d_leafs_compiled_gradient_is_a_0d_array_of_its_dtype(make, dtype):
    c = Tensor(np.array(2.0, dtype=dtype), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0, 3.0], dtype=dtype), requires_grad=True)
    step = autograd.compile(make)
    for _ in range(3):  # traced, checked, replayed
        c.grad = None
        step(x, c)
        assert c.grad.__class__ is np.ndarray and c.grad.shape == () and c.grad.dtype == dtype
        c.grad[...] = 0.0  # a 0-d array can be written in place


# ---- PyTorch as the oracle ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    """PyTorch, imported only when these tests run (no skip: without it they are an error)."""
    import torch
    return torch


@pytest.mark.torch
def test_a_replaced_parameter_gives_pytorchs_loss_and_gradient(torch):
    box = {"W": _fresh([2.0, 3.0])}
    step = autograd.compile(lambda x: ((x * box["W"]).tanh() * x).sum())
    x = Tensor(np.array([1.5, -0.5]))
    for _ in range(3):
        step(x)
    box["W"] = _fresh([-1.0, 0.25])
    loss = step(x)
    w = torch.tensor([-1.0, 0.25], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.5, -0.5], dtype=torch.float64)
    expected = ((t * w).tanh() * t).sum()
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(box["W"].grad, w.grad.numpy(), rtol=1e-12)


@pytest.mark.torch
def test_a_0d_float32_leafs_gradient_has_pytorchs_dtype_and_shape(torch):
    c = Tensor(np.array(2.0, dtype=np.float32), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    step = autograd.compile(lambda x, c: (x + c).mean())
    step(x, c)
    ct = torch.tensor(2.0, dtype=torch.float32, requires_grad=True)
    (torch.tensor([1.0, 2.0]) + ct).mean().backward()
    assert c.grad.shape == tuple(ct.grad.shape) and str(c.grad.dtype) == "float32"
    assert c.grad.item() == pytest.approx(ct.grad.item())
