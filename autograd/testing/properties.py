"""Pytest-friendly properties: gradients match finite differences on every drawn example."""

import numpy as np

from ..ops import OPS
from ..scalar import Scalar
from ..tensor import Tensor
# cases imports hypothesis through strategies, which names the `test` extra when it is missing
from .cases import op_inputs
from .gradcheck import gradcheck, gradgradcheck

from hypothesis import Phase, assume, given, settings  # noqa: E402  (after the clear error)


def _settings(max_examples, shrink):
    """The active hypothesis profile, with `max_examples` when given and without shrinking
    when `shrink` is False (a test that expects a failure wants it fast, not minimal)."""
    options = {"database": None} if not shrink else {}
    if max_examples is not None:
        options["max_examples"] = max_examples
    if not shrink:
        options["phases"] = [Phase.explicit, Phase.generate]
    return settings(**options)


def assert_gradients_match(f, strategy, max_examples=None, shrink=True, **tolerances):
    """Assert that `gradcheck(f, *inputs, **tolerances)` passes for every example drawn from
    `strategy` (each example a tuple of inputs for `f`, or a single input). Hypothesis reports
    the smallest failing example. Call it inside a test:

        def test_my_op():
            assert_gradients_match(my_op, tensors(shape=(3,)))
    """
    @_settings(max_examples, shrink)
    @given(strategy)
    def check(example):
        inputs = example if isinstance(example, tuple) else (example,)
        gradcheck(f, *inputs, **tolerances)

    check()


def assert_op_gradients(op, tensor=True, second_order=False, max_examples=None, shrink=True,
                        **tolerances):
    """Assert that the rule of `op` (an Op or its name in `autograd.OPS`) matches finite
    differences on inputs drawn by `op_inputs(op)` (Tensors, or Scalars with `tensor=False`),
    element by element and along random directions; with `second_order`, its second
    derivatives too (`gradgradcheck` of the op's squared output, so the rule is
    differentiated with respect to both g and its inputs)."""
    op = OPS[op] if isinstance(op, str) else op

    def wrap(x):
        return Tensor(np.asarray(x, dtype=np.float64)) if tensor else Scalar(float(x))

    @_settings(max_examples, shrink)
    @given(op_inputs(op, tensor))
    def check(case):
        inputs, params = case
        if second_order:
            gradgradcheck(lambda *xs: _square(op(*xs, **params)), *map(wrap, inputs),
                          **tolerances)
        else:
            gradcheck(lambda *xs: op(*xs, **params), *map(wrap, inputs), **tolerances)

    check()


def _square(out):
    return out * out


def check_expression(expression, *inputs, rtol=1e-10, atol=1e-12, **tolerances):
    """Inside a hypothesis test: assert that the engine's value of `expression` (drawn from
    `expressions()`) equals its numpy twin at `inputs` (numbers or float64 arrays) and that its
    gradients pass `gradcheck`. Inputs where the twin is not finite or exceeds 1e4 in size
    (finite differences lose precision there), or that lie within 1e-4
    of a kink of relu or maximum, are rejected with `assume`."""
    with np.errstate(all="ignore"):
        twin = expression.twin(*inputs)
    # central differences of f lose about |f| * 1e-16 / eps = |f| * 1e-10 to rounding, which
    # must stay below gradcheck's atol of 1e-6: values beyond 1e4 are not checkable this way
    assume(np.all(np.isfinite(twin)) and np.all(np.abs(twin) < 1e4))
    assume(expression.kink(*inputs) > 1e-4)
    as_tensors = any(np.ndim(x) for x in inputs)
    values = [Tensor(x, requires_grad=True) if as_tensors else Scalar(float(x)) for x in inputs]
    value = expression.build(*values)
    np.testing.assert_allclose(getattr(value, "data", value), twin, rtol=rtol, atol=atol,
                               err_msg=f"{expression.text} differs from its numpy twin")

    def f(*xs):
        out = expression.build(*xs)
        # a constant expression, or one that broadcasts to fewer elements than an input: make
        # the output a graph value of the inputs' full shape (adding zeros, no change in value)
        zeros = sum(x * 0.0 for x in xs)
        return out + zeros

    gradcheck(f, *values, **tolerances)
