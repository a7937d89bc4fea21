"""The JAX adapter: f run in float64 (under `jax.enable_x64`), its reverse mode (jax.vjp) and
forward mode (jax.jvp), and f traced into its jaxpr for the culprit search.

Each equation of the jaxpr is a node; calls of nested jitted functions are inlined, while a
`custom_vjp` or `custom_jvp` function is one node (named as JAX names it), so its own rule is
what is checked. The gradient each node received is the gradient of the weighted output with
respect to a zero added to the node's output. Imported only when a check meets a JAX array.
"""

import os
import traceback

import jax
import jax.numpy as jnp
import numpy as np

from .inputs import argument_names, refuse_complex
from .nodes import Node

_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_INLINED = {"pjit", "jit", "closed_call", "core_call", "remat", "checkpoint"}
_CUSTOM = {"custom_vjp_call": "custom_vjp", "custom_vjp_call_jaxpr": "custom_vjp",
           "custom_jvp_call": "custom_jvp"}


def _is_float(x):
    return jnp.issubdtype(jnp.result_type(x), jnp.floating)


def _float_outputs(out):
    return [o for o in jax.tree_util.tree_leaves(out) if hasattr(o, "dtype") and _is_float(o)]


def _numpy(x):
    return np.asarray(x, dtype=np.float64)


class Adapter:
    """f and its inputs seen by the check (see `check.run` and the PyTorch adapter)."""

    framework = "jax"

    def __init__(self, f, inputs):
        self.f, self.inputs, self.slots = f, list(inputs), []
        for i, x in enumerate(inputs):
            if isinstance(x, (jax.Array, np.ndarray)):
                refuse_complex(i, x.dtype, jnp.issubdtype(x.dtype, jnp.complexfloating))
                if jnp.issubdtype(x.dtype, jnp.floating):
                    self.slots.append(i)
        if not self.slots:
            raise ValueError("check_gradients: no input is a floating JAX array; integer and "
                             "other inputs are constants, so there is nothing to "
                             "differentiate: pass at least one float array")
        self.dtypes = [inputs[i].dtype for i in self.slots]
        self.datas = [_numpy(inputs[i]) for i in self.slots]
        labels = argument_names(f, len(inputs))
        self.names = [f"input {i} ({labels[i] + ', ' if labels[i] else ''}a {inputs[i].dtype} "
                      f"JAX array of shape {tuple(inputs[i].shape)})" for i in self.slots]
        self.run_dtypes = [jnp.float64] * len(self.slots)
        self.low_precision = self.low_precision_reason = None
        self._jitted = None
        outs = self.value_arrays(self.datas)
        if not outs:
            raise TypeError("check_gradients: f returns no floating JAX array; return the "
                            "array(s) whose gradient you want checked")
        lower = [o.dtype for o in outs if o.dtype != jnp.float64] or self._lower_inside()
        if lower:
            self.run_dtypes = list(self.dtypes)
            self.low_precision = str(np.dtype(max([*lower, *self.dtypes],
                                                  key=lambda d: jnp.finfo(d).eps)))
            self.low_precision_reason = f"it computes in {lower[0]} for float64 inputs"
        self.precision = self.low_precision or "float64"
        # finite differences evaluate f twice per element: compile it when that is many times
        # (compiling costs about as much as a hundred eager evaluations of a small f)
        self._jitted = jax.jit(self._flat) if sum(d.size for d in self.datas) > 64 else None

    def _lower_inside(self):
        """The float dtypes below float64 that f computes in, given float64 inputs."""
        with jax.enable_x64(True):
            try:
                closed = jax.make_jaxpr(self._flat)(*self._arrays(self.datas))
            except Exception:  # noqa: BLE001 - no jaxpr (Python control flow on values)
                return []
        found, stack = [], [closed.jaxpr]
        while stack:
            jaxpr = stack.pop()
            for eqn in jaxpr.eqns:
                found += [v.aval.dtype for v in eqn.outvars if hasattr(v.aval, "dtype")
                          and jnp.issubdtype(v.aval.dtype, jnp.floating)
                          and v.aval.dtype != jnp.float64]
                for value in eqn.params.values():
                    inner = getattr(value, "jaxpr", None)
                    if inner is not None and hasattr(inner, "eqns"):
                        stack.append(inner)
        return found

    def _flat(self, *diffs):
        args = list(self.inputs)
        for slot, x in zip(self.slots, diffs):
            args[slot] = x
        return _float_outputs(self.f(*args))

    def _arrays(self, arrays):
        return [jnp.asarray(a, dtype=d) for a, d in zip(arrays, self.run_dtypes)]

    def value_arrays(self, arrays):
        """f's floating outputs at `arrays` (compiled once with jax.jit for large inputs, since
        finite differences evaluate f many times; eagerly when f cannot be jitted)."""
        with jax.enable_x64(True):
            xs = self._arrays(arrays)
            if self._jitted is not None:
                try:
                    return self._jitted(*xs)
                except jax.errors.JAXTypeError:  # Python control flow on values, and such
                    self._jitted = None
            return self._flat(*xs)

    def value(self, arrays):
        """f's floating outputs at `arrays`, as float64 arrays."""
        return [_numpy(o) for o in self.value_arrays(arrays)]

    def vjp(self, arrays, cotangents):
        """The gradients of <cotangents, f> at `arrays` by jax.vjp."""
        with jax.enable_x64(True):
            outs, pull = jax.vjp(self._flat, *self._arrays(arrays))
            grads = pull([jnp.asarray(w, dtype=o.dtype) for w, o in zip(cotangents, outs)])
        return [_numpy(g) for g in grads]

    def jvp(self, arrays, tangents):
        """J v by jax.jvp; NotImplementedError when f has no forward mode (a custom_vjp)."""
        with jax.enable_x64(True):
            xs = self._arrays(arrays)
            vs = [jnp.asarray(v, dtype=x.dtype) for v, x in zip(tangents, xs)]
            try:
                _, out = jax.jvp(self._flat, xs, vs)
            except TypeError as error:
                if "custom_vjp" not in str(error) and "jvp" not in str(error):
                    raise
                raise NotImplementedError(str(error)) from error
        return [_numpy(t) for t in out]

    def nodes(self, arrays, cotangents):
        """f at `arrays` as the equations of its jaxpr (nested jits inlined), each holding the
        gradient it receives from <cotangents, f>; (None, why) when f cannot be traced."""
        with jax.enable_x64(True):
            xs = self._arrays(arrays)
            try:
                closed = jax.make_jaxpr(self._flat)(*xs)
            except jax.errors.ConcretizationTypeError as error:
                return None, (f"data-dependent control flow: f branches in Python on a traced "
                              f"value, so it has no jaxpr ({str(error).splitlines()[0]})")
            records = []
            _evaluate(closed.jaxpr, closed.consts, xs, [True] * len(xs), records, None)
            sizes = [[np.shape(v) for v in r["outputs"]] for r in records]

            def perturbed(zeros):
                return _evaluate(closed.jaxpr, closed.consts, xs, [True] * len(xs), None,
                                 iter(zeros))

            zeros = [jnp.zeros(s, dtype=jnp.result_type(v)) for r, ss in zip(records, sizes)
                     for s, v in zip(ss, r["outputs"])]
            outs, pull = jax.vjp(perturbed, zeros)
            (received,) = pull([jnp.asarray(w, dtype=o.dtype)
                                for w, o in zip(cotangents, outs)])
        received = iter(received)
        for record in records:
            record["node"].g = [_numpy(next(received)) for _ in record["outputs"]]
        return [r["node"] for r in records], None


def _evaluate(jaxpr, consts, args, depends, records, perturbations):
    """Run `jaxpr` equation by equation (nested jits inlined). With `records`, append a node
    for each equation on floating values that depend on f's inputs; with `perturbations`, add
    the next one to each such equation's floating outputs (in the same order)."""
    env, dep = {}, {}

    def read(v):
        return v.val if _literal(v) else env[v]

    for v, x in zip(jaxpr.constvars, consts):
        env[v], dep[v] = x, False
    for v, x, d in zip(jaxpr.invars, args, depends):
        env[v], dep[v] = x, d
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        indeps = [not _literal(v) and dep.get(v, False) for v in eqn.invars]
        name = eqn.primitive.name
        if name in _INLINED:
            inner = eqn.params.get("jaxpr") or eqn.params.get("call_jaxpr")
            inner_consts = getattr(inner, "consts", [])
            inner = getattr(inner, "jaxpr", inner)
            outvals = _evaluate(inner, inner_consts, invals, indeps, records, perturbations)
        else:
            outvals = _bind(eqn, invals)
            floats = [i for i, o in enumerate(outvals) if _is_float(o)]
            if any(indeps) and floats:
                if records is not None:
                    records.append(_record(eqn, invals, indeps, floats, outvals))
                if perturbations is not None:
                    outvals = list(outvals)
                    for i in floats:
                        outvals[i] = outvals[i] + next(perturbations)
        for v, x in zip(eqn.outvars, outvals):
            env[v], dep[v] = x, any(indeps)
    return [read(v) for v in jaxpr.outvars]


def _literal(v):
    return type(v).__name__ == "Literal"  # (its class moves between JAX versions)


def _bind(eqn, invals):
    params = eqn.primitive.get_bind_params(eqn.params)
    subfuns = ()
    if isinstance(params, tuple):  # (JAX before 0.7 gave (subfuns, params))
        subfuns, params = params
    with eqn.ctx.manager:
        out = eqn.primitive.bind(*subfuns, *invals, **params)
    return list(out) if eqn.primitive.multiple_results else [out]


def _record(eqn, invals, indeps, floats, outvals):
    """A node for one equation, at the values it saw."""
    slots = [i for i, x in enumerate(invals) if _is_float(x)]
    inputs = [_numpy(invals[i]) for i in slots]
    dtypes = [str(jnp.result_type(invals[i])) for i in slots]
    differentiable = [k for k, i in enumerate(slots) if indeps[i]]
    kept = list(invals)
    promote = {"on": True}  # run at float64 where the equation allows it

    def run(arrays):
        values = list(kept)
        for i, a in zip(slots, arrays):
            values[i] = jnp.asarray(a, dtype=jnp.float64 if promote["on"] else
                                    jnp.result_type(kept[i]))
        return values

    def call(arrays):
        with jax.enable_x64(True):
            out = _bind(eqn, run(arrays))
            return [_numpy(out[i]) for i in floats]

    def vjp(arrays, g):
        with jax.enable_x64(True):
            values = run(arrays)
            diffs = [values[slots[k]] for k in differentiable]

            def partial(*ds):
                local = list(values)
                for k, x in zip(differentiable, ds):
                    local[slots[k]] = x
                out = _bind(eqn, local)
                return [out[i] for i in floats]

            outs, pull = jax.vjp(partial, *diffs)
            grads = pull([jnp.asarray(w, dtype=o.dtype) for w, o in zip(g, outs)])
        return [_numpy(x) for x in grads]

    name = eqn.primitive.name
    kind = _CUSTOM.get(name, "primitive")
    op = _custom_name(eqn) if name in _CUSTOM else name
    node = Node(op, kind, inputs, dtypes, differentiable, call, vjp, site=_site(eqn))
    try:
        with jax.enable_x64(True), np.errstate(all="ignore"):
            low = any(jnp.result_type(o) != jnp.float64 for o in _bind(eqn, run(inputs)))
    except Exception:  # noqa: BLE001 - it refuses float64: run it at the dtypes it saw
        promote["on"], low = False, True
    node.low_precision = low
    return {"node": node, "outputs": [outvals[i] for i in floats]}


def _custom_name(eqn):
    """The name of the function a custom_vjp or custom_jvp wraps (as its jaxpr records it)."""
    fun = eqn.params.get("call_jaxpr") or eqn.params.get("fun_jaxpr")
    info = getattr(getattr(fun, "jaxpr", fun), "debug_info", None)
    text = getattr(info, "func_src_info", None) or eqn.params.get("name") or ""
    return str(text).split(" ")[0] or eqn.primitive.name


def _site(eqn):
    """The user's frames that created the equation, innermost first (as `origin` keeps them)."""
    try:
        from jax._src import source_info_util
        frames = [fr for fr in source_info_util.user_frames(eqn.source_info.traceback)
                  if not fr.file_name.startswith(_PACKAGE)][:3]
    except Exception:  # noqa: BLE001 - a JAX without source information: no site
        return None
    return tuple(traceback.FrameSummary(fr.file_name, fr.start_line, fr.function_name)
                 for fr in frames) or None
