"""The Makefile's set-up on a machine whose Python refuses pip (PEP 668): it makes and uses the
project's own .venv (or the active virtual environment), and installs python3-venv, Graphviz
and Chromium through apt only where they are missing. apt-get is a stand-in that records its
calls; the virtual environment is real."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def machine(tmp_path):
    """A copy of the Makefile in an empty project directory, a fake apt-get on PATH that logs
    its arguments, and a `python3` that cannot make a virtual environment until apt-get has
    installed a pythonX.Y-venv package (as Debian's python3 without python3-venv)."""
    project, fakebin = tmp_path / "project", tmp_path / "bin"
    project.mkdir()
    fakebin.mkdir()
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    log, installed = tmp_path / "apt.log", tmp_path / "venv-installed"
    _script(fakebin / "apt-get", f'echo "$*" >> {log}\n'
                                 f'case "$*" in *-venv*) touch {installed};; esac')
    base = getattr(sys, "_base_executable", sys.executable)
    _script(fakebin / "python3", f'if [ "$1 $2" = "-m venv" ] && [ ! -e {installed} ]; then\n'
                                 f'  echo "ensurepip is not available" >&2; mkdir -p "$3/bin"; '
                                 f'exit 1\nfi\nexec {base} "$@"')
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = f"{fakebin}{os.pathsep}{env['PATH']}"
    return project, env, log


def _script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def _make(project, env, *targets, **variables):
    command = ["make", "--no-print-directory", "-C", str(project), *targets, "SUDO="]
    command += [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_a_python_without_venv_gets_its_package_from_apt_then_the_project_venv(machine):
    project, env, log = machine
    result = _make(project, env, "venv", PYTHON="python3")
    assert result.returncode == 0, result.stderr
    minor = sys.version_info[1]
    assert log.read_text().splitlines() == ["update -qq", f"install -y -qq python3.{minor}-venv"]
    python = project / ".venv" / "bin" / "python"
    prefix = subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"],
                            capture_output=True, text=True, check=True, cwd=project).stdout.strip()
    assert Path(prefix) == project / ".venv"
    pip = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True,
                         cwd=project)
    assert pip.returncode == 0 and ".venv" in pip.stdout  # pip of the venv, not the system's
    again = _make(project, env, "venv", PYTHON="python3")  # made once: nothing to do now
    assert again.returncode == 0 and len(log.read_text().splitlines()) == 2


def test_an_active_virtual_environment_is_used_and_no_venv_is_made(machine, tmp_path):
    project, env, log = machine
    active = tmp_path / "active"
    (active / "bin").mkdir(parents=True)
    (active / "bin" / "python").symlink_to(sys.executable)
    env["VIRTUAL_ENV"] = str(active)
    for target, command in [("install", f"{active}/bin/python -m pip install --quiet "
                                        f"--disable-pip-version-check -e \".[all]\""),
                            ("test", f"{active}/bin/python -m pytest tests --nbmake notebooks"),
                            ("run", f"{active}/bin/python -m nn --force"),
                            ("notebooks", f"{active}/bin/python -m jupyter lab notebooks")]:
        planned = _make(project, env, "-n", target, DOT="sh", CHROMIUM="/bin/sh")
        assert planned.returncode == 0, planned.stderr
        assert command in planned.stdout, planned.stdout
        assert "-m venv" not in planned.stdout and ".venv" not in planned.stdout
    assert _make(project, env, "venv").returncode == 0
    assert not (project / ".venv").exists() and not log.exists()


def test_graphviz_and_chromium_come_from_apt_only_where_missing(machine, tmp_path):
    project, env, log = machine
    present = {"DOT": "sh", "CHROMIUM": "/bin/sh"}
    assert _make(project, env, "test-tools", **present).returncode == 0
    assert not log.exists()
    result = _make(project, env, "test-tools", DOT=tmp_path / "no-dot",
                   CHROMIUM=tmp_path / "no-chromium")
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq graphviz",
                                            "update -qq", "install -y -qq chromium"]


def test_the_test_run_tells_the_browser_tests_where_chromium_is(machine):
    project, env, log = machine
    (project / "tests").mkdir()
    (project / "tests" / "show.py").write_text("import os; print('chromium at', "
                                               "os.environ.get('CHROMIUM'))")
    env.pop("CHROMIUM", None)
    shown = _make(project, env, "--eval", "show:; @python3 tests/show.py", "show")
    assert shown.returncode == 0, shown.stderr
    expected = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                     if Path(p).exists()), "/usr/bin/chromium")
    assert shown.stdout.strip() == f"chromium at {expected}"  # the Makefile's default


def test_the_notebook_front_end_is_installed_with_the_notebooks_extra(tmp_path):
    version = subprocess.run([sys.executable, "-m", "jupyter", "lab", "--version"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert int(version.stdout.split(".")[0]) >= 4
