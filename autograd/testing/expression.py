"""Random expressions as small trees over the op table, with an engine value and a numpy twin.

A tree is ("var", i), ("const", c) or (op name, children, params). The strategy that draws them
lives in `strategies.expressions`; this module needs only numpy.
"""

import numpy as np

from ..ops import OPS

TWINS = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "neg": np.negative,
    "maximum": np.maximum, "exp": np.exp, "log": np.log, "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "relu": lambda x: np.maximum(x, 0.0),
    "pow": lambda x, exponent: np.power(x, exponent),
    "abs": np.abs, "sqrt": np.sqrt, "log1p": np.log1p, "minimum": np.minimum,
    "softplus": lambda x: np.logaddexp(0.0, x), "clip": lambda x, lo, hi: np.clip(x, lo, hi),
    "where": lambda a, b, cond: np.where(cond, a, b),
}
"""Independent numpy twins of the built-in elementwise ops (a user op's twin is its forward)."""

KINKS = {"relu": lambda x: np.abs(x), "maximum": lambda x, y: np.abs(np.subtract(x, y)),
         "abs": lambda x: np.abs(x), "minimum": lambda x, y: np.abs(np.subtract(x, y)),
         "clip": lambda x, lo, hi: np.minimum(np.inf if lo is None else np.abs(x - lo),
                                              np.inf if hi is None else np.abs(x - hi))}
"""How far the inputs of a built-in op are from the points where it is not differentiable."""
SYMMETRIC_KINKS = ("maximum", "minimum")
"""Ops whose kink is a tie of two inputs: none when both inputs are the same expression."""


def domain_inputs(op):
    """The positions of `op`'s inputs that its `domain` restricts: the divisor for div, every
    input otherwise (log and pow have one; a user op's domain applies to all its inputs)."""
    return (1,) if op.name == "div" else tuple(range(op.arity or 0))


class Expression:
    """A random expression over the variables x0, x1, ...: `build(*values)` evaluates it with
    the engine (Scalars, Tensors or raw data), `twin(*arrays)` with plain numpy, `kink(*arrays)`
    is the distance to the nearest point where relu or maximum is not differentiable, `text`
    shows it. Unpacks as `build, twin = expression`."""

    def __init__(self, tree, n_vars):
        self.tree, self.n_vars = tree, n_vars
        self.text = _show(tree)

    @staticmethod
    def safe(tree):
        """`tree` wrapped so that its value is at least 0.5 (for a domain): t*t + 0.5."""
        return ("add", (("mul", (tree, tree), {}), ("const", 0.5)), {})

    def build(self, *values):
        """The engine's value of the expression (a raw constant when it uses no variable)."""
        return self.evaluate(values, _apply_engine)

    def twin(self, *arrays):
        """The plain numpy value of the expression."""
        return self.evaluate([np.asarray(a, dtype=np.float64) for a in arrays], _apply_twin)

    def kink(self, *arrays):
        """The smallest distance, over the relu and maximum nodes, of their inputs from a kink
        (inf when there is none); finite differences need it larger than their step."""
        distances = [np.inf]

        def apply(name, args, params, children):
            if name in KINKS and not (name in SYMMETRIC_KINKS and children[0] == children[1]):
                distances.append(float(np.min(KINKS[name](*args, **params), initial=np.inf)))
            return _apply_twin(name, args, params, children)

        with np.errstate(all="ignore"):
            self.evaluate([np.asarray(a, dtype=np.float64) for a in arrays], apply)
        return min(distances)

    def evaluate(self, values, apply):
        """The expression at `values` with each op node computed by `apply(name, args, params,
        children)` (children first, left to right): `build` and `twin` are two such applies;
        a test can plant its own (e.g. an op with a deliberately wrong rule at one node)."""
        if len(values) != self.n_vars:
            raise TypeError(f"{self.text}: expected {self.n_vars} values, got {len(values)}")
        return _evaluate(self.tree, values, apply)

    def __iter__(self):
        return iter((self.build, self.twin))

    def __repr__(self):
        return f"Expression({self.text})"


def _apply_engine(name, args, params, children):
    return OPS[name](*args, **params)


def _apply_twin(name, args, params, children):
    twin = TWINS.get(name) or OPS[name].forward
    return twin(*args, **params)


def _evaluate(tree, values, apply):
    # trees are at most a few levels deep (max_depth), so plain recursion is fine here
    kind = tree[0]
    if kind == "var":
        return values[tree[1]]
    if kind == "const":
        return tree[1]
    name, children, params = tree
    return apply(name, [_evaluate(child, values, apply) for child in children], params, children)


def _show(tree):
    kind = tree[0]
    if kind == "var":
        return f"x{tree[1]}"
    if kind == "const":
        return repr(tree[1])
    name, children, params = tree
    inner = ", ".join(_show(c) for c in children)
    extra = "".join(f", {k}={v!r}" for k, v in params.items())
    return f"{name}({inner}{extra})"
