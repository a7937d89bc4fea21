"""Integer class labels: their check (`class_labels`, shared by every loss of labels) and the
cross-entropy of logits against them as one node, per row (`softmax_cross_entropy`) or its mean
(`mean_softmax_cross_entropy`)."""

import numpy as np

from . import ops
from .graph import apply, apply_unary
from .kernels import raw
from .tensor import Tensor


def class_labels(labels, n, classes, name):
    """`labels` as an integer array of shape (n,) with values in [0, classes), or a clear error
    naming `name` (the caller: a loss). Floats that are whole numbers (0.0, 1.0, ...) are
    accepted as labels; a Tensor is read as its data."""
    labels = np.asarray(raw(labels))
    if labels.shape != (n,):
        raise ValueError(f"{name}: {n} rows of scores need {n} labels, got labels of shape "
                         f"{labels.shape}")
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.intp)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype}")
    if n and (labels.astype(np.uint64) >= classes).any():  # negatives wrap to huge values
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ValueError(f"{name}: label {bad} is out of range for {classes} classes "
                         f"(0 to {classes - 1})")
    return labels


def _checked(logits, labels, name):
    """The labels of an (N, C) Tensor of logits, checked, or a clear error naming `name`."""
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError(f"{name}: expected logits as a Tensor of shape (N, classes), got "
                         f"{getattr(logits, 'shape', type(logits).__name__)}")
    return class_labels(labels, *logits.shape, name)


def softmax_cross_entropy(logits, labels):
    """-log softmax(logits)[n, labels[n]] for each row n of an (N, C) Tensor: the cross-entropy
    of integer class labels, as one node whose local gradient is softmax(logits) - onehot.
    Labels must be integers in [0, C); they are checked."""
    labels = _checked(logits, labels, "softmax_cross_entropy")
    return apply_unary(ops.SOFTMAX_CROSS_ENTROPY, logits, {"labels": labels})


def mean_softmax_cross_entropy(logits, labels):
    """The mean over the rows of `softmax_cross_entropy(logits, labels)`, as one node (what
    `nn.cross_entropy(logits, labels)` records): its local gradient is
    (softmax(logits) - onehot) / N, computed from the forward's log-sum-exp. Labels must be
    integers in [0, C); they are checked."""
    labels = _checked(logits, labels, "mean_softmax_cross_entropy")
    return apply(ops.MEAN_SOFTMAX_CROSS_ENTROPY, (logits,), {"labels": labels})
