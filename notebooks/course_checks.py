"""Checks the course notebooks use to pin their pictures, kept out of the lessons: the numbers
a diagram shows, read back from the SVG that Graphviz draws, and whether a diagram is legible
at a notebook's width."""

import re
import xml.etree.ElementTree as ET

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
