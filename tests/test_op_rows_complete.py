"""The op row is the only source (issue 23): every elementwise row gives compiled steps a form
that writes into a buffer (the same bits as its forward) and numpy every ufunc that computes
it, so that a row handled by a default path (a new array on every call, `np.<ufunc>(t)`
refused) fails here. Parametrised over the table: a new row is held to it the moment it is
added (CONTRIBUTING.md's recipe)."""

import inspect
import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor, ops
from autograd.compile.runtime import NAMESPACE
from autograd.testing import op_inputs

ELEMENTWISE = [op for op in ops.OPS.values() if op.elementwise]
SPECIAL = np.array([-2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.5, np.inf, -np.inf, np.nan])
NUMPY_UFUNCS = sorted({u for u in vars(np).values() if isinstance(u, np.ufunc) and u.nout == 1},
                      key=lambda u: u.__name__)


def _ids(op):
    return op.name


def _fields(op, names, params):
    fields = dict(zip(("x", "y"), names))
    fields.update({k: f"P_{k}" for k in params})
    return fields


def _into(op, inputs, params, out):
    """Run the row's `into` template on raw inputs, writing into `out`."""
    names = [f"in{i}" for i in range(len(inputs))]
    env = dict(zip(names, inputs), buf=out, **{f"P_{k}": v for k, v in params.items()})
    text = op.into.format(**_fields(op, names, params), buf="buf")
    with np.errstate(all="ignore"):
        return eval(text, dict(NAMESPACE), env)


def test_the_table_has_elementwise_rows():
    assert {"add", "exp", "sqrt", "abs", "where", "clip"} <= {op.name for op in ELEMENTWISE}


@pytest.mark.parametrize("op", ELEMENTWISE, ids=_ids)
def test_every_elementwise_row_has_a_buffer_form_and_a_fresh_result(op):
    assert op.into is not None, f"{op.name}: give the row `into` (or a `ufunc`): compiled " \
                                f"steps would allocate its result on every call"
    assert op.fresh and not op.view and "{buf}" in op.into


@pytest.mark.parametrize("op", ELEMENTWISE, ids=_ids)
@settings(max_examples=25)
@given(data=st.data())
def test_the_buffer_form_gives_the_forwards_bits_in_a_new_buffer_and_in_its_input(op, data):
    inputs, params = data.draw(op_inputs(op))
    with np.errstate(all="ignore"):
        expected = np.asarray(op.forward(*inputs, **params))
    assume(expected.ndim > 0)
    out = np.empty_like(expected)
    assert _into(op, inputs, params, out) is out
    np.testing.assert_array_equal(out, expected, strict=True)
    for k, value in enumerate(inputs):  # in place: into an input of the result's shape
        if isinstance(value, np.ndarray) and value.shape == expected.shape and \
                value.dtype == expected.dtype:
            copies = [v.copy() if isinstance(v, np.ndarray) else v for v in inputs]
            assert _into(op, copies, params, copies[k]) is copies[k]
            np.testing.assert_array_equal(copies[k], expected, strict=True)


@pytest.mark.parametrize("op", ELEMENTWISE, ids=_ids)
@settings(max_examples=5)
@given(data=st.data())
def test_a_compiled_step_writes_every_elementwise_result_into_a_buffer(op, data):
    inputs, params = data.draw(op_inputs(op))
    with np.errstate(all="ignore"):
        assume(np.ndim(op.forward(*inputs, **params)) > 0)
    values = [Tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in inputs]

    def f(*xs):  # each input a temporary that dies at the op: written in place, or kept
        return op(*[x * 1.0 for x in xs], **params).sum()

    step = autograd.compile(f, check=True)
    for _ in range(2):
        for v in values:
            v.grad = None
        loss = step(*values)
    program = step.last
    j = [j for j, node in enumerate(program.trace.nodes) if node.op is op][-1]  # (after x * 1.0)
    line = program.source.splitlines()[program.generated.node_lines[j] - 1]
    assert op.into.split("(")[0] in line, f"{op.name}: not written into a buffer: {line}"
    compiled = [v.grad.copy() for v in values]
    for v in values:
        v.grad = None
    eager = f(*values)
    eager.backward()
    np.testing.assert_array_equal(loss.data, eager.data)
    for got, v in zip(compiled, values):
        np.testing.assert_allclose(got, v.grad, rtol=1e-13, atol=0)


TEMPLATED = [op for name, op in ops.OPS.items() if name in ops.BUILT_IN and op.code is not None]


def test_most_rows_write_their_rules_as_templates():
    assert {"mul", "pow", "mean", "matmul", "getitem", "where", "exp"} <= \
        {op.name for op in TEMPLATED}


@pytest.mark.parametrize("op", TEMPLATED, ids=_ids)
def test_no_row_writes_a_rule_beside_its_template(op):
    """Each rule written once: a row with templates has no hand-written rule beside them, every
    rule is its template (or its cases) compiled by `ops.rules`, so the template compiled
    steps write and the rule eager mode runs cannot disagree."""
    assert op.input_vjps is not None and all(hasattr(rule, "cases") for rule in op.input_vjps), \
        f"{op.name}: a rule written by hand beside its template: write it once, " \
        f"*rules(template, ...) (ops.cases for a rule with special cases)"
    assert op.code == tuple(rule.template for rule in op.input_vjps)
    assert op.code_exact is True and op.code_fallback is None
    for rule in op.input_vjps:
        assert rule.cases[-1] == (None, rule.template)
        assert rule.__code__.co_filename == "<string>"  # compiled from the template text


def _samples(arity):
    if arity == 1:
        return [SPECIAL]
    return [np.array(column) for column in zip(*itertools.product(SPECIAL, SPECIAL))]


def _same(a, b):
    return np.shape(a) == np.shape(b) and np.asarray(a).dtype.kind == "f" and \
        np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True) and \
        np.array_equal(np.signbit(a), np.signbit(b))


def _numpy_twins(op):
    """The numpy ufuncs that compute the row's forward (at zeros of both signs, infinities and
    nan too, so that np.fmax is not taken for maximum)."""
    inputs = _samples(op.arity)
    with np.errstate(all="ignore"):
        expected = op.forward(*inputs)
    twins = []
    for ufunc in NUMPY_UFUNCS:
        if ufunc.nin != op.arity:
            continue
        try:
            with np.errstate(all="ignore"):
                got = ufunc(*inputs)
        except (TypeError, ValueError):  # (no loop for floats; a gufunc's core dimensions)
            continue
        if _same(got, expected):
            twins.append(ufunc)
    return twins


PARAMETERLESS = [op for op in ELEMENTWISE if op.arity in (1, 2) and
                 len(inspect.signature(op.forward).parameters) == op.arity]


@pytest.mark.parametrize("op", PARAMETERLESS, ids=_ids)
def test_every_numpy_ufunc_that_computes_a_row_records_it(op):
    twins = _numpy_twins(op)
    for ufunc in op.ufuncs:
        assert ufunc in twins, f"{op.name}: its ufunc {ufunc.__name__} computes other values"
    rng = np.random.default_rng(0)
    raw = [rng.uniform(0.5, 2.0, size=4) for _ in range(op.arity)]
    raw[-1] = raw[-1] + 3.0  # (maximum and minimum: no ties)
    for ufunc in twins:
        values = [Tensor(v, requires_grad=True) for v in raw]
        try:
            result = ufunc(*values)
        except TypeError as error:
            pytest.fail(f"np.{ufunc.__name__} computes the row {op.name!r} but refuses a "
                        f"Tensor: give the row `ufunc=np.{ufunc.__name__}` ({error})")
        result.sum().backward()
        grads = [v.grad for v in values]
        expected = [Tensor(v, requires_grad=True) for v in raw]
        op(*expected).sum().backward()
        np.testing.assert_array_equal(result.data, op.forward(*raw))
        for got, want in zip(grads, expected):
            np.testing.assert_array_equal(got, want.grad)


@pytest.mark.parametrize("op", [op for op in ELEMENTWISE if op.ufunc is not None and
                                op not in PARAMETERLESS], ids=_ids)
@settings(max_examples=10)
@given(data=st.data())
def test_a_row_with_parameters_and_a_ufunc_takes_the_ufunc(op, data):
    inputs, params = data.draw(op_inputs(op))
    values = [Tensor(np.asarray(v, dtype=np.float64)) for v in inputs]
    result = op.ufunc(*values, *params.values())
    np.testing.assert_array_equal(result.data, op.forward(*inputs, **params))
