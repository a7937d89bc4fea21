"""Gradient testing as a public tool: `gradcheck`, `gradgradcheck`, hypothesis strategies for
values, shapes, op inputs and random expressions, and `assert_gradients_match`.

`gradcheck` needs only numpy; the strategies need hypothesis (the `test` extra).
"""

from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def __getattr__(name):  # the strategies import hypothesis: load them on first use
    import importlib

    for module_name in ("strategies", "properties"):
        module = importlib.import_module(f"{__name__}.{module_name}")
        if name in vars(module):
            return vars(module)[name]
    raise AttributeError(f"module 'autograd.testing' has no attribute {name!r}")


__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "scalars", "tensors",
           "broadcastable_shapes", "expressions", "op_inputs", "assert_gradients_match",
           "Expression"]
