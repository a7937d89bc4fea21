"""The main job: `python -m nn` (or `gategrad`) trains an MLP and writes what it learned.

By default: a 64-30-10 sigmoid network on the bundled 8x8 digits, cross-entropy, mini-batch SGD;
it prints the test accuracy and writes a loss curve (PNG) and a diagram of the model's graph
(SVG, with Graphviz) and the trained parameters (model.npz) into --out.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from . import data, losses
from autograd.files import write_atomically
from .layers import ACTIVATIONS, MLP
from .optim import SGD, hyperparameter_problems
from .training import evaluate, fit

LOSSES = {"cross_entropy": losses.cross_entropy, "mse": losses.mse,
          "bce_with_logits": losses.binary_cross_entropy_with_logits}


OUTPUTS = ("model.npz", "loss_curve.png", "model_graph.svg")

MAX_EPOCHS = 1_000_000
MAX_WIDTH = 100_000  # units in a hidden layer
BYTES_PER_PARAMETER = 4 * 8  # its value, its gradient, a momentum buffer and a step's temporary
SHAPES = {"digits": (64, 10), "moons": (2, 2), "challenger": (1, 2)}
"""Each bundled dataset's number of input features and of classes (known before loading)."""


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr (exit status 2), not usage and all."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _prog():
    """The command's name as the user typed it: `gategrad`, or `python -m nn`."""
    name = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return name if name.startswith("gategrad") else "python -m nn"


def _parser():
    parser = _Parser(prog=_prog(), description="Train an MLP with gategrad and draw its graph: "
                     "writes " + ", ".join(OUTPUTS) + " into --out.")
    add = parser.add_argument
    add("--dataset", default="digits", choices=["digits", "moons", "challenger", "idx"],
        help="the data: the bundled 8x8 digits, two moons, the Challenger O-rings, or MNIST-style "
             "IDX files (default %(default)s)")
    add("--idx-images", metavar="FILE", help="IDX images file (.gz or raw) for --dataset idx "
        "(default: none)")
    add("--idx-labels", metavar="FILE", help="IDX labels file (.gz or raw) for --dataset idx "
        "(default: none)")
    add("--hidden", default="30",
        help="hidden layer sizes, comma-separated, '' for none (default %(default)s)")
    add("--activation", default="sigmoid", choices=sorted(ACTIVATIONS),
        help="activation of the hidden layers (default %(default)s)")
    add("--loss", default="cross_entropy", choices=sorted(LOSSES),
        help="the loss; mse uses sigmoid outputs and one-hot targets, bce_with_logits needs two "
             "classes (default %(default)s)")
    add("--lr", type=float, default=0.5, help="learning rate, above 0 (default %(default)s)")
    add("--momentum", type=float, default=0.0,
        help="SGD momentum, in [0, 1) (default %(default)s)")
    add("--batch-size", type=int, default=10, help="mini-batch size (default %(default)s)")
    add("--epochs", type=int, default=30, help="passes over the training data "
        "(default %(default)s)")
    add("--seed", type=int, default=0,
        help="seed of the data split, the initial weights and the shuffling (default %(default)s)")
    add("--out", default="out", metavar="DIR",
        help="directory for the outputs, created if missing (default %(default)s)")
    add("--force", action="store_true",
        help="replace the outputs of an earlier run in --out (default: refuse)")
    add("--quiet", action="store_true", help="no progress bar (default: a bar per epoch)")
    add("--compile", action=argparse.BooleanOptionalAction, default=None,
        help="run each training step as generated code (autograd.compile): the same numbers, "
             "faster (default: on for cross_entropy, whose steps it compiles whole; off for the "
             "other losses, which would fall back to the eager engine)")
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
    images, labels = data.load_idx(args.idx_images), data.load_idx(args.idx_labels)
    if len(images) != len(labels):
        parser.error(f"{len(images)} images but {len(labels)} labels")
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return data.split(X, labels.astype(np.int64), seed=args.seed)


def main(argv=None):
    """Run the main job with command-line arguments `argv` (default: sys.argv[1:]). Every flag,
    the output directory and the tools are checked before any work; bad input exits with status
    2 and one line on stderr. Returns 0, or 1 when training diverged or the outputs could not be
    written (nothing of an earlier run is then replaced)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        hidden = [int(n) for n in args.hidden.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--hidden must be comma-separated sizes such as 30 or 100,30; got "
                     f"{args.hidden!r}")
    problems = [f"{flag} must be {rule}, got {value}" for flag, value, ok, rule in [
        ("--hidden", args.hidden, all(1 <= n <= MAX_WIDTH for n in hidden),
         f"sizes between 1 and {MAX_WIDTH}"),
        ("--epochs", args.epochs, 1 <= args.epochs <= MAX_EPOCHS,
         f"between 1 and {MAX_EPOCHS}"),
        ("--batch-size", args.batch_size, args.batch_size >= 1, "at least 1"),
        ("--seed", args.seed, 0 <= args.seed < 2 ** 128, "between 0 and 2**128 - 1")] if not ok]
    if not problems and args.dataset in SHAPES:
        problems += filter(None, [_memory_problem(args.hidden, hidden, *SHAPES[args.dataset])])
    problems += ["--" + p for p in hyperparameter_problems(lr=args.lr, momentum=args.momentum)]
    if args.dataset == "idx" and not (args.idx_images and args.idx_labels):
        problems.append("--dataset idx needs --idx-images and --idx-labels")
    problems += filter(None, [_output_problem(Path(args.out), args.force), _missing_tools()])
    if problems:
        parser.error("; ".join(problems))
    out = Path(args.out)
    try:
        (X_train, y_train), (X_test, y_test) = _load(args, parser)
    except (OSError, ValueError) as error:  # a missing, unreadable or malformed IDX file
        parser.error(str(error).replace("\n", " "))
    classes = int(max(y_train.max(), y_test.max())) + 1
    if args.dataset not in SHAPES:  # an IDX file's sizes are known once it is read
        problem = _memory_problem(args.hidden, hidden, X_train.shape[1], classes)
        if problem:
            parser.error(problem)
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
                  quiet=args.quiet,
                  compile=args.loss == "cross_entropy" if args.compile is None else args.compile)
    if not all(np.all(np.isfinite(p.data)) for p in model.parameters()) or \
            not np.isfinite(history["loss"][-1]):
        print(f"{parser.prog}: error: training diverged (the parameters or the loss are no "
              f"longer finite numbers); try a smaller --lr. Nothing was written.",
              file=sys.stderr)
        return 1
    test_loss, test_accuracy = evaluate(model, loss_fn, (X_test, y_test))
    print(f"test accuracy: {test_accuracy:.4f}  (test loss {test_loss:.4f})")
    try:
        diagram = _draw_model(model, loss_fn, X_train[:2], y_train[:2])
        out.mkdir(parents=True, exist_ok=True)
        write_atomically({  # all three or none
            out / "model.npz": model.save,
            out / "loss_curve.png": lambda file: _plot_history(
                history, file, f"{model!r} on {args.dataset}"),
            out / "model_graph.svg": lambda file: file.write(diagram)})
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        print(f"{parser.prog}: error: cannot write the outputs into {out}: {error}",
              file=sys.stderr)
        return 1
    print(f"wrote {', '.join(str(out / name) for name in OUTPUTS)}")
    return 0


def _output_problem(out, force):
    """Why the outputs cannot go into the directory `out`, or None. Checked before any work."""
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file; give a directory for the outputs"
    existing = out if out.exists() else next(p for p in out.absolute().parents if p.exists())
    if not existing.is_dir():
        return f"--out {out}: {existing} is a file, so the directory cannot be created"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"--out {out}: {existing} is not writable"
    blocked = [name for name in OUTPUTS if (out / name).is_dir()]
    if blocked:
        return f"--out {out} has a directory where {', '.join(blocked)} would go; move it away"
    earlier = [name for name in OUTPUTS if (out / name).exists()]
    if earlier and not force:
        return (f"--out {out} already holds {', '.join(earlier)} from an earlier run; pass "
                f"--force to replace them or choose another --out")
    return None


def _memory_problem(flag_value, hidden, inputs, classes):
    """Why the MLP with `hidden` layers between `inputs` features and `classes` outputs cannot
    be trained in this machine's memory (more than half of it for the parameters, their
    gradients and the optimiser's state), or None."""
    sizes = [inputs, *hidden, classes]
    needed = BYTES_PER_PARAMETER * sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    memory = _physical_memory()
    if needed <= memory // 2:
        return None
    return (f"--hidden {flag_value}: a model of layers {'-'.join(map(str, sizes))} needs about "
            f"{_gigabytes(needed)} for its parameters, gradients and optimiser state, more than "
            f"half of this machine's memory ({_gigabytes(memory)}); use smaller layers")


def _physical_memory():
    """The machine's memory in bytes (8 GiB where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 8 * 2 ** 30


def _gigabytes(n):
    """n bytes in GiB (in MiB below one GiB)."""
    return f"{n / 2 ** 30:,.1f} GiB" if n >= 2 ** 30 else f"{n / 2 ** 20:,.1f} MiB"


def _missing_tools():
    """What is missing to plot and draw (checked before training), or None."""
    missing = []
    for module, extra in (("tqdm", "train"), ("matplotlib", "train"), ("graphviz", "viz")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module} (pip install 'gategrad[{extra}]')")
    if shutil.which("dot") is None:
        missing.append("Graphviz's dot program (apt-get install graphviz)")
    return "missing " + " and ".join(missing) if missing else None


def _plot_history(history, file, title):
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
    figure.savefig(file, format="png", dpi=100)
    plt.close(figure)


def _draw_model(model, loss_fn, X, y):
    """The SVG of the graph of the loss on a small batch, one box per layer, with fresh
    gradients."""
    import autograd
    from autograd import Tensor

    outputs = model(Tensor(X))
    loss = loss_fn(outputs, y.reshape(-1, 1).astype(float) if outputs.shape[1] == 1 else y)
    model.zero_grad()  # the diagram shows this batch's gradients, not the last training step's
    loss.backward()
    return autograd.draw(loss, model=model).pipe(format="svg")


if __name__ == "__main__":
    sys.exit(main())
