"""Tensors made from a shape or a range: zeros, ones, randn, arange (and zeros_like, ones_like).

Each makes a new leaf, float64 unless `dtype` says otherwise, that requires a gradient when
`requires_grad=True` (as PyTorch's factories). Shapes are given as numpy and PyTorch take them:
`zeros(2, 3)` or `zeros((2, 3))`.
"""

import numpy as np

from .errors import brief
from .kernels import raw
from .tensor import Tensor


def _shape(shape, name):
    """The shape from `f(2, 3)` or `f((2, 3))`, as a tuple of non-negative ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise TypeError(f"{name}: a shape is made of non-negative ints, got {brief(n)} in "
                            f"{shape}")
    return tuple(int(n) for n in shape)


def _leaf(data, dtype, requires_grad, label):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype or np.float64, label=label)


def zeros(*shape, dtype=None, requires_grad=False, label=None):
    """A Tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _leaf(np.zeros(_shape(shape, "zeros")), dtype, requires_grad, label)


def ones(*shape, dtype=None, requires_grad=False, label=None):
    """A Tensor of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return _leaf(np.ones(_shape(shape, "ones")), dtype, requires_grad, label)


def zeros_like(x, dtype=None, requires_grad=False, label=None):
    """A Tensor of zeros with x's shape (and dtype, unless `dtype` is given)."""
    return _leaf(np.zeros(np.shape(raw(x))), dtype or _float_dtype(x),
                 requires_grad, label)


def ones_like(x, dtype=None, requires_grad=False, label=None):
    """A Tensor of ones with x's shape (and dtype, unless `dtype` is given)."""
    return _leaf(np.ones(np.shape(raw(x))), dtype or _float_dtype(x),
                 requires_grad, label)


def _float_dtype(x):
    dtype = np.asarray(raw(x)).dtype
    return dtype if dtype.kind == "f" else None


def randn(*shape, dtype=None, requires_grad=False, rng=None, label=None):
    """A Tensor of independent standard normal samples: `randn(2, 3)`. `rng` is a seed or a
    numpy Generator (as nn's layers take it); None draws fresh entropy."""
    samples = np.random.default_rng(rng).standard_normal(_shape(shape, "randn"))
    return _leaf(samples, dtype, requires_grad, label)


def arange(start, stop=None, step=1, *, dtype=None, requires_grad=False, label=None):
    """Evenly spaced values from start (0 when only one bound is given) up to, not including,
    stop: `arange(5)` is 0., 1., 2., 3., 4. (float64: gradients need floating point; PyTorch's
    arange of ints gives int64)."""
    if stop is None:
        start, stop = 0, start
    for name, bound in (("start", start), ("stop", stop), ("step", step)):
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer,
                                                             np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {brief(bound)}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    return _leaf(np.arange(start, stop, step, dtype=np.float64), dtype, requires_grad, label)
