"""Culprit finding: a wrong rule planted at a random node of a random graph is named exactly, for
Scalar and Tensor graphs; a .data edit and a value taken outside the graph are told apart from a
wrong rule; the diagram highlights the culprit; fast mode checks random directions only."""

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import autograd
from autograd import OPS, Op, Scalar, Tensor
from autograd.testing import (GradcheckError, assert_gradients_match, broadcastable_shapes,
                              expressions, gradcheck, gradgradcheck, scalars, swapped_rule,
                              tensors)
from autograd.testing.culprit import ELEMENTWISE_LIMIT


def wrong_copy(op):
    """The op with a rule that is wrong for every input: half the right gradient plus 0.25."""
    def vjp(g, out, *inputs, **params):
        return tuple(0.5 * r + 0.25 for r in op.vjp(g, out, *inputs, **params))

    return Op(op.name, op.forward, vjp=vjp, gate=op.gate, domain=op.domain, arity=op.arity)


def planted_function(expression, position, make_op, planted):
    """f(*xs): the expression with `make_op(OPS[name])` at its `position`-th op application
    (children first); the node made there is appended to `planted` on every call."""
    def f(*xs):
        count = iter(range(10**6))

        def apply(name, args, params, children):
            op = OPS[name]
            if next(count) != position:
                return op(*args, **params)
            node = make_op(op)(*args, **params)
            planted.append(node)
            return node

        out = expression.evaluate(xs, apply)
        return out + sum(x * 0.0 for x in xs)  # a graph value of the inputs' full shape
    return f


def count_ops(expression, values):
    count = []
    expression.evaluate(values, lambda name, args, params, children: count.append(name) or 0.0)
    return len(count)


def usable(expression, arrays):
    """Values whose gradients finite differences can check (as check_expression requires)."""
    with np.errstate(all="ignore"):
        twin = expression.twin(*arrays)
    return bool(np.all(np.isfinite(twin)) and np.all(np.abs(twin) < 1e4)
                and expression.kink(*arrays) > 1e-4)


def run_planted(expression, values, position, outcomes, make_op=wrong_copy):
    planted = []
    f = planted_function(expression, position, make_op, planted)
    try:
        gradcheck(f, *values)
    except GradcheckError as error:
        culprit = error.culprit
        assert culprit is not None, f"{expression.text} at {position}: {error}"
        # exactly the planted node of the search's own run of f (its last call)
        assert culprit.node is planted[-1], f"{expression.text} at {position}: {error}"
        assert f"'{culprit.op}' (node {culprit.name}, input shapes" in str(error)
        assert culprit.site[0].name == "apply" and culprit.site[0].filename == __file__
        outcomes.append("named")
    else:
        # the wrong rule did not reach the inputs (a dead relu, the losing side of a maximum,
        # a path whose other factors vanish), or the op only saw constants and made no node
        outcomes.append("passed" if isinstance(planted[-1], autograd.Value) else "constant")


@pytest.mark.parametrize("kind", ["Scalar", "Tensor"])
def test_a_wrong_rule_planted_anywhere_in_a_random_graph_is_named_exactly(kind):
    outcomes = []
    if kind == "Scalar":
        inputs = st.tuples(scalars(), scalars())
    else:
        inputs = broadcastable_shapes(2).flatmap(
            lambda shapes: st.tuples(*(tensors(shape) for shape in shapes)))

    @settings(database=None)  # the profile's number of examples (conftest.py)
    @given(expressions(n_vars=2), inputs, st.data())
    def check(expression, arrays, data):
        assume(usable(expression, arrays))
        n = count_ops(expression, [np.asarray(a) for a in arrays])
        assume(n > 0)
        position = data.draw(st.integers(0, n - 1), label="position")
        values = [Scalar(float(a)) if kind == "Scalar" else Tensor(a) for a in arrays]
        run_planted(expression, values, position, outcomes)

    check()
    # the planted rule must have mattered in most graphs with a planted node, or this test
    # would prove little (in 1000 examples: about 90% named, 7% passed)
    assert outcomes.count("named") >= 0.6 * (len(outcomes) - outcomes.count("constant")), \
        outcomes


def test_a_user_primitive_with_a_wrong_rule_inserted_into_random_graphs_is_named():
    @autograd.primitive(lambda g, out, x: (2.0 * g / (1.0 + np.exp(-x)),),  # twice too large
                        name="test_culprit_softplus")
    def softplus(x):
        return np.logaddexp(0.0, x)

    outcomes = []
    try:
        @settings(database=None)
        @given(expressions(ops=["add", "mul", "tanh", "exp", "sub"], n_vars=2),
               st.tuples(scalars(), scalars()), st.data())
        def check(expression, arrays, data):
            assume(usable(expression, arrays))
            n = count_ops(expression, list(arrays))
            assume(n > 0)
            position = data.draw(st.integers(0, n - 1), label="position")

            def insert(op):  # softplus applied to the op's result, at that position
                return lambda *args, **params: softplus(op(*args, **params))

            planted = []
            f = planted_function(expression, position, insert, planted)
            try:
                gradcheck(f, *map(Scalar, arrays))
            except GradcheckError as error:
                assert error.culprit.op == "test_culprit_softplus", str(error)
                assert error.culprit.node is planted[-1]
                outcomes.append("named")
            else:
                outcomes.append("passed" if isinstance(planted[-1], autograd.Value) else "constant")

        check()
    finally:
        del OPS["test_culprit_softplus"]
    # in 1000 examples: about 80% named (hypothesis likes 0.0, where gradients vanish)
    assert outcomes.count("named") >= 0.5 * (len(outcomes) - outcomes.count("constant")), \
        outcomes


def test_the_first_wrong_rule_in_backward_order_is_named_when_two_are_wrong():
    x = np.array([0.3, -0.2])
    wrong_exp, wrong_tanh = wrong_copy(OPS["exp"]), wrong_copy(OPS["tanh"])

    def f(a):
        return wrong_tanh(wrong_exp(a) * 2.0).sum()  # backward runs tanh's rule before exp's

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, x)
    assert caught.value.culprit.op == "tanh"
    assert "every rule run before it agrees" in str(caught.value)


def test_the_culprit_reports_its_worst_element_with_both_numbers():
    x = Tensor(np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]]), label="x")

    def bad_tanh_vjp(g, out, a):
        right = g * (1.0 - out * out)
        return (right + np.where(np.arange(a.size).reshape(a.shape) == 4, 0.5, 0.0),)

    bad = Op("tanh", OPS["tanh"].forward, vjp=bad_tanh_vjp)

    def f(a):
        hidden = a * 3.0
        hidden.label = "hidden"
        return bad(hidden).sum()

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, x)
    culprit = caught.value.culprit
    assert (culprit.op, culprit.name, culprit.input, culprit.element) == \
        ("tanh", "tanh1", 0, (1, 1))
    assert culprit.input_shapes == ((2, 3),)
    assert culprit.rule - culprit.numeric == pytest.approx(0.5, abs=1e-6)
    assert "its gradient for input 0 (hidden) is wrong at element (1, 1): rule " in \
        str(caught.value)
    assert culprit.site[0].line == "return bad(hidden).sum()"


def test_a_data_edit_between_forward_and_backward_is_named_not_a_rule():
    def f(x):
        y = (x * x).sum()
        x.data += 1.0  # the mul node's input changes after its output was computed
        return y

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, np.array([0.1, 0.2]))
    error = caught.value
    assert error.culprit is None
    assert [node.op.name for node in error.stale] == ["mul"]
    message = str(error).splitlines()[1]
    assert message.startswith("No rule is wrong: every node's rule agrees with finite "
                              "differences of its op at the inputs it saw. But 'mul' (node mul1)")
    assert "y = (x * x).sum()" in message and "an input's .data was changed" in message


def test_a_value_taken_outside_the_graph_is_said_when_every_rule_agrees():
    def f(x):
        return (Tensor(x.data) * x).sum()  # the first factor is a constant to the engine

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, np.array([0.5, 1.5]))
    assert caught.value.culprit is None and not caught.value.stale
    assert "No rule is wrong" in str(caught.value) and ".data" in str(caught.value)


def test_finite_differences_that_are_not_finite_search_nothing():
    with np.errstate(all="ignore"), pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.log(), np.array([0.0, 1.0]))
    assert caught.value.root is None and len(str(caught.value).splitlines()) == 1
    with pytest.raises(ValueError, match="no graph was searched"):
        caught.value.diagram()


def test_the_diagram_highlights_the_culprit():
    pytest.importorskip("graphviz")
    wrong = wrong_copy(OPS["sigmoid"])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: wrong(a * b) + a, Scalar(0.5), Scalar(-1.0))
    source = caught.value.diagram().source
    assert "<FONT POINT-SIZE=\"13\">gradcheck: the rule of &#x27;sigmoid&#x27; (sigmoid1) is wrong</FONT>" in source
    gold = [line.split()[0] for line in source.splitlines() if "gold" in line]
    value, op = gold  # the culprit's value box and its op ellipse, nothing else
    assert "<B>sigmoid1</B>" in source.split(f"\t{value} ")[1].splitlines()[0]
    assert f"{op} [label=<sigmoid> fillcolor=gold" in source
    assert f"-> {op} [color=red penwidth=2]" in source  # the wire into it
    assert "<B>arg0</B>" in source and "<B>arg1</B>" in source  # gradcheck's inputs 0 and 1


def test_gradgradcheck_searches_the_graph_of_the_backward_pass():
    # exp's rule g * out, run with create_graph=True, records a mul node: a wrong mul rule is
    # wrong only to second order here, and the search of <grad f, u>'s graph names it
    with swapped_rule("mul", lambda right: lambda g, out, a, b: (g * b * 1.5, g * a)), \
            pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x: x.exp().sum(), np.array([0.5, -0.7]))
    assert str(caught.value).startswith("gradgradcheck (second derivatives")
    assert caught.value.culprit.op == "mul"


def test_gradgradcheck_says_when_a_rule_hides_a_dependence_from_the_graph():
    # right numbers, but on graph values the rule detaches out, so out's dependence on x is lost
    detached = lambda g, out, x: (g * (1.0 - out * out) if isinstance(g, np.ndarray)  # noqa: E731
                                  else g * (1.0 - out.detach() * out.detach()),)
    with swapped_rule("tanh", lambda right: detached), \
            pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x: x.tanh().sum(), np.array([0.3, -0.7]))
    assert caught.value.culprit is None
    assert "No rule is wrong" in str(caught.value) and "detach()" in str(caught.value)


def test_fast_mode_checks_one_direction_per_input_and_still_finds_the_culprit():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(60, 50)) * 0.1  # 3000 elements: too many to check one by one
    x = rng.normal(size=(8, 60))
    calls = []

    def f(x, w):
        calls.append(1)
        return (x @ w).tanh().sum()

    assert gradcheck(f, x, w, fast=True)
    assert len(calls) == 1 + 2 * 2  # the analytic pass, then two evaluations per input
    wrong_tanh = wrong_copy(OPS["tanh"])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: wrong_tanh(x @ w).sum(), x, w, fast=True)
    culprit = caught.value.culprit
    assert culprit.op == "tanh" and culprit.input_shapes == ((8, 50),)
    assert culprit.element is not None  # 400 elements: located one by one after the direction
    assert 8 * 50 <= ELEMENTWISE_LIMIT
    with pytest.raises(ValueError, match="fast=True checks one random direction per input"):
        gradcheck(f, x, w, fast=True, mode="elementwise")


def test_assert_gradients_match_reports_the_culprit_of_the_failing_example():
    wrong = wrong_copy(OPS["exp"])
    with pytest.raises(GradcheckError) as caught:
        assert_gradients_match(lambda x: (wrong(x * 0.5) * x).sum(), tensors(shape=(3,)),
                               max_examples=10)
    assert caught.value.culprit.op == "exp"
    assert "The first wrong rule in the backward pass: 'exp' (node exp1, input shapes (3,))" in \
        str(caught.value)


def test_a_function_that_fails_when_run_again_keeps_the_check_error():
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) > 3:  # the analytic pass and two finite differences, then no more
            raise RuntimeError("out of data")
        return Tensor(x.data) * x  # wrong on purpose: the first factor is a constant

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, np.array([2.0]), mode="directional")
    assert str(caught.value).startswith("gradcheck: the gradient of input 0")
    assert "(the search for the culprit could not run f again: RuntimeError: out of data)" in \
        str(caught.value)
    assert caught.value.root is None


def test_a_culprit_at_a_kink_says_that_finite_differences_cannot_judge_it_there():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.relu().sum(), np.array([1e-7, 1.0]))  # relu's kink within eps
    assert caught.value.culprit.near_kink
    assert "within 10 eps of a point where 'relu' is not differentiable" in str(caught.value)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: wrong_copy(OPS["relu"])(x).sum(), np.array([0.5, 1.0]))
    assert not caught.value.culprit.near_kink and "not differentiable" not in str(caught.value)
