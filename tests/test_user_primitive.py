"""A primitive registered in a test module, with `autograd.primitive` and a numpy twin, is picked
up by the op-table tests through its row alone: the property tests (finite differences, second
derivatives, Scalar against Tensor), the mutation tests and the random expressions, with no
other file touched.

Loaded by pytest as a plugin (`-p test_user_primitive`), this module registers the primitive
before the tests are collected, as a user's conftest would; the test below runs the three test
files that way in a subprocess and keeps the tests of the new op. Collected as an ordinary test
module it registers nothing, so the rest of the suite never sees the op.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import autograd

NAME = "test_user_softplus"
TESTS = Path(__file__).resolve().parent


def softplus_vjp(g, out, x):
    return (g * autograd.sigmoid(x),)  # the engine's function: works on graph values too


def pytest_configure(config):
    """Called only when pytest loads this module as a plugin: register the primitive."""
    @autograd.primitive(softplus_vjp, name=NAME, twin=lambda x: np.log(1.0 + np.exp(x)))
    def softplus(x):
        return np.logaddexp(0.0, x)


def test_the_op_table_tests_pick_up_a_primitive_registered_here(tmp_path):
    files = ["test_ops_properties.py", "test_mutations.py", "test_expressions.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "test_user_primitive", "-p", "no:cacheprovider",
         "-v", "-k", NAME, *(str(TESTS / f) for f in files)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(TESTS), os.environ.get("PYTHONPATH", "")])))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    passed = re.findall(r"^\S*tests/(\S+?)::(.+?) PASSED", run.stdout, re.MULTILINE)
    by_file = {f: sorted(test for file, test in passed if file == f) for f in files}
    assert by_file["test_ops_properties.py"] == sorted(
        f"{test}[{NAME}]" for test in (
            "test_tensor_gradients_match_finite_differences",
            "test_scalar_gradients_match_finite_differences",
            "test_second_derivatives_match_finite_differences",
            "test_scalar_and_tensor_versions_of_an_op_agree"))
    assert by_file["test_mutations.py"] == sorted(
        f"test_the_op_property_catches_a_wrong_rule[{NAME}-{what}]" for what in (
            "sign flip of input 0", "missing factor of input 0", "the rule at the wrong point"))
    assert by_file["test_expressions.py"] == [
        f"test_each_op_in_random_expressions_equals_its_twin_and_passes_gradcheck[{NAME}]"]
    assert NAME not in autograd.OPS  # this process never registered it
