"""Where a node came from: the line of code that created it, and, for a gradient computed with
`create_graph=True`, what it is the derivative of.

Both live in a node's `_origin` (one of its extras), which is left unset in ordinary recording (no cost):
the creation site is recorded only inside `detect_anomaly()` (with `nan=False, inf=False` it
records sites and checks nothing, which is how gradcheck's culprit search re-runs f), and the
derivative is named by a backward pass that records its own graph. Read both through
`site_of(node)` and `derivative_of(node)`.

The core imports no diagnostic: the backward passes call `name_derivatives` through the hook
this module installs in `autograd.graph` when it loads.
"""

import os
import sys
import sysconfig
import traceback

from . import graph
from .graph import Node
from .naming import all_values, names_of

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LIBRARIES = tuple({os.path.abspath(sysconfig.get_paths()[key]) + os.sep
                    for key in ("stdlib", "platstdlib", "purelib", "platlib")})
SITE_FRAMES = 3
"""How many frames a creation site keeps: the innermost frame of the user's code and its
callers (a layer of `nn` and the line of the training script that called it, say)."""


class Origin:
    """The contents of a node's `_origin`: `site` (a tuple of `traceback.FrameSummary`,
    innermost first, or None) and `derivative` (a text such as "d loss / d w", or None)."""

    __slots__ = ("site", "derivative")

    def __init__(self, site=None, derivative=None):
        self.site = site
        self.derivative = derivative


def _origin(node):
    return getattr(node, "_origin", None)  # unset unless a site or a derivative was recorded


def site_of(node):
    """Where `node` was created, as a tuple of `traceback.FrameSummary` (the first frame of the
    user's code, then its callers), or None when no site was recorded: sites are recorded only
    inside `detect_anomaly()` and by gradcheck's culprit search."""
    origin = _origin(node)
    return None if origin is None else origin.site


def derivative_of(node):
    """What `node` is the derivative of ("d f / d x"), when it is a gradient computed by a
    backward pass that recorded its graph (`create_graph=True`, or `autograd.grad` of a graph
    value); None otherwise."""
    origin = _origin(node)
    return None if origin is None else origin.derivative


def record_site(node):
    """Store in `node` the frames of the code that is creating it (called by the core for every
    recorded node while `detect_anomaly()` is on)."""
    origin = _origin(node)
    if origin is None:
        node._origin = Origin(site=_user_frames())
    elif origin.site is None:
        origin.site = _user_frames()


def _user_frames():
    """The innermost frames outside this package and outside the Python installation's own
    libraries (the standard library, site-packages: pytest, hypothesis...); when there is none,
    the innermost frames outside this package."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    first_outside = frame
    while frame is not None and _is_library(frame.f_code.co_filename):
        frame = frame.f_back
    frame = frame or first_outside
    if frame is None:
        return None
    frames = []
    while frame is not None and len(frames) < SITE_FRAMES:
        if not frame.f_code.co_filename.startswith(_PACKAGE):
            frames.append(traceback.FrameSummary(frame.f_code.co_filename, frame.f_lineno,
                                                 frame.f_code.co_name, lookup_line=False))
        frame = frame.f_back
    return tuple(frames)


def _is_library(filename):
    return filename.startswith(_LIBRARIES) or filename.startswith("<frozen ")


def show_site(site):
    """A creation site in words: "created at file:line in function: code" (the file relative to
    the working directory when it lies below it), or a note that it was not recorded."""
    if not site:
        return "creation site not recorded (record it with autograd.detect_anomaly())"
    frame = site[0]
    filename = frame.filename
    try:
        relative = os.path.relpath(filename)
        if not relative.startswith(os.pardir):
            filename = relative
    except ValueError:  # another drive on Windows
        pass
    code = (frame.line or "").strip()
    return f"created at {filename}:{frame.lineno} in {frame.name}" + (f": {code}" if code else "")


def name_derivatives(root, inputs, grads):
    """After a backward pass from `root` that recorded its graph: name each gradient that is a
    graph value by what it is the derivative of ("d f / d x", with the names `autograd.draw`
    gives the values in f's diagram), so that `draw(gradient)` can title the derivative graph.

    `inputs` and `grads` are the pass's targets and their gradients (`autograd.grad`), or None
    for `.backward(create_graph=True)`, whose gradients are the leaves' `.grad`. A leaf that
    already held a gradient accumulates: its new `.grad` (an add node) is named as the sum.
    """
    values = all_values(root)
    names = names_of(values)
    top = derivative_of(root)
    of = root.label or (f"({top})" if top else names[id(root)])
    if inputs is None:
        pairs = [(v, v.grad) for v in values if v.op is None and v.requires_grad]
    else:
        pairs = list(zip(inputs, grads))
    for x, g in pairs:
        if not isinstance(g, Node):
            continue
        text = f"d {of} / d {names.get(id(x)) or x.label or 'x'}"
        earlier = derivative_of(g.parents[0]) if inputs is None and g.op is not None and \
            g.op.name == "add" and isinstance(g.parents[0], Node) else None
        if earlier:  # x.grad accumulated over passes: the earlier gradient plus this one
            text = f"{earlier} + {text}"
        origin = _origin(g)
        if origin is None:
            g._origin = Origin(derivative=text)
        elif origin.derivative in (None, text):
            origin.derivative = text
        elif text not in origin.derivative.split(" = "):
            origin.derivative = f"{origin.derivative} = {text}"  # one value, two derivatives


graph.on_graph_gradients = name_derivatives  # the core's hook
