"""Modules, optimisation and learning: the course's worked examples, digits and Challenger."""

import os
import stat

import numpy as np
import pytest

import nn
from autograd import Scalar, Tensor, grad, sigmoid


def test_gradient_descent_iterates_of_the_three_point_regression():
    x, y = np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0])
    w0, w1 = Tensor(1.0, requires_grad=True), Tensor(1.0, requires_grad=True)
    optimizer = nn.SGD([w0, w1], lr=0.1)
    iterates = []
    for _ in range(100):
        optimizer.zero_grad()
        nn.sse(w1 * x + w0, y).backward()
        optimizer.step()
        iterates.append((w0.item(), w1.item()))
    expected = [(0.6, 0.8), (0.52, 0.84), (0.472, 0.896), (0.4304, 0.9488)]
    np.testing.assert_allclose(iterates[:4], expected, atol=1e-12)
    assert iterates[99][0] == pytest.approx(6.42e-5, abs=5e-7)
    assert iterates[99][1] == pytest.approx(1.49992, abs=5e-6)


def _neuron_outputs(w, b, cost, epochs, eta=0.15):
    """Outputs a = sigmoid(w x + b) of a single neuron with x = 1, target 0, trained by gradient
    descent on the quadratic cost (a - y)^2 / 2 or the cross-entropy of the probability a."""
    w, b = Scalar(w), Scalar(b)
    outputs = []
    for _ in range(epochs):
        a = (w * 1.0 + b).sigmoid()
        outputs.append(a.data)
        loss = (nn.mse(a, [0.0], half=True) if cost == "quadratic"
                else nn.binary_cross_entropy(a, [0.0]))
        w.zero_grad()
        b.zero_grad()
        loss.backward()
        w.data -= eta * w.grad
        b.data -= eta * b.grad
    return outputs


def test_the_saturated_neuron_learns_slowly_under_the_quadratic_cost():
    quadratic = _neuron_outputs(2.0, 2.0, "quadratic", 150)
    cross = _neuron_outputs(2.0, 2.0, "cross_entropy", 150)
    assert quadratic[0] == pytest.approx(0.98, abs=0.005)
    # the quadratic cost's gradient carries sigma'(z), tiny at a = 0.98: it barely moves
    assert quadratic[50] > 0.97 and quadratic[149] > 0.9
    assert cross[50] < 0.1 and cross[149] < 0.03  # cross-entropy: gradient a - y, fast
    unsaturated = _neuron_outputs(0.6, 0.9, "quadratic", 301)
    assert unsaturated[0] == pytest.approx(0.82, abs=0.005)
    assert unsaturated[300] == pytest.approx(0.09, abs=0.01)


def test_the_sigma_prime_factor_cancels_under_cross_entropy():
    z = Scalar(2.5)
    a = z.sigmoid()
    nn.mse(a, [0.0], half=True).backward()
    assert z.grad == pytest.approx(a.data * a.data * (1 - a.data))  # (a - y) sigma'(z)
    z2 = Scalar(2.5)
    nn.binary_cross_entropy_with_logits(z2, [0.0]).backward()
    assert z2.grad == pytest.approx(a.data)  # a - y


def _irls(X, y, iterations=50):
    beta = np.zeros(X.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-X @ beta))
        hessian = X.T @ (X * (p * (1 - p))[:, None])
        beta = beta + np.linalg.solve(hessian, X.T @ (y - p))
    return beta


def test_challenger_logistic_regression_reaches_the_maximum_likelihood_fit():
    temperature, distress = nn.data.load_challenger()
    assert len(temperature) == 23 and distress.sum() == 7
    assert (temperature[0], distress[0], temperature[-1], distress[-1]) == (53, 1, 81, 0)
    X = np.stack([np.ones(23), temperature], axis=1)
    expected = _irls(X, distress.astype(float))
    centred = (temperature - 70.0) / 10.0

    def nll(beta):
        logits = beta[0] + beta[1] * Tensor(centred)
        return nn.binary_cross_entropy_with_logits(logits, distress.astype(float),
                                                   reduction="sum")

    beta = np.zeros(2)
    for _ in range(20):  # Newton's method with the engine's gradient and Hessian
        g = grad(nll)(beta)
        hessian = np.stack([grad(lambda b, e=e: (grad(nll)(b) * e).sum())(beta)
                            for e in np.eye(2)])
        beta = beta - np.linalg.solve(hessian, g)
    slope = beta[1] / 10.0
    intercept = beta[0] - 70.0 * slope
    np.testing.assert_allclose([intercept, slope], expected, rtol=1e-6)
    at_31 = 1 / (1 + np.exp(-(intercept + slope * 31)))
    assert at_31 > 0.999


def test_challenger_logistic_regression_trained_by_fit_and_sgd():
    temperature, distress = nn.data.load_challenger()
    centred = ((temperature - 70.0) / 10.0).reshape(-1, 1)
    expected = _irls(np.hstack([np.ones((23, 1)), centred]), distress.astype(float))
    model = nn.Linear(1, 1, rng=0)
    history = nn.fit(model, nn.binary_cross_entropy_with_logits,
                     nn.SGD(model.parameters(), lr=1.0, momentum=0.9), (centred, distress),
                     epochs=1000, batch_size=23, quiet=True)
    np.testing.assert_allclose([model.bias.item(), model.weight.item()], expected, rtol=1e-6)
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] == pytest.approx(20 / 23)  # 3 of the 23 launches misfit


def test_an_mlp_with_30_sigmoid_units_learns_the_digits():
    train, test = nn.data.load_digits(seed=0)
    model = nn.MLP([64, 30, 10], activation="sigmoid", rng=0)
    history = nn.fit(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.5), train,
                     epochs=20, batch_size=10, val=test, seed=0, quiet=True)
    assert history["val_accuracy"][-1] >= 0.95
    assert history["loss"][-1] < history["loss"][0]
    assert len(history["loss"]) == 20


def test_mlp_over_scalars_is_the_same_network_neuron_by_neuron():
    scalar_net = nn.MLP([3, 4, 1], activation="tanh", value=Scalar, rng=1)
    tensor_net = nn.MLP([3, 4, 1], activation="tanh", rng=1)
    x = [0.5, -1.0, 2.0]
    out = scalar_net(x)[0]
    np.testing.assert_allclose(out.data, tensor_net(Tensor([x])).data[0, 0], rtol=1e-12)
    assert len(scalar_net.parameters()) == 3 * 4 + 4 + 4 * 1 + 1
    out.backward()
    first = scalar_net.layers[0]
    # by hand: dL/dw11 = x1 * (1 - a1^2) * w_out1 for L = out (identity output)
    z1 = sum(x[i] * first.weight[i][0].data for i in range(3)) + first.bias[0].data
    by_hand = x[0] * (1 - np.tanh(z1) ** 2) * scalar_net.layers[1].weight[0][0].data
    assert first.weight[0][0].grad == pytest.approx(by_hand)


def test_module_parameters_names_and_zero_grad():
    model = nn.MLP([2, 3, 1], rng=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert [name for name, _ in model.named_modules()] == ["", "layers.0", "layers.1"]
    model(Tensor(np.ones((4, 2)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert repr(model.layers[0]) == "Linear(2 -> 3)"


def test_a_shared_parameter_is_listed_and_stepped_once():
    layer = nn.Linear(2, 2, rng=0)
    model = nn.Module()
    model.layers = [layer, layer]
    model.forward = lambda x: layer(layer(x))
    assert [name for name, _ in model.named_parameters()] == ["layers.0.weight",
                                                              "layers.0.bias"]
    assert len(nn.SGD(model.parameters(), lr=0.1).params) == 2


def test_a_scalar_neuron_is_built_as_the_course_writes_it():
    layer = nn.Linear(2, 1, value=Scalar, rng=0)
    z = layer([Scalar(3.0, label="x1"), Scalar(-1.0, label="x2")])[0]
    # z = (x1 w11 + x2 w21) + b1: the bias is added last
    first, bias = z.parents
    assert bias is layer.bias[0] and bias.label == "b1"
    products = first.parents
    assert [[q.label for q in prod.parents] for prod in products] == [["x1", "w11"],
                                                                      ["x2", "w21"]]
    assert z.data == pytest.approx(3.0 * layer.weight[0][0].data - layer.weight[1][0].data
                                   + layer.bias[0].data)


def test_accuracy_takes_labels_or_one_hot_rows():
    outputs = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 3.0, 1.0]])
    assert nn.accuracy(outputs, np.array([0, 2, 2])) == pytest.approx(2 / 3)
    assert nn.accuracy(outputs, np.eye(3)[[0, 2, 2]]) == pytest.approx(2 / 3)
    assert nn.accuracy(np.array([[0.7], [0.2]]), np.array([1, 1]), threshold=0.5) == 0.5


def test_fit_shows_a_progress_bar_unless_quiet(capsys):
    X, y = nn.data.make_moons(40, seed=0)
    for quiet in (False, True):
        model = nn.MLP([2, 4, 2], rng=0)
        nn.fit(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
               batch_size=8, quiet=quiet)
        shown = capsys.readouterr().err
        assert ("2/2" in shown and "loss=" in shown) if not quiet else shown == ""


def test_linear_initialisation_is_seeded():
    a, b = nn.Linear(5, 4, rng=7), nn.Linear(5, 4, rng=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert np.abs(a.weight.data).max() <= 1 / np.sqrt(5)


def test_sgd_momentum_and_weight_decay_follow_pytorch():
    w = Tensor([1.0], requires_grad=True)
    optimizer = nn.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(2):
        optimizer.zero_grad()
        (w * 2.0).sum().backward()
        optimizer.step()
    # step 1: d = 2 + 0.5 = 2.5, v = 2.5, w = 0.75; step 2: d = 2 + 0.375, v = 0.9*2.5 + 2.375
    assert w.item() == pytest.approx(0.75 - 0.1 * (0.9 * 2.5 + 2.375))


def test_save_and_load_round_trip_and_refuse_mismatches(tmp_path):
    model = nn.MLP([4, 3, 2], rng=0)
    path = tmp_path / "model.npz"
    model.save(path)
    other = nn.MLP([4, 3, 2], rng=1)
    other.load(path)
    for (_, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    wrong = nn.MLP([4, 5, 2], rng=2)
    before = [p.data.copy() for p in wrong.parameters()]
    with pytest.raises(ValueError, match=r"layers.0.weight: the file has shape \(4, 3\), the "
                                         r"model \(4, 5\)"):
        wrong.load(path)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, wrong.parameters()))
    np.savez(tmp_path / "partial.npz", **{"layers.0.weight": np.zeros((4, 3))})
    with pytest.raises(ValueError, match=r"missing in the file: layers.0.bias"):
        model.load(tmp_path / "partial.npz")
    scalar_model = nn.MLP([2, 2, 1], value=Scalar, rng=0)
    scalar_model.save(tmp_path / "scalar.npz")
    scalar_copy = nn.MLP([2, 2, 1], value=Scalar, rng=5)
    scalar_copy.load(tmp_path / "scalar.npz")
    assert scalar_copy.layers[0].weight[1][0].data == scalar_model.layers[0].weight[1][0].data


def test_load_refuses_pickled_files(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers.0.weight": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="pickle"):
        nn.MLP([1, 1]).load(path)


def test_sigmoid_neuron_function_is_public_and_shared():
    assert sigmoid(Scalar(0.0)).data == 0.5


def test_sgd_keeps_its_own_momentum_buffer():
    w = Tensor([1.0], requires_grad=True)
    optimizer = nn.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):
        if w.grad is not None:
            w.grad[...] = 0.0  # zeroing a gradient in place must not touch the velocity
        (w * 1.0).sum().backward()
        optimizer.step()
    # PyTorch: v1 = 1, w = 0.9; v2 = 0.9 * 1 + 1 = 1.9, w = 0.9 - 0.19 = 0.71
    assert w.item() == pytest.approx(0.71, abs=1e-15)
    assert optimizer.velocity[0] is not w.grad


def test_sgd_steps_after_a_backward_that_recorded_the_graph():
    w = Tensor([1.0, -2.0], requires_grad=True)
    s = Scalar(3.0)
    optimizer = nn.SGD([w, s], lr=0.1, momentum=0.5)
    (w * w).sum().backward(create_graph=True)
    (s * s).backward(create_graph=True)
    optimizer.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.2, -2.0 + 0.4])
    assert s.data == pytest.approx(3.0 - 0.6)
    assert isinstance(s.data, float)


def test_sgd_keeps_float32_parameters_float32():
    w = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    optimizer = nn.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()
    assert w.data.dtype == np.float32 and optimizer.velocity[0].dtype == np.float32


@pytest.mark.parametrize("settings, message", [
    ({"lr": float("inf")}, "lr must be a finite number above 0, got inf"),
    ({"lr": float("nan")}, "lr must be a finite number above 0, got nan"),
    ({"lr": 0.0}, "lr must be a finite number above 0, got 0.0"),
    ({"lr": -0.1}, "lr must be a finite number above 0"),
    ({"lr": "0.1"}, "lr must be a finite number above 0, got '0.1'"),
    ({"lr": True}, "lr must be a finite number above 0, got True"),
    ({"lr": 0.1, "momentum": 1.0}, "momentum must be a finite number at least 0 and below 1"),
    ({"lr": 0.1, "momentum": -0.5}, "momentum must be a finite number at least 0 and below 1"),
    ({"lr": 0.1, "weight_decay": float("inf")}, "weight_decay must be a finite number at "
                                                "least 0, got inf"),
    ({"lr": 0.1, "weight_decay": -1}, "weight_decay must be a finite number at least 0"),
])
def test_sgd_validates_its_hyperparameters(settings, message):
    with pytest.raises(ValueError, match=r"^SGD: .*" + message.replace("(", r"\(")):
        nn.SGD([Tensor([1.0], requires_grad=True)], **settings)


def test_sgd_refuses_computed_values_and_repeated_parameters():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="must be a leaf Tensor or Scalar"):
        nn.SGD([w * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="appears more than once"):
        nn.SGD([w, w], lr=0.1)


class _Pair(nn.Module):
    """A module whose child refers back to it: a cycle."""

    def __init__(self):
        self.child = nn.Module()
        self.child.parent = self
        self.child.scale = Tensor([2.0], requires_grad=True)
        self.items = []
        self.items.append(self.items)  # a list that contains itself


def test_module_walks_visit_each_module_once_even_in_a_cycle():
    model = _Pair()
    assert [name for name, _ in model.named_modules()] == ["", "child"]
    assert [name for name, _ in model.named_parameters()] == ["child.scale"]
    assert repr(model) == ("_Pair(\n  (child): Module(\n    (parent): _Pair(...) (shown above)\n"
                           "  )\n)")


def test_a_very_deep_stack_of_modules_is_walked_without_recursion():
    top = module = nn.Module()
    for _ in range(5000):
        module.inner = nn.Module()
        module = module.inner
    module.weight = Tensor([1.0], requires_grad=True)
    assert len(list(top.named_modules())) == 5001
    assert top.parameters() == [module.weight]
    assert repr(top).count("\n") == 2 * 5000


def test_frozen_parameters_are_saved_and_loaded_and_not_stepped(tmp_path):
    model = nn.MLP([2, 3, 1], rng=0)
    model.layers[0].weight.requires_grad_(False)
    assert [name for name, _ in model.named_parameters()][0] == "layers.0.weight"
    model.save(tmp_path / "model.npz")
    fresh = nn.MLP([2, 3, 1], rng=1)
    fresh.load(tmp_path / "model.npz")
    for (_, p), (_, q) in zip(model.named_parameters(), fresh.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    frozen = model.layers[0].weight.data.copy()
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    model(Tensor(np.ones((4, 2)))).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(model.layers[0].weight.data, frozen)
    assert model.layers[0].weight.grad is None


def test_a_stale_partial_file_never_blocks_a_save(tmp_path):
    model = nn.MLP([2, 2], rng=0)
    # what a killed save of the old scheme left behind (a container's pid is often the same)
    for pid in range(1, 200):
        (tmp_path / f".model.npz.{pid}.partial").write_bytes(b"half a file")
    (tmp_path / f".model.npz.{os.getpid()}.partial").write_bytes(b"half a file")
    model.save(tmp_path / "model.npz")
    nn.MLP([2, 2], rng=1).load(tmp_path / "model.npz")


def test_a_failed_save_leaves_the_earlier_file_and_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.MLP([2, 2], rng=0).save(path)
    before = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"PK\x03\x04 the start of a zip")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="No space left"):
        nn.MLP([2, 2], rng=1).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_a_saved_file_has_the_permissions_of_an_ordinary_file(tmp_path):
    old = os.umask(0o022)
    try:
        nn.MLP([2, 2], rng=0).save(tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.npz").stat().st_mode) == 0o644
