"""The display bundles of diagrams and step tables: a PNG drawn by Graphviz beside the SVG (an
untrusted notebook, GitHub and nbconvert show it) and a line of text saying what the output is
and to run the cell, never an object's address."""

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

import autograd
from autograd import Scalar, Tensor, draw
from autograd.draw.display import PNG_DPI, png_size


def neuron():
    w, x, b = Scalar(-3.0, label="w"), Scalar(2.0, label="x"), Scalar(1.0, label="b")
    a = (w * x + b).tanh()
    a.label = "a"
    a.backward()
    return a


def pixels(png):
    """The PNG decoded by Pillow, as an RGB array (proves it is a whole, valid image)."""
    from PIL import Image
    image = Image.open(io.BytesIO(png))
    image.load()
    return np.asarray(image.convert("RGB"))


def formatted(obj):
    """What IPython's display machinery puts into a notebook output for `obj`."""
    return DisplayFormatter().format(obj)


def svg_size_in_css_pixels(svg):
    root = ET.fromstring(svg[svg.index("<svg"):])
    return tuple(float(root.get(k).removesuffix("pt")) * 96 / 72 for k in ("width", "height"))


@pytest.mark.parametrize("make", [
    lambda: draw(neuron(), edge_values=True, gates=True),
    lambda: draw(neuron(), title="a <tanh> neuron"),
    lambda: autograd.backward_steps(neuron()).diagrams(),
], ids=["diagram", "titled", "step-diagrams"])
def test_a_diagram_carries_svg_png_and_a_line_of_text(make):
    picture = make()
    data, metadata = formatted(picture)
    assert set(data) == {"image/svg+xml", "image/png", "text/plain"}
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = pixels(png)
    width, height = png_size(png)
    assert image.shape == (height, width, 3) and width > 100 and height > 50
    assert (image < 128).any() and (image > 250).any()  # dark strokes on a white page
    # drawn at 1.5x and shown at the SVG's size: crisp, and as big on screen as the SVG
    css = svg_size_in_css_pixels(data["image/svg+xml"])
    shown = metadata["image/png"]
    assert abs(shown["width"] - css[0]) <= 2 and abs(shown["height"] - css[1]) <= 2
    assert abs(width - css[0] * PNG_DPI / 96) <= 3
    assert len(png) < 60_000 * max(1, len(picture) if isinstance(picture, list) else 1)
    text = data["text/plain"]
    assert "0x" not in text and "run" in text and "Jupyter" in text
    assert ("diagram of a (Scalar)" in text) or text.startswith("<4 diagrams")


def test_the_step_diagrams_png_stacks_every_step():
    steps = autograd.backward_steps(neuron())
    single = [pixels(draw_png) for draw_png in
              (d._repr_mimebundle_()[0]["image/png"] for d in steps.diagrams())]
    stacked = pixels(formatted(steps.diagrams())[0]["image/png"])
    assert stacked.shape[0] == sum(image.shape[0] for image in single)
    assert stacked.shape[1] == max(image.shape[1] for image in single)


def test_the_text_says_which_value_and_its_title_literally():
    x = Tensor(np.ones((2, 3)), requires_grad=True, label="x")
    y = (x * 2.0).sum()
    y.label = "total"
    text = formatted(draw(y, title="<b>'quoted'</b>"))[0]["text/plain"]
    assert "diagram of total (Tensor ())" in text and "the 2 values it depends on" in text
    assert "\"<b>'quoted'</b>\"" in text
    assert repr(draw(y)) == formatted(draw(y))[0]["text/plain"]


def test_the_step_table_carries_html_a_png_of_the_table_and_its_text():
    steps = autograd.backward_steps(neuron())
    data, _ = formatted(steps)
    assert set(data) == {"text/html", "image/png", "text/plain"}
    assert data["text/html"] == steps.to_html()
    assert data["text/plain"].splitlines()[1:] == steps.to_text().splitlines()
    assert re.match(r"The backward pass, step by step \(4 steps; run the cell", data["text/plain"])
    image = pixels(data["image/png"])
    assert image.shape[1] > 300 and image.shape[0] > 8 * 20  # 8 lines of table and a header
    # the picture is the table: Graphviz drew every cell's text
    svg = steps.picture().pipe(format="svg", encoding="utf-8")
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    for line in steps.lines():
        for cell in line:
            assert not cell or cell in texts


def test_include_and_exclude_filter_the_bundle():
    diagram = draw(neuron())
    data, metadata = diagram._repr_mimebundle_(include=["image/png"])
    assert list(data) == ["image/png"] and list(metadata) == ["image/png"]
    data, metadata = diagram._repr_mimebundle_(exclude=["image/png"])
    assert set(data) == {"image/svg+xml", "text/plain"} and metadata == {}


def test_without_pillow_a_single_diagram_keeps_graphviz_png(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "PIL", None)
    data, _ = draw(neuron())._repr_mimebundle_()
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(data["image/png"])[0] > 100
