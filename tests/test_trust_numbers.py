"""Numbers as PyTorch gives them (issue 21, items 8-10 and the graph-valued exponent): std at
zero spread, the dtype and kind of a 0-d leaf's gradient, Scalar `**` at -0.0 and -inf, and
`x ** y` with gradients to both. Closed forms and finite differences run without torch; the
same points against PyTorch 2.13 are marked `torch`."""

import math

import numpy as np
import pytest

import autograd
import autograd.testing
from autograd import Scalar, Tensor


@pytest.fixture(scope="module")
def torch():
    """PyTorch, imported only when the tests marked `torch` run (no skip: without it they are
    an error)."""
    import torch
    return torch


# ---- item 8: std with zero spread --------------------------------------------------------------


@pytest.mark.parametrize("shape, axis, ddof", [((2, 3), -1, 0), ((2, 3), None, 0), ((3, 1), -1, 0),
                                               ((2, 3), 1, 1), ((4,), 0, 0)])
def test_std_of_a_constant_row_has_gradient_zero_not_nan(shape, axis, ddof):
    x = Tensor(np.full(shape, 1.5), requires_grad=True)
    x.std(axis=axis, ddof=ddof).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(shape))


def test_layer_norm_of_a_constant_row_keeps_every_gradient_finite():
    rows = np.array([[2.0, 2.0, 2.0, 2.0], [0.5, -1.0, 3.0, 0.25]])
    x = Tensor(rows, requires_grad=True)
    w = Tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)
    normed = (x - x.mean(axis=-1, keepdims=True)) / (x.std(axis=-1, keepdims=True) + 1e-5)
    (normed * w).sum().backward()
    assert np.all(np.isfinite(x.grad)) and np.all(np.isfinite(w.grad))
    # a constant row: std's gradient is 0 there, so only the centring counts: (w - mean w) / eps
    np.testing.assert_allclose(x.grad[0], (w.data - w.data.mean()) / 1e-5, rtol=1e-9)
    # the other row: central finite differences
    def f(values):
        centred = values - values.mean()
        return float((centred / (values.std() + 1e-5) * w.data).sum())
    h, numeric = 1e-6, []
    for i in range(4):
        step = np.zeros(4)
        step[i] = h
        numeric.append((f(rows[1] + step) - f(rows[1] - step)) / (2 * h))
    np.testing.assert_allclose(x.grad[1], numeric, rtol=1e-6)


@pytest.mark.torch
def test_std_and_layer_norm_at_zero_spread_match_pytorch(torch):
    rows = np.array([[2.0, 2.0, 2.0, 2.0], [0.5, -1.0, 3.0, 0.25]])
    w = np.array([1.0, -2.0, 0.5, 3.0])
    for axis, ddof in [(-1, 0), (-1, 1), (0, 0)]:
        x, t = Tensor(rows, requires_grad=True), torch.tensor(rows, requires_grad=True)
        normed = (x - x.mean(axis=axis, keepdims=True)) / \
            (x.std(axis=axis, ddof=ddof, keepdims=True) + 1e-5)
        ref = (t - t.mean(dim=axis, keepdim=True)) / \
            (t.std(dim=axis, correction=ddof, keepdim=True) + 1e-5)
        (normed * w).sum().backward()
        (ref * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-9)
    ones = np.ones((3, 1))
    x, t = Tensor(ones, requires_grad=True), torch.tensor(ones, requires_grad=True)
    x.std(axis=1).sum().backward()
    t.std(dim=1, correction=0).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_std_elsewhere_is_var_sqrt_and_differentiates_twice():
    data = np.array([[0.5, 1.0, 3.0], [2.0, -1.0, 0.0]])
    x = Tensor(data, requires_grad=True)
    x.std(axis=1, ddof=1).sum().backward()
    centred = data - data.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad, centred / (2 * data.std(axis=1, ddof=1, keepdims=True)),
                               rtol=1e-12)
    hessian_v = autograd.hvp(lambda v: v.std(), Tensor(data), Tensor(np.ones_like(data)))
    assert np.all(np.isfinite(np.asarray(getattr(hessian_v, "data", hessian_v))))


# ---- item 9: a 0-d leaf's gradient is a 0-d array of its dtype ---------------------------------

ZERO_D = {
    "add": lambda s, v: (s + v).sum(),
    "sub": lambda s, v: (v - s).sum(),
    "where": lambda s, v: autograd.where(v.data > 0, s, v).sum(),
    "mean": lambda s, v: (s * 1.0 + v).mean(),
    "broadcast_to": lambda s, v: s.broadcast_to((2, 3)).sum(),
    "np.add": lambda s, v: np.add(s, v).sum(),
    "mul": lambda s, v: (s * v).sum(),
    "itself": lambda s, v: s,
    "twice": lambda s, v: (s + v).sum() + (s - v).sum(),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_a_0d_leaf_gets_a_0d_array_of_its_dtype(name, dtype):
    s = Tensor(2.0, requires_grad=True, dtype=dtype)
    v = Tensor(np.arange(6.0).reshape(2, 3) - 2.0, dtype=dtype)
    for _ in range(2):  # a fresh gradient, then an accumulated one
        ZERO_D[name](s, v).backward()
        assert type(s.grad) is np.ndarray and s.grad.shape == () and s.grad.dtype == dtype, \
            (type(s.grad), getattr(s.grad, "dtype", None))
    s.grad[...] = 0.0
    assert s.grad == 0.0


@pytest.mark.torch
@pytest.mark.parametrize("name", ["add", "sub", "mean", "broadcast_to", "mul", "twice"])
def test_a_0d_leaf_gradient_is_what_pytorch_gives(torch, name):
    s = Tensor(2.0, requires_grad=True, dtype=np.float32)
    v = Tensor(np.arange(6.0).reshape(2, 3) - 2.0, dtype=np.float32)
    ZERO_D[name](s, v).backward()
    ts = torch.tensor(2.0, requires_grad=True)
    tv = torch.tensor(v.data)
    them = {"add": lambda: (ts + tv).sum(), "sub": lambda: (tv - ts).sum(),
            "mean": lambda: (ts * 1.0 + tv).mean(), "broadcast_to": lambda: ts.expand(2, 3).sum(),
            "mul": lambda: (ts * tv).sum(), "twice": lambda: (ts + tv).sum() + (ts - tv).sum()}
    them[name]().backward()
    assert ts.grad.shape == torch.Size([]) and ts.grad.dtype == torch.float32
    assert s.grad.shape == () and s.grad.dtype == np.float32
    np.testing.assert_allclose(s.grad, ts.grad.numpy(), rtol=1e-6)


# ---- item 10: Scalar ** at -0.0 and -inf, as Tensor and numpy ----------------------------------

SPECIAL_BASES = [-0.0, 0.0, -math.inf, math.inf, -2.0, 2.0, -1.0, math.nan]
EXPONENTS = [-3.0, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]


def test_scalar_power_at_negative_zero_is_signed_as_numpy():
    assert Scalar(-0.0) ** -1 == -math.inf and (Scalar(-0.0) ** -1).data == -math.inf
    assert (Scalar(-0.0) ** -3).data == -math.inf and (Scalar(-0.0) ** -2).data == math.inf
    x = Scalar(-0.0)
    (x ** -2).backward()  # -2 x**-3 = -2 * -inf
    assert x.grad == math.inf
    x = Scalar(-math.inf)
    (x ** 1.5).backward()  # 1.5 (-inf)**0.5 = 1.5 sqrt(-inf)
    assert math.isnan(x.grad)


@pytest.mark.parametrize("c", EXPONENTS)
@pytest.mark.parametrize("base", SPECIAL_BASES, ids=str)
def test_scalar_and_tensor_agree_on_power_and_its_derivative(base, c):
    s, t = Scalar(base), Tensor(base, requires_grad=True)
    with np.errstate(all="ignore"):
        out_s, out_t = s ** c, t ** c
        out_s.backward()
        out_t.backward()
    assert str(out_s.data) == str(float(out_t.data)), (out_s.data, out_t.data)
    assert str(s.grad) == str(float(t.grad)), (s.grad, t.grad)


@pytest.mark.torch
@pytest.mark.parametrize("c", [-3.0, -2.0, -1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("base", [-0.0, 0.0, -math.inf, math.inf, -2.0], ids=str)
def test_scalar_power_and_derivative_at_special_points_as_pytorch(torch, base, c):
    s = Scalar(base)
    with np.errstate(all="ignore"):
        out = s ** c
        out.backward()
    t = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    ref = t ** c
    ref.backward()
    np.testing.assert_equal(out.data, ref.item())
    np.testing.assert_equal(s.grad, t.grad.item())


# ---- a graph-valued exponent: x ** y with gradients to both ------------------------------------

def test_scalar_to_a_scalar_has_both_gradients_in_closed_form():
    x, y = Scalar(2.0), Scalar(3.0)
    out = x ** y
    out.backward()
    assert out.data == 8.0 and out.op.name == "power"
    assert x.grad == pytest.approx(12.0) and y.grad == pytest.approx(8.0 * math.log(2.0))


def test_tensor_power_broadcasts_and_matches_finite_differences():
    rng = np.random.default_rng(5)
    xs, ys = rng.uniform(0.5, 2.0, size=(2, 3)), rng.uniform(-1.5, 1.5, size=(3,))
    x, y = Tensor(xs, requires_grad=True), Tensor(ys, requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_allclose(x.grad, ys * xs ** (ys - 1), rtol=1e-12)
    np.testing.assert_allclose(y.grad, (xs ** ys * np.log(xs)).sum(axis=0), rtol=1e-12)
    assert autograd.testing.gradcheck(lambda a, b: (a ** b).sum(), x, y)


def test_constant_bases_and_array_exponents_make_power_nodes():
    y = Tensor([0.5, 1.0, 2.0], requires_grad=True)
    (2.0 ** y).sum().backward()
    np.testing.assert_allclose(y.grad, 2.0 ** y.data * math.log(2.0))
    x = Tensor([1.5, 2.0, 3.0], requires_grad=True)
    (x ** np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 4.0, 27.0])
    z = Tensor([2.0, 3.0], requires_grad=True)
    np.power(z, z).sum().backward()  # numpy's spelling reaches the same op
    np.testing.assert_allclose(z.grad, z.data ** z.data * (np.log(z.data) + 1.0))


def test_power_has_second_derivatives():
    # d2/dy2 x**y = x**y (log x)**2; d2/dx dy = x**(y-1) (1 + y log x)
    f_yy = autograd.grad(autograd.grad(lambda y: Scalar(3.0, requires_grad=False) ** y))
    assert f_yy(Scalar(2.0)).data == pytest.approx(9.0 * math.log(3.0) ** 2)
    x, y = Scalar(3.0), Scalar(2.0)
    (dx,) = autograd.gradients(x ** y, 1.0, [x], create_graph=True)
    (dxy,) = autograd.gradients(dx, 1.0, [y])
    assert dxy == pytest.approx(3.0 * (1 + 2.0 * math.log(3.0)))


def test_power_at_a_zero_base_takes_pytorchs_values():
    x, y = Tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True), \
        Tensor([0.0, 1.0, 2.0, -1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        out = x ** y
        out.sum().backward()
    np.testing.assert_array_equal(out.data, [1.0, 0.0, 0.0, np.inf])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, -np.inf])
    np.testing.assert_array_equal(y.grad[:3], [0.0, 0.0, 0.0])


@pytest.mark.torch
@pytest.mark.parametrize("wrap", [Scalar, Tensor])
def test_power_values_and_both_gradients_match_pytorch(torch, wrap):
    bases = [0.0, -0.0, 2.0, 0.5, -2.0, -0.5, math.inf]
    exponents = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 1.5, -0.5, 0.25]
    for b in bases:
        for e in exponents:
            x, y = wrap(b, requires_grad=True), wrap(e, requires_grad=True)
            with np.errstate(all="ignore"):
                out = x ** y
                out.backward()
            tx = torch.tensor(b, dtype=torch.float64, requires_grad=True)
            ty = torch.tensor(e, dtype=torch.float64, requires_grad=True)
            (tx ** ty).backward()
            got = [float(np.asarray(v)) for v in (out.data, x.grad, y.grad)]
            want = [(tx ** ty).item(), tx.grad.item(), ty.grad.item()]
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{b} ** {e}")
