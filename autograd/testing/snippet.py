"""A failing input written as a runnable snippet: the imports of its framework, f, the arrays
exactly (every float as Python writes it back bit for bit) and the call of check_gradients."""

import inspect
import math
import textwrap

import numpy as np

from .frameworks.inputs import argument_names

_SETUP = {
    "torch": ["import torch"],
    "jax": ["import jax", "import jax.numpy as jnp",
            'jax.config.update("jax_enable_x64", True)  # float64 arrays'],
    "numpy": [],
}


def _number(v):
    v = float(v)
    return repr(v) if math.isfinite(v) else f"float('{v}')"


def array_code(array, framework, dtype):
    """Python code that makes `array` (a numpy array) as an input of `framework`."""
    values = "[" + ", ".join(_number(v) for v in np.ravel(array)) + "]"
    shape = tuple(np.shape(array))
    if framework == "torch":
        code = f"torch.tensor({values}, dtype=torch.{dtype})"
    elif framework == "jax":
        code = f"jnp.array({values}, dtype=jnp.{dtype})"
    else:
        code = f"np.array({values}, dtype=np.{dtype})"
    return f"{code}.reshape({shape})"


def function_code(f):
    """(lines that make f available, the expression naming it)."""
    module, qualname = getattr(f, "__module__", None), getattr(f, "__qualname__", "")
    owner = getattr(f, "__self__", None)
    if isinstance(owner, type):  # a classmethod, such as a custom Function's apply
        module, qualname = owner.__module__, f"{owner.__qualname__}.{f.__name__}"
    if module and module != "__main__" and "<" not in qualname and qualname:
        head = qualname.split(".")[0]
        return [f"from {module} import {head}"], qualname
    try:
        source = textwrap.dedent(inspect.getsource(f)).rstrip()
    except (OSError, TypeError):
        source = None
    name = getattr(f, "__name__", "f")
    if source and name != "<lambda>" and source.lstrip().startswith(("def ", "@")):
        return source.splitlines(), name
    where = f" ({inspect.getsourcefile(f)}:{f.__code__.co_firstlineno})" \
        if hasattr(f, "__code__") else ""
    lines = [f"# f is {qualname or name}{where}; define it here:"]
    lines += [f"#   {line}" for line in (source or "").splitlines()]
    return lines + ["f = ...  # the function under test"], "f"


def snippet(f, arrays, framework, dtype):
    """The snippet reproducing a check of f at `arrays` (numpy arrays, one per input)."""
    lines = ["import numpy as np", *_SETUP[framework],
             "from autograd.testing import check_gradients"]
    setup, name = function_code(f)
    lines += setup
    labels = [label or f"x{i}" for i, label in enumerate(argument_names(f, len(arrays)))]
    lines += [f"{label} = {array_code(a, framework, dtype)}" for label, a in zip(labels, arrays)]
    lines.append(f"check_gradients({name}, {', '.join(labels)})")
    return "\n".join(lines)
