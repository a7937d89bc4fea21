"""pytest-benchmark entries for the engine's hot paths, so a regression in per-op overhead shows
in one command:

    python -m pytest benchmarks/test_hot_paths.py --benchmark-columns=min,median,ops

(not part of `make test`: speed lives here, never in timed tests). Each entry also checks its
result, so a fast wrong answer fails.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w2_chain  # noqa: E402
import w3_tensor_mlp  # noqa: E402
from autograd import Scalar, Tensor  # noqa: E402


def test_scalar_op_overhead(benchmark):
    """Recording 3,000 Scalar ops (mul, add, relu): the forward cost per node."""
    def record():
        y = Scalar(0.5)
        for _ in range(1000):
            y = (y * 1.0001 + 0.0001).relu()
        return y
    assert benchmark(record).data == pytest.approx(_forward(1000))


def _forward(n):
    y = 0.5
    for _ in range(n):
        y = max(y * 1.0001 + 0.0001, 0.0)
    return y


def test_scalar_chain_build_and_backward(benchmark):
    """Build and backpropagate a 10^4-step chain: 3 * 10^4 nodes (W2 of the benchmark suite)."""
    engine = w2_chain.make("gategrad", {"steps": 10_000}, None)
    reference = w2_chain.Reference(10_000)
    assert benchmark(engine.run) == pytest.approx(reference.run())


def test_tensor_op_overhead(benchmark):
    """Ten small Tensor ops and their backward pass: the fixed cost per op and per rule."""
    w = Tensor(np.ones(4), requires_grad=True)

    def step():
        y = w
        for _ in range(5):
            y = (y * 1.5).tanh()
        y.sum().backward()
        return w.grad
    assert np.all(np.isfinite(benchmark(step)))


@pytest.mark.parametrize("case", w3_tensor_mlp.cases("w3", quick=False)[:2],
                         ids=lambda case: case["label"])
def test_tensor_mlp_step(benchmark, case):
    """One SGD step of a sigmoid MLP with log-softmax cross-entropy (W3 of the benchmark suite);
    the first step's loss equals the hand-written numpy reference's."""
    engine, reference = w3_tensor_mlp.make("gategrad", case, None), \
        w3_tensor_mlp.make("reference", case, None)
    assert engine.run() == pytest.approx(reference.run(), rel=1e-12)
    benchmark(engine.run)
