"""The file readers against hostile and broken files: parameter files (.npz) and IDX (raw and
gzip). Every outcome is a successful load or the reader's own clear error naming the file,
within a memory bound, and a failed load changes nothing the user had."""

import gzip
import io
import os
import re
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn

MEMORY_BOUND = 16 * 2**20  # bytes of traced peak allowed for reading any of these small files
# examples per fuzz test; FUZZ_EXAMPLES=20000 for a long run
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 300)),
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _peak(function):
    """(result or exception, peak traced bytes) of calling `function`."""
    tracemalloc.start()
    try:
        try:
            outcome = function()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _model():
    return nn.MLP([3, 2, 2], rng=0)


def _valid_npz():
    buffer = io.BytesIO()
    np.savez(buffer, **{name: p.data for name, p in _model().named_parameters()})
    return buffer.getvalue()


def _npy(header, data=b""):
    """An .npy member with the given header dict text (version 1.0) and data."""
    text = header.ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + data


def _zip(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _load_outcome(path):
    """Load `path` into a fresh model: (outcome, peak), after checking that a failure is the
    reader's error naming the file and left the model as it was, and that a success gave every
    parameter its own shape and dtype."""
    model = _model()
    before = [p.data.copy() for p in model.parameters()]
    outcome, peak = _peak(lambda: model.load(path))
    if isinstance(outcome, Exception):
        assert isinstance(outcome, nn.FileFormatError), repr(outcome)
        assert str(path) in str(outcome)
        assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    else:
        assert all(a.shape == p.data.shape and p.data.dtype == np.float64
                   for a, p in zip(before, model.parameters()))
    return outcome, peak


# ---- parameter files (.npz) ---------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (_zip({"layers.0.weight": b"raw bytes, not an array"}), "is not an array"),
    (_zip({"layers.0.weight.npy": _npy("{'descr': '<f8', 'fortran_order': False, "
                                       "'shape': (1000000000000,), }", b"\0" * 16)}),
     r"layers.0.weight: the file has shape \(1000000000000,\), the model \(3, 2\)"),
    (_zip({"layers.0.weight.npy": _npy("{'descr': '<f8', 'fortran_order': False, "
                                       "'shape': (3, 2), }", b"\0" * 16)}),
     "missing in the file: layers.0.bias"),
    (_zip({"layers.0.weight.npy": b"\x93NUMPY\x01\x00"}), "not a parameters file"),
    (_zip({"layers.0.weight.npy": _npy("{'descr': '|O', 'fortran_order': False, "
                                       "'shape': (3, 2), }")}), "holds object values"),
    (b"\x93NUMPY\x01\x00" + b"\0" * 20, r"a single array \(.npy\)"),
    (b"", "not a parameters file"),
])
def test_broken_parameter_files_get_the_readers_error(tmp_path, content, message):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    outcome, peak = _load_outcome(path)
    assert isinstance(outcome, nn.FileFormatError)
    assert outcome.args[0].startswith(f"load {path}: ")
    assert re.search(message, str(outcome)), str(outcome)
    assert peak < MEMORY_BOUND


def test_data_longer_or_shorter_than_its_header_is_refused(tmp_path):
    arrays = {name: p.data for name, p in _model().named_parameters()}
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }"
    for data, message in [(b"\0" * 40, "declares 48 bytes of data but the member holds 40"),
                          (b"\0" * 56, "declares 48 bytes of data but the member holds 56")]:
        members = {f"{name}.npy": _npy_of(a) for name, a in arrays.items()}
        members["layers.0.weight.npy"] = _npy(header, data)
        (tmp_path / "model.npz").write_bytes(_zip(members))
        outcome, _ = _load_outcome(tmp_path / "model.npz")
        assert message in str(outcome)


def _npy_of(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_foreign_but_valid_layouts_load_correctly(tmp_path):
    model = _model()
    arrays = {name: p.data for name, p in model.named_parameters()}
    members = {f"{name}.npy": _npy_of(np.asfortranarray(a).astype(">f4"))
               for name, a in arrays.items()}  # Fortran order, big-endian float32
    (tmp_path / "model.npz").write_bytes(_zip(members, zipfile.ZIP_DEFLATED))
    fresh = nn.MLP([3, 2, 2], rng=5)
    fresh.load(tmp_path / "model.npz")
    for (_, p), a in zip(fresh.named_parameters(), arrays.values()):
        np.testing.assert_allclose(p.data, a, rtol=1e-6)
        assert p.data.dtype == np.float64


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_as_a_parameter_file(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    outcome, peak = _load_outcome(path)
    assert isinstance(outcome, nn.FileFormatError)
    assert peak < MEMORY_BOUND


def _mutations(valid):
    """Hypothesis strategy: `valid` with bytes overwritten, a slice cut out, or bytes inserted;
    positions are drawn over the whole file, headers and zip directories included."""
    n = len(valid)
    overwrite = st.tuples(st.integers(0, n - 1), st.binary(min_size=1, max_size=8)).map(
        lambda t: valid[:t[0]] + t[1] + valid[t[0] + len(t[1]):])
    cut = st.tuples(st.integers(0, n - 1), st.integers(1, 64)).map(
        lambda t: valid[:t[0]] + valid[t[0] + t[1]:])
    insert = st.tuples(st.integers(0, n), st.binary(min_size=1, max_size=8)).map(
        lambda t: valid[:t[0]] + t[1] + valid[t[0]:])
    digits = st.tuples(st.sampled_from([b"(3, 2)", b"(2,)", b"(2, 2)"]),
                       st.sampled_from([b"(99999999999, 2)", b"(3, 2, 7)", b"()", b"(-1, 2)",
                                        b"(2**64,)", b"(0, 2)"])).map(
        lambda t: valid.replace(t[0], t[1], 1))
    return st.one_of(overwrite, cut, insert, digits)


@FUZZ
@given(_mutations(_valid_npz()))
def test_mutated_parameter_files(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    outcome, peak = _load_outcome(path)
    assert peak < MEMORY_BOUND


# ---- IDX files, raw and gzip --------------------------------------------------------------------

def _idx(array, type_byte=0x08):
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[type_byte]
    return bytes([0, 0, type_byte, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape) + array.astype(dtype).tobytes()


VALID_IDX = _idx(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


def _idx_outcome(path):
    outcome, peak = _peak(lambda: nn.data.load_idx(path))
    if isinstance(outcome, Exception):
        assert isinstance(outcome, nn.FileFormatError), repr(outcome)
        assert str(path) in str(outcome)
    else:
        assert isinstance(outcome, np.ndarray)
    return outcome, peak


@FUZZ
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_as_an_idx_file(tmp_path, content, compressed):
    path = tmp_path / ("data.idx.gz" if compressed else "data.idx")
    path.write_bytes(gzip.compress(content) if compressed else content)
    outcome, peak = _idx_outcome(path)
    assert peak < MEMORY_BOUND


@FUZZ
@given(st.one_of(_mutations(VALID_IDX).map(lambda b: (b, False)),
                 _mutations(VALID_IDX).map(lambda b: (gzip.compress(b), True)),
                 _mutations(gzip.compress(VALID_IDX)).map(lambda b: (b, True))))
def test_mutated_idx_files(tmp_path, case):
    content, compressed = case
    path = tmp_path / ("data.idx.gz" if compressed else "data.idx")
    path.write_bytes(content)
    outcome, peak = _idx_outcome(path)
    assert peak < MEMORY_BOUND
    if isinstance(outcome, np.ndarray):  # then the file must really say so
        assert outcome.size * outcome.itemsize <= len(content) * 1032


def _gzip_stream(header, data_bytes, chunk=1 << 20):
    """A gzip file of `header` then `data_bytes` zero bytes, compressed chunk by chunk."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip wrapper
    parts = [compressor.compress(header)]
    zeros = bytes(chunk)
    for start in range(0, data_bytes, chunk):
        parts.append(compressor.compress(zeros[:min(chunk, data_bytes - start)]))
    parts.append(compressor.flush())
    return b"".join(parts)


def test_a_gzip_bomb_is_refused_without_inflating_it_into_memory(tmp_path):
    # the header declares 10^7 bytes, the stream inflates to 10^8
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(_gzip_stream(bytes([0, 0, 8, 1]) + (10**7).to_bytes(4, "big"), 10**8))
    assert path.stat().st_size < 200_000
    outcome, peak = _idx_outcome(path)
    assert peak < MEMORY_BOUND
    assert isinstance(outcome, nn.FileFormatError)
    assert "(10,000,000 bytes of data) but the file holds more" in str(outcome)


def test_a_gzip_file_declaring_more_than_it_can_hold_is_refused_before_inflating(tmp_path):
    path = tmp_path / "big.idx.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 2]) + (10**5).to_bytes(4, "big") * 2))
    outcome, peak = _idx_outcome(path)
    assert peak < MEMORY_BOUND
    assert "a gzip file of" in str(outcome) and "holds at most" in str(outcome)


def test_dimensions_whose_product_overflows_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "overflow.idx"
    path.write_bytes(bytes([0, 0, 8, 4]) + (2**16).to_bytes(4, "big") * 4)  # 2^64 elements
    outcome, _ = _idx_outcome(path)
    assert isinstance(outcome, nn.FileFormatError)
    assert "(18,446,744,073,709,551,616 bytes of data) but the file holds 0" in str(outcome)


def test_valid_idx_files_of_every_type_load(tmp_path):
    for type_byte, array in [(0x08, np.arange(6, dtype=np.uint8).reshape(2, 3)),
                             (0x0B, np.array([-300, 5, 7], dtype=np.int16)),
                             (0x0D, np.array([[1.5, -2.25]], dtype=np.float32))]:
        for compressed in (False, True):
            content = _idx(array, type_byte)
            path = tmp_path / f"a{type_byte}.idx{'.gz' if compressed else ''}"
            path.write_bytes(gzip.compress(content) if compressed else content)
            loaded = nn.data.load_idx(path)
            np.testing.assert_array_equal(loaded, array)
            assert loaded.dtype == array.dtype and loaded.dtype.isnative
