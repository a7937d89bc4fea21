"""Typed expressions such as "sigmoid(w0*x0 + w1*x1 + w2)", evaluated on Scalars safely.

The text is parsed with Python's `ast` and only a whitelist of node types, operators and
function names is accepted; nothing is ever passed to eval. Errors point at the place.
"""

import ast

from ..scalar import Scalar

FUNCTIONS = {
    "exp": lambda x: x.exp(), "log": lambda x: x.log(), "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(), "relu": lambda x: x.relu(), "max": lambda x, y: x.maximum(y),
}
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b}


class ExpressionError(ValueError):
    """A malformed expression, with the place it went wrong shown under it."""

    def __init__(self, text, column, message):
        pointer = " " * max(column, 0) + "^"
        super().__init__(f"{message} at column {column + 1}:\n  {text}\n  {pointer}")
        self.column = column


def parse_values(assignments):
    """{"x": -2.0, ...} from ["x=-2", ...], with a clear error for a malformed assignment."""
    values = {}
    for item in assignments:
        name, sep, number = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"expected name=value, got {item!r}")
        try:
            values[name.strip()] = float(number)
        except ValueError:
            raise ValueError(f"the value of {name.strip()} must be a number, got "
                             f"{number!r}") from None
    return values


def evaluate(text, values):
    """Evaluate the expression on Scalars named after its variables; returns (output, leaves)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(text.strip(), (error.offset or 1) - 1,
                              f"syntax error: {error.msg}") from None
    text = text.strip()
    leaves = {}

    def build(node):  # iterative would be overkill: Python's parser limits nesting already
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                known = ", ".join(sorted(values)) or "none"
                hint = " (it is a function: call it)" if node.id in FUNCTIONS else ""
                raise ExpressionError(text, node.col_offset,
                                      f"no value given for {node.id!r}{hint}; given: {known}")
            if node.id not in leaves:
                leaves[node.id] = Scalar(values[node.id], label=node.id)
            return leaves[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](build(node.left), build(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS:
                raise ExpressionError(text, node.func.col_offset,
                                      f"unknown function {ast.unparse(node.func)!r}; allowed: "
                                      f"{', '.join(FUNCTIONS)}")
            if node.keywords:
                raise ExpressionError(text, node.col_offset, "keyword arguments are not allowed")
            expected = FUNCTIONS[name].__code__.co_argcount
            if len(node.args) != expected:
                raise ExpressionError(text, node.col_offset,
                                      f"{name} takes {expected} argument(s), got {len(node.args)}")
            args = [build(a) for a in node.args]
            if not isinstance(args[0], Scalar):
                args[0] = Scalar(args[0], requires_grad=False)
            return FUNCTIONS[name](*args)
        raise ExpressionError(text, getattr(node, "col_offset", 0),
                              f"{type(node).__name__} is not allowed; use numbers, names, "
                              f"+ - * / **, and {', '.join(FUNCTIONS)}")

    output = build(tree.body)
    if not isinstance(output, Scalar):
        raise ExpressionError(text, 0, "the expression uses no variable")
    unused = sorted(set(values) - set(leaves))
    if unused:
        raise ValueError(f"values given for names the expression does not use: "
                         f"{', '.join(unused)}")
    return output, leaves
