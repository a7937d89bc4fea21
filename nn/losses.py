"""The loss family: squared errors, cross-entropies, KL divergence and entropy.

Every loss takes `reduction`: "mean" (over samples or elements), "sum", or "none" (one value
per sample or element). Losses are built from the engine's stable primitives (log_softmax,
the fused softmax cross-entropy, log, exp), so their gradients come from the op table and are
checked by the tests. A loss of elementwise terms is written once, as its term: `elementwise`
applies it to Tensors at once or to lists of Scalars one element at a time.
"""

import math

import numpy as np

import autograd
from autograd import OPS, Scalar, Tensor, class_labels
from autograd.kernels import raw

from .layers import elementwise

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(values, reduction, name):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {', '.join(_REDUCTIONS)}, "
                         f"got {reduction!r}")
    if reduction == "none":
        return values
    if isinstance(values, list):  # Scalars, one per element
        total = sum(values[1:], values[0])
        return total if reduction == "sum" else total / len(values)
    return values.sum() if reduction == "sum" else values.mean()


def _constant(target, like, name):
    """The target shaped like the prediction: raw data in the prediction's dtype, or a clear
    error. A target that requires a gradient (a Tensor, or Scalars for a list of Scalars) stays
    a graph value, so the loss differentiates with respect to it too (as in PyTorch)."""
    if isinstance(like, list):
        items = target if isinstance(target, (list, tuple)) else [target]
        if any(isinstance(t, Tensor) for t in items):
            raise TypeError(f"{name}: Scalar predictions need numbers or Scalars as targets, "
                            f"got a Tensor")
        if not any(isinstance(t, Scalar) for t in items):
            items = list(np.ravel(np.asarray(target, dtype=float)))
        if len(items) != len(like):
            raise ValueError(f"{name}: {len(like)} predictions but {len(items)} targets")
        return [t if isinstance(t, Scalar) and t.requires_grad else float(t) for t in items]
    if isinstance(target, Scalar):
        raise TypeError(f"{name}: Tensor predictions need an array or a Tensor as targets, got "
                        f"a Scalar")
    if isinstance(target, Tensor) and target.requires_grad:
        if target.shape != like.shape:
            raise ValueError(f"{name}: predictions have shape {like.shape} but targets have "
                             f"shape {target.shape}; they must be equal")
        return target
    target = np.asarray(raw(target))
    if target.dtype.kind not in "biuf":
        raise TypeError(f"{name}: targets must be numbers, got dtype {target.dtype}")
    if target.shape != like.shape:
        raise ValueError(f"{name}: predictions have shape {like.shape} but targets have shape "
                         f"{target.shape}; they must be equal")
    return target.astype(like.dtype)


def _raw(values):
    """The numbers of a target or prediction (Tensor, list of Scalars or floats, or array)."""
    return [raw(v) for v in values] if isinstance(values, list) else raw(values)


def _prediction(pred, name):
    if isinstance(pred, Tensor):
        return pred
    if isinstance(pred, Scalar):
        return [pred]
    if isinstance(pred, (list, tuple)):
        stray = next((p for p in pred if not isinstance(p, Scalar)), None)
        if stray is None:
            return list(pred)
        raise TypeError(f"{name}: predictions given as a list must all be Scalars (the model's "
                        f"outputs), got a {type(stray).__name__} {stray!r:.30}; plain numbers "
                        f"have no gradient: compute the predictions with the model")
    raise TypeError(f"{name}: predictions must be a Tensor (or Scalars), got "
                    f"{type(pred).__name__}")


def _squared_error(p, y):
    d = p - y  # one sub node, feeding both wires of the square
    return d * d


def _squared_errors(pred, target, name):
    pred = _prediction(pred, name)
    return elementwise(_squared_error, pred, _constant(target, pred, name))


def sse(pred, target, reduction="sum"):
    """Sum of squared errors: L = sum_i (y_i - yhat_i)^2 (reduction "sum" by default)."""
    return _reduce(_squared_errors(pred, target, "sse"), reduction, "sse")


def mse(pred, target, reduction="mean", half=False):
    """Mean squared error: L = mean_i (y_i - yhat_i)^2, or with `half=True` the course's
    L = 1/2 mean_i (y_i - yhat_i)^2, whose gradient is (yhat - y) without the factor 2."""
    loss = _reduce(_squared_errors(pred, target, "mse"), reduction, "mse")
    return elementwise(lambda v: v * 0.5, loss) if half else loss


def _check_probabilities(values, name, what):
    values = np.asarray(values, dtype=float)
    if np.any((values < 0) | (values > 1)) or np.any(np.isnan(values)):
        bad = values[(values < 0) | (values > 1) | np.isnan(values)][0]
        raise ValueError(f"{name}: {what} must lie in [0, 1], found {bad}")


def binary_cross_entropy(prob, target, reduction="mean", eps=1e-12):
    """Binary cross-entropy on probabilities: L = -[y log p + (1 - y) log(1 - p)].

    p and 1 - p are each clipped below at eps before the log, so log(0) never happens (the
    clip passes no gradient where it is active); clipping 1 - p rather than p keeps this true
    in float32, where 1 - 1e-12 rounds to 1. For logits use
    `binary_cross_entropy_with_logits`, which needs no clip."""
    name = "binary_cross_entropy"
    prob = _prediction(prob, name)
    target = _constant(target, prob, name)
    _check_probabilities(_raw(prob), name, "probabilities")
    _check_probabilities(_raw(target), name, "targets")

    def term(p, y):
        return -(y * _clipped_below(p, eps).log()
                 + (1.0 - y) * _clipped_below(1.0 - p, eps).log())

    return _reduce(elementwise(term, prob, target), reduction, name)


def _clipped_below(p, eps):
    """p clipped below at eps, max(p, eps): no gradient flows where the clip is active."""
    return p.maximum(eps)


def _logit_cross_entropy(z, y):
    # softplus(z) = log(1 + e^z), the engine's stable op: one node, whose gradient is sigmoid(z)
    return autograd.softplus(z) - z * y


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy of sigmoid(z) against y, from the logit z, stable for any z:
    L = softplus(z) - z y = log(1 + e^z) - z y. Its gradient is sigmoid(z) - y."""
    name = "binary_cross_entropy_with_logits"
    logits = _prediction(logits, name)
    target = _constant(target, logits, name)
    _check_probabilities(_raw(target), name, "targets")
    return _reduce(elementwise(_logit_cross_entropy, logits, target), reduction, name)


def _labels(target, log_probs, name):
    """Integer class labels for rows of `log_probs`, validated."""
    return class_labels(target, log_probs.shape[0], log_probs.shape[-1], name)


def nll_loss(log_probs, target, reduction="mean"):
    """Negative log-likelihood of integer labels from log-probabilities of shape (N, C):
    L_n = -log p_n[y_n]."""
    if not isinstance(log_probs, Tensor) or log_probs.ndim != 2:
        raise ValueError(f"nll_loss: expected a Tensor of shape (N, classes), got "
                         f"{getattr(log_probs, 'shape', type(log_probs).__name__)}")
    return _picked(log_probs, target, reduction, "nll_loss")


def _picked(log_probs, target, reduction, name):
    """-log p[n, y_n] for each row n, reduced."""
    labels = _labels(target, log_probs, name)
    return _reduce(-log_probs[np.arange(len(labels)), labels], reduction, name)


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy from logits of shape (N, C), through a stable log-softmax.

    `target` holds integer class labels of shape (N,), or probabilities / one-hot rows of shape
    (N, C): L_n = -sum_c y_nc log softmax(z_n)_c. Its gradient with respect to the logits is
    softmax(z) - y (divided by N for the mean). With labels, the loss is one node of the
    engine whose local gradient is exactly that: `mean_softmax_cross_entropy` for the mean
    (its rule reuses the forward's log-sum-exp), `softmax_cross_entropy` per row otherwise."""
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError(f"cross_entropy: expected logits as a Tensor of shape (N, classes), "
                         f"got {getattr(logits, 'shape', type(logits).__name__)}")
    numbers = np.asarray(_raw(target))
    if numbers.ndim == 1:
        if isinstance(target, Tensor) and target.requires_grad:
            raise TypeError("cross_entropy: integer class labels have no gradient; give "
                            "probability rows of shape (N, C) for a target that requires one")
        labels = _labels(numbers, logits, "cross_entropy")
        if reduction == "mean":
            return OPS["mean_softmax_cross_entropy"](logits, labels=labels)
        return _reduce(OPS["softmax_cross_entropy"](logits, labels=labels), reduction,
                       "cross_entropy")
    target = _constant(target, logits, "cross_entropy")
    _check_probabilities(_raw(target), "cross_entropy", "target probabilities")
    return _reduce(-(logits.log_softmax(axis=-1) * target).sum(axis=-1), reduction,
                   "cross_entropy")


def _distribution(p, name, what):
    if isinstance(p, Tensor):
        _check_probabilities(p.data, name, what)
        return p
    values = np.asarray(p, dtype=float)
    _check_probabilities(values, name, what)
    return Tensor(values)


def _plogq(p, q):
    """p log q elementwise, with 0 log q = 0 (the convention of information theory)."""
    zero = (p.data == 0)
    return p * (q + zero).log()


def entropy(p, base=math.e, reduction="mean"):
    """Entropy H(p) = -sum_k p_k log p_k over the last axis, in nats (base e) or bits (base 2).
    `reduction` combines the entropies of a batch of distributions."""
    p = _distribution(p, "entropy", "probabilities")
    return _reduce(-_plogq(p, p).sum(axis=-1) / math.log(base), reduction, "entropy")


def kl_divergence(p, q, base=math.e, reduction="mean"):
    """The Kullback-Leibler divergence KL(p || q) = sum_k p_k log(p_k / q_k) over the last axis:
    the true KL of distribution p from q (not PyTorch's kl_div, which takes log q first).
    It is inf where q_k = 0 < p_k."""
    p = _distribution(p, "kl_divergence", "p")
    q = _distribution(q, "kl_divergence", "q")
    if p.shape != q.shape:
        raise ValueError(f"kl_divergence: p has shape {p.shape} but q has shape {q.shape}")
    with np.errstate(divide="ignore"):
        value = (_plogq(p, p) - _plogq(p, q)).sum(axis=-1) / math.log(base)
    return _reduce(value, reduction, "kl_divergence")
