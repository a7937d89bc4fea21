"""Compiled steps: `autograd.compile(f)` traces f once per signature of its arguments, turns the
trace into a readable program and replays it on later calls; `backward_code(root)` shows the
program of any recorded graph.

A call whose arguments have another structure, type, shape or dtype (or for which f reaches
other persistent leaves, or they changed shape, dtype or requires_grad: guards.py) traces
again; programs are cached by signature (`step.programs`). A program stands for the path f
took when it was traced, as with `jax.jit` and `torch.jit.trace`: `check=True` runs the eager
engine beside every call and raises `CompileCheckError` at the first difference, naming the
line; by default (`check="once"`)
the first replay of every program is checked so, which catches a value that f computes from
its arguments outside the engine (numpy, float()) and that the program would hold constant.
"""

import builtins
import contextlib
import gc
import math
import time
import warnings

import numpy as np

from ..graph import new_node, unbroadcast
from ..modes import current
from ..scalar import Scalar
from ..tensor import Tensor
from .codegen import generate
from .guards import Guard
from .blocks import find_blocks
from .names import argument_names, graph_leaf_names, top_names
from ..errors import ShapeError
from .runtime import DeliveryError, deliver
from .trace import ArgRef, CompileError, describe, flatten, parameter_names, trace


class CompileCheckError(CompileError):
    """The compiled program and the eager engine disagree on a call (the message names the
    node, its line in `step.source`, and the likely cause)."""


MAX_PROGRAMS = 8
"""How many programs (signatures) a compiled step keeps; the oldest goes first."""


class Program:
    """One generated program: `source`, the compiled `function`, the `trace` it came from (its
    structure; values dropped after the first call) and the persistent leaves it reads."""

    def __init__(self, traced, arg_names, args=(), top=(), f=None):
        self.trace, self.arg_names = traced, arg_names
        scalar = all(node.value_type is Scalar for node in traced.nodes)
        plan = find_blocks(traced, args) if scalar else None
        generated = generate(traced, arg_names, plan=plan, top_names=top)
        self.generated = generated
        self.source = generated.source
        self.function = _load(generated)
        self.persistent = generated.persistent
        self.buffer_specs = generated.buffers
        self.buffer_sets = []  # sets of buffers not in use by a call (one per concurrent call)
        self.guard = Guard(f, self.persistent)
        """`guard(P)`: whether this program may run (see guards.py; `guard.source`)."""
        self.output_types = [traced.nodes[key].value_type if kind == "node" else
                             traced.leaves[key].value_type for kind, key in traced.outputs]
        self.receivers = ([leaf.obj for leaf in traced.leaves
                           if leaf.receives_grad and leaf.kind == "persistent"],
                          [leaf.key for leaf in traced.leaves
                           if leaf.receives_grad and leaf.kind == "arg"])
        self.checked_function = None
        self.verified = False

    def run(self, leaves):
        """Run the program on the argument leaves; returns the tuple of output values. The
        call takes a set of the program's kept buffers for itself (a new one when another
        call, in another thread, holds them all) and gives it back when it returns. A call
        that raises changes no `.grad` (as backward()), and one that fails to add a gradient
        into a leaf's `.grad` says which leaf and both shapes."""
        try:  # (list.pop is atomic: no two threads get one set)
            buffers = self.buffer_sets.pop()
        except IndexError:
            buffers = [np.empty(shape, dtype) for shape, dtype in self.buffer_specs]
        receiving = self._holders(leaves)
        saved = [leaf.grad for leaf in receiving]
        try:
            outputs = self.function(leaves, self.persistent, buffers)
        except BaseException as error:
            self._undo(error, receiving, saved, leaves)
            raise
        self.buffer_sets.append(buffers)
        return outputs

    def deliver_all(self, receiving, gradients, leaves):
        """Deliver gradients (one per receiving leaf, None: none) all or not at all."""
        saved = [leaf.grad for leaf in receiving]
        try:
            for leaf, g in zip(receiving, gradients):
                if g is not None:
                    deliver(leaf, g)
        except BaseException as error:
            self._undo(error, receiving, saved, leaves)
            raise

    def _undo(self, error, receiving, saved, leaves):
        """Put back the gradients a failed call had delivered; name the leaf that failed."""
        for leaf, grad in zip(receiving, saved):
            leaf.grad = grad
        if isinstance(error, DeliveryError):
            raise ShapeError(f"compiled step: cannot add the gradient of "
                             f"{self.describe_leaf(error.leaf, leaves)} to its .grad: "
                             f"{error}") from None

    def run_recording(self, leaves):
        """Run the recording variant: (outputs, {("value"|"grad", j): value})."""
        if self.checked_function is None:
            generated = generate(self.trace, self.arg_names, record=True)
            self.checked_function = _load(generated)
        seen = {}
        def record(kind, j, value):  # a copy: a later op may reuse the buffer in place
            seen[(kind, j)] = value.copy() if isinstance(value, np.ndarray) else value

        outputs = self.checked_function(leaves, self.persistent, record)
        return outputs, seen

    def drop_values(self):
        """Forget the trace's arrays once no variant needs them (the structure stays)."""
        for node in self.trace.nodes:
            if node.value_type is not Scalar:
                node.data = None
        self.trace.arg_leaves = None

    def describe_node(self, j):
        node = self.trace.nodes[j]
        label = f" '{node.label}'" if node.label else ""
        line = self.generated.node_lines.get(j)
        where = f", line {line} of step.source" if line else ""
        return f"node {j} ({node.op.name}{label}: {self.generated.node_names[j]}{where})"

    def receiving_leaves(self, leaves):
        """The leaf objects the program delivers gradients to, in trace order."""
        found = []
        for leaf in self.trace.leaves:
            if leaf.receives_grad:
                found.append(leaves[leaf.key] if leaf.kind == "arg" else leaf.obj)
        return found

    def _holders(self, leaves):
        """The same leaves in any order, fast (each call saves their gradients)."""
        persistent, arguments = self.receivers
        if not arguments:
            return persistent
        return persistent + [leaves[key] for key in arguments]

    def describe_leaf(self, obj, leaves):
        """A leaf the program delivers to, as the message names it: its parameter name or
        label, or the argument it is."""
        for leaf in self.trace.leaves:
            if leaf.receives_grad and (leaf.obj is obj if leaf.kind == "persistent" else
                                       leaves[leaf.key] is obj):
                if leaf.label:
                    return f"leaf {leaf.label!r}"
                if leaf.kind == "arg":
                    return f"argument {self.arg_names[leaf.key]!r}"
                where = self.guard.where(leaf.key)
                if where:
                    return f"leaf {where!r}"
        return f"a leaf of shape {np.shape(obj.data)}"


class Compiled:
    """A compiled step (see `autograd.compile`): call it as you would call f."""

    def __init__(self, f, model=None, check="once"):
        if not callable(f):
            raise TypeError(f"compile: expected a function, got {type(f).__name__}")
        if check not in (True, False, "once"):
            raise ValueError(f"compile: check must be True, False or 'once', got {check!r}")
        self.f, self.check = f, check
        self.names = parameter_names(model)
        self.programs = {}
        """{signature: Program}: the cache, oldest first (inspect it; `len()` says how many)."""
        self.last = None
        self.trace_seconds = None
        """The time the last trace took: trace, generate, compile and the checked first run."""
        self.trace_timings = None
        """Its parts, in seconds: {"trace": running f in the eager engine, "generate": writing
        and compiling the program, "first run": running it on the traced call, checked}."""
        self.__doc__ = getattr(f, "__doc__", None)

    @property
    def source(self):
        """The generated program of the last call (run the step once first)."""
        if self.last is None:
            raise RuntimeError("compiled step: nothing traced yet; call the step once, then "
                               "read step.source")
        return self.last.source

    def __call__(self, *args):
        switches = current()
        if switches.anomaly is not None or not switches.grad_enabled:
            return self._eager(args)  # anomaly checks per op, or no graph: the eager engine
        leaves, signature = flatten(args)
        program = self.programs.get(signature)
        if program is not None and not program.guard(program.persistent):
            program = None  # f reaches another leaf, or one changed shape: trace again
        if program is None:
            return self._trace(args, leaves, signature)
        self.last = program
        if self.check is True or (self.check == "once" and not program.verified):
            return self._checked(program, args, leaves)
        return self._outputs(program, program.run(leaves))

    def _eager(self, args):
        return _eager_step(self.f, args)

    def _trace(self, args, leaves, signature):
        start = time.perf_counter()
        with _collector_paused():
            traced = trace(self.f, args, self.names, gradients=self.check is True)
            traced_at = time.perf_counter()
            program = Program(traced, argument_names(self.f, args), args,
                              top_names(self.f, len(args)), self.f)
            generated_at = time.perf_counter()
            if self.check is True:  # every call checked, this one too (values and gradients)
                outputs = self._run_checked(program, leaves, traced, first=True)
            else:
                outputs = self._first_run(program, leaves)
        self.trace_timings = {"trace": traced_at - start, "generate": generated_at - traced_at,
                              "first run": time.perf_counter() - generated_at}
        if self.check is False:
            program.drop_values()
        if len(self.programs) >= MAX_PROGRAMS:
            del self.programs[next(iter(self.programs))]
        self.programs[signature] = program
        self.last = program
        self.trace_seconds = time.perf_counter() - start
        return self._outputs(program, outputs)

    def _first_run(self, program, leaves):
        """Run the new program on the traced call's arguments and compare its outputs with the
        trace's: a difference means a leaf changed while f ran (found node by node)."""
        receiving = program.receiving_leaves(leaves)
        saved = [leaf.grad for leaf in receiving]
        outputs = program.run(leaves)
        expected = [program.trace.nodes[ref[1]].data if ref[0] == "node" else
                    program.trace.leaves[ref[1]].data for ref in program.trace.outputs]
        if all(_close(a, b) for a, b in zip(outputs, expected)):
            return outputs
        for leaf, grad in zip(receiving, saved):
            leaf.grad = grad
        self._changed_while_running(program, leaves, receiving, saved)

    def _changed_while_running(self, program, leaves, receiving, saved):
        """Raise, naming the first node whose replayed value differs from the trace's."""
        _, seen = program.run_recording(leaves)
        for leaf, grad in zip(receiving, saved):
            leaf.grad = grad
        for j, node in enumerate(program.trace.nodes):
            if ("value", j) in seen and not _close(seen[("value", j)], node.data):
                inputs = ", ".join(_describe_ref(program, ref) for ref in node.inputs)
                raise CompileError(
                    f"compiled step: {program.describe_node(j)} gave {_show(node.data)} while "
                    f"f ran and {_show(seen[('value', j)])} when replayed from the same inputs "
                    f"({inputs}): f changed a leaf it had read (a parameter's or an argument's "
                    f"data) while it ran; update leaves outside the step")
        raise CompileError("compiled step: the program's outputs differ from f's on the traced "
                           "call (an internal error of compile: please report it)")

    def _checked(self, program, args, leaves):
        """Run program and eager engine side by side; raise at the first difference."""
        with _collector_paused():
            eager = trace(self.f, args, self.names, gradients=True)
            _compare_structure(program, eager)
        outputs = self._run_checked(program, leaves, eager)
        if not program.verified and self.check == "once":
            program.drop_values()  # the trace's arrays served the first checks
        program.verified = True
        return self._outputs(program, outputs)

    def _run_checked(self, program, leaves, eager, first=False):
        """Run the program with the leaves' gradients held back, compare its outputs and
        gradients with the eager engine's (`eager`, a trace with gradients; on the tracing
        call the trace itself) and deliver the gradients only when everything agrees."""
        receiving = program.receiving_leaves(leaves)
        saved = [leaf.grad for leaf in receiving]
        for leaf in receiving:
            leaf.grad = None
        try:
            outputs = program.run(leaves)
            compiled_grads = [leaf.grad for leaf in receiving]
        finally:
            for leaf, grad in zip(receiving, saved):
                leaf.grad = grad
        expected = [eager.nodes[ref[1]].data if ref[0] == "node" else eager.leaves[ref[1]].data
                    for ref in eager.outputs]
        eager_grads = [eager.eager_gradients["leaf"][i] for i, leaf in enumerate(eager.leaves)
                       if leaf.receives_grad]
        values_agree = all(_close(a, b) for a, b in zip(outputs, expected))
        if first and not values_agree:
            self._changed_while_running(program, leaves, receiving, saved)
        if not (values_agree and all(_close(a, b) for a, b in zip(compiled_grads, eager_grads))):
            self._locate(program, eager, leaves, receiving, saved)
        program.deliver_all(receiving, compiled_grads, leaves)
        return outputs

    def _locate(self, program, eager, leaves, receiving, saved):
        """Find the first line where program and eager engine differ and raise, naming it: a
        forward value, else (from the loss back) a rule's line that does not give what the
        rule gives on the gradient it received, else the first gradient that differs."""
        try:
            _, seen = program.run_recording(leaves)
        finally:
            for leaf, grad in zip(receiving, saved):
                leaf.grad = grad
        for j, node in enumerate(eager.nodes):
            if ("value", j) in seen and not _close(seen[("value", j)], node.data):
                raise CompileCheckError(
                    f"compiled step check: {program.describe_node(j)} computes "
                    f"{_show(seen[('value', j)])} but the eager engine {_show(node.data)}; "
                    f"f's result depends on something the program holds fixed")
        gradients = eager.eager_gradients["node"]
        for j in range(len(eager.nodes) - 1, -1, -1):
            g = gradients[j]
            if ("grad", j) not in seen or g is None or not _close(seen[("grad", j)], g):
                continue  # (a node that received a wrong gradient is not where it went wrong)
            for k in range(len(eager.nodes[j].inputs)):
                if ("send", (j, k)) in seen:
                    want = _rule_gradient(eager, j, k, g)
                    got = seen[("send", (j, k))]
                    if not _close(got, want):
                        raise CompileCheckError(_wrong_rule_line(program, j, k, got, want))
        for j in range(len(eager.nodes) - 1, -1, -1):
            got, want = seen.get(("grad", j)), gradients[j]
            if got is not None and want is not None and not _close(got, want):
                raise CompileCheckError(
                    f"compiled step check: the gradient of {program.describe_node(j)} is "
                    f"{_show(got)} compiled but {_show(want)} in the eager engine")
        raise CompileCheckError("compiled step check: the program's gradients differ from the "
                                "eager engine's (an internal error of compile: please report it)")

    def _outputs(self, program, values):
        types = program.output_types
        if program.trace.output_form == "value":
            return new_node(types[0], values[0])
        wrapped = [new_node(value_type, value) for value_type, value in zip(types, values)]
        return tuple(wrapped) if program.trace.output_form == "tuple" else wrapped

    def __repr__(self):
        name = getattr(self.f, "__qualname__", type(self.f).__name__)
        return f"<compiled step {name}: {len(self.programs)} program(s)>"


def compile(f, *, model=None, check="once"):  # noqa: A001 (the public name the issue asks for)
    """Compile a training step: `step = autograd.compile(f)`; `step(*args)` returns what
    `f(*args)` returns after backpropagating its loss exactly as `loss.backward()` would
    (every leaf that requires a gradient gets its `.grad`, accumulating as backward does).

    f returns a single-element Scalar or Tensor loss, or a tuple `(loss, *extras)` of graph
    values (the extras are returned, detached). Arguments may be Tensors, Scalars, numpy
    arrays, floats, integer label arrays and lists or tuples of them: each is an input of the
    program, read at every call. Ints, strings and None are static (part of the signature).
    Leaves that are not arguments (a model's parameters, closed-over values) are read at every
    call, so an optimiser's updates are seen; each call first checks that f still reaches the
    same leaf objects (a parameter replaced by a new Tensor traces again: see guards.py).

    The first call with a new signature traces f (running it once in the eager engine),
    generates `step.source` and runs it. `model` (an nn.Module) names the parameters in the
    source. `check=True` runs the eager engine beside every call (the tracing call included)
    and raises CompileCheckError at the first difference of a value or a gradient, naming the
    line that is wrong, before any `.grad` changes; `"once"` (default) does so on the first
    replay of each program; False never. A call that raises changes no `.grad`. Not supported: higher-order gradients (`create_graph`) and calling
    backward inside f (a RuntimeError says so).
    """
    return Compiled(f, model=model, check=check)


def training_step(f, compile=True, model=None):  # noqa: A002 (fit's keyword)
    """f's forward and backward pass as one call, for a training loop: `step(*args)` returns
    f's result after backpropagating its loss (the first item when f returns a tuple).
    With `compile`, the step is `autograd.compile(f, model=model)`; should its first check find
    that f computes something from its arguments outside the engine (a target converted with
    numpy), a warning says so and the step runs in the eager engine from then on."""
    compiled = Compiled(f, model=model) if compile else None

    def step(*args):
        nonlocal compiled
        if compiled is not None:
            try:
                return compiled(*args)
            except CompileCheckError as error:
                warnings.warn(f"training_step: running in the eager engine from now on: {error}",
                              RuntimeWarning, stacklevel=2)
                compiled = None
        return _eager_step(f, args)

    step.compiled = lambda: compiled
    return step


def _eager_step(f, args):
    result = f(*args)
    root = result[0] if isinstance(result, (tuple, list)) and result else result
    if not hasattr(root, "backward"):
        raise CompileError(f"compiled step: f must return a Scalar or Tensor loss, got "
                           f"{type(root).__name__}")
    root.backward()
    return result


def backward_code(root, model=None):
    """The generated program (forward and backward pass) of a recorded graph whose output is
    `root`, as readable Python text, without compiling anything: for teaching. `model` names
    the parameters."""
    if not hasattr(root, "op") or getattr(root, "op", None) is None:
        raise CompileError(f"backward_code: expected the output of a recorded graph (a Scalar or "
                           f"Tensor computed from values with requires_grad=True), got "
                           f"{type(root).__name__}{' leaf' if hasattr(root, 'op') else ''}")
    parameter_names(model)  # a model without named_parameters() is refused here
    traced = describe([root], names=graph_leaf_names(root, model))
    return generate(traced).source


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a step is traced and generated: a trace
    makes a few objects per node, none in a cycle, and for a graph of 10^5 nodes the
    collector's passes over them cost more than the trace itself (measured: 0.8 s -> 0.35 s on
    micrograd's demo step). It runs again afterwards, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(generated):
    namespace = generated.namespace
    code = compile_source(generated.source, "<compiled step>", "exec")
    exec(code, namespace)  # noqa: S102 (text the engine wrote, identifiers it made)
    return namespace[generated.function_name]


compile_source = builtins.compile


def _compare_structure(program, eager):
    """Raise CompileCheckError where this call's trace differs from the program's."""
    mine = program.trace
    for j, (a, b) in enumerate(zip(mine.nodes, eager.nodes)):
        if a.op is not b.op:
            raise CompileCheckError(
                f"compiled step check: f took another path on this call: {program.describe_node(j)}"
                f" is '{b.op.name}' now; the program follows the path of the traced call "
                f"(Python control flow that depends on values is traced as the path it took)")
        for k, (ra, rb) in enumerate(zip(a.inputs, b.inputs)):
            if ra[0] != rb[0] or (ra[0] != "const" and ra[1] != rb[1]) or \
                    (ra[0] == "const" and not _same_constant(ra[1], rb[1])):
                hint = " f computes it from its arguments outside the engine (with numpy or " \
                       "float()); compute it with Scalar/Tensor operations or pass it as an " \
                       "argument" if ra[0] == "const" else ""
                raise CompileCheckError(
                    f"compiled step check: input {k} of {program.describe_node(j)} is "
                    f"{_show_ref(ra)} in the program but {_show_ref(rb)} on this call;{hint}")
        if not _same_params(a.params, b.params):
            raise CompileCheckError(
                f"compiled step check: the parameters of {program.describe_node(j)} differ on "
                f"this call ({_show(b.params)}); f computes them from its arguments outside the "
                f"engine: pass them as arguments the engine sees")
    if len(mine.nodes) != len(eager.nodes):
        raise CompileCheckError(
            f"compiled step check: f took another path on this call: it recorded "
            f"{len(eager.nodes)} operations, the program has {len(mine.nodes)}")
    for i, (a, b) in enumerate(zip(mine.leaves, eager.leaves)):
        same = a.kind == b.kind and (a.kind != "persistent" or a.obj is b.obj) and \
            (a.kind != "const" or _same_constant(a.data, b.data))
        if not same:
            raise CompileCheckError(
                f"compiled step check: leaf {i} ({a.label or a.kind}) is {b.kind} on this call "
                f"and {a.kind} in the program; f makes it from something the program holds "
                f"fixed")


def _same_constant(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def _same_params(a, b):
    if a is None or b is None:
        return a is b
    if a.keys() != b.keys():
        return False
    return all(_same_param(a[k], b[k]) for k in a)


def _same_param(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_param(x, y) for x, y in zip(a, b))
    if hasattr(a, "position") or hasattr(b, "position"):
        return getattr(a, "position", None) == getattr(b, "position", None)
    if isinstance(a, (np.ndarray, float)) or isinstance(b, (np.ndarray, float)):
        return _same_constant(a, b)
    return type(a) is type(b) and a == b


def _rule_gradient(eager, j, k, g):
    """What node j's rule sends to its input k in the eager engine, given its gradient g
    (fitted to the input's shape and dtype, as the core fits it)."""
    node = eager.nodes[j]
    inputs = [_eager_value(eager, ref) for ref in node.inputs]
    params = {name: _eager_param(eager, v) for name, v in (node.params or {}).items()}
    if node.op.input_vjps is not None:
        value = node.op.input_vjps[k](g, node.data, *inputs, **params)
    else:
        value = node.op.joint_vjp(g, node.data, *inputs, **params)[k]
    target = inputs[k]
    if isinstance(target, np.ndarray):
        value = np.asarray(unbroadcast(np.asarray(value), target.shape)).astype(target.dtype)
    return value


def _eager_value(eager, ref):
    kind, key = ref
    if kind == "node":
        return eager.nodes[key].data
    if kind == "leaf":
        return eager.leaves[key].data
    if kind == "arg":
        value = eager.arg_leaves[key]
        return value.data if isinstance(value, (Scalar, Tensor)) else value
    return key


def _eager_param(eager, value):
    if isinstance(value, tuple):
        return tuple(_eager_param(eager, v) for v in value)
    return eager.arg_leaves[value.position] if isinstance(value, ArgRef) else value


def _wrong_rule_line(program, j, k, got, want):
    """The message for a rule's line that does not compute what the rule computes."""
    node = program.trace.nodes[j]
    op = node.op
    line = program.generated.rule_lines.get((j, k))
    text = program.source.splitlines()[line - 1].strip() if line else ""
    where = f"line {line} of step.source, `{_cut(text)}`, " if line else ""
    label = f" '{node.label}'" if node.label else ""
    trusted = "; the op row says that its code template is its rule (`code_exact`): the " \
        "template is wrong" if op.code_exact else ""
    return (f"compiled step check: {where}the {op.name!r} rule's line for input {k} of node "
            f"{j} ({op.name}{label}: {program.generated.node_names[j]}), gives {_show(got)} "
            f"where the {op.name!r} rule gives {_show(want)} on the same gradient{trusted}")


def _cut(text, limit=100):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _close(a, b):
    if a is None or b is None:
        return a is b
    with np.errstate(all="ignore"):
        return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                rtol=1e-9, atol=1e-12, equal_nan=True))


def _show(value):
    text = np.array2string(np.asarray(value), precision=6, threshold=6) \
        if isinstance(value, (np.ndarray, np.generic)) else repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def _show_ref(ref):
    kind, key = ref
    if kind == "const":
        return f"the constant {_show(key)}"
    return {"node": "node", "leaf": "leaf", "arg": "argument"}[kind] + f" {key}"


def _describe_ref(program, ref):
    kind, key = ref
    if kind == "leaf":
        leaf = program.trace.leaves[key]
        if leaf.label:
            return f"leaf {leaf.label!r}"
        if leaf.kind == "arg":
            return f"argument {program.arg_names[leaf.key]}"
        return f"leaf {key} ({leaf.kind})"
    return _show_ref(ref)
