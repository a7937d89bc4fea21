"""Training: the mini-batch loop with a progress bar, evaluation and accuracy."""

import numpy as np

from autograd import Tensor, no_grad
from autograd.compile import training_step

from .data import batches


def accuracy(outputs, labels, threshold=0.0):
    """The fraction of correct predictions: argmax over classes for (N, C) outputs; for a single
    output per sample, output > threshold predicts class 1. Labels are class indices, or
    one-hot / probability rows of shape (N, C) (their argmax is the class)."""
    outputs = np.asarray(outputs.data if isinstance(outputs, Tensor) else outputs)
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(axis=1)
    else:
        predicted = (outputs.reshape(len(labels)) > threshold).astype(labels.dtype)
    return float(np.mean(predicted == labels.reshape(len(predicted))))


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
        quiet=False, compile=False):
    """Train `model` on `train` = (X, y) with mini-batch SGD and return the history: per epoch,
    the mean training loss and accuracy, and the loss and accuracy on `val` when given.

    Each epoch shuffles the data with a generator seeded by `seed`; a tqdm progress bar shows
    the epoch's loss and accuracy unless `quiet`. With `compile`, each step runs as generated
    code (autograd.compile), with the same numbers."""
    from tqdm import tqdm

    X, y = train
    if int(epochs) < 1:
        raise ValueError(f"fit: epochs must be at least 1, got {epochs}")
    rng = np.random.default_rng(seed)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    step = training_step(lambda X, y: _loss_and_outputs(model, loss_fn, X, y), compile, model)
    bar = tqdm(range(int(epochs)), desc="training", unit="epoch", disable=quiet)
    for _ in bar:
        total, correct, seen = 0.0, 0.0, 0
        for X_batch, y_batch in batches(X, y, batch_size, shuffle=True, seed=rng):
            optimizer.zero_grad()
            loss, outputs = step(Tensor(X_batch), y_batch)
            optimizer.step()
            total += loss.item() * len(y_batch)
            correct += accuracy(outputs, y_batch, _threshold(model)) * len(y_batch)
            seen += len(y_batch)
        history["loss"].append(total / seen)
        history["accuracy"].append(correct / seen)
        shown = {"loss": f"{total / seen:.4f}", "acc": f"{correct / seen:.3f}"}
        if val is not None:
            val_loss, val_accuracy = evaluate(model, loss_fn, val)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
            shown.update(val_acc=f"{val_accuracy:.3f}")
        bar.set_postfix(shown)
    return history
