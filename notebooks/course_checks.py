"""Checks the course notebooks use to pin their pictures, kept out of the lessons: the numbers
a diagram shows, read back from the SVG that Graphviz draws, and whether a diagram is legible
at a notebook's width."""

import xml.etree.ElementTree as ET

NOTEBOOK_WIDTH = 900  # pixels: a notebook's text column on a laptop screen
SMALLEST_FONT = 9     # points: nothing in a diagram is smaller (edge labels are 10, notes 9)
_SVG = "{http://www.w3.org/2000/svg}"


def svg_of(diagram):
    """The diagram drawn by Graphviz, as a parsed SVG element tree."""
    return ET.fromstring(diagram.pipe(format="svg", encoding="utf-8"))


def shown(diagram):
    """{name: (data, grad)} for every value box of a Scalar diagram, as the picture prints
    them (4 significant digits)."""
    boxes = {}
    for group in svg_of(diagram).iter(f"{_SVG}g"):
        if group.get("class") != "node":
            continue
        texts = [t.text for t in group.iter(f"{_SVG}text") if t.text]
        if len(texts) >= 3 and texts[1].startswith("data ") and texts[2].startswith("grad "):
            boxes[texts[0]] = (float(texts[1][5:]), float(texts[2][5:]))
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
