"""Random expressions as small trees over the op table, with an engine value and a numpy twin.

A tree is ("var", i), ("const", c) or (op name, children, params). What the tests need of each
op comes from its row: its numpy twin (`Op.twin`), its kinks (`Op.kink`) and its domain. The
strategy that draws trees lives in `strategies.expressions`; this module needs only numpy.
"""

import numpy as np

from ..ops import OPS


class Expression:
    """A random expression over the variables x0, x1, ...: `build(*values)` evaluates it with
    the engine (Scalars, Tensors or raw data), `twin(*arrays)` with plain numpy, `kink(*arrays)`
    is the distance to the nearest point where one of its ops is not differentiable (an op
    with a `kink`, such as relu or maximum), `text` shows it. Unpacks as
    `build, twin = expression`."""

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
        """The smallest distance, over the nodes of ops with a `kink`, of their inputs from a
        kink (inf when there is none); finite differences need it larger than their step."""
        distances = [np.inf]

        def apply(name, args, params, children):
            kink = OPS[name].kink
            # an op of one subtree twice, max(t, t), stays on its kink's line x = y: there it
            # is t itself, smooth, and its tie rule is what the expression then tests
            if kink is not None and not (len(children) == 2 and children[0] == children[1]):
                distances.append(float(np.min(kink(*args, **params), initial=np.inf)))
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
    # the row's numpy twin, or its forward where that is plain numpy already (the operators)
    op = OPS[name]
    return (op.twin or op.forward)(*args, **params)


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
