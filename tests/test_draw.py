"""Diagrams rendered with the real `dot` and read back as XML: the nodes, texts and wires equal
what the graph holds; gradients shown equal `.grad`; escaping; modules; big graphs; no `dot`."""

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Op, Scalar, Tensor, draw
from autograd.testing import expressions

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?(?:nan|inf|\d+(?:\.\d*)?(?:e[+-]?\d+)?)")


class Picture:
    """A diagram rendered to SVG by `dot` and parsed: its nodes (each a list of texts), edges
    and clusters (each a (texts, bounding box) pair)."""

    def __init__(self, diagram):
        assert shutil.which("dot"), "Graphviz's dot must be installed for these tests"
        self.svg = diagram.pipe(format="svg").decode()
        root = ET.fromstring(self.svg)
        groups = list(root.iter(f"{SVG}g"))
        self.nodes = [self._texts(g) for g in groups if g.get("class") == "node"]
        self.edges = [g for g in groups if g.get("class") == "edge"]
        self.clusters = [(self._texts(g), self._box(g)) for g in groups
                         if g.get("class") == "cluster"]
        texts = list(root.iter(f"{SVG}text"))
        self.red = [t.text for t in texts if t.get("fill") == "red"]
        self.green = [t.text for t in texts if t.get("fill") == "darkgreen"]
        self.bold = [t.text for t in texts if t.get("font-weight") == "bold"]
        self.svg_texts = [t.text for t in texts if t.text is not None]
        self.wire_texts = {t.text for g in self.edges for t in g.iter(f"{SVG}text")}
        self.positions = {}  # text -> (x, y) of the node texts
        self.placed = []  # (texts, (x, y) of the first text) of every node
        for g in groups:
            if g.get("class") == "node":
                for t in g.iter(f"{SVG}text"):
                    self.positions[t.text] = (float(t.get("x")), float(t.get("y")))
                first = next(g.iter(f"{SVG}text"))
                self.placed.append((self._texts(g), (float(first.get("x")),
                                                     float(first.get("y")))))

    @staticmethod
    def _texts(group):
        return [t.text for t in group.iter(f"{SVG}text") if t.text is not None]

    @staticmethod
    def _box(group):
        outline = group.find(f"{SVG}path")  # a rounded box is a path, a square one a polygon
        outline = outline.get("d") if outline is not None else \
            group.find(f"{SVG}polygon").get("points")
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", outline)]
        xs, ys = numbers[0::2], numbers[1::2]
        return min(xs), min(ys), max(xs), max(ys)

    def texts(self):
        return {t for node in self.nodes for t in node}

    def node_named(self, name):
        (node,) = [n for n in self.nodes if n[0] == name]
        return node

    def inside(self, text, box):
        x, y = self.positions[text]
        return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def graph_of(root):
    """The test's own account of a graph: its values (each once), op count, constant count and
    wire count (op -> its value, and one wire per input, constants included)."""
    values, seen, stack = [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        values.append(node)
        for p in node.parents:
            if isinstance(p, autograd.Value) and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    interior = [v for v in values if v.op is not None]
    constants = sum(not isinstance(p, autograd.Value) for v in interior for p in v.parents)
    wires = sum(1 + len(v.parents) for v in interior)
    return values, len(interior), constants, wires


def numbers_after(node_texts, key):
    """The numbers a value node shows after "data " or "grad " (over one or more lines)."""
    joined = " ".join(node_texts)
    match = re.search(rf"{key} (.*?)(?: grad |$)", joined)
    return np.array([float(n) for n in NUMBER.findall(match.group(1))])


def fxyz():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f, (x, y, z, q)


def test_scalar_expression_node_texts_and_wires_equal_the_graph():
    f, (x, y, z, q) = fxyz()
    picture = Picture(draw(f))
    values, n_ops, n_constants, wires = graph_of(f)
    assert len(picture.nodes) == len(values) + n_ops + n_constants == 7
    assert len(picture.edges) == wires == 6
    expected = {"add", "mul"}
    for v in values:
        expected |= {v.label, f"data {v.data:.4g}", f"grad {v.grad:.4g}"}
    assert picture.texts() == expected
    assert picture.node_named("z") == ["z", "data -4", "grad 3"]
    assert picture.node_named("x") == ["x", "data -2", "grad -4"]


def test_constants_are_small_nodes_and_count_as_inputs():
    x = Scalar(1.5, label="x")
    out = (x * 2.0 + 1.0).tanh()
    out.backward()
    picture = Picture(draw(out))
    values, n_ops, n_constants, wires = graph_of(out)
    assert (len(picture.nodes), len(picture.edges)) == (len(values) + n_ops + n_constants,
                                                        wires)
    assert {"2", "1", "tanh"} <= picture.texts()


def test_gradients_on_the_wires_and_gate_names_in_the_cs231n_picture():
    f, _ = fxyz()
    picture = Picture(draw(f, edge_values=True, gates=True))
    labels = {}
    for edge in picture.edges:
        texts = [t.text for t in edge.iter(f"{SVG}text")]
        title = edge.find(f"{SVG}title").text
        labels.setdefault(title, []).append(texts)
    assert {"add gate: distributes", "mul gate: swaps"} <= picture.texts()
    # forward value then gradient on each wire into an op: the chain rule's numbers
    wire_labels = sorted(tuple(t) for texts in labels.values() for t in texts if t)
    assert wire_labels == sorted([("-2", "-4"), ("5", "-4"), ("3", "-4"), ("-4", "3")])


def test_fan_out_is_labelled_as_the_copy_gate_and_each_use_has_a_wire():
    a = Scalar(3.0, label="a")
    out = a * a + a
    out.backward()
    picture = Picture(draw(out, gates=True, edge_values=True))
    assert picture.node_named("a") == ["a", "data 3", "grad 7", "fan-out adds: 3 gradients"]
    _, _, _, wires = graph_of(out)
    assert len(picture.edges) == wires == 6  # a -> mul twice, a -> add, mul1 -> add, 2 op wires


def test_unary_gate_shows_its_local_gradient():
    x = Scalar(0.0, label="x")
    out = x.sigmoid()
    out.backward()
    picture = Picture(draw(out, gates=True))
    assert "local gradient 0.25" in picture.texts()


def test_tensor_expression_shows_shape_dtype_values_and_gradients():
    w = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True, label="W")
    v = Tensor(np.array([0.25, -1.0], dtype=np.float64), requires_grad=True, label="v")
    out = ((w @ v).tanh() * 3.0).sum()
    out.backward()
    picture = Picture(draw(out))
    values, n_ops, n_constants, wires = graph_of(out)
    assert (len(picture.nodes), len(picture.edges)) == (len(values) + n_ops + n_constants,
                                                        wires)
    for value in values:
        node = picture.node_named(value.label) if value.label else None
        if node is None:
            continue
        assert node[1] == f"{value.data.shape} {value.data.dtype}"
        np.testing.assert_allclose(numbers_after(node, "data"), value.data.ravel(), rtol=1e-3)
        np.testing.assert_allclose(numbers_after(node, "grad"), value.grad.ravel(), rtol=1e-3)
    assert picture.node_named("W")[1] == "(2, 2) float64"


def test_float32_and_big_tensors_are_summarised():
    x = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True, label="x")
    out = (x * x).mean()
    out.backward()
    node = Picture(draw(out)).node_named("x")
    assert node[1] == "(3, 4) float32"
    assert node[2] == "data min 0 mean 5.5 max 11"
    grad_min, grad_mean, grad_max = 0.0, float(x.grad.mean()), float(x.grad.max())
    assert node[3] == f"grad min {grad_min:.3g} mean {grad_mean:.3g} max {grad_max:.3g}"


def test_values_are_green_gradients_red_and_nan_and_inf_stand_out():
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="W")
    with np.errstate(all="ignore"):
        out = (w * Tensor([0.0, 1.0])).log().sum()
        out.backward()
    diagram = draw(out)
    picture = Picture(diagram)
    log_node = picture.node_named("log1")
    assert "-inf" in " ".join(log_node)
    values = [t for t in picture.green if t.startswith("data")]
    gradients = [t for t in picture.red if t.startswith("grad ")]
    assert len(values) == 5 and len(gradients) == 4  # the constant [0, 1] has no gradient
    # nan and inf: bold on a pale red background; finite numbers are not
    assert {"data -inf", "data [[-inf, 0.6931], [-inf, 1.386]]",
            "grad [[nan, 0.5], [nan, 0.25]]", "grad [[inf, 0.5], [inf, 0.25]]"} <= set(picture.bold)
    assert "data [[1, 2], [3, 4]]" in picture.node_named("W")
    assert not any(t.startswith(("data [[1, 2]", "grad [[1, 1]")) for t in picture.bold)
    assert diagram.source.count('BGCOLOR="mistyrose"') == 4


def test_every_diagram_has_a_legend_of_its_colours():
    f, _ = fxyz()
    for diagram, entries in [(draw(f), ["value (data)", "gradient (grad)"]),
                             (draw(f, title="mine"), ["mine", "value (data)", "gradient (grad)"]),
                             (draw(f, show_gradients=False), ["value (data)"]),
                             (draw(Scalar(1.0) * 2.0), ["value (data)"])]:
        picture = Picture(diagram)
        captions = [t for t in picture.svg_texts if t not in picture.texts()
                    and t not in picture.wire_texts]
        assert captions == entries
    assert "darkgreen" in Picture(draw(f)).svg and 'fill="red"' in Picture(draw(f)).svg


def test_negative_zero_is_shown_as_zero():
    x = Scalar(-0.0, label="x")
    out = x * -1.0  # data 0 * -1 = -0 and x's gradient -1; -0 shows as 0
    out.backward()
    t = Tensor(np.array([-0.0, 1.0]), requires_grad=True, label="t")
    (t * 0.0).sum().backward()
    assert Picture(draw(out)).node_named("x")[1] == "data 0"
    assert Picture(draw(out)).node_named("mul1")[1] == "data 0"
    texts = Picture(draw(t * -0.0)).node_named("t")
    assert texts[2] == "data [0, 1]" and texts[3] == "grad [0, 0]"


@settings(max_examples=25)
@given(expressions(max_depth=3, n_vars=2), st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_random_expressions_draw_every_value_op_and_wire(expression, xs):
    leaves = [Scalar(v, label=f"x{i}") for i, v in enumerate(xs)]
    out = expression.build(*leaves)
    if not isinstance(out, Scalar) or out.op is None:
        return  # the expression is a bare variable or a constant: nothing to draw
    with np.errstate(all="ignore"):
        out.backward()
    picture = Picture(draw(out, edge_values=True, gates=True))
    values, n_ops, n_constants, wires = graph_of(out)
    assert len(picture.nodes) == len(values) + n_ops + n_constants
    assert len(picture.edges) == wires
    for leaf in leaves:
        if any(v is leaf for v in values):
            shown = picture.node_named(leaf.label)
            assert shown[2] == f"grad {leaf.grad + 0.0:.4g}"  # -0 shows as 0


ADVERSARIAL = ['say "hi"', "<b>bold</b>", "{braces}", "back\\slash", "two\nlines", "a & b",
               "\\N \\l \\G \\E \\\\ end\\", "]; x -> y [", "<<TABLE>>", "&amp; &#60;",
               "crlf\r\nnext", "two  spaces"]


def test_adversarial_labels_round_trip_into_the_svg_unchanged():
    values = [Scalar(float(i), label=label) for i, label in enumerate(ADVERSARIAL)]
    out = values[0]
    for v in values[1:]:
        out = out + v
    out.backward()
    diagram = draw(out, title='title "<&>" {x}\\')
    assert "<b>bold</b>" not in diagram.source and "<<TABLE>>" not in diagram.source
    picture = Picture(diagram)
    texts = {t.replace("\xa0", " ") for t in picture.texts()}  # dot keeps runs of spaces so
    for label in ADVERSARIAL:
        lines = label.replace("\r", "").split("\n")
        assert all(line in texts for line in lines), label
    assert 'title "<&>" {x}\\' in picture.svg.replace("&quot;", '"').replace(
        "&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    _, n_ops, _, wires = graph_of(out)
    assert len(picture.edges) == wires


def test_control_characters_show_as_escapes():
    x = Scalar(1.0, label="tab\there\x07")
    out = x * 2.0
    assert "tab\\there\\x07" in Picture(draw(out)).texts()


def test_an_op_with_a_hostile_name_is_escaped():
    op = Op('<op> "q" {\\}', lambda x: 2.0 * x, lambda g, out, x: 2.0 * g)
    x = Scalar(1.0, label="x")
    out = op(x)
    out.backward()
    assert '<op> "q" {\\}' in Picture(draw(out, gates=True)).texts()


class Layer:
    """A duck-typed stand-in for nn.Linear (x @ W + b)."""

    def __init__(self, n_in, n_out, rng, index):
        self.weight = Tensor(rng.normal(size=(n_in, n_out)), requires_grad=True,
                             label=f"W{index}")
        self.bias = Tensor(np.zeros(n_out), requires_grad=True, label=f"b{index}")
        self.text = f"Layer({n_in} -> {n_out})"

    def __call__(self, x):
        return x @ self.weight + self.bias

    def __repr__(self):
        return self.text


class Net:
    """A duck-typed two-layer network: named_parameters and named_modules, as nn has them."""

    def __init__(self, sizes=(4, 3, 2), seed=0):
        rng = np.random.default_rng(seed)
        self.layers = [Layer(a, b, rng, i) for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}.weight", layer.weight
            yield f"layers.{i}.bias", layer.bias

    def named_modules(self):
        yield "", self
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}", layer

    def __call__(self, x):
        return self.layers[1](self.layers[0](x).relu())

    def __repr__(self):
        return "Net()"


def mlp_loss(net):
    out = net(Tensor(np.linspace(-1, 1, 8).reshape(2, 4), label="X"))
    loss = (out * out).mean()
    loss.backward()
    return loss


def test_modules_are_boxes_holding_their_parameters_and_ops():
    net = Net()
    loss = mlp_loss(net)
    picture = Picture(draw(loss, model=net))
    values, n_ops, n_constants, wires = graph_of(loss)
    assert (len(picture.nodes), len(picture.edges)) == (len(values) + n_ops + n_constants,
                                                        wires)
    titles = sorted(texts[0] for texts, _ in picture.clusters)
    assert titles == ["layers.0: Layer(4 -> 3)", "layers.1: Layer(3 -> 2)"]
    boxes = {texts[0].split(":")[0]: box for texts, box in picture.clusters}
    # each box holds its parameters and the values its ops made; nothing else
    assert picture.inside("W0", boxes["layers.0"]) and picture.inside("b0", boxes["layers.0"])
    assert picture.inside("W1", boxes["layers.1"]) and picture.inside("b1", boxes["layers.1"])
    assert not picture.inside("W1", boxes["layers.0"])
    assert not any(picture.inside(t, box) for t in ("X", "relu1", "mul1", "mean1")
                   for box in boxes.values())
    for name in ("matmul1", "add1"):
        assert sum(picture.inside(name, box) for box in boxes.values()) == 1


def test_collapsed_modules_are_single_boxes_and_can_be_expanded_one_by_one():
    net = Net()
    loss = mlp_loss(net)
    picture = Picture(draw(loss, model=net, collapse_modules=True))
    boxes = [n for n in picture.nodes if n[0].startswith("layers.")]
    assert sorted(boxes) == [["layers.0: Layer(4 -> 3)", "ops: add, matmul"],
                             ["layers.1: Layer(3 -> 2)", "ops: add, matmul"]]
    assert not ({"matmul", "W0", "b1"} & picture.texts())
    # X, relu (op + value), mul (op + value), mean (op + value) and the two layer boxes
    assert len(picture.nodes) == 9
    # X -> layer0 -> relu -> relu1 -> layer1 -> mul -> mul1 -> mean -> mean1: a box has one
    # wire to each neighbour (out * out is one wire from layer1 to mul, two when expanded)
    assert len(picture.edges) == 8
    partly = Picture(draw(loss, model=net, collapse_modules=["layers.0"]))
    assert [texts[0] for texts, _ in partly.clusters] == ["layers.1: Layer(3 -> 2)"]
    assert ["layers.0: Layer(4 -> 3)", "ops: add, matmul"] in partly.nodes
    assert "W1" in partly.texts() and "W0" not in partly.texts()
    with pytest.raises(ValueError, match=r"names \['layer.0'\].*here: \['layers.0', 'layers.1'\]"):
        draw(loss, model=net, collapse_modules=["layer.0"])
    with pytest.raises(ValueError, match="collapse_modules needs the model"):
        draw(loss, collapse_modules=True)


def test_a_real_nn_mlp_is_drawn_with_one_box_per_linear_layer():
    nn = pytest.importorskip("nn")  # the sibling package of this repository, always present
    model = nn.MLP([4, 3, 2], rng=0)
    loss = nn.cross_entropy(model(Tensor(np.ones((2, 4)))), np.array([0, 1]))
    loss.backward()
    picture = Picture(draw(loss, model=model))
    values, n_ops, n_constants, wires = graph_of(loss)
    assert (len(picture.nodes), len(picture.edges)) == (len(values) + n_ops + n_constants,
                                                        wires)
    assert sorted(texts[0] for texts, _ in picture.clusters) == [
        "layers.0: Linear(4 -> 3)", "layers.1: Linear(3 -> 2)"]
    collapsed = Picture(draw(loss, model=model, collapse_modules=True))
    assert "matmul" not in collapsed.texts()
    scalar_model = nn.MLP([2, 2, 1], value=Scalar, rng=0)
    out = scalar_model([1.0, -1.0])[0]
    out.backward()
    scalar_picture = Picture(draw(out, model=scalar_model))
    assert len(scalar_picture.clusters) == 2


def test_a_scalar_layers_sums_are_inside_its_box_and_its_activations_outside():
    nn = pytest.importorskip("nn")
    model = nn.MLP([2, 2, 1], activation="sigmoid", output="sigmoid", value=Scalar, rng=3)
    for name, p in model.named_parameters():
        p.label = None  # named by draw from named_parameters
    inputs = [Scalar(0.5, label="x1"), Scalar(-1.0, label="x2")]
    out = model(inputs)[0]
    out.backward()
    picture = Picture(draw(out, model=model))
    boxes = {texts[0].split(":")[0]: box for texts, box in picture.clusters}
    assert sorted(boxes) == ["layers.0", "layers.1"]
    first = ["weight.0.0", "weight.0.1", "weight.1.0", "weight.1.1", "bias.0", "bias.1",
             "mul1", "mul2", "mul3", "mul4", "add1", "add2", "add3", "add4"]
    second = ["weight.0.0", "weight.1.0", "bias.0", "mul5", "mul6", "add5", "add6"]
    # parameter names repeat across layers: count the texts inside each box
    for box, names in [(boxes["layers.0"], first), (boxes["layers.1"], second)]:
        inside = [texts[0] for texts, (x, y) in picture.placed
                  if box[0] <= x <= box[2] and box[1] <= y <= box[3]]
        assert sorted(t for t in inside if t not in ("add", "mul")) == sorted(names)
    for outside in ("x1", "x2", "sigmoid1", "sigmoid2", "sigmoid3"):
        assert not any(picture.inside(outside, box) for box in boxes.values()), outside


def test_unlabelled_values_are_named_by_their_role_with_a_model():
    net = Net()
    for layer in net.layers:
        layer.weight.label = layer.bias.label = None
    out = net(Tensor(np.ones((2, 4))))
    loss = ((out - Tensor(np.zeros((2, 2)))) ** 2).mean()
    loss.backward()
    picture = Picture(draw(loss, model=net))
    names = sorted(node[0] for node in picture.nodes if len(node) > 2)
    assert names == ["add1", "add2", "bias", "bias", "input", "matmul1", "matmul2", "mean1",
                     "pow1", "relu1", "sub1", "target", "weight", "weight"]
    for _, box in picture.clusters:  # each box holds one weight and one bias
        inside = sorted(texts[0] for texts, (x, y) in picture.placed
                        if box[0] <= x <= box[2] and box[1] <= y <= box[3] and len(texts) > 2)
        assert inside in (["add1", "bias", "matmul1", "weight"],
                          ["add2", "bias", "matmul2", "weight"]), inside
    assert sorted(autograd.backward_steps(loss, model=net).rows[-1]["node"].split(", ")) == [
        "layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"]
    without = Picture(draw(loss))
    assert {"x1", "x2"} <= without.texts() and "input" not in without.texts()


def test_a_long_chain_draws_without_recursion_and_big_graphs_are_summarised():
    x = Scalar(1.0, label="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    source = draw(y, max_nodes=None, show_gradients=False).source  # no RecursionError
    assert source.count(" -> ") == 3 * 100_000  # value -> op, constant -> op, op -> value
    picture = Picture(draw(y, max_nodes=50))
    assert "50 more values not drawn" not in picture.texts()
    assert "99951 more values not drawn (max_nodes=50)" in picture.texts()
    assert "ops: mul x99950; leaves: 1" in picture.texts()
    assert len(picture.nodes) == 50 * 3 + 1  # 50 mul values, their ops and constants; summary


def test_jupyter_shows_the_svg_inline():
    f, _ = fxyz()
    bundle, _ = draw(f)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and bundle["image/png"].startswith(b"\x89PNG")
    assert repr(draw(f)).startswith("<autograd.draw.Diagram: diagram of f")


def test_highlight_title_and_options():
    f, (x, y, z, q) = fxyz()
    diagram = draw(f, highlight=q, title="step 2", rankdir="TB", show_gradients=False)
    picture = Picture(diagram)
    assert "step 2" in picture.svg and "rankdir=TB" in diagram.source
    assert not any(t.startswith("grad") for t in picture.texts())
    assert diagram.source.count('BGCOLOR="gold"') == 1 and "fillcolor=gold" in diagram.source


@pytest.mark.parametrize("call, error, message", [
    (lambda: draw(3.0), TypeError, "expected a Scalar or Tensor, got float"),
    (lambda: draw(Scalar(1.0), max_nodes=0), ValueError, "max_nodes must be a positive"),
    (lambda: draw(Scalar(1.0), rankdir="UP"), ValueError, "rankdir must be one of"),
    (lambda: draw(Scalar(1.0), model=object()), TypeError, "named_parameters"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_without_dot_the_source_remains_and_rendering_says_how_to_install(monkeypatch,
                                                                          tmp_path):
    f, _ = fxyz()
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot on the PATH
    diagram = draw(f, edge_values=True, gates=True)
    assert diagram.source.startswith("digraph") and "mul gate: swaps" in diagram.source
    for attempt in (lambda: diagram.render(tmp_path / "g", format="svg"),
                    lambda: diagram.pipe(format="svg"),
                    lambda: diagram._repr_mimebundle_()):
        with pytest.raises(RuntimeError, match="apt-get install graphviz") as caught:
            attempt()
        assert "brew install graphviz" in str(caught.value)
    assert not list(tmp_path.glob("g.svg"))


def test_autograd_imports_without_graphviz_and_draw_names_the_extra(tmp_path):
    script = (
        "import sys; sys.modules['graphviz'] = None\n"
        "import autograd\n"
        "out = autograd.Scalar(2.0) * 3.0\n"
        "out.backward()\n"
        "print(autograd.backward_steps(out).rows[0]['downstream'])\n"
        "try:\n"
        "    autograd.draw(out)\n"
        "except ImportError as error:\n"
        "    print('ImportError:', error)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, cwd=tmp_path)
    assert "['x1 <- 3']" in result.stdout
    assert 'ImportError: drawing graphs needs the graphviz Python package: pip install ' \
           '"gategrad[viz]"' in result.stdout
