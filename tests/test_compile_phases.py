"""The generator's phases (issue 23, "the generator on structure"): names, forward lines,
backward scopes, buffers and text are separate steps handed explicit values, and the buffer
and liveness passes read statements' fields, never their text. The generated sources of a few
representative programs are pinned byte for byte (a Scalar neuron, a Tensor MLP with kept
buffers, broadcasting with a fan-out and folded constants, a Scalar batch written as one
function per example), as are the recording variants the checks run."""

import numpy as np
import pytest

import autograd
import nn
from autograd import Scalar, Tensor
from autograd.compile import backward, buffers, codegen
from autograd.compile.backward import Backward, Scope
from autograd.compile.forward import Names, forward_lines
from autograd.compile.names import Namer
from autograd.compile.statements import Expr, Statement, Word


def neuron_step():
    w1, w2, b = Scalar(-3.0, label="w1"), Scalar(1.0, label="w2"), Scalar(6.88, label="b")

    def neuron(x1, x2):
        n = x1 * w1 + x2 * w2 + b
        n.label = "n"
        out = n.sigmoid()
        out.label = "out"
        return out

    step = autograd.compile(neuron)
    step(Scalar(2.0, label="x1"), Scalar(0.0, label="x2"))
    return step


def mlp_step():
    net = nn.MLP([4, 5, 3], activation="sigmoid", rng=0)
    step = autograd.compile(lambda X, y: nn.cross_entropy(net(X), y), model=net)
    step(Tensor(np.ones((2, 4))), np.array([0, 2]))
    return step


def broadcast_step():
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, label="w")
    x = Tensor(np.linspace(0.5, 1.5, 6).reshape(2, 3), requires_grad=True)
    step = autograd.compile(
        lambda x: ((x * 2.0).sqrt().tanh() + (x + w).relu() - x / 3.0).sum())
    step(x)
    return step


def batch_step():
    rng = np.random.default_rng(3)
    params = [Scalar(v, label=f"p{i}") for i, v in enumerate(rng.uniform(-1, 1, size=9))]

    def loss(X, y):
        margins = []
        for (a, b), t in zip(X, y):
            h = [(Scalar(a) * params[2 * j] + Scalar(b) * params[2 * j + 1]).relu()
                 for j in range(2)]
            score = h[0] * params[4] + h[1] * params[5] + params[6]
            margins.append((1.0 + (-t) * score).relu())
        return sum(margins[1:], margins[0]) * (1.0 / len(margins)) + params[7] * params[8]

    X = rng.normal(size=(4, 2)).tolist()
    y = [1.0, -1.0, -1.0, 1.0]
    step = autograd.compile(loss, check=False)
    step(X, y)
    return step


STEPS = {"neuron": neuron_step, "mlp": mlp_step, "broadcast": broadcast_step,
         "batch": batch_step}


@pytest.mark.parametrize("name", STEPS)
def test_generated_sources_are_pinned_byte_for_byte(name):
    assert STEPS[name]().source == EXPECTED[name]


@pytest.mark.parametrize("name", ["neuron", "mlp", "broadcast"])
def test_recording_sources_are_pinned_byte_for_byte(name):
    program = STEPS[name]().last
    recording = codegen.generate(program.trace, program.arg_names, record=True)
    assert recording.source == EXPECTED[f"{name}_record"]


def test_the_phases_hand_their_results_on():
    """Names, then forward lines, then one backward Scope, then a BufferPlan, then the text:
    each phase's result says what the next one reads."""
    program = broadcast_step().last
    trace = program.trace
    names = Names(trace, program.arg_names, "step")
    assert names.node_names[:3] == ["mul1", "sqrt1", "tanh1"]
    assert all(isinstance(n, Word) for n in names.node_names + names.leaf_names)
    assert list(names.external) == ["x", "w"] and names.tensor
    forward = [s for j, node in enumerate(trace.nodes) for s in forward_lines(names, j, node)]
    assert [s.node for s in forward] == list(range(len(trace.nodes)))
    assert [s.op.name for s in forward][:3] == ["mul", "sqrt", "tanh"]
    assert forward[1].inputs == ("mul1",) and forward[0].inputs == ()
    scope, lines = Backward(names, record=False).write()
    assert isinstance(scope, Scope) and scope.g_names[("node", 0)] == "g_mul1"
    assert len(scope.contributions[("leaf", 0)]) == 3  # x: the fan-out of three uses
    body = forward + lines
    codegen.mark_reads(body, names)
    outputs = [names.reference(ref) for ref in trace.outputs]
    plan = buffers.plan_buffers(body, len(forward), outputs, names.env, names.arrays,
                                names.namer, keep=True)
    assert plan.names == ["buffer0", "buffer1", "buffer2", "buffer3", "buffer4"]
    assert [spec[0] for spec in plan.specs] == [(2, 3)] * 5
    assert "mul1" in plan.kept and plan.last["sum1"] == len(body)
    generated = codegen.assemble(names, body, len(forward), outputs, plan, scope.g_names,
                                 "step", False)
    assert generated.source == EXPECTED["broadcast"]
    assert generated.buffers == plan.specs and generated.persistent == program.persistent


def test_the_generator_runs_row_templates_never_program_text(monkeypatch):
    """A template is checked against its rule by running the row's template, compiled once,
    on the values its fields stand for: no line of the program is compiled or evaluated."""
    evaluated = []

    def recording(code, *args):
        evaluated.append(code)
        return eval(code, *args)  # noqa: S307 (the generator's own code objects)

    monkeypatch.setattr(backward, "eval", recording, raising=False)
    mlp_step()
    broadcast_step()
    assert len(evaluated) > 5
    assert all(not isinstance(code, str) and code.co_filename.startswith("<template ")
               for code in evaluated)
    names = {code.co_filename for code in evaluated}
    assert "<template {g} * {y}>" in names or "<template {g}>" in names


class _Unreadable(Expr):
    """An expression whose text the buffer pass must never need."""

    __slots__ = ()

    @property
    def text(self):
        raise AssertionError("the buffer pass read a statement's text")

    @text.setter
    def text(self, value):
        pass


def _statements(kind, args):
    a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
    env = {"a": a, "b": b, "c": a * b}
    first = Statement(None, "", "a2", _Unreadable("", ("a",), "new"))
    second = Statement(None, "", "c", _Unreadable("", ("a2", "b"), kind, args))
    third = Statement("use(c)", operands=("c",))
    env["a2"] = a.copy()
    body = [first, second, third]
    for s in body:
        s.reads = tuple(n for n in s.operands if n in env)
    return body, env


def test_the_buffer_pass_reads_fields_never_text():
    body, env = _statements("ufunc", ("np.multiply", "a2", "b"))
    plan = buffers.plan_buffers(body, 0, [], env, {"a2", "c"}, Namer(),
                                keep=True)
    # the product is written into the dying a2, from the expression's fields alone
    assert body[1].expr.text == "np.multiply(a2, b, out=a2)"
    assert plan.last == {"a": 0, "a2": 1, "b": 1, "c": 2}
    body, env = _statements("any", ())  # the same operands, nothing said of the value
    plan = buffers.plan_buffers(body, 0, [], env, {"a2", "c"}, Namer(),
                                keep=True)
    assert type(body[1].expr) is _Unreadable and not plan.names and not plan.kept


def test_a_recording_program_keeps_no_buffers():
    program = mlp_step().last
    recording = codegen.generate(program.trace, program.arg_names, record=True)
    assert recording.buffers == [] and "= B" not in recording.source
    assert program.buffer_specs and len(program.buffer_specs) == 3


def test_words_are_marked_where_they_are_made():
    """Which constants count as operands is decided where their literal is written."""
    program = broadcast_step().last
    names = Names(program.trace, program.arg_names, "step")
    for value in (2, 0, None, True, float("nan"), float("inf"), Ellipsis):
        assert isinstance(names.constant(value), Word), value
    for value in (-2, 2.0, float("-inf"), (1, 2), slice(1, 2)):
        assert not isinstance(names.constant(value), Word), value
    assert isinstance(names.constant(np.int64(3)), Word)
    assert names.constant(np.int64(-3)) == "-3"
    bound = names.constant(np.arange(3))
    assert isinstance(bound, Word) and names.namespace[bound] is not None


EXPECTED = {
    "neuron": """\
def step(A, P, B):
    # ---- inputs: read at every call ----
    x1 = A[0].data  # argument x1
    w1 = P[0].data  # parameter w1
    x2 = A[1].data  # argument x2
    w2 = P[1].data  # parameter w2
    b = P[2].data  # parameter b
    # ---- forward ----
    mul1 = x1 * w1
    mul2 = x2 * w2
    add1 = mul1 + mul2
    n = add1 + b
    out = sigmoid(n)
    # ---- backward: one line per rule, in reverse order ----
    g_out = 1.0  # d loss / d loss
    g_n = sigmoid_slope_times(g_out, out)  # sigmoid rule
    g_add1 = g_n  # add gate: distributes
    g_b = g_n  # add gate: distributes
    g_mul1 = g_add1  # add gate: distributes
    g_mul2 = g_add1  # add gate: distributes
    g_x2 = g_mul2 * w2  # mul gate: swaps
    g_w2 = g_mul2 * x2  # mul gate: swaps
    g_x1 = g_mul1 * w1  # mul gate: swaps
    g_w1 = g_mul1 * x1  # mul gate: swaps
    A[0].grad = g_x1 if A[0].grad is None else A[0].grad + g_x1  # x1.grad (leaves accumulate until zero_grad)
    P[0].grad = g_w1 if P[0].grad is None else P[0].grad + g_w1  # w1.grad (leaves accumulate until zero_grad)
    A[1].grad = g_x2 if A[1].grad is None else A[1].grad + g_x2  # x2.grad (leaves accumulate until zero_grad)
    P[1].grad = g_w2 if P[1].grad is None else P[1].grad + g_w2  # w2.grad (leaves accumulate until zero_grad)
    P[2].grad = g_b if P[2].grad is None else P[2].grad + g_b  # b.grad (leaves accumulate until zero_grad)
    return (out, )
""",
    "neuron_record": """\
def step(A, P, record):
    # ---- inputs: read at every call ----
    x1 = A[0].data  # argument x1
    w1 = P[0].data  # parameter w1
    x2 = A[1].data  # argument x2
    w2 = P[1].data  # parameter w2
    b = P[2].data  # parameter b
    # ---- forward ----
    mul1 = x1 * w1
    record('value', 0, mul1)
    mul2 = x2 * w2
    record('value', 1, mul2)
    add1 = mul1 + mul2
    record('value', 2, add1)
    n = add1 + b
    record('value', 3, n)
    out = sigmoid(n)
    record('value', 4, out)
    # ---- backward: one line per rule, in reverse order ----
    g_out = 1.0  # d loss / d loss
    record('grad', 4, g_out)
    g_n = sigmoid_slope_times(g_out, out)  # sigmoid rule
    record('send', (4, 0), g_n)
    record('grad', 3, g_n)
    g_add1 = g_n  # add gate: distributes
    record('send', (3, 0), g_add1)
    g_b = g_n  # add gate: distributes
    record('send', (3, 1), g_b)
    record('grad', 2, g_add1)
    g_mul1 = g_add1  # add gate: distributes
    record('send', (2, 0), g_mul1)
    g_mul2 = g_add1  # add gate: distributes
    record('send', (2, 1), g_mul2)
    record('grad', 1, g_mul2)
    g_x2 = g_mul2 * w2  # mul gate: swaps
    record('send', (1, 0), g_x2)
    g_w2 = g_mul2 * x2  # mul gate: swaps
    record('send', (1, 1), g_w2)
    record('grad', 0, g_mul1)
    g_x1 = g_mul1 * w1  # mul gate: swaps
    record('send', (0, 0), g_x1)
    g_w1 = g_mul1 * x1  # mul gate: swaps
    record('send', (0, 1), g_w1)
    A[0].grad = g_x1 if A[0].grad is None else A[0].grad + g_x1  # x1.grad (leaves accumulate until zero_grad)
    P[0].grad = g_w1 if P[0].grad is None else P[0].grad + g_w1  # w1.grad (leaves accumulate until zero_grad)
    A[1].grad = g_x2 if A[1].grad is None else A[1].grad + g_x2  # x2.grad (leaves accumulate until zero_grad)
    P[1].grad = g_w2 if P[1].grad is None else P[1].grad + g_w2  # w2.grad (leaves accumulate until zero_grad)
    P[2].grad = g_b if P[2].grad is None else P[2].grad + g_b  # b.grad (leaves accumulate until zero_grad)
    return (out, )
""",
    "mlp": """\
def step(A, P, B):
    # ---- inputs: read at every call ----
    X = A[0].data  # argument X
    layers_0_weight = P[0].data  # parameter layers.0.weight
    layers_0_bias = P[1].data  # parameter layers.0.bias
    layers_1_weight = P[2].data  # parameter layers.1.weight
    layers_1_bias = P[3].data  # parameter layers.1.bias
    y = A[1]  # argument y
    buffer0, buffer1, buffer2 = B  # arrays of this program kept between calls (never a result or a .grad)
    # ---- forward ----
    matmul1 = np.matmul(X, layers_0_weight, out=buffer0)  # into buffer0, kept between calls
    add1 = np.add(matmul1, layers_0_bias, out=matmul1)
    sigmoid1 = sigmoid_into(add1, add1)
    matmul2 = np.matmul(sigmoid1, layers_1_weight, out=buffer1)  # into buffer1, kept between calls
    add2 = np.add(matmul2, layers_1_bias, out=matmul2)
    if y.view(uint64).max() >= 3: check_labels(y, 2, 3)  # the label check of eager mode (raises)
    mean_softmax_cross_entropy1, mean_softmax_cross_entropy1_saved = mean_softmax_cross_entropy(add2, labels=y)
    # ---- backward: one line per rule, in reverse order ----
    g_mean_softmax_cross_entropy1 = ONE  # d loss / d loss (ones, the same at every call)
    g_add2 = mean_softmax_cross_entropy_rule(g_mean_softmax_cross_entropy1, mean_softmax_cross_entropy1, add2, labels=y, saved=mean_softmax_cross_entropy1_saved)  # mean_softmax_cross_entropy rule
    del mean_softmax_cross_entropy1_saved  # last use
    g_matmul2 = g_add2  # add gate: distributes
    g_layers_1_bias = g_add2.sum(axis=0)  # add gate: distributes
    g_sigmoid1 = np.matmul(g_matmul2, layers_1_weight.swapaxes(-1, -2), out=buffer2)  # mul gate: swaps; into buffer2, kept between calls
    g_layers_1_weight = sigmoid1.swapaxes(-1, -2) @ g_matmul2  # mul gate: swaps
    g_add1 = sigmoid_slope_times(g_sigmoid1, sigmoid1)  # sigmoid rule
    g_matmul1 = g_add1  # add gate: distributes
    g_layers_0_bias = g_add1.sum(axis=0)  # add gate: distributes
    del g_add1  # last use
    g_layers_0_weight = X.swapaxes(-1, -2) @ g_matmul1  # mul gate: swaps
    del g_matmul1  # last use
    deliver(P[0], g_layers_0_weight)  # layers.0.weight.grad (leaves accumulate until zero_grad)
    del g_layers_0_weight  # last use
    deliver(P[1], g_layers_0_bias)  # layers.0.bias.grad (leaves accumulate until zero_grad)
    del g_layers_0_bias  # last use
    deliver(P[2], g_layers_1_weight)  # layers.1.weight.grad (leaves accumulate until zero_grad)
    del g_layers_1_weight  # last use
    deliver(P[3], g_layers_1_bias)  # layers.1.bias.grad (leaves accumulate until zero_grad)
    del g_layers_1_bias  # last use
    return (mean_softmax_cross_entropy1, )
""",
    "mlp_record": """\
def step(A, P, record):
    # ---- inputs: read at every call ----
    X = A[0].data  # argument X
    layers_0_weight = P[0].data  # parameter layers.0.weight
    layers_0_bias = P[1].data  # parameter layers.0.bias
    layers_1_weight = P[2].data  # parameter layers.1.weight
    layers_1_bias = P[3].data  # parameter layers.1.bias
    y = A[1]  # argument y
    # ---- forward ----
    matmul1 = X @ layers_0_weight
    record('value', 0, matmul1)
    add1 = np.add(matmul1, layers_0_bias, out=matmul1)
    record('value', 1, add1)
    del matmul1  # last use
    sigmoid1 = sigmoid_into(add1, add1)
    record('value', 2, sigmoid1)
    del add1  # last use
    matmul2 = sigmoid1 @ layers_1_weight
    record('value', 3, matmul2)
    add2 = np.add(matmul2, layers_1_bias, out=matmul2)
    record('value', 4, add2)
    del matmul2  # last use
    if y.view(uint64).max() >= 3: check_labels(y, 2, 3)  # the label check of eager mode (raises)
    mean_softmax_cross_entropy1, mean_softmax_cross_entropy1_saved = mean_softmax_cross_entropy(add2, labels=y)
    record('value', 5, mean_softmax_cross_entropy1)
    # ---- backward: one line per rule, in reverse order ----
    g_mean_softmax_cross_entropy1 = ONE  # d loss / d loss (ones, the same at every call)
    record('grad', 5, g_mean_softmax_cross_entropy1)
    g_add2 = mean_softmax_cross_entropy_rule(g_mean_softmax_cross_entropy1, mean_softmax_cross_entropy1, add2, labels=y, saved=mean_softmax_cross_entropy1_saved)  # mean_softmax_cross_entropy rule
    del add2, mean_softmax_cross_entropy1_saved  # last use
    record('send', (5, 0), g_add2)
    record('grad', 4, g_add2)
    g_matmul2 = g_add2  # add gate: distributes
    record('send', (4, 0), g_matmul2)
    g_layers_1_bias = g_add2.sum(axis=0)  # add gate: distributes
    del g_add2  # last use
    record('send', (4, 1), g_layers_1_bias)
    record('grad', 3, g_matmul2)
    g_sigmoid1 = g_matmul2 @ layers_1_weight.swapaxes(-1, -2)  # mul gate: swaps
    record('send', (3, 0), g_sigmoid1)
    g_layers_1_weight = sigmoid1.swapaxes(-1, -2) @ g_matmul2  # mul gate: swaps
    del g_matmul2  # last use
    record('send', (3, 1), g_layers_1_weight)
    record('grad', 2, g_sigmoid1)
    g_add1 = sigmoid_slope_times(g_sigmoid1, sigmoid1)  # sigmoid rule
    del g_sigmoid1, sigmoid1  # last use
    record('send', (2, 0), g_add1)
    record('grad', 1, g_add1)
    g_matmul1 = g_add1  # add gate: distributes
    record('send', (1, 0), g_matmul1)
    g_layers_0_bias = g_add1.sum(axis=0)  # add gate: distributes
    del g_add1  # last use
    record('send', (1, 1), g_layers_0_bias)
    record('grad', 0, g_matmul1)
    g_layers_0_weight = X.swapaxes(-1, -2) @ g_matmul1  # mul gate: swaps
    del g_matmul1  # last use
    record('send', (0, 1), g_layers_0_weight)
    deliver(P[0], g_layers_0_weight)  # layers.0.weight.grad (leaves accumulate until zero_grad)
    del g_layers_0_weight  # last use
    deliver(P[1], g_layers_0_bias)  # layers.0.bias.grad (leaves accumulate until zero_grad)
    del g_layers_0_bias  # last use
    deliver(P[2], g_layers_1_weight)  # layers.1.weight.grad (leaves accumulate until zero_grad)
    del g_layers_1_weight  # last use
    deliver(P[3], g_layers_1_bias)  # layers.1.bias.grad (leaves accumulate until zero_grad)
    del g_layers_1_bias  # last use
    return (mean_softmax_cross_entropy1, )
""",
    "broadcast": """\
def step(A, P, B):
    # ---- inputs: read at every call ----
    x = A[0].data  # argument x
    w = P[0].data  # parameter w
    buffer0, buffer1, buffer2, buffer3, buffer4 = B  # arrays of this program kept between calls (never a result or a .grad)
    # ---- forward ----
    mul1 = np.multiply(x, 2.0, out=buffer0)  # into buffer0, kept between calls
    sqrt1 = np.sqrt(mul1, out=mul1)
    tanh1 = np.tanh(sqrt1, out=buffer1)  # into buffer1, kept between calls
    add1 = np.add(x, w, out=buffer2)  # into buffer2, kept between calls
    relu1 = np.maximum(add1, 0, out=add1)
    add2 = np.add(tanh1, relu1, out=buffer3)  # into buffer3, kept between calls
    div1 = np.divide(x, 3.0, out=buffer4)  # into buffer4, kept between calls
    sub1 = np.subtract(add2, div1, out=add2)
    sum1 = as_data(reduce_sum(sub1, axis=None, keepdims=False))
    # ---- backward: one line per rule, in reverse order ----
    g_sum1 = ONE  # d loss / d loss (ones, the same at every call)
    g_sub1 = G_sub1  # add gate: distributes: expand(g_sum1, (2, 3), None, False), the same at every call
    g_add2 = G_sub1  # sub rule: g_sub1, the same at every call
    g_div1 = G_div1  # sub rule: -g_sub1, the same at every call
    g_x__1 = G_x__1  # div rule: divide(g_div1, 3.0), the same at every call
    g_tanh1 = G_sub1  # add gate: distributes: g_add2, the same at every call
    g_relu1 = G_sub1  # add gate: distributes: g_add2, the same at every call
    g_add1 = g_relu1 * where_positive(relu1)  # max gate: routes
    del g_relu1  # last use
    g_x__2 = g_add1  # add gate: distributes
    g_w = g_add1.sum(axis=0)  # add gate: distributes
    del g_add1  # last use
    g_sqrt1 = tanh_slope_times(g_tanh1, tanh1)  # tanh rule
    del g_tanh1  # last use
    g_mul1 = divide(0.5 * g_sqrt1, sqrt1)  # sqrt rule
    del g_sqrt1  # last use
    g_x__3 = g_mul1 * 2.0  # mul gate: swaps
    del g_mul1  # last use
    g_x = g_x__1 + g_x__2 + g_x__3  # fan-out: the gradients from 3 uses add up
    del g_x__1, g_x__2, g_x__3  # last use
    deliver(A[0], g_x)  # x.grad (leaves accumulate until zero_grad)
    del g_x  # last use
    deliver(P[0], g_w)  # w.grad (leaves accumulate until zero_grad)
    del g_w  # last use
    return (sum1, )
""",
    "broadcast_record": """\
def step(A, P, record):
    # ---- inputs: read at every call ----
    x = A[0].data  # argument x
    w = P[0].data  # parameter w
    # ---- forward ----
    mul1 = x * 2.0
    record('value', 0, mul1)
    sqrt1 = np.sqrt(mul1, out=mul1)
    record('value', 1, sqrt1)
    del mul1  # last use
    tanh1 = tanh(sqrt1)
    record('value', 2, tanh1)
    add1 = x + w
    record('value', 3, add1)
    relu1 = np.maximum(add1, 0, out=add1)
    record('value', 4, relu1)
    del add1  # last use
    add2 = tanh1 + relu1
    record('value', 5, add2)
    div1 = x / 3.0
    record('value', 6, div1)
    sub1 = np.subtract(add2, div1, out=add2)
    record('value', 7, sub1)
    del add2, div1  # last use
    sum1 = as_data(reduce_sum(sub1, axis=None, keepdims=False))
    record('value', 8, sum1)
    del sub1  # last use
    # ---- backward: one line per rule, in reverse order ----
    g_sum1 = ONE  # d loss / d loss (ones, the same at every call)
    record('grad', 8, g_sum1)
    g_sub1 = G_sub1  # add gate: distributes: expand(g_sum1, (2, 3), None, False), the same at every call
    record('send', (8, 0), g_sub1)
    record('grad', 7, g_sub1)
    del g_sub1  # last use
    g_add2 = G_sub1  # sub rule: g_sub1, the same at every call
    record('send', (7, 0), g_add2)
    g_div1 = G_div1  # sub rule: -g_sub1, the same at every call
    record('send', (7, 1), g_div1)
    record('grad', 6, g_div1)
    del g_div1  # last use
    g_x__1 = G_x__1  # div rule: divide(g_div1, 3.0), the same at every call
    record('send', (6, 0), g_x__1)
    record('grad', 5, g_add2)
    del g_add2  # last use
    g_tanh1 = G_sub1  # add gate: distributes: g_add2, the same at every call
    record('send', (5, 0), g_tanh1)
    g_relu1 = G_sub1  # add gate: distributes: g_add2, the same at every call
    record('send', (5, 1), g_relu1)
    record('grad', 4, g_relu1)
    g_add1 = g_relu1 * where_positive(relu1)  # max gate: routes
    del g_relu1, relu1  # last use
    record('send', (4, 0), g_add1)
    record('grad', 3, g_add1)
    g_x__2 = g_add1  # add gate: distributes
    record('send', (3, 0), g_x__2)
    g_w = g_add1.sum(axis=0)  # add gate: distributes
    del g_add1  # last use
    record('send', (3, 1), g_w)
    record('grad', 2, g_tanh1)
    g_sqrt1 = tanh_slope_times(g_tanh1, tanh1)  # tanh rule
    del g_tanh1, tanh1  # last use
    record('send', (2, 0), g_sqrt1)
    record('grad', 1, g_sqrt1)
    g_mul1 = divide(0.5 * g_sqrt1, sqrt1)  # sqrt rule
    del g_sqrt1, sqrt1  # last use
    record('send', (1, 0), g_mul1)
    record('grad', 0, g_mul1)
    g_x__3 = g_mul1 * 2.0  # mul gate: swaps
    del g_mul1  # last use
    record('send', (0, 0), g_x__3)
    g_x = g_x__1 + g_x__2 + g_x__3  # fan-out: the gradients from 3 uses add up
    del g_x__1, g_x__2, g_x__3  # last use
    deliver(A[0], g_x)  # x.grad (leaves accumulate until zero_grad)
    del g_x  # last use
    deliver(P[0], g_w)  # w.grad (leaves accumulate until zero_grad)
    del g_w  # last use
    return (sum1, )
""",
    "batch": """\
def step(A, P, B):
    # ---- inputs: read at every call ----
    p0 = P[0].data  # parameter p0
    p1 = P[1].data  # parameter p1
    p4 = P[2].data  # parameter p4
    p2 = P[3].data  # parameter p2
    p3 = P[4].data  # parameter p3
    p5 = P[5].data  # parameter p5
    p6 = P[6].data  # parameter p6
    p7 = P[7].data  # parameter p7
    p8 = P[8].data  # parameter p8
    # ---- forward ----
    mul17 = p7 * p8
    def example(X_i_0, X_i_1, k):  # one training example
        mul1 = X_i_0 * p0
        mul2 = X_i_1 * p1
        add1 = mul1 + mul2
        relu1 = relu(add1)
        mul18 = relu1 * p4
        mul3 = X_i_0 * p2
        mul4 = X_i_1 * p3
        add2 = mul3 + mul4
        relu2 = relu(add2)
        mul19 = relu2 * p5
        add9 = mul18 + mul19
        add13 = add9 + p6
        mul26 = k * add13
        add17 = 1.0 + mul26
        relu9 = relu(add17)
        return (relu9, k, relu2, X_i_1, X_i_0, relu1, )  # what the backward pass reads
    # K[i]: the constants of example i (the values of k)
    S = [example(A[0 + 2 * i], A[1 + 2 * i], *K[i]) for i in range(4)]  # the 4 examples
    add21 = S[0][0] + S[1][0]
    add22 = add21 + S[2][0]
    add23 = add22 + S[3][0]
    mul30 = add23 * 0.25
    add24 = mul30 + mul17
    # ---- backward: one line per rule, in reverse order ----
    g_add24 = 1.0  # d loss / d loss
    g_mul30 = g_add24  # add gate: distributes
    g_mul17 = g_add24  # add gate: distributes
    g_add23 = g_mul30 * 0.25  # mul gate: swaps
    g_add22 = g_add23  # add gate: distributes
    g_relu9_3 = g_add23  # add gate: distributes
    g_add21 = g_add22  # add gate: distributes
    g_relu9_2 = g_add22  # add gate: distributes
    g_relu9_0 = g_add21  # add gate: distributes
    g_relu9_1 = g_add21  # add gate: distributes
    G_relu9 = [g_relu9_0, g_relu9_1, g_relu9_2, g_relu9_3]  # the gradient of relu9 in each example
    g_p6_examples = 0.0  # summed over the examples below
    g_p5_examples = 0.0  # summed over the examples below
    g_p3_examples = 0.0  # summed over the examples below
    g_p2_examples = 0.0  # summed over the examples below
    g_p4_examples = 0.0  # summed over the examples below
    g_p1_examples = 0.0  # summed over the examples below
    g_p0_examples = 0.0  # summed over the examples below
    def example_backward(g_relu9_out, saved):  # one example, in reverse
        nonlocal g_p6_examples, g_p5_examples, g_p3_examples, g_p2_examples, g_p4_examples, g_p1_examples, g_p0_examples
        relu9, k, relu2, X_i_1, X_i_0, relu1, = saved
        g_add17 = g_relu9_out * where_positive(relu9)  # max gate: routes
        if g_add17 == 0.0 and isfinite(sum(saved)): return  # an inactive gate: the rest would add zeros
        g_mul26 = g_add17  # add gate: distributes
        g_add13 = g_mul26 * k  # mul gate: swaps
        g_add9 = g_add13  # add gate: distributes
        g_p6_examples += g_add13  # add gate: distributes
        g_mul18 = g_add9  # add gate: distributes
        g_mul19 = g_add9  # add gate: distributes
        g_relu2 = g_mul19 * p5  # mul gate: swaps
        g_p5_examples += g_mul19 * relu2  # mul gate: swaps
        g_add2 = g_relu2 * where_positive(relu2)  # max gate: routes
        g_mul3 = g_add2  # add gate: distributes
        g_mul4 = g_add2  # add gate: distributes
        g_p3_examples += g_mul4 * X_i_1  # mul gate: swaps
        g_p2_examples += g_mul3 * X_i_0  # mul gate: swaps
        g_relu1 = g_mul18 * p4  # mul gate: swaps
        g_p4_examples += g_mul18 * relu1  # mul gate: swaps
        g_add1 = g_relu1 * where_positive(relu1)  # max gate: routes
        g_mul1 = g_add1  # add gate: distributes
        g_mul2 = g_add1  # add gate: distributes
        g_p1_examples += g_mul2 * X_i_1  # mul gate: swaps
        g_p0_examples += g_mul1 * X_i_0  # mul gate: swaps
        return
    for i in range(4):
        example_backward(G_relu9[i], S[i])
    g_p7 = g_mul17 * p8  # mul gate: swaps
    g_p8 = g_mul17 * p7  # mul gate: swaps
    P[0].grad = g_p0_examples if P[0].grad is None else P[0].grad + g_p0_examples  # p0.grad (leaves accumulate until zero_grad)
    P[1].grad = g_p1_examples if P[1].grad is None else P[1].grad + g_p1_examples  # p1.grad (leaves accumulate until zero_grad)
    P[2].grad = g_p4_examples if P[2].grad is None else P[2].grad + g_p4_examples  # p4.grad (leaves accumulate until zero_grad)
    P[3].grad = g_p2_examples if P[3].grad is None else P[3].grad + g_p2_examples  # p2.grad (leaves accumulate until zero_grad)
    P[4].grad = g_p3_examples if P[4].grad is None else P[4].grad + g_p3_examples  # p3.grad (leaves accumulate until zero_grad)
    P[5].grad = g_p5_examples if P[5].grad is None else P[5].grad + g_p5_examples  # p5.grad (leaves accumulate until zero_grad)
    P[6].grad = g_p6_examples if P[6].grad is None else P[6].grad + g_p6_examples  # p6.grad (leaves accumulate until zero_grad)
    P[7].grad = g_p7 if P[7].grad is None else P[7].grad + g_p7  # p7.grad (leaves accumulate until zero_grad)
    P[8].grad = g_p8 if P[8].grad is None else P[8].grad + g_p8  # p8.grad (leaves accumulate until zero_grad)
    return (add24, )
""",
}
