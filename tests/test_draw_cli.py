"""The command line `python -m autograd.draw`: diagrams written with the real `dot`, the step
table, safe parsing (a whitelist over Python's ast) and errors that point at their place."""

import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd.draw.__main__ import main
from autograd.draw.typed_expression import ExpressionError, evaluate

SVG = "{http://www.w3.org/2000/svg}"
NEURON = ["sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]


def svg_texts(path):
    assert shutil.which("dot"), "Graphviz's dot must be installed for these tests"
    return [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_the_neuron_is_drawn_with_its_gradients(tmp_path, capsys):
    target = tmp_path / "neuron.svg"
    assert main([*NEURON, "-o", str(target)]) == 0
    assert "= 0.731059; wrote" in capsys.readouterr().out
    texts = svg_texts(target)
    s = 1 / (1 + math.exp(-1.0))  # the neuron's output, and its local gradient s(1 - s)
    local = s * (1 - s)
    for name, grad in [("w0", -1 * local), ("x0", 2 * local), ("w1", -2 * local),
                       ("x1", -3 * local), ("w2", local)]:
        assert f"grad {grad:.4g}" in texts, name
    assert f"local gradient {local:.4g}" in texts
    assert texts.count("mul gate: swaps") == 2 and texts.count("add gate: distributes") == 2
    assert not list(tmp_path.glob("*.gv"))  # nothing but the output is written


def test_steps_formats_and_plain_mode(tmp_path, capsys):
    assert main(["(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(tmp_path / "f.dot"),
                 "--steps", "--plain", "--rankdir", "TB"]) == 0
    out = capsys.readouterr().out
    assert "x <- -4" in out and "y.grad = -4" in out and "q" not in out.split("\n", 1)[0]
    source = (tmp_path / "f.dot").read_text()
    assert source.startswith("digraph") and "rankdir=TB" in source
    assert "gate" not in source  # --plain: op names only
    for fmt, magic in [("png", b"\x89PNG"), ("pdf", b"%PDF")]:
        assert main(["x * 2", "x=1", "-o", str(tmp_path / f"g.{fmt}")]) == 0
        assert (tmp_path / f"g.{fmt}").read_bytes().startswith(magic)


def test_an_existing_file_is_kept_unless_forced(tmp_path, capsys):
    target = tmp_path / "mine.svg"
    target.write_text("my drawing")
    with pytest.raises(SystemExit) as exit_:
        main(["x * 2", "x=1", "-o", str(target)])
    assert exit_.value.code == 2 and "--force" in capsys.readouterr().err
    assert target.read_text() == "my drawing"
    assert main(["x * 2", "x=1", "-o", str(target), "--force"]) == 0
    assert "x" in svg_texts(target)


def test_unknown_output_format(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["x * 2", "x=1", "-o", str(tmp_path / "g.jpeg")])
    assert "unknown output format '.jpeg'" in capsys.readouterr().err


def test_without_dot_the_command_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["x * 2", "x=1", "-o", str(tmp_path / "g.svg")]) == 1
    error = capsys.readouterr().err
    assert "apt-get install graphviz" in error and "brew install graphviz" in error
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize("expression, values, message, column", [
    ("x * __import__('os')", ["x=1"], "unknown function '__import__'", 5),
    ("x +* y", ["x=1", "y=2"], "syntax error", 4),
    ("sigmoid(x", ["x=1"], "syntax error: '(' was never closed", 8),
    ("x * q", ["x=1"], "no value given for 'q' (add q=<number> to the command); given: x", 5),
    ("w0*x0 + w1", ["w0=1", "x0=2"], "no value given for 'w1'", 9),
    ("x + exp", ["x=1"], "no value given for 'exp' (it is a function: call it)", 5),
    ("x.real", ["x=1"], "Attribute is not allowed", 1),
    ("x < 2", ["x=1"], "Compare is not allowed", 1),
    ("[x for x in y]", ["x=1"], "ListComp is not allowed", 1),
    ("x + 'a'", ["x=1"], "the constant 'a' is not a number", 5),
    ("exp(x, x)", ["x=1"], "exp takes 1 argument(s), got 2", 1),
    ("x * 10.0 ** 400", ["x=1"], "cannot compute this: the result is too large", 10),
    ("x + 1 / 0", ["x=1"], "cannot compute this: float division by zero", 7),
    ("2 * 3", [], "the expression uses no variable", 1),
    ("x + 1", ["x=1", "y=2"], "names the expression does not use: y", None),
    ("x + 1", ["x=one"], "the value of x must be a number", None),
    ("x + 1", ["x"], "expected name=value", None),
    ("x + 1", ["x=1", "x=2"], "x is given twice", None),
])
def test_errors_point_at_the_place(expression, values, message, column, tmp_path, capsys):
    assert main([expression, *values, "-o", str(tmp_path / "g.svg")]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert not (tmp_path / "g.svg").exists()
    if column is not None:
        assert f"at column {column}:" in error
        shown, caret = error.splitlines()[-2:]
        assert shown == "  " + expression
        assert caret == "  " + " " * (column - 1) + "^"


def test_a_long_expression_is_evaluated_without_recursion_and_errors_are_cut_to_fit():
    text = " + ".join(["x * 0.5"] * 150)  # deeper than a recursive walk comfortably goes
    out, leaves = evaluate(text, {"x": 2.0})
    out.backward()
    assert out.data == 150.0 and leaves["x"].grad == 75.0
    with pytest.raises(ExpressionError) as caught:
        evaluate(text + " + q", {"x": 2.0})
    shown, caret = str(caught.value).splitlines()[-2:]
    assert shown.startswith("  ...") and shown.endswith("+ q") and len(shown) < 90
    assert caret.endswith("^") and len(caret) == len(shown)
    with pytest.raises(ExpressionError, match="too many nested parentheses at column 201"):
        evaluate("(" * 500 + "x" + ")" * 500, {"x": 1.0})
    with pytest.raises(ExpressionError, match="nested too deeply for Python's parser"):
        evaluate("+".join(["x"] * 20_000), {"x": 1.0})  # Python's own parser gives up


def test_the_module_runs_as_a_program(tmp_path):
    target = tmp_path / "f.svg"
    result = subprocess.run([sys.executable, "-m", "autograd.draw", "(x + y) * z", "x=-2",
                             "y=5", "z=-4", "-o", str(target), "--steps"],
                            capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "x <- -4" in result.stdout and "y.grad = -4" in result.stdout and target.exists()


# a random expression over x and y, built with its value (plain floats) alongside its text
_leaf = st.sampled_from([("x", lambda x, y: x), ("y", lambda x, y: y),
                         ("1.5", lambda x, y: 1.5), ("2", lambda x, y: 2.0)])


def _combine(children):
    binary = st.tuples(st.sampled_from(["+", "-", "*"]), children, children).map(
        lambda t: (f"({t[1][0]} {t[0]} {t[2][0]})",
                   {"+": lambda a, b: lambda x, y: a(x, y) + b(x, y),
                    "-": lambda a, b: lambda x, y: a(x, y) - b(x, y),
                    "*": lambda a, b: lambda x, y: a(x, y) * b(x, y)}[t[0]](t[1][1], t[2][1])))
    unary = st.tuples(st.sampled_from(["tanh", "sigmoid", "-"]), children).map(
        lambda t: (f"{t[0]}({t[1][0]})",
                   {"tanh": lambda a: lambda x, y: math.tanh(a(x, y)),
                    "sigmoid": lambda a: lambda x, y: 1 / (1 + math.exp(-a(x, y))),
                    "-": lambda a: lambda x, y: -a(x, y)}[t[0]](t[1][1])))
    return binary | unary


@given(st.recursive(_leaf, _combine, max_leaves=8), st.floats(-1, 1), st.floats(-1, 1))
def test_typed_expressions_evaluate_and_differentiate_like_the_formula(case, x, y):
    text, formula = case
    values = {name: v for name, v in (("x", x), ("y", y)) if name in text}
    try:
        out, leaves = evaluate(text, values)
    except ExpressionError as error:
        assert "uses no variable" in str(error)
        return
    assert math.isclose(out.data, formula(x, y), rel_tol=1e-9, abs_tol=1e-12)
    out.backward()
    h = 1e-6
    for name, leaf in leaves.items():
        shifted = [dict(values, **{name: values[name] + d}) for d in (h, -h)]
        numeric = (formula(**{"x": x, "y": y, **shifted[0]}) -
                   formula(**{"x": x, "y": y, **shifted[1]})) / (2 * h)
        assert math.isclose(leaf.grad, numeric, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("where, message", [
    (lambda d: d / "missing" / "g.svg", "the directory {d}/missing does not exist; create it"),
    (lambda d: d / "a_file" / "g.svg", "{d}/a_file is a file, so {d}/a_file/g.svg cannot be "
                                       "written under it"),
    (lambda d: d / "a_file" / "sub" / "g.svg", "{d}/a_file is a file, so"),
    (lambda d: d / "a_dir.svg", "{d}/a_dir.svg is a directory; give a file name"),
])
def test_a_bad_output_path_is_refused_in_one_line_before_any_work(tmp_path, capsys, where,
                                                                   message):
    (tmp_path / "a_file").write_text("mine")
    (tmp_path / "a_dir.svg").mkdir()
    # the expression is bad too: the output path is checked first, before any work
    with pytest.raises(SystemExit) as exit_:
        main(["x +* 2", "x=1", "-o", str(where(tmp_path))])
    error = capsys.readouterr().err
    assert exit_.value.code == 2
    assert error.startswith(f"python -m autograd.draw: error: {message.format(d=tmp_path)}")
    assert error.count("\n") == 1
    assert (tmp_path / "a_file").read_text() == "mine"


def test_a_failed_render_keeps_the_earlier_file_and_leaves_no_partial_file(
        tmp_path, capsys, monkeypatch):
    target = tmp_path / "g.svg"
    target.write_text("my drawing")

    def broken_pipe(self, *args, **kwargs):
        raise OSError(28, "No space left on device")
    from autograd.draw import diagram
    monkeypatch.setattr(diagram.graphviz_module().Digraph, "pipe", broken_pipe)
    assert main(["x * 2", "x=1", "-o", str(target), "--force"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert target.read_text() == "my drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


@pytest.mark.parametrize("expression, message, column", [
    ("x + " + "9" * 400, "the number 99999999999999999... is too large for a float", 5),
    ("x + 1e400", "the number 1e400 is too large for a float", 5),
    ("x * (-8)**0.5", "the result is the complex number 1.732e-16+2.828j; only real values", 9),
    ("exp((-8)**0.5) + x", "the result is the complex number", 9),
    ("max(x, (-8)**0.5)", "the result is the complex number", 12),
    ("x" + ".a" * 1000 + "()", "unknown function 'x.a.a.a", 1),
    ("ééé * x + q", "no value given for 'q'", 11),
    ("ééé + x +* 2", "syntax error", 10),
    ("x * ééé.real", "Attribute is not allowed", 5),
])
def test_hostile_expressions_get_one_clear_error_with_the_caret_under_the_character(
        tmp_path, capsys, expression, message, column):
    values = ["x=1"] + (["ééé=2"] if "ééé" in expression else [])
    assert main([expression, *values, "-o", str(tmp_path / "g.svg")]) == 2
    error = capsys.readouterr().err
    assert message in error and f"at column {column}:" in error
    assert "Traceback" not in error
    first, shown, caret = error.splitlines()  # the error, the expression, the caret
    assert first.startswith("error: ")
    assert caret == "  " + " " * (column - 1) + "^"  # counted in characters, not UTF-8 bytes
    assert shown[2 + column - 1] == expression[column - 1]
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize("value", ["x=inf", "x=nan", "x=-1e999"])
def test_values_must_be_finite(tmp_path, capsys, value):
    assert main(["x * 2", value, "-o", str(tmp_path / "g.svg")]) == 2
    assert "the value of x must be a finite number" in capsys.readouterr().err


def test_every_flag_has_help_and_a_default():
    from autograd.draw.__main__ import _parser
    for action in _parser()._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and "default" in action.help, action.option_strings
