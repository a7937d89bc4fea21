"""The loss family against closed forms and hand computations, stability, and gradient checks."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Scalar, Tensor
from autograd.testing import gradcheck


def test_entropy_closed_forms():
    assert nn.entropy([0.5, 0.5]).item() == pytest.approx(0.6931, abs=1e-4)   # nats
    assert nn.entropy([0.5, 0.5], base=2).item() == pytest.approx(1.0)
    assert nn.entropy([0.8, 0.2]).item() == pytest.approx(0.5004, abs=1e-4)
    assert nn.entropy([1.0, 0.0]).item() == 0.0
    assert nn.entropy(np.full(6, 1 / 6), base=2).item() == pytest.approx(math.log2(6))


def test_binary_cross_entropy_sums():
    target = [1.0, 1.0, 0.0]
    good = nn.binary_cross_entropy(Tensor([0.8, 0.7, 0.1]), target, reduction="sum")
    bad = nn.binary_cross_entropy(Tensor([0.8, 0.7, 0.1]), [0.0, 0.0, 1.0], reduction="sum")
    assert good.item() == pytest.approx(0.69, abs=0.005)
    assert bad.item() == pytest.approx(5.12, abs=0.005)
    assert good.item() == pytest.approx(-(math.log(0.8) + math.log(0.7) + math.log(0.9)))


def test_kl_divergence_closed_forms():
    assert nn.kl_divergence([1 / 3, 2 / 3], [2 / 3, 1 / 3]).item() == \
        pytest.approx(math.log(2) / 3)
    p, q = [0.5, 0.25, 0.125, 0.125], [0.25] * 4
    h_p = nn.entropy(p, base=2).item()
    kl = nn.kl_divergence(p, q, base=2).item()
    # H(p, q) through the loss itself: cross-entropy of targets p against logits log q, in bits
    cross = nn.cross_entropy(Tensor(np.log([q])), np.array([p])).item() / math.log(2)
    assert (h_p, cross, kl) == (pytest.approx(1.75), pytest.approx(2.0), pytest.approx(0.25))
    assert h_p + kl == pytest.approx(cross)  # cross-entropy = entropy + KL
    assert nn.kl_divergence([0.5, 0.5], [1.0, 0.0]).item() == math.inf


def test_softmax_of_the_course_example_and_its_cross_entropy_gradient():
    x = Tensor([[1.0, 2.0]])
    w = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = Tensor([1.0, 2.0, 3.0])
    logits = x @ w + b
    expected = [[3.29320439e-04, 1.79802867e-02, 9.81690393e-01]]
    np.testing.assert_allclose(logits.softmax().data, expected, rtol=1e-8)
    layer = nn.Linear(2, 3)  # the same numbers through a layer: z = x W + b
    layer.weight.data, layer.bias.data = w.data.copy(), b.data.copy()
    np.testing.assert_allclose(layer(x).softmax().data, expected, rtol=1e-8)


def test_cross_entropy_gradient_is_softmax_minus_y():
    rng = np.random.default_rng(0)
    logits = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    labels = np.array([0, 2, 1, 2])
    nn.cross_entropy(logits, labels, reduction="sum").backward()
    np.testing.assert_allclose(logits.grad, logits.softmax().data - np.eye(3)[labels],
                               atol=1e-12)
    soft = Tensor(logits.data, requires_grad=True)
    targets = np.array([[0.2, 0.3, 0.5]] * 4)
    nn.cross_entropy(soft, targets, reduction="sum").backward()
    np.testing.assert_allclose(soft.grad, soft.softmax().data - targets, atol=1e-12)


def test_bce_with_logits_gradient_is_sigmoid_minus_y():
    z = Tensor([-3.0, 0.5, 2.0], requires_grad=True)
    y = np.array([0.0, 1.0, 1.0])
    nn.binary_cross_entropy_with_logits(z, y, reduction="sum").backward()
    np.testing.assert_allclose(z.grad, 1 / (1 + np.exp(-z.data)) - y, atol=1e-12)


def test_losses_are_finite_at_extreme_logits():
    logits = Tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    loss = nn.cross_entropy(logits, np.array([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1000.0)
    assert np.all(np.isfinite(logits.grad))
    z = Tensor([1000.0, -1000.0], requires_grad=True)
    bce = nn.binary_cross_entropy_with_logits(z, [0.0, 1.0])
    bce.backward()
    assert bce.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(z.grad, [0.5, -0.5])
    p = Tensor([0.0, 1.0], requires_grad=True)
    clipped = nn.binary_cross_entropy(p, [1.0, 0.0])
    assert np.isfinite(clipped.item())


def test_squared_errors_and_reductions():
    pred, target = Tensor([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])
    assert nn.sse(pred, target).item() == 13.0
    assert nn.mse(pred, target).item() == pytest.approx(13 / 3)
    assert nn.mse(pred, target, half=True).item() == pytest.approx(13 / 6)
    np.testing.assert_array_equal(nn.sse(pred, target, reduction="none").data, [0, 4, 9])
    a = Scalar(0.5)
    loss = nn.mse(a, [1.0])
    loss.backward()
    assert loss.data == 0.25 and a.grad == -1.0


@pytest.mark.parametrize("loss, make", [
    (nn.sse, lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2)))),
    (nn.mse, lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2)))),
    (nn.binary_cross_entropy, lambda r: (r.uniform(0.1, 0.9, size=4), r.uniform(0, 1, size=4))),
    (nn.binary_cross_entropy_with_logits, lambda r: (r.normal(size=4), r.uniform(0, 1, size=4))),
    (nn.cross_entropy, lambda r: (r.normal(size=(4, 3)), np.array([0, 2, 1, 1]))),
    (nn.cross_entropy, lambda r: (r.normal(size=(4, 3)), r.dirichlet(np.ones(3), size=4))),
    (nn.nll_loss, lambda r: (np.log(r.dirichlet(np.ones(3), size=4)), np.array([0, 2, 1, 1]))),
    (nn.kl_divergence, lambda r: (r.dirichlet(np.ones(3), size=2), r.dirichlet(np.ones(3),
                                                                               size=2))),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_loss_is_gradient_checked(loss, make, reduction):
    prediction, target = make(np.random.default_rng(3))
    if loss is nn.kl_divergence:
        assert gradcheck(lambda p, q: loss(p, q, reduction=reduction), prediction, target)
    else:
        assert gradcheck(lambda x: loss(x, target, reduction=reduction), prediction)


def test_mse_with_the_half_convention_and_the_scalar_path_are_gradient_checked():
    x = np.random.default_rng(5).normal(size=(3, 2))
    assert gradcheck(lambda v: nn.mse(v, np.ones((3, 2)), half=True), x)
    target = [1.0, 0.0]
    for loss in (nn.sse, nn.mse, nn.binary_cross_entropy_with_logits):
        assert gradcheck(lambda a, b, loss=loss: loss([a, b], target), 0.3, -1.2)
    assert gradcheck(lambda a, b: nn.binary_cross_entropy([a, b], target), 0.3, 0.8)


def test_entropy_is_gradient_checked():
    p = np.random.default_rng(4).dirichlet(np.ones(4))
    assert gradcheck(lambda q: nn.entropy(q, base=2), p)


def test_bad_input_gets_clear_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: label 3 is out of range for 3 classes"):
        nn.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"2 rows of scores need 2 labels"):
        nn.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"predictions have shape \(3,\) but targets have "
                                         r"shape \(2,\)"):
        nn.mse(Tensor([1.0, 2.0, 3.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"binary_cross_entropy: probabilities must lie in "
                                         r"\[0, 1\], found 1.5"):
        nn.binary_cross_entropy(Tensor([0.5, 1.5]), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\], found -1"):
        nn.binary_cross_entropy(Tensor([0.5, 0.5]), [0.0, -1.0])
    with pytest.raises(ValueError, match=r"reduction must be one of"):
        nn.mse(Tensor([1.0]), [1.0], reduction="avg")
    with pytest.raises(TypeError, match=r"class labels must be integers"):
        nn.nll_loss(Tensor(np.zeros((2, 2))), np.array([0.5, 1.0]))
    with pytest.raises(TypeError, match=r"mse: predictions given as a list must all be Scalars"
                                        r".*got a float 0.5"):
        nn.mse([0.5, 0.25], [1.0, 0.0])


def test_squared_errors_of_scalars_build_each_difference_once():
    p, t = Scalar(0.5), 1.0
    loss = nn.sse([p], [t])
    assert loss.data == 0.25
    loss.backward()
    assert p.grad == -1.0  # 2 (p - t)
    square = loss if loss.op.name == "mul" else loss.parents[0]
    while square.op.name != "mul":
        square = square.parents[0]
    assert square.parents[0] is square.parents[1]  # d * d: one sub node feeds both wires


def distributions(k):
    """Probability vectors of length k with every entry at least about 1e-3."""
    return st.lists(st.floats(1e-3, 1.0), min_size=k, max_size=k).map(
        lambda w: np.array(w) / np.sum(w))


@given(st.integers(2, 5).flatmap(lambda k: st.tuples(distributions(k), distributions(k))))
def test_gibbs_cross_entropy_is_entropy_plus_a_nonnegative_kl(pq):
    p, q = pq
    kl = nn.kl_divergence(p, q).item()
    cross = nn.cross_entropy(Tensor(np.log(q)[None]), p[None]).item()
    assert kl >= -1e-12
    assert cross == pytest.approx(nn.entropy(p).item() + kl, abs=1e-9)
    assert nn.kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-12)


@given(st.lists(st.floats(-15, 15), min_size=1, max_size=6), st.data())
def test_the_stable_and_the_probability_forms_agree(logits, data):
    # beyond |z| ~ 20 the probability form loses digits in 1 - sigmoid(z): why logits exist
    z = np.array(logits)
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(z),
                                    max_size=len(z))))
    stable = nn.binary_cross_entropy_with_logits(Tensor(z), y, reduction="none").data
    plain = nn.binary_cross_entropy(Tensor(z).sigmoid(), y, reduction="none", eps=1e-300).data
    np.testing.assert_allclose(stable, plain, rtol=1e-6, atol=1e-12)
    rows = z.reshape(1, -1)
    label = int(data.draw(st.integers(0, len(z) - 1)))
    by_label = nn.cross_entropy(Tensor(rows), np.array([label])).item()
    by_one_hot = nn.cross_entropy(Tensor(rows), np.eye(len(z))[[label]]).item()
    by_nll = nn.nll_loss(Tensor(rows).log_softmax(axis=-1), np.array([label])).item()
    assert by_label == pytest.approx(by_one_hot) == pytest.approx(by_nll)


@pytest.mark.parametrize("loss, prediction, target", [
    (nn.sse, np.array([[1.0, 2.0], [0.5, -1.0]]), np.zeros((2, 2))),
    (nn.mse, np.array([[1.0, 2.0], [0.5, -1.0]]), np.ones((2, 2))),
    (nn.binary_cross_entropy, np.array([0.2, 0.9, 0.5]), np.array([0.0, 1.0, 1.0])),
    (nn.binary_cross_entropy_with_logits, np.array([-2.0, 0.0, 3.0]), np.array([1.0, 0, 1])),
    (nn.cross_entropy, np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]), np.array([2, 0])),
    (nn.nll_loss, np.log([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0])),
    (nn.kl_divergence, np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([[0.5, 0.5], [0.1, 0.9]])),
])
def test_reductions_are_the_sum_and_the_mean_of_none(loss, prediction, target):
    none = loss(Tensor(prediction), target, reduction="none").data
    assert loss(Tensor(prediction), target, reduction="sum").item() == pytest.approx(none.sum())
    assert loss(Tensor(prediction), target, reduction="mean").item() == \
        pytest.approx(none.sum() / none.size)
    assert getattr(nn.losses, loss.__name__) is loss  # every loss in nn and in nn.losses


def test_mse_differentiates_a_target_that_requires_a_gradient_as_pytorch_does():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([0.5, 0.0], requires_grad=True)
    nn.mse(a, b).backward()
    np.testing.assert_allclose(b.grad, [-0.5, -2.0])  # PyTorch's figures: -(a - b) for a mean
    np.testing.assert_allclose(a.grad, [0.5, 2.0])
    p, t = Scalar(0.5), Scalar(2.0)  # the Scalar path too: d/dt (p - t)^2 = -2 (p - t)
    nn.sse([p], [t]).backward()
    assert t.grad == 3.0 and p.grad == -3.0


def test_every_loss_differentiates_its_target_by_the_closed_form():
    rng = np.random.default_rng(7)
    z, y = rng.normal(size=4), rng.uniform(0, 1, size=4)
    target = Tensor(y, requires_grad=True)
    nn.binary_cross_entropy_with_logits(Tensor(z), target, reduction="sum").backward()
    np.testing.assert_allclose(target.grad, -z, rtol=1e-12)  # L = softplus(z) - z y
    p = rng.uniform(0.05, 0.95, size=4)
    target = Tensor(y, requires_grad=True)
    nn.binary_cross_entropy(Tensor(p), target, reduction="sum").backward()
    np.testing.assert_allclose(target.grad, -(np.log(p) - np.log1p(-p)), rtol=1e-12)
    logits, rows = rng.normal(size=(3, 4)), rng.dirichlet(np.ones(4), size=3)
    target = Tensor(rows, requires_grad=True)
    nn.cross_entropy(Tensor(logits), target, reduction="sum").backward()
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(target.grad, -log_softmax, rtol=1e-12)


@pytest.mark.parametrize("loss, make", [
    (nn.sse, lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2)))),
    (nn.mse, lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2)))),
    (nn.binary_cross_entropy, lambda r: (r.uniform(0.1, 0.9, size=4), r.uniform(0, 1, size=4))),
    (nn.binary_cross_entropy_with_logits, lambda r: (r.normal(size=4), r.uniform(0, 1, size=4))),
    (nn.cross_entropy, lambda r: (r.normal(size=(4, 3)), r.dirichlet(np.ones(3), size=4))),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_with_respect_to_prediction_and_target_are_checked(loss, make, reduction):
    prediction, target = make(np.random.default_rng(11))
    assert gradcheck(lambda x, t: loss(x, t, reduction=reduction), prediction, target)


def test_scalar_losses_differentiate_scalar_targets():
    for loss in (nn.sse, nn.mse, nn.binary_cross_entropy_with_logits):
        assert gradcheck(lambda a, b, t: loss([a, b], [t, 1.0]), 0.3, -1.2, 0.4)
    assert gradcheck(lambda a, t: nn.binary_cross_entropy([a], [t]), 0.3, 0.6)


def test_integer_labels_that_require_a_gradient_are_refused():
    with pytest.raises(TypeError, match="integer class labels have no gradient"):
        nn.cross_entropy(Tensor(np.zeros((2, 3))), Tensor([0.0, 2.0], requires_grad=True))


def test_float32_probabilities_of_exactly_0_and_1_give_finite_losses():
    for dtype in (np.float32, np.float64):
        p = Tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
        y = np.array([0.0, 1.0, 1.0, 0.0])
        loss = nn.binary_cross_entropy(p, y, reduction="none")
        assert loss.dtype == dtype
        # right answers cost nothing; each wrong one costs -log(eps) = 27.63 in both dtypes
        np.testing.assert_allclose(loss.data, [0, 0, -np.log(1e-12), -np.log(1e-12)],
                                   rtol=1e-6, atol=1e-6)
        loss.sum().backward()
        assert p.grad.dtype == dtype and np.all(np.isfinite(p.grad))


def test_float32_inputs_give_float32_losses_and_gradients():
    rng = np.random.default_rng(2)
    cases = [(nn.binary_cross_entropy_with_logits, rng.normal(size=5), rng.uniform(0, 1, 5)),
             (nn.mse, rng.normal(size=5), rng.normal(size=5)),
             (nn.binary_cross_entropy, rng.uniform(0.1, 0.9, 5), rng.uniform(0, 1, 5)),
             (nn.cross_entropy, rng.normal(size=(2, 3)), np.array([0, 2])),
             (nn.cross_entropy, rng.normal(size=(2, 3)), rng.dirichlet(np.ones(3), size=2))]
    for loss, x, y in cases:
        x32 = Tensor(x, dtype=np.float32, requires_grad=True)
        value = loss(x32, y)
        assert value.dtype == np.float32, loss.__name__
        value.backward()
        assert x32.grad.dtype == np.float32, loss.__name__
        x64 = Tensor(x, requires_grad=True)
        loss(x64, y).backward()
        np.testing.assert_allclose(x32.grad, x64.grad, rtol=1e-5, atol=1e-6)
