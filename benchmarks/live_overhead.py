"""What the live training view costs: `nn.fit(..., live=True)` against `nn.fit(...)` on the same
data, model and seed, timed inside a real Jupyter kernel (jupyter_client; the view is the
anywidget widget, its messages go out on the kernel's IOPub channel, which this script reads
as a front end would). Runs alternate (plain, live, plain, live, ...) after one warm-up of
each, so that drift on a shared machine hits both alike.

    python benchmarks/live_overhead.py [--runs 7]

Workloads: two moons (1,000 points, a 2-16-16-1 relu MLP, batch 32, 300 epochs: about 2 s) as
micrograd's demo draws them, and the digits of notebook 06 (64-30-10 sigmoid, batch 10, 30
epochs: about 5 s).

Prints, per workload, wall-clock and CPU seconds (the kernel's threads and its finished
children: the `dot` that draws the graph) with their median and range, the overhead of the
medians, of the minima and run by run, and the one-off cost after training (the PNG of the
last state, drawn when the cell has run). On a shared machine the CPU figures are the steadier:
other processes' load stretches wall time, not the kernel's CPU time."""

import argparse
import json
import statistics
import sys
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import json, resource, sys, threading, time
sys.path.insert(0, {root!r})
import numpy as np
import nn

def workload(name):
    if name == "moons":
        X, y = nn.data.make_moons(1000, noise=0.1, seed=0)
        return X, y, [2, 16, 16, 1], nn.binary_cross_entropy_with_logits, 0.05, 32
    (X, y), _ = nn.data.load_digits(seed=0)
    return X, y, [64, 30, 10], nn.cross_entropy, 0.5, 10

def run(name, live, epochs):
    X, y, sizes, loss, lr, batch = workload(name)
    model = nn.MLP(sizes, activation="relu" if name == "moons" else "sigmoid", rng=0)
    optimizer = nn.SGD(model.parameters(), lr=lr, momentum=0.9 if name == "moons" else 0.0)
    start, cpu = time.perf_counter(), cpu_seconds()
    history = nn.fit(model, loss, optimizer, (X, y), epochs=epochs, batch_size=batch,
                     quiet=True, live=live)
    if live:  # the graph's `dot` child, started in a thread, must be counted whole
        for thread in threading.enumerate():
            if thread.name == "LiveView graph":
                thread.join()
    return time.perf_counter() - start, cpu_seconds() - cpu, history["loss"][-1]

def cpu_seconds():
    # CPU time of the kernel (every thread) and of its finished children (dot)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
"""

PICTURE = """
view = nn.LiveView(nn.MLP([2, 16, 16, 1], rng=0), data=nn.data.make_moons(1000, seed=0))
for epoch in range(1, 101):
    view.update(epoch, loss=1 / epoch, accuracy=1 - 1 / epoch)
times = []
for _ in range(5):
    start = time.perf_counter()
    view.to_png()
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def execute(client, code):
    """Run `code` in the kernel; return its stdout (IOPub is read, as a front end reads it)."""
    out = []

    def hook(message):
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            out.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            raise RuntimeError("\n".join(message["content"]["traceback"]))

    reply = client.execute_interactive(code, output_hook=hook, timeout=3600)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the kernel failed: {reply['content']}")
    return "".join(out)


def measure(client, name, live, epochs):
    """(wall seconds, CPU seconds, final loss) of one run in the kernel."""
    return json.loads(execute(client, f"print(json.dumps(run({name!r}, {live}, {epochs})))"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the workloads' epochs (default 1)")
    args = parser.parse_args()
    if args.runs < 1 or not args.scale > 0:
        parser.error("--runs must be at least 1 and --scale above 0")
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        execute(client, SETUP.format(root=str(ROOT)))
        for name, epochs in (("moons", 300), ("digits", 30)):
            epochs = max(1, round(epochs * args.scale))
            measure(client, name, False, 2)  # warm-up: imports, first graph, first widget
            measure(client, name, True, 2)
            times = {(live, kind): [] for live in (False, True) for kind in ("wall", "cpu")}
            losses = set()
            for _ in range(args.runs):
                for live in (False, True):
                    wall, cpu, loss = measure(client, name, live, epochs)
                    times[live, "wall"].append(wall)
                    times[live, "cpu"].append(cpu)
                    losses.add(loss)
            print(f"{name}: {epochs} epochs, {args.runs} runs each; same final loss in "
                  f"every run: {len(losses) == 1}")
            for kind in ("wall", "cpu"):
                for live, label in ((False, "plain"), (True, "live ")):
                    values = times[live, kind]
                    print(f"  {kind:4} {label} median {statistics.median(values):.3f} s "
                          f"(min {min(values):.3f}, max {max(values):.3f})")
                plain, live = times[False, kind], times[True, kind]
                pairs = sorted(b / a for a, b in zip(plain, live))
                print(f"  {kind:4} overhead: of the medians "
                      f"{100 * (statistics.median(live) / statistics.median(plain) - 1):+.1f}%, "
                      f"of the minima {100 * (min(live) / min(plain) - 1):+.1f}%, run by run "
                      f"{100 * (pairs[0] - 1):+.1f}% .. {100 * (pairs[-1] - 1):+.1f}% "
                      f"(median {100 * (statistics.median(pairs) - 1):+.1f}%)")
        picture = json.loads(execute(client, PICTURE))
        print(f"after training, once per cell: the PNG of the last state takes "
              f"{statistics.median(picture):.3f} s (min {min(picture):.3f}, "
              f"max {max(picture):.3f})")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
