"""check_gradients in the numpy world (a numpy vjp given HIPS-autograd style with `defvjp`, and
gategrad's own graphs), the pytest plugin, and the promise that neither autograd.testing nor
the plugin imports PyTorch or JAX (these run in `make test`, without either)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib

from autograd import Tensor
from autograd.testing import (
    GradcheckError,
    check_gradients,
    defvjp,
    given_inputs,
    gradcheck,
)

ROOT = Path(__file__).resolve().parent.parent


def _softplus_vjp_wrong(ans, x):
    return lambda g: g / (1.0 + np.exp(x))  # should be exp(-x)


softplus_wrong = defvjp(lambda x: np.log1p(np.exp(x)), _softplus_vjp_wrong, name="softplus")
softplus = defvjp(lambda x: np.log1p(np.exp(x)),
                  lambda ans, x: lambda g: g / (1.0 + np.exp(-x)), name="softplus")


def test_a_numpy_vjp_is_checked_and_its_culprit_named_as_gradcheck_names_it():
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    check_gradients(lambda x: softplus(x * 2.0).sum(), x)
    def loss(x):
        return softplus_wrong(x * 2.0).sum()

    with pytest.raises(GradcheckError) as caught:
        check_gradients(loss, x)
    culprit = caught.value.culprit
    assert culprit.op == "softplus" and culprit.input_shapes == ((2, 2),)
    assert culprit.site[0].filename == __file__
    # finite differences of softplus alone at 2x: sigmoid(2x)
    assert culprit.numeric == pytest.approx(1.0 / (1.0 + np.exp(-2 * x[culprit.element])),
                                            rel=1e-6)
    with pytest.raises(GradcheckError) as same:  # the same report as gradcheck's own
        gradcheck(loss, Tensor(x))
    assert str(same.value).split("\n", 1)[1] == str(caught.value).split("\n", 1)[1]


def test_gategrad_graphs_float32_promoted_integers_constant_complex_refused():
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    check_gradients(lambda x, n: (x ** n).sum(), x, 3)  # float32 promoted, n a constant
    check_gradients(lambda x, w: (x * w).tanh().sum(), Tensor(x), Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="input 0 is complex128.*two real inputs"):
        check_gradients(lambda z: z * z, np.array([1 + 2j]))
    with pytest.raises(ValueError, match="nothing to differentiate"):
        check_gradients(lambda n: n * 2, 3)


def test_given_inputs_shrinks_a_numpy_vjp_failure_to_a_snippet():
    steep = defvjp(lambda x: np.sin(x), lambda ans, x: lambda g: g * np.where(
        np.abs(x) > 2, 0.9 * np.cos(x), np.cos(x)), name="steep")

    def f(x):
        return steep(x).sum()

    with pytest.raises(GradcheckError) as caught:
        given_inputs(f, shapes=[None], max_examples=300)
    (x,) = caught.value.inputs
    value = float(x.ravel()[0])
    assert x.size == 1 and abs(value) > 2 and value.is_integer()  # one simple value
    assert caught.value.culprit.op == "steep"
    assert "check_gradients(f, x)" in caught.value.snippet


def test_importing_autograd_testing_imports_neither_torch_nor_jax(tmp_path):
    code = ("import sys, autograd.testing, autograd.testing.pytest_plugin\n"
            "from autograd.testing import check_gradients\n"
            "import numpy as np\n"
            "check_gradients(lambda x: (x * x).sum(), np.array([1.0, 2.0]))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'jax')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_plugin_loads_only_pytest_and_its_fixture_reports_as_the_assertion(tmp_path):
    loaded = subprocess.run([sys.executable, "-c", "import sys, autograd.testing.pytest_plugin "
                             "as p; print(sorted(m for m in sys.modules if m.startswith("
                             "('torch', 'jax'))))"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert loaded.stdout.strip() == "[]", loaded.stderr
    (tmp_path / "test_ops.py").write_text(
        "import numpy as np\n"
        "from autograd.testing import defvjp\n"
        "cube = defvjp(lambda x: x ** 3, lambda ans, x: lambda g: g * 2 * x * x, name='cube')\n"
        "square = defvjp(lambda x: x ** 2, lambda ans, x: lambda g: g * 2 * x, name='square')\n"
        "def test_cube(gradients):\n"
        "    gradients(lambda x: cube(x).sum(), np.array([0.5, 2.0]))\n"
        "def test_square(gradients):\n"
        "    gradients(lambda x: square(x).sum(), np.array([0.5, 2.0]))\n"
        "def test_square_everywhere(gradients):\n"
        "    gradients.given(lambda x: square(x).sum(), shapes=[(3,)], max_examples=20)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # as a user's project runs it: the installed package's entry point loads the plugin; and
    # named with -p alone, no other plugin loaded (the entry point must not load it twice)
    for options, extra_env in (([], {}), (["-p", "autograd.testing.pytest_plugin"],
                                          {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})):
        run = subprocess.run([sys.executable, "-m", "pytest", *options, "-p", "no:cacheprovider",
                              "-q", "test_ops.py"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300, env={**env, **extra_env})
        assert "1 failed, 2 passed" in run.stdout, run.stdout + run.stderr
        assert "The first wrong rule in the backward pass: 'cube'" in run.stdout
        assert "Traceback" not in run.stdout.split("FAILURES")[1].split("short test summary")[0]


def test_pyproject_declares_the_plugin_the_extras_and_the_markers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"]["gategrad"] == \
        "autograd.testing.pytest_plugin"
    assert project["project"]["optional-dependencies"]["torch"] == ["torch==2.13.0"]
    assert any(d.startswith("jax") for d in project["project"]["optional-dependencies"]["jax"])
    markers = " ".join(project["tool"]["pytest"]["ini_options"]["markers"])
    assert markers.startswith("torch:") and "jax:" in markers
    makefile = (ROOT / "Makefile").read_text()
    assert '-m "not torch and not jax"' in makefile and "test-frameworks:" in makefile
    assert "make test-frameworks" in (ROOT / ".ci" / "run").read_text()
