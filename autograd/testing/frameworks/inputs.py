"""What an input is: which framework it belongs to (told from its type's module, so neither
PyTorch nor JAX is imported to find out), a name for it in messages, and the refusal of
complex numbers."""

import inspect
import sys


def framework_of(inputs):
    """"torch", "jax" or "numpy" (numbers, numpy arrays, gategrad's Scalars and Tensors), from
    the inputs' types; mixing two frameworks is a TypeError."""
    found = set()
    for x in inputs:
        module = type(x).__module__.split(".")[0]
        if module == "torch" and "torch" in sys.modules:
            found.add("torch")
        elif module in ("jax", "jaxlib") and "jax" in sys.modules:
            found.add("jax")
    if len(found) > 1:
        raise TypeError(f"check_gradients: the inputs mix {' and '.join(sorted(found))} "
                        f"arrays; give f the inputs of one framework")
    return found.pop() if found else "numpy"


def argument_names(f, count):
    """The names of f's first `count` positional parameters ('' where unknown)."""
    try:
        parameters = [p.name for p in inspect.signature(f).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    return (parameters + [""] * count)[:count]


def refuse_complex(index, dtype, is_complex):
    """A TypeError for a complex input: which one, and what to do instead."""
    if is_complex:
        raise TypeError(f"check_gradients: input {index} is {dtype}; complex inputs are not "
                        f"supported (frameworks differ on the conjugate convention of complex "
                        f"gradients): pass the real and imaginary parts as two real inputs")
