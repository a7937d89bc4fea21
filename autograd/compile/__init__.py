"""Compiled steps: trace a step once, write it out as readable Python, replay it.

`autograd.compile(f)` returns a step that runs f's forward and backward pass as generated
code (`step.source`); `autograd.backward_code(root)` shows that code for any recorded graph.
"""

from .program import CompileCheckError, Compiled, backward_code, compile, training_step
from .trace import CompileError

__all__ = ["compile", "backward_code", "training_step", "Compiled", "CompileError",
           "CompileCheckError"]
