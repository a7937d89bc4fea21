"""W1: micrograd's demo step: a 2-16-16-1 ReLU MLP on 100 two-moons points, SVM max-margin loss
plus 1e-4 L2, one SGD step; gategrad Scalars vs hand-written Python floats vs micrograd."""

import nn
from autograd import Scalar

ALPHA, LR = 1e-4, 0.05


def setup(seed=0):
    """The data (labels -1/+1) and a seeded Scalar network."""
    X, y = nn.data.make_moons(100, noise=0.1, seed=seed)
    model = nn.MLP([2, 16, 16, 1], activation="relu", value=Scalar, rng=seed)
    return [list(map(float, row)) for row in X], [float(2 * v - 1) for v in y], model


def weights_of(model):
    """Per layer: W[j][i] (neuron j, input i) and b[j], as floats."""
    return [([[layer.weight[i][j].data for i in range(layer.n_in)] for j in range(layer.n_out)],
             [b.data for b in layer.bias]) for layer in model.layers]


def engine_step(X, y, model):
    """One training step with the engine; returns the loss."""
    params = model.parameters()
    scores = [model(x)[0] for x in X]
    margins = [(1.0 - yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(margins[1:], margins[0]) * (1.0 / len(margins))
    squares = [p * p for p in params]
    loss = data_loss + ALPHA * sum(squares[1:], squares[0])
    for p in params:
        p.grad = None
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss.data


def reference_step(X, y, layers):
    """The same step with Python floats and a hand-written backward pass (mutates `layers`)."""
    n = len(X)
    grads = [([[0.0] * len(W[0]) for _ in W], [0.0] * len(b)) for W, b in layers]
    loss = 0.0
    for x, target in zip(X, y):
        activations, pre = [x], []
        for k, (W, b) in enumerate(layers):
            z = [sum(w * a for w, a in zip(row, activations[-1])) + bj for row, bj in zip(W, b)]
            pre.append(z)
            activations.append(z if k == len(layers) - 1 else [v if v > 0 else 0.0 for v in z])
        score = activations[-1][0]
        margin = 1.0 - target * score
        if margin <= 0:
            continue
        loss += margin / n
        delta = [-target / n]
        for k in range(len(layers) - 1, -1, -1):
            W, _ = layers[k]
            gW, gb = grads[k]
            inputs = activations[k]
            for j, d in enumerate(delta):
                if d:
                    row = gW[j]
                    for i, a in enumerate(inputs):
                        row[i] += d * a
                    gb[j] += d
            if k:
                back = [sum(delta[j] * W[j][i] for j in range(len(delta)))
                        for i in range(len(inputs))]
                delta = [g if z > 0 else 0.0 for g, z in zip(back, pre[k - 1])]
    for (W, b), (gW, gb) in zip(layers, grads):
        for j in range(len(W)):
            for i in range(len(W[j])):
                loss += ALPHA * W[j][i] * W[j][i]
                W[j][i] -= LR * (gW[j][i] + 2 * ALPHA * W[j][i])
            loss += ALPHA * b[j] * b[j]
            b[j] -= LR * (gb[j] + 2 * ALPHA * b[j])
    return loss


def micrograd_step(X, y, model):
    """The same step with micrograd (karpathy/micrograd), as in its demo notebook."""
    from micrograd.engine import Value
    params = model.parameters()
    scores = [model([Value(v) for v in x]) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    loss = data_loss + ALPHA * sum(p * p for p in params)
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss.data


def micrograd_model(layers):
    """A micrograd MLP holding the given weights."""
    from micrograd.nn import MLP
    model = MLP(2, [16, 16, 1])
    for layer, (W, b) in zip(model.layers, layers):
        for neuron, row, bj in zip(layer.neurons, W, b):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = bj
    return model
