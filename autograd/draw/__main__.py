"""Command line: evaluate a typed expression on Scalars, run backward and write its diagram.

    python -m autograd.draw "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o neuron.svg
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..files import write_atomically
from .diagram import INSTALL_HINT, RANKDIRS, draw
from .explorer import ExplorerError, explore
from .typed_expression import FUNCTIONS, evaluate, parse_values
from .steps import backward_steps

FORMATS = ("svg", "png", "pdf", "dot", "html")  # html: the explorer page (autograd.explore)


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr (exit status 2), not usage and all."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser():
    parser = _Parser(
        prog="python -m autograd.draw",
        description="Evaluate an expression on Scalars, backpropagate, and draw the graph with "
                    "values and gradients on the wires and each gate named by its pattern.",
        epilog=f"Expressions use numbers, names, + - * / ** (constant exponent) and the "
               f"functions {', '.join(FUNCTIONS)}. Example: python -m autograd.draw "
               f"\"(x + y) * z\" x=-2 y=5 z=-4 -o f.svg --steps")
    parser.add_argument("expression", help='for example "(x + y) * z"')
    parser.add_argument("values", nargs="*", metavar="name=value",
                        help="a finite number for every variable of the expression")
    parser.add_argument("-o", "--output", default="graph.svg",
                        help="output file (default %(default)s); the format comes from the "
                             "extension: " + ", ".join("." + f for f in FORMATS))
    parser.add_argument("--force", action="store_true",
                        help="overwrite the output file if it exists (default: refuse)")
    parser.add_argument("--plain", action="store_true",
                        help="boxes only: no values and gradients on the wires, no gate names "
                             "(default: values, gradients and gates shown)")
    parser.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                        help="direction of the graph (default %(default)s: left to right)")
    parser.add_argument("--steps", action="store_true",
                        help="also print the backward pass step by step as a table "
                             "(default: not printed)")
    return parser


def _output_problem(output, force):
    """Why the diagram cannot be written to `output`, or None. Checked before any work."""
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        return (f"unknown output format {output.suffix or '(no extension)'!r} in "
                f"{str(output)!r}; use one of {', '.join('.' + f for f in FORMATS)}")
    if output.is_dir():
        return f"{output} is a directory; give a file name such as {output / 'graph.svg'}"
    parent = output.parent
    if not parent.exists():
        missing = next(p for p in [parent, *parent.parents] if p.parent.exists())
        if not missing.parent.is_dir():
            return f"{missing.parent} is a file, so {output} cannot be written under it"
        return f"the directory {parent} does not exist; create it first"
    if not parent.is_dir():
        return f"{parent} is a file, so {output} cannot be written under it"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the directory {parent} is not writable"
    if output.exists() and not force:
        return f"{output} exists; choose another name or pass --force to overwrite it"
    return None


def main(argv=None):
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit status: 0 on
    success, 2 for a bad expression, value or output path (one line on stderr, checked before
    any work, nothing written), 1 when Graphviz's dot is missing or the file cannot be written."""
    parser = _parser()
    args = parser.parse_args(argv)
    output = Path(args.output)
    problem = _output_problem(output, args.force)
    if problem:
        parser.error(problem)
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in ("dot", "html") and shutil.which("dot") is None:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    try:
        root, _ = evaluate(args.expression, parse_values(args.values))
    except ValueError as error:  # an ExpressionError (a ValueError) shows the place
        print(f"error: {error}", file=sys.stderr)
        return 2
    root.backward()
    plain = args.plain
    try:
        if fmt == "html":  # the explorer page: needs no Graphviz
            content = explore(root).html.encode()
        else:
            diagram = draw(root, rankdir=args.rankdir, edge_values=not plain, gates=not plain)
            content = diagram.source.encode() if fmt == "dot" else diagram.pipe(format=fmt)
        write_atomically({output: lambda file: file.write(content)})
    except ExplorerError as error:  # a graph too big to step through
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as error:
        print(f"error: cannot write {output}: {error}", file=sys.stderr)
        return 1
    print(f"{' '.join(args.expression.split())} = {root.data:.6g}; wrote {output}")
    if args.steps:
        print(backward_steps(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
