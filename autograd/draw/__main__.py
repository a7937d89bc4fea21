"""Command line: evaluate a typed expression on Scalars, run backward and write its diagram.

    python -m autograd.draw "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o neuron.svg
"""

import argparse
import sys
from pathlib import Path

from .diagram import RANKDIRS, draw
from .explorer import ExplorerError, explore
from .expression import FUNCTIONS, evaluate, parse_values
from .steps import backward_steps

FORMATS = ("svg", "png", "pdf", "dot", "html")  # html: the explorer page (autograd.explore)


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m autograd.draw",
        description="Evaluate an expression on Scalars, backpropagate, and draw the graph with "
                    "values and gradients on the wires and each gate named by its pattern.",
        epilog=f"Expressions use numbers, names, + - * / ** (constant exponent) and the "
               f"functions {', '.join(FUNCTIONS)}. Example: python -m autograd.draw "
               f"\"(x + y) * z\" x=-2 y=5 z=-4 -o f.svg --steps")
    parser.add_argument("expression", help='for example "(x + y) * z"')
    parser.add_argument("values", nargs="*", metavar="name=value",
                        help="a number for every variable of the expression")
    parser.add_argument("-o", "--output", default="graph.svg",
                        help="output file (default graph.svg); the format comes from the "
                             "extension: " + ", ".join("." + f for f in FORMATS))
    parser.add_argument("--force", action="store_true",
                        help="overwrite the output file if it exists")
    parser.add_argument("--plain", action="store_true",
                        help="boxes only: no values and gradients on the wires, no gate names")
    parser.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                        help="direction of the graph (default LR: left to right)")
    parser.add_argument("--steps", action="store_true",
                        help="also print the backward pass step by step as a table")
    return parser


def main(argv=None):
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit status
    (0 on success, 2 for a bad expression, value or output file)."""
    parser = _parser()
    args = parser.parse_args(argv)
    output = Path(args.output)
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        parser.error(f"unknown output format {output.suffix or '(no extension)'!r} in "
                     f"{str(output)!r}; use one of {', '.join('.' + f for f in FORMATS)}")
    if output.exists() and not args.force:
        parser.error(f"{output} exists; choose another name or pass --force to overwrite it")
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
    except RuntimeError as error:  # no dot program: say how to install it
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ExplorerError as error:  # a graph too big to step through
        print(f"error: {error}", file=sys.stderr)
        return 2
    output.write_bytes(content)  # written only once everything succeeded
    print(f"{' '.join(args.expression.split())} = {root.data:.6g}; wrote {output}")
    if args.steps:
        print(backward_steps(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
