"""Gradient testing as a public tool.

- `gradcheck(f, *inputs)` and `gradgradcheck`: the engine's first and second derivatives
  against central finite differences (numpy only); a failure names the culprit, the first
  node whose own rule disagrees with finite differences of its op (`culprit.py`).
- Hypothesis strategies: `scalars()`, `tensors()`, `broadcastable_shapes()`, `op_inputs(op)`
  (valid inputs and parameters for any op of `autograd.OPS`; `register_case` adds one) and
  `expressions()` (random graphs over the op table, each with a numpy twin).
- Properties for tests: `assert_gradients_match(f, strategy)`, `assert_op_gradients(op)`,
  `check_expression(expression, *inputs)`.
- `check_gradients(f, *inputs)`: the same check for PyTorch and JAX functions (custom
  Functions, custom_vjp), numpy vjps (`defvjp`) and gategrad's graphs; `given_inputs(f, ...)`
  draws inputs with hypothesis and shrinks a failure to a runnable snippet; a pytest plugin
  gives tests a `gradients` fixture (`frameworks/`, `given.py`, `pytest_plugin.py`). PyTorch
  and JAX are imported only when an input is one of their arrays.
- `swapped_rule(op, make_vjp)`: a block in which an op runs another (say, wrong) rule, to show
  that a check catches it.

The strategies and properties need hypothesis (the `test` extra) and load on first use, so
`gradcheck` works without it.
"""

import importlib

from .expression_trees import Expression
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .swap import swapped_rule
from .frameworks import check_gradients, defvjp

_LAZY = {"scalars": "strategies", "tensors": "strategies", "broadcastable_shapes": "strategies",
         "expressions": "strategies", "op_inputs": "cases", "register_case": "cases",
         "assert_gradients_match": "properties", "assert_op_gradients": "properties",
         "check_expression": "properties", "given_inputs": "given",
         "special_values": "given"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'autograd.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "Expression", "swapped_rule", "check_gradients",
           "defvjp", *_LAZY]
