"""The benchmark driver's bookkeeping (no timing here: speed lives in benchmarks/): where a quick
or partial run writes, and that its report states the rounds and sizes that actually ran. The
workers are replaced by canned results, so this takes a second."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def run(monkeypatch, tmp_path):
    """benchmarks/run.py as a module, writing under tmp_path instead of benchmarks/, with every
    worker replaced by a canned result (gategrad present, every peer absent)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = importlib.import_module("run")
    monkeypatch.setattr(module, "HERE", tmp_path)
    monkeypatch.setattr(module, "installed", lambda engine: engine == "gategrad")
    monkeypatch.setattr(module, "run_worker", _canned)
    return module


def _canned(spec, env, timeout):
    if spec["mode"] == "memory":
        result = {"memory": {"rss_bytes": 2**21, "tracemalloc_bytes": 2**20}}
    else:
        result = {"check_max_rel_diff": 0.0, "times": {
            phase: {"ratio": 1.5, "engine_s": 3e-3, "reference_s": 2e-3}
            for phase in ("total", "build", "backward")}}
    return {"results": [dict(result, status="ok", case=case) for case in spec["cases"]],
            "versions": {"numpy": "x"}, "threads": []}


def _main(run, monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["run.py", *argv])
    with pytest.raises(SystemExit) as exit_:
        run.main()
    assert exit_.value.code == 0


def test_a_quick_run_writes_outside_the_committed_results(run, monkeypatch, tmp_path, capsys):
    _main(run, monkeypatch, "--quick", "--workloads", "w1,w2,w4")
    assert not (tmp_path / "results.md").exists() and not (tmp_path / "results.json").exists()
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["results.json", "results.md", "results.png"]
    report = (tmp_path / "out" / "results.md").read_text()
    assert report.startswith("# Benchmark results (quick smoke run of w1, w2, w4 only)")
    rounds = next(line for line in report.splitlines() if line.startswith("- Rounds"))
    # not the full suite's 7, 9 and 11; no slow peer ran (all absent), no case of 10^6 steps
    assert rounds.startswith("- Rounds per workload: w1 3, w2 3, w4 3; medians"), rounds
    sizes = next(line for line in report.splitlines() if line.startswith("- Sizes run"))
    assert sizes == ("- Sizes run: w1 2-16-16-1 ReLU, 10 points, micrograd's demo as written, "
                     "10 points; w2 10^3 steps, 10^4 steps; w4 100,000 float64 values, "
                     "100,000 float64 values, w and b arrays of x's shape.")
    meta = json.loads((tmp_path / "out" / "results.json").read_text())["meta"]
    assert meta["rounds"] == {"w1": 3, "w2": 3, "w4": 3}
    assert meta["workloads"] == ["w1", "w2", "w4"]


def test_a_partial_full_size_run_also_writes_outside_and_says_what_ran(run, monkeypatch,
                                                                       tmp_path, capsys):
    _main(run, monkeypatch, "--workloads", "w2")
    assert not (tmp_path / "results.md").exists()
    report = (tmp_path / "out" / "results.md").read_text()
    assert report.startswith("# Benchmark results (partial run of w2 only)")
    rounds = next(line for line in report.splitlines() if line.startswith("- Rounds"))
    assert "w2 9 (cases with their own: w2 10^6 steps 5)" in rounds


def test_only_the_full_suite_or_an_explicit_directory_writes_the_committed_results(
        run, monkeypatch, tmp_path, capsys):
    _main(run, monkeypatch, "--quick", "--workloads", "w4", "--out-dir", str(tmp_path / "mine"))
    assert (tmp_path / "mine" / "results.md").exists() and not (tmp_path / "out").exists()
    args = run.argparse.Namespace(quick=False, workloads=list(run.WORKLOADS))
    assert run.output_directory(args) == tmp_path


def test_unknown_workloads_are_refused(run, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run.py", "--workloads", "w9"])
    with pytest.raises(SystemExit) as exit_:
        run.main()
    assert exit_.value.code == 2 and "unknown workloads w9" in capsys.readouterr().err


def test_the_output_directory_of_partial_runs_is_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", "benchmarks/out/results.md"],
                             cwd=BENCHMARKS.parent)
    assert ignored.returncode == 0
