"""W2 and W5: the scalar chain y = relu(y * 1.0001 + 0.0001), three recorded nodes per step.

W2 times build + backward together for 10^3..10^6 steps; W5 times the build and the backward
separately for graphs of 10^2..10^6 nodes, so that how each grows can be fitted on a log-log plot.
"""

import sys

import scalar_engines

ENGINES = tuple(scalar_engines.ADAPTERS)  # every engine with a scalar adapter
NOT_RUN = {"jax-jit": "jit would compile the unrolled chain; the scalar workloads time eager "
                      "engines"}
# Largest size each engine runs in the full suite (per-node cost x rounds within the budget).
MAX_STEPS = {"reference": 10**6, "gategrad": 10**6, "micrograd": 10**5, "pytorch": 10**5,
             "hips-autograd": 10**5, "mygrad": 10**5, "jax-eager": 10**3}
# Largest size for the memory run where it is smaller: under tracemalloc micrograd's recursive
# sort grows quadratically (measured: 10^4 steps 7 s, 3x10^4 steps 106 s; 1,100 B/node at both).
# MyGrad and HIPS autograd are measured at the same size, to keep the memory runs short (bytes
# per node do not depend on the length of a chain).
MAX_MEMORY_STEPS = {"micrograd": 10**4, "mygrad": 10**4, "hips-autograd": 10**4}
# JAX eager's build grows faster than linearly here (measured: 10^3 steps 3 s, 3x10^3 steps 12 s).


def cases(workload, quick):
    """W2: steps; W5: graph sizes in nodes (steps = nodes // 3)."""
    if workload == "w2":
        top = 4 if quick else 6
        return [{"label": f"10^{k} steps", "steps": 10**k, "rounds": 5 if k == 6 else None}
                for k in range(3, top + 1)]
    top = 4 if quick else 6
    return [{"label": f"10^{k} nodes", "nodes": 10**k, "steps": 10**k // 3,
             "rounds": 5 if k == 6 else None} for k in range(2, top + 1)]


def chain(y, steps, relu):
    """The chain written once for every engine."""
    for _ in range(steps):
        y = relu(y * 1.0001 + 0.0001)
    return y


class Reference:
    """Python floats: the forward stores what the backward needs, as a graph would."""

    def __init__(self, steps):
        self.steps = steps

    def build(self):
        y, values = 0.5, []
        for _ in range(self.steps):
            z = y * 1.0001 + 0.0001
            y = z if z > 0 else 0.0
            values.append(y)
        return values

    def backward(self, values):
        g = 1.0
        for v in reversed(values):
            g = g * 1.0001 if v > 0 else 0.0
        return g

    def check(self):
        values = self.build()
        return values[-1], [self.backward(values)]

    def run(self):
        return self.backward(self.build())


class EngineChain(Reference):
    """One engine through its scalar adapter; a fresh leaf x = 0.5 per build."""

    def __init__(self, engine, steps):
        self.steps, self.note = steps, None
        self.engine = scalar_engines.adapter(engine)
        if engine == "micrograd":
            self.note = micrograd_recursion_note(self.engine)

    def _f(self, params):
        return chain(params[0], self.steps, self.engine.relu)

    def build(self):
        params = self.engine.leaves([0.5])
        return self.engine.build(self._f, params), params

    def backward(self, built):
        out, params = built
        return self.engine.backward(out, params)[0]

    def check(self):
        built = self.build()
        return self.engine.value(built[0]), [float(self.backward(built))]


def micrograd_recursion_note(engine):
    """Whether micrograd's recursive sort survives 10^3 steps with Python's default limit;
    the limit is raised afterwards so that it can be timed at all."""
    x = engine.leaves([0.5])
    try:
        engine.backward(chain(x[0], 1000, engine.relu), x)
        note = None
    except RecursionError:
        note = (f"RecursionError at 10^3 steps with the default recursion limit "
                f"({sys.getrecursionlimit()}); timed with the limit raised to 10^8")
    sys.setrecursionlimit(10**8)
    return note


def make(engine, case, data):
    """The implementation of `engine` for `case` (the chain needs no data)."""
    if case["steps"] > MAX_STEPS.get(engine, 0):
        raise NotImplementedError(f"not run above {MAX_STEPS.get(engine, 0):,} steps "
                                  f"(time budget of the suite)")
    return Reference(case["steps"]) if engine == "reference" else EngineChain(engine, case["steps"])
