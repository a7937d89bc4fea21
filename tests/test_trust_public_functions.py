"""One way to reach raw data and a public function for every op (issue 23): the elementwise
functions (`autograd.minimum`, `abs`, `log1p`, `softplus`, `clip`, `power`, ... ) take floats,
arrays and graph values alike through the one fallback of `autograd.kernels`; every op row is
reachable as a public function, a method or an operator; `nn.losses` uses the `softplus` op;
the core reads raw data only through `kernels.raw`."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from autograd import OPS, Scalar, Tensor

ELEMENTWISE = {  # the public function, the method it equals, the op, a numpy twin
    "exp": (autograd.exp, lambda v: v.exp(), np.exp),
    "log": (autograd.log, lambda v: v.log(), np.log),
    "sqrt": (autograd.sqrt, lambda v: v.sqrt(), np.sqrt),
    "sigmoid": (autograd.sigmoid, lambda v: v.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    "tanh": (autograd.tanh, lambda v: v.tanh(), np.tanh),
    "relu": (autograd.relu, lambda v: v.relu(), lambda a: np.maximum(a, 0.0)),
    "abs": (autograd.abs, lambda v: abs(v), np.abs),
    "log1p": (autograd.log1p, lambda v: v.log1p(), np.log1p),
    "softplus": (autograd.softplus, lambda v: v.softplus(), lambda a: np.logaddexp(0.0, a)),
    "maximum": (lambda v: autograd.maximum(v, 1.5), lambda v: v.maximum(1.5),
                lambda a: np.maximum(a, 1.5)),
    "minimum": (lambda v: autograd.minimum(1.5, v), lambda v: v.minimum(1.5),
                lambda a: np.minimum(a, 1.5)),
    "clip": (lambda v: autograd.clip(v, 0.5, 2.0), lambda v: v.clip(0.5, 2.0),
             lambda a: np.clip(a, 0.5, 2.0)),
    "pow": (lambda v: autograd.power(v, 3.0), lambda v: v ** 3.0, lambda a: np.power(a, 3.0)),
}
POINTS = np.array([0.25, 1.0, 1.75, 3.0])


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_each_elementwise_function_takes_floats_arrays_ints_and_graph_values(name):
    function, method, twin = ELEMENTWISE[name]
    np.testing.assert_allclose(function(POINTS), twin(POINTS), rtol=1e-12)
    assert function(1.75) == pytest.approx(twin(1.75)) and type(function(1.75)) is float
    assert function(2) == pytest.approx(float(twin(2.0)))  # an int computes as a float
    for wrap in (Scalar, Tensor):
        x, y = wrap(1.75, requires_grad=True), wrap(1.75, requires_grad=True)
        out, expected = function(x), method(y)
        assert out.op is not None and out.op.name == expected.op.name
        out.backward()
        expected.backward()
        assert float(x.grad) == pytest.approx(float(y.grad))
    with pytest.raises(TypeError, match="expected a Scalar or a Tensor, got str"):
        function("1.0")


def test_a_graph_bound_of_clip_is_refused_naming_it():
    with pytest.raises(TypeError, match="clip: input 1 must be a constant, got a Scalar"):
        autograd.clip(1.0, Scalar(0.0), None)
    with pytest.raises(TypeError, match="clip: the bounds must be constants"):
        autograd.clip(Scalar(1.0), Scalar(0.0), None)
    assert autograd.clip(5.0, hi=2.0) == 2.0 and autograd.clip(-5, lo=0) == 0.0


EXEMPT = {"scatter_add": "internal: the gradient of indexing, never typed"}
OPERATORS = {"add": "+", "sub": "-", "neg": "unary -", "identity": "unary +", "mul": "*",
             "div": "/", "pow": "** a number", "power": "** a graph value", "matmul": "@",
             "getitem": "[]"}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_row_is_a_public_function_a_method_or_an_operator(name):
    op = OPS[name]
    if name.startswith("test_") or name in EXEMPT or name in OPERATORS:
        return  # (a primitive registered by another test module; see the two tables above)
    if op.tensor_only:
        assert hasattr(autograd, name) or hasattr(Tensor, name), name
    else:
        function = getattr(autograd, name, None)
        assert callable(function), f"autograd.{name} is missing"
        x = Scalar(0.75, requires_grad=True)
        extra = {"maximum": (1.0,), "minimum": (1.0,), "clip": (0.0, 1.0),
                 "where": None}.get(name, ())
        if extra is None:
            return  # where(cond, a, b): autograd.where, tested in test_common_ops
        assert function(x, *extra).op is op


def test_binary_cross_entropy_with_logits_is_softplus_minus_z_y_as_one_softplus_node():
    z = Tensor([-800.0, -2.0, 0.0, 3.0, 800.0], requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    loss = nn.losses.binary_cross_entropy_with_logits(z, y, reduction="sum")
    names = [node.op.name for node in autograd.toposort(loss)]
    assert names.count("softplus") == 1 and "exp" not in names and "log" not in names
    expected = np.logaddexp(0.0, z.data) - z.data * y
    np.testing.assert_allclose(loss.data, expected.sum(), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, 1 / (1 + np.exp(-z.data)) - y, rtol=1e-12, atol=1e-300)
    # second derivatives too: sigmoid(z) (1 - sigmoid(z))
    (g,) = autograd.gradients(nn.losses.binary_cross_entropy_with_logits(
        z, y, reduction="sum"), Tensor(1.0), [z], create_graph=True)
    (h,) = autograd.gradients(g.sum(), np.array(1.0), [z])
    s = 1 / (1 + np.exp(-z.data))
    np.testing.assert_allclose(h, s * (1 - s), rtol=1e-9, atol=1e-300)
    assert math.isfinite(loss.item())


OWN_MODULES = ["kernels", "ops", "graph", "modes", "value", "scalar", "tensor", "anomaly",
               "origin", "interop", "selection", "joining", "labels", "factories",
               "functional", "errors"]


def _inline_raw_reads(path):
    """The lines of `path` that read a graph value's data with an idiom of their own:
    `getattr(v, "data", v)` or `v.data if isinstance(v, ...) else v`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and \
                len(node.args) == 3 and getattr(node.args[1], "value", None) == "data":
            found.append(node.lineno)
        if isinstance(node, ast.IfExp) and isinstance(node.body, ast.Attribute) and \
                node.body.attr == "data" and isinstance(node.test, ast.Call) and \
                getattr(node.test.func, "id", None) == "isinstance":
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("module", OWN_MODULES + ["nn/losses"])
def test_the_engine_reads_raw_data_one_way(module):
    package = Path(autograd.__file__).resolve().parent
    path = package.parent / f"{module}.py" if "/" in module else package / f"{module}.py"
    assert _inline_raw_reads(path) == [], f"{path.name}: use kernels.raw"
