"""Gradient checking: the engine's gradients against central finite differences (numpy only)."""

import numpy as np

from ..graph import Node, backward
from ..scalar import Scalar
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message names the input and the element."""


def _leaves(inputs):
    """Fresh float64 leaves for the inputs (numbers become Scalars, arrays Tensors)."""
    leaves = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if x.dtype != np.float64:
                raise TypeError(f"gradcheck: input {i} is {x.dtype}; finite differences need "
                                f"float64 (make it with Tensor(x, dtype=np.float64))")
            leaves.append(Tensor(x.data, requires_grad=True, label=x.label))
        elif isinstance(x, Scalar):
            leaves.append(Scalar(x.data, label=x.label))
        elif isinstance(x, np.ndarray) and x.dtype != np.float64 and x.dtype.kind == "f":
            raise TypeError(f"gradcheck: input {i} is {x.dtype}; finite differences need float64")
        elif isinstance(x, (np.ndarray, list, tuple)):
            leaves.append(Tensor(x, requires_grad=True))
        else:
            leaves.append(Scalar(x))
    return leaves


def _output_weights(out, weights):
    """The output gradient to backpropagate: 1 for a single number, else fixed random weights,
    so the check is of <w, f(x)> without adding any op to f's graph."""
    if isinstance(out, Scalar):
        return 1.0
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Scalar or a Tensor, got "
                        f"{type(out).__name__}")
    return np.ones(out.shape) if out.size == 1 else weights(out.shape)


def _weights_for(seed):
    cache = {}

    def weights(shape):
        if shape not in cache:
            cache[shape] = np.random.default_rng(seed).normal(size=shape)
        return cache[shape]
    return weights


def _value(f, datas, kinds, weights):
    # leaves require gradients, as in the analytic pass: f may differentiate inside itself
    values = [Scalar(float(d)) if kind is Scalar else Tensor(d, requires_grad=True)
              for d, kind in zip(datas, kinds)]
    out = f(*values)
    return float(np.sum(_output_weights(out, weights) * np.asarray(out.data)))


def gradcheck(f, *inputs, eps=1e-6, atol=1e-6, rtol=1e-5, mode="both", seed=0):
    """Check the gradients of `f` at `inputs` against central finite differences.

    `inputs` are Scalars, float64 Tensors, numbers or float64 arrays; f may return a Scalar or
    a Tensor of any shape (checked through a fixed random weighting of its elements). `mode`
    "elementwise" perturbs each element, "directional" moves all inputs along random
    directions, "both" does both. Raises GradcheckError naming the input, the worst element,
    the analytic and numeric values and the tolerance; returns True when all agree.
    """
    if mode not in ("both", "elementwise", "directional"):
        raise ValueError(f"gradcheck: mode must be 'both', 'elementwise' or 'directional', "
                         f"got {mode!r}")
    leaves = _leaves(inputs)
    kinds = [type(x) for x in leaves]
    weights = _weights_for(seed)
    out = f(*leaves)
    seed_grad = _output_weights(out, weights)
    if not isinstance(out, Node) or not out.requires_grad:
        analytic = [np.zeros(np.shape(x.data)) for x in leaves]
    else:
        analytic = [np.zeros(np.shape(x.data)) if g is None else np.asarray(g, dtype=float)
                    for g, x in zip(backward(out, seed_grad, inputs=leaves), leaves)]
    datas = [np.array(x.data, dtype=np.float64) for x in leaves]
    names = [f"input {i}" + (f" ({x.label})" if x.label else "") for i, x in enumerate(leaves)]
    if mode in ("both", "elementwise"):
        for i, data in enumerate(datas):
            numeric = np.zeros_like(data)
            for index in np.ndindex(data.shape):
                shifted = [d.copy() for d in datas]
                shifted[i][index] += eps
                plus = _value(f, shifted, kinds, weights)
                shifted[i][index] -= 2 * eps
                minus = _value(f, shifted, kinds, weights)
                numeric[index] = (plus - minus) / (2 * eps)
            _compare(analytic[i], numeric, names[i], atol, rtol, "element")
    if mode in ("both", "directional"):
        rng = np.random.default_rng(seed + 1)
        for trial in range(3):
            directions = [rng.normal(size=d.shape) for d in datas]
            plus = _value(f, [d + eps * v for d, v in zip(datas, directions)], kinds, weights)
            minus = _value(f, [d - eps * v for d, v in zip(datas, directions)], kinds, weights)
            numeric = (plus - minus) / (2 * eps)
            exact = sum(float(np.sum(a * v)) for a, v in zip(analytic, directions))
            if not abs(exact - numeric) <= atol + rtol * abs(numeric):
                raise GradcheckError(
                    f"gradcheck: along random direction {trial} the analytic derivative is "
                    f"{exact:.10g} but finite differences give {numeric:.10g} "
                    f"(tolerance {atol:g} + {rtol:g} * |numeric|)")
    return True


def _compare(analytic, numeric, name, atol, rtol, what):
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if np.any(~np.isfinite(analytic) & np.isfinite(numeric)) or np.any(error > 0):
        worst = np.unravel_index(np.nanargmax(np.where(np.isfinite(error), error, np.inf)),
                                 error.shape) if error.ndim else ()
        worst = tuple(int(i) for i in worst)
        raise GradcheckError(
            f"gradcheck: the gradient of {name} is wrong at {what} {worst}: analytic "
            f"{np.asarray(analytic)[worst]:.10g}, numeric {np.asarray(numeric)[worst]:.10g} "
            f"(tolerance {atol:g} + {rtol:g} * |numeric|)")


def gradgradcheck(f, *inputs, eps=1e-5, atol=1e-5, rtol=1e-4, seed=0):
    """Check second derivatives: the gradients of <grad f, u> (u random and fixed), computed
    through `create_graph`, against finite differences of the first gradients."""
    weights = _weights_for(seed)
    shapes = {}

    def directional_gradient(*leaves):
        out = f(*leaves)
        seed_grad = _output_weights(out, weights)
        seed_grad = Scalar(seed_grad, requires_grad=False) if isinstance(out, Scalar) else \
            Tensor(seed_grad)
        grads = backward(out, seed_grad, create_graph=True, inputs=list(leaves))
        total = None
        for i, (g, x) in enumerate(zip(grads, leaves)):
            if g is None:
                continue
            u = shapes.setdefault(i, np.random.default_rng(seed + 7 + i).normal(
                size=np.shape(x.data)))
            term = (g * u).sum() if isinstance(g, Tensor) else g * float(u)
            total = term if total is None else total + term
        return total if total is not None else leaves[0] * 0.0

    return gradcheck(directional_gradient, *inputs, eps=eps, atol=atol, rtol=rtol, seed=seed)
