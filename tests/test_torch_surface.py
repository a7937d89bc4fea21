"""PyTorch as an extra oracle for the surface a PyTorch user types (marked `torch`, as
tests/test_torch_oracle.py: `make test-torch` installs torch==2.13.0, the CPU wheel; `make test`
does not need it): comparisons, conversions, and the values and gradients of the common ops at
their kinks and ties, where conventions differ between libraries. PyTorch's side of each case
is a function of the torch module and a torch tensor."""

import math

import numpy as np
import pytest

import autograd
from autograd import Scalar, Tensor


@pytest.fixture(scope="module")
def torch():
    """PyTorch, imported only when these tests run (no skip: without it they are an error)."""
    import torch
    return torch


pytestmark = pytest.mark.torch

SPECIAL = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0, 3.0])  # kinks, bounds and a tie


def both(torch, f_ours, f_torch, *arrays):
    """The value and the gradients (of the sum) of f on our Tensors and on torch's."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, ref = f_ours(*ours), f_torch(torch, *theirs)
    out.sum().backward()
    ref.sum().backward()
    return (out.data, [x.grad for x in ours]), (ref.detach().numpy(),
                                                [x.grad.numpy() for x in theirs])


@pytest.mark.parametrize("name, ours, theirs", [
    ("abs", lambda x: abs(x), lambda torch, t: t.abs()),
    ("sqrt", lambda x: abs(x).sqrt(), lambda torch, t: t.abs().sqrt()),
    ("square", lambda x: x.square(), lambda torch, t: t.square()),
    ("clamp", lambda x: x.clamp(-1.0, 1.0), lambda torch, t: t.clamp(-1.0, 1.0)),
    ("clamp min", lambda x: x.clip(min=0.5), lambda torch, t: t.clamp(min=0.5)),
    ("minimum", lambda x: x.minimum(1.0),
     lambda torch, t: torch.minimum(t, torch.tensor(1.0, dtype=t.dtype))),
    ("min", lambda x: x.min(), lambda torch, t: t.min()),
    ("amin axis", lambda x: x.reshape(2, 4).min(axis=1),
     lambda torch, t: t.reshape(2, 4).amin(dim=1)),
    ("var", lambda x: x.var(ddof=1), lambda torch, t: t.var()),
    ("var ddof 0", lambda x: x.var(), lambda torch, t: t.var(correction=0)),
    ("std", lambda x: x.std(ddof=1), lambda torch, t: t.std()),
    ("softplus", lambda x: x.softplus(), lambda torch, t: torch.nn.functional.softplus(t)),
    ("log1p", lambda x: (x + 2.5).log1p(), lambda torch, t: (t + 2.5).log1p()),
    ("where", lambda x: autograd.where(x > 0, x, x * x),
     lambda torch, t: torch.where(t > 0, t, t * t)),
    ("double of float", lambda x: x.float().double(), lambda torch, t: t.float().double()),
])
def test_values_and_gradients_at_kinks_and_ties_match_pytorch(torch, name, ours, theirs):
    with np.errstate(divide="ignore", invalid="ignore"):  # sqrt'(0) = inf, times abs'(0) = 0
        (value, grads), (ref_value, ref_grads) = both(torch, ours, theirs, SPECIAL)
    np.testing.assert_allclose(value, ref_value, rtol=1e-6 if "float" in name else 1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_match_pytorch(torch, op):
    a = np.array([1.0, np.nan, np.inf, -0.0, 2.0])
    b = np.array([1.0, np.nan, np.inf, 0.0, -1.0])
    ours = getattr(Tensor(a), f"__{op}__")(Tensor(b))
    theirs = getattr(torch.tensor(a), op)(torch.tensor(b))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.bool_ and theirs.dtype == torch.bool


CONVERSIONS = {"bool": bool, "float": float, "int": int, "item": lambda v: v.item(),
               "tolist": lambda v: v.tolist(), "len": len, "list": lambda v: len(list(v)),
               "format": lambda v: format(v, ".3f"), "str format": lambda v: f"{v}"}


@pytest.mark.parametrize("data", [[2.5], 0.0, -1.75, [1.0, 2.0], [[1.0]], [], [True]],
                         ids=str)
@pytest.mark.parametrize("conversion", CONVERSIONS)
def test_conversions_give_what_pytorch_gives_or_refuse_as_it_does(torch, conversion, data):
    convert = CONVERSIONS[conversion]
    dtype = torch.bool if data == [True] else torch.float64
    try:
        expected = convert(torch.tensor(data, dtype=dtype))
    except (TypeError, ValueError, RuntimeError):
        expected = "refused"
    try:
        got = convert(Tensor(data))
    except (TypeError, ValueError):  # (bool() and item() of many: ValueError, PyTorch's Runtime)
        got = "refused"
    if conversion == "str format" and expected != "refused" and np.ndim(data):
        expected = got  # the repr of a whole tensor: its own spelling in each library
    assert got == expected and type(got) is type(expected)


def test_argmax_argmin_and_shape_helpers_match_pytorch(torch):
    x = np.array([[1.0, 5.0, 5.0], [7.0, -1.0, 0.0]])
    t = torch.tensor(x)
    assert Tensor(x).argmax().item() == t.argmax().item()
    np.testing.assert_array_equal(Tensor(x).argmin(axis=0).data, t.argmin(dim=0).numpy())
    y = np.zeros((2, 1, 3))
    for ours, theirs in [(lambda v: v.squeeze(), lambda v: v.squeeze()),
                         (lambda v: v.unsqueeze(0), lambda v: v.unsqueeze(0)),
                         (lambda v: v.flatten(1), lambda v: v.flatten(1)),
                         (lambda v: v.view(3, 2), lambda v: v.view(3, 2))]:
        assert ours(Tensor(y)).shape == tuple(theirs(torch.tensor(y)).shape)


def test_scalar_comparisons_and_max_as_python_numbers(torch):
    assert max(Scalar(1.0), Scalar(3.0)).data == max(torch.tensor(1.0), torch.tensor(3.0)).item()
    assert (Scalar(math.nan) == math.nan) is (torch.tensor(math.nan) == math.nan).item()


POINTS = [0.0, -0.0, 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 800.0, -800.0, math.inf, -math.inf,
          math.nan]
ELEMENTWISE = {
    "abs": (lambda x: abs(x), lambda torch, t: t.abs()),
    "sqrt": (lambda x: x.sqrt(), lambda torch, t: t.sqrt()),
    "square": (lambda x: x.square(), lambda torch, t: t.square()),
    "log1p": (lambda x: x.log1p(), lambda torch, t: t.log1p()),
    "softplus": (lambda x: x.softplus(), lambda torch, t: torch.nn.functional.softplus(t)),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda torch, t: t.clamp(-1.0, 1.0)),
    "minimum": (lambda x: x.minimum(1.0),
                lambda torch, t: torch.minimum(t, torch.tensor(1.0, dtype=t.dtype))),
}
KNOWN = {("softplus", 20.0): "PyTorch's softplus is linear above its threshold, 20: its second "
                             "derivative there is 0, ours sigmoid'(20) = 2.06e-9, the exact one"}


def _torch_derivatives(torch, f, x, orders=2):
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    out, results = f(torch, t).sum(), []
    for _ in range(orders):
        (d,) = torch.autograd.grad(out, t, create_graph=True, allow_unused=True)
        if d is None or not d.requires_grad:  # constant from here on
            results.append(0.0 if d is None else float(d.item()))
            return results + [0.0] * (orders - len(results))
        results.append(float(d.item()))
        out = d.sum()
    return results


@pytest.mark.parametrize("x", POINTS, ids=str)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_first_and_second_derivatives_at_special_points_as_pytorch(torch, name, x):
    if (name, x) in KNOWN:
        pytest.xfail(KNOWN[name, x])
    ours, theirs = ELEMENTWISE[name]
    want = _torch_derivatives(torch, theirs, x)
    for wrap in (Tensor, Scalar):
        f, got = ours, []
        with np.errstate(all="ignore"):
            for _ in range(2):
                f = autograd.grad(f)
                value = f(wrap(x))
                got.append(float(np.asarray(getattr(value, "data", value))))
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{name} at {x} ({wrap})")
