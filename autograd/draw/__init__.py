"""Computation-graph diagrams that teach backpropagation.

`draw(root, ...)` returns a graphviz.Digraph; `backward_steps(root)` the backward pass as a
table (text and HTML) and a sequence of diagrams; `explore(root)` one self-contained HTML page
that steps through the backward pass (no Graphviz needed); `python -m autograd.draw "expr"
name=value ... -o file.svg` (or `-o page.html`) draws a typed expression. The graphviz package
is imported only when drawing.
"""

from .diagram import INSTALL_HINT, draw
from .explorer import Explorer, ExplorerError, explore
from .steps import BackwardSteps, backward_steps

__all__ = ["draw", "backward_steps", "BackwardSteps", "explore", "Explorer", "ExplorerError",
           "INSTALL_HINT"]
