"""The generator works on structure (issue 23): its lines are data until the end, and the only
text it ever parses is an op row's own template, read once; nothing it emitted is matched or
parsed back. And each rule written as a template is that template compiled."""

import ast
import string

import numpy as np
import pytest

import autograd
import nn
from autograd import Scalar, Tensor, ops
from autograd.compile import backward, buffers, codegen, examples, forward, statements


def _row_templates():
    found = set()
    for op in ops.OPS.values():
        for field in (op.code, op.code_fallback):
            found.update(field or ())
        found.update(template for cases in op.code_cases or () for _, template in cases)
        forward = op.code_forward
        found.update(forward if isinstance(forward, tuple) else (forward,) if forward else ())
    return found


def test_the_generator_imports_no_regular_expressions():
    for module in (codegen, statements, forward, backward, examples, buffers):
        assert not hasattr(module, "re"), module.__name__


def test_the_only_text_the_generator_parses_is_a_rows_template(monkeypatch):
    parsed = []
    real = ast.parse

    def recording(source, *args, **kwargs):
        parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(statements.ast, "parse", recording)
    statements.template_shape.cache_clear()
    net = nn.MLP([4, 5, 3], activation="sigmoid", rng=0)
    step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
    step(Tensor(np.ones((2, 4))), np.array([0, 2]))
    x = Tensor(np.linspace(0.5, 1.5, 6).reshape(2, 3), requires_grad=True)
    other = autograd.compile(lambda x: ((x * 2.0).sqrt().tanh() + x.relu() - x / 3.0).sum())
    other(x)
    w = Scalar(0.5)
    autograd.compile(lambda a: (a * w + 1.0).sigmoid())(Scalar(2.0))
    assert parsed, "the templates are read from the rows"
    templates = _row_templates()
    for source in parsed:  # each a template with its fields marked F0_, F1_, ...
        marks = sorted({t.id for t in ast.walk(real(source, mode="eval"))
                        if isinstance(t, ast.Name) and t.id.startswith("F") and
                        t.id.endswith("_") and t.id[1:-1].isdigit()})
        matches = [t for t in templates
                   if _fields(t) and len(_fields(t)) == len(marks) and
                   t.format(**{f: f"F{i}_" for i, f in enumerate(_fields(t))}) == source]
        assert matches, f"parsed something that is no row's template: {source!r}"
    assert not any("buffer" in source or " = " in source for source in parsed)


def _fields(template):
    return list(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))


def test_lines_are_statements_with_fields_until_the_text_is_written():
    statement = codegen.assign("g_x", "g_y * y", "mul gate", ("g_y", "y"), "ufunc")
    assert statement.text == "g_x = g_y * y" and statement.defines == ("g_x",)
    assert statement.operands == ("g_y", "y")
    expr = codegen.Expr("g_y * y", ("g_y", "y"), "ufunc", ("np.multiply", "g_y", "y"))
    assert expr.into("buffer0").text == "np.multiply(g_y, y, out=buffer0)"
    names, shape = codegen.template_shape("{g} @ {y}.swapaxes(-1, -2)")
    assert names == ("g", "y") and shape == ("matmul", ("g", False), ("y", True))
    assert codegen.template_shape("{g} * {y}")[1] == ("ufunc", "np.multiply", "g", "y")
    assert codegen.template_shape("{g}")[1] == ("name", "g")
    assert codegen.template_shape("divide({g}, {y})")[1] == ("new",)
    assert codegen.template_shape("expand({g}, {x_shape}, {axis}, {keepdims})")[1] == ("any",)


@pytest.mark.parametrize("op", [op for op in ops.OPS.values() if op.input_vjps and
                                all(hasattr(r, "template") for r in op.input_vjps)],
                         ids=lambda op: op.name)
def test_a_rule_written_once_is_its_template_and_exact(op):
    assert op.code == tuple(r.template for r in op.input_vjps)
    assert op.code_exact is True
    assert op._code_rules is op.input_vjps
