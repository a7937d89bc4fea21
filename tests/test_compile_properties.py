"""Compiled steps against the eager engine: random expressions over the op table (Scalar and
Tensor) with new data on every call, parameters updated between calls and a shape change;
and every op of autograd.OPS through its generated code."""

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import autograd
from autograd import OPS, Scalar, Tensor
from autograd.compile.runtime import NAMESPACE
from autograd.testing import broadcastable_shapes, expressions, op_inputs, scalars, tensors

RTOL, ATOL = 1e-12, 1e-12


def _same(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=RTOL, atol=ATOL)


def _finite(*values):
    return all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values)


def _eager(f, args, leaves):
    for leaf in leaves:
        leaf.grad = None
    out = f(*args)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _compiled(step, args, leaves):
    for leaf in leaves:
        leaf.grad = None
    out = step(*args)
    return out.data, [leaf.grad for leaf in leaves]


@settings(max_examples=150)
@given(expressions(max_depth=3, n_vars=2), st.lists(scalars(-2, 2), min_size=6, max_size=6))
def test_scalar_expressions_compiled_equal_eager_with_new_data_and_updated_parameters(
        expression, values):
    """x0 is an argument (a new Scalar each call), x1 a closed-over parameter updated between
    calls; every call's value and gradients equal the eager engine's."""
    parameter = Scalar(values[0])

    def f(x):
        return expression.build(x, parameter) + (x + parameter) * 0.0

    step = autograd.compile(f, check=False)
    for call in range(3):
        parameter.data = values[2 * call]
        x = Scalar(values[2 * call + 1])
        with np.errstate(all="ignore"):
            want, want_grads = _eager(f, (x,), [x, parameter])
            assume(_finite(want, *want_grads))
            got, got_grads = _compiled(step, (x,), [x, parameter])
        _same(got, want)
        for g, w in zip(got_grads, want_grads):
            _same(g, w)
    assert len(step.programs) == 1


@st.composite
def _tensor_case(draw):
    shapes = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    calls = [[draw(tensors(shape, elements=scalars(-2, 2))) for shape in shapes]
             for _ in range(3)]
    return shapes, calls


@settings(max_examples=100)
@given(expressions(max_depth=3, n_vars=2), _tensor_case())
def test_tensor_expressions_compiled_equal_eager_and_a_new_shape_traces_again(expression, case):
    shapes, calls = case
    weight = Tensor(calls[0][1], requires_grad=True)

    def f(x):
        out = expression.build(x, weight) + (x + weight) * 0.0
        return out.sum()

    step = autograd.compile(f, check=False)
    results = []
    for x_data, w_data in calls:
        weight.data = w_data.copy()  # the optimiser's update: read by the next call
        x = Tensor(x_data, requires_grad=True)
        with np.errstate(all="ignore"):
            want, want_grads = _eager(f, (x,), [x, weight])
            assume(_finite(want, *want_grads))
            got, got_grads = _compiled(step, (x,), [x, weight])
        results.append((got, got_grads, want, want_grads))
    for got, got_grads, want, want_grads in results:  # later calls overwrote none of them
        _same(got, want)
        for g, w in zip(got_grads, want_grads):
            assert g.shape == w.shape and g.dtype == w.dtype
            _same(g, w)
    assert len(step.programs) == 1
    # another shape of the argument: a new program, still the eager engine's numbers
    x = Tensor(np.concatenate([np.ravel(calls[0][0]), [0.25]]), requires_grad=True)
    weight.data = np.asarray(0.5)
    with np.errstate(all="ignore"):
        want, want_grads = _eager(f, (x,), [x, weight])
        assume(_finite(want, *want_grads))
        got, got_grads = _compiled(step, (x,), [x, weight])
    assert len(step.programs) == 2
    _same(got, want)
    for g, w in zip(got_grads, want_grads):
        _same(g, w)


def _op_case(name, tensor):
    return op_inputs(OPS[name], tensor=tensor)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=12)
@given(data=st.data())
def test_every_op_s_generated_code_equals_its_eager_rule(name, data):
    """Each op through a compiled step (its template, or its rule called) against the eager
    engine, Tensors and (where the op takes them) Scalars."""
    op = OPS[name]
    for tensor in (True, False) if not op.tensor_only else (True,):
        inputs, params = data.draw(_op_case(name, tensor))
        wrap = (lambda v: Tensor(v, requires_grad=True)) if tensor else \
            (lambda v: Scalar(float(v)))
        leaves = [wrap(v) for v in inputs]
        weights = data.draw(tensors(np.shape(op.forward(*inputs, **params)),
                                    elements=scalars(-2, 2))) if tensor else 0.75

        def f(*xs):
            out = op(*xs, **params) * weights
            return out.sum() if tensor else out

        step = autograd.compile(f, check=False)
        with np.errstate(all="ignore"):
            want, want_grads = _eager(f, leaves, leaves)
            got, got_grads = _compiled(step, leaves, leaves)
            got_again, again_grads = _compiled(step, leaves, leaves)  # the replay
        for value in (got, got_again):
            _same(value, want)
        for grads in (got_grads, again_grads):
            for g, w in zip(grads, want_grads):
                _same(g, w)


EXACT_ROWS = sorted(name for name, op in OPS.items() if op.code_exact)


@pytest.mark.parametrize("name", EXACT_ROWS)
@settings(max_examples=40)
@given(data=st.data())
def test_a_row_that_calls_its_templates_exact_gives_its_rules_bits(name, data):
    """`code_exact` lets the generator use a template without running the rule beside it: the
    template (the row's case for these inputs) must then give the rule's value bit for bit, on
    any values (nan, inf, 0 too)."""
    op = OPS[name]
    inputs, params = data.draw(op_inputs(op, tensor=True))
    if data.draw(st.booleans()):
        inputs = [data.draw(tensors(np.shape(v), elements=st.floats(width=64))) for v in inputs]
    assume(op.code_exact is True or op.code_exact(*inputs))
    with np.errstate(all="ignore"):
        out = op.forward(*inputs, **params)
        g = data.draw(tensors(np.shape(out), elements=scalars(-2, 2)))
        values = {"g": g, "out": out, **dict(zip("xy", inputs)), **params}
        for template, rule in zip(op.code_for(out, *inputs, **params), op.input_vjps):
            facts = {f"{v}_{fact}": f"{v}.{fact}" for v in ("x", "y", "out")
                     for fact in ("shape", "size")}
            text = template.format(g="g", out="out", x="x", y="y", **facts,
                                   **{k: k for k in params})
            got = eval(text, dict(NAMESPACE), values)
            want = rule(g, out, *inputs, **params)
            assert np.shape(got) == np.shape(want) and \
                np.result_type(got) == np.result_type(want)
            np.testing.assert_array_equal(got, want)
