"""Diagrams that read at a glance (issue 22): in the course's diagrams no two numbers on the
wires touch ("-0.19660.3932"), no wire runs through its own numbers, inputs keep their natural
order (x1 left of x2, w11 left of w22), pow shows its exponent, and the graphs fit a notebook:
at most 900 px wide and about one screen (900 px) tall. The boxes are measured on the SVG that
Graphviz renders, with the widest sans-serif a browser may substitute (DejaVu Sans)."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings

import autograd
from autograd import Scalar, draw
from random_graphs import build, programs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notebooks"))
from course_checks import (crossed_labels, label_collisions, shown,  # noqa: E402
                           size_in_pixels)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCREEN = 900  # pixels


def add_then_mul():
    x, y, z = Scalar(-2.0, label="x"), Scalar(5.0, label="y"), Scalar(-4.0, label="z")
    q = x + y; q.label = "q"
    f = q * z; f.label = "f"
    f.backward()
    return f


def max_and_fan_out():
    a, b, c = Scalar(3.0, label="a"), Scalar(1.0, label="b"), Scalar(-2.0, label="c")
    h = a.maximum(b) + a * c; h.label = "h"
    h.backward()
    return h


def neuron():
    w0, x0, w1, x1, w2 = (Scalar(v, label=n) for v, n in
                          zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
    z = w0 * x0 + w1 * x1 + w2; z.label = "z"
    a = z.sigmoid(); a.label = "a"
    a.backward()
    return a


def two_layer_network():
    """Notebook 1's network, every value the text names labelled."""
    def leaf(value, name, needs=True):
        return Scalar(value, label=name, requires_grad=needs)
    x1, x2, y = leaf(0.5, "x1", False), leaf(-1.0, "x2", False), leaf(1.0, "y", False)
    w11, w12, w21, w22 = leaf(-0.59, "w11"), leaf(0.43, "w12"), leaf(-0.37, "w21"), \
        leaf(0.12, "w22")
    b1, b2, v1, v2, c = leaf(-0.57, "b1"), leaf(-0.09, "b2"), leaf(-0.03, "v1"), \
        leaf(-0.48, "v2"), leaf(0.33, "c")
    z1 = x1 * w11 + x2 * w21 + b1; z1.label = "z1"
    a1 = z1.sigmoid(); a1.label = "a1"
    z2 = x1 * w12 + x2 * w22 + b2; z2.label = "z2"
    a2 = z2.sigmoid(); a2.label = "a2"
    z_out = a1 * v1 + a2 * v2 + c; z_out.label = "z_out"
    y_hat = z_out.sigmoid(); y_hat.label = "yhat"
    loss = (y - y_hat) ** 2; loss.label = "L"
    loss.backward()
    return loss


COURSE = {
    "f = (x + y) z": lambda: draw(add_then_mul(), edge_values=True, gates=True),
    "max and fan-out": lambda: draw(max_and_fan_out(), edge_values=True, gates=True),
    "sigmoid neuron": lambda: draw(neuron(), edge_values=True, gates=True, rankdir="TB",
                                   compact=True),
    "sigmoid neuron, step 3": lambda: autograd.backward_steps(neuron()).diagrams(
        rankdir="TB", compact=True)[2],
    "f, step 2": lambda: autograd.backward_steps(add_then_mul()).diagrams()[1],
    "two-layer network": lambda: draw(two_layer_network(), rankdir="TB", compact=True),
}


@pytest.mark.parametrize("name", COURSE)
def test_the_course_diagrams_have_no_touching_or_crossed_wire_numbers(name):
    diagram = COURSE[name]()
    assert label_collisions(diagram) == []
    assert crossed_labels(diagram) == []
    width, height = size_in_pixels(diagram)
    assert width <= SCREEN and height <= SCREEN, (width, height)


def test_the_checks_see_a_collision_and_a_crossing_when_there_is_one():
    # a hand-made SVG: two numbers 1 pt apart, and a path through a number
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt">'
           '<g class="edge"><path d="M0,0C5,5 10,10 20,20"/>'
           '<text x="30" y="10" font-size="10">-0.1966</text></g>'
           '<g class="edge"><path d="M0,40C5,40 10,40 12,40"/>'
           '<text x="66" y="10" font-size="10">0.3932</text></g>'
           '<g class="edge"><path d="M50,30C55,30 60,30 80,30"/>'
           '<text x="55" y="33" font-size="10">7</text></g></svg>')

    class Fake:
        def pipe(self, format, encoding):
            return svg
    assert label_collisions(Fake()) == [("-0.1966", "0.3932")]
    assert crossed_labels(Fake()) == ["7"]


def test_inputs_keep_their_natural_order_left_to_right():
    diagram = draw(two_layer_network(), rankdir="TB", compact=True)
    svg = diagram.pipe(format="svg", encoding="utf-8")
    root = ET.fromstring(svg)
    x = {}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") == "node":
            first = next(group.iter("{http://www.w3.org/2000/svg}text"))
            x[first.text] = float(first.get("x"))
    assert x["x1"] < x["x2"] and x["w11"] < x["w22"] and x["w11"] < x["w12"]
    assert x["z1"] < x["z2"] and x["a1"] < x["a2"]


def test_pow_shows_its_exponent_and_the_compact_boxes_keep_every_number():
    loss = two_layer_network()
    diagram = draw(loss, rankdir="TB", compact=True)
    assert ">pow 2<" in diagram.source
    assert "pow 2" in draw(loss).source  # the op node of the ordinary layout too
    numbers = shown(diagram)
    assert numbers["L"] == (float(f"{loss.data:.4g}"), 1.0)
    assert set(numbers) >= {"x1", "x2", "w11", "w22", "z1", "a1", "z_out", "yhat", "y", "L"}
    assert numbers["x1"] == (0.5, None)  # an input that needs no gradient shows none


@settings(max_examples=25, deadline=None)
@given(programs(max_leaves=3, max_steps=5))
def test_random_small_graphs_drawn_with_wire_numbers_keep_them_apart(program):
    leaves = [Scalar(0.25 * (i + 1), label=f"x{i + 1}") for i in range(program[0])]
    _, out = build(program, leaves)
    out.backward()
    diagram = draw(out, edge_values=True, gates=True)
    assert label_collisions(diagram) == []
    assert crossed_labels(diagram) == []


def svg_outputs(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg and 'class="graph"' in svg:
                yield svg


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.stem)
def test_the_committed_notebooks_diagrams_keep_wire_numbers_apart_and_fit(path):
    class Rendered:
        def __init__(self, svg):
            self.svg = svg

        def pipe(self, format, encoding):
            return self.svg
    for svg in svg_outputs(nbformat.read(path, as_version=4)):
        diagram = Rendered(svg if isinstance(svg, str) else "".join(svg))
        assert label_collisions(diagram) == []
        assert crossed_labels(diagram) == []
        width, height = size_in_pixels(diagram)
        assert width <= SCREEN and height <= SCREEN, (path.name, width, height)


def test_ops_show_their_number_parameters_and_a_compact_step_highlights_its_values():
    import numpy as np

    from autograd import Tensor
    x = Tensor(np.ones((2, 3)), requires_grad=True, label="x")
    total = x.sum(axis=1).sum()
    total.backward()
    assert "sum axis=1" in draw(total).source
    steps = autograd.backward_steps(neuron()).diagrams(rankdir="TB", compact=True)
    assert 'BGCOLOR="gold">sigmoid' in steps[0].source  # the active op's cell
    assert steps[-1].source.count('BGCOLOR="gold"') >= 5  # the inputs' step: every leaf box
