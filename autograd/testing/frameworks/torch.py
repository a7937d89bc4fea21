"""The PyTorch adapter: f run in float64, its reverse mode (torch.autograd.grad) and forward
mode (torch.autograd.forward_ad), and f traced into operator-level nodes for the culprit search.

The trace runs f eagerly under a TorchDispatchMode, so each node is an ATen operator, as
`make_fx` records them (`aten.mul.Tensor`, `aten.exp.default`). A custom
`torch.autograd.Function` is one node: while f runs, `Function.apply` is wrapped so that the
operators of its forward are not recorded and the call itself is, so its backward is the rule
that is checked. The gradient each node received comes from torch.autograd.grad of the same
weighted output with respect to the nodes' outputs. Imported only when a check meets a
torch.Tensor.
"""

import threading

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_unflatten

from ...origin import record_site
from .inputs import argument_names, refuse_complex
from .nodes import Node

_DATA_DEPENDENT = {"_local_scalar_dense", "is_nonzero", "item", "equal", "nonzero",
                   "masked_select", "unique"}
_LOCK = threading.Lock()  # Function.apply is patched on the class while a trace runs


def is_tensor(x):
    """True for a torch.Tensor (the adapter's test of an input)."""
    return isinstance(x, torch.Tensor)


def _float_outputs(out):
    return [o for o in tree_flatten(out)[0] if isinstance(o, torch.Tensor)
            and o.is_floating_point()]


def _numpy(t):
    return t.detach().to(torch.float64).cpu().numpy()


class Adapter:
    """f and its inputs seen by the check: `datas` (the floating inputs as float64 arrays),
    `names`, `precision` ("float64", or the inputs' dtype when f cannot run in float64),
    `value`, `vjp`, `jvp` and `nodes` (see `check.run`)."""

    framework = "torch"

    def __init__(self, f, inputs):
        owner = getattr(f, "__self__", None)
        if isinstance(owner, type) and issubclass(owner, torch.autograd.Function):
            f = _late_apply(owner)  # (so that the trace's wrapped apply is the one called)
        self.f, self.inputs = f, list(inputs)
        self.slots = []
        for i, x in enumerate(inputs):
            if isinstance(x, torch.Tensor):
                refuse_complex(i, x.dtype, x.is_complex())
                if x.is_floating_point():
                    self.slots.append(i)
        if not self.slots:
            raise ValueError("check_gradients: no input is a floating torch.Tensor; integer "
                             "and other inputs are constants, so there is nothing to "
                             "differentiate: pass at least one float tensor")
        self.dtypes = [inputs[i].dtype for i in self.slots]
        self.datas = [_numpy(inputs[i]) for i in self.slots]
        labels = argument_names(f, len(inputs))
        self.names = [f"input {i} ({labels[i] + ', ' if labels[i] else ''}a "
                      f"{str(inputs[i].dtype).replace('torch.', '')} torch.Tensor of shape "
                      f"{tuple(inputs[i].shape)})" for i in self.slots]
        self.low_precision, self.low_precision_reason = None, None
        self.run_dtypes = [torch.float64] * len(self.slots)
        self._choose_precision()
        self.precision = self.low_precision or "float64"

    def _choose_precision(self):
        lower = []
        try:
            watch = _Dtypes()
            with watch:
                self._call(self.datas)
            lower = sorted(watch.lower, key=str)
            reason = lower and f"it computes in {str(lower[0]).replace('torch.', '')} for " \
                               f"float64 inputs"
        except Exception as error:
            if all(d == torch.float64 for d in self.dtypes):
                raise
            reason = f"given float64 inputs it raises {type(error).__name__}: {error}"
        if reason:
            self.run_dtypes = list(self.dtypes)
            lowest = max([*lower, *self.dtypes], key=lambda d: torch.finfo(d).eps)
            self.low_precision = str(lowest).replace("torch.", "")
            self.low_precision_reason = reason
        if not _float_outputs(self._call(self.datas)):
            raise TypeError("check_gradients: f returns no floating torch.Tensor; return the "
                            "tensor(s) whose gradient you want checked")

    def _call(self, arrays, requires_grad=False, tangents=None):
        args = list(self.inputs)
        for k, (slot, data, dtype) in enumerate(zip(self.slots, arrays, self.run_dtypes)):
            t = torch.tensor(data, dtype=dtype)
            if tangents is not None:
                t = torch.autograd.forward_ad.make_dual(t, torch.tensor(tangents[k], dtype=dtype))
            args[slot] = t.requires_grad_(requires_grad)
        return self.f(*args)

    def value(self, arrays):
        """f's floating outputs at `arrays`, as float64 arrays."""
        return [_numpy(o) for o in _float_outputs(self._call(arrays))]

    def vjp(self, arrays, cotangents):
        """The gradients of <cotangents, f> at `arrays` by torch.autograd."""
        with torch.enable_grad():
            args = list(self.inputs)
            leaves = []
            for slot, data, dtype in zip(self.slots, arrays, self.run_dtypes):
                args[slot] = torch.tensor(data, dtype=dtype, requires_grad=True)
                leaves.append(args[slot])
            outs = _float_outputs(self.f(*args))
            pairs = [(o, torch.tensor(w, dtype=o.dtype)) for o, w in zip(outs, cotangents)
                     if o.requires_grad]
            if not pairs:
                return [np.zeros(d.shape) for d in arrays]
            grads = torch.autograd.grad([o for o, _ in pairs], leaves,
                                        grad_outputs=[w for _, w in pairs], allow_unused=True)
        return [np.zeros(d.shape) if g is None else _numpy(g) for g, d in zip(grads, arrays)]

    def jvp(self, arrays, tangents):
        """J v by forward mode (torch.autograd.forward_ad); NotImplementedError when f has no
        forward mode (a custom Function without `jvp`)."""
        forward_ad = torch.autograd.forward_ad
        try:
            with forward_ad.dual_level():
                outs = _float_outputs(self._call(arrays, tangents=tangents))
                result = []
                for o in outs:
                    tangent = forward_ad.unpack_dual(o).tangent
                    result.append(np.zeros(o.shape) if tangent is None else _numpy(tangent))
        except (NotImplementedError, RuntimeError) as error:
            raise NotImplementedError(str(error)) from error
        return result

    def nodes(self, arrays, cotangents):
        """f at `arrays` as operator-level nodes in the order they ran, each holding the
        gradient it receives from <cotangents, f>; (nodes, None)."""
        recorder = _Recorder()
        with torch.enable_grad(), _LOCK:
            original = torch.autograd.Function.__dict__["apply"]
            torch.autograd.Function.apply = classmethod(recorder.wrap(original.__func__))
            try:
                with recorder:
                    outs = _float_outputs(self._call(arrays, requires_grad=True))
            finally:
                torch.autograd.Function.apply = original
            _receive(recorder.records, outs, cotangents)
        return [record.node for record in recorder.records], None


def _receive(records, outs, cotangents):
    """Set each node's `g`: the gradient its outputs receive from <cotangents, outs>."""
    pairs = [(o, torch.tensor(w, dtype=o.dtype)) for o, w in zip(outs, cotangents)
             if o.requires_grad]
    targets = [(r, k, o) for r in records for k, o in enumerate(r.outputs)
               if o is not None and o.requires_grad]
    if not pairs or not targets:
        return
    grads = torch.autograd.grad([o for o, _ in pairs], [o for _, _, o in targets],
                                grad_outputs=[w for _, w in pairs], allow_unused=True)
    for (record, k, o), g in zip(targets, grads):
        if record.node.g is None:
            record.node.g = [np.zeros(tuple(t.shape)) if t is not None else None
                             for t in record.outputs]
        if g is not None:
            record.node.g[k] = _numpy(g)
    for record in records:
        if record.node.g is not None:
            record.node.g = [np.zeros(()) if g is None else g for g in record.node.g]


def _late_apply(cls):
    """`cls.apply` looked up at each call, not bound once."""
    def apply(*args):
        return cls.apply(*args)
    return apply


class _Dtypes(TorchDispatchMode):
    """Collects the float dtypes below float64 that the operators f runs produce."""

    def __init__(self):
        super().__init__()
        self.lower = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.lower |= {o.dtype for o in tree_flatten(out)[0] if isinstance(o, torch.Tensor)
                       and o.is_floating_point() and o.dtype != torch.float64}
        return out


class _Record:
    def __init__(self, node, outputs):
        self.node, self.outputs = node, outputs


class _Recorder(TorchDispatchMode):
    """Records each ATen operator f runs (outside custom Functions) and each custom Function
    call as a `Node`."""

    def __init__(self):
        super().__init__()
        self.records, self.depth = [], 0

    def wrap(self, apply):
        recorder = self

        def recorded_apply(cls, *args, **kwargs):
            if recorder.depth:
                return apply(cls, *args, **kwargs)
            recorder.depth += 1
            try:
                out = apply(cls, *args, **kwargs)
            finally:
                recorder.depth -= 1
            recorder.add(lambda *a, **k: apply(cls, *a, **k), cls.__name__,
                         "torch.autograd.Function", args, kwargs, out)
            return out
        return recorded_apply

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if not self.depth:
            self.add(func, str(func), "operator", args, kwargs, out, func)
        return out

    def add(self, function, name, kind, args, kwargs, out, func=None):
        leaves, spec = tree_flatten((args, kwargs))
        slots = [i for i, x in enumerate(leaves) if isinstance(x, torch.Tensor)
                 and x.is_floating_point()]
        inputs = [_numpy(leaves[i]) for i in slots]
        dtypes = [str(leaves[i].dtype).replace("torch.", "") for i in slots]
        differentiable = [k for k, i in enumerate(slots) if leaves[i].requires_grad]
        outputs = [o if isinstance(o, torch.Tensor) and o.is_floating_point() else None
                   for o in tree_flatten(out)[0]]
        unchecked = _why_unchecked(func, leaves, differentiable) if func is not None else None
        kept = [x.detach().clone() if isinstance(x, torch.Tensor) else x for x in leaves]
        run = {"dtypes": [torch.float64] * len(slots)}

        def build(arrays, grad=False):
            values = list(kept)
            tensors = []
            for k, (i, data) in enumerate(zip(slots, arrays)):
                values[i] = torch.tensor(data, dtype=run["dtypes"][k],
                                         requires_grad=grad and k in differentiable)
                tensors.append(values[i])
            a, kw = tree_unflatten(values, spec)
            return a, kw, tensors

        def raw(arrays):
            a, kw, _ = build(arrays)
            with torch.no_grad():
                result = function(*a, **kw)
            return [o for o, keep in zip(tree_flatten(result)[0], outputs) if keep is not None]

        def call(arrays):
            return [_numpy(o) for o in raw(arrays)]

        def vjp(arrays, g):
            a, kw, tensors = build(arrays, grad=True)
            with torch.enable_grad():
                result = [o for o, keep in zip(tree_flatten(function(*a, **kw))[0], outputs)
                          if keep is not None]
            pairs = [(o, torch.tensor(w, dtype=o.dtype)) for o, w in zip(result, g)
                     if o.requires_grad]
            wanted = [tensors[k] for k in differentiable]
            if not pairs:
                return [None] * len(wanted)
            grads = torch.autograd.grad([o for o, _ in pairs], wanted,
                                        grad_outputs=[w for _, w in pairs], allow_unused=True)
            return [None if gr is None else _numpy(gr) for gr in grads]

        node = Node(name, kind, inputs, dtypes, differentiable, call, vjp, unchecked)
        record_site(node)
        self._precision(node, run, raw, [leaves[i].dtype for i in slots])
        self.records.append(_Record(node, outputs))

    @staticmethod
    def _precision(node, run, raw, dtypes):
        """Run the node in float64 when it can; else (it refuses float64, or casts to a lower
        precision inside) at the dtypes it saw, judged with that dtype's tolerance."""
        if node.unchecked or not node.differentiable:
            return
        try:
            with np.errstate(all="ignore"):
                outs = raw(node.inputs)
        except Exception:  # noqa: BLE001 - it refuses float64: keep its own dtypes
            run["dtypes"] = list(dtypes)
            node.low_precision = True
            return
        node.low_precision = any(o.dtype != torch.float64 for o in outs)


def _why_unchecked(func, leaves, differentiable):
    """Why an ATen operator cannot be checked alone, or None."""
    name = func.__name__.split(".")[0]
    touches_grad = any(isinstance(x, torch.Tensor) and x.requires_grad for x in leaves)
    if torch.Tag.nondeterministic_seeded in func.tags:
        return "random: its output changes from call to call, so finite differences of it " \
               "alone mean nothing (fix the seed or take the randomness out of f)"
    if func._schema.is_mutable and touches_grad:
        return "in place: it changed its input, so it cannot be run again at the inputs it " \
               "saw (write it out of place to have it checked)"
    if name in _DATA_DEPENDENT and touches_grad:
        return "data-dependent: Python read its value (control flow or a size that depends " \
               "on the data), which no gradient describes"
    return None
