"""The main job: `python -m nn` (or `gategrad`) trains an MLP and writes what it learned.

By default: a 64-30-10 sigmoid network on the bundled 8x8 digits, cross-entropy, mini-batch SGD;
it prints the test accuracy and writes a loss curve (PNG) and a diagram of the model's graph
(SVG, with Graphviz) and the trained parameters (model.npz) into --out.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from . import data, losses
from .layers import ACTIVATIONS, MLP
from .optim import SGD
from .training import evaluate, fit

LOSSES = {"cross_entropy": losses.cross_entropy, "mse": losses.mse,
          "bce_with_logits": losses.binary_cross_entropy_with_logits}


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m nn", description="Train an MLP with gategrad and draw its graph.")
    parser.add_argument("--dataset", default="digits", choices=["digits", "moons", "challenger",
                                                                "idx"])
    parser.add_argument("--idx-images", help="IDX images file (.gz or raw) for --dataset idx")
    parser.add_argument("--idx-labels", help="IDX labels file (.gz or raw) for --dataset idx")
    parser.add_argument("--hidden", default="30",
                        help="hidden layer sizes, comma-separated (default 30; '' for none)")
    parser.add_argument("--activation", default="sigmoid", choices=sorted(ACTIVATIONS))
    parser.add_argument("--loss", default="cross_entropy", choices=sorted(LOSSES))
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="directory for the outputs (default out/)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--compile", action="store_true",
                        help="run each training step as generated code (autograd.compile)")
    return parser


def _load(args, parser):
    if args.dataset == "digits":
        return data.load_digits(seed=args.seed)
    if args.dataset == "moons":
        X, y = data.make_moons(400, noise=0.15, seed=args.seed)
        return data.split(X, y, seed=args.seed)
    if args.dataset == "challenger":
        temperature, distress = data.load_challenger()
        X = ((temperature - temperature.mean()) / temperature.std()).reshape(-1, 1)
        return data.split(X, distress, seed=args.seed)
    if not (args.idx_images and args.idx_labels):
        parser.error("--dataset idx needs --idx-images and --idx-labels")
    images, labels = data.load_idx(args.idx_images), data.load_idx(args.idx_labels)
    if len(images) != len(labels):
        parser.error(f"{len(images)} images but {len(labels)} labels")
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return data.split(X, labels.astype(np.int64), seed=args.seed)


def main(argv=None):
    """Run the main job with command-line arguments `argv` (default: sys.argv[1:])."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        hidden = [int(n) for n in args.hidden.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--hidden must be comma-separated sizes such as 30 or 100,30; got "
                     f"{args.hidden!r}")
    problems = [f"{flag} must be {rule}, got {value}" for flag, value, ok, rule in [
        ("--hidden", args.hidden, all(n >= 1 for n in hidden), "sizes of at least 1"),
        ("--epochs", args.epochs, args.epochs >= 1, "at least 1"),
        ("--batch-size", args.batch_size, args.batch_size >= 1, "at least 1"),
        ("--lr", args.lr, args.lr > 0, "above 0"),
        ("--momentum", args.momentum, args.momentum >= 0, "at least 0")] if not ok]
    if problems:
        parser.error("; ".join(problems))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        parser.error(f"--out {out} is a file; give a directory for the outputs")
    try:
        (X_train, y_train), (X_test, y_test) = _load(args, parser)
    except ValueError as error:  # a malformed or missing IDX file
        parser.error(str(error))
    classes = int(max(y_train.max(), y_test.max())) + 1
    if args.loss == "bce_with_logits" and classes != 2:
        parser.error(f"--loss bce_with_logits needs two classes; {args.dataset} has {classes}")
    outputs = 1 if args.loss == "bce_with_logits" else classes
    model = MLP([X_train.shape[1], *hidden, outputs], activation=args.activation,
                output="sigmoid" if args.loss == "mse" else "identity", rng=args.seed)
    loss_fn = LOSSES[args.loss]
    if args.loss == "mse":
        def loss_fn(out, y, _mse=losses.mse):  # one-hot targets for the quadratic cost
            return _mse(out, np.eye(classes)[np.asarray(y)], half=True)
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    print(f"training {model!r} on {args.dataset}: {len(y_train)} training and {len(y_test)} "
          f"test samples, {args.loss}, lr {args.lr}, batch {args.batch_size}, "
          f"{args.epochs} epochs")
    history = fit(model, loss_fn, optimizer, (X_train, y_train), epochs=args.epochs,
                  batch_size=args.batch_size, val=(X_test, y_test), seed=args.seed,
                  quiet=args.quiet, compile=args.compile)
    test_loss, test_accuracy = evaluate(model, loss_fn, (X_test, y_test))
    print(f"test accuracy: {test_accuracy:.4f}  (test loss {test_loss:.4f})")
    out.mkdir(parents=True, exist_ok=True)
    curve = _plot_history(history, out / "loss_curve.png", f"{model!r} on {args.dataset}")
    diagram = _draw_model(model, loss_fn, X_train[:2], y_train[:2], out / "model_graph.svg")
    model.save(out / "model.npz")
    print(f"wrote {curve}, {diagram} and {out / 'model.npz'}")
    return 0


def _plot_history(history, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(epochs, history["loss"], label="training")
    axes[0].plot(epochs, history["val_loss"], label="test")
    axes[0].set(title="Loss per epoch", xlabel="epoch", ylabel="loss (nats)")
    axes[1].plot(epochs, np.array(history["accuracy"]) * 100, label="training")
    axes[1].plot(epochs, np.array(history["val_accuracy"]) * 100, label="test")
    axes[1].set(title="Accuracy per epoch", xlabel="epoch", ylabel="accuracy (%)")
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _draw_model(model, loss_fn, X, y, path):
    """Draw the graph of the loss on a small batch, one box per layer, with fresh gradients."""
    import autograd
    from autograd import Tensor

    outputs = model(Tensor(X))
    loss = loss_fn(outputs, y.reshape(-1, 1).astype(float) if outputs.shape[1] == 1 else y)
    model.zero_grad()  # the diagram shows this batch's gradients, not the last training step's
    loss.backward()
    path.write_bytes(autograd.draw(loss, model=model).pipe(format="svg"))
    return path


if __name__ == "__main__":
    sys.exit(main())
