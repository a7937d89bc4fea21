"""Each rule written once (issue 23), where a rule has special cases: mul's 0-d array factor,
pow's exponents 0 and 1, mean of nothing, matmul's 1-d operands, and the rules that route g
(getitem, where). The eager rule is the row's cases compiled into one expression; a compiled
step writes out the case that holds for its values; both give the closed forms, and so do
higher derivatives (create_graph) through every case."""

import sys

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor, grad, hvp, ops
from autograd.compile.runtime import NAMESPACE

RNG = np.random.default_rng(7)


def _calls_during(function, *args):
    """The functions (Python and C) that run while `function(*args)` runs, itself left out."""
    calls = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is not function.__code__:
            calls.append(frame.f_code.co_name)
        elif event == "c_call":
            calls.append(arg.__name__)

    sys.setprofile(profile)
    try:
        result = function(*args)
    finally:
        sys.setprofile(None)
    return result, [c for c in calls if c != "setprofile"]


def test_the_scalar_mul_rule_is_one_product_with_no_call():
    for k, rule in enumerate(ops.MUL.input_vjps):
        result, calls = _calls_during(rule, 2.0, 6.0, 3.0, 5.0)
        assert result == (10.0 if k == 0 else 6.0) and calls == []


def test_the_cases_of_a_row_and_its_first_templates():
    assert ops.MUL.code == ("{g} * {y}", "{g} * {x}") and ops.MUL.code_exact is True
    assert ops.MUL.code_fallback is None
    x, y = np.array(2.0), np.arange(3.0)
    assert ops.MUL.code_for(x * y, x, y) == ("summed_product({g}, {y})", "{g} * {x}")
    assert ops.MUL.code_for(y * x, y, x) == ("{g} * {y}", "summed_product({g}, {x})")
    assert ops.MUL.code_for(x * 2.0, x, 2.0) == ops.MUL.code  # (g * 2.0 is already summed)
    assert ops.MUL.code_for(6.0, 2.0, 3.0) == ops.MUL.code
    assert ops.POW.code_for(1.0, 1.0, exponent=0) == ("{g} * 0.0",)
    assert ops.POW.code_for(1.0, 1.0, exponent=1.0) == ("{g}",)
    assert ops.POW.code_for(1.0, 1.0, exponent=2.0) == ops.POW.code
    assert ops.GETITEM.code_for(y[1:], y, index=slice(1, None)) == ops.GETITEM.code


def _template_value(op, template, g, out, inputs, params):
    """The template evaluated as a compiled step evaluates it (its namespace, its facts)."""
    facts = {f"{v}_{fact}": f"{v}.{fact}" for v in ("x", "y", "out") for fact in ("shape", "size")}
    text = template.format(g="g", out="out", x="x", y="y", **facts, **{k: k for k in params})
    return eval(text, dict(NAMESPACE), {"g": g, "out": out, **dict(zip("xy", inputs)), **params})


CASES = [  # (op, inputs, params, the gradients by a closed form, for g)
    (ops.MUL, [np.array(1.5), RNG.normal(size=(2, 3))], {},
     lambda g, x, y: [np.sum(g * y), g * x]),
    (ops.MUL, [RNG.normal(size=4), np.array(-0.5)], {},
     lambda g, x, y: [g * y, np.sum(g * x)]),
    (ops.POW, [np.array([0.0, 2.0, -3.0])], {"exponent": 0.0}, lambda g, x: [np.zeros(3)]),
    (ops.POW, [np.array([0.0, 2.0, -3.0])], {"exponent": 1.0}, lambda g, x: [g]),
    (ops.POW, [np.array([0.5, 2.0, 3.0])], {"exponent": 3.0}, lambda g, x: [3 * g * x * x]),
    (ops.MEAN, [np.zeros((0, 3))], {"axis": 0, "keepdims": False},
     lambda g, x: [np.zeros((0, 3))]),
    (ops.MEAN, [RNG.normal(size=(2, 3))], {"axis": 1, "keepdims": True},
     lambda g, x: [np.broadcast_to(g / 3, (2, 3))]),
    (ops.MATMUL, [RNG.normal(size=3), RNG.normal(size=3)], {},
     lambda g, x, y: [g * y, g * x]),
    (ops.MATMUL, [RNG.normal(size=(2, 4, 3)), RNG.normal(size=3)], {},
     lambda g, x, y: [g[..., None] * y, np.einsum("bik,bi->k", x, g)]),
    (ops.MATMUL, [RNG.normal(size=3), RNG.normal(size=(2, 3, 4))], {},
     lambda g, x, y: [np.einsum("bkj,bj->k", y, g), x[None, :, None] * g[:, None, :]]),
    (ops.MATMUL, [RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2))], {},
     lambda g, x, y: [g @ y.T, x.T @ g]),
    (ops.GETITEM, [RNG.normal(size=(3, 2))], {"index": np.array([2, 0, 2])},
     lambda g, x: [np.array([g[1], np.zeros(2), g[0] + g[2]])]),
    (ops.WHERE, [RNG.normal(size=4), RNG.normal(size=4)],
     {"cond": np.array([True, False, False, True])},
     lambda g, x, y: [g * [1, 0, 0, 1], g * [0, 1, 1, 0]]),
]


@pytest.mark.parametrize("op, inputs, params, closed_form", CASES,
                         ids=[f"{c[0].name}-{i}" for i, c in enumerate(CASES)])
def test_every_case_is_its_rule_and_the_closed_form(op, inputs, params, closed_form):
    out = np.asarray(op.forward(*inputs, **params))
    g = RNG.normal(size=out.shape)
    expected = closed_form(g, *inputs)
    for k, template in enumerate(op.code_for(out, *inputs, **params)):
        rule = op.input_vjps[k](g, out, *inputs, **params)
        written = _template_value(op, template, g, out, inputs, params)
        assert np.shape(written) == np.shape(rule)
        np.testing.assert_array_equal(written, rule, strict=False)
        got = np.asarray(rule)
        while got.ndim > np.ndim(inputs[k]):  # (the core sums a broadcast input's gradient)
            got = got.sum(axis=0)
        assert got.shape == np.shape(inputs[k])
        np.testing.assert_allclose(got, expected[k], rtol=1e-12, atol=1e-15)


def _compiled_and_eager(f, *values):
    """The gradients of a compiled step (checked against eager) and its source."""
    step = autograd.compile(f, check=True)
    for _ in range(2):
        for v in values:
            v.grad = None
        step(*values)
    compiled = [np.copy(v.grad) for v in values]
    for v in values:
        v.grad = None
    f(*values).backward()
    for got, v in zip(compiled, values):
        np.testing.assert_allclose(got, v.grad, rtol=1e-13, atol=0)
    return step.last.source


def test_a_compiled_step_writes_the_case_that_holds():
    z = Tensor(np.array(1.5), requires_grad=True)
    a = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    source = _compiled_and_eager(lambda z, a: (z * a).sum(), z, a)
    assert "summed_product(g_mul1, a)" in source and "mul_rule" not in source
    source = _compiled_and_eager(lambda z: (z * 2.0) * z, z)
    assert "summed_product" not in source
    x = Tensor(np.array([0.0, 1.0, 2.0]), requires_grad=True)
    source = _compiled_and_eager(lambda x: (x ** 0).sum() + (x ** 1).sum() * 2.0, x)
    assert "power" not in source.split("# ---- backward")[1] and "pow_rule" not in source
    assert "* 0.0" in source
    v = Tensor(RNG.normal(size=3), requires_grad=True)
    m = Tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    source = _compiled_and_eager(lambda v, m: (v @ m).sum() + (m.T @ v).sum() + v @ v, v, m)
    assert "matmul_rule" not in source
    s = Scalar(0.0)
    step = autograd.compile(lambda s: s ** 0 + s ** 1, check=True)
    for _ in range(2):
        s.grad = None
        step(s)
    assert s.grad == 1.0 and "power" not in step.last.source.split("# ---- backward")[1]


def test_a_parameter_that_is_an_argument_decides_the_case_at_every_call():
    x = Tensor(np.array([0.0, 1.0, 2.0]), requires_grad=True)
    step = autograd.compile(lambda x, c: (x ** c).sum(), check=True)
    for c, expected in [(2.0, [0.0, 2.0, 4.0]), (2.0, [0.0, 2.0, 4.0]), (0.0, [0.0] * 3),
                        (1.0, [1.0] * 3), (3.0, [0.0, 3.0, 12.0])]:
        x.grad = None
        step(x, c)
        np.testing.assert_array_equal(x.grad, expected)


def test_higher_derivatives_through_pow_reach_the_exponents_one_and_zero():
    cube = lambda x: x ** 3  # noqa: E731
    d = [grad(cube)]
    for _ in range(3):
        d.append(grad(d[-1]))
    assert [f(0.0) for f in d] == [0.0, 0.0, 6.0, 0.0]  # no nan from 0 * 0 ** -1
    assert [f(2.0) for f in d] == [12.0, 12.0, 6.0, 0.0]
    assert grad(lambda x: x ** 0)(0.0) == 0.0 and grad(grad(lambda x: x ** 1))(0.0) == 0.0
    t = np.array([0.0, 2.0])
    np.testing.assert_array_equal(hvp(lambda x: (x ** 3).sum(), t, np.ones(2)), 6 * t)


def test_higher_derivatives_through_matmul_with_1d_operands():
    a = RNG.normal(size=(3, 3))
    v = RNG.normal(size=3)
    w = RNG.normal(size=3)
    got = hvp(lambda x: x @ (Tensor(a) @ x), v, w)  # H = A + A^T
    np.testing.assert_allclose(got, (a + a.T) @ w, rtol=1e-12)
    b = RNG.normal(size=(2, 3, 4))
    got = hvp(lambda x: ((x @ Tensor(b)) ** 2).sum(), v, w)  # H = 2 sum_bj b_.j b_.j^T
    np.testing.assert_allclose(got, 2 * np.einsum("bkj,blj,l->k", b, b, w), rtol=1e-12)
    got = hvp(lambda x: ((Tensor(b.transpose(0, 2, 1)) @ x) ** 2).sum(), v, w)
    np.testing.assert_allclose(got, 2 * np.einsum("bkj,blj,l->k", b, b, w), rtol=1e-12)


def test_higher_derivatives_through_getitem_where_mean_and_a_0d_factor():
    x = RNG.uniform(0.5, 2.0, size=4)
    w = RNG.normal(size=4)
    index = np.array([3, 0, 3, 3])  # index 3 three times
    got = hvp(lambda t: (t[index] ** 2).sum(), x, w)
    np.testing.assert_allclose(got, 2 * np.array([1, 0, 0, 3]) * w, rtol=1e-12)
    mask = np.array([True, False, True, False])
    got = hvp(lambda t: autograd.where(mask, t ** 2, t ** 3).sum(), x, w)
    np.testing.assert_allclose(got, np.where(mask, 2.0, 6 * x) * w, rtol=1e-12)
    got = hvp(lambda t: t.mean() ** 2, x, w)  # H = 2/n^2 (all ones)
    np.testing.assert_allclose(got, np.full(4, 2 * w.sum() / 16), rtol=1e-12)
    a = RNG.normal(size=(2, 3))
    got = hvp(lambda z: (z * Tensor(a)).sum() ** 2, np.array(0.7), np.array(1.0))
    np.testing.assert_allclose(got, 2 * a.sum() ** 2, rtol=1e-12)


def test_the_mean_of_nothing_has_an_empty_gradient_eagerly_and_compiled():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    w = Tensor(np.arange(3.0), requires_grad=True)
    source = _compiled_and_eager(lambda x, w: (x.mean(axis=0) * w).sum(), x, w)
    assert "g_x = expand(g_mean1 * 0.0, (0, 3), 0, False)" in source
    assert x.grad.shape == (0, 3) and np.isnan(w.grad).all()  # (the mean of nothing is nan)
