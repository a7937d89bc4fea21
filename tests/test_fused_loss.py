"""The fused mean softmax cross-entropy: one node whose rule reuses the forward's log-sum-exp
(a row that `saves`), eagerly, in compiled steps and through every caller of a rule."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import OPS, Tensor, ops
from autograd.errors import InPlaceError


def _closed_form(z, labels):
    """The loss and its gradient written out: mean -log softmax, (softmax - onehot) / N."""
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return -log_p[rows, labels].mean(), grad / len(labels)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**32 - 1),
       st.sampled_from([1.0, 30.0]))
def test_cross_entropy_of_labels_is_one_node_with_the_closed_form_gradient(rows, classes, seed,
                                                                           scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, classes)) * scale
    labels = rng.integers(0, classes, rows)
    logits = Tensor(z, requires_grad=True)
    loss = nn.cross_entropy(logits, labels)
    assert loss.op.name == "mean_softmax_cross_entropy" and loss.parents == (logits,)
    loss.backward()
    value, grad = _closed_form(z, labels)
    np.testing.assert_allclose(loss.item(), value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(logits.grad, grad, rtol=1e-10, atol=1e-15)


def test_the_same_numbers_as_the_per_row_node_and_its_mean():
    rng = np.random.default_rng(3)
    z, labels = rng.normal(size=(7, 4)), rng.integers(0, 4, 7)
    fused, unfused = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    a = autograd.mean_softmax_cross_entropy(fused, labels)
    b = autograd.softmax_cross_entropy(unfused, labels).mean()
    assert a.item() == b.item()  # the same bits: the per-row losses, summed, divided by N
    a.backward()
    b.backward()
    np.testing.assert_allclose(fused.grad, unfused.grad, rtol=1e-13, atol=1e-17)


def test_the_rule_reuses_the_forward_s_log_sum_exp(monkeypatch):
    """The backward pass computes no log-sum-exp and no exp: it divides the saved
    exponentials by their saved sums."""
    rng = np.random.default_rng(1)
    z, labels = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    logits = Tensor(z, requires_grad=True)
    loss = nn.cross_entropy(logits, labels)
    exps, sums = loss._saved
    np.testing.assert_allclose(exps, np.exp(z - z.max(axis=1, keepdims=True)), rtol=1e-15)
    np.testing.assert_allclose(sums, exps.sum(axis=1, keepdims=True), rtol=1e-15)

    def forbidden(*args, **kwargs):
        raise AssertionError("the rule recomputed the log-sum-exp")

    monkeypatch.setattr(ops, "_logsumexp", forbidden)
    monkeypatch.setattr(ops, "exp", forbidden)
    loss.backward()
    np.testing.assert_allclose(logits.grad, _closed_form(z, labels)[1], rtol=1e-12)


def test_a_rule_called_without_what_was_saved_computes_it_itself():
    rng = np.random.default_rng(2)
    z, labels = rng.normal(size=(4, 6)), rng.integers(0, 6, 4)
    op = OPS["mean_softmax_cross_entropy"]
    out = op.forward(z, labels=labels)  # (the forward callers see: its output alone)
    assert isinstance(out, np.ndarray) and out.shape == ()
    g = np.array(2.5)
    alone = op.vjp(g, out, z, labels=labels)[0]
    out_saving, saved = op.forward_saving(z, labels=labels)
    with_saved = op.vjp(g, out_saving, z, labels=labels, saved=saved)[0]
    np.testing.assert_allclose(alone, 2.5 * _closed_form(z, labels)[1], rtol=1e-12)
    np.testing.assert_allclose(with_saved, alone, rtol=1e-13, atol=1e-17)


def test_backward_twice_and_gradients_agree_because_the_saved_arrays_are_not_changed():
    rng = np.random.default_rng(4)
    z, labels = rng.normal(size=(6, 5)), rng.integers(0, 5, 6)
    logits = Tensor(z, requires_grad=True)
    loss = nn.cross_entropy(logits, labels)
    exps = loss._saved[0].copy()
    loss.backward()
    first = logits.grad.copy()
    loss.backward()  # leaves accumulate
    np.testing.assert_allclose(logits.grad, 2 * first, rtol=1e-15)
    np.testing.assert_array_equal(loss._saved[0], exps)
    (functional,) = autograd.grad(lambda t: nn.cross_entropy(t, labels), argnums=(0,))(
        Tensor(z, requires_grad=True))
    np.testing.assert_allclose(autograd.kernels.raw(functional), first, rtol=1e-13)


def test_second_derivatives_through_the_fused_loss_match_the_unfused_graph():
    rng = np.random.default_rng(5)
    z, labels, v = rng.normal(size=(3, 4)), rng.integers(0, 4, 3), rng.normal(size=(3, 4))
    fused = autograd.hvp(lambda t: autograd.mean_softmax_cross_entropy(t, labels),
                         Tensor(z, requires_grad=True), Tensor(v))
    unfused = autograd.hvp(lambda t: autograd.softmax_cross_entropy(t, labels).mean(),
                           Tensor(z, requires_grad=True), Tensor(v))
    np.testing.assert_allclose(autograd.kernels.raw(fused), autograd.kernels.raw(unfused),
                               rtol=1e-10, atol=1e-14)


def test_minus_infinity_logits_need_no_special_path_and_warn_of_nothing():
    z = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf], [3.0, 1.0, 0.5]])
    labels = np.array([2, 1, 0])
    fused, unfused = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = autograd.mean_softmax_cross_entropy(fused, labels)
        a.backward()
    b = autograd.softmax_cross_entropy(unfused, labels).mean()
    b.backward()
    assert a._saved is not None  # exp(-inf) = 0: the saved path
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-15)
    np.testing.assert_allclose(fused.grad, unfused.grad, rtol=1e-13, atol=1e-17)
    assert np.isfinite(fused.grad).all()


@pytest.mark.parametrize("row", [[-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0],
                                 [np.nan, 0.0, 1.0]])
def test_a_row_without_a_finite_maximum_takes_the_per_row_node_s_stable_path(row):
    z = np.array([[0.5, 1.0, 2.0], row])
    labels = np.array([1, 1])
    fused, unfused = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    with warnings.catch_warnings(record=True) as fused_warnings:
        warnings.simplefilter("always")
        a = autograd.mean_softmax_cross_entropy(fused, labels)
        a.backward()
    with warnings.catch_warnings(record=True) as unfused_warnings:
        warnings.simplefilter("always")
        b = autograd.softmax_cross_entropy(unfused, labels).mean()
        b.backward()
    assert a._saved is None  # nothing saved on that path
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-15, equal_nan=True)
    np.testing.assert_allclose(fused.grad, unfused.grad, rtol=1e-13, atol=1e-17,
                               equal_nan=True)
    assert len(fused_warnings) <= len(unfused_warnings)


def test_float32_stays_float32_and_an_empty_batch_gives_nan_and_an_empty_gradient():
    rng = np.random.default_rng(6)
    logits = Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    loss = nn.cross_entropy(logits, [0, 1, 2, 0])
    loss.backward()
    assert loss.data.dtype == np.float32 and logits.grad.dtype == np.float32
    empty = Tensor(np.zeros((0, 3)), requires_grad=True)
    loss = autograd.mean_softmax_cross_entropy(empty, np.zeros(0, dtype=int))
    assert np.isnan(loss.item())
    loss.backward()
    assert empty.grad.shape == (0, 3)


def test_other_reductions_keep_the_per_row_node():
    logits = Tensor(np.eye(3), requires_grad=True)
    assert nn.cross_entropy(logits, [0, 1, 2], reduction="sum").op.name == "sum"
    assert nn.cross_entropy(logits, [0, 1, 2], reduction="none").op.name == \
        "softmax_cross_entropy"


def test_a_change_to_the_logits_in_place_after_the_loss_is_refused():
    logits = Tensor(np.eye(3), requires_grad=True)
    z = logits * 2.0
    loss = nn.cross_entropy(z, [0, 1, 2])
    with autograd.no_grad():
        z += 1.0
    with pytest.raises(InPlaceError, match="mean_softmax_cross_entropy"):
        loss.backward()
    assert logits.grad is None


@pytest.mark.parametrize("labels, message", [([0, 3, 1], "out of range"),
                                             ([0, -1, 1], "out of range"),
                                             ([[0, 1, 2]], "labels of shape")])
def test_bad_labels_are_refused_naming_the_function(labels, message):
    with pytest.raises(ValueError, match=f"mean_softmax_cross_entropy: .*{message}"):
        autograd.mean_softmax_cross_entropy(Tensor(np.ones((3, 3))), np.array(labels))


def test_a_compiled_step_keeps_what_the_forward_saved_for_its_rule_and_checks_labels_once():
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(8, 5)), rng.integers(0, 3, 8)
    model = nn.MLP([5, 4, 3], rng=np.random.default_rng(0))
    step = autograd.compile(lambda X, y: nn.cross_entropy(model(X), y), model=model)
    loss = step(X, y)
    source = step.source
    forward = [line for line in source.splitlines() if "= mean_softmax_cross_entropy(" in line]
    assert len(forward) == 1 and forward[0].split("=")[0].count(",") == 1  # (out, saved)
    saved_name = forward[0].split("=")[0].split(",")[1].strip()
    assert f"saved={saved_name}" in source
    assert source.count("check_labels(") == 1
    grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    eager = nn.cross_entropy(model(Tensor(X)), y)
    eager.backward()
    assert loss.item() == pytest.approx(eager.item(), rel=1e-13)
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(g, p.grad, rtol=1e-11, atol=1e-15)
    model.zero_grad()
    bad = y.copy()
    bad[2] = -1
    with pytest.raises(ValueError, match="label -1 is out of range"):
        step(X, bad)
    assert all(p.grad is None for p in model.parameters())
