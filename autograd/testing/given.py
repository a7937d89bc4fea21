"""Property-based gradient checks: `given_inputs` draws inputs with hypothesis, checks each with
`check_gradients`, shrinks a failure to the smallest failing input and shows it as a runnable
snippet. Needs hypothesis (the `test` extra), imported here only."""

import contextlib
import inspect
import sys

import numpy as np
from hypothesis import HealthCheck, assume, given, settings

from .frameworks import check_gradients
from .gradcheck import GradcheckError
from .snippet import snippet
from .strategies import hnp, st  # (names the `test` extra when hypothesis is missing)

SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, 1e-8, -1e-8, 1e-300, -1e-300, 30.0, -30.0, 1000.0,
           -1000.0)
"""Values a hand-picked test point rarely hits: zeros of both signs, kinks' neighbourhoods,
tiny and large magnitudes (up to where a step of 1e-6 still moves the input)."""


def special_values(dtype="float64", special=True):
    """Floats of `dtype`: mostly in [-3, 3], with `special` the values of `SPECIAL` often."""
    width = np.dtype(dtype).itemsize * 8
    regular = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, width=width)
    if not special:
        return regular
    pool = sorted({float(np.asarray(v, dtype=dtype)) for v in SPECIAL}, key=abs)
    return st.one_of(regular, st.sampled_from(pool))


@st.composite
def _array(draw, shape, dtype, elements):
    """An array of a drawn shape; sometimes one value everywhere (ties)."""
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    if draw(st.integers(0, 4)) == 4:  # ties: every element equal
        return np.full(shape, draw(elements), dtype=dtype)
    return draw(hnp.arrays(dtype, shape, elements=elements))


def _shapes(shapes, count):
    """A strategy of tuples of `count` shapes."""
    any_shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
    if shapes is None or shapes == "broadcast":
        if count == 1:
            return st.tuples(any_shape)
        return hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=3,
                                                 min_side=0, max_side=4).map(
            lambda result: result.input_shapes)
    parts = []
    for shape in shapes:
        if isinstance(shape, st.SearchStrategy):
            parts.append(shape)
        elif shape is None:
            parts.append(any_shape)
        else:
            parts.append(st.just((shape,) if isinstance(shape, int) else tuple(shape)))
    return st.tuples(*parts)


def _count(f, shapes):
    if shapes is not None and shapes != "broadcast":
        return len(shapes)
    parameters = inspect.signature(f).parameters.values()
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
               for p in parameters)


def _guess_framework(f):
    """"torch" or "jax" when f's code refers to that module (its globals or closure), else
    "numpy"."""
    seen = dict(getattr(f, "__globals__", {}))
    for cell in getattr(f, "__closure__", None) or ():
        try:
            seen[id(cell)] = cell.cell_contents
        except ValueError:
            pass
    kind = type(f).__module__.split(".")[0]  # a jax.custom_vjp, a torch.nn.Module...
    if kind in ("torch", "jax") and kind in sys.modules:
        return kind
    owner = getattr(f, "__self__", None)  # a custom Function's apply
    names = {getattr(v, "__name__", "").split(".")[0] for v in seen.values()
             if inspect.ismodule(v)}
    names.add((getattr(owner, "__module__", "") or "").split(".")[0])
    if any(getattr(v, "__module__", "").startswith("torch") for v in [owner] if v):
        return "torch"
    for framework in ("torch", "jax"):
        if framework in names and framework in sys.modules:
            return framework
    return "numpy"


def _probe(f, shapes, count, dtype):
    """The first of numpy and the loaded frameworks (torch, jax) whose arrays f accepts, for a
    function whose code names no framework (it calls another function that does)."""
    concrete = [s if isinstance(s, tuple) else (s,) if isinstance(s, int) else (2,)
                for s in (shapes if isinstance(shapes, (list, tuple)) else [None] * count)]
    for framework in ("numpy", "torch", "jax"):
        if framework != "numpy" and framework not in sys.modules:
            continue
        try:
            with np.errstate(all="ignore"), _running(framework):
                f(*[to_input(np.full(s, 0.5), framework, dtype) for s in concrete])
            return framework
        except Exception:  # noqa: BLE001, S112 - not this framework's arrays
            continue
    return "numpy"


def _running(framework):
    """The context f runs in: float64 JAX arrays need `jax.enable_x64`."""
    if framework == "jax":
        import jax
        return jax.enable_x64(True)
    return contextlib.nullcontext()


def to_input(array, framework, dtype):
    """A numpy array as an input of `framework` with `dtype`."""
    if framework == "torch":
        import torch
        return torch.tensor(array, dtype=getattr(torch, dtype))
    if framework == "jax":
        import jax
        import jax.numpy as jnp
        with jax.enable_x64(True):
            return jnp.asarray(array, dtype=dtype)
    return np.asarray(array, dtype=dtype)


def _finite(out):
    """True when every floating output of f is finite (outside f's domain otherwise)."""
    if isinstance(out, (tuple, list)):
        return all(_finite(o) for o in out)
    if isinstance(out, dict):
        return all(_finite(o) for o in out.values())
    if type(out).__module__.split(".")[0] == "torch":
        out = out.detach().cpu().numpy()
    out = getattr(out, "data", out) if not hasattr(out, "__array__") else out  # gategrad's
    try:
        data = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return True
    return bool(np.all(np.isfinite(data)))


def given_inputs(f=None, *, shapes=None, dtype="float64", special=True, framework=None,
                 max_examples=None, elements=None, **check_options):
    """Check the gradients of `f` on inputs drawn by hypothesis (`check_gradients` on each);
    on failure, hypothesis shrinks the input and the `GradcheckError` raised for the smallest
    failing one ends with a runnable snippet that reproduces it (also `error.snippet`, and the
    arrays in `error.inputs`).

    `shapes`: one entry per input (a tuple, an int for one axis, None for any shape of up to
    3 axes of 0-4 elements, or a hypothesis strategy of shapes), or None / "broadcast" for
    mutually broadcastable shapes of as many inputs as f takes (empty and one-element shapes
    included). `dtype`: "float64" or "float32" (inputs of that dtype; the check promotes them
    where f allows). `special`: draw zeros of both signs, ties (an array of one value), values
    at and near kinks, tiny and large magnitudes (`SPECIAL`) besides values in [-3, 3];
    `elements` replaces the values strategy. `framework`: "torch", "jax" or "numpy" (default:
    the module f's code refers to, else the first whose arrays f accepts). Inputs where f raises or is not finite, or where finite
    differences are not (outside f's domain), are rejected, not failures; points at kinks are
    judged by one-sided differences (see `check_gradients`).

    Call it in a test, `given_inputs(my_function, shapes=[(3,)])`, or decorate the function
    under test: `@given_inputs(shapes=[(3,)])` makes it a test of no arguments that runs the
    search.
    """
    options = dict(shapes=shapes, dtype=dtype, special=special, framework=framework,
                   max_examples=max_examples, elements=elements, **check_options)
    if f is None:
        def decorate(function):
            def test():
                given_inputs(function, **options)
            test.__name__, test.__qualname__ = function.__name__, function.__qualname__
            test.__doc__ = function.__doc__
            test.__module__ = function.__module__
            test.under_test = function
            return test
        return decorate
    count = _count(f, shapes)
    framework = framework or _guess_framework(f)
    if framework == "numpy":
        framework = _probe(f, shapes, count, dtype)
    values = elements if elements is not None else special_values(dtype, special)

    @st.composite
    def inputs(draw):
        shape_tuple = draw(_shapes(shapes, count))
        return [draw(_array(shape, dtype, values)) for shape in shape_tuple]

    configured = {"database": None, "deadline": None,
                  "suppress_health_check": [HealthCheck.filter_too_much, HealthCheck.too_slow,
                                            HealthCheck.data_too_large]}
    if max_examples is not None:
        configured["max_examples"] = max_examples

    @settings(**configured)
    @given(inputs())
    def search(arrays):
        xs = [to_input(a, framework, dtype) for a in arrays]
        try:
            with np.errstate(all="ignore"), _running(framework):
                out = f(*xs)
        except Exception:  # noqa: BLE001 - an input f does not take: not a gradient failure
            assume(False)
        assume(_finite(out))
        try:
            check_gradients(f, *xs, **check_options)
        except GradcheckError as error:
            assume(not getattr(error, "outside_domain", False))
            error.inputs = [np.array(a) for a in arrays]
            error.snippet = snippet(f, arrays, framework, dtype)
            error.args = (f"{error.args[0]}\nThe smallest failing input hypothesis found; "
                          f"this reproduces it:\n{error.snippet}", *error.args[1:])
            raise

    search()
