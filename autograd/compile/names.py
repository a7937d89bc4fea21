"""Identifiers for generated code: made by the engine, never copied from user text.

A label, a parameter name or an argument name suggests an identifier; the engine keeps only
ASCII letters, digits and underscores, avoids keywords, builtins and every name the program's
namespace binds, and makes it unique. The user's own text appears only in comments, escaped.
"""

import builtins
import inspect
import keyword
import re

from ..naming import all_values, names_of, numbered

_NOT_WORD = re.compile(r"[^A-Za-z0-9_]+")
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


class Namer:
    """Hands out unique identifiers; `reserved` names (the namespace's) are never given."""

    def __init__(self, reserved=()):
        self.used = set(RESERVED) | set(reserved)

    def __call__(self, suggestion, fallback="v"):
        """A fresh identifier built from `suggestion` (any text) or, failing that, `fallback`."""
        base = _NOT_WORD.sub("_", str(suggestion or "")).strip("_")[:40] or fallback
        if base[0].isdigit():
            base = f"{fallback}{base}"
        name, k = base, 1
        while name in self.used or not name.isidentifier():
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


def comment(text):
    """User text made safe for a comment: one line, control characters escaped."""
    return repr(str(text))[1:-1]


def top_names(f, n):
    """A suggested name for each of n arguments: f's parameter names, else a0, a1, ..."""
    try:
        parameters = [p.name for p in inspect.signature(f).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"a{i}" for i in range(n)]


def argument_names(f, args):
    """A suggested name for each argument leaf, in `flatten` order: f's parameter names, with
    the position inside a list appended (`X_3_1`); `a0`, `a1`, ... when f has no names."""
    names = []
    for arg, base in zip(args, top_names(f, len(args))):
        stack = [(arg, base)]
        while stack:
            value, name = stack.pop()
            if isinstance(value, (list, tuple)):
                stack.extend(reversed([(v, f"{name}_{j}") for j, v in enumerate(value)]))
            else:
                names.append(name)
    return names


def value_suggestions(trace):
    """A suggested name for each node and each leaf of a trace (listed in written order): the
    names `autograd.draw`, the step table and the explorer give the same values (their label,
    else `mul1`, `add2`, ... and `x1`, `x2`, ... from `autograd.naming`)."""
    inputs = [[key for kind, key in node.inputs if kind == "node"] for node in trace.nodes]
    nodes = numbered([(node.label, node.op.name) for node in trace.nodes], inputs)
    leaves = numbered([(leaf.label, "x") for leaf in trace.leaves])
    return nodes, leaves


def graph_leaf_names(root, model=None):
    """{id(leaf): name} for the leaves a recorded graph's output `root` depends on: a model's
    parameters by their full name in `named_parameters()` (`layers.0.weight`: unique, where a
    diagram shows `weight` inside the layer's box), every other leaf as `autograd.draw` names it
    (its label, else its role `input` / `target`, else x1, x2, ...)."""
    values = all_values(root)
    names = names_of(values, model)
    parameters = {} if model is None else \
        {id(p): name for name, p in model.named_parameters()}
    return {id(v): parameters.get(id(v), names[id(v)]) for v in values if v.op is None}
