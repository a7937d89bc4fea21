"""Typed expressions such as "sigmoid(w0*x0 + w1*x1 + w2)", evaluated on Scalars safely.

The text is parsed with Python's `ast` and only a whitelist of node types, operators and
function names is accepted; nothing is ever passed to eval or compile. The tree is walked with
an explicit stack (no recursion), and every error points at its place with a caret.
"""

import ast
import math

from ..ops import OPS
from ..scalar import Scalar

FUNCTIONS = {op.expression_name: op for op in OPS.values()
             if op.expression_name and not op.tensor_only and op.arity in (1, 2)}
"""The functions an expression may call, by the name on their op's row (`Op.expression_name`):
every Scalar op of one or two inputs that is not an operator, such as exp(x) and max(x, y)."""
_BINARY = {ast.Add: ("+", lambda a, b: a + b), ast.Sub: ("-", lambda a, b: a - b),
           ast.Mult: ("*", lambda a, b: a * b), ast.Div: ("/", lambda a, b: a / b),
           ast.Pow: ("**", lambda a, b: a ** b)}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
_WINDOW = 72  # characters of the expression shown around an error
_ALLOWED = "numbers, names, + - * / ** and " + ", ".join(f"{name}()" for name in FUNCTIONS)


class ExpressionError(ValueError):
    """A malformed expression, with the place it went wrong shown under it."""

    def __init__(self, text, column, message):
        column = min(max(column, 0), len(text))
        start = max(0, min(column - _WINDOW // 2, len(text) - _WINDOW))  # a long line is cut
        window = "".join(c if c.isprintable() else "?" for c in text[start:start + _WINDOW])
        shown = ("..." if start else "") + window + ("..." if start + _WINDOW < len(text) else "")
        pointer = " " * (column - start + (3 if start else 0)) + "^"
        super().__init__(f"{message} at column {column + 1}:\n  {shown}\n  {pointer}")
        self.column = column


def _column(text, node, end=False):
    """The character column of an ast node in `text` (ast counts UTF-8 bytes, not characters)."""
    offset = node.end_col_offset if end else node.col_offset
    return len(text.encode()[:offset].decode(errors="ignore"))


def _source(text, node, limit=40):
    """The text of an ast node, cut to `limit` characters (never ast.unparse: it recurses)."""
    shown = text[_column(text, node):_column(text, node, end=True)]
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def parse_values(assignments):
    """{"x": -2.0, ...} from ["x=-2", ...], with a clear error for a malformed assignment."""
    values = {}
    for item in assignments:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"expected name=value (for example x=-2), got {item!r}")
        if name in values:
            raise ValueError(f"{name} is given twice; give each name one value")
        try:
            values[name] = float(number)
        except ValueError:
            raise ValueError(f"the value of {name} must be a number, got {number!r:.40}") \
                from None
        if not math.isfinite(values[name]):
            raise ValueError(f"the value of {name} must be a finite number, got {number!r:.40}")
    return values


def evaluate(text, values):
    """Evaluate the expression on Scalars named after its variables; returns (output, leaves).

    `values` maps each variable name to a number. Raises ExpressionError (a ValueError) for a
    syntax error, a construct outside the whitelist, an unknown function, a variable without a
    value or an operation that fails (naming the place); ValueError for values of unused names.
    """
    text = " ".join(text.split())  # one line, so that a column is a place on the shown line
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(text, (error.offset or 1) - 1,
                              f"syntax error: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(text, 0, "the expression is nested too deeply for Python's "
                                       "parser; split it into smaller parts") from None
    leaves = {}
    results = {}  # id(ast node) -> its value (a float constant or a Scalar)
    stack = [(tree.body, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_operands(text, node, values)))
            continue
        results[id(node)] = _compute(text, node, [results.pop(id(c)) for c in
                                                  _operands(text, node, values)], values, leaves)
    output = results[id(tree.body)]
    if not isinstance(output, Scalar):
        raise ExpressionError(text, 0, "the expression uses no variable; write one, for "
                                       "example x * 2 with x=3")
    unused = sorted(set(values) - set(leaves))
    if unused:
        raise ValueError(f"values given for names the expression does not use: "
                         f"{', '.join(unused)}")
    return output, leaves


def _operands(text, node, values):
    """The sub-expressions of an allowed node, after checking that the node is allowed."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return []
        raise ExpressionError(text, _column(text, node),
                              f"the constant {_source(text, node)} is not a number; use "
                              f"{_ALLOWED}")
    if isinstance(node, ast.Name):
        if node.id not in values:
            known = ", ".join(sorted(values)) or "none"
            hint = " (it is a function: call it)" if node.id in FUNCTIONS else \
                f" (add {node.id[:40]}=<number> to the command)"
            raise ExpressionError(text, _column(text, node),
                                  f"no value given for {node.id[:40]!r}{hint}; given: {known}")
        return []
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return [node.operand]
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise ExpressionError(text, _column(text, node.func),
                                  f"unknown function {_source(text, node.func)!r}; allowed: "
                                  f"{', '.join(FUNCTIONS)}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(text, _column(text, node),
                                  f"{name}() takes plain arguments, no keywords or *")
        expected = FUNCTIONS[name].arity
        if len(node.args) != expected:
            raise ExpressionError(text, _column(text, node),
                                  f"{name} takes {expected} argument(s), got {len(node.args)}")
        return list(node.args)
    what = type(getattr(node, "op", None) or node).__name__
    raise ExpressionError(text, _column(text, node) if hasattr(node, "col_offset") else 0,
                          f"{what} is not allowed; use {_ALLOWED}")


def _compute(text, node, args, values, leaves):
    """The value of an allowed node from the values of its operands: a Scalar, or a float for a
    part made of constants only (folded, and checked to be a real number)."""
    if isinstance(node, ast.Constant):
        try:
            number = float(node.value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ExpressionError(text, _column(text, node), f"the number "
                                  f"{_source(text, node, 20)} is too large for a float")
        return number
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            leaves[node.id] = Scalar(values[node.id], label=node.id)
        return leaves[node.id]
    column = _column(text, node)
    if isinstance(node, ast.BinOp):
        symbol, function = _BINARY[type(node.op)]
        column = text.find(symbol, _column(text, node.left, end=True))
    elif isinstance(node, ast.UnaryOp):
        function = _UNARY[type(node.op)]
    else:
        function = FUNCTIONS[node.func.id]
    try:  # an op applied to numbers only gives a number: exp(2) is folded
        return _real(text, column, function(*args))
    except (ArithmeticError, TypeError, ValueError) as error:
        if isinstance(error, ExpressionError):
            raise
        reason = "the result is too large for a float" if isinstance(error, OverflowError) \
            else str(error)
        raise ExpressionError(text, column, f"cannot compute this: {reason}") from None


def _real(text, column, result):
    """`result` if it is a Scalar or a float; an ExpressionError for a complex number (Python's
    (-8) ** 0.5), which a diagram of real values cannot show. (inf and nan follow the engine.)"""
    if isinstance(result, Scalar):
        return result
    if isinstance(result, complex):
        raise ExpressionError(text, column, f"cannot compute this: the result is the complex "
                                            f"number {result:.4g}; only real values are drawn")
    return result
