"""The lines of a generated program as data: `Statement` (the name a line defines, its
right-hand side as an `Expr`, the names it reads, the op and buffer form of a forward line)
and `Word` (a piece of program text that is one word: a name or a plain literal).

The buffer and liveness passes (buffers.py) read these fields; the text is written last
(`Statement.text`, codegen's `assemble`). What a row's template computes is read from the
template itself, once (`template_shape`), never from a program's text.
"""

import ast
import functools
import string

from .. import ops

_UFUNCS = {ast.Add: "np.add", ast.Sub: "np.subtract", ast.Mult: "np.multiply",
           ast.Div: "np.divide"}
NEW_ARRAY_FUNCTIONS = frozenset(name for name, function in ops.TEMPLATE_FUNCTIONS.items()
                                if getattr(function, "new_array", False))
"""The functions templates call whose result is a new array, never a view of an argument:
those the kernels mark so (`kernels.new_array`), read from them, never listed here."""


class Word(str):
    """Program text that is one word, marked where the writer makes it: a name it gave (a
    value, an argument, a bound constant) or a literal that is one (`2`, `None`, `nan`). Only
    a word counts as an operand, and arithmetic on words may be written into a buffer."""

    __slots__ = ()


class Expr:
    """The right-hand side of an assignment, as data: its `text`, the `operands` (the names it
    reads, in the order it reads them) and what the buffer pass needs to know of it, its
    `kind`: "name" (the value of the one operand itself), "ufunc" (`a * b` of two names:
    `args` = (ufunc, a, b)), "matmul" (`a @ b`, each side a name maybe transposed: `args` =
    (a, b)), "new" (certainly a new array) or "any" (may share memory with its operands);
    and the row's `template` it fills in, if it is one (the generator runs that, not the
    text, on the trace's values)."""

    __slots__ = ("text", "operands", "kind", "args", "template")

    def __init__(self, text, operands=(), kind="any", args=(), template=None):
        self.text, self.operands, self.kind, self.args = text, tuple(operands), kind, args
        self.template = template

    def wrapped(self, text, kind):
        """Another expression over the same operands (a call around this one)."""
        return Expr(text, self.operands, kind)

    def into(self, buffer):
        """This product or arithmetic written into `buffer` (kinds "ufunc" and "matmul")."""
        if self.kind == "ufunc":
            ufunc, a, b = self.args
            return Expr(f"{ufunc}({a}, {b}, out={buffer})", self.operands, "new")
        a, b = self.args
        return Expr(f"np.matmul({a}, {b}, out={buffer})", self.operands, "new")


class Statement:
    """One line of the program, as data: the name it defines (`output`) and its right-hand
    side (`expr`, an Expr), or a whole `line` of text that defines nothing; a comment; the
    names it reads (`operands`, and `reads`: those that are program values, set once every
    line is written); the rule it writes out (`rule`); whether what it reads is handed to the
    caller (`escapes`); how deep it is nested in a function the program defines (`depth`).

    A forward line also names its traced node (`node`), the node's op row (`op`), the names of
    the node values it reads (`inputs`), its op's buffer form (`inplace`: the row's `into`
    template, and the template's `fields`) and the name of what a forward that `saves` keeps
    for its rule (`saved`, defined beside `output`). A field added here is read by the passes
    the same way: nothing is recovered from the text."""

    __slots__ = ("output", "expr", "line", "note", "operands", "reads", "node", "op", "inputs",
                 "inplace", "fields", "escapes", "rule", "depth", "saved")

    def __init__(self, line=None, note="", output=None, expr=None, node=None, operands=(),
                 depth=0):
        self.output, self.expr, self.line, self.note, self.node = output, expr, line, note, node
        self.operands = expr.operands if expr is not None else tuple(operands)
        self.reads, self.op, self.inputs, self.inplace, self.fields = (), None, (), None, None
        self.rule = None  # (j, k): the line sending node j's rule's gradient to its input k
        self.escapes = False
        self.depth, self.saved = depth, None

    @property
    def text(self):
        """The line as it is written (indented by its depth)."""
        if self.output is None:
            text = self.line
        elif self.saved is not None:
            text = f"{self.output}, {self.saved} = {self.expr.text}"
        else:
            text = f"{self.output} = {self.expr.text}"
        return "    " * self.depth + text if self.depth else text

    def nested(self):
        """The same line one level deeper, inside a function the program defines (what it
        computes and reads stays; it is no longer the line of a traced node or rule)."""
        inner = Statement(self.line, self.note, self.output, self.expr,
                          operands=self.operands, depth=self.depth + 1)
        inner.reads, inner.escapes, inner.saved = self.reads, self.escapes, self.saved
        return inner

    @property
    def defines(self):
        """The names the line defines (none, its output, or its output and what it saves)."""
        if self.output is None:
            return ()
        return (self.output,) if self.saved is None else (self.output, self.saved)

    def written_into(self, buffer):
        """This forward line's op written into `buffer` by its row's `into` form."""
        return Expr(self.inplace.format(**dict(self.fields, buf=buffer)), self.operands, "new")


def assign(output, text, note="", operands=(), kind="any", node=None):
    """The statement `output = text`."""
    return Statement(None, note, output, Expr(text, operands, kind), node=node)


def line(text, note=""):
    """One indented line of the function's body, with its comment."""
    return f"    {text}  # {note}" if note else f"    {text}"


@functools.cache
def template_shape(template):
    """What a row's template computes, read once from the template (the row's own text, never
    the program's): its fields in the order it reads them, and its kind and operand fields for
    the buffer pass (see Expr): ("name", f), ("ufunc", ufunc, a, b), ("matmul", (a, t), (b, t))
    with t whether the side is transposed, ("new",) or ("any",)."""
    fields = tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))
    marks = {f: f"F{i}_" for i, f in enumerate(fields)}
    tree = ast.parse(template.format(**marks), mode="eval").body
    back = {v: k for k, v in marks.items()}

    def side(node):
        if isinstance(node, ast.Name) and node.id in back:
            return back[node.id], False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "swapaxes" and isinstance(node.func.value, ast.Name) and \
                node.func.value.id in back and \
                [ast.literal_eval(a) for a in node.args] == [-1, -2]:
            return back[node.func.value.id], True
        return None

    if isinstance(tree, ast.Name) and tree.id in back:
        return fields, ("name", back[tree.id])
    if isinstance(tree, ast.BinOp):
        a, b = side(tree.left), side(tree.right)
        if a and b and type(tree.op) in _UFUNCS and not a[1] and not b[1]:
            return fields, ("ufunc", _UFUNCS[type(tree.op)], a[0], b[0])
        if a and b and isinstance(tree.op, ast.MatMult):
            return fields, ("matmul", a, b)
    return fields, ("new",) if _makes_new_array(tree) else ("any",)


@functools.cache
def template_code(template):
    """A row's template compiled once, as a function of its fields' values: (the fields in
    the order they are passed, the code object, which reads them as F0_, F1_, ...)."""
    fields, _ = template_shape(template)
    marked = template.format(**{f: f"F{i}_" for i, f in enumerate(fields)})
    return fields, compile(marked, f"<template {template}>", "eval")


def _makes_new_array(tree):
    """Whether a template's expression is certainly a new array, sharing no memory with the
    names it reads: numpy arithmetic, a call of a function that makes a new array, a sum or
    a type conversion, or a reshape of any of these."""
    if isinstance(tree, (ast.BinOp, ast.UnaryOp)):
        return True
    if not isinstance(tree, ast.Call):
        return False
    function = tree.func
    if isinstance(function, ast.Name):
        return function.id in NEW_ARRAY_FUNCTIONS
    if isinstance(function, ast.Attribute):
        if function.attr in ("sum", "astype", "copy"):
            return True
        return function.attr == "reshape" and _makes_new_array(function.value)
    return False
