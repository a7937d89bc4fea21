"""The course's checks, kept out of the lessons: `tests/test_notebooks.py` runs each notebook's
code cells (`run`) and then its check (`CHECKS`), which asserts every number the lesson states
against the notebook's own variables and the objects its cells display. Also here: the numbers a
diagram shows, read back from the SVG that Graphviz draws, whether a diagram is legible at a
notebook's width, and the boxes of the numbers on its wires."""

import ast
import contextlib
import io
import math
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np

NOTEBOOK_WIDTH = 900  # pixels: a notebook's text column on a laptop screen
SMALLEST_FONT = 9     # points: nothing in a diagram is smaller (edge labels are 10, notes 9)
_SVG = "{http://www.w3.org/2000/svg}"


def svg_of(diagram):
    """The diagram drawn by Graphviz, as a parsed SVG element tree."""
    return ET.fromstring(diagram.pipe(format="svg", encoding="utf-8"))


def shown(diagram):
    """{name: (data, grad)} for every value box of a Scalar diagram, as the picture prints
    them (4 significant digits; grad None when the box shows none), in either layout: the
    green number is the data, the red one the gradient."""
    boxes = {}
    for group in svg_of(diagram).iter(f"{_SVG}g"):
        if group.get("class") != "node":
            continue
        texts = [t for t in group.iter(f"{_SVG}text") if t.text]
        names = [t.text for t in texts if t.get("font-weight") == "bold"]
        data = [t.text.removeprefix("data ") for t in texts if t.get("fill") == "darkgreen"]
        grad = [t.text.removeprefix("grad ") for t in texts if t.get("fill") == "red"]
        if names and data:
            boxes[names[0]] = (float(data[0]), float(grad[0]) if grad else None)
    return boxes


def four_digits(value):
    """A number as a diagram prints it."""
    return float(f"{value:.4g}")


def legible(diagram, width=NOTEBOOK_WIDTH):
    """`diagram`, after checking that it fits `width` pixels unscaled (so its text keeps its
    size in a notebook) and that no text is smaller than `SMALLEST_FONT` points."""
    svg = svg_of(diagram)
    pixels = float(svg.get("width").removesuffix("pt")) * 96 / 72
    assert pixels <= width, f"the diagram is {pixels:.0f} px wide, more than {width}"
    sizes = [float(t.get("font-size")) for t in svg.iter(f"{_SVG}text")]
    assert min(sizes) >= SMALLEST_FONT, f"a text of {min(sizes)} pt"
    return diagram


# ---- the layout of a rendered diagram: text boxes of edge labels, edge paths -----------------

def _text_width(text, size):
    """The advance width in points of `text` at `size` points in DejaVu Sans: the widest
    sans-serif a browser may show for Graphviz's "Helvetica,sans-Serif" (Liberation Sans and
    Arial, which Graphviz measures with, are narrower), so a layout that passes holds in any."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath
    width, _, _ = TextToPath().get_text_width_height_descent(
        text, FontProperties(family="DejaVu Sans", size=size),
        ismath=False)
    return width


def text_box(element):
    """(left, top, right, bottom) of an SVG <text>: its anchor and baseline, the measured
    width, and the height of digits and letters (ascent 0.75, descent 0.2 of the size)."""
    x, y, size = float(element.get("x")), float(element.get("y")), float(element.get("font-size"))
    width = _text_width(element.text or "", size)
    anchor = element.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return left, y - 0.75 * size, left + width, y + 0.2 * size


def _boxes_meet(a, b, margin=0.0):
    return a[0] < b[2] + margin and b[0] < a[2] + margin and \
        a[1] < b[3] + margin and b[1] < a[3] + margin


def _path_points(d, samples=24):
    """Points along an SVG path of Graphviz's edges ("M x,y C x,y x,y x,y ...")."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    points = list(zip(numbers[::2], numbers[1::2]))
    out = [points[0]]
    for i in range(1, len(points) - 2, 3):
        p0, p1, p2, p3 = points[i - 1], points[i], points[i + 1], points[i + 2]
        for k in range(1, samples + 1):
            t = k / samples
            out.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c
                             + t ** 3 * e for a, b, c, e in zip(p0, p1, p2, p3)))
    return out


def edge_labels(diagram):
    """[(edge path points, [(text, box), ...])] for every edge of the rendered diagram."""
    edges = []
    for group in svg_of(diagram).iter(f"{_SVG}g"):
        if group.get("class") != "edge":
            continue
        path = next(group.iter(f"{_SVG}path"), None)
        points = _path_points(path.get("d")) if path is not None else []
        texts = [(t.text, text_box(t)) for t in group.iter(f"{_SVG}text") if t.text]
        edges.append((points, texts))
    return edges


def label_collisions(diagram, margin=3.0):
    """Pairs of edge-label texts, from different edges, whose boxes intersect or come closer
    than `margin` points (two numbers that close read as one: "-0.19660.3932")."""
    edges = edge_labels(diagram)
    found = []
    for i, (_, first) in enumerate(edges):
        for _, second in edges[i + 1:]:
            found += [(a, b) for a, box_a in first for b, box_b in second
                      if _boxes_meet(box_a, box_b, margin)]
    return found


def crossed_labels(diagram, margin=1.0):
    """The edge-label texts that their own edge runs through or touches (within `margin`)."""
    crossed = []
    for points, texts in edge_labels(diagram):
        for text_, (left, top, right, bottom) in texts:
            if any(left - margin < x < right + margin and top - margin < y < bottom + margin
                   for x, y in points):
                crossed.append(text_)
    return crossed


def size_in_pixels(diagram):
    """(width, height) of the rendered diagram in CSS pixels (96 per inch)."""
    svg = svg_of(diagram)
    return tuple(float(svg.get(key).removesuffix("pt")) * 96 / 72 for key in ("width", "height"))


# ---- running a notebook's source as its kernel would ----------------------------------------

def run(source):
    """Execute the code cells of a Jupytext notebook (`source`: its .py path) in order, in a
    fresh namespace, as Jupyter does: a cell's last expression is its displayed output.
    Returns (namespace, outputs): outputs[k] is what code cell k displays (None if nothing).
    Figures are drawn with matplotlib's Agg backend and closed; printed text is captured."""
    import jupytext
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace, outputs = {"__name__": "__main__"}, []
    cells = [c for c in jupytext.read(source).cells if c.cell_type == "code"]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore", UserWarning)  # Agg's "cannot show the figure"
        for number, cell in enumerate(cells, 1):
            tree = ast.parse(cell.source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            name = f"<{source.stem} cell {number}>"
            exec(compile(tree, name, "exec"), namespace)  # noqa: S102 (the course's own code)
            shown = eval(compile(ast.Expression(last.value), name, "eval"), namespace) \
                if last is not None else None  # noqa: S307
            outputs.append(shown)
            plt.close("all")
    return namespace, outputs


def displayed(outputs, kind):
    """The displayed outputs whose class is named `kind` ("Diagram", "Explorer", ...)."""
    return [o for o in outputs if type(o).__name__ == kind]


def close(value, expected, digits):
    """`value` rounded to `digits` decimals is `expected`."""
    return round(float(value), digits) == expected


# ---- one check per notebook: every number its text states ------------------------------------

def _leaves(root):
    """{label: leaf} of the labelled leaves `root` depends on."""
    return {k: v for k, v in _labelled(root).items() if v.op is None}


def _labelled(root):
    """{label: value} of the labelled values `root` depends on (a notebook reuses names)."""
    from autograd.naming import all_values
    return {str(v.label): v for v in all_values(root) if v.label}


def _fits(diagram):
    """Legible at a notebook's width, about one screen tall, no wire numbers touching."""
    legible(diagram)
    assert size_in_pixels(diagram)[1] <= NOTEBOOK_WIDTH, size_in_pixels(diagram)
    assert label_collisions(diagram) == [] and crossed_labels(diagram) == []


def check_01(ns, outputs):
    """Notebook 1: nudges, f = (x + y) z, the gate patterns, the sigmoid neuron, a rule of
    one's own, sigma', the derivative graph and the two-layer network."""
    import autograd
    from autograd import explore
    diagrams = displayed(outputs, "Diagram")
    # the numerical slope and nudging
    assert abs(ns["nudges"][0.001] - 14) < 0.01 and abs(ns["nudges"][0.00001] - 14) < 1e-4
    assert {k: round(v, 4) for k, v in ns["slopes"].items()} == {"a": -3, "b": 2, "c": 1}
    # f = (x + y) z
    f = ns["f"]
    x, y, z, q = (_labelled(f)[k] for k in "xyzq")
    assert f.data == -12.0 and (x.grad, y.grad, z.grad, q.grad) == (-4.0, -4.0, 3.0, -4.0)
    assert shown(diagrams[0]) == {"f": (-12, 1), "q": (3, -4),
                                  "x": (-2, -4), "y": (5, -4), "z": (-4, 3)}
    _fits(diagrams[0])
    steps = ns["steps"]
    assert steps.rows[0]["downstream"] == ["q <- -4", "z <- 3"]
    assert steps.rows[1]["downstream"] == ["x <- -4", "y <- -4"]
    assert len(ns["pictures"]) == len(steps) == 3
    assert diagrams[1] is ns["pictures"][1]
    _fits(diagrams[1])
    assert "mul swaps: q receives the upstream gradient times the other input, z" in \
        explore(f).html
    # the four patterns, upstream 2
    assert list(ns["patterns"].values()) == [[2.0, 2.0], [-2.0, 6.0], [2.0, 0.0], [1.0, 1.0],
                                             [2.0 * (-1 + 1), 2.0 * 3]]
    h = ns["h"]
    leaves = _leaves(h)
    assert (h.data, leaves["a"].grad, leaves["b"].grad, leaves["c"].grad) == (-3.0, -1.0, 0.0, 3.0)
    assert {k: shown(diagrams[2])[k] for k in "abc"} == {"a": (3, -1), "b": (1, 0), "c": (-2, 3)}
    assert "max gate: routes" in diagrams[2].source and \
        "fan-out adds: 2 gradients" in diagrams[2].source
    _fits(diagrams[2])
    # the sigmoid neuron
    a = ns["a"]
    s1 = 1 / (1 + math.exp(-1.0))
    local = s1 * (1 - s1)
    expected = {"w0": local * -1, "x0": local * 2, "w1": local * -2, "x1": local * -3, "w2": local}
    for label, leaf in _leaves(a).items():
        assert math.isclose(leaf.grad, expected[label])
    numbers = shown(diagrams[3])
    assert numbers["a"] == (four_digits(s1), 1.0) and four_digits(local) == 0.1966
    assert four_digits(s1) == 0.7311 and numbers["z"] == (1.0, 0.1966)
    assert all(numbers[k][1] == four_digits(v) for k, v in expected.items())
    _fits(diagrams[3])
    # one name per value: the diagram's mul1 and add1 are the code's
    assert {"mul1", "mul2", "add1"} <= set(numbers)
    code = autograd.backward_code(a)
    assert "g_z = sigmoid_slope_times(g_a, a)  # sigmoid rule" in code
    assert "g_w0 = g_mul1 * x0  # mul gate: swaps" in code and "add1 = mul1 + mul2" in code
    explorers = displayed(outputs, "Explorer")
    assert len(explorers) == 3 and "sigmoid: the local gradient is out" in explorers[2].html
    # a rule of one's own: the wrong one is named, the right one passes
    assert "'times_first_try'" in str(ns["first_try"]) and ns["fixed"] is True
    # sigma' = sigma (1 - sigma)
    sigma, xs = ns["sigma"], ns["xs"]
    assert np.allclose(ns["engine_slope"], ns["numeric"], atol=1e-9)
    assert np.allclose(ns["engine_slope"], sigma(xs) * (1 - sigma(xs)))
    assert math.isclose(ns["engine_slope"].max(), 0.25)
    # the derivative graph
    assert abs(ns["slope"].data - sigma(1.0) * (1 - sigma(1.0))) < 1e-12
    assert abs(ns["curvature"] - sigma(1.0) * (1 - sigma(1.0)) * (1 - 2 * sigma(1.0))) < 1e-12
    assert "d s / d t: the backward pass as a graph" in diagrams[4].source
    _fits(diagrams[4])
    # the two-layer network
    w11 = ns["w11"]
    assert math.isclose(ns["by_hand"], w11.grad, rel_tol=1e-12)
    numbers = shown(diagrams[5])
    assert numbers["w11"] == (four_digits(w11.data), four_digits(w11.grad))
    assert {"x1", "x2", "w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c", "z1", "a1",
            "z2", "a2", "z_out", "yhat", "y", "L"} <= set(numbers)
    assert "pow 2" in diagrams[5].source
    _fits(diagrams[5])
    net = ns["net"]
    assert math.isclose(ns["net_loss"].data, ns["loss"].data, rel_tol=1e-12)
    assert math.isclose(net.layers[0].weight[0][0].grad, w11.grad, rel_tol=1e-12)
    from autograd import draw
    assert draw(ns["net_loss"], model=net).source.count("cluster_") == 2  # a box per layer


def check_02(ns, outputs):
    """Notebook 2: surprisal, entropy, the gift boxes, cross-entropy = entropy + KL, the
    coding example, KL's asymmetry, the softmax exercise, the bound, one-hot cross-entropy."""
    import nn
    surprisal = ns["surprisal"]
    assert round(surprisal(0.99), 2) == 0.01 and round(surprisal(0.01), 2) == 4.61
    assert math.isclose(surprisal(0.5 * 0.2), surprisal(0.5) + surprisal(0.2))
    entropies = list(ns["entropies"].values())
    assert entropies[0] == 1.0 and math.isclose(entropies[1], math.log2(6))
    assert entropies[2] == 0.0 and round(entropies[3], 2) == 0.50
    assert math.isclose(ns["bias"][np.argmax(ns["coin"])], 0.5)
    table = ns["table"]
    expected = {(1, 1, 1): (0.056, 2.882), (1, 1, 0): (0.504, 0.685), (1, 0, 1): (0.024, 3.730),
                (1, 0, 0): (0.216, 1.532), (0, 1, 1): (0.014, 4.269), (0, 1, 0): (0.126, 2.071),
                (0, 0, 1): (0.006, 5.116), (0, 0, 0): (0.054, 2.919)}
    for outcome, (p, s) in expected.items():
        assert round(table[outcome][0], 3) == p and round(table[outcome][1], 3) == s
        assert math.isclose(ns["bce"][outcome], table[outcome][1])
    assert math.isclose(sum(p for p, _ in table.values()), 1.0)
    assert round(table[1, 1, 0][1], 2) == 0.69 and round(table[0, 0, 1][1], 2) == 5.12
    assert math.isclose(ns["total"], ns["boxes"])
    assert round(ns["kl_example"], 3) == 0.231 and math.isclose(ns["kl_example"], math.log(2) / 3)
    for p, q in ns["pairs"]:
        kl = nn.kl_divergence(p, q).item()
        assert math.isclose(-(p * np.log(q)).sum(), nn.entropy(p).item() + kl) and kl > 0
    assert nn.kl_divergence(ns["pairs"][-1][0], ns["pairs"][-1][0]).item() == 0.0
    h, cross, kl, p = ns["h"], ns["cross"], ns["kl"], ns["p"]
    assert np.allclose((h, cross, kl), (1.75, 2.0, 0.25), rtol=1e-12)
    assert (ns["lengths"] * p).sum() == 1.75 and math.isclose(cross, h + kl)
    assert ns["forward"].min() >= 0 and not np.allclose(ns["forward"], ns["backward"])
    # the softmax exercise: logits (1, 5, 9) from x = (1, 2) give the stated probabilities
    exercise = ns["exercise"]
    assert float(f"{exercise[0]:.3g}") == 3.29e-4 and round(exercise[1], 4) == 0.0180
    assert round(exercise[2], 4) == 0.9817 and np.allclose(ns["W"] @ ns["x_in"], [1, 5, 9])
    assert np.allclose(np.log(ns["stated"][1:] / ns["stated"][:-1]), 4.0, atol=0.01)
    assert all(bound <= agree for bound, agree in ns["bounds"]) and len(ns["bounds"]) == 6
    loss, q, y, logits = ns["loss"], ns["q"], ns["y"], ns["logits"]
    assert math.isclose(loss.item(), nn.kl_divergence(y, q).item())
    assert math.isclose(loss.item(), -math.log(q[0, 2]))
    assert np.allclose(logits.grad, q - y)


def check_03(ns, outputs):
    """Notebook 3: the closed form, the normal equation, gradient descent (and the lecture's
    slip), the learning rate, the Gaussian likelihood and mini-batch SGD."""
    assert math.isclose(ns["w1"], 1.5) and abs(ns["w0"]) < 1e-12
    assert np.allclose(ns["normal"], [0.0, 1.5])
    assert np.allclose(np.linalg.pinv(ns["A"]) @ ns["y"], ns["normal"])
    assert np.allclose(ns["w_normal"], ns["w_pinv"])
    assert np.allclose(ns["w_normal"], ns["true_w"], atol=0.05)
    path = ns["path"]
    assert np.allclose(path[1:5], [(0.6, 0.8), (0.52, 0.84), (0.472, 0.896), (0.4304, 0.9488)])
    assert abs(path[-1][0] - 6.42e-5) < 5e-7 and abs(path[-1][1] - 1.49992) < 5e-6
    # the lecture's slip and its "100-step" pair
    off = ns["off"]
    assert np.allclose(off[1], [0.008, -0.008]) and np.abs(off[-1]).max() < 2e-6
    assert np.allclose(off[-1] / off[-2], 0.912, atol=0.002)
    assert float(f"{path[98][0]:.3g}") == 7.71e-5 and round(path[97][1], 5) == 1.49989
    assert float(f"{path[100][0]:.3g}") == 6.42e-5 and round(path[100][1], 5) == 1.49992
    runs, limit = ns["runs"], ns["limit"]
    assert round(limit, 3) == 0.219
    assert runs[0.25][-1] > 1e3 and runs[0.1][-1] - 0.5 < 1e-3 < runs[0.01][-1] - 0.5
    assert np.allclose(ns["w"], [0.0, 1.5], atol=1e-4)
    model = ns["model"]
    assert abs(model.weight.item() - 3) < 0.05 and abs(model.bias.item() + 1) < 0.05


def check_04(ns, outputs):
    """Notebook 4: the binomial likelihood, the Challenger fit, Newton's method."""
    ps, log_lik, faces, face_lik = (ns[k] for k in ("ps", "log_lik", "faces", "face_lik"))
    assert abs(ps[np.argmax(log_lik)] - 0.34) < 1e-3 and abs(ns["p_hat"] - 0.34) < 1e-6
    assert faces[np.argmax(face_lik)] == 2 / 6
    assert len(ns["temperature"]) == 23 and ns["distress"].sum() == 7
    intercept, slope, p31 = ns["intercept"], ns["slope"], ns["p31"]
    assert round(intercept, 2) == 15.04 and round(slope, 4) == -0.2322
    assert p31 > 0.999 and round(p31, 4) == 0.9996
    assert np.allclose(ns["beta_newton"], ns["beta"], atol=1e-5)
    assert len(ns["newton_norms"]) <= 6 and len(ns["gd_norms"]) >= 300
    assert len(ns["newton_norms"]) == 5 and len(ns["gd_norms"]) == 333
    assert np.allclose(ns["hessian"], ns["closed_form"])


def check_05(ns, outputs):
    """Notebook 5: the saturated neuron under both costs, the sigma'(z) factor in the
    backward pass (0.0173, 57 times), the cancellation, softmax with the log-likelihood."""
    runs = ns["runs"]
    assert round(runs[(0.6, 0.9), "quadratic"][0], 2) == 0.82
    assert round(runs[(2.0, 2.0), "quadratic"][0], 2) == 0.98
    assert abs(runs[(0.6, 0.9), "quadratic"][299] - 0.09) < 0.01
    assert runs[(2.0, 2.0), "quadratic"][149] > 0.5 > 0.1 > runs[(2.0, 2.0), "cross-entropy"][149]
    gate = next(row for row in ns["quadratic"].rows if row["op"] == "sigmoid")
    z = ns["quadratic_z"]
    a = 1 / (1 + math.exp(-4.0))
    assert math.isclose(float(gate["upstream"]), a, rel_tol=1e-3)       # a - y
    assert math.isclose(z.grad, a * a * (1 - a))                         # (a - y) sigma'(z)
    assert round(z.grad, 4) == 0.0173 and round(a * (1 - a), 4) == 0.0177 and round(a, 3) == 0.982
    assert math.isclose(ns["shrink"], 1 / (a * (1 - a))) and round(ns["shrink"]) == 57
    gate = next(row for row in ns["cross_entropy"].rows if row["op"] == "sigmoid")
    assert math.isclose(float(gate["upstream"]), 1 / (1 - a), rel_tol=1e-3)   # 55.6
    assert round(1 / (1 - a), 1) == 55.6
    ce_z = next(v for v in _leaves(ns["C"]).values())
    assert math.isclose(ce_z.grad, a)                                          # a - y
    assert math.isclose(ns["logit"].grad, 1 / (1 + math.exp(-4.0)))
    assert ns["loss"].data == 1000.0 and ns["big"].grad == 1.0
    assert np.allclose(ns["logits"].grad, ns["a"] - ns["one_hot"])
    batch, labels = ns["batch"], ns["labels"]
    assert np.allclose(batch.grad, batch.softmax().data - np.eye(4)[labels])


def check_06(ns, outputs):
    """Notebook 6: the moons both ways, parameter counts, accuracies, the comparison of output
    layers and costs (eta 0.5 and 3, five seeds), the factor of 10, the confusion matrix."""
    # the moons: Scalars and Tensors compute the same losses; the boundary separates the data
    assert np.allclose(ns["scalar_losses"], ns["tensor_losses"], rtol=1e-12)
    assert ns["scalar_losses"][-1] < 0.25 * ns["scalar_losses"][0]
    assert ns["accuracies"]["Scalar"] == ns["accuracies"]["Tensor"] >= 0.9
    assert np.allclose(ns["scalar_scores"], ns["tensor_scores"], rtol=1e-9, atol=1e-12)
    assert ns["X_train"].shape == (1348, 64) and ns["X_test"].shape == (449, 64)
    count, nn_mlp = ns["count"], ns["nn"].MLP
    assert count(ns["softmax_model"]) == 650 and count(nn_mlp([784, 10])) == 7850
    assert (count(ns["mlp30"]), count(ns["mlp100"])) == (2260, 7510)
    history30 = ns["history30"]
    assert history30["val_accuracy"][-1] >= 0.95
    runs, reach = ns["runs"], ns["reach"]
    ce, bce, quad = (runs[k] for k in ("softmax + log-likelihood", "sigmoid + cross-entropy",
                                       "sigmoid + quadratic"))
    assert quad[0] < 0.2 < 0.5 < ce[0] and reach["softmax + log-likelihood"] <= 2 < 5 < \
        reach["sigmoid + quadratic"]
    assert min(ce[-1], quad[-1]) >= 0.95 and abs(ce[-1] - quad[-1]) < 0.01  # seed 0
    # the lecture's pairing: sigmoid outputs with binary cross-entropy
    assert round(bce[0], 3) == 0.633 and round(bce[-1], 3) == 0.964 and bce[0] > 0.5
    # the quadratic cost at eta = 3 catches up
    assert ns["first_90"] == 3 and round(ns["fast"][-1], 3) == 0.969
    # five seeds: the end gap is small but not zero
    gaps = ns["gaps"]
    assert len(gaps) == 5 and all(-1.0 < g < 3.0 for g in gaps) and 0.5 < np.mean(gaps) < 2.0
    assert math.isclose(ns["sizes"][0] / ns["sizes"][1], 10)
    assert ns["mean_of_outputs"]["val_accuracy"][-1] < 0.6 < 0.95 <= quad[-1]
    assert ns["weights"].shape == (64, 30)
    confusion = ns["confusion"]
    assert confusion.sum() == len(ns["y_test"])
    assert math.isclose(confusion.trace() / len(ns["y_test"]), history30["val_accuracy"][-1])
    assert np.array_equal(ns["read_back"], ns["tiny"])
    # the live run on the moons learns them
    assert ns["live_history"]["accuracy"][-1] >= 0.95


def check_07(ns, outputs):
    """Notebook 7 (optional): a compiled step gives the eager gradients and trains to the same
    weights; the tiny step's backward half shows the gates."""
    half = ns["step"].source[ns["step"].source.index("    # ---- backward"):]
    assert "mul gate: swaps" in half or "matmul" in half
    assert ns["largest"] < 1e-12
    net, eager = ns["net"], ns["eager"]
    assert all(np.allclose(p.grad, q.grad, rtol=1e-12) for p, q in
               zip(net.parameters(), eager.parameters()))
    assert all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(*ns["finals"]))
    tiny = ns["tiny"]
    assert tiny.layers[0].bias.grad.shape == (3,) and np.isfinite(ns["tiny_loss"].item())
