"""`python -m nn` bounds sizes, epochs and the memory the model needs before any work (issue
21, items 11 and 12): exit status 2 and one line naming the flag, with no data loaded, no model
built and nothing written. Run in a directory of its own (never the project folder)."""

import subprocess
import sys

import pytest

import nn.__main__ as main_module
from nn import data
from nn.__main__ import main


@pytest.fixture
def no_work(monkeypatch, tmp_path):
    """The job in tmp_path, with loading any data an error (so a refusal provably comes first)."""
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the flags were checked")

    for name in ("load_digits", "make_moons", "load_challenger", "load_idx"):
        monkeypatch.setattr(data, name, refuse)
    return tmp_path


@pytest.mark.parametrize("flags, named", [
    (["--hidden", "999999999"], "--hidden"),
    (["--hidden", "100000,100000,100000"], "--hidden 100000,100000,100000"),
    (["--hidden", "30,100001"], "--hidden"),
    (["--epochs", "99999999999999999999"], "--epochs"),
    (["--epochs", "1000001"], "--epochs"),
    (["--seed", "-1"], "--seed"),
    (["--dataset", "moons", "--hidden", "100000,100000"], "--hidden 100000,100000"),
])
def test_huge_sizes_and_epochs_are_refused_first_in_one_line(no_work, capsys, flags, named):
    with pytest.raises(SystemExit) as exit_:
        main([*flags, "--quiet"])
    error = capsys.readouterr().err
    assert exit_.value.code == 2
    assert error.count("\n") == 1 and error.startswith("python -m nn: error: ") and named in error
    assert list(no_work.iterdir()) == []  # nothing written


def test_the_memory_bound_is_what_the_layers_need(monkeypatch, no_work, capsys):
    # 64-1000-10 holds 65 * 1000 + 1001 * 10 = 75,010 parameters, 32 bytes each: 2.4 MB
    monkeypatch.setattr(main_module, "_physical_memory", lambda: 4_800_000)
    with pytest.raises(SystemExit):
        main(["--hidden", "1000", "--quiet"])
    error = capsys.readouterr().err
    assert "64-1000-10 needs about 2.3 MiB" in error and "--hidden 1000" in error
    assert main_module._memory_problem("1000", [1000], 64, 10) is not None
    monkeypatch.setattr(main_module, "_physical_memory", lambda: 4_800_640)
    assert main_module._memory_problem("1000", [1000], 64, 10) is None  # exactly half: fits


def test_the_largest_accepted_flags_get_past_the_checks(monkeypatch, no_work):
    # at the bounds, and small enough for memory: refused by nothing but the (stubbed) data
    with pytest.raises(AssertionError, match="data was loaded"):
        main(["--epochs", "1000000", "--hidden", "100000", "--seed", str(2 ** 128 - 1),
              "--quiet"])


@pytest.mark.parametrize("flags, named", [(["--hidden", "999999999"], "--hidden"),
                                          (["--epochs", "99999999999999999999"], "--epochs")])
def test_the_command_line_refuses_them_in_one_line(tmp_path, flags, named):
    result = subprocess.run([sys.executable, "-m", "nn", *flags], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and named in result.stderr
    assert list(tmp_path.iterdir()) == []
