"""Run the benchmarks: gategrad against hand-written references (and micrograd when installed).

    python benchmarks/run.py            # the full run; writes benchmarks/results.md
    python benchmarks/run.py --quick    # a short smoke run (fewer rounds, smaller sizes)
    python benchmarks/run.py --malloc-defaults --out benchmarks/results-malloc-defaults.md

Every figure is a median over rounds in which the implementations are timed interleaved; every
ratio is against the reference measured in the same round. The process pins itself to one core,
limits every library to one thread, raises glibc's malloc thresholds (so big temporaries are not
returned to the OS and faulted in again between calls) and checks that all implementations
compute the same loss and gradients before anything is timed.
"""

import os
import sys

_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
if os.environ.get("GATEGRAD_BENCH_CHILD") != "1":  # re-run with the environment in place
    os.environ.update(_THREADS, GATEGRAD_BENCH_CHILD="1")
    if "--malloc-defaults" in sys.argv:
        for name in _MALLOC:
            os.environ.pop(name, None)
    else:
        os.environ.update(_MALLOC)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chain  # noqa: E402
import pipeline  # noqa: E402
import scalar_mlp  # noqa: E402
import tensor_mlp  # noqa: E402


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def _torch_one_thread():
    import torch
    torch.set_num_threads(1)


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleaved(candidates, rounds):
    """{name: median seconds} and {name: median ratio to "reference"} over interleaved rounds."""
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, function in candidates.items():
            gc.collect()
            times[name].append(_timed(function))
    ratios = {name: statistics.median(t / r for t, r in zip(times[name], times["reference"]))
              for name in candidates}
    return {name: statistics.median(v) for name, v in times.items()}, ratios


def bench_scalar_mlp(rounds, micrograd):
    X, y, model = scalar_mlp.setup()
    layers = scalar_mlp.weights_of(model)
    # the same first step, checked: loss and updated weights agree
    ref_layers = [([row[:] for row in W], b[:]) for W, b in layers]
    ref_loss = scalar_mlp.reference_step(X, y, ref_layers)
    engine_loss = scalar_mlp.engine_step(X, y, model)
    assert abs(ref_loss - engine_loss) < 1e-9, (ref_loss, engine_loss)
    for (W, b), (W2, b2) in zip(ref_layers, scalar_mlp.weights_of(model)):
        assert np.allclose(W, W2, atol=1e-12) and np.allclose(b, b2, atol=1e-12)
    candidates = {"reference": lambda: scalar_mlp.reference_step(X, y, ref_layers),
                  "gategrad": lambda: scalar_mlp.engine_step(X, y, model)}
    if micrograd:
        micro = scalar_mlp.micrograd_model(scalar_mlp.weights_of(model))
        assert abs(scalar_mlp.micrograd_step(X, y, micro) -
                   scalar_mlp.reference_step(X, y, [([r[:] for r in W], b[:]) for W, b in
                                                   scalar_mlp.weights_of(model)])) < 1e-9
        candidates["micrograd"] = lambda: scalar_mlp.micrograd_step(X, y, micro)
    return interleaved(candidates, rounds)


def _without_gc(function):
    def run():
        gc.disable()
        try:
            function()
        finally:
            gc.enable()
    return run


def bench_chain(n, rounds, micrograd, torch):
    assert abs(chain.engine(1000) - chain.reference(1000)) < 1e-12
    candidates = {"reference": lambda: chain.reference(n), "gategrad": lambda: chain.engine(n),
                  "gategrad, gc off": _without_gc(lambda: chain.engine(n))}
    if torch and n <= 10**5:  # PyTorch takes about a minute per round at 10^6
        assert abs(chain.pytorch(1000) - chain.reference(1000)) < 1e-12
        candidates["pytorch"] = lambda: chain.pytorch(n)
    result = interleaved(candidates, rounds)
    micro_status = "absent"
    if micrograd:
        try:
            chain.micrograd(n)
            micro_status = "ran"
        except RecursionError:
            micro_status = "RecursionError"
    return result, micro_status


def bytes_per_node(n):
    """Peak traced memory of building and backpropagating the chain, per recorded node."""
    gc.collect()
    tracemalloc.start()
    chain.engine(n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / (3 * n)


def bench_tensor_mlp(sizes, rounds, repeat, torch):
    X, y, weights = tensor_mlp.setup(*sizes)
    engine_step, engine_params = tensor_mlp.engine(X, y, weights)
    reference_step, reference_params = tensor_mlp.reference(X, y, weights)
    steps = {"reference": reference_step, "gategrad": engine_step}
    if torch:
        torch_step, torch_params = tensor_mlp.pytorch(X, y, weights)
        steps["pytorch"] = torch_step
    for _ in range(2):
        losses = {name: step() for name, step in steps.items()}
        assert all(abs(v - losses["reference"]) < 1e-10 for v in losses.values()), losses
    for p, q in zip(engine_params, reference_params):
        assert np.allclose(p.data, q, atol=1e-10)
    if torch:
        for p, q in zip(torch_params, reference_params):
            assert np.allclose(p.detach().numpy(), q, atol=1e-10)

    def many(step):
        return lambda: [step() for _ in range(repeat)]
    times, ratios = interleaved({name: many(step) for name, step in steps.items()}, rounds)
    return {k: v / repeat for k, v in times.items()}, ratios


def peak_memory(function):
    """Peak traced memory (Python objects and numpy buffers) of one call, in bytes."""
    gc.collect()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def bench_pipeline(rounds, torch, n):
    x, w, b = pipeline.setup(n)
    expected = pipeline.reference(x, w, b)
    candidates = {"reference": lambda: pipeline.reference(x, w, b),
                  "gategrad": lambda: pipeline.engine(x, w, b)}
    if torch:
        candidates["pytorch"] = lambda: pipeline.pytorch(x, w, b)
    for name, function in candidates.items():
        assert np.allclose(function(), expected, rtol=1e-9), name
    times, ratios = interleaved(candidates, rounds)
    memory = {name: peak_memory(candidates[name]) for name in ("reference", "gategrad")}
    return times, ratios, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--malloc-defaults", action="store_true",
                        help="keep glibc's default malloc thresholds (for comparison)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results.md"))
    args = parser.parse_args()
    try:
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    rounds = 3 if args.quick else 11
    micrograd, torch = _has("micrograd"), _has("torch")
    if torch:
        _torch_one_thread()
    lines = [f"# Benchmark results ({'quick' if args.quick else 'full'} run)", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
             f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
             f"numpy {np.__version__}, pinned to one core, one thread, glibc malloc thresholds "
             f"{'at their defaults' if args.malloc_defaults else 'raised to 1 GiB'}, {rounds} "
             f"interleaved rounds, medians; ratios against the hand-written reference of the "
             f"same round.", ""]

    times, ratios = bench_scalar_mlp(rounds, micrograd)
    lines += ["## (a) Scalar MLP step: 2-16-16-1 ReLU, 100 moons points, SVM loss + L2", "",
              "| implementation | ms per step | ratio to plain floats |", "| --- | --- | --- |"]
    lines += [f"| {name} | {times[name] * 1e3:.2f} | {ratios[name]:.1f}x |" for name in times]
    if not micrograd:
        lines.append("| micrograd | absent (not installed) | |")
    lines += ["", "## (b) Scalar chain y = relu(y * 1.0001 + 0.0001): build + backward", "",
              "| steps | plain floats ms | gategrad ms | ratio | ratio with Python's cyclic "
              "GC off | bytes per recorded node | PyTorch eager ratio | micrograd |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    sizes, engine_times = [], []
    for n in ([10**3, 10**4] if args.quick else [10**3, 10**4, 10**5, 10**6]):
        (times, ratios), micro = bench_chain(n, rounds if n < 10**6 else max(3, rounds // 2),
                                             micrograd, torch)
        torch_ratio = (f"{ratios['pytorch']:.1f}x" if "pytorch" in ratios else
                       "not run at 10^6" if torch else "absent (not installed)")
        memory = bytes_per_node(min(n, 10**5))
        sizes.append(n)
        engine_times.append(times["gategrad"])
        lines.append(f"| {n:,} | {times['reference'] * 1e3:.2f} | {times['gategrad'] * 1e3:.1f} "
                     f"| {ratios['gategrad']:.1f}x | {ratios['gategrad, gc off']:.1f}x | "
                     f"{memory:.0f} | {torch_ratio} | {micro} |")
    exponent = np.polyfit(np.log(sizes), np.log(engine_times), 1)[0]
    lines += ["", f"Log-log slope of gategrad's time against the number of steps: "
              f"{exponent:.3f} (1 is linear)."]
    lines += ["", "## (c) Tensor MLP training step: sigmoid hidden layer, softmax "
              "cross-entropy, SGD", "", "| network / batch | numpy us per step | gategrad us "
              "per step | ratio | PyTorch eager us per step | PyTorch ratio |",
              "| --- | --- | --- | --- | --- | --- |"]
    for sizes, repeat in [((64, 100, 10, 10), 200), ((784, 100, 10, 128), 20)]:
        times, ratios = bench_tensor_mlp(sizes, rounds, repeat if not args.quick else 5, torch)
        peer = (f"{times['pytorch'] * 1e6:.0f} | {ratios['pytorch']:.2f}x" if torch else
                "absent (not installed) |")
        lines.append(f"| {'-'.join(map(str, sizes[:3]))} / {sizes[3]} | "
                     f"{times['reference'] * 1e6:.0f} | {times['gategrad'] * 1e6:.0f} | "
                     f"{ratios['gategrad']:.2f}x | {peer} |")
    n = 10**5 if args.quick else 10**6
    times, ratios, memory = bench_pipeline(rounds, torch, n)
    peer = f"{ratios['pytorch']:.2f}x" if torch else "absent (not installed)"
    lines += ["", f"## (d) Elementwise pipeline sum(sigmoid(exp(log(x) * w) + b)), {n:,} float64 "
              f"values, forward + backward", "",
              "| numpy ms | gategrad ms | time ratio | numpy peak MB | gategrad peak MB | "
              "memory ratio | PyTorch eager ratio |", "| --- | --- | --- | --- | --- | --- | --- |",
              f"| {times['reference'] * 1e3:.1f} | {times['gategrad'] * 1e3:.1f} | "
              f"{ratios['gategrad']:.2f}x | {memory['reference'] / 1e6:.1f} | "
              f"{memory['gategrad'] / 1e6:.1f} | {memory['gategrad'] / memory['reference']:.2f}x "
              f"| {peer} |"]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
