"""Command line: evaluate a typed expression, run backward and write its diagram.

    python -m autograd.draw "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o neuron.svg
"""

import argparse
import sys
from pathlib import Path

from .diagram import draw
from .expression import ExpressionError, evaluate, parse_values
from .steps import backward_steps

FORMATS = ("svg", "png", "pdf", "dot")


def main(argv=None):
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m autograd.draw",
        description="Evaluate an expression on Scalars, backpropagate, and draw the graph.")
    parser.add_argument("expression", help='for example "(x + y) * z"')
    parser.add_argument("values", nargs="*", help="name=value for every variable")
    parser.add_argument("-o", "--output", default="graph.svg",
                        help="output file; the format comes from the extension: "
                             + ", ".join(FORMATS))
    parser.add_argument("--plain", action="store_true",
                        help="boxes only: no values and gradients on the wires, no gate names")
    parser.add_argument("--steps", action="store_true",
                        help="also print the backward pass step by step")
    args = parser.parse_args(argv)
    output = Path(args.output)
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        parser.error(f"unknown output format {output.suffix!r}; use one of "
                     f"{', '.join('.' + f for f in FORMATS)}")
    try:
        root, _ = evaluate(args.expression, parse_values(args.values))
    except (ExpressionError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    root.backward()
    diagram = draw(root, edge_values=not args.plain, gates=not args.plain)
    if fmt == "dot":
        output.write_text(diagram.source)
    else:
        diagram.render(outfile=str(output), format=fmt, cleanup=True)
    print(f"{args.expression.strip()} = {root.data:.6g}; wrote {output}")
    if args.steps:
        print(backward_steps(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
