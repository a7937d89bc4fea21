"""Versions refuse only what PyTorch refuses (issue 21, item 4): a backward pass after an
in-place change is refused only when the rule of a gradient that is needed reads a changed
value, as PyTorch saves tensors per needed gradient. The closed-form cases run without torch;
the scenarios over the ops and what is changed run against PyTorch 2.13 (`make test-torch`)."""

import numpy as np
import pytest

import autograd
import nn
from autograd import InPlaceError, Scalar, Tensor, no_grad

RNG = np.random.default_rng(21)


def test_a_weight_stepped_after_backward_gets_its_gradient_again_as_pytorch():
    x = Tensor(RNG.normal(size=(5, 3)))
    W = Tensor(RNG.normal(size=(3, 2)), requires_grad=True, label="W")
    loss = (x @ W).tanh().sum()
    loss.backward()
    first = W.grad.copy()
    nn.SGD([W], lr=0.1).step()
    loss.backward()  # W's gradient reads x and tanh's output only: both unchanged
    np.testing.assert_allclose(W.grad, 2 * first)
    np.testing.assert_allclose(first, x.data.T @ (1 - np.tanh(x.data @ (W.data + 0.1 * first))
                                                  ** 2))


@pytest.mark.parametrize("build", [
    lambda W, x: (W * 2.0).sum(),           # W's gradient reads the constant 2
    lambda W, x: (x * W).sum(),             # ... the constant Tensor x
    lambda W, x: (W @ x.T).sum(),
    lambda W, x: (W + x).exp().sum(),       # exp reads its output, add nothing
    lambda W, x: (W - x).relu().sum(),      # relu reads its output (PyTorch's relu too)
    lambda W, x: (W / 3.0).sum(),
])
def test_a_change_to_what_no_needed_rule_reads_is_allowed(build):
    W = Tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    x = Tensor(RNG.normal(size=(2, 3)))
    loss = build(W, x)
    loss.backward()
    expected = W.grad.copy()
    with no_grad():
        W += 0.5
    W.grad = None
    loss.backward()
    np.testing.assert_allclose(W.grad, expected)


def test_a_change_to_the_output_of_a_division_by_a_constant_is_allowed():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x / 4.0
    loss = (y * 1.0).sum()  # mul by a constant: its rule for y reads only the constant
    with no_grad():
        y += 10.0
    loss.backward()
    np.testing.assert_allclose(x.grad, [0.25, 0.25, 0.25])


def test_relu_reads_its_output_so_a_change_to_its_input_is_allowed_and_to_it_refused():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1.0
    r = h.relu()
    loss = r.sum()
    with no_grad():
        h += 5.0  # relu's input: every element now positive
    loss.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])  # the mask of the values it ran on
    with no_grad():
        r -= 100.0
    with pytest.raises(InPlaceError, match="'relu' needs its output"):
        loss.backward()


def test_scalar_graphs_check_per_input_too():
    w, c = Scalar(3.0, label="w"), Scalar(2.0, requires_grad=False)
    loss = w * c
    with no_grad():
        w += 1.0
    loss.backward()  # w's gradient reads c only
    assert w.grad == 2.0
    loss = w * c
    with no_grad():
        c += 1.0
    with pytest.raises(InPlaceError, match="'mul' needs its input 1"):
        loss.backward()


@pytest.mark.parametrize("build, changed, message", [
    (lambda a, b: (a * b).sum(), "b", "'mul' needs its input 1"),
    (lambda a, b: (a @ b.T).sum(), "b", "'matmul' needs its input 1"),
    (lambda a, b: a.exp().sum() + b.sum(), "out", None),
    (lambda a, b: (a / b).sum(), "b", "'div' needs its input 1"),
    (lambda a, b: (b / a).sum(), "b", "'div' needs its input 0"),  # a's gradient reads b
    (lambda a, b: (a.log() * 1.0).sum() + b.sum(), "a", "'log' needs its input 0"),
    (lambda a, b: (a ** 3.0).sum() + b.sum(), "a", "'pow' needs its input 0"),
    (lambda a, b: a.maximum(b).sum(), "b", "'maximum' needs its input 1"),
    (lambda a, b: a.var().sqrt() + b.sum(), "a", "'var' needs its input 0"),
])
def test_what_a_needed_rule_reads_is_still_refused(build, changed, message):
    a = Tensor(RNG.uniform(0.5, 2.0, size=(2, 3)), requires_grad=True)
    b = Tensor(RNG.uniform(0.5, 2.0, size=(2, 3)))
    loss = build(a, b)
    if changed == "out":  # exp's output, which its rule reads
        node = next(n for n in autograd.toposort(loss) if n.op.name == "exp")
        with no_grad():
            node += 1.0
        message = "'exp' needs its output"
    else:
        with no_grad():
            {"a": a, "b": b}[changed].__iadd__(0.25)
    with pytest.raises(InPlaceError, match=message):
        loss.backward()
    assert a.grad is None  # nothing delivered


# ---- PyTorch as the oracle: every op, every value changed, every set of needed gradients ----

@pytest.fixture(scope="module")
def torch():
    """PyTorch, imported only when these tests run (no skip: without it they are an error)."""
    import torch
    return torch


# (our function of (a, b), PyTorch's function of (torch, a, b)); inputs in [0.5, 2]
OPS = {
    "add": (lambda a, b: a + b, lambda t, a, b: a + b),
    "sub": (lambda a, b: a - b, lambda t, a, b: a - b),
    "mul": (lambda a, b: a * b, lambda t, a, b: a * b),
    "div": (lambda a, b: a / b, lambda t, a, b: a / b),
    "pow": (lambda a, b: a ** 3.0, lambda t, a, b: a ** 3.0),
    "power": (lambda a, b: a ** b, lambda t, a, b: a ** b),
    "matmul": (lambda a, b: a @ b.T, lambda t, a, b: a @ b.T),
    "exp": (lambda a, b: a.exp(), lambda t, a, b: a.exp()),
    "log": (lambda a, b: a.log(), lambda t, a, b: a.log()),
    "sqrt": (lambda a, b: a.sqrt(), lambda t, a, b: a.sqrt()),
    "tanh": (lambda a, b: a.tanh(), lambda t, a, b: a.tanh()),
    "sigmoid": (lambda a, b: a.sigmoid(), lambda t, a, b: a.sigmoid()),
    "relu": (lambda a, b: (a - 1.0).relu(), lambda t, a, b: (a - 1.0).relu()),
    "maximum": (lambda a, b: a.maximum(b), lambda t, a, b: t.maximum(a, b)),
    "minimum": (lambda a, b: a.minimum(b), lambda t, a, b: t.minimum(a, b)),
    "abs": (lambda a, b: a.abs(), lambda t, a, b: a.abs()),
    "log1p": (lambda a, b: a.log1p(), lambda t, a, b: a.log1p()),
    "softplus": (lambda a, b: a.softplus(), lambda t, a, b: t.nn.functional.softplus(a)),
    "clip": (lambda a, b: a.clip(0.8, 1.5), lambda t, a, b: a.clamp(0.8, 1.5)),
    "sum": (lambda a, b: a.sum(axis=1), lambda t, a, b: a.sum(dim=1)),
    "mean": (lambda a, b: a.mean(axis=0), lambda t, a, b: a.mean(dim=0)),
    "max": (lambda a, b: a.max(axis=1), lambda t, a, b: a.amax(dim=1)),
    "var": (lambda a, b: a.var(axis=1), lambda t, a, b: a.var(dim=1, correction=0)),
    "std": (lambda a, b: a.std(axis=1), lambda t, a, b: a.std(dim=1, correction=0)),
    "logsumexp": (lambda a, b: a.logsumexp(axis=1), lambda t, a, b: a.logsumexp(dim=1)),
    "softmax": (lambda a, b: a.softmax(axis=1), lambda t, a, b: a.softmax(dim=1)),
    "log_softmax": (lambda a, b: a.log_softmax(axis=1), lambda t, a, b: a.log_softmax(dim=1)),
    "getitem": (lambda a, b: a[1:], lambda t, a, b: a[1:]),
    "reshape": (lambda a, b: a.reshape(3, 2), lambda t, a, b: a.reshape(3, 2)),
    "transpose": (lambda a, b: a.T, lambda t, a, b: a.T),
    "where": (lambda a, b: autograd.where(a > 1.0, a, b), lambda t, a, b: t.where(a > 1.0, a, b)),
    "neg": (lambda a, b: -a, lambda t, a, b: -a),
}


A0 = np.random.default_rng(2113).uniform(0.5, 2.0, size=(2, 3))
B0 = A0[::-1, ::-1] + 0.03  # no ties with a


def _scenario(make, build, needs, changed, change):
    """f(a, b) with a and b needing a gradient as `needs` says; loss = sum f + sum b (sums and
    adds read nothing); `changed` ("a", "b" or "out") changed in place by `change`. Returns
    the loss and the inputs that need a gradient."""
    a, b = make(A0, needs[0]), make(B0, needs[1])
    out = build(a, b)
    loss = out.sum() + b.sum()
    change({"a": a, "b": b, "out": out}[changed])
    return loss, [x for x, need in zip((a, b), needs) if need]


@pytest.mark.torch
@pytest.mark.parametrize("changed", ["a", "b", "out"])
@pytest.mark.parametrize("needs", [(True, False), (False, True), (True, True)], ids=str)
@pytest.mark.parametrize("name", sorted(OPS))
def test_refused_exactly_when_pytorch_refuses_and_otherwise_its_gradients(torch, name, needs,
                                                                          changed):
    ours, theirs = OPS[name]

    def change_ours(value):
        with no_grad():
            value *= 1.5  # (a view of a leaf changes the leaf: so it does in PyTorch)

    def change_theirs(value):
        with torch.no_grad():
            value.mul_(1.5)

    loss, leaves = _scenario(lambda v, r: Tensor(v.copy(), requires_grad=r), ours, needs,
                             changed, change_ours)
    ref_loss, ref_leaves = _scenario(lambda v, r: torch.tensor(v.copy(), requires_grad=r),
                                     lambda a, b: theirs(torch, a, b), needs, changed,
                                     change_theirs)
    try:
        ref_loss.backward()
        torch_refuses = False
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error), error
        torch_refuses = True
    try:
        loss.backward()
        refused = False
    except InPlaceError:
        refused = True
    assert refused == torch_refuses, (
        f"{name}, needs {needs}, {changed} changed: PyTorch "
        f"{'refuses' if torch_refuses else 'computes the gradients'}, gategrad does not")
    if not refused:
        for x, t in zip(leaves, ref_leaves):
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)
