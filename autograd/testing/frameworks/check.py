"""The check of a whole function of another framework, given its adapter: the framework's
reverse-mode gradients against central finite differences (element by element and along random
directions, the comparison of `gradcheck`), then the dot-product test between its forward and
reverse modes, and on failure the culprit search over the traced graph (`nodes.py`).

Precision: the adapter runs f in float64 when it can (inputs promoted). When it cannot (f
refuses float64 inputs or casts to float32 inside), f runs at its inputs' own dtype and the
tolerance is derived from that dtype and f's scale: a step h = eps_dtype^(1/3) * max(1, |x|)
(the step that balances rounding against truncation) and half of it, combined by Richardson's
extrapolation (which cancels the h^2 truncation error), rounding error 3 * 32 * eps_dtype * S / h
where S = sum |w * f(x)| (the size of the checked number), and a relative 1e-2. The report
states which precision and which tolerance were used.
"""

import numpy as np

from ..gradcheck import GradcheckError, _first_failure
from ..kinks import at_kink
from . import nodes as graph

ELEMENTWISE_LIMIT = 2000
"""Inputs of up to this many elements in all are checked element by element; beyond, along
random directions only (gradcheck's fast mode)."""


def run(adapter, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0, fast=None, dot=True):
    """Check `adapter`'s function at its inputs; return None or raise GradcheckError."""
    datas = adapter.datas
    if fast is None:
        fast = sum(d.size for d in datas) > ELEMENTWISE_LIMIT
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        outputs = adapter.value(datas)
    weights = [rng.normal(size=o.shape) if o.size != 1 else np.ones(o.shape) for o in outputs]
    tolerance_text = None
    if adapter.low_precision:
        unit = float(np.finfo(adapter.low_precision).eps)
        eps = unit ** (1 / 3) * max(1.0, max((float(np.max(np.abs(d), initial=0))
                                              for d in datas), default=1.0))
        scale = sum(float(np.sum(np.abs(w * o))) for w, o in zip(weights, outputs))
        atol, rtol = 3 * 32 * unit * scale / eps, 1e-2
        tolerance_text = (f"{adapter.low_precision} tolerance {atol:.3g} + {rtol:g} * |numeric|: "
                          f"f cannot run in float64 ({adapter.low_precision_reason}); step "
                          f"{eps:.3g} and half of it (Richardson), rounding 3 * 32 * "
                          f"eps({adapter.low_precision}) * sum|w * f| / step with "
                          f"sum|w * f| = {scale:.3g}")
    else:  # rounding in f's value, over the step, can exceed atol when f is large
        scale = sum(float(np.sum(np.abs(w * o))) for w, o in zip(weights, outputs))
        atol = max(atol, rounding(scale, eps))
    analytic = adapter.vjp(datas, weights)

    def total_of(arrays, weights=weights):
        with np.errstate(all="ignore"):
            return float(sum(np.sum(w * o) for w, o in zip(weights, adapter.value(arrays))))

    total = total_of

    def central(directions, step):
        ahead = [d + step * v for d, v in zip(datas, directions)]
        behind = [d - step * v for d, v in zip(datas, directions)]
        return (total(ahead) - total(behind)) / (2 * _actual(step, ahead, behind, directions))

    def derivative(directions):
        if not adapter.low_precision:
            return central(directions, eps)
        # Richardson's extrapolation: the large float32 step's h^2 error cancels
        return (4 * central(directions, eps / 2) - central(directions, eps)) / 3

    scale = sum(float(np.sum(np.abs(w * o))) for w, o in zip(weights, outputs))
    unit = float(np.finfo(adapter.low_precision or np.float64).eps)
    base_atol = atol

    def tolerance(slope, step):
        return base_atol + rtol * abs(slope) + 16 * unit * scale / step

    def kink(directions, value):
        def move(t):  # the weighted output elements, term by term
            with np.errstate(all="ignore"):
                outs = adapter.value([d + t * v for d, v in zip(datas, directions)])
            return np.concatenate([np.ravel(w * o) for w, o in zip(weights, outs)])
        one_element = sum(int(np.count_nonzero(v)) for v in directions) == 1
        # (a random direction is judged after every element passed alone, unless `fast`)
        return at_kink(move, eps, value, tolerance, between=one_element or fast)

    who = f"check_gradients ({adapter.framework}, {adapter.precision})"
    with np.errstate(all="ignore"):
        again = adapter.value(datas)
    if not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(outputs, again)):
        failure = (f"{who}: f is not deterministic: two runs at the same inputs give different "
                   f"outputs, so finite differences of it mean nothing (the random nodes are "
                   f"named below)", True)
    else:
        failure = _first_failure(analytic, datas, adapter.names, derivative, atol, rtol,
                                 "both", seed, fast, who=who, tolerance=tolerance_text,
                                 at_kink=kink)
        if failure is None and dot:
            failure = _dot_product(adapter, datas, outputs, total_of, seed, who, eps)
    if failure is None:
        return
    message, judges_rules = failure
    error = GradcheckError(message)
    error.framework, error.precision = adapter.framework, adapter.precision
    error.outside_domain = judges_rules is False
    if judges_rules is True and _explain(error, adapter, datas, weights, eps, atol, rtol, seed, fast):
        return  # every node is right, and one sits at a kink: see _explain
    raise error


def _actual(step, ahead, behind, directions):
    """The step actually taken when one element moves (x + h - x is not h in floating point
    when |x| is large), else `step`."""
    moved = [(k, v) for k, v in enumerate(directions) if np.count_nonzero(v)]
    if len(moved) != 1 or np.count_nonzero(moved[0][1]) != 1:
        return step
    k, v = moved[0]
    index = np.unravel_index(int(np.flatnonzero(v)[0]), v.shape)
    actual = float(ahead[k][index] - behind[k][index]) / (2 * float(v[index]))
    return actual if actual != 0 else np.nan  # eps below the input's resolution


def rounding(scale, eps):
    """The rounding error of central differences of a float64 number of size `scale` over a
    step `eps` (with a margin of 16 ulps)."""
    return 16 * float(np.finfo(np.float64).eps) * scale / eps


def _dot_product(adapter, datas, outputs, total_of, seed, who, eps):
    """The failure of <u, J v> = <J^T u, v> for random u and v (forward mode against reverse
    mode), or None; nothing when the framework has no forward mode for f. Central differences
    of <u, f> along v then tell which mode is wrong: with reverse mode the culprit search
    follows (True); with forward mode it cannot help, since it checks vjps ("forward")."""
    rng = np.random.default_rng(seed + 3)
    u = [rng.normal(size=o.shape) for o in outputs]
    v = [rng.normal(size=d.shape) for d in datas]
    try:
        jv = adapter.jvp(datas, v)
    except NotImplementedError:  # no forward mode for f (a custom rule without one)
        return None
    forward = float(sum(np.sum(a * b) for a, b in zip(u, jv)))
    back = adapter.vjp(datas, u)
    reverse = float(sum(np.sum(a * b) for a, b in zip(back, v)))
    scale = sum(float(np.sum(np.abs(a * b))) for a, b in zip(u, jv)) + \
        sum(float(np.sum(np.abs(a * b))) for a, b in zip(back, v))
    relative = 1e-3 if adapter.low_precision else 1e-8
    if abs(forward - reverse) <= relative * scale + 1e-12 or not np.isfinite(scale):
        return None
    numeric = (total_of([d + eps * x for d, x in zip(datas, v)], u)
               - total_of([d - eps * x for d, x in zip(datas, v)], u)) / (2 * eps)
    wrong = "forward" if abs(forward - numeric) > abs(reverse - numeric) else "reverse"
    message = (f"{who}: forward and reverse mode disagree (the dot-product test): <u, J v> = "
               f"{forward:.10g} by forward mode (jvp), <J^T u, v> = {reverse:.10g} by reverse "
               f"mode (vjp), for random u and v (tolerance {relative:g} * {scale:.3g}); "
               f"finite differences give {numeric:.10g}: {wrong} mode is wrong")
    if wrong == "forward":
        return (message + "\nReverse mode agrees with finite differences, so no backward is "
                          "wrong: look at the forward-mode rules of f (a custom Function's jvp, "
                          "a custom_jvp's rule)", "forward")
    return message, True


def _explain(error, adapter, datas, weights, eps, atol, rtol, seed, fast):
    """Trace f into nodes, search them for the culprit and add the finding to the message.

    True when the failure is a kink's after all: no node is wrong alone, every node could be
    checked, and some node's inputs sit at a kink of its op (relu at 0, a tie of minimum).
    There the composition of the subgradients the rules choose need not be the derivative of
    the whole (min(relu(x), x) is x, but at 0 the rules give 0.5), which is no rule's fault."""
    try:
        traced, problem = adapter.nodes(datas, weights)
    except Exception as failure:  # noqa: BLE001 - the check's own error must not be lost
        traced, problem = None, f"{type(failure).__name__}: {failure}"
    if traced is None:
        _append(error, f"(f could not be traced into a graph of operations to search for the "
                       f"culprit: {problem})")
        return False
    graph.name_nodes(traced)
    step = eps if not adapter.low_precision else 1e-6  # nodes run in float64 where they can
    culprit, unchecked, checked = graph.search(traced, step, 1e-6, 1e-5, seed, fast)
    error.culprit, error.unchecked, error.nodes = culprit, unchecked, traced
    if culprit is None and not unchecked and any(node.at_kink for node in traced):
        return True
    _append(error, graph.describe(culprit, unchecked, checked))
    return False


def _append(error, text):
    error.args = (f"{error.args[0]}\n{text}", *error.args[1:])
