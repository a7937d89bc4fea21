"""Three small workloads for instruction counts under callgrind (benchmarks/count_instructions.sh):
the hot paths of W2 (chain: mul, add, relu), W1 (mlp: a 2-16-16-1 Scalar MLP on 10 points) and
W3 at batch 10 (tmlp: a 64-100-10 Tensor MLP step), run `reps` times on the engine tree given.

    python benchmarks/edges_micro.py TREE WORKLOAD REPS
"""
import sys
tree, workload, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, tree)
import numpy as np
from autograd import Scalar, Tensor

def chain():
    x = Scalar(0.5)
    y = x
    for _ in range(3000):
        y = (y * 1.0001 + 0.0001).relu()
    y.backward()

rng = np.random.default_rng(0)
W1 = [[Scalar(v) for v in row] for row in rng.normal(size=(16, 2))]
W2 = [[Scalar(v) for v in row] for row in rng.normal(size=(16, 16))]
W3 = [Scalar(v) for v in rng.normal(size=16)]
X = rng.normal(size=(10, 2)).tolist()
Y = [1.0, -1.0] * 5
def mlp():
    total = Scalar(0.0, requires_grad=False)
    for x, y in zip(X, Y):
        h = [sum((w * xi for w, xi in zip(row, x)), Scalar(0.0, requires_grad=False)).relu() for row in W1]
        h = [sum((w * hi for w, hi in zip(row, h)), Scalar(0.0, requires_grad=False)).relu() for row in W2]
        out = sum((w * hi for w, hi in zip(W3, h)), Scalar(0.0, requires_grad=False))
        total = total + (1.0 + -y * out).relu()
    total.backward()

A = Tensor(rng.normal(size=(64, 100)) * 0.1, requires_grad=True)
b = Tensor(np.zeros(100), requires_grad=True)
B = Tensor(rng.normal(size=(100, 10)) * 0.1, requires_grad=True)
c = Tensor(np.zeros(10), requires_grad=True)
Xt = rng.normal(size=(10, 64))
yt = rng.integers(0, 10, size=10)
def tmlp():
    h = (Tensor(Xt) @ A + b).relu()
    logits = h @ B + c
    loss = -logits.log_softmax(axis=-1)[np.arange(10), yt].mean()
    loss.backward()
    for p in (A, b, B, c):
        p.grad = None

def chainf():
    x = Scalar(0.5)
    y = x
    for _ in range(3000):
        y = (y * 1.0001 + 0.0001).relu()

f = {"chainf": chainf, "chain": chain, "mlp": mlp, "tmlp": tmlp}[workload]
f()
for _ in range(reps):
    f()
