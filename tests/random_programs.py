"""Random PyTorch and JAX programs for the tests of check_gradients: written out as Python
source (one operation per line, so each node has a line of its own), with a custom
`torch.autograd.Function` or `jax.custom_vjp` named `Planted` at a random position whose
backward is right or has a slip. `write_program` saves one in a directory and imports it."""

import importlib.util

import numpy as np

# name: (torch code, jax code) of one step on `a` (the previous value) and `b` (an earlier one)
SMOOTH = {  # strictly monotone: a gradient reaching them always passes on (after Planted)
    "tanh": ("torch.tanh(a)", "jnp.tanh(a)"),
    "sigmoid": ("torch.sigmoid(a)", "jax.nn.sigmoid(a)"),
    "softplus": ("torch.nn.functional.softplus(a)", "jax.nn.softplus(a)"),
    "scale": ("a * 1.5 - 0.25", "a * 1.5 - 0.25"),
    "cube": ("a * a * a + a", "a * a * a + a"),
    "plus": ("a + b", "a + b"),
    "atan": ("torch.atan(a)", "jnp.arctan(a)"),
}
ANY = {**SMOOTH,  # anything, kinks and ties included (before Planted)
       "relu": ("torch.relu(a)", "jax.nn.relu(a)"),
       "abs": ("torch.abs(a)", "jnp.abs(a)"),
       "maximum": ("torch.maximum(a, b)", "jnp.maximum(a, b)"),
       "minimum": ("torch.minimum(a, b)", "jnp.minimum(a, b)"),
       "times": ("a * b", "a * b"),
       "sin": ("torch.sin(a)", "jnp.sin(a)"),
       "square": ("a ** 2", "a ** 2"),
       "where": ("torch.where(a > b, a, b * 0.5)", "jnp.where(a > b, a, b * 0.5)"),
       "clamp": ("torch.clamp(a, -1.0, 1.0)", "jnp.clip(a, -1.0, 1.0)"),
       "lse_row": ("a - torch.logsumexp(a, dim=-1, keepdim=True)",
                   "a - jax.nn.logsumexp(a, axis=-1, keepdims=True)"),
       "cummax": ("torch.cumsum(a, dim=-1) * 0.5", "jnp.cumsum(a, axis=-1) * 0.5"),
       "flip": ("torch.flip(a, dims=[-1]) * a", "jnp.flip(a, axis=-1) * a"),
       "matmul": ("a @ W", "a @ W"),
       "mean_row": ("a - a.mean(dim=-1, keepdim=True)", "a - a.mean(axis=-1, keepdims=True)"),
       "amax": ("a * torch.amax(a, dim=-1, keepdim=True)",
                "a * jnp.max(a, axis=-1, keepdims=True)"),
       "sqrt1": ("torch.sqrt(a * a + 1.0)", "jnp.sqrt(a * a + 1.0)"),
       }
PLANTED = {  # forward, its derivative, slips in the backward
    "sin": ("sin(x)", "cos(x)"),
    "exp_tanh": ("exp(tanh(x))", "exp(tanh(x)) * (1 - tanh(x) ** 2)"),
    "cube": ("x ** 3", "3 * x ** 2"),
    "softsign": ("x / (1 + abs(x))", "1 / (1 + abs(x)) ** 2"),
}
SLIPS = ["* 1.5", "* 0.5 ", "+ 0.25", "* -1.0", "+ 0.1 * x"]

TORCH_HEADER = '''import torch
from torch import sin, cos, exp, tanh, abs

W = torch.tensor({w}, dtype={wdtype})


class Planted(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return {forward}

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * ({derivative}) {slip}
'''
JAX_HEADER = '''import jax
import jax.numpy as jnp
import numpy as np
from jax.numpy import sin, cos, exp, tanh, abs

W = np.array({w}, dtype=np.{wdtype})


@jax.custom_vjp
def Planted(x):
    return {forward}


def planted_forward(x):
    return Planted(x), x


def planted_backward(x, g):
    return (g * ({derivative}) {slip},)


Planted.defvjp(planted_forward, planted_backward)
'''


class Program:
    """A random program: `source`, the `line` of its Planted call, whether the backward has a
    `slip`, and once written, `f` (the function) and `path`."""

    def __init__(self, source, line, slip):
        self.source, self.line, self.slip, self.f, self.path = source, line, slip, None, None


def random_program(rng, framework, slip, steps=5, cast32=False):
    """A program of `steps` random operations on inputs x0 (3, 4) and x1 (3, 4) (or (4,):
    broadcast), with Planted at a random position (its backward wrong when `slip`). With
    `cast32`, f computes in float32 whatever its inputs (a float32 matrix W in the middle)."""
    column = 0 if framework == "torch" else 1
    name = str(rng.choice(sorted(PLANTED)))
    forward, derivative = PLANTED[name]
    w = np.round(rng.normal(size=(4, 4)), 3).tolist()
    header = (TORCH_HEADER if framework == "torch" else JAX_HEADER).format(
        forward=forward, derivative=derivative, slip=str(rng.choice(SLIPS)) if slip else "",
        w=w, wdtype=("torch.float32" if cast32 else "torch.float64") if framework == "torch"
        else ("float32" if cast32 else "float64"))
    lines = header.splitlines() + ["", "", "def f(x0, x1):"]
    at = int(rng.integers(0, steps))
    values = ["x0", "x1"]
    for step in range(steps + 1):
        a = values[-1]
        b = values[int(rng.integers(0, len(values)))]
        if step == at:
            code, kind = "Planted.apply(a)" if framework == "torch" else "Planted(a)", "planted"
        else:
            table = ANY if step < at else SMOOTH
            if cast32:
                table = {k: v for k, v in table.items() if k != "matmul"}
            code = table[str(rng.choice(sorted(table)))][column]
            kind = "op"
        code = _substitute(code, a, b)
        if cast32 and step == 0:  # PyTorch refuses float64 @ float32; JAX is told to cast
            code = f"({code}) @ W" if framework == "torch" else \
                f"({code}).astype(jnp.float32) @ W"
        name_ = f"v{step}"
        lines.append(f"    {name_} = {code}")
        if kind == "planted":
            planted_line = len(lines)
        values.append(name_)
    lines.append(f"    return {values[-1]}")
    return Program("\n".join(lines) + "\n", planted_line, slip)


def _substitute(code, a, b):
    import re
    return re.sub(r"\bb\b", b, re.sub(r"\ba\b", a, code))


def write_program(program, directory, name):
    """Save `program` as `directory/name.py`, import it, and set `program.f`."""
    path = directory / f"{name}.py"
    path.write_text(program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    program.f, program.path = module.f, path
    return program


def program_inputs(rng, kind, broadcast=False):
    """Inputs x0, x1 as numpy float64: "random" normal values, "kinks" (zeros of both signs,
    ties between x0 and x1, values within 1e-9 of zero, exact tied rows)."""
    shape1 = (4,) if broadcast else (3, 4)
    x0 = rng.normal(size=(3, 4))
    x1 = rng.normal(size=shape1)
    if kind == "kinks":
        x0[0] = [0.0, -0.0, 1e-9, -1e-9]
        x0[1] = 0.7  # a tied row
        x1 = np.broadcast_to(x0, (3, 4))[:shape1[0]].copy() if not broadcast else x0[1].copy()
        if not broadcast:
            x1[2] = rng.normal(size=4)
    return x0, x1
