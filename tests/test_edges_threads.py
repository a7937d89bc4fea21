"""Per-thread modes: `no_grad`, `enable_grad` and `detect_anomaly` are switches of the thread
that sets them, and a backward pass changes nothing another thread can see. Threads are
interleaved with barriers (never sleeps), so each test forces the overlap it is about."""

import threading

import numpy as np
import pytest

import autograd
import nn
from autograd import Scalar, Tensor, enable_grad, no_grad

TIMEOUT = 30


def run_threads(*targets):
    """Run each target in its own thread; re-raise the first failure of any."""
    errors = []

    def guarded(target):
        def run():
            try:
                target()
            except BaseException as error:  # reported in the main thread
                errors.append(error)
        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    x = Scalar(2.0)
    seen = {}

    def quiet():
        with no_grad():
            barrier.wait()  # 1: the other thread records while this one is in no_grad
            seen["quiet"] = (x * x).requires_grad
            barrier.wait()  # 2

    def recording():
        barrier.wait()  # 1
        seen["recording"] = (x * x).requires_grad
        barrier.wait()  # 2

    run_threads(quiet, recording)
    assert seen == {"quiet": False, "recording": True}
    assert autograd.is_grad_enabled()


def test_a_backward_pass_in_one_thread_leaves_recording_on_in_another():
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def waiting_rule(g, out, x):
        barrier.wait()  # 1: the other thread records while this pass is under way
        barrier.wait()  # 2
        return (g,)

    wait = autograd.primitive(waiting_rule, name="edges_wait_in_rule")(lambda x: x * 1.0)
    x = Scalar(1.0)
    seen = {}

    def backpropagating():
        wait(x * 3.0).backward()
        seen["grad"] = x.grad

    def recording():
        barrier.wait()  # 1
        seen["recording"] = autograd.is_grad_enabled() and (x * 2.0).requires_grad
        barrier.wait()  # 2

    try:
        run_threads(backpropagating, recording)
    finally:
        del autograd.OPS["edges_wait_in_rule"]
    assert seen == {"grad": 3.0, "recording": True}


def test_two_overlapping_backward_passes_leave_recording_on_for_good():
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def rule(g, out, x):
        barrier.wait()  # both passes are in their rules at once
        return (g * 2.0,)

    double = autograd.primitive(rule, name="edges_overlap")(lambda x: x * 2.0)
    after = {}

    def one(name):
        def run():
            x = Scalar(1.0)
            double(x).backward()
            after[name] = (autograd.is_grad_enabled(), x.grad, (x * x).requires_grad)
        return run

    try:
        run_threads(one("a"), one("b"))
    finally:
        del autograd.OPS["edges_overlap"]
    assert after == {"a": (True, 2.0, True), "b": (True, 2.0, True)}
    assert autograd.is_grad_enabled()


def _train(seed, steps, barrier=None):
    """A small MLP trained on its own data; with a barrier, every phase of every step waits
    for the other thread, so both trainings interleave op by op."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, size=20)
    model = nn.MLP([4, 8, 3], activation="tanh", rng=seed)
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.cross_entropy(model(Tensor(X)), y)
        if barrier:
            barrier.wait()
        loss.backward()
        if barrier:
            barrier.wait()
        optimizer.step()
        with no_grad():  # a no_grad block in this thread while the other one records
            model(Tensor(X))
            if barrier:
                barrier.wait()
    return [p.data.copy() for p in model.parameters()]


def test_two_threads_training_two_models_get_what_they_get_one_after_the_other():
    alone = [_train(seed, 5) for seed in (1, 2)]
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    together = {}
    run_threads(lambda: together.setdefault(1, _train(1, 5, barrier)),
                lambda: together.setdefault(2, _train(2, 5, barrier)))
    for seed, expected in zip((1, 2), alone):
        for got, want in zip(together[seed], expected):
            np.testing.assert_array_equal(got, want)


def test_detect_anomaly_in_one_thread_does_not_raise_in_another():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen = {}

    def watching():
        with autograd.detect_anomaly():
            barrier.wait()
            barrier.wait()
        seen["watching"] = autograd.is_anomaly_enabled()

    def computing():
        barrier.wait()
        with np.errstate(divide="ignore"):
            seen["log0"] = Tensor([0.0], requires_grad=True).log().data[0]
        seen["anomaly here"] = autograd.is_anomaly_enabled()
        barrier.wait()

    run_threads(watching, computing)
    assert seen == {"watching": False, "log0": -np.inf, "anomaly here": False}


def test_modes_are_decorators_too_and_nest_and_restore():
    @no_grad()
    def quiet(x):
        return x * x

    @enable_grad()
    def loud(x):
        return x * x

    x = Scalar(3.0)
    assert not quiet(x).requires_grad
    with no_grad():
        assert loud(x).requires_grad
        assert not autograd.is_grad_enabled()
    ctx = no_grad()  # one object used twice, nested
    with ctx:
        with enable_grad():
            assert autograd.is_grad_enabled()
        with ctx:
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    with autograd.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_a_decorated_generator_runs_its_body_in_the_mode_and_the_caller_in_its_own():
    x = Scalar(2.0)

    @no_grad()
    def values():
        for _ in range(3):
            received = yield (x * x).requires_grad, autograd.is_grad_enabled()
            assert received is None or received == "sent"

    seen, between = [], []
    generator = values()
    for item in generator:
        seen.append(item)
        between.append((x * x).requires_grad)  # the caller's code between two items
    assert seen == [(False, False)] * 3
    assert between == [True] * 3
    generator = values()
    next(generator)
    assert generator.send("sent") == (False, False)
    generator.close()
    assert autograd.is_grad_enabled()


def test_a_decorated_generator_function_that_raises_restores_the_mode():
    @no_grad()
    def failing():
        yield 1
        raise ValueError("inside")

    generator = failing()
    assert next(generator) == 1
    with pytest.raises(ValueError, match="inside"):
        next(generator)
    assert autograd.is_grad_enabled()
