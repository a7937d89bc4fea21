#!/usr/bin/env bash
# Install the peer engines the benchmark suite compares against, from the package registries.
#
#   bash benchmarks/setup_peers.sh
#
# micrograd and PyTorch go into the current Python (PyTorch exactly as torch==2.13.0, the CPU
# wheel these machines carry; never a plain `torch`, which pulls the CUDA build). HIPS autograd
# (import name `autograd`, which is ours too), MyGrad and JAX each get their own virtual
# environment outside the repository, with the same numpy version as the current Python, so
# they neither shadow gategrad nor change the numpy that the other work here uses.
set -euo pipefail
PYTHON="${PYTHON:-python}"
ROOT="${GATEGRAD_BENCH_HOME:-$HOME/.cache/gategrad-bench}"
NUMPY="$("$PYTHON" -c 'import numpy; print(numpy.__version__)')"
mkdir -p "$ROOT"

"$PYTHON" -m pip install --quiet micrograd==0.1.0
"$PYTHON" -c 'import torch' 2>/dev/null || "$PYTHON" -m pip install --quiet torch==2.13.0

make_venv() {  # make_venv NAME PACKAGE...
    local dir="$ROOT/venv-$1"; shift
    [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet "numpy==$NUMPY" threadpoolctl "$@"
}
make_venv hips autograd
make_venv mygrad mygrad
make_venv jax jax jaxlib
echo "peers installed under $ROOT"
