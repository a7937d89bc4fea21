"""Gradient checking: the engine's gradients against central finite differences (numpy only).

Finite differences are taken on fresh copies of the inputs' data, so nothing the caller holds
(its values' `.data` or `.grad`) is read back changed or written. When a check fails, the
graph of f is searched for the node whose rule is wrong (`culprit.py`).
"""

import numpy as np

from ..errors import brief
from ..graph import Node, backward
from ..modes import enable_grad
from . import culprit
from ..scalar import Scalar
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message names the input and the element,
    then what the search of f's graph found.

    `culprit`: the first node, in the order the backward pass runs the rules, whose own rule
    disagrees with finite differences of its op at the inputs it saw (an `autograd.testing
    .culprit.Culprit`: op, node name, input shapes, worst element, both numbers, creation
    site), or None when every rule agrees. `stale`: the nodes whose output is no longer their
    op at their inputs' data (a `.data` edited between forward and backward). `root`: the output
    of the re-run of f whose graph was searched (None when no search was made: finite
    differences that are not finite say nothing about rules)."""

    culprit = root = None
    stale = ()
    framework = None  # "torch" or "jax" for check_gradients on their code (then also
    # `precision`, `nodes` (the traced graph), `unchecked` and `outside_domain`)

    def diagram(self, max_nodes=400, **options):
        """`autograd.draw` of the searched graph with the culprit highlighted (keyword options
        passed on); when the graph has more than `max_nodes` values and the culprit is not among
        those nearest the output, the graph below the culprit is drawn instead."""
        if getattr(self, "framework", None):
            raise ValueError(f"GradcheckError.diagram: this failure is of a {self.framework} "
                             f"function, and diagrams draw gategrad's graphs: error.nodes "
                             f"lists the traced nodes, error.culprit the wrong one")
        if self.root is None:
            raise ValueError("GradcheckError.diagram: no graph was searched for this failure "
                             "(finite differences were not finite)")
        from ..draw import draw
        from ..draw.walk import all_values

        marked = self.culprit.node if self.culprit is not None else list(self.stale) or None
        root = self.root
        if self.culprit is not None and max_nodes is not None and not any(
                v is self.culprit.node for v in all_values(root)[:max_nodes]):
            root = self.culprit.node
        if self.culprit is not None:
            options.setdefault("title", f"gradcheck: the rule of '{self.culprit.op}' "
                                        f"({self.culprit.name}) is wrong")
        return draw(root, highlight=marked, max_nodes=max_nodes, **options)


def _leaf(x, i):
    """A fresh float64 leaf requiring a gradient for input `i` (numbers become Scalars, arrays
    Tensors); float32 is refused, since finite differences need float64."""
    if isinstance(x, Scalar):
        return Scalar(x.data, label=x.label)
    data, label = (x.data, x.label) if isinstance(x, Tensor) else (x, None)
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind == "f" \
            and data.dtype != np.float64:
        cast = "x.double() (a cast that keeps the graph)" if isinstance(x, Tensor) else \
            "x.astype(np.float64)"
        raise TypeError(f"gradcheck: input {i} is {data.dtype}; finite differences need float64: "
                        f"pass {cast}")
    if isinstance(x, Tensor) or isinstance(data, (np.ndarray, list, tuple)):
        return Tensor(data, requires_grad=True, dtype=np.float64, label=label)
    return Scalar(data)


def _name(i, leaf):
    kind = f"a {type(leaf).__name__}"
    return f"input {i} ({leaf.label}, {kind})" if leaf.label else f"input {i} ({kind})"


class _Weights:
    """Fixed random output weights per output shape: a non-scalar f is checked through the
    number <w, f(x)>, backpropagating w itself, so no op is added to f's graph."""

    def __init__(self, seed):
        self.seed, self.cache = seed, {}

    def seed_for(self, out):
        if isinstance(out, Scalar):
            return 1.0
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: f must return a Scalar or a Tensor, got {brief(out)}")
        if out.dtype != np.float64:
            raise TypeError(f"gradcheck: f returned a {out.dtype} Tensor; finite differences "
                            f"need float64 all the way through (a cast inside f, such as "
                            f".float(), loses the precision they need)")
        if out.size == 1:
            return np.ones(out.shape)
        if out.shape not in self.cache:
            self.cache[out.shape] = np.random.default_rng(self.seed).normal(size=out.shape)
        return self.cache[out.shape]

    def value(self, f, datas, kinds):
        """<w, f(x)> for raw input data (each wrapped in a fresh leaf of its kind: leaves
        require gradients, as in the analytic pass, since f may differentiate inside)."""
        values = [Scalar(float(d)) if kind is Scalar else Tensor(d, requires_grad=True)
                  for d, kind in zip(datas, kinds)]
        with np.errstate(all="ignore"):  # a non-finite result is reported by the caller
            out = f(*values)
        return float(np.sum(self.seed_for(out) * np.asarray(out.data)))


def _analytic(f, leaves, weights):
    """The gradients of <w, f> at the leaves, as float64 arrays (zeros where f ignores one)."""
    out = f(*leaves)
    seed = weights.seed_for(out)
    if not isinstance(out, Node) or not out.requires_grad:  # f does not depend on its inputs
        return [np.zeros(np.shape(x.data)) for x in leaves]
    grads = backward(out, seed, inputs=leaves)
    return [np.zeros(np.shape(x.data)) if g is None else np.asarray(g, dtype=np.float64)
            for g, x in zip(grads, leaves)]


@enable_grad()  # f is recorded and differentiated whatever the caller's mode (no_grad too)
def gradcheck(f, *inputs, eps=1e-6, atol=1e-6, rtol=1e-5, mode="both", seed=0, fast=False):
    """Check the gradients of `f` at `inputs` against central finite differences.

    `inputs` are Scalars, float64 Tensors, numbers or float64 arrays (float32 is refused);
    `f` returns a Scalar or a Tensor of any shape (checked through fixed random weights of its
    elements). `mode` "elementwise" perturbs every element of every input, "directional"
    moves each input, then all of them, along random directions; "both" does both. `fast=True`
    (for inputs of thousands of elements) checks one random direction per input and nothing
    else: two evaluations of f per input instead of two per element. A gradient agrees when
    |analytic - numeric| <= atol + rtol * |numeric|. `seed` fixes the random output weights
    and directions.

    Returns True, or raises GradcheckError naming the input, the worst element, the analytic
    and numeric values and the tolerance, and then the culprit: f is run again and each node's
    rule is checked against finite differences of its op at the inputs it saw; the error names
    the first wrong one in the order the backward pass runs them (op, node, input shapes, the
    worst element with both numbers, the line that created it), or says that every rule
    agrees. `error.diagram()` draws the graph with the culprit highlighted.
    """
    if mode not in ("both", "elementwise", "directional"):
        raise ValueError(f"gradcheck: mode must be 'both', 'elementwise' or 'directional', "
                         f"got {mode!r}")
    if fast and mode != "both":
        raise ValueError(f"gradcheck: fast=True checks one random direction per input, so it "
                         f"takes no mode (got mode={mode!r}); leave mode at its default")
    if not inputs:
        raise ValueError("gradcheck: give at least one input to differentiate with respect to")
    leaves = [_leaf(x, i) for i, x in enumerate(inputs)]
    kinds = [type(x) for x in leaves]
    weights = _Weights(seed)
    datas = [np.array(x.data, dtype=np.float64) for x in leaves]  # before f can edit them
    analytic = _analytic(f, leaves, weights)
    names = [_name(i, x) for i, x in enumerate(leaves)]

    def derivative(directions):
        """Central difference of <w, f> along `directions` (one array per input)."""
        plus = weights.value(f, [d + eps * v for d, v in zip(datas, directions)], kinds)
        minus = weights.value(f, [d - eps * v for d, v in zip(datas, directions)], kinds)
        return (plus - minus) / (2 * eps)

    failure = _first_failure(analytic, datas, names, derivative, atol, rtol, mode, seed, fast)
    if failure is None:
        return True
    message, judges_rules = failure
    error = GradcheckError(message)
    if judges_rules:  # the gradient is wrong: find the rule that makes it so
        culprit.explain(error, f, [_leaf(x, i) for i, x in enumerate(inputs)],
                        weights.seed_for, eps, atol, rtol, fast, seed)
    raise error


def _first_failure(analytic, datas, names, derivative, atol, rtol, mode, seed, fast,
                   who="gradcheck", tolerance=None, at_kink=None):
    """None when `analytic` agrees with `derivative` (central differences), else the message
    of the first disagreement and whether the gradient's rules can explain it (they cannot
    when the finite differences themselves are not finite).

    `who` names the check in the messages and `tolerance` describes it (default: the atol and
    rtol). `at_kink(directions, analytic)`, when given, says whether a disagreement along
    `directions` is a kink: the one-sided differences differ there and the analytic value
    lies between them (`kinks.py`); such a point is not a failure."""
    tolerance = tolerance or f"tolerance {atol:g} + {rtol:g} * |numeric|"
    if mode in ("both", "elementwise") and not fast:
        for i, data in enumerate(datas):
            numeric = np.zeros_like(data)
            for index in np.ndindex(data.shape):
                numeric[index] = derivative(_unit(datas, i, index))
            excused = None
            if at_kink is not None:
                def excused(index, value, i=i):
                    return at_kink(_unit(datas, i, index), value)
            failure = _compare(analytic[i], numeric, names[i], atol, rtol, tolerance, who,
                               excused)
            if failure is not None:
                return failure
    if mode in ("both", "directional"):
        rng = np.random.default_rng(seed + 1)
        together = [None] if len(datas) > 1 and not fast else []
        for i in [*range(len(datas)), *together]:  # each input alone, then all together
            directions = [rng.normal(size=d.shape) if i in (None, j) else np.zeros(d.shape)
                          for j, d in enumerate(datas)]
            numeric = derivative(directions)
            exact = sum(float(np.sum(a * v)) for a, v in zip(analytic, directions))
            if not abs(exact - numeric) <= atol + rtol * abs(numeric) and not (
                    at_kink is not None and np.isfinite(numeric)
                    and at_kink(directions, exact)):
                which = "all inputs" if i is None else names[i]
                return (f"{who}: the gradient of {which} is wrong along a random "
                        f"direction: analytic {exact:.10g}, numeric {numeric:.10g} "
                        f"({tolerance}); mode='elementwise' names the element", True)
    return None


def _unit(datas, i, index):
    """Directions that move element `index` of input `i` alone."""
    directions = [np.zeros_like(d) for d in datas]
    directions[i][index] = 1.0
    return directions


def _compare(analytic, numeric, name, atol, rtol, tolerance, who="gradcheck", excused=None):
    """The failure at the worst element where the two gradients disagree, or None (elements
    that `excused(index, analytic value)` calls kinks do not count)."""
    if not np.all(np.isfinite(numeric)):
        worst = _index(np.argmax(~np.isfinite(numeric)), numeric.shape)
        return (f"{who}: finite differences of {name} are not finite at element {worst} "
                f"(numeric {numeric[worst]}): f is not defined or overflows within eps of the "
                f"input; choose a point inside f's domain", False)
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    excess = np.where(np.isfinite(excess), excess, np.inf)  # a nan/inf gradient is wrong
    while np.any(excess > 0):
        worst = _index(np.argmax(excess), excess.shape)
        if excused is not None and np.isfinite(analytic[worst]) and \
                excused(worst, float(analytic[worst])):
            excess[worst] = -np.inf
            continue
        return (f"{who}: the gradient of {name} is wrong at element {worst}: analytic "
                f"{analytic[worst]:.10g}, numeric {numeric[worst]:.10g} ({tolerance})", True)
    return None


def _index(flat, shape):
    return tuple(int(i) for i in np.unravel_index(flat, shape))


@enable_grad()
def gradgradcheck(f, *inputs, eps=1e-5, atol=1e-5, rtol=1e-4, mode="both", seed=0):
    """Check second derivatives of `f` at `inputs`: the first gradients are computed with
    `create_graph=True`, reduced to the number <grad f, u> for fixed random u, and that
    number's gradients (Hessian-vector products) are checked by `gradcheck` against finite
    differences of the first gradients. Raises GradcheckError as gradcheck does."""
    weights = _Weights(seed)
    directions = {}

    def directional_gradient(*leaves):
        out = f(*leaves)
        seed_grad = weights.seed_for(out)
        seed_grad = Scalar(seed_grad, requires_grad=False) if isinstance(out, Scalar) else \
            Tensor(seed_grad)
        if not out.requires_grad:
            return leaves[0].sum() * 0.0 if isinstance(out, Tensor) else leaves[0] * 0.0
        grads = backward(out, seed_grad, create_graph=True, inputs=list(leaves))
        total = leaves[0] * 0.0
        total = total.sum() if isinstance(total, Tensor) else total
        for i, (g, x) in enumerate(zip(grads, leaves)):
            if g is None:
                continue
            u = directions.setdefault(i, np.random.default_rng(seed + 7 + i).normal(
                size=np.shape(x.data)))
            total = total + ((g * u).sum() if isinstance(g, Tensor) else g * float(u))
        return total

    try:
        return gradcheck(directional_gradient, *inputs, eps=eps, atol=atol, rtol=rtol,
                         mode=mode, seed=seed)
    except GradcheckError as error:
        error.args = (f"gradgradcheck (second derivatives, the gradient of <grad f, u> for "
                      f"random u): {error.args[0]}", *error.args[1:])
        raise
