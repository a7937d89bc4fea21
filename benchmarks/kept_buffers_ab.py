"""What keeping a compiled step's buffers between calls is worth: W3's compiled step with its
kept buffers and the same step generated without them, timed in turns against the
hand-written reference in one process.

    python benchmarks/kept_buffers_ab.py CASE ROUNDS     (CASE 0, 1 or 2: W3's three networks)

Run it pinned and single-threaded as the suite's workers are (taskset -c 1,
OPENBLAS_NUM_THREADS=1), with glibc's default malloc or with the suite's raised thresholds
(MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ set to 1073741824)."""

import sys
import time

import w3_tensor_mlp as w3
from autograd.compile import buffers


def compiled_without_kept_buffers(case):
    """W3's compiled implementation, generated with the kept-buffer pass switched off."""
    keep = buffers.keep_buffers
    buffers.keep_buffers = lambda *args: None
    try:
        return w3.GategradCompiled(case)
    finally:
        buffers.keep_buffers = keep


def main():
    case = w3.cases("w3", False)[int(sys.argv[1])]
    rounds = int(sys.argv[2])
    reference = w3.Reference(case)
    steps = {"kept": w3.GategradCompiled(case), "not kept": compiled_without_kept_buffers(case)}
    repeat = max(1, case["repeat"] // 10)
    ratios = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(repeat):
                reference.run()
            middle = time.perf_counter()
            for _ in range(repeat):
                step.run()
            ratios[name].append((time.perf_counter() - middle) / (middle - start))
    for name, values in ratios.items():
        values.sort()
        print(f"{case['label']}, buffers {name}: median {values[len(values) // 2]:.3f}x the "
              f"reference (quartiles {values[len(values) // 4]:.3f}-"
              f"{values[3 * len(values) // 4]:.3f})")


if __name__ == "__main__":
    main()
