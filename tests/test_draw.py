"""Diagrams rendered with the real `dot` and read back as XML; escaping; steps; the CLI."""

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from autograd import Scalar, Tensor, backward_steps, draw
from autograd.draw.__main__ import main

SVG = "{http://www.w3.org/2000/svg}"


def _require_dot():
    assert shutil.which("dot"), "Graphviz's dot is not installed: the test command installs it"


def _svg(diagram):
    _require_dot()
    root = ET.fromstring(diagram.pipe(format="svg"))
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    texts = [t.text for t in root.iter(f"{SVG}text") if t.text]
    return nodes, edges, texts


def test_scalar_expression_nodes_edges_and_gradients():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    q = x + y
    f = q * z
    f.backward()
    nodes, edges, texts = _svg(draw(f))
    assert len(nodes) == 5 + 2          # five values, two ops
    assert len(edges) == 6              # x, y -> add -> q; q, z -> mul -> f
    for name, value in [("x", x), ("y", y), ("z", z)]:
        assert name in texts
        assert f"grad {value.grad:.4g}" in texts
    assert {"add", "mul", "data -12", "grad -4", "grad 3"} <= set(texts)


def test_gradients_on_the_wires_and_gate_names():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    _, edges, texts = _svg(draw(f, edge_values=True, gates=True))
    assert "add gate: distributes" in texts and "mul gate: swaps" in texts
    assert texts.count("-4") >= 3  # z's value, and -4 flowing back to x and y


def test_fan_out_is_labelled_as_the_copy_gate():
    a = Scalar(3.0, label="a")
    out = a * a + a
    out.backward()
    _, _, texts = _svg(draw(out, gates=True))
    assert any("fan-out: 3 gradients add" in t for t in texts)
    assert "grad 7" in texts


def test_tensor_expression_shows_shape_dtype_and_nonfinite_values():
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="W")
    with np.errstate(divide="ignore"):
        out = (w * Tensor([0.0, 1.0])).log().sum()
    nodes, edges, texts = _svg(draw(out))
    assert "(2, 2) float64" in texts and "W" in texts
    svg_source = draw(out).pipe(format="svg").decode()
    assert 'fill="red"' in svg_source  # -inf data highlighted
    assert len(edges) == 2 + 1 + 1 + 1 + 1 + 1  # W, const -> mul; mul -> v; v -> log ...


def test_a_gradient_in_the_svg_equals_the_node_gradient():
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True, label="x")
    out = (x * x).sum()
    out.backward()
    _, _, texts = _svg(draw(out))
    shown = [np.array(t[len("grad ["):-1].split(","), dtype=float) for t in texts
             if t.startswith("grad [")]
    assert any(v.shape == (3,) and np.allclose(v, x.grad) for v in shown)  # [2, -4, 1]


def test_adversarial_labels_round_trip_unchanged():
    labels = ['say "hi"', "<b>bold</b>", "{braces}", "back\\slash", "two\nlines", "a & b"]
    values = [Scalar(float(i), label=label) for i, label in enumerate(labels)]
    out = values[0]
    for v in values[1:]:
        out = out + v
    out.backward()
    diagram = draw(out)
    assert "<b>bold</b>" not in diagram.source  # escaped in the DOT file
    _, _, texts = _svg(diagram)
    for label in labels:
        for line in label.split("\n"):
            assert line in texts


def test_module_clusters_and_collapsed_boxes():
    model = nn.MLP([4, 3, 2], rng=0)
    loss = nn.cross_entropy(model(Tensor(np.ones((2, 4)))), np.array([0, 1]))
    loss.backward()
    source = draw(loss, model=model).source
    assert "cluster_layers.0" in source and "cluster_layers.1" in source
    _, _, texts = _svg(draw(loss, model=model))
    assert any("layers.0: Linear(4 -> 3)" in t for t in texts)
    nodes, _, texts = _svg(draw(loss, model=model, collapse_modules=True))
    assert "layers.1: Linear(3 -> 2)" in texts and "matmul" not in texts


def test_scalar_mlp_clusters_by_layer():
    model = nn.MLP([2, 2, 1], value=Scalar, rng=0)
    out = model([1.0, -1.0])[0]
    out.backward()
    source = draw(out, model=model).source
    assert "cluster_layers.0" in source and "cluster_layers.1" in source


def test_large_graphs_are_summarised_and_never_recurse():
    x = Scalar(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    source = draw(y, max_nodes=None, show_grad=False).source  # 10^5 nodes, no RecursionError
    assert source.count("->") >= 200_000
    nodes, _, texts = _svg(draw(y, max_nodes=50))
    assert any("99951 more values collapsed" in t for t in texts)
    assert any("mul x99950" in t for t in texts)


def test_backward_steps_of_f_equals_x_plus_y_times_z():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    steps = backward_steps(f)
    first, second = steps.rows
    assert (first["node"], first["op"], first["upstream"]) == ("f", "mul", "1")
    assert first["local"] == ["df/dq = -4", "df/dz = 3"]
    assert first["downstream"] == ["q <- -4", "z <- 3"]
    assert (second["node"], second["op"], second["upstream"]) == ("q", "add", "-4")
    assert second["local"] == ["dq/dx = 1", "dq/dy = 1"]
    assert second["downstream"] == ["x <- -4", "y <- -4"]
    assert "q <- -4" in str(steps) and "<table>" in steps.to_html()
    pictures = steps.diagrams()
    assert len(pictures) == 2 and "gold" in pictures[0].source


def test_rendering_without_dot_says_how_to_install(monkeypatch, tmp_path):
    x = Scalar(1.0)
    out = x * 2.0
    diagram = draw(out)
    assert "digraph" in diagram.source  # the DOT source needs no binary
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"apt-get install graphviz"):
        diagram.render(tmp_path / "g", format="svg")


def test_cli_writes_the_diagram(tmp_path, capsys):
    _require_dot()
    target = tmp_path / "neuron.svg"
    assert main(["sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3",
                 "-o", str(target)]) == 0
    assert "= 0.731059" in capsys.readouterr().out
    texts = [t.text for t in ET.parse(target).getroot().iter(f"{SVG}text")]
    assert "grad -0.1966" in texts and "grad 0.3932" in texts  # w0 and x0
    assert main(["(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(tmp_path / "f.dot")]) == 0
    assert (tmp_path / "f.dot").read_text().startswith("digraph")


@pytest.mark.parametrize("expression, values, message, column", [
    ("x * __import__('os')", ["x=1"], "unknown function '__import__'", 5),
    ("x +* y", ["x=1", "y=2"], "syntax error", 4),
    ("x * q", ["x=1"], "no value given for 'q'; given: x", 5),
    ("x.real", ["x=1"], "Attribute is not allowed", 1),
    ("exp(x, x)", ["x=1"], "exp takes 1 argument(s), got 2", 1),
    ("x + 1", ["x=1", "y=2"], "names the expression does not use: y", None),
    ("x + 1", ["x=one"], "the value of x must be a number", None),
])
def test_cli_errors_point_at_the_place(expression, values, message, column, tmp_path, capsys):
    assert main([expression, *values, "-o", str(tmp_path / "g.svg")]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert not (tmp_path / "g.svg").exists()
    if column is not None:
        assert f"at column {column}:" in error
        assert error.splitlines()[-1] == "  " + " " * (column - 1) + "^"
