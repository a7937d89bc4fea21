"""The suite's one registry of engines and workloads; run.py, worker.py and report.py read it.

An engine is its interpreter (peers that would shadow our `autograd` or change numpy run in
virtual environments of their own, made by setup_peers.sh), the module whose import says it is
installed, and the distributions whose versions a result records. They are listed in the order
the report shows them. Each workload module says which of them run it (`ENGINES`) and builds
each one's implementation with `make(engine, case, data)`.

Only the standard library is used here: every engine's interpreter imports this file.
"""

import os
import sys
from pathlib import Path
from typing import NamedTuple

VENVS = Path(os.environ.get("GATEGRAD_BENCH_HOME", Path.home() / ".cache" / "gategrad-bench"))


class Engine(NamedTuple):
    python: Path            # the interpreter that runs it
    module: str             # imported to see whether it is installed
    distributions: tuple    # whose versions a result records


_HERE = Path(sys.executable)
ENGINES = {
    "gategrad": Engine(_HERE, "numpy", ("gategrad",)),
    "gategrad-compiled": Engine(_HERE, "numpy", ("gategrad",)),
    "micrograd": Engine(_HERE, "micrograd", ("micrograd",)),
    "pytorch": Engine(_HERE, "torch", ("torch",)),
    "torch-compile": Engine(_HERE, "torch", ("torch",)),
    "mygrad": Engine(VENVS / "venv-mygrad/bin/python", "mygrad", ("mygrad",)),
    "hips-autograd": Engine(VENVS / "venv-hips/bin/python", "autograd", ("autograd",)),
    "jax-eager": Engine(VENVS / "venv-jax/bin/python", "jax", ("jax", "jaxlib")),
    "jax-jit": Engine(VENVS / "venv-jax/bin/python", "jax", ("jax", "jaxlib")),
}
REFERENCE = Engine(_HERE, "numpy", ())
"""The hand-written code every engine is timed against (run like an engine in memory runs)."""

class Workload(NamedTuple):
    module: str             # cases(workload, quick), ENGINES, make(engine, case, data)
    rounds: int             # timed rounds in the full suite
    title: str              # the heading of its section in results.md


WORKLOADS = {
    "w1": Workload("w1_scalar_mlp", 7, "W1: micrograd's demo step (2-16-16-1 ReLU MLP of "
                   "Scalars, 100 two-moons points, SVM loss + 1e-4 L2, SGD); reference: Python "
                   "floats"),
    "w2": Workload("w2_chain", 9, "W2: scalar chain y = relu(y * 1.0001 + 0.0001), build + "
                   "backward; reference: Python floats"),
    "w3": Workload("w3_tensor_mlp", 11, "W3: tensor MLP training step (sigmoid hidden, mean "
                   "cross-entropy of labels with each engine's own loss function, SGD), "
                   "float64; reference: hand-written numpy"),
    "w4": Workload("w4_pipeline", 11, "W4: sum(sigmoid(exp(log(x) * w) + b)) over float64 "
                   "values, forward + backward; reference: hand-written numpy"),
    "w5": Workload("w2_chain", 9, "W5: scalar chain, build and backward timed separately; "
                   "reference: Python floats"),
    "w6": Workload("w3_tensor_mlp", 11, "W6: W3 in float32; reference: hand-written numpy in "
                   "float32"),
}
"""The workloads by name (W5 is W2's chain timed in two phases, W6 is W3 in float32)."""


def engine_named(name):
    """The Engine called `name`, the reference included."""
    return REFERENCE if name == "reference" else ENGINES[name]


def first_call_note(step, seconds):
    """The note a compiled implementation reports: its first call's time and that call's parts
    (autograd.compile's `trace_timings`: trace, generate, first run)."""
    parts = ", ".join(f"{name} {value * 1e3:.0f} ms" for name, value in step.trace_timings.items())
    return f"first call {seconds:.3f} s ({parts})"
