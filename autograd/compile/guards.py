"""Guards on what a program reads besides its arguments: the leaves f closes over.

A program reads its persistent leaves (a model's parameters, a closed-over Tensor) as the
objects the trace found. Should f reach another object there on a later call (`box["W"] =
Tensor(...)`, `layer.weight = Tensor(...)`, a rebound closure variable), the program must not
read the old one. As torch.compile guards on the tensors a function closes over, the trace
looks for every slot that holds each persistent leaf, reachable from f: its closure cells,
the globals its code names, its defaults, a bound method's object, a partial's arguments,
and from there attributes, dict entries and list or tuple items. `Guard` re-reads each of
those slots at every call (generated code: one attribute or item read per step of a path,
prefixes shared) and says whether every slot still holds its leaf, every list and dict on the
way still has its length, and every leaf the shape, dtype and requires_grad the program was
written for; when not, the step traces f again.

A leaf that no such path reaches (one f finds through a module it imports, or an object of a
C extension) is guarded on its shape, dtype and requires_grad only: `Guard.unreached` lists it.
"""

import collections
import functools
import keyword
import types

import numpy as np

from ..scalar import Scalar
from ..value import Value
from .names import comment

BUDGET = 50_000
"""At most this many objects are looked into when searching for the paths (at trace time)."""
PATHS_PER_LEAF = 8
"""At most this many slots are guarded per leaf (the first ones found, the nearest first)."""

_LEAVES_ALONE = (str, bytes, int, float, complex, bool, type(None), np.ndarray, np.generic,
                 type, types.BuiltinFunctionType, types.ModuleType, Value, range, slice)


def find_paths(f, targets):
    """For each target object, the paths (tuples of steps) by which f reaches it, and the
    length of every list and dict on the way ({path: len}): a breadth-
    first walk from f, each object looked into once; a step is ("cell", i), ("global", name),
    ("default", i), ("kwdefault", name), ("self",) and ("method",) (a bound method's object and
    function), ("func",), ("args", i) and ("keywords", name) (a partial's), ("attr", name) or
    ("item", key)."""
    wanted = {id(t): i for i, t in enumerate(targets)}
    paths, sizes = [[] for _ in targets], {}
    seen = {id(f)}
    queue = collections.deque([(f, ())])
    looked = 0
    while queue and looked < BUDGET:
        obj, path = queue.popleft()
        looked += 1
        for step, child in _children(obj):
            i = wanted.get(id(child))
            if i is not None:
                if len(paths[i]) < PATHS_PER_LEAF:
                    paths[i].append(path + (step,))
                continue
            if id(child) in seen or isinstance(child, _LEAVES_ALONE) or \
                    child.__class__.__module__.startswith("autograd."):
                continue  # (the engine's own objects, a compiled step's cache, hold no slot)
            seen.add(id(child))
            queue.append((child, path + (step,)))
            if child.__class__ is list or child.__class__ is dict:
                sizes[path + (step,)] = len(child)
    return paths, sizes


def _children(obj):
    """(step, object) for what obj holds, read the way the guard reads it again."""
    kind = obj.__class__
    if kind is types.FunctionType:
        for i, cell in enumerate(obj.__closure__ or ()):
            try:
                yield ("cell", i, obj.__code__.co_freevars[i]), cell.cell_contents
            except ValueError:  # an empty cell (a variable not yet assigned)
                pass
        names = _code_names(obj.__code__)
        for name in names:
            if name in obj.__globals__:
                yield ("global", name), obj.__globals__[name]
        for i, value in enumerate(obj.__defaults__ or ()):
            yield ("default", i), value
        for name, value in (obj.__kwdefaults__ or {}).items():
            yield ("kwdefault", name), value
    elif kind is types.MethodType:
        yield ("self",), obj.__self__
        yield ("method",), obj.__func__
    elif kind is functools.partial:
        yield ("func",), obj.func
        for i, value in enumerate(obj.args):
            yield ("args", i), value
        for name, value in obj.keywords.items():
            yield ("keywords", name), value
    elif isinstance(obj, dict):
        for key in list(obj):
            if isinstance(key, (str, int)) and not isinstance(key, bool):
                yield ("item", key), obj[key]
    elif kind is list or kind is tuple:
        for i, value in enumerate(obj):
            yield ("item", i), value
    else:
        attributes = getattr(obj, "__dict__", None)
        if isinstance(attributes, dict):
            for name in list(attributes):
                if isinstance(name, str):
                    try:
                        value = getattr(obj, name)
                    except Exception:  # noqa: BLE001, S112 (a property that raises: not a slot)
                        continue
                    if value is attributes.get(name):  # (not shadowed by a descriptor)
                        yield ("attr", name), value


def _code_names(code):
    """The global names a code object (and the functions and comprehensions inside it) use."""
    names, stack = [], [code]
    while stack:
        current = stack.pop()
        names.extend(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return list(dict.fromkeys(names))


class Guard:
    """`guard(P)`: whether the program written for the persistent leaves P may run on this
    call (every slot found holding a leaf still holds it; shapes, dtypes and requires_grad as
    traced). `source` is the generated check, `unreached` the leaves no path reaches."""

    def __init__(self, f, persistent):
        paths, sizes = find_paths(f, persistent) if persistent else ([], {})
        self.unreached = [k for k, found in enumerate(paths) if not found]
        self.paths = paths
        self.namespace = {"F": f}
        lines, names = ["def guard(P):"], {}
        counter = [0]

        def constant(value):
            name = f"K{len(self.namespace)}"
            self.namespace[name] = value
            return name

        def reach(path):
            """The local name holding the object at the end of `path` (prefixes shared)."""
            if not path:
                return "F"
            name = names.get(path)
            if name is None:
                parent = reach(path[:-1])
                name = names[path] = f"v{counter[0]}"
                counter[0] += 1
                lines.append(f"    {name} = {_read(parent, path[-1], constant)}")
                if path in sizes:  # (f may loop over it: an item added is a leaf to read)
                    lines.append(f"    if len({name}) != {sizes[path]}: return False")
            return name

        for k, found in enumerate(paths):
            for path in found:
                lines.append(f"    if {reach(path)} is not P[{k}]: return False  "
                             f"# {comment(_describe(path))}")
        for k, leaf in enumerate(persistent):
            if leaf.__class__ is Scalar:
                lines.append(f"    if P[{k}].requires_grad is not {leaf.requires_grad}: "
                             f"return False")
            else:
                lines.append(f"    d = P[{k}].data")
                lines.append(f"    if d.shape != {leaf.data.shape!r} or d.dtype != "
                             f"{constant(leaf.data.dtype)} or P[{k}].requires_grad is not "
                             f"{leaf.requires_grad}: return False")
        lines.append("    return True")
        self.source = "\n".join(lines) + "\n"
        exec(compile(self.source, "<compiled step guard>", "exec"),  # noqa: S102
             self.namespace)  # (text the engine wrote: identifiers, ints and bound constants)
        self.check = self.namespace["guard"]

    def where(self, k):
        """How f reaches persistent leaf k, as one would write it (None when unknown)."""
        return _describe(self.paths[k][0]) if self.paths and self.paths[k] else None

    def __call__(self, persistent):
        try:
            return self.check(persistent)
        except Exception:  # noqa: BLE001 (a slot gone: f would read something else, trace it)
            return False


def _read(parent, step, constant):
    """The expression reading one step from the object named `parent`."""
    kind = step[0]
    if kind == "cell":
        return f"{parent}.__closure__[{step[1]}].cell_contents"
    if kind == "global":
        return f"{parent}.__globals__[{constant(step[1])}]"
    if kind == "default":
        return f"{parent}.__defaults__[{step[1]}]"
    if kind == "kwdefault":
        return f"{parent}.__kwdefaults__[{constant(step[1])}]"
    if kind == "self":
        return f"{parent}.__self__"
    if kind == "method":
        return f"{parent}.__func__"
    if kind == "func":
        return f"{parent}.func"
    if kind == "args":
        return f"{parent}.args[{step[1]}]"
    if kind == "keywords":
        return f"{parent}.keywords[{constant(step[1])}]"
    if kind == "attr":
        name = step[1]
        if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__"):
            return f"{parent}.{name}"
        return f"getattr({parent}, {constant(name)})"
    key = step[1]
    return f"{parent}[{key!r}]" if key.__class__ is int else f"{parent}[{constant(key)}]"


def _describe(path):
    """A path as the user would write it (for the guard's comments)."""
    text = "f"
    for step in path:
        kind = step[0]
        if kind in ("attr",):
            text += f".{step[1]}"
        elif kind == "item":
            text += f"[{step[1]!r}]"
        elif kind == "global":
            text = step[1] if text == "f" else f"{text}.{step[1]}"
        elif kind == "cell":
            text = step[2] if text == "f" else f"{text}.{step[2]}"
        else:
            text += f" <{kind} {step[1] if len(step) > 1 else ''}>".replace(" >", ">")
    return text
