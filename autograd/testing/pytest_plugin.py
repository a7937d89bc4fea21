"""gategrad's pytest plugin (entry point `pytest11`): the `gradients` fixture, so a project's
test of its custom op is one line, with the check's report as the assertion message.

    def test_my_softplus(gradients):
        gradients(my_softplus, torch.randn(4, 3))

    def test_my_softplus_everywhere(gradients):
        gradients.given(my_softplus, shapes=[(4, 3)], dtype="float32")

pytest loads this module in every session of an environment where gategrad is installed, so it
imports nothing but pytest at load time: gategrad (and PyTorch or JAX, through the inputs) only
when a test uses the fixture.
"""

import pytest


class Gradients:
    """The `gradients` fixture: call it as `check_gradients`, or `.given(...)` as
    `given_inputs`; a wrong gradient fails the test with the report as its message."""

    def __call__(self, f, *inputs, **options):
        """`autograd.testing.check_gradients(f, *inputs, **options)`, as a test assertion."""
        from autograd.testing import check_gradients
        self._run(check_gradients, f, *inputs, **options)

    def given(self, f, **options):
        """`autograd.testing.given_inputs(f, **options)`, as a test assertion."""
        from autograd.testing import given_inputs
        self._run(given_inputs, f, **options)

    @staticmethod
    def _run(check, *args, **options):
        from autograd.testing import GradcheckError
        try:
            check(*args, **options)
            return
        except GradcheckError as error:
            report = str(error)
        pytest.fail(report, pytrace=False)  # (outside the except: no chained traceback)


@pytest.fixture
def gradients():
    """Check a function's gradients in one line: `gradients(f, *inputs)` or
    `gradients.given(f, shapes=...)` (see `autograd.testing.check_gradients`)."""
    return Gradients()
