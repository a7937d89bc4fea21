"""The engine's switches, one set per thread: whether operations record the graph, whether
anomalies raise, and how deeply functional transforms are nested.

Each thread starts with recording on and anomaly detection off, whatever other threads do (as
in PyTorch): `no_grad()` in one thread never stops another from recording, and a backward pass
changes the switches of its own thread only. The switches are used as context managers or as
decorators; a decorated generator function gets the switch each time it runs, not only when
it is created.
"""

import functools
import inspect
import math
import threading
from contextvars import ContextVar

import numpy as np

from .kernels import raw


class Watch:
    """What `detect_anomaly(nan=..., inf=...)` raises on; with both False it only records
    where each node is created (gradcheck's culprit search uses that)."""

    __slots__ = ("nan", "inf")

    def __init__(self, nan=True, inf=True):
        for name, flag in (("nan", nan), ("inf", inf)):
            if not isinstance(flag, bool):
                raise TypeError(f"detect_anomaly: {name} must be True or False, got "
                                f"{type(flag).__name__} {flag!r:.40}")
        self.nan, self.inf = nan, inf

    def finds(self, value):
        """True when `value` (a float, an array or a graph value) holds what this watch raises
        on: a nan (with `nan`) or an infinity (with `inf`)."""
        value = raw(value)
        if type(value) is float:
            return (self.nan and math.isnan(value)) or (self.inf and math.isinf(value))
        if self.nan and self.inf:
            return not bool(np.isfinite(value).all())
        if self.nan:
            return bool(np.isnan(value).any())
        return self.inf and bool(np.isinf(value).any())

    def __repr__(self):
        return f"Watch(nan={self.nan}, inf={self.inf})"


_KEEP = object()  # in Switches.replace: this switch stays as it is


class Switches:
    """One thread's switches at one moment (immutable: a change makes a new one)."""

    __slots__ = ("grad_enabled", "anomaly", "transform_depth", "tracing")

    def __init__(self, grad_enabled=True, anomaly=None, transform_depth=0, tracing=False):
        self.grad_enabled = grad_enabled        # operations record the graph
        self.anomaly = anomaly                  # None, or detect_anomaly's Watch
        self.transform_depth = transform_depth  # transforms (grad, hvp) evaluating their f
        self.tracing = tracing                  # autograd.compile traces a step: record every op

    def replace(self, grad_enabled=_KEEP, anomaly=_KEEP, transform_depth=_KEEP, tracing=_KEEP):
        """A copy with the switches given changed (a backward pass makes one: kept short)."""
        return Switches(self.grad_enabled if grad_enabled is _KEEP else grad_enabled,
                        self.anomaly if anomaly is _KEEP else anomaly,
                        self.transform_depth if transform_depth is _KEEP else transform_depth,
                        self.tracing if tracing is _KEEP else tracing)


# A context variable is per thread (each thread starts from the default) and is read faster
# than a threading.local attribute, which matters: every recorded op reads it.
_switches = ContextVar("gategrad_switches", default=Switches())
current = _switches.get  # the calling thread's switches


def set_switches(**changes):
    """Change some of this thread's switches; returns the token that `restore` takes."""
    return _switches.set(_switches.get().replace(**changes))


restore = _switches.reset  # put back the switches that a `set_switches` token replaced


class _Mode:
    """Sets some of the thread's switches for the duration of a `with` block or of each call of
    a decorated function, then restores what they were (nesting and re-use both work)."""

    def __init__(self, **switches):
        self._switches = switches
        self._tokens = threading.local()  # one stack of tokens per thread

    def __enter__(self):
        self._tokens.__dict__.setdefault("stack", []).append(set_switches(**self._switches))
        return self

    def __exit__(self, *exc_info):
        restore(self._tokens.stack.pop())
        return False

    def __call__(self, function):
        """Decorate `function` so that it runs with these switches (generators included)."""
        switches = self._switches
        if inspect.isgeneratorfunction(function):
            return _wrap_generator(function, switches)

        @functools.wraps(function)
        def switched(*args, **kwargs):
            with _Mode(**switches):
                return function(*args, **kwargs)
        return switched


def _wrap_generator(function, switches):
    """A generator function whose body runs with `switches` at every resumption, while the
    caller's code between two `next()` calls runs with its own."""
    @functools.wraps(function)
    def switched(*args, **kwargs):
        generator = function(*args, **kwargs)
        try:
            with _Mode(**switches):
                item = next(generator)
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with _Mode(**switches):
                        generator.close()
                    raise
                except BaseException as error:
                    with _Mode(**switches):
                        item = generator.throw(error)
                else:
                    with _Mode(**switches):
                        item = generator.send(sent)
        except StopIteration as stop:
            return stop.value
    return switched


def no_grad(function=None):
    """Context manager and decorator: operations inside record no graph (as in PyTorch).
    `@no_grad` works bare as well as `@no_grad()`, as PyTorch 2's.

    Augmented assignments (`W -= lr * W.grad`) then update the data in place."""
    return _decorated(_Mode(grad_enabled=False), function, "no_grad")


def enable_grad(function=None):
    """Context manager and decorator: record the graph again inside a `no_grad` block
    (`@enable_grad` works bare as well as `@enable_grad()`)."""
    return _decorated(_Mode(grad_enabled=True), function, "enable_grad")


def _decorated(mode, function, name):
    """`mode` itself, or, for a function given directly (a bare decorator), that function
    wrapped in it."""
    if function is None:
        return mode
    if not callable(function):
        raise TypeError(f"{name}: takes no argument (use `with {name}():`), or decorates a "
                        f"function as `@{name}`; got {type(function).__name__} "
                        f"{function!r:.40}")
    return mode(function)


class set_grad_enabled(_Mode):  # (PyTorch's name: a function to its users)
    """Record the graph or not, as `enabled` says, in the calling thread: as a plain call it
    switches the thread's mode at once (`autograd.set_grad_enabled(False)`); as a context
    manager it switches for the block and then restores the mode from before the call; as a
    decorator it leaves the mode alone and switches for each call of the function. As
    PyTorch's `torch.set_grad_enabled`."""

    def __init__(self, enabled):
        super().__init__(grad_enabled=bool(enabled))
        self._before = current().grad_enabled
        set_switches(grad_enabled=bool(enabled))  # the plain call's effect

    def __exit__(self, *exc_info):
        super().__exit__(*exc_info)
        set_switches(grad_enabled=self._before)  # the mode from before the call
        return False

    def __call__(self, function):
        set_switches(grad_enabled=self._before)  # decorating switches nothing at once
        return super().__call__(function)


def is_grad_enabled():
    """Whether operations in this thread currently record the graph."""
    return current().grad_enabled


def detect_anomaly(nan=True, inf=True):
    """Context manager and decorator: raise `autograd.AnomalyError` (a FloatingPointError) at
    the first op whose output, or whose gradient in a backward pass, contains nan (when `nan`)
    or inf (when `inf`). The error names the op, the node, its inputs (shapes, min, max, nan
    and inf counts) and the line that created it; `error.diagram()` draws the path to it.
    Every node recorded inside remembers where it was created (with `nan=False, inf=False`
    that is all it does)."""
    return _Mode(anomaly=Watch(nan, inf))


def is_anomaly_enabled():
    """Whether anomaly detection is on in this thread."""
    return current().anomaly is not None
