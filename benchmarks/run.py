"""Run the whole benchmark suite: every workload, every installed engine; write the table and plot.

    python benchmarks/run.py            # the full suite (about 20 minutes); writes
                                        # benchmarks/results.md, results.png, results.json
    python benchmarks/run.py --quick    # a smoke run of a few minutes (small sizes, 3 rounds),
                                        # written to benchmarks/out/ (ignored by git)

A quick or partial run (--quick, or a subset of --workloads) never replaces the committed
results unless --out-dir says so; the report states the rounds and sizes that actually ran.

Each engine runs in its own subprocess (benchmarks/worker.py) pinned to one core, on one thread,
with glibc's malloc thresholds raised; it checks its loss and gradients against the hand-written
reference and then times both interleaved. Peers come from benchmarks/setup_peers.sh; those not
installed are reported as absent.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import report
from engines import ENGINES, WORKLOADS, engine_named

HERE = Path(__file__).resolve().parent
SLOW_ROUNDS = {("w1", "jax-eager"): 1, ("w1", "mygrad"): 3, ("w1", "micrograd"): 5,
               ("w1", "hips-autograd"): 5, ("w1", "pytorch"): 5}
NO_MEMORY_RUN = {("w1", "jax-eager"): "one step takes about 45 s"}
MALLOC_RAISED = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
# Memory runs map every buffer above 64 KiB on its own, so the resident set follows live memory.
MALLOC_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(1 << 16)}


def environment(malloc):
    """The children's environment: one thread everywhere, the given malloc settings, and
    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset together (they slow a current numpy; the kernel
    actually used is recorded through threadpoolctl)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
               JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", *MALLOC_RAISED):
        env.pop(name, None)
    env.update(malloc)
    return env


def installed(name):
    """Whether the engine's interpreter exists and imports the engine."""
    python, module = engine_named(name).python, engine_named(name).module
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True,
                           cwd="/")  # cwd: not the repo, whose `autograd` is not HIPS autograd
    return probe.returncode == 0


def run_worker(spec, env, timeout):
    """Run one worker; its parsed result, or an error status for every case."""
    command = [str(engine_named(spec["engine"]).python), str(HERE / "worker.py"), json.dumps(spec)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                              cwd="/")
        line = next((row for row in done.stdout.splitlines() if row.startswith("RESULT ")), None)
        if line is not None:
            return json.loads(line[len("RESULT "):])
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
    except subprocess.TimeoutExpired:
        error = f"timed out after {timeout} s"
    return {"results": [{"status": f"error: {error[:200]}", "case": c} for c in spec["cases"]]}


def moons():
    """micrograd's demo data: scikit-learn's two moons, 100 points, labels -1/+1."""
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.tolist(), (2.0 * y - 1.0).tolist()


def memory_cases_of(workload, cases):
    """Where peak memory is measured: W1, W2 up to 10^5 steps, W3's largest network, W4."""
    if workload == "w2":
        return [c for c in cases if c["steps"] <= 10**5]
    return {"w1": cases, "w3": cases[-1:], "w4": cases}.get(workload, [])


def plan(args):
    """The jobs: (kind, workload, engine, spec, environment)."""
    sys.path.insert(0, str(HERE))
    import importlib
    data = moons()
    timed, memory = environment(MALLOC_RAISED), environment(MALLOC_MEMORY)
    defaults = environment({})
    jobs = []

    def spec(workload, engine, cases, mode="time", gc_off=False):
        rounds = SLOW_ROUNDS.get((workload, engine), WORKLOADS[workload].rounds)
        rounds = min(3, rounds) if args.quick else rounds
        return {"workload": workload, "engine": engine, "cases": cases, "mode": mode,
                "rounds": rounds, "core": args.core, "repo": str(HERE.parent),
                "data": data if workload == "w1" else None, "gc_off": gc_off}
    for workload in args.workloads:
        module = importlib.import_module(WORKLOADS[workload].module)
        cases = module.cases(workload, args.quick)
        if args.quick:
            cases = [dict(c, rounds=None) for c in cases]
        for engine in module.ENGINES:
            if args.engines and engine not in args.engines:
                continue
            jobs.append(("time", workload, engine, spec(workload, engine, cases), timed))
        if workload == "w2":
            for engine in ("gategrad", "micrograd"):
                jobs.append(("time gc off", workload, engine,
                             spec(workload, engine, cases, gc_off=True), timed))
        memory_cases = memory_cases_of(workload, cases)
        if memory_cases:
            for engine in ("reference",) + module.ENGINES:
                if args.engines and engine != "reference" and engine not in args.engines:
                    continue
                if (workload, engine) in NO_MEMORY_RUN:
                    continue
                picked = memory_cases
                if workload == "w2":  # the largest size each engine runs, up to 10^5 steps
                    limit = module.MAX_MEMORY_STEPS.get(engine, module.MAX_STEPS.get(engine, 0))
                    fits = [c for c in memory_cases if c["steps"] <= limit]
                    picked = fits[-1:]
                jobs.append(("memory", workload, engine, spec(workload, engine, picked, "memory"),
                             memory))
        if workload in ("w2", "w3", "w4") and not args.engines:
            small = [c for c in cases if c.get("steps", 0) <= 10**5]
            jobs.append(("time malloc defaults", workload, "gategrad",
                         spec(workload, "gategrad", small), defaults))
    return jobs


def output_directory(args):
    """benchmarks/ for the full suite (the committed results); benchmarks/out/ for anything
    less, so that a smoke or partial run never replaces them unless --out-dir asks."""
    full = not args.quick and set(args.workloads) == set(WORKLOADS)
    return HERE if full else HERE / "out"


def rounds_run(jobs):
    """What the timed jobs that ran (absent engines left out) actually ran: each workload's
    rounds (gategrad's), the engines that ran fewer, the cases with rounds of their own, and
    each workload's case labels."""
    timed = [(w, e, spec) for kind, w, e, spec, _ in jobs if kind == "time"]
    rounds = {w: spec["rounds"] for w, e, spec in timed if e == "gategrad"}
    return {"rounds": rounds,
            "slow_rounds": {f"{w} {e}": spec["rounds"] for w, e, spec in timed
                            if spec["rounds"] != rounds.get(w)},
            "case_rounds": {f"{w} {c['label']}": c["rounds"] for w, e, spec in timed
                            if e == "gategrad" for c in spec["cases"] if c.get("rounds")},
            "sizes": {w: [c["label"] for c in spec["cases"]] for w, e, spec in timed
                      if e == "gategrad"}}


def summary(case_results):
    """One line per job for the console: each case's status, ratio or memory."""
    parts = []
    for r in case_results:
        text = r["status"]
        if r["status"] == "ok" and "times" in r:
            text = ", ".join(f"{k} {v['ratio']:.2f}x" for k, v in r["times"].items())
        elif r["status"] == "ok":
            text = f"{r['memory']['rss_bytes'] / 1e6:.1f} MB RSS"
        parts.append(f"{r['case']['label']}: {text}")
    return "; ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--workloads", default="w1,w2,w3,w4,w5,w6",
                        help="comma-separated subset of w1..w6 (default: all)")
    parser.add_argument("--engines", default="",
                        help="comma-separated subset of the engines (default: all)")
    parser.add_argument("--core", type=int, default=max(os.sched_getaffinity(0)),
                        help="the core every measured process is pinned to")
    parser.add_argument("--out-dir", help="where results.* are written (default: benchmarks/ "
                        "for the full suite, benchmarks/out/ for a quick or partial run)")
    args = parser.parse_args()
    args.workloads = args.workloads.split(",")
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    out_dir = Path(args.out_dir) if args.out_dir else output_directory(args)
    args.engines = [e for e in args.engines.split(",") if e]
    start = time.time()
    available = {name: installed(name) for name in ("reference", *ENGINES)}
    results, ran = [], []
    for job in plan(args):
        kind, workload, engine, spec, env = job
        if engine != "reference" and not available[engine]:
            results.append({"kind": kind, "workload": workload, "engine": engine, "absent": True})
            continue
        ran.append(job)
        print(f"[{time.time() - start:6.0f} s] {workload} {engine} ({kind})", flush=True)
        out = run_worker(spec, env, timeout=1800)
        results.append({"kind": kind, "workload": workload, "engine": engine, **out})
        print("          " + summary(out["results"]), flush=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(start)),
            "duration_s": time.time() - start, "quick": args.quick, "core": args.core,
            "machine": report.machine(), "python": platform.python_version(),
            "available": available, "workloads": args.workloads, **rounds_run(ran),
            "malloc_raised": MALLOC_RAISED, "malloc_memory": MALLOC_MEMORY}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    failed = report.write(meta, results, out_dir)
    print((out_dir / "results.md").read_text())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
