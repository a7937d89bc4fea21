"""check_gradients against torch.autograd.gradcheck and jax.test_util.check_grads on the same
random programs (tests/random_programs.py): the false-alarm rate on right programs (random
points, points at kinks and ties, float32 inputs), the detection rate on programs with a
planted wrong backward, and the time per check (median and quartiles; the two checks take
turns going first on each program, since the first check of a new program pays for JAX's
compilation of it).

    python benchmarks/gradient_checks.py --torch 2000 --jax 600 --planted 200

Needs torch==2.13.0 and jax (make test-frameworks installs them). Writes the programs into a
temporary directory and prints a Markdown table (and --json PATH the raw figures)."""

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from random_programs import program_inputs, random_program, write_program

from autograd.testing import GradcheckError, check_gradients
from autograd.testing.given import to_input


def _peer(framework):
    """The framework's own check, as f(program f, numpy inputs) -> True (passed) / False."""
    if framework == "torch":
        import torch

        def torch_check(f, arrays):
            xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
            try:
                return torch.autograd.gradcheck(f, xs)
            except Exception:  # noqa: BLE001 - GradcheckError, or a float32-only program
                return False
        return torch_check
    import jax
    from jax.test_util import check_grads

    def jax_check(f, arrays):
        with jax.enable_x64(True):
            xs = [jax.numpy.asarray(a, dtype="float64") for a in arrays]
            try:
                check_grads(f, xs, order=1, modes=["rev"])
                return True
            except Exception:  # noqa: BLE001 - AssertionError
                return False
    return jax_check


def _timed(check):
    start = time.perf_counter()
    passed = check()
    return passed, time.perf_counter() - start


def _ours(f, arrays, framework, dtype, notes=None):
    try:
        check_gradients(f, *[to_input(a, framework, dtype) for a in arrays])
        return True
    except GradcheckError as error:
        if notes is not None:
            notes.append(str(error))
        return False


def run(framework, count, planted, directory, seed):
    rng = np.random.default_rng(seed)
    peer = _peer(framework)
    figures = {"ours": {"alarms": 0, "times": [], "caught": 0, "notes": []},
               "peer": {"alarms": 0, "times": [], "caught": 0}, "invisible": 0}
    kinds = {"random": 0, "kinks": 0, "float32": 0}
    for i in range(count):
        kind = ["random", "kinks", "float32"][i % 3]
        kinds[kind] += 1
        program = write_program(random_program(rng, framework, slip=False,
                                               steps=int(rng.integers(2, 7))),
                                directory, f"right_{framework}_{i}")
        arrays = program_inputs(rng, "kinks" if kind == "kinks" else "random",
                                broadcast=i % 4 == 0)
        dtype = "float32" if kind == "float32" else "float64"
        notes = []
        checks = {"ours": lambda: _ours(program.f, arrays, framework, dtype, notes),
                  "peer": lambda: peer(program.f, arrays)}
        # each goes first half of the time: the first check of a new program pays for
        # compiling it (JAX) and for warming caches
        for who in (("ours", "peer") if i % 2 == 0 else ("peer", "ours")):
            passed, seconds = _timed(checks[who])
            figures[who]["alarms"] += not passed
            figures[who]["times"].append(seconds)
        if notes:
            figures["ours"]["notes"].append({"kind": kind, "source": program.source,
                                             "inputs": [a.tolist() for a in arrays],
                                             "error": notes[0]})
    for i in range(planted):
        program = write_program(random_program(rng, framework, slip=True,
                                               steps=int(rng.integers(2, 7))),
                                directory, f"wrong_{framework}_{i}")
        arrays = program_inputs(rng, "random", broadcast=i % 4 == 0)
        if not _slip_shows(program, arrays, framework, directory, f"fixed_{framework}_{i}"):
            figures["invisible"] += 1  # the gradient is right here, within tolerance
            continue
        try:
            check_gradients(program.f, *[to_input(a, framework, "float64") for a in arrays])
        except GradcheckError as error:
            culprit = error.culprit
            exact = bool(culprit and culprit.op == "Planted"
                         and culprit.site[0].lineno == program.line)
            figures["ours"]["caught"] += exact
            if not exact:
                figures["ours"]["notes"].append({"kind": "planted", "source": program.source,
                                                 "error": str(error)})
        else:
            figures["ours"]["notes"].append({"kind": "planted, missed",
                                             "inputs": [a.tolist() for a in arrays],
                                             "source": program.source})
        figures["peer"]["caught"] += not peer(program.f, arrays)
    return {"count": count, "kinds": kinds, "planted": planted, **figures}


def _slip_shows(program, arrays, framework, directory, name):
    """Whether the planted slip changes the gradient at `arrays` by more than a check's
    tolerance (it does not where it multiplies a derivative that is 0 or nearly there, such
    as a saturated tanh's, or adds a constant to a gradient of a million)."""
    import re
    fixed = write_program(type(program)(re.sub(r"\) (\* 1\.5|\* 0\.5 |\+ 0\.25|\* -1\.0|"
                                               r"\+ 0\.1 \* x)", ")", program.source),
                                        program.line, False), directory, name)
    adapters = []
    for f in (program.f, fixed.f):
        adapters.append(_gradient(f, arrays, framework))
    return not all(np.allclose(a, b, rtol=1e-4, atol=1e-5)
                   for a, b in zip(*adapters))


def _gradient(f, arrays, framework):
    import importlib
    adapter = importlib.import_module(f"autograd.testing.frameworks.{framework}").Adapter(
        f, [to_input(a, framework, "float64") for a in arrays])
    outputs = adapter.value(adapter.datas)
    weights = [np.random.default_rng(0).normal(size=o.shape) for o in outputs]
    return adapter.vjp(adapter.datas, weights)


def _upper(alarms, count):
    """The 95% upper confidence bound of a rate (Wilson's score interval)."""
    z, p = 1.96, alarms / count
    centre = p + z * z / (2 * count)
    spread = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    return (centre + spread) / (1 + z * z / count)


def table(results):
    peers = {"torch": "torch.autograd.gradcheck", "jax": "jax.test_util.check_grads"}
    lines = ["| framework | check | false alarms (right programs) | 95% upper bound | "
             "planted wrong backward caught | time per check: median (p25-p75) |",
             "|---|---|---|---|---|---|"]
    for framework, r in results.items():
        for who, name in (("ours", "check_gradients"), ("peer", peers[framework])):
            f = r[who]
            q = np.percentile(np.array(f["times"]) * 1e3, [50, 25, 75])
            visible = r["planted"] - r["invisible"]
            caught = (f"{f['caught']}/{visible}" + (" (culprit and line exact)"
                                                     if who == "ours" else " (fails)"))
            lines.append(f"| {framework} | {name} | {f['alarms']}/{r['count']} "
                         f"({100 * f['alarms'] / r['count']:.2f}%) | "
                         f"{100 * _upper(f['alarms'], r['count']):.2f}% | {caught} | "
                         f"{q[0]:.1f} ms ({q[1]:.1f}-{q[2]:.1f}) |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch", type=int, default=2000)
    parser.add_argument("--jax", type=int, default=600)
    parser.add_argument("--planted", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for framework, count in (("torch", args.torch), ("jax", args.jax)):
            if count:
                results[framework] = run(framework, count, args.planted, Path(directory),
                                         args.seed)
    print(table(results))
    for framework, r in results.items():
        print(f"{framework}: {r['invisible']} of {r['planted']} planted slips do not change the "
              f"gradient at their input by more than 1e-4 relative (a slip that multiplies a "
              f"saturated derivative) and are not counted")
    if args.json:
        Path(args.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
