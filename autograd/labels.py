"""Integer class labels: their check (`class_labels`, shared by every loss of labels) and the
cross-entropy of logits against them as one node (`softmax_cross_entropy`)."""

import numpy as np

from . import ops
from .graph import apply_unary
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


def softmax_cross_entropy(logits, labels):
    """-log softmax(logits)[n, labels[n]] for each row n of an (N, C) Tensor: the cross-entropy
    of integer class labels, as one node whose local gradient is softmax(logits) - onehot.
    Labels must be integers in [0, C); they are checked."""
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: expected logits as a Tensor of shape "
                         f"(N, classes), got {getattr(logits, 'shape', type(logits).__name__)}")
    labels = class_labels(labels, *logits.shape, "softmax_cross_entropy")
    return apply_unary(ops.SOFTMAX_CROSS_ENTROPY, logits, {"labels": labels})
