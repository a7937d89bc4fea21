"""Data sets, the IDX reader, mini-batches and the main job end to end."""

import gzip
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

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
    with pytest.raises(FileNotFoundError, match=r"missing.idx"):
        nn.data.load_idx(tmp_path / "missing.idx")


def test_make_moons_and_digits():
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    assert X.shape == (100, 2) and set(np.unique(y)) == {0, 1} and y.sum() == 50
    np.testing.assert_array_equal(X, nn.data.make_moons(100, noise=0.1, seed=0)[0])
    (X_train, y_train), (X_test, y_test) = nn.data.load_digits(seed=0)
    assert X_train.shape[1] == 64 and len(X_train) + len(X_test) == 1797
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0


def test_load_digits_names_the_extra_when_scikit_learn_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install 'gategrad\[datasets\]'"):
        nn.data.load_digits()


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
    assert "matmul" in texts and "mean_softmax_cross_entropy" in texts
    assert any("Linear(64 -> 30)" in (t or "") for t in texts)
    trained = nn.MLP([64, 30, 10], rng=1)
    trained.load(tmp_path / "model.npz")  # the saved parameters fit the default network
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss_curve.png", "model.npz",
                                                          "model_graph.svg"]


def test_the_main_job_compiles_its_steps_by_default_with_the_same_numbers(tmp_path, monkeypatch):
    import nn.__main__ as main_module
    used = []
    real_fit = main_module.fit
    monkeypatch.setattr(main_module, "fit", lambda *a, **k: used.append(k["compile"]) or
                        real_fit(*a, **k))
    assert main(["--epochs", "2", "--out", str(tmp_path / "default"), "--quiet"]) == 0
    assert main(["--epochs", "2", "--out", str(tmp_path / "eager"), "--quiet",
                 "--no-compile"]) == 0
    assert main(["--epochs", "1", "--loss", "mse", "--out", str(tmp_path / "mse"),
                 "--quiet"]) == 0
    assert used == [True, False, False]  # on for cross_entropy only, unless asked
    compiled, eager = (np.load(tmp_path / d / "model.npz") for d in ("default", "eager"))
    for name in eager.files:
        np.testing.assert_allclose(compiled[name], eager[name], rtol=1e-10, atol=1e-12)


def test_the_main_job_trains_on_idx_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20).astype(np.uint8)
    images = (rng.uniform(0, 60, size=(40, 4, 4)) + 190 * labels[:, None, None]).astype(np.uint8)
    (tmp_path / "images.idx").write_bytes(_idx_bytes(images))
    with gzip.open(tmp_path / "labels.idx.gz", "wb") as file:
        file.write(_idx_bytes(labels))
    assert main(["--dataset", "idx", "--idx-images", str(tmp_path / "images.idx"),
                 "--idx-labels", str(tmp_path / "labels.idx.gz"), "--hidden", "4",
                 "--epochs", "5", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert "test accuracy: 1.0000" in capsys.readouterr().out
    assert (tmp_path / "out" / "model_graph.svg").exists()


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
    with pytest.raises(SystemExit):
        main(["--lr", "0", "--momentum", "-1", "--out", str(tmp_path)])
    assert "--lr must be a finite number above 0, got 0.0; --momentum must be a finite number " \
        "at least 0 and below 1, got -1.0" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("mine")
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "a_file")])
    assert "is a file; give a directory" in capsys.readouterr().err
    assert (tmp_path / "a_file").read_text() == "mine"
    (tmp_path / "bad.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09" + b"\x01" * 3)
    with pytest.raises(SystemExit):
        main(["--dataset", "idx", "--idx-images", str(tmp_path / "bad.idx"), "--idx-labels",
              str(tmp_path / "bad.idx"), "--out", str(tmp_path)])
    assert "holds 3; it is truncated" in capsys.readouterr().err


def test_parameter_files_that_are_not_ours_get_clear_errors(tmp_path):
    model = nn.MLP([2, 2, 1], rng=0)
    before = [p.data.copy() for p in model.parameters()]
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file at all")
    np.save(tmp_path / "one.npy", np.zeros(3))
    arrays = {name: p.data for name, p in model.named_parameters()}
    np.savez(tmp_path / "text.npz", **{**arrays, "layers.1.bias": np.array(["x"])})
    for name, message in [("garbage.npz", "not a parameters file written by Module.save"),
                          ("one.npy", r"holds a single array \(.npy\), not named parameters"),
                          ("text.npz", r"layers.1.bias: the file holds <U1 values")]:
        with pytest.raises(ValueError, match=message):
            model.load(tmp_path / name)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    with pytest.raises(FileNotFoundError, match="the directory .*missing does not exist"):
        model.save(tmp_path / "missing" / "model.npz")
    model.save(tmp_path / "model.npz")
    model.save(tmp_path / "model.npz")  # replaces its own earlier file; no partial file left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.npz", "model.npz",
                                                          "one.npy", "text.npz"]


QUICK = ["--dataset", "moons", "--hidden", "4", "--epochs", "1", "--quiet"]


def _refused(argv, capsys):
    """Run the main job expecting a refusal: exit status 2, one line on stderr, no training."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.err.count("\n") == 1 and captured.err.startswith("python -m nn: error: ")
    assert "training" not in captured.out  # refused before any work
    return captured.err


def test_an_unusable_output_directory_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "a_file").write_text("mine")
    error = _refused([*QUICK, "--out", str(tmp_path / "a_file" / "run")], capsys)
    assert f"{tmp_path / 'a_file'} is a file, so the directory cannot be created" in error
    error = _refused([*QUICK, "--out", str(tmp_path / "a_file")], capsys)
    assert "is a file; give a directory" in error
    assert (tmp_path / "a_file").read_text() == "mine"
    (tmp_path / "run" / "model.npz").mkdir(parents=True)
    error = _refused([*QUICK, "--out", str(tmp_path / "run"), "--force"], capsys)
    assert "has a directory where model.npz would go" in error


def test_a_second_run_keeps_the_first_runs_outputs_unless_forced(tmp_path, capsys):
    assert main([*QUICK, "--out", str(tmp_path)]) == 0
    first = {name: (tmp_path / name).read_bytes() for name in
             ("model.npz", "loss_curve.png", "model_graph.svg")}
    capsys.readouterr()
    error = _refused([*QUICK, "--seed", "1", "--out", str(tmp_path)], capsys)
    assert "already holds model.npz, loss_curve.png, model_graph.svg from an earlier run; " \
           "pass --force" in error
    assert {name: (tmp_path / name).read_bytes() for name in first} == first
    assert main([*QUICK, "--seed", "1", "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "model.npz").read_bytes() != first["model.npz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(first)  # no partial files


@pytest.mark.parametrize("flags, message", [
    (["--lr", "inf"], "--lr must be a finite number above 0, got inf"),
    (["--lr", "nan"], "--lr must be a finite number above 0, got nan"),
    (["--momentum", "1"], "--momentum must be a finite number at least 0 and below 1"),
    (["--epochs", "0"], "--epochs must be between 1 and 1000000"),
    (["--dataset", "idx", "--idx-images", "missing.idx", "--idx-labels", "missing.idx"],
     "No such file or directory: 'missing.idx'"),
])
def test_bad_flags_exit_2_with_one_line(tmp_path, capsys, flags, message):
    assert message in _refused([*QUICK, *flags, "--out", str(tmp_path / "out")], capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_a_run_that_diverges_writes_nothing_and_fails(tmp_path, capsys):
    # (at this rate the parameters stay finite numbers, about 1e299, and the loss overflows)
    assert main([*QUICK, "--lr", "1e308", "--epochs", "2", "--out", str(tmp_path / "out")]) == 1
    assert "training diverged" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_failed_write_after_training_is_one_line_and_keeps_every_earlier_output(
        tmp_path, capsys, monkeypatch):
    assert main([*QUICK, "--out", str(tmp_path)]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full_disk(history, file, title):  # the second of the three files fails
        file.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("nn.__main__._plot_history", full_disk)
    capsys.readouterr()
    assert main([*QUICK, "--seed", "3", "--out", str(tmp_path), "--force"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot write the outputs" in error
    assert "No space left on device" in error
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no partial files


def test_without_graphviz_the_job_refuses_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert "Graphviz's dot program (apt-get install graphviz)" in _refused(
        [*QUICK, "--out", str(tmp_path / "out")], capsys)


def test_help_names_the_command_as_typed_and_every_flag_has_help_and_a_default(
        capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/gategrad"])
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    text = capsys.readouterr().out
    assert exit_.value.code == 0 and text.startswith("usage: gategrad ")
    from nn.__main__ import _parser
    for action in _parser()._actions:
        if action.dest != "help":
            assert action.help and "default" in action.help, action.option_strings


def test_the_installed_command_calls_itself_gategrad(tmp_path):
    command = Path(sys.executable).parent / "gategrad"
    assert command.exists(), "the package must be installed (make test does: pip install -e)"
    result = subprocess.run([str(command), "--help"], capture_output=True, text=True,
                            check=True, cwd=tmp_path)
    assert result.stdout.startswith("usage: gategrad ")
    # in a directory of its own: the project folder's out/ (`make run`'s) is none of its business
    result = subprocess.run([sys.executable, "-m", "nn", "--lr", "inf"], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "python -m nn: error: --lr must be a finite number above 0, got " \
                            "inf\n"
