"""Data sets that need no download: two moons, Challenger O-rings, the 8x8 digits, and a reader
for MNIST IDX files; plus a seedable, shuffling mini-batch iterator."""

import csv
import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..files import FileFormatError

_HERE = Path(__file__).parent


def make_moons(n_samples=100, noise=0.1, seed=None):
    """Two interleaving half circles in 2-d, as scikit-learn draws them: X of shape
    (n_samples, 2) and labels y of 0 (upper moon) and 1 (lower moon)."""
    if int(n_samples) < 2:
        raise ValueError(f"make_moons: need at least 2 samples, got {n_samples}")
    rng = np.random.default_rng(seed)
    n_upper = int(n_samples) // 2
    n_lower = int(n_samples) - n_upper
    t_upper = np.linspace(0, np.pi, n_upper)
    t_lower = np.linspace(0, np.pi, n_lower)
    X = np.concatenate([np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1),
                        np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)])
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    X += rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def load_challenger():
    """The 23 shuttle launches before Challenger: launch temperature in °F and whether any
    O-ring showed thermal distress (1) or not (0), ordered by temperature."""
    with open(_HERE / "challenger.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    temperature = np.array([float(r["temperature_f"]) for r in rows])
    distress = np.array([int(r["distress"]) for r in rows])
    return temperature, distress


def split(X, y, test_fraction=0.25, seed=0):
    """Shuffle and split into ((X_train, y_train), (X_test, y_test))."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"split: test_fraction must lie between 0 and 1, got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = max(1, int(round(len(y) * test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return (X[train], y[train]), (X[test], y[test])


def load_digits(test_fraction=0.25, seed=0):
    """The 1,797 8x8 handwritten digits bundled with scikit-learn (no download), pixels scaled
    to [0, 1]: ((X_train, y_train), (X_test, y_test)), X of shape (n, 64)."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as error:
        raise ImportError("load_digits needs scikit-learn: pip install 'gategrad[datasets]'") \
            from error
    digits = sklearn_digits()
    return split(digits.data / 16.0, digits.target.astype(np.int64), test_fraction, seed)


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"
# Deflate expands at most 1032:1 (a 258-byte match in about two bits), so a gzip file of n bytes
# can hold at most 1032 n bytes: a header declaring more is rejected before inflating anything.
_MAX_DEFLATE_RATIO = 1032
_CHUNK = 1 << 20


def load_idx(path):
    """Read an IDX file (MNIST's format), gzip-compressed or raw, into a numpy array.

    The magic number and the dimensions are checked, and the data size they declare is checked
    against the file before the result is allocated: against a raw file's size, and for gzip
    against the most its compressed size can hold, then against the inflated stream, counted
    chunk by chunk without keeping it. Raises FileNotFoundError for a missing file and
    `nn.FileFormatError` (a ValueError) naming the file for anything wrong with it."""
    path = Path(path)
    with open(path, "rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        try:
            with (gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw) as file:
                return _read_idx(path, file, size, compressed)
        except (OSError, EOFError, zlib.error) as error:  # a corrupt gzip stream
            raise FileFormatError(f"load_idx {path}: cannot read the "
                                  f"{'gzip stream' if compressed else 'file'}: {error}") from error


def _read_idx(path, file, file_size, compressed):
    """The array of an opened IDX stream (raw or inflated), every size checked first."""
    magic = file.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
        raise FileFormatError(f"load_idx {path}: not an IDX file (the magic number is "
                              f"{magic.hex() or 'missing'}; expected 0000 then a type byte "
                              f"08-0e and the number of dimensions)")
    dtype, ndim = np.dtype(_IDX_TYPES[magic[2]]), magic[3]
    dims = file.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise FileFormatError(f"load_idx {path}: truncated header ({4 + len(dims)} bytes for "
                              f"{ndim} dimensions)")
    shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(ndim))
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    header = 4 + 4 * ndim
    declared = f"the header says shape {shape} ({expected:,} bytes of data)"
    if compressed and expected > _MAX_DEFLATE_RATIO * file_size:
        raise FileFormatError(f"load_idx {path}: {declared} but a gzip file of {file_size:,} "
                              f"bytes holds at most {_MAX_DEFLATE_RATIO * file_size:,}; it is "
                              f"corrupt")
    held = _count_bytes(file, expected + 1) if compressed else file_size - header
    if held != expected:
        raise FileFormatError(f"load_idx {path}: {declared} but the file holds "
                              f"{'more' if held > expected else f'{held:,}'}; it is truncated "
                              f"or corrupt")
    file.seek(header)
    array = np.empty(math.prod(shape), dtype=dtype)
    buffer, filled = memoryview(array).cast("B"), 0
    while filled < expected:
        count = file.readinto(buffer[filled:filled + _CHUNK])
        if not count:  # the file changed under us
            raise FileFormatError(f"load_idx {path}: the data ended early")
        filled += count
    return array.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _count_bytes(file, limit):
    """How many bytes are left in `file`, counted a chunk at a time up to `limit`."""
    total = 0
    while total < limit:
        chunk = file.read(min(_CHUNK, limit - total))
        if not chunk:
            break
        total += len(chunk)
    return total


def batches(X, y, batch_size, shuffle=True, seed=None):
    """Mini-batches (X_b, y_b) covering the data once, shuffled by a seedable generator
    (`seed` may be an int or a numpy Generator, drawn from anew each epoch)."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"batches: {len(X)} inputs but {len(y)} targets")
    if int(batch_size) < 1:
        raise ValueError(f"batches: batch_size must be at least 1, got {batch_size}")
    order = (np.random.default_rng(seed).permutation(len(y)) if shuffle
             else np.arange(len(y)))
    for start in range(0, len(y), int(batch_size)):
        chosen = order[start:start + int(batch_size)]
        yield X[chosen], y[chosen]
