"""Numerical edges as PyTorch has them: every rule at special points (0, +-inf, nan, ties,
empty arrays), first to third derivatives; Scalar and Tensor agree; empty reductions and
losses work forward and backward."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Scalar, Tensor, grad

# f, then its first three derivatives in closed form (PyTorch's values at the special points)
FUNCTIONS = {
    "x**2": (lambda x: x ** 2, lambda x: 2 * x, lambda x: 2.0, lambda x: 0.0),
    "x**3": (lambda x: x ** 3, lambda x: 3 * x * x, lambda x: 6 * x, lambda x: 6.0),
    "x**1": (lambda x: x ** 1, lambda x: 1.0, lambda x: 0.0, lambda x: 0.0),
    "x**0": (lambda x: x ** 0, lambda x: 0.0, lambda x: 0.0, lambda x: 0.0),
    "exp": (lambda x: x.exp(), math.exp, math.exp, math.exp),
    "tanh": (lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
             lambda x: (1 - math.tanh(x) ** 2) * (6 * math.tanh(x) ** 2 - 2)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: _s(x) * (1 - _s(x)),
                lambda x: _s(x) * (1 - _s(x)) * (1 - 2 * _s(x)),
                lambda x: _s(x) * (1 - _s(x)) * (1 - 6 * _s(x) + 6 * _s(x) ** 2)),
    "relu": (lambda x: x.relu(), lambda x: 1.0 if x > 0 else 0.0, lambda x: 0.0,
             lambda x: 0.0),
}
SPECIAL = [0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 30.0, -30.0]


def _s(x):
    return 1 / (1 + math.exp(-x))


def derivatives(f, x):
    """f'(x), f''(x), f'''(x) by nested grad, for a Scalar and for a one-element Tensor."""
    d1, d2, d3 = grad(f), grad(grad(f)), grad(grad(grad(f)))
    scalar = [d(x) for d in (d1, d2, d3)]
    tensor_f = lambda t: f(t).sum()  # noqa: E731
    t1, t2, t3 = grad(tensor_f), grad(grad(tensor_f)), grad(grad(grad(tensor_f)))
    tensor = [float(d(np.array([x]))[0]) for d in (t1, t2, t3)]
    return scalar, tensor


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("x", SPECIAL)
def test_first_to_third_derivatives_at_special_points_match_the_closed_forms(name, x):
    f, *closed = FUNCTIONS[name]
    scalar, tensor = derivatives(f, x)
    for order, (got_s, got_t, want) in enumerate(zip(scalar, tensor, closed), start=1):
        expected = want(x)
        assert got_s == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, x, order)
        assert got_t == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, x, order)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(set(FUNCTIONS) - {"relu"})),
       st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3))
def test_derivatives_agree_with_finite_differences_of_the_one_below(name, x):
    f = FUNCTIONS[name][0]
    ds = [lambda v: f(Scalar(v)).data, grad(f), grad(grad(f)), grad(grad(grad(f)))]
    eps = 1e-5
    for order in (1, 2, 3):
        below = ds[order - 1]
        numeric = (below(x + eps) - below(x - eps)) / (2 * eps)
        assert ds[order](x) == pytest.approx(numeric, rel=1e-4, abs=1e-5), (name, x, order)


def test_the_issue_examples():
    assert grad(lambda x: x ** 0)(0.0) == 0.0          # was nan
    assert grad(grad(grad(lambda x: x ** 2)))(0.0) == 0.0  # was nan
    assert math.isnan(Scalar(math.nan).relu().data)  # was 0 while the Tensor gave nan
    assert np.isnan(Tensor([math.nan]).relu().data[0])


@pytest.mark.parametrize("a, b", [(math.nan, 1.0), (1.0, math.nan), (2.0, 2.0), (-0.0, 0.0),
                                  (math.inf, 1.0), (-math.inf, -math.inf)])
def test_maximum_agrees_between_scalar_and_tensor_on_nan_ties_and_infinities(a, b):
    # PyTorch: max(a, b) is nan if either is; a tie splits the gradient; nan sends it to both
    x, y = Scalar(a), Scalar(b)
    out = x.maximum(y)
    out.backward()
    tx, ty = Tensor([a], requires_grad=True), Tensor([b], requires_grad=True)
    tout = tx.maximum(ty)
    tout.sum().backward()
    np.testing.assert_array_equal([out.data], tout.data)
    assert (x.grad, y.grad) == (tx.grad[0], ty.grad[0])
    if math.isnan(a) or math.isnan(b):
        assert (x.grad, y.grad) == (1.0, 1.0)
    elif a == b:
        assert (x.grad, y.grad) == (0.5, 0.5)


@pytest.mark.parametrize("v", [0.0, -0.0, math.nan, math.inf, -math.inf, 2.0, -2.0])
@pytest.mark.parametrize("name", ["relu", "exp", "tanh", "sigmoid", "log"])
def test_scalar_and_tensor_agree_at_special_points(name, v):
    with np.errstate(all="ignore"):
        s = getattr(Scalar(v), name)()
        t = getattr(Tensor([v], requires_grad=True), name)()
        s.backward()
        t.sum().backward()
    np.testing.assert_array_equal([s.data], t.data)
    assert (math.isnan(s.grad) and math.isnan(t.grad[0])) if s.grad != s.grad else \
        s.grad == t.grad[0]


@pytest.mark.parametrize("shape, axis", [((0,), None), ((3, 0), 1), ((0, 3), 0), ((0, 3), 1)])
@pytest.mark.parametrize("reduction", ["sum", "mean", "logsumexp"])
def test_empty_reductions_work_forward_and_backward(reduction, shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning either
        out = getattr(x, reduction)(axis=axis)
        expected = {"sum": 0.0, "mean": math.nan, "logsumexp": -math.inf}[reduction]
        if out.size:
            np.testing.assert_array_equal(out.data, np.full(out.shape, expected))
        out.sum().backward()
    assert x.grad.shape == shape


def test_softmax_family_and_losses_of_empty_batches():
    z = Tensor(np.zeros((0, 4)), requires_grad=True)
    for make in (lambda: z.softmax(axis=-1).sum(), lambda: z.log_softmax(axis=-1).sum(),
                 lambda: nn.cross_entropy(z, np.zeros(0, dtype=int), reduction="sum")):
        z.grad = None
        out = make()
        out.backward()
        assert out.data == 0.0 and z.grad.shape == (0, 4)
    with np.errstate(invalid="ignore"):
        mean_loss = nn.cross_entropy(z, np.zeros(0, dtype=int))
    assert math.isnan(mean_loss.data)  # the mean of nothing, as in PyTorch
    p = Tensor(np.zeros(0), requires_grad=True)
    loss = nn.mse(p, np.zeros(0), reduction="sum")
    loss.backward()
    assert loss.data == 0.0 and p.grad.shape == (0,)
