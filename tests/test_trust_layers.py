"""The layers stay apart (issue 23, "no cycle through the core"): the core (kernels, ops,
graph, modes, value, scalar, tensor) imports nothing that reaches `autograd.draw`,
`autograd.testing` or `autograd.compile`, not even inside a function, and sits in no import
cycle; diagnostics hook into it. Checked on the source (every import statement, read with
`ast`) and by importing the core alone in a fresh interpreter."""

import ast
import subprocess
import sys
from pathlib import Path

import autograd

PACKAGE = Path(autograd.__file__).resolve().parent
CORE = ("kernels", "ops", "graph", "modes", "value", "scalar", "tensor")
ABOVE = ("autograd.draw", "autograd.testing", "autograd.compile")


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports():
    """Every module of the package -> the package's modules it imports anywhere in its source
    (module level or inside a function), by `import` or `from ... import`."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = node.module if node.level == 0 else \
                    ".".join(filter(None, [base, node.module]))
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)  # submodules
        # (the package itself, whose __init__ is the public facade importing everything, is
        # left out: importing autograd.graph runs it, but that is packaging, not a dependency)
        edges[name] = {m for m in found if m in modules and m != "autograd"}
    return edges


def _reached(edges, start):
    seen, stack = set(), list(start)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(edges.get(name, ()))
            if name.count(".") > 1:  # importing autograd.x.y runs autograd.x's __init__ first
                stack.append(name.rpartition(".")[0])
    return seen


def test_the_core_reaches_nothing_above_it_even_inside_functions():
    edges = _imports()
    core = [f"autograd.{name}" for name in CORE]
    reached = _reached(edges, core)
    above = sorted(m for m in reached if m.startswith(ABOVE))
    assert above == [], f"the core imports {above}"
    assert {"autograd.anomaly", "autograd.origin"}.isdisjoint(reached)  # diagnostics hook in


def test_no_core_module_is_in_an_import_cycle():
    edges = _imports()
    for name in CORE:
        module = f"autograd.{name}"
        back = {m for m in _reached(edges, edges[module]) if module in edges.get(m, ())}
        assert not back, f"{module} is in an import cycle with {sorted(back)}"


def test_importing_the_core_alone_loads_nothing_above_it(tmp_path):
    # the package's __init__ imports everything; a stand-in package runs only the core
    script = (
        "import sys, types\n"
        f"package = types.ModuleType('autograd'); package.__path__ = [{str(PACKAGE)!r}]\n"
        "sys.modules['autograd'] = package\n"
        f"for name in {CORE!r}:\n"
        "    __import__('autograd.' + name)\n"
        "from autograd.tensor import Tensor\n"
        "x = Tensor([1.0, 2.0], requires_grad=True)\n"
        "(x * x).sum().backward()\n"
        "assert x.grad.tolist() == [2.0, 4.0]\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('autograd'))))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    loaded = set(done.stdout.split())
    assert {f"autograd.{name}" for name in CORE} <= loaded
    assert not {m for m in loaded if m.startswith(ABOVE)}, loaded
    assert loaded <= {"autograd", "autograd.errors"} | {f"autograd.{name}" for name in CORE}
