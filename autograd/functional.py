"""The functional API: `grad(f)` returns a function computing f's gradient; `hvp` follows.

Gradients are computed by `graph.gradients`, which keeps them in its own dicts and touches no
`.grad` the caller holds. A transform records what it needs whatever the ambient mode: under
`no_grad()` and inside a gradient rule it still computes the real derivative. When an enclosing
computation may differentiate the result again (inside another transform, or when an argument
is a graph value that requires a gradient), the backward pass is recorded, so `grad(grad(f))`
gives second derivatives, and dependence through closed-over values is seen.
"""

import numbers

import numpy as np

from . import ops
from .graph import apply_unary, gradients, new_node
from .kernels import raw
from .modes import current, enable_grad, restore, set_switches
from .scalar import Scalar
from .tensor import Tensor
from .value import Value


def _watch(x, position, traced):
    """The graph value to differentiate with respect to for argument `x`: always a new one, so
    that this transform differentiates with respect to its own argument only. A graph value
    that an enclosing computation differentiates is watched through a new node that depends
    on it, so the enclosing computation still sees the dependence."""
    if isinstance(x, Value):
        watched = apply_unary(ops.IDENTITY, x) if traced and x.requires_grad else \
            new_node(type(x), x.data, requires_grad=True)
        watched.label = x.label  # (what diagrams and derivative names call it)
        return watched
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Scalar(x, requires_grad=True)
    if isinstance(x, (np.ndarray, list, tuple)):
        return Tensor(x, requires_grad=True)
    raise TypeError(f"grad: argument {position} must be a number, an array, a Scalar or a "
                    f"Tensor, got {type(x).__name__} {x!r:.40}")


def _check_output(out):
    if isinstance(out, Value):
        if out.size != 1:
            raise ValueError(f"grad: f must return a single number (a Scalar or a one-element "
                             f"Tensor), got a Tensor of shape {out.shape}; reduce it with "
                             f".sum() or .mean(), or call backward(grad=...) for a "
                             f"vector-Jacobian product")
        return out
    if isinstance(out, numbers.Real) or (isinstance(out, np.ndarray) and out.size == 1):
        return None  # a constant: every gradient is zero
    raise TypeError(f"grad: f must return a single number (a Scalar or a one-element Tensor), "
                    f"got {type(out).__name__} {out!r:.40}")


def _as_argument_type(g, original, watched, traced):
    """The gradient in the type of the argument it belongs to (a graph value when `traced`:
    an enclosing `grad` differentiates it again)."""
    if g is None:
        g = watched._zero_grad()
    if traced and isinstance(g, Value):
        return g
    if isinstance(original, Value):
        if isinstance(g, Value):
            return g
        return new_node(type(original), g)
    if isinstance(g, Value):
        g = g.data
    return float(g) if isinstance(watched, Scalar) else np.asarray(g)


def grad(f, argnums=0):
    """Return a function computing the gradient of the scalar-valued `f` with respect to its
    argument(s) `argnums` (an int, or a tuple of ints for a tuple of gradients).

    Each gradient has its argument's type: a float for a float, an ndarray for an array, a
    Scalar or Tensor for a Scalar or Tensor. It nests: `grad(grad(f))(x)` is f''(x).

    >>> grad(lambda x: x * x * x)(2.0)
    12.0
    """
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def gradient(*args, **kwargs):
        # record the backward pass when an enclosing computation may differentiate the result
        # again: inside another transform, or when an argument is a graph value that requires
        # a gradient (and recording is on: in a plain rule or under no_grad it is not)
        switches = current()
        traced = switches.grad_enabled and (switches.transform_depth > 0 or any(
            isinstance(a, Value) and a.requires_grad for a in (*args, *kwargs.values())))
        args = list(args)
        originals, watched = [], []
        with enable_grad():  # f is recorded whatever the ambient mode
            for i in positions:
                if not -len(args) <= i < len(args):
                    raise IndexError(f"grad: argnums {i} but f was called with {len(args)} "
                                     f"positional arguments")
                originals.append(args[i])
                args[i] = _watch(args[i], i, traced)
                watched.append(args[i])
            token = set_switches(transform_depth=switches.transform_depth + 1)
            try:
                out = _check_output(f(*args, **kwargs))
            finally:
                restore(token)
        if out is None or not out.requires_grad:
            grads = [None] * len(watched)
        else:
            seed = out._seed(None)
            if traced:
                seed = new_node(type(out), seed)
            grads = gradients(out, seed, watched, create_graph=traced)
        results = [_as_argument_type(g, original, w, traced)
                   for g, original, w in zip(grads, originals, watched)]
        return results[0] if isinstance(argnums, int) else tuple(results)

    gradient.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    gradient.__doc__ = f"The gradient of {getattr(f, '__name__', 'f')} (see autograd.grad)."
    return gradient


def hvp(f, x, v):
    """The Hessian-vector product H(x) v of a scalar-valued `f`, without forming H:
    the gradient of <grad f(x), v> with respect to x. Returned in x's type.

    >>> hvp(lambda x: x * x * x, 2.0, 1.0)   # f''(2) * 1
    12.0
    """
    if isinstance(x, Value):
        x_shape = x.shape
    else:
        x_shape = np.shape(x)
    v_raw = raw(v) if isinstance(v, Value) else np.asarray(v, dtype=float)
    if np.shape(v_raw) != x_shape:
        raise ValueError(f"hvp: v has shape {np.shape(v_raw)} but x has shape {x_shape}; "
                         f"they must be equal")
    if not x_shape:
        v_raw = float(v_raw)

    def directional_derivative(x_):
        g = grad(f)(x_)
        product = g * v_raw
        return product.sum() if isinstance(product, (Tensor, np.ndarray)) else product

    return grad(directional_derivative)(x)
