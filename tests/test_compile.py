"""autograd.compile and autograd.backward_code: readable generated code, inputs that stay
inputs, guards that never reuse a wrong program, the checks eager runs, clear errors."""

import ast

import numpy as np
import pytest

import autograd
import nn
from autograd import Scalar, Tensor
from autograd.compile import CompileCheckError, CompileError


def _neuron():
    x1, x2 = Scalar(2.0, label="x1"), Scalar(0.0, label="x2")
    w1, w2, b = Scalar(-3.0, label="w1"), Scalar(1.0, label="w2"), Scalar(6.88, label="b")

    def neuron(x1, x2):
        n = x1 * w1 + x2 * w2 + b
        n.label = "n"
        out = n.sigmoid()
        out.label = "out"
        return out
    return neuron, (x1, x2), (w1, w2, b)


def test_sigmoid_neuron_source_reads_as_the_gates_and_gives_eager_gradients():
    neuron, (x1, x2), (w1, w2, b) = _neuron()
    step = autograd.compile(neuron)
    out = step(x1, x2)
    source = step.source
    for text in ("out = sigmoid(n)", "g_n = sigmoid_slope_times(g_out, out)",
                 "# mul gate: swaps", "# add gate: distributes", "g_w1 = g_mul1 * x1"):
        assert text in source, text
    compiled = [v.grad for v in (x1, x2, w1, w2, b)]
    for v in (x1, x2, w1, w2, b):
        v.grad = None
    eager = neuron(x1, x2)
    eager.backward()
    assert out.data == eager.data
    assert compiled == [v.grad for v in (x1, x2, w1, w2, b)]
    text = autograd.backward_code(eager)  # the same program, from the recorded graph
    assert "g_n = sigmoid_slope_times(g_out, out)" in text and "g_w1 = g_mul1 * x1" in text


def test_fan_out_is_written_as_a_sum_and_leaves_accumulate_across_calls():
    x = Scalar(3.0, label="x")
    step = autograd.compile(lambda: x * x + x, check=False)
    step()
    assert "fan-out: the gradients from 3 uses add up" in step.source
    assert x.grad == 7.0
    step()
    assert x.grad == 14.0  # leaves accumulate until zero_grad, as backward() does


def test_mlp_step_names_parameters_and_reuses_buffers():
    model = nn.MLP([4, 5, 3], rng=0)
    step = autograd.compile(lambda X, y: nn.cross_entropy(model(X), y), model=model)
    rng = np.random.default_rng(1)
    step(Tensor(rng.normal(size=(6, 4))), rng.integers(0, 3, 6))
    source = step.source
    assert "layers_0_weight = P[0].data  # parameter layers.0.weight" in source
    assert "g_layers_0_weight = X.swapaxes(-1, -2) @ " in source
    assert "np.add(" in source and "out=" in source  # an add written into a dead buffer
    assert "del " in source  # arrays freed at their last use
    assert "check_labels(y, 6, 3)" in source  # eager's label check runs on every call


def test_new_data_labels_and_updated_parameters_are_read_at_every_call():
    model = nn.MLP([3, 4, 2], rng=0)
    optimizer = nn.SGD(model.parameters(), lr=0.3)
    step = autograd.compile(lambda X, y: nn.cross_entropy(model(X), y), check=True)
    twin = nn.MLP([3, 4, 2], rng=0)
    twin_optimizer = nn.SGD(twin.parameters(), lr=0.3)
    rng = np.random.default_rng(2)
    for _ in range(5):
        X, y = rng.normal(size=(7, 3)), rng.integers(0, 2, 7)
        optimizer.zero_grad()
        loss = step(Tensor(X), y)
        optimizer.step()
        twin_optimizer.zero_grad()
        twin_loss = nn.cross_entropy(twin(Tensor(X)), y)
        twin_loss.backward()
        twin_optimizer.step()
        np.testing.assert_allclose(loss.data, twin_loss.data, rtol=1e-12)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14)
    assert len(step.programs) == 1


def test_digits_mlp_trained_100_steps_compiled_and_eager_reaches_the_same_weights():
    (X, y), _ = nn.data.load_digits(seed=0)
    eager_model, compiled_model = nn.MLP([64, 30, 10], rng=0), nn.MLP([64, 30, 10], rng=0)
    eager_opt = nn.SGD(eager_model.parameters(), lr=0.5)
    compiled_opt = nn.SGD(compiled_model.parameters(), lr=0.5)
    step = autograd.compile(lambda X, y: nn.cross_entropy(compiled_model(X), y),
                            model=compiled_model)
    for k in range(100):
        Xb, yb = X[10 * k:10 * k + 10], y[10 * k:10 * k + 10]
        eager_opt.zero_grad()
        nn.cross_entropy(eager_model(Tensor(Xb)), yb).backward()
        eager_opt.step()
        compiled_opt.zero_grad()
        step(Tensor(Xb), yb)
        compiled_opt.step()
    for p, q in zip(eager_model.parameters(), compiled_model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=0, atol=1e-10)


def test_a_scalar_batch_becomes_one_function_per_example_with_eager_gradients():
    rng = np.random.default_rng(3)
    params = [Scalar(v) for v in rng.uniform(-1, 1, size=9)]  # 2-2-1 MLP: 6 + 3 weights

    def loss(X, y):
        margins = []
        for (a, b), t in zip(X, y):
            h = [(Scalar(a) * params[2 * j] + Scalar(b) * params[2 * j + 1]).relu()
                 for j in range(2)]
            score = h[0] * params[4] + h[1] * params[5] + params[6]
            margins.append((1.0 + (-t) * score).relu())  # -t: a per-example constant
        return sum(margins[1:], margins[0]) * (1.0 / len(margins)) + params[7] * params[8]

    X = rng.normal(size=(12, 2)).tolist()
    y = [1.0 if v > 0 else -1.0 for v in rng.normal(size=12)]
    step = autograd.compile(loss, check=False)
    out = step(X, y)
    assert "def example(" in step.source and "for i in range(12):" in step.source
    compiled = [p.grad for p in params]
    for p in params:
        p.grad = None
    eager = loss(X, y)
    eager.backward()
    np.testing.assert_allclose(out.data, eager.data, rtol=1e-12)
    np.testing.assert_allclose(compiled, [p.grad for p in params], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("change", ["shape", "dtype", "type", "requires_grad", "static",
                                    "parameter shape", "aliasing"])
def test_a_call_that_differs_in_a_guarded_way_traces_again_and_equals_eager(change):
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)

    def f(x, z, power):
        return ((x * w + z) ** power).sum()

    x, z = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([0.5, 0.5, 0.5])
    step = autograd.compile(f, check=False)
    step(x, z, 2)
    first = step.last
    if change == "shape":
        args = (Tensor([2.0], requires_grad=True), z, 2)
    elif change == "dtype":
        args = (Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float32), z, 2)
    elif change == "type":
        args = (x, np.array([0.5, 0.5, 0.5]), 2)
    elif change == "requires_grad":
        args = (Tensor([1.0, 2.0, 3.0]), z, 2)
    elif change == "static":
        args = (x, z, 3)
    elif change == "parameter shape":
        w.data = np.array([[0.5, -1.0, 2.0]])
        args = (x, z, 2)
    else:  # the same Tensor twice: the program must not read two places for one leaf
        args = (x, x, 2)
    for leaf in (x, w, args[0]):
        leaf.grad = None
    got = step(*args)
    got_grads = [w.grad, args[0].grad]
    for leaf in (x, w, args[0]):
        leaf.grad = None
    want = f(*args)
    want.backward()
    assert step.last is not first
    assert len(step.programs) == (1 if change == "parameter shape" else 2)
    np.testing.assert_allclose(got.data, want.data, rtol=1e-12)
    for g, e in zip(got_grads, [w.grad, args[0].grad]):
        if e is None:
            assert g is None
        else:
            assert g.shape == e.shape and g.dtype == e.dtype
            np.testing.assert_allclose(g, e, rtol=1e-6 if change == "dtype" else 1e-12)


def test_check_names_a_value_f_computes_outside_the_engine():
    w = Scalar(0.5)

    def f(x, t):
        return (x * w) * (-t)  # -t is Python arithmetic: a constant of the program

    step = autograd.compile(f)
    step(Scalar(2.0), 1.0)
    with pytest.raises(CompileCheckError, match=r"input 1 of node 1 \(mul.*constant -1.0.*"
                                                r"outside the engine"):
        step(Scalar(2.0), 3.0)  # the first replay is checked against the eager engine


def test_check_names_a_value_dependent_path():
    def f(x):
        return x.relu() if x.data > 0 else x.tanh()

    step = autograd.compile(f, check=True)
    step(Scalar(1.0))
    step(Scalar(2.0))
    with pytest.raises(CompileCheckError, match="another path.*'tanh'"):
        step(Scalar(-1.0))


def test_inputs_used_as_float_arguments_and_labels_are_not_baked_in():
    def f(x, scale, labels):
        return autograd.softmax_cross_entropy(x * scale, labels).sum()

    step = autograd.compile(f, check=True)
    logits = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    for scale, labels in ((1.0, np.array([0, 1])), (-2.0, np.array([2, 2]))):
        logits.grad = None
        got = step(logits, scale, labels).data
        compiled_grad = logits.grad
        logits.grad = None
        want = f(logits, scale, labels)
        want.backward()
        np.testing.assert_allclose(got, want.data, rtol=1e-12)
        np.testing.assert_allclose(compiled_grad, logits.grad, rtol=1e-12)


def test_the_label_check_and_numpy_error_states_run_in_the_replay():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    step = autograd.compile(lambda z, y: autograd.softmax_cross_entropy(z, y).sum())
    step(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match="label 3 is out of range for 3 classes"):
        step(logits, np.array([0, 3]))
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    log_step = autograd.compile(lambda x: x.log().sum(), check=False)
    log_step(x)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        log_step(Tensor(np.array([0.0, 2.0]), requires_grad=True))


def test_returned_values_and_gradients_are_never_the_program_s_buffers():
    w = Tensor(np.ones(3), requires_grad=True)
    step = autograd.compile(lambda x: ((x * w).exp().sum(), (x * w).exp()), check=False)
    first_loss, first_extra = step(Tensor([1.0, 2.0, 3.0]))
    first_grad = w.grad
    kept = first_extra.data.copy(), first_grad.copy()
    w.grad = None
    step(Tensor([4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(first_extra.data, kept[0])
    np.testing.assert_array_equal(first_grad, kept[1])
    assert w.grad.flags.writeable and w.grad is not first_grad


def _sigmoid_mlp_step():
    rng = np.random.default_rng(4)
    weights = [Tensor(rng.normal(size=(5, 8)), requires_grad=True),
               Tensor(np.zeros(8), requires_grad=True),
               Tensor(rng.normal(size=(8, 3)), requires_grad=True),
               Tensor(np.zeros(3), requires_grad=True)]

    def f(X, y):
        hidden = (X @ weights[0] + weights[1]).sigmoid()
        return nn.cross_entropy(hidden @ weights[2] + weights[3], y)
    return f, weights


def test_intermediate_buffers_are_kept_between_calls_and_never_returned():
    f, weights = _sigmoid_mlp_step()
    step = autograd.compile(f)
    rng = np.random.default_rng(5)
    batches = [(Tensor(rng.normal(size=(6, 5))), rng.integers(0, 3, 6)) for _ in range(4)]
    got = []
    for X, y in batches:
        for w in weights:
            w.grad = None
        loss = step(X, y)
        got.append((loss, [w.grad for w in weights]))
    source = step.source
    assert "def step(A, P, B):" in source and " = B  # arrays of this program kept" in source
    assert "np.matmul(X, x2, out=buffer0)" in source  # the first layer's product, kept
    program = step.last
    kept = program.buffer_sets[0]
    assert len(program.buffer_sets) == 1 and kept
    for (loss, grads), (X, y) in zip(got, batches):  # later calls overwrote no result
        for w in weights:
            w.grad = None
        want = f(X, y)
        want.backward()
        np.testing.assert_allclose(loss.data, want.data, rtol=1e-12)
        for g, w in zip(grads, weights):
            np.testing.assert_allclose(g, w.grad, rtol=1e-12, atol=1e-15)
            assert not any(np.shares_memory(g, buffer) for buffer in kept)


@pytest.mark.parametrize("seed", range(5))
def test_kept_buffers_under_views_fan_out_and_extra_outputs_leave_every_result_intact(seed):
    """Views of kept arrays (transpose, reshape, a slice), a value used twice, and extra
    outputs: every call's results and gradients equal eager's after the later calls ran."""
    r = np.random.default_rng(seed)
    W1, W2 = (Tensor(r.normal(size=shape), requires_grad=True) for shape in ((6, 8), (8, 4)))
    b = Tensor(r.normal(size=8), requires_grad=True)

    def f(X, y):
        h = X @ W1 + b
        a = h.tanh() * h.sigmoid()
        s = (a.T.reshape((8, -1)).T[:, :4] * 2.0).exp()
        z = a @ W2 + s.sum(axis=1, keepdims=True) * 0.1
        return nn.cross_entropy(z, y) + (h * h).mean(), a * 1.0, z

    step = autograd.compile(f)
    calls = []
    for _ in range(4):
        X, y = Tensor(r.normal(size=(5, 6))), r.integers(0, 4, 5)
        for p in (W1, W2, b):
            p.grad = None
        got = step(X, y)
        calls.append((X, y, got, [p.grad for p in (W1, W2, b)]))
    assert "kept between calls" in step.source
    for X, y, got, grads in calls:
        for p in (W1, W2, b):
            p.grad = None
        want = f(X, y)
        want[0].backward()
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.data, w.data, rtol=1e-12)
        for g, p in zip(grads, (W1, W2, b)):
            np.testing.assert_allclose(g, p.grad, rtol=1e-11, atol=1e-13)


def test_the_first_call_s_time_is_reported_in_its_parts():
    f, weights = _sigmoid_mlp_step()
    step = autograd.compile(f)
    assert step.trace_timings is None
    step(Tensor(np.ones((2, 5))), np.array([0, 2]))
    assert list(step.trace_timings) == ["trace", "generate", "first run"]
    assert all(t > 0 for t in step.trace_timings.values())
    assert sum(step.trace_timings.values()) <= step.trace_seconds


def test_two_threads_inside_one_compiled_step_use_buffers_of_their_own():
    import threading
    barrier, waiting = threading.Barrier(2, timeout=10), []

    def wait_vjp(g, out, x):
        return (g,)

    @autograd.primitive(wait_vjp, name="wait_for_the_other_thread", tensor_only=True)
    def wait_for_the_other_thread(x):
        if waiting:
            barrier.wait()  # both threads are now inside the program, between kept buffers
        return x.copy()

    f, weights = _sigmoid_mlp_step()

    def g(X, y):
        hidden = (X @ weights[0] + weights[1]).sigmoid()
        logits = wait_for_the_other_thread(hidden @ weights[2] + weights[3])
        return nn.cross_entropy(logits, y)

    step = autograd.compile(g, check=False)
    rng = np.random.default_rng(6)
    batches = [(Tensor(rng.normal(size=(6, 5))), rng.integers(0, 3, 6)) for _ in range(2)]
    step(*batches[0])  # traced in this thread
    waiting.append(True)
    losses = [None, None]

    def run(k):
        losses[k] = step(*batches[k]).data.copy()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(step.last.buffer_sets) == 2  # each thread had a set of its own
    for k in range(2):
        np.testing.assert_allclose(losses[k], f(*batches[k]).data, rtol=1e-12)


def test_gradients_the_same_at_every_call_are_computed_once_and_handed_out_as_copies():
    w = Tensor(np.ones(3), requires_grad=True)
    v = Tensor(2.0, requires_grad=True)
    step = autograd.compile(lambda: w.sum() * 3.0 + (v + 1.0), check=False)
    step()
    assert "G_" in step.source and "the same at every call" in step.source
    first_w, first_v = w.grad, v.grad
    w.grad += 10.0  # the user's own arrays: writable, and editing them changes nothing else
    v.grad += 10.0
    w.grad, v.grad = None, None
    step()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(v.grad, 1.0)
    assert w.grad.flags.writeable and v.grad.flags.writeable
    assert not np.shares_memory(w.grad, first_w) and not np.shares_memory(v.grad, first_v)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_the_replayed_label_check_catches_every_out_of_range_label(dtype):
    logits = Tensor(np.zeros((3, 4)), requires_grad=True)
    step = autograd.compile(lambda z, y: nn.cross_entropy(z, y))
    step(logits, np.array([0, 1, 3], dtype=dtype))
    step(logits, np.array([3, 2, 0], dtype=dtype))
    bad = [4, 255] if dtype is np.uint8 else [4, -1, -(2 ** 31)]
    for label in bad:
        with pytest.raises(ValueError, match=f"label {label} is out of range for 4 classes"):
            step(logits, np.array([0, label, 1], dtype=dtype))


@pytest.mark.parametrize("result, message", [
    (lambda x: x * 2.0, "single-element loss.*shape \\(3,\\)"),
    (lambda x: 3.0, "must return a Scalar or Tensor loss.*float"),
    (lambda x: None, "must return a Scalar or Tensor loss.*NoneType"),
    (lambda x: (x.sum(), 1.5), "item 1 of its result is a float"),
    (lambda x: Tensor([1.0]).sum(), "does not require a gradient"),
])
def test_bad_results_get_clear_errors(result, message):
    with pytest.raises(CompileError, match=message):
        autograd.compile(result)(Tensor([1.0, 2.0, 3.0], requires_grad=True))


def test_a_leaf_changed_during_the_trace_is_named():
    w = Tensor(np.ones(3), requires_grad=True, label="w")

    def f(x):
        loss = (x * w).sum()
        w.data += 1.0  # a mutation after w was read
        return loss

    with pytest.raises(CompileError, match=r"gave \[1\. 2\. 3\.\] while f ran and \[2\. 4\. 6\.\] "
                                           r"when replayed.*leaf 'w'.*changed a leaf"):
        autograd.compile(f)(Tensor([1.0, 2.0, 3.0]))


def test_backward_inside_f_and_create_graph_are_refused():
    def f(x):
        y = (x * x).sum()
        y.backward(create_graph=True)
        return y

    with pytest.raises(RuntimeError, match="compile traces a step.*create_graph is not "
                                           "supported"):
        autograd.compile(f)(Tensor([1.0], requires_grad=True))


def test_unsupported_arguments_and_options_are_named():
    step = autograd.compile(lambda x: x.sum())
    with pytest.raises(TypeError, match="argument 0 is a dict"):
        step({"x": 1})
    with pytest.raises(ValueError, match="check must be"):
        autograd.compile(lambda x: x, check="always")
    with pytest.raises(RuntimeError, match="nothing traced yet"):
        step.source


def test_user_text_reaches_the_code_only_in_escaped_comments():
    x = Tensor(np.ones(2), requires_grad=True, label="x\nimport os; os.system('true')")

    def f():
        y = x * 2.0
        y.label = "__import__('os')"
        return y.sum()

    step = autograd.compile(f)
    step()
    tree = ast.parse(step.source)
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert called <= set(step.last.generated.namespace)  # only what the engine bound
    assert "x\\nimport os" in step.source  # the label, escaped, in a comment
    assert np.all(x.grad == 2.0)


def test_backward_code_of_a_recorded_graph_without_compiling():
    model = nn.MLP([3, 2, 2], rng=0)
    loss = nn.cross_entropy(model(Tensor(np.ones((4, 3)))), np.array([0, 1, 1, 0]))
    text = autograd.backward_code(loss, model=model)
    assert "# ---- backward: one line per rule, in reverse order ----" in text
    assert "g_layers_1_weight" in text
    with pytest.raises(CompileError, match="expected the output of a recorded graph"):
        autograd.backward_code(Tensor([1.0]))


def test_the_readme_example_prints_the_backward_pass_it_shows(tmp_path):
    import re
    import subprocess
    import sys
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text[text.index("## Compiled steps"):]
    blocks = re.findall(r"```(\w*)\n(.*?)```", section, re.S)
    block = next(body for language, body in blocks if language == "python")
    shown = next(body for language, body in blocks if language == "")
    done = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True,
                          timeout=120, check=True, cwd=tmp_path)
    for line in shown.splitlines():
        if line.strip() and line.strip() != "...":
            assert line in done.stdout, line
    w1_grad, b_grad = map(float, done.stdout.split()[-2:])
    np.testing.assert_allclose([w1_grad, b_grad], [0.41444913772384695, 0.20722456886192347],
                               rtol=1e-12)  # = out * (1 - out) * (x1, 1)


def test_a_detached_value_is_computed_before_its_uses_and_passes_no_gradient():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def f(x):
        h = x * w
        return (h.detach() * w).sum() + h.sum()  # the detached use is recorded first

    step = autograd.compile(f, check=True)
    for values in ([1.0, 2.0], [3.0, -1.0], [0.5, 0.5]):
        w.grad = None
        got = step(Tensor(values)).data
        compiled = w.grad
        w.grad = None
        want = f(Tensor(values))
        want.backward()
        np.testing.assert_allclose(got, want.data, rtol=1e-12)
        np.testing.assert_allclose(compiled, w.grad, rtol=1e-12)
