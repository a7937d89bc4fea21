"""A pytest-friendly property: gradients match finite differences on every drawn example."""

from .gradcheck import gradcheck


def assert_gradients_match(f, strategy, max_examples=50, **tolerances):
    """Assert, for `max_examples` inputs drawn from `strategy` (each example a tuple of inputs
    for `f`, or a single input), that `gradcheck(f, *inputs)` passes. Use it inside a test:

        def test_my_op():
            assert_gradients_match(lambda x: my_op(x), tensors(shape=(3,)))
    """
    from hypothesis import given, settings

    @settings(max_examples=max_examples, deadline=None)
    @given(strategy)
    def check(example):
        inputs = example if isinstance(example, tuple) else (example,)
        gradcheck(f, *inputs, **tolerances)

    check()
