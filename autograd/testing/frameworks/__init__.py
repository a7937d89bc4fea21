"""`check_gradients(f, *inputs)`: one entry point for gradients written in PyTorch, in JAX, with
a numpy vjp (`defvjp`) or with gategrad itself, told apart by the inputs' types.

PyTorch and JAX are reached through adapters (`torch.py`, `jax.py`) imported only when an
input is one of their arrays; the check, the tolerances, the culprit search and the reports are
gategrad's own (`check.py`, `nodes.py`, `..gradcheck`, `..culprit`).
"""

import importlib

import numpy as np

from .inputs import framework_of, refuse_complex
from .numpy_vjp import defvjp

__all__ = ["check_gradients", "defvjp"]


def check_gradients(f, *inputs, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0, fast=None, dot=True):
    """Check the gradients of `f` at `inputs` against central finite differences; return None
    when they are right, raise `GradcheckError` (the error of `gradcheck`) when they are not.

    The framework comes from the inputs' types: torch.Tensors (f is any callable of tensors,
    custom `torch.autograd.Function`s included), JAX arrays (`custom_vjp` and `custom_jvp`
    included), or numbers, numpy arrays and gategrad values (f built with gategrad's ops or
    with primitives from `defvjp`: checked by `gradcheck`). Floating inputs are differentiated,
    promoted to float64 and f run in float64 where it can be (otherwise at their own dtype, with
    a tolerance derived from it and from f's scale, stated in the report); integer and other
    inputs are constants; complex inputs are refused. f may return one array or several
    (tuples, lists, dicts), of any shape: the check is of <w, f(x)> for fixed random weights w.

    Checked: the framework's reverse-mode gradient against central differences with step
    `eps` (element by element up to 2,000 input elements, or with `fast=True` along random
    directions only, and always along random directions; a disagreement at a kink, where
    one-sided differences differ and the gradient lies between them, is not a failure), then,
    with `dot`, the dot-product test <u, J v> = <J^T u, v> between forward and reverse mode
    where the framework has both for f. A gradient agrees when
    |analytic - numeric| <= atol + rtol * |numeric|.

    On failure f is traced into a graph of primitive operations (ATen operators for PyTorch, the
    jaxpr's equations for JAX; a custom Function or custom_vjp is one node) and each node's vjp
    is checked against finite differences of that node alone at the inputs it saw, in the order
    of the backward pass; `error.culprit` is the first wrong one (`op`, `name`,
    `input_shapes`, `element`, `rule`, `numeric`, `site`, as gradcheck's), and the message
    names its op, inputs' shapes and dtypes, the element, both numbers and the line that
    created it. Nodes that cannot be checked alone (random, in place, data-dependent) are named
    in the message and in `error.unchecked`.
    """
    framework = framework_of(inputs)
    if not inputs:
        raise ValueError("check_gradients: give at least one input to differentiate with "
                         "respect to")
    if framework == "numpy":
        return _check_numpy(f, inputs, eps, atol, rtol, seed, fast)
    from . import check
    adapter = importlib.import_module(f"{__name__}.{framework}").Adapter(f, inputs)
    check.run(adapter, eps=eps, atol=atol, rtol=rtol, seed=seed, fast=fast, dot=dot)


def _check_numpy(f, inputs, eps, atol, rtol, seed, fast):
    """gategrad's own graphs and numpy vjps: `gradcheck`, with float32 promoted and integer
    inputs held as constants."""
    from ...scalar import Scalar
    from ...tensor import Tensor
    from ..gradcheck import gradcheck

    slots, values = [], list(inputs)
    for i, x in enumerate(inputs):
        data = x.data if isinstance(x, (Scalar, Tensor)) else x
        kind = np.asarray(data).dtype.kind if not isinstance(data, (int, float)) else \
            ("i" if isinstance(data, (int, np.integer)) and not isinstance(data, bool) else "f")
        if isinstance(data, bool):
            kind = "b"
        refuse_complex(i, np.asarray(data).dtype, kind == "c")
        if kind == "f":
            slots.append(i)
            if isinstance(x, Tensor) and x.dtype != np.float64:
                values[i] = Tensor(x.data.astype(np.float64), label=x.label)
            elif isinstance(x, np.ndarray) and x.dtype != np.float64:
                values[i] = x.astype(np.float64)
    if not slots:
        raise ValueError("check_gradients: no input is a floating number or array; integer "
                         "inputs are constants, so there is nothing to differentiate")

    def with_constants(*xs):
        full = list(values)
        for slot, x in zip(slots, xs):
            full[slot] = x
        return f(*full)

    g = f if len(slots) == len(values) else with_constants
    from .check import rounding
    with np.errstate(all="ignore"):
        out = g(*[values[i] for i in slots])
    scale = 3 * float(np.sum(np.abs(np.asarray(getattr(out, "data", out), dtype=np.float64))))
    if np.isfinite(scale):  # rounding in f's value, over the step, can exceed atol
        atol = max(atol, rounding(scale, eps))
    gradcheck(g, *[values[i] for i in slots], eps=eps, atol=atol, rtol=rtol, seed=seed,
              fast=bool(fast))
