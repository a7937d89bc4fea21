"""Measure one engine on one workload in this process (started by run.py, one per engine).

    python benchmarks/worker.py '<json spec>'

The spec names the workload, the engine, the cases, the mode ("time" or "memory"), the rounds and
the core to pin to. For every case the worker first checks that the engine computes the same loss
and gradients as the hand-written reference, then (mode "time") times reference and engine
interleaved, alternating which goes first, with `gc.collect()` before each call, or (mode
"memory") measures the peak memory of one call. It prints one line `RESULT <json>`.
"""

import json
import os
import sys

SPEC = json.loads(sys.argv[1])
os.sched_setaffinity(0, {SPEC["core"]})  # before numpy starts any thread
if SPEC["engine"].startswith("gategrad"):
    sys.path.insert(0, SPEC["repo"])  # the working tree, not an installed copy

import gc  # noqa: E402
import importlib  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from engines import WORKLOADS, engine_named  # noqa: E402

TOLERANCE = {"float32": (2e-4, 1e-6), "float64": (1e-8, 1e-12)}  # rtol, atol


def one_thread():
    """Every library on one thread; returns what threadpoolctl sees (BLAS kernel, threads)."""
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(1)
    if SPEC["engine"] in ("pytorch", "torch-compile"):
        import torch
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    return [{k: pool.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for pool in threadpool_info()]


def check(reference, engine, dtype):
    """Assert equal loss and gradients; returns the largest relative difference."""
    ref_loss, ref_grads = reference.check()
    loss, grads = engine.check()
    rtol, atol = TOLERANCE[dtype]
    assert len(grads) == len(ref_grads), (len(grads), len(ref_grads))
    worst = 0.0
    for name, a, b in [("loss", loss, ref_loss)] + [(f"grad {i}", g, r) for i, (g, r)
                                                    in enumerate(zip(grads, ref_grads))]:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        assert a.shape == b.shape, f"{name}: shape {a.shape} != reference {b.shape}"
        assert np.allclose(a, b, rtol=rtol, atol=atol), \
            f"{name} differs from the reference: max |diff| {np.max(np.abs(a - b)):.3g}"
        worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), atol))))
    return worst


def _call(function, repeat):
    gc.collect()
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat


def _split(impl):
    gc.collect()
    start = time.perf_counter()
    built = impl.build()
    middle = time.perf_counter()
    impl.backward(built)
    end = time.perf_counter()
    del built
    return middle - start, end - middle


def time_interleaved(reference, engine, rounds, repeat, split):
    """Median times and median per-round ratios (engine / reference of the same round)."""
    pairs = {"reference": [], "engine": []}
    measure = _split if split else (lambda impl: (_call(impl.run, repeat),))
    if rounds > 1:  # warm-up (jit compilation, caches); with one round the check call is it
        measure(reference), measure(engine)
    for r in range(rounds):
        order = ("reference", "engine") if r % 2 == 0 else ("engine", "reference")
        for name in order:
            pairs[name].append(measure(reference if name == "reference" else engine))
    phases = ("build", "backward") if split else ("total",)
    out = {}
    for k, phase in enumerate(phases):
        ref = [p[k] for p in pairs["reference"]]
        eng = [p[k] for p in pairs["engine"]]
        out[phase] = {"reference_s": statistics.median(ref), "engine_s": statistics.median(eng),
                      "ratio": statistics.median(e / r for e, r in zip(eng, ref)),
                      "engine_rounds_s": eng, "reference_rounds_s": ref}
    return out


def _vm(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field))


def peak_memory(impl):
    """Peak memory of one call after a warm-up: the rise of the resident set's high-water mark
    (reset through /proc/self/clear_refs) and tracemalloc's peak (Python objects and numpy
    buffers; it does not see memory that PyTorch or XLA allocate themselves)."""
    impl.run()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    base = _vm("VmRSS:")
    impl.run()
    rss = _vm("VmHWM:") - base
    gc.collect()
    tracemalloc.start()
    impl.run()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"rss_bytes": rss, "tracemalloc_bytes": traced}


def measure_case(module, case):
    """Check, then time or measure memory, for one case; errors become a status."""
    engine_name, data = SPEC["engine"], SPEC.get("data")
    try:  # engine "reference" (memory mode only) measures the hand-written code itself
        impl = module.make(engine_name, case, data)
    except NotImplementedError as reason:
        return {"status": f"not run: {reason}"}
    if SPEC["mode"] == "memory":
        return {"status": "ok", "memory": peak_memory(impl), "note": getattr(impl, "note", None)}
    reference = module.make("reference", case, data)
    worst = check(reference, impl, case.get("dtype", "float64"))
    if SPEC.get("gc_off"):
        gc.disable()
    times = time_interleaved(reference, impl, case.get("rounds") or SPEC["rounds"],
                             case.get("repeat", 1),
                             SPEC["workload"] == "w5")
    gc.enable()
    return {"status": "ok", "check_max_rel_diff": worst, "times": times,
            "note": getattr(impl, "note", None)}


def main():
    threads = one_thread()
    module = importlib.import_module(WORKLOADS[SPEC["workload"]].module)
    results = []
    for case in SPEC["cases"]:
        try:
            result = measure_case(module, case)
        except AssertionError as error:
            result = {"status": "CHECK FAILED", "error": str(error)}
        except (RecursionError, MemoryError, RuntimeError, ValueError, TypeError) as error:
            result = {"status": f"error: {type(error).__name__}: {str(error)[:200]}"}
        results.append(dict(result, case=case))
    versions = {"python": sys.version.split()[0], "numpy": np.__version__}
    for dist in engine_named(SPEC["engine"]).distributions:
        versions[dist] = metadata.version(dist)
    print("RESULT " + json.dumps({"results": results, "threads": threads, "versions": versions}))


if __name__ == "__main__":
    main()
