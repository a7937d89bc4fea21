"""check_gradients on PyTorch and JAX code (marked torch / jax: `make test-frameworks`): random
programs with a wrong backward planted in a custom Function / custom_vjp are caught and the
report names exactly that node and line; right programs, at kinks and in float32, raise
nothing; the property search finds an overflow a fixed-input check misses and shrinks it."""

import subprocess
import sys

import numpy as np
import pytest
from random_programs import program_inputs, random_program, write_program

from autograd.testing import GradcheckError, check_gradients

FRAMEWORKS = [pytest.param("torch", marks=pytest.mark.torch),
              pytest.param("jax", marks=pytest.mark.jax)]


@pytest.fixture
def lib(request):
    """The framework module of the test's parameter, imported only when these tests run."""
    if request.node.callspec.params["framework"] == "torch":
        import torch
        return torch
    import jax
    return jax


def _inputs(framework, arrays, dtype="float64"):
    from autograd.testing.given import to_input
    return [to_input(a, framework, dtype) for a in arrays]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_planted_wrong_backward_is_named_with_its_line(framework, lib, tmp_path):
    rng = np.random.default_rng(25)
    for i in range(30 if framework == "torch" else 12):
        program = write_program(random_program(rng, framework, slip=True,
                                               steps=int(rng.integers(2, 7))),
                                tmp_path, f"wrong_{framework}_{i}")
        x0, x1 = program_inputs(rng, "random", broadcast=i % 3 == 0)
        with pytest.raises(GradcheckError) as caught:
            check_gradients(program.f, *_inputs(framework, [x0, x1]))
        culprit = caught.value.culprit
        assert culprit is not None, (program.source, str(caught.value))
        assert culprit.op == "Planted", (program.source, str(caught.value))
        assert culprit.site[0].filename == str(program.path)
        assert culprit.site[0].lineno == program.line, (program.source, str(caught.value))
        assert culprit.rule != pytest.approx(culprit.numeric, rel=1e-3)
        assert culprit.kind in ("torch.autograd.Function", "custom_vjp")
        assert culprit.input_dtypes == ("float64",)
        text = str(caught.value)
        assert f"{program.path.name}:{program.line}" in text and "'Planted'" in text
        assert set(vars(culprit)) >= {"op", "name", "input_shapes", "element", "rule",
                                      "numeric", "site"}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_right_programs_at_kinks_and_in_float32_raise_nothing(framework, lib, tmp_path):
    rng = np.random.default_rng(7)
    for i in range(60 if framework == "torch" else 16):
        cast32 = i % 5 == 4
        program = write_program(random_program(rng, framework, slip=False, cast32=cast32,
                                               steps=int(rng.integers(2, 7))),
                                tmp_path, f"right_{framework}_{i}")
        x0, x1 = program_inputs(rng, ["random", "kinks"][i % 2], broadcast=i % 3 == 0)
        dtype = "float32" if cast32 or i % 4 == 1 else "float64"
        check_gradients(program.f, *_inputs(framework, [x0, x1], dtype))


@pytest.mark.torch
def test_float32_only_code_is_checked_with_a_stated_float32_tolerance():
    import torch
    weight = torch.tensor([[0.5, -1.0], [2.0, 0.25]])  # float32: f refuses float64 inputs

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2.2 * x  # should be 2 * x

    x = torch.tensor([[0.3, -1.2], [0.8, 2.0]])
    check_gradients(lambda x: torch.tanh(x @ weight), x)  # right: no alarm in float32
    with pytest.raises(GradcheckError) as caught:
        check_gradients(lambda x: Square.apply(x @ weight), x)
    text = str(caught.value)
    assert "(torch, float32)" in text and "float32 tolerance" in text
    assert "cannot run in float64" in text and "step" in text
    assert caught.value.culprit.op == "Square"


@pytest.mark.torch
def test_forward_and_reverse_mode_are_compared_by_the_dot_product_test():
    import torch

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            ctx.y = y
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

        @staticmethod
        def jvp(ctx, t):
            return t * ctx.y * 1.5  # wrong forward mode

    x = torch.tensor([0.1, -0.4, 0.9])
    with pytest.raises(GradcheckError, match="dot-product test.*forward mode is wrong"):
        check_gradients(lambda x: Exp.apply(x).sin(), x)
    check_gradients(lambda x: Exp.apply(x).sin(), x, dot=False)  # reverse mode is right


@pytest.mark.jax
def test_a_wrong_custom_jvp_is_found_through_reverse_mode():
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def cube(x):
        return x ** 3

    @cube.defjvp
    def cube_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return x ** 3, 2 * x * x * t  # should be 3 x^2

    with pytest.raises(GradcheckError) as caught:
        check_gradients(lambda x: jnp.sin(cube(x)), jnp.array([0.5, -1.0, 2.0]))
    assert caught.value.culprit.op == "cube" and "custom_jvp" in str(caught.value)


@pytest.mark.torch
def test_random_nodes_are_reported_as_not_checked_alone():
    import torch
    x = torch.linspace(-2.0, 2.0, 64)  # (two runs drawing the same mask: 2^-64)
    for _ in range(5):  # whatever the masks drawn
        with pytest.raises(GradcheckError) as caught:
            check_gradients(lambda x: torch.nn.functional.dropout(x.sin(), 0.5, training=True),
                            x)
        text = str(caught.value)
        assert "not deterministic" in text
        assert caught.value.unchecked and "Not checked alone" in text and "random" in text


@pytest.mark.torch
def test_an_in_place_node_is_reported_as_not_checked_alone():
    import torch

    def f(x):
        y = x * 2.0
        y.add_(x.detach() ** 2)  # in place, and a term whose gradient is lost
        return y

    with pytest.raises(GradcheckError) as caught:
        check_gradients(f, torch.tensor([0.5, 1.0, -2.0]))
    text = str(caught.value)
    assert caught.value.culprit is None
    assert "Not checked alone: 'aten.add_.Tensor'" in text and "in place" in text


@pytest.mark.torch
def test_a_value_read_by_python_is_reported_as_data_dependent_not_skipped():
    import torch

    def f(x):
        scale = x.sum().item()  # leaves the graph: its gradient is lost
        return x * scale

    with pytest.raises(GradcheckError) as caught:
        check_gradients(f, torch.tensor([0.5, 1.0, -2.0]))
    text = str(caught.value)
    assert caught.value.culprit is None and "No node is wrong alone" in text
    assert "Not checked alone: 'aten._local_scalar_dense" in text and "data-dependent" in text


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_integer_inputs_are_constants_and_complex_is_refused(framework, lib):
    if framework == "torch":
        x, n, z = lib.tensor([0.5, 2.0]), lib.tensor(3), lib.tensor([1 + 2j])
    else:
        x, n, z = lib.numpy.array([0.5, 2.0]), lib.numpy.array(3), lib.numpy.array([1 + 2j])
    check_gradients(lambda x, n: (x ** n, x * 2), x, n)  # several outputs, an int constant
    with pytest.raises(TypeError, match="input 0 is .*complex.*two real inputs"):
        check_gradients(lambda z: z * z, z)
    with pytest.raises(ValueError, match="nothing to differentiate"):
        check_gradients(lambda n: n * 2, n)


def _lse_torch():
    import torch

    class LogSumExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            m = x.max()
            ctx.save_for_backward(x)
            return m + torch.log(torch.exp(x - m).sum())

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * torch.exp(x) / torch.exp(x).sum()  # overflows for x > 709

    return LogSumExp.apply


@pytest.mark.torch
def test_an_overflowing_backward_is_found_by_the_search_where_a_fixed_input_passes():
    import torch

    from autograd.testing import given_inputs

    lse = _lse_torch()
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lse, (x,))  # PyTorch's own check at a fixed input passes
    check_gradients(lse, x.detach())  # and so does ours
    with pytest.raises(GradcheckError) as caught:
        given_inputs(lse, shapes=[None], max_examples=200)
    error = caught.value
    assert error.culprit.op == "LogSumExp" and "analytic nan" in str(error)
    assert np.max(np.abs(np.concatenate([a.ravel() for a in error.inputs]))) > 700


@pytest.mark.torch
def test_shrinking_ends_at_a_minimal_input_shown_as_a_runnable_snippet(tmp_path):
    from autograd.testing import given_inputs

    module = tmp_path / "my_ops.py"
    module.write_text(
        "import torch\n\n\n"
        "class Clip(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n"
        "        return torch.sin(x)\n\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        x, = ctx.saved_tensors\n"
        "        return g * torch.where(x > 2, 0.5 * torch.cos(x), torch.cos(x))\n\n\n"
        "def clip(x, y):\n"
        "    return Clip.apply(x) * y\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import my_ops
        with pytest.raises(GradcheckError) as caught:
            given_inputs(my_ops.clip, shapes="broadcast", max_examples=300)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_ops", None)
    error = caught.value
    x, y = error.inputs
    assert x.size == 1 and y.size == 1 and x.ndim == 0 and y.ndim == 0  # the smallest shapes
    # the simplest values that fail: the smallest whole number above 2 (3.0, or a value of
    # the special pool such as 30.0 when the failure was first found there) and y = 1
    assert float(x) > 2 and float(x).is_integer() and float(y) == 1.0
    assert "from my_ops import clip" in error.snippet and error.snippet in str(error)
    run = subprocess.run([sys.executable, "-c", error.snippet], cwd=tmp_path, text=True,
                         capture_output=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": f"{tmp_path}:"
                              + __import__("os").environ.get("PYTHONPATH", "")})
    assert run.returncode != 0 and "GradcheckError" in run.stderr and "'Clip'" in run.stderr


@pytest.mark.parametrize("framework, name", [pytest.param("torch", "my_op.py",
                                                          marks=pytest.mark.torch),
                                             pytest.param("jax", "my_jax_op.py",
                                                          marks=pytest.mark.jax)])
def test_the_readme_examples_print_the_reports_shown(framework, name, tmp_path):
    import re

    from test_readme import README, run, shown_output
    section = README.read_text().split("### Testing PyTorch and JAX gradients")[1]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    block = blocks[0] if framework == "torch" else blocks[1]
    done = run(block, tmp_path, name)
    assert done.returncode != 0
    report = done.stderr[done.stderr.index("GradcheckError: ") + len("GradcheckError: "):]
    assert report.rstrip("\n").splitlines() == shown_output(block)  # line for line
    fixed = block.replace("torch.tanh(x) ** 2", "torch.tanh(x)").replace(
        "jnp.exp(x)),)", "jnp.exp(-x)),)")
    assert run(fixed, tmp_path, name).returncode == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_property_search_calls_no_kink_or_tie_a_failure(framework, lib):
    from autograd.testing import given_inputs
    if framework == "torch":
        def kinked(x, y):
            return lib.maximum(x, y).relu() * x.abs() + lib.clamp(y, -1.0, 1.0) + \
                lib.minimum(x, y)
    else:
        def kinked(x, y):
            jnp = lib.numpy
            return lib.nn.relu(jnp.maximum(x, y)) * jnp.abs(x) + jnp.clip(y, -1.0, 1.0) + \
                jnp.minimum(x, y)
    given_inputs(kinked, shapes="broadcast", framework=framework,
                 max_examples=150 if framework == "torch" else 15)
    given_inputs(kinked, shapes="broadcast", framework=framework, dtype="float32",
                 max_examples=60 if framework == "torch" else 8)


@pytest.mark.torch
def test_given_inputs_as_a_decorator_makes_a_test_of_the_function_under_test():
    import inspect

    import torch
    from autograd.testing import given_inputs

    @given_inputs(shapes=[(3,)], max_examples=20)
    def test_softplus(x):
        return torch.nn.functional.softplus(x)

    assert inspect.signature(test_softplus).parameters == {}  # pytest asks for no fixture
    test_softplus()

    @given_inputs(shapes=[(3,)], max_examples=50)
    def test_wrong(x):
        return _lse_torch()(x) * 0 + x.sin().detach() * x  # a lost term: always wrong

    with pytest.raises(GradcheckError, match="this reproduces it"):
        test_wrong()


@pytest.mark.jax
def test_a_jax_failure_shrinks_to_a_jax_snippet():
    import jax
    import jax.numpy as jnp
    from autograd.testing import given_inputs

    @jax.custom_vjp
    def lse(x):
        return jax.nn.logsumexp(x)

    lse.defvjp(lambda x: (lse(x), x),
               lambda x, g: (g * jnp.exp(x) / jnp.exp(x).sum(),))  # overflows beyond 709

    with pytest.raises(GradcheckError) as caught:
        given_inputs(lse, shapes=[(2,)], max_examples=100)
    error = caught.value
    assert error.culprit.op == "lse" and "(custom_vjp," in str(error)
    assert "import jax.numpy as jnp" in error.snippet and "jnp.array([" in error.snippet
    assert 'jax.config.update("jax_enable_x64", True)' in error.snippet
