"""Computation-graph diagrams that teach backpropagation (Graphviz).

`draw(root, ...)` returns a graphviz.Digraph; `backward_steps(root)` the backward pass as a
table (text and HTML) and a sequence of diagrams; `python -m autograd.draw "expr" name=value
... -o file.svg` draws a typed expression. The graphviz package is imported only when drawing.
"""

from .diagram import INSTALL_HINT, draw
from .steps import BackwardSteps, backward_steps

__all__ = ["draw", "backward_steps", "BackwardSteps", "INSTALL_HINT"]
