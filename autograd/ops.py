"""THE table of primitives: each row is a name, a forward computation and its local-gradient rule.

A rule is a vector-Jacobian product: one function per input, `rule(g, out, *inputs, **params)`
returning that input's gradient, where `g` is the gradient arriving from above, `out` the
forward result and `inputs` the forward inputs (as HIPS autograd's `defvjp`). Rules are pure:
they mutate nothing they are given and leave undoing broadcasting to the graph core (one
exception, for speed: the mul gate sums its gradient for a 0-d factor as a dot product). They
use plain arithmetic and the functions of `kernels.py`, so one rule serves a Python float, a
numpy array and, for higher-order gradients, a graph value (`create_graph=True`).

Everything else about an op that tests, diagrams and command lines need is on its row too: its
domain, its kinks, a numpy twin, the name typed expressions call it by (see `Op`).

This module knows nothing of graph nodes: calling an `Op` hands it to `Op.apply`, which the graph
core installs (it records a node when an input is a graph value, and just runs `forward` on raw
data otherwise).
"""

import inspect
import operator

import numpy as np

from . import kernels
from .kernels import divide, exp, power

OPS = {}
"""Every registered primitive by name: the built-ins below and the user's (see `primitive`)."""

UFUNCS = {}
"""The elementwise rows by their numpy ufunc (one that takes exactly the row's inputs): what
`np.<ufunc>(t)` records (kept by `register`, from the rows' `ufunc`)."""

DOMAINS = ("positive", "nonzero")
"""Where an op may restrict an input (`Op.domain`); None: any real number."""


class Op:
    """One primitive of the engine: `forward` on raw data and its local-gradient rule.

    `Op(name, forward, *input_vjps, **attributes)`: the rule is one function per input,
    `input_vjps[i](g, out, *inputs, **params)` giving input i's gradient, so the core computes
    only the gradients that are needed (a matmul with a constant input skips that product).
    Where one function must give every input's gradient at once (an op with any number of
    inputs, a user's primitive), it is given as `vjp=joint_vjp`, returning a tuple, and
    `input_vjps` is None. `op.vjp(g, out, *inputs, **params)` gives the tuple either way.

    Attributes: `name` (the label in diagrams), `gate` (the backpropagation pattern it shows,
    if any), `arity` (number of inputs, None when variadic), `tensor_only`, and
    - what each input's rule reads, so that the core can refuse a backward pass through
      values changed in place since, and only those (PyTorch saves the tensors of each needed
      gradient): `reads`, one entry per input naming the values that input's rule uses, `x`
      and `y` for inputs 0 and 1 (`input2`, ... after them) and `out` for the forward result,
      separated by spaces, e.g. `("y", "x")` for mul (x's gradient reads y only) or
      `("out",)` for exp; one entry for all inputs of an op of any arity; None (the default)
      when each rule may read every input and the output. Shapes do not count (an in-place
      change keeps them). `reads_of(i)` gives input i's entry as positions and "out"; and
      `view`, whether the forward may return a view of its first input's data;
    - for tests and tools: `domain` (where the forward is defined: None, "positive" or
      "nonzero" for every input, or a tuple with one of those per input; `input_domains`
      spells it out), `kink` (None, or a function of the inputs giving their distance from the
      nearest point where the op is not differentiable), `twin` (an independent numpy
      function computing the same values; None: the forward is plain numpy already) and
      `expression_name` (what a typed expression calls it: by default its name, `max` for
      maximum, None for the ops written as operators and for internal ones);
    - `code` (optional, for `autograd.compile`): how each input's rule reads as a Python
      expression, one template per input, e.g. `("{g} * {y}", "{g} * {x}")` for mul.
      Templates name `g`, `out`, the inputs `x` and `y`, the op's parameters, the static
      facts `x_shape`, `x_size` and `out_size`, and `TEMPLATE_FUNCTIONS`. A built-in row
      writes each rule once, as its template: `rules(...)` compiles the templates into the
      rules, and `code` and `code_exact` (True) follow from them. A rule with special cases
      (mul's 0-d array factor, pow's exponents 0 and 1) is given as its `cases`: `code_cases`
      keeps each input's (condition, template) pairs, `code_for(out, *inputs, **params)`
      picks the templates that hold for given values (what a compiled step writes out), and
      `code` is each input's last template, the one `otherwise`. A row may also give its
      rules as functions and `code` beside them (a user's `register`): a compiled step then
      uses a template only where it gives what the rule gives and otherwise calls the rule
      itself, so generated code cannot disagree with the eager engine. It finds out by running
      both on the traced values, unless `code_exact` says the templates are the rules written
      out: True (for every input) or a function of the inputs' raw data saying where (a test
      holds every row to it). `code_fallback`: second templates, tried where the first do not
      give what the rule gives;
    - how compiled code and numpy reach the forward (the row is their only source):
      `ufunc`, the numpy ufunc computing the forward on arrays (`np.exp`): `np.exp(t)` records
      the op (interop), an augmented assignment applies it in place, and compiled code writes
      it into a buffer (a tuple names numpy's other spellings too: `np.fabs` for abs); `into`, how compiled code writes the forward on arrays into a buffer
      `{buf}` (a template over the same fields as `code`, giving the same bits as `forward`;
      by default the ufunc's call with `out=`); `fresh`, whether the forward's array result
      is always a new array (by default: when the row has an `into` form and no `view`), so
      that compiled code may reuse its buffer; `kernel`, the name compiled code calls the
      forward by (by default the op's name); `code_forward`, the forward as a template where
      it is an operator (`"{x} + {y}"`; a pair gives the form for floats, then for arrays);
      and `zero_safe`, whether the local gradients are finite wherever the values they read
      are (so that an example whose gradient is zero contributes exact zeros). An elementwise
      row must give compile its `into` form, and numpy its ufunc where numpy has one (a test
      holds every row to it);
    - for pictures and tables: `explain`, what the rule does to the gradient in words, one
      short text per input (one text for all inputs of a variadic op), naming `{this}` (the
      input receiving it), `{other}`, `{x}`, `{y}`, the op's parameters and `{along}` (its
      `axis` in words: "along axis 1", "over all axes"); and `elementwise`,
      whether each output element depends only on the same element of each input (so that a
      local gradient per element exists; by default the ops that also take Scalars);
    - `saves`: the forward also returns what its rule reuses, `(out, saved)`, as a JAX
      `custom_vjp` forward returns its residuals (the fused loss keeps its log-sum-exp). The
      core keeps `saved` with the recorded node and hands it to the rule as `saved=`; every
      other caller (`op.forward`, a typed expression, a test of the rule) sees the forward's
      `out` alone, and a rule called without `saved` computes what it needs itself, so it stays
      a plain function of its inputs. `forward_saving` is the forward that returns both.
    """

    apply = None  # installed by graph.py: applies an op to raw data or graph values

    def __init__(self, name, forward, *input_vjps, vjp=None, gate=None, domain=None, arity=1,
                 tensor_only=False, doc=None, reads=None, view=False,
                 code=None, code_exact=False, twin=None, kink=None, expression_name="",
                 explain=None, elementwise=None, code_fallback=None, ufunc=None, into=None,
                 fresh=None, kernel=None, code_forward=None, zero_safe=False, saves=False):
        if bool(input_vjps) == (vjp is not None):
            raise TypeError(f"op {name!r}: give one rule per input, or one joint vjp=, not "
                            f"{'both' if input_vjps else 'neither'}")
        for rule in input_vjps or (vjp,):
            if not callable(rule):
                raise TypeError(f"op {name!r}: a gradient rule must be callable, got {rule!r}")
        self.name = name
        self.saves = saves
        self.forward_saving = forward if saves else None
        self.forward = _output_of(forward) if saves else forward
        self.input_vjps = tuple(input_vjps) or None
        self.joint_vjp = vjp
        self.arity = len(input_vjps) if input_vjps else arity
        self.domain = _checked_domain(name, domain, self.arity)
        self.gate = gate
        self.tensor_only = tensor_only
        self.reads = _checked_reads(name, reads, self.arity)
        self.view = view
        self.code_cases = None  # each input's (condition, template) pairs (see `rules`)
        if code is None and input_vjps and all(hasattr(r, "cases") for r in input_vjps):
            code, code_exact = tuple(r.template for r in input_vjps), True
            if any(len(r.cases) > 1 for r in input_vjps):
                self.code_cases = tuple(r.cases for r in input_vjps)
        self.code = None if code is None else tuple(code)
        self._code_rules = self.input_vjps  # the rules `code` describes (a swapped rule has none)
        self.code_exact = code_exact
        self.twin = twin
        self.kink = kink
        self.expression_name = name if expression_name == "" else expression_name
        self.explain = None if explain is None else tuple(explain)
        self.elementwise = not tensor_only if elementwise is None else bool(elementwise)
        self.code_fallback = None if code_fallback is None else tuple(code_fallback)
        self.ufuncs = ufunc if isinstance(ufunc, tuple) else (ufunc,) if ufunc else ()
        self.ufunc = self.ufuncs[0] if self.ufuncs else None
        ufunc = self.ufunc
        self.into = into if into is not None or ufunc is None else _ufunc_into(ufunc, self.arity)
        self.fresh = (self.into is not None and not view) if fresh is None else fresh
        self.kernel = kernel or name
        self.code_forward = code_forward
        self.zero_safe = zero_safe
        self.__doc__ = doc or getattr(forward, "__doc__", None)

    def vjp(self, g, out, *inputs, **params):
        """Every input's gradient, as a tuple: the per-input rules in turn, or the joint rule."""
        if self.input_vjps is None:
            return self.joint_vjp(g, out, *inputs, **params)
        return tuple(rule(g, out, *inputs, **params) for rule in self.input_vjps)

    def code_for(self, out, *inputs, **params):
        """Each input's template for these values: the case whose condition holds for their
        static facts (kinds, shapes, parameters), where the row gives `cases`; else `code`."""
        if self.code_cases is None:
            return self.code
        return tuple(next(template for condition, template in branches
                          if condition is None or condition(None, out, *inputs, **params))
                     for branches in self.code_cases)

    def reads_of(self, i):
        """What input i's rule reads: a tuple of input positions and "out" (all of them when
        the row does not say)."""
        if self.reads is None:
            return None
        return self.reads[0 if self.arity is None else i]

    @property
    def input_domains(self):
        """The domain of each input (None where any real number will do), from `domain`."""
        if isinstance(self.domain, tuple):
            return self.domain
        return (self.domain,) * (self.arity or 0)

    def __call__(self, *inputs, **params):
        """Apply the op: raw data in, raw data out; a graph value in, a recorded node out."""
        return Op.apply(self, inputs, params)

    def __repr__(self):
        return f"Op({self.name!r})"


def _output_of(forward_saving):
    """The forward of a row that `saves`, without what it saves: its output alone."""
    def forward(*inputs, **params):
        return forward_saving(*inputs, **params)[0]
    forward.__doc__ = forward_saving.__doc__
    return forward


def _ufunc_into(ufunc, arity):
    """The `into` template of a row computed by a numpy ufunc of its inputs alone; None when
    the ufunc takes something else too (give `into` then)."""
    if ufunc.nin != arity or arity not in (1, 2):
        return None
    inputs = ", ".join(["{x}", "{y}"][:arity])
    return f"np.{ufunc.__name__}({inputs}, out={{buf}})"


def _checked_domain(name, domain, arity):
    domains = domain if isinstance(domain, tuple) else (domain,)
    if any(d is not None and d not in DOMAINS for d in domains) or \
            isinstance(domain, tuple) and len(domain) != arity:
        raise ValueError(f"op {name!r}: domain must be None, one of {', '.join(DOMAINS)}, or a "
                         f"tuple of those with one entry per input ({arity}), got {domain!r}")
    return domain


_READ_NAMES = {"x": 0, "y": 1, "out": "out"}


def _checked_reads(name, reads, arity):
    """`reads` as a tuple with one tuple of input positions and "out" per input (one for all
    inputs when the arity is not fixed); None stays None."""
    if reads is None:
        return None
    entries = (reads,) if isinstance(reads, str) else tuple(reads)
    if len(entries) != (arity or 1) or not all(isinstance(e, str) for e in entries):
        raise ValueError(f"op {name!r}: reads must be None or one string per input ({arity}) "
                         f"naming what that input's rule reads (x, y, input2, ..., out), got "
                         f"{reads!r}")
    parsed = []
    for entry in entries:
        read = []
        for word in entry.split():
            position = _READ_NAMES.get(word, int(word[5:]) if word[:5] == "input" and
                                       word[5:].isdigit() else None)
            if position is None or arity is not None and position != "out" and \
                    position >= arity:
                raise ValueError(f"op {name!r}: reads names {word!r}, which is not one of its "
                                 f"inputs (x, y, input2, ...) or out")
            read.append(position)
        parsed.append(tuple(read))
    return tuple(parsed)


def register(name, forward, *input_vjps, **attributes):
    """Add a primitive to the table and return it; a name can only be registered once.

    Give the rule as one function per input, `register(name, forward, rule_0, rule_1, ...)`,
    or as one joint rule returning a tuple, `vjp=...` (see `Op`)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: an op name must be an identifier, got {name!r}")
    if name in OPS:
        raise ValueError(f"register: an op named {name!r} exists already; choose another name")
    if not callable(forward):
        raise TypeError(f"register {name!r}: forward must be callable")
    op = OPS[name] = Op(name, forward, *input_vjps, **attributes)
    for ufunc in op.ufuncs if op.elementwise else ():
        if ufunc.nin == op.arity:
            UFUNCS.setdefault(ufunc, op)
    return op


def primitive(vjp, *, name=None, arity=None, domain=None, tensor_only=False, twin=None,
              kink=None):
    """Decorator: turn a forward function on raw data into a differentiable primitive.

    `vjp(g, out, *inputs)` must return one gradient per input (a tuple, even for one input),
    written with arithmetic and the engine's functions so that it also works on graph values
    (then second derivatives work too). The decorated function accepts Scalars, Tensors or raw
    data; the op joins the table, so `autograd.testing` covers it like a built-in: its
    gradients (`assert_op_gradients`), random expressions and the mutation tests. `domain`,
    `kink` and `twin` tell those tests where it is defined, where it has kinks and what plain
    numpy function computes the same values (see `Op`).

    Example::

        def cube_vjp(g, out, x):
            return (g * 3 * x * x,)

        @autograd.primitive(cube_vjp, twin=lambda x: np.power(x, 3))
        def cube(x):
            return x * x * x

        y = cube(autograd.Scalar(2.0)); y.backward()   # y.data == 8.0, x.grad == 12.0
    """
    def decorate(forward):
        def float_forward(*inputs, **params):
            out = forward(*inputs, **params)
            if isinstance(out, np.ndarray) and out.dtype.kind in "biu":
                out = out.astype(np.float64)  # gradients need floating point
            return out

        return register(name or forward.__name__, float_forward, vjp=vjp,
                        arity=_arity(forward) if arity is None else arity, domain=domain,
                        tensor_only=tensor_only, doc=forward.__doc__, twin=twin, kink=kink)
    return decorate


def _arity(forward):
    """The number of positional inputs of a forward function (None when it takes *args)."""
    parameters = inspect.signature(forward).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
               for p in parameters)


TEMPLATE_FUNCTIONS = {name: f for name, f in vars(kernels).items() if callable(f) and
                      not name.startswith("_") and name != "new_array" and
                      getattr(f, "__module__", "") == kernels.__name__}
TEMPLATE_FUNCTIONS["np"] = np
"""What a rule's template may call, by name: the functions of kernels.py, numpy as `np`, and
the helpers of this table named at its end (`winner_share`, `expand`, `scatter_add`,
`select`). Each works on raw data and on graph values (`create_graph`)."""


def cases(*branches, otherwise):
    """One input's rule by cases, for `rules`: `(condition, template)` pairs, tried in order,
    and the template `otherwise` where no condition holds. A condition is a template over
    static facts only, the same at every call of a compiled step: the inputs' kinds and
    shapes (`{x_array}`: x is a numpy array, not a float, a numpy scalar or a graph value;
    `{x_ndim}`, `{x_shape}`, `{x_size}`), `{out_size}` and the op's parameters. E.g. pow:
    `cases(("{exponent} == 0", "{g} * 0.0"), otherwise="{g} * {exponent} * ...")`."""
    return (*branches, (None, otherwise))


def rules(*templates, params=()):
    """An op's rules written once, as templates, one per input (`"{g} * {out}"`, or the
    `cases` of one input): each is compiled here into the function the eager engine runs,
    and compiled steps write the same template out as their line, so the two cannot disagree
    (as Tangent's templates are their rules' only copy). A template names `{g}`, `{out}`, the
    inputs `{x}` and `{y}`, the op's `params`, the static facts `{x_shape}`, `{x_size}` and
    `{out_size}` (literals in compiled code, `x.shape` and so on here) and the functions of
    `TEMPLATE_FUNCTIONS`. An input's cases become one conditional expression (`a if c else
    b`: no call more than a rule written by hand), and a compiled step writes out the case
    whose condition holds for its values (`Op.code_for`); the row's `code` is the templates
    `otherwise`, and every case is exact."""
    inputs = ["x", "y"][:len(templates)]
    signature = ", ".join(["g", "out", *inputs, *params])
    names = dict(g="g", out="out", x="x", y="y", **{p: p for p in params},
                 **{f"{v}_{fact}": f"{v}.{fact}" for v in ("x", "y", "out")
                    for fact in ("shape", "size", "ndim")},
                 **{f"{v}_array": f"{v}.__class__ is np.ndarray" for v in ("x", "y", "out")})
    compiled = []
    for template in templates:
        branches = ((None, template),) if isinstance(template, str) else tuple(template)
        body = branches[-1][1].format(**names)
        for condition, case in reversed(branches[:-1]):
            body = f"{case.format(**names)} if {condition.format(**names)} else {body}"
        rule = _compiled(f"lambda {signature}: {body}")
        rule.template = branches[-1][1]
        rule.cases = tuple((None if condition is None else _compiled(
            f"lambda {signature}: {condition.format(**names)}"), case)
            for condition, case in branches)
        compiled.append(rule)
    return compiled


def _compiled(source):
    """A row's template compiled into a function (the table's own text, never a user's)."""
    return eval(source, TEMPLATE_FUNCTIONS)  # noqa: S307 (the row's)


# ---- elementwise arithmetic: Scalar and Tensor (written as operators) ---------------------------

ADD = register("add", operator.add,
               *rules("{g}", "{g}"),    # the add gate distributes g unchanged to both inputs
               gate="add distributes", reads=("", ""), expression_name=None,
               explain=["add distributes: {this} receives the upstream gradient"] * 2,
               ufunc=np.add, code_forward="{x} + {y}", zero_safe=True)
SUB = register("sub", operator.sub,
               *rules("{g}", "-{g}"),
               reads=("", ""), expression_name=None,
               explain=["sub: {this} receives the upstream gradient",
                        "sub: {this} receives minus the upstream gradient"],
               ufunc=np.subtract, code_forward="{x} - {y}", zero_safe=True)
NEG = register("neg", operator.neg,
               *rules("-{g}"),
               reads=("",), expression_name=None,
               explain=["neg: {this} receives minus the upstream gradient"],
               ufunc=np.negative, code_forward="-{x}", zero_safe=True)
IDENTITY = register("identity", operator.pos,
                    *rules("{g}"),
                    doc="A new node holding x's value (what `grad` differentiates with respect "
                        "to).", reads=("",), expression_name=None,
                    explain=["identity: {this} receives the upstream gradient"],
                    into="np.positive({x}, out={buf})")
MUL = register("mul", operator.mul,
               # the mul gate swaps its inputs: x gets g * y and y gets g * x (a 0-d array factor
               # of an array with axes gets that product summed at once: `summed_product`)
               *rules(cases(("{x_array} and not {x_ndim} and {y_array} and {y_ndim}",
                             "summed_product({g}, {y})"), otherwise="{g} * {y}"),
                      cases(("{y_array} and not {y_ndim} and {x_array} and {x_ndim}",
                             "summed_product({g}, {x})"), otherwise="{g} * {x}")),
               gate="mul swaps", reads=("y", "x"), expression_name=None,
               explain=["mul swaps: {this} receives the upstream gradient times the other input, "
                        "{other}"] * 2,
               ufunc=np.multiply, code_forward="{x} * {y}", zero_safe=True)
DIV = register("div", divide,
               # d(x/y)/dx = 1/y; d(x/y)/dy = -x/y**2, from x and y (as PyTorch: a change to the
               # output in place leaves both gradients computable)
               *rules("divide({g}, {y})", "-{g} * divide(divide({x}, {y}), {y})"),
               domain=(None, "nonzero"), reads=("y", "x y"), twin=np.divide,
               expression_name=None,
               explain=["div: {x} receives the upstream gradient divided by {y}",
                        "div: {y} receives minus the upstream gradient times {x} / {y}²"],
               ufunc=np.divide, code_forward=("divide({x}, {y})", "{x} / {y}"))


POW = register("pow", lambda x, exponent: power(x, exponent),
               # d x**c = c x**(c-1); c = 0 and c = 1 need no power of x at all: at x = 0
               # c x**(c-1) would be 0 * inf = nan (PyTorch gives 0 and g), and higher
               # derivatives of x**2 reach x**0 and x**-1
               *rules(cases(("{exponent} == 0", "{g} * 0.0"), ("{exponent} == 1", "{g}"),
                            otherwise="{g} * {exponent} * power({x}, {exponent} - 1)"),
                      params=("exponent",)),
               doc="x ** exponent for a constant exponent.", domain="positive", reads=("x",),
               twin=lambda x, exponent: np.power(x, exponent), expression_name=None,
               explain=["pow: {this} receives the upstream gradient times c · {this}^(c − 1), c "
                        "= {exponent}"],
               ufunc=np.power, into="np.power({x}, {exponent}, out={buf})", kernel="power",
               code_forward="power({x}, {exponent})")


def _power_base_vjp(g, out, x, y):
    # d x**y / dx = y x**(y-1); 0 where y = 0 and x is 0 or nan (PyTorch's value: 0 * inf and
    # 0 * nan would give nan); elsewhere at y = 0 the formula gives 0 itself and stays
    # differentiable in y (the second derivative there is 1/x)
    return WHERE(g * y * power(x, y - 1.0), 0.0, cond=_power_base_defined(x, y))


def _power_exponent_vjp(g, out, x, y):
    # d x**y / dy = x**y log x, the output times log x; 0 where x = 0 and y >= 0 (PyTorch's
    # value: the limit from above, where log 0 = -inf would give 0 * -inf); nan below 0
    return g * WHERE(out * kernels.log(x), 0.0, cond=_not_zero_base(x, y))


def _power_base_defined(x, y):
    """Where y x**(y-1) is the derivative as written: y != 0, or 0 < |x| (nan is not)."""
    x, y = kernels.raw(x), kernels.raw(y)
    if type(x) is float and type(y) is float:
        return y != 0.0 or abs(x) > 0.0
    return np.not_equal(y, 0.0) | np.greater(np.abs(x), 0.0)


def _nonzero(y):
    """y != 0, as a constant mask of y's raw kind (a bool for a float)."""
    y = kernels.raw(y)
    return y != 0.0 if type(y) is float else np.not_equal(y, 0.0)


def _not_zero_base(x, y):
    """Not (x == 0 and y >= 0): where the exponent's gradient is out * log x."""
    x, y = kernels.raw(x), kernels.raw(y)
    if type(x) is float and type(y) is float:
        return not (x == 0.0 and y >= 0.0)
    return ~(np.equal(x, 0.0) & np.greater_equal(y, 0.0))


POWER = register("power", power, _power_base_vjp, _power_exponent_vjp,
                 doc="x ** y with a graph-valued (or array) exponent: gradients to both, "
                     "exp(y log x)'s, with PyTorch's values at x = 0.",
                 # (the base's rule does not read the output, but PyTorch keeps it for either
                 # gradient and refuses a change to it: so do we)
                 domain=("positive", None), reads=("x y out", "x y out"), twin=np.power,
                 expression_name=None,
                 explain=["power: {x} receives the upstream gradient times {y} · {x}^({y} − 1)",
                          "power: {y} receives the upstream gradient times out · ln {x}"],
                 ufunc=(np.power, np.float_power))

# ---- elementwise functions: the local gradient from the output where that is simplest ----------

EXP = register("exp", kernels.exp,
               *rules("{g} * {out}"),
               reads=("out",), twin=np.exp,
               explain=["exp: the local gradient is the output itself, e^{this}"],
               ufunc=np.exp, zero_safe=True)
LOG = register("log", kernels.log,
               *rules("divide({g}, {x})"),
               domain="positive", reads=("x",), twin=np.log,
               explain=["log: the local gradient is 1 / {this}"],
               ufunc=np.log)
SQRT = register("sqrt", kernels.sqrt,
                *rules("divide(0.5 * {g}, {out})"),    # d sqrt(x) = 1 / (2 sqrt(x))
                domain="positive", reads=("out",), twin=np.sqrt,
                explain=["sqrt: the local gradient is 1 / (2 √{this}), one over twice the output"],
                ufunc=np.sqrt)
SIGMOID = register("sigmoid", kernels.sigmoid,
                   *rules("sigmoid_slope_times({g}, {out})"),
                   reads=("out",), twin=lambda x: 1.0 / (1.0 + np.exp(-x)),
                   explain=["sigmoid: the local gradient is out · (1 − out), σ({this})(1 − "
                            "σ({this}))"],
                   into="sigmoid_into({x}, {buf})", zero_safe=True)
TANH = register("tanh", kernels.tanh,
                *rules("tanh_slope_times({g}, {out})"),  # d tanh = 1 - tanh**2
                reads=("out",), twin=np.tanh,
                explain=["tanh: the local gradient is 1 − out²"],
                ufunc=np.tanh, zero_safe=True)

# ---- the max gate: the gradient goes to the larger input; tied maxima share it evenly ----------


@kernels.new_array
def winner_share(x, y):
    """The max gate's router: the share of the gradient that goes to x in max(x, y).

    1 where x wins, 0 where y wins, and 1/2 on a tie, so the gradient is split evenly
    (as HIPS autograd, JAX and tinygrad do). Where either is nan (the result is nan) both get
    all of it, as in PyTorch. A constant: routing is not differentiated.
    """
    x, y = kernels.raw(x), kernels.raw(y)
    if type(x) is float and type(y) is float:
        return 0.0 if x < y else (0.5 if x == y else 1.0)
    x, y = np.asarray(x), np.asarray(y)
    dtype = np.result_type(x.dtype, y.dtype, np.float32)
    return 1.0 - (x < y).astype(dtype) - 0.5 * (x == y).astype(dtype)


MAXIMUM = register("maximum", kernels.maximum,
                   # the max gate routes g to the larger input; a tie splits it
                   *rules("{g} * winner_share({x}, {y})", "{g} * winner_share({y}, {x})"),
                   gate="max routes", reads=("x y", "x y"), twin=np.maximum, expression_name="max",
                   kink=lambda x, y: np.abs(np.subtract(x, y)),
                   explain=["max routes: {this} receives the upstream gradient where it is the "
                            "larger input, else 0 (a tie splits it evenly)"] * 2,
                   ufunc=np.maximum, zero_safe=True)
RELU = register("relu", kernels.relu,
                # a max gate against 0 (0 at the tie), switched by the output, as PyTorch's
                # relu: out > 0 exactly where x > 0 (and nan where x is nan)
                *rules("{g} * where_positive({out})"),
                gate="max routes", reads=("out",), twin=lambda x: np.maximum(x, 0.0),
                kink=np.abs,
                explain=["relu routes: the upstream gradient passes where {this} > 0, else 0"],
                into="np.maximum({x}, 0, out={buf})", zero_safe=True)


def _max_vjp(g, out, x, axis, keepdims):
    # the max gate over many inputs: g goes to the maxima; tied maxima share it evenly
    raw_x, raw_out = kernels.raw(x), _expand(kernels.raw(out), x.shape, axis, keepdims)
    winners = raw_x == raw_out
    if np.isnan(raw_out).any():  # a nan maximum: its nan elements share g (as PyTorch)
        winners |= np.isnan(raw_x) & np.isnan(raw_out)
    winners = winners.astype(raw_x.dtype)
    share = winners / winners.sum(axis=axis, keepdims=True)
    return _expand(g, x.shape, axis, keepdims) * share


MAX = register("max", lambda x, axis, keepdims: np.maximum.reduce(x, axis=axis, keepdims=keepdims),
               _max_vjp, gate="max routes", tensor_only=True, reads=("x out",),
               explain=["max routes: {along}, the largest element of {this} receives "
                        "the upstream gradient, the others 0 (tied maxima share it evenly)"],
               fresh=True, kernel="reduce_max")

# ---- shape operations: Tensor only ---------------------------------------------------------------


def _normalize_axes(axis, ndim):
    """The reduced axes as a tuple of non-negative ints (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim if ndim else a for a in axes)


def _expand(g, shape, axis, keepdims):
    """Undo a reduction's shape: restore the reduced axes, then broadcast (the sum gate copies g)."""
    if not keepdims:
        axes = _normalize_axes(axis, len(shape))
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    if isinstance(g, np.ndarray):  # raw data: a broadcast view, without recording machinery
        return kernels.broadcast_view(g, shape)
    return BROADCAST_TO(g, shape=shape)


BROADCAST_TO = register("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                        *rules("{g}", params=("shape",)),  # a copy gate: the core sums g back
                        tensor_only=True, doc="Broadcast x to `shape` (a copy gate).",
                        reads=("",), view=True,
                        explain=["broadcast_to copies {this} to shape {shape}: {this} receives "
                                 "the upstream gradient summed over the copies"])
RESHAPE = register("reshape", lambda x, shape: np.reshape(x, shape),
                   *rules("{g}.reshape({x_shape})", params=("shape",)),
                   tensor_only=True, reads=("",), view=True,
                   explain=["reshape: {this} receives the upstream gradient reshaped back to its "
                            "own shape (the same numbers in the same order)"])
TRANSPOSE = register("transpose", lambda x, axes: np.transpose(x, axes),
                     lambda g, out, x, axes: TRANSPOSE(g, axes=tuple(np.argsort(axes))),
                     tensor_only=True, reads=("",), view=True,
                     doc="Permute the axes of x.",
                     explain=["transpose: {this} receives the upstream gradient with its axes "
                              "put back (the inverse of the permutation {axes})"])
# reductions call the ufuncs' reduce directly: np.sum and friends add microseconds of dispatch
SUM = register("sum", lambda x, axis, keepdims: np.add.reduce(x, axis=axis, keepdims=keepdims),
               # the sum gate is an add with many inputs: each element gets g
               *rules("expand({g}, {x_shape}, {axis}, {keepdims})", params=("axis", "keepdims")),
               gate="add distributes", tensor_only=True, reads=("",),
               explain=["sum distributes: every element of {this} summed {along} "
                        "receives the upstream gradient (copied back to its shape)"],
               fresh=True, kernel="reduce_sum")


def _mean(x, axis, keepdims):
    """The mean over `axis`: the sum divided by the number of elements summed."""
    total = np.add.reduce(x, axis=axis, keepdims=keepdims)
    if x.size:
        return np.divide(total, x.size // np.size(total))
    with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in numpy and PyTorch
        return np.divide(total, x.size // max(np.size(total), 1))


MEAN = register("mean", _mean,
                # the sum gate's copies, each scaled by 1/n (scaled before copying); an empty x
                # gets an empty gradient
                *rules(cases(("not {x_size}", "expand({g} * 0.0, {x_shape}, {axis}, {keepdims})"),
                             otherwise="expand({g} * ({out_size} / {x_size}), {x_shape}, {axis}, "
                                       "{keepdims})"),
                       params=("axis", "keepdims")),
                tensor_only=True, reads=("",),
                explain=["mean: every element of {this} averaged {along} receives the "
                         "upstream gradient divided by the number of elements averaged (copied "
                         "back to its shape)"],
                fresh=True)


MATMUL = register("matmul", np.matmul,
                  # a mul gate for matrices: x gets g times y (transposed), y gets x (transposed)
                  # times g; a 1-d x acts as a (1, k) row, a 1-d y as a (k, 1) column, and two
                  # 1-d operands are a dot product: exactly the scalar mul gate
                  *rules(cases(("{x_ndim} == 1 and {y_ndim} == 1", "{g} * {y}"),
                               ("{y_ndim} == 1",
                                "{g}.reshape({g}.shape + (1,)) @ {y}.reshape((1, -1))"),
                               ("{x_ndim} == 1",
                                "({g}.reshape({g}.shape[:-1] + (1, {g}.shape[-1])) @ "
                                "{y}.swapaxes(-1, -2)).reshape({g}.shape[:-1] + ({x_size},))"),
                               otherwise="{g} @ {y}.swapaxes(-1, -2)"),
                         cases(("{x_ndim} == 1 and {y_ndim} == 1", "{g} * {x}"),
                               ("{x_ndim} == 1",
                                "{x}.reshape((-1, 1)) @ "
                                "{g}.reshape({g}.shape[:-1] + (1, {g}.shape[-1]))"),
                               ("{y_ndim} == 1",
                                "({x}.swapaxes(-1, -2) @ {g}.reshape({g}.shape + (1,)))"
                                ".reshape({x}.shape[:-2] + {x}.shape[-1:])"),
                               otherwise="{x}.swapaxes(-1, -2) @ {g}")),
                  gate="mul swaps", tensor_only=True, reads=("y", "x"),
                  explain=["matmul swaps: {x} receives upstream @ {y}ᵀ",
                           "matmul swaps: {y} receives {x}ᵀ @ upstream"],
                  ufunc=np.matmul, code_forward="{x} @ {y}")


def _is_basic_index(index):
    """True when indexing cannot select an element twice (ints, slices, None, Ellipsis)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def _scatter_add(g, index, shape):
    """A zero array of `shape` with g added at `index`; repeated indices add up."""
    result = np.zeros(shape, dtype=g.dtype)
    if _is_basic_index(index):
        result[index] = g
    else:
        np.add.at(result, index, g)
    return result


@kernels.new_array
def scatter_add(g, index, shape):
    """A zero array of `shape` with g added at `index` (indexing's gradient): on raw data
    directly, on a graph value as a `scatter_add` node (so that it has a gradient itself)."""
    if g.__class__ is np.ndarray:
        return _scatter_add(g, index, shape)
    return SCATTER_ADD(g, index=index, shape=shape)


SCATTER_ADD = register("scatter_add", _scatter_add,
                       *rules("{g}[{index}]", params=("index", "shape")),
                       tensor_only=True, reads=("",),
                       explain=["scatter_add: {this} receives the upstream gradient at the "
                                "positions [{index}]"],
                       fresh=True)


def _getitem(x, index):
    """x[index]; where numpy would give a scalar copy (an int per axis), a 0-d view, as
    PyTorch's b[0] is (a later in-place change to x shows through it)."""
    out = x[index]
    if out.__class__ is np.ndarray or not isinstance(x, np.ndarray):
        return out
    return x[(*index, Ellipsis) if isinstance(index, tuple) else (index, Ellipsis)]


GETITEM = register("getitem", _getitem,
                   # indexing routes g back to the selected elements (adding on repeats)
                   *rules("scatter_add({g}, {index}, {x_shape})", params=("index",)),
                   tensor_only=True, reads=("",), view=True,
                   doc="x[index] for ints, slices and integer arrays.",
                   explain=["indexing routes: the elements of {this} selected by [{index}] "
                            "receive the upstream gradient (added up where one is selected "
                            "twice), the others 0"])


def _split_along(g, sizes, axis):
    """Cut g along `axis` into consecutive pieces of the given sizes."""
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(g[index])
        start += size
    return tuple(pieces)


# any number of inputs: one joint rule gives every input's gradient (each its piece of g)
CONCATENATE = register(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    vjp=lambda g, out, *xs, axis: _split_along(g, [x.shape[axis] for x in xs],
                                               axis % out.ndim),
    arity=None, tensor_only=True, reads="",
    explain=["concatenate: {this} receives its own slice of the upstream gradient along axis "
             "{axis}"],
    fresh=True)
STACK = register(
    "stack", lambda *xs, axis: np.stack(xs, axis=axis),
    vjp=lambda g, out, *xs, axis: tuple(
        g[(slice(None),) * (axis % out.ndim) + (i,)] for i in range(len(xs))),
    arity=None, tensor_only=True, reads="",
    explain=["stack: {this} receives its own slice of the upstream gradient along axis {axis}"],
    fresh=True)

# ---- stable log-sum-exp family --------------------------------------------------------------------


def _logsumexp(x, axis, keepdims):
    """log(sum(exp(x))) over `axis`, shifted by the max so that exp never overflows."""
    # (the max of an empty slice is -inf: the log-sum-exp of nothing is log 0 = -inf)
    shift = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
    finite = np.isfinite(shift)
    if finite.all():  # then the sum is >= 1 (the max contributes exp(0)): log is safe
        shifted = x - shift  # (exp in its buffer; 0-d arithmetic gives a numpy scalar)
        shifted = np.exp(shifted, out=shifted) if shifted.__class__ is np.ndarray else \
            np.exp(shifted)
        out = np.log(np.add.reduce(shifted, axis=axis, keepdims=True))
    else:  # a slice of -inf (or an inf): shift by 0 there instead of producing nan
        shift = np.where(finite, shift, 0)
        with np.errstate(divide="ignore"):
            out = np.log(np.add.reduce(np.exp(x - shift), axis=axis, keepdims=True))
    out += shift
    return out if keepdims else out.squeeze(axis)  # (the method: np.squeeze adds dispatch)


LOGSUMEXP = register("logsumexp", _logsumexp,
                     # d lse / dx = softmax(x) = exp(x - lse)
                     lambda g, out, x, axis, keepdims: _expand(g, x.shape, axis, keepdims) *
                     exp(x - _expand(out, x.shape, axis, keepdims)),
                     tensor_only=True, reads=("x out",),
                     explain=["logsumexp: {this} receives the upstream gradient times "
                              "softmax({this}) {along}"],
                     fresh=True)
LOG_SOFTMAX = register("log_softmax", lambda x, axis: x - _logsumexp(x, axis, True),
                       *rules("{g} - exp({out}) * {g}.sum(axis={axis}, keepdims=True)",
                              params=("axis",)),
                       tensor_only=True, reads=("out",),
                       explain=["log_softmax: {this} receives the upstream gradient minus "
                                "softmax({this}) times the upstream's sum {along}"],
                       fresh=True)
SOFTMAX = register("softmax", lambda x, axis: np.exp(x - _logsumexp(x, axis, True)),
                   *rules("{out} * ({g} - ({g} * {out}).sum(axis={axis}, keepdims=True))",
                          params=("axis",)),
                   tensor_only=True, reads=("out",),
                   explain=["softmax: {this} receives out · (upstream − the sum of upstream · "
                            "out {along})"],
                   fresh=True)


def _softmax_cross_entropy(z, labels):
    """-log softmax(z)[n, labels[n]] for each row n: log-sum-exp minus the label's logit."""
    return _logsumexp(z, -1, False) - z[np.arange(len(labels)), labels]


def _softmax_cross_entropy_vjp(g, out, z, labels):
    # the gradient of -log softmax(z)[y] with respect to the logits is softmax(z) - onehot(y)
    rows = np.arange(len(labels))
    if isinstance(z, np.ndarray):  # softmax from the output: log-sum-exp = out + z[y]
        local = z - (out + z[rows, labels])[:, None]
        np.exp(local, out=local)
        local[rows, labels] -= 1.0
        local *= g[:, None]  # (in place: the same products as g * local)
        return local
    onehot = np.zeros(z.shape, dtype=z.dtype)
    onehot[rows, labels] = 1.0
    return g.reshape((-1, 1)) * (SOFTMAX(z, axis=-1) - onehot)


SOFTMAX_CROSS_ENTROPY = register(
    "softmax_cross_entropy", _softmax_cross_entropy, _softmax_cross_entropy_vjp,
    tensor_only=True, reads=("x out",),
    doc="Per-row cross-entropy of logits (N, C) against integer labels, as one node.",
    explain=["softmax cross-entropy: {this} receives softmax({this}) − onehot(labels), each row "
             "times its upstream gradient"],
    fresh=True)



def _mean_softmax_cross_entropy(z, labels):
    """The mean over the rows n of -log softmax(z)[n, labels[n]], and what the rule reuses:
    the log-sum-exp's exponentials exp(z - max) and their row sums (None when a row is not
    finite: then the rule computes the softmax itself)."""
    rows = len(labels)
    shift = np.maximum.reduce(z, axis=-1, keepdims=True, initial=-np.inf)
    if not rows or not np.logical_and.reduce(np.isfinite(shift), axis=None):
        # (an empty batch, or a row with an infinity or nan: the stable path, nothing saved)
        return np.asarray(_mean(_softmax_cross_entropy(z, labels), None, False)), None
    exps = z - shift
    np.exp(exps, out=exps)
    sums = np.add.reduce(exps, axis=-1, keepdims=True)
    lse = np.log(sums)
    lse += shift  # (the per-row losses and their mean as the unfused rows give them: the
    per_row = lse.reshape(rows) - z[np.arange(rows), labels]  # same bits)
    return np.asarray(np.add.reduce(per_row, axis=None) / rows), (exps, sums)


def _mean_softmax_cross_entropy_vjp(g, out, z, labels, saved=None):
    # (softmax(z) - onehot(labels)) g / N; the softmax from the forward's exponentials and
    # their sums (a division, no second exp), or computed here for a caller without them
    rows = len(labels)
    if isinstance(z, np.ndarray):
        if saved is not None:
            exps, sums = saved
            local = exps / sums  # a new array: the saved ones serve every later pass too
        else:
            with np.errstate(invalid="ignore"):  # (a row of -inf: the forward has warned)
                local = np.exp(z - _logsumexp(z, -1, True))
        if rows:
            local[np.arange(rows), labels] -= 1.0
            local *= g / rows
        return local
    onehot = np.zeros(z.shape, dtype=z.dtype)
    onehot[np.arange(rows), labels] = 1.0
    return (SOFTMAX(z, axis=-1) - onehot) * divide(g, float(max(rows, 1)))


MEAN_SOFTMAX_CROSS_ENTROPY = register(
    "mean_softmax_cross_entropy", _mean_softmax_cross_entropy, _mean_softmax_cross_entropy_vjp,
    tensor_only=True, reads=("x",), saves=True,
    doc="The mean cross-entropy of logits (N, C) against integer labels, as one node (what "
        "nn.cross_entropy computes with its default reduction); its rule reuses the "
        "forward's log-sum-exp.",
    explain=["mean softmax cross-entropy: {this} receives (softmax({this}) − onehot(labels)) "
             "/ N, times the upstream gradient"],
    fresh=True)

# ---- more elementwise functions: Scalar and Tensor -------------------------------------------
# (the surface a numpy or PyTorch user types: abs, log1p, softplus, minimum, clip, where)

ABS = register("abs", kernels.absolute,
               # abs routes g by x's sign: passed on where x > 0, negated where x < 0
               *rules("{g} * sign({x})"),
               reads=("x",), twin=np.abs, kink=np.abs,
               doc="|x|; its gradient at 0 is 0, as in PyTorch.",
               explain=["abs routes by sign: {this} receives the upstream gradient where {this} "
                        "> 0, minus it where {this} < 0, 0 at 0"],
               ufunc=(np.absolute, np.fabs))
LOG1P = register("log1p", kernels.log1p, *rules("divide({g}, 1.0 + {x})"),
                 domain="positive", reads=("x",),
                 twin=np.log1p,
                 doc="log(1 + x), accurate for small x (defined above -1; tested above 0).",
                 explain=["log1p: the local gradient is 1 / (1 + {this})"],
                 ufunc=np.log1p)
SOFTPLUS = register("softplus", kernels.softplus,
                    *rules("{g} * sigmoid({x})"),  # d softplus = sigmoid
                    reads=("x",),
                    twin=lambda x: np.logaddexp(0.0, x),
                    doc="log(1 + e^x), a smooth relu, computed stably.",
                    explain=["softplus: the local gradient is sigmoid({this})"],
                    into="np.logaddexp(0.0, {x}, out={buf})")
MINIMUM = register("minimum", kernels.minimum,
                   # the min gate routes g to the smaller input; a tie splits it evenly
                   *rules("{g} * winner_share({y}, {x})", "{g} * winner_share({x}, {y})"),
                   gate="min routes", reads=("x y", "x y"),
                   twin=np.minimum, kink=lambda x, y: np.abs(np.subtract(x, y)),
                   doc="Elementwise min(x, y): the max gate mirrored.",
                   explain=["min routes: {this} receives the upstream gradient where it is the "
                            "smaller input, else 0 (a tie splits it evenly)"] * 2,
                   ufunc=np.minimum)
CLIP = register("clip", kernels.clip,
                # clip routes g: passed where lo <= x <= hi, 0 where a bound holds x (the max
                # and min gates against constants, as relu is; PyTorch's convention)
                *rules("{g} * within({x}, {lo}, {hi})", params=("lo", "hi")),
                reads=("x",),
                twin=lambda x, lo, hi: np.clip(x, lo, hi),
                kink=lambda x, lo, hi: np.minimum(np.inf if lo is None else np.abs(x - lo),
                                                  np.inf if hi is None else np.abs(x - hi)),
                doc="x limited to [lo, hi] (constant bounds; None: unbounded on that side).",
                explain=["clip routes: the upstream gradient passes where {lo} ≤ {this} ≤ {hi}, "
                         "else 0"],
                into="np.clip({x}, {lo}, {hi}, out={buf})")
WHERE = register(
    "where", lambda a, b, cond: kernels.select(cond, a, b),
    # where routes g by its mask: a gets g where cond holds, b gets it elsewhere
    *rules("select({cond}, {g}, 0.0)", "select({cond}, 0.0, {g})", params=("cond",)),
    reads=("", ""),
    twin=lambda a, b, cond: np.where(cond, a, b),
    doc="a where the constant mask cond holds, else b (broadcast together).",
    explain=["where routes: {this} receives the upstream gradient where the mask holds, else 0",
             "where routes: {this} receives the upstream gradient where the mask does not hold, "
             "else 0"],
    into="select_into({cond}, {x}, {y}, {buf})")


@kernels.new_array
def select(cond, a, b):
    """a where the constant mask cond holds, else b (where's gradient): `kernels.select` on
    raw data, a `where` node when a or b is a graph value (so that it has a gradient itself)."""
    if kernels.raw(a) is a and kernels.raw(b) is b:
        return kernels.select(cond, a, b)
    return WHERE(a, b, cond=cond)


# ---- more reductions and casts: Tensor only ----------------------------------------------------

MIN = register("min", lambda x, axis, keepdims: np.minimum.reduce(x, axis=axis, keepdims=keepdims),
               # max's router serves min unchanged: g goes to the elements equal to the result,
               # tied minima share it evenly
               _max_vjp, gate="min routes", tensor_only=True, reads=("x out",),
               explain=["min routes: {along}, the smallest element of {this} receives "
                        "the upstream gradient, the others 0 (tied minima share it evenly)"],
               fresh=True)


def _var(x, axis, keepdims, ddof):
    """The variance over `axis` with `ddof` delta degrees of freedom (numpy's definition)."""
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _var_vjp(g, out, x, axis, keepdims, ddof):
    # d var / dx_i = 2 (x_i - mean) / (n - ddof), n the number of elements per result
    count = x.size // max(out.size, 1)
    centred = x - x.mean(axis=axis, keepdims=True)
    return _expand(g, x.shape, axis, keepdims) * (centred * divide(2.0, float(count - ddof)))


VAR = register("var", _var, _var_vjp, tensor_only=True, reads=("x",),
               doc="Variance over `axis` with `ddof` (0: numpy's default; 1: unbiased).",
               explain=["var: {this} receives the upstream gradient times 2 ({this} − mean) / (n "
                        "− ddof) {along}"],
               fresh=True)


def _std(x, axis, keepdims, ddof):
    """The standard deviation over `axis` with `ddof` (numpy's definition)."""
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _std_vjp(g, out, x, axis, keepdims, ddof):
    # d std = d var / (2 std): var's rule on g / (2 out), which is 0 where out = 0 (PyTorch's
    # value at zero spread: a constant row, an axis of size 1; never 0 * inf = nan)
    spread = _nonzero(out)
    return _var_vjp(WHERE(divide(g, 2.0 * WHERE(out, 1.0, cond=spread)), 0.0, cond=spread),
                    out, x, axis, keepdims, ddof)


STD = register("std", _std, _std_vjp, tensor_only=True, reads=("x out",),
               doc="Standard deviation over `axis` with `ddof`; its gradient is 0 where it is 0.",
               explain=["std: {this} receives the upstream gradient times ({this} − mean) / "
                        "((n − ddof) std) {along}, 0 where std is 0"],
               fresh=True)
ASTYPE = register("astype", lambda x, dtype: x.astype(dtype),
                  *rules("{g}.astype({x}.dtype)", params=("dtype",)),
                  tensor_only=True, reads=("",),
                  doc="x cast to a floating-point `dtype`; the gradient is cast back.",
                  explain=["astype: {this} receives the upstream gradient cast back to its own "
                           "dtype"],
                  elementwise=True,
                  into="np.positive({x}, out={buf})")  # (the cast rounds as astype does)

BUILT_IN = frozenset(OPS)
"""The names of the rows above (a user's primitive's result is fitted as the core fits it)."""
TEMPLATE_FUNCTIONS.update(winner_share=winner_share, expand=_expand, scatter_add=scatter_add,
                          select=select)
