"""Data sets, the IDX reader, mini-batches and the main job end to end."""

import gzip
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from nn.__main__ import main


def _idx_bytes(array, type_byte=0x08):
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(">u1" if type_byte == 0x08 else ">i4").tobytes()


def test_load_idx_reads_raw_and_gzip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "images.idx").write_bytes(_idx_bytes(images))
    with gzip.open(tmp_path / "images.idx.gz", "wb") as file:
        file.write(_idx_bytes(images))
    np.testing.assert_array_equal(nn.data.load_idx(tmp_path / "images.idx"), images)
    np.testing.assert_array_equal(nn.data.load_idx(tmp_path / "images.idx.gz"), images)
    labels = np.array([7, -2, 300], dtype=np.int32)
    (tmp_path / "labels.idx").write_bytes(_idx_bytes(labels, 0x0C))
    np.testing.assert_array_equal(nn.data.load_idx(tmp_path / "labels.idx"), labels)


def test_load_idx_rejects_bad_files(tmp_path):
    (tmp_path / "magic.idx").write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match=r"not an IDX file \(the magic number is 12340801"):
        nn.data.load_idx(tmp_path / "magic.idx")
    good = _idx_bytes(np.zeros((4, 4), dtype=np.uint8))
    (tmp_path / "short.idx").write_bytes(good[:-3])
    with pytest.raises(ValueError, match=r"shape \(4, 4\) \(16 bytes of data\) but the file "
                                         r"holds 13; it is truncated"):
        nn.data.load_idx(tmp_path / "short.idx")
    (tmp_path / "header.idx").write_bytes(good[:6])
    with pytest.raises(ValueError, match=r"truncated header"):
        nn.data.load_idx(tmp_path / "header.idx")
    with pytest.raises(ValueError, match=r"cannot read the file"):
        nn.data.load_idx(tmp_path / "missing.idx")


def test_make_moons_and_digits():
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    assert X.shape == (100, 2) and set(np.unique(y)) == {0, 1} and y.sum() == 50
    np.testing.assert_array_equal(X, nn.data.make_moons(100, noise=0.1, seed=0)[0])
    (X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
    assert X_train.shape[1] == 64 and len(X_train) + len(X_test) == 1797
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0


def test_batches_cover_the_data_once_and_are_seeded():
    X, y = np.arange(10).reshape(10, 1), np.arange(10)
    chunks = list(nn.data.batches(X, y, 4, seed=3))
    assert [len(b) for _, b in chunks] == [4, 4, 2]
    assert sorted(np.concatenate([b for _, b in chunks])) == list(range(10))
    again = list(nn.data.batches(X, y, 4, seed=3))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(chunks, again))
    assert [list(b) for _, b in nn.data.batches(X, y, 5, shuffle=False)] == \
        [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="10 inputs but 9 targets"):
        list(nn.data.batches(X, y[:9], 4))


def test_the_main_job_runs_end_to_end(tmp_path, capsys):
    assert main(["--epochs", "3", "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy:" in printed
    accuracy = float(printed.split("test accuracy:")[1].split()[0])
    assert accuracy > 0.8
    png = (tmp_path / "loss_curve.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = ET.parse(tmp_path / "model_graph.svg").getroot()
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert "matmul" in texts and "softmax_cross_entropy" in texts
    assert any("Linear(64 -> 30)" in (t or "") for t in texts)


@pytest.mark.parametrize("dataset, extra", [("moons", ["--hidden", "8,8", "--activation", "relu"]),
                                            ("challenger", ["--loss", "bce_with_logits",
                                                            "--hidden", ""])])
def test_the_main_job_on_other_data(tmp_path, dataset, extra, capsys):
    assert main(["--dataset", dataset, "--epochs", "2", "--out", str(tmp_path), "--quiet",
                 *extra]) == 0
    assert (tmp_path / "loss_curve.png").exists()


def test_the_main_job_rejects_bad_flags(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--hidden", "ten", "--out", str(tmp_path)])
    assert "--hidden must be comma-separated sizes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--dataset", "idx", "--out", str(tmp_path)])
    assert "needs --idx-images and --idx-labels" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--loss", "bce_with_logits", "--out", str(tmp_path)])
    assert "needs two classes" in capsys.readouterr().err
