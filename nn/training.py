"""Training: the mini-batch loop with a progress bar, evaluation and accuracy."""

import numpy as np

from autograd import Tensor, no_grad
from autograd.compile import training_step

from .data import batches


def accuracy(outputs, labels, threshold=0.0):
    """The fraction of correct predictions: argmax over classes for (N, C) outputs; for a single
    output per sample, output > threshold predicts class 1. Labels are class indices, or
    one-hot / probability rows of shape (N, C) (their argmax is the class)."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    predicted = predicted_classes(outputs, threshold)
    if len(predicted) != len(labels.reshape(-1)):
        raise ValueError(f"accuracy: {len(predicted)} predictions but {labels.size} labels")
    return float(np.mean(predicted == labels.reshape(len(predicted))))


def predicted_classes(outputs, threshold=0.0):
    """The class each row of `outputs` predicts: the argmax over classes for (N, C) outputs;
    for one output per sample, 1 where it is above `threshold`, else 0."""
    outputs = np.asarray(outputs.data if isinstance(outputs, Tensor) else outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (outputs.reshape(-1) > threshold).astype(np.int64)


def _threshold(model):
    return 0.5 if getattr(model, "output", None) == "sigmoid" else 0.0


def evaluate(model, loss_fn, data):
    """(loss, accuracy) of `model` on `data` = (X, y), recording no graph."""
    X, y = data
    with no_grad():
        outputs = model(Tensor(X))
        loss = loss_fn(outputs, _targets(y, outputs)).item()
    return loss, accuracy(outputs, y, _threshold(model))


def _targets(y, outputs):
    """Labels as the loss expects them: class indices for (N, C) outputs, a column for (N, 1)."""
    y = np.asarray(y)
    if outputs.ndim == 2 and outputs.shape[1] == 1 and y.ndim == 1:
        return y.reshape(-1, 1).astype(outputs.dtype)
    return y


def _loss_and_outputs(model, loss_fn, X, y):
    outputs = model(X)
    return loss_fn(outputs, _targets(y, outputs)), outputs


def fit(model, loss_fn, optimizer, train, epochs=10, batch_size=32, val=None, seed=0,
        quiet=False, compile=False, live=False):
    """Train `model` on `train` = (X, y) with mini-batch SGD and return the history: per epoch,
    the mean training loss and accuracy, and the loss and accuracy on `val` when given.

    Each epoch shuffles the data with a generator seeded by `seed`; a tqdm progress bar shows
    the epoch's loss and accuracy unless `quiet`. With `compile`, each step runs as generated
    code (autograd.compile), with the same numbers. With `live=True` (or an `nn.LiveView`),
    the training is drawn while it runs: curves, the model's graph, the weights' and
    gradients' histograms and, for 2-D inputs, the decision boundary (see nn.LiveView;
    outside Jupyter it says so and training goes on)."""
    from tqdm import tqdm

    X, y = train
    if int(epochs) < 1:
        raise ValueError(f"fit: epochs must be at least 1, got {epochs}")
    view = _live_view(live, model, train)
    rng = np.random.default_rng(seed)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    step = training_step(lambda X, y: _loss_and_outputs(model, loss_fn, X, y), compile, model)
    if view is not None:
        view.show()
    bar = tqdm(range(int(epochs)), desc="training", unit="epoch", disable=quiet)
    for epoch in bar:
        total, correct, seen = 0.0, 0.0, 0
        for X_batch, y_batch in batches(X, y, batch_size, shuffle=True, seed=rng):
            optimizer.zero_grad()
            loss, outputs = step(Tensor(X_batch), y_batch)
            optimizer.step()
            total += loss.item() * len(y_batch)
            correct += accuracy(outputs, y_batch, _threshold(model)) * len(y_batch)
            seen += len(y_batch)
            if view is not None:
                view.update()  # throttled: mostly a look at the clock
        history["loss"].append(total / seen)
        history["accuracy"].append(correct / seen)
        shown = {"loss": f"{total / seen:.4f}", "acc": f"{correct / seen:.3f}"}
        if val is not None:
            val_loss, val_accuracy = evaluate(model, loss_fn, val)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
            shown.update(val_acc=f"{val_accuracy:.3f}")
        bar.set_postfix(shown)
        if view is not None:
            view.update(epoch + 1, **{name: values[-1] for name, values in history.items()
                                      if values})
    if view is not None:
        view.finish()
    return history


def _live_view(live, model, train):
    """The LiveView `fit` draws on: None for live=False, a new one for live=True."""
    from .live import LiveView
    if live is False or live is None:
        return None
    if live is True:
        return LiveView(model, data=train)
    if isinstance(live, LiveView):
        return live
    raise TypeError(f"fit: live must be True, False or an nn.LiveView, got "
                    f"{type(live).__name__}")
